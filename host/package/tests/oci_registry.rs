//! Pushing and pulling components against a real registry (Debian's `docker-registry`, started per test on
//! 127.0.0.1 by the shared helper in `tests/registry.rs` of drydock-tests, included here by path so these
//! tests do not build the server).

#[path = "../../../tests/registry.rs"]
mod registry;

use std::time::Duration;

use drydock_package::oci::{MANIFEST_ANNOTATION, WASM_CONFIG_MEDIA_TYPE, WASM_LAYER_MEDIA_TYPE};
use drydock_package::{
    Credentials, FetchError, FetchOptions, OciReference, PushError, Source, fetch, push,
};
use registry::LocalRegistry;

const TIMEOUT: Duration = Duration::from_secs(30);

/// The echo example component; `cargo xtask plugins` builds it.
fn echo_component() -> Vec<u8> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/dist/echo.wasm");
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; build the example plugins with `cargo xtask plugins`",
            path.display()
        )
    })
}

fn start(registry: Result<LocalRegistry, String>) -> LocalRegistry {
    let registry = registry.unwrap_or_else(|e| panic!("{e}"));
    eprintln!("docker-registry answered after {:?}", registry.started_in);
    registry
}

fn options(credentials: Option<Credentials>) -> FetchOptions {
    FetchOptions {
        timeout: TIMEOUT,
        credentials,
        ..FetchOptions::default()
    }
}

#[tokio::test]
async fn pushed_component_comes_back_by_tag_and_by_digest() {
    let registry = start(LocalRegistry::start());
    let component = echo_component();
    let reference = OciReference::parse(&registry.reference("plugins/echo:1.0.0")).unwrap();
    let manifest = "name = \"echo\"\nversion = \"1.0.0\"\n";
    let pushed = push(&reference, &component, Some(manifest), None, TIMEOUT)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", registry.log()));
    assert_eq!(
        pushed.layer_digest,
        drydock_package::digest::oci_digest(&component)
    );

    let by_tag = fetch(&Source::Oci(reference.clone()), &options(None))
        .await
        .unwrap();
    assert!(
        by_tag.bytes == component,
        "the pulled bytes differ from the pushed ones"
    );
    assert_eq!(
        by_tag.digest,
        drydock_package::digest::sha256_hex(&component)
    );
    assert_eq!(
        by_tag.origin,
        pushed.pinned.to_string(),
        "the origin is pinned to the manifest digest"
    );

    // The package manifest rides along as an annotation, newlines and all, for people browsing the registry.
    let raw = reqwest::Client::new()
        .get(format!(
            "http://{}/v2/plugins/echo/manifests/1.0.0",
            reference.registry
        ))
        .header("Accept", "application/vnd.oci.image.manifest.v1+json")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let raw: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(raw["annotations"][MANIFEST_ANNOTATION], manifest);
    assert_eq!(raw["config"]["mediaType"], WASM_CONFIG_MEDIA_TYPE);
    assert_eq!(raw["layers"][0]["mediaType"], WASM_LAYER_MEDIA_TYPE);

    let by_digest = fetch(
        &Source::parse(&pushed.pinned.to_string()).unwrap(),
        &options(None),
    )
    .await
    .unwrap();
    assert!(by_digest.bytes == component);
}

#[tokio::test]
async fn a_tag_or_repository_that_does_not_exist_is_not_found() {
    let registry = start(LocalRegistry::start());
    let component = echo_component();
    let reference = OciReference::parse(&registry.reference("plugins/echo:1.0.0")).unwrap();
    push(&reference, &component, None, None, TIMEOUT)
        .await
        .unwrap();

    for missing in ["plugins/echo:9.9.9", "plugins/nothing-here:1.0.0"] {
        let source = Source::parse(&registry.reference(missing)).unwrap();
        let err = fetch(&source, &options(None)).await.unwrap_err();
        assert!(
            matches!(err, FetchError::NotFound { .. }),
            "{missing}: {err:?}"
        );
        assert!(err.to_string().contains(missing), "{err}");
    }
}

#[tokio::test]
async fn a_layer_larger_than_the_limit_is_refused_from_the_manifest() {
    let registry = start(LocalRegistry::start());
    let component = echo_component();
    let reference = OciReference::parse(&registry.reference("plugins/echo:big")).unwrap();
    push(&reference, &component, None, None, TIMEOUT)
        .await
        .unwrap();
    let small = FetchOptions {
        max_bytes: 1024,
        ..options(None)
    };
    let err = fetch(&Source::Oci(reference), &small).await.unwrap_err();
    assert!(matches!(err, FetchError::TooLarge { .. }), "{err:?}");
    assert!(err.to_string().contains("declares"), "{err}");
}

#[tokio::test]
async fn a_core_module_is_not_pushed() {
    let reference = OciReference::parse("oci://127.0.0.1:1/plugins/core:1").unwrap();
    let err = push(&reference, b"\0asm\x01\x00\x00\x00", None, None, TIMEOUT)
        .await
        .unwrap_err();
    assert!(matches!(err, PushError::NotAComponent { .. }), "{err:?}");
    assert!(err.to_string().contains("core WebAssembly module"), "{err}");
}

#[tokio::test]
async fn basic_auth_refuses_wrong_credentials_without_echoing_the_password() {
    let password = "s3cret-Hunter2-do-not-print";
    let hash = bcrypt::hash(password, 5).unwrap();
    let registry = start(LocalRegistry::start_with_htpasswd(&format!(
        "author:{hash}"
    )));
    let component = echo_component();
    let reference = OciReference::parse(&registry.reference("plugins/echo:1.0.0")).unwrap();
    let right = Credentials::new("author", password);
    let wrong_password = "wrong-Password-also-secret";
    let wrong = Credentials::new("author", wrong_password);

    let refused = push(&reference, &component, None, Some(&wrong), TIMEOUT)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, PushError::AuthRefused { .. }),
        "{refused:?}"
    );
    for text in [refused.to_string(), format!("{refused:?}")] {
        assert!(
            !text.contains(wrong_password),
            "the password leaked: {text}"
        );
    }

    push(&reference, &component, None, Some(&right), TIMEOUT)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", registry.log()));

    let source = Source::Oci(reference);
    for credentials in [None, Some(wrong.clone())] {
        let err = fetch(&source, &options(credentials.clone()))
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::AuthRefused { .. }), "{err:?}");
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(
                !text.contains(wrong_password) && !text.contains(password),
                "leaked: {text}"
            );
        }
    }
    assert!(!format!("{:?}", options(Some(right.clone()))).contains(password));

    let fetched = fetch(&source, &options(Some(right))).await.unwrap();
    assert!(fetched.bytes == component);
}

#[tokio::test]
async fn a_blob_altered_in_the_registry_is_a_digest_mismatch() {
    let registry = start(LocalRegistry::start());
    let component = echo_component();
    let reference = OciReference::parse(&registry.reference("plugins/echo:1.0.0")).unwrap();
    let pushed = push(&reference, &component, None, None, TIMEOUT)
        .await
        .unwrap();
    // Same length, one byte changed after the header: only the digest can tell.
    let hex = pushed.layer_digest.strip_prefix("sha256:").unwrap();
    let blob = registry.storage_dir().join(format!(
        "docker/registry/v2/blobs/sha256/{}/{hex}/data",
        &hex[..2]
    ));
    let mut altered = std::fs::read(&blob).unwrap();
    altered[100] ^= 0xff;
    std::fs::write(&blob, altered).unwrap();

    let err = fetch(&Source::Oci(reference), &options(None))
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::DigestMismatch { .. }), "{err:?}");
    assert!(err.to_string().contains(&pushed.layer_digest), "{err}");
}
