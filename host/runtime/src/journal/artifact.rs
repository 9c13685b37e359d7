//! What an artifact is, and what the journal accepts as one: a name of at most
//! [`super::RecordBudget::artifact_name_bytes`] without control characters, a media type of the form
//! `type/subtype[; parameters]` in printable ASCII. Both are shown in terminals, pages and HTTP headers, so
//! both are checked before the content is even looked at.

use serde::{Deserialize, Serialize};

/// An output kept by the host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    /// Unique id (a UUID).
    pub id: String,
    /// Name given by the plugin or host, e.g. `workspace.diff`. Redacted, at most
    /// [`RecordBudget::artifact_name_bytes`], no control characters.
    pub name: String,
    /// Media type, e.g. `text/x-diff`. Redacted, `type/subtype[; parameters]` in printable ASCII.
    #[serde(alias = "media_type")]
    pub media_type: String,
    /// Who produced it: a plugin name, or `host` for host-made artifacts such as the dry-run diff.
    #[serde(alias = "produced_by")]
    pub produced_by: String,
    /// The content, redacted.
    #[serde(with = "content_as_text_or_base64")]
    pub content: Vec<u8>,
}

/// Longest media type, in bytes (RFC 6838 allows 127 for each of type and subtype).
pub const MEDIA_TYPE_MAX_BYTES: usize = 255;
/// An artifact name is 1 to `max` bytes with no control characters (it is shown in terminals and pages).
pub(super) fn check_artifact_name(name: &str, max: usize) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("artifact name is empty".into());
    }
    if name.len() > max {
        return Err(format!(
            "artifact name is {} bytes long; at most {max} are allowed",
            name.len()
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("artifact name contains control characters".into());
    }
    Ok(())
}

/// A media type is `type/subtype` with optional `; parameters`, in printable ASCII, at most
/// [`MEDIA_TYPE_MAX_BYTES`] bytes.
pub(super) fn check_media_type(media_type: &str) -> Result<(), String> {
    if media_type.len() > MEDIA_TYPE_MAX_BYTES {
        return Err(format!(
            "artifact media type is {} bytes long; at most {MEDIA_TYPE_MAX_BYTES} are allowed",
            media_type.len()
        ));
    }
    let essence = media_type.split(';').next().unwrap_or_default().trim();
    let token = |part: &str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    let well_formed = essence
        .split_once('/')
        .is_some_and(|(kind, subtype)| token(kind) && token(subtype))
        && media_type.bytes().all(|b| (0x20..0x7f).contains(&b));
    if !well_formed {
        return Err(
            "artifact media type must look like `type/subtype` (e.g. `text/plain; charset=utf-8`), in \
             printable ASCII"
                .into(),
        );
    }
    Ok(())
}

/// Artifacts serialize as `{"text": ...}` when their content is UTF-8 and `{"base64": ...}` otherwise, so
/// the JSON a person reads shows a diff as a diff.
mod content_as_text_or_base64 {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Content {
        Text(String),
        Base64(String),
    }

    pub fn serialize<S: Serializer>(content: &[u8], s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(content) {
            Ok(text) => Content::Text(text.to_owned()).serialize(s),
            Err(_) => Content::Base64(base64_encode(content)).serialize(s),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        match Content::deserialize(d)? {
            Content::Text(text) => Ok(text.into_bytes()),
            Content::Base64(b64) => base64_decode(&b64).map_err(serde::de::Error::custom),
        }
    }

    fn base64_encode(bytes: &[u8]) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    fn base64_decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.decode(text)
    }
}
