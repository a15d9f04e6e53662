//! `payloads`: the endpoints and the bodies LangSmith documents for them.

use anyhow::Result;
use comfy_table::Cell;
use serde::Serialize;
use serde_json::Value;

use crate::cli::PayloadsArgs;
use crate::commands::Context;
use crate::egress::{self, Report};
use crate::endpoints::{Class, Defect, ENDPOINTS, Endpoint, RESPONSE_DEFECT};
use crate::error::{Exit, InputError};
use crate::output::{self, Format, diagnostic};
use crate::payload::{Synthesizer, strip_jsonc_comments};

/// One endpoint with its payloads, as `--output json` prints it.
#[derive(Debug, Serialize)]
pub struct PayloadInfo {
    /// The endpoint id.
    pub id: &'static str,
    /// The HTTP method.
    pub method: &'static str,
    /// The path under the base URL.
    pub path: &'static str,
    /// The full URL under the base URL in force.
    pub url: String,
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
pub fn run(args: &PayloadsArgs, context: &Context) -> Result<Exit> {
    let values = context.values()?;
    let report = egress::analyse(&values);
    let mut synth = args.synthetic.then(|| Synthesizer::new(args.seed));
    let chosen: Vec<&'static Endpoint> = match args.id {
        Some(endpoint) => vec![endpoint],
        None => ENDPOINTS.iter().collect(),
    };
    let bodies: Vec<String> = chosen
        .iter()
        .map(|e| match synth.as_mut() {
            Some(synth) => synth.body(e),
            None => e.sample_request.to_string(),
        })
        .collect();

    if context.global.output != Format::Table {
        let infos: Vec<PayloadInfo> = chosen
            .iter()
            .zip(&bodies)
            .map(|(e, body)| info(e, body, &report, args.synthetic))
            .collect::<Result<_>>()?;
        let text = match args.id {
            Some(_) => output::machine(context.global.output, &infos[0])?,
            None => output::machine(context.global.output, &infos)?,
        };
        output::print(&text.unwrap_or_default())?;
        return Ok(Exit::Success);
    }

    if args.response {
        let endpoint = chosen[0];
        let Some(response) = endpoint.sample_response else {
            return Err(InputError::new(format!(
                "`{}` has no documented response body: {}",
                endpoint.id, endpoint.response_note
            ))
            .hint("see `beacon-cli payloads` for what each endpoint answers")
            .into());
        };
        output::print(response)?;
        diagnostic(
            "note",
            &format!("{RESPONSE_DEFECT}: it is printed as published"),
        );
        return Ok(Exit::Success);
    }

    if !args.synthetic {
        for endpoint in &chosen {
            report_defects(endpoint);
        }
    }
    let text = match args.id {
        Some(_) => bodies[0].clone(),
        None => listing(&chosen, &bodies, &report, context),
    };
    output::print(&text)?;
    Ok(Exit::Success)
}

/// One line per defect of the published sample, then the way out.
pub fn report_defects(endpoint: &Endpoint) {
    for defect in endpoint.defects {
        diagnostic(
            "warning",
            &format!(
                "published {} sample: {}: {}",
                endpoint.id, defect.pointer, defect.message
            ),
        );
    }
    if !endpoint.defects.is_empty() {
        diagnostic(
            "hint",
            &format!(
                "`beacon-cli payloads {0} --synthetic` prints a payload of the same shape without these defects",
                endpoint.id
            ),
        );
    }
}

fn info(
    endpoint: &'static Endpoint,
    body: &str,
    report: &Report,
    synthetic: bool,
) -> Result<PayloadInfo> {
    let request = serde_json::from_str(body)?;
    let response = endpoint
        .sample_response
        .map(|text| serde_json::from_str(&strip_jsonc_comments(text)))
        .transpose()?;
    Ok(PayloadInfo {
        id: endpoint.id,
        method: endpoint.method,
        path: endpoint.path,
        url: report.endpoint(endpoint.id).url.clone(),
        class: endpoint.class,
        enabled: report.endpoint(endpoint.id).enabled,
        request,
        response,
        documented_since: endpoint.documented_since,
        defects: if synthetic { &[] } else { endpoint.defects },
    })
}

fn listing(
    chosen: &[&'static Endpoint],
    bodies: &[String],
    report: &Report,
    context: &Context,
) -> String {
    let paint = context.paint;
    let mut table = output::table(&[
        "endpoint",
        "method",
        "url",
        "class",
        "on",
        "documented since",
        "response",
    ]);
    for endpoint in chosen {
        let on = if report.endpoint(endpoint.id).enabled {
            paint.warn("on")
        } else {
            paint.good("off")
        };
        table.add_row(vec![
            Cell::new(endpoint.id),
            Cell::new(endpoint.method),
            Cell::new(report.endpoint(endpoint.id).url.clone()),
            Cell::new(endpoint.class.as_str()),
            Cell::new(on),
            Cell::new(endpoint.documented_since),
            Cell::new(endpoint.response_note),
        ]);
    }
    let mut out = format!("{table}\n");
    for (endpoint, body) in chosen.iter().zip(bodies) {
        out.push_str(&format!(
            "\n{}\n{body}",
            paint.bold(&format!(
                "# {} {} {}",
                endpoint.id,
                endpoint.method,
                report.endpoint(endpoint.id).url.clone()
            ))
        ));
        if !body.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}
