//! Installing a stranger's tool over the API, as an operator does it: a package (component + embedded
//! manifest, maybe signed) uploaded or fetched from a real OCI registry (docker-registry on loopback),
//! inspected, installed with the requests the operator accepts, upgraded, granted and removed on a running
//! server — its tools appear in `/api/tools` and MCP clients hear `list_changed`; refusals change nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use drydock_core::Role;
use drydock_package::{SecretKey, embed, sign};
use drydock_tests::client::send;
use drydock_tests::plugins::{ECHO, HTTP};
use drydock_tests::registry::LocalRegistry;
use rmcp::model::ProtocolVersion;
use serde_json::{Value, json};

use crate::mcp::{TOKEN, session};
use crate::server::user_token;
use crate::support::{HostOptions, TestServer, start_server, start_server_with};

fn manifest(name: &str, version: &str, requests: &str) -> String {
    format!(
        "name = \"{name}\"\nversion = \"{version}\"\ndescription = \"A test package.\"\n\
         contract = \"drydock:plugin@0.1.0\"\n{requests}"
    )
}

/// A real component with `manifest` embedded.
fn package(component: &str, manifest: &str) -> Vec<u8> {
    embed(&std::fs::read(component).unwrap(), manifest).unwrap()
}

fn upload(bytes: &[u8], accept: Value) -> String {
    json!({
        "component": base64::engine::general_purpose::STANDARD.encode(bytes),
        "fileName": "package.wasm",
        "accept": accept,
    })
    .to_string()
}

async fn server(policy: &str, data: &std::path::Path) -> TestServer {
    start_server(policy, &[], data, TOKEN).await
}

async fn tool_names(server: &TestServer) -> Vec<String> {
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

    let installed = send(
        server.addr,
        "POST",
        "/api/plugins",
        Some(TOKEN),
        Some(&upload(&bytes, json!("all"))),
    )
    .await;
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
    assert!(listed.contains(&"echo.echo".to_owned()), "{listed:?}");

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
async fn a_package_from_a_real_oci_registry_installs_with_only_the_accepted_requests() {
    let registry =
        LocalRegistry::start().expect("docker-registry starts (cargo xtask test installs it)");
    let requests = "[requests]\nhttp = [{ url = \"https://api.github.com/\", methods = [\"GET\"], reason = \"reads repositories\" }]\n\
                    env = [{ name = \"GITHUB_ORG\", reason = \"which organisation\" }]\n";
    let manifest = manifest("http", "1.0.0", requests);
    let bytes = package(HTTP, &manifest);
    let reference =
        drydock_package::OciReference::parse(&registry.reference("tools/http:1.0.0")).unwrap();
    drydock_package::push(
        &reference,
        &bytes,
        Some(&manifest),
        None,
        Duration::from_secs(30),
    )
    .await
    .unwrap();

    let data = tempfile::tempdir().unwrap();
    let server = server("", data.path()).await;
    let body =
        json!({"source": registry.reference("tools/http:1.0.0"), "accept": ["http#1"]}).to_string();
    let installed = send(
        server.addr,
        "POST",
        "/api/plugins",
        Some(TOKEN),
        Some(&body),
    )
    .await;
    assert_eq!(installed.status, 201, "{}", installed.body);
    let shown = installed.json();
    assert!(
        shown["source"].as_str().unwrap().contains("@sha256:"),
        "the exact manifest pulled: {shown}"
    );
    assert_eq!(
        shown["granted"]["http"][0]["url"],
        "https://api.github.com/"
    );
    assert_eq!(
        shown["granted"]["env"],
        json!([]),
        "the declined request is not granted"
    );

    let missing =
        json!({"source": registry.reference("tools/http:9.9.9"), "accept": "all"}).to_string();
    let answer = send(
        server.addr,
        "POST",
        "/api/plugins",
        Some(TOKEN),
        Some(&missing),
    )
    .await;
    assert_eq!(answer.status, 404, "{}", answer.body);
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

    let answer = send(
        server.addr,
        "POST",
        "/api/plugins",
        Some(TOKEN),
        Some(&upload(&unsigned, json!("all"))),
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(answer.body.contains("not signed"), "{}", answer.body);

    let by_stranger = sign(&unsigned, &stranger).unwrap();
    let answer = send(
        server.addr,
        "POST",
        "/api/plugins",
        Some(TOKEN),
        Some(&upload(&by_stranger, json!("all"))),
    )
    .await;
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
    let answer = send(
        server.addr,
        "POST",
        "/api/plugins",
        Some(TOKEN),
        Some(&upload(&signed, json!("all"))),
    )
    .await;
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
    let answer = send(
        server.addr,
        "POST",
        "/api/plugins",
        Some(TOKEN),
        Some(&upload(&v1, json!("all"))),
    )
    .await;
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
        let answer = send(
            server.addr,
            "POST",
            "/api/plugins",
            Some(TOKEN),
            Some(&upload(&bytes, json!("all"))),
        )
        .await;
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
    let answer = send(
        server.addr,
        "POST",
        "/api/plugins",
        Some(TOKEN),
        Some(&upload(&fs_without_dir, json!("all"))),
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(
        answer.body.contains("asks for a directory"),
        "{}",
        answer.body
    );

    let path_source = json!({"source": "/etc/passwd", "accept": "all"}).to_string();
    let answer = send(
        server.addr,
        "POST",
        "/api/plugins",
        Some(TOKEN),
        Some(&path_source),
    )
    .await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_login_takes_its_password_from_the_hosts_secrets_and_never_shows_it() {
    const PASSWORD: &str = "registry-pw-7c1e-never-shown";
    let hash = bcrypt::hash(PASSWORD, 5).unwrap();
    let registry = LocalRegistry::start_with_htpasswd(&format!("ci-bot:{hash}"))
        .expect("docker-registry starts");
    let manifest = manifest("echo", "0.1.0", "");
    let bytes = package(ECHO, &manifest);
    let reference =
        drydock_package::OciReference::parse(&registry.reference("tools/echo:0.1.0")).unwrap();
    let credentials = drydock_package::Credentials::new("ci-bot", PASSWORD);
    drydock_package::push(
        &reference,
        &bytes,
        Some(&manifest),
        Some(&credentials),
        Duration::from_secs(30),
    )
    .await
    .unwrap();

    let data = tempfile::tempdir().unwrap();
    let options = HostOptions {
        secrets: vec![("REGISTRY_PASSWORD", PASSWORD)],
        ..HostOptions::default()
    };
    let server = start_server_with("", &[], data.path(), TOKEN, options).await;
    let install = |login: Value| {
        json!({"source": registry.reference("tools/echo:0.1.0"), "accept": "all", "login": login})
            .to_string()
    };

    let anonymous =
        json!({"source": registry.reference("tools/echo:0.1.0"), "accept": "all"}).to_string();
    let answer = send(
        server.addr,
        "POST",
        "/api/plugins",
        Some(TOKEN),
        Some(&anonymous),
    )
    .await;
    assert_eq!(
        answer.status, 502,
        "the registry refuses a caller without a login: {}",
        answer.body
    );

    let no_secret = install(json!({"username": "ci-bot", "passwordSecret": "NO_SUCH_SECRET"}));
    let answer = send(
        server.addr,
        "POST",
        "/api/plugins",
        Some(TOKEN),
        Some(&no_secret),
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(
        answer.body.contains("no secret `NO_SUCH_SECRET`"),
        "{}",
        answer.body
    );

    let login = install(json!({"username": "ci-bot", "passwordSecret": "REGISTRY_PASSWORD"}));
    let answer = send(
        server.addr,
        "POST",
        "/api/plugins",
        Some(TOKEN),
        Some(&login),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(tool_names(&server).await, ["echo.echo"]);

    let audit = send(server.addr, "GET", "/api/audit", Some(TOKEN), None).await;
    assert!(
        !audit.body.contains(PASSWORD),
        "the password is in no audit row"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_package_over_the_configured_limit_is_refused_whether_fetched_or_uploaded() {
    let registry = LocalRegistry::start().expect("docker-registry starts");
    let big_component = drydock_tests::plugins::componentized("notes_py");
    let bytes = package(&big_component, &manifest("notes_py", "0.1.0", ""));
    let reference =
        drydock_package::OciReference::parse(&registry.reference("tools/notes:0.1.0")).unwrap();
    drydock_package::push(&reference, &bytes, None, None, Duration::from_secs(60))
        .await
        .unwrap();

    let data = tempfile::tempdir().unwrap();
    let server = server("", data.path()).await;
    server.core.set_package_limit(1 << 20);
    let fetch =
        json!({"source": registry.reference("tools/notes:0.1.0"), "accept": "all"}).to_string();
    let answer = send(
        server.addr,
        "POST",
        "/api/plugins",
        Some(TOKEN),
        Some(&fetch),
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(
        answer.body.contains("1048576"),
        "names the limit: {}",
        answer.body
    );

    // An upload over the limit: the HTTP route stops reading at the limit (base64-encoded), which can cut
    // the connection before the client is done writing, so the core's own check is asked directly.
    let operator = drydock_core::Actor {
        user_id: String::new(),
        name: "ada".into(),
        role: Role::Operator,
    };
    let upload = drydock_core::packages::Intake::Upload {
        bytes,
        manifest: None,
        file_name: "notes_py.wasm".into(),
    };
    let err = server
        .core
        .inspect_package(&operator, upload)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("--max-package-mib") && err.contains("1048576"),
        "{err}"
    );
    assert!(tool_names(&server).await.is_empty());
}

/// A one-file HTTP server on loopback: answers every GET with `bytes` and counts the requests.
async fn file_server(bytes: Vec<u8>) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    tokio::spawn(async move {
        // Bounded: the test makes one request; a few more are tolerated, then the server stops.
        for _ in 0..8 {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            counted.fetch_add(1, Ordering::SeqCst);
            let mut request = vec![0u8; 4096];
            let _ = stream.read(&mut request).await;
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/wasm\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                bytes.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
    });
    (addr, hits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_package_at_an_http_url_is_fetched_once_and_installed() {
    let bytes = package(ECHO, &manifest("echo", "0.1.0", ""));
    let (addr, hits) = file_server(bytes).await;
    let data = tempfile::tempdir().unwrap();
    let server = server("", data.path()).await;
    let body = json!({"source": format!("http://{addr}/echo.wasm"), "accept": "none"}).to_string();
    let answer = send(
        server.addr,
        "POST",
        "/api/plugins",
        Some(TOKEN),
        Some(&body),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(answer.json()["source"], format!("http://{addr}/echo.wasm"));
    assert_eq!(hits.load(Ordering::SeqCst), 1, "fetched exactly once");
    assert_eq!(tool_names(&server).await, ["echo.echo"]);
}
