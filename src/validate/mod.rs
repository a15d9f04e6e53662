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

use anyhow::Result;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use serde::Serialize;

use crate::decode::{Body, Encoding, line_col};
pub use crate::diagnostic::Severity;
use crate::diagnostic::{Diagnostic, Location};
use crate::endpoints::{EndpointId, Signal};
use crate::error::Failure;
use crate::secrets::Secret;

/// One thing found while walking, at a byte offset of the JSON text.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    /// error, warning or info.
    pub severity: Severity,
    /// The JSON pointer of the value.
    pub pointer: String,
    /// The byte offset in the JSON text, for line and column.
    pub offset: Option<usize>,
    /// A short stable code (`span-id-length`).
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

/// What opentelemetry-proto's decoder made of the body.
#[derive(Debug, Clone, Serialize)]
pub struct Decoder {
    /// Whether it decoded, keeping everything.
    pub accepted: bool,
    /// When it did not, what it did, as a phrase that follows "the decoder": where
    /// it stopped (no value quoted), or how many data points it kept.
    pub error: Option<String>,
}

/// The verdict on one body.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The endpoint.
    pub endpoint: EndpointId,
    /// True when there is no error.
    pub valid: bool,
    /// json or protobuf.
    pub encoding: Encoding,
    /// Whether the body was gzip-compressed.
    pub gzip: bool,
    /// opentelemetry-proto's verdict (OTLP endpoints; null for billing ones).
    pub decoder: Option<Decoder>,
    /// Findings in document order, each with its pointer, line and column.
    pub findings: Vec<Diagnostic>,
    /// Findings past the first 100,000, counted but not kept.
    pub findings_omitted: Omitted,
}

/// Findings counted but not kept, by severity.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Omitted {
    /// Errors.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
    /// Infos.
    pub infos: usize,
    /// Policy findings.
    pub policy: usize,
}

impl Report {
    /// How many findings of a severity, the omitted ones included.
    pub fn count(&self, severity: Severity) -> usize {
        let omitted = match severity {
            Severity::Error => self.findings_omitted.errors,
            Severity::Warning => self.findings_omitted.warnings,
            Severity::Info => self.findings_omitted.infos,
            Severity::Policy => self.findings_omitted.policy,
            Severity::Note => 0,
        };
        omitted
            + self
                .findings
                .iter()
                .filter(|f| f.severity == severity)
                .count()
    }
}

/// Validates a decoded body as the request body of `endpoint`. `name` names the
/// input in errors; `license` is the operator's key, whose appearance is reported.
pub fn validate(
    endpoint: EndpointId,
    body: &Body,
    license: Option<&Secret>,
    name: &str,
) -> Result<Report> {
    let root = schema::root(endpoint);
    let license = license.map(Secret::expose);
    let (mut findings, counts) = walk::walk(&body.json, root, license).map_err(|e| {
        match body.encoding {
            Encoding::Json => {
                let (line, col) = line_col(body.json.as_bytes(), e.offset);
                Failure::input(format!("`{name}`:{line}:{col}: not JSON: {}", e.message))
                    .hint("fix the JSON there; is this protobuf? then add --input-format protobuf")
                    .into()
            }
            // The JSON was written here from the protobuf: an error in it is ours.
            Encoding::Protobuf => anyhow::anyhow!(
                "internal: the JSON made from `{name}` did not parse: {}",
                e.message
            ),
        }
    })?;
    let decoder = match (body.encoding, endpoint.signal()) {
        (_, None) => None,
        (Encoding::Protobuf, Some(_)) => Some(Decoder {
            accepted: true,
            error: None,
        }),
        (Encoding::Json, Some(signal)) => Some(decode_json(signal, &body.json, counts.data_points)),
    };
    if let Some(d) = decoder.as_ref().filter(|d| !d.accepted) {
        if !findings.iter().any(|f| f.severity == Severity::Error) {
            findings.push(decoder_rejects(d, &findings));
        }
    }
    findings.sort_by_key(|f| f.offset.unwrap_or(0));
    // Positions of a protobuf body are in JSON made here, not in the file: none.
    let located = match body.encoding {
        Encoding::Json => locate(findings, body.json.as_bytes()),
        Encoding::Protobuf => findings.into_iter().map(|f| diagnostic(f, None)).collect(),
    };
    let [errors, warnings, infos, policy] = counts.omitted;
    Ok(Report {
        endpoint,
        valid: errors == 0 && !located.iter().any(|f| f.severity == Severity::Error),
        encoding: body.encoding,
        gzip: body.gzip,
        decoder,
        findings: located,
        findings_omitted: Omitted {
            errors,
            warnings,
            infos,
            policy,
        },
    })
}

/// Shape findings that make a body invalid proto3 JSON, though not an error here:
/// a proto3 JSON parser refuses duplicate and (by default) unknown fields.
const NOT_PROTO3: [&str; 3] = ["duplicate-field", "unknown-field", "sum-field-misplaced"];

/// The warning that opentelemetry-proto does not take a body without errors. It
/// calls the body valid proto3 JSON only when no finding says otherwise.
fn decoder_rejects(decoder: &Decoder, findings: &[Finding]) -> Finding {
    let what = decoder.error.as_deref().unwrap_or("refuses it");
    let shape: Vec<&str> = NOT_PROTO3
        .into_iter()
        .filter(|code| findings.iter().any(|f| f.code == *code))
        .collect();
    let message = if shape.is_empty() {
        format!(
            "opentelemetry-proto's decoder {what}, though the body is valid proto3 JSON; receivers built on it do the same"
        )
    } else {
        format!(
            "opentelemetry-proto's decoder {what}; the {} findings here say what in the body is not proto3 JSON",
            shape.join(", ")
        )
    };
    Finding {
        severity: Severity::Warning,
        pointer: String::new(),
        offset: Some(0),
        code: "decoder-rejects",
        message,
        hint: "it does not take `null` values, \"NaN\" doubles, 32-bit integers as strings or duplicate fields: write plain numbers and each field once".to_string(),
    }
}

fn diagnostic(f: Finding, at: Option<(u32, u32)>) -> Diagnostic {
    Diagnostic {
        severity: f.severity,
        code: f.code,
        message: f.message,
        location: Location::Body {
            pointer: f.pointer,
            line: at.map(|(l, _)| l),
            column: at.map(|(_, c)| c),
        },
        hint: Some(f.hint),
    }
}

/// opentelemetry-proto's JSON decoder, as a receiver would run it. Its metrics
/// decoding drops a metric's data on an error inside it instead of failing
/// (opentelemetry-rust issue #3527), so the data points it kept are counted
/// against the `raw_points` the walk saw.
fn decode_json(signal: Signal, text: &str, raw_points: usize) -> Decoder {
    let result = match signal {
        Signal::Traces => serde_json::from_str::<ExportTraceServiceRequest>(text).map(|_| None),
        Signal::Metrics => {
            serde_json::from_str::<ExportMetricsServiceRequest>(text).map(|m| Some(data_points(&m)))
        }
        Signal::Logs => serde_json::from_str::<ExportLogsServiceRequest>(text).map(|_| None),
    };
    match result {
        Ok(Some(kept)) if kept < raw_points => Decoder {
            accepted: false,
            error: Some(format!(
                "keeps {kept} of the {raw_points} data points and drops the rest without an error (opentelemetry-rust issue #3527)"
            )),
        },
        Ok(_) => Decoder {
            accepted: true,
            error: None,
        },
        Err(e) => Decoder {
            accepted: false,
            error: Some(format!("stops at line {}, column {}", e.line(), e.column())),
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

/// Line and column for findings sorted by offset, in one pass over the text:
/// both advance together, so a single-line body with many findings stays linear.
fn locate(findings: Vec<Finding>, bytes: &[u8]) -> Vec<Diagnostic> {
    let (mut line, mut column, mut scanned) = (1usize, 1usize, 0usize);
    let mut out = Vec::with_capacity(findings.len());
    for finding in findings {
        let Some(offset) = finding.offset.map(|o| o.min(bytes.len())) else {
            out.push(diagnostic(finding, None));
            continue;
        };
        if offset < scanned {
            // Out of order (the findings are sorted, so this does not happen): recount.
            let at = line_col(bytes, offset);
            out.push(diagnostic(finding, Some(at)));
            continue;
        }
        for &b in &bytes[scanned..offset] {
            if b == b'\n' {
                line += 1;
                column = 1;
            } else if b & 0xC0 != 0x80 {
                // Columns count characters: UTF-8 continuation bytes do not.
                column += 1;
            }
        }
        scanned = offset;
        let at = (
            u32::try_from(line).unwrap_or(u32::MAX),
            u32::try_from(column).unwrap_or(u32::MAX),
        );
        out.push(diagnostic(finding, Some(at)));
    }
    out
}
