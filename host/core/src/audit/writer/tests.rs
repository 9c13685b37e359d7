//! The group commit: concurrent async and sync appends form one chain in commit order, a caller is
//! answered only after its rows are committed, one bad request in a group fails alone, a lock held
//! elsewhere is waited for on the blocking pool and never on an async worker, dropping the store commits
//! what was queued, and a caller with nobody else about to append commits at once.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::Connection;
use serde_json::json;
use tokio::sync::oneshot;

use super::{Request, commit_group};
use crate::store::test_support::temp_store;
use crate::{AuditEntry, DB_FILE_NAME, Store, StoreError, Verification, verify_offline};

fn entry(actor: &str, n: usize) -> AuditEntry {
    AuditEntry {
        actor: actor.into(),
        action: "tool.invoke".into(),
        target: Some(format!("tool-{n}")),
        correlation_id: Some(format!("{actor}-{n}")),
        detail: json!({ "n": n }),
    }
}

fn intact_rows(store: &Store) -> u64 {
    match store.audit_verify().unwrap() {
        Verification::Intact { rows, .. } => rows,
        broken => panic!("{broken:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_async_and_sync_appends_build_one_chain_in_commit_order() {
    let (_dir, store) = temp_store();
    let store = Arc::new(store);
    // A synchronous writer on its own thread, going through the same lock as the group commits.
    let sync_writer = {
        let store = Arc::clone(&store);
        std::thread::spawn(move || {
            for n in 0..40 {
                store.audit_append(&entry("sync", n)).unwrap();
            }
        })
    };
    let tasks: Vec<_> = (0..16)
        .map(|task| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let actor = format!("task{task}");
                let mut returned = Vec::new();
                for n in 0..10 {
                    // Two rows per request, like an invocation and its effect.
                    let rows = store
                        .audit_append_async(vec![entry(&actor, n), entry(&actor, n + 100)])
                        .await
                        .unwrap();
                    assert_eq!(
                        rows[1].seq,
                        rows[0].seq + 1,
                        "a request's rows are contiguous"
                    );
                    assert_eq!(rows[1].prev_hash, rows[0].hash);
                    returned.extend(rows);
                }
                returned
            })
        })
        .collect();
    let mut returned = Vec::new();
    for task in tasks {
        let rows = task.await.unwrap();
        assert!(
            rows.is_sorted_by_key(|r| r.seq),
            "one caller's requests are committed in the order it made them"
        );
        returned.extend(rows);
    }
    sync_writer.join().unwrap();
    assert_eq!(intact_rows(&store), 16 * 10 * 2 + 40);
    // What each caller was told is what the chain holds.
    let stored = store.audit_query(None, None, crate::MAX_PAGE).unwrap();
    let by_seq: BTreeMap<i64, &str> = stored.iter().map(|r| (r.seq, r.hash.as_str())).collect();
    for row in &returned {
        assert_eq!(by_seq[&row.seq], row.hash, "row {}", row.seq);
    }
}

#[tokio::test]
async fn a_caller_is_answered_only_after_its_rows_are_committed() {
    let (dir, store) = temp_store();
    let rows = store
        .audit_append_async(vec![entry("alice", 1)])
        .await
        .unwrap();
    // Another connection (another process, in real life) already sees the row.
    let expected = Verification::Intact {
        rows: 1,
        head: rows[0].hash.clone(),
    };
    assert_eq!(verify_offline(dir.path()).unwrap(), expected);
}

#[tokio::test]
async fn invalid_entries_are_refused_before_anything_is_queued() {
    let (_dir, store) = temp_store();
    let invalid = AuditEntry {
        action: " ".into(),
        ..entry("alice", 1)
    };
    let error = store
        .audit_append_async(vec![entry("alice", 0), invalid])
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Invalid(_)), "{error}");
    assert!(
        store
            .audit_append_async(Vec::new())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(intact_rows(&store), 0);
}

#[test]
fn a_failing_request_fails_alone_and_its_neighbours_commit() {
    let (dir, store) = temp_store();
    store.audit_append(&entry("alice", 0)).unwrap();
    // A trigger stands in for any failure of one request's rows (a constraint, a full disk).
    let mut conn = Connection::open(dir.path().join(DB_FILE_NAME)).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER poison BEFORE INSERT ON audit_log WHEN NEW.actor = 'poison' \
         BEGIN SELECT RAISE(ABORT, 'poisoned row'); END;",
    )
    .unwrap();
    let mut replies = Vec::new();
    let group = [
        vec![entry("alice", 1)],
        vec![entry("bob", 2), entry("poison", 3)],
        vec![entry("carol", 4), entry("carol", 5)],
    ]
    .into_iter()
    .map(|entries| {
        let (reply, answer) = oneshot::channel();
        replies.push(answer);
        let entries = entries.iter().map(super::Prepared::new).collect();
        Request { entries, reply }
    })
    .collect();
    commit_group(&mut conn, group);

    let mut answers = replies
        .into_iter()
        .map(|answer| answer.blocking_recv().unwrap());
    let seqs = |rows: Vec<crate::ChainLink>| rows.iter().map(|r| r.seq).collect::<Vec<_>>();
    assert_eq!(seqs(answers.next().unwrap().unwrap()), [2]);
    let error = answers.next().unwrap().unwrap_err();
    assert!(error.to_string().contains("poisoned row"), "{error}");
    assert_eq!(seqs(answers.next().unwrap().unwrap()), [3, 4]);
    assert_eq!(intact_rows(&store), 4, "bob's half-request left nothing");
}

#[tokio::test]
async fn a_group_attaches_to_the_head_as_stored_even_after_rows_vanish() {
    let (dir, store) = temp_store();
    store
        .audit_append_async((1..=3).map(|n| entry("alice", n)).collect())
        .await
        .unwrap();
    let conn = Connection::open(dir.path().join(DB_FILE_NAME)).unwrap();
    conn.execute_batch(
        "DROP TRIGGER audit_log_refuses_delete; DELETE FROM audit_log WHERE seq = 3;",
    )
    .unwrap();
    let rows = store
        .audit_append_async(vec![entry("alice", 4)])
        .await
        .unwrap();
    assert_eq!(rows[0].seq, 4, "a deleted seq is never reused");
    let (seq, reason) = match store.audit_verify().unwrap() {
        Verification::Broken { seq, reason } => (seq, reason),
        intact => panic!("{intact:?}"),
    };
    assert_eq!(
        (seq, reason.as_str()),
        (4, "sequence gap after 2: row 3 is missing")
    );
}

#[tokio::test]
async fn dropping_the_store_commits_what_was_queued_and_closes_the_file() {
    let (dir, store) = temp_store();
    let pending = store.audit_append_async(vec![entry("alice", 1), entry("alice", 2)]);
    drop(store);
    assert!(
        !dir.path().join(format!("{DB_FILE_NAME}-wal")).exists(),
        "the writer's connection closed (and checkpointed) before the drop returned"
    );
    assert_eq!(
        pending.await.unwrap().len(),
        2,
        "the answer still arrives after the store is gone"
    );
    match verify_offline(dir.path()).unwrap() {
        Verification::Intact { rows, .. } => assert_eq!(rows, 2),
        broken => panic!("{broken:?}"),
    }
}

#[tokio::test]
async fn the_rows_of_one_request_share_the_time_their_group_committed() {
    let (_dir, store) = temp_store();
    let links = store
        .audit_append_async((1..=3).map(|n| entry("alice", n)).collect())
        .await
        .unwrap();
    let stored = store.audit_query(None, None, crate::MAX_PAGE).unwrap();
    assert_eq!(stored.len(), 3);
    assert!(
        stored.iter().all(|row| row.at == stored[0].at),
        "{stored:?}"
    );
    // What the caller was told matches the rows as stored, and the chain recomputes from them.
    let told: Vec<_> = links
        .iter()
        .map(|l| (l.seq, l.prev_hash.as_str(), l.hash.as_str()))
        .collect();
    let kept: Vec<_> = stored
        .iter()
        .map(|r| (r.seq, r.prev_hash.as_str(), r.hash.as_str()))
        .collect();
    assert_eq!(told, kept);
    assert_eq!(intact_rows(&store), 3);
}

#[tokio::test]
async fn a_store_lock_held_elsewhere_is_waited_for_off_the_async_thread() {
    let (_dir, store) = temp_store();
    let store = Arc::new(store);
    let (locked, is_locked) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    // A blocking-pool caller in the middle of a long write holds the store's lock until told to let go
    // (or, if the test is broken, until its watchdog gives up).
    let holder = {
        let store = Arc::clone(&store);
        std::thread::spawn(move || {
            store.write(|_tx| {
                locked.send(()).unwrap();
                Ok(released.recv_timeout(Duration::from_secs(10)).is_ok())
            })
        })
    };
    is_locked.recv().unwrap();
    let pending = store.audit_append_async(vec![entry("alice", 1)]);
    // This test runs on a single-threaded runtime: the leader runs on this very thread while we sleep. Had it
    // waited for the lock here, the sleep would not end before the holder's watchdog let go.
    tokio::time::sleep(Duration::from_millis(50)).await;
    release
        .send(())
        .expect("the holder gave up waiting: the async thread was blocked on the store's lock");
    assert!(holder.join().unwrap().unwrap());
    let links = pending.await.unwrap();
    assert_eq!(links[0].seq, 1);
    assert_eq!(intact_rows(&store), 1);
}

#[tokio::test]
async fn a_database_locked_by_another_connection_is_waited_for_off_the_async_thread() {
    let (dir, store) = temp_store();
    let (locked, is_locked) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    // Another process (`drydock user add` beside a running server, say) holds SQLite's write lock until
    // told to let go, or until its watchdog gives up: sooner than the store's 5 s busy timeout, so that a
    // leader waiting on this thread would be caught.
    let path = dir.path().join(DB_FILE_NAME);
    let holder = std::thread::spawn(move || {
        let other = Connection::open(path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        locked.send(()).unwrap();
        let told = released.recv_timeout(Duration::from_secs(4)).is_ok();
        other.execute_batch("COMMIT").unwrap();
        told
    });
    is_locked.recv().unwrap();
    let pending = store.audit_append_async(vec![entry("alice", 1)]);
    tokio::time::sleep(Duration::from_millis(50)).await;
    release
        .send(())
        .expect("the holder gave up waiting: the async thread was blocked on SQLite's lock");
    assert!(holder.join().unwrap());
    let links = pending.await.unwrap();
    assert_eq!(links[0].seq, 1);
    assert_eq!(intact_rows(&store), 1);
}

#[test]
fn outside_a_runtime_the_append_commits_before_it_returns() {
    let (_dir, store) = temp_store();
    let pending = store.audit_append_async(vec![entry("alice", 1), entry("alice", 2)]);
    assert_eq!(intact_rows(&store), 2, "committed by the call itself");
    let links = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(pending)
        .unwrap();
    assert_eq!(links.iter().map(|l| l.seq).collect::<Vec<_>>(), [1, 2]);
}

#[tokio::test]
async fn a_failing_async_request_fails_alone_and_its_group_still_commits() {
    let (dir, store) = temp_store();
    let conn = Connection::open(dir.path().join(DB_FILE_NAME)).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER poison BEFORE INSERT ON audit_log WHEN NEW.actor = 'poison' \
         BEGIN SELECT RAISE(ABORT, 'poisoned row'); END;",
    )
    .unwrap();
    // Other calls are on their way, so no request commits alone: both are queued before the leader runs
    // (this runtime has one thread), so they share a group.
    let _others = [store.audit_writer().expect(), store.audit_writer().expect()];
    let good = store.audit_append_async(vec![entry("alice", 1)]);
    let bad = store.audit_append_async(vec![entry("bob", 2), entry("poison", 3)]);
    let error = bad.await.unwrap_err();
    assert!(error.to_string().contains("poisoned row"), "{error}");
    assert_eq!(good.await.unwrap()[0].seq, 1);
    assert_eq!(intact_rows(&store), 1, "bob's half-request left nothing");
}

#[tokio::test]
async fn a_caller_with_nobody_else_about_to_append_commits_at_once() {
    let (_dir, store) = temp_store();
    let _mine = store.audit_writer().expect();
    let pending = store.audit_append_async(vec![entry("alice", 1)]);
    // No leader was spawned to gather others (this runtime has one thread and has not run it yet).
    assert_eq!(intact_rows(&store), 1, "committed by the call itself");
    assert_eq!(pending.await.unwrap()[0].seq, 1);
}

#[tokio::test]
async fn with_other_calls_on_their_way_a_commit_waits_to_take_them_in_one_group() {
    let (_dir, store) = temp_store();
    let (mine, theirs) = (store.audit_writer().expect(), store.audit_writer().expect());
    let first = store.audit_append_async(vec![entry("alice", 1)]);
    assert_eq!(intact_rows(&store), 0, "the first waits for the leader");
    let second = store.audit_append_async(vec![entry("bob", 2)]);
    let (first, second) = (first.await.unwrap(), second.await.unwrap());
    drop((mine, theirs));
    assert_eq!((first[0].seq, second[0].seq), (1, 2));
    let stored = store.audit_query(None, None, crate::MAX_PAGE).unwrap();
    assert_eq!(stored[0].at, stored[1].at, "one group, one commit time");
    assert_eq!(intact_rows(&store), 2);
}
