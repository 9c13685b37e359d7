//! The HTTP server over real loopback sockets: auth, roles, tool invocation, audit, Host and Origin,
//! health, metrics and bad input (the policy API is in `policy_api.rs`). Each test starts
//! its own server on an ephemeral port with its own data directory.

use std::path::Path;

use drydock_core::Role;
use drydock_tests::client::send;
use drydock_tests::plugins::{ECHO, HTTP};

use crate::support::{TestServer, start_server};

pub(crate) const BOOTSTRAP: &str = "bootstrap-token-for-tests";

pub(crate) async fn start(policy: &str, data_dir: &Path) -> TestServer {
    start_server(policy, &[ECHO, HTTP], data_dir, BOOTSTRAP).await
}

pub(crate) async fn user_token(server: &TestServer, name: &str, role: Role) -> String {
    server
        .core
        .add_user(name, "correct horse", role, "test")
        .await
        .expect("user added")
}

#[tokio::test]
async fn healthz_needs_no_token_and_metrics_count_requests() {
    let dir = tempfile::tempdir().unwrap();
    let server = start("", dir.path()).await;
    let health = send(server.addr, "GET", "/healthz", None, None).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");
    assert_eq!(health.json()["masterSwitch"], false);
    let metrics = send(server.addr, "GET", "/metrics", None, None).await;
    assert_eq!(metrics.status, 200);
    assert!(
        metrics
            .header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    assert!(
        metrics.body.contains(
            "drydock_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
        ),
        "{}",
        metrics.body
    );
}

#[tokio::test]
async fn api_routes_need_a_valid_bearer_token() {
    let dir = tempfile::tempdir().unwrap();
    let server = start("", dir.path()).await;
    let missing = send(server.addr, "GET", "/api/tools", None, None).await;
    assert_eq!(missing.status, 401);
    assert_eq!(missing.json()["error"]["code"], "unauthorized");
    let wrong = send(server.addr, "GET", "/api/tools", Some("dd_nope"), None).await;
    assert_eq!(wrong.status, 401);
    let ok = send(server.addr, "GET", "/api/tools", Some(BOOTSTRAP), None).await;
    assert_eq!(ok.status, 200);
    let names: Vec<String> = ok.json()["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(names.contains(&"echo.echo".to_owned()), "{names:?}");
}

#[tokio::test]
async fn login_issues_a_token_and_a_wrong_password_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = start("", dir.path()).await;
    user_token(&server, "alice", Role::User).await;
    let good = send(
        server.addr,
        "POST",
        "/api/auth/login",
        None,
        Some(r#"{"username": "alice", "password": "correct horse"}"#),
    )
    .await;
    assert_eq!(good.status, 200, "{}", good.body);
    let answer = good.json();
    assert_eq!(answer["name"], "alice");
    assert_eq!(answer["role"], "user");
    let token = answer["token"].as_str().unwrap();
    assert_eq!(
        send(server.addr, "GET", "/api/tools", Some(token), None)
            .await
            .status,
        200
    );
    let bad = send(
        server.addr,
        "POST",
        "/api/auth/login",
        None,
        Some(r#"{"username": "alice", "password": "wrong"}"#),
    )
    .await;
    assert_eq!(bad.status, 401);
    assert_eq!(bad.json()["error"]["message"], "wrong username or password");
}

#[tokio::test]
async fn a_dry_run_invocation_over_http_returns_the_report_and_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let server = start("", dir.path()).await;
    let token = user_token(&server, "bob", Role::User).await;
    let answer = send(
        server.addr,
        "POST",
        "/api/tools/echo.echo/invoke",
        Some(&token),
        Some(r#"{"args": {"text": "over http"}}"#),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let report = answer.json();
    assert_eq!(report["result"]["text"], "over http");
    assert_eq!(report["requestedMode"], "dry-run");
    let correlation = report["correlationId"].as_str().unwrap();
    let audit = send(
        server.addr,
        "GET",
        &format!("/api/audit?correlationId={correlation}"),
        Some(BOOTSTRAP),
        None,
    )
    .await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    let entries = audit.json()["entries"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["actor"], "bob");
    assert_eq!(entries[0]["action"], "tool.invoke");
}

#[tokio::test]
async fn reports_and_audit_rows_name_their_fields_in_camel_case_only() {
    let dir = tempfile::tempdir().unwrap();
    let server = start("", dir.path()).await;
    let answer = send(
        server.addr,
        "POST",
        "/api/tools/echo.echo/invoke",
        Some(BOOTSTRAP),
        Some(r#"{"args": {"text": "names"}}"#),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let report = answer.json();
    for field in [
        "correlationId",
        "requestedMode",
        "masterSwitch",
        "omittedEffects",
        "droppedLogLines",
        "durationMs",
    ] {
        assert!(report.get(field).is_some(), "{field} missing: {report}");
    }
    let correlation = report["correlationId"].as_str().unwrap();
    let audit = send(
        server.addr,
        "GET",
        &format!("/api/audit?correlationId={correlation}"),
        Some(BOOTSTRAP),
        None,
    )
    .await;
    let row = audit.json()["entries"][0].clone();
    assert_eq!(row["correlationId"], correlation, "{row}");
    assert!(row["prevHash"].is_string(), "{row}");
    for body in [answer.body, audit.body] {
        for snake in [
            "correlation_id",
            "prev_hash",
            "requested_mode",
            "duration_ms",
        ] {
            assert!(!body.contains(snake), "{snake} in {body}");
        }
    }
}

#[tokio::test]
async fn arguments_that_fail_the_input_schema_are_a_400_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let server = start("", dir.path()).await;
    for (args, field) in [(r#"{"text": 42}"#, "/text"), (r#"{}"#, "text")] {
        let answer = send(
            server.addr,
            "POST",
            "/api/tools/echo.echo/invoke",
            Some(BOOTSTRAP),
            Some(&format!(r#"{{"args": {args}}}"#)),
        )
        .await;
        assert_eq!(answer.status, 400, "{args}: {}", answer.body);
        let error = &answer.json()["error"];
        assert_eq!(error["code"], "invalid_field", "{args}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(field), "{args}: {message}");
    }
}

#[tokio::test]
async fn live_mode_needs_an_operator() {
    let dir = tempfile::tempdir().unwrap();
    let server = start("", dir.path()).await;
    let token = user_token(&server, "carol", Role::User).await;
    let answer = send(
        server.addr,
        "POST",
        "/api/tools/echo.echo/invoke",
        Some(&token),
        Some(r#"{"args": {"text": "x"}, "mode": "live"}"#),
    )
    .await;
    assert_eq!(answer.status, 403);
    assert!(
        answer.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("operator")
    );
}

#[tokio::test]
async fn bad_input_gets_a_precise_4xx() {
    let dir = tempfile::tempdir().unwrap();
    let server = start("", dir.path()).await;
    let t = Some(BOOTSTRAP);
    let cases = [
        (
            "/api/tools/echo.echo/invoke",
            "{not json",
            400,
            "invalid_json",
        ),
        (
            "/api/tools/echo.echo/invoke",
            r#"{"args": {}, "extra": 1}"#,
            400,
            "invalid_field",
        ),
        (
            "/api/tools/echo.echo/invoke",
            r#"{"args": [1]}"#,
            400,
            "invalid_field",
        ),
        (
            "/api/tools/echo.echo/invoke",
            r#"{"args": {}, "mode": "yolo"}"#,
            400,
            "invalid_field",
        ),
        (
            "/api/tools/nope.nothing/invoke",
            r#"{"args": {}}"#,
            404,
            "not_found",
        ),
    ];
    for (path, body, status, code) in cases {
        let answer = send(server.addr, "POST", path, t, Some(body)).await;
        assert_eq!(answer.status, status, "{path} {body}: {}", answer.body);
        assert_eq!(answer.json()["error"]["code"], code, "{path} {body}");
    }
    let huge = format!(r#"{{"args": {{"text": "{}"}}}}"#, "a".repeat(2 << 20));
    let answer = send(
        server.addr,
        "POST",
        "/api/tools/echo.echo/invoke",
        t,
        Some(&huge),
    )
    .await;
    assert_eq!(
        answer.status,
        413,
        "{}",
        &answer.body[..answer.body.len().min(200)]
    );
    let unknown = send(server.addr, "GET", "/api/nothing-here", t, None).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["error"]["code"], "not_found");
    let wrong_method = send(server.addr, "DELETE", "/api/tools", t, None).await;
    assert_eq!(wrong_method.status, 405, "{:?}", wrong_method.headers);
    assert_eq!(
        wrong_method.json()["error"]["code"],
        "method_not_allowed",
        "{:?}",
        wrong_method.headers
    );
    let no_plugin = send(
        server.addr,
        "PUT",
        "/api/policy/plugins/ghost/live",
        t,
        Some(r#"{"capabilities": []}"#),
    )
    .await;
    assert_eq!(no_plugin.status, 404, "{}", no_plugin.body);
    let openapi = send(server.addr, "GET", "/api/openapi.json", None, None).await;
    assert_eq!(openapi.status, 200);
    assert_eq!(openapi.json()["openapi"], "3.1.0");
}

#[tokio::test]
async fn audit_routes_are_operator_only() {
    let dir = tempfile::tempdir().unwrap();
    let server = start("", dir.path()).await;
    let user = user_token(&server, "erin", Role::User).await;
    assert_eq!(
        send(server.addr, "GET", "/api/audit", Some(&user), None)
            .await
            .status,
        403
    );
    assert_eq!(
        send(server.addr, "GET", "/api/audit/verify", Some(&user), None)
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn tampering_with_the_audit_log_is_detected_and_the_first_broken_row_named() {
    let dir = tempfile::tempdir().unwrap();
    let server = start("", dir.path()).await;
    for text in ["one", "two", "three"] {
        let body = format!(r#"{{"args": {{"text": "{text}"}}}}"#);
        let answer = send(
            server.addr,
            "POST",
            "/api/tools/echo.echo/invoke",
            Some(BOOTSTRAP),
            Some(&body),
        )
        .await;
        assert_eq!(answer.status, 200);
    }
    let intact = send(
        server.addr,
        "GET",
        "/api/audit/verify",
        Some(BOOTSTRAP),
        None,
    )
    .await
    .json();
    assert_eq!(intact["status"], "intact", "{intact}");

    // Someone with write access to the file bypasses the application: drops the append-only trigger and
    // rewrites the detail of the second tool call.
    let entries = send(server.addr, "GET", "/api/audit", Some(BOOTSTRAP), None)
        .await
        .json();
    let target = entries["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "tool.invoke")
        .nth(1)
        .unwrap()["seq"]
        .as_i64()
        .unwrap();
    let db = rusqlite::Connection::open(dir.path().join(drydock_core::DB_FILE_NAME)).unwrap();
    db.execute_batch("DROP TRIGGER audit_log_refuses_update;")
        .unwrap();
    db.execute(
        "UPDATE audit_log SET detail = '{\"mode\":\"dry-run\",\"outcome\":\"ok\",\"effects\":0,\"forged\":true}' WHERE seq = ?1",
        [target],
    )
    .unwrap();
    drop(db);

    let broken = send(
        server.addr,
        "GET",
        "/api/audit/verify",
        Some(BOOTSTRAP),
        None,
    )
    .await
    .json();
    assert_eq!(broken["status"], "broken", "{broken}");
    assert_eq!(broken["seq"], target, "{broken}");
    let offline = drydock_core::verify_offline(dir.path()).unwrap();
    assert!(matches!(offline, drydock_core::Verification::Broken { seq, .. } if seq == target));
}

/// One request with exactly these header lines (no automatic `Host`) and body, over a fresh connection.
async fn raw_with_body(
    addr: std::net::SocketAddr,
    request_head: &str,
    body: &str,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(format!("{request_head}Connection: close\r\n\r\n{body}").as_bytes())
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, response)
}

async fn raw(addr: std::net::SocketAddr, request_head: &str) -> (u16, String) {
    raw_with_body(addr, request_head, "").await
}

#[tokio::test]
async fn a_foreign_host_is_misdirected_and_a_foreign_origin_cannot_change_anything() {
    let data = tempfile::tempdir().unwrap();
    let server = start("", data.path()).await;
    let addr = server.addr;
    let port = addr.port();

    // DNS rebinding: the attacker's name resolving to our loopback address.
    let (status, body) = raw(
        addr,
        &format!("GET /healthz HTTP/1.1\r\nHost: evil.example:{port}\r\n"),
    )
    .await;
    assert_eq!(status, 421, "{body}");
    assert!(
        body.contains("misdirected_request") && body.contains("--allowed-host"),
        "{body}"
    );
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
    ] {
        let (status, body) = raw(addr, &format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\n")).await;
        assert_eq!(status, 200, "{host}: {body}");
    }

    let login = r#"{"username": "nobody", "password": "x"}"#;
    let post = |origin: &str| {
        format!(
            "POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: {origin}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n",
            login.len()
        )
    };
    for origin in [
        "https://evil.example",
        "null",
        "http://localhost.evil.example",
    ] {
        let (status, body) = raw_with_body(addr, &post(origin), login).await;
        assert_eq!(status, 403, "{origin}: {body}");
        assert!(body.contains("may not change anything"), "{body}");
    }
    // The same request from our own origin reaches the route (which refuses the unknown user itself).
    let (status, body) =
        raw_with_body(addr, &post(&format!("http://localhost:{port}")), login).await;
    assert_eq!(status, 401, "{body}");
    // Reading with a foreign Origin is allowed (the browser keeps the answer from the page anyway).
    let (status, body) = raw(
        addr,
        &format!(
            "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: https://evil.example\r\n"
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_api_filters_by_actor_and_action_family_and_reads_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let server = start("", dir.path()).await;
    let token = user_token(&server, "dana", Role::User).await;
    let body = Some(r#"{"args": {"text": "one"}}"#);
    send(
        server.addr,
        "POST",
        "/api/tools/echo.echo/invoke",
        Some(&token),
        body,
    )
    .await;
    let get = |path: String| async move {
        let answer = send(server.addr, "GET", &path, Some(BOOTSTRAP), None).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        answer.json()["entries"].as_array().unwrap().clone()
    };
    let dana = get("/api/audit?actor=dana".into()).await;
    assert!(
        !dana.is_empty() && dana.iter().all(|r| r["actor"] == "dana"),
        "{dana:?}"
    );
    let tools = get("/api/audit?action=tool".into()).await;
    assert!(
        !tools.is_empty()
            && tools
                .iter()
                .all(|r| r["action"].as_str().unwrap().starts_with("tool.")),
        "{tools:?}"
    );
    let newest = get("/api/audit?order=desc&limit=2".into()).await;
    assert!(
        newest[0]["seq"].as_i64() > newest[1]["seq"].as_i64(),
        "{newest:?}"
    );
    let before = newest[0]["seq"].as_i64().unwrap();
    let older = get(format!("/api/audit?order=desc&before={before}")).await;
    assert!(
        older.iter().all(|r| r["seq"].as_i64().unwrap() < before),
        "{older:?}"
    );
    let sideways = send(
        server.addr,
        "GET",
        "/api/audit?order=sideways",
        Some(BOOTSTRAP),
        None,
    )
    .await;
    assert_eq!(sideways.status, 400, "{}", sideways.body);
}
