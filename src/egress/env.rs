//! Environment entries as the chart renders them: `commonEnv` read item by item
//! (with every shape Kubernetes would refuse), the Beacon URL it sets, and the
//! proxy variables it carries.

use super::{Analysis, BeaconBase, DecidedBy, EnvSetting, non_empty_str, quoted, scalar_text};
use crate::config::{Pos, Value};
use crate::endpoints::DEFAULT_BEACON_URL;
use crate::secrets;

/// One `commonEnv` entry as the chart would render it.
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
    /// `valueFrom`: the value is not in the values file.
    From,
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
            EnvValue::From => None,
        }
    }
}

/// Proxy variables, as curl and the Python and Go HTTP clients read them.
const PROXY_VARS: &[&str] = &["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY"];

impl<'a> Analysis<'a> {
    /// Reads `commonEnv` as the chart renders it, warning about every shape that
    /// Kubernetes would reject. Returns the usable entries in order.
    pub(super) fn common_env(&mut self) -> Vec<EnvVar<'a>> {
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
