//! Packages the server fetches: from a real OCI registry (docker-registry on loopback, with and without a
//! login whose password stays in the host's secrets), from an http URL on loopback (a file server that
//! counts requests), and the operator's size limit for fetched and uploaded packages.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use drydock_core::Role;
use drydock_tests::client::send;
use drydock_tests::plugins::{ECHO, HTTP};
use drydock_tests::registry::LocalRegistry;
use serde_json::{Value, json};

use crate::mcp::TOKEN;
use crate::packages_api::{install, manifest, package, server, tool_names};
use crate::support::{HostOptions, start_server_with};

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
    let installed = install(&server, &body).await;
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
    let answer = install(&server, &missing).await;
    assert_eq!(answer.status, 404, "{}", answer.body);
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
    let with_login = |login: Value| {
        json!({"source": registry.reference("tools/echo:0.1.0"), "accept": "all", "login": login})
            .to_string()
    };

    let anonymous =
        json!({"source": registry.reference("tools/echo:0.1.0"), "accept": "all"}).to_string();
    let answer = install(&server, &anonymous).await;
    assert_eq!(
        answer.status, 502,
        "the registry refuses a caller without a login: {}",
        answer.body
    );

    let no_secret = with_login(json!({"username": "ci-bot", "passwordSecret": "NO_SUCH_SECRET"}));
    let answer = install(&server, &no_secret).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(
        answer.body.contains("no secret `NO_SUCH_SECRET`"),
        "{}",
        answer.body
    );

    let login = with_login(json!({"username": "ci-bot", "passwordSecret": "REGISTRY_PASSWORD"}));
    let answer = install(&server, &login).await;
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
    let answer = install(&server, &fetch).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_package_at_an_http_url_is_fetched_once_and_installed() {
    let bytes = package(ECHO, &manifest("echo", "0.1.0", ""));
    let (addr, hits) = file_server(bytes).await;
    let data = tempfile::tempdir().unwrap();
    let server = server("", data.path()).await;
    let body = json!({"source": format!("http://{addr}/echo.wasm"), "accept": "none"}).to_string();
    let answer = install(&server, &body).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(answer.json()["source"], format!("http://{addr}/echo.wasm"));
    assert_eq!(hits.load(Ordering::SeqCst), 1, "fetched exactly once");
    assert_eq!(tool_names(&server).await, ["echo.echo"]);
}
