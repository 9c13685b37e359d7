//! The route table of Mojodex compatibility (seed 003): its log-in and workflow routes. They take the token
//! raw in `Authorization` (a `Bearer ` prefix is read too) and answer a missing or unknown one with 403;
//! errors are `{error: message}`. The Socket.IO endpoint (`/socket.io/`) is a layer, not a route: see
//! docs/mojodex.md.

use super::{Access, Content, Location, Method, Param, Reply, RequestBody, Route, Scalar, ok};

const fn mojodex_error(status: u16, description: &'static str) -> Reply {
    Reply {
        status,
        description,
        content: Content::Json("MojodexError"),
    }
}

const NO_TOKEN: Reply = mojodex_error(
    403,
    "no token in `Authorization`, or an unknown or revoked one (Mojodex answers 403, not 401)",
);
const TOO_LARGE: Reply = mojodex_error(413, "the body is larger than the server accepts (1 MiB)");
const OVER_BUDGET_MOJODEX: Reply = mojodex_error(
    429,
    "the caller's request budget is spent (the policy's `[budgets]`, per token); `Retry-After` says in how \
     many seconds the next request passes",
);
const INTERNAL: Reply = mojodex_error(500, "a fault on the server; the cause is in its log");

const DATETIME: Param = Param {
    name: "datetime",
    location: Location::Query,
    kind: Scalar::String,
    description: "The client's time, as Mojodex sends it; required, not interpreted.",
};
const EXECUTION_PK: Param = Param {
    name: "user_workflow_execution_pk",
    location: Location::Query,
    kind: Scalar::Integer,
    description: "The execution (POST /user_workflow_execution gave it).",
};

const fn body(schema: &'static str) -> Option<RequestBody> {
    Some(RequestBody {
        schema,
        media_type: "application/json",
        required: true,
    })
}

/// The Mojodex routes.
pub(super) const ROUTES: &[Route] = &[
    Route {
        method: Method::Post,
        path: "/user",
        operation_id: "mojodexLogin",
        summary: "Mojodex log-in: a Drydock username (in `email`) and password for a token (an ordinary API token, revocable)",
        access: Access::Public,
        params: &[],
        request: body("MojodexLoginRequest"),
        responses: &[
            ok(200, "a new token", Content::Json("MojodexLogin")),
            mojodex_error(
                400,
                "a field is missing or not a string, `login_method` is not `email_password`, or the username or password is wrong (`Wrong email or password.`)",
            ),
            TOO_LARGE,
            mojodex_error(
                429,
                "too many failed sign-ins for this account or from this address; `Retry-After` says when to try again",
            ),
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/user_workflow",
        operation_id: "mojodexUserWorkflows",
        summary: "Mojodex: the caller's workflows with their integers, inputs and steps (one of them with `user_workflow_pk`)",
        access: Access::Mojodex,
        params: &[
            DATETIME,
            Param {
                name: "platform",
                location: Location::Query,
                kind: Scalar::String,
                description: "Mojodex's platform name; ignored.",
            },
            Param {
                name: "version",
                location: Location::Query,
                kind: Scalar::String,
                description: "Mojodex's client version; ignored.",
            },
            Param {
                name: "user_workflow_pk",
                location: Location::Query,
                kind: Scalar::Integer,
                description: "Answer this one workflow instead of the list.",
            },
            Param {
                name: "n_user_workflows",
                location: Location::Query,
                kind: Scalar::Integer,
                description: "How many to list (at most 50, the default).",
            },
            Param {
                name: "offset",
                location: Location::Query,
                kind: Scalar::Integer,
                description: "How many to skip.",
            },
        ],
        request: None,
        responses: &[
            ok(
                200,
                "the workflows (`{user_workflows}`), or the one asked for",
                Content::Json("MojodexUserWorkflowAnswer"),
            ),
            mojodex_error(
                400,
                "`datetime` is missing, or a number parameter is not one",
            ),
            NO_TOKEN,
            mojodex_error(404, "`user_workflow_pk` is not one of the caller's"),
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/user_workflow_execution",
        operation_id: "mojodexExecution",
        summary: "Mojodex: an execution, its status and the current step execution's results",
        access: Access::Mojodex,
        params: &[DATETIME, EXECUTION_PK],
        request: None,
        responses: &[
            ok(200, "the execution", Content::Json("MojodexExecution")),
            mojodex_error(
                400,
                "`datetime` or `user_workflow_execution_pk` is missing, or the pk is not a positive integer",
            ),
            NO_TOKEN,
            mojodex_error(404, "no such execution of the caller's"),
            INTERNAL,
        ],
    },
    Route {
        method: Method::Post,
        path: "/user_workflow_execution",
        operation_id: "mojodexCreateExecution",
        summary: "Mojodex: create an execution of a workflow (`{datetime, user_workflow_pk, platform}`, nothing runs), or start one (`{datetime, user_workflow_execution_pk, json_inputs}`, Mojodex's own start)",
        access: Access::Mojodex,
        params: &[],
        request: body("MojodexExecutionPost"),
        responses: &[
            ok(
                200,
                "the execution (created, or started and gone as far as it can without a person)",
                Content::Json("MojodexExecution"),
            ),
            mojodex_error(
                400,
                "the body is not a JSON object, a field is missing or of the wrong type, or an input is unknown, given twice or refused by the workflow",
            ),
            NO_TOKEN,
            mojodex_error(404, "the workflow or execution is not one of the caller's"),
            mojodex_error(409, "the execution has started already"),
            TOO_LARGE,
            OVER_BUDGET_MOJODEX,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Put,
        path: "/user_workflow_execution",
        operation_id: "mojodexStartExecution",
        summary: "Mojodex: start an execution with its inputs (`[{input_name, value}]` with `?user_workflow_execution_pk=N`, or `{datetime, user_workflow_execution_pk, json_inputs}`); `{datetime, user_workflow_pk, platform}` creates one, as Mojodex's backend does with PUT",
        access: Access::Mojodex,
        params: &[EXECUTION_PK],
        request: body("MojodexExecutionPut"),
        responses: &[
            ok(
                200,
                "the execution, started and gone as far as it can without a person (or created)",
                Content::Json("MojodexExecution"),
            ),
            mojodex_error(
                400,
                "the body is neither an inputs list nor a known object, the pk is missing or not a positive integer, or an input is unknown, given twice or refused by the workflow",
            ),
            NO_TOKEN,
            mojodex_error(404, "the workflow or execution is not one of the caller's"),
            mojodex_error(409, "the execution has started already"),
            TOO_LARGE,
            OVER_BUDGET_MOJODEX,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Post,
        path: "/user_workflow_step_execution",
        operation_id: "mojodexValidateStep",
        summary: "Mojodex: validate or reject a step waiting for a person (a rejection without Drydock's optional `feedback` ends the run; with it the step runs again)",
        access: Access::Mojodex,
        params: &[],
        request: body("MojodexStepValidation"),
        responses: &[
            ok(
                200,
                "done; the run has gone as far as it can",
                Content::Json("MojodexStepValidated"),
            ),
            mojodex_error(
                400,
                "the body is not a JSON object, or a field is missing or of the wrong type",
            ),
            NO_TOKEN,
            mojodex_error(404, "no such step execution of the caller's"),
            mojodex_error(409, "the step execution is not waiting for validation"),
            TOO_LARGE,
            INTERNAL,
        ],
    },
];
