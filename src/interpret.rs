//! What a Beacon answer means, endpoint by endpoint, without ever showing a token.
//!
//! `verify` answers a short-lived JWT: its claims (expiry and the like) are read,
//! the token itself is never printed. `ingest-traces` answers how many
//! transactions it stored; `usage-snapshot` is documented to answer 204; the OTLP
//! endpoints may answer `partialSuccess` with the count they rejected.

use base64::Engine;
use serde::Serialize;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::endpoints::{Class, EndpointId, Signal};
use crate::output;

/// The facts read from an answer.
#[derive(Debug, Clone, Serialize)]
pub struct Interpretation {
    /// Whether the answer shows the request was taken: a token for `verify`,
    /// every transaction stored, nothing rejected, a body of the documented kind.
    /// A 2xx answer that is not accepted ends `send` with exit 3.
    pub accepted: bool,
    /// Whether the answer is what the documentation promises.
    pub as_documented: bool,
    /// One line for people.
    pub summary: String,
    /// The facts, for scripts.
    pub facts: Map<String, Value>,
}

/// The answer to read.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    /// The status code.
    pub status: u16,
    /// The body as received.
    pub body: &'a [u8],
    /// The body parsed once, when it is JSON.
    pub json: Option<&'a Value>,
}

impl Answer<'_> {
    fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// A body that is neither empty nor JSON (an HTML page from a proxy or a
    /// portal): whatever answered, it is not a Beacon receiver.
    fn foreign(&self) -> bool {
        self.json.is_none() && !self.body.iter().all(u8::is_ascii_whitespace)
    }
}

/// What a body that is not JSON says, for a summary.
const FOREIGN: &str =
    "the answer is not JSON, so not from a Beacon receiver (a proxy's or portal's page?)";

/// Reads the answer sent back for the body `sent` to `endpoint`.
pub fn interpret(
    endpoint: EndpointId,
    sent: &str,
    answer: Answer<'_>,
    now: OffsetDateTime,
) -> Interpretation {
    let mut read = match endpoint {
        EndpointId::Verify => verify(answer, now),
        EndpointId::IngestTraces => ingest(sent, answer),
        EndpointId::UsageSnapshot => usage(answer),
        EndpointId::Metrics => otlp(answer, Signal::Metrics),
        EndpointId::Traces => otlp(answer, Signal::Traces),
        EndpointId::Logs => otlp(answer, Signal::Logs),
    };
    if answer.ok() && answer.foreign() {
        read.accepted = false;
        read.as_documented = false;
        read.summary = format!("HTTP {}, but {FOREIGN}", answer.status);
    }
    read.accepted &= answer.ok();
    read
}

/// The token in a `verify` answer, when there is one.
pub fn token(json: Option<&Value>) -> Option<&str> {
    json?.get("token")?.as_str()
}

fn facts(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn verify(answer: Answer<'_>, now: OffsetDateTime) -> Interpretation {
    let status = answer.status;
    let Some(token) = token(answer.json)
        .filter(|t| !t.is_empty())
        .filter(|_| answer.ok())
    else {
        return Interpretation {
            accepted: false,
            as_documented: false,
            summary: format!(
                "no token in the answer (HTTP {status}): the license was not verified"
            ),
            facts: facts(json!({ "token_received": false })),
        };
    };
    let claims = jwt_claims(token);
    let mut found = json!({ "token_received": true, "token_is_jwt": claims.is_some() });
    let mut summary = "token received (not shown)".to_string();
    if let Some(claims) = &claims {
        let mut shown = Map::new();
        for key in ["iss", "sub", "aud", "iat", "nbf", "exp"] {
            if let Some(v) = claims.get(key) {
                shown.insert(key.to_string(), v.clone());
            }
        }
        found["claims"] = Value::Object(shown);
        found["other_claims"] = json!(
            claims
                .keys()
                .filter(|k| !["iss", "sub", "aud", "iat", "nbf", "exp"].contains(&k.as_str()))
                .collect::<Vec<_>>()
        );
        if let Some(exp) = claims.get("exp").and_then(Value::as_i64) {
            if let Ok(at) = OffsetDateTime::from_unix_timestamp(exp) {
                let left = exp - now.unix_timestamp();
                let stamp = at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default();
                found["expires_at"] = json!(stamp);
                found["expires_in_seconds"] = json!(left);
                summary.push_str(&if left >= 0 {
                    format!("; expires {stamp}, in {}", human_seconds(left))
                } else {
                    format!("; EXPIRED at {stamp}, {} ago", human_seconds(-left))
                });
            }
        }
    } else {
        summary.push_str("; it is not a JWT, so its claims cannot be read");
    }
    Interpretation {
        accepted: true,
        as_documented: claims.is_some(),
        summary,
        facts: facts(found),
    }
}

/// The claims of a JWT, read without verifying its signature (beacon-cli has no key).
fn jwt_claims(token: &str) -> Option<Map<String, Value>> {
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// What to do about an HTTP status that is not a success.
pub fn status_hint(endpoint: EndpointId, status: u16) -> &'static str {
    match (status, endpoint.spec().class) {
        (401 | 403, Class::Billing | Class::Usage) => {
            "the license key was refused, or a proxy refused the request: `beacon-cli send verify -v` shows which answered"
        }
        (401 | 403, Class::Operational) => {
            "the request was refused; a proxy in the way answers this too: `-v` shows the answer's headers"
        }
        (404 | 405, _) => {
            "no such endpoint there: --url (or BEACON_URL) is the base URL, without the endpoint's path"
        }
        (400 | 422, _) => {
            "the server refused the body: `beacon-cli validate ID FILE` checks it against the documented shape"
        }
        (413, _) => "the body is too large for the server or a proxy on the way",
        (429, _) => "rate limited, after every retry --retries allowed: wait, then try again",
        (500..=599, _) => {
            "the server failed after every retry: try again later; 502 and 504 often come from a proxy on the way"
        }
        _ => "`-v` shows the answer's headers; -o json gives the whole answer",
    }
}

fn human_seconds(s: i64) -> String {
    match s {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}

fn ingest(sent: &str, answer: Answer<'_>) -> Interpretation {
    let (status, json) = (answer.status, answer.json);
    let count = serde_json::from_str::<Value>(sent).ok().and_then(|v| {
        v.get("trace_transactions")
            .and_then(Value::as_array)
            .map(Vec::len)
    });
    let inserted = json
        .and_then(|j| j.get("inserted_count"))
        .and_then(Value::as_u64);
    let matches = matches!((count, inserted), (Some(c), Some(i)) if c as u64 == i);
    // A body of your own that is not a list of transactions: any count will do.
    let accepted = matches || (count.is_none() && inserted.is_some());
    let summary = match (count, inserted) {
        (Some(c), Some(i)) if c as u64 == i => {
            format!(
                "{} stored (inserted_count {i})",
                match c {
                    1 => "the 1 transaction".to_string(),
                    c => format!("all {c} transactions"),
                }
            )
        }
        (Some(c), Some(i)) if (c as u64) < i => {
            format!(
                "inserted_count {i}, but {} were sent",
                output::count(c, "transaction")
            )
        }
        (Some(c), Some(i)) => format!(
            "{i} of {} stored: {} not stored",
            output::count(c, "transaction"),
            (c as u64) - i
        ),
        (_, None) => format!("no inserted_count in the answer (HTTP {status})"),
        (None, Some(i)) => format!("inserted_count {i}"),
    };
    Interpretation {
        accepted,
        as_documented: matches && answer.ok(),
        summary,
        facts: facts(json!({
            "transactions_sent": count,
            "inserted_count": inserted,
            "all_inserted": matches,
        })),
    }
}

fn usage(answer: Answer<'_>) -> Interpretation {
    let status = answer.status;
    let as_documented = status == 204;
    Interpretation {
        accepted: true,
        as_documented,
        summary: if as_documented {
            "204 No Content, as documented".to_string()
        } else {
            format!("HTTP {status}; LangSmith's OpenAPI documents 204 No Content")
        },
        facts: facts(json!({ "expected_status": 204, "status": status })),
    }
}

fn otlp(answer: Answer<'_>, signal: Signal) -> Interpretation {
    let (status, json) = (answer.status, answer.json);
    let (field, noun) = signal.rejected();
    let partial = json.and_then(|j| j.get("partialSuccess"));
    let rejected = partial
        .and_then(|p| p.get(field))
        .and_then(|v| {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        })
        .unwrap_or(0);
    let message = partial
        .and_then(|p| p.get("errorMessage"))
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty());
    let ok = answer.ok();
    // An OTLP answer is an Export…ServiceResponse: a JSON object, or nothing.
    let shaped = json.is_none_or(Value::is_object);
    let summary = match (ok, rejected, message) {
        (true, _, _) if !shaped => {
            "the answer is JSON but not an OTLP export response (an object)".to_string()
        }
        (true, 0, None) => format!("accepted, no {noun}s rejected"),
        (true, 0, Some(m)) => format!("accepted with a warning: {m}"),
        (true, n, m) => format!(
            "partial success: {} rejected{}",
            output::count(n, noun),
            m.map(|m| format!(": {m}")).unwrap_or_default()
        ),
        (false, _, _) => format!("HTTP {status}: not accepted"),
    };
    Interpretation {
        accepted: rejected == 0 && shaped,
        as_documented: ok && rejected == 0 && shaped,
        summary,
        facts: facts(json!({
            "otlp_response": shaped && !answer.foreign(),
            "rejected": rejected,
            "rejected_kind": format!("{noun}s"),
            "error_message": message,
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(
        id: EndpointId,
        sent: &str,
        status: u16,
        body: &[u8],
        now: OffsetDateTime,
    ) -> Interpretation {
        let json: Option<Value> = serde_json::from_slice(body).ok();
        let answer = Answer {
            status,
            body,
            json: json.as_ref(),
        };
        interpret(id, sent, answer, now)
    }

    fn jwt(claims: &Value) -> String {
        let enc =
            |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.sig", enc(&json!({"alg": "HS256"})), enc(claims))
    }

    #[test]
    fn a_token_is_read_not_shown() {
        let now = OffsetDateTime::from_unix_timestamp(1_000_000).unwrap();
        let token = jwt(&json!({"exp": 1_003_600, "sub": "lic-1", "tier": "x"}));
        let body = json!({"token": token}).to_string();
        let read = answer(EndpointId::Verify, "{}", 200, body.as_bytes(), now);
        assert!(read.as_documented);
        assert!(read.summary.contains("in 60 min"), "{}", read.summary);
        assert_eq!(read.facts["expires_in_seconds"], 3600);
        assert_eq!(read.facts["claims"]["sub"], "lic-1");
        assert_eq!(read.facts["other_claims"], json!(["tier"]));
        assert!(!serde_json::to_string(&read).unwrap().contains(&token));
        let opaque = answer(
            EndpointId::Verify,
            "{}",
            200,
            br#"{"token": "Valid JWT"}"#,
            now,
        );
        assert!(opaque.summary.contains("not a JWT"));
    }

    #[test]
    fn inserted_count_is_compared_with_what_was_sent() {
        let sent = r#"{"trace_transactions": [{}, {}]}"#;
        let all = answer(
            EndpointId::IngestTraces,
            sent,
            200,
            br#"{"inserted_count": 2}"#,
            OffsetDateTime::now_utc(),
        );
        assert!(all.as_documented && all.facts["all_inserted"] == true);
        assert_eq!(all.summary, "all 2 transactions stored (inserted_count 2)");
        let one = answer(
            EndpointId::IngestTraces,
            r#"{"trace_transactions": [{}]}"#,
            200,
            br#"{"inserted_count": 1}"#,
            OffsetDateTime::now_utc(),
        );
        assert_eq!(one.summary, "the 1 transaction stored (inserted_count 1)");
        let some = answer(
            EndpointId::IngestTraces,
            sent,
            200,
            br#"{"inserted_count": 1}"#,
            OffsetDateTime::now_utc(),
        );
        assert!(!some.as_documented && some.summary.contains("1 not stored"));
    }

    #[test]
    fn partial_success_is_shown() {
        let body = br#"{"partialSuccess": {"rejectedSpans": "3", "errorMessage": "bad ids"}}"#;
        let read = answer(
            EndpointId::Traces,
            "{}",
            200,
            body,
            OffsetDateTime::now_utc(),
        );
        assert_eq!(read.facts["rejected"], 3);
        assert!(read.summary.contains("3 spans rejected: bad ids"));
        let body = br#"{"partialSuccess": {"rejectedLogRecords": 1}}"#;
        let one = answer(EndpointId::Logs, "{}", 200, body, OffsetDateTime::now_utc());
        assert_eq!(one.summary, "partial success: 1 log record rejected");
        assert!(
            answer(
                EndpointId::Logs,
                "{}",
                200,
                b"{}",
                OffsetDateTime::now_utc()
            )
            .as_documented
        );
    }

    #[test]
    fn a_200_that_is_not_an_otlp_response_is_not_taken_for_one() {
        let now = OffsetDateTime::now_utc();
        let portal = answer(EndpointId::Metrics, "{}", 200, b"<html>log in</html>", now);
        assert!(!portal.as_documented && !portal.accepted);
        assert!(
            portal.summary.contains("not from a Beacon receiver"),
            "{}",
            portal.summary
        );
        assert_eq!(portal.facts["otlp_response"], false);
        let array = answer(EndpointId::Traces, "{}", 200, b"[1]", now);
        assert!(!array.as_documented);
        assert_eq!(array.facts["otlp_response"], false);
        let empty = answer(EndpointId::Logs, "{}", 200, b"", now);
        assert!(empty.as_documented, "the empty message: {}", empty.summary);
        assert_eq!(empty.facts["otlp_response"], true);
    }

    #[test]
    fn usage_snapshot_expects_204() {
        assert!(
            answer(
                EndpointId::UsageSnapshot,
                "{}",
                204,
                b"",
                OffsetDateTime::now_utc()
            )
            .as_documented
        );
        assert!(
            !answer(
                EndpointId::UsageSnapshot,
                "{}",
                200,
                b"",
                OffsetDateTime::now_utc()
            )
            .as_documented
        );
    }
}
