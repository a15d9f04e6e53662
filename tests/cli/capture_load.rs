//! `capture` under load: 100,000 requests from 64 keep-alive connections, every
//! answered request in the ledger and no line torn; and SIGTERM half-way through
//! another such run, after which every request that got a 2xx is still in the
//! ledger and nothing else is.

use crate::common;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use common::capture::{Capture, Client, records};

const TOTAL: u64 = 100_000;
const CONNECTIONS: u64 = 64;

/// A small, valid OTLP/JSON traces body.
const BODY: &str = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"load"}}]},"scopeSpans":[{"scope":{"name":"load"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"GET /","kind":2,"startTimeUnixNano":"1767225600000000000","endTimeUnixNano":"1767225601000000000","status":{}}]}]}]}"#;

/// What the load saw: the ids that were answered 2xx.
struct Load {
    answered: Vec<String>,
    others: u64,
}

/// Sends up to `TOTAL` requests over `CONNECTIONS` connections, each request
/// named by an `x-load-id` header; `answered` counts the 2xx answers as they come.
fn load(capture: &Capture, answered: &Arc<AtomicU64>) -> Load {
    let threads: Vec<_> = (0..CONNECTIONS)
        .map(|c| {
            let addr = capture.addr;
            let answered = answered.clone();
            std::thread::spawn(move || {
                let mut ok = Vec::new();
                let mut others = 0;
                let Ok(mut client) = Client::connect(addr) else {
                    return (ok, others);
                };
                for n in 0..TOTAL / CONNECTIONS + u64::from(c < TOTAL % CONNECTIONS) {
                    let id = format!("{c}-{n}");
                    let headers = [("Content-Type", "application/json"), ("x-load-id", &id)];
                    match client.request("POST", "/v1/beacon/v1/traces", &headers, BODY.as_bytes())
                    {
                        Ok(r) if (200..300).contains(&r.status) => {
                            ok.push(id);
                            answered.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(_) => others += 1,
                        // Closed by the stop: this connection is done.
                        Err(_) => break,
                    }
                }
                (ok, others)
            })
        })
        .collect();
    let mut load = Load {
        answered: Vec::new(),
        others: 0,
    };
    for thread in threads {
        let (ok, others) = thread.join().unwrap();
        load.answered.extend(ok);
        load.others += others;
    }
    load
}

/// The ids in the ledger; each must be there once.
fn recorded(capture_dir: &std::path::Path) -> HashSet<String> {
    let records = records(&capture_dir.join("capture.jsonl"));
    let mut ids = HashSet::new();
    for record in &records {
        let id = record["headers"]["x-load-id"].as_str().unwrap().to_string();
        assert!(ids.insert(id.clone()), "{id} recorded twice");
        assert_eq!(record["status"], 200);
    }
    ids
}

#[test]
fn a_hundred_thousand_requests_from_64_connections_are_all_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let capture = Capture::start(dir.path(), &["-q"]);
    let load = load(&capture, &Arc::default());
    let ended = capture.stop();
    assert_eq!(ended.code, 0, "{}", ended.stderr);
    assert_eq!(load.others, 0);
    assert_eq!(load.answered.len() as u64, TOTAL);
    let ids = recorded(dir.path());
    assert_eq!(ids.len() as u64, TOTAL, "records = 2xx answers");
    assert!(load.answered.iter().all(|id| ids.contains(id)));
}

#[test]
fn sigterm_in_the_middle_of_the_load_loses_no_answered_request() {
    let dir = tempfile::tempdir().unwrap();
    let capture = Capture::start(dir.path(), &["-q"]);
    let answered = Arc::new(AtomicU64::new(0));
    let load = std::thread::scope(|scope| {
        let loader = scope.spawn(|| load(&capture, &answered));
        while answered.load(Ordering::Relaxed) < TOTAL / 2 {
            assert!(!loader.is_finished(), "the load ended before the stop");
            std::thread::sleep(Duration::from_millis(5));
        }
        capture.signal("TERM");
        loader.join().unwrap()
    });
    let ended = capture.wait(Duration::from_secs(60));
    assert_eq!(ended.code, 0, "{}", ended.stderr);
    let answered = load.answered.len() as u64;
    assert!(
        (TOTAL / 2..TOTAL).contains(&answered),
        "{answered} answered: the stop came in the middle"
    );
    let ids = recorded(dir.path());
    let missing: Vec<_> = load
        .answered
        .iter()
        .filter(|id| !ids.contains(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} answered but not recorded",
        missing.len()
    );
    assert_eq!(ids.len() as u64, answered, "records = 2xx answers");
}
