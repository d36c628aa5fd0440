//! `manifest.json`, the last file a command writes into its result directory: its presence
//! says the command finished, and its `files` (each result file's name and hash) say the files
//! beside it are the ones it wrote. A command removes the old manifest before it writes
//! anything, so that a directory it is rewriting never looks finished; `shardsim plot` refuses
//! a directory whose manifest is missing or does not match.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use shardsim_sim::hash::stable_hash;

use super::atomic::remove_synced;

/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";

/// A result file as the manifest lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Its name in the directory.
    pub name: String,
    /// Stable hash of its bytes (FNV-1a, 16 hex digits).
    pub hash: String,
}

/// How manifests and completion markers name a file's content.
pub fn content_hash(bytes: &[u8]) -> String {
    format!("{:016x}", stable_hash(bytes))
}

/// Marks `dir` unfinished before a command writes into it: removes its manifest, if any.
pub fn begin(dir: &Path) -> Result<()> {
    remove_synced(&dir.join(MANIFEST))
}

/// The entries of the files `names` in `dir`, as they are now: what a manifest lists.
pub fn entries(dir: &Path, names: &[&str]) -> Result<Vec<FileEntry>> {
    names
        .iter()
        .map(|name| {
            let path = dir.join(name);
            let bytes =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            Ok(FileEntry {
                name: (*name).to_owned(),
                hash: content_hash(&bytes),
            })
        })
        .collect()
}

/// Checks that the command that wrote `dir` finished and that its files are still the ones it
/// wrote.
pub fn check_finished(dir: &Path) -> Result<()> {
    let path = dir.join(MANIFEST);
    let rerun =
        "rerun the command that writes it (an interrupted `compare` resumes where it stopped)";
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "{} has no {MANIFEST}: the command writing it did not finish (or it is not a result \
             directory of `run`, `compare` or `evaluate`); {rerun}",
            dir.display()
        ),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    #[derive(Deserialize)]
    struct Listed {
        files: Vec<FileEntry>,
    }
    let listed: Listed = serde_json::from_slice(&bytes).with_context(|| {
        format!(
            "{} is not a manifest of this shardsim (it has no `files` list of names and \
             hashes); {rerun}",
            path.display()
        )
    })?;
    for f in &listed.files {
        let file = dir.join(&f.name);
        let found = std::fs::read(&file).map(|b| content_hash(&b));
        match found {
            Ok(h) if h == f.hash => {}
            Ok(_) => bail!(
                "{} does not match {MANIFEST}: it was changed after the command finished, or a \
                 later command writing into {} did not finish; {rerun}",
                file.display(),
                dir.display()
            ),
            Err(_) => bail!(
                "{} is listed in {MANIFEST} but missing; {rerun}",
                file.display()
            ),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{write_atomic, write_json};

    fn finished_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        write_atomic(&dir.path().join("a.csv"), b"x\n1\n").unwrap();
        let files = entries(dir.path(), &["a.csv"]).unwrap();
        write_json(
            &dir.path().join(MANIFEST),
            &serde_json::json!({ "files": files }),
        )
        .unwrap();
        dir
    }

    #[test]
    fn a_finished_directory_passes() {
        check_finished(finished_dir().path()).unwrap();
    }

    #[test]
    fn no_manifest_is_unfinished() {
        let dir = finished_dir();
        begin(dir.path()).unwrap();
        let err = check_finished(dir.path()).unwrap_err().to_string();
        assert!(err.contains("has no manifest.json"), "{err}");
    }

    #[test]
    fn a_changed_or_missing_file_is_caught() {
        let dir = finished_dir();
        write_atomic(&dir.path().join("a.csv"), b"x\n2\n").unwrap();
        let err = check_finished(dir.path()).unwrap_err().to_string();
        assert!(err.contains("a.csv does not match manifest.json"), "{err}");
        std::fs::remove_file(dir.path().join("a.csv")).unwrap();
        let err = check_finished(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("a.csv is listed in manifest.json but missing"),
            "{err}"
        );
    }

    #[test]
    fn a_manifest_without_files_is_refused() {
        let dir = finished_dir();
        write_json(
            &dir.path().join(MANIFEST),
            &serde_json::json!({ "seed": 1 }),
        )
        .unwrap();
        let err = check_finished(dir.path()).unwrap_err().to_string();
        assert!(err.contains("is not a manifest of this shardsim"), "{err}");
    }
}
