//! The route table of signing out, users and tokens. Users are an operator's to list and add; tokens are
//! everyone's own (operators: anyone's).

use super::{Access, Content, Method, Reply, Route, error, json_body, ok, path};

const BAD_BODY: Reply = error(
    400,
    "the body is not JSON or not sent as JSON, or a field is missing, unknown or invalid (`invalid_field`, \
     naming it)",
);
const UNAUTHORIZED: Reply = error(
    401,
    "no token, or a malformed, unknown, expired or revoked one",
);
const NOT_OPERATOR: Reply = error(403, "the caller is not an operator");
const TOO_LARGE: Reply = error(413, "the body is larger than the server accepts (1 MiB)");
const INTERNAL: Reply = error(500, "a fault on the server; the cause is in its log");

/// The account routes.
pub(super) const ROUTES: &[Route] = &[
    Route {
        method: Method::Post,
        path: "/api/auth/logout",
        operation_id: "logout",
        summary: "Revoke the token this request carries (a console session or an API token); audited",
        access: Access::User,
        params: &[],
        request: None,
        responses: &[
            ok(204, "the token is revoked", Content::Empty),
            error(
                400,
                "the token is the server's bootstrap token, which lives in its environment",
            ),
            UNAUTHORIZED,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/users",
        operation_id: "listUsers",
        summary: "Every user, oldest first",
        access: Access::Operator,
        params: &[],
        request: None,
        responses: &[
            ok(200, "the users", Content::Json("UserList")),
            UNAUTHORIZED,
            NOT_OPERATOR,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Post,
        path: "/api/users",
        operation_id: "createUser",
        summary: "Add a user with a password and a role (no token: they sign in, or one is issued); audited",
        access: Access::Operator,
        params: &[],
        request: json_body("NewUser"),
        responses: &[
            ok(201, "the user", Content::Json("User")),
            error(
                400,
                "an invalid body, an unknown role, a username that is not 1-64 of a-z 0-9 _ . - (or is \
                 reserved), or a password that is empty or over 1024 bytes",
            ),
            UNAUTHORIZED,
            NOT_OPERATOR,
            error(409, "the username is taken (`conflict`)"),
            TOO_LARGE,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Get,
        path: "/api/tokens",
        operation_id: "listTokens",
        summary: "The tokens in force, oldest first: an operator's shows everyone's, a user's their own; never \
                  the tokens themselves",
        access: Access::User,
        params: &[],
        request: None,
        responses: &[
            ok(200, "the tokens", Content::Json("TokenList")),
            UNAUTHORIZED,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Post,
        path: "/api/tokens",
        operation_id: "issueToken",
        summary: "Issue a token that never expires, for the caller (or, for an operator, for `owner`); the \
                  token is in this answer only; audited",
        access: Access::User,
        params: &[],
        request: json_body("NewToken"),
        responses: &[
            ok(
                201,
                "the token, shown this once",
                Content::Json("IssuedToken"),
            ),
            BAD_BODY,
            UNAUTHORIZED,
            error(403, "a user naming someone else as `owner`"),
            error(404, "no user named `owner`"),
            TOO_LARGE,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Delete,
        path: "/api/tokens/{id}",
        operation_id: "revokeToken",
        summary: "Revoke a token by id (users: their own; operators: anyone's); audited",
        access: Access::User,
        params: &[path("id", "The token's id, from GET /api/tokens.")],
        request: None,
        responses: &[
            ok(
                200,
                "the token that was revoked",
                Content::Json("RevokedToken"),
            ),
            UNAUTHORIZED,
            error(
                404,
                "no such token, or (for a user) someone else's: the same answer, so ids cannot be probed",
            ),
            INTERNAL,
        ],
    },
];
