//! The route table of the MCP face: the streamable HTTP transport at `/mcp` (JSON-RPC messages of the Model
//! Context Protocol, answered as JSON or server-sent events) and the RFC 9728 protected-resource metadata.

use super::{Access, Content, Method, Reply, Route, SseEvent, error, json_body, ok};

const UNAUTHORIZED: Reply = error(
    401,
    "no valid bearer token; `WWW-Authenticate: Bearer resource_metadata=\"…/.well-known/oauth-protected-resource\"` \
     says where the protected-resource metadata is",
);
const FOREIGN_ORIGIN: Reply = error(403, "the request's `Origin` is another site's");
/// MCP messages as server-sent events: unnamed (`message`) events whose `data` is a JSON-RPC message (or
/// empty, for the priming event of a resumable stream).
const MCP_EVENTS: Content = Content::EventStream(&[SseEvent {
    names: &[],
    data: None,
}]);
/// What rmcp's transport answers by itself, with a line of text and no `Content-Type` (a JSON-RPC error
/// object for a body that does not parse).
const fn transport(status: u16, description: &'static str) -> Reply {
    ok(status, description, Content::TransportText)
}
const NO_SESSION: Reply = transport(
    404,
    "no session by that `Mcp-Session-Id` (it ended, or never was)",
);
const NOT_ACCEPTABLE: Reply = transport(
    406,
    "`Accept` does not name what this transport answers with (`text/event-stream`, and for POST also \
     `application/json`)",
);
const METADATA_REPLIES: &[Reply] = &[ok(
    200,
    "the protected-resource metadata of `/mcp`",
    Content::Json("ProtectedResourceMetadata"),
)];

/// The MCP routes.
pub(super) const ROUTES: &[Route] = &[
    Route {
        method: Method::Post,
        path: "/mcp",
        operation_id: "mcpPost",
        summary: "MCP streamable HTTP: one JSON-RPC message (initialize, tools/list, tools/call — always a \
                  dry run —, resources/list|read, ping...); answered as JSON or an event stream",
        access: Access::User,
        params: &[],
        request: json_body("JsonRpcMessage"),
        responses: &[
            ok(
                200,
                "the JSON-RPC answer (or a stream of messages ending with it)",
                MCP_EVENTS,
            ),
            ok(
                202,
                "a notification or response was accepted",
                Content::Empty,
            ),
            transport(
                400,
                "not a JSON-RPC message (a JSON-RPC parse error), no `Mcp-Session-Id` where one is needed, or \
                 a bad MCP header",
            ),
            UNAUTHORIZED,
            FOREIGN_ORIGIN,
            NO_SESSION,
            NOT_ACCEPTABLE,
            error(413, "the body is larger than 1 MiB"),
            transport(
                415,
                "the body is not sent as JSON, or is JSON but not a JSON-RPC message",
            ),
            Reply {
                status: 429,
                description: "the token's request budget is spent: each `tools/call` costs one (other \
                              methods are free); a JSON-RPC error (code -32000) answering the request's id, \
                              and `Retry-After` says in how many seconds the next call passes",
                content: Content::Json("JsonRpcMessage"),
            },
        ],
    },
    Route {
        method: Method::Get,
        path: "/mcp",
        operation_id: "mcpStream",
        summary: "MCP streamable HTTP: the session's stream of server messages (tools/list_changed...)",
        access: Access::User,
        params: &[],
        request: None,
        responses: &[
            ok(200, "server-sent MCP messages", MCP_EVENTS),
            transport(400, "no `Mcp-Session-Id`, or a bad MCP header"),
            UNAUTHORIZED,
            FOREIGN_ORIGIN,
            NO_SESSION,
            transport(
                405,
                "this transport keeps no standalone stream (stateless mode)",
            ),
            NOT_ACCEPTABLE,
            transport(409, "the session already has its standalone stream open"),
        ],
    },
    Route {
        method: Method::Delete,
        path: "/mcp",
        operation_id: "mcpEndSession",
        summary: "MCP streamable HTTP: ends the session named by `Mcp-Session-Id`",
        access: Access::User,
        params: &[],
        request: None,
        responses: &[
            ok(202, "the session is closed", Content::Empty),
            transport(400, "no `Mcp-Session-Id`"),
            UNAUTHORIZED,
            FOREIGN_ORIGIN,
            NO_SESSION,
            transport(405, "this transport keeps no sessions (stateless mode)"),
        ],
    },
    Route {
        method: Method::Get,
        path: "/.well-known/oauth-protected-resource",
        operation_id: "protectedResourceMetadata",
        summary: "RFC 9728 metadata of the MCP endpoint: the resource and how to send its bearer token",
        access: Access::Public,
        params: &[],
        request: None,
        responses: METADATA_REPLIES,
    },
    Route {
        method: Method::Get,
        path: "/.well-known/oauth-protected-resource/mcp",
        operation_id: "protectedResourceMetadataOfMcp",
        summary: "The same metadata at the path-suffixed location RFC 9728 §3.1 also defines",
        access: Access::Public,
        params: &[],
        request: None,
        responses: METADATA_REPLIES,
    },
];
