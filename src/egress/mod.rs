//! What a set of values sends to Beacon, and which line decided it.
//!
//! [`analyse`] reads the merged [`Values`] the way the LangSmith chart and
//! Kubernetes do (a `commonEnv` entry beats the chart's own `BEACON_*_ENABLED`
//! flags, because `env` wins over `envFrom`) and returns a [`Report`]: every
//! endpoint with its state and provenance, the license source, proxies, the
//! Engine, and a warning for every trap listed in the README's "Warnings" table.
//! It prints nothing; `commands::show_config` renders the report.
//!
//! `env` reads environment entries (`commonEnv`) as the chart renders them;
//! `lints` finds keys that do nothing and the notes worth knowing.

mod env;
mod lints;

use serde::Serialize;

use crate::config::{CHART_VERSION, Node, Pos, Source, Value, Values};
use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::endpoints::{self, Class, Control, ENDPOINTS, Endpoint, EndpointId};
use crate::secrets;
use env::{EnvValue, EnvVar};

/// The plain statement about offline licensing, which configuration cannot show.
pub const OFFLINE_STATEMENT: &str = "offline (air-gapped) licensing cannot be told from the configuration: it is a kind of license, not a setting. With an offline license, verify and ingest-traces are not called.";

/// The report `show-config` prints; its JSON form is the scripting API.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Every layer of values, in the order applied.
    pub sources: Vec<Source>,
    /// The chart version whose defaults are built in.
    pub chart_defaults_version: &'static str,
    /// The Beacon base URL in force.
    pub beacon_url: String,
    /// What decided the base URL.
    pub beacon_url_decided_by: DecidedBy,
    /// The base URL as the resolution step reads it: it may be unknown.
    #[serde(skip)]
    pub beacon_base: BeaconBase,
    /// Where the license key comes from.
    pub license: License,
    /// The six endpoints.
    pub endpoints: Vec<EndpointState>,
    /// Proxy variables found in `commonEnv`, credentials redacted.
    pub proxy: Vec<EnvSetting>,
    /// The Engine's extra destination.
    pub engine: Engine,
    /// Offline licensing cannot be told from configuration.
    pub offline: &'static str,
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
    /// Its full URL under the Beacon base URL in force.
    pub url: String,
    /// billing, operational or usage.
    pub class: Class,
    /// Whether LangSmith will call it.
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

/// An environment variable from `commonEnv`, its value redacted where secret.
#[derive(Debug, Clone, Serialize)]
pub struct EnvSetting {
    /// The variable's name.
    pub name: String,
    /// Its value, credentials redacted; null when it comes from `valueFrom`.
    pub value: Option<String>,
    /// The file it is set in.
    pub file: Option<String>,
    /// The line.
    pub line: Option<u32>,
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

/// Reads the values as the chart would and reports what reaches Beacon.
pub fn analyse(values: &Values) -> Report {
    let mut analysis = Analysis {
        values,
        warnings: Vec::new(),
        notes: Vec::new(),
    };
    let env = analysis.common_env();
    let (beacon_base, beacon_url, beacon_url_decided_by) = analysis.beacon_url(&env);
    let endpoints = ENDPOINTS
        .iter()
        .map(|endpoint| analysis.endpoint(endpoint, &env, &beacon_url))
        .collect();
    let license = analysis.license(&env);
    let proxy = analysis.proxy(&env);
    let engine = analysis.engine();
    analysis.misspelt_keys();
    analysis.load_notes();
    analysis.facts();
    let Analysis {
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
    warnings.sort_by_key(order);
    Report {
        sources: values.sources.clone(),
        chart_defaults_version: CHART_VERSION,
        beacon_url,
        beacon_url_decided_by,
        beacon_base,
        license,
        endpoints,
        proxy,
        engine,
        offline: OFFLINE_STATEMENT,
        warnings,
        notes,
    }
}

struct Analysis<'a> {
    values: &'a Values,
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

    fn warn(&mut self, code: &'static str, pos: Option<Pos>, message: String, hint: String) {
        let location = self.location(pos);
        self.warnings.push(Diagnostic {
            severity: Severity::Warning,
            code,
            message,
            location,
            hint: Some(hint),
        });
    }

    fn note(&mut self, code: &'static str, message: String) {
        self.notes.push(Note { code, message });
    }

    fn endpoint(&mut self, endpoint: &Endpoint, env: &[EnvVar<'_>], base: &str) -> EndpointState {
        let (enabled, certain, decided_by) = match endpoint.control {
            Control::AlwaysOn => (true, true, self.decided(None, None, "always on (billing)")),
            Control::Telemetry { key, env: var } => self.telemetry(key, var, env),
            Control::EnvOnly { env: var } => self.usage(endpoint, var, env),
        };
        EndpointState {
            id: endpoint.id,
            url: endpoints::join_url(base, endpoint.path),
            class: endpoint.class,
            enabled,
            required: endpoint.control == Control::AlwaysOn,
            certain,
            decided_by,
            documented_since: endpoint.documented_since,
        }
    }

    /// A `commonEnv` switch: (enabled, certain, decided_by).
    fn env_switch(&mut self, var: &EnvVar<'_>, overrides: Option<&str>) -> (bool, bool, DecidedBy) {
        let key = Some(format!("commonEnv[{}].value", var.index));
        let over = overrides
            .map(|k| format!(", overrides `{k}`"))
            .unwrap_or_default();
        let Some(text) = var.value.text() else {
            let decided = self.decided(
                key,
                Some(var.pos),
                format!(
                    "`commonEnv` `{}` from `valueFrom`{over}: the value is not in the values",
                    var.name
                ),
            );
            self.warn(
                "env-value-unknown",
                Some(var.pos),
                format!(
                    "`{}` comes from `valueFrom`: whether it is on cannot be told from the values",
                    var.name
                ),
                format!(
                    "set it inline:\n  - name: {}\n    value: \"false\"",
                    var.name
                ),
            );
            return (true, false, decided);
        };
        let parsed = parse_env_bool(text);
        let certain = parsed.is_some() && matches!(var.value, EnvValue::Str(_) | EnvValue::Empty);
        let reason = format!("`{}={}` in `commonEnv`{over}", var.name, quoted(text));
        let decided = self.decided(key, Some(var.pos), reason);
        if parsed.is_none() {
            self.warn(
                "env-value-unclear",
                Some(var.pos),
                format!("`{}` is `{text}`, which is neither true nor false: what the services make of it cannot be told", var.name),
                format!("write \"true\" or \"false\":\n  - name: {}\n    value: \"false\"", var.name),
            );
        }
        // Unclear values count as on: the cautious reading for egress.
        (parsed.unwrap_or(true), certain, decided)
    }

    fn telemetry(
        &mut self,
        key: &str,
        var_name: &str,
        env: &[EnvVar<'_>],
    ) -> (bool, bool, DecidedBy) {
        let path = format!("config.telemetry.{key}");
        let found = self.values.get(&["config", "telemetry", key]);
        if let Some(var) = env.iter().find(|v| v.name == var_name) {
            let chart = found.map(|f| &f.node.value);
            let chart_text = match chart {
                Some(Value::Bool(b)) => format!("`{path}: {b}`"),
                _ => format!("`{path}`"),
            };
            self.warn(
                "commonenv-overrides-telemetry",
                Some(var.pos),
                format!("`commonEnv` sets `{var_name}`, which overrides {chart_text}: Kubernetes lets `env` win over the chart's `envFrom`"),
                format!("keep one switch: remove the `{var_name}` entry from `commonEnv` and set\nconfig:\n  telemetry:\n    {key}: false"),
            );
            return self.env_switch(var, Some(&path));
        }
        let Some(found) = found else {
            let telemetry = self.values.get(&["config", "telemetry"]);
            let pos = telemetry.map(|t| t.key_pos);
            self.warn(
                "telemetry-not-boolean",
                pos,
                format!("`{path}` is missing (deleted by a `null`?): the chart renders an empty flag and what the services do with it cannot be told"),
                format!("set it explicitly:\nconfig:\n  telemetry:\n    {key}: false"),
            );
            return (
                true,
                false,
                self.decided(Some(path), pos, "missing: the chart renders an empty flag"),
            );
        };
        let pos = Some(found.key_pos);
        match &found.node.value {
            Value::Bool(b) => {
                let reason = format!("`{path}: {b}`");
                (*b, true, self.decided(Some(path), pos, reason))
            }
            Value::Str(s) if parse_env_bool(s).is_some() => {
                self.warn(
                    "quoted-boolean",
                    pos,
                    format!("`{path}` is the string \"{s}\", not a boolean: the chart's template expects a boolean (inference: the render fails), and SmithDB pods count any non-empty string as on"),
                    format!("drop the quotes:\nconfig:\n  telemetry:\n    {key}: {}", parse_env_bool(s).unwrap_or(false)),
                );
                (
                    true,
                    false,
                    self.decided(
                        Some(path.clone()),
                        pos,
                        format!("`{path}: \"{s}\"` (a string, not a boolean)"),
                    ),
                )
            }
            Value::Null => {
                self.warn(
                    "telemetry-not-boolean",
                    pos,
                    format!("`{path}` is null, which deletes the chart's default: the chart renders an empty flag and what the services do with it cannot be told"),
                    format!("set a boolean:\nconfig:\n  telemetry:\n    {key}: false"),
                );
                (
                    true,
                    false,
                    self.decided(
                        Some(path.clone()),
                        pos,
                        format!("`{path}: null` deletes the default"),
                    ),
                )
            }
            other => {
                self.warn(
                    "telemetry-not-boolean",
                    pos,
                    format!(
                        "`{path}` is {}, not a boolean: the chart expects `true` or `false`",
                        other.kind()
                    ),
                    format!("set a boolean:\nconfig:\n  telemetry:\n    {key}: false"),
                );
                (
                    true,
                    false,
                    self.decided(
                        Some(path.clone()),
                        pos,
                        format!("`{path}` is {}", other.kind()),
                    ),
                )
            }
        }
    }

    fn usage(
        &mut self,
        endpoint: &Endpoint,
        var_name: &str,
        env: &[EnvVar<'_>],
    ) -> (bool, bool, DecidedBy) {
        if let Some(var) = env.iter().find(|v| v.name == var_name) {
            return self.env_switch(var, None);
        }
        self.warn(
            "usage-snapshot-unset",
            None,
            format!("`{var_name}` is not set in `commonEnv`: {} follows the server's default, which the documentation calls on (LangChain's Terraform treats it as opt-in)", endpoint.id),
            format!("say what you mean in `commonEnv`:\ncommonEnv:\n  - name: {var_name}\n    value: \"false\""),
        );
        (
            true,
            false,
            self.decided(
                None,
                None,
                format!("`{var_name}` unset (documented default: on)"),
            ),
        )
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
