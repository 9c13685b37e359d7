//! The document against the code: the routes registered in the sources of `src/api/` are exactly the
//! operations of the document, a route is public exactly when its handler takes no `Caller`, and the
//! document itself holds together (3.1.0, declared path parameters, answers, resolvable `$ref`s).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{Access, all_routes, document};

/// Written in two pieces so that this file holds no registration of its own for the scanner to find.
const ROUTE_CALL: &str = concat!(".", "route(");
const NEST_CALL: &str = concat!(".", "nest(");
const ROUTE_SERVICE_CALL: &str = concat!(".", "route_service(");

/// axum's method routing functions, as the scanner accepts them.
const METHODS: [&str; 8] = [
    "get", "post", "put", "delete", "patch", "head", "options", "trace",
];

/// One `METHOD(handler)` of a route registration.
#[derive(Debug, PartialEq, Eq)]
struct Registration {
    /// Upper case, e.g. `GET`.
    method: String,
    /// The path template, e.g. `/api/sessions/{id}`.
    path: String,
    /// The handler as written, e.g. `list` or `metrics::metrics`.
    handler: String,
}

/// Every `.rs` file under `src/api/`, with its code minus comment lines (docs may quote registrations).
fn api_sources() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).expect("src/api is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let source = std::fs::read_to_string(&path).expect("a source file is readable");
                out.push((path, strip_comment_lines(&source)));
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api"),
        &mut out,
    );
    assert!(
        out.len() > 5,
        "the scanner should find the api sources, found {out:?}"
    );
    out
}

fn strip_comment_lines(source: &str) -> String {
    source
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The registrations in `code`: `.route("PATH", get(h))`, `.route("PATH", post(a).get(b))`, qualified names
/// such as `axum::routing::get(h)`, and any line breaks rustfmt puts in between. Anything else in the
/// method position (a layer, `any`, `on`) fails loudly, so that a new form is taught to the scanner rather
/// than skipped.
fn registrations(code: &str) -> Vec<Registration> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(ROUTE_CALL) {
        rest = &rest[at + ROUTE_CALL.len()..];
        let Some(literal) = rest.trim_start().strip_prefix('"') else {
            panic!("a route whose path is not a string literal: {}", head(rest));
        };
        let (path, after) = literal.split_once('"').expect("the path literal is closed");
        let mut chain = after
            .trim_start()
            .strip_prefix(',')
            .unwrap_or_else(|| panic!("no method router after {path:?}"));
        loop {
            let (name, args) = split_path_name(chain.trim_start());
            let method = name.rsplit("::").next().unwrap_or_default();
            assert!(
                METHODS.contains(&method),
                "route {path:?}: `{name}` is not a method routing function the scanner knows"
            );
            let (inside, after_call) = parenthesised(args);
            found.push(Registration {
                method: method.to_uppercase(),
                path: path.to_owned(),
                handler: split_path_name(inside.trim_start()).0.to_owned(),
            });
            match after_call.trim_start().strip_prefix('.') {
                Some(next) => chain = next,
                None => {
                    rest = after_call;
                    break;
                }
            }
        }
    }
    found
}

/// Splits a leading (possibly `::`-qualified) identifier off `text`.
fn split_path_name(text: &str) -> (&str, &str) {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(text.len());
    text.split_at(end)
}

/// For `text` starting with `(`: what is inside the balanced parentheses, and what follows them.
fn parenthesised(text: &str) -> (&str, &str) {
    assert!(text.starts_with('('), "expected `(` at {}", head(text));
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, c) in text.char_indices() {
        match (in_string, c) {
            (true, _) if escaped => escaped = false,
            (true, '\\') => escaped = true,
            (true, '"') => in_string = false,
            (true, _) => {}
            (false, '"') => in_string = true,
            (false, '(') => depth += 1,
            (false, ')') => {
                depth -= 1;
                if depth == 0 {
                    return (&text[1..i], &text[i + 1..]);
                }
            }
            (false, _) => {}
        }
    }
    panic!("unbalanced parentheses at {}", head(text))
}

fn head(text: &str) -> String {
    text.chars().take(60).collect()
}

/// Every registration in `src/api/`, with the file it is in.
fn registered() -> Vec<(PathBuf, Registration)> {
    let sources = api_sources();
    for (file, code) in &sources {
        for call in [NEST_CALL, ROUTE_SERVICE_CALL] {
            assert!(
                !code.contains(call),
                "{}: `{call}` registers routes the scanner cannot see; teach it first",
                file.display()
            );
        }
    }
    sources
        .into_iter()
        .flat_map(|(file, code)| {
            registrations(&code)
                .into_iter()
                .map(move |registration| (file.clone(), registration))
        })
        .collect()
}

/// The `(METHOD, path)` pairs of the document.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    doc["paths"]
        .as_object()
        .expect("paths is an object")
        .iter()
        .flat_map(|(path, item)| {
            let methods = item.as_object().expect("a path item is an object").keys();
            methods.map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect()
}

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths is an object") {
        for (method, op) in item.as_object().expect("a path item is an object") {
            out.push((method.to_uppercase(), path.clone(), op));
        }
    }
    out
}

#[test]
fn the_scanner_reads_chained_qualified_and_wrapped_registrations() {
    // `@` stands for the registration call, which this file must not contain literally.
    let fixture = r#"
        Router::new()
            @"/a", get(show))
            // @"/commented-out", get(gone))
            @
                "/b/{id}",
                axum::routing::post(create).get(list),
            )
            .fallback(|| async { "(" })
    "#
    .replace('@', ROUTE_CALL);
    let found: Vec<_> = registrations(&strip_comment_lines(&fixture))
        .into_iter()
        .map(|r| (r.method, r.path, r.handler))
        .collect();
    let expected = [
        ("GET", "/a", "show"),
        ("POST", "/b/{id}", "create"),
        ("GET", "/b/{id}", "list"),
    ]
    .map(|(m, p, h)| (m.to_owned(), p.to_owned(), h.to_owned()));
    assert_eq!(found, expected);
}

#[test]
fn every_registered_route_is_documented_and_nothing_else() {
    let registered: BTreeSet<(String, String)> = registered()
        .into_iter()
        .map(|(_, r)| (r.method, r.path))
        .collect();
    let documented = documented(&document());
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    let phantom: Vec<_> = documented.difference(&registered).collect();
    assert!(
        undocumented.is_empty() && phantom.is_empty(),
        "registered but not in ROUTES: {undocumented:?}; in ROUTES but not registered: {phantom:?}"
    );
    assert_eq!(
        documented.len(),
        all_routes().count(),
        "a (method, path) appears twice in ROUTES"
    );
}

#[test]
fn a_route_is_public_exactly_when_its_handler_takes_no_caller() {
    let access: BTreeMap<(String, String), Access> = all_routes()
        .map(|r| {
            let key = (r.method.as_str().to_uppercase(), r.path.to_owned());
            (key, r.access)
        })
        .collect();
    for (file, registration) in registered() {
        let (module, name) = match registration.handler.rsplit_once("::") {
            Some((module, name)) => (file.with_file_name(format!("{module}.rs")), name),
            None => (file.clone(), registration.handler.as_str()),
        };
        let code = strip_comment_lines(&std::fs::read_to_string(&module).expect("handler module"));
        let signature = format!("fn {name}(");
        let at = code
            .find(&signature)
            .unwrap_or_else(|| panic!("no `{signature}` in {}", module.display()));
        let (params, _) = parenthesised(&code[at + signature.len() - 1..]);
        let takes_caller = params.contains("Caller");
        let token_optional = params.contains("CallerOrAnonymous");
        let key = (registration.method.clone(), registration.path.clone());
        let documented = access.get(&key).copied();
        assert_eq!(
            documented.map(|a| a != Access::Public),
            Some(takes_caller),
            "{key:?}: ROUTES says {documented:?}; handler `{name}` takes a Caller: {takes_caller}"
        );
        assert_eq!(
            documented.map(|a| a == Access::Optional),
            Some(token_optional),
            "{key:?}: ROUTES says {documented:?}; handler `{name}` takes CallerOrAnonymous: {token_optional}"
        );
    }
}

#[test]
fn the_document_is_openapi_3_1_json_with_bearer_auth_and_the_error_schema() {
    let text = serde_json::to_string(&document()).expect("the document serialises");
    let doc: Value = serde_json::from_str(&text).expect("the document is valid JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let bearer = &doc["components"]["securitySchemes"]["bearerAuth"];
    assert_eq!(bearer["type"], "http");
    assert_eq!(bearer["scheme"], "bearer");
    let error = &doc["components"]["schemas"]["Error"];
    assert_eq!(error["required"], serde_json::json!(["error"]));
    assert_eq!(
        error["properties"]["error"]["required"],
        serde_json::json!(["code", "message"])
    );
}

#[test]
fn every_path_parameter_is_declared_and_required() {
    let doc = document();
    for (method, path, op) in operations(&doc) {
        let in_template: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        let declared: BTreeSet<&str> = params
            .iter()
            .filter(|p| p["in"] == "path")
            .map(|p| {
                assert_eq!(p["required"], true, "{method} {path}: {p}");
                p["name"].as_str().expect("a parameter has a name")
            })
            .collect();
        assert_eq!(declared, in_template, "{method} {path}");
    }
}

#[test]
fn every_operation_answers_and_says_who_may_call_it() {
    let doc = document();
    let mut operation_ids = BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        let at = format!("{method} {path}");
        assert!(
            operation_ids.insert(op["operationId"].as_str().expect("an operationId")),
            "{at}: duplicate operationId"
        );
        let responses = op["responses"].as_object().expect("responses");
        assert!(
            // 101: a websocket upgrade is that route's success.
            responses
                .keys()
                .any(|status| status.starts_with('2') || status == "101"),
            "{at}: no success response"
        );
        let security = op["security"]
            .as_array()
            .expect("every operation states its security");
        if security
            .first()
            .is_some_and(|requirement| requirement.get("mojodexToken").is_some())
        {
            assert!(
                !path.starts_with("/api") && responses.contains_key("403"),
                "{at}: a Mojodex route lives outside /api and answers a missing token with 403"
            );
        }
        // A token-optional route (`[{}, {bearerAuth}]`, FastAgency's and Astonish's) still lists its 401.
        let roles = security
            .iter()
            .find_map(|requirement| requirement.get("bearerAuth"));
        let mojodex = security
            .first()
            .is_some_and(|requirement| requirement.get("mojodexToken").is_some());
        match roles {
            None => assert!(
                mojodex
                    || path == "/api/auth/login"
                    || path == "/api/openapi.json"
                    || !path.starts_with("/api"),
                "{at}: an /api route without a token"
            ),
            Some(roles) => {
                assert!(
                    responses.contains_key("401"),
                    "{at}: needs a token but lists no 401"
                );
                if roles
                    .as_array()
                    .is_some_and(|r| r.iter().any(|r| r == "operator"))
                {
                    assert!(
                        responses.contains_key("403"),
                        "{at}: operator-only but lists no 403"
                    );
                }
            }
        }
        if op["requestBody"]["required"] == true {
            assert!(
                responses.contains_key("400"),
                "{at}: takes a body but lists no 400"
            );
            assert!(
                responses.contains_key("413"),
                "{at}: takes a body but lists no 413"
            );
        }
    }
}

#[test]
fn every_schema_reference_resolves_and_every_schema_is_used() {
    fn refs<'a>(value: &'a Value, out: &mut BTreeSet<&'a str>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    out.insert(target);
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let doc = document();
    let mut targets = BTreeSet::new();
    refs(&doc, &mut targets);
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    let referenced: BTreeSet<&str> = targets
        .iter()
        .map(|target| {
            let name = target
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("a $ref outside the component schemas: {target}"));
            assert!(schemas.contains_key(name), "`{target}` does not resolve");
            name
        })
        .collect();
    let unused: Vec<_> = schemas
        .keys()
        .filter(|name| !referenced.contains(name.as_str()))
        .collect();
    assert!(unused.is_empty(), "schemas nothing refers to: {unused:?}");
}

#[test]
fn every_event_stream_describes_the_data_of_each_of_its_events() {
    let doc = document();
    let mut streams = 0;
    for (method, path, op) in operations(&doc) {
        for (status, reply) in op["responses"].as_object().expect("responses") {
            let Some(stream) = reply["content"].get("text/event-stream") else {
                continue;
            };
            streams += 1;
            let schema = &stream["schema"];
            let frames = match schema["oneOf"].as_array() {
                Some(frames) => frames.clone(),
                None => vec![schema.clone()],
            };
            for frame in frames {
                let at = format!("{method} {path} {status}");
                assert_eq!(
                    frame["required"],
                    serde_json::json!(["event", "data"]),
                    "{at}"
                );
                let data = &frame["properties"]["data"];
                assert_eq!(data["type"], "string", "{at}");
                // MCP's messages are the MCP specification's; every stream of Drydock's own is typed.
                if path != "/mcp" {
                    assert_eq!(data["contentMediaType"], "application/json", "{at}");
                    assert!(data["contentSchema"]["$ref"].is_string(), "{at}");
                    assert!(frame["properties"]["event"]["enum"].is_array(), "{at}");
                }
            }
        }
    }
    assert_eq!(
        streams, 6,
        "sessions, runs, chat, MCP's two and Astonish's chat"
    );
}

#[test]
fn a_workflow_is_documented_as_yaml_and_as_json() {
    let doc = document();
    let content = &doc["paths"]["/api/workflows/{name}"]["get"]["responses"]["200"]["content"];
    for media in ["application/yaml", "application/json"] {
        assert_eq!(
            content[media]["schema"]["$ref"], "#/components/schemas/WorkflowDocument",
            "{media}"
        );
    }
}
