//! A YAML reader that remembers where every value was written.
//!
//! Helm reads values files with go-yaml v2 rules (YAML 1.1 scalars: `on`, `yes` and
//! `off` are booleans). serde_yaml follows YAML 1.2 and forgets positions, so values
//! files are read here from yaml-rust2's marked events into a [`Node`] tree whose
//! every value and key knows its source, line and column. That is what lets
//! `show-config` say which line of which file decided an endpoint.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Where a value or key was written: a source (an index into the list of sources)
/// and a 1-based line and column. Line 0 means "no line" (a `--set` flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pos {
    /// Index of the source in [`crate::config::Values::sources`].
    pub source: usize,
    /// 1-based line, 0 when the source has no lines.
    pub line: u32,
    /// 1-based column, 0 when the source has no lines.
    pub col: u32,
}

impl Pos {
    /// A position without a line, for values given on the command line.
    pub fn flag(source: usize) -> Self {
        Self {
            source,
            line: 0,
            col: 0,
        }
    }

    /// The line, when the source has lines.
    pub fn line(self) -> Option<u32> {
        (self.line > 0).then_some(self.line)
    }
}

/// A value with the place it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where the value starts.
    pub pos: Pos,
}

/// A YAML value, typed as Helm types it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`, `~` or nothing. In a values file it deletes the key (Helm's rule).
    Null,
    /// `true`/`false`, and YAML 1.1's `yes`/`no`/`on`/`off`/`y`/`n`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string: quoted, a block scalar, or a plain scalar that is nothing else.
    Str(String),
    /// A list.
    Seq(Vec<Node>),
    /// A mapping, in the order written.
    Map(Vec<Entry>),
}

/// One `key: value` of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key, as text (Helm turns every key into a string).
    pub key: String,
    /// Where the key is written: the line an operator looks for.
    pub key_pos: Pos,
    /// The value.
    pub node: Node,
}

impl Value {
    /// The kind of value, for messages ("a list", "a boolean").
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl Node {
    /// The entry for `key` when this node is a mapping.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }
}

/// A parsed values file.
#[derive(Debug)]
pub struct Document {
    /// The first document of the file (Helm reads only the first); `Null` when empty.
    pub root: Node,
    /// How many further `---` documents were ignored.
    pub ignored_documents: usize,
    /// Keys written twice in one mapping: the dotted path and the position of the
    /// later one, which wins.
    pub duplicate_keys: Vec<(String, Pos)>,
}

/// A syntax error with its 1-based position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
    /// What is wrong, without quoting the file (it may hold secrets).
    pub message: String,
}

/// Nesting deeper than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 256;
/// More values than this (aliases can multiply a small file) is refused.
const MAX_NODES: usize = 5_000_000;

/// Parses YAML text into a [`Document`], positions pointing at `source`.
pub fn parse(text: &str, source: usize) -> Result<Document, SyntaxError> {
    let mut builder = Builder::new(text, source);
    builder.document()
}

/// Parses every document of a YAML stream (rendered manifests: `helm template`
/// output, `kubectl get -o yaml`), positions pointing at `source`. Empty documents
/// are left out.
pub fn parse_all(text: &str, source: usize) -> Result<Vec<Node>, SyntaxError> {
    let mut builder = Builder::new(text, source);
    let mut documents = Vec::new();
    loop {
        let (event, _) = builder.next()?;
        match event {
            Event::StreamEnd => break,
            Event::DocumentStart => {
                let (event, mark) = builder.next()?;
                let node = builder.node(event, mark, 0)?;
                if node.value != Value::Null {
                    documents.push(node);
                }
            }
            _ => {}
        }
    }
    Ok(documents)
}

struct Builder<'a> {
    parser: Parser<std::str::Chars<'a>>,
    source: usize,
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    path: Vec<String>,
    duplicate_keys: Vec<(String, Pos)>,
}

impl<'a> Builder<'a> {
    fn new(text: &'a str, source: usize) -> Self {
        Self {
            parser: Parser::new_from_str(text),
            source,
            anchors: HashMap::new(),
            nodes: 0,
            path: Vec::new(),
            duplicate_keys: Vec::new(),
        }
    }

    fn next(&mut self) -> Result<(Event, Marker), SyntaxError> {
        self.parser.next_token().map_err(|e| SyntaxError {
            line: to_u32(e.marker().line()),
            col: to_u32(e.marker().col()) + 1,
            message: e.info().to_string(),
        })
    }

    fn pos(&self, mark: Marker) -> Pos {
        Pos {
            source: self.source,
            line: to_u32(mark.line()),
            col: to_u32(mark.col()) + 1,
        }
    }

    fn error(&self, mark: Marker, message: impl Into<String>) -> SyntaxError {
        let pos = self.pos(mark);
        SyntaxError {
            line: pos.line,
            col: pos.col,
            message: message.into(),
        }
    }

    fn document(&mut self) -> Result<Document, SyntaxError> {
        let mut root = None;
        let mut documents = 0usize;
        loop {
            let (event, _) = self.next()?;
            match event {
                Event::StreamEnd => break,
                Event::DocumentStart => {
                    documents += 1;
                    let (event, mark) = self.next()?;
                    let node = self.node(event, mark, 0)?;
                    if root.is_none() {
                        root = Some(node);
                    }
                }
                _ => {}
            }
        }
        Ok(Document {
            root: root.unwrap_or(Node {
                value: Value::Null,
                pos: Pos {
                    source: self.source,
                    line: 1,
                    col: 1,
                },
            }),
            ignored_documents: documents.saturating_sub(1),
            duplicate_keys: std::mem::take(&mut self.duplicate_keys),
        })
    }

    fn count(&mut self, n: usize, mark: Marker) -> Result<(), SyntaxError> {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            return Err(self.error(
                mark,
                format!("more than {MAX_NODES} values (aliases expanding too far)"),
            ));
        }
        Ok(())
    }

    fn node(&mut self, event: Event, mark: Marker, depth: usize) -> Result<Node, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.error(mark, format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        self.count(1, mark)?;
        let pos = self.pos(mark);
        let start = self.nodes;
        let (node, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => (
                Node {
                    value: resolve_scalar(text, style, tag.as_ref()),
                    pos,
                },
                anchor,
            ),
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                loop {
                    let (event, mark) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    self.path.push(items.len().to_string());
                    let item = self.node(event, mark, depth + 1);
                    self.path.pop();
                    items.push(item?);
                }
                (
                    Node {
                        value: Value::Seq(items),
                        pos,
                    },
                    anchor,
                )
            }
            Event::MappingStart(anchor, _) => (self.mapping(pos, depth)?, anchor),
            Event::Alias(id) => {
                let Some((node, size)) = self.anchors.get(&id).cloned() else {
                    return Err(self.error(mark, "alias to an unknown anchor"));
                };
                self.count(size, mark)?;
                return Ok(node);
            }
            _ => return Err(self.error(mark, "unexpected YAML event")),
        };
        if anchor > 0 {
            let size = self.nodes - start + 1;
            self.anchors.insert(anchor, (node.clone(), size));
        }
        Ok(node)
    }

    fn mapping(&mut self, pos: Pos, depth: usize) -> Result<Node, SyntaxError> {
        let mut entries: Vec<Entry> = Vec::new();
        // Keys brought in by `<<` merge keys: explicit keys replace them silently.
        let mut merged: Vec<Entry> = Vec::new();
        loop {
            let (event, mark) = self.next()?;
            let (key, plain) = match event {
                Event::MappingEnd => break,
                Event::Scalar(text, style, _, _) => (text, style == TScalarStyle::Plain),
                Event::Alias(_) => {
                    return Err(self.error(mark, "an alias as a mapping key is not supported"));
                }
                _ => return Err(self.error(mark, "a list or mapping as a key is not supported")),
            };
            let key_pos = self.pos(mark);
            let (event, mark) = self.next()?;
            self.path.push(key.clone());
            let node = self.node(event, mark, depth + 1);
            self.path.pop();
            let node = node?;
            if plain && key == "<<" {
                merge_key(&mut merged, node, key_pos).map_err(|msg| self.error(mark, msg))?;
                continue;
            }
            if let Some(existing) = entries.iter_mut().find(|e| e.key == key) {
                let mut path = self.path.clone();
                path.push(key);
                self.duplicate_keys.push((path.join("."), key_pos));
                *existing = Entry {
                    key: existing.key.clone(),
                    key_pos,
                    node,
                };
            } else {
                entries.push(Entry { key, key_pos, node });
            }
        }
        for entry in merged {
            if !entries.iter().any(|e| e.key == entry.key) {
                entries.push(entry);
            }
        }
        Ok(Node {
            value: Value::Map(entries),
            pos,
        })
    }
}

/// Applies a `<<: *anchor` (or `<<: [*a, *b]`) merge key: earlier sources win.
fn merge_key(merged: &mut Vec<Entry>, node: Node, key_pos: Pos) -> Result<(), String> {
    let maps = match node.value {
        Value::Map(entries) => vec![entries],
        Value::Seq(items) => items
            .into_iter()
            .map(|item| match item.value {
                Value::Map(entries) => Ok(entries),
                other => Err(format!(
                    "a `<<` merge list must hold mappings, found {}",
                    other.kind()
                )),
            })
            .collect::<Result<_, _>>()?,
        other => {
            return Err(format!(
                "a `<<` merge key needs a mapping, found {}",
                other.kind()
            ));
        }
    };
    for entries in maps {
        for mut entry in entries {
            if !merged.iter().any(|e| e.key == entry.key) {
                entry.key_pos = key_pos;
                merged.push(entry);
            }
        }
    }
    Ok(())
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Types a scalar as go-yaml v2 (and so Helm) does.
fn resolve_scalar(text: String, style: TScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(tag) = tag {
        if tag.handle == "!!" || tag.handle == "tag:yaml.org,2002:" {
            match tag.suffix.as_str() {
                "str" => return Value::Str(text),
                "bool" | "int" | "float" | "null" => return resolve_plain(text),
                _ => {}
            }
        }
    }
    if style == TScalarStyle::Plain {
        resolve_plain(text)
    } else {
        Value::Str(text)
    }
}

fn resolve_plain(text: String) -> Value {
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y" => {
            return Value::Bool(true);
        }
        "false" | "False" | "FALSE" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "n" | "N" => {
            return Value::Bool(false);
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    if let Some(n) = parse_int(&text) {
        return Value::Int(n);
    }
    let numeric = text.bytes().any(|b| b.is_ascii_digit())
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if numeric {
        if let Ok(f) = text.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::Str(text)
}

fn parse_int(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let digits = digits.replace('_', "");
    let magnitude = if let Some(hex) = digits.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(bin) = digits.strip_prefix("0b") {
        i64::from_str_radix(bin, 2).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        i64::from_str_radix(&digits[1..], 8).ok()?
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()?
    } else {
        return None;
    };
    Some(if negative { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        parse(text, 0).expect("valid YAML").root
    }

    #[test]
    fn scalars_are_typed_as_helm_types_them() {
        let doc = root("a: true\nb: \"false\"\nc: off\nd: 12\ne: 1.5\nf:\ng: ~\nh: yes please\n");
        let get = |k: &str| doc.entry(k).unwrap().node.value.clone();
        assert_eq!(get("a"), Value::Bool(true));
        assert_eq!(get("b"), Value::Str("false".into()));
        assert_eq!(get("c"), Value::Bool(false));
        assert_eq!(get("d"), Value::Int(12));
        assert_eq!(get("e"), Value::Float(1.5));
        assert_eq!(get("f"), Value::Null);
        assert_eq!(get("g"), Value::Null);
        assert_eq!(get("h"), Value::Str("yes please".into()));
    }

    #[test]
    fn positions_are_one_based_lines_and_columns() {
        let doc = root("# comment\nconfig:\n  telemetry:\n    metrics: false\n");
        let config = doc.entry("config").unwrap();
        assert_eq!((config.key_pos.line, config.key_pos.col), (2, 1));
        let telemetry = config.node.entry("telemetry").unwrap();
        let metrics = telemetry.node.entry("metrics").unwrap();
        assert_eq!((metrics.key_pos.line, metrics.key_pos.col), (4, 5));
        assert_eq!((metrics.node.pos.line, metrics.node.pos.col), (4, 14));
    }

    #[test]
    fn duplicate_keys_keep_the_later_value_and_are_reported() {
        let doc = parse("a: 1\nb: 2\na: 3\n", 0).unwrap();
        assert_eq!(doc.root.entry("a").unwrap().node.value, Value::Int(3));
        assert_eq!(doc.duplicate_keys.len(), 1);
        assert_eq!(doc.duplicate_keys[0].0, "a");
        assert_eq!(doc.duplicate_keys[0].1.line, 3);
    }

    #[test]
    fn aliases_and_merge_keys_expand() {
        let doc = root("base: &b\n  x: 1\n  y: 2\nother:\n  <<: *b\n  y: 3\ncopy: *b\n");
        let other = &doc.entry("other").unwrap().node;
        assert_eq!(other.entry("x").unwrap().node.value, Value::Int(1));
        assert_eq!(other.entry("y").unwrap().node.value, Value::Int(3));
        let copy = &doc.entry("copy").unwrap().node;
        assert_eq!(copy.entry("y").unwrap().node.value, Value::Int(2));
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let err = parse("a: 1\nb: [1, 2\nc: 3\n", 0).unwrap_err();
        assert!(err.line >= 2, "{err:?}");
        assert!(err.col >= 1);
    }

    #[test]
    fn only_the_first_document_is_read() {
        let doc = parse("a: 1\n---\na: 2\n", 0).unwrap();
        assert_eq!(doc.root.entry("a").unwrap().node.value, Value::Int(1));
        assert_eq!(doc.ignored_documents, 1);
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let err = parse(&text, 0).unwrap_err();
        assert!(err.message.contains("aliases"), "{err:?}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("{}{}", "[".repeat(300), "]".repeat(300));
        let err = parse(&text, 0).unwrap_err();
        // yaml-rust2 has its own recursion limit, lower than ours; either is fine.
        assert!(
            err.message.contains("nesting") || err.message.contains("recursion"),
            "{err:?}"
        );
    }
}
