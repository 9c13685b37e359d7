//! The chat pages: without a language model the page says so and how to configure one; with a scripted
//! model (the stand-in of `llm_peer.rs`) a message makes a task shown beside the messages, approved from
//! the page, refused for a stale version, invisible to another user.

use drydock_core::Role;
use drydock_tests::llm_peer::{LlmPeer, Reply};
use drydock_tests::plugins::{LLM_PLANNER, TEMPLATE_PLANNER, WORKSPACE};
use serde_json::json;

use super::{OPERATOR, operator, person, post_from};
use crate::console_auth::signed_in;
use crate::server::user_token;
use crate::support::{TestServer, start_server};

/// The chat server of `chat_llm.rs`: the planners and the workspace plugin, the llm planner granted the
/// model.
async fn start_chat(workspace: &std::path::Path, data: &std::path::Path) -> TestServer {
    let policy = format!(
        "[plugins.workspace]\nfs = [{{ path = {:?}, access = \"rw\" }}]\n\n[plugins.llm_planner]\nllm = true\n",
        workspace.display().to_string()
    );
    let server = start_server(
        &policy,
        &[TEMPLATE_PLANNER, LLM_PLANNER, WORKSPACE],
        data,
        OPERATOR,
    )
    .await;
    user_token(&server, "olga", Role::Operator).await;
    user_token(&server, "bob", Role::User).await;
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chat_says_when_no_language_model_is_configured_and_how_to_configure_one() {
    let (ws, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server = start_chat(ws.path(), data.path()).await;
    let mut olga = signed_in(&server, "olga", "correct horse").await;
    let page = olga.get_page(server.addr, "/chat").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("No language model is configured."),
        "{}",
        page.body
    );
    assert!(page.body.contains("PUT /api/settings"), "{}", page.body);
    let mut bob = signed_in(&server, "bob", "correct horse").await;
    let page = bob.get_page(server.addr, "/chat").await;
    assert!(
        page.body.contains("ask an operator to configure one"),
        "{}",
        page.body
    );
    // An empty message is refused beside the form.
    let answer = post_from(&mut bob, &server, "/chat", "/chat", &[("message", "   ")]).await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(
        answer.body.contains("message must say something"),
        "{}",
        answer.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_message_shows_the_task_beside_the_messages_and_approving_it_from_the_page_runs_it()
{
    let (ws, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server = start_chat(ws.path(), data.path()).await;
    let peer = LlmPeer::start().await;
    let settings = json!({"llm": {
        "providers": [{"id": "standin", "baseUrl": peer.base_url(), "model": "stand-in-small", "timeoutMs": 5000}],
        "defaultProvider": "standin",
    }});
    server
        .core
        .put_settings(&operator(&server).await, settings)
        .await
        .unwrap();
    let plan = json!({"nodes": [
        {"nodeId": "survey", "title": "Survey the workspace", "dependsOn": [], "suggestedBranch": "feature/deploy", "tags": ["analysis"],
         "steps": [{"tool": "workspace.list_files", "args": {"path": ".", "recursive": true}}]},
        {"nodeId": "write-runbook", "title": "Write the deployment runbook", "dependsOn": ["survey"], "suggestedBranch": "feature/deploy", "tags": ["docs"],
         "steps": [{"tool": "workspace.write_file", "args": {"path": "RUNBOOK.md", "content": "# Deploy\n"}}]}
    ]});
    peer.script([
        Reply::content(r#"{"intent": "new_request"}"#),
        Reply::content(format!("Here is the plan:\n```json\n{plan}\n```")),
    ]);
    let mut olga = signed_in(&server, "olga", "correct horse").await;
    let answer = post_from(
        &mut olga,
        &server,
        "/chat",
        "/chat",
        &[("message", "Deploy my web app with a load balancer.")],
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let path = answer.header("location").unwrap().to_owned();
    let conversation = path.trim_start_matches("/chat/").to_owned();

    // The messages, and beside them (.columns) the task: its plan's steps and the approve / modify forms.
    let page = olga.get_page(server.addr, &path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    for needle in [
        "class=\"columns\"",
        "Deploy my web app with a load balancer.",
        "<aside id=\"chat-task\" data-live-region",
        "Survey the workspace",
        "Write the deployment runbook",
        "workspace.write_file",
        "pending approval",
        "Approve version 1",
        "Ask for a change",
        "stand-in-small",
        &format!("data-live-events=\"/api/sessions/{conversation}/events?after="),
    ] {
        assert!(
            page.body.contains(needle),
            "{needle} missing: {}",
            page.body
        );
    }
    assert!(
        !page.body.contains("No language model is configured"),
        "{}",
        page.body
    );

    // Approving a version the page no longer shows is refused beside the task.
    let answer = post_from(
        &mut olga,
        &server,
        &path,
        &format!("{path}/approve"),
        &[("version", "7")],
    )
    .await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert!(answer.body.contains("not done:"), "{}", answer.body);
    // Approve the version shown: the run starts (a dry run) and the task finishes.
    peer.script([Reply::content(r#"{"intent": "approve"}"#)]);
    let answer = post_from(
        &mut olga,
        &server,
        &path,
        &format!("{path}/approve"),
        &[("version", "1")],
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let actor = person(&server, "olga").await;
    let task_id = server
        .core
        .messages(&actor, &conversation, 50)
        .await
        .unwrap()
        .iter()
        .rev()
        .find_map(|m| m.task_id.clone())
        .unwrap();
    let mut status = String::new();
    for _ in 0..200 {
        status = server
            .core
            .task(&actor, &task_id)
            .await
            .unwrap()
            .plan
            .status
            .as_str()
            .to_owned();
        if ["completed", "failed", "cancelled"].contains(&status.as_str()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, "completed");
    let page = olga.get_page(server.addr, &path).await;
    assert!(
        page.body.contains("badge s-completed\">completed"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(APPROVED),
        "the approval is in the messages: {}",
        page.body
    );
    assert!(!page.body.contains("Approve version"), "{}", page.body);

    // Another user cannot read or post into it.
    let mut bob = signed_in(&server, "bob", "correct horse").await;
    assert_eq!(bob.get_page(server.addr, &path).await.status, 404);
    let answer = post_from(
        &mut bob,
        &server,
        "/chat",
        &format!("{path}/approve"),
        &[("version", "1")],
    )
    .await;
    assert_eq!(answer.status, 404, "{}", answer.body);
}

const APPROVED: &str = "I approve the plan. Please proceed with the execution.";
