//! Choosing a proxy as curl does: `https_proxy`/`HTTPS_PROXY`, `http_proxy` (never
//! upper-case `HTTP_PROXY`), `all_proxy`, `no_proxy`, or the flags.

use std::net::IpAddr;

use url::Url;

use crate::secrets;

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

/// Where proxy variables were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProxyOrigin {
    /// The process environment.
    #[default]
    Environment,
    /// The values' `commonEnv`: the pods' proxy (`doctor`).
    CommonEnv,
}

/// The proxy variables of the environment (or of `commonEnv`).
#[derive(Debug, Clone, Default)]
pub struct EnvProxies {
    /// Where they were read.
    pub origin: ProxyOrigin,
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
    /// Reads the variables through `get` (which treats an empty variable as
    /// unset), with curl's rules: lower case first, and upper-case `HTTP_PROXY`
    /// never (a CGI server sets it from a request header).
    pub fn read(get: impl Fn(&str) -> Option<String>) -> Self {
        let pick = |lower: &'static str, upper: &'static str| {
            get(lower)
                .map(|v| (v, lower))
                .or_else(|| get(upper).map(|v| (v, upper)))
        };
        Self {
            origin: ProxyOrigin::Environment,
            https: pick("https_proxy", "HTTPS_PROXY"),
            http: get("http_proxy").map(|v| (v, "http_proxy")),
            all: pick("all_proxy", "ALL_PROXY"),
            no_proxy: get("no_proxy").or_else(|| get("NO_PROXY")),
            upper_http_ignored: get("HTTP_PROXY").is_some() && get("http_proxy").is_none(),
        }
    }
}

impl EnvProxies {
    /// True when no variable names a proxy (`NO_PROXY` alone names none).
    pub fn is_empty(&self) -> bool {
        self.https.is_none() && self.http.is_none() && self.all.is_none()
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
    /// The proxy URL, credentials included: for the HTTP clients only.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

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
                    from: match env.origin {
                        ProxyOrigin::Environment => (*from).to_string(),
                        ProxyOrigin::CommonEnv => format!("commonEnv {from}"),
                    },
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
}
