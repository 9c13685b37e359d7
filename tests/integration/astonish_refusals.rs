//! Astonish wire compatibility, the refusals: bad input on every studio route (wrong types, unknown names,
//! other callers' sessions, oversized bodies), each answered with Astonish's `{error}` and a reason; the
//! native tools list unchanged for its own clients; and the console's session cookie, which makes the
//! studio its visitor only for the page's own scripts.

use drydock_tests::client::{Answer, send, send_with};
use serde_json::json;

use crate::astonish::{OPERATOR, XHR, chat, start, studio};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_on_every_studio_route_is_refused_with_a_reason() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let addr = server.addr;
    let token = Some(OPERATOR);
    let refused = |answer: Answer, status: u16| {
        assert_eq!(answer.status, status, "{}", answer.body);
        assert!(
            answer.json()["error"].is_string(),
            "Astonish's error shape: {}",
            answer.body
        );
    };

    let not_json = send_with(addr, "POST", "/api/chat", None, Some("{"), &[XHR]).await;
    refused(not_json, 400);
    refused(
        studio(
            addr,
            "POST",
            "/api/chat",
            None,
            Some(json!({ "agentId": 5 })),
        )
        .await,
        400,
    );
    refused(
        studio(
            addr,
            "POST",
            "/api/chat",
            None,
            Some(json!({ "agentId": "echo_loop", "autoApprove": "yes" })),
        )
        .await,
        400,
    );
    refused(
        studio(
            addr,
            "POST",
            "/api/chat",
            None,
            Some(json!({ "agentId": "echo_loop", "sessionId": "a b" })),
        )
        .await,
        400,
    );
    refused(
        studio(
            addr,
            "POST",
            "/api/chat",
            None,
            Some(json!({ "agentId": "echo_loop", "message": "x".repeat(70_000) })),
        )
        .await,
        400,
    );
    refused(
        studio(
            addr,
            "POST",
            "/api/chat",
            None,
            Some(json!({ "agentId": "x".repeat(2_000_000) })),
        )
        .await,
        413,
    );
    // An unknown flow: the stream says so and ends, so the studio does not wait forever.
    let unknown = studio(
        addr,
        "POST",
        "/api/chat",
        None,
        Some(json!({ "agentId": "nope", "sessionId": "s-unknown" })),
    )
    .await;
    assert_eq!(unknown.status, 200);
    assert!(
        unknown.body.contains("no workflow `nope`") && unknown.body.contains("\"node\":\"END\""),
        "{}",
        unknown.body
    );

    // Another caller's session is not there for them.
    chat(addr, None, "session-mine", "", false).await;
    refused(
        studio(
            addr,
            "POST",
            "/api/session/session-mine/keepalive",
            token,
            None,
        )
        .await,
        404,
    );
    refused(
        studio(addr, "POST", "/api/session/session-mine/stop", token, None).await,
        404,
    );
    refused(
        studio(addr, "POST", "/api/session/never-made/stop", None, None).await,
        404,
    );

    refused(
        studio(
            addr,
            "PUT",
            "/api/agents/x",
            token,
            Some(json!({ "yaml": 5 })),
        )
        .await,
        400,
    );
    refused(
        studio(
            addr,
            "PUT",
            "/api/agents/x",
            token,
            Some(json!({ "yaml": "a: b\n".repeat(60_000) })),
        )
        .await,
        413,
    );
    refused(
        studio(addr, "GET", "/api/agents/no_such_flow", None, None).await,
        404,
    );

    refused(
        studio(
            addr,
            "PUT",
            "/api/settings/config",
            token,
            Some(json!({ "providers": 5 })),
        )
        .await,
        400,
    );
    refused(
        studio(
            addr,
            "PUT",
            "/api/settings/config",
            token,
            Some(json!({ "general": { "default_model": 3 } })),
        )
        .await,
        400,
    );
    refused(
        studio(
            addr,
            "PUT",
            "/api/settings/config",
            token,
            Some(json!({ "bogus": 1 })),
        )
        .await,
        400,
    );
    refused(
        studio(
            addr,
            "PUT",
            "/api/settings/config",
            token,
            Some(json!({ "providers": { "p": { "region": "eu" } } })),
        )
        .await,
        400,
    );
    refused(
        studio(
            addr,
            "PUT",
            "/api/settings/mcp",
            token,
            Some(json!({ "mcpServers": 3 })),
        )
        .await,
        400,
    );

    refused(
        studio(
            addr,
            "POST",
            "/api/ai/chat",
            None,
            Some(json!({ "message": "make a flow" })),
        )
        .await,
        403,
    );
    refused(
        studio(
            addr,
            "POST",
            "/api/ai/chat",
            token,
            Some(json!({ "message": "" })),
        )
        .await,
        400,
    );
    refused(
        studio(
            addr,
            "POST",
            "/api/ai/chat",
            token,
            Some(json!({ "message": 7 })),
        )
        .await,
        400,
    );
    let no_model = studio(
        addr,
        "POST",
        "/api/ai/chat",
        token,
        Some(json!({ "message": "make a flow" })),
    )
    .await;
    assert_eq!(no_model.status, 200, "{}", no_model.body);
    assert!(
        no_model.json()["message"]
            .as_str()
            .unwrap()
            .contains("No language model")
    );
    assert_eq!(no_model.json()["action"], "info");

    refused(
        studio(addr, "GET", "/api/agents", Some("not-a-token"), None).await,
        401,
    );

    // The native list is unchanged for its own clients: a token gets Drydock's shape, none a 401.
    assert_eq!(
        send(addr, "GET", "/api/tools", None, None).await.status,
        401
    );
    let native = send(addr, "GET", "/api/tools", token, None).await.json();
    assert!(
        native["tools"][0]["inputSchema"].is_object() && native["tools"][0]["liveNeeds"].is_array()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_session_cookie_makes_the_studio_its_visitor_only_for_page_scripts() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let addr = server.addr;
    crate::server::user_token(&server, "olga", drydock_core::Role::Operator).await;
    let jar = crate::console_auth::signed_in(&server, "olga", "correct horse").await;
    let cookie = jar.header();
    let flow = "description: From the studio\nnodes:\n  - name: say\n    type: output\n    user_message:\n      - hi\nflow:\n  - from: START\n    to: say\n  - from: say\n    to: END\n";
    let body = json!({ "yaml": flow }).to_string();
    let put = |headers: Vec<(&'static str, String)>| {
        let body = body.clone();
        async move {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            send_with(
                addr,
                "PUT",
                "/api/agents/studio_flow",
                None,
                Some(&body),
                &headers,
            )
            .await
        }
    };
    // A write with the cookie but without the page-script header is not the visitor's (a form of another
    // site could send that): anonymous, read-only.
    let plain = put(vec![("cookie", cookie.clone())]).await;
    assert_eq!(plain.status, 403, "{}", plain.body);
    let scripted = put(vec![("cookie", cookie.clone()), (XHR.0, XHR.1.to_owned())]).await;
    assert_eq!(scripted.status, 200, "{}", scripted.body);
    // Reads with the cookie see what the visitor sees, and the flow is theirs to change.
    let listed = send_with(
        addr,
        "GET",
        "/api/agents",
        None,
        None,
        &[("cookie", &cookie)],
    )
    .await
    .json();
    let mine = listed["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "studio_flow")
        .cloned()
        .unwrap();
    assert_eq!(
        (mine["source"].clone(), mine.get("isReadOnly")),
        (json!("local"), None)
    );
    // A cross-site page cannot write with it either (the Origin check of every route).
    let foreign = put(vec![
        ("cookie", cookie.clone()),
        (XHR.0, XHR.1.to_owned()),
        ("origin", "http://evil.example".to_owned()),
    ])
    .await;
    assert_eq!(foreign.status, 403);
}
