//! What capture answers, endpoint by endpoint, as Beacon documents it.
//!
//! `verify` gets a token, as Beacon's does, but one that says plainly what it is:
//! an unsigned JWT (`alg: none`) whose claims name beacon-cli capture and say that
//! no license was verified. `ingest-traces` gets `inserted_count`, the number of
//! transactions received; `usage-snapshot` 204 No Content, as LangSmith's OpenAPI
//! documents; the OTLP endpoints an empty `Export*ServiceResponse` in the
//! request's own encoding (`{}`, or a protobuf message of zero bytes, which is
//! the empty message).

use base64::Engine;
use serde_json::json;
use time::OffsetDateTime;

use crate::decode::Encoding;
use crate::endpoints::EndpointId;

/// The issuer of the placeholder token.
pub const ISSUER: &str = "beacon-cli capture";

/// How long the placeholder token says it is good for.
const TOKEN_SECONDS: i64 = 24 * 3600;

/// An answer: status, content type and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The `Content-Type`, when there is a body.
    pub content_type: Option<&'static str>,
    /// The body.
    pub body: Vec<u8>,
}

impl Answer {
    /// A JSON answer.
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Self {
            status,
            content_type: Some("application/json"),
            body: body.to_string().into_bytes(),
        }
    }

    /// An answer that says what went wrong, as `{"detail": ...}` (FastAPI's shape,
    /// which LangSmith's services use).
    pub fn error(status: u16, detail: &str) -> Self {
        Self::json(status, &json!({ "detail": detail }))
    }

    /// No body.
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            content_type: None,
            body: Vec::new(),
        }
    }
}

/// The documented answer to a request that was taken: `transactions` is the
/// length of an ingest-traces body's `trace_transactions`.
pub fn documented(
    endpoint: EndpointId,
    encoding: Encoding,
    transactions: Option<usize>,
    now: OffsetDateTime,
) -> Answer {
    match endpoint {
        EndpointId::Verify => Answer::json(200, &json!({ "token": placeholder_token(now) })),
        EndpointId::IngestTraces => {
            Answer::json(200, &json!({ "inserted_count": transactions.unwrap_or(0) }))
        }
        EndpointId::UsageSnapshot => Answer::empty(204),
        EndpointId::Metrics | EndpointId::Traces | EndpointId::Logs => match encoding {
            Encoding::Json => Answer::json(200, &json!({})),
            Encoding::Protobuf => Answer {
                status: 200,
                content_type: Some("application/x-protobuf"),
                body: Vec::new(),
            },
        },
    }
}

/// An unsigned JWT whose claims say it comes from a capture, not from Beacon.
pub fn placeholder_token(now: OffsetDateTime) -> String {
    let iat = now.unix_timestamp();
    let header = json!({ "alg": "none", "typ": "JWT" });
    let claims = json!({
        "iss": ISSUER,
        "sub": "capture-placeholder",
        "iat": iat,
        "exp": iat + TOKEN_SECONDS,
        "capture_placeholder": true,
        "note": "issued by beacon-cli capture, not by Beacon: no license was verified",
    });
    let encode = |value: &serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
    };
    // An unsecured JWT (RFC 7519 section 6): the signature part is empty.
    format!("{}.{}.", encode(&header), encode(&claims))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interpret::{self, Answer as Read};

    #[test]
    fn each_answer_reads_as_accepted_and_as_documented() {
        let now = OffsetDateTime::now_utc();
        let cases = [
            (EndpointId::Verify, "{}", None),
            (
                EndpointId::IngestTraces,
                "{\"trace_transactions\":[{},{}]}",
                Some(2),
            ),
            (EndpointId::UsageSnapshot, "{}", None),
            (EndpointId::Metrics, "{}", None),
            (EndpointId::Traces, "{}", None),
            (EndpointId::Logs, "{}", None),
        ];
        for (id, sent, transactions) in cases {
            let answer = documented(id, Encoding::Json, transactions, now);
            let json: Option<serde_json::Value> = serde_json::from_slice(&answer.body).ok();
            let read = interpret::interpret(
                id,
                sent,
                Read {
                    status: answer.status,
                    body: &answer.body,
                    json: json.as_ref(),
                },
                now,
            );
            assert!(read.accepted && read.as_documented, "{id}: {read:?}");
        }
    }

    #[test]
    fn the_token_says_it_is_a_placeholder() {
        let token = placeholder_token(OffsetDateTime::UNIX_EPOCH);
        let payload = token.split('.').nth(1).unwrap();
        let claims: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap();
        assert_eq!(claims["capture_placeholder"], true);
        assert_eq!(claims["iss"], ISSUER);
        assert!(token.ends_with('.'));
    }

    #[test]
    fn protobuf_otlp_gets_an_empty_protobuf_message() {
        let answer = documented(
            EndpointId::Traces,
            Encoding::Protobuf,
            None,
            OffsetDateTime::now_utc(),
        );
        assert_eq!(answer.content_type, Some("application/x-protobuf"));
        assert!(answer.body.is_empty());
    }
}
