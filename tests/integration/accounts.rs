//! `/api/users` and `/api/tokens` over real loopback sockets: who may list, add, issue and revoke, what bad
//! input gets, and that no listing or audit row ever shows a token or a password.

use drydock_core::Role;
use drydock_tests::client::{Answer, send};
use serde_json::{Value, json};

use crate::server::{BOOTSTRAP, start, user_token};

async fn call(
    server: &crate::support::TestServer,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Answer {
    let body = body.map(|b| b.to_string());
    send(server.addr, method, path, Some(token), body.as_deref()).await
}

async fn audit_text(server: &crate::support::TestServer) -> String {
    call(server, "GET", "/api/audit?limit=1000", BOOTSTRAP, None)
        .await
        .body
}

#[tokio::test]
async fn operators_list_and_add_users_and_users_may_not() {
    let dir = tempfile::tempdir().unwrap();
    let server = start("", dir.path()).await;
    let alice = user_token(&server, "alice", Role::User).await;
    assert_eq!(
        call(&server, "GET", "/api/users", &alice, None)
            .await
            .status,
        403
    );
    let by_user = call(
        &server,
        "POST",
        "/api/users",
        &alice,
        Some(json!({"username": "mallory", "password": "pw"})),
    )
    .await;
    assert_eq!(by_user.status, 403, "{}", by_user.body);

    let password = "a-long-password-for-carol";
    let added = call(
        &server,
        "POST",
        "/api/users",
        BOOTSTRAP,
        Some(json!({"username": "carol", "password": password, "role": "operator"})),
    )
    .await;
    assert_eq!(added.status, 201, "{}", added.body);
    assert_eq!(added.json()["username"], "carol");
    assert_eq!(added.json()["role"], "operator");
    let listed = call(&server, "GET", "/api/users", BOOTSTRAP, None).await;
    assert_eq!(listed.status, 200);
    let names: Vec<String> = listed.json()["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        names.iter().any(|n| n == "alice") && names.iter().any(|n| n == "carol"),
        "{names:?}"
    );
    assert!(!listed.body.contains("argon2"), "{}", listed.body);
    let login = send(
        server.addr,
        "POST",
        "/api/auth/login",
        None,
        Some(&json!({"username": "carol", "password": password}).to_string()),
    )
    .await;
    assert_eq!(login.status, 200, "{}", login.body);

    for (body, status) in [
        (
            json!({"username": "dave", "password": "pw", "role": "admin"}),
            400,
        ),
        (json!({"username": "Dave!", "password": "pw"}), 400),
        (json!({"username": "anonymous", "password": "pw"}), 400),
        (json!({"username": "dave", "password": ""}), 400),
        (
            json!({"username": "dave", "password": "x".repeat(2000)}),
            400,
        ),
        (json!({"username": "dave"}), 400),
        (
            json!({"username": "dave", "password": "pw", "extra": 1}),
            400,
        ),
        (json!({"username": "carol", "password": "pw"}), 409),
    ] {
        let answer = call(&server, "POST", "/api/users", BOOTSTRAP, Some(body.clone())).await;
        assert_eq!(answer.status, status, "{body}: {}", answer.body);
        assert!(
            !answer.json()["error"]["message"]
                .as_str()
                .unwrap()
                .is_empty()
        );
    }
    let audit = audit_text(&server).await;
    assert!(audit.contains("\"user.add\""), "{audit}");
    assert!(
        !audit.contains(password),
        "a password reached the audit log"
    );
}

#[tokio::test]
async fn users_issue_list_and_revoke_their_own_tokens_only() {
    let dir = tempfile::tempdir().unwrap();
    let server = start("", dir.path()).await;
    let alice = user_token(&server, "alice", Role::User).await;
    let bob = user_token(&server, "bob", Role::User).await;

    let issued = call(
        &server,
        "POST",
        "/api/tokens",
        &alice,
        Some(json!({"label": "ci"})),
    )
    .await;
    assert_eq!(issued.status, 201, "{}", issued.body);
    let issued = issued.json();
    let ci_token = issued["token"].as_str().unwrap().to_owned();
    let ci_id = issued["id"].as_str().unwrap().to_owned();
    assert_eq!(issued["owner"], "alice");
    assert!(issued["expiresAt"].is_null());
    assert_eq!(
        call(&server, "GET", "/api/tools", &ci_token, None)
            .await
            .status,
        200
    );

    let own = call(&server, "GET", "/api/tokens", &alice, None).await;
    assert_eq!(own.status, 200);
    let rows = own.json()["tokens"].as_array().unwrap().clone();
    assert_eq!(
        rows.len(),
        2,
        "the token from `add_user` and `ci`: {rows:?}"
    );
    assert!(
        rows.iter()
            .all(|t| t["owner"] == "alice" && t.get("token").is_none())
    );
    assert!(!own.body.contains(&ci_token) && !own.body.contains(&alice));

    let for_bob = call(
        &server,
        "POST",
        "/api/tokens",
        &alice,
        Some(json!({"label": "sneaky", "owner": "bob"})),
    )
    .await;
    assert_eq!(for_bob.status, 403, "{}", for_bob.body);

    let bobs = call(&server, "GET", "/api/tokens", &bob, None).await.json();
    let bob_id = bobs["tokens"][0]["id"].as_str().unwrap().to_owned();
    let probe = call(
        &server,
        "DELETE",
        &format!("/api/tokens/{bob_id}"),
        &alice,
        None,
    )
    .await;
    assert_eq!(probe.status, 404, "{}", probe.body);
    assert_eq!(
        call(&server, "GET", "/api/tools", &bob, None).await.status,
        200
    );

    let revoked = call(
        &server,
        "DELETE",
        &format!("/api/tokens/{ci_id}"),
        &alice,
        None,
    )
    .await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(revoked.json()["revoked"]["label"], "ci");
    assert_eq!(
        call(&server, "GET", "/api/tools", &ci_token, None)
            .await
            .status,
        401
    );
    let again = call(
        &server,
        "DELETE",
        &format!("/api/tokens/{ci_id}"),
        &alice,
        None,
    )
    .await;
    assert_eq!(again.status, 404);

    let audit = audit_text(&server).await;
    assert!(
        audit.contains("\"token.issue\"") && audit.contains("\"token.revoke\""),
        "{audit}"
    );
    assert!(!audit.contains(&ci_token), "a token reached the audit log");
}

#[tokio::test]
async fn operators_issue_and_revoke_anyones_tokens_and_bad_input_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = start("", dir.path()).await;
    let bob = user_token(&server, "bob", Role::User).await;
    let issued = call(
        &server,
        "POST",
        "/api/tokens",
        BOOTSTRAP,
        Some(json!({"label": "for bob's laptop", "owner": "bob"})),
    )
    .await;
    assert_eq!(issued.status, 201, "{}", issued.body);
    let issued = issued.json();
    assert_eq!(issued["owner"], "bob");
    let laptop = issued["token"].as_str().unwrap().to_owned();
    assert_eq!(
        call(&server, "GET", "/api/tools", &laptop, None)
            .await
            .status,
        200
    );

    let all = call(&server, "GET", "/api/tokens", BOOTSTRAP, None).await;
    let owners: Vec<String> = all.json()["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["owner"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(owners, ["bob", "bob"], "{}", all.body);
    assert!(!all.body.contains(&bob) && !all.body.contains(&laptop));

    for (body, status) in [
        (json!({"label": "x", "owner": "nobody"}), 404),
        (json!({"label": ""}), 400),
        (json!({"label": "   "}), 400),
        (json!({"label": "x".repeat(101)}), 400),
        (json!({"label": "two\nlines"}), 400),
        (json!({"owner": "bob"}), 400),
        (json!({"label": "x", "expiresAt": "never"}), 400),
    ] {
        let answer = call(
            &server,
            "POST",
            "/api/tokens",
            BOOTSTRAP,
            Some(body.clone()),
        )
        .await;
        assert_eq!(answer.status, status, "{body}: {}", answer.body);
    }

    let id = issued["id"].as_str().unwrap();
    let revoked = call(
        &server,
        "DELETE",
        &format!("/api/tokens/{id}"),
        BOOTSTRAP,
        None,
    )
    .await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(revoked.json()["revoked"]["owner"], "bob");
    assert_eq!(
        call(&server, "GET", "/api/tools", &laptop, None)
            .await
            .status,
        401
    );
    assert_eq!(
        call(&server, "GET", "/api/tools", &bob, None).await.status,
        200
    );
    let unknown = call(&server, "DELETE", "/api/tokens/no-such-id", BOOTSTRAP, None).await;
    assert_eq!(unknown.status, 404);
}
