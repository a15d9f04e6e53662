//! The entry point: parse the arguments, run, turn an error into a message and a code.

use std::process::ExitCode;

use clap::Parser;

use beacon_cli::{cli::Cli, commands, error};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(err) if error::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let (exit, hint) = error::exit_for(&err);
            report(&err, hint);
            ExitCode::from(exit.code())
        }
    }
}

/// `error: <what>`, then `  caused by: <why>` lines, then one `hint:` line.
#[allow(clippy::print_stderr)]
fn report(err: &anyhow::Error, hint: Option<&str>) {
    eprintln!("error: {err}");
    for cause in err.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
    if let Some(hint) = hint {
        eprintln!("hint: {hint}");
    }
}
