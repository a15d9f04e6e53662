//! One connection, and one request: read, decode, check, relay, record, answer.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use http_body_util::BodyExt;
use serde::de::IgnoredAny;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use super::answer::{self, Answer};
use super::record::{self, Checked, Flag, Forwarded, Record};
use super::writer::Records;
use super::{Brief, Config, Stop, Stopper};
use crate::decode::{self, Encoding, Gzip, Limits};
use crate::endpoints::{self, Class, EndpointId};
use crate::error::failure_of;
use crate::interpret;
use crate::secrets::{self, Secret};
use crate::transport::{self, Outgoing};
use crate::validate;
use crate::validate::privacy::is_privacy_code;

/// Bodies larger than this are decoded and checked on a blocking thread, so a
/// large one does not hold up the requests served beside it.
const INLINE_BODY: usize = 64 * 1024;

/// What every request handler shares.
#[derive(Debug)]
pub(super) struct Shared {
    pub config: Config,
    pub stopper: Arc<Stopper>,
    arrived: AtomicU64,
    records: Records,
    /// Room for bodies, in KiB.
    budget: Arc<Semaphore>,
}

impl Shared {
    pub fn new(config: Config, stopper: Arc<Stopper>, records: Records) -> Arc<Self> {
        let budget = super::BODY_BUDGET.max(config.max_body.saturating_mul(2)) / 1024;
        Arc::new(Self {
            config,
            stopper,
            arrived: AtomicU64::new(0),
            records,
            budget: Arc::new(Semaphore::new(
                usize::try_from(budget).unwrap_or(Semaphore::MAX_PERMITS),
            )),
        })
    }
}

/// The capture's axum application: one handler for every path, since the six
/// endpoints are found under any base path. Requests carry their peer as
/// `ConnectInfo<SocketAddr>`.
pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(shared)
}

/// One accepted connection.
pub(super) struct Connection {
    pub peer: SocketAddr,
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    pub app: Router,
    pub stopping: watch::Receiver<bool>,
    pub read_timeout: std::time::Duration,
}

impl Connection {
    /// Serves the connection until it closes, or the capture stops.
    pub async fn serve(mut self, tcp: tokio::net::TcpStream) {
        let _ = tcp.set_nodelay(true);
        match self.tls.take() {
            None => self.http(tcp, false).await,
            Some(acceptor) => {
                let handshake = tokio::time::timeout(self.read_timeout, acceptor.accept(tcp));
                let stream = tokio::select! {
                    done = handshake => match done {
                        Ok(Ok(stream)) => stream,
                        // A client that rejects the certificate, or says nothing.
                        _ => return,
                    },
                    _ = super::until(&mut self.stopping) => return,
                };
                self.http(stream, true).await;
            }
        }
    }

    async fn http<I>(mut self, io: I, tls: bool)
    where
        I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let (peer, app) = (self.peer, self.app.clone());
        let service = hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            request.extensions_mut().insert(Tls(tls));
            tower::ServiceExt::oneshot(app.clone(), request)
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(self.read_timeout);
        let connection = builder.serve_connection(hyper_util::rt::TokioIo::new(io), service);
        tokio::pin!(connection);
        tokio::select! {
            _ = connection.as_mut() => return,
            _ = super::until(&mut self.stopping) => {}
        }
        // The request in flight is finished and answered; then the connection closes.
        connection.as_mut().graceful_shutdown();
        let _ = connection.await;
    }
}

/// Whether the request came over TLS.
#[derive(Debug, Clone, Copy)]
struct Tls(bool);

/// How much of the body arrived.
enum BodyRead {
    Whole(Vec<u8>),
    TooLarge(u64),
    TimedOut(u64),
    Broken(u64, String),
}

async fn read_body(
    body: Body,
    declared: Option<u64>,
    max: u64,
    deadline: tokio::time::Instant,
    budget: &Arc<Semaphore>,
) -> (BodyRead, Option<OwnedSemaphorePermit>) {
    if declared.is_some_and(|n| n > max) {
        return (BodyRead::TooLarge(0), None);
    }
    let mut body = body;
    let mut bytes: Vec<u8> = Vec::new();
    let mut held: Option<OwnedSemaphorePermit> = None;
    let mut held_kib = 0usize;
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => return (BodyRead::TimedOut(bytes.len() as u64), held),
            Ok(None) => return (BodyRead::Whole(bytes), held),
            Ok(Some(Err(e))) => return (BodyRead::Broken(bytes.len() as u64, e.to_string()), held),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        let total = bytes.len() + data.len();
        if total as u64 > max {
            return (BodyRead::TooLarge(total as u64), held);
        }
        let need = total.div_ceil(1024);
        if need > held_kib {
            let more = u32::try_from(need - held_kib).unwrap_or(u32::MAX);
            let permit =
                match tokio::time::timeout_at(deadline, budget.clone().acquire_many_owned(more))
                    .await
                {
                    Ok(Ok(permit)) => permit,
                    _ => return (BodyRead::TimedOut(bytes.len() as u64), held),
                };
            match &mut held {
                Some(held) => held.merge(permit),
                None => held = Some(permit),
            }
            held_kib = need;
        }
        bytes.extend_from_slice(&data);
    }
}

/// What was made of a body.
#[derive(Default)]
struct Examined {
    encoding: Option<Encoding>,
    gzip: bool,
    decoded_bytes: Option<u64>,
    body: Option<String>,
    body_error: Option<String>,
    body_text: Option<String>,
    checked: Checked,
    flags: Vec<Flag>,
    /// The local answer.
    answer: Option<Answer>,
}

/// The request's headers that decide how its body is read.
struct Shape {
    content_type: Option<String>,
    content_encoding: Option<String>,
}

/// Decodes and checks the body of a POST to `endpoint`, and chooses the answer.
fn examine(
    endpoint: EndpointId,
    shape: &Shape,
    bytes: Vec<u8>,
    config: &Config,
    name: &str,
    now: OffsetDateTime,
) -> Examined {
    let mut out = Examined::default();
    let declared_gzip = match shape.content_encoding.as_deref().map(str::trim) {
        None | Some("") => false,
        Some(e) if e.eq_ignore_ascii_case("identity") => false,
        Some(e) if e.eq_ignore_ascii_case("gzip") || e.eq_ignore_ascii_case("x-gzip") => true,
        Some(_) => {
            out.flags.push(Flag::UnsupportedEncoding);
            out.answer = Some(Answer::error(
                415,
                "capture reads gzip or uncompressed bodies only",
            ));
            return out;
        }
    };
    let named = shape
        .content_type
        .as_deref()
        .map(Encoding::from_content_type);
    let encoding = match named {
        None => Encoding::Json,
        Some(Some(encoding)) => encoding,
        Some(None) => {
            out.flags.push(Flag::UnsupportedContentType);
            Encoding::Json
        }
    };
    let limits = Limits {
        inflated: config.max_body,
        json: config.max_body.saturating_mul(4),
    };
    let gzip = if declared_gzip {
        Gzip::Required
    } else {
        Gzip::Detect
    };
    let text_of = |bytes: &[u8]| {
        std::str::from_utf8(record::cut_bytes(bytes, record::BODY_TEXT_BYTES))
            .ok()
            .map(str::to_string)
    };
    let keep = (endpoint.signal().is_none() || encoding == Encoding::Json)
        .then(|| text_of(&bytes))
        .flatten();
    let body = match decode::decode(bytes, endpoint, encoding, gzip, &limits, name) {
        Ok(body) => body,
        Err(err) => {
            let too_large =
                failure_of(&err).is_some_and(|f| f.diagnostic.code == decode::TOO_LARGE);
            let takes_json = encoding == Encoding::Protobuf && endpoint.signal().is_none();
            let (status, flag) = if too_large {
                (413, Flag::BodyTooLarge)
            } else if takes_json {
                (415, Flag::UnsupportedContentType)
            } else {
                (400, Flag::NotDecoded)
            };
            out.flags.push(flag);
            out.body_error = Some(err.to_string());
            out.body_text = if declared_gzip { None } else { keep };
            out.answer = Some(Answer::error(status, &err.to_string()));
            return out;
        }
    };
    out.encoding = Some(body.encoding);
    out.gzip = body.gzip;
    out.decoded_bytes = Some(body.decoded_len as u64);
    if body.gzip && !declared_gzip {
        out.flags.push(Flag::GzipUndeclared);
    }
    // A license that arrives is a secret from now on, everywhere: in this record,
    // in later ones, and on the terminal.
    let billing = billing_fields(endpoint, &body.json);
    if let Some(license) = &billing.license {
        config.redactor.protect(license);
    }
    let license = billing.license.as_ref().or(config.license.as_ref());
    match validate::validate(endpoint, &body, license, name) {
        Ok(report) => {
            out.checked = Checked::from_report(report);
            out.body = Some(body.json);
        }
        Err(err) => {
            out.flags.push(Flag::NotDecoded);
            out.body_error = Some(err.to_string());
            out.body_text = Some(record::cut(&body.json, record::BODY_TEXT_BYTES).to_string());
            out.answer = Some(Answer::error(400, &err.to_string()));
            return out;
        }
    }
    out.answer = Some(match named {
        Some(None) => Answer::error(
            415,
            "the Content-Type is neither application/json nor application/x-protobuf",
        ),
        _ => answer::documented(endpoint, body.encoding, billing.transactions, now),
    });
    out
}

/// What a billing body says beyond its shape: the license it carries, and how
/// many transactions an ingest-traces body holds.
#[derive(Default)]
struct Billing {
    license: Option<Secret>,
    transactions: Option<usize>,
}

fn billing_fields(endpoint: EndpointId, json: &str) -> Billing {
    #[derive(serde::Deserialize)]
    struct Fields {
        #[serde(default)]
        license: Lenient,
        #[serde(default)]
        license_key: Lenient,
        #[serde(default)]
        trace_transactions: Lenient,
    }
    if endpoint.spec().class == Class::Operational {
        return Billing::default();
    }
    let Ok(fields) = serde_json::from_str::<Fields>(json) else {
        return Billing::default();
    };
    Billing {
        license: fields
            .license
            .text
            .or(fields.license_key.text)
            .filter(|t| t != endpoints::LICENSE_PLACEHOLDER)
            .map(Secret::new),
        transactions: fields.trace_transactions.items,
    }
}

/// Any JSON value, read for what it may say: a string's text, or a list's
/// length. Nothing else is kept, so a large list costs no memory.
#[derive(Default)]
struct Lenient {
    text: Option<String>,
    items: Option<usize>,
}

impl<'de> serde::Deserialize<'de> for Lenient {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Lenient;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E>(self, v: &str) -> Result<Lenient, E> {
                Ok(Lenient {
                    text: Some(v.to_string()),
                    items: None,
                })
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Lenient, A::Error> {
                let mut n = 0;
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    n += 1;
                }
                Ok(Lenient {
                    text: None,
                    items: Some(n),
                })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Lenient, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Lenient::default())
            }
            fn visit_bool<E>(self, _: bool) -> Result<Lenient, E> {
                Ok(Lenient::default())
            }
            fn visit_i64<E>(self, _: i64) -> Result<Lenient, E> {
                Ok(Lenient::default())
            }
            fn visit_u64<E>(self, _: u64) -> Result<Lenient, E> {
                Ok(Lenient::default())
            }
            fn visit_f64<E>(self, _: f64) -> Result<Lenient, E> {
                Ok(Lenient::default())
            }
            fn visit_unit<E>(self) -> Result<Lenient, E> {
                Ok(Lenient::default())
            }
        }
        d.deserialize_any(Visit)
    }
}

/// A body that is not taken (sent to a path that is no endpoint, or not by
/// POST), flagged and answered so, and kept as evidence: as JSON when it is
/// JSON (gzip inflated within the limits), else as text when it is text.
fn evidence(bytes: Vec<u8>, config: &Config, flag: Flag, answer: Answer) -> Examined {
    let mut out = Examined {
        flags: vec![flag],
        answer: Some(answer),
        ..Examined::default()
    };
    let limits = Limits {
        inflated: config.max_body,
        json: config.max_body,
    };
    // Any endpoint id will do: the body is read as JSON, never as protobuf.
    match decode::decode(
        bytes,
        EndpointId::Verify,
        Encoding::Json,
        Gzip::Detect,
        &limits,
        "body",
    ) {
        Ok(body) => {
            out.gzip = body.gzip;
            out.decoded_bytes = Some(body.decoded_len as u64);
            if serde_json::from_str::<IgnoredAny>(&body.json).is_ok() {
                out.encoding = Some(Encoding::Json);
                out.body = Some(body.json);
            } else if !body.json.is_empty() {
                out.body_text = Some(record::cut(&body.json, record::BODY_TEXT_BYTES).to_string());
            }
        }
        Err(err) => out.body_error = Some(err.to_string()),
    }
    out
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let started = Instant::now();
    let now = OffsetDateTime::now_utc();
    let seq = shared.arrived.fetch_add(1, Ordering::Relaxed) + 1;
    let tls = request.extensions().get::<Tls>().is_some_and(|t| t.0);
    let (parts, body) = request.into_parts();
    let config = &shared.config;
    let path = parts.uri.path();
    let found = endpoints::by_path(path);
    let header_text = |name: HeaderName| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let declared = header_text(header::CONTENT_LENGTH).and_then(|v| v.trim().parse().ok());
    let deadline = tokio::time::Instant::now() + config.read_timeout;
    let (read, permit) = read_body(body, declared, config.max_body, deadline, &shared.budget).await;
    let mut examined = Examined::default();
    let raw_bytes;
    let mut sha256 = None;
    let mut relayed: Option<(HeaderMap, Forwarded, Answer)> = None;
    match read {
        BodyRead::Whole(bytes) => {
            raw_bytes = bytes.len() as u64;
            sha256 = Some(const_hex::encode(Sha256::digest(&bytes)));
            let copy = config.forward.as_ref().map(|_| bytes.clone());
            examined = match found {
                Some((id, _)) if parts.method == Method::POST => {
                    let name = format!("POST {path}");
                    let shape = Shape {
                        content_type: header_text(header::CONTENT_TYPE).map(str::to_string),
                        content_encoding: header_text(header::CONTENT_ENCODING).map(str::to_string),
                    };
                    let shared = shared.clone();
                    let work = move || examine(id, &shape, bytes, &shared.config, &name, now);
                    if raw_bytes as usize > INLINE_BODY {
                        match tokio::task::spawn_blocking(work).await {
                            Ok(examined) => examined,
                            Err(_) => Examined {
                                answer: Some(Answer::error(500, "capture failed on this body")),
                                ..Examined::default()
                            },
                        }
                    } else {
                        work()
                    }
                }
                Some(_) => evidence(
                    bytes,
                    config,
                    Flag::MethodNotAllowed,
                    Answer::error(405, "Beacon endpoints take POST"),
                ),
                None => evidence(
                    bytes,
                    config,
                    Flag::UnknownPath,
                    Answer::error(404, "not a Beacon endpoint"),
                ),
            };
            if let (Some(forward), Some(copy)) = (&config.forward, copy) {
                relayed = Some(relay(forward, &parts, found, copy, &config.redactor).await);
            }
        }
        BodyRead::TooLarge(read) => {
            raw_bytes = read;
            examined.flags.push(Flag::BodyTooLarge);
            examined.answer = Some(Answer::error(
                413,
                &format!(
                    "the body is larger than --max-body ({} bytes)",
                    config.max_body
                ),
            ));
        }
        BodyRead::TimedOut(read) => {
            raw_bytes = read;
            examined.flags.push(Flag::BodyTimeout);
            examined.answer = Some(Answer::error(408, "the body did not arrive in time"));
        }
        BodyRead::Broken(read, error) => {
            raw_bytes = read;
            examined.flags.push(Flag::BodyIncomplete);
            examined.body_error = Some(error);
            examined.answer = Some(Answer::error(400, "the body was cut short"));
        }
    }
    let (answer, forward, forwarded_headers) = match relayed {
        Some((headers, forwarded, answer)) => {
            if forwarded.status.is_none() {
                examined.flags.push(Flag::ForwardFailed);
            }
            (answer, Some(forwarded), Some(headers))
        }
        None => (
            examined
                .answer
                .take()
                .unwrap_or_else(|| Answer::error(500, "no answer was chosen")),
            None,
            None,
        ),
    };
    examined.flags.sort_unstable();
    examined.flags.dedup();
    let privacy = examined
        .checked
        .codes
        .iter()
        .filter(|(code, _)| is_privacy_code(code))
        .map(|(_, n)| *n)
        .sum();
    let brief = Brief {
        time: now,
        method: parts.method.to_string(),
        path: config.redactor.redact(path).into_owned(),
        endpoint: found.map(|(id, _)| id),
        status: answer.status,
        raw_bytes,
        counts: examined.checked.counts,
        privacy,
        flags: examined.flags.clone(),
        forwarded: forward.as_ref().map(|f| f.status),
    };
    let line = Record {
        seq,
        time: now,
        peer,
        tls,
        method: parts.method.as_str(),
        path,
        query: parts.uri.query(),
        endpoint: found,
        headers: &parts.headers,
        encoding: examined.encoding,
        gzip: examined.gzip,
        raw_bytes,
        decoded_bytes: examined.decoded_bytes,
        sha256,
        status: answer.status,
        flags: examined.flags,
        checked: examined.checked,
        forward,
        elapsed: started.elapsed(),
        body_error: examined.body_error,
        body_text: examined.body_text,
        body: examined.body,
    }
    .line(&config.redactor);
    drop(permit);
    // Answered once it is in the ledger; a record that could not be written is
    // answered 503.
    let saved = shared.records.record(line, brief).await;
    if let Some(max) = config.max_requests {
        if seq == max {
            shared.stopper.stop(Stop::MaxRequests(max));
        }
    }
    if !saved {
        // Not in the ledger, so not taken: the sender will try again.
        return response(
            &Answer::error(503, "capture could not record this request"),
            None,
            true,
        );
    }
    response(&answer, forwarded_headers.as_ref(), false)
}

/// The response for an answer; a relayed answer keeps the real Beacon's headers.
fn response(answer: &Answer, relayed: Option<&HeaderMap>, retry: bool) -> Response {
    let mut response = Response::new(Body::from(answer.body.clone()));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    if let Some(relayed) = relayed {
        headers.extend(relayed.clone());
    } else if let Some(content_type) = answer.content_type {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    if answer.status == 405 {
        headers.insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    if retry {
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

/// Headers that belong to one connection, never relayed (RFC 9110 section 7.6.1),
/// and those the HTTP library writes itself.
fn hop_by_hop(name: &str) -> bool {
    [
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        // Relayed bodies stay as they are: the client asked capture, not Beacon,
        // for an encoding, and the recorded answer must be readable.
        "accept-encoding",
    ]
    .contains(&name)
}

/// Relays the request to the real Beacon: the headers and answer to give, and
/// what to record of it.
async fn relay(
    forward: &super::Forward,
    parts: &axum::http::request::Parts,
    found: Option<(EndpointId, &str)>,
    body: Vec<u8>,
    redactor: &Arc<secrets::Redactor>,
) -> (HeaderMap, Forwarded, Answer) {
    let path = match found {
        Some((id, _)) => id.spec().path.to_string(),
        None => parts.uri.path().to_string(),
    };
    let mut url = forward.base.clone();
    url.set_path(&format!(
        "{}{path}",
        forward.base.path().trim_end_matches('/')
    ));
    url.set_query(parts.uri.query());
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter(|(name, _)| !hop_by_hop(name.as_str()))
        .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_string())))
        .collect();
    let method = parts.method.to_string();
    let license = found.is_none_or(|(id, _)| id.spec().class != Class::Operational);
    let network = forward.network.clone();
    let target = url.clone();
    let sent = tokio::task::spawn_blocking(move || {
        let pairs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let outgoing = Outgoing {
            method: &method,
            url: &target,
            headers: &pairs,
            body: &body,
            license,
        };
        transport::send(&outgoing, &network, &mut |_| {})
    })
    .await;
    // The URL holds the request's own path and query: redacted as the record's are.
    let mut forwarded = Forwarded {
        url: redactor
            .redact(&secrets::redact_url_credentials(url.as_str()))
            .into_owned(),
        ..Forwarded::default()
    };
    // No answer from Beacon: why, redacted, in the record and in the 502.
    let failed = |mut forwarded: Forwarded, why: &str| {
        let why = redactor.redact(why).into_owned();
        let answer = bad_gateway(&why);
        forwarded.error = Some(why);
        (HeaderMap::new(), forwarded, answer)
    };
    let delivery = match sent {
        Ok(Ok(delivery)) => delivery,
        Ok(Err(err)) => return failed(forwarded, &format!("{err:#}")),
        Err(_) => return failed(forwarded, "the relay failed"),
    };
    forwarded.attempts = delivery.attempts.len();
    forwarded.elapsed_ms = u64::try_from(delivery.elapsed.as_millis()).unwrap_or(u64::MAX);
    let Some(real) = delivery.response else {
        let why = delivery
            .failure
            .map_or_else(|| "no answer".to_string(), |f| f.message);
        return failed(forwarded, &why);
    };
    let json: Option<serde_json::Value> = serde_json::from_slice(&real.body).ok();
    if let Some(token) = interpret::token(json.as_ref()) {
        redactor.protect(&Secret::new(token));
    }
    forwarded.status = Some(real.status);
    let mut map = HeaderMap::new();
    for (name, value) in &real.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            map.append(name, value);
        }
    }
    forwarded.headers = record::headers_view(&map, redactor);
    match json {
        Some(mut value) => {
            record::redact_strings(&mut value, redactor);
            forwarded.body = Some(value);
        }
        None if !real.body.is_empty() => {
            let text =
                String::from_utf8_lossy(record::cut_bytes(&real.body, record::BODY_TEXT_BYTES));
            forwarded.body_text = Some(redactor.redact_cut(&text).into_owned());
        }
        None => {}
    }
    let mut passed = HeaderMap::new();
    for (name, value) in &map {
        if !hop_by_hop(name.as_str()) {
            passed.append(name, value.clone());
        }
    }
    let answer = Answer {
        status: real.status,
        content_type: None,
        body: real.body,
    };
    (passed, forwarded, answer)
}

fn bad_gateway(why: &str) -> Answer {
    Answer::error(502, &format!("capture could not reach Beacon: {why}"))
}
