//! Outgoing HTTP: every request a guest makes through wasi:http passes [`HttpGate::send_request`].
//!
//! The gate reads the request body (bounded), asks `drydock-policy` for a decision on the whole request
//! (method, URL, headers and body: a method-override header or parameter, or a body on a `GET`, makes a read
//! a write; see `drydock_policy::http_request`) and then:
//! - `denied`: journals why and fails the request with `HttpRequestDenied` (the guest sees a denial, not a
//!   trap);
//! - `read`: journals and sends the request (to the canonical URL the policy checked);
//! - `simulated`: journals what would have been sent and answers itself with `202`,
//!   `x-drydock-simulated: true` and a JSON body naming the journal entry. Nothing leaves the host;
//! - `live`: journals and sends; for a live run of a plan node only a write its approved rehearsal showed
//!   (any other waits for an operator's review, see [`crate::rehearsal`]).
//!
//! A request the grants allow then passes the guards (`guard`): the governing grant's argument rules and
//! secret flow can still deny it; and one that goes out (read or live) connects only to addresses the gate
//! resolved and checked itself (`guard::address`, `guard::connect`).
//!
//! The request body is read (bounded) before anything else: if the gate dropped it, the guest's own body
//! write would fail first and the plugin would see "connection reset" instead of the answer. Reading it is
//! also how the journal records what would have been sent (an excerpt, redacted before it is cut).
//! An effect the journal cannot keep (its budget is spent) is refused: nothing leaves unrecorded.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use drydock_policy::{Capability, Decision, HttpRequest, Outcome, TargetUrl, decide_http};
use http::{HeaderValue, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use serde_json::json;
use wasmtime_wasi_http::{
    DEFAULT_FORBIDDEN_HEADERS, Error as HttpError, ForbiddenHeaderFilter, RequestOptions, WasiBody,
    WasiHttpHooks,
};

use crate::capability::guard::{self, address::AddressRefusal, connect};
use crate::context::CallContext;
use crate::journal::NewEffect;
use crate::rehearsal::{self, LiveCheck};

/// The header a simulated response carries.
pub const SIMULATED_HEADER: &str = "x-drydock-simulated";
/// How much of a request body the journal keeps as an excerpt.
const BODY_EXCERPT_BYTES: usize = 2048;
/// How many header names of one request the journal lists.
const MAX_HEADER_NAMES: usize = 64;

/// The wasi-http hooks of one invocation.
pub struct HttpGate {
    ctx: Arc<CallContext>,
}

impl HttpGate {
    /// A gate deciding with `ctx`'s grants and mode.
    pub fn new(ctx: Arc<CallContext>) -> Self {
        Self { ctx }
    }
}

type IoFuture = Box<dyn Future<Output = Result<(), HttpError>> + Send>;
type SendResult = Result<(Response<WasiBody>, IoFuture), HttpError>;

impl WasiHttpHooks for HttpGate {
    fn forbidden_header_filter(&mut self) -> ForbiddenHeaderFilter {
        // `host` is among the defaults: the authority of the URL is the only host a request can name.
        Arc::new(|name| DEFAULT_FORBIDDEN_HEADERS.contains(name))
    }

    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> Box<dyn Future<Output = SendResult> + Send> {
        drop(fut);
        let ctx = self.ctx.clone();
        Box::new(async move { gate(ctx, request, options).await })
    }
}

async fn gate(
    ctx: Arc<CallContext>,
    request: http::Request<WasiBody>,
    options: Option<RequestOptions>,
) -> SendResult {
    let method = request.method().as_str().to_owned();
    let url = request.uri().to_string();
    let action = format!("{method} {url}");
    let (parts, body) = request.into_parts();
    let header_names = header_names(&parts.headers);
    // Every body is read before the decision: a body on a read makes it a write, and a body field can
    // name another method. Reading it is also what lets the guest see the answer instead of a broken pipe.
    let body = match read_body(body, ctx.limits.http_body_bytes).await {
        Ok(body) => body,
        Err(reason) => {
            let denied = Decision {
                outcome: Outcome::Denied,
                reason,
            };
            record(&ctx, &action, &denied, json!({ "headers": header_names }));
            return Err(HttpError::HttpRequestDenied);
        }
    };
    let mut detail = json!({ "headers": header_names });
    if !body.is_empty() {
        detail["request_bytes"] = json!(body.len());
        detail["body_excerpt"] = json!(excerpt(&ctx, &body));
    }
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                Cow::Borrowed(name.as_str()),
                String::from_utf8_lossy(value.as_bytes()),
            )
        })
        .collect();
    let request = HttpRequest {
        method: &method,
        url: &url,
        headers,
        body: &body,
    };
    let mut fingerprint = None;
    let decision = match forged_host(&parts) {
        Some(reason) => Decision {
            outcome: Outcome::Denied,
            reason,
        },
        None => {
            let decision = decide_http(
                ctx.plugin(),
                &ctx.grants,
                &ctx.live_policy,
                &ctx.live_context,
                &request,
            );
            fingerprint = rehearsal::http_fingerprint(&ctx, &decision, &request);
            decision
        }
    };
    // Argument rules and secret flow: what a granted request carries (see `guard`).
    let mut decision = guard::http_decision(&ctx, decision, &request, &parts.headers);
    if decision.outcome == Outcome::Denied {
        record(&ctx, &action, &decision, detail);
        return Err(HttpError::HttpRequestDenied);
    }
    // What goes out is exactly the URL that was checked: the canonical form the matcher decided on, so the
    // peer cannot read the path differently from the policy (case, dot segments, default port).
    let parts = match canonical(parts) {
        Ok(parts) => parts,
        Err(reason) => {
            let denied = Decision {
                outcome: Outcome::Denied,
                reason,
            };
            record(&ctx, &action, &denied, detail);
            return Err(HttpError::HttpRequestDenied);
        }
    };
    rehearsal::note_fingerprint(&mut detail, fingerprint.as_ref());
    if decision.outcome == Outcome::Live {
        let bound = rehearsal::check_live_write(
            &ctx,
            Capability::Http,
            &action,
            fingerprint.as_ref(),
            &detail,
        );
        match bound.await {
            LiveCheck::Perform(more) => decision.reason.push_str(&more),
            LiveCheck::Refused => return Err(HttpError::HttpRequestDenied),
        }
    }
    // The addresses a request that goes out connects to, resolved and checked here (see `guard::address`).
    let addresses = match guard::addresses_for(&ctx, decision.outcome, &method, &parts.uri).await {
        Ok(addresses) => Ok(addresses),
        Err(AddressRefusal::Denied(reason)) => {
            record(
                &ctx,
                &action,
                &Decision {
                    outcome: Outcome::Denied,
                    reason,
                },
                detail,
            );
            return Err(HttpError::HttpRequestDenied);
        }
        Err(AddressRefusal::Unresolvable(reason)) => Err(reason),
    };
    // An effect the journal cannot keep does not happen.
    let Some(seq) = ctx.journal.admit(
        &ctx.source,
        &ctx.redactor,
        NewEffect {
            capability: Capability::Http,
            action,
            outcome: decision.outcome,
            reason: decision.reason,
            detail,
        },
    ) else {
        return Err(HttpError::HttpRequestDenied);
    };
    if decision.outcome == Outcome::Simulated {
        return Ok((
            simulated_response(seq, &method, &ctx.redactor.text(&url)),
            no_io(),
        ));
    }
    let request = http::Request::from_parts(
        parts,
        Full::new(body)
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    forward(ctx, seq, request, options, addresses).await
}

/// The request's header names, for the journal: at most [`MAX_HEADER_NAMES`], then a count of the rest.
fn header_names(headers: &http::HeaderMap) -> Vec<String> {
    let mut names: Vec<String> = headers
        .keys()
        .take(MAX_HEADER_NAMES)
        .map(|k| k.as_str().to_owned())
        .collect();
    let total = headers.keys_len();
    if total > MAX_HEADER_NAMES {
        names.push(format!("… and {} more", total - MAX_HEADER_NAMES));
    }
    names
}

/// The request's parts with the URI replaced by the canonical form of the URL the policy checked, and the
/// `Host` header set to match.
fn canonical(mut parts: http::request::Parts) -> Result<http::request::Parts, String> {
    let target = TargetUrl::parse(&parts.uri.to_string())
        .map_err(|err| format!("the URL cannot be made canonical: {err}"))?;
    let uri: http::Uri = target
        .to_string()
        .parse()
        .map_err(|err| format!("the canonical URL is not a valid URI: {err}"))?;
    if let Some(authority) = uri.authority()
        && let Ok(value) = HeaderValue::from_str(authority.as_str())
    {
        parts.headers.insert(http::header::HOST, value);
    }
    parts.uri = uri;
    Ok(parts)
}

/// A request whose `Host` header names another host than its URL is refused (wasi-http already forbids
/// guests from setting `Host`; this is the second lock on the same door).
fn forged_host(parts: &http::request::Parts) -> Option<String> {
    let authority = parts.uri.authority()?.as_str().to_ascii_lowercase();
    let host = parts.headers.get(http::header::HOST)?;
    let host = host.to_str().unwrap_or("<not text>").to_ascii_lowercase();
    (host != authority).then(|| {
        format!("the request's Host header `{host}` differs from its URL's host `{authority}`")
    })
}

fn record(ctx: &CallContext, action: &str, decision: &Decision, detail: serde_json::Value) {
    ctx.journal.record(
        &ctx.source,
        &ctx.redactor,
        NewEffect {
            capability: Capability::Http,
            action: action.to_owned(),
            outcome: decision.outcome,
            reason: decision.reason.clone(),
            detail,
        },
    );
}

async fn read_body(body: WasiBody, max: usize) -> Result<Bytes, String> {
    match Limited::new(body, max).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) => Err(format!(
            "the request body could not be read within the {max}-byte limit: {err}"
        )),
    }
}

/// The start of a body for the journal: redacted *before* it is cut, so a secret straddling the cut
/// leaves nothing behind.
fn excerpt(ctx: &CallContext, body: &[u8]) -> String {
    let redacted = ctx.redactor.bytes(body.to_vec());
    ctx.redactor
        .text_then_cut(&String::from_utf8_lossy(&redacted), BODY_EXCERPT_BYTES)
}

fn simulated_response(seq: u32, method: &str, url: &str) -> Response<WasiBody> {
    let body = json!({
        "simulated": true,
        "effect": seq,
        "method": method,
        "url": url,
        "message": "dry run: Drydock recorded this request in the effect journal instead of sending it",
    });
    let mut response = Response::new(
        Full::new(Bytes::from(body.to_string()))
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *response.status_mut() = StatusCode::ACCEPTED;
    let headers = response.headers_mut();
    headers.insert(SIMULATED_HEADER, HeaderValue::from_static("true"));
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn no_io() -> IoFuture {
    Box::new(async { Ok(()) })
}

async fn forward(
    ctx: Arc<CallContext>,
    seq: u32,
    request: http::Request<WasiBody>,
    options: Option<RequestOptions>,
    addresses: Result<Option<Vec<SocketAddr>>, String>,
) -> SendResult {
    let addresses = match addresses {
        Ok(Some(addresses)) => addresses,
        Ok(None) => Vec::new(),
        Err(reason) => {
            ctx.journal
                .amend(seq, &ctx.redactor, "error", json!(reason));
            return Err(HttpError::DnsError {
                rcode: None,
                info_code: None,
            });
        }
    };
    let options = options.or(Some(RequestOptions {
        connect_timeout: Some(Duration::from_secs(10)),
        first_byte_timeout: Some(Duration::from_secs(30)),
        between_bytes_timeout: Some(Duration::from_secs(30)),
    }));
    match connect::send(request, options, &addresses).await {
        Ok((response, io)) => {
            ctx.journal.amend(
                seq,
                &ctx.redactor,
                "status",
                json!(response.status().as_u16()),
            );
            Ok((response, io))
        }
        Err(err) => {
            ctx.journal
                .amend(seq, &ctx.redactor, "error", json!(format!("{err:?}")));
            Err(err)
        }
    }
}
