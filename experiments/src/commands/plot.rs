//! `shardsim plot DIR`.

use std::path::Path;

use anyhow::Result;

use crate::io::manifest;
use crate::plot;

/// Renders every chart `dir` supports and prints the files written; a directory whose command
/// did not finish (no manifest, or files that do not match it) is refused.
pub fn command(dir: &Path) -> Result<()> {
    manifest::check_finished(dir)?;
    let written = plot::plot_dir(dir)?;
    for p in &written {
        println!("{}", p.display());
    }
    Ok(())
}
