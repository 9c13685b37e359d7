//! The route table of the rehearsal contract: the "what will change" report of a plan and an operator's
//! review of a live write its rehearsal did not show.

use super::{Access, Content, Method, Reply, Route, error, json_body, ok, path};

const UNAUTHORIZED: Reply = error(
    401,
    "no `Authorization: Bearer` token, or an unknown or revoked one",
);
const INTERNAL: Reply = error(500, "a fault on the server; the cause is in its log");

/// The rehearsal routes.
pub(super) const ROUTES: &[Route] = &[
    Route {
        method: Method::Get,
        path: "/api/sessions/{id}/plan/rehearsal",
        operation_id: "showPlanRehearsal",
        summary: "What will change: the simulated writes of the current plan's rehearsal (the newest \
                  completed dry run of each node), grouped by node, capability and target, with file diffs; \
                  its hash is what an approval binds",
        access: Access::User,
        params: &[path("id", "The session id.")],
        request: None,
        responses: &[
            ok(
                200,
                "the rehearsal report",
                Content::Json("RehearsalReport"),
            ),
            UNAUTHORIZED,
            error(404, "no such session, or it is not the caller's"),
            error(409, "the session has no plan yet (`no_plan`)"),
            INTERNAL,
        ],
    },
    Route {
        method: Method::Post,
        path: "/api/executions/{id}/review",
        operation_id: "reviewExecution",
        summary: "Answer a live write that the approved rehearsal did not show: perform it once \
                  (`allowOnce`) or leave it unperformed and stop the step (`stop`)",
        access: Access::Operator,
        params: &[path("id", "The execution's correlation id.")],
        request: json_body("ReviewRequest"),
        responses: &[
            ok(
                200,
                "the decision was passed on",
                Content::Json("ReviewAnswer"),
            ),
            error(
                400,
                "the body is not JSON (`invalid_json`), not sent as JSON (`invalid_content_type`), or a \
                 field is missing, unknown or invalid (`invalid_field`)",
            ),
            UNAUTHORIZED,
            error(403, "the caller is not an operator"),
            error(404, "no such execution"),
            error(
                409,
                "the execution holds no write for review (`nothing_to_review`)",
            ),
            error(413, "the body is larger than the server accepts (1 MiB)"),
            INTERNAL,
        ],
    },
];
