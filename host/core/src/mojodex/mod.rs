//! Mojodex's view of the workflow catalog and of runs (seed 003), on [`Core`]: the stable integers a
//! Mojodex client names things by, and the executions it creates before it starts them. There is no second
//! engine here: an execution is a workflow run with a known id, started with [`Core::start_run`] and driven
//! with the other run methods; this module only keeps what Mojodex has and Drydock does not (the
//! integers, the Socket.IO room, the inputs given at start).
//!
//! Mojodex is per user: a user's workflows (`user_workflow_pk`), executions and their step executions are
//! that user's only. Another user's integer is "not found", whatever the caller's role: an operator reads
//! other people's runs through the native API, not through a face that cannot say whose they are.

pub mod store;

use drydock_workflow::{Flow, NodeKind};
use serde_json::{Value, json};

use crate::actor::Actor;
use crate::core_error::CoreError;
use crate::service::Core;
use crate::store::AuditEntry;
pub use store::{ExecutionRow, PkKind};

/// A workflow as a Mojodex client lists it.
#[derive(Debug, Clone)]
pub struct MojodexWorkflow {
    /// The caller's `user_workflow_pk`.
    pub user_workflow_pk: i64,
    /// `workflow_pk`.
    pub workflow_pk: i64,
    /// The flow (its name, description, inputs and nodes).
    pub flow: Flow,
    /// The names of the inputs a client gives at start ([`input_names`]).
    pub inputs: Vec<String>,
    /// Every node, in document order, with its `workflow_step_pk`.
    pub steps: Vec<(i64, String)>,
}

impl MojodexWorkflow {
    /// The `workflow_step_pk` of node `name`, if the flow has it.
    pub fn step_pk(&self, name: &str) -> Option<i64> {
        self.steps
            .iter()
            .find(|(_, n)| n == name)
            .map(|(pk, _)| *pk)
    }
}

/// The inputs a Mojodex client gives at start, by name: the flow's declared inputs, then the variable of
/// each input node (Mojodex has no message for a question in the middle of a run, so the answer is taken
/// from the inputs given at start), each name once.
pub fn input_names(flow: &Flow) -> Vec<String> {
    let mut names: Vec<String> = flow.inputs().iter().map(|i| i.name.clone()).collect();
    for node in flow.nodes() {
        if let NodeKind::Input(input) = &node.kind
            && !names.contains(&input.output.name)
        {
            names.push(input.output.name.clone());
        }
    }
    names
}

impl Core {
    /// The workflows `actor` may run, as Mojodex lists them, by name.
    pub async fn mojodex_workflows(
        &self,
        actor: &Actor,
    ) -> Result<Vec<MojodexWorkflow>, CoreError> {
        let rows = self.store(|s| s.workflows()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            match self.load_workflow(&row.yaml) {
                Ok(flow) if !actor.is_anonymous() || flow.is_public() => {
                    out.push(self.mojodex_describe(actor, flow).await?);
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(
                    workflow = row.name,
                    error = %err,
                    "a stored workflow no longer loads; not listed to Mojodex clients"
                ),
            }
        }
        Ok(out)
    }

    /// The workflow behind the caller's `user_workflow_pk`.
    pub async fn mojodex_workflow(
        &self,
        actor: &Actor,
        user_workflow_pk: i64,
    ) -> Result<MojodexWorkflow, CoreError> {
        let not_found = || {
            CoreError::NotFound(format!(
                "no workflow with user_workflow_pk {user_workflow_pk} for this user (GET /user_workflow lists them)"
            ))
        };
        let key = self
            .store(move |s| s.mojodex_key(PkKind::UserWorkflow, user_workflow_pk))
            .await?
            .ok_or_else(not_found)?;
        let [owner, name] = key.as_slice() else {
            return Err(not_found());
        };
        if *owner != actor.user_id {
            return Err(not_found());
        }
        let row = self.workflow(actor, name).await.map_err(|_| not_found())?;
        let flow = self.load_workflow(&row.yaml)?;
        self.mojodex_describe(actor, flow).await
    }

    /// `flow` with its integers (made on first use) for `actor`.
    pub async fn mojodex_describe(
        &self,
        actor: &Actor,
        flow: Flow,
    ) -> Result<MojodexWorkflow, CoreError> {
        let name = flow.name().to_owned();
        let user = actor.user_id.clone();
        let nodes: Vec<Vec<String>> = flow
            .nodes()
            .iter()
            .map(|n| vec![name.clone(), n.name.clone()])
            .collect();
        let (workflow_pk, user_workflow_pk, step_pks) = self
            .store(move |s| {
                let workflow = s.mojodex_pks(PkKind::Workflow, &[vec![name.clone()]])?[0];
                let user_workflow = s.mojodex_pks(PkKind::UserWorkflow, &[vec![user, name]])?[0];
                let steps = s.mojodex_pks(PkKind::WorkflowStep, &nodes)?;
                Ok((workflow, user_workflow, steps))
            })
            .await?;
        Ok(MojodexWorkflow {
            user_workflow_pk,
            workflow_pk,
            inputs: input_names(&flow),
            steps: step_pks
                .into_iter()
                .zip(flow.nodes().iter().map(|n| n.name.clone()))
                .collect(),
            flow,
        })
    }

    /// Creates an execution of the caller's `user_workflow_pk` (nothing runs yet); audited
    /// `mojodex.execution.create`.
    pub async fn mojodex_create_execution(
        &self,
        actor: &Actor,
        user_workflow_pk: i64,
    ) -> Result<(ExecutionRow, MojodexWorkflow), CoreError> {
        let workflow = self.mojodex_workflow(actor, user_workflow_pk).await?;
        let row = ExecutionRow {
            pk: 0,
            run_id: uuid::Uuid::new_v4().to_string(),
            session_id: uuid::Uuid::new_v4().simple().to_string(),
            workflow: workflow.flow.name().to_owned(),
            user_workflow_pk,
            owner: actor.user_id.clone(),
            inputs: None,
            created_at: crate::stamp::now(),
        };
        let audit_actor = actor.name.clone();
        let row = self
            .store(move |s| {
                let row = s.insert_mojodex_execution(&row)?;
                s.audit_append(&AuditEntry {
                    actor: audit_actor,
                    action: "mojodex.execution.create".into(),
                    target: Some(row.workflow.clone()),
                    correlation_id: Some(row.run_id.clone()),
                    detail: json!({ "userWorkflowExecutionPk": row.pk }),
                })?;
                Ok(row)
            })
            .await?;
        Ok((row, workflow))
    }

    /// The caller's execution `pk`.
    pub async fn mojodex_execution(
        &self,
        actor: &Actor,
        pk: i64,
    ) -> Result<ExecutionRow, CoreError> {
        let row = self.store(move |s| s.mojodex_execution(pk)).await?;
        owned(actor, row).ok_or_else(|| {
            CoreError::NotFound(format!(
                "no workflow execution {pk} for this user (POST /user_workflow_execution creates one)"
            ))
        })
    }

    /// The caller's execution whose Socket.IO room is `session_id`.
    pub async fn mojodex_execution_by_session(
        &self,
        actor: &Actor,
        session_id: &str,
    ) -> Result<ExecutionRow, CoreError> {
        let key = session_id.to_owned();
        let row = self
            .store(move |s| s.mojodex_execution_by_session(&key))
            .await?;
        owned(actor, row).ok_or_else(|| {
            CoreError::NotFound(format!(
                "no workflow execution with session_id `{session_id}` for this user"
            ))
        })
    }

    /// Records the inputs of the caller's execution `pk` as it starts; a conflict if it started already.
    pub async fn mojodex_mark_started(
        &self,
        actor: &Actor,
        pk: i64,
        inputs: Value,
    ) -> Result<ExecutionRow, CoreError> {
        let row = self.mojodex_execution(actor, pk).await?;
        let stored = inputs.clone();
        self.store(move |s| s.start_mojodex_execution(pk, &stored))
            .await
            .map_err(|err| match err {
                CoreError::Conflict { message, .. } => CoreError::Conflict {
                    code: "execution_started",
                    message,
                },
                other => other,
            })?;
        Ok(ExecutionRow {
            inputs: Some(inputs),
            ..row
        })
    }

    /// The `user_workflow_step_execution_pk` of each start of a node in run `run_id`, by (node,
    /// iteration), made on first use.
    pub async fn mojodex_step_execution_pks(
        &self,
        run_id: &str,
        starts: &[(String, u32)],
    ) -> Result<Vec<i64>, CoreError> {
        let keys: Vec<Vec<String>> = starts
            .iter()
            .map(|(step, iteration)| vec![run_id.to_owned(), step.clone(), iteration.to_string()])
            .collect();
        self.store(move |s| s.mojodex_pks(PkKind::StepExecution, &keys))
            .await
    }

    /// The caller's step execution `pk`: its execution, node name and iteration.
    pub async fn mojodex_step_execution(
        &self,
        actor: &Actor,
        pk: i64,
    ) -> Result<(ExecutionRow, String, u32), CoreError> {
        let not_found = || {
            CoreError::NotFound(format!(
                "no workflow step execution {pk} for this user (the workflow_step_execution events name them)"
            ))
        };
        let key = self
            .store(move |s| s.mojodex_key(PkKind::StepExecution, pk))
            .await?
            .ok_or_else(not_found)?;
        let [run_id, step, iteration] = key.as_slice() else {
            return Err(not_found());
        };
        let iteration = iteration.parse().map_err(|_| not_found())?;
        let run = run_id.clone();
        let row = self
            .store(move |s| s.mojodex_execution_of_run(&run))
            .await?;
        let row = owned(actor, row).ok_or_else(not_found)?;
        Ok((row, step.clone(), iteration))
    }
}

/// `row` if `actor` owns it.
fn owned(actor: &Actor, row: Option<ExecutionRow>) -> Option<ExecutionRow> {
    row.filter(|row| !actor.is_anonymous() && row.owner == actor.user_id)
}
