//! `audit` on ledgers a real capture wrote and on ledgers made here: counts per
//! endpoint, drift against values and rendered manifests with the deciding file
//! and line (exit 3), lines that are not records, inputs that are not ledgers
//! (exit 2), and a ledger larger than the memory the process may use.

use crate::common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use common::capture::{Capture, gzip, post};
use common::{Run, beacon, beacon_capped, run};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Summary {
    ledgers: Vec<String>,
    records: u64,
    first_seen: Option<String>,
    last_seen: Option<String>,
    compared: bool,
    endpoints: Vec<Endpoint>,
    other_paths: OtherPaths,
    drift: Vec<Drift>,
    notes: Vec<Note>,
    malformed: Vec<Malformed>,
    malformed_count: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Endpoint {
    id: String,
    enabled: Option<bool>,
    certain: Option<bool>,
    decided_by: Option<DecidedBy>,
    requests: u64,
    raw_bytes: u64,
    decoded_bytes: u64,
    first_seen: Option<String>,
    last_seen: Option<String>,
    statuses: BTreeMap<String, u64>,
    findings: Counts,
    privacy: BTreeMap<String, u64>,
    codes: BTreeMap<String, u64>,
    unknown_fields: BTreeMap<String, u64>,
    flags: BTreeMap<String, u64>,
    forwarded: BTreeMap<String, u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Counts {
    error: u64,
    warning: u64,
    info: u64,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct DecidedBy {
    key: Option<String>,
    file: Option<String>,
    line: Option<u32>,
    reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OtherPaths {
    requests: u64,
    raw_bytes: u64,
    first_seen: Option<String>,
    last_seen: Option<String>,
    paths: BTreeMap<String, u64>,
    paths_omitted: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Drift {
    endpoint: String,
    requests: u64,
    message: String,
    decided_by: DecidedBy,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Note {
    code: String,
    message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Malformed {
    ledger: String,
    line: u64,
    error: String,
}

impl Summary {
    fn endpoint(&self, id: &str) -> &Endpoint {
        self.endpoints.iter().find(|e| e.id == id).unwrap()
    }
}

fn audit(dir: &Path, args: &[&str]) -> (Run, Option<Summary>) {
    let mut cmd = beacon(dir);
    cmd.arg("audit").args(args).args(["-o", "json"]);
    let out = run(cmd);
    let summary = serde_json::from_str(&out.stdout).ok();
    (out, summary)
}

/// A ledger from a real capture: every endpoint once (metrics twice, once with
/// an e-mail address and an undocumented field), and a path that is no endpoint.
fn captured(dir: &Path) -> PathBuf {
    let capture = Capture::start(dir, &["-q"]);
    let license = dir.join("license.txt");
    std::fs::write(&license, "lic-CANARY-audit-0123456789").unwrap();
    for id in common::IDS {
        let mut cmd = beacon(dir);
        cmd.args(["send", id, "--synthetic", "--url", &capture.url()])
            .arg("--license-file")
            .arg(&license);
        assert_eq!(run(cmd).code, 0, "{id}");
    }
    let personal = r#"{"resourceMetrics":[{"resource":{"attributes":[{"key":"user","value":{"stringValue":"ada@example.com"}}]},"scopeMetrics":[],"extra":1}]}"#;
    let answer = post(
        capture.addr,
        "/v1/beacon/v1/metrics",
        &[
            ("Content-Type", "application/json"),
            ("Content-Encoding", "gzip"),
        ],
        &gzip(personal.as_bytes()),
    );
    assert_eq!(answer.status, 200);
    assert_eq!(
        post(capture.addr, "/v1/beacon/new-thing", &[], b"{}").status,
        404
    );
    assert_eq!(capture.stop().code, 0);
    dir.join("capture.jsonl")
}

#[test]
fn a_captured_ledger_is_summarised_per_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = captured(dir.path());
    let (out, summary) = audit(dir.path(), &[ledger.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let summary = summary.unwrap();
    assert_eq!(summary.records, 8);
    assert!(!summary.compared);
    assert!(summary.drift.is_empty());
    assert_eq!(summary.malformed_count, 0);
    assert!(summary.ledgers[0].ends_with("capture.jsonl"));
    for id in common::IDS {
        let e = summary.endpoint(id);
        assert_eq!(e.requests, if id == "metrics" { 2 } else { 1 }, "{id}");
        assert!(e.raw_bytes > 0 && e.first_seen.is_some() && e.last_seen.is_some());
        assert!(e.enabled.is_none() && e.certain.is_none() && e.decided_by.is_none());
        assert!(e.forwarded.is_empty());
        let answered = if id == "usage-snapshot" { "204" } else { "200" };
        assert_eq!(e.statuses.get(answered), Some(&e.requests), "{id}");
    }
    let metrics = summary.endpoint("metrics");
    assert_eq!(metrics.privacy.get("privacy-email"), Some(&1));
    assert!(metrics.findings.warning >= 2, "{:?}", metrics.findings);
    assert_eq!(metrics.findings.error, 0);
    assert!(metrics.codes.contains_key("unknown-field"));
    assert_eq!(
        metrics.unknown_fields.get("/resourceMetrics/*/extra"),
        Some(&1)
    );
    assert!(metrics.decoded_bytes > 0);
    assert!(metrics.flags.is_empty(), "{:?}", metrics.flags);
    let _ = metrics.findings.info;
    assert_eq!(summary.other_paths.requests, 1);
    assert_eq!(summary.other_paths.paths["/v1/beacon/new-thing"], 1);
    assert_eq!(summary.other_paths.paths_omitted, 0);
    assert!(summary.other_paths.raw_bytes == 2 && summary.other_paths.first_seen.is_some());
    assert!(summary.other_paths.last_seen <= summary.last_seen);
    assert!(summary.first_seen <= summary.last_seen);
    assert!(
        summary.notes.iter().any(|n| n.code == "other-paths"),
        "{:?}",
        summary.notes
    );

    // For people: the table, the fields and privacy findings, the other paths.
    let mut cmd = beacon(dir.path());
    cmd.args(["audit", ledger.to_str().unwrap()]);
    let out = run(cmd);
    assert_eq!(out.code, 0);
    for needle in [
        "usage-snapshot",
        "fields beyond the documented ones: /resourceMetrics/*/extra (1)",
        "privacy findings: privacy-email (1)",
        "/v1/beacon/new-thing",
        "8 records",
    ] {
        assert!(out.stdout.contains(needle), "{needle}:\n{}", out.stdout);
    }
    // YAML carries the same data.
    let mut cmd = beacon(dir.path());
    cmd.args(["audit", ledger.to_str().unwrap(), "-o", "yaml"]);
    let out = run(cmd);
    let yaml: serde_yaml::Value = serde_yaml::from_str(&out.stdout).unwrap();
    assert_eq!(yaml["records"], serde_yaml::Value::from(8));
}

#[test]
fn drift_against_values_names_the_file_and_line_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = captured(dir.path());
    let values = dir.path().join("prod.yaml");
    std::fs::write(
        &values,
        "config:\n  telemetry:\n    metrics: false\ncommonEnv:\n  - name: PHONE_HOME_USAGE_REPORTING_ENABLED\n    value: \"false\"\n",
    )
    .unwrap();
    let (out, summary) = audit(dir.path(), &[ledger.to_str().unwrap(), "-f", "prod.yaml"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "2 endpoints arrived although the configuration turns them off: metrics (2), usage-snapshot (1)"
        ),
        "{}",
        out.stderr
    );
    let summary = summary.unwrap();
    assert!(summary.compared);
    let drift: Vec<(&str, u64, Option<&str>, Option<u32>)> = summary
        .drift
        .iter()
        .map(|d| {
            (
                d.endpoint.as_str(),
                d.requests,
                d.decided_by.file.as_deref(),
                d.decided_by.line,
            )
        })
        .collect();
    assert_eq!(
        drift,
        [
            ("metrics", 2, Some("prod.yaml"), Some(3)),
            ("usage-snapshot", 1, Some("prod.yaml"), Some(6)),
        ]
    );
    assert_eq!(
        summary.drift[0].message,
        "`metrics` is off (`config.telemetry.metrics: false`, prod.yaml:3) but 2 metrics requests arrived"
    );
    assert!(
        summary.drift[1]
            .message
            .contains("PHONE_HOME_USAGE_REPORTING_ENABLED")
    );
    assert_eq!(
        summary.drift[0].decided_by.key.as_deref(),
        Some("config.telemetry.metrics")
    );
    assert!(!summary.drift[0].decided_by.reason.is_empty());
    let traces = summary.endpoint("traces");
    assert_eq!((traces.enabled, traces.certain), (Some(true), Some(true)));

    let mut cmd = beacon(dir.path());
    cmd.args(["audit", ledger.to_str().unwrap(), "-f", "prod.yaml"]);
    let out = run(cmd);
    assert_eq!(out.code, 3);
    assert!(out.stdout.contains("error[drift]"), "{}", out.stdout);
    assert!(out.stdout.contains("--> prod.yaml:3"), "{}", out.stdout);

    // Values that let everything leave: no drift, and the unset usage snapshot is
    // settled by what arrived.
    std::fs::write(
        dir.path().join("open.yaml"),
        "config:\n  telemetry:\n    metrics: true\n",
    )
    .unwrap();
    let (out, summary) = audit(dir.path(), &[ledger.to_str().unwrap(), "-f", "open.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let summary = summary.unwrap();
    assert!(summary.drift.is_empty());
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n.code == "settled-by-traffic" && n.message.contains("usage-snapshot")),
        "{:?}",
        summary.notes
    );
}

#[test]
fn drift_against_rendered_manifests() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = captured(dir.path());
    let manifests = "\
apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: ls-langsmith-backend
    spec:
      template:
        spec:
          containers:
            - name: backend
              envFrom:
                - configMapRef:
                    name: ls-langsmith-config
              env:
                - name: LANGSMITH_LICENSE_KEY
                  valueFrom:
                    secretKeyRef: {name: ls-langsmith-secrets, key: langsmith_license_key}
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: ls-langsmith-config
    data:
      BEACON_METRICS_ENABLED: \"true\"
      BEACON_TRACING_ENABLED: \"false\"
      BEACON_LOGGING_ENABLED: \"true\"
      PHONE_HOME_USAGE_REPORTING_ENABLED: \"true\"
";
    std::fs::write(dir.path().join("cluster.yaml"), manifests).unwrap();
    let (out, summary) = audit(
        dir.path(),
        &[ledger.to_str().unwrap(), "--manifests", "cluster.yaml"],
    );
    assert_eq!(out.code, 3, "{}", out.stderr);
    let summary = summary.unwrap();
    assert_eq!(summary.drift.len(), 1, "{:?}", summary.drift);
    assert_eq!(summary.drift[0].endpoint, "traces");
    assert_eq!(
        summary.drift[0].decided_by.file.as_deref(),
        Some("cluster.yaml")
    );
    assert_eq!(summary.drift[0].decided_by.line, Some(26));
}

#[test]
fn torn_and_foreign_lines_are_left_out_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = captured(dir.path());
    let mut text = std::fs::read_to_string(&ledger).unwrap();
    let torn = text.lines().next().unwrap()[..40].to_string();
    text.push_str("{\"not\": \"a record\"}\n");
    text.push_str(&torn);
    std::fs::write(dir.path().join("torn.jsonl"), &text).unwrap();
    let (out, summary) = audit(dir.path(), &["torn.jsonl"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let summary = summary.unwrap();
    assert_eq!(summary.records, 8);
    assert_eq!(summary.malformed_count, 2);
    let lines: Vec<u64> = summary.malformed.iter().map(|m| m.line).collect();
    assert_eq!(lines, [9, 10]);
    assert!(summary.malformed[0].error.contains("missing field `path`"));
    assert_eq!(summary.malformed[0].ledger, "torn.jsonl");
    assert!(
        out.stderr.contains(
            "warning: 2 lines are not a capture record, left out (first: `torn.jsonl` line 9"
        ),
        "{}",
        out.stderr
    );
    // Two ledgers at once add up; standard input is a ledger too.
    let mut cmd = beacon(dir.path());
    cmd.args(["audit", "torn.jsonl", "-", "-o", "json"])
        .pipe_stdin(&ledger)
        .unwrap();
    let out = run(cmd);
    let both: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(both["records"], 16);
    assert_eq!(both["ledgers"][1], "<stdin>");
}

#[test]
fn inputs_that_are_not_ledgers_exit_2_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("values.yaml"), "config:\n  telemetry: {}\n").unwrap();
    std::fs::write(dir.path().join("empty.jsonl"), "").unwrap();
    let mut compressed = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    compressed.write_all(b"{\"path\": \"/\"}\n").unwrap();
    std::fs::write(
        dir.path().join("ledger.jsonl.gz"),
        compressed.finish().unwrap(),
    )
    .unwrap();
    for (args, needle) in [
        (
            vec!["no-such.jsonl"],
            "cannot read ledger `no-such.jsonl`: no such file",
        ),
        (vec!["."], "ledger `.` is a directory"),
        (
            vec!["values.yaml"],
            "ledger `values.yaml` holds no capture record",
        ),
        (
            vec!["ledger.jsonl.gz"],
            "ledger `ledger.jsonl.gz` is gzip-compressed",
        ),
        (vec!["-", "-"], "standard input is named twice"),
        (
            vec!["-", "--manifests", "-"],
            "standard input is named twice",
        ),
        (vec!["empty.jsonl", "-f", "missing.yaml"], "missing.yaml"),
    ] {
        let mut cmd = beacon(dir.path());
        cmd.arg("audit").args(&args).write_stdin("");
        let out = run(cmd);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    let mut cmd = beacon(dir.path());
    cmd.arg("audit");
    assert_eq!(run(cmd).code, 2, "a ledger is required");
    // An empty ledger is no requests, not an error.
    let (out, summary) = audit(dir.path(), &["empty.jsonl"]);
    assert_eq!(out.code, 0);
    assert_eq!(summary.unwrap().records, 0);
}

#[test]
fn a_ledger_larger_than_the_memory_allowed_is_read_as_a_stream() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.jsonl");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let spans = format!(
        "{{\"resourceSpans\":[{{\"scopeSpans\":[{{\"spans\":[{}]}}]}}]}}",
        vec![r#"{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"GET /"}"#; 40].join(",")
    );
    let mut written = 0u64;
    let mut records = 0u64;
    // 256 MiB of ordinary records, and one record of 40 MiB in the middle.
    while written < 256 << 20 {
        let line = if records == 1000 {
            format!(
                "{{\"time\":\"2026-01-01T00:00:00.000Z\",\"path\":\"/v1/beacon/v1/logs\",\"raw_bytes\":1,\"body\":\"{}\"}}\n",
                "x".repeat(40 << 20)
            )
        } else {
            format!(
                "{{\"seq\":{records},\"time\":\"2026-01-01T00:00:00.000Z\",\"path\":\"/v1/beacon/v1/traces\",\"endpoint\":\"traces\",\"raw_bytes\":{},\"status\":200,\"finding_counts\":{{\"error\":0,\"warning\":1,\"info\":0}},\"codes\":{{\"privacy-email\":1}},\"body\":{spans}}}\n",
                spans.len()
            )
        };
        file.write_all(line.as_bytes()).unwrap();
        written += line.len() as u64;
        records += 1;
    }
    file.flush().unwrap();
    drop(file);
    // The process may not hold even half of the ledger.
    let mut cmd = beacon_capped(dir.path(), 120_000);
    cmd.args(["audit", "big.jsonl", "-o", "json"]);
    let out = run(cmd);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let summary: Summary = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(summary.records, records);
    assert_eq!(summary.endpoint("logs").requests, 1);
    assert_eq!(summary.endpoint("traces").requests, records - 1);
    assert_eq!(summary.endpoint("traces").findings.warning, records - 1);
    assert_eq!(
        summary.endpoint("traces").privacy["privacy-email"],
        records - 1
    );
}
