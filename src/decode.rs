//! The one body decoder: bytes, with their encoding and compression, turned into
//! the JSON text every check reads.
//!
//! gzip is detected by its header (or required, when declared); OTLP protobuf is
//! decoded with `opentelemetry-proto` and written as OTLP/JSON by the same crate's
//! serialiser, so one walker checks both encodings. Every cap is enforced here:
//! the inflated size and the size of the JSON view. `validate` uses it for files;
//! the capture server will use it for requests.

use std::io::{Read, Write};

use anyhow::Result;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use serde::Serialize;

use crate::endpoints::{EndpointId, Signal};
use crate::error::Failure;
use crate::input::size;

/// How a body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// JSON (OTLP/JSON for the operational endpoints).
    Json,
    /// OTLP protobuf (the three operational endpoints only).
    Protobuf,
}

impl Encoding {
    /// The encoding a `Content-Type` names, if it names one beacon-cli reads.
    pub fn from_content_type(content_type: &str) -> Option<Encoding> {
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/json" => Some(Encoding::Json),
            "application/x-protobuf" | "application/protobuf" => Some(Encoding::Protobuf),
            _ => None,
        }
    }
}

/// Whether the body is gzip-compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gzip {
    /// When it starts with gzip's header (no JSON text and no protobuf message does).
    Detect,
    /// It must be: `--gzip`, or `Content-Encoding: gzip`.
    Required,
}

/// The caps a body is decoded under.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The most a gzip body may inflate to.
    pub inflated: u64,
    /// The most JSON a protobuf body may turn into.
    pub json: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            inflated: 4 * 1024 * 1024 * 1024,
            json: 4 * 1024 * 1024 * 1024,
        }
    }
}

/// A decoded body.
#[derive(Debug)]
pub struct Body {
    /// How it was encoded.
    pub encoding: Encoding,
    /// Whether it was gzip-compressed.
    pub gzip: bool,
    /// Its size as received.
    pub raw_len: usize,
    /// Its size after inflating.
    pub decoded_len: usize,
    /// The JSON text: the body itself, or the OTLP/JSON view of a protobuf body.
    pub json: String,
}

/// Decodes the body of a request to `endpoint`; `name` names it in errors. It
/// takes the bytes, so a plain JSON body becomes its text without a copy.
pub fn decode(
    bytes: Vec<u8>,
    endpoint: EndpointId,
    encoding: Encoding,
    gzip: Gzip,
    limits: &Limits,
    name: &str,
) -> Result<Body> {
    let raw_len = bytes.len();
    let compressed = bytes.starts_with(&[0x1f, 0x8b]);
    if gzip == Gzip::Required && !compressed {
        return Err(
            Failure::input(format!("`{name}` is not gzip-compressed (no gzip header)"))
                .hint("drop --gzip; compressed input is detected by itself")
                .into(),
        );
    }
    let plain = if compressed {
        gunzip(&bytes, limits.inflated, name)?
    } else {
        bytes
    };
    let decoded_len = plain.len();
    let json = match encoding {
        Encoding::Json => String::from_utf8(plain).map_err(|e| {
            let (line, col) = line_col(e.as_bytes(), e.utf8_error().valid_up_to());
            Failure::input(format!("`{name}`:{line}:{col}: not UTF-8 text"))
                .hint("JSON is UTF-8; is this protobuf? then add --format protobuf")
        })?,
        Encoding::Protobuf => {
            let Some(signal) = endpoint.signal() else {
                return Err(Failure::input(format!(
                    "`{endpoint}` takes JSON; only metrics, traces and logs have an OTLP protobuf form"
                ))
                .hint("drop --format protobuf")
                .into());
            };
            protobuf_to_json(signal, &plain, limits.json, name)?
        }
    };
    Ok(Body {
        encoding,
        gzip: compressed,
        raw_len,
        decoded_len,
        json,
    })
}

fn gunzip(bytes: &[u8], limit: u64, name: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| {
            Failure::input(format!("`{name}` is not valid gzip: {e}"))
                .hint("check the file; compressed input is detected by its gzip header")
        })?;
    if out.len() as u64 > limit {
        return Err(
            Failure::input(format!("`{name}` inflates to more than {}", size(limit)))
                .hint("the limits are listed in the README")
                .into(),
        );
    }
    Ok(out)
}

/// Decodes OTLP protobuf and writes it as OTLP/JSON, refusing a view larger than `limit`.
fn protobuf_to_json(signal: Signal, bytes: &[u8], limit: u64, name: &str) -> Result<String> {
    use prost::Message;
    let bad = |e: prost::DecodeError| {
        Failure::input(format!(
            "`{name}` is not a protobuf {}: {e}",
            signal.request_message()
        ))
        .hint("check the endpoint id; for JSON input drop --format protobuf")
    };
    let mut out = Bounded {
        bytes: Vec::new(),
        limit,
        over: false,
    };
    let written = match signal {
        Signal::Traces => serde_json::to_writer(
            &mut out,
            &ExportTraceServiceRequest::decode(bytes).map_err(bad)?,
        ),
        Signal::Metrics => serde_json::to_writer(
            &mut out,
            &ExportMetricsServiceRequest::decode(bytes).map_err(bad)?,
        ),
        Signal::Logs => serde_json::to_writer(
            &mut out,
            &ExportLogsServiceRequest::decode(bytes).map_err(bad)?,
        ),
    };
    if out.over {
        return Err(Failure::input(format!(
            "`{name}` decodes to more than {} of OTLP/JSON",
            size(limit)
        ))
        .hint("the limits are listed in the README")
        .into());
    }
    written?;
    Ok(String::from_utf8(out.bytes)?)
}

/// A writer that refuses to grow past a limit.
struct Bounded {
    bytes: Vec<u8>,
    limit: u64,
    over: bool,
}

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if (self.bytes.len() + buf.len()) as u64 > self.limit {
            self.over = true;
            return Err(std::io::Error::other("over the limit"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(bytes: &[u8], offset: usize) -> (u32, u32) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_name_encodings() {
        assert_eq!(
            Encoding::from_content_type("application/json; charset=utf-8"),
            Some(Encoding::Json)
        );
        assert_eq!(
            Encoding::from_content_type("Application/X-Protobuf"),
            Some(Encoding::Protobuf)
        );
        assert_eq!(Encoding::from_content_type("text/plain"), None);
    }

    #[test]
    fn gzip_is_detected_and_capped() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&[b' '; 10_000]).unwrap();
        enc.write_all(b"{}").unwrap();
        let gz = enc.finish().unwrap();
        let limits = Limits {
            inflated: 20_000,
            json: 1,
        };
        let body = decode(
            gz.clone(),
            EndpointId::Verify,
            Encoding::Json,
            Gzip::Detect,
            &limits,
            "b",
        )
        .unwrap();
        assert!(body.gzip);
        assert_eq!(body.decoded_len, 10_002);
        let small = Limits {
            inflated: 100,
            json: 1,
        };
        let err = decode(
            gz,
            EndpointId::Verify,
            Encoding::Json,
            Gzip::Detect,
            &small,
            "b",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("inflates to more than 100 bytes"),
            "{err}"
        );
        let err = decode(
            b"{}".to_vec(),
            EndpointId::Verify,
            Encoding::Json,
            Gzip::Required,
            &limits,
            "b",
        )
        .unwrap_err();
        assert!(err.to_string().contains("not gzip-compressed"), "{err}");
    }

    #[test]
    fn protobuf_becomes_otlp_json_within_its_cap() {
        use prost::Message;
        let request = ExportTraceServiceRequest::default();
        let bytes = request.encode_to_vec();
        let limits = Limits::default();
        let body = decode(
            bytes.clone(),
            EndpointId::Traces,
            Encoding::Protobuf,
            Gzip::Detect,
            &limits,
            "p",
        )
        .unwrap();
        assert_eq!(body.json, r#"{"resourceSpans":[]}"#);
        let tight = Limits {
            inflated: 100,
            json: 5,
        };
        let err = decode(
            bytes.clone(),
            EndpointId::Traces,
            Encoding::Protobuf,
            Gzip::Detect,
            &tight,
            "p",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("more than 5 bytes of OTLP/JSON"),
            "{err}"
        );
        let err = decode(
            bytes,
            EndpointId::Verify,
            Encoding::Protobuf,
            Gzip::Detect,
            &limits,
            "p",
        )
        .unwrap_err();
        assert!(err.to_string().contains("takes JSON"), "{err}");
    }
}
