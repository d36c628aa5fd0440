//! `shardsim`: the command line of the shardsim cluster simulator (see the library crate for
//! what each command does).

use std::process::ExitCode;

use clap::Parser;
use shardsim::cli::Cli;

fn main() -> ExitCode {
    // Output piped into `head` (or any reader that stops early) ends the program quietly, as
    // for any Unix tool, instead of panicking on the next line printed.
    sigpipe::reset();
    match shardsim::commands::dispatch(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
