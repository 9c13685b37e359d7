//! Installing a stranger's tool over the API, as an operator does it: a package (component + embedded
//! manifest, maybe signed) uploaded or fetched from a real OCI registry (docker-registry on loopback),
//! inspected, installed with the requests the operator accepts, upgraded, granted and removed on a running
//! server — its tools appear in `/api/tools` and MCP clients hear `list_changed`; refusals change nothing.
//! Packages the server fetches (OCI, http, registry logins, the size limit): `packages_sources.rs`.

use std::time::Duration;

use base64::Engine as _;
use drydock_core::Role;
use drydock_package::{SecretKey, embed, sign};
use drydock_tests::client::send;
use drydock_tests::plugins::{ECHO, HTTP};
use rmcp::model::ProtocolVersion;
use serde_json::{Value, json};

use crate::mcp::{TOKEN, session};
use crate::server::user_token;
use crate::support::{TestServer, start_server};

pub(crate) fn manifest(name: &str, version: &str, requests: &str) -> String {
    format!(
        "name = \"{name}\"\nversion = \"{version}\"\ndescription = \"A test package.\"\n\
         contract = \"drydock:plugin@0.1.0\"\n{requests}"
    )
}

/// A real component with `manifest` embedded.
pub(crate) fn package(component: &str, manifest: &str) -> Vec<u8> {
    embed(&std::fs::read(component).unwrap(), manifest).unwrap()
}

pub(crate) fn upload(bytes: &[u8], accept: Value) -> String {
    json!({
        "component": base64::engine::general_purpose::STANDARD.encode(bytes),
        "fileName": "package.wasm",
        "accept": accept,
    })
    .to_string()
}

pub(crate) async fn server(policy: &str, data: &std::path::Path) -> TestServer {
    start_server(policy, &[], data, TOKEN).await
}

/// `POST /api/plugins` with `body`, as the operator.
pub(crate) async fn install(server: &TestServer, body: &str) -> drydock_tests::client::Answer {
    send(server.addr, "POST", "/api/plugins", Some(TOKEN), Some(body)).await
}

pub(crate) async fn tool_names(server: &TestServer) -> Vec<String> {
    let tools = send(server.addr, "GET", "/api/tools", Some(TOKEN), None)
        .await
        .json();
    tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

async fn audit_actions(server: &TestServer) -> Vec<String> {
    let audit = send(server.addr, "GET", "/api/audit", Some(TOKEN), None)
        .await
        .json();
    audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .filter(|a| a.starts_with("plugin."))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_package_is_inspected_installed_and_served_and_mcp_clients_hear_of_it() {
    let data = tempfile::tempdir().unwrap();
    let server = server("", data.path()).await;
    let (client, mut changes) = session(&server, ProtocolVersion::V_2025_11_25).await;
    let bytes = package(ECHO, &manifest("echo", "0.1.0", ""));

    let inspected = send(
        server.addr,
        "POST",
        "/api/plugins/inspect",
        Some(TOKEN),
        Some(
            &json!({"component": base64::engine::general_purpose::STANDARD.encode(&bytes)})
                .to_string(),
        ),
    )
    .await;
    assert_eq!(inspected.status, 200, "{}", inspected.body);
    assert_eq!(inspected.json()["name"], "echo");
    assert_eq!(inspected.json()["requests"], json!([]));
    assert!(
        tool_names(&server).await.is_empty(),
        "inspecting installs nothing"
    );

    let installed = install(&server, &upload(&bytes, json!("all"))).await;
    assert_eq!(installed.status, 201, "{}", installed.body);
    assert_eq!(installed.json()["version"], "0.1.0");
    assert_eq!(installed.json()["tools"], json!(["echo.echo"]));
    assert_eq!(tool_names(&server).await, ["echo.echo"]);
    tokio::time::timeout(Duration::from_secs(10), changes.recv())
        .await
        .expect("notifications/tools/list_changed arrives")
        .unwrap();
    let listed: Vec<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    assert!(listed.contains(&"echo_echo".to_owned()), "{listed:?}");

    let removed = send(
        server.addr,
        "DELETE",
        "/api/plugins/echo",
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert!(tool_names(&server).await.is_empty());
    tokio::time::timeout(Duration::from_secs(10), changes.recv())
        .await
        .expect("list_changed after the removal")
        .unwrap();
    assert_eq!(
        audit_actions(&server).await,
        ["plugin.install", "plugin.remove"]
    );
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_are_required_when_the_policy_says_so_and_only_trusted_keys_count() {
    let trusted = SecretKey::generate().unwrap();
    let stranger = SecretKey::generate().unwrap();
    let policy = format!(
        "[trust]\nrequire_signature = true\nkeys = [{{ name = \"acme\", key = \"{}\" }}]\n",
        trusted.public()
    );
    let data = tempfile::tempdir().unwrap();
    let server = server(&policy, data.path()).await;
    let unsigned = package(ECHO, &manifest("echo", "0.1.0", ""));

    let answer = install(&server, &upload(&unsigned, json!("all"))).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.body.contains("not signed"), "{}", answer.body);

    let by_stranger = sign(&unsigned, &stranger).unwrap();
    let answer = install(&server, &upload(&by_stranger, json!("all"))).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(
        answer.body.contains(&stranger.public().to_string()),
        "names the untrusted key: {}",
        answer.body
    );
    assert!(
        tool_names(&server).await.is_empty(),
        "nothing half installed"
    );

    let signed = sign(&unsigned, &trusted).unwrap();
    let answer = install(&server, &upload(&signed, json!("all"))).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(answer.json()["signer"], "acme");
    assert_eq!(
        audit_actions(&server).await,
        [
            "plugin.install.refused",
            "plugin.install.refused",
            "plugin.install"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_asking_for_more_runs_with_the_old_grants_until_an_operator_accepts() {
    let data = tempfile::tempdir().unwrap();
    let server = server("", data.path()).await;
    let api = "http = [{ url = \"https://api.github.com/\", methods = [\"GET\"], reason = \"reads repositories\" }";
    let v1 = package(
        HTTP,
        &manifest("http", "1.0.0", &format!("[requests]\n{api}]\n")),
    );
    let answer = install(&server, &upload(&v1, json!("all"))).await;
    assert_eq!(answer.status, 201, "{}", answer.body);

    let more = format!(
        "[requests]\n{api}, {{ url = \"https://uploads.github.com/\", methods = [\"POST\"], reason = \"uploads\" }}]\n"
    );
    let v2 = package(HTTP, &manifest("http", "2.0.0", &more));
    let body =
        json!({"component": base64::engine::general_purpose::STANDARD.encode(&v2)}).to_string();
    let upgraded = send(
        server.addr,
        "PUT",
        "/api/plugins/http",
        Some(TOKEN),
        Some(&body),
    )
    .await;
    assert_eq!(upgraded.status, 200, "{}", upgraded.body);
    let shown = upgraded.json();
    assert_eq!(shown["version"], "2.0.0");
    assert_eq!(shown["held"][0]["id"], "http#2");
    assert_eq!(
        shown["requested"].as_array().unwrap().len(),
        2,
        "every request, with its reason"
    );
    assert_eq!(shown["requested"][1]["reason"], "uploads");
    assert_eq!(
        shown["granted"]["http"].as_array().unwrap().len(),
        1,
        "the old grants only"
    );

    let grant = send(
        server.addr,
        "POST",
        "/api/plugins/http/grants",
        Some(TOKEN),
        Some(r#"{"accept": ["http#2"]}"#),
    )
    .await;
    assert_eq!(grant.status, 200, "{}", grant.body);
    assert_eq!(grant.json()["held"], json!([]));
    assert_eq!(grant.json()["granted"]["http"].as_array().unwrap().len(), 2);
    assert_eq!(
        audit_actions(&server).await,
        ["plugin.install", "plugin.upgrade", "plugin.grant"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_packages_and_non_operators_are_refused_with_the_reason_and_nothing_changes() {
    let data = tempfile::tempdir().unwrap();
    let server = start_server("", &[ECHO], data.path(), TOKEN).await;
    let user = user_token(&server, "bob", Role::User).await;
    let good = package(HTTP, &manifest("http", "1.0.0", ""));

    let answer = send(
        server.addr,
        "POST",
        "/api/plugins",
        Some(&user),
        Some(&upload(&good, json!("all"))),
    )
    .await;
    assert_eq!(answer.status, 403, "{}", answer.body);

    let cases: Vec<(Vec<u8>, &str)> = [
        (b"not wasm at all".to_vec(), "not"),
        (std::fs::read(HTTP).unwrap(), "manifest"),
        (package(ECHO, &manifest("echo", "0.2.0", "")), "already loaded from the plugin directory"),
        (package(HTTP, &manifest("http", "1.0.0", "").replace("0.1.0\"", "0.9.0\"")), "contract"),
        (
            package(HTTP, &manifest("http", "1.0.0", "[requests]\nhttp = [{ url = \"ftp://x\", methods = [\"GET\"], reason = \"r\" }]\n")),
            "ftp",
        ),
        (package(HTTP, &manifest("echo_two", "1.0.0", "")), "does not load"),
    ]
    .into_iter()
    .collect();
    for (bytes, said) in cases {
        let answer = install(&server, &upload(&bytes, json!("all"))).await;
        assert_eq!(answer.status, 400, "{said}: {}", answer.body);
        assert!(
            answer.body.contains(said),
            "expected {said:?} in {}",
            answer.body
        );
    }
    let fs_without_dir = package(
        HTTP,
        &manifest(
            "http",
            "1.0.0",
            "[requests]\nfs = [{ access = \"ro\", reason = \"reads\" }]\n",
        ),
    );
    let answer = install(&server, &upload(&fs_without_dir, json!("all"))).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(
        answer.body.contains("asks for a directory"),
        "{}",
        answer.body
    );

    let path_source = json!({"source": "/etc/passwd", "accept": "all"}).to_string();
    let answer = install(&server, &path_source).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(
        answer.body.contains("does not read files"),
        "{}",
        answer.body
    );

    assert_eq!(
        tool_names(&server).await,
        ["echo.echo"],
        "nothing was installed"
    );
    let listed = send(server.addr, "GET", "/api/plugins", Some(TOKEN), None)
        .await
        .json();
    assert_eq!(listed["plugins"].as_array().unwrap().len(), 1);
    assert!(
        audit_actions(&server)
            .await
            .iter()
            .all(|a| a == "plugin.install.refused")
    );
}
