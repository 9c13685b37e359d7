//! Opening the file: migrations, pragmas, refusal of newer schemas, and what survives a restart.

use rusqlite::Connection;
use serde_json::json;

use super::test_support::{PASSWORD, new_user, session_of_new_user, temp_store};
use super::*;
use crate::{AuditEntry, ExecutionRow, ExecutionStatus, PlanStatus};

fn raw(dir: &Path) -> Connection {
    Connection::open(dir.join(DB_FILE_NAME)).unwrap()
}

#[test]
fn fresh_database_gets_the_latest_schema_version() {
    let (dir, store) = temp_store();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(store.path(), Some(dir.path().join(DB_FILE_NAME).as_path()));
}

#[test]
fn reopening_an_up_to_date_database_changes_nothing() {
    let (dir, store) = temp_store();
    new_user(&store, "alice");
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(store.user_count().unwrap(), 1);
}

#[test]
fn database_from_a_newer_drydock_is_refused_untouched() {
    let (dir, store) = temp_store();
    drop(store);
    raw(dir.path())
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let error = Store::open(dir.path())
        .err()
        .expect("a newer schema must be refused");
    let message = error.to_string();
    assert!(matches!(error, StoreError::Migration(_)), "{message}");
    assert!(
        message.contains(&format!("schema version {}", SCHEMA_VERSION + 1)),
        "{message}"
    );
    assert!(
        message.contains("newer Drydock") && message.contains(DB_FILE_NAME),
        "{message}"
    );
    let version: u32 = raw(dir.path())
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION + 1);
}

#[test]
fn a_file_that_is_not_a_database_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(DB_FILE_NAME), vec![b'x'; 4096]).unwrap();
    let error = Store::open(dir.path())
        .err()
        .expect("garbage must be refused");
    assert!(matches!(error, StoreError::Open { .. }), "{error}");
    assert!(error.to_string().contains(DB_FILE_NAME), "{error}");
}

#[test]
fn the_file_is_in_wal_mode_with_foreign_keys_on() {
    let (_dir, store) = temp_store();
    store
        .read(|conn| {
            let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
            let foreign_keys: i64 = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
            let synchronous: i64 = conn.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
            assert_eq!((mode.as_str(), foreign_keys, synchronous), ("wal", 1, 1));
            Ok(())
        })
        .unwrap();
}

#[test]
fn everything_written_is_there_after_a_restart() {
    let (dir, store) = temp_store();
    let session = session_of_new_user(&store, "alice");
    let plan = store
        .insert_plan(&session.id, &json!({"nodes": []}), PlanStatus::Draft)
        .unwrap();
    let approved = store.approve_plan(&plan.id, "alice").unwrap();
    let execution = ExecutionRow {
        correlation_id: "corr-1".into(),
        session_id: session.id.clone(),
        plan_id: Some(plan.id.clone()),
        node_id: Some("n1".into()),
        mode: "dry-run".into(),
        status: ExecutionStatus::Running,
        requested_by: "alice".into(),
        started_at: crate::stamp::now(),
        finished_at: None,
        detail: json!({}),
    };
    store.insert_execution(&execution).unwrap();
    let event = store
        .append_event(&session.id, "plan.approved", None, &json!({"v": 1}))
        .unwrap();
    let artifact = store
        .insert_artifact(
            Some(&session.id),
            None,
            "a.txt",
            "text/plain",
            "host",
            b"hi",
        )
        .unwrap();
    let entry = AuditEntry {
        actor: "alice".into(),
        action: "plan.approve".into(),
        target: Some(plan.id.clone()),
        correlation_id: None,
        detail: json!({}),
    };
    let audit = store.audit_append(&entry).unwrap();
    drop(store);

    let store = Store::open(dir.path()).unwrap();
    assert!(store.verify_password("alice", PASSWORD).unwrap().is_some());
    assert_eq!(
        store.session(&session.id).unwrap().unwrap().current_plan,
        Some(plan.id.clone())
    );
    assert_eq!(store.plan(&plan.id).unwrap(), Some(approved));
    assert_eq!(store.execution("corr-1").unwrap(), Some(execution));
    assert_eq!(store.events_after(&session.id, 0, 10).unwrap(), vec![event]);
    assert_eq!(
        store.artifact(&artifact.id).unwrap().map(|(row, _)| row),
        Some(artifact)
    );
    assert_eq!(store.audit_query(None, None, 10).unwrap(), vec![audit]);
}

#[test]
fn store_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Store>();
}

#[test]
fn in_memory_store_has_the_schema() {
    let store = Store::open_in_memory().unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(store.path(), None);
    new_user(&store, "alice");
    assert!(matches!(
        store.audit_verify().unwrap(),
        crate::Verification::Intact { rows: 0, .. }
    ));
}

#[test]
fn commits_reach_the_database_file_through_the_checkpoint_thread() {
    // The store's own connection never checkpoints (`wal_autocheckpoint = 0`), so the database file grows
    // only when the checkpoint thread copies the WAL into it. Without that thread this waits in vain.
    let (dir, store) = temp_store();
    let db_file = dir.path().join(DB_FILE_NAME);
    let auto: i64 = store
        .read(|conn| Ok(conn.query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(auto, 0, "commits must not checkpoint on the caller's path");
    let size_before = std::fs::metadata(&db_file).unwrap().len();
    for n in 0..300 {
        store
            .audit_append(&AuditEntry {
                actor: "tester".into(),
                action: "test.fill".into(),
                target: Some(format!("row {n}")),
                correlation_id: Some(format!("correlation-{n}")),
                detail: json!({"padding": "x".repeat(512)}),
            })
            .unwrap();
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::fs::metadata(&db_file).unwrap().len() <= size_before {
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint copied the WAL into {} within 10 s",
            db_file.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
