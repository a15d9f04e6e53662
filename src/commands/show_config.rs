//! `show-config`: the report of what the values send to Beacon.

use anyhow::Result;

use super::{Context, resolved};
use crate::cli::ShowConfigArgs;
use crate::config::{CWD_FILE, Source, SourceKind};
use crate::diagnostic::distinct_codes;
use crate::egress::workloads::{self, State};
use crate::egress::{DecidedBy, LicenseSource, Report};
use crate::endpoints::EndpointId;
use crate::error::Failure;
use crate::output::{self, Grid, Output, Tone};
use crate::resolve::Settings;

/// Runs `show-config`.
pub fn run(args: &ShowConfigArgs, settings: &Settings, context: Context<'_>) -> Result<()> {
    let report = &resolved(&settings.loaded, "values")?.report;
    let text = match output::machine(args.common.output.output, report)? {
        Some(text) => text,
        None => render(report, context.out),
    };
    context.out.print(&text)?;
    verdict(report, args.strict)
}

/// Exit 3, with the reason on standard error, when Helm would refuse the values,
/// or with `--strict` when there is any warning: a CI log that keeps only
/// standard error still says why.
fn verdict(report: &Report, strict: bool) -> Result<()> {
    if let Some(first) = report.errors.first() {
        let more = match report.errors.len() - 1 {
            0 => String::new(),
            n => format!(
                " (and {} more: {})",
                output::count(n, "error"),
                distinct_codes(&report.errors[1..])
            ),
        };
        return Err(Failure::findings(
            "helm-refuses",
            format!("Helm would refuse these values: {}{more}", first.message),
        )
        .at(first.location.clone())
        .hint(first.hint.clone().unwrap_or_else(|| {
            "the report on standard output says where and how to fix it".to_string()
        }))
        .into());
    }
    if strict && !report.warnings.is_empty() {
        return Err(Failure::findings(
            "strict",
            format!(
                "--strict: {} ({})",
                output::count(report.warnings.len(), "warning"),
                distinct_codes(&report.warnings)
            ),
        )
        .hint("the report on standard output says where each is and how to fix it")
        .into());
    }
    Ok(())
}

/// Where a decision was made, for a table cell: `prod.yaml:12`, `--set ...`, `chart default`.
fn place(decided: &DecidedBy) -> String {
    match (&decided.file, decided.line) {
        (Some(file), Some(line)) => format!("{file}:{line}"),
        (Some(file), None) => file.clone(),
        (None, _) if decided.key.is_none() => decided.reason.clone(),
        (None, _) => "chart default".to_string(),
    }
}

fn decided_cell(decided: &DecidedBy) -> String {
    match &decided.key {
        Some(_) => format!("{} ({})", decided.reason, place(decided)),
        None => decided.reason.clone(),
    }
}

/// The human report: a header, the endpoint table, then errors, warnings and notes.
pub fn render(report: &Report, out: &Output) -> String {
    let paint = out.paint();
    let mut text = String::new();
    let line = |text: &mut String, label: &str, value: &str| {
        let label = paint.bold(&format!("{label:<8}"));
        text.push_str(&out.wrap(value, &format!("{label} "), "         "));
        text.push('\n');
    };

    let manifests = report
        .sources
        .iter()
        .any(|s| s.kind == SourceKind::Manifests);
    line(
        &mut text,
        if manifests { "read" } else { "values" },
        &sources_line(report),
    );
    if !report.renders {
        line(
            &mut text,
            "renders",
            &paint.bad("NO: Helm refuses these values (see the errors below); nothing is installed as they stand"),
        );
    }
    line(
        &mut text,
        "beacon",
        &format!(
            "{}  ({})",
            report.beacon_url.as_deref().unwrap_or("unknown"),
            report.beacon_url_decided_by.reason
        ),
    );
    let license = match report.license.source {
        LicenseSource::Missing => paint.warn(
            "missing: set config.langsmithLicenseKey, or name a Secret with config.existingSecretName",
        ),
        LicenseSource::Secret => format!(
            "Kubernetes Secret `{}` (key langsmith_license_key)",
            report.license.secret_name.as_deref().unwrap_or_default()
        ),
        _ => format!(
            "{} {}",
            report.license.fingerprint.as_deref().unwrap_or("?"),
            report
                .license
                .decided_by
                .as_ref()
                .map(|d| format!("from {} ({})", d.key.as_deref().unwrap_or("?"), place(d)))
                .unwrap_or_default()
        ),
    };
    line(&mut text, "license", &license);
    let proxy = if report.proxy.is_empty() && manifests {
        "none in any workload (pods connect directly)".to_string()
    } else if report.proxy.is_empty() {
        "none in commonEnv (pods connect directly)".to_string()
    } else {
        report
            .proxy
            .iter()
            .map(|p| format!("{}={}", p.name, p.value.as_deref().unwrap_or("<valueFrom>")))
            .collect::<Vec<_>>()
            .join("  ")
    };
    line(&mut text, "proxy", &proxy);
    let engine = if report.engine.enabled {
        paint.warn(&format!(
            "on: also calls {}",
            report
                .engine
                .url
                .as_deref()
                .unwrap_or("<engine.intelligenceBaseUrl is empty>")
        ))
    } else {
        format!("off ({})", place(&report.engine.decided_by))
    };
    line(&mut text, "engine", &engine);
    text.push('\n');

    let mut grid =
        Grid::new(&["endpoint", "on", "class", "need", "url", "decided by"]).stacking(4, &[4]);
    for endpoint in &report.endpoints {
        let (state, tone) = match (endpoint.enabled, endpoint.certain) {
            (true, true) if endpoint.required => ("on", Tone::Bad),
            (true, true) => ("on", Tone::Warn),
            (true, false) => ("on?", Tone::Warn),
            (false, true) => ("off", Tone::Good),
            (false, false) => ("off?", Tone::Good),
        };
        grid.row(vec![
            (endpoint.id.to_string(), Tone::Plain),
            (state.to_string(), tone),
            (endpoint.class.as_str().to_string(), Tone::Plain),
            (
                (if endpoint.required {
                    "required"
                } else {
                    "optional"
                })
                .to_string(),
                Tone::Plain,
            ),
            (
                endpoint
                    .url
                    .clone()
                    .unwrap_or_else(|| "unknown".to_string()),
                Tone::Plain,
            ),
            (decided_cell(&endpoint.decided_by), Tone::Plain),
        ]);
    }
    text.push_str(&out.grid(&grid));
    let footnote = |text: &mut String, note: &str| {
        text.push_str(&paint.dim(&out.wrap(note, "", "")));
        text.push('\n');
    };
    if report.endpoints.iter().any(|e| !e.certain) {
        footnote(
            &mut text,
            "`on?`: not certain from the values; see the warnings below",
        );
    }
    if workloads::disagree(&report.workloads) {
        text.push('\n');
        text.push_str(&out.grid(&workload_grid(report)));
        footnote(
            &mut text,
            "the pods do not all send the same: `on` above means on in any of them",
        );
    }
    text.push('\n');
    line(&mut text, "offline", report.offline);

    for note in &report.notes {
        text.push_str(&out.wrap(
            &note.message,
            &format!("{} ", paint.bold("note:")),
            "      ",
        ));
        text.push('\n');
    }
    for (list, noun) in [(&report.errors, "error"), (&report.warnings, "warning")] {
        if list.is_empty() {
            continue;
        }
        let count = list.len();
        let title = format!("{}:", output::count(count, noun));
        let title = if noun == "error" {
            paint.bad(&title)
        } else {
            paint.warn(&title)
        };
        text.push_str(&format!("\n{title}\n"));
        for diagnostic in list {
            text.push('\n');
            text.push_str(&out.report(diagnostic));
        }
    }
    text
}

/// One row per group of pods: what each sends, when they do not all agree.
fn workload_grid(report: &Report) -> Grid {
    let mut header = vec!["workload", "pods"];
    header.extend(EndpointId::ALL.iter().map(|id| id.as_str()));
    header.push("beacon");
    let mut grid = Grid::new(&header).stacking(1, &[]).packed();
    for w in &report.workloads {
        let mut row = vec![
            (w.name.clone(), Tone::Plain),
            (w.pods.len().to_string(), Tone::Plain),
        ];
        row.extend(EndpointId::ALL.iter().map(|id| {
            let (text, tone) = match w.states[id] {
                State::On { certain: true } => ("on", Tone::Warn),
                State::On { certain: false } => ("on?", Tone::Warn),
                State::Off { certain: true } => ("off", Tone::Good),
                State::Off { certain: false } => ("off?", Tone::Good),
                State::Unknown => ("?", Tone::Warn),
            };
            (text.to_string(), tone)
        }));
        row.push((
            w.beacon_url
                .clone()
                .unwrap_or_else(|| "unknown".to_string()),
            Tone::Plain,
        ));
        grid.row(row);
    }
    grid
}

fn sources_line(report: &Report) -> String {
    if report
        .sources
        .iter()
        .any(|s| s.kind == SourceKind::Manifests)
    {
        let files: Vec<&str> = report
            .sources
            .iter()
            .filter_map(|s| s.file.as_deref())
            .collect();
        return format!(
            "rendered manifests: {} (chart {})",
            files.join(", "),
            report
                .chart_version
                .as_deref()
                .unwrap_or("not named in the labels")
        );
    }
    let files: Vec<String> = report
        .sources
        .iter()
        .filter(|s| s.file.is_some())
        .map(Source::describe)
        .collect();
    if files.is_empty() {
        format!(
            "chart defaults only (chart {}): no -f, no $LANGSMITH_CONFIG, no ./{CWD_FILE}",
            report.chart_defaults_version
        )
    } else {
        format!(
            "{} over the chart defaults (chart {})",
            files.join(", then "),
            report.chart_defaults_version
        )
    }
}
