//! The ledger: where records go, one line each, and nothing else.
//!
//! A file is opened for appending (an earlier run's records are evidence, never
//! overwritten) and created with mode 0600, since records show who sent what.
//! Records are written by one writer, each whole line and its newline inside one
//! `write` (the records waiting at that moment share it), so lines never
//! interleave; a write that fails half-way is cut back off the file, so no torn
//! line stays behind. With `--rotate`, a file that
//! would grow past the size is closed, synced and renamed `NAME.N.EXT` (N one more
//! than any such file already there), and a new one started. `-` is standard
//! output: the lines are redacted by the same redactor as everything else
//! beacon-cli prints, and nothing else is written there.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::error::Failure;

/// Where records are written.
#[derive(Debug)]
pub struct Ledger {
    sink: Sink,
    /// The path as given (`-` for standard output).
    path: PathBuf,
    /// `--rotate`.
    rotate: Option<u64>,
    /// Bytes in the current file.
    size: u64,
    /// The files rotated out so far, in order.
    rotated: Vec<PathBuf>,
    /// The highest `N` in `NAME.N.EXT` so far.
    last_number: u64,
    /// Records written.
    records: u64,
    /// The bytes of the lines being written, kept from one batch to the next.
    buffer: Vec<u8>,
}

/// The write buffer is kept for the next batch up to this size.
const BUFFER_KEPT: usize = 4 * 1024 * 1024;

/// What [`Ledger::append_all`] did.
#[derive(Debug)]
pub struct Appended {
    /// How many of the lines were written: the first ones.
    pub lines: usize,
    /// Why the others were not.
    pub error: Option<anyhow::Error>,
}

impl Appended {
    /// None of the lines written, for `why`.
    pub fn none(why: &str) -> Self {
        Self {
            lines: 0,
            error: Some(anyhow::anyhow!("{why}")),
        }
    }
}

#[derive(Debug)]
enum Sink {
    File(File),
    Stdout,
}

impl Ledger {
    /// Opens the ledger for appending; what is worth saying about it (a file
    /// others can read) comes back beside it.
    pub fn open(path: &Path, rotate: Option<u64>) -> Result<(Self, Vec<String>)> {
        let mut notes = Vec::new();
        if path.as_os_str() == "-" {
            if rotate.is_some() {
                return Err(
                    Failure::input("--rotate needs a file: `--out -` is standard output")
                        .hint("give --out a file name, or drop --rotate")
                        .into(),
                );
            }
            return Ok((Self::new(Sink::Stdout, path, None, 0, 0), notes));
        }
        let shown = path.display();
        if path.is_dir() {
            return Err(Failure::input(format!("--out `{shown}` is a directory"))
                .hint(format!(
                    "name a file, for example `{}`",
                    path.join("capture.jsonl").display()
                ))
                .into());
        }
        let file = append(path).map_err(|e| {
            Failure::input(format!("--out `{shown}`: cannot open it for writing: {e}"))
                .hint("name a file in a directory you can write to")
        })?;
        let meta = file
            .metadata()
            .with_context(|| format!("cannot read the metadata of `{shown}`"))?;
        if meta.is_file() {
            if meta.permissions().mode() & 0o077 != 0 {
                notes.push(format!(
                    "`{shown}` already existed and others may read it (mode {:o}); new records are added to it",
                    meta.permissions().mode() & 0o777
                ));
            } else if meta.len() > 0 {
                notes.push(format!(
                    "`{shown}` already holds records; new ones are added after them"
                ));
            }
        } else if rotate.is_some() {
            return Err(Failure::input(format!(
                "--rotate needs a regular file, and `{shown}` is not one"
            ))
            .hint("drop --rotate, or give --out a regular file")
            .into());
        }
        let last_number = if rotate.is_some() {
            highest_number(path)
        } else {
            0
        };
        let size = meta.len();
        Ok((
            Self::new(Sink::File(file), path, rotate, size, last_number),
            notes,
        ))
    }

    fn new(sink: Sink, path: &Path, rotate: Option<u64>, size: u64, last_number: u64) -> Self {
        Self {
            sink,
            path: path.to_path_buf(),
            rotate,
            size,
            rotated: Vec::new(),
            last_number,
            records: 0,
            buffer: Vec::new(),
        }
    }

    /// Appends records, each `line` and a newline: every line waiting goes out
    /// in one write (a file about to grow past `--rotate` is rotated between two
    /// lines, so such a batch takes two writes or more). The lines written come
    /// back as a count of the first ones: on a failure, the write that failed is
    /// cut back off the file, so the file holds whole lines only, and the lines
    /// from the failed one on are not in it.
    pub fn append_all<'a>(&mut self, lines: impl IntoIterator<Item = &'a str>) -> Appended {
        let mut buffer = std::mem::take(&mut self.buffer);
        buffer.clear();
        let (mut written, mut waiting) = (0, 0);
        let mut result = Ok(());
        for line in lines {
            let incoming = line.len() as u64 + 1;
            let size = self.size + buffer.len() as u64;
            if self
                .rotate
                .is_some_and(|limit| size > 0 && size + incoming > limit)
            {
                result = self.write(&mut buffer, waiting).and_then(|()| {
                    written += waiting;
                    waiting = 0;
                    self.rotate_now()
                });
                if result.is_err() {
                    break;
                }
            }
            buffer.extend_from_slice(line.as_bytes());
            buffer.push(b'\n');
            waiting += 1;
        }
        if result.is_ok() {
            result = self.write(&mut buffer, waiting);
            if result.is_ok() {
                written += waiting;
            }
        }
        // The buffer is kept for the next batch, unless one record made it large.
        if buffer.capacity() <= BUFFER_KEPT {
            self.buffer = buffer;
        }
        Appended {
            lines: written,
            error: result.err(),
        }
    }

    /// Writes the buffer, holding `lines` whole lines, in one write, and empties
    /// it once written (`append_all` empties it before each batch in any case).
    fn write(&mut self, buffer: &mut Vec<u8>, lines: usize) -> Result<()> {
        if buffer.is_empty() {
            return Ok(());
        }
        match &mut self.sink {
            Sink::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(buffer)
                    .and_then(|()| out.flush())
                    .context("cannot write the record to standard output")?;
            }
            Sink::File(file) => {
                if let Err(err) = file.write_all(buffer) {
                    // Whatever part of the lines went out is cut off again.
                    let _ = file.set_len(self.size);
                    return Err(err)
                        .with_context(|| format!("cannot write to `{}`", self.path.display()));
                }
            }
        }
        self.size += buffer.len() as u64;
        self.records += lines as u64;
        buffer.clear();
        Ok(())
    }

    /// The path as given (`-` for standard output).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the full file to the next `NAME.N.EXT` and starts a new one.
    fn rotate_now(&mut self) -> Result<()> {
        let Sink::File(file) = &mut self.sink else {
            return Ok(());
        };
        file.sync_all()
            .with_context(|| format!("cannot sync `{}`", self.path.display()))?;
        self.last_number += 1;
        let target = numbered(&self.path, self.last_number);
        std::fs::rename(&self.path, &target).with_context(|| {
            format!(
                "cannot rotate `{}` to `{}`",
                self.path.display(),
                target.display()
            )
        })?;
        let fresh = append(&self.path)
            .with_context(|| format!("cannot start a new `{}`", self.path.display()))?;
        self.sink = Sink::File(fresh);
        self.rotated.push(target);
        self.size = 0;
        Ok(())
    }

    /// Syncs the file to disk: at the end of a run, every record is there.
    pub fn close(self) -> Result<LedgerSummary> {
        if let Sink::File(file) = &self.sink {
            file.sync_all()
                .with_context(|| format!("cannot sync `{}`", self.path.display()))?;
        }
        Ok(LedgerSummary {
            path: self.path,
            rotated: self.rotated,
            records: self.records,
        })
    }
}

/// What a run wrote.
#[derive(Debug)]
pub struct LedgerSummary {
    /// The ledger (`-` for standard output).
    pub path: PathBuf,
    /// Files rotated out, in order.
    pub rotated: Vec<PathBuf>,
    /// Records written.
    pub records: u64,
}

/// Opens a file for appending, creating it with mode 0600.
fn append(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)
}

/// What comes before and after `N` in the names of the files rotated out of
/// `path`: `capture.` and `.jsonl` for `capture.jsonl`; `ledger.` and nothing for
/// `ledger`. Rotation writes these names and reads them back with it.
fn around_number(path: &Path) -> (String, String) {
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let after = path
        .extension()
        .map(|ext| format!(".{}", ext.to_string_lossy()))
        .unwrap_or_default();
    (format!("{stem}."), after)
}

/// `capture.jsonl` and 3: `capture.3.jsonl`; `ledger` and 3: `ledger.3`.
fn numbered(path: &Path, n: u64) -> PathBuf {
    let (before, after) = around_number(path);
    path.with_file_name(format!("{before}{n}{after}"))
}

/// The highest `N` of the `NAME.N.EXT` files beside `path`, 0 when there is none.
fn highest_number(path: &Path) -> u64 {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return 0;
    };
    let (before, after) = around_number(path);
    entries
        .filter_map(std::result::Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.strip_prefix(before.as_str())?
                .strip_suffix(after.as_str())?
                .parse::<u64>()
                .ok()
        })
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_appended_one_line_each_in_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("capture.jsonl");
        let (mut ledger, notes) = Ledger::open(&path, None).unwrap();
        assert!(notes.is_empty());
        let appended = ledger.append_all(["{\"a\":1}", "{\"a\":2}"]);
        assert_eq!(appended.lines, 2);
        assert!(appended.error.is_none());
        let summary = ledger.close().unwrap();
        assert_eq!(summary.records, 2);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"a\":1}\n{\"a\":2}\n"
        );
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // A second run appends.
        let (mut again, notes) = Ledger::open(&path, None).unwrap();
        assert_eq!(notes.len(), 1);
        assert_eq!(again.append_all(["{\"a\":3}"]).lines, 1);
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 3);
    }

    #[test]
    fn rotation_numbers_files_after_the_highest_there() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("capture.jsonl");
        std::fs::write(dir.path().join("capture.7.jsonl"), "").unwrap();
        let (mut ledger, _) = Ledger::open(&path, Some(20)).unwrap();
        // One batch of five, rotated between its lines.
        let lines: Vec<String> = (0..5).map(|n| format!("{{\"n\":{n:08}}}")).collect();
        assert_eq!(ledger.append_all(lines.iter().map(String::as_str)).lines, 5);
        let summary = ledger.close().unwrap();
        let names: Vec<String> = summary
            .rotated
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "capture.8.jsonl",
                "capture.9.jsonl",
                "capture.10.jsonl",
                "capture.11.jsonl"
            ]
        );
        for path in summary.rotated.iter().chain([&path]) {
            let text = std::fs::read_to_string(path).unwrap();
            assert_eq!(text.lines().count(), 1, "{}", path.display());
            let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert_eq!(numbered(Path::new("ledger"), 2), PathBuf::from("ledger.2"));
    }

    #[test]
    fn a_failed_write_reports_the_lines_before_it_and_leaves_whole_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("capture.jsonl");
        std::fs::write(&path, "{\"old\":1}\n").unwrap();
        // A file that takes no writes: each batch fails whole, and is counted so.
        let read_only = File::open(&path).unwrap();
        let mut ledger = Ledger::new(Sink::File(read_only), &path, None, 11, 0);
        let appended = ledger.append_all(["{\"a\":1}", "{\"a\":2}"]);
        assert_eq!(appended.lines, 0);
        let err = appended.error.expect("the write fails");
        assert!(format!("{err:#}").contains("cannot write to"), "{err:#}");
        assert_eq!(ledger.close().unwrap().records, 0);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"old\":1}\n");
    }

    #[test]
    fn a_directory_is_refused_naming_the_flag() {
        let dir = tempfile::tempdir().unwrap();
        let err = Ledger::open(dir.path(), None).unwrap_err();
        assert!(err.to_string().contains("--out"), "{err}");
    }
}
