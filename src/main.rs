//! The entry point: parse the arguments, run, turn an error into a message and a code.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use beacon_cli::cli::Cli;
use beacon_cli::commands;
use beacon_cli::error::Exit;
use beacon_cli::output::{ColorChoice, Output, Paint, Verbosity, Widths};
use beacon_cli::resolve::Environment;

/// mimalloc: `capture` allocates on the runtime's threads and frees on the
/// ledger's writer, where glibc's allocator makes the threads wait for each
/// other's arena locks (BENCHMARKS.md, capture).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let cli = parse(&args);
    let env = Environment::capture();
    let ui = cli.command.ui();
    let paint = Paint::new(ui.color, env.get("NO_COLOR").is_some());
    let out = Output::new(
        paint,
        Widths::detect(env.get("COLUMNS")),
        Verbosity::from_flags(ui.quiet, ui.verbose),
    );
    let exit = match commands::run(&cli, &env, &out) {
        Ok(()) => Exit::Success,
        Err(err) => out.fail(&err),
    };
    ExitCode::from(exit.code())
}

/// Parses the command line; clap's own errors and help follow `--color` too,
/// which is read from the raw arguments before clap has parsed them.
fn parse(args: &[OsString]) -> Cli {
    let color = match color_flag(args) {
        Some(ColorChoice::Never) => clap::ColorChoice::Never,
        Some(ColorChoice::Always) => clap::ColorChoice::Always,
        Some(ColorChoice::Auto) | None => clap::ColorChoice::Auto,
    };
    let matches = Cli::command()
        .color(color)
        .get_matches_from(help_without_help(args));
    Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit())
}

/// The last `--color WHEN` or `--color=WHEN` before a `--`, if any.
fn color_flag(args: &[OsString]) -> Option<ColorChoice> {
    let mut found = None;
    let mut args = args.iter().skip(1).filter_map(|a| a.to_str());
    while let Some(arg) = args.next() {
        let value = match arg {
            "--" => break,
            "--color" => args.next(),
            _ => arg.strip_prefix("--color="),
        };
        if let Some(value) = value {
            found = clap::ValueEnum::from_str(value, false).ok().or(found);
        }
    }
    found
}

/// `beacon-cli help --help` (and `help send -h`), which clap refuses, read as
/// `help` (and `help send`): the help that was asked for.
fn help_without_help(args: &[OsString]) -> Vec<OsString> {
    if args.get(1).is_none_or(|a| a != "help") {
        return args.to_vec();
    }
    args.iter()
        .filter(|a| *a != "--help" && *a != "-h")
        .cloned()
        .collect()
}
