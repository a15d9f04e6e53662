//! Secrets: which values are secret, how they are named without being shown, and
//! the [`Redactor`] that hides every secret in force from everything beacon-cli writes.
//!
//! A secret is never printed. It is named by a short fingerprint (the first eight
//! hex digits of its SHA-256), enough to tell two keys apart and to match a key the
//! operator holds, and useless for recovering it.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::ops::Range;
use std::sync::RwLock;

use base64::Engine;
use sha2::{Digest, Sha256};

/// A secret value. Its `Debug` and `Display` print the redaction marker, so a
/// secret cannot reach a log or an error message by accident; [`Secret::expose`]
/// is the one way to the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the request body and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The short fingerprint.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.0)
    }

    /// The marker shown in its place.
    pub fn marker(&self) -> String {
        redacted(&self.0)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.marker())
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.marker())
    }
}

/// Value keys that hold secrets, as dotted paths in the values file.
pub const SECRET_KEYS: &[&str] = &[
    "config.langsmithLicenseKey",
    "config.apiKeySalt",
    "config.basicAuth.jwtSecret",
    "config.basicAuth.initialOrgAdminPassword",
    "config.oauth.oauthClientSecret",
];

/// Environment variables whose values are secrets.
pub const SECRET_ENV: &[&str] = &["LANGSMITH_LICENSE_KEY", "API_KEY_SALT"];

/// A short, stable fingerprint of a secret: `sha256:` and eight hex digits.
pub fn fingerprint(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    format!("sha256:{}", const_hex::encode(&digest[..4]))
}

/// The marker printed in place of a secret.
pub fn redacted(secret: &str) -> String {
    format!("<redacted {}>", fingerprint(secret))
}

/// True for a variable name that may carry a secret: the known ones, and any
/// name that says it is a password, secret, token or key.
pub fn is_secret_env(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_ENV.contains(&upper.as_str())
        || ["PASSWORD", "SECRET", "TOKEN", "_KEY", "SALT"]
            .iter()
            .any(|word| upper.contains(word))
}

/// True for a values key whose string value is a secret: a password, a secret, a
/// token, a salt, a license or API key; not the *name* of a Secret or a key in it.
pub fn is_secret_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    let names_a_secret = ["name", "ref", "file", "path", "enabled", "keyref"]
        .iter()
        .any(|suffix| lower.ends_with(suffix));
    !names_a_secret
        && [
            "password",
            "passwd",
            "secret",
            "token",
            "salt",
            "licensekey",
            "apikey",
            "privatekey",
        ]
        .iter()
        .any(|word| lower.contains(word))
}

/// The credentials of a URL or proxy address, `user:password` before the `@`,
/// with or without a scheme (`http://u:p@host:3128`, `u:p@host:3128`).
pub fn url_credentials(text: &str) -> Option<&str> {
    let rest = match url_scheme(text) {
        Some(scheme) => &text[scheme.len() + "://".len()..],
        None => text,
    };
    // The host part ends at the first `/`, `?` or `#` after the last `@`: a
    // password may itself hold `/`, `#` or `@` unencoded.
    let at = rest.rfind('@')?;
    let credentials = &rest[..at];
    (!credentials.is_empty()).then_some(credentials)
}

/// The scheme of `scheme://...`: a letter, then letters, digits, `+`, `-` or `.`
/// (RFC 3986). A `://` after anything else is no scheme's: in `u:pw://x@host` it
/// is in the password, in `u:pw@host/?to=http://x` in the path.
pub fn url_scheme(text: &str) -> Option<&str> {
    let (scheme, _) = text.split_once("://")?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    valid.then_some(scheme)
}

/// `%XX` escapes decoded (invalid UTF-8 replaced), as an HTTP library decodes
/// the credentials of a URL before it sends them.
pub fn percent_decode(text: &str) -> String {
    let bytes: Vec<u8> = PercentDecode::new(raw(text, 0..text.len()))
        .map(|(b, _)| b)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A URL with any `user:password@` credentials replaced by a marker. Text that
/// holds no credentials is returned as is.
pub fn redact_url_credentials(url: &str) -> String {
    match url_credentials(url) {
        Some(credentials) => url.replacen(credentials, &redacted(credentials), 1),
        None => url.to_string(),
    }
}

/// Response headers whose whole value is a credential.
pub fn is_sensitive_header(name: &str) -> bool {
    [
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
    ]
    .contains(&name.to_ascii_lowercase().as_str())
}

/// Secrets shorter than this are not searched for in base64: the cores would be
/// too short to be told from ordinary text.
const MIN_BASE64_SECRET: usize = 6;

/// Secrets longer than this are hidden as written only, not through escapes or
/// base64. No license, password or real token comes near it; only a hostile
/// server's "token" does, and following it through every encoding would cost
/// memory in proportion to its length.
pub const MAX_ENCODED_SECRET: usize = 64 * 1024;

/// A secret cut by a limit at the very end of a text is hidden when at least
/// this many of its first bytes are there.
const MIN_CUT: usize = 4;

/// How far before the end of a cut text the cut secret may end: an escape
/// sequence itself cut in half (`\u00`, `%4`) or a base64 group leaves a few
/// bytes that decode to nothing.
const CUT_SLACK: usize = 12;

/// A pattern and its Knuth-Morris-Pratt failure table: finds every occurrence in
/// a stream of bytes in time linear in the stream, whatever the pattern holds (a
/// hostile server chooses its token, and the text around it).
#[derive(Debug)]
struct Kmp {
    pattern: Vec<u8>,
    /// `table[i]`: the length of the longest proper prefix of `pattern[..=i]`
    /// that is also its suffix.
    table: Vec<usize>,
}

impl Kmp {
    fn new(pattern: &[u8]) -> Self {
        let mut table = vec![0; pattern.len()];
        let mut k = 0;
        for i in 1..pattern.len() {
            while k > 0 && pattern[i] != pattern[k] {
                k = table[k - 1];
            }
            if pattern[i] == pattern[k] {
                k += 1;
            }
            table[i] = k;
        }
        Self {
            pattern: pattern.to_vec(),
            table,
        }
    }

    /// The state after `byte`: how many of the pattern's first bytes the stream
    /// now ends with. A full match is `pattern.len()`; [`Kmp::step`] restarts
    /// from there by itself.
    fn step(&self, mut state: usize, byte: u8) -> usize {
        if state == self.pattern.len() {
            state = self.table[state - 1];
        }
        while state > 0 && self.pattern[state] != byte {
            state = self.table[state - 1];
        }
        if self.pattern.get(state) == Some(&byte) {
            state += 1;
        }
        state
    }

    /// Where, in `text`, a prefix of the pattern at least [`MIN_CUT`] long ends
    /// within [`CUT_SLACK`] bytes of the end: the start of the earliest such.
    fn cut_at_end(&self, text: &[u8]) -> Option<usize> {
        let from = text.len().saturating_sub(self.pattern.len() + CUT_SLACK);
        let mut state = 0;
        let mut found = None;
        for (i, &byte) in text.iter().enumerate().skip(from) {
            state = self.step(state, byte);
            if state >= MIN_CUT && i + CUT_SLACK >= text.len() {
                let start = i + 1 - state;
                found = Some(found.map_or(start, |f: usize| f.min(start)));
            }
        }
        found
    }
}

/// One secret in force and the forms it is looked for in.
#[derive(Debug)]
struct Protected {
    /// The value, as bytes.
    raw: Vec<u8>,
    /// What is printed in its place.
    marker: String,
    /// Literal forms found by plain search: the value, and the base64 cores.
    literals: Vec<Vec<u8>>,
    /// The matcher that follows it through escapes; `None` for a secret longer
    /// than [`MAX_ENCODED_SECRET`].
    decoded: Option<Kmp>,
}

impl Protected {
    fn new(value: &str, marker: String) -> Self {
        let raw = value.as_bytes().to_vec();
        let mut literals = vec![raw.clone()];
        let encoded = raw.len() <= MAX_ENCODED_SECRET;
        if raw.len() >= MIN_BASE64_SECRET && encoded {
            // Inside any base64 text, a secret starting at byte offset k of a
            // 3-byte group leaves the base64 of its aligned middle intact: three
            // alignments, two alphabets. (A Basic `Authorization` of `user:pass`
            // holds the base64 of the whole pair, found the same way.)
            for skip in 0..3 {
                let Some(rest) = raw.get(skip..) else {
                    continue;
                };
                let aligned = &rest[..rest.len() - rest.len() % 3];
                if aligned.len() < 3 {
                    continue;
                }
                for engine in [
                    &base64::engine::general_purpose::STANDARD_NO_PAD,
                    &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                ] {
                    let core = engine.encode(aligned).into_bytes();
                    if !literals.contains(&core) {
                        literals.push(core);
                    }
                }
            }
        }
        Self {
            decoded: encoded.then(|| Kmp::new(&raw)),
            raw,
            marker,
            literals,
        }
    }
}

/// Knows every secret in force and hides each from text in all its encodings: as
/// written, JSON-escaped (`\"`, `\\`, `\u0041`, in any mix), percent-encoded (in
/// any mix), and base64 (alone, or inside a Basic `Authorization` header).
///
/// It is the one place that decides what must not leak: the output boundary
/// ([`crate::output::Output`]) passes everything it writes through it.
#[derive(Debug, Default)]
pub struct Redactor {
    inner: RwLock<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    secrets: Vec<Protected>,
    reveal: bool,
}

impl Redactor {
    /// A redactor that knows no secret yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a secret. The empty string is not one, nor a bare YAML or JSON
    /// keyword (`true`, `false`, `null`, `yes`, ...) or a short number: a Secret
    /// object may hold them, and hiding them would hide every `false` in a report.
    pub fn protect(&self, secret: &Secret) {
        let value = secret.expose();
        let keyword = [
            "true", "false", "null", "yes", "no", "on", "off", "none", "~",
        ]
        .contains(&value.trim().to_ascii_lowercase().as_str());
        let short_number = value.len() < 8 && value.trim().parse::<f64>().is_ok();
        if value.trim().is_empty() || keyword || short_number {
            return;
        }
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        // The secret, and the forms that rewrite its characters rather than
        // escape them, each followed through escapes in turn: a JSON pointer
        // (`/` as `~1`, `~` as `~0`, RFC 6901; validate points at keys), and a
        // YAML single-quoted string (`'` as `''`).
        let forms = [
            value.to_string(),
            value.replace('~', "~0").replace('/', "~1"),
            value.replace('\'', "''"),
        ];
        for form in forms {
            if !inner.secrets.iter().any(|p| p.raw == form.as_bytes()) {
                inner.secrets.push(Protected::new(&form, secret.marker()));
            }
        }
    }

    /// Stops redacting: the user asked with `--reveal-secrets`.
    pub fn reveal(&self) {
        self.inner.write().unwrap_or_else(|e| e.into_inner()).reveal = true;
    }

    /// `text` with every secret in force replaced by its marker.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.redact_with(text, false)
    }

    /// Like [`Redactor::redact`], for text that was cut at a limit: a secret cut
    /// in half at the very end is hidden too (its first four or more bytes), in
    /// any of the forms a whole one is.
    pub fn redact_cut<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.redact_with(text, true)
    }

    fn redact_with<'a>(&self, text: &'a str, cut: bool) -> Cow<'a, str> {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        if inner.reveal || inner.secrets.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut hits: Vec<(Range<usize>, usize)> = Vec::new();
        for (index, secret) in inner.secrets.iter().enumerate() {
            for literal in &secret.literals {
                for start in memchr::memmem::find_iter(text.as_bytes(), literal) {
                    hits.push((start..start + literal.len(), index));
                }
                if cut {
                    if let Some(start) = Kmp::new(literal).cut_at_end(text.as_bytes()) {
                        hits.push((start..text.len(), index));
                    }
                }
            }
        }
        let cut_at = cut.then_some(text.len());
        // A decoded stream can find more than the plain search only near what it
        // decodes: a backslash, a `%`, an ellipsis, or the end of a cut text.
        // Only those stretches of the text are decoded, so a 16 MiB answer with a
        // few escapes costs a plain search, not four decoding passes.
        let longest = inner
            .secrets
            .iter()
            .filter(|s| s.decoded.is_some())
            .map(|s| s.raw.len())
            .max()
            .unwrap_or(0);
        let reach = longest * MAX_ESCAPED_BYTES + CUT_SLACK;
        // A secret cut short, as written: at the limit, or before an ellipsis.
        for range in stretches(text, "…", reach, cut) {
            decoded_hits(raw(text, range), &inner.secrets, cut_at, &mut hits);
        }
        // JSON inside JSON (a body in `-o json`) escapes twice; YAML's
        // double-quoted strings escape the same way. Each level decodes the one
        // below, every byte still knowing where in the text it came from. Level d
        // decodes something only where the text holds 2^(d-1) backslashes in a
        // row: a quick search skips the levels that cannot.
        let depths = (1..=MAX_ESCAPE_LEVELS)
            .take_while(|d| text.contains(&"\\".repeat(1 << (d - 1))))
            .last()
            .unwrap_or(0);
        for range in stretches(text, "\\", reach, cut && depths > 0) {
            for depth in 1..=depths {
                let mut decoded: Box<dyn Iterator<Item = Decoded> + '_> =
                    Box::new(raw(text, range.clone()));
                for _ in 0..depth {
                    decoded = Box::new(Unescape::new(decoded));
                }
                decoded_hits(decoded, &inner.secrets, cut_at, &mut hits);
            }
        }
        for range in stretches(text, "%", reach, false) {
            decoded_hits(
                PercentDecode::new(raw(text, range)),
                &inner.secrets,
                cut_at,
                &mut hits,
            );
        }
        if hits.is_empty() {
            return Cow::Borrowed(text);
        }
        hits.sort_by_key(|(range, _)| (range.start, std::cmp::Reverse(range.end)));
        let mut out = String::with_capacity(text.len());
        let mut done = 0;
        for (range, index) in hits {
            // A hit found in a decoded stream or at a cut may start or end inside
            // a multi-byte character: it is widened to whole characters.
            let mut start = range.start;
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = range.end;
            while !text.is_char_boundary(end) {
                end += 1;
            }
            if end <= done {
                continue;
            }
            // A hit overlapping the one before extends it, under the same marker.
            if start >= done {
                out.push_str(&text[done..start]);
                out.push_str(&inner.secrets[index].marker);
            }
            done = end;
        }
        out.push_str(&text[done..]);
        Cow::Owned(out)
    }
}

/// How many levels of JSON escaping are looked through: a body inside JSON
/// output is escaped twice.
const MAX_ESCAPE_LEVELS: usize = 3;

/// One decoded byte and the bytes of the text it came from.
type Decoded = (u8, Range<usize>);

/// The text's bytes, each coming from itself.
fn raw(text: &str, range: Range<usize>) -> impl Iterator<Item = Decoded> + '_ {
    text.as_bytes()[range.clone()]
        .iter()
        .zip(range)
        .map(|(&b, i)| (b, i..i + 1))
}

/// The most bytes of text one byte of a secret can take, escaped at the deepest
/// level looked through: `\\\\u0041` for `A`, three levels deep.
const MAX_ESCAPED_BYTES: usize = 12;

/// The stretches of `text` within `reach` bytes of an occurrence of `mark`
/// (and of its end, with `end`), merged. A stretch begins `reach` bytes before
/// the first mark in it, so no escape sequence begins before it.
fn stretches(text: &str, mark: &str, reach: usize, end: bool) -> Vec<Range<usize>> {
    let len = text.len();
    let mut near: Vec<Range<usize>> = memchr::memmem::find_iter(text.as_bytes(), mark.as_bytes())
        .map(|at| at.saturating_sub(reach)..(at + mark.len() + reach).min(len))
        .chain(end.then(|| len.saturating_sub(reach)..len))
        .collect();
    near.sort_by_key(|r| r.start);
    let mut out: Vec<Range<usize>> = Vec::new();
    for range in near {
        match out.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => out.push(range),
        }
    }
    out
}

/// The ellipsis that marks a value cut for a message (`lic-CANA…`), in UTF-8.
const ELLIPSIS: [u8; 3] = [0xE2, 0x80, 0xA6];

/// Records where a secret appears in a decoded stream, as ranges of the original
/// text: each secret's matcher advances one step per decoded byte (linear time,
/// whatever the secret and the text hold), and a ring of the origins of the last
/// bytes gives where a match began.
///
/// A secret cut short counts too: its first bytes (at least [`MIN_CUT`]) right
/// before an ellipsis `…`, which is how a message cuts a long value; and, with
/// `cut_at` (the text's length, when it was cut at a limit), its first bytes
/// ending the stream.
fn decoded_hits(
    decoded: impl Iterator<Item = Decoded>,
    secrets: &[Protected],
    cut_at: Option<usize>,
    hits: &mut Vec<(Range<usize>, usize)>,
) {
    let longest = secrets
        .iter()
        .filter_map(|s| s.decoded.as_ref())
        .map(|k| k.pattern.len())
        .max()
        .unwrap_or(0);
    if longest == 0 {
        return;
    }
    // The origins of the last bytes: enough for the longest secret, and the
    // ellipsis after a cut one.
    let keep = longest + ELLIPSIS.len();
    let mut starts: VecDeque<usize> = VecDeque::with_capacity(keep);
    let mut states = vec![0usize; secrets.len()];
    let mut tails: Vec<Option<usize>> = vec![None; secrets.len()];
    // The states just before the last byte 0xE2, while the bytes after it may
    // still make an ellipsis: how many of them matched so far.
    let mut before_ellipsis: Option<(Vec<usize>, usize)> = None;
    for (byte, origin) in decoded {
        if starts.len() == keep {
            starts.pop_front();
        }
        starts.push_back(origin.start);
        before_ellipsis = match before_ellipsis.take() {
            _ if byte == ELLIPSIS[0] => Some((states.clone(), 1)),
            Some((saved, seen)) if byte == ELLIPSIS[seen] && seen + 1 < ELLIPSIS.len() => {
                Some((saved, seen + 1))
            }
            Some((saved, seen)) if seen + 1 == ELLIPSIS.len() && byte == ELLIPSIS[seen] => {
                // `…` ends here; a prefix ended right before it.
                for (index, &state) in saved.iter().enumerate() {
                    if state >= MIN_CUT && state < secrets[index].raw.len() {
                        let at = starts.len() - ELLIPSIS.len();
                        hits.push((starts[at - state]..starts[at], index));
                    }
                }
                None
            }
            _ => None,
        };
        let near_end = cut_at.is_some_and(|end| origin.end + CUT_SLACK >= end);
        for (index, secret) in secrets.iter().enumerate() {
            let Some(kmp) = &secret.decoded else {
                continue;
            };
            let state = kmp.step(states[index], byte);
            states[index] = state;
            let from = |n: usize| starts[starts.len() - n];
            if state == kmp.pattern.len() {
                hits.push((from(state)..origin.end, index));
            } else if near_end && state >= MIN_CUT {
                let start = from(state);
                tails[index] = Some(tails[index].map_or(start, |t| t.min(start)));
            }
        }
    }
    if let Some(end) = cut_at {
        for (index, tail) in tails.into_iter().enumerate() {
            if let Some(start) = tail {
                hits.push((start..end, index));
            }
        }
    }
}

/// A stream of bytes with one level of JSON string escapes decoded (`\"`, `\\`,
/// `\/`, `\n`..., `\u0041`, surrogate pairs); anything else passes through.
struct Unescape<I> {
    inner: I,
    ahead: VecDeque<Decoded>,
    out: VecDeque<Decoded>,
}

impl<I: Iterator<Item = Decoded>> Unescape<I> {
    fn new(inner: I) -> Self {
        Self {
            inner,
            ahead: VecDeque::new(),
            out: VecDeque::new(),
        }
    }

    /// The bytes after the current one, read ahead as far as `n`.
    fn peek(&mut self, n: usize) -> &VecDeque<Decoded> {
        while self.ahead.len() < n {
            match self.inner.next() {
                Some(item) => self.ahead.push_back(item),
                None => break,
            }
        }
        &self.ahead
    }

    /// Four hex digits at `at` in the look-ahead.
    fn hex4(&mut self, at: usize) -> Option<u32> {
        let digits: Vec<u8> = self
            .peek(at + 4)
            .iter()
            .skip(at)
            .take(4)
            .map(|(b, _)| *b)
            .collect();
        if digits.len() < 4 {
            return None;
        }
        u32::from_str_radix(std::str::from_utf8(&digits).ok()?, 16).ok()
    }
}

impl<I: Iterator<Item = Decoded>> Iterator for Unescape<I> {
    type Item = Decoded;

    fn next(&mut self) -> Option<Decoded> {
        if let Some(item) = self.out.pop_front() {
            return Some(item);
        }
        let first = match self.ahead.pop_front() {
            Some(item) => item,
            None => self.inner.next()?,
        };
        if first.0 != b'\\' {
            return Some(first);
        }
        let Some(kind) = self.peek(1).front().map(|(b, _)| *b) else {
            return Some(first);
        };
        let simple = match kind {
            b'"' | b'\\' | b'/' => Some(kind),
            b'b' => Some(8),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            _ => None,
        };
        if let Some(byte) = simple {
            let (_, second) = self.ahead.pop_front()?;
            return Some((byte, first.1.start..second.end));
        }
        if kind != b'u' {
            return Some(first);
        }
        let Some(high) = self.hex4(1) else {
            return Some(first);
        };
        let mut used = 5;
        let mut code = high;
        if (0xD800..0xDC00).contains(&high) {
            let escaped = self
                .peek(7)
                .iter()
                .skip(5)
                .take(2)
                .map(|(b, _)| *b)
                .eq(*b"\\u");
            if let Some(low) = self
                .hex4(7)
                .filter(|l| escaped && (0xDC00..0xE000).contains(l))
            {
                code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                used = 11;
            }
        }
        let Some(c) = char::from_u32(code) else {
            return Some(first);
        };
        let consumed: Vec<Decoded> = self.ahead.drain(..used).collect();
        let origin = first.1.start..consumed.last().map_or(first.1.end, |(_, r)| r.end);
        let mut buf = [0u8; 4];
        self.out
            .extend(c.encode_utf8(&mut buf).bytes().map(|b| (b, origin.clone())));
        self.out.pop_front()
    }
}

/// A stream of bytes with `%XX` escapes decoded (`+` stays `+`).
struct PercentDecode<I: Iterator> {
    inner: std::iter::Peekable<I>,
    /// A byte read ahead that turned out not to be part of an escape.
    pending: Option<Decoded>,
}

impl<I: Iterator<Item = Decoded>> PercentDecode<I> {
    fn new(inner: I) -> Self {
        Self {
            inner: inner.peekable(),
            pending: None,
        }
    }
}

impl<I: Iterator<Item = Decoded>> Iterator for PercentDecode<I> {
    type Item = Decoded;

    fn next(&mut self) -> Option<Decoded> {
        let first = match self.pending.take() {
            Some(item) => item,
            None => self.inner.next()?,
        };
        if first.0 != b'%' {
            return Some(first);
        }
        let hex = |b: u8| (b as char).to_digit(16);
        let Some(high) = self.inner.peek().and_then(|(b, _)| hex(*b)) else {
            return Some(first);
        };
        let second = self.inner.next()?;
        match self.inner.peek().and_then(|(b, _)| hex(*b)) {
            Some(low) => {
                let (_, third) = self.inner.next()?;
                Some(((high * 16 + low) as u8, first.1.start..third.end))
            }
            // `%4` followed by a non-digit: both bytes stand for themselves; the
            // second comes out as its own byte next time.
            None => {
                self.pending = Some(second);
                Some(first)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redactor(secrets: &[&str]) -> Redactor {
        let r = Redactor::new();
        for s in secrets {
            r.protect(&Secret::new(*s));
        }
        r
    }

    #[test]
    fn fingerprints_are_short_stable_and_distinct() {
        let a = fingerprint("lic-AAAA");
        assert_eq!(a, fingerprint("lic-AAAA"));
        assert_ne!(a, fingerprint("lic-AAAB"));
        assert_eq!(a.len(), "sha256:".len() + 8);
        assert!(!a.contains("AAAA"));
    }

    #[test]
    fn proxy_credentials_are_found_with_or_without_a_scheme() {
        for (url, creds) in [
            (
                "http://bob:hunter2@proxy.corp:3128/path",
                Some("bob:hunter2"),
            ),
            ("bob:hunter2@proxy.corp:3128", Some("bob:hunter2")),
            ("http://bob:hu#n/t@r2@proxy:3128", Some("bob:hu#n/t@r2")),
            ("http://proxy.corp:3128", None),
            // Found by fuzzing: a `://` in the password or the path is no scheme.
            ("bob:pw://x@proxy:3128", Some("bob:pw://x")),
            ("bob:hunter2@proxy:3128/?to=http://x", Some("bob:hunter2")),
            ("HTTP+x.y-z://bob:hunter2@proxy", Some("bob:hunter2")),
        ] {
            assert_eq!(url_credentials(url), creds, "{url}");
        }
        let shown = redact_url_credentials("http://bob:hunter2@proxy.corp:3128/path");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.starts_with("http://<redacted sha256:"));
        assert!(shown.ends_with("@proxy.corp:3128/path"));
    }

    #[test]
    fn secrets_never_print_themselves() {
        let secret = Secret::new("lic-AAAA");
        assert!(!format!("{secret} {secret:?}").contains("AAAA"));
        assert_eq!(secret.expose(), "lic-AAAA");
    }

    #[test]
    fn every_encoding_is_redacted() {
        let key = "lic-CANARY-\"q\\/t\u{e9}-0123456789";
        let r = redactor(&[key]);
        let json = serde_json::to_string(key).unwrap();
        let all_u: String = key.encode_utf16().map(|u| format!("\\u{u:04X}")).collect();
        let mixed = json.replacen('C', "\\u0043", 1).replacen('N', "\\u004e", 1);
        let percent: String = key.bytes().map(|b| format!("%{b:02x}")).collect();
        let some_percent = key.replace('"', "%22").replace('\\', "%5C");
        let b64 = base64::engine::general_purpose::STANDARD.encode(key);
        let b64_shifted = base64::engine::general_purpose::URL_SAFE.encode(format!("xy{key}zz"));
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("bob:{key}"));
        let twice = serde_json::to_string(&serde_json::to_string(key).unwrap()).unwrap();
        let thrice = serde_json::to_string(&twice).unwrap();
        for text in [
            twice,
            thrice,
            key.to_string(),
            json,
            all_u,
            mixed,
            percent,
            some_percent,
            b64,
            b64_shifted,
            basic,
        ] {
            let framed = format!("before {text} after");
            let shown = r.redact(&framed);
            assert!(
                shown.starts_with("before ") && shown.ends_with(" after"),
                "{shown}"
            );
            assert!(shown.contains("<redacted sha256:"), "{text} -> {shown}");
            assert!(!shown.contains("CANARY"), "{text} -> {shown}");
        }
    }

    #[test]
    fn text_without_secrets_is_untouched_and_reveal_turns_it_off() {
        let r = redactor(&["hunter22"]);
        for odd in ["%", "%4", "%4z hunter22", "\\", "\\u12", "\\ud800\\u0041"] {
            assert!(!r.redact(odd).contains("hunter22"), "{odd}");
        }
        assert_eq!(r.redact("%4z"), "%4z");
        assert!(matches!(
            r.redact("nothing here \\n 100%"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            r.redact("a hunter22 b"),
            format!("a {} b", redacted("hunter22"))
        );
        r.reveal();
        assert_eq!(r.redact("a hunter22 b"), "a hunter22 b");
    }

    #[test]
    fn keywords_and_short_numbers_are_not_secrets() {
        let r = redactor(&["false", "True", "8080", ""]);
        assert_eq!(r.redact("false True 8080"), "false True 8080");
    }

    #[test]
    fn a_secret_cut_at_the_end_is_hidden() {
        let r = redactor(&["lic-CANARY-0123456789"]);
        let shown = r.redact_cut("{\"echo\": \"lic-CANA");
        assert!(!shown.contains("CANA"), "{shown}");
        assert!(shown.ends_with('>'), "{shown}");
        assert_eq!(r.redact_cut("{\"echo\": \"li"), "{\"echo\": \"li");
    }

    #[test]
    fn a_secret_cut_in_any_encoding_is_hidden() {
        let key = "lic-CANARY-\"q\\\t/#@%\u{e9}-0123456789";
        let r = redactor(&[key]);
        let json = serde_json::to_string(key).unwrap();
        let all_u: String = key.encode_utf16().map(|u| format!("\\u{u:04x}")).collect();
        let percent: String = key.bytes().map(|b| format!("%{b:02X}")).collect();
        let b64 = base64::engine::general_purpose::STANDARD.encode(key);
        for form in [json.as_str(), &all_u, &percent, &b64] {
            // Every cut from the first 9 bytes to one short of the whole.
            for at in 9..form.len() - 1 {
                if !form.is_char_boundary(at) {
                    continue;
                }
                let text = format!("{{\"echo\": {}", &form[..at]);
                let shown = r.redact_cut(&text);
                assert!(!shown.contains("CANA"), "{text} -> {shown}");
                assert!(
                    !shown.contains("\\u0043\\u0041\\u004e"),
                    "{text} -> {shown}"
                );
                assert!(!shown.contains("%43%41%4E"), "{text} -> {shown}");
                assert!(!shown.contains("Q0FOQV"), "{text} -> {shown}");
            }
        }
    }

    #[test]
    fn a_secret_cut_before_an_ellipsis_is_hidden() {
        let key = "lic-CANARY-\"q\\/0123456789";
        let r = redactor(&[key]);
        for text in [
            "`lic-CANARY-\"q\\/01…` is not hex".to_string(),
            format!(
                "{{\"message\": {}}}",
                serde_json::to_string("`lic-CANARY-\"q…` is bad").unwrap()
            ),
        ] {
            let shown = r.redact(&text);
            assert!(!shown.contains("CANA"), "{text} -> {shown}");
            assert!(shown.contains('…'), "{shown}");
        }
        assert_eq!(
            r.redact("`lic…` stays: too short"),
            "`lic…` stays: too short"
        );
    }

    #[test]
    fn a_secret_as_a_json_pointer_or_in_single_quotes_is_hidden() {
        let key = "it's/a~secret-CANARY";
        let r = redactor(&[key]);
        for text in [
            "/resourceSpans/0/it's~1a~0secret-CANARY".to_string(),
            serde_json::to_string("/it's~1a~0secret-CANARY").unwrap(),
            "key: 'it''s/a~secret-CANARY'".to_string(),
        ] {
            let shown = r.redact(&text);
            assert!(!shown.contains("CANARY"), "{text} -> {shown}");
        }
    }

    #[test]
    fn escapes_far_apart_in_a_long_text_are_each_decoded() {
        let key = "lic-CANARY-\"q\\\t/0123456789";
        let r = redactor(&[key]);
        let json = serde_json::to_string(key).unwrap();
        let all_u: String = key.encode_utf16().map(|u| format!("\\u{u:04x}")).collect();
        let percent: String = key.bytes().map(|b| format!("%{b:02x}")).collect();
        let filler = "x".repeat(300_000);
        let text = format!(
            "\\n{filler}{json}{filler}{all_u}{filler}{percent}{filler}{}",
            &json[..20]
        );
        let start = std::time::Instant::now();
        let shown = r.redact_cut(&text);
        assert!(start.elapsed() < std::time::Duration::from_secs(10));
        assert!(!shown.contains("CANA"), "a form was missed");
        assert!(!shown.contains("\\u0043"), "the \\u form was missed");
        assert!(!shown.contains("%43"), "the percent form was missed");
        assert_eq!(
            shown.matches("<redacted sha256:").count(),
            4,
            "and the cut one"
        );
    }

    #[test]
    fn matching_takes_linear_time_whatever_the_secret() {
        // A hostile server chooses its token and the text around it: a token of
        // one repeated byte inside a megabyte of the same byte made the old
        // matcher compare the whole token at every byte.
        let token = "a".repeat(50_000);
        let r = redactor(&[&token]);
        let text = format!("\\\"%{}", "a".repeat(1_000_000));
        let start = std::time::Instant::now();
        let shown = r.redact(&text);
        assert!(start.elapsed() < std::time::Duration::from_secs(20));
        assert!(shown.contains("<redacted sha256:"));
        assert!(shown.len() < text.len());
    }

    #[test]
    fn a_secret_too_long_to_follow_through_escapes_is_still_hidden_as_written() {
        let long = format!("tok-{}", "x".repeat(MAX_ENCODED_SECRET));
        let r = redactor(&[&long]);
        let text = format!("a {long} b \\n");
        assert_eq!(r.redact(&text), format!("a {} b \\n", redacted(&long)));
        let text = format!("a {}", &long[..1000]);
        let cut = r.redact_cut(&text);
        assert!(!cut.contains("xxxx"), "{cut}");
    }

    #[test]
    fn secret_names() {
        assert!(is_secret_env("LANGSMITH_LICENSE_KEY"));
        assert!(is_secret_env("db_password"));
        assert!(!is_secret_env("HTTPS_PROXY"));
        assert!(!is_secret_env("BEACON_METRICS_ENABLED"));
        assert!(is_secret_key("langsmithLicenseKey"));
        assert!(is_secret_key("initialOrgAdminPassword"));
        assert!(is_secret_key("jwtSecret"));
        assert!(!is_secret_key("existingSecretName"));
        assert!(!is_secret_key("secretKeyRef"));
        assert!(!is_secret_key("metrics"));
    }
}
