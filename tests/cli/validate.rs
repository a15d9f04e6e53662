//! `validate`: the canonical OTLP examples pass, the published samples show
//! exactly their documented defects, synthetic payloads are clean, and every rule
//! fires on its own fixture, in JSON and in protobuf built here with the
//! opentelemetry-proto types.

use crate::common;

use std::path::Path;

use common::{IDS, Run, beacon, fixture, run};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Report {
    endpoint: String,
    valid: bool,
    encoding: String,
    gzip: bool,
    decoder: Option<Decoder>,
    findings: Vec<Finding>,
    findings_omitted: Omitted,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Omitted {
    errors: usize,
    warnings: usize,
    infos: usize,
    policy: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Decoder {
    accepted: bool,
    error: Option<String>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct Finding {
    severity: String,
    pointer: String,
    line: Option<u32>,
    column: Option<u32>,
    code: String,
    message: String,
    hint: String,
}

#[derive(Debug, Deserialize)]
struct SampleVerdict {
    endpoint: String,
    findings: Vec<Finding>,
    documented_defects: Vec<DocumentedDefect>,
    matches_documented: bool,
}

#[derive(Debug, Deserialize)]
struct DocumentedDefect {
    code: String,
    pointer: String,
}

impl Report {
    fn codes(&self) -> Vec<&str> {
        self.findings.iter().map(|f| f.code.as_str()).collect()
    }

    fn find(&self, code: &str) -> &Finding {
        self.findings
            .iter()
            .find(|f| f.code == code)
            .unwrap_or_else(|| panic!("no {code} in {:?}", self.codes()))
    }

    fn count(&self, severity: &str) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

fn validate_file(dir: &Path, id: &str, file: &Path, extra: &[&str]) -> (Run, Report) {
    let mut cmd = beacon(dir);
    cmd.args(["validate", id])
        .arg(file)
        .args(["-o", "json"])
        .args(extra);
    let out = run(cmd);
    assert!(
        out.code == 0 || out.code == 3,
        "exit {}: {}",
        out.code,
        out.stderr
    );
    let report: Report =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    assert_eq!(report.endpoint, id);
    (out, report)
}

fn validate_text(id: &str, text: &str, extra: &[&str]) -> (Run, Report) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("body.json");
    std::fs::write(&file, text).unwrap();
    validate_file(dir.path(), id, &file, extra)
}

#[test]
fn the_canonical_otlp_examples_have_no_errors() {
    let dir = tempfile::tempdir().unwrap();
    for (id, file) in [
        ("traces", "trace.json"),
        ("metrics", "metrics.json"),
        ("logs", "logs.json"),
    ] {
        let (out, report) = validate_file(
            dir.path(),
            id,
            &fixture(&format!("otlp-examples/{file}")),
            &[],
        );
        assert_eq!(out.code, 0, "{file}: {:?}", report.findings);
        assert!(report.valid);
        assert_eq!(report.count("error"), 0, "{file}: {:?}", report.findings);
        assert!(report.decoder.as_ref().unwrap().accepted, "{file}");
        assert!(!report.gzip && report.encoding == "json");
    }
}

#[test]
fn every_published_sample_shows_exactly_its_documented_defects() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = beacon(dir.path());
    cmd.args(["validate", "--all-samples", "-o", "json"]);
    let out = run(cmd);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let verdicts: Vec<SampleVerdict> = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        verdicts
            .iter()
            .map(|v| v.endpoint.as_str())
            .collect::<Vec<_>>(),
        IDS
    );
    for v in &verdicts {
        assert!(v.matches_documented, "{}", v.endpoint);
        let mut found: Vec<_> = v
            .findings
            .iter()
            .map(|f| (f.pointer.clone(), f.code.clone()))
            .collect();
        let mut documented: Vec<_> = v
            .documented_defects
            .iter()
            .map(|d| (d.pointer.clone(), d.code.clone()))
            .collect();
        found.sort();
        documented.sort();
        assert_eq!(found, documented, "{}", v.endpoint);
    }
    let count = |id: &str| {
        verdicts
            .iter()
            .find(|v| v.endpoint == id)
            .unwrap()
            .findings
            .len()
    };
    assert_eq!(
        (count("traces"), count("metrics"), count("logs")),
        (3, 9, 1)
    );
    assert_eq!(
        (
            count("verify"),
            count("ingest-traces"),
            count("usage-snapshot")
        ),
        (0, 0, 0)
    );

    let mut cmd = beacon(dir.path());
    cmd.args(["validate", "--all-samples"]);
    let table = run(cmd);
    assert!(
        table
            .stdout
            .contains("every published sample shows exactly its documented defects")
    );
}

#[test]
fn findings_carry_pointer_line_and_column() {
    let text = std::fs::read_to_string(fixture("samples/traces.request.json")).unwrap();
    let (out, report) = validate_text("traces", &text, &[]);
    assert_eq!(out.code, 3);
    assert!(!report.valid);
    let span_id = report
        .findings
        .iter()
        .find(|f| f.pointer == "/resourceSpans/0/scopeSpans/0/spans/0/spanId")
        .unwrap();
    assert_eq!(span_id.code, "span-id-length");
    assert_eq!(span_id.severity, "error");
    let (line, col) = text
        .lines()
        .enumerate()
        .find_map(|(n, l)| {
            l.find("\"spanId\": \"3c191d03fa8be0\"")
                .map(|c| (n + 1, c + 1 + "\"spanId\": ".len()))
        })
        .unwrap();
    assert_eq!(
        (span_id.line, span_id.column),
        (Some(line as u32), Some(col as u32))
    );
    assert!(span_id.hint.contains("16 hex digits"));
    assert!(!span_id.message.is_empty());
}

#[test]
fn synthetic_payloads_are_clean() {
    for id in IDS {
        for seed in ["1", "2", "3"] {
            let dir = tempfile::tempdir().unwrap();
            let mut cmd = beacon(dir.path());
            cmd.args(["payloads", id, "--synthetic", "--seed", seed]);
            let body = run(cmd).stdout;
            let (out, report) = validate_text(id, &body, &["--deny", "warnings"]);
            assert_eq!(out.code, 0, "{id}/{seed}: {:?}", report.findings);
            assert_eq!(
                report.count("error") + report.count("warning"),
                0,
                "{id}: {:?}",
                report.findings
            );
        }
    }
}

const SPAN_TEMPLATE: &str = r#"{"resourceSpans": [{"scopeSpans": [{"spans": [{
  "traceId": "5b8efff798038103d269b633813fc60c",
  "spanId": "eee19b7ec3c1b174",
  "parentSpanId": "",
  "name": "root",
  "kind": 2,
  "startTimeUnixNano": "1544712660000000000",
  "endTimeUnixNano": "1544712661000000000",
  "status": {"code": 0}
}]}]}]}"#;

fn span_with(from: &str, to: &str) -> String {
    assert!(SPAN_TEMPLATE.contains(from), "{from}");
    SPAN_TEMPLATE.replacen(from, to, 1)
}

#[test]
fn a_valid_span_has_no_findings() {
    let (out, report) = validate_text("traces", SPAN_TEMPLATE, &[]);
    assert_eq!(out.code, 0);
    assert!(report.findings.is_empty(), "{:?}", report.findings);
}

#[test]
fn id_rules() {
    let cases = [
        (
            "\"5b8efff798038103d269b633813fc60c\"",
            "\"5b8efff798038103d269b633813fc6\"",
            "trace-id-length",
        ),
        (
            "\"5b8efff798038103d269b633813fc60c\"",
            "\"5b8efff798038103d269b633813fc6zz\"",
            "trace-id-not-hex",
        ),
        (
            "\"5b8efff798038103d269b633813fc60c\"",
            "\"00000000000000000000000000000000\"",
            "trace-id-zero",
        ),
        (
            "\"5b8efff798038103d269b633813fc60c\"",
            "\"W47/95gDgQPSabYzgT/GDA==\"",
            "trace-id-base64",
        ),
        ("\"eee19b7ec3c1b174\"", "\"7uGbfsPBsXQ=\"", "span-id-base64"),
        (
            "\"eee19b7ec3c1b174\"",
            "\"eee19b7ec3c1b1\"",
            "span-id-length",
        ),
        (
            "\"parentSpanId\": \"\"",
            "\"parentSpanId\": \"0000000000000000\"",
            "root-parent-not-empty",
        ),
        (
            "\"parentSpanId\": \"\"",
            "\"parentSpanId\": \"eee19b7ec3c1b174\"",
            "span-parent-self",
        ),
    ];
    for (from, to, code) in cases {
        let (out, report) = validate_text("traces", &span_with(from, to), &[]);
        assert_eq!(out.code, 3, "{code}");
        let finding = report.find(code);
        assert_eq!(finding.severity, "error", "{code}");
        assert!(
            finding
                .pointer
                .starts_with("/resourceSpans/0/scopeSpans/0/spans/0/"),
            "{code}: {}",
            finding.pointer
        );
        assert_eq!(
            finding.line,
            Some(if code.starts_with("trace") {
                2
            } else if code.starts_with("span-id") {
                3
            } else {
                4
            }),
            "{code}"
        );
    }
}

#[test]
fn enum_rules() {
    let (_, named) = validate_text(
        "traces",
        &span_with("\"kind\": 2", "\"kind\": \"SPAN_KIND_SERVER\""),
        &[],
    );
    assert_eq!(
        named.find("enum-as-name").pointer,
        "/resourceSpans/0/scopeSpans/0/spans/0/kind"
    );
    let (_, range) = validate_text("traces", &span_with("\"code\": 0", "\"code\": 7"), &[]);
    assert_eq!(range.find("enum-out-of-range").severity, "error");
}

#[test]
fn unknown_fields_are_warnings_because_their_data_is_lost() {
    let (out, report) = validate_text(
        "traces",
        &span_with(
            "\"name\": \"root\"",
            "\"name\": \"root\", \"spanName\": \"x\"",
        ),
        &[],
    );
    assert_eq!(out.code, 0, "a warning alone passes");
    let f = report.find("unknown-field");
    assert_eq!(f.severity, "warning");
    assert_eq!(f.pointer, "/resourceSpans/0/scopeSpans/0/spans/0/spanName");
    let (out, _) = validate_text(
        "traces",
        &span_with(
            "\"name\": \"root\"",
            "\"name\": \"root\", \"spanName\": \"x\"",
        ),
        &["--deny", "warnings"],
    );
    assert_eq!(out.code, 3, "--deny warnings");
}

#[test]
fn int64_rules() {
    let (_, number) = validate_text(
        "traces",
        &span_with("\"1544712660000000000\"", "1544712660000000000"),
        &[],
    );
    let f = number.find("int64-as-number");
    assert_eq!(f.severity, "info");
    assert!(f.message.contains("2^53"));
    let (out, text) = validate_text(
        "traces",
        &span_with("\"1544712660000000000\"", "\"soon\""),
        &[],
    );
    assert_eq!(out.code, 3);
    assert_eq!(text.find("int64-not-decimal").severity, "error");
}

const METRIC_TEMPLATE: &str = r#"{"resourceMetrics": [{"scopeMetrics": [{"metrics": [{
  "name": "requests",
  "unit": "1",
  "sum": {
    "dataPoints": [{"asInt": "3", "timeUnixNano": "1544712660000000000"}],
    "aggregationTemporality": 2,
    "isMonotonic": true
  }
}]}]}]}"#;

#[test]
fn metric_rules() {
    let (out, clean) = validate_text("metrics", METRIC_TEMPLATE, &[]);
    assert_eq!(out.code, 0);
    assert!(clean.findings.is_empty(), "{:?}", clean.findings);

    let misplaced = METRIC_TEMPLATE
        .replace(
            ",\n    \"aggregationTemporality\": 2,\n    \"isMonotonic\": true",
            "",
        )
        .replace(
            "\"asInt\": \"3\",",
            "\"asInt\": \"3\", \"aggregationTemporality\": 2, \"isMonotonic\": true,",
        );
    let (out, report) = validate_text("metrics", &misplaced, &[]);
    assert_eq!(out.code, 3);
    let codes = report.codes();
    assert_eq!(
        codes
            .iter()
            .filter(|c| **c == "sum-field-misplaced")
            .count(),
        2,
        "{codes:?}"
    );
    let sum = report.find("sum-without-temporality");
    assert_eq!(
        sum.pointer,
        "/resourceMetrics/0/scopeMetrics/0/metrics/0/sum"
    );

    let (_, unit) = validate_text(
        "metrics",
        &METRIC_TEMPLATE.replace("\"unit\": \"1\"", "\"unit\": \"seconds\""),
        &[],
    );
    assert_eq!(unit.find("non-ucum-unit").severity, "info");
    let (_, ok_unit) = validate_text(
        "metrics",
        &METRIC_TEMPLATE.replace("\"unit\": \"1\"", "\"unit\": \"By/s\""),
        &[],
    );
    assert!(ok_unit.findings.is_empty());
}

#[test]
fn a_valid_proto3_value_the_decoder_rejects_is_a_warning() {
    // proto3 JSON lets 32-bit integers be strings; opentelemetry-proto does not.
    let string_int = span_with(
        "\"kind\": 2",
        "\"kind\": 2, \"droppedAttributesCount\": \"1\"",
    );
    let (out, report) = validate_text("traces", &string_int, &[]);
    assert_eq!(out.code, 0);
    assert!(!report.decoder.as_ref().unwrap().accepted);
    assert!(
        report
            .decoder
            .as_ref()
            .unwrap()
            .error
            .as_ref()
            .unwrap()
            .contains("line")
    );
    assert_eq!(report.find("decoder-rejects").severity, "warning");

    // Inside a metric it does not fail: it drops the metric's data. The count shows it.
    let dropped =
        METRIC_TEMPLATE.replace("\"asInt\": \"3\",", "\"asInt\": \"3\", \"flags\": \"0\",");
    let (out, report) = validate_text("metrics", &dropped, &[]);
    assert_eq!(out.code, 0);
    let decoder = report.decoder.as_ref().unwrap();
    assert!(!decoder.accepted);
    assert!(
        decoder
            .error
            .as_ref()
            .unwrap()
            .contains("keeps 0 of the 1 data points"),
        "{decoder:?}"
    );
    assert!(report.find("decoder-rejects").message.contains("#3527"));
}

#[test]
fn personal_data_and_secrets_are_found_and_never_printed_whole() {
    let dir = tempfile::tempdir().unwrap();
    let license = dir.path().join("license.txt");
    std::fs::write(&license, "lic-CANARY-validate-0123").unwrap();
    let attrs = [
        ("user", "jane.doe@example.com", "privacy-email"),
        ("client", "10.20.30.40", "privacy-ip-address"),
        (
            "auth",
            "Bearer abc123DEF456ghi789jkl",
            "privacy-bearer-token",
        ),
        (
            "token",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqYW5lIn0.c2lnbmF0dXJlc2ln",
            "privacy-jwt",
        ),
        (
            "key",
            "lsv2_pt_0123456789abcdef0123456789abcdef_0123456789",
            "privacy-api-key",
        ),
        ("leak", "lic-CANARY-validate-0123", "privacy-license-key"),
    ];
    for (key, value, code) in attrs {
        let body = span_with(
            "\"name\": \"root\"",
            &format!(
                "\"name\": \"root\", \"attributes\": [{{\"key\": \"{key}\", \"value\": {{\"stringValue\": \"{value}\"}}}}]"
            ),
        );
        let file = dir.path().join("body.json");
        std::fs::write(&file, body).unwrap();
        let (out, report) = validate_file(
            dir.path(),
            "traces",
            &file,
            &["--license-file", license.to_str().unwrap()],
        );
        let f = report.find(code);
        assert_eq!(f.severity, "warning", "{code}");
        assert_eq!(
            f.pointer,
            "/resourceSpans/0/scopeSpans/0/spans/0/attributes/0/value/stringValue"
        );
        assert!(!out.stdout.contains(value), "{code}: the value is masked");
        let mut cmd = beacon(dir.path());
        cmd.args(["validate", "traces"])
            .arg(&file)
            .args(["--license-file", license.to_str().unwrap()]);
        let human = run(cmd);
        assert!(
            !human.stdout.contains(value) && human.stdout.contains(code),
            "{code}"
        );
    }
}

#[test]
fn billing_rules() {
    let sample = std::fs::read_to_string(fixture("samples/ingest-traces.request.json")).unwrap();
    let cases = [
        (
            "\"trace_count\": 5",
            "\"trace_count\": -5",
            "count-negative",
            "/trace_transactions/0/trace_count",
        ),
        (
            "\"trace_count\": 5",
            "\"trace_count\": \"5\"",
            "wrong-type",
            "/trace_transactions/0/trace_count",
        ),
        (
            "\"id\": \"af28dfea-5358-463d-a2dc-37df1da72498\"",
            "\"id\": \"af28dfea\"",
            "uuid-invalid",
            "/trace_transactions/0/id",
        ),
        (
            "\"2025-01-06T10:00:00Z\"",
            "\"2025-01-06 10:00\"",
            "time-invalid",
            "/trace_transactions/0/start_insertion_time",
        ),
        (
            "\"license\": \"<YOUR_LICENSE_KEY>\"",
            "\"license_key\": \"<YOUR_LICENSE_KEY>\"",
            "wrong-license-field",
            "/license_key",
        ),
        (
            "      \"status\": \"completed\",\n",
            "",
            "missing-field",
            "/trace_transactions/0",
        ),
        (
            "\"status\": \"completed\"",
            "\"status\": \"completed\", \"region\": \"eu\"",
            "undocumented-field",
            "/trace_transactions/0/region",
        ),
    ];
    for (from, to, code, pointer) in cases {
        assert!(sample.contains(from), "{from}");
        let (_, report) = validate_text("ingest-traces", &sample.replacen(from, to, 1), &[]);
        let f = report.find(code);
        assert_eq!(f.pointer, pointer, "{code}");
        assert!(report.decoder.is_none());
    }
    let usage = std::fs::read_to_string(fixture("samples/usage-snapshot.request.json")).unwrap();
    let backwards = usage.replace("2026-03-26T02:00:00+00:00", "2026-03-24T02:00:00+00:00");
    let (out, report) = validate_text("usage-snapshot", &backwards, &[]);
    assert_eq!(out.code, 3);
    assert_eq!(report.find("window-backwards").pointer, "/to_timestamp");
    let (_, wrong) = validate_text(
        "usage-snapshot",
        &usage.replace("\"license_key\"", "\"license\""),
        &[],
    );
    assert!(
        wrong.codes().contains(&"wrong-license-field") && wrong.codes().contains(&"missing-field")
    );
}

fn span(span_id: Vec<u8>, name: &str) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: vec![Span {
                    trace_id: vec![7; 16],
                    span_id,
                    name: name.to_string(),
                    kind: 2,
                    start_time_unix_nano: 1_544_712_660_000_000_000,
                    end_time_unix_nano: 1_544_712_661_000_000_000,
                    attributes: vec![KeyValue {
                        key: "http.method".into(),
                        value: Some(AnyValue {
                            value: Some(any_value::Value::StringValue("GET".into())),
                        }),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

#[test]
fn protobuf_bodies_are_checked_too_gzip_or_not() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.pb");
    std::fs::write(
        &good,
        span(vec![1, 2, 3, 4, 5, 6, 7, 8], "ok").encode_to_vec(),
    )
    .unwrap();
    let (out, report) = validate_file(dir.path(), "traces", &good, &["--input-format", "protobuf"]);
    assert_eq!(out.code, 0, "{:?}", report.findings);
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    assert_eq!(report.encoding, "protobuf");

    let bad = dir.path().join("bad.pb");
    std::fs::write(
        &bad,
        span(vec![1, 2, 3, 4, 5, 6, 7], "short").encode_to_vec(),
    )
    .unwrap();
    let (out, report) = validate_file(dir.path(), "traces", &bad, &["--input-format", "protobuf"]);
    assert_eq!(out.code, 3);
    let f = report.find("span-id-length");
    assert_eq!(f.pointer, "/resourceSpans/0/scopeSpans/0/spans/0/spanId");
    assert_eq!((f.line, f.column), (None, None), "no lines in protobuf");

    let zipped = dir.path().join("bad.pb.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut encoder, &span(vec![0; 8], "zero").encode_to_vec()).unwrap();
    std::fs::write(&zipped, encoder.finish().unwrap()).unwrap();
    let (_, report) = validate_file(
        dir.path(),
        "traces",
        &zipped,
        &["--input-format", "protobuf"],
    );
    assert!(report.gzip);
    assert_eq!(report.find("span-id-zero").severity, "error");
}

#[test]
fn gzip_json_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("body.json.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut encoder, SPAN_TEMPLATE.as_bytes()).unwrap();
    std::fs::write(&file, encoder.finish().unwrap()).unwrap();
    let (out, report) = validate_file(dir.path(), "traces", &file, &[]);
    assert_eq!(out.code, 0);
    assert!(report.gzip && report.findings.is_empty());
}

#[test]
fn unreadable_input_exits_2_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &[u8], &[&str], &str)] = &[
        (
            "traces",
            b"{\"resourceSpans\": [\n  {,}\n]}",
            &[],
            "body`:2:4: not JSON",
        ),
        ("traces", b"", &[], "not JSON: the file is empty"),
        (
            "traces",
            b"\x08\x96\x01garbage",
            &["--input-format", "protobuf"],
            "is not a protobuf ExportTraceServiceRequest",
        ),
        (
            "verify",
            b"{}",
            &["--input-format", "protobuf"],
            "only metrics, traces and logs",
        ),
        ("traces", b"{}", &["--gzip"], "is not gzip-compressed"),
        ("traces", b"{\"a\": \"\xff\"}", &[], "body`:1:8: not UTF-8"),
    ];
    for (id, bytes, extra, expected) in cases {
        let file = dir.path().join("body");
        std::fs::write(&file, bytes).unwrap();
        let mut cmd = beacon(dir.path());
        cmd.args(["validate", id]).arg(&file).args(*extra);
        let out = run(cmd);
        assert_eq!(out.code, 2, "{expected}: {}", out.stderr);
        assert!(
            out.stderr.starts_with("error: ") && out.stderr.contains(expected),
            "{expected}: {}",
            out.stderr
        );
        assert!(out.stdout.is_empty());
    }
    let mut cmd = beacon(dir.path());
    cmd.args(["validate", "traces", "missing.json"]);
    assert_eq!(run(cmd).code, 2);
    let mut cmd = beacon(dir.path());
    cmd.args(["validate", "traces"]);
    assert_eq!(run(cmd).code, 2, "FILE is required");
}

#[test]
fn standard_input_works() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = beacon(dir.path());
    cmd.args(["validate", "traces", "-", "-o", "json"])
        .write_stdin(SPAN_TEMPLATE);
    let out = run(cmd);
    assert_eq!(out.code, 0);
    let report: Report = serde_json::from_str(&out.stdout).unwrap();
    assert!(report.valid);
}

#[test]
fn protobuf_bodies_meet_the_same_rules() {
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
    use opentelemetry_proto::tonic::metrics::v1::{
        Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, metric, number_data_point,
    };

    let dir = tempfile::tempdir().unwrap();
    let check = |id: &str, bytes: Vec<u8>, code: &str, pointer: &str| {
        let file = dir.path().join(format!("{code}.pb"));
        std::fs::write(&file, bytes).unwrap();
        let (_, report) = validate_file(dir.path(), id, &file, &["--input-format", "protobuf"]);
        let f = report.find(code);
        assert_eq!(f.pointer, pointer, "{code}");
        assert_eq!(f.line, None);
    };

    let mut wrong_trace = span(vec![1; 8], "x");
    wrong_trace.resource_spans[0].scope_spans[0].spans[0].trace_id = vec![9; 12];
    check(
        "traces",
        wrong_trace.encode_to_vec(),
        "trace-id-length",
        "/resourceSpans/0/scopeSpans/0/spans/0/traceId",
    );

    let mut bad_kind = span(vec![1; 8], "x");
    bad_kind.resource_spans[0].scope_spans[0].spans[0].kind = 9;
    check(
        "traces",
        bad_kind.encode_to_vec(),
        "enum-out-of-range",
        "/resourceSpans/0/scopeSpans/0/spans/0/kind",
    );

    let mut zero_parent = span(vec![1; 8], "x");
    zero_parent.resource_spans[0].scope_spans[0].spans[0].parent_span_id = vec![0; 8];
    check(
        "traces",
        zero_parent.encode_to_vec(),
        "root-parent-not-empty",
        "/resourceSpans/0/scopeSpans/0/spans/0/parentSpanId",
    );

    let personal = span(vec![1; 8], "sent by jane.doe@example.com");
    check(
        "traces",
        personal.encode_to_vec(),
        "privacy-email",
        "/resourceSpans/0/scopeSpans/0/spans/0/name",
    );

    let metrics = ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![Metric {
                    name: "requests".into(),
                    unit: "requests".into(),
                    data: Some(metric::Data::Sum(Sum {
                        data_points: vec![NumberDataPoint {
                            time_unix_nano: 1_544_712_660_000_000_000,
                            value: Some(number_data_point::Value::AsInt(3)),
                            ..Default::default()
                        }],
                        aggregation_temporality: 0,
                        is_monotonic: true,
                    })),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    check(
        "metrics",
        metrics.encode_to_vec(),
        "sum-without-temporality",
        "/resourceMetrics/0/scopeMetrics/0/metrics/0/sum",
    );
    check(
        "metrics",
        metrics.encode_to_vec(),
        "non-ucum-unit",
        "/resourceMetrics/0/scopeMetrics/0/metrics/0/unit",
    );

    let logs = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord {
                    severity_number: 13,
                    trace_id: vec![0; 16],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    check(
        "logs",
        logs.encode_to_vec(),
        "log-not-error",
        "/resourceLogs/0/scopeLogs/0/logRecords/0/severityNumber",
    );
    check(
        "logs",
        logs.encode_to_vec(),
        "trace-id-zero",
        "/resourceLogs/0/scopeLogs/0/logRecords/0/traceId",
    );
}

#[test]
fn findings_past_the_cap_are_counted_not_listed() {
    // 120,000 spans with a 7-byte span id: 120,000 errors on one line.
    let span = r#"{"traceId":"0123456789abcdef0123456789abcdef","spanId":"3c191d03fa8be0","name":"s","startTimeUnixNano":"1","endTimeUnixNano":"2"}"#;
    let spans = vec![span; 120_000].join(",");
    let body = format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{spans}]}}]}}]}}"#);
    let (out, report) = validate_text("traces", &body, &[]);
    assert_eq!(out.code, 3);
    assert!(!report.valid);
    assert_eq!(report.findings.len(), 100_000);
    assert_eq!(report.findings_omitted.errors, 20_000);
    assert_eq!(
        (
            report.findings_omitted.warnings,
            report.findings_omitted.infos,
            report.findings_omitted.policy
        ),
        (0, 0, 0)
    );
    let last = report.findings.last().unwrap();
    assert_eq!(last.line, Some(1), "one line");
    assert!(
        last.column.unwrap() > 8_000_000,
        "columns counted to the end of it"
    );
}

// The real-exporter corpus (fixtures/exporters): every body is clean, and a mutant
// of a real body breaks exactly one rule, caught in JSON and in protobuf alike.

#[derive(Debug, Deserialize)]
struct Manifest {
    bodies: Vec<CorpusBody>,
}

#[derive(Debug, Deserialize)]
struct CorpusBody {
    file: String,
    endpoint: String,
}

fn corpus() -> Vec<CorpusBody> {
    let text = std::fs::read_to_string(fixture("exporters/manifest.json")).unwrap();
    let manifest: Manifest = serde_json::from_str(&text).unwrap();
    assert!(manifest.bodies.len() >= 48, "{}", manifest.bodies.len());
    manifest.bodies
}

fn encoding_args(file: &str) -> &'static [&'static str] {
    if file.contains(".pb") {
        &["--input-format", "protobuf"]
    } else {
        &[]
    }
}

/// A corpus body's bytes, inflated when it was sent gzip-compressed.
fn corpus_bytes(file: &str) -> Vec<u8> {
    let bytes = std::fs::read(fixture(&format!("exporters/{file}"))).unwrap();
    if file.ends_with(".gz") {
        use std::io::Read;
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        bytes
    }
}

/// The OTLP/JSON of a corpus body: the body itself, or for protobuf the JSON
/// opentelemetry-proto's serialiser writes for the decoded request.
fn corpus_json(file: &str, signal: &str) -> serde_json::Value {
    let bytes = corpus_bytes(file);
    if !file.contains(".pb") {
        return serde_json::from_slice(&bytes).unwrap();
    }
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    match signal {
        "traces" => serde_json::to_value(ExportTraceServiceRequest::decode(&bytes[..]).unwrap()),
        "metrics" => serde_json::to_value(ExportMetricsServiceRequest::decode(&bytes[..]).unwrap()),
        _ => serde_json::to_value(ExportLogsServiceRequest::decode(&bytes[..]).unwrap()),
    }
    .unwrap()
}

/// The protobuf of an OTLP/JSON request: through opentelemetry-proto's own types.
fn protobuf_of(value: serde_json::Value, signal: &str) -> Vec<u8> {
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    match signal {
        "traces" => serde_json::from_value::<ExportTraceServiceRequest>(value)
            .unwrap()
            .encode_to_vec(),
        "metrics" => serde_json::from_value::<ExportMetricsServiceRequest>(value)
            .unwrap()
            .encode_to_vec(),
        _ => serde_json::from_value::<ExportLogsServiceRequest>(value)
            .unwrap()
            .encode_to_vec(),
    }
}

/// The pointers of a request's records: spans, metrics or log records.
fn records(body: &serde_json::Value, signal: &str) -> Vec<String> {
    let [top, scopes, items] = match signal {
        "traces" => ["resourceSpans", "scopeSpans", "spans"],
        "metrics" => ["resourceMetrics", "scopeMetrics", "metrics"],
        _ => ["resourceLogs", "scopeLogs", "logRecords"],
    };
    let len = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_array()).map_or(0, Vec::len);
    let mut out = Vec::new();
    for r in 0..len(body.get(top)) {
        let resource = format!("/{top}/{r}/{scopes}");
        for s in 0..len(body.pointer(&resource)) {
            let scope = format!("{resource}/{s}/{items}");
            for i in 0..len(body.pointer(&scope)) {
                out.push(format!("{scope}/{i}"));
            }
        }
    }
    out
}

#[test]
fn every_real_exporter_body_is_valid_and_only_policy_findings_remain() {
    let dir = tempfile::tempdir().unwrap();
    let mut logs_bodies = 0;
    for body in corpus() {
        let file = fixture(&format!("exporters/{}", body.file));
        let mut extra = encoding_args(&body.file).to_vec();
        extra.extend(["--deny", "warnings"]);
        let (out, report) = validate_file(dir.path(), &body.endpoint, &file, &extra);
        assert_eq!(out.code, 0, "{}: {:?}", body.file, report.findings);
        assert!(report.valid, "{}", body.file);
        assert!(report.decoder.as_ref().unwrap().accepted, "{}", body.file);
        let loud: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.severity == "error" || f.severity == "warning")
            .collect();
        assert!(loud.is_empty(), "{}: {loud:?}", body.file);
        // The policy findings are exactly the records below ERROR, counted here
        // from the body itself.
        let json = corpus_json(&body.file, &body.endpoint);
        let below_error: Vec<String> = records(&json, &body.endpoint)
            .into_iter()
            .filter(|_| body.endpoint == "logs")
            .filter(|p| {
                json.pointer(p)
                    .and_then(|r| r.get("severityNumber"))
                    .and_then(serde_json::Value::as_i64)
                    .unwrap_or(0)
                    < 17
            })
            .collect();
        let policy: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.severity == "policy")
            .map(|f| {
                assert_eq!(f.code, "log-not-error");
                f.pointer.trim_end_matches("/severityNumber")
            })
            .collect();
        assert_eq!(policy, below_error, "{}", body.file);
        if !policy.is_empty() {
            logs_bodies += 1;
            // --deny policy turns them into failures; --deny warnings left them alone.
            let mut cmd = beacon(dir.path());
            cmd.args(["validate", &body.endpoint])
                .arg(&file)
                .args(encoding_args(&body.file))
                .args(["--deny", "warnings", "--deny", "policy"]);
            let denied = run(cmd);
            assert_eq!(denied.code, 3, "{}", body.file);
            assert!(
                denied.stderr.contains("(--deny warnings,policy)")
                    && denied.stderr.contains("log-not-error"),
                "{}",
                denied.stderr
            );
        }
    }
    assert_eq!(logs_bodies, 16, "every logs body has records below ERROR");
}

/// One rule, and how to break it in a real body: `mutate` edits the OTLP/JSON of
/// a request and returns the pointer where the finding must be, or `None` when
/// the body has nothing to break.
struct Mutant {
    code: &'static str,
    signal: &'static str,
    severity: &'static str,
    /// The defect exists only in JSON text (protobuf cannot carry it).
    json_only: bool,
    /// Receivers ignore everything under the mutated place, and so does the
    /// check: the new finding is the only one left.
    hides_the_rest: bool,
    mutate: fn(&mut serde_json::Value) -> Option<String>,
}

/// A mutant of an error rule, in JSON and in protobuf.
const fn breaks(
    code: &'static str,
    signal: &'static str,
    mutate: fn(&mut serde_json::Value) -> Option<String>,
) -> Mutant {
    Mutant {
        code,
        signal,
        severity: "error",
        json_only: false,
        hides_the_rest: false,
        mutate,
    }
}

/// A mutant of a warning rule.
const fn warns(
    code: &'static str,
    signal: &'static str,
    mutate: fn(&mut serde_json::Value) -> Option<String>,
) -> Mutant {
    Mutant {
        severity: "warning",
        ..breaks(code, signal, mutate)
    }
}

/// A mutant of a policy rule.
const fn policy(
    code: &'static str,
    signal: &'static str,
    mutate: fn(&mut serde_json::Value) -> Option<String>,
) -> Mutant {
    Mutant {
        severity: "policy",
        ..breaks(code, signal, mutate)
    }
}

/// Sets an integer where one was, as a string or a number like the original.
fn set_int(slot: &mut serde_json::Value, n: i128) {
    *slot = if slot.is_string() {
        serde_json::Value::String(n.to_string())
    } else {
        serde_json::json!(n as i64)
    };
}

fn int_of(value: &serde_json::Value) -> i128 {
    match value {
        serde_json::Value::String(s) => s.parse().unwrap(),
        other => i128::from(other.as_i64().unwrap()),
    }
}

fn at<'v>(body: &'v mut serde_json::Value, pointer: &str) -> &'v mut serde_json::Value {
    body.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no {pointer}"))
}

/// The first record of `signal` for which `keep` holds.
fn first(
    body: &serde_json::Value,
    signal: &str,
    keep: impl Fn(&serde_json::Value) -> bool,
) -> Option<String> {
    records(body, signal)
        .into_iter()
        .find(|p| body.pointer(p).is_some_and(&keep))
}

fn has_items(record: &serde_json::Value, list: &str, n: usize) -> bool {
    record
        .get(list)
        .and_then(serde_json::Value::as_array)
        .is_some_and(|a| a.len() >= n)
}

/// The first data point of the first metric with data of `kind` (and `keep`).
fn first_point(
    body: &serde_json::Value,
    kind: &str,
    keep: impl Fn(&serde_json::Value) -> bool,
) -> Option<String> {
    let metric = first(body, "metrics", |m| {
        m.get(kind)
            .is_some_and(|d| has_items(d, "dataPoints", 1) && keep(d))
    })?;
    Some(format!("{metric}/{kind}/dataPoints/0"))
}

const MUTANTS: &[Mutant] = &[
    breaks("span-end-before-start", "traces", |b| {
        let span = first(b, "traces", |_| true)?;
        let start = int_of(at(b, &format!("{span}/startTimeUnixNano")));
        set_int(at(b, &format!("{span}/endTimeUnixNano")), start - 1_000);
        Some(format!("{span}/endTimeUnixNano"))
    }),
    breaks("span-time-zero", "traces", |b| {
        let span = first(b, "traces", |_| true)?;
        set_int(at(b, &format!("{span}/endTimeUnixNano")), 0);
        Some(format!("{span}/endTimeUnixNano"))
    }),
    breaks("span-name-empty", "traces", |b| {
        let span = first(b, "traces", |_| true)?;
        *at(b, &format!("{span}/name")) = "".into();
        Some(format!("{span}/name"))
    }),
    breaks("event-before-span-start", "traces", |b| {
        let span = first(b, "traces", |s| has_items(s, "events", 1))?;
        let start = int_of(at(b, &format!("{span}/startTimeUnixNano")));
        let time = format!("{span}/events/0/timeUnixNano");
        set_int(at(b, &time), start - 1_000);
        Some(time)
    }),
    breaks("event-name-empty", "traces", |b| {
        let span = first(b, "traces", |s| has_items(s, "events", 1))?;
        *at(b, &format!("{span}/events/0/name")) = "".into();
        Some(format!("{span}/events/0/name"))
    }),
    breaks("attribute-key-empty", "traces", |b| {
        let span = first(b, "traces", |s| has_items(s, "attributes", 1))?;
        *at(b, &format!("{span}/attributes/0/key")) = "".into();
        Some(format!("{span}/attributes/0/key"))
    }),
    breaks("attribute-key-duplicate", "traces", |b| {
        let span = first(b, "traces", |s| has_items(s, "attributes", 2))?;
        let key = at(b, &format!("{span}/attributes/0/key")).clone();
        *at(b, &format!("{span}/attributes/1/key")) = key;
        Some(format!("{span}/attributes/1/key"))
    }),
    // On the wire the last member of a oneof wins: no decoded message has two.
    Mutant {
        json_only: true,
        ..breaks("oneof-multiple", "traces", |b| {
            let span = first(b, "traces", |s| has_items(s, "attributes", 1))?;
            let value = at(b, &format!("{span}/attributes/0/value"));
            let second = if value.get("boolValue").is_some() {
                "stringValue"
            } else {
                "boolValue"
            };
            let member = if second == "boolValue" {
                serde_json::json!(true)
            } else {
                serde_json::json!("x")
            };
            value.as_object_mut()?.insert(second.to_string(), member);
            Some(format!("{span}/attributes/0/value/{second}"))
        })
    },
    breaks("metric-name-empty", "metrics", |b| {
        let metric = first(b, "metrics", |_| true)?;
        *at(b, &format!("{metric}/name")) = "".into();
        Some(format!("{metric}/name"))
    }),
    breaks("metric-data", "metrics", |b| {
        let metric = first(b, "metrics", |m| m.get("gauge").is_some())?;
        at(b, &metric).as_object_mut()?.remove("gauge");
        Some(metric)
    }),
    breaks("point-without-value", "metrics", |b| {
        let point = first_point(b, "gauge", |_| true)?;
        let object = at(b, &point).as_object_mut()?;
        object
            .remove("asInt")
            .or_else(|| object.remove("asDouble"))?;
        Some(point)
    }),
    breaks("point-time-zero", "metrics", |b| {
        let point = first_point(b, "sum", |_| true)?;
        set_int(at(b, &format!("{point}/timeUnixNano")), 0);
        Some(format!("{point}/timeUnixNano"))
    }),
    breaks("point-start-after-time", "metrics", |b| {
        let point = first_point(b, "sum", |_| true)?;
        let time = int_of(at(b, &format!("{point}/timeUnixNano")));
        set_int(at(b, &format!("{point}/startTimeUnixNano")), time + 1_000);
        Some(format!("{point}/startTimeUnixNano"))
    }),
    breaks("monotonic-sum-negative", "metrics", |b| {
        let point = first_point(b, "sum", |s| {
            s.get("isMonotonic") == Some(&serde_json::json!(true))
                && s.get("aggregationTemporality") == Some(&serde_json::json!(2))
        })?;
        let object = at(b, &point).as_object_mut()?;
        if let Some(x) = object.get_mut("asDouble") {
            *x = serde_json::json!(-(x.as_f64()?.abs() + 1.0));
            return Some(format!("{point}/asDouble"));
        }
        let n = int_of(object.get("asInt")?);
        set_int(object.get_mut("asInt")?, -(n.abs() + 1));
        Some(format!("{point}/asInt"))
    }),
    breaks("histogram-buckets-bounds", "metrics", |b| {
        let point = first_point(b, "histogram", |_| true)?;
        at(b, &format!("{point}/explicitBounds"))
            .as_array_mut()?
            .pop()?;
        Some(format!("{point}/bucketCounts"))
    }),
    breaks("histogram-count-mismatch", "metrics", |b| {
        let point = first_point(b, "histogram", |_| true)?;
        let count = int_of(at(b, &format!("{point}/count")));
        set_int(at(b, &format!("{point}/count")), count + 1);
        Some(format!("{point}/count"))
    }),
    breaks("histogram-bounds-order", "metrics", |b| {
        let point = first_point(b, "histogram", |_| true)?;
        let bounds = at(b, &format!("{point}/explicitBounds")).as_array_mut()?;
        bounds.swap(1, 2);
        Some(format!("{point}/explicitBounds/2"))
    }),
    breaks("histogram-min-max", "metrics", |b| {
        let point = first_point(b, "histogram", |_| true)?;
        let max = at(b, &format!("{point}/max")).as_f64()?;
        *at(b, &format!("{point}/min")) = serde_json::json!(max + 1.5);
        Some(format!("{point}/min"))
    }),
    breaks("exp-histogram-count-mismatch", "metrics", |b| {
        let point = first_point(b, "exponentialHistogram", |_| true)?;
        let count = int_of(at(b, &format!("{point}/count")));
        set_int(at(b, &format!("{point}/count")), count + 1);
        Some(format!("{point}/count"))
    }),
    warns("log-span-without-trace", "logs", |b| {
        let record = first(b, "logs", |r| {
            r.get("spanId")
                .and_then(serde_json::Value::as_str)
                .is_some_and(|s| !s.is_empty())
        })?;
        *at(b, &format!("{record}/traceId")) = "".into();
        Some(format!("{record}/spanId"))
    }),
    // Severity 0 (unspecified) is below ERROR like the others.
    policy("log-not-error", "logs", |b| {
        let record = first(b, "logs", |r| {
            r.get("severityNumber").and_then(serde_json::Value::as_i64) >= Some(17)
        })?;
        *at(b, &format!("{record}/severityNumber")) = serde_json::json!(0);
        Some(format!("{record}/severityNumber"))
    }),
    Mutant {
        json_only: true,
        hides_the_rest: true,
        ..breaks("snake-case-field", "traces", |b| {
            let object = b.as_object_mut()?;
            let spans = object.remove("resourceSpans")?;
            object.insert("resource_spans".to_string(), spans);
            Some("/resource_spans".to_string())
        })
    },
    Mutant {
        json_only: true,
        ..breaks("int64-out-of-range", "traces", |b| {
            let span = first(b, "traces", |s| has_items(s, "attributes", 1))?;
            let value = at(b, &format!("{span}/attributes/0/value"));
            *value = serde_json::json!({"intValue": "9223372036854775808"});
            Some(format!("{span}/attributes/0/value/intValue"))
        })
    },
];

/// Line and column as the report gives them (1-based, columns in characters) to a
/// byte offset in `text`.
fn offset_of(text: &str, line: u32, column: u32) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line as usize - 1)
        .map(str::len)
        .sum();
    start
        + text[start..]
            .chars()
            .take(column as usize - 1)
            .map(char::len_utf8)
            .sum::<usize>()
}

/// The finding's line and column are where its pointer is in `text`: at the
/// value, or at the member's key for a finding about the key.
fn assert_located(text: &str, f: &Finding) {
    let (Some(line), Some(column)) = (f.line, f.column) else {
        panic!("{}: no line and column in JSON", f.code);
    };
    let here = &text[offset_of(text, line, column)..];
    let value: serde_json::Value =
        serde_json::from_str(text.trim_start_matches('\u{feff}')).unwrap();
    let expected = match value.pointer(&f.pointer) {
        _ if f.pointer.is_empty() => String::new(),
        Some(serde_json::Value::Object(_)) => "{".to_string(),
        Some(serde_json::Value::Array(_)) => "[".to_string(),
        Some(scalar) => serde_json::to_string(scalar).unwrap(),
        None => panic!("{}: {} is not in the body", f.code, f.pointer),
    };
    let key = format!("\"{}\"", f.pointer.rsplit('/').next().unwrap());
    assert!(
        here.starts_with(&expected) || here.starts_with(&key),
        "{} at {line}:{column} ({}): {:?}",
        f.code,
        f.pointer,
        &here[..here.len().min(60)]
    );
}

/// The findings as (severity, code, pointer), sorted.
fn keyed(report: &Report) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.severity.clone(), f.code.clone(), f.pointer.clone()))
        .collect();
    out.sort();
    out
}

#[test]
fn each_rule_catches_its_mutant_of_a_real_body_in_json_and_protobuf() {
    let dir = tempfile::tempdir().unwrap();
    let clients = ["python-json", "js-json", "python-proto", "js-proto"];
    for mutant in MUTANTS {
        let mut caught = Vec::new();
        for client in clients {
            let protobuf = client.ends_with("proto");
            if protobuf && mutant.json_only {
                continue;
            }
            // The first of the signal's two requests that has what the mutant breaks.
            let found = (1..=2).find_map(|n| {
                let file = format!(
                    "{client}-{}-{n}.{}",
                    mutant.signal,
                    if protobuf { "pb" } else { "json" }
                );
                let mut body = corpus_json(&file, mutant.signal);
                (mutant.mutate)(&mut body).map(|pointer| (file, body, pointer))
            });
            let Some((file, body, pointer)) = found else {
                panic!("{}: nothing to break in {client}", mutant.code)
            };
            let base = fixture(&format!("exporters/{file}"));
            let (_, before) = validate_file(dir.path(), mutant.signal, &base, encoding_args(&file));
            let path = dir.path().join(format!("{}-{file}", mutant.code));
            let text = serde_json::to_string_pretty(&body).unwrap();
            if protobuf {
                std::fs::write(&path, protobuf_of(body, mutant.signal)).unwrap();
            } else {
                std::fs::write(&path, &text).unwrap();
            }
            let (out, after) =
                validate_file(dir.path(), mutant.signal, &path, encoding_args(&file));
            // Exactly one new finding, of this rule, at the mutated place.
            let mut expected = if mutant.hides_the_rest {
                Vec::new()
            } else {
                keyed(&before)
            };
            expected.push((
                mutant.severity.to_string(),
                mutant.code.to_string(),
                pointer,
            ));
            expected.sort();
            assert_eq!(keyed(&after), expected, "{} in {file}", mutant.code);
            let f = after.find(mutant.code);
            assert!(
                !f.message.is_empty() && !f.hint.is_empty(),
                "{}",
                mutant.code
            );
            assert_eq!(
                out.code,
                if mutant.severity == "error" { 3 } else { 0 },
                "{} in {file}",
                mutant.code
            );
            if protobuf {
                assert_eq!((f.line, f.column), (None, None), "{}", mutant.code);
            } else {
                assert_located(&text, f);
            }
            caught.push(client);
        }
        let expected = if mutant.json_only { 2 } else { 4 };
        assert_eq!(caught.len(), expected, "{}: {caught:?}", mutant.code);
    }
}

#[test]
fn encoding_defects_of_real_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let traces = fixture("exporters/python-json-traces-1.json");
    let text = std::fs::read_to_string(&traces).unwrap();
    let (_, clean) = validate_file(dir.path(), "traces", &traces, &[]);
    assert!(clean.findings.is_empty(), "{:?}", clean.findings);

    // A traces body checked as metrics is not "valid metrics".
    let (out, wrong) = validate_file(dir.path(), "metrics", &traces, &[]);
    assert_eq!(out.code, 3);
    assert!(!wrong.valid);
    assert_eq!(wrong.codes(), ["wrong-signal"]);
    assert_eq!(wrong.find("wrong-signal").pointer, "/resourceSpans");
    assert_located(&text, wrong.find("wrong-signal"));

    // A byte-order mark: named, at 1:1, and the rest of the body still checked.
    let bom = dir.path().join("bom.json");
    std::fs::write(&bom, format!("\u{feff}{text}")).unwrap();
    let (out, report) = validate_file(dir.path(), "traces", &bom, &[]);
    assert_eq!(out.code, 3);
    assert_eq!(report.codes(), ["json-bom"]);
    let f = report.find("json-bom");
    assert_eq!(
        (f.pointer.as_str(), f.line, f.column),
        ("", Some(1), Some(1))
    );
    assert!(f.message.contains("byte-order mark"), "{}", f.message);
    assert!(!report.decoder.as_ref().unwrap().accepted);

    // 64-bit integers: beyond the range is an error, whatever the form; a whole
    // number with an exponent is not called a fraction.
    for (value, code, says) in [
        (
            "\"18446744073709551616\"",
            "int64-out-of-range",
            "0 to 18446744073709551615",
        ),
        ("\"-1\"", "int64-out-of-range", "unsigned"),
        ("1e+21", "int64-out-of-range", "outside the range"),
        (
            "18446744073709551616",
            "int64-out-of-range",
            "outside the range",
        ),
        ("1e3", "int64-not-integer", "decimal point or an exponent"),
        ("1.5", "int64-not-integer", "fraction"),
    ] {
        let mut body: serde_json::Value = serde_json::from_str(&text).unwrap();
        let span = first(&body, "traces", |_| true).unwrap();
        // Written into the text as is: a Value would turn 2^64 into a double.
        *at(&mut body, &format!("{span}/startTimeUnixNano")) = "@start@".into();
        let mutant = body.to_string().replace("\"@start@\"", value);
        let (out, report) = validate_text("traces", &mutant, &[]);
        assert_eq!(out.code, 3, "{value}");
        // The unreadable start is not also reported as missing, nor compared.
        assert_eq!(report.codes(), [code], "{value}");
        let f = report.find(code);
        assert_eq!(f.pointer, format!("{span}/startTimeUnixNano"));
        assert!(f.message.contains(says), "{value}: {}", f.message);
    }
}

#[test]
fn version_strings_are_not_ip_addresses() {
    let file = "python-json-traces-1.json";
    for (key, value, flagged) in [
        ("service.version", "1.0.0.0", false),
        ("telemetry.sdk.version", "6.1.0.11", false),
        ("appVersion", "10.2.0.1", false),
        ("net.peer.ip", "6.1.0.11", true),
    ] {
        let mut body = corpus_json(file, "traces");
        let attrs = at(&mut body, "/resourceSpans/0/resource/attributes")
            .as_array_mut()
            .unwrap();
        attrs.retain(|a| a["key"] != key);
        attrs.push(serde_json::json!({"key": key, "value": {"stringValue": value}}));
        let (_, report) = validate_text("traces", &body.to_string(), &[]);
        let ip = report.codes().contains(&"privacy-ip-address");
        assert_eq!(ip, flagged, "{key}: {value}: {:?}", report.findings);
    }
}

#[test]
fn protobuf_style_json_metrics_get_one_error_per_enum_name() {
    // What protobuf's MessageToJson writes by default: enum names.
    let file = "python-json-metrics-1.json";
    let mut body = corpus_json(file, "metrics");
    let mut named = 0;
    for metric in records(&body, "metrics") {
        for kind in ["sum", "histogram", "exponentialHistogram"] {
            if let Some(t) = body.pointer_mut(&format!("{metric}/{kind}/aggregationTemporality")) {
                let name = ["UNSPECIFIED", "DELTA", "CUMULATIVE"][t.as_u64().unwrap() as usize];
                *t = format!("AGGREGATION_TEMPORALITY_{name}").into();
                named += 1;
            }
        }
    }
    assert!(named > 3);
    let (out, report) = validate_text("metrics", &body.to_string(), &[]);
    assert_eq!(out.code, 3);
    assert_eq!(report.count("error"), named, "{:?}", report.codes());
    assert!(report.codes().iter().all(|c| *c == "enum-as-name"));
    assert!(report.find("enum-as-name").hint.starts_with("write "));
    // opentelemetry-proto drops those metrics' data: said in one sentence.
    let error = report.decoder.as_ref().unwrap().error.clone().unwrap();
    assert!(
        error.starts_with("keeps ") && error.contains("data points"),
        "{error}"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("named.json");
    std::fs::write(&path, body.to_string()).unwrap();
    let mut cmd = beacon(dir.path());
    cmd.args(["validate", "metrics"]).arg(&path);
    let human = run(cmd);
    assert!(
        human
            .stdout
            .contains(&format!("opentelemetry-proto's decoder {error}\n")),
        "{}",
        human.stdout
    );
}

#[test]
fn the_decoder_is_not_said_to_reject_valid_json_when_the_json_is_not() {
    // A duplicate field: serde refuses it; proto3 JSON parsers refuse it too.
    let (out, report) = validate_text(
        "traces",
        &span_with("\"kind\": 2", "\"kind\": 2, \"kind\": 2"),
        &[],
    );
    assert_eq!(out.code, 0);
    let f = report.find("decoder-rejects");
    assert!(!f.message.contains("valid proto3"), "{}", f.message);
    assert!(f.message.contains("duplicate-field"), "{}", f.message);
    // A 32-bit integer as a string is valid proto3 JSON, and said to be.
    let (_, report) = validate_text(
        "traces",
        &span_with(
            "\"kind\": 2",
            "\"kind\": 2, \"droppedAttributesCount\": \"1\"",
        ),
        &[],
    );
    assert!(
        report
            .find("decoder-rejects")
            .message
            .contains("valid proto3 JSON")
    );
}

#[test]
fn a_traces_protobuf_checked_as_metrics_is_refused_or_flagged() {
    // Protobuf does not name its messages: a traces body read as metrics either
    // fails to decode (exit 2) or decodes to something that is not valid.
    let dir = tempfile::tempdir().unwrap();
    for client in ["python-proto", "js-proto"] {
        let file = fixture(&format!("exporters/{client}-traces-1.pb"));
        let mut cmd = beacon(dir.path());
        cmd.args(["validate", "metrics"]).arg(&file).args([
            "--input-format",
            "protobuf",
            "-o",
            "json",
        ]);
        let out = run(cmd);
        assert!(out.code == 2 || out.code == 3, "{client}: {}", out.stdout);
        if out.code == 2 {
            assert!(
                out.stderr
                    .contains("is not a protobuf ExportMetricsServiceRequest")
            );
        } else {
            let report: Report = serde_json::from_str(&out.stdout).unwrap();
            assert!(!report.valid);
        }
    }
}

#[test]
fn policy_findings_fail_only_with_deny_policy() {
    let logs = fixture("exporters/python-json-logs-2.json");
    let dir = tempfile::tempdir().unwrap();
    let (out, report) = validate_file(dir.path(), "logs", &logs, &["--deny", "warnings"]);
    assert_eq!(out.code, 0, "--deny warnings leaves policy alone");
    assert!(report.valid);
    let policy: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.severity == "policy")
        .collect();
    assert!(!policy.is_empty());
    assert!(policy.iter().all(|f| f.code == "log-not-error"));
    for deny in [
        &["--deny", "policy"][..],
        &["--deny", "warnings,policy"],
        &["--deny", "infos", "--deny", "policy"],
    ] {
        let (out, _) = validate_file(dir.path(), "logs", &logs, deny);
        assert_eq!(out.code, 3, "{deny:?}");
        assert!(out.stderr.contains("policy finding"), "{}", out.stderr);
    }
    let mut cmd = beacon(dir.path());
    cmd.args(["validate", "logs"]).arg(&logs);
    let human = run(cmd);
    assert!(human.stdout.contains("policy finding"), "{}", human.stdout);
}
