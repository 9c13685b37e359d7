//! The sandbox and the language model as a workflow run's tool and llm nodes see them: tool calls are dry
//! runs in the same sandbox as everything else, each invocation and its effects audited under the run's id;
//! llm nodes ask the language model the run's client chose ([`crate::llm_choice`]) or, without a choice,
//! the one configured as the default.

use async_trait::async_trait;
use drydock_llm::{ChatRequest, Message};
use drydock_policy::{Mode, PlanApproval};
use drydock_runtime::InvokeRequest;
use drydock_workflow::{LlmRequest, ToolRequest, WorkflowHost};
use serde_json::{Map, Value, json};

use crate::actor::Actor;
use crate::llm_choice::LlmChoice;
use crate::service::Core;

/// The sandbox and the language model, as a run's tool and llm nodes see them.
pub(crate) struct CoreHost {
    pub(crate) core: Core,
    pub(crate) actor: Actor,
    pub(crate) run_id: String,
    /// The run's chosen model; `None`: the default.
    pub(crate) llm: Option<LlmChoice>,
}

impl CoreHost {
    /// The tool call, and what it did outside the sandbox (kept on the step's record for clients).
    pub(crate) async fn call_tool_with_effects(
        &self,
        request: &ToolRequest,
    ) -> (Result<Value, String>, Vec<Value>) {
        let invoke = InvokeRequest {
            tool: request.function_name.clone(),
            args: request.arguments.clone(),
            mode: Mode::DryRun,
            correlation_id: self.run_id.clone(),
            plan_approval: PlanApproval::NotAPlan,
            progress: None,
            cancel: None,
            binding: None,
        };
        let report = self.core.shared.runtime.invoke(invoke).await;
        if let Err(err) = self
            .core
            .record_invocation(
                &self.actor,
                "workflow.tool",
                crate::service::Channel::Api,
                None,
                &report,
            )
            .await
        {
            return (
                Err(format!("the tool call could not be audited: {err}")),
                Vec::new(),
            );
        }
        let effects: Vec<Value> = report
            .record
            .effects
            .iter()
            .map(
                |e| json!({ "capability": e.capability, "action": e.action, "outcome": e.outcome }),
            )
            .collect();
        let kept: Vec<Value> = report
            .record
            .effects
            .iter()
            .map(|e| {
                json!({ "capability": e.capability, "action": e.action, "outcome": e.outcome, "reason": e.reason })
            })
            .collect();
        let note = json!({ "type": "effects", "step": request.step, "callId": request.call_id, "effects": effects });
        let id = self.run_id.clone();
        let _ = self
            .core
            .store(move |s| {
                s.append_run_event(&id, &note)?;
                Ok(())
            })
            .await;
        let outcome = report
            .outcome
            .map_err(|err| format!("{} ({})", err, err.code()));
        (outcome, kept)
    }
}

#[async_trait]
impl WorkflowHost for CoreHost {
    async fn call_tool(&self, request: &ToolRequest) -> Result<Value, String> {
        self.call_tool_with_effects(request).await.0
    }

    async fn llm(&self, request: &LlmRequest) -> Result<Value, String> {
        let model = match &self.llm {
            Some(choice) => self
                .core
                .chosen_provider(choice)
                .await
                .map_err(|err| format!("step `{}`: {err}", request.step))?,
            None => self.core.shared.llm.get().ok_or_else(|| {
                format!(
                    "no language model is configured on this host; step `{}` is an llm node and needs one (an operator sets one with PUT /api/settings)",
                    request.step
                )
            })?,
        };
        let mut system = request.system.clone().unwrap_or_default();
        if !request.output_model.is_empty() {
            let fields: Vec<&str> = request
                .output_model
                .iter()
                .map(|f| f.name.as_str())
                .collect();
            system.push_str(&format!(
                "\nAnswer with one JSON object with the fields {fields:?} and nothing else."
            ));
        }
        let mut chat = ChatRequest::new(vec![
            Message::system(system),
            Message::user(request.prompt.clone()),
        ]);
        chat.response_format_json = !request.output_model.is_empty();
        let model = match &request.model {
            Some(name) => std::sync::Arc::new(model.with_model(name.clone())),
            None => model,
        };
        let answer = model
            .chat(&chat)
            .await
            .map_err(|err| format!("step `{}`: the language model failed: {err}", request.step))?;
        if request.output_model.is_empty() {
            return Ok(Value::String(answer.content));
        }
        let text = answer.content.trim();
        let start = text.find('{').unwrap_or(0);
        let end = text.rfind('}').map_or(text.len(), |e| e + 1);
        serde_json::from_str::<Map<String, Value>>(text.get(start..end).unwrap_or(text))
            .map(Value::Object)
            .map_err(|err| {
                format!(
                    "step `{}`: the language model's answer is not the JSON object asked for ({err})",
                    request.step
                )
            })
    }
}
