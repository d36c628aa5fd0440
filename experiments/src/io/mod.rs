//! The edges of the program's files: atomic writes, CSV tables and durations as people write
//! them. Everything that turns a value into bytes on disk goes through here, so that the formats
//! are defined once.

pub mod atomic;
pub mod csv;
pub mod manifest;
pub mod marker;
pub mod units;

use std::path::Path;

use shardsim_sim::hash::stable_hash;

pub use atomic::{write_atomic, write_json};

/// The last component of `path`, as text (`None` for `/` or `..`): what a manifest or a model
/// file records instead of a machine-specific absolute path.
pub fn file_name(path: &Path) -> Option<String> {
    path.file_name().map(|f| f.to_string_lossy().into_owned())
}

/// A name as one safe path component: kept as it is when it is letters, digits, `_`, `-` and
/// inner dots; otherwise the safe characters with a hash of the whole name, so that two names
/// never share a directory and none leaves the store.
pub fn path_component(name: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    if !name.is_empty() && name.chars().all(safe) && !name.starts_with('.') {
        return name.to_owned();
    }
    let kept: String = name.chars().filter(|&c| safe(c) && c != '.').collect();
    format!("{kept}-{:016x}", stable_hash(name.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_safe_distinct_path_components() {
        assert_eq!(path_component("market_volatility"), "market_volatility");
        assert_eq!(path_component("v1.2"), "v1.2");
        for bad in ["x/../../ESCAPED", "..", ".", "", "a b", "a/b"] {
            let c = path_component(bad);
            assert!(
                !c.contains('/') && !c.starts_with('.') && !c.is_empty(),
                "{bad} → {c}"
            );
        }
        assert_ne!(path_component("a/b"), path_component("a b"));
    }
}
