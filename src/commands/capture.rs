//! `capture`: run a local Beacon, write its ledger, and say what arrived.
//!
//! The server runs on threads of its own (`crate::capture`), which write the
//! ledger; this thread shows a live line per request when standard error is a
//! terminal, and at the end a summary table on standard error.

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::Result;

use super::{Context, resolved};
use crate::capture::ledger::Ledger;
use crate::capture::{self, Brief, Config, Forward, Stop, Totals};
use crate::cli::CaptureArgs;
use crate::error::{Exit, Failure};
use crate::input::{self, Named};
use crate::output::{self, Grid, Output, Tone};
use crate::resolve::Settings;
use crate::transport::{self, Outgoing};

/// A certificate or key file larger than this is not one.
const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// Runs `capture`.
pub fn run(args: &CaptureArgs, settings: &Settings, context: Context<'_>) -> Result<()> {
    let out = context.out;
    if args.reveal_secrets {
        out.reveal();
    }
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            let pem = |path, what| {
                input::read(
                    path,
                    Named {
                        what,
                        fix: "give the PEM file's path",
                        example: "cert.pem",
                        limit: MAX_PEM_BYTES,
                    },
                )
            };
            let (cert, key) = (pem(cert, "--tls-cert")?, pem(key, "--tls-key")?);
            Some(capture::tls_config(
                &cert.bytes,
                &key.bytes,
                &cert.name,
                &key.name,
            )?)
        }
        _ => None,
    };
    let forward = match &args.forward {
        Some(_) => {
            let base = resolved(&settings.beacon, "Beacon URL")?.require()?.clone();
            let network = resolved(&settings.network, "network settings")?.clone();
            // Refuse plain http to another host now, not on the first request.
            transport::check_before_sending(
                &Outgoing {
                    method: "POST",
                    url: &base,
                    headers: &[],
                    body: &[],
                    license: true,
                },
                &network,
            )?;
            if network.insecure {
                out.warn("--insecure: the real Beacon's certificate is NOT verified; anyone on the path can read the license keys relayed");
            }
            Some(Forward { base, network })
        }
        None => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    if !args.listen.ip().is_loopback() && tls.is_none() {
        out.warn(&format!(
            "listening on {} over plain http: license keys in billing bodies cross the network readable",
            args.listen
        ));
    }
    let config = Config {
        tls,
        forward,
        max_requests: args.max_requests,
        duration: args.duration,
        max_body: args.max_body,
        read_timeout: args.read_timeout,
        license: resolved(&settings.license, "license")?.key.clone(),
        redactor: out.redactor(),
        live: out.live(),
    };
    let relay = config
        .forward
        .as_ref()
        .map(|f| f.base.as_str().trim_end_matches('/').to_string());
    let bound = capture::bind(args.listen)?;
    // The ledger is opened once the address is taken: a capture that cannot
    // listen leaves no file behind.
    let (ledger, notes) = Ledger::open(&args.out, args.rotate)?;
    for note in notes {
        out.note(&note);
    }
    let addr = bound.addr;
    let mut server = capture::start(bound, config, ledger)?;
    out.labelled(
        "listening",
        &format!(
            "{scheme}://{addr} (the Beacon paths under any base path); ledger `{}`{}",
            args.out.display(),
            relay
                .map(|r| format!("; relaying to {r}"))
                .unwrap_or_default()
        ),
    );
    let started = Instant::now();
    while let Some(brief) = server.next_brief() {
        out.live_line(&live(&brief));
    }
    let finished = server.finish()?;
    let written = finished.ledger.close()?;
    let totals = &finished.totals;
    out.status(&report(
        totals,
        out,
        finished.stop,
        started.elapsed(),
        &written,
    ));
    if totals.failed > 0 && finished.stop != Some(Stop::Closed) {
        return Err(Failure::new(
            Exit::Failure,
            "not-recorded",
            format!(
                "{} could not be written to the ledger (answered 503): {}",
                output::count(totals.failed, "request"),
                totals.first_failure.clone().unwrap_or_default()
            ),
        )
        .hint("check that the ledger's disk has room and the file is writable")
        .into());
    }
    Ok(())
}

/// One request as a line: time, endpoint, size, answer, findings, flags.
fn live(brief: &Brief) -> String {
    let t = brief.time;
    let what = match brief.endpoint {
        Some(id) => id.to_string(),
        None => format!("{} {}", brief.method, brief.path),
    };
    let mut line = format!(
        "{:02}:{:02}:{:02}.{:03}  {what:<14}  {:>9}  {}",
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond(),
        output::bytes(brief.raw_bytes),
        brief.status
    );
    if let Some(real) = brief.forwarded {
        line.push_str(&match real {
            Some(status) => format!(" (Beacon {status})"),
            None => " (Beacon: no answer)".to_string(),
        });
    }
    let counts = brief.counts;
    for (n, noun) in [
        (counts.error, "error"),
        (counts.warning, "warning"),
        (counts.info, "info"),
    ] {
        if n > 0 {
            line.push_str(&format!("  {}", output::count(n, noun)));
        }
    }
    if brief.privacy > 0 {
        line.push_str(&format!("  {} privacy", brief.privacy));
    }
    for flag in &brief.flags {
        line.push_str(&format!("  [{}]", flag.as_str()));
    }
    line
}

/// The table at the end, and how the run ended.
fn report(
    summary: &Totals,
    out: &Output,
    stop: Option<Stop>,
    elapsed: std::time::Duration,
    ledger: &capture::ledger::LedgerSummary,
) -> String {
    let relayed = summary.rows.values().any(|r| !r.forwarded.is_empty());
    let mut header = vec![
        "endpoint", "requests", "bytes", "answers", "errors", "warnings", "infos", "privacy",
        "flagged",
    ];
    if relayed {
        header.push("Beacon answered");
    }
    let mut grid = Grid::new(&header);
    let mut total = 0;
    // The endpoints in the catalogue's order, then the other paths.
    let mut rows: Vec<_> = summary.rows.iter().collect();
    rows.sort_by_key(|(endpoint, _)| (endpoint.is_none(), **endpoint));
    for (endpoint, row) in rows {
        total += row.requests;
        let tone = |n: u64, bad: Tone| if n > 0 { bad } else { Tone::Plain };
        let mut cells = vec![
            (
                endpoint.map_or_else(|| "other paths".to_string(), |id| id.to_string()),
                Tone::Bold,
            ),
            (row.requests.to_string(), Tone::Plain),
            (output::bytes(row.bytes), Tone::Plain),
            (statuses(&row.statuses), Tone::Plain),
            (
                row.counts.error.to_string(),
                tone(row.counts.error, Tone::Bad),
            ),
            (
                row.counts.warning.to_string(),
                tone(row.counts.warning, Tone::Warn),
            ),
            (row.counts.info.to_string(), Tone::Plain),
            (row.privacy.to_string(), tone(row.privacy, Tone::Warn)),
            (row.flagged.to_string(), tone(row.flagged, Tone::Warn)),
        ];
        if relayed {
            let text = row
                .forwarded
                .iter()
                .map(|(status, n)| match status {
                    Some(s) => format!("{s}×{n}"),
                    None => format!("none×{n}"),
                })
                .collect::<Vec<_>>()
                .join(" ");
            cells.push((text, Tone::Plain));
        }
        grid.row(cells);
    }
    let mut text = String::new();
    if !summary.rows.is_empty() {
        text.push_str(&out.grid_for_stderr(&grid));
    }
    let why = stop.map_or_else(|| "stopped".to_string(), |s| format!("stopped: {s}"));
    let rotated = match ledger.rotated.len() {
        0 => String::new(),
        n => format!(" (and {} rotated out)", output::count(n, "earlier file")),
    };
    text.push_str(&format!(
        "{why}; {} in {:.1} s; {} written to `{}`{rotated}\n",
        output::count(total, "request"),
        elapsed.as_secs_f64(),
        output::count(ledger.records, "record"),
        ledger.path.display()
    ));
    text
}

/// Statuses and their counts: `200×12 413×1`.
fn statuses(statuses: &BTreeMap<u16, u64>) -> String {
    statuses
        .iter()
        .map(|(status, n)| format!("{status}×{n}"))
        .collect::<Vec<_>>()
        .join(" ")
}
