//! The web console's server side, over real loopback sockets: sign-in with the double-submit token, the
//! session cookie's attributes, CSRF on every state-changing form, sign-out, security headers, where a
//! signed-out visitor is sent, and the cookie on the API's read routes (the browser tests in
//! `console_browser.rs` drive the same pages in Chromium).

use std::collections::BTreeMap;
use std::net::SocketAddr;

use drydock_core::Role;
use drydock_tests::client::{Answer, send, send_form, send_with};

use crate::server::{start, user_token};
use crate::support::TestServer;

/// A browser's cookie jar over the test client: keeps what `Set-Cookie` says.
#[derive(Default)]
pub(crate) struct Jar {
    cookies: BTreeMap<String, String>,
}

impl Jar {
    pub(crate) fn header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(crate) fn keep(&mut self, answer: &Answer) {
        for line in answer.headers_named("set-cookie") {
            let pair = line.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if value.is_empty() || line.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    pub(crate) async fn get_page(&mut self, addr: SocketAddr, path: &str) -> Answer {
        let cookie = self.header();
        let answer = send_with(addr, "GET", path, None, None, &[("cookie", &cookie)]).await;
        self.keep(&answer);
        answer
    }

    pub(crate) async fn post(
        &mut self,
        addr: SocketAddr,
        path: &str,
        form: &[(&str, &str)],
    ) -> Answer {
        let cookie = self.header();
        let answer = send_form(addr, path, form, &[("cookie", &cookie)]).await;
        self.keep(&answer);
        answer
    }
}

/// The value of `<input name="NAME" value="...">` in a page.
pub(crate) fn field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no field {name} in {page}"))
        + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_owned()
}

/// Signs `username` in through the form; returns the jar holding the session.
pub(crate) async fn signed_in(server: &TestServer, username: &str, password: &str) -> Jar {
    let mut jar = Jar::default();
    let page = jar.get_page(server.addr, "/sign-in").await;
    let nonce = field(&page.body, "_signin");
    let answer = jar
        .post(
            server.addr,
            "/sign-in",
            &[
                ("username", username),
                ("password", password),
                ("next", "/"),
                ("_signin", &nonce),
            ],
        )
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert!(jar.get("drydock_session").is_some(), "no session cookie");
    jar
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_root_sends_a_signed_out_visitor_to_a_sign_in_page_that_explains_the_first_start() {
    let data = tempfile::tempdir().unwrap();
    let server = start("", data.path()).await;
    let root = send(server.addr, "GET", "/?from=bookmark", None, None).await;
    assert_eq!(root.status, 303);
    assert_eq!(
        root.header("location"),
        Some("/sign-in?next=%2F%3Ffrom%3Dbookmark")
    );
    let page = send(server.addr, "GET", "/sign-in", None, None).await;
    assert_eq!(page.status, 200);
    for needle in [
        "Sign in",
        "admin",
        "drydock user add",
        "/api/openapi.json",
        "/mcp",
        "autocomplete=\"current-password\"",
    ] {
        assert!(
            page.body.contains(needle),
            "{needle} missing from {}",
            page.body
        );
    }
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    // Not `no-referrer`: with it Chromium posts forms with `Origin: null`, which the Origin guard refuses.
    assert_eq!(page.header("referrer-policy"), Some("same-origin"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(
        !page.body.contains("<script>"),
        "no inline script: {}",
        page.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_sets_an_http_only_strict_cookie_and_goes_where_the_visitor_was_going() {
    let data = tempfile::tempdir().unwrap();
    let server = start("", data.path()).await;
    user_token(&server, "ada", Role::User).await;
    let mut jar = Jar::default();
    let page = jar.get_page(server.addr, "/sign-in?next=/workflows").await;
    let nonce = field(&page.body, "_signin");
    assert_eq!(field(&page.body, "next"), "/workflows");
    let answer = jar
        .post(
            server.addr,
            "/sign-in",
            &[
                ("username", "ada"),
                ("password", "correct horse"),
                ("next", "/workflows"),
                ("_signin", &nonce),
            ],
        )
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(answer.header("location"), Some("/workflows"));
    let cookie = answer
        .headers_named("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("drydock_session="))
        .expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    let overview = jar.get_page(server.addr, "/").await;
    assert_eq!(overview.status, 200, "{}", overview.body);
    assert!(overview.body.contains("ada (user)"), "{}", overview.body);
    assert!(
        !overview.body.contains("Users &amp; tokens"),
        "a user sees no operator pages"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_form_without_its_cookie_or_with_a_wrong_password_is_refused_beside_the_form() {
    let data = tempfile::tempdir().unwrap();
    let server = start("", data.path()).await;
    user_token(&server, "ada", Role::User).await;
    // A form posted from elsewhere: no double-submit cookie.
    let forged = send_form(
        server.addr,
        "/sign-in",
        &[
            ("username", "ada"),
            ("password", "correct horse"),
            ("_signin", "guess"),
        ],
        &[],
    )
    .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert!(forged.body.contains("sign in again"), "{}", forged.body);
    assert!(
        forged
            .headers_named("set-cookie")
            .iter()
            .all(|c| !c.starts_with("drydock_session="))
    );
    let mut jar = Jar::default();
    let page = jar.get_page(server.addr, "/sign-in").await;
    let nonce = field(&page.body, "_signin");
    let wrong = jar
        .post(
            server.addr,
            "/sign-in",
            &[
                ("username", "ada"),
                ("password", "nope"),
                ("_signin", &nonce),
            ],
        )
        .await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert!(wrong.body.contains("role=\"alert\""), "{}", wrong.body);
    assert!(
        wrong.body.contains("wrong username or password"),
        "{}",
        wrong.body
    );
    assert!(
        wrong.body.contains("value=\"ada\""),
        "the username is kept: {}",
        wrong.body
    );
    assert!(!wrong.body.contains("nope"), "the password is never echoed");
    // A malformed body and an oversized one.
    let junk = send_with(
        server.addr,
        "POST",
        "/sign-in",
        None,
        Some("{\"username\":1}"),
        &[],
    )
    .await;
    assert_eq!(junk.status, 400, "{}", junk.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_changing_form_without_the_csrf_token_is_refused_and_changes_nothing() {
    let data = tempfile::tempdir().unwrap();
    let server = start("", data.path()).await;
    user_token(&server, "ada", Role::User).await;
    let mut jar = signed_in(&server, "ada", "correct horse").await;
    let page = jar.get_page(server.addr, "/").await;
    let csrf = field(&page.body, "_csrf");
    // Sign-out without the token, and with another session's token: refused, still signed in.
    for form in [vec![], vec![("_csrf", "0".repeat(64))]] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = jar.post(server.addr, "/sign-out", &form).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(refused.body.contains("CSRF"), "{}", refused.body);
        assert_eq!(
            jar.get_page(server.addr, "/").await.status,
            200,
            "still signed in"
        );
    }
    // Not a form at all, and a form over the size limit.
    let cookie = jar.header();
    let json = send_with(
        server.addr,
        "POST",
        "/sign-out",
        None,
        Some("{}"),
        &[("cookie", &cookie)],
    )
    .await;
    assert_eq!(json.status, 403, "{}", json.body);
    let huge = "x".repeat(300 * 1024);
    let big = jar
        .post(
            server.addr,
            "/sign-out",
            &[("_csrf", &csrf), ("pad", &huge)],
        )
        .await;
    assert_eq!(big.status, 413, "{}", big.body);
    // With the token: signed out, the cookie removed.
    let out = jar
        .post(server.addr, "/sign-out", &[("_csrf", &csrf)])
        .await;
    assert_eq!(out.status, 303, "{}", out.body);
    assert_eq!(out.header("location"), Some("/sign-in"));
    assert!(jar.get("drydock_session").is_none());
    assert_eq!(jar.get_page(server.addr, "/").await.status, 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_cookie_reads_the_api_but_never_writes_through_it() {
    let data = tempfile::tempdir().unwrap();
    let server = start("", data.path()).await;
    user_token(&server, "ada", Role::User).await;
    let jar = signed_in(&server, "ada", "correct horse").await;
    let cookie = jar.header();
    let tools = send_with(
        server.addr,
        "GET",
        "/api/tools",
        None,
        None,
        &[("cookie", &cookie)],
    )
    .await;
    assert_eq!(tools.status, 200, "{}", tools.body);
    // A write with only the cookie is anonymous: refused as unauthenticated.
    let invoke = send_with(
        server.addr,
        "POST",
        "/api/tools/echo.echo/invoke",
        None,
        Some("{\"args\":{\"message\":\"hi\"}}"),
        &[("cookie", &cookie)],
    )
    .await;
    assert_eq!(invoke.status, 401, "{}", invoke.body);
    // A made-up session cookie is a 401 on reads, not a silent anonymous read.
    let forged = send_with(
        server.addr,
        "GET",
        "/api/tools",
        None,
        None,
        &[(
            "cookie",
            "drydock_session=dd_0000000000000000000000000000000000000000000000000000000000000000",
        )],
    )
    .await;
    assert_eq!(forged.status, 401, "{}", forged.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_never_leaves_the_server_and_assets_are_embedded() {
    let data = tempfile::tempdir().unwrap();
    let server = start("", data.path()).await;
    user_token(&server, "ada", Role::User).await;
    let mut jar = Jar::default();
    let page = jar
        .get_page(server.addr, "/sign-in?next=//evil.example/x")
        .await;
    assert_eq!(field(&page.body, "next"), "/");
    let nonce = field(&page.body, "_signin");
    let answer = jar
        .post(
            server.addr,
            "/sign-in",
            &[
                ("username", "ada"),
                ("password", "correct horse"),
                ("next", "https://evil.example/"),
                ("_signin", &nonce),
            ],
        )
        .await;
    assert_eq!(answer.header("location"), Some("/"));
    for (path, kind) in [
        ("/assets/console.css", "text/css"),
        ("/assets/console.js", "text/javascript"),
        ("/assets/icon.svg", "image/svg+xml"),
    ] {
        let asset = send(server.addr, "GET", path, None, None).await;
        assert_eq!(asset.status, 200, "{path}");
        assert!(
            asset.header("content-type").unwrap().starts_with(kind),
            "{path}"
        );
    }
    assert_eq!(
        send(server.addr, "GET", "/assets/../Cargo.toml", None, None)
            .await
            .status,
        404
    );
    assert_eq!(
        send(server.addr, "GET", "/assets/nope.js", None, None)
            .await
            .status,
        404
    );
}
