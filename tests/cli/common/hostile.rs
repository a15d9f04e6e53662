//! A hostile HTTP server for tests: raw TCP on 127.0.0.1:0, so it can do what a
//! well-behaved server library will not (stall mid-body, reset the connection,
//! send a megabyte of headers, lie about lengths, answer a proxy's 407).
//!
//! Each connection is handled on its own thread by the test's handler. Waits
//! inside a handler end when the server is dropped, so a stalled connection never
//! outlives its test.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The most of a request head the server reads.
const MAX_HEAD: usize = 1024 * 1024;

/// A request as the hostile server read it.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The request line: `POST /v1/beacon/verify HTTP/1.1`, `CONNECT host:port HTTP/1.1`.
    pub line: String,
    /// The header lines, as sent.
    pub headers: Vec<(String, String)>,
    /// The body (read as far as `Content-Length` says).
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        super::header(&self.headers, name)
    }
}

/// One accepted connection, for the handler.
pub struct Conn {
    pub stream: TcpStream,
    /// The connection's number, from 0.
    pub n: usize,
    stop: Arc<AtomicBool>,
}

impl Conn {
    /// Reads the request head and as much body as `Content-Length` announces.
    pub fn read_request(&mut self) -> Request {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && head.len() < MAX_HEAD {
            match self.stream.read(&mut byte) {
                Ok(1) => head.push(byte[0]),
                _ => break,
            }
        }
        let text = String::from_utf8_lossy(&head).into_owned();
        let mut lines = text.split("\r\n");
        let line = lines.next().unwrap_or_default().to_string();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        let mut request = Request {
            line,
            headers,
            body: Vec::new(),
        };
        let length: usize = request
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; length.min(64 * 1024 * 1024)];
        if self.stream.read_exact(&mut body).is_ok() {
            request.body = body;
        }
        request
    }

    /// Writes bytes; a client that went away is not the handler's problem.
    pub fn send(&mut self, bytes: &[u8]) -> bool {
        self.stream.write_all(bytes).is_ok() && self.stream.flush().is_ok()
    }

    /// Writes a whole answer: status line, headers, `Content-Length`, body.
    pub fn answer(&mut self, status: &str, headers: &[(&str, &str)], body: &[u8]) -> bool {
        let mut head = format!("HTTP/1.1 {status}\r\n");
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        ));
        self.send(head.as_bytes()) && self.send(body)
    }

    /// Waits without answering, until `limit` passes or the server is dropped.
    pub fn stall(&self, limit: Duration) {
        let end = Instant::now() + limit;
        while Instant::now() < end && !self.stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Ends the connection with a TCP reset instead of a clean close.
    pub fn reset(self) {
        let _ = socket2::SockRef::from(&self.stream).set_linger(Some(Duration::ZERO));
        drop(self.stream);
    }

    /// True once the server is dropped.
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

type Handler = dyn Fn(Conn) + Send + Sync;

/// The hostile server; it stops when dropped.
pub struct Hostile {
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl Hostile {
    /// Starts a server that hands every connection to `handler`, each on its own thread.
    pub fn start(handler: impl Fn(Conn) + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicUsize::new(0));
        let handler: Arc<Handler> = Arc::new(handler);
        let acceptor = {
            let (stop, connections) = (stop.clone(), connections.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let n = connections.fetch_add(1, Ordering::SeqCst);
                    let handler = handler.clone();
                    let stop = stop.clone();
                    std::thread::spawn(move || handler(Conn { stream, n, stop }));
                }
            })
        };
        Self {
            addr,
            connections,
            stop,
            acceptor: Some(acceptor),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many connections were accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the acceptor, which sees the flag and ends.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}
