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

impl Source {
    /// The layer in words: `prod.yaml`, `x.yaml (from $LANGSMITH_CONFIG)`,
    /// `the chart's defaults`.
    pub fn describe(&self) -> String {
        let Some(name) = self.file.as_deref() else {
            return "the chart's defaults".to_string();
        };
        match self.kind {
            SourceKind::Env => format!("{name} (from $LANGSMITH_CONFIG)"),
            SourceKind::Cwd => format!("{name} (found in the current directory)"),
            _ => name.to_string(),
        }
    }
}

/// Something about the files themselves worth a warning.
#[derive(Debug, Clone)]
pub enum LoadNote {
    /// A key written twice in one mapping; the later one wins.
    DuplicateKey { path: String, pos: Pos },
    /// A key written above a `<<` merge key that brings it too: Helm applies the merge
    /// in order, so the merged value wins.
    MergeOverridesKey { path: String, pos: Pos, merge: Pos },
    /// A file with more than one YAML document holding values; Helm merges them in
    /// order, later documents winning.
    SeveralDocuments { source: usize, count: usize },
    /// A file that holds no values: empty, only comments, or `null`.
    EmptyValues { source: usize },
    /// A file whose top level is a Kubernetes manifest (`apiVersion` and `kind`, or a
    /// `kind: List` with `items`), not chart values; `pos` is its `kind` key.
    ManifestAsValues { source: usize, pos: Pos },
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
    /// Start from no values instead of the chart's defaults: the values Helm computes
    /// for a chart without a `values.yaml` (what the Helm oracle tests compare with).
    pub without_chart_defaults: bool,
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
        let root = if options.without_chart_defaults {
            Node {
                value: Value::Map(Vec::new()),
                pos: Pos::flag(0),
            }
        } else {
            yaml::parse(CHART_DEFAULTS.as_bytes(), 0)
                .ok()
                .and_then(|parsed| parsed.documents.into_iter().next())
                .ok_or_else(|| anyhow::anyhow!("built-in chart defaults are not a mapping"))?
        };
        let mut values = Values {
            sources: vec![Source {
                file: None,
                kind: SourceKind::ChartDefaults,
            }],
            root,
            notes: Vec::new(),
        };
        let chosen = chosen_files(options);
        if chosen
            .iter()
            .filter(|(path, _)| path.as_os_str() == "-")
            .count()
            > 1
        {
            return Err(Failure::input("`-f -` is given twice")
                .hint("standard input can be read only once; save it to a file for the second use")
                .into());
        }
        for (path, kind) in chosen {
            let (name, bytes) = read_file(&path, kind)?;
            values.add_file(name, kind, &bytes)?;
        }
        // One budget of list items for every --set and --set-string together.
        let mut created = 0;
        values.apply_sets(&options.set, true, &mut created)?;
        values.apply_sets(&options.set_string, false, &mut created)?;
        Ok(values)
    }

    fn add_file(&mut self, name: String, kind: SourceKind, bytes: &[u8]) -> Result<()> {
        if kind == SourceKind::Stdin && bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(Failure::input("standard input (`-f -`) is empty: there are no values to read")
                .hint("the command that feeds it probably failed (for example `helm get values RELEASE -o yaml`): run it alone to see its error, or save the values to a file and pass `-f FILE`")
                .into());
        }
        let source = self.sources.len();
        let parsed = yaml::parse(bytes, source).map_err(|e| refusal(&name, e))?;
        self.sources.push(Source {
            file: Some(name),
            kind,
        });
        self.notes.extend(
            parsed
                .duplicate_keys
                .into_iter()
                .map(|(path, pos)| LoadNote::DuplicateKey { path, pos }),
        );
        self.notes.extend(
            parsed
                .merge_overrides
                .into_iter()
                .map(|(path, pos, merge)| LoadNote::MergeOverridesKey { path, pos, merge }),
        );
        let count = parsed.documents.len();
        if count > 1 {
            self.notes
                .push(LoadNote::SeveralDocuments { source, count });
        }
        if let Some(pos) = parsed.documents.iter().find_map(manifest_kind) {
            self.notes.push(LoadNote::ManifestAsValues { source, pos });
        }
        // Helm merges the documents of one file first (later wins), then the file over
        // the earlier layers.
        let mut documents = parsed.documents.into_iter();
        let Some(mut file) = documents.next() else {
            self.notes.push(LoadNote::EmptyValues { source });
            return Ok(());
        };
        for document in documents {
            merge(&mut file, document);
        }
        merge(&mut self.root, file);
        Ok(())
    }

    fn apply_sets(&mut self, exprs: &[String], typed: bool, created: &mut usize) -> Result<()> {
        let flag = if typed { "--set" } else { "--set-string" };
        // Helm parses each --set into the merged values in place (strvals.ParseInto),
        // so `--set list[0].x=1` changes the first item of the file's list and keeps
        // the others; it does not replace the list as a later file would.
        for expr in exprs {
            let source = self.sources.len();
            set::apply_counted(&mut self.root, expr, typed, source, created).map_err(|msg| {
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

    /// The merged values as JSON, as Helm's `toJson` prints `.Values` (integers exact).
    pub fn to_json(&self) -> serde_json::Value {
        self.root.to_json()
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

/// A values file's name and bytes.
fn read_file(path: &Path, kind: SourceKind) -> Result<(String, Vec<u8>)> {
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
    Ok((input.name, input.bytes))
}

/// A file the reader refuses, as a failure naming the file, line and column.
fn refusal(name: &str, e: yaml::SyntaxError) -> anyhow::Error {
    let (line, col) = (e.line, e.col);
    let at = format!("`{name}`:{line}:{col}");
    let failure = match e.kind {
        yaml::ErrorKind::Invalid => {
            Failure::input(format!("{at}: invalid YAML: {}", e.message)).hint(match e.hint {
                Some(hint) => format!("{hint}; Helm refuses this file too"),
                None => format!(
                    "fix the YAML at line {line}, column {col} of `{name}`; Helm would refuse this file too"
                ),
            })
        }
        yaml::ErrorKind::NotUtf8 => Failure::input(format!("{at}: not UTF-8 text"))
            .hint("values files are UTF-8 YAML; re-save the file as UTF-8"),
        yaml::ErrorKind::TopLevel => Failure::input(format!(
            "{at}: the top level of a values file must be a mapping (`key: value`), found {}",
            e.message
        ))
        .hint("a values file starts with keys such as `config:`; see `helm show values langsmith/langsmith`"),
        yaml::ErrorKind::Limit => Failure::input(format!("{at}: {}", e.message)).hint(
            "real values files are far smaller and shallower: check that this is the right file (the limits are listed in the README)",
        ),
    };
    failure.into()
}

/// The position of the `kind` key when a document is a Kubernetes manifest: `apiVersion`
/// and `kind` at the top level, or a `kind: List` with `items`.
fn manifest_kind(document: &Node) -> Option<Pos> {
    let kind = document.entry("kind")?;
    let list = matches!(&kind.node.value, Value::Str(k) if k == "List")
        && document.entry("items").is_some();
    (document.entry("apiVersion").is_some() || list).then_some(kind.key_pos)
}

/// Mappings of up to this many keys together are merged by a linear search, larger ones
/// through an index.
const SMALL_MERGE: usize = 16;

/// Helm's merge of one values layer over another: mappings merge key by key,
/// anything else (lists included) replaces, and `null` stays as a deletion marker
/// so the report can say which line deleted a key. Linear in the size of both
/// mappings: keys are looked up through an index.
pub fn merge(base: &mut Node, overlay: Node) {
    match (&mut base.value, overlay.value) {
        (Value::Map(base_entries), Value::Map(overlay_entries))
            if base_entries.len() + overlay_entries.len() <= SMALL_MERGE =>
        {
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
        (Value::Map(base_entries), Value::Map(overlay_entries)) => {
            let index: std::collections::HashMap<&str, usize> = base_entries
                .iter()
                .enumerate()
                .map(|(i, e)| (e.key.as_str(), i))
                .collect();
            let found: Vec<Option<usize>> = overlay_entries
                .iter()
                .map(|e| index.get(e.key.as_str()).copied())
                .collect();
            drop(index);
            for (entry, found) in overlay_entries.into_iter().zip(found) {
                match found {
                    Some(i) => {
                        let existing = &mut base_entries[i];
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
        yaml::parse(text.as_bytes(), source)
            .unwrap()
            .documents
            .remove(0)
    }

    #[test]
    fn maps_merge_lists_replace_later_wins_null_deletes() {
        let mut base = node("a:\n  p: 1\n  q: 2\nlist: [1, 2, 3]\nkeep: k\ngone: g\n", 1);
        merge(
            &mut base,
            node("a:\n  q: 20\n  r: 30\nlist: [9]\ngone: null\n", 2),
        );
        let a = &base.entry("a").unwrap().node;
        assert_eq!(a.entry("p").unwrap().node.value, Value::Int(1));
        assert_eq!(a.entry("q").unwrap().node.value, Value::Int(20));
        assert_eq!(a.entry("q").unwrap().key_pos.source, 2);
        assert_eq!(a.entry("r").unwrap().node.value, Value::Int(30));
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
        let mut values = Values::load(&LoadOptions::default()).unwrap();
        values
            .add_file(
                "v.yaml".into(),
                SourceKind::File,
                "\u{feff}config:\n  telemetry:\n    metrics: false\n".as_bytes(),
            )
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
                b"config:\n  langsmithLicenseKey: lic-1234\n  existingSecretName: my-secret\n  basicAuth:\n    initialOrgAdminPassword: pw-5678\ncommonEnv:\n  - name: HTTPS_PROXY\n    value: bob:hunter2@proxy:3128\n  - name: DB_PASSWORD\n    value: dbpw-90\n  - name: BEACON_ENDPOINT\n    value: https://u:endpw@gw.corp\n  - name: NO_PROXY\n    value: localhost\n",
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
