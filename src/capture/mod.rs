//! `capture`: a local Beacon that records every request it receives.
//!
//! [`bind`] takes the address; [`start`] serves on the runtime it made: each
//! connection is served by hyper (with a header timeout, and TLS when asked), each
//! request by one axum handler that finds the endpoint under any base path
//! (`endpoints::by_path`), reads the body within `--max-body` and `--read-timeout`,
//! decodes it with `decode`, checks it with `validate`, relays it with `transport`
//! when `--forward` is given, and answers as Beacon documents ([`answer`]). Before
//! it answers, the handler hands its redacted [`record`] line to the ledger's one
//! writer, a thread of its own (`writer`), and waits until the line is in the
//! [`ledger`]: an answered request is always in the ledger, and lines never
//! interleave. The writer writes every line waiting in one write, so under load
//! many records share a system call.
//!
//! A stop (SIGINT or SIGTERM, `--max-requests`, `--duration`) closes the listener;
//! the requests in flight are finished and answered, idle connections closed.
//! [`Capture::next_brief`] hands the command each request in brief for a live
//! line (when it asks for them), and `None` once everything in flight is done;
//! [`Capture::finish`] gives back the ledger and the totals. A second signal
//! stops without waiting. Nothing here prints.

pub mod answer;
mod handle;
pub mod ledger;
pub mod record;
mod writer;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, TryLockError};
use std::time::Duration;

use anyhow::{Context as _, Result};
use time::OffsetDateTime;
use tokio::sync::{mpsc, watch};
use url::Url;

use crate::endpoints::EndpointId;
use crate::error::{Exit, Failure};
use crate::secrets::{Redactor, Secret};
use crate::transport::Network;
use ledger::Ledger;
pub use record::{Counts, Flag};

/// At most this many connections are served at once; more wait to be accepted.
pub const MAX_CONNECTIONS: usize = 1024;
/// Request bodies held at once, at most (more requests wait for room): this, or
/// twice `--max-body` when that is larger.
pub const BODY_BUDGET: u64 = 512 * 1024 * 1024;
/// After a stop, how long the requests in flight may take to finish.
pub const GRACE: Duration = Duration::from_secs(10);
/// After the requests in flight, how long a write to the ledger may still take.
pub const LEDGER_GRACE: Duration = Duration::from_secs(5);

/// How to run a capture.
#[derive(Debug)]
pub struct Config {
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
    /// Whether to hand each request in brief to [`Capture::next_brief`], for a
    /// live line.
    pub live: bool,
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
    /// The ledger is standard output, and it was closed.
    Closed,
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Signal(name) => write!(f, "{name} received"),
            Stop::MaxRequests(n) => write!(f, "--max-requests {n} reached"),
            Stop::Duration(d) => write!(f, "--duration {} s passed", d.as_secs_f64()),
            Stop::Closed => write!(f, "standard output was closed"),
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

/// What arrived at one endpoint (or at the other paths), for the summary.
#[derive(Debug, Default, Clone)]
pub struct Row {
    /// Requests.
    pub requests: u64,
    /// Their bodies' bytes as received.
    pub bytes: u64,
    /// Answer status to count.
    pub statuses: BTreeMap<u16, u64>,
    /// Findings by severity.
    pub counts: Counts,
    /// Privacy findings.
    pub privacy: u64,
    /// Requests with a flag.
    pub flagged: u64,
    /// The real Beacon's status (none: no answer) to count, with `--forward`.
    pub forwarded: BTreeMap<Option<u16>, u64>,
}

/// Everything a run recorded, in totals.
#[derive(Debug, Default, Clone)]
pub struct Totals {
    /// Per endpoint; `None` for the other paths.
    pub rows: BTreeMap<Option<EndpointId>, Row>,
    /// Requests whose record could not be written (answered 503).
    pub failed: u64,
    /// Why the first of them could not be.
    pub first_failure: Option<String>,
}

impl Totals {
    fn add(&mut self, brief: &Brief) {
        let row = self.rows.entry(brief.endpoint).or_default();
        row.requests += 1;
        row.bytes += brief.raw_bytes;
        *row.statuses.entry(brief.status).or_default() += 1;
        row.counts.add(brief.counts);
        row.privacy += brief.privacy;
        row.flagged += u64::from(!brief.flags.is_empty());
        if let Some(status) = brief.forwarded {
            *row.forwarded.entry(status).or_default() += 1;
        }
    }
}

/// The ledger and the totals, behind one lock. The ledger is taken out when
/// the run is over; a request still in flight then finds none (and gets 503).
#[derive(Debug)]
struct Book {
    ledger: Option<Ledger>,
    totals: Totals,
}

impl Book {
    /// Writes records, and counts them: a request answered 503 because its
    /// record could not be written is counted as failed, not as arrived.
    fn write(&mut self, records: &[(&str, &Brief)]) -> ledger::Appended {
        let appended = match &mut self.ledger {
            Some(ledger) => ledger.append_all(records.iter().map(|(line, _)| *line)),
            None => ledger::Appended::none("the capture has stopped"),
        };
        for (_, brief) in &records[..appended.lines] {
            self.totals.add(brief);
        }
        if let Some(err) = &appended.error {
            self.totals.failed += (records.len() - appended.lines) as u64;
            self.totals
                .first_failure
                .get_or_insert_with(|| format!("{err:#}"));
        }
        appended
    }
}

#[derive(Debug)]
enum Event {
    Live(Brief),
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

/// An address taken, not yet served.
#[derive(Debug)]
pub struct Bound {
    /// The address (the port chosen, with port 0).
    pub addr: SocketAddr,
    runtime: tokio::runtime::Runtime,
    listener: tokio::net::TcpListener,
}

/// A running capture.
#[derive(Debug)]
pub struct Capture {
    /// The address it listens on.
    pub addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
    events: mpsc::Receiver<Event>,
    stopper: Arc<Stopper>,
    book: Arc<Mutex<Book>>,
    /// The ledger's path (`-` for standard output).
    out: PathBuf,
    finished: bool,
}

/// What a run leaves: why it stopped, its totals, and the ledger to close.
#[derive(Debug)]
pub struct Finished {
    /// Why it stopped.
    pub stop: Option<Stop>,
    /// What it recorded.
    pub totals: Totals,
    /// The ledger, to sync and close.
    pub ledger: Ledger,
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

/// Takes the address, on a runtime of its own.
pub fn bind(listen: SocketAddr) -> Result<Bound> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("beacon-capture")
        .build()
        .context("cannot start the capture's runtime")?;
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
    Ok(Bound {
        addr,
        runtime,
        listener,
    })
}

/// Starts serving on the address taken, writing records to `ledger`.
pub fn start(bound: Bound, config: Config, ledger: Ledger) -> Result<Capture> {
    let Bound {
        addr,
        runtime,
        listener,
    } = bound;
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
    let out = ledger.path().to_path_buf();
    let book = Arc::new(Mutex::new(Book {
        ledger: Some(ledger),
        totals: Totals::default(),
    }));
    let tls = config.tls.clone().map(tokio_rustls::TlsAcceptor::from);
    let records = writer::Writer {
        book: book.clone(),
        stopper: stopper.clone(),
        live: config.live.then(|| events.clone()),
    }
    .start()?;
    let shared = handle::Shared::new(config, stopper.clone(), records);
    runtime.spawn(serve(listener, shared, tls, events));
    Ok(Capture {
        addr,
        runtime: Some(runtime),
        events: receiver,
        stopper,
        book,
        out,
        finished: false,
    })
}

impl Capture {
    /// The next request in brief, waiting for it (only with `live` on); `None`
    /// once the capture has stopped and every request in flight is recorded.
    pub fn next_brief(&mut self) -> Option<Brief> {
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
                Event::Live(brief) => return Some(brief),
                Event::Finished => self.finished = true,
            }
        }
    }

    /// Shuts the runtime down, and gives back what the run left. A write to
    /// the ledger that has not returned [`LEDGER_GRACE`] later (standard output
    /// that nobody reads, a disk that hangs) ends the run with an error: its
    /// requests were not answered, so nothing answered is missing.
    pub fn finish(mut self) -> Result<Finished> {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(1));
        }
        let stop = self.stopper.reason.get().copied();
        let deadline = std::time::Instant::now() + LEDGER_GRACE;
        let mut book = loop {
            match self.book.try_lock() {
                Ok(book) => break book,
                Err(TryLockError::Poisoned(poisoned)) => break poisoned.into_inner(),
                Err(TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(TryLockError::WouldBlock) => {
                    let stuck = if self.out.as_os_str() == "-" {
                        "standard output is not being read".to_string()
                    } else {
                        format!("`{}` does not take it", self.out.display())
                    };
                    return Err(Failure::new(
                        Exit::Failure,
                        "ledger-stuck",
                        format!(
                            "the ledger's last write did not finish within {} s: {stuck}",
                            LEDGER_GRACE.as_secs()
                        ),
                    )
                    .hint("the requests in that write were not answered, so their senders will send them again; read capture's output, or give --out a file")
                    .into());
                }
            }
        };
        let ledger = book
            .ledger
            .take()
            .context("internal: the ledger was taken twice")?;
        Ok(Finished {
            stop,
            totals: book.totals.clone(),
            ledger,
        })
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
