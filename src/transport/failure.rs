//! Why an attempt failed, as a typed kind (DNS, refused, TLS, proxy, timeout...)
//! and in plain words, with the fix when it is known.

use serde::Serialize;
use url::Url;

use super::ProxyUse;

/// What kind of failure: what `doctor` and the exit code need to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// The host name does not resolve.
    Dns,
    /// Nothing listens there, or a firewall refuses.
    Refused,
    /// The TLS handshake or the certificate failed.
    Tls,
    /// The proxy refused or failed the connection.
    Proxy,
    /// No answer in time.
    Timeout,
    /// Another failure to connect.
    Connect,
    /// The exchange broke off after connecting.
    Exchange,
}

impl FaultKind {
    /// The stable code of the kind (`dns`, `tls`).
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Dns => "dns",
            FaultKind::Refused => "refused",
            FaultKind::Tls => "tls",
            FaultKind::Proxy => "proxy",
            FaultKind::Timeout => "timeout",
            FaultKind::Connect => "connect",
            FaultKind::Exchange => "exchange",
        }
    }
}

/// A failure to get an answer: its kind, in plain words, and the fix.
#[derive(Debug, Clone)]
pub struct Fault {
    /// What kind.
    pub kind: FaultKind,
    /// What happened.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

/// The cause of a failed attempt, in plain words, with the fix when it is known.
pub(super) fn explain(err: &reqwest::Error, url: &Url, proxy: Option<&ProxyUse>) -> Fault {
    let host = url.host_str().unwrap_or_default();
    let target = format!("{host}:{}", url.port_or_known_default().unwrap_or_default());
    let via = proxy
        .map(|p| format!(" through proxy {} ({})", p.shown(), p.from))
        .unwrap_or_default();
    let chain = causes(err);
    let text = chain.join(": ").to_lowercase();
    let (kind, message, hint) = if err.is_timeout() {
        (
            FaultKind::Timeout,
            format!("timed out talking to {target}{via}"),
            None,
        )
    } else if text.contains("unknownissuer")
        || text.contains("unknown issuer")
        || text.contains("self-signed")
        || text.contains("self signed")
    {
        (
            FaultKind::Tls,
            format!("the certificate of {target} is signed by an unknown authority"),
            Some("pass --cacert with your proxy's or server's CA bundle (PEM); --insecure skips the check, for tests only".to_string()),
        )
    } else if text.contains("causedasendentity") || text.contains("ca used as end entity") {
        (
            FaultKind::Tls,
            format!("the certificate of {target} is a CA certificate used as a server certificate, as `openssl req -x509` makes them"),
            Some("give that exact certificate with --cacert to pin it (its name and dates are still checked)".to_string()),
        )
    } else if text.contains("notvalidforname")
        || text.contains("not valid for name")
        || text.contains("certificate is not valid for")
    {
        (
            FaultKind::Tls,
            format!("the certificate of {target} is not valid for that name"),
            Some("check the URL's host name against the certificate".to_string()),
        )
    } else if text.contains("expired") && text.contains("certificate") {
        (
            FaultKind::Tls,
            format!("the certificate of {target} has expired"),
            Some("check the server's certificate and this machine's clock".to_string()),
        )
    } else if proxy.is_some() && (text.contains("proxy") || text.contains("tunnel")) {
        (
            FaultKind::Proxy,
            format!("the proxy refused or failed the connection to {target}{via}: {}", chain.last().cloned().unwrap_or_default()),
            Some("check the proxy URL, its credentials, and that it allows CONNECT to this port; NO_PROXY or --no-proxy bypass it".to_string()),
        )
    } else if text.contains("dns error")
        || text.contains("failed to lookup")
        || text.contains("name or service not known")
        || text.contains("no address associated")
    {
        (
            FaultKind::Dns,
            format!("cannot resolve the host `{host}`{via}"),
            Some(
                "check the host name and this machine's DNS; behind a proxy, set HTTPS_PROXY"
                    .to_string(),
            ),
        )
    } else if text.contains("connection refused") {
        (
            FaultKind::Refused,
            format!(
                "connection refused by {}{via}",
                proxy.map(|p| p.shown()).unwrap_or(target.clone())
            ),
            Some("nothing listens there: check the URL and port, or the firewall".to_string()),
        )
    } else if text.contains("tls") || text.contains("certificate") || text.contains("handshake") {
        (
            FaultKind::Tls,
            format!(
                "TLS with {target} failed: {}",
                chain.last().cloned().unwrap_or_default()
            ),
            Some("a TLS-inspecting proxy needs its CA: pass --cacert".to_string()),
        )
    } else if err.is_connect() {
        (
            FaultKind::Connect,
            format!(
                "cannot connect to {target}{via}: {}",
                chain.last().cloned().unwrap_or_default()
            ),
            None,
        )
    } else {
        (
            FaultKind::Exchange,
            format!(
                "the exchange with {target} failed{via}: {}",
                chain.last().cloned().unwrap_or_default()
            ),
            None,
        )
    };
    Fault {
        kind,
        message,
        hint,
    }
}

/// The answer's body stalled past `--timeout` or broke off after `read` bytes.
pub(super) fn broken_body(err: &std::io::Error, url: &Url, read: usize) -> Fault {
    let host = url.host_str().unwrap_or_default();
    // The deadline may surface at any depth: an io error wrapping reqwest's, which
    // wraps hyper's, which wraps the io error of the socket.
    let timed_out = std::iter::successors(Some(err as &(dyn std::error::Error + 'static)), |e| {
        e.source()
    })
    .any(|e| {
        e.downcast_ref::<reqwest::Error>()
            .is_some_and(reqwest::Error::is_timeout)
            || e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
            || e.to_string().to_lowercase().contains("timed out")
    });
    if timed_out {
        Fault {
            kind: FaultKind::Timeout,
            message: format!("{host} sent the status, then no more of the answer within --timeout ({read} bytes of the body came)"),
            hint: Some("the server or a proxy on the way stalled mid-answer; raise --timeout, or check the path".to_string()),
        }
    } else {
        Fault {
            kind: FaultKind::Exchange,
            message: format!("the connection to {host} broke while the answer came ({read} bytes of the body came)"),
            hint: Some("the server or a proxy on the way closed the connection mid-answer; the request may or may not have been processed".to_string()),
        }
    }
}

/// An answer whose status is not a final HTTP answer (1xx, or above 599).
pub(super) fn undefined_status(response: &super::Response, url: &Url) -> Fault {
    let host = url.host_str().unwrap_or_default();
    Fault {
        kind: FaultKind::Exchange,
        message: format!(
            "{host}:{} answered status {}, which is not a final HTTP answer",
            url.port_or_known_default().unwrap_or_default(),
            response.status
        ),
        hint: Some(
            "something other than an HTTP server answered: check the URL and any proxy on the way"
                .to_string(),
        ),
    }
}

/// A proxy that answered 407: it wants credentials, or refused the ones given.
pub(super) fn proxy_refused(response: &super::Response, proxy: Option<&ProxyUse>) -> Fault {
    let scheme = response
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("proxy-authenticate"))
        .map(|(_, v)| v.split_whitespace().next().unwrap_or_default().to_string());
    let via = proxy
        .map(|p| format!("{} ({})", p.shown(), p.from))
        .unwrap_or_default();
    Fault {
        kind: FaultKind::Proxy,
        message: format!(
            "the proxy {via} answered 407 Proxy Authentication Required{}",
            scheme
                .map(|s| format!(": it asks for `{s}` credentials"))
                .unwrap_or_default()
        ),
        hint: Some("give the proxy's credentials in its URL (http://user:password@host:port), or check them".to_string()),
    }
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
