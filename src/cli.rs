//! The command line: every flag, subcommand and help text.
//!
//! The doc comment on each field is its `--help` text.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::endpoints::EndpointId;

use crate::error::exit_codes_help;
use crate::output::{ColorChoice, Format};

const ABOUT: &str = "What a self-hosted LangSmith sends to LangChain's Beacon service, read from your own Helm values";

const LONG_ABOUT: &str = "\
What a self-hosted LangSmith sends to LangChain's Beacon service, read from your own Helm values.

beacon-cli reads the values file you install the LangSmith chart with (langsmith_config.yaml)
and tells you which Beacon endpoints your installation calls, whether each can be turned off,
and which key in which file decided it (show-config). It prints every payload LangSmith
documents (payloads), the exact request before anything leaves (dry-run), delivers it through
your proxy and TLS setup (send), and checks any payload strictly (validate). As proof, it records
what an installation really sends, as a local Beacon or a relay (capture), and compares that
ledger with the values (audit).

Values come from: the -f files in order; else $LANGSMITH_CONFIG; else ./langsmith_config.yaml;
else the chart's defaults. --set and --set-string apply after every file, as in Helm.";

const AFTER_HELP: &str = "\
Examples:
  beacon-cli show-config                          # the chart's defaults, or ./langsmith_config.yaml
  beacon-cli show-config -f base.yaml -f prod.yaml
  helm get values langsmith -o yaml | beacon-cli show-config -f -
  beacon-cli show-config --output json | jq '.endpoints[] | select(.enabled) | .url'
  beacon-cli payloads traces --synthetic
  beacon-cli dry-run ingest-traces --license-file license.txt
  beacon-cli validate traces body.json
  beacon-cli capture --out capture.jsonl
  beacon-cli audit capture.jsonl -f langsmith_config.yaml
";

/// beacon-cli: what leaves your network for Beacon, and proof of it.
#[derive(Debug, Parser)]
#[command(
    name = "beacon-cli",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = format!("{AFTER_HELP}\n{}", exit_codes_help()),
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Where the Helm values come from: the commands that read them.
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Values")]
pub struct ValuesArgs {
    /// A Helm values file; repeat to layer several (the later file wins), `-` reads standard
    /// input. Without -f: $LANGSMITH_CONFIG, else ./langsmith_config.yaml, else the chart's defaults
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,

    /// Set a value as `helm --set` does, after all files: `config.telemetry.metrics=false`,
    /// `commonEnv[0].name=X`; `true`, `false`, `null` and integers are typed (repeatable)
    #[arg(long, value_name = "KEY=VALUE")]
    pub set: Vec<String>,

    /// Set a value that stays a string, as `helm --set-string` does (repeatable)
    #[arg(long = "set-string", value_name = "KEY=VALUE")]
    pub set_string: Vec<String>,

    /// The chart version you install (`0.17.0-rc.28`): rules that changed between chart
    /// versions follow it. Default: the built-in chart's, 0.17.0-rc.12
    #[arg(long, value_name = "VERSION")]
    pub chart_version: Option<String>,
}

/// `-o/--output` for the commands that print a report.
#[derive(Debug, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Output format: tables for people, JSON or YAML for scripts
    #[arg(short = 'o', long, value_enum, value_name = "FORMAT", default_value_t = Format::Table)]
    pub output: Format,
}

/// What the commands that read values and print a report share.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Where the values come from.
    #[command(flatten)]
    pub values: ValuesArgs,

    /// Output format.
    #[command(flatten)]
    pub output: OutputArgs,

    /// Colour and verbosity.
    #[command(flatten)]
    pub ui: UiArgs,
}

/// How much to say, and in colour or not: every command but `completions` and `man`.
#[derive(Debug, Args, Default, Clone, Copy)]
#[command(next_help_heading = "Output")]
pub struct UiArgs {
    /// When to colour the output (NO_COLOR is honoured with `auto`)
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Say only what failed: no notes, warnings or hints on standard error (the reason for a
    /// non-zero exit is still given)
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Say more on standard error: where each setting came from; for `send`, every header
    #[arg(short, long)]
    pub verbose: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show every Beacon endpoint your values turn on, and which key decided it
    #[command(
        visible_alias = "config",
        long_about = "\
Show every Beacon endpoint your values turn on, and which key decided it.

For each of the six endpoints: its URL, its class (billing, operational, usage), whether it is
on (in any pod), whether it can be turned off, and the key, file and line that decided it; the
pods grouped where the values treat them alike, when they disagree; and what Helm itself would
refuse (errors, exit 3). Also the Beacon
base URL in force, where the license key comes from (as a fingerprint, never the key), proxy
variables, the Engine's destination, and every trap in the values: commonEnv overrides, quoted
booleans, misspelt keys, a map-shaped commonEnv, unset usage snapshots and more.",
        after_help = "\
Examples:
  beacon-cli show-config
  beacon-cli show-config -f langsmith_config.yaml --strict      # exit 3 on any warning, for CI
  beacon-cli show-config --set config.telemetry.metrics=false   # what if?
  beacon-cli show-config -o json | jq '.warnings[].code'
  beacon-cli show-config --chart-version 0.17.0-rc.28           # the rules of your chart version
  kubectl get deploy,sts,cm -n langsmith -o yaml | beacon-cli show-config --manifests -"
    )]
    ShowConfig(ShowConfigArgs),

    /// List the Beacon endpoints and print the payloads LangSmith documents for them
    #[command(
        long_about = "\
List the Beacon endpoints and print the payloads LangSmith documents for them.

With no ID: a table of the six endpoints (on or off for the values in force), then each
published request body. With an ID: that body alone, byte for byte as published, so it pipes
into jq. Where a published sample is not valid for its protocol, each defect is named on
standard error; --synthetic prints a valid payload of the same shape instead.",
        after_help = "\
Examples:
  beacon-cli payloads                              # every endpoint and its documented body
  beacon-cli payloads ingest-traces | jq .         # one body, as published
  beacon-cli payloads verify --response            # the documented response (JSON with // comments)
  beacon-cli payloads traces --synthetic --seed 1  # a valid OTLP/JSON body, reproducible
  beacon-cli payloads -o json | jq '.[] | {id, enabled}'",
        mut_arg("values", |a| a.help("A Helm values file; repeat to layer several (the later file wins), `-` reads standard input. Only the files named are read: without -f, the chart's defaults")),
    )]
    Payloads(PayloadsArgs),

    /// Print the exact HTTP request `send` would make, and send nothing
    #[command(
        name = "dry-run",
        long_about = "\
Print the exact HTTP request `send` would make, and send nothing.

The request line with the full URL, every header, a blank line and the body. The license is
filled in from --license-file, else $LANGSMITH_LICENSE_KEY, else config.langsmithLicenseKey in
the values, and shown redacted (a marker with its fingerprint) unless --reveal-secrets is given.
Content-Length is that of the real body. With no license anywhere, the documented placeholder
stays in the body and standard error says how to give one.",
        after_help = "\
Examples:
  beacon-cli dry-run ingest-traces                      # the documented sample, as it would go
  beacon-cli dry-run verify --license-file license.txt  # with your license (shown redacted)
  beacon-cli dry-run metrics --synthetic --gzip         # a valid OTLP body, compressed
  beacon-cli dry-run verify -o curl                     # curl; key from $LANGSMITH_LICENSE_KEY
  beacon-cli dry-run usage-snapshot -o json | jq .headers"
    )]
    DryRun(DryRunArgs),

    /// Send a payload to a Beacon URL and report exactly what happened
    #[command(
        long_about = "\
Send a payload to a Beacon URL and report exactly what happened.

The request is the one `dry-run` prints (same options, same code path). Proxies are read as
curl reads them (https_proxy/HTTPS_PROXY, http_proxy, all_proxy/ALL_PROXY, no_proxy/NO_PROXY),
or given with --proxy; --cacert adds a CA, which TLS-inspecting proxies need. Only failures the
server cannot have processed are retried: connection failures, 429, 502, 503 and 504, with
exponential backoff and jitter, honouring Retry-After within --timeout. The answer is read for
you: verify's token (claims and expiry, never the token), ingest-traces' inserted_count,
usage-snapshot's 204, OTLP partialSuccess.",
        after_help = "\
Examples:
  beacon-cli send verify --license-file license.txt                 # prove the license gets through
  beacon-cli send verify --url https://dev.beacon.langchain.com --license-file license.txt
  export HTTPS_PROXY=http://proxy.corp:3128                         # through your proxy,
  beacon-cli send verify --cacert corp-ca.pem --license-file license.txt   # which inspects TLS
  beacon-cli send metrics --synthetic --url http://127.0.0.1:8080   # to a local capture
  beacon-cli send ingest-traces --url http://127.0.0.1:8080 -o json | jq .outcome   # the sample"
    )]
    Send(SendArgs),

    /// Check a payload strictly: OTLP conformance, documented shapes, personal data
    #[command(
        long_about = "\
Check a payload strictly: OTLP conformance, the documented billing shapes, and personal data.

OTLP receivers silently accept malformed telemetry, and LangSmith's own published samples are
not valid. validate says precisely what is wrong and where: each finding has a severity (error,
warning, info or policy), a JSON pointer, the line and column, a code, a message and a hint.
Beyond shape (ids, enums, 64-bit integers, field names), it checks what values mean beside each
other: span and data point times in order, histogram buckets that add up, unique non-empty
attribute keys.
The OTLP bodies are also decoded with opentelemetry-proto, as a receiver would. Strings that
look like e-mail addresses, IP addresses, bearer tokens, JWTs, API keys or your license key are
reported (masked) wherever they appear outside the license field. Findings about what LangSmith
documents it sends (log records below ERROR) have their own severity, policy: they are not
about OTLP conformance, and only --deny policy fails on them.

Exit 0 when there is no error, 3 when there is (--deny warnings counts warnings too, --deny
policy policy findings), 2 when the input cannot be read.",
        after_help = "\
Examples:
  beacon-cli validate traces body.json
  beacon-cli payloads metrics | beacon-cli validate metrics -     # the published sample's defects
  beacon-cli validate logs export.pb --input-format protobuf      # OTLP protobuf, gzip detected
  beacon-cli validate ingest-traces body.json --deny warnings -o json | jq '.findings[] | .code'
  beacon-cli validate logs body.json --deny warnings,policy       # warnings and policy fail too
  beacon-cli validate --all-samples                               # every published sample's verdict",
        mut_arg("values", |a| a.help("A Helm values file to check the payload against; repeat to layer several, `-` reads standard input. Only the files named are read: without -f or --set, no values are used")),
    )]
    Validate(ValidateArgs),

    /// Run a local Beacon that records every request: decoded, checked, redacted
    #[command(
        long_about = "\
Run a local Beacon that records every request it receives: decoded, checked and redacted.

Point an installation (commonEnv BEACON_ENDPOINT) or any client at it. It serves the six Beacon
paths under any base path, takes JSON and OTLP protobuf, gzip or not, and answers as Beacon
documents: verify gets a token whose claims say it is a capture placeholder, ingest-traces its
inserted_count, usage-snapshot 204, OTLP an empty export response. Other paths get 404. Each
request becomes one JSON line in the ledger (--out): headers and body with secrets redacted (the
license as its fingerprint), the body decoded (protobuf as OTLP/JSON), validate's findings, and
the answer. With --forward, every request is also relayed to a real Beacon through your proxy and
CA, and its real answer returned and recorded.

It listens on loopback unless --listen names another address, and stops on SIGINT or SIGTERM
(finishing the requests in flight), after --max-requests or --duration. Then `beacon-cli audit`
compares the ledger with your values.",
        after_help = "\
Examples:
  beacon-cli capture                                  # 127.0.0.1:8787, ledger in ./capture.jsonl
  beacon-cli send metrics --synthetic --url http://127.0.0.1:8787     # from another terminal
  beacon-cli capture --listen 0.0.0.0:8787 --tls-cert cert.pem --tls-key key.pem
  beacon-cli capture --forward https://beacon.langchain.com --rotate 100MiB   # a recording relay
  beacon-cli capture --max-requests 6 --out - | jq -c '{endpoint, status}'
  beacon-cli audit capture.jsonl -f langsmith_config.yaml             # then compare"
    )]
    Capture(CaptureArgs),

    /// Summarise a capture ledger, and compare what arrived with what your values allow
    #[command(
        long_about = "\
Summarise a capture ledger, and compare what arrived with what your values allow.

Per endpoint: requests, bytes, first and last seen, fields beyond the documented ones, findings
by severity and privacy findings; requests to other paths are listed too. With values (-f,
--set) or rendered manifests (--manifests), every endpoint that arrived although the
configuration turns it off is drift, named with the key, file and line that turn it off; drift
exits 3. The ledger is read as a stream: memory does not grow with its size.",
        after_help = "\
Examples:
  beacon-cli audit capture.jsonl
  beacon-cli audit capture*.jsonl -f langsmith_config.yaml        # exit 3 on drift
  kubectl get deploy,sts,cm -n langsmith -o yaml | beacon-cli audit capture.jsonl --manifests -
  beacon-cli audit capture.jsonl -o json | jq '.drift[].message'",
        mut_arg("values", |a| a.help("A Helm values file to find drift against; repeat to layer several, `-` reads standard input. Only the files named are read: without -f, --set or --manifests, no drift is looked for")),
    )]
    Audit(AuditArgs),

    /// Check the network path to Beacon step by step, and say which step fails
    #[command(
        long_about = "\
Check the network path to Beacon step by step, and say which step fails.

The Beacon URL, the proxy and the CA bundle come from the same resolution as `send`: --url, else
$BEACON_URL, else commonEnv BEACON_ENDPOINT in the values, else https://beacon.langchain.com; the
proxy from --proxy, else the environment as curl reads it, else the values' commonEnv (the pods'
proxy). With engine.enabled, the Engine's URL is checked too. Each step is timed and marked OK,
WARN or FAIL, with what to change when it fails:

  resolve     the host's A and AAAA records (the proxy's host, through a proxy)
  egress-ips  a LangChain host's addresses against LangChain's published static egress list
  connect     a TCP connection to each address
  proxy       which variable chose the proxy (or NO_PROXY's match), its CONNECT, a 407 and
              the scheme it asks for
  tls         version, SNI, the chain's subjects, issuers and expiry; a chain no public CA
              signed on the way to LangChain or through a proxy is an intercepting proxy
  http        a GET of the verify endpoint without body or license: any HTTP answer proves
              the path

The steps after a FAIL are not run. Exit 0 when no step fails (WARN does not fail the run), 6 on
a DNS, connect, proxy or TLS failure, 7 when --timeout runs out.",
        after_help = "\
Examples:
  beacon-cli doctor                                         # the default Beacon, this machine's DNS
  beacon-cli doctor -f langsmith_config.yaml                # the pods' URL and proxy
  beacon-cli doctor --proxy http://proxy.corp:3128 --cacert corp-ca.pem
  beacon-cli doctor --dns-server 10.96.0.10                 # ask the cluster's DNS
  beacon-cli doctor --resolve beacon.langchain.com:34.8.121.39   # as curl --resolve
  beacon-cli doctor -o json | jq '.steps[] | select(.status != \"ok\")'"
    )]
    Doctor(DoctorArgs),

    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    #[command(after_help = "\
Examples:
  beacon-cli completions bash > /etc/bash_completion.d/beacon-cli
  beacon-cli completions zsh > \"${fpath[1]}/_beacon-cli\"
  beacon-cli completions fish > ~/.config/fish/completions/beacon-cli.fish")]
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },

    /// Print a man page (roff), or write them all with --dir
    #[command(after_help = "\
Examples:
  beacon-cli man | man -l -                                 # read the main page now
  beacon-cli man send > beacon-cli-send.1                   # one command's page
  beacon-cli man --dir /usr/local/share/man/man1            # every page, then `man beacon-cli-send`")]
    Man {
        /// The command whose page to print; the main page (beacon-cli(1)) when omitted
        #[arg(value_enum, value_name = "COMMAND")]
        page: Option<ManPage>,

        /// Write every page into this directory (beacon-cli.1, beacon-cli-send.1, ...), created
        /// if missing, and print their paths
        #[arg(long, value_name = "DIR", conflicts_with = "page")]
        dir: Option<PathBuf>,
    },
}

/// The subcommands that have a man page of their own, `beacon-cli-NAME(1)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ManPage {
    /// beacon-cli-show-config(1)
    ShowConfig,
    /// beacon-cli-payloads(1)
    Payloads,
    /// beacon-cli-dry-run(1)
    DryRun,
    /// beacon-cli-send(1)
    Send,
    /// beacon-cli-validate(1)
    Validate,
    /// beacon-cli-capture(1)
    Capture,
    /// beacon-cli-audit(1)
    Audit,
    /// beacon-cli-doctor(1)
    Doctor,
    /// beacon-cli-completions(1)
    Completions,
    /// beacon-cli-man(1)
    Man,
}

impl Command {
    /// The command's colour and verbosity options; the defaults for those
    /// without them.
    pub fn ui(&self) -> UiArgs {
        match self {
            Self::ShowConfig(args) => args.common.ui,
            Self::Payloads(args) => args.common.ui,
            Self::DryRun(args) => args.ui,
            Self::Send(args) => args.common.ui,
            Self::Doctor(args) => args.common.ui,
            Self::Validate(args) => args.common.ui,
            Self::Capture(args) => args.ui,
            Self::Audit(args) => args.common.ui,
            Self::Completions { .. } | Self::Man { .. } => UiArgs::default(),
        }
    }

    /// Where the command's values come from, for those that read values.
    pub fn values(&self) -> Option<&ValuesArgs> {
        match self {
            Self::ShowConfig(args) => Some(&args.common.values),
            Self::Payloads(args) => Some(&args.common.values),
            Self::DryRun(args) => Some(&args.values),
            Self::Send(args) => Some(&args.common.values),
            Self::Doctor(args) => Some(&args.common.values),
            Self::Validate(args) => Some(&args.common.values),
            Self::Audit(args) => Some(&args.common.values),
            Self::Capture(_) | Self::Completions { .. } | Self::Man { .. } => None,
        }
    }
}

/// Endpoint ids on the command line: clap lists them in `--help` and in error
/// messages (with a "similar value" tip), and every shell's completion offers them.
impl ValueEnum for EndpointId {
    fn value_variants<'a>() -> &'a [Self] {
        &EndpointId::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.as_str()).help(match self {
            EndpointId::Verify => "license verification (billing, required)",
            EndpointId::IngestTraces => "usage reporting: trace counts (billing, required)",
            EndpointId::Metrics => "OTLP metrics (operational, on by default)",
            EndpointId::Traces => "OTLP traces (operational, on by default)",
            EndpointId::Logs => "OTLP logs (operational, on by default)",
            EndpointId::UsageSnapshot => "daily usage snapshot (usage)",
        }))
    }
}

/// `payloads` options.
#[derive(Debug, Args)]
pub struct PayloadsArgs {
    /// The endpoint; all when omitted
    #[arg(value_name = "ID", value_enum)]
    pub id: Option<EndpointId>,

    /// Print the documented response instead of the request (needs an ID)
    #[arg(long, requires = "id", conflicts_with = "synthetic")]
    pub response: bool,

    /// Print a valid payload of the same shape instead: fresh ids and times, OTLP as the spec writes it
    #[arg(long)]
    pub synthetic: bool,

    /// Make --synthetic reproducible: the same seed gives the same bytes (and fixes the clock at 2026-01-01)
    #[arg(long, value_name = "N", requires = "synthetic")]
    pub seed: Option<u64>,

    /// Values, output format, colour and verbosity.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// How `dry-run` prints the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RequestFormat {
    /// The HTTP request: request line, headers, blank line, body
    Http,
    /// A ready-to-run curl command; the license comes from $LANGSMITH_LICENSE_KEY
    Curl,
    /// A JSON object: method, url, headers, body
    Json,
    /// The same object as YAML
    Yaml,
}

/// What builds a request: shared by `dry-run` and `send`.
#[derive(Debug, Args, Clone)]
pub struct RequestArgs {
    /// Beacon base URL; default $BEACON_URL, else commonEnv BEACON_ENDPOINT, else https://beacon.langchain.com
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Send this JSON body instead of the documented sample (`-` reads standard input)
    #[arg(long, value_name = "FILE", conflicts_with = "synthetic")]
    pub payload: Option<PathBuf>,

    /// Send a valid synthetic payload of the documented shape
    #[arg(long)]
    pub synthetic: bool,

    /// Make --synthetic reproducible
    #[arg(long, value_name = "N", requires = "synthetic")]
    pub seed: Option<u64>,

    /// Read the license key from this file (trailing newline trimmed); else $LANGSMITH_LICENSE_KEY,
    /// else config.langsmithLicenseKey
    #[arg(long, value_name = "FILE")]
    pub license_file: Option<PathBuf>,

    /// Compress the body with gzip (Content-Encoding: gzip)
    #[arg(long)]
    pub gzip: bool,

    /// Show the license and other secrets instead of a redacted marker
    #[arg(long)]
    pub reveal_secrets: bool,
}

/// `dry-run` options.
#[derive(Debug, Args)]
pub struct DryRunArgs {
    /// The endpoint
    #[arg(value_name = "ID", value_enum)]
    pub id: EndpointId,

    /// How to print the request (`--format` is an older name for it)
    #[arg(short = 'o', long, alias = "format", value_enum, value_name = "FORMAT", default_value_t = RequestFormat::Http)]
    pub output: RequestFormat,

    /// Exit with code 3 when the values turn this endpoint off
    #[arg(long)]
    pub strict: bool,

    /// The request.
    #[command(flatten)]
    pub request: RequestArgs,

    /// Where the values come from.
    #[command(flatten)]
    pub values: ValuesArgs,

    /// Colour and verbosity.
    #[command(flatten)]
    pub ui: UiArgs,
}

/// Seconds, as a positive number (`10`, `0.5`), from a millisecond to a day.
/// Below a millisecond, `1e-300` passed as "above 0" and became a timeout of
/// zero, which no send can meet.
fn seconds(text: &str) -> Result<Duration, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| "expected a number of seconds, such as 10 or 0.5".to_string())?;
    if !value.is_finite() || !(0.001..=86_400.0).contains(&value) {
        return Err("expected a number of seconds from 0.001 to 86400".to_string());
    }
    Ok(Duration::from_secs_f64(value))
}

/// `send` options.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// The endpoint
    #[arg(value_name = "ID", value_enum)]
    pub id: EndpointId,

    /// The request.
    #[command(flatten)]
    pub request: RequestArgs,

    /// How to reach the server.
    #[command(flatten)]
    pub network: NetworkArgs,

    /// Send a published sample or synthetic billing or usage payload (ingest-traces,
    /// usage-snapshot) to LangChain's own Beacon: it would count as real usage under your
    /// license. Without it, a terminal asks; a script is refused
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Values, output format, colour and verbosity.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// How to reach the server: proxy, certificates, timeouts, retries.
#[derive(Debug, Args, Clone)]
pub struct NetworkArgs {
    /// Proxy, certificates and timeouts.
    #[command(flatten)]
    pub reach: ReachArgs,

    /// Retries after a failure the server cannot have processed (connect failure, 429, 502, 503, 504)
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub retries: u32,

    /// Allow plain http to hosts other than loopback (license keys travel in the body)
    #[arg(long)]
    pub allow_http: bool,
}

/// The path to a server: proxy, certificates, timeouts (`send` and `doctor`).
#[derive(Debug, Args, Clone)]
pub struct ReachArgs {
    /// Add the CA certificates in this PEM file to the system's roots (also $SSL_CERT_FILE)
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,

    /// Do not verify the server's certificate (tests only; says so loudly)
    #[arg(long, short = 'k')]
    pub insecure: bool,

    /// Use this proxy, `http://[user:password@]host:port`; beats the environment
    #[arg(long, value_name = "URL", conflicts_with = "no_proxy")]
    pub proxy: Option<String>,

    /// Connect directly, ignoring every proxy variable
    #[arg(long)]
    pub no_proxy: bool,

    /// Seconds to wait for each connection
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = seconds)]
    pub connect_timeout: Duration,

    /// Seconds for the whole run (for send: retries and their waits included)
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = seconds)]
    pub timeout: Duration,
}

/// `doctor` options.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Beacon base URL; default $BEACON_URL, else commonEnv BEACON_ENDPOINT, else https://beacon.langchain.com
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Read rendered manifests instead of values (`helm template` output or `kubectl get ... -o
    /// yaml`; repeatable, `-` reads standard input)
    #[arg(long, value_name = "FILE")]
    pub manifests: Vec<PathBuf>,

    /// Proxy, certificates and timeouts.
    #[command(flatten)]
    pub reach: ReachArgs,

    /// Answer HOST with ADDRESS instead of asking DNS, as curl's --resolve does (repeatable;
    /// HOST:PORT:ADDRESS too, several addresses comma-separated)
    #[arg(long, value_name = "HOST:ADDRESS", value_parser = crate::probe::Pin::parse)]
    pub resolve: Vec<crate::probe::Pin>,

    /// Ask this DNS server (the cluster's, such as 10.96.0.10; port 53 unless given) for A and
    /// AAAA records instead of this machine's resolver
    #[arg(long, value_name = "ADDRESS", value_parser = crate::probe::parse_dns_server)]
    pub dns_server: Option<std::net::SocketAddr>,

    /// Values, output format, colour and verbosity.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// What `--deny` turns into failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Deny {
    /// Warnings fail too (exit 3)
    Warnings,
    /// Warnings and infos fail too (exit 3)
    Infos,
    /// Policy findings fail too (exit 3): what LangSmith documents it sends, not OTLP
    Policy,
}

impl Deny {
    /// The name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Deny::Warnings => "warnings",
            Deny::Infos => "infos",
            Deny::Policy => "policy",
        }
    }
}

/// `validate` options.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The endpoint the body is for
    #[arg(value_name = "ID", value_enum, required_unless_present = "all_samples")]
    pub id: Option<EndpointId>,

    /// The body to check; `-` reads standard input
    #[arg(value_name = "FILE", required_unless_present = "all_samples")]
    pub file: Option<PathBuf>,

    /// Check every published sample instead, and compare with their documented defects
    #[arg(long, conflicts_with_all = ["id", "file", "input_format", "gzip"])]
    pub all_samples: bool,

    /// How the body is encoded (protobuf: the OTLP endpoints only; `--format` is an older name)
    #[arg(long, alias = "format", value_enum, value_name = "ENCODING", default_value_t = crate::decode::Encoding::Json)]
    pub input_format: crate::decode::Encoding,

    /// The body is gzip-compressed (detected by itself; this makes it an error if not)
    #[arg(long)]
    pub gzip: bool,

    /// Count warnings (or infos too) as failures, or policy findings (log records below
    /// ERROR, which LangSmith documents it does not send), which warnings and infos leave
    /// alone; repeatable or comma-separated: --deny warnings,policy
    #[arg(long, value_enum, value_name = "LEVEL", value_delimiter = ',')]
    pub deny: Vec<Deny>,

    /// Your license key, reported wherever it appears outside the license field; else
    /// $LANGSMITH_LICENSE_KEY, else config.langsmithLicenseKey
    #[arg(long, value_name = "FILE")]
    pub license_file: Option<PathBuf>,

    /// Values, output format, colour and verbosity.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `show-config` options.
#[derive(Debug, Args)]
pub struct ShowConfigArgs {
    /// Read rendered manifests instead of values: `helm template` output or
    /// `kubectl get deploy,sts,cm -o yaml` (repeatable, `-` reads standard input)
    #[arg(long, value_name = "FILE")]
    pub manifests: Vec<PathBuf>,

    /// Exit with code 3 when there is any warning too (any error always does), for CI
    /// pipelines that gate on it
    #[arg(long)]
    pub strict: bool,

    /// Values, output format, colour and verbosity.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// A size in bytes: `1048576`, `512KiB`, `20MiB`, `1GiB` (also `k`, `M`, `G`, `KB`, `MB`, `GB`,
/// which are read as powers of 1024 too).
pub fn size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err("expected a size such as 1048576, 512KiB, 20MiB or 1GiB".to_string()),
    };
    let value: u64 = number
        .parse()
        .map_err(|_| "expected a size such as 1048576, 512KiB, 20MiB or 1GiB".to_string())?;
    match value.checked_mul(1 << shift) {
        Some(0) => Err("expected a size above 0".to_string()),
        Some(bytes) if bytes <= 1 << 40 => Ok(bytes),
        _ => Err("expected a size of at most 1TiB".to_string()),
    }
}

/// A duration: seconds (`90`, `0.5`), or with a unit (`90s`, `15m`, `2h`, `1d`).
pub fn duration(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    let (number, unit) = match trimmed.find(|c: char| c.is_ascii_alphabetic()) {
        Some(at) => trimmed.split_at(at),
        None => (trimmed, "s"),
    };
    let scale = match unit {
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3_600.0,
        "d" => 86_400.0,
        _ => return Err("expected a duration such as 90, 90s, 15m, 2h or 1d".to_string()),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| "expected a duration such as 90, 90s, 15m, 2h or 1d".to_string())?;
    let seconds = value * scale;
    if !seconds.is_finite() || seconds <= 0.0 || seconds > 366.0 * 86_400.0 {
        return Err("expected a duration above 0 and at most a year".to_string());
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// `--listen`: `HOST:PORT` with an IP address (`127.0.0.1:8787`, `0.0.0.0:8787`,
/// `[::1]:8787`), or a port alone, on loopback.
fn listen(text: &str) -> Result<std::net::SocketAddr, String> {
    let text = text.trim();
    if let Ok(port) = text.parse::<u16>() {
        return Ok(std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    }
    text.parse().map_err(|_| {
        "expected an IP address and port such as 127.0.0.1:8787, 0.0.0.0:8787 or [::1]:8787 \
         (a host name is not taken: name the address to listen on)"
            .to_string()
    })
}

/// `capture` options.
#[derive(Debug, Args)]
pub struct CaptureArgs {
    /// The address and port to listen on. Loopback unless you name another address
    /// (`0.0.0.0:8787` for every interface); port 0 picks a free one
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8787", value_parser = listen)]
    pub listen: std::net::SocketAddr,

    /// The ledger: one JSON line per request, appended, created with mode 0600; `-` writes
    /// the lines to standard output
    #[arg(long, value_name = "FILE", default_value = "capture.jsonl")]
    pub out: PathBuf,

    /// Start a new ledger file when this one would pass SIZE (`100MiB`): the full one is
    /// renamed FILE's stem plus `.1`, `.2`, ... (`capture.1.jsonl`)
    #[arg(long, value_name = "SIZE", value_parser = size)]
    pub rotate: Option<u64>,

    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1)
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Relay every request to this Beacon base URL (through the proxy and CA below) and
    /// answer with its real answer; both are recorded
    #[arg(long, value_name = "URL")]
    pub forward: Option<String>,

    /// Stop after this many requests (requests already on their way are still answered)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_requests: Option<u64>,

    /// Stop after this long: seconds, or `90s`, `15m`, `2h`, `1d`
    #[arg(long, value_name = "DURATION", value_parser = duration)]
    pub duration: Option<Duration>,

    /// The largest body taken, as received and once inflated; larger ones get 413 and are
    /// recorded without their body
    #[arg(long, value_name = "SIZE", default_value = "20MiB", value_parser = size)]
    pub max_body: u64,

    /// Seconds a client may take to send a request's headers, and again its body; slower
    /// ones get 408 (or are disconnected) and are recorded
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = seconds)]
    pub read_timeout: Duration,

    /// Your license key, reported wherever it appears outside a license field (privacy
    /// findings); else $LANGSMITH_LICENSE_KEY. Licenses that arrive in billing bodies are
    /// redacted in any case
    #[arg(long, value_name = "FILE")]
    pub license_file: Option<PathBuf>,

    /// Keep license keys, tokens and credentials in the ledger as they arrived, instead of
    /// their redacted fingerprints
    #[arg(long)]
    pub reveal_secrets: bool,

    /// How --forward reaches the real Beacon.
    #[command(flatten, next_help_heading = "Forwarding (with --forward)")]
    pub network: NetworkArgs,

    /// Colour and verbosity.
    #[command(flatten)]
    pub ui: UiArgs,
}

/// `audit` options.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Capture ledgers (JSON lines), in any order; `-` reads standard input
    #[arg(value_name = "LEDGER", required = true)]
    pub ledgers: Vec<PathBuf>,

    /// Compare with rendered manifests instead of values: `helm template` output or
    /// `kubectl get deploy,sts,cm -o yaml` (repeatable, `-` reads standard input)
    #[arg(long, value_name = "FILE")]
    pub manifests: Vec<PathBuf>,

    /// Values (what to compare with), output format, colour and verbosity.
    #[command(flatten)]
    pub common: CommonArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_sound() {
        Cli::command().debug_assert();
    }

    #[test]
    fn seconds_run_from_a_millisecond_to_a_day() {
        assert_eq!(seconds("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(seconds("0.001"), Ok(Duration::from_millis(1)));
        for bad in [
            "0", "1e-300", "0.0009", "-1", "nan", "inf", "86401", "1e9", "soon",
        ] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_durations_and_addresses_parse() {
        assert_eq!(size("20MiB"), Ok(20 << 20));
        assert_eq!(size("512k"), Ok(512 << 10));
        assert_eq!(size("1048576"), Ok(1 << 20));
        assert_eq!(size(" 1 GB "), Ok(1 << 30));
        for bad in [
            "",
            "0",
            "MiB",
            "1.5MiB",
            "-1",
            "2TiB",
            "99999999999999999999",
        ] {
            assert!(size(bad).is_err(), "{bad}");
        }
        assert_eq!(duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(duration("0.5s"), Ok(Duration::from_millis(500)));
        for bad in ["", "0", "-1", "5w", "nan", "inf"] {
            assert!(duration(bad).is_err(), "{bad}");
        }
        assert_eq!(listen("9000").unwrap().to_string(), "127.0.0.1:9000");
        assert_eq!(listen("[::1]:80").unwrap().to_string(), "[::1]:80");
        assert!(listen("capture:8787").is_err());
    }

    #[test]
    fn capture_listens_on_loopback_unless_told_otherwise() {
        use clap::Parser;
        let cli = Cli::try_parse_from(["beacon-cli", "capture"]).unwrap();
        let Command::Capture(args) = cli.command else {
            panic!("not capture");
        };
        assert!(args.listen.ip().is_loopback(), "{}", args.listen);
        assert_eq!(args.listen.port(), 8787);
    }
}
