//! The route table of workflow runs: start, read, follow, answer, validate, cancel.

use super::{
    Access, Content, Method, OVER_BUDGET, Param, Reply, Route, SseEvent, error, json_body, ok, path,
};

const BAD_BODY: Reply = error(
    400,
    "the body is not JSON, a field is missing, unknown or invalid, or the answer does not fit the question (`invalid_field`)",
);
const UNAUTHORIZED: Reply = error(
    401,
    "no `Authorization: Bearer` token, or an unknown or revoked one",
);
const RUN_NOT_FOUND: Reply = error(404, "no such run, or it is not the caller's");
const NOT_WAITING: Reply = error(
    409,
    "`run_not_waiting`: the run is not waiting for this (finished, another question, another step), or it changed meanwhile (`conflict`)",
);
const TOO_LARGE: Reply = error(413, "the body is larger than the server accepts (1 MiB)");
const INTERNAL: Reply = error(500, "a fault on the server; the cause is in its log");
const RUN_ID: Param = path("id", "The run id.");

/// The types of run events: each is the SSE `event` name and the `type` of its data.
pub(super) const RUN_EVENT_TYPES: &[&str] = &[
    "workflow_started",
    "step_started",
    "tool_call",
    "effects",
    "tool_result",
    "message",
    "step_ended",
    "question",
    "step_validated",
    "error",
    "completed",
    "rejected",
    "cancelled",
];

/// The run routes.
pub(super) const ROUTES: &[Route] = &[
    Route {
        method: Method::Post,
        path: "/api/workflows/{name}/runs",
        operation_id: "startRun",
        summary: "Start a run of a workflow (dry-run tool calls); answers once it waits for a person or ends",
        access: Access::User,
        params: &[path("name", "The workflow's name.")],
        request: json_body("StartRun"),
        responses: &[
            ok(201, "the run as it stands", Content::Json("Run")),
            BAD_BODY,
            UNAUTHORIZED,
            error(404, "no workflow of that name"),
            TOO_LARGE,
            OVER_BUDGET,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/runs/{id}",
        operation_id: "getRun",
        summary: "A run: status, the question it waits on, its steps, state, result or failure",
        access: Access::User,
        params: &[RUN_ID],
        request: None,
        responses: &[
            ok(200, "the run", Content::Json("Run")),
            UNAUTHORIZED,
            RUN_NOT_FOUND,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/runs/{id}/events",
        operation_id: "runEvents",
        summary: "Follow a run's events: replay after `Last-Event-ID` (or `after`), then live",
        access: Access::User,
        params: &[
            RUN_ID,
            Param {
                name: "after",
                location: super::Location::Query,
                kind: super::Scalar::Integer,
                description: "Replay events after this sequence number; `Last-Event-ID` wins if both are sent.",
            },
            Param {
                name: "Last-Event-ID",
                location: super::Location::Header,
                kind: super::Scalar::Integer,
                description: "The `id` of the last event seen, as browsers send on reconnect.",
            },
        ],
        request: None,
        responses: &[
            ok(
                200,
                "an endless SSE stream: `id` is the sequence number, `event` the event's type (workflow_started, \
                 step_started, tool_call, effects, tool_result, message, step_ended, question, step_validated, \
                 error, completed, rejected, cancelled)",
                Content::EventStream(&[SseEvent {
                    names: RUN_EVENT_TYPES,
                    data: Some("RunEvent"),
                }]),
            ),
            error(
                400,
                "`Last-Event-ID` or `after` is not a sequence number (`invalid_field`)",
            ),
            UNAUTHORIZED,
            RUN_NOT_FOUND,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Post,
        path: "/api/runs/{id}/answers",
        operation_id: "answerRun",
        summary: "Answer the question the run waits on; the run goes on",
        access: Access::User,
        params: &[RUN_ID],
        request: json_body("RunAnswer"),
        responses: &[
            ok(200, "the run as it stands", Content::Json("Run")),
            BAD_BODY,
            UNAUTHORIZED,
            RUN_NOT_FOUND,
            NOT_WAITING,
            TOO_LARGE,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Post,
        path: "/api/runs/{id}/steps/{step}/validation",
        operation_id: "validateRunStep",
        summary: "Validate or reject a step; a rejection with feedback re-runs it, without feedback ends the run `rejected`",
        access: Access::User,
        params: &[
            RUN_ID,
            path("step", "The step (node name) waiting for validation."),
        ],
        request: json_body("StepValidation"),
        responses: &[
            ok(200, "the run as it stands", Content::Json("Run")),
            BAD_BODY,
            UNAUTHORIZED,
            RUN_NOT_FOUND,
            NOT_WAITING,
            TOO_LARGE,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Post,
        path: "/api/runs/{id}/cancel",
        operation_id: "cancelRun",
        summary: "Cancel a run",
        access: Access::User,
        params: &[RUN_ID],
        request: None,
        responses: &[
            ok(200, "the cancelled run", Content::Json("Run")),
            UNAUTHORIZED,
            RUN_NOT_FOUND,
            NOT_WAITING,
            INTERNAL,
        ],
    },
];
