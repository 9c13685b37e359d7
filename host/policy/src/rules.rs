//! Argument-aware rules: limits a grant puts on *what* a granted request or write may carry, beyond where
//! it may go. Each is optional, set per grant in the policy file, and checked after the grant itself
//! allowed the effect; a breach is `denied` with the rule named (`rule max_body_bytes: ...`).
//!
//! | rule                          | on       | checked here                              |
//! |-------------------------------|----------|-------------------------------------------|
//! | `max_body_bytes`              | http     | [`check_http_rules`]                      |
//! | `query_params`                | http     | [`check_http_rules`]                      |
//! | `body_schema`                 | http     | [`check_http_rules`] (writes only)        |
//! | `max_requests_per_invocation` | http     | counted by the runtime ([`HttpRules`])    |
//! | `max_requests_per_minute`     | http     | counted by the runtime, per plugin        |
//! | `allow_private`               | http     | the runtime's address check               |
//! | `max_file_bytes`, `max_files` | fs (rw)  | [`check_fs_rules`]                        |
//!
//! Counting is state (how many requests this invocation, this minute), so it lives in the runtime; the
//! numbers live here with the rest of the grant.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use crate::grants::HttpMethod;
use crate::http_request::HttpRequest;
use crate::url_match::TargetUrl;

/// The argument rules of one HTTP grant; the default has none.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpRules {
    /// Largest request body, in bytes.
    pub max_body_bytes: Option<u64>,
    /// Most requests under this grant in one invocation (nested calls count on their own).
    pub max_requests_per_invocation: Option<u32>,
    /// Most requests under this grant per plugin in any 60 seconds, across invocations.
    pub max_requests_per_minute: Option<u32>,
    /// If set, the only query parameter names a request may carry (after percent-decoding).
    pub query_params: Option<BTreeSet<String>>,
    /// If set, the JSON Schema every write's body must satisfy (a body that is not JSON is a breach).
    pub body_schema: Option<BodySchema>,
    /// Whether the grant's host name may resolve to a loopback, private, link-local or other non-public
    /// address (an IP literal in the grant is always allowed: it names the address itself).
    pub allow_private: bool,
}

impl HttpRules {
    /// Whether the grant sets any rule the runtime must count or check.
    pub fn is_empty(&self) -> bool {
        *self == HttpRules::default()
    }
}

/// The argument rules of one read-write fs grant; the default has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FsRules {
    /// Largest size, in bytes, a file created or written in the directory may have after the call.
    pub max_file_bytes: Option<u64>,
    /// Most files (and directories, links) one invocation may create or change in the directory.
    pub max_files: Option<u64>,
}

impl FsRules {
    /// Whether the grant sets any rule.
    pub fn is_empty(&self) -> bool {
        *self == FsRules::default()
    }
}

/// A compiled JSON Schema, compared by its source.
#[derive(Clone)]
pub struct BodySchema {
    source: serde_json::Value,
    validator: Arc<jsonschema::Validator>,
}

impl BodySchema {
    /// Compiles `source` (without remote or file `$ref` resolution); the error says what is wrong.
    pub fn compile(source: serde_json::Value) -> Result<BodySchema, String> {
        if !source.is_object() {
            return Err("body_schema must be a table (a JSON Schema object)".to_owned());
        }
        let validator = jsonschema::options().build(&source).map_err(|err| {
            let at = err.instance_path().to_string();
            let at = if at.is_empty() {
                String::new()
            } else {
                format!(" at {at}")
            };
            format!("body_schema is not valid JSON Schema{at}: {err}")
        })?;
        Ok(BodySchema {
            source,
            validator: Arc::new(validator),
        })
    }

    /// The schema as written.
    pub fn source(&self) -> &serde_json::Value {
        &self.source
    }

    /// The first problem of `value` against the schema, naming the field as a JSON pointer.
    pub fn first_problem(&self, value: &serde_json::Value) -> Option<String> {
        self.validator.iter_errors(value).next().map(|err| {
            let path = err.instance_path().to_string();
            let field = if path.is_empty() {
                "/".to_owned()
            } else {
                path
            };
            format!("{field}: {err}")
        })
    }
}

impl fmt::Debug for BodySchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BodySchema({})", self.source)
    }
}

impl PartialEq for BodySchema {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for BodySchema {}

/// A request or write that breaks one argument rule: which rule and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleBreach {
    /// The rule's key in the policy file, e.g. `max_body_bytes`.
    pub rule: &'static str,
    /// What the request did against it (never a secret value; the runtime redacts it anyway).
    pub message: String,
}

impl RuleBreach {
    /// A breach of `rule`.
    pub fn new(rule: &'static str, message: impl Into<String>) -> Self {
        Self {
            rule,
            message: message.into(),
        }
    }
}

impl fmt::Display for RuleBreach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rule {}: {}", self.rule, self.message)
    }
}

/// Checks the stateless rules of `rules` (body size, query parameter names, body schema) on `request` to
/// `target`. Counting rules are the runtime's.
pub fn check_http_rules(
    rules: &HttpRules,
    request: &HttpRequest,
    method: HttpMethod,
    target: &TargetUrl,
) -> Result<(), RuleBreach> {
    if let Some(max) = rules.max_body_bytes
        && request.body.len() as u64 > max
    {
        return Err(RuleBreach::new(
            "max_body_bytes",
            format!(
                "the request body is {} bytes, the grant allows {max}",
                request.body.len()
            ),
        ));
    }
    if let Some(allowed) = &rules.query_params {
        for name in query_names(target.query().unwrap_or("")) {
            if !allowed.contains(&name) {
                let listed: Vec<&str> = allowed.iter().map(String::as_str).collect();
                return Err(RuleBreach::new(
                    "query_params",
                    format!(
                        "query parameter `{name}` is not one of the grant's [{}]",
                        listed.join(", ")
                    ),
                ));
            }
        }
    }
    if let Some(schema) = &rules.body_schema
        && method.is_write()
        && !(method == HttpMethod::Delete && request.body.is_empty())
    {
        let value: serde_json::Value = serde_json::from_slice(request.body).map_err(|err| {
            RuleBreach::new(
                "body_schema",
                format!("the {method} body is not JSON ({err}); the grant requires a JSON body"),
            )
        })?;
        if let Some(problem) = schema.first_problem(&value) {
            return Err(RuleBreach::new(
                "body_schema",
                format!("the {method} body does not match the grant's schema: {problem}"),
            ));
        }
    }
    Ok(())
}

/// One file a write left behind, as [`check_fs_rules`] sees it.
#[derive(Debug, Clone, Copy)]
pub struct WrittenFile<'a> {
    /// The path inside the granted directory.
    pub path: &'a str,
    /// Its size after the call (`None` when it was deleted).
    pub bytes_after: Option<u64>,
}

/// Checks what one invocation wrote into a directory (every path it created, wrote or deleted) against the
/// grant's `rules`.
pub fn check_fs_rules(rules: &FsRules, changed: &[WrittenFile]) -> Result<(), RuleBreach> {
    if let Some(max) = rules.max_files
        && changed.len() as u64 > max
    {
        return Err(RuleBreach::new(
            "max_files",
            format!(
                "the call changed {} files, the grant allows {max}",
                changed.len()
            ),
        ));
    }
    if let Some(max) = rules.max_file_bytes
        && let Some(file) = changed
            .iter()
            .find(|f| f.bytes_after.is_some_and(|bytes| bytes > max))
    {
        return Err(RuleBreach::new(
            "max_file_bytes",
            format!(
                "`{}` is {} bytes, the grant allows {max}",
                file.path,
                file.bytes_after.unwrap_or(0)
            ),
        ));
    }
    Ok(())
}

/// The percent-decoded parameter names of a query (`a=1&b&c%5B%5D=2` gives `a`, `b`, `c[]`).
fn query_names(query: &str) -> impl Iterator<Item = String> + '_ {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| percent_decode(pair.split('=').next().unwrap_or("")))
}

/// Decodes `%XX` escapes and `+` (a space in a query); invalid escapes stay as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests;
