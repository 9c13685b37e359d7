//! The sections of a session's page (`GET /plans/{id}`): the generate form, what a live run may do, the
//! node table with its run buttons, the approval with the plan and rehearsal hashes it freezes, and the runs of
//! the version.
//! [`super::plans`] puts them together and handles their forms.

use drydock_core::execute::approval_of;
use drydock_core::rehearsals::RehearsalReport;
use drydock_core::{ExecutionRow, PlanRow, PlanStatus};
use drydock_policy::PlanApproval;
use maud::{Markup, html};

use super::page::csrf_field;
use super::plan_dag::NodeView;
use super::rehearsal_report::frozen;
use super::session::Visitor;
use crate::api::AppState;

pub(super) fn generate_form(visitor: &Visitor, session_id: &str, plan: Option<&PlanRow>) -> Markup {
    html! {
        form.inline method="post" action=(format!("/plans/{session_id}/generate"))
            data-confirm=[plan.map(|_| "Replace the plan with a new version? Its approval, if any, will not carry over.")] {
            (csrf_field(visitor))
            @if plan.is_some() {
                input type="hidden" name="force" value="1";
                button.secondary type="submit" { "Regenerate the plan" }
                span.hint { "Asks the planner again; the result is a new version that needs its own approval." }
            } @else {
                button type="submit" { "Generate the plan" }
                span.hint { "The planner turns the work item into nodes whose steps call the loaded tools." }
            }
        }
    }
}

/// For operators: what a live run of this plan would be allowed to do, in words.
pub(super) fn live_state(state: &AppState, visitor: &Visitor, nodes: &[NodeView]) -> Markup {
    if !visitor.is_operator() {
        return html! {
            p.hint { "Nodes run here as dry runs: reads happen, every write is recorded and simulated. Only an \
                      operator can run a node live." }
        };
    }
    let runtime = state.core.runtime();
    let tools = runtime.tools();
    let live = runtime.live_policy();
    let mut plugins: Vec<String> = nodes
        .iter()
        .flat_map(|n| n.tools())
        .filter_map(|tool| {
            tools
                .iter()
                .find(|t| t.name == tool)
                .map(|t| t.plugin.clone())
        })
        .collect();
    plugins.sort();
    plugins.dedup();
    html! {
        div.card #live-state {
            h3 { "What a live run may do" }
            p {
                "A live run performs a write only where all hold: the master switch is on, the LivePolicy lists \
                 that capability for that plugin, and the plan is approved and unchanged. Anything else stays \
                 simulated, with the reason in the journal."
            }
            ul {
                li { "Master switch: "
                    @if runtime.master_switch() { strong { "on" } } @else { strong { "off" } " (every write stays simulated)" } }
                @for plugin in &plugins {
                    @let caps = live.allowed(plugin);
                    li { "LivePolicy for " code { (plugin) } ": "
                        @if caps.is_empty() { "nothing live" }
                        @else { (caps.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", ")) " may go live" } }
                }
            }
        }
    }
}

pub(super) fn node_table(
    visitor: &Visitor,
    session_id: &str,
    plan: &PlanRow,
    nodes: &[NodeView],
) -> Markup {
    let approved = matches!(approval_of(plan), PlanApproval::Approved);
    let action = format!("/plans/{session_id}/execute");
    html! {
        div.table-wrap {
            table.nodes aria-labelledby="s-nodes" {
                thead { tr {
                    th scope="col" { "Node" }
                    th scope="col" { "Depends on" }
                    th scope="col" { "Steps" }
                    th scope="col" { "Status" }
                    th scope="col" { "Run" }
                } }
                tbody {
                    @for node in nodes {
                        tr id=(format!("node-{}", node.id)) {
                            th scope="row" { code { (node.id) } br; span.muted { (node.title) } }
                            td { @if node.depends_on.is_empty() { "—" } @else { (node.depends_on.join(", ")) } }
                            td {
                                ol {
                                    @for step in &node.steps {
                                        li {
                                            code { (step["tool"].as_str().unwrap_or("?")) }
                                            @if let Some(text) = step["description"].as_str() { " " span.hint { (text) } }
                                            pre { (serde_json::to_string_pretty(&step["args"]).unwrap_or_default()) }
                                        }
                                    }
                                }
                            }
                            td {
                                span class=(format!("badge s-{}", node.class)) { (node.words) }
                                @if let Some(run) = &node.latest {
                                    br; a href=(format!("/plans/{session_id}/executions/{}", run.correlation_id)) { "Rehearsal of this run" }
                                }
                            }
                            td {
                                form.inline method="post" action=(action) {
                                    (csrf_field(visitor))
                                    input type="hidden" name="node_id" value=(node.id);
                                    input type="hidden" name="mode" value="dry-run";
                                    button type="submit" aria-label=(format!("Dry run node {}", node.id)) { "Dry run" }
                                }
                                @if visitor.is_operator() {
                                    form.inline method="post" action=(action)
                                        data-confirm=(format!("Run node {} live? Writes go out where the LivePolicy and the master switch allow.", node.id)) {
                                        (csrf_field(visitor))
                                        input type="hidden" name="node_id" value=(node.id);
                                        input type="hidden" name="mode" value="live";
                                        button.danger type="submit" disabled[!approved] aria-describedby="live-state"
                                            aria-label=(format!("Run node {} live", node.id)) { "Run live" }
                                    }
                                    @if !approved { p.hint { "Live needs the approved, unchanged plan." } }
                                }
                                @if !node.ready { p.hint { "Waits for: " (node.depends_on.join(", ")) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub(super) fn approval(
    visitor: &Visitor,
    session_id: &str,
    plan: &PlanRow,
    report: &RehearsalReport,
) -> Markup {
    html! {
        @match approval_of(plan) {
            PlanApproval::Approved => {
                p { span.badge.s-approved { "approved" } " by " strong { (plan.approved_by.as_deref().unwrap_or("?")) }
                    " at " (plan.approved_at.as_deref().unwrap_or("?")) "." }
                p { "Frozen content hash: " code.hash #approved-hash { (plan.approved_hash.as_deref().unwrap_or_default()) } }
                (frozen(plan, report))
                @if plan.approved_rehearsal_hash.as_deref() == Some(report.hash.as_str()) {
                    p.hint { "It matches the current plan and its rehearsal, so an operator may run its nodes live.                               A regenerated plan is a new version with a new hash and must be approved again." }
                } @else {
                    (approve_form(visitor, session_id, plan, report, "Approve again with this rehearsal"))
                }
            }
            _ => {
                @if plan.approved_hash.is_some() {
                    p.notice.error { "The approval is stale: hash " code { (plan.approved_hash.as_deref().unwrap_or_default()) }
                        " was approved, the plan is now " code { (plan.content_hash) } ". Approve it again." }
                }
                p { "Approving freezes this plan's content hash: " code.hash #content-hash { (plan.content_hash) }
                    " and the rehearsal above." }
                p.hint { "Like a saved Terraform plan: what runs live later is exactly this version, and only the writes \
                          its rehearsal showed. Rehearse the nodes first, then approve." }
                @if matches!(plan.status, PlanStatus::Draft | PlanStatus::PendingApproval) {
                    (approve_form(visitor, session_id, plan, report, &format!("Approve version {}", plan.version)))
                } @else {
                    p.hint { "A plan that is " (plan.status.as_str().replace('_', " ")) " cannot be approved; regenerate it." }
                }
            }
        }
    }
}

/// The approve form: it sends back the plan hash and the rehearsal hash the page showed, so a person
/// approves what they saw (the core refuses either if it changed meanwhile).
fn approve_form(
    visitor: &Visitor,
    session_id: &str,
    plan: &PlanRow,
    report: &RehearsalReport,
    label: &str,
) -> Markup {
    let short = |h: &str| h[..12.min(h.len())].to_owned();
    html! {
        form.inline method="post" action=(format!("/plans/{session_id}/approve"))
            data-confirm=(format!("Approve plan version {} with hash {} and rehearsal {}?", plan.version,
                short(&plan.content_hash), short(&report.hash))) {
            (csrf_field(visitor))
            input type="hidden" name="hash" value=(plan.content_hash);
            input type="hidden" name="rehearsal" value=(report.hash);
            button type="submit" { (label) }
        }
    }
}

pub(super) fn runs(session_id: &str, executions: &[ExecutionRow]) -> Markup {
    html! {
        @if executions.is_empty() {
            p.muted { "No node has run yet. A dry run shows every effect a node would have, without performing its writes." }
        } @else {
            p { a href=(format!("/plans/{session_id}/rehearsal")) { "The rehearsal of this version: the latest dry run of every node" } }
            div.table-wrap {
                table {
                    thead { tr {
                        th scope="col" { "Node" } th scope="col" { "Mode" } th scope="col" { "Status" }
                        th scope="col" { "By" } th scope="col" { "Started" }
                    } }
                    tbody {
                        @for run in executions.iter().rev() {
                            tr {
                                td { a href=(format!("/plans/{session_id}/executions/{}", run.correlation_id)) {
                                    (run.node_id.as_deref().unwrap_or("?")) } }
                                td { span class=(format!("badge s-{}", if run.mode == "live" { "live" } else { "simulated" })) { (run.mode) } }
                                td { span class=(format!("badge s-{}", run.status)) { (run.status) } }
                                td { (run.requested_by) }
                                td { (run.started_at) }
                            }
                        }
                    }
                }
            }
        }
    }
}
