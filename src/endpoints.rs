//! The catalogue of Beacon endpoints: the one place that knows all six.
//!
//! Facts from LangSmith's egress documentation ("Egress for billing and
//! operational telemetry") and the LangSmith Helm chart.

use serde::Serialize;
use url::Url;

/// The Beacon base URL when nothing overrides it.
pub const DEFAULT_BEACON_URL: &str = "https://beacon.langchain.com";

/// Whether `host` is LangChain's own: `langchain.com` or one of its subdomains, in
/// any case, with or without the root's trailing dot.
pub fn is_langchain_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "langchain.com" || host.ends_with(".langchain.com")
}

/// The six endpoints by name. Matches on it are exhaustive: a new endpoint is a
/// compile error wherever it is not handled yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EndpointId {
    /// License verification.
    Verify,
    /// Usage reporting: trace transactions.
    IngestTraces,
    /// OTLP metrics.
    Metrics,
    /// OTLP traces.
    Traces,
    /// OTLP logs.
    Logs,
    /// Daily usage snapshots.
    UsageSnapshot,
}

impl EndpointId {
    /// Every endpoint, in the order the documentation lists them.
    pub const ALL: [EndpointId; 6] = [
        EndpointId::Verify,
        EndpointId::IngestTraces,
        EndpointId::Metrics,
        EndpointId::Traces,
        EndpointId::Logs,
        EndpointId::UsageSnapshot,
    ];

    /// The id used on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointId::Verify => "verify",
            EndpointId::IngestTraces => "ingest-traces",
            EndpointId::Metrics => "metrics",
            EndpointId::Traces => "traces",
            EndpointId::Logs => "logs",
            EndpointId::UsageSnapshot => "usage-snapshot",
        }
    }

    /// Its entry in the catalogue.
    pub fn spec(self) -> &'static Endpoint {
        let spec = &ENDPOINTS[self as usize];
        debug_assert_eq!(spec.id, self);
        spec
    }

    /// The OTLP signal it carries, for the three operational endpoints.
    pub fn signal(self) -> Option<Signal> {
        match self {
            EndpointId::Metrics => Some(Signal::Metrics),
            EndpointId::Traces => Some(Signal::Traces),
            EndpointId::Logs => Some(Signal::Logs),
            EndpointId::Verify | EndpointId::IngestTraces | EndpointId::UsageSnapshot => None,
        }
    }
}

impl std::fmt::Display for EndpointId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OTLP signal: what the operational endpoints carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// `ExportMetricsServiceRequest`.
    Metrics,
    /// `ExportTraceServiceRequest`.
    Traces,
    /// `ExportLogsServiceRequest`.
    Logs,
}

impl Signal {
    /// The protobuf message a request carries.
    pub fn request_message(self) -> &'static str {
        match self {
            Signal::Metrics => "ExportMetricsServiceRequest",
            Signal::Traces => "ExportTraceServiceRequest",
            Signal::Logs => "ExportLogsServiceRequest",
        }
    }

    /// The `partialSuccess` field that counts what the receiver rejected, and the
    /// noun for those items.
    pub fn rejected(self) -> (&'static str, &'static str) {
        match self {
            Signal::Metrics => ("rejectedDataPoints", "data point"),
            Signal::Traces => ("rejectedSpans", "span"),
            Signal::Logs => ("rejectedLogRecords", "log record"),
        }
    }
}

/// What an endpoint's traffic is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// License verification and usage reporting: required.
    Billing,
    /// OTLP metrics, traces and logs for troubleshooting: on by default.
    Operational,
    /// Daily aggregated usage counts.
    Usage,
}

impl Class {
    /// The name used in tables and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Billing => "billing",
            Class::Operational => "operational",
            Class::Usage => "usage",
        }
    }
}

/// What turns an endpoint on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Always on; only an offline license avoids it.
    AlwaysOn,
    /// A chart key under `config.telemetry`, which the chart turns into an
    /// environment variable that a `commonEnv` entry of the same name overrides.
    Telemetry {
        /// The key under `config.telemetry`.
        key: &'static str,
        /// The environment variable the chart sets from it.
        env: &'static str,
    },
    /// Only a `commonEnv` variable; unset means the server's default.
    EnvOnly {
        /// The variable.
        env: &'static str,
    },
}

/// One Beacon endpoint.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    /// Which one.
    pub id: EndpointId,
    /// The HTTP method.
    pub method: &'static str,
    /// The path under the Beacon base URL.
    pub path: &'static str,
    /// What the traffic is for.
    pub class: Class,
    /// What turns it on or off.
    pub control: Control,
    /// The body field that carries the license key, if any.
    pub license_field: Option<&'static str>,
    /// Which version of the egress documentation first lists it.
    pub documented_since: &'static str,
    /// The request body as the documentation publishes it, byte for byte.
    pub sample_request: &'static str,
    /// The response as published (with its `//` comments), when one is.
    pub sample_response: Option<&'static str>,
    /// What the endpoint answers, in words.
    pub response_note: &'static str,
    /// Where the published request sample is not valid for its protocol.
    pub defects: &'static [Defect],
}

/// A defect of a published sample: where, and what is wrong.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Defect {
    /// A stable short code.
    pub code: &'static str,
    /// A JSON pointer into the sample.
    pub pointer: &'static str,
    /// What is wrong.
    pub message: &'static str,
}

/// The counts a usage snapshot reports, as documented.
pub const USAGE_MEASURES: &[&str] = &[
    "workspaces",
    "users",
    "projects",
    "experiments",
    "datasets",
    "evaluators",
    "run_rules",
    "annotation_queues",
    "prompts",
    "prompt_commits",
    "prompt_pulls",
    "active_pats_30d",
];

/// The license placeholder in the published samples.
pub const LICENSE_PLACEHOLDER: &str = "<YOUR_LICENSE_KEY>";

macro_rules! sample {
    ($name:literal) => {
        include_str!(concat!("../fixtures/samples/", $name))
    };
}

const TRACES_DEFECTS: &[Defect] = &[
    Defect {
        code: "span-id-length",
        pointer: "/resourceSpans/0/scopeSpans/0/spans/0/spanId",
        message: "`3c191d03fa8be0` is 14 hex digits (7 bytes); OTLP span ids are 8 bytes (16 hex digits)",
    },
    Defect {
        code: "span-id-not-hex",
        pointer: "/resourceSpans/0/scopeSpans/0/spans/1/spanId",
        message: "`0932ksdka12345` is not hex; OTLP span ids are 8 bytes written as 16 hex digits",
    },
    Defect {
        code: "span-id-length",
        pointer: "/resourceSpans/0/scopeSpans/0/spans/1/parentSpanId",
        message: "`3c191d03fa8be0` is 14 hex digits (7 bytes); OTLP span ids are 8 bytes (16 hex digits)",
    },
];

const METRICS_DEFECTS: &[Defect] = &[
    Defect {
        code: "non-ucum-unit",
        pointer: "/resourceMetrics/0/scopeMetrics/0/metrics/0/unit",
        message: "unit `seconds` is not UCUM; OTLP units are UCUM codes such as `s`",
    },
    Defect {
        code: "int64-as-number",
        pointer: "/resourceMetrics/0/scopeMetrics/0/metrics/0/gauge/dataPoints/0/startTimeUnixNano",
        message: "a nanosecond time written as a bare JSON number above 2^53: JavaScript-based decoders lose precision; OTLP/JSON writes 64-bit integers as strings",
    },
    Defect {
        code: "int64-as-number",
        pointer: "/resourceMetrics/0/scopeMetrics/0/metrics/0/gauge/dataPoints/0/timeUnixNano",
        message: "a nanosecond time written as a bare JSON number above 2^53: JavaScript-based decoders lose precision; OTLP/JSON writes 64-bit integers as strings",
    },
    Defect {
        code: "int64-as-number",
        pointer: "/resourceMetrics/0/scopeMetrics/0/metrics/1/sum/dataPoints/0/startTimeUnixNano",
        message: "a nanosecond time written as a bare JSON number above 2^53: JavaScript-based decoders lose precision; OTLP/JSON writes 64-bit integers as strings",
    },
    Defect {
        code: "int64-as-number",
        pointer: "/resourceMetrics/0/scopeMetrics/0/metrics/1/sum/dataPoints/0/timeUnixNano",
        message: "a nanosecond time written as a bare JSON number above 2^53: JavaScript-based decoders lose precision; OTLP/JSON writes 64-bit integers as strings",
    },
    Defect {
        code: "int64-as-number",
        pointer: "/resourceMetrics/0/scopeMetrics/0/metrics/1/sum/dataPoints/0/asInt",
        message: "`asInt` written as a bare JSON number; OTLP/JSON writes 64-bit integers as strings (decoders accept numbers too)",
    },
    Defect {
        code: "sum-field-misplaced",
        pointer: "/resourceMetrics/0/scopeMetrics/0/metrics/1/sum/dataPoints/0/aggregationTemporality",
        message: "`aggregationTemporality` belongs to the `sum`, not to its data point: a conforming receiver ignores it here",
    },
    Defect {
        code: "sum-field-misplaced",
        pointer: "/resourceMetrics/0/scopeMetrics/0/metrics/1/sum/dataPoints/0/isMonotonic",
        message: "`isMonotonic` belongs to the `sum`, not to its data point: a conforming receiver ignores it here",
    },
    Defect {
        code: "sum-without-temporality",
        pointer: "/resourceMetrics/0/scopeMetrics/0/metrics/1/sum",
        message: "the sum has no `aggregationTemporality`, so receivers cannot tell delta from cumulative",
    },
];

const LOGS_DEFECTS: &[Defect] = &[Defect {
    code: "log-not-error",
    pointer: "/resourceLogs/0/scopeLogs/0/logRecords/0/severityNumber",
    message: "severity 13 is a warning, though the documentation says only errors are exported",
}];

/// The defect of the two published responses: they are not JSON.
pub const RESPONSE_DEFECT: &str =
    "the published response carries `//` comments, which JSON does not allow";

/// All six endpoints, in the order the documentation lists them.
pub const ENDPOINTS: [Endpoint; 6] = [
    Endpoint {
        id: EndpointId::Verify,
        method: "POST",
        path: "/v1/beacon/verify",
        class: Class::Billing,
        control: Control::AlwaysOn,
        license_field: Some("license"),
        documented_since: "2025-01",
        sample_request: sample!("verify.request.json"),
        sample_response: Some(sample!("verify.response.jsonc")),
        response_note: "200 with a short-lived JWT: {\"token\": \"...\"}",
        defects: &[],
    },
    Endpoint {
        id: EndpointId::IngestTraces,
        method: "POST",
        path: "/v1/beacon/ingest-traces",
        class: Class::Billing,
        control: Control::AlwaysOn,
        license_field: Some("license"),
        documented_since: "2025-01",
        sample_request: sample!("ingest-traces.request.json"),
        sample_response: Some(sample!("ingest-traces.response.jsonc")),
        response_note: "200 with the number of transactions stored: {\"inserted_count\": N}",
        defects: &[],
    },
    Endpoint {
        id: EndpointId::Metrics,
        method: "POST",
        path: "/v1/beacon/v1/metrics",
        class: Class::Operational,
        control: Control::Telemetry {
            key: "metrics",
            env: "BEACON_METRICS_ENABLED",
        },
        license_field: None,
        documented_since: "2025-07",
        sample_request: sample!("metrics.request.json"),
        sample_response: None,
        response_note: "not documented; OTLP/HTTP answers an ExportMetricsServiceResponse, which may carry partialSuccess",
        defects: METRICS_DEFECTS,
    },
    Endpoint {
        id: EndpointId::Traces,
        method: "POST",
        path: "/v1/beacon/v1/traces",
        class: Class::Operational,
        control: Control::Telemetry {
            key: "traces",
            env: "BEACON_TRACING_ENABLED",
        },
        license_field: None,
        documented_since: "2025-07",
        sample_request: sample!("traces.request.json"),
        sample_response: None,
        response_note: "not documented; OTLP/HTTP answers an ExportTraceServiceResponse, which may carry partialSuccess",
        defects: TRACES_DEFECTS,
    },
    Endpoint {
        id: EndpointId::Logs,
        method: "POST",
        path: "/v1/beacon/v1/logs",
        class: Class::Operational,
        control: Control::Telemetry {
            key: "logs",
            env: "BEACON_LOGGING_ENABLED",
        },
        license_field: None,
        documented_since: "2026",
        sample_request: sample!("logs.request.json"),
        sample_response: None,
        response_note: "not documented; OTLP/HTTP answers an ExportLogsServiceResponse, which may carry partialSuccess",
        defects: LOGS_DEFECTS,
    },
    Endpoint {
        id: EndpointId::UsageSnapshot,
        method: "POST",
        path: "/v1/beacon/usage-snapshot",
        class: Class::Usage,
        control: Control::EnvOnly {
            env: "PHONE_HOME_USAGE_REPORTING_ENABLED",
        },
        license_field: Some("license_key"),
        documented_since: "2026-03",
        sample_request: sample!("usage-snapshot.request.json"),
        sample_response: None,
        response_note: "204 No Content (per LangSmith's OpenAPI)",
        defects: &[],
    },
];

/// The endpoint a request path is for, whatever base path comes before it
/// (`/v1/beacon/verify`, `/some/prefix/v1/beacon/verify`, a trailing `/` or not),
/// with that base path. `None` for a path that is no Beacon endpoint.
pub fn by_path(path: &str) -> Option<(EndpointId, &str)> {
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    ENDPOINTS
        .iter()
        .find_map(|e| trimmed.strip_suffix(e.path).map(|prefix| (e.id, prefix)))
}

/// The endpoint's URL under a base URL: the endpoint path appended to whatever
/// path the base has, with exactly one `/` between them.
pub fn url(base: &Url, id: EndpointId) -> Url {
    let mut url = base.clone();
    let path = format!("{}{}", base.path().trim_end_matches('/'), id.spec().path);
    url.set_path(&path);
    url
}

/// The same, for a base URL given as text (from the values), as text.
pub fn join_url(base: &str, path: &str) -> String {
    format!("{}{}", base.trim_end_matches('/'), path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_paths_absolute() {
        let mut ids: Vec<_> = EndpointId::ALL.map(EndpointId::as_str).to_vec();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), ENDPOINTS.len());
        assert!(ENDPOINTS.iter().all(|e| e.path.starts_with("/v1/beacon/")));
        for id in EndpointId::ALL {
            assert_eq!(id.spec().id, id);
            assert_eq!(
                serde_json::to_value(id).unwrap(),
                serde_json::json!(id.as_str())
            );
        }
    }

    #[test]
    fn requests_are_found_by_path_under_any_base() {
        for id in EndpointId::ALL {
            let path = id.spec().path;
            assert_eq!(by_path(path), Some((id, "")));
            assert_eq!(
                by_path(&format!("/some/prefix{path}/")),
                Some((id, "/some/prefix"))
            );
        }
        assert_eq!(by_path("/v1/beacon/nothing"), None);
        assert_eq!(by_path("/"), None);
    }

    #[test]
    fn samples_are_embedded_and_defects_point_into_them() {
        for endpoint in &ENDPOINTS {
            let value: serde_json::Value = serde_json::from_str(endpoint.sample_request)
                .unwrap_or_else(|e| panic!("{}: {e}", endpoint.id));
            for defect in endpoint.defects {
                assert!(
                    value.pointer(defect.pointer).is_some(),
                    "{}: {} points nowhere",
                    endpoint.id,
                    defect.pointer
                );
            }
            if let Some(field) = endpoint.license_field {
                assert_eq!(value[field], LICENSE_PLACEHOLDER, "{}", endpoint.id);
            }
        }
    }

    #[test]
    fn urls_join_with_one_slash() {
        let base = Url::parse("https://gw.corp/beacon/").unwrap();
        assert_eq!(
            url(&base, EndpointId::Verify).as_str(),
            "https://gw.corp/beacon/v1/beacon/verify"
        );
        assert_eq!(
            join_url("https://beacon.langchain.com/", "/v1/beacon/verify"),
            "https://beacon.langchain.com/v1/beacon/verify"
        );
    }
}
