//! `atlas-snapshots`: get, list and wait for MongoDB Atlas backup snapshots of shared-tier
//! (M2/M5), flex and dedicated clusters from the command line, take and delete a dedicated
//! cluster's snapshots; run a local Atlas mock; see the whole stack work offline with
//! `atlas-snapshots demo`.
//!
//! Exit codes: 0 ok, 1 API error, 2 usage, 3 not found, 4 authentication, 5 network or timeout,
//! 6 snapshot FAILED (`wait`, `take --wait`). See `atlas-snapshots --help` and the crate's README.

mod cache_file;
mod cli;
mod commands;
mod config;
mod credentials;
mod digest_cache;
mod duration;
mod errors;
mod failure;
mod logging;
mod output;
mod profile;
mod tables;
mod token_cache;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::errors::{CliError, Exit};
use crate::output::Ui;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ui = Ui::detect(&cli.global);
    logging::init(cli.global.verbose, ui.color_err());

    let result = match cli.command {
        Command::Completions(args) => commands::completions(&args),
        command => match runtime_for(&command) {
            Ok(rt) => rt.block_on(commands::run(command, ui)),
            Err(e) => Err(CliError::new(
                Exit::Api,
                format!("cannot start the async runtime: {e}"),
            )),
        },
    };
    match result {
        Ok(exit) => exit.into(),
        Err(err) => {
            let text = logging::redact(&err.render(ui.color_err()));
            let _ = std::io::stderr().lock().write_all(text.as_bytes());
            err.exit.into()
        }
    }
}

/// The runtime a command runs on. A client command is one task talking to one server: on one
/// thread, a response body's chunks reach the task that reads them without a wake-up of another
/// thread (on a 2-worker runtime every chunk of a download crossed threads twice). `mock` and
/// `demo` serve connections, so they get worker threads.
fn runtime_for(command: &Command) -> std::io::Result<tokio::runtime::Runtime> {
    match command {
        Command::Mock(_) | Command::Demo(_) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build(),
        _ => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
    }
}
