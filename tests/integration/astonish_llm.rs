//! Astonish wire compatibility, the language model: the studio's settings page asking a provider's models
//! without a token (never a 401, the studio's sign-in loop), and the per-run `provider` and `model` of
//! `POST /api/chat`, checked against the LLM settings and the caller, reaching the stand-in model server.

use std::net::SocketAddr;

use drydock_tests::client::send;
use drydock_tests::llm_peer::LlmPeer;
use serde_json::{Value, json};

use crate::astonish::{OPERATOR, start, studio};

const KEY: &str = "sk-astonish-llm-DO-NOT-LEAK-0123";

/// Two providers, both the stand-in: `standin` the default (its model `stand-in-small`), and `spare`.
async fn configure(addr: SocketAddr, peer: &LlmPeer) {
    let settings = json!({"llm": {
        "providers": [
            {"id": "standin", "baseUrl": peer.base_url(), "model": "stand-in-small", "apiKey": KEY},
            {"id": "spare", "baseUrl": peer.base_url(), "model": "spare-model"},
        ],
        "defaultProvider": "standin",
    }});
    let put = send(
        addr,
        "PUT",
        "/api/settings",
        Some(OPERATOR),
        Some(&settings.to_string()),
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.body);
}

async fn models(addr: SocketAddr, provider: &str, token: Option<&str>) -> (u16, Value) {
    let answer = studio(
        addr,
        "GET",
        &format!("/api/providers/{provider}/models"),
        token,
        None,
    )
    .await;
    assert!(!answer.body.contains(KEY), "{}", answer.body);
    (answer.status, answer.json())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_studio_asks_a_providers_models_without_a_token_and_gets_what_it_may_choose() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let addr = server.addr;
    let peer = LlmPeer::start().await;

    // Nothing configured: an empty list, not a 401 or 404.
    assert_eq!(
        models(addr, "standin", None).await,
        (200, json!({ "provider": "standin", "models": [] }))
    );
    // A native caller without a token still gets the native 401.
    let native = send(addr, "GET", "/api/providers/standin/models", None, None).await;
    assert_eq!(native.status, 401, "{}", native.body);

    configure(addr, &peer).await;
    // Anonymous: the default provider's model in use, nothing of the others.
    assert_eq!(
        models(addr, "standin", None).await,
        (
            200,
            json!({ "provider": "standin", "models": ["stand-in-small"] })
        )
    );
    assert_eq!(
        models(addr, "spare", None).await,
        (200, json!({ "provider": "spare", "models": [] }))
    );
    // An operator: what the provider itself serves.
    assert_eq!(
        models(addr, "standin", Some(OPERATOR)).await,
        (
            200,
            json!({ "provider": "standin", "models": ["stand-in-small", "stand-in-large"] })
        )
    );
    // A provider that is not configured: still 200 for the studio, saying why.
    let (status, unknown) = models(addr, "nope", Some(OPERATOR)).await;
    assert_eq!(
        (status, unknown["models"].clone()),
        (200, json!([])),
        "{unknown}"
    );
    assert!(
        unknown["warning"].as_str().unwrap().contains("nope"),
        "{unknown}"
    );
    // Natively, unchanged: the provider's list, and a 404 for an unknown provider.
    let native = send(
        addr,
        "GET",
        "/api/providers/standin/models",
        Some(OPERATOR),
        None,
    )
    .await;
    assert_eq!(
        native.json(),
        json!({ "provider": "standin", "models": ["stand-in-small", "stand-in-large"] })
    );
    assert_eq!(
        send(
            addr,
            "GET",
            "/api/providers/nope/models",
            Some(OPERATOR),
            None
        )
        .await
        .status,
        404
    );
}
