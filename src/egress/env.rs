//! Environment entries as the chart renders them: `commonEnv` read item by item
//! (with every shape Kubernetes would refuse), the Beacon URL it sets, and the
//! proxy variables it carries.

use super::workloads::{EnvDef, EnvVal, PROXY_VARS};
use super::{Analysis, BeaconBase, DecidedBy, EnvSetting, non_empty_str, quoted, scalar_text};
use crate::config::{Pos, Value};
use crate::endpoints::DEFAULT_BEACON_URL;
use crate::secrets;

/// One entry of an env list as the chart would render it.
#[derive(Debug)]
pub(super) struct EnvVar<'a> {
    /// Its index in `commonEnv`.
    pub(super) index: usize,
    /// The variable.
    pub(super) name: String,
    /// Its value.
    pub(super) value: EnvValue<'a>,
    /// The position of the entry's `value` key, or of the item.
    pub(super) pos: Pos,
}

#[derive(Debug)]
pub(super) enum EnvValue<'a> {
    /// A string, as Kubernetes requires.
    Str(&'a str),
    /// A boolean or number: Kubernetes rejects it; the text is what was meant.
    NotString(String),
    /// `valueFrom`: the value is not in the values file; a `configMapKeyRef`'s
    /// ConfigMap and key, when it is one.
    From(Option<(&'a str, &'a str)>),
    /// No value: the variable is set to the empty string.
    Empty,
}

impl EnvValue<'_> {
    /// The text the variable is meant to carry.
    pub(super) fn text(&self) -> Option<&str> {
        match self {
            EnvValue::Str(s) => Some(s),
            EnvValue::NotString(s) => Some(s),
            EnvValue::Empty => Some(""),
            EnvValue::From(_) => None,
        }
    }
}

impl<'a> Analysis<'a> {
    /// Reads an env list (`commonEnv`, `smithdb.commonEnv`, an `extraEnv`) as the
    /// chart renders it, with an error for every shape Helm or Kubernetes refuses.
    /// Returns the usable entries in order; a name written twice keeps the last
    /// (Helm refuses it where the chart checks the pod's env for duplicates:
    /// `checked`; elsewhere Kubernetes keeps the last).
    pub(super) fn env_list(&mut self, path: &[&str], checked: bool) -> Vec<EnvVar<'a>> {
        let values = self.values;
        let Some(found) = values.get(path) else {
            return Vec::new();
        };
        let shown = path.join(".");
        let items = match &found.node.value {
            Value::Seq(items) => items,
            Value::Null => {
                self.error(
                    "commonenv-not-a-list",
                    Some(found.key_pos),
                    format!("`{shown}` is null, which deletes the chart's empty list: Helm fails to render (\"error calling concat: runtime error: invalid memory address or nil pointer dereference\")"),
                    format!("write an empty list, or leave the key out:\n{}", yaml_path(path, "[]")),
                );
                return Vec::new();
            }
            Value::Map(entries) => {
                let corrected: String = entries
                    .iter()
                    .map(|e| {
                        let value = if secrets::is_secret_env(&e.key) {
                            "\"...\"".to_string()
                        } else {
                            quoted(&scalar_text(&e.node).unwrap_or_default())
                        };
                        format!("\n  - name: {}\n    value: {value}", e.key)
                    })
                    .collect();
                self.error(
                    "commonenv-not-a-list",
                    Some(found.key_pos),
                    format!("`{shown}` is a mapping, but the chart needs a list of `{{name, value}}` entries: Helm refuses to render (\"can't evaluate field name in type interface {{}}\")"),
                    format!("write it as a list with string values:\n{}:{corrected}", path.last().unwrap_or(&"commonEnv")),
                );
                return Vec::new();
            }
            other => {
                self.error(
                    "commonenv-not-a-list",
                    Some(found.key_pos),
                    format!(
                        "`{shown}` is {}, but the chart needs a list of `{{name, value}}` entries: Helm refuses to render",
                        other.kind()
                    ),
                    format!("write it as a list:\n{}:\n  - name: VARIABLE\n    value: \"text\"", path.last().unwrap_or(&"commonEnv")),
                );
                return Vec::new();
            }
        };
        let mut vars: Vec<EnvVar<'a>> = Vec::new();
        let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for (index, item) in items.iter().enumerate() {
            let name = item.entry("name").and_then(|e| match &e.node.value {
                Value::Str(s) if !s.is_empty() => Some(s.clone()),
                _ => None,
            });
            let Some(name) = name else {
                self.error(
                    "commonenv-bad-entry",
                    Some(item.pos),
                    format!("`{shown}[{index}]` has no string `name`: Helm refuses to render (\"invalid value; expected string\")"),
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
                            let secret = secrets::is_secret_env(&name);
                            let what = if secret {
                                "a non-string value".to_string()
                            } else {
                                format!("`{text}` ({})", other.kind())
                            };
                            self.error(
                                "env-value-not-string",
                                Some(v.key_pos),
                                format!("`{shown}` `{name}` has {what}: Helm renders it unquoted and Kubernetes refuses it, since env values must be strings"),
                                format!("quote the value:\n  - name: {name}\n    value: {}", if secret { "\"...\"".to_string() } else { quoted(&text) }),
                            );
                            EnvValue::NotString(text)
                        }
                    };
                    (value, v.key_pos)
                }
                (None, Some(from)) => {
                    let reference = from.node.entry("configMapKeyRef").and_then(|r| {
                        match (r.node.entry("name"), r.node.entry("key")) {
                            (Some(n), Some(k)) => match (&n.node.value, &k.node.value) {
                                (Value::Str(n), Value::Str(k)) => Some((n.as_str(), k.as_str())),
                                _ => None,
                            },
                            _ => None,
                        }
                    });
                    (EnvValue::From(reference), from.key_pos)
                }
                (None, None) => (EnvValue::Empty, item.pos),
            };
            if let Some(earlier) = seen.get(&name).copied() {
                let first = vars[earlier].index;
                let hint = format!("keep one `{name}` entry");
                if checked {
                    self.error(
                        "duplicate-env",
                        Some(pos),
                        format!("`{shown}` sets `{name}` twice (entries {first} and {index}): Helm refuses to render (\"Duplicate keys detected: [{name}]\")"),
                        hint,
                    );
                } else {
                    self.warn(
                        "duplicate-env",
                        Some(pos),
                        format!("`{shown}` sets `{name}` twice (entries {first} and {index}): the chart does not check this pod, and Kubernetes uses the last one"),
                        hint,
                    );
                }
                vars[earlier] = EnvVar {
                    index,
                    name,
                    value,
                    pos,
                };
                continue;
            }
            seen.insert(name.clone(), vars.len());
            vars.push(EnvVar {
                index,
                name,
                value,
                pos,
            });
        }
        vars
    }

    /// The base URL `commonEnv` sets: as the resolution step reads it, as the
    /// report shows it, and what decided it.
    pub(super) fn beacon_url(&mut self, env: &[EnvVar<'_>]) -> (BeaconBase, String, DecidedBy) {
        let default = || DEFAULT_BEACON_URL.to_string();
        let Some(var) = env.iter().find(|v| v.name == "BEACON_ENDPOINT") else {
            return (
                BeaconBase::Default,
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
            return (BeaconBase::Unknown, default(), decided);
        };
        if text.starts_with("https://") {
            let url = text.trim_end_matches('/').to_string();
            return (BeaconBase::Set(url.clone()), url, decided);
        }
        let (message, base, url) = if text.starts_with("http://") {
            let url = text.trim_end_matches('/').to_string();
            (
                format!(
                    "`BEACON_ENDPOINT` is `{text}`: plain http sends the license key unencrypted"
                ),
                BeaconBase::Set(url.clone()),
                url,
            )
        } else {
            (
                format!(
                    "`BEACON_ENDPOINT` is `{text}`, not an https URL: the services cannot use it"
                ),
                BeaconBase::Default,
                default(),
            )
        };
        self.warn(
            "beacon-endpoint-invalid",
            Some(var.pos),
            message,
            "give a full https URL:\n  - name: BEACON_ENDPOINT\n    value: \"https://beacon.langchain.com\"".to_string(),
        );
        (base, url, decided)
    }

    pub(super) fn proxy(&mut self, env: &[EnvVar<'_>]) -> Vec<EnvSetting> {
        let proxy: Vec<EnvSetting> = env
            .iter()
            .filter(|v| PROXY_VARS.contains(&v.name.to_ascii_uppercase().as_str()))
            .map(|v| EnvSetting {
                name: v.name.clone(),
                value: v.value.text().map(secrets::redact_url_credentials),
                raw: v.value.text().map(str::to_string),
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
}

impl EnvVar<'_> {
    /// The entry as a pod's environment holds it, decided by its own line.
    pub(super) fn def(
        &self,
        analysis: &Analysis<'_>,
        list: &str,
        overrides: Option<&str>,
    ) -> EnvDef {
        let value = match &self.value {
            EnvValue::Str(s) => EnvVal::Text((*s).to_string()),
            EnvValue::Empty => EnvVal::Text(String::new()),
            EnvValue::NotString(s) => EnvVal::NotString(s.clone()),
            EnvValue::From(_) => EnvVal::Unknown,
        };
        let over = overrides
            .map(|k| format!(", overrides `{k}`"))
            .unwrap_or_default();
        let reason = match self.value.text() {
            Some(text) => format!("`{}={}` in `{list}`{over}", self.name, quoted(text)),
            None => format!(
                "`{}` in `{list}` from `valueFrom`{over}: the value is not in the values",
                self.name
            ),
        };
        EnvDef {
            value,
            decided: analysis.decided(
                Some(format!("{list}[{}].value", self.index)),
                Some(self.pos),
                reason,
            ),
        }
    }
}

/// A key path with a value, as YAML: `smithdb.commonEnv` and `[]` give
/// `smithdb:\n  commonEnv: []`.
fn yaml_path(path: &[&str], value: &str) -> String {
    let mut out = String::new();
    for (depth, key) in path.iter().enumerate() {
        if depth > 0 {
            out.push('\n');
        }
        out.push_str(&"  ".repeat(depth));
        out.push_str(key);
        out.push(':');
    }
    out.push(' ');
    out.push_str(value);
    out
}
