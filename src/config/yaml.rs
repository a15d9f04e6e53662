//! A YAML reader that reads values files exactly as Helm does, and remembers where every
//! value was written.
//!
//! Helm 4 reads a values file in three steps, each copied here:
//!
//! 1. Kubernetes' `YAMLReader` cuts the file into documents at every line that starts with
//!    `---` (a line holding more than `---` and a comment is refused), dropping one `\r`
//!    before each line break and adding a final line break ([`Documents`]).
//! 2. go-yaml v2 parses each document with the libyaml algorithm. libyaml-safer is a
//!    line-by-line port of the same C code, so tabs, indentation, `...`, directives and
//!    every syntax error behave as in Helm: a tab after `key:` separates, a tab after `- `
//!    or in indentation is refused. Only the first YAML document of each piece is read.
//! 3. go-yaml v2 types scalars with YAML 1.1 rules ([`resolve`]: `on`, `y` and `no` are
//!    booleans, `0o17` and `017` are octal, `08` is a float), applies `<<` merge keys in
//!    document order (a later `<<` overwrites keys written above it), refuses documents that
//!    expand aliases too much, and sigs.k8s.io/yaml turns every key into a string (`1.5`,
//!    `yes` and `0x10` become `"1.5"`, `"true"` and `"16"`) and refuses what JSON cannot
//!    hold (`.inf`, `.nan`, a null key).
//!
//! Every document that holds a mapping becomes one [`Node`] tree whose values and keys
//! know their source, line and column: that is what lets `show-config` say which line of
//! which file decided an endpoint. Numbers stay exact here, where Helm turns them into
//! float64 (it goes through JSON); nothing that decides egress is a large number.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{BufRead, Read};

use base64::Engine as _;
use libyaml_safer::{Encoding, Event, EventData, Mark, Parser};

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

    /// The value as JSON, as Helm's `toJson` would print it (numbers aside: an integer
    /// stays exact where Helm would round it to float64).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            // The reader refuses `.inf` and `.nan`, as Helm does: JSON cannot hold them.
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.node.to_json()))
                    .collect(),
            ),
        }
    }
}

/// A parsed values file.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Every document that holds a mapping, in order; Helm merges them, later winning.
    /// Empty, comment-only and `null` documents are left out: they change nothing.
    pub documents: Vec<Node>,
    /// Keys written twice in one mapping: the dotted path and the position of the
    /// later one, which wins.
    pub duplicate_keys: Vec<(String, Pos)>,
    /// Keys written above a `<<` merge key that brings the same key: the merge wins in
    /// Helm. The dotted path, the position of the key and of the `<<`.
    pub merge_overrides: Vec<(String, Pos, Pos)>,
}

/// What kind of refusal a [`SyntaxError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// YAML that Helm refuses too.
    Invalid,
    /// Bytes that are not UTF-8 (Helm refuses them too).
    NotUtf8,
    /// A document that is a list or a scalar, not a mapping (Helm refuses it too).
    TopLevel,
    /// Beyond one of beacon-cli's own limits (Helm may accept it).
    Limit,
}

/// A refusal with its 1-based position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
    /// What is wrong, without quoting the file (it may hold secrets).
    pub message: String,
    /// What kind of refusal this is.
    pub kind: ErrorKind,
    /// How to fix it, when the fix is known.
    pub hint: Option<&'static str>,
}

/// Nesting deeper than this is refused rather than risking the stack (Helm's limit is
/// 10,000; a values file is rarely 20 deep).
pub const MAX_DEPTH: usize = 256;
/// More nodes than this (keys and values, counting every copy an alias or a `<<` merge
/// makes) is refused. A node costs about 100 bytes, so this bounds the tree to about
/// 200 MB whatever the file: the chart's own values.yaml has about 5,000 nodes, a dense
/// 10 MB values file about 1,000,000, a 1,000,000-entry `commonEnv` 5,000,000.
pub const MAX_NODES: usize = 2_000_000;
/// Text copied by aliases beyond this is refused: a 1 MB anchor aliased 1,000 times would
/// cost a gigabyte (Go shares the string; beacon-cli copies it).
pub const MAX_ALIAS_BYTES: usize = 64 * 1024 * 1024;
/// How many double-quoted strings with `\\'` escapes one piece may hold: each costs
/// another reading of the piece, so the readings are also capped at 256 MiB in all.
const MAX_RETRIES: usize = 1000;
const RETRY_BYTES: usize = 256 << 20;
/// How many bytes the YAML parser sees at a time, as go-yaml's reader: an error after the
/// end of the first document of a piece (`...`) is never seen, as in Helm.
const WINDOW: usize = 512;

const TAG_STR: &str = "tag:yaml.org,2002:str";
const TAG_BOOL: &str = "tag:yaml.org,2002:bool";
const TAG_INT: &str = "tag:yaml.org,2002:int";
const TAG_FLOAT: &str = "tag:yaml.org,2002:float";
const TAG_NULL: &str = "tag:yaml.org,2002:null";
const TAG_TIMESTAMP: &str = "tag:yaml.org,2002:timestamp";
const TAG_BINARY: &str = "tag:yaml.org,2002:binary";
const TAG_MERGE: &str = "tag:yaml.org,2002:merge";

const TAB_HINT: &str = "a tab may separate a value from its `key:` (Helm reads `key:<TAB>value`), but it cannot indent a line or follow `- `, `? ` or a `:` on a line of its own: replace it with spaces";
const SEPARATOR_HINT: &str = "a line starting with `---` separates documents and may hold only a comment after it: put the content on the next line";

/// Parses a values file (its bytes) into its documents, positions pointing at `source`.
pub fn parse(bytes: &[u8], source: usize) -> Result<Parsed, SyntaxError> {
    let mut builder = Builder::new(source);
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        // UTF-16 with a byte-order mark: Helm's line reader works on bytes, so it never
        // sees a `---` line in UTF-16, and go-yaml reads the first document of the whole.
        builder.piece(Piece {
            first_line: 0,
            input: Input::Utf16(&helm_line_ends(bytes)),
        })?;
    } else {
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let before = &bytes[..e.valid_up_to()];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let col = String::from_utf8_lossy(before.rsplit(|&b| b == b'\n').next().unwrap_or(&[]))
                .chars()
                .count()
                + 1;
            SyntaxError {
                line: to_u32(line),
                col: to_u32(col),
                message: "not UTF-8 text".into(),
                kind: ErrorKind::NotUtf8,
                hint: None,
            }
        })?;
        for piece in Documents::new(text) {
            let (first_line, text) = piece?;
            builder.piece(Piece {
                first_line,
                input: Input::Utf8(text),
            })?;
        }
    }
    Ok(builder.parsed)
}

/// Helm's line reader applied to bytes: one `\r` before each `\n` dropped, and a final
/// `\n` added.
fn helm_line_ends(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 1);
    for line in bytes.split(|&b| b == b'\n') {
        out.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
        out.push(b'\n');
    }
    // `split` yields an empty last piece after a final `\n`; Helm does not add a line there.
    if bytes.ends_with(b"\n") {
        out.pop();
    }
    out
}

/// The pieces Helm's `YAMLReader` cuts a file into, each with the 0-based line it starts
/// at, its line ends as Helm's line reader leaves them.
struct Documents<'a> {
    text: &'a str,
    /// Byte offset of the next line to read.
    at: usize,
    /// 0-based number of that line.
    line: usize,
}

impl<'a> Documents<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            at: 0,
            line: 0,
        }
    }
}

impl<'a> Iterator for Documents<'a> {
    type Item = Result<(usize, Cow<'a, str>), SyntaxError>;

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.at;
        let first_line = self.line;
        while self.at < self.text.len() {
            let rest = &self.text[self.at..];
            let len = memchr::memchr(b'\n', rest.as_bytes()).map_or(rest.len(), |i| i + 1);
            let line = &rest[..len];
            let line_start = self.at;
            self.at += len;
            self.line += 1;
            let content = line.strip_suffix('\n').unwrap_or(line);
            let content = content.strip_suffix('\r').unwrap_or(content);
            let Some(after) = content.strip_prefix("---") else {
                continue;
            };
            let trimmed = after.trim();
            if !trimmed.is_empty() && !trimmed.starts_with('#') {
                return Some(Err(SyntaxError {
                    line: to_u32(self.line),
                    col: 4,
                    message: "content after a `---` document separator".into(),
                    kind: ErrorKind::Invalid,
                    hint: Some(SEPARATOR_HINT),
                }));
            }
            if line_start > start {
                return Some(Ok((first_line, helm_text(&self.text[start..line_start]))));
            }
            return self.next();
        }
        (self.at > start).then(|| Ok((first_line, helm_text(&self.text[start..]))))
    }
}

/// A piece of text as Helm's line reader hands it on: one `\r` before each line break
/// dropped, and a line break at the end.
fn helm_text(text: &str) -> Cow<'_, str> {
    if !text.contains("\r\n") && text.ends_with('\n') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 1);
    for line in text.split_inclusive('\n') {
        match line.strip_suffix("\r\n") {
            Some(content) => {
                out.push_str(content);
                out.push('\n');
            }
            None => out.push_str(line),
        }
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Cow::Owned(out)
}

/// One piece of a file for the YAML parser.
struct Piece<'a> {
    first_line: usize,
    input: Input<'a>,
}

enum Input<'a> {
    Utf8(Cow<'a, str>),
    Utf16(&'a [u8]),
}

/// The input of the YAML parser, handed over a window at a time.
struct Window<'a> {
    data: &'a [u8],
    at: usize,
}

impl Read for Window<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Window<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        let end = self.data.len().min(self.at + WINDOW);
        Ok(&self.data[self.at..end])
    }

    fn consume(&mut self, amount: usize) {
        self.at = (self.at + amount).min(self.data.len());
    }
}

/// An anchor as aliases see it.
enum Anchor {
    /// The anchored node is still being read: an alias to it is a loop.
    Open,
    /// The node, what decoding it costs go-yaml (for its aliasing rule), and how many
    /// nodes and string bytes a copy of it adds.
    Done {
        node: Node,
        decodes: usize,
        nodes: usize,
        bytes: usize,
    },
}

/// The path of a node, for messages about duplicate keys: built on the stack, rendered
/// only when needed.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a str, &'a Path<'a>),
    Index(usize, &'a Path<'a>),
}

impl Path<'_> {
    fn render(&self) -> String {
        let mut parts = Vec::new();
        let mut at = self;
        loop {
            match at {
                Path::Root => break,
                Path::Key(key, parent) => {
                    parts.push((*key).to_string());
                    at = parent;
                }
                Path::Index(i, parent) => {
                    parts.push(i.to_string());
                    at = parent;
                }
            }
        }
        parts.reverse();
        parts.join(".")
    }
}

/// Counters for go-yaml v2's rule against alias expansion ("document contains excessive
/// aliasing"): every node decoded, and those decoded again through an alias.
#[derive(Default)]
struct Decodes {
    all: usize,
    aliased: usize,
}

impl Decodes {
    /// go-yaml v2's `allowedAliasRatio`: 99% of a small document may come from aliases,
    /// falling to 10% between 400,000 and 4,000,000 decoded nodes.
    fn excessive(&self) -> bool {
        const LOW: usize = 400_000;
        const HIGH: usize = 4_000_000;
        let allowed = if self.all <= LOW {
            0.99
        } else if self.all >= HIGH {
            0.10
        } else {
            0.99 - 0.89 * ((self.all - LOW) as f64 / (HIGH - LOW) as f64)
        };
        self.aliased > 100 && self.all > 1000 && self.aliased as f64 / self.all as f64 > allowed
    }
}

/// The key index of a mapping being read: a linear search while it is small, a hash map
/// once it is not, so reading a mapping of n keys stays O(n).
struct Keys {
    entries: Vec<Entry>,
    /// Whether each entry was written in this mapping (not brought by `<<`).
    explicit: Vec<bool>,
    index: HashMap<String, usize>,
}

/// Mappings up to this size are searched linearly.
const SMALL_MAP: usize = 16;

impl Keys {
    fn new() -> Self {
        Self {
            entries: Vec::new(),
            explicit: Vec::new(),
            index: HashMap::new(),
        }
    }

    fn find(&self, key: &str) -> Option<usize> {
        if self.entries.len() <= SMALL_MAP {
            self.entries.iter().position(|e| e.key == key)
        } else {
            self.index.get(key).copied()
        }
    }

    fn push(&mut self, entry: Entry, explicit: bool) {
        self.entries.push(entry);
        self.explicit.push(explicit);
        let n = self.entries.len();
        if n == SMALL_MAP + 1 {
            self.index = self
                .entries
                .iter()
                .enumerate()
                .map(|(i, e)| (e.key.clone(), i))
                .collect();
        } else if n > SMALL_MAP + 1 {
            self.index.insert(self.entries[n - 1].key.clone(), n - 1);
        }
    }
}

struct Builder {
    source: usize,
    parsed: Parsed,
    /// 0-based line of the current piece's first line.
    first_line: usize,
    anchors: HashMap<String, Anchor>,
    decodes: Decodes,
    nodes: usize,
    /// Bytes of text in the keys and strings read so far, copies included.
    text_bytes: usize,
    /// Bytes of text copied by aliases so far.
    alias_bytes: usize,
    /// The character standing for a byte-order mark in the current piece (see
    /// [`protect`]).
    bom_stand_in: Option<char>,
    /// The character standing for the `\\` of a `\\'` escape in the current piece.
    quote_stand_in: Option<char>,
    /// Where a `\\'` escape stopped the parser (a byte offset in the piece's text).
    escape_quote_at: Option<usize>,
    /// Whether a `\\'` stand-in turned up outside a double-quoted scalar.
    misplaced_stand_in: bool,
    /// Positions of keys Helm cannot turn into a JSON key (null, above int64), with why:
    /// refused only if the key survives in the document's final tree, as in Helm.
    bad_keys: HashMap<Pos, &'static str>,
    /// The current piece's text, as the parser reads it.
    text: String,
}

/// The YAML parser over one piece, and the piece's text (for positions and escapes).
struct Stream<'a> {
    parser: Parser<Window<'a>>,
    text: &'a str,
}

impl Builder {
    fn new(source: usize) -> Self {
        Self {
            source,
            parsed: Parsed::default(),
            first_line: 0,
            anchors: HashMap::new(),
            decodes: Decodes::default(),
            nodes: 0,
            text_bytes: 0,
            alias_bytes: 0,
            bom_stand_in: None,
            quote_stand_in: None,
            escape_quote_at: None,
            misplaced_stand_in: false,
            bad_keys: HashMap::new(),
            text: String::new(),
        }
    }

    /// Reads the first YAML document of one piece, as go-yaml's `Unmarshal` does.
    fn piece(&mut self, piece: Piece<'_>) -> Result<(), SyntaxError> {
        self.first_line = piece.first_line;
        let (mut text, incomplete) = match piece.input {
            Input::Utf8(text) => (text.into_owned(), false),
            Input::Utf16(bytes) => decode_utf16(bytes)?,
        };
        // go-yaml's reader drops a byte-order mark at the start of each piece.
        if text.starts_with('\u{feff}') {
            text.drain(..'\u{feff}'.len_utf8());
        }
        let (text, bom) = protect(text, '\u{feff}', |t| {
            t.match_indices('\u{feff}')
                .find(|(i, _)| *i > 0)
                .map(|(i, _)| i)
        });
        self.bom_stand_in = bom;
        self.quote_stand_in = None;
        self.text = text;
        let (documents, duplicates, overrides) = (
            self.parsed.documents.len(),
            self.parsed.duplicate_keys.len(),
            self.parsed.merge_overrides.len(),
        );
        let (nodes, text_bytes, alias_bytes) = (self.nodes, self.text_bytes, self.alias_bytes);
        // go-yaml reads `\\'` in a double-quoted string as `'`; libyaml does not know the
        // escape. When it stops on one, every `\\'` is written as a stand-in followed by
        // `'` (the same width, so positions hold) and the piece is read again, the stand-in
        // turned back into nothing in each double-quoted scalar. Should a stand-in land
        // anywhere else (a `\\'` in a plain or single-quoted scalar means those two
        // characters), the piece is read from its original text again, patching one
        // double-quoted string at a time.
        let mut original: Option<String> = None;
        let mut one_at_a_time = false;
        let mut retries = 0;
        loop {
            self.escape_quote_at = None;
            self.misplaced_stand_in = false;
            let result = self.document(incomplete);
            let retry = if self.misplaced_stand_in && !one_at_a_time {
                one_at_a_time = true;
                self.text = original.take().unwrap_or_default();
                true
            } else if let Some(at) = self.escape_quote_at {
                if retries >= MAX_RETRIES || retries.saturating_mul(self.text.len()) > RETRY_BYTES {
                    return Err(self.limit(
                        Mark::default(),
                        "too many double-quoted strings with a `\\'` escape for beacon-cli to read (Helm reads them)".into(),
                    ));
                }
                let stand_in = match self.quote_stand_in {
                    Some(c) => c,
                    None => {
                        let c = stand_in_for(&self.text, self.bom_stand_in)
                            .ok_or_else(|| self.error(Mark::default(), "no stand-in"))?;
                        self.quote_stand_in = Some(c);
                        c
                    }
                };
                let escapes = if one_at_a_time {
                    quote_escapes(&self.text, at)
                } else {
                    original = Some(self.text.clone());
                    all_quote_escapes(&self.text)
                };
                for at in escapes.into_iter().rev() {
                    self.text.replace_range(at..at + 1, &stand_in.to_string());
                }
                true
            } else {
                false
            };
            if !retry {
                return result;
            }
            self.parsed.documents.truncate(documents);
            self.parsed.duplicate_keys.truncate(duplicates);
            self.parsed.merge_overrides.truncate(overrides);
            (self.nodes, self.text_bytes, self.alias_bytes) = (nodes, text_bytes, alias_bytes);
            retries += 1;
        }
    }

    /// Reads the first document of the current piece's text.
    fn document(&mut self, incomplete: bool) -> Result<(), SyntaxError> {
        self.anchors.clear();
        self.decodes = Decodes::default();
        self.bad_keys.clear();
        let text = std::mem::take(&mut self.text);
        quiet_parser_panics();
        // libyaml-safer 0.3 panics on a few inputs (a tag right before `,` in a flow
        // collection: `[!!str, x]`) instead of reading them: a refusal, not a crash.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.read(&text, incomplete)
        }))
        .unwrap_or_else(|_| {
            let at = text
                .match_indices('!')
                .find(|(i, _)| {
                    let rest = &text[*i..];
                    let end = rest.find([' ', '\t', '\n', ',']).unwrap_or(rest.len());
                    rest[end..].starts_with(',')
                })
                .map_or(0, |(i, _)| i);
            let mut mark = Mark::default();
            mark.line = text[..at].matches('\n').count() as u64;
            mark.column = text[..at].rsplit('\n').next().unwrap_or("").chars().count() as u64;
            Err(self.limit(
                mark,
                "beacon-cli's YAML parser cannot read this (a tag right before `,` in a flow collection, such as `[!!str, x]`)".into(),
            ))
        });
        self.text = text;
        result
    }

    fn read(&mut self, text: &str, incomplete: bool) -> Result<(), SyntaxError> {
        let mut parser = Parser::new();
        parser.set_input(Window {
            data: text.as_bytes(),
            at: 0,
        });
        parser.set_encoding(Encoding::Utf8);
        let stream = &mut Stream { parser, text };
        let mut mark = Mark::default();
        loop {
            let event = self.next(stream, mark)?;
            mark = event.start_mark;
            match event.data {
                EventData::StreamEnd => return Ok(()),
                EventData::DocumentStart { .. } => break,
                _ => {}
            }
        }
        self.decodes.all += 1;
        let event = self.next(stream, mark)?;
        let root = self.node(stream, event, 0, &Path::Root)?;
        // go-yaml reads the document's end, and nothing after it.
        let end = self.next(stream, mark)?;
        if incomplete
            && matches!(
                stream.parser.parse().map(|e| e.data),
                Ok(EventData::StreamEnd)
            )
        {
            // go-yaml reached the end of a UTF-16 file with an odd byte left (Helm's line
            // reader adds a `\n` byte to UTF-16 files that do not end with one).
            return Err(self.error(
                end.end_mark,
                "incomplete UTF-16 character at the end of the file",
            ));
        }
        self.check_json(&root)?;
        match root.value {
            Value::Map(_) => self.parsed.documents.push(root),
            Value::Null => {}
            ref other => {
                return Err(SyntaxError {
                    line: root.pos.line,
                    col: root.pos.col,
                    message: other.kind().to_string(),
                    kind: ErrorKind::TopLevel,
                    hint: None,
                });
            }
        }
        Ok(())
    }

    fn pos(&self, mark: Mark) -> Pos {
        Pos {
            source: self.source,
            line: to_u32(self.first_line + mark.line as usize + 1),
            col: to_u32(mark.column as usize + 1),
        }
    }

    fn error(&self, mark: Mark, message: impl Into<String>) -> SyntaxError {
        let pos = self.pos(mark);
        SyntaxError {
            line: pos.line,
            col: pos.col,
            message: message.into(),
            kind: ErrorKind::Invalid,
            hint: None,
        }
    }

    fn limit(&self, mark: Mark, message: String) -> SyntaxError {
        SyntaxError {
            kind: ErrorKind::Limit,
            ..self.error(mark, message)
        }
    }

    fn next(&mut self, stream: &mut Stream<'_>, last: Mark) -> Result<Event, SyntaxError> {
        let text = stream.text;
        let event = stream.parser.parse().map_err(|e| {
            let problem = e.problem();
            let Some(mark) = e.problem_mark() else {
                // A reader error: the parser says what, not where.
                let mark = if problem.contains("control characters") {
                    first_disallowed(text).unwrap_or(last)
                } else {
                    last
                };
                return self.error(mark, problem);
            };
            if problem == "found unknown escape character"
                && text
                    .get(mark.index as usize..)
                    .is_some_and(|t| t.starts_with("\\'"))
            {
                self.escape_quote_at = Some(mark.index as usize);
            }
            let message = match e.context() {
                Some(context) => format!("{problem} {context}"),
                None => problem.to_string(),
            };
            let mut error = self.error(mark, message);
            if problem.contains("tab") || char_at(text, mark) == Some('\t') {
                error.hint = Some(TAB_HINT);
            }
            error
        })?;
        if let (Some(c), EventData::Scalar { value, style, .. }) =
            (self.quote_stand_in, &event.data)
        {
            if *style != libyaml_safer::ScalarStyle::DoubleQuoted && value.contains(c) {
                self.misplaced_stand_in = true;
                return Err(self.error(event.start_mark, "a `\\'` outside a double-quoted string"));
            }
        }
        if let EventData::Scalar {
            style: libyaml_safer::ScalarStyle::DoubleQuoted,
            ..
        } = event.data
        {
            // libyaml knows the escape `\\/`, go-yaml v2 does not.
            let start = event.start_mark.index as usize;
            let raw = text.get(start..event.end_mark.index as usize).unwrap_or("");
            let mut bytes = raw.bytes().enumerate();
            while let Some((i, b)) = bytes.next() {
                if b == b'\\' && bytes.next().map(|(_, b)| b) == Some(b'/') {
                    let mut mark = event.start_mark;
                    mark.column += raw[..i].chars().count() as u64;
                    mark.index += i as u64;
                    if let Some(nl) = raw[..i].rfind('\n') {
                        mark.line += raw[..i].matches('\n').count() as u64;
                        mark.column = raw[nl + 1..i].chars().count() as u64;
                    }
                    return Err(self.error(
                        mark,
                        "found unknown escape character while parsing a quoted scalar",
                    ));
                }
            }
        }
        Ok(event)
    }

    fn count(&mut self, nodes: usize, mark: Mark) -> Result<(), SyntaxError> {
        self.nodes += nodes;
        if self.nodes > MAX_NODES {
            return Err(self.limit(
                mark,
                format!(
                    "more than {} keys and values, counting the copies aliases and `<<` merges make",
                    thousands(MAX_NODES)
                ),
            ));
        }
        Ok(())
    }

    fn node(
        &mut self,
        stream: &mut Stream<'_>,
        event: Event,
        depth: usize,
        path: &Path<'_>,
    ) -> Result<Node, SyntaxError> {
        let mark = event.start_mark;
        if depth > MAX_DEPTH {
            return Err(self.limit(
                mark,
                format!("nesting deeper than {MAX_DEPTH} levels (beacon-cli's limit)"),
            ));
        }
        let pos = self.pos(mark);
        let decodes_before = self.decodes.all;
        let nodes_before = self.nodes;
        let bytes_before = self.text_bytes;
        self.decodes.all += 1;
        self.count(1, mark)?;
        let (value, anchor) = match event.data {
            EventData::Scalar {
                anchor,
                tag,
                value,
                plain_implicit,
                ..
            } => {
                let resolved = self.scalar(mark, anchor, tag, value, plain_implicit)?;
                return Ok(Node {
                    value: resolved.into_value(),
                    pos,
                });
            }
            EventData::Alias { anchor } => return self.alias(&anchor, mark),
            EventData::SequenceStart { anchor, .. } => {
                if let Some(name) = &anchor {
                    self.anchors.insert(name.clone(), Anchor::Open);
                }
                let mut items = Vec::new();
                loop {
                    let event = self.next(stream, mark)?;
                    if matches!(event.data, EventData::SequenceEnd) {
                        break;
                    }
                    let path = Path::Index(items.len(), path);
                    items.push(self.node(stream, event, depth + 1, &path)?);
                }
                (Value::Seq(items), anchor)
            }
            EventData::MappingStart { anchor, .. } => {
                if let Some(name) = &anchor {
                    self.anchors.insert(name.clone(), Anchor::Open);
                }
                (self.mapping(stream, mark, depth, path)?, anchor)
            }
            _ => return Err(self.error(mark, "unexpected YAML event")),
        };
        let node = Node { value, pos };
        if let Some(name) = anchor {
            self.anchors.insert(
                name,
                Anchor::Done {
                    node: node.clone(),
                    decodes: self.decodes.all - decodes_before,
                    nodes: self.nodes - nodes_before,
                    bytes: self.text_bytes - bytes_before,
                },
            );
        }
        Ok(node)
    }

    /// A copy of an anchored node, counted as go-yaml counts it.
    fn alias(&mut self, name: &str, mark: Mark) -> Result<Node, SyntaxError> {
        let (node, decodes, nodes, bytes) = match self.anchors.get(name) {
            None => {
                return Err(self.error(mark, format!("unknown anchor `{name}` referenced")));
            }
            Some(Anchor::Open) => {
                return Err(self.error(mark, format!("anchor `{name}` value contains itself")));
            }
            Some(Anchor::Done {
                node,
                decodes,
                nodes,
                bytes,
            }) => (node, *decodes, *nodes, *bytes),
        };
        self.decodes.all += decodes;
        self.decodes.aliased += decodes;
        if self.decodes.excessive() {
            return Err(self.error(
                mark,
                "the aliases expand to too many copies (document contains excessive aliasing)",
            ));
        }
        self.alias_bytes += bytes;
        self.text_bytes += bytes;
        if self.alias_bytes > MAX_ALIAS_BYTES {
            return Err(self.limit(
                mark,
                format!(
                    "aliases copy more than {} MiB of text (beacon-cli's limit)",
                    MAX_ALIAS_BYTES >> 20
                ),
            ));
        }
        let node = node.clone();
        self.count(nodes, mark)?;
        Ok(node)
    }

    fn mapping(
        &mut self,
        stream: &mut Stream<'_>,
        mark: Mark,
        depth: usize,
        path: &Path<'_>,
    ) -> Result<Value, SyntaxError> {
        let mut keys = Keys::new();
        loop {
            let event = self.next(stream, mark)?;
            let key_mark = event.start_mark;
            let key_pos = self.pos(key_mark);
            let is_merge = matches!(
                &event.data,
                EventData::Scalar { value, plain_implicit, tag, .. }
                    if value == "<<" && (*plain_implicit || tag.as_deref() == Some(TAG_MERGE))
            );
            if matches!(event.data, EventData::MappingEnd) {
                break;
            }
            if is_merge {
                let event = self.next(stream, key_mark)?;
                let value_mark = event.start_mark;
                let merge_path = Path::Key("<<", path);
                let node = self.node(stream, event, depth + 1, &merge_path)?;
                self.merge(&mut keys, node, key_pos, path)
                    .map_err(|message| self.error(value_mark, message))?;
                continue;
            }
            let key = self.key(stream, event, depth, path)?;
            let key = self.key_text(key, key_pos);
            let event = self.next(stream, key_mark)?;
            let node = {
                let path = Path::Key(&key, path);
                self.node(stream, event, depth + 1, &path)?
            };
            match keys.find(&key) {
                Some(i) => {
                    if keys.explicit[i] {
                        let path = Path::Key(&key, path).render();
                        self.parsed.duplicate_keys.push((path, key_pos));
                    }
                    keys.explicit[i] = true;
                    keys.entries[i].key_pos = key_pos;
                    keys.entries[i].node = node;
                }
                None => keys.push(Entry { key, key_pos, node }, true),
            }
        }
        Ok(Value::Map(keys.entries))
    }

    /// A scalar, typed; its anchor (a scalar's copy costs one node) is kept for aliases.
    fn scalar(
        &mut self,
        mark: Mark,
        anchor: Option<String>,
        tag: Option<String>,
        value: String,
        plain_implicit: bool,
    ) -> Result<Resolved, SyntaxError> {
        let value = self.unprotect(value);
        let bytes = value.len();
        self.text_bytes += bytes;
        let resolved = resolve_scalar(value, tag.as_deref(), plain_implicit)
            .map_err(|message| self.error(mark, message))?;
        if let Some(name) = anchor {
            let node = Node {
                value: resolved.clone().into_value(),
                pos: self.pos(mark),
            };
            self.anchors.insert(
                name,
                Anchor::Done {
                    node,
                    decodes: 1,
                    nodes: 1,
                    bytes,
                },
            );
        }
        Ok(resolved)
    }

    /// A mapping key: a scalar typed as any scalar, or an alias of one (a list or a
    /// mapping cannot be a key).
    fn key(
        &mut self,
        stream: &mut Stream<'_>,
        event: Event,
        depth: usize,
        path: &Path<'_>,
    ) -> Result<Resolved, SyntaxError> {
        let mark = event.start_mark;
        if let EventData::Scalar {
            anchor,
            tag,
            value,
            plain_implicit,
            ..
        } = event.data
        {
            self.decodes.all += 1;
            self.count(1, mark)?;
            return self.scalar(mark, anchor, tag, value, plain_implicit);
        }
        let node = self.node(stream, event, depth + 1, path)?;
        Ok(match node.value {
            Value::Null => Resolved::Null,
            Value::Bool(b) => Resolved::Bool(b),
            Value::Int(i) => Resolved::Int(i),
            Value::Float(f) => Resolved::Float(f),
            Value::Str(s) => Resolved::Str(s),
            Value::Seq(_) | Value::Map(_) => {
                return Err(self.error(
                    mark,
                    format!("{} cannot be a key (invalid map key)", node.value.kind()),
                ));
            }
        })
    }

    /// The string Helm makes of a key; a key it cannot make one of is remembered, to be
    /// refused if it survives in the document.
    fn key_text(&mut self, resolved: Resolved, pos: Pos) -> String {
        match resolved {
            Resolved::Str(s) => s,
            Resolved::Bool(b) => b.to_string(),
            Resolved::Int(i) => i.to_string(),
            Resolved::Float(f) => go_key_float(f),
            Resolved::Null => {
                self.bad_keys
                    .insert(pos, "a null key (`~`, `null` or nothing)");
                "null".to_string()
            }
            Resolved::UInt(u) => {
                self.bad_keys
                    .insert(pos, "an integer key above 9223372036854775807");
                u.to_string()
            }
        }
    }

    /// Applies a `<<` merge key as go-yaml v2 does: in document order, overwriting the
    /// keys already in the mapping; in a list of mappings the earlier ones win.
    fn merge(
        &mut self,
        keys: &mut Keys,
        node: Node,
        merge_pos: Pos,
        path: &Path<'_>,
    ) -> Result<(), String> {
        const WANT_MAP: &str = "a `<<` merge key needs a mapping or a list of mappings (map merge requires map or sequence of maps as the value)";
        let maps = match node.value {
            Value::Map(entries) => vec![entries],
            Value::Seq(items) => {
                // go-yaml decodes the list's items, not the list itself.
                self.decodes.all = self.decodes.all.saturating_sub(1);
                let mut maps = Vec::with_capacity(items.len());
                for item in items.into_iter().rev() {
                    match item.value {
                        Value::Map(entries) => maps.push(entries),
                        _ => return Err(WANT_MAP.into()),
                    }
                }
                maps
            }
            _ => return Err(WANT_MAP.into()),
        };
        for entries in maps {
            for mut entry in entries {
                if let Some(why) = self.bad_keys.get(&entry.key_pos).copied() {
                    self.bad_keys.insert(merge_pos, why);
                }
                entry.key_pos = merge_pos;
                match keys.find(&entry.key) {
                    Some(i) => {
                        if keys.explicit[i] {
                            let rendered = Path::Key(&entry.key, path).render();
                            self.parsed.merge_overrides.push((
                                rendered,
                                keys.entries[i].key_pos,
                                merge_pos,
                            ));
                            keys.explicit[i] = false;
                        }
                        keys.entries[i] = entry;
                    }
                    None => keys.push(entry, false),
                }
            }
        }
        Ok(())
    }

    /// What sigs.k8s.io/yaml refuses when it turns a document into JSON: `.inf` and
    /// `.nan` values, and keys that are null or above the int64 range, wherever they
    /// survive in the final tree.
    fn check_json(&self, root: &Node) -> Result<(), SyntaxError> {
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            match &node.value {
                Value::Float(f) if !f.is_finite() => {
                    return Err(SyntaxError {
                        line: node.pos.line,
                        col: node.pos.col,
                        message: "`.inf` and `.nan` cannot be written as JSON, so Helm refuses the file (json: unsupported value)".into(),
                        kind: ErrorKind::Invalid,
                        hint: Some("quote the value (\".inf\") if a string is meant, or write a number"),
                    });
                }
                Value::Seq(items) => stack.extend(items.iter().rev()),
                Value::Map(entries) => {
                    for entry in entries.iter().rev() {
                        if let Some(why) = self.bad_keys.get(&entry.key_pos) {
                            return Err(SyntaxError {
                                line: entry.key_pos.line,
                                col: entry.key_pos.col,
                                message: format!(
                                    "{why} cannot be turned into a JSON key, so Helm refuses the file (unsupported map key)"
                                ),
                                kind: ErrorKind::Invalid,
                                hint: Some("quote the key so that it is a string"),
                            });
                        }
                        stack.push(&entry.node);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// A scalar with the stand-ins of [`protect`] and of `\\'` turned back.
    fn unprotect(&self, mut value: String) -> String {
        if let Some(c) = self.bom_stand_in {
            if value.contains(c) {
                value = value.replace(c, "\u{feff}");
            }
        }
        if let Some(c) = self.quote_stand_in {
            let pair = format!("{c}'");
            if value.contains(&pair) {
                value = value.replace(&pair, "'");
            }
        }
        value
    }
}

/// Replaces every occurrence of `target` from the byte offset `first` finds on by a
/// private character absent from the text, so the parser reads it as ordinary text;
/// [`Builder::unprotect`] puts it back in every scalar.
///
/// Used for byte-order marks: libyaml skips one at the start of any line, where go-yaml
/// keeps it as text (its check looks only at the start of its buffer), so a file made by
/// concatenating two files with marks has the key `\u{feff}name` in Helm.
fn protect(
    text: String,
    target: char,
    first: impl Fn(&str) -> Option<usize>,
) -> (String, Option<char>) {
    let Some(at) = first(&text) else {
        return (text, None);
    };
    let Some(stand_in) = stand_in_for(&text, None) else {
        return (text, None);
    };
    let (head, tail) = text.split_at(at);
    let out = format!("{head}{}", tail.replace(target, &stand_in.to_string()));
    (out, Some(stand_in))
}

/// The byte offsets of the `\\` of every `\\'` in the text that is an escape if it is in
/// a double-quoted string (not the second half of a `\\\\`).
fn all_quote_escapes(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            if bytes.get(i + 1) == Some(&b'\'') {
                found.push(i);
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    found
}

/// The byte offsets of the `\\` of every `\\'` escape in the double-quoted string the
/// text at `at` lies in (from `at` to the string's closing quote).
fn quote_escapes(text: &str, at: usize) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = at;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                if bytes.get(i + 1) == Some(&b'\'') {
                    found.push(i);
                }
                i += 2;
            }
            b'"' => break,
            _ => i += 1,
        }
    }
    found
}

/// A private-use character that does not occur in the text (nor is `taken`).
fn stand_in_for(text: &str, taken: Option<char>) -> Option<char> {
    let present: std::collections::HashSet<char> =
        text.chars().filter(|c| *c >= '\u{f0000}').collect();
    ('\u{f0000}'..='\u{ffffd}').find(|c| !present.contains(c) && Some(*c) != taken)
}

/// A UTF-16 file (with its byte-order mark) as text, and whether an odd byte is left at
/// the end.
fn decode_utf16(bytes: &[u8]) -> Result<(String, bool), SyntaxError> {
    let little = bytes.starts_with(&[0xFF, 0xFE]);
    let units = bytes.chunks_exact(2).map(|pair| {
        if little {
            u16::from_le_bytes([pair[0], pair[1]])
        } else {
            u16::from_be_bytes([pair[0], pair[1]])
        }
    });
    let mut text = String::with_capacity(bytes.len() / 2);
    for c in char::decode_utf16(units) {
        match c {
            Ok(c) => text.push(c),
            Err(_) => {
                let line = text.matches('\n').count() + 1;
                let col = text.rsplit('\n').next().unwrap_or("").chars().count() + 1;
                return Err(SyntaxError {
                    line: to_u32(line),
                    col: to_u32(col),
                    message: "invalid UTF-16 (an unpaired surrogate)".into(),
                    kind: ErrorKind::Invalid,
                    hint: None,
                });
            }
        }
    }
    Ok((text, bytes.len() % 2 == 1))
}

/// Keeps the panic message of a libyaml-safer panic (caught and turned into a refusal)
/// off standard error; every other panic is reported as before.
fn quiet_parser_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let from_parser = info
                .location()
                .is_some_and(|l| l.file().contains("libyaml-safer"));
            if !from_parser {
                previous(info);
            }
        }));
    });
}

/// The character at a mark of a text.
fn char_at(text: &str, mark: Mark) -> Option<char> {
    text.split('\n')
        .nth(mark.line as usize)?
        .chars()
        .nth(mark.column as usize)
}

/// Where the first character YAML does not allow is (the parser knows only that there is
/// one).
fn first_disallowed(text: &str) -> Option<Mark> {
    for (line, content) in text.split('\n').enumerate() {
        if let Some(col) = content.chars().position(|c| !yaml_printable(c)) {
            let mut mark = Mark::default();
            mark.line = line as u64;
            mark.column = col as u64;
            return Some(mark);
        }
    }
    None
}

/// The characters YAML (libyaml, go-yaml) accepts in a file.
fn yaml_printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..='\u{10ffff}')
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// `1000000` as `1,000,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A scalar as go-yaml v2 resolves it, before sigs.k8s.io/yaml turns it into JSON.
#[derive(Debug, Clone, PartialEq)]
enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    /// An integer above the int64 range (a float64 once Helm has turned it into JSON).
    UInt(u64),
    Float(f64),
    Str(String),
}

impl Resolved {
    fn into_value(self) -> Value {
        match self {
            Resolved::Null => Value::Null,
            Resolved::Bool(b) => Value::Bool(b),
            Resolved::Int(i) => Value::Int(i),
            Resolved::UInt(u) => Value::Float(u as f64),
            Resolved::Float(f) => Value::Float(f),
            Resolved::Str(s) => Value::Str(s),
        }
    }
}

/// Types a scalar event as go-yaml v2's decoder does: a quoted or block scalar without a
/// tag is a string; anything else goes through [`resolve`], and `!!binary` is decoded.
fn resolve_scalar(
    value: String,
    tag: Option<&str>,
    plain_implicit: bool,
) -> Result<Resolved, String> {
    let tag = tag.unwrap_or("");
    if tag.is_empty() && !plain_implicit {
        return Ok(Resolved::Str(value));
    }
    if tag == TAG_BINARY {
        return decode_binary(&value).map(Resolved::Str);
    }
    resolve(tag, value)
}

/// go-yaml v2's `resolve`: the type a tag and a text make.
fn resolve(tag: &str, text: String) -> Result<Resolved, String> {
    if !matches!(
        tag,
        "" | TAG_STR | TAG_BOOL | TAG_INT | TAG_FLOAT | TAG_TIMESTAMP | TAG_NULL
    ) {
        // A tag go-yaml does not know (`!custom`, `!`): the text, as a string.
        return Ok(Resolved::Str(text));
    }
    if tag.is_empty() {
        return Ok(resolve_untagged(tag, text).1);
    }
    let (found_tag, resolved) = resolve_untagged(tag, text.clone());
    if tag == found_tag || tag == TAG_STR {
        return Ok(resolved);
    }
    match (tag, &resolved) {
        (TAG_FLOAT, Resolved::Int(i)) => Ok(Resolved::Float(*i as f64)),
        (TAG_FLOAT, Resolved::UInt(u)) => Ok(Resolved::Float(*u as f64)),
        _ => Err(format!(
            "`{}` is {}, not {} (cannot decode {} as a {})",
            text,
            short(found_tag),
            short(tag),
            short(found_tag),
            short(tag)
        )),
    }
}

fn short(tag: &str) -> String {
    match tag.strip_prefix("tag:yaml.org,2002:") {
        Some(rest) => format!("!!{rest}"),
        None => tag.to_string(),
    }
}

/// The untagged half of go-yaml v2's `resolve`: YAML 1.1 booleans and nulls by table,
/// numbers by Go's own parsers, the rest a string. Returns the tag it found.
fn resolve_untagged(tag: &str, text: String) -> (&'static str, Resolved) {
    if tag == TAG_STR {
        return (TAG_STR, Resolved::Str(text));
    }
    let hint = match text.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => return (TAG_STR, Resolved::Str(text)),
    };
    match text.as_str() {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return (TAG_BOOL, Resolved::Bool(true));
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return (TAG_BOOL, Resolved::Bool(false));
        }
        "" | "~" | "null" | "Null" | "NULL" => return (TAG_NULL, Resolved::Null),
        ".nan" | ".NaN" | ".NAN" => return (TAG_FLOAT, Resolved::Float(f64::NAN)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return (TAG_FLOAT, Resolved::Float(f64::INFINITY));
        }
        "-.inf" | "-.Inf" | "-.INF" => return (TAG_FLOAT, Resolved::Float(f64::NEG_INFINITY)),
        _ => {}
    }
    match hint {
        b'.' => {
            if let Some(f) = go_parse_float(&text) {
                return (TAG_FLOAT, Resolved::Float(f));
            }
        }
        b'D' | b'S' => {
            if (tag.is_empty() || tag == TAG_TIMESTAMP) && is_timestamp(&text) {
                return (TAG_TIMESTAMP, Resolved::Str(text));
            }
            let plain = if text.contains('_') {
                Cow::Owned(text.replace('_', ""))
            } else {
                Cow::Borrowed(text.as_str())
            };
            if let Some(i) = go_parse_int(&plain) {
                return (TAG_INT, Resolved::Int(i));
            }
            if let Some(u) = go_parse_uint(&plain) {
                return (TAG_INT, Resolved::UInt(u));
            }
            if yaml_style_float(&plain) {
                if let Some(f) = go_parse_float(&plain) {
                    return (TAG_FLOAT, Resolved::Float(f));
                }
            }
        }
        _ => {}
    }
    (TAG_STR, Resolved::Str(text))
}

/// `strconv.ParseFloat(s, 64)` for the texts go-yaml hands it: out of range is an error.
fn go_parse_float(text: &str) -> Option<f64> {
    let lower = text.to_ascii_lowercase();
    if lower.contains("inf") || lower.contains("nan") {
        return None;
    }
    text.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// go-yaml v2's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn yaml_style_float(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < bytes.len() && bytes[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == bytes.len()
}

/// The magnitude part of Go's `ParseInt(s, 0, 64)` / `ParseUint`: a `0x`, `0o`, `0b` or
/// `0` prefix picks the base.
fn go_parse_magnitude(digits: &str) -> Option<u64> {
    let bytes = digits.as_bytes();
    let (radix, body) = match bytes {
        [b'0', b'x' | b'X', ..] => (16, &digits[2..]),
        [b'0', b'o' | b'O', ..] => (8, &digits[2..]),
        [b'0', b'b' | b'B', ..] => (2, &digits[2..]),
        [b'0', _, ..] => (8, &digits[1..]),
        _ => (10, digits),
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(body, radix).ok()
}

/// Go's `strconv.ParseInt(s, 0, 64)` (the text has no underscores left).
fn go_parse_int(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let magnitude = go_parse_magnitude(digits)?;
    if negative {
        if magnitude <= i64::MAX as u64 + 1 {
            Some((magnitude as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Go's `strconv.ParseUint(s, 0, 64)`: no sign.
fn go_parse_uint(text: &str) -> Option<u64> {
    if text.starts_with(['+', '-']) {
        return None;
    }
    go_parse_magnitude(text)
}

/// go-yaml v2's timestamp check: `YYYY-M-D`, optionally followed by a time.
fn is_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() < 8 || !bytes[..4].iter().all(u8::is_ascii_digit) || bytes[4] != b'-' {
        return false;
    }
    let number = |s: &str, max_len: usize| {
        !s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit())
    };
    let (date, time) = match text.find(['T', 't', ' ']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let mut parts = date[5..].splitn(2, '-');
    let (Some(month), Some(day)) = (parts.next(), parts.next()) else {
        return false;
    };
    if !number(month, 2) || !number(day, 2) {
        return false;
    }
    match time {
        None => true,
        Some(time) => {
            let clock = time
                .split(['Z', '+', '-'])
                .next()
                .unwrap_or("")
                .split('.')
                .next()
                .unwrap_or("");
            let fields: Vec<&str> = clock.split(':').collect();
            fields.len() == 3 && fields.iter().all(|f| number(f, 2))
        }
    }
}

/// `!!binary`: base64 (line breaks ignored, as Go's decoder ignores them), bytes that are
/// not UTF-8 replaced as Go's JSON encoder replaces them.
fn decode_binary(text: &str) -> Result<String, String> {
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
    );
    let cleaned: String = text.chars().filter(|c| *c != '\n' && *c != '\r').collect();
    let bytes = engine
        .decode(cleaned)
        .map_err(|_| "`!!binary` value contains invalid base64 data".to_string())?;
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes.as_slice();
    loop {
        match std::str::from_utf8(rest) {
            Ok(valid) => {
                out.push_str(valid);
                return Ok(out);
            }
            Err(e) => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                let bad = e.error_len().unwrap_or(after.len());
                out.extend(std::iter::repeat_n('\u{fffd}', bad));
                rest = &after[bad..];
            }
        }
    }
}

/// A float key as sigs.k8s.io/yaml writes it: Go's `FormatFloat(f, 'g', -1, 32)`, with
/// `.inf`, `-.inf` and `.nan` for the specials.
fn go_key_float(f: f64) -> String {
    let single = f as f32;
    if single.is_nan() {
        return ".nan".into();
    }
    if single.is_infinite() {
        return if single > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    // Shortest digits that read back as the same f32, and the decimal exponent.
    let sci = format!("{:e}", single.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let sign = if single.is_sign_negative() { "-" } else { "" };
    if single == 0.0 {
        return format!("{sign}0");
    }
    if !(-4..6).contains(&exponent) {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        return format!("{sign}{first}{fraction}e{exp_sign}{:02}", exponent.abs());
    }
    // Fixed notation: the digits with the point placed by the exponent.
    let point = exponent + 1;
    let text = if point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else if point as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        let (whole, fraction) = digits.split_at(point as usize);
        format!("{whole}.{fraction}")
    };
    format!("{sign}{text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        let mut parsed = parse(text.as_bytes(), 0).expect("valid YAML");
        assert_eq!(parsed.documents.len(), 1, "{text:?}");
        parsed.documents.remove(0)
    }

    fn value(text: &str) -> Value {
        root(&format!("k: {text}\n"))
            .entry("k")
            .unwrap()
            .node
            .value
            .clone()
    }

    #[test]
    fn scalars_are_typed_as_go_yaml_v2_types_them() {
        for (text, want) in [
            ("true", Value::Bool(true)),
            ("\"false\"", Value::Str("false".into())),
            ("off", Value::Bool(false)),
            ("y", Value::Bool(true)),
            ("N", Value::Bool(false)),
            ("tRUE", Value::Str("tRUE".into())),
            ("12", Value::Int(12)),
            ("0o17", Value::Int(15)),
            ("017", Value::Int(15)),
            ("-0b101", Value::Int(-5)),
            ("0x_1F", Value::Int(31)),
            ("08", Value::Float(8.0)),
            ("1.5", Value::Float(1.5)),
            (".5", Value::Float(0.5)),
            ("1e400", Value::Str("1e400".into())),
            ("+inf", Value::Str("+inf".into())),
            ("", Value::Null),
            ("~", Value::Null),
            ("nUll", Value::Str("nUll".into())),
            ("yes please", Value::Str("yes please".into())),
            ("2001-12-14", Value::Str("2001-12-14".into())),
            ("!!str 12", Value::Str("12".into())),
            ("!!float 1", Value::Float(1.0)),
            ("!!binary aGVsbG8=", Value::Str("hello".into())),
            ("! 12", Value::Str("12".into())),
            ("18446744073709551615", Value::Float(18446744073709551615.0)),
        ] {
            assert_eq!(value(text), want, "{text}");
        }
    }

    #[test]
    fn keys_become_the_strings_helm_makes_of_them() {
        let doc = root(
            "1: a\n0x10: b\n1.5: c\n1e6: d\n3.14159265358979: e\nyes: f\nn: g\n-0.0: h\n1e-7: i\n123456.0: j\n",
        );
        let keys: Vec<&str> = match &doc.value {
            Value::Map(entries) => entries.iter().map(|e| e.key.as_str()).collect(),
            _ => panic!("mapping"),
        };
        assert_eq!(
            keys,
            [
                "1",
                "16",
                "1.5",
                "1e+06",
                "3.1415927",
                "true",
                "false",
                "-0",
                "1e-07",
                "123456"
            ]
        );
    }

    #[test]
    fn positions_are_one_based_lines_and_columns_after_a_bom() {
        let doc = root("\u{feff}# comment\r\nconfig:\r\n  telemetry:\r\n    metrics: false\r\n");
        let config = doc.entry("config").unwrap();
        assert_eq!((config.key_pos.line, config.key_pos.col), (2, 1));
        let metrics = config
            .node
            .entry("telemetry")
            .unwrap()
            .node
            .entry("metrics")
            .unwrap();
        assert_eq!((metrics.key_pos.line, metrics.key_pos.col), (4, 5));
        assert_eq!((metrics.node.pos.line, metrics.node.pos.col), (4, 14));
    }

    #[test]
    fn documents_are_cut_at_dashes_with_their_lines() {
        let parsed = parse(b"a: 1\n---\n# only a comment\n--- # x\nb: 2\n", 0).unwrap();
        assert_eq!(parsed.documents.len(), 2);
        assert_eq!(parsed.documents[1].entry("b").unwrap().key_pos.line, 5);
        let err = parse(b"a: 1\n--- b: 2\n", 0).unwrap_err();
        assert_eq!((err.line, err.col, err.hint), (2, 4, Some(SEPARATOR_HINT)));
    }

    #[test]
    fn tabs_separate_after_a_colon_and_nowhere_helm_refuses_them() {
        assert_eq!(value("\t1"), Value::Int(1));
        let err = parse(b"a:\n  -\tb\n", 0).unwrap_err();
        assert_eq!((err.line, err.col, err.hint), (2, 4, Some(TAB_HINT)));
        let err = parse(b"a:\n\tb: 1\n", 0).unwrap_err();
        assert_eq!((err.line, err.hint), (2, Some(TAB_HINT)));
    }

    #[test]
    fn duplicate_keys_keep_the_later_value_and_are_reported() {
        let parsed = parse(b"a: 1\nb:\n  c: 2\n  c: 3\na: 4\n", 0).unwrap();
        let doc = &parsed.documents[0];
        assert_eq!(doc.entry("a").unwrap().node.value, Value::Int(4));
        let paths: Vec<_> = parsed
            .duplicate_keys
            .iter()
            .map(|(p, pos)| (p.as_str(), pos.line))
            .collect();
        assert_eq!(paths, [("b.c", 4), ("a", 5)]);
    }

    #[test]
    fn merge_keys_apply_in_order_as_in_helm() {
        let parsed = parse(b"b: &b {x: 1, z: 1}\nm:\n  x: 2\n  <<: *b\n  z: 3\n", 0).unwrap();
        let m = &parsed.documents[0].entry("m").unwrap().node;
        assert_eq!(
            m.entry("x").unwrap().node.value,
            Value::Int(1),
            "the later `<<` wins"
        );
        assert_eq!(m.entry("z").unwrap().node.value, Value::Int(3));
        assert_eq!(m.entry("x").unwrap().key_pos.line, 4, "the `<<` decided it");
        assert_eq!(
            parsed.merge_overrides,
            [(
                "m.x".to_string(),
                Pos {
                    source: 0,
                    line: 3,
                    col: 3
                },
                Pos {
                    source: 0,
                    line: 4,
                    col: 3
                }
            )]
        );
    }

    #[test]
    fn alias_bombs_are_refused_as_go_yaml_refuses_them() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let err = parse(text.as_bytes(), 0).unwrap_err();
        assert!(err.message.contains("excessive aliasing"), "{err:?}");
        assert_eq!(err.kind, ErrorKind::Invalid);
    }

    #[test]
    fn deep_nesting_is_refused_at_beacon_clis_limit() {
        let ok = format!("a: {}{}\n", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(ok.as_bytes(), 0).is_ok());
        let deep = format!(
            "a: {}{}\n",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        let err = parse(deep.as_bytes(), 0).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Limit, "{err:?}");
    }

    #[test]
    fn copies_count_toward_the_node_limit() {
        // Each step copies the previous mapping: quadratic in nodes, refused early.
        let mut text = String::from("s0: &s0 {k0: v0}\n");
        for i in 1..3000 {
            text.push_str(&format!("s{i}: &s{i} {{<<: *s{}, k{i}: v{i}}}\n", i - 1));
        }
        let err = parse(text.as_bytes(), 0).unwrap_err();
        assert!(
            err.message.contains("excessive aliasing") || err.kind == ErrorKind::Limit,
            "{err:?}"
        );
    }

    #[test]
    fn a_quote_escape_reads_as_go_yaml_reads_it() {
        let doc = root("a: \"x\\'y\\'z\"\nb: 'p\\'\nc: \"\\\\'\"\nd: \"q\\'\"\n");
        let get = |k: &str| doc.entry(k).unwrap().node.value.clone();
        assert_eq!(get("a"), Value::Str("x'y'z".into()));
        assert_eq!(
            get("b"),
            Value::Str("p\\".into()),
            "single-quoted: no escapes"
        );
        assert_eq!(get("c"), Value::Str("\\'".into()));
        assert_eq!(get("d"), Value::Str("q'".into()));
        assert_eq!(doc.entry("d").unwrap().node.pos.col, 4);
    }

    #[test]
    fn json_refusals_wait_for_the_final_tree() {
        assert!(parse(b"a: .inf\n", 0).is_err());
        assert!(parse(b"a: .inf\na: 1\n", 0).is_ok());
        assert!(parse(b"~: 1\n", 0).is_err());
        assert!(parse(b"a: {~: 1}\na: 2\n", 0).is_ok());
        assert!(parse(b"m:\n  <<: {~: 1}\n", 0).is_err());
    }

    #[test]
    fn go_float_keys() {
        for (f, want) in [
            (1.0, "1"),
            (0.5, "0.5"),
            (1e6, "1e+06"),
            (123456.0, "123456"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1e20, "1e+20"),
            (-2.5, "-2.5"),
            (f64::INFINITY, ".inf"),
        ] {
            assert_eq!(go_key_float(f), want, "{f}");
        }
    }

    /// No input panics: every prefix of every small oracle case, and each with YAML's
    /// indicators written over it at every position.
    #[test]
    fn hostile_inputs_never_panic() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/helm-values/cases");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            if bytes.len() > 400 {
                continue;
            }
            for end in 0..=bytes.len() {
                let _ = parse(&bytes[..end], 0);
            }
            for at in 0..bytes.len() {
                for b in *b":\t-\"[{&*!\xff" {
                    let mut mutated = bytes.clone();
                    mutated[at] = b;
                    let _ = parse(&mutated, 0);
                }
            }
            seen += 1;
        }
        assert!(seen > 100, "{seen} cases");
    }
}
