//! Fetching from files and plain-HTTP stand-ins on 127.0.0.1: the happy path and every way a download can
//! go wrong (error statuses, a hanging server, oversize bodies with and without a declared length, a cut
//! connection, bytes that are not a component), and a stand-in posing as a failing OCI registry. The stand-in answers each connection from a script and
//! counts the requests that reached it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use drydock_package::wasm_magic::NotAComponent;
use drydock_package::{Credentials, FetchError, FetchOptions, Source, fetch};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// The smallest valid component preamble plus some bytes: enough for the magic check.
const COMPONENT: &[u8] = b"\0asm\x0d\x00\x01\x00component body";

/// What the stand-in answers.
#[derive(Clone)]
enum Reply {
    /// A status with a short body.
    Status(u16),
    /// 200 with `body`; `Content-Length: declared` when given, else the body runs until the connection closes.
    Body {
        declared: Option<usize>,
        body: Vec<u8>,
    },
    /// Reads the request and never answers.
    Hang,
}

/// A one-script HTTP server on 127.0.0.1 that counts requests. It serves at most 8 connections, so a client
/// retrying in a loop cannot keep a test alive.
struct StandIn {
    url: String,
    requests: Arc<AtomicUsize>,
}

async fn stand_in(reply: Reply) -> StandIn {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/echo.wasm", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    tokio::spawn(async move {
        for _ in 0..8 {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let reply = reply.clone();
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                // Write errors are expected: the client hangs up once it has seen enough.
                let _ = match reply {
                    Reply::Status(status) => {
                        let response = format!(
                            "HTTP/1.1 {status} Scripted\r\nContent-Length: 5\r\nConnection: close\r\n\r\noops!"
                        );
                        socket.write_all(response.as_bytes()).await
                    }
                    Reply::Body { declared, body } => {
                        let length = declared
                            .map_or_else(String::new, |n| format!("Content-Length: {n}\r\n"));
                        let head = format!("HTTP/1.1 200 OK\r\n{length}Connection: close\r\n\r\n");
                        match socket.write_all(head.as_bytes()).await {
                            Ok(()) => socket.write_all(&body).await,
                            Err(e) => Err(e),
                        }
                    }
                    Reply::Hang => {
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        Ok(())
                    }
                };
                let _ = socket.shutdown().await;
            });
        }
    });
    StandIn { url, requests }
}

impl StandIn {
    fn source(&self) -> Source {
        Source::parse(&self.url).unwrap()
    }

    /// The stand-in as an OCI registry: every request gets the scripted reply.
    fn oci_source(&self) -> Source {
        let host = self
            .url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap();
        Source::parse(&format!("oci://{host}/plugins/echo:1.0.0")).unwrap()
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

fn quick() -> FetchOptions {
    FetchOptions {
        timeout: Duration::from_secs(10),
        ..FetchOptions::default()
    }
}

async fn fetch_error(reply: Reply, options: &FetchOptions) -> (FetchError, usize) {
    let server = stand_in(reply).await;
    let err = fetch(&server.source(), options).await.unwrap_err();
    (err, server.requests())
}

#[tokio::test]
async fn a_component_over_http_is_fetched_and_digested() {
    let server = stand_in(Reply::Body {
        declared: Some(COMPONENT.len()),
        body: COMPONENT.to_vec(),
    })
    .await;
    let fetched = fetch(&server.source(), &quick()).await.unwrap();
    assert_eq!(fetched.bytes, COMPONENT);
    assert_eq!(
        fetched.digest,
        drydock_package::digest::sha256_hex(COMPONENT)
    );
    assert_eq!(fetched.origin, server.url);
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn status_errors_are_named_by_what_they_mean() {
    let (err, requests) = fetch_error(Reply::Status(500), &quick()).await;
    assert!(
        matches!(err, FetchError::ServerFailed { status: 500, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("HTTP 500"), "{err}");
    assert_eq!(
        requests, 1,
        "a failed download is not retried behind the caller's back"
    );

    let (err, _) = fetch_error(Reply::Status(404), &quick()).await;
    assert!(matches!(err, FetchError::NotFound { .. }), "{err:?}");

    let password = "hunter2-http-secret";
    let with_credentials = FetchOptions {
        credentials: Some(Credentials::new("me", password)),
        ..quick()
    };
    let (err, _) = fetch_error(Reply::Status(401), &with_credentials).await;
    assert!(
        matches!(err, FetchError::AuthRefused { status: 401, .. }),
        "{err:?}"
    );
    for text in [
        err.to_string(),
        format!("{err:?}"),
        format!("{with_credentials:?}"),
    ] {
        assert!(!text.contains(password), "the password leaked: {text}");
    }
}

#[tokio::test]
async fn a_hanging_server_times_out_and_says_after_how_long() {
    let options = FetchOptions {
        timeout: Duration::from_millis(300),
        ..FetchOptions::default()
    };
    let (err, requests) = fetch_error(Reply::Hang, &options).await;
    assert!(matches!(err, FetchError::TimedOut { .. }), "{err:?}");
    assert!(err.to_string().contains("300ms"), "{err}");
    assert_eq!(requests, 1);
}

#[tokio::test]
async fn a_declared_size_over_the_limit_is_refused_before_reading() {
    let options = FetchOptions {
        max_bytes: 1024,
        ..quick()
    };
    let (err, _) = fetch_error(
        Reply::Body {
            declared: Some(10_000_000),
            body: COMPONENT.to_vec(),
        },
        &options,
    )
    .await;
    assert!(
        matches!(err, FetchError::TooLarge { limit: 1024, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("declares 10000000 bytes"), "{err}");
}

#[tokio::test]
async fn an_undeclared_oversize_body_stops_at_the_limit() {
    let options = FetchOptions {
        max_bytes: 1024,
        ..quick()
    };
    let mut body = COMPONENT.to_vec();
    body.resize(4 * 1024 * 1024, b'x');
    let (err, _) = fetch_error(
        Reply::Body {
            declared: None,
            body,
        },
        &options,
    )
    .await;
    assert!(matches!(err, FetchError::TooLarge { .. }), "{err:?}");
    assert!(err.to_string().contains("stopped at the limit"), "{err}");
}

#[tokio::test]
async fn a_cut_connection_is_a_truncated_download() {
    let (err, _) = fetch_error(
        Reply::Body {
            declared: Some(1000),
            body: COMPONENT.to_vec(),
        },
        &quick(),
    )
    .await;
    assert!(matches!(err, FetchError::Truncated { .. }), "{err:?}");
    assert!(err.to_string().contains("of 1000 announced"), "{err}");
}

#[tokio::test]
async fn bytes_that_are_not_a_component_are_refused_with_what_they_are() {
    let html = b"<html>502 Bad Gateway</html>".to_vec();
    let (err, _) = fetch_error(
        Reply::Body {
            declared: Some(html.len()),
            body: html,
        },
        &quick(),
    )
    .await;
    assert!(
        matches!(
            err,
            FetchError::NotAComponent {
                problem: NotAComponent::NotWasm { .. },
                ..
            }
        ),
        "{err:?}"
    );

    let core = b"\0asm\x01\x00\x00\x00".to_vec();
    let (err, _) = fetch_error(
        Reply::Body {
            declared: Some(core.len()),
            body: core,
        },
        &quick(),
    )
    .await;
    assert!(
        err.to_string()
            .contains("a core WebAssembly module, not a component"),
        "{err}"
    );
}

#[tokio::test]
async fn files_are_fetched_within_the_same_limits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("echo.wasm");
    std::fs::write(&path, COMPONENT).unwrap();
    let source = Source::parse(path.to_str().unwrap()).unwrap();
    assert_eq!(fetch(&source, &quick()).await.unwrap().bytes, COMPONENT);

    let tiny = FetchOptions {
        max_bytes: 4,
        ..quick()
    };
    let err = fetch(&source, &tiny).await.unwrap_err();
    assert!(matches!(err, FetchError::TooLarge { .. }), "{err:?}");

    let missing = Source::parse(dir.path().join("nope.wasm").to_str().unwrap()).unwrap();
    let err = fetch(&missing, &quick()).await.unwrap_err();
    assert!(matches!(err, FetchError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn a_registry_answering_500_or_hanging_is_reported_as_such() {
    let server = stand_in(Reply::Status(500)).await;
    let err = fetch(&server.oci_source(), &quick()).await.unwrap_err();
    assert!(
        matches!(err, FetchError::ServerFailed { status: 500, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("oci://127.0.0.1"), "{err}");

    let server = stand_in(Reply::Hang).await;
    let options = FetchOptions {
        timeout: Duration::from_millis(300),
        ..FetchOptions::default()
    };
    let err = fetch(&server.oci_source(), &options).await.unwrap_err();
    assert!(matches!(err, FetchError::TimedOut { .. }), "{err:?}");
}
