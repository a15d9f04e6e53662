//! Request bodies: the published samples, valid synthetic payloads of the same
//! shape, and the license placeholder.
//!
//! Synthetic payloads follow the OTLP/JSON encoding (open-telemetry/opentelemetry-proto
//! `docs/specification.md`, "JSON Protobuf Encoding"): hex ids of the right length,
//! 64-bit integers as decimal strings, integer enums, and `aggregationTemporality`
//! and `isMonotonic` on the `sum` itself.

use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::endpoints::{EndpointId, LICENSE_PLACEHOLDER, USAGE_MEASURES};

/// The clock of a seeded run, so `--seed` gives the same bytes every time.
pub const SEEDED_NOW: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

/// Puts the license in place of every `"<YOUR_LICENSE_KEY>"` JSON string.
/// Returns the new body and whether anything was replaced.
pub fn fill_license(body: &str, license: &str) -> (String, bool) {
    let placeholder = format!("\"{LICENSE_PLACEHOLDER}\"");
    if !body.contains(&placeholder) {
        return (body.to_string(), false);
    }
    let quoted = serde_json::to_string(license).expect("a string always serialises");
    (body.replace(&placeholder, &quoted), true)
}

/// The JSON in a JSONC text: `//` and `/* */` comments outside strings removed.
pub fn strip_jsonc_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => {
                    if let Some(next) = chars.next() {
                        out.push(next);
                    }
                }
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                for skipped in chars.by_ref() {
                    if skipped == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut last = ' ';
                for skipped in chars.by_ref() {
                    if last == '*' && skipped == '/' {
                        break;
                    }
                    last = skipped;
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// The resource attributes an OpenTelemetry SDK sets itself (semantic conventions,
/// `telemetry.sdk.*`), for LangSmith's backend, which is Python.
const SDK_ATTRIBUTES: [(&str, &str); 3] = [
    ("telemetry.sdk.language", "python"),
    ("telemetry.sdk.name", "opentelemetry"),
    ("telemetry.sdk.version", "1.39.1"),
];

/// Makes valid payloads of the same shape as the published samples, written as a
/// real SDK's exporter writes them (issue 12): `service.name` and `telemetry.sdk.*`
/// on the resource, a named scope, span kinds, distinct start and end times, no
/// start time on a gauge, `observedTimeUnixNano` on log records.
#[derive(Debug)]
pub struct Synthesizer {
    seed: Option<u64>,
    rng: fastrand::Rng,
    now: OffsetDateTime,
}

impl Synthesizer {
    /// With a seed, ids and the clock are fixed (`SEEDED_NOW`); without, both are fresh.
    pub fn new(seed: Option<u64>) -> Self {
        let now = match seed {
            Some(_) => OffsetDateTime::from_unix_timestamp(SEEDED_NOW).expect("a valid time"),
            None => OffsetDateTime::now_utc(),
        };
        Self {
            seed,
            rng: fastrand::Rng::new(),
            now,
        }
    }

    /// A synthetic body for `endpoint`, pretty-printed as the samples are, with the
    /// license placeholder where the license goes.
    ///
    /// Each endpoint draws from a random stream of its own (with a seed: the seed
    /// mixed with the endpoint), so the traces and logs bodies of one seed never share
    /// an id, and an endpoint's body is the same alone or among all of them.
    pub fn body(&mut self, endpoint: EndpointId) -> String {
        if let Some(seed) = self.seed {
            self.rng = fastrand::Rng::with_seed(stream_seed(seed, endpoint));
        }
        let value = match endpoint {
            EndpointId::Verify => json!({ "license": LICENSE_PLACEHOLDER }),
            EndpointId::IngestTraces => self.ingest_traces(),
            EndpointId::UsageSnapshot => self.usage_snapshot(),
            EndpointId::Metrics => self.metrics(),
            EndpointId::Traces => self.traces(),
            EndpointId::Logs => self.logs(),
        };
        let mut text = serde_json::to_string_pretty(&value).expect("JSON values serialise");
        text.push('\n');
        text
    }

    /// `bytes` random bytes as hex, never all zero (an invalid OTLP id).
    fn hex_id(&mut self, bytes: usize) -> String {
        loop {
            let raw: Vec<u8> = (0..bytes).map(|_| self.rng.u8(..)).collect();
            if raw.iter().any(|&b| b != 0) {
                return const_hex::encode(raw);
            }
        }
    }

    fn uuid(&mut self) -> String {
        let mut bytes = [0u8; 16];
        self.rng.fill(&mut bytes);
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .hyphenated()
            .to_string()
    }

    /// Unix nanoseconds, `seconds_ago` before now, as the decimal string OTLP wants.
    fn nanos(&self, seconds_ago: i64) -> String {
        self.nanos_ms(seconds_ago * 1000)
    }

    /// Unix nanoseconds, `ms_ago` milliseconds before now, as a decimal string.
    fn nanos_ms(&self, ms_ago: i64) -> String {
        let t = self.now - time::Duration::milliseconds(ms_ago);
        t.unix_timestamp_nanos().to_string()
    }

    /// RFC 3339 with a `Z`, `seconds_ago` before now, to whole seconds.
    fn rfc3339(&self, seconds_ago: i64) -> String {
        let t = self.now - time::Duration::seconds(seconds_ago);
        let t = t.replace_nanosecond(0).expect("zero is a valid nanosecond");
        t.format(&time::format_description::well_known::Rfc3339)
            .expect("UTC times format as RFC 3339")
    }

    fn ingest_traces(&mut self) -> Value {
        json!({
            "license": LICENSE_PLACEHOLDER,
            "trace_transactions": [{
                "id": self.uuid(),
                "tenant_id": self.uuid(),
                "session_id": self.uuid(),
                "trace_count": self.rng.u32(1..1000),
                "start_insertion_time": self.rfc3339(3600),
                "end_insertion_time": self.rfc3339(0),
                "start_interval_time": self.rfc3339(7200),
                "end_interval_time": self.rfc3339(3600),
                "status": "completed",
                "num_failed_send_attempts": 0,
                "transaction_type": "type1",
                "organization_id": self.uuid(),
            }]
        })
    }

    fn usage_snapshot(&mut self) -> Value {
        // The documented window: one day, ending at the last 02:00 UTC.
        let today = self
            .now
            .replace_time(time::Time::from_hms(2, 0, 0).expect("valid time"));
        let to = if today > self.now {
            today - time::Duration::days(1)
        } else {
            today
        };
        let from = to - time::Duration::days(1);
        let stamp = |t: OffsetDateTime| {
            format!(
                "{:04}-{:02}-{:02}T{:02}:00:00+00:00",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour()
            )
        };
        let mut measures = serde_json::Map::new();
        for key in USAGE_MEASURES {
            measures.insert((*key).to_string(), json!(self.rng.u32(0..2000)));
        }
        json!({
            "license_key": LICENSE_PLACEHOLDER,
            "from_timestamp": stamp(from),
            "to_timestamp": stamp(to),
            "measures": measures,
        })
    }

    fn metrics(&mut self) -> Value {
        let attrs = |endpoint: &str, method: &str, service: &str| {
            json!([
                { "key": "endpoint", "value": { "stringValue": endpoint } },
                { "key": "method", "value": { "stringValue": method } },
                { "key": "service_name", "value": { "stringValue": service } }
            ])
        };
        json!({
            "resourceMetrics": [{
                "resource": resource(&[
                    ("resource.name", "langsmith-metrics"),
                    ("env", "ls_self_hosted"),
                ]),
                "scopeMetrics": [{
                    "scope": { "name": "langsmith.metrics", "version": "0.1.0" },
                    "metrics": [
                        {
                            "name": "langsmith_http_requests_latency",
                            "unit": "s",
                            "description": "Request latency of LangSmith services",
                            // A gauge has no start time (metrics.proto: "Gauge
                            // ... the start time is not used"): SDKs leave it out.
                            "gauge": {
                                "dataPoints": [{
                                    "asDouble": f64::from(self.rng.u32(1..100_000)) / 1000.0,
                                    "timeUnixNano": self.nanos(0),
                                    "attributes": attrs("/sessions", "GET", "langsmith_backend")
                                }]
                            }
                        },
                        {
                            "name": "langsmith_http_requests_failed",
                            "unit": "1",
                            "description": "Counter of failed requests for LangSmith services",
                            "sum": {
                                "dataPoints": [{
                                    "asInt": self.rng.u32(0..10_000).to_string(),
                                    "startTimeUnixNano": self.nanos(60),
                                    "timeUnixNano": self.nanos(0),
                                    "attributes": attrs("/info", "POST", "langsmith_platform_backend")
                                }],
                                "aggregationTemporality": 2,
                                "isMonotonic": true
                            }
                        }
                    ]
                }]
            }]
        })
    }

    fn traces(&mut self) -> Value {
        let trace_id = self.hex_id(16);
        let root = self.hex_id(8);
        let child = self.hex_id(8);
        // The child runs inside the root, and every time differs, as a real clock's do.
        let jitter = [0..100, 0..200, 0..100].map(|ms| i64::from(self.rng.u32(ms)));
        let (root_start, child_start, event, child_end, root_end) = (
            self.nanos_ms(2000 - jitter[0]),
            self.nanos_ms(1800),
            self.nanos_ms(1700),
            self.nanos_ms(1250 - jitter[1]),
            self.nanos_ms(1000 - jitter[2]),
        );
        json!({
            "resourceSpans": [{
                "resource": resource(&[("env", "ls_self_hosted")]),
                "scopeSpans": [{
                    "scope": { "name": "langsmith.tracing", "version": "0.1.0" },
                    "spans": [
                        {
                            "traceId": trace_id,
                            "spanId": root,
                            "parentSpanId": "",
                            "name": "receive_request",
                            "kind": 2,
                            "startTimeUnixNano": root_start,
                            "endTimeUnixNano": root_end,
                            "droppedAttributesCount": 1,
                            "events": [
                                {
                                    "timeUnixNano": event,
                                    "name": "parse_request",
                                    "attributes": [
                                        { "key": "request_size", "value": { "stringValue": "100" } }
                                    ],
                                    "droppedAttributesCount": 2
                                },
                                {
                                    "timeUnixNano": child_end,
                                    "name": "event",
                                    "droppedAttributesCount": 2
                                }
                            ],
                            "droppedEventsCount": 1,
                            "status": { "message": "status-cancelled", "code": 2 }
                        },
                        {
                            "traceId": trace_id,
                            "spanId": child,
                            "parentSpanId": root,
                            "name": "process_request",
                            "kind": 1,
                            "startTimeUnixNano": child_start,
                            "endTimeUnixNano": child_end,
                            "links": [],
                            "droppedLinksCount": 3,
                            "status": {}
                        }
                    ]
                }]
            }]
        })
    }

    fn logs(&mut self) -> Value {
        json!({
            "resourceLogs": [{
                "resource": resource(&[]),
                "scopeLogs": [{
                    "scope": { "name": "langsmith.logging", "version": "0.1.0" },
                    "logRecords": [
                        {
                            "timeUnixNano": self.nanos_ms(2000),
                            // logs.proto: observed_time_unix_nano MUST be set
                            // (by the SDK, when it receives the record).
                            "observedTimeUnixNano": self.nanos_ms(1999),
                            "severityNumber": 17,
                            "severityText": "Error",
                            "body": { "stringValue": "Database connection pool exhausted" },
                            "attributes": [
                                { "key": "component", "value": { "stringValue": "langsmith_backend" } },
                                { "key": "pool_size", "value": { "intValue": self.rng.u32(1..200).to_string() } }
                            ],
                            "droppedAttributesCount": 0,
                            "traceId": self.hex_id(16),
                            "spanId": self.hex_id(8)
                        },
                        {
                            "timeUnixNano": self.nanos_ms(1000),
                            "observedTimeUnixNano": self.nanos_ms(999),
                            "severityNumber": 17,
                            "severityText": "Error",
                            "body": { "stringValue": "Failed to process trace batch" },
                            "attributes": [
                                { "key": "component", "value": { "stringValue": "langsmith_queue_worker" } },
                                { "key": "error_type", "value": { "stringValue": "timeout" } }
                            ],
                            "droppedAttributesCount": 0,
                            "traceId": "",
                            "spanId": ""
                        }
                    ]
                }]
            }]
        })
    }
}

/// A resource as an SDK writes it: `service.name`, then `extra`, then the SDK's own
/// `telemetry.sdk.*` attributes.
fn resource(extra: &[(&str, &str)]) -> Value {
    let attributes: Vec<Value> = [("service.name", "langsmith_backend")]
        .iter()
        .chain(extra)
        .chain(&SDK_ATTRIBUTES)
        .map(|(key, value)| json!({ "key": key, "value": { "stringValue": value } }))
        .collect();
    json!({ "attributes": attributes })
}

/// The seed of `endpoint`'s own random stream: the user's seed and the endpoint
/// mixed by splitmix64's finaliser, so nearby seeds give unrelated streams.
fn stream_seed(seed: u64, endpoint: EndpointId) -> u64 {
    let mut z = seed ^ (endpoint as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoints::ENDPOINTS;

    #[test]
    fn the_license_fills_every_placeholder_and_is_json_escaped() {
        let (body, filled) = fill_license("{\"license\": \"<YOUR_LICENSE_KEY>\"}", "a\"b");
        assert!(filled);
        assert_eq!(body, "{\"license\": \"a\\\"b\"}");
        let (same, filled) = fill_license("{\"x\": 1}", "k");
        assert!(!filled);
        assert_eq!(same, "{\"x\": 1}");
    }

    #[test]
    fn jsonc_comments_go_and_urls_in_strings_stay() {
        let text = "{\n  \"token\": \"https://x//y\" //Short-lived\n  /* block */ }";
        let value: Value = serde_json::from_str(&strip_jsonc_comments(text)).unwrap();
        assert_eq!(value["token"], "https://x//y");
        for endpoint in &ENDPOINTS {
            if let Some(response) = endpoint.sample_response {
                assert!(serde_json::from_str::<Value>(response).is_err());
                let stripped: Value =
                    serde_json::from_str(&strip_jsonc_comments(response)).unwrap();
                assert!(stripped.is_object());
            }
        }
    }

    #[test]
    fn a_seed_gives_the_same_bytes_and_no_seed_does_not() {
        for endpoint in EndpointId::ALL {
            let a = Synthesizer::new(Some(7)).body(endpoint);
            let b = Synthesizer::new(Some(7)).body(endpoint);
            assert_eq!(a, b, "{endpoint}");
            serde_json::from_str::<Value>(&a).unwrap();
        }
        let traces = EndpointId::Traces;
        assert_ne!(
            Synthesizer::new(None).body(traces),
            Synthesizer::new(None).body(traces)
        );
    }

    #[test]
    fn synthetic_billing_payloads_have_uuids_and_rfc3339_times() {
        let mut synth = Synthesizer::new(Some(1));
        let body: Value = serde_json::from_str(&synth.body(EndpointId::IngestTraces)).unwrap();
        let tx = &body["trace_transactions"][0];
        for key in ["id", "tenant_id", "session_id", "organization_id"] {
            uuid::Uuid::parse_str(tx[key].as_str().unwrap()).unwrap();
        }
        for key in ["start_insertion_time", "end_interval_time"] {
            OffsetDateTime::parse(
                tx[key].as_str().unwrap(),
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap();
        }
        let usage: Value = serde_json::from_str(&synth.body(EndpointId::UsageSnapshot)).unwrap();
        assert_eq!(usage["from_timestamp"], "2025-12-30T02:00:00+00:00");
        assert_eq!(usage["to_timestamp"], "2025-12-31T02:00:00+00:00");
        assert_eq!(usage["measures"].as_object().unwrap().len(), 12);
    }
}
