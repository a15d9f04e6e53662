//! The command line: every flag, subcommand and help text.
//!
//! The doc comment on each field is its `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::error::EXIT_CODES_HELP;
use crate::output::{ColorChoice, Format};

const ABOUT: &str = "What a self-hosted LangSmith sends to LangChain's Beacon service, read from your own Helm values";

const LONG_ABOUT: &str = "\
What a self-hosted LangSmith sends to LangChain's Beacon service, read from your own Helm values.

beacon-cli reads the values file you install the LangSmith chart with (langsmith_config.yaml)
and tells you which Beacon endpoints your installation calls, whether each can be turned off,
and which key in which file decided it.";

const AFTER_HELP: &str = "\
Examples:
  beacon-cli show-config                          # the chart's defaults, or ./langsmith_config.yaml
  beacon-cli show-config -f base.yaml -f prod.yaml
  helm get values langsmith -o yaml | beacon-cli show-config -f -
  beacon-cli show-config --output json | jq '.endpoints[] | select(.enabled) | .url'

Values come from: the -f files in order; else $LANGSMITH_CONFIG; else ./langsmith_config.yaml;
else the chart's defaults. --set and --set-string apply after every file, as in Helm.
";

/// beacon-cli: what leaves your network for Beacon, and proof of it.
#[derive(Debug, Parser)]
#[command(
    name = "beacon-cli",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = format!("{AFTER_HELP}\n{EXIT_CODES_HELP}"),
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: Global,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// A Helm values file; repeat to layer several (the later file wins), `-` reads standard
    /// input. Without -f: $LANGSMITH_CONFIG, else ./langsmith_config.yaml, else the chart's defaults
    #[arg(short = 'f', long = "values", value_name = "FILE", global = true)]
    pub values: Vec<PathBuf>,

    /// Set a value as `helm --set` does, after all files: `config.telemetry.metrics=false`,
    /// `commonEnv[0].name=X`; `true`, `false`, `null` and integers are typed (repeatable)
    #[arg(long, value_name = "KEY=VALUE", global = true)]
    pub set: Vec<String>,

    /// Set a value that stays a string, as `helm --set-string` does (repeatable)
    #[arg(long = "set-string", value_name = "KEY=VALUE", global = true)]
    pub set_string: Vec<String>,

    /// Output format: tables for people, JSON or YAML for scripts
    #[arg(short = 'o', long, value_enum, value_name = "FORMAT", default_value_t = Format::Table, global = true)]
    pub output: Format,

    /// When to colour the output (NO_COLOR is honoured with `auto`)
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show every Beacon endpoint your values turn on, and which key decided it
    #[command(
        visible_alias = "config",
        long_about = "\
Show every Beacon endpoint your values turn on, and which key decided it.

For each of the six endpoints: its URL, its class (billing, operational, usage), whether it is
on, whether it can be turned off, and the key, file and line that decided it. Also the Beacon
base URL in force, where the license key comes from (as a fingerprint, never the key), proxy
variables, the Engine's destination, and every trap in the values: commonEnv overrides, quoted
booleans, misspelt keys, a map-shaped commonEnv, unset usage snapshots and more.",
        after_help = "\
Examples:
  beacon-cli show-config
  beacon-cli show-config -f langsmith_config.yaml --strict      # exit 3 on any warning, for CI
  beacon-cli show-config --set config.telemetry.metrics=false   # what if?
  beacon-cli show-config -o json | jq '.warnings[].code'"
    )]
    ShowConfig(ShowConfigArgs),

    /// Print a shell completion script: `beacon-cli completions bash > /etc/bash_completion.d/beacon-cli`
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },

    /// Print the man page (roff): `beacon-cli man > /usr/local/share/man/man1/beacon-cli.1`
    Man,
}

/// `show-config` options.
#[derive(Debug, Args)]
pub struct ShowConfigArgs {
    /// Exit with code 3 when there is any warning, for CI pipelines that gate on it
    #[arg(long)]
    pub strict: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_sound() {
        Cli::command().debug_assert();
    }
}
