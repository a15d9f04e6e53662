//! One resolution step: flags, environment and values turned, once, into the
//! [`Settings`] a command runs with.
//!
//! Like ripgrep's `HiArgs`, nothing downstream reads the environment or re-decides
//! a default. [`Environment`] is the only reader of the process environment in
//! beacon-cli, with one rule for every variable: **empty (or only blanks) counts as
//! unset**, as curl treats its proxy variables. Each setting carries where it came
//! from, for messages and for `show-config`.
//!
//! Values files are read only where they are needed ([`ValuesNeed`]): a command
//! that does not use them is never broken by a bad `./langsmith_config.yaml`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use url::Url;

use crate::cli::NetworkArgs;
use crate::config::{LoadOptions, Values};
use crate::egress::{self, BeaconBase, ChartVersion, DecidedBy, LicenseSource, Report};
use crate::endpoints::DEFAULT_BEACON_URL;
use crate::error::Failure;
use crate::input::{self, Named};
use crate::output::Output;
use crate::secrets::{self, Secret};
use crate::transport::{Ca, EnvProxies, Network, ProxyChoice, ProxyOrigin};

/// Every environment variable beacon-cli reads.
pub const VARIABLES: &[&str] = &[
    "LANGSMITH_CONFIG",
    "LANGSMITH_LICENSE_KEY",
    "BEACON_URL",
    "SSL_CERT_FILE",
    "NO_COLOR",
    "COLUMNS",
    "https_proxy",
    "HTTPS_PROXY",
    "http_proxy",
    "HTTP_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
];

/// A license file larger than this is not a license file.
const MAX_LICENSE_BYTES: u64 = 64 * 1024;
/// A CA bundle larger than this is not a CA bundle (Debian's whole bundle is 200 KiB).
const MAX_CA_BYTES: u64 = 16 * 1024 * 1024;

/// The process environment, read once.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    vars: BTreeMap<String, String>,
    cwd: Option<PathBuf>,
}

impl Environment {
    /// Reads the variables in [`VARIABLES`] and the working directory.
    pub fn capture() -> Self {
        let vars = VARIABLES
            .iter()
            .filter_map(|name| {
                let value = std::env::var_os(name)?;
                Some((name.to_string(), value.to_string_lossy().into_owned()))
            })
            .collect();
        Self {
            vars,
            cwd: std::env::current_dir().ok(),
        }
    }

    /// An environment made of these pairs, for tests.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            cwd: None,
        }
    }

    /// A variable's value; empty or blank counts as unset.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    /// The working directory, where `./langsmith_config.yaml` is looked for.
    pub fn cwd(&self) -> Option<&Path> {
        self.cwd.as_deref()
    }
}

/// Which values a command reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValuesNeed {
    /// None at all.
    None,
    /// Only the files and `--set` flags named on the command line; nothing when
    /// none is named.
    Named,
    /// The named ones; when none is named, the chart's defaults alone.
    NamedElseDefaults,
    /// The named ones, else `$LANGSMITH_CONFIG`, else `./langsmith_config.yaml`,
    /// else the chart's defaults: the installation's values.
    Discover,
}

/// The flags that choose values files, as the command line gave them.
#[derive(Debug, Clone, Copy)]
pub struct ValuesFlags<'a> {
    /// `-f`.
    pub files: &'a [PathBuf],
    /// `--set`.
    pub set: &'a [String],
    /// `--set-string`.
    pub set_string: &'a [String],
    /// `--chart-version`.
    pub chart_version: Option<&'a str>,
    /// `--manifests`: rendered manifests to read instead of values.
    pub manifests: &'a [PathBuf],
}

impl ValuesFlags<'_> {
    fn named(&self) -> bool {
        !self.files.is_empty() || !self.set.is_empty() || !self.set_string.is_empty()
    }
}

/// What a command asks to have resolved.
#[derive(Debug, Clone)]
pub struct Ask<'a> {
    /// Which values it reads.
    pub values: ValuesNeed,
    /// The Beacon URL it talks to, with `--url` when given.
    pub beacon: Option<Option<&'a str>>,
    /// The license it uses, with `--license-file` when given.
    pub license: Option<Option<&'a Path>>,
    /// How it reaches the network.
    pub network: Option<NetworkArgs>,
    /// Whether the proxy variables `commonEnv` gives the pods count when neither
    /// the flags nor the environment name a proxy (`doctor`: the pods' path).
    pub proxy_from_values: bool,
    /// Another flag of this run that reads standard input (`--payload -`), so
    /// `-f -` cannot read it too.
    pub stdin: Option<&'static str>,
}

impl Ask<'_> {
    /// A command that needs only these values.
    pub fn values(values: ValuesNeed) -> Self {
        Self {
            values,
            beacon: None,
            license: None,
            network: None,
            proxy_from_values: false,
            stdin: None,
        }
    }
}

/// Values (or rendered manifests) read, and what they send.
#[derive(Debug)]
pub struct Loaded {
    /// What they send to Beacon.
    pub report: Report,
    /// Every secret they hold, for the output boundary.
    pub secrets: Vec<Secret>,
}

/// Where the Beacon base URL came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlSource {
    /// `--url`.
    Flag,
    /// `$BEACON_URL`.
    Env,
    /// `commonEnv` `BEACON_ENDPOINT` in the values.
    Values(DecidedBy),
    /// Nothing set it.
    Default,
    /// `commonEnv` sets it with `valueFrom`: it is not in the values.
    Unknown(DecidedBy),
}

impl UrlSource {
    /// The source in words, for messages: "`--url`".
    pub fn describe(&self) -> &'static str {
        match self {
            UrlSource::Flag => "`--url`",
            UrlSource::Env => "`$BEACON_URL`",
            UrlSource::Values(_) | UrlSource::Unknown(_) => "`commonEnv` `BEACON_ENDPOINT`",
            UrlSource::Default => "the default",
        }
    }
}

/// The Beacon base URL a command talks to.
#[derive(Debug, Clone)]
pub struct Beacon {
    /// The URL; `None` when it is unknown.
    pub base: Option<Url>,
    /// Where it came from.
    pub source: UrlSource,
}

impl Beacon {
    /// The URL, or the error that says why it cannot be known.
    pub fn require(&self) -> Result<&Url> {
        match (&self.base, &self.source) {
            (Some(url), _) => Ok(url),
            (None, source) => {
                let at = match source {
                    UrlSource::Unknown(d) => match (&d.file, d.line) {
                        (Some(f), Some(l)) => format!(" ({f}:{l})"),
                        _ => String::new(),
                    },
                    _ => String::new(),
                };
                Err(Failure::input(format!(
                    "the values set `BEACON_ENDPOINT` from `valueFrom`{at}: the Beacon URL is not in the values"
                ))
                .hint("give the URL with --url or $BEACON_URL")
                .into())
            }
        }
    }
}

/// The license a command uses, and where it came from.
#[derive(Debug, Clone)]
pub struct License {
    /// The key, when one was found.
    pub key: Option<Secret>,
    /// Where it came from (`missing` when nowhere).
    pub source: LicenseSource,
    /// The file, variable or key that held it, for messages.
    pub origin: String,
    /// The Kubernetes Secret the values keep it in, when they do.
    pub secret_name: Option<String>,
}

impl License {
    /// What to say when a billing request has no license.
    pub fn missing_help(&self) -> String {
        let mut text = "give the license key with --license-file FILE, or $LANGSMITH_LICENSE_KEY, or `config.langsmithLicenseKey` in the values".to_string();
        if let Some(name) = &self.secret_name {
            text.push_str(&format!(
                "; the values keep it in Kubernetes Secret `{name}`, which beacon-cli cannot read from the file: \
                 `kubectl get secret {name} -o jsonpath='{{.data.langsmith_license_key}}' | base64 -d > license.txt` then --license-file license.txt"
            ));
        }
        text
    }
}

/// Everything a command runs with, resolved once. A part is `None` when the
/// command did not ask for it.
#[derive(Debug, Default)]
pub struct Settings {
    /// The values, when read.
    pub loaded: Option<Loaded>,
    /// The Beacon base URL.
    pub beacon: Option<Beacon>,
    /// The license.
    pub license: Option<License>,
    /// Proxy, CA roots, timeouts.
    pub network: Option<Network>,
}

impl Settings {
    /// Where each resolved setting came from, as `(label, text)` lines for `-v`.
    pub fn explain(&self) -> Vec<(&'static str, String)> {
        let mut lines = Vec::new();
        if let Some(loaded) = &self.loaded {
            for source in &loaded.report.sources {
                lines.push(("values", source.describe()));
            }
        }
        if let Some(beacon) = &self.beacon {
            let url = beacon
                .base
                .as_ref()
                .map_or_else(|| "unknown".to_string(), Url::to_string);
            lines.push((
                "beacon",
                format!("{url} (from {})", beacon.source.describe()),
            ));
        }
        if let Some(license) = &self.license {
            let text = match &license.key {
                Some(key) => format!("{} (from {})", key.marker(), license.origin),
                None => "none found".to_string(),
            };
            lines.push(("license", text));
        }
        if let Some(network) = &self.network {
            let proxy = match &network.proxy {
                ProxyChoice::Flag(_) => "--proxy".to_string(),
                ProxyChoice::Off => "none (--no-proxy)".to_string(),
                ProxyChoice::Env(env) if env.origin == ProxyOrigin::CommonEnv => {
                    "from the values' commonEnv (the pods' proxy), as curl reads it".to_string()
                }
                ProxyChoice::Env(_) => "from the environment, as curl reads it".to_string(),
            };
            lines.push(("proxy", proxy));
            if let Some(ca) = &network.ca {
                lines.push(("cacert", format!("{} (from {})", ca.name, ca.from)));
            }
        }
        lines
    }

    /// Resolves what `ask` asks for from the flags, the environment and the values.
    ///
    /// Every secret is handed to the output boundary the moment it is known:
    /// those of the flags and the environment before anything is parsed, the
    /// values' as soon as they are read. An error in a later step (a bad URL, an
    /// unreadable license file) can then never show an earlier secret.
    pub fn resolve(
        ask: &Ask<'_>,
        values: ValuesFlags<'_>,
        env: &Environment,
        out: &Output,
    ) -> Result<Self> {
        for secret in given_secrets(ask, env) {
            out.protect(&secret);
        }
        if let Some(other) = ask.stdin {
            let dash = |list: &[PathBuf]| list.iter().any(|f| f.as_os_str() == "-");
            let named = if dash(values.files) {
                Some("-f -")
            } else if dash(values.manifests) {
                Some("--manifests -")
            } else {
                None
            };
            if let Some(named) = named {
                return Err(Failure::input(format!(
                    "standard input is named twice: by `{named}` and by `{other}`"
                ))
                .hint("standard input can be read only once; save one of them to a file")
                .into());
            }
        }
        let loaded = load_values(ask.values, values, env)?;
        for secret in loaded.iter().flat_map(|l| &l.secrets) {
            out.protect(secret);
        }
        let report = loaded.as_ref().map(|l| &l.report);
        let license = ask
            .license
            .map(|file| license(file, env, report))
            .transpose()?;
        if let Some(key) = license.as_ref().and_then(|l| l.key.as_ref()) {
            out.protect(key);
        }
        Ok(Self {
            beacon: ask
                .beacon
                .map(|flag| beacon(flag, env, report))
                .transpose()?,
            license,
            network: ask
                .network
                .as_ref()
                .map(|flags| {
                    network(
                        flags,
                        env,
                        ask.proxy_from_values.then_some(report).flatten(),
                    )
                })
                .transpose()?,
            loaded,
        })
    }

    /// The values' report, when values were read.
    pub fn report(&self) -> Option<&Report> {
        self.loaded.as_ref().map(|l| &l.report)
    }
}

/// The secrets the flags and the environment hold, known before anything is
/// parsed: the license in `$LANGSMITH_LICENSE_KEY`, and the credentials of every
/// proxy and Beacon URL given (`--proxy`, `--url`, the proxy variables,
/// `$BEACON_URL`), with or without a scheme, whether they parse or not.
fn given_secrets(ask: &Ask<'_>, env: &Environment) -> Vec<Secret> {
    let mut out = Vec::new();
    if let Some(key) = env.get("LANGSMITH_LICENSE_KEY") {
        out.push(Secret::new(key.trim()));
        out.push(Secret::new(key));
    }
    let urls = [
        "BEACON_URL",
        "https_proxy",
        "HTTPS_PROXY",
        "http_proxy",
        "HTTP_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ]
    .into_iter()
    .filter_map(|name| env.get(name))
    .chain(ask.beacon.flatten())
    .chain(ask.network.as_ref().and_then(|n| n.reach.proxy.as_deref()));
    for url in urls {
        out.extend(proxy_secrets(url));
    }
    out
}

fn load_values(
    need: ValuesNeed,
    flags: ValuesFlags<'_>,
    env: &Environment,
) -> Result<Option<Loaded>> {
    if !flags.manifests.is_empty() {
        if flags.named() {
            return Err(Failure::input(
                "`--manifests` reads rendered manifests instead of values: it does not go with `-f`, `--set` or `--set-string`",
            )
            .hint("render the values first (`helm template ... -f values.yaml > manifests.yaml`), or drop --manifests")
            .into());
        }
        let manifests = crate::manifests::load(flags.manifests)?;
        let version = flags
            .chart_version
            .map(|v| chart_version(Some(v)))
            .transpose()?;
        let report = egress::from_manifests(&manifests, version.as_ref());
        return Ok(Some(Loaded {
            report,
            secrets: manifests.secrets,
        }));
    }
    let discover = match need {
        ValuesNeed::None => return Ok(None),
        ValuesNeed::Named if !flags.named() => return Ok(None),
        ValuesNeed::Named | ValuesNeed::NamedElseDefaults => false,
        ValuesNeed::Discover => true,
    };
    let values = Values::load(&LoadOptions {
        files: flags.files.to_vec(),
        set: flags.set.to_vec(),
        set_string: flags.set_string.to_vec(),
        env_config: discover
            .then(|| env.get("LANGSMITH_CONFIG").map(PathBuf::from))
            .flatten(),
        cwd: if discover {
            env.cwd().map(Path::to_path_buf)
        } else {
            None
        },
        ..LoadOptions::default()
    })?;
    let version = chart_version(flags.chart_version)?;
    let report = egress::analyse(&values, &version);
    Ok(Some(Loaded {
        report,
        secrets: values.secrets(),
    }))
}

/// `--chart-version`, else the built-in chart's.
pub fn chart_version(flag: Option<&str>) -> Result<ChartVersion> {
    match flag {
        None => Ok(ChartVersion::embedded()),
        Some(text) => ChartVersion::parse(text, true).ok_or_else(|| {
            Failure::input(format!(
                "`--chart-version {text}` is not a chart version"
            ))
            .hint("give it as Helm prints it, such as `0.17.0-rc.28` (`helm list` shows the chart)")
            .into()
        }),
    }
}

/// `--url`, else `$BEACON_URL`, else `commonEnv` `BEACON_ENDPOINT`, else the default.
fn beacon(flag: Option<&str>, env: &Environment, report: Option<&Report>) -> Result<Beacon> {
    let (text, source) = if let Some(url) = flag {
        (url.to_string(), UrlSource::Flag)
    } else if let Some(url) = env.get("BEACON_URL") {
        (url.to_string(), UrlSource::Env)
    } else {
        match report.map(|r| (&r.beacon_base, &r.beacon_url_decided_by)) {
            Some((BeaconBase::Set(url), decided)) => {
                (url.clone(), UrlSource::Values(decided.clone()))
            }
            Some((BeaconBase::Unknown, decided)) => {
                return Ok(Beacon {
                    base: None,
                    source: UrlSource::Unknown(decided.clone()),
                });
            }
            Some((BeaconBase::Default, _)) | None => {
                (DEFAULT_BEACON_URL.to_string(), UrlSource::Default)
            }
        }
    };
    let base = parse_base(&text, source.describe())?;
    Ok(Beacon {
        base: Some(base),
        source,
    })
}

/// A Beacon base URL: http or https, with a host, no query, fragment or credentials.
fn parse_base(text: &str, from: &str) -> Result<Url> {
    let trimmed = text.trim();
    let parsed = Url::parse(trimmed).map_err(|e| {
        let hint = if matches!(e, url::ParseError::RelativeUrlWithoutBase) {
            format!("add the scheme: `https://{trimmed}`")
        } else {
            "give a full URL such as `https://beacon.langchain.com`".to_string()
        };
        Failure::input(format!(
            "the Beacon URL from {from}, `{text}`, is not a URL: {e}"
        ))
        .hint(hint)
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(Failure::input(format!(
            "the Beacon URL from {from}, `{text}`, is not an http or https URL"
        ))
        .hint("give a full URL such as `https://beacon.langchain.com`")
        .into());
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Failure::input(format!(
            "the Beacon URL from {from}, `{text}`, has a query or fragment"
        ))
        .hint("give the base URL only; beacon-cli appends each endpoint's path")
        .into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(
            Failure::input(format!("the Beacon URL from {from} carries credentials"))
                .hint("Beacon takes no credentials in the URL; the license travels in the body")
                .into(),
        );
    }
    Ok(parsed)
}

/// `--license-file`, else `$LANGSMITH_LICENSE_KEY`, else the values.
fn license(file: Option<&Path>, env: &Environment, report: Option<&Report>) -> Result<License> {
    let secret_name = report.and_then(|r| r.license.secret_name.clone());
    if let Some(path) = file {
        let read = input::read(
            path,
            Named {
                what: "license file",
                fix: "give --license-file a file that holds only the license key",
                example: "license.txt",
                limit: MAX_LICENSE_BYTES,
            },
        )?;
        let text = String::from_utf8(read.bytes).map_err(|_| {
            Failure::input(format!("license file `{}` is not UTF-8 text", read.name))
                .hint("put the license key in it, on one line")
        })?;
        let key = text.trim();
        if key.is_empty() {
            return Err(
                Failure::input(format!("license file `{}` is empty", read.name))
                    .hint("put the license key in it, on one line")
                    .into(),
            );
        }
        return Ok(License {
            key: Some(Secret::new(key)),
            source: LicenseSource::File,
            origin: format!("--license-file `{}`", read.name),
            secret_name,
        });
    }
    if let Some(key) = env.get("LANGSMITH_LICENSE_KEY") {
        return Ok(License {
            key: Some(Secret::new(key.trim())),
            source: LicenseSource::Env,
            origin: "$LANGSMITH_LICENSE_KEY".to_string(),
            secret_name,
        });
    }
    let Some(values) = report.map(|r| &r.license) else {
        return Ok(License {
            key: None,
            source: LicenseSource::Missing,
            origin: "nowhere".to_string(),
            secret_name,
        });
    };
    let origin = match (&values.decided_by, &values.secret_name) {
        (_, Some(name)) => format!("Kubernetes Secret `{name}`"),
        (Some(decided), None) => format!(
            "{} in {}",
            decided.key.as_deref().unwrap_or("the values"),
            decided.file.as_deref().unwrap_or("the values")
        ),
        (None, None) => "nowhere".to_string(),
    };
    Ok(License {
        key: values.key.clone(),
        source: values.source,
        origin,
        secret_name,
    })
}

/// Proxy (`--proxy`, `--no-proxy`, else the environment as curl reads it, else,
/// when `values` is given, the proxy variables of its `commonEnv`), CA roots
/// (`--cacert`, else `$SSL_CERT_FILE`), timeouts and retries.
fn network(flags: &NetworkArgs, env: &Environment, values: Option<&Report>) -> Result<Network> {
    let reach = &flags.reach;
    let proxy = if reach.no_proxy {
        ProxyChoice::Off
    } else if let Some(proxy) = &reach.proxy {
        ProxyChoice::Flag(proxy.clone())
    } else {
        let from_env = EnvProxies::read(|name| env.get(name).map(str::to_string));
        match values.map(values_proxies) {
            Some(from_values) if from_env.is_empty() && !from_values.is_empty() => {
                ProxyChoice::Env(from_values)
            }
            _ => ProxyChoice::Env(from_env),
        }
    };
    let cacert = match &reach.cacert {
        Some(path) => Some((path.clone(), "--cacert")),
        None => env
            .get("SSL_CERT_FILE")
            .map(|v| (PathBuf::from(v), "$SSL_CERT_FILE")),
    };
    let ca = cacert
        .map(|(path, from)| -> Result<Ca> {
            let read = input::read(
                &path,
                Named {
                    what: &format!("the CA bundle from {from}"),
                    fix: "give a PEM file of one or more CA certificates",
                    example: "ca.pem",
                    limit: MAX_CA_BYTES,
                },
            )?;
            Ok(Ca {
                pem: read.bytes,
                name: read.name,
                from,
            })
        })
        .transpose()?;
    Ok(Network {
        proxy,
        ca,
        insecure: reach.insecure,
        connect_timeout: reach.connect_timeout,
        timeout: reach.timeout,
        retries: flags.retries,
        allow_http: flags.allow_http,
    })
}

/// The proxy variables `commonEnv` gives the pods, read with curl's rules; the
/// first value of each name counts (the report lists each setting once).
fn values_proxies(report: &Report) -> EnvProxies {
    let get = |name: &str| {
        report
            .proxy
            .iter()
            .find(|s| s.name == name)
            .and_then(|s| s.raw.clone())
            .filter(|v| !v.trim().is_empty())
    };
    EnvProxies {
        origin: ProxyOrigin::CommonEnv,
        ..EnvProxies::read(get)
    }
}

/// Secrets of a proxy or other URL (with or without a scheme, parsed or not):
/// its `user:password`, and the password alone; as written, and percent-decoded,
/// as the HTTP library sends them (a password with `@` is written `%40`, and a
/// proxy that echoes its `Proxy-Authorization` shows it decoded).
pub fn proxy_secrets(url: &str) -> Vec<Secret> {
    let Some(credentials) = secrets::url_credentials(url) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let decoded = secrets::percent_decode(credentials);
    for form in [credentials, decoded.as_str()] {
        if out.iter().any(|s: &Secret| s.expose() == form) {
            continue;
        }
        out.push(Secret::new(form));
        if let Some((_, password)) = form.split_once(':') {
            if password.len() >= 4 {
                out.push(Secret::new(password));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_blank_variables_count_as_unset() {
        let env = Environment::from_pairs([("BEACON_URL", ""), ("NO_PROXY", "  "), ("A", "x")]);
        assert_eq!(env.get("BEACON_URL"), None);
        assert_eq!(env.get("NO_PROXY"), None);
        assert_eq!(env.get("A"), Some("x"));
        assert_eq!(env.get("MISSING"), None);
    }

    #[test]
    fn the_beacon_url_follows_flag_then_env_then_default() {
        let env = Environment::from_pairs([("BEACON_URL", "https://env.example")]);
        let flag = beacon(Some("https://flag.example/base"), &env, None).unwrap();
        assert_eq!(flag.source, UrlSource::Flag);
        assert_eq!(flag.base.unwrap().as_str(), "https://flag.example/base");
        let from_env = beacon(None, &env, None).unwrap();
        assert_eq!(from_env.source, UrlSource::Env);
        let default = beacon(None, &Environment::default(), None).unwrap();
        assert_eq!(default.source, UrlSource::Default);
        assert_eq!(
            default.base.unwrap().as_str(),
            "https://beacon.langchain.com/"
        );
    }

    #[test]
    fn bad_base_urls_are_input_errors_naming_their_source() {
        for (text, needle) in [
            ("beacon.langchain.com", "add the scheme"),
            ("ftp://x", "not an http or https URL"),
            ("https://x/?q=1", "query or fragment"),
            ("https://u:p@x", "carries credentials"),
        ] {
            let err = beacon(Some(text), &Environment::default(), None).unwrap_err();
            let failure = crate::error::failure_of(&err).expect("a failure");
            let whole = format!("{} {:?}", failure, failure.diagnostic.hint);
            assert!(whole.contains(needle), "{text}: {whole}");
            assert!(whole.contains("`--url`") || text.contains("u:p"), "{whole}");
        }
    }

    #[test]
    fn the_license_follows_file_then_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("lic.txt");
        std::fs::write(&file, "  lic-FILE\n").unwrap();
        let env = Environment::from_pairs([("LANGSMITH_LICENSE_KEY", "lic-ENV")]);
        let from_file = license(Some(&file), &env, None).unwrap();
        assert_eq!(from_file.key.unwrap().expose(), "lic-FILE");
        assert_eq!(from_file.source, LicenseSource::File);
        let from_env = license(None, &env, None).unwrap();
        assert_eq!(from_env.key.unwrap().expose(), "lic-ENV");
        let missing = license(None, &Environment::default(), None).unwrap();
        assert_eq!(missing.source, LicenseSource::Missing);
        assert!(missing.key.is_none());
    }

    #[test]
    fn the_secrets_of_flags_and_environment_are_known_before_parsing() {
        let env = Environment::from_pairs([
            ("LANGSMITH_LICENSE_KEY", " lic-ENV "),
            ("BEACON_URL", "u:pw#env@beacon.example"),
            ("HTTP_PROXY", "http://a:pw-upper@proxy:1"),
        ]);
        let ask = Ask {
            beacon: Some(Some("https://u:pw/flag@beacon.example")),
            ..Ask::values(ValuesNeed::None)
        };
        let found: Vec<String> = given_secrets(&ask, &env)
            .iter()
            .map(|s| s.expose().to_string())
            .collect();
        for secret in ["lic-ENV", "u:pw#env", "pw-upper", "u:pw/flag"] {
            assert!(found.iter().any(|f| f == secret), "{secret}: {found:?}");
        }
    }

    #[test]
    fn proxy_credentials_are_secrets() {
        let found = proxy_secrets("http://bob:hunter2@proxy:3128");
        let shown: Vec<&str> = found.iter().map(Secret::expose).collect();
        assert_eq!(shown, ["bob:hunter2", "hunter2"]);
        let found = proxy_secrets("http://bob:p%40ss%2Fw0rd@proxy:3128");
        let shown: Vec<&str> = found.iter().map(Secret::expose).collect();
        assert_eq!(
            shown,
            [
                "bob:p%40ss%2Fw0rd",
                "p%40ss%2Fw0rd",
                "bob:p@ss/w0rd",
                "p@ss/w0rd"
            ]
        );
        assert!(proxy_secrets("http://proxy:3128").is_empty());
    }
}
