//! Rendered manifests, read as the cluster runs them: `helm template` output (many
//! documents) or `kubectl get deploy,sts,cm -o yaml` (a `List`).
//!
//! For every container of every Deployment, StatefulSet, DaemonSet, Job, CronJob
//! (and Pod, ReplicaSet, Argo Rollout): the effective Beacon environment, resolved
//! as Kubernetes resolves it. `envFrom` sources apply in order (a later one wins),
//! then `env` entries in order (`env` beats `envFrom`, a later entry beats an
//! earlier one). A ConfigMap in the input is resolved; one that is not makes its
//! variables unknown; `valueFrom` (a Secret, a field) is unknown. Every variable
//! keeps the file and line it came from.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::Result;

use crate::config::yaml::{self, ErrorKind, Node, Pos, SyntaxError, Value};
use crate::config::{Source, SourceKind};
use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::egress::DecidedBy;
use crate::egress::workloads::{EnvDef, EnvVal, PodEnv, tracked};
use crate::error::Failure;
use crate::input::{self, Named};
use crate::resolve;
use crate::secrets::{self, Secret};

/// Manifest files larger than this are refused.
const MAX_MANIFEST_BYTES: u64 = 256 * 1024 * 1024;

/// The kinds that run containers, and where their pod spec is.
const WORKLOAD_KINDS: &[(&str, &[&str])] = &[
    ("Deployment", &["spec", "template", "spec"]),
    ("StatefulSet", &["spec", "template", "spec"]),
    ("DaemonSet", &["spec", "template", "spec"]),
    ("ReplicaSet", &["spec", "template", "spec"]),
    ("Rollout", &["spec", "template", "spec"]),
    ("Job", &["spec", "template", "spec"]),
    (
        "CronJob",
        &["spec", "jobTemplate", "spec", "template", "spec"],
    ),
    ("Pod", &["spec"]),
];

/// One container and its Beacon environment.
#[derive(Debug, Clone)]
pub struct Container {
    /// `Kind/name:container` (`Deployment/ls-langsmith-backend:backend`).
    pub name: String,
    /// The environment, for [`crate::egress::workloads::evaluate`].
    pub pod: PodEnv,
    /// Whether it runs LangSmith code that talks to Beacon: it holds the license
    /// key, or gets `BEACON_*` flags through `envFrom`, or an `envFrom` that
    /// cannot be read.
    pub beacon: bool,
    /// Where `LANGSMITH_LICENSE_KEY` comes from: `Secret name/key`, or inline.
    pub license: Option<LicenseRef>,
    /// The Engine's destination, when it has one.
    pub engine: Option<(String, DecidedBy)>,
}

/// Where a container's license key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LicenseRef {
    /// `secretKeyRef`: the Secret and key.
    Secret(String, String),
    /// Written inline: the key itself.
    Inline(String, DecidedBy),
    /// Another kind of `valueFrom`.
    Other(DecidedBy),
}

/// What the manifests hold, for the report.
#[derive(Debug, Default)]
pub struct Manifests {
    /// The files, in order; a position's `source` indexes it.
    pub sources: Vec<Source>,
    /// Every container of every workload.
    pub containers: Vec<Container>,
    /// Errors (what Kubernetes refuses) and warnings found while reading.
    pub diagnostics: Vec<Diagnostic>,
    /// The chart versions the objects' `helm.sh/chart` labels name.
    pub charts: BTreeSet<String>,
    /// Every secret the manifests hold: inline secret variables, proxy
    /// credentials, the data of Secret objects. The output boundary hides them.
    pub secrets: Vec<Secret>,
}

/// A ConfigMap's data, each key with its position.
type ConfigMap = BTreeMap<String, (String, Pos)>;

/// Reads the manifest files (`-` is standard input).
pub fn load(files: &[PathBuf]) -> Result<Manifests> {
    let mut out = Manifests::default();
    let mut objects: Vec<Node> = Vec::new();
    for (source, path) in files.iter().enumerate() {
        let read = input::read(
            path,
            Named {
                what: "manifests file",
                fix: "check the path; `helm template` or `kubectl get deploy,sts,cm -o yaml` writes one",
                example: "manifests.yaml",
                limit: MAX_MANIFEST_BYTES,
            },
        )?;
        let name = read.name;
        let documents = yaml::parse(&read.bytes, source)
            .map_err(|e| refusal(&name, e))?
            .documents;
        out.sources.push(Source {
            file: Some(name),
            kind: SourceKind::Manifests,
        });
        for document in documents {
            flatten(document, &mut objects);
        }
    }
    for secret in objects
        .iter()
        .filter(|o| str_at(o, &["kind"]) == Some("Secret"))
    {
        out.secrets.extend(secret_data(secret));
    }
    let config_maps: BTreeMap<String, ConfigMap> = objects
        .iter()
        .filter(|o| str_at(o, &["kind"]) == Some("ConfigMap"))
        .filter_map(|o| Some((str_at(o, &["metadata", "name"])?.to_string(), data(o))))
        .collect();
    if !objects.iter().any(|o| {
        WORKLOAD_KINDS
            .iter()
            .any(|(k, _)| str_at(o, &["kind"]) == Some(*k))
    }) {
        return Err(Failure::input(format!(
            "no Deployment, StatefulSet, DaemonSet, Job or CronJob in {}",
            shown_files(&out.sources)
        ))
        .hint("give `helm template` output, or `kubectl get deploy,sts,cm -n NAMESPACE -o yaml`")
        .into());
    }
    let reader = Reader {
        sources: &out.sources,
        config_maps: &config_maps,
    };
    for object in &objects {
        let kind = str_at(object, &["kind"]).unwrap_or_default();
        let Some((_, spec_path)) = WORKLOAD_KINDS.iter().find(|(k, _)| *k == kind) else {
            continue;
        };
        let name = str_at(object, &["metadata", "name"]).unwrap_or("<unnamed>");
        if let Some(label) = str_at(object, &["metadata", "labels", "helm.sh/chart"]) {
            if let Some(version) = label.strip_prefix("langsmith-") {
                out.charts.insert(version.to_string());
            }
        }
        let Some(spec) = node_at(object, spec_path) else {
            continue;
        };
        for (list, init) in [("initContainers", true), ("containers", false)] {
            let Some(Value::Seq(containers)) = spec.entry(list).map(|e| &e.node.value) else {
                continue;
            };
            for container in containers {
                let container_name = str_at(container, &["name"]).unwrap_or("<unnamed>");
                let shown = format!(
                    "{kind}/{name}:{container_name}{}",
                    if init { " (init)" } else { "" }
                );
                let container = reader.container(
                    shown,
                    name,
                    container,
                    &mut out.diagnostics,
                    &mut out.secrets,
                );
                out.containers.push(container);
            }
        }
    }
    Ok(out)
}

/// Objects of a document: the document itself, or the items of a `List`.
fn flatten(document: Node, objects: &mut Vec<Node>) {
    if str_at(&document, &["kind"]).is_some_and(|k| k.ends_with("List")) {
        if let Some(Value::Seq(items)) = document.entry("items").map(|e| e.node.value.clone()) {
            for item in items {
                flatten(item, objects);
            }
        }
        return;
    }
    objects.push(document);
}

fn node_at<'n>(node: &'n Node, path: &[&str]) -> Option<&'n Node> {
    path.iter()
        .try_fold(node, |n, key| n.entry(key).map(|e| &e.node))
}

fn str_at<'n>(node: &'n Node, path: &[&str]) -> Option<&'n str> {
    match &node_at(node, path)?.value {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

/// A ConfigMap's `data`, values as text with their positions.
fn data(object: &Node) -> ConfigMap {
    let Some(Value::Map(entries)) = node_at(object, &["data"]).map(|n| &n.value) else {
        return ConfigMap::new();
    };
    entries
        .iter()
        .filter_map(|e| {
            let text = match &e.node.value {
                Value::Str(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Int(i) => i.to_string(),
                _ => return None,
            };
            Some((e.key.clone(), (text, e.key_pos)))
        })
        .collect()
}

/// The secrets of a Secret object: values whose key says secret
/// (`langsmith_license_key`, `*_password`, `*_salt`), and URL credentials in the
/// rest (a Secret also holds plain settings, such as a database name).
/// `stringData` is read as written, `data` decoded from base64.
fn secret_data(object: &Node) -> Vec<Secret> {
    use base64::Engine;
    let entries = |key: &str, decode: bool| -> Vec<(String, String)> {
        let Some(Value::Map(entries)) = node_at(object, &[key]).map(|n| &n.value) else {
            return Vec::new();
        };
        entries
            .iter()
            .filter_map(|e| {
                let Value::Str(text) = &e.node.value else {
                    return None;
                };
                let text = if decode {
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(text.trim())
                        .ok()?;
                    String::from_utf8(bytes).ok()?
                } else {
                    text.clone()
                };
                Some((e.key.clone(), text))
            })
            .collect()
    };
    let mut out = Vec::new();
    for (key, text) in entries("stringData", false)
        .into_iter()
        .chain(entries("data", true))
    {
        let text = text.trim();
        if secrets::is_secret_key(&key) || secrets::is_secret_env(&key) {
            out.push(Secret::new(text));
        }
        out.extend(
            resolve::proxy_secrets(text)
                .into_iter()
                .filter(|_| text.contains("://")),
        );
    }
    out
}

fn shown_files(sources: &[Source]) -> String {
    sources
        .iter()
        .filter_map(|s| s.file.as_deref())
        .map(|f| format!("`{f}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What resolving a container needs: the files, for positions, and the ConfigMaps.
struct Reader<'r> {
    sources: &'r [Source],
    config_maps: &'r BTreeMap<String, ConfigMap>,
}

impl Reader<'_> {
    fn decided(&self, key: String, pos: Pos, reason: String) -> DecidedBy {
        DecidedBy {
            key: Some(key),
            file: self.sources.get(pos.source).and_then(|s| s.file.clone()),
            line: pos.line(),
            reason,
        }
    }

    fn location(&self, pos: Pos) -> Location {
        Location::Values {
            file: self.sources.get(pos.source).and_then(|s| s.file.clone()),
            line: pos.line(),
            column: pos.line().map(|_| pos.col),
        }
    }

    /// One container's effective Beacon environment.
    fn container(
        &self,
        shown: String,
        object: &str,
        container: &Node,
        diagnostics: &mut Vec<Diagnostic>,
        found: &mut Vec<Secret>,
    ) -> Container {
        let mut env: BTreeMap<String, EnvDef> = BTreeMap::new();
        let mut unread: Vec<String> = Vec::new();
        // The chart marks the pods that run LangSmith code by the ConfigMap of
        // `BEACON_*` flags they get through `envFrom` (or by the license key);
        // a datastore that merely inherits `commonEnv` sends nothing to Beacon.
        let mut flagged = false;
        if let Some(Value::Seq(sources)) = container.entry("envFrom").map(|e| &e.node.value) {
            for source in sources {
                let prefix = str_at(source, &["prefix"]).unwrap_or_default();
                if let Some(name) = str_at(source, &["configMapRef", "name"]) {
                    match self.config_maps.get(name) {
                        Some(data) => {
                            for (key, (text, pos)) in data {
                                let var = format!("{prefix}{key}");
                                flagged |= var.starts_with("BEACON_");
                                let def = EnvDef {
                                    value: EnvVal::Text(text.clone()),
                                    decided: self.decided(
                                        format!("ConfigMap/{name} data.{key}"),
                                        *pos,
                                        format!(
                                            "`{var}={text:?}` from ConfigMap `{name}` (`envFrom`)"
                                        ),
                                    ),
                                };
                                env.insert(var, def);
                            }
                        }
                        None => {
                            unread.push(format!("ConfigMap `{name}` (`envFrom`, not in the input)"))
                        }
                    }
                } else if let Some(name) = str_at(source, &["secretRef", "name"]) {
                    unread.push(format!("Secret `{name}` (`envFrom`)"));
                }
            }
        }
        let mut license = None;
        let mut engine = None;
        let mut names: BTreeMap<String, usize> = BTreeMap::new();
        if let Some(Value::Seq(entries)) = container.entry("env").map(|e| &e.node.value) {
            for (index, entry) in entries.iter().enumerate() {
                let Some(name) = str_at(entry, &["name"]) else {
                    continue;
                };
                let count = names.entry(name.to_string()).or_insert(0);
                *count += 1;
                if *count == 2 {
                    diagnostics.push(
                        Diagnostic::warning(
                            "duplicate-env",
                            format!("`{shown}` sets `{name}` twice in `env`: Kubernetes uses the last one"),
                        )
                        .at(self.location(entry.pos))
                        .hint(format!("keep one `{name}` entry")),
                    );
                }
                let key = format!("{shown} env[{index}]");
                let def = self.entry(&key, name, entry, &shown, diagnostics);
                if name == "LANGSMITH_LICENSE_KEY" {
                    license = Some(
                        match (
                            str_at(entry, &["valueFrom", "secretKeyRef", "name"]),
                            str_at(entry, &["valueFrom", "secretKeyRef", "key"]),
                            def.text(),
                        ) {
                            (Some(secret), Some(k), _) => {
                                LicenseRef::Secret(secret.to_string(), k.to_string())
                            }
                            (_, _, Some(text)) => {
                                LicenseRef::Inline(text.to_string(), def.decided.clone())
                            }
                            _ => LicenseRef::Other(def.decided.clone()),
                        },
                    );
                }
                if matches!(
                    name,
                    "SMITH_INTELLIGENCE_ENDPOINT" | "ENGINE_INTELLIGENCE_BASE_URL"
                ) {
                    if let Some(text) = def.text() {
                        engine = Some((text.to_string(), def.decided.clone()));
                    }
                }
                env.insert(name.to_string(), def);
            }
        }
        let license_held = license.is_some() || env.contains_key("LANGSMITH_LICENSE_KEY");
        for (name, def) in &env {
            match def.text() {
                Some(text) if secrets::is_secret_env(name) && text.len() >= 4 => {
                    found.push(Secret::new(text));
                }
                Some(text) if tracked(name) => found.extend(resolve::proxy_secrets(text)),
                _ => {}
            }
        }
        env.retain(|name, _| tracked(name));
        let beacon = license_held || flagged || !unread.is_empty();
        Container {
            name: shown,
            pod: PodEnv {
                pods: vec![object.to_string()],
                license: license_held,
                env,
                unread: (!unread.is_empty()).then(|| unread.join(", ")),
            },
            beacon,
            license,
            engine,
        }
    }

    /// One `env` entry: a value, a ConfigMap key resolved from the input, or unknown.
    fn entry(
        &self,
        key: &str,
        name: &str,
        entry: &Node,
        shown: &str,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> EnvDef {
        let pos = entry.entry("value").map_or(entry.pos, |e| e.key_pos);
        if let Some(value) = entry.entry("value") {
            let (value, text) = match &value.node.value {
                Value::Str(s) => (EnvVal::Text(s.clone()), s.clone()),
                Value::Null => (EnvVal::Text(String::new()), String::new()),
                other => {
                    let text = match other {
                        Value::Bool(b) => b.to_string(),
                        Value::Int(i) => i.to_string(),
                        Value::Float(f) => f.to_string(),
                        _ => other.kind().to_string(),
                    };
                    diagnostics.push(Diagnostic {
                        severity: Severity::Error,
                        code: "env-value-not-string",
                        message: format!("`{shown}` `{name}` has a non-string value: Kubernetes refuses it, since env values must be strings"),
                        location: self.location(pos),
                        hint: Some("quote the value in the values file it comes from".to_string()),
                    });
                    (EnvVal::NotString(text.clone()), text)
                }
            };
            return EnvDef {
                value,
                decided: self.decided(
                    key.to_string(),
                    pos,
                    format!("`{name}={text:?}` in the container's `env`"),
                ),
            };
        }
        let from = entry.entry("valueFrom").map(|e| &e.node);
        if let (Some(cm), Some(k)) = (
            from.and_then(|f| str_at(f, &["configMapKeyRef", "name"])),
            from.and_then(|f| str_at(f, &["configMapKeyRef", "key"])),
        ) {
            if let Some((text, at)) = self.config_maps.get(cm).and_then(|d| d.get(k)) {
                return EnvDef {
                    value: EnvVal::Text(text.clone()),
                    decided: self.decided(
                        format!("ConfigMap/{cm} data.{k}"),
                        *at,
                        format!("`{name}={text:?}` from ConfigMap `{cm}` key `{k}`"),
                    ),
                };
            }
            return EnvDef {
                value: EnvVal::Unknown,
                decided: self.decided(
                    key.to_string(),
                    pos,
                    format!("`{name}` from ConfigMap `{cm}` key `{k}`, which is not in the input"),
                ),
            };
        }
        EnvDef {
            value: EnvVal::Unknown,
            decided: self.decided(
                key.to_string(),
                pos,
                format!("`{name}` from `valueFrom`: the value is not in the manifests"),
            ),
        }
    }
}
/// A manifests file the YAML reader refuses, as one line naming the file, line and
/// column.
fn refusal(name: &str, e: SyntaxError) -> Failure {
    let at = format!("`{name}`:{}:{}", e.line, e.col);
    let fix = "give the output of `helm template` or `kubectl get deploy,sts,cm -o yaml`";
    match e.kind {
        ErrorKind::NotUtf8 => {
            Failure::input(format!("{at}: not UTF-8 text, so not Kubernetes manifests")).hint(fix)
        }
        ErrorKind::TopLevel => Failure::input(format!(
            "{at}: a manifest is a Kubernetes object (a mapping with `kind:`), found {}",
            e.message
        ))
        .hint(fix),
        _ => Failure::input(format!("{at}: invalid YAML: {}", e.message)).hint(match e.hint {
            Some(hint) => hint.to_string(),
            None => format!(
                "fix the YAML at line {}, column {} of `{name}`",
                e.line, e.col
            ),
        }),
    }
}
