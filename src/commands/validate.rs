//! `validate`: strict checks on a body, or on every published sample.

use anyhow::Result;
use serde::Serialize;

use super::{Context, resolved};
use crate::cli::{Deny, ValidateArgs};
use crate::decode::{self, Encoding, Gzip, Limits};
use crate::diagnostic::distinct_codes;
use crate::endpoints::{Defect, EndpointId};
use crate::error::Failure;
use crate::input::{self, Named};
use crate::output::{self, Format, Grid, Paint, Tone};
use crate::resolve::Settings;
use crate::secrets::Secret;
use crate::validate::{self, Report, Severity};

/// Input larger than this is refused (as received; its inflated size and JSON
/// view have caps of their own, `decode::Limits`).
const MAX_INPUT_BYTES: u64 = 256 * 1024 * 1024;

/// One published sample's verdict, for `--all-samples`.
#[derive(Debug, Serialize)]
pub struct SampleVerdict {
    /// The full report.
    #[serde(flatten)]
    pub report: Report,
    /// The defects the catalogue documents for this sample.
    pub documented_defects: &'static [Defect],
    /// True when the findings are exactly the documented defects (pointer and code).
    pub matches_documented: bool,
}

/// Runs `validate`.
pub fn run(args: &ValidateArgs, settings: &Settings, context: Context<'_>) -> Result<()> {
    let license = resolved(&settings.license, "license")?.key.as_ref();
    if args.all_samples {
        return all_samples(args.common.output.output, context, license);
    }
    let (Some(endpoint), Some(file)) = (args.id, args.file.as_deref()) else {
        unreachable!("clap requires ID and FILE without --all-samples")
    };
    let input::Input { name, bytes } = input::read(
        file,
        Named {
            what: "input",
            fix: "check the path",
            example: "body.json",
            limit: MAX_INPUT_BYTES,
        },
    )?;
    let gzip = if args.gzip {
        Gzip::Required
    } else {
        Gzip::Detect
    };
    let body = decode::decode(
        bytes,
        endpoint,
        args.input_format,
        gzip,
        &Limits::default(),
        &name,
    )?;
    let report = validate::validate(endpoint, &body, license, &name)?;
    let text = match output::machine(args.common.output.output, &report)? {
        Some(text) => text,
        None => human(&report, &name, context.out.paint()),
    };
    context.out.print(&text)?;
    let deny = |level: Deny| args.deny.contains(&level);
    let failing = |s: Severity| match s {
        Severity::Error => true,
        Severity::Warning => deny(Deny::Warnings) || deny(Deny::Infos),
        Severity::Info => deny(Deny::Infos),
        Severity::Policy => deny(Deny::Policy),
        Severity::Note => false,
    };
    let failed: Vec<String> = SEVERITIES
        .into_iter()
        .filter(|(s, _)| failing(*s) && report.count(*s) > 0)
        .map(|(s, noun)| output::count(report.count(s), noun))
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    let deny = if args.deny.is_empty() {
        String::new()
    } else {
        let levels: Vec<&str> = args.deny.iter().map(|d| d.as_str()).collect();
        format!(" (--deny {})", levels.join(","))
    };
    let codes = distinct_codes(report.findings.iter().filter(|f| failing(f.severity)));
    Err(Failure::findings(
        "invalid",
        format!(
            "{name} fails validation{deny}: {} ({codes})",
            failed.join(", ")
        ),
    )
    .hint("the report on standard output gives each finding's place and fix")
    .into())
}

/// The severities of findings, in the report's order, with their nouns.
const SEVERITIES: [(Severity, &str); 4] = [
    (Severity::Error, "error"),
    (Severity::Warning, "warning"),
    (Severity::Info, "info"),
    (Severity::Policy, "policy finding"),
];

fn human(report: &Report, name: &str, paint: Paint) -> String {
    let mut out = String::new();
    let counted = |count: &dyn Fn(Severity) -> usize| {
        SEVERITIES
            .into_iter()
            .map(|(s, noun)| output::count(count(s), noun))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let verdict = if report.valid {
        paint.good("valid")
    } else {
        paint.bad("NOT valid")
    };
    out.push_str(&format!(
        "{name}: {verdict} {} body ({})\n",
        report.endpoint,
        counted(&|s| report.count(s))
    ));
    let omitted = report.findings_omitted;
    let omitted_total = omitted.errors + omitted.warnings + omitted.infos + omitted.policy;
    if omitted_total > 0 {
        let by_severity = |s: Severity| match s {
            Severity::Error => omitted.errors,
            Severity::Warning => omitted.warnings,
            Severity::Info => omitted.infos,
            Severity::Policy => omitted.policy,
            Severity::Note => 0,
        };
        out.push_str(&format!(
            "only the first {} are listed; {omitted_total} more were counted ({})\n",
            output::count(report.findings.len(), "finding"),
            counted(&by_severity)
        ));
    }
    if let Some(decoder) = &report.decoder {
        out.push_str(&match &decoder.error {
            None => "opentelemetry-proto decodes it\n".to_string(),
            Some(e) => format!("opentelemetry-proto's decoder {e}\n"),
        });
    }
    for (severity, _) in SEVERITIES {
        let group: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .collect();
        if group.is_empty() {
            continue;
        }
        let title = match severity {
            Severity::Policy => {
                "policy (not OTLP conformance: what LangSmith documents it sends):".to_string()
            }
            _ => format!("{}s:", severity.as_str()),
        };
        out.push_str(&format!("\n{}\n", paint.severity(severity, &title)));
        for f in group {
            let at = match (f.line(), &f.location) {
                (
                    Some(l),
                    crate::diagnostic::Location::Body {
                        column: Some(c), ..
                    },
                ) => {
                    format!("{name}:{l}:{c}")
                }
                _ => name.to_string(),
            };
            out.push_str(&format!(
                "  [{}] {}\n    at {} ({})\n    hint: {}\n",
                f.code,
                f.message,
                f.location.shown().unwrap_or_default(),
                at,
                f.hint.as_deref().unwrap_or_default()
            ));
        }
    }
    out
}

fn all_samples(format: Format, context: Context<'_>, license: Option<&Secret>) -> Result<()> {
    let verdicts: Vec<SampleVerdict> = EndpointId::ALL
        .into_iter()
        .map(|e| sample_verdict(e, license))
        .collect::<Result<_>>()?;
    let all_match = verdicts.iter().all(|v| v.matches_documented);
    let text = match output::machine(format, &verdicts)? {
        Some(text) => text,
        None => {
            let mut grid = Grid::new(&[
                "sample",
                "valid",
                "errors",
                "warnings",
                "infos",
                "policy",
                "findings",
                "as documented",
            ]);
            let plain = |text: String| (text, Tone::Plain);
            for v in &verdicts {
                let codes = distinct_codes(&v.report.findings);
                grid.row(vec![
                    plain(v.report.endpoint.to_string()),
                    plain((if v.report.valid { "yes" } else { "no" }).to_string()),
                    plain(v.report.count(Severity::Error).to_string()),
                    plain(v.report.count(Severity::Warning).to_string()),
                    plain(v.report.count(Severity::Info).to_string()),
                    plain(v.report.count(Severity::Policy).to_string()),
                    plain(if codes.is_empty() {
                        "-".to_string()
                    } else {
                        codes
                    }),
                    if v.matches_documented {
                        ("yes".to_string(), Tone::Good)
                    } else {
                        ("NO".to_string(), Tone::Bad)
                    },
                ]);
            }
            let summary = if all_match {
                "every published sample shows exactly its documented defects"
            } else {
                "some findings differ from the documented defects"
            };
            format!("{}{summary}\n", context.out.grid(&grid))
        }
    };
    context.out.print(&text)?;
    let differ: Vec<String> = verdicts
        .iter()
        .filter(|v| !v.matches_documented)
        .map(|v| v.report.endpoint.to_string())
        .collect();
    if differ.is_empty() {
        return Ok(());
    }
    Err(Failure::findings(
        "samples-differ",
        format!(
            "the findings on {} differ from the documented defects: {}",
            output::count(differ.len(), "published sample"),
            differ.join(", ")
        ),
    )
    .into())
}

fn sample_verdict(endpoint: EndpointId, license: Option<&Secret>) -> Result<SampleVerdict> {
    let name = format!("{endpoint} sample");
    let body = decode::decode(
        endpoint.spec().sample_request.as_bytes().to_vec(),
        endpoint,
        Encoding::Json,
        Gzip::Detect,
        &Limits::default(),
        &name,
    )?;
    let report = validate::validate(endpoint, &body, license, &name)?;
    let mut found: Vec<(&str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.pointer().unwrap_or_default(), f.code))
        .collect();
    let mut documented: Vec<(&str, &str)> = endpoint
        .spec()
        .defects
        .iter()
        .map(|d| (d.pointer, d.code))
        .collect();
    found.sort_unstable();
    documented.sort_unstable();
    Ok(SampleVerdict {
        matches_documented: found == documented,
        documented_defects: endpoint.spec().defects,
        report,
    })
}
