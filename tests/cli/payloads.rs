//! `payloads`: published samples byte for byte, their defects, and synthetic
//! payloads that a real OTLP decoder (opentelemetry-proto) accepts.

use crate::common;

use common::{IDS, Run, beacon, fixture, run};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{InstrumentationScope, any_value};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::resource::v1::Resource;
use serde::Deserialize;
use serde_json::Value;

fn payloads(args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = beacon(dir.path());
    cmd.arg("payloads").args(args);
    run(cmd)
}

fn sample(name: &str) -> String {
    std::fs::read_to_string(fixture(&format!("samples/{name}"))).unwrap()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PayloadInfo {
    id: String,
    method: String,
    path: String,
    url: String,
    class: String,
    enabled: bool,
    request: Value,
    response: Option<Value>,
    documented_since: String,
    defects: Vec<Defect>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Defect {
    code: String,
    pointer: String,
    message: String,
}

#[test]
fn each_published_request_prints_byte_for_byte() {
    for id in IDS {
        let out = payloads(&[id]);
        assert_eq!(out.code, 0, "{id}: {}", out.stderr);
        assert_eq!(out.stdout, sample(&format!("{id}.request.json")), "{id}");
    }
}

#[test]
fn the_published_samples_in_fixtures_are_the_shared_reference() {
    let shared =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/samples");
    if !shared.is_dir() {
        return; // outside this workplace there is no shared/ folder to compare with
    }
    for entry in std::fs::read_dir(&shared).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            std::fs::read(fixture(&format!("samples/{name}"))).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn published_responses_print_as_published_and_say_they_are_not_json() {
    for id in ["verify", "ingest-traces"] {
        let out = payloads(&[id, "--response"]);
        assert_eq!(out.code, 0);
        assert_eq!(out.stdout, sample(&format!("{id}.response.jsonc")));
        assert!(
            out.stderr
                .contains("`//` comments, which JSON does not allow"),
            "{}",
            out.stderr
        );
        assert!(serde_json::from_str::<Value>(&out.stdout).is_err());
    }
    let out = payloads(&["metrics", "--response"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with("error: `metrics` has no documented response body")
    );
}

#[test]
fn defects_of_the_published_samples_go_to_stderr_one_line_each() {
    for (id, count) in [
        ("traces", 3),
        ("metrics", 9),
        ("logs", 1),
        ("verify", 0),
        ("ingest-traces", 0),
        ("usage-snapshot", 0),
    ] {
        let out = payloads(&[id]);
        let lines: Vec<_> = out
            .stderr
            .lines()
            .filter(|l| l.starts_with(&format!("warning: published {id} sample: /")))
            .collect();
        assert_eq!(lines.len(), count, "{id}: {}", out.stderr);
        if count > 0 {
            assert!(
                out.stderr
                    .contains(&format!("beacon-cli payloads {id} --synthetic"))
            );
        } else {
            assert!(out.stderr.is_empty(), "{id}: {}", out.stderr);
        }
    }
    let traces = payloads(&["traces"]).stderr;
    assert!(traces.contains(
        "/resourceSpans/0/scopeSpans/0/spans/0/spanId: `3c191d03fa8be0` is 14 hex digits"
    ));
    assert!(traces.contains("`0932ksdka12345` is not hex"));
    let metrics = payloads(&["metrics"]).stderr;
    assert!(metrics.contains("/sum/dataPoints/0/aggregationTemporality"));
    assert!(metrics.contains("unit `seconds` is not UCUM"));
    assert!(metrics.contains("above 2^53"));
    assert!(
        payloads(&["logs"])
            .stderr
            .contains("severity 13 is a warning")
    );
}

#[test]
fn the_listing_names_every_endpoint_then_every_body() {
    let out = payloads(&[]);
    assert_eq!(out.code, 0);
    for id in IDS {
        assert!(
            out.stdout.contains(&format!(
                "# {id} POST https://beacon.langchain.com/v1/beacon/"
            )),
            "{id}"
        );
    }
    assert!(out.stdout.contains("\"trace_transactions\""));
    assert!(out.stdout.contains("\"resourceLogs\""));
}

#[test]
fn json_output_is_the_catalogue_with_values_state() {
    let all_off = fixture("values/all-off.yaml");
    let out = payloads(&["-o", "json", "-f", all_off.to_str().unwrap()]);
    let infos: Vec<PayloadInfo> = serde_json::from_str(&out.stdout).unwrap();
    let ids: Vec<_> = infos.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, IDS);
    for info in &infos {
        let expected: Value =
            serde_json::from_str(&sample(&format!("{}.request.json", info.id))).unwrap();
        assert_eq!(info.request, expected, "{}", info.id);
        assert_eq!(info.method, "POST");
        assert_eq!(
            info.url,
            format!("https://beacon.langchain.com{}", info.path)
        );
        assert!(
            info.defects
                .iter()
                .all(|d| d.pointer.starts_with('/') && !d.code.is_empty() && !d.message.is_empty())
        );
        let required = info.class == "billing";
        assert_eq!(
            info.enabled, required,
            "{}: all optional endpoints are off in all-off.yaml",
            info.id
        );
        assert!(!info.documented_since.is_empty());
    }
    let verify = &infos[0];
    assert_eq!(
        verify.response,
        Some(serde_json::json!({ "token": "Valid JWT" }))
    );
    assert_eq!(
        infos[1].response,
        Some(serde_json::json!({ "inserted_count": 1 }))
    );
    assert_eq!(infos[2].response, None);
    assert_eq!(infos[3].defects.len(), 3);

    let one = payloads(&["usage-snapshot", "-o", "json"]);
    let info: PayloadInfo = serde_json::from_str(&one.stdout).unwrap();
    assert_eq!(info.request["license_key"], "<YOUR_LICENSE_KEY>");
    assert!(info.enabled);
}

#[test]
fn synthetic_otlp_payloads_decode_with_opentelemetry_proto() {
    let body = |id: &str| {
        let out = payloads(&[id, "--synthetic"]);
        assert_eq!(out.code, 0);
        assert!(out.stderr.is_empty(), "no defects: {}", out.stderr);
        out.stdout
    };

    let traces_text = body("traces");
    let traces: ExportTraceServiceRequest =
        serde_json::from_str(&traces_text).expect("strict OTLP decode");
    let spans = &traces.resource_spans[0].scope_spans[0].spans;
    assert_eq!(spans.len(), 2);
    assert_eq!(spans[0].trace_id.len(), 16);
    assert_eq!(spans[0].span_id.len(), 8);
    assert!(spans[0].parent_span_id.is_empty(), "the root has no parent");
    assert_eq!(spans[1].parent_span_id, spans[0].span_id);
    assert!(
        spans
            .iter()
            .all(|s| s.trace_id.iter().any(|&b| b != 0) && s.span_id.iter().any(|&b| b != 0))
    );
    let raw: Value = serde_json::from_str(&traces_text).unwrap();
    let raw_span = &raw["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
    assert_eq!(raw_span["traceId"].as_str().unwrap().len(), 32);
    assert_eq!(raw_span["spanId"].as_str().unwrap().len(), 16);
    assert!(
        raw_span["startTimeUnixNano"].is_string(),
        "64-bit integers as strings"
    );

    let metrics_text = body("metrics");
    let metrics: ExportMetricsServiceRequest =
        serde_json::from_str(&metrics_text).expect("strict OTLP decode");
    let decoded = &metrics.resource_metrics[0].scope_metrics[0].metrics;
    assert_eq!(decoded.len(), 2);
    // The decoder drops a metric's data silently on errors: check it is all there.
    match &decoded[0].data {
        Some(Data::Gauge(g)) => assert_eq!(g.data_points.len(), 1),
        other => panic!("gauge lost: {other:?}"),
    }
    match &decoded[1].data {
        Some(Data::Sum(s)) => {
            assert_eq!(s.data_points.len(), 1);
            assert_eq!(s.aggregation_temporality, 2);
            assert!(s.is_monotonic);
            assert!(s.data_points[0].time_unix_nano > 1_600_000_000_000_000_000);
        }
        other => panic!("sum lost: {other:?}"),
    }
    let raw: Value = serde_json::from_str(&metrics_text).unwrap();
    let sum = &raw["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][1]["sum"];
    assert!(sum["dataPoints"][0].get("aggregationTemporality").is_none());
    assert!(sum["dataPoints"][0].get("isMonotonic").is_none());
    assert!(sum["dataPoints"][0]["asInt"].is_string());
    assert_eq!(
        raw["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["unit"],
        "s"
    );

    let logs: ExportLogsServiceRequest =
        serde_json::from_str(&body("logs")).expect("strict OTLP decode");
    let records = &logs.resource_logs[0].scope_logs[0].log_records;
    assert_eq!(records.len(), 2);
    assert!(
        records.iter().all(|r| r.severity_number >= 17),
        "only errors, as documented"
    );
    assert_eq!(records[0].trace_id.len(), 16);
    assert!(records[1].trace_id.is_empty());
}

/// The `stringValue` of each resource attribute, by key.
fn resource_strings(resource: &Option<Resource>) -> Vec<(String, String)> {
    resource
        .as_ref()
        .expect("a resource")
        .attributes
        .iter()
        .map(|a| match a.value.as_ref().and_then(|v| v.value.as_ref()) {
            Some(any_value::Value::StringValue(s)) => (a.key.clone(), s.clone()),
            other => panic!("{}: {other:?}", a.key),
        })
        .collect()
}

fn assert_like_an_sdk(resource: &Option<Resource>, scope: &Option<InstrumentationScope>) {
    let attributes = resource_strings(resource);
    let keys: Vec<&str> = attributes.iter().map(|(k, _)| k.as_str()).collect();
    for key in [
        "service.name",
        "telemetry.sdk.name",
        "telemetry.sdk.language",
        "telemetry.sdk.version",
    ] {
        assert!(keys.contains(&key), "{key} in {keys:?}");
    }
    assert!(attributes.iter().all(|(_, v)| !v.is_empty()));
    assert!(!scope.as_ref().expect("a scope").name.is_empty());
}

/// Every id (hex) in an OTLP/JSON body: `traceId`, `spanId`, `parentSpanId`.
fn ids(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match v.as_str() {
                    Some(id) if key.ends_with("Id") && !id.is_empty() => out.push(id.to_string()),
                    _ => ids(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| ids(v, out)),
        _ => {}
    }
}

#[test]
fn synthetic_otlp_payloads_look_like_a_real_exporters() {
    for seed in ["1", "2", "77"] {
        let body = |id: &str| payloads(&[id, "--synthetic", "--seed", seed]).stdout;
        let traces: ExportTraceServiceRequest = serde_json::from_str(&body("traces")).unwrap();
        let rs = &traces.resource_spans[0];
        assert_like_an_sdk(&rs.resource, &rs.scope_spans[0].scope);
        let spans = &rs.scope_spans[0].spans;
        assert_eq!(
            spans.iter().map(|s| s.kind).collect::<Vec<_>>(),
            [2, 1],
            "a server root, an internal child"
        );
        let (root, child) = (&spans[0], &spans[1]);
        let mut times = vec![
            root.start_time_unix_nano,
            child.start_time_unix_nano,
            child.end_time_unix_nano,
            root.end_time_unix_nano,
        ];
        assert!(
            times.is_sorted(),
            "the child runs inside the root: {times:?}"
        );
        times.dedup();
        assert_eq!(times.len(), 4, "distinct start and end times");
        assert!(root.events.iter().all(|e| {
            (root.start_time_unix_nano..=root.end_time_unix_nano).contains(&e.time_unix_nano)
        }));

        let metrics: ExportMetricsServiceRequest = serde_json::from_str(&body("metrics")).unwrap();
        let rm = &metrics.resource_metrics[0];
        assert_like_an_sdk(&rm.resource, &rm.scope_metrics[0].scope);
        let gauges: Vec<_> = rm.scope_metrics[0]
            .metrics
            .iter()
            .filter_map(|m| match &m.data {
                Some(Data::Gauge(g)) => Some(g),
                _ => None,
            })
            .collect();
        assert!(!gauges.is_empty());
        for point in gauges.iter().flat_map(|g| &g.data_points) {
            assert_eq!(point.start_time_unix_nano, 0, "no start time on a gauge");
            assert!(point.time_unix_nano > 0);
        }

        let logs_text = body("logs");
        let logs: ExportLogsServiceRequest = serde_json::from_str(&logs_text).unwrap();
        let rl = &logs.resource_logs[0];
        assert_like_an_sdk(&rl.resource, &rl.scope_logs[0].scope);
        for record in &rl.scope_logs[0].log_records {
            assert!(
                record.observed_time_unix_nano >= record.time_unix_nano
                    && record.time_unix_nano > 0,
                "observedTimeUnixNano set (logs.proto: MUST)"
            );
        }

        // Each signal has its own random stream: no id repeats across them.
        let mut seen = Vec::new();
        for id in ["traces", "logs"] {
            let mut found = Vec::new();
            ids(&serde_json::from_str(&body(id)).unwrap(), &mut found);
            found.sort();
            found.dedup();
            seen.extend(found);
        }
        let all = seen.len();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), all, "seed {seed}: an id repeats across signals");

        // An endpoint's body does not depend on which others are made with it.
        let listing: Vec<PayloadInfo> =
            serde_json::from_str(&payloads(&["--synthetic", "--seed", seed, "-o", "json"]).stdout)
                .unwrap();
        let in_listing = listing.iter().find(|p| p.id == "logs").unwrap();
        assert_eq!(
            in_listing.request,
            serde_json::from_str::<Value>(&logs_text).unwrap()
        );
    }
}

#[test]
fn synthetic_billing_payloads_keep_the_documented_fields() {
    for id in ["verify", "ingest-traces", "usage-snapshot"] {
        let out = payloads(&[id, "--synthetic", "--seed", "3"]);
        let synthetic: Value = serde_json::from_str(&out.stdout).unwrap();
        let published: Value =
            serde_json::from_str(&sample(&format!("{id}.request.json"))).unwrap();
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&synthetic), keys(&published), "{id}");
        if id == "ingest-traces" {
            assert_eq!(
                keys(&synthetic["trace_transactions"][0]),
                keys(&published["trace_transactions"][0])
            );
        }
        if id == "usage-snapshot" {
            assert_eq!(keys(&synthetic["measures"]), keys(&published["measures"]));
        }
    }
}

#[test]
fn a_seed_makes_synthetic_payloads_reproducible() {
    for id in IDS {
        let a = payloads(&[id, "--synthetic", "--seed", "42"]).stdout;
        let b = payloads(&[id, "--synthetic", "--seed", "42"]).stdout;
        assert_eq!(a, b, "{id}");
    }
    let a = payloads(&["traces", "--synthetic", "--seed", "1"]).stdout;
    let b = payloads(&["traces", "--synthetic", "--seed", "2"]).stdout;
    assert_ne!(a, b);
}

#[test]
fn an_unknown_endpoint_lists_the_valid_ones_and_suggests_the_nearest() {
    let out = payloads(&["trace"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains(
            "[possible values: verify, ingest-traces, metrics, traces, logs, usage-snapshot]"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("tip: a similar value exists: 'traces'"),
        "{}",
        out.stderr
    );
    assert_eq!(payloads(&["--response"]).code, 2, "--response needs an ID");
    assert_eq!(
        payloads(&["verify", "--seed", "1"]).code,
        2,
        "--seed needs --synthetic"
    );
}
