//! `shardsim`: the command line of the shardsim cluster simulator (see the library crate for
//! what each command does).

use std::process::ExitCode;

use clap::Parser;
use shardsim::cli::Cli;

fn main() -> ExitCode {
    match shardsim::commands::dispatch(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
