//! The one HTTP client: proxies as curl reads them, certificates, timeouts,
//! retries, and the causes of failure in plain words.
//!
//! [`deliver`] puts a [`Prepared`] request on the wire, exactly its headers and
//! body bytes, and returns every attempt and the final response. It prints nothing.
//! `proxy` chooses the proxy; `failure` explains a failed attempt as a typed kind.

mod failure;
pub(crate) mod pinned;
mod proxy;

use std::io::Read;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result};
use serde::Serialize;
use url::Url;

use crate::endpoints::Class;
use crate::error::{Exit, Failure};
use crate::request::Prepared;
use crate::secrets;
pub use failure::{Fault, FaultKind};
pub use proxy::{
    EnvProxies, ProxyChoice, ProxyOrigin, ProxyUse, is_loopback, no_proxy_matches, proxy_for,
};

/// Response bodies larger than this are cut, and the cut is reported.
pub const MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;
/// The first retry waits about this long; each later one twice as long.
const BACKOFF_BASE: Duration = Duration::from_millis(250);
/// No backoff wait is longer than this (a `Retry-After` may be, within `--timeout`).
const BACKOFF_MAX: Duration = Duration::from_secs(8);

/// How to reach the server, as the resolution step decided it.
#[derive(Debug, Clone)]
pub struct Network {
    /// Which proxy, if any.
    pub proxy: ProxyChoice,
    /// `--cacert`, else `$SSL_CERT_FILE`: a PEM bundle added to the system's roots.
    pub ca: Option<Ca>,
    /// `--insecure`.
    pub insecure: bool,
    /// `--connect-timeout`.
    pub connect_timeout: Duration,
    /// `--timeout`: the whole send, retries included.
    pub timeout: Duration,
    /// `--retries`.
    pub retries: u32,
    /// `--allow-http`.
    pub allow_http: bool,
}

/// A CA bundle the user gave, as read.
#[derive(Debug, Clone)]
pub struct Ca {
    /// The PEM text.
    pub pem: Vec<u8>,
    /// The file, for messages.
    pub name: String,
    /// The flag or variable that named it.
    pub from: &'static str,
}

impl Ca {
    /// The certificates of the bundle; blocks that are not PEM certificates are skipped.
    pub fn certificates(&self) -> Vec<rustls::pki_types::CertificateDer<'static>> {
        use rustls::pki_types::pem::PemObject;
        rustls::pki_types::CertificateDer::pem_slice_iter(&self.pem)
            .filter_map(std::result::Result::ok)
            .collect()
    }
}

/// One try at sending.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    /// The HTTP status, when the server answered.
    pub status: Option<u16>,
    /// What went wrong, when it did not.
    pub error: Option<String>,
    /// How long the attempt took.
    pub elapsed_ms: u64,
    /// How long beacon-cli waited before the next attempt, if there was one.
    pub retry_after_ms: Option<u64>,
}

/// The server's final answer.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The reason phrase for the code.
    pub reason: String,
    /// Every header, in order.
    pub headers: Vec<(String, String)>,
    /// The body (cut at [`MAX_RESPONSE_BYTES`]).
    pub body: Vec<u8>,
    /// True when the body was cut: too large, or the connection broke.
    pub truncated: bool,
}

/// How the send ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// A 2xx answer.
    Ok,
    /// Any other answer.
    HttpError,
    /// DNS, connect, TLS or proxy failure.
    NetworkError,
    /// `--timeout` ran out.
    Timeout,
}

/// Everything that happened.
#[derive(Debug)]
pub struct Delivery {
    /// Every attempt, in order.
    pub attempts: Vec<Attempt>,
    /// The last answer, if any.
    pub response: Option<Response>,
    /// How it ended.
    pub outcome: Outcome,
    /// Why there is no answer, when there is none.
    pub failure: Option<Fault>,
    /// Total time, retries and waits included.
    pub elapsed: Duration,
    /// The proxy used, if any.
    pub proxy: Option<ProxyUse>,
}

impl Delivery {
    /// How the run ends for this delivery.
    pub fn exit(&self) -> Exit {
        match (self.outcome, &self.response) {
            (Outcome::Ok, _) => Exit::Success,
            (Outcome::Timeout, _) => Exit::Timeout,
            (Outcome::NetworkError, _) => Exit::Network,
            (Outcome::HttpError, Some(r)) => Exit::for_status(r.status),
            (Outcome::HttpError, None) => Exit::Failure,
        }
    }
}

/// A request to put on the wire: `send`'s [`Prepared`] request, or one that
/// `capture --forward` relays as it arrived.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The full URL.
    pub url: &'a Url,
    /// The headers to send; `Host` and `Content-Length` are written from the URL and body.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body bytes, as they go.
    pub body: &'a [u8],
    /// Whether the body may carry a license key (billing and usage bodies, or a
    /// request whose endpoint is not known): what plain http would expose.
    pub license: bool,
}

impl Prepared {
    /// The request as it goes on the wire; `headers` is where its header pairs are kept.
    pub fn outgoing<'a>(&'a self, headers: &'a mut Vec<(&'a str, &'a str)>) -> Outgoing<'a> {
        headers.extend(self.headers.iter().map(|(k, v)| (*k, v.as_str())));
        Outgoing {
            method: self.method(),
            url: &self.url,
            headers,
            body: &self.body,
            license: self.license.is_some() || self.endpoint.spec().class != Class::Operational,
        }
    }
}

/// Checks what must hold before any traffic: plain http only to loopback unless allowed.
pub fn check_before_sending(request: &Outgoing<'_>, network: &Network) -> Result<()> {
    if request.url.scheme() == "http" && !is_loopback(request.url) && !network.allow_http {
        let why = if request.license {
            "the license key travels in the body"
        } else {
            "the telemetry would cross the network readable, and alterable, by anyone on the path"
        };
        return Err(Failure::input(format!(
            "refusing to send to `{}` over plain http: {why}",
            request.url
        ))
        .hint("use https, or pass --allow-http if this network path is trusted (plain http is always allowed to loopback)")
        .into());
    }
    Ok(())
}

fn client(
    url: &Url,
    network: &Network,
    proxy: Option<&ProxyUse>,
) -> Result<reqwest::blocking::Client> {
    // reqwest loads every system root certificate when the client is built, TLS or
    // not: about half of a plain-http send (BENCHMARKS.md, send). Without TLS on
    // the way, an empty trust store is enough.
    let tls_on_the_way =
        url.scheme() == "https" || proxy.is_some_and(|p| !p.url().starts_with("http://"));
    // reqwest is built without a crypto provider of its own (Cargo.toml): ring is
    // the process's, installed once; a second install is refused, harmlessly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(network.connect_timeout)
        .timeout(None)
        .no_proxy()
        .pool_max_idle_per_host(0);
    if let Some(proxy) = proxy {
        // The HTTP library takes a socks5:// proxy, then fails every connection
        // with "unsupported scheme": say so before any traffic, as the bad flag
        // or variable it is.
        // (Only a real scheme: a password may itself hold `://`.)
        if let Some(scheme) = secrets::url_scheme(proxy.url()) {
            if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
                return Err(Failure::input(format!(
                    "the proxy `{}` from {} is a `{scheme}` proxy, which beacon-cli does not speak",
                    proxy.shown(),
                    proxy.from
                ))
                .hint("give an http:// or https:// proxy")
                .into());
            }
        }
        let proxy = reqwest::Proxy::all(proxy.url()).map_err(|_| {
            Failure::input(format!(
                "the proxy `{}` from {} is not a valid URL",
                proxy.shown(),
                proxy.from
            ))
            .hint("write it as http://host:port (credentials as http://user:password@host:port)")
        })?;
        builder = builder.proxy(proxy);
    }
    if !tls_on_the_way {
        builder = builder.tls_certs_only(Vec::new());
    } else if network.insecure {
        builder = builder.tls_danger_accept_invalid_certs(true);
    } else if let Some(ca) = &network.ca {
        let certs = ca.certificates();
        if certs.is_empty() {
            return Err(Failure::input(format!(
                "`{}` from {} holds no PEM certificate",
                ca.name, ca.from
            ))
            .hint("give a PEM file with -----BEGIN CERTIFICATE----- blocks")
            .into());
        }
        let config =
            pinned::client_config(certs).context("cannot set up TLS with the CA bundle")?;
        builder = builder.tls_backend_preconfigured(config);
    }
    builder.build().context("cannot set up the HTTP client")
}

/// What `deliver` is doing, as it happens, for a progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    /// Attempt `attempt` (1-based) of at most `of` is on its way.
    Sending {
        /// This attempt.
        attempt: usize,
        /// The most there can be.
        of: usize,
    },
    /// The attempt failed with `what` (`HTTP 503`, an error); the next starts after `wait`.
    Waiting {
        /// The attempt that failed.
        attempt: usize,
        /// How it failed.
        what: &'a str,
        /// The pause before the next.
        wait: Duration,
    },
}

/// Sends the request, retrying what the server cannot have processed; `step`
/// hears of each attempt and each wait as they happen.
pub fn deliver(
    prepared: &Prepared,
    network: &Network,
    step: &mut dyn FnMut(Step<'_>),
) -> Result<Delivery> {
    let mut headers = Vec::new();
    send(&prepared.outgoing(&mut headers), network, step)
}

/// Sends any request as [`deliver`] sends a prepared one: the same checks,
/// proxy, certificates, timeouts and retries.
pub fn send(
    request: &Outgoing<'_>,
    network: &Network,
    step: &mut dyn FnMut(Step<'_>),
) -> Result<Delivery> {
    check_before_sending(request, network)?;
    let method = reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|_| {
        Failure::input(format!("`{}` is not an HTTP method", request.method))
            .hint("the request's method is sent as it arrived")
    })?;
    let proxy = proxy_for(request.url, &network.proxy);
    let client = client(request.url, network, proxy.as_ref())?;
    let start = Instant::now();
    let deadline = start + network.timeout;
    let mut attempts: Vec<Attempt> = Vec::new();
    let mut rng = fastrand::Rng::new();
    loop {
        let attempt_start = Instant::now();
        let Some(remaining) = deadline
            .checked_duration_since(attempt_start)
            .filter(|d| !d.is_zero())
        else {
            return Ok(timed_out(attempts, None, start, proxy, network));
        };
        step(Step::Sending {
            attempt: attempts.len() + 1,
            of: network.retries as usize + 1,
        });
        let mut outgoing = client
            .request(method.clone(), request.url.clone())
            .timeout(remaining)
            .body(request.body.to_vec());
        for (name, value) in request.headers {
            // The HTTP library writes Host and Content-Length itself, from the same URL and body.
            if !name.eq_ignore_ascii_case("host") && !name.eq_ignore_ascii_case("content-length") {
                outgoing = outgoing.header(*name, *value);
            }
        }
        let result = outgoing.send().map(|r| read_response(r, request.url));
        let elapsed_ms = millis(attempt_start.elapsed());
        let last = attempts.len() as u32 >= network.retries;
        // Each arm records the attempt and says how it ends, or how long to wait
        // before the next try (only when the server cannot have processed it).
        let (outcome, response, failure, wait) = match result {
            Ok((response, Some(broken))) => {
                // The status came, then the body stalled or broke off: the answer
                // is not whole, whatever its status said.
                attempts.push(Attempt {
                    status: Some(response.status),
                    error: Some(broken.message.clone()),
                    elapsed_ms,
                    retry_after_ms: None,
                });
                let outcome = if broken.kind == FaultKind::Timeout {
                    Outcome::Timeout
                } else {
                    Outcome::NetworkError
                };
                return Ok(finish(
                    attempts,
                    Some(response),
                    outcome,
                    Some(broken),
                    start,
                    proxy,
                ));
            }
            // A final answer is 200 to 599 (RFC 9110, section 15): 1xx only announce
            // one, and HTTP defines nothing above 599. A proxy's 407 is the proxy
            // refusing us, not the server answering.
            Ok((response, None))
                if !(200..=599).contains(&response.status)
                    || (response.status == 407 && proxy.is_some()) =>
            {
                attempts.push(Attempt {
                    status: Some(response.status),
                    error: None,
                    elapsed_ms,
                    retry_after_ms: None,
                });
                let fault = if response.status == 407 {
                    failure::proxy_refused(&response, proxy.as_ref())
                } else {
                    failure::undefined_status(&response, request.url)
                };
                return Ok(finish(
                    attempts,
                    Some(response),
                    Outcome::NetworkError,
                    Some(fault),
                    start,
                    proxy,
                ));
            }
            Ok((response, None)) => {
                attempts.push(Attempt {
                    status: Some(response.status),
                    error: None,
                    elapsed_ms,
                    retry_after_ms: None,
                });
                if (200..300).contains(&response.status) {
                    return Ok(finish(
                        attempts,
                        Some(response),
                        Outcome::Ok,
                        None,
                        start,
                        proxy,
                    ));
                }
                let retryable = matches!(response.status, 429 | 502 | 503 | 504);
                let wait = (retryable && !last).then(|| {
                    retry_after(&response).unwrap_or_else(|| backoff(attempts.len(), &mut rng))
                });
                (Outcome::HttpError, Some(response), None, wait)
            }
            Err(err) => {
                let failure = failure::explain(&err, request.url, proxy.as_ref());
                attempts.push(Attempt {
                    status: None,
                    error: Some(failure.message.clone()),
                    elapsed_ms,
                    retry_after_ms: None,
                });
                if err.is_timeout() {
                    return Ok(timed_out(attempts, Some(failure), start, proxy, network));
                }
                // Only a failure to connect proves the server never saw the payload;
                // a certificate that fails once fails every time.
                let retryable = err.is_connect() && failure.kind != FaultKind::Tls;
                let wait = (retryable && !last).then(|| backoff(attempts.len(), &mut rng));
                (Outcome::NetworkError, None, Some(failure), wait)
            }
        };
        // A wait beyond --timeout (a long Retry-After) ends the send with this answer.
        match wait.filter(|w| Instant::now().checked_add(*w).is_some_and(|t| t < deadline)) {
            Some(wait) => {
                let last = attempts.last_mut().expect("just pushed");
                last.retry_after_ms = Some(millis(wait));
                let what = match (&last.status, &last.error) {
                    (Some(status), _) => format!("HTTP {status}"),
                    (None, Some(error)) => error.clone(),
                    (None, None) => "no answer".to_string(),
                };
                step(Step::Waiting {
                    attempt: attempts.len(),
                    what: &what,
                    wait,
                });
                std::thread::sleep(wait);
            }
            None => return Ok(finish(attempts, response, outcome, failure, start, proxy)),
        }
    }
}

fn finish(
    attempts: Vec<Attempt>,
    response: Option<Response>,
    outcome: Outcome,
    failure: Option<Fault>,
    start: Instant,
    proxy: Option<ProxyUse>,
) -> Delivery {
    Delivery {
        attempts,
        response,
        outcome,
        failure,
        elapsed: start.elapsed(),
        proxy,
    }
}

fn timed_out(
    attempts: Vec<Attempt>,
    failure: Option<Fault>,
    start: Instant,
    proxy: Option<ProxyUse>,
    network: &Network,
) -> Delivery {
    let failure = Fault {
        kind: FaultKind::Timeout,
        message: format!(
            "no answer within --timeout {} s{}",
            network.timeout.as_secs_f64(),
            failure.map(|f| format!(" ({})", f.message)).unwrap_or_default()
        ),
        hint: Some("the server or a proxy on the way accepted the connection but did not answer; raise --timeout, or check the path".to_string()),
    };
    finish(
        attempts,
        None,
        Outcome::Timeout,
        Some(failure),
        start,
        proxy,
    )
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Exponential backoff with full jitter: a random wait up to base × 2^(n-1).
fn backoff(attempt: usize, rng: &mut fastrand::Rng) -> Duration {
    let exp = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(16);
    let ceiling = BACKOFF_BASE.saturating_mul(1 << exp).min(BACKOFF_MAX);
    let ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(ms / 2 + rng.u64(0..=ms / 2))
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(response: &Response) -> Option<Duration> {
    let value = response
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))?
        .1
        .trim()
        .to_string();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(&value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// The answer, and why its body is not whole when it is not (it stalled past
/// `--timeout`, or the connection broke). A body past the limit is cut, and that
/// is said, but it is whole as far as the exchange goes.
fn read_response(response: reqwest::blocking::Response, url: &Url) -> (Response, Option<Fault>) {
    let status = response.status();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    let broken = response
        .take(MAX_RESPONSE_BYTES + 1)
        .read_to_end(&mut body)
        .err()
        .map(|e| failure::broken_body(&e, url, body.len()));
    let truncated = broken.is_some() || body.len() as u64 > MAX_RESPONSE_BYTES;
    body.truncate(usize::try_from(MAX_RESPONSE_BYTES).unwrap_or(usize::MAX));
    (
        Response {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("").to_string(),
            headers,
            body,
            truncated,
        },
        broken,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_bounded() {
        let mut rng = fastrand::Rng::with_seed(1);
        let first = backoff(1, &mut rng);
        assert!(first >= Duration::from_millis(125) && first <= BACKOFF_BASE);
        for n in 1..40 {
            assert!(backoff(n, &mut rng) <= BACKOFF_MAX);
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let response = |value: &str| Response {
            status: 429,
            reason: String::new(),
            headers: vec![("Retry-After".into(), value.into())],
            body: Vec::new(),
            truncated: false,
        };
        assert_eq!(retry_after(&response("2")), Some(Duration::from_secs(2)));
        let later = SystemTime::now() + Duration::from_secs(30);
        let wait = retry_after(&response(&httpdate::fmt_http_date(later))).unwrap();
        assert!(wait > Duration::from_secs(25) && wait <= Duration::from_secs(30));
        assert_eq!(
            retry_after(&response("Wed, 21 Oct 2015 07:28:00 GMT")),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&response("soon")), None);
    }
}
