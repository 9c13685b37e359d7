//! The provider-neutral request and answer types: [`ChatRequest`] in, [`ChatResponse`] out. The request
//! deserializes from the JSON a plugin sends through `host.llm-complete`
//! (`{"messages": [{"role", "content"}], "temperature"?, "max_tokens"?, "response_format_json"?}`), so an
//! adapter is one `serde_json::from_value` away.

use serde::{Deserialize, Serialize};

use crate::LlmError;

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions for the model.
    System,
    /// The person (or the program acting for them).
    User,
    /// The model's earlier answers.
    Assistant,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// Who said it.
    pub role: Role,
    /// What was said.
    pub content: String,
}

impl Message {
    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Self {
            role: Role::System,
            content: content.into(),
        }
    }

    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: content.into(),
        }
    }

    /// An assistant message.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// A chat-completions request, without the model (the provider's) and streaming (the method's).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    /// The conversation so far; at least one message.
    pub messages: Vec<Message>,
    /// Sampling temperature (0 to 2); the provider's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// Upper bound on the answer's tokens; the provider's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Ask for a JSON object answer (`response_format: {"type": "json_object"}`).
    #[serde(default)]
    pub response_format_json: bool,
}

impl ChatRequest {
    /// A request with these messages and the provider's defaults for everything else.
    pub fn new(messages: Vec<Message>) -> Self {
        Self {
            messages,
            ..Self::default()
        }
    }

    /// Checks what a provider would refuse with a less helpful message.
    pub(crate) fn check(&self) -> Result<(), LlmError> {
        let invalid = |reason: String| Err(LlmError::InvalidRequest { reason });
        if self.messages.is_empty() {
            return invalid("it needs at least one message".into());
        }
        if let Some(t) = self.temperature
            && !(0.0..=2.0).contains(&t)
        {
            return invalid(format!("temperature {t} is outside 0 to 2"));
        }
        if self.max_tokens == Some(0) {
            return invalid("max_tokens must be at least 1".into());
        }
        Ok(())
    }
}

/// Token counts, when the provider reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens of the prompt.
    #[serde(default)]
    pub prompt_tokens: u64,
    /// Tokens of the answer.
    #[serde(default)]
    pub completion_tokens: u64,
    /// Both together.
    #[serde(default)]
    pub total_tokens: u64,
}

/// A completed answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatResponse {
    /// The answer's text; never empty.
    pub content: String,
    /// The model that answered, as the provider named it.
    pub model: String,
    /// Why the model stopped (`stop`, `length`, ...), when the provider says.
    pub finish_reason: Option<String>,
    /// Token counts, when the provider reports them.
    pub usage: Option<Usage>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_plugin_request_deserializes() {
        let request: ChatRequest = serde_json::from_value(json!({
            "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
            "temperature": 0.2
        }))
        .unwrap();
        assert_eq!(request.messages[1], Message::user("Hi"));
        assert_eq!(request.temperature, Some(0.2));
        assert!(!request.response_format_json);
    }

    #[test]
    fn unknown_roles_and_fields_are_refused() {
        for bad in [
            json!({"messages": [{"role": "tool", "content": "x"}]}),
            json!({"messages": [], "temprature": 1}),
        ] {
            assert!(serde_json::from_value::<ChatRequest>(bad).is_err());
        }
    }

    #[test]
    fn check_names_what_is_wrong() {
        assert!(
            ChatRequest::default()
                .check()
                .unwrap_err()
                .to_string()
                .contains("at least one message")
        );
        let hot = ChatRequest {
            temperature: Some(3.0),
            ..ChatRequest::new(vec![Message::user("hi")])
        };
        assert!(hot.check().unwrap_err().to_string().contains("temperature"));
    }
}
