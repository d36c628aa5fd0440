//! `shardsim validate` and `shardsim scenarios`.

use anyhow::Result;

use crate::io::units::hours_or_minutes;
use crate::scenario::{self, Scenario};

/// Checks a scenario (a file or a built-in name) and prints what it holds.
pub fn command(name: &str) -> Result<()> {
    let s = Scenario::load(name)?;
    let (shards, functions, sources, rate) = s.stats();
    println!(
        "ok: {} — {} simulated, {shards} shards, {functions} functions at start, {sources} sources, ≈{rate:.0} events/s before bursts",
        s.name,
        hours_or_minutes(s.duration)
    );
    Ok(())
}

/// Prints every built-in scenario with its one-line description.
pub fn list_scenarios() {
    for (name, text) in scenario::BUILT_IN {
        match Scenario::parse(text, name) {
            Ok(s) => println!("{name:<20} {}", s.description),
            Err(e) => println!("{name:<20} (invalid: {e})"),
        }
    }
}
