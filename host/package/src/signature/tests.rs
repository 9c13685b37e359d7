//! Signing and verifying a real component: the happy path, then each way a signature is refused.

use drydock_policy::TrustedKey;

use super::*;
use crate::sections::{MANIFEST_SECTION, SIGNATURE_SECTION, append_custom_section, embed};
use crate::test_fixture::{MANIFEST, echo_component};

fn trusting(key: &SecretKey) -> Vec<TrustedKey> {
    vec![TrustedKey {
        name: "acme".into(),
        key: key.public(),
    }]
}

fn signed(key: &SecretKey) -> Vec<u8> {
    sign(&embed(&echo_component(), MANIFEST).unwrap(), key).unwrap()
}

#[test]
fn a_signed_package_verifies_with_its_trusted_signer() {
    let key = SecretKey::generate().unwrap();
    let verified = verify(&signed(&key), &trusting(&key)).unwrap();
    assert_eq!(
        verified,
        Verified {
            signer: "acme".into(),
            key: key.public()
        }
    );
}

#[test]
fn signing_again_replaces_the_signature() {
    let (first, second) = (
        SecretKey::generate().unwrap(),
        SecretKey::generate().unwrap(),
    );
    let twice = sign(&signed(&first), &second).unwrap();
    assert_eq!(
        verify(&twice, &trusting(&second)).unwrap().key,
        second.public()
    );
}

#[test]
fn refuses_an_unsigned_package() {
    let packaged = embed(&echo_component(), MANIFEST).unwrap();
    let key = SecretKey::generate().unwrap();
    assert!(matches!(
        verify(&packaged, &trusting(&key)),
        Err(VerifyError::Unsigned)
    ));
}

#[test]
fn cannot_sign_without_an_embedded_manifest() {
    let key = SecretKey::generate().unwrap();
    assert!(matches!(
        sign(&echo_component(), &key),
        Err(SignError::NoManifest)
    ));
}

#[test]
fn refuses_a_signature_by_an_untrusted_key_naming_it() {
    let (author, trusted) = (
        SecretKey::generate().unwrap(),
        SecretKey::generate().unwrap(),
    );
    let error = verify(&signed(&author), &trusting(&trusted)).unwrap_err();
    assert!(matches!(error, VerifyError::UntrustedKey { key } if key == author.public()));
    assert!(error.to_string().contains(&author.public().to_string()));
}

#[test]
fn refuses_a_component_changed_after_signing() {
    let key = SecretKey::generate().unwrap();
    let mut tampered = signed(&key);
    // A custom section with another name is part of the payload: adding one changes the signed code.
    append_custom_section(&mut tampered, "producers", b"evil");
    let error = verify(&tampered, &trusting(&key)).unwrap_err();
    assert!(matches!(error, VerifyError::BadSignature { .. }), "{error}");
    assert!(error.to_string().contains("changed after signing"));
}

#[test]
fn refuses_a_manifest_changed_after_signing() {
    let key = SecretKey::generate().unwrap();
    let original = signed(&key);
    let signature = read_sections(&original)
        .unwrap()
        .signature
        .unwrap()
        .to_owned();
    // Keep the signature but swap the manifest for one that asks for more.
    let mut tampered = strip(&original).unwrap();
    let greedy = MANIFEST.replace("methods = [\"GET\", \"POST\"]", "methods = [\"DELETE\"]");
    append_custom_section(&mut tampered, MANIFEST_SECTION, greedy.as_bytes());
    append_custom_section(&mut tampered, SIGNATURE_SECTION, signature.as_bytes());
    let error = verify(&tampered, &trusting(&key)).unwrap_err();
    assert!(matches!(error, VerifyError::BadSignature { .. }), "{error}");
}

#[test]
fn refuses_malformed_signature_sections() {
    let key = SecretKey::generate().unwrap();
    let packaged = embed(&echo_component(), MANIFEST).unwrap();
    let good_key = key.public().to_string();
    for section in [
        "not toml".to_owned(),
        format!("key = \"{good_key}\"\nsignature = \"AAAA\"\n"),
        format!("key = \"{good_key}\"\nsignature = \"\"\nextra = 1\n"),
        "key = \"rsa:AAAA\"\nsignature = \"AAAA\"\n".to_owned(),
    ] {
        let mut bad = packaged.clone();
        append_custom_section(&mut bad, SIGNATURE_SECTION, section.as_bytes());
        let error = verify(&bad, &trusting(&key)).unwrap_err();
        assert!(
            matches!(error, VerifyError::Malformed(_)),
            "{section}: {error}"
        );
    }
}

#[test]
fn refuses_two_signature_sections() {
    let key = SecretKey::generate().unwrap();
    let mut twice = signed(&key);
    let signature = read_sections(&twice).unwrap().signature.unwrap().to_owned();
    append_custom_section(&mut twice, SIGNATURE_SECTION, signature.as_bytes());
    assert!(matches!(
        verify(&twice, &trusting(&key)),
        Err(VerifyError::Sections(SectionError::Duplicate(
            SIGNATURE_SECTION
        )))
    ));
}

#[test]
fn the_signed_message_is_domain_separated() {
    let message = String::from_utf8(signed_message(b"", "")).unwrap();
    let empty = crate::digest::sha256_hex(b"");
    assert_eq!(
        message,
        format!("drydock-package-signature-v1\n{empty}\n{empty}")
    );
}
