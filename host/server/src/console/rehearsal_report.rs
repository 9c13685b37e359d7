//! The core's "what will change" report ([`RehearsalReport`]) as the console shows it: every simulated write
//! of the plan version's rehearsal, grouped by node, capability and target, with the file diffs and the
//! report's hash. It is the same report `GET /api/sessions/{id}/plan/rehearsal` answers, so the hash a
//! person sees here is the one the approve form sends back and the approval binds: a live run may then
//! perform only these writes, each as often as shown, and any other waits for an operator's review.

use drydock_core::PlanRow;
use drydock_core::rehearsals::{NodeRehearsal, RehearsalReport};
use maud::{Markup, html};
use serde_json::Value;

use super::rehearsal::render_diff;

/// The report, for the plan page (before the Approve button) and the rehearsal page.
pub(super) fn what_will_change(session_id: &str, report: &RehearsalReport) -> Markup {
    let writes: usize = report.nodes.iter().map(|n| n.writes).sum();
    html! {
        div.card #what-will-change {
            h3 { "What will change" }
            p {
                "The rehearsal of plan version " (report.version) ": the newest completed dry run of each node. "
                @if writes == 0 { "It shows no write." } @else { "It shows " (writes) " write" @if writes != 1 { "s" } "." }
                " Its hash " code.hash #rehearsal-hash { (report.hash) } " is what approving binds: a live run may \
                perform only these writes, each as often as shown; any other is not performed and waits for an \
                operator's review."
            }
            @if !report.missing.is_empty() {
                p.notice.error role="note" {
                    "Not rehearsed: " @for (i, node) in report.missing.iter().enumerate() {
                        @if i > 0 { ", " } code { (node) }
                    }
                    ". These nodes cannot go live under an approval: run them as a dry run first, then approve."
                }
            }
            @for node in report.nodes.iter().filter(|n| n.execution.is_some()) {
                (node_writes(session_id, node))
            }
            p { a href=(format!("/plans/{session_id}/rehearsal")) { "Every effect of the rehearsal, reads included" } }
        }
    }
}

fn node_writes(session_id: &str, node: &NodeRehearsal) -> Markup {
    let correlation = node
        .execution
        .as_ref()
        .and_then(|e| e["correlationId"].as_str())
        .unwrap_or_default();
    let heading = format!("wc-{}", node.node_id);
    html! {
        section.effects aria-labelledby=(heading) data-node=(node.node_id) {
            h4 id=(heading) {
                "Node " code { (node.node_id) } " "
                span.muted { (node.title) } " — " (node.writes) " write" @if node.writes != 1 { "s" }
                " (" a href=(format!("/plans/{session_id}/executions/{correlation}")) { "its dry run" } ")"
            }
            @if node.writes == 0 {
                p.muted { "No write: this node only reads." }
            } @else {
                div.table-wrap { table.effects {
                    thead { tr {
                        th scope="col" { "Capability" } th scope="col" { "Target" } th scope="col" { "Write" }
                        th scope="col" { "Times" } th scope="col" { "By" }
                    } }
                    tbody {
                        @for group in &node.capabilities {
                            @for target in group["targets"].as_array().into_iter().flatten() {
                                @for effect in target["effects"].as_array().into_iter().flatten() {
                                    tr {
                                        td { code { (group["capability"].as_str().unwrap_or("?")) } }
                                        td { code { (target["target"].as_str().unwrap_or("?")) } }
                                        td { code { (effect["action"].as_str().unwrap_or("?")) } br;
                                             span.hint { (shape_words(&effect["shape"])) } }
                                        td { (effect["count"].as_u64().unwrap_or(0)) }
                                        td { code { (effect["tool"].as_str().or(effect["plugin"].as_str()).unwrap_or("?")) } }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
            @for diff in &node.diffs {
                @let name = diff["name"].as_str().unwrap_or("changes.diff");
                @match diff["text"].as_str() {
                    Some(text) => { (render_diff(name, text)) }
                    None => {
                        p.hint { (name) ": " (diff["size"].as_u64().unwrap_or(0)) " bytes, too large to show here; "
                            a href=(format!("/api/artifacts/{}", diff["artifactId"].as_str().unwrap_or_default())) { "download it" } }
                    }
                }
            }
        }
    }
}

/// A payload shape in words: its size class, and the JSON keys when it is an object.
fn shape_words(shape: &Value) -> String {
    let size = match shape["sizeClass"].as_u64() {
        None => return "payload not compared".to_owned(),
        Some(0) => "empty".to_owned(),
        Some(1) => "1 byte".to_owned(),
        Some(n) if n >= 64 => "very large".to_owned(),
        Some(n) => format!("{}–{} bytes", 1u64 << (n - 1), (1u64 << n) - 1),
    };
    match shape["jsonKeys"].as_array() {
        Some(keys) => {
            let keys: Vec<&str> = keys.iter().filter_map(Value::as_str).collect();
            format!("payload {size}, JSON keys: {}", keys.join(", "))
        }
        None => format!("payload {size}"),
    }
}

/// For an approved plan: the rehearsal it froze, and whether a newer dry run changed it (then live runs are
/// refused until the plan is approved again).
pub(super) fn frozen(plan: &PlanRow, report: &RehearsalReport) -> Markup {
    let approved = plan.approved_rehearsal_hash.as_deref();
    html! {
        @match approved {
            Some(hash) if hash == report.hash => {
                p { "Frozen rehearsal hash: " code.hash #approved-rehearsal-hash { (hash) }
                    " (the report above): a live run performs only its writes." }
            }
            Some(hash) => {
                p.notice.error role="note" { "The rehearsal changed since approval: hash " code #approved-rehearsal-hash { (hash) }
                    " was approved, the report above is " code { (report.hash) }
                    ". Live runs are refused until the plan is approved again with this rehearsal." }
            }
            None => {
                p.notice.error role="note" { "This approval holds no rehearsal: no node can go live under it. \
                    Rehearse the nodes and approve again." }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_shape_is_told_in_words() {
        assert_eq!(
            shape_words(&json!({"sizeClass": 5, "jsonKeys": ["n", "x"]})),
            "payload 16–31 bytes, JSON keys: n, x"
        );
        assert_eq!(shape_words(&json!({"sizeClass": 0})), "payload empty");
        assert_eq!(shape_words(&Value::Null), "payload not compared");
    }
}
