//! The output boundary: everything beacon-cli writes to standard output or
//! standard error passes through [`Output`], which knows every secret in force and
//! hides it (see [`Redactor`]). Also tables, JSON, YAML and colour.
//!
//! Commands build their data, then hand it here. JSON and YAML are the real
//! structs serialised, never coloured. Colour is decided once, in [`Paint::new`].

use std::borrow::Cow;
use std::io::{IsTerminal, Write};

use anyhow::{Context, Result};
use clap::ValueEnum;
use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Severity};
use crate::error::{self, Exit};
use crate::secrets::{Redactor, Secret};

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
    /// Decides once whether to colour: `--color`, then `NO_COLOR` (set and not
    /// empty turns colour off), then whether standard output is a terminal.
    pub fn new(choice: ColorChoice, no_color: bool) -> Self {
        let enabled = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color && std::io::stdout().is_terminal(),
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

    /// The colour of a severity's label.
    pub fn severity(self, severity: Severity, text: &str) -> String {
        match severity {
            Severity::Error => self.bad(text),
            Severity::Warning => self.warn(text),
            Severity::Info | Severity::Note => self.bold(text),
        }
    }
}

/// How a diagnostic is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// On standard error: `warning: message`, then `hint: fix` flush left.
    Line,
    /// Inside a report for people: `warning[code]: message`, `  --> file:line`,
    /// then the indented hint with its corrected YAML.
    Report,
}

/// A diagnostic as text for people, in one of the two layouts.
pub fn render(diagnostic: &Diagnostic, style: Style, paint: Paint) -> String {
    let label = match style {
        Style::Line => diagnostic.severity.as_str().to_string(),
        Style::Report => format!("{}[{}]", diagnostic.severity.as_str(), diagnostic.code),
    };
    let mut out = format!(
        "{} {}\n",
        paint.severity(diagnostic.severity, &format!("{label}:")),
        diagnostic.message
    );
    let (indent, rest) = match style {
        Style::Line => ("", "  "),
        Style::Report => ("  ", "      "),
    };
    if style == Style::Report {
        if let Some(place) = diagnostic.location.shown() {
            out.push_str(&format!("  {} {place}\n", paint.dim("-->")));
        }
    }
    if let Some(hint) = &diagnostic.hint {
        let mut lines = hint.lines();
        if let Some(first) = lines.next() {
            out.push_str(&format!("{indent}{} {first}\n", paint.good("hint:")));
        }
        for line in lines {
            out.push_str(&format!("{rest}{line}\n"));
        }
    }
    out
}

/// The one way out of the program: standard output, standard error, and the
/// secrets that must never pass.
#[derive(Debug)]
pub struct Output {
    paint: Paint,
    redactor: Redactor,
}

impl Output {
    /// The boundary, with colour decided.
    pub fn new(paint: Paint) -> Self {
        Self {
            paint,
            redactor: Redactor::new(),
        }
    }

    /// Colour for standard output.
    pub fn paint(&self) -> Paint {
        self.paint
    }

    /// From now on, `secret` is hidden from everything written.
    pub fn protect(&self, secret: &Secret) {
        self.redactor.protect(secret);
    }

    /// `--reveal-secrets`: the user asked to see them.
    pub fn reveal(&self) {
        self.redactor.reveal();
    }

    /// The text as it may be shown.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.redactor.redact(text)
    }

    /// Text that was cut at a limit, as it may be shown: a secret cut in half at
    /// the end is hidden too.
    pub fn redact_cut<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.redactor.redact_cut(text)
    }

    /// Writes text to standard output in one go. A closed pipe surfaces as an
    /// `io::Error` of kind `BrokenPipe`, which `main` ends quietly.
    pub fn print(&self, text: &str) -> Result<()> {
        let text = self.redact(text);
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .context("cannot write to standard output")
    }

    /// Writes text to standard error; a closed standard error is ignored, since
    /// there is nowhere left to say so.
    fn eprint(&self, text: &str) {
        let text = self.redact(text);
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }

    /// A diagnostic on standard error, never coloured.
    pub fn diagnostic(&self, diagnostic: &Diagnostic) {
        self.eprint(&render(diagnostic, Style::Line, Paint { enabled: false }));
    }

    /// A `note:` line on standard error.
    pub fn note(&self, text: &str) {
        self.eprint(&format!("note: {text}\n"));
    }

    /// A `warning:` line on standard error.
    pub fn warn(&self, text: &str) {
        self.eprint(&format!("warning: {text}\n"));
    }

    /// A `hint:` line on standard error.
    pub fn hint(&self, text: &str) {
        self.eprint(&format!("hint: {text}\n"));
    }

    /// A free-form line on standard error under a label (`request:`, `response:`).
    pub fn labelled(&self, label: &str, text: &str) {
        self.eprint(&format!("{label}: {text}\n"));
    }

    /// Reports an error that ended the run and returns how the run ends: the only
    /// place that writes `error:` lines. `error: <what>`, then `  caused by: <why>`
    /// lines, then one `hint:` line.
    pub fn fail(&self, err: &anyhow::Error) -> Exit {
        if error::is_broken_pipe(err) {
            return Exit::Success;
        }
        let (exit, hint) = error::exit_for(err);
        let mut text = format!("error: {err}\n");
        for cause in err.chain().skip(1) {
            text.push_str(&format!("  caused by: {cause}\n"));
        }
        if let Some(hint) = hint {
            text.push_str(&format!("hint: {hint}\n"));
        }
        self.eprint(&text);
        exit
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
