//! `validate`: strict checks on a body, or on every published sample.

use anyhow::Result;
use comfy_table::Cell;
use serde::Serialize;

use crate::cli::{Deny, ValidateArgs};
use crate::commands::Context;
use crate::egress;
use crate::endpoints::{Defect, ENDPOINTS, Endpoint};
use crate::error::Exit;
use crate::output::{self, Paint};
use crate::request::{self, Options};
use crate::validate::{self, Encoding, Report, Severity};

/// Input larger than this is refused.
const MAX_INPUT_BYTES: u64 = 2 * 1024 * 1024 * 1024;

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
pub fn run(args: &ValidateArgs, context: &Context) -> Result<Exit> {
    let license = license(args, context)?;
    let license = license.as_deref();
    if args.all_samples {
        return all_samples(context, license);
    }
    let (Some(endpoint), Some(file)) = (args.id, args.file.as_deref()) else {
        unreachable!("clap requires ID and FILE without --all-samples")
    };
    let crate::input::Input { name, bytes } = crate::input::read(
        file,
        crate::input::Named {
            what: "input",
            fix: "check the path",
            example: "body.json",
        },
        MAX_INPUT_BYTES,
    )?;
    let report = validate::validate(endpoint, &bytes, args.format, args.gzip, license, &name)?;
    let text = match output::machine(context.global.output, &report)? {
        Some(text) => text,
        None => human(&report, &name, context.paint),
    };
    output::print(&text)?;
    let failing = |s: Severity| match args.deny {
        None => s == Severity::Error,
        Some(Deny::Warnings) => s <= Severity::Warning,
        Some(Deny::Infos) => true,
    };
    Ok(if report.findings.iter().any(|f| failing(f.severity)) {
        Exit::Findings
    } else {
        Exit::Success
    })
}

/// The license to look for: `--license-file`, `$LANGSMITH_LICENSE_KEY`, the values.
fn license(args: &ValidateArgs, context: &Context) -> Result<Option<String>> {
    let values = context.values()?;
    let report = egress::analyse(&values);
    let options = Options {
        license_file: args.license_file.clone(),
        env_license: std::env::var("LANGSMITH_LICENSE_KEY").ok(),
        ..Options::default()
    };
    let found = request::resolve_license(&options, &report)?;
    Ok(found.key.map(|k| k.expose().to_string()))
}

fn human(report: &Report, name: &str, paint: Paint) -> String {
    let mut out = String::new();
    let (errors, warnings, infos) = (
        report.count(Severity::Error),
        report.count(Severity::Warning),
        report.count(Severity::Info),
    );
    let verdict = if report.valid {
        paint.good("valid")
    } else {
        paint.bad("NOT valid")
    };
    out.push_str(&format!(
        "{name}: {verdict} {} body ({errors} errors, {warnings} warnings, {infos} infos)\n",
        report.endpoint
    ));
    if let Some(decoder) = &report.decoder {
        out.push_str(&match &decoder.error {
            None => "opentelemetry-proto decodes it\n".to_string(),
            Some(e) => format!("opentelemetry-proto rejects it {e}\n"),
        });
    }
    for severity in [Severity::Error, Severity::Warning, Severity::Info] {
        let group: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .collect();
        if group.is_empty() {
            continue;
        }
        let title = format!("{}s:", severity.as_str());
        out.push_str(&format!(
            "\n{}\n",
            match severity {
                Severity::Error => paint.bad(&title),
                Severity::Warning => paint.warn(&title),
                Severity::Info => paint.bold(&title),
            }
        ));
        for f in group {
            let at = match (f.line, f.column) {
                (Some(l), Some(c)) => format!("{name}:{l}:{c}"),
                _ => name.to_string(),
            };
            out.push_str(&format!(
                "  [{}] {}\n    at {} ({})\n    hint: {}\n",
                f.code,
                f.message,
                if f.pointer.is_empty() {
                    "/"
                } else {
                    &f.pointer
                },
                at,
                f.hint
            ));
        }
    }
    out
}

fn all_samples(context: &Context, license: Option<&str>) -> Result<Exit> {
    let verdicts: Vec<SampleVerdict> = ENDPOINTS
        .iter()
        .map(|e| sample_verdict(e, license))
        .collect::<Result<_>>()?;
    let all_match = verdicts.iter().all(|v| v.matches_documented);
    let text = match output::machine(context.global.output, &verdicts)? {
        Some(text) => text,
        None => {
            let mut table = output::table(&[
                "sample",
                "valid",
                "errors",
                "warnings",
                "infos",
                "findings",
                "as documented",
            ]);
            for v in &verdicts {
                let mut codes: Vec<&str> = Vec::new();
                for f in &v.report.findings {
                    if !codes.contains(&f.code) {
                        codes.push(f.code);
                    }
                }
                table.add_row(vec![
                    Cell::new(v.report.endpoint),
                    Cell::new(if v.report.valid { "yes" } else { "no" }),
                    Cell::new(v.report.count(Severity::Error)),
                    Cell::new(v.report.count(Severity::Warning)),
                    Cell::new(v.report.count(Severity::Info)),
                    Cell::new(if codes.is_empty() {
                        "-".to_string()
                    } else {
                        codes.join(", ")
                    }),
                    Cell::new(if v.matches_documented {
                        context.paint.good("yes")
                    } else {
                        context.paint.bad("NO")
                    }),
                ]);
            }
            let summary = if all_match {
                "every published sample shows exactly its documented defects"
            } else {
                "some findings differ from the documented defects"
            };
            format!("{table}\n{summary}\n")
        }
    };
    output::print(&text)?;
    Ok(if all_match {
        Exit::Success
    } else {
        Exit::Findings
    })
}

fn sample_verdict(endpoint: &'static Endpoint, license: Option<&str>) -> Result<SampleVerdict> {
    let report = validate::validate(
        endpoint,
        endpoint.sample_request.as_bytes(),
        Encoding::Json,
        false,
        license,
        &format!("{} sample", endpoint.id),
    )?;
    let mut found: Vec<(&str, &str)> = report
        .findings
        .iter()
        .map(|f| (f.pointer.as_str(), f.code))
        .collect();
    let mut documented: Vec<(&str, &str)> = endpoint
        .defects
        .iter()
        .map(|d| (d.pointer, d.code))
        .collect();
    found.sort_unstable();
    documented.sort_unstable();
    Ok(SampleVerdict {
        matches_documented: found == documented,
        documented_defects: endpoint.defects,
        report,
    })
}
