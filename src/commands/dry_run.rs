//! `dry-run`: the exact request `send` would make, printed and not sent.

use anyhow::Result;

use super::{Context, prepare, resolved};
use crate::cli::{DryRunArgs, RequestFormat};
use crate::endpoints::LICENSE_PLACEHOLDER;
use crate::error::{Exit, Failure};
use crate::output;
use crate::request::{Prepared, RequestView};
use crate::resolve::Settings;

/// Runs `dry-run`.
pub fn run(args: &DryRunArgs, settings: &Settings, context: Context<'_>) -> Result<()> {
    let out = context.out;
    let (prepared, off) = prepare(args.id, &args.request, settings, out)?;
    if let Some(warning) = off.as_ref().filter(|_| !args.strict) {
        out.diagnostic(warning);
    }
    if prepared.placeholder_left {
        out.warn(&format!(
            "no license key: the body keeps the documented placeholder `{LICENSE_PLACEHOLDER}`"
        ));
        out.hint(&resolved(&settings.license, "license")?.missing_help());
    }
    if prepared.gzip && args.output == RequestFormat::Http {
        out.note(&format!(
            "the body is shown uncompressed; on the wire it is {} gzip bytes (Content-Length)",
            prepared.body.len()
        ));
    }
    if args.request.reveal_secrets {
        out.reveal();
    }
    let text = match args.output {
        RequestFormat::Http => http(&prepared),
        RequestFormat::Curl => {
            if prepared.license.as_ref().is_some_and(|k| {
                serde_json::to_string(k.expose()).is_ok_and(|j| j[1..j.len() - 1] != *k.expose())
            }) {
                out.warn(
                    "the license has characters that JSON escapes (`\"` or `\\`); the curl command inserts $LANGSMITH_LICENSE_KEY as it is, so escape them in the variable",
                );
            }
            curl(&prepared)
        }
        RequestFormat::Json => output::to_json(&RequestView::new(&prepared))?,
        RequestFormat::Yaml => output::to_yaml(&RequestView::new(&prepared))?,
    };
    out.print(&text)?;
    match off {
        Some(off) if args.strict => Err(Failure::from_diagnostic(Exit::Findings, off)
            .hint("--strict fails on an endpoint the values turn off; drop it to print the request anyway")
            .into()),
        _ => Ok(()),
    }
}

/// The request as HTTP text: request line with the full URL, headers, blank line, body.
pub fn http(prepared: &Prepared) -> String {
    let mut out = format!("{} {} HTTP/1.1\n", prepared.method(), prepared.url);
    for (name, value) in &prepared.headers {
        out.push_str(&format!("{name}: {value}\n"));
    }
    out.push('\n');
    out.push_str(&prepared.text);
    out
}

/// A shell pipeline that sends the same request with curl; the license comes
/// from `$LANGSMITH_LICENSE_KEY` when it runs, and reaches curl on standard input.
pub fn curl(prepared: &Prepared) -> String {
    let mut body = shell_quote(&prepared.text);
    if let Some(key) = &prepared.license {
        let quoted_key = serde_json::to_string(key.expose()).expect("strings serialise");
        let quoted_key = shell_quote(&quoted_key);
        let inner = &quoted_key[1..quoted_key.len() - 1];
        body = body.replace(
            inner,
            "\"'\"${LANGSMITH_LICENSE_KEY:?set LANGSMITH_LICENSE_KEY to your license key}\"'\"",
        );
    }
    // The body reaches curl on standard input, from `printf`, a shell builtin:
    // neither the body nor the expanded license is ever an argument of a process,
    // which every user of the machine could read in `ps`.
    let mut command = format!("printf '%s' {body} | \\\n  ");
    if prepared.gzip {
        command.push_str("gzip -c | \\\n  ");
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
    command.push_str(" \\\n  --data-binary @-\n");
    command
}

/// Single-quotes text for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}
