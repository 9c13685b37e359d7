//! Mojodex's shapes (seed 003, completed from Mojodex's backend): snake_case, integer keys, `{error}`
//! errors. Answers are open objects: Drydock adds fields beside Mojodex's (`status`, `question`...).

use serde_json::{Value, json};

use super::schemas::{array_of, closed, open, reference};

/// Every Mojodex schema, by name.
pub(super) fn all() -> Value {
    let pk = json!({ "type": "integer", "minimum": 1 });
    let nullable_pk = json!({ "type": ["integer", "null"], "minimum": 1 });
    json!({
        "MojodexError": closed(&["error"], json!({
            "error": { "type": "string", "description": "What was wrong and what to do." },
        })),
        "MojodexLoginRequest": open(&["email", "password", "login_method", "datetime"], json!({
            "email": { "type": "string", "description": "The Drydock username." },
            "password": { "type": "string", "format": "password" },
            "login_method": { "type": "string", "description": "Only `email_password`." },
            "datetime": { "type": "string" },
        })),
        "MojodexLogin": open(
            &["token", "language_code", "name", "terms_and_conditions_agreed", "company_fk"],
            json!({
                "token": { "type": "string", "description": "Send as `Authorization: <token>`." },
                "language_code": { "type": "string" },
                "name": { "type": "string" },
                "terms_and_conditions_agreed": { "type": "boolean" },
                "company_fk": { "type": "null" },
            }),
        ),
        "MojodexUserWorkflowAnswer": {
            "anyOf": [
                open(&["user_workflows"], json!({ "user_workflows": array_of(reference("MojodexUserWorkflow")) })),
                reference("MojodexUserWorkflow"),
            ],
        },
        "MojodexUserWorkflow": open(
            &["user_workflow_pk", "workflow_pk", "name", "icon", "description", "inputs_spec", "steps"],
            json!({
                "user_workflow_pk": pk,
                "workflow_pk": pk,
                "name": { "type": "string" },
                "icon": { "type": "string" },
                "description": { "type": "string" },
                "inputs_spec": array_of(open(&["input_name"], json!({
                    "input_name": { "type": "string" },
                    "description": { "type": "string" },
                    "type": { "type": "string" },
                    "asked_by_step": { "type": "string", "description": "The input node answered with it." },
                }))),
                "steps": array_of(reference("MojodexStep")),
            }),
        ),
        "MojodexStep": open(&["workflow_step_pk", "step_name"], json!({
            "workflow_step_pk": pk,
            "step_name": { "type": "string" },
        })),
        "MojodexInput": open(&["input_name", "value"], json!({
            "input_name": { "type": "string" },
            "value": { "description": "Any JSON value; null when not given." },
        })),
        "MojodexStepExecution": open(
            &["user_workflow_step_execution_pk", "workflow_step_pk", "step_name", "validated", "parameter", "result", "session_id"],
            json!({
                "user_workflow_step_execution_pk": pk,
                "workflow_step_pk": nullable_pk,
                "step_name": { "type": "string" },
                "validated": { "type": "boolean" },
                "parameter": { "description": "What the step was given." },
                "result": { "type": ["array", "null"], "description": "What it produced, as a list." },
                "session_id": { "type": "string" },
            }),
        ),
        "MojodexExecution": open(
            &["workflow_name", "user_workflow_execution_pk", "user_workflow_fk", "steps",
              "validated_steps_executions", "session_id", "inputs", "status", "current_step_execution"],
            json!({
                "workflow_name": { "type": "string" },
                "user_workflow_execution_pk": pk,
                "user_workflow_fk": pk,
                "steps": array_of(reference("MojodexStep")),
                "validated_steps_executions": array_of(reference("MojodexStepExecution")),
                "session_id": { "type": "string", "description": "The Socket.IO room of its events." },
                "inputs": array_of(reference("MojodexInput")),
                "status": { "type": "string", "enum": [
                    "created", "running", "waiting_input", "waiting_validation", "completed", "failed",
                    "rejected", "cancelled"
                ] },
                "current_step_execution": {
                    "anyOf": [reference("MojodexStepExecution"), { "type": "null" }],
                },
                "question": { "description": "What the run waits for (a native run question), or null." },
                "result": { "description": "The final state of a completed run, or null." },
                "failure": { "description": "Why a failed run failed, or null." },
            }),
        ),
        "MojodexExecutionPost": {
            "anyOf": [
                open(&["datetime", "user_workflow_pk"], json!({
                    "datetime": { "type": "string" },
                    "user_workflow_pk": pk,
                    "platform": { "type": "string" },
                })),
                reference("MojodexStartObject"),
            ],
        },
        "MojodexExecutionPut": {
            "anyOf": [
                array_of(reference("MojodexInput")),
                reference("MojodexStartObject"),
                open(&["datetime", "user_workflow_pk"], json!({
                    "datetime": { "type": "string" },
                    "user_workflow_pk": pk,
                    "platform": { "type": "string" },
                })),
            ],
        },
        "MojodexStartObject": open(&["datetime", "user_workflow_execution_pk", "json_inputs"], json!({
            "datetime": { "type": "string" },
            "user_workflow_execution_pk": pk,
            "platform": { "type": "string" },
            "json_inputs": array_of(reference("MojodexInput")),
        })),
        "MojodexStepValidation": open(&["datetime", "user_workflow_step_execution_pk", "validated"], json!({
            "datetime": { "type": "string" },
            "user_workflow_step_execution_pk": pk,
            "validated": { "type": "boolean" },
            "platform": { "type": "string" },
            "feedback": { "type": "string", "description": "Drydock's: with a rejection, run the step again with it." },
        })),
        "MojodexStepValidated": open(&["message", "status"], json!({
            "message": { "type": "string", "enum": ["Step validated", "Step rejected"] },
            "status": { "type": "string" },
        })),
    })
}
