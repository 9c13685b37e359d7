//! The route table of Astonish compatibility (seed 002): the studio's routes. No token needed (the
//! console's cookie, or anonymous on public workflows); a wrong bearer token is still a 401. Errors are
//! Astonish's `{error: "..."}` (`AstonishError`), not the native envelope.

use super::{Access, Content, Method, Param, Reply, Route, SseEvent, json_body, ok, path};

const fn studio_error(status: u16, description: &'static str) -> Reply {
    Reply {
        status,
        description,
        content: Content::Json("AstonishError"),
    }
}

const WRONG_TOKEN: Reply = studio_error(
    401,
    "an Authorization header was sent but its token is malformed, unknown or revoked (sending none is allowed)",
);
const BAD_BODY: Reply = studio_error(
    400,
    "the body is not JSON, not sent as JSON, or a field is missing or of the wrong type",
);
const TOO_LARGE: Reply = studio_error(413, "the body is larger than the server accepts");
const INTERNAL: Reply = studio_error(500, "a fault on the server; the cause is in its log");
const OVER_BUDGET: Reply = studio_error(
    429,
    "the caller's request budget is spent (per token or console session, or per client address without one); `Retry-After` says when the next request passes",
);
const NAME: Param = path("name", "The flow's (workflow's) name.");
const SESSION: Param = path("id", "The studio's session id (its `sessionId`).");
const NO_SESSION: Reply = studio_error(
    404,
    "no studio session of that id for this caller (ended and stopped, idled out, or another caller's)",
);

/// What `POST /api/chat` streams: each message's `event` name and its data, told apart by their keys.
const CHAT_EVENTS: &[SseEvent] = &[
    SseEvent {
        names: &["ping", "status"],
        data: Some("AstonishStreamStatus"),
    },
    SseEvent {
        names: &["text"],
        data: Some("AstonishText"),
    },
    SseEvent {
        names: &["node"],
        data: Some("AstonishNode"),
    },
    SseEvent {
        names: &["input_request"],
        data: Some("AstonishInputRequest"),
    },
    SseEvent {
        names: &["tool_auto_approved"],
        data: Some("AstonishToolAutoApproved"),
    },
    SseEvent {
        names: &["error_info"],
        data: Some("AstonishErrorInfo"),
    },
    SseEvent {
        names: &["state"],
        data: Some("AstonishState"),
    },
    SseEvent {
        names: &["error"],
        data: Some("AstonishError"),
    },
    SseEvent {
        names: &["done"],
        data: Some("AstonishDone"),
    },
];

/// The Astonish routes.
pub(super) const ROUTES: &[Route] = &[
    Route {
        method: Method::Get,
        path: "/api/agents",
        operation_id: "astonishListAgents",
        summary: "Astonish studio: the flows (workflows) the caller may see, `{agents: [{id, name, description, source}]}`",
        access: Access::Optional,
        params: &[],
        request: None,
        responses: &[
            ok(200, "the flows", Content::Json("AstonishAgents")),
            WRONG_TOKEN,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/agents/{name}",
        operation_id: "astonishGetAgent",
        summary: "Astonish studio: one flow's YAML as stored (the studio's kept layout after it) and as JSON",
        access: Access::Optional,
        params: &[NAME],
        request: None,
        responses: &[
            ok(200, "the flow", Content::Json("AstonishAgent")),
            WRONG_TOKEN,
            studio_error(404, "no flow of that name the caller may see"),
            INTERNAL,
        ],
    },
    Route {
        method: Method::Put,
        path: "/api/agents/{name}",
        operation_id: "astonishSaveAgent",
        summary: "Astonish studio: save a flow (operators); its `layout:` block is kept beside the workflow, an unchanged document keeps its text",
        access: Access::Optional,
        params: &[NAME],
        request: json_body("AstonishSaveAgent"),
        responses: &[
            ok(200, "saved", Content::Json("AstonishSaved")),
            studio_error(
                400,
                "the body is not `{yaml}`, or the flow is not a valid workflow (every problem with its line)",
            ),
            WRONG_TOKEN,
            studio_error(
                403,
                "the caller may not change workflows (not an operator): the flow is read-only",
            ),
            TOO_LARGE,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Delete,
        path: "/api/agents/{name}",
        operation_id: "astonishDeleteAgent",
        summary: "Astonish studio: delete a flow (operators)",
        access: Access::Optional,
        params: &[NAME],
        request: None,
        responses: &[
            ok(200, "deleted", Content::Json("AstonishDeleted")),
            WRONG_TOKEN,
            studio_error(403, "the caller may not change workflows (not an operator)"),
            studio_error(404, "no flow of that name"),
            INTERNAL,
        ],
    },
    Route {
        method: Method::Post,
        path: "/api/chat",
        operation_id: "astonishChat",
        summary: "Astonish studio: start (first request of a `sessionId`) or continue (`message` answers) a run; its messages as SSE, ending with `done`",
        access: Access::Optional,
        params: &[],
        request: json_body("AstonishChatRequest"),
        responses: &[
            ok(
                200,
                "the run's messages; problems of the run itself arrive as `error` messages in the stream",
                Content::EventStream(CHAT_EVENTS),
            ),
            studio_error(
                400,
                "the body is not JSON, a field has the wrong type, or agentId, sessionId or message is empty or too long",
            ),
            WRONG_TOKEN,
            TOO_LARGE,
            OVER_BUDGET,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Post,
        path: "/api/session/{id}/stop",
        operation_id: "astonishStopSession",
        summary: "Astonish studio: end a session (its run is cancelled if it still waits)",
        access: Access::Optional,
        params: &[SESSION],
        request: None,
        responses: &[
            ok(200, "stopped", Content::Json("AstonishStopped")),
            WRONG_TOKEN,
            NO_SESSION,
        ],
    },
    Route {
        method: Method::Post,
        path: "/api/session/{id}/keepalive",
        operation_id: "astonishKeepSessionAlive",
        summary: "Astonish studio: keep a session from idling out",
        access: Access::Optional,
        params: &[SESSION],
        request: None,
        responses: &[
            ok(200, "kept", Content::Json("AstonishKept")),
            WRONG_TOKEN,
            NO_SESSION,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/settings/config",
        operation_id: "astonishGetSettings",
        summary: "Astonish studio: the LLM settings in Astonish's shape, keys masked (others than operators: the model in use only)",
        access: Access::Optional,
        params: &[],
        request: None,
        responses: &[
            ok(200, "the settings", Content::Json("AstonishSettings")),
            WRONG_TOKEN,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Put,
        path: "/api/settings/config",
        operation_id: "astonishPutSettings",
        summary: "Astonish studio: change the LLM settings (operators); `****` values and empty ones keep what is stored",
        access: Access::Optional,
        params: &[],
        request: json_body("AstonishSettingsUpdate"),
        responses: &[
            ok(200, "applied", Content::Json("AstonishOk")),
            studio_error(
                400,
                "the body is not JSON, or a section, field or value is not one Drydock takes",
            ),
            WRONG_TOKEN,
            studio_error(403, "the caller is not an operator"),
            TOO_LARGE,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/settings/status",
        operation_id: "astonishSetupStatus",
        summary: "Astonish studio: whether set-up is needed (never: Drydock works without a language model)",
        access: Access::Optional,
        params: &[],
        request: None,
        responses: &[
            ok(200, "the status", Content::Json("AstonishSetupStatus")),
            WRONG_TOKEN,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/settings/mcp",
        operation_id: "astonishGetMcpSettings",
        summary: "Astonish studio: native MCP servers (none: every Drydock tool is a sandboxed plugin)",
        access: Access::Optional,
        params: &[],
        request: None,
        responses: &[
            ok(200, "no servers", Content::Json("AstonishMcpSettings")),
            WRONG_TOKEN,
        ],
    },
    Route {
        method: Method::Put,
        path: "/api/settings/mcp",
        operation_id: "astonishPutMcpSettings",
        summary: "Astonish studio: adding native MCP servers is refused with the reason; an empty list is accepted",
        access: Access::Optional,
        params: &[],
        request: json_body("AstonishMcpSettings"),
        responses: &[
            ok(200, "nothing to add", Content::Json("AstonishOk")),
            BAD_BODY,
            WRONG_TOKEN,
            TOO_LARGE,
            studio_error(
                422,
                "Drydock runs no MCP server processes on the host; install the tool as a plugin",
            ),
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/settings/providers/effective",
        operation_id: "astonishEffectiveProviders",
        summary: "Astonish studio: the providers the caller may use, `{providers: {id: {type, model}}, default_provider, default_model}` (no URL or key)",
        access: Access::Optional,
        params: &[],
        request: None,
        responses: &[
            ok(
                200,
                "the providers",
                Content::Json("AstonishEffectiveProviders"),
            ),
            WRONG_TOKEN,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/user-settings/default-model",
        operation_id: "astonishUserDefaultModel",
        summary: "Astonish studio: the server's model in use, `{defaultProvider, defaultModel}` (Drydock has no per-user default)",
        access: Access::Optional,
        params: &[],
        request: None,
        responses: &[
            ok(
                200,
                "the model in use",
                Content::Json("AstonishUserDefaultModel"),
            ),
            WRONG_TOKEN,
        ],
    },
    Route {
        method: Method::Patch,
        path: "/api/user-settings/default-model",
        operation_id: "astonishSetUserDefaultModel",
        summary: "Astonish studio: the model in use (or nothing) is accepted; another is refused with the reason (Drydock has no per-user default)",
        access: Access::Optional,
        params: &[],
        request: json_body("AstonishUserDefaultModelChange"),
        responses: &[
            ok(
                200,
                "unchanged: the model in use",
                Content::Json("AstonishUserDefaultModel"),
            ),
            BAD_BODY,
            WRONG_TOKEN,
            TOO_LARGE,
            studio_error(
                422,
                "Drydock has one default model, set by operators; choose a model per run instead",
            ),
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/studio/sessions",
        operation_id: "astonishChatSessions",
        summary: "Astonish studio: its own chat agent's conversations, always `[]` (that agent has no Drydock counterpart)",
        access: Access::Optional,
        params: &[],
        request: None,
        responses: &[
            ok(200, "no conversations", Content::Json("AstonishEmptyList")),
            WRONG_TOKEN,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/tools/web-capable",
        operation_id: "astonishWebCapableTools",
        summary: "Astonish studio: its web search and extract tools (native MCP servers), always empty here",
        access: Access::Optional,
        params: &[],
        request: None,
        responses: &[
            ok(200, "none", Content::Json("AstonishWebCapableTools")),
            WRONG_TOKEN,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/standard-servers",
        operation_id: "astonishStandardServers",
        summary: "Astonish studio: its installable MCP servers, always `{servers: []}` (Drydock runs no MCP server processes)",
        access: Access::Optional,
        params: &[],
        request: None,
        responses: &[
            ok(200, "none", Content::Json("AstonishStandardServers")),
            WRONG_TOKEN,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/version",
        operation_id: "astonishVersion",
        summary: "Astonish studio: `{version: \"dev\", drydock}` (`dev` keeps the studio from offering Astonish releases)",
        access: Access::Optional,
        params: &[],
        request: None,
        responses: &[
            ok(200, "the version", Content::Json("AstonishVersion")),
            WRONG_TOKEN,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/sandbox/status",
        operation_id: "astonishSandboxStatus",
        summary: "Astonish studio: the sandbox (Drydock's WebAssembly sandbox, always on)",
        access: Access::Optional,
        params: &[],
        request: None,
        responses: &[
            ok(200, "the sandbox", Content::Json("AstonishSandboxStatus")),
            WRONG_TOKEN,
        ],
    },
    Route {
        method: Method::Post,
        path: "/api/ai/chat",
        operation_id: "astonishAssistant",
        summary: "Astonish studio's flow assistant through the configured language model; a proposed flow is checked by the validator (up to 3 repairs). With `Accept: text/event-stream`, the same as `status`, `chunk`, `complete` events",
        access: Access::Optional,
        params: &[],
        request: json_body("AstonishAssistantRequest"),
        responses: &[
            ok(
                200,
                "the assistant's answer",
                Content::Json("AstonishAssistantAnswer"),
            ),
            studio_error(
                400,
                "the body is not JSON, a field has the wrong type, or the message is empty or too long",
            ),
            WRONG_TOKEN,
            studio_error(
                403,
                "anonymous callers may not use the server's language model",
            ),
            TOO_LARGE,
            OVER_BUDGET,
            studio_error(502, "the language model failed"),
            INTERNAL,
        ],
    },
];
