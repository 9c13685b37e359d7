//! Keeping secret values out of everything an invocation leaves behind.
//!
//! Every string that leaves an invocation (result, error, log line, journal entry, artifact) passes through
//! the invocation's [`Redactor`], which knows the values of every secret granted to the plugin, whether the
//! plugin read them or not: a plugin that reads a secret some other way (an env grant with the same value)
//! still cannot get it into the record.

use std::sync::Arc;

/// Replaces known secret values with `[REDACTED:NAME]`.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// (value, replacement), longest value first so that a secret containing another is replaced whole.
    secrets: Arc<Vec<(String, String)>>,
}

impl Redactor {
    /// A redactor for these `(name, value)` pairs. Empty values are ignored (they would match everywhere).
    pub fn new<'a>(secrets: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut pairs: Vec<(String, String)> = secrets
            .into_iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(name, value)| (value.to_owned(), format!("[REDACTED:{name}]")))
            .collect();
        pairs.sort_by_key(|pair| std::cmp::Reverse(pair.0.len()));
        Self {
            secrets: Arc::new(pairs),
        }
    }

    /// Whether there is nothing to redact.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// `text` with every secret value replaced.
    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (value, replacement) in self.secrets.iter() {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), replacement);
            }
        }
        out
    }

    /// Every string (keys included) inside a JSON value, redacted.
    pub fn json(&self, value: serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        if self.is_empty() {
            return value;
        }
        match value {
            Value::String(s) => Value::String(self.text(&s)),
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.json(v)).collect()),
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (self.text(&k), self.json(v)))
                    .collect(),
            ),
            other => other,
        }
    }

    /// Bytes with every secret value replaced (for artifacts, which may be binary).
    pub fn bytes(&self, bytes: Vec<u8>) -> Vec<u8> {
        let mut out = bytes;
        for (value, replacement) in self.secrets.iter() {
            let needle = value.as_bytes();
            if out.windows(needle.len()).any(|w| w == needle) {
                out = replace_bytes(&out, needle, replacement.as_bytes());
            }
        }
        out
    }
}

fn replace_bytes(haystack: &[u8], needle: &[u8], replacement: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(needle) {
            out.extend_from_slice(replacement);
            i += needle.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_every_occurrence_with_the_secret_name() {
        let r = Redactor::new([("TOKEN", "s3cr3t")]);
        assert_eq!(
            r.text("a s3cr3t b s3cr3t"),
            "a [REDACTED:TOKEN] b [REDACTED:TOKEN]"
        );
    }

    #[test]
    fn longer_secret_is_replaced_before_a_shorter_one_it_contains() {
        let r = Redactor::new([("SHORT", "abc"), ("LONG", "abcdef")]);
        assert_eq!(r.text("abcdef abc"), "[REDACTED:LONG] [REDACTED:SHORT]");
    }

    #[test]
    fn redacts_json_keys_and_nested_values() {
        let r = Redactor::new([("T", "xyz")]);
        let v = serde_json::json!({"xyz": ["1 xyz", {"k": "xyz"}], "n": 1});
        assert_eq!(
            r.json(v),
            serde_json::json!({"[REDACTED:T]": ["1 [REDACTED:T]", {"k": "[REDACTED:T]"}], "n": 1})
        );
    }

    #[test]
    fn redacts_binary_artifacts() {
        let r = Redactor::new([("T", "xyz")]);
        assert_eq!(
            r.bytes(b"\0xyz\xff".to_vec()),
            b"\0[REDACTED:T]\xff".to_vec()
        );
    }

    #[test]
    fn empty_secret_values_are_ignored() {
        let r = Redactor::new([("T", "")]);
        assert!(r.is_empty());
        assert_eq!(r.text("anything"), "anything");
    }
}
