//! Package signatures: ed25519 over the component's code *and* its manifest, so neither can change after
//! signing. The signed message is domain-separated (a signature made for anything else can never pass):
//!
//! ```text
//! drydock-package-signature-v1\n<sha256 hex of the payload>\n<sha256 hex of the manifest text>
//! ```
//!
//! where the payload is the component without its drydock sections ([`crate::sections::strip`]) and the
//! manifest text is the embedded `drydock-package` section, byte for byte. The `drydock-signature` section
//! holds TOML: `key = "ed25519:<base64>"` and `signature = "<base64 of 64 bytes>"`.
//!
//! A signed package carries its manifest embedded: a manifest beside the file is not covered.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use drydock_policy::{Ed25519PublicKey, TrustedKey};
use ed25519_dalek::{Signature, Signer as _, VerifyingKey};
use serde::Deserialize;

use crate::digest::sha256_hex;
use crate::keys::SecretKey;
use crate::sections::{SectionError, read_sections, replace_signature, strip};

/// The first line of every signed message.
pub const SIGNATURE_DOMAIN: &str = "drydock-package-signature-v1\n";

/// A package whose signature checked out, by a key the operator trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The operator's name for the signer (from `[trust] keys`).
    pub signer: String,
    /// The key that signed.
    pub key: Ed25519PublicKey,
}

/// Why a package could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The component's sections could not be read or written.
    #[error(transparent)]
    Sections(#[from] SectionError),
    /// There is no embedded manifest to sign.
    #[error(
        "the component has no embedded manifest to sign; embed its drydock-plugin.toml first (a signature \
         covers the code and the manifest together)"
    )]
    NoManifest,
}

/// Why a package's signature was not accepted. Each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The component's sections could not be read.
    #[error(transparent)]
    Sections(#[from] SectionError),
    /// There is no `drydock-signature` section.
    #[error("the package is not signed; ask its author for a signed build (drydock plugin sign)")]
    Unsigned,
    /// The signature section is not what `sign` writes, or the manifest it covers is missing.
    #[error("the package's signature section is malformed: {0}")]
    Malformed(String),
    /// The signature holds, but by a key the policy does not trust.
    #[error(
        "the package is signed by {key}, which is not among the policy's [trust] keys; add it there if you \
         trust its owner"
    )]
    UntrustedKey {
        /// The key that signed.
        key: Ed25519PublicKey,
    },
    /// The signature does not match: the component or its manifest changed after signing (or it is forged).
    #[error(
        "the signature by {key} does not match this package: the component or its manifest was changed \
         after signing; do not install it, fetch the author's original"
    )]
    BadSignature {
        /// The key the signature claims.
        key: Ed25519PublicKey,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignature {
    key: String,
    signature: String,
}

/// The message a signature covers, for `payload` and the manifest's exact text.
pub fn signed_message(payload: &[u8], manifest_text: &str) -> Vec<u8> {
    format!(
        "{SIGNATURE_DOMAIN}{}\n{}",
        sha256_hex(payload),
        sha256_hex(manifest_text.as_bytes())
    )
    .into_bytes()
}

/// Signs a component that has its manifest embedded; any earlier signature is replaced.
pub fn sign(component: &[u8], key: &SecretKey) -> Result<Vec<u8>, SignError> {
    let manifest = read_sections(component)?
        .manifest
        .ok_or(SignError::NoManifest)?
        .to_owned();
    let payload = strip(component)?;
    let signature = key.signing_key().sign(&signed_message(&payload, &manifest));
    let section = format!(
        "key = \"{}\"\nsignature = \"{}\"\n",
        key.public(),
        BASE64.encode(signature.to_bytes())
    );
    Ok(replace_signature(component, &section)?)
}

/// Checks the signature of `component` and that its key is one of `trusted`.
///
/// The signature is checked before trust, so a changed package is reported as changed whoever signed it.
/// Whether an unsigned package may still be installed is the caller's decision (the policy's
/// `require_signature`): this function only says [`VerifyError::Unsigned`].
pub fn verify(component: &[u8], trusted: &[TrustedKey]) -> Result<Verified, VerifyError> {
    let sections = read_sections(component)?;
    let section = sections.signature.ok_or(VerifyError::Unsigned)?;
    let raw: RawSignature = toml::from_str(section)
        .map_err(|error| VerifyError::Malformed(error.message().trim_end().to_owned()))?;
    let key: Ed25519PublicKey = raw
        .key
        .parse()
        .map_err(|error| VerifyError::Malformed(format!("`key`: {error}")))?;
    let signature_bytes: [u8; 64] = BASE64
        .decode(&raw.signature)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| {
            VerifyError::Malformed("`signature` is not base64 of 64 bytes".to_owned())
        })?;
    let manifest = sections.manifest.ok_or_else(|| {
        VerifyError::Malformed(
            "there is a signature but no embedded manifest, which the signature covers".to_owned(),
        )
    })?;
    let verifying = VerifyingKey::from_bytes(&key.0).map_err(|_| {
        VerifyError::Malformed(format!("`key` {key} is not a valid ed25519 public key"))
    })?;
    let payload = strip(component)?;
    // verify_strict refuses weak keys and non-canonical signatures, so one package has one valid signature.
    verifying
        .verify_strict(
            &signed_message(&payload, manifest),
            &Signature::from_bytes(&signature_bytes),
        )
        .map_err(|_| VerifyError::BadSignature { key })?;
    let signer = trusted
        .iter()
        .find(|trusted| trusted.key == key)
        .ok_or(VerifyError::UntrustedKey { key })?;
    Ok(Verified {
        signer: signer.name.clone(),
        key,
    })
}

#[cfg(test)]
mod tests;
