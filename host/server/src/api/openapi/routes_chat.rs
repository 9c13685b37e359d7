//! The route table of the chat face (seed 000) and the settings: the same kind of rows as `routes.rs`,
//! kept apart so each table stays readable.

use super::{Access, Content, Method, Param, Reply, Route, SseEvent, error, json_body, ok, path};

const BAD_BODY: Reply = error(
    400,
    "the body is not JSON (`invalid_json`), or a field is missing, unknown or invalid (`invalid_field`)",
);
const UNAUTHORIZED: Reply = error(
    401,
    "no `Authorization: Bearer` token, or an unknown or revoked one",
);
const NOT_OPERATOR: Reply = error(403, "the caller is not an operator");
const TOO_LARGE: Reply = error(413, "the body is larger than the server accepts (1 MiB)");
const INTERNAL: Reply = error(500, "a fault on the server; the cause is in its log");
const TASK_ID: Param = path("id", "The task id.");

/// The chat and settings routes.
pub(super) const ROUTES: &[Route] = &[
    Route {
        method: Method::Post,
        path: "/api/v1/chat",
        operation_id: "chat",
        summary: "Send a message to the agent: a request, requirements, a change, approve, cancel, status or a question",
        access: Access::User,
        params: &[],
        request: json_body("ChatRequest"),
        responses: &[
            ok(200, "the agent's answer", Content::Json("ChatReply")),
            BAD_BODY,
            UNAUTHORIZED,
            error(
                403,
                "`mode: live` on an approval by a caller who is not an operator",
            ),
            error(
                404,
                "no such conversation for this `user_id` (or it is not the caller's)",
            ),
            error(
                409,
                "`plan_stale`: the approval named a plan version that is no longer the task's plan",
            ),
            TOO_LARGE,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Post,
        path: "/api/v1/chat/stream",
        operation_id: "chatStream",
        summary: "The same as POST /api/v1/chat, answered as SSE: `progress` and `token` events, then `done` (the ChatReply) or `error`",
        access: Access::User,
        params: &[],
        request: json_body("ChatRequest"),
        responses: &[
            ok(
                200,
                "an SSE stream of `progress` and `token` events ending with `done` (data: ChatReply) or `error` \
                 (data: Error, for what the agent meets on the way: a live approval by a non-operator, a stale \
                 plan version). A request that cannot start is answered before any stream, as a JSON error",
                Content::EventStream(&[
                    SseEvent {
                        names: &["progress"],
                        data: Some("ChatProgress"),
                    },
                    SseEvent {
                        names: &["token"],
                        data: Some("ChatToken"),
                    },
                    SseEvent {
                        names: &["done"],
                        data: Some("ChatReply"),
                    },
                    SseEvent {
                        names: &["error"],
                        data: Some("Error"),
                    },
                ]),
            ),
            BAD_BODY,
            UNAUTHORIZED,
            error(
                404,
                "no such conversation for this `user_id` (or it is not the caller's)",
            ),
            TOO_LARGE,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/v1/tasks",
        operation_id: "listTasks",
        summary: "The tasks of the caller's conversations, newest first",
        access: Access::User,
        params: &[Param {
            name: "user_id",
            location: super::Location::Query,
            kind: super::Scalar::String,
            description: "Only the tasks of conversations started with this `user_id`.",
        }],
        request: None,
        responses: &[
            ok(200, "the tasks", Content::Json("TaskList")),
            error(400, "an unknown query parameter (`invalid_field`)"),
            UNAUTHORIZED,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/v1/tasks/{id}",
        operation_id: "getTask",
        summary: "One task: status, description, steps (with outcomes once run), plan version and approval",
        access: Access::User,
        params: &[TASK_ID],
        request: None,
        responses: &[
            ok(200, "the task", Content::Json("Task")),
            UNAUTHORIZED,
            error(404, "no such task, or it is not the caller's"),
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/v1/conversations/{id}/messages",
        operation_id: "conversationMessages",
        summary: "A conversation's messages, oldest first",
        access: Access::User,
        params: &[
            path("id", "The conversation id."),
            Param {
                name: "limit",
                location: super::Location::Query,
                kind: super::Scalar::Integer,
                description: "At most this many of the newest messages (default 100, at most 1000).",
            },
        ],
        request: None,
        responses: &[
            ok(200, "the messages", Content::Json("ConversationMessages")),
            error(
                400,
                "`limit` is not a number, or an unknown query parameter (`invalid_field`)",
            ),
            UNAUTHORIZED,
            error(404, "no such conversation, or it is not the caller's"),
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/settings",
        operation_id: "getSettings",
        summary: "The LLM providers (API keys masked), the default provider and model, and which is active",
        access: Access::Operator,
        params: &[],
        request: None,
        responses: &[
            ok(200, "the settings", Content::Json("Settings")),
            UNAUTHORIZED,
            NOT_OPERATOR,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Put,
        path: "/api/settings",
        operation_id: "putSettings",
        summary: "Replace the LLM settings; applied at once to the agent and to plugins granted `llm`",
        access: Access::Operator,
        params: &[],
        request: json_body("SettingsUpdate"),
        responses: &[
            ok(
                200,
                "the settings now (keys masked)",
                Content::Json("Settings"),
            ),
            BAD_BODY,
            UNAUTHORIZED,
            NOT_OPERATOR,
            TOO_LARGE,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/providers/{id}/models",
        operation_id: "providerModels",
        summary: "Ask a configured provider which models it offers (operators); Astonish's studio (`X-Requested-With: XMLHttpRequest`, no token needed) gets `{provider, models}` with the models it may choose, never a 401, 404 or 5xx",
        access: Access::Optional,
        params: &[path("id", "The provider id from the settings.")],
        request: None,
        responses: &[
            ok(
                200,
                "the provider's models",
                Content::Json("ProviderModels"),
            ),
            error(
                401,
                "no token, console session or `X-Requested-With: XMLHttpRequest`, or an unknown or revoked token",
            ),
            NOT_OPERATOR,
            error(404, "no provider with this id in the settings"),
            error(
                502,
                "the provider could not be reached, refused, or answered garbage (`upstream_failed`)",
            ),
            INTERNAL,
        ],
    },
];
