//! [`Provider`]: one configured OpenAI-compatible server, and its three calls: a completion, a streamed
//! completion and the list of models. Each call runs under the provider's overall timeout and response
//! bound; each failure is one [`LlmError`] that names the URL and never the key.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use http::Method;
use tokio::time::Instant;

use crate::config::Endpoint;
use crate::error::TimeoutPhase;
use crate::stream::StreamLimits;
use crate::transport::{Transport, read_bounded};
use crate::wire::{self, Reader};
use crate::{ChatRequest, ChatResponse, ChatStream, LlmError, ProviderConfig};

const CHAT_ROUTE: &str = "/chat/completions";
const MODELS_ROUTE: &str = "/models";

/// A configured OpenAI-compatible chat-completions provider (OpenAI, Ollama, vLLM, llama.cpp server).
/// Cheap to clone; every call opens its own connection.
#[derive(Clone)]
pub struct Provider {
    id: String,
    model: String,
    timeout: Duration,
    transport: Transport,
}

impl Provider {
    /// Checks `config` and prepares the connection settings (TLS roots for https). Nothing is sent yet.
    pub fn new(config: ProviderConfig) -> Result<Self, LlmError> {
        let invalid = |reason: &str| {
            Err(LlmError::InvalidConfig {
                reason: format!("provider `{}`: {reason}", config.id),
            })
        };
        if config.id.trim().is_empty() {
            return Err(LlmError::InvalidConfig {
                reason: "a provider needs a non-empty id".into(),
            });
        }
        if config.model.trim().is_empty() {
            return invalid("a model name is needed (e.g. gpt-4o-mini, llama3.2)");
        }
        if config.timeout.is_zero() || config.connect_timeout.is_zero() {
            return invalid("timeouts must be longer than zero");
        }
        if config.max_response_bytes == 0 {
            return invalid("the response bound must be at least one byte");
        }
        let endpoint = Endpoint::parse(&config.base_url)?;
        let transport = Transport::new(
            endpoint,
            config.api_key,
            config.connect_timeout,
            config.max_response_bytes,
        )?;
        Ok(Self {
            id: config.id,
            model: config.model.trim().to_owned(),
            timeout: config.timeout,
            transport,
        })
    }

    /// The provider's id, as configured.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The model requests ask for.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The same provider asking for another model.
    pub fn with_model(&self, model: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            ..self.clone()
        }
    }

    /// The normalised base URL, e.g. `http://localhost:11434/v1`.
    pub fn base_url(&self) -> String {
        self.transport.endpoint.url("")
    }

    /// The API key as settings may show it (`sk-…abcd`), if one is set.
    pub fn masked_key(&self) -> Option<String> {
        self.transport.key.as_ref().map(|key| key.masked())
    }

    /// Asks for one completion and waits for all of it.
    pub async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        request.check()?;
        let body = wire::request_body(&self.model, request, false);
        let reader = self.reader(CHAT_ROUTE);
        self.bounded(&reader, async {
            let mut answer = self
                .transport
                .send(Method::POST, CHAT_ROUTE, Some(&body), "application/json")
                .await?;
            let bytes = self.read_body(&reader, &mut answer).await?;
            reader.completion(&bytes, &self.model)
        })
        .await
    }

    /// Asks for a streamed completion (`stream: true`). Returns once the provider accepted the request;
    /// the deltas then arrive through the [`ChatStream`], still under the overall timeout and the response
    /// bound. A server that ignores `stream` and answers with one JSON completion gives a one-delta stream.
    pub async fn chat_stream(&self, request: &ChatRequest) -> Result<ChatStream, LlmError> {
        request.check()?;
        let body = wire::request_body(&self.model, request, true);
        let reader = self.reader(CHAT_ROUTE);
        let deadline = Instant::now() + self.timeout;
        self.bounded(&reader, async {
            let mut answer = self
                .transport
                .send(Method::POST, CHAT_ROUTE, Some(&body), "text/event-stream")
                .await?;
            if !answer.status.is_success() || answer.content_type.starts_with("application/json") {
                let bytes = self.read_body(&reader, &mut answer).await?;
                let whole = reader.completion(&bytes, &self.model)?;
                return Ok(ChatStream::of_text(whole.content));
            }
            let limits = StreamLimits {
                deadline,
                timeout: self.timeout,
                max_bytes: self.transport.max_response_bytes,
                model: self.model.clone(),
            };
            Ok(ChatStream::start(answer.body, reader.clone(), limits))
        })
        .await
    }

    /// The models the provider serves (`GET /models`), in the provider's order.
    pub async fn models(&self) -> Result<Vec<String>, LlmError> {
        let reader = self.reader(MODELS_ROUTE);
        self.bounded(&reader, async {
            let mut answer = self
                .transport
                .send(Method::GET, MODELS_ROUTE, None, "application/json")
                .await?;
            let bytes = self.read_body(&reader, &mut answer).await?;
            reader.models(&bytes)
        })
        .await
    }

    fn reader(&self, route: &str) -> Reader {
        Reader {
            url: self.transport.endpoint.url(route),
            key: self.transport.key.clone(),
        }
    }

    /// Runs `call` under the overall timeout.
    async fn bounded<T>(
        &self,
        reader: &Reader,
        call: impl Future<Output = Result<T, LlmError>>,
    ) -> Result<T, LlmError> {
        tokio::time::timeout(self.timeout, call)
            .await
            .unwrap_or_else(|_| {
                Err(LlmError::Timeout {
                    url: reader.url.clone(),
                    phase: TimeoutPhase::Answer,
                    after: self.timeout,
                })
            })
    }

    /// Reads a whole body under the response bound; a non-2xx status becomes [`LlmError::Status`].
    async fn read_body(
        &self,
        reader: &Reader,
        answer: &mut crate::transport::Answer,
    ) -> Result<bytes::Bytes, LlmError> {
        let limit = self.transport.max_response_bytes;
        let read = read_bounded(&mut answer.body, limit, &reader.url).await;
        if answer.status.is_success() {
            return read;
        }
        // An error body too large to read, or cut off, still gives the status.
        Err(reader.status_error(answer.status, &read.unwrap_or_default()))
    }
}

impl fmt::Debug for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Provider")
            .field("id", &self.id)
            .field("base_url", &self.base_url())
            .field("model", &self.model)
            .field("api_key", &self.masked_key())
            .field("timeout", &self.timeout)
            .finish()
    }
}
