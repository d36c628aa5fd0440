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
    /// One of the errors above, about one declared item of a configuration (what
    /// [`ClusterConfig::validate`](crate::cluster::ClusterConfig::validate) reports): the same
    /// text, with where it is.
    #[error("{error}")]
    At {
        /// The declared item.
        item: ConfigItem,
        /// The item's field at fault, where one is (`cpu_slots`, `resources.timeout`, …).
        field: Option<&'static str>,
        /// What is wrong.
        error: Box<ClusterError>,
    },
}

/// A declared item of a [`ClusterConfig`](crate::cluster::ClusterConfig), by its index in the
/// list that declares it: what a configuration error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConfigItem {
    /// The topology as a whole (regions and the RTT matrix).
    Topology,
    /// `topology.exchanges[i]`.
    Exchange(usize),
    /// `topology.shards[i]`.
    Shard(usize),
    /// The function selection weights.
    Selection,
    /// The performance monitor.
    Monitor,
    /// The metrics interval.
    MetricsInterval,
    /// `functions[i]`.
    Function(usize),
    /// `sources[i]`.
    Source(usize),
    /// The regime.
    Regime,
    /// The market world (its settings other than the calendar and the venues).
    Market,
    /// `market.calendar[i]`.
    CalendarEvent(usize),
    /// `market.venues[i]`.
    Venue(usize),
    /// `hawkes[i]`.
    Hawkes(usize),
    /// `faults[i]`.
    Fault(usize),
    /// `routing_overrides[i]`.
    RoutingOverride(usize),
    /// `changes[i]`.
    Change(usize),
    /// How long the sources emit (`arrivals_until`).
    Duration,
    /// The circuit breakers.
    Breaker,
}

impl ConfigItem {
    /// The item with one of its fields.
    pub(crate) fn with(self, field: Option<&'static str>) -> (ConfigItem, Option<&'static str>) {
        (self, field)
    }
}

impl ClusterError {
    /// The declared item the error is about, if it is about one.
    pub fn item(&self) -> Option<ConfigItem> {
        match self {
            ClusterError::At { item, .. } => Some(*item),
            _ => None,
        }
    }

    /// The field of [`ClusterError::item`] at fault, where one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ClusterError::At { field, .. } => *field,
            _ => None,
        }
    }

    /// The error without its location.
    pub fn cause(&self) -> &ClusterError {
        match self {
            ClusterError::At { error, .. } => error.cause(),
            other => other,
        }
    }

    /// This error, about `item` (and its `field`).
    pub(crate) fn at(self, item: ConfigItem, field: Option<&'static str>) -> ClusterError {
        ClusterError::At {
            item,
            field,
            error: Box::new(self),
        }
    }

    /// [`ClusterError::at`] with the item and field together.
    pub(crate) fn at_item(self, (item, field): (ConfigItem, Option<&'static str>)) -> ClusterError {
        self.at(item, field)
    }
}
