//! Host settings edited over the API: the language-model providers (OpenAI-compatible chat completions:
//! OpenAI, Ollama, vLLM, llama.cpp server), which one is the default, and which model it uses.
//!
//! The settings are stored as one JSON value in the `settings` table and applied at once: the default
//! provider becomes the chat agent's model ([`LlmSlot`]) and the runtime's `llm-complete` backend for
//! plugins granted `llm = true`. API keys are kept in the store (the data directory is the host's secret
//! store, like its token hashes) and never leave it: reads show them masked, the audit row names only which
//! providers changed, and errors never include them. A `PUT` that sends a key back masked (as `GET` showed
//! it) keeps the stored key, so a client can edit other fields without knowing the key.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use drydock_llm::{ApiKey, ChatRequest, Provider, ProviderConfig};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::actor::Actor;
use crate::core_error::CoreError;
use crate::service::Core;
use crate::stamp::now;
use crate::store::AuditEntry;
use crate::store::rows::{json_column, query_one};
use crate::{Store, StoreError};

/// The settings key of the LLM configuration.
const LLM_KEY: &str = "llm";
/// At most this many providers.
const MAX_PROVIDERS: usize = 16;
/// Bounds on a provider's request timeout.
const MAX_TIMEOUT_MS: u64 = 600_000;

/// The LLM settings, as stored (keys in clear) and as `PUT /api/settings` takes them.
///
/// Field names are camelCase; the snake_case names of earlier versions are still read (stored settings and
/// old clients).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LlmSettings {
    /// The configured providers.
    #[serde(default)]
    pub providers: Vec<ProviderSettings>,
    /// The provider the agent and plugins use; none means no language model.
    #[serde(default, alias = "default_provider")]
    pub default_provider: Option<String>,
    /// The model to ask the default provider for (its own `model` when absent).
    #[serde(default, alias = "default_model")]
    pub default_model: Option<String>,
}

/// One provider.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProviderSettings {
    /// Its name: lowercase letters, digits, `-`, `_`.
    pub id: String,
    /// Its API base, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`.
    #[serde(alias = "base_url")]
    pub base_url: String,
    /// The model it is asked for by default.
    pub model: String,
    /// Bearer key, if it needs one. On `PUT`, a masked value (as `GET` shows it) keeps the stored key.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "api_key")]
    pub api_key: Option<String>,
    /// Overall bound on one request, in milliseconds (default 60 000).
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "timeout_ms")]
    pub timeout_ms: Option<u64>,
}

/// The language model the agent uses now, if one is configured.
#[derive(Default)]
pub struct LlmSlot {
    provider: RwLock<Option<Arc<Provider>>>,
}

impl LlmSlot {
    /// The current provider (with the default model applied).
    pub fn get(&self) -> Option<Arc<Provider>> {
        self.provider
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn set(&self, provider: Option<Arc<Provider>>) {
        *self
            .provider
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = provider;
    }
}

impl Core {
    /// The language model in use now, as `(provider id, model)`, or `None` when none is configured: what
    /// a page tells a person before they chat (no key, no URL; anyone signed in may know it).
    pub fn llm_in_use(&self) -> Option<(String, String)> {
        self.shared
            .llm
            .get()
            .map(|p| (p.id().to_owned(), p.model().to_owned()))
    }

    /// Asks the language model in use: `messages` as `(role, content)`, role `system`, `user` or
    /// `assistant` (anything else is sent as `user`). `None` when no model is configured; a failing
    /// provider is an upstream error (its message names no key).
    pub async fn ask_llm(
        &self,
        messages: Vec<(String, String)>,
    ) -> Result<Option<String>, CoreError> {
        let Some(model) = self.shared.llm.get() else {
            return Ok(None);
        };
        let messages = messages
            .into_iter()
            .map(|(role, content)| match role.as_str() {
                "system" => drydock_llm::Message::system(content),
                "assistant" => drydock_llm::Message::assistant(content),
                _ => drydock_llm::Message::user(content),
            })
            .collect();
        let answer = model
            .chat(&ChatRequest::new(messages))
            .await
            .map_err(|err| CoreError::Upstream(format!("the language model failed: {err}")))?;
        Ok(Some(answer.content))
    }

    /// The settings with API keys masked (operators).
    pub async fn settings(&self, actor: &Actor) -> Result<Value, CoreError> {
        actor.require_operator("reading the settings")?;
        let settings = self.stored_llm_settings().await?;
        Ok(json!({
            "llm": masked(&settings),
            "active": self.shared.llm.get().map(|p| json!({ "provider": p.id(), "model": p.model() })),
        }))
    }

    /// Replaces the settings (operators): validated, stored, audited and applied at once.
    pub async fn put_settings(&self, actor: &Actor, body: Value) -> Result<Value, CoreError> {
        actor.require_operator("changing the settings")?;
        let Some(object) = body.as_object() else {
            return Err(CoreError::Invalid(
                "the settings must be an object {\"llm\": {providers, defaultProvider?, defaultModel?}}".into(),
            ));
        };
        if let Some(unknown) = object.keys().find(|k| *k != "llm") {
            return Err(CoreError::Invalid(format!(
                "unknown settings section `{unknown}`; the sections are: llm"
            )));
        }
        let mut settings: LlmSettings =
            serde_json::from_value(object.get("llm").cloned().unwrap_or(json!({})))
                .map_err(|err| CoreError::Invalid(format!("llm: {err}")))?;
        let stored = self.stored_llm_settings().await?;
        keep_masked_keys(&mut settings, &stored);
        let provider = build_default(&settings)?;
        let (value, name) = (
            serde_json::to_value(&settings).map_err(|e| CoreError::Internal(e.to_string()))?,
            actor.name.clone(),
        );
        let detail = json!({
            "providers": settings.providers.iter().map(|p| json!({ "id": p.id, "baseUrl": p.base_url, "model": p.model, "apiKey": p.api_key.is_some() })).collect::<Vec<_>>(),
            "defaultProvider": settings.default_provider,
            "defaultModel": settings.default_model,
        });
        self.store(move |s| {
            s.put_setting(LLM_KEY, &value, &name)?;
            s.audit_append(&AuditEntry {
                actor: name.clone(),
                action: "settings.update".into(),
                target: Some(LLM_KEY.into()),
                correlation_id: None,
                detail,
            })?;
            Ok(())
        })
        .await?;
        self.apply_llm(provider);
        self.settings(actor).await
    }

    /// The models a configured provider offers (`GET {base}/models`).
    pub async fn provider_models(&self, actor: &Actor, id: &str) -> Result<Value, CoreError> {
        actor.require_operator("listing a provider's models")?;
        let settings = self.stored_llm_settings().await?;
        let config = settings
            .providers
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| {
                CoreError::NotFound(format!(
                    "no provider `{id}` in the settings; configure it with PUT /api/settings"
                ))
            })?;
        let provider = Provider::new(provider_config(config)?)
            .map_err(|err| CoreError::Invalid(format!("provider `{id}`: {err}")))?;
        let models = provider
            .models()
            .await
            .map_err(|err| CoreError::Upstream(format!("provider `{id}`: {err}")))?;
        Ok(json!({ "provider": id, "models": models }))
    }

    /// At start: applies the stored settings (a provider that no longer validates is logged and skipped).
    pub(crate) async fn load_llm_settings(&self) -> Result<(), CoreError> {
        let settings = self.stored_llm_settings().await?;
        match build_default(&settings) {
            Ok(provider) => self.apply_llm(provider),
            Err(err) => {
                tracing::warn!(error = %err, "the stored LLM settings do not validate; no language model is configured")
            }
        }
        Ok(())
    }

    pub(crate) async fn stored_llm_settings(&self) -> Result<LlmSettings, CoreError> {
        let value = self.store(|s| s.setting(LLM_KEY)).await?;
        match value {
            None => Ok(LlmSettings::default()),
            Some(value) => serde_json::from_value(value).map_err(|err| {
                CoreError::Internal(format!("the stored LLM settings are unreadable: {err}"))
            }),
        }
    }

    fn apply_llm(&self, provider: Option<Arc<Provider>>) {
        self.shared.runtime.set_llm(
            provider
                .clone()
                .map(|p| Arc::new(RuntimeLlm(p)) as Arc<dyn drydock_runtime::LlmProvider>),
        );
        if let Some(p) = &provider {
            tracing::info!(provider = p.id(), model = p.model(), base_url = %p.base_url(), "language model configured");
        }
        self.shared.llm.set(provider);
    }
}

/// The settings as `GET` shows them: every key masked.
fn masked(settings: &LlmSettings) -> Value {
    let mut shown = settings.clone();
    for provider in &mut shown.providers {
        provider.api_key = provider
            .api_key
            .as_ref()
            .map(|k| ApiKey::new(k.clone()).masked());
    }
    serde_json::to_value(shown).unwrap_or_default()
}

/// A key sent back exactly as `GET` masked it means "keep the stored key".
fn keep_masked_keys(settings: &mut LlmSettings, stored: &LlmSettings) {
    for provider in &mut settings.providers {
        let Some(sent) = &provider.api_key else {
            continue;
        };
        if let Some(old) = stored
            .providers
            .iter()
            .find(|p| p.id == provider.id)
            .and_then(|p| p.api_key.as_ref())
            && ApiKey::new(old.clone()).masked() == *sent
        {
            provider.api_key = Some(old.clone());
        }
    }
}

/// Validates the settings and builds the default provider (none when no default is named).
fn build_default(settings: &LlmSettings) -> Result<Option<Arc<Provider>>, CoreError> {
    if settings.providers.len() > MAX_PROVIDERS {
        return Err(CoreError::Invalid(format!(
            "llm.providers: at most {MAX_PROVIDERS} providers"
        )));
    }
    let mut built = Vec::new();
    for (i, provider) in settings.providers.iter().enumerate() {
        let valid_id = !provider.id.is_empty()
            && provider.id.len() <= 64
            && provider
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !valid_id {
            return Err(CoreError::Invalid(format!(
                "llm.providers[{i}].id must be 1-64 of a-z, 0-9, '-', '_' (got {:?})",
                provider.id
            )));
        }
        if settings.providers[..i].iter().any(|p| p.id == provider.id) {
            return Err(CoreError::Invalid(format!(
                "llm.providers[{i}].id `{}` is used twice",
                provider.id
            )));
        }
        if provider.model.trim().is_empty() {
            return Err(CoreError::Invalid(format!(
                "llm.providers[{i}].model must name a model"
            )));
        }
        let config = provider_config(provider)?;
        let client = Provider::new(config)
            .map_err(|err| CoreError::Invalid(format!("llm.providers[{i}]: {err}")))?;
        built.push(client);
    }
    let Some(default) = &settings.default_provider else {
        if settings.default_model.is_some() {
            return Err(CoreError::Invalid(
                "llm.defaultModel needs llm.defaultProvider".into(),
            ));
        }
        return Ok(None);
    };
    let provider = built
        .into_iter()
        .find(|p| p.id() == default)
        .ok_or_else(|| {
            CoreError::Invalid(format!(
                "llm.defaultProvider `{default}` is not one of llm.providers"
            ))
        })?;
    Ok(Some(Arc::new(match &settings.default_model {
        Some(model) if model.trim().is_empty() => {
            return Err(CoreError::Invalid(
                "llm.defaultModel must name a model".into(),
            ));
        }
        Some(model) => provider.with_model(model.clone()),
        None => provider,
    })))
}

pub(crate) fn provider_config(provider: &ProviderSettings) -> Result<ProviderConfig, CoreError> {
    let mut config = ProviderConfig::new(&provider.id, &provider.base_url, &provider.model);
    if let Some(key) = provider.api_key.as_ref().filter(|k| !k.is_empty()) {
        config = config.with_api_key(key.clone());
    }
    if let Some(ms) = provider.timeout_ms {
        if ms == 0 || ms > MAX_TIMEOUT_MS {
            return Err(CoreError::Invalid(format!(
                "provider `{}`: timeoutMs must be between 1 and {MAX_TIMEOUT_MS}",
                provider.id
            )));
        }
        config = config.with_timeout(Duration::from_millis(ms));
    }
    Ok(config)
}

/// The runtime's `llm-complete` backend: a plugin's `{messages:[{role, content}], temperature?, max_tokens?,
/// response_format_json?}` sent to the configured provider.
struct RuntimeLlm(Arc<Provider>);

impl drydock_runtime::LlmProvider for RuntimeLlm {
    fn complete(&self, request: Value) -> drydock_runtime::Completion<'_> {
        Box::pin(async move {
            let request: ChatRequest = serde_json::from_value(request)
                .map_err(|err| format!("the completion request is not valid: {err}"))?;
            let answer = self.0.chat(&request).await.map_err(|err| err.to_string())?;
            Ok(answer.content)
        })
    }
}

impl Store {
    /// The setting `key`, if set.
    pub fn setting(&self, key: &str) -> Result<Option<Value>, StoreError> {
        self.read(|conn| {
            query_one(
                conn,
                "SELECT value FROM settings WHERE key = ?1",
                [key],
                |row| json_column(row, 0, "settings.value"),
            )
        })
    }

    /// Sets `key` to `value`, recording who changed it.
    pub fn put_setting(&self, key: &str, value: &Value, by: &str) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO settings (key, value, updated_by, updated_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (key) DO UPDATE SET value = ?2, updated_by = ?3, updated_at = ?4",
                rusqlite::params![key, crate::canonical_json(value), by, now()],
            )?;
            Ok(())
        })
    }
}
