//! The studio's flow catalog: `GET /api/agents` (`{agents: [{id, name, description, source}]}`),
//! `GET /api/agents/{name}` (`{name, source, yaml, config}`), `PUT /api/agents/{name}` (`{yaml}` →
//! `{status: "ok", yaml}`) and `DELETE /api/agents/{name}` (`{status: "ok", deleted}`), over the workflow
//! catalog and its validator.
//!
//! `source` is `system` for a workflow imported from the workflows directory and `local` for one stored
//! over the API; `isReadOnly` is set for a caller who may not write (anyone but an operator).
//!
//! The studio saves a flow before every run, re-serialised (keys reordered, comments gone) with a
//! `layout:` block of node positions added. The layout is split off and kept beside the workflow
//! (`drydock_core::workflow_layouts`) and shown again at the end of the YAML on the next read. When what
//! is left means the same document as the stored one, the stored text is kept exactly as it was, comments
//! and all; only a real edit replaces it (validated first: errors answer 400 `{error}` with their lines).
//! Astonish names a flow by its file, so YAML without a top-level `name` gets the URL's.

use axum::Json;
use axum::extract::{Path, State};
use drydock_core::CoreError;
use drydock_workflow::document_to_json;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{StudioCallerOrAnonymous, StudioError};
use crate::api::AppState;
use crate::api::workflows::MAX_WORKFLOW_BYTES;

/// The studio's list.
pub async fn list(
    State(state): State<AppState>,
    StudioCallerOrAnonymous(studio): StudioCallerOrAnonymous,
) -> Result<Json<Value>, StudioError> {
    let read_only = studio.actor.require_operator("").is_err();
    let mut agents = Vec::new();
    for summary in state.core.workflows(&studio.actor).await? {
        let source = match state.core.workflow(&studio.actor, &summary.name).await {
            Ok(row) => source_of(&row.updated_by),
            Err(CoreError::NotFound(_)) => continue,
            Err(other) => return Err(other.into()),
        };
        let mut agent = json!({
            "id": summary.name,
            "name": summary.name,
            "description": summary.description,
            "source": source,
        });
        if read_only {
            agent["isReadOnly"] = json!(true);
        }
        agents.push(agent);
    }
    Ok(Json(json!({ "agents": agents })))
}

/// One flow: its YAML as stored, with the kept layout after it, and the document as JSON (`config`).
pub async fn show(
    State(state): State<AppState>,
    StudioCallerOrAnonymous(studio): StudioCallerOrAnonymous,
    Path(name): Path<String>,
) -> Result<Json<Value>, StudioError> {
    let row = state.core.workflow(&studio.actor, &name).await?;
    let layout = state.core.workflow_layout(&studio.actor, &name).await?;
    let config = document_to_json(&row.yaml).ok();
    Ok(Json(json!({
        "name": row.name,
        "source": source_of(&row.updated_by),
        "yaml": with_layout(&row.yaml, layout.as_deref()),
        "config": config,
    })))
}

/// `PUT /api/agents/{name}`'s body.
#[derive(Deserialize)]
pub struct Save {
    yaml: String,
}

/// Saves a flow (operators; see the module doc for what is kept).
pub async fn save(
    State(state): State<AppState>,
    StudioCallerOrAnonymous(studio): StudioCallerOrAnonymous,
    Path(name): Path<String>,
    body: Result<Json<Save>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, StudioError> {
    let Json(body) = body?;
    if body.yaml.len() > MAX_WORKFLOW_BYTES {
        return Err(StudioError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the flow is {} bytes; the limit is {MAX_WORKFLOW_BYTES}",
                body.yaml.len()
            ),
        ));
    }
    if studio.actor.require_operator("").is_err() {
        return Err(StudioError::forbidden(format!(
            "flow `{name}` is read-only for you: only a Drydock operator changes workflows (sign in to the \
             console as one); running it needs no save"
        )));
    }
    let (flow, layout) = split_layout(&body.yaml);
    if let Some(layout) = &layout
        && !document_to_json(layout).is_ok_and(|doc| doc["layout"].is_object())
    {
        return Err(StudioError::bad_request(
            "the `layout:` block must be a mapping (node positions)",
        ));
    }
    let flow = with_name(&flow, &name);
    let stored = match state.core.workflow(&studio.actor, &name).await {
        Ok(row) => Some(row.yaml),
        Err(CoreError::NotFound(_)) => None,
        Err(other) => return Err(other.into()),
    };
    let same = stored.as_deref().is_some_and(|stored| {
        matches!((document_to_json(stored), document_to_json(&flow)), (Ok(a), Ok(b)) if a == b)
    });
    let yaml = match stored {
        Some(stored) if same => stored,
        _ => {
            state
                .core
                .put_workflow(&studio.actor, &name, flow.clone())
                .await
                .map_err(validation_error)?;
            flow
        }
    };
    if let Some(layout) = &layout {
        state
            .core
            .put_workflow_layout(&studio.actor, &name, layout.clone())
            .await?;
    }
    Ok(Json(json!({
        "status": "ok",
        "yaml": with_layout(&yaml, layout.as_deref()),
    })))
}

/// Deletes a flow (operators).
pub async fn remove(
    State(state): State<AppState>,
    StudioCallerOrAnonymous(studio): StudioCallerOrAnonymous,
    Path(name): Path<String>,
) -> Result<Json<Value>, StudioError> {
    state.core.delete_workflow(&studio.actor, &name).await?;
    Ok(Json(json!({ "status": "ok", "deleted": name })))
}

fn source_of(updated_by: &str) -> &'static str {
    if updated_by.starts_with("import:") {
        "system"
    } else {
        "local"
    }
}

/// An invalid workflow as one `{error}` text: every problem on its own line, with line and hint.
fn validation_error(err: CoreError) -> StudioError {
    match err {
        CoreError::InvalidWorkflow(diagnostics) => {
            let lines: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
            StudioError::bad_request(format!(
                "the flow is not a valid Drydock workflow:\n{}",
                lines.join("\n")
            ))
        }
        other => other.into(),
    }
}

/// The YAML with the kept layout block after it.
fn with_layout(yaml: &str, layout: Option<&str>) -> String {
    match layout {
        Some(layout) => format!("{}\n{}\n", yaml.trim_end(), layout.trim_end()),
        None => yaml.to_owned(),
    }
}

/// The YAML with a top-level `name: <name>` when it has no `name` of its own; added last, so the line
/// numbers of the validator's messages are those of the studio's text.
fn with_name(yaml: &str, name: &str) -> String {
    let named = document_to_json(yaml).is_ok_and(|doc| !doc["name"].is_null());
    if named || document_to_json(yaml).is_err() {
        return yaml.to_owned();
    }
    format!(
        "{}\nname: {}\n",
        yaml.trim_end(),
        Value::String(name.to_owned())
    )
}

/// Splits the top-level `layout:` block off a flow: `(the rest, the block)`. The block runs from the
/// `layout:` line to the next line that starts another top-level key.
fn split_layout(yaml: &str) -> (String, Option<String>) {
    let lines: Vec<&str> = yaml.lines().collect();
    let Some(start) = lines.iter().position(|l| {
        l.strip_prefix("layout")
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
    }) else {
        return (yaml.to_owned(), None);
    };
    let end = lines[start + 1..]
        .iter()
        .position(|l| !l.is_empty() && !l.starts_with([' ', '\t', '#']))
        .map_or(lines.len(), |i| start + 1 + i);
    let mut rest: Vec<&str> = lines[..start].to_vec();
    rest.extend_from_slice(&lines[end..]);
    let mut rest = rest.join("\n");
    rest.push('\n');
    (rest, Some(lines[start..end].join("\n")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_block_is_split_off_wherever_it_is() {
        let yaml = "name: a\nlayout:\n  nodes:\n    START: {x: 1, y: 2}\n\nnodes: []\nflow: []\n";
        let (rest, layout) = split_layout(yaml);
        assert_eq!(rest, "name: a\nnodes: []\nflow: []\n");
        assert_eq!(
            layout.as_deref(),
            Some("layout:\n  nodes:\n    START: {x: 1, y: 2}\n")
        );
        let (rest, layout) = split_layout("name: a\nnodes: []\n");
        assert_eq!((rest.as_str(), layout), ("name: a\nnodes: []\n", None));
    }

    #[test]
    fn a_flow_without_a_name_gets_the_urls() {
        assert_eq!(with_name("nodes: []\n", "hi"), "nodes: []\nname: \"hi\"\n");
        assert_eq!(with_name("name: x\n", "hi"), "name: x\n");
    }

    #[test]
    fn sources_tell_imported_files_from_stored_flows() {
        assert_eq!(source_of("import:workflows/echo_loop.yaml"), "system");
        assert_eq!(source_of("admin"), "local");
    }
}
