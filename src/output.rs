//! The output boundary: everything beacon-cli writes to standard output or
//! standard error passes through [`Output`], which knows every secret in force and
//! hides it (see [`Redactor`]). Also tables, JSON, YAML and colour.
//!
//! Commands build their data, then hand it here. JSON and YAML are the real
//! structs serialised, never coloured. Colour is decided once, in [`Paint::new`].

use std::borrow::Cow;
use std::cell::Cell as Flag;
use std::io::{IsTerminal, Read, Write};

use anyhow::{Context, Result};
use clap::ValueEnum;
use comfy_table::{
    Attribute, Cell, Color, ColumnConstraint, ContentArrangement, Table, Width, presets,
};
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    /// Colour when standard output is a terminal and `NO_COLOR` is unset or empty.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// How much goes to standard error besides errors: `-q`, nothing else, `-v`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Verbosity {
    /// `-q`: errors and the reason for a non-zero exit only.
    Quiet,
    /// Notes, warnings and hints too.
    #[default]
    Normal,
    /// Also where each setting came from, and for `send` every header.
    Verbose,
}

impl Verbosity {
    /// From `-q` and `-v` (clap makes them exclusive).
    pub fn from_flags(quiet: bool, verbose: bool) -> Self {
        match (quiet, verbose) {
            (true, _) => Self::Quiet,
            (false, true) => Self::Verbose,
            (false, false) => Self::Normal,
        }
    }
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

    /// The text styled line by line, so no style is left open across a line
    /// break (a wrapped note, a table cell).
    fn style(self, text: &str, style: anstyle::Style) -> String {
        if !self.enabled {
            return text.to_string();
        }
        text.split('\n')
            .map(|line| {
                if line.is_empty() {
                    String::new()
                } else {
                    format!("{}{line}{}", style.render(), style.render_reset())
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
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
            Severity::Info | Severity::Policy | Severity::Note => self.bold(text),
        }
    }
}

/// The tone of a table cell: its colour when colour is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// No colour.
    Plain,
    /// Green: something off, or good news.
    Good,
    /// Yellow: a warning, something on by default.
    Warn,
    /// Red: an error, something that always leaves.
    Bad,
    /// Bold.
    Bold,
}

/// A table's data, laid out by [`Output::grid`] to fit the width.
#[derive(Debug, Default)]
pub struct Grid {
    /// The column titles.
    pub header: Vec<&'static str>,
    /// The rows: text and tone per cell.
    pub rows: Vec<Vec<(String, Tone)>>,
    /// When the table does not fit: how many leading columns share a row's first
    /// line; the others go on lines of their own below it.
    inline: usize,
    /// Columns shown on a line of their own without their title (a URL).
    bare: Vec<usize>,
    /// Whether the titled cells below the first line share one wrapped line.
    packed: bool,
}

impl Grid {
    /// A grid with these column titles.
    pub fn new(header: &[&'static str]) -> Self {
        Self {
            header: header.to_vec(),
            rows: Vec::new(),
            inline: 1,
            bare: Vec::new(),
            packed: false,
        }
    }

    /// When the table does not fit, the titled cells of a row share one wrapped
    /// line (`metrics: off  traces: on`), for short values.
    pub fn packed(mut self) -> Self {
        self.packed = true;
        self
    }

    /// How rows stack when the table does not fit: `inline` leading columns on
    /// the first line, the `bare` columns below it without their titles.
    pub fn stacking(mut self, inline: usize, bare: &[usize]) -> Self {
        self.inline = inline.max(1);
        self.bare = bare.to_vec();
        self
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<(String, Tone)>) {
        self.rows.push(cells);
    }
}

/// The widths output may use, decided once.
#[derive(Debug, Clone, Copy, Default)]
pub struct Widths {
    /// Standard output: the terminal's; when it reports none or 0 (as under CI
    /// runners and `docker -t`), `$COLUMNS`; else 100. Off a terminal, `$COLUMNS`
    /// when set, else no limit.
    pub stdout: Option<usize>,
    /// Standard error: the same when it is a terminal; else no limit, so each
    /// diagnostic stays one line a script can match.
    pub stderr: Option<usize>,
}

impl Widths {
    /// Reads the terminals and `$COLUMNS`.
    pub fn detect(columns: Option<&str>) -> Self {
        let columns = columns
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|c| *c > 0);
        let terminal = |size: Option<(terminal_size::Width, terminal_size::Height)>| {
            let width = size
                .map(|(terminal_size::Width(w), _)| usize::from(w))
                .filter(|w| *w > 0);
            width.or(columns).unwrap_or(100)
        };
        Self {
            stdout: if std::io::stdout().is_terminal() {
                Some(terminal(terminal_size::terminal_size_of(std::io::stdout())))
            } else {
                columns
            },
            stderr: std::io::stderr()
                .is_terminal()
                .then(|| terminal(terminal_size::terminal_size_of(std::io::stderr()))),
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

/// A diagnostic as text for people, in one of the two layouts; prose is wrapped
/// with `wrap` (the corrected YAML in a hint is never touched).
fn render(
    diagnostic: &Diagnostic,
    style: Style,
    paint: Paint,
    wrap: impl Fn(&str, &str, &str) -> String,
) -> String {
    let label = match style {
        Style::Line => diagnostic.severity.as_str().to_string(),
        Style::Report => format!("{}[{}]", diagnostic.severity.as_str(), diagnostic.code),
    };
    let label = paint.severity(diagnostic.severity, &format!("{label}:"));
    let mut out = wrap(&diagnostic.message, &format!("{label} "), "  ");
    out.push('\n');
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
            let label = format!("{indent}{} ", paint.good("hint:"));
            out.push_str(&wrap(first, &label, rest));
            out.push('\n');
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
    width: Option<usize>,
    err_width: Option<usize>,
    verbosity: Verbosity,
    /// Whether a person can answer a question: standard input and standard
    /// error are both terminals.
    interactive: bool,
    /// Shared with what writes files beside standard output (capture's ledger),
    /// so a secret learned there is hidden here too, and the other way round.
    redactor: std::sync::Arc<Redactor>,
    /// Set when standard output was closed early (`| head`): later output is
    /// dropped, and the run ends with the status it would have had.
    stdout_closed: Flag<bool>,
}

impl Output {
    /// The boundary, with colour, widths and verbosity decided.
    pub fn new(paint: Paint, widths: Widths, verbosity: Verbosity) -> Self {
        Self {
            paint,
            width: widths.stdout,
            err_width: widths.stderr,
            verbosity,
            interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
            redactor: std::sync::Arc::new(Redactor::new()),
            stdout_closed: Flag::new(false),
        }
    }

    /// How much to say on standard error.
    pub fn verbosity(&self) -> Verbosity {
        self.verbosity
    }

    /// A live status line on standard error, redrawn with a spinner and the time
    /// elapsed, for a wait a person would otherwise sit through in silence. It
    /// is shown only when standard error is a terminal, and not with `-q`.
    pub fn progress(&self) -> Progress {
        let shown = self.verbosity != Verbosity::Quiet && std::io::stderr().is_terminal();
        Progress::start(shown)
    }

    /// Sets the text of a progress line, secrets hidden.
    pub fn set_progress(&self, progress: &Progress, text: &str) {
        progress.set(self.redact(text).into_owned());
    }

    /// Asks a yes-or-no question on the terminal (`[y/N]`, no by default):
    /// `None` when nobody can answer (standard input or standard error is not a
    /// terminal), so a script is never left waiting.
    pub fn confirm(&self, question: &str) -> Option<bool> {
        use std::io::BufRead;
        if !self.interactive {
            return None;
        }
        self.eprint(&format!("{question} [y/N] "));
        let mut answer = String::new();
        let read = std::io::stdin().lock().take(256).read_line(&mut answer);
        Some(read.is_ok() && matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
    }

    /// Colour for standard output.
    pub fn paint(&self) -> Paint {
        self.paint
    }

    /// The width output may use, when it is limited.
    pub fn width(&self) -> Option<usize> {
        self.width
    }

    /// Prose wrapped to the width: the first line starts with `first`, the others
    /// with `rest`. Lines are wrapped at spaces only: a URL or a key is never cut.
    pub fn wrap(&self, text: &str, first: &str, rest: &str) -> String {
        wrap_to(self.width, text, first, rest)
    }

    /// A grid as a table that fits the width, or, when even the table's narrowest
    /// layout does not fit, as one block per row (the first cell as its title,
    /// then each other cell under its column's name): readable at any width, and
    /// never a word cut in two.
    pub fn grid(&self, grid: &Grid) -> String {
        Layout {
            width: self.width,
            paint: self.paint,
        }
        .grid(grid)
    }

    /// A grid laid out for standard error (its width when it is a terminal),
    /// never coloured: for a summary shown beside data on standard output.
    pub fn grid_for_stderr(&self, grid: &Grid) -> String {
        Layout {
            width: self.err_width,
            paint: Paint { enabled: false },
        }
        .grid(grid)
    }

    /// The redactor itself, for output that leaves through another door: the
    /// capture ledger is redacted by the same redactor, with the same secrets.
    pub fn redactor(&self) -> std::sync::Arc<Redactor> {
        self.redactor.clone()
    }

    /// Whether live lines are shown: standard error is a terminal, and not `-q`.
    pub fn live(&self) -> bool {
        self.verbosity != Verbosity::Quiet && self.err_width.is_some()
    }

    /// A line on standard error as it happens (capture's line per request), when
    /// [`Output::live`] says so; cut to the terminal's width, never wrapped.
    pub fn live_line(&self, text: &str) {
        if !self.live() {
            return;
        }
        let text = self.redact(text);
        let width = self.err_width.unwrap_or(usize::MAX);
        let (mut line, mut used) = (String::new(), 0);
        for c in text.chars() {
            used += display_width(c.encode_utf8(&mut [0; 4]));
            if used > width {
                break;
            }
            line.push(c);
        }
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }

    /// A block of text for people on standard error (capture's summary), not with `-q`.
    pub fn status(&self, text: &str) {
        if self.verbosity != Verbosity::Quiet {
            self.eprint(text);
        }
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

    /// Writes text to standard output in one go. A reader that went away
    /// (`| head -1`) is not an error: the rest is dropped, and the run ends with
    /// the exit status it would have had with the whole output read.
    pub fn print(&self, text: &str) -> Result<()> {
        if self.stdout_closed.get() {
            return Ok(());
        }
        let text = self.redact(text);
        let mut out = std::io::stdout().lock();
        match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => {
                self.stdout_closed.set(true);
                Ok(())
            }
            result => result.context("cannot write to standard output"),
        }
    }

    /// Writes text to standard error; a closed standard error is ignored, since
    /// there is nowhere left to say so.
    fn eprint(&self, text: &str) {
        let text = self.redact(text);
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }

    /// A diagnostic on standard error, never coloured: one line a script can
    /// match, wrapped only when standard error is a terminal. With `-q` only
    /// errors are shown.
    pub fn diagnostic(&self, diagnostic: &Diagnostic) {
        if self.verbosity == Verbosity::Quiet && diagnostic.severity != Severity::Error {
            return;
        }
        self.eprint(&render(
            diagnostic,
            Style::Line,
            Paint { enabled: false },
            |text, first, _| wrap_to(self.err_width, text, first, "  "),
        ));
    }

    /// A diagnostic inside a report on standard output, wrapped to the width.
    pub fn report(&self, diagnostic: &Diagnostic) -> String {
        render(
            diagnostic,
            Style::Report,
            self.paint,
            |text, first, rest| self.wrap(text, first, rest),
        )
    }

    /// A `note:` line on standard error (not with `-q`).
    pub fn note(&self, text: &str) {
        self.said("note", text);
    }

    /// A `warning:` line on standard error (not with `-q`).
    pub fn warn(&self, text: &str) {
        self.said("warning", text);
    }

    /// A `hint:` line on standard error (not with `-q`).
    pub fn hint(&self, text: &str) {
        self.said("hint", text);
    }

    /// A line on standard error under a label, shown only with `-v`.
    pub fn detail(&self, label: &str, text: &str) {
        if self.verbosity == Verbosity::Verbose {
            self.labelled(label, text);
        }
    }

    fn said(&self, label: &str, text: &str) {
        if self.verbosity != Verbosity::Quiet {
            self.labelled(label, text);
        }
    }

    /// A line on standard error under a label (`request:`, `response:`), wrapped
    /// only when standard error is a terminal; shown even with `-q`, for what
    /// explains the exit status.
    pub fn labelled(&self, label: &str, text: &str) {
        let line = wrap_to(self.err_width, text, &format!("{label}: "), "  ");
        self.eprint(&format!("{line}\n"));
    }

    /// Reports an error that ended the run and returns how the run ends: the only
    /// place that writes `error:` lines. `error: <what>`, then `  caused by: <why>`
    /// lines, then one `hint:` line.
    pub fn fail(&self, err: &anyhow::Error) -> Exit {
        if error::is_broken_pipe(err) {
            return Exit::Success;
        }
        let (exit, hint) = error::exit_for(err);
        let line =
            |label: &str, text: &str| format!("{}\n", wrap_to(self.err_width, text, label, "  "));
        let mut text = line("error: ", &err.to_string());
        for cause in err.chain().skip(1) {
            text.push_str(&line("  caused by: ", &cause.to_string()));
        }
        if let Some(hint) = hint {
            text.push_str(&line("hint: ", hint));
        }
        self.eprint(&text);
        exit
    }
}

/// Where and how a grid is laid out: standard output's width and colour, or
/// standard error's.
#[derive(Debug, Clone, Copy)]
struct Layout {
    width: Option<usize>,
    paint: Paint,
}

impl Layout {
    fn grid(&self, grid: &Grid) -> String {
        let columns = grid.header.len();
        // The narrowest a column can be: its longest word.
        let longest_word = |text: &str| {
            text.split_whitespace()
                .map(display_width)
                .max()
                .unwrap_or(0)
        };
        let floors: Vec<usize> = (0..columns)
            .map(|c| {
                grid.rows
                    .iter()
                    .map(|r| r.get(c).map_or(0, |(t, _)| longest_word(t)))
                    .chain([longest_word(grid.header[c])])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        // Each column: its floor, a space each side, and one border.
        let narrowest = floors.iter().sum::<usize>() + 3 * columns + 1;
        if self.width.is_some_and(|w| w < narrowest) {
            return self.stacked(grid);
        }
        let mut table = Table::new();
        table
            .load_style(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(grid.header.iter().copied());
        if self.paint.enabled() {
            table.enforce_styling();
        } else {
            table.force_no_tty();
        }
        if let Some(width) = self.width {
            table.set_width(u16::try_from(width).unwrap_or(u16::MAX));
        }
        // A column's width counts its padding, one space each side.
        table.set_constraints(floors.iter().map(|f| {
            ColumnConstraint::LowerBoundary(Width::Fixed(u16::try_from(f + 2).unwrap_or(u16::MAX)))
        }));
        for row in &grid.rows {
            table.add_row(row.iter().map(|(text, tone)| self.cell(text, *tone)));
        }
        format!("{table}\n")
    }

    fn cell(&self, text: &str, tone: Tone) -> Cell {
        let cell = Cell::new(text);
        match tone {
            Tone::Plain => cell,
            Tone::Good => cell.fg(Color::Green),
            Tone::Warn => cell.fg(Color::Yellow).add_attribute(Attribute::Bold),
            Tone::Bad => cell.fg(Color::Red).add_attribute(Attribute::Bold),
            Tone::Bold => cell.add_attribute(Attribute::Bold),
        }
    }

    fn stacked(&self, grid: &Grid) -> String {
        // The first line of each row: the inline cells, each padded to its column.
        let inline = grid.inline.min(grid.header.len());
        let pads: Vec<usize> = (0..inline)
            .map(|c| {
                grid.rows
                    .iter()
                    .map(|r| r.get(c).map_or(0, |(t, _)| display_width(t)))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for row in &grid.rows {
            let title: Vec<String> = row
                .iter()
                .take(inline)
                .zip(&pads)
                .map(|((text, tone), pad)| {
                    let padding = " ".repeat(pad.saturating_sub(display_width(text)));
                    format!("{}{padding}", self.toned(text, *tone))
                })
                .collect();
            out.push_str(title.join("  ").trim_end());
            out.push('\n');
            if grid.packed {
                let pairs: Vec<String> = row
                    .iter()
                    .enumerate()
                    .skip(inline)
                    .map(|(column, (text, tone))| {
                        format!("{}: {}", grid.header[column], self.toned(text, *tone))
                    })
                    .collect();
                out.push_str(&wrap_to(self.width, &pairs.join("  "), "  ", "  "));
                out.push('\n');
                continue;
            }
            for (column, (text, tone)) in row.iter().enumerate().skip(inline) {
                let label = if grid.bare.contains(&column) {
                    "  ".to_string()
                } else {
                    format!("  {}: ", grid.header[column])
                };
                let wrapped = wrap_to(self.width, text, &label, "      ");
                let value = wrapped.strip_prefix(label.as_str()).unwrap_or(&wrapped);
                out.push_str(&label);
                out.push_str(&self.toned(value, *tone));
                out.push('\n');
            }
        }
        out
    }

    fn toned(&self, text: &str, tone: Tone) -> String {
        let paint = self.paint;
        match tone {
            Tone::Plain => text.to_string(),
            Tone::Good => paint.good(text),
            Tone::Warn => paint.warn(text),
            Tone::Bad => paint.bad(text),
            Tone::Bold => paint.bold(text),
        }
    }
}

/// A status line on standard error: drawn at once when its text changes, then
/// redrawn by a thread of its own every 100 ms (a spinner and the time elapsed)
/// until dropped, when the line is cleared. See [`Output::progress`].
#[derive(Debug)]
pub struct Progress {
    shown: bool,
    started: std::time::Instant,
    text: std::sync::Arc<std::sync::Mutex<String>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ticker: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    fn start(shown: bool) -> Self {
        use std::sync::atomic::Ordering;
        let started = std::time::Instant::now();
        let text = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let ticker = shown.then(|| {
            let (text, stop) = (text.clone(), stop.clone());
            std::thread::spawn(move || {
                loop {
                    // Woken early by the drop, which must not wait a whole tick.
                    std::thread::park_timeout(std::time::Duration::from_millis(100));
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    if let Ok(line) = text.lock() {
                        draw(&line, started);
                    }
                }
            })
        });
        Self {
            shown,
            started,
            text,
            stop,
            ticker,
        }
    }

    fn set(&self, text: String) {
        if let Ok(mut line) = self.text.lock() {
            if self.shown {
                draw(&text, self.started);
            }
            *line = text;
        }
    }
}

/// One frame of a progress line; the spinner turns with the time elapsed.
fn draw(text: &str, started: std::time::Instant) {
    if text.is_empty() {
        return;
    }
    let elapsed = started.elapsed();
    let spinner = ['|', '/', '-', '\\'][(elapsed.as_millis() / 100 % 4) as usize];
    let _ = write!(
        std::io::stderr().lock(),
        "\r\x1b[K{spinner} {text} ({:.1} s)",
        elapsed.as_secs_f64()
    );
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(ticker) = self.ticker.take() {
            ticker.thread().unpark();
            let _ = ticker.join();
            let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
        }
    }
}

/// Prose wrapped to `width` at spaces only (a URL or a key is never cut); the
/// first line starts with `first`, the others with `rest`.
fn wrap_to(width: Option<usize>, text: &str, first: &str, rest: &str) -> String {
    let Some(width) = width else {
        return format!("{first}{text}");
    };
    // A label and a first word that cannot share the line: the label alone.
    let first_word = text.split_whitespace().next().map_or(0, display_width);
    if display_width(first) + first_word > width && !first.trim().is_empty() {
        return format!(
            "{}\n{}",
            first.trim_end(),
            wrap_to(Some(width), text, rest, rest)
        );
    }
    let options = textwrap::Options::new(width.max(20))
        .initial_indent(first)
        .subsequent_indent(rest)
        .break_words(false)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    textwrap::fill(text, options)
}

/// The columns a text takes on a terminal.
fn display_width(text: &str) -> usize {
    textwrap::core::display_width(text)
}

/// Writes a file whole or not at all: the bytes go to a temporary file in the
/// same directory, which is then renamed over `path`. A failure leaves no
/// half-written file behind.
pub fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .context("the path names no file")?
        .to_string_lossy();
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = std::fs::write(&temporary, bytes).and_then(|()| std::fs::rename(&temporary, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result.with_context(|| format!("cannot write `{}`", path.display()))
}

/// A count and its noun, singular or plural: `1 error`, `3 errors`. Any
/// unsigned count: a length (`usize`) or a total (`u64`).
pub fn count<N: std::fmt::Display + PartialEq + From<u8>>(n: N, noun: &str) -> String {
    if n == N::from(1) {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A byte count for people, rounded: `812 B`, `2.1 KiB`, `14.0 MiB`, `1.2 GiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
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
