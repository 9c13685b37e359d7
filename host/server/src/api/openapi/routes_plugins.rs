//! The route table of installed plugins (packages): list, inspect, install, upgrade, grant, remove.
//! Operators only.

use super::{Access, Content, Method, Reply, Route, error, json_body, ok, path};

const UNAUTHORIZED: Reply = error(401, "no token, or a malformed, unknown or revoked one");
const NOT_OPERATOR: Reply = error(403, "the caller is not an operator");
const TOO_LARGE: Reply = error(
    413,
    "the body is larger than the server accepts (a 32 MiB package, base64)",
);
const INTERNAL: Reply = error(500, "a fault on the server; the cause is in its log");
const BAD_PACKAGE: Reply = error(
    400,
    "an invalid body, or a package that cannot be installed: not a component, no or an invalid manifest, \
     another contract version, a missing or untrusted signature, a request id it does not make, an fs request \
     without a directory, a name already taken, a component that does not load",
);
const SOURCE_NOT_FOUND: Reply = error(
    404,
    "the source has no such package (URL, repository or tag)",
);
const UPSTREAM: Reply = error(
    502,
    "the source could not be fetched: unreachable, timed out, refused the credentials or answered 5xx",
);

/// The plugin routes.
pub(super) const ROUTES: &[Route] = &[
    Route {
        method: Method::Get,
        path: "/api/plugins",
        operation_id: "listPlugins",
        summary: "Every loaded plugin: from the plugin directory (read-only) or installed (version, digest, signer, \
                  requested, accepted, held and granted, live capabilities)",
        access: Access::Operator,
        params: &[],
        request: None,
        responses: &[
            ok(200, "the plugins", Content::Json("PluginList")),
            UNAUTHORIZED,
            NOT_OPERATOR,
            INTERNAL,
        ],
    },
    Route {
        method: Method::Post,
        path: "/api/plugins/inspect",
        operation_id: "inspectPackage",
        summary: "Fetch or read a package and say what it is and what it requests, installing nothing",
        access: Access::Operator,
        params: &[],
        request: json_body("PackageRequest"),
        responses: &[
            ok(200, "the package", Content::Json("PackageInspection")),
            BAD_PACKAGE,
            UNAUTHORIZED,
            NOT_OPERATOR,
            SOURCE_NOT_FOUND,
            TOO_LARGE,
            INTERNAL,
            UPSTREAM,
        ],
    },
    Route {
        method: Method::Post,
        path: "/api/plugins",
        operation_id: "installPackage",
        summary: "Install a package with the requests the operator accepts; its tools serve at once (audited)",
        access: Access::Operator,
        params: &[],
        request: json_body("PackageRequest"),
        responses: &[
            ok(
                201,
                "the installed plugin",
                Content::Json("InstalledPlugin"),
            ),
            BAD_PACKAGE,
            UNAUTHORIZED,
            NOT_OPERATOR,
            SOURCE_NOT_FOUND,
            TOO_LARGE,
            INTERNAL,
            UPSTREAM,
        ],
    },
    Route {
        method: Method::Put,
        path: "/api/plugins/{name}",
        operation_id: "upgradePackage",
        summary: "Upgrade an installed package: accepted requests carry over, new ones are held until granted; \
                  calls in flight finish on the old version (audited)",
        access: Access::Operator,
        params: &[path("name", "The installed plugin.")],
        request: json_body("PackageRequest"),
        responses: &[
            ok(200, "the upgraded plugin", Content::Json("InstalledPlugin")),
            BAD_PACKAGE,
            UNAUTHORIZED,
            NOT_OPERATOR,
            error(
                404,
                "no installed package by that name, or the source has no such package",
            ),
            TOO_LARGE,
            INTERNAL,
            UPSTREAM,
        ],
    },
    Route {
        method: Method::Delete,
        path: "/api/plugins/{name}",
        operation_id: "removePackage",
        summary: "Remove an installed package: unloaded (calls in flight finish), its grants and file gone (audited)",
        access: Access::Operator,
        params: &[path("name", "The installed plugin.")],
        request: None,
        responses: &[
            ok(200, "what was removed", Content::Json("RemovedPlugin")),
            UNAUTHORIZED,
            NOT_OPERATOR,
            error(
                404,
                "no installed package by that name (a plugin of the plugin directory is removed there)",
            ),
            INTERNAL,
        ],
    },
    Route {
        method: Method::Post,
        path: "/api/plugins/{name}/grants",
        operation_id: "grantHeldRequests",
        summary: "Accept requests an upgrade held; they become grants on the next call (audited)",
        access: Access::Operator,
        params: &[path("name", "The installed plugin.")],
        request: json_body("GrantRequest"),
        responses: &[
            ok(
                200,
                "the plugin with its grants now",
                Content::Json("InstalledPlugin"),
            ),
            error(
                400,
                "an invalid body, a request id the plugin does not hold, or an fs request without a directory",
            ),
            UNAUTHORIZED,
            NOT_OPERATOR,
            error(404, "no installed package by that name"),
            error(413, "the body is larger than the server accepts (1 MiB)"),
            INTERNAL,
        ],
    },
];
