//! The edges of the program's files: atomic writes, CSV tables and durations as people write
//! them. Everything that turns a value into bytes on disk goes through here, so that the formats
//! are defined once.

pub mod atomic;
pub mod csv;
pub mod manifest;
pub mod units;

use std::path::Path;

pub use atomic::{write_atomic, write_json};

/// The last component of `path`, as text (`None` for `/` or `..`): what a manifest or a model
/// file records instead of a machine-specific absolute path.
pub fn file_name(path: &Path) -> Option<String> {
    path.file_name().map(|f| f.to_string_lossy().into_owned())
}
