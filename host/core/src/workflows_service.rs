//! Workflows on [`Core`]: the catalog (list, read, put, delete), validation, and the import of a workflows
//! directory at start. A workflow is validated by `drydock-workflow` against the tools loaded *now*
//! before it is stored, so every stored YAML was valid when written; listing validates again (a plugin
//! may have gone since) and leaves out, with a warning in the log, what no longer loads.
//!
//! Who sees what: a caller with a token sees every workflow; an anonymous caller (the public routes of
//! issue 5) sees only those whose YAML says `public: true`. Writing needs the operator role.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use drydock_workflow::diagnostic::{Diagnostic, DiagnosticCode};
use drydock_workflow::{Flow, InputSpec, Limits, NodeType, load_flow, validate_flow};
use serde::Serialize;
use serde_json::json;

use crate::actor::Actor;
use crate::core_error::CoreError;
use crate::service::Core;
use crate::store::AuditEntry;
use crate::workflows::{WorkflowRow, WorkflowWrite};

/// A workflow as a catalog lists it.
#[derive(Debug, Clone, Serialize)]
pub struct WorkflowSummary {
    /// Its name (used in URLs).
    pub name: String,
    /// One line for humans.
    pub description: String,
    /// The run inputs it declares.
    pub inputs: Vec<InputSpec>,
    /// Its nodes, in document order.
    pub steps: Vec<WorkflowStep>,
    /// Whether it may be discovered and run without a token.
    pub public: bool,
}

/// One node of a listed workflow.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowStep {
    /// The node's name.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub node_type: NodeType,
    /// Whether a person validates its output before the run goes on.
    pub user_validation_required: bool,
}

impl WorkflowSummary {
    fn of(flow: &Flow) -> Self {
        Self {
            name: flow.name().to_owned(),
            description: flow.description().to_owned(),
            inputs: flow.inputs().to_vec(),
            steps: flow
                .nodes()
                .iter()
                .map(|node| WorkflowStep {
                    name: node.name.clone(),
                    node_type: node.node_type(),
                    user_validation_required: node.user_validation_required,
                })
                .collect(),
            public: flow.is_public(),
        }
    }
}

/// What [`Core::import_workflow_dir`] did with each file.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// Workflows stored from a file (their names).
    pub imported: Vec<String>,
    /// Workflows already in the store, left as they are (their names).
    pub kept: Vec<String>,
    /// Files refused, with why (every diagnostic, one per line).
    pub skipped: Vec<(PathBuf, String)>,
}

impl Core {
    /// The qualified names of every loaded tool, what tool nodes may name.
    fn known_tools(&self) -> BTreeSet<String> {
        self.shared
            .runtime
            .tools()
            .into_iter()
            .map(|t| t.name)
            .collect()
    }

    /// Parses and validates `yaml` against the loaded tools.
    pub(crate) fn load_workflow(&self, yaml: &str) -> Result<Flow, CoreError> {
        load_flow(yaml, &self.known_tools(), &Limits::default())
            .map_err(|errors| CoreError::InvalidWorkflow(errors.0))
    }

    /// Every problem in `yaml` (empty when it is a valid workflow for the loaded tools). Nothing is stored.
    pub fn validate_workflow(&self, yaml: &str) -> Vec<Diagnostic> {
        validate_flow(yaml, &self.known_tools(), &Limits::default())
    }

    /// The workflows `actor` may see, by name (anonymous callers: the public ones only).
    pub async fn workflows(&self, actor: &Actor) -> Result<Vec<WorkflowSummary>, CoreError> {
        let rows = self.store(|s| s.workflows()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            match self.load_workflow(&row.yaml) {
                Ok(flow) if visible(actor, &flow) => out.push(WorkflowSummary::of(&flow)),
                Ok(_) => {}
                Err(err) => tracing::warn!(
                    workflow = row.name,
                    error = %err,
                    "a stored workflow no longer loads (a tool it names is gone?); not listed"
                ),
            }
        }
        Ok(out)
    }

    /// The stored workflow `name`, if `actor` may see it.
    pub async fn workflow(&self, actor: &Actor, name: &str) -> Result<WorkflowRow, CoreError> {
        let wanted = name.to_owned();
        let not_found = || CoreError::NotFound(format!("no workflow `{name}`"));
        let row = self
            .store(move |s| s.workflow(&wanted))
            .await?
            .ok_or_else(not_found)?;
        if actor.is_anonymous() && !self.load_workflow(&row.yaml).is_ok_and(|f| f.is_public()) {
            return Err(not_found());
        }
        Ok(row)
    }

    /// Creates or replaces the workflow `name` (operators): validated first (the name in the YAML must be
    /// `name`), then stored and audited as `workflow.put`. Returns it as listed, and whether it is new.
    pub async fn put_workflow(
        &self,
        actor: &Actor,
        name: &str,
        yaml: String,
    ) -> Result<(WorkflowSummary, bool), CoreError> {
        actor.require_operator("changing a workflow")?;
        let flow = self.load_workflow(&yaml)?;
        if flow.name() != name {
            return Err(CoreError::InvalidWorkflow(vec![name_mismatch(
                &yaml,
                flow.name(),
                name,
            )]));
        }
        let summary = WorkflowSummary::of(&flow);
        let audit = AuditEntry {
            actor: actor.name.clone(),
            action: "workflow.put".into(),
            target: Some(name.to_owned()),
            correlation_id: None,
            detail: json!({ "bytes": yaml.len(), "public": flow.is_public() }),
        };
        let (name, by) = (name.to_owned(), actor.name.clone());
        let written = self
            .store(move |s| s.put_workflow(&name, &yaml, &by, false, &audit))
            .await?;
        Ok((summary, written == WorkflowWrite::Created))
    }

    /// Deletes the workflow `name` (operators), audited as `workflow.delete`.
    pub async fn delete_workflow(&self, actor: &Actor, name: &str) -> Result<(), CoreError> {
        actor.require_operator("deleting a workflow")?;
        let audit = AuditEntry {
            actor: actor.name.clone(),
            action: "workflow.delete".into(),
            target: Some(name.to_owned()),
            correlation_id: None,
            detail: json!({}),
        };
        let name = name.to_owned();
        self.store(move |s| s.delete_workflow(&name, &audit)).await
    }

    /// Loads every `*.yaml` / `*.yml` file of `dir` (not recursive, in name order) whose workflow is not
    /// yet in the store; what the store has wins, so an operator's edit survives a restart. An invalid
    /// file is logged with its diagnostics and skipped, never fatal; a missing directory imports nothing.
    pub async fn import_workflow_dir(&self, dir: &Path) -> Result<ImportReport, CoreError> {
        let mut report = ImportReport::default();
        let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && has_yaml_extension(p))
                .collect(),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(report),
            Err(err) => {
                return Err(CoreError::Invalid(format!(
                    "cannot read the workflows directory `{}`: {err}",
                    dir.display()
                )));
            }
        };
        files.sort();
        for file in files {
            match self.import_workflow_file(&file).await {
                Ok((name, true)) => report.imported.push(name),
                Ok((name, false)) => report.kept.push(name),
                Err(CoreError::InvalidWorkflow(diagnostics)) => {
                    let why: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
                    tracing::warn!(file = %file.display(), errors = %why.join("\n"), "workflow file skipped");
                    report.skipped.push((file, why.join("\n")));
                }
                Err(CoreError::Invalid(why)) => {
                    tracing::warn!(file = %file.display(), error = %why, "workflow file skipped");
                    report.skipped.push((file, why));
                }
                Err(other) => return Err(other),
            }
        }
        Ok(report)
    }

    /// Imports one file unless its workflow is stored; `(name, imported)`.
    async fn import_workflow_file(&self, file: &Path) -> Result<(String, bool), CoreError> {
        let yaml = std::fs::read_to_string(file)
            .map_err(|err| CoreError::Invalid(format!("cannot read it: {err}")))?;
        let flow = self.load_workflow(&yaml)?;
        let by = format!("import:{}", file.display());
        let audit = AuditEntry {
            actor: by.clone(),
            action: "workflow.put".into(),
            target: Some(flow.name().to_owned()),
            correlation_id: None,
            detail: json!({ "bytes": yaml.len(), "public": flow.is_public(), "imported": true }),
        };
        let name = flow.name().to_owned();
        let stored = name.clone();
        let written = self
            .store(move |s| s.put_workflow(&stored, &yaml, &by, true, &audit))
            .await?;
        Ok((name, written == WorkflowWrite::Created))
    }
}

fn visible(actor: &Actor, flow: &Flow) -> bool {
    !actor.is_anonymous() || flow.is_public()
}

fn has_yaml_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

/// The diagnostic for a YAML whose `name` is not the one in the URL, at the top-level `name:` line.
fn name_mismatch(yaml: &str, declared: &str, wanted: &str) -> Diagnostic {
    let line = yaml
        .lines()
        .position(|l| l.starts_with("name:"))
        .map_or(1, |i| i + 1);
    Diagnostic {
        code: DiagnosticCode::InvalidValue,
        line,
        column: 7,
        path: "name".into(),
        node: None,
        edge: None,
        message: format!("the workflow is called `{declared}` but is being stored as `{wanted}`"),
        hint: format!("put it at /api/workflows/{declared}, or change its `name` to `{wanted}`"),
    }
}
