//! One pass over the raw JSON, guided by the schema, that knows where it is.
//!
//! A decoder answers "does it decode"; this walker answers "what is wrong, and
//! where". It reads the bytes once, keeps only the path it is on (so memory does
//! not grow with the file), checks every value against its field's type, and
//! records each finding with its JSON pointer and byte offset. It checks what
//! decoders do not: id lengths, hex and zero ids, enums written as names, fields
//! in the wrong object, 64-bit integers as numbers, units, personal data.

use std::borrow::Cow;

use super::privacy;
use super::schema::{ANY_VALUE, Kind, Msg, Ty};
use super::ucum;
use super::{Finding, Severity};

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
    Bool,
    Null,
    Object,
    Array,
}

impl Scalar<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Scalar::Str(_) => "a string",
            Scalar::Num { .. } => "a number",
            Scalar::Bool => "a boolean",
            Scalar::Null => "null",
            Scalar::Object => "an object",
            Scalar::Array => "an array",
        }
    }
}

/// What a message's close checks need from its fields.
#[derive(Debug, Default)]
struct Seen<'a> {
    fields: u64,
    span_id: Option<Cow<'a, str>>,
    parent_span_id: Option<(Cow<'a, str>, usize)>,
    temporality: Option<i64>,
    severity: Option<(i64, usize)>,
    from: Option<time::OffsetDateTime>,
    to: Option<(time::OffsetDateTime, usize)>,
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
        findings: Vec::new(),
        license,
        depth: 0,
        counts: Counts::default(),
    };
    walker.ws();
    match walker.peek() {
        Some(b'{') => walker.message(root)?,
        Some(_) => {
            let start = walker.i;
            let found = walker.scalar()?;
            walker.push(
                Severity::Error,
                start,
                None,
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
    findings: Vec<Finding>,
    license: Option<&'a str>,
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

    /// The JSON pointer of the current path, plus `extra` if given.
    fn pointer(&self, extra: Option<&str>) -> String {
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
        if let Some(extra) = extra {
            push(extra);
        }
        out
    }

    fn push(
        &mut self,
        severity: Severity,
        offset: usize,
        extra: Option<&str>,
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
            Some(b't') => self.literal(b"true").map(|()| Scalar::Bool),
            Some(b'f') => self.literal(b"false").map(|()| Scalar::Bool),
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
        let mut seen = Seen::default();
        self.object(|w, key, key_at| match msg.field(key) {
            Some((index, ty)) => {
                let bit = 1u64 << index;
                if seen.fields & bit != 0 {
                    w.push(
                        Severity::Warning,
                        key_at,
                        None,
                        "duplicate-field",
                        "the field is written twice; receivers keep one of the two".to_string(),
                        "write each field once".to_string(),
                    );
                }
                seen.fields |= bit;
                w.field(ty, msg, &mut seen)
            }
            None => {
                w.unknown(msg, key, key_at);
                w.skip()
            }
        })?;
        if msg.name.ends_with("DataPoint") {
            self.counts.data_points += 1;
        }
        self.close(msg, &seen, start);
        Ok(())
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

    /// A list of scalars, each checked by `each`.
    fn scalar_list(&mut self, each: impl Fn(&mut Self, Scalar<'a>, usize)) -> Result<()> {
        self.array(|w| {
            let at = w.i;
            let value = w.scalar()?;
            each(w, value, at);
            Ok(())
        })
    }

    /// Skips a value of the wrong JSON type and reports it.
    fn wrong_type(&mut self, expected: &str) -> Result<()> {
        let at = self.i;
        let found = self.scalar()?;
        self.push(
            Severity::Error,
            at,
            None,
            "wrong-type",
            format!("expected {expected}, found {}", found.kind()),
            "receivers reject the payload or drop this value".to_string(),
        );
        Ok(())
    }

    fn field(&mut self, ty: Ty, msg: &'static Msg, seen: &mut Seen<'a>) -> Result<()> {
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
                    return self.scalar_list(|w, v, at| w.check_string(&v, at, false));
                }
                return self.wrong_type("an array of strings");
            }
            Ty::Int64List => {
                if self.peek() == Some(b'[') {
                    return self.scalar_list(|w, v, at| w.check_int64(&v, at));
                }
                return self.wrong_type("an array of 64-bit integers");
            }
            Ty::DoubleList => {
                if self.peek() == Some(b'[') {
                    return self.scalar_list(|w, v, at| w.check_double(&v, at));
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
            Ty::Str => self.check_string(&value, at, false),
            Ty::Text => self.check_string(&value, at, true),
            Ty::TraceId { optional } => {
                self.check_id(&value, at, "trace", 16, optional);
            }
            Ty::SpanId { optional } => {
                self.check_id(&value, at, "span", 8, optional);
                if msg.kind == Kind::Span {
                    if let Scalar::Str(s) = value {
                        match self.path.last() {
                            Some(Seg::Key(k)) if k == "spanId" => seen.span_id = Some(s),
                            _ => seen.parent_span_id = Some((s, at)),
                        }
                    }
                }
            }
            Ty::Bytes => match &value {
                Scalar::Str(s) => {
                    if !is_base64(s) {
                        self.push(
                            Severity::Error,
                            at,
                            None,
                            "bytes-not-base64",
                            "`bytesValue` is not base64, which proto3 JSON requires for bytes"
                                .to_string(),
                            "encode the bytes in base64".to_string(),
                        );
                    }
                }
                other => self.type_error(other, at, "a base64 string"),
            },
            Ty::Int64 => self.check_int64(&value, at),
            Ty::Int32 => match &value {
                Scalar::Num { int: true, .. } => {}
                Scalar::Str(s) if is_decimal(s) => {}
                other => self.type_error(other, at, "an integer"),
            },
            Ty::Double => self.check_double(&value, at),
            Ty::Bool => {
                if !matches!(value, Scalar::Bool) {
                    self.type_error(&value, at, "true or false");
                }
            }
            Ty::Enum { name, max } => {
                if let Some(n) = self.check_enum(&value, at, name, max) {
                    match msg.kind {
                        Kind::Sum | Kind::Histogram => seen.temporality = Some(n),
                        Kind::LogRecord => seen.severity = Some((n, at)),
                        _ => {}
                    }
                }
            }
            Ty::Unit => {
                if let Scalar::Str(unit) = &value {
                    if !ucum::is_ucum(unit) {
                        self.push(
                            Severity::Info,
                            at,
                            None,
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
                    None,
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
                    Ok(t) => match self.path.last() {
                        Some(Seg::Key(k)) if k == "from_timestamp" => seen.from = Some(t),
                        Some(Seg::Key(k)) if k == "to_timestamp" => seen.to = Some((t, at)),
                        _ => {}
                    },
                    Err(_) => self.push(
                        Severity::Error,
                        at,
                        None,
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
                        None,
                        "count-negative",
                        "a count is negative".to_string(),
                        "counts are 0 or more".to_string(),
                    );
                }
                Scalar::Num { .. } => self.push(
                    Severity::Error,
                    at,
                    None,
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
                    None,
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
            | Ty::Int64List
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
            None,
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
            self.push(
                Severity::Warning,
                at,
                None,
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

    fn check_int64(&mut self, value: &Scalar<'_>, at: usize) {
        match value {
            Scalar::Str(s) if is_decimal(s) => {}
            Scalar::Str(s) => self.push(
                Severity::Error,
                at,
                None,
                "int64-not-decimal",
                format!("`{}` is not a decimal integer", clip(s)),
                "write 64-bit integers as decimal strings, such as \"1581452773000000789\""
                    .to_string(),
            ),
            Scalar::Num { text, int: true } => {
                let big = text
                    .trim_start_matches('-')
                    .parse::<u64>()
                    .map_or(true, |n| n > SAFE_INTEGER);
                let why = if big {
                    "above 2^53, where parsers that use doubles lose precision"
                } else {
                    "decoders accept it, but OTLP/JSON writes 64-bit integers as strings"
                };
                self.push(
                    Severity::Info,
                    at,
                    None,
                    "int64-as-number",
                    format!("a 64-bit integer written as a JSON number, {why}"),
                    format!("write it as a string: \"{text}\""),
                );
            }
            Scalar::Num { .. } => self.push(
                Severity::Error,
                at,
                None,
                "int64-not-integer",
                "a 64-bit integer field holds a fraction".to_string(),
                "write a whole number as a decimal string".to_string(),
            ),
            other => self.type_error(other, at, "a 64-bit integer as a decimal string"),
        }
    }

    fn check_double(&mut self, value: &Scalar<'_>, at: usize) {
        match value {
            Scalar::Num { .. } => {}
            Scalar::Str(s) if matches!(s.as_ref(), "NaN" | "Infinity" | "-Infinity") => {}
            Scalar::Str(s) if s.parse::<f64>().is_ok_and(f64::is_finite) => {}
            other => self.type_error(other, at, "a number"),
        }
    }

    fn check_enum(&mut self, value: &Scalar<'_>, at: usize, name: &str, max: i64) -> Option<i64> {
        let n = match value {
            Scalar::Num { text, int: true } => text.parse::<i64>().ok(),
            Scalar::Str(s) if is_decimal(s) => s.parse::<i64>().ok(),
            Scalar::Str(s) => {
                self.push(
                    Severity::Error,
                    at,
                    None,
                    "enum-as-name",
                    format!(
                        "{name} written as the name `{}`; OTLP/JSON requires the integer",
                        clip(s)
                    ),
                    format!("write the enum's number (0 to {max})"),
                );
                return None;
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
                    None,
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
                    None,
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
                    None,
                    base64,
                    format!("the {what} id `{id}` is base64; OTLP/JSON writes ids in hex"),
                    format!("write the same {bytes} bytes as {hex_len} hex digits (a common exporter mistake: the proto3 JSON default for bytes)"),
                );
            } else {
                self.push(
                    Severity::Error,
                    at,
                    None,
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
                None,
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
            self.push(Severity::Error, at, None, code, message, hint);
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
                None,
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
                    None,
                    "wrong-license-field",
                    format!("this endpoint reads the license from `{right}`, not `{key}`"),
                    format!("rename `{key}` to `{right}`"),
                );
            } else {
                self.push(
                    Severity::Warning,
                    at,
                    None,
                    "undocumented-field",
                    format!("`{key}` is not a documented field of the {}", msg.name),
                    "check that Beacon expects it; undocumented data still leaves your network"
                        .to_string(),
                );
            }
            return;
        }
        self.push(
            Severity::Warning,
            at,
            None,
            "unknown-field",
            format!(
                "`{key}` is not a field of {}: receivers ignore it, so its data is lost",
                msg.name
            ),
            "check the spelling against the OTLP specification (lowerCamelCase)".to_string(),
        );
    }

    fn close(&mut self, msg: &'static Msg, seen: &Seen<'a>, start: usize) {
        for (index, (name, _)) in msg.fields.iter().enumerate() {
            if msg.required.contains(name) && seen.fields & (1u64 << index) == 0 {
                self.push(
                    Severity::Error,
                    start,
                    None,
                    "missing-field",
                    format!("the {} has no `{name}`", msg.name),
                    format!("add `{name}`, as the documentation's sample has it"),
                );
            }
        }
        let has = |name: &str| {
            msg.field(name)
                .is_some_and(|(i, _)| seen.fields & (1u64 << i) != 0)
        };
        match msg.kind {
            Kind::Span => {
                for (field, what, len) in [("traceId", "trace", 32), ("spanId", "span", 16)] {
                    if !has(field) {
                        self.push(
                            Severity::Error,
                            start,
                            None,
                            if what == "trace" {
                                "trace-id-length"
                            } else {
                                "span-id-length"
                            },
                            format!("the span has no `{field}`"),
                            format!("give every span a {len}-hex-digit `{field}`"),
                        );
                    }
                }
                if let (Some(id), Some((parent, at))) = (&seen.span_id, &seen.parent_span_id) {
                    if !id.is_empty() && id == parent {
                        self.push(
                            Severity::Error,
                            *at,
                            Some("parentSpanId"),
                            "span-parent-self",
                            "the span names itself as its parent".to_string(),
                            "a root span's parentSpanId is empty; a child's is its parent's spanId"
                                .to_string(),
                        );
                    }
                }
            }
            Kind::Sum | Kind::Histogram => {
                if seen.temporality.unwrap_or(0) == 0 {
                    let what = if msg.kind == Kind::Sum {
                        "sum"
                    } else {
                        "histogram"
                    };
                    self.push(
                        Severity::Error,
                        start,
                        None,
                        "sum-without-temporality",
                        format!("the {what} has no `aggregationTemporality`, so receivers cannot tell delta from cumulative"),
                        format!("set \"aggregationTemporality\": 1 (delta) or 2 (cumulative) on the {what} itself"),
                    );
                }
            }
            Kind::Metric => {
                let kinds = [
                    "gauge",
                    "sum",
                    "histogram",
                    "exponentialHistogram",
                    "summary",
                ];
                let count = kinds.iter().filter(|k| has(k)).count();
                if count != 1 {
                    self.push(
                        Severity::Warning,
                        start,
                        None,
                        "metric-data",
                        format!("the metric has {count} kinds of data; it needs exactly one of gauge, sum, histogram, exponentialHistogram, summary"),
                        "give each metric one data object".to_string(),
                    );
                }
            }
            Kind::NumberPoint => {
                if !has("asDouble") && !has("asInt") {
                    self.push(
                        Severity::Warning,
                        start,
                        None,
                        "point-without-value",
                        "the data point has neither `asDouble` nor `asInt`".to_string(),
                        "give the point its value".to_string(),
                    );
                }
            }
            Kind::LogRecord => {
                // A policy of Beacon's, not a rule of OTLP: an unset severity (0) is
                // not an error either.
                let (n, at, extra) = match seen.severity {
                    Some((n, at)) => (n, at, Some("severityNumber")),
                    None => (0, start, None),
                };
                if n < 17 {
                    let what = if n == 0 {
                        "the record has no severity (0, unspecified)".to_string()
                    } else {
                        format!("severity {n} is below ERROR (17)")
                    };
                    self.push(
                        Severity::Policy,
                        at,
                        extra,
                        "log-not-error",
                        format!("{what}, though LangSmith documents that only errors are exported to Beacon"),
                        "expect only records of severity 17 or more on this endpoint; real SDKs send every severity, so this is about LangSmith's policy, not OTLP".to_string(),
                    );
                }
            }
            Kind::UsageSnapshot => {
                if let (Some(from), Some((to, at))) = (seen.from, seen.to) {
                    if from >= to {
                        self.push(
                            Severity::Error,
                            at,
                            Some("to_timestamp"),
                            "window-backwards",
                            "`to_timestamp` is not after `from_timestamp`".to_string(),
                            "a snapshot covers from_timestamp up to to_timestamp".to_string(),
                        );
                    }
                }
            }
            Kind::Plain | Kind::HistogramPoint | Kind::BillingRoot => {}
        }
    }
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
    use super::unescape;

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
