//! What a rehearsal binds: the fingerprint of each write it showed, and the multiset a live run draws from.
//!
//! An approval freezes the plan's hash *and* the writes of its rehearsal (the dry run of the approved
//! version). A live execution of that plan may perform a write only if it matches one the rehearsal showed,
//! and each rehearsed write can be matched as often as it was rehearsed ([`RehearsedEffects::take`]).
//!
//! An [`EffectFingerprint`] is what "the same write" means: the plugin, the capability, the action (the HTTP
//! method, including a method an override names, or the fs change: `create`/`write`/`delete`), the canonical
//! target (the canonical URL *with* its query: a write to another query is another write; for files the
//! mount and path) and the payload's [`PayloadShape`] (a power-of-two size class and, for a JSON object, its
//! sorted top-level keys). Values inside the payload may change between rehearsal and live (an id, a
//! timestamp); its size class and structure may not. Reads are never bound: a read that differs live is fine.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::capability::Capability;
use crate::http_request::HttpRequest;
use crate::url_match::TargetUrl;

/// Most top-level JSON keys a shape lists (a larger object is counted, not listed).
pub const MAX_SHAPE_KEYS: usize = 64;
/// Longest key a shape keeps (longer keys are cut, which keeps the shape small and still comparable).
const MAX_KEY_BYTES: usize = 128;

/// The shape of a payload: how large it is, roughly, and how it is built.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayloadShape {
    /// 0 for no payload, otherwise the bit length of its size in bytes: `n` covers `2^(n-1) ..= 2^n - 1`.
    pub size_class: u32,
    /// The sorted top-level keys when the payload is a JSON object (cut to [`MAX_SHAPE_KEYS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_keys: Option<Vec<String>>,
    /// How many top-level keys the object has, when that is more than were listed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_count: Option<usize>,
}

impl PayloadShape {
    /// The shape of `payload`.
    pub fn of(payload: &[u8]) -> PayloadShape {
        let size_class = size_class(payload.len() as u64);
        let object = serde_json::from_slice::<serde_json::Value>(payload)
            .ok()
            .and_then(|value| match value {
                serde_json::Value::Object(map) => Some(map),
                _ => None,
            });
        let Some(object) = object else {
            return PayloadShape {
                size_class,
                json_keys: None,
                key_count: None,
            };
        };
        // serde_json's map is sorted (no `preserve_order`), so the keys come out sorted.
        let keys: Vec<String> = object
            .keys()
            .take(MAX_SHAPE_KEYS)
            .map(|k| cut(k, MAX_KEY_BYTES))
            .collect();
        PayloadShape {
            size_class,
            key_count: (object.len() > keys.len()).then_some(object.len()),
            json_keys: Some(keys),
        }
    }

    /// The shape of a payload of `bytes` bytes whose content is not looked at (a file too large to parse).
    pub fn of_size(bytes: u64) -> PayloadShape {
        PayloadShape {
            size_class: size_class(bytes),
            json_keys: None,
            key_count: None,
        }
    }

    /// The sizes this shape's class covers, in words: `empty`, `1 byte`, `64–127 bytes`.
    pub fn size_words(&self) -> String {
        match self.size_class {
            0 => "empty".to_owned(),
            1 => "1 byte".to_owned(),
            n if n >= 64 => "very large".to_owned(),
            n => format!("{}–{} bytes", 1u64 << (n - 1), (1u64 << n) - 1),
        }
    }
}

/// 0 for 0 bytes, otherwise the bit length of `bytes`.
fn size_class(bytes: u64) -> u32 {
    u64::BITS - bytes.leading_zeros()
}

fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// One write, as a rehearsal and a live run compare it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EffectFingerprint {
    /// The plugin that makes the write.
    pub plugin: String,
    /// `http` or `fs`.
    pub capability: Capability,
    /// The HTTP method (`POST`, or `POST as DELETE` when an override names another method), or the fs
    /// change (`create`, `write`, `delete`).
    pub action: String,
    /// The canonical URL with its query, or `<mount>/<path>` for a file.
    pub target: String,
    /// The payload's shape (the request body, or the file's new content).
    pub shape: PayloadShape,
}

impl EffectFingerprint {
    /// The fingerprint of an HTTP write, or `None` when the URL is not one the policy accepts (such a
    /// request is denied before it could be live).
    pub fn of_http(plugin: &str, request: &HttpRequest) -> Option<EffectFingerprint> {
        let target = TargetUrl::parse(request.url).ok()?;
        let method = request.method.to_ascii_uppercase();
        let named: Vec<String> = request
            .write_signals(target.query(), false)
            .iter()
            .filter_map(|s| s.named_method().map(str::to_ascii_uppercase))
            .filter(|named| *named != method)
            .collect();
        let action = if named.is_empty() {
            method
        } else {
            format!("{method} as {}", named.join(" as "))
        };
        Some(EffectFingerprint {
            plugin: plugin.to_owned(),
            capability: Capability::Http,
            action,
            target: target.to_string(),
            shape: PayloadShape::of(request.body),
        })
    }

    /// The fingerprint of a file change: `change` is `create`, `write` or `delete`, `target` is
    /// `<mount>/<path>`, `shape` the shape of the new content (of an empty payload for a delete).
    pub fn of_file(plugin: &str, change: &str, target: &str, shape: PayloadShape) -> Self {
        EffectFingerprint {
            plugin: plugin.to_owned(),
            capability: Capability::Fs,
            action: change.to_owned(),
            target: target.to_owned(),
            shape,
        }
    }
}

impl fmt::Display for EffectFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} by plugin `{}` ({} payload",
            self.action,
            self.target,
            self.plugin,
            self.shape.size_words()
        )?;
        match &self.shape.json_keys {
            Some(keys) => write!(f, ", JSON keys [{}])", keys.join(", ")),
            None => f.write_str(")"),
        }
    }
}

/// The writes a rehearsal showed, each with how many times it may still happen live.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RehearsedEffects {
    remaining: BTreeMap<EffectFingerprint, u32>,
}

impl RehearsedEffects {
    /// The multiset of `fingerprints` (a fingerprint listed twice may be matched twice).
    pub fn new(fingerprints: impl IntoIterator<Item = EffectFingerprint>) -> Self {
        let mut remaining = BTreeMap::new();
        for fingerprint in fingerprints {
            *remaining.entry(fingerprint).or_insert(0u32) += 1;
        }
        RehearsedEffects { remaining }
    }

    /// Whether `fingerprint` was rehearsed and not yet used up; if so, one use of it is consumed.
    pub fn take(&mut self, fingerprint: &EffectFingerprint) -> bool {
        match self.remaining.get_mut(fingerprint) {
            Some(count) if *count > 1 => {
                *count -= 1;
                true
            }
            Some(_) => {
                self.remaining.remove(fingerprint);
                true
            }
            None => false,
        }
    }

    /// How many matches are left in all.
    pub fn len(&self) -> usize {
        self.remaining.values().map(|&n| n as usize).sum()
    }

    /// Whether every rehearsed write was used up (or none was rehearsed).
    pub fn is_empty(&self) -> bool {
        self.remaining.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(url: &str, body: &'static [u8]) -> EffectFingerprint {
        EffectFingerprint::of_http("sleeper", &HttpRequest::new("POST", url).body(body)).unwrap()
    }

    #[test]
    fn a_rehearsed_write_is_matched_as_often_as_it_was_rehearsed() {
        let a = post("http://127.0.0.1:9/hook", br#"{"n":1}"#);
        let mut rehearsed = RehearsedEffects::new([a.clone(), a.clone()]);
        assert_eq!(rehearsed.len(), 2);
        assert!(rehearsed.take(&a));
        assert!(rehearsed.take(&a));
        assert!(!rehearsed.take(&a), "a third POST was rehearsed only twice");
        assert!(rehearsed.is_empty());
    }

    #[test]
    fn payload_values_may_change_but_not_their_structure_or_size_class() {
        let rehearsed = post("http://h/x", br#"{"id":"a1","at":"10:00"}"#);
        assert_eq!(
            rehearsed,
            post("http://h/x", br#"{"at":"11:00","id":"b2"}"#)
        );
        assert_ne!(
            rehearsed,
            post("http://h/x", br#"{"id":"a1","at":"10:00","x":1}"#)
        );
        assert_ne!(
            rehearsed,
            post(
                "http://h/x",
                br#"{"id":"a1","at":"10:00 and a much longer text"}"#
            ),
            "another size class"
        );
    }

    #[test]
    fn the_target_is_the_canonical_url_with_its_query() {
        let a = post("HTTP://H:80/a/./b?x=1", b"");
        assert_eq!(a.target, "http://h/a/b?x=1");
        assert_ne!(a, post("http://h/a/b?x=2", b""));
        assert_ne!(a, post("http://h/a/c?x=1", b""));
        assert_ne!(a, post("http://other/a/b?x=1", b""));
    }

    #[test]
    fn a_method_override_is_part_of_the_action() {
        let request =
            HttpRequest::new("POST", "http://h/x").header("X-HTTP-Method-Override", "DELETE");
        let fp = EffectFingerprint::of_http("p", &request).unwrap();
        assert_eq!(fp.action, "POST as DELETE");
        assert_ne!(fp, post("http://h/x", b""));
    }

    #[test]
    fn size_classes_are_powers_of_two() {
        assert_eq!(PayloadShape::of(b"").size_class, 0);
        assert_eq!(PayloadShape::of(b"a").size_class, 1);
        assert_eq!(PayloadShape::of(b"abc").size_class, 2);
        assert_eq!(PayloadShape::of_size(1024).size_class, 11);
        assert_eq!(PayloadShape::of_size(100).size_words(), "64–127 bytes");
        assert_eq!(PayloadShape::of(b"[1,2]").json_keys, None);
    }

    #[test]
    fn a_large_object_lists_its_first_keys_and_counts_them_all() {
        let object: serde_json::Map<String, serde_json::Value> = (0..100)
            .map(|i| (format!("k{i:03}"), serde_json::Value::Null))
            .collect();
        let shape = PayloadShape::of(serde_json::to_string(&object).unwrap().as_bytes());
        assert_eq!(shape.json_keys.as_ref().map(Vec::len), Some(MAX_SHAPE_KEYS));
        assert_eq!(shape.key_count, Some(100));
    }

    #[test]
    fn fingerprints_read_as_words() {
        let text = post("http://h/x", br#"{"a":1}"#).to_string();
        assert_eq!(
            text,
            "POST http://h/x by plugin `sleeper` (4–7 bytes payload, JSON keys [a])"
        );
    }
}
