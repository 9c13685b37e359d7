//! The route table: one row per route of the API (method, path, who may call it, parameters, request and
//! responses). The document is rendered from it and a test checks it against the registered routes.

use super::{
    Access, Content, Location, Method, OVER_BUDGET, Param, Reply, RequestBody, Route, Scalar,
    SseEvent, error, json_body, ok, path,
};

const BAD_BODY: Reply = error(
    400,
    "the body is not JSON (`invalid_json`), not sent as JSON (`invalid_content_type`), or a field is \
     missing, unknown or invalid (`invalid_field`)",
);
const UNAUTHORIZED: Reply = error(
    401,
    "no `Authorization: Bearer` token, or an unknown or revoked one",
);
const NOT_OPERATOR: Reply = error(403, "the caller is not an operator");
const TOO_LARGE: Reply = error(413, "the body is larger than the server accepts (1 MiB)");
const INTERNAL: Reply = error(500, "a fault on the server; the cause is in its log");
const SESSION_NOT_FOUND: Reply = error(404, "no such session, or it is not the caller's");

const SESSION_ID: Param = path("id", "The session id.");

/// The kinds of session events: each is the SSE `event` name and the `kind` of its data.
pub(super) const SESSION_EVENT_KINDS: &[&str] = &[
    "session_created",
    "chat_message",
    "plan_updated",
    "plan_approved",
    "plan_status",
    "node_started",
    "step_started",
    "effect",
    "artifact_created",
    "step_completed",
    "node_completed",
    "node_failed",
    "node_interrupted",
    "needs_review",
    "review_decided",
];

/// Every route of the API, in the order `api::app` merges them.
pub(super) const ROUTES: &[Route] = &[
    Route {
        method: Method::Get,
        path: "/healthz",
        operation_id: "health",
        summary: "Liveness, version, uptime, plugin count and the master switch",
        access: Access::Public,
        params: &[],
        request: None,
        responses: &[ok(200, "the server is up", Content::Json("Health"))],
    },
    Route {
        method: Method::Get,
        path: "/metrics",
        operation_id: "metrics",
        summary: "Request, invocation and effect counters in Prometheus text format",
        access: Access::Public,
        params: &[],
        request: None,
        responses: &[ok(200, "the metrics", Content::PrometheusText)],
    },
    Route {
        method: Method::Post,
        path: "/api/auth/login",
        operation_id: "login",
        summary: "Exchange a username and password for a bearer token",
        access: Access::Public,
        params: &[],
        request: json_body("LoginRequest"),
        responses: &[
            ok(200, "a new token", Content::Json("LoginResponse")),
            BAD_BODY,
            error(401, "wrong username or password (the same answer for both)"),
            TOO_LARGE,
            error(
                429,
                "too many failed sign-ins for this account or from this address (`rate_limited`); even the \
                 right password is refused until the time `Retry-After` gives (seconds)",
            ),
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/tools",
        operation_id: "listTools",
        summary: "The loaded tools with their input schemas, grants and whether they can go live; without a token or console session, Astonish's studio (`X-Requested-With: XMLHttpRequest`) gets its shape, `{tools: [{name, description, source}]}`",
        access: Access::Optional,
        params: &[],
        request: None,
        responses: &[
            ok(
                200,
                "the tools (the studio's shape for a studio request without a token)",
                Content::Json("ToolListOrStudio"),
            ),
            error(
                401,
                "no token, console session or `X-Requested-With: XMLHttpRequest`, or an unknown or revoked token",
            ),
            INTERNAL,
        ],
    },
    Route {
        method: Method::Post,
        path: "/api/tools/{name}/invoke",
        operation_id: "invokeTool",
        summary: "Run one tool outside any plan (dry-run unless `mode` is `live`: operators only)",
        access: Access::User,
        params: &[path("name", "The tool, `<plugin>.<tool>`.")],
        request: json_body("InvokeRequest"),
        responses: &[
            ok(
                200,
                "the invocation report; a tool that ran and failed is still a 200, with `error` in \
                 the report",
                Content::Json("InvocationReport"),
            ),
            error(
                400,
                "the body is not JSON or not sent as JSON, a field is missing or unknown, or `args` do not \
                 fit the tool's input schema (`invalid_field`, naming the field); the tool did not run",
            ),
            UNAUTHORIZED,
            error(403, "`mode: live` from a caller who is not an operator"),
            error(404, "no tool of that name is loaded"),
            TOO_LARGE,
            OVER_BUDGET,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/policy",
        operation_id: "showPolicy",
        summary: "Every plugin's grants, the LivePolicy and the master switch (read-only here)",
        access: Access::User,
        params: &[],
        request: None,
        responses: &[
            ok(200, "the policy", Content::Json("Policy")),
            UNAUTHORIZED,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Put,
        path: "/api/policy/plugins/{plugin}/live",
        operation_id: "setLiveCapabilities",
        summary: "Replace the capabilities a plugin may use live; persisted and audited",
        access: Access::Operator,
        params: &[path("plugin", "The plugin name.")],
        request: json_body("LiveToggleRequest"),
        responses: &[
            ok(
                200,
                "the plugin's live capabilities now",
                Content::Json("LiveToggleResponse"),
            ),
            error(
                400,
                "an invalid body, or a capability the plugin has no writable grant for: only http grants \
                 and rw fs grants can go live (`invalid_field`)",
            ),
            UNAUTHORIZED,
            NOT_OPERATOR,
            error(
                404,
                "no plugin by that name is loaded or named in the policy",
            ),
            TOO_LARGE,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/policy/suggest",
        operation_id: "suggestPolicy",
        summary: "The smallest grants covering what one execution, a session's current plan or a workflow run used",
        access: Access::Operator,
        params: &[
            Param {
                name: "execution",
                location: Location::Query,
                kind: Scalar::String,
                description: "A plan node execution's correlation id.",
            },
            Param {
                name: "session",
                location: Location::Query,
                kind: Scalar::String,
                description: "A session id: every execution of its current plan version.",
            },
            Param {
                name: "run",
                location: Location::Query,
                kind: Scalar::String,
                description: "A workflow run id.",
            },
        ],
        request: None,
        responses: &[
            ok(
                200,
                "the suggested policy file, its diff and what happens to each grant",
                Content::Json("PolicySuggestion"),
            ),
            error(
                400,
                "not exactly one of `execution`, `session`, `run`, or an unknown parameter (`invalid_field`)",
            ),
            UNAUTHORIZED,
            NOT_OPERATOR,
            error(404, "no such execution, session or run"),
            error(
                409,
                "the server runs without a policy file (`no_policy_file`), the file cannot be read or is no \
                 longer valid (`policy_file_unreadable`, `policy_file_invalid`), or the session has no \
                 execution of its current plan (`nothing_traced`)",
            ),
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/audit",
        operation_id: "listAudit",
        summary: "Audit rows, filtered by execution, actor or action, in chain order or newest first",
        access: Access::Operator,
        params: &[
            Param {
                name: "correlationId",
                location: Location::Query,
                kind: Scalar::String,
                description: "Only rows of this execution.",
            },
            Param {
                name: "actor",
                location: Location::Query,
                kind: Scalar::String,
                description: "Only rows of this actor: a username, `anonymous`, `system` or `plugin:<name>`.",
            },
            Param {
                name: "action",
                location: Location::Query,
                kind: Scalar::String,
                description: "Only this action and the actions under it (`auth.login` also matches \
                              `auth.login.failed`).",
            },
            Param {
                name: "before",
                location: Location::Query,
                kind: Scalar::Integer,
                description: "Only rows with a `seq` smaller than this (the next page when reading newest first).",
            },
            Param {
                name: "order",
                location: Location::Query,
                kind: Scalar::String,
                description: "`asc` (chain order, the default) or `desc` (newest first); anything else is a 400.",
            },
            Param {
                name: "since",
                location: Location::Query,
                kind: Scalar::Integer,
                description: "Only rows with a `seq` greater than this (a number, not a time).",
            },
            Param {
                name: "limit",
                location: Location::Query,
                kind: Scalar::Integer,
                description: "At most this many rows (default 100, capped at 1000).",
            },
        ],
        request: None,
        responses: &[
            ok(200, "a page of audit rows", Content::Json("AuditPage")),
            error(
                400,
                "an unknown or malformed query parameter (`invalid_field`)",
            ),
            UNAUTHORIZED,
            NOT_OPERATOR,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/audit/verify",
        operation_id: "verifyAudit",
        summary: "Check the audit hash chain and name the first broken row",
        access: Access::Operator,
        params: &[],
        request: None,
        responses: &[
            ok(
                200,
                "the verdict (a broken chain is still a 200)",
                Content::Json("AuditVerification"),
            ),
            UNAUTHORIZED,
            NOT_OPERATOR,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Post,
        path: "/api/sessions",
        operation_id: "createSession",
        summary: "Create a session from a work item",
        access: Access::User,
        params: &[],
        request: json_body("CreateSessionRequest"),
        responses: &[
            ok(201, "the new session", Content::Json("Session")),
            BAD_BODY,
            UNAUTHORIZED,
            TOO_LARGE,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/sessions",
        operation_id: "listSessions",
        summary: "The caller's own sessions (operators too see only their own here)",
        access: Access::User,
        params: &[],
        request: None,
        responses: &[
            ok(200, "the sessions", Content::Json("SessionList")),
            UNAUTHORIZED,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/sessions/{id}",
        operation_id: "showSession",
        summary: "One session (its owner's, or any for an operator)",
        access: Access::User,
        params: &[SESSION_ID],
        request: None,
        responses: &[
            ok(200, "the session", Content::Json("Session")),
            UNAUTHORIZED,
            SESSION_NOT_FOUND,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/sessions/{id}/plan",
        operation_id: "showPlan",
        summary: "The session's current plan: nodes with their steps, status, version and approval",
        access: Access::User,
        params: &[SESSION_ID],
        request: None,
        responses: &[
            ok(200, "the current plan", Content::Json("Plan")),
            UNAUTHORIZED,
            error(
                404,
                "no such session, or it is not the caller's, or it has no plan yet",
            ),
            INTERNAL,
        ],
    },
    Route {
        method: Method::Post,
        path: "/api/sessions/{id}/plan/generate",
        operation_id: "generatePlan",
        summary: "Generate a plan for the session's work item (an existing one is kept unless `force`)",
        access: Access::User,
        params: &[SESSION_ID],
        request: Some(RequestBody {
            schema: "GeneratePlanRequest",
            media_type: "application/json",
            required: false,
        }),
        responses: &[
            ok(
                200,
                "the plan summary (not the full plan of GET .../plan)",
                Content::Json("PlanSummary"),
            ),
            error(
                400,
                "`workItemId` is not this session's work item (`invalid_field`)",
            ),
            UNAUTHORIZED,
            SESSION_NOT_FOUND,
            error(
                409,
                "the planner failed (`planner_failed`) or proposed an invalid plan \
                 (`plan_invalid`)",
            ),
            TOO_LARGE,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Post,
        path: "/api/sessions/{id}/plan/approve",
        operation_id: "approvePlan",
        summary: "Approve the current plan, freezing its content hash and its rehearsal (no body)",
        access: Access::User,
        params: &[
            SESSION_ID,
            Param {
                name: "rehearsalHash",
                location: Location::Query,
                kind: Scalar::String,
                description: "The hash of the rehearsal report you read (GET .../plan/rehearsal): approve \
                              only if the rehearsal is still that one (409 `rehearsal_changed` otherwise).",
            },
        ],
        request: None,
        responses: &[
            ok(200, "the approved plan", Content::Json("Plan")),
            error(400, "an unknown query parameter (`invalid_field`)"),
            UNAUTHORIZED,
            SESSION_NOT_FOUND,
            error(
                409,
                "the session has no plan yet, the plan is not draft or pending_approval (`conflict`), \
                 or the rehearsal is not the one named by `rehearsalHash` (`rehearsal_changed`)",
            ),
            INTERNAL,
        ],
    },
    Route {
        method: Method::Post,
        path: "/api/sessions/{id}/plan/execute-node",
        operation_id: "executeNode",
        summary: "Start one node of the current plan in the background; returns its correlation id",
        access: Access::User,
        params: &[SESSION_ID],
        request: json_body("ExecuteNodeRequest"),
        responses: &[
            ok(202, "accepted", Content::Json("ExecutionAccepted")),
            BAD_BODY,
            UNAUTHORIZED,
            error(403, "`mode: live` from a caller who is not an operator"),
            error(
                404,
                "no such session (or not the caller's), or no such node in the current plan",
            ),
            error(
                409,
                "no plan (`no_plan`), a live run of an unapproved or changed plan (`plan_not_approved`), or \
                 a dependency that has not completed (`dependencies_incomplete`)",
            ),
            TOO_LARGE,
            OVER_BUDGET,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/sessions/{id}/events",
        operation_id: "sessionEvents",
        summary: "Follow the session's events: replay after `Last-Event-ID` (or `after`), then live",
        access: Access::User,
        params: &[
            SESSION_ID,
            Param {
                name: "after",
                location: Location::Query,
                kind: Scalar::Integer,
                description: "Replay events after this sequence number; `Last-Event-ID` wins if both \
                              are sent.",
            },
            Param {
                name: "Last-Event-ID",
                location: Location::Header,
                kind: Scalar::Integer,
                description: "The `id` of the last event seen (a sequence number), as browsers send \
                              on reconnect.",
            },
        ],
        request: None,
        responses: &[
            ok(
                200,
                "an endless SSE stream: each event's `id` is its sequence number, its `event` its kind, its \
                 `data` a SessionEvent; a keep-alive comment every 15 s",
                Content::EventStream(&[SseEvent {
                    names: SESSION_EVENT_KINDS,
                    data: Some("SessionEvent"),
                }]),
            ),
            error(
                400,
                "`Last-Event-ID` or `after` is not a sequence number (`invalid_field`)",
            ),
            UNAUTHORIZED,
            SESSION_NOT_FOUND,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/sessions/{id}/artifacts",
        operation_id: "listSessionArtifacts",
        summary: "The metadata of the session's artifacts",
        access: Access::User,
        params: &[SESSION_ID],
        request: None,
        responses: &[
            ok(200, "the artifacts", Content::Json("ArtifactList")),
            UNAUTHORIZED,
            SESSION_NOT_FOUND,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/executions/{id}",
        operation_id: "showExecution",
        summary: "One execution: status, steps, effects and artifacts",
        access: Access::User,
        params: &[path("id", "The execution's correlation id.")],
        request: None,
        responses: &[
            ok(200, "the execution", Content::Json("Execution")),
            UNAUTHORIZED,
            error(404, "no such execution, or its session is not the caller's"),
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/artifacts/{id}",
        operation_id: "downloadArtifact",
        summary: "An artifact's content, as an attachment in its own media type",
        access: Access::User,
        params: &[path("id", "The artifact id.")],
        request: None,
        responses: &[
            ok(
                200,
                "the content, with `Content-Disposition: attachment` and \
                 `X-Content-Type-Options: nosniff`",
                Content::AnyBytes,
            ),
            UNAUTHORIZED,
            error(404, "no such artifact, or its session is not the caller's"),
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/openapi.json",
        operation_id: "openapi",
        summary: "This document",
        access: Access::Public,
        params: &[],
        request: None,
        responses: &[ok(
            200,
            "the OpenAPI 3.1 document",
            Content::Json("OpenApiDocument"),
        )],
    },
];
