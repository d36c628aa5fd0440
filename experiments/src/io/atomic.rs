//! Writing results atomically, so that a crash never leaves half a file.

use std::fs;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

/// Writes `bytes` to `path` by writing a temporary file beside it (a unique name, so that two
/// writers never share one), syncing it, renaming it over `path` and syncing the directory, so
/// that the rename itself survives a crash. Readers see the old file or the new one, never a
/// torn one; a failed write leaves no temporary file behind.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .with_context(|| format!("{} is not a file path", path.display()))?;
    create_dir_synced(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.", file_name.to_string_lossy()))
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .with_context(|| format!("writing {}", tmp.path().display()))?;
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("syncing {}", tmp.path().display()))?;
    // On failure the temporary file is handed back inside the error and removed when dropped.
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("renaming a temporary file to {}", path.display()))?;
    sync_dir(dir)
}

/// Creates `dir` (and its parents) if missing; a directory just made is synced into its parent,
/// so that files renamed into it are not lost with it.
pub fn create_dir_synced(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir).with_context(|| format!("creating directory {}", dir.display()))?;
    match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => sync_dir(parent),
        _ => Ok(()),
    }
}

/// Flushes `dir`'s entries (renames, removals) to disk.
pub fn sync_dir(dir: &Path) -> Result<()> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing directory {}", dir.display()))
}

/// Removes `path` if it is there, durably (the directory is synced): what a rerun does to a
/// completion marker before it rewrites the files the marker vouches for.
pub fn remove_synced(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => sync_dir(path.parent().unwrap_or(Path::new("."))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("removing {}", path.display())),
    }
}

/// Writes `value` as pretty-printed JSON to `path`, atomically.
pub fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    write_atomic(path, &serde_json::to_vec_pretty(value)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_and_replaces_without_leaving_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/out.json");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        assert_eq!(names_in(path.parent().unwrap()), ["out.json"]);
    }

    #[test]
    fn a_failed_write_names_the_path_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        // A non-empty directory where the file should go: the rename fails.
        let path = dir.path().join("taken");
        fs::create_dir_all(path.join("x")).unwrap();
        let err = write_atomic(&path, b"data").unwrap_err();
        assert!(format!("{err:#}").contains("taken"), "{err:#}");
        assert_eq!(names_in(dir.path()), ["taken"]);
    }

    #[test]
    fn concurrent_writers_to_one_path_never_collide() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shared.csv");
        // Each writer's content is its own byte repeated: a torn or mixed file would show two.
        let contents: Vec<Vec<u8>> = (0..8u8).map(|w| vec![b'a' + w; 64 * 1024]).collect();
        std::thread::scope(|s| {
            for content in &contents {
                let path = &path;
                s.spawn(move || {
                    for _ in 0..20 {
                        write_atomic(path, content).unwrap();
                    }
                });
            }
        });
        let last = fs::read(&path).unwrap();
        assert!(
            contents.contains(&last),
            "the file is not one writer's whole content"
        );
        assert_eq!(names_in(dir.path()), ["shared.csv"]);
    }

    #[test]
    fn removing_a_missing_file_is_fine() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("marker.json");
        remove_synced(&path).unwrap();
        write_atomic(&path, b"{}").unwrap();
        remove_synced(&path).unwrap();
        assert!(!path.exists());
    }
}
