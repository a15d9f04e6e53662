//! One file per subcommand behind a single dispatch.
//!
//! The dispatch says what each command needs ([`Ask`]), resolves it once into
//! [`Settings`], which hands every secret in force to the output boundary as it
//! finds it, before a command (or an error) prints anything. Commands never import
//! each other: what two share lives in a domain module (`request`, `endpoints`, `transport`).

pub mod audit;
pub mod capture;
pub mod docs;
pub mod doctor;
pub mod dry_run;
pub mod payloads;
pub mod send;
pub mod show_config;
pub mod validate;

use anyhow::{Context as _, Result};

use crate::cli::{Cli, Command, NetworkArgs, RequestArgs, ValuesArgs};
use crate::diagnostic::Diagnostic;
use crate::endpoints::EndpointId;
use crate::output::Output;
use crate::request::{self, BodyChoice, Prepared};
use crate::resolve::{Ask, Environment, Settings, ValuesFlags, ValuesNeed};

/// What every command needs besides its own arguments and settings.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Where output goes.
    pub out: &'a Output,
}

/// Runs the parsed command line. Every way a run can fail is an error, most a
/// [`crate::error::Failure`] that knows its exit code: a command cannot end
/// non-zero without saying why on standard error.
pub fn run(cli: &Cli, env: &Environment, out: &Output) -> Result<()> {
    let none = ValuesArgs::default();
    let flags = cli.command.values().unwrap_or(&none);
    let values = ValuesFlags {
        files: &flags.values,
        set: &flags.set,
        set_string: &flags.set_string,
        chart_version: flags.chart_version.as_deref(),
        manifests: match &cli.command {
            Command::ShowConfig(args) => &args.manifests,
            Command::Audit(args) => &args.manifests,
            Command::Doctor(args) => &args.manifests,
            _ => &[],
        },
    };
    let settings = Settings::resolve(&ask(&cli.command), values, env, out)?;
    for (label, text) in settings.explain() {
        out.detail(label, &text);
    }
    let context = Context { out };
    match &cli.command {
        Command::ShowConfig(args) => show_config::run(args, &settings, context),
        Command::Payloads(args) => payloads::run(args, &settings, context),
        Command::DryRun(args) => dry_run::run(args, &settings, context),
        Command::Send(args) => send::run(args, &settings, context),
        Command::Doctor(args) => doctor::run(args, &settings, context),
        Command::Validate(args) => validate::run(args, &settings, context),
        Command::Capture(args) => capture::run(args, &settings, context),
        Command::Audit(args) => audit::run(args, &settings, context),
        Command::Completions { shell } => out.print(&docs::completions(*shell)),
        Command::Man { page, dir } => docs::man(*page, dir.as_deref(), out),
    }
}

/// What each command needs resolved.
fn ask(command: &Command) -> Ask<'_> {
    match command {
        Command::ShowConfig(_) => Ask::values(ValuesNeed::Discover),
        Command::Payloads(_) => Ask::values(ValuesNeed::NamedElseDefaults),
        Command::DryRun(args) => request_ask(&args.request),
        Command::Send(args) => Ask {
            network: Some(args.network.clone()),
            ..request_ask(&args.request)
        },
        Command::Doctor(args) => Ask {
            values: ValuesNeed::Discover,
            beacon: Some(args.url.as_deref()),
            license: None,
            // No retries: each step is tried once and reported; doctor sends no
            // license or payload, so plain http is no risk.
            network: Some(NetworkArgs {
                reach: args.reach.clone(),
                retries: 0,
                allow_http: true,
            }),
            proxy_from_values: true,
            stdin: None,
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
        Command::Capture(args) => Ask {
            license: Some(args.license_file.as_deref()),
            // Only a relay talks to a Beacon, through the proxy and CA resolved here.
            beacon: args.forward.as_deref().map(Some),
            network: args.forward.as_ref().map(|_| args.network.clone()),
            ..Ask::values(ValuesNeed::None)
        },
        Command::Audit(args) => Ask {
            stdin: args
                .ledgers
                .iter()
                .any(|f| f.as_os_str() == "-")
                .then_some("audit's LEDGER `-`"),
            ..Ask::values(ValuesNeed::Named)
        },
        Command::Completions { .. } | Command::Man { .. } => Ask::values(ValuesNeed::None),
    }
}

fn request_ask(request: &RequestArgs) -> Ask<'_> {
    Ask {
        values: ValuesNeed::Discover,
        beacon: Some(request.url.as_deref()),
        license: Some(request.license_file.as_deref()),
        network: None,
        proxy_from_values: false,
        stdin: request
            .payload
            .as_deref()
            .filter(|p| p.as_os_str() == "-")
            .map(|_| "--payload -"),
    }
}

/// The request `dry-run` prints and `send` sends, after saying on standard error
/// what the user should know (a joined URL path, the published sample's defects);
/// and, when the values turn the endpoint off, the warning that says so, for the
/// caller to show or to fail with.
fn prepare(
    id: EndpointId,
    request: &RequestArgs,
    settings: &Settings,
    out: &Output,
) -> Result<(Prepared, Option<Diagnostic>)> {
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
    Ok((prepared, off))
}

/// A part of the settings the dispatch resolved for this command.
fn resolved<'a, T>(part: &'a Option<T>, what: &str) -> Result<&'a T> {
    part.as_ref()
        .with_context(|| format!("internal: the {what} was not resolved for this command"))
}
