//! The ledger's one writer: a thread of its own that takes the records the
//! handlers hand it and writes all those waiting in one write (a group commit),
//! then tells each handler whether its record is in the ledger. A handler
//! answers only after that, so an answered request is always in the ledger;
//! while the writer writes, the runtime's threads go on serving, and records
//! arriving meanwhile share the next write.

use std::sync::{Arc, Mutex, mpsc as channel};

use anyhow::{Context as _, Result};
use tokio::sync::{mpsc, oneshot};

use super::ledger::Appended;
use super::{Book, Brief, Event, Stop, Stopper};

/// Records waiting are written together up to about this many bytes.
const BATCH_BYTES: usize = 1024 * 1024;

/// A record handed to the writer, and who waits for it.
struct Entry {
    line: String,
    brief: Brief,
    written: oneshot::Sender<bool>,
}

/// Where the handlers hand their records.
#[derive(Debug, Clone)]
pub(super) struct Records(channel::Sender<Entry>);

impl Records {
    /// Hands a record to the writer and waits for it to be written: true once
    /// it is in the ledger, false when it could not be (or the capture stopped).
    pub async fn record(&self, line: String, brief: Brief) -> bool {
        let (written, done) = oneshot::channel();
        let entry = Entry {
            line,
            brief,
            written,
        };
        self.0.send(entry).is_ok() && done.await.unwrap_or(false)
    }
}

/// What the writer needs besides the records.
pub(super) struct Writer {
    pub book: Arc<Mutex<Book>>,
    pub stopper: Arc<Stopper>,
    /// Where each written request goes in brief, for the live line.
    pub live: Option<mpsc::Sender<Event>>,
}

impl Writer {
    /// Starts the writer's thread. It ends when every [`Records`] is gone.
    pub fn start(self) -> Result<Records> {
        let (records, waiting) = channel::channel();
        std::thread::Builder::new()
            .name("beacon-ledger".to_string())
            .spawn(move || self.run(&waiting))
            .context("cannot start the ledger's writer")?;
        Ok(Records(records))
    }

    fn run(self, waiting: &channel::Receiver<Entry>) {
        let mut batch: Vec<Entry> = Vec::new();
        // Whether the last write took more than one record: the capture is under load.
        let mut busy = false;
        while let Ok(first) = waiting.recv() {
            if busy {
                // The runtime's threads, if they wait for the core, run first
                // and hand in what they have: the batch grows, for no wait when
                // nothing else is ready to run.
                std::thread::yield_now();
            }
            let mut bytes = first.line.len();
            batch.push(first);
            while bytes < BATCH_BYTES {
                let Ok(next) = waiting.try_recv() else { break };
                bytes += next.line.len();
                batch.push(next);
            }
            busy = batch.len() > 1;
            let records: Vec<(&str, &Brief)> = batch
                .iter()
                .map(|entry| (entry.line.as_str(), &entry.brief))
                .collect();
            let appended = match self.book.lock() {
                Ok(mut book) => book.write(&records),
                Err(_) => Appended::none("the ledger's writer failed"),
            };
            drop(records);
            if appended
                .error
                .as_ref()
                .is_some_and(crate::error::is_broken_pipe)
            {
                // Standard output was closed: nothing more can be recorded.
                self.stopper.stop(Stop::Closed);
            }
            let written = appended.lines;
            for (n, entry) in batch.drain(..).enumerate() {
                if let Some(live) = &self.live {
                    let _ = live.try_send(Event::Live(entry.brief));
                }
                let _ = entry.written.send(n < written);
            }
        }
    }
}
