//! `capture`: a local Beacon that records every request it receives.
//!
//! [`start`] binds the address, then serves on a tokio runtime of its own: each
//! connection is served by hyper (with a header timeout, and TLS when asked), each
//! request by one axum handler that finds the endpoint under any base
//! path (`endpoints::by_path`), reads the body within `--max-body` and
//! `--read-timeout`, decodes it with `decode`, checks it with `validate`, relays
//! it with `transport` when `--forward` is given, and answers as Beacon documents
//! ([`answer`]). Before it answers, it hands the redacted [`record`] line to the
//! command's loop and waits until that line is written: an answered request is
//! always in the ledger. The command takes each [`Recorded`] with
//! [`Capture::next_record`], writes it ([`ledger`]) and acknowledges it.
//!
//! A stop (SIGINT or SIGTERM, `--max-requests`, `--duration`) closes the listener;
//! the requests in flight are finished and answered, idle connections closed, and
//! then [`Capture::next_record`] returns `None`. A second signal stops without waiting.
//! Nothing here prints.

pub mod answer;
mod handle;
pub mod ledger;
pub mod record;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::{Context as _, Result};
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot, watch};
use url::Url;

use crate::endpoints::EndpointId;
use crate::error::Failure;
use crate::secrets::{Redactor, Secret};
use crate::transport::Network;
pub use record::{Counts, Flag};

/// At most this many connections are served at once; more wait to be accepted.
pub const MAX_CONNECTIONS: usize = 1024;
/// Request bodies held at once, at most (more requests wait for room): this, or
/// twice `--max-body` when that is larger.
pub const BODY_BUDGET: u64 = 512 * 1024 * 1024;
/// After a stop, how long the requests in flight may take to finish.
pub const GRACE: Duration = Duration::from_secs(10);

/// How to run a capture.
#[derive(Debug)]
pub struct Config {
    /// Where to listen.
    pub listen: SocketAddr,
    /// `--tls-cert` and `--tls-key`, as a server configuration.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// `--forward`.
    pub forward: Option<Forward>,
    /// `--max-requests`.
    pub max_requests: Option<u64>,
    /// `--duration`.
    pub duration: Option<Duration>,
    /// `--max-body`: as received, and once inflated.
    pub max_body: u64,
    /// `--read-timeout`: for the headers, and again for the body.
    pub read_timeout: Duration,
    /// The operator's license, reported where it appears outside a license field.
    pub license: Option<Secret>,
    /// The output boundary's redactor: the ledger hides what standard output hides,
    /// and the licenses and tokens capture sees become secrets for both.
    pub redactor: Arc<Redactor>,
}

/// `--forward`: where to relay, and how to get there.
#[derive(Debug, Clone)]
pub struct Forward {
    /// The real Beacon's base URL.
    pub base: Url,
    /// Proxy, CA, timeouts and retries, resolved as `send` resolves them.
    pub network: Network,
}

/// Why a capture stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// SIGINT or SIGTERM.
    Signal(&'static str),
    /// `--max-requests` were received.
    MaxRequests(u64),
    /// `--duration` passed.
    Duration(Duration),
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Signal(name) => write!(f, "{name} received"),
            Stop::MaxRequests(n) => write!(f, "--max-requests {n} reached"),
            Stop::Duration(d) => write!(f, "--duration {} s passed", d.as_secs_f64()),
        }
    }
}

/// A request, in brief: for a live line and the summary.
#[derive(Debug, Clone)]
pub struct Brief {
    /// When it arrived.
    pub time: OffsetDateTime,
    /// The method.
    pub method: String,
    /// The path, redacted.
    pub path: String,
    /// The endpoint, when the path is one.
    pub endpoint: Option<EndpointId>,
    /// The answer's status.
    pub status: u16,
    /// The body's size as received.
    pub raw_bytes: u64,
    /// Findings by severity.
    pub counts: Counts,
    /// Privacy findings.
    pub privacy: u64,
    /// What is flagged.
    pub flags: Vec<Flag>,
    /// The real Beacon's status, with `--forward` (null when it did not answer).
    pub forwarded: Option<Option<u16>>,
}

/// A record waiting to be written: the command writes `line`, then calls
/// [`Recorded::written`], and only then is the request answered.
#[derive(Debug)]
pub struct Recorded {
    /// The record, one line of JSON without its newline, every secret redacted.
    pub line: String,
    /// The same request in brief.
    pub brief: Brief,
    done: oneshot::Sender<bool>,
}

impl Recorded {
    /// Says whether the line was written; a request whose record could not be
    /// written is answered 503, so its sender tries again.
    pub fn written(self, ok: bool) {
        let _ = self.done.send(ok);
    }
}

enum Event {
    Record(Recorded),
    Finished,
}

/// The stop, once decided, and the signals that tell the tasks.
#[derive(Debug)]
struct Stopper {
    reason: OnceLock<Stop>,
    stopping: watch::Sender<bool>,
    forced: watch::Sender<bool>,
}

impl Stopper {
    fn new() -> Self {
        Self {
            reason: OnceLock::new(),
            stopping: watch::Sender::new(false),
            forced: watch::Sender::new(false),
        }
    }

    /// Stops, for the first reason given.
    fn stop(&self, reason: Stop) {
        let _ = self.reason.set(reason);
        self.stopping.send_replace(true);
    }
}

/// A running capture.
#[derive(Debug)]
pub struct Capture {
    /// The address it listens on (the port chosen, with port 0).
    pub addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
    events: mpsc::Receiver<Event>,
    stopper: Arc<Stopper>,
    finished: bool,
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::Record(r) => f.debug_tuple("Record").field(&r.brief).finish(),
            Event::Finished => f.write_str("Finished"),
        }
    }
}

/// A TLS server configuration from PEM files' contents: a certificate chain and
/// its private key. `cert` and `key` name them in errors.
pub fn tls_config(
    cert_pem: &[u8],
    key_pem: &[u8],
    cert: &str,
    key: &str,
) -> Result<Arc<rustls::ServerConfig>> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| {
            Failure::input(format!(
                "--tls-cert `{cert}` is not a PEM certificate chain: {e}"
            ))
            .hint("give the server certificate (then its intermediates) as PEM")
        })?;
    if chain.is_empty() {
        return Err(
            Failure::input(format!("--tls-cert `{cert}` holds no PEM certificate"))
                .hint("give a file with -----BEGIN CERTIFICATE----- blocks")
                .into(),
        );
    }
    let private = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| {
        Failure::input(format!("--tls-key `{key}` holds no PEM private key: {e}"))
            .hint("give the certificate's private key, unencrypted (PKCS#8, PKCS#1 or SEC1 PEM)")
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("cannot set up TLS")?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| {
            Failure::input(format!(
                "--tls-key `{key}` does not go with --tls-cert `{cert}`: {e}"
            ))
            .hint("give the key the certificate was made for")
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Binds the address and starts serving.
pub fn start(config: Config) -> Result<Capture> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("beacon-capture")
        .build()
        .context("cannot start the capture's runtime")?;
    let listen = config.listen;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(listen))
        .map_err(|e| {
            let hint = match e.kind() {
                std::io::ErrorKind::AddrInUse => {
                    "another program listens there: choose another port with --listen (port 0 picks a free one)"
                }
                std::io::ErrorKind::PermissionDenied => {
                    "ports below 1024 need privileges: choose a port above 1024 with --listen"
                }
                _ => "name an address of this machine with --listen, such as 127.0.0.1:8787",
            };
            Failure::input(format!("--listen {listen}: cannot listen there: {e}")).hint(hint)
        })?;
    let addr = listener
        .local_addr()
        .context("cannot read the address listened on")?;
    // The handlers are registered before anyone can know the port: a SIGTERM sent
    // right after the address is shown is a stop, never a kill.
    let signals = runtime.block_on(async {
        use tokio::signal::unix::{SignalKind, signal};
        Ok::<_, std::io::Error>((
            signal(SignalKind::terminate())?,
            signal(SignalKind::interrupt())?,
        ))
    });
    let (mut term, mut int) = signals.context("cannot listen for SIGTERM and SIGINT")?;
    let stopper = Arc::new(Stopper::new());
    let (events, receiver) = mpsc::channel(1024);
    let on_signal = stopper.clone();
    runtime.spawn(async move {
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        on_signal.stop(Stop::Signal(name));
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        on_signal.forced.send_replace(true);
    });
    if let Some(duration) = config.duration {
        let on_time = stopper.clone();
        runtime.spawn(async move {
            tokio::time::sleep(duration).await;
            on_time.stop(Stop::Duration(duration));
        });
    }
    let tls = config.tls.clone().map(tokio_rustls::TlsAcceptor::from);
    let shared = handle::Shared::new(config, events.clone(), stopper.clone());
    runtime.spawn(serve(listener, shared, tls, events));
    Ok(Capture {
        addr,
        runtime: Some(runtime),
        events: receiver,
        stopper,
        finished: false,
    })
}

impl Capture {
    /// The next record to write, waiting for it; `None` once the capture has
    /// stopped and every request in flight is recorded.
    pub fn next_record(&mut self) -> Option<Recorded> {
        loop {
            let event = if self.finished {
                self.events.try_recv().ok()?
            } else {
                match self.events.blocking_recv() {
                    Some(event) => event,
                    None => {
                        self.finished = true;
                        continue;
                    }
                }
            };
            match event {
                Event::Record(recorded) => return Some(recorded),
                Event::Finished => self.finished = true,
            }
        }
    }

    /// Stops it: for an error in the command's loop (the ledger cannot be written).
    pub fn stop(&self, reason: Stop) {
        self.stopper.stop(reason);
    }

    /// Shuts the runtime down, and says why the capture stopped.
    pub fn finish(mut self) -> Option<Stop> {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(1));
        }
        self.stopper.reason.get().copied()
    }
}

/// Waits until the flag is set (or its sender is gone).
pub(crate) async fn until(flag: &mut watch::Receiver<bool>) {
    let _ = flag.wait_for(|set| *set).await;
}

/// Accepts connections until the stop, then waits for those in flight.
async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<handle::Shared>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    events: mpsc::Sender<Event>,
) {
    let connections = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let stopper = shared.stopper.clone();
    let mut stopping = stopper.stopping.subscribe();
    let app = handle::router(shared.clone());
    loop {
        let permit = tokio::select! {
            biased;
            _ = until(&mut stopping) => break,
            permit = connections.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let (tcp, peer) = tokio::select! {
            biased;
            _ = until(&mut stopping) => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: wait, rather than spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let connection = handle::Connection {
            peer,
            tls: tls.clone(),
            app: app.clone(),
            stopping: stopper.stopping.subscribe(),
            read_timeout: shared.config.read_timeout,
        };
        tokio::spawn(async move {
            connection.serve(tcp).await;
            drop(permit);
        });
    }
    drop(listener);
    drop(app);
    drop(shared);
    let mut forced = stopper.forced.subscribe();
    let all = u32::try_from(MAX_CONNECTIONS).unwrap_or(u32::MAX);
    tokio::select! {
        _ = connections.acquire_many(all) => {}
        _ = tokio::time::sleep(GRACE) => {}
        _ = until(&mut forced) => {}
    }
    let _ = events.send(Event::Finished).await;
}
