//! Reading what the user names on the command line, a file or standard input:
//! one place for the size limits and for errors that name the input.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};

use crate::error::InputError;

/// Bytes read, and the name to show for them (`<stdin>` for standard input).
#[derive(Debug)]
pub struct Input {
    /// The path as given, or `<stdin>`.
    pub name: String,
    /// The content.
    pub bytes: Vec<u8>,
}

/// What to call an input in errors, and how to help.
#[derive(Debug, Clone, Copy)]
pub struct Named<'a> {
    /// The noun in messages: "values file", "payload".
    pub what: &'a str,
    /// The hint when the file is not there.
    pub fix: &'a str,
    /// A file name to suggest when a directory is given: "langsmith_config.yaml".
    pub example: &'a str,
}

/// Reads `path` (`-` is standard input), refusing more than `limit` bytes.
pub fn read(path: &Path, named: Named<'_>, limit: u64) -> Result<Input> {
    let Named { what, fix, example } = named;
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read the {what} from standard input"))?;
        if bytes.len() as u64 > limit {
            return Err(InputError::new(format!(
                "the {what} on standard input is larger than the {limit}-byte limit"
            ))
            .hint("check that this is the right input")
            .into());
        }
        return Ok(Input {
            name: "<stdin>".to_string(),
            bytes,
        });
    }
    let name = path.display().to_string();
    let unreadable = |e: std::io::Error| {
        let hint = if e.kind() == std::io::ErrorKind::NotFound {
            fix
        } else {
            "check the file's permissions"
        };
        InputError::new(format!("cannot read {what} `{name}`: {}", io_reason(&e))).hint(hint)
    };
    let meta = std::fs::metadata(path).map_err(unreadable)?;
    if meta.is_dir() {
        return Err(InputError::new(format!("{what} `{name}` is a directory"))
            .hint(format!(
                "name the file inside it, for example `{}`",
                path.join(example).display()
            ))
            .into());
    }
    if meta.len() > limit {
        return Err(InputError::new(format!(
            "{what} `{name}` is {} bytes, more than the {limit}-byte limit",
            meta.len()
        ))
        .hint("check that this is the right file")
        .into());
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    Ok(Input { name, bytes })
}

/// The reason of an I/O error in lower case, without the OS error number.
pub fn io_reason(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let text = err.to_string();
            text.split(" (os error")
                .next()
                .unwrap_or(&text)
                .to_lowercase()
        }
    }
}
