//! `GET /api/openapi.json`: the OpenAPI 3.1 document of this API, rendered from [`ROUTES`], one row per
//! registered route.
//!
//! The table is the single place to describe a route (method, path template, who may call it, parameters,
//! request body, every answer it can give); the component schemas it names live in [`schemas`]. The tests
//! read the `.route(...)` registrations out of the sources of `src/api/` and fail when the table and the
//! router disagree, so a new route cannot ship undocumented.

mod schemas;
#[cfg(test)]
mod tests;

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

use super::AppState;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(openapi))
}

async fn openapi() -> Json<Value> {
    Json(document())
}

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    /// No token needed.
    Public,
    /// Any authenticated caller (`Authorization: Bearer`).
    User,
    /// An authenticated caller with the operator role; others get 403.
    Operator,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    Get,
    Post,
    Put,
}

impl Method {
    /// The name as an OpenAPI path item key (and as axum's routing function).
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Location {
    Path,
    Query,
    Header,
}

#[derive(Clone, Copy)]
enum Scalar {
    String,
    Integer,
}

/// A path, query or header parameter. Path parameters are always required; the others never are.
struct Param {
    name: &'static str,
    location: Location,
    kind: Scalar,
    description: &'static str,
}

/// The body of a request: JSON described by a component schema.
struct RequestBody {
    schema: &'static str,
    /// False when the route also accepts no body at all.
    required: bool,
}

/// What a response body is.
enum Content {
    /// `application/json` described by a component schema.
    Json(&'static str),
    /// The Prometheus text exposition format.
    PrometheusText,
    /// Server-sent events whose `data` lines are JSON described by a component schema.
    EventStream(&'static str),
    /// Bytes in a media type chosen at run time (an artifact's own).
    AnyBytes,
}

/// One response a route can give.
struct Reply {
    status: u16,
    description: &'static str,
    content: Content,
}

/// One registered route.
struct Route {
    method: Method,
    path: &'static str,
    operation_id: &'static str,
    summary: &'static str,
    access: Access,
    params: &'static [Param],
    request: Option<RequestBody>,
    responses: &'static [Reply],
}

const fn path(name: &'static str, description: &'static str) -> Param {
    Param {
        name,
        location: Location::Path,
        kind: Scalar::String,
        description,
    }
}

const fn ok(status: u16, description: &'static str, content: Content) -> Reply {
    Reply {
        status,
        description,
        content,
    }
}

const fn error(status: u16, description: &'static str) -> Reply {
    Reply {
        status,
        description,
        content: Content::Json("Error"),
    }
}

const fn json_body(schema: &'static str) -> Option<RequestBody> {
    Some(RequestBody {
        schema,
        required: true,
    })
}

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

/// Every route of the API, in the order `api::app` merges them.
const ROUTES: &[Route] = &[
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
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/tools",
        operation_id: "listTools",
        summary: "The loaded tools with their input schemas, grants and whether they can go live",
        access: Access::User,
        params: &[],
        request: None,
        responses: &[
            ok(200, "the tools", Content::Json("ToolList")),
            UNAUTHORIZED,
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
            BAD_BODY,
            UNAUTHORIZED,
            error(403, "`mode: live` from a caller who is not an operator"),
            error(404, "no tool of that name is loaded"),
            TOO_LARGE,
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
        path: "/api/audit",
        operation_id: "listAudit",
        summary: "Audit rows in chain order, optionally of one execution",
        access: Access::Operator,
        params: &[
            Param {
                name: "correlationId",
                location: Location::Query,
                kind: Scalar::String,
                description: "Only rows of this execution.",
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
        summary: "Approve the current plan, freezing its content hash (no body)",
        access: Access::User,
        params: &[SESSION_ID],
        request: None,
        responses: &[
            ok(200, "the approved plan", Content::Json("Plan")),
            UNAUTHORIZED,
            SESSION_NOT_FOUND,
            error(
                409,
                "the session has no plan yet, or the plan is not draft or pending_approval \
                 (`conflict`)",
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
                Content::EventStream("SessionEvent"),
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

/// The whole document, rendered from [`ROUTES`] and [`schemas::all`].
fn document() -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        let item = paths
            .entry(route.path)
            .or_insert_with(|| Value::Object(Map::new()));
        item[route.method.as_str()] = operation(route);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Drydock",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Sandboxed tools, plans and their executions. Every `/api` route except login and \
                this document needs `Authorization: Bearer <token>`; errors are `{error: {code, message}}`.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from POST /api/auth/login (or `drydock user add`). Routes that \
                        need the operator role list `operator` in their security requirement.",
                },
            },
            "schemas": schemas::all(),
        },
    })
}

fn operation(route: &Route) -> Value {
    let responses: Map<String, Value> = route
        .responses
        .iter()
        .map(|reply| (reply.status.to_string(), response(reply)))
        .collect();
    let mut op = json!({
        "operationId": route.operation_id,
        "summary": route.summary,
        "tags": [tag(route.path)],
        "security": security(route.access),
        "responses": responses,
    });
    if route.access == Access::Operator {
        op["description"] = json!("Needs the operator role.");
    }
    if !route.params.is_empty() {
        op["parameters"] = route.params.iter().map(parameter).collect();
    }
    if let Some(body) = &route.request {
        op["requestBody"] = json!({
            "required": body.required,
            "content": { "application/json": { "schema": schema_ref(body.schema) } },
        });
    }
    op
}

/// The resource a path belongs to: `/healthz` → `healthz`, `/api/sessions/{id}` → `sessions`,
/// `/api/openapi.json` → `openapi`.
fn tag(path: &str) -> &str {
    let path = path.strip_prefix("/api").unwrap_or(path);
    path.trim_start_matches('/')
        .split(['/', '.'])
        .next()
        .unwrap_or_default()
}

/// OpenAPI 3.1 lets a non-OAuth requirement name roles; an empty list overrides any default to "none".
fn security(access: Access) -> Value {
    match access {
        Access::Public => json!([]),
        Access::User => json!([{ "bearerAuth": [] }]),
        Access::Operator => json!([{ "bearerAuth": ["operator"] }]),
    }
}

fn parameter(param: &Param) -> Value {
    let location = match param.location {
        Location::Path => "path",
        Location::Query => "query",
        Location::Header => "header",
    };
    let kind = match param.kind {
        Scalar::String => "string",
        Scalar::Integer => "integer",
    };
    json!({
        "name": param.name,
        "in": location,
        "required": param.location == Location::Path,
        "description": param.description,
        "schema": { "type": kind },
    })
}

fn response(reply: &Reply) -> Value {
    let content = match reply.content {
        Content::Json(schema) => json!({ "application/json": { "schema": schema_ref(schema) } }),
        Content::PrometheusText => json!({
            "text/plain; version=0.0.4": { "schema": { "type": "string" } },
        }),
        // OpenAPI 3.1 cannot type the events of a stream; `x-event-data` names the schema of each `data`.
        Content::EventStream(schema) => json!({
            "text/event-stream": {
                "schema": { "type": "string" },
                "x-event-data": schema_ref(schema),
            },
        }),
        Content::AnyBytes => json!({
            "*/*": {
                "schema": { "type": "string", "contentMediaType": "application/octet-stream" },
            },
        }),
    };
    json!({ "description": reply.description, "content": content })
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}
