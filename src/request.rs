//! The one place that builds a Beacon request, for `dry-run` and `send` alike.
//!
//! [`prepare`] takes the resolved base URL and license, chooses the body, and
//! returns a [`Prepared`] request: the exact method, URL, headers and body bytes.
//! `dry-run` prints it; `send` puts those same bytes on the wire.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;
use url::Url;

use crate::diagnostic::Diagnostic;
use crate::egress::Report;
use crate::endpoints::{self, EndpointId, LICENSE_PLACEHOLDER};
use crate::error::Failure;
use crate::input::{self, Named};
use crate::payload::{self, Synthesizer};
use crate::resolve::{Beacon, License};
use crate::secrets::Secret;

/// Payload files larger than this are refused.
pub const MAX_PAYLOAD_BYTES: u64 = 256 * 1024 * 1024;

/// The `User-Agent` beacon-cli sends.
pub const USER_AGENT: &str = concat!("beacon-cli/", env!("CARGO_PKG_VERSION"));

/// Which body to send.
#[derive(Debug, Clone, Default)]
pub struct BodyChoice {
    /// `--payload` (`-` is standard input).
    pub payload: Option<PathBuf>,
    /// `--synthetic`.
    pub synthetic: bool,
    /// `--seed`.
    pub seed: Option<u64>,
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

/// A request ready to print or send.
#[derive(Debug)]
pub struct Prepared {
    /// The endpoint.
    pub endpoint: EndpointId,
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
    /// The license key in the body, if the endpoint takes one and one was given.
    pub license: Option<Secret>,
    /// True when the endpoint takes a license and the body still holds the placeholder.
    pub placeholder_left: bool,
    /// What the user should see on standard error: a URL path that is joined, the
    /// published sample's defects.
    pub notes: Vec<Diagnostic>,
}

impl Prepared {
    /// The HTTP method.
    pub fn method(&self) -> &'static str {
        self.endpoint.spec().method
    }
}

/// The request as `dry-run -o json` prints it, and as `send -o json` reports it.
#[derive(Debug, Serialize)]
pub struct RequestView {
    /// The HTTP method.
    pub method: &'static str,
    /// The full URL.
    pub url: String,
    /// Header name to value, in the order sent.
    pub headers: serde_json::Map<String, serde_json::Value>,
    /// The body as text (before compression); the output boundary hides the license.
    pub body: String,
    /// Whether the body goes gzip-compressed.
    pub gzip: bool,
}

impl RequestView {
    /// The view of a prepared request.
    pub fn new(prepared: &Prepared) -> Self {
        Self {
            method: prepared.method(),
            url: prepared.url.to_string(),
            headers: prepared
                .headers
                .iter()
                .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone())))
                .collect(),
            body: prepared.text.clone(),
            gzip: prepared.gzip,
        }
    }
}

/// Builds the request for `endpoint` to the resolved Beacon URL, with the
/// resolved license when the endpoint takes one.
pub fn prepare(
    endpoint: EndpointId,
    body: &BodyChoice,
    beacon: &Beacon,
    license: &License,
) -> Result<Prepared> {
    let base = beacon.require()?;
    let url = endpoints::url(base, endpoint);
    let mut notes = Vec::new();
    if base.path() != "/" {
        notes.push(Diagnostic::note(
            "url-path",
            format!(
                "the Beacon URL from {} has the path `{}`: the endpoint path is appended to it, giving {url}",
                beacon.source.describe(),
                base.path()
            ),
        ));
    }
    let (template, body_source) = body_template(endpoint, body)?;
    if body_source == BodySource::Sample {
        notes.extend(sample_defects(endpoint));
    }
    let license = endpoint.spec().license_field.and(license.key.clone());
    let (text, placeholder_left) = match &license {
        Some(key) => (payload::fill_license(&template, key.expose()).0, false),
        None => {
            let left =
                endpoint.spec().license_field.is_some() && template.contains(LICENSE_PLACEHOLDER);
            (template, left)
        }
    };
    let wire = if body.gzip {
        gzip(text.as_bytes())?
    } else {
        text.as_bytes().to_vec()
    };
    let mut headers = vec![
        ("Host", host_header(&url)),
        ("Content-Type", "application/json".to_string()),
        ("Content-Length", wire.len().to_string()),
        ("User-Agent", USER_AGENT.to_string()),
        ("Accept", "application/json".to_string()),
    ];
    if body.gzip {
        headers.push(("Content-Encoding", "gzip".to_string()));
    }
    Ok(Prepared {
        endpoint,
        url,
        headers,
        text,
        body: wire,
        gzip: body.gzip,
        body_source,
        license,
        placeholder_left,
        notes,
    })
}

/// The warning that the values turn this endpoint off, when they do.
pub fn turned_off(endpoint: EndpointId, report: &Report) -> Option<Diagnostic> {
    let state = report.endpoint(endpoint);
    if state.enabled {
        return None;
    }
    let at = match (&state.decided_by.file, state.decided_by.line) {
        (Some(file), Some(line)) => format!(" at {file}:{line}"),
        (Some(file), None) => format!(" in {file}"),
        _ => String::new(),
    };
    Some(Diagnostic::warning(
        "endpoint-off",
        format!(
            "LangSmith would not send this: the values turn `{endpoint}` off ({}{at})",
            state.decided_by.reason
        ),
    ))
}

/// One warning per defect of the published sample, the last with the way out.
pub fn sample_defects(endpoint: EndpointId) -> Vec<Diagnostic> {
    let defects = endpoint.spec().defects;
    let mut out: Vec<Diagnostic> = defects
        .iter()
        .map(|defect| {
            Diagnostic::warning(
                defect.code,
                format!(
                    "published {endpoint} sample: {}: {}",
                    defect.pointer, defect.message
                ),
            )
        })
        .collect();
    if let Some(last) = out.pop() {
        out.push(last.hint(format!(
            "`beacon-cli payloads {endpoint} --synthetic` prints a payload of the same shape without these defects"
        )));
    }
    out
}

fn host_header(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// The body before the license goes in: `--payload`, else `--synthetic`, else the sample.
fn body_template(endpoint: EndpointId, body: &BodyChoice) -> Result<(String, BodySource)> {
    if let Some(path) = &body.payload {
        let text = read_json(path, endpoint)?;
        return Ok((text.1, BodySource::File(text.0)));
    }
    if body.synthetic {
        let text = Synthesizer::new(body.seed).body(endpoint);
        return Ok((text, BodySource::Synthetic));
    }
    Ok((
        endpoint.spec().sample_request.to_string(),
        BodySource::Sample,
    ))
}

/// A `--payload` file: its name and its text, which must be JSON.
fn read_json(path: &Path, endpoint: EndpointId) -> Result<(String, String)> {
    let read = input::read(
        path,
        Named {
            what: "payload",
            fix: "check the path given to --payload",
            example: "body.json",
            limit: MAX_PAYLOAD_BYTES,
        },
    )?;
    let name = read.name;
    let text = String::from_utf8(read.bytes).map_err(|e| {
        Failure::input(format!(
            "payload `{name}` is not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        ))
        .hint("Beacon payloads are JSON, which is UTF-8")
    })?;
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(&text) {
        return Err(Failure::input(format!(
            "payload `{name}`:{}:{}: not JSON: {}",
            e.line(),
            e.column(),
            json_reason(&e)
        ))
        .hint(format!(
            "fix the JSON there; `beacon-cli payloads {endpoint} --synthetic` prints a valid body to start from"
        ))
        .into());
    }
    Ok((name, text))
}

/// serde_json's message without its own " at line L column C" suffix.
pub fn json_reason(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).context("cannot gzip the body")?;
    encoder.finish().context("cannot gzip the body")
}
