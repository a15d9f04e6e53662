//! The one place that builds a Beacon request, for `dry-run` and `send` alike.
//!
//! [`prepare`] chooses the base URL, the body and the license, and returns a
//! [`Prepared`] request: the exact method, URL, headers and body bytes. `dry-run`
//! prints it; `send` puts those same bytes on the wire.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use url::Url;

use crate::egress::{LicenseSource, Report};
use crate::endpoints::{DEFAULT_BEACON_URL, Endpoint, LICENSE_PLACEHOLDER};
use crate::error::InputError;
use crate::input::io_reason;
use crate::payload::{self, Synthesizer};
use crate::secrets::Secret;

/// Payload files larger than this are refused.
const MAX_PAYLOAD_BYTES: u64 = 256 * 1024 * 1024;

/// The `User-Agent` beacon-cli sends.
pub const USER_AGENT: &str = concat!("beacon-cli/", env!("CARGO_PKG_VERSION"));

/// What the user chose for the request.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// `--url`.
    pub url: Option<String>,
    /// `$BEACON_URL`.
    pub env_url: Option<String>,
    /// `--payload` (`-` is standard input).
    pub payload: Option<PathBuf>,
    /// `--synthetic`.
    pub synthetic: bool,
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--license-file`.
    pub license_file: Option<PathBuf>,
    /// `$LANGSMITH_LICENSE_KEY`.
    pub env_license: Option<String>,
    /// `--gzip`.
    pub gzip: bool,
}

/// Where the body came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodySource {
    /// The published sample.
    Sample,
    /// `--synthetic`.
    Synthetic,
    /// `--payload FILE`.
    File(String),
}

/// The license a request carries, and where it came from.
#[derive(Debug, Clone)]
pub struct License {
    /// Where it came from (`missing` when nowhere).
    pub source: LicenseSource,
    /// The key.
    pub key: Option<Secret>,
    /// The file, variable or key that held it, for messages.
    pub origin: String,
}

/// A request ready to print or send.
#[derive(Debug)]
pub struct Prepared {
    /// The endpoint.
    pub endpoint: &'static Endpoint,
    /// The full URL.
    pub url: Url,
    /// Every header, in the order sent, `Host` and `Content-Length` included.
    pub headers: Vec<(&'static str, String)>,
    /// The body as text, with the real license: what is compressed with `--gzip`.
    pub text: String,
    /// The bytes on the wire: `text`, or its gzip.
    pub body: Vec<u8>,
    /// Whether the body is gzip-compressed.
    pub gzip: bool,
    /// Where the body came from.
    pub body_source: BodySource,
    /// The license used, if the endpoint takes one.
    pub license: Option<License>,
    /// True when the endpoint takes a license and the body still holds the placeholder.
    pub placeholder_left: bool,
    /// Facts the user should see on standard error (a URL path that is joined, ...).
    pub notes: Vec<String>,
}

impl Prepared {
    /// The secrets in this request, for redaction.
    pub fn secrets(&self) -> Vec<&Secret> {
        self.license.iter().filter_map(|l| l.key.as_ref()).collect()
    }

    /// The body text with every secret replaced by its marker.
    pub fn redacted_text(&self) -> String {
        crate::secrets::redact_all(&self.text, &self.secrets())
    }

    /// The HTTP method.
    pub fn method(&self) -> &'static str {
        self.endpoint.method
    }
}

/// Builds the request for `endpoint` from the options and the values in force.
pub fn prepare(
    endpoint: &'static Endpoint,
    options: &Options,
    report: &Report,
) -> Result<Prepared> {
    let mut notes = Vec::new();
    let url = endpoint_url(endpoint, options, report, &mut notes)?;
    let (template, body_source) = body_template(endpoint, options)?;
    let license = match endpoint.license_field {
        Some(_) => Some(resolve_license(options, report)?),
        None => None,
    };
    let (text, placeholder_left) = match license.as_ref().and_then(|l| l.key.as_ref()) {
        Some(key) => {
            let (text, _) = payload::fill_license(&template, key.expose());
            (text, false)
        }
        None => {
            let left = license.is_some() && template.contains(LICENSE_PLACEHOLDER);
            (template, left)
        }
    };
    let body = if options.gzip {
        gzip(text.as_bytes())?
    } else {
        text.as_bytes().to_vec()
    };
    let mut headers = vec![
        ("Host", host_header(&url)),
        ("Content-Type", "application/json".to_string()),
        ("Content-Length", body.len().to_string()),
        ("User-Agent", USER_AGENT.to_string()),
        ("Accept", "application/json".to_string()),
    ];
    if options.gzip {
        headers.push(("Content-Encoding", "gzip".to_string()));
    }
    Ok(Prepared {
        endpoint,
        url,
        headers,
        text,
        body,
        gzip: options.gzip,
        body_source,
        license,
        placeholder_left,
        notes,
    })
}

/// `--url`, else `$BEACON_URL`, else `commonEnv` `BEACON_ENDPOINT`, else the default;
/// then the endpoint's path appended to whatever path the base has.
fn endpoint_url(
    endpoint: &Endpoint,
    options: &Options,
    report: &Report,
    notes: &mut Vec<String>,
) -> Result<Url> {
    let (base, from) = if let Some(url) = &options.url {
        (url.clone(), "`--url`")
    } else if let Some(url) = &options.env_url {
        (url.clone(), "`$BEACON_URL`")
    } else if report.beacon_url != DEFAULT_BEACON_URL {
        (report.beacon_url.clone(), "`commonEnv` `BEACON_ENDPOINT`")
    } else {
        (DEFAULT_BEACON_URL.to_string(), "the default")
    };
    let parsed = Url::parse(base.trim()).map_err(|e| {
        let hint = if matches!(e, url::ParseError::RelativeUrlWithoutBase) {
            format!("add the scheme: `https://{}`", base.trim())
        } else {
            "give a full URL such as `https://beacon.langchain.com`".to_string()
        };
        InputError::new(format!(
            "the Beacon URL from {from}, `{base}`, is not a URL: {e}"
        ))
        .hint(hint)
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(InputError::new(format!(
            "the Beacon URL from {from}, `{base}`, is not an http or https URL"
        ))
        .hint("give a full URL such as `https://beacon.langchain.com`")
        .into());
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(InputError::new(format!(
            "the Beacon URL from {from}, `{base}`, has a query or fragment"
        ))
        .hint("give the base URL only; beacon-cli appends each endpoint's path")
        .into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(
            InputError::new(format!("the Beacon URL from {from} carries credentials"))
                .hint("Beacon takes no credentials in the URL; the license travels in the body")
                .into(),
        );
    }
    let joined = crate::endpoints::join_url(parsed.as_str(), endpoint.path);
    if parsed.path() != "/" {
        notes.push(format!(
            "the Beacon URL from {from} has the path `{}`: the endpoint path is appended to it, giving {joined}",
            parsed.path()
        ));
    }
    Url::parse(&joined).with_context(|| format!("cannot join `{base}` and `{}`", endpoint.path))
}

fn host_header(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// The body before the license goes in: `--payload`, else `--synthetic`, else the sample.
fn body_template(endpoint: &Endpoint, options: &Options) -> Result<(String, BodySource)> {
    if let Some(path) = &options.payload {
        let crate::input::Input { name, bytes } = crate::input::read(
            path,
            crate::input::Named {
                what: "payload",
                fix: "check the path given to --payload",
                example: "body.json",
            },
            MAX_PAYLOAD_BYTES,
        )?;
        let text = String::from_utf8(bytes).map_err(|e| {
            InputError::new(format!(
                "payload `{name}` is not UTF-8 text (byte {})",
                e.utf8_error().valid_up_to()
            ))
            .hint("Beacon payloads are JSON, which is UTF-8")
        })?;
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(&text) {
            return Err(InputError::new(format!(
                "payload `{name}`:{}:{}: not JSON: {}",
                e.line(),
                e.column(),
                json_reason(&e)
            ))
            .hint(format!(
                "fix the JSON there; `beacon-cli payloads {} --synthetic` prints a valid body to start from",
                endpoint.id
            ))
            .into());
        }
        return Ok((text, BodySource::File(name)));
    }
    if options.synthetic {
        let text = Synthesizer::new(options.seed).body(endpoint);
        return Ok((text, BodySource::Synthetic));
    }
    Ok((endpoint.sample_request.to_string(), BodySource::Sample))
}

/// serde_json's message without its own " at line L column C" suffix.
pub fn json_reason(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// `--license-file`, else `$LANGSMITH_LICENSE_KEY`, else the values.
pub fn resolve_license(options: &Options, report: &Report) -> Result<License> {
    if let Some(path) = &options.license_file {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            InputError::new(format!(
                "cannot read license file `{name}`: {}",
                io_reason(&e)
            ))
            .hint("give --license-file a file that holds only the license key")
        })?;
        let key = text.trim();
        if key.is_empty() {
            return Err(InputError::new(format!("license file `{name}` is empty"))
                .hint("put the license key in it, on one line")
                .into());
        }
        return Ok(License {
            source: LicenseSource::File,
            key: Some(Secret::new(key)),
            origin: format!("--license-file `{name}`"),
        });
    }
    if let Some(key) = options
        .env_license
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        return Ok(License {
            source: LicenseSource::Env,
            key: Some(Secret::new(key)),
            origin: "$LANGSMITH_LICENSE_KEY".to_string(),
        });
    }
    let values = &report.license;
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
        source: values.source,
        key: values.key.clone(),
        origin,
    })
}

/// What to say when a billing request has no license.
pub fn missing_license_help(report: &Report) -> String {
    let mut text = "give the license key with --license-file FILE, or $LANGSMITH_LICENSE_KEY, or `config.langsmithLicenseKey` in the values".to_string();
    if let Some(name) = &report.license.secret_name {
        text.push_str(&format!(
            "; the values keep it in Kubernetes Secret `{name}`, which beacon-cli cannot read from the file: \
             `kubectl get secret {name} -o jsonpath='{{.data.langsmith_license_key}}' | base64 -d > license.txt` then --license-file license.txt"
        ));
    }
    text
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).context("cannot gzip the body")?;
    encoder.finish().context("cannot gzip the body")
}
