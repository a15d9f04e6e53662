//! `show-config`: the report of what the values send to Beacon.

use anyhow::Result;
use comfy_table::Cell;

use super::{Context, resolved};
use crate::cli::ShowConfigArgs;
use crate::config::{CWD_FILE, SourceKind};
use crate::egress::{DecidedBy, LicenseSource, Report};
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
    Ok(if args.strict && !report.warnings.is_empty() {
        Exit::Findings
    } else {
        Exit::Success
    })
}

/// Where a decision was made, for a table cell: `prod.yaml:12`, `--set ...`, `chart default`.
fn place(decided: &DecidedBy) -> String {
    match (&decided.file, decided.line) {
        (Some(file), Some(line)) => format!("{file}:{line}"),
        (Some(file), None) => file.clone(),
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

    line(&mut out, "values", &sources_line(report));
    line(
        &mut out,
        "beacon",
        &format!(
            "{}  ({})",
            report.beacon_url, report.beacon_url_decided_by.reason
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
    let proxy = if report.proxy.is_empty() {
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
            Cell::new(&endpoint.url),
            Cell::new(decided_cell(&endpoint.decided_by)),
        ]);
    }
    out.push_str(&table.to_string());
    out.push('\n');
    if report.endpoints.iter().any(|e| !e.certain) {
        out.push_str(&paint.dim("`on?`: not certain from the values; see the warnings below\n"));
    }
    out.push('\n');
    line(&mut out, "offline", report.offline);

    for note in &report.notes {
        out.push_str(&format!("{} {}\n", paint.bold("note:"), note.message));
    }
    if !report.warnings.is_empty() {
        let count = report.warnings.len();
        out.push_str(&format!(
            "\n{}\n",
            paint.warn(&format!(
                "{count} warning{}:",
                if count == 1 { "" } else { "s" }
            ))
        ));
    }
    for warning in &report.warnings {
        out.push('\n');
        out.push_str(&output::render(warning, Style::Report, paint));
    }
    out
}

fn sources_line(report: &Report) -> String {
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
