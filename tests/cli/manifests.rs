//! `show-config --manifests`: rendered manifests read as the cluster runs them.
//! The Helm corpus (`tests/cli/helm_corpus.rs`) checks `helm template` output case by
//! case; these check `kubectl get -o yaml` Lists, standard input, and bad input.

use crate::common;

use common::{Report, Run, beacon, fixture, run};

fn manifests(args: &[&str]) -> (Run, Option<Report>) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = beacon(dir.path());
    cmd.args(["show-config", "-o", "json", "--manifests"])
        .args(args);
    let out = run(cmd);
    let report = (out.code == 0 || out.code == 3).then(|| {
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("JSON contract broken: {e}\n{}", out.stdout))
    });
    (out, report)
}

#[test]
fn a_kubectl_list_is_read_container_by_container() {
    let list = fixture("manifests/kubectl-list.yaml");
    let (out, report) = manifests(&[list.to_str().unwrap()]);
    let report = report.unwrap_or_else(|| panic!("{}", out.stderr));
    assert_eq!(report.sources[0].kind, "manifests");
    assert_eq!(report.chart_version.as_deref(), Some("0.17.0-rc.28"));
    let names: Vec<&str> = report.workloads.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Deployment/ls-langsmith-backend:backend",
            "Deployment/ls-langsmith-playground:playground",
            "CronJob/ls-langsmith-nightly:nightly",
        ],
        "the datastore is left out"
    );
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.code == "containers-without-beacon")
    );

    let backend = report.workload("Deployment/ls-langsmith-backend:backend");
    assert_eq!(
        backend.endpoints["metrics"],
        Some(false),
        "env beats envFrom"
    );
    assert_eq!(
        backend.endpoints["traces"],
        Some(false),
        "from the ConfigMap"
    );
    assert_eq!(backend.endpoints["logs"], Some(true));
    assert_eq!(
        backend.endpoints["verify"],
        Some(true),
        "it holds the license"
    );
    let decided = &backend.decided_by["traces"];
    assert!(
        decided
            .file
            .as_deref()
            .unwrap()
            .ends_with("kubectl-list.yaml")
    );
    assert!(decided.line.is_some());
    assert_eq!(
        decided.key.as_deref(),
        Some("ConfigMap/ls-langsmith-config data.BEACON_TRACING_ENABLED")
    );

    let playground = report.workload("Deployment/ls-langsmith-playground:playground");
    assert_eq!(playground.endpoints["metrics"], Some(true));
    assert_eq!(
        playground.endpoints["verify"],
        Some(false),
        "no license key"
    );

    let nightly = report.workload("CronJob/ls-langsmith-nightly:nightly");
    for id in ["metrics", "traces", "logs"] {
        assert_eq!(
            nightly.endpoints[id], None,
            "{id}: its ConfigMap is not in the input"
        );
    }
    assert_eq!(nightly.beacon_url, None);
    assert!(
        nightly.decided_by["metrics"]
            .reason
            .contains("ConfigMap `not-in-this-list`")
    );

    // On in any workload: playground certainly sends metrics.
    let metrics = report.endpoint("metrics");
    assert!(metrics.enabled && metrics.certain);
    // Traces: off where known, unknown in the CronJob: possibly on.
    let traces = report.endpoint("traces");
    assert!(traces.enabled && !traces.certain);
    assert_eq!(report.beacon_url, None, "the pods do not agree on one URL");
    assert_eq!(report.license.source, "secret");
    assert_eq!(
        report.license.secret_name.as_deref(),
        Some("ls-langsmith-secrets")
    );
    let proxy = report.proxy[0].value.as_deref().unwrap();
    assert!(proxy.starts_with("http://<redacted sha256:"), "{proxy}");
    // `run` checked that no canary (the Secret's license, the proxy password,
    // the datastore's password) reached any output.
}

#[test]
fn manifests_come_from_standard_input_and_tables_too() {
    let list = std::fs::read_to_string(fixture("manifests/kubectl-list.yaml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = beacon(dir.path());
    cmd.args(["show-config", "--manifests", "-", "--color", "never"])
        .env("COLUMNS", "200")
        .write_stdin(list);
    let out = run(cmd);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("read     rendered manifests: <stdin> (chart 0.17.0-rc.28)")
    );
    assert!(
        out.stdout.contains("CronJob/ls-langsmith-nightly:nightly"),
        "the pods disagree, so the table shows each: {}",
        out.stdout
    );
}

#[test]
fn kubernetes_refusals_in_manifests_are_errors() {
    let (out, report) = manifests(&[fixture("manifests/bad-env.yaml").to_str().unwrap()]);
    assert_eq!(out.code, 3, "an error exits 3");
    let report = report.unwrap();
    assert!(report.renders, "Helm rendered it; Kubernetes refuses it");
    let error = report.error("env-value-not-string");
    assert_eq!(error.line, Some(14));
    assert_eq!(report.warning("duplicate-env").line, Some(15));
    assert_eq!(
        report.license.source, "values",
        "inline, shown as a fingerprint"
    );
    assert!(report.license.fingerprint.is_some());
    let backend = &report.workloads[0];
    assert_eq!(
        backend.endpoints["traces"],
        Some(true),
        "the last entry wins"
    );
}

#[test]
fn bad_manifest_input_is_one_clear_error() {
    let no_workloads = fixture("manifests/no-workloads.yaml");
    let malformed = fixture("bad/malformed.yaml");
    let cases = [
        (
            no_workloads.to_str().unwrap(),
            "no Deployment, StatefulSet, DaemonSet, Job or CronJob in",
        ),
        (malformed.to_str().unwrap(), "invalid YAML"),
        ("no-such.yaml", "cannot read manifests file `no-such.yaml`"),
    ];
    for (file, needle) in cases {
        let args = [file];
        let (out, _) = manifests(&args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty());
        let first = out.stderr.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("error: ") && first.contains(needle),
            "{args:?}: {first}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = beacon(dir.path());
    cmd.args(["show-config", "--manifests", "x.yaml", "-f", "values.yaml"]);
    let out = run(cmd);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("does not go with `-f`"),
        "{}",
        out.stderr
    );
}
