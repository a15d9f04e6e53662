//! Lints and notes: keys that do nothing, what the files themselves say, and
//! facts worth knowing that are not mistakes.

use super::{Analysis, non_empty_str};
use crate::config::{LoadNote, Value};
use crate::diagnostic::{Diagnostic, Location};

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

impl Analysis<'_> {
    /// Keys that do nothing: anything under `config.telemetry` besides the three
    /// switches, and near-misses of the keys that decide egress.
    pub(super) fn misspelt_keys(&mut self) {
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

    pub(super) fn load_notes(&mut self) {
        let values = self.values;
        let file = |source: usize| values.sources[source].file.clone();
        for note in &values.notes {
            match note {
                LoadNote::DuplicateKey { path, pos } => self.warn(
                    "duplicate-key",
                    Some(*pos),
                    format!("`{path}` is written twice in one mapping: Helm keeps the later one, at this line"),
                    "delete one of the two so the file says one thing".to_string(),
                ),
                LoadNote::MergeOverridesKey { path, pos, merge } => self.warn(
                    "merge-overrides-key",
                    Some(*merge),
                    format!(
                        "the `<<` merge key at line {} brings `{path}` too, and Helm applies it in order: the merged value replaces the one written at line {}",
                        merge.line, pos.line
                    ),
                    "put `<<:` first in the mapping, before the keys meant to override it".to_string(),
                ),
                LoadNote::SeveralDocuments { source, count } => {
                    let diagnostic = Diagnostic::warning(
                        "several-documents",
                        format!("the file holds {count} YAML documents (`---`): Helm merges them in order, each later document winning over the earlier ones"),
                    )
                    .at(Location::Values { file: file(*source), line: None, column: None })
                    .hint("merge them into one document, or split them into files passed in order with -f, so the order is explicit");
                    self.warnings.push(diagnostic);
                }
                LoadNote::EmptyValues { source } => {
                    let diagnostic = Diagnostic::warning(
                        "empty-values",
                        "the file holds no values (it is empty, only comments, or `null`): Helm reads it as no values, so the chart defaults stand".to_string(),
                    )
                    .at(Location::Values { file: file(*source), line: None, column: None })
                    .hint("check that this is the file you meant; `helm get values RELEASE -o yaml` prints the values in force");
                    self.warnings.push(diagnostic);
                }
                LoadNote::ManifestAsValues { pos, .. } => self.warn(
                    "manifest-as-values",
                    Some(*pos),
                    "this is a Kubernetes manifest (`apiVersion` and `kind` at the top level), not chart values: Helm would read its keys as values and they change nothing".to_string(),
                    "to read rendered manifests pass them with `--manifests FILE`; for the values in force use `helm get values RELEASE -o yaml`".to_string(),
                ),
            }
        }
    }

    pub(super) fn facts(&mut self) {
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
        if !off.is_empty() && !self.version.given {
            self.note(
                "chart-version",
                format!("charts 0.10.49 to 0.11.3 ignored `false` for telemetry ({}); it takes effect from chart 0.11.4. The rules follow chart {}: give --chart-version if yours is older", off.join(", "), self.version.text),
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
