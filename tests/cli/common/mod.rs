//! Shared test helpers: the scrubbed command, fixture paths, and the JSON
//! contract of `show-config --output json` as typed structs.
#![allow(dead_code)]

pub mod bounded;
pub mod capture;
pub mod dns;
pub mod hostile;
pub mod leak;
pub mod mitm;
pub mod proxy;
pub mod server;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde::Deserialize;

/// The canary license key in the fixtures: it must never appear in any output.
pub const CANARY: &str = "CANARY";

/// Every endpoint id, in the catalogue's order.
pub const IDS: [&str; 6] = [
    "verify",
    "ingest-traces",
    "metrics",
    "traces",
    "logs",
    "usage-snapshot",
];

/// The value of the first header called `name` (any case).
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The text of a gzip stream.
pub fn ungzip(bytes: &[u8]) -> String {
    use std::io::Read;
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .expect("valid gzip");
    text
}

/// `beacon-cli` with an environment that cannot leak into the test: no proxies,
/// no colour settings, no values or license from the developer's shell, and a
/// fresh empty working directory.
pub fn beacon(workdir: &Path) -> Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("beacon-cli"));
    scrub(&mut cmd);
    cmd.current_dir(workdir);
    Command::from_std(cmd)
}

/// `beacon()` run under an address-space limit (`ulimit -v`, in KiB), so an
/// input read without bound fails the test instead of exhausting the machine.
pub fn beacon_capped(workdir: &Path, address_space_kib: u64) -> Command {
    Command::from_std(capped_command(workdir, address_space_kib))
}

/// The process behind [`beacon_capped`], for tests that spawn it themselves (to
/// watch its time and memory, and kill it by its pid). The shell `exec`s
/// beacon-cli, so the child's pid is beacon-cli's.
pub fn capped_command(workdir: &Path, address_space_kib: u64) -> std::process::Command {
    let bin = assert_cmd::cargo::cargo_bin("beacon-cli");
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(format!(
            "ulimit -v {address_space_kib} && exec \"$0\" \"$@\""
        ))
        .arg(bin);
    scrub(&mut cmd);
    cmd.current_dir(workdir);
    cmd
}

/// Removes every variable that could leak the developer's setup into a test.
fn scrub(cmd: &mut std::process::Command) {
    for var in [
        "HOME",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
        "NO_COLOR",
        "RUST_LOG",
        "LANGSMITH_CONFIG",
        "LANGSMITH_LICENSE_KEY",
        "BEACON_URL",
        "SSL_CERT_FILE",
    ] {
        cmd.env_remove(var);
    }
}

/// The same for a process a test starts and talks to while it runs: nothing of
/// the developer's environment but `PATH`.
pub fn scrub_std(cmd: &mut std::process::Command) {
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
}

/// A fixture's absolute path.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

/// Output of one run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the command to completion and checks that no canary secret leaked.
pub fn run(mut cmd: Command) -> Run {
    let output = cmd.output().expect("beacon-cli runs");
    let run = Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    };
    assert!(
        !run.stdout.contains(CANARY) && !run.stderr.contains(CANARY),
        "a secret leaked:\nstdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    assert!(
        !run.stderr.contains("panicked"),
        "beacon-cli panicked:\n{}",
        run.stderr
    );
    run
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub sources: Vec<Source>,
    pub chart_defaults_version: String,
    pub chart_version: Option<String>,
    pub renders: bool,
    pub beacon_url: Option<String>,
    pub beacon_url_decided_by: DecidedBy,
    pub license: License,
    pub endpoints: Vec<Endpoint>,
    pub workloads: Vec<Workload>,
    pub proxy: Vec<EnvSetting>,
    pub engine: Engine,
    pub offline: String,
    pub errors: Vec<Warning>,
    pub warnings: Vec<Warning>,
    pub notes: Vec<Note>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    pub name: String,
    pub pods: Vec<String>,
    pub endpoints: std::collections::BTreeMap<String, Option<bool>>,
    pub decided_by: std::collections::BTreeMap<String, DecidedBy>,
    pub beacon_url: Option<String>,
    pub proxy: Vec<EnvSetting>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub file: Option<String>,
    pub kind: String,
}

#[derive(Debug, Deserialize, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DecidedBy {
    pub key: Option<String>,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct License {
    pub source: String,
    pub fingerprint: Option<String>,
    pub secret_name: Option<String>,
    pub decided_by: Option<DecidedBy>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    pub id: String,
    pub url: Option<String>,
    pub class: String,
    pub enabled: bool,
    pub required: bool,
    pub certain: bool,
    pub decided_by: DecidedBy,
    pub documented_since: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvSetting {
    pub name: String,
    pub value: Option<String>,
    pub file: Option<String>,
    pub line: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Engine {
    pub enabled: bool,
    pub url: Option<String>,
    pub decided_by: DecidedBy,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Warning {
    pub severity: String,
    pub code: String,
    pub message: String,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub hint: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Note {
    pub code: String,
    pub message: String,
}

impl Report {
    pub fn endpoint(&self, id: &str) -> &Endpoint {
        self.endpoints
            .iter()
            .find(|e| e.id == id)
            .unwrap_or_else(|| panic!("no endpoint {id}"))
    }

    pub fn codes(&self) -> Vec<&str> {
        self.warnings.iter().map(|w| w.code.as_str()).collect()
    }

    pub fn error_codes(&self) -> Vec<&str> {
        self.errors.iter().map(|w| w.code.as_str()).collect()
    }

    pub fn warning(&self, code: &str) -> &Warning {
        self.warnings
            .iter()
            .find(|w| w.code == code)
            .unwrap_or_else(|| panic!("no warning {code} in {:?}", self.codes()))
    }

    pub fn error(&self, code: &str) -> &Warning {
        self.errors
            .iter()
            .find(|w| w.code == code)
            .unwrap_or_else(|| panic!("no error {code} in {:?}", self.error_codes()))
    }

    pub fn workload(&self, name: &str) -> &Workload {
        self.workloads
            .iter()
            .find(|w| w.name == name)
            .unwrap_or_else(|| panic!("no workload {name}"))
    }
}
