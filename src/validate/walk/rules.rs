//! What the OTLP protos and the Beacon documentation say a value means beside its
//! siblings: the checks that run when a message closes.
//!
//! Each open message has a [`Frame`] that its fields fill in as the walker reads
//! them (a time, a count, a key); when the message closes, its rules run on the
//! frame, and a child tells its parent what the parent's rules need (an event its
//! time, a bucket list its total, a key-value pair its key). Everything stays
//! linear: a frame holds a few numbers, a list's keys are kept in a hash set,
//! and the two facts a child may need before its parent has read them (a span's
//! start for its events, a sum's temporality for its points) are read ahead once
//! per parent, without findings.
//!
//! The sources: opentelemetry-proto's `trace.proto`, `metrics.proto`,
//! `logs.proto`, `common.proto` (quoted in each message), and the OTLP/JSON
//! encoding in the OTLP specification.

use std::borrow::Cow;
use std::collections::HashSet;

use super::{Kind, Msg, Severity, Walker, clip};

/// What a message's close checks need from its fields, and what its children
/// told it.
#[derive(Debug, Default)]
pub(super) struct Frame<'a> {
    /// The schema fields seen, by index.
    pub fields: u64,
    /// The member of the message's oneof that was written first.
    pub oneof: Option<&'static str>,
    /// A span's `spanId`.
    pub span_id: Option<Cow<'a, str>>,
    /// A span's `parentSpanId`, with its offset.
    pub parent_span_id: Option<(Cow<'a, str>, usize)>,
    /// `startTimeUnixNano` (spans, data points), with its offset.
    pub start: Option<(u64, usize)>,
    /// `endTimeUnixNano` (spans) or `timeUnixNano` (events, data points).
    pub time: Option<(u64, usize)>,
    /// `name` (spans, events, metrics): whether it is empty, and its offset.
    pub name: Option<(bool, usize)>,
    /// A key-value pair's `key`, with its offset.
    pub key: Option<(Cow<'a, str>, usize)>,
    /// The key names a version (`service.version`): its value is no address.
    pub version_key: bool,
    /// The keys of the message's one list of key-value pairs.
    pub keys: Keys<'a>,
    /// `aggregationTemporality`: absent (`None`), unreadable (`Some(None)`), or its number.
    pub temporality: Option<Option<i64>>,
    /// `isMonotonic`.
    pub monotonic: bool,
    /// Whether the rest of the object was already read ahead.
    pub looked_ahead: bool,
    /// A 64-bit integer of the message could not be read (an error said so): its
    /// times and counts are not checked against each other.
    pub unreadable: bool,
    /// A log record's `severityNumber`, with its offset.
    pub severity: Option<(i64, usize)>,
    /// A log record has a non-empty `traceId`.
    pub trace_id: bool,
    /// A log record's non-empty `spanId`, at this offset.
    pub log_span_id: Option<usize>,
    /// A histogram point's `count`.
    pub count: Option<(u64, usize)>,
    /// `bucketCounts`: how many, and where.
    pub buckets: Option<(usize, usize)>,
    /// The total of the bucket counts (an exponential histogram point: of both
    /// its bucket lists).
    pub bucket_total: u128,
    /// `explicitBounds`: how many, and where.
    pub bounds: Option<(usize, usize)>,
    /// `min` and `max`.
    pub min: Option<(f64, usize)>,
    pub max: Option<f64>,
    /// An exponential histogram point's `zeroCount`.
    pub zero_count: u64,
    /// A number point's negative value: where, and in which field.
    pub negative: Option<(usize, &'static str)>,
    /// The usage snapshot's window.
    pub from: Option<time::OffsetDateTime>,
    pub to: Option<(time::OffsetDateTime, usize)>,
}

/// The keys of one list of key-value pairs: a short list is searched, a long one
/// hashed, so a list of any length costs linear time.
#[derive(Debug, Default)]
pub(super) struct Keys<'a> {
    few: Vec<Cow<'a, str>>,
    many: Option<HashSet<Cow<'a, str>>>,
}

impl<'a> Keys<'a> {
    const FEW: usize = 16;

    /// Adds a key, or gives it back when it was there already.
    fn insert(&mut self, key: Cow<'a, str>) -> Result<(), Cow<'a, str>> {
        if let Some(many) = &mut self.many {
            if many.contains(&key) {
                return Err(key);
            }
            many.insert(key);
            return Ok(());
        }
        if self.few.contains(&key) {
            return Err(key);
        }
        self.few.push(key);
        if self.few.len() > Self::FEW {
            self.many = Some(self.few.drain(..).collect());
        }
        Ok(())
    }
}

/// What the key of a version attribute ends with (`service.version`,
/// `telemetry.sdk.version`, `appVersion`).
const VERSION: &str = "version";

/// Where a finding about `field` goes: at its value when it was written there
/// (`found`), else at the start of its message, whose pointer it takes.
fn place(found: Option<usize>, start: usize, field: &'static str) -> (usize, Option<&'static str>) {
    match found {
        Some(at) => (at, Some(field)),
        None => (start, None),
    }
}

/// The nanoseconds of a time, for messages.
fn nanos(n: u64) -> String {
    format!("{n} ns")
}

impl<'a> Walker<'a> {
    /// Notes a string field the close checks need.
    pub(super) fn note_str(&mut self, kind: Kind, name: &str, text: Cow<'a, str>, at: usize) {
        match (kind, name) {
            (Kind::Span | Kind::Event | Kind::Metric, "name") => {
                self.frame().name = Some((text.is_empty(), at));
            }
            (Kind::KeyValue, "key") => {
                let frame = self.frame();
                frame.version_key = text
                    .len()
                    .checked_sub(VERSION.len())
                    .and_then(|cut| text.get(cut..))
                    .is_some_and(|end| end.eq_ignore_ascii_case(VERSION));
                frame.key = Some((text, at));
            }
            _ => {}
        }
    }

    /// Notes a trace or span id.
    pub(super) fn note_id(&mut self, kind: Kind, name: &str, id: Cow<'a, str>, at: usize) {
        let frame = self.frame();
        match (kind, name) {
            (Kind::Span, "spanId") => frame.span_id = Some(id),
            (Kind::Span, "parentSpanId") => frame.parent_span_id = Some((id, at)),
            (Kind::LogRecord, "traceId") => frame.trace_id = !id.is_empty(),
            (Kind::LogRecord, "spanId") if !id.is_empty() => frame.log_span_id = Some(at),
            _ => {}
        }
    }

    /// Notes a valid 64-bit integer.
    pub(super) fn note_int(&mut self, kind: Kind, name: &str, n: i128, at: usize) {
        let frame = self.frame();
        let unsigned = u64::try_from(n).ok();
        match (kind, name, unsigned) {
            (Kind::Span, "startTimeUnixNano", Some(t)) => frame.start = Some((t, at)),
            (Kind::Span, "endTimeUnixNano", Some(t)) | (Kind::Event, "timeUnixNano", Some(t)) => {
                frame.time = Some((t, at));
            }
            (k, "startTimeUnixNano", Some(t)) if k.is_point() => frame.start = Some((t, at)),
            (k, "timeUnixNano", Some(t)) if k.is_point() => frame.time = Some((t, at)),
            (Kind::HistogramPoint | Kind::ExpHistogramPoint, "count", Some(c)) => {
                frame.count = Some((c, at));
            }
            (Kind::ExpHistogramPoint, "zeroCount", Some(c)) => frame.zero_count = c,
            (Kind::NumberPoint, "asInt", _) if n < 0 => frame.negative = Some((at, "asInt")),
            _ => {}
        }
    }

    /// Notes a double.
    pub(super) fn note_double(&mut self, kind: Kind, name: &str, x: f64, at: usize) {
        let frame = self.frame();
        match (kind, name) {
            (Kind::NumberPoint, "asDouble") if x < 0.0 => frame.negative = Some((at, "asDouble")),
            (Kind::HistogramPoint | Kind::ExpHistogramPoint, "min") => frame.min = Some((x, at)),
            (Kind::HistogramPoint | Kind::ExpHistogramPoint, "max") => frame.max = Some(x),
            _ => {}
        }
    }

    /// Notes a boolean.
    pub(super) fn note_bool(&mut self, kind: Kind, name: &str, b: bool) {
        if (kind, name) == (Kind::Sum, "isMonotonic") {
            self.frame().monotonic = b;
        }
    }

    /// Notes an enum (`None` when it could not be read).
    pub(super) fn note_enum(&mut self, kind: Kind, n: Option<i64>, at: usize) {
        let frame = self.frame();
        match kind {
            Kind::Sum | Kind::Histogram => frame.temporality = Some(n),
            Kind::LogRecord => frame.severity = n.map(|n| (n, at)),
            _ => {}
        }
    }

    /// Whether the string being read is the direct value of a key-value pair
    /// whose key names a version. The key must come first, as every exporter
    /// writes it.
    pub(super) fn in_version_value(&self) -> bool {
        self.frames
            .len()
            .checked_sub(2)
            .is_some_and(|parent| self.frames[parent].version_key)
    }

    /// Before member `name` of a message is walked: when its children need a
    /// fact the message has not read yet (a span's events its start, a sum's
    /// points its temporality and monotonicity), reads the rest of the object
    /// ahead for it, once, reporting nothing; the walk reports what is there.
    pub(super) fn look_ahead(&mut self, kind: Kind, name: &str) {
        let frame = self.frames.last().expect("inside a message");
        if frame.looked_ahead {
            return;
        }
        let wanted: &[&str] = match (kind, name) {
            (Kind::Span, "events") if frame.start.is_none() => &["startTimeUnixNano"],
            (Kind::Sum, "dataPoints") if frame.temporality.is_none() || !frame.monotonic => {
                &["aggregationTemporality", "isMonotonic"]
            }
            _ => return,
        };
        let mut found: [Option<(&'a str, usize)>; 2] = [None, None];
        ahead::members(self.b, self.text, self.i, wanted, &mut found);
        let frame = self.frame();
        frame.looked_ahead = true;
        match kind {
            Kind::Span => {
                if let Some((text, at)) = found[0] {
                    frame.start = text.parse::<u64>().ok().map(|t| (t, at));
                }
            }
            _ => {
                if let (None, Some((text, _))) = (frame.temporality, found[0]) {
                    frame.temporality = Some(match text.parse::<i64>() {
                        Ok(n) => Some(n),
                        Err(_) => match text {
                            "AGGREGATION_TEMPORALITY_DELTA" => Some(1),
                            "AGGREGATION_TEMPORALITY_CUMULATIVE" => Some(2),
                            _ => None,
                        },
                    });
                }
                if let Some(("true", _)) = found[1] {
                    frame.monotonic = true;
                }
            }
        }
    }

    /// The checks of a message that has just closed, on its frame; the parent's
    /// frame is the innermost one again.
    pub(super) fn close(&mut self, msg: &'static Msg, frame: Frame<'a>, start: usize) {
        for (index, (name, _)) in msg.fields.iter().enumerate() {
            if msg.required.contains(name) && frame.fields & (1u64 << index) == 0 {
                self.push(
                    Severity::Error,
                    start,
                    &[],
                    "missing-field",
                    format!("the {} has no `{name}`", msg.name),
                    format!("add `{name}`, as the documentation's sample has it"),
                );
            }
        }
        let fields = frame.fields;
        let has = |name: &str| {
            msg.field(name)
                .is_some_and(|(i, _)| fields & (1u64 << i) != 0)
        };
        if frame.unreadable && !matches!(msg.kind, Kind::KeyValue | Kind::LogRecord) {
            return;
        }
        match msg.kind {
            Kind::Span => self.close_span(&frame, start, has("traceId"), has("spanId")),
            Kind::Event => self.close_event(&frame, start),
            Kind::Metric => {
                self.name_rule(&frame, start, "metric-name-empty", "metric");
                let kinds = [
                    "gauge",
                    "sum",
                    "histogram",
                    "exponentialHistogram",
                    "summary",
                ];
                let count = kinds.iter().filter(|k| has(k)).count();
                if count != 1 {
                    self.push(
                        Severity::Error,
                        start,
                        &[],
                        "metric-data",
                        format!("the metric has {count} kinds of data; it needs exactly one of gauge, sum, histogram, exponentialHistogram, summary, or receivers drop it"),
                        "give each metric one data object".to_string(),
                    );
                }
            }
            Kind::Sum | Kind::Histogram => {
                if matches!(frame.temporality, None | Some(Some(0))) {
                    let what = if msg.kind == Kind::Sum {
                        "sum"
                    } else {
                        "histogram"
                    };
                    self.push(
                        Severity::Error,
                        start,
                        &[],
                        "sum-without-temporality",
                        format!("the {what} has no `aggregationTemporality`, so receivers cannot tell delta from cumulative"),
                        format!("set \"aggregationTemporality\": 1 (delta) or 2 (cumulative) on the {what} itself"),
                    );
                }
            }
            Kind::NumberPoint => {
                if !has("asDouble") && !has("asInt") {
                    self.push(
                        Severity::Error,
                        start,
                        &[],
                        "point-without-value",
                        "the data point has neither `asDouble` nor `asInt`: it carries no value"
                            .to_string(),
                        "give the point its value".to_string(),
                    );
                }
                self.monotonic_rule(&frame);
                self.point_times(&frame, start);
            }
            Kind::HistogramPoint => {
                self.histogram_rules(&frame, start);
                self.point_times(&frame, start);
            }
            Kind::ExpHistogramPoint => {
                self.exp_histogram_rules(&frame, start);
                self.point_times(&frame, start);
            }
            Kind::SummaryPoint => self.point_times(&frame, start),
            Kind::Buckets => self.frame().bucket_total += frame.bucket_total,
            Kind::KeyValue => self.key_rules(frame, start),
            Kind::LogRecord => self.close_log(&frame, start),
            Kind::UsageSnapshot => {
                if let (Some(from), Some((to, at))) = (frame.from, frame.to) {
                    if from >= to {
                        self.push(
                            Severity::Error,
                            at,
                            &["to_timestamp"],
                            "window-backwards",
                            "`to_timestamp` is not after `from_timestamp`".to_string(),
                            "a snapshot covers from_timestamp up to to_timestamp".to_string(),
                        );
                    }
                }
            }
            Kind::Plain | Kind::Export | Kind::BillingRoot => {}
        }
    }

    /// A name that is required to be non-empty (trace.proto: "semantically
    /// required to be set to non-empty string"; a metric's name identifies it).
    fn name_rule(&mut self, frame: &Frame<'a>, start: usize, code: &'static str, what: &str) {
        if let Some((false, _)) = frame.name {
            return;
        }
        let (at, field) = place(frame.name.map(|(_, at)| at), start, "name");
        self.push(
            Severity::Error,
            at,
            field.as_slice(),
            code,
            format!("the {what} has no name (or an empty one); OTLP requires a non-empty name"),
            format!("give the {what} its name"),
        );
    }

    fn close_span(&mut self, frame: &Frame<'a>, start: usize, trace_id: bool, span_id: bool) {
        for (present, field, what, len) in [
            (trace_id, "traceId", "trace", 32),
            (span_id, "spanId", "span", 16),
        ] {
            if !present {
                self.push(
                    Severity::Error,
                    start,
                    &[],
                    if what == "trace" {
                        "trace-id-length"
                    } else {
                        "span-id-length"
                    },
                    format!("the span has no `{field}`"),
                    format!("give every span a {len}-hex-digit `{field}`"),
                );
            }
        }
        if let (Some(id), Some((parent, at))) = (&frame.span_id, &frame.parent_span_id) {
            if !id.is_empty() && id == parent {
                self.push(
                    Severity::Error,
                    *at,
                    &["parentSpanId"],
                    "span-parent-self",
                    "the span names itself as its parent".to_string(),
                    "a root span's parentSpanId is empty; a child's is its parent's spanId"
                        .to_string(),
                );
            }
        }
        self.name_rule(frame, start, "span-name-empty", "span");
        // trace.proto: both times are "semantically required", and "it is
        // expected that end_time >= start_time".
        for (time, field) in [
            (frame.start, "startTimeUnixNano"),
            (frame.time, "endTimeUnixNano"),
        ] {
            if time.is_some_and(|(t, _)| t != 0) {
                continue;
            }
            let (at, field_at) = place(time.map(|(_, at)| at), start, field);
            self.push(
                Severity::Error,
                at,
                field_at.as_slice(),
                "span-time-zero",
                format!("the span's `{field}` is 0 or missing; OTLP requires both its start and end times"),
                format!("set `{field}` to the time in nanoseconds since the Unix epoch"),
            );
        }
        if let (Some((from, _)), Some((to, at))) = (frame.start, frame.time) {
            if from != 0 && to != 0 && to < from {
                self.push(
                    Severity::Error,
                    at,
                    &["endTimeUnixNano"],
                    "span-end-before-start",
                    format!(
                        "the span ends {} before it starts (trace.proto: end_time >= start_time)",
                        nanos(from - to)
                    ),
                    "write the start and end times the other way round, or fix the clock that took them".to_string(),
                );
            }
        }
    }

    fn close_event(&mut self, frame: &Frame<'a>, start: usize) {
        self.name_rule(frame, start, "event-name-empty", "span event");
        let span_start = self.frames.last().and_then(|span| span.start);
        if let (Some((time, at)), Some((from, _))) = (frame.time, span_start) {
            if time != 0 && from != 0 && time < from {
                self.push(
                    Severity::Error,
                    at,
                    &["timeUnixNano"],
                    "event-before-span-start",
                    format!(
                        "the event is {} before its span starts",
                        nanos(from - time)
                    ),
                    "an event happens during its span: take its time from the same clock as the span's".to_string(),
                );
            }
        }
    }

    /// A monotonic sum only grows: none of its points, delta or cumulative, is
    /// negative.
    fn monotonic_rule(&mut self, frame: &Frame<'a>) {
        let Some((at, field)) = frame.negative else {
            return;
        };
        let Some(sum) = self.frames.last() else {
            return;
        };
        let temporality = match sum.temporality {
            Some(Some(1)) => "delta",
            Some(Some(2)) => "cumulative",
            _ => return,
        };
        if !sum.monotonic {
            return;
        }
        self.push(
            Severity::Error,
            at,
            &[field],
            "monotonic-sum-negative",
            format!("a negative value in a monotonic {temporality} sum, which only counts upwards from 0"),
            "a counter that can go down is a non-monotonic sum (\"isMonotonic\": false); else fix the value".to_string(),
        );
    }

    /// Every data point: `timeUnixNano` set (metrics.proto: "Data points with the 0
    /// value for TimeUnixNano SHOULD be rejected by consumers"), not before the start.
    fn point_times(&mut self, frame: &Frame<'a>, start: usize) {
        if frame.time.is_none_or(|(t, _)| t == 0) {
            let (at, field) = place(frame.time.map(|(_, at)| at), start, "timeUnixNano");
            self.push(
                Severity::Error,
                at,
                field.as_slice(),
                "point-time-zero",
                "the data point's `timeUnixNano` is 0 or missing; consumers reject such points (metrics.proto)".to_string(),
                "set `timeUnixNano` to the time the value was taken".to_string(),
            );
        }
        if let (Some((from, at)), Some((to, _))) = (frame.start, frame.time) {
            if from != 0 && to != 0 && from > to {
                self.push(
                    Severity::Error,
                    at,
                    &["startTimeUnixNano"],
                    "point-start-after-time",
                    format!(
                        "the point's start is {} after its time: the window it covers runs backwards",
                        nanos(from - to)
                    ),
                    "startTimeUnixNano is the start of the window, timeUnixNano its end".to_string(),
                );
            }
        }
    }

    fn histogram_rules(&mut self, frame: &Frame<'a>, start: usize) {
        let buckets = frame.buckets.map_or(0, |(n, _)| n);
        let bounds = frame.bounds.map_or(0, |(n, _)| n);
        // metrics.proto: "The number of elements in bucket_counts array must be by
        // one greater than the number of elements in explicit_bounds array. The
        // exception to this rule is when the length of bucket_counts is 0, then the
        // length of explicit_bounds must also be 0."
        if buckets == 0 && bounds > 0 {
            let at = frame.bounds.map_or(start, |(_, at)| at);
            self.push(
                Severity::Error,
                at,
                &["explicitBounds"],
                "histogram-buckets-bounds",
                format!("{bounds} bounds but no bucket counts; without bucket counts the bounds must be empty too"),
                "give one count per bucket (one more than the bounds), or drop the bounds".to_string(),
            );
        } else if buckets > 0 && buckets != bounds + 1 {
            let at = frame.buckets.map_or(start, |(_, at)| at);
            self.push(
                Severity::Error,
                at,
                &["bucketCounts"],
                "histogram-buckets-bounds",
                format!(
                    "{buckets} bucket counts for {bounds} bounds; there must be one more count than bounds ({})",
                    bounds + 1
                ),
                "n bounds make n + 1 buckets: one count for each".to_string(),
            );
        }
        if buckets > 0 {
            // "The sum of the bucket_counts must equal the value in the count field."
            self.count_rule(
                frame,
                start,
                frame.bucket_total,
                "histogram-count-mismatch",
                "the bucket counts".to_string(),
            );
        }
        self.min_max_rule(frame);
    }

    /// A histogram point's `count` is the number of values recorded: `total`, the
    /// sum of what `parts` names.
    fn count_rule(
        &mut self,
        frame: &Frame<'a>,
        start: usize,
        total: u128,
        code: &'static str,
        parts: String,
    ) {
        let count = frame.count.map_or(0, |(c, _)| c);
        if u128::from(count) == total {
            return;
        }
        let (at, field) = place(frame.count.map(|(_, at)| at), start, "count");
        self.push(
            Severity::Error,
            at,
            field.as_slice(),
            code,
            format!("`count` is {count}, but {parts} add up to {total}"),
            format!("count is the number of values recorded: the total of {parts}"),
        );
    }

    fn exp_histogram_rules(&mut self, frame: &Frame<'a>, start: usize) {
        // metrics.proto: count "must be equal to the sum of the "bucket_counts"
        // values in the positive and negative Buckets plus the "zero_count" field".
        self.count_rule(
            frame,
            start,
            frame.bucket_total + u128::from(frame.zero_count),
            "exp-histogram-count-mismatch",
            format!(
                "`zeroCount` ({}) and the positive and negative bucket counts ({})",
                frame.zero_count, frame.bucket_total
            ),
        );
        self.min_max_rule(frame);
    }

    fn min_max_rule(&mut self, frame: &Frame<'a>) {
        if let (Some((min, at)), Some(max)) = (frame.min, frame.max) {
            if min > max {
                self.push(
                    Severity::Error,
                    at,
                    &["min"],
                    "histogram-min-max",
                    format!("`min` ({min}) is greater than `max` ({max})"),
                    "min and max are the smallest and largest values recorded".to_string(),
                );
            }
        }
    }

    /// A key-value pair's key is non-empty (the attribute specification: "The
    /// attribute key MUST be a non-null and non-empty string") and unique in its
    /// list (common.proto: "Attribute keys MUST be unique").
    fn key_rules(&mut self, frame: Frame<'a>, start: usize) {
        let (key, at) = match frame.key {
            Some((key, at)) if !key.is_empty() => (key, at),
            other => {
                let (at, field) = place(other.map(|(_, at)| at), start, "key");
                self.push(
                    Severity::Error,
                    at,
                    field.as_slice(),
                    "attribute-key-empty",
                    "an attribute with an empty (or no) key; OTLP requires a non-empty key"
                        .to_string(),
                    "give the attribute its name, or drop it".to_string(),
                );
                return;
            }
        };
        if let Err(key) = self.frame().keys.insert(key) {
            self.push(
                Severity::Error,
                at,
                &["key"],
                "attribute-key-duplicate",
                format!("the key `{}` is already in this list; keys MUST be unique, and which value a receiver keeps is not defined", clip(&key)),
                "write each key once".to_string(),
            );
        }
    }

    fn close_log(&mut self, frame: &Frame<'a>, start: usize) {
        // A policy of Beacon's, not a rule of OTLP: an unset severity (0) is not
        // an error either.
        let n = frame.severity.map_or(0, |(n, _)| n);
        let (at, field) = place(frame.severity.map(|(_, at)| at), start, "severityNumber");
        if n < 17 {
            let what = if n == 0 {
                "the record has no severity (0, unspecified)".to_string()
            } else {
                format!("severity {n} is below ERROR (17)")
            };
            self.push(
                Severity::Policy,
                at,
                field.as_slice(),
                "log-not-error",
                format!("{what}, though LangSmith documents that only errors are exported to Beacon"),
                "expect only records of severity 17 or more on this endpoint; real SDKs send every severity, so this is about LangSmith's policy, not OTLP".to_string(),
            );
        }
        // logs.proto: "If the sender specifies a valid span_id then it SHOULD also
        // specify a valid trace_id."
        if let (Some(at), false) = (frame.log_span_id, frame.trace_id) {
            self.push(
                Severity::Warning,
                at,
                &["spanId"],
                "log-span-without-trace",
                "the record has a `spanId` but no `traceId`: a span id means nothing outside its trace, so the record cannot be tied to its span".to_string(),
                "set the record's traceId too, or neither".to_string(),
            );
        }
    }
}

/// Reading ahead in an object, without findings.
mod ahead {
    /// From `from`, the start of a member's value, to the end of its object: the
    /// raw scalar values (a string's text without its quotes) and offsets of the
    /// members named in `wanted`, into `found`. Stops quietly at anything that is
    /// not JSON: the walk reports it when it gets there.
    pub(super) fn members<'a>(
        b: &[u8],
        text: &'a str,
        from: usize,
        wanted: &[&str],
        found: &mut [Option<(&'a str, usize)>],
    ) {
        let Some(mut i) = value_end(b, from) else {
            return;
        };
        loop {
            i = blank(b, i);
            match b.get(i) {
                Some(b',') => i = blank(b, i + 1),
                _ => return,
            }
            let Some(key_end) = string_end(b, i) else {
                return;
            };
            let key = &b[i + 1..key_end - 1];
            i = blank(b, key_end);
            if b.get(i) != Some(&b':') {
                return;
            }
            i = blank(b, i + 1);
            let Some(end) = value_end(b, i) else {
                return;
            };
            if let Some(slot) = wanted.iter().position(|w| w.as_bytes() == key) {
                let raw = if b[i] == b'"' { i + 1..end - 1 } else { i..end };
                if let Some(value) = text.get(raw) {
                    found[slot] = Some((value, i));
                }
            }
            i = end;
        }
    }

    fn blank(b: &[u8], mut i: usize) -> usize {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = b.get(i) {
            i += 1;
        }
        i
    }

    /// The end of the string starting at `i` (past its closing quote).
    fn string_end(b: &[u8], i: usize) -> Option<usize> {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let mut j = i + 1;
        loop {
            j += memchr::memchr2(b'"', b'\\', b.get(j..)?)?;
            if b[j] == b'\\' {
                j += 2;
            } else {
                return Some(j + 1);
            }
        }
    }

    /// The end of the value starting at `i`: a string, a scalar, or a whole
    /// object or array (their strings skipped whole, so brackets inside them do
    /// not count).
    fn value_end(b: &[u8], i: usize) -> Option<usize> {
        let mut depth = 0usize;
        let mut j = i;
        loop {
            match *b.get(j)? {
                b'"' => j = string_end(b, j)?,
                b'{' | b'[' => {
                    depth += 1;
                    j += 1;
                }
                b'}' | b']' => {
                    depth = depth.checked_sub(1)?;
                    j += 1;
                }
                _ if depth == 0 => {
                    while !matches!(
                        b.get(j),
                        None | Some(b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t')
                    ) {
                        j += 1;
                    }
                    return Some(j);
                }
                _ => j += 1,
            }
            if depth == 0 {
                return Some(j);
            }
        }
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn finds_members_after_a_nested_value() {
            let text = r#"{"dataPoints": [{"a": "]}"}, 2], "x": {"y": 1}, "isMonotonic": true, "aggregationTemporality": "AGGREGATION_TEMPORALITY_DELTA"}"#;
            let from = text.find('[').unwrap();
            let mut found = [None, None];
            super::members(
                text.as_bytes(),
                text,
                from,
                &["aggregationTemporality", "isMonotonic"],
                &mut found,
            );
            assert_eq!(found[0].map(|f| f.0), Some("AGGREGATION_TEMPORALITY_DELTA"));
            assert_eq!(found[1].map(|f| f.0), Some("true"));
            for broken in [r#"{"a": [1, {"#, r#"{"a": "x"#, r#"{"a": 1, "b"#] {
                let mut found = [None, None];
                super::members(broken.as_bytes(), broken, 6, &["b"], &mut found);
                assert_eq!(found, [None, None], "{broken}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::Keys;

    #[test]
    fn keys_are_found_twice_in_short_and_long_lists() {
        for n in [3, 16, 17, 1000] {
            let mut keys = Keys::default();
            for i in 0..n {
                assert!(
                    keys.insert(Cow::Owned(format!("k{i}"))).is_ok(),
                    "{n}: k{i}"
                );
            }
            assert_eq!(
                keys.insert(Cow::Borrowed("k0")),
                Err(Cow::Borrowed("k0")),
                "{n}"
            );
            assert_eq!(keys.many.is_some(), n > Keys::FEW, "{n}");
        }
    }
}
