//! The one MCP prompt: `rehearse {goal}`, the way of working Drydock expects from an agent, for a
//! person to start from their MCP host (Claude Code shows it as `/mcp__drydock__rehearse`).
//!
//! Why a prompt: the tools alone do not tell an agent that its calls are rehearsals, that a denied effect
//! is a missing grant and not something to route around, or that going live takes a person's approval
//! outside MCP. The server's `instructions` say so once per connection; this prompt puts it, with the
//! person's goal, at the start of the conversation where the agent acts on it. It grants nothing and runs
//! nothing: it is text.

use rmcp::ErrorData;
use rmcp::model::{GetPromptResult, JsonObject, Prompt, PromptArgument, PromptMessage, Role};
use serde_json::Value;

/// The prompt's name. (Unlike tools, prompts share no namespace with plugins, so it needs no prefix.)
pub const REHEARSE: &str = "rehearse";

/// The longest goal the prompt takes, in characters: a goal is a sentence or a paragraph, not a document.
pub const MAX_GOAL_CHARS: usize = 4096;

/// Every prompt the server offers.
pub fn list() -> Vec<Prompt> {
    vec![
        Prompt::new(
            REHEARSE,
            Some(
                "Work towards a goal with Drydock's sandboxed tools: rehearse (every call is a dry run), \
                 propose the plan, and run it once a person has approved it.",
            ),
            Some(vec![
                PromptArgument::new("goal")
                    .with_title("Goal")
                    .with_description("What you want done, in a sentence or a paragraph.")
                    .with_required(true),
            ]),
        )
        .with_title("Rehearse, propose, run once approved"),
    ]
}

/// `prompts/get`: the prompt `name` with `arguments`, or `invalid params` naming what is wrong.
pub fn get(name: &str, arguments: Option<&JsonObject>) -> Result<GetPromptResult, ErrorData> {
    if name != REHEARSE {
        return Err(ErrorData::invalid_params(
            format!("no prompt named `{name}`; prompts/list names every prompt (`{REHEARSE}`)"),
            None,
        ));
    }
    let goal = match arguments.and_then(|arguments| arguments.get("goal")) {
        Some(Value::String(goal)) if !goal.trim().is_empty() => goal.trim(),
        Some(Value::String(_)) | None => {
            return Err(ErrorData::invalid_params(
                format!("`{REHEARSE}` needs the argument `goal`: what you want done"),
                None,
            ));
        }
        Some(_) => {
            return Err(ErrorData::invalid_params(
                format!("`{REHEARSE}`: `goal` is a string"),
                None,
            ));
        }
    };
    let length = goal.chars().count();
    if length > MAX_GOAL_CHARS {
        return Err(ErrorData::invalid_params(
            format!(
                "`{REHEARSE}`: `goal` has {length} characters; at most {MAX_GOAL_CHARS} are taken"
            ),
            None,
        ));
    }
    Ok(GetPromptResult::new(vec![PromptMessage::new_text(
        Role::User,
        instructions(goal),
    )])
    .with_description("Rehearse with Drydock, propose the plan, run it once a person approved it"))
}

fn instructions(goal: &str) -> String {
    format!(
        "Goal: {goal}\n\
         \n\
         Work towards this goal with Drydock's tools. Every tools/call is a dry run: reads that are granted \
         happen, writes are simulated, and each result's `_meta` (`dev.drydock/journal`) lists every effect \
         as read, simulated or denied, with its reason.\n\
         \n\
         1. Rehearse: call the tools the goal needs and read each journal. A denied effect means the plugin \
         has no grant for it: tell me which grant is missing and do not look for a way around it; only an \
         operator can grant.\n\
         2. Propose: when the rehearsal does what the goal needs, call `drydock_propose_plan` with a title \
         and the steps (each tool with the arguments you rehearsed). Show me the effects its rehearsal \
         reports and the session id, and tell me where the answer says a person approves it.\n\
         3. Wait: a person approves the plan through Drydock's API or CLI, never through MCP. \
         `drydock_plan_status` tells you where it stands.\n\
         4. Run: once it is approved, call `drydock_execute_plan` with the session id. It goes live only when \
         an operator turned the capability live and the master switch is on; otherwise it runs dry again, \
         and its answer says which.\n\
         \n\
         Never say that something changed outside the sandbox unless the run's journal shows that effect \
         performed live."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rmcp::model::ErrorCode;
    use serde_json::json;

    fn arguments(value: Value) -> JsonObject {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn the_goal_is_put_first_in_the_instructions() {
        let prompt = get(
            REHEARSE,
            Some(&arguments(json!({"goal": "  tidy the notes  "}))),
        )
        .unwrap();
        let message = serde_json::to_value(&prompt.messages[0]).unwrap();
        assert_eq!(message["role"], "user");
        let text = message["content"]["text"].as_str().unwrap();
        assert!(text.starts_with("Goal: tidy the notes\n"), "{text}");
        assert!(text.contains("drydock_propose_plan"), "{text}");
    }

    #[test]
    fn a_missing_empty_oversized_or_mistyped_goal_is_invalid_params() {
        let too_long = "x".repeat(MAX_GOAL_CHARS + 1);
        for (args, says) in [
            (None, "needs the argument `goal`"),
            (Some(json!({"goal": "   "})), "needs the argument `goal`"),
            (Some(json!({"topic": "x"})), "needs the argument `goal`"),
            (Some(json!({"goal": 7})), "is a string"),
            (Some(json!({ "goal": too_long })), "at most 4096"),
        ] {
            let args = args.map(arguments);
            let error = get(REHEARSE, args.as_ref()).unwrap_err();
            assert_eq!(error.code, ErrorCode::INVALID_PARAMS, "{error:?}");
            assert!(error.message.contains(says), "{error:?}");
        }
    }

    #[test]
    fn an_unknown_prompt_is_invalid_params_naming_the_known_one() {
        let error = get("nope", None).unwrap_err();
        assert_eq!(error.code, ErrorCode::INVALID_PARAMS);
        assert!(error.message.contains(REHEARSE), "{error:?}");
    }
}
