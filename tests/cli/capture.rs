//! `capture` as a real process on 127.0.0.1:0: every endpoint through `send`,
//! protobuf and gzip bodies built here, bad and hostile requests, the ledger's
//! shape and permissions, stops, rotation, TLS, and `--forward` through a real
//! proxy (tinyproxy) to a second capture and to a TLS server. Nothing leaves the
//! machine.

use crate::common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::capture::{Capture, Client, gzip, post, records};
use common::proxy::{Tinyproxy, free_port};
use common::server::{Reply, TestPki, TestServer};
use common::{CANARY, IDS, beacon, run};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{
    Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, metric, number_data_point,
};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use prost::Message;
use serde_json::Value;
use sha2::Digest;

const LICENSE: &str = "lic-CANARY-capture-0123456789";

fn license_file(dir: &Path) -> PathBuf {
    let path = dir.join("license.txt");
    std::fs::write(&path, format!("{LICENSE}\n")).unwrap();
    path
}

/// The marker a redacted secret is shown as.
fn marker(secret: &str) -> String {
    let digest = sha2::Sha256::digest(secret.as_bytes());
    let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("<redacted sha256:{hex}>")
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn ledger_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn send_reaches_every_endpoint_and_each_request_is_one_redacted_record() {
    let dir = tempfile::tempdir().unwrap();
    let license = license_file(dir.path());
    let capture = Capture::start(dir.path(), &[]);
    let mut sent = 0;
    for id in IDS {
        for gzip in [false, true] {
            for base in ["", "/some/prefix"] {
                let url = format!("{}{base}", capture.url());
                let mut cmd = beacon(dir.path());
                cmd.args(["send", id, "--url", &url, "--synthetic", "-o", "json"])
                    .arg("--license-file")
                    .arg(&license);
                if gzip {
                    cmd.arg("--gzip");
                }
                let out = run(cmd);
                assert_eq!(out.code, 0, "{id} gzip={gzip}: {}", out.stderr);
                let report: Value = serde_json::from_str(&out.stdout).unwrap();
                let read = &report["interpretation"];
                assert_eq!(read["accepted"], true, "{id}: {read}");
                assert_eq!(read["as_documented"], true, "{id}: {read}");
                sent += 1;
            }
        }
    }
    let ended = capture.stop();
    assert_eq!(ended.code, 0, "{}", ended.stderr);
    assert!(
        ended.stderr.contains("stopped: SIGTERM received"),
        "{}",
        ended.stderr
    );
    assert!(
        ended.stderr.contains(&format!("{sent} records written")),
        "{}",
        ended.stderr
    );
    let ledger = dir.path().join("capture.jsonl");
    assert_eq!(mode(&ledger), 0o600);
    assert!(!ledger_text(&ledger).contains(CANARY), "the license leaked");
    let records = records(&ledger);
    assert_eq!(records.len(), sent);
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for record in &records {
        let id = record["endpoint"].as_str().unwrap();
        *seen.entry(id.to_string()).or_default() += 1;
        assert!(
            ["", "/some/prefix"].contains(&record["base_path"].as_str().unwrap()),
            "{record}"
        );
        assert_eq!(record["method"], "POST");
        let expected = if id == "usage-snapshot" { 204 } else { 200 };
        assert_eq!(record["status"], expected, "{record}");
        assert_eq!(record["valid"], true, "{id}: {}", record["findings"]);
        assert_eq!(record["flags"], Value::Array(vec![]), "{record}");
        assert_eq!(record["encoding"], "json");
        assert_eq!(record["headers"]["content-type"], "application/json");
        assert_eq!(record["content_type"], "application/json");
        let gzip = record["gzip"].as_bool().unwrap();
        assert_eq!(
            record["content_encoding"].as_str(),
            gzip.then_some("gzip"),
            "{record}"
        );
        assert_eq!(record["sha256"].as_str().unwrap().len(), 64);
        let raw = record["raw_bytes"].as_u64().unwrap();
        let decoded = record["decoded_bytes"].as_u64().unwrap();
        assert!(raw > 0 && (gzip || raw == decoded), "{record}");
        assert!(record["body"].is_object(), "{record}");
        assert!(record["seq"].as_u64().unwrap() >= 1);
        assert!(record["peer"].as_str().unwrap().starts_with("127.0.0.1:"));
        assert!(record["time"].as_str().unwrap().ends_with('Z'));
        match id {
            "verify" | "ingest-traces" => assert_eq!(record["body"]["license"], marker(LICENSE)),
            "usage-snapshot" => assert_eq!(record["body"]["license_key"], marker(LICENSE)),
            _ => assert!(record["body"].get("license").is_none()),
        }
    }
    assert_eq!(seen.len(), 6, "{seen:?}");
}

fn spans(names: &[&str]) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: names
                    .iter()
                    .enumerate()
                    .map(|(i, name)| Span {
                        trace_id: vec![7; 16],
                        span_id: vec![u8::try_from(i + 1).unwrap(); 8],
                        name: (*name).to_string(),
                        kind: 2,
                        start_time_unix_nano: 1_767_225_600_000_000_000,
                        end_time_unix_nano: 1_767_225_601_000_000_000,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn gauge(points: &[i64]) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![Metric {
                    name: "queue.depth".into(),
                    unit: "{item}".into(),
                    data: Some(metric::Data::Gauge(Gauge {
                        data_points: points
                            .iter()
                            .map(|v| NumberDataPoint {
                                time_unix_nano: 1_767_225_600_000_000_000,
                                value: Some(number_data_point::Value::AsInt(*v)),
                                ..Default::default()
                            })
                            .collect(),
                    })),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn logs(messages: &[&str]) -> ExportLogsServiceRequest {
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: messages
                    .iter()
                    .map(|m| LogRecord {
                        time_unix_nano: 1_767_225_600_000_000_000,
                        severity_number: 17,
                        severity_text: "ERROR".into(),
                        body: Some(AnyValue {
                            value: Some(any_value::Value::StringValue((*m).to_string())),
                        }),
                        attributes: vec![KeyValue {
                            key: "code.function".into(),
                            value: Some(AnyValue {
                                value: Some(any_value::Value::StringValue("run".into())),
                            }),
                            ..Default::default()
                        }],
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

#[test]
fn protobuf_and_gzip_bodies_built_here_are_recorded_as_otlp_json() {
    let dir = tempfile::tempdir().unwrap();
    let capture = Capture::start(dir.path(), &[]);
    let bodies = [
        ("traces", spans(&["span-a", "span-b"]).encode_to_vec()),
        ("metrics", gauge(&[3, 4, 5]).encode_to_vec()),
        ("logs", logs(&["it failed"]).encode_to_vec()),
    ];
    for (signal, body) in &bodies {
        for compressed in [false, true] {
            let mut headers = vec![("Content-Type", "application/x-protobuf")];
            let bytes = if compressed {
                headers.push(("Content-Encoding", "gzip"));
                gzip(body)
            } else {
                body.clone()
            };
            let path = format!("/base/v1/beacon/v1/{signal}");
            let answer = post(capture.addr, &path, &headers, &bytes);
            assert_eq!(answer.status, 200, "{signal}");
            assert_eq!(
                answer.header("content-type"),
                Some("application/x-protobuf")
            );
            assert!(
                answer.body.is_empty(),
                "an empty Export*ServiceResponse is zero bytes"
            );
        }
    }
    let ended = capture.stop();
    assert_eq!(ended.code, 0);
    let records = records(&dir.path().join("capture.jsonl"));
    assert_eq!(records.len(), 6);
    for record in &records {
        assert_eq!(record["encoding"], "protobuf", "{record}");
        assert_eq!(record["valid"], true, "{}", record["findings"]);
        let gzip = record["gzip"].as_bool().unwrap();
        assert_eq!(
            gzip,
            record["content_encoding"] == "gzip",
            "{}",
            record["path"]
        );
        let body = &record["body"];
        match record["endpoint"].as_str().unwrap() {
            "traces" => {
                let names: Vec<&str> = body["resourceSpans"][0]["scopeSpans"][0]["spans"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s["name"].as_str().unwrap())
                    .collect();
                assert_eq!(names, ["span-a", "span-b"]);
                assert_eq!(
                    body["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"],
                    "07".repeat(16),
                    "ids are hex, as OTLP/JSON writes them"
                );
            }
            "metrics" => assert_eq!(
                body["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["gauge"]["dataPoints"]
                    .as_array()
                    .unwrap()
                    .len(),
                3
            ),
            "logs" => assert_eq!(
                body["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["body"]["stringValue"],
                "it failed"
            ),
            other => panic!("{other}"),
        }
    }
}

/// What one bad request is answered and flagged.
struct Case {
    what: &'static str,
    method: &'static str,
    path: &'static str,
    headers: Vec<(&'static str, &'static str)>,
    body: Vec<u8>,
    status: u16,
    flags: &'static [&'static str],
}

/// The middle part of a JWT, decoded.
fn jwt_claims(token: &str) -> Value {
    use base64::Engine;
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "{token}");
    let decode = |part: &str| -> Value {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .expect("base64url");
        serde_json::from_slice(&bytes).expect("JSON")
    };
    assert_eq!(decode(parts[0])["alg"], "none", "an unsigned token");
    assert_eq!(parts[2], "", "no signature");
    decode(parts[1])
}

#[test]
fn each_endpoint_is_answered_as_beacon_documents_it() {
    let dir = tempfile::tempdir().unwrap();
    let capture = Capture::start(dir.path(), &[]);
    let json = [("Content-Type", "application/json")];
    let base = "/any/base";

    let verify = post(
        capture.addr,
        &format!("{base}/v1/beacon/verify"),
        &json,
        format!("{{\"license\": \"{LICENSE}\"}}").as_bytes(),
    );
    assert_eq!(verify.status, 200);
    let claims = jwt_claims(verify.json()["token"].as_str().expect("a token"));
    assert_eq!(claims["capture_placeholder"], true, "{claims}");
    assert_eq!(claims["iss"], "beacon-cli capture", "{claims}");
    assert_eq!(claims["sub"], "capture-placeholder", "{claims}");
    assert!(
        claims["exp"].as_i64().unwrap() > claims["iat"].as_i64().unwrap(),
        "{claims}"
    );

    let transaction = |n: u32| {
        serde_json::json!({
            "id": format!("af28dfea-5358-463d-a2dc-37df1da7249{n}"),
            "tenant_id": "3a1c2b6f-4430-4b92-8a5b-79b8b567bbc1",
            "session_id": "b26ae531-cdb3-42a5-8bcf-05355199fe27",
            "trace_count": 5,
            "start_insertion_time": "2025-01-06T10:00:00Z",
            "end_insertion_time": "2025-01-06T11:00:00Z",
            "start_interval_time": "2025-01-06T09:00:00Z",
            "end_interval_time": "2025-01-06T10:00:00Z",
            "status": "completed",
            "num_failed_send_attempts": 0,
            "transaction_type": "type1",
            "organization_id": "c5b5f53a-4716-4326-8967-d4f7f7799735"
        })
    };
    let ingest = serde_json::json!({
        "license": LICENSE,
        "trace_transactions": [transaction(1), transaction(2), transaction(3)],
    });
    let inserted = post(
        capture.addr,
        &format!("{base}/v1/beacon/ingest-traces"),
        &json,
        ingest.to_string().as_bytes(),
    );
    assert_eq!(inserted.status, 200);
    assert_eq!(inserted.json(), serde_json::json!({ "inserted_count": 3 }));

    let snapshot = post(
        capture.addr,
        &format!("{base}/v1/beacon/usage-snapshot"),
        &json,
        format!(
            "{{\"license_key\": \"{LICENSE}\", \"from_timestamp\": \"2026-03-25T02:00:00+00:00\", \
             \"to_timestamp\": \"2026-03-26T02:00:00+00:00\", \"measures\": {{\"users\": 3}}}}"
        )
        .as_bytes(),
    );
    assert_eq!(snapshot.status, 204);
    assert!(snapshot.body.is_empty());

    for signal in ["traces", "metrics", "logs"] {
        let answer = post(
            capture.addr,
            &format!("{base}/v1/beacon/v1/{signal}"),
            &json,
            b"{}",
        );
        assert_eq!(answer.status, 200, "{signal}");
        assert_eq!(answer.header("content-type"), Some("application/json"));
        assert_eq!(answer.json(), serde_json::json!({}), "{signal}");
    }

    let ended = capture.stop();
    assert_eq!(ended.code, 0, "{}", ended.stderr);
    let records = records(&dir.path().join("capture.jsonl"));
    let statuses: Vec<(String, u64)> = records
        .iter()
        .map(|r| {
            (
                r["endpoint"].as_str().unwrap().to_string(),
                r["status"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("verify", 200),
        ("ingest-traces", 200),
        ("usage-snapshot", 204),
        ("traces", 200),
        ("metrics", 200),
        ("logs", 200),
    ];
    assert_eq!(
        statuses,
        expected.map(|(e, s)| (e.to_string(), s)).to_vec(),
        "{records:?}"
    );
    assert!(records.iter().all(|r| r["base_path"] == base));
    assert_eq!(
        records[1]["body"]["trace_transactions"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn other_paths_methods_and_bad_bodies_are_answered_recorded_and_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let capture = Capture::start(dir.path(), &["--max-body", "64KiB"]);
    let json = vec![("Content-Type", "application/json")];
    let spaces = gzip(&vec![b' '; 1 << 20]);
    let cases = vec![
        Case {
            what: "a path that is no endpoint",
            method: "POST",
            path: "/v1/beacon/something-new",
            headers: json.clone(),
            body: b"{\"a\": 1}".to_vec(),
            status: 404,
            flags: &["unknown-path"],
        },
        Case {
            what: "GET on an endpoint",
            method: "GET",
            path: "/v1/beacon/verify",
            headers: vec![],
            body: vec![],
            status: 405,
            flags: &["method-not-allowed"],
        },
        Case {
            what: "not JSON",
            method: "POST",
            path: "/v1/beacon/v1/traces",
            headers: json.clone(),
            body: b"{\"resourceSpans\": [".to_vec(),
            status: 400,
            flags: &["not-decoded"],
        },
        Case {
            what: "gzip declared, not gzip",
            method: "POST",
            path: "/v1/beacon/v1/traces",
            headers: vec![
                ("Content-Type", "application/json"),
                ("Content-Encoding", "gzip"),
            ],
            body: b"{}".to_vec(),
            status: 400,
            flags: &["not-decoded"],
        },
        Case {
            what: "larger than --max-body",
            method: "POST",
            path: "/v1/beacon/v1/logs",
            headers: json.clone(),
            body: format!("{{\"x\": \"{}\"}}", "a".repeat(70_000)).into_bytes(),
            status: 413,
            flags: &["body-too-large"],
        },
        Case {
            what: "gzip that inflates past --max-body",
            method: "POST",
            path: "/v1/beacon/v1/logs",
            headers: vec![
                ("Content-Type", "application/json"),
                ("Content-Encoding", "gzip"),
            ],
            body: spaces,
            status: 413,
            flags: &["body-too-large"],
        },
        Case {
            what: "text/plain",
            method: "POST",
            path: "/v1/beacon/v1/metrics",
            headers: vec![("Content-Type", "text/plain")],
            body: b"{}".to_vec(),
            status: 415,
            flags: &["unsupported-content-type"],
        },
        Case {
            what: "brotli",
            method: "POST",
            path: "/v1/beacon/v1/metrics",
            headers: vec![
                ("Content-Type", "application/json"),
                ("Content-Encoding", "br"),
            ],
            body: b"{}".to_vec(),
            status: 415,
            flags: &["unsupported-encoding"],
        },
        Case {
            what: "protobuf to a billing endpoint",
            method: "POST",
            path: "/v1/beacon/verify",
            headers: vec![("Content-Type", "application/x-protobuf")],
            body: vec![0x0a, 0x00],
            status: 415,
            flags: &["unsupported-content-type"],
        },
        Case {
            what: "gzip without Content-Encoding",
            method: "POST",
            path: "/v1/beacon/v1/metrics",
            headers: json.clone(),
            body: gzip(b"{}"),
            status: 200,
            flags: &["gzip-undeclared"],
        },
        Case {
            what: "protobuf that is not a logs request",
            method: "POST",
            path: "/v1/beacon/v1/logs",
            headers: vec![("Content-Type", "application/x-protobuf")],
            body: vec![0x0a, 0xff, 0xff, 0xff],
            status: 400,
            flags: &["not-decoded"],
        },
    ];
    for case in &cases {
        let answer = Client::connect(capture.addr)
            .unwrap()
            .request(case.method, case.path, &case.headers, &case.body)
            .unwrap();
        assert_eq!(answer.status, case.status, "{}", case.what);
        if case.status == 405 {
            assert_eq!(answer.header("allow"), Some("POST"));
        }
        if case.status >= 400 {
            assert!(
                answer.json()["detail"].is_string(),
                "{}: errors say why",
                case.what
            );
        }
    }
    // A Content-Length past the cap is refused before the body is read.
    let mut client = Client::connect(capture.addr).unwrap();
    client
        .write_raw(
            b"POST /v1/beacon/v1/traces HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\n{",
        )
        .unwrap();
    assert_eq!(client.read_response().unwrap().status, 413);
    let ended = capture.stop();
    assert_eq!(ended.code, 0, "{}", ended.stderr);
    let records = records(&dir.path().join("capture.jsonl"));
    assert_eq!(records.len(), cases.len() + 1);
    for (case, record) in cases.iter().zip(&records) {
        assert_eq!(record["status"], case.status, "{}: {record}", case.what);
        let flags: Vec<&str> = record["flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        assert_eq!(flags, case.flags, "{}", case.what);
    }
    assert_eq!(records[0]["endpoint"], Value::Null);
    assert_eq!(records[0]["body"]["a"], 1, "an unknown path's JSON is kept");
    assert!(
        records[2]["body_error"]
            .as_str()
            .unwrap()
            .contains("not JSON"),
        "{}",
        records[2]
    );
    assert_eq!(records[2]["body_text"], "{\"resourceSpans\": [");
    assert_eq!(records[4]["body"], Value::Null);
    assert_eq!(records[9]["gzip"], true);
    let last = records.last().unwrap();
    assert_eq!(last["status"], 413);
    assert_eq!(last["sha256"], Value::Null, "a body not read has no hash");
}

#[test]
fn a_slow_body_gets_408_and_silent_headers_are_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let capture = Capture::start(dir.path(), &["--read-timeout", "1"]);
    let mut slow = Client::connect(capture.addr).unwrap();
    slow.write_raw(
        b"POST /v1/beacon/v1/traces HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\"",
    )
    .unwrap();
    let started = Instant::now();
    assert_eq!(slow.read_response().unwrap().status, 408);
    assert!(started.elapsed() < Duration::from_secs(5));
    let mut silent = Client::connect(capture.addr).unwrap();
    silent
        .write_raw(b"POST /v1/beacon/v1/traces HTTP/1.1\r\nHo")
        .unwrap();
    let started = Instant::now();
    assert!(
        silent.read_response().is_err() || started.elapsed() < Duration::from_secs(5),
        "a client that never finishes its headers is disconnected"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    let ended = capture.stop();
    assert_eq!(ended.code, 0);
    let records = records(&dir.path().join("capture.jsonl"));
    assert_eq!(records.len(), 1, "headers that never came are no request");
    assert_eq!(records[0]["flags"][0], "body-timeout");
    assert_eq!(records[0]["raw_bytes"], 4);
}

#[test]
fn sigint_max_requests_and_duration_stop_it_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let capture = Capture::start(dir.path(), &[]);
    post(capture.addr, "/v1/beacon/v1/metrics", &[], b"{}");
    capture.signal("INT");
    let ended = capture.wait(Duration::from_secs(20));
    assert_eq!(ended.code, 0);
    assert!(
        ended.stderr.contains("stopped: SIGINT received; 1 request"),
        "{}",
        ended.stderr
    );

    let dir = tempfile::tempdir().unwrap();
    let capture = Capture::start(dir.path(), &["--max-requests", "3"]);
    for _ in 0..3 {
        assert_eq!(
            post(capture.addr, "/v1/beacon/v1/logs", &[], b"{}").status,
            200
        );
    }
    let ended = capture.wait(Duration::from_secs(20));
    assert_eq!(ended.code, 0);
    assert!(
        ended.stderr.contains("--max-requests 3 reached"),
        "{}",
        ended.stderr
    );
    assert_eq!(records(&dir.path().join("capture.jsonl")).len(), 3);

    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let capture = Capture::start(dir.path(), &["--duration", "1s"]);
    let ended = capture.wait(Duration::from_secs(20));
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(ended.code, 0);
    assert!(
        ended.stderr.contains("--duration 1 s passed; 0 requests"),
        "{}",
        ended.stderr
    );
    assert_eq!(ledger_text(&dir.path().join("capture.jsonl")), "");
}

#[test]
fn out_dash_writes_the_records_to_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    let capture = Capture::start(dir.path(), &["--out", "-", "--max-requests", "2"]);
    post(capture.addr, "/v1/beacon/v1/traces", &[], b"{}");
    post(capture.addr, "/x", &[], b"");
    let ended = capture.wait(Duration::from_secs(20));
    assert_eq!(ended.code, 0, "{}", ended.stderr);
    let lines: Vec<Value> = ended
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["endpoint"], "traces");
    assert_eq!(lines[1]["status"], 404);
    assert!(!dir.path().join("capture.jsonl").exists());
}

#[test]
fn a_closed_standard_output_stops_the_capture_and_refuses_what_it_cannot_record() {
    let dir = tempfile::tempdir().unwrap();
    let capture = Capture::start_closing_stdout_after(dir.path(), &["--out", "-"], 1);
    assert_eq!(
        post(capture.addr, "/v1/beacon/v1/traces", &[], b"{}").status,
        200
    );
    // The reader has gone: the next record cannot be written, so the request is
    // not taken (503, to be sent again) and the capture stops.
    let deadline = Instant::now() + Duration::from_secs(20);
    // It stops only after such a refusal, so the connection is always taken.
    let refused = loop {
        let answer = post(capture.addr, "/v1/beacon/v1/logs", &[], b"{}");
        if answer.status != 200 {
            break answer;
        }
        assert!(
            Instant::now() < deadline,
            "the closed pipe was never noticed"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(refused.status, 503);
    assert_eq!(refused.header("retry-after"), Some("1"));
    let ended = capture.wait(Duration::from_secs(20));
    assert_eq!(ended.code, 0, "{}", ended.stderr);
    assert!(
        ended.stderr.contains("stopped: standard output was closed"),
        "{}",
        ended.stderr
    );
    let first: Value = serde_json::from_str(ended.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["endpoint"], "traces");
}

#[test]
fn a_standard_output_nobody_reads_does_not_keep_the_capture_from_stopping() {
    let dir = tempfile::tempdir().unwrap();
    let capture = Capture::start_stalling_stdout_after(dir.path(), &["--out", "-"], 1);
    let addr = capture.addr;
    assert_eq!(post(addr, "/v1/beacon/v1/traces", &[], b"{}").status, 200);
    // The reader has stopped: records of 32 KiB fill the pipe, and the writer
    // waits in a write that never returns. Those requests are never answered.
    let body = format!(
        "{{\"resourceSpans\": [], \"pad\": \"{}\"}}",
        "p".repeat(32 * 1024)
    );
    let senders: Vec<_> = (0..6)
        .map(|_| {
            let body = body.clone();
            std::thread::spawn(move || {
                Client::connect(addr)
                    .and_then(|mut c| c.request("POST", "/v1/beacon/v1/logs", &[], body.as_bytes()))
                    .map(|answer| answer.status)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    // A stop, and a second one (do not wait for the requests in flight): it
    // ends, saying why, within the ledger's grace of 5 s.
    let asked = Instant::now();
    capture.signal("TERM");
    std::thread::sleep(Duration::from_millis(300));
    capture.signal("TERM");
    let ended = capture.wait(Duration::from_secs(30));
    assert!(
        asked.elapsed() < Duration::from_secs(15),
        "{:?}",
        asked.elapsed()
    );
    assert_eq!(ended.code, 1, "{}", ended.stderr);
    let error = ended
        .stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_default();
    assert_eq!(
        error,
        "error: the ledger's last write did not finish within 5 s: standard output is not being read",
        "{}",
        ended.stderr
    );
    // Every request answered 2xx has its record in what the pipe held (the
    // record cut by the end is one that was never answered).
    let answered = senders
        .into_iter()
        .map(|sender| sender.join().unwrap())
        .filter(|status| matches!(status, Ok(200..=299)))
        .count();
    assert!(answered < 6, "the pipe took every record");
    let recorded: Vec<Value> = ended
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert_eq!(recorded[0]["endpoint"], "traces");
    let logs = recorded.iter().filter(|r| r["endpoint"] == "logs").count();
    assert!(logs >= answered, "{logs} records for {answered} answers");
}

#[test]
fn rotation_keeps_every_record_in_files_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let capture = Capture::start(dir.path(), &["--rotate", "8KiB"]);
    let body = format!(
        "{{\"resourceSpans\": [], \"pad\": \"{}\"}}",
        "p".repeat(1000)
    );
    for _ in 0..20 {
        post(
            capture.addr,
            "/v1/beacon/v1/traces",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        );
    }
    let ended = capture.stop();
    assert_eq!(ended.code, 0);
    assert!(ended.stderr.contains("rotated out"), "{}", ended.stderr);
    let mut seqs = Vec::new();
    let mut files = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("capture.") {
            continue;
        }
        files += 1;
        assert_eq!(mode(&path), 0o600, "{name}");
        assert!(
            std::fs::metadata(&path).unwrap().len() <= 8 * 1024,
            "{name}"
        );
        seqs.extend(records(&path).iter().map(|r| r["seq"].as_u64().unwrap()));
    }
    assert!(files > 2, "{files} files");
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=20).collect::<Vec<u64>>());
}

#[test]
fn tls_with_the_operators_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::openssl(dir.path(), &["127.0.0.1", "localhost"]);
    drop(pki);
    let (cert, key) = (
        dir.path().join("openssl-cert.pem"),
        dir.path().join("openssl-key.pem"),
    );
    let capture = Capture::start(
        dir.path(),
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    assert!(capture.stderr().contains("listening: https://"));
    let license = license_file(dir.path());
    let url = format!("https://{}", capture.addr);
    let mut cmd = beacon(dir.path());
    cmd.args(["send", "verify", "--url", &url, "--cacert"])
        .arg(&cert)
        .arg("--license-file")
        .arg(&license);
    let out = run(cmd);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Plain HTTP to the TLS port is no request.
    let _ = Client::connect(capture.addr)
        .unwrap()
        .request("POST", "/v1/beacon/verify", &[], b"{}");
    let ended = capture.stop();
    assert_eq!(ended.code, 0);
    let records = records(&dir.path().join("capture.jsonl"));
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["tls"], true);
    assert_eq!(records[0]["body"]["license"], marker(LICENSE));
}

#[test]
fn bad_flags_and_files_exit_2_naming_them_and_leave_no_ledger() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("junk.pem"), "not a certificate").unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let pki_dir = tempfile::tempdir().unwrap();
    drop(TestPki::openssl(pki_dir.path(), &["127.0.0.1"]));
    let other_dir = tempfile::tempdir().unwrap();
    drop(TestPki::openssl(other_dir.path(), &["127.0.0.1"]));
    let cert = pki_dir.path().join("openssl-cert.pem");
    let other_key = other_dir.path().join("openssl-key.pem");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec!["--out".into(), ".".into()], "--out `.` is a directory"),
        (
            vec![
                "--tls-cert".into(),
                "missing.pem".into(),
                "--tls-key".into(),
                "missing.pem".into(),
            ],
            "--tls-cert `missing.pem`",
        ),
        (
            vec![
                "--tls-cert".into(),
                "junk.pem".into(),
                "--tls-key".into(),
                "junk.pem".into(),
            ],
            "--tls-cert `junk.pem` holds no PEM certificate",
        ),
        (
            vec![
                "--tls-cert".into(),
                cert.display().to_string(),
                "--tls-key".into(),
                other_key.display().to_string(),
            ],
            "does not go with --tls-cert",
        ),
        (vec!["--listen".into(), "capture:8787".into()], "--listen"),
        (vec!["--max-body".into(), "0".into()], "--max-body"),
        (vec!["--rotate".into(), "1.5MiB".into()], "--rotate"),
        (
            vec!["--listen".into(), format!("127.0.0.1:{port}")],
            "cannot listen there",
        ),
        (
            vec!["--forward".into(), "http://beacon.example.com".into()],
            "refusing to send to `http://beacon.example.com/` over plain http",
        ),
        (
            vec!["--forward".into(), "beacon.example.com".into()],
            "is not a URL",
        ),
        (
            vec!["--out".into(), "-".into(), "--rotate".into(), "1MiB".into()],
            "--rotate needs a file",
        ),
        (vec!["--tls-cert".into(), "junk.pem".into()], "--tls-key"),
    ];
    for (args, needle) in cases {
        let mut cmd = beacon(dir.path());
        cmd.arg("capture")
            .args(&args)
            .timeout(Duration::from_secs(20));
        let out = run(cmd);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty());
        assert!(
            !dir.path().join("capture.jsonl").exists(),
            "{args:?} left a ledger"
        );
    }
}

#[test]
fn forward_through_tinyproxy_to_a_second_capture_records_both_sides() {
    let (near_dir, far_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let far = Capture::start(far_dir.path(), &[]);
    let far_url = far.url();
    let proxy = Tinyproxy::start(None);
    let near = Capture::start(
        near_dir.path(),
        &["--forward", &far.url(), "--proxy", &proxy.url()],
    );
    assert!(
        near.stderr()
            .contains(&format!("relaying to {}", far.url()))
    );
    let license = license_file(near_dir.path());
    for id in ["verify", "metrics"] {
        let mut cmd = beacon(near_dir.path());
        cmd.args([
            "send",
            id,
            "--url",
            &near.url(),
            "--synthetic",
            "-o",
            "json",
        ])
        .arg("--license-file")
        .arg(&license);
        let out = run(cmd);
        assert_eq!(out.code, 0, "{id}: {}", out.stderr);
        let report: Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(report["interpretation"]["accepted"], true, "{report}");
    }
    let pb = gzip(&spans(&["relayed"]).encode_to_vec());
    let answer = post(
        near.addr,
        "/prefix/v1/beacon/v1/traces",
        &[
            ("Content-Type", "application/x-protobuf"),
            ("Content-Encoding", "gzip"),
        ],
        &pb,
    );
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.header("content-type"),
        Some("application/x-protobuf"),
        "the real answer's headers come back"
    );
    assert_eq!(post(near.addr, "/elsewhere?x=1", &[], b"{}").status, 404);
    let (near_end, far_end) = (near.stop(), far.stop());
    assert_eq!(near_end.code, 0, "{}", near_end.stderr);
    assert_eq!(far_end.code, 0);
    assert!(
        near_end.stderr.contains("Beacon answered"),
        "{}",
        near_end.stderr
    );
    let near_records = records(&near_dir.path().join("capture.jsonl"));
    let far_records = records(&far_dir.path().join("capture.jsonl"));
    assert_eq!(near_records.len(), 4);
    assert_eq!(far_records.len(), 4);
    for (near, far) in near_records.iter().zip(&far_records) {
        assert_eq!(
            near["sha256"], far["sha256"],
            "the body is relayed as received"
        );
        assert_eq!(near["forward"]["status"], far["status"]);
        assert_eq!(near["status"], far["status"]);
    }
    assert_eq!(
        near_records[2]["forward"]["url"],
        format!("{far_url}/v1/beacon/v1/traces")
    );
    assert_eq!(
        far_records[2]["base_path"], "",
        "the base path of the relay is its own"
    );
    assert_eq!(far_records[3]["path"], "/elsewhere");
    assert_eq!(far_records[3]["query"], "x=1");
    let token = near_records[0]["forward"]["body"]["token"]
        .as_str()
        .unwrap();
    assert!(token.starts_with("<redacted sha256:"), "{token}");
    let text = ledger_text(&near_dir.path().join("capture.jsonl"));
    assert!(!text.contains(CANARY));
    let port = far_url.rsplit(':').next().unwrap();
    assert!(proxy.log().contains(port), "{}", proxy.log());
}

#[test]
fn forward_to_a_tls_beacon_through_tinyproxy_with_its_ca() {
    let dir = tempfile::tempdir().unwrap();
    let pki = TestPki::new();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let server = TestServer::start_tls(pki.server.clone(), |_, request| {
        if request.path.ends_with("/verify") {
            Reply::json(200, "{\"token\": \"tok-CANARY-real-beacon-token\"}")
                .header("x-beacon", "real")
        } else {
            Reply::status(503)
        }
    });
    let proxy = Tinyproxy::start(None);
    let capture = Capture::start(
        dir.path(),
        &[
            "--forward",
            &server.https_url(),
            "--proxy",
            &proxy.url(),
            "--cacert",
            ca.to_str().unwrap(),
            "--retries",
            "0",
        ],
    );
    let license = license_file(dir.path());
    let mut cmd = beacon(dir.path());
    cmd.args(["send", "verify", "--url", &capture.url(), "-o", "json"])
        .arg("--license-file")
        .arg(&license);
    let out = run(cmd);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["response"]["headers"]["x-beacon"], "real");
    assert_eq!(report["interpretation"]["facts"]["token_received"], true);
    let answer = post(capture.addr, "/v1/beacon/v1/logs", &[], b"{}");
    assert_eq!(answer.status, 503, "the real answer, whatever it is");
    let ended = capture.stop();
    assert_eq!(ended.code, 0, "{}", ended.stderr);
    let received = server.requests();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].path, "/v1/beacon/verify");
    assert!(
        String::from_utf8_lossy(&received[0].body).contains(LICENSE),
        "the real Beacon gets the license as sent"
    );
    assert!(
        received[0]
            .header("user-agent")
            .unwrap()
            .starts_with("beacon-cli/")
    );
    assert!(proxy.log().contains("CONNECT"), "{}", proxy.log());
    let records = records(&dir.path().join("capture.jsonl"));
    assert_eq!(records[0]["forward"]["status"], 200);
    assert_eq!(records[0]["forward"]["headers"]["x-beacon"], "real");
    assert_eq!(
        records[0]["forward"]["body"]["token"],
        marker("tok-CANARY-real-beacon-token")
    );
    assert_eq!(records[1]["forward"]["status"], 503);
    assert_eq!(records[1]["status"], 503);
    assert!(!ledger_text(&dir.path().join("capture.jsonl")).contains(CANARY));
}

#[test]
fn a_relay_that_cannot_reach_beacon_answers_502_and_records_why() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}", free_port());
    let capture = Capture::start(dir.path(), &["--forward", &url, "--retries", "0"]);
    let answer = post(capture.addr, "/v1/beacon/v1/metrics", &[], b"{}");
    assert_eq!(answer.status, 502);
    let ended = capture.stop();
    assert_eq!(ended.code, 0);
    let records = records(&dir.path().join("capture.jsonl"));
    assert_eq!(records[0]["flags"][0], "forward-failed");
    assert!(records[0]["forward"]["error"].is_string(), "{}", records[0]);
    assert_eq!(records[0]["forward"]["status"], Value::Null);
}

#[test]
fn a_relayed_url_is_redacted_like_the_rest_of_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}", free_port());
    let license = license_file(dir.path());
    let capture = Capture::start(
        dir.path(),
        &[
            "--forward",
            &url,
            "--retries",
            "0",
            "--license-file",
            license.to_str().unwrap(),
        ],
    );
    // The operator's license in the path and the query of a relayed request.
    let answer = post(
        capture.addr,
        &format!("/{LICENSE}/x?k={LICENSE}"),
        &[],
        b"{}",
    );
    assert_eq!(answer.status, 502);
    assert!(!String::from_utf8_lossy(&answer.body).contains(CANARY));
    let ended = capture.stop();
    assert_eq!(ended.code, 0, "{}", ended.stderr);
    let records = records(&dir.path().join("capture.jsonl"));
    let shown = marker(LICENSE);
    assert_eq!(records[0]["query"], format!("k={shown}"));
    assert_eq!(
        records[0]["forward"]["url"],
        format!("{url}/{shown}/x?k={shown}")
    );
    assert!(!ledger_text(&dir.path().join("capture.jsonl")).contains(CANARY));
}

#[test]
fn on_a_terminal_each_request_is_a_live_line() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let bin = assert_cmd::cargo::cargo_bin("beacon-cli");
    let script = format!(
        "stty cols 120 rows 40; exec {} capture --listen 127.0.0.1:{port} --max-requests 2",
        bin.display()
    );
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qfec", &script, "/dev/null"])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped());
    common::scrub_std(&mut cmd);
    let child = cmd.spawn().expect("script runs");
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "capture did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    post(
        addr,
        "/v1/beacon/v1/traces",
        &[("Content-Type", "application/json")],
        b"{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [{\"name\": \"x\"}]}]}]}",
    );
    post(addr, "/favicon.ico", &[], b"");
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    let live: Vec<&str> = text
        .lines()
        .filter(|l| l.len() > 12 && l.as_bytes()[2] == b':' && l.as_bytes()[8] == b'.')
        .collect();
    assert_eq!(live.len(), 2, "{text}");
    assert!(
        live[0].contains("traces") && live[0].contains("200"),
        "{text}"
    );
    assert!(
        live[0].contains("error"),
        "the span's defects are counted: {text}"
    );
    assert!(
        live[1].contains("POST /favicon.ico") && live[1].contains("[unknown-path]"),
        "{text}"
    );
    assert!(text.contains("other paths"), "the summary table: {text}");
}
