//! The audit chain: appends, the pinned hash format, and tampering caught at the exact first broken row.
//!
//! Tampering tests drop the append-only triggers first, through a raw connection to the file: that is what
//! someone bypassing Drydock would do, and the chain must still catch them.

use std::sync::Arc;

use rusqlite::Connection;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::*;
use crate::store::test_support::temp_store;

fn entry(n: usize) -> AuditEntry {
    AuditEntry {
        actor: "alice".into(),
        action: "session.create".into(),
        target: Some(format!("session-{n}")),
        correlation_id: n.is_multiple_of(2).then(|| format!("corr-{n}")),
        detail: json!({"n": n}),
    }
}

/// A store in a temp dir holding rows 1..=count.
fn store_with_rows(count: usize) -> (tempfile::TempDir, Store, Vec<AuditRow>) {
    let (dir, store) = temp_store();
    let rows = (1..=count)
        .map(|n| store.audit_append(&entry(n)).unwrap())
        .collect();
    (dir, store, rows)
}

/// Runs `sql` on the file the way an intruder would: triggers dropped first.
fn tamper(dir: &Path, sql: &str) {
    let conn = Connection::open(dir.join(DB_FILE_NAME)).unwrap();
    conn.execute_batch(
        "DROP TRIGGER IF EXISTS audit_log_refuses_update; \
         DROP TRIGGER IF EXISTS audit_log_refuses_delete;",
    )
    .unwrap();
    conn.execute_batch(sql).unwrap();
}

fn broken(verification: Verification) -> (i64, String) {
    match verification {
        Verification::Broken { seq, reason } => (seq, reason),
        intact => panic!("expected a broken chain, got {intact:?}"),
    }
}

#[test]
fn appended_rows_form_an_intact_chain_from_genesis() {
    let (_dir, store, rows) = store_with_rows(5);
    assert_eq!(
        rows.iter().map(|r| r.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    assert_eq!(rows[0].prev_hash, GENESIS_HASH);
    for pair in rows.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
    let head = rows[4].hash.clone();
    assert_eq!(
        store.audit_verify().unwrap(),
        Verification::Intact { rows: 5, head }
    );
    assert_eq!(store.audit_query(None, None, 100).unwrap(), rows);
}

#[test]
fn empty_log_is_intact_with_the_genesis_head() {
    let (_dir, store) = temp_store();
    let expected = Verification::Intact {
        rows: 0,
        head: GENESIS_HASH.into(),
    };
    assert_eq!(store.audit_verify().unwrap(), expected);
}

#[test]
fn row_hash_format_is_pinned() {
    let (_dir, store) = temp_store();
    let row = store
        .audit_append(&AuditEntry {
            actor: "alice".into(),
            action: "plan.approve".into(),
            target: Some("plan-1".into()),
            correlation_id: None,
            detail: json!({"b": 1, "a": [true, "\"q\""]}),
        })
        .unwrap();
    let preimage = format!(
        concat!(
            r#"{{"action":"plan.approve","actor":"alice","at":"{}","correlation_id":null,"#,
            r#""detail":{{"a":[true,"\"q\""],"b":1}},"seq":1,"target":"plan-1"}}"#
        ),
        row.at
    );
    let expected = hex::encode(Sha256::digest(
        format!("{GENESIS_HASH}{preimage}").as_bytes(),
    ));
    assert_eq!(row.hash, expected);
}

#[test]
fn edited_detail_is_named_as_a_hash_mismatch() {
    let (dir, store, _rows) = store_with_rows(5);
    tamper(
        dir.path(),
        r#"UPDATE audit_log SET detail = '{"n":99}' WHERE seq = 3"#,
    );
    let (seq, reason) = broken(store.audit_verify().unwrap());
    assert_eq!(seq, 3);
    assert!(reason.starts_with("hash mismatch"), "{reason}");
}

#[test]
fn edited_actor_is_caught_even_without_touching_detail() {
    let (dir, store, _rows) = store_with_rows(3);
    tamper(
        dir.path(),
        "UPDATE audit_log SET actor = 'mallory' WHERE seq = 1",
    );
    assert_eq!(broken(store.audit_verify().unwrap()).0, 1);
}

#[test]
fn edited_hash_is_named_as_a_hash_mismatch() {
    let (dir, store, _rows) = store_with_rows(5);
    tamper(
        dir.path(),
        &format!(
            "UPDATE audit_log SET hash = '{}' WHERE seq = 2",
            "ab".repeat(32)
        ),
    );
    let (seq, reason) = broken(store.audit_verify().unwrap());
    assert_eq!(seq, 2);
    assert!(reason.starts_with("hash mismatch"), "{reason}");
}

#[test]
fn rehashed_row_is_caught_at_the_next_row() {
    let (dir, store, rows) = store_with_rows(5);
    // The intruder edits row 3 and recomputes its own hash correctly; row 4 still points at the old one.
    let forged = chain::row_hash(
        &rows[1].hash,
        &chain::Fields {
            seq: 3,
            at: &rows[2].at,
            actor: "mallory",
            action: &rows[2].action,
            target: rows[2].target.as_deref(),
            correlation_id: rows[2].correlation_id.as_deref(),
            detail: r#"{"n":3}"#,
        },
    );
    tamper(
        dir.path(),
        &format!("UPDATE audit_log SET actor = 'mallory', hash = '{forged}' WHERE seq = 3"),
    );
    let (seq, reason) = broken(store.audit_verify().unwrap());
    assert_eq!(seq, 4);
    assert_eq!(
        reason,
        "prev_hash does not match row 3: a row was inserted, reordered or re-hashed"
    );
}

#[test]
fn deleted_middle_row_is_named_as_a_sequence_gap() {
    let (dir, store, _rows) = store_with_rows(5);
    tamper(dir.path(), "DELETE FROM audit_log WHERE seq = 3");
    assert_eq!(
        broken(store.audit_verify().unwrap()),
        (4, "sequence gap after 2: row 3 is missing".to_owned())
    );
}

#[test]
fn deleted_first_row_is_named() {
    let (dir, store, _rows) = store_with_rows(3);
    tamper(dir.path(), "DELETE FROM audit_log WHERE seq = 1");
    let (seq, reason) = broken(store.audit_verify().unwrap());
    assert_eq!(seq, 2);
    assert!(
        reason.starts_with("the log does not start at seq 1"),
        "{reason}"
    );
}

#[test]
fn swapped_rows_are_named_at_the_first_moved_row() {
    let (dir, store, _rows) = store_with_rows(5);
    tamper(
        dir.path(),
        "UPDATE audit_log SET seq = 1000 WHERE seq = 2; \
         UPDATE audit_log SET seq = 2 WHERE seq = 4; \
         UPDATE audit_log SET seq = 4 WHERE seq = 1000;",
    );
    let (seq, reason) = broken(store.audit_verify().unwrap());
    assert_eq!(seq, 2);
    assert!(
        reason.starts_with("prev_hash does not match row 1"),
        "{reason}"
    );
}

#[test]
fn rows_deleted_from_the_end_are_caught_and_stay_visible_after_new_appends() {
    let (dir, store, _rows) = store_with_rows(5);
    tamper(dir.path(), "DELETE FROM audit_log WHERE seq >= 4");
    assert_eq!(
        broken(store.audit_verify().unwrap()),
        (
            4,
            "rows after seq 3 are missing: the log once reached seq 5".to_owned()
        )
    );
    let next = store.audit_append(&entry(6)).unwrap();
    assert_eq!(next.seq, 6, "a deleted seq is never reused");
    assert_eq!(
        broken(store.audit_verify().unwrap()),
        (
            6,
            "sequence gap after 3: rows 4 to 5 are missing".to_owned()
        )
    );
}

#[test]
fn triggers_refuse_update_and_delete_through_sql() {
    let (_dir, store, rows) = store_with_rows(2);
    for sql in [
        "UPDATE audit_log SET actor = 'mallory' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 2",
    ] {
        let error = store.read(|conn| Ok(conn.execute(sql, [])?)).unwrap_err();
        assert!(
            error.to_string().contains("the audit log is append-only"),
            "{error}"
        );
    }
    let head = rows[1].hash.clone();
    assert_eq!(
        store.audit_verify().unwrap(),
        Verification::Intact { rows: 2, head }
    );
}

#[test]
fn verify_offline_reads_a_closed_store_without_writing() {
    let (dir, store, rows) = store_with_rows(3);
    drop(store);
    let db = dir.path().join(DB_FILE_NAME);
    let before = std::fs::read(&db).unwrap();
    let head = rows[2].hash.clone();
    assert_eq!(
        verify_offline(dir.path()).unwrap(),
        Verification::Intact { rows: 3, head }
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);

    tamper(dir.path(), "DELETE FROM audit_log WHERE seq = 2");
    assert_eq!(broken(verify_offline(dir.path()).unwrap()).0, 3);
}

#[test]
fn verify_offline_works_beside_a_running_store() {
    let (dir, store, _rows) = store_with_rows(2);
    let row = store.audit_append(&entry(3)).unwrap();
    assert_eq!(
        verify_offline(dir.path()).unwrap(),
        Verification::Intact {
            rows: 3,
            head: row.hash
        }
    );
}

#[test]
fn verify_offline_refuses_a_missing_database_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let error = verify_offline(dir.path()).unwrap_err();
    assert!(matches!(error, StoreError::Io { .. }), "{error}");
    assert!(error.to_string().contains(DB_FILE_NAME), "{error}");
    assert!(
        !dir.path().join(DB_FILE_NAME).exists(),
        "verification must not create a database"
    );
}

#[test]
fn concurrent_appends_build_one_unforked_chain() {
    let (_dir, store) = temp_store();
    let store = Arc::new(store);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for n in 0..50 {
                    store.audit_append(&entry(t * 100 + n)).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    match store.audit_verify().unwrap() {
        Verification::Intact { rows, .. } => assert_eq!(rows, 200),
        broken => panic!("{broken:?}"),
    }
}

#[test]
fn append_many_is_one_transaction() {
    let (_dir, store, _rows) = store_with_rows(1);
    let appended = store.audit_append_many(&[entry(2), entry(3)]).unwrap();
    assert_eq!(appended.iter().map(|r| r.seq).collect::<Vec<_>>(), [2, 3]);
    assert!(store.audit_append_many(&[]).unwrap().is_empty());
    let invalid = AuditEntry {
        actor: String::new(),
        ..entry(5)
    };
    let error = store.audit_append_many(&[entry(4), invalid]).unwrap_err();
    assert!(matches!(error, StoreError::Invalid(_)), "{error}");
    assert_eq!(
        store.audit_query(None, None, 100).unwrap().len(),
        3,
        "nothing of the failed batch is kept"
    );
}

#[test]
fn query_filters_by_correlation_id_and_pages_by_seq() {
    let (_dir, store, rows) = store_with_rows(6);
    let of_four = store.audit_query(Some("corr-4"), None, 10).unwrap();
    assert_eq!(of_four, vec![rows[3].clone()]);
    let page = store.audit_query(None, Some(2), 2).unwrap();
    assert_eq!(page.iter().map(|r| r.seq).collect::<Vec<_>>(), [3, 4]);
    assert!(store.audit_query(None, Some(6), 10).unwrap().is_empty());
}
