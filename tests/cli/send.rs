//! `send` against real servers on 127.0.0.1: success on every endpoint with the
//! bytes `dry-run` printed, retries, timeouts, TLS with a CA made here, and a
//! real forward proxy (tinyproxy). Nothing leaves the machine.

use crate::common;

use std::time::{Duration, Instant};

use base64::Engine;
use common::proxy::{Doorman, Tinyproxy, free_port};
use common::server::{Recorded, Reply, TestPki, TestServer};
use common::{IDS, Run, beacon, run, ungzip};
use serde::Deserialize;
use serde_json::{Value, json};

const LICENSE: &str = "lic-CANARY-send-0123456789";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SendReport {
    request: RequestView,
    proxy: Option<String>,
    attempts: Vec<Attempt>,
    response: Option<ResponseView>,
    outcome: String,
    error: Option<String>,
    hint: Option<String>,
    elapsed_ms: u64,
    interpretation: Option<Interpretation>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestView {
    method: String,
    url: String,
    headers: serde_json::Map<String, Value>,
    body: String,
    gzip: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Attempt {
    status: Option<u16>,
    error: Option<String>,
    elapsed_ms: u64,
    retry_after_ms: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResponseView {
    status: u16,
    headers: serde_json::Map<String, Value>,
    body: String,
    truncated: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Interpretation {
    accepted: bool,
    as_documented: bool,
    summary: String,
    facts: serde_json::Map<String, Value>,
}

struct Setup {
    dir: tempfile::TempDir,
    license: String,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let license = dir.path().join("license.txt");
    std::fs::write(&license, format!("{LICENSE}\n")).unwrap();
    Setup {
        license: license.to_str().unwrap().to_string(),
        dir,
    }
}

fn send(setup: &Setup, args: &[&str], env: &[(&str, &str)]) -> (Run, SendReport) {
    let mut cmd = beacon(setup.dir.path());
    cmd.args(["send", "-o", "json", "--license-file", &setup.license])
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = run(cmd);
    let report = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}\nstdout: {}\nstderr: {}", out.stdout, out.stderr));
    (out, report)
}

/// `send` with the license, printing for people.
fn send_human(setup: &Setup, args: &[&str]) -> Run {
    let mut cmd = beacon(setup.dir.path());
    cmd.args(["send", "--license-file", &setup.license])
        .args(args);
    run(cmd)
}

fn dry_run_body(setup: &Setup, args: &[&str]) -> (String, serde_json::Map<String, Value>) {
    let dir = setup.dir.path();
    let mut cmd = beacon(dir);
    cmd.args([
        "dry-run",
        "-o",
        "json",
        "--reveal-secrets",
        "--license-file",
        &setup.license,
    ])
    .args(args);
    let out = cmd.output().unwrap();
    assert!(out.status.success());
    let view: RequestView = serde_json::from_slice(&out.stdout).unwrap();
    (view.body, view.headers)
}

fn jwt(exp: i64) -> String {
    let enc = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!(
        "{}.{}.c2ln",
        enc(json!({"alg": "RS256"})),
        enc(json!({"exp": exp, "iss": "beacon"}))
    )
}

/// What Beacon documents for each endpoint.
fn documented(request: &Recorded) -> Reply {
    match request.path.rsplit('/').next().unwrap() {
        "verify" => Reply::json(200, &json!({ "token": jwt(4_102_444_800) }).to_string()),
        "ingest-traces" => Reply::json(200, "{\"inserted_count\": 1}"),
        "usage-snapshot" => Reply::status(204),
        _ => Reply::json(200, "{}"),
    }
}

#[test]
fn every_endpoint_is_delivered_with_exactly_the_bytes_dry_run_printed() {
    let setup = setup();
    let server = TestServer::start(|_, r| documented(r));
    let url = server.url();
    for id in IDS {
        for gzip in [false, true] {
            let mut args = vec![id, "--url", &url, "--synthetic", "--seed", "5"];
            if gzip {
                args.push("--gzip");
            }
            let (expected_body, expected_headers) = dry_run_body(&setup, &args);
            let before = server.requests().len();
            let (out, report) = send(&setup, &args, &[]);
            assert_eq!(out.code, 0, "{id}: {}", out.stderr);
            assert_eq!(report.outcome, "ok");
            assert_eq!(report.attempts.len(), 1);
            assert_eq!(report.request.method, "POST");
            assert!(report.request.url.starts_with(&url) && report.request.url.ends_with(id));
            assert_eq!(report.request.gzip, gzip);
            assert!(report.elapsed_ms >= report.attempts[0].elapsed_ms);
            let received = &server.requests()[before];
            assert_eq!(received.method, "POST");
            assert_eq!(
                received.path,
                format!(
                    "/v1/beacon/{}",
                    match id {
                        "metrics" | "traces" | "logs" => format!("v1/{id}"),
                        other => other.to_string(),
                    }
                )
            );
            let body = if gzip {
                assert_eq!(received.header("content-encoding"), Some("gzip"));
                ungzip(&received.body)
            } else {
                String::from_utf8(received.body.clone()).unwrap()
            };
            assert_eq!(
                body, expected_body,
                "{id} gzip={gzip}: the bytes dry-run printed"
            );
            for name in [
                "Content-Length",
                "Content-Type",
                "User-Agent",
                "Accept",
                "Host",
            ] {
                assert_eq!(
                    received.header(name),
                    expected_headers[name].as_str(),
                    "{id} gzip={gzip}: header {name}"
                );
            }
            let interpretation = report.interpretation.expect("an answer is interpreted");
            assert!(
                interpretation.as_documented,
                "{id}: {}",
                interpretation.summary
            );
        }
    }
}

#[test]
fn verify_reads_the_token_without_printing_it() {
    let setup = setup();
    let server = TestServer::start(|_, r| documented(r));
    let (out, report) = send(&setup, &["verify", "--url", &server.url()], &[]);
    assert_eq!(out.code, 0);
    let token = jwt(4_102_444_800);
    assert!(!out.stdout.contains(&token) && !out.stdout.contains(&token[20..40]));
    let facts = &report.interpretation.unwrap().facts;
    assert_eq!(facts["token_received"], true);
    assert_eq!(facts["expires_at"], "2100-01-01T00:00:00Z");
    assert_eq!(facts["claims"]["iss"], "beacon");
    assert!(report.response.unwrap().body.contains("<redacted sha256:"));

    let human = send_human(&setup, &["verify", "--url", &server.url()]);
    assert!(human.stdout.contains("200 OK"), "{}", human.stdout);
    assert!(
        human
            .stdout
            .contains("token received (not shown); expires 2100-01-01T00:00:00Z")
    );
    assert!(!human.stdout.contains(&token));
}

#[test]
fn ingest_traces_compares_inserted_count_with_what_was_sent() {
    let setup = setup();
    let server = TestServer::start(|_, _| Reply::json(200, "{\"inserted_count\": 0}"));
    let (out, report) = send(&setup, &["ingest-traces", "--url", &server.url()], &[]);
    assert_eq!(out.code, 3, "a 200 that stored nothing is not a success");
    let interpretation = report.interpretation.unwrap();
    assert!(!interpretation.accepted && !interpretation.as_documented);
    assert_eq!(interpretation.facts["transactions_sent"], 1);
    assert_eq!(interpretation.facts["inserted_count"], 0);
    assert!(
        interpretation
            .summary
            .contains("0 of 1 transaction stored: 1 not stored")
    );
    assert!(
        out.stderr
            .starts_with("error: the server answered 200 but did not take the request")
            && out.stderr.contains("1 not stored"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_2xx_that_does_not_take_the_request_exits_3_with_the_reason() {
    let setup = setup();
    let html = "<html><body>Welcome to the corporate portal</body></html>";
    let cases: [(&str, Reply, &str); 5] = [
        (
            "verify",
            Reply::json(200, "{\"detail\": \"license unknown\"}"),
            "no token",
        ),
        ("verify", Reply::json(200, "{\"token\": \"\"}"), "no token"),
        (
            "metrics",
            Reply::status(200)
                .header("content-type", "text/html")
                .body(html),
            "not JSON",
        ),
        (
            "usage-snapshot",
            Reply::status(200)
                .header("content-type", "text/html")
                .body(html),
            "not JSON",
        ),
        (
            "logs",
            Reply::json(200, "[]"),
            "not an OTLP export response",
        ),
    ];
    for (id, reply, reason) in cases {
        let server = TestServer::start(move |_, _| reply.clone());
        let (out, report) = send(&setup, &[id, "-q", "--url", &server.url()], &[]);
        assert_eq!(out.code, 3, "{id}: {}", out.stderr);
        let interpretation = report.interpretation.unwrap();
        assert!(!interpretation.accepted, "{id}");
        assert!(
            interpretation.summary.contains(reason),
            "{id}: {}",
            interpretation.summary
        );
        let first = out.stderr.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("error: the server answered 200") && first.contains(reason),
            "{id}: {}",
            out.stderr
        );
        assert_eq!(
            out.stderr.lines().count(),
            2,
            "-q: the error and its hint only: {}",
            out.stderr
        );
        assert_eq!(
            out.stderr.lines().last().map(|l| l.starts_with("hint: ")),
            Some(true)
        );
    }
    // An empty 200 from an OTLP receiver, and a 204 from usage-snapshot, are taken.
    for (id, reply) in [
        ("traces", Reply::status(200)),
        ("usage-snapshot", Reply::status(204)),
    ] {
        let server = TestServer::start(move |_, _| reply.clone());
        let (out, report) = send(&setup, &[id, "--url", &server.url()], &[]);
        assert_eq!(out.code, 0, "{id}: {}", out.stderr);
        assert!(report.interpretation.unwrap().accepted, "{id}");
    }
}

#[test]
fn otlp_partial_success_is_reported() {
    let setup = setup();
    let server = TestServer::start(|_, _| {
        Reply::json(
            200,
            "{\"partialSuccess\": {\"rejectedSpans\": \"2\", \"errorMessage\": \"invalid span id\"}}",
        )
    });
    let (out, report) = send(&setup, &["traces", "--url", &server.url()], &[]);
    assert_eq!(out.code, 3, "spans were rejected");
    let interpretation = report.interpretation.unwrap();
    assert_eq!(interpretation.facts["rejected"], 2);
    assert_eq!(interpretation.facts["error_message"], "invalid span id");
    assert!(!interpretation.as_documented && !interpretation.accepted);
    assert!(
        out.stderr.contains("2 spans rejected: invalid span id"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_503_twice_then_200_is_retried_and_every_attempt_reported() {
    let setup = setup();
    let server = TestServer::start(|n, r| {
        if n < 2 {
            Reply::status(503)
        } else {
            documented(r)
        }
    });
    let (out, report) = send(&setup, &["verify", "--url", &server.url()], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let statuses: Vec<_> = report.attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(503), Some(503), Some(200)]);
    assert!(
        report.attempts[0].retry_after_ms.is_some() && report.attempts[2].retry_after_ms.is_none()
    );
    assert_eq!(server.requests().len(), 3);
    let bodies: Vec<_> = server.requests().iter().map(|r| r.body.clone()).collect();
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "every attempt sends the same bytes"
    );
}

#[test]
fn a_503_forever_exits_5_after_the_retries() {
    let setup = setup();
    let server = TestServer::start(|_, _| Reply::status(503));
    let (out, report) = send(
        &setup,
        &["verify", "--url", &server.url(), "--retries", "2"],
        &[],
    );
    assert_eq!(out.code, 5);
    assert_eq!(report.outcome, "http-error");
    assert_eq!(report.attempts.len(), 3);
    assert_eq!(server.requests().len(), 3);
    assert_eq!(report.response.unwrap().status, 503);
}

#[test]
fn a_429_with_retry_after_is_honoured_within_the_timeout() {
    let setup = setup();
    let server = TestServer::start(|n, r| {
        if n == 0 {
            Reply::status(429).header("retry-after", "1")
        } else {
            documented(r)
        }
    });
    let (out, report) = send(&setup, &["verify", "--url", &server.url()], &[]);
    assert_eq!(out.code, 0);
    assert_eq!(report.attempts[0].retry_after_ms, Some(1000));
    let requests = server.requests();
    let gap = requests[1].at.duration_since(requests[0].at);
    assert!(gap >= Duration::from_millis(950), "waited {gap:?}");

    let patient = TestServer::start(|_, _| Reply::status(429).header("retry-after", "120"));
    let started = Instant::now();
    let (out, report) = send(
        &setup,
        &["verify", "--url", &patient.url(), "--timeout", "3"],
        &[],
    );
    assert_eq!(
        out.code, 4,
        "a Retry-After beyond --timeout stops with the 429"
    );
    assert_eq!(report.attempts.len(), 1);
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn a_404_and_a_500_are_not_retried() {
    let setup = setup();
    for (status, code) in [(404, 4), (500, 5)] {
        let server = TestServer::start(move |_, _| Reply::json(status, "{\"detail\": \"no\"}"));
        let (out, report) = send(&setup, &["verify", "--url", &server.url()], &[]);
        assert_eq!(out.code, code, "{status}");
        assert_eq!(
            server.requests().len(),
            1,
            "{status}: the server may have processed it"
        );
        let response = report.response.unwrap();
        assert_eq!(response.body, "{\"detail\": \"no\"}");
        assert_eq!(response.headers["content-type"], "application/json");
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(lines.len(), 2, "{}", out.stderr);
        assert!(
            lines[0].starts_with("error: http://127.0.0.1:")
                && lines[0].contains(&format!("/v1/beacon/verify answered {status} ")),
            "{}",
            lines[0]
        );
        assert!(lines[1].starts_with("hint: "), "{}", lines[1]);
    }
}

#[test]
fn a_server_that_never_answers_times_out_with_exit_7() {
    let setup = setup();
    let server = TestServer::start(|_, _| Reply::status(200).delay(Duration::from_secs(30)));
    let started = Instant::now();
    let (out, report) = send(
        &setup,
        &["verify", "--url", &server.url(), "--timeout", "1"],
        &[],
    );
    assert_eq!(out.code, 7);
    assert_eq!(report.outcome, "timeout");
    assert!(
        report
            .error
            .unwrap()
            .contains("no answer within --timeout 1 s")
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        server.requests().len(),
        1,
        "a timeout after sending is not retried"
    );
}

#[test]
fn a_closed_port_is_a_network_error_retried_then_exit_6() {
    let setup = setup();
    let url = format!("http://127.0.0.1:{}", free_port());
    let (out, report) = send(&setup, &["verify", "--url", &url, "--retries", "1"], &[]);
    assert_eq!(out.code, 6);
    assert_eq!(report.outcome, "network-error");
    assert_eq!(report.attempts.len(), 2, "a refused connection is retried");
    assert!(report.attempts.iter().all(|a| {
        a.status.is_none()
            && a.error
                .as_deref()
                .is_some_and(|e| e.contains("connection refused"))
    }));
    assert!(report.error.unwrap().contains("connection refused"));
    assert!(report.hint.is_some());
    assert!(report.response.is_none());

    let human = send_human(&setup, &["verify", "--retries", "0", "--url", &url]);
    assert_eq!(human.code, 6);
    assert!(
        human
            .stderr
            .contains("error: connection refused by 127.0.0.1:"),
        "{}",
        human.stderr
    );
}

#[test]
fn https_with_a_self_signed_certificate_fails_without_cacert_and_passes_with_it() {
    let setup = setup();
    let pki = TestPki::self_signed();
    let server = TestServer::start_tls(pki.server.clone(), |_, r| documented(r));
    let cert = setup.dir.path().join("self-signed.pem");
    std::fs::write(&cert, &pki.ca_pem).unwrap();
    let (out, report) = send(&setup, &["verify", "--url", &server.https_url()], &[]);
    assert_eq!(out.code, 6);
    assert!(report.error.unwrap().contains("unknown authority"));
    let (out, _) = send(
        &setup,
        &[
            "verify",
            "--url",
            &server.https_url(),
            "--cacert",
            cert.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn an_openssl_self_signed_certificate_given_with_cacert_is_pinned() {
    let setup = setup();
    let cacert = |pki: &TestPki, name: &str| {
        let path = setup.dir.path().join(name);
        std::fs::write(&path, &pki.ca_pem).unwrap();
        path
    };
    // The common way, CA:TRUE: curl accepts it with --cacert; so does beacon-cli.
    let pki = TestPki::openssl(setup.dir.path(), &["localhost", "127.0.0.1"]);
    let server = TestServer::start_tls(pki.server.clone(), |_, r| documented(r));
    let pinned = cacert(&pki, "openssl.pem");
    let url = server.https_url();
    let (out, report) = send(
        &setup,
        &[
            "verify",
            "--url",
            &url,
            "--cacert",
            pinned.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(report.outcome, "ok");
    let (out, report) = send(&setup, &["verify", "--url", &url], &[]);
    assert_eq!(out.code, 6, "without it: unknown authority");
    assert_eq!(
        report.attempts.len(),
        1,
        "certificate failures are not retried"
    );

    // Pinned, but for another name, or expired: refused, in plain words.
    for (pki, file, why) in [
        (
            TestPki::openssl(setup.dir.path(), &["other.example"]),
            "other.pem",
            "not valid for that name",
        ),
        (TestPki::expired(), "expired.pem", "has expired"),
    ] {
        let server = TestServer::start_tls(pki.server.clone(), |_, r| documented(r));
        let pinned = cacert(&pki, file);
        let (out, report) = send(
            &setup,
            &[
                "verify",
                "--url",
                &server.https_url(),
                "--cacert",
                pinned.to_str().unwrap(),
            ],
            &[],
        );
        assert_eq!(out.code, 6, "{file}");
        assert!(report.error.unwrap().contains(why), "{}", out.stderr);
        assert!(server.requests().is_empty(), "{file}");
    }
}

#[test]
fn https_with_a_private_ca_fails_without_cacert_and_passes_with_it() {
    let setup = setup();
    let pki = TestPki::new();
    let server = TestServer::start_tls(pki.server.clone(), |_, r| documented(r));
    let ca = setup.dir.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let url = server.https_url();

    let (out, report) = send(&setup, &["verify", "--url", &url], &[]);
    assert_eq!(out.code, 6, "{}", out.stdout);
    assert!(
        report
            .error
            .unwrap()
            .contains("signed by an unknown authority")
    );
    assert!(report.hint.unwrap().contains("--cacert"));
    assert!(server.requests().is_empty());

    let (out, _) = send(
        &setup,
        &["verify", "--url", &url, "--cacert", ca.to_str().unwrap()],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (out, _) = send(
        &setup,
        &["verify", "--url", &url],
        &[("SSL_CERT_FILE", ca.to_str().unwrap())],
    );
    assert_eq!(out.code, 0, "$SSL_CERT_FILE: {}", out.stderr);
    let (out, _) = send(&setup, &["verify", "--url", &url, "--insecure"], &[]);
    assert_eq!(out.code, 0);
    assert!(
        out.stderr
            .contains("--insecure: the server's certificate is NOT verified")
    );
    assert_eq!(server.requests().len(), 3);

    let bad = setup.dir.path().join("not-a-ca.pem");
    std::fs::write(&bad, "hello").unwrap();
    let out = send_human(
        &setup,
        &["verify", "--url", &url, "--cacert", bad.to_str().unwrap()],
    );
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("holds no PEM certificate"));
}

#[test]
fn a_real_forward_proxy_carries_https_and_no_proxy_bypasses_it() {
    let setup = setup();
    let proxy = Tinyproxy::start(None);
    let pki = TestPki::new();
    let server = TestServer::start_tls(pki.server.clone(), |_, r| documented(r));
    let ca = setup.dir.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let args = [
        "verify",
        "--url",
        &server.https_url(),
        "--cacert",
        ca.to_str().unwrap(),
    ];

    let (out, report) = send(&setup, &args, &[("HTTPS_PROXY", &proxy.url())]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(report.proxy.as_deref(), Some(&*proxy.url()));
    let tunnel = format!("CONNECT 127.0.0.1:{}", server.addr.port());
    assert!(
        proxy.log().contains(&tunnel),
        "tinyproxy log:\n{}",
        proxy.log()
    );
    let tunnels = proxy.log().matches(&tunnel).count();

    let (out, report) = send(
        &setup,
        &args,
        &[
            ("HTTPS_PROXY", &proxy.url()),
            ("NO_PROXY", "localhost,127.0.0.1"),
        ],
    );
    assert_eq!(out.code, 0);
    assert_eq!(report.proxy, None);
    assert_eq!(
        proxy.log().matches(&tunnel).count(),
        tunnels,
        "NO_PROXY went direct"
    );

    let (_, report) = send(
        &setup,
        &[&args[..], &["--no-proxy"]].concat(),
        &[("https_proxy", &proxy.url())],
    );
    assert_eq!(report.proxy, None);
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn plain_http_goes_through_http_proxy_with_credentials_that_stay_secret() {
    let setup = setup();
    let proxy = Tinyproxy::start(Some(("beacon", "pw-CANARY-proxy")));
    let server = TestServer::start(|_, r| documented(r));
    let with_auth = format!("http://beacon:pw-CANARY-proxy@127.0.0.1:{}", proxy.port);

    let (out, report) = send(
        &setup,
        &["verify", "--url", &server.url()],
        &[("http_proxy", &with_auth)],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let shown = report.proxy.unwrap();
    assert!(shown.starts_with("http://<redacted sha256:"), "{shown}");
    let via = server.requests()[0]
        .header("via")
        .unwrap_or_default()
        .to_string();
    assert!(
        via.contains("tinyproxy"),
        "the request went through tinyproxy: via={via}"
    );

    let (out, report) = send(
        &setup,
        &["verify", "--url", &server.url(), "--proxy", &proxy.url()],
        &[],
    );
    assert_ne!(out.code, 0, "without credentials the proxy refuses");
    assert!(report.response.is_some_and(|r| r.status == 407) || report.error.is_some());
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn plain_http_to_another_host_is_refused_before_any_traffic() {
    let setup = setup();
    let out = send_human(
        &setup,
        &["verify", "--url", "http://beacon.example.invalid"],
    );
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains(
        "refusing to send to `http://beacon.example.invalid/v1/beacon/verify` over plain http: the license key travels in the body"
    ));
    assert!(out.stderr.contains("--allow-http"));
    // Metrics carry no license: the reason given is the true one.
    let out = send_human(
        &setup,
        &["metrics", "--url", "http://beacon.example.invalid"],
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("over plain http: the telemetry would cross the network")
            && !out.stderr.contains("license"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_billing_payload_without_license_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(|_, r| documented(r));
    for id in ["verify", "ingest-traces", "usage-snapshot"] {
        let mut cmd = beacon(dir.path());
        cmd.args(["send", id, "--url", &server.url()]);
        let out = run(cmd);
        assert_eq!(out.code, 2, "{id}");
        assert!(out.stderr.contains("refusing to send"));
        for way in [
            "--license-file",
            "$LANGSMITH_LICENSE_KEY",
            "config.langsmithLicenseKey",
        ] {
            assert!(out.stderr.contains(way), "{id}: {way}");
        }
    }
    assert!(server.requests().is_empty());
    let mut cmd = beacon(dir.path());
    cmd.args(["send", "metrics", "--url", &server.url()]);
    assert_eq!(run(cmd).code, 0, "OTLP endpoints take no license");
}

#[test]
fn verbose_shows_headers_with_secrets_redacted() {
    let setup = setup();
    let server =
        TestServer::start(|_, r| documented(r).header("set-cookie", "session=lic-CANARY-cookie"));
    let out = send_human(&setup, &["verify", "-v", "--url", &server.url()]);
    assert_eq!(out.code, 0);
    assert!(
        out.stderr
            .contains("request: Content-Type: application/json")
    );
    assert!(out.stderr.contains("response: HTTP/1.1 200 OK"));
    assert!(
        out.stderr
            .contains("response: set-cookie: <redacted sha256:")
    );
}

#[test]
fn a_huge_response_is_cut_and_said() {
    let setup = setup();
    let big = "x".repeat(20 * 1024 * 1024);
    let server = TestServer::start(move |_, _| Reply::json(200, &big));
    let (out, report) = send(&setup, &["metrics", "--url", &server.url()], &[]);
    assert_eq!(out.code, 3, "20 MiB of `x` is no OTLP answer");
    let response = report.response.unwrap();
    assert!(response.truncated);
    assert_eq!(response.body.len(), 16 * 1024 * 1024);
}

#[test]
fn redirects_are_reported_not_followed() {
    let setup = setup();
    let server = TestServer::start(|_, _| {
        Reply::status(302).header("location", "http://127.0.0.1:9/elsewhere")
    });
    let (out, report) = send(&setup, &["verify", "--url", &server.url()], &[]);
    assert_eq!(out.code, 8, "a redirect has its own exit code");
    assert_eq!(report.response.unwrap().status, 302);
    assert!(
        out.stderr.contains("does not follow redirects")
            && out.stderr.contains("`http://127.0.0.1:9/elsewhere`"),
        "says where it points: {}",
        out.stderr
    );
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn bad_timeouts_and_retries_are_usage_errors() {
    let setup = setup();
    for args in [
        ["--timeout", "0"],
        ["--timeout", "soon"],
        ["--connect-timeout", "-1"],
        ["--retries", "99"],
    ] {
        let mut cmd = beacon(setup.dir.path());
        cmd.args(["send", "verify"]).args(args);
        assert_eq!(run(cmd).code, 2, "{args:?}");
    }
}

#[test]
fn invented_usage_for_langchains_beacon_needs_yes() {
    let setup = setup();
    let door = Doorman::start();
    let proxy = door.url();
    // A script without --yes: refused before any traffic, sample or synthetic.
    for args in [
        &["ingest-traces"][..],
        &["usage-snapshot", "--synthetic"],
        &["ingest-traces", "--url", "https://eu.beacon.langchain.com"],
    ] {
        let out = send_human(&setup, &[args, &["--proxy", &proxy]].concat());
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr
                .contains("without --yes: it would be recorded as real usage"),
            "{}",
            out.stderr
        );
        assert!(door.seen().is_empty(), "{args:?}: nothing may leave");
    }
    // With --yes it goes: the proxy sees the tunnel asked for, and refuses it.
    let out = send_human(
        &setup,
        &[
            "ingest-traces",
            "--yes",
            "--proxy",
            &proxy,
            "--retries",
            "0",
        ],
    );
    assert_eq!(out.code, 6, "{}", out.stderr);
    assert_eq!(door.seen(), ["CONNECT beacon.langchain.com:443 HTTP/1.1"]);
    // Your own body needs no --yes; neither does verify, nor another host.
    let body = setup.dir.path().join("own.json");
    std::fs::write(
        &body,
        r#"{"license": "<YOUR_LICENSE_KEY>", "trace_transactions": []}"#,
    )
    .unwrap();
    let out = send_human(
        &setup,
        &[
            "ingest-traces",
            "--payload",
            body.to_str().unwrap(),
            "--proxy",
            &proxy,
            "--retries",
            "0",
        ],
    );
    assert_eq!(out.code, 6, "{}", out.stderr);
    assert_eq!(door.seen().len(), 2);
    let server = TestServer::start(|_, r| documented(r));
    let out = send_human(&setup, &["usage-snapshot", "--url", &server.url()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

/// `send` run in a pseudo-terminal (util-linux `script`), its keyboard fed `typed`.
fn send_in_terminal(setup: &Setup, args: &[&str], typed: &str) -> String {
    use std::io::Write;
    let bin = assert_cmd::cargo::cargo_bin("beacon-cli");
    let command = format!(
        "exec {} send --license-file {} {}",
        bin.display(),
        setup.license,
        args.join(" ")
    );
    let mut child = std::process::Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .current_dir(setup.dir.path())
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script runs");
    // Typed once the question is on the screen.
    std::thread::sleep(Duration::from_millis(500));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(typed.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n")
}

#[test]
fn on_a_terminal_invented_usage_is_asked_about() {
    let setup = setup();
    let door = Doorman::start();
    let proxy = door.url();
    let args = ["ingest-traces", "--proxy", &proxy, "--retries", "0"];
    let screen = send_in_terminal(&setup, &args, "n\n");
    assert!(
        screen.contains("recorded as real usage under your license? [y/N]"),
        "{screen}"
    );
    assert!(
        screen.contains("error: not sent: you answered no"),
        "{screen}"
    );
    assert!(door.seen().is_empty());
    let screen = send_in_terminal(&setup, &args, "y\n");
    assert!(screen.contains("[y/N]"), "{screen}");
    assert_eq!(
        door.seen(),
        ["CONNECT beacon.langchain.com:443 HTTP/1.1"],
        "{screen}"
    );
}

#[test]
fn on_a_terminal_each_attempt_shows_as_it_happens() {
    let setup = setup();
    let server = TestServer::start(|n, r| {
        if n < 2 {
            Reply::status(503).header("retry-after", "1")
        } else {
            documented(r)
        }
    });
    let url = server.url();
    let screen = send_in_terminal(&setup, &["verify", "--url", &url], "");
    for shown in [
        "attempt 1 got HTTP 503; next in 1.0 s",
        "attempt 2 got HTTP 503; next in 1.0 s",
        "/v1/beacon/verify: attempt 3 of 3",
    ] {
        assert!(screen.contains(shown), "{shown}: {screen}");
    }
    // The line is cleared before the report, which starts on a clean line.
    assert!(
        screen.contains("\r\u{1b}[KPOST http://127.0.0.1:"),
        "{screen}"
    );
    // Not with -q, and never when standard error is not a terminal.
    let quiet = send_in_terminal(&setup, &["verify", "-q", "--url", &url], "");
    assert!(!quiet.contains("next in"), "{quiet}");
    let piped = send_human(&setup, &["verify", "--url", &url]);
    assert!(!piped.stderr.contains("next in") && !piped.stderr.contains('\u{1b}'));
}
