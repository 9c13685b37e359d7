//! The studio's settings pages and start-up checks, mapped onto Drydock's LLM settings
//! (`drydock_core::settings`: OpenAI-compatible providers, one default).
//!
//! - `GET /api/settings/config` → `{general: {default_provider, default_provider_display_name,
//!   default_model, web_search_tool, web_extract_tool}, providers: [{name, type, display_name, configured,
//!   fields}]}`. Every provider is `type: "openai_compat"`; its `fields` are `base_url`, `model`,
//!   `timeout_ms` and `api_key`, the key shown `****` + Drydock's own mask. Callers who may not read the
//!   settings (anyone but an operator) get the model in use and no providers.
//! - `PUT /api/settings/config` (operators) takes Astonish's body: `general` and `providers` as a map
//!   `{name: {field: value}}` (merged; empty values and `****…` values keep what is stored), or
//!   `{"__replace_all__": {"__array__": "<JSON list of {name, ...fields}>"}}` to replace the list;
//!   → `{status: "ok"}`. Errors name the field.
//! - `GET /api/settings/status` never asks for set-up (`setupRequired: false`): Drydock works without a
//!   language model (only llm nodes need one).
//! - `GET /api/settings/mcp` → `{mcpServers: {}}`; a `PUT` that adds servers is refused (422): Drydock
//!   runs tools only as sandboxed plugins, never native MCP server processes on the host.
//! - `GET /api/version` → `{version: "dev", drydock}` (`dev` keeps the studio from offering Astonish
//!   releases); `GET /api/sandbox/status` describes Drydock's sandbox (WebAssembly, always on).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use super::{StudioCallerOrAnonymous, StudioError};
use crate::api::AppState;

/// What Astonish's masked values start with; a value that does is never stored.
const MASK: &str = "****";
/// The provider fields the studio may send, by Astonish name, with Drydock's.
const FIELDS: &[(&str, &str)] = &[
    ("base_url", "baseUrl"),
    ("model", "model"),
    ("api_key", "apiKey"),
    ("timeout_ms", "timeoutMs"),
];

type Body = Result<Json<Value>, axum::extract::rejection::JsonRejection>;

/// `GET /api/settings/config`.
pub async fn config(
    State(state): State<AppState>,
    StudioCallerOrAnonymous(studio): StudioCallerOrAnonymous,
) -> Result<Json<Value>, StudioError> {
    let in_use = state.core.llm_in_use();
    let Ok(settings) = state.core.settings(&studio.actor).await else {
        let (provider, model) = in_use.unwrap_or_default();
        return Ok(Json(json!({
            "general": general(&provider, &model),
            "providers": [],
        })));
    };
    let llm = &settings["llm"];
    let providers: Vec<Value> = llm["providers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let mut fields = Map::new();
            for (astonish, ours) in FIELDS {
                match &p[*ours] {
                    Value::Null => {}
                    Value::String(key) if *ours == "apiKey" => {
                        fields.insert((*astonish).into(), json!(format!("{MASK}{key}")));
                    }
                    Value::String(text) => {
                        fields.insert((*astonish).into(), json!(text));
                    }
                    other => {
                        fields.insert((*astonish).into(), json!(other.to_string()));
                    }
                }
            }
            json!({
                "name": p["id"],
                "type": "openai_compat",
                "display_name": p["id"],
                "configured": true,
                "fields": fields,
            })
        })
        .collect();
    let provider = llm["defaultProvider"].as_str().unwrap_or_default();
    let model = llm["defaultModel"]
        .as_str()
        .or_else(|| settings["active"]["model"].as_str())
        .unwrap_or_default();
    Ok(Json(json!({
        "general": general(provider, model),
        "providers": providers,
    })))
}

fn general(provider: &str, model: &str) -> Value {
    json!({
        "default_provider": provider,
        "default_provider_display_name": provider,
        "default_model": model,
        "web_search_tool": "",
        "web_extract_tool": "",
    })
}

/// `PUT /api/settings/config` (operators).
pub async fn put_config(
    State(state): State<AppState>,
    StudioCallerOrAnonymous(studio): StudioCallerOrAnonymous,
    body: Body,
) -> Result<Json<Value>, StudioError> {
    let Json(body) = body?;
    let Some(body) = body.as_object() else {
        return Err(StudioError::bad_request(
            "the body must be an object {general?, providers?}",
        ));
    };
    // Operators only; the core says so for anyone else (403).
    let current = state.core.settings(&studio.actor).await?;
    let mut llm = current["llm"].clone();
    if let Some(unknown) = body.keys().find(|k| *k != "general" && *k != "providers") {
        return Err(StudioError::bad_request(format!(
            "unknown settings section `{unknown}`; Drydock takes `general` and `providers`"
        )));
    }
    if let Some(providers) = body.get("providers").filter(|p| !p.is_null()) {
        apply_providers(&mut llm, providers)?;
    }
    if let Some(general) = body.get("general").filter(|g| !g.is_null()) {
        let Some(general) = general.as_object() else {
            return Err(StudioError::bad_request("`general` must be an object"));
        };
        for (astonish, ours) in [
            ("default_provider", "defaultProvider"),
            ("default_model", "defaultModel"),
        ] {
            match general.get(astonish) {
                None => {}
                Some(Value::String(text)) if text.trim().is_empty() => llm[ours] = Value::Null,
                Some(Value::String(text)) => llm[ours] = json!(text.trim()),
                Some(_) => {
                    return Err(StudioError::bad_request(format!(
                        "general.{astonish} must be text"
                    )));
                }
            }
        }
    }
    state
        .core
        .put_settings(&studio.actor, json!({ "llm": llm }))
        .await?;
    Ok(Json(json!({ "status": "ok" })))
}

/// Applies Astonish's `providers` (a merge map, or `__replace_all__`) to Drydock's `llm` settings.
fn apply_providers(llm: &mut Value, providers: &Value) -> Result<(), StudioError> {
    let Some(providers) = providers.as_object() else {
        return Err(StudioError::bad_request(
            "`providers` must be an object {name: {field: value}}",
        ));
    };
    let mut list: Vec<Value> = llm["providers"].as_array().cloned().unwrap_or_default();
    if let Some(replace) = providers.get("__replace_all__") {
        let array = replace["__array__"].as_str().ok_or_else(|| {
            StudioError::bad_request(
                "providers.__replace_all__.__array__ must be a JSON list as text",
            )
        })?;
        let wanted: Vec<Map<String, Value>> = serde_json::from_str(array).map_err(|err| {
            StudioError::bad_request(format!("providers.__replace_all__.__array__: {err}"))
        })?;
        let old = std::mem::take(&mut list);
        for mut fields in wanted {
            let name = fields
                .remove("name")
                .and_then(|n| n.as_str().map(str::to_owned))
                .ok_or_else(|| StudioError::bad_request("every provider needs a `name`"))?;
            let mut provider = old
                .iter()
                .find(|p| p["id"] == name.as_str())
                .cloned()
                .unwrap_or_else(|| json!({ "id": name, "baseUrl": "", "model": "" }));
            merge_fields(&mut provider, &name, &fields)?;
            list.push(provider);
        }
    } else {
        for (name, fields) in providers {
            let Some(fields) = fields.as_object() else {
                return Err(StudioError::bad_request(format!(
                    "providers.{name} must be an object of fields"
                )));
            };
            let at = match list.iter().position(|p| p["id"] == name.as_str()) {
                Some(at) => at,
                None => {
                    list.push(json!({ "id": name, "baseUrl": "", "model": "" }));
                    list.len() - 1
                }
            };
            merge_fields(&mut list[at], name, fields)?;
        }
    }
    llm["providers"] = Value::Array(list);
    Ok(())
}

/// Sets a provider's fields from Astonish names; `type` is taken and ignored, empty and masked values keep
/// what is there.
fn merge_fields(
    provider: &mut Value,
    name: &str,
    fields: &Map<String, Value>,
) -> Result<(), StudioError> {
    for (field, value) in fields {
        if field == "type" {
            continue;
        }
        let Some((_, ours)) = FIELDS.iter().find(|(astonish, _)| astonish == field) else {
            return Err(StudioError::bad_request(format!(
                "providers.{name}.{field} is not a field Drydock has; it takes type, base_url, model, api_key, \
                 timeout_ms"
            )));
        };
        let text = match value {
            Value::String(text) => text.trim().to_owned(),
            Value::Number(n) => n.to_string(),
            _ => {
                return Err(StudioError::bad_request(format!(
                    "providers.{name}.{field} must be text"
                )));
            }
        };
        if text.is_empty() || text.starts_with(MASK) {
            continue;
        }
        provider[*ours] = if *ours == "timeoutMs" {
            json!(
                text.parse::<u64>()
                    .map_err(|_| StudioError::bad_request(format!(
                        "providers.{name}.timeout_ms must be a whole number of milliseconds"
                    )))?
            )
        } else {
            json!(text)
        };
    }
    Ok(())
}

/// `GET /api/settings/status`.
pub async fn status(
    State(state): State<AppState>,
    StudioCallerOrAnonymous(_studio): StudioCallerOrAnonymous,
) -> Json<Value> {
    let in_use = state.core.llm_in_use();
    Json(json!({
        "setupRequired": false,
        "hasDefaultProvider": in_use.is_some(),
        "hasDefaultModel": in_use.is_some(),
        "configuredProviders": in_use.map(|(provider, _)| vec![provider]).unwrap_or_default(),
    }))
}

/// `GET /api/settings/mcp`.
pub async fn mcp(StudioCallerOrAnonymous(_studio): StudioCallerOrAnonymous) -> Json<Value> {
    Json(json!({ "mcpServers": {} }))
}

/// `PUT /api/settings/mcp`: nothing to add is fine; adding a server is refused with the reason.
pub async fn put_mcp(
    StudioCallerOrAnonymous(_studio): StudioCallerOrAnonymous,
    body: Body,
) -> Result<Json<Value>, StudioError> {
    let Json(body) = body?;
    let servers = &body["mcpServers"];
    if !body.is_object() || !(servers.is_null() || servers.is_object()) {
        return Err(StudioError::bad_request(
            "the body must be {mcpServers: {name: {command, args, ...}}}",
        ));
    }
    if servers.as_object().is_none_or(Map::is_empty) {
        return Ok(Json(json!({ "status": "ok" })));
    }
    Err(StudioError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "Drydock runs no MCP server processes on the host: every tool is a WebAssembly plugin in its \
         sandbox, under its policy. Install the tool as a Drydock plugin (`drydock plugin install`) instead.",
    ))
}

/// `GET /api/version`.
pub async fn version(StudioCallerOrAnonymous(_studio): StudioCallerOrAnonymous) -> Json<Value> {
    Json(json!({ "version": "dev", "drydock": env!("CARGO_PKG_VERSION") }))
}

/// `GET /api/sandbox/status`.
pub async fn sandbox(StudioCallerOrAnonymous(_studio): StudioCallerOrAnonymous) -> Json<Value> {
    Json(json!({
        "backend": "wasm",
        "platform": "drydock",
        "available": true,
        "sandboxEnabled": true,
        "runtimeAvailable": true,
        "baseTemplateExists": true,
        "reason": "every tool runs as a WebAssembly component in Drydock's sandbox, dry-run unless an operator grants live",
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_merge_keeps_masked_and_empty_values_and_names_unknown_fields() {
        let mut llm = json!({ "providers": [{ "id": "local", "baseUrl": "http://a/v1", "model": "m", "apiKey": "sk-…abcd" }] });
        let body = json!({ "local": { "type": "openai_compat", "api_key": "****sk-…abcd", "model": "m2", "base_url": "" }, "new": { "base_url": "http://b/v1", "model": "x", "timeout_ms": "5000" } });
        apply_providers(&mut llm, &body).unwrap();
        assert_eq!(
            llm["providers"],
            json!([
                { "id": "local", "baseUrl": "http://a/v1", "model": "m2", "apiKey": "sk-…abcd" },
                { "id": "new", "baseUrl": "http://b/v1", "model": "x", "timeoutMs": 5000 },
            ])
        );
        let err = apply_providers(&mut llm, &json!({ "local": { "region": "eu" } })).unwrap_err();
        assert!(err.message.contains("region"), "{err:?}");
    }

    #[test]
    fn replace_all_replaces_the_list_and_keeps_a_known_providers_key() {
        let mut llm = json!({ "providers": [{ "id": "a", "baseUrl": "u", "model": "m", "apiKey": "k…" }, { "id": "b", "baseUrl": "u", "model": "m" }] });
        let array = json!([{ "name": "a", "api_key": "****k…" }]).to_string();
        apply_providers(
            &mut llm,
            &json!({ "__replace_all__": { "__array__": array } }),
        )
        .unwrap();
        assert_eq!(
            llm["providers"],
            json!([{ "id": "a", "baseUrl": "u", "model": "m", "apiKey": "k…" }])
        );
    }
}
