//! Execution lifecycle and the startup sweep.

use serde_json::json;

use super::*;
use crate::SessionRow;
use crate::store::test_support::{session_of_new_user, temp_store};

fn execution(session: &SessionRow, correlation_id: &str, status: ExecutionStatus) -> ExecutionRow {
    ExecutionRow {
        correlation_id: correlation_id.into(),
        session_id: session.id.clone(),
        plan_id: None,
        node_id: Some("n1".into()),
        mode: "dry-run".into(),
        status,
        requested_by: "alice".into(),
        started_at: now(),
        finished_at: status.is_terminal().then(now),
        detail: json!({"steps": []}),
    }
}

#[test]
fn mark_interrupted_ends_accepted_and_running_and_leaves_the_rest() {
    let (_dir, store) = temp_store();
    let session = session_of_new_user(&store, "alice");
    for (id, status) in [
        ("accepted", ExecutionStatus::Accepted),
        ("running", ExecutionStatus::Running),
        ("completed", ExecutionStatus::Completed),
        ("failed", ExecutionStatus::Failed),
    ] {
        store
            .insert_execution(&execution(&session, id, status))
            .unwrap();
    }
    let mut interrupted = store.mark_interrupted().unwrap();
    interrupted.sort_by(|a, b| a.correlation_id.cmp(&b.correlation_id));
    let ids: Vec<_> = interrupted
        .iter()
        .map(|e| e.correlation_id.as_str())
        .collect();
    assert_eq!(ids, ["accepted", "running"]);
    assert!(
        interrupted
            .iter()
            .all(|e| e.status == ExecutionStatus::Interrupted && e.finished_at.is_some())
    );
    assert_eq!(
        store.execution("running").unwrap().unwrap().status,
        ExecutionStatus::Interrupted
    );
    assert_eq!(
        store.execution("completed").unwrap().unwrap().status,
        ExecutionStatus::Completed
    );
    assert_eq!(
        store.execution("failed").unwrap().unwrap().status,
        ExecutionStatus::Failed
    );
    assert!(
        store.mark_interrupted().unwrap().is_empty(),
        "the sweep is idempotent"
    );
}

#[test]
fn terminal_update_sets_finished_at_and_freezes_the_execution() {
    let (_dir, store) = temp_store();
    let session = session_of_new_user(&store, "alice");
    store
        .insert_execution(&execution(&session, "c1", ExecutionStatus::Accepted))
        .unwrap();
    store
        .update_execution("c1", ExecutionStatus::Running, &json!({"step": 1}))
        .unwrap();
    assert_eq!(store.execution("c1").unwrap().unwrap().finished_at, None);
    store
        .update_execution("c1", ExecutionStatus::Completed, &json!({"ok": true}))
        .unwrap();
    let done = store.execution("c1").unwrap().unwrap();
    assert_eq!(
        (done.status, done.detail, done.finished_at.is_some()),
        (ExecutionStatus::Completed, json!({"ok": true}), true)
    );
    let late = store
        .update_execution("c1", ExecutionStatus::Failed, &json!({}))
        .unwrap_err();
    assert!(matches!(late, StoreError::Conflict(_)), "{late}");
    let missing = store
        .update_execution("nope", ExecutionStatus::Failed, &json!({}))
        .unwrap_err();
    assert!(matches!(missing, StoreError::NotFound(_)), "{missing}");
}

#[test]
fn executions_of_node_lists_only_that_node_of_that_session() {
    let (_dir, store) = temp_store();
    let session = session_of_new_user(&store, "alice");
    let other = session_of_new_user(&store, "bob");
    store
        .insert_execution(&execution(&session, "a", ExecutionStatus::Completed))
        .unwrap();
    store
        .insert_execution(&execution(&session, "b", ExecutionStatus::Running))
        .unwrap();
    store
        .insert_execution(&ExecutionRow {
            node_id: Some("n2".into()),
            ..execution(&session, "c", ExecutionStatus::Running)
        })
        .unwrap();
    store
        .insert_execution(&execution(&other, "d", ExecutionStatus::Running))
        .unwrap();
    let ids: Vec<_> = store
        .executions_of_node(&session.id, "n1")
        .unwrap()
        .into_iter()
        .map(|e| e.correlation_id)
        .collect();
    assert_eq!(ids, ["a", "b"]);
}

#[test]
fn bad_mode_duplicate_id_and_unknown_session_are_refused() {
    let (_dir, store) = temp_store();
    let session = session_of_new_user(&store, "alice");
    let row = execution(&session, "c1", ExecutionStatus::Accepted);
    let bad_mode = store
        .insert_execution(&ExecutionRow {
            mode: "yolo".into(),
            ..row.clone()
        })
        .unwrap_err();
    assert!(matches!(bad_mode, StoreError::Invalid(_)), "{bad_mode}");
    store.insert_execution(&row).unwrap();
    let duplicate = store.insert_execution(&row).unwrap_err();
    assert!(matches!(duplicate, StoreError::Conflict(_)), "{duplicate}");
    let orphan = store
        .insert_execution(&ExecutionRow {
            session_id: "nope".into(),
            ..row
        })
        .unwrap_err();
    assert!(matches!(orphan, StoreError::NotFound(_)), "{orphan}");
}
