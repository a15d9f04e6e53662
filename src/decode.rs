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
use serde::Serialize;

use crate::endpoints::{EndpointId, Signal};
use crate::error::{Exit, Failure};
use crate::input::size;

/// The code of the failure that says a body passed a cap ([`Limits`]): a
/// receiver answers it with 413, not 400.
pub const TOO_LARGE: &str = "too-large";

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
    /// 256 MiB each: OTLP exporters send a few MiB at most (gRPC's default cap
    /// is 4 MiB), and a real body's JSON view is about three times its protobuf.
    fn default() -> Self {
        Self {
            inflated: 256 * 1024 * 1024,
            json: 256 * 1024 * 1024,
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
                .hint("JSON is UTF-8; is this protobuf? then add --input-format protobuf")
        })?,
        Encoding::Protobuf => {
            let Some(signal) = endpoint.signal() else {
                return Err(Failure::input(format!(
                    "`{endpoint}` takes JSON; only metrics, traces and logs have an OTLP protobuf form"
                ))
                .hint("drop --input-format protobuf")
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
    // Several gzip members one after another are one valid stream (RFC 1952);
    // anything else after the last member is refused, not ignored.
    flate2::read::MultiGzDecoder::new(bytes)
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| {
            Failure::input(format!("`{name}` is not valid gzip: {e}"))
                .hint("check the file; compressed input is detected by its gzip header")
        })?;
    if out.len() as u64 > limit {
        return Err(Failure::new(
            Exit::Usage,
            TOO_LARGE,
            format!("`{name}` inflates to more than {}", size(limit)),
        )
        .hint("the limits are listed in the README")
        .into());
    }
    Ok(out)
}

/// Decodes OTLP protobuf and writes it as OTLP/JSON, refusing a view larger than
/// `limit`. The three wrapper levels (request, resource, scope) are walked on the
/// wire here, and each span, metric or log record is decoded and written on its
/// own: memory stays that of the JSON view, however many items the body holds (2 MB
/// of empty spans, decoded whole, took 1 GB). The JSON has the shape
/// opentelemetry-proto's serialiser gives the whole request.
fn protobuf_to_json(signal: Signal, bytes: &[u8], limit: u64, name: &str) -> Result<String> {
    let mut out = Bounded {
        bytes: Vec::new(),
        limit,
        over: false,
    };
    let written = otlp::request(signal, bytes, &mut out);
    if out.over {
        return Err(Failure::new(
            Exit::Usage,
            TOO_LARGE,
            format!("`{name}` decodes to more than {} of OTLP/JSON", size(limit)),
        )
        .hint("the limits are listed in the README")
        .into());
    }
    written.map_err(|e| {
        Failure::input(format!(
            "`{name}` is not a protobuf {}: {e}",
            signal.request_message()
        ))
        .hint("check the endpoint id; for JSON input drop --input-format protobuf")
    })?;
    Ok(String::from_utf8(out.bytes)?)
}

/// The wire walk of an OTLP export request.
mod otlp {
    use std::io::Write;

    use opentelemetry_proto::tonic::common::v1::InstrumentationScope;
    use opentelemetry_proto::tonic::logs::v1::LogRecord;
    use opentelemetry_proto::tonic::metrics::v1::Metric;
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::Span;
    use prost::Message;
    use prost::encoding::{WireType, decode_key, decode_varint};
    use serde::Serialize;

    use super::Bounded;
    use crate::endpoints::Signal;

    type Result<T> = std::result::Result<T, String>;

    /// The fields of a message: number, wire type, and the bytes of a
    /// length-delimited one. Read lazily, so a list of a million items is never
    /// held as a list.
    struct Fields<'a> {
        buf: &'a [u8],
    }

    impl<'a> Iterator for Fields<'a> {
        type Item = Result<(u32, WireType, &'a [u8])>;

        fn next(&mut self) -> Option<Self::Item> {
            if self.buf.is_empty() {
                return None;
            }
            let item = self.field();
            if item.is_err() {
                self.buf = &[];
            }
            Some(item)
        }
    }

    impl<'a> Fields<'a> {
        fn take(&mut self, n: u64) -> Result<&'a [u8]> {
            let n = usize::try_from(n).map_err(|_| "a length beyond memory".to_string())?;
            if n > self.buf.len() {
                return Err("the message is cut short".to_string());
            }
            let (taken, rest) = self.buf.split_at(n);
            self.buf = rest;
            Ok(taken)
        }

        fn field(&mut self) -> Result<(u32, WireType, &'a [u8])> {
            let (number, wire) = decode_key(&mut self.buf).map_err(|e| e.to_string())?;
            let data = match wire {
                WireType::Varint => {
                    decode_varint(&mut self.buf).map_err(|e| e.to_string())?;
                    &[][..]
                }
                WireType::SixtyFourBit => self.take(8)?,
                WireType::ThirtyTwoBit => self.take(4)?,
                WireType::LengthDelimited => {
                    let len = decode_varint(&mut self.buf).map_err(|e| e.to_string())?;
                    self.take(len)?
                }
                WireType::StartGroup | WireType::EndGroup => {
                    return Err("groups are not part of OTLP".to_string());
                }
            };
            Ok((number, wire, data))
        }
    }

    fn fields(buf: &[u8]) -> Fields<'_> {
        Fields { buf }
    }

    /// The bytes of a length-delimited field, or the error of a wrong wire type.
    fn nested(number: u32, wire: WireType, data: &[u8]) -> Result<&[u8]> {
        if wire == WireType::LengthDelimited {
            Ok(data)
        } else {
            Err(format!(
                "field {number} has wire type {wire:?}, not length-delimited"
            ))
        }
    }

    fn raw(out: &mut Bounded, text: &str) -> Result<()> {
        out.write_all(text.as_bytes()).map_err(|e| e.to_string())
    }

    fn json<T: Serialize>(out: &mut Bounded, value: &T) -> Result<()> {
        serde_json::to_writer(&mut *out, value).map_err(|e| e.to_string())
    }

    /// The JSON names of a signal's levels: request, resource, scope, items.
    fn names(signal: Signal) -> [&'static str; 3] {
        match signal {
            Signal::Traces => ["resourceSpans", "scopeSpans", "spans"],
            Signal::Metrics => ["resourceMetrics", "scopeMetrics", "metrics"],
            Signal::Logs => ["resourceLogs", "scopeLogs", "logRecords"],
        }
    }

    /// `Export*ServiceRequest`: field 1, the resources.
    pub(super) fn request(signal: Signal, bytes: &[u8], out: &mut Bounded) -> Result<()> {
        let [top, _, _] = names(signal);
        raw(out, &format!("{{\"{top}\":["))?;
        let mut first = true;
        for field in fields(bytes) {
            let (number, wire, data) = field?;
            if number == 1 {
                if !first {
                    raw(out, ",")?;
                }
                first = false;
                level(signal, 1, nested(number, wire, data)?, out)?;
            }
        }
        raw(out, "]}")
    }

    /// A resource (depth 1) or a scope (depth 2): field 1 its description, field 2
    /// the next level's list, field 3 `schemaUrl`. A description written in
    /// several pieces is merged, as protobuf merges a repeated singular message.
    fn level(signal: Signal, depth: usize, bytes: &[u8], out: &mut Bounded) -> Result<()> {
        let mut about: Vec<u8> = Vec::new();
        let mut has_about = false;
        let mut schema_url = String::new();
        for field in fields(bytes) {
            let (number, wire, data) = field?;
            match number {
                1 => {
                    about.extend_from_slice(nested(number, wire, data)?);
                    has_about = true;
                }
                3 => {
                    schema_url = std::str::from_utf8(nested(number, wire, data)?)
                        .map_err(|_| "`schemaUrl` is not UTF-8".to_string())?
                        .to_string();
                }
                _ => {}
            }
        }
        let [_, scopes, items] = names(signal);
        let (about_name, list_name) = if depth == 1 {
            ("resource", scopes)
        } else {
            ("scope", items)
        };
        raw(out, &format!("{{\"{about_name}\":"))?;
        match (has_about, depth) {
            (false, _) => raw(out, "null")?,
            (true, 1) => json(
                out,
                &Resource::decode(&about[..]).map_err(|e| e.to_string())?,
            )?,
            (true, _) => json(
                out,
                &InstrumentationScope::decode(&about[..]).map_err(|e| e.to_string())?,
            )?,
        }
        raw(out, &format!(",\"{list_name}\":["))?;
        let mut first = true;
        for field in fields(bytes) {
            let (number, wire, data) = field?;
            if number != 2 {
                continue;
            }
            if !first {
                raw(out, ",")?;
            }
            first = false;
            let data = nested(number, wire, data)?;
            if depth == 1 {
                level(signal, 2, data, out)?;
            } else {
                item(signal, data, out)?;
            }
        }
        raw(out, "],\"schemaUrl\":")?;
        json(out, &schema_url)?;
        raw(out, "}")
    }

    /// One span, metric or log record, decoded and written on its own.
    fn item(signal: Signal, bytes: &[u8], out: &mut Bounded) -> Result<()> {
        let decode_error = |e: prost::DecodeError| e.to_string();
        match signal {
            Signal::Traces => json(out, &Span::decode(bytes).map_err(decode_error)?),
            Signal::Metrics => json(out, &Metric::decode(bytes).map_err(decode_error)?),
            Signal::Logs => json(out, &LogRecord::decode(bytes).map_err(decode_error)?),
        }
    }
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
        let json = |bytes: Vec<u8>, gzip: Gzip, inflated: u64| {
            let limits = Limits { inflated, json: 1 };
            decode(
                bytes,
                EndpointId::Verify,
                Encoding::Json,
                gzip,
                &limits,
                "b",
            )
        };
        let body = json(gz.clone(), Gzip::Detect, 20_000).unwrap();
        assert!(body.gzip);
        assert_eq!(body.decoded_len, 10_002);
        let err = json(gz.clone(), Gzip::Detect, 100).unwrap_err();
        assert!(
            err.to_string().contains("inflates to more than 100 bytes"),
            "{err}"
        );
        let err = json(b"{}".to_vec(), Gzip::Required, 100).unwrap_err();
        assert!(err.to_string().contains("not gzip-compressed"), "{err}");
        // Garbage after the stream is refused; a second member is read too.
        let garbage = [&gz[..], b"trailing garbage"].concat();
        let err = json(garbage, Gzip::Detect, 20_000).unwrap_err();
        assert!(err.to_string().contains("not valid gzip"), "{err}");
        let twice = json([&gz[..], &gz[..]].concat(), Gzip::Detect, 40_000).unwrap();
        assert_eq!(twice.decoded_len, 20_004);
    }

    /// Every real protobuf body of the exporter corpus: the streamed JSON is the
    /// JSON of the whole request, decoded at once.
    #[test]
    fn streaming_gives_the_whole_requests_json() {
        use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
        use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
        use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
        use prost::Message;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/exporters");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if !name.ends_with(".pb") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let (endpoint, whole) = if name.contains("-traces-") {
                let r = ExportTraceServiceRequest::decode(&bytes[..]).unwrap();
                (EndpointId::Traces, serde_json::to_value(r).unwrap())
            } else if name.contains("-metrics-") {
                let r = ExportMetricsServiceRequest::decode(&bytes[..]).unwrap();
                (EndpointId::Metrics, serde_json::to_value(r).unwrap())
            } else {
                let r = ExportLogsServiceRequest::decode(&bytes[..]).unwrap();
                (EndpointId::Logs, serde_json::to_value(r).unwrap())
            };
            let body = decode(
                bytes,
                endpoint,
                Encoding::Protobuf,
                Gzip::Detect,
                &Limits::default(),
                &name,
            )
            .unwrap();
            let streamed: serde_json::Value = serde_json::from_str(&body.json).unwrap();
            assert_eq!(streamed, whole, "{name}");
            checked += 1;
        }
        assert!(checked >= 12, "{checked} protobuf bodies");
    }

    #[test]
    fn a_million_empty_spans_stay_within_the_json_cap() {
        // ResourceSpans { ScopeSpans { 2 MB of empty spans } }, as issue 10 found it.
        let spans: Vec<u8> = [0x12u8, 0x00].repeat(1_000_000);
        let wrap = |field: u8, inner: &[u8]| {
            let mut out = vec![field];
            prost::encoding::encode_varint(inner.len() as u64, &mut out);
            out.extend_from_slice(inner);
            out
        };
        let scope_spans = wrap(0x12, &spans);
        let resource_spans = wrap(0x0a, &scope_spans);
        let limits = Limits {
            inflated: 1 << 30,
            json: 64 * 1024 * 1024,
        };
        let err = decode(
            resource_spans,
            EndpointId::Traces,
            Encoding::Protobuf,
            Gzip::Detect,
            &limits,
            "p",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("more than 64 MiB of OTLP/JSON"),
            "{err}"
        );
    }

    #[test]
    fn protobuf_becomes_otlp_json_within_its_cap() {
        use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
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
