//! `audit`: what a capture ledger holds, per endpoint, and where it contradicts
//! the configuration.
//!
//! [`Audit::read`] takes a ledger as a stream of lines and keeps only totals: the
//! body of a record (the bulk of it) is skipped as it is parsed, never held. A
//! line up to [`FAST_LINE`] is read into one reused buffer; a longer one is parsed
//! straight from the file. Everything kept is capped ([`MAX_KEYS`] distinct paths,
//! fields and codes), so memory does not grow with the ledger. [`Audit::finish`]
//! compares what arrived with an `egress::Report` (values or manifests): an
//! endpoint that arrived although the configuration turns it off is drift, with
//! the key, file and line that turn it off. It prints nothing.

use std::collections::BTreeMap;
use std::io::{BufRead, Read};

use anyhow::Result;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::capture::Counts;
use crate::capture::record::timestamp;
use crate::egress::{DecidedBy, Report};
use crate::endpoints::{self, EndpointId};
use crate::error::Failure;
use crate::validate::privacy::is_privacy_code;

/// Lines up to this size are read whole into a buffer; longer ones are parsed
/// as they are read.
pub const FAST_LINE: usize = 16 * 1024 * 1024;
/// At most this many distinct paths, fields, codes or statuses are kept per
/// endpoint; the others are counted.
pub const MAX_KEYS: usize = 1000;
/// At most this many lines that are not records are listed.
pub const MAX_MALFORMED: usize = 100;
/// Strings kept from a record are cut to this many bytes.
const MAX_TEXT: usize = 2048;

/// What arrived at one endpoint, or at the paths that are none.
#[derive(Debug, Default)]
struct Tally {
    requests: u64,
    raw_bytes: u64,
    decoded_bytes: u64,
    first: Option<OffsetDateTime>,
    last: Option<OffsetDateTime>,
    statuses: Keyed<u16>,
    findings: Counts,
    codes: Keyed<String>,
    fields: Keyed<String>,
    flags: Keyed<String>,
    forwarded: Keyed<String>,
}

/// Counts by key, at most [`MAX_KEYS`] keys; the rest counted as omitted.
#[derive(Debug)]
struct Keyed<K: Ord> {
    counts: BTreeMap<K, u64>,
    omitted: u64,
}

impl<K: Ord> Default for Keyed<K> {
    fn default() -> Self {
        Self {
            counts: BTreeMap::new(),
            omitted: 0,
        }
    }
}

impl<K: Ord> Keyed<K> {
    fn add(&mut self, key: K, n: u64) {
        if let Some(count) = self.counts.get_mut(&key) {
            *count += n;
        } else if self.counts.len() < MAX_KEYS {
            self.counts.insert(key, n);
        } else {
            self.omitted += n;
        }
    }
}

impl Tally {
    fn add(&mut self, record: &View, time: Option<OffsetDateTime>) {
        self.requests += 1;
        self.raw_bytes += record.raw_bytes.unwrap_or(0);
        self.decoded_bytes += record.decoded_bytes.unwrap_or(0);
        self.first = min_time(self.first, time);
        self.last = max_time(self.last, time);
        if let Some(status) = record.status {
            self.statuses.add(status, 1);
        }
        if let Some(counts) = record.finding_counts {
            self.findings.add(counts);
        }
        for (code, n) in &record.codes.0 {
            self.codes.add(code.clone(), *n);
        }
        for field in &record.unknown_fields.0 {
            self.fields.add(field.0.clone(), 1);
        }
        for flag in &record.flags.0 {
            self.flags.add(flag.0.clone(), 1);
        }
        if let Some(forward) = &record.forward {
            let key = forward
                .status
                .map_or_else(|| "none".to_string(), |s| s.to_string());
            self.forwarded.add(key, 1);
        }
    }
}

/// The fields of a record that audit reads; everything else (the body, the
/// headers, the findings listed) is skipped while parsing.
#[derive(Debug, Deserialize)]
struct View {
    time: Option<Text>,
    path: Text,
    endpoint: Option<Text>,
    raw_bytes: Option<u64>,
    decoded_bytes: Option<u64>,
    status: Option<u16>,
    #[serde(default)]
    flags: Capped<Text>,
    finding_counts: Option<Counts>,
    #[serde(default)]
    codes: CappedMap,
    #[serde(default)]
    unknown_fields: Capped<Text>,
    forward: Option<ForwardView>,
}

#[derive(Debug, Deserialize)]
struct ForwardView {
    status: Option<u16>,
}

/// A string, cut to [`MAX_TEXT`] bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        Ok(Text(
            crate::capture::record::cut(&text, MAX_TEXT).to_string(),
        ))
    }
}

impl From<Text> for String {
    fn from(t: Text) -> String {
        t.0
    }
}

/// A list of which the first 256 items are kept.
#[derive(Debug)]
struct Capped<T>(Vec<T>);

impl<T> Default for Capped<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

const CAPPED_ITEMS: usize = 256;

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Capped<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Visit<T> {
            type Value = Capped<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Capped<T>, A::Error> {
                let mut items = Vec::new();
                while items.len() < CAPPED_ITEMS {
                    match seq.next_element()? {
                        Some(item) => items.push(item),
                        None => return Ok(Capped(items)),
                    }
                }
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Capped(items))
            }
        }
        d.deserialize_seq(Visit(std::marker::PhantomData))
    }
}

/// Code to count, of which the first 256 entries are kept.
#[derive(Debug, Default)]
struct CappedMap(Vec<(String, u64)>);

impl<'de> Deserialize<'de> for CappedMap {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = CappedMap;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map of counts")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<CappedMap, A::Error> {
                let mut items = Vec::new();
                while items.len() < CAPPED_ITEMS {
                    match map.next_entry::<Text, u64>()? {
                        Some((k, v)) => items.push((k.0, v)),
                        None => return Ok(CappedMap(items)),
                    }
                }
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(CappedMap(items))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// A line that is not a record.
#[derive(Debug, Clone, Serialize)]
pub struct Malformed {
    /// The ledger.
    pub ledger: String,
    /// The 1-based line.
    pub line: u64,
    /// Why it is not a record.
    pub error: String,
}

/// What the ledgers hold, read so far.
#[derive(Debug, Default)]
pub struct Audit {
    ledgers: Vec<String>,
    records: u64,
    endpoints: BTreeMap<EndpointId, Tally>,
    other: Tally,
    paths: Keyed<String>,
    malformed: Vec<Malformed>,
    malformed_count: u64,
}

/// One endpoint in the audit.
#[derive(Debug, Serialize)]
pub struct EndpointAudit {
    /// The endpoint.
    pub id: EndpointId,
    /// Whether the configuration turns it on; null without one.
    pub enabled: Option<bool>,
    /// Whether the configuration settles it for sure; null without one.
    pub certain: Option<bool>,
    /// What decided it; null without a configuration.
    pub decided_by: Option<DecidedBy>,
    /// Requests that arrived.
    pub requests: u64,
    /// Their bodies' bytes as received.
    pub raw_bytes: u64,
    /// Their bodies' bytes once inflated.
    pub decoded_bytes: u64,
    /// The first request's time (RFC 3339), null when none arrived.
    pub first_seen: Option<String>,
    /// The last request's time.
    pub last_seen: Option<String>,
    /// Answer status to count.
    pub statuses: BTreeMap<String, u64>,
    /// Findings by severity.
    pub findings: Counts,
    /// Privacy findings by code (`privacy-email`, ...).
    pub privacy: BTreeMap<String, u64>,
    /// Every finding code, counted.
    pub codes: BTreeMap<String, u64>,
    /// Fields seen beyond the documented ones (JSON pointers, list indexes as
    /// `*`), with the number of requests that carried each.
    pub unknown_fields: BTreeMap<String, u64>,
    /// Flags by name, counted.
    pub flags: BTreeMap<String, u64>,
    /// With `--forward`: the real Beacon's status (`none` for no answer) to count.
    pub forwarded: BTreeMap<String, u64>,
}

/// The requests to paths that are no Beacon endpoint.
#[derive(Debug, Serialize)]
pub struct OtherPaths {
    /// Requests.
    pub requests: u64,
    /// Their bodies' bytes as received.
    pub raw_bytes: u64,
    /// First and last seen.
    pub first_seen: Option<String>,
    /// The last.
    pub last_seen: Option<String>,
    /// Path to count (the first 1,000 distinct paths).
    pub paths: BTreeMap<String, u64>,
    /// Requests to paths past those.
    pub paths_omitted: u64,
}

/// An endpoint that arrived although the configuration turns it off.
#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    /// The endpoint.
    pub endpoint: EndpointId,
    /// How many requests arrived.
    pub requests: u64,
    /// The contradiction in words.
    pub message: String,
    /// The key, file and line that turn it off.
    pub decided_by: DecidedBy,
}

/// Something worth knowing that is not drift.
#[derive(Debug, Clone, Serialize)]
pub struct AuditNote {
    /// A stable code.
    pub code: &'static str,
    /// What it says.
    pub message: String,
}

/// The audit, as `audit -o json` prints it.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// The ledgers read, in order.
    pub ledgers: Vec<String>,
    /// Records read.
    pub records: u64,
    /// The first and last request's time over every endpoint.
    pub first_seen: Option<String>,
    /// The last.
    pub last_seen: Option<String>,
    /// Whether a configuration was compared.
    pub compared: bool,
    /// The six endpoints.
    pub endpoints: Vec<EndpointAudit>,
    /// Requests to other paths.
    pub other_paths: OtherPaths,
    /// What contradicts the configuration: exit 3.
    pub drift: Vec<Drift>,
    /// Facts worth knowing.
    pub notes: Vec<AuditNote>,
    /// Lines that are not records (the first 100).
    pub malformed: Vec<Malformed>,
    /// How many lines are not records.
    pub malformed_count: u64,
}

/// How a line ended.
enum Line {
    /// Whole, in the buffer (its newline consumed).
    Whole,
    /// The buffer is full and the line goes on.
    Long,
    /// No line: the end of the input.
    End,
}

/// Reads a line into `buf` (cleared first), at most `cap` bytes of it.
fn read_line(reader: &mut impl BufRead, buf: &mut Vec<u8>, cap: usize) -> std::io::Result<Line> {
    buf.clear();
    loop {
        let available = match reader.fill_buf() {
            Ok(available) => available,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(if buf.is_empty() {
                Line::End
            } else {
                Line::Whole
            });
        }
        let room = cap - buf.len();
        match memchr::memchr(b'\n', available) {
            Some(at) if at <= room => {
                buf.extend_from_slice(&available[..at]);
                reader.consume(at + 1);
                return Ok(Line::Whole);
            }
            found => {
                let take = found.unwrap_or(available.len()).min(room);
                buf.extend_from_slice(&available[..take]);
                reader.consume(take);
                if buf.len() == cap {
                    return Ok(Line::Long);
                }
            }
        }
    }
}

/// The rest of the current line, up to (and consuming) its newline.
struct LineRest<'a, R> {
    inner: &'a mut R,
    ended: bool,
}

impl<R: BufRead> Read for LineRest<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.ended || out.is_empty() {
            return Ok(0);
        }
        let available = self.inner.fill_buf()?;
        if available.is_empty() {
            self.ended = true;
            return Ok(0);
        }
        let (len, newline) = match memchr::memchr(b'\n', available) {
            Some(at) => (at, true),
            None => (available.len(), false),
        };
        let n = len.min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        if newline && n == len {
            self.inner.consume(n + 1);
            self.ended = true;
        } else {
            self.inner.consume(n);
        }
        Ok(n)
    }
}

impl Audit {
    /// An audit of nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads one ledger, line by line; `name` names it in errors. An I/O error
    /// ends it; a line that is not a record is counted and listed.
    pub fn read(&mut self, reader: &mut impl BufRead, name: &str) -> Result<()> {
        self.ledgers.push(name.to_string());
        if reader
            .fill_buf()
            .is_ok_and(|b| b.starts_with(&[0x1f, 0x8b]))
        {
            return Err(
                Failure::input(format!("ledger `{name}` is gzip-compressed"))
                    .hint(format!(
                        "decompress it on the way: zcat {name} | beacon-cli audit -"
                    ))
                    .into(),
            );
        }
        let before = (self.records, self.malformed_count);
        let mut buf = Vec::new();
        let mut number = 0u64;
        loop {
            let line = read_line(reader, &mut buf, FAST_LINE).map_err(|e| {
                Failure::input(format!(
                    "cannot read ledger `{name}` after line {number}: {}",
                    crate::input::io_reason(&e)
                ))
                .hint("check the file")
            })?;
            let parsed = match line {
                Line::End => break,
                Line::Whole => {
                    number += 1;
                    if buf.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    serde_json::from_slice::<View>(&buf).map_err(|e| e.to_string())
                }
                Line::Long => {
                    number += 1;
                    let mut rest = LineRest {
                        inner: &mut *reader,
                        ended: false,
                    };
                    let parsed = {
                        let stream = std::io::BufReader::with_capacity(
                            64 * 1024,
                            std::io::Cursor::new(&buf).chain(&mut rest),
                        );
                        serde_json::from_reader::<_, View>(stream).map_err(|e| e.to_string())
                    };
                    // Whatever the parse left of the line is skipped.
                    let _ = std::io::copy(&mut rest, &mut std::io::sink());
                    parsed
                }
            };
            match parsed {
                Ok(view) => self.add(view),
                Err(error) => {
                    self.malformed_count += 1;
                    if self.malformed.len() < MAX_MALFORMED {
                        self.malformed.push(Malformed {
                            ledger: name.to_string(),
                            line: number,
                            error: format!("not a capture record: {error}"),
                        });
                    }
                }
            }
        }
        if self.records == before.0 && self.malformed_count > before.1 {
            let first = self
                .malformed
                .iter()
                .find(|m| m.ledger == name)
                .map(|m| format!(" (line {}: {})", m.line, m.error))
                .unwrap_or_default();
            return Err(Failure::input(format!(
                "ledger `{name}` holds no capture record: none of its lines is one{first}"
            ))
            .hint("give the JSON-lines file `beacon-cli capture --out` wrote")
            .into());
        }
        Ok(())
    }

    fn add(&mut self, view: View) {
        self.records += 1;
        let time = view
            .time
            .as_ref()
            .and_then(|t| OffsetDateTime::parse(&t.0, &Rfc3339).ok());
        let endpoint = view
            .endpoint
            .as_ref()
            .and_then(|e| EndpointId::ALL.into_iter().find(|id| id.as_str() == e.0))
            .or_else(|| endpoints::by_path(&view.path.0).map(|(id, _)| id));
        match endpoint {
            Some(id) => self.endpoints.entry(id).or_default().add(&view, time),
            None => {
                self.other.add(&view, time);
                self.paths.add(view.path.0.clone(), 1);
            }
        }
    }

    /// The audit, compared with `report` when a configuration was given.
    pub fn finish(self, report: Option<&Report>) -> Summary {
        let stamp = |t: Option<OffsetDateTime>| t.map(timestamp);
        let mut drift = Vec::new();
        let mut notes = Vec::new();
        let mut first: Option<OffsetDateTime> = self.other.first;
        let mut last: Option<OffsetDateTime> = self.other.last;
        let mut endpoints = Vec::new();
        let mut tallies = self.endpoints;
        for id in EndpointId::ALL {
            let tally = tallies.remove(&id).unwrap_or_default();
            first = min_time(first, tally.first);
            last = max_time(last, tally.last);
            let state = report.map(|r| r.endpoint(id));
            if let Some(state) = state.filter(|_| tally.requests > 0) {
                if !state.enabled {
                    drift.push(Drift {
                        endpoint: id,
                        requests: tally.requests,
                        message: format!(
                            "`{id}` is off ({}) but {} arrived",
                            place(&state.decided_by),
                            requests(tally.requests, id)
                        ),
                        decided_by: state.decided_by.clone(),
                    });
                } else if !state.certain {
                    notes.push(AuditNote {
                        code: "settled-by-traffic",
                        message: format!(
                            "`{id}` is not certain from the configuration ({}), and {} arrived: it is on",
                            place(&state.decided_by),
                            requests(tally.requests, id)
                        ),
                    });
                }
            }
            let privacy: BTreeMap<_, _> = tally
                .codes
                .counts
                .iter()
                .filter(|(c, _)| is_privacy_code(c))
                .map(|(c, n)| (c.clone(), *n))
                .collect();
            if tally.fields.omitted > 0 {
                notes.push(AuditNote {
                    code: "fields-omitted",
                    message: format!(
                        "`{id}`: more than {MAX_KEYS} distinct undocumented fields; {} more not listed",
                        tally.fields.omitted
                    ),
                });
            }
            endpoints.push(EndpointAudit {
                id,
                enabled: state.map(|s| s.enabled),
                certain: state.map(|s| s.certain),
                decided_by: state.map(|s| s.decided_by.clone()),
                requests: tally.requests,
                raw_bytes: tally.raw_bytes,
                decoded_bytes: tally.decoded_bytes,
                first_seen: stamp(tally.first),
                last_seen: stamp(tally.last),
                statuses: tally
                    .statuses
                    .counts
                    .iter()
                    .map(|(s, n)| (s.to_string(), *n))
                    .collect(),
                findings: tally.findings,
                privacy,
                codes: tally.codes.counts,
                unknown_fields: tally.fields.counts,
                flags: tally.flags.counts,
                forwarded: tally.forwarded.counts,
            });
        }
        if self.other.requests > 0 {
            notes.push(AuditNote {
                code: "other-paths",
                message: format!(
                    "{} arrived at paths that are no Beacon endpoint (capture answered 404): see `other_paths`",
                    crate::output::count(self.other.requests, "request")
                ),
            });
        }
        Summary {
            ledgers: self.ledgers,
            records: self.records,
            first_seen: stamp(first),
            last_seen: stamp(last),
            compared: report.is_some(),
            endpoints,
            other_paths: OtherPaths {
                requests: self.other.requests,
                raw_bytes: self.other.raw_bytes,
                first_seen: stamp(self.other.first),
                last_seen: stamp(self.other.last),
                paths: self.paths.counts,
                paths_omitted: self.paths.omitted,
            },
            drift,
            notes,
            malformed: self.malformed,
            malformed_count: self.malformed_count,
        }
    }
}

fn min_time(a: Option<OffsetDateTime>, b: Option<OffsetDateTime>) -> Option<OffsetDateTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_time(a: Option<OffsetDateTime>, b: Option<OffsetDateTime>) -> Option<OffsetDateTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// `14 metrics requests`, `1 usage-snapshot request`.
fn requests(n: u64, id: EndpointId) -> String {
    crate::output::count(n, &format!("{id} request"))
}

/// What decided something, and where: `` `config.telemetry.metrics: false`, prod.yaml:12 ``.
pub fn place(decided: &DecidedBy) -> String {
    match (&decided.file, decided.line, &decided.key) {
        (Some(file), Some(line), _) => format!("{}, {file}:{line}", decided.reason),
        (Some(file), None, _) => format!("{}, {file}", decided.reason),
        (None, _, Some(_)) => format!("{}, chart default", decided.reason),
        (None, _, None) => decided.reason.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audit(text: &str) -> Summary {
        let mut audit = Audit::new();
        audit
            .read(&mut std::io::Cursor::new(text.as_bytes()), "test")
            .unwrap();
        audit.finish(None)
    }

    #[test]
    fn records_are_counted_per_endpoint_and_other_paths_apart() {
        let text = concat!(
            r#"{"time":"2026-01-01T00:00:02.000Z","path":"/v1/beacon/v1/metrics","endpoint":"metrics","raw_bytes":10,"status":200,"finding_counts":{"error":1,"warning":0,"info":2},"codes":{"privacy-email":1},"unknown_fields":["/resourceMetrics/*/x"],"body":{"big":[1,2,3]}}"#,
            "\n",
            r#"{"time":"2026-01-01T00:00:01.000Z","path":"/p/v1/beacon/v1/metrics","raw_bytes":5,"status":200}"#,
            "\n\n",
            r#"{"time":"2026-01-01T00:00:03.000Z","path":"/nope","status":404}"#,
            "\n",
            "not json\n",
            r#"{"time":"2026-01-01T00:00:04.000Z","path":"/v1/beacon/verify","raw_bytes":1}"#
        );
        let summary = audit(text);
        assert_eq!(summary.records, 4);
        assert_eq!(summary.malformed_count, 1);
        assert_eq!(summary.malformed[0].line, 5);
        let metrics = &summary.endpoints[2];
        assert_eq!(metrics.id, EndpointId::Metrics);
        assert_eq!(metrics.requests, 2);
        assert_eq!(metrics.raw_bytes, 15);
        assert_eq!(
            metrics.first_seen.as_deref(),
            Some("2026-01-01T00:00:01.000Z")
        );
        assert_eq!(
            metrics.last_seen.as_deref(),
            Some("2026-01-01T00:00:02.000Z")
        );
        assert_eq!(metrics.findings.info, 2);
        assert_eq!(metrics.privacy["privacy-email"], 1);
        assert_eq!(metrics.unknown_fields["/resourceMetrics/*/x"], 1);
        assert_eq!(summary.other_paths.paths["/nope"], 1);
        assert_eq!(
            summary.first_seen.as_deref(),
            Some("2026-01-01T00:00:01.000Z")
        );
        assert_eq!(
            summary.last_seen.as_deref(),
            Some("2026-01-01T00:00:04.000Z")
        );
    }

    #[test]
    fn a_line_longer_than_the_buffer_is_parsed_from_the_stream() {
        let body = "x".repeat(FAST_LINE + 100);
        let text = format!(
            "{{\"path\":\"/v1/beacon/v1/logs\",\"raw_bytes\":7,\"body\":\"{body}\"}}\n{{\"path\":\"/v1/beacon/v1/logs\",\"raw_bytes\":1}}\n{{\"broken\":\"{body}\n{{\"path\":\"/v1/beacon/v1/logs\"}}\n"
        );
        let summary = audit(&text);
        assert_eq!(summary.endpoints[4].requests, 3);
        assert_eq!(summary.endpoints[4].raw_bytes, 8);
        assert_eq!(summary.malformed_count, 1);
        assert_eq!(summary.malformed[0].line, 3);
    }

    #[test]
    fn a_file_of_no_records_is_an_input_error() {
        let mut audit = Audit::new();
        let err = audit
            .read(
                &mut std::io::Cursor::new(b"hello\nworld\n".as_slice()),
                "x.txt",
            )
            .unwrap_err();
        assert!(
            err.to_string().contains("`x.txt` holds no capture record"),
            "{err}"
        );
        let err = Audit::new()
            .read(
                &mut std::io::Cursor::new([0x1f, 0x8b, 8, 0].as_slice()),
                "x.gz",
            )
            .unwrap_err();
        assert!(err.to_string().contains("gzip"), "{err}");
    }

    #[test]
    fn places_name_the_file_and_line() {
        let decided = DecidedBy {
            key: Some("config.telemetry.metrics".into()),
            file: Some("prod.yaml".into()),
            line: Some(12),
            reason: "`config.telemetry.metrics: false`".into(),
        };
        assert_eq!(
            place(&decided),
            "`config.telemetry.metrics: false`, prod.yaml:12"
        );
    }
}
