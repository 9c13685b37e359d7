//! Where a graphical editor last put each node of a workflow (Astonish's studio sends a `layout:` block of
//! node positions with every save). The layout is kept beside the workflow, never in its YAML: the
//! workflow's text stays exactly as its author wrote it, comments included, and the validator never sees a
//! field that is not part of the flow format. Stored in the `settings` table under `layout:<workflow>` as
//! `{"yaml": "<the layout block>"}`; reading needs what reading the workflow needs, writing the operator
//! role, and each write is audited as `workflow.layout`.

use serde_json::json;

use crate::actor::Actor;
use crate::core_error::CoreError;
use crate::service::Core;
use crate::store::AuditEntry;

/// The largest layout block kept, in bytes.
pub const MAX_LAYOUT_BYTES: usize = 64 * 1024;

fn key(workflow: &str) -> String {
    format!("layout:{workflow}")
}

impl Core {
    /// The layout block kept for workflow `name` (YAML text starting `layout:`), if any.
    pub async fn workflow_layout(
        &self,
        actor: &Actor,
        name: &str,
    ) -> Result<Option<String>, CoreError> {
        self.workflow(actor, name).await?;
        let key = key(name);
        let value = self.store(move |s| s.setting(&key)).await?;
        Ok(value.and_then(|v| v["yaml"].as_str().map(str::to_owned)))
    }

    /// Keeps `layout` (YAML text starting `layout:`) beside workflow `name` (operators); audited.
    pub async fn put_workflow_layout(
        &self,
        actor: &Actor,
        name: &str,
        layout: String,
    ) -> Result<(), CoreError> {
        actor.require_operator("changing a workflow's layout")?;
        self.workflow(actor, name).await?;
        if layout.len() > MAX_LAYOUT_BYTES {
            return Err(CoreError::Invalid(format!(
                "the layout is {} bytes; the limit is {MAX_LAYOUT_BYTES}",
                layout.len()
            )));
        }
        let (key, by) = (key(name), actor.name.clone());
        let audit = AuditEntry {
            actor: actor.name.clone(),
            action: "workflow.layout".into(),
            target: Some(name.to_owned()),
            correlation_id: None,
            detail: json!({ "bytes": layout.len() }),
        };
        self.store(move |s| {
            s.put_setting(&key, &json!({ "yaml": layout }), &by)?;
            s.audit_append(&audit)?;
            Ok(())
        })
        .await
    }
}
