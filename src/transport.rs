//! The one HTTP client: proxies as curl reads them, certificates, timeouts,
//! retries, and the causes of failure in plain words.
//!
//! [`deliver`] puts a [`Prepared`] request on the wire, exactly its headers and
//! body bytes, and returns every attempt and the final response. It prints nothing.

use std::io::Read;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result};
use serde::Serialize;
use url::Url;

use crate::error::{Exit, InputError};
use crate::request::Prepared;
use crate::secrets;

/// Response bodies larger than this are cut, and the cut is reported.
pub const MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;
/// The first retry waits about this long; each later one twice as long.
const BACKOFF_BASE: Duration = Duration::from_millis(250);
/// No backoff wait is longer than this (a `Retry-After` may be, within `--timeout`).
const BACKOFF_MAX: Duration = Duration::from_secs(8);

/// How to reach the server.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--cacert`, else `$SSL_CERT_FILE`: a PEM bundle added to the system's roots.
    pub cacert: Option<(PathBuf, &'static str)>,
    /// `--insecure`.
    pub insecure: bool,
    /// Which proxy, if any.
    pub proxy: ProxyChoice,
    /// `--connect-timeout`.
    pub connect_timeout: Duration,
    /// `--timeout`: the whole send, retries included.
    pub timeout: Duration,
    /// `--retries`.
    pub retries: u32,
    /// `--allow-http`.
    pub allow_http: bool,
}

/// Where the proxy comes from.
#[derive(Debug, Clone)]
pub enum ProxyChoice {
    /// `--proxy URL`.
    Flag(String),
    /// `--no-proxy`.
    Off,
    /// The environment, as curl reads it.
    Env(EnvProxies),
}

/// The proxy variables of the environment.
#[derive(Debug, Clone, Default)]
pub struct EnvProxies {
    /// `https_proxy`, else `HTTPS_PROXY`.
    pub https: Option<(String, &'static str)>,
    /// `http_proxy` (curl ignores upper-case `HTTP_PROXY`).
    pub http: Option<(String, &'static str)>,
    /// `all_proxy`, else `ALL_PROXY`.
    pub all: Option<(String, &'static str)>,
    /// `no_proxy`, else `NO_PROXY`.
    pub no_proxy: Option<String>,
    /// True when `HTTP_PROXY` is set and ignored, as curl ignores it.
    pub upper_http_ignored: bool,
}

impl EnvProxies {
    /// Reads the variables through `get`, with curl's rules: lower case first,
    /// and upper-case `HTTP_PROXY` never (a CGI server sets it from a request header).
    pub fn read(get: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let pick = |lower: &'static str, upper: &'static str| {
            get(lower)
                .map(|v| (v, lower))
                .or_else(|| get(upper).map(|v| (v, upper)))
        };
        Self {
            https: pick("https_proxy", "HTTPS_PROXY"),
            http: get("http_proxy").map(|v| (v, "http_proxy")),
            all: pick("all_proxy", "ALL_PROXY"),
            no_proxy: get("no_proxy").or_else(|| get("NO_PROXY")),
            upper_http_ignored: get("HTTP_PROXY").is_some() && get("http_proxy").is_none(),
        }
    }
}

/// The proxy a request goes through.
#[derive(Debug, Clone)]
pub struct ProxyUse {
    /// The proxy URL, credentials included.
    url: String,
    /// Where it came from (`--proxy`, `HTTPS_PROXY`, ...).
    pub from: String,
}

impl ProxyUse {
    /// The URL with credentials redacted.
    pub fn shown(&self) -> String {
        secrets::redact_url_credentials(&self.url)
    }
}

/// The proxy for `url`, or `None` to connect directly.
pub fn proxy_for(url: &Url, choice: &ProxyChoice) -> Option<ProxyUse> {
    match choice {
        ProxyChoice::Off => None,
        ProxyChoice::Flag(proxy) => Some(ProxyUse {
            url: proxy.clone(),
            from: "--proxy".to_string(),
        }),
        ProxyChoice::Env(env) => {
            let host = url.host_str().unwrap_or_default();
            if env
                .no_proxy
                .as_deref()
                .is_some_and(|list| no_proxy_matches(host, list))
            {
                return None;
            }
            let scheme_proxy = if url.scheme() == "https" {
                env.https.as_ref()
            } else {
                env.http.as_ref()
            };
            scheme_proxy
                .or(env.all.as_ref())
                .map(|(proxy, from)| ProxyUse {
                    url: proxy.clone(),
                    from: (*from).to_string(),
                })
        }
    }
}

/// curl's `NO_PROXY`: `*`, host names matching exactly or as a domain suffix
/// (a leading dot is optional), IP addresses and CIDR ranges. Ports are ignored.
pub fn no_proxy_matches(host: &str, list: &str) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let host_ip: Option<IpAddr> = host.parse().ok();
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let entry = entry.to_ascii_lowercase();
            if let Some((net, bits)) = entry.split_once('/') {
                return match (host_ip, net.parse::<IpAddr>(), bits.parse::<u8>()) {
                    (Some(ip), Ok(net), Ok(bits)) => in_cidr(ip, net, bits),
                    _ => false,
                };
            }
            let bare = entry
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or_default()
                .to_string();
            let entry = if entry.starts_with('[') {
                bare
            } else if entry.matches(':').count() == 1 {
                entry.split(':').next().unwrap_or_default().to_string()
            } else {
                entry
            };
            if let (Some(ip), Ok(entry_ip)) = (host_ip, entry.parse::<IpAddr>()) {
                return ip == entry_ip;
            }
            let domain = entry.trim_start_matches('.');
            host == domain || host.ends_with(&format!(".{domain}"))
        })
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) if bits <= 128 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

/// True for `localhost`, `*.localhost` and loopback addresses.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => {
            let name = name.to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        None => false,
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

/// A failure to get an answer, in plain words.
#[derive(Debug, Clone)]
pub struct Failure {
    /// What happened.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
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
    pub failure: Option<Failure>,
    /// Total time, retries and waits included.
    pub elapsed: Duration,
    /// The proxy used, if any.
    pub proxy: Option<ProxyUse>,
}

impl Delivery {
    /// The exit code the contract gives this outcome.
    pub fn exit(&self) -> Exit {
        match (self.outcome, &self.response) {
            (Outcome::Ok, _) => Exit::Success,
            (Outcome::Timeout, _) => Exit::Timeout,
            (Outcome::NetworkError, _) => Exit::Network,
            (Outcome::HttpError, Some(r)) if (400..500).contains(&r.status) => Exit::Http4xx,
            (Outcome::HttpError, Some(r)) if r.status >= 500 => Exit::Http5xx,
            (Outcome::HttpError, _) => Exit::Failure,
        }
    }
}

/// Checks what must hold before any traffic: plain http only to loopback unless allowed.
pub fn check_before_sending(prepared: &Prepared, options: &Options) -> Result<()> {
    if prepared.url.scheme() == "http" && !is_loopback(&prepared.url) && !options.allow_http {
        return Err(InputError::new(format!(
            "refusing to send to `{}` over plain http: license keys travel in the body",
            prepared.url
        ))
        .hint("use https, or pass --allow-http if this network path is trusted (plain http is always allowed to loopback)")
        .into());
    }
    Ok(())
}

fn client(
    url: &Url,
    options: &Options,
    proxy: Option<&ProxyUse>,
) -> Result<reqwest::blocking::Client> {
    // reqwest loads every system root certificate when the client is built, TLS or
    // not: about half of a plain-http send (BENCHMARKS.md, send). Without TLS on
    // the way, an empty trust store is enough.
    let tls_on_the_way =
        url.scheme() == "https" || proxy.is_some_and(|p| !p.url.starts_with("http://"));
    let mut builder = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(options.connect_timeout)
        .timeout(None)
        .no_proxy()
        .pool_max_idle_per_host(0);
    if let Some(proxy) = proxy {
        let proxy = reqwest::Proxy::all(&proxy.url).map_err(|_| {
            InputError::new(format!(
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
    } else if let Some((path, from)) = &options.cacert {
        let shown = path.display();
        let pem = std::fs::read(path).map_err(|e| {
            InputError::new(format!(
                "cannot read the CA bundle `{shown}` from {from}: {}",
                crate::input::io_reason(&e)
            ))
            .hint("give a PEM file of one or more CA certificates")
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                InputError::new(format!("`{shown}` from {from} holds no PEM certificate"))
                    .hint("give a PEM file with -----BEGIN CERTIFICATE----- blocks")
            })?;
        builder = builder.tls_certs_merge(certs);
    }
    if options.insecure {
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    builder.build().context("cannot set up the HTTP client")
}

/// Sends the request, retrying what the server cannot have processed.
pub fn deliver(prepared: &Prepared, options: &Options) -> Result<Delivery> {
    check_before_sending(prepared, options)?;
    let proxy = proxy_for(&prepared.url, &options.proxy);
    let client = client(&prepared.url, options, proxy.as_ref())?;
    let start = Instant::now();
    let deadline = start + options.timeout;
    let mut attempts: Vec<Attempt> = Vec::new();
    let mut rng = fastrand::Rng::new();
    loop {
        let attempt_start = Instant::now();
        let Some(remaining) = deadline
            .checked_duration_since(attempt_start)
            .filter(|d| !d.is_zero())
        else {
            return Ok(timed_out(attempts, None, start, proxy, options));
        };
        let mut request = client
            .request(reqwest::Method::POST, prepared.url.clone())
            .timeout(remaining)
            .body(prepared.body.clone());
        for (name, value) in &prepared.headers {
            // The HTTP library writes Host and Content-Length itself, from the same URL and body.
            if !matches!(*name, "Host" | "Content-Length") {
                request = request.header(*name, value);
            }
        }
        let result = request.send().and_then(read_response);
        let elapsed_ms = millis(attempt_start.elapsed());
        let last = attempts.len() as u32 >= options.retries;
        // Each arm records the attempt and says how it ends, or how long to wait
        // before the next try (only when the server cannot have processed it).
        let (outcome, response, failure, wait) = match result {
            Ok(response) => {
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
                let failure = explain(&err, prepared, proxy.as_ref());
                attempts.push(Attempt {
                    status: None,
                    error: Some(failure.message.clone()),
                    elapsed_ms,
                    retry_after_ms: None,
                });
                if err.is_timeout() {
                    return Ok(timed_out(attempts, Some(failure), start, proxy, options));
                }
                // Only a failure to connect proves the server never saw the payload.
                let wait = (err.is_connect() && !last).then(|| backoff(attempts.len(), &mut rng));
                (Outcome::NetworkError, None, Some(failure), wait)
            }
        };
        // A wait beyond --timeout (a long Retry-After) ends the send with this answer.
        match wait.filter(|w| Instant::now() + *w < deadline) {
            Some(wait) => {
                attempts.last_mut().expect("just pushed").retry_after_ms = Some(millis(wait));
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
    failure: Option<Failure>,
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
    failure: Option<Failure>,
    start: Instant,
    proxy: Option<ProxyUse>,
    options: &Options,
) -> Delivery {
    let failure = Failure {
        message: format!(
            "no answer within --timeout {} s{}",
            options.timeout.as_secs_f64(),
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

fn read_response(response: reqwest::blocking::Response) -> reqwest::Result<Response> {
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
    // A body that breaks off halfway still carries the status: keep what came
    // and report it as cut.
    let broken = response
        .take(MAX_RESPONSE_BYTES + 1)
        .read_to_end(&mut body)
        .is_err();
    let truncated = broken || body.len() as u64 > MAX_RESPONSE_BYTES;
    body.truncate(usize::try_from(MAX_RESPONSE_BYTES).unwrap_or(usize::MAX));
    Ok(Response {
        status: status.as_u16(),
        reason: status.canonical_reason().unwrap_or("").to_string(),
        headers,
        body,
        truncated,
    })
}

/// The cause of a failed attempt, in plain words, with the fix when it is known.
fn explain(err: &reqwest::Error, prepared: &Prepared, proxy: Option<&ProxyUse>) -> Failure {
    let target = format!(
        "{}:{}",
        prepared.url.host_str().unwrap_or_default(),
        prepared.url.port_or_known_default().unwrap_or_default()
    );
    let via = proxy
        .map(|p| format!(" through proxy {} ({})", p.shown(), p.from))
        .unwrap_or_default();
    let chain = causes(err);
    let text = chain.join(": ").to_lowercase();
    let (message, hint) = if err.is_timeout() {
        (format!("timed out talking to {target}{via}"), None)
    } else if text.contains("unknownissuer")
        || text.contains("unknown issuer")
        || text.contains("self-signed")
        || text.contains("self signed")
    {
        (
            format!("the certificate of {target} is signed by an unknown authority"),
            Some("pass --cacert with your proxy's or server's CA bundle (PEM); --insecure skips the check, for tests only".to_string()),
        )
    } else if text.contains("notvalidforname")
        || text.contains("not valid for name")
        || text.contains("certificate is not valid for")
    {
        (
            format!("the certificate of {target} is not valid for that name"),
            Some("check the URL's host name against the certificate".to_string()),
        )
    } else if text.contains("expired") && text.contains("certificate") {
        (
            format!("the certificate of {target} has expired"),
            Some("check the server's certificate and this machine's clock".to_string()),
        )
    } else if proxy.is_some() && (text.contains("proxy") || text.contains("tunnel")) {
        (
            format!("the proxy refused or failed the connection to {target}{via}: {}", chain.last().cloned().unwrap_or_default()),
            Some("check the proxy URL, its credentials, and that it allows CONNECT to this port; NO_PROXY or --no-proxy bypass it".to_string()),
        )
    } else if text.contains("dns error")
        || text.contains("failed to lookup")
        || text.contains("name or service not known")
        || text.contains("no address associated")
    {
        (
            format!(
                "cannot resolve the host `{}`{via}",
                prepared.url.host_str().unwrap_or_default()
            ),
            Some(
                "check the host name and this machine's DNS; behind a proxy, set HTTPS_PROXY"
                    .to_string(),
            ),
        )
    } else if text.contains("connection refused") {
        (
            format!(
                "connection refused by {}{via}",
                proxy.map(|p| p.shown()).unwrap_or(target.clone())
            ),
            Some("nothing listens there: check the URL and port, or the firewall".to_string()),
        )
    } else if text.contains("tls") || text.contains("certificate") || text.contains("handshake") {
        (
            format!(
                "TLS with {target} failed: {}",
                chain.last().cloned().unwrap_or_default()
            ),
            Some("a TLS-inspecting proxy needs its CA: pass --cacert".to_string()),
        )
    } else if err.is_connect() {
        (
            format!(
                "cannot connect to {target}{via}: {}",
                chain.last().cloned().unwrap_or_default()
            ),
            None,
        )
    } else {
        (
            format!(
                "the exchange with {target} failed{via}: {}",
                chain.last().cloned().unwrap_or_default()
            ),
            None,
        )
    };
    Failure { message, hint }
}

/// The error's causes, outermost first, looking inside `io::Error` wrappers.
fn causes(err: &reqwest::Error) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        out.push(e.to_string());
        current = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => {
                out.push(inner.to_string());
                inner.source()
            }
            None => e.source(),
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_follows_curl() {
        assert!(no_proxy_matches("example.com", "example.com"));
        assert!(no_proxy_matches("api.example.com", ".example.com"));
        assert!(no_proxy_matches("api.example.com", "example.com"));
        assert!(!no_proxy_matches("badexample.com", "example.com"));
        assert!(no_proxy_matches("anything", "*"));
        assert!(no_proxy_matches("127.0.0.1", "localhost, 127.0.0.1"));
        assert!(no_proxy_matches("10.1.2.3", "10.0.0.0/8"));
        assert!(!no_proxy_matches("11.1.2.3", "10.0.0.0/8"));
        assert!(no_proxy_matches("127.0.0.1", "127.0.0.1:8080"));
        assert!(no_proxy_matches("::1", "[::1]"));
        assert!(!no_proxy_matches("example.org", ""));
    }

    #[test]
    fn proxies_are_chosen_by_scheme_as_curl_does() {
        let env = EnvProxies::read(|name| match name {
            "HTTPS_PROXY" => Some("http://secure:3128".into()),
            "HTTP_PROXY" => Some("http://ignored:3128".into()),
            "ALL_PROXY" => Some("http://all:3128".into()),
            "NO_PROXY" => Some(".internal".into()),
            _ => None,
        });
        assert!(env.upper_http_ignored);
        let choice = ProxyChoice::Env(env);
        let https = Url::parse("https://beacon.langchain.com/x").unwrap();
        let http = Url::parse("http://beacon.langchain.com/x").unwrap();
        let internal = Url::parse("https://b.internal/x").unwrap();
        assert_eq!(proxy_for(&https, &choice).unwrap().from, "HTTPS_PROXY");
        assert_eq!(proxy_for(&http, &choice).unwrap().from, "ALL_PROXY");
        assert!(proxy_for(&internal, &choice).is_none());
        assert!(proxy_for(&https, &ProxyChoice::Off).is_none());
    }

    #[test]
    fn lower_case_wins_as_in_curl() {
        let env = EnvProxies::read(|name| match name {
            "https_proxy" => Some("http://lower:1".into()),
            "HTTPS_PROXY" => Some("http://upper:1".into()),
            "http_proxy" => Some("http://plain:1".into()),
            _ => None,
        });
        assert_eq!(env.https.unwrap().1, "https_proxy");
        assert_eq!(env.http.unwrap().1, "http_proxy");
        assert!(!env.upper_http_ignored);
    }

    #[test]
    fn loopback_hosts() {
        for url in [
            "http://127.0.0.1:1/",
            "http://localhost/",
            "http://[::1]:8/",
            "http://a.localhost/",
        ] {
            assert!(is_loopback(&Url::parse(url).unwrap()), "{url}");
        }
        assert!(!is_loopback(&Url::parse("http://10.0.0.1/").unwrap()));
    }

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
