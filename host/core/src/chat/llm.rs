//! The agent with a language model: the model classifies a message's intent and answers questions about a
//! task from the facts the host gives it (the plan, each node's status, effect outcomes, artifacts).
//!
//! The model never acts: what it says a message means is checked against the same stage rules as the
//! built-in recogniser (an approval counts only while a plan waits for one), and plans still come from a
//! planner plugin and are validated before they are stored. Its answers are told to stay within the facts
//! and to say when they do not contain the answer.

use drydock_llm::{ChatRequest, Message, Provider};
use serde_json::Value;

use crate::chat::answer::Results;
use crate::chat::intent::{Intent, TaskStage};
use crate::chat::{ChatProgress, ProgressSink, TaskView};

/// Asks the model what `message` means; answers outside the stage's options are refused.
pub async fn intent(
    model: &Provider,
    message: &str,
    stage: TaskStage,
    task: Option<&TaskView>,
) -> Result<Intent, String> {
    let options: &[(&str, Intent)] = match stage {
        TaskStage::None => &[
            ("new_request", Intent::NewRequest),
            ("question", Intent::Question),
            ("unclear", Intent::Unclear),
        ],
        TaskStage::AwaitingApproval => &[
            ("requirements", Intent::Requirements),
            ("modify", Intent::Modify),
            ("approve", Intent::Approve),
            ("cancel", Intent::Cancel),
            ("status", Intent::Status),
            ("question", Intent::Question),
            ("unclear", Intent::Unclear),
        ],
        TaskStage::Running => &[
            ("cancel", Intent::Cancel),
            ("status", Intent::Status),
            ("question", Intent::Question),
            ("unclear", Intent::Unclear),
        ],
        TaskStage::Finished => &[
            ("new_request", Intent::NewRequest),
            ("status", Intent::Status),
            ("question", Intent::Question),
            ("unclear", Intent::Unclear),
        ],
    };
    let names: Vec<&str> = options.iter().map(|(name, _)| *name).collect();
    let context = task
        .map(|t| {
            format!(
                "The conversation's task: {} (plan status {}).",
                t.task.description, t.plan.status
            )
        })
        .unwrap_or_else(|| "The conversation has no task yet.".into());
    let system = format!(
        "You classify one chat message sent to a planning agent. {context} Reply with JSON only: \
         {{\"intent\": one of {names:?}}}. Use \"requirements\" for more details about the request, \"modify\" \
         for changes to the plan, \"approve\" only for an explicit approval, \"unclear\" when unsure."
    );
    let mut request = ChatRequest::new(vec![Message::system(system), Message::user(message)]);
    request.response_format_json = true;
    request.temperature = Some(0.0);
    let answer = model.chat(&request).await.map_err(|e| e.to_string())?;
    let value = json_in(&answer.content).ok_or_else(|| {
        format!(
            "the model's answer is not JSON: {:?}",
            answer.content.chars().take(80).collect::<String>()
        )
    })?;
    let said = value["intent"].as_str().unwrap_or_default();
    options
        .iter()
        .find(|(name, _)| *name == said)
        .map(|(_, intent)| *intent)
        .ok_or_else(|| format!("the model named intent {said:?}, which is not one of {names:?}"))
}

/// Answers a question about `task` from its facts, streaming the tokens to `progress` as they come.
pub async fn discuss(
    model: &Provider,
    question: &str,
    task: &TaskView,
    results: &Results,
    progress: &ProgressSink,
) -> Result<String, String> {
    let facts = facts(task, results);
    let system = format!(
        "You are Drydock's planning agent. Answer the user's question using only the facts below. If they do \
         not contain the answer, say so plainly and suggest what would. Never claim an effect happened for \
         real when its outcome is `simulated` (a dry run changes nothing outside the sandbox).\n\nFacts:\n{facts}"
    );
    let request = ChatRequest::new(vec![Message::system(system), Message::user(question)]);
    let mut stream = model
        .chat_stream(&request)
        .await
        .map_err(|e| e.to_string())?;
    let mut text = String::new();
    while let Some(delta) = stream.next().await {
        let delta = delta.map_err(|e| e.to_string())?;
        if let Some(sink) = progress {
            let _ = sink.send(ChatProgress::Token(delta.clone())).await;
        }
        text.push_str(&delta);
    }
    if text.trim().is_empty() {
        return Err("the model gave an empty answer".into());
    }
    Ok(text)
}

/// The task as plain facts for the model.
fn facts(task: &TaskView, results: &Results) -> String {
    let mut out = format!(
        "Task {}: {}\nStatus: {} (plan version {})\nRequirements: {:?}\nNodes:\n",
        task.task.id,
        task.task.description,
        task.plan.status,
        task.plan.version,
        task.task.requirements
    );
    for node in task.nodes() {
        let id = node["nodeId"].as_str().unwrap_or_default();
        let status = task.execution_of(id).map_or("not run".to_owned(), |e| {
            format!("{} ({})", e.status, e.mode)
        });
        out.push_str(&format!(
            "- {}: {status}\n",
            node["title"].as_str().unwrap_or(id)
        ));
    }
    out.push_str("Effects:\n");
    for effect in results.effects.iter().take(50) {
        out.push_str(&format!(
            "- {} {}: {}\n",
            effect.actor,
            effect.target.as_deref().unwrap_or_default(),
            effect.detail["outcome"].as_str().unwrap_or("unknown")
        ));
    }
    out.push_str("Artifacts:\n");
    for artifact in &results.artifacts {
        out.push_str(&format!(
            "- {} ({}, {} bytes)\n",
            artifact.name, artifact.media_type, artifact.size
        ));
    }
    out
}

/// The first JSON object in `text` (models wrap JSON in prose or code fences).
fn json_in(text: &str) -> Option<Value> {
    let start = text.find('{')?;
    let end = text.rfind('}')?;
    serde_json::from_str(text.get(start..=end)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_found_inside_fences_and_prose() {
        assert_eq!(
            json_in("Sure:\n```json\n{\"intent\": \"approve\"}\n```").unwrap()["intent"],
            "approve"
        );
        assert!(json_in("no json here").is_none());
    }
}
