//! The OpenAI chat-completions wire format: the request body we send, and reading what comes back (a
//! completion, a streamed chunk, a model list, an error body) into our types or into a precise
//! [`LlmError`]. Every piece of provider text that ends up in an error goes through [`Reader::redact`].

use serde_json::{Value, json};

use crate::{ApiKey, ChatRequest, ChatResponse, LlmError, Usage};

/// An excerpt of a body in an error is at most this many characters.
const EXCERPT_CHARS: usize = 160;
/// A provider's error message is kept to this many characters.
const MESSAGE_CHARS: usize = 400;

/// The JSON body of `POST /chat/completions`.
pub fn request_body(model: &str, request: &ChatRequest, stream: bool) -> Value {
    let mut body = json!({
        "model": model,
        "messages": request.messages,
        "stream": stream,
    });
    if let Some(temperature) = request.temperature {
        body["temperature"] = json!(temperature);
    }
    if let Some(max_tokens) = request.max_tokens {
        body["max_tokens"] = json!(max_tokens);
    }
    if request.response_format_json {
        body["response_format"] = json!({"type": "json_object"});
    }
    body
}

/// Reads a provider's answers to one request: knows the URL (for errors) and the key (to redact).
#[derive(Clone)]
pub struct Reader {
    /// The URL of the request.
    pub url: String,
    /// The key sent with it, if any.
    pub key: Option<ApiKey>,
}

impl Reader {
    /// `text` with the API key masked and control characters (but newlines) made visible.
    pub fn redact(&self, text: &str) -> String {
        let text = match &self.key {
            Some(key) => key.redact(text),
            None => text.to_owned(),
        };
        text.chars()
            .map(|c| {
                if c.is_control() && c != '\n' {
                    '\u{fffd}'
                } else {
                    c
                }
            })
            .collect()
    }

    /// The first characters of `body`, redacted.
    pub fn excerpt(&self, body: &[u8]) -> String {
        let text = String::from_utf8_lossy(body);
        let mut excerpt = self.redact(&text);
        if let Some((cut, _)) = excerpt.char_indices().nth(EXCERPT_CHARS) {
            excerpt.truncate(cut);
            excerpt.push('…');
        }
        excerpt
    }

    /// A [`LlmError::Malformed`] saying `problem` about `body`.
    pub fn malformed(&self, problem: impl Into<String>, body: &[u8]) -> LlmError {
        LlmError::Malformed {
            url: self.url.clone(),
            problem: problem.into(),
            excerpt: self.excerpt(body),
        }
    }

    /// The error for a non-2xx answer: the provider's message if it sent one in a known shape, else an
    /// excerpt of the body, else the status's reason phrase.
    pub fn status_error(&self, status: http::StatusCode, body: &[u8]) -> LlmError {
        let message = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|value| error_message(&value))
            .map(|message| self.short(&message))
            .unwrap_or_else(|| {
                let excerpt = self.excerpt(body);
                if excerpt.trim().is_empty() {
                    status.canonical_reason().unwrap_or("no message").to_owned()
                } else {
                    excerpt
                }
            });
        LlmError::Status {
            url: self.url.clone(),
            status: status.as_u16(),
            message,
        }
    }

    /// A [`LlmError::Reported`] for an error object in a 200 answer or a stream.
    fn reported(&self, message: &str) -> LlmError {
        LlmError::Reported {
            url: self.url.clone(),
            message: self.short(message),
        }
    }

    fn short(&self, message: &str) -> String {
        let mut message = self.redact(message.trim());
        if let Some((cut, _)) = message.char_indices().nth(MESSAGE_CHARS) {
            message.truncate(cut);
            message.push('…');
        }
        message
    }

    /// Reads a non-streamed completion.
    pub fn completion(&self, body: &[u8], fallback_model: &str) -> Result<ChatResponse, LlmError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|err| self.malformed(format!("the body is not JSON ({err})"), body))?;
        if !value.is_object() {
            return Err(self.malformed("the body is not a JSON object", body));
        }
        if value.get("choices").is_none()
            && let Some(message) = error_message(&value)
        {
            return Err(self.reported(&message));
        }
        let choices = value
            .get("choices")
            .and_then(Value::as_array)
            .ok_or_else(|| self.malformed("it has no `choices` array", body))?;
        let model = model_of(&value, fallback_model);
        let Some(choice) = choices.first() else {
            return Err(empty(&model, None));
        };
        let content = match choice.pointer("/message/content") {
            Some(Value::String(content)) => content.clone(),
            None | Some(Value::Null) => String::new(),
            Some(_) => {
                return Err(self.malformed("`choices[0].message.content` is not a string", body));
            }
        };
        let finish_reason = choice
            .get("finish_reason")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if content.trim().is_empty() {
            return Err(empty(&model, finish_reason.as_deref()));
        }
        let usage = value
            .get("usage")
            .and_then(|usage| serde_json::from_value::<Usage>(usage.clone()).ok());
        Ok(ChatResponse {
            content,
            model,
            finish_reason,
            usage,
        })
    }

    /// Reads one `data:` payload of a stream: the content delta it carries (maybe none).
    pub fn stream_chunk(&self, data: &str) -> Result<Option<String>, LlmError> {
        let value: Value = serde_json::from_str(data).map_err(|err| {
            self.malformed(
                format!("a stream event is not JSON ({err})"),
                data.as_bytes(),
            )
        })?;
        if value.get("choices").is_none()
            && let Some(message) = error_message(&value)
        {
            return Err(self.reported(&message));
        }
        let Some(choices) = value.get("choices").and_then(Value::as_array) else {
            return Err(self.malformed("a stream event has no `choices` array", data.as_bytes()));
        };
        match choices.first().and_then(|c| c.pointer("/delta/content")) {
            Some(Value::String(delta)) if !delta.is_empty() => Ok(Some(delta.clone())),
            None | Some(Value::Null) | Some(Value::String(_)) => Ok(None),
            Some(_) => Err(self.malformed(
                "`choices[0].delta.content` is not a string",
                data.as_bytes(),
            )),
        }
    }

    /// Reads `GET /models`: `{"data": [{"id": ..}, ..]}`.
    pub fn models(&self, body: &[u8]) -> Result<Vec<String>, LlmError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|err| self.malformed(format!("the body is not JSON ({err})"), body))?;
        let data = value
            .get("data")
            .and_then(Value::as_array)
            .ok_or_else(|| self.malformed("it has no `data` array of models", body))?;
        data.iter()
            .map(|model| {
                model
                    .get("id")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| self.malformed("a model in `data` has no string `id`", body))
            })
            .collect()
    }
}

/// The provider's message in the error shapes seen in the wild: OpenAI and vLLM `{error: {message}}`,
/// Ollama `{error: "..."}`, vLLM's older `{message}` and FastAPI's `{detail}`.
fn error_message(value: &Value) -> Option<String> {
    let error = value.get("error");
    error
        .and_then(|e| e.get("message"))
        .or(error)
        .or_else(|| value.get("message"))
        .or_else(|| value.get("detail"))
        .and_then(Value::as_str)
        .filter(|message| !message.trim().is_empty())
        .map(str::to_owned)
}

fn model_of(value: &Value, fallback: &str) -> String {
    value
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or(fallback)
        .to_owned()
}

fn empty(model: &str, finish_reason: Option<&str>) -> LlmError {
    LlmError::EmptyCompletion {
        model: model.to_owned(),
        finish_reason: finish_reason.unwrap_or("unknown").to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Message;

    const KEY: &str = "sk-test-very-secret-key-9876";

    fn reader() -> Reader {
        Reader {
            url: "http://127.0.0.1:1/v1/chat/completions".into(),
            key: Some(ApiKey::new(KEY)),
        }
    }

    #[test]
    fn the_body_carries_the_options_that_were_set() {
        let request = ChatRequest {
            temperature: Some(0.5),
            response_format_json: true,
            ..ChatRequest::new(vec![Message::user("hi")])
        };
        let body = request_body("m", &request, true);
        assert_eq!(body["model"], "m");
        assert_eq!(body["stream"], true);
        assert_eq!(
            body["messages"][0],
            json!({"role": "user", "content": "hi"})
        );
        assert_eq!(body["response_format"]["type"], "json_object");
        assert!(body.get("max_tokens").is_none());
    }

    #[test]
    fn a_completion_is_read_with_usage() {
        let body = br#"{"model":"llama3.2","choices":[{"message":{"role":"assistant","content":"Hi!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"#;
        let answer = reader().completion(body, "fallback").unwrap();
        assert_eq!(answer.content, "Hi!");
        assert_eq!(answer.model, "llama3.2");
        assert_eq!(answer.finish_reason.as_deref(), Some("stop"));
        assert_eq!(answer.usage.unwrap().total_tokens, 5);
    }

    #[test]
    fn an_empty_completion_names_the_finish_reason() {
        let body = br#"{"choices":[{"message":{"content":null},"finish_reason":"length"}]}"#;
        let err = reader().completion(body, "m").unwrap_err();
        assert_eq!(
            err,
            LlmError::EmptyCompletion {
                model: "m".into(),
                finish_reason: "length".into()
            }
        );
    }

    #[test]
    fn malformed_bodies_say_what_is_wrong_without_the_key() {
        let reader = reader();
        let body = format!("<html>{KEY}</html>");
        let err = reader.completion(body.as_bytes(), "m").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("not JSON"), "{text}");
        assert!(text.contains("<html>sk-…9876"), "{text}");
        assert!(!text.contains(KEY), "{text}");
        let err = reader.completion(br#"{"id":"x"}"#, "m").unwrap_err();
        assert!(err.to_string().contains("no `choices` array"), "{err}");
    }

    #[test]
    fn error_messages_are_found_in_each_known_shape() {
        let reader = reader();
        for body in [
            json!({"error": {"message": "model not found", "type": "invalid_request_error"}}),
            json!({"error": "model not found"}),
            json!({"object": "error", "message": "model not found"}),
            json!({"detail": "model not found"}),
        ] {
            let err = reader.status_error(http::StatusCode::NOT_FOUND, body.to_string().as_bytes());
            assert!(
                matches!(&err, LlmError::Status { status: 404, message, .. } if message == "model not found"),
                "{err:?}"
            );
        }
        let err = reader.status_error(http::StatusCode::BAD_GATEWAY, b"");
        assert!(err.to_string().contains("Bad Gateway"), "{err}");
    }

    #[test]
    fn a_provider_echoing_the_key_is_redacted() {
        let body = json!({"error": {"message": format!("Incorrect API key provided: {KEY}")}});
        let err =
            reader().status_error(http::StatusCode::UNAUTHORIZED, body.to_string().as_bytes());
        let text = format!("{err} {err:?}");
        assert!(!text.contains(KEY), "{text}");
        assert!(
            text.contains("Incorrect API key provided: sk-…9876"),
            "{text}"
        );
    }

    #[test]
    fn stream_chunks_give_their_deltas() {
        let reader = reader();
        assert_eq!(
            reader
                .stream_chunk(r#"{"choices":[{"delta":{"content":"Hel"}}]}"#)
                .unwrap(),
            Some("Hel".into())
        );
        assert_eq!(
            reader
                .stream_chunk(r#"{"choices":[{"delta":{"role":"assistant"}}]}"#)
                .unwrap(),
            None
        );
        assert!(matches!(
            reader.stream_chunk(r#"{"error":{"message":"overloaded"}}"#),
            Err(LlmError::Reported { message, .. }) if message == "overloaded"
        ));
        assert!(reader.stream_chunk("{oops").is_err());
    }

    #[test]
    fn models_are_listed_by_id() {
        let body =
            br#"{"object":"list","data":[{"id":"llama3.2","object":"model"},{"id":"qwen2.5"}]}"#;
        assert_eq!(reader().models(body).unwrap(), ["llama3.2", "qwen2.5"]);
        assert!(reader().models(br#"{"models":[]}"#).is_err());
    }
}
