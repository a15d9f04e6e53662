//! The chart's telemetry switches (`config.telemetry.*`): how the ConfigMap renders
//! them into `BEACON_*_ENABLED`, what makes Helm refuse them (a deleted switch, a
//! string or a number where a boolean is wanted, quoting Helm's own message), the
//! rules that changed between chart versions, and the traps around them.

use super::env::{EnvValue, EnvVar};
use super::workloads::{EnvDef, EnvVal, Workload};
use super::{Analysis, Value, parse_env_bool, quoted};
use crate::endpoints::{Control, EndpointId};

/// One switch and the variable the ConfigMap renders from it.
#[derive(Debug, Clone)]
pub(super) struct Flag {
    /// The key under `config.telemetry`.
    pub key: &'static str,
    /// The variable the chart renders.
    pub env: &'static str,
    /// The variable as rendered; `None` when this chart version has no such switch.
    pub def: Option<EnvDef>,
}

impl Analysis<'_> {
    /// Says which chart version the rules follow, when it matters.
    pub(super) fn version_notes(&mut self) {
        let version = self.version;
        if !version.known() {
            self.note(
                "chart-version-unknown",
                format!(
                    "beacon-cli has no rules for chart {}: it reads the values as chart {} would",
                    version.text,
                    super::chart::EMBEDDED
                ),
            );
        } else if version.text != super::chart::EMBEDDED {
            self.note(
                "chart-version",
                format!(
                    "the rules follow chart {}; the defaults built in are chart {}'s",
                    version.text,
                    super::chart::EMBEDDED
                ),
            );
        }
    }

    /// The three switches as the ConfigMap renders them, with an error for every
    /// switch Helm refuses.
    pub(super) fn telemetry_flags(&mut self) -> Vec<Flag> {
        let block = self.values.get(&["config", "telemetry"]);
        let broken_block = match block.map(|f| &f.node.value) {
            Some(Value::Map(_)) => None,
            Some(Value::Null) | None => Some((
                "is null, which deletes the chart's switches",
                "nil pointer evaluating interface {}.metrics",
            )),
            Some(_) => Some((
                "is not a mapping",
                "can't evaluate field metrics in type interface {}",
            )),
        };
        if let Some((what, helm)) = broken_block {
            self.error(
                "telemetry-not-boolean",
                block.map(|f| f.key_pos),
                format!("`config.telemetry` {what}: Helm refuses to render (\"{helm}\")"),
                "keep the block and its three switches:\nconfig:\n  telemetry:\n    metrics: false\n    traces: false\n    logs: false".to_string(),
            );
        }
        EndpointId::ALL
            .into_iter()
            .filter_map(|id| match id.spec().control {
                Control::Telemetry { key, env } => Some((key, env)),
                _ => None,
            })
            .map(|(key, env)| {
                let def = if key == "logs" && !self.version.has_logs_switch() {
                    if let Some(found) = self.values.get(&["config", "telemetry", "logs"]) {
                        self.warn(
                            "unknown-telemetry-key",
                            Some(found.key_pos),
                            format!("`config.telemetry.logs` does not exist before chart 0.13.0 (the rules follow chart {}): it changes nothing", self.version.text),
                            "upgrade the chart to turn logs off, or check --chart-version".to_string(),
                        );
                    }
                    None
                } else if broken_block.is_some() {
                    Some(self.unknown_flag(key, "the render fails"))
                } else {
                    Some(self.flag(key))
                };
                Flag { key, env, def }
            })
            .collect()
    }

    fn unknown_flag(&self, key: &str, why: &str) -> EnvDef {
        let path = format!("config.telemetry.{key}");
        let pos = self
            .values
            .get(&["config", "telemetry", key])
            .map(|f| f.key_pos)
            .or_else(|| self.values.get(&["config", "telemetry"]).map(|f| f.key_pos));
        EnvDef {
            value: EnvVal::Unknown,
            decided: self.decided(Some(path.clone()), pos, format!("`{path}`: {why}")),
        }
    }

    /// One switch: a boolean renders `"true"` or `"false"`; anything else makes
    /// the ConfigMap's `ternary` fail.
    fn flag(&mut self, key: &str) -> EnvDef {
        let path = format!("config.telemetry.{key}");
        let found = self.values.get(&["config", "telemetry", key]);
        let pos = found.map(|f| f.key_pos);
        let fix = |b: bool| {
            format!("write a boolean, without quotes:\nconfig:\n  telemetry:\n    {key}: {b}")
        };
        let (what, got, hint) = match found.map(|f| &f.node.value) {
            Some(Value::Bool(b)) => {
                if !*b && self.version.ignores_false() {
                    self.warn(
                        "false-ignored",
                        pos,
                        format!("chart {} ignores `{path}: false` (charts 0.10.49 to 0.11.3 drop the variable, and the app stays on)", self.version.text),
                        "upgrade the chart to 0.11.4 or later, or set the variable in `commonEnv`".to_string(),
                    );
                    return EnvDef {
                        value: EnvVal::Text("true".to_string()),
                        decided: self.decided(
                            Some(path.clone()),
                            pos,
                            format!("`{path}: false`, which chart {} ignores", self.version.text),
                        ),
                    };
                }
                return EnvDef {
                    value: EnvVal::Text(b.to_string()),
                    decided: self.decided(Some(path.clone()), pos, format!("`{path}: {b}`")),
                };
            }
            Some(Value::Str(s)) => (
                format!("is the string {}, not a boolean", quoted(s)),
                "string",
                fix(parse_env_bool(s).unwrap_or(false)),
            ),
            Some(Value::Null) | None => (
                "is null, which deletes the chart's default".to_string(),
                "interface {}",
                fix(false),
            ),
            Some(Value::Int(_)) => ("is a number".to_string(), "int64", fix(false)),
            Some(Value::Float(_)) => ("is a number".to_string(), "float64", fix(false)),
            Some(Value::Seq(_)) => ("is a list".to_string(), "[]interface {}", fix(false)),
            Some(Value::Map(_)) => (
                "is a mapping".to_string(),
                "map[string]interface {}",
                fix(false),
            ),
        };
        let code = if got == "string" {
            "quoted-boolean"
        } else {
            "telemetry-not-boolean"
        };
        self.error(
            code,
            pos.or_else(|| self.values.get(&["config", "telemetry"]).map(|f| f.key_pos)),
            format!("`{path}` {what}: Helm refuses to render (\"wrong type for value; expected bool; got {got}\")"),
            hint,
        );
        self.unknown_flag(key, "not a boolean, so the render fails")
    }

    /// The traps around the switches: a `commonEnv` entry that overrides a chart
    /// switch (and misses the pods without `commonEnv`), values that are not
    /// true or false, and usage snapshots left unset.
    pub(super) fn switch_lints(
        &mut self,
        flags: &[Flag],
        common: &[EnvVar<'_>],
        workloads: &[Workload],
    ) {
        for flag in flags {
            let Some(var) = common.iter().find(|v| v.name == flag.env) else {
                continue;
            };
            let path = format!("config.telemetry.{}", flag.key);
            let chart_text = match flag.def.as_ref().and_then(EnvDef::text) {
                Some(b) => format!("`{path}: {b}`"),
                None => format!("`{path}`"),
            };
            self.warn(
                "commonenv-overrides-telemetry",
                Some(var.pos),
                format!("`commonEnv` sets `{}`, which overrides {chart_text}: Kubernetes lets `env` win over the chart's `envFrom`", flag.env),
                format!("keep one switch: remove the `{}` entry from `commonEnv` and set\nconfig:\n  telemetry:\n    {}: false", flag.env, flag.key),
            );
            let chart_value = flag
                .def
                .as_ref()
                .and_then(EnvDef::text)
                .and_then(parse_env_bool);
            let override_value = var.value.text().and_then(parse_env_bool);
            let missed: Vec<&str> = workloads
                .iter()
                .flat_map(|w| w.pods.iter().map(String::as_str))
                .filter(|p| super::chart::sandboxed(p))
                .collect();
            if !missed.is_empty() && chart_value.is_some() && chart_value != override_value {
                self.warn(
                    "override-misses-pods",
                    Some(var.pos),
                    format!(
                        "`commonEnv` `{}` does not reach the {} pods, which do not get `commonEnv`: they keep {chart_text} from the ConfigMap",
                        flag.env,
                        missed.join(" and ")
                    ),
                    format!("switch it with the chart key, which every pod reads:\nconfig:\n  telemetry:\n    {}: {}", flag.key, override_value.unwrap_or(false)),
                );
            }
        }
        for id in EndpointId::ALL {
            let var_name = match id.spec().control {
                Control::Telemetry { env, .. } | Control::EnvOnly { env } => env,
                Control::AlwaysOn => continue,
            };
            match common.iter().find(|v| v.name == var_name) {
                Some(var) => match var.value.text() {
                    // A reference to the chart's own ConfigMap reads the switch there.
                    None if matches!(var.value, EnvValue::From(Some((map, _))) if map.ends_with("-langsmith-config")) => {}
                    None => self.warn(
                        "env-value-unknown",
                        Some(var.pos),
                        format!("`{var_name}` comes from `valueFrom`: whether it is on cannot be told from the values"),
                        format!("set it inline:\n  - name: {var_name}\n    value: \"false\""),
                    ),
                    Some(text) if parse_env_bool(text).is_none() => self.warn(
                        "env-value-unclear",
                        Some(var.pos),
                        format!("`{var_name}` is `{text}`, which is neither true nor false: what the services make of it cannot be told"),
                        format!("write \"true\" or \"false\":\n  - name: {var_name}\n    value: \"false\""),
                    ),
                    Some(_) => {}
                },
                None if matches!(id.spec().control, Control::EnvOnly { .. }) => self.warn(
                    "usage-snapshot-unset",
                    None,
                    format!("`{var_name}` is not set in `commonEnv`: {id} follows the server's default, which the documentation calls on (LangChain's Terraform treats it as opt-in)"),
                    format!("say what you mean in `commonEnv`:\ncommonEnv:\n  - name: {var_name}\n    value: \"false\""),
                ),
                None => {}
            }
        }
    }
}
