//! `show-config` end to end: the real binary over the chart's own example files
//! and a fixture for every trap and merge rule. JSON output is parsed into the
//! typed contract in `common` before anything is asserted.

use crate::common;

use std::io::Write;

use common::{Report, Run, beacon, fixture, run};

fn show(args: &[&str]) -> (Run, Report) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = beacon(dir.path());
    cmd.args(["show-config", "--output", "json"]).args(args);
    let out = run(cmd);
    assert!(
        out.code == 0 || out.code == 3,
        "exit {}: {}",
        out.code,
        out.stderr
    );
    let report: Report = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON contract broken: {e}\n{}", out.stdout));
    (out, report)
}

fn show_file(rel: &str) -> Report {
    let path = fixture(rel);
    show(&["-f", path.to_str().unwrap()]).1
}

const OPTIONAL: [&str; 4] = ["metrics", "traces", "logs", "usage-snapshot"];

#[test]
fn no_file_anywhere_reports_the_chart_defaults() {
    let (out, report) = show(&[]);
    assert_eq!(out.code, 0);
    assert_eq!(report.sources.len(), 1);
    assert_eq!(report.sources[0].kind, "chart-defaults");
    assert_eq!(report.sources[0].file, None);
    assert_eq!(
        report.beacon_url.as_deref(),
        Some("https://beacon.langchain.com")
    );
    assert_eq!(report.license.source, "missing");
    assert_eq!(report.license.fingerprint, None);
    assert_eq!(report.endpoints.len(), 6);
    for endpoint in &report.endpoints {
        assert!(endpoint.enabled, "{} is on by default", endpoint.id);
        assert!(
            endpoint
                .url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://beacon.langchain.com/v1/beacon/"))
        );
    }
    for id in ["verify", "ingest-traces"] {
        let e = report.endpoint(id);
        assert!(e.required && e.certain);
        assert_eq!(e.class, "billing");
    }
    for id in ["metrics", "traces", "logs"] {
        let e = report.endpoint(id);
        assert!(!e.required && e.certain);
        assert_eq!(e.class, "operational");
        assert_eq!(
            e.decided_by.key.as_deref(),
            Some(&*format!("config.telemetry.{id}"))
        );
        assert_eq!(
            (e.decided_by.file.as_deref(), e.decided_by.line),
            (None, None)
        );
    }
    let usage = report.endpoint("usage-snapshot");
    assert!(usage.enabled && !usage.certain && !usage.required);
    assert_eq!(usage.class, "usage");
    assert_eq!(report.codes(), ["usage-snapshot-unset"]);
    assert!(report.offline.contains("cannot be told"));
    assert!(!report.engine.enabled);
    assert!(report.proxy.is_empty());
}

#[test]
fn the_charts_own_values_file_agrees_with_the_built_in_defaults() {
    let (_, defaults) = show(&[]);
    let chart = show_file("helm/values.yaml");
    for (a, b) in defaults.endpoints.iter().zip(&chart.endpoints) {
        assert_eq!(
            (a.id.as_str(), a.enabled, a.certain),
            (b.id.as_str(), b.enabled, b.certain)
        );
        assert_eq!(a.decided_by.key, b.decided_by.key);
    }
    assert_eq!(chart.codes(), ["usage-snapshot-unset"]);
    let metrics = &chart.endpoint("metrics").decided_by;
    assert_eq!(
        metrics.line,
        Some(1139),
        "the line of `metrics: true` in values.yaml"
    );
}

#[test]
fn the_charts_example_files_are_read_and_their_secrets_stay_hidden() {
    let secrets = [
        "YOUR_LICENSE_KEY",
        "YOUR_API_KEY_SALT",
        "YOUR_JWT_SECRET",
        "TestLangSmith123!",
    ];
    for name in [
        "basic_auth.yaml",
        "basic_config.yaml",
        "lightweight_config.yaml",
        "mtls_config.yaml",
        "smithdb_alloydb_auth_proxy.yaml",
        "tracing_config.yaml",
    ] {
        let path = fixture(&format!("helm/{name}"));
        for format in ["json", "table", "yaml"] {
            let dir = tempfile::tempdir().unwrap();
            let mut cmd = beacon(dir.path());
            cmd.args(["show-config", "-o", format, "-f", path.to_str().unwrap()]);
            let out = run(cmd);
            assert_eq!(out.code, 0, "{name}: {}", out.stderr);
            for secret in secrets {
                assert!(
                    !out.stdout.contains(secret),
                    "{name} leaked {secret} in {format}"
                );
            }
        }
        let report = show(&["-f", path.to_str().unwrap()]).1;
        assert_eq!(report.sources[1].kind, "file");
        if name != "smithdb_alloydb_auth_proxy.yaml" {
            assert_eq!(report.license.source, "values", "{name}");
            let fp = report.license.fingerprint.as_deref().unwrap();
            assert!(fp.starts_with("sha256:") && fp.len() == 15, "{fp}");
            assert_eq!(
                report.license.decided_by.as_ref().unwrap().key.as_deref(),
                Some("config.langsmithLicenseKey")
            );
        }
    }
    let tracing = show_file("helm/tracing_config.yaml");
    assert!(tracing.notes.iter().any(|n| n.code == "own-observability"));
    let mtls = show_file("helm/mtls_config.yaml");
    assert!(mtls.notes.iter().any(|n| n.code == "custom-ca"));
}

#[test]
fn commonenv_beats_the_charts_switch() {
    let report = show_file("values/commonenv-override.yaml");
    // In the pods that get commonEnv, its entry beats the chart's switch...
    let langsmith = report.workload("langsmith");
    assert_eq!(langsmith.endpoints["metrics"], Some(false));
    let decided = &langsmith.decided_by["metrics"];
    assert_eq!(decided.key.as_deref(), Some("commonEnv[0].value"));
    assert_eq!(decided.line, Some(9));
    assert!(
        decided
            .file
            .as_deref()
            .unwrap()
            .ends_with("commonenv-override.yaml")
    );
    // ...but playground and ace-backend get no commonEnv: metrics stay on there.
    let sandboxed = report.workload("playground+ace-backend");
    assert_eq!(sandboxed.endpoints["metrics"], Some(true));
    let metrics = report.endpoint("metrics");
    assert!(metrics.enabled && metrics.certain, "on in any workload");
    assert!(
        metrics
            .decided_by
            .reason
            .starts_with("in playground+ace-backend:"),
        "{}",
        metrics.decided_by.reason
    );
    let missed = report.warning("override-misses-pods");
    assert_eq!(missed.line, Some(9));
    assert!(missed.hint.contains("metrics: false"), "{}", missed.hint);
    let w = report.warning("commonenv-overrides-telemetry");
    assert_eq!(w.line, Some(9));
    assert!(w.hint.contains("metrics: false"), "{}", w.hint);
    assert!(report.endpoint("traces").enabled);
}

#[test]
fn a_quoted_boolean_is_flagged_and_not_trusted() {
    let (out, report) = show(&[
        "-f",
        fixture("values/quoted-boolean.yaml").to_str().unwrap(),
    ]);
    assert_eq!(out.code, 3, "an error exits 3 without --strict");
    assert!(
        !report.renders,
        "Helm refuses a string where it wants a boolean"
    );
    let metrics = report.endpoint("metrics");
    assert!(metrics.enabled && !metrics.certain);
    let w = report.error("quoted-boolean");
    assert_eq!(w.severity, "error");
    assert_eq!(w.line, Some(3));
    assert!(
        w.message.contains("expected bool; got string"),
        "Helm's own words: {}",
        w.message
    );
    assert!(
        w.hint.contains("metrics: false") && !w.hint.contains("\"false\""),
        "{}",
        w.hint
    );
    let traces = report.endpoint("traces");
    assert!(!traces.enabled && traces.certain);
    assert_eq!(traces.decided_by.line, Some(4));
}

#[test]
fn misspelt_and_unknown_keys_change_nothing_and_are_named() {
    let report = show_file("values/misspelt.yaml");
    for id in ["metrics", "traces", "logs"] {
        let e = report.endpoint(id);
        assert!(e.enabled && e.certain, "{id} stays on");
        assert_eq!(e.decided_by.file, None, "{id} is the chart default");
    }
    let misspelt: Vec<_> = report
        .warnings
        .iter()
        .filter(|w| w.code == "misspelt-key")
        .map(|w| (w.line, w.message.clone()))
        .collect();
    assert_eq!(misspelt.len(), 2, "{misspelt:?}");
    assert_eq!(misspelt[0].0, Some(3));
    assert!(misspelt[0].1.contains("`config.telemetry`"));
    assert_eq!(misspelt[1].0, Some(8));
    assert!(misspelt[1].1.contains("`commonEnv`"));
    let unknown: Vec<_> = report
        .warnings
        .iter()
        .filter(|w| w.code == "unknown-telemetry-key")
        .collect();
    assert_eq!(unknown.len(), 2);
    assert_eq!(unknown[0].line, Some(6));
    assert!(unknown[0].hint.contains("metrics: false"));
    assert_eq!(unknown[1].line, Some(7));
    assert!(
        unknown[1]
            .hint
            .contains("PHONE_HOME_USAGE_REPORTING_ENABLED")
    );
}

#[test]
fn the_documentations_map_shaped_commonenv_is_corrected() {
    let report = show_file("values/commonenv-map.yaml");
    assert!(!report.renders);
    let w = report.error("commonenv-not-a-list");
    assert!(
        w.message.contains("can't evaluate field name"),
        "{}",
        w.message
    );
    assert_eq!(w.line, Some(2));
    assert!(
        w.hint
            .contains("  - name: PHONE_HOME_USAGE_REPORTING_ENABLED\n    value: \"false\""),
        "{}",
        w.hint
    );
    let usage = report.endpoint("usage-snapshot");
    assert!(usage.enabled && !usage.certain, "the map is not applied");
}

#[test]
fn non_string_and_unclear_env_values() {
    let report = show_file("values/env-not-string.yaml");
    assert!(report.renders, "Helm renders it; Kubernetes refuses it");
    let w = report.error("env-value-not-string");
    assert_eq!(w.line, Some(3));
    assert!(w.hint.contains("value: \"false\""), "{}", w.hint);
    let usage = report.endpoint("usage-snapshot");
    assert!(!usage.enabled && !usage.certain);
    // `maybe` cannot be told in the pods that get commonEnv; playground and
    // ace-backend do not get it, and keep the chart's switch.
    assert_eq!(report.workload("langsmith").endpoints["traces"], None);
    assert_eq!(
        report.workload("playground+ace-backend").endpoints["traces"],
        Some(true)
    );
    assert_eq!(report.warning("env-value-unclear").line, Some(5));
}

#[test]
fn everything_optional_turned_off_is_certain_and_clean() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = beacon(dir.path());
    cmd.args(["show-config", "--strict", "-o", "json", "-f"])
        .arg(fixture("values/all-off.yaml"));
    let out = run(cmd);
    assert_eq!(out.code, 0, "no warnings, so --strict passes");
    let report: Report = serde_json::from_str(&out.stdout).unwrap();
    for id in OPTIONAL {
        let e = report.endpoint(id);
        assert!(!e.enabled && e.certain, "{id}");
    }
    assert!(report.endpoint("verify").enabled);
    assert!(report.warnings.is_empty(), "{:?}", report.codes());
    assert!(report.notes.iter().any(|n| n.code == "chart-version"));
    assert_eq!(report.endpoint("usage-snapshot").decided_by.line, Some(10));
}

#[test]
fn strict_exits_3_on_any_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = beacon(dir.path());
    cmd.args(["show-config", "--strict"]);
    let out = run(cmd);
    assert_eq!(out.code, 3);
    assert!(out.stdout.contains("warning[usage-snapshot-unset]"));
}

#[test]
fn secrets_in_commonenv_are_flagged_and_fingerprinted() {
    let report = show_file("values/secret-in-commonenv.yaml");
    // The chart sets both itself, in every chart version: Helm refuses.
    assert!(!report.renders);
    let found: Vec<_> = report
        .errors
        .iter()
        .filter(|w| w.code == "duplicate-env")
        .map(|w| w.line)
        .collect();
    assert_eq!(found, [Some(3), Some(5)]);
    assert!(
        report.errors[0]
            .message
            .contains("Duplicate keys detected: [LANGSMITH_LICENSE_KEY]"),
        "{}",
        report.errors[0].message
    );
    let inline = show_file("values/all-off.yaml");
    assert_eq!(report.license.source, "values");
    assert_eq!(
        report.license.fingerprint, inline.license.fingerprint,
        "the same key gives the same fingerprint wherever it is written"
    );
}

#[test]
fn proxies_are_listed_with_credentials_redacted_and_endpoint_overridden() {
    let report = show_file("values/proxy.yaml");
    let names: Vec<_> = report.proxy.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["HTTPS_PROXY", "NO_PROXY"]);
    let https = report.proxy[0].value.as_deref().unwrap();
    assert!(
        https.starts_with("http://<redacted sha256:")
            && https.ends_with("@proxy.corp.example:3128")
    );
    assert_eq!(report.proxy[0].line, Some(3));
    assert_eq!(
        report.beacon_url.as_deref(),
        Some("https://dev.beacon.langchain.com")
    );
    assert_eq!(report.beacon_url_decided_by.line, Some(7));
    assert_eq!(
        report.endpoint("verify").url.as_deref(),
        Some("https://dev.beacon.langchain.com/v1/beacon/verify")
    );
    let w = report.warning("proxy-not-in-sandboxed-pods");
    assert!(w.message.contains("aceBackend") && !w.message.contains("playground"));
    assert!(w.hint.contains("aceBackend:\n  deployment:\n    extraEnv:"));
}

#[test]
fn a_license_in_a_secret_is_named_not_read() {
    let report = show_file("values/existing-secret.yaml");
    assert_eq!(report.license.source, "secret");
    assert_eq!(
        report.license.secret_name.as_deref(),
        Some("langsmith-config")
    );
    assert_eq!(report.license.fingerprint, None);
    assert_eq!(report.warning("license-inline-unused").line, Some(3));
}

#[test]
fn the_engine_destination_is_shown() {
    let report = show_file("values/engine.yaml");
    assert!(report.engine.enabled);
    assert_eq!(
        report.engine.url.as_deref(),
        Some("https://beacon.aws.langchain.com/intelligence")
    );
    assert_eq!(report.engine.decided_by.line, Some(3));
    let (_, missing) = show(&["--set", "engine.enabled=true"]);
    assert!(missing.engine.enabled && missing.engine.url.is_none());
    assert_eq!(
        missing.warning("engine-url-missing").file.as_deref(),
        Some("--set engine.enabled")
    );
}

#[test]
fn yaml_1_1_booleans_read_as_helm_reads_them() {
    let report = show_file("values/yaml11-booleans.yaml");
    assert!(!report.endpoint("metrics").enabled);
    assert!(!report.endpoint("traces").enabled);
    assert!(report.endpoint("logs").enabled);
    assert!(
        ["metrics", "traces", "logs"]
            .iter()
            .all(|id| report.endpoint(id).certain)
    );
}

#[test]
fn duplicate_keys_and_extra_documents_are_reported() {
    let report = show_file("values/duplicates.yaml");
    assert_eq!(report.warning("duplicate-key").line, Some(4));
    assert!(
        report.endpoint("metrics").enabled,
        "the later `metrics: true` wins"
    );
    assert!(
        !report.endpoint("traces").enabled,
        "Helm merges the second document too"
    );
    assert_eq!(report.endpoint("traces").decided_by.line, Some(8));
    let several = report.warning("several-documents");
    assert!(
        several
            .file
            .as_deref()
            .unwrap()
            .ends_with("duplicates.yaml")
    );
    assert!(!report.codes().contains(&"ignored-documents"));
}

#[test]
fn files_merge_as_helm_merges_them() {
    let base = fixture("merge/base.yaml");
    let prod = fixture("merge/prod.yaml");
    let (_, report) = show(&["-f", base.to_str().unwrap(), "-f", prod.to_str().unwrap()]);
    let kinds: Vec<_> = report.sources.iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(kinds, ["chart-defaults", "file", "file"]);
    let file = |e: &common::Endpoint| {
        let f = e.decided_by.file.clone().unwrap();
        f.rsplit('/').next().unwrap().to_string()
    };
    let metrics = report.endpoint("metrics");
    assert!(!metrics.enabled && metrics.certain, "base's value stays");
    assert_eq!(
        (file(metrics).as_str(), metrics.decided_by.line),
        ("base.yaml", Some(4))
    );
    let traces = report.endpoint("traces");
    assert!(traces.enabled && traces.certain, "the later file wins");
    assert_eq!(
        (file(traces).as_str(), traces.decided_by.line),
        ("prod.yaml", Some(5))
    );
    let logs = report.endpoint("logs");
    assert!(!logs.certain, "null deletes the key");
    assert_eq!(
        (file(logs).as_str(), logs.decided_by.line),
        ("prod.yaml", Some(6))
    );
    assert_eq!(report.error("telemetry-not-boolean").line, Some(6));
    let usage = report.endpoint("usage-snapshot");
    assert!(
        usage.enabled && usage.certain,
        "prod's list replaced base's whole"
    );
    assert_eq!(
        report.beacon_url.as_deref(),
        Some("https://beacon.langchain.com"),
        "BEACON_ENDPOINT went with base's list"
    );
}

#[test]
fn set_applies_after_every_file_with_helm_typing() {
    let all_off = fixture("values/all-off.yaml");
    let (_, report) = show(&[
        "-f",
        all_off.to_str().unwrap(),
        "--set",
        "config.telemetry.metrics=true",
        "--set-string",
        "config.telemetry.traces=false",
    ]);
    let kinds: Vec<_> = report.sources.iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(kinds, ["chart-defaults", "file", "set", "set"]);
    assert_eq!(
        report.sources[2].file.as_deref(),
        Some("--set config.telemetry.metrics")
    );
    let metrics = report.endpoint("metrics");
    assert!(metrics.enabled && metrics.certain);
    assert_eq!(
        metrics.decided_by.file.as_deref(),
        Some("--set config.telemetry.metrics")
    );
    assert_eq!(metrics.decided_by.line, None);
    let w = report.error("quoted-boolean");
    assert_eq!(
        w.file.as_deref(),
        Some("--set-string config.telemetry.traces")
    );
    assert!(!report.endpoint("logs").enabled);
}

#[test]
fn set_builds_commonenv_lists_as_helm_does() {
    let (_, typed) = show(&[
        "--set",
        "commonEnv[0].name=BEACON_LOGGING_ENABLED",
        "--set",
        "commonEnv[0].value=false",
    ]);
    assert!(
        typed.error_codes().contains(&"env-value-not-string"),
        "--set types `false` as a boolean"
    );
    let (_, string) = show(&[
        "--set",
        "commonEnv[0].name=BEACON_LOGGING_ENABLED",
        "--set-string",
        "commonEnv[0].value=false",
    ]);
    assert_eq!(string.workload("langsmith").endpoints["logs"], Some(false));
    assert!(
        string.endpoint("logs").enabled,
        "playground and ace-backend keep logs on"
    );
    assert!(!string.error_codes().contains(&"env-value-not-string"));
}

#[test]
fn standard_input_is_a_source() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = beacon(dir.path());
    cmd.args(["show-config", "-o", "json", "-f", "-"])
        .write_stdin("config:\n  telemetry:\n    logs: false\n");
    let out = run(cmd);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report: Report = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report.sources[1].kind, "stdin");
    assert_eq!(report.sources[1].file.as_deref(), Some("<stdin>"));
    let logs = report.endpoint("logs");
    assert!(!logs.enabled);
    assert_eq!(
        (logs.decided_by.file.as_deref(), logs.decided_by.line),
        (Some("<stdin>"), Some(3))
    );
}

#[test]
fn file_choice_order_is_flag_then_env_then_cwd() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("langsmith_config.yaml"),
        "config:\n  telemetry:\n    metrics: false\n",
    )
    .unwrap();
    let env_file = dir.path().join("from-env.yaml");
    std::fs::write(&env_file, "config:\n  telemetry:\n    traces: false\n").unwrap();
    let parse = |out: Run| -> Report {
        assert_eq!(out.code, 0, "{}", out.stderr);
        serde_json::from_str(&out.stdout).unwrap()
    };

    let mut cmd = beacon(dir.path());
    cmd.args(["show-config", "-o", "json"]);
    let cwd = parse(run(cmd));
    assert_eq!(cwd.sources[1].kind, "cwd");
    assert!(!cwd.endpoint("metrics").enabled);

    let mut cmd = beacon(dir.path());
    cmd.args(["show-config", "-o", "json"])
        .env("LANGSMITH_CONFIG", &env_file);
    let env = parse(run(cmd));
    assert_eq!(env.sources[1].kind, "env");
    assert!(env.endpoint("metrics").enabled && !env.endpoint("traces").enabled);

    let mut cmd = beacon(dir.path());
    cmd.args(["show-config", "-o", "json", "-f"])
        .arg(fixture("values/all-off.yaml"))
        .env("LANGSMITH_CONFIG", &env_file);
    let flag = parse(run(cmd));
    assert_eq!(flag.sources.len(), 2);
    assert_eq!(flag.sources[1].kind, "file");

    let mut cmd = beacon(dir.path());
    cmd.args(["show-config"]);
    let human = run(cmd);
    assert!(
        human
            .stdout
            .contains("langsmith_config.yaml (found in the current directory)")
    );
}

#[test]
fn bad_input_is_one_clear_error_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["-f", "bad/malformed.yaml"],
            "malformed.yaml`:4:1: invalid YAML",
        ),
        (&["-f", "bad/tab-indent.yaml"], "tab-indent.yaml`:2:"),
        (
            &["-f", "bad/list-top.yaml"],
            "list-top.yaml`:1:1: the top level of a values file must be a mapping",
        ),
        (&["-f", "bad/scalar-top.yaml"], "found a string"),
        (
            &["-f", "bad/not-utf8.yaml"],
            "not-utf8.yaml`:2:36: not UTF-8",
        ),
        (&["-f", "bad/no-such-file.yaml"], "no such file"),
        (&["-f", "bad"], "is a directory"),
        (
            &["--set", "config..x=lic-CANARY"],
            "invalid `--set`: `config..x` has an empty key segment",
        ),
        (
            &["--set-string", "novalue"],
            "invalid `--set-string`: `novalue` has no `=VALUE`",
        ),
        (&["-f", "-", "-f", "-"], "`-f -` is given twice"),
    ];
    for (args, expected) in cases {
        let mut cmd = beacon(dir.path());
        cmd.arg("show-config").current_dir(fixture(""));
        cmd.args(*args).write_stdin("");
        let out = run(cmd);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?} printed a half report");
        let lines: Vec<_> = out.stderr.lines().collect();
        assert!(lines[0].starts_with("error: "), "{args:?}: {}", out.stderr);
        assert!(lines[0].contains(expected), "{args:?}: {}", out.stderr);
        assert!(
            lines.iter().any(|l| l.starts_with("hint: ")),
            "{args:?} has a hint"
        );
    }
}

#[test]
fn an_empty_file_is_empty_values() {
    let report = show_file("bad/empty.yaml");
    assert_eq!(report.sources[1].kind, "file");
    assert!(report.endpoints.iter().all(|e| e.enabled));
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = beacon(dir.path());
    cmd.args(["show-config", "--bogus"]);
    assert_eq!(run(cmd).code, 2);
    let mut cmd = beacon(dir.path());
    cmd.args(["show-config", "--output", "xml"]);
    assert_eq!(run(cmd).code, 2);
}

#[test]
fn yaml_output_carries_the_same_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = beacon(dir.path());
    cmd.args(["show-config", "-o", "yaml", "-f"])
        .arg(fixture("values/all-off.yaml"));
    let out = run(cmd);
    let report: Report = serde_yaml::from_str(&out.stdout).unwrap();
    assert!(!report.endpoint("metrics").enabled);
    assert_eq!(report.endpoints.len(), 6);
}

#[test]
fn colour_follows_the_flag_and_no_color_and_never_touches_json() {
    let dir = tempfile::tempdir().unwrap();
    let esc = '\u{1b}';
    let mut cmd = beacon(dir.path());
    cmd.args(["show-config", "--color", "always"]);
    assert!(run(cmd).stdout.contains(esc));
    let mut cmd = beacon(dir.path());
    cmd.args(["show-config", "--color", "never"]);
    assert!(!run(cmd).stdout.contains(esc));
    let mut cmd = beacon(dir.path());
    cmd.args(["show-config"]).env("NO_COLOR", "1");
    assert!(!run(cmd).stdout.contains(esc));
    let mut cmd = beacon(dir.path());
    cmd.args(["show-config", "--color", "always", "-o", "json"]);
    assert!(!run(cmd).stdout.contains(esc));
}

#[test]
fn help_teaches_and_documents_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = beacon(dir.path());
    cmd.arg("--help");
    let out = run(cmd);
    assert_eq!(out.code, 0);
    for needle in [
        "show-config",
        "Exit codes:",
        "7  timeout",
        "LANGSMITH_CONFIG",
    ] {
        assert!(out.stdout.contains(needle), "--help lacks {needle}");
    }
    assert!(
        !out.stdout.contains("--values"),
        "options belong to the commands that take them"
    );
    let mut cmd = beacon(dir.path());
    cmd.args(["show-config", "--help"]);
    let out = run(cmd);
    for needle in [
        "--strict",
        "Examples:",
        "--values",
        "--set-string",
        "--quiet",
    ] {
        assert!(
            out.stdout.contains(needle),
            "show-config --help lacks {needle}"
        );
    }
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let values = dir.path().join("big.yaml");
    let mut file = std::fs::File::create(&values).unwrap();
    // Enough warnings to overflow the pipe buffer, so the write meets a closed pipe.
    writeln!(file, "config:\n  telemetry:").unwrap();
    for i in 0..3000 {
        writeln!(file, "    unknown{i}: x").unwrap();
    }
    drop(file);
    let bin = assert_cmd::cargo::cargo_bin("beacon-cli");
    let mut child = std::process::Command::new(bin)
        .args(["show-config", "-f"])
        .arg(&values)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn set_into_a_list_item_keeps_the_files_other_items() {
    let base = fixture("merge/base.yaml");
    let (_, report) = show(&[
        "-f",
        base.to_str().unwrap(),
        "--set-string",
        "commonEnv[0].value=true",
    ]);
    let usage = report.endpoint("usage-snapshot");
    assert!(
        usage.enabled && usage.certain,
        "item 0's value changed in place"
    );
    assert_eq!(
        usage.decided_by.file.as_deref(),
        Some("--set-string commonEnv[0].value")
    );
    assert_eq!(
        report.beacon_url.as_deref(),
        Some("https://dev.beacon.langchain.com"),
        "item 1 of the file's list is kept"
    );
}

#[test]
fn a_directory_gets_a_hint_naming_the_file_inside() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = beacon(dir.path());
    cmd.args(["show-config", "-f"]).arg(dir.path());
    let out = run(cmd);
    assert_eq!(out.code, 2);
    let expected = format!(
        "hint: name the file inside it, for example `{}`",
        dir.path().join("langsmith_config.yaml").display()
    );
    assert!(out.stderr.contains(&expected), "{}", out.stderr);
}

#[test]
fn chart_version_rules_follow_the_chart_you_install() {
    let all_off = fixture("values/all-off.yaml");
    let all_off = all_off.to_str().unwrap();
    // 0.10.49 to 0.11.3 dropped the variable of a switch set to false: still on.
    let (_, old) = show(&["-f", all_off, "--chart-version", "0.11.0"]);
    assert_eq!(old.chart_version.as_deref(), Some("0.11.0"));
    let metrics = old.endpoint("metrics");
    assert!(metrics.enabled && metrics.certain, "false is ignored");
    assert!(
        metrics.decided_by.reason.contains("ignores"),
        "{}",
        metrics.decided_by.reason
    );
    assert_eq!(old.warning("false-ignored").line, Some(6));
    // Before 0.13.0 there is no logs switch: `logs: false` changes nothing.
    let (_, no_logs) = show(&["-f", all_off, "--chart-version", "0.12.9"]);
    let logs = no_logs.endpoint("logs");
    assert!(
        logs.enabled && !logs.certain,
        "not switchable: cannot be told"
    );
    assert!(
        no_logs
            .warnings
            .iter()
            .any(|w| w.code == "unknown-telemetry-key" && w.message.contains("0.13.0"))
    );
    // From 0.17.0-rc.28 SmithDB honours its telemetry flags in commonEnv.
    let smithdb = [
        "--set",
        "smithdb.enabled=true",
        "--set",
        "commonEnv[0].name=BEACON_TRACING_ENABLED",
        "--set-string",
        "commonEnv[0].value=false",
    ];
    let (out, refused) = show(&smithdb);
    assert_eq!(out.code, 3);
    assert!(!refused.renders);
    assert!(
        refused
            .error("duplicate-env")
            .message
            .contains("Duplicate keys detected: [BEACON_TRACING_ENABLED]")
    );
    let mut later = smithdb.to_vec();
    later.extend(["--chart-version", "0.17.0-rc.28"]);
    let (_, honoured) = show(&later);
    assert!(honoured.renders, "{:?}", honoured.error_codes());
    assert_eq!(
        honoured.workload("smithdb").endpoints["traces"],
        Some(false)
    );
    // A version without rules is a note; one that is not a version, an error.
    let (_, unknown) = show(&["--chart-version", "0.9.1"]);
    assert!(
        unknown
            .notes
            .iter()
            .any(|n| n.code == "chart-version-unknown")
    );
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = beacon(dir.path());
    cmd.args(["show-config", "--chart-version", "latest"]);
    let out = run(cmd);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with("error: `--chart-version latest` is not a chart version")
    );
}

#[test]
fn beacon_endpoint_from_value_from_is_unknown_not_the_default() {
    let (_, report) = show(&[
        "--set",
        "commonEnv[0].name=BEACON_ENDPOINT",
        "--set",
        "commonEnv[0].valueFrom.configMapKeyRef.name=beacon",
        "--set",
        "commonEnv[0].valueFrom.configMapKeyRef.key=url",
    ]);
    assert_eq!(report.beacon_url, None);
    assert!(report.endpoints.iter().all(|e| e.url.is_none()));
    assert_eq!(report.workload("langsmith").beacon_url, None);
    assert_eq!(
        report
            .workload("playground+ace-backend")
            .beacon_url
            .as_deref(),
        Some("https://beacon.langchain.com"),
        "playground and ace-backend do not get commonEnv"
    );
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = beacon(dir.path());
    cmd.args([
        "dry-run",
        "verify",
        "--set",
        "commonEnv[0].name=BEACON_ENDPOINT",
        "--set",
        "commonEnv[0].valueFrom.configMapKeyRef.name=beacon",
    ]);
    let out = run(cmd);
    assert_eq!(
        out.code, 2,
        "dry-run cannot print a request to an unknown URL"
    );
    assert!(
        out.stderr.contains("give the URL with --url"),
        "{}",
        out.stderr
    );
}
