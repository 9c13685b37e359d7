//! Signing in and out over real loopback sockets: throttling per account and per client address (429 with
//! `Retry-After`, the right password refused while locked, one audited refusal per window), a success
//! clearing the account's count, console sessions that expire, and signing out.

use std::time::Duration;

use drydock_core::{Role, SessionKind, SignIn};
use drydock_tests::client::{Answer, send};
use serde_json::Value;

use crate::server::{BOOTSTRAP, start, user_token};

async fn login(server: &crate::support::TestServer, username: &str, password: &str) -> Answer {
    let body = serde_json::json!({ "username": username, "password": password }).to_string();
    send(server.addr, "POST", "/api/auth/login", None, Some(&body)).await
}

/// The audit rows with this action.
async fn audit_rows(server: &crate::support::TestServer, action: &str) -> Vec<Value> {
    let audit = send(
        server.addr,
        "GET",
        "/api/audit?limit=1000",
        Some(BOOTSTRAP),
        None,
    )
    .await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    audit.json()["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["action"] == action)
        .cloned()
        .collect()
}

/// A 429 that says when to retry, in the header and in the message.
fn assert_throttled(answer: &Answer) {
    assert_eq!(answer.status, 429, "{}", answer.body);
    assert_eq!(answer.json()["error"]["code"], "rate_limited");
    let seconds: u64 = answer
        .header("retry-after")
        .expect("a Retry-After header")
        .parse()
        .expect("Retry-After in whole seconds");
    assert!((1..=15 * 60).contains(&seconds), "{seconds}");
    let message = answer.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("try again in"), "{message}");
}

#[tokio::test]
async fn an_account_is_throttled_after_five_failures_even_for_the_right_password() {
    let dir = tempfile::tempdir().unwrap();
    let server = start("", dir.path()).await;
    let api_token = user_token(&server, "alice", Role::User).await;
    user_token(&server, "bob", Role::User).await;
    for _ in 0..5 {
        assert_eq!(login(&server, "alice", "wrong").await.status, 401);
    }
    let refused = login(&server, "alice", "correct horse").await;
    assert_throttled(&refused);
    assert!(
        refused.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("for this account"),
        "{}",
        refused.body
    );
    assert_throttled(&login(&server, "alice", "wrong again").await);
    // Only alice is locked: bob signs in from the same address, and alice's API token keeps working.
    assert_eq!(login(&server, "bob", "correct horse").await.status, 200);
    let tools = send(server.addr, "GET", "/api/tools", Some(&api_token), None).await;
    assert_eq!(tools.status, 200);
    let failed = audit_rows(&server, "auth.login.failed").await;
    assert_eq!(failed.len(), 5, "refused attempts are not failures");
    assert!(failed.iter().all(|row| row["target"] == "alice"));
    let throttled = audit_rows(&server, "auth.login.throttled").await;
    assert_eq!(
        throttled.len(),
        1,
        "one audited refusal per window: {throttled:?}"
    );
    assert_eq!(throttled[0]["target"], "alice");
    assert_eq!(
        throttled[0]["detail"]["limits"],
        serde_json::json!(["account"])
    );
    assert_eq!(throttled[0]["detail"]["client"], "127.0.0.1");
    let audit_text =
        serde_json::to_string(&throttled).unwrap() + &serde_json::to_string(&failed).unwrap();
    assert!(!audit_text.contains("correct horse") && !audit_text.contains("wrong"));
}

#[tokio::test]
async fn an_address_is_throttled_after_twenty_failures_across_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let server = start("", dir.path()).await;
    user_token(&server, "alice", Role::User).await;
    // Four failures for each of five names: no account reaches its limit, the address does.
    for round in 0..4 {
        for name in ["ann", "ben", "cat", "dan", "eve"] {
            let answer = login(&server, name, "guess").await;
            assert_eq!(answer.status, 401, "round {round}, {name}: {}", answer.body);
        }
    }
    let refused = login(&server, "alice", "correct horse").await;
    assert_throttled(&refused);
    assert!(
        refused.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("from this address"),
        "{}",
        refused.body
    );
    assert_throttled(&login(&server, "alice", "correct horse").await);
    let throttled = audit_rows(&server, "auth.login.throttled").await;
    assert_eq!(throttled.len(), 1, "{throttled:?}");
    assert_eq!(
        throttled[0]["detail"]["limits"],
        serde_json::json!(["address"])
    );
    // A caller without an address (the core called directly) is counted per account only.
    let signed_in = server
        .core
        .sign_in(SignIn {
            username: "alice".into(),
            password: "correct horse".into(),
            client: None,
            kind: SessionKind::ApiToken,
        })
        .await;
    assert!(signed_in.is_ok(), "{:?}", signed_in.err());
}

#[tokio::test]
async fn a_successful_sign_in_clears_the_accounts_failures() {
    let dir = tempfile::tempdir().unwrap();
    let server = start("", dir.path()).await;
    user_token(&server, "alice", Role::User).await;
    for _ in 0..4 {
        assert_eq!(login(&server, "alice", "wrong").await.status, 401);
    }
    let good = login(&server, "alice", "correct horse").await;
    assert_eq!(good.status, 200, "{}", good.body);
    for _ in 0..4 {
        assert_eq!(login(&server, "alice", "wrong").await.status, 401);
    }
    assert_eq!(login(&server, "alice", "correct horse").await.status, 200);
}

#[tokio::test]
async fn a_console_session_expires_and_signing_out_revokes_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = start("", dir.path()).await;
    user_token(&server, "alice", Role::User).await;
    let console = |kind| SignIn {
        username: "alice".into(),
        password: "correct horse".into(),
        client: Some([127, 0, 0, 1].into()),
        kind,
    };
    let session = server
        .core
        .sign_in(console(SessionKind::Console))
        .await
        .unwrap();
    assert_eq!(session.actor.name, "alice");
    assert!(session.expires_at.is_some());
    let tools = send(server.addr, "GET", "/api/tools", Some(&session.token), None).await;
    assert_eq!(tools.status, 200);
    let listed = send(
        server.addr,
        "GET",
        "/api/tokens",
        Some(&session.token),
        None,
    )
    .await;
    let sessions: Vec<Value> = listed.json()["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["label"] == "console session")
        .cloned()
        .collect();
    assert_eq!(sessions.len(), 1, "{}", listed.body);
    assert_eq!(
        sessions[0]["expiresAt"].as_str(),
        session.expires_at.as_deref()
    );
    // API tokens from POST /api/auth/login do not expire.
    let api = login(&server, "alice", "correct horse").await.json();
    let api_token = api["token"].as_str().unwrap();
    let listed = send(server.addr, "GET", "/api/tokens", Some(api_token), None).await;
    assert!(
        listed.json()["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["label"] == "login" && t["expiresAt"].is_null()),
        "{}",
        listed.body
    );

    let out = send(
        server.addr,
        "POST",
        "/api/auth/logout",
        Some(&session.token),
        None,
    )
    .await;
    assert_eq!(out.status, 204, "{}", out.body);
    let after = send(server.addr, "GET", "/api/tools", Some(&session.token), None).await;
    assert_eq!(after.status, 401);
    assert_eq!(audit_rows(&server, "auth.logout").await.len(), 1);
    // The bootstrap token lives in the environment: it cannot be signed out.
    let bootstrap_out = send(
        server.addr,
        "POST",
        "/api/auth/logout",
        Some(BOOTSTRAP),
        None,
    )
    .await;
    assert_eq!(bootstrap_out.status, 400, "{}", bootstrap_out.body);

    // A session issued with no lifetime left is refused from the start.
    server.core.set_console_session_lifetime(Duration::ZERO);
    let expired = server
        .core
        .sign_in(console(SessionKind::Console))
        .await
        .unwrap();
    let refused = send(server.addr, "GET", "/api/tools", Some(&expired.token), None).await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert_eq!(
        server.core.authenticate(&expired.token).await.unwrap(),
        None
    );
}
