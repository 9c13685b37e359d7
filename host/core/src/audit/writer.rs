//! Group commit for the audit log: one writer thread appends, for async callers, everything that has queued
//! up since its last commit in a single transaction.
//!
//! Why: every tool invocation appends to the audit log before its answer is sent. Appending one request per
//! transaction paid, per request, a hop to the blocking pool (a thread wake-up each way), a fight for the
//! connection lock with every other request doing the same, and a commit (WAL frames written, locks taken
//! and released). Here a request is a message on a channel and a one-shot reply: the writer drains the
//! queue, appends each request's rows in arrival order inside one IMMEDIATE transaction, commits once, and
//! only then answers each caller. Nothing is answered before it is committed, so a caller that waits for
//! its reply before responding keeps exactly the durability of a synchronous append.
//!
//! The thread is the one serial stretch every invocation passes through, so it does as little as it can:
//! callers queue entries already prepared (canonical detail, the hash preimage around `seq` and `at`), the
//! group takes one timestamp, and each row costs the thread one SHA-256 and one insert. It answers with
//! where each row landed ([`ChainLink`]), not a copy of the row the caller already has.
//!
//! Each request stays all-or-none and contiguous in the chain. If the group's transaction fails (a
//! constraint, an I/O error), nothing of it is kept and the writer retries its requests one per transaction,
//! so one bad request cannot fail its neighbours and each caller gets its own outcome. If the thread ever
//! stops (a bug), callers get an error instead of a silent, unaudited success.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::{ChainHead, ChainLink, Prepared, append_prepared};
use crate::StoreError;
use crate::stamp::now;
use crate::store::{in_immediate_transaction, lock_connection};

/// The most requests one transaction takes; the rest wait for the next one. It bounds how long the
/// connection lock is held at a stretch, not throughput: a group is usually as large as the number of
/// requests in flight.
const MAX_GROUP: usize = 256;

/// The handle the store keeps: the queue into the writer thread and the thread itself.
pub(crate) struct AuditWriter {
    /// `None` only while dropping, so the thread sees the queue close.
    queue: Option<Sender<Request>>,
    /// Joined on drop, after it has committed what was queued.
    thread: Option<JoinHandle<()>>,
    /// The database, named in the error a caller gets if the thread stopped.
    origin: PathBuf,
}

/// One caller's rows and where to send the outcome.
pub(crate) struct Request {
    /// Appended together, in this order, or not at all. Already validated.
    entries: Vec<Prepared>,
    /// The outcome, sent after the commit (or the failure).
    reply: oneshot::Sender<Result<Vec<ChainLink>, StoreError>>,
}

impl AuditWriter {
    /// Starts the writer thread on the store's connection (shared with the store's other users).
    pub(crate) fn start(conn: Arc<Mutex<Connection>>, origin: PathBuf) -> AuditWriter {
        let (queue, requests) = channel();
        let thread = std::thread::Builder::new()
            .name("drydock-audit".into())
            .spawn(move || run(&conn, &requests))
            .expect("the OS refused to start the audit writer thread");
        AuditWriter {
            queue: Some(queue),
            thread: Some(thread),
            origin,
        }
    }

    /// Queues `entries` (validated, not empty) for the next group commit; resolves once they are committed.
    pub(crate) fn submit(
        &self,
        entries: Vec<Prepared>,
    ) -> impl Future<Output = Result<Vec<ChainLink>, StoreError>> + Send + 'static {
        let (reply, committed) = oneshot::channel();
        let queued = self
            .queue
            .as_ref()
            .is_some_and(|queue| queue.send(Request { entries, reply }).is_ok());
        let origin = self.origin.clone();
        async move {
            // A dropped reply means the writer stopped without answering: refuse, never pretend it committed.
            let stopped = || StoreError::Io {
                path: origin,
                source: std::io::Error::other("the audit writer thread has stopped"),
            };
            if !queued {
                return Err(stopped());
            }
            committed.await.unwrap_or_else(|_| Err(stopped()))
        }
    }
}

impl Drop for AuditWriter {
    fn drop(&mut self) {
        // Closing the queue ends the thread once it has drained it; joining means that, when the store is
        // gone, so is its connection (and every queued row is committed).
        drop(self.queue.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the audit writer thread panicked");
        }
    }
}

/// The thread: waits for a request, takes everything else already queued, commits it as one group.
fn run(conn: &Mutex<Connection>, requests: &Receiver<Request>) {
    while let Ok(first) = requests.recv() {
        // On a busy machine the request that woke us usually hands us the CPU of the handler that sent it,
        // so we would commit it nearly alone. Yielding once lets the runnable handlers queue theirs first:
        // on the 2-core benchmark box groups grow from about 4 requests to 6 or more. With nothing else
        // runnable the yield returns at once, so an idle server adds no latency.
        std::thread::yield_now();
        let mut group = vec![first];
        group.extend(requests.try_iter().take(MAX_GROUP - 1));
        commit_group(&mut lock_connection(conn), group);
    }
}

/// Appends every request of `group` in order, in one transaction if possible, and answers each one.
pub(crate) fn commit_group(conn: &mut Connection, group: Vec<Request>) {
    // Every row of a group gets the same time: the group commits as one.
    let at = now();
    match in_immediate_transaction(conn, |tx| append_group(tx, &group, &at)) {
        Ok(rows) => {
            for (request, rows) in group.into_iter().zip(rows) {
                // A caller that went away (its request was cancelled) still has its rows committed.
                let _ = request.reply.send(Ok(rows));
            }
        }
        Err(error) if group.len() == 1 => {
            if let Some(request) = group.into_iter().next() {
                let _ = request.reply.send(Err(error));
            }
        }
        Err(error) => {
            tracing::warn!(
                %error,
                requests = group.len(),
                "an audit group commit failed; committing its requests one by one"
            );
            for request in group {
                let alone = in_immediate_transaction(conn, |tx| {
                    append_request(tx, &mut ChainHead::read(tx)?, &request.entries, &now())
                });
                let _ = request.reply.send(alone);
            }
        }
    }
}

/// The rows of each request, appended one request after another after the stored head.
fn append_group(
    conn: &Connection,
    group: &[Request],
    at: &str,
) -> Result<Vec<Vec<ChainLink>>, StoreError> {
    let mut head = ChainHead::read(conn)?;
    group
        .iter()
        .map(|request| append_request(conn, &mut head, &request.entries, at))
        .collect()
}

/// The rows of one request, appended after `head`.
fn append_request(
    conn: &Connection,
    head: &mut ChainHead,
    entries: &[Prepared],
    at: &str,
) -> Result<Vec<ChainLink>, StoreError> {
    entries
        .iter()
        .map(|entry| append_prepared(conn, head, entry, at))
        .collect()
}

#[cfg(test)]
mod tests;
