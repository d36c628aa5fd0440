//! What the CLI tests share: running the `shardsim` binary, reading its output, the fixtures,
//! and listing the files a command wrote.
// Each test file uses a part of this module; the rest is dead code in that test crate.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The small test scenario: two shard groups, two functions, two sources, one crash.
pub const SMALL: &str = include_str!("../fixtures/small.toml");

/// Runs `shardsim ARGS`.
pub fn shardsim(args: &[&str]) -> Output {
    shardsim_env(args, &[])
}

/// Runs `shardsim ARGS` with extra environment variables.
pub fn shardsim_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_shardsim"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the shardsim binary runs")
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fixture file's path.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Every file under `dir` (and its subdirectories: the charts), by relative name, sorted.
pub fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_dir() {
            for (inner, bytes) in files(&e.path()) {
                v.push((format!("{name}/{inner}"), bytes));
            }
        } else {
            v.push((name, std::fs::read(e.path()).unwrap()));
        }
    }
    v.sort();
    v
}

/// Runs `shardsim ARGS`, killing it after `limit`: `None` if it had not finished by then (a hang).
// A hang is a matter of wall time, the one clock this helper may read.
#[allow(clippy::disallowed_methods)]
pub fn shardsim_within(args: &[&str], limit: std::time::Duration) -> Option<Output> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_shardsim"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the shardsim binary starts");
    let deadline = std::time::Instant::now() + limit;
    while child.try_wait().expect("waiting on shardsim").is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().expect("killing a hung shardsim");
            child.wait().expect("reaping it");
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Some(child.wait_with_output().expect("its output"))
}
