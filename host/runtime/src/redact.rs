//! Keeping secret values out of everything an invocation leaves behind.
//!
//! Every string that leaves an invocation (result, error, log line, journal entry, artifact) passes through
//! the invocation's [`Redactor`], which knows the values of every secret granted to the plugin and to every
//! plugin above it in the call-tool chain, whether they read them or not: a plugin that reads a secret some
//! other way (an env grant with the same value), or passes its own secret as an argument to another tool,
//! still cannot get it into the record.
//!
//! What is matched, for each secret value:
//! - the value itself, inside any string, JSON key, or the digits of a JSON number (a PIN returned as a
//!   number becomes the string `[REDACTED:NAME]`);
//! - its common encodings: JSON-escaped, percent-encoded (upper- and lower-case escapes, `+` for spaces),
//!   hexadecimal (both cases), and base64 (standard and URL-safe, at each of the three byte alignments, so a
//!   secret inside a longer encoded text such as `Basic base64(user:secret)` is found too). Encoded forms are
//!   matched only for values of at least [`MIN_ENCODED_SECRET_BYTES`] bytes, so that a short value does not
//!   turn every other base64 text into a redaction.
//!
//! Text is always redacted *before* it is cut to a length limit ([`Redactor::text_then_cut`]); a secret
//! straddling a cut would otherwise leave all but its last characters.
//!
//! What it cannot do: a plugin that holds a secret can transform it in ways no redactor recognises
//! (reversed, split across fields, encrypted). Redaction keeps honest plugins and their libraries from
//! leaking by accident; confinement (which hosts a plugin may reach) is what keeps a hostile one in.

use std::sync::Arc;

use aho_corasick::{AhoCorasick, MatchKind};
pub use drydock_policy::secret_forms::MIN_ENCODED_SECRET_BYTES;
use drydock_policy::secret_forms::encoded_forms;

/// Replaces known secret values, and their common encodings, with `[REDACTED:NAME]`.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    inner: Option<Arc<Patterns>>,
}

#[derive(Debug)]
struct Patterns {
    /// The (name, value) pairs this redactor was built from, for merging.
    secrets: Vec<(String, String)>,
    /// One automaton over every pattern; leftmost-longest so a secret containing another wins.
    automaton: AhoCorasick,
    /// The replacement of each pattern, by pattern index.
    replacements: Vec<String>,
    /// Length of the longest pattern, in bytes.
    longest: usize,
    /// Length of the shortest pattern: a shorter text cannot carry a secret and is not scanned.
    shortest: usize,
}

impl Redactor {
    /// Whether this redactor was built from exactly these (non-empty) secrets.
    fn is_built_from(&self, secrets: &std::collections::BTreeMap<String, String>) -> bool {
        let wanted = secrets.iter().filter(|(_, value)| !value.is_empty());
        match &self.inner {
            None => wanted.count() == 0,
            // `secrets` was sorted and deduplicated when built, as a BTreeMap's pairs are.
            Some(p) => p.secrets.iter().map(|(n, v)| (n, v)).eq(wanted),
        }
    }

    /// A redactor for these `(name, value)` pairs. Empty values are ignored (they would match everywhere).
    pub fn new<'a>(secrets: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut pairs: Vec<(String, String)> = secrets
            .into_iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        pairs.sort();
        pairs.dedup();
        if pairs.is_empty() {
            return Self::default();
        }
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut replacements = Vec::new();
        for (name, value) in &pairs {
            let replacement = format!("[REDACTED:{name}]");
            for form in forms_of(value) {
                if !patterns.contains(&form) {
                    patterns.push(form);
                    replacements.push(replacement.clone());
                }
            }
        }
        let longest = patterns.iter().map(Vec::len).max().unwrap_or(0);
        let shortest = patterns.iter().map(Vec::len).min().unwrap_or(0);
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .expect("a few literal patterns always build an automaton");
        Self {
            inner: Some(Arc::new(Patterns {
                secrets: pairs,
                automaton,
                replacements,
                longest,
                shortest,
            })),
        }
    }

    /// A redactor that knows the secrets of both.
    pub fn merged(&self, other: &Redactor) -> Redactor {
        match (&self.inner, &other.inner) {
            (_, None) => self.clone(),
            (None, Some(_)) => other.clone(),
            (Some(a), Some(b)) if Arc::ptr_eq(a, b) => self.clone(),
            (Some(a), Some(b)) => {
                if b.secrets.iter().all(|pair| a.secrets.contains(pair)) {
                    return self.clone();
                }
                Redactor::new(
                    a.secrets
                        .iter()
                        .chain(&b.secrets)
                        .map(|(n, v)| (n.as_str(), v.as_str())),
                )
            }
        }
    }

    /// Whether there is nothing to redact.
    pub fn is_empty(&self) -> bool {
        self.inner.is_none()
    }

    /// Length in bytes of the longest form matched: how far past a cut a secret may reach.
    pub fn longest_pattern(&self) -> usize {
        self.inner.as_ref().map_or(0, |p| p.longest)
    }

    /// `text` with every secret value replaced.
    pub fn text(&self, text: &str) -> String {
        match &self.inner {
            Some(p) => p.text(text),
            None => text.to_owned(),
        }
    }

    /// `text` redacted, then cut to at most `max` bytes (on a character boundary, marked `…[truncated]`).
    /// Only `max` plus the longest pattern is looked at, so a huge text costs no more than a short one.
    pub fn text_then_cut(&self, text: &str, max: usize) -> String {
        let window = floor_char_boundary(text, max.saturating_add(self.longest_pattern()));
        let mut out = self.text(&text[..window]);
        let cut_anyway = window < text.len();
        if out.len() > max || cut_anyway {
            truncate_marked(&mut out, max);
        }
        out
    }

    /// Every string (keys included) inside a JSON value, redacted; a number whose digits contain a secret
    /// becomes the redaction string.
    pub fn json(&self, mut value: serde_json::Value) -> serde_json::Value {
        if let Some(p) = &self.inner {
            p.json_in_place(&mut value);
        }
        value
    }

    /// Bytes with every secret value replaced (for artifacts and bodies, which may be binary).
    pub fn bytes(&self, bytes: Vec<u8>) -> Vec<u8> {
        match &self.inner {
            Some(p) if p.carries(&bytes) => p.automaton.replace_all_bytes(&bytes, &p.replacements),
            _ => bytes,
        }
    }
}

impl Patterns {
    /// Redacts `value` where it is: a string is replaced only when it carries a secret, and an object is
    /// rebuilt only when one of its keys does, so a value without secrets costs one scan per string and no
    /// allocation (this runs on every journal entry and result of a plugin holding a secret).
    fn json_in_place(&self, value: &mut serde_json::Value) {
        use serde_json::Value;
        match value {
            Value::String(s) => {
                if self.carries(s.as_bytes()) {
                    *s = self.automaton.replace_all(s, &self.replacements);
                }
            }
            Value::Number(n) => {
                let digits = n.to_string();
                if self.carries(digits.as_bytes()) {
                    let redacted = self.automaton.replace_all(&digits, &self.replacements);
                    if redacted != digits {
                        *value = Value::String(redacted);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.json_in_place(v)),
            Value::Object(map) => {
                if map.keys().any(|k| self.carries(k.as_bytes())) {
                    // A key changes: the map is built again from the redacted pairs (two keys that redact
                    // alike keep the later value, as collecting into a map does).
                    *map = std::mem::take(map)
                        .into_iter()
                        .map(|(k, mut v)| {
                            self.json_in_place(&mut v);
                            (self.text(&k), v)
                        })
                        .collect();
                } else {
                    map.values_mut().for_each(|v| self.json_in_place(v));
                }
            }
            Value::Null | Value::Bool(_) => {}
        }
    }

    /// Whether `bytes` hold any pattern.
    fn carries(&self, bytes: &[u8]) -> bool {
        bytes.len() >= self.shortest && self.automaton.is_match(bytes)
    }

    /// `text` with every secret value replaced.
    fn text(&self, text: &str) -> String {
        if self.carries(text.as_bytes()) {
            self.automaton.replace_all(text, &self.replacements)
        } else {
            text.to_owned()
        }
    }
}

/// The value and every encoded form of it that the redactor matches (the one list in
/// `drydock_policy::secret_forms`, shared with the secret-flow scanner).
fn forms_of(value: &str) -> Vec<Vec<u8>> {
    encoded_forms(value)
        .into_iter()
        .map(|(_, form)| form)
        .collect()
}

fn floor_char_boundary(text: &str, at: usize) -> usize {
    if at >= text.len() {
        return text.len();
    }
    let mut cut = at;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    cut
}

/// Cuts `text` to at most `max` bytes without splitting a character, marking the cut.
pub fn truncate_marked(text: &mut String, max: usize) {
    let cut = floor_char_boundary(text, max);
    text.truncate(cut);
    text.push_str("…[truncated]");
}

/// The last redactor built for each plugin, with the secrets it was built from: building the automaton
/// over every encoded form of a secret costs more than a whole small invocation (about 150 µs), and a
/// plugin's granted secrets rarely change between two calls. A changed grant or a rotated value builds
/// it again.
#[derive(Debug, Default)]
pub struct RedactorCache {
    redactors: std::sync::Mutex<std::collections::HashMap<String, Redactor>>,
}

impl RedactorCache {
    /// The redactor of `plugin`'s granted `secrets` (name → value).
    pub fn redactor_for(
        &self,
        plugin: &str,
        secrets: &std::collections::BTreeMap<String, String>,
    ) -> Redactor {
        if secrets.values().all(String::is_empty) {
            return Redactor::default();
        }
        let mut redactors = self.redactors.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(kept) = redactors.get(plugin)
            && kept.is_built_from(secrets)
        {
            return kept.clone();
        }
        let built = Redactor::new(secrets.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        redactors.insert(plugin.to_owned(), built.clone());
        built
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};
    use drydock_policy::secret_forms::{base64_core, percent_encode};

    #[test]
    fn a_plugin_keeps_its_redactor_until_a_secret_changes() {
        let cache = RedactorCache::default();
        let mut secrets = std::collections::BTreeMap::from([(
            "TOKEN".to_owned(),
            "first-secret-value".to_owned(),
        )]);
        let first = cache.redactor_for("jira", &secrets);
        let again = cache.redactor_for("jira", &secrets);
        assert!(Arc::ptr_eq(
            first.inner.as_ref().unwrap(),
            again.inner.as_ref().unwrap()
        ));
        secrets.insert("TOKEN".to_owned(), "rotated-secret-value".to_owned());
        let rotated = cache.redactor_for("jira", &secrets);
        assert_eq!(rotated.text("rotated-secret-value"), "[REDACTED:TOKEN]");
        assert_eq!(rotated.text("first-secret-value"), "first-secret-value");
        assert!(cache.redactor_for("other", &Default::default()).is_empty());
    }

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
    fn json_without_secrets_is_unchanged_and_keys_that_redact_alike_keep_the_later_value() {
        let r = Redactor::new([("T", "xyz-secret")]);
        let clean = serde_json::json!({"a": ["b", 1, 2.5, null, true], "c": {"d": "xyz"}});
        assert_eq!(r.json(clean.clone()), clean);
        // Both keys become `[REDACTED:T]`; as collecting into a map does, the later (in key order) wins.
        let v =
            serde_json::json!({"xyz-secret": 1, "xyz-secre": 0, "y": {"xyz-secret": "xyz-secret"}});
        let alike = serde_json::json!({"[REDACTED:T]": 2, "xyz-secret": 1});
        assert_eq!(
            r.json(v),
            serde_json::json!({"[REDACTED:T]": 1, "xyz-secre": 0, "y": {"[REDACTED:T]": "[REDACTED:T]"}})
        );
        assert_eq!(r.json(alike), serde_json::json!({"[REDACTED:T]": 1}));
    }

    #[test]
    fn a_numeric_secret_returned_as_a_json_number_is_redacted() {
        let r = Redactor::new([("PIN", "123456789012")]);
        let v = serde_json::json!({"pin": 123456789012u64, "other": 42, "neg": -1234567890123i64});
        assert_eq!(
            r.json(v),
            serde_json::json!({"pin": "[REDACTED:PIN]", "other": 42, "neg": "-[REDACTED:PIN]3"})
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

    const SECRET: &str = "hunter2-Sw0rdfish/+?";

    #[test]
    fn hex_and_percent_forms_are_redacted() {
        let r = Redactor::new([("S", SECRET)]);
        for form in [
            hex::encode(SECRET),
            hex::encode_upper(SECRET),
            percent_encode(SECRET, true),
            percent_encode(SECRET, false),
        ] {
            let text = format!("before {form} after");
            assert_eq!(r.text(&text), "before [REDACTED:S] after", "{form}");
        }
    }

    #[test]
    fn base64_forms_are_redacted_at_every_alignment_inside_longer_text() {
        let r = Redactor::new([("S", SECRET)]);
        for prefix in ["", "u", "us", "user:", "a-much-longer-user:"] {
            for engine in [&STANDARD, &URL_SAFE] {
                let encoded = engine.encode(format!("{prefix}{SECRET}-and-more"));
                let redacted = r.text(&format!("Basic {encoded}"));
                assert!(redacted.contains("[REDACTED:S]"), "{prefix:?}: {redacted}");
                let core = base64_core(
                    &base64::engine::general_purpose::STANDARD_NO_PAD,
                    SECRET.as_bytes(),
                    prefix.len() % 3,
                );
                assert!(!redacted.as_bytes().windows(core.len()).any(|w| w == core));
            }
        }
    }

    #[test]
    fn short_secrets_are_matched_only_as_they_are() {
        let r = Redactor::new([("PIN", "1234")]);
        assert_eq!(
            r.text("MTIzNA== 31323334 1234"),
            "MTIzNA== 31323334 [REDACTED:PIN]"
        );
    }

    #[test]
    fn a_secret_straddling_the_cut_is_redacted_before_cutting() {
        let r = Redactor::new([("S", SECRET)]);
        let text = format!("{}{SECRET}", "x".repeat(10));
        let cut = r.text_then_cut(&text, 15);
        assert!(!cut.contains("hunter"), "{cut}");
        assert!(cut.ends_with("…[truncated]"), "{cut}");
    }

    #[test]
    fn text_then_cut_looks_only_at_a_window_of_a_huge_text() {
        let r = Redactor::new([("S", SECRET)]);
        let huge = "y".repeat(1 << 20);
        assert_eq!(
            r.text_then_cut(&huge, 100).len(),
            100 + "…[truncated]".len()
        );
        assert_eq!(r.text_then_cut("short", 100), "short");
    }

    #[test]
    fn merged_redactors_know_both_sets_of_secrets() {
        let a = Redactor::new([("A", "alpha-secret")]);
        let b = Redactor::new([("B", "bravo-secret")]);
        let both = a.merged(&b);
        assert_eq!(
            both.text("alpha-secret bravo-secret"),
            "[REDACTED:A] [REDACTED:B]"
        );
        assert!(Redactor::default().merged(&Redactor::default()).is_empty());
    }
}
