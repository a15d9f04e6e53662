//! Every input is read through one bounded reader, and values are read only by
//! the commands that use them (issue 8): devices, FIFOs and standard input cannot
//! make beacon-cli read without end, and a broken `./langsmith_config.yaml` breaks
//! only the commands that need values.

use crate::common;

use std::path::Path;

use common::{Run, beacon, beacon_capped, fixture, run};

/// Enough address space for beacon-cli to run, far too little to hold an input
/// read to the end of `/dev/zero`.
const CAP_KIB: u64 = 1_500_000;

fn capped(dir: &Path, args: &[&str]) -> Run {
    let mut cmd = beacon_capped(dir, CAP_KIB);
    cmd.args(args);
    run(cmd)
}

/// Exit 2, nothing on standard output, and a first line `error: ...` holding `needle`.
fn assert_input_error(out: &Run, what: &str, needle: &str) {
    assert_eq!(out.code, 2, "{what}: {}", out.stderr);
    let first = out.stderr.lines().next().unwrap_or_default();
    assert!(first.starts_with("error: "), "{what}: {}", out.stderr);
    assert!(first.contains(needle), "{what}: {}", out.stderr);
    assert!(out.stdout.is_empty(), "{what} printed output");
}

fn assert_refused(out: &Run, what: &str, limit: &str) {
    assert_input_error(out, what, &format!("larger than the {limit} limit"));
}

#[test]
fn devices_are_read_no_further_than_their_limit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_refused(
        &capped(d, &["show-config", "-f", "/dev/zero"]),
        "values file",
        "64 MiB",
    );
    assert_refused(
        &capped(d, &["dry-run", "verify", "--license-file", "/dev/zero"]),
        "license file",
        "64 KiB",
    );
    assert_refused(
        &capped(d, &["dry-run", "verify", "--payload", "/dev/zero"]),
        "payload",
        "256 MiB",
    );
    assert_refused(
        &capped(
            d,
            &[
                "send",
                "verify",
                "--cacert",
                "/dev/zero",
                "--url",
                "http://127.0.0.1:9",
            ],
        ),
        "CA bundle",
        "16 MiB",
    );
    let mut cmd = beacon_capped(d, CAP_KIB);
    cmd.args(["send", "metrics", "--url", "http://127.0.0.1:9"])
        .env("SSL_CERT_FILE", "/dev/zero");
    let out = run(cmd);
    assert_refused(&out, "$SSL_CERT_FILE", "16 MiB");
    assert!(out.stderr.contains("$SSL_CERT_FILE"), "{}", out.stderr);
}

#[test]
fn standard_input_is_bounded_too() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = beacon_capped(dir.path(), CAP_KIB);
    cmd.args(["dry-run", "verify", "--license-file", "-"])
        .write_stdin(vec![b'x'; 70 * 1024]);
    assert_refused(&run(cmd), "license on stdin", "64 KiB");
}

#[test]
fn standard_input_cannot_be_named_twice() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["dry-run", "verify", "-f", "-", "--payload", "-"][..],
        &["validate", "traces", "-", "-f", "-"][..],
    ] {
        let mut cmd = beacon(dir.path());
        cmd.args(args).write_stdin("{}");
        let out = run(cmd);
        assert_input_error(&out, &format!("{args:?}"), "standard input is named twice");
    }
}

#[test]
fn a_broken_values_file_breaks_only_the_commands_that_read_values() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("langsmith_config.yaml"), "config: [broken\n").unwrap();
    let body = d.join("body.json");
    std::fs::copy(fixture("otlp-examples/trace.json"), &body).unwrap();

    let mut cmd = beacon(d);
    cmd.args(["validate", "traces", body.to_str().unwrap()]);
    let out = run(cmd);
    assert_eq!(out.code, 0, "validate does not read values: {}", out.stderr);

    let mut cmd = beacon(d);
    cmd.args(["payloads", "traces"]);
    let out = run(cmd);
    assert_eq!(
        out.code, 0,
        "payloads reads only named values: {}",
        out.stderr
    );

    for args in [&["show-config"][..], &["dry-run", "verify"][..]] {
        let mut cmd = beacon(d);
        cmd.args(args);
        let out = run(cmd);
        assert_input_error(
            &out,
            &format!("{args:?} reads the values"),
            "`langsmith_config.yaml`:2:1: invalid YAML",
        );
    }

    // Named on the command line, values are read by validate too: for the license.
    let mut cmd = beacon(d);
    cmd.args([
        "validate",
        "traces",
        body.to_str().unwrap(),
        "-f",
        "langsmith_config.yaml",
    ]);
    assert_eq!(run(cmd).code, 2);
}

#[test]
fn an_empty_variable_counts_as_unset() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = beacon(dir.path());
    cmd.args(["dry-run", "verify", "-o", "json"])
        .env("BEACON_URL", "")
        .env("LANGSMITH_LICENSE_KEY", "  ")
        .env("LANGSMITH_CONFIG", "");
    let out = run(cmd);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let view: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(view["url"], "https://beacon.langchain.com/v1/beacon/verify");
    assert!(
        out.stderr.contains("no license key"),
        "a blank license is no license: {}",
        out.stderr
    );
}
