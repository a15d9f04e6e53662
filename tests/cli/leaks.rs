//! The leak suite (issue 10): canary secrets through every source × every
//! command × every output format × the failure paths, and servers that echo the
//! secret back in every encoding. No canary may appear, in any encoding (the
//! oracle in `common/leak.rs`), in standard output, standard error or a file
//! written; `--reveal-secrets` must show the license, which proves it was in play.
//!
//! Each canary is distinct per source, so a failure says which source leaked,
//! and holds `CANARY` and characters that escape on the way out: `"`, `\`, `'`,
//! a tab, a space, `/`, `#`, `@`, `%` and non-ASCII.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use base64::Engine;
use common::bounded::{Bounded, Stdin, files_in, run_bounded};
use common::hostile::{Conn, Hostile};
use common::leak::{leak_of, percent_some, u_some, unescape};
use common::server::{Reply, TestPki, TestServer};
use common::{CANARY, capped_command};
use serde_json::{Value, json};

/// The canary of a source.
fn canary(tag: &str) -> String {
    format!("{tag}-CANARY-\"q\\ '\t/#@%é✓-{tag}")
}

/// JSON (and YAML double-quoted) text of a string.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

const SOURCES: &[&str] = &[
    "values-license",
    "values-salt",
    "values-jwt",
    "values-admin-pw",
    "values-oauth",
    "values-pg-url",
    "values-redis-pw",
    "commonenv-secret",
    "commonenv-token",
    "commonenv-proxy",
    "commonenv-proxy-noscheme",
    "map-token",
    "map-proxy",
    "commonenv-beacon",
    "commonenv-beacon-noscheme",
    "env-license",
    "file-license",
    "env-proxy",
    "env-proxy-noscheme",
    "flag-proxy",
    "set-secret",
    "m-secret-data",
    "m-secret-string",
    "m-env-license",
    "m-env-proxy",
    "m-env-password",
    "flag-url",
    "env-url",
    "token",
];

/// The suite's world: its directory, its files, and every failure found.
struct Suite {
    dir: tempfile::TempDir,
    canaries: BTreeMap<&'static str, String>,
    runs: std::cell::Cell<usize>,
    failures: std::cell::RefCell<Vec<String>>,
}

/// One run of beacon-cli.
struct Run<'a> {
    name: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Stdin,
    /// `--reveal-secrets`: this canary must show; nothing is checked for hiding.
    reveal: Option<&'a str>,
    /// Only these canaries are looked for (the 16 MiB cases); all when empty.
    only: Vec<&'static str>,
}

fn run<'a>(name: impl Into<String>, args: &[&str]) -> Run<'a> {
    Run {
        name: name.into(),
        args: args.iter().map(|s| s.to_string()).collect(),
        env: Vec::new(),
        stdin: Stdin::Null,
        reveal: None,
        only: Vec::new(),
    }
}

impl<'a> Run<'a> {
    fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    fn args(mut self, more: &[&str]) -> Self {
        self.args.extend(more.iter().map(|s| s.to_string()));
        self
    }

    fn reveal(mut self, canary: &'a str) -> Self {
        self.reveal = Some(canary);
        self
    }

    fn only(mut self, tags: &[&'static str]) -> Self {
        self.only = tags.to_vec();
        self
    }
}

impl Suite {
    fn new() -> Self {
        let canaries = SOURCES.iter().map(|t| (*t, canary(t))).collect();
        Self {
            dir: tempfile::tempdir().unwrap(),
            canaries,
            runs: std::cell::Cell::new(0),
            failures: std::cell::RefCell::new(Vec::new()),
        }
    }

    fn c(&self, tag: &str) -> &str {
        &self.canaries[tag]
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, name: &str, text: impl AsRef<[u8]>) -> String {
        std::fs::write(self.path().join(name), text).unwrap();
        name.to_string()
    }

    /// Runs it, and records every canary that shows where it must not.
    fn check(&self, run: Run<'_>) -> Bounded {
        self.runs.set(self.runs.get() + 1);
        let before = files_in(self.path());
        let mut cmd = capped_command(self.path(), 4_000_000);
        cmd.args(&run.args);
        for (k, v) in &run.env {
            cmd.env(k, v);
        }
        let out = run_bounded(cmd, run.stdin, Duration::from_secs(120));
        let mut texts = vec![
            ("stdout".to_string(), out.stdout.clone()),
            ("stderr".to_string(), out.stderr.clone()),
        ];
        for file in files_in(self.path()) {
            if !before.contains(&file) {
                let text = std::fs::read(self.path().join(&file)).unwrap_or_default();
                texts.push((
                    format!("new file {file}"),
                    String::from_utf8_lossy(&text).into_owned(),
                ));
            }
        }
        let mut problems = Vec::new();
        if out.overran {
            problems.push("ran past its wall-clock limit, killed by its pid".to_string());
        }
        if out.code.is_none() || out.stderr.contains("panicked") {
            problems.push(format!("crashed (exit {:?})", out.code));
        }
        match run.reveal {
            Some(license) => {
                let shown = out.stdout.contains(license)
                    || out
                        .stdout
                        .contains(&quoted(license)[1..quoted(license).len() - 1])
                    || unescape(&unescape(&out.stdout)).contains(license);
                if !shown {
                    problems.push("--reveal-secrets did not show the license".to_string());
                }
            }
            None => {
                for (tag, canary) in &self.canaries {
                    if !run.only.is_empty() && !run.only.contains(tag) {
                        continue;
                    }
                    for (place, text) in &texts {
                        if let Some(form) = leak_of(canary, text) {
                            problems.push(format!("`{tag}` leaked in {place}, {form}"));
                        }
                    }
                }
                for (place, text) in &texts {
                    if text.contains(CANARY) && problems.is_empty() {
                        problems.push(format!("`CANARY` in {place}"));
                    }
                }
            }
        }
        if !problems.is_empty() {
            self.failures.borrow_mut().push(format!(
                "{}: {:?}\n  {}\n  exit {:?}; stderr: {}",
                run.name,
                run.args
                    .iter()
                    .map(|a| a.chars().take(120).collect::<String>())
                    .collect::<Vec<_>>(),
                problems.join("\n  "),
                out.code,
                out.stderr.chars().take(600).collect::<String>()
            ));
        }
        out
    }

    #[allow(clippy::print_stderr)]
    fn finish(self, what: &str) {
        let failures = self.failures.into_inner();
        let runs = self.runs.get();
        eprintln!("leaks {what}: {runs} runs");
        assert!(
            failures.is_empty(),
            "{} of {runs} leak case(s) failed:\n\n{}",
            failures.len(),
            failures.join("\n\n")
        );
    }

    /// `license.txt`, holding the `file-license` canary as a license file does.
    fn license_file(&self) -> String {
        self.write("license.txt", format!("{}\n", self.c("file-license")))
    }

    /// The values file with every values source.
    fn values(&self) -> String {
        let q = |tag: &str| quoted(self.c(tag));
        self.write(
            "values.yaml",
            format!(
                "config:
  langsmithLicenseKey: {license}
  apiKeySalt: {salt}
  basicAuth:
    enabled: true
    jwtSecret: {jwt}
    initialOrgAdminPassword: {admin}
  oauth:
    enabled: false
    oauthClientSecret: {oauth}
postgres:
  external:
    enabled: true
    connectionUrl: {pg}
redis:
  external:
    password: {redis}
commonEnv:
  - name: DB_PASSWORD
    value: {secret}
  - name: MY_API_TOKEN
    value: {token}
  - name: HTTPS_PROXY
    value: {proxy}
  - name: http_proxy
    value: {noscheme}
  - name: PHONE_HOME_USAGE_REPORTING_ENABLED
    value: \"false\"
",
                license = q("values-license"),
                salt = q("values-salt"),
                jwt = q("values-jwt"),
                admin = q("values-admin-pw"),
                oauth = q("values-oauth"),
                pg = quoted(&format!(
                    "postgres://app:{}@db.corp:5432/langsmith",
                    self.c("values-pg-url")
                )),
                redis = q("values-redis-pw"),
                secret = q("commonenv-secret"),
                token = q("commonenv-token"),
                proxy = quoted(&format!(
                    "http://proxyuser:{}@proxy.corp:3128",
                    self.c("commonenv-proxy")
                )),
                noscheme = quoted(&format!(
                    "proxyuser:{}@proxy.corp:3128",
                    self.c("commonenv-proxy-noscheme")
                )),
            ),
        )
    }
}

/// The `--set-string` flag that sets a secret (backslashes escaped for Helm's syntax).
fn set_secret(suite: &Suite) -> String {
    format!(
        "someService.password={}",
        suite.c("set-secret").replace('\\', "\\\\")
    )
}

#[test]
fn the_oracle_sees_every_encoding() {
    let c = canary("oracle");
    let json = quoted(&c);
    let forms = [
        c.clone(),
        json.clone(),
        quoted(&json),
        quoted(&quoted(&json)),
        c.encode_utf16().map(|u| format!("\\u{u:04x}")).collect(),
        u_some(&c),
        c.bytes().map(|b| format!("%{b:02x}")).collect(),
        percent_some(&c),
        b64(&c),
        b64(&format!("x{c}")),
        base64::engine::general_purpose::URL_SAFE.encode(format!("xy{c}")),
        b64(&format!("user:{c}")),
        c.replace('/', "~1"),
        c.replace('\'', "''"),
        serde_yaml::to_string(&c).unwrap(),
        serde_yaml::to_string(&format!(
            "{} {c} {}",
            "long ".repeat(30),
            "text ".repeat(30)
        ))
        .unwrap(),
    ];
    for form in forms {
        let text = format!("before {form} after");
        assert!(leak_of(&c, &text).is_some(), "not seen: {form}");
    }
    assert!(leak_of(&c, "nothing of it, <redacted sha256:12345678>").is_none());
}

#[test]
fn values_secrets_never_show_in_what_the_commands_print() {
    let suite = Suite::new();
    let values = suite.values();
    let set = set_secret(&suite);
    let map = suite.write(
        "map.yaml",
        format!(
            "commonEnv:\n  MY_SECRET_TOKEN: {}\n  HTTPS_PROXY: {}\n  BEACON_METRICS_ENABLED: \"false\"\n",
            quoted(suite.c("map-token")),
            quoted(&format!("http://u:{}@proxy:3128", suite.c("map-proxy")))
        ),
    );
    let beacon = suite.write(
        "beacon.yaml",
        format!(
            "commonEnv:\n  - name: BEACON_ENDPOINT\n    value: {}\n",
            quoted(&format!(
                "https://beaconuser:{}@beacon.corp",
                suite.c("commonenv-beacon")
            ))
        ),
    );
    let beacon_noscheme = suite.write(
        "beacon-noscheme.yaml",
        format!(
            "commonEnv:\n  - name: BEACON_ENDPOINT\n    value: {}\n",
            quoted(&format!(
                "beaconuser:{}@beacon.corp",
                suite.c("commonenv-beacon-noscheme")
            ))
        ),
    );
    let manifests = suite.write(
        "manifests.yaml",
        format!(
            "apiVersion: v1
kind: Secret
metadata:
  name: langsmith-secrets
data:
  langsmith_license_key: {data}
stringData:
  api_key_salt: {string}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: langsmith-backend
  labels:
    helm.sh/chart: langsmith-0.17.0-rc.12
spec:
  template:
    spec:
      containers:
        - name: backend
          env:
            - name: LANGSMITH_LICENSE_KEY
              value: {license}
            - name: HTTPS_PROXY
              value: {proxy}
            - name: POSTGRES_PASSWORD
              value: {password}
            - name: BEACON_METRICS_ENABLED
              value: \"maybe\"
",
            data = b64(suite.c("m-secret-data")),
            string = quoted(suite.c("m-secret-string")),
            license = quoted(suite.c("m-env-license")),
            proxy = quoted(&format!("http://u:{}@proxy:3128", suite.c("m-env-proxy"))),
            password = quoted(suite.c("m-env-password")),
        ),
    );
    let every_format: [(&str, Vec<&str>); 8] = [
        (
            "show-config",
            vec!["show-config", "-f", &values, "--set-string", &set],
        ),
        (
            "show-config --strict",
            vec![
                "show-config",
                "-f",
                &values,
                "--set-string",
                &set,
                "--strict",
            ],
        ),
        (
            "show-config, map-shaped commonEnv",
            vec!["show-config", "-f", &map],
        ),
        (
            "show-config, BEACON_ENDPOINT credentials",
            vec!["show-config", "-f", &beacon],
        ),
        (
            "show-config, BEACON_ENDPOINT credentials, no scheme",
            vec!["show-config", "-f", &beacon_noscheme],
        ),
        (
            "show-config --manifests",
            vec!["show-config", "--manifests", &manifests],
        ),
        (
            "payloads",
            vec!["payloads", "-f", &values, "--set-string", &set],
        ),
        (
            "payloads, map-shaped commonEnv",
            vec!["payloads", "-f", &map],
        ),
    ];
    for format in ["table", "json", "yaml"] {
        for (name, args) in &every_format {
            suite.check(run(format!("{name} -o {format}"), args).args(&["-o", format]));
        }
    }
    for args in [
        &["payloads", "verify"][..],
        &["payloads", "verify", "--response"],
        &["payloads", "traces", "--synthetic"],
        &["payloads", "usage-snapshot", "--synthetic", "--seed", "7"],
    ] {
        suite.check(run(format!("{args:?}"), args).args(&["-f", &values]));
    }
    // Failure paths that still read the values: a later file broken, a bad --set.
    let broken = suite.write("broken.yaml", "config: [unclosed\n");
    let half = suite.write(
        "half.yaml",
        format!(
            "config:\n  langsmithLicenseKey: {}\n  telemetry: [\n",
            quoted(suite.c("values-license"))
        ),
    );
    let unterminated = suite.write(
        "unterminated.yaml",
        format!(
            "config:\n  langsmithLicenseKey: \"{}\n",
            suite.c("values-license").replace('"', "")
        ),
    );
    let typo = format!("config.langsmithLicenseKey:{}", suite.c("set-secret"));
    let unclosed = format!("x={{{},b", suite.c("set-secret"));
    let failing: [(&str, Vec<&str>); 8] = [
        (
            "values then a broken file",
            vec!["show-config", "-f", &values, "-f", &broken],
        ),
        (
            "values then a bad --set",
            vec!["show-config", "-f", &values, "--set", "a[x]=1"],
        ),
        (
            "values then a bad --chart-version",
            vec!["show-config", "-f", &values, "--chart-version", "x"],
        ),
        (
            "values then --manifests",
            vec!["show-config", "-f", &values, "--manifests", &manifests],
        ),
        (
            "a broken file holding the license",
            vec!["show-config", "-f", &half],
        ),
        (
            "a license in an unterminated string",
            vec!["show-config", "-f", &unterminated],
        ),
        ("--set key:value typo", vec!["show-config", "--set", &typo]),
        (
            "--set an unclosed list",
            vec!["show-config", "--set", &unclosed],
        ),
    ];
    for (name, args) in &failing {
        suite.check(run(*name, args));
    }
    suite.finish("values");
}

#[test]
fn dry_run_never_shows_a_license_but_with_reveal_secrets() {
    let suite = Suite::new();
    let values = suite.values();
    let license = suite.license_file();
    let env_license = suite.c("env-license").to_string();
    let sources: [(&str, Vec<&str>, Option<&str>); 3] = [
        ("file", vec!["--license-file", &license], None),
        ("env", vec![], Some(&env_license)),
        ("values", vec![], None),
    ];
    for (source, flags, env) in &sources {
        for id in ["verify", "ingest-traces", "usage-snapshot"] {
            for format in [
                &["--format", "http"][..],
                &["--format", "curl"],
                &["--format", "json"],
                &["-o", "yaml"],
                &["--format", "http", "--gzip"],
                &["--format", "json", "--synthetic"],
            ] {
                let mut r = run(
                    format!("dry-run {id} license from {source} {format:?}"),
                    &["dry-run", id, "-f", &values],
                )
                .args(format)
                .args(flags);
                if let Some(key) = env {
                    r = r.env("LANGSMITH_LICENSE_KEY", key);
                }
                suite.check(r);
            }
        }
    }
    // A payload that holds the license itself, and one that is not JSON.
    let payload = suite.write(
        "payload.json",
        format!(
            "{{\"license\": {}, \"note\": {}}}",
            quoted(suite.c("file-license")),
            quoted(suite.c("file-license"))
        ),
    );
    suite.check(run(
        "dry-run a payload holding the license",
        &[
            "dry-run",
            "verify",
            "--payload",
            &payload,
            "--license-file",
            &license,
        ],
    ));
    let broken = suite.write(
        "broken.json",
        format!("{{\"license\": {},", quoted(suite.c("file-license"))),
    );
    suite.check(run(
        "dry-run a broken payload holding the license",
        &[
            "dry-run",
            "verify",
            "--payload",
            &broken,
            "--license-file",
            &license,
        ],
    ));
    // Failure paths: a URL with credentials, from the flag, the variable, the values.
    let flag_url = format!("https://u:{}@beacon.example", suite.c("flag-url"));
    suite.check(run(
        "dry-run --url with credentials",
        &["dry-run", "verify", "--url", &flag_url, "-f", &values],
    ));
    let flag_url_noscheme = format!("u:{}@beacon.example", suite.c("flag-url"));
    suite.check(run(
        "dry-run --url with credentials, no scheme",
        &[
            "dry-run",
            "verify",
            "--url",
            &flag_url_noscheme,
            "-f",
            &values,
        ],
    ));
    let env_url = format!("u:{}@beacon.example", suite.c("env-url"));
    suite.check(
        run(
            "dry-run $BEACON_URL with credentials",
            &["dry-run", "verify", "-f", &values],
        )
        .env("BEACON_URL", &env_url),
    );
    let beacon = suite.write(
        "beacon.yaml",
        format!(
            "commonEnv:\n  - name: BEACON_ENDPOINT\n    value: {}\n",
            quoted(&format!(
                "https://beaconuser:{}@beacon.corp",
                suite.c("commonenv-beacon")
            ))
        ),
    );
    suite.check(run(
        "dry-run BEACON_ENDPOINT with credentials",
        &["dry-run", "verify", "-f", &values, "-f", &beacon],
    ));
    let beacon_noscheme = suite.write(
        "beacon-noscheme.yaml",
        format!(
            "commonEnv:\n  - name: BEACON_ENDPOINT\n    value: {}\n",
            quoted(&format!(
                "beaconuser:{}@beacon.corp",
                suite.c("commonenv-beacon-noscheme")
            ))
        ),
    );
    suite.check(run(
        "dry-run BEACON_ENDPOINT with credentials, no scheme",
        &["dry-run", "verify", "-f", &values, "-f", &beacon_noscheme],
    ));
    suite.check(run(
        "dry-run a missing license file, values read",
        &[
            "dry-run",
            "verify",
            "-f",
            &values,
            "--license-file",
            "nowhere.txt",
        ],
    ));
    // The curl command: run it, with a curl that records its arguments.
    let out = suite.check(run(
        "dry-run --format curl, to run",
        &[
            "dry-run",
            "verify",
            "--format",
            "curl",
            "--license-file",
            &license,
        ],
    ));
    let bin = suite.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::fs::write(
        bin.join("curl"),
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$CURL_ARGS\"\ncat > \"$CURL_STDIN\"\n",
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(bin.join("curl"))
        .status()
        .unwrap();
    let script = suite.path().join("send.sh");
    std::fs::write(&script, &out.stdout).unwrap();
    let key = suite.c("file-license").to_string();
    let status = std::process::Command::new("sh")
        .arg(&script)
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("LANGSMITH_LICENSE_KEY", quoted(&key).trim_matches('"'))
        .env("CURL_ARGS", suite.path().join("curl-args"))
        .env("CURL_STDIN", suite.path().join("curl-stdin"))
        .status()
        .unwrap();
    assert!(status.success());
    let argv = std::fs::read_to_string(suite.path().join("curl-args")).unwrap();
    assert!(
        leak_of(&key, &argv).is_none() && !argv.contains(CANARY),
        "curl's arguments hold the key: {argv}"
    );
    let body: Value =
        serde_json::from_slice(&std::fs::read(suite.path().join("curl-stdin")).unwrap()).unwrap();
    assert_eq!(
        body["license"],
        key.as_str(),
        "the key reached curl on standard input"
    );
    // --reveal-secrets shows it: the canary was really in play.
    for format in ["http", "json", "curl"] {
        suite.check(
            run(
                format!("dry-run --reveal-secrets --format {format}"),
                &[
                    "dry-run",
                    "verify",
                    "--reveal-secrets",
                    "--format",
                    format,
                    "--license-file",
                    &license,
                ],
            )
            .reveal(if format == "curl" {
                "LANGSMITH_LICENSE_KEY"
            } else {
                &key
            }),
        );
    }
    suite.finish("dry-run");
}

/// A server that answers each request as its base path says (`/MODE/v1/beacon/...`),
/// echoing `secret` in that form.
fn echo_server(secret: String, token: String) -> Hostile {
    Hostile::start(move |mut conn: Conn| {
        let request = conn.read_request();
        let path = request.line.split(' ').nth(1).unwrap_or("/").to_string();
        let mode = path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("")
            .to_string();
        let s = secret.as_str();
        let echo_json = |inner: String| format!("{{\"echo\": \"{inner}\"}}").into_bytes();
        let json_headers: &[(&str, &str)] = &[("content-type", "application/json")];
        let body_text = String::from_utf8_lossy(&request.body).into_owned();
        let (status, headers, body): (&str, Vec<(String, String)>, Vec<u8>) = match mode.as_str() {
            "raw" => ("200 OK", vec![], format!("echo: {s}").into_bytes()),
            "json" => ("200 OK", vec![], format!("{{\"echo\": {}}}", quoted(s)).into_bytes()),
            "json-twice" => ("200 OK", vec![], format!("{{\"echo\": {}}}", quoted(&quoted(s))).into_bytes()),
            "u-all" => ("200 OK", vec![], echo_json(s.encode_utf16().map(|u| format!("\\u{u:04x}")).collect())),
            "u-some" => ("200 OK", vec![], echo_json(u_some(s))),
            "pct-all" => ("200 OK", vec![], echo_json(s.bytes().map(|b| format!("%{b:02X}")).collect())),
            "pct-some" => ("200 OK", vec![], echo_json(percent_some(s))),
            "b64-std-0" => ("200 OK", vec![], echo_json(b64(s))),
            "b64-std-1" => ("200 OK", vec![], echo_json(b64(&format!("x{s}")))),
            "b64-std-2" => ("200 OK", vec![], echo_json(b64(&format!("xy{s}")))),
            "b64-url-0" => ("200 OK", vec![], echo_json(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s))),
            "b64-url-1" => ("200 OK", vec![], echo_json(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("x{s}")))),
            "b64-url-2" => ("200 OK", vec![], echo_json(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("xy{s}")))),
            "request" => ("200 OK", vec![], request.body.clone()),
            "request-nested" => ("200 OK", vec![], format!("{{\"received\": {}}}", quoted(&body_text)).into_bytes()),
            "headers" => (
                "200 OK",
                vec![
                    ("x-echo".into(), s.to_string()),
                    ("x-echo-b64".into(), b64(s)),
                    ("x-echo-pct".into(), percent_some(s)),
                    ("x-echo-json".into(), quoted(s)),
                    ("set-cookie".into(), format!("session={}", percent_some(s))),
                    ("www-authenticate".into(), format!("Basic {}", b64(&format!("u:{s}")))),
                ],
                b"{}".to_vec(),
            ),
            "jwt" => {
                let part = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
                let mut claims = json!({"sub": s, "iss": s, "aud": [s], "exp": 4_102_444_800i64});
                claims[s] = json!(s);
                let jwt = format!("{}.{}.{}", part(&json!({"alg": "HS256"})), part(&claims), token);
                ("200 OK", vec![], format!("{{\"token\": {}, \"echo\": {}}}", quoted(&jwt), quoted(s)).into_bytes())
            }
            "otlp" => (
                "200 OK",
                vec![],
                format!("{{\"partialSuccess\": {{\"rejectedDataPoints\": \"1\", \"rejectedSpans\": \"1\", \"rejectedLogRecords\": \"1\", \"errorMessage\": {}}}}}", quoted(&format!("rejected: {s}"))).into_bytes(),
            ),
            "otlp-u" => (
                "200 OK",
                vec![],
                format!("{{\"partialSuccess\": {{\"errorMessage\": \"{}\"}}}}", s.encode_utf16().map(|u| format!("\\u{u:04X}")).collect::<String>()).into_bytes(),
            ),
            "e404" => ("404 Not Found", vec![], format!("{{\"detail\": {}}}", quoted(&format!("unknown license {s}"))).into_bytes()),
            "e503" => ("503 Service Unavailable", vec![("retry-after".into(), "0".into())], format!("overloaded, license {s}").into_bytes()),
            "redirect" => (
                "302 Found",
                vec![("location".into(), format!("https://elsewhere.example/verify?license={}", percent_some(s)))],
                format!("{{\"license\": {}}}", quoted(s)).into_bytes(),
            ),
            "stall" => {
                conn.send(format!("HTTP/1.1 200 OK\r\ncontent-length: 10000\r\n\r\n{{\"echo\": {}", quoted(s)).as_bytes());
                conn.stall(Duration::from_secs(60));
                return;
            }
            "reset" => {
                conn.send(format!("HTTP/1.1 200 OK\r\ncontent-length: 10000\r\n\r\n{{\"echo\": {}", quoted(s)).as_bytes());
                std::thread::sleep(Duration::from_millis(200));
                conn.reset();
                return;
            }
            cut if cut.starts_with("cut-") => {
                // `cut-FORM-N`: the 16 MiB limit falls N bytes into the secret's FORM.
                let mut parts = cut.splitn(3, '-').skip(1);
                let (form, n) = (parts.next().unwrap_or(""), parts.next().unwrap_or("0").parse::<usize>().unwrap_or(0));
                let encoded = match form {
                    "raw" => s.to_string(),
                    "json" => quoted(s),
                    "uall" => s.encode_utf16().map(|u| format!("\\u{u:04x}")).collect(),
                    "pct" => s.bytes().map(|b| format!("%{b:02X}")).collect(),
                    _ => b64(s),
                };
                let limit = 16usize << 20;
                let mut body = vec![b'x'; limit - n];
                body.extend_from_slice(encoded.as_bytes());
                body.extend(std::iter::repeat_n(b'y', 1024));
                ("200 OK", vec![], body)
            }
            _ => ("200 OK", vec![], b"{}".to_vec()),
        };
        let mut all: Vec<(&str, &str)> = json_headers.to_vec();
        all.extend(headers.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        conn.answer(status, &all, &body);
    })
}

#[test]
fn send_never_shows_a_secret_a_server_echoes() {
    let suite = Suite::new();
    let values = suite.values();
    let license = suite.license_file();
    let key = suite.c("file-license").to_string();
    let server = echo_server(key.clone(), suite.c("token").to_string());
    let base = server.url();
    let modes = [
        "raw",
        "json",
        "json-twice",
        "u-all",
        "u-some",
        "pct-all",
        "pct-some",
        "b64-std-0",
        "b64-std-1",
        "b64-std-2",
        "b64-url-0",
        "b64-url-1",
        "b64-url-2",
        "request",
        "request-nested",
        "headers",
        "jwt",
    ];
    let formats: [&[&str]; 4] = [&["-o", "table"], &["-o", "json"], &["-o", "yaml"], &["-v"]];
    for mode in modes {
        for format in formats {
            suite.check(
                run(
                    format!("send verify, server echoes {mode}, {format:?}"),
                    &["send", "verify", "--retries", "0", "--timeout", "10"],
                )
                .args(&[
                    "--url",
                    &format!("{base}/{mode}"),
                    "--license-file",
                    &license,
                    "-f",
                    &values,
                ])
                .args(format),
            );
        }
    }
    // The license from the environment and from the values, on the plainest echoes.
    for mode in ["raw", "json", "u-all", "request"] {
        let env_server = echo_server(suite.c("env-license").to_string(), "sig".into());
        suite.check(
            run(
                format!("send verify, $LANGSMITH_LICENSE_KEY echoed {mode}"),
                &["send", "verify", "--retries", "0", "-o", "json"],
            )
            .args(&["--url", &format!("{}/{mode}", env_server.url())])
            .env("LANGSMITH_LICENSE_KEY", suite.c("env-license")),
        );
        let values_server = echo_server(suite.c("values-license").to_string(), "sig".into());
        suite.check(
            run(
                format!("send verify, values license echoed {mode}"),
                &["send", "verify", "--retries", "0", "-o", "json"],
            )
            .args(&[
                "--url",
                &format!("{}/{mode}", values_server.url()),
                "-f",
                &values,
            ]),
        );
    }
    // OTLP partialSuccess.errorMessage, on the three OTLP endpoints.
    for id in ["metrics", "traces", "logs"] {
        for mode in ["otlp", "otlp-u"] {
            for format in formats {
                suite.check(
                    run(
                        format!("send {id}, errorMessage {mode}, {format:?}"),
                        &["send", id, "--synthetic", "--retries", "0"],
                    )
                    .args(&[
                        "--url",
                        &format!("{base}/{mode}"),
                        "--license-file",
                        &license,
                    ])
                    .args(format),
                );
            }
        }
    }
    // Failure paths: 4xx, 5xx, a redirect to where the license would go, a body
    // that stalls or breaks after the secret.
    for mode in ["e404", "e503", "redirect", "stall", "reset"] {
        for format in [&["-o", "table"][..], &["-o", "json"], &["-v"]] {
            suite.check(
                run(
                    format!("send verify fails ({mode}), {format:?}"),
                    &["send", "verify", "--retries", "1", "--timeout", "2"],
                )
                .args(&[
                    "--url",
                    &format!("{base}/{mode}"),
                    "--license-file",
                    &license,
                ])
                .args(format),
            );
        }
    }
    // Cut at the 16 MiB limit, a few bytes into the secret, in every form.
    for form in ["raw", "json", "uall", "pct", "b64"] {
        for n in [9, 17, 40] {
            for format in [&["-o", "json"][..], &["-o", "table"]] {
                suite.check(
                    run(
                        format!("send, a body cut {n} bytes into the {form} secret, {format:?}"),
                        &["send", "verify", "--retries", "0", "--timeout", "30"],
                    )
                    .args(&[
                        "--url",
                        &format!("{base}/cut-{form}-{n}"),
                        "--license-file",
                        &license,
                    ])
                    .args(format)
                    .only(&["file-license"]),
                );
            }
        }
    }
    // --reveal-secrets shows the license (and the echo of it).
    suite.check(
        run(
            "send --reveal-secrets",
            &[
                "send",
                "verify",
                "--reveal-secrets",
                "--retries",
                "0",
                "-o",
                "json",
            ],
        )
        .args(&["--url", &format!("{base}/json"), "--license-file", &license])
        .reveal(&key),
    );
    suite.finish("send");
}

/// A forward proxy that answers a plain-http request itself, echoing the
/// credentials it was given: the `Proxy-Authorization` header, and decoded.
fn echoing_proxy(status: &'static str) -> Hostile {
    Hostile::start(move |mut conn: Conn| {
        let request = conn.read_request();
        let auth = request
            .header("proxy-authorization")
            .unwrap_or("")
            .to_string();
        let decoded = auth
            .strip_prefix("Basic ")
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let body = format!(
            "{{\"proxy_authorization\": {}, \"credentials\": {}, \"raw\": \"{decoded}\"}}",
            quoted(&auth),
            quoted(&decoded)
        );
        conn.answer(
            status,
            &[("content-type", "application/json"), ("x-echo", &auth)],
            body.as_bytes(),
        );
    })
}

#[test]
fn proxy_credentials_never_show_even_when_the_proxy_echoes_them() {
    let suite = Suite::new();
    let values = suite.values();
    let echo = echoing_proxy("200 OK");
    let refuse = echoing_proxy("407 Proxy Authentication Required");
    let target = "http://127.0.0.1:9/base";
    // Usable URLs: the special characters percent-encoded, as a URL needs them.
    let usable = |tag: &str, proxy: &Hostile| {
        format!(
            "http://proxyuser:{}@127.0.0.1:{}",
            percent_some(suite.c(tag)),
            proxy.addr.port()
        )
    };
    let formats: [&[&str]; 4] = [&["-o", "table"], &["-o", "json"], &["-o", "yaml"], &["-v"]];
    for (proxy, what) in [(&echo, "echoes"), (&refuse, "refuses and echoes")] {
        for format in formats {
            let flag = usable("flag-proxy", proxy);
            suite.check(
                run(
                    format!("--proxy that {what}, {format:?}"),
                    &[
                        "send",
                        "metrics",
                        "--synthetic",
                        "--retries",
                        "0",
                        "--url",
                        target,
                        "--proxy",
                        &flag,
                    ],
                )
                .args(format),
            );
            let env = usable("env-proxy", proxy);
            suite.check(
                run(
                    format!("$http_proxy that {what}, {format:?}"),
                    &[
                        "send",
                        "metrics",
                        "--synthetic",
                        "--retries",
                        "0",
                        "--url",
                        target,
                        "-f",
                        &values,
                    ],
                )
                .args(format)
                .env("http_proxy", &env),
            );
            let noscheme = format!(
                "proxyuser:{}@127.0.0.1:{}",
                percent_some(suite.c("env-proxy-noscheme")),
                proxy.addr.port()
            );
            suite.check(
                run(
                    format!("$all_proxy without a scheme that {what}, {format:?}"),
                    &[
                        "send",
                        "metrics",
                        "--synthetic",
                        "--retries",
                        "0",
                        "--url",
                        target,
                    ],
                )
                .args(format)
                .env("all_proxy", &noscheme),
            );
        }
    }
    // Written raw, the characters break the URL: the errors must not show it.
    for (var, tag) in [
        ("https_proxy", "env-proxy"),
        ("ALL_PROXY", "env-proxy-noscheme"),
    ] {
        let raw = format!("http://proxyuser:{}@127.0.0.1:9", suite.c(tag));
        suite.check(
            run(
                format!("${var} with raw special characters"),
                &[
                    "send",
                    "metrics",
                    "--synthetic",
                    "--retries",
                    "0",
                    "--url",
                    "https://127.0.0.1:9",
                ],
            )
            .env(var, &raw),
        );
    }
    let raw = format!("http://proxyuser:{}@127.0.0.1:9", suite.c("flag-proxy"));
    suite.check(run(
        "--proxy with raw special characters",
        &[
            "send",
            "metrics",
            "--synthetic",
            "--url",
            target,
            "--proxy",
            &raw,
        ],
    ));
    let raw_noscheme = format!("proxyuser:{}@127.0.0.1:9", suite.c("flag-proxy"));
    suite.check(run(
        "--proxy without a scheme, raw",
        &[
            "send",
            "metrics",
            "--synthetic",
            "--url",
            target,
            "--proxy",
            &raw_noscheme,
        ],
    ));
    // Refused, TLS failure and timeout, with every source in force.
    let license = suite.license_file();
    let unknown_ca = TestServer::start_tls(TestPki::new().server, |_, _| Reply::json(200, "{}"));
    let stall = Hostile::start(|c: Conn| c.stall(Duration::from_secs(60)));
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    for (what, url) in [
        ("refused", format!("http://127.0.0.1:{closed}")),
        ("TLS failure", unknown_ca.https_url()),
        ("timeout", format!("http://127.0.0.1:{}", stall.addr.port())),
    ] {
        for format in [&["-o", "table"][..], &["-o", "json"], &["-v"]] {
            suite.check(
                run(
                    format!("send verify, {what}, {format:?}"),
                    &[
                        "send",
                        "verify",
                        "--retries",
                        "1",
                        "--timeout",
                        "2",
                        "--url",
                        &url,
                        "--license-file",
                        &license,
                        "-f",
                        &values,
                    ],
                )
                .args(format)
                .env("LANGSMITH_LICENSE_KEY", suite.c("env-license")),
            );
        }
    }
    suite.finish("proxies");
}

#[test]
fn validate_never_shows_the_license_it_finds() {
    let suite = Suite::new();
    let values = suite.values();
    let license = suite.license_file();
    for (source, key) in [
        ("file", "file-license"),
        ("env", "env-license"),
        ("values", "values-license"),
    ] {
        let l = quoted(suite.c(key));
        let traces = suite.write(
            &format!("traces-{source}.json"),
            format!(
                r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":{l},"value":{{"stringValue":{again}}}}}]}},"scopeSpans":[{{"scope":{{"name":{l}}},"spans":[{{"traceId":{l},"spanId":{l},"parentSpanId":{l},"name":{l},"kind":{l},"startTimeUnixNano":{l},"endTimeUnixNano":"1","status":{{"code":{l}}},{l}:1}}]}}]}}]}}"#,
                again = quoted(&format!("{0} and again {0}", suite.c(key)))
            ),
        );
        let metrics = suite.write(
            &format!("metrics-{source}.json"),
            format!(
                r#"{{"resourceMetrics":[{{"scopeMetrics":[{{"metrics":[{{"name":{l},"unit":{l},"sum":{{"aggregationTemporality":{l},"isMonotonic":{l},"dataPoints":[{{"asInt":{l},"timeUnixNano":{l},"attributes":[{{"key":{l},"value":{{"intValue":{l}}}}}]}}]}}}}]}}]}}]}}"#
            ),
        );
        let ingest = suite.write(
            &format!("ingest-{source}.json"),
            format!(
                r#"{{"license":{l},"trace_transactions":[{{"id":{l},"tenant_id":{l},"session_id":{l},"trace_count":{l},"start_insertion_time":{l},"end_insertion_time":{l},"start_interval_time":{l},"end_interval_time":{l},"status":{l},"num_failed_send_attempts":{l},"transaction_type":{l},"organization_id":{l},{l}:{l}}}]}}"#
            ),
        );
        let not_json = suite.write(
            &format!("broken-{source}.json"),
            format!("{{\"license\": {l}, \"x\": [1, 2"),
        );
        for format in ["table", "json", "yaml"] {
            for (id, body) in [
                ("traces", &traces),
                ("metrics", &metrics),
                ("ingest-traces", &ingest),
                ("traces", &not_json),
            ] {
                let mut r = run(
                    format!("validate {id} {body}, license from {source}, -o {format}"),
                    &["validate", id, body, "-o", format],
                );
                r = match source {
                    "file" => r.args(&["--license-file", &license]),
                    "env" => r.env("LANGSMITH_LICENSE_KEY", suite.c("env-license")),
                    _ => r.args(&["-f", &values]),
                };
                suite.check(r);
            }
        }
    }
    suite.check(run(
        "validate --all-samples with the license",
        &[
            "validate",
            "--all-samples",
            "--license-file",
            &license,
            "-f",
            &values,
        ],
    ));
    suite.finish("validate");
}
