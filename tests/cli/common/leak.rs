//! The leak oracle: given a canary secret, every form it can take on its way
//! out, and a check of a text for each. Written apart from beacon-cli's own
//! redactor (`src/secrets.rs`), so that one cannot hide the other's blind spot.
//!
//! A text leaks a canary when it holds it as written; JSON-escaped at one to
//! three levels, with any mix of `\uXXXX` escapes (and YAML's `\xXX`, `\UXXXXXXXX`
//! and folded lines); in YAML single quotes (`''`); percent-encoded, all of it or
//! some; as a JSON pointer (`~1`, `~0`); or in base64, standard or URL-safe, at any of the three
//! alignments inside a longer base64 text.
#![allow(dead_code)]

use base64::Engine;

/// Why a text leaks `canary`: the form found, and a little of the text around it.
pub fn leak_of(canary: &str, text: &str) -> Option<String> {
    let around = |form: &str, hay: &str, at: usize| {
        let mut from = at.saturating_sub(40);
        while !hay.is_char_boundary(from) {
            from -= 1;
        }
        let mut to = (at + 80).min(hay.len());
        while !hay.is_char_boundary(to) {
            to += 1;
        }
        format!("{form}: …{}…", &hay[from..to])
    };
    let forms = literal_forms(canary);
    for (form, literal) in &forms {
        if let Some(at) = text.find(literal.as_str()) {
            return Some(around(form, text, at));
        }
    }
    // Decoded views of the text, each searched for the canary as written.
    let mut unescaped = text.to_string();
    for level in 1..=3 {
        if !unescaped.contains('\\') {
            break;
        }
        unescaped = unescape(&unescaped);
        if let Some(at) = unescaped.find(canary) {
            return Some(around(&format!("escaped ({level} levels)"), &unescaped, at));
        }
        let pointer = pointer_form(canary);
        if let Some(at) = unescaped.find(&pointer) {
            return Some(around(
                &format!("JSON pointer, escaped ({level} levels)"),
                &unescaped,
                at,
            ));
        }
    }
    if text.contains('%') {
        for view in [text.to_string(), unescape(text)] {
            let decoded = percent_decode(&view);
            if let Some(at) = decoded.find(canary) {
                return Some(around("percent-encoded", &decoded, at));
            }
            let decoded = unescape(&decoded);
            if let Some(at) = decoded.find(canary) {
                return Some(around("percent-encoded, then escaped", &decoded, at));
            }
        }
    }
    None
}

/// Forms found by plain search: as written, JSON-escaped once and twice, every
/// character `\u`-escaped (both cases of hex), every byte percent-encoded, the
/// JSON pointer form, and the base64 cores.
pub fn literal_forms(canary: &str) -> Vec<(String, String)> {
    let json = |s: &str| {
        let quoted = serde_json::to_string(s).unwrap();
        quoted[1..quoted.len() - 1].to_string()
    };
    let mut forms = vec![
        ("as written".to_string(), canary.to_string()),
        ("JSON-escaped".to_string(), json(canary)),
        ("JSON-escaped twice".to_string(), json(&json(canary))),
        (
            "every character \\u-escaped".to_string(),
            canary
                .encode_utf16()
                .map(|u| format!("\\u{u:04x}"))
                .collect(),
        ),
        (
            "every character \\u-escaped (upper case)".to_string(),
            canary
                .encode_utf16()
                .map(|u| format!("\\u{u:04X}"))
                .collect(),
        ),
        (
            "every byte percent-encoded".to_string(),
            canary.bytes().map(|b| format!("%{b:02X}")).collect(),
        ),
        ("JSON pointer".to_string(), pointer_form(canary)),
        ("YAML single-quoted".to_string(), canary.replace('\'', "''")),
    ];
    for (alphabet, engine) in [
        (
            "standard",
            &base64::engine::general_purpose::STANDARD_NO_PAD,
        ),
        (
            "URL-safe",
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ),
    ] {
        for skip in 0..3 {
            let rest = &canary.as_bytes()[skip..];
            let aligned = &rest[..rest.len() - rest.len() % 3];
            forms.push((
                format!("base64 {alphabet}, alignment {skip}"),
                engine.encode(aligned),
            ));
        }
    }
    forms
}

/// The canary as a JSON pointer token writes it (RFC 6901).
fn pointer_form(canary: &str) -> String {
    canary.replace('~', "~0").replace('/', "~1")
}

/// One level of escapes undone, leniently: JSON's (`\"`, `\\`, `\/`, `\b`,
/// `\f`, `\n`, `\r`, `\t`, `\uXXXX` with surrogate pairs) and YAML's double-quoted
/// extras (`\xXX`, `\UXXXXXXXX`, `\0`, `\e`, `\N`, `\_`, a line folded with a
/// trailing `\`). Anything else stays as it is. (Bytes, not chars: outputs of
/// 16 MiB go through it.)
pub fn unescape(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |from: usize, n: usize| -> Option<u32> {
        let digits = std::str::from_utf8(bytes.get(from..from + n)?).ok()?;
        if digits.bytes().all(|c| c.is_ascii_hexdigit()) {
            u32::from_str_radix(digits, 16).ok()
        } else {
            None
        }
    };
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let push = |out: &mut Vec<u8>, c: char| {
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b'\\' || i + 1 >= bytes.len() {
            out.push(b);
            i += 1;
            continue;
        }
        let next = bytes[i + 1];
        let simple = match next {
            b'"' | b'\\' | b'/' | b' ' => Some(next as char),
            b'b' => Some('\u{8}'),
            b'f' => Some('\u{c}'),
            b'n' => Some('\n'),
            b'r' => Some('\r'),
            b't' => Some('\t'),
            b'0' => Some('\0'),
            b'e' => Some('\u{1b}'),
            b'N' => Some('\u{85}'),
            b'_' => Some('\u{a0}'),
            _ => None,
        };
        if let Some(c) = simple {
            push(&mut out, c);
            i += 2;
            continue;
        }
        if next == b'\n' {
            // A folded line: the break and the next line's indentation vanish.
            i += 2;
            while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
                i += 1;
            }
            continue;
        }
        let (width, skip) = match next {
            b'x' => (2, 4),
            b'u' => (4, 6),
            b'U' => (8, 10),
            _ => (0, 0),
        };
        match (width > 0).then(|| hex(i + 2, width)).flatten() {
            Some(high @ 0xD800..=0xDBFF) if next == b'u' => {
                let low = (bytes.get(i + 6) == Some(&b'\\') && bytes.get(i + 7) == Some(&b'u'))
                    .then(|| hex(i + 8, 4))
                    .flatten()
                    .filter(|l| (0xDC00..=0xDFFF).contains(l));
                match low {
                    Some(low) => {
                        let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                        push(&mut out, char::from_u32(code).unwrap_or('\u{fffd}'));
                        i += 12;
                    }
                    None => {
                        push(&mut out, '\u{fffd}');
                        i += 6;
                    }
                }
            }
            Some(code) => {
                push(&mut out, char::from_u32(code).unwrap_or('\u{fffd}'));
                i += skip;
            }
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `%XX` escapes undone (`+` stays `+`); invalid UTF-8 becomes U+FFFD.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let pair = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(pair, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every character of `text` percent-encoded but the unreserved ones
/// (`encodeURIComponent`).
pub fn percent_some(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// JSON-escaped, with a few characters (`C`, `N`, `é`, the tab) as `\u` escapes
/// and the rest as serde writes them: "some characters \u-escaped".
pub fn u_some(text: &str) -> String {
    let json = serde_json::to_string(text).unwrap();
    json[1..json.len() - 1]
        .replace('C', "\\u0043")
        .replace('N', "\\u004E")
        .replace('é', "\\u00e9")
        .replace("\\t", "\\u0009")
}
