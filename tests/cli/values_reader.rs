//! The values reader end to end: what `show-config` says about the files themselves
//! (several documents, empty values, manifests, `<<` below a key, byte-order marks and
//! tabs), empty standard input, and inputs built to exhaust time or memory.

use crate::common;

use common::{Report, beacon, beacon_capped, run};

/// `show-config -o json` on `text` written to `values.yaml`, with the exit code.
fn show_text(text: &[u8]) -> (common::Run, Option<Report>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("values.yaml"), text).unwrap();
    let mut cmd = beacon(dir.path());
    cmd.args(["show-config", "-f", "values.yaml", "-o", "json"]);
    let out = run(cmd);
    let report = (out.code == 0).then(|| serde_json::from_str(&out.stdout).unwrap());
    (out, report)
}

fn report(text: &str) -> Report {
    let (out, report) = show_text(text.as_bytes());
    report.unwrap_or_else(|| panic!("exit {}: {}", out.code, out.stderr))
}

#[test]
fn several_documents_are_merged_and_reported() {
    let report = report(
        "config:\n  telemetry:\n    metrics: false\n---\n# nothing\n---\nconfig:\n  telemetry:\n    traces: false\n",
    );
    assert!(!report.endpoint("metrics").enabled);
    let traces = report.endpoint("traces");
    assert!(!traces.enabled);
    assert_eq!(traces.decided_by.line, Some(9));
    let warning = report.warning("several-documents");
    assert!(
        warning.message.contains("2 YAML documents"),
        "{}",
        warning.message
    );
    assert!(warning.file.as_deref().unwrap().ends_with("values.yaml"));
}

#[test]
fn a_file_without_values_gets_a_warning() {
    for text in ["", "# only a comment\n", "null\n", "---\n---\n"] {
        let report = report(text);
        assert!(report.codes().contains(&"empty-values"), "{text:?}");
        assert!(report.endpoints.iter().all(|e| e.enabled));
    }
    let report = report("{}\n");
    assert!(
        !report.codes().contains(&"empty-values"),
        "`{{}}` says no values on purpose"
    );
}

#[test]
fn empty_standard_input_is_an_error() {
    for stdin in ["", "\n  \n"] {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = beacon(dir.path());
        cmd.args(["show-config", "-f", "-"]).write_stdin(stdin);
        let out = run(cmd);
        assert_eq!(out.code, 2, "{stdin:?}: {}", out.stderr);
        assert!(out.stdout.is_empty());
        assert!(
            out.stderr
                .starts_with("error: standard input (`-f -`) is empty"),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("hint: ") && out.stderr.contains("helm get values"));
    }
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = beacon(dir.path());
    cmd.args(["show-config", "-f", "-", "-o", "json"])
        .write_stdin("# no values\n");
    let out = run(cmd);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report: Report = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        report.warning("empty-values").file.as_deref(),
        Some("<stdin>")
    );
}

#[test]
fn manifests_given_as_values_are_named() {
    let report = report("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: backend\n");
    let warning = report.warning("manifest-as-values");
    assert_eq!(warning.line, Some(2), "points at `kind`");
    assert!(warning.hint.contains("--manifests FILE"));
    let report = report_list();
    assert_eq!(report.warning("manifest-as-values").line, Some(2));
    let plain = report_plain();
    assert!(!plain.codes().contains(&"manifest-as-values"));
}

fn report_list() -> Report {
    report("items: []\nkind: List\n")
}

fn report_plain() -> Report {
    report("kind: not-a-manifest\nconfig: {}\n")
}

#[test]
fn a_merge_key_below_a_key_replaces_it_as_in_helm() {
    let report = report(
        "x-on: &on\n  metrics: true\nconfig:\n  telemetry:\n    metrics: false\n    <<: *on\n",
    );
    let metrics = report.endpoint("metrics");
    assert!(
        metrics.enabled,
        "Helm applies the later `<<`: metrics stays on"
    );
    assert_eq!(metrics.decided_by.line, Some(6));
    let warning = report.warning("merge-overrides-key");
    assert_eq!(warning.line, Some(6));
    assert!(warning.message.contains("line 5"), "{}", warning.message);
}

#[test]
fn a_bom_and_crlf_are_read_as_helm_reads_them() {
    let report = report("\u{feff}config:\r\n  telemetry:\r\n    metrics: false\r\n");
    let metrics = report.endpoint("metrics");
    assert!(!metrics.enabled);
    assert_eq!(metrics.decided_by.line, Some(3));
    assert!(
        !report.codes().contains(&"misspelt-key"),
        "the mark is not part of the key"
    );
}

#[test]
fn tabs_are_read_where_helm_reads_them_and_refused_with_a_hint_elsewhere() {
    let report = report(
        "config:\n  telemetry:\n    metrics:\tfalse\ncommonEnv:\n  - name:\tPHONE_HOME_USAGE_REPORTING_ENABLED\n    value:\t\"false\"\n",
    );
    assert!(!report.endpoint("metrics").enabled);
    assert!(!report.endpoint("usage-snapshot").enabled);
    let (out, _) = show_text(b"commonEnv:\n  -\tname: X\n");
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with("error: `values.yaml`:2:4: invalid YAML"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("hint: a tab may separate a value from its `key:`"),
        "{}",
        out.stderr
    );
}

/// A values file built to cost time or memory is answered quickly, under a memory cap,
/// with a clear refusal: the node limit, or go-yaml's own rule against alias expansion.
#[test]
fn huge_inputs_are_refused_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = String::from("commonEnv:\n");
    for i in 0..500_000 {
        env.push_str(&format!("  - name: VAR_{i}\n    value: \"v{i}\"\n"));
    }
    let mut chain = String::from("s0: &s0 {k0: v0}\n");
    for i in 1..2000 {
        chain.push_str(&format!("s{i}: &s{i} {{<<: *s{}, k{i}: v{i}}}\n", i - 1));
    }
    for (name, text, expected) in [
        ("env.yaml", env, "more than 2,000,000 keys and values"),
        ("chain.yaml", chain, "excessive aliasing"),
    ] {
        std::fs::write(dir.path().join(name), text).unwrap();
        let started = std::time::Instant::now();
        let mut cmd = beacon_capped(dir.path(), 1 << 20);
        cmd.args(["show-config", "-f", name]);
        let out = run(cmd);
        assert_eq!(out.code, 2, "{name}: {}", out.stderr);
        assert!(out.stderr.contains(expected), "{name}: {}", out.stderr);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "{name} took {:?}",
            started.elapsed()
        );
    }
}
