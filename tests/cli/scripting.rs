//! What a script relies on: the exit status says what happened whether or not
//! standard output was read to the end, every non-zero exit names its reason on
//! standard error, `-q` leaves only that reason, `-v` says where each setting
//! came from, and each flag means one thing.

use crate::common;

use std::process::Stdio;

use common::{Run, beacon, fixture, run};

/// beacon-cli run in `dir` with these arguments.
fn cli(dir: &std::path::Path, args: &[&str]) -> Run {
    let mut cmd = beacon(dir);
    cmd.args(args);
    run(cmd)
}
use serde_json::Value;

/// A published sample with its defects: `validate` exits 3 on it.
fn invalid_ingest_body(dir: &std::path::Path) -> std::path::PathBuf {
    let out = cli(dir, &["payloads", "ingest-traces"]);
    assert_eq!(out.code, 0);
    let mut body: Value = serde_json::from_str(&out.stdout).unwrap();
    // Many findings, so the report is long: an invalid id in every transaction.
    let one = body["trace_transactions"][0].clone();
    let list: Vec<Value> = (0..2000)
        .map(|_| {
            let mut t = one.clone();
            t["id"] = Value::String("not-a-uuid".into());
            t
        })
        .collect();
    body["trace_transactions"] = Value::Array(list);
    let path = dir.join("big.json");
    std::fs::write(&path, serde_json::to_vec(&body).unwrap()).unwrap();
    path
}

#[test]
fn a_closed_pipe_keeps_the_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let body = invalid_ingest_body(dir.path());
    let body = body.to_str().unwrap();
    let read_all = cli(dir.path(), &["validate", "ingest-traces", body]);
    assert_eq!(read_all.code, 3, "{}", read_all.stderr);
    assert!(read_all.stdout.len() > 100_000, "the report is long");

    // The same run, its standard output closed before it writes a byte (as
    // `| head -0` would): the status is the same, the reason still on stderr.
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("beacon-cli"));
    cmd.current_dir(dir.path())
        .args(["validate", "ingest-traces", body])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("fails validation"), "{stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
}

#[test]
fn every_findings_exit_names_its_reason_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 4] = [
        (
            &["show-config", "--strict", "-f", "@values/misspelt.yaml"],
            "error: --strict: ",
        ),
        (
            &["show-config", "--set", "config.telemetry.metrics=maybe"],
            "error: Helm would refuse these values: ",
        ),
        (
            &[
                "dry-run",
                "metrics",
                "--strict",
                "--set",
                "config.telemetry.metrics=false",
            ],
            "error: LangSmith would not send this: the values turn `metrics` off",
        ),
        (
            &["validate", "traces", "@samples/traces.request.json"],
            "error: ",
        ),
    ];
    for (args, reason) in cases {
        let paths: Vec<String> = args
            .iter()
            .map(|a| match a.strip_prefix('@') {
                Some(rel) => fixture(rel).to_str().unwrap().to_string(),
                None => a.to_string(),
            })
            .chain(["-q".to_string()])
            .collect();
        let args: Vec<&str> = paths.iter().map(String::as_str).collect();
        let quiet = cli(dir.path(), &args);
        assert_eq!(quiet.code, 3, "{args:?}: {}", quiet.stderr);
        let lines: Vec<&str> = quiet.stderr.lines().collect();
        assert!(
            lines.first().is_some_and(|l| l.starts_with(reason)),
            "{args:?}: -q leaves the reason first: {}",
            quiet.stderr
        );
        assert!(
            lines
                .iter()
                .all(|l| !l.starts_with("warning:") && !l.starts_with("note:")),
            "{args:?}: -q drops warnings and notes: {}",
            quiet.stderr
        );
    }
}

#[test]
fn quiet_drops_the_notes_and_verbose_says_where_settings_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let normal = cli(dir.path(), &["dry-run", "metrics"]);
    assert_eq!(normal.code, 0);
    assert!(
        normal
            .stderr
            .lines()
            .filter(|l| l.starts_with("warning:"))
            .count()
            >= 5
    );
    let quiet = cli(dir.path(), &["dry-run", "metrics", "--quiet"]);
    assert_eq!((quiet.code, quiet.stderr.as_str()), (0, ""));
    assert_eq!(
        quiet.stdout, normal.stdout,
        "-q changes standard error only"
    );

    let license = dir.path().join("license.txt");
    std::fs::write(&license, "lic-CANARY-1\n").unwrap();
    let verbose = cli(
        dir.path(),
        &[
            "dry-run",
            "verify",
            "-v",
            "--license-file",
            license.to_str().unwrap(),
            "--url",
            "https://beacon.example.com",
        ],
    );
    assert_eq!(verbose.code, 0, "{}", verbose.stderr);
    for line in [
        "values: the chart's defaults",
        "beacon: https://beacon.example.com/ (from `--url`)",
        "license: <redacted sha256:",
    ] {
        assert!(
            verbose.stderr.contains(line),
            "-v lacks {line}: {}",
            verbose.stderr
        );
    }
}

#[test]
fn one_meaning_per_flag() {
    let dir = tempfile::tempdir().unwrap();
    // dry-run's -o is the request's form, json and yaml included.
    let json = cli(dir.path(), &["dry-run", "verify", "-o", "json"]);
    let view: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(view["method"], "POST");
    let yaml = cli(dir.path(), &["dry-run", "verify", "-o", "yaml"]);
    let from_yaml: Value = serde_yaml::from_str(&yaml.stdout).unwrap();
    assert_eq!(from_yaml, view);
    // The old name still works, and giving both is an error, not a silent choice.
    let old = cli(dir.path(), &["dry-run", "verify", "--format", "json"]);
    assert_eq!(old.stdout, json.stdout);
    let both = cli(
        dir.path(),
        &["dry-run", "verify", "--format", "curl", "-o", "json"],
    );
    assert_eq!(both.code, 2);
    // validate's encoding is --input-format; its -o is the report's form.
    let body = fixture("otlp-examples/trace.json");
    let report = cli(
        dir.path(),
        &[
            "validate",
            "traces",
            "--input-format",
            "json",
            "-o",
            "json",
            body.to_str().unwrap(),
        ],
    );
    let report: Value = serde_json::from_str(&report.stdout).unwrap();
    assert_eq!(report["encoding"], "json");
    // Options live on the commands that use them.
    for args in [
        &["completions", "bash", "-o", "json"][..],
        &["man", "--set", "a=b"],
        &["completions", "zsh", "--color", "never"],
    ] {
        let out = cli(dir.path(), args);
        assert_eq!(out.code, 2, "{args:?}");
        assert!(
            out.stderr.starts_with("error: unexpected argument"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn color_never_reaches_clap_errors() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["show-config", "--bogus", "--color", "always"][..],
        &["show-config", "--color=always", "--bogus"],
    ] {
        let out = cli(dir.path(), args);
        assert_eq!(out.code, 2);
        assert!(
            out.stderr.contains('\u{1b}'),
            "--color always colours clap's error"
        );
    }
    let out = cli(dir.path(), &["show-config", "--bogus", "--color", "never"]);
    assert_eq!(out.code, 2);
    assert!(!out.stderr.contains('\u{1b}'), "{}", out.stderr);
}
