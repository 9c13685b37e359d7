//! # drydock-llm
//!
//! A client for OpenAI-compatible chat-completions servers: OpenAI itself, Ollama (`/v1`), vLLM and the
//! llama.cpp server. It knows nothing of plugins or plans; the host plugs a [`Provider`] into the runtime's
//! `LlmProvider` seam.
//!
//! ```no_run
//! # async fn demo() -> Result<(), drydock_llm::LlmError> {
//! use drydock_llm::{ChatRequest, Message, Provider, ProviderConfig};
//!
//! let provider = Provider::new(ProviderConfig::new("ollama", "http://localhost:11434/v1", "llama3.2"))?;
//! let answer = provider
//!     .chat(&ChatRequest::new(vec![Message::user("Say hi in one word.")]))
//!     .await?;
//! println!("{}: {}", answer.model, answer.content);
//! # Ok(()) }
//! ```
//!
//! Every call is bounded: a connect timeout, an overall timeout, a response size limit. The API key never
//! appears in an error or a `Debug` output ([`ApiKey`] prints masked, and provider text is redacted before
//! it is put in an error). The crate logs nothing; callers log the errors it returns.
//!
//! # Layout
//! - [`config`]: [`ProviderConfig`], [`ApiKey`] and the validated base URL ([`Endpoint`]).
//! - `chat`: the request and answer types ([`ChatRequest`], [`Message`], [`ChatResponse`], [`Usage`]).
//! - `provider`: [`Provider`] and its calls `chat`, `chat_stream`, `models`.
//! - `stream`: [`ChatStream`] and the server-sent-events decoder.
//! - `wire`: the OpenAI JSON shapes, read into our types or into a precise [`LlmError`].
//! - `transport`: one HTTP/1.1 exchange over TCP or TLS, with the body read under a bound.
//! - `error`: [`LlmError`].

pub mod config;

mod chat;
mod error;
mod provider;
mod stream;
mod transport;
mod wire;

pub use chat::{ChatRequest, ChatResponse, Message, Role, Usage};
pub use config::{ApiKey, Endpoint, ProviderConfig};
pub use error::{LlmError, TimeoutPhase};
pub use provider::Provider;
pub use stream::ChatStream;
