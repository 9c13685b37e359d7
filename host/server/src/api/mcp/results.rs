//! A Drydock invocation as an MCP `tools/call` result: the tool's JSON result as `structuredContent`, a text
//! rendering in `content`, and the effect journal and artifact references in `_meta`, so the agent sees
//! exactly what would have happened, and that it did not.
//!
//! A tool's failure (invalid arguments, denied, a limit, a trap) is an `isError: true` result with the
//! precise message and its code, never a JSON-RPC error: the model should read it and can act on it.

use drydock_core::{ArtifactRow, Invocation};
use drydock_runtime::InvocationReport;
use rmcp::model::{CallToolResult, ContentBlock, MetaObject};
use serde_json::{Value, json};

use super::tools::object;

/// The `_meta` key of the call's correlation id (find it in the audit log and `GET /api/executions/{id}`).
pub const CORRELATION_META: &str = "dev.drydock/correlationId";
/// The `_meta` key of the effect journal.
pub const JOURNAL_META: &str = "dev.drydock/journal";

/// The MCP answer for one invocation.
pub fn call_result(invocation: &Invocation) -> CallToolResult {
    let report = &invocation.report;
    let journal = journal(report, &invocation.artifacts);
    let rendering = rendering(report, &journal);
    let mut result = match &report.outcome {
        Ok(value) => {
            let mut result = CallToolResult::success(vec![ContentBlock::text(rendering)]);
            // structuredContent is an object; a tool that answers a bare value gets it wrapped.
            result.structured_content = Some(match value {
                Value::Object(_) => value.clone(),
                other => json!({ "result": other }),
            });
            result
        }
        Err(_) => CallToolResult::error(vec![ContentBlock::text(rendering)]),
    };
    let mut meta = json!({
        CORRELATION_META: report.correlation_id,
        JOURNAL_META: journal,
        "dev.drydock/mode": report.requested_mode,
    });
    if let Err(error) = &report.outcome {
        meta["dev.drydock/error"] = json!({ "code": error.code(), "message": error.to_string() });
    }
    result.meta = Some(MetaObject(object(meta)));
    result
}

/// The journal as the agent reads it: each effect's capability, action, outcome and reason; effects the
/// budget only counted; the artifacts with their ids.
fn journal(report: &InvocationReport, artifacts: &[ArtifactRow]) -> Value {
    let effects: Vec<Value> = report
        .record
        .effects
        .iter()
        .map(|e| {
            json!({
                "seq": e.seq,
                "plugin": e.plugin,
                "depth": e.depth,
                "capability": e.capability,
                "action": e.action,
                "outcome": e.outcome,
                "reason": e.reason,
            })
        })
        .collect();
    let artifacts: Vec<Value> = artifacts
        .iter()
        .map(|a| {
            json!({
                "id": a.id,
                "uri": format!("drydock://artifacts/{}", a.id),
                "name": a.name,
                "mediaType": a.media_type,
                "size": a.size,
                "producedBy": a.produced_by,
            })
        })
        .collect();
    json!({
        "effects": effects,
        "omittedEffects": report.record.omitted_effects,
        "artifacts": artifacts,
    })
}

/// The text a model reads: the result (or the error), then what the call did.
fn rendering(report: &InvocationReport, journal: &Value) -> String {
    let mut text = match &report.outcome {
        Ok(value) => serde_json::to_string_pretty(value).unwrap_or_default(),
        Err(error) => format!("Error ({}): {error}", error.code()),
    };
    text.push_str("\n\nDry run: nothing outside the sandbox was changed.");
    let effects = journal["effects"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if effects.is_empty() {
        text.push_str(" No effects.");
    } else {
        text.push_str(" Effects:");
        for effect in effects {
            text.push_str(&format!(
                "\n- {} {} {}: {}",
                effect["outcome"].as_str().unwrap_or_default(),
                effect["capability"].as_str().unwrap_or_default(),
                effect["action"].as_str().unwrap_or_default(),
                effect["reason"].as_str().unwrap_or_default(),
            ));
        }
    }
    for omitted in &report.record.omitted_effects {
        text.push_str(&format!(
            "\n- ({} more {} {} effects past the journal's budget)",
            omitted.count, omitted.outcome, omitted.capability
        ));
    }
    for artifact in journal["artifacts"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        text.push_str(&format!(
            "\nArtifact {} ({}, {} bytes): {}",
            artifact["name"].as_str().unwrap_or_default(),
            artifact["mediaType"].as_str().unwrap_or_default(),
            artifact["size"],
            artifact["uri"].as_str().unwrap_or_default(),
        ));
    }
    text
}
