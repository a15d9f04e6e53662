//! One file per subcommand behind a single dispatch.

pub mod dry_run;
pub mod payloads;
pub mod send;
pub mod show_config;
pub mod validate;

use anyhow::{Context as _, Result};
use clap::CommandFactory;

use crate::cli::{Cli, Command, Global};
use crate::config::{LoadOptions, Values};
use crate::error::Exit;
use crate::output::{self, Paint};

/// What every command needs besides its own arguments.
#[derive(Debug)]
pub struct Context {
    /// The global options.
    pub global: Global,
    /// Colour, decided once.
    pub paint: Paint,
}

impl Context {
    /// Reads the values the global options and the environment name.
    pub fn values(&self) -> Result<Values> {
        let env_config = std::env::var_os("LANGSMITH_CONFIG").filter(|v| !v.is_empty());
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        Values::load(&LoadOptions {
            files: self.global.values.clone(),
            set: self.global.set.clone(),
            set_string: self.global.set_string.clone(),
            env_config,
            cwd,
        })
    }
}

/// Runs the parsed command line and returns the exit status.
pub fn run(cli: Cli) -> Result<Exit> {
    let paint = Paint::new(cli.global.color, std::env::var_os("NO_COLOR").as_deref());
    let context = Context {
        global: cli.global,
        paint,
    };
    match cli.command {
        Command::ShowConfig(args) => show_config::run(&args, &context),
        Command::Payloads(args) => payloads::run(&args, &context),
        Command::DryRun(args) => dry_run::run(&args, &context),
        Command::Send(args) => send::run(&args, &context),
        Command::Validate(args) => validate::run(&args, &context),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "beacon-cli", &mut script);
            output::print(&String::from_utf8_lossy(&script))?;
            Ok(Exit::Success)
        }
        Command::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .context("cannot render the man page")?;
            output::print(&String::from_utf8_lossy(&page))?;
            Ok(Exit::Success)
        }
    }
}
