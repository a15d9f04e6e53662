//! Validation throughput on a large generated OTLP/JSON traces body, against
//! plain `serde_json` parsing of the same bytes as the floor.
//!
//! `cargo bench --bench validate` prints a Markdown table. The target (issue 5):
//! validate at least half as fast as `serde_json::from_slice::<Value>`. The
//! project builds serde_json with `preserve_order` (JSON output keeps the samples'
//! key order), which makes `Value` slower; the parse-only row (`IgnoredAny`) is
//! printed beside it as the strictest floor there is. With
//! `BENCH_OTLP_FILE=path` it also writes the generated body there, for bench/run
//! to measure the CLI's peak memory against the file's size.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use beacon_cli::decode::{self, Encoding, Gzip, Limits};
use beacon_cli::endpoints::EndpointId;
use beacon_cli::validate;

/// About this many bytes of JSON.
const TARGET_BYTES: usize = 64 * 1024 * 1024;
const RUNS: usize = 5;

/// A realistic traces body: resource attributes, spans with attributes, events
/// and status, ids and times as OTLP/JSON writes them.
fn generate() -> Vec<u8> {
    let mut out = String::with_capacity(TARGET_BYTES + 4096);
    out.push_str("{\"resourceSpans\": [{\"resource\": {\"attributes\": [{\"key\": \"service.name\", \"value\": {\"stringValue\": \"langsmith_backend\"}}]}, \"scopeSpans\": [{\"scope\": {\"name\": \"langsmith\"}, \"spans\": [\n");
    let mut n: u64 = 0;
    while out.len() < TARGET_BYTES {
        if n > 0 {
            out.push_str(",\n");
        }
        let trace = n / 8 + 1;
        let span = n + 1;
        let parent = if n % 8 == 0 {
            String::new()
        } else {
            format!("{:016x}", n / 8 * 8 + 1)
        };
        let start = 1_700_000_000_000_000_000u64 + n * 1_000_000;
        write!(
            out,
            "{{\"traceId\": \"{trace:032x}\", \"spanId\": \"{span:016x}\", \"parentSpanId\": \"{parent}\", \
             \"name\": \"POST /runs/batch\", \"kind\": 2, \"startTimeUnixNano\": \"{start}\", \
             \"endTimeUnixNano\": \"{}\", \"attributes\": [{{\"key\": \"http.method\", \"value\": {{\"stringValue\": \"POST\"}}}}, \
             {{\"key\": \"http.status_code\", \"value\": {{\"intValue\": \"200\"}}}}, \
             {{\"key\": \"tenant\", \"value\": {{\"stringValue\": \"3a1c2b6f-4430-4b92-8a5b-79b8b567bbc1\"}}}}], \
             \"events\": [{{\"timeUnixNano\": \"{}\", \"name\": \"parse_request\", \"attributes\": [{{\"key\": \"request_size\", \"value\": {{\"intValue\": \"{}\"}}}}]}}], \
             \"status\": {{\"code\": 1}}}}",
            start + 750_000,
            start + 100_000,
            n % 4096
        )
        .expect("writing to a String");
        n += 1;
    }
    out.push_str("\n]}]}]}\n");
    out.into_bytes()
}

fn best(mut f: impl FnMut()) -> Duration {
    (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .expect("at least one run")
}

#[allow(clippy::print_stdout)]
fn main() {
    // `cargo bench` passes `--bench`; this harness takes no other arguments.
    let bytes = generate();
    if let Ok(path) = std::env::var("BENCH_OTLP_FILE") {
        std::fs::write(&path, &bytes).expect("write BENCH_OTLP_FILE");
    }
    let mb = bytes.len() as f64 / (1024.0 * 1024.0);

    let floor = best(|| {
        let value: serde_json::Value = serde_json::from_slice(&bytes).expect("valid JSON");
        std::hint::black_box(value);
    });
    // Parsing without building anything: the fastest serde_json can read the bytes.
    let parse_only = best(|| {
        let ignored: serde::de::IgnoredAny = serde_json::from_slice(&bytes).expect("valid JSON");
        std::hint::black_box(ignored);
    });
    let mut findings = 0;
    let validated = best(|| {
        // The copy stands for the read: `validate` owns the bytes it reads.
        let body = decode::decode(
            bytes.clone(),
            EndpointId::Traces,
            Encoding::Json,
            Gzip::Detect,
            &Limits::default(),
            "bench",
        )
        .expect("decodes");
        let report =
            validate::validate(EndpointId::Traces, &body, None, "bench").expect("validates");
        findings = report.findings.len();
        std::hint::black_box(report);
    });
    let floor_rate = mb / floor.as_secs_f64();
    let rate = mb / validated.as_secs_f64();
    let ratio = rate / floor_rate;
    println!("| what | input | best of {RUNS} | throughput | ratio to floor |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    println!(
        "| `serde_json::from_slice::<Value>` (floor) | {mb:.1} MiB | {:.0} ms | {floor_rate:.0} MiB/s | 1.00 |",
        floor.as_secs_f64() * 1000.0
    );
    println!(
        "| `serde_json::from_slice::<IgnoredAny>` (parse only, builds nothing) | {mb:.1} MiB | {:.0} ms | {:.0} MiB/s | {:.2} |",
        parse_only.as_secs_f64() * 1000.0,
        mb / parse_only.as_secs_f64(),
        (mb / parse_only.as_secs_f64()) / floor_rate
    );
    println!(
        "| `validate traces` (walk + opentelemetry-proto decode) | {mb:.1} MiB | {:.0} ms | {rate:.0} MiB/s | {ratio:.2} |",
        validated.as_secs_f64() * 1000.0
    );
    println!();
    println!(
        "target: at least half the floor's throughput: {} ({ratio:.2}); findings on the generated body: {findings}",
        if ratio >= 0.5 { "met" } else { "NOT met" }
    );
}
