//! The answer interpreter: any status and body, for every endpoint, read as
//! `send` reads it (the body parsed as JSON once, when it is JSON).
//!
//! Input: one byte for the endpoint (modulo 6), two for the status (big-endian,
//! any u16, not only 100-599), then the body.
#![no_main]

use beacon_cli::endpoints::EndpointId;
use beacon_cli::interpret::{self, Answer};
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;

/// The body `send` sent to `ingest-traces`, whose transactions the answer counts.
const SENT: &str = r#"{"license":"lsv2_sk_x","trace_transactions":[{"id":"1"},{"id":"2"}]}"#;

fuzz_target!(|data: &[u8]| {
    let [e, s1, s2, body @ ..] = data else {
        return;
    };
    let endpoint = EndpointId::ALL[usize::from(*e) % EndpointId::ALL.len()];
    let status = u16::from_be_bytes([*s1, *s2]);
    let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let answer = Answer {
        status,
        body,
        json: json.as_ref(),
    };
    // A fixed clock, so a crash replays: 2026-01-01T00:00:00Z.
    let now = OffsetDateTime::from_unix_timestamp(1_767_225_600).expect("a valid time");
    let read = interpret::interpret(endpoint, SENT, answer, now);
    let _ = serde_json::to_string(&read).expect("interpretation serialises");
    let _ = interpret::token(json.as_ref());
    let _ = interpret::status_hint(endpoint, status);
    // `ok` is 2xx alone: nothing else is ever accepted.
    assert!(!read.accepted || (200..300).contains(&status));
});
