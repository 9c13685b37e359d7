//! The console's operator pages over loopback HTTP: plugins with their grants and the LivePolicy toggles
//! (what a toggle does with the master switch off), and the audit log with its filters and the chain
//! verification. A user gets a page saying these are for operators.

use drydock_core::Role;
use drydock_tests::client::send;

use crate::console_auth::{field, signed_in};
use crate::server::{BOOTSTRAP, start, user_token};

const HTTP_POLICY: &str = r#"
    [plugins.http]
    http = [{ url = "http://127.0.0.1:9/api/", methods = ["GET", "POST"] }]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_toggles_a_capability_live_and_the_page_says_the_master_switch_holds_it_back() {
    let data = tempfile::tempdir().unwrap();
    let server = start(HTTP_POLICY, data.path()).await;
    user_token(&server, "olga", Role::Operator).await;
    let mut jar = signed_in(&server, "olga", "correct horse").await;
    let page = jar.get_page(server.addr, "/operators/plugins").await;
    assert_eq!(page.status, 200, "{}", page.body);
    for needle in [
        "master switch is off, so these toggles do nothing yet",
        "POST,GET http://127.0.0.1:9/api/",
        "reads only: nothing to make live",
        "no rw directory: nothing to write",
        "from the policy file",
    ] {
        assert!(
            page.body.contains(needle)
                || page.body.contains(&needle.replace("POST,GET", "GET,POST")),
            "{needle} missing from {}",
            page.body
        );
    }
    let csrf = field(&page.body, "_csrf");
    let saved = jar
        .post(
            server.addr,
            "/operators/plugins/http/live",
            &[("_csrf", &csrf), ("http", "on")],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert!(
        saved
            .header("location")
            .unwrap()
            .starts_with("/operators/plugins?saved=http")
    );
    let policy = send(server.addr, "GET", "/api/policy", Some(BOOTSTRAP), None).await;
    assert_eq!(
        policy.json()["livePolicy"]["http"],
        serde_json::json!(["http"]),
        "{}",
        policy.body
    );
    let after = jar
        .get_page(server.addr, "/operators/plugins?saved=http")
        .await;
    assert!(
        after.body.contains("Saved the live list of `http`"),
        "{}",
        after.body
    );
    assert!(after.body.contains("set by olga"), "{}", after.body);
    // A capability the plugin has no writes for is refused beside its form, and nothing changes.
    let refused = jar
        .post(
            server.addr,
            "/operators/plugins/http/live",
            &[("_csrf", &csrf), ("http", "on"), ("secrets", "on")],
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("no `secrets` grant that could go live"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("nothing was changed"),
        "{}",
        refused.body
    );
    let policy = send(server.addr, "GET", "/api/policy", Some(BOOTSTRAP), None).await;
    assert_eq!(
        policy.json()["livePolicy"]["http"],
        serde_json::json!(["http"])
    );
    // Unchecking everything: nothing live.
    let cleared = jar
        .post(
            server.addr,
            "/operators/plugins/http/live",
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(cleared.status, 303, "{}", cleared.body);
    let policy = send(server.addr, "GET", "/api/policy", Some(BOOTSTRAP), None).await;
    assert_eq!(
        policy.json()["live"][0]["capabilities"],
        serde_json::json!([]),
        "{}",
        policy.body
    );
    // An unknown plugin, and a toggle without the CSRF token.
    let unknown = jar
        .post(
            server.addr,
            "/operators/plugins/nope/live",
            &[("_csrf", &csrf), ("http", "on")],
        )
        .await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    let forged = jar
        .post(
            server.addr,
            "/operators/plugins/http/live",
            &[("http", "on")],
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    let policy = send(server.addr, "GET", "/api/policy", Some(BOOTSTRAP), None).await;
    assert_eq!(
        policy.json()["live"][0]["capabilities"],
        serde_json::json!([]),
        "the forged toggle changed nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_cannot_reach_the_operator_pages_nor_toggle_anything() {
    let data = tempfile::tempdir().unwrap();
    let server = start(HTTP_POLICY, data.path()).await;
    user_token(&server, "ursula", Role::User).await;
    let mut jar = signed_in(&server, "ursula", "correct horse").await;
    for path in [
        "/operators/plugins",
        "/operators/audit",
        "/operators/audit?verify=1",
    ] {
        let page = jar.get_page(server.addr, path).await;
        assert_eq!(page.status, 403, "{path}: {}", page.body);
        assert!(
            page.body.contains("this page is for operators"),
            "{}",
            page.body
        );
    }
    let overview = jar.get_page(server.addr, "/").await;
    let csrf = field(&overview.body, "_csrf");
    let toggle = jar
        .post(
            server.addr,
            "/operators/plugins/http/live",
            &[("_csrf", &csrf), ("http", "on")],
        )
        .await;
    assert_eq!(toggle.status, 403, "{}", toggle.body);
    let policy = send(server.addr, "GET", "/api/policy", Some(BOOTSTRAP), None).await;
    assert_eq!(
        policy.json()["livePolicy"]["http"],
        serde_json::Value::Null,
        "{}",
        policy.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_page_filters_by_actor_action_and_correlation_and_verifies_the_chain() {
    let data = tempfile::tempdir().unwrap();
    let server = start(HTTP_POLICY, data.path()).await;
    user_token(&server, "olga", Role::Operator).await;
    user_token(&server, "ursula", Role::User).await;
    // A failed sign-in and a tool call, so there is something to find.
    let mut stranger = crate::console_auth::Jar::default();
    let page = stranger.get_page(server.addr, "/sign-in").await;
    let nonce = field(&page.body, "_signin");
    stranger
        .post(
            server.addr,
            "/sign-in",
            &[
                ("username", "ursula"),
                ("password", "wrong"),
                ("_signin", &nonce),
            ],
        )
        .await;
    let invoke = send(
        server.addr,
        "POST",
        "/api/tools/echo.echo/invoke",
        Some(BOOTSTRAP),
        Some(r#"{"args": {"text": "audit me"}}"#),
    )
    .await;
    let correlation = invoke.json()["correlationId"].as_str().unwrap().to_owned();
    let mut jar = signed_in(&server, "olga", "correct horse").await;
    let all = jar.get_page(server.addr, "/operators/audit").await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert!(
        all.body.contains("<td><code>auth.login.failed</code></td>")
            && all.body.contains("tool.invoke"),
        "{}",
        all.body
    );
    let failed = jar
        .get_page(server.addr, "/operators/audit?action=auth.login.failed")
        .await;
    assert!(
        failed
            .body
            .contains("<td><code>auth.login.failed</code></td>"),
        "{}",
        failed.body
    );
    assert!(!failed.body.contains("tool.invoke"), "{}", failed.body);
    let family = jar
        .get_page(server.addr, "/operators/audit?action=auth")
        .await;
    assert!(
        family
            .body
            .contains("<td><code>auth.login.failed</code></td>")
            && family.body.contains("<td><code>auth.login</code></td>"),
        "{}",
        family.body
    );
    let by_actor = jar
        .get_page(server.addr, "/operators/audit?actor=olga")
        .await;
    assert!(
        by_actor.body.contains("<td><code>auth.login</code></td>")
            && !by_actor.body.contains("tool.invoke"),
        "{}",
        by_actor.body
    );
    let by_corr = jar
        .get_page(
            server.addr,
            &format!("/operators/audit?correlation={correlation}"),
        )
        .await;
    assert!(
        by_corr.body.contains("tool.invoke") && !by_corr.body.contains("<td><code>auth.login"),
        "{}",
        by_corr.body
    );
    let nothing = jar
        .get_page(server.addr, "/operators/audit?actor=%25")
        .await;
    assert!(
        nothing.body.contains("No rows match."),
        "`%` is not a wildcard: {}",
        nothing.body
    );
    let malformed = jar
        .get_page(server.addr, "/operators/audit?before=soon")
        .await;
    assert_eq!(malformed.status, 400, "{}", malformed.body);
    assert!(
        malformed.body.contains("the filter is malformed"),
        "{}",
        malformed.body
    );
    let verified = jar.get_page(server.addr, "/operators/audit?verify=1").await;
    assert!(verified.body.contains("Intact."), "{}", verified.body);
    let api = send(
        server.addr,
        "GET",
        "/api/audit/verify",
        Some(BOOTSTRAP),
        None,
    )
    .await;
    let head = api.json()["head"].as_str().unwrap().to_owned();
    assert!(
        verified.body.contains(&head[..16]),
        "the page shows the head hash: {}",
        verified.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_page_names_the_first_broken_row_of_a_tampered_chain() {
    let data = tempfile::tempdir().unwrap();
    {
        let server = start(HTTP_POLICY, data.path()).await;
        user_token(&server, "olga", Role::Operator).await;
        for n in 0..3 {
            let body = format!(r#"{{"args": {{"text": "row {n}"}}}}"#);
            send(
                server.addr,
                "POST",
                "/api/tools/echo.echo/invoke",
                Some(BOOTSTRAP),
                Some(&body),
            )
            .await;
        }
    }
    // Someone with the file changes a past row (dropping the trigger that refuses it first).
    let db = data.path().join(drydock_core::DB_FILE_NAME);
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "DROP TRIGGER audit_log_refuses_update; \
         UPDATE audit_log SET actor = 'mallory' WHERE seq = 3;",
    )
    .unwrap();
    drop(conn);
    let server = start(HTTP_POLICY, data.path()).await;
    let mut jar = signed_in(&server, "olga", "correct horse").await;
    let verified = jar.get_page(server.addr, "/operators/audit?verify=1").await;
    assert_eq!(verified.status, 200, "{}", verified.body);
    assert!(
        verified.body.contains("Broken at row 3."),
        "{}",
        verified.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_adds_a_user_issues_a_token_shown_once_and_revokes_it() {
    let data = tempfile::tempdir().unwrap();
    let server = start("", data.path()).await;
    user_token(&server, "olga", Role::Operator).await;
    let mut jar = signed_in(&server, "olga", "correct horse").await;
    let page = jar.get_page(server.addr, "/operators/users").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = field(&page.body, "_csrf");
    // Bad input is shown beside the form, the typed name kept, nothing created.
    let bad_role = jar
        .post(
            server.addr,
            "/operators/users",
            &[
                ("_csrf", &csrf),
                ("username", "nina"),
                ("password", "pw"),
                ("role", "root"),
            ],
        )
        .await;
    assert_eq!(bad_role.status, 400, "{}", bad_role.body);
    assert!(bad_role.body.contains("choose a role"), "{}", bad_role.body);
    assert!(
        bad_role.body.contains("value=\"nina\""),
        "{}",
        bad_role.body
    );
    let bad_name = jar
        .post(
            server.addr,
            "/operators/users",
            &[
                ("_csrf", &csrf),
                ("username", "Nina!"),
                ("password", "pw"),
                ("role", "user"),
            ],
        )
        .await;
    assert_eq!(bad_name.status, 400, "{}", bad_name.body);
    assert!(
        bad_name.body.contains("must be 1 to 64 characters"),
        "{}",
        bad_name.body
    );
    let added = jar
        .post(
            server.addr,
            "/operators/users",
            &[
                ("_csrf", &csrf),
                ("username", "nina"),
                ("password", "a long secret"),
                ("role", "user"),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let taken = jar
        .post(
            server.addr,
            "/operators/users",
            &[
                ("_csrf", &csrf),
                ("username", "nina"),
                ("password", "other"),
                ("role", "user"),
            ],
        )
        .await;
    assert_eq!(taken.status, 409, "{}", taken.body);
    assert!(taken.body.contains("already exists"), "{}", taken.body);
    // Nina can sign in with what the operator chose.
    signed_in(&server, "nina", "a long secret").await;
    // A token for nina: shown once on the answer, and it opens the API.
    let issued = jar
        .post(
            server.addr,
            "/operators/tokens",
            &[
                ("_csrf", &csrf),
                ("owner", "nina"),
                ("label", "CI pipeline"),
            ],
        )
        .await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    let start = issued
        .body
        .find("id=\"new-token\">")
        .expect("the token is shown")
        + 15;
    let token = issued.body[start..start + 67].to_owned();
    assert!(token.starts_with("dd_"), "{token}");
    let tools = send(server.addr, "GET", "/api/tools", Some(&token), None).await;
    assert_eq!(tools.status, 200, "{}", tools.body);
    let listing = jar.get_page(server.addr, "/operators/users").await;
    assert!(listing.body.contains("CI pipeline"), "{}", listing.body);
    assert!(
        !listing.body.contains(&token),
        "the token is never shown again"
    );
    // Revoke it: the API refuses it from then on.
    let id = send(server.addr, "GET", "/api/tokens", Some(BOOTSTRAP), None)
        .await
        .json()["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["label"] == "CI pipeline")
        .expect("the token is listed")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = jar
        .post(
            server.addr,
            &format!("/operators/tokens/{id}/revoke"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    assert_eq!(
        send(server.addr, "GET", "/api/tools", Some(&token), None)
            .await
            .status,
        401
    );
    let again = jar
        .post(
            server.addr,
            &format!("/operators/tokens/{id}/revoke"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(again.status, 404, "{}", again.body);
    assert!(again.body.contains("no token"), "{}", again.body);
    // An empty label is refused beside its form.
    let unlabelled = jar
        .post(
            server.addr,
            "/operators/tokens",
            &[("_csrf", &csrf), ("owner", "nina"), ("label", " ")],
        )
        .await;
    assert_eq!(unlabelled.status, 400, "{}", unlabelled.body);
    assert!(
        unlabelled
            .body
            .contains("`label` must say what the token is for"),
        "{}",
        unlabelled.body
    );
}
