//! The forms a secret value takes on its way out: the value itself and its common encodings. One list,
//! shared by the runtime's redactor (which replaces them in everything recorded) and the secret-flow
//! scanner (which refuses them where the secret may not go), so the two never disagree on what "the
//! secret" looks like.
//!
//! For each value: the value as it is; JSON-escaped; percent-encoded (upper- and lower-case escapes, `+`
//! for spaces); hexadecimal (both cases); base64, standard and URL-safe, at each of the three byte
//! alignments (so the value is found inside a longer encoded text such as `Basic base64(user:secret)`).
//! Encoded forms are produced only for values of at least [`MIN_ENCODED_SECRET_BYTES`] bytes, and kept
//! only when at least [`MIN_ENCODED_PATTERN_BYTES`] long, so that a short value does not turn every other
//! base64 text into a match.

use std::fmt;

use base64::Engine as _;

/// Secret values shorter than this are matched only as they are, never in an encoded form.
pub const MIN_ENCODED_SECRET_BYTES: usize = 6;
/// Encoded forms shorter than this are not matched (a few base64 characters match too much).
pub const MIN_ENCODED_PATTERN_BYTES: usize = 8;

/// How a form encodes the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// The value as it is.
    Raw,
    /// Escaped as inside a JSON string.
    JsonEscaped,
    /// Percent-encoded (URL-encoded).
    PercentEncoded,
    /// Hexadecimal.
    Hex,
    /// Base64 (standard alphabet).
    Base64,
    /// Base64url (URL-safe alphabet).
    Base64Url,
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoding::Raw => "as it is",
            Encoding::JsonEscaped => "JSON-escaped",
            Encoding::PercentEncoded => "URL-encoded",
            Encoding::Hex => "hex-encoded",
            Encoding::Base64 => "base64-encoded",
            Encoding::Base64Url => "base64url-encoded",
        })
    }
}

/// The value and every encoded form of it, each once (the first encoding that yields a form names it).
pub fn encoded_forms(value: &str) -> Vec<(Encoding, Vec<u8>)> {
    let mut forms = vec![(Encoding::Raw, value.as_bytes().to_vec())];
    let json = serde_json::to_string(value).expect("a string always serializes");
    forms.push((
        Encoding::JsonEscaped,
        json.as_bytes()[1..json.len() - 1].to_vec(),
    ));
    if value.len() >= MIN_ENCODED_SECRET_BYTES {
        let upper = percent_encode(value, true);
        forms.push((Encoding::PercentEncoded, upper.as_bytes().to_vec()));
        forms.push((
            Encoding::PercentEncoded,
            percent_encode(value, false).into_bytes(),
        ));
        forms.push((
            Encoding::PercentEncoded,
            upper.replace("%20", "+").into_bytes(),
        ));
        forms.push((Encoding::Hex, hex::encode(value).into_bytes()));
        forms.push((Encoding::Hex, hex::encode_upper(value).into_bytes()));
        for (encoding, engine) in [
            (
                Encoding::Base64,
                &base64::engine::general_purpose::STANDARD_NO_PAD,
            ),
            (
                Encoding::Base64Url,
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            ),
        ] {
            for offset in 0..3 {
                forms.push((encoding, base64_core(engine, value.as_bytes(), offset)));
            }
        }
    }
    let mut unique: Vec<(Encoding, Vec<u8>)> = Vec::with_capacity(forms.len());
    for (encoding, form) in forms {
        // The value and its JSON-escaped form are exact; only the encodings need a minimum length.
        let exact = matches!(encoding, Encoding::Raw | Encoding::JsonEscaped);
        let long_enough = exact || form.len() >= MIN_ENCODED_PATTERN_BYTES;
        if long_enough && !form.is_empty() && !unique.iter().any(|(_, f)| *f == form) {
            unique.push((encoding, form));
        }
    }
    unique
}

/// The base64 characters that encode `secret` alone when it starts `offset` bytes into a 3-byte group:
/// the characters shared with the bytes before it, and the last one shared with the bytes after it, are
/// left out, so the core is found whatever surrounds the secret.
pub fn base64_core(
    engine: &base64::engine::GeneralPurpose,
    secret: &[u8],
    offset: usize,
) -> Vec<u8> {
    let mut padded = vec![0u8; offset];
    padded.extend_from_slice(secret);
    let encoded = engine.encode(&padded);
    let skip = match offset {
        0 => 0,
        1 => 2,
        _ => 3,
    };
    let drop_last = usize::from(!padded.len().is_multiple_of(3));
    let end = encoded.len().saturating_sub(drop_last);
    if skip >= end {
        return Vec::new();
    }
    encoded.as_bytes()[skip..end].to_vec()
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn percent_encode(text: &str, upper: bool) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(byte))
            }
            _ if upper => out.push_str(&format!("%{byte:02X}")),
            _ => out.push_str(&format!("%{byte:02x}")),
        }
    }
    out
}
