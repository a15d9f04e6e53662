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

use crate::endpoints::{EndpointId, Signal};

/// The facts read from an answer.
#[derive(Debug, Clone, Serialize)]
pub struct Interpretation {
    /// Whether the answer is what the documentation promises.
    pub as_documented: bool,
    /// One line for people.
    pub summary: String,
    /// The facts, for scripts.
    pub facts: Map<String, Value>,
}

/// Reads the answer `body` sent back for the body `sent` to `endpoint`; `json` is
/// the answer's body parsed once, when it is JSON.
pub fn interpret(
    endpoint: EndpointId,
    sent: &str,
    status: u16,
    body: &[u8],
    json: Option<&Value>,
    now: OffsetDateTime,
) -> Interpretation {
    match endpoint {
        EndpointId::Verify => verify(status, json, now),
        EndpointId::IngestTraces => ingest(sent, status, json),
        EndpointId::UsageSnapshot => usage(status),
        EndpointId::Metrics => otlp(status, body, json, Signal::Metrics),
        EndpointId::Traces => otlp(status, body, json, Signal::Traces),
        EndpointId::Logs => otlp(status, body, json, Signal::Logs),
    }
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

fn verify(status: u16, json: Option<&Value>, now: OffsetDateTime) -> Interpretation {
    let Some(token) = token(json).filter(|_| (200..300).contains(&status)) else {
        return Interpretation {
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

fn human_seconds(s: i64) -> String {
    match s {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}

fn ingest(sent: &str, status: u16, json: Option<&Value>) -> Interpretation {
    let count = serde_json::from_str::<Value>(sent).ok().and_then(|v| {
        v.get("trace_transactions")
            .and_then(Value::as_array)
            .map(Vec::len)
    });
    let inserted = json
        .and_then(|j| j.get("inserted_count"))
        .and_then(Value::as_u64);
    let matches = matches!((count, inserted), (Some(c), Some(i)) if c as u64 == i);
    let summary = match (count, inserted) {
        (Some(c), Some(i)) if c as u64 == i => {
            format!("all {c} transactions stored (inserted_count {i})")
        }
        (Some(c), Some(i)) => format!(
            "{i} of {c} transactions stored: {} not stored",
            (c as u64).saturating_sub(i)
        ),
        (_, None) => format!("no inserted_count in the answer (HTTP {status})"),
        (None, Some(i)) => format!("inserted_count {i}"),
    };
    Interpretation {
        as_documented: matches && (200..300).contains(&status),
        summary,
        facts: facts(json!({
            "transactions_sent": count,
            "inserted_count": inserted,
            "all_inserted": matches,
        })),
    }
}

fn usage(status: u16) -> Interpretation {
    let as_documented = status == 204;
    Interpretation {
        as_documented,
        summary: if as_documented {
            "204 No Content, as documented".to_string()
        } else {
            format!("HTTP {status}; LangSmith's OpenAPI documents 204 No Content")
        },
        facts: facts(json!({ "expected_status": 204, "status": status })),
    }
}

fn otlp(status: u16, body: &[u8], json: Option<&Value>, signal: Signal) -> Interpretation {
    let (field, noun) = signal.rejected();
    let ok = (200..300).contains(&status);
    // OTLP/HTTP answers a success with an Export*ServiceResponse in the request's
    // encoding (JSON here; empty is the empty message). An HTML page with a 200
    // is a proxy's or a portal's, not Beacon's: the data did not get through.
    if ok && !body.trim_ascii().is_empty() && !json.is_some_and(Value::is_object) {
        return Interpretation {
            as_documented: false,
            summary: format!(
                "HTTP {status}, but the answer is not an OTLP response (not a JSON object): something other than Beacon may have answered, such as a proxy's login page"
            ),
            facts: facts(json!({
                "otlp_response": false,
                "rejected": null,
                "rejected_kind": noun,
                "error_message": null,
            })),
        };
    }
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
    let summary = match (ok, rejected, message) {
        (true, 0, None) => format!("accepted, no {noun} rejected"),
        (true, 0, Some(m)) => format!("accepted with a warning: {m}"),
        (true, n, m) => format!(
            "partial success: {n} {noun} rejected{}",
            m.map(|m| format!(": {m}")).unwrap_or_default()
        ),
        (false, _, _) => format!("HTTP {status}: not accepted"),
    };
    Interpretation {
        as_documented: ok && rejected == 0,
        summary,
        facts: facts(json!({
            "otlp_response": json.is_some_and(Value::is_object),
            "rejected": rejected,
            "rejected_kind": noun,
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
        interpret(id, sent, status, body, json.as_ref(), now)
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
        assert!(!portal.as_documented);
        assert!(
            portal.summary.contains("not an OTLP response"),
            "{}",
            portal.summary
        );
        assert_eq!(portal.facts["otlp_response"], false);
        assert!(!answer(EndpointId::Traces, "{}", 200, b"[1]", now).as_documented);
        let empty = answer(EndpointId::Logs, "{}", 200, b"", now);
        assert!(empty.as_documented, "the empty message: {}", empty.summary);
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
