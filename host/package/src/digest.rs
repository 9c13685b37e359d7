//! The digest that names a component's bytes: SHA-256, written `sha256:<64 lower-case hex>` as OCI writes
//! it; the policy's `component_sha256` pin holds the bare hex.

use sha2::{Digest as _, Sha256};

/// The SHA-256 digest of `bytes` as 64 lower-case hex characters.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The OCI form of the digest of `bytes`: `sha256:<hex>`.
pub fn oci_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_of_nothing_is_the_well_known_one() {
        assert_eq!(
            oci_digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
