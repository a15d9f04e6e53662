//! `payloads`: the endpoints and the bodies LangSmith documents for them.

use anyhow::Result;
use serde::Serialize;
use serde_json::Value;

use super::{Context, resolved};
use crate::cli::PayloadsArgs;
use crate::egress::Report;
use crate::endpoints::{Class, Defect, EndpointId, RESPONSE_DEFECT};
use crate::error::Failure;
use crate::output::{self, Format, Grid, Tone};
use crate::payload::{Synthesizer, strip_jsonc_comments};
use crate::request::sample_defects;
use crate::resolve::Settings;

/// One endpoint with its payloads, as `--output json` prints it.
#[derive(Debug, Serialize)]
pub struct PayloadInfo {
    /// The endpoint id.
    pub id: EndpointId,
    /// The HTTP method.
    pub method: &'static str,
    /// The path under the base URL.
    pub path: &'static str,
    /// The full URL under the base URL in force; null when that cannot be told.
    pub url: Option<String>,
    /// billing, operational or usage.
    pub class: Class,
    /// Whether the values in force turn it on.
    pub enabled: bool,
    /// The request body (the published sample, or the synthetic one).
    pub request: Value,
    /// The documented response with its `//` comments removed; null when none is documented.
    pub response: Option<Value>,
    /// Which version of the egress documentation first lists it.
    pub documented_since: &'static str,
    /// Where the request is not valid for its protocol (empty for synthetic payloads).
    pub defects: &'static [Defect],
}

/// Runs `payloads`.
pub fn run(args: &PayloadsArgs, settings: &Settings, context: Context<'_>) -> Result<()> {
    let report = &resolved(&settings.loaded, "values")?.report;
    let out = context.out;
    let mut synth = args.synthetic.then(|| Synthesizer::new(args.seed));
    let chosen: Vec<EndpointId> = match args.id {
        Some(endpoint) => vec![endpoint],
        None => EndpointId::ALL.to_vec(),
    };
    let bodies: Vec<String> = chosen
        .iter()
        .map(|&e| match synth.as_mut() {
            Some(synth) => synth.body(e),
            None => e.spec().sample_request.to_string(),
        })
        .collect();

    if args.common.output.output != Format::Table {
        let infos: Vec<PayloadInfo> = chosen
            .iter()
            .zip(&bodies)
            .map(|(&e, body)| info(e, body, report, args.synthetic))
            .collect::<Result<_>>()?;
        let text = match args.id {
            Some(_) => output::machine(args.common.output.output, &infos[0])?,
            None => output::machine(args.common.output.output, &infos)?,
        };
        return out.print(&text.unwrap_or_default());
    }

    if args.response {
        let endpoint = chosen[0].spec();
        let Some(response) = endpoint.sample_response else {
            return Err(Failure::input(format!(
                "`{}` has no documented response body: {}",
                endpoint.id, endpoint.response_note
            ))
            .hint("see `beacon-cli payloads` for what each endpoint answers")
            .into());
        };
        out.print(response)?;
        out.note(&format!("{RESPONSE_DEFECT}: it is printed as published"));
        return Ok(());
    }

    if !args.synthetic {
        for &endpoint in &chosen {
            for defect in sample_defects(endpoint) {
                out.diagnostic(&defect);
            }
        }
    }
    let text = match args.id {
        Some(_) => bodies[0].clone(),
        None => listing(&chosen, &bodies, report, context),
    };
    out.print(&text)
}

fn info(endpoint: EndpointId, body: &str, report: &Report, synthetic: bool) -> Result<PayloadInfo> {
    let spec = endpoint.spec();
    let request = serde_json::from_str(body)?;
    let response = spec
        .sample_response
        .map(|text| serde_json::from_str(&strip_jsonc_comments(text)))
        .transpose()?;
    Ok(PayloadInfo {
        id: endpoint,
        method: spec.method,
        path: spec.path,
        url: report.endpoint(endpoint).url.clone(),
        class: spec.class,
        enabled: report.endpoint(endpoint).enabled,
        request,
        response,
        documented_since: spec.documented_since,
        defects: if synthetic { &[] } else { spec.defects },
    })
}

fn listing(
    chosen: &[EndpointId],
    bodies: &[String],
    report: &Report,
    context: Context<'_>,
) -> String {
    let paint = context.out.paint();
    let mut grid = Grid::new(&[
        "endpoint",
        "method",
        "url",
        "class",
        "on",
        "documented since",
        "response",
    ])
    .stacking(2, &[2]);
    for &id in chosen {
        let endpoint = id.spec();
        let on = if report.endpoint(id).enabled {
            ("on".to_string(), Tone::Warn)
        } else {
            ("off".to_string(), Tone::Good)
        };
        grid.row(vec![
            (id.to_string(), Tone::Plain),
            (endpoint.method.to_string(), Tone::Plain),
            (shown_url(report, id), Tone::Plain),
            (endpoint.class.as_str().to_string(), Tone::Plain),
            on,
            (endpoint.documented_since.to_string(), Tone::Plain),
            (endpoint.response_note.to_string(), Tone::Plain),
        ]);
    }
    let mut out = context.out.grid(&grid);
    for (&id, body) in chosen.iter().zip(bodies) {
        let heading = format!("# {id} {} {}", id.spec().method, shown_url(report, id));
        let heading = context.out.wrap(&heading, "", "  ");
        out.push_str(&format!("\n{}\n{body}", paint.bold(&heading)));
        if !body.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// An endpoint's URL for people: unknown when `BEACON_ENDPOINT` comes from `valueFrom`.
fn shown_url(report: &Report, id: EndpointId) -> String {
    report
        .endpoint(id)
        .url
        .clone()
        .unwrap_or_else(|| format!("<unknown base URL>{}", id.spec().path))
}
