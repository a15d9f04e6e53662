//! What a set of values sends to Beacon, and which line decided it.
//!
//! [`analyse`] reads the merged [`Values`] the way the LangSmith chart and
//! Kubernetes do (a `commonEnv` entry beats the chart's own `BEACON_*_ENABLED`
//! flags, because `env` wins over `envFrom`) and returns a [`Report`]: every
//! endpoint with its state and provenance, the license source, proxies, the
//! Engine, and a warning for every trap listed in the README's "Warnings" table.
//! It prints nothing; `commands::show_config` renders the report.

use serde::Serialize;

use crate::config::{CHART_VERSION, LoadNote, Node, Pos, Source, Value, Values};
use crate::endpoints::{self, Class, Control, DEFAULT_BEACON_URL, ENDPOINTS, Endpoint};
use crate::secrets;

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
    pub warnings: Vec<Warning>,
    /// Facts worth knowing that are not mistakes.
    pub notes: Vec<Note>,
}

impl Report {
    /// The state of one endpoint; the report holds every endpoint of the catalogue.
    pub fn endpoint(&self, id: &str) -> &EndpointState {
        self.endpoints
            .iter()
            .find(|e| e.id == id)
            .expect("the report holds every catalogue endpoint")
    }
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
    pub id: &'static str,
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

/// A trap in the values, with the fix.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Warning {
    /// A stable short code (`quoted-boolean`).
    pub code: &'static str,
    /// What is wrong and what it does.
    pub message: String,
    /// The file, null for a flag or the chart defaults.
    pub file: Option<String>,
    /// The line.
    pub line: Option<u32>,
    /// The fix, with the corrected YAML.
    pub hint: String,
}

/// A fact worth knowing that is not a mistake.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Note {
    /// A stable short code.
    pub code: &'static str,
    /// The fact.
    pub message: String,
}

/// One `commonEnv` entry as the chart would render it.
#[derive(Debug)]
struct EnvVar<'a> {
    index: usize,
    name: String,
    value: EnvValue<'a>,
    /// The position of the entry's `value` key, or of the item.
    pos: Pos,
}

#[derive(Debug)]
enum EnvValue<'a> {
    /// A string, as Kubernetes requires.
    Str(&'a str),
    /// A boolean or number: Kubernetes rejects it; the text is what was meant.
    NotString(String),
    /// `valueFrom`: the value is not in the values file.
    From,
    /// No value: the variable is set to the empty string.
    Empty,
}

impl EnvValue<'_> {
    /// The text the variable is meant to carry.
    fn text(&self) -> Option<&str> {
        match self {
            EnvValue::Str(s) => Some(s),
            EnvValue::NotString(s) => Some(s),
            EnvValue::Empty => Some(""),
            EnvValue::From => None,
        }
    }
}

/// Proxy variables, as curl and the Python and Go HTTP clients read them.
const PROXY_VARS: &[&str] = &["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"];

/// Keys beacon-cli reads, by parent: a sibling spelt nearly the same is a typo.
const KNOWN_KEYS: &[(&str, &[&str])] = &[
    ("", &["config", "commonEnv", "engine"]),
    (
        "config",
        &[
            "telemetry",
            "langsmithLicenseKey",
            "existingSecretName",
            "apiKeySalt",
            "customCa",
        ],
    ),
    ("engine", &["enabled", "intelligenceBaseUrl"]),
];

/// Reads the values as the chart would and reports what reaches Beacon.
pub fn analyse(values: &Values) -> Report {
    let mut analysis = Analysis {
        values,
        warnings: Vec::new(),
        notes: Vec::new(),
    };
    let env = analysis.common_env();
    let (beacon_url, beacon_url_decided_by) = analysis.beacon_url(&env);
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
    let order = |w: &Warning| {
        let source = values
            .sources
            .iter()
            .position(|s| s.file.as_deref() == w.file.as_deref())
            .unwrap_or(0);
        (source, w.line.unwrap_or(0))
    };
    warnings.sort_by_key(order);
    Report {
        sources: values.sources.clone(),
        chart_defaults_version: CHART_VERSION,
        beacon_url,
        beacon_url_decided_by,
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
    warnings: Vec<Warning>,
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

    fn warn(&mut self, code: &'static str, pos: Option<Pos>, message: String, hint: String) {
        let pos = pos.filter(|p| !self.values.is_chart_default(*p));
        self.warnings.push(Warning {
            code,
            message,
            file: pos.and_then(|p| self.values.file_of(p)).map(str::to_string),
            line: pos.and_then(Pos::line),
            hint,
        });
    }

    fn note(&mut self, code: &'static str, message: String) {
        self.notes.push(Note { code, message });
    }

    /// Reads `commonEnv` as the chart renders it, warning about every shape that
    /// Kubernetes would reject. Returns the usable entries in order.
    fn common_env(&mut self) -> Vec<EnvVar<'a>> {
        let Some(found) = self.values.get(&["commonEnv"]) else {
            return Vec::new();
        };
        let items = match &found.node.value {
            Value::Seq(items) => items,
            Value::Null => return Vec::new(),
            Value::Map(entries) => {
                let corrected: String = entries
                    .iter()
                    .map(|e| {
                        format!(
                            "\n  - name: {}\n    value: {}",
                            e.key,
                            quoted(&scalar_text(&e.node).unwrap_or_default())
                        )
                    })
                    .collect();
                self.warn(
                    "commonenv-not-a-list",
                    Some(found.key_pos),
                    "`commonEnv` is a mapping, but the chart needs a list of `{name, value}` entries: Kubernetes rejects it, and none of these variables is set".to_string(),
                    format!("write it as a list with string values:\ncommonEnv:{corrected}"),
                );
                return Vec::new();
            }
            other => {
                self.warn(
                    "commonenv-not-a-list",
                    Some(found.key_pos),
                    format!(
                        "`commonEnv` is {}, but the chart needs a list of `{{name, value}}` entries",
                        other.kind()
                    ),
                    "write it as a list:\ncommonEnv:\n  - name: VARIABLE\n    value: \"text\"".to_string(),
                );
                return Vec::new();
            }
        };
        let mut vars: Vec<EnvVar<'a>> = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let name = item.entry("name").and_then(|e| match &e.node.value {
                Value::Str(s) if !s.is_empty() => Some(s.clone()),
                _ => None,
            });
            let Some(name) = name else {
                self.warn(
                    "commonenv-bad-entry",
                    Some(item.pos),
                    format!("`commonEnv[{index}]` has no string `name`: Kubernetes rejects it"),
                    "each entry needs a name and a string value:\n  - name: VARIABLE\n    value: \"text\"".to_string(),
                );
                continue;
            };
            let (value, pos) = match (item.entry("value"), item.entry("valueFrom")) {
                (Some(v), _) => {
                    let value = match &v.node.value {
                        Value::Str(s) => EnvValue::Str(s),
                        Value::Null => EnvValue::Empty,
                        other => {
                            let text =
                                scalar_text(&v.node).unwrap_or_else(|| other.kind().to_string());
                            let shown = if secrets::is_secret_env(&name) {
                                "a non-string value".to_string()
                            } else {
                                format!("`{text}` ({})", other.kind())
                            };
                            self.warn(
                                "env-value-not-string",
                                Some(v.key_pos),
                                format!("`commonEnv` `{name}` has {shown}; Kubernetes env values must be strings, so the install fails"),
                                format!("quote the value:\n  - name: {name}\n    value: {}", if secrets::is_secret_env(&name) { "\"...\"".to_string() } else { quoted(&text) }),
                            );
                            EnvValue::NotString(text)
                        }
                    };
                    (value, v.key_pos)
                }
                (None, Some(from)) => (EnvValue::From, from.key_pos),
                (None, None) => (EnvValue::Empty, item.pos),
            };
            if let Some(earlier) = vars.iter().position(|v| v.name == name) {
                let first = vars[earlier].index;
                self.warn(
                    "duplicate-env",
                    Some(pos),
                    format!("`commonEnv` sets `{name}` twice (entries {first} and {index}); Kubernetes uses the last one"),
                    format!("keep one `{name}` entry"),
                );
                vars.remove(earlier);
            }
            vars.push(EnvVar {
                index,
                name,
                value,
                pos,
            });
        }
        for var in &vars {
            if secrets::SECRET_ENV.contains(&var.name.as_str()) {
                let key = if var.name == "LANGSMITH_LICENSE_KEY" {
                    "config.langsmithLicenseKey"
                } else {
                    "config.apiKeySalt"
                };
                self.warn(
                    "secret-in-commonenv",
                    Some(var.pos),
                    format!("`commonEnv` sets `{}`, which the chart also sets: charts before 0.17.0-rc.28 fail to render (\"Duplicate keys detected\")", var.name),
                    format!("remove the entry and set `{key}`, or put the key in the Secret named by `config.existingSecretName`"),
                );
            }
        }
        vars
    }

    fn beacon_url(&mut self, env: &[EnvVar<'_>]) -> (String, DecidedBy) {
        let default = || DEFAULT_BEACON_URL.to_string();
        let Some(var) = env.iter().find(|v| v.name == "BEACON_ENDPOINT") else {
            return (
                default(),
                self.decided(
                    None,
                    None,
                    "built-in default: no `BEACON_ENDPOINT` in `commonEnv`",
                ),
            );
        };
        let key = Some(format!("commonEnv[{}].value", var.index));
        let decided = self.decided(key, Some(var.pos), "`commonEnv` `BEACON_ENDPOINT`");
        let Some(text) = var.value.text().map(str::trim) else {
            self.warn(
                "beacon-endpoint-invalid",
                Some(var.pos),
                "`BEACON_ENDPOINT` comes from `valueFrom`: the Beacon URL cannot be read from the values".to_string(),
                "set it inline to see the URL here:\n  - name: BEACON_ENDPOINT\n    value: \"https://beacon.langchain.com\"".to_string(),
            );
            return (default(), decided);
        };
        if text.starts_with("https://") {
            return (text.trim_end_matches('/').to_string(), decided);
        }
        let (message, url) = if text.starts_with("http://") {
            (
                format!(
                    "`BEACON_ENDPOINT` is `{text}`: plain http sends the license key unencrypted"
                ),
                text.trim_end_matches('/').to_string(),
            )
        } else {
            (
                format!(
                    "`BEACON_ENDPOINT` is `{text}`, not an https URL: the services cannot use it"
                ),
                default(),
            )
        };
        self.warn(
            "beacon-endpoint-invalid",
            Some(var.pos),
            message,
            "give a full https URL:\n  - name: BEACON_ENDPOINT\n    value: \"https://beacon.langchain.com\"".to_string(),
        );
        (url, decided)
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

    fn proxy(&mut self, env: &[EnvVar<'_>]) -> Vec<EnvSetting> {
        let proxy: Vec<EnvSetting> = env
            .iter()
            .filter(|v| PROXY_VARS.contains(&v.name.to_ascii_uppercase().as_str()))
            .map(|v| EnvSetting {
                name: v.name.clone(),
                value: v.value.text().map(secrets::redact_url_credentials),
                file: self.values.file_of(v.pos).map(str::to_string),
                line: v.pos.line(),
            })
            .collect();
        let Some(first) = env
            .iter()
            .find(|v| PROXY_VARS.contains(&v.name.to_ascii_uppercase().as_str()))
        else {
            return proxy;
        };
        let missing: Vec<&str> = [("playground", "playground"), ("aceBackend", "aceBackend")]
            .into_iter()
            .filter(|(component, _)| !self.extra_env_has_proxy(component))
            .map(|(_, shown)| shown)
            .collect();
        if !missing.is_empty() {
            let blocks: String = missing
                .iter()
                .map(|c| format!("\n{c}:\n  deployment:\n    extraEnv:\n      - name: {}\n        value: \"...\"", first.name))
                .collect();
            self.warn(
                "proxy-not-in-sandboxed-pods",
                Some(first.pos),
                format!("proxy variables in `commonEnv` do not reach the {} pods, which do not receive `commonEnv`", missing.join(" and ")),
                format!("repeat the proxy variables in their own extraEnv:{blocks}"),
            );
        }
        proxy
    }

    fn extra_env_has_proxy(&self, component: &str) -> bool {
        let Some(found) = self.values.get(&[component, "deployment", "extraEnv"]) else {
            return false;
        };
        let Value::Seq(items) = &found.node.value else {
            return false;
        };
        items.iter().any(|item| {
            item.entry("name")
                .and_then(|e| non_empty_str(&e.node))
                .is_some_and(|n| PROXY_VARS.contains(&n.to_ascii_uppercase().as_str()))
        })
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

    /// Keys that do nothing: anything under `config.telemetry` besides the three
    /// switches, and near-misses of the keys that decide egress.
    fn misspelt_keys(&mut self) {
        if let Some(telemetry) = self.values.get(&["config", "telemetry"]) {
            if let Value::Map(entries) = &telemetry.node.value {
                for entry in entries {
                    if ["logs", "metrics", "traces"].contains(&entry.key.as_str()) {
                        continue;
                    }
                    let key = &entry.key;
                    let hint = if key.to_ascii_lowercase().contains("usage") {
                        "usage snapshots have no chart key; set them in `commonEnv`:\ncommonEnv:\n  - name: PHONE_HOME_USAGE_REPORTING_ENABLED\n    value: \"false\"".to_string()
                    } else {
                        let nearest =
                            nearest(key, &["logs", "metrics", "traces"]).unwrap_or("metrics");
                        format!(
                            "the chart reads only `logs`, `metrics` and `traces` here:\nconfig:\n  telemetry:\n    {nearest}: false"
                        )
                    };
                    self.warn(
                        "unknown-telemetry-key",
                        Some(entry.key_pos),
                        format!(
                            "`config.telemetry.{key}` is not read by the chart: it changes nothing"
                        ),
                        hint,
                    );
                }
            }
        }
        for (parent, known) in KNOWN_KEYS {
            let node = if parent.is_empty() {
                Some(&self.values.root)
            } else {
                self.values.get(&[parent]).map(|f| f.node)
            };
            let Some(Value::Map(entries)) = node.map(|n| &n.value) else {
                continue;
            };
            for entry in entries {
                if known.contains(&entry.key.as_str()) {
                    continue;
                }
                if let Some(meant) = nearest(&entry.key, known) {
                    let dotted = |k: &str| {
                        if parent.is_empty() {
                            k.to_string()
                        } else {
                            format!("{parent}.{k}")
                        }
                    };
                    self.warn(
                        "misspelt-key",
                        Some(entry.key_pos),
                        format!("`{}` is not a chart key: did you mean `{}`? As written it changes nothing", dotted(&entry.key), dotted(meant)),
                        format!("rename the key to `{meant}`"),
                    );
                }
            }
        }
    }

    fn load_notes(&mut self) {
        for note in &self.values.notes {
            match note {
                LoadNote::DuplicateKey { path, pos } => self.warnings.push(Warning {
                    code: "duplicate-key",
                    message: format!("`{path}` is written twice in one mapping: Helm keeps the later one, at this line"),
                    file: self.values.file_of(*pos).map(str::to_string),
                    line: pos.line(),
                    hint: "delete one of the two so the file says one thing".to_string(),
                }),
                LoadNote::IgnoredDocuments { source, count } => self.warnings.push(Warning {
                    code: "ignored-documents",
                    message: format!(
                        "the file holds {count} more YAML document{} after the first (`---`); Helm reads only the first",
                        if *count == 1 { "" } else { "s" }
                    ),
                    file: self.values.sources[*source].file.clone(),
                    line: None,
                    hint: "split the documents into separate files and pass each with -f".to_string(),
                }),
            }
        }
    }

    fn facts(&mut self) {
        let off: Vec<&str> = ["logs", "metrics", "traces"]
            .into_iter()
            .filter(|k| {
                matches!(
                    self.values
                        .get(&["config", "telemetry", k])
                        .map(|f| &f.node.value),
                    Some(Value::Bool(false))
                )
            })
            .collect();
        if !off.is_empty() {
            self.note(
                "chart-version",
                format!("charts 0.10.49 to 0.11.3 ignored `false` for telemetry ({}); it takes effect from chart 0.11.4", off.join(", ")),
            );
        }
        if let Some(name) = self
            .values
            .get(&["config", "customCa", "secretName"])
            .and_then(|f| non_empty_str(f.node))
        {
            self.note(
                "custom-ca",
                format!("`config.customCa.secretName` is `{name}`: the bundle in that Secret replaces the pods' trust store, so it must include the public CA that signs beacon.langchain.com"),
            );
        }
        for path in [
            ["config", "observability", "tracing"],
            ["observability", "tracing", ""],
        ] {
            let path: Vec<&str> = path.into_iter().filter(|s| !s.is_empty()).collect();
            let mut enabled_path = path.clone();
            enabled_path.push("enabled");
            if matches!(
                self.values.get(&enabled_path).map(|f| &f.node.value),
                Some(Value::Bool(true))
            ) {
                self.note(
                    "own-observability",
                    format!("`{}` exports traces to your own collector, not to Beacon; it does not change what reaches Beacon", path.join(".")),
                );
            }
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

/// The known key a misspelt one most likely meant: a different case, or at most
/// two edits away (one for short keys).
fn nearest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| {
            (
                strsim::osa_distance(&key.to_ascii_lowercase(), &k.to_ascii_lowercase()),
                *k,
            )
        })
        .filter(|(d, k)| {
            let limit = if k.len() <= 5 { 1 } else { 2 };
            *d <= limit && (*d > 0 || key != *k)
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
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

    #[test]
    fn near_misses() {
        assert_eq!(
            nearest("telemtry", &["telemetry", "customCa"]),
            Some("telemetry")
        );
        assert_eq!(
            nearest("metric", &["logs", "metrics", "traces"]),
            Some("metrics")
        );
        assert_eq!(nearest("CommonEnv", &["commonEnv"]), Some("commonEnv"));
        assert_eq!(nearest("hostname", &["telemetry", "customCa"]), None);
        assert_eq!(nearest("customLogo", &["customCa"]), None);
        assert_eq!(nearest("fleet", &["config", "engine"]), None);
    }
}
