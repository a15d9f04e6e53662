//! One ledger record: what a request was, what was found in it, and what it was
//! answered, as one JSON line with every secret redacted.
//!
//! The line is built here and nowhere else. Every string in it passes the shared
//! [`Redactor`] (so a license is shown as `<redacted sha256:…>`), and the body is
//! the decoded JSON itself, compacted to one line, not a string holding it: `jq
//! '.body.resourceSpans'` reads it. README "Capture ledger records" documents each field.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::SocketAddr;

use serde::Serialize;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::decode::Encoding;
use crate::diagnostic::{Diagnostic, Severity};
use crate::endpoints::EndpointId;
use crate::secrets::{self, Redactor};
use crate::validate;

/// At most this many findings are listed in a record; all are counted.
pub const LISTED_FINDINGS: usize = 100;
/// At most this many distinct undocumented fields are listed in a record.
pub const LISTED_FIELDS: usize = 100;
/// A body that is not JSON is kept as text up to this size.
pub const BODY_TEXT_BYTES: usize = 64 * 1024;

/// Something worth flagging about a request, beside its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flag {
    /// The path is none of the six Beacon endpoints (answered 404).
    UnknownPath,
    /// A method other than POST on an endpoint path (answered 405).
    MethodNotAllowed,
    /// The body is larger than `--max-body`, as received or inflated (413).
    BodyTooLarge,
    /// The body did not arrive within `--read-timeout` (408).
    BodyTimeout,
    /// The connection broke before the whole body arrived.
    BodyIncomplete,
    /// A `Content-Type` that is neither JSON nor protobuf, or protobuf for a
    /// billing endpoint (415).
    UnsupportedContentType,
    /// A `Content-Encoding` other than gzip (415).
    UnsupportedEncoding,
    /// A gzip body sent without `Content-Encoding: gzip`.
    GzipUndeclared,
    /// The body could not be decoded: broken gzip, not JSON, not protobuf (400).
    NotDecoded,
    /// `--forward` got no answer from the real Beacon (answered 502).
    ForwardFailed,
}

impl Flag {
    /// The name used in the ledger and on screen.
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::UnknownPath => "unknown-path",
            Flag::MethodNotAllowed => "method-not-allowed",
            Flag::BodyTooLarge => "body-too-large",
            Flag::BodyTimeout => "body-timeout",
            Flag::BodyIncomplete => "body-incomplete",
            Flag::UnsupportedContentType => "unsupported-content-type",
            Flag::UnsupportedEncoding => "unsupported-encoding",
            Flag::GzipUndeclared => "gzip-undeclared",
            Flag::NotDecoded => "not-decoded",
            Flag::ForwardFailed => "forward-failed",
        }
    }
}

/// Findings by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Counts {
    /// Errors.
    #[serde(default)]
    pub error: u64,
    /// Warnings.
    #[serde(default)]
    pub warning: u64,
    /// Infos.
    #[serde(default)]
    pub info: u64,
}

impl Counts {
    /// Adds another count.
    pub fn add(&mut self, other: Counts) {
        self.error += other.error;
        self.warning += other.warning;
        self.info += other.info;
    }
}

/// A finding as the ledger keeps it: no hint (`validate` gives those).
#[derive(Debug, Serialize)]
struct Finding {
    severity: Severity,
    code: &'static str,
    pointer: Option<String>,
    line: Option<u32>,
    column: Option<u32>,
    message: String,
}

/// What `validate` found in a body, as recorded.
#[derive(Debug, Default)]
pub struct Checked {
    /// No error.
    pub valid: Option<bool>,
    /// Every finding, by severity.
    pub counts: Counts,
    /// Every listed finding's code, counted.
    pub codes: BTreeMap<&'static str, u64>,
    /// Undocumented or unknown fields, their pointers with list indexes as `*`.
    pub unknown_fields: Vec<String>,
    /// The first [`LISTED_FINDINGS`] findings.
    findings: Vec<Diagnostic>,
}

impl Checked {
    /// The record's view of a validation report.
    pub fn from_report(report: validate::Report) -> Self {
        let mut codes = BTreeMap::new();
        let mut fields = std::collections::BTreeSet::new();
        for finding in &report.findings {
            *codes.entry(finding.code).or_insert(0) += 1;
            if matches!(finding.code, "unknown-field" | "undocumented-field")
                && fields.len() < LISTED_FIELDS
            {
                if let Some(pointer) = finding.pointer() {
                    fields.insert(generic_pointer(pointer));
                }
            }
        }
        let count = |s: Severity| u64::try_from(report.count(s)).unwrap_or(u64::MAX);
        let counts = Counts {
            error: count(Severity::Error),
            warning: count(Severity::Warning),
            info: count(Severity::Info),
        };
        let valid = Some(report.valid);
        let mut findings = report.findings;
        findings.truncate(LISTED_FINDINGS);
        Self {
            valid,
            counts,
            codes,
            unknown_fields: fields.into_iter().collect(),
            findings,
        }
    }
}

/// A JSON pointer with every list index written `*`: `/spans/3/foo` is `/spans/*/foo`,
/// so one undocumented field is one entry however many items carry it.
pub fn generic_pointer(pointer: &str) -> String {
    pointer
        .split('/')
        .map(|part| {
            if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
                "*"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The answer of a real Beacon to a relayed request, as recorded.
#[derive(Debug, Default, Serialize)]
pub struct Forwarded {
    /// The URL it went to.
    pub url: String,
    /// Its status, or null when there was no answer.
    pub status: Option<u16>,
    /// Why there was no answer.
    pub error: Option<String>,
    /// How many attempts it took.
    pub attempts: usize,
    /// The whole relay, in milliseconds.
    pub elapsed_ms: u64,
    /// Its headers (credential headers as markers).
    pub headers: Map<String, Value>,
    /// Its body as JSON, when it is JSON.
    pub body: Option<Value>,
    /// Its body as text, when it is not JSON (cut at 64 KiB).
    pub body_text: Option<String>,
}

/// Everything known about one request, before it becomes a line.
#[derive(Debug)]
pub struct Record<'a> {
    /// The request's number, in order of arrival (from 1 in each run).
    pub seq: u64,
    /// When it arrived.
    pub time: OffsetDateTime,
    /// Who sent it.
    pub peer: SocketAddr,
    /// Whether it came over TLS.
    pub tls: bool,
    /// The HTTP method.
    pub method: &'a str,
    /// The path.
    pub path: &'a str,
    /// The query string, if any.
    pub query: Option<&'a str>,
    /// The endpoint and the base path before its path, when the path is one.
    pub endpoint: Option<(EndpointId, &'a str)>,
    /// The request's headers, in order.
    pub headers: &'a axum::http::HeaderMap,
    /// How the body was encoded, once decoded.
    pub encoding: Option<Encoding>,
    /// Whether the body was gzip-compressed.
    pub gzip: bool,
    /// The body's size as received (as far as it was read).
    pub raw_bytes: u64,
    /// Its size once inflated.
    pub decoded_bytes: Option<u64>,
    /// The SHA-256 of the body as received, in hex (null when it was not read whole).
    pub sha256: Option<String>,
    /// The answer's status.
    pub status: u16,
    /// What is flagged.
    pub flags: Vec<Flag>,
    /// What `validate` found.
    pub checked: Checked,
    /// The relay, with `--forward`.
    pub forward: Option<Forwarded>,
    /// Time spent on it before it was recorded.
    pub elapsed: std::time::Duration,
    /// Why the body could not be decoded.
    pub body_error: Option<String>,
    /// The body as text, when it is not JSON but is text.
    pub body_text: Option<String>,
    /// The body as JSON text (one line or several).
    pub body: Option<String>,
}

/// The fields of a line, all redacted, in the order they are written; `body`
/// follows them.
#[derive(Serialize)]
struct Head<'a> {
    seq: u64,
    time: String,
    peer: String,
    tls: bool,
    method: String,
    path: String,
    query: Option<String>,
    endpoint: Option<EndpointId>,
    base_path: Option<String>,
    headers: Map<String, Value>,
    content_type: Option<String>,
    content_encoding: Option<String>,
    encoding: Option<Encoding>,
    gzip: bool,
    raw_bytes: u64,
    decoded_bytes: Option<u64>,
    sha256: Option<String>,
    status: u16,
    flags: &'a [Flag],
    valid: Option<bool>,
    finding_counts: Counts,
    codes: &'a BTreeMap<&'static str, u64>,
    unknown_fields: Vec<String>,
    findings: Vec<Finding>,
    forward: Option<&'a Forwarded>,
    elapsed_ms: f64,
    body_error: Option<String>,
    body_text: Option<String>,
}

/// RFC 3339 in UTC with milliseconds: `2026-12-01T09:30:00.123Z`.
pub fn timestamp(time: OffsetDateTime) -> String {
    let t = time.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// The headers as an object (a name sent twice is joined with `, `); the whole
/// value of a credential header is a marker.
pub fn headers_view(headers: &axum::http::HeaderMap, redactor: &Redactor) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, value) in headers {
        let text = String::from_utf8_lossy(value.as_bytes());
        let shown = if is_credential_header(name.as_str()) {
            Cow::Owned(redactor.redact(&secrets::redacted(&text)).into_owned())
        } else {
            redactor.redact(&text)
        };
        match out.get_mut(name.as_str()) {
            Some(Value::String(joined)) => {
                joined.push_str(", ");
                joined.push_str(&shown);
            }
            _ => {
                out.insert(name.to_string(), Value::String(shown.into_owned()));
            }
        }
    }
    out
}

/// A header whose whole value is a credential: the usual ones, and any whose
/// name says it holds a key, token, secret or password.
fn is_credential_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    secrets::is_sensitive_header(&lower)
        || ["key", "token", "secret", "password", "auth"]
            .iter()
            .any(|word| lower.contains(word))
}

impl Record<'_> {
    /// The record as one line of JSON (no newline), every secret redacted.
    pub fn line(self, redactor: &Redactor) -> String {
        let shown = |text: &str| redactor.redact(text).into_owned();
        let header = |name: axum::http::header::HeaderName| {
            self.headers
                .get(name)
                .map(|v| shown(&String::from_utf8_lossy(v.as_bytes())))
        };
        let findings = self
            .checked
            .findings
            .iter()
            .map(|f| Finding {
                severity: f.severity,
                code: f.code,
                pointer: f.pointer().map(&shown),
                line: f.line(),
                column: match &f.location {
                    crate::diagnostic::Location::Body { column, .. } => *column,
                    _ => None,
                },
                message: shown(&f.message),
            })
            .collect();
        let head = Head {
            seq: self.seq,
            time: timestamp(self.time),
            peer: self.peer.to_string(),
            tls: self.tls,
            method: shown(self.method),
            path: shown(self.path),
            query: self.query.map(shown),
            endpoint: self.endpoint.map(|(id, _)| id),
            base_path: self.endpoint.map(|(_, base)| shown(base)),
            headers: headers_view(self.headers, redactor),
            content_type: header(axum::http::header::CONTENT_TYPE),
            content_encoding: header(axum::http::header::CONTENT_ENCODING),
            encoding: self.encoding,
            gzip: self.gzip,
            raw_bytes: self.raw_bytes,
            decoded_bytes: self.decoded_bytes,
            sha256: self.sha256,
            status: self.status,
            flags: &self.flags,
            valid: self.checked.valid,
            finding_counts: self.checked.counts,
            codes: &self.checked.codes,
            unknown_fields: self
                .checked
                .unknown_fields
                .iter()
                .map(|f| shown(f))
                .collect(),
            findings,
            forward: self.forward.as_ref(),
            elapsed_ms: (self.elapsed.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
            body_error: self.body_error.as_deref().map(shown),
            body_text: self
                .body_text
                .as_deref()
                .map(|t| redactor.redact_cut(t).into_owned()),
        };
        // A struct of strings, numbers and maps of strings: it serialises.
        let mut line = serde_json::to_string(&head).unwrap_or_else(|_| "{".to_string());
        line.pop();
        line.push_str(",\"body\":");
        match &self.body {
            Some(body) => line.push_str(&json_body(body, redactor)),
            None => line.push_str("null"),
        }
        line.push('}');
        line
    }
}

/// A JSON body on one line with its secrets redacted. A body written on several
/// lines is compacted (a newline in JSON is whitespace between tokens, never
/// inside a string; one already on one line is kept byte for byte), then
/// redacted as text; in the rare case where a marker would break the JSON (a
/// secret that is also a number in it), every string is redacted one by one.
pub fn json_body(body: &str, redactor: &Redactor) -> String {
    let compact = if memchr::memchr2(b'\n', b'\r', body.as_bytes()).is_some() {
        compact(body)
    } else {
        Cow::Borrowed(body)
    };
    let redacted = redactor.redact(&compact);
    match redacted {
        Cow::Borrowed(_) => compact.into_owned(),
        Cow::Owned(text) => {
            if serde_json::from_str::<serde::de::IgnoredAny>(&text).is_ok() {
                text
            } else {
                match serde_json::from_str::<Value>(&compact) {
                    Ok(mut value) => {
                        redact_strings(&mut value, redactor);
                        serde_json::to_string(&value).unwrap_or_else(|_| "null".to_string())
                    }
                    Err(_) => "null".to_string(),
                }
            }
        }
    }
}

/// Every string (and key) of a JSON value, redacted.
pub fn redact_strings(value: &mut Value, redactor: &Redactor) {
    match value {
        Value::String(text) => {
            if let Cow::Owned(shown) = redactor.redact(text) {
                *text = shown;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact_strings(v, redactor)),
        Value::Object(map) => {
            let entries = std::mem::take(map);
            for (key, mut v) in entries {
                redact_strings(&mut v, redactor);
                map.insert(redactor.redact(&key).into_owned(), v);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Valid JSON without the whitespace between its tokens. JSON strings cannot
/// hold a raw control character, so whitespace outside strings is all there is.
/// Strings are skipped whole (to the next quote or backslash at a time), and the
/// text between two runs of whitespace is copied as one slice.
pub fn compact(json: &str) -> Cow<'_, str> {
    let bytes = json.as_bytes();
    let space = |b: u8| matches!(b, b' ' | b'\n' | b'\r' | b'\t');
    let mut out: Option<Vec<u8>> = None;
    let (mut i, mut kept) = (0, 0);
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'"' {
            i += 1;
            while i < bytes.len() {
                match memchr::memchr2(b'"', b'\\', &bytes[i..]) {
                    Some(n) if bytes[i + n] == b'\\' => i += n + 2,
                    Some(n) => {
                        i += n + 1;
                        break;
                    }
                    None => i = bytes.len(),
                }
            }
        } else if space(b) {
            let out = out.get_or_insert_with(|| Vec::with_capacity(bytes.len()));
            out.extend_from_slice(&bytes[kept..i]);
            while i < bytes.len() && space(bytes[i]) {
                i += 1;
            }
            kept = i;
        } else {
            i += 1;
        }
    }
    match out {
        Some(mut out) => {
            out.extend_from_slice(&bytes[kept.min(bytes.len())..]);
            // Only ASCII whitespace was removed between tokens: still UTF-8.
            Cow::Owned(String::from_utf8(out).unwrap_or_default())
        }
        None => Cow::Borrowed(json),
    }
}

/// Bytes cut at `limit`, backing off to the start of a UTF-8 character, so text
/// cut short is still text.
pub fn cut_bytes(bytes: &[u8], limit: usize) -> &[u8] {
    if bytes.len() <= limit {
        return bytes;
    }
    let mut end = limit;
    while end > 0 && end + 4 > limit && bytes[end] & 0xC0 == 0x80 {
        end -= 1;
    }
    &bytes[..end]
}

/// Text cut at `limit` bytes on a character boundary.
pub fn cut(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::Secret;

    #[test]
    fn compact_removes_whitespace_between_tokens_only() {
        let text = "{\n  \"a b\": [1, 2],\n\t\"c\": \"x \\\" y\\\\\" }\r\n";
        assert_eq!(compact(text), "{\"a b\":[1,2],\"c\":\"x \\\" y\\\\\"}");
        assert!(matches!(compact("{\"a\":1}"), Cow::Borrowed(_)));
        // An escape at the very end, and a string never closed, are kept as they are.
        assert_eq!(compact("[\"a\\"), "[\"a\\");
        assert_eq!(compact("[ \"a b"), "[\"a b");
    }

    #[test]
    fn compact_gives_what_a_json_writer_gives() {
        let value = serde_json::json!({
            "a b": [1, -2, {"c": "d \" e \\ f\n", "": []}],
            "é \u{1F600}": {"x": null, "y": true, "z": "  spaced  "},
        });
        let compact_text = serde_json::to_string(&value).unwrap();
        for pretty in [
            serde_json::to_string_pretty(&value).unwrap(),
            serde_json::to_string_pretty(&value)
                .unwrap()
                .replace('\n', "\r\n\t "),
        ] {
            assert_eq!(compact(&pretty), compact_text);
        }
    }

    #[test]
    fn generic_pointers_hide_list_indexes() {
        assert_eq!(
            generic_pointer("/trace_transactions/12/extra"),
            "/trace_transactions/*/extra"
        );
        assert_eq!(generic_pointer(""), "");
    }

    #[test]
    fn a_secret_in_a_body_is_replaced_by_its_marker_and_the_json_holds() {
        let redactor = Redactor::new();
        let license = Secret::new("lic-CANARY-0123456789");
        redactor.protect(&license);
        let out = json_body("{\"license\": \"lic-CANARY-0123456789\"}", &redactor);
        assert_eq!(out, format!("{{\"license\": \"{}\"}}", license.marker()));
        // A body on several lines becomes one.
        assert_eq!(json_body("{\n  \"a\": 1\n}", &redactor), "{\"a\":1}");
        // A secret that is also a number in the body: strings are redacted one by one.
        let number = Secret::new("1234567890123");
        redactor.protect(&number);
        let out = json_body(
            "{\"n\": 1234567890123, \"s\": \"1234567890123\"}",
            &redactor,
        );
        let value: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["s"], number.marker());
    }

    #[test]
    fn timestamps_are_utc_with_milliseconds() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_767_225_600_123_456_789).unwrap();
        assert_eq!(timestamp(t), "2026-01-01T00:00:00.123Z");
    }

    #[test]
    fn cuts_respect_characters() {
        assert_eq!(cut("aé", 2), "a");
        assert_eq!(cut("abc", 5), "abc");
    }
}
