//! `GET /api/openapi.json`: the OpenAPI 3.1 document of this API, rendered from [`all_routes`], one row per
//! registered route.
//!
//! The table is the single place to describe a route (method, path template, who may call it, parameters,
//! request body, every answer it can give); the component schemas it names live in [`schemas`]. The tests
//! read the `.route(...)` registrations out of the sources of `src/api/` and fail when the table and the
//! router disagree, so a new route cannot ship undocumented.

mod routes;
mod routes_accounts;
mod routes_astonish;
mod routes_chat;
mod routes_fastagency;
mod routes_mcp;
mod routes_mojodex;
mod routes_plugins;
mod routes_rehearsals;
mod routes_runs;
mod routes_workflows;
mod schemas;
mod schemas_accounts;
mod schemas_astonish;
mod schemas_mojodex;
mod schemas_plugins;
mod schemas_rehearsals;
mod schemas_workflows;
#[cfg(test)]
mod tests;

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

use super::AppState;

/// Every route of the API: the main table, then the chat and settings table, then the workflows table.
fn all_routes() -> impl Iterator<Item = &'static Route> {
    routes::ROUTES
        .iter()
        .chain(routes_rehearsals::ROUTES)
        .chain(routes_accounts::ROUTES)
        .chain(routes_chat::ROUTES)
        .chain(routes_workflows::ROUTES)
        .chain(routes_runs::ROUTES)
        .chain(routes_fastagency::ROUTES)
        .chain(routes_astonish::ROUTES)
        .chain(routes_mojodex::ROUTES)
        .chain(routes_mcp::ROUTES)
        .chain(routes_plugins::ROUTES)
}

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
    /// A token if the caller has one (a wrong one is a 401); without one the caller is anonymous.
    Optional,
    /// Mojodex's routes: a token sent raw in `Authorization`; without one, or a wrong one, 403.
    Mojodex,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// The name as an OpenAPI path item key (and as axum's routing function).
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "get",
            Method::Post => "post",
            Method::Put => "put",
            Method::Patch => "patch",
            Method::Delete => "delete",
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

/// The body of a request: JSON (or YAML text) described by a component schema.
struct RequestBody {
    schema: &'static str,
    /// Its media type: `application/json`, or `application/yaml` for workflow documents.
    media_type: &'static str,
    /// False when the route also accepts no body at all.
    required: bool,
}

/// What a response body is.
enum Content {
    /// `application/json` described by a component schema.
    Json(&'static str),
    /// The Prometheus text exposition format.
    PrometheusText,
    /// Server-sent events: each event's `event` name and `data` as one of these kinds.
    EventStream(&'static [SseEvent]),
    /// Bytes in a media type chosen at run time (an artifact's own).
    AnyBytes,
    /// A document as `application/yaml` (the default) or, when `Accept` asks for it, `application/json`;
    /// the component schema describes the document either way.
    YamlOrJson(&'static str),
    /// A short body the MCP transport (rmcp) writes without a `Content-Type`: a line of text, or a
    /// JSON-RPC error object. Described in words only, since it names no media type to describe.
    TransportText,
    /// No body (204).
    Empty,
}

/// One kind of server-sent event: the `event` names it is sent under, and what its `data` line holds.
struct SseEvent {
    /// The `event` field's possible values; empty for any (a stream that sends unnamed `message` events).
    names: &'static [&'static str],
    /// The component schema of the `data` line, which is JSON text; `None` for text that another
    /// specification defines (MCP's JSON-RPC messages).
    data: Option<&'static str>,
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

/// The answer of a route that runs something once the caller's request budget is spent.
const OVER_BUDGET: Reply = error(
    429,
    "the caller's request budget is spent (`rate_limited`; the policy's `[budgets]`: per token, or per client \
     address without one); `Retry-After` says in how many seconds the next request passes",
);

const fn json_body(schema: &'static str) -> Option<RequestBody> {
    Some(RequestBody {
        schema,
        media_type: "application/json",
        required: true,
    })
}

/// The whole document, rendered from [`all_routes`] and [`schemas::all`].
fn document() -> Value {
    let mut paths = Map::new();
    for route in all_routes() {
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
                "mojodexToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "Mojodex's routes: the token itself (from POST /user, or any Drydock token), \
                        without `Bearer ` (which is accepted too).",
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
    if route.access == Access::Optional {
        op["description"] = json!(
            "A bearer token is optional: without one the caller is anonymous and reaches only workflows marked `public`."
        );
    }
    if route.access == Access::Mojodex {
        op["description"] = json!(
            "Mojodex compatibility (seed 003): send the token POST /user gave as `Authorization: <token>`; errors are `{error: message}`."
        );
    }
    if !route.params.is_empty() {
        op["parameters"] = route.params.iter().map(parameter).collect();
    }
    if let Some(body) = &route.request {
        op["requestBody"] = json!({
            "required": body.required,
            "content": Value::Object(Map::from_iter([(
                body.media_type.to_owned(),
                json!({ "schema": schema_ref(body.schema) }),
            )])),
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
        // An empty requirement object makes authentication optional.
        Access::Optional => json!([{}, { "bearerAuth": [] }]),
        Access::Mojodex => json!([{ "mojodexToken": [] }]),
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
        Content::EventStream(events) => json!({
            "text/event-stream": { "schema": event_stream(events) },
        }),
        Content::YamlOrJson(schema) => json!({
            "application/yaml": { "schema": schema_ref(schema) },
            "application/json": { "schema": schema_ref(schema) },
        }),
        Content::Empty | Content::TransportText => {
            return json!({ "description": reply.description });
        }
        Content::AnyBytes => json!({
            "*/*": {
                "schema": { "type": "string", "contentMediaType": "application/octet-stream" },
            },
        }),
    };
    json!({ "description": reply.description, "content": content })
}

/// The schema of one event of a stream, as OpenAPI 3.1 tools read `text/event-stream` (each event an
/// object of its `event`, `data`, `id` and `retry` fields): one alternative per kind of event, each `data`
/// JSON text whose shape `contentSchema` gives.
fn event_stream(events: &[SseEvent]) -> Value {
    let frames: Vec<Value> = events
        .iter()
        .map(|event| {
            let mut name = json!({ "type": "string" });
            if !event.names.is_empty() {
                name["enum"] = json!(event.names);
            }
            let data = match event.data {
                Some(schema) => json!({
                    "type": "string",
                    "contentMediaType": "application/json",
                    "contentSchema": schema_ref(schema),
                }),
                None => json!({ "type": "string" }),
            };
            json!({
                "type": "object",
                "required": ["event", "data"],
                "properties": {
                    "event": name,
                    "data": data,
                    "id": { "type": "string", "description": "Where the stream can resume (`Last-Event-ID`)." },
                    "retry": { "type": "integer", "minimum": 0 },
                },
            })
        })
        .collect();
    match <[Value; 1]>::try_from(frames) {
        Ok([frame]) => frame,
        Err(frames) => json!({ "oneOf": frames }),
    }
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}
