//! Astonish wire compatibility across a restart: a studio run paused before a tool call (its Yes/No
//! approval pending) is still paused after the server restarts on the same data directory: the held call
//! is not made, the studio's next request with the same `sessionId` still asks, and its Yes makes the call
//! and goes on with the language model the session chose before the restart.

use std::net::SocketAddr;

use drydock_tests::client::send;
use drydock_tests::llm_peer::{LlmPeer, Reply};
use serde_json::{Value, json};

use crate::astonish::{OPERATOR, chat_body, ended, nodes, options, start, studio, texts};
use crate::astonish_llm::configure;

/// An input, a tool call, then an llm node.
const ASK_ECHO_THINK: &str = "name: ask_echo_think\ndescription: Asks, echoes, asks the model.\nnodes:\n  \
    - name: ask\n    type: input\n    prompt: What should be echoed?\n    output_model:\n      topic: str\n  \
    - name: echo\n    type: tool\n    tools_selection: [echo.echo]\n    args:\n      text: \"{topic}\"\n    \
    output_model:\n      echoed: dict\n  \
    - name: think\n    type: llm\n    prompt: \"Think about {topic}\"\n    output_model:\n      answer: str\n    \
    user_message:\n      - answer\nflow:\n  - from: START\n    to: ask\n  - from: ask\n    to: echo\n  \
    - from: echo\n    to: think\n  - from: think\n    to: END\n";

async fn say(addr: SocketAddr, message: &str) -> Vec<(&'static str, Value)> {
    let body = json!({ "agentId": "ask_echo_think", "sessionId": "session-restart", "message": message,
                       "provider": "spare", "model": "spare-big" });
    chat_body(addr, Some(OPERATOR), body).await
}

/// How many tool calls workflow runs made, by the audit log.
async fn tool_calls(addr: SocketAddr) -> usize {
    let audit = send(addr, "GET", "/api/audit?limit=1000", Some(OPERATOR), None).await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    audit.body.matches("\"workflow.tool\"").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_tool_call_still_waits_for_its_approval_after_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let peer = LlmPeer::start().await;
    peer.set_default(Reply::content(r#"{"answer": "thought it over"}"#));
    {
        let server = start(data.path()).await;
        let addr = server.addr;
        configure(addr, &peer).await;
        let saved = studio(
            addr,
            "PUT",
            "/api/agents/ask_echo_think",
            Some(OPERATOR),
            Some(json!({ "yaml": ASK_ECHO_THINK })),
        )
        .await;
        assert_eq!(saved.status, 200, "{}", saved.body);

        assert_eq!(nodes(&say(addr, "").await), ["ask"]);
        let asked = say(addr, "hello").await;
        assert_eq!(options(&asked), Some(json!(["Yes", "No"])), "{asked:?}");
        assert_eq!(tool_calls(addr).await, 0);
    }

    // The same data directory, a new process: no session in memory, the run stored as waiting.
    let server = start(data.path()).await;
    let addr = server.addr;
    let shown = say(addr, "").await;
    assert_eq!(
        options(&shown),
        Some(json!(["Yes", "No"])),
        "still asks: {shown:?}"
    );
    assert!(!texts(&shown).contains("Dry run"), "{shown:?}");
    assert_eq!(tool_calls(addr).await, 0, "the held call was not made");
    assert_eq!(
        studio(
            addr,
            "POST",
            "/api/session/session-restart/keepalive",
            None,
            None
        )
        .await
        .status,
        404,
        "another caller's session is not found through its run"
    );

    let approved = say(addr, "Yes").await;
    let said = texts(&approved);
    assert!(said.contains("Dry run of `echo.echo`"), "{approved:?}");
    assert!(said.contains("thought it over"), "{approved:?}");
    assert!(ended(&approved), "{approved:?}");
    assert_eq!(tool_calls(addr).await, 1);
    let asked: Vec<Value> = peer
        .requests()
        .iter()
        .map(|r| r.body["model"].clone())
        .collect();
    assert_eq!(
        asked,
        [json!("spare-big")],
        "the session's model survived the restart"
    );
}
