//! Strict conformance and privacy checks for Beacon payloads.
//!
//! [`validate`] reads a body (JSON, or OTLP protobuf; gzip-compressed or not),
//! walks it against the endpoint's schema with positions ([`walk`]), decodes the
//! OTLP ones with `opentelemetry-proto` as a receiver would, and returns every
//! finding with its severity, JSON pointer, line and column. It prints nothing.

pub mod privacy;
pub mod schema;
pub mod ucum;
mod walk;

use std::io::Read;

use anyhow::Result;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use serde::Serialize;

use crate::endpoints::{Class, Endpoint};
use crate::error::InputError;

/// A gzip body may expand to at most this much.
const MAX_INFLATED_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A receiver rejects it or loses data: the payload is not valid.
    Error,
    /// Valid, but data is lost or something may leave that should not.
    Warning,
    /// Worth knowing; nothing is lost.
    Info,
}

impl Severity {
    /// The name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One thing found, and where.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// error, warning or info.
    pub severity: Severity,
    /// The JSON pointer of the value (`/resourceSpans/0/scopeSpans/0/spans/1/spanId`).
    pub pointer: String,
    /// The byte offset in the JSON text, used to compute line and column.
    #[serde(skip)]
    pub offset: Option<usize>,
    /// 1-based line in the file; null for protobuf input.
    pub line: Option<u32>,
    /// 1-based column (in characters); null for protobuf input.
    pub column: Option<u32>,
    /// A short stable code (`span-id-length`).
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

/// The encoding of the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// JSON (OTLP/JSON for the operational endpoints).
    Json,
    /// OTLP protobuf (the three operational endpoints only).
    Protobuf,
}

/// What opentelemetry-proto's decoder made of the body.
#[derive(Debug, Clone, Serialize)]
pub struct Decoder {
    /// Whether it decoded.
    pub accepted: bool,
    /// Where it stopped, when it did not (no value quoted).
    pub error: Option<String>,
}

/// The verdict on one body.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The endpoint id.
    pub endpoint: &'static str,
    /// True when there is no error.
    pub valid: bool,
    /// json or protobuf.
    pub encoding: Encoding,
    /// Whether the body was gzip-compressed.
    pub gzip: bool,
    /// opentelemetry-proto's verdict (OTLP endpoints; null for billing ones).
    pub decoder: Option<Decoder>,
    /// Findings in document order.
    pub findings: Vec<Finding>,
}

impl Report {
    /// How many findings of a severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

/// Validates `bytes` as the request body of `endpoint`. `name` names the input in
/// errors; `license` is the operator's key, whose appearance is reported.
pub fn validate(
    endpoint: &'static Endpoint,
    bytes: &[u8],
    encoding: Encoding,
    force_gzip: bool,
    license: Option<&str>,
    name: &str,
) -> Result<Report> {
    let gzip = bytes.starts_with(&[0x1f, 0x8b]);
    if force_gzip && !gzip {
        return Err(
            InputError::new(format!("`{name}` is not gzip-compressed (no gzip header)"))
                .hint("drop --gzip; compressed input is detected by itself")
                .into(),
        );
    }
    let inflated;
    let bytes = if gzip {
        inflated = gunzip(bytes, name)?;
        &inflated[..]
    } else {
        bytes
    };
    let root = schema::root(endpoint.id);
    let (findings, decoder) = match encoding {
        Encoding::Protobuf => {
            if endpoint.class != Class::Operational {
                return Err(InputError::new(format!(
                    "`{}` takes JSON; only metrics, traces and logs have an OTLP protobuf form",
                    endpoint.id
                ))
                .hint("drop --format protobuf")
                .into());
            }
            let json = protobuf_to_json(endpoint.id, bytes, name)?;
            let (mut findings, _) = walk::walk(&json, root, license).map_err(|e| {
                anyhow::anyhow!(
                    "internal: the JSON made from `{name}` did not parse: {}",
                    e.message
                )
            })?;
            // The positions are in JSON made here, not in the file: drop them.
            for f in &mut findings {
                f.offset = None;
            }
            (
                findings,
                Some(Decoder {
                    accepted: true,
                    error: None,
                }),
            )
        }
        Encoding::Json => {
            let text = std::str::from_utf8(bytes).map_err(|e| {
                let (line, col) = line_col(bytes, e.valid_up_to());
                InputError::new(format!("`{name}`:{line}:{col}: not UTF-8 text"))
                    .hint("JSON is UTF-8; is this protobuf? then add --format protobuf")
            })?;
            let (mut findings, counts) = walk::walk(text, root, license).map_err(|e| {
                let (line, col) = line_col(bytes, e.offset);
                InputError::new(format!("`{name}`:{line}:{col}: not JSON: {}", e.message))
                    .hint("fix the JSON there; is this protobuf? then add --format protobuf")
            })?;
            let decoder = (endpoint.class == Class::Operational)
                .then(|| decode_json(endpoint.id, text, counts.data_points));
            if let Some(d) = decoder.as_ref().filter(|d| !d.accepted) {
                if !findings.iter().any(|f| f.severity == Severity::Error) {
                    findings.push(Finding {
                        severity: Severity::Warning,
                        pointer: String::new(),
                        offset: Some(0),
                        line: None,
                        column: None,
                        code: "decoder-rejects",
                        message: format!(
                            "opentelemetry-proto's decoder does not take this valid proto3 JSON ({}); receivers built on it would do the same",
                            d.error.as_deref().unwrap_or("no reason given")
                        ),
                        hint: "it does not take `null` values, \"NaN\" doubles or 32-bit integers as strings: write the defaults and plain numbers".to_string(),
                    });
                }
            }
            (findings, decoder)
        }
    };
    let mut findings = findings;
    findings.sort_by_key(|f| f.offset.unwrap_or(0));
    if encoding == Encoding::Json {
        locate(&mut findings, bytes);
    }
    Ok(Report {
        endpoint: endpoint.id,
        valid: !findings.iter().any(|f| f.severity == Severity::Error),
        encoding,
        gzip,
        decoder,
        findings,
    })
}

fn gunzip(bytes: &[u8], name: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(MAX_INFLATED_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| {
            InputError::new(format!("`{name}` is not valid gzip: {e}"))
                .hint("check the file; compressed input is detected by its gzip header")
        })?;
    if out.len() as u64 > MAX_INFLATED_BYTES {
        return Err(InputError::new(format!(
            "`{name}` inflates to more than {MAX_INFLATED_BYTES} bytes"
        ))
        .into());
    }
    Ok(out)
}

/// opentelemetry-proto's JSON decoder, as a receiver would run it. Its metrics
/// decoding drops a metric's data on an error inside it instead of failing
/// (opentelemetry-rust issue #3527), so the data points it kept are counted
/// against the `raw_points` the walk saw.
fn decode_json(id: &str, text: &str, raw_points: usize) -> Decoder {
    let result = match id {
        "traces" => serde_json::from_str::<ExportTraceServiceRequest>(text).map(|_| None),
        "metrics" => {
            serde_json::from_str::<ExportMetricsServiceRequest>(text).map(|m| Some(data_points(&m)))
        }
        _ => serde_json::from_str::<ExportLogsServiceRequest>(text).map(|_| None),
    };
    match result {
        Ok(Some(kept)) if kept < raw_points => Decoder {
            accepted: false,
            error: Some(format!(
                "it silently kept {kept} of {raw_points} data points (opentelemetry-rust issue #3527)"
            )),
        },
        Ok(_) => Decoder {
            accepted: true,
            error: None,
        },
        Err(e) => Decoder {
            accepted: false,
            error: Some(format!("at line {}, column {}", e.line(), e.column())),
        },
    }
}

fn data_points(request: &ExportMetricsServiceRequest) -> usize {
    use opentelemetry_proto::tonic::metrics::v1::metric::Data;
    request
        .resource_metrics
        .iter()
        .flat_map(|r| &r.scope_metrics)
        .flat_map(|s| &s.metrics)
        .map(|m| match &m.data {
            Some(Data::Gauge(d)) => d.data_points.len(),
            Some(Data::Sum(d)) => d.data_points.len(),
            Some(Data::Histogram(d)) => d.data_points.len(),
            Some(Data::ExponentialHistogram(d)) => d.data_points.len(),
            Some(Data::Summary(d)) => d.data_points.len(),
            None => 0,
        })
        .sum()
}

/// Decodes OTLP protobuf and writes it as OTLP/JSON with opentelemetry-proto's
/// own serialiser, so one walker checks both encodings.
fn protobuf_to_json(id: &str, bytes: &[u8], name: &str) -> Result<String> {
    use prost::Message;
    let what = match id {
        "traces" => "ExportTraceServiceRequest",
        "metrics" => "ExportMetricsServiceRequest",
        _ => "ExportLogsServiceRequest",
    };
    let bad = |e: prost::DecodeError| {
        InputError::new(format!("`{name}` is not a protobuf {what}: {e}"))
            .hint("check the endpoint id; for JSON input drop --format protobuf")
    };
    let json = match id {
        "traces" => serde_json::to_string(&ExportTraceServiceRequest::decode(bytes).map_err(bad)?),
        "metrics" => {
            serde_json::to_string(&ExportMetricsServiceRequest::decode(bytes).map_err(bad)?)
        }
        _ => serde_json::to_string(&ExportLogsServiceRequest::decode(bytes).map_err(bad)?),
    };
    Ok(json?)
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(bytes: &[u8], offset: usize) -> (u32, u32) {
    let before = &bytes[..offset.min(bytes.len())];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(col).unwrap_or(u32::MAX),
    )
}

/// Fills line and column for findings sorted by offset, in one pass over the text.
fn locate(findings: &mut [Finding], bytes: &[u8]) {
    let mut line = 1usize;
    let mut line_start = 0usize;
    let mut scanned = 0usize;
    for finding in findings.iter_mut() {
        let Some(offset) = finding.offset.map(|o| o.min(bytes.len())) else {
            continue;
        };
        if offset < scanned {
            // Out of order (only when two findings share a spot): recount from the start.
            let (l, c) = line_col(bytes, offset);
            finding.line = Some(l);
            finding.column = Some(c);
            continue;
        }
        for (i, &b) in bytes[scanned..offset].iter().enumerate() {
            if b == b'\n' {
                line += 1;
                line_start = scanned + i + 1;
            }
        }
        scanned = offset;
        let col = String::from_utf8_lossy(&bytes[line_start..offset])
            .chars()
            .count()
            + 1;
        finding.line = Some(u32::try_from(line).unwrap_or(u32::MAX));
        finding.column = Some(u32::try_from(col).unwrap_or(u32::MAX));
    }
}
