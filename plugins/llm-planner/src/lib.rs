//! The `llm_planner` plugin: asks the host's language model for a plan, and returns it only once it has
//! checked it. A model's answer is untrusted text: the plan is pulled out of it, checked against the tools
//! the host offered, and on failure the model is asked once more with the problems; a second failure is an
//! error that names them. An invalid plan is never returned.
//!
//! # Layout
//! - this file: the export and the ask → extract → check → retry loop ([`plan_with`]).
//! - `prompt`: reading the request (work item or chat request) and writing the messages for the model.
//! - `extract`: finding the JSON object in the model's answer (bare, fenced, or inside prose).
//! - `check`: the structural and schema checks, and the normalised plan they produce.
//!
//! The loop takes the model as a function, so everything but the host call is tested natively.

mod check;
mod extract;
mod prompt;

use drydock_plugin_sdk::{LogLevel, PlannerPlugin, ToolSpec, host};
use serde_json::{Value, json};

/// The model is asked at most this many times per plan: once, and once more with the problems.
const ATTEMPTS: usize = 2;
/// Low temperature: a plan should follow the request, not surprise.
const TEMPERATURE: f64 = 0.2;
/// A rejected answer is quoted back to the model up to this many characters.
const QUOTED_ANSWER_CHARS: usize = 6_000;

struct LlmPlanner;

impl PlannerPlugin for LlmPlanner {
    fn generate(request: Value, tools: &[ToolSpec]) -> Result<Value, String> {
        plan_with(&request, tools, &mut |completion: &Value| {
            host::progress("asking the language model for a plan");
            host::llm_complete(&completion.to_string())
        })
        .inspect_err(|err| host::log(LogLevel::Warn, err))
    }
}

/// Plans `request` with `tools`, asking `complete` (which takes a `host.llm-complete` request and returns
/// its `{"content"}` answer as text).
fn plan_with(
    request: &Value,
    tools: &[ToolSpec],
    complete: &mut dyn FnMut(&Value) -> Result<String, String>,
) -> Result<Value, String> {
    let brief = prompt::Brief::from_request(request)?;
    if tools.is_empty() {
        return Err("no tools are available, so there is nothing a plan could do".to_owned());
    }
    let mut messages = vec![
        json!({"role": "system", "content": prompt::system(tools)}),
        json!({"role": "user", "content": brief.describe()}),
    ];
    let mut problem = String::new();
    for attempt in 1..=ATTEMPTS {
        let answer = complete(&json!({"messages": messages, "temperature": TEMPERATURE}))
            .map_err(|err| format!("asking the language model for a plan failed: {err}"))?;
        let content = answer_content(&answer)?;
        match extract::json_in(&content).and_then(|plan| check::plan(&plan, tools)) {
            Ok(plan) => return Ok(plan),
            Err(found) => problem = found,
        }
        if attempt < ATTEMPTS {
            messages.push(json!({"role": "assistant", "content": quote(&content)}));
            messages.push(json!({"role": "user", "content": prompt::retry(&problem)}));
        }
    }
    Err(format!(
        "the language model gave no valid plan in {ATTEMPTS} tries; the last answer was refused because {problem}"
    ))
}

/// The text of a `host.llm-complete` answer `{"content": string}`.
fn answer_content(answer: &str) -> Result<String, String> {
    let value: Value = serde_json::from_str(answer)
        .map_err(|err| format!("the host's completion answer is not JSON: {err}"))?;
    value["content"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "the host's completion answer has no string `content`".to_owned())
}

/// `text`, cut to [`QUOTED_ANSWER_CHARS`] so a retry prompt stays bounded.
fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTED_ANSWER_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

drydock_plugin_sdk::export_planner!(LlmPlanner);

#[cfg(test)]
mod tests {
    use super::*;
    use drydock_plugin_sdk::{object_schema, tool_spec};

    pub(crate) fn tools() -> Vec<ToolSpec> {
        vec![
            tool_spec(
                "workspace.search",
                "Searches the workspace for a pattern.",
                &object_schema(
                    json!({"pattern": {"type": "string", "minLength": 1}}),
                    &["pattern"],
                ),
            ),
            tool_spec(
                "workspace.write_file",
                "Writes a file in the workspace.",
                &object_schema(
                    json!({"path": {"type": "string"}, "content": {"type": "string"}}),
                    &["path", "content"],
                ),
            ),
        ]
    }

    fn good_plan() -> String {
        json!({"nodes": [
            {"nodeId": "find", "title": "Find the uploader", "dependsOn": [], "suggestedBranch": "feature/retry",
             "tags": ["analysis"], "steps": [{"tool": "workspace.search", "args": {"pattern": "upload"}}]},
            {"nodeId": "notes", "title": "Write notes", "dependsOn": ["find"], "suggestedBranch": "feature/retry",
             "tags": [], "steps": [{"tool": "workspace.write_file", "args": {"path": "notes.md", "content": "x"}}]}
        ]})
        .to_string()
    }

    fn answer(content: &str) -> Result<String, String> {
        Ok(json!({ "content": content }).to_string())
    }

    #[test]
    fn a_valid_fenced_plan_is_returned_after_one_ask() {
        let mut asked = Vec::new();
        let plan = plan_with(
            &json!({"request": "Add retry to the uploader", "requirements": ["log each retry"]}),
            &tools(),
            &mut |request: &Value| {
                asked.push(request.clone());
                answer(&format!("Here is the plan:\n```json\n{}\n```", good_plan()))
            },
        )
        .unwrap();
        assert_eq!(plan["nodes"][1]["dependsOn"], json!(["find"]));
        assert_eq!(asked.len(), 1);
        let prompt = asked[0].to_string();
        assert!(prompt.contains("workspace.write_file"), "{prompt}");
        assert!(prompt.contains("log each retry"), "{prompt}");
        assert_eq!(asked[0]["temperature"], json!(TEMPERATURE));
    }

    #[test]
    fn an_invalid_plan_is_retried_once_with_the_problem() {
        let mut asked = Vec::new();
        let good = good_plan();
        let bad = good.replace("workspace.search", "shell.exec");
        let plan = plan_with(
            &json!({"id": "ABC-1", "title": "Retry uploads"}),
            &tools(),
            &mut |request: &Value| {
                asked.push(request.clone());
                answer(if asked.len() == 1 { &bad } else { &good })
            },
        )
        .unwrap();
        assert_eq!(plan["nodes"][0]["nodeId"], "find");
        assert_eq!(asked.len(), 2);
        let retry = asked[1]["messages"].as_array().unwrap();
        assert_eq!(retry.len(), 4);
        assert_eq!(retry[2]["role"], "assistant");
        let feedback = retry[3]["content"].as_str().unwrap();
        assert!(feedback.contains("`shell.exec`"), "{feedback}");
    }

    #[test]
    fn two_invalid_answers_give_an_error_naming_the_problem() {
        let mut count = 0;
        let err = plan_with(&json!({"request": "Do it"}), &tools(), &mut |_: &Value| {
            count += 1;
            answer("I would rather not.")
        })
        .unwrap_err();
        assert_eq!(count, ATTEMPTS);
        assert!(err.contains("no valid plan in 2 tries"), "{err}");
        assert!(err.contains("no JSON object"), "{err}");
    }

    #[test]
    fn a_failed_completion_is_not_retried() {
        let mut count = 0;
        let err = plan_with(&json!({"request": "Do it"}), &tools(), &mut |_: &Value| {
            count += 1;
            Err("no language model is configured on this Drydock host".to_owned())
        })
        .unwrap_err();
        assert_eq!(count, 1);
        assert!(err.contains("no language model is configured"), "{err}");
    }

    #[test]
    fn a_bad_request_or_no_tools_is_refused_before_asking() {
        let mut never = |_: &Value| -> Result<String, String> { panic!("the model was asked") };
        assert!(plan_with(&json!({"request": " "}), &tools(), &mut never).is_err());
        assert!(plan_with(&json!({"request": "x"}), &[], &mut never).is_err());
    }
}
