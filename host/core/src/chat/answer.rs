//! The words of the built-in agent: presenting a plan, saying what changed, reporting progress and results,
//! and saying plainly what it did not understand.
//!
//! Honesty rules: every answer says what mode things ran in; nothing claims that an effect happened when
//! it was simulated; a question the agent cannot answer from the stored results is named as such, and the
//! answer points to where the details are (the task, its artifacts) instead of inventing them.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use drydock_policy::Mode;
use drydock_runtime::ToolInfo;
use serde_json::Value;

use crate::chat::TaskView;
use crate::chat::intent::{Intent, TaskStage};
use crate::store::{ArtifactRow, AuditRow, ExecutionStatus, PlanRow, PlanStatus};

/// What a task's executions left behind.
pub struct Results {
    /// Artifacts the executions produced.
    pub artifacts: Vec<ArtifactRow>,
    /// Their effect audit rows (`detail.outcome` is read / simulated / live / denied).
    pub effects: Vec<AuditRow>,
}

/// Version 1 of a new task.
pub fn plan_presented(task: &TaskView, tools: &[ToolInfo], note: Option<&str>) -> String {
    let mut out = format!(
        "I made a plan for this (task {}, version {}). It waits for your approval:\n\n",
        task.task.id, task.plan.version
    );
    out.push_str(&plan_outline(task));
    out.push('\n');
    out.push_str(&honesty(task, tools));
    if let Some(note) = note {
        let _ = write!(out, "\n\n{note}");
    }
    out.push_str(NEXT_STEPS);
    out
}

/// A new version after more requirements or a change.
pub fn plan_changed(
    before: &TaskView,
    after: &TaskView,
    added: &[String],
    removed: &[String],
    tools: &[ToolInfo],
    note: Option<&str>,
) -> String {
    let mut out = format!(
        "I updated the plan: it is now version {} (was {}), and it needs your approval again.\n\nWhat changed:\n",
        after.plan.version, before.plan.version
    );
    for requirement in added {
        let _ = writeln!(out, "- added requirement: {requirement}");
    }
    for requirement in removed {
        let _ = writeln!(out, "- removed requirement: {requirement}");
    }
    for line in node_diff(&before.nodes(), &after.nodes()) {
        let _ = writeln!(out, "- {line}");
    }
    out.push_str("\nThe plan now:\n\n");
    out.push_str(&plan_outline(after));
    if added.iter().any(|r| r.to_lowercase().contains("instead")) {
        out.push_str(
            "\nI kept every earlier requirement: I cannot tell on my own which one an \"instead\" replaces. \
             If one should go, say \"remove requirement N\".\n",
        );
    }
    out.push('\n');
    out.push_str(&honesty(after, tools));
    if let Some(note) = note {
        let _ = write!(out, "\n\n{note}");
    }
    out.push_str(NEXT_STEPS);
    out
}

const NEXT_STEPS: &str =
    "\n\nSay \"approve\" to run it, tell me what to change, or say \"cancel\".";

/// The plan could not be made.
pub fn planning_failed(reason: &str) -> String {
    format!(
        "I could not make a plan for this: {reason}. Nothing was stored. Could you say it differently, \
         or name what should be done more concretely?"
    )
}

/// A change request with nothing in it the agent could read as a requirement.
pub fn nothing_to_change(intent: Intent) -> String {
    let what = if intent == Intent::Modify {
        "a change to the plan"
    } else {
        "more requirements"
    };
    format!(
        "I read that as {what}, but I could not find a requirement in it, so the plan is unchanged. \
         Please state each change as a sentence, e.g. \"Use t3.medium instances.\" or \"Remove requirement 2.\""
    )
}

/// The plan was approved and the run started.
pub fn approved(task: &TaskView, plan: &PlanRow, mode: Mode) -> String {
    let mode_text = match mode {
        Mode::DryRun => {
            "as a dry run: reads happen, every write is simulated and journaled, and file changes are kept as a diff. Nothing outside the sandbox changes"
        }
        Mode::Live => {
            "in live mode where the operator's LivePolicy and the master switch allow it; every other write is simulated"
        }
    };
    format!(
        "Approved plan version {} (hash {}). I am running its {} nodes now, {mode_text}. \
         Ask \"status\" to follow it, or see GET /api/v1/tasks/{}.",
        plan.version,
        &plan.content_hash[..12.min(plan.content_hash.len())],
        task.nodes().len(),
        task.task.id
    )
}

/// The task was cancelled.
pub fn cancelled(task: &TaskView, was: PlanStatus) -> String {
    match was {
        PlanStatus::Approved | PlanStatus::Executing => format!(
            "Cancelled task {}. The run stops before its next step; steps that already ran keep their \
             results (see the task for which ones).",
            task.task.id
        ),
        _ => format!(
            "Cancelled task {}. The plan (version {}) will not run. Tell me about a new request any time.",
            task.task.id, task.plan.version
        ),
    }
}

/// How far the task is.
pub fn status(task: &TaskView) -> String {
    let mut out = format!(
        "Task {} is {} (plan version {}).\n",
        task.task.id, task.plan.status, task.plan.version
    );
    for node in task.nodes() {
        let node_id = node["nodeId"].as_str().unwrap_or_default();
        let state = match task.execution_of(node_id) {
            Some(e) => format!("{} ({})", e.status, e.mode),
            None => "not started".to_owned(),
        };
        let _ = writeln!(
            out,
            "- {}: {state}",
            node["title"].as_str().unwrap_or(node_id)
        );
    }
    if task.plan.status == PlanStatus::PendingApproval {
        out.push_str("It runs once you approve it.");
    }
    out
}

/// A question about the task, answered from what is stored, without a language model.
pub fn question(task: &TaskView, results: &Results, message: &str) -> String {
    let mut out = String::new();
    match task.plan.status {
        PlanStatus::Completed | PlanStatus::Failed => {
            let _ = writeln!(
                out,
                "Here is what the run of task {} did (plan version {}, {}):",
                task.task.id, task.plan.version, task.plan.status
            );
            for node in task.nodes() {
                let node_id = node["nodeId"].as_str().unwrap_or_default();
                let state = task
                    .execution_of(node_id)
                    .map_or("not run".to_owned(), |e| e.status.to_string());
                let _ = writeln!(
                    out,
                    "- {}: {state}",
                    node["title"].as_str().unwrap_or(node_id)
                );
            }
            let _ = writeln!(out, "\nEffects: {}.", effect_counts(&results.effects));
            if !results.artifacts.is_empty() {
                out.push_str("Artifacts (GET /api/artifacts/{id}):\n");
                for artifact in &results.artifacts {
                    let _ = writeln!(
                        out,
                        "- {} ({}, {} bytes): {}",
                        artifact.name, artifact.media_type, artifact.size, artifact.id
                    );
                }
            }
            if dry_run_only(task) {
                out.push_str(
                    "\nThis was a dry run: the writes above were simulated, so nothing outside the sandbox \
                     changed. Nothing was deployed or created for real.\n",
                );
            }
            let failed = task
                .executions
                .iter()
                .any(|e| e.status != ExecutionStatus::Completed);
            if failed {
                out.push_str(
                    "Some nodes did not complete; the task's steps show each step's error.\n",
                );
            }
        }
        _ => {
            let _ = writeln!(out, "{}", status(task).trim_end());
        }
    }
    let _ = write!(
        out,
        "\nYou asked: \"{}\". I have no language model configured, so I can only report what the task \
         recorded (above); I cannot answer beyond it. An operator can configure one in the settings \
         (PUT /api/settings).",
        message.trim()
    );
    out
}

/// The message was not understood; say so and list what the agent can do at this stage.
pub fn unclear(stage: TaskStage, intent: Intent) -> String {
    let can = match stage {
        TaskStage::None => {
            "There is no task in this conversation yet. Tell me what you need done (e.g. \"I need to deploy a web application with a load balancer\") and I will make a plan."
        }
        TaskStage::AwaitingApproval => {
            "The plan waits for your approval. You can add requirements or changes (one per sentence), say \"approve\", \"cancel\", or ask for the \"status\"."
        }
        TaskStage::Running => {
            "The plan is running. You can ask for the \"status\" or say \"cancel\"."
        }
        TaskStage::Finished => {
            "The task has finished. You can ask about its results, or tell me about a new request."
        }
    };
    let lead = if intent == Intent::Question {
        "I cannot answer that from anything I have."
    } else {
        "I did not understand that, and I would rather ask than guess."
    };
    format!("{lead} {can}")
}

/// `1. Title — tool, tool` per node, with its dependencies.
fn plan_outline(task: &TaskView) -> String {
    let mut out = String::new();
    for (i, node) in task.nodes().iter().enumerate() {
        let tools: Vec<&str> = node["steps"]
            .as_array()
            .map(|steps| steps.iter().filter_map(|s| s["tool"].as_str()).collect())
            .unwrap_or_default();
        let deps: Vec<&str> = node["dependsOn"]
            .as_array()
            .map(|d| d.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let after = if deps.is_empty() {
            String::new()
        } else {
            format!(" (after {})", deps.join(", "))
        };
        let _ = writeln!(
            out,
            "{}. {}{after} — {}",
            i + 1,
            node["title"].as_str().unwrap_or_default(),
            tools.join(", ")
        );
    }
    out
}

/// What the agent can and cannot do with the tools this host offers.
fn honesty(task: &TaskView, tools: &[ToolInfo]) -> String {
    let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    names.sort_unstable();
    let used: std::collections::BTreeSet<String> = task
        .nodes()
        .iter()
        .flat_map(|n| n["steps"].as_array().cloned().unwrap_or_default())
        .filter_map(|s| s["tool"].as_str().map(str::to_owned))
        .collect();
    format!(
        "I can only plan with the tools this host has ({}); this plan uses {}. Where the request needs \
         something those tools cannot do, the plan writes it down in the workspace rather than pretending to \
         do it. It will run as a dry run unless an operator allows live effects: writes are simulated and \
         you get the diff.",
        names.join(", "),
        used.into_iter().collect::<Vec<_>>().join(", ")
    )
}

/// Added, removed and changed nodes between two plan versions.
fn node_diff(before: &[Value], after: &[Value]) -> Vec<String> {
    let index = |nodes: &[Value]| -> BTreeMap<String, Value> {
        nodes
            .iter()
            .map(|n| {
                (
                    n["nodeId"].as_str().unwrap_or_default().to_owned(),
                    n.clone(),
                )
            })
            .collect()
    };
    let (old, new) = (index(before), index(after));
    let mut lines = Vec::new();
    for (id, node) in &new {
        match old.get(id) {
            None => lines.push(format!(
                "new node `{id}`: {}",
                node["title"].as_str().unwrap_or_default()
            )),
            Some(previous) if previous != node => lines.push(format!(
                "node `{id}` changed ({})",
                what_changed(previous, node)
            )),
            Some(_) => {}
        }
    }
    for (id, node) in &old {
        if !new.contains_key(id) {
            lines.push(format!(
                "node `{id}` removed: {}",
                node["title"].as_str().unwrap_or_default()
            ));
        }
    }
    lines
}

fn what_changed(before: &Value, after: &Value) -> String {
    let fields: Vec<&str> = ["title", "dependsOn", "steps", "tags", "suggestedBranch"]
        .into_iter()
        .filter(|f| before[*f] != after[*f])
        .collect();
    fields.join(", ")
}

fn effect_counts(effects: &[AuditRow]) -> String {
    if effects.is_empty() {
        return "none".into();
    }
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for effect in effects {
        let outcome = effect.detail["outcome"].as_str().unwrap_or("unknown");
        *counts.entry(outcome.to_owned()).or_default() += 1;
    }
    counts
        .iter()
        .map(|(outcome, n)| format!("{n} {outcome}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn dry_run_only(task: &TaskView) -> bool {
    task.executions.iter().all(|e| e.mode == "dry-run")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn node_diff_names_added_removed_and_changed_nodes() {
        let before = vec![
            json!({"nodeId": "a", "title": "A"}),
            json!({"nodeId": "b", "title": "B"}),
        ];
        let after = vec![
            json!({"nodeId": "a", "title": "A2"}),
            json!({"nodeId": "c", "title": "C"}),
        ];
        let lines = node_diff(&before, &after);
        assert_eq!(
            lines,
            [
                "node `a` changed (title)",
                "new node `c`: C",
                "node `b` removed: B"
            ]
        );
    }

    #[test]
    fn unclear_answers_say_so_and_list_the_options() {
        let text = unclear(TaskStage::AwaitingApproval, Intent::Unclear);
        assert!(text.contains("did not understand"), "{text}");
        assert!(text.contains("approve"), "{text}");
    }
}
