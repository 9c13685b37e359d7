//! The operator's trust settings: which package signers they trust (`[trust] keys`) and whether an
//! unsigned package may be installed at all (`require_signature`). The policy only holds and validates the
//! keys; checking a signature against them is drydock-package's job, so this crate stays free of crypto.
//!
//! A key is written `ed25519:<base64 of the 32-byte public key>` everywhere (policy, CLI output, signature
//! sections), and [`Ed25519PublicKey`] is the one parser of that form.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// What the operator trusts. The default trusts nobody and requires no signature: unsigned packages install
/// (after the operator accepts their requests), signed ones are reported as signed by an untrusted key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Trust {
    /// The signers whose packages verify; names and keys are each unique.
    pub keys: Vec<TrustedKey>,
    /// Whether a package must carry a valid signature by one of `keys` to be installed.
    pub require_signature: bool,
}

impl Trust {
    /// The trusted signer holding `key`, if any.
    pub fn signer(&self, key: &Ed25519PublicKey) -> Option<&TrustedKey> {
        self.keys.iter().find(|trusted| trusted.key == *key)
    }
}

/// One trusted signer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKey {
    /// The operator's name for the signer (shown as "signed by acme"): 1 to 64 letters, digits, `_`, `-`, `.`.
    pub name: String,
    /// The signer's public key.
    pub key: Ed25519PublicKey,
}

/// An ed25519 public key, written `ed25519:<base64>` (standard alphabet, padded: 44 characters).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ed25519PublicKey(pub [u8; 32]);

/// The prefix that names the algorithm of a written key.
const KEY_PREFIX: &str = "ed25519:";

/// A key that is not `ed25519:<base64 of 32 bytes>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyFormatError {
    /// The text does not start with `ed25519:`.
    #[error(
        "a public key is written `ed25519:<base64>` (as `drydock key generate` prints it), not `{0}`"
    )]
    MissingPrefix(String),
    /// The part after `ed25519:` is not base64.
    #[error("the public key `{0}` is not valid base64 after `ed25519:`: {1}")]
    NotBase64(String, String),
    /// The decoded key is not 32 bytes long.
    #[error("the public key `{0}` decodes to {1} bytes; an ed25519 public key has 32")]
    WrongLength(String, usize),
}

impl FromStr for Ed25519PublicKey {
    type Err = KeyFormatError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let encoded = text
            .strip_prefix(KEY_PREFIX)
            .ok_or_else(|| KeyFormatError::MissingPrefix(shorten(text)))?;
        let bytes = BASE64
            .decode(encoded)
            .map_err(|error| KeyFormatError::NotBase64(shorten(text), error.to_string()))?;
        let key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| KeyFormatError::WrongLength(shorten(text), bytes.len()))?;
        Ok(Ed25519PublicKey(key))
    }
}

impl fmt::Display for Ed25519PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{KEY_PREFIX}{}", BASE64.encode(self.0))
    }
}

impl fmt::Debug for Ed25519PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Errors quote what was written; a pasted megabyte should not come back in full.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(80) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// Checks a signer's name; `Err` says what a good one looks like.
pub(crate) fn check_signer_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "signer name `{}` must be 1 to 64 letters, digits, `_`, `-` or `.`",
            shorten(name)
        ))
    }
}

/// The names and keys already seen while validating `[trust] keys`, to refuse duplicates.
#[derive(Default)]
pub(crate) struct SeenKeys {
    names: BTreeSet<String>,
    keys: BTreeSet<Ed25519PublicKey>,
}

impl SeenKeys {
    /// Records one entry; `Err` says which part repeats an earlier entry.
    pub(crate) fn add(&mut self, name: &str, key: Ed25519PublicKey) -> Result<(), String> {
        if !self.names.insert(name.to_owned()) {
            return Err(format!(
                "signer name `{name}` is listed twice in [trust] keys; give each key its own name"
            ));
        }
        if !self.keys.insert(key) {
            return Err(format!(
                "key {key} is listed twice in [trust] keys (as `{name}` and earlier); list it once"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_round_trips_through_its_written_form() {
        let key = Ed25519PublicKey([7; 32]);
        let text = key.to_string();
        assert!(
            text.starts_with("ed25519:") && text.len() == 8 + 44,
            "{text}"
        );
        assert_eq!(text.parse::<Ed25519PublicKey>(), Ok(key));
    }

    #[test]
    fn refuses_keys_without_prefix_bad_base64_or_wrong_length() {
        assert!(matches!(
            "ssh-ed25519 AAAA".parse::<Ed25519PublicKey>(),
            Err(KeyFormatError::MissingPrefix(_))
        ));
        assert!(matches!(
            "ed25519:not base64!".parse::<Ed25519PublicKey>(),
            Err(KeyFormatError::NotBase64(..))
        ));
        assert!(matches!(
            "ed25519:AAAA".parse::<Ed25519PublicKey>(),
            Err(KeyFormatError::WrongLength(_, 3))
        ));
    }

    #[test]
    fn signer_names_are_short_and_plain() {
        assert!(check_signer_name("acme.corp-1").is_ok());
        assert!(check_signer_name("").is_err());
        assert!(check_signer_name("a b").is_err());
        assert!(check_signer_name(&"a".repeat(65)).is_err());
    }
}
