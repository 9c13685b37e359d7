//! The language model a client chooses for a workflow run (Astonish's studio sends `provider` and `model`
//! with every run request): who may choose what, the models a caller may be shown for a provider, and the
//! provider a run's llm nodes then use.
//!
//! Only providers configured in the LLM settings can be chosen, never a base URL or key of the caller's.
//! An operator may choose any configured provider and any model it serves. A signed-in user may choose any
//! configured provider, with a model the settings name for it (its `model`, and `defaultModel` for the
//! default provider): a model is a cost an operator decides on. An anonymous caller may only use the
//! default provider with the model in use. Anything else is an `Invalid` error naming the provider or
//! model and what may be chosen instead; there is no silent fallback. A choice equal to the model in use
//! is no choice (the run follows the server's default); any other is stored with the run, so its
//! continuations and a restart keep it.

use std::sync::Arc;

use drydock_llm::Provider;
use serde::{Deserialize, Serialize};

use crate::actor::Actor;
use crate::core_error::CoreError;
use crate::service::Core;
use crate::settings::{LlmSettings, ProviderSettings, provider_config};
use crate::users::Role;

/// A run's chosen language model: a configured provider and one of its models.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LlmChoice {
    /// The provider's id in the settings.
    pub provider: String,
    /// The model asked for.
    pub model: String,
}

impl Core {
    /// The models `actor` may choose for provider `provider` (empty when it is not configured, or when the
    /// caller may not use it). Names only: never a URL or key.
    pub async fn choosable_models(
        &self,
        actor: &Actor,
        provider: &str,
    ) -> Result<Vec<String>, CoreError> {
        let settings = self.stored_llm_settings().await?;
        let Some(configured) = settings.providers.iter().find(|p| p.id == provider) else {
            return Ok(Vec::new());
        };
        if actor.is_anonymous() {
            return Ok(match self.llm_in_use() {
                Some((id, model)) if id == provider => vec![model],
                _ => Vec::new(),
            });
        }
        Ok(configured_models(&settings, configured))
    }

    /// Checks a client's `provider` and `model` for `actor` (empty or absent: the server's default). `None`
    /// when the run is to use the model in use; an error naming what may not be chosen otherwise.
    pub async fn choose_llm(
        &self,
        actor: &Actor,
        provider: Option<&str>,
        model: Option<&str>,
    ) -> Result<Option<LlmChoice>, CoreError> {
        let provider = provider.map(str::trim).filter(|p| !p.is_empty());
        let model = model.map(str::trim).filter(|m| !m.is_empty());
        let in_use = self.llm_in_use();
        if provider.is_none() && model.is_none() {
            return Ok(None);
        }
        let settings = self.stored_llm_settings().await?;
        let provider = match (provider, &in_use) {
            (Some(provider), _) => provider.to_owned(),
            (None, Some((default, _))) => default.clone(),
            (None, None) => {
                return Err(CoreError::Invalid(format!(
                    "model `{}` was asked for, but no language model is configured on this server \
                     (an operator sets one in the settings)",
                    model.unwrap_or_default()
                )));
            }
        };
        let Some(configured) = settings.providers.iter().find(|p| p.id == provider) else {
            let known: Vec<&str> = settings.providers.iter().map(|p| p.id.as_str()).collect();
            return Err(CoreError::Invalid(format!(
                "provider `{provider}` is not configured on this server; {}",
                if known.is_empty() {
                    "none is (an operator adds one in the settings)".to_owned()
                } else {
                    format!("the configured providers are: {}", known.join(", "))
                }
            )));
        };
        let is_default = in_use.as_ref().is_some_and(|(id, _)| *id == provider);
        let model = match model {
            Some(model) => model.to_owned(),
            None => match &in_use {
                Some((_, model)) if is_default => model.clone(),
                _ => configured.model.clone(),
            },
        };
        if in_use
            .as_ref()
            .is_some_and(|(id, m)| *id == provider && *m == model)
        {
            return Ok(None);
        }
        if actor.is_anonymous() {
            return Err(CoreError::Invalid(match &in_use {
                Some((default, used)) => format!(
                    "an anonymous caller may only use the default provider `{default}` with model `{used}`, \
                     not `{provider}` / `{model}`; sign in to choose another"
                ),
                None => format!(
                    "an anonymous caller may not choose provider `{provider}`: no default language model \
                     is configured on this server"
                ),
            }));
        }
        if actor.role != Role::Operator {
            let allowed = configured_models(&settings, configured);
            if !allowed.contains(&model) {
                return Err(CoreError::Invalid(format!(
                    "model `{model}` is not one you may choose for provider `{provider}`; the models \
                     configured for it are: {} (an operator may choose any)",
                    allowed.join(", ")
                )));
            }
        }
        Ok(Some(LlmChoice { provider, model }))
    }

    /// The provider for a run's `choice`, built from the settings as they are now (the message names the
    /// provider when it is no longer configured; never a key).
    pub(crate) async fn chosen_provider(
        &self,
        choice: &LlmChoice,
    ) -> Result<Arc<Provider>, String> {
        let settings = self
            .stored_llm_settings()
            .await
            .map_err(|err| err.to_string())?;
        let configured = settings
            .providers
            .iter()
            .find(|p| p.id == choice.provider)
            .ok_or_else(|| {
                format!(
                    "provider `{}`, chosen for this run, is no longer configured on this server",
                    choice.provider
                )
            })?;
        let config = provider_config(configured).map_err(|err| err.to_string())?;
        let provider = Provider::new(config)
            .map_err(|err| format!("provider `{}`: {err}", choice.provider))?;
        Ok(Arc::new(provider.with_model(choice.model.clone())))
    }
}

/// The models the settings name for `provider`: its own, and the default model when it is the default.
fn configured_models(settings: &LlmSettings, provider: &ProviderSettings) -> Vec<String> {
    let mut models = vec![provider.model.clone()];
    if settings.default_provider.as_deref() == Some(provider.id.as_str())
        && let Some(model) = &settings.default_model
        && !models.contains(model)
    {
        models.push(model.clone());
    }
    models
}

impl Core {
    /// Every configured provider `actor` may use, with the models they may choose for it (for an operator,
    /// the ones the settings name), in the settings' order. Names only: never a URL or key.
    pub async fn choosable_providers(
        &self,
        actor: &Actor,
    ) -> Result<Vec<(String, Vec<String>)>, CoreError> {
        let settings = self.stored_llm_settings().await?;
        let mut choosable = Vec::new();
        for provider in &settings.providers {
            let models = self.choosable_models(actor, &provider.id).await?;
            if !models.is_empty() {
                choosable.push((provider.id.clone(), models));
            }
        }
        Ok(choosable)
    }
}
