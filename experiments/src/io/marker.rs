//! Completion markers: a directory of files written as a unit, with `done.json` written last
//! holding what the files were made from (a key) and each file's hash. The marker is removed
//! before the files are rewritten, so files without a matching marker are never taken for
//! finished, and a rerun that finds the same key can use them instead of making them again.

use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::atomic::remove_synced;
use super::manifest::content_hash;
use super::{write_atomic, write_json};

/// The marker's file name.
pub const MARKER: &str = "done.json";

/// The marker: the key, then each file's name and hash.
#[derive(Serialize, serde::Deserialize)]
struct Marker<K> {
    key: K,
    files: Vec<(String, String)>,
}

/// Writes `files` (name, bytes) into `dir`, each atomically, then the marker holding `key`.
pub fn write_marked<K: Serialize>(dir: &Path, key: &K, files: &[(&str, Vec<u8>)]) -> Result<()> {
    remove_synced(&dir.join(MARKER))?;
    let mut hashes = Vec::new();
    for (name, bytes) in files {
        write_atomic(&dir.join(name), bytes)?;
        hashes.push(((*name).to_owned(), content_hash(bytes)));
    }
    write_json(&dir.join(MARKER), &Marker { key, files: hashes })
        .with_context(|| format!("finishing {}", dir.display()))
}

/// Whether `dir` holds files finished for `key`: its marker holds `key` and every file it lists
/// has the hash it lists (false, never an error, for anything missing, torn or different).
pub fn is_finished<K: DeserializeOwned + PartialEq>(dir: &Path, key: &K) -> bool {
    let Some(marker) = std::fs::read(dir.join(MARKER))
        .ok()
        .and_then(|b| serde_json::from_slice::<Marker<K>>(&b).ok())
    else {
        return false;
    };
    marker.key == *key
        && marker.files.iter().all(|(name, hash)| {
            std::fs::read(dir.join(name)).is_ok_and(|b| content_hash(&b) == *hash)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finished_only_for_the_same_key_and_untouched_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("run");
        assert!(!is_finished(&d, &1u32));
        write_marked(&d, &1u32, &[("a.csv", b"x\n".to_vec())]).unwrap();
        assert!(is_finished(&d, &1u32));
        assert!(!is_finished(&d, &2u32));
        std::fs::write(d.join("a.csv"), b"y\n").unwrap();
        assert!(!is_finished(&d, &1u32));
    }
}
