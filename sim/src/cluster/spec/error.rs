//! What can be wrong with a declared configuration.

use crate::cluster::spec::function::FunctionSpecError;
use crate::cluster::spec::workload::SourceError;

/// A configuration the cluster cannot run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ClusterError {
    /// A bad function declaration.
    #[error(transparent)]
    Function(#[from] FunctionSpecError),
    /// A bad source.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// A reference to something that does not exist.
    #[error("{what} refers to {kind} {index}, but only {count} exist")]
    OutOfRange {
        /// Who refers.
        what: String,
        /// To what kind of thing.
        kind: &'static str,
        /// The index used.
        index: usize,
        /// How many there are.
        count: usize,
    },
    /// Any other inconsistent setting.
    #[error("{0}")]
    Invalid(String),
}
