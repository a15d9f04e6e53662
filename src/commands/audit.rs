//! `audit`: read capture ledgers as streams, summarise them, compare them with
//! the configuration, and exit 3 on drift.

use std::io::BufReader;

use anyhow::Result;

use super::Context;
use crate::audit::{Audit, Summary};
use crate::cli::AuditArgs;
use crate::diagnostic::{Diagnostic, Location};
use crate::error::Failure;
use crate::input::io_reason;
use crate::output::{self, Grid, Output, Tone};
use crate::resolve::Settings;

/// The read buffer for a ledger.
const READ_BUFFER: usize = 256 * 1024;

/// Runs `audit`.
pub fn run(args: &AuditArgs, settings: &Settings, context: Context<'_>) -> Result<()> {
    let out = context.out;
    // `-` as a ledger and as `-f -` or `--manifests -` is refused as the settings
    // are resolved (the command's `Ask::stdin`); `-` twice among the ledgers here.
    if args.ledgers.iter().filter(|f| f.as_os_str() == "-").count() > 1 {
        return Err(
            Failure::input("standard input is named twice: by `-` as a ledger, twice")
                .hint("standard input can be read only once; save one of them to a file")
                .into(),
        );
    }
    let mut audit = Audit::new();
    for path in &args.ledgers {
        if path.as_os_str() == "-" {
            let mut reader = BufReader::with_capacity(READ_BUFFER, std::io::stdin().lock());
            audit.read(&mut reader, "<stdin>")?;
            continue;
        }
        let name = path.display().to_string();
        if path.is_dir() {
            return Err(Failure::input(format!("ledger `{name}` is a directory"))
                .hint(format!(
                    "name the files in it, for example `{}`",
                    path.join("capture.jsonl").display()
                ))
                .into());
        }
        let file = std::fs::File::open(path).map_err(|e| {
            Failure::input(format!("cannot read ledger `{name}`: {}", io_reason(&e)))
                .hint("give the file `beacon-cli capture --out` wrote")
        })?;
        audit.read(&mut BufReader::with_capacity(READ_BUFFER, file), &name)?;
    }
    let summary = audit.finish(settings.report());
    if summary.malformed_count > 0 {
        let first = &summary.malformed[0];
        out.warn(&format!(
            "{} {} not a capture record, left out (first: `{}` line {}: {})",
            output::count(summary.malformed_count, "line"),
            if summary.malformed_count == 1 {
                "is"
            } else {
                "are"
            },
            first.ledger,
            first.line,
            first.error
        ));
    }
    let text = match output::machine(args.common.output.output, &summary)? {
        Some(text) => text,
        None => render(&summary, out),
    };
    out.print(&text)?;
    if summary.drift.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = summary
        .drift
        .iter()
        .map(|d| format!("{} ({})", d.endpoint, d.requests))
        .collect();
    Err(Failure::findings(
        "drift",
        format!(
            "{} arrived although the configuration turns {} off: {}",
            output::count(summary.drift.len(), "endpoint"),
            if summary.drift.len() == 1 { "it" } else { "them" },
            list.join(", ")
        ),
    )
    .hint("the configuration that was compared is not the one in force where these requests came from; the report on standard output says which key decides each")
    .into())
}

/// The audit for people: the endpoint table, other paths, fields and privacy
/// findings, then drift.
fn render(summary: &Summary, out: &Output) -> String {
    let paint = out.paint();
    let mut text = String::new();
    let span = match (&summary.first_seen, &summary.last_seen) {
        (Some(first), Some(last)) => format!(", {first} to {last}"),
        _ => String::new(),
    };
    text.push_str(&out.wrap(
        &format!(
            "{} ({}{span})",
            summary
                .ledgers
                .iter()
                .map(|l| format!("`{l}`"))
                .collect::<Vec<_>>()
                .join(", "),
            output::count(summary.records, "record"),
        ),
        &format!("{}  ", paint.bold("ledgers")),
        "         ",
    ));
    text.push('\n');
    if !summary.compared {
        text.push_str(&out.wrap(
            "none given: -f VALUES or --manifests FILE compares what arrived with what may leave",
            &format!("{}  ", paint.bold("config ")),
            "         ",
        ));
        text.push('\n');
    }
    text.push('\n');
    let mut header = vec!["endpoint"];
    if summary.compared {
        header.push("config");
    }
    header.extend([
        "requests",
        "bytes",
        "first seen",
        "last seen",
        "errors",
        "warnings",
        "infos",
        "privacy",
    ]);
    let mut grid = Grid::new(&header).stacking(1, &[]).packed();
    for e in &summary.endpoints {
        let mut row = vec![(e.id.to_string(), Tone::Bold)];
        if summary.compared {
            let (word, tone) = match (e.enabled, e.certain) {
                (Some(false), _) if e.requests > 0 => ("off", Tone::Bad),
                (Some(false), _) => ("off", Tone::Good),
                (Some(true), Some(false)) => ("on?", Tone::Warn),
                (Some(true), _) => ("on", Tone::Plain),
                (None, _) => ("-", Tone::Plain),
            };
            row.push((word.to_string(), tone));
        }
        let seen = |t: &Option<String>| t.clone().unwrap_or_else(|| "-".to_string());
        let warn = |n: u64, tone: Tone| (n.to_string(), if n > 0 { tone } else { Tone::Plain });
        row.extend([
            (e.requests.to_string(), Tone::Plain),
            (output::bytes(e.raw_bytes), Tone::Plain),
            (seen(&e.first_seen), Tone::Plain),
            (seen(&e.last_seen), Tone::Plain),
            warn(e.findings.error, Tone::Bad),
            warn(e.findings.warning, Tone::Warn),
            (e.findings.info.to_string(), Tone::Plain),
            warn(e.privacy.values().sum(), Tone::Warn),
        ]);
        grid.row(row);
    }
    text.push_str(&out.grid(&grid));
    let other = &summary.other_paths;
    if other.requests > 0 {
        text.push('\n');
        text.push_str(&paint.bold("other paths (answered 404)"));
        text.push('\n');
        for (path, n) in &other.paths {
            text.push_str(&format!("  {path}  {n}\n"));
        }
        if other.paths_omitted > 0 {
            text.push_str(&format!(
                "  ... and {} more requests to other paths\n",
                other.paths_omitted
            ));
        }
    }
    for e in summary.endpoints.iter().filter(|e| e.requests > 0) {
        let answered_all = e.statuses.keys().all(|s| s.starts_with('2'));
        let lines: Vec<String> = [
            ("fields beyond the documented ones", &e.unknown_fields, true),
            ("privacy findings", &e.privacy, true),
            ("flagged", &e.flags, true),
            ("answered", &e.statuses, !answered_all),
            ("Beacon answered", &e.forwarded, true),
        ]
        .into_iter()
        .filter(|(_, counts, shown)| *shown && !counts.is_empty())
        .map(|(what, counts, _)| {
            let list: Vec<String> = counts.iter().map(|(k, n)| format!("{k} ({n})")).collect();
            format!("{what}: {}", list.join(", "))
        })
        .collect();
        if lines.is_empty() {
            continue;
        }
        text.push('\n');
        text.push_str(&paint.bold(e.id.as_str()));
        text.push('\n');
        for line in lines {
            text.push_str(&out.wrap(&line, "  ", "    "));
            text.push('\n');
        }
    }
    for note in &summary.notes {
        text.push('\n');
        text.push_str(&out.report(&Diagnostic::note(note.code, note.message.clone())));
    }
    if !summary.drift.is_empty() {
        text.push('\n');
        text.push_str(&paint.bold(&format!("drift ({})", summary.drift.len())));
        text.push_str("\n\n");
        for drift in &summary.drift {
            let diagnostic = Diagnostic::error("drift", drift.message.clone())
                .at(Location::Values {
                    file: drift.decided_by.file.clone(),
                    line: drift.decided_by.line,
                    column: None,
                })
                .hint("find the pods that send it: the ledger's `peer` and `headers.user-agent` say who sent each request");
            text.push_str(&out.report(&diagnostic));
        }
    }
    text
}
