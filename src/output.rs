//! Everything that writes to standard output: tables, JSON, YAML and colour.
//!
//! Commands build their data, then hand it here. JSON and YAML are the real
//! structs serialised, never coloured. Colour is decided once, in [`Paint::new`].

use std::io::{IsTerminal, Write};

use anyhow::{Context, Result};
use clap::ValueEnum;
use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Tables and text for people.
    Table,
    /// One JSON document, for scripts.
    Json,
    /// The same data as YAML.
    Yaml,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when standard output is a terminal and `NO_COLOR` is unset or empty.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Applies colour to human output, or does nothing when colour is off.
#[derive(Debug, Clone, Copy)]
pub struct Paint {
    enabled: bool,
}

impl Paint {
    /// Decides once whether to colour: `--color`, then `NO_COLOR`, then whether
    /// standard output is a terminal.
    pub fn new(choice: ColorChoice, no_color: Option<&std::ffi::OsStr>) -> Self {
        let enabled = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                no_color.is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
            }
        };
        Self { enabled }
    }

    /// Whether colour is on.
    pub fn enabled(self) -> bool {
        self.enabled
    }

    fn style(self, text: &str, style: anstyle::Style) -> String {
        if self.enabled {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }

    /// Green: something off, or good news.
    pub fn good(self, text: &str) -> String {
        self.style(text, anstyle::AnsiColor::Green.on_default())
    }

    /// Yellow: a warning, something on by default.
    pub fn warn(self, text: &str) -> String {
        self.style(text, anstyle::AnsiColor::Yellow.on_default().bold())
    }

    /// Red: an error, something that always leaves.
    pub fn bad(self, text: &str) -> String {
        self.style(text, anstyle::AnsiColor::Red.on_default().bold())
    }

    /// Bold: headings.
    pub fn bold(self, text: &str) -> String {
        self.style(text, anstyle::Style::new().bold())
    }

    /// Dim: secondary detail.
    pub fn dim(self, text: &str) -> String {
        self.style(text, anstyle::Style::new().dimmed())
    }
}

/// A table in the house style, wrapped to the terminal's width when there is one.
pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.iter().copied());
    table
}

/// Serialises data for `--output json` (pretty, with a final newline).
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    let mut text =
        serde_json::to_string_pretty(value).context("cannot serialise the output as JSON")?;
    text.push('\n');
    Ok(text)
}

/// Serialises data for `--output yaml`.
pub fn to_yaml<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_yaml::to_string(value).context("cannot serialise the output as YAML")
}

/// Renders data in the chosen machine format, or `None` for tables.
pub fn machine<T: Serialize + ?Sized>(format: Format, value: &T) -> Result<Option<String>> {
    match format {
        Format::Json => to_json(value).map(Some),
        Format::Yaml => to_yaml(value).map(Some),
        Format::Table => Ok(None),
    }
}

/// Writes text to standard output in one go. A closed pipe surfaces as an
/// `io::Error` of kind `BrokenPipe`, which `main` ends quietly.
pub fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("cannot write to standard output")
}

/// A `warning:`, `note:` or `hint:` line on standard error, never coloured.
#[allow(clippy::print_stderr)]
pub fn diagnostic(label: &str, text: &str) {
    eprintln!("{label}: {text}");
}
