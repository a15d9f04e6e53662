//! What a set of values sends to Beacon, which line decided it, and whether Helm
//! renders them at all.
//!
//! [`analyse`] reads the merged [`Values`] the way the LangSmith chart and
//! Kubernetes do: it builds the environment every LangSmith workload gets
//! (`commonEnv`, `smithdb.commonEnv`, each `extraEnv`, the ConfigMap's
//! `BEACON_*_ENABLED` flags through `envFrom`, which `env` beats), groups the pods
//! the values treat alike, and reads what each group sends ([`workloads`]). The
//! [`Report`] has every endpoint (on when it is on in any workload), the per-pod
//! truth, the license source, proxies, the Engine, the errors that make Helm or
//! Kubernetes refuse the values, and a warning for every trap. It prints nothing.
//!
//! `chart` is the model of the chart's workloads and version rules; `telemetry`
//! reads the switches; `env` reads env lists; `components` builds each workload's
//! environment; `lints` finds keys that do nothing and the notes worth knowing.

pub mod chart;
mod components;
mod env;
mod lints;
mod telemetry;
pub mod workloads;

use serde::Serialize;

use crate::config::{CHART_VERSION, Node, Pos, Source, Value, Values};
use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::endpoints::{self, Class, Control, EndpointId};
use crate::manifests::{LicenseRef, Manifests};
use crate::secrets;
pub use chart::ChartVersion;
use env::EnvVar;
pub use workloads::Workload;

/// The plain statement about offline licensing, which configuration cannot show.
pub const OFFLINE_STATEMENT: &str = "offline (air-gapped) licensing cannot be told from the configuration: it is a kind of license, not a setting. With an offline license, verify and ingest-traces are not called.";

/// The report `show-config` prints; its JSON form is the scripting API.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Every layer of values (or every manifest file), in the order applied.
    pub sources: Vec<Source>,
    /// The chart version whose defaults are built in.
    pub chart_defaults_version: &'static str,
    /// The chart version the rules follow (`--chart-version`, else the built-in
    /// chart's; in manifests mode, read from the workloads' labels when they say).
    pub chart_version: Option<String>,
    /// False when Helm refuses to render these values (see `errors`).
    pub renders: bool,
    /// The Beacon base URL in force; null when it cannot be told (`valueFrom`).
    pub beacon_url: Option<String>,
    /// What decided the base URL.
    pub beacon_url_decided_by: DecidedBy,
    /// The base URL as the resolution step reads it: it may be unknown.
    #[serde(skip)]
    pub beacon_base: BeaconBase,
    /// Where the license key comes from.
    pub license: License,
    /// The six endpoints: on when on in any workload.
    pub endpoints: Vec<EndpointState>,
    /// What each group of pods sends.
    pub workloads: Vec<Workload>,
    /// Proxy variables found in `commonEnv`, credentials redacted.
    pub proxy: Vec<EnvSetting>,
    /// The Engine's extra destination.
    pub engine: Engine,
    /// Offline licensing cannot be told from configuration.
    pub offline: &'static str,
    /// What Helm or Kubernetes refuses, quoting Helm's message where it has one.
    pub errors: Vec<Diagnostic>,
    /// Traps found, in file order.
    pub warnings: Vec<Diagnostic>,
    /// Facts worth knowing that are not mistakes.
    pub notes: Vec<Note>,
}

impl Report {
    /// The state of one endpoint; the report holds every endpoint of the catalogue.
    pub fn endpoint(&self, id: EndpointId) -> &EndpointState {
        self.endpoints
            .iter()
            .find(|e| e.id == id)
            .expect("the report holds every catalogue endpoint")
    }
}

/// The Beacon base URL the values set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum BeaconBase {
    /// No `BEACON_ENDPOINT` (or one that cannot be used): the default.
    #[default]
    Default,
    /// `commonEnv` `BEACON_ENDPOINT`, as written.
    Set(String),
    /// `commonEnv` sets it with `valueFrom`: not in the values.
    Unknown,
}

/// The key, file and line that decided something.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DecidedBy {
    /// The key path (`config.telemetry.metrics`, `commonEnv[0].value`), or null when
    /// no key can decide it.
    pub key: Option<String>,
    /// The file, null for a chart default or a built-in fact.
    pub file: Option<String>,
    /// The 1-based line, null for a chart default or a flag.
    pub line: Option<u32>,
    /// The decision in words.
    pub reason: String,
}

/// One endpoint as the values in force leave it.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointState {
    /// The endpoint id.
    pub id: EndpointId,
    /// Its full URL under the Beacon base URL in force; null when that is unknown.
    pub url: Option<String>,
    /// billing, operational or usage.
    pub class: Class,
    /// Whether LangSmith will call it (from any of its workloads).
    pub enabled: bool,
    /// Whether it is required (cannot be turned off by configuration).
    pub required: bool,
    /// Whether `enabled` follows from the values for sure.
    pub certain: bool,
    /// What decided it.
    pub decided_by: DecidedBy,
    /// Which version of the egress documentation first lists it.
    pub documented_since: &'static str,
}

/// Where the license key comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LicenseSource {
    /// Inline in the values (`config.langsmithLicenseKey` or a `commonEnv` entry).
    Values,
    /// A Kubernetes Secret named by `config.existingSecretName`.
    Secret,
    /// `$LANGSMITH_LICENSE_KEY` (beacon-cli's own sending commands).
    Env,
    /// `--license-file` (beacon-cli's own sending commands).
    File,
    /// Nowhere.
    Missing,
}

/// The license, shown only as a fingerprint.
#[derive(Debug, Clone, Serialize)]
pub struct License {
    /// Where it comes from.
    pub source: LicenseSource,
    /// A short fingerprint of the key, never the key.
    pub fingerprint: Option<String>,
    /// The Secret's name, when the key is held in one.
    pub secret_name: Option<String>,
    /// The key path, file and line that decided it.
    pub decided_by: Option<DecidedBy>,
    /// The key itself, for the sending commands; never serialised.
    #[serde(skip)]
    pub key: Option<secrets::Secret>,
}

impl License {
    /// A key written in the values: its fingerprint is derived from it, here only.
    fn in_values(key: String, decided_by: DecidedBy) -> Self {
        let key = secrets::Secret::new(key);
        Self {
            source: LicenseSource::Values,
            fingerprint: Some(key.fingerprint()),
            secret_name: None,
            decided_by: Some(decided_by),
            key: Some(key),
        }
    }
}

/// An environment variable, its value redacted where secret.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct EnvSetting {
    /// The variable's name.
    pub name: String,
    /// Its value, credentials redacted; null when it comes from `valueFrom`.
    pub value: Option<String>,
    /// The file it is set in.
    pub file: Option<String>,
    /// The line.
    pub line: Option<u32>,
    /// The value as written, credentials included: for `doctor`, which goes
    /// through the pods' proxy. Never serialised; the output boundary knows the
    /// credentials as secrets.
    #[serde(skip)]
    pub raw: Option<String>,
}

/// The Engine's destination.
#[derive(Debug, Clone, Serialize)]
pub struct Engine {
    /// Whether `engine.enabled` is true.
    pub enabled: bool,
    /// `engine.intelligenceBaseUrl` when the Engine is on.
    pub url: Option<String>,
    /// What decided it.
    pub decided_by: DecidedBy,
}

/// A fact worth knowing that is not a mistake.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Note {
    /// A stable short code.
    pub code: &'static str,
    /// The fact.
    pub message: String,
}

/// Error codes for values Helm itself refuses to render; any other error is
/// refused later, by Kubernetes.
const HELM_REFUSES: &[&str] = &[
    "telemetry-not-boolean",
    "quoted-boolean",
    "commonenv-not-a-list",
    "commonenv-bad-entry",
    "duplicate-env",
];

/// Reads the values as the chart of `version` would and reports what reaches Beacon.
pub fn analyse(values: &Values, version: &ChartVersion) -> Report {
    let mut analysis = Analysis {
        values,
        version,
        errors: Vec::new(),
        warnings: Vec::new(),
        notes: Vec::new(),
    };
    analysis.version_notes();
    let flags = analysis.telemetry_flags();
    let common = analysis.env_list(&["commonEnv"], true);
    let (beacon_base, beacon_url, beacon_url_decided_by) = analysis.beacon_url(&common);
    let workloads = analysis.workloads(&flags, &common);
    analysis.switch_lints(&flags, &common, &workloads);
    let base = match &beacon_base {
        BeaconBase::Unknown => None,
        _ => Some(beacon_url.clone()),
    };
    let endpoints = EndpointId::ALL
        .into_iter()
        .map(|id| endpoint_state(id, &workloads, base.as_deref()))
        .collect();
    let license = analysis.license(&common);
    let proxy = analysis.proxy(&common);
    let engine = analysis.engine();
    analysis.misspelt_keys();
    analysis.load_notes();
    analysis.facts();
    let Analysis {
        mut errors,
        mut warnings,
        notes,
        ..
    } = analysis;
    let order = |w: &Diagnostic| {
        let source = values
            .sources
            .iter()
            .position(|s| s.file.as_deref() == w.file())
            .unwrap_or(0);
        (source, w.line().unwrap_or(0))
    };
    errors.sort_by_key(order);
    warnings.sort_by_key(order);
    Report {
        sources: values.sources.clone(),
        chart_defaults_version: CHART_VERSION,
        chart_version: Some(version.text.clone()),
        renders: !errors.iter().any(|e| HELM_REFUSES.contains(&e.code)),
        beacon_url: base,
        beacon_url_decided_by,
        beacon_base,
        license,
        endpoints,
        workloads,
        proxy,
        engine,
        offline: OFFLINE_STATEMENT,
        errors,
        warnings,
        notes,
    }
}

/// The report of rendered manifests: one workload per container that carries a
/// Beacon setting, read from the environment it really gets.
pub fn from_manifests(manifests: &Manifests, version: Option<&ChartVersion>) -> Report {
    let workloads: Vec<Workload> = manifests
        .containers
        .iter()
        .filter(|c| c.beacon)
        .map(|c| workloads::evaluate(c.name.clone(), &c.pod))
        .collect();
    let (errors, mut warnings): (Vec<Diagnostic>, Vec<Diagnostic>) = manifests
        .diagnostics
        .iter()
        .cloned()
        .partition(|d| d.severity == Severity::Error);
    let mut notes = Vec::new();
    let left_out = manifests.containers.len() - workloads.len();
    if left_out > 0 {
        notes.push(Note {
            code: "containers-without-beacon",
            message: format!("{left_out} of {} containers run no LangSmith code that talks to Beacon (no license key, no `BEACON_*` flags through `envFrom`: datastores and the like): they are left out", manifests.containers.len()),
        });
    }
    let urls: std::collections::BTreeSet<Option<&str>> =
        workloads.iter().map(|w| w.beacon_url.as_deref()).collect();
    let beacon_url = match urls.into_iter().collect::<Vec<_>>().as_slice() {
        [one] => one.map(str::to_string),
        [] => Some(endpoints::DEFAULT_BEACON_URL.to_string()),
        several => {
            warnings.push(
                Diagnostic::warning(
                    "beacon-url-differs",
                    format!(
                        "the workloads use {} different Beacon URLs: see `workloads[]`",
                        several.len()
                    ),
                )
                .hint("set `BEACON_ENDPOINT` in one place (`commonEnv`) so every pod agrees"),
            );
            None
        }
    };
    let beacon_url_decided_by = manifests
        .containers
        .iter()
        .filter(|c| c.beacon)
        .find_map(|c| c.pod.env.get("BEACON_ENDPOINT"))
        .map(|def| def.decided.clone())
        .unwrap_or_else(|| DecidedBy {
            key: None,
            file: None,
            line: None,
            reason: "built-in default: no `BEACON_ENDPOINT` in any workload".to_string(),
        });
    let endpoints = EndpointId::ALL
        .into_iter()
        .map(|id| endpoint_state(id, &workloads, beacon_url.as_deref()))
        .collect();
    // Each proxy setting once, at the first place it is written.
    let mut proxy: Vec<EnvSetting> = Vec::new();
    for setting in workloads.iter().flat_map(|w| &w.proxy) {
        if !proxy
            .iter()
            .any(|p| p.name == setting.name && p.value == setting.value)
        {
            proxy.push(setting.clone());
        }
    }
    let license = match manifests.containers.iter().find_map(|c| c.license.clone()) {
        Some(LicenseRef::Secret(name, key)) => License {
            source: LicenseSource::Secret,
            fingerprint: None,
            secret_name: Some(name.clone()),
            decided_by: Some(DecidedBy {
                key: Some(format!("secretKeyRef {name}/{key}")),
                file: None,
                line: None,
                reason: format!("Kubernetes Secret `{name}`, key `{key}`"),
            }),
            key: None,
        },
        Some(LicenseRef::Inline(key, decided)) => License::in_values(key, decided),
        Some(LicenseRef::Other(decided)) => License {
            source: LicenseSource::Secret,
            fingerprint: None,
            secret_name: None,
            decided_by: Some(decided),
            key: None,
        },
        None => License {
            source: LicenseSource::Missing,
            fingerprint: None,
            secret_name: None,
            decided_by: None,
            key: None,
        },
    };
    let engine = match manifests.containers.iter().find_map(|c| c.engine.clone()) {
        Some((url, decided)) => Engine {
            enabled: true,
            url: Some(url),
            decided_by: decided,
        },
        None => Engine {
            enabled: false,
            url: None,
            decided_by: DecidedBy {
                key: None,
                file: None,
                line: None,
                reason: "no workload has the Engine's destination".to_string(),
            },
        },
    };
    let chart_version = version.map(|v| v.text.clone()).or_else(|| {
        match manifests.charts.iter().collect::<Vec<_>>().as_slice() {
            [one] => Some((*one).clone()),
            _ => None,
        }
    });
    Report {
        sources: manifests.sources.clone(),
        chart_defaults_version: CHART_VERSION,
        chart_version,
        renders: !errors.iter().any(|e| HELM_REFUSES.contains(&e.code)),
        beacon_base: match &beacon_url {
            Some(url) if url != endpoints::DEFAULT_BEACON_URL => BeaconBase::Set(url.clone()),
            Some(_) => BeaconBase::Default,
            None => BeaconBase::Unknown,
        },
        beacon_url,
        beacon_url_decided_by,
        license,
        endpoints,
        workloads,
        proxy,
        engine,
        offline: OFFLINE_STATEMENT,
        errors,
        warnings,
        notes,
    }
}

/// An endpoint as the installation leaves it: on when on in any workload.
pub fn endpoint_state(id: EndpointId, workloads: &[Workload], base: Option<&str>) -> EndpointState {
    let spec = id.spec();
    let (enabled, certain, decided_by) = workloads::aggregate(workloads, id);
    EndpointState {
        id,
        url: base.map(|b| endpoints::join_url(b, spec.path)),
        class: spec.class,
        enabled,
        required: spec.control == Control::AlwaysOn,
        certain,
        decided_by: decided_by.unwrap_or_else(|| DecidedBy {
            key: None,
            file: None,
            line: None,
            reason: "no workload of the chart is rendered".to_string(),
        }),
        documented_since: spec.documented_since,
    }
}

struct Analysis<'a> {
    values: &'a Values,
    version: &'a ChartVersion,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    notes: Vec<Note>,
}

impl<'a> Analysis<'a> {
    fn decided(
        &self,
        key: Option<String>,
        pos: Option<Pos>,
        reason: impl Into<String>,
    ) -> DecidedBy {
        DecidedBy {
            key,
            file: pos.and_then(|p| self.values.file_of(p)).map(str::to_string),
            line: pos.and_then(|p| {
                if self.values.is_chart_default(p) {
                    None
                } else {
                    p.line()
                }
            }),
            reason: reason.into(),
        }
    }

    /// Where a position is, for a diagnostic: a chart default points nowhere.
    fn location(&self, pos: Option<Pos>) -> Location {
        let pos = pos.filter(|p| !self.values.is_chart_default(*p));
        Location::Values {
            file: pos.and_then(|p| self.values.file_of(p)).map(str::to_string),
            line: pos.and_then(Pos::line),
            column: pos.and_then(|p| p.line().map(|_| p.col)),
        }
    }

    fn diagnostic(
        &self,
        severity: Severity,
        code: &'static str,
        pos: Option<Pos>,
        message: String,
        hint: String,
    ) -> Diagnostic {
        Diagnostic {
            severity,
            code,
            message,
            location: self.location(pos),
            hint: Some(hint),
        }
    }

    fn warn(&mut self, code: &'static str, pos: Option<Pos>, message: String, hint: String) {
        let warning = self.diagnostic(Severity::Warning, code, pos, message, hint);
        self.warnings.push(warning);
    }

    /// Something Helm or Kubernetes refuses.
    fn error(&mut self, code: &'static str, pos: Option<Pos>, message: String, hint: String) {
        let error = self.diagnostic(Severity::Error, code, pos, message, hint);
        if !self.errors.contains(&error) {
            self.errors.push(error);
        }
    }

    fn note(&mut self, code: &'static str, message: String) {
        self.notes.push(Note { code, message });
    }

    fn license(&mut self, env: &[EnvVar<'_>]) -> License {
        let secret_name = self
            .values
            .get(&["config", "existingSecretName"])
            .and_then(|f| non_empty_str(f.node).map(|s| (s.to_string(), f.key_pos)));
        let inline = self
            .values
            .get(&["config", "langsmithLicenseKey"])
            .and_then(|f| {
                scalar_text(f.node)
                    .filter(|s| !s.is_empty())
                    .map(|s| (s, f.key_pos))
            });
        let from_env = env
            .iter()
            .find(|v| v.name == "LANGSMITH_LICENSE_KEY")
            .and_then(|v| {
                v.value
                    .text()
                    .filter(|s| !s.is_empty())
                    .map(|s| (s.to_string(), v))
            });
        if let Some((key, var)) = from_env {
            let path = format!("commonEnv[{}].value", var.index);
            return License::in_values(
                key,
                self.decided(
                    Some(path),
                    Some(var.pos),
                    "`commonEnv` `LANGSMITH_LICENSE_KEY` (env wins over the chart's secret)",
                ),
            );
        }
        if let Some((name, pos)) = secret_name {
            if let Some((_, inline_pos)) = &inline {
                self.warn(
                    "license-inline-unused",
                    Some(*inline_pos),
                    format!("`config.langsmithLicenseKey` is set, but `config.existingSecretName` names Secret `{name}`, which holds the key the pods use"),
                    "remove the inline key so the secret lives only in the Secret:\nconfig:\n  langsmithLicenseKey: \"\"".to_string(),
                );
            }
            return License {
                source: LicenseSource::Secret,
                fingerprint: None,
                secret_name: Some(name.clone()),
                decided_by: Some(self.decided(
                    Some("config.existingSecretName".into()),
                    Some(pos),
                    format!("Kubernetes Secret `{name}`, key `langsmith_license_key`"),
                )),
                key: None,
            };
        }
        match inline {
            Some((key, pos)) => License::in_values(
                key,
                self.decided(
                    Some("config.langsmithLicenseKey".into()),
                    Some(pos),
                    "inline in the values",
                ),
            ),
            None => License {
                source: LicenseSource::Missing,
                fingerprint: None,
                secret_name: None,
                decided_by: None,
                key: None,
            },
        }
    }

    fn engine(&mut self) -> Engine {
        let found = self.values.get(&["engine", "enabled"]);
        let enabled = matches!(found.map(|f| &f.node.value), Some(Value::Bool(true)));
        let pos = found.map(|f| f.key_pos);
        if !enabled {
            return Engine {
                enabled,
                url: None,
                decided_by: self.decided(Some("engine.enabled".into()), pos, "the Engine is off"),
            };
        }
        let url = self.values.get(&["engine", "intelligenceBaseUrl"]);
        let text = url.and_then(|f| non_empty_str(f.node)).map(str::to_string);
        if text.is_none() {
            self.warn(
                "engine-url-missing",
                pos,
                "`engine.enabled` is true but `engine.intelligenceBaseUrl` is empty: the chart requires it".to_string(),
                "set the documented gateway:\nengine:\n  intelligenceBaseUrl: \"https://beacon.aws.langchain.com/intelligence\"".to_string(),
            );
        }
        Engine {
            enabled,
            decided_by: self.decided(
                Some("engine.intelligenceBaseUrl".into()),
                url.map(|f| f.key_pos).or(pos),
                "the Engine calls the LangSmith Intelligence gateway with the license key",
            ),
            url: text,
        }
    }
}

/// How the services read a boolean environment variable; `None` when unclear.
fn parse_env_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// The text of a scalar, for messages and corrected YAML.
fn scalar_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Null => Some(String::new()),
        Value::Seq(_) | Value::Map(_) => None,
    }
}

fn non_empty_str(node: &Node) -> Option<&str> {
    match &node.value {
        Value::Str(s) if !s.trim().is_empty() => Some(s),
        _ => None,
    }
}

/// A YAML double-quoted string.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("\"{text}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_booleans() {
        assert_eq!(parse_env_bool("false"), Some(false));
        assert_eq!(parse_env_bool(" TRUE "), Some(true));
        assert_eq!(parse_env_bool("0"), Some(false));
        assert_eq!(parse_env_bool("maybe"), None);
    }
}
