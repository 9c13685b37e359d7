//! The policy API: `GET /api/policy` shows the grants as the policy file has them and, for each plugin's
//! live list, where it comes from; `PUT /api/policy/plugins/{plugin}/live` is for operators, persisted and
//! audited, and survives restarts; `/api/tools` says what going live still needs.

use drydock_core::Role;
use drydock_tests::client::send;
use serde_json::json;

use crate::server::{BOOTSTRAP, start, user_token};

#[tokio::test]
async fn the_policy_lists_each_http_grants_methods_as_in_the_policy_file() {
    let dir = tempfile::tempdir().unwrap();
    let policy = r#"
        [plugins.http]
        http = [{ url = "http://127.0.0.1:9/api/", methods = ["GET", "POST"] }]
    "#;
    let server = start(policy, dir.path()).await;
    let answer = send(server.addr, "GET", "/api/policy", Some(BOOTSTRAP), None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let grant = &answer.json()["plugins"]["http"]["http"][0];
    assert_eq!(grant["methods"], json!(["GET", "POST"]), "{grant}");
}

#[tokio::test]
async fn live_policy_toggles_are_operator_only_persisted_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let peer = drydock_tests::peer::Peer::start().await;
    let policy = format!(
        "[plugins.http]\nhttp = [{{ url = \"{}/\", methods = [\"GET\", \"POST\"] }}]\n",
        peer.base_url()
    );
    {
        let server = start(&policy, dir.path()).await;
        let user = user_token(&server, "dave", Role::User).await;
        let body = Some(r#"{"capabilities": ["http"]}"#);
        let refused = send(
            server.addr,
            "PUT",
            "/api/policy/plugins/http/live",
            Some(&user),
            body,
        )
        .await;
        assert_eq!(refused.status, 403);
        let ok = send(
            server.addr,
            "PUT",
            "/api/policy/plugins/http/live",
            Some(BOOTSTRAP),
            body,
        )
        .await;
        assert_eq!(ok.status, 200, "{}", ok.body);
        let nonsense = send(
            server.addr,
            "PUT",
            "/api/policy/plugins/echo/live",
            Some(BOOTSTRAP),
            Some(r#"{"capabilities": ["fs"]}"#),
        )
        .await;
        assert_eq!(nonsense.status, 400, "{}", nonsense.body);
        let shown = send(server.addr, "GET", "/api/policy", Some(&user), None)
            .await
            .json();
        assert_eq!(shown["livePolicy"]["http"], json!(["http"]));
        assert_eq!(shown["masterSwitch"], false);
        let audit = send(server.addr, "GET", "/api/audit", Some(BOOTSTRAP), None)
            .await
            .json();
        assert!(
            audit["entries"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["action"] == "policy.live.set")
        );
    }
    let restarted = start(&policy, dir.path()).await;
    let shown = send(restarted.addr, "GET", "/api/policy", Some(BOOTSTRAP), None)
        .await
        .json();
    assert_eq!(
        shown["livePolicy"]["http"],
        json!(["http"]),
        "the toggle survives a restart"
    );
    let verify = send(
        restarted.addr,
        "GET",
        "/api/audit/verify",
        Some(BOOTSTRAP),
        None,
    )
    .await
    .json();
    assert_eq!(verify["status"], "intact", "{verify}");
}

#[tokio::test]
async fn the_policy_says_where_each_live_list_comes_from_and_tools_say_what_live_still_needs() {
    let dir = tempfile::tempdir().unwrap();
    let peer = drydock_tests::peer::Peer::start().await;
    let policy = format!(
        "[plugins.http]\nhttp = [{{ url = \"{}/\", methods = [\"GET\", \"POST\"] }}]\nlive = [\"http\"]\n",
        peer.base_url()
    );
    let live_of = |shown: &serde_json::Value, plugin: &str| {
        shown["live"]
            .as_array()
            .unwrap()
            .iter()
            .find(|entry| entry["plugin"] == plugin)
            .cloned()
            .unwrap_or_else(|| panic!("no live entry for {plugin}: {shown}"))
    };
    {
        let server = start(&policy, dir.path()).await;
        let shown = send(server.addr, "GET", "/api/policy", Some(BOOTSTRAP), None)
            .await
            .json();
        let http = live_of(&shown, "http");
        assert_eq!(http["capabilities"], json!(["http"]));
        assert_eq!(http["source"], "file");

        // The master switch is off: nothing is live-capable, and each tool says what it lacks.
        let tools = send(server.addr, "GET", "/api/tools", Some(BOOTSTRAP), None)
            .await
            .json();
        let tool = |name: &str| {
            tools["tools"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["name"] == name)
                .cloned()
                .unwrap()
        };
        let request = tool("http.request");
        assert_eq!(request["liveCapable"], false, "{request}");
        assert_eq!(request["liveCapabilities"], json!(["http"]));
        let needs = request["liveNeeds"].as_array().unwrap();
        assert_eq!(needs.len(), 1, "{request}");
        assert!(needs[0].as_str().unwrap().contains("DRYDOCK_LIVE=1"));
        let echo = tool("echo.echo");
        let needs: Vec<&str> = echo["liveNeeds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        assert!(
            needs[0].contains("PUT /api/policy/plugins/echo/live")
                && needs[1].contains("DRYDOCK_LIVE=1"),
            "{needs:?}"
        );

        // An operator's toggle (here: nothing live) replaces the file's list, and says whose it is.
        let off = send(
            server.addr,
            "PUT",
            "/api/policy/plugins/http/live",
            Some(BOOTSTRAP),
            Some(r#"{"capabilities": []}"#),
        )
        .await;
        assert_eq!(off.status, 200, "{}", off.body);
        let shown = send(server.addr, "GET", "/api/policy", Some(BOOTSTRAP), None)
            .await
            .json();
        let http = live_of(&shown, "http");
        assert_eq!(http["capabilities"], json!([]));
        let source = http["source"].as_str().unwrap();
        let by = http["setBy"].as_str().unwrap();
        assert!(
            source.starts_with(&format!("operator {by} at "))
                && source.ends_with(http["setAt"].as_str().unwrap()),
            "{http}"
        );
    }
    // After a restart the toggle still wins over the file, and still says so.
    let restarted = start(&policy, dir.path()).await;
    let shown = send(restarted.addr, "GET", "/api/policy", Some(BOOTSTRAP), None)
        .await
        .json();
    let http = live_of(&shown, "http");
    assert_eq!(http["capabilities"], json!([]), "{shown}");
    assert!(
        http["source"].as_str().unwrap().starts_with("operator "),
        "{http}"
    );
}
