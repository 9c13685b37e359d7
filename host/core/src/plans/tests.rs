//! Plan versions, hashes and approval.

use serde_json::json;

use super::*;
use crate::store::test_support::{session_of_new_user, temp_store};

#[test]
fn each_new_plan_is_the_next_version_and_the_current_plan() {
    let (_dir, store) = temp_store();
    let session = session_of_new_user(&store, "alice");
    assert_eq!(store.current_plan(&session.id).unwrap(), None);
    let v1 = store
        .insert_plan(&session.id, &json!({"nodes": [1]}), PlanStatus::Draft)
        .unwrap();
    let v2 = store
        .insert_plan(
            &session.id,
            &json!({"nodes": [2]}),
            PlanStatus::PendingApproval,
        )
        .unwrap();
    assert_eq!((v1.version, v2.version), (1, 2));
    assert_eq!(store.current_plan(&session.id).unwrap(), Some(v2.clone()));
    assert_eq!(
        store.session(&session.id).unwrap().unwrap().current_plan,
        Some(v2.id.clone())
    );
    assert_eq!(
        store.plan_versions(&session.id).unwrap(),
        vec![v1.clone(), v2]
    );
    assert_eq!(store.plan(&v1.id).unwrap(), Some(v1));

    let other = session_of_new_user(&store, "bob");
    let first = store
        .insert_plan(&other.id, &json!({}), PlanStatus::Draft)
        .unwrap();
    assert_eq!(first.version, 1, "versions count per session");
}

#[test]
fn content_hash_follows_content_not_key_order() {
    let (_dir, store) = temp_store();
    let session = session_of_new_user(&store, "alice");
    let a: Value =
        serde_json::from_str(r#"{"nodes":[{"nodeId":"n1","title":"t"}],"goal":"g"}"#).unwrap();
    let b: Value =
        serde_json::from_str(r#"{"goal":"g","nodes":[{"title":"t","nodeId":"n1"}]}"#).unwrap();
    let c = json!({"goal": "g", "nodes": [{"nodeId": "n1", "title": "changed"}]});
    let [pa, pb, pc] = [a, b, c].map(|content| {
        store
            .insert_plan(&session.id, &content, PlanStatus::Draft)
            .unwrap()
    });
    assert_eq!(pa.content_hash, pb.content_hash);
    assert_ne!(pa.content_hash, pc.content_hash);
    assert_eq!(pa.content_hash, crate::content_hash(&pa.content));
}

#[test]
fn approval_freezes_the_content_hash() {
    let (_dir, store) = temp_store();
    let session = session_of_new_user(&store, "alice");
    let plan = store
        .insert_plan(
            &session.id,
            &json!({"nodes": []}),
            PlanStatus::PendingApproval,
        )
        .unwrap();
    let approved = store.approve_plan(&plan.id, "olivia").unwrap();
    assert_eq!(approved.status, PlanStatus::Approved);
    assert_eq!(
        approved.approved_hash.as_deref(),
        Some(plan.content_hash.as_str())
    );
    assert_eq!(approved.approved_by.as_deref(), Some("olivia"));
    assert_eq!(store.plan(&plan.id).unwrap(), Some(approved));
    let again = store.approve_plan(&plan.id, "olivia").unwrap_err();
    assert!(matches!(again, StoreError::Conflict(_)), "{again}");
}

#[test]
fn a_superseded_plan_version_cannot_be_approved() {
    let (_dir, store) = temp_store();
    let session = session_of_new_user(&store, "alice");
    let old = store
        .insert_plan(&session.id, &json!({"v": 1}), PlanStatus::PendingApproval)
        .unwrap();
    store
        .insert_plan(&session.id, &json!({"v": 2}), PlanStatus::PendingApproval)
        .unwrap();
    let error = store.approve_plan(&old.id, "olivia").unwrap_err();
    assert!(
        matches!(&error, StoreError::Conflict(m) if m.contains("not the current plan")),
        "{error}"
    );
    let missing = store.approve_plan("nope", "olivia").unwrap_err();
    assert!(matches!(missing, StoreError::NotFound(_)), "{missing}");
}

#[test]
fn approval_only_goes_through_approve_plan_and_is_withdrawn_by_going_back_to_draft() {
    let (_dir, store) = temp_store();
    let session = session_of_new_user(&store, "alice");
    let error = store
        .insert_plan(&session.id, &json!({}), PlanStatus::Approved)
        .unwrap_err();
    assert!(matches!(error, StoreError::Invalid(_)), "{error}");
    let plan = store
        .insert_plan(&session.id, &json!({}), PlanStatus::Draft)
        .unwrap();
    let error = store
        .set_plan_status(&plan.id, PlanStatus::Approved)
        .unwrap_err();
    assert!(matches!(error, StoreError::Invalid(_)), "{error}");

    store.approve_plan(&plan.id, "olivia").unwrap();
    store
        .set_plan_status(&plan.id, PlanStatus::Executing)
        .unwrap();
    let executing = store.plan(&plan.id).unwrap().unwrap();
    assert_eq!(
        (executing.status, executing.approved_hash.is_some()),
        (PlanStatus::Executing, true)
    );
    store.set_plan_status(&plan.id, PlanStatus::Draft).unwrap();
    let draft = store.plan(&plan.id).unwrap().unwrap();
    assert_eq!(
        (draft.status, draft.approved_hash, draft.approved_by),
        (PlanStatus::Draft, None, None)
    );
    let missing = store
        .set_plan_status("nope", PlanStatus::Failed)
        .unwrap_err();
    assert!(matches!(missing, StoreError::NotFound(_)), "{missing}");
}

#[test]
fn plan_for_an_unknown_session_is_not_found_and_writes_nothing() {
    let (_dir, store) = temp_store();
    let error = store
        .insert_plan("nope", &json!({}), PlanStatus::Draft)
        .unwrap_err();
    assert!(matches!(error, StoreError::NotFound(_)), "{error}");
    assert!(store.plan_versions("nope").unwrap().is_empty());
}

#[test]
fn plan_status_names_are_snake_case() {
    assert_eq!(
        serde_json::to_value(PlanStatus::PendingApproval).unwrap(),
        json!("pending_approval")
    );
    assert_eq!(
        "cancelled".parse::<PlanStatus>().unwrap(),
        PlanStatus::Cancelled
    );
    assert_eq!(PlanStatus::ALL.len(), 7);
}
