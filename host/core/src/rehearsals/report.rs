//! The "what will change" report of a plan version, read from the store: the newest completed dry run of
//! each node, its simulated writes grouped by capability and target, and its file diffs.
//!
//! The report's `hash` is what an approval binds. It covers what the rehearsal *showed would change*: per
//! node, the fingerprints of its writes (as often as they happened) and the SHA-256 of each diff, plus the
//! plan's hash and the nodes with no rehearsal. It leaves out what may differ between two identical
//! rehearsals (correlation ids, times, reads, body excerpts beyond their shape), so running the same dry run
//! again keeps an approval valid, and a dry run that shows other writes makes it stale.

use std::collections::BTreeMap;

use drydock_policy::EffectFingerprint;
use rusqlite::{Connection, params};
use serde::Serialize;
use serde_json::{Value, json};

use crate::StoreError;
use crate::canonical::content_hash;
use crate::store::PlanRow;
use crate::store::rows::{json_column, query_all};

/// At most this many effects of one execution are read back (the runtime's journal keeps fewer).
const MAX_EFFECTS: i64 = 5_000;
/// A diff larger than this is named and hashed in the report, not included.
pub const MAX_REPORTED_DIFF_BYTES: i64 = 512 * 1024;

/// The rehearsal of one plan version.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RehearsalReport {
    /// The plan version.
    pub plan_id: String,
    /// Its version number.
    pub version: u32,
    /// Its content hash.
    pub plan_hash: String,
    /// SHA-256 of the canonical JSON of [`RehearsalReport::bound`]: what an approval binds.
    pub hash: String,
    /// Every node of the plan, in plan order.
    pub nodes: Vec<NodeRehearsal>,
    /// Nodes without a completed dry run of this version: they cannot go live under an approval.
    pub missing: Vec<String>,
}

/// One node's rehearsal.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeRehearsal {
    /// The node.
    pub node_id: String,
    /// Its title.
    pub title: String,
    /// The dry run shown (`{correlationId, requestedBy, finishedAt}`), `None` when there is none.
    pub execution: Option<Value>,
    /// How many writes it would make.
    pub writes: usize,
    /// Its writes: `[{capability, targets: [{target, effects: [{plugin, tool, action, shape, count,
    /// reason, bodyExcerpt?}]}]}]`.
    pub capabilities: Vec<Value>,
    /// Its file diffs: `[{artifactId, name, sha256, size, text?}]`.
    pub diffs: Vec<Value>,
    /// The fingerprints of its writes, sorted (a write made twice is listed twice).
    #[serde(skip)]
    pub fingerprints: Vec<EffectFingerprint>,
}

impl RehearsalReport {
    /// What an approval freezes and the hash covers: `{planHash, nodes: [{nodeId, fingerprints, diffs}],
    /// missing}`, `diffs` being the SHA-256 of each diff.
    pub fn bound(&self) -> Value {
        bound_of(&self.plan_hash, &self.nodes, &self.missing)
    }

    /// This report as JSON (the API's shape).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// The short form agents and chat answers carry: `{hash, planHash, writes, missing, nodes: [{nodeId,
    /// writes, targets: [{capability, target, action, count}]}], report}` (no diffs or excerpts: `report`
    /// names the route with all of it).
    pub fn summary(&self, session_id: &str) -> Value {
        let nodes: Vec<Value> = self
            .nodes
            .iter()
            .filter(|n| n.execution.is_some())
            .map(|n| json!({ "nodeId": n.node_id, "writes": n.writes, "targets": targets_of(n) }))
            .collect();
        json!({
            "hash": self.hash,
            "planHash": self.plan_hash,
            "writes": self.nodes.iter().map(|n| n.writes).sum::<usize>(),
            "missing": self.missing,
            "nodes": nodes,
            "report": format!("GET /api/sessions/{session_id}/plan/rehearsal"),
        })
    }

    /// [`RehearsalReport::summary`] in words, one paragraph.
    pub fn summary_text(&self) -> String {
        let short = &self.hash[..12.min(self.hash.len())];
        let mut text = format!("What will change (rehearsal {short}):");
        let mut any = false;
        for node in self.nodes.iter().filter(|n| n.execution.is_some()) {
            let writes: Vec<String> = targets_of(node)
                .iter()
                .map(|t| {
                    let times = t["count"].as_u64().unwrap_or(1);
                    let times = if times > 1 {
                        format!(" ×{times}")
                    } else {
                        String::new()
                    };
                    format!(
                        "{} {} {}{times}",
                        t["capability"].as_str().unwrap_or("?"),
                        t["action"].as_str().unwrap_or("?"),
                        t["target"].as_str().unwrap_or("?")
                    )
                })
                .collect();
            let words = if writes.is_empty() {
                "no writes".to_owned()
            } else {
                writes.join("; ")
            };
            text.push_str(&format!(" {}: {words}.", node.node_id));
            any = true;
        }
        if !any {
            text.push_str(" nothing rehearsed yet.");
        }
        if !self.missing.is_empty() {
            text.push_str(&format!(
                " Not rehearsed: {} (run them dry first; they cannot go live).",
                self.missing.join(", ")
            ));
        }
        text.push_str(
            " Approving binds this rehearsal: a live run may perform only these writes, each as often as shown; \
             any other is held for an operator's review.",
        );
        text
    }
}

/// One node's writes as `[{capability, target, action, count}]`, in report order.
fn targets_of(node: &NodeRehearsal) -> Vec<Value> {
    let mut out = Vec::new();
    for group in &node.capabilities {
        for target in group["targets"].as_array().into_iter().flatten() {
            for effect in target["effects"].as_array().into_iter().flatten() {
                out.push(json!({
                    "capability": group["capability"],
                    "target": target["target"],
                    "action": effect["action"],
                    "count": effect["count"],
                }));
            }
        }
    }
    out
}

fn bound_of(plan_hash: &str, nodes: &[NodeRehearsal], missing: &[String]) -> Value {
    let nodes: Vec<Value> = nodes
        .iter()
        .filter(|n| n.execution.is_some())
        .map(|n| {
            let mut diffs: Vec<&str> = n
                .diffs
                .iter()
                .filter_map(|d| d["sha256"].as_str())
                .collect();
            diffs.sort_unstable();
            json!({ "nodeId": n.node_id, "fingerprints": n.fingerprints, "diffs": diffs })
        })
        .collect();
    json!({ "planHash": plan_hash, "nodes": nodes, "missing": missing })
}

/// The fingerprints an approval froze for `node_id`, or `None` when the approval holds no rehearsal of it.
pub fn frozen_for(bound: &Value, node_id: &str) -> Option<Vec<EffectFingerprint>> {
    let node = bound["nodes"]
        .as_array()?
        .iter()
        .find(|n| n["nodeId"] == node_id)?;
    serde_json::from_value(node["fingerprints"].clone()).ok()
}

/// The rehearsal report of `plan`, read with `conn` (inside an approving transaction, or on its own).
pub(crate) fn report_of(conn: &Connection, plan: &PlanRow) -> Result<RehearsalReport, StoreError> {
    let runs = query_all(
        conn,
        "SELECT correlation_id, node_id, requested_by, finished_at FROM executions \
         WHERE plan_id = ?1 AND mode = 'dry-run' AND status = 'completed' ORDER BY started_at, rowid",
        [&plan.id],
        |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, Option<String>>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, Option<String>>(3)?,
            ))
        },
    )?;
    let mut newest: BTreeMap<String, (String, String, Option<String>)> = BTreeMap::new();
    for (corr, node, by, finished) in runs {
        if let Some(node) = node {
            newest.insert(node, (corr, by, finished));
        }
    }
    let mut nodes = Vec::new();
    let mut missing = Vec::new();
    for node in plan.content["nodes"].as_array().into_iter().flatten() {
        let node_id = node["nodeId"].as_str().unwrap_or_default().to_owned();
        let title = node["title"].as_str().unwrap_or_default().to_owned();
        let Some((corr, by, finished)) = newest.get(&node_id) else {
            missing.push(node_id.clone());
            nodes.push(NodeRehearsal {
                node_id,
                title,
                execution: None,
                writes: 0,
                capabilities: Vec::new(),
                diffs: Vec::new(),
                fingerprints: Vec::new(),
            });
            continue;
        };
        let effects = query_all(
            conn,
            "SELECT payload FROM events WHERE session_id = ?1 AND correlation_id = ?2 \
             AND kind = 'effect' ORDER BY seq LIMIT ?3",
            params![plan.session_id, corr, MAX_EFFECTS],
            |row| json_column(row, 0, "events.payload"),
        )?;
        let diffs = query_all(
            conn,
            "SELECT id, name, sha256, size, CASE WHEN size <= ?3 THEN content END FROM artifacts \
             WHERE session_id = ?1 AND correlation_id = ?2 \
             AND (media_type = 'text/x-diff' OR name LIKE '%.diff') ORDER BY created_at, rowid",
            params![plan.session_id, corr, MAX_REPORTED_DIFF_BYTES],
            |row| {
                let content: Option<Vec<u8>> = row.get(4)?;
                let mut diff = json!({
                    "artifactId": row.get::<_, String>(0)?,
                    "name": row.get::<_, String>(1)?,
                    "sha256": row.get::<_, String>(2)?,
                    "size": row.get::<_, i64>(3)?,
                });
                if let Some(content) = content {
                    diff["text"] = json!(String::from_utf8_lossy(&content));
                }
                Ok(diff)
            },
        )?;
        let (capabilities, mut fingerprints) = group_writes(&effects);
        fingerprints.sort();
        nodes.push(NodeRehearsal {
            node_id,
            title,
            execution: Some(
                json!({ "correlationId": corr, "requestedBy": by, "finishedAt": finished }),
            ),
            writes: fingerprints.len(),
            capabilities,
            diffs,
            fingerprints,
        });
    }
    let hash = content_hash(&bound_of(&plan.content_hash, &nodes, &missing));
    Ok(RehearsalReport {
        plan_id: plan.id.clone(),
        version: plan.version,
        plan_hash: plan.content_hash.clone(),
        hash,
        nodes,
        missing,
    })
}

/// The simulated writes among `effects`, grouped capability → target → identical write (counted), and
/// their fingerprints. Reads and denials are not part of a rehearsal's promise.
fn group_writes(effects: &[Value]) -> (Vec<Value>, Vec<EffectFingerprint>) {
    type Key = (String, String, String, String);
    let mut groups: BTreeMap<String, BTreeMap<String, BTreeMap<Key, Value>>> = BTreeMap::new();
    let mut fingerprints = Vec::new();
    for effect in effects.iter().filter(|e| e["outcome"] == "simulated") {
        let fingerprint: Option<EffectFingerprint> =
            serde_json::from_value(effect["detail"]["fingerprint"].clone()).ok();
        let capability = effect["capability"].as_str().unwrap_or("other").to_owned();
        let target = fingerprint.as_ref().map_or_else(
            || effect["action"].as_str().unwrap_or_default().to_owned(),
            |f| f.target.clone(),
        );
        let shape = fingerprint
            .as_ref()
            .map(|f| json!(f.shape))
            .unwrap_or(Value::Null);
        let action = fingerprint.as_ref().map_or_else(
            || effect["action"].as_str().unwrap_or_default().to_owned(),
            |f| f.action.clone(),
        );
        let plugin = effect["plugin"].as_str().unwrap_or_default().to_owned();
        let key = (
            plugin.clone(),
            action.clone(),
            shape.to_string(),
            effect["tool"].to_string(),
        );
        let entry = groups
            .entry(capability)
            .or_default()
            .entry(target)
            .or_default()
            .entry(key)
            .or_insert_with(|| {
                let mut write = json!({
                    "plugin": plugin,
                    "tool": effect["tool"],
                    "action": action,
                    "shape": shape,
                    "count": 0,
                    "reason": effect["reason"],
                    "bound": fingerprint.is_some(),
                });
                if let Some(excerpt) = effect["detail"]["body_excerpt"].as_str() {
                    write["bodyExcerpt"] = json!(excerpt);
                }
                write
            });
        entry["count"] = json!(entry["count"].as_u64().unwrap_or(0) + 1);
        fingerprints.extend(fingerprint);
    }
    let capabilities = groups
        .into_iter()
        .map(|(capability, targets)| {
            let targets: Vec<Value> = targets
                .into_iter()
                .map(|(target, writes)| json!({ "target": target, "effects": writes.into_values().collect::<Vec<_>>() }))
                .collect();
            json!({ "capability": capability, "targets": targets })
        })
        .collect();
    (capabilities, fingerprints)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn effect(outcome: &str, target: &str) -> Value {
        let fingerprint = json!({ "plugin": "sleeper", "capability": "http", "action": "POST",
            "target": target, "shape": { "sizeClass": 3 } });
        json!({ "plugin": "sleeper", "tool": "sleeper.run", "capability": "http", "action": format!("POST {target}"),
            "outcome": outcome, "reason": "simulated: …", "detail": { "fingerprint": fingerprint } })
    }

    #[test]
    fn writes_are_grouped_by_capability_and_target_and_counted() {
        let effects = [
            effect("simulated", "http://a/x"),
            effect("simulated", "http://a/x"),
            effect("simulated", "http://a/y"),
            effect("read", "http://a/z"),
        ];
        let (groups, fingerprints) = group_writes(&effects);
        assert_eq!(fingerprints.len(), 3, "reads are not bound");
        assert_eq!(groups.len(), 1);
        let targets = groups[0]["targets"].as_array().unwrap();
        assert_eq!(targets.len(), 2);
        assert_eq!(targets[0]["target"], "http://a/x");
        assert_eq!(targets[0]["effects"][0]["count"], 2);
    }

    #[test]
    fn the_summary_names_each_write_its_count_and_the_unrehearsed_nodes() {
        let effects = [
            effect("simulated", "http://a/x"),
            effect("simulated", "http://a/x"),
        ];
        let (capabilities, fingerprints) = group_writes(&effects);
        let node = |id: &str, run: bool| NodeRehearsal {
            node_id: id.into(),
            title: String::new(),
            execution: run.then(|| json!({ "correlationId": "c" })),
            writes: if run { 2 } else { 0 },
            capabilities: if run {
                capabilities.clone()
            } else {
                Vec::new()
            },
            diffs: Vec::new(),
            fingerprints: if run {
                fingerprints.clone()
            } else {
                Vec::new()
            },
        };
        let report = RehearsalReport {
            plan_id: "p".into(),
            version: 1,
            plan_hash: "ph".into(),
            hash: "0123456789abcdef".into(),
            nodes: vec![node("n1", true), node("n2", false)],
            missing: vec!["n2".into()],
        };
        let text = report.summary_text();
        assert!(
            text.starts_with("What will change (rehearsal 0123456789ab):"),
            "{text}"
        );
        assert!(text.contains("n1: http POST http://a/x ×2."), "{text}");
        assert!(text.contains("Not rehearsed: n2"), "{text}");
        let summary = report.summary("s");
        assert_eq!(summary["writes"], 2);
        assert_eq!(summary["nodes"][0]["targets"][0]["count"], 2);
        assert_eq!(summary["report"], "GET /api/sessions/s/plan/rehearsal");
    }

    #[test]
    fn the_frozen_set_of_a_node_is_found_by_its_id() {
        let (_, fingerprints) = group_writes(&[effect("simulated", "http://a/x")]);
        let bound = json!({ "nodes": [{ "nodeId": "n1", "fingerprints": fingerprints }] });
        assert_eq!(frozen_for(&bound, "n1").unwrap().len(), 1);
        assert!(frozen_for(&bound, "n2").is_none());
    }
}
