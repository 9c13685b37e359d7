//! Canonical JSON and content hashes.
//!
//! A plan's approval and the audit chain both depend on hashing JSON the same way every time, whatever key
//! order the client sent. `serde_json::Value` happens to keep object keys sorted (a `BTreeMap`), but only
//! while no crate in the build enables serde_json's `preserve_order` feature; feature unification could
//! silently turn that on, so the canonical form sorts keys itself instead of relying on it.
//!
//! The form: objects with keys sorted by their UTF-8 bytes, no whitespace, strings and numbers written by
//! serde_json (which is deterministic for both).

use serde_json::Value;
use sha2::{Digest, Sha256};

/// `value` as canonical JSON text: sorted keys at every depth, no insignificant whitespace.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

/// The SHA-256 (lowercase hex) of `value`'s canonical JSON: a plan's `content_hash`.
pub fn content_hash(value: &Value) -> String {
    sha256_hex(canonical_json(value).as_bytes())
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A JSON string literal for `text` (quotes and escapes included).
pub(crate) fn json_string(text: &str) -> String {
    // serde_json's escaping, as `Value::from(text).to_string()` writes it, without copying `text` into a
    // `Value` first (the audit chain writes several of these for every row). A `&str` always serializes.
    serde_json::to_string(text).unwrap_or_default()
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&json_string(key));
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_of_the_input_does_not_change_the_canonical_form() {
        let a: Value =
            serde_json::from_str(r#"{"b":1,"a":{"y":[1,{"d":2,"c":3}],"x":"é\n"}}"#).unwrap();
        let b: Value =
            serde_json::from_str(r#"{ "a": {"x":"é\n", "y":[1,{"c":3,"d":2}]}, "b":1 }"#).unwrap();
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"x":"é\n","y":[1,{"c":3,"d":2}]},"b":1}"#
        );
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(content_hash(&a), content_hash(&b));
    }

    #[test]
    fn array_order_and_values_change_the_hash() {
        assert_ne!(content_hash(&json!([1, 2])), content_hash(&json!([2, 1])));
        assert_ne!(
            content_hash(&json!({"a": 1})),
            content_hash(&json!({"a": "1"}))
        );
    }
}
