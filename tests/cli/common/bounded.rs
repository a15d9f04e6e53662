//! Runs beacon-cli under an address-space limit and a wall-clock limit the test
//! enforces itself: the child is killed by its own pid if it overruns, and the
//! test fails. Its peak resident memory is sampled from `/proc/PID/status`
//! (`VmHWM`, the kernel's high-water mark) while it runs.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Standard output and error are kept up to this much each; the rest is counted.
const KEPT: usize = 64 * 1024 * 1024;

/// What the child reads on standard input.
#[derive(Debug, Clone)]
pub enum Stdin {
    /// `/dev/null`.
    Null,
    /// These bytes, then end of file (empty: a pipe closed at once).
    Bytes(Vec<u8>),
}

/// How one bounded run ended.
#[derive(Debug)]
pub struct Bounded {
    /// The exit code; `None` when a signal ended it (an abort on allocation failure).
    pub code: Option<i32>,
    /// Standard output, as far as kept, lossily decoded.
    pub stdout: String,
    /// Every byte written to standard output, kept or not.
    pub stdout_len: usize,
    /// Standard error.
    pub stderr: String,
    /// Wall-clock time.
    pub elapsed: Duration,
    /// The highest resident set size seen, in KiB.
    pub peak_rss_kib: u64,
    /// True when it ran past its wall-clock limit and was killed by its pid.
    pub overran: bool,
}

/// Something done beside the running child (open a FIFO's other end...).
pub type During = Box<dyn FnOnce() + Send>;

/// Runs `cmd`, killing it by its pid if it runs past `wall` (`overran`).
pub fn run_bounded(cmd: Command, stdin: Stdin, wall: Duration) -> Bounded {
    run_bounded_with(cmd, stdin, wall, None)
}

/// [`run_bounded`], with `during` run on a thread once the child started.
pub fn run_bounded_with(
    mut cmd: Command,
    stdin: Stdin,
    wall: Duration,
    during: Option<During>,
) -> Bounded {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(match stdin {
        Stdin::Null => Stdio::null(),
        Stdin::Bytes(_) => Stdio::piped(),
    });
    let start = Instant::now();
    let mut child = cmd.spawn().expect("beacon-cli starts");
    let pid = child.id();
    let feeder = match stdin {
        Stdin::Bytes(bytes) => {
            let mut pipe = child.stdin.take().expect("piped stdin");
            // A child that stops reading early closes the pipe: not an error here.
            Some(std::thread::spawn(move || {
                let _ = pipe.write_all(&bytes);
            }))
        }
        Stdin::Null => None,
    };
    let beside = during.map(std::thread::spawn);
    let out = reader(child.stdout.take().expect("piped stdout"));
    let err = reader(child.stderr.take().expect("piped stderr"));
    let mut peak = 0;
    let status = loop {
        peak = peak.max(vm_hwm(pid).unwrap_or(0));
        if let Some(status) = child.try_wait().expect("wait for beacon-cli") {
            break status;
        }
        if start.elapsed() > wall {
            // Our own child, by its handle: never a process we did not start.
            let _ = child.kill();
            break child.wait().expect("wait for beacon-cli");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    let overran = elapsed > wall;
    if let Some(beside) = beside {
        beside.join().expect("the action beside the child");
    }
    if let Some(feeder) = feeder {
        let _ = feeder.join();
    }
    let (stdout_len, stdout) = out.join().expect("stdout reader");
    let (_, stderr) = err.join().expect("stderr reader");
    Bounded {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stdout_len,
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        elapsed,
        peak_rss_kib: peak,
        overran,
    }
}

/// Reads a pipe to its end on a thread, keeping the first [`KEPT`] bytes.
fn reader(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<(usize, Vec<u8>)> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut total = 0;
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            total += n;
            let room = KEPT.saturating_sub(kept.len());
            kept.extend_from_slice(&buf[..n.min(room)]);
        }
        (total, kept)
    })
}

/// The kernel's high-water mark of the process's resident memory, in KiB.
fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Every file under `dir`, as paths relative to it, sorted.
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&at) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(path.clone());
            }
            out.push(
                path.strip_prefix(dir)
                    .unwrap_or(&path)
                    .display()
                    .to_string(),
            );
        }
    }
    out.sort();
    out
}
