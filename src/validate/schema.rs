//! The shapes the validator knows: the OTLP messages of the three operational
//! endpoints (opentelemetry-proto v1, field names in lowerCamelCase as the
//! OTLP/JSON encoding writes them) and the three documented billing payloads.

use crate::endpoints::{EndpointId, USAGE_MEASURES};

/// What a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// A nested message.
    Msg(&'static Msg),
    /// A list of messages.
    List(&'static Msg),
    /// A string.
    Str,
    /// A string a person may have written: scanned for personal data.
    Text,
    /// A list of strings.
    StrList,
    /// A trace id: 16 bytes in hex. `optional` ids may be empty.
    TraceId { optional: bool },
    /// A span id: 8 bytes in hex.
    SpanId { optional: bool },
    /// Bytes in base64 (proto3 JSON).
    Bytes,
    /// A signed 64-bit integer (`int64`, `sfixed64`): a decimal string (numbers
    /// are accepted and noted).
    Int64,
    /// An unsigned 64-bit integer (`fixed64`: times, counts), written the same way.
    Uint64,
    /// A list of unsigned 64-bit integers (`bucketCounts`).
    Uint64List,
    /// A 32-bit integer.
    Int32,
    /// A double: a number, or "NaN", "Infinity", "-Infinity".
    Double,
    /// A list of doubles.
    DoubleList,
    /// A boolean.
    Bool,
    /// An enum: an integer, the index of one of `names` (OTLP/JSON writes the
    /// number; the names are what a protobuf-style writer puts instead).
    Enum {
        name: &'static str,
        names: &'static [&'static str],
    },
    /// A metric unit: a UCUM string.
    Unit,
    /// An OTLP `AnyValue`.
    AnyValue,
    /// A UUID string.
    Uuid,
    /// An RFC 3339 time string.
    Time,
    /// A non-negative integer count, as a JSON number.
    Count,
    /// The license key.
    License,
}

/// Which checks run when a message closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// No extra checks.
    Plain,
    /// An `Export*ServiceRequest`: another signal's list here means the wrong endpoint.
    Export,
    /// A key-value pair: its key is non-empty and unique in its list.
    KeyValue,
    /// A span: ids present, parent not itself, a root's parent empty, a name,
    /// start and end times in order.
    Span,
    /// A span event: a name, and not before its span's start.
    Event,
    /// A metric: a name and one kind of data.
    Metric,
    /// A sum: temporality set; a monotonic one has no negative point.
    Sum,
    /// A histogram or exponential histogram: temporality set.
    Histogram,
    /// A number data point: a value, times in order, and `aggregationTemporality`
    /// or `isMonotonic` misplaced here.
    NumberPoint,
    /// A histogram data point: buckets, bounds, count, min and max agree.
    HistogramPoint,
    /// An exponential histogram data point: the count is its buckets' total.
    ExpHistogramPoint,
    /// An exponential histogram's positive or negative buckets.
    Buckets,
    /// A summary data point: times in order.
    SummaryPoint,
    /// A log record: a span id comes with a trace id; Beacon's policy on severity.
    LogRecord,
    /// The usage snapshot: its window runs forward.
    UsageSnapshot,
    /// The request's top level, carrying the license field.
    BillingRoot,
}

impl Kind {
    /// The data points: times in order, `timeUnixNano` set.
    pub fn is_point(self) -> bool {
        matches!(
            self,
            Kind::NumberPoint | Kind::HistogramPoint | Kind::ExpHistogramPoint | Kind::SummaryPoint
        )
    }
}

/// A message: its fields, required ones, and the checks on close.
#[derive(Debug, PartialEq, Eq)]
pub struct Msg {
    /// The name, for messages.
    pub name: &'static str,
    /// Fields by JSON name.
    pub fields: &'static [(&'static str, Ty)],
    /// Fields that must be present.
    pub required: &'static [&'static str],
    /// Checks on close.
    pub kind: Kind,
    /// True for the billing payloads, whose unknown fields are "undocumented".
    pub documented: bool,
    /// The members of the message's oneof (OTLP messages have at most one): two
    /// of them in one object is an error.
    pub oneof: &'static [&'static str],
}

impl Msg {
    /// The field's index and type.
    pub fn field(&self, name: &str) -> Option<(usize, Ty)> {
        self.fields
            .iter()
            .position(|(n, _)| *n == name)
            .map(|i| (i, self.fields[i].1))
    }
}

const fn msg(name: &'static str, fields: &'static [(&'static str, Ty)]) -> Msg {
    checked(name, Kind::Plain, fields)
}

const fn checked(name: &'static str, kind: Kind, fields: &'static [(&'static str, Ty)]) -> Msg {
    with_oneof(name, kind, fields, &[])
}

const fn with_oneof(
    name: &'static str,
    kind: Kind,
    fields: &'static [(&'static str, Ty)],
    oneof: &'static [&'static str],
) -> Msg {
    Msg {
        name,
        fields,
        required: &[],
        kind,
        documented: false,
        oneof,
    }
}

const fn billing(
    name: &'static str,
    kind: Kind,
    fields: &'static [(&'static str, Ty)],
    required: &'static [&'static str],
) -> Msg {
    Msg {
        name,
        fields,
        required,
        kind,
        documented: true,
        oneof: &[],
    }
}

// Common.
pub static KEY_VALUE: Msg = checked(
    "KeyValue",
    Kind::KeyValue,
    &[("key", Ty::Str), ("value", Ty::AnyValue)],
);
pub static ARRAY_VALUE: Msg = msg("ArrayValue", &[("values", Ty::List(&ANY_VALUE))]);
pub static KV_LIST: Msg = msg("KeyValueList", &[("values", Ty::List(&KEY_VALUE))]);
pub static ANY_VALUE: Msg = with_oneof(
    "AnyValue",
    Kind::Plain,
    &[
        ("stringValue", Ty::Text),
        ("boolValue", Ty::Bool),
        ("intValue", Ty::Int64),
        ("doubleValue", Ty::Double),
        ("arrayValue", Ty::Msg(&ARRAY_VALUE)),
        ("kvlistValue", Ty::Msg(&KV_LIST)),
        ("bytesValue", Ty::Bytes),
    ],
    &[
        "stringValue",
        "boolValue",
        "intValue",
        "doubleValue",
        "arrayValue",
        "kvlistValue",
        "bytesValue",
    ],
);
static ENTITY_REF: Msg = msg(
    "EntityRef",
    &[
        ("schemaUrl", Ty::Str),
        ("type", Ty::Str),
        ("idKeys", Ty::StrList),
        ("descriptionKeys", Ty::StrList),
    ],
);
static RESOURCE: Msg = msg(
    "Resource",
    &[
        ("attributes", Ty::List(&KEY_VALUE)),
        ("droppedAttributesCount", Ty::Int32),
        ("entityRefs", Ty::List(&ENTITY_REF)),
    ],
);
static SCOPE: Msg = msg(
    "InstrumentationScope",
    &[
        ("name", Ty::Str),
        ("version", Ty::Str),
        ("attributes", Ty::List(&KEY_VALUE)),
        ("droppedAttributesCount", Ty::Int32),
    ],
);

// Traces.
static STATUS: Msg = msg(
    "Status",
    &[
        ("message", Ty::Text),
        (
            "code",
            Ty::Enum {
                name: "StatusCode",
                names: &["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"],
            },
        ),
    ],
);
static EVENT: Msg = checked(
    "Span.Event",
    Kind::Event,
    &[
        ("timeUnixNano", Ty::Uint64),
        ("name", Ty::Text),
        ("attributes", Ty::List(&KEY_VALUE)),
        ("droppedAttributesCount", Ty::Int32),
    ],
);
static LINK: Msg = msg(
    "Span.Link",
    &[
        ("traceId", Ty::TraceId { optional: false }),
        ("spanId", Ty::SpanId { optional: false }),
        ("traceState", Ty::Str),
        ("attributes", Ty::List(&KEY_VALUE)),
        ("droppedAttributesCount", Ty::Int32),
        ("flags", Ty::Int32),
    ],
);
pub static SPAN: Msg = checked(
    "Span",
    Kind::Span,
    &[
        ("traceId", Ty::TraceId { optional: false }),
        ("spanId", Ty::SpanId { optional: false }),
        ("traceState", Ty::Str),
        ("parentSpanId", Ty::SpanId { optional: true }),
        ("flags", Ty::Int32),
        ("name", Ty::Text),
        (
            "kind",
            Ty::Enum {
                name: "SpanKind",
                names: &[
                    "SPAN_KIND_UNSPECIFIED",
                    "SPAN_KIND_INTERNAL",
                    "SPAN_KIND_SERVER",
                    "SPAN_KIND_CLIENT",
                    "SPAN_KIND_PRODUCER",
                    "SPAN_KIND_CONSUMER",
                ],
            },
        ),
        ("startTimeUnixNano", Ty::Uint64),
        ("endTimeUnixNano", Ty::Uint64),
        ("attributes", Ty::List(&KEY_VALUE)),
        ("droppedAttributesCount", Ty::Int32),
        ("events", Ty::List(&EVENT)),
        ("droppedEventsCount", Ty::Int32),
        ("links", Ty::List(&LINK)),
        ("droppedLinksCount", Ty::Int32),
        ("status", Ty::Msg(&STATUS)),
    ],
);
static SCOPE_SPANS: Msg = msg(
    "ScopeSpans",
    &[
        ("scope", Ty::Msg(&SCOPE)),
        ("spans", Ty::List(&SPAN)),
        ("schemaUrl", Ty::Str),
    ],
);
static RESOURCE_SPANS: Msg = msg(
    "ResourceSpans",
    &[
        ("resource", Ty::Msg(&RESOURCE)),
        ("scopeSpans", Ty::List(&SCOPE_SPANS)),
        ("schemaUrl", Ty::Str),
    ],
);
/// `ExportTraceServiceRequest`.
pub static TRACES: Msg = checked(
    "ExportTraceServiceRequest",
    Kind::Export,
    &[("resourceSpans", Ty::List(&RESOURCE_SPANS))],
);

// Metrics.
const TEMPORALITY: Ty = Ty::Enum {
    name: "AggregationTemporality",
    names: &[
        "AGGREGATION_TEMPORALITY_UNSPECIFIED",
        "AGGREGATION_TEMPORALITY_DELTA",
        "AGGREGATION_TEMPORALITY_CUMULATIVE",
    ],
};
static EXEMPLAR: Msg = with_oneof(
    "Exemplar",
    Kind::Plain,
    &[
        ("filteredAttributes", Ty::List(&KEY_VALUE)),
        ("timeUnixNano", Ty::Uint64),
        ("asDouble", Ty::Double),
        ("asInt", Ty::Int64),
        ("spanId", Ty::SpanId { optional: true }),
        ("traceId", Ty::TraceId { optional: true }),
    ],
    &["asDouble", "asInt"],
);
static NUMBER_POINT: Msg = with_oneof(
    "NumberDataPoint",
    Kind::NumberPoint,
    &[
        ("attributes", Ty::List(&KEY_VALUE)),
        ("startTimeUnixNano", Ty::Uint64),
        ("timeUnixNano", Ty::Uint64),
        ("asDouble", Ty::Double),
        ("asInt", Ty::Int64),
        ("exemplars", Ty::List(&EXEMPLAR)),
        ("flags", Ty::Int32),
    ],
    &["asDouble", "asInt"],
);
static HISTOGRAM_POINT: Msg = checked(
    "HistogramDataPoint",
    Kind::HistogramPoint,
    &[
        ("attributes", Ty::List(&KEY_VALUE)),
        ("startTimeUnixNano", Ty::Uint64),
        ("timeUnixNano", Ty::Uint64),
        ("count", Ty::Uint64),
        ("sum", Ty::Double),
        ("bucketCounts", Ty::Uint64List),
        ("explicitBounds", Ty::DoubleList),
        ("exemplars", Ty::List(&EXEMPLAR)),
        ("flags", Ty::Int32),
        ("min", Ty::Double),
        ("max", Ty::Double),
    ],
);
static BUCKETS: Msg = checked(
    "ExponentialHistogramDataPoint.Buckets",
    Kind::Buckets,
    &[("offset", Ty::Int32), ("bucketCounts", Ty::Uint64List)],
);
static EXP_HISTOGRAM_POINT: Msg = checked(
    "ExponentialHistogramDataPoint",
    Kind::ExpHistogramPoint,
    &[
        ("attributes", Ty::List(&KEY_VALUE)),
        ("startTimeUnixNano", Ty::Uint64),
        ("timeUnixNano", Ty::Uint64),
        ("count", Ty::Uint64),
        ("sum", Ty::Double),
        ("scale", Ty::Int32),
        ("zeroCount", Ty::Uint64),
        ("positive", Ty::Msg(&BUCKETS)),
        ("negative", Ty::Msg(&BUCKETS)),
        ("flags", Ty::Int32),
        ("exemplars", Ty::List(&EXEMPLAR)),
        ("min", Ty::Double),
        ("max", Ty::Double),
        ("zeroThreshold", Ty::Double),
    ],
);
static QUANTILE: Msg = msg(
    "SummaryDataPoint.ValueAtQuantile",
    &[("quantile", Ty::Double), ("value", Ty::Double)],
);
static SUMMARY_POINT: Msg = checked(
    "SummaryDataPoint",
    Kind::SummaryPoint,
    &[
        ("attributes", Ty::List(&KEY_VALUE)),
        ("startTimeUnixNano", Ty::Uint64),
        ("timeUnixNano", Ty::Uint64),
        ("count", Ty::Uint64),
        ("sum", Ty::Double),
        ("quantileValues", Ty::List(&QUANTILE)),
        ("flags", Ty::Int32),
    ],
);
static GAUGE: Msg = msg("Gauge", &[("dataPoints", Ty::List(&NUMBER_POINT))]);
static SUM: Msg = checked(
    "Sum",
    Kind::Sum,
    &[
        ("dataPoints", Ty::List(&NUMBER_POINT)),
        ("aggregationTemporality", TEMPORALITY),
        ("isMonotonic", Ty::Bool),
    ],
);
static HISTOGRAM: Msg = checked(
    "Histogram",
    Kind::Histogram,
    &[
        ("dataPoints", Ty::List(&HISTOGRAM_POINT)),
        ("aggregationTemporality", TEMPORALITY),
    ],
);
static EXP_HISTOGRAM: Msg = checked(
    "ExponentialHistogram",
    Kind::Histogram,
    &[
        ("dataPoints", Ty::List(&EXP_HISTOGRAM_POINT)),
        ("aggregationTemporality", TEMPORALITY),
    ],
);
static SUMMARY: Msg = msg("Summary", &[("dataPoints", Ty::List(&SUMMARY_POINT))]);
static METRIC: Msg = checked(
    "Metric",
    Kind::Metric,
    &[
        ("name", Ty::Str),
        ("description", Ty::Text),
        ("unit", Ty::Unit),
        ("gauge", Ty::Msg(&GAUGE)),
        ("sum", Ty::Msg(&SUM)),
        ("histogram", Ty::Msg(&HISTOGRAM)),
        ("exponentialHistogram", Ty::Msg(&EXP_HISTOGRAM)),
        ("summary", Ty::Msg(&SUMMARY)),
        ("metadata", Ty::List(&KEY_VALUE)),
    ],
);
static SCOPE_METRICS: Msg = msg(
    "ScopeMetrics",
    &[
        ("scope", Ty::Msg(&SCOPE)),
        ("metrics", Ty::List(&METRIC)),
        ("schemaUrl", Ty::Str),
    ],
);
static RESOURCE_METRICS: Msg = msg(
    "ResourceMetrics",
    &[
        ("resource", Ty::Msg(&RESOURCE)),
        ("scopeMetrics", Ty::List(&SCOPE_METRICS)),
        ("schemaUrl", Ty::Str),
    ],
);
/// `ExportMetricsServiceRequest`.
pub static METRICS: Msg = checked(
    "ExportMetricsServiceRequest",
    Kind::Export,
    &[("resourceMetrics", Ty::List(&RESOURCE_METRICS))],
);

// Logs.
static LOG_RECORD: Msg = checked(
    "LogRecord",
    Kind::LogRecord,
    &[
        ("timeUnixNano", Ty::Uint64),
        ("observedTimeUnixNano", Ty::Uint64),
        (
            "severityNumber",
            Ty::Enum {
                name: "SeverityNumber",
                names: &[
                    "SEVERITY_NUMBER_UNSPECIFIED",
                    "SEVERITY_NUMBER_TRACE",
                    "SEVERITY_NUMBER_TRACE2",
                    "SEVERITY_NUMBER_TRACE3",
                    "SEVERITY_NUMBER_TRACE4",
                    "SEVERITY_NUMBER_DEBUG",
                    "SEVERITY_NUMBER_DEBUG2",
                    "SEVERITY_NUMBER_DEBUG3",
                    "SEVERITY_NUMBER_DEBUG4",
                    "SEVERITY_NUMBER_INFO",
                    "SEVERITY_NUMBER_INFO2",
                    "SEVERITY_NUMBER_INFO3",
                    "SEVERITY_NUMBER_INFO4",
                    "SEVERITY_NUMBER_WARN",
                    "SEVERITY_NUMBER_WARN2",
                    "SEVERITY_NUMBER_WARN3",
                    "SEVERITY_NUMBER_WARN4",
                    "SEVERITY_NUMBER_ERROR",
                    "SEVERITY_NUMBER_ERROR2",
                    "SEVERITY_NUMBER_ERROR3",
                    "SEVERITY_NUMBER_ERROR4",
                    "SEVERITY_NUMBER_FATAL",
                    "SEVERITY_NUMBER_FATAL2",
                    "SEVERITY_NUMBER_FATAL3",
                    "SEVERITY_NUMBER_FATAL4",
                ],
            },
        ),
        ("severityText", Ty::Str),
        ("body", Ty::AnyValue),
        ("attributes", Ty::List(&KEY_VALUE)),
        ("droppedAttributesCount", Ty::Int32),
        ("flags", Ty::Int32),
        ("traceId", Ty::TraceId { optional: true }),
        ("spanId", Ty::SpanId { optional: true }),
        ("eventName", Ty::Str),
    ],
);
static SCOPE_LOGS: Msg = msg(
    "ScopeLogs",
    &[
        ("scope", Ty::Msg(&SCOPE)),
        ("logRecords", Ty::List(&LOG_RECORD)),
        ("schemaUrl", Ty::Str),
    ],
);
static RESOURCE_LOGS: Msg = msg(
    "ResourceLogs",
    &[
        ("resource", Ty::Msg(&RESOURCE)),
        ("scopeLogs", Ty::List(&SCOPE_LOGS)),
        ("schemaUrl", Ty::Str),
    ],
);
/// `ExportLogsServiceRequest`.
pub static LOGS: Msg = checked(
    "ExportLogsServiceRequest",
    Kind::Export,
    &[("resourceLogs", Ty::List(&RESOURCE_LOGS))],
);

// Billing.
/// The `verify` request.
pub static VERIFY: Msg = billing(
    "verify request",
    Kind::BillingRoot,
    &[("license", Ty::License)],
    &["license"],
);
static TRANSACTION: Msg = billing(
    "trace transaction",
    Kind::Plain,
    &[
        ("id", Ty::Uuid),
        ("tenant_id", Ty::Uuid),
        ("session_id", Ty::Uuid),
        ("trace_count", Ty::Count),
        ("start_insertion_time", Ty::Time),
        ("end_insertion_time", Ty::Time),
        ("start_interval_time", Ty::Time),
        ("end_interval_time", Ty::Time),
        ("status", Ty::Text),
        ("num_failed_send_attempts", Ty::Count),
        ("transaction_type", Ty::Text),
        ("organization_id", Ty::Uuid),
    ],
    &[
        "id",
        "tenant_id",
        "session_id",
        "trace_count",
        "start_insertion_time",
        "end_insertion_time",
        "start_interval_time",
        "end_interval_time",
        "status",
        "num_failed_send_attempts",
        "transaction_type",
        "organization_id",
    ],
);
/// The `ingest-traces` request.
pub static INGEST_TRACES: Msg = billing(
    "ingest-traces request",
    Kind::BillingRoot,
    &[
        ("license", Ty::License),
        ("trace_transactions", Ty::List(&TRANSACTION)),
    ],
    &["license", "trace_transactions"],
);
static MEASURES_MSG: Msg = billing(
    "measures",
    Kind::Plain,
    &[
        ("workspaces", Ty::Count),
        ("users", Ty::Count),
        ("projects", Ty::Count),
        ("experiments", Ty::Count),
        ("datasets", Ty::Count),
        ("evaluators", Ty::Count),
        ("run_rules", Ty::Count),
        ("annotation_queues", Ty::Count),
        ("prompts", Ty::Count),
        ("prompt_commits", Ty::Count),
        ("prompt_pulls", Ty::Count),
        ("active_pats_30d", Ty::Count),
    ],
    USAGE_MEASURES,
);
/// The `usage-snapshot` request.
pub static USAGE_SNAPSHOT: Msg = billing(
    "usage-snapshot request",
    Kind::UsageSnapshot,
    &[
        ("license_key", Ty::License),
        ("from_timestamp", Ty::Time),
        ("to_timestamp", Ty::Time),
        ("measures", Ty::Msg(&MEASURES_MSG)),
    ],
    &["license_key", "from_timestamp", "to_timestamp", "measures"],
);

/// The top-level message of an endpoint's request.
pub fn root(endpoint: EndpointId) -> &'static Msg {
    match endpoint {
        EndpointId::Verify => &VERIFY,
        EndpointId::IngestTraces => &INGEST_TRACES,
        EndpointId::UsageSnapshot => &USAGE_SNAPSHOT,
        EndpointId::Metrics => &METRICS,
        EndpointId::Traces => &TRACES,
        EndpointId::Logs => &LOGS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_message_has_more_fields_than_the_seen_mask_holds() {
        for m in [
            &SPAN,
            &METRIC,
            &LOG_RECORD,
            &EXP_HISTOGRAM_POINT,
            &TRANSACTION,
            &MEASURES_MSG,
            &ANY_VALUE,
            &NUMBER_POINT,
            &EXEMPLAR,
        ] {
            assert!(m.fields.len() <= 64, "{}", m.name);
            for r in m.required.iter().chain(m.oneof) {
                assert!(m.field(r).is_some(), "{}: {r}", m.name);
            }
        }
    }
}
