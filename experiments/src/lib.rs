//! `shardsim`: the command line of the shardsim cluster simulator, as a library.
//!
//! This crate is the only one that touches files, the terminal, the clock or the environment;
//! `sim`, `model` and `optimizer` are pure libraries underneath it. The binary (`main.rs`) parses
//! the command line ([`cli`]) and hands it to [`commands::dispatch`]; each command is a library
//! function there, so the default experiment and the tests call the same code as the CLI.
//!
//! ```text
//! cli/        the clap argument structs (their doc comments are the help text)
//! commands/   one module per command: the handler and the library function it calls
//! scenario/   scenario files: the TOML schema, names resolved, built into a ClusterConfig
//! run/        one run of a scenario, and its result files
//! compare/    the runs of a policy comparison, and its result files
//! facts/      stylised facts of a simulated market day beside published values
//! forecast/   forecasting rows, model files, the dataset and forecast.csv
//! report/     what results say: run summary, comparison table, statistics
//! bench       wall-clock benchmarks
//! plot        result files read back (through their row types) into charts
//! charts/     the charts themselves (plotters), one file per chart
//! io/         atomic writes, CSV tables and their number formats, durations
//! ```

pub mod bench;
pub mod bench_scaling;
pub mod charts;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod facts;
pub mod forecast;
pub mod io;
pub mod plot;
pub mod report;
pub mod run;
pub mod scenario;
