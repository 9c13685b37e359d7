//! The plugins an operator installs at run time: `GET /api/plugins` (every loaded plugin, where it comes
//! from, what it requested and what it was granted), `POST /api/plugins/inspect` (what a package is and
//! asks for, installing nothing), `POST /api/plugins` (install), `PUT /api/plugins/{name}` (upgrade),
//! `POST /api/plugins/{name}/grants` (accept held requests) and `DELETE /api/plugins/{name}` (remove).
//! Operators only; each change is audited by the core.
//!
//! A package arrives as a `source` the server fetches (`https://…`, or `oci://registry/repo:tag`) or as
//! `component` bytes (base64) the client uploads, optionally with a `manifest` beside it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use base64::Engine as _;
use drydock_core::packages::{Accept, InstalledPackage, Intake, RegistryLogin, Request};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Caller;
use super::policy::{HostPaths, grants_json};
use super::{ApiError, AppState};

/// The routes of this module. `package_limit` is the largest package the server takes (bytes): the routes
/// that take one accept it base64-encoded, with room for the rest of the JSON.
pub fn router(package_limit: u64) -> Router<AppState> {
    let package_body_limit =
        usize::try_from(package_limit.div_ceil(3) * 4 + (64 << 10)).unwrap_or(usize::MAX);
    // These routes take a whole package; the inner limit replaces the API's 1 MiB default for them.
    let packages = Router::new()
        .route("/api/plugins", get(list).post(install))
        .route("/api/plugins/inspect", post(inspect))
        .route("/api/plugins/{name}", put(upgrade).delete(remove))
        .layer(DefaultBodyLimit::max(package_body_limit));
    Router::new()
        .merge(packages)
        .route("/api/plugins/{name}/grants", post(grant))
}

/// A package in a request: fetched from `source`, or uploaded as `component`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PackageBody {
    source: Option<String>,
    component: Option<String>,
    manifest: Option<String>,
    file_name: Option<String>,
    login: Option<LoginBody>,
    accept: Option<AcceptBody>,
    #[serde(default)]
    dirs: BTreeMap<String, PathBuf>,
}

/// How the server signs in to the registry of `source`: the password stays in the host's secrets.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LoginBody {
    username: String,
    password_secret: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum AcceptBody {
    Word(String),
    Ids(Vec<String>),
}

impl PackageBody {
    fn intake(&self) -> Result<Intake, ApiError> {
        match (&self.source, &self.component) {
            (Some(source), None) => {
                if self.manifest.is_some() || self.file_name.is_some() {
                    return Err(ApiError::invalid(
                        "`manifest` and `fileName` go with an uploaded `component`, not with a `source`",
                    ));
                }
                Ok(Intake::Source {
                    source: source.clone(),
                    login: self.login.as_ref().map(|login| RegistryLogin {
                        username: login.username.clone(),
                        password_secret: login.password_secret.clone(),
                    }),
                })
            }
            (None, Some(encoded)) => {
                if self.login.is_some() {
                    return Err(ApiError::invalid(
                        "`login` goes with a registry `source`, not with an upload",
                    ));
                }
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(encoded.trim())
                    .map_err(|e| ApiError::invalid(format!("`component` is not base64: {e}")))?;
                Ok(Intake::Upload {
                    bytes,
                    manifest: self.manifest.clone(),
                    file_name: self
                        .file_name
                        .clone()
                        .unwrap_or_else(|| "component.wasm".into()),
                })
            }
            _ => Err(ApiError::invalid(
                "give exactly one of `source` (an https:// URL or an oci:// reference) and `component` (the \
                 component file, base64)",
            )),
        }
    }

    fn accept(&self) -> Result<Accept, ApiError> {
        match &self.accept {
            None => Err(ApiError::invalid(
                "say which requests you accept: `accept` is \"all\", \"none\" or a list of request ids (see \
                 POST /api/plugins/inspect)",
            )),
            Some(AcceptBody::Word(word)) if word == "all" => Ok(Accept::All),
            Some(AcceptBody::Word(word)) if word == "none" => Ok(Accept::None),
            Some(AcceptBody::Word(word)) => Err(ApiError::invalid(format!(
                "`accept` is \"all\", \"none\" or a list of request ids, not {word:?}"
            ))),
            Some(AcceptBody::Ids(ids)) => Ok(Accept::Only(ids.clone())),
        }
    }
}

fn request_json(request: &Request) -> Value {
    json!({ "id": request.id, "summary": request.grant.summary(), "reason": request.reason })
}

async fn inspect(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Result<Json<PackageBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body?;
    if body.accept.is_some() || !body.dirs.is_empty() {
        return Err(ApiError::invalid(
            "inspecting installs nothing: leave out `accept` and `dirs`",
        ));
    }
    let inspected = state.core.inspect_package(&actor, body.intake()?).await?;
    Ok(Json(json!({
        "name": inspected.facts.name,
        "version": inspected.facts.version,
        "digest": inspected.digest,
        "origin": inspected.origin,
        "signer": inspected.facts.signer,
        "manifest": inspected.facts.manifest,
        "requests": inspected.facts.requests.iter().map(request_json).collect::<Vec<_>>(),
        "installedVersion": inspected.installed.as_ref().map(|row| &row.version),
        "wouldHold": inspected.would_hold,
    })))
}

async fn install(
    State(state): State<AppState>,
    Caller(actor): Caller,
    body: Result<Json<PackageBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(body) = body?;
    let (intake, accept) = (body.intake()?, body.accept()?);
    let row = state
        .core
        .install_from(&actor, intake, accept, body.dirs)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(installed_json(&state, &actor, &row.name).await?),
    ))
}

async fn upgrade(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(name): Path<String>,
    body: Result<Json<PackageBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body?;
    if body.accept.is_some() || !body.dirs.is_empty() {
        return Err(ApiError::invalid(
            "an upgrade keeps what was accepted before and holds anything new: accept held requests with \
             POST /api/plugins/{name}/grants",
        ));
    }
    state
        .core
        .upgrade_from(&actor, &name, body.intake()?)
        .await?;
    Ok(Json(installed_json(&state, &actor, &name).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantBody {
    accept: Vec<String>,
    #[serde(default)]
    dirs: BTreeMap<String, PathBuf>,
}

async fn grant(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(name): Path<String>,
    body: Result<Json<GrantBody>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Json(body) = body?;
    state
        .core
        .grant_package(&actor, &name, &body.accept, &body.dirs)
        .await?;
    Ok(Json(installed_json(&state, &actor, &name).await?))
}

async fn remove(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let row = state.core.remove_package(&actor, &name).await?;
    Ok(Json(json!({ "removed": row.name, "version": row.version })))
}

async fn list(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> Result<Json<Value>, ApiError> {
    let installed = state.core.packages(&actor).await?;
    let runtime = state.core.runtime();
    let mut plugins: Vec<Value> = runtime
        .plugins()
        .iter()
        .filter(|p| !installed.iter().any(|i| i.row.name == p.name))
        .map(|p| {
            json!({
                "name": p.name,
                "origin": "directory",
                "digest": p.sha256,
                "kind": p.kind,
                "tools": p.tools.iter().map(|t| &t.name).collect::<Vec<_>>(),
                "granted": grants_json(runtime.policy().grants(&p.name), HostPaths::Shown),
                "liveCapabilities": runtime.live_policy().allowed(&p.name),
                "loaded": true,
            })
        })
        .collect();
    for package in &installed {
        plugins.push(package_json(&state, package));
    }
    plugins.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    Ok(Json(json!({ "plugins": plugins })))
}

/// The installed package `name` as listed, for the answer to a change `actor` just made.
async fn installed_json(
    state: &AppState,
    actor: &drydock_core::Actor,
    name: &str,
) -> Result<Value, ApiError> {
    let installed = state.core.packages(actor).await?;
    let package = installed
        .iter()
        .find(|p| p.row.name == name)
        .ok_or_else(|| ApiError::internal(format!("`{name}` was installed but is not listed")))?;
    Ok(package_json(state, package))
}

/// Every request of a stored manifest (accepted, held or declined), as the operator saw them at install.
fn requested(manifest: &str) -> Vec<Value> {
    match drydock_package::Manifest::parse(manifest, "the stored manifest") {
        Ok(manifest) => manifest
            .requests
            .entries()
            .into_iter()
            .map(|entry| json!({ "id": entry.id.to_string(), "summary": entry.summary, "reason": entry.reason }))
            .collect(),
        // It parsed when it was installed; a manifest this version cannot read lists nothing.
        Err(_) => Vec::new(),
    }
}

fn package_json(state: &AppState, package: &InstalledPackage) -> Value {
    let row = &package.row;
    let runtime = state.core.runtime();
    let plugin = runtime.plugins().into_iter().find(|p| p.name == row.name);
    let mut shown = json!({
        "name": row.name,
        "origin": "installed",
        "version": row.version,
        "digest": row.digest,
        "source": row.source,
        "signer": row.signer,
        "tools": plugin.as_ref().map(|p| p.tools.iter().map(|t| t.name.clone()).collect::<Vec<_>>()).unwrap_or_default(),
        "requested": requested(&row.manifest),
        "accepted": row.accepted.iter().map(|a| a.grant.summary()).collect::<Vec<_>>(),
        "held": row.held.iter().map(request_json).collect::<Vec<_>>(),
        "granted": grants_json(runtime.policy().grants(&row.name), HostPaths::Shown),
        "grantsFromPolicyFile": runtime.file_names(&row.name),
        "liveCapabilities": runtime.live_policy().allowed(&row.name),
        "loaded": package.loaded.is_ok(),
        "installedBy": row.installed_by,
        "installedAt": row.installed_at,
        "updatedBy": row.updated_by,
        "updatedAt": row.updated_at,
    });
    if let Err(reason) = &package.loaded {
        shown["error"] = json!(reason);
    }
    shown
}
