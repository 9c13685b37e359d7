//! Astonish wire compatibility, the language model: the studio's settings page asking a provider's models
//! without a token (never a 401, the studio's sign-in loop), and the per-run `provider` and `model` of
//! `POST /api/chat`, checked against the LLM settings and the caller, reaching the stand-in model server.

use std::net::SocketAddr;

use drydock_core::Role;
use drydock_tests::client::send;
use drydock_tests::llm_peer::{LlmPeer, Reply};
use serde_json::{Value, json};

use crate::astonish::{OPERATOR, chat_body, ended, nodes, start, studio, texts};
use crate::server::user_token;

const KEY: &str = "sk-astonish-llm-DO-NOT-LEAK-0123";

/// Two providers, both the stand-in: `standin` the default (its model `stand-in-small`), and `spare`.
pub(crate) async fn configure(addr: SocketAddr, peer: &LlmPeer) {
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

/// An input, then an llm node (the stand-in answers `{"answer": ...}`), public.
const ASK_THEN_THINK: &str = "name: ask_then_think\ndescription: Asks, then asks the model.\npublic: true\nnodes:\n  \
    - name: ask\n    type: input\n    prompt: What should the model think about?\n    output_model:\n      topic: str\n  \
    - name: think\n    type: llm\n    prompt: \"Think about {topic}\"\n    output_model:\n      answer: str\n    \
    user_message:\n      - answer\nflow:\n  - from: START\n    to: ask\n  - from: ask\n    to: think\n  \
    - from: think\n    to: END\n";

async fn add_flow(addr: SocketAddr, name: &str, yaml: &str) {
    let saved = studio(
        addr,
        "PUT",
        &format!("/api/agents/{name}"),
        Some(OPERATOR),
        Some(json!({ "yaml": yaml })),
    )
    .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
}

/// A run of `ask_then_think` in `session`: its start with `provider`/`model`, then the answer `topic`.
async fn run(
    addr: SocketAddr,
    token: Option<&str>,
    session: &str,
    provider: &str,
    model: &str,
) -> Vec<(&'static str, Value)> {
    let body = |message: &str, provider: &str, model: &str| {
        json!({ "agentId": "ask_then_think", "sessionId": session, "message": message,
                "provider": provider, "model": model })
    };
    let first = chat_body(addr, token, body("", provider, model)).await;
    if ended(&first) {
        return first;
    }
    assert_eq!(nodes(&first), ["ask"], "{first:?}");
    // The continuation names no model: the run keeps the one it started with.
    chat_body(addr, token, body("the weather", "", "")).await
}

fn refusal(messages: &[(&str, Value)]) -> String {
    let info = messages
        .iter()
        .find(|(kind, _)| *kind == "error_info")
        .unwrap_or_else(|| panic!("an error_info: {messages:?}"));
    assert!(ended(messages), "the studio stops thinking: {messages:?}");
    info.1["reason"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_uses_the_chosen_provider_and_model_and_refuses_what_the_caller_may_not_choose() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let addr = server.addr;
    let peer = LlmPeer::start().await;
    peer.set_default(Reply::content(r#"{"answer": "sunny"}"#));
    configure(addr, &peer).await;
    add_flow(addr, "ask_then_think", ASK_THEN_THINK).await;
    let alice = user_token(&server, "alice", Role::User).await;
    let model_asked = |at: usize| peer.requests()[at].body["model"].clone();

    // Refused before anything reaches the model, each naming what was asked for.
    let unknown = refusal(&run(addr, Some(OPERATOR), "s-unknown", "gemini", "x").await);
    assert!(
        unknown.contains("`gemini`") && unknown.contains("standin, spare"),
        "{unknown}"
    );
    let anonymous = refusal(&run(addr, None, "s-anon", "spare", "").await);
    assert!(
        anonymous.contains("anonymous") && anonymous.contains("`standin`"),
        "{anonymous}"
    );
    let anonymous_model = refusal(&run(addr, None, "s-anon2", "standin", "stand-in-large").await);
    assert!(
        anonymous_model.contains("stand-in-large"),
        "{anonymous_model}"
    );
    let user_model = refusal(&run(addr, Some(&alice), "s-alice", "spare", "spare-big").await);
    assert!(
        user_model.contains("`spare-big`") && user_model.contains("spare-model"),
        "{user_model}"
    );
    assert_eq!(peer.count(), 0);

    // The default, named as the studio names it, works for anyone.
    let ran = run(addr, None, "s-default", "standin", "stand-in-small").await;
    assert!(ended(&ran) && texts(&ran).contains("sunny"), "{ran:?}");
    assert_eq!(model_asked(0), "stand-in-small");
    // A user: another configured provider, with its configured model.
    let ran = run(addr, Some(&alice), "s-alice2", "spare", "spare-model").await;
    assert!(ended(&ran), "{ran:?}");
    assert_eq!(model_asked(1), "spare-model");
    // An operator: any model; the continuation named none and the run kept the choice.
    let ran = run(addr, Some(OPERATOR), "s-op", "spare", "spare-big").await;
    assert!(ended(&ran), "{ran:?}");
    assert_eq!(model_asked(2), "spare-big");
    assert_eq!(peer.count(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_studios_load_and_settings_calls_get_its_shapes_not_404s() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let addr = server.addr;
    let peer = LlmPeer::start().await;
    let get = |path: &'static str, token: Option<&'static str>| async move {
        let answer = studio(addr, "GET", path, token, None).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        assert!(!answer.body.contains(KEY), "{}", answer.body);
        answer.json()
    };
    assert_eq!(
        get("/api/settings/providers/effective", None).await,
        json!({ "providers": {}, "default_provider": "", "default_model": "" })
    );
    assert_eq!(get("/api/studio/sessions", None).await, json!([]));
    assert_eq!(
        get("/api/tools/web-capable", None).await,
        json!({ "webSearch": [], "webExtract": [] })
    );
    assert_eq!(
        get("/api/standard-servers", None).await,
        json!({ "servers": [] })
    );
    // The studio asks this one without its header (a plain fetch): a read, answered all the same.
    let plain = send(addr, "GET", "/api/user-settings/default-model", None, None).await;
    assert_eq!(
        (plain.status, plain.json()),
        (200, json!({ "defaultProvider": "", "defaultModel": "" }))
    );

    configure(addr, &peer).await;
    assert_eq!(
        get("/api/settings/providers/effective", None).await,
        json!({ "providers": { "standin": { "type": "openai_compat", "model": "stand-in-small" } },
                "default_provider": "standin", "default_model": "stand-in-small" })
    );
    let operator = get("/api/settings/providers/effective", Some(OPERATOR)).await;
    assert_eq!(
        operator["providers"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["spare", "standin"]
    );
    assert_eq!(
        get("/api/user-settings/default-model", None).await,
        json!({ "defaultProvider": "standin", "defaultModel": "stand-in-small" })
    );
}

/// The studio's settings page PATCHes the user's default model (a plain fetch, no header). Drydock has one
/// default for everyone: the model in use is accepted as is, another is refused with the reason and what
/// to do instead, and a wrong body is a 400 naming the field; nothing changes the server's default.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_studios_default_model_patch_keeps_the_operators_default_and_says_why() {
    let data = tempfile::tempdir().unwrap();
    let server = start(data.path()).await;
    let addr = server.addr;
    let peer = LlmPeer::start().await;
    configure(addr, &peer).await;
    let patch = |body: String| async move {
        send(
            addr,
            "PATCH",
            "/api/user-settings/default-model",
            None,
            Some(&body),
        )
        .await
    };
    let in_use = json!({ "defaultProvider": "standin", "defaultModel": "stand-in-small" });
    let same = patch(in_use.to_string()).await;
    assert_eq!((same.status, same.json()), (200, in_use.clone()));
    let other =
        patch(json!({ "defaultProvider": "spare", "defaultModel": "big" }).to_string()).await;
    assert_eq!(other.status, 422, "{}", other.body);
    let reason = other.json()["error"].as_str().unwrap().to_owned();
    assert!(
        reason.contains("no per-user default") && reason.contains("`spare` / `big`"),
        "{reason}"
    );
    assert!(!other.body.contains(KEY), "{}", other.body);
    let wrong = patch(json!({ "defaultModel": 7 }).to_string()).await;
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    assert!(wrong.body.contains("defaultModel"), "{}", wrong.body);
    let not_json = patch("{".into()).await;
    assert_eq!(not_json.status, 400, "{}", not_json.body);
    let after = studio(addr, "GET", "/api/user-settings/default-model", None, None).await;
    assert_eq!(after.json(), in_use);
}
