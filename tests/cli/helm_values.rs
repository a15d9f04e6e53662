//! beacon-cli's values reader against a real Helm's: for every case under
//! `fixtures/helm-values/expected/` (written by `scripts/helm-values` from Helm 4.1.4), the
//! values beacon-cli reads must be the `.Values` Helm computed, and a file Helm refuses
//! must be refused too (exit 2, naming the file, line and column). Where beacon-cli
//! deliberately differs, the difference is listed in `EXCEPTIONS` and asserted.

use crate::common;

use std::path::{Path, PathBuf};

use beacon_cli::config::{LoadOptions, Values};
use beacon_cli::error::{Exit, exit_for};
use serde::Deserialize;
use serde_json::Value as Json;

/// One case as `scripts/helm-values` recorded it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    /// The directory Helm ran in, relative to the repository root.
    cwd: String,
    /// Helm's arguments after `template x CHART`.
    argv: Vec<String>,
    /// The file fed to `-f -`, relative to the repository root.
    stdin: Option<String>,
    /// Whether Helm rendered.
    renders: bool,
    /// Helm's `.Values`, when it rendered.
    #[serde(default)]
    values: Option<Json>,
    /// Helm's stderr on a successful render.
    #[serde(default)]
    warnings: Vec<String>,
    /// Helm's error, when it refused.
    #[serde(default)]
    error: Option<String>,
}

/// What beacon-cli does where it deliberately differs from Helm.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Differs {
    /// Helm reads the file; beacon-cli refuses it at one of its own limits, with this
    /// text in the message.
    RefusesAtLimit(&'static str),
    /// Helm reads empty standard input as no values; beacon-cli refuses it (exit 2),
    /// since it means the command feeding it failed (`helm get values`).
    RefusesEmptyStdin,
}

/// Every deliberate difference, by case, with the reason (also in the README).
const EXCEPTIONS: &[(&str, Differs, &str)] = &[
    (
        "own/nesting-300",
        Differs::RefusesAtLimit("nesting deeper than 256 levels"),
        "beacon-cli stops at 256 levels of nesting to bound its stack; Helm's limit is 10,000",
    ),
    (
        "own/tag-before-comma-in-flow",
        Differs::RefusesAtLimit("cannot read this"),
        "libyaml-safer 0.3 stops on a tag right before `,` in a flow collection; go-yaml v2 reads the comma as part of the tag (`[!!str, b]` is `[\"b\"]`)",
    ),
    (
        "own/stdin-empty",
        Differs::RefusesEmptyStdin,
        "empty standard input means the command feeding it failed (issue 9, disagreement 10)",
    ),
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every expected case, as `set/name` and its record.
fn cases() -> Vec<(String, Expected)> {
    let dir = root().join("fixtures/helm-values/expected");
    let mut out = Vec::new();
    for set in ["own", "corpus", "corpus-base"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(set))
            .expect("scripts/helm-values has run")
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let name = file.file_stem().unwrap().to_string_lossy().to_string();
            let text = std::fs::read_to_string(&file).unwrap();
            let mut de = serde_json::Deserializer::from_str(&text);
            de.disable_recursion_limit();
            let expected = Expected::deserialize(&mut de)
                .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            out.push((format!("{set}/{name}"), expected));
        }
    }
    out
}

/// Helm's arguments as beacon-cli's load options (paths made absolute).
fn options(expected: &Expected) -> LoadOptions {
    let cwd = root().join(&expected.cwd);
    let mut options = LoadOptions {
        without_chart_defaults: true,
        ..LoadOptions::default()
    };
    let mut args = expected.argv.iter();
    while let Some(arg) = args.next() {
        if arg == "-f" {
            let file = args.next().expect("a file after -f");
            options.files.push(if file == "-" {
                // Standard input, read here from the file Helm was fed.
                root().join(expected.stdin.as_deref().expect("stdin file"))
            } else {
                cwd.join(file)
            });
        } else if let Some(file) = arg.strip_prefix("--values=") {
            options.files.push(cwd.join(file));
        } else if let Some(expr) = arg.strip_prefix("--set=") {
            options.set.push(expr.to_string());
        } else if let Some(expr) = arg.strip_prefix("--set-string=") {
            options.set_string.push(expr.to_string());
        } else {
            panic!("an argument this test does not know: {arg}");
        }
    }
    options
}

/// JSON with every number as a float64, as Helm holds the numbers of a values file.
fn as_helm_holds_it(value: &Json) -> Json {
    match value {
        Json::Number(n) => {
            serde_json::Number::from_f64(n.as_f64().unwrap()).map_or(Json::Null, Json::Number)
        }
        Json::Array(items) => Json::Array(items.iter().map(as_helm_holds_it).collect()),
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), as_helm_holds_it(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The first difference between two JSON values, as a path and both sides.
fn first_difference(path: &str, ours: &Json, helm: &Json) -> Option<String> {
    match (ours, helm) {
        (Json::Object(a), Json::Object(b)) => {
            for (k, v) in b {
                match a.get(k) {
                    None => return Some(format!("{path}.{k}: missing in beacon-cli")),
                    Some(o) => {
                        if let Some(d) = first_difference(&format!("{path}.{k}"), o, v) {
                            return Some(d);
                        }
                    }
                }
            }
            a.keys()
                .find(|k| !b.contains_key(*k))
                .map(|k| format!("{path}.{k:?}: only in beacon-cli"))
        }
        (Json::Array(a), Json::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (o, h))| first_difference(&format!("{path}[{i}]"), o, h)),
        _ if ours == helm => None,
        _ => Some(format!(
            "{path}: beacon-cli {}, Helm {}",
            truncate(ours),
            truncate(helm)
        )),
    }
}

fn truncate(value: &Json) -> String {
    let text = value.to_string();
    if text.len() > 120 {
        format!("{}...", &text[..120])
    } else {
        text
    }
}

/// beacon-cli run as a user would, with Helm's arguments.
fn run_binary(expected: &Expected) -> common::Run {
    let cwd = root().join(&expected.cwd);
    let mut cmd = common::beacon(&cwd);
    cmd.arg("show-config")
        .args(&expected.argv)
        .args(["-o", "json"]);
    match &expected.stdin {
        Some(file) => {
            cmd.pipe_stdin(root().join(file)).unwrap();
        }
        None => {
            cmd.write_stdin("");
        }
    }
    common::run(cmd)
}

/// The `` `file`:line:col: `` a refusal must start with.
fn names_a_position(stderr: &str) -> bool {
    let Some(rest) = stderr.strip_prefix("error: `") else {
        return false;
    };
    let Some((_, after)) = rest.split_once("`:") else {
        return false;
    };
    let mut parts = after.splitn(3, ':');
    let line = parts.next().unwrap_or("");
    let col = parts.next().unwrap_or("");
    !line.is_empty()
        && !col.is_empty()
        && line.bytes().all(|b| b.is_ascii_digit())
        && col.bytes().all(|b| b.is_ascii_digit())
}

/// Runs a test body on a thread with a large stack: the fixtures nest up to 300 deep, and
/// serde_json's parser and the comparison recurse once per level.
fn with_big_stack(body: fn()) {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(body)
        .unwrap()
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
}

#[test]
fn the_reader_reads_what_helm_reads() {
    with_big_stack(compare_with_helm);
}

fn compare_with_helm() {
    let cases = cases();
    assert!(cases.len() > 300, "only {} cases", cases.len());
    let mut failures = Vec::new();
    let mut seen_exceptions = Vec::new();
    for (name, expected) in &cases {
        let exception = EXCEPTIONS.iter().find(|(n, ..)| n == name);
        if let Some((_, differs, _)) = exception {
            seen_exceptions.push(name.clone());
            assert!(
                expected.renders,
                "{name}: Helm refuses it now: no longer an exception"
            );
            match differs {
                Differs::RefusesAtLimit(text) => {
                    let err = Values::load(&options(expected)).expect_err(name);
                    assert_eq!(exit_for(&err).0, Exit::Usage, "{name}");
                    assert!(err.to_string().contains(text), "{name}: {err}");
                }
                Differs::RefusesEmptyStdin => {
                    let run = run_binary(expected);
                    assert_eq!(run.code, 2, "{name}: {}", run.stderr);
                    assert!(
                        run.stderr.contains("standard input (`-f -`) is empty"),
                        "{name}: {}",
                        run.stderr
                    );
                }
            }
            continue;
        }
        match (Values::load(&options(expected)), expected.renders) {
            (Ok(values), true) => {
                let helm = expected.values.as_ref().expect("values");
                let ours = as_helm_holds_it(&values.to_json());
                if let Some(d) = first_difference("", &ours, &as_helm_holds_it(helm)) {
                    failures.push(format!("{name}: {d}"));
                }
            }
            (Ok(_), false) => failures.push(format!(
                "{name}: beacon-cli reads it, Helm refuses it: {}",
                expected
                    .error
                    .as_deref()
                    .unwrap_or("")
                    .lines()
                    .last()
                    .unwrap_or("")
            )),
            (Err(err), true) => failures.push(format!(
                "{name}: beacon-cli refuses it, Helm reads it: {err}"
            )),
            (Err(err), false) => {
                if exit_for(&err).0 != Exit::Usage {
                    failures.push(format!("{name}: refused, but not as bad input: {err}"));
                }
            }
        }
    }
    assert_eq!(
        seen_exceptions.len(),
        EXCEPTIONS.len(),
        "an exception names a case that does not exist"
    );
    assert!(
        failures.is_empty(),
        "{} differences from Helm:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_refusal_names_the_file_line_and_column() {
    with_big_stack(refusals_name_a_position);
}

fn refusals_name_a_position() {
    let mut failures = Vec::new();
    for (name, expected) in cases() {
        if expected.renders {
            continue;
        }
        let run = run_binary(&expected);
        if run.code != 2 || !names_a_position(&run.stderr) || !run.stderr.contains("\nhint: ") {
            failures.push(format!("{name}: exit {}: {}", run.code, run.stderr.trim()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn helm_rendered_every_case_without_warnings() {
    with_big_stack(no_helm_warnings);
}

fn no_helm_warnings() {
    for (name, expected) in cases() {
        assert!(
            expected.warnings.is_empty(),
            "{name}: {:?}",
            expected.warnings
        );
    }
}
