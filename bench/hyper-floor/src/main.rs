//! `hyper-floor ADDRESS [LEDGER [--decode]]`: serves HTTP/1.1 on ADDRESS with
//! hyper on tokio's multi-threaded runtime (as `beacon-cli capture` does),
//! reads every request's body to the end, and answers 204.
//!
//! Without LEDGER nothing else is done. With LEDGER (a file, created or
//! appended to), each body is first hashed with SHA-256 and made one line,
//! `{"sha256":"…","body":…}` with the body's line breaks made spaces, and the
//! answer waits until that line is in the file. The lines are written as
//! capture writes its records: by one thread, all those waiting in one write
//! (a group commit), yielding once first when under load. The least a server
//! that keeps a ledger of what it was sent must do, with nothing decoded,
//! checked or redacted.
//!
//! With `--decode` as well, each body is also parsed as JSON (serde_json, into
//! a `serde_json::Value`, then dropped) before its line is made: the least a
//! server that decodes what it records must add. Prints nothing; stops when
//! killed.

use std::convert::Infallible;
use std::fs::File;
use std::io::Write;
use std::sync::mpsc;

use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A line for the ledger, and who waits for it.
type Entry = (Vec<u8>, oneshot::Sender<()>);

fn main() {
    let mut args = std::env::args().skip(1);
    let address = args
        .next()
        .expect("usage: hyper-floor ADDRESS [LEDGER [--decode]]");
    let ledger = args.next().map(|path| {
        let file = File::options()
            .create(true)
            .append(true)
            .open(path)
            .expect("the ledger");
        let (lines, waiting) = mpsc::channel();
        std::thread::spawn(move || write_lines(file, &waiting));
        lines
    });
    let decode = args.next().is_some_and(|flag| flag == "--decode");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_io()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&address)
            .await
            .expect("the address");
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let ledger = ledger.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let ledger = ledger.clone();
                    async move {
                        let body = request.into_body().collect().await;
                        if let (Some(ledger), Ok(body)) = (ledger, body) {
                            let body = body.to_bytes();
                            if decode {
                                let _ =
                                    std::hint::black_box(
                                        serde_json::from_slice::<serde_json::Value>(&body),
                                    );
                            }
                            let (written, done) = oneshot::channel();
                            if ledger.send((line(&body), written)).is_ok() {
                                let _ = done.await;
                            }
                        }
                        let mut response = Response::new(Empty::<Bytes>::new());
                        *response.status_mut() = StatusCode::NO_CONTENT;
                        Ok::<_, Infallible>(response)
                    }
                });
                let io = hyper_util::rt::TokioIo::new(tcp);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            });
        }
    });
}

/// One line for one body.
fn line(body: &[u8]) -> Vec<u8> {
    let digest = const_hex::encode(Sha256::digest(body));
    let mut line = Vec::with_capacity(body.len() + 100);
    line.extend_from_slice(b"{\"sha256\":\"");
    line.extend_from_slice(digest.as_bytes());
    line.extend_from_slice(b"\",\"body\":");
    line.extend(
        body.iter()
            .map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b }),
    );
    line.extend_from_slice(b"}\n");
    line
}

/// The writer's thread: every line waiting, in one write, then their answers.
/// As capture's writer does, it yields once before draining the queue when the
/// last write took more than one line: under load, batches grow.
fn write_lines(mut file: File, waiting: &mpsc::Receiver<Entry>) {
    let mut buffer = Vec::new();
    let mut answers = Vec::new();
    let mut busy = false;
    while let Ok(first) = waiting.recv() {
        if busy {
            std::thread::yield_now();
        }
        for (line, written) in std::iter::once(first).chain(waiting.try_iter().take(1024)) {
            buffer.extend_from_slice(&line);
            answers.push(written);
        }
        busy = answers.len() > 1;
        let _ = file.write_all(&buffer);
        buffer.clear();
        for written in answers.drain(..) {
            let _ = written.send(());
        }
    }
}
