//! WAL checkpoints on their own thread and connection, off the commit path.
//!
//! Why: with SQLite's default auto-checkpoint, the commit that pushes the WAL past 1000 pages copies those
//! pages into the database file and fsyncs it, inside the committing caller, while it holds the store's
//! connection lock. Under load that caller is the audit writer, so every few hundred invocations a whole
//! group of callers (and every other store user) waited on an fsync. Here the store's connection never
//! checkpoints (`wal_autocheckpoint = 0`); this thread, with a connection of its own, runs a `PASSIVE`
//! checkpoint whenever the file has changed since its last look, at most every [`INTERVAL`]. A passive
//! checkpoint never blocks writers or readers; it copies what no reader still needs and leaves the rest for
//! the next round. Durability is unchanged: a commit is in the WAL before it is answered, whoever copies it
//! into the database file later.

use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

use super::BUSY_TIMEOUT;

/// How often the thread looks for new commits while the store is busy (and, idle, how often it wakes).
const INTERVAL: Duration = Duration::from_millis(100);

/// The checkpoint thread; dropping it stops the thread (the last connection to close checkpoints the rest).
pub(crate) struct Checkpointer {
    /// Dropped to wake the thread and end it.
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Opens a second connection to `path` and starts the thread on it.
    pub(crate) fn start(path: &Path) -> rusqlite::Result<Checkpointer> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let (stop, stopped) = channel();
        let origin = path.display().to_string();
        let thread = std::thread::Builder::new()
            .name("drydock-checkpoint".into())
            .spawn(move || run(&conn, &stopped, &origin))
            .expect("the OS refused to start the checkpoint thread");
        Ok(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the checkpoint thread panicked");
        }
    }
}

fn run(conn: &Connection, stopped: &Receiver<()>, origin: &str) {
    let mut seen = None;
    loop {
        match stopped.recv_timeout(INTERVAL) {
            Err(RecvTimeoutError::Timeout) => {}
            // The store is closing (the sender is dropped, never used to send).
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
        // `data_version` changes when another connection commits: a cheap "anything new?" check.
        let version = match conn.query_row("PRAGMA data_version", [], |row| row.get::<_, i64>(0)) {
            Ok(version) => version,
            Err(error) => {
                tracing::warn!(database = origin, %error, "cannot read the database's change counter");
                continue;
            }
        };
        if seen == Some(version) {
            continue;
        }
        match checkpoint(conn) {
            Ok(()) => seen = Some(version),
            // Retried next round; the WAL only grows meanwhile, nothing is lost.
            Err(error) => {
                tracing::warn!(database = origin, %error, "a WAL checkpoint failed; will retry")
            }
        }
    }
}

/// One passive checkpoint: copies what it can without waiting for anyone.
pub(crate) fn checkpoint(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
}
