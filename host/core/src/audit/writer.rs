//! Group commit for the audit log: whichever caller finds no commit under way starts one, and that commit
//! takes everything that has queued up since the last one, in a single transaction.
//!
//! Why: every tool invocation appends to the audit log before its answer is sent. Appending one request per
//! transaction paid, per request, a hop to the blocking pool (a thread wake-up each way), a fight for the
//! connection lock with every other request doing the same, and a commit (WAL frames written, locks taken
//! and released: most of the cost of a small transaction). Here a request is a push onto a queue and a
//! one-shot reply: the commit appends each queued request's rows in arrival order inside one IMMEDIATE
//! transaction, commits once, and only then answers each caller. Nothing is answered before it is
//! committed, so a caller that waits for its reply before responding keeps exactly the durability of a
//! synchronous append.
//!
//! Who commits: the caller that finds no commit under way spawns a *leader* task; it yields (twice, see
//! [`GATHER_YIELDS`]) so the other tasks ready on its worker queue their rows too, then commits the group
//! on that worker and, if more requests queued meanwhile, spawns the next leader. There is never more
//! than one leader, so groups commit in queue order. A caller alone commits its own request at once instead:
//! callers say when an append of theirs is on its way ([`AuditWriter::expect`], taken before a tool runs),
//! and one that finds the queue empty, no commit under way and no other append announced has nobody to
//! gather; the leader's spawn and yields would only delay it (about 25 µs per call for an agent calling
//! tools one at a time over MCP). Committing on the async worker is the point: with a dedicated writer thread (the
//! first design) the commit waited for the OS to schedule that thread behind two busy workers, about 0.8 ms
//! per group on the 2-core benchmark machine, while every request in the group sat idle; the benchmark's
//! invocations left 12-16% of the CPU unused that way. A commit is short CPU work (an append to the WAL,
//! no fsync) but a leader must never *wait* on a worker thread, so it only tries: if the store's lock is
//! held by a blocking-pool caller, or SQLite reports the database busy (another process writing, the
//! checkpoint thread restarting the WAL), or the group fails, the group goes to the blocking pool, which
//! waits as long as any other store call would.
//!
//! The leader does as little as it can: callers queue entries already prepared (canonical detail, the hash
//! preimage around `seq` and `at`), the group takes one timestamp, and each row costs one SHA-256 and one
//! insert. It answers with where each row landed ([`ChainLink`]), not a copy of the row the caller has.
//!
//! Each request stays all-or-none and contiguous in the chain. If the group's transaction fails (a
//! constraint, an I/O error), nothing of it is kept and its requests are retried one per transaction, so
//! one bad request cannot fail its neighbours and each caller gets its own outcome. A leader that panics
//! still hands over to the next one; its own group's callers get an error, never a silent, unaudited
//! success. Dropping the store commits whatever is still queued.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError, Weak};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::{ChainHead, ChainLink, Prepared, append_prepared};
use crate::StoreError;
use crate::stamp::now;
use crate::store::{BUSY_TIMEOUT, in_cached_immediate_transaction, lock_connection};

/// The most requests one transaction takes; the rest wait for the next one. It bounds how long a leader
/// holds a worker thread and the connection lock, not throughput: a group is usually as large as the
/// number of requests in flight.
const MAX_GROUP: usize = 256;

/// How many times a new leader lets the other runnable tasks go first before it takes its group. A
/// transaction has a fixed cost (locks, WAL frames for each page it touches) several times that of a row,
/// so a bigger group is cheaper per request, but every request in it waits for the commit. On the 2-core
/// benchmark machine, twice beat once (lower CPU per invocation and higher throughput in 3 of 3
/// interleaved runs); never yielding made groups of one or two and cost about a quarter more CPU per
/// invocation; three to five times, or yielding until the queue stops growing, were no better than twice.
const GATHER_YIELDS: usize = 2;

/// The handle the store keeps. Dropping it commits what is still queued.
pub(crate) struct AuditWriter {
    shared: Arc<Shared>,
}

/// What the store and the leader tasks share.
struct Shared {
    /// The store's connection (and its lock, shared with every other store call).
    conn: Arc<Mutex<Connection>>,
    /// The database, named in the error a caller gets if its request was dropped uncommitted.
    origin: Arc<Path>,
    queue: Mutex<Queue>,
    /// How many callers said an append of theirs is on its way ([`AuditWriter::expect`]), the one
    /// submitting now included.
    expected: AtomicUsize,
}

#[derive(Default)]
struct Queue {
    /// Requests not yet taken into a group, in arrival order.
    waiting: Vec<Request>,
    /// A leader has been spawned and has not handed over yet.
    leading: bool,
    /// The store is gone: nothing more is accepted.
    closed: bool,
}

/// One caller's rows and where to send the outcome.
pub(crate) struct Request {
    /// Appended together, in this order, or not at all. Already validated.
    entries: Vec<Prepared>,
    /// The outcome, sent after the commit (or the failure).
    reply: oneshot::Sender<Result<Vec<ChainLink>, StoreError>>,
}

impl AuditWriter {
    /// A writer on the store's connection (shared with the store's other users).
    pub(crate) fn new(conn: Arc<Mutex<Connection>>, origin: PathBuf) -> AuditWriter {
        AuditWriter {
            shared: Arc::new(Shared {
                conn,
                origin: origin.into(),
                queue: Mutex::default(),
                expected: AtomicUsize::new(0),
            }),
        }
    }

    /// Queues `entries` (validated, not empty) for the next group commit; resolves once they are committed.
    /// Called inside a tokio runtime, the commit happens on it; outside one, right here.
    pub(crate) fn submit(
        &self,
        entries: Vec<Prepared>,
    ) -> impl Future<Output = Result<Vec<ChainLink>, StoreError>> + Send + 'static {
        let (reply, committed) = oneshot::channel();
        let start_leader = {
            let mut queue = self.shared.lock_queue();
            // Closed only while the store is dropped, when no caller can still reach it; the reply is then
            // dropped and the caller told so below.
            if !queue.closed {
                queue.waiting.push(Request { entries, reply });
            }
            !queue.closed && !std::mem::replace(&mut queue.leading, true)
        };
        if start_leader {
            if self.shared.expected.load(Ordering::Acquire) <= 1 {
                commit_alone(&self.shared);
            } else {
                start_leader_task(&self.shared);
            }
        }
        let origin = Arc::clone(&self.shared.origin);
        async move {
            // A dropped reply means the request was never committed: refuse, never pretend it was.
            committed.await.unwrap_or_else(|_| {
                Err(StoreError::Io {
                    path: origin.to_path_buf(),
                    source: std::io::Error::other(
                        "the audit log stopped before this entry was committed",
                    ),
                })
            })
        }
    }
}

impl AuditWriter {
    /// Says that the caller will append soon (it is running a tool call whose audit rows follow). While it
    /// holds the guard, a commit waits for its rows rather than committing alone; see [`commit_alone`].
    pub(crate) fn expect(&self) -> ExpectedAppend {
        self.shared.expected.fetch_add(1, Ordering::AcqRel);
        ExpectedAppend(Arc::clone(&self.shared))
    }
}

/// One append on its way; dropping it (after the append, or instead of it) takes it back.
pub(crate) struct ExpectedAppend(Arc<Shared>);

impl Drop for ExpectedAppend {
    fn drop(&mut self) {
        self.0.expected.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Drop for AuditWriter {
    fn drop(&mut self) {
        // A leader spawned but not yet running holds only a weak handle and will find nothing to do; one
        // committing right now finishes its group (it holds the connection until then).
        let waiting = {
            let mut queue = self.shared.lock_queue();
            queue.closed = true;
            std::mem::take(&mut queue.waiting)
        };
        let mut waiting = waiting.into_iter().peekable();
        while waiting.peek().is_some() {
            let group = waiting.by_ref().take(MAX_GROUP).collect();
            commit_group(&mut lock_connection(&self.shared.conn), group);
        }
    }
}

impl Shared {
    fn lock_queue(&self) -> MutexGuard<'_, Queue> {
        // Nothing in the queue's critical sections can leave it half-changed.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Commits `group` if neither the store's lock nor SQLite's write lock makes it wait; otherwise (or if it
    /// failed) hands it back, untouched, for a committer that may wait.
    fn try_commit(&self, group: Vec<Request>) -> Option<Vec<Request>> {
        match self.conn.try_lock() {
            Ok(mut conn) => commit_group_without_waiting(&mut conn, group).err(),
            Err(TryLockError::Poisoned(poisoned)) => {
                commit_group_without_waiting(&mut poisoned.into_inner(), group).err()
            }
            Err(TryLockError::WouldBlock) => Some(group),
        }
    }

    /// Up to [`MAX_GROUP`] waiting requests, oldest first.
    fn take_group(&self) -> Vec<Request> {
        let mut queue = self.lock_queue();
        let take = queue.waiting.len().min(MAX_GROUP);
        queue.waiting.drain(..take).collect()
    }
}

/// Spawns the leader on the current runtime, or commits right here when there is none (a synchronous
/// caller, or a runtime shutting down) since nothing async is then kept waiting.
fn start_leader_task(shared: &Arc<Shared>) {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            runtime.spawn(lead(Arc::downgrade(shared)));
        }
        Err(_) => {
            let _handover = Handover(Arc::clone(shared));
            let group = shared.take_group();
            commit_group(&mut lock_connection(&shared.conn), group);
        }
    }
}

/// The caller found nothing queued, no commit under way and nobody else about to append: it commits its own
/// request right here. Spawning a leader that yields to gather others would only add two trips through the
/// scheduler to a commit that has nobody to wait for (a lone agent calling tools one at a time over MCP).
/// If the connection or SQLite's write lock is taken, a leader takes over as usual.
fn commit_alone(shared: &Arc<Shared>) {
    let handover = Handover(Arc::clone(shared));
    let group = shared.take_group();
    let left = shared.try_commit(group);
    if let Some(group) = left {
        // Back at the front of the queue: the handover finds it waiting and starts a leader, which may wait.
        shared.lock_queue().waiting.splice(0..0, group);
    }
    drop(handover);
}

/// One leader: commits one group, then hands over.
async fn lead(shared: Weak<Shared>) {
    // Let the tasks already runnable on this worker (handlers about to audit their own calls) queue their
    // rows first: the group then holds everything in flight, for the fixed cost of one transaction.
    for _ in 0..GATHER_YIELDS {
        tokio::task::yield_now().await;
    }
    // Gone means the store was dropped, and its drop committed whatever was waiting.
    let Some(shared) = shared.upgrade() else {
        return;
    };
    let _handover = Handover(Arc::clone(&shared));
    let group = shared.take_group();
    if group.is_empty() {
        return;
    }
    let left = shared.try_commit(group);
    if let Some(group) = left {
        // Waiting is the blocking pool's job. If the runtime is shutting down and refuses, the group is
        // dropped and its callers are told it was not committed.
        let conn = Arc::clone(&shared.conn);
        let _ = tokio::task::spawn_blocking(move || {
            commit_group(&mut lock_connection(&conn), group);
        })
        .await;
    }
}

/// Ends a leader's turn, also when it panicked: starts the next leader if requests are waiting, otherwise
/// lets the next caller start one.
struct Handover(Arc<Shared>);

impl Drop for Handover {
    fn drop(&mut self) {
        let more = {
            let mut queue = self.0.lock_queue();
            queue.leading = !queue.waiting.is_empty();
            queue.leading
        };
        if more {
            start_leader_task(&self.0);
        }
    }
}

/// [`commit_group`] for a group that commits at once. Otherwise the group comes back untouched (its
/// transaction rolled back) to be committed where waiting blocks no async worker: when SQLite cannot grant
/// the write lock right away (another process is writing, or the checkpoint thread is restarting the WAL),
/// and when the group fails, since retrying its requests one by one may have to wait for that lock.
fn commit_group_without_waiting(
    conn: &mut Connection,
    group: Vec<Request>,
) -> Result<(), Vec<Request>> {
    let _ = conn.busy_timeout(Duration::ZERO);
    let committed = in_cached_immediate_transaction(conn, |tx| append_group(tx, &group, &now()));
    let _ = conn.busy_timeout(BUSY_TIMEOUT);
    match committed {
        Ok(rows) => {
            answer(group, rows);
            Ok(())
        }
        Err(_) => Err(group),
    }
}

/// Appends every request of `group` in order, in one transaction if possible, and answers each one. After
/// a failure it retries the requests one per transaction, so that each caller gets its own outcome.
pub(crate) fn commit_group(conn: &mut Connection, group: Vec<Request>) {
    // Every row of a group gets the same time: the group commits as one.
    let at = now();
    match in_cached_immediate_transaction(conn, |tx| append_group(tx, &group, &at)) {
        Ok(rows) => answer(group, rows),
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
                let alone = in_cached_immediate_transaction(conn, |tx| {
                    append_request(tx, &mut ChainHead::read(tx)?, &request.entries, &now())
                });
                let _ = request.reply.send(alone);
            }
        }
    }
}

/// Tells each request of a committed group where its rows landed.
fn answer(group: Vec<Request>, rows: Vec<Vec<ChainLink>>) {
    for (request, rows) in group.into_iter().zip(rows) {
        // A caller that went away (its request was cancelled) still has its rows committed.
        let _ = request.reply.send(Ok(rows));
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
