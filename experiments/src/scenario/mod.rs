//! Scenario files: the TOML a user writes, checked into a runnable [`ClusterConfig`].
//!
//! Parsing refuses unknown fields and names the file, line, field and what is allowed. After
//! parsing, cross-checks catch references that cannot work (a function routed to a protocol no
//! shard serves, a fault on a shard that does not exist, weights that do not sum to 1) before
//! anything runs, again with the line of the offending value.
//!
//! ```text
//! schema    the file as serde reads it
//! error     ScenarioError, and spans turned into lines
//! resolve   every name in the file resolved to an id, with one kind of error for unknown names
//! build     one function per section, from the parsed file to a ClusterConfig
//! ```

mod build;
mod error;
mod resolve;
mod schema;

use std::path::Path;

use shardsim_sim::cluster::{ClusterConfig, Interner, RateShape};
use shardsim_sim::{SimDuration, SimTime};

pub use error::ScenarioError;
use error::{Ctx, allowed};

/// The built-in scenarios: (name, TOML); each file's `description` is its one-line summary.
pub const BUILT_IN: [(&str, &str); 8] = [
    ("calm_day", include_str!("../../scenarios/calm_day.toml")),
    (
        "market_volatility",
        include_str!("../../scenarios/market_volatility.toml"),
    ),
    (
        "arbitrage_surge",
        include_str!("../../scenarios/arbitrage_surge.toml"),
    ),
    (
        "whale_activity",
        include_str!("../../scenarios/whale_activity.toml"),
    ),
    (
        "protocol_launch",
        include_str!("../../scenarios/protocol_launch.toml"),
    ),
    ("macro_day", include_str!("../../scenarios/macro_day.toml")),
    (
        "liquidation_cascade",
        include_str!("../../scenarios/liquidation_cascade.toml"),
    ),
    (
        "memoryless_shocks",
        include_str!("../../scenarios/memoryless_shocks.toml"),
    ),
];

/// A scenario, checked and ready to build.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Its name.
    pub name: String,
    /// One line about it.
    pub description: String,
    /// How long sources emit.
    pub duration: SimDuration,
    /// Metrics interval.
    pub metrics_interval: SimDuration,
    /// The seed used when none is given.
    pub default_seed: u64,
    /// The routing policy name used when none is given.
    pub routing: String,
    /// The published episodes it is shaped on (ids of [`crate::facts::published::EPISODES`]):
    /// `shardsim facts` compares their single-episode figures with it.
    pub shaped_on: Vec<String>,
    /// Stable hash of the scenario text.
    pub hash: u64,
    /// Where it came from, for messages and the manifest (never an absolute path).
    pub origin: String,
    config: ClusterConfig,
    /// Event type names by id.
    pub event_types: Interner,
}

impl Scenario {
    /// A built-in scenario by name, or a file by path.
    pub fn load(name_or_path: &str) -> Result<Scenario, ScenarioError> {
        if let Some((name, text)) = BUILT_IN.iter().find(|(n, _)| *n == name_or_path) {
            return Scenario::parse(text, &format!("<built-in {name}>"));
        }
        let path = Path::new(name_or_path);
        if !path.exists() {
            let names: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
            return Err(ScenarioError::file(
                name_or_path,
                format!(
                    "no such file, and not a built-in scenario ({})",
                    allowed(names)
                ),
            ));
        }
        if let Ok(meta) = std::fs::metadata(path)
            && meta.len() > MAX_SCENARIO_BYTES as u64
        {
            return Err(too_large(name_or_path, meta.len()));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| ScenarioError::file(name_or_path, format!("cannot read: {e}")))?;
        // Messages and manifests name the file as given, without resolving it to an absolute path.
        Scenario::parse(&text, name_or_path)
    }

    /// Parses and checks scenario text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        if text.len() > MAX_SCENARIO_BYTES {
            return Err(too_large(file, text.len() as u64));
        }
        let ctx = Ctx::new(file, text);
        let raw: schema::ScenarioFile = toml::from_str(text).map_err(|e| {
            let mut err = ctx.toml_error(&e);
            if let Some(names) = err.line.and_then(|l| allowed_names_at(text, l))
                && e.message().trim() == "wanted string or table"
            {
                err.message = format!("expected one of {names}, in quotes");
            }
            err
        })?;
        build::build(&ctx, raw)
    }

    /// The cluster configuration for a run of `duration` (the scenario's own when `None`). A
    /// run shortened below the scenario's duration leaves out the faults that would start at or
    /// after its end (they would strike only the drain), and the market's calendar events
    /// from its end on (they would fall after the path).
    pub fn config(&self, duration: Option<SimDuration>) -> ClusterConfig {
        let mut c = self.config.clone();
        let d = duration.unwrap_or(self.duration);
        c.arrivals_until = SimTime::ZERO + d;
        c.faults.retain(|f| f.at < c.arrivals_until);
        let end = c.arrivals_until;
        if let Some(m) = &mut c.market {
            m.calendar.retain(|e| e.at < end);
        }
        c
    }

    /// Counts for `shardsim validate` and `scenarios`.
    pub fn stats(&self) -> (usize, usize, usize, f64) {
        let c = &self.config;
        let mean_rate: f64 = c
            .sources
            .iter()
            .map(|s| mean_multiplier(&s.shape) * s.rate_per_sec)
            .sum();
        (
            c.topology.shards.len(),
            c.functions.len(),
            c.sources.len(),
            mean_rate,
        )
    }
}

/// The names a field of a named kind (`cpu`, `kind`, …) allows, for an error about its value on
/// `line`: the parser's own list, from the same text with that value replaced by an unknown name.
fn allowed_names_at(text: &str, line: usize) -> Option<String> {
    let probe: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| match l.split_once('=') {
            Some((key, _)) if i + 1 == line => format!("{key}= \"?\""),
            _ => l.to_owned(),
        })
        .collect();
    let e = toml::from_str::<schema::ScenarioFile>(&probe.join("\n")).err()?;
    e.message()
        .strip_prefix("unknown variant `?`, expected ")
        .map(|names| names.trim().trim_start_matches("one of ").to_owned())
}

/// Largest scenario file read: 1 MiB, a hundred times the largest built-in. Parsing holds the
/// whole document in memory several times over, so a data file named by mistake (or a huge
/// array) is refused before it is read.
pub const MAX_SCENARIO_BYTES: usize = 1 << 20;

fn too_large(file: &str, bytes: u64) -> ScenarioError {
    ScenarioError::file(
        file,
        format!(
            "the file is {bytes} bytes; a scenario file is at most {MAX_SCENARIO_BYTES} bytes (1 MiB)"
        ),
    )
}

/// Every scenario of `names` (built-in names or files), in order; the first that fails is the
/// error.
pub fn load_all(names: &[String]) -> Result<Vec<Scenario>, ScenarioError> {
    names.iter().map(|n| Scenario::load(n)).collect()
}

/// The mean of a shape's daily × weekly profile (the long-run multiplier, ignoring regime/ramps).
fn mean_multiplier(shape: &RateShape) -> f64 {
    let d = if shape.daily.is_empty() {
        1.0
    } else {
        shape.daily.iter().sum::<f64>() / 24.0
    };
    let w = if shape.weekly.is_empty() {
        1.0
    } else {
        shape.weekly.iter().sum::<f64>() / 7.0
    };
    d * w
}
