//! The entry point: parse the arguments, run, turn an error into a message and a code.

use std::process::ExitCode;

use clap::Parser;

use beacon_cli::cli::Cli;
use beacon_cli::commands;
use beacon_cli::output::{Output, Paint, Widths};
use beacon_cli::resolve::Environment;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let env = Environment::capture();
    let paint = Paint::new(cli.global.color, env.get("NO_COLOR").is_some());
    let out = Output::new(paint, Widths::detect(env.get("COLUMNS")));
    let exit = match commands::run(&cli, &env, &out) {
        Ok(exit) => exit,
        Err(err) => out.fail(&err),
    };
    ExitCode::from(exit.code())
}
