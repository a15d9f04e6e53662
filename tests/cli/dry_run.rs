//! `dry-run`: the exact request, the license from file, environment or values,
//! redaction, URL precedence, gzip, and a curl command that really sends the same
//! bytes to a real local server.

use crate::common;

use std::path::Path;

use common::server::{Reply, TestServer};
use common::{Run, beacon, fixture, run, ungzip};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestView {
    method: String,
    url: String,
    headers: serde_json::Map<String, serde_json::Value>,
    body: String,
    gzip: bool,
}

impl RequestView {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.as_str())
    }
}

fn dry(dir: &Path, args: &[&str]) -> Run {
    let mut cmd = beacon(dir);
    cmd.arg("dry-run").args(args);
    run(cmd)
}

fn dry_json(dir: &Path, args: &[&str]) -> (Run, RequestView) {
    let mut all = vec!["-o", "json"];
    all.extend_from_slice(args);
    let out = dry(dir, &all);
    assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
    let view = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    (out, view)
}

fn sample(name: &str) -> String {
    std::fs::read_to_string(fixture(&format!("samples/{name}"))).unwrap()
}

/// Splits HTTP text into request line, headers and body.
fn parse_http(text: &str) -> (String, Vec<(String, String)>, String) {
    let (head, body) = text
        .split_once("\n\n")
        .expect("blank line between headers and body");
    let mut lines = head.lines();
    let request_line = lines.next().unwrap().to_string();
    let headers = lines
        .map(|l| {
            let (k, v) = l.split_once(": ").expect("Name: value");
            (k.to_string(), v.to_string())
        })
        .collect();
    (request_line, headers, body.to_string())
}

#[test]
fn on_a_fresh_machine_it_shows_the_sample_with_the_placeholder_and_says_how_to_give_a_license() {
    let dir = tempfile::tempdir().unwrap();
    let out = dry(dir.path(), &["ingest-traces"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (line, headers, body) = parse_http(&out.stdout);
    assert_eq!(
        line,
        "POST https://beacon.langchain.com/v1/beacon/ingest-traces HTTP/1.1"
    );
    let names: Vec<_> = headers.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "Host",
            "Content-Type",
            "Content-Length",
            "User-Agent",
            "Accept"
        ]
    );
    assert_eq!(headers[0].1, "beacon.langchain.com");
    assert_eq!(headers[1].1, "application/json");
    assert_eq!(headers[2].1, body.len().to_string());
    assert!(headers[3].1.starts_with("beacon-cli/"));
    assert_eq!(body, sample("ingest-traces.request.json"));
    assert!(out.stderr.contains(
        "no license key: the body keeps the documented placeholder `<YOUR_LICENSE_KEY>`"
    ));
    for way in [
        "--license-file",
        "$LANGSMITH_LICENSE_KEY",
        "config.langsmithLicenseKey",
    ] {
        assert!(
            out.stderr.contains(way),
            "the hint names {way}: {}",
            out.stderr
        );
    }
}

#[test]
fn the_license_is_redacted_unless_revealed_and_content_length_is_the_real_bodys() {
    let dir = tempfile::tempdir().unwrap();
    let key = "lic-REVEAL-0123456789";
    let file = dir.path().join("license.txt");
    std::fs::write(&file, format!("{key}\n")).unwrap();
    let expected = sample("verify.request.json").replace("<YOUR_LICENSE_KEY>", key);

    let out = dry(
        dir.path(),
        &["verify", "--license-file", file.to_str().unwrap()],
    );
    assert!(!out.stdout.contains(key), "redacted by default");
    let (_, headers, body) = parse_http(&out.stdout);
    assert!(body.contains("\"license\": \"<redacted sha256:"), "{body}");
    assert_eq!(
        headers[2].1,
        expected.len().to_string(),
        "Content-Length of the real body"
    );
    assert!(out.stderr.is_empty(), "{}", out.stderr);

    let out = dry(
        dir.path(),
        &[
            "verify",
            "--license-file",
            file.to_str().unwrap(),
            "--reveal-secrets",
        ],
    );
    let (_, _, body) = parse_http(&out.stdout);
    assert_eq!(body, expected, "trailing newline trimmed, key in place");
}

#[test]
fn license_precedence_is_file_then_environment_then_values() {
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("values.yaml");
    std::fs::write(
        &values,
        "config:\n  langsmithLicenseKey: lic-REVEAL-values\n",
    )
    .unwrap();
    let file = dir.path().join("license.txt");
    std::fs::write(&file, "lic-REVEAL-file").unwrap();
    let base = ["verify", "--reveal-secrets", "-f", values.to_str().unwrap()];

    let (_, only_values) = dry_json(dir.path(), &base);
    assert!(only_values.body.contains("lic-REVEAL-values"));

    let mut cmd = beacon(dir.path());
    cmd.args(["dry-run", "-o", "json"])
        .args(base)
        .env("LANGSMITH_LICENSE_KEY", "lic-REVEAL-env");
    let env: RequestView = serde_json::from_str(&run(cmd).stdout).unwrap();
    assert!(env.body.contains("lic-REVEAL-env"));

    let mut cmd = beacon(dir.path());
    cmd.args([
        "dry-run",
        "-o",
        "json",
        "--license-file",
        file.to_str().unwrap(),
    ])
    .args(base)
    .env("LANGSMITH_LICENSE_KEY", "lic-REVEAL-env");
    let from_file: RequestView = serde_json::from_str(&run(cmd).stdout).unwrap();
    assert!(from_file.body.contains("lic-REVEAL-file"));
}

#[test]
fn usage_snapshot_carries_the_license_as_license_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("license.txt");
    std::fs::write(&file, "lic-REVEAL-usage").unwrap();
    let (_, view) = dry_json(
        dir.path(),
        &[
            "usage-snapshot",
            "--reveal-secrets",
            "--license-file",
            file.to_str().unwrap(),
        ],
    );
    let body: serde_json::Value = serde_json::from_str(&view.body).unwrap();
    assert_eq!(body["license_key"], "lic-REVEAL-usage");
    assert!(body.get("license").is_none());
}

#[test]
fn a_secret_held_license_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let out = dry(
        dir.path(),
        &[
            "verify",
            "-f",
            fixture("values/existing-secret.yaml").to_str().unwrap(),
        ],
    );
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.contains("<YOUR_LICENSE_KEY>"),
        "the Secret's key cannot be read"
    );
    assert!(
        out.stderr.contains("Kubernetes Secret `langsmith-config`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("kubectl get secret langsmith-config"));
}

#[test]
fn otlp_endpoints_take_no_license_and_name_the_samples_defects() {
    let dir = tempfile::tempdir().unwrap();
    let out = dry(dir.path(), &["traces"]);
    assert_eq!(out.code, 0);
    assert!(!out.stderr.contains("license"), "{}", out.stderr);
    assert!(out.stderr.contains("warning: published traces sample:"));
    let (_, _, body) = parse_http(&out.stdout);
    assert_eq!(body, sample("traces.request.json"));
    let out = dry(dir.path(), &["traces", "--synthetic"]);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

#[test]
fn url_precedence_is_flag_then_environment_then_commonenv_then_default() {
    let dir = tempfile::tempdir().unwrap();
    let proxy = fixture("values/proxy.yaml");
    let values = ["-f", proxy.to_str().unwrap()];

    let (_, commonenv) = dry_json(dir.path(), &[&["verify"], &values[..]].concat());
    assert_eq!(
        commonenv.url,
        "https://dev.beacon.langchain.com/v1/beacon/verify"
    );

    let mut cmd = beacon(dir.path());
    cmd.args(["dry-run", "verify", "-o", "json"])
        .args(values)
        .env("BEACON_URL", "https://eu.beacon.langchain.com");
    let env: RequestView = serde_json::from_str(&run(cmd).stdout).unwrap();
    assert_eq!(env.url, "https://eu.beacon.langchain.com/v1/beacon/verify");
    assert_eq!(env.header("Host"), Some("eu.beacon.langchain.com"));

    let mut cmd = beacon(dir.path());
    cmd.args([
        "dry-run",
        "verify",
        "-o",
        "json",
        "--url",
        "http://127.0.0.1:8080/",
    ])
    .args(values)
    .env("BEACON_URL", "https://eu.beacon.langchain.com");
    let flag: RequestView = serde_json::from_str(&run(cmd).stdout).unwrap();
    assert_eq!(flag.url, "http://127.0.0.1:8080/v1/beacon/verify");
    assert_eq!(flag.header("Host"), Some("127.0.0.1:8080"));

    let (_, default) = dry_json(dir.path(), &["verify"]);
    assert_eq!(default.url, "https://beacon.langchain.com/v1/beacon/verify");
}

#[test]
fn a_url_with_a_path_is_joined_and_said_and_one_without_scheme_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (out, view) = dry_json(
        dir.path(),
        &["verify", "--url", "https://gateway.corp.example/beacon/"],
    );
    assert_eq!(
        view.url,
        "https://gateway.corp.example/beacon/v1/beacon/verify"
    );
    assert!(
        out.stderr
            .contains("has the path `/beacon/`: the endpoint path is appended"),
        "{}",
        out.stderr
    );

    let out = dry(dir.path(), &["verify", "--url", "beacon.langchain.com"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.starts_with(
            "error: the Beacon URL from `--url`, `beacon.langchain.com`, is not a URL"
        )
    );
    assert!(
        out.stderr
            .contains("hint: add the scheme: `https://beacon.langchain.com`")
    );
    for bad in [
        "ftp://x.example",
        "https://x.example/?a=1",
        "https://user:pw@x.example",
    ] {
        assert_eq!(dry(dir.path(), &["verify", "--url", bad]).code, 2, "{bad}");
    }
}

#[test]
fn a_payload_file_is_sent_as_written_and_bad_json_is_refused_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.json");
    let text = "{\"license\":\"<YOUR_LICENSE_KEY>\",   \"extra\": [1,2]}";
    std::fs::write(&good, text).unwrap();
    let (_, view) = dry_json(dir.path(), &["verify", "--payload", good.to_str().unwrap()]);
    assert_eq!(view.body, text, "byte for byte");
    assert_eq!(
        view.header("Content-Length"),
        Some(&*text.len().to_string())
    );

    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        "{\n  \"license\": \"lic-CANARY-in-payload\",\n  oops\n}",
    )
    .unwrap();
    let out = dry(dir.path(), &["verify", "--payload", bad.to_str().unwrap()]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.starts_with("error: payload `"), "{}", out.stderr);
    assert!(
        out.stderr.contains("bad.json`:3:3: not JSON"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());

    let missing = dry(dir.path(), &["verify", "--payload", "nope.json"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .contains("cannot read payload `nope.json`: no such file")
    );

    let mut cmd = beacon(dir.path());
    cmd.args(["dry-run", "metrics", "-o", "json", "--payload", "-"])
        .write_stdin("{\"resourceMetrics\": []}");
    let view: RequestView = serde_json::from_str(&run(cmd).stdout).unwrap();
    assert_eq!(view.body, "{\"resourceMetrics\": []}");
}

#[test]
fn bad_license_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "\n").unwrap();
    let out = dry(
        dir.path(),
        &["verify", "--license-file", empty.to_str().unwrap()],
    );
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("is empty"));
    let out = dry(dir.path(), &["verify", "--license-file", "missing.txt"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("cannot read license file `missing.txt`")
    );
}

#[test]
fn gzip_sets_the_header_and_the_compressed_length() {
    let dir = tempfile::tempdir().unwrap();
    let (out, view) = dry_json(
        dir.path(),
        &["metrics", "--synthetic", "--seed", "9", "--gzip"],
    );
    assert!(view.gzip);
    assert_eq!(view.header("Content-Encoding"), Some("gzip"));
    let length: usize = view.header("Content-Length").unwrap().parse().unwrap();
    assert!(
        length < view.body.len(),
        "compressed: {length} < {}",
        view.body.len()
    );
    assert!(out.stderr.is_empty());
    let http = dry(
        dir.path(),
        &["metrics", "--synthetic", "--seed", "9", "--gzip"],
    );
    assert!(
        http.stderr.contains("shown uncompressed"),
        "{}",
        http.stderr
    );
}

#[test]
fn an_endpoint_the_values_turn_off_is_flagged_and_strict_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let all_off = fixture("values/all-off.yaml");
    let out = dry(dir.path(), &["metrics", "-f", all_off.to_str().unwrap()]);
    assert_eq!(out.code, 0);
    assert!(
        out.stderr.contains("LangSmith would not send this"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("all-off.yaml:6"), "{}", out.stderr);
    let strict = dry(
        dir.path(),
        &["metrics", "--strict", "-f", all_off.to_str().unwrap()],
    );
    assert_eq!(strict.code, 3);
    let on = dry(
        dir.path(),
        &["verify", "--strict", "-f", all_off.to_str().unwrap()],
    );
    assert_eq!(on.code, 0);
}

#[test]
fn output_json_is_the_same_as_format_json() {
    let dir = tempfile::tempdir().unwrap();
    let a = dry(dir.path(), &["verify", "-o", "json"]).stdout;
    let b = dry(dir.path(), &["verify", "-o", "json"]).stdout;
    assert_eq!(a, b);
    let view: RequestView = serde_json::from_str(&a).unwrap();
    assert_eq!(view.method, "POST");
}

#[test]
fn the_curl_command_sends_the_same_bytes_and_keeps_the_license_out_of_itself() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(|_, _| Reply::json(200, "{\"token\": \"t\"}"));
    let key = "lic-REVEAL-it's-$HOME-`x`";
    let file = dir.path().join("license.txt");
    std::fs::write(&file, key).unwrap();
    let url = server.url();
    for gzip in [false, true] {
        let mut args = vec![
            "ingest-traces",
            "--url",
            &url,
            "--license-file",
            file.to_str().unwrap(),
        ];
        if gzip {
            args.push("--gzip");
        }
        let command = dry(dir.path(), &[&args[..], &["-o", "curl"]].concat()).stdout;
        assert!(
            !command.contains("lic-REVEAL"),
            "the license is never inlined: {command}"
        );
        assert!(command.contains("${LANGSMITH_LICENSE_KEY"));
        // Neither the body nor the license is an argument of curl (visible in
        // `ps`): they come from printf, a shell builtin, on curl's standard input.
        let curl = &command[command.find("curl ").unwrap()..];
        assert!(
            !curl.contains("LANGSMITH_LICENSE_KEY") && !curl.contains("trace_transactions"),
            "{curl}"
        );
        assert!(curl.trim_end().ends_with("--data-binary @-"), "{curl}");
        let revealed = dry_json(dir.path(), &[&args[..], &["--reveal-secrets"]].concat()).1;

        let before = server.requests().len();
        // POSIX sh (dash on Debian) as well as bash.
        let shell = if gzip { "sh" } else { "bash" };
        let status = std::process::Command::new(shell)
            .arg("-c")
            .arg(&command)
            .env("LANGSMITH_LICENSE_KEY", key)
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
        let received = &server.requests()[before];
        assert_eq!(received.path, "/v1/beacon/ingest-traces");
        let body = if gzip {
            assert_eq!(received.header("content-encoding"), Some("gzip"));
            ungzip(&received.body)
        } else {
            String::from_utf8(received.body.clone()).unwrap()
        };
        assert_eq!(body, revealed.body, "gzip={gzip}");
        assert_eq!(received.header("user-agent"), revealed.header("User-Agent"));
    }
}

#[test]
fn a_license_that_json_escapes_is_hidden_in_every_form() {
    // The body carries the key JSON-escaped (`\"`, `\\`, `\t`): hiding only the
    // raw key printed it in clear (issue 8).
    let dir = tempfile::tempdir().unwrap();
    let key = "lic-ESCAPED-\"quote\\back\tslash/é";
    let file = dir.path().join("license.txt");
    std::fs::write(&file, key).unwrap();
    let lic = file.to_str().unwrap();
    for id in ["verify", "ingest-traces", "usage-snapshot"] {
        for format in ["http", "json", "curl"] {
            let out = dry(dir.path(), &[id, "--license-file", lic, "-o", format]);
            assert_eq!(out.code, 0, "{id} {format}: {}", out.stderr);
            for shown in [out.stdout.as_str(), out.stderr.as_str()] {
                assert!(!shown.contains("quote"), "{id} {format} leaked:\n{shown}");
            }
        }
        let out = dry(dir.path(), &[id, "--license-file", lic, "-o", "yaml"]);
        assert!(
            !out.stdout.contains("quote"),
            "{id} yaml leaked:\n{}",
            out.stdout
        );
    }
    // Asked for, the body holds the key as JSON writes it.
    let (_, view) = dry_json(
        dir.path(),
        &["verify", "--license-file", lic, "--reveal-secrets"],
    );
    let body: serde_json::Value = serde_json::from_str(&view.body).unwrap();
    assert_eq!(body["license"], key);
}
