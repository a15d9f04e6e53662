//! Real OpenTelemetry SDK exporters (Python and JavaScript, protobuf and JSON,
//! gzip or not) export metrics, traces and logs to `capture` at the Beacon paths:
//! each sees success, and every item it exported is in the ledger, decoded.
//!
//! The clients are installed under `target/otel-clients/` by `scripts/otel-clients`
//! (which `scripts/test` runs first; `export` installs a missing one by itself,
//! from PyPI and npm).

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use common::capture::{Capture, records};
use serde_json::Value;

/// Runs one client's fixed workload against `base`, and returns its report.
fn export(client: &str, base: &str, gzip: bool) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/otel-clients");
    let mut cmd = std::process::Command::new(script);
    cmd.args(["export", client, base]);
    if gzip {
        cmd.arg("--gzip");
    }
    let out = cmd.output().expect("scripts/otel-clients runs");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{client}: {report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&report).unwrap_or_else(|e| panic!("{client}: {e}: {report}"))
}

/// The items a recorded OTLP/JSON body holds: spans, data points, log records.
fn items(endpoint: &str, body: &Value) -> (u64, u64, u64) {
    let list = |v: &Value, key: &str| v[key].as_array().cloned().unwrap_or_default();
    let mut counts = (0, 0, 0);
    let (top, scope, leaf) = match endpoint {
        "traces" => ("resourceSpans", "scopeSpans", "spans"),
        "metrics" => ("resourceMetrics", "scopeMetrics", "metrics"),
        "logs" => ("resourceLogs", "scopeLogs", "logRecords"),
        other => panic!("{other}"),
    };
    for resource in list(body, top) {
        for scoped in list(&resource, scope) {
            for item in list(&scoped, leaf) {
                match endpoint {
                    "traces" => counts.0 += 1,
                    "logs" => counts.2 += 1,
                    _ => {
                        counts.1 += [
                            "gauge",
                            "sum",
                            "histogram",
                            "exponentialHistogram",
                            "summary",
                        ]
                        .iter()
                        .map(|kind| list(&item[*kind], "dataPoints").len() as u64)
                        .sum::<u64>();
                    }
                }
            }
        }
    }
    counts
}

#[test]
fn python_and_javascript_exporters_are_recorded_item_for_item() {
    let dir = tempfile::tempdir().unwrap();
    let capture = Capture::start(dir.path(), &["-q"]);
    let mut reports = BTreeMap::new();
    for client in ["python-proto", "python-json", "js-proto", "js-json"] {
        for gzip in [false, true] {
            let run = format!("/{client}{}", if gzip { "-gzip" } else { "" });
            let report = export(client, &format!("{}{run}", capture.url()), gzip);
            for signal in ["traces", "metrics", "logs"] {
                assert_eq!(report["results"][signal], "success", "{run}: {report}");
            }
            reports.insert(run, report);
        }
    }
    let ended = capture.stop();
    assert_eq!(ended.code, 0, "{}", ended.stderr);
    let mut found: BTreeMap<String, (u64, u64, u64, u64)> = BTreeMap::new();
    for record in records(&dir.path().join("capture.jsonl")) {
        let run = record["base_path"].as_str().unwrap().to_string();
        let endpoint = record["endpoint"].as_str().unwrap();
        assert_eq!(record["status"], 200, "{run}: {record}");
        assert_eq!(record["flags"], Value::Array(vec![]), "{run}: {record}");
        assert_eq!(record["valid"], true, "{run}: {}", record["findings"]);
        let proto = run.contains("proto");
        assert_eq!(
            record["encoding"],
            if proto { "protobuf" } else { "json" },
            "{run}"
        );
        assert_eq!(record["gzip"], run.ends_with("-gzip"), "{run}");
        let (spans, points, logs) = items(endpoint, &record["body"]);
        let entry = found.entry(run).or_default();
        entry.0 += spans;
        entry.1 += points;
        entry.2 += logs;
        entry.3 += 1;
    }
    assert_eq!(found.len(), reports.len(), "{found:?}");
    for (run, report) in &reports {
        let exported = &report["exported"];
        let calls: u64 = ["traces", "metrics", "logs"]
            .iter()
            .map(|s| report["export_calls"][*s].as_u64().unwrap())
            .sum();
        let (spans, points, logs, requests) = found[run];
        assert_eq!(spans, exported["spans"].as_u64().unwrap(), "{run}");
        assert_eq!(points, exported["data_points"].as_u64().unwrap(), "{run}");
        assert_eq!(logs, exported["log_records"].as_u64().unwrap(), "{run}");
        assert_eq!(requests, calls, "{run}: one request per export call");
    }
}
