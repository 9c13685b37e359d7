//! The route table of the MCP face: the streamable HTTP transport at `/mcp` (JSON-RPC messages of the Model
//! Context Protocol, answered as JSON or server-sent events) and the RFC 9728 protected-resource metadata.

use super::{Access, Content, Method, Reply, Route, error, json_body, ok};

const UNAUTHORIZED: Reply = error(
    401,
    "no valid bearer token; `WWW-Authenticate: Bearer resource_metadata=\"…/.well-known/oauth-protected-resource\"` \
     says where the protected-resource metadata is",
);
const FOREIGN_ORIGIN: Reply = error(403, "the request's `Origin` is another site's");
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
                Content::EventStream("JsonRpcMessage"),
            ),
            ok(
                202,
                "a notification or response was accepted",
                Content::Empty,
            ),
            error(
                400,
                "not a JSON-RPC message for this session, or a bad MCP header",
            ),
            UNAUTHORIZED,
            FOREIGN_ORIGIN,
            error(413, "the body is larger than 1 MiB"),
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
            ok(
                200,
                "server-sent MCP messages",
                Content::EventStream("JsonRpcMessage"),
            ),
            UNAUTHORIZED,
            FOREIGN_ORIGIN,
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
            UNAUTHORIZED,
            FOREIGN_ORIGIN,
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
