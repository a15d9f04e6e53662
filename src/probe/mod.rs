//! `doctor`'s engine: the path to a URL taken one step at a time (resolve,
//! connect, proxy, TLS, HTTP), each timed and judged OK, WARN or FAIL with the
//! typed [`FaultKind`] it ran into. It prints nothing.
//!
//! It uses the settings `send` resolves (proxy choice, CA bundle, timeouts) and
//! transport's proxy rules and verifiers, but talks through its own plain
//! sockets (std `TcpStream`, rustls' blocking `ClientConnection`): an HTTP
//! library hides each step behind one call. The HTTP step sends a GET without a
//! body and without a license; any HTTP answer proves the path.

pub mod dns;
mod tls;

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use url::Url;

use crate::endpoints::is_langchain_host;
use crate::request::USER_AGENT;
use crate::secrets;
use crate::transport::{
    Ca, FaultKind, Network, ProxyChoice, ProxyOrigin, ProxyUse, no_proxy_matches, proxy_for,
};
pub use tls::CertView;

/// LangChain's published static egress addresses for Beacon ("Allowlisting IP
/// addresses"), with their region, as `shared/reference/egress.md` records them.
pub const PUBLISHED: &[(&str, &str)] = &[
    ("34.8.121.39", "GCP US"),
    ("34.107.251.234", "GCP US"),
    ("34.95.92.214", "GCP EU"),
    ("34.13.73.122", "GCP EU"),
    ("34.149.149.213", "GCP APAC"),
    ("3.129.27.169", "AWS US"),
    ("13.58.107.119", "AWS US"),
    ("16.59.151.49", "AWS US"),
    ("16.59.98.147", "AWS US"),
    ("3.134.146.243", "AWS US"),
    ("3.150.87.246", "AWS US"),
];

/// Which list [`PUBLISHED`] is, for the report.
pub const PUBLISHED_LIST: &str = "LangChain's published static egress addresses (\"Allowlisting IP addresses\"), as read in 2026";

/// At most this many addresses of one name are connected to.
const MAX_ADDRESSES: usize = 8;
/// An answer head longer than this is not one.
const MAX_HEAD: usize = 64 * 1024;

/// How a step went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// It works.
    Ok,
    /// It works, but something may bite: the exit status is still 0.
    Warn,
    /// It does not work; the steps after it were not run.
    Fail,
}

impl Status {
    /// `OK`, `WARN`, `FAIL`.
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        }
    }
}

/// The steps, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepName {
    /// The host name to addresses (A and AAAA).
    Resolve,
    /// The addresses against LangChain's published list.
    EgressIps,
    /// A TCP connection to each address.
    Connect,
    /// The proxy: which variable chose it, and its CONNECT.
    Proxy,
    /// The TLS handshake and the certificate chain.
    Tls,
    /// One HTTP request without a body.
    Http,
}

impl StepName {
    /// The stable name (`egress-ips`).
    pub fn as_str(self) -> &'static str {
        match self {
            StepName::Resolve => "resolve",
            StepName::EgressIps => "egress-ips",
            StepName::Connect => "connect",
            StepName::Proxy => "proxy",
            StepName::Tls => "tls",
            StepName::Http => "http",
        }
    }
}

/// One step's result.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// Which destination: `beacon`, or `engine`.
    pub target: &'static str,
    /// The step.
    pub name: StepName,
    /// OK, WARN or FAIL.
    pub status: Status,
    /// How long it took.
    pub elapsed_ms: u64,
    /// What happened.
    pub detail: String,
    /// What to change, when something should change.
    pub hint: Option<String>,
    /// The kind of failure (`dns`, `tls`, `proxy`, `timeout`...), when it failed or warns of one.
    pub fault: Option<FaultKind>,
}

/// What the TLS step learnt.
#[derive(Debug, Clone, Serialize)]
pub struct TlsView {
    /// `TLS 1.3`.
    pub version: String,
    /// The cipher suite.
    pub cipher: String,
    /// The name sent as SNI; null for an address.
    pub sni: Option<String>,
    /// The chain, leaf first.
    pub chain: Vec<CertView>,
    /// Whether the system's roots (the public CAs) trust it.
    pub public_ca: bool,
    /// Whether the CA bundle given (`--cacert`, `$SSL_CERT_FILE`) trusts it; null without one.
    pub trusted_by_cacert: Option<bool>,
    /// True when the chain is not a public CA's on a path where Beacon's would
    /// be: a proxy or LangChain's own host. A TLS-inspecting proxy.
    pub intercepted: bool,
}

/// One destination checked.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// `beacon` or `engine`.
    pub role: &'static str,
    /// The base URL.
    pub url: String,
    /// The URL the HTTP step asks for.
    pub http_url: String,
    /// The proxy on the way (credentials redacted), or null.
    pub proxy: Option<String>,
    /// Which variable or flag chose it, or why none is used.
    pub proxy_from: String,
    /// The host connected to (the proxy's when there is one).
    pub connect_host: String,
    /// Its IPv4 addresses (A).
    pub a: Vec<IpAddr>,
    /// Its IPv6 addresses (AAAA).
    pub aaaa: Vec<IpAddr>,
    /// How the names were resolved.
    pub resolver: String,
    /// The TLS handshake, when it happened.
    pub tls: Option<TlsView>,
    /// The HTTP status answered, when one was.
    pub http_status: Option<u16>,
}

/// `--resolve HOST:ADDR` (or curl's `HOST:PORT:ADDR`): answers that replace DNS
/// for a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// The name.
    pub host: String,
    /// The port it applies to; any when not given.
    pub port: Option<u16>,
    /// The addresses.
    pub addrs: Vec<IpAddr>,
}

impl Pin {
    /// Reads `HOST:ADDR[,ADDR...]` or `HOST:PORT:ADDR[,ADDR...]`; IPv6 addresses
    /// may be written in brackets.
    pub fn parse(text: &str) -> Result<Pin, String> {
        let fail = || {
            format!(
                "expected HOST:ADDRESS or HOST:PORT:ADDRESS (several addresses comma-separated), such as beacon.langchain.com:34.8.121.39; got `{text}`"
            )
        };
        let (host, rest) = text.split_once(':').ok_or_else(fail)?;
        let addresses = |list: &str| -> Option<Vec<IpAddr>> {
            list.split(',')
                .map(|a| {
                    a.trim()
                        .trim_start_matches('[')
                        .trim_end_matches(']')
                        .parse()
                        .ok()
                })
                .collect()
        };
        let (port, addrs) = match addresses(rest) {
            Some(addrs) => (None, addrs),
            None => {
                let (port, list) = rest.split_once(':').ok_or_else(fail)?;
                (
                    Some(port.parse().map_err(|_| fail())?),
                    addresses(list).ok_or_else(fail)?,
                )
            }
        };
        if host.is_empty() || addrs.is_empty() {
            return Err(fail());
        }
        Ok(Pin {
            host: host.to_ascii_lowercase(),
            port,
            addrs,
        })
    }
}

/// `--dns-server ADDR[:PORT]` (port 53 when not given).
pub fn parse_dns_server(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let bare = text.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| format!("expected an IP address, with a port if not 53 (10.96.0.10, 127.0.0.1:5353, [::1]:53); got `{text}`"))
}

/// How names are turned into addresses.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    /// Ask this DNS server instead of the system's resolver.
    pub server: Option<SocketAddr>,
    /// Fixed answers, before any DNS.
    pub pins: Vec<Pin>,
}

/// What to check.
#[derive(Debug)]
pub struct Plan<'a> {
    /// `beacon` or `engine`.
    pub role: &'static str,
    /// The base URL.
    pub url: &'a Url,
    /// The URL the HTTP step asks for.
    pub http_url: Url,
    /// Proxy, CA bundle, timeouts.
    pub network: &'a Network,
    /// The resolver.
    pub lookup: &'a Lookup,
    /// When `--timeout` runs out.
    pub deadline: Instant,
}

/// A step that ran: its status, what happened, and the fix.
type Judged = (Status, String, Option<String>);

/// A failed step: the kind, the message and the fix.
struct Trouble {
    kind: FaultKind,
    detail: String,
    hint: Option<String>,
}

impl Trouble {
    fn new(kind: FaultKind, detail: impl Into<String>, hint: Option<&str>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            hint: hint.map(str::to_string),
        }
    }
}

/// Anything a connection can be: TCP, or TLS over it (to the proxy, or through it).
trait Io: Read + Write + Send {}
impl<T: Read + Write + Send> Io for T {}

/// Where the run is: the results so far and the target's facts.
struct Run<'a> {
    plan: &'a Plan<'a>,
    steps: Vec<Step>,
    target: Target,
}

impl Run<'_> {
    fn push(&mut self, name: StepName, started: Instant, result: Result<Judged, Trouble>) -> bool {
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let (status, detail, hint, fault) = match result {
            Ok((status, detail, hint)) => (status, detail, hint, None),
            Err(t) => (Status::Fail, t.detail, t.hint, Some(t.kind)),
        };
        self.steps.push(Step {
            target: self.plan.role,
            name,
            status,
            elapsed_ms,
            detail,
            hint,
            fault,
        });
        status != Status::Fail
    }

    /// Time left before `--timeout`, or the failure that says it ran out.
    fn left(&self, doing: &str) -> Result<Duration, Trouble> {
        self.plan
            .deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| timeout(self.plan.network, doing))
    }
}

fn timeout(network: &Network, doing: &str) -> Trouble {
    Trouble::new(
        FaultKind::Timeout,
        format!(
            "--timeout {} s ran out while {doing}",
            network.timeout.as_secs_f64()
        ),
        Some(
            "something on the path accepts the connection but does not answer; raise --timeout, or check the path",
        ),
    )
}

/// Runs every step for one destination, stopping at the first that fails.
pub fn run(plan: &Plan<'_>) -> (Vec<Step>, Target) {
    let proxy = proxy_for(plan.url, &plan.network.proxy);
    // An IPv6 address without its URL brackets: what DNS, SNI and CONNECT take.
    let host = plan
        .url
        .host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = plan.url.port_or_known_default().unwrap_or(443);
    let (connect_host, connect_port) = match &proxy {
        Some(p) => proxy_address(p),
        None => (Some(host.clone()), Some(port)),
    };
    let mut run = Run {
        plan,
        steps: Vec::new(),
        target: Target {
            role: plan.role,
            url: plan.url.to_string(),
            http_url: plan.http_url.to_string(),
            proxy: proxy.as_ref().map(ProxyUse::shown),
            proxy_from: proxy_reason(plan.url, &plan.network.proxy, proxy.as_ref()),
            connect_host: connect_host.clone().unwrap_or_default(),
            a: Vec::new(),
            aaaa: Vec::new(),
            resolver: String::new(),
            tls: None,
            http_status: None,
        },
    };
    let (Some(connect_host), Some(connect_port)) = (connect_host, connect_port) else {
        let started = Instant::now();
        let shown = proxy.as_ref().map(ProxyUse::shown).unwrap_or_default();
        run.push(
            StepName::Proxy,
            started,
            Err(Trouble::new(
                FaultKind::Proxy,
                format!("the proxy `{shown}` is not a URL with a host"),
                Some(
                    "write it as http://host:port (credentials as http://user:password@host:port)",
                ),
            )),
        );
        return (run.steps, run.target);
    };
    // Resolve.
    let started = Instant::now();
    let addresses = match resolve_step(&mut run, &connect_host, connect_port, proxy.is_some()) {
        Ok((result, addresses)) => {
            run.push(StepName::Resolve, started, Ok(result));
            addresses
        }
        Err(trouble) => {
            run.push(StepName::Resolve, started, Err(trouble));
            return (run.steps, run.target);
        }
    };
    if proxy.is_none() && is_langchain_host(&host) {
        let started = Instant::now();
        let result = egress_step(&host, &addresses);
        run.push(StepName::EgressIps, started, Ok(result));
    }
    // Connect to each address.
    let Some(tcp) = connect_steps(&mut run, &addresses, connect_port, proxy.is_some()) else {
        return (run.steps, run.target);
    };
    // Proxy.
    let started = Instant::now();
    let result = proxy_step(&run, tcp, proxy.as_ref(), &host, port);
    let stream = match result {
        Ok((stream, status, detail, hint)) => {
            run.push(StepName::Proxy, started, Ok((status, detail, hint)));
            stream
        }
        Err(trouble) => {
            run.push(StepName::Proxy, started, Err(trouble));
            return (run.steps, run.target);
        }
    };
    // TLS.
    let stream = if plan.url.scheme() == "https" {
        let started = Instant::now();
        match tls_step(&mut run, stream, &host, proxy.as_ref()) {
            Ok((stream, result)) => {
                if !run.push(StepName::Tls, started, Ok(result)) {
                    return (run.steps, run.target);
                }
                stream
            }
            Err(trouble) => {
                run.push(StepName::Tls, started, Err(trouble));
                return (run.steps, run.target);
            }
        }
    } else {
        stream
    };
    // HTTP.
    let started = Instant::now();
    let result = http_step(&mut run, stream, proxy.as_ref());
    run.push(StepName::Http, started, result);
    (run.steps, run.target)
}

/// The host and port of a proxy URL.
fn proxy_address(proxy: &ProxyUse) -> (Option<String>, Option<u16>) {
    let url = proxy.url();
    let parsed = Url::parse(url).or_else(|_| Url::parse(&format!("http://{url}")));
    match parsed {
        Ok(u) => (
            u.host_str()
                .map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string()),
            u.port_or_known_default().or(Some(1080)),
        ),
        Err(_) => (None, None),
    }
}

/// Why this proxy (or none) is used, in the configuration's own terms.
fn proxy_reason(url: &Url, choice: &ProxyChoice, used: Option<&ProxyUse>) -> String {
    if let Some(p) = used {
        return match choice {
            ProxyChoice::Env(env) if env.origin == ProxyOrigin::CommonEnv => {
                format!(
                    "`{}` in the values (the pods' proxy; no proxy variable in this environment)",
                    p.from
                )
            }
            ProxyChoice::Env(_) => format!("`{}` in the environment", p.from),
            _ => "`--proxy`".to_string(),
        };
    }
    let host = url.host_str().unwrap_or_default();
    match choice {
        ProxyChoice::Off => "none: --no-proxy".to_string(),
        ProxyChoice::Flag(_) => "none".to_string(),
        ProxyChoice::Env(env) => {
            let place = if env.origin == ProxyOrigin::CommonEnv {
                "in commonEnv"
            } else {
                "in the environment"
            };
            match env.no_proxy.as_deref() {
                Some(list) if no_proxy_matches(host, list) && !env.is_empty() => {
                    format!("none: NO_PROXY `{list}` {place} matches `{host}`")
                }
                _ => {
                    let var = if url.scheme() == "https" {
                        "https_proxy, HTTPS_PROXY"
                    } else {
                        "http_proxy"
                    };
                    format!(
                        "none: no {var}, all_proxy or ALL_PROXY in the environment or the values' commonEnv"
                    )
                }
            }
        }
    }
}

type Resolved = (Judged, Vec<IpAddr>);

fn resolve_step(
    run: &mut Run<'_>,
    host: &str,
    port: u16,
    is_proxy: bool,
) -> Result<Resolved, Trouble> {
    let what = if is_proxy { "the proxy " } else { "" };
    let left = run.left("resolving")?;
    let (v4, v6, how) = lookup(host, port, run.plan.lookup, left)?;
    run.target.a.clone_from(&v4);
    run.target.aaaa.clone_from(&v6);
    run.target.resolver.clone_from(&how);
    let list = |v: &[IpAddr]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.iter()
                .map(IpAddr::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let detail = format!(
        "{what}`{host}` ({how}): A {}; AAAA {}",
        list(&v4),
        list(&v6)
    );
    let all: Vec<IpAddr> = v4.into_iter().chain(v6).take(MAX_ADDRESSES).collect();
    if all.is_empty() {
        return Err(Trouble::new(
            FaultKind::Dns,
            format!("{what}`{host}` has no A or AAAA record ({how})"),
            Some("the name exists but has no address: check the name, or the DNS it is asked of"),
        ));
    }
    Ok(((Status::Ok, detail, None), all))
}

/// A and AAAA addresses of `host`, and how they were found.
fn lookup(
    host: &str,
    port: u16,
    lookup: &Lookup,
    left: Duration,
) -> Result<(Vec<IpAddr>, Vec<IpAddr>, String), Trouble> {
    let split = |addrs: Vec<IpAddr>| -> (Vec<IpAddr>, Vec<IpAddr>) {
        addrs.into_iter().partition(IpAddr::is_ipv4)
    };
    if let Ok(ip) = host.parse::<IpAddr>() {
        let (a, b) = split(vec![ip]);
        return Ok((a, b, "an address: nothing to resolve".to_string()));
    }
    let lower = host.trim_end_matches('.').to_ascii_lowercase();
    if let Some(pin) = lookup
        .pins
        .iter()
        .find(|p| p.host == lower && p.port.is_none_or(|p| p == port))
    {
        let (a, b) = split(pin.addrs.clone());
        return Ok((a, b, "--resolve".to_string()));
    }
    let dns_hint = "check the name, and this machine's DNS (or the one --dns-server names); inside a cluster, compare with `kubectl run -it --rm dnscheck --image=busybox -- nslookup NAME`; behind a proxy that resolves for you, set HTTPS_PROXY";
    if let Some(server) = lookup.server {
        let how = format!("DNS server {server}");
        let mut out = (Vec::new(), Vec::new());
        for kind in [dns::Kind::A, dns::Kind::Aaaa] {
            let left = left.min(Duration::from_secs(5));
            match dns::query(&lower, kind, server, left) {
                Ok(dns::Answer::Addresses(found)) => match kind {
                    dns::Kind::A => out.0 = found,
                    dns::Kind::Aaaa => out.1 = found,
                },
                Ok(dns::Answer::NoSuchName) => {
                    return Err(Trouble::new(
                        FaultKind::Dns,
                        format!("`{host}` does not exist: NXDOMAIN from {how}"),
                        Some(dns_hint),
                    ));
                }
                Ok(dns::Answer::Refused(code)) => {
                    let name = match code {
                        2 => "SERVFAIL",
                        5 => "REFUSED",
                        _ => "an error",
                    };
                    return Err(Trouble::new(
                        FaultKind::Dns,
                        format!("{how} answered {name} (code {code}) for `{host}`"),
                        Some(dns_hint),
                    ));
                }
                Err(dns::Error::Timeout) => {
                    return Err(Trouble::new(
                        FaultKind::Timeout,
                        format!("{how} did not answer for `{host}`"),
                        Some(
                            "check that the DNS server is reachable on UDP port 53 (or the port given)",
                        ),
                    ));
                }
                Err(e) => {
                    return Err(Trouble::new(
                        FaultKind::Dns,
                        format!("asking {how} for `{host}` failed: {e}"),
                        Some(dns_hint),
                    ));
                }
            }
        }
        return Ok((out.0, out.1, how));
    }
    // The system's resolver cannot be given a time limit: it runs on a thread
    // of its own, left behind when the time runs out.
    let (tx, rx) = std::sync::mpsc::channel();
    let name = host.to_string();
    std::thread::spawn(move || {
        let _ = tx.send(
            (name.as_str(), port)
                .to_socket_addrs()
                .map(|a| a.map(|s| s.ip()).collect::<Vec<_>>()),
        );
    });
    let how = "this machine's resolver".to_string();
    match rx.recv_timeout(left) {
        Ok(Ok(mut addrs)) => {
            let mut seen = std::collections::HashSet::new();
            addrs.retain(|a| seen.insert(*a));
            let (a, b) = split(addrs);
            Ok((a, b, how))
        }
        Ok(Err(e)) => Err(Trouble::new(
            FaultKind::Dns,
            format!("cannot resolve `{host}` ({how}): {e}"),
            Some(dns_hint),
        )),
        Err(_) => Err(Trouble::new(
            FaultKind::Timeout,
            format!("{how} did not answer for `{host}` within --timeout"),
            Some(dns_hint),
        )),
    }
}

fn egress_step(host: &str, addresses: &[IpAddr]) -> Judged {
    let region = |ip: &IpAddr| {
        PUBLISHED
            .iter()
            .find(|(p, _)| p.parse::<IpAddr>().is_ok_and(|p| p == *ip))
            .map(|(_, r)| *r)
    };
    let off: Vec<String> = addresses
        .iter()
        .filter(|a| region(a).is_none())
        .map(IpAddr::to_string)
        .collect();
    if off.is_empty() {
        let mut regions: Vec<&str> = addresses.iter().filter_map(region).collect();
        regions.dedup();
        return (
            Status::Ok,
            format!(
                "every address of `{host}` is on {PUBLISHED_LIST} ({})",
                regions.join(", ")
            ),
            None,
        );
    }
    (
        Status::Warn,
        format!(
            "{} of `{host}` {} not on {PUBLISHED_LIST}: a firewall built on that list blocks {}",
            off.join(", "),
            if off.len() == 1 { "is" } else { "are" },
            if off.len() == 1 { "it" } else { "them" }
        ),
        Some(format!(
            "allow `{host}` by name where the firewall can, or add these addresses; compare with LangChain's current list (it can change), which has {} addresses here",
            PUBLISHED.len()
        )),
    )
}

/// One `connect` step per address; the first connection that works is kept.
fn connect_steps(
    run: &mut Run<'_>,
    addresses: &[IpAddr],
    port: u16,
    is_proxy: bool,
) -> Option<TcpStream> {
    let what = if is_proxy { "the proxy at " } else { "" };
    let mut results = Vec::new();
    for ip in addresses {
        let started = Instant::now();
        let addr = SocketAddr::new(*ip, port);
        let result = match run.left("connecting") {
            Err(t) => Err(t),
            Ok(left) => {
                let wait = left.min(run.plan.network.connect_timeout);
                TcpStream::connect_timeout(&addr, wait)
                    .map_err(|e| connect_trouble(&e, addr, wait, what))
            }
        };
        results.push((started, addr, result));
    }
    let any = results.iter().any(|(_, _, r)| r.is_ok());
    let mut kept = None;
    for (started, addr, result) in results {
        match result {
            Ok(stream) => {
                let ms = started.elapsed().as_millis();
                run.push(
                    StepName::Connect,
                    started,
                    Ok((
                        Status::Ok,
                        format!("{what}{addr}: connected in {ms} ms"),
                        None,
                    )),
                );
                if kept.is_none() {
                    kept = Some(stream);
                }
            }
            Err(trouble) if any => {
                run.push(
                    StepName::Connect,
                    started,
                    Ok((Status::Warn, trouble.detail, Some("another address works; clients that try this one first wait for it, or fail".to_string()))),
                );
                if let Some(step) = run.steps.last_mut() {
                    step.fault = Some(trouble.kind);
                }
            }
            Err(trouble) => {
                run.push(StepName::Connect, started, Err(trouble));
            }
        }
    }
    kept
}

fn connect_trouble(err: &std::io::Error, addr: SocketAddr, wait: Duration, what: &str) -> Trouble {
    use std::io::ErrorKind as K;
    match err.kind() {
        K::TimedOut | K::WouldBlock => Trouble::new(
            FaultKind::Timeout,
            format!("{what}{addr}: no answer within {} s", wait.as_secs_f64()),
            Some(
                "a firewall drops the packets, or the address is not routable from here; ask for this address and port to be allowed",
            ),
        ),
        K::ConnectionRefused => Trouble::new(
            FaultKind::Refused,
            format!("{what}{addr}: connection refused"),
            Some(
                "nothing listens there, or a firewall refuses: check the URL and port, or the firewall",
            ),
        ),
        _ => Trouble::new(
            FaultKind::Connect,
            format!("{what}{addr}: {err}"),
            Some("the address is not reachable from here: check routes and the firewall"),
        ),
    }
}

type Stream = Box<dyn Io>;

/// Sets the time left on the socket under every layer.
fn arm(control: &TcpStream, left: Duration) {
    let _ = control.set_read_timeout(Some(left));
    let _ = control.set_write_timeout(Some(left));
}

fn is_timeout(err: &std::io::Error) -> bool {
    matches!(
        err.kind(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    )
}

/// The proxy step: nothing to do without one; with one, its TLS when it is an
/// https:// proxy, then CONNECT for an https URL.
fn proxy_step(
    run: &Run<'_>,
    tcp: TcpStream,
    proxy: Option<&ProxyUse>,
    host: &str,
    port: u16,
) -> Result<(Connection, Status, String, Option<String>), Trouble> {
    let control = tcp.try_clone().map_err(|e| {
        Trouble::new(
            FaultKind::Connect,
            format!("cannot use the connection: {e}"),
            None,
        )
    })?;
    let mut conn = Connection {
        io: Box::new(tcp),
        control,
    };
    let reason = &run.target.proxy_from;
    let Some(proxy) = proxy else {
        return Ok((
            conn,
            Status::Ok,
            format!("direct: {}", reason.trim_start_matches("none: ")),
            None,
        ));
    };
    let shown = proxy.shown();
    let (proxy_host, _) = proxy_address(proxy);
    // As send refuses it: a socks5:// proxy (or any other) is not spoken here.
    if let Some((scheme, _)) = proxy.url().split_once("://") {
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err(Trouble::new(
                FaultKind::Proxy,
                format!(
                    "the proxy {shown} (from {reason}) is a `{scheme}` proxy, which beacon-cli does not speak"
                ),
                Some("give an http:// or https:// proxy"),
            ));
        }
    }
    if proxy.url().to_ascii_lowercase().starts_with("https://") {
        let name = proxy_host.clone().unwrap_or_default();
        let left = run.left("the TLS handshake with the proxy")?;
        arm(&conn.control, left);
        let recorder = tls::Recorder::new(run.plan.network.ca.as_ref().map(Ca::certificates))
            .map_err(|e| Trouble::new(FaultKind::Tls, e.to_string(), None))?;
        let (io, _) = handshake(conn.io, &name, &recorder).map_err(|e| {
            e.into_trouble(
                run.plan.network,
                &format!("the TLS handshake with the proxy {shown}"),
            )
        })?;
        let seen = recorder
            .seen
            .lock()
            .map(|s| (s.system.clone(), s.user.clone()));
        if let Ok((system, user)) = seen {
            let trusted = matches!(system, Some(Ok(()))) || matches!(user, Some(Ok(())));
            if !trusted && !run.plan.network.insecure {
                return Err(Trouble::new(
                    FaultKind::Tls,
                    format!("the proxy {shown}'s own certificate is not trusted"),
                    Some("give the proxy's CA with --cacert"),
                ));
            }
        }
        conn.io = io;
    }
    let creds = proxy_credentials(proxy.url());
    if run.plan.url.scheme() != "https" {
        return Ok((
            conn,
            Status::Ok,
            format!("through {shown} (from {reason}): plain http is forwarded, without CONNECT"),
            None,
        ));
    }
    let target = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut request =
        format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nUser-Agent: {USER_AGENT}\r\n");
    if let Some(creds) = &creds {
        request.push_str(&format!("Proxy-Authorization: Basic {}\r\n", basic(creds)));
    }
    request.push_str("\r\n");
    let left = run.left("waiting for the proxy's answer to CONNECT")?;
    arm(&conn.control, left);
    let io_trouble = |e: std::io::Error, doing: &str| {
        if is_timeout(&e) {
            timeout(run.plan.network, doing)
        } else {
            Trouble::new(
                FaultKind::Proxy,
                format!("the proxy {shown} broke the connection during CONNECT {target}: {e}"),
                Some("check that it is an HTTP proxy, and the port"),
            )
        }
    };
    conn.io
        .write_all(request.as_bytes())
        .and_then(|()| conn.io.flush())
        .map_err(|e| io_trouble(e, "sending CONNECT"))?;
    let head = read_head(&mut conn.io)
        .map_err(|e| io_trouble(e, "waiting for the proxy's answer to CONNECT"))?;
    let Some((status, reason_phrase, headers)) = parse_head(&head) else {
        return Err(Trouble::new(
            FaultKind::Proxy,
            format!("{shown} did not answer CONNECT as an HTTP proxy does"),
            Some("check that the proxy URL names an HTTP proxy"),
        ));
    };
    let via = format!("CONNECT {target} through {shown} (from {reason})");
    match status {
        200..=299 => Ok((
            conn,
            Status::Ok,
            format!("{via}: {status} {reason_phrase}"),
            None,
        )),
        // tinyproxy answers 401 to credentials it refuses: a proxy's 401 means the same.
        401 | 407 => {
            let scheme = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("proxy-authenticate"))
                .map(|(_, v)| v.split_whitespace().next().unwrap_or_default().to_string());
            let asks = scheme
                .as_deref()
                .map(|s| format!(": it asks for `{s}` credentials"))
                .unwrap_or_default();
            let (detail, hint) = if creds.is_some() {
                (
                    format!(
                        "{via}: {status} {reason_phrase}{asks}; it refused the credentials given"
                    ),
                    "check the user and password in the proxy URL",
                )
            } else {
                (
                    format!("{via}: {status} {reason_phrase}{asks}; none were given"),
                    "put the credentials in the proxy URL: http://user:password@host:port (in commonEnv for the pods, with --proxy here)",
                )
            };
            let hint = match scheme.as_deref() {
                Some(s) if !s.eq_ignore_ascii_case("basic") => format!(
                    "{hint}; beacon-cli and most clients speak only Basic to a proxy, and this one asks for `{s}`"
                ),
                _ => hint.to_string(),
            };
            Err(Trouble {
                kind: FaultKind::Proxy,
                detail,
                hint: Some(hint),
            })
        }
        _ => Err(Trouble::new(
            FaultKind::Proxy,
            format!("{via}: refused with {status} {reason_phrase}"),
            Some(
                "the proxy does not allow CONNECT to this host and port: ask for it to be allowed (port 443 to the Beacon host), or bypass it with NO_PROXY",
            ),
        )),
    }
}

/// `user:password` of a proxy URL, percent-decoded.
fn proxy_credentials(url: &str) -> Option<String> {
    secrets::url_credentials(url).map(secrets::percent_decode)
}

fn basic(credentials: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(credentials)
}

/// A connection and the socket under it, whose timeouts every layer obeys.
struct Connection {
    io: Stream,
    control: TcpStream,
}

enum HandshakeError {
    Io(std::io::Error),
    Setup(String),
}

impl HandshakeError {
    fn into_trouble(self, network: &Network, doing: &str) -> Trouble {
        match self {
            HandshakeError::Io(e) if is_timeout(&e) => timeout(network, doing),
            HandshakeError::Io(e) => Trouble::new(
                FaultKind::Tls,
                format!("{doing} failed: {e}"),
                Some(
                    "something on the path speaks no TLS, or refuses this client's: check the URL's scheme and port, and any proxy or firewall that inspects TLS",
                ),
            ),
            HandshakeError::Setup(e) => Trouble::new(FaultKind::Tls, format!("{doing}: {e}"), None),
        }
    }
}

/// What a handshake agreed on.
struct Negotiated {
    version: String,
    cipher: String,
}

/// A client handshake over `io` for `name` (no SNI for an address).
fn handshake(
    mut io: Stream,
    name: &str,
    recorder: &Arc<tls::Recorder>,
) -> Result<(Stream, Negotiated), HandshakeError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server_name = rustls::pki_types::ServerName::try_from(name.to_string())
        .map_err(|_| HandshakeError::Setup(format!("`{name}` is not a name TLS can check")))?;
    let config = recorder
        .config()
        .map_err(|e| HandshakeError::Setup(e.to_string()))?;
    let mut tls = rustls::ClientConnection::new(Arc::new(config), server_name)
        .map_err(|e| HandshakeError::Setup(e.to_string()))?;
    while tls.is_handshaking() {
        tls.complete_io(&mut io).map_err(HandshakeError::Io)?;
    }
    let version = match tls.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3".to_string(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLS 1.2".to_string(),
        Some(other) => format!("{other:?}"),
        None => "unknown".to_string(),
    };
    let cipher = tls
        .negotiated_cipher_suite()
        .map(|s| format!("{:?}", s.suite()))
        .unwrap_or_default();
    Ok((
        Box::new(rustls::StreamOwned::new(tls, io)),
        Negotiated { version, cipher },
    ))
}

/// The TLS step: the handshake, the chain, and whose CA signed it.
fn tls_step(
    run: &mut Run<'_>,
    mut conn: Connection,
    host: &str,
    proxy: Option<&ProxyUse>,
) -> Result<(Connection, Judged), Trouble> {
    let network = run.plan.network;
    let left = run.left("the TLS handshake")?;
    arm(&conn.control, left);
    let recorder = tls::Recorder::new(network.ca.as_ref().map(Ca::certificates))
        .map_err(|e| Trouble::new(FaultKind::Tls, format!("cannot set up TLS: {e}"), None))?;
    let sni = host.parse::<IpAddr>().is_err().then(|| host.to_string());
    let (io, negotiated) = handshake(conn.io, host, &recorder)
        .map_err(|e| e.into_trouble(network, &format!("the TLS handshake with `{host}`")))?;
    conn.io = io;
    let seen = recorder
        .seen
        .lock()
        .map_err(|_| Trouble::new(FaultKind::Tls, "internal: the verifier failed", None))?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let chain: Vec<CertView> = seen
        .chain
        .iter()
        .filter_map(|c| tls::view(c, now))
        .collect();
    let system = seen
        .system
        .clone()
        .unwrap_or(Err(rustls::Error::General("no certificate".into())));
    let user = seen.user.clone();
    drop(seen);
    let leaf_issuer = chain.first().map(|c| c.issuer.clone()).unwrap_or_default();
    let public_ca = system.is_ok();
    let by_cacert = user.as_ref().map(Result::is_ok);
    // LangChain's own hosts carry a public CA's chain: any other is a proxy's.
    // Through a proxy to another host, a chain neither public nor of the
    // bundle given is the proxy's too; one of the bundle's is the server's own
    // private CA, as far as a client can tell.
    let unknown = system.as_ref().err().is_some_and(tls::unknown_issuer);
    let intercepted = !public_ca
        && ((is_langchain_host(host) && (by_cacert == Some(true) || unknown))
            || (proxy.is_some() && by_cacert != Some(true) && unknown));
    let shown_chain = chain
        .iter()
        .map(|c| {
            format!(
                "`{}` issued by `{}`, expires {} ({} days)",
                c.subject, c.issuer, c.not_after, c.days_left
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    run.target.tls = Some(TlsView {
        version: negotiated.version.clone(),
        cipher: negotiated.cipher.clone(),
        sni: sni.clone(),
        chain: chain.clone(),
        public_ca,
        trusted_by_cacert: by_cacert,
        intercepted,
    });
    let sni_text = sni.map_or_else(
        || "no SNI (an address)".to_string(),
        |s| format!("SNI `{s}`"),
    );
    let head = format!(
        "{}, {}, {sni_text}; chain: {shown_chain}",
        negotiated.version, negotiated.cipher
    );
    let ca_name = network
        .ca
        .as_ref()
        .map(|ca| format!("`{}` ({})", ca.name, ca.from));
    let custom_ca = "the pods must trust it too: put the CA in a Secret and name it in `config.customCa.secretName` (with `config.customCa.secretKey`), keeping the public CAs in that bundle";
    let via = proxy.map(|p| format!("the proxy {} ({})", p.shown(), p.from));
    let interceptor = via
        .clone()
        .unwrap_or_else(|| "a TLS-inspecting firewall or proxy on the path".to_string());
    let expiring = chain
        .first()
        .is_some_and(|c| (0..14).contains(&c.days_left));
    if public_ca {
        let (status, hint) = if expiring {
            (
                Status::Warn,
                Some("the server's certificate expires within 14 days".to_string()),
            )
        } else {
            (Status::Ok, None)
        };
        return Ok((
            conn,
            (status, format!("{head}; signed by a public CA"), hint),
        ));
    }
    if by_cacert == Some(true) {
        let ca_name = ca_name.unwrap_or_default();
        if intercepted {
            return Ok((
                conn,
                (
                    Status::Warn,
                    format!(
                        "{head}; NOT a public CA: `{leaf_issuer}` signed it, trusted through {ca_name}: {interceptor} intercepts TLS"
                    ),
                    Some(format!("this works only with that CA: {custom_ca}")),
                ),
            ));
        }
        return Ok((
            conn,
            (
                Status::Ok,
                format!("{head}; signed by a CA from {ca_name}, not a public CA"),
                None,
            ),
        ));
    }
    let why = tls::describe(
        user.as_ref()
            .and_then(|u| u.as_ref().err())
            .unwrap_or(system.as_ref().expect_err("not public")),
    );
    let (detail, hint) = if unknown {
        let who = if intercepted {
            format!(
                "{interceptor} intercepts TLS (an intercepting proxy): it signs with its own CA"
            )
        } else {
            "a private CA, or a TLS-inspecting firewall on the path".to_string()
        };
        (
            format!(
                "{head}; the certificate of `{host}` is issued by `{leaf_issuer}`, which is not a public CA{}: {who}",
                ca_name
                    .as_ref()
                    .map(|n| format!(" nor in {n}"))
                    .unwrap_or_default()
            ),
            format!(
                "get that CA's certificate (PEM) from whoever runs it and pass it with --cacert FILE here; {custom_ca}"
            ),
        )
    } else {
        (
            format!("{head}; the certificate of `{host}` is not valid: {why}"),
            "check the URL's host name against the certificate, and this machine's clock"
                .to_string(),
        )
    };
    if network.insecure {
        return Ok((
            conn,
            (
                Status::Warn,
                format!("{detail} (not checked: --insecure)"),
                Some(hint),
            ),
        ));
    }
    Err(Trouble {
        kind: FaultKind::Tls,
        detail,
        hint: Some(hint),
    })
}

/// The HTTP step: a GET without body or license; any HTTP answer proves the path.
fn http_step(
    run: &mut Run<'_>,
    mut conn: Connection,
    proxy: Option<&ProxyUse>,
) -> Result<Judged, Trouble> {
    let url = &run.plan.http_url;
    let host = url.host_str().unwrap_or_default();
    let authority = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    };
    let forward = proxy.is_some() && url.scheme() == "http";
    let target = if forward {
        url.to_string()
    } else {
        url[url::Position::BeforePath..].to_string()
    };
    let mut request = format!(
        "GET {target} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: {USER_AGENT} (doctor)\r\nAccept: */*\r\nConnection: close\r\n"
    );
    if let Some(creds) = proxy
        .filter(|_| forward)
        .and_then(|p| proxy_credentials(p.url()))
    {
        request.push_str(&format!("Proxy-Authorization: Basic {}\r\n", basic(&creds)));
    }
    request.push_str("\r\n");
    let left = run.left("waiting for the HTTP answer")?;
    arm(&conn.control, left);
    let network = run.plan.network;
    let io_trouble = |e: std::io::Error| {
        if is_timeout(&e) {
            timeout(network, "waiting for the HTTP answer")
        } else {
            Trouble::new(
                FaultKind::Exchange,
                format!("GET {url}: the connection broke before an answer: {e}"),
                Some(
                    "something on the path closes connections it does not like: a proxy or firewall that inspects traffic",
                ),
            )
        }
    };
    conn.io
        .write_all(request.as_bytes())
        .and_then(|()| conn.io.flush())
        .map_err(io_trouble)?;
    let head = read_head(&mut conn.io).map_err(io_trouble)?;
    let Some((status, reason, headers)) = parse_head(&head) else {
        return Err(Trouble::new(
            FaultKind::Exchange,
            format!("GET {url}: the answer is not HTTP"),
            Some(
                "something other than an HTTP server answered: check the URL, its port, and any proxy on the way",
            ),
        ));
    };
    run.target.http_status = Some(status);
    let got = format!("GET {url} (no body, no license): {status} {reason}");
    match status {
        407 if forward => Err(Trouble::new(
            FaultKind::Proxy,
            format!("{got}: the proxy wants credentials"),
            Some("put the credentials in the proxy URL: http://user:password@host:port"),
        )),
        300..=399 => {
            let location = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("location"))
                .map(|(_, v)| format!(" to `{v}`"))
                .unwrap_or_default();
            Ok((
                Status::Warn,
                format!("{got}: it redirects{location}"),
                Some("the pods and `send` do not follow redirects with the license: point the URL at the final address".to_string()),
            ))
        }
        500..=599 => Ok((
            Status::Warn,
            format!("{got}: the path works, but the server (or a gateway) fails"),
            Some("the network path is proven; the server side answers with an error: try again later, or `send verify` for the real exchange".to_string()),
        )),
        200..=499 => Ok((
            Status::Ok,
            format!("{got}: any HTTP answer proves the path"),
            None,
        )),
        _ => Err(Trouble::new(
            FaultKind::Exchange,
            format!("{got}: not a final HTTP answer"),
            Some("something other than an HTTP server answered: check the URL and any proxy on the way"),
        )),
    }
}

/// The bytes up to the blank line that ends an HTTP head, read one at a time
/// so nothing past it is taken (after CONNECT, the TLS server's bytes).
fn read_head(io: &mut Stream) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while head.len() < MAX_HEAD && !head.ends_with(b"\r\n\r\n") && !head.ends_with(b"\n\n") {
        match io.read(&mut byte)? {
            0 => break,
            _ => head.push(byte[0]),
        }
    }
    Ok(head)
}

type Head = (u16, String, Vec<(String, String)>);

/// Status, reason and headers of an HTTP/1 answer head.
fn parse_head(head: &[u8]) -> Option<Head> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.lines();
    let first = lines.next()?;
    let mut parts = first.splitn(3, ' ');
    let version = parts.next()?;
    if !version.starts_with("HTTP/") {
        return None;
    }
    let status: u16 = parts.next()?.trim().parse().ok()?;
    if !(100..=999).contains(&status) {
        return None;
    }
    let reason = parts.next().unwrap_or_default().trim().to_string();
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Some((status, reason, headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_read_as_curl_writes_them() {
        let pin = Pin::parse("Beacon.Example:127.0.0.1").unwrap();
        assert_eq!((pin.host.as_str(), pin.port), ("beacon.example", None));
        let pin = Pin::parse("b.example:443:10.0.0.1,[::1]").unwrap();
        assert_eq!(pin.port, Some(443));
        assert_eq!(
            pin.addrs,
            vec![
                "10.0.0.1".parse::<IpAddr>().unwrap(),
                "::1".parse().unwrap()
            ]
        );
        assert_eq!(
            Pin::parse("b.example:::1").unwrap().addrs,
            vec!["::1".parse::<IpAddr>().unwrap()]
        );
        for bad in [
            "b.example",
            ":1.2.3.4",
            "b.example:x:1.2.3.4",
            "b.example:443:nope",
        ] {
            assert!(Pin::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dns_servers_default_to_port_53() {
        assert_eq!(
            parse_dns_server("10.96.0.10").unwrap(),
            "10.96.0.10:53".parse().unwrap()
        );
        assert_eq!(
            parse_dns_server("127.0.0.1:5353").unwrap(),
            "127.0.0.1:5353".parse().unwrap()
        );
        assert_eq!(
            parse_dns_server("[::1]").unwrap(),
            "[::1]:53".parse().unwrap()
        );
        assert!(parse_dns_server("dns.example").is_err());
    }

    #[test]
    fn published_addresses_parse_and_compare() {
        for (ip, _) in PUBLISHED {
            assert!(ip.parse::<IpAddr>().is_ok(), "{ip}");
        }
        let on: Vec<IpAddr> = vec!["34.8.121.39".parse().unwrap()];
        assert_eq!(egress_step("beacon.langchain.com", &on).0, Status::Ok);
        let off: Vec<IpAddr> = vec!["34.8.121.39".parse().unwrap(), "10.1.1.1".parse().unwrap()];
        let (status, detail, _) = egress_step("beacon.langchain.com", &off);
        assert_eq!(status, Status::Warn);
        assert!(detail.starts_with("10.1.1.1 of"), "{detail}");
        assert!(is_langchain_host("EU.Beacon.langchain.com."));
        assert!(!is_langchain_host("notlangchain.com"));
    }

    #[test]
    fn heads_parse_or_are_refused() {
        let (status, reason, headers) =
            parse_head(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\n").unwrap();
        assert_eq!(
            (status, reason.as_str()),
            (407, "Proxy Authentication Required")
        );
        assert_eq!(headers[0].1, "Basic realm=\"x\"");
        assert!(parse_head(b"SSH-2.0-OpenSSH\r\n\r\n").is_none());
        assert!(parse_head(b"HTTP/1.1 abc\r\n\r\n").is_none());
        assert!(parse_head(b"").is_none());
    }
}
