//! Outgoing HTTP: every request a guest makes through wasi:http passes [`HttpGate::send_request`].
//!
//! The gate asks `drydock-policy` for a decision and then:
//! - `denied`: journals why and fails the request with `HttpRequestDenied` (the guest sees a denial, not a
//!   trap);
//! - `read`: journals and sends the request as is;
//! - `simulated`: journals what would have been sent and answers itself with `202`,
//!   `x-drydock-simulated: true` and a JSON body naming the journal entry. Nothing leaves the host;
//! - `live`: journals and sends.
//!
//! The request body is read (bounded) before answering a denial or a simulation: if the gate dropped it,
//! the guest's own body write would fail first and the plugin would see "connection reset" instead of the
//! answer. Reading it is also how the journal records what would have been sent.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use drydock_policy::{Capability, Decision, Outcome, TargetUrl, decide_http};
use http::{HeaderValue, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use serde_json::json;
use wasmtime_wasi_http::{
    DEFAULT_FORBIDDEN_HEADERS, Error as HttpError, ForbiddenHeaderFilter, RequestOptions, WasiBody,
    WasiHttpHooks, default_send_request,
};

use crate::context::CallContext;
use crate::journal::NewEffect;

/// The header a simulated response carries.
pub const SIMULATED_HEADER: &str = "x-drydock-simulated";
/// How much of a request body the journal keeps as an excerpt.
const BODY_EXCERPT_BYTES: usize = 2048;

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
    let decision = match forged_host(&request) {
        Some(reason) => Decision {
            outcome: Outcome::Denied,
            reason,
        },
        None => decide_http(
            ctx.plugin(),
            &ctx.grants,
            &ctx.live_policy,
            &ctx.live_context,
            &method,
            &url,
        ),
    };
    let header_names: Vec<String> = request
        .headers()
        .keys()
        .map(|k| k.as_str().to_owned())
        .collect();
    // What goes out is exactly the URL that was checked: the canonical form the matcher decided on, so the
    // peer cannot read the path differently from the policy (case, dot segments, default port).
    let request = match decision.outcome {
        Outcome::Denied => request,
        _ => match canonical(request) {
            Ok(request) => request,
            Err((request, reason)) => {
                let (_, body) = request.into_parts();
                let _ = read_body(body, ctx.limits.http_body_bytes).await;
                let denied = Decision {
                    outcome: Outcome::Denied,
                    reason,
                };
                record(&ctx, &action, &denied, json!({ "headers": header_names }));
                return Err(HttpError::HttpRequestDenied);
            }
        },
    };

    match decision.outcome {
        Outcome::Read => {
            let seq = record(&ctx, &action, &decision, json!({ "headers": header_names }));
            forward(ctx, seq, request, options).await
        }
        Outcome::Denied => {
            // Drain the body so that the guest sees the denial rather than a broken pipe.
            let (_, body) = request.into_parts();
            let _ = read_body(body, ctx.limits.http_body_bytes).await;
            record(&ctx, &action, &decision, json!({ "headers": header_names }));
            Err(HttpError::HttpRequestDenied)
        }
        Outcome::Simulated | Outcome::Live => {
            let (parts, body) = request.into_parts();
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
            let detail = json!({
                "headers": header_names,
                "request_bytes": body.len(),
                "body_excerpt": excerpt(&body),
            });
            let seq = record(&ctx, &action, &decision, detail);
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
            forward(ctx, seq, request, options).await
        }
    }
}

/// The request with its URI replaced by the canonical form of the URL the policy checked, and its `Host`
/// header set to match.
#[allow(clippy::result_large_err)]
fn canonical(
    mut request: http::Request<WasiBody>,
) -> Result<http::Request<WasiBody>, (http::Request<WasiBody>, String)> {
    let target = match TargetUrl::parse(&request.uri().to_string()) {
        Ok(target) => target,
        Err(err) => return Err((request, format!("the URL cannot be made canonical: {err}"))),
    };
    let uri: http::Uri = match target.to_string().parse() {
        Ok(uri) => uri,
        Err(err) => {
            return Err((
                request,
                format!("the canonical URL is not a valid URI: {err}"),
            ));
        }
    };
    if let Some(authority) = uri.authority()
        && let Ok(value) = HeaderValue::from_str(authority.as_str())
    {
        request.headers_mut().insert(http::header::HOST, value);
    }
    *request.uri_mut() = uri;
    Ok(request)
}

/// A request whose `Host` header names another host than its URL is refused (wasi-http already forbids
/// guests from setting `Host`; this is the second lock on the same door).
fn forged_host(request: &http::Request<WasiBody>) -> Option<String> {
    let authority = request.uri().authority()?.as_str().to_ascii_lowercase();
    let host = request.headers().get(http::header::HOST)?;
    let host = host.to_str().unwrap_or("<not text>").to_ascii_lowercase();
    (host != authority).then(|| {
        format!("the request's Host header `{host}` differs from its URL's host `{authority}`")
    })
}

fn record(ctx: &CallContext, action: &str, decision: &Decision, detail: serde_json::Value) -> u32 {
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
    )
}

async fn read_body(body: WasiBody, max: usize) -> Result<Bytes, String> {
    match Limited::new(body, max).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) => Err(format!(
            "the request body could not be read within the {max}-byte limit: {err}"
        )),
    }
}

fn excerpt(body: &[u8]) -> String {
    let cut = body.len().min(BODY_EXCERPT_BYTES);
    let mut text = String::from_utf8_lossy(&body[..cut]).into_owned();
    if body.len() > cut {
        text.push_str("…[truncated]");
    }
    text
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
) -> SendResult {
    let options = options.or(Some(RequestOptions {
        connect_timeout: Some(Duration::from_secs(10)),
        first_byte_timeout: Some(Duration::from_secs(30)),
        between_bytes_timeout: Some(Duration::from_secs(30)),
    }));
    match default_send_request(request, options).await {
        Ok((response, io)) => {
            ctx.journal.amend(
                seq,
                &ctx.redactor,
                "status",
                json!(response.status().as_u16()),
            );
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as IoFuture,
            ))
        }
        Err(err) => {
            ctx.journal
                .amend(seq, &ctx.redactor, "error", json!(format!("{err:?}")));
            Err(err)
        }
    }
}
