//! Exit codes and the errors that carry their own exit code or hint.
//!
//! Every exit code the tool uses is chosen here, in one place, and documented in
//! the README and in `beacon-cli --help`. Commands return an [`Exit`] or an
//! `anyhow::Error`; `main` turns an error into a message and a code with [`exit_for`].

use std::fmt;

/// The process exit status, as documented in the README ("Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Success.
    Success = 0,
    /// An internal or other runtime error.
    Failure = 1,
    /// A usage error or invalid input: bad flag, unreadable or malformed file.
    Usage = 2,
    /// Findings: `show-config --strict` saw warnings, `validate` found errors,
    /// `dry-run --strict` on an endpoint the values turn off.
    Findings = 3,
    /// The server answered with an HTTP 4xx status.
    Http4xx = 4,
    /// The server answered with an HTTP 5xx status (after retries).
    Http5xx = 5,
    /// Network failure: DNS, connect, TLS or proxy.
    Network = 6,
    /// Timeout.
    Timeout = 7,
}

impl Exit {
    /// The numeric status handed to the operating system.
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// The exit-code table, shown in `--help` and kept in step with the README.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  internal or other runtime error
  2  usage error or invalid input (bad flag, unreadable or malformed file)
  3  findings (show-config --strict saw warnings; validate found errors)
  4  HTTP 4xx from the server
  5  HTTP 5xx from the server, after retries
  6  network failure (DNS, connect, TLS, proxy)
  7  timeout";

/// Invalid input from the user: a file, a flag or a value. Exits with [`Exit::Usage`].
///
/// The message must already name the file (with line and column) or the flag, and
/// must never quote a secret.
#[derive(Debug)]
pub struct InputError {
    /// What is wrong, naming the file, line and column, or the flag.
    pub message: String,
    /// What to do about it, when that is known.
    pub hint: Option<String>,
}

impl InputError {
    /// An input error with no hint.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
        }
    }

    /// Adds the one-line fix.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for InputError {}

/// The exit code and hint for an error that reached `main`.
pub fn exit_for(err: &anyhow::Error) -> (Exit, Option<&str>) {
    for cause in err.chain() {
        if let Some(input) = cause.downcast_ref::<InputError>() {
            return (Exit::Usage, input.hint.as_deref());
        }
    }
    (Exit::Failure, None)
}

/// True when the error is a write to a closed pipe (`beacon-cli ... | head`),
/// which ends the program quietly with success, as ripgrep does.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
