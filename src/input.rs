//! Reading what the user names: a file, a device, a FIFO or standard input.
//!
//! One bounded reader for every input (values, payloads, license files, CA
//! bundles): it counts the bytes as it reads them and stops one past the limit, so
//! a cap holds whatever the file claims its size to be (`/dev/zero`, a FIFO,
//! `/dev/stdin` report none). Errors name the input and say what to do.

use std::io::Read;
use std::path::Path;

use anyhow::Result;

use crate::error::Failure;

/// Bytes read, and the name to show for them (`<stdin>` for standard input).
#[derive(Debug)]
pub struct Input {
    /// The path as given, or `<stdin>`.
    pub name: String,
    /// The content.
    pub bytes: Vec<u8>,
}

/// What to call an input in errors, how to help, and how much of it to take.
#[derive(Debug, Clone, Copy)]
pub struct Named<'a> {
    /// The noun in messages: "values file", "payload".
    pub what: &'a str,
    /// The hint when the file is not there.
    pub fix: &'a str,
    /// A file name to suggest when a directory is given: "langsmith_config.yaml".
    pub example: &'a str,
    /// The most bytes accepted.
    pub limit: u64,
}

/// Reads `path` (`-` is standard input), refusing more than `named.limit` bytes.
pub fn read(path: &Path, named: Named<'_>) -> Result<Input> {
    let Named {
        what,
        fix,
        example,
        limit,
    } = named;
    // A regular file's size, as far as the limit: the buffer is made that large
    // at once, never grown (growing copies it, and holds both copies at once).
    let mut expected = 0;
    let (name, source): (String, Box<dyn Read>) = if path.as_os_str() == "-" {
        ("<stdin>".to_string(), Box::new(std::io::stdin().lock()))
    } else {
        let name = path.display().to_string();
        let unreadable = |e: std::io::Error| {
            let hint = if e.kind() == std::io::ErrorKind::NotFound {
                fix
            } else {
                "check the file's permissions"
            };
            Failure::input(format!("cannot read {what} `{name}`: {}", io_reason(&e))).hint(hint)
        };
        let metadata = std::fs::metadata(path).map_err(unreadable)?;
        if metadata.is_dir() {
            return Err(Failure::input(format!("{what} `{name}` is a directory"))
                .hint(format!(
                    "name the file inside it, for example `{}`",
                    path.join(example).display()
                ))
                .into());
        }
        if metadata.is_file() {
            // One byte more: the read that finds the end, or passes the limit.
            expected = usize::try_from(metadata.len().min(limit).saturating_add(1)).unwrap_or(0);
        }
        let file = std::fs::File::open(path).map_err(unreadable)?;
        (name, Box::new(file))
    };
    let mut bytes = Vec::with_capacity(expected);
    source
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::input(format!("cannot read {what} `{name}`: {}", io_reason(&e))))?;
    if bytes.len() as u64 > limit {
        return Err(Failure::input(format!(
            "{what} `{name}` is larger than the {} limit",
            size(limit)
        ))
        .hint("check that this is the right input; the limits are listed in the README")
        .into());
    }
    Ok(Input { name, bytes })
}

/// A byte count for people: `64 MiB`, `512 KiB`, `300 bytes`.
pub fn size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    match bytes {
        b if b >= KIB * KIB * KIB && b % (KIB * KIB * KIB) == 0 => format!("{} GiB", b >> 30),
        b if b >= KIB * KIB && b % (KIB * KIB) == 0 => format!("{} MiB", b >> 20),
        b if b >= KIB && b % KIB == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn named(limit: u64) -> Named<'static> {
        Named {
            what: "test input",
            fix: "check the path",
            example: "x",
            limit,
        }
    }

    #[test]
    fn devices_are_read_no_further_than_the_limit() {
        let err = read(Path::new("/dev/zero"), named(1024)).unwrap_err();
        assert!(
            err.to_string().contains("larger than the 1 KiB limit"),
            "{err}"
        );
    }

    #[test]
    fn a_file_at_the_limit_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, [7u8; 100]).unwrap();
        assert_eq!(read(&path, named(100)).unwrap().bytes.len(), 100);
        assert!(read(&path, named(99)).is_err());
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size(64 * 1024 * 1024), "64 MiB");
        assert_eq!(size(4 << 30), "4 GiB");
        assert_eq!(size(1000), "1000 bytes");
    }
}
