//! A `beacon-cli capture` process for tests, on 127.0.0.1:0, and a small HTTP/1.1
//! client that speaks to it over plain TCP (as many requests as wanted on one
//! connection, any bytes as the body).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::CANARY;

/// A running capture; killed (SIGKILL) if dropped without [`Capture::stop`].
pub struct Capture {
    pub addr: SocketAddr,
    pub ledger: PathBuf,
    child: Option<Child>,
    stderr: Arc<Mutex<String>>,
    stdout: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
    out_reader: Option<std::thread::JoinHandle<()>>,
    /// Dropped to make a stalled reader of standard output read again.
    resume: Option<std::sync::mpsc::Sender<()>>,
}

/// How the test reads the capture's standard output.
#[derive(Clone, Copy)]
enum Reading {
    /// Everything, to the end.
    All,
    /// This many lines, then the pipe is closed (as `head -n LINES` does).
    CloseAfter(usize),
    /// This many lines, then nothing until the capture ends (a reader that
    /// stopped, such as a paused pager); the rest is read after it ended.
    StallAfter(usize),
}

/// How a capture ended.
#[derive(Debug)]
pub struct Ended {
    pub code: i32,
    pub stderr: String,
    pub stdout: String,
}

impl Capture {
    /// Starts `beacon-cli capture --listen 127.0.0.1:0 --out DIR/capture.jsonl ARGS`
    /// in `dir`, and waits until it listens.
    pub fn start(dir: &Path, args: &[&str]) -> Self {
        Self::start_with_env(dir, args, &[])
    }

    pub fn start_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        Self::spawn(dir, args, env, Reading::All)
    }

    /// Starts it as [`Capture::start`] does, but closes its standard output once
    /// `lines` lines have been read from it (a reader such as `head -n LINES`).
    pub fn start_closing_stdout_after(dir: &Path, args: &[&str], lines: usize) -> Self {
        Self::spawn(dir, args, &[], Reading::CloseAfter(lines))
    }

    /// Starts it as [`Capture::start`] does, but stops reading its standard
    /// output (leaving the pipe open) once `lines` lines have been read.
    pub fn start_stalling_stdout_after(dir: &Path, args: &[&str], lines: usize) -> Self {
        Self::spawn(dir, args, &[], Reading::StallAfter(lines))
    }

    fn spawn(dir: &Path, args: &[&str], env: &[(&str, &str)], reading: Reading) -> Self {
        let ledger = dir.join("capture.jsonl");
        let mut all: Vec<String> = vec!["capture".into(), "--listen".into(), "127.0.0.1:0".into()];
        if !args.contains(&"--out") {
            all.push("--out".into());
            all.push(ledger.display().to_string());
        }
        all.extend(args.iter().map(|a| a.to_string()));
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("beacon-cli"));
        super::scrub_std(&mut cmd);
        cmd.current_dir(dir)
            .args(&all)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("beacon-cli capture starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let err_pipe = child.stderr.take().unwrap();
        let log = stderr.clone();
        let reader = std::thread::spawn(move || {
            let mut lines = BufReader::new(err_pipe);
            let mut line = String::new();
            let mut told = false;
            while lines.read_line(&mut line).is_ok_and(|n| n > 0) {
                log.lock().unwrap().push_str(&line);
                if !told {
                    if let Some(rest) = line.strip_prefix("listening: ") {
                        let addr = rest
                            .split_whitespace()
                            .next()
                            .unwrap()
                            .trim_start_matches("http://")
                            .trim_start_matches("https://")
                            .to_string();
                        let _ = tx.send(addr);
                        told = true;
                    }
                }
                line.clear();
            }
        });
        let mut out_pipe = child.stdout.take().unwrap();
        let sink = stdout.clone();
        let (resume, resumed) = std::sync::mpsc::channel::<()>();
        let out_reader = std::thread::spawn(move || {
            let mut stalled = false;
            let mut buf = [0u8; 65536];
            while let Ok(n) = out_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut sink = sink.lock().unwrap();
                sink.extend_from_slice(&buf[..n]);
                let lines = sink.iter().filter(|&&b| b == b'\n').count();
                match reading {
                    Reading::CloseAfter(close) if lines >= close => {
                        break; // the pipe is dropped, and so closed
                    }
                    Reading::StallAfter(stall) if lines >= stall && !stalled => {
                        drop(sink);
                        stalled = true;
                        // Until the test gives up on the capture.
                        let _ = resumed.recv();
                    }
                    _ => {}
                }
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(addr) => addr.parse().expect("an address"),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                let _ = reader.join();
                panic!(
                    "capture did not say where it listens:\n{}",
                    stderr.lock().unwrap()
                );
            }
        };
        Self {
            addr,
            ledger,
            child: Some(child),
            stderr,
            stdout,
            reader: Some(reader),
            out_reader: Some(out_reader),
            resume: Some(resume),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Sends a signal (`TERM`, `INT`) to the capture.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// What it said on standard error so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits for it to end by itself (`--max-requests`, `--duration`).
    pub fn wait(mut self, within: Duration) -> Ended {
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + within;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("capture did not stop in {within:?}:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        drop(self.resume.take());
        if let Some(reader) = self.out_reader.take() {
            reader.join().unwrap();
        }
        let ended = Ended {
            code: status.code().expect("exited, not killed"),
            stderr: self.stderr(),
            stdout: String::from_utf8(self.stdout.lock().unwrap().clone()).expect("UTF-8"),
        };
        assert!(
            !ended.stderr.contains("panicked"),
            "capture panicked:\n{}",
            ended.stderr
        );
        assert!(
            !ended.stderr.contains(CANARY) && !ended.stdout.contains(CANARY),
            "a secret leaked:\n{}",
            ended.stderr
        );
        ended
    }

    /// SIGTERM, then waits for it to end.
    pub fn stop(self) -> Ended {
        self.signal("TERM");
        self.wait(Duration::from_secs(30))
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Every record of a ledger, parsed; a line that is not JSON fails the test.
pub fn records(ledger: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(ledger).expect("the ledger is there");
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "the ledger ends in a torn line"
    );
    text.lines()
        .enumerate()
        .map(|(n, line)| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("ledger line {} is not JSON ({e}): {line}", n + 1))
        })
        .collect()
}

/// A response as read.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON answer")
    }
}

/// One keep-alive HTTP/1.1 connection.
pub struct Client {
    stream: BufReader<TcpStream>,
    host: String,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream: BufReader::new(stream),
            host: addr.to_string(),
        })
    }

    /// Sends a request with a `Content-Length` body and reads the answer.
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<Response> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n",
            self.host,
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        self.stream.get_mut().write_all(&bytes)?;
        self.read_response()
    }

    /// Writes raw bytes (a request of any shape).
    pub fn write_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.get_mut().write_all(bytes)
    }

    /// Reads one answer.
    pub fn read_response(&mut self) -> std::io::Result<Response> {
        let mut line = String::new();
        if self.stream.read_line(&mut line)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "closed before an answer",
            ));
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("not a status line: {line:?}")))?;
        let mut headers = Vec::new();
        loop {
            let mut header = String::new();
            self.stream.read_line(&mut header)?;
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((k, v)) = header.split_once(':') {
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let length: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body)?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// One request on a connection of its own.
pub fn post(addr: SocketAddr, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
    Client::connect(addr)
        .expect("connect")
        .request("POST", path, headers, body)
        .expect("an answer")
}

/// gzip of the bytes.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}
