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
//!
//! A passive checkpoint alone never lets the WAL shrink under steady load: SQLite starts writing the WAL
//! from its beginning again only when a write finds *every* frame copied back, and with commits arriving
//! while each checkpoint runs there are always a few newer frames left. The audit log under a benchmark's
//! load grew its WAL by 25 MB a second, without end, each append allocating fresh file blocks. So when a
//! passive round leaves more than [`RESTART_FRAMES`] in the WAL, the thread follows it with a `RESTART`
//! checkpoint, as Litestream does: it waits for the writer to finish, holds new writes back while it copies
//! the few frames the passive round left (and syncs), and the next commit starts over at the top of the
//! file. Writers wait a few milliseconds about once per [`RESTART_FRAMES`] pages written; the WAL stays
//! near that size. A reader still on an older snapshot would make that wait last as long as it reads, so
//! the restart gives up after [`RESTART_WAIT`] and is tried again next round.

use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

/// How often the thread looks for new commits while the store is busy (and, idle, how often it wakes).
const INTERVAL: Duration = Duration::from_millis(100);

/// WAL frames (pages) past which a passive round is followed by a restarting one: 16 MiB of 4 KiB pages,
/// four times SQLite's own auto-checkpoint size, so restarts (the only step that holds writers back) stay
/// rare.
const RESTART_FRAMES: i64 = 4096;

/// The longest a restarting checkpoint waits for the writer to finish and for readers to move on to the
/// newest snapshot; writers wait on it meanwhile. (A passive checkpoint never waits.)
const RESTART_WAIT: Duration = Duration::from_millis(100);

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
        conn.busy_timeout(RESTART_WAIT)?;
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
        match checkpoint(conn, RESTART_FRAMES) {
            Ok(_) => seen = Some(version),
            // Retried next round; the WAL only grows meanwhile, nothing is lost.
            Err(error) => {
                tracing::warn!(database = origin, %error, "a WAL checkpoint failed; will retry")
            }
        }
    }
}

/// What one round did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Round {
    /// Frames in the WAL after the passive checkpoint.
    pub(crate) wal_frames: i64,
    /// Whether a restarting checkpoint followed and completed: the next commit writes the WAL from its
    /// start.
    pub(crate) restarted: bool,
}

/// One round: a passive checkpoint, which copies what it can without waiting for anyone; then, if it left
/// more than `restart_frames` frames in the WAL, a `RESTART` checkpoint (see the module notes).
pub(crate) fn checkpoint(conn: &Connection, restart_frames: i64) -> rusqlite::Result<Round> {
    let (_, wal_frames) = wal_checkpoint(conn, "PASSIVE")?;
    let restarted = wal_frames > restart_frames && !wal_checkpoint(conn, "RESTART")?.0;
    Ok(Round {
        wal_frames,
        restarted,
    })
}

/// Runs `PRAGMA wal_checkpoint(mode)`: whether it gave up waiting for a lock (`busy`), and the number of
/// frames in the WAL (-1 outside WAL mode).
fn wal_checkpoint(conn: &Connection, mode: &str) -> rusqlite::Result<(bool, i64)> {
    // The row is (busy, frames in the WAL, frames copied back). A busy RESTART still copied what it could;
    // the rest waits for the next round, nothing is lost.
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| {
        Ok((row.get::<_, i64>(0)? != 0, row.get(1)?))
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use rusqlite::Connection;

    use super::{RESTART_WAIT, checkpoint};

    /// A connection set up like the store's: WAL, and no checkpoints of its own.
    fn writer(path: &Path) -> Connection {
        let conn = Connection::open(path).unwrap();
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .unwrap();
        conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        conn.execute_batch("CREATE TABLE IF NOT EXISTS t (x BLOB NOT NULL)")
            .unwrap();
        conn
    }

    /// Commits `n` rows of a page each, one transaction each.
    fn commit_pages(conn: &Connection, n: usize) {
        for _ in 0..n {
            conn.execute("INSERT INTO t (x) VALUES (zeroblob(4000))", [])
                .unwrap();
        }
    }

    fn checkpointer(path: &Path) -> Connection {
        let conn = Connection::open(path).unwrap();
        conn.busy_timeout(RESTART_WAIT).unwrap();
        conn
    }

    #[test]
    fn a_round_leaving_more_than_the_limit_in_the_wal_makes_the_next_commit_start_it_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite3");
        let (w, c) = (writer(&path), checkpointer(&path));
        commit_pages(&w, 40);

        let round = checkpoint(&c, 1_000).unwrap();
        assert!(round.wal_frames >= 40, "{round:?}");
        assert!(
            !round.restarted,
            "under the limit only the passive checkpoint runs"
        );
        commit_pages(&w, 40);
        let round = checkpoint(&c, 10).unwrap();
        assert!(round.restarted, "{round:?}");

        commit_pages(&w, 1);
        let after = checkpoint(&c, 1_000).unwrap();
        assert!(
            after.wal_frames < 10,
            "the commit after a restart writes from the top of the WAL, not after its {} frames: {after:?}",
            round.wal_frames
        );
    }

    #[test]
    fn a_reader_on_an_old_snapshot_defers_the_restart_and_writers_go_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite3");
        let (w, c) = (writer(&path), checkpointer(&path));
        commit_pages(&w, 20);
        let reader = Connection::open(&path).unwrap();
        reader.execute_batch("BEGIN").unwrap();
        let _: i64 = reader
            .query_row("SELECT count(*) FROM t", [], |row| row.get(0))
            .unwrap();
        commit_pages(&w, 20);

        let round = checkpoint(&c, 10).unwrap();
        assert!(
            !round.restarted,
            "a restart must not complete under a reader's snapshot"
        );
        // The writer lock is free again: the restart gave up instead of holding writers back.
        commit_pages(&w, 1);

        reader.execute_batch("COMMIT").unwrap();
        assert!(
            checkpoint(&c, 10).unwrap().restarted,
            "retried once the reader is gone"
        );
    }
}
