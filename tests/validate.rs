//! `validate`: the canonical OTLP examples pass, the published samples show
//! exactly their documented defects, synthetic payloads are clean, and every rule
//! fires on its own fixture, in JSON and in protobuf built here with the
//! opentelemetry-proto types.

mod common;

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
            .contains("kept 0 of 1 data points"),
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
    let span =
        r#"{"traceId":"0123456789abcdef0123456789abcdef","spanId":"3c191d03fa8be0","name":"s"}"#;
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
