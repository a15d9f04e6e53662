//! The values in force: which files were read, in which order, and what they say.
//!
//! Values are layered as Helm layers them: the chart's defaults, then each `-f`
//! file in order (maps deep-merged, the later file wins, a list replaces the
//! earlier list whole, `null` deletes the key), then every `--set`, then every
//! `--set-string`, each written into the merged values in place as Helm's
//! `strvals` does. Each value keeps the position it was written at.

pub mod set;
pub mod yaml;

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::Serialize;

use crate::error::Failure;
use crate::secrets::{self, Secret};
pub use yaml::{Entry, Node, Pos, Value};

/// The chart defaults for the keys beacon-cli reads.
const CHART_DEFAULTS: &str = include_str!("chart_defaults.yaml");
/// The chart version those defaults come from.
pub const CHART_VERSION: &str = "0.17.0-rc.12";
/// Values files larger than this are refused: a real one is a few hundred kilobytes.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// The file read when no `-f` is given and `$LANGSMITH_CONFIG` is unset.
pub const CWD_FILE: &str = "langsmith_config.yaml";

/// How a source of values was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// A file named with `-f`.
    File,
    /// Standard input, `-f -`.
    Stdin,
    /// The file named by `$LANGSMITH_CONFIG`.
    Env,
    /// `./langsmith_config.yaml`, found in the working directory.
    Cwd,
    /// The chart's defaults, built into beacon-cli.
    ChartDefaults,
    /// A `--set` or `--set-string` flag.
    Set,
    /// A file of rendered manifests, `--manifests`.
    Manifests,
}

/// One layer of values.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    /// The file as named (`-` is shown as `<stdin>`), or the flag and its keys
    /// (`--set config.telemetry.metrics`); null for the chart defaults.
    pub file: Option<String>,
    /// How it was chosen.
    pub kind: SourceKind,
}

/// Something about the files themselves worth a warning.
#[derive(Debug, Clone)]
pub enum LoadNote {
    /// A key written twice in one mapping; the later one wins.
    DuplicateKey { path: String, pos: Pos },
    /// A file with more than one YAML document; Helm reads the first.
    IgnoredDocuments { source: usize, count: usize },
}

/// The merged values with their provenance.
#[derive(Debug)]
pub struct Values {
    /// Every layer, in the order applied; index 0 is the chart defaults.
    pub sources: Vec<Source>,
    /// The merged tree, always a mapping.
    pub root: Node,
    /// Duplicate keys and ignored documents found while reading.
    pub notes: Vec<LoadNote>,
}

/// What the user asked for on the command line, and what the environment says.
#[derive(Debug, Default)]
pub struct LoadOptions {
    /// `-f` arguments in order; `-` is standard input.
    pub files: Vec<PathBuf>,
    /// `--set` expressions in order.
    pub set: Vec<String>,
    /// `--set-string` expressions in order.
    pub set_string: Vec<String>,
    /// `$LANGSMITH_CONFIG`, when set and looked at.
    pub env_config: Option<PathBuf>,
    /// The directory searched for `langsmith_config.yaml`, when it is looked for.
    pub cwd: Option<PathBuf>,
}

/// A looked-up value with the position of the key that holds it.
#[derive(Debug, Clone, Copy)]
pub struct Found<'a> {
    /// The value.
    pub node: &'a Node,
    /// Where its key was written (the line to point at).
    pub key_pos: Pos,
}

impl Values {
    /// Reads and merges every layer the options name.
    pub fn load(options: &LoadOptions) -> Result<Values> {
        let mut values = Values {
            sources: vec![Source {
                file: None,
                kind: SourceKind::ChartDefaults,
            }],
            root: yaml::parse(CHART_DEFAULTS, 0)
                .map(|doc| doc.root)
                .map_err(|e| anyhow::anyhow!("built-in chart defaults: {}", e.message))?,
            notes: Vec::new(),
        };
        let mut stdin_used = false;
        for (path, kind) in chosen_files(options) {
            if path.as_os_str() == "-" {
                if stdin_used {
                    return Err(Failure::input("`-f -` is given twice")
                        .hint("standard input can be read only once; save it to a file for the second use")
                        .into());
                }
                stdin_used = true;
            }
            let (name, text) = read_file(&path, kind)?;
            values.add_file(name, kind, &text)?;
        }
        values.apply_sets(&options.set, true)?;
        values.apply_sets(&options.set_string, false)?;
        Ok(values)
    }

    fn add_file(&mut self, name: String, kind: SourceKind, text: &str) -> Result<()> {
        let source = self.sources.len();
        let doc = yaml::parse(text, source).map_err(|e| {
            Failure::input(format!(
                "`{name}`:{}:{}: invalid YAML: {}",
                e.line, e.col, e.message
            ))
            .hint(format!(
                "fix the YAML at line {}, column {} of `{name}`; Helm would refuse this file too",
                e.line, e.col
            ))
        })?;
        let root = match doc.root.value {
            Value::Map(_) => doc.root,
            // An empty file is an empty set of values, as in Helm.
            Value::Null => Node {
                value: Value::Map(Vec::new()),
                pos: doc.root.pos,
            },
            ref other => {
                return Err(Failure::input(format!(
                    "`{name}`:{}:{}: the top level of a values file must be a mapping (`key: value`), found {}",
                    doc.root.pos.line,
                    doc.root.pos.col,
                    other.kind()
                ))
                .hint("a values file starts with keys such as `config:`; see `helm show values langsmith/langsmith`")
                .into());
            }
        };
        self.sources.push(Source {
            file: Some(name),
            kind,
        });
        self.notes.extend(
            doc.duplicate_keys
                .into_iter()
                .map(|(path, pos)| LoadNote::DuplicateKey { path, pos }),
        );
        if doc.ignored_documents > 0 {
            self.notes.push(LoadNote::IgnoredDocuments {
                source,
                count: doc.ignored_documents,
            });
        }
        merge(&mut self.root, root);
        Ok(())
    }

    fn apply_sets(&mut self, exprs: &[String], typed: bool) -> Result<()> {
        let flag = if typed { "--set" } else { "--set-string" };
        // Helm parses each --set into the merged values in place (strvals.ParseInto),
        // so `--set list[0].x=1` changes the first item of the file's list and keeps
        // the others; it does not replace the list as a later file would.
        for expr in exprs {
            let source = self.sources.len();
            set::apply(&mut self.root, expr, typed, source).map_err(|msg| {
                Failure::input(format!("invalid `{flag}`: {msg}")).hint(format!(
                    "write `{flag} KEY=VALUE`, for example `{flag} config.telemetry.metrics=false`"
                ))
            })?;
            self.sources.push(Source {
                file: Some(format!("{flag} {}", set::keys_of(expr))),
                kind: SourceKind::Set,
            });
        }
        Ok(())
    }

    /// The value at a dotted path of mapping keys, if every key is there.
    pub fn get(&self, path: &[&str]) -> Option<Found<'_>> {
        let mut node = &self.root;
        let mut key_pos = self.root.pos;
        for key in path {
            let entry = node.entry(key)?;
            node = &entry.node;
            key_pos = entry.key_pos;
        }
        Some(Found { node, key_pos })
    }

    /// The file name of a source, or `None` for the chart defaults.
    pub fn file_of(&self, pos: Pos) -> Option<&str> {
        self.sources.get(pos.source)?.file.as_deref()
    }

    /// True when a position lies in the built-in chart defaults.
    pub fn is_chart_default(&self, pos: Pos) -> bool {
        pos.source == 0
    }

    /// Every secret the values hold, for the output boundary to hide: strings
    /// under keys that name a secret (`langsmithLicenseKey`, `*Password`,
    /// `*Secret`, ...), values of `{name, value}` env entries whose name says
    /// secret, and the credentials of URLs and proxy addresses. The chart's own
    /// defaults hold none.
    pub fn secrets(&self) -> Vec<Secret> {
        let mut out = Vec::new();
        collect_secrets(&self.root, Holds::Plain, &mut out);
        out
    }
}

/// Shorter strings are not treated as secrets: they would hide ordinary words.
const MIN_SECRET_LEN: usize = 4;

/// What a string found while collecting secrets is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holds {
    /// Nothing secret, unless it is a URL with credentials.
    Plain,
    /// A proxy address: its credentials are secret, with or without a scheme.
    Proxy,
    /// A secret, whole.
    Secret,
}

fn collect_secrets(node: &Node, holds: Holds, out: &mut Vec<Secret>) {
    match &node.value {
        Value::Str(text) if node.pos.source != 0 => {
            if holds == Holds::Secret && text.trim().len() >= MIN_SECRET_LEN {
                out.push(Secret::new(text.trim()));
                if text.trim() != text {
                    out.push(Secret::new(text.as_str()));
                }
            }
            if holds != Holds::Plain || text.contains("://") {
                out.extend(crate::resolve::proxy_secrets(text));
            }
        }
        Value::Seq(items) => {
            for item in items {
                collect_secrets(item, holds, out);
            }
        }
        Value::Map(entries) => {
            // A Kubernetes env entry `{name, value}`: the name says what the value holds.
            let named = node.entry("name").map(|e| match &e.node.value {
                Value::Str(name) => env_holds(name),
                _ => Holds::Plain,
            });
            for entry in entries {
                let inner = if holds == Holds::Secret || secrets::is_secret_key(&entry.key) {
                    Holds::Secret
                } else if let (Some(named), "value") = (named, entry.key.as_str()) {
                    named
                } else if entry
                    .key
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b == b'_')
                {
                    // A variable written as a mapping key (a map-shaped `commonEnv`).
                    env_holds(&entry.key)
                } else {
                    Holds::Plain
                };
                collect_secrets(&entry.node, inner, out);
            }
        }
        _ => {}
    }
}

/// What the value of an environment variable of this name holds.
fn env_holds(name: &str) -> Holds {
    if secrets::is_secret_env(name) {
        Holds::Secret
    } else if name.to_ascii_uppercase().ends_with("_PROXY")
        || name.eq_ignore_ascii_case("BEACON_ENDPOINT")
    {
        Holds::Proxy
    } else {
        Holds::Plain
    }
}

/// Which files to read: the `-f` files, else `$LANGSMITH_CONFIG`, else
/// `./langsmith_config.yaml` if it exists, else none (the chart defaults alone).
fn chosen_files(options: &LoadOptions) -> Vec<(PathBuf, SourceKind)> {
    if !options.files.is_empty() {
        return options
            .files
            .iter()
            .map(|p| {
                let kind = if p.as_os_str() == "-" {
                    SourceKind::Stdin
                } else {
                    SourceKind::File
                };
                (p.clone(), kind)
            })
            .collect();
    }
    if let Some(path) = &options.env_config {
        return vec![(path.clone(), SourceKind::Env)];
    }
    match &options.cwd {
        Some(cwd) if cwd.join(CWD_FILE).is_file() => {
            vec![(PathBuf::from(CWD_FILE), SourceKind::Cwd)]
        }
        _ => Vec::new(),
    }
}

/// A values file's name and text.
fn read_file(path: &Path, kind: SourceKind) -> Result<(String, String)> {
    let what = if kind == SourceKind::Env {
        "values file (named by $LANGSMITH_CONFIG)"
    } else {
        "values file"
    };
    let input = crate::input::read(
        path,
        crate::input::Named {
            what,
            fix: "check the path; `helm get values RELEASE -o yaml | beacon-cli show-config -f -` reads the values in force",
            example: CWD_FILE,
            limit: MAX_FILE_BYTES,
        },
    )?;
    let text = into_text(input.bytes, &format!("`{}`", input.name))?;
    Ok((input.name, text))
}

/// The text of a values file. A leading byte-order mark (Windows editors write
/// one) is dropped, as Helm's YAML reader drops it: kept, it would become part of
/// the first key, and `config:` would silently not be `config`.
fn into_text(bytes: Vec<u8>, shown: &str) -> Result<String> {
    let bytes = match bytes.strip_prefix("\u{feff}".as_bytes()) {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    String::from_utf8(bytes).map_err(|e| {
        let before = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
        Failure::input(format!("{shown}:{line}:{col}: not UTF-8 text"))
            .hint("values files are UTF-8 YAML; re-save the file as UTF-8")
            .into()
    })
}

/// Helm's merge of one values layer over another: mappings merge key by key,
/// anything else (lists included) replaces, and `null` stays as a deletion marker
/// so the report can say which line deleted a key.
pub fn merge(base: &mut Node, overlay: Node) {
    match (&mut base.value, overlay.value) {
        (Value::Map(base_entries), Value::Map(overlay_entries)) => {
            for entry in overlay_entries {
                match base_entries.iter_mut().find(|e| e.key == entry.key) {
                    Some(existing) => {
                        existing.key_pos = entry.key_pos;
                        merge(&mut existing.node, entry.node);
                    }
                    None => base_entries.push(entry),
                }
            }
        }
        (_, value) => {
            *base = Node {
                value,
                pos: overlay.pos,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(text: &str, source: usize) -> Node {
        yaml::parse(text, source).unwrap().root
    }

    #[test]
    fn maps_merge_lists_replace_later_wins_null_deletes() {
        let mut base = node("a:\n  x: 1\n  y: 2\nlist: [1, 2, 3]\nkeep: k\ngone: g\n", 1);
        merge(
            &mut base,
            node("a:\n  y: 20\n  z: 30\nlist: [9]\ngone: null\n", 2),
        );
        let a = &base.entry("a").unwrap().node;
        assert_eq!(a.entry("x").unwrap().node.value, Value::Int(1));
        assert_eq!(a.entry("y").unwrap().node.value, Value::Int(20));
        assert_eq!(a.entry("y").unwrap().key_pos.source, 2);
        assert_eq!(a.entry("z").unwrap().node.value, Value::Int(30));
        let Value::Seq(list) = &base.entry("list").unwrap().node.value else {
            panic!("list")
        };
        assert_eq!(list.len(), 1);
        assert_eq!(
            base.entry("keep").unwrap().node.value,
            Value::Str("k".into())
        );
        let gone = base.entry("gone").unwrap();
        assert_eq!(gone.node.value, Value::Null);
        assert_eq!(gone.key_pos.source, 2);
    }

    #[test]
    fn no_files_means_chart_defaults() {
        let values = Values::load(&LoadOptions::default()).unwrap();
        assert_eq!(values.sources.len(), 1);
        assert_eq!(values.sources[0].kind, SourceKind::ChartDefaults);
        let metrics = values.get(&["config", "telemetry", "metrics"]).unwrap();
        assert_eq!(metrics.node.value, Value::Bool(true));
        assert!(values.is_chart_default(metrics.key_pos));
        assert!(values.secrets().is_empty());
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_key() {
        let text = into_text(
            "\u{feff}config:\n  telemetry:\n    metrics: false\n".into(),
            "`v.yaml`",
        )
        .unwrap();
        let mut values = Values::load(&LoadOptions::default()).unwrap();
        values
            .add_file("v.yaml".into(), SourceKind::File, &text)
            .unwrap();
        let metrics = values.get(&["config", "telemetry", "metrics"]).unwrap();
        assert_eq!(metrics.node.value, Value::Bool(false));
        assert_eq!((metrics.key_pos.line, metrics.key_pos.col), (3, 5));
    }

    #[test]
    fn secrets_are_found_by_key_env_name_and_url_credentials() {
        let mut values = Values::load(&LoadOptions::default()).unwrap();
        values
            .add_file(
                "v.yaml".into(),
                SourceKind::File,
                "config:\n  langsmithLicenseKey: lic-1234\n  existingSecretName: my-secret\n  basicAuth:\n    initialOrgAdminPassword: pw-5678\ncommonEnv:\n  - name: HTTPS_PROXY\n    value: bob:hunter2@proxy:3128\n  - name: DB_PASSWORD\n    value: dbpw-90\n  - name: BEACON_ENDPOINT\n    value: https://u:endpw@gw.corp\n  - name: NO_PROXY\n    value: localhost\n",
            )
            .unwrap();
        let mut found: Vec<String> = values
            .secrets()
            .iter()
            .map(|s| s.expose().to_string())
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                "bob:hunter2",
                "dbpw-90",
                "endpw",
                "hunter2",
                "lic-1234",
                "pw-5678",
                "u:endpw"
            ]
        );
    }
}
