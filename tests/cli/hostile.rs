//! The hostile-input suite (issue 10): values files, payloads, flags, environment
//! variables and server replies built to break beacon-cli.
//!
//! Every case runs under an address-space limit (`beacon_capped`) and a
//! wall-clock limit the test enforces (the child is killed by its own pid if it
//! overruns), and asserts the exit code of the README's table, a first standard
//! error line `error: ...` naming the input where it is an error, no panic, no
//! canary, and nothing half-written: no standard output on invalid input, a whole
//! JSON document from `send -o json`, no file left behind. Each case's time and
//! peak memory are printed (`cargo test --test cli hostile:: -- --nocapture`).

use crate::common;

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use common::bounded::{Bounded, During, Stdin, files_in, run_bounded_with};
use common::hostile::{Conn, Hostile};
use common::proxy::free_port;
use common::server::{Reply, TestPki, TestServer};
use common::{CANARY, capped_command, fixture};
use serde_json::Value;

/// The address space every case runs in: enough for beacon-cli at its caps
/// (256 MiB read, 256 MiB inflated), far too little for an unbounded input.
const CAP_KIB: u64 = 2_500_000;

/// Wall-clock limits. Tests run the debug build, about ten times slower than
/// release: these leave room for it on 2 cores, and still catch anything
/// unbounded (issue 10 saw minutes, and gigabytes).
const QUICK: Duration = Duration::from_secs(20);
const SLOW: Duration = Duration::from_secs(300);

type Check = Box<dyn Fn(&Bounded)>;

/// One hostile case.
struct Case {
    name: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Stdin,
    code: i32,
    /// Where it is an error: what the first `error:` line must name.
    names: Option<String>,
    wall: Duration,
    check: Option<Check>,
    during: Option<During>,
}

fn case(name: &str, args: &[&str]) -> Case {
    case_owned(name, args.iter().map(|a| a.to_string()).collect())
}

fn case_owned(name: &str, args: Vec<String>) -> Case {
    Case {
        name: name.to_string(),
        args,
        env: Vec::new(),
        stdin: Stdin::Null,
        code: 0,
        names: None,
        wall: QUICK,
        check: None,
        during: None,
    }
}

impl Case {
    /// Exits with `code`, no error line required (success, findings).
    fn exits(mut self, code: i32) -> Self {
        self.code = code;
        self
    }

    /// Fails with `code`; the first standard error line is `error: ...` naming `what`.
    fn fails(mut self, code: i32, what: &str) -> Self {
        self.code = code;
        self.names = Some(what.to_string());
        self
    }

    fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Stdin::Bytes(bytes.into());
        self
    }

    fn slow(mut self) -> Self {
        self.wall = SLOW;
        self
    }

    fn check(mut self, check: impl Fn(&Bounded) + 'static) -> Self {
        self.check = Some(Box::new(check));
        self
    }

    fn during(mut self, during: impl FnOnce() + Send + 'static) -> Self {
        self.during = Some(Box::new(during));
        self
    }
}

/// Fails the case with a message, unless `cond` holds.
macro_rules! ensure {
    ($cond:expr, $($why:tt)+) => {
        if !$cond {
            return Err(format!($($why)+));
        }
    };
}

/// Runs every case in `dir` and fails with the list of those that broke a rule.
fn run_all(dir: &Path, cases: Vec<Case>) {
    let mut failures = Vec::new();
    for case in cases {
        let name = case.name.clone();
        match run_one(dir, case) {
            Ok(out) => report(&name, &out),
            Err(why) => failures.push(format!("{name}: {why}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} hostile case(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[allow(clippy::print_stderr)]
fn report(name: &str, out: &Bounded) {
    eprintln!(
        "hostile {name:<48} exit {:>3}  {:>7.2} s  peak {:>8} KiB",
        out.code.map_or("sig".to_string(), |c| c.to_string()),
        out.elapsed.as_secs_f64(),
        out.peak_rss_kib
    );
}

fn run_one(dir: &Path, case: Case) -> Result<Bounded, String> {
    let before = files_in(dir);
    let mut cmd = capped_command(dir, CAP_KIB);
    cmd.args(&case.args);
    for (k, v) in &case.env {
        cmd.env(k, v);
    }
    let out = run_bounded_with(cmd, case.stdin, case.wall, case.during);
    let context = format!(
        "args {:?}\nexit {:?}\nstderr:\n{}\nstdout ({} bytes):\n{}",
        case.args
            .iter()
            .map(|a| a.chars().take(200).collect::<String>())
            .collect::<Vec<_>>(),
        out.code,
        out.stderr.chars().take(4000).collect::<String>(),
        out.stdout_len,
        out.stdout.chars().take(2000).collect::<String>()
    );
    ensure!(
        !out.overran,
        "ran past its {:?} wall-clock limit, killed by its pid: {context}",
        case.wall
    );
    ensure!(
        out.code.is_some(),
        "killed by a signal (an allocation past the address-space cap aborts): {context}"
    );
    ensure!(!out.stderr.contains("panicked"), "panicked: {context}");
    ensure!(
        !out.stdout.contains(CANARY) && !out.stderr.contains(CANARY),
        "a canary leaked: {context}"
    );
    ensure!(
        out.code == Some(case.code),
        "exit code {:?}, expected {}: {context}",
        out.code,
        case.code
    );
    if let Some(what) = &case.names {
        let first = out.stderr.lines().next().unwrap_or_default();
        ensure!(
            first.starts_with("error: "),
            "the first line of standard error is not `error: ...`: {context}"
        );
        ensure!(
            first.contains(what.as_str()),
            "the error does not name `{what}`: {context}"
        );
    }
    if case.code == 2 {
        ensure!(
            out.stdout_len == 0,
            "invalid input, yet standard output: {context}"
        );
    }
    if case.args.first().map(String::as_str) == Some("send")
        && case.args.iter().any(|a| a == "json")
        && case.code != 2
    {
        if let Err(e) = serde_json::from_str::<Value>(&out.stdout) {
            return Err(format!(
                "send -o json wrote half a document ({e}): {context}"
            ));
        }
    }
    ensure!(files_in(dir) == before, "a file was left behind: {context}");
    if let Some(check) = &case.check {
        let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&out)));
        ensure!(checked.is_ok(), "its own check failed (above): {context}");
    }
    Ok(out)
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> String {
    std::fs::write(dir.join(name), bytes).unwrap();
    name.to_string()
}

/// The JSON of a run's standard output.
fn json(out: &Bounded) -> Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

/// The enabled flag of one endpoint in `show-config -o json`.
fn enabled(out: &Bounded, id: &str) -> bool {
    json(out)["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap()["enabled"]
        .as_bool()
        .unwrap()
}

/// A gzip stream of `n` MiB of zeros, a few hundred KiB compressed.
fn gzip_bomb(mib: usize) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..mib {
        gz.write_all(&zeros).unwrap();
    }
    gz.finish().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// A protobuf length-delimited field.
fn field(number: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![(number << 3) | 2];
    let mut n = payload.len();
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    }
    out.extend_from_slice(payload);
    out
}

#[test]
fn hostile_values_files_and_set_flags() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let huge_line = write(
        d,
        "huge-line.yaml",
        format!("config:\n  note: \"{}\"\n", "a".repeat(30 << 20)),
    );
    let over_cap = write(
        d,
        "over-cap.yaml",
        format!("# {}\n", "x".repeat((64 << 20) + 10)),
    );
    let deep_flow = write(
        d,
        "deep-flow.yaml",
        format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000)),
    );
    let deep_block = write(
        d,
        "deep-block.yaml",
        (0..5000)
            .map(|i| format!("{}a:\n", "  ".repeat(i)))
            .collect::<String>(),
    );
    let mut laughs = vec!["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]".to_string()];
    for i in 1..10u8 {
        let (prev, this) = ((b'a' + i - 1) as char, (b'a' + i) as char);
        laughs.push(format!(
            "{this}: &{this} [{}]",
            vec![format!("*{prev}"); 9].join(", ")
        ));
    }
    let laughs = write(d, "laughs.yaml", laughs.join("\n") + "\n");
    let mut merges = vec!["m0: &m0 {x: 1, y: 2}".to_string()];
    for i in 1..40 {
        merges.push(format!(
            "m{i}: &m{i} {{<<: [*m{p}, *m{p}], k{i}: 1}}",
            p = i - 1
        ));
    }
    let merge_bomb = write(d, "merge-bomb.yaml", merges.join("\n") + "\n");
    let mut chain = vec!["m0: &m0 {x0: 1}".to_string()];
    for i in 1..200 {
        chain.push(format!("m{i}: &m{i} {{<<: *m{p}, x{i}: 1}}", p = i - 1));
    }
    chain.push("config:\n  <<: *m199\n  telemetry:\n    metrics: false".to_string());
    let merge_chain = write(d, "merge-chain.yaml", chain.join("\n") + "\n");
    let env_of = |entries: usize| {
        let mut env = String::from("commonEnv:\n");
        for i in 0..entries {
            env.push_str(&format!("  - {{name: VAR_{i}, value: \"v\"}}\n"));
        }
        env.push_str("  - {name: BEACON_METRICS_ENABLED, value: \"false\"}\n");
        env
    };
    // Each entry is five values (the mapping, two keys, two values): 300,000 stay
    // under the reader's 2,000,000, 450,000 pass it at entry 400,000.
    let env_300k = write(d, "env-300k.yaml", env_of(300_000));
    let env_450k = write(d, "env-450k.yaml", env_of(450_000));
    let bad_utf8 = write(d, "bad-utf8.yaml", b"config:\n  a: x\xffy\n");
    let nul = write(d, "nul.yaml", b"config:\n  a: \"x\0y\"\n");
    let bom = write(
        d,
        "bom.yaml",
        "\u{feff}config:\n  telemetry:\n    metrics: false\n",
    );
    let crlf = write(
        d,
        "crlf.yaml",
        "config:\r\n  telemetry:\r\n    metrics: false\r\n    traces: \"no\"\r\n",
    );
    let list = write(d, "list.yaml", "- config\n- commonEnv\n");
    let tabs = write(d, "tabs.yaml", "config:\n\ttelemetry: {}\n");
    let mut dups = String::from("config:\n");
    for _ in 0..100_000 {
        dups.push_str("  apiKeySalt: x\n");
    }
    let dups = write(d, "dups.yaml", dups);
    std::fs::create_dir(d.join("a-directory")).unwrap();
    let fifo = d.join("values.fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let junk = write(
        d,
        "junk.bin",
        (0..=255u8).cycle().take(100_000).collect::<Vec<_>>(),
    );
    let scalar = write(d, "scalar.yaml", "just a string\n---\n42\n");
    let deep_manifest = write(
        d,
        "deep-manifest.yaml",
        format!("kind: {}{}\n", "{a: ".repeat(50_000), "}".repeat(50_000)),
    );
    let index_bomb = format!("a{}=1", "[10000]".repeat(5000));
    let deep_set = format!("{}=1", vec!["a"; 200].join("."));
    // Found while checking the README's caps against the code: each key was capped,
    // their sum was not (2,000 keys of 10,000 items: 20 million nodes from 28 KB).
    let many_lists = |from: usize, to: usize| {
        (from..to)
            .map(|i| format!("k{i}[9999]=1"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let wide_set = many_lists(0, 2000);
    let (half_set, half_set_string) = (many_lists(0, 6), many_lists(6, 12));
    let long_version = "9".repeat(100_000);
    let long_set = format!("config.note={}", "v".repeat(100_000));
    let fifo_writer = fifo.clone();

    let cases = vec![
        case("values: a 30 MiB line", &["show-config", "-f", &huge_line]).slow(),
        case(
            "values: past the 64 MiB cap",
            &["show-config", "-f", &over_cap],
        )
        .fails(2, "larger than the 64 MiB limit"),
        case(
            "values: 100,000 `[` deep",
            &["show-config", "-f", &deep_flow],
        )
        .fails(2, "`deep-flow.yaml`:1:"),
        case(
            "values: 5,000 mappings deep",
            &["show-config", "-f", &deep_block],
        )
        .fails(2, "`deep-block.yaml`:"),
        case(
            "values: alias bomb (billion laughs)",
            &["show-config", "-f", &laughs],
        )
        .fails(2, "`laughs.yaml`:")
        .slow(),
        case(
            "values: `<<` merge bomb",
            &["show-config", "-f", &merge_bomb],
        )
        .fails(2, "`merge-bomb.yaml`:"),
        case(
            "values: a chain of 200 `<<` merges",
            &["show-config", "-f", &merge_chain, "-o", "json"],
        )
        .check(|out| assert!(!enabled(out, "metrics"), "the merged key is read")),
        case(
            "values: past 2,000,000 values, in a 450,000-entry commonEnv",
            &["show-config", "-f", &env_450k],
        )
        .slow()
        .fails(2, "`env-450k.yaml`:400001:"),
        case(
            "values: a 300,000-entry commonEnv",
            &["show-config", "-f", &env_300k, "-o", "json"],
        )
        .slow()
        .check(|out| {
            let report = json(out);
            let langsmith = report["workloads"]
                .as_array()
                .unwrap()
                .iter()
                .find(|w| w["name"] == "langsmith")
                .unwrap()
                .clone();
            assert_eq!(
                langsmith["endpoints"]["metrics"], false,
                "the last entry is read"
            );
        }),
        case(
            "values: invalid UTF-8 mid-file",
            &["show-config", "-f", &bad_utf8],
        )
        .fails(2, "`bad-utf8.yaml`:2:7: not UTF-8"),
        case("values: a NUL byte", &["show-config", "-f", &nul]).fails(2, "`nul.yaml`:2:"),
        case("values: a directory", &["show-config", "-f", "a-directory"])
            .fails(2, "`a-directory` is a directory"),
        case(
            "values: a FIFO whose writer comes late",
            &["show-config", "-f", "values.fifo", "-o", "json"],
        )
        .during(move || {
            // beacon-cli waits for a writer, as cat does; it then reads what comes.
            std::thread::sleep(Duration::from_millis(500));
            let mut writer = std::fs::OpenOptions::new()
                .write(true)
                .open(&fifo_writer)
                .unwrap();
            writer
                .write_all(b"config:\n  telemetry:\n    metrics: false\n")
                .unwrap();
        })
        .check(|out| assert!(!enabled(out, "metrics"))),
        case("values: /dev/zero", &["show-config", "-f", "/dev/zero"])
            .fails(2, "`/dev/zero` is larger than the 64 MiB limit"),
        case(
            "values: empty standard input",
            &["show-config", "-f", "-", "-o", "json"],
        )
        .stdin("")
        .fails(2, "standard input (`-f -`) is empty"),
        case(
            "values: a byte-order mark",
            &["show-config", "-f", &bom, "-o", "json"],
        )
        .check(|out| {
            assert!(
                !enabled(out, "metrics"),
                "the BOM is not part of the first key"
            )
        }),
        case(
            "values: CRLF line ends",
            &["show-config", "-f", &crlf, "-o", "json"],
        )
        .exits(3)
        .check(|out| {
            assert!(!enabled(out, "metrics"));
            let error = &json(out)["errors"][0];
            assert_eq!(error["code"], "quoted-boolean", "{error}");
            assert_eq!(error["line"], 4, "CRLF counts one line: {error}");
        }),
        case(
            "values: the top level is a list",
            &["show-config", "-f", &list],
        )
        .fails(2, "`list.yaml`:1:1"),
        case("values: tab indentation", &["show-config", "-f", &tabs]).fails(2, "`tabs.yaml`:2:"),
        case(
            "values: one key written 100,000 times",
            &["show-config", "-f", &dups, "-o", "json"],
        )
        .check(|out| {
            assert_eq!(
                json(out)["warnings"].as_array().unwrap().len(),
                100_000,
                "one per duplicate, and usage-snapshot"
            )
        }),
        case(
            "values: a file that is not there",
            &["show-config", "-f", "nowhere.yaml"],
        )
        .fails(2, "`nowhere.yaml`: no such file"),
        case("values: $LANGSMITH_CONFIG is /dev/zero", &["show-config"])
            .env("LANGSMITH_CONFIG", "/dev/zero")
            .fails(2, "larger than the 64 MiB limit"),
        case("values: $LANGSMITH_CONFIG is a directory", &["show-config"])
            .env("LANGSMITH_CONFIG", "a-directory")
            .fails(2, "is a directory"),
        case(
            "values: `-f -` twice",
            &["show-config", "-f", "-", "-f", "-"],
        )
        .stdin("config: {}\n")
        .fails(2, "`-f -` is given twice"),
        case(
            "--set: `a[10000]` nested 5,000 times",
            &["show-config", "--set", &index_bomb],
        )
        .fails(2, "invalid `--set`"),
        case(
            "--set: an index past 10,000",
            &["show-config", "--set", "a[10001]=1"],
        )
        .fails(2, "invalid `--set`"),
        case(
            "--set: 110,000 list items in one key",
            &[
                "show-config",
                "--set",
                "a[9999][9999][9999][9999][9999][9999][9999][9999][9999][9999][9999]=1",
            ],
        )
        .fails(2, "invalid `--set`"),
        case(
            "--set: 10,000 list items in each of 2,000 keys",
            &["show-config", "--set", &wide_set],
        )
        .fails(2, "together would create more than 100000 list items"),
        case(
            "--set and --set-string: 60,000 list items each",
            &[
                "show-config",
                "--set",
                &half_set,
                "--set-string",
                &half_set_string,
            ],
        )
        .fails(2, "invalid `--set-string`"),
        case(
            "--set: 200 levels of keys",
            &["show-config", "--set", &deep_set],
        )
        .fails(2, "nests deeper than 128 levels"),
        case(
            "--set: an index too large for any integer",
            &["show-config", "--set", "a[99999999999999999999]=1"],
        )
        .fails(2, "invalid `--set`"),
        case(
            "--set: `key:value` typo",
            &[
                "show-config",
                "--set",
                "config.langsmithLicenseKey:lic-CANARY-typo",
            ],
        )
        .fails(2, "has no `=VALUE`"),
        case(
            "--set: an unclosed `{`",
            &["show-config", "--set", "config.x={lic-CANARY-brace,b"],
        )
        .fails(2, "invalid `--set`"),
        case(
            "--set: a 100 KB value",
            &["show-config", "--set-string", &long_set],
        ),
        case(
            "--chart-version: garbage",
            &["show-config", "--chart-version", "garbage!!"],
        )
        .fails(2, "`--chart-version garbage!!`"),
        case(
            "--chart-version: a number past u64",
            &[
                "show-config",
                "--chart-version",
                "99999999999999999999999.1.1",
            ],
        )
        .fails(2, "--chart-version"),
        case(
            "--chart-version: 100,000 digits",
            &["show-config", "--chart-version", &long_version],
        )
        .fails(2, "--chart-version"),
        case(
            "--manifests: binary junk",
            &["show-config", "--manifests", &junk],
        )
        .fails(2, "`junk.bin`:2:118: not UTF-8 text"),
        case(
            "--manifests: /dev/zero",
            &["show-config", "--manifests", "/dev/zero"],
        )
        .fails(2, "larger than the 256 MiB limit"),
        case(
            "--manifests: scalars, not objects",
            &["show-config", "--manifests", &scalar, "-o", "json"],
        )
        .fails(2, "`scalar.yaml`:1:1: a manifest is a Kubernetes object"),
        case(
            "--manifests: 50,000 levels deep",
            &["show-config", "--manifests", &deep_manifest],
        )
        .fails(2, "`deep-manifest.yaml`:1:"),
        case(
            "--manifests: beside -f",
            &["show-config", "--manifests", &scalar, "-f", &crlf],
        )
        .fails(2, "`--manifests`"),
        case(
            "--manifests: a directory",
            &["show-config", "--manifests", "a-directory"],
        )
        .fails(2, "is a directory"),
    ];
    run_all(d, cases);
}

#[test]
fn hostile_payloads_and_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let trace = std::fs::read(fixture("otlp-examples/trace.json")).unwrap();
    let bomb = write(d, "bomb.gz", gzip_bomb(300));
    let mut trailing = gzip(&trace);
    trailing.extend_from_slice(b"garbage after the stream");
    let trailing = write(d, "trailing.gz", trailing);
    let whole = gzip(&trace);
    let truncated = write(d, "truncated.gz", &whole[..whole.len() - 10]);
    let plain = write(d, "trace.json", &trace);
    let spans = b"\x12\x00".repeat(1_000_000);
    let million = write(d, "million.pb", field(1, &field(2, &spans)));
    let junk_pb = write(
        d,
        "junk.pb",
        b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
    );
    let deep = write(
        d,
        "deep.json",
        format!("{}{}", "[".repeat(1_000_000), "]".repeat(1_000_000)),
    );
    let bad_escape = write(
        d,
        "bad-escape.json",
        r#"{"resourceSpans": [], "x": "\u+12"}"#,
    );
    let surrogate = write(
        d,
        "surrogate.json",
        r#"{"resourceSpans": [], "x": "\ud800\u0041"}"#,
    );
    let bom = write(d, "bom.json", "\u{feff}{\"resourceSpans\": []}");
    let spans: Vec<String> = (0..60_000)
        .map(|_| r#"{"traceId":"zz","spanId":"zz","name":"s"}"#.to_string())
        .collect();
    let findings = write(
        d,
        "findings.json",
        format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
            spans.join(",")
        ),
    );
    let huge_numbers = write(
        d,
        "huge-numbers.json",
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"s","kind":1e999,"startTimeUnixNano":1e999,"endTimeUnixNano":-1e999}]}]}]}"#,
    );
    let not_utf8 = write(
        d,
        "not-utf8.json",
        b"{\"resourceSpans\": [], \"x\": \"\xff\xfe\"}",
    );
    let empty = write(d, "empty.json", "");
    let not_json = write(d, "not-json.json", "{\"license\": \"lic-CANARY-payload\",");
    let big_number = write(
        d,
        "big-number.json",
        r#"{"license": "<YOUR_LICENSE_KEY>", "n": 1e999}"#,
    );

    let cases = vec![
        case("validate: a gzip bomb", &["validate", "traces", &bomb])
            .fails(2, "`bomb.gz` inflates to more than 256 MiB"),
        case(
            "validate: gzip, then garbage",
            &["validate", "traces", &trailing],
        )
        .fails(2, "`trailing.gz`"),
        case(
            "validate: gzip cut short",
            &["validate", "traces", &truncated],
        )
        .fails(2, "`truncated.gz` is not valid gzip"),
        case(
            "validate: --gzip on plain JSON",
            &["validate", "traces", &plain, "--gzip"],
        )
        .fails(2, "`trace.json`"),
        case(
            "validate: a million empty spans in protobuf",
            &[
                "validate", "traces", &million, "--format", "protobuf", "-o", "json",
            ],
        )
        .exits(3)
        .slow()
        .check(|out| {
            let report = json(out);
            // Five errors each (no trace id, span id, name, start or end time).
            assert_eq!(report["findings"].as_array().unwrap().len(), 100_000);
            assert_eq!(report["findings_omitted"]["errors"], 4_900_000);
        }),
        case(
            "validate: protobuf junk",
            &["validate", "traces", &junk_pb, "--format", "protobuf"],
        )
        .fails(2, "`junk.pb`"),
        case(
            "validate: protobuf for a billing endpoint",
            &["validate", "verify", &junk_pb, "--format", "protobuf"],
        )
        .fails(2, "protobuf"),
        case(
            "validate: a million `[` deep",
            &["validate", "traces", &deep],
        )
        .fails(2, "`deep.json`:1:129"),
        case("validate: `\\u+12`", &["validate", "traces", &bad_escape])
            .fails(2, "`bad-escape.json`:1:29"),
        case(
            "validate: a lone surrogate",
            &["validate", "traces", &surrogate],
        )
        .fails(2, "`surrogate.json`:1:29"),
        case(
            "validate: a byte-order mark",
            &["validate", "traces", &bom, "-o", "json"],
        )
        .exits(3)
        .check(|out| {
            let first = &json(out)["findings"][0];
            assert_eq!(first["code"], "json-bom", "named, not 'not JSON'");
            assert_eq!((&first["line"], &first["column"]), (&1.into(), &1.into()));
        }),
        case(
            "validate: 120,000 findings",
            &["validate", "traces", &findings, "-o", "json"],
        )
        .exits(3)
        .check(|out| {
            let report = json(out);
            // Four errors per span: two bad ids, no start time, no end time.
            assert_eq!(report["findings"].as_array().unwrap().len(), 100_000);
            assert_eq!(report["findings_omitted"]["errors"], 140_000);
        }),
        case(
            "validate: 1e999",
            &["validate", "traces", &huge_numbers, "-o", "json"],
        )
        .exits(3)
        .check(|out| {
            let codes: Vec<Value> = json(out)["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["code"].clone())
                .collect();
            assert!(
                codes.contains(&Value::from("int64-out-of-range")),
                "{codes:?}"
            );
        }),
        case("validate: not UTF-8", &["validate", "traces", &not_utf8])
            .fails(2, "`not-utf8.json`:1:29: not UTF-8"),
        case("validate: an empty file", &["validate", "traces", &empty])
            .fails(2, "`empty.json`:1:1"),
        case(
            "validate: empty standard input",
            &["validate", "traces", "-"],
        )
        .stdin("")
        .fails(2, "`<stdin>`"),
        case("validate: /dev/zero", &["validate", "traces", "/dev/zero"])
            .fails(2, "`/dev/zero` is larger than the 256 MiB limit"),
        case("validate: a directory", &["validate", "traces", "."]).fails(2, "is a directory"),
        case(
            "dry-run: a payload a million `[` deep",
            &["dry-run", "verify", "--payload", &deep],
        )
        .check(|out| assert!(out.stdout_len > 2_000_000, "valid JSON, sent byte for byte")),
        case(
            "dry-run: a payload that is not JSON",
            &["dry-run", "verify", "--payload", &not_json],
        )
        .fails(2, "`not-json.json`"),
        case(
            "dry-run: a payload with 1e999",
            &["dry-run", "verify", "--payload", &big_number],
        )
        .check(|out| assert!(out.stdout.contains("1e999"), "sent byte for byte")),
        case(
            "dry-run: an empty payload on standard input",
            &["dry-run", "verify", "--payload", "-"],
        )
        .stdin("")
        .fails(2, "<stdin>"),
        case(
            "dry-run: a payload from /dev/zero",
            &["dry-run", "verify", "--payload", "/dev/zero"],
        )
        .fails(2, "larger than the 256 MiB limit"),
        case(
            "dry-run: a gzip payload",
            &["dry-run", "verify", "--payload", &bomb],
        )
        .fails(2, "`bomb.gz`"),
        case(
            "dry-run: `-f -` and `--payload -`",
            &["dry-run", "verify", "-f", "-", "--payload", "-"],
        )
        .stdin("{}")
        .fails(2, "standard input is named twice"),
    ];
    run_all(d, cases);
}

#[test]
fn hostile_flags_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "license.txt", "lic-CANARY-hostile-flags\n");
    write(d, "empty.txt", "");
    write(d, "binary.txt", b"\xff\xfe\x00lic");
    write(
        d,
        "junk.pem",
        "-----BEGIN NOTHING-----\nnot a certificate\n",
    );
    std::fs::create_dir(d.join("a-directory")).unwrap();
    // A proxy that refuses everyone: where a proxy URL is used, this is where it goes.
    let refusing = Hostile::start(|mut conn: Conn| {
        conn.read_request();
        conn.answer("407 Proxy Authentication Required", &[], b"");
    });
    let target = format!("http://127.0.0.1:{}", free_port());
    let send = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = [
            "send",
            "metrics",
            "--synthetic",
            "--retries",
            "0",
            "-o",
            "json",
            "--url",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.push(target.clone());
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let long_url = format!("https://{}.example", "a".repeat(100_000));
    let proxy_port = refusing.addr.port();
    let no_scheme = format!("user:pw-CANARY-noscheme@127.0.0.1:{proxy_port}");
    let hash = format!("http://user:pw#CANARY-hash@127.0.0.1:{proxy_port}");
    let slash = format!("http://user:pw/CANARY-slash@127.0.0.1:{proxy_port}");
    let at = format!("http://user:pw@CANARY-at@127.0.0.1:{proxy_port}");
    // Found by fuzzing (fuzz/fuzz_targets/proxy_redact.rs): a `://` after the
    // credentials, or inside the password, was taken for the end of a scheme.
    let late_scheme = format!("user:pw-CANARY-late@127.0.0.1:{proxy_port}/?to=http://x");
    let scheme_in_pw = format!("user:pw-CANARY-pw://x@127.0.0.1:{proxy_port}");
    let big_license = "lic-".to_string() + &"k".repeat(100_000);

    let cases = vec![
        case(
            "--url: no scheme",
            &["dry-run", "verify", "--url", "beacon.example"],
        )
        .fails(2, "`--url`"),
        case(
            "--url: ftp",
            &["dry-run", "verify", "--url", "ftp://beacon.example"],
        )
        .fails(2, "`--url`"),
        case(
            "--url: no host",
            &["dry-run", "verify", "--url", "https://"],
        )
        .fails(2, "`--url`"),
        case(
            "--url: a query",
            &["dry-run", "verify", "--url", "https://beacon.example/?a=1"],
        )
        .fails(2, "`--url`"),
        case(
            "--url: an open bracket",
            &["dry-run", "verify", "--url", "http://[::1"],
        )
        .fails(2, "`--url`"),
        case(
            "--url: credentials",
            &[
                "dry-run",
                "verify",
                "--url",
                "https://u:pw-CANARY-url@beacon.example",
            ],
        )
        .fails(2, "`--url` carries credentials"),
        case(
            "--url: credentials and no scheme",
            &[
                "dry-run",
                "verify",
                "--url",
                "u:pw-CANARY-url@beacon.example",
            ],
        )
        .fails(2, "`--url`"),
        case(
            "--url: credentials with `#`",
            &[
                "dry-run",
                "verify",
                "--url",
                "https://u:pw#CANARY-url@beacon.example",
            ],
        )
        .fails(2, "`--url`"),
        case(
            "--url: 100 KB of host",
            &["dry-run", "verify", "--url", &long_url],
        ),
        case(
            "--url: a space in the host",
            &["dry-run", "verify", "--url", "https://bea con.example"],
        )
        .fails(2, "`--url`"),
        case_owned("--timeout 0", send(&["--timeout", "0"])).fails(2, "--timeout"),
        case_owned("--timeout nan", send(&["--timeout", "nan"])).fails(2, "--timeout"),
        case_owned("--timeout 1e9", send(&["--timeout", "1e9"])).fails(2, "--timeout"),
        case_owned("--timeout inf", send(&["--timeout", "inf"])).fails(2, "--timeout"),
        case_owned("--timeout 1e-300", send(&["--timeout", "1e-300"])).fails(2, "--timeout"),
        case_owned("--connect-timeout -1", send(&["--connect-timeout=-1"]))
            .fails(2, "--connect-timeout"),
        case_owned("--retries 11", send(&["--retries", "11"])).fails(2, "--retries"),
        case("$BEACON_URL empty", &["dry-run", "verify", "-o", "json"])
            .env("BEACON_URL", "")
            .check(|out| {
                assert_eq!(
                    json(out)["url"],
                    "https://beacon.langchain.com/v1/beacon/verify"
                )
            }),
        case("$BEACON_URL garbage", &["dry-run", "verify"])
            .env("BEACON_URL", "::garbage::")
            .fails(2, "`$BEACON_URL`"),
        case("$BEACON_URL credentials with `#`", &["dry-run", "verify"])
            .env("BEACON_URL", "https://u:pw#CANARY-env@beacon.example")
            .fails(2, "`$BEACON_URL`"),
        case("$BEACON_URL credentials, no scheme", &["dry-run", "verify"])
            .env("BEACON_URL", "u:pw-CANARY-env@beacon.example")
            .fails(2, "`$BEACON_URL`"),
        case_owned("proxy without a scheme: used, as curl does", send(&[]))
            .env("http_proxy", &no_scheme)
            .fails(6, "407"),
        case_owned("--proxy: a password with `#`", send(&["--proxy", &hash])).fails(2, "--proxy"),
        case_owned("--proxy: a password with `/`", send(&["--proxy", &slash])).fails(2, "--proxy"),
        case_owned("--proxy: a password with `@`", send(&["--proxy", &at])).fails(6, "407"),
        case_owned("proxy without a scheme, `://` in its path", send(&[]))
            .env("http_proxy", &late_scheme)
            .fails(6, "407"),
        case_owned(
            "--proxy without a scheme, `://` in the password",
            send(&["--proxy", &scheme_in_pw]),
        )
        .fails(2, "--proxy"),
        case_owned("$http_proxy: a password with `#`", send(&[]))
            .env("http_proxy", &hash)
            .fails(2, "http_proxy"),
        case_owned(
            "--proxy: socks5",
            send(&["--proxy", "socks5://127.0.0.1:1"]),
        )
        .fails(2, "--proxy"),
        case_owned("--proxy: garbage", send(&["--proxy", "::::"])).fails(2, "--proxy"),
        case(
            "$SSL_CERT_FILE: junk",
            &[
                "send",
                "metrics",
                "--synthetic",
                "--url",
                "https://127.0.0.1:9",
            ],
        )
        .env("SSL_CERT_FILE", "junk.pem")
        .fails(2, "$SSL_CERT_FILE"),
        case(
            "$SSL_CERT_FILE: /dev/zero",
            &[
                "send",
                "metrics",
                "--synthetic",
                "--url",
                "https://127.0.0.1:9",
            ],
        )
        .env("SSL_CERT_FILE", "/dev/zero")
        .fails(2, "larger than the 16 MiB limit"),
        case(
            "--cacert: a directory",
            &[
                "send",
                "metrics",
                "--synthetic",
                "--url",
                "https://127.0.0.1:9",
                "--cacert",
                "a-directory",
            ],
        )
        .fails(2, "is a directory"),
        case(
            "--license-file: /dev/zero",
            &["dry-run", "verify", "--license-file", "/dev/zero"],
        )
        .fails(2, "larger than the 64 KiB limit"),
        case(
            "--license-file: empty",
            &["dry-run", "verify", "--license-file", "empty.txt"],
        )
        .fails(2, "`empty.txt` is empty"),
        case(
            "--license-file: not UTF-8",
            &["dry-run", "verify", "--license-file", "binary.txt"],
        )
        .fails(2, "`binary.txt` is not UTF-8"),
        case(
            "$LANGSMITH_LICENSE_KEY: 100 KB",
            &["dry-run", "verify", "-o", "json"],
        )
        .env("LANGSMITH_LICENSE_KEY", &big_license),
        case("$LANGSMITH_CONFIG: not there", &["dry-run", "verify"])
            .env("LANGSMITH_CONFIG", "nowhere.yaml")
            .fails(2, "`nowhere.yaml`"),
    ];
    run_all(d, cases);
    assert!(refusing.connections() >= 2, "the proxies were used");
}

/// `send ID --synthetic --url URL -o json`, a short timeout, and no retries
/// unless the case adds them.
fn send(name: &str, id: &str, url: &str, extra: &[&str]) -> Case {
    let mut args: Vec<String> = ["send", id, "--synthetic", "--url", url]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if !extra.contains(&"-o") {
        args.extend(["-o".to_string(), "json".to_string()]);
    }
    if !extra.contains(&"--timeout") {
        args.extend(["--timeout".to_string(), "3".to_string()]);
    }
    if !extra.contains(&"--retries") {
        args.extend(["--retries".to_string(), "0".to_string()]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    case_owned(name, args)
}

/// The parsed `send -o json` report.
fn sent(out: &Bounded) -> Value {
    json(out)
}

/// A server that reads the request and then does `act`.
fn hostile(act: impl Fn(&mut Conn) + Send + Sync + 'static) -> Hostile {
    Hostile::start(move |mut conn: Conn| {
        conn.read_request();
        act(&mut conn);
    })
}

#[test]
fn hostile_servers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let head_then_stall = hostile(|c| {
        c.stall(Duration::from_secs(60));
    });
    let body_stalls = hostile(|c| {
        c.send(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"partial");
        c.stall(Duration::from_secs(60));
    });
    let body_resets = Hostile::start(|mut c: Conn| {
        c.read_request();
        c.send(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"partial");
        std::thread::sleep(Duration::from_millis(300));
        c.reset();
    });
    let body_short = hostile(|c| {
        c.send(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"short\"");
    });
    let bad_chunks = hostile(|c| {
        c.send(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nZZZ\r\nnot a chunk\r\n");
    });
    let closes = Hostile::start(drop);
    let garbage = hostile(|c| {
        c.send(b"\x00\x01\x02 not HTTP at all\r\n\r\n");
    });
    let huge_header = hostile(|c| {
        let mut head = b"HTTP/1.1 200 OK\r\nx-huge: ".to_vec();
        head.extend(std::iter::repeat_n(b'a', 2 << 20));
        head.extend_from_slice(b"\r\ncontent-length: 0\r\n\r\n");
        c.send(&head);
    });
    let many_headers = hostile(|c| {
        let mut head = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..10_000 {
            head.extend_from_slice(format!("x-h{i}: v\r\n").as_bytes());
        }
        head.extend_from_slice(b"content-length: 0\r\n\r\n");
        c.send(&head);
    });
    let huge_body = hostile(|c| {
        let size = 100usize << 20;
        c.send(format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {size}\r\n\r\n").as_bytes());
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..100 {
            if !c.send(&chunk) {
                break;
            }
        }
    });
    let retry_forever_503 = hostile(|c| {
        c.answer(
            "503 Service Unavailable",
            &[("retry-after", "18446744073709551615")],
            b"",
        );
    });
    let retry_forever_429 = hostile(|c| {
        c.answer(
            "429 Too Many Requests",
            &[("retry-after", "18446744073709551615")],
            b"",
        );
    });
    let retry_date_503 = hostile(|c| {
        c.answer(
            "503 Service Unavailable",
            &[("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT")],
            b"",
        );
    });
    let retry_date_429 = hostile(|c| {
        c.answer(
            "429 Too Many Requests",
            &[("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT")],
            b"",
        );
    });
    let retry_garbage = hostile(|c| {
        c.answer(
            "503 Service Unavailable",
            &[("retry-after", "-5, soon")],
            b"",
        );
    });
    let bomb = gzip_bomb(300);
    let gzip_answer = hostile(move |c| {
        c.answer(
            "200 OK",
            &[
                ("content-type", "application/json"),
                ("content-encoding", "gzip"),
            ],
            &bomb,
        );
    });
    let looping = Hostile::start(|mut c: Conn| {
        let request = c.read_request();
        let path = request.line.split(' ').nth(1).unwrap_or("/").to_string();
        c.answer("302 Found", &[("location", &path)], b"");
    });
    let elsewhere = hostile(|c| {
        c.answer("200 OK", &[], b"{}");
    });
    let elsewhere_url = format!("{}/v1/beacon/verify", elsewhere.url());
    let redirects_away = hostile(move |c| {
        c.answer(
            "307 Temporary Redirect",
            &[("location", &elsewhere_url)],
            b"",
        );
    });
    let html = hostile(|c| {
        c.answer(
            "200 OK",
            &[("content-type", "text/html")],
            b"<html><body>Please log in to the proxy</body></html>",
        );
    });
    let status_999 = hostile(|c| {
        c.answer("999 Whatever", &[], b"{}");
    });
    let continue_then_stall = hostile(|c| {
        c.send(b"HTTP/1.1 100 Continue\r\n\r\n");
        c.stall(Duration::from_secs(60));
    });
    let not_found = hostile(|c| {
        c.answer(
            "404 Not Found",
            &[("content-type", "application/json")],
            b"{\"detail\": \"Not Found\"}",
        );
    });
    let unavailable = hostile(|c| {
        c.answer(
            "503 Service Unavailable",
            &[("content-type", "text/plain")],
            b"down",
        );
    });
    let claims = format!(
        "{{\"exp\": 4102444800, \"note\": \"{}\"}}",
        "n".repeat(10 << 20)
    );
    let token = {
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.sig", b64("{\"alg\":\"none\"}"), b64(&claims))
    };
    let huge_token = hostile(move |c| {
        c.answer(
            "200 OK",
            &[("content-type", "application/json")],
            format!("{{\"token\": \"{token}\"}}").as_bytes(),
        );
    });
    // A token of one repeated byte, then 15 MB more of that byte: the redactor
    // once compared the whole token at each of them.
    let repeated = format!(
        "{{\"token\": \"{}\", \"pad\": \"{}\"}}",
        "a".repeat(60_000),
        "a".repeat(15 << 20)
    );
    let repeated_token = hostile(move |c| {
        c.answer(
            "200 OK",
            &[("content-type", "application/json")],
            repeated.as_bytes(),
        );
    });
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let refused_url = format!("http://127.0.0.1:{closed_port}");
    write(d, "license.txt", "lic-CANARY-hostile-servers\n");

    let named = |server: &Hostile| format!("127.0.0.1:{}", server.addr.port());
    let cases = vec![
        send(
            "server: stalls before the status",
            "metrics",
            &head_then_stall.url(),
            &[],
        )
        .fails(7, "no answer within --timeout")
        .check(|out| assert!(out.elapsed < Duration::from_secs(8))),
        send(
            "server: stalls mid-body after a 200",
            "metrics",
            &body_stalls.url(),
            &[],
        )
        .fails(7, "127.0.0.1 sent the status")
        .check(|out| assert_eq!(sent(out)["outcome"], "timeout")),
        send(
            "server: resets mid-body",
            "metrics",
            &body_resets.url(),
            &[],
        )
        .fails(6, "the connection to 127.0.0.1 broke")
        .check(|out| assert_eq!(sent(out)["response"]["truncated"], true)),
        send(
            "server: a body shorter than its length",
            "metrics",
            &body_short.url(),
            &[],
        )
        .fails(6, "127.0.0.1"),
        send(
            "server: malformed chunks",
            "metrics",
            &bad_chunks.url(),
            &[],
        )
        .fails(6, "127.0.0.1"),
        send("server: closes at once", "metrics", &closes.url(), &[]).fails(6, &named(&closes)),
        send("server: not HTTP", "metrics", &garbage.url(), &[]).fails(6, &named(&garbage)),
        send("server: a 2 MiB header", "metrics", &huge_header.url(), &[])
            .fails(6, &named(&huge_header)),
        send(
            "server: 10,000 headers",
            "metrics",
            &many_headers.url(),
            &[],
        )
        .fails(6, &named(&many_headers)),
        send(
            "server: a 100 MB body",
            "metrics",
            &huge_body.url(),
            &["--timeout", "60"],
        )
        .slow()
        .exits(3)
        .check(|out| {
            let response = &sent(out)["response"];
            assert_eq!(response["truncated"], true);
            assert_eq!(response["body"].as_str().unwrap().len(), 16 << 20);
        }),
        send(
            "server: 100 MB, for people",
            "metrics",
            &huge_body.url(),
            &["--timeout", "60", "-o", "table"],
        )
        .slow()
        .exits(3)
        .check(|out| assert!(out.stdout.contains("(the body was cut"), "the cut is said")),
        send(
            "server: Retry-After u64::MAX on a 503",
            "metrics",
            &retry_forever_503.url(),
            &["--retries", "2"],
        )
        .fails(5, &named(&retry_forever_503))
        .check(|out| {
            assert_eq!(
                sent(out)["attempts"].as_array().unwrap().len(),
                1,
                "no wait past --timeout"
            )
        }),
        send(
            "server: Retry-After u64::MAX on a 429",
            "metrics",
            &retry_forever_429.url(),
            &["--retries", "2"],
        )
        .fails(4, &named(&retry_forever_429)),
        send(
            "server: Retry-After in 9999 on a 503",
            "metrics",
            &retry_date_503.url(),
            &["--retries", "2"],
        )
        .fails(5, &named(&retry_date_503)),
        send(
            "server: Retry-After in 9999 on a 429",
            "metrics",
            &retry_date_429.url(),
            &["--retries", "2"],
        )
        .fails(4, &named(&retry_date_429)),
        send(
            "server: a Retry-After that is garbage",
            "metrics",
            &retry_garbage.url(),
            &["--retries", "2", "--timeout", "10"],
        )
        .fails(5, &named(&retry_garbage))
        .check(|out| {
            assert_eq!(
                sent(out)["attempts"].as_array().unwrap().len(),
                3,
                "backoff instead"
            )
        }),
        send(
            "server: a gzip bomb as the answer",
            "metrics",
            &gzip_answer.url(),
            &[],
        )
        .exits(3)
        .check(|out| {
            assert!(
                sent(out)["response"]["body"].as_str().unwrap().len() < 1 << 20,
                "not inflated"
            )
        }),
        send(
            "server: a redirect loop",
            "verify",
            &looping.url(),
            &["--license-file", "license.txt"],
        )
        .fails(8, "redirected to `/v1/beacon/verify`"),
        send(
            "server: a redirect to another host",
            "verify",
            &redirects_away.url(),
            &["--license-file", "license.txt"],
        )
        .fails(
            8,
            &format!("redirected to `{}/v1/beacon/verify`", elsewhere.url()),
        ),
        send(
            "server: HTML with a 200 on metrics",
            "metrics",
            &html.url(),
            &[],
        )
        .exits(3)
        .check(|out| {
            let interpretation = &sent(out)["interpretation"];
            assert_eq!(interpretation["as_documented"], false, "{interpretation}");
        }),
        send("server: status 999", "metrics", &status_999.url(), &[]).fails(6, &named(&status_999)),
        send(
            "server: 100 Continue, then nothing",
            "metrics",
            &continue_then_stall.url(),
            &[],
        )
        .fails(7, "no answer within --timeout"),
        send("server: 404", "metrics", &not_found.url(), &[]).fails(4, &named(&not_found)),
        send(
            "server: 503 after retries",
            "metrics",
            &unavailable.url(),
            &["--retries", "1"],
        )
        .fails(5, &named(&unavailable)),
        send(
            "server: a 10 MB JWT",
            "verify",
            &huge_token.url(),
            &["--license-file", "license.txt"],
        )
        .check(|out| assert_eq!(sent(out)["interpretation"]["facts"]["token_is_jwt"], true)),
        send(
            "server: a token of one byte, in 15 MB of it",
            "verify",
            &repeated_token.url(),
            &["--license-file", "license.txt"],
        )
        .slow()
        .check(|out| {
            let body = sent(out)["response"]["body"].as_str().unwrap().to_string();
            assert!(!body.contains("aaaa\", \"pad"), "the token is hidden");
        }),
        send(
            "server: nothing listens",
            "metrics",
            &refused_url,
            &["--retries", "1"],
        )
        .fails(6, &format!("127.0.0.1:{closed_port}")),
    ];
    run_all(d, cases);
    assert_eq!(looping.connections(), 1, "a redirect is never followed");
    assert_eq!(elsewhere.connections(), 0, "nor sent to another host");
}

#[test]
fn hostile_proxies_and_tls() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "license.txt", "lic-CANARY-hostile-tls\n");
    let asks = hostile(|c| {
        c.answer(
            "407 Proxy Authentication Required",
            &[("proxy-authenticate", "Basic realm=\"corp\"")],
            b"",
        );
    });
    let refuses = hostile(|c| {
        c.answer("407 Proxy Authentication Required", &[], b"");
    });
    let proxy_closes = Hostile::start(drop);
    let target = hostile(|c| {
        c.answer("200 OK", &[], b"{}");
    });
    let https_target = format!("https://127.0.0.1:{}", target.addr.port());
    let wrong_name = TestPki::for_names(&["other.example"]);
    write(d, "wrong-name-ca.pem", &wrong_name.ca_pem);
    let wrong_name = TestServer::start_tls(wrong_name.server, |_, _| Reply::json(200, "{}"));
    let expired = TestPki::expired();
    write(d, "expired.pem", &expired.ca_pem);
    let expired = TestServer::start_tls(expired.server, |_, _| Reply::json(200, "{}"));
    let unknown = TestServer::start_tls(TestPki::new().server, |_, _| Reply::json(200, "{}"));
    // A plain HTTP server answers whatever comes, a TLS hello too, with a 400.
    let plain = Hostile::start(|mut c: Conn| {
        let mut first = [0u8; 512];
        let _ = std::io::Read::read(&mut c.stream, &mut first);
        c.answer(
            "400 Bad Request",
            &[("content-type", "text/html")],
            b"<html>400</html>",
        );
    });
    let tls_for_plain = TestServer::start_tls(TestPki::new().server, |_, _| Reply::json(200, "{}"));
    let handshake_stalls = Hostile::start(|c: Conn| c.stall(Duration::from_secs(60)));
    let via = |proxy: &Hostile| proxy.url();

    let cases = vec![
        send(
            "proxy: 407 asking for Basic, http target",
            "metrics",
            &target.url(),
            &["--proxy", &via(&asks)],
        )
        .fails(6, "407")
        .check(|out| assert!(out.stderr.contains("`Basic`"), "says what it asks for")),
        send(
            "proxy: 407 without Proxy-Authenticate, http target",
            "metrics",
            &target.url(),
            &["--proxy", &via(&refuses)],
        )
        .fails(6, "407"),
        send(
            "proxy: 407 asking for Basic, https target",
            "metrics",
            &https_target,
            &["--proxy", &via(&asks)],
        )
        .fails(6, "proxy"),
        send(
            "proxy: 407 without Proxy-Authenticate, https target",
            "metrics",
            &https_target,
            &["--proxy", &via(&refuses)],
        )
        .fails(6, "proxy"),
        send(
            "proxy: 407 from $https_proxy",
            "metrics",
            &https_target,
            &[],
        )
        .env("https_proxy", &via(&refuses))
        .fails(6, "proxy"),
        send(
            "proxy: closes at once, https target",
            "metrics",
            &https_target,
            &["--proxy", &via(&proxy_closes)],
        )
        .fails(6, "proxy"),
        send(
            "proxy: closes at once, http target",
            "metrics",
            &target.url(),
            &["--proxy", &via(&proxy_closes)],
        )
        .fails(6, "127.0.0.1"),
        send(
            "tls: a certificate for another name",
            "metrics",
            &wrong_name.https_url(),
            &["--cacert", "wrong-name-ca.pem", "--retries", "2"],
        )
        .fails(6, "not valid for that name")
        .check(|out| {
            assert_eq!(
                sent(out)["attempts"].as_array().unwrap().len(),
                1,
                "not retried"
            )
        }),
        send(
            "tls: an expired certificate",
            "metrics",
            &expired.https_url(),
            &["--cacert", "expired.pem"],
        )
        .fails(6, "has expired"),
        send(
            "tls: an unknown authority",
            "metrics",
            &unknown.https_url(),
            &[],
        )
        .fails(6, "unknown authority"),
        send(
            "tls: https to a plain http server",
            "metrics",
            &format!("https://127.0.0.1:{}", plain.addr.port()),
            &[],
        )
        .fails(6, "127.0.0.1"),
        send(
            "tls: plain http to a TLS server",
            "metrics",
            &tls_for_plain.url(),
            &[],
        )
        .fails(6, "127.0.0.1"),
        send(
            "tls: a handshake that never ends",
            "metrics",
            &format!("https://127.0.0.1:{}", handshake_stalls.addr.port()),
            &[],
        )
        .fails(7, "--timeout"),
    ];
    run_all(d, cases);
    assert_eq!(target.connections(), 0, "no proxy let anything through");
}

/// The YAML reader's own bombs: each is refused or read in little memory and
/// time, where a naive reader copies a merged map at every step.
#[test]
fn hostile_yaml_reader_cases() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut chain = vec!["m0: &m0 {x0: 1}".to_string()];
    for i in 1..2000 {
        chain.push(format!("m{i}: &m{i} {{<<: *m{p}, x{i}: 1}}", p = i - 1));
    }
    let chain = write(d, "merge-chain.yaml", chain.join("\n") + "\n");
    let mut laughs = vec!["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]".to_string()];
    for i in 1..10u8 {
        let (prev, this) = ((b'a' + i - 1) as char, (b'a' + i) as char);
        laughs.push(format!(
            "{this}: &{this} [{}]",
            vec![format!("*{prev}"); 9].join(", ")
        ));
    }
    let laughs = write(d, "laughs.yaml", laughs.join("\n") + "\n");
    let nul = write(d, "nul.yaml", b"config:\n  a: \"x\0y\"\n");
    let small = |out: &Bounded| {
        assert!(
            out.peak_rss_kib < 128 * 1024,
            "{} KiB for a few kilobytes of YAML",
            out.peak_rss_kib
        );
        assert!(out.elapsed < Duration::from_secs(5), "{:?}", out.elapsed);
    };
    let cases = vec![
        case(
            "yaml: a chain of 2,000 `<<` merges, refused as Helm refuses it",
            &["show-config", "-f", &chain],
        )
        .fails(2, "excessive aliasing")
        .check(small),
        case(
            "yaml: an alias bomb, in little memory",
            &["show-config", "-f", &laughs],
        )
        .fails(2, "`laughs.yaml`:")
        .check(small),
        case(
            "yaml: a NUL byte, named where it is",
            &["show-config", "-f", &nul],
        )
        .fails(2, "`nul.yaml`:2:8"),
    ];
    run_all(d, cases);
}
