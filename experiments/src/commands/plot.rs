//! `shardsim plot DIR`.

use std::path::Path;

use anyhow::Result;

use crate::plot;

/// Renders every chart `dir` supports and prints the files written.
pub fn command(dir: &Path) -> Result<()> {
    let written = plot::plot_dir(dir)?;
    for p in &written {
        println!("{}", p.display());
    }
    Ok(())
}
