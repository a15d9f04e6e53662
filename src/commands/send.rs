//! `send`: deliver the request `dry-run` prints, and report what happened.

use anyhow::Result;
use serde::Serialize;
use time::OffsetDateTime;

use crate::cli::SendArgs;
use crate::commands::Context;
use crate::commands::dry_run::{self, RequestView};
use crate::error::{Exit, InputError};
use crate::interpret::{self, Interpretation};
use crate::output::{self, Format, diagnostic};
use crate::request::{self, Prepared};
use crate::secrets::{self, Secret};
use crate::transport::{self, Attempt, Delivery, EnvProxies, Outcome, ProxyChoice};

/// The answer, as `--output json` prints it.
#[derive(Debug, Serialize)]
pub struct ResponseView {
    /// The status code.
    pub status: u16,
    /// Header name to value (secrets redacted).
    pub headers: serde_json::Map<String, serde_json::Value>,
    /// The body as text, secrets and tokens redacted unless revealed.
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

fn transport_options(args: &SendArgs) -> transport::Options {
    let env = |name: &str| std::env::var(name).ok();
    let proxy = if args.no_proxy {
        ProxyChoice::Off
    } else if let Some(proxy) = &args.proxy {
        ProxyChoice::Flag(proxy.clone())
    } else {
        ProxyChoice::Env(EnvProxies::read(env))
    };
    let cacert = match &args.cacert {
        Some(path) => Some((path.clone(), "--cacert")),
        None => env("SSL_CERT_FILE")
            .filter(|v| !v.is_empty())
            .map(|v| (v.into(), "$SSL_CERT_FILE")),
    };
    transport::Options {
        cacert,
        insecure: args.insecure,
        proxy,
        connect_timeout: args.connect_timeout,
        timeout: args.timeout,
        retries: args.retries,
        allow_http: args.allow_http,
    }
}

/// Runs `send`.
pub fn run(args: &SendArgs, context: &Context) -> Result<Exit> {
    let (prepared, report, _) = dry_run::prepare(args.id, &args.request, context)?;
    if prepared.placeholder_left {
        return Err(InputError::new(format!(
            "refusing to send `{}` without a license key: the body still holds `{}`",
            args.id.id,
            crate::endpoints::LICENSE_PLACEHOLDER
        ))
        .hint(request::missing_license_help(&report))
        .into());
    }
    let options = transport_options(args);
    if options.insecure {
        diagnostic(
            "warning",
            "--insecure: the server's certificate is NOT verified; anyone on the path can read the license key",
        );
    }
    if let ProxyChoice::Env(env) = &options.proxy {
        if env.upper_http_ignored && prepared.url.scheme() == "http" {
            diagnostic(
                "note",
                "HTTP_PROXY is ignored, as curl ignores it; set http_proxy (lower case) for plain-http URLs",
            );
        }
    }
    let reveal = args.request.reveal_secrets;
    if args.verbose {
        verbose_request(&prepared, reveal);
    }
    let delivery = transport::deliver(&prepared, &options)?;
    let token = delivery
        .response
        .as_ref()
        .and_then(|r| serde_json::from_slice::<serde_json::Value>(&r.body).ok())
        .and_then(|v| v.get("token").and_then(|t| t.as_str()).map(Secret::new));
    let mut secrets: Vec<&Secret> = prepared.secrets();
    secrets.extend(token.as_ref());
    if args.verbose {
        verbose_response(&delivery, &secrets, reveal);
    }
    let interpretation = delivery.response.as_ref().map(|r| {
        interpret::interpret(
            args.id,
            &prepared.text,
            r.status,
            &r.body,
            OffsetDateTime::now_utc(),
        )
    });
    let send_report = SendReport {
        request: RequestView::new(&prepared, reveal),
        proxy: delivery.proxy.as_ref().map(|p| p.shown()),
        attempts: delivery.attempts.clone(),
        response: delivery.response.as_ref().map(|r| ResponseView {
            status: r.status,
            headers: r
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        serde_json::Value::String(shown_header(k, v, &secrets, reveal)),
                    )
                })
                .collect(),
            body: shown_text(&String::from_utf8_lossy(&r.body), &secrets, reveal),
            truncated: r.truncated,
        }),
        outcome: delivery.outcome,
        error: delivery.failure.as_ref().map(|f| f.message.clone()),
        hint: delivery.failure.as_ref().and_then(|f| f.hint.clone()),
        elapsed_ms: u64::try_from(delivery.elapsed.as_millis()).unwrap_or(u64::MAX),
        interpretation,
    };
    let text = match context.global.output {
        Format::Table => human(&prepared, &delivery, &send_report),
        format => output::machine(format, &send_report)?.unwrap_or_default(),
    };
    output::print(&text)?;
    if let Some(response) = delivery
        .response
        .as_ref()
        .filter(|r| (300..400).contains(&r.status))
    {
        let location = response
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("location"))
            .map(|(_, v)| format!(" to `{v}`"))
            .unwrap_or_default();
        diagnostic(
            "error",
            &format!(
                "the server redirected{location}; beacon-cli does not follow redirects, which would resend the license elsewhere"
            ),
        );
        diagnostic("hint", "point --url at the final address");
    }
    if context.global.output == Format::Table {
        if let Some(failure) = &delivery.failure {
            diagnostic("error", &failure.message);
            if let Some(hint) = &failure.hint {
                diagnostic("hint", hint);
            }
        }
    }
    Ok(delivery.exit())
}

fn shown_text(text: &str, secrets: &[&Secret], reveal: bool) -> String {
    if reveal {
        text.to_string()
    } else {
        secrets::redact_all(text, secrets)
    }
}

fn shown_header(name: &str, value: &str, secrets: &[&Secret], reveal: bool) -> String {
    let sensitive = [
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
    ];
    if !reveal && sensitive.contains(&name.to_ascii_lowercase().as_str()) {
        return secrets::redacted(value);
    }
    shown_text(value, secrets, reveal)
}

fn verbose_request(prepared: &Prepared, reveal: bool) {
    diagnostic(
        "request",
        &format!("{} {}", prepared.method(), prepared.url),
    );
    for (name, value) in &prepared.headers {
        diagnostic(
            "request",
            &format!("{name}: {}", shown_text(value, &prepared.secrets(), reveal)),
        );
    }
}

fn verbose_response(delivery: &Delivery, secrets: &[&Secret], reveal: bool) {
    if let Some(response) = &delivery.response {
        diagnostic(
            "response",
            &format!("HTTP/1.1 {} {}", response.status, response.reason),
        );
        for (name, value) in &response.headers {
            diagnostic(
                "response",
                &format!("{name}: {}", shown_header(name, value, secrets, reveal)),
            );
        }
    }
}

fn human(prepared: &Prepared, delivery: &Delivery, report: &SendReport) -> String {
    let mut out = String::new();
    let count = delivery.attempts.len();
    let tries = format!("{count} attempt{}", if count == 1 { "" } else { "s" });
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
            prepared.endpoint.id, interpretation.summary
        ));
    }
    if let Some(response) = &report.response {
        if !response.body.is_empty() {
            let pretty = serde_json::from_str::<serde_json::Value>(&response.body)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
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
