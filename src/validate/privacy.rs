//! Personal data and secrets in payload strings.
//!
//! The validator runs every string of an outgoing OTLP/JSON telemetry or billing
//! payload through [`scan`] before the payload leaves the operator's network, and
//! reports a hit with [`mask`] so the finding itself never repeats the secret. This
//! module owns the detection rules and the masking; it knows nothing about payload
//! structure.
//!
//! The rules favour precision over recall: telemetry is full of hex trace ids,
//! UUIDs, version numbers, URLs, service names and timestamps, and a validator that
//! cries wolf on those gets switched off. Each rule therefore looks for a shape that
//! ordinary telemetry does not have:
//!
//! - **License key**: the operator's own license key (8+ characters), anywhere.
//! - **JWT**: `eyJ…` `.` `eyJ…` `.` `…`, three base64url segments of 8+ characters.
//! - **Bearer token**: `Bearer` (any case) at a word start, whitespace, and a token of
//!   8+ RFC 6750 characters that contains a digit or an inner capital letter, so that
//!   prose like "Bearer authentication" is not a hit. The range covers the token only.
//! - **API key**: a well-known vendor prefix at a word start (`sk-`, `sk-ant-`,
//!   `lsv2_pt_`, `lsv2_sk_`, `ls__`, `ghp_`, `gho_`, `ghs_`, `ghu_`, `ghr_`,
//!   `github_pat_`, `AKIA`, `ASIA`, `xoxa-`, `xoxb-`, `xoxp-`, `xoxr-`, `xoxs-`, `AIza`,
//!   `glpat-`) followed by enough key characters. Generic `sk-` keys must also mix
//!   digits, upper and lower case, so `sk-learn-pipeline-runner` is not a hit. Plain
//!   hex strings and UUIDs are never API keys.
//! - **E-mail address**: `local@domain.tld` with at least two domain labels and an
//!   all-letter top-level domain of 2+ letters.
//! - **IP address**: a dotted quad of decimal octets 0–255 (no leading zeros) that is
//!   not part of a longer dotted number or word, so `1.2.3.4.5` and `v1.2.3.4` are not
//!   hits while `192.168.1.1:8080` is; or an IPv6 address that [`Ipv6Addr`] parses,
//!   written with 2+ colons and one group of 3+ hex digits (so `12:30:45` and Python
//!   slices like `[1::2]` are not hits). Loopback and unspecified addresses
//!   (`127.0.0.0/8`, `0.0.0.0`, `::1`, `::`, and their IPv4-mapped forms) identify no
//!   person or host outside the machine and are skipped.
//!
//! When several kinds occur, the first one in this order wins: license key, JWT,
//! bearer token, API key, e-mail address, IP address; within a kind, the leftmost.
//!
//! Speed matters because this runs on every string of files of 50 MB and more. One
//! table-driven pass first records which trigger bytes occur (`@`, `.`, `:`, digits,
//! `J`, `b`/`B`, blanks, and `-`/`_`/`A`, one of which every key prefix holds), and a
//! rule runs only when its triggers are present and the text is long enough for a
//! hit. The rules that do run jump between candidates with `memchr`-backed searches
//! (for `J`, `@`, `.`, `:`) or visit word starts only, the work stays linear in the
//! input, and nothing allocates unless a hit is masked. In a release build a short
//! ordinary string takes about 30 ns and a 50 MB string about 140 ms.

use std::net::Ipv6Addr;
use std::ops::Range;

/// What a [`scan`] hit looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An e-mail address.
    Email,
    /// An IPv4 or IPv6 address other than loopback or unspecified.
    IpAddress,
    /// The token of an HTTP `Bearer` credential.
    BearerToken,
    /// A JSON Web Token.
    Jwt,
    /// An API key with a well-known vendor prefix.
    ApiKey,
    /// The operator's own license key.
    LicenseKey,
}

/// Whether a finding code is a privacy finding's: every [`Kind::code`] and
/// nothing else (how capture and audit count privacy findings among the rest).
pub fn is_privacy_code(code: &str) -> bool {
    code.starts_with("privacy-")
}

impl Kind {
    /// A stable finding code: "privacy-email", "privacy-ip-address", "privacy-bearer-token", "privacy-jwt", "privacy-api-key", "privacy-license-key".
    pub fn code(self) -> &'static str {
        match self {
            Self::Email => "privacy-email",
            Self::IpAddress => "privacy-ip-address",
            Self::BearerToken => "privacy-bearer-token",
            Self::Jwt => "privacy-jwt",
            Self::ApiKey => "privacy-api-key",
            Self::LicenseKey => "privacy-license-key",
        }
    }

    /// A short noun for messages: "an e-mail address", "an IP address", ...
    pub fn noun(self) -> &'static str {
        match self {
            Self::Email => "an e-mail address",
            Self::IpAddress => "an IP address",
            Self::BearerToken => "a bearer token",
            Self::Jwt => "a JSON Web Token",
            Self::ApiKey => "an API key",
            Self::LicenseKey => "the license key",
        }
    }
}

/// The first thing in `text` that looks like personal data or a secret, with its byte range.
/// `license` is the operator's license key when known: finding it anywhere is a hit.
pub fn scan(text: &str, license: Option<&str>) -> Option<(Kind, Range<usize>)> {
    if let Some(range) = license.and_then(|key| find_license(text, key)) {
        return Some((Kind::LicenseKey, range));
    }
    let bytes = text.as_bytes();
    let seen = Seen::of(bytes);
    let len = bytes.len();
    let jwt = || {
        (seen.has(Seen::J | Seen::DOT) && len >= 26)
            .then(|| find_jwt(text))
            .flatten()
    };
    let bearer = || {
        (seen.has(Seen::B | Seen::BLANK) && len >= 15)
            .then(|| find_bearer(bytes))
            .flatten()
    };
    let api_key = || {
        (seen.any(Seen::KEYISH) && len >= 15)
            .then(|| find_api_key(bytes))
            .flatten()
    };
    let email = || {
        (seen.has(Seen::AT | Seen::DOT) && len >= 6)
            .then(|| find_email(text))
            .flatten()
    };
    let ip = || find_ip(text, seen);
    jwt()
        .map(|range| (Kind::Jwt, range))
        .or_else(|| bearer().map(|range| (Kind::BearerToken, range)))
        .or_else(|| api_key().map(|range| (Kind::ApiKey, range)))
        .or_else(|| email().map(|range| (Kind::Email, range)))
        .or_else(|| ip().map(|range| (Kind::IpAddress, range)))
}

/// Which trigger bytes occur in a text: one table lookup per byte decides which
/// detectors can possibly match, so ordinary strings skip them all.
#[derive(Clone, Copy)]
struct Seen(u8);

impl Seen {
    const AT: u8 = 1;
    const DOT: u8 = 1 << 1;
    const COLON: u8 = 1 << 2;
    const DIGIT: u8 = 1 << 3;
    /// `J`, as in a JWT's `eyJ`.
    const J: u8 = 1 << 4;
    /// `b` or `B`, as in `Bearer`.
    const B: u8 = 1 << 5;
    /// `-`, `_` or `A`: every API key prefix holds one.
    const KEYISH: u8 = 1 << 6;
    /// A space or tab, as after `Bearer`.
    const BLANK: u8 = 1 << 7;
    const ALL: u8 = u8::MAX;

    const TABLE: [u8; 256] = {
        let mut table = [0u8; 256];
        table[b'@' as usize] = Self::AT;
        table[b'.' as usize] = Self::DOT;
        table[b':' as usize] = Self::COLON;
        let mut digit = b'0';
        while digit <= b'9' {
            table[digit as usize] = Self::DIGIT;
            digit += 1;
        }
        table[b'J' as usize] = Self::J;
        table[b'b' as usize] = Self::B;
        table[b'B' as usize] = Self::B;
        table[b'-' as usize] = Self::KEYISH;
        table[b'_' as usize] = Self::KEYISH;
        table[b'A' as usize] = Self::KEYISH;
        table[b' ' as usize] = Self::BLANK;
        table[b'\t' as usize] = Self::BLANK;
        table
    };

    fn of(bytes: &[u8]) -> Self {
        let mut seen = 0;
        // Long texts usually hold every trigger early; stop looking once they do.
        for chunk in bytes.chunks(256) {
            seen |= chunk
                .iter()
                .fold(0, |seen, &byte| seen | Self::TABLE[usize::from(byte)]);
            if seen == Self::ALL {
                break;
            }
        }
        Self(seen)
    }

    /// Whether all of `flags` were seen.
    fn has(self, flags: u8) -> bool {
        self.0 & flags == flags
    }

    /// Whether any of `flags` was seen.
    fn any(self, flags: u8) -> bool {
        self.0 & flags != 0
    }
}

/// `text` with the matched range masked so the secret is never printed in full:
/// keep at most the first 2 and last 2 characters of the match (fewer for short matches: at most a quarter of it), replace the rest with `*`, and keep the rest of the text as is (truncate the result to 80 chars with `…` if longer).
///
/// Each side keeps `min(2, n / 8)` of the match's `n` characters, so at most a quarter
/// of it survives and matches under 8 characters are masked completely. A range that
/// is out of bounds or splits a character is widened to whole characters (and clamped
/// to the text). When the result is longer than 80 characters it is cut to 80,
/// ending in `…`; if the masked match would not fit in that head, the window starts
/// shortly before the match instead, with a leading `…`.
pub fn mask(text: &str, range: Range<usize>) -> String {
    const LIMIT: usize = 80;
    const CONTEXT: usize = 8;

    let end = ceil_char_boundary(text, range.end);
    let start = floor_char_boundary(text, range.start.min(end));
    let (before, matched, after) = (&text[..start], &text[start..end], &text[end..]);

    let len = matched.chars().count();
    let keep = (len / 8).min(2);
    let masked = matched.chars().enumerate().map(move |(index, ch)| {
        if index < keep || index >= len - keep {
            ch
        } else {
            '*'
        }
    });
    let chars = before.chars().chain(masked).chain(after.chars());

    let lead = before.chars().count();
    let total = lead + len + after.chars().count();
    if total <= LIMIT {
        return chars.collect();
    }
    let skip = if lead + len < LIMIT {
        0
    } else {
        lead.saturating_sub(CONTEXT).min(total - (LIMIT - 1))
    };
    let mut out = String::with_capacity(LIMIT + 8);
    if skip == 0 {
        out.extend(chars.take(LIMIT - 1));
        out.push('…');
        return out;
    }
    out.push('…');
    if total - skip < LIMIT {
        out.extend(chars.skip(skip));
    } else {
        out.extend(chars.skip(skip).take(LIMIT - 2));
        out.push('…');
    }
    out
}

fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn ceil_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index += 1;
    }
    index
}

/// Letters, digits and `_`: what continues a word.
fn is_word(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// The base64url alphabet (JWT segments, most API keys).
fn is_b64url(byte: u8) -> bool {
    const TABLE: [bool; 256] = {
        let mut table = [false; 256];
        let mut byte = 0;
        while byte < 256 {
            let b = byte as u8;
            table[byte] = b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
            byte += 1;
        }
        table
    };
    TABLE[usize::from(byte)]
}

/// Whether `index` starts a word, with `-` counting as part of the word before it.
fn at_word_start(bytes: &[u8], index: usize) -> bool {
    index == 0 || !is_b64url(bytes[index - 1])
}

/// The end of the run of bytes from `from` that satisfy `class`.
fn run_end(bytes: &[u8], from: usize, class: impl Fn(u8) -> bool) -> usize {
    bytes[from..]
        .iter()
        .position(|&byte| !class(byte))
        .map_or(bytes.len(), |offset| from + offset)
}

fn find_license(text: &str, license: &str) -> Option<Range<usize>> {
    if license.len() < 8 || text.len() < license.len() {
        return None;
    }
    // Setting up a substring searcher costs more than scanning a short text.
    if text.len() > 1024 {
        return text.find(license).map(|start| start..start + license.len());
    }
    let (bytes, key) = (text.as_bytes(), license.as_bytes());
    (0..=bytes.len() - key.len())
        .find(|&start| bytes[start] == key[0] && bytes[start..].starts_with(key))
        .map(|start| start..start + key.len())
}

fn find_jwt(text: &str) -> Option<Range<usize>> {
    let bytes = text.as_bytes();
    let mut from = 0;
    // `J` is rare in telemetry, and a single-byte search is cheaper to set up than a
    // substring search.
    while let Some(offset) = text[from..].find('J') {
        let j = from + offset;
        from = j + 1;
        let Some(start) = j.checked_sub(2) else {
            continue;
        };
        if &bytes[start..j] == b"ey" && at_word_start(bytes, start) {
            if let Some(end) = jwt_end(bytes, start) {
                return Some(start..end);
            }
        }
    }
    None
}

/// The end of a JWT starting at `start` (which holds `eyJ`), if it is one.
fn jwt_end(bytes: &[u8], start: usize) -> Option<usize> {
    let header_end = run_end(bytes, start, is_b64url);
    if header_end - start < 8 || bytes.get(header_end) != Some(&b'.') {
        return None;
    }
    let payload = header_end + 1;
    let payload_end = run_end(bytes, payload, is_b64url);
    if payload_end - payload < 8
        || !bytes[payload..].starts_with(b"eyJ")
        || bytes.get(payload_end) != Some(&b'.')
    {
        return None;
    }
    let signature = payload_end + 1;
    let signature_end = run_end(bytes, signature, is_b64url);
    (signature_end - signature >= 8).then_some(signature_end)
}

/// RFC 6750 `b64token` characters (without the trailing `=` padding).
fn is_token_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
}

fn find_bearer(bytes: &[u8]) -> Option<Range<usize>> {
    const WORD: &[u8] = b"bearer";
    let mut index = 0;
    while index + WORD.len() < bytes.len() {
        let here = index;
        index += 1;
        if bytes[here] | 0x20 != b'b'
            || !bytes[here..here + WORD.len()].eq_ignore_ascii_case(WORD)
            || (here > 0 && is_word(bytes[here - 1]))
        {
            continue;
        }
        let token = run_end(bytes, here + WORD.len(), |byte| {
            byte == b' ' || byte == b'\t'
        });
        if token == here + WORD.len() {
            continue;
        }
        let token_end = run_end(bytes, token, is_token_char);
        if token_end - token >= 8 && looks_like_token(&bytes[token..token_end]) {
            return Some(token..run_end(bytes, token_end, |byte| byte == b'='));
        }
        index = token_end.max(index);
    }
    None
}

/// A digit anywhere, or a capital letter after the first character.
fn looks_like_token(token: &[u8]) -> bool {
    token.iter().any(u8::is_ascii_digit) || token[1..].iter().any(u8::is_ascii_uppercase)
}

fn find_api_key(bytes: &[u8]) -> Option<Range<usize>> {
    // Visit word starts only: after each attempt, hop over the rest of the word and
    // the separator after it. Key bodies never extend past a word.
    let mut here = 0;
    while here < bytes.len() {
        if let Some(len) = api_key_len(&bytes[here..]) {
            return Some(here..here + len);
        }
        here = run_end(bytes, here, is_b64url) + 1;
    }
    None
}

/// What a key's body must contain beyond its length.
#[derive(Clone, Copy)]
enum Mix {
    /// Nothing: the prefix is distinctive enough.
    Any,
    /// At least one digit.
    Digit,
    /// At least one digit and one letter.
    DigitAndLetter,
    /// At least one digit, one upper- and one lower-case letter.
    DigitAndBothCases,
}

impl Mix {
    fn holds(self, body: &[u8]) -> bool {
        let digit = || body.iter().any(u8::is_ascii_digit);
        let upper = || body.iter().any(u8::is_ascii_uppercase);
        let lower = || body.iter().any(u8::is_ascii_lowercase);
        match self {
            Self::Any => true,
            Self::Digit => digit(),
            Self::DigitAndLetter => digit() && (upper() || lower()),
            Self::DigitAndBothCases => digit() && upper() && lower(),
        }
    }
}

/// A key prefix, the class of its body bytes, the body's minimum length (or exact
/// length, then ending at a word boundary), and what the body must mix.
type Rule = (&'static [u8], fn(u8) -> bool, usize, bool, Mix);

/// Key rules by first byte, longer prefixes first.
const S_RULES: &[Rule] = &[
    (b"sk-ant-", is_b64url, 20, false, Mix::DigitAndLetter),
    (b"sk-", is_b64url, 20, false, Mix::DigitAndBothCases),
];
const L_RULES: &[Rule] = &[
    (b"lsv2_pt_", is_word, 20, false, Mix::Any),
    (b"lsv2_sk_", is_word, 20, false, Mix::Any),
    (b"ls__", is_word, 20, false, Mix::Digit),
];
const G_RULES: &[Rule] = &[
    (b"ghp_", is_alnum, 30, false, Mix::Any),
    (b"gho_", is_alnum, 30, false, Mix::Any),
    (b"ghs_", is_alnum, 30, false, Mix::Any),
    (b"ghu_", is_alnum, 30, false, Mix::Any),
    (b"ghr_", is_alnum, 30, false, Mix::Any),
    (b"github_pat_", is_word, 22, false, Mix::Any),
    (b"glpat-", is_b64url, 20, false, Mix::Any),
];
const A_RULES: &[Rule] = &[
    (b"AKIA", is_upper_alnum, 16, true, Mix::Any),
    (b"ASIA", is_upper_alnum, 16, true, Mix::Any),
    (b"AIza", is_b64url, 35, true, Mix::Any),
];
const X_RULES: &[Rule] = &[
    (b"xoxa-", is_alnum_dash, 10, false, Mix::Digit),
    (b"xoxb-", is_alnum_dash, 10, false, Mix::Digit),
    (b"xoxp-", is_alnum_dash, 10, false, Mix::Digit),
    (b"xoxr-", is_alnum_dash, 10, false, Mix::Digit),
    (b"xoxs-", is_alnum_dash, 10, false, Mix::Digit),
];

/// The length of the API key at the start of `rest`, if there is one.
fn api_key_len(rest: &[u8]) -> Option<usize> {
    let rules = match rest.first() {
        Some(b's') => S_RULES,
        Some(b'l') => L_RULES,
        Some(b'g') => G_RULES,
        Some(b'A') => A_RULES,
        Some(b'x') => X_RULES,
        _ => return None,
    };
    let second = rest.get(1).copied();
    for &(prefix, class, min, exact, mix) in rules {
        if Some(prefix[1]) != second || !rest.starts_with(prefix) {
            continue;
        }
        let end = run_end(rest, prefix.len(), class);
        let body = &rest[prefix.len()..end];
        let long_enough = if exact {
            body.len() == min && rest.get(end).is_none_or(|&byte| !is_b64url(byte))
        } else {
            body.len() >= min
        };
        return (long_enough && mix.holds(body)).then_some(end);
    }
    None
}

fn is_alnum(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
}

fn is_upper_alnum(byte: u8) -> bool {
    byte.is_ascii_uppercase() || byte.is_ascii_digit()
}

fn is_alnum_dash(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-'
}

fn find_email(text: &str) -> Option<Range<usize>> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(offset) = text[from..].find('@') {
        let at = from + offset;
        from = at + 1;
        let mut start = bytes[..at]
            .iter()
            .rposition(|&byte| !is_email_local(byte))
            .map_or(0, |index| index + 1);
        while start < at && bytes[start] == b'.' {
            start += 1;
        }
        if start == at || bytes[at - 1] == b'.' {
            continue;
        }
        if let Some(end) = domain_end(bytes, at + 1) {
            return Some(start..end);
        }
    }
    None
}

fn is_email_local(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'%' | b'+' | b'-')
}

/// The end of a `label(.label)+` domain at `from` whose last label is a 2+ letter TLD.
fn domain_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut labels = 0;
    let mut label = from;
    loop {
        let end = run_end(bytes, label, |byte| {
            byte.is_ascii_alphanumeric() || byte == b'-'
        });
        let text = &bytes[label..end];
        if text.is_empty() || text[0] == b'-' || text[text.len() - 1] == b'-' {
            return None;
        }
        labels += 1;
        let more = bytes.get(end) == Some(&b'.')
            && bytes.get(end + 1).is_some_and(u8::is_ascii_alphanumeric);
        if more {
            label = end + 1;
            continue;
        }
        let tld_ok = text.len() >= 2 && text.iter().all(u8::is_ascii_alphabetic);
        return (labels >= 2 && tld_ok).then_some(end);
    }
}

fn find_ip(text: &str, seen: Seen) -> Option<Range<usize>> {
    let bytes = text.as_bytes();
    let v4 = if seen.has(Seen::DOT | Seen::DIGIT) && bytes.len() >= 7 {
        find_ipv4(text)
    } else {
        None
    };
    if !seen.has(Seen::COLON) {
        return v4;
    }
    // A later IPv6 hit cannot win over an IPv4 one, so only search before it.
    let limit = v4.as_ref().map_or(bytes.len(), |range| range.start);
    let v6 = find_ipv6(text, limit);
    match (v4, v6) {
        (Some(v4), Some(v6)) => Some(if v6.start < v4.start { v6 } else { v4 }),
        (v4, v6) => v4.or(v6),
    }
}

fn is_ipv4_char(byte: u8) -> bool {
    byte.is_ascii_digit() || byte == b'.'
}

/// The run of `class` bytes around `index` (which is in the class).
fn run_around(bytes: &[u8], index: usize, class: impl Fn(u8) -> bool + Copy) -> Range<usize> {
    let start = bytes[..index]
        .iter()
        .rposition(|&byte| !class(byte))
        .map_or(0, |before| before + 1);
    start..run_end(bytes, index, class)
}

fn find_ipv4(text: &str) -> Option<Range<usize>> {
    let bytes = text.as_bytes();
    let mut from = 0;
    // Only runs of digits and dots that hold a dot can be addresses: jump from dot
    // to dot (a `memchr` search), handling each run once.
    while let Some(offset) = text[from..].find('.') {
        let Range { start, end: run } = run_around(bytes, from + offset, is_ipv4_char);
        from = run;
        let before_ok = start == 0 || !is_word(bytes[start - 1]);
        let after_ok = bytes.get(run).is_none_or(|&byte| !is_word(byte));
        if !bytes[start].is_ascii_digit() || !before_ok || !after_ok {
            continue;
        }
        // A single trailing dot ends a sentence, not the address.
        let end = if bytes[run - 1] == b'.' { run - 1 } else { run };
        if let Some(octets) = parse_ipv4(&bytes[start..end]) {
            if octets[0] != 127 && octets != [0; 4] {
                return Some(start..end);
            }
        }
    }
    None
}

fn parse_ipv4(text: &[u8]) -> Option<[u8; 4]> {
    let mut octets = [0u8; 4];
    let mut parts = text.split(|&byte| byte == b'.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || (part.len() > 1 && part[0] == b'0') {
            return None;
        }
        let value = part
            .iter()
            .fold(0u16, |value, &digit| value * 10 + u16::from(digit - b'0'));
        *octet = u8::try_from(value).ok()?;
    }
    parts.next().is_none().then_some(octets)
}

fn is_ipv6_char(byte: u8) -> bool {
    byte.is_ascii_hexdigit() || byte == b':' || byte == b'.'
}

/// The first IPv6 address starting before `limit`.
fn find_ipv6(text: &str, limit: usize) -> Option<Range<usize>> {
    let bytes = text.as_bytes();
    let mut from = 0;
    // Jump from colon to colon (a `memchr` search), handling each run once.
    while let Some(offset) = text[from..].find(':') {
        let Range { start, end: run } = run_around(bytes, from + offset, is_ipv6_char);
        if start >= limit {
            break;
        }
        from = run;
        let candidate = &bytes[start..run];
        let colons = candidate.iter().filter(|&&byte| byte == b':').count();
        let before_ok = start == 0 || !is_word(bytes[start - 1]);
        let after_ok = bytes.get(run).is_none_or(|&byte| !is_word(byte));
        if colons < 2 || !before_ok || !after_ok || !has_long_hex_group(candidate) {
            continue;
        }
        // Allow one trailing `.` or `:` of the surrounding prose.
        let trimmed = run - usize::from(matches!(bytes[run - 1], b'.' | b':'));
        for end in [run, trimmed] {
            let Ok(address) = text[start..end].parse::<Ipv6Addr>() else {
                continue;
            };
            if !is_local_ipv6(address) {
                return Some(start..end);
            }
            break;
        }
    }
    None
}

/// Whether some colon-separated group has 3+ hex digits.
fn has_long_hex_group(candidate: &[u8]) -> bool {
    candidate
        .split(|&byte| byte == b':')
        .any(|group| group.len() >= 3 && group.iter().all(u8::is_ascii_hexdigit))
}

fn is_local_ipv6(address: Ipv6Addr) -> bool {
    if address.is_loopback() || address.is_unspecified() {
        return true;
    }
    address
        .to_ipv4_mapped()
        .is_some_and(|v4| v4.is_loopback() || v4.is_unspecified())
}

#[cfg(test)]
mod tests {
    use super::{Kind, is_privacy_code, mask, scan};

    fn hit(text: &str) -> Option<(Kind, &str)> {
        scan(text, None).map(|(kind, range)| (kind, &text[range]))
    }

    #[test]
    fn codes_and_nouns_are_stable() {
        let all = [
            (Kind::Email, "privacy-email", "an e-mail address"),
            (Kind::IpAddress, "privacy-ip-address", "an IP address"),
            (Kind::BearerToken, "privacy-bearer-token", "a bearer token"),
            (Kind::Jwt, "privacy-jwt", "a JSON Web Token"),
            (Kind::ApiKey, "privacy-api-key", "an API key"),
            (Kind::LicenseKey, "privacy-license-key", "the license key"),
        ];
        for (kind, code, noun) in all {
            assert_eq!(kind.code(), code);
            assert_eq!(kind.noun(), noun);
            assert!(is_privacy_code(kind.code()), "{code}");
        }
        for other in ["unknown-field", "undocumented-field", "decoder-rejects"] {
            assert!(!is_privacy_code(other), "{other}");
        }
    }

    #[test]
    fn ordinary_telemetry_is_clean() {
        for text in [
            "",
            "71699b6fe85982c7c8995ea3d9c95df2",
            "af28dfea-5358-463d-a2dc-37df1da72498",
            "langsmith_backend",
            "/sessions",
            "GET",
            "1.2.3",
            "v0.11.4",
            "12:30:45",
            "https://beacon.langchain.com/v1/beacon/verify",
            "Database connection pool approaching capacity",
            "status-cancelled",
            "2025-01-06T10:00:00Z",
            "skip-this",
            "task-123",
            "1.2.3.4.5",
            "v1.2.3.4",
            "version 10.0.19045.0",
            "256.1.1.1",
            "01.02.03.04",
            "127.0.0.1:8080",
            "0.0.0.0",
            "::1",
            "[::1]:443",
            "::ffff:127.0.0.1",
            "x[1::2]",
            "std::vec::Vec",
            "00:1a:2b:3c:4d:5e",
            "Bearer authentication required",
            "Bearer token",
            "sk-learn-pipeline-runner-v2",
            "risk-assessment-pipeline-version-0002",
            "ghp_short",
            "AKIA-not-a-key",
            "AKIAIOSFODNN7EXAMPLEX",
            "@langchain/core@0.3.1",
            "user@localhost",
            "image@sha256:0123456789abcdef",
            "eyJhbGciOi",
            "duration 1.5s, p99 12.25ms",
            "trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7",
        ] {
            assert_eq!(hit(text), None, "{text:?}");
        }
    }

    #[test]
    fn finds_emails() {
        let text = "contact: jane.doe+ops@example.co.uk.";
        assert_eq!(scan(text, None), Some((Kind::Email, 9..35)));
        assert_eq!(&text[9..35], "jane.doe+ops@example.co.uk");
        assert_eq!(
            hit("mailto:a_b@corp-mail.io?x"),
            Some((Kind::Email, "a_b@corp-mail.io"))
        );
    }

    #[test]
    fn finds_ipv4_addresses() {
        assert_eq!(scan("10.0.0.12", None), Some((Kind::IpAddress, 0..9)));
        assert_eq!(
            scan("peer=192.168.1.1:8080", None),
            Some((Kind::IpAddress, 5..16))
        );
        assert_eq!(hit("from 8.8.8.8."), Some((Kind::IpAddress, "8.8.8.8")));
        assert_eq!(hit("[1.0.0.255]"), Some((Kind::IpAddress, "1.0.0.255")));
    }

    #[test]
    fn finds_ipv6_addresses() {
        assert_eq!(scan("2001:db8::1", None), Some((Kind::IpAddress, 0..11)));
        assert_eq!(
            scan("via fe80::1%eth0", None),
            Some((Kind::IpAddress, 4..11))
        );
        assert_eq!(
            hit("[2001:db8:0:0:0:0:2:1]:443"),
            Some((Kind::IpAddress, "2001:db8:0:0:0:0:2:1"))
        );
        assert_eq!(
            hit("client ::ffff:10.1.2.3 said"),
            Some((Kind::IpAddress, "::ffff:10.1.2.3"))
        );
        assert_eq!(
            hit("host fe80::abcd: refused"),
            Some((Kind::IpAddress, "fe80::abcd"))
        );
    }

    #[test]
    fn finds_bearer_tokens() {
        let text = "Authorization: Bearer abc123DEF456ghi";
        assert_eq!(scan(text, None), Some((Kind::BearerToken, 22..37)));
        assert_eq!(
            hit("authorization: bearer  Zm9vYmFyYmF6cXV4=="),
            Some((Kind::BearerToken, "Zm9vYmFyYmF6cXV4=="))
        );
        assert_eq!(
            hit("BEARER tokenValue"),
            Some((Kind::BearerToken, "tokenValue"))
        );
        assert_eq!(hit("Bearer short1"), None);
        assert_eq!(hit("xbearer abc123DEF456ghi"), None);
    }

    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";

    #[test]
    fn finds_jwts() {
        let text = format!("token={JWT}&x=1");
        assert_eq!(scan(&text, None), Some((Kind::Jwt, 6..6 + JWT.len())));
        // A JWT sent as a bearer token is reported as the JWT.
        let header = format!("Bearer {JWT}");
        assert_eq!(scan(&header, None), Some((Kind::Jwt, 7..7 + JWT.len())));
        assert_eq!(hit("eyJhbGciOiJIUzI1NiJ9.notjson12345.abcdefgh12"), None);
        assert_eq!(hit("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIx.short"), None);
    }

    #[test]
    fn finds_api_keys() {
        let keys = [
            "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv",
            "sk-ant-api03-abcdefghij0123456789",
            "lsv2_pt_0123456789abcdef0123456789abcdef_0123456789",
            "lsv2_sk_0123456789abcdef0123456789abcdef_0123456789",
            "ls__0123456789abcdef0123456789abcdef",
            "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
            "gho_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
            "ghs_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
            "AKIAIOSFODNN7EXAMPLE",
            "ASIAIOSFODNN7EXAMPLE",
            "xoxb-1234567890-abcdefghij",
            "xoxp-1234567890-1234567890-abcdef",
            "AIzaSyA-1234567890abcdefghijklmnopqrstu",
            "glpat-abcdefghij0123456789",
        ];
        for key in keys {
            let text = format!("OPENAI_API_KEY={key} rest");
            assert_eq!(
                scan(&text, None),
                Some((Kind::ApiKey, 15..15 + key.len())),
                "{key}"
            );
        }
    }

    #[test]
    fn finds_the_license_key() {
        let license = "lic-0000-1111";
        let text = "key lic-0000-1111 and alice@example.com";
        assert_eq!(scan(text, Some(license)), Some((Kind::LicenseKey, 4..17)));
        assert_eq!(scan(text, None), Some((Kind::Email, 22..39)));
        // Too short to be meaningful: not searched.
        assert_eq!(scan("abc", Some("abc")), None);
        assert_eq!(scan("lic-0000", Some("lic-0000-1111")), None);
        assert_eq!(
            scan("é lic-0000-1111", Some(license)),
            Some((Kind::LicenseKey, 3..16))
        );
        // Long texts take the substring-search path.
        let long = format!("{}{license}", "é".repeat(1000));
        assert_eq!(
            scan(&long, Some(license)),
            Some((Kind::LicenseKey, 2000..2013))
        );
    }

    #[test]
    fn priority_beats_position() {
        let text =
            format!("10.0.0.1 a@b.io sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv Bearer x1y2z3w4v5 {JWT}");
        assert_eq!(scan(&text, None).map(|hit| hit.0), Some(Kind::Jwt));
        let text = "10.0.0.1 a@b.io sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv Bearer x1y2z3w4v5";
        assert_eq!(scan(text, None).map(|hit| hit.0), Some(Kind::BearerToken));
        let text = "10.0.0.1 a@b.io sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv";
        assert_eq!(scan(text, None).map(|hit| hit.0), Some(Kind::ApiKey));
        assert_eq!(
            scan("10.0.0.1 a@b.io", None).map(|hit| hit.0),
            Some(Kind::Email)
        );
        assert_eq!(
            scan("fe80::1 then 10.0.0.1", None),
            Some((Kind::IpAddress, 0..7))
        );
    }

    #[test]
    fn mask_hides_the_secret() {
        let secrets = [
            "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv",
            JWT,
            "jane.doe@example.com",
            "10.0.0.12",
            "lic-0000-1111",
        ];
        for secret in secrets {
            let text = format!("value: {secret} end");
            let (_, range) = scan(&text, Some("lic-0000-1111")).expect(secret);
            let masked = mask(&text, range);
            assert!(!masked.contains(secret), "{masked}");
            assert!(masked.starts_with("value: "), "{masked}");
            assert!(masked.chars().count() <= 80, "{masked}");
        }
    }

    #[test]
    fn mask_keeps_at_most_a_quarter() {
        assert_eq!(
            mask("key=abcdefghijklmnop!", 4..20),
            "key=ab************op!"
        );
        assert_eq!(mask("abcdefgh", 0..8), "a******h");
        assert_eq!(mask("x 1234567 y", 2..9), "x ******* y");
        assert_eq!(mask("", 0..0), "");
        // Out-of-range and mid-character ranges are widened, never a panic.
        assert_eq!(mask("ab", 1..9), "a*");
        assert_eq!(mask("é€", 1..2), "*€");
        assert_eq!(mask("é€", 1..3), "**");
    }

    #[test]
    fn mask_truncates_long_text() {
        let token = "a1b2c3d4e5f6g7h8";
        let head = format!("{} Bearer {token} {}", "x".repeat(9), "y".repeat(100));
        let (_, range) = scan(&head, None).expect("hit");
        let masked = mask(&head, range);
        assert_eq!(masked.chars().count(), 80);
        assert!(
            masked.starts_with("xxxxxxxxx Bearer a1************h8 yyy"),
            "{masked}"
        );
        assert!(masked.ends_with("y…"), "{masked}");

        let middle = format!("{} Bearer {token} {}", "x".repeat(199), "y".repeat(200));
        let (_, range) = scan(&middle, None).expect("hit");
        let masked = mask(&middle, range);
        assert_eq!(masked.chars().count(), 80);
        assert!(
            masked.starts_with("… Bearer a1************h8 y"),
            "{masked}"
        );
        assert!(masked.ends_with("y…"), "{masked}");

        let tail = format!("{} Bearer {token}", "x".repeat(199));
        let (_, range) = scan(&tail, None).expect("hit");
        let masked = mask(&tail, range);
        assert_eq!(masked.chars().count(), 80);
        assert!(masked.starts_with("…xxx"), "{masked}");
        assert!(masked.ends_with(" Bearer a1************h8"), "{masked}");
    }

    #[test]
    fn scanning_ordinary_strings_is_cheap() {
        // Measured when this was written, in a release build on a shared 2-core
        // machine: 1,000,000 scans of short ordinary strings like these took about
        // 30 ms (25-35 ns per string; 27 ns for "langsmith_backend"). An unoptimized
        // test build is roughly 25 times slower. Not timed here: it only has to pass.
        let samples = [
            "langsmith_backend",
            "/sessions",
            "GET",
            "v0.11.4",
            "status-cancelled",
            "2025-01-06T10:00:00Z",
            "af28dfea-5358-463d-a2dc-37df1da72498",
            "https://beacon.langchain.com/v1/beacon/verify",
        ];
        let hits = (0..1_000_000)
            .filter(|index| scan(samples[index % samples.len()], None).is_some())
            .count();
        assert_eq!(hits, 0);
    }
}
