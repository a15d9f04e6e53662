//! `doctor`: the path to Beacon (and the Engine, when on) step by step, each
//! step timed and judged, and the first that fails named with its fix.

use std::time::Instant;

use anyhow::Result;
use serde::Serialize;
use url::Url;

use super::{Context, resolved};
use crate::cli::DoctorArgs;
use crate::endpoints::{self, EndpointId};
use crate::error::{Exit, Failure};
use crate::output::{self, Format, Grid, Output, Tone};
use crate::probe::{self, Lookup, Plan, Status, Step, Target};
use crate::resolve::Settings;
use crate::transport::FaultKind;

/// Everything `doctor --output json` reports.
#[derive(Debug, Serialize)]
pub struct DoctorReport {
    /// True when no step failed (warnings allowed): the exit status is 0.
    pub ok: bool,
    /// The Beacon base URL checked.
    pub beacon_url: String,
    /// Where it came from.
    pub beacon_url_from: String,
    /// The list the addresses were compared with.
    pub published_egress_list: &'static str,
    /// LangChain's published addresses.
    pub published_egress_ips: Vec<&'static str>,
    /// Every destination checked, with what its steps learnt.
    pub targets: Vec<Target>,
    /// Every step run, in order; the steps after a failure are not run.
    pub steps: Vec<Step>,
}

/// Runs `doctor`.
pub fn run(args: &DoctorArgs, settings: &Settings, context: Context<'_>) -> Result<()> {
    let out = context.out;
    let network = resolved(&settings.network, "network settings")?;
    let beacon = resolved(&settings.beacon, "Beacon URL")?;
    let base = beacon.require()?;
    if network.insecure {
        out.warn("--insecure: the TLS step reports the chain but does not fail on it");
    }
    let lookup = Lookup {
        server: args.dns_server,
        pins: args.resolve.clone(),
    };
    let mut destinations = vec![(
        "beacon",
        base.clone(),
        endpoints::url(base, EndpointId::Verify),
    )];
    if let Some(engine) = settings.report().map(|r| &r.engine).filter(|e| e.enabled) {
        match engine.url.as_deref().map(Url::parse) {
            Some(Ok(url)) if matches!(url.scheme(), "http" | "https") => {
                destinations.push(("engine", url.clone(), url));
            }
            _ => out.warn("engine.enabled, but engine.intelligenceBaseUrl is not an http(s) URL: the Engine's path is not checked"),
        }
    }
    let deadline = Instant::now() + network.timeout;
    let progress = out.progress();
    let mut steps = Vec::new();
    let mut targets = Vec::new();
    for (role, url, http_url) in &destinations {
        out.set_progress(&progress, &format!("doctor: {url}"));
        let (found, target) = probe::run(&Plan {
            role,
            url,
            http_url: http_url.clone(),
            network,
            lookup: &lookup,
            deadline,
        });
        steps.extend(found);
        targets.push(target);
    }
    drop(progress);
    let failed = steps.iter().find(|s| s.status == Status::Fail).cloned();
    let report = DoctorReport {
        ok: failed.is_none(),
        beacon_url: base.to_string(),
        beacon_url_from: beacon.source.describe().trim_matches('`').to_string(),
        published_egress_list: probe::PUBLISHED_LIST,
        published_egress_ips: probe::PUBLISHED.iter().map(|(ip, _)| *ip).collect(),
        targets,
        steps,
    };
    let text = match args.common.output.output {
        Format::Table => human(&report, out),
        format => output::machine(format, &report)?.unwrap_or_default(),
    };
    out.print(&text)?;
    let Some(step) = failed else {
        return Ok(());
    };
    let exit = match step.fault {
        Some(FaultKind::Timeout) => Exit::Timeout,
        _ => Exit::Network,
    };
    let code = step.fault.map_or("network", FaultKind::as_str);
    let failure = Failure::new(
        exit,
        code,
        format!("the `{}` step failed: {}", step.name.as_str(), step.detail),
    );
    Err(match step.hint {
        Some(hint) => failure.hint(hint),
        None => failure,
    }
    .into())
}

/// The report for people: what was checked, then one row per step.
fn human(report: &DoctorReport, out: &Output) -> String {
    let mut text = String::new();
    for target in &report.targets {
        let from = if target.role == "beacon" {
            format!(" (from {})", report.beacon_url_from)
        } else {
            " (engine.intelligenceBaseUrl)".to_string()
        };
        text.push_str(&format!("{:<7} {}{from}\n", target.role, target.url));
        let proxy = match &target.proxy {
            Some(p) => format!("{p} (from {})", target.proxy_from),
            None => target.proxy_from.clone(),
        };
        text.push_str(&out.wrap(&proxy, "proxy   ", "        "));
        text.push('\n');
    }
    let several = report.targets.len() > 1;
    let mut grid = Grid::new(&["step", "status", "ms", "detail"]).stacking(3, &[3]);
    for step in &report.steps {
        let tone = match step.status {
            Status::Ok => Tone::Good,
            Status::Warn => Tone::Warn,
            Status::Fail => Tone::Bad,
        };
        let name = if several {
            format!("{} {}", step.target, step.name.as_str())
        } else {
            step.name.as_str().to_string()
        };
        let mut detail = step.detail.clone();
        if let Some(hint) = &step.hint {
            detail.push_str(&format!("\nhint: {hint}"));
        }
        grid.row(vec![
            (name, Tone::Plain),
            (step.status.label().to_string(), tone),
            (step.elapsed_ms.to_string(), Tone::Plain),
            (detail, Tone::Plain),
        ]);
    }
    text.push_str(&out.grid(&grid));
    let warnings = report
        .steps
        .iter()
        .filter(|s| s.status == Status::Warn)
        .count();
    let verdict = match report.steps.iter().find(|s| s.status == Status::Fail) {
        Some(step) => format!(
            "FAIL at `{}`: the steps after it were not run",
            step.name.as_str()
        ),
        None if warnings > 0 => format!(
            "every step works, with {} (exit 0)",
            output::count(warnings, "warning")
        ),
        None => "every step works".to_string(),
    };
    text.push_str(&verdict);
    text.push('\n');
    text
}
