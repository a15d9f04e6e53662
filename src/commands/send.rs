//! `send`: deliver the request `dry-run` prints, and report what happened.

use anyhow::Result;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use super::{Context, prepare, resolved};
use crate::cli::SendArgs;
use crate::endpoints::{EndpointId, LICENSE_PLACEHOLDER, is_langchain_host};
use crate::error::{Exit, Failure};
use crate::interpret::{self, Answer, Interpretation};
use crate::output::{self, Format, Output};
use crate::request::{Prepared, RequestView};
use crate::resolve::Settings;
use crate::secrets::{self, Secret};
use crate::transport::{self, Attempt, Delivery, Outcome, ProxyChoice, Response, Step};

/// The answer, as `--output json` prints it.
#[derive(Debug, Serialize)]
pub struct ResponseView {
    /// The status code.
    pub status: u16,
    /// Header name to value (credential headers replaced by a marker).
    pub headers: serde_json::Map<String, serde_json::Value>,
    /// The body as text; the output boundary hides secrets and tokens.
    pub body: String,
    /// True when the body was cut.
    pub truncated: bool,
}

/// Everything `send --output json` reports.
#[derive(Debug, Serialize)]
pub struct SendReport {
    /// The request, as `dry-run --format json` prints it.
    pub request: RequestView,
    /// The proxy used (credentials redacted), or null.
    pub proxy: Option<String>,
    /// Every attempt.
    pub attempts: Vec<Attempt>,
    /// The final answer, or null.
    pub response: Option<ResponseView>,
    /// ok, http-error, network-error or timeout.
    pub outcome: Outcome,
    /// Why there is no answer, in plain words, when there is none.
    pub error: Option<String>,
    /// The fix for that, when known.
    pub hint: Option<String>,
    /// The whole send, in milliseconds.
    pub elapsed_ms: u64,
    /// What the answer means.
    pub interpretation: Option<Interpretation>,
}

/// Runs `send`.
pub fn run(args: &SendArgs, settings: &Settings, context: Context<'_>) -> Result<()> {
    let out = context.out;
    let network = resolved(&settings.network, "network settings")?;
    let (prepared, off) = prepare(args.id, &args.request, settings, out)?;
    if let Some(warning) = &off {
        out.diagnostic(warning);
    }
    if prepared.placeholder_left {
        return Err(Failure::input(format!(
            "refusing to send `{}` without a license key: the body still holds `{LICENSE_PLACEHOLDER}`",
            args.id
        ))
        .hint(resolved(&settings.license, "license")?.missing_help())
        .into());
    }
    confirm_invented_usage(args, &prepared, out)?;
    if network.insecure {
        out.warn("--insecure: the server's certificate is NOT verified; anyone on the path can read the license key");
    }
    if let ProxyChoice::Env(env) = &network.proxy {
        if env.upper_http_ignored && prepared.url.scheme() == "http" {
            out.note("HTTP_PROXY is ignored, as curl ignores it; set http_proxy (lower case) for plain-http URLs");
        }
    }
    if args.request.reveal_secrets {
        out.reveal();
    }
    if args.common.ui.verbose {
        out.labelled(
            "request",
            &format!("{} {}", prepared.method(), prepared.url),
        );
        for (name, value) in &prepared.headers {
            out.labelled("request", &format!("{name}: {value}"));
        }
    }
    let progress = out.progress();
    let target = format!("{} {}", prepared.method(), prepared.url);
    let delivery = transport::deliver(&prepared, network, &mut |step| {
        let text = match step {
            Step::Sending { attempt: 1, .. } => target.clone(),
            Step::Sending { attempt, of } => format!("{target}: attempt {attempt} of {of}"),
            Step::Waiting {
                attempt,
                what,
                wait,
            } => format!(
                "{target}: attempt {attempt} got {what}; next in {:.1} s",
                wait.as_secs_f64()
            ),
        };
        out.set_progress(&progress, &text);
    })?;
    drop(progress);
    let answer: Option<Value> = delivery
        .response
        .as_ref()
        .and_then(|r| serde_json::from_slice(&r.body).ok());
    if let Some(token) = interpret::token(answer.as_ref()) {
        out.protect(&Secret::new(token));
    }
    let reveal = args.request.reveal_secrets;
    if args.common.ui.verbose {
        if let Some(response) = &delivery.response {
            out.labelled(
                "response",
                &format!("HTTP/1.1 {} {}", response.status, response.reason),
            );
            for (name, value) in &response.headers {
                out.labelled(
                    "response",
                    &format!("{name}: {}", shown_header(name, value, reveal)),
                );
            }
        }
    }
    let report = SendReport {
        request: RequestView::new(&prepared),
        proxy: delivery.proxy.as_ref().map(|p| p.shown()),
        attempts: delivery.attempts.clone(),
        response: delivery
            .response
            .as_ref()
            .map(|r| response_view(r, out, reveal)),
        outcome: delivery.outcome,
        error: delivery.failure.as_ref().map(|f| f.message.clone()),
        hint: delivery.failure.as_ref().and_then(|f| f.hint.clone()),
        elapsed_ms: u64::try_from(delivery.elapsed.as_millis()).unwrap_or(u64::MAX),
        interpretation: delivery.response.as_ref().map(|r| {
            interpret::interpret(
                args.id,
                &prepared.text,
                Answer {
                    status: r.status,
                    body: &r.body,
                    json: answer.as_ref(),
                },
                OffsetDateTime::now_utc(),
            )
        }),
    };
    let text = match args.common.output.output {
        Format::Table => human(&prepared, &delivery, &report, answer.as_ref()),
        format => output::machine(format, &report)?.unwrap_or_default(),
    };
    out.print(&text)?;
    if let Some(response) = delivery
        .response
        .as_ref()
        .filter(|_| delivery.outcome == Outcome::HttpError)
    {
        return Err(http_error(args.id, response, &prepared, &delivery).into());
    }
    if let Some(fault) = &delivery.failure {
        let failure = Failure::new(delivery.exit(), fault.kind.as_str(), fault.message.clone());
        return Err(match &fault.hint {
            Some(hint) => failure.hint(hint.clone()),
            None => failure,
        }
        .into());
    }
    match report.interpretation.filter(|read| !read.accepted) {
        Some(read) => Err(Failure::findings(
            "not-accepted",
            format!(
                "the server answered {} but did not take the request: {}",
                delivery.response.as_ref().map_or(0, |r| r.status),
                read.summary
            ),
        )
        .hint("the answer is shown above (or in -o json's `response`); a proxy or portal that answers for Beacon also ends here")
        .into()),
        None => Ok(()),
    }
}

/// A published sample or a synthetic body to `ingest-traces` or `usage-snapshot`
/// at LangChain's own Beacon is recorded as real usage under the license: it
/// needs `--yes`, or a yes on the terminal. A script without `--yes` is refused
/// before any traffic. Your own `--payload`, and any other host, pass.
fn confirm_invented_usage(args: &SendArgs, prepared: &Prepared, out: &Output) -> Result<()> {
    let recorded = matches!(
        args.id,
        EndpointId::IngestTraces | EndpointId::UsageSnapshot
    );
    if args.yes
        || args.request.payload.is_some()
        || !recorded
        || !prepared.url.host_str().is_some_and(is_langchain_host)
    {
        return Ok(());
    }
    let host = prepared.url.host_str().unwrap_or_default();
    let what = if args.request.synthetic {
        "synthetic"
    } else {
        "the published sample's invented"
    };
    let fix = "pass --yes if that is what you mean; to test the path alone, `send verify` records nothing, and --payload FILE sends your own body";
    match out.confirm(&format!(
        "send {what} `{}` data to {host}, where it is recorded as real usage under your license?",
        args.id
    )) {
        Some(true) => Ok(()),
        Some(false) => Err(Failure::input("not sent: you answered no").hint(fix).into()),
        None => Err(Failure::input(format!(
            "refusing to send {what} `{}` data to LangChain's Beacon ({host}) without --yes: it would be recorded as real usage under your license",
            args.id
        ))
        .hint(fix)
        .into()),
    }
}

/// Why an answer that is not a success ends the run: a redirect (not followed),
/// or the server refusing (4xx) or failing (5xx), naming the URL.
fn http_error(
    id: EndpointId,
    response: &Response,
    prepared: &Prepared,
    delivery: &Delivery,
) -> Failure {
    let exit = delivery.exit();
    if exit == Exit::Redirect {
        let location = response
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("location"))
            .map(|(_, v)| format!(" to `{v}`"))
            .unwrap_or_default();
        return Failure::new(
            exit,
            "redirect",
            format!(
                "the server redirected{location}; beacon-cli does not follow redirects, which would resend the license elsewhere"
            ),
        )
        .hint("point --url at the final address");
    }
    let attempts = delivery.attempts.len();
    let after = if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    };
    let code = if exit == Exit::Http4xx {
        "http-4xx"
    } else {
        "http-5xx"
    };
    Failure::new(
        exit,
        code,
        format!(
            "{} answered {} {}{after}",
            prepared.url, response.status, response.reason
        ),
    )
    .hint(interpret::status_hint(id, response.status))
}

/// The answer as reported: the body as text (cut at a limit: a secret cut in
/// half at the end is hidden too), credential headers as markers.
fn response_view(response: &Response, out: &Output, reveal: bool) -> ResponseView {
    let body = String::from_utf8_lossy(&response.body);
    let body = if response.truncated {
        out.redact_cut(&body).into_owned()
    } else {
        body.into_owned()
    };
    ResponseView {
        status: response.status,
        headers: response
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(shown_header(k, v, reveal))))
            .collect(),
        body,
        truncated: response.truncated,
    }
}

/// A header value as shown: the whole value of a credential header is a marker.
fn shown_header(name: &str, value: &str, reveal: bool) -> String {
    if !reveal && secrets::is_sensitive_header(name) {
        return secrets::redacted(value);
    }
    value.to_string()
}

fn human(
    prepared: &Prepared,
    delivery: &Delivery,
    report: &SendReport,
    answer: Option<&Value>,
) -> String {
    let mut out = String::new();
    let count = delivery.attempts.len();
    let tries = output::count(count, "attempt");
    let status = match &delivery.response {
        Some(r) => format!("{} {}", r.status, r.reason),
        None => match delivery.outcome {
            Outcome::Timeout => "timeout".to_string(),
            _ => "no answer".to_string(),
        },
    };
    out.push_str(&format!(
        "{} {} -> {status} in {} ms ({tries})\n",
        prepared.method(),
        prepared.url,
        report.elapsed_ms
    ));
    if let Some(proxy) = &delivery.proxy {
        out.push_str(&format!(
            "via proxy {} (from {})\n",
            proxy.shown(),
            proxy.from
        ));
    }
    if count > 1 {
        for (n, attempt) in delivery.attempts.iter().enumerate() {
            let what = match (&attempt.status, &attempt.error) {
                (Some(code), _) => format!("HTTP {code}"),
                (None, Some(error)) => error.clone(),
                (None, None) => "no answer".to_string(),
            };
            let wait = attempt
                .retry_after_ms
                .map(|ms| format!("; retried after {ms} ms"))
                .unwrap_or_default();
            out.push_str(&format!(
                "  attempt {}: {what} in {} ms{wait}\n",
                n + 1,
                attempt.elapsed_ms
            ));
        }
    }
    if let Some(interpretation) = &report.interpretation {
        out.push_str(&format!(
            "{}: {}\n",
            prepared.endpoint, interpretation.summary
        ));
    }
    if let Some(response) = &report.response {
        if !response.body.is_empty() {
            let pretty = answer
                .and_then(|v| serde_json::to_string_pretty(v).ok())
                .unwrap_or_else(|| response.body.clone());
            out.push('\n');
            out.push_str(&pretty);
            out.push('\n');
        }
        if response.truncated {
            out.push_str(&format!(
                "(the body was cut: larger than {} bytes, or the connection broke)\n",
                transport::MAX_RESPONSE_BYTES
            ));
        }
    }
    out
}
