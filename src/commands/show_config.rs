//! `show-config`: the report of what the values send to Beacon.

use anyhow::Result;
use comfy_table::Cell;

use super::{Context, resolved};
use crate::cli::ShowConfigArgs;
use crate::config::{CWD_FILE, SourceKind};
use crate::egress::workloads::{self, State};
use crate::egress::{DecidedBy, LicenseSource, Report};
use crate::endpoints::EndpointId;
use crate::error::Exit;
use crate::output::{self, Paint, Style};
use crate::resolve::Settings;

/// Runs `show-config`.
pub fn run(args: &ShowConfigArgs, settings: &Settings, context: Context<'_>) -> Result<Exit> {
    let report = &resolved(&settings.loaded, "values")?.report;
    let text = match output::machine(context.global.output, report)? {
        Some(text) => text,
        None => render(report, context.out.paint()),
    };
    context.out.print(&text)?;
    Ok(
        if !report.errors.is_empty() || (args.strict && !report.warnings.is_empty()) {
            Exit::Findings
        } else {
            Exit::Success
        },
    )
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

/// The human report: a header, the endpoint table, then warnings and notes.
pub fn render(report: &Report, paint: Paint) -> String {
    let mut out = String::new();
    let line = |out: &mut String, label: &str, text: &str| {
        out.push_str(&format!("{} {text}\n", paint.bold(&format!("{label:<8}"))));
    };

    let manifests = report
        .sources
        .iter()
        .any(|s| s.kind == SourceKind::Manifests);
    line(
        &mut out,
        if manifests { "read" } else { "values" },
        &sources_line(report),
    );
    if !report.renders {
        line(
            &mut out,
            "renders",
            &paint.bad("NO: Helm refuses these values (see the errors below); nothing is installed as they stand"),
        );
    }
    line(
        &mut out,
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
    line(&mut out, "license", &license);
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
    line(&mut out, "proxy", &proxy);
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
    line(&mut out, "engine", &engine);
    out.push('\n');

    let mut table = output::table(&[
        "endpoint",
        "on",
        "class",
        "can turn off",
        "url",
        "decided by",
    ]);
    for endpoint in &report.endpoints {
        let state = match (endpoint.enabled, endpoint.certain) {
            (true, true) if endpoint.required => paint.bad("on"),
            (true, true) => paint.warn("on"),
            (true, false) => paint.warn("on?"),
            (false, true) => paint.good("off"),
            (false, false) => paint.good("off?"),
        };
        table.add_row(vec![
            Cell::new(endpoint.id),
            Cell::new(state),
            Cell::new(endpoint.class.as_str()),
            Cell::new(if endpoint.required { "no" } else { "yes" }),
            Cell::new(endpoint.url.as_deref().unwrap_or("unknown")),
            Cell::new(decided_cell(&endpoint.decided_by)),
        ]);
    }
    out.push_str(&table.to_string());
    out.push('\n');
    if report.endpoints.iter().any(|e| !e.certain) {
        out.push_str(&paint.dim("`on?`: not certain from the values; see the warnings below\n"));
    }
    if workloads::disagree(&report.workloads) {
        out.push('\n');
        out.push_str(&workload_table(report, paint));
        out.push_str(
            &paint.dim("the pods do not all send the same: `on` above means on in any of them\n"),
        );
    }
    out.push('\n');
    line(&mut out, "offline", report.offline);

    for note in &report.notes {
        out.push_str(&format!("{} {}\n", paint.bold("note:"), note.message));
    }
    for (list, noun) in [(&report.errors, "error"), (&report.warnings, "warning")] {
        if list.is_empty() {
            continue;
        }
        let count = list.len();
        let title = format!("{count} {noun}{}:", if count == 1 { "" } else { "s" });
        out.push_str(&format!(
            "\n{}\n",
            if noun == "error" {
                paint.bad(&title)
            } else {
                paint.warn(&title)
            }
        ));
        for diagnostic in list {
            out.push('\n');
            out.push_str(&output::render(diagnostic, Style::Report, paint));
        }
    }
    out
}

/// One row per group of pods: what each sends, when they do not all agree.
fn workload_table(report: &Report, paint: Paint) -> String {
    let mut header = vec!["workload", "pods"];
    header.extend(EndpointId::ALL.iter().map(|id| id.as_str()));
    header.push("beacon");
    let mut table = output::table(&header);
    for w in &report.workloads {
        let mut row = vec![Cell::new(&w.name), Cell::new(w.pods.len())];
        row.extend(EndpointId::ALL.iter().map(|id| {
            Cell::new(match w.states[id] {
                State::On { certain: true } => paint.warn("on"),
                State::On { certain: false } => paint.warn("on?"),
                State::Off { certain: true } => paint.good("off"),
                State::Off { certain: false } => paint.good("off?"),
                State::Unknown => paint.warn("?"),
            })
        }));
        row.push(Cell::new(w.beacon_url.as_deref().unwrap_or("unknown")));
        table.add_row(row);
    }
    format!("{table}\n")
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
        .filter_map(|s| {
            let name = s.file.as_deref()?;
            Some(match s.kind {
                SourceKind::Env => format!("{name} (from $LANGSMITH_CONFIG)"),
                SourceKind::Cwd => format!("{name} (found in the current directory)"),
                _ => name.to_string(),
            })
        })
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
