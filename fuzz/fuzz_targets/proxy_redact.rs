//! Proxy URLs and the redactor.
//!
//! Header byte bit 7 set: proxy parsing. The rest is text, lines: a proxy URL
//! (as `--proxy`, `https_proxy`, `http_proxy` and `all_proxy`), a target URL, a
//! `no_proxy` list. The proxy is chosen as `send` chooses it, parsed as the HTTP
//! library parses it, and shown redacted; the password the HTTP library would
//! send must not be in what is shown.
//!
//! Bit 7 clear: the redactor's promise. A secret is planted in text in one of the
//! encodings the redactor claims to see through (as written, JSON-escaped up to
//! three levels deep in any mix of escapes, percent-encoded in any mix, a JSON
//! pointer, a YAML single-quoted string, inside base64, cut at the end, cut before
//! an ellipsis); what the redactor leaves must not hold it. Layout: header, a
//! seed byte, the secret's length, the secret, the prefix's length, the prefix,
//! the suffix.
#![no_main]

use base64::Engine;
use beacon_cli::secrets::{self, Redactor, Secret};
use beacon_cli::transport::{EnvProxies, ProxyChoice, no_proxy_matches, proxy_for};
use libfuzzer_sys::fuzz_target;
use url::Url;

fuzz_target!(|data: &[u8]| {
    let Some((&header, rest)) = data.split_first() else {
        return;
    };
    if header & 0x80 != 0 {
        proxy(&String::from_utf8_lossy(rest));
    } else {
        redactor(header, rest);
    }
});

fn proxy(text: &str) {
    let mut lines = text.split('\n');
    let proxy = lines.next().unwrap_or_default();
    let target = lines.next().unwrap_or_default();
    let no_proxy = lines.next().unwrap_or_default();
    let target = Url::parse(target)
        .unwrap_or_else(|_| Url::parse("https://beacon.langchain.com/v1/beacon/verify").unwrap());
    let get = |name: &str| {
        let value = match name {
            "no_proxy" => no_proxy,
            _ => proxy,
        };
        (!value.is_empty()).then(|| value.to_string())
    };
    let env = EnvProxies::read(get);
    let _ = no_proxy_matches(target.host_str().unwrap_or_default(), no_proxy);
    for choice in [ProxyChoice::Flag(proxy.to_string()), ProxyChoice::Env(env)] {
        let Some(chosen) = proxy_for(&target, &choice) else {
            continue;
        };
        let shown = chosen.shown();
        let _ = secrets::url_credentials(proxy);
        // The HTTP client is handed the URL as written; whether it takes it or not,
        // only `shown` is ever printed (the "not a valid URL" error included).
        let _ = reqwest::Proxy::all(proxy);
        assert_password_hidden(proxy, &shown);
    }
}

/// The password as the HTTP library reads it (a URL, or `http://` put before text
/// without a scheme), raw and percent-decoded, is not in `shown` unless it is
/// written elsewhere in the text too (a password `3128` beside port 3128).
fn assert_password_hidden(proxy: &str, shown: &str) {
    let parsed = Url::parse(proxy)
        .ok()
        .filter(|u| u.has_host())
        .or_else(|| Url::parse(&format!("http://{proxy}")).ok());
    let Some(parsed) = parsed else {
        return;
    };
    let Some(password) = parsed.password() else {
        return;
    };
    let decoded = secrets::percent_decode(password);
    let shown = without_markers(shown);
    for form in [password, decoded.as_str()] {
        if form.is_empty() || form.contains('\0') || proxy.matches(form).count() != 1 {
            continue;
        }
        assert!(
            !shown.contains(form),
            "proxy password {form:?} of {proxy:?} is shown: {shown:?}"
        );
    }
}

/// The text with every redaction marker replaced by a NUL, so that no secret can
/// be made of a marker's letters and the text around it.
fn without_markers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("<redacted sha256:") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        match after.find('>') {
            Some(end) => {
                out.push('\0');
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(after);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// A small deterministic generator for the choices of an encoding "in any mix".
struct Bits(u64);

impl Bits {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
}

/// One level of JSON string escaping, each character escaped as JSON must, or
/// at random as `\uXXXX` (surrogate pairs above the BMP), `\/`, in mixed case.
fn json_escape(text: &str, bits: &mut Bits, mix: bool) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if mix && bits.next().is_multiple_of(3) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                if bits.coin() {
                    out.push_str(&format!("\\u{unit:04X}"));
                } else {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            continue;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if mix && bits.coin() => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encoding in any mix: `%` always (a bare `%` would start an escape),
/// any other byte at random, in either case.
fn percent_encode(text: &str, bits: &mut Bits) -> String {
    let mut out = String::new();
    for (i, c) in text.char_indices() {
        if c == '%' || bits.coin() {
            for b in text[i..i + c.len_utf8()].bytes() {
                if bits.coin() {
                    out.push_str(&format!("%{b:02X}"));
                } else {
                    out.push_str(&format!("%{b:02x}"));
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// What `Redactor::protect` leaves alone: the empty string, YAML and JSON
/// keywords, short numbers.
fn protected(value: &str) -> bool {
    let keyword = [
        "true", "false", "null", "yes", "no", "on", "off", "none", "~",
    ]
    .contains(&value.trim().to_ascii_lowercase().as_str());
    let short_number = value.len() < 8 && value.trim().parse::<f64>().is_ok();
    !(value.trim().is_empty() || keyword || short_number)
}

fn take<'a>(data: &mut &'a [u8]) -> Option<&'a [u8]> {
    let (&len, rest) = data.split_first()?;
    let len = usize::from(len).min(rest.len());
    let (taken, rest) = rest.split_at(len);
    *data = rest;
    Some(taken)
}

/// Where to cut a secret: at least four bytes in (the least the redactor hides
/// of a cut one), on a character boundary; `None` for a secret too short.
fn cut_point(secret: &str, seed: u8) -> Option<usize> {
    if secret.len() < 5 {
        return None;
    }
    let mut at = 4 + usize::from(seed) % (secret.len() - 4);
    while !secret.is_char_boundary(at) {
        at += 1;
    }
    Some(at)
}

fn redactor(header: u8, data: &[u8]) {
    let Some((&seed, mut data)) = data.split_first() else {
        return;
    };
    let Some(secret) = take(&mut data) else {
        return;
    };
    let Some(prefix) = take(&mut data) else {
        return;
    };
    let secret = String::from_utf8_lossy(secret).into_owned();
    let prefix = String::from_utf8_lossy(prefix).into_owned();
    let suffix = String::from_utf8_lossy(data).into_owned();
    if !protected(&secret) || secret.contains('\0') {
        return;
    }
    let mut bits = Bits(u64::from(seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let redactor = Redactor::new();
    redactor.protect(&Secret::new(secret.clone()));
    // A space on each side: the prefix cannot end in half an escape (`\`, `%4`)
    // that would swallow the first bytes of the planted form.
    let mode = header % 9;
    let (planted, cut) = match mode {
        0 => (secret.clone(), false),
        1 => {
            let depth = 1 + usize::from(header >> 4) % 3;
            let mut text = json_escape(&secret, &mut bits, true);
            for _ in 1..depth {
                text = json_escape(&text, &mut bits, false);
            }
            (text, false)
        }
        2 => (percent_encode(&secret, &mut bits), false),
        3 => {
            let pointer = secret.replace('~', "~0").replace('/', "~1");
            if header & 0x10 != 0 {
                (json_escape(&pointer, &mut bits, true), false)
            } else {
                (pointer, false)
            }
        }
        4 => (secret.replace('\'', "''"), false),
        5 | 6 => {
            if secret.len() < 6 {
                return;
            }
            // Base64 of the secret with 0-2 bytes before it (each alignment), in
            // either alphabet, with or without padding, alone or as Basic auth.
            let before = "ab"[..usize::from(header >> 4) % 3].to_string();
            let inner = if mode == 6 {
                format!("user:{secret}")
            } else {
                format!("{before}{secret}!")
            };
            let engine = match bits.next() % 3 {
                0 => &base64::engine::general_purpose::STANDARD,
                1 => &base64::engine::general_purpose::STANDARD_NO_PAD,
                _ => &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            };
            let encoded = engine.encode(inner);
            let encoded = if mode == 6 {
                format!("Authorization: Basic {encoded}")
            } else {
                encoded
            };
            (encoded, false)
        }
        7 => {
            // Cut at a limit: the text ends inside the secret.
            let Some(at) = cut_point(&secret, seed) else {
                return;
            };
            (secret[..at].to_string(), true)
        }
        _ => {
            // Cut for a message: the first bytes, then an ellipsis.
            let Some(at) = cut_point(&secret, seed) else {
                return;
            };
            (format!("{}…", &secret[..at]), false)
        }
    };
    let (text, out) = if cut {
        let text = format!("{prefix} {planted}");
        let out = redactor.redact_cut(&text).into_owned();
        (text, out)
    } else {
        let text = format!("{prefix} {planted} {suffix}");
        let out = redactor.redact(&text).into_owned();
        (text, out)
    };
    // The planted occurrence, between its spaces: elsewhere the same characters
    // may stand in another context (`%2` before a planted `a%41`), not a secret.
    let left = without_markers(&out);
    let gone = if cut {
        !left.ends_with(&format!(" {planted}"))
    } else {
        !left.contains(&format!(" {planted} "))
    };
    assert!(
        gone,
        "planted form {planted:?} survives in {left:?} (text {text:?})"
    );
    assert!(
        !left.contains(&secret),
        "secret {secret:?} survives in {left:?} (text {text:?})"
    );
}
