//! One file per subcommand behind a single dispatch.
//!
//! The dispatch says what each command needs ([`Ask`]), resolves it once into
//! [`Settings`], which hands every secret in force to the output boundary as it
//! finds it, before a command (or an error) prints anything. Commands never import each other: what two share
//! lives in a domain module (`request`, `endpoints`, `transport`).

pub mod dry_run;
pub mod payloads;
pub mod send;
pub mod show_config;
pub mod validate;

use anyhow::{Context as _, Result};
use clap::CommandFactory;

use crate::cli::{Cli, Command, Global, RequestArgs};
use crate::endpoints::EndpointId;
use crate::error::Exit;
use crate::output::Output;
use crate::request::{self, BodyChoice, Prepared};
use crate::resolve::{Ask, Environment, Settings, ValuesFlags, ValuesNeed};

/// What every command needs besides its own arguments and settings.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The global options.
    pub global: &'a Global,
    /// Where output goes.
    pub out: &'a Output,
}

/// Runs the parsed command line and returns how the run ends.
pub fn run(cli: &Cli, env: &Environment, out: &Output) -> Result<Exit> {
    let values = ValuesFlags {
        files: &cli.global.values,
        set: &cli.global.set,
        set_string: &cli.global.set_string,
        chart_version: cli.global.chart_version.as_deref(),
        manifests: match &cli.command {
            Command::ShowConfig(args) => &args.manifests,
            _ => &[],
        },
    };
    let settings = Settings::resolve(&ask(&cli.command), values, env, out)?;
    let context = Context {
        global: &cli.global,
        out,
    };
    match &cli.command {
        Command::ShowConfig(args) => show_config::run(args, &settings, context),
        Command::Payloads(args) => payloads::run(args, &settings, context),
        Command::DryRun(args) => dry_run::run(args, &settings, context),
        Command::Send(args) => send::run(args, &settings, context),
        Command::Validate(args) => validate::run(args, &settings, context),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "beacon-cli", &mut script);
            out.print(&String::from_utf8_lossy(&script))?;
            Ok(Exit::Success)
        }
        Command::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .context("cannot render the man page")?;
            out.print(&String::from_utf8_lossy(&page))?;
            Ok(Exit::Success)
        }
    }
}

/// What each command needs resolved.
fn ask(command: &Command) -> Ask<'_> {
    match command {
        Command::ShowConfig(_) => Ask::values(ValuesNeed::Discover),
        Command::Payloads(_) => Ask::values(ValuesNeed::NamedElseDefaults),
        Command::DryRun(args) => request_ask(&args.request),
        Command::Send(args) => Ask {
            network: Some(&args.network),
            ..request_ask(&args.request)
        },
        Command::Validate(args) => Ask {
            license: Some(args.license_file.as_deref()),
            stdin: args
                .file
                .as_deref()
                .filter(|f| f.as_os_str() == "-")
                .map(|_| "validate's FILE `-`"),
            ..Ask::values(ValuesNeed::Named)
        },
        Command::Completions { .. } | Command::Man => Ask::values(ValuesNeed::None),
    }
}

fn request_ask(request: &RequestArgs) -> Ask<'_> {
    Ask {
        values: ValuesNeed::Discover,
        beacon: Some(request.url.as_deref()),
        license: Some(request.license_file.as_deref()),
        network: None,
        stdin: request
            .payload
            .as_deref()
            .filter(|p| p.as_os_str() == "-")
            .map(|_| "--payload -"),
    }
}

/// The request `dry-run` prints and `send` sends, after saying on standard error
/// what the user should know (a joined URL path, the published sample's defects,
/// an endpoint the values turn off); and whether the values turn it off.
fn prepare(
    id: EndpointId,
    request: &RequestArgs,
    settings: &Settings,
    out: &Output,
) -> Result<(Prepared, bool)> {
    let body = BodyChoice {
        payload: request.payload.clone(),
        synthetic: request.synthetic,
        seed: request.seed,
        gzip: request.gzip,
    };
    let prepared = request::prepare(
        id,
        &body,
        resolved(&settings.beacon, "Beacon URL")?,
        resolved(&settings.license, "license")?,
    )?;
    for note in &prepared.notes {
        out.diagnostic(note);
    }
    let off = settings
        .report()
        .and_then(|report| request::turned_off(id, report));
    if let Some(warning) = &off {
        out.diagnostic(warning);
    }
    Ok((prepared, off.is_some()))
}

/// A part of the settings the dispatch resolved for this command.
fn resolved<'a, T>(part: &'a Option<T>, what: &str) -> Result<&'a T> {
    part.as_ref()
        .with_context(|| format!("internal: the {what} was not resolved for this command"))
}
