//! `GET /operators/plugins` and `POST /operators/plugins/{name}/live`: every plugin with what it was
//! granted, and the LivePolicy as one toggle per capability.
//!
//! The page says plainly what a toggle does and does not do: it lets a capability's writes go live for that
//! plugin, but only while the master switch (`DRYDOCK_LIVE=1`, set in the server's environment, never from
//! here) is on, and only in a run a person approved. With the switch off the toggles are kept and shown, and
//! the page says they have no effect yet. Only capabilities with writes can go live (http grants, `rw`
//! directories); the others are shown, disabled, with the reason.

use std::collections::BTreeSet;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use drydock_core::live_policy::LiveSource;
use drydock_policy::{Capability, FsAccess, PluginGrants};
use maud::{Markup, html};
use serde::Deserialize;

use super::page::{self, ConsoleError, Notice, Section, Shell};
use super::session::{Posted, Visitor};
use crate::api::AppState;

/// The routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/operators/plugins", get(plugins_page))
        .route("/operators/plugins/{name}/live", post(set_live))
}

#[derive(Deserialize)]
struct Shown {
    saved: Option<String>,
}

async fn plugins_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(shown): Query<Shown>,
) -> Result<Response, ConsoleError> {
    require_operator(&visitor)?;
    let notice = shown.saved.map(|plugin| {
        (
            plugin.clone(),
            Notice::done(format!("Saved the live list of `{plugin}`.")),
        )
    });
    Ok(render(&state, &visitor, notice, StatusCode::OK))
}

/// The toggles of one plugin: a checkbox per capability, checked when it is in the live list.
#[derive(Deserialize)]
struct LiveForm {
    #[serde(default)]
    http: Option<String>,
    #[serde(default)]
    fs: Option<String>,
    #[serde(default)]
    secrets: Option<String>,
    #[serde(default)]
    env: Option<String>,
    #[serde(default)]
    llm: Option<String>,
}

impl LiveForm {
    fn capabilities(&self) -> BTreeSet<Capability> {
        [
            (Capability::Http, &self.http),
            (Capability::Fs, &self.fs),
            (Capability::Secrets, &self.secrets),
            (Capability::Env, &self.env),
            (Capability::Llm, &self.llm),
        ]
        .into_iter()
        .filter(|(_, checked)| checked.is_some())
        .map(|(capability, _)| capability)
        .collect()
    }
}

async fn set_live(
    State(state): State<AppState>,
    Path(plugin): Path<String>,
    posted: Posted<LiveForm>,
) -> Result<Response, ConsoleError> {
    let Posted { visitor, form } = posted;
    require_operator(&visitor)?;
    match state
        .core
        .set_live(&visitor.actor, &plugin, form.capabilities())
        .await
    {
        Ok(()) => {
            let query =
                serde_urlencoded::to_string([("saved", plugin.as_str())]).unwrap_or_default();
            Ok(
                Redirect::to(&format!("/operators/plugins?{query}#plugin-{plugin}"))
                    .into_response(),
            )
        }
        Err(drydock_core::CoreError::NotFound(message)) => {
            Err(ConsoleError::new(StatusCode::NOT_FOUND, message))
        }
        Err(err) => {
            let notice = Notice::error(format!("{}; nothing was changed", page::error_text(err)));
            Ok(render(
                &state,
                &visitor,
                Some((plugin, notice)),
                StatusCode::BAD_REQUEST,
            ))
        }
    }
}

/// The operator pages are for operators: anyone else gets a page saying so.
pub fn require_operator(visitor: &Visitor) -> Result<(), ConsoleError> {
    if visitor.is_operator() {
        Ok(())
    } else {
        Err(ConsoleError::new(
            StatusCode::FORBIDDEN,
            format!(
                "this page is for operators; `{}` is a {}. Ask an operator if you need something changed here.",
                visitor.actor.name, visitor.actor.role
            ),
        ))
    }
}

fn render(
    state: &AppState,
    visitor: &Visitor,
    notice: Option<(String, Notice)>,
    status: StatusCode,
) -> Response {
    let runtime = state.core.runtime();
    let policy = runtime.policy();
    let live = runtime.live_policy();
    let sources: Vec<_> = state.core.live_entries();
    let master_on = runtime.master_switch();
    let body = html! {
        @if master_on {
            p.notice.done role="note" {
                "The master switch is on: a checked capability's writes go live for that plugin in runs a person \
                 approved. Unchecked capabilities stay dry runs."
            }
        } @else {
            p.notice role="note" {
                strong { "The master switch is off, so these toggles do nothing yet. " }
                "Every write is a dry run until the server is started with " code { "DRYDOCK_LIVE=1" }
                ". The toggles are kept: they take effect when the switch is on (and only in approved runs)."
            }
        }
        @for plugin in runtime.plugins() {
            @let grants = policy.grants(&plugin.name);
            @let allowed = live.allowed(&plugin.name);
            @let source = sources.iter().find(|e| e.plugin == plugin.name).map(|e| e.source.clone());
            section.card id=(format!("plugin-{}", plugin.name)) aria-labelledby=(format!("h-{}", plugin.name)) {
                h2 id=(format!("h-{}", plugin.name)) { (plugin.name) }
                p.hint {
                    (plugin.kind.world()) " · " (plugin.tools.len()) " tools · component sha256 "
                    code { (plugin.sha256.chars().take(12).collect::<String>()) "…" }
                }
                @if let Some((name, n)) = &notice && name == &plugin.name { (n.render()) }
                (grants_list(grants))
                form.stack method="post" action=(format!("/operators/plugins/{}/live", plugin.name)) {
                    (page::csrf_field(visitor))
                    fieldset {
                        legend { "May go live" }
                        @for capability in Capability::ALL {
                            @let id = format!("live-{}-{}", plugin.name, capability);
                            @let writable = can_go_live(grants, capability);
                            div.toggle {
                                input type="checkbox" id=(id) name=(capability.as_str())
                                    checked[allowed.contains(&capability)]
                                    disabled[!writable && !allowed.contains(&capability)]
                                    aria-describedby=(format!("{id}-why"));
                                label for=(id) { (capability.as_str()) }
                                span.hint id=(format!("{id}-why")) { (why(grants, capability)) }
                            }
                        }
                    }
                    p.hint {
                        "Now: " (listed(allowed.iter().copied())) " · "
                        @match &source {
                            Some(LiveSource::Operator { name, at }) => { "set by " (name) " at " (at) }
                            _ => { "from the policy file" }
                        }
                    }
                    button type="submit" { "Save live list for " (plugin.name) }
                }
            }
        }
        @if runtime.plugin_count() == 0 {
            p.muted { "No plugins are loaded. Start the server with " code { "--plugins DIR" } " or install a package." }
        }
    };
    let mut response = Shell::new(visitor, Section::Plugins, "Plugins & live").render(state, body);
    *response.status_mut() = status;
    response
}

fn grants_list(grants: &PluginGrants) -> Markup {
    html! {
        dl.grants {
            dt { "HTTP" }
            dd {
                @if grants.http.is_empty() { span.muted { "none" } }
                @for grant in &grants.http {
                    code { (grant.methods.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(",")) " " (grant.prefix) }
                    " "
                }
            }
            dt { "Files" }
            dd {
                @if grants.fs.is_empty() { span.muted { "none" } }
                @for grant in &grants.fs {
                    code { (grant.mount) " (" (grant.access) ") → " (grant.dir.display()) } " "
                }
            }
            dt { "Secrets" }
            dd { (listed(grants.secrets.iter())) }
            dt { "Environment" }
            dd { (listed(grants.env.iter())) }
            dt { "LLM" }
            dd { @if grants.llm { "yes" } @else { span.muted { "no" } } }
        }
    }
}

/// Whether a capability has writes this plugin could make live.
fn can_go_live(grants: &PluginGrants, capability: Capability) -> bool {
    match capability {
        Capability::Http => !grants.http.is_empty(),
        Capability::Fs => grants.fs.iter().any(|g| g.access == FsAccess::ReadWrite),
        Capability::Secrets | Capability::Env | Capability::Llm => false,
    }
}

fn why(grants: &PluginGrants, capability: Capability) -> &'static str {
    match capability {
        Capability::Http if grants.http.is_empty() => "no http grant",
        Capability::Http => "its requests with write methods would be sent",
        Capability::Fs if can_go_live(grants, capability) => {
            "its writes to rw directories would be made"
        }
        Capability::Fs => "no rw directory: nothing to write",
        Capability::Secrets | Capability::Env | Capability::Llm => {
            "reads only: nothing to make live"
        }
    }
}

fn listed<T: std::fmt::Display>(items: impl Iterator<Item = T>) -> String {
    let items: Vec<String> = items.map(|i| i.to_string()).collect();
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}
