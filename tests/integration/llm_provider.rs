//! The OpenAI-compatible provider (`drydock-llm`) against the scripted stand-in server: what it sends, what
//! it makes of good, garbled, slow, refused and oversized answers, and that the API key stays out of every
//! error. The last tests run the `llm_planner` plugin in the runtime with the provider plugged in.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use drydock_llm::{ChatRequest, LlmError, Message, Provider, ProviderConfig, TimeoutPhase};
use drydock_policy::{Capability, Outcome};
use drydock_runtime::{LlmProvider, Runtime};
use drydock_tests::llm_peer::{LlmPeer, Reply};
use drydock_tests::plugins::{ECHO, LLM_PLANNER, WORKSPACE};
use serde_json::{Value, json};

use crate::support::{HostOptions, host};

const KEY: &str = "sk-test-4f9a1c7e2b8d6053aa11";

fn provider(peer: &LlmPeer) -> Result<Provider> {
    Ok(Provider::new(
        ProviderConfig::new("stand-in", peer.base_url(), "stand-in-small").with_api_key(KEY),
    )?)
}

fn hello() -> ChatRequest {
    ChatRequest::new(vec![
        Message::system("Be brief."),
        Message::user("Say hello."),
    ])
}

/// Fails when the key shows in the error's message or its `Debug` form.
fn assert_no_key(err: &LlmError) -> Result<()> {
    let shown = format!("{err} {err:?}");
    ensure!(!shown.contains(KEY), "the key leaked: {shown}");
    Ok(())
}

#[tokio::test]
async fn a_completion_comes_back_and_the_bearer_key_was_sent() -> Result<()> {
    let peer = LlmPeer::start().await;
    peer.script([Reply::content("Hello there.")]);
    let answer = provider(&peer)?.chat(&hello()).await?;
    assert_eq!(answer.content, "Hello there.");
    assert_eq!(answer.model, "stand-in-small");
    assert_eq!(answer.usage.map(|u| u.total_tokens), Some(2));

    let requests = peer.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/v1/chat/completions")
    );
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(request.body["model"], "stand-in-small");
    assert_eq!(request.body["stream"], false);
    assert_eq!(request.message_texts(), ["Be brief.", "Say hello."]);
    Ok(())
}

#[tokio::test]
async fn a_provider_without_a_key_sends_no_authorization() -> Result<()> {
    let peer = LlmPeer::start().await;
    // A trailing slash and no `/v1` are both fine.
    let base = format!("http://{}/", peer.addr);
    let provider = Provider::new(ProviderConfig::new("local", base, "llama3.2"))?;
    provider.chat(&hello()).await?;
    let request = &peer.requests()[0];
    assert_eq!(request.path, "/v1/chat/completions");
    assert_eq!(request.header("authorization"), None);
    Ok(())
}

#[tokio::test]
async fn models_are_listed() -> Result<()> {
    let peer = LlmPeer::start().await;
    peer.set_models(&["llama3.2", "qwen2.5-coder"]);
    let models = provider(&peer)?.models().await?;
    assert_eq!(models, ["llama3.2", "qwen2.5-coder"]);
    let request = &peer.requests()[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("GET", "/v1/models")
    );
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    Ok(())
}

#[tokio::test]
async fn streamed_deltas_arrive_in_order() -> Result<()> {
    let peer = LlmPeer::start().await;
    let text = "One small step for a plugin, one giant leap for the sandbox.";
    peer.script([Reply::content(text)]);
    let mut stream = provider(&peer)?.chat_stream(&hello()).await?;
    let mut deltas = Vec::new();
    while let Some(delta) = stream.next().await {
        deltas.push(delta?);
    }
    assert_eq!(deltas, drydock_tests::llm_peer::deltas(text));
    assert!(deltas.len() > 5, "{deltas:?}");
    assert_eq!(deltas.concat(), text);
    assert_eq!(peer.requests()[0].body["stream"], true);
    assert_eq!(
        peer.requests()[0].header("accept"),
        Some("text/event-stream")
    );
    Ok(())
}

#[tokio::test]
async fn a_malformed_body_is_a_malformed_error() -> Result<()> {
    let peer = LlmPeer::start().await;
    peer.script([
        Reply::Malformed("<html>Gateway says hi</html>".into()),
        Reply::Malformed(r#"{"id": "x", "object": "chat.completion"}"#.into()),
        Reply::Malformed(
            "data: {\"choices\": [{\"delta\": {\"content\": \"Hi\"}}]}\n\ndata: {oops\n\n".into(),
        ),
    ]);
    let provider = provider(&peer)?;
    let not_json = provider.chat(&hello()).await.unwrap_err();
    let LlmError::Malformed {
        problem, excerpt, ..
    } = &not_json
    else {
        bail!("expected Malformed, got {not_json:?}");
    };
    assert!(problem.contains("not JSON"), "{problem}");
    assert_eq!(excerpt, "<html>Gateway says hi</html>");

    let no_choices = provider.chat(&hello()).await.unwrap_err();
    assert!(
        no_choices.to_string().contains("no `choices` array"),
        "{no_choices}"
    );

    let mut stream = provider.chat_stream(&hello()).await?;
    assert_eq!(stream.next().await.context("a first delta")??, "Hi");
    let broken = stream.next().await.context("an error")?.unwrap_err();
    assert!(
        matches!(&broken, LlmError::Malformed { problem, .. } if problem.contains("stream event is not JSON")),
        "{broken:?}"
    );
    assert!(
        stream.next().await.is_none(),
        "the stream ends after its error"
    );
    Ok(())
}

#[tokio::test]
async fn a_slow_reply_times_out_naming_the_bound() -> Result<()> {
    let peer = LlmPeer::start().await;
    peer.script([
        Reply::Slow(Duration::from_secs(3), "too late".into()),
        Reply::Slow(Duration::from_secs(3), "too late".into()),
    ]);
    let config = ProviderConfig::new("stand-in", peer.base_url(), "m")
        .with_timeout(Duration::from_millis(200));
    let provider = Provider::new(config)?;
    let err = provider.chat(&hello()).await.unwrap_err();
    assert!(
        matches!(err, LlmError::Timeout { phase: TimeoutPhase::Answer, after, .. } if after == Duration::from_millis(200)),
        "{err:?}"
    );
    assert!(err.to_string().contains("within 200ms"), "{err}");
    let streamed = provider.chat_stream(&hello()).await.unwrap_err();
    assert_eq!(streamed.code(), "llm_timeout");
    Ok(())
}

#[tokio::test]
async fn a_401_gives_the_providers_message_without_the_key() -> Result<()> {
    let peer = LlmPeer::start().await;
    // A provider that echoes the key back in full (OpenAI itself masks it; a proxy might not).
    let body = json!({"error": {"message": format!("Incorrect API key provided: {KEY}."), "type": "invalid_request_error"}});
    peer.script([
        Reply::Status(401, body.to_string()),
        Reply::Status(401, body.to_string()),
    ]);
    let provider = provider(&peer)?;
    for err in [
        provider.chat(&hello()).await.unwrap_err(),
        provider.chat_stream(&hello()).await.unwrap_err(),
    ] {
        assert_no_key(&err)?;
        let LlmError::Status {
            status, message, ..
        } = &err
        else {
            bail!("expected Status, got {err:?}");
        };
        assert_eq!(*status, 401);
        assert_eq!(message, "Incorrect API key provided: sk-…aa11.");
        assert!(err.to_string().contains("check the API key"), "{err}");
    }
    let debug = format!("{provider:?}");
    ensure!(!debug.contains(KEY), "{debug}");
    Ok(())
}

#[tokio::test]
async fn an_unreachable_port_is_unreachable() -> Result<()> {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.local_addr()?
    };
    let base = format!("http://{closed}/v1");
    let provider = Provider::new(ProviderConfig::new("gone", &base, "m").with_api_key(KEY))?;
    let err = provider.chat(&hello()).await.unwrap_err();
    assert_no_key(&err)?;
    let LlmError::Unreachable { url, .. } = &err else {
        bail!("expected Unreachable, got {err:?}");
    };
    assert_eq!(url, &format!("{base}/chat/completions"));
    assert_eq!(
        provider.models().await.unwrap_err().code(),
        "llm_unreachable"
    );
    Ok(())
}

#[tokio::test]
async fn https_to_a_plain_http_server_fails_the_tls_handshake() -> Result<()> {
    let peer = LlmPeer::start().await;
    let base = format!("https://{}/v1", peer.addr);
    let provider = Provider::new(ProviderConfig::new("tls", base, "m").with_api_key(KEY))?;
    let err = provider.chat(&hello()).await.unwrap_err();
    assert_no_key(&err)?;
    assert!(
        matches!(&err, LlmError::Unreachable { reason, .. } if reason.starts_with("TLS handshake failed")),
        "{err:?}"
    );
    Ok(())
}

#[tokio::test]
async fn an_oversized_answer_is_refused() -> Result<()> {
    let peer = LlmPeer::start().await;
    let huge = "word ".repeat(2_000);
    peer.set_default(Reply::content(huge));
    let mut config = ProviderConfig::new("stand-in", peer.base_url(), "m");
    config.max_response_bytes = 4_096;
    let provider = Provider::new(config)?;
    let err = provider.chat(&hello()).await.unwrap_err();
    assert_eq!(
        err,
        LlmError::TooLarge {
            url: format!("{}/chat/completions", peer.base_url()),
            limit: 4_096
        }
    );
    let streamed = provider.chat_stream(&hello()).await?.collect_text().await;
    assert_eq!(streamed.unwrap_err().code(), "llm_too_large");
    Ok(())
}

#[tokio::test]
async fn an_empty_completion_is_an_error() -> Result<()> {
    let peer = LlmPeer::start().await;
    peer.script([Reply::content("   "), Reply::content("")]);
    let provider = provider(&peer)?;
    assert_eq!(
        provider.chat(&hello()).await.unwrap_err().code(),
        "llm_empty_completion"
    );
    let streamed = provider.chat_stream(&hello()).await?.collect_text().await;
    assert_eq!(streamed.unwrap_err().code(), "llm_empty_completion");
    Ok(())
}

/// The host's adapter from the runtime's `LlmProvider` seam to a `drydock_llm::Provider`.
struct ProviderLlm(Provider);

impl LlmProvider for ProviderLlm {
    fn complete(
        &self,
        request: Value,
    ) -> Pin<Box<dyn Future<Output = Result<String, String>> + Send + '_>> {
        Box::pin(async move {
            let request: ChatRequest = serde_json::from_value(request)
                .map_err(|err| format!("the completion request is not valid: {err}"))?;
            let answer = self.0.chat(&request).await.map_err(|err| err.to_string())?;
            Ok(answer.content)
        })
    }
}

/// A runtime with the llm planner (granted the llm), the workspace and echo tools, and the provider.
async fn planner_host(peer: &LlmPeer) -> Result<Runtime> {
    let runtime = host(
        "[plugins.llm_planner]\nllm = true\n",
        &[LLM_PLANNER, WORKSPACE, ECHO],
        HostOptions::default(),
    )
    .await;
    runtime.set_llm(Some(Arc::new(ProviderLlm(provider(peer)?))));
    Ok(runtime)
}

fn fenced_plan(search_tool: &str) -> String {
    let plan = json!({"nodes": [
        {"nodeId": "find", "title": "Find the health route", "dependsOn": [], "suggestedBranch": "feature/health",
         "tags": ["analysis"], "steps": [{"tool": search_tool, "args": {"pattern": "healthz"}, "description": "Search."}]},
        {"nodeId": "notes", "title": "Write the notes", "dependsOn": ["find"], "suggestedBranch": "feature/health",
         "tags": ["implementation"], "steps": [{"tool": "workspace.write_file", "args": {"path": "notes/health.md", "content": "- JSON body"}}]}
    ]});
    format!("Here is the plan.\n```json\n{plan:#}\n```")
}

#[tokio::test]
async fn the_llm_planner_retries_once_with_the_problem_and_returns_a_checked_plan() -> Result<()> {
    let peer = LlmPeer::start().await;
    peer.script([
        Reply::Content(fenced_plan("shell.exec")),
        Reply::Content(fenced_plan("workspace.search")),
    ]);
    let runtime = planner_host(&peer).await?;
    let request =
        json!({"request": "Add a health check", "requirements": ["answer with a JSON body"]});
    let report = runtime
        .generate_plan("llm_planner", &request, "corr-llm")
        .await;
    let plan = report
        .outcome
        .as_ref()
        .map_err(|err| anyhow::anyhow!("{err}"))?;
    assert_eq!(plan["nodes"][0]["steps"][0]["tool"], "workspace.search");
    assert_eq!(plan["nodes"][1]["dependsOn"], json!(["find"]));

    let asked = peer.requests();
    assert_eq!(asked.len(), 2, "one ask and one retry");
    let first = asked[0].message_texts().join("\n");
    for expected in [
        "`workspace.search`",
        "`echo.echo`",
        "Add a health check",
        "1. answer with a JSON body",
    ] {
        assert!(
            first.contains(expected),
            "{expected} missing from the prompt:\n{first}"
        );
    }
    let retry = asked[1].message_texts();
    assert_eq!(retry.len(), 4);
    assert!(
        retry[3].contains("there is no tool `shell.exec`"),
        "{}",
        retry[3]
    );
    let llm_reads = report
        .record
        .effects
        .iter()
        .filter(|e| e.capability == Capability::Llm && e.outcome == Outcome::Read)
        .count();
    assert_eq!(llm_reads, 2);
    Ok(())
}

#[tokio::test]
async fn the_llm_planner_never_returns_an_invalid_plan() -> Result<()> {
    let peer = LlmPeer::start().await;
    peer.set_default(Reply::content("I would plan this with `rm -rf /`."));
    let runtime = planner_host(&peer).await?;
    let report = runtime
        .generate_plan(
            "llm_planner",
            &json!({"id": "ABC-9", "title": "Tidy up"}),
            "corr",
        )
        .await;
    let message = report.outcome.unwrap_err().to_string();
    assert!(message.contains("no valid plan in 2 tries"), "{message}");
    assert!(message.contains("no JSON object"), "{message}");
    assert_eq!(peer.count(), 2);
    Ok(())
}

#[tokio::test]
async fn the_llm_planner_passes_on_a_provider_error_without_retrying() -> Result<()> {
    let peer = LlmPeer::start().await;
    peer.set_default(Reply::Status(
        503,
        json!({"error": {"message": "the model is loading"}}).to_string(),
    ));
    let runtime = planner_host(&peer).await?;
    let report = runtime
        .generate_plan("llm_planner", &json!({"request": "Do it"}), "corr")
        .await;
    let message = report.outcome.unwrap_err().to_string();
    assert!(message.contains("503: the model is loading"), "{message}");
    assert!(!message.contains(KEY), "{message}");
    assert_eq!(peer.count(), 1);
    Ok(())
}
