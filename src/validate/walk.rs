//! One pass over the raw JSON, guided by the schema, that knows where it is.
//!
//! A decoder answers "does it decode"; this walker answers "what is wrong, and
//! where". It reads the bytes once, keeps only the path it is on (so memory does
//! not grow with the file), checks every value against its field's type, and
//! records each finding with its JSON pointer and byte offset. It checks what
//! decoders do not: id lengths, hex and zero ids, enums written as names, fields
//! in the wrong object, 64-bit integers as numbers and out of range, units,
//! personal data. What a value means beside its siblings (times in order,
//! histogram buckets that add up, unique attribute keys) is [`rules`]' part.

mod rules;

use std::borrow::Cow;

use super::privacy;
use super::schema::{ANY_VALUE, Kind, Msg, Ty};
use super::ucum;
use super::{Finding, Severity};
use rules::Frame;

/// Nesting deeper than this is refused.
const MAX_DEPTH: usize = 128;
/// 2^53: integers above it lose precision in JSON parsers that use doubles.
const SAFE_INTEGER: u64 = 1 << 53;

/// A syntax error, at a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where, in bytes from the start.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

type Result<T> = std::result::Result<T, SyntaxError>;

#[derive(Debug, Clone)]
enum Seg<'a> {
    Key(Cow<'a, str>),
    Index(usize),
}

/// A scalar as read, or the kind of composite that stood where a scalar was expected.
#[derive(Debug)]
enum Scalar<'a> {
    Str(Cow<'a, str>),
    Num { text: &'a str, int: bool },
    Bool(bool),
    Null,
    Object,
    Array,
}

impl Scalar<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Scalar::Str(_) => "a string",
            Scalar::Num { .. } => "a number",
            Scalar::Bool(_) => "a boolean",
            Scalar::Null => "null",
            Scalar::Object => "an object",
            Scalar::Array => "an array",
        }
    }
}

/// At most this many findings are kept; the rest are counted by severity. A real
/// exporter's 50 MB body has about 40,000; a hostile one could have millions.
pub const MAX_FINDINGS: usize = 100_000;

/// What the walk saw besides findings.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    /// Metric data points of every kind.
    pub data_points: usize,
    /// Findings past [`MAX_FINDINGS`], not kept: errors, warnings, infos, policy.
    pub omitted: [usize; 4],
}

/// Walks `text` as a `root` message and returns the findings and counts.
pub fn walk(
    text: &str,
    root: &'static Msg,
    license: Option<&str>,
) -> Result<(Vec<Finding>, Counts)> {
    let mut walker = Walker {
        b: text.as_bytes(),
        text,
        i: 0,
        path: Vec::new(),
        frames: Vec::new(),
        findings: Vec::new(),
        license,
        root,
        depth: 0,
        counts: Counts::default(),
    };
    if text.starts_with('\u{feff}') {
        // RFC 8259 forbids it; serde_json, and so opentelemetry-proto, refuse the
        // body. Read on past it, so every other finding is reported too.
        walker.push(
            Severity::Error,
            0,
            &[],
            "json-bom",
            "the body starts with a UTF-8 byte-order mark (EF BB BF), which JSON does not allow (RFC 8259, section 8.1): decoders such as serde_json and opentelemetry-proto refuse the whole body".to_string(),
            "remove the first three bytes; write JSON without a byte-order mark".to_string(),
        );
        walker.i = '\u{feff}'.len_utf8();
    }
    walker.ws();
    match walker.peek() {
        Some(b'{') => walker.message(root)?,
        Some(_) => {
            let start = walker.i;
            let found = walker.scalar()?;
            walker.push(
                Severity::Error,
                start,
                &[],
                "wrong-type",
                format!(
                    "the payload is {}, not an object ({})",
                    found.kind(),
                    root.name
                ),
                "a Beacon payload is one JSON object".to_string(),
            );
        }
        None => return Err(walker.syntax("the file is empty")),
    }
    walker.ws();
    if walker.i < walker.b.len() {
        return Err(walker.syntax("more text after the JSON value"));
    }
    Ok((walker.findings, walker.counts))
}

struct Walker<'a> {
    b: &'a [u8],
    text: &'a str,
    i: usize,
    path: Vec<Seg<'a>>,
    /// One frame per message being walked, innermost last: what its close checks
    /// need, and what a child reports to its parent.
    frames: Vec<Frame<'a>>,
    findings: Vec<Finding>,
    license: Option<&'a str>,
    /// The endpoint's top-level message.
    root: &'static Msg,
    depth: usize,
    counts: Counts,
}

impl<'a> Walker<'a> {
    fn syntax(&self, message: &str) -> SyntaxError {
        SyntaxError {
            offset: self.i.min(self.b.len()),
            message: message.to_string(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.i += 1;
        }
    }

    fn expect(&mut self, byte: u8, what: &str) -> Result<()> {
        if self.peek() == Some(byte) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.syntax(what))
        }
    }

    /// The JSON pointer of the current path, plus the `extra` segments.
    fn pointer(&self, extra: &[&str]) -> String {
        let mut out = String::new();
        let mut push = |seg: &str| {
            out.push('/');
            out.push_str(&seg.replace('~', "~0").replace('/', "~1"));
        };
        for seg in &self.path {
            match seg {
                Seg::Key(k) => push(k),
                Seg::Index(i) => push(&i.to_string()),
            }
        }
        for seg in extra {
            push(seg);
        }
        out
    }

    /// Records a finding at `offset`, whose pointer is the current path plus `extra`.
    fn push(
        &mut self,
        severity: Severity,
        offset: usize,
        extra: &[&str],
        code: &'static str,
        message: String,
        hint: String,
    ) {
        if self.findings.len() >= MAX_FINDINGS {
            let index = match severity {
                Severity::Error => 0,
                Severity::Warning => 1,
                Severity::Info | Severity::Note => 2,
                Severity::Policy => 3,
            };
            self.counts.omitted[index] += 1;
            return;
        }
        let pointer = self.pointer(extra);
        self.findings.push(Finding {
            severity,
            pointer,
            offset: Some(offset),
            code,
            message,
            hint,
        });
    }

    fn string(&mut self) -> Result<Cow<'a, str>> {
        self.expect(b'"', "expected a string")?;
        let start = self.i;
        let mut escaped = false;
        loop {
            match self.b.get(self.i) {
                None => return Err(self.syntax("unterminated string")),
                Some(b'"') => break,
                Some(b'\\') => {
                    escaped = true;
                    self.i += 2;
                }
                Some(c) if *c < 0x20 => {
                    return Err(self.syntax("a control character inside a string"));
                }
                Some(_) => self.i += 1,
            }
        }
        let end = self.i;
        self.i += 1;
        let raw = &self.text[start..end];
        if !escaped {
            return Ok(Cow::Borrowed(raw));
        }
        unescape(raw)
            .map(Cow::Owned)
            .map_err(|message| SyntaxError {
                offset: start,
                message,
            })
    }

    fn number(&mut self) -> Result<(&'a str, bool)> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let digits = |w: &mut Self| {
            let s = w.i;
            while let Some(b'0'..=b'9') = w.peek() {
                w.i += 1;
            }
            w.i - s
        };
        if digits(self) == 0 {
            return Err(self.syntax("a number needs digits"));
        }
        let mut int = true;
        if self.peek() == Some(b'.') {
            int = false;
            self.i += 1;
            if digits(self) == 0 {
                return Err(self.syntax("a number needs digits after the point"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            int = false;
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if digits(self) == 0 {
                return Err(self.syntax("a number needs digits in its exponent"));
            }
        }
        Ok((&self.text[start..self.i], int))
    }

    fn literal(&mut self, word: &[u8]) -> Result<()> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(())
        } else {
            Err(self.syntax("not a JSON value"))
        }
    }

    /// Reads a scalar, or skips a composite and says which it was.
    fn scalar(&mut self) -> Result<Scalar<'a>> {
        match self.peek() {
            Some(b'"') => Ok(Scalar::Str(self.string()?)),
            Some(b'-' | b'0'..=b'9') => {
                let (text, int) = self.number()?;
                Ok(Scalar::Num { text, int })
            }
            Some(b't') => self.literal(b"true").map(|()| Scalar::Bool(true)),
            Some(b'f') => self.literal(b"false").map(|()| Scalar::Bool(false)),
            Some(b'n') => self.literal(b"null").map(|()| Scalar::Null),
            Some(b'{') => self.skip().map(|()| Scalar::Object),
            Some(b'[') => self.skip().map(|()| Scalar::Array),
            _ => Err(self.syntax("not a JSON value")),
        }
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.syntax("nesting deeper than 128 levels"));
        }
        Ok(())
    }

    /// After a member or element: true at the closing `close`, false after a `,`.
    fn closes(&mut self, close: u8) -> Result<bool> {
        self.ws();
        match self.peek() {
            Some(b',') => {
                self.i += 1;
                Ok(false)
            }
            Some(c) if c == close => {
                self.i += 1;
                Ok(true)
            }
            _ => Err(self.syntax(if close == b'}' {
                "expected `,` or `}`"
            } else {
                "expected `,` or `]`"
            })),
        }
    }

    /// Walks an object at `{`, calling `each` for every member with the path on
    /// the member's key and the reader on its value.
    fn object(&mut self, mut each: impl FnMut(&mut Self, &str, usize) -> Result<()>) -> Result<()> {
        self.enter()?;
        self.expect(b'{', "expected an object")?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
        } else {
            loop {
                self.ws();
                let key_at = self.i;
                let key = self.string()?;
                self.ws();
                self.expect(b':', "expected `:` after a key")?;
                self.ws();
                self.path.push(Seg::Key(key));
                let Some(Seg::Key(key)) = self.path.last().cloned() else {
                    unreachable!("just pushed a key")
                };
                let done = each(self, &key, key_at);
                self.path.pop();
                done?;
                if self.closes(b'}')? {
                    break;
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// Walks an array at `[`, calling `each` for every element with the path on
    /// its index.
    fn array(&mut self, mut each: impl FnMut(&mut Self) -> Result<()>) -> Result<()> {
        self.enter()?;
        self.expect(b'[', "expected an array")?;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
        } else {
            let mut n = 0;
            loop {
                self.ws();
                self.path.push(Seg::Index(n));
                let done = each(self);
                self.path.pop();
                done?;
                n += 1;
                if self.closes(b']')? {
                    break;
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// Skips any value, still scanning its strings for personal data: what a
    /// receiver ignores has left the network all the same.
    fn skip(&mut self) -> Result<()> {
        match self.peek() {
            Some(b'{') => self.object(|w, _, _| w.skip()),
            Some(b'[') => self.array(Self::skip),
            Some(b'"') => {
                let start = self.i;
                let text = self.string()?;
                self.privacy(&text, start);
                Ok(())
            }
            _ => self.scalar().map(drop),
        }
    }

    fn message(&mut self, msg: &'static Msg) -> Result<()> {
        let start = self.i;
        self.frames.push(Frame::default());
        let walked = self.object(|w, key, key_at| w.member(msg, key, key_at));
        let frame = self.frames.pop().expect("pushed above");
        walked?;
        if msg.kind.is_point() {
            self.counts.data_points += 1;
        }
        self.close(msg, frame, start);
        Ok(())
    }

    /// The innermost open message's frame.
    fn frame(&mut self) -> &mut Frame<'a> {
        self.frames.last_mut().expect("inside a message")
    }

    /// One member of a message, the reader on its value.
    fn member(&mut self, msg: &'static Msg, key: &str, key_at: usize) -> Result<()> {
        let Some((index, ty)) = msg.field(key) else {
            self.unknown(msg, key, key_at);
            return self.skip();
        };
        let name = msg.fields[index].0;
        let bit = 1u64 << index;
        let frame = self.frame();
        let twice = frame.fields & bit != 0;
        frame.fields |= bit;
        if twice {
            self.push(
                Severity::Warning,
                key_at,
                &[],
                "duplicate-field",
                "the field is written twice; receivers keep one of the two".to_string(),
                "write each field once".to_string(),
            );
        }
        // proto3 JSON: `null` is the default value, so it sets no member of a oneof.
        if msg.oneof.contains(&name) && self.peek() != Some(b'n') {
            let frame = self.frame();
            match frame.oneof {
                Some(first) if first != name => self.push(
                    Severity::Error,
                    key_at,
                    &[],
                    "oneof-multiple",
                    format!(
                        "the {} has both `{first}` and `{name}`, members of one oneof: a receiver keeps one of them, which one is not defined",
                        msg.name
                    ),
                    format!("give the {} exactly one of them", msg.name),
                ),
                Some(_) => {}
                None => frame.oneof = Some(name),
            }
        }
        self.look_ahead(msg.kind, name);
        self.field(ty, msg, name)
    }

    fn list(&mut self, item: &'static Msg) -> Result<()> {
        self.array(|w| {
            if w.peek() == Some(b'{') {
                w.message(item)
            } else {
                w.wrong_type(&format!("a {} object", item.name))
            }
        })
    }

    /// A list of scalars, each checked by `each`; returns how many there were.
    fn scalar_list(&mut self, mut each: impl FnMut(&mut Self, Scalar<'a>, usize)) -> Result<usize> {
        let mut n = 0;
        self.array(|w| {
            let at = w.i;
            let value = w.scalar()?;
            each(w, value, at);
            n += 1;
            Ok(())
        })?;
        Ok(n)
    }

    /// Skips a value of the wrong JSON type and reports it.
    fn wrong_type(&mut self, expected: &str) -> Result<()> {
        let at = self.i;
        let found = self.scalar()?;
        self.push(
            Severity::Error,
            at,
            &[],
            "wrong-type",
            format!("expected {expected}, found {}", found.kind()),
            "receivers reject the payload or drop this value".to_string(),
        );
        Ok(())
    }

    /// The value of field `name` of `msg`, of type `ty`.
    fn field(&mut self, ty: Ty, msg: &'static Msg, name: &'static str) -> Result<()> {
        let at = self.i;
        match ty {
            Ty::Msg(inner) => {
                if self.peek() == Some(b'{') {
                    return self.message(inner);
                }
                if self.peek() == Some(b'n') && !msg.documented {
                    return self.literal(b"null");
                }
                return self.wrong_type(&format!("a {} object", inner.name));
            }
            Ty::AnyValue => {
                if self.peek() == Some(b'{') {
                    return self.message(&ANY_VALUE);
                }
                return self.wrong_type("an AnyValue object");
            }
            Ty::List(item) => {
                if self.peek() == Some(b'[') {
                    return self.list(item);
                }
                if self.peek() == Some(b'n') && !msg.documented {
                    return self.literal(b"null");
                }
                return self.wrong_type("an array");
            }
            Ty::StrList => {
                if self.peek() == Some(b'[') {
                    return self
                        .scalar_list(|w, v, at| w.check_string(&v, at, false))
                        .map(drop);
                }
                return self.wrong_type("an array of strings");
            }
            Ty::Uint64List => {
                if self.peek() == Some(b'[') {
                    let len = self.scalar_list(|w, v, at| match w.check_int64(&v, at, false) {
                        Some(n) => w.frame().bucket_total += n.unsigned_abs(),
                        None => w.frame().unreadable = true,
                    })?;
                    self.frame().buckets = Some((len, at));
                    return Ok(());
                }
                return self.wrong_type("an array of 64-bit integers");
            }
            Ty::DoubleList => {
                if self.peek() == Some(b'[') {
                    let mut last: Option<f64> = None;
                    let len = self.scalar_list(|w, v, at| {
                        let Some(bound) = w.check_double(&v, at) else {
                            return;
                        };
                        if let Some(before) = last.filter(|before| bound.partial_cmp(before) != Some(std::cmp::Ordering::Greater)) {
                            w.push(
                                Severity::Error,
                                at,
                                &[],
                                "histogram-bounds-order",
                                format!("bound {bound} does not follow {before} upwards: `explicitBounds` must be strictly increasing (metrics.proto)"),
                                "list each bucket's upper bound once, in increasing order".to_string(),
                            );
                        }
                        last = Some(bound);
                    })?;
                    self.frame().bounds = Some((len, at));
                    return Ok(());
                }
                return self.wrong_type("an array of numbers");
            }
            _ => {}
        }
        let value = self.scalar()?;
        if matches!(value, Scalar::Null) && !msg.documented {
            // proto3 JSON: null is the default value.
            return Ok(());
        }
        match ty {
            Ty::Str | Ty::Text => {
                self.check_string(&value, at, ty == Ty::Text);
                if let Scalar::Str(text) = value {
                    self.note_str(msg.kind, name, text, at);
                }
            }
            Ty::TraceId { optional } => {
                self.check_id(&value, at, "trace", 16, optional);
                if let Scalar::Str(id) = value {
                    self.note_id(msg.kind, name, id, at);
                }
            }
            Ty::SpanId { optional } => {
                self.check_id(&value, at, "span", 8, optional);
                if let Scalar::Str(id) = value {
                    self.note_id(msg.kind, name, id, at);
                }
            }
            Ty::Bytes => match &value {
                Scalar::Str(s) => {
                    if !is_base64(s) {
                        self.push(
                            Severity::Error,
                            at,
                            &[],
                            "bytes-not-base64",
                            "`bytesValue` is not base64, which proto3 JSON requires for bytes"
                                .to_string(),
                            "encode the bytes in base64".to_string(),
                        );
                    }
                }
                other => self.type_error(other, at, "a base64 string"),
            },
            Ty::Int64 | Ty::Uint64 => match self.check_int64(&value, at, ty == Ty::Int64) {
                Some(n) => self.note_int(msg.kind, name, n, at),
                None => self.frame().unreadable = true,
            },
            Ty::Int32 => match &value {
                Scalar::Num { int: true, .. } => {}
                Scalar::Str(s) if is_decimal(s) => {}
                other => self.type_error(other, at, "an integer"),
            },
            Ty::Double => {
                if let Some(x) = self.check_double(&value, at) {
                    self.note_double(msg.kind, name, x, at);
                }
            }
            Ty::Bool => match value {
                Scalar::Bool(b) => self.note_bool(msg.kind, name, b),
                other => self.type_error(&other, at, "true or false"),
            },
            Ty::Enum {
                name: enum_name,
                names,
            } => {
                let n = self.check_enum(&value, at, enum_name, names);
                self.note_enum(msg.kind, n, at);
            }
            Ty::Unit => {
                if let Scalar::Str(unit) = &value {
                    if !ucum::is_ucum(unit) {
                        self.push(
                            Severity::Info,
                            at,
                            &[],
                            "non-ucum-unit",
                            format!("unit `{unit}` is not UCUM; OTLP metric units follow UCUM"),
                            "use the UCUM code: `s` for seconds, `By` for bytes, `1` for counts, `{requests}` for annotated counts".to_string(),
                        );
                    }
                } else {
                    self.type_error(&value, at, "a string");
                }
            }
            Ty::Uuid => match &value {
                Scalar::Str(s) if s.len() == 36 && uuid::Uuid::parse_str(s).is_ok() => {}
                Scalar::Str(_) => self.push(
                    Severity::Error,
                    at,
                    &[],
                    "uuid-invalid",
                    "not a UUID (8-4-4-4-12 hex digits)".to_string(),
                    "write a UUID such as `af28dfea-5358-463d-a2dc-37df1da72498`".to_string(),
                ),
                other => self.type_error(other, at, "a UUID string"),
            },
            Ty::Time => match &value {
                Scalar::Str(s) => match time::OffsetDateTime::parse(
                    s,
                    &time::format_description::well_known::Rfc3339,
                ) {
                    Ok(t) => match name {
                        "from_timestamp" => self.frame().from = Some(t),
                        "to_timestamp" => self.frame().to = Some((t, at)),
                        _ => {}
                    },
                    Err(_) => self.push(
                        Severity::Error,
                        at,
                        &[],
                        "time-invalid",
                        format!("`{}` is not an RFC 3339 time", clip(s)),
                        "write a time such as `2025-01-06T10:00:00Z`".to_string(),
                    ),
                },
                other => self.type_error(other, at, "an RFC 3339 time string"),
            },
            Ty::Count => match &value {
                Scalar::Num { text, int: true } if !text.starts_with('-') => {}
                Scalar::Num { int: true, .. } => {
                    self.push(
                        Severity::Error,
                        at,
                        &[],
                        "count-negative",
                        "a count is negative".to_string(),
                        "counts are 0 or more".to_string(),
                    );
                }
                Scalar::Num { .. } => self.push(
                    Severity::Error,
                    at,
                    &[],
                    "count-not-integer",
                    "a count is not a whole number".to_string(),
                    "counts are whole numbers".to_string(),
                ),
                other => self.type_error(other, at, "a whole number"),
            },
            Ty::License => match &value {
                Scalar::Str(s) if !s.trim().is_empty() => {}
                Scalar::Str(_) => self.push(
                    Severity::Error,
                    at,
                    &[],
                    "license-empty",
                    "the license field is empty".to_string(),
                    "fill it with the license key (`beacon-cli dry-run --license-file`)"
                        .to_string(),
                ),
                other => self.type_error(other, at, "the license key as a string"),
            },
            Ty::Msg(_)
            | Ty::AnyValue
            | Ty::List(_)
            | Ty::StrList
            | Ty::Uint64List
            | Ty::DoubleList => {
                unreachable!("composites are handled above")
            }
        }
        Ok(())
    }

    fn type_error(&mut self, found: &Scalar<'_>, at: usize, expected: &str) {
        self.push(
            Severity::Error,
            at,
            &[],
            "wrong-type",
            format!("expected {expected}, found {}", found.kind()),
            "receivers reject the payload or drop this value".to_string(),
        );
    }

    fn check_string(&mut self, value: &Scalar<'_>, at: usize, scan: bool) {
        match value {
            Scalar::Str(s) => {
                if scan {
                    self.privacy(s, at);
                }
            }
            other => self.type_error(other, at, "a string"),
        }
    }

    fn privacy(&mut self, text: &str, at: usize) {
        if let Some((kind, range)) = privacy::scan(text, self.license) {
            // `service.version: "1.0.0.0"` (.NET's default assembly version) is a
            // dotted quad, not an address.
            if kind == privacy::Kind::IpAddress && self.in_version_value() {
                return;
            }
            self.push(
                Severity::Warning,
                at,
                &[],
                kind.code(),
                format!(
                    "this looks like {}: `{}`",
                    kind.noun(),
                    privacy::mask(text, range)
                ),
                "make sure it may leave your network; remove or hash it at the source if not"
                    .to_string(),
            );
        }
    }

    /// Checks a 64-bit integer (`signed`: int64 and sfixed64; else fixed64) and
    /// returns its value when it is a valid one.
    fn check_int64(&mut self, value: &Scalar<'_>, at: usize, signed: bool) -> Option<i128> {
        let (low, high): (i128, i128) = if signed {
            (i128::from(i64::MIN), i128::from(i64::MAX))
        } else {
            (0, i128::from(u64::MAX))
        };
        let out_of_range = |w: &mut Self, text: &str| {
            let (kind, range) = if signed {
                ("a signed", "-9223372036854775808 to 9223372036854775807")
            } else {
                ("an unsigned", "0 to 18446744073709551615")
            };
            w.push(
                Severity::Error,
                at,
                &[],
                "int64-out-of-range",
                format!("`{}` is outside the range of {kind} 64-bit integer ({range}): decoders refuse it", clip(text)),
                format!("write a whole number from {range}"),
            );
        };
        match value {
            Scalar::Str(s) if is_decimal(s) => match s.parse::<i128>() {
                Ok(n) if (low..=high).contains(&n) => Some(n),
                _ => {
                    out_of_range(self, s);
                    None
                }
            },
            Scalar::Str(s) => {
                self.push(
                    Severity::Error,
                    at,
                    &[],
                    "int64-not-decimal",
                    format!("`{}` is not a decimal integer", clip(s)),
                    "write 64-bit integers as decimal strings, such as \"1581452773000000789\""
                        .to_string(),
                );
                None
            }
            Scalar::Num { text, int: true } => {
                let Some(n) = text
                    .parse::<i128>()
                    .ok()
                    .filter(|n| (low..=high).contains(n))
                else {
                    out_of_range(self, text);
                    return None;
                };
                let why = if n.unsigned_abs() > u128::from(SAFE_INTEGER) {
                    "above 2^53, where parsers that use doubles lose precision"
                } else {
                    "decoders accept it, but OTLP/JSON writes 64-bit integers as strings"
                };
                self.push(
                    Severity::Info,
                    at,
                    &[],
                    "int64-as-number",
                    format!("a 64-bit integer written as a JSON number, {why}"),
                    format!("write it as a string: \"{text}\""),
                );
                Some(n)
            }
            Scalar::Num { text, .. } => {
                // A fraction or an exponent: say which of the two is wrong with it.
                let x = text.parse::<f64>().unwrap_or(f64::NAN);
                // 2^63 and 2^64 are exact in a double; the range ends just below.
                let fits = if signed {
                    (-(2f64.powi(63))..2f64.powi(63)).contains(&x)
                } else {
                    (0.0..2f64.powi(64)).contains(&x)
                };
                if fits && x.fract() == 0.0 {
                    self.push(
                        Severity::Error,
                        at,
                        &[],
                        "int64-not-integer",
                        format!("`{}` is a whole number written with a decimal point or an exponent; 64-bit integer fields take integers only", clip(text)),
                        format!("write it as a decimal string: \"{x:.0}\""),
                    );
                } else if x.is_finite() && x.fract() != 0.0 && x.abs() < 1e18 {
                    self.push(
                        Severity::Error,
                        at,
                        &[],
                        "int64-not-integer",
                        format!(
                            "`{}` holds a fraction; a 64-bit integer field takes whole numbers",
                            clip(text)
                        ),
                        "write a whole number as a decimal string".to_string(),
                    );
                } else {
                    out_of_range(self, text);
                }
                None
            }
            other => {
                self.type_error(other, at, "a 64-bit integer as a decimal string");
                None
            }
        }
    }

    /// Checks a double and returns its value.
    fn check_double(&mut self, value: &Scalar<'_>, at: usize) -> Option<f64> {
        match value {
            Scalar::Num { text, .. } => text.parse::<f64>().ok(),
            Scalar::Str(s) => match s.as_ref() {
                "NaN" => Some(f64::NAN),
                "Infinity" => Some(f64::INFINITY),
                "-Infinity" => Some(f64::NEG_INFINITY),
                other => match other.parse::<f64>() {
                    Ok(x) if x.is_finite() => Some(x),
                    _ => {
                        self.type_error(value, at, "a number");
                        None
                    }
                },
            },
            other => {
                self.type_error(other, at, "a number");
                None
            }
        }
    }

    /// Checks an enum and returns its number: given as one, or as one of its
    /// `names` (which is an error in OTLP/JSON, but says what was meant).
    fn check_enum(
        &mut self,
        value: &Scalar<'_>,
        at: usize,
        name: &str,
        names: &[&str],
    ) -> Option<i64> {
        let max = i64::try_from(names.len()).unwrap_or(i64::MAX) - 1;
        let n = match value {
            Scalar::Num { text, int: true } => text.parse::<i64>().ok(),
            Scalar::Str(s) if is_decimal(s) => s.parse::<i64>().ok(),
            Scalar::Str(s) => {
                let known = names.iter().position(|n| *n == s.as_ref());
                let (message, hint) = match known {
                    Some(n) => (
                        format!(
                            "{name} written as the name `{s}`; OTLP/JSON requires its number, {n}"
                        ),
                        format!("write {n}"),
                    ),
                    None => (
                        format!(
                            "{name} written as `{}`, which is not even one of its names; OTLP/JSON requires the number",
                            clip(s)
                        ),
                        format!("write the enum's number (0 to {max})"),
                    ),
                };
                self.push(Severity::Error, at, &[], "enum-as-name", message, hint);
                return known.and_then(|n| i64::try_from(n).ok());
            }
            other => {
                self.type_error(other, at, &format!("a {name} integer"));
                return None;
            }
        };
        match n {
            Some(n) if (0..=max).contains(&n) => Some(n),
            _ => {
                self.push(
                    Severity::Error,
                    at,
                    &[],
                    "enum-out-of-range",
                    format!("{name} must be 0 to {max}"),
                    format!("use a defined {name} value"),
                );
                None
            }
        }
    }

    fn check_id(
        &mut self,
        value: &Scalar<'_>,
        at: usize,
        what: &str,
        bytes: usize,
        optional: bool,
    ) {
        let Scalar::Str(id) = value else {
            self.type_error(value, at, &format!("a {what} id as a hex string"));
            return;
        };
        let (length, not_hex, zero, base64) = match what {
            "trace" => (
                "trace-id-length",
                "trace-id-not-hex",
                "trace-id-zero",
                "trace-id-base64",
            ),
            _ => (
                "span-id-length",
                "span-id-not-hex",
                "span-id-zero",
                "span-id-base64",
            ),
        };
        let hex_len = bytes * 2;
        if id.is_empty() {
            if !optional {
                self.push(
                    Severity::Error,
                    at,
                    &[],
                    length,
                    format!("the {what} id is empty"),
                    format!("give {bytes} random bytes as {hex_len} hex digits"),
                );
            }
            return;
        }
        if !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            let decoded =
                base64::Engine::decode(&base64::engine::general_purpose::STANDARD, id.as_bytes());
            if decoded.is_ok_and(|d| d.len() == bytes) {
                self.push(
                    Severity::Error,
                    at,
                    &[],
                    base64,
                    format!("the {what} id `{id}` is base64; OTLP/JSON writes ids in hex"),
                    format!("write the same {bytes} bytes as {hex_len} hex digits (a common exporter mistake: the proto3 JSON default for bytes)"),
                );
            } else {
                self.push(
                    Severity::Error,
                    at,
                    &[],
                    not_hex,
                    format!("`{}` is not hex; OTLP {what} ids are {bytes} bytes written as {hex_len} hex digits", clip(id)),
                    format!("write {hex_len} hex digits"),
                );
            }
            return;
        }
        if id.len() != hex_len {
            self.push(
                Severity::Error,
                at,
                &[],
                length,
                format!(
                    "`{}` is {} hex digits ({} bytes); OTLP {what} ids are {bytes} bytes ({hex_len} hex digits)",
                    clip(id),
                    id.len(),
                    id.len() as f64 / 2.0
                ),
                format!("write {hex_len} hex digits"),
            );
            return;
        }
        if id.bytes().all(|b| b == b'0') {
            let in_parent = matches!(self.path.last(), Some(Seg::Key(k)) if k == "parentSpanId");
            let (code, message, hint) = if in_parent {
                (
                    "root-parent-not-empty",
                    "an all-zero parentSpanId: a root span's parentSpanId must be empty"
                        .to_string(),
                    "write \"\" for a root span".to_string(),
                )
            } else {
                (
                    zero,
                    format!("an all-zero {what} id is invalid"),
                    format!("give {bytes} random bytes, not all zero"),
                )
            };
            self.push(Severity::Error, at, &[], code, message, hint);
        }
    }

    fn unknown(&mut self, msg: &'static Msg, key: &str, at: usize) {
        let misplaced = matches!(msg.kind, Kind::NumberPoint | Kind::HistogramPoint)
            && matches!(key, "aggregationTemporality" | "isMonotonic");
        if misplaced {
            let owner = if msg.kind == Kind::NumberPoint {
                "sum"
            } else {
                "histogram"
            };
            self.push(
                Severity::Warning,
                at,
                &[],
                "sum-field-misplaced",
                format!("`{key}` belongs to the {owner}, not to its data point: a conforming receiver ignores it here"),
                format!("move `{key}` up into the `{owner}` object"),
            );
            return;
        }
        if msg.documented {
            let other_license = match msg.name {
                "usage-snapshot request" => key == "license",
                "verify request" | "ingest-traces request" => key == "license_key",
                _ => false,
            };
            if other_license {
                let right = if key == "license" {
                    "license_key"
                } else {
                    "license"
                };
                self.push(
                    Severity::Error,
                    at,
                    &[],
                    "wrong-license-field",
                    format!("this endpoint reads the license from `{right}`, not `{key}`"),
                    format!("rename `{key}` to `{right}`"),
                );
            } else {
                self.push(
                    Severity::Warning,
                    at,
                    &[],
                    "undocumented-field",
                    format!("`{key}` is not a documented field of the {}", msg.name),
                    "check that Beacon expects it; undocumented data still leaves your network"
                        .to_string(),
                );
            }
            return;
        }
        if msg.kind == Kind::Export {
            let (this, _) = signal_of(msg);
            if let Some(other) = other_signal(key).filter(|other| *other != this) {
                self.push(
                    Severity::Error,
                    at,
                    &[],
                    "wrong-signal",
                    format!("`{key}` holds {other}: this is a {other} body, checked as {this}, and a {this} receiver finds nothing in it"),
                    format!("check it as `{other}` (`beacon-cli validate {other} FILE`), or send it to the {other} endpoint"),
                );
                return;
            }
        }
        if let Some((camel, ty)) =
            camel_case(key).and_then(|c| msg.field(&c).map(|(_, ty)| (c, ty)))
        {
            let (_, records) = signal_of(self.root);
            let lost = match ty {
                _ if msg.kind == Kind::Export => format!("every {records} in the body"),
                Ty::Msg(_) | Ty::List(_) | Ty::AnyValue => "everything under it".to_string(),
                _ => "its value".to_string(),
            };
            self.push(
                Severity::Error,
                at,
                &[],
                "snake-case-field",
                format!("`{key}` is the protobuf field name; OTLP/JSON keys are lowerCamelCase (`{camel}`) and the original names are not valid there, so receivers that follow the encoding (opentelemetry-proto's decoder among them) ignore it: {lost} is lost"),
                format!("write `{camel}`: proto3 JSON's default names (protobuf's MessageToJson without preserving_proto_field_name)"),
            );
            return;
        }
        self.push(
            Severity::Warning,
            at,
            &[],
            "unknown-field",
            format!(
                "`{key}` is not a field of {}: receivers ignore it, so its data is lost",
                msg.name
            ),
            "check the spelling against the OTLP specification (lowerCamelCase)".to_string(),
        );
    }
}

/// The signal of an OTLP request message, and the name of its records.
fn signal_of(msg: &Msg) -> (&'static str, &'static str) {
    match msg.name {
        "ExportTraceServiceRequest" => ("traces", "span"),
        "ExportMetricsServiceRequest" => ("metrics", "metric"),
        "ExportLogsServiceRequest" => ("logs", "log record"),
        _ => ("", "record"),
    }
}

/// The signal whose request's top-level list `key` names, in either spelling.
fn other_signal(key: &str) -> Option<&'static str> {
    match key {
        "resourceSpans" | "resource_spans" => Some("traces"),
        "resourceMetrics" | "resource_metrics" => Some("metrics"),
        "resourceLogs" | "resource_logs" => Some("logs"),
        _ => None,
    }
}

/// `resource_spans` as `resourceSpans`; `None` for a key that is not snake_case.
fn camel_case(key: &str) -> Option<String> {
    if !key.contains('_')
        || !key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return None;
    }
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    Some(out)
}

fn is_decimal(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

fn is_base64(s: &str) -> bool {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).is_ok()
        || base64::engine::general_purpose::URL_SAFE.decode(s).is_ok()
        || base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(s)
            .is_ok()
        || base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .is_ok()
}

/// A value for a message, cut so a long value cannot flood the output.
fn clip(s: &str) -> String {
    if s.chars().count() <= 40 {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(40).collect::<String>())
    }
}

fn unescape(raw: &str) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('/') => out.push('/'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('u') => {
                // Exactly four hex digits (`from_str_radix` alone would take a sign).
                let hex = |chars: &mut std::str::Chars<'_>| -> std::result::Result<u32, String> {
                    let code: String = chars.by_ref().take(4).collect();
                    if code.len() != 4 || !code.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err("a \\u escape needs four hex digits".to_string());
                    }
                    u32::from_str_radix(&code, 16).map_err(|_| "a bad \\u escape".to_string())
                };
                let first = hex(&mut chars)?;
                let code = match first {
                    0xD800..=0xDBFF => {
                        if chars.next() != Some('\\') || chars.next() != Some('u') {
                            return Err("a lone surrogate in a \\u escape".to_string());
                        }
                        let second = hex(&mut chars)?;
                        if !(0xDC00..=0xDFFF).contains(&second) {
                            return Err("a lone surrogate in a \\u escape".to_string());
                        }
                        0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                    }
                    0xDC00..=0xDFFF => {
                        return Err("a lone surrogate in a \\u escape".to_string());
                    }
                    code => code,
                };
                out.push(char::from_u32(code).ok_or("a bad \\u escape")?);
            }
            _ => return Err("a bad escape in a string".to_string()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::{camel_case, other_signal, unescape};

    #[test]
    fn snake_case_keys_and_other_signals_are_named() {
        assert_eq!(
            camel_case("resource_spans").as_deref(),
            Some("resourceSpans")
        );
        assert_eq!(
            camel_case("time_unix_nano").as_deref(),
            Some("timeUnixNano")
        );
        for not_snake in ["resourceSpans", "Resource_Spans", "name", "a-b"] {
            assert_eq!(camel_case(not_snake), None, "{not_snake}");
        }
        assert_eq!(other_signal("resource_logs"), Some("logs"));
        assert_eq!(other_signal("resourceMetrics"), Some("metrics"));
        assert_eq!(other_signal("spans"), None);
    }

    #[test]
    fn escapes_are_strict_json() {
        assert_eq!(unescape(r"a\u00e9\ud83d\ude00\n").unwrap(), "aé😀\n");
        for bad in [
            r"\u+12a",
            r"\u12",
            r"\ud800\u0041",
            r"\udc00",
            r"\ud800",
            r"\x",
        ] {
            assert!(unescape(bad).is_err(), "{bad}");
        }
    }
}
