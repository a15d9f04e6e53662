//! `dry-run`: the exact request `send` would make, printed and not sent.

use anyhow::Result;
use serde::Serialize;

use crate::cli::{DryRunArgs, RequestArgs, RequestFormat};
use crate::commands::Context;
use crate::egress::{self, Report};
use crate::endpoints::Endpoint;
use crate::error::Exit;
use crate::output::{self, Format, diagnostic};
use crate::request::{self, BodySource, Options, Prepared};

/// The request as `--format json` prints it.
#[derive(Debug, Serialize)]
pub struct RequestView {
    /// The HTTP method.
    pub method: &'static str,
    /// The full URL.
    pub url: String,
    /// Header name to value, in the order sent.
    pub headers: serde_json::Map<String, serde_json::Value>,
    /// The body as text (before compression), secrets redacted unless revealed.
    pub body: String,
    /// Whether the body goes gzip-compressed.
    pub gzip: bool,
}

impl RequestView {
    /// The view of a prepared request.
    pub fn new(prepared: &Prepared, reveal: bool) -> Self {
        Self {
            method: prepared.method(),
            url: prepared.url.to_string(),
            headers: prepared
                .headers
                .iter()
                .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone())))
                .collect(),
            body: if reveal {
                prepared.text.clone()
            } else {
                prepared.redacted_text()
            },
            gzip: prepared.gzip,
        }
    }
}

/// The request options from the flags and the environment.
pub fn options(args: &RequestArgs) -> Options {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    Options {
        url: args.url.clone(),
        env_url: env("BEACON_URL"),
        payload: args.payload.clone(),
        synthetic: args.synthetic,
        seed: args.seed,
        license_file: args.license_file.clone(),
        env_license: env("LANGSMITH_LICENSE_KEY"),
        gzip: args.gzip,
    }
}

/// Prepares the request and says on standard error what the user should know:
/// notes, a missing license, an endpoint the values turn off. Returns the request
/// and whether the values turn the endpoint off.
pub fn prepare(
    endpoint: &'static Endpoint,
    args: &RequestArgs,
    context: &Context,
) -> Result<(Prepared, Report, bool)> {
    let values = context.values()?;
    let report = egress::analyse(&values);
    let prepared = request::prepare(endpoint, &options(args), &report)?;
    for note in &prepared.notes {
        diagnostic("note", note);
    }
    if prepared.body_source == BodySource::Sample {
        super::payloads::report_defects(endpoint);
    }
    let state = report.endpoint(endpoint.id);
    let off = !state.enabled;
    if off {
        let at = match (&state.decided_by.file, state.decided_by.line) {
            (Some(file), Some(line)) => format!(" at {file}:{line}"),
            (Some(file), None) => format!(" in {file}"),
            _ => String::new(),
        };
        diagnostic(
            "warning",
            &format!(
                "LangSmith would not send this: the values turn `{}` off ({}{at})",
                endpoint.id, state.decided_by.reason
            ),
        );
    }
    Ok((prepared, report, off))
}

/// Runs `dry-run`.
pub fn run(args: &DryRunArgs, context: &Context) -> Result<Exit> {
    let (prepared, report, off) = prepare(args.id, &args.request, context)?;
    if prepared.placeholder_left {
        diagnostic(
            "warning",
            &format!(
                "no license key: the body keeps the documented placeholder `{}`",
                crate::endpoints::LICENSE_PLACEHOLDER
            ),
        );
        diagnostic("hint", &request::missing_license_help(&report));
    }
    if prepared.gzip && args.format == RequestFormat::Http && context.global.output == Format::Table
    {
        diagnostic(
            "note",
            &format!(
                "the body is shown uncompressed; on the wire it is {} gzip bytes (Content-Length)",
                prepared.body.len()
            ),
        );
    }
    let reveal = args.request.reveal_secrets;
    let format = if context.global.output == Format::Table {
        args.format
    } else {
        RequestFormat::Json
    };
    let text = match format {
        RequestFormat::Http => http(&prepared, reveal),
        RequestFormat::Curl => {
            if prepared.secrets().iter().any(|k| {
                serde_json::to_string(k.expose()).is_ok_and(|j| j[1..j.len() - 1] != *k.expose())
            }) {
                diagnostic(
                    "warning",
                    "the license has characters that JSON escapes (`\"` or `\\`); the curl command inserts $LANGSMITH_LICENSE_KEY as it is, so escape them in the variable",
                );
            }
            curl(&prepared)
        }
        RequestFormat::Json => {
            let view = RequestView::new(&prepared, reveal);
            match output::machine(context.global.output, &view)? {
                Some(text) => text,
                None => output::to_json(&view)?,
            }
        }
    };
    output::print(&text)?;
    Ok(if off && args.strict {
        Exit::Findings
    } else {
        Exit::Success
    })
}

/// The request as HTTP text: request line with the full URL, headers, blank line, body.
pub fn http(prepared: &Prepared, reveal: bool) -> String {
    let mut out = format!("{} {} HTTP/1.1\n", prepared.method(), prepared.url);
    for (name, value) in &prepared.headers {
        out.push_str(&format!("{name}: {value}\n"));
    }
    out.push('\n');
    let body = if reveal {
        prepared.text.clone()
    } else {
        prepared.redacted_text()
    };
    out.push_str(&body);
    out
}

/// A curl command that sends the same request; the license comes from
/// `$LANGSMITH_LICENSE_KEY`, never from the command line itself.
pub fn curl(prepared: &Prepared) -> String {
    let mut body = shell_quote(&prepared.text);
    if let Some(key) = prepared.secrets().first() {
        let quoted_key = serde_json::to_string(key.expose()).expect("strings serialise");
        let quoted_key = shell_quote(&quoted_key);
        let inner = &quoted_key[1..quoted_key.len() - 1];
        body = body.replace(
            inner,
            "\"'\"${LANGSMITH_LICENSE_KEY:?set LANGSMITH_LICENSE_KEY to your license key}\"'\"",
        );
    }
    let mut command = String::new();
    if prepared.gzip {
        command.push_str(&format!("printf '%s' {body} | gzip -c | \\\n  "));
    }
    command.push_str(&format!(
        "curl --silent --show-error --request {} {}",
        prepared.method(),
        shell_quote(prepared.url.as_str())
    ));
    for (name, value) in &prepared.headers {
        if matches!(*name, "Host" | "Content-Length") {
            continue;
        }
        command.push_str(&format!(
            " \\\n  --header {}",
            shell_quote(&format!("{name}: {value}"))
        ));
    }
    if prepared.gzip {
        command.push_str(" \\\n  --data-binary @-\n");
    } else {
        command.push_str(&format!(" \\\n  --data-binary {body}\n"));
    }
    command
}

/// Single-quotes text for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}
