//! The route table of FastAgency compatibility (seed 004): its three routes, token optional.

use super::{Access, Content, Method, OVER_BUDGET, Reply, Route, error, json_body, ok};

const WRONG_TOKEN: Reply = error(
    401,
    "an Authorization header was sent but its token is malformed, unknown or revoked (sending none is allowed)",
);
const INTERNAL: Reply = error(500, "a fault on the server; the cause is in its log");
/// Both discovery paths answer alike.
const DISCOVERY_REPLIES: &[Reply] = &[
    ok(200, "the workflows", Content::Json("FastAgencyWorkflows")),
    WRONG_TOKEN,
    INTERNAL,
];

/// The FastAgency routes.
pub(super) const ROUTES: &[Route] = &[
    Route {
        method: Method::Get,
        path: "/fastagency/discovery",
        operation_id: "fastagencyDiscovery",
        summary: "FastAgency discovery: the workflows the caller may run, `[{name, description}]` (public ones without a token)",
        access: Access::Optional,
        params: &[],
        request: None,
        responses: DISCOVERY_REPLIES,
    },
    Route {
        method: Method::Get,
        path: "//fastagency/discovery",
        operation_id: "fastagencyDiscoveryDoubleSlash",
        summary: "The same as /fastagency/discovery, at the path FastAgency's Python provider asks for (it joins URL and path with a second slash)",
        access: Access::Optional,
        params: &[],
        request: None,
        responses: DISCOVERY_REPLIES,
    },
    Route {
        method: Method::Post,
        path: "/fastagency/initiate_workflow",
        operation_id: "fastagencyInitiateWorkflow",
        summary: "FastAgency initiation: checks the workflow and returns fresh ids for the websocket's first frame; starts nothing",
        access: Access::Optional,
        params: &[],
        request: json_body("FastAgencyInitiate"),
        responses: &[
            ok(
                200,
                "what to send as the websocket's first frame",
                Content::Json("FastAgencyInitiated"),
            ),
            error(
                400,
                "the body is not JSON, `workflow_name` is missing, or `params` is not an object",
            ),
            WRONG_TOKEN,
            error(
                404,
                "no workflow of that name the caller may run (without a token: no public one)",
            ),
            error(413, "the body is larger than the server accepts (1 MiB)"),
            OVER_BUDGET,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/fastagency/ws",
        operation_id: "fastagencyWebsocket",
        summary: "FastAgency websocket: first frame `{name, workflow_uuid, user_id, params}` starts or resumes that run; the server sends IOMessages, the client answers questions with raw text",
        access: Access::Optional,
        params: &[],
        request: None,
        responses: &[
            ok(
                101,
                "switched to the websocket protocol; messages are FastAgency IOMessages",
                Content::Json("FastAgencyMessage"),
            ),
            error(400, "not a websocket upgrade request"),
            WRONG_TOKEN,
            OVER_BUDGET,
        ],
    },
];
