//! What a provider is: its id, base URL, model, API key and limits. The raw [`ProviderConfig`] is what a
//! settings file or route holds; [`Endpoint`] is its validated base URL, which cannot hold a scheme other
//! than http/https, credentials, a query or a fragment.
//!
//! The API key lives in [`ApiKey`], whose `Debug` and `Display` print only a masked form, so a config can be
//! logged or put in an error without leaking the secret.

use std::fmt;
use std::time::Duration;

use http::Uri;

use crate::LlmError;

/// Default overall time a request may take, from connecting to the last byte of the answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// Default time to open the TCP connection and finish the TLS and HTTP handshakes.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default bound on a response body (a whole stream counts as one body): 4 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 4 << 20;

/// Keys shorter than this are masked completely: showing 7 characters of a short key gives too much away.
const MIN_KEY_CHARS_TO_HINT: usize = 20;

/// A secret bearer token. Prints as `sk-…abcd` (or `••••` when short); the value is only reachable
/// through [`ApiKey::expose_secret`].
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key. Surrounding whitespace (a pasted newline) is dropped.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into().trim().to_owned())
    }

    /// The key itself, for the `Authorization` header and nothing else.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// The key as a person may see it: the first three and last four characters of a long key
    /// (`sk-…abcd`), `••••` for a short one.
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() < MIN_KEY_CHARS_TO_HINT {
            return "••••".to_owned();
        }
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}…{tail}")
    }

    /// Replaces every occurrence of the key in `text` with its masked form: for text a provider sent back.
    pub(crate) fn redact(&self, text: &str) -> String {
        if self.0.is_empty() {
            text.to_owned()
        } else {
            text.replace(&self.0, &self.masked())
        }
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({})", self.masked())
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// One configured OpenAI-compatible provider.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// The name settings use for this provider, e.g. `ollama`.
    pub id: String,
    /// Where its API lives: `https://api.openai.com/v1`, `http://localhost:11434/v1`. A base URL without a
    /// path gets `/v1`; trailing slashes are ignored.
    pub base_url: String,
    /// The model asked for when a request names none, e.g. `gpt-4o-mini` or `llama3.2`.
    pub model: String,
    /// Sent as `Authorization: Bearer …` when present (local servers usually need none).
    pub api_key: Option<ApiKey>,
    /// Overall bound on one request, from connecting to the last byte (a stream's last delta too).
    pub timeout: Duration,
    /// Bound on connecting: TCP, TLS and the HTTP handshake.
    pub connect_timeout: Duration,
    /// Bound on one response body, in bytes.
    pub max_response_bytes: usize,
}

impl ProviderConfig {
    /// A provider without a key, with the default timeouts and response bound.
    pub fn new(
        id: impl Into<String>,
        base_url: impl Into<String>,
        model: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }

    /// The same config with `key` as its API key.
    pub fn with_api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(ApiKey::new(key));
        self
    }

    /// The same config with another overall request timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// A validated base URL: scheme, authority and path prefix (without a trailing slash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Whether to speak TLS.
    pub(crate) tls: bool,
    /// Host as written (IPv6 literals keep their brackets).
    pub(crate) host: String,
    /// Port, explicit or the scheme's default.
    pub(crate) port: u16,
    /// `host[:port]` as written, for the `Host` header.
    pub(crate) authority: String,
    /// Path prefix, e.g. `/v1`; never ends with `/`.
    pub(crate) prefix: String,
}

impl Endpoint {
    /// Parses and checks a base URL.
    pub fn parse(base_url: &str) -> Result<Self, LlmError> {
        let invalid = |reason: &str| LlmError::InvalidConfig {
            reason: format!("base URL `{base_url}`: {reason}"),
        };
        let uri: Uri = base_url
            .trim()
            .parse()
            .map_err(|_| invalid("not a URL (expected e.g. http://localhost:11434/v1)"))?;
        let tls = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            Some(_) => return Err(invalid("the scheme must be http or https")),
            None => return Err(invalid("it needs a scheme: http:// or https://")),
        };
        let authority = uri.authority().ok_or_else(|| invalid("it has no host"))?;
        if authority.as_str().contains('@') {
            return Err(invalid(
                "credentials in the URL are not accepted; set the API key instead",
            ));
        }
        if uri.query().is_some() || base_url.contains('#') {
            return Err(invalid("a query or fragment is not accepted"));
        }
        let host = authority.host().to_owned();
        if host.is_empty() {
            return Err(invalid("it has no host"));
        }
        let port = authority.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let path = uri.path().trim_end_matches('/');
        let prefix = if path.is_empty() {
            "/v1".to_owned()
        } else {
            path.to_owned()
        };
        Ok(Self {
            tls,
            host,
            port,
            authority: authority.as_str().to_owned(),
            prefix,
        })
    }

    /// The full URL of `route` (e.g. `/chat/completions`) under this base.
    pub fn url(&self, route: &str) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}{}{route}", self.authority, self.prefix)
    }

    /// The request target (path) of `route`.
    pub(crate) fn path(&self, route: &str) -> String {
        format!("{}{route}", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_key_is_masked_to_head_and_tail() {
        let key = ApiKey::new("sk-proj-0123456789abcdefABCD");
        assert_eq!(key.masked(), "sk-…ABCD");
        assert_eq!(format!("{key}"), "sk-…ABCD");
        assert_eq!(format!("{key:?}"), "ApiKey(sk-…ABCD)");
    }

    #[test]
    fn a_short_key_is_masked_completely() {
        let key = ApiKey::new(" secret-12 \n");
        assert_eq!(key.expose_secret(), "secret-12");
        assert_eq!(key.masked(), "••••");
        assert!(!format!("{key:?}").contains("secret"));
    }

    #[test]
    fn a_config_debug_never_shows_the_key() {
        let config = ProviderConfig::new("openai", "https://api.openai.com/v1", "gpt-4o-mini")
            .with_api_key("sk-live-do-not-print-me-1234");
        let printed = format!("{config:?} {config:#?}");
        assert!(!printed.contains("do-not-print-me"), "{printed}");
        assert!(printed.contains("sk-…1234"), "{printed}");
    }

    #[test]
    fn redact_replaces_the_key_in_provider_text() {
        let key = ApiKey::new("sk-live-do-not-print-me-1234");
        assert_eq!(
            key.redact("Incorrect API key provided: sk-live-do-not-print-me-1234."),
            "Incorrect API key provided: sk-…1234."
        );
    }

    #[test]
    fn base_urls_are_normalised() {
        let openai = Endpoint::parse("https://api.openai.com/v1/").unwrap();
        assert!(openai.tls);
        assert_eq!(openai.port, 443);
        assert_eq!(
            openai.url("/chat/completions"),
            "https://api.openai.com/v1/chat/completions"
        );
        let ollama = Endpoint::parse("http://localhost:11434").unwrap();
        assert_eq!(ollama.url("/models"), "http://localhost:11434/v1/models");
        assert_eq!(ollama.port, 11434);
        let vllm = Endpoint::parse(" http://10.0.0.5:8000/v1// ").unwrap();
        assert_eq!(vllm.path("/models"), "/v1/models");
        let ipv6 = Endpoint::parse("http://[::1]:8080/v1").unwrap();
        assert_eq!(ipv6.host, "[::1]");
        assert_eq!(ipv6.authority, "[::1]:8080");
    }

    #[test]
    fn bad_base_urls_are_refused_with_the_reason() {
        for (url, reason) in [
            ("localhost:11434", "scheme"),
            ("ftp://example.com/v1", "http or https"),
            ("https://user:pw@example.com/v1", "credentials"),
            ("https://example.com/v1?x=1", "query"),
            ("not a url", "not a URL"),
        ] {
            let err = Endpoint::parse(url).unwrap_err().to_string();
            assert!(err.contains(reason), "{url}: {err}");
        }
    }
}
