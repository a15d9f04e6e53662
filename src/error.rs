//! Exit codes, and the one error type that carries its own.
//!
//! Every exit code the tool uses is chosen here: [`Exit::code`] maps each outcome
//! to its number, in one function, as the README's "Exit codes" table documents.
//! Commands return an [`Exit`], or an error; an error that knows its outcome is a
//! [`Failure`], and `main` turns any error into a message and a code with [`exit_for`].

use std::fmt;

use crate::diagnostic::{Diagnostic, Location};

/// How a run ended; [`Exit::code`] is the process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Success.
    Success,
    /// An internal or other runtime error.
    Failure,
    /// A usage error or invalid input: bad flag, unreadable or malformed file.
    Usage,
    /// Findings: `show-config --strict` saw warnings, `validate` found errors,
    /// `dry-run --strict` on an endpoint the values turn off, `audit` found drift.
    Findings,
    /// The server answered with an HTTP 4xx status.
    Http4xx,
    /// The server answered with an HTTP 5xx status (after retries).
    Http5xx,
    /// Network failure: DNS, connect, TLS or proxy.
    Network,
    /// Timeout.
    Timeout,
    /// The server redirected; beacon-cli does not follow (it would resend the license).
    Redirect,
}

impl Exit {
    /// The numeric status handed to the operating system: the one map.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::Usage => 2,
            Exit::Findings => 3,
            Exit::Http4xx => 4,
            Exit::Http5xx => 5,
            Exit::Network => 6,
            Exit::Timeout => 7,
            Exit::Redirect => 8,
        }
    }

    /// The outcome of an HTTP status that is not a success.
    pub fn for_status(status: u16) -> Exit {
        match status {
            300..=399 => Exit::Redirect,
            400..=499 => Exit::Http4xx,
            500..=599 => Exit::Http5xx,
            _ => Exit::Failure,
        }
    }
}

/// The exit-code table: `--help`, the man pages and the README's table say
/// these words.
pub const EXIT_CODES: [(Exit, &str); 9] = [
    (Exit::Success, "success"),
    (Exit::Failure, "internal or other runtime error"),
    (
        Exit::Usage,
        "usage error or invalid input (bad flag, unreadable or malformed file)",
    ),
    (
        Exit::Findings,
        "findings: show-config errors (warnings with --strict), validate errors, a 2xx not taken, drift",
    ),
    (Exit::Http4xx, "HTTP 4xx from the server"),
    (Exit::Http5xx, "HTTP 5xx from the server, after retries"),
    (Exit::Network, "network failure (DNS, connect, TLS, proxy)"),
    (Exit::Timeout, "timeout"),
    (
        Exit::Redirect,
        "the server redirected (not followed: it would resend the license)",
    ),
];

/// The exit-code table as `--help` shows it.
pub fn exit_codes_help() -> String {
    let mut text = "Exit codes:".to_string();
    for (exit, meaning) in EXIT_CODES {
        text.push_str(&format!("\n  {}  {meaning}", exit.code()));
    }
    text
}

/// An error that knows how the run ends (every non-zero exit is one, so the
/// reason is always on standard error): invalid input (exit 2), a send that
/// failed (6, 7), and so on. Its message must already name the file (with line and
/// column), the flag or the host, and its diagnostic carries the fix.
#[derive(Debug)]
pub struct Failure {
    /// How the run ends.
    pub exit: Exit,
    /// What happened, where, and what to do.
    pub diagnostic: Diagnostic,
}

impl Failure {
    /// Invalid input from the user: a file, a flag or a value (exit 2).
    pub fn input(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, "input", message)
    }

    /// A failure with its outcome and code.
    pub fn new(exit: Exit, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            exit,
            diagnostic: Diagnostic::error(code, message),
        }
    }

    /// Adds the one-line fix.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.diagnostic.hint = Some(hint.into());
        self
    }

    /// Points it at a place.
    pub fn at(mut self, location: Location) -> Self {
        self.diagnostic.location = location;
        self
    }

    /// A diagnostic that ends the run as `exit`: it becomes an error.
    pub fn from_diagnostic(exit: Exit, mut diagnostic: Diagnostic) -> Self {
        diagnostic.severity = crate::diagnostic::Severity::Error;
        Self { exit, diagnostic }
    }

    /// Findings that fail the run (exit 3): `show-config` errors, `--strict`,
    /// `validate`'s errors.
    pub fn findings(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(Exit::Findings, code, message)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Failure {}

/// The failure that decides how an error ends the run, if any knows.
pub fn failure_of(err: &anyhow::Error) -> Option<&Failure> {
    err.chain()
        .find_map(|cause| cause.downcast_ref::<Failure>())
}

/// The exit code and hint for an error that reached `main`.
pub fn exit_for(err: &anyhow::Error) -> (Exit, Option<&str>) {
    match failure_of(err) {
        Some(failure) => (failure.exit, failure.diagnostic.hint.as_deref()),
        None => (Exit::Failure, None),
    }
}

/// True when the error is a write to a closed pipe (`beacon-cli ... | head`).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
