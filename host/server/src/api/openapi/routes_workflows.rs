//! The route table of the workflow catalog (issue 5): the same kind of rows as `routes.rs`. Workflow
//! documents travel as YAML text, both ways (a read answers JSON instead when asked); the schema describes
//! the document, not its text. An invalid one is answered with every diagnostic.

use super::{Access, Content, Method, Param, Reply, RequestBody, Route, error, ok, path};

const UNAUTHORIZED: Reply = error(
    401,
    "no `Authorization: Bearer` token, or an unknown or revoked one",
);
const NOT_OPERATOR: Reply = error(403, "the caller is not an operator");
const NOT_FOUND: Reply = error(404, "no workflow of that name");
const BAD_YAML_BODY: Reply = error(400, "the body is empty or not UTF-8 text (`invalid_body`)");
const TOO_LARGE: Reply = error(413, "the document is larger than 256 KiB");
const INTERNAL: Reply = error(500, "a fault on the server; the cause is in its log");
const NAME: Param = path("name", "The workflow's name (the `name` in its YAML).");
const YAML_BODY: Option<RequestBody> = Some(RequestBody {
    schema: "WorkflowDocument",
    media_type: "application/yaml",
    required: true,
});

/// The workflow routes.
pub(super) const ROUTES: &[Route] = &[
    Route {
        method: Method::Get,
        path: "/api/workflows",
        operation_id: "listWorkflows",
        summary: "The workflows, by name: description, declared inputs, steps (name and type) and whether public",
        access: Access::User,
        params: &[],
        request: None,
        responses: &[
            ok(200, "the workflows", Content::Json("WorkflowList")),
            UNAUTHORIZED,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/workflows/{name}",
        operation_id: "getWorkflow",
        summary: "The workflow: its YAML exactly as it was stored, or with `Accept: application/json` the same \
                  document as JSON",
        access: Access::User,
        params: &[NAME],
        request: None,
        responses: &[
            ok(
                200,
                "the document: `application/yaml` text by default; `application/json` when `Accept` names \
                 JSON and no YAML type",
                Content::YamlOrJson("WorkflowDocument"),
            ),
            UNAUTHORIZED,
            NOT_FOUND,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Put,
        path: "/api/workflows/{name}",
        operation_id: "putWorkflow",
        summary: "Create or replace a workflow from its YAML; validated against the loaded tools first, audited as `workflow.put`",
        access: Access::Operator,
        params: &[NAME],
        request: YAML_BODY,
        responses: &[
            ok(
                200,
                "replaced; the workflow as listed",
                Content::Json("WorkflowSummary"),
            ),
            ok(
                201,
                "created; the workflow as listed",
                Content::Json("WorkflowSummary"),
            ),
            ok(
                400,
                "the YAML is invalid, or its `name` is not the one in the path (`invalid_workflow`, every \
                 problem in `error.details`); or the body is empty or not UTF-8 (`invalid_body`)",
                Content::Json("InvalidWorkflowError"),
            ),
            UNAUTHORIZED,
            NOT_OPERATOR,
            TOO_LARGE,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Delete,
        path: "/api/workflows/{name}",
        operation_id: "deleteWorkflow",
        summary: "Delete a workflow; audited as `workflow.delete`",
        access: Access::Operator,
        params: &[NAME],
        request: None,
        responses: &[
            ok(204, "deleted", Content::Empty),
            UNAUTHORIZED,
            NOT_OPERATOR,
            NOT_FOUND,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Post,
        path: "/api/workflows/validate",
        operation_id: "validateWorkflow",
        summary: "Validate a workflow's YAML against the loaded tools without storing it",
        access: Access::User,
        params: &[],
        request: YAML_BODY,
        responses: &[
            ok(
                200,
                "whether it is valid, and every problem with its line, column, path, message and hint",
                Content::Json("WorkflowValidation"),
            ),
            BAD_YAML_BODY,
            UNAUTHORIZED,
            TOO_LARGE,
            INTERNAL,
        ],
    },
];
