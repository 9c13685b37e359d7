//! Components in OCI registries, laid out as the CNCF TAG Runtime "wasm-oci-artifact" convention says, so
//! `oras`, wkg and wassette read what we push and we read what they push:
//!
//! - an image manifest (`application/vnd.oci.image.manifest.v1+json`);
//! - its config blob `application/vnd.wasm.config.v0+json` (`{"architecture":"wasm","os":"wasip2",
//!   "layerDigests":[…]}`);
//! - exactly one layer, `application/wasm`: the component's bytes, unchanged;
//! - the package manifest's TOML text, when given, as the manifest annotation
//!   [`MANIFEST_ANNOTATION`]. An annotation rather than a second layer because registries and `oras manifest
//!   fetch` show annotations without a blob download, and tools that expect one wasm layer are not confused.
//!   It is a copy for people browsing the registry: the manifest that counts is the one embedded in the
//!   component, which the digest covers.
//!
//! Plain HTTP is used only for loopback registries (a local test registry); everything else is HTTPS. The
//! registry's claims are checked, not trusted: the layer's declared size against the limit before the pull,
//! the bytes against the limit while reading and against the layer digest after.

use std::collections::BTreeMap;

use oci_client::client::{ClientConfig, ClientProtocol, Config, ImageLayer};
use oci_client::errors::{DigestError, OciDistributionError, OciErrorCode};
use oci_client::manifest::{OCI_IMAGE_MEDIA_TYPE, OciDescriptor, OciImageManifest};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use reqwest::header::HeaderValue;

use crate::digest::oci_digest;
use crate::fetch::{Credentials, FetchOptions, error_chain, read_limited, too_large};
use crate::fetch_error::{FetchError, PushError, auth_hint};
use crate::source::{OciReference, OciVersion};
use crate::wasm_magic::check_component;

/// The layer media type of a wasm component.
pub const WASM_LAYER_MEDIA_TYPE: &str = "application/wasm";
/// The config media type of a wasm OCI artifact.
pub const WASM_CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v0+json";
/// The manifest annotation holding the package manifest's TOML text.
pub const MANIFEST_ANNOTATION: &str = "dev.drydock.package.manifest";

/// What a push left in the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// The image manifest's digest (`sha256:<hex>`), which pins this exact upload.
    pub manifest_digest: String,
    /// The reference pinned to that digest, ready for `fetch`: `oci://host/repo@sha256:…`.
    pub pinned: OciReference,
    /// The component layer's digest (`sha256:<hex>`).
    pub layer_digest: String,
}

/// Pulls the component from `reference`; returns its bytes and the origin pinned to the manifest digest.
pub(crate) async fn pull(
    reference: &OciReference,
    origin: &str,
    options: &FetchOptions,
) -> Result<(Vec<u8>, String), FetchError> {
    let client = client_for(reference, options.timeout)?;
    let image = to_oci_client(reference);
    let auth = registry_auth(options.credentials.as_ref());
    let sent_credentials = options.credentials.is_some();
    let (manifest, manifest_digest) = client
        .pull_image_manifest(&image, &auth)
        .await
        .map_err(|e| fetch_failure(origin, sent_credentials, e))?;
    // oci-client checks a by-digest manifest against its digest; checked again here because the pinned
    // origin we return depends on it.
    if let OciVersion::Digest(expected) = &reference.version
        && *expected != manifest_digest
    {
        return Err(FetchError::DigestMismatch {
            origin: origin.to_owned(),
            expected: expected.clone(),
            actual: manifest_digest,
        });
    }
    let layer = wasm_layer(&manifest, origin)?;
    // A negative size is nonsense from the registry; treating it as huge refuses it.
    let declared = u64::try_from(layer.size).unwrap_or(u64::MAX);
    if declared > options.max_bytes {
        return Err(too_large(origin, options.max_bytes, declared));
    }
    let blob = client
        .pull_blob_stream(&image, layer)
        .await
        .map_err(|e| fetch_failure(origin, sent_credentials, e))?;
    let bytes = read_limited(
        blob.stream,
        origin,
        options.max_bytes,
        Some(declared),
        |e| digest_mismatch_in_stream(origin, e),
    )
    .await?;
    let actual = oci_digest(&bytes);
    if actual != layer.digest {
        return Err(FetchError::DigestMismatch {
            origin: origin.to_owned(),
            expected: layer.digest.clone(),
            actual,
        });
    }
    Ok((bytes, reference.with_digest(&manifest_digest).to_string()))
}

/// oci-client's blob stream checks the digest itself and reports a mismatch as its last item, wrapped in an
/// I/O error; this turns it back into a digest mismatch (the bytes are checked again after reading anyway).
fn digest_mismatch_in_stream(origin: &str, error: &std::io::Error) -> Option<FetchError> {
    match error.get_ref()?.downcast_ref::<DigestError>()? {
        DigestError::VerificationError { expected, actual } => Some(FetchError::DigestMismatch {
            origin: origin.to_owned(),
            expected: expected.clone(),
            actual: actual.clone(),
        }),
        _ => None,
    }
}

/// The single `application/wasm` layer, or why the artifact is not a component.
fn wasm_layer<'m>(
    manifest: &'m OciImageManifest,
    origin: &str,
) -> Result<&'m OciDescriptor, FetchError> {
    let mut wasm = manifest
        .layers
        .iter()
        .filter(|layer| layer.media_type == WASM_LAYER_MEDIA_TYPE);
    match (wasm.next(), wasm.next()) {
        (Some(layer), None) => Ok(layer),
        _ => Err(FetchError::NotAWasmArtifact {
            origin: origin.to_owned(),
            layers: manifest
                .layers
                .iter()
                .map(|layer| layer.media_type.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// Pushes `component` to `reference` (which must name a tag) in the wasm-oci-artifact layout, with
/// `manifest_toml` as the [`MANIFEST_ANNOTATION`] when given.
pub async fn push(
    reference: &OciReference,
    component: &[u8],
    manifest_toml: Option<&str>,
    credentials: Option<&Credentials>,
    timeout: std::time::Duration,
) -> Result<Pushed, PushError> {
    let shown = reference.to_string();
    if matches!(reference.version, OciVersion::Digest(_)) {
        return Err(PushError::DigestReference { reference: shown });
    }
    check_component(component).map_err(|problem| PushError::NotAComponent {
        reference: shown.clone(),
        problem,
    })?;
    let client = client_for(reference, timeout).map_err(|e| PushError::Unreachable {
        reference: shown.clone(),
        reason: e.to_string(),
    })?;
    let image = to_oci_client(reference);
    let auth = registry_auth(credentials);
    let Artifact {
        layer,
        config,
        manifest_json,
    } = artifact(component, manifest_toml).map_err(|e| PushError::Refused {
        reference: shown.clone(),
        reason: format!("cannot serialise the manifest: {e}"),
    })?;
    let layer_digest = oci_digest(component);
    let config_digest = oci_digest(&config.data);
    let manifest_digest = oci_digest(&manifest_json);
    let pushing = async {
        client
            .store_auth_if_needed(image.resolve_registry(), &auth)
            .await;
        client.push_blob(&image, layer.data, &layer_digest).await?;
        client
            .push_blob(&image, config.data, &config_digest)
            .await?;
        client
            .push_manifest_raw(
                &image,
                manifest_json,
                HeaderValue::from_static(OCI_IMAGE_MEDIA_TYPE),
            )
            .await
    };
    tokio::time::timeout(timeout, pushing)
        .await
        .map_err(|_| PushError::TimedOut {
            reference: shown.clone(),
            after: timeout,
        })?
        .map_err(|e| push_failure(&shown, credentials.is_some(), e))?;
    Ok(Pushed {
        pinned: reference.with_digest(&manifest_digest),
        manifest_digest,
        layer_digest,
    })
}

/// The blobs and manifest of a wasm OCI artifact, ready to upload.
struct Artifact {
    layer: ImageLayer,
    config: Config,
    manifest_json: Vec<u8>,
}

/// Lays `component` out as a wasm OCI artifact (see the module doc).
fn artifact(component: &[u8], manifest_toml: Option<&str>) -> Result<Artifact, serde_json::Error> {
    let layer_digest = oci_digest(component);
    let layer = ImageLayer::new(component.to_vec(), WASM_LAYER_MEDIA_TYPE.to_owned(), None);
    let config_json =
        format!(r#"{{"architecture":"wasm","os":"wasip2","layerDigests":["{layer_digest}"]}}"#);
    let config = Config::new(
        config_json.into_bytes(),
        WASM_CONFIG_MEDIA_TYPE.to_owned(),
        None,
    );
    let annotations = manifest_toml
        .map(|text| BTreeMap::from([(MANIFEST_ANNOTATION.to_owned(), text.to_owned())]));
    let manifest = OciImageManifest::build(std::slice::from_ref(&layer), &config, annotations);
    // Serialised here with serde_json rather than by `Client::push`: its canonical-JSON writer leaves a
    // newline inside a string unescaped, and the registry rejects the manifest when the TOML annotation has
    // more than one line. Serialising ourselves also gives the manifest digest without asking the registry.
    let manifest_json = serde_json::to_vec(&manifest)?;
    Ok(Artifact {
        layer,
        config,
        manifest_json,
    })
}

fn client_for(
    reference: &OciReference,
    timeout: std::time::Duration,
) -> Result<Client, FetchError> {
    crate::tls::install_ring_provider();
    let config = ClientConfig {
        protocol: if reference.is_loopback() {
            ClientProtocol::Http
        } else {
            ClientProtocol::Https
        },
        connect_timeout: Some(timeout),
        read_timeout: Some(timeout),
        // Image indexes are for multi-platform container images; a component has one form, so an index at
        // the reference is refused rather than resolved to some platform's entry.
        platform_resolver: None,
        ..ClientConfig::default()
    };
    Client::try_from(config).map_err(|e| FetchError::Unreachable {
        origin: reference.to_string(),
        reason: format!("cannot set up the registry client: {e}"),
    })
}

fn to_oci_client(reference: &OciReference) -> Reference {
    let (registry, repository) = (reference.registry.clone(), reference.repository.clone());
    match &reference.version {
        OciVersion::Tag(tag) => Reference::with_tag(registry, repository, tag.clone()),
        OciVersion::Digest(digest) => Reference::with_digest(registry, repository, digest.clone()),
    }
}

fn registry_auth(credentials: Option<&Credentials>) -> RegistryAuth {
    match credentials {
        Some(c) => RegistryAuth::Basic(c.username.clone(), c.password().to_owned()),
        None => RegistryAuth::Anonymous,
    }
}

/// What an oci-client error means, in the few kinds an operator can act on. Registry message texts are
/// dropped: only error codes and status numbers are kept, so nothing echoed from a request can leak.
enum Failure {
    NotFound(String),
    Auth(u16),
    Server(u16),
    Status(u16),
    Digest { expected: String, actual: String },
    Transport(String),
    Other(String),
}

fn classify(error: OciDistributionError) -> Failure {
    use OciDistributionError as E;
    match error {
        E::ImageManifestNotFoundError(_) => Failure::NotFound("no such manifest".into()),
        E::UnauthorizedError { .. } | E::AuthenticationFailure(_) => Failure::Auth(401),
        E::RegistryError { envelope, .. } => {
            let codes: Vec<&OciErrorCode> = envelope.errors.iter().map(|e| &e.code).collect();
            let any = |wanted: &[OciErrorCode]| codes.iter().any(|c| wanted.contains(c));
            if any(&[OciErrorCode::Unauthorized]) {
                Failure::Auth(401)
            } else if any(&[OciErrorCode::Denied]) {
                Failure::Auth(403)
            } else if any(&[
                OciErrorCode::ManifestUnknown,
                OciErrorCode::NameUnknown,
                OciErrorCode::BlobUnknown,
                OciErrorCode::NotFound,
            ]) {
                Failure::NotFound(format!("registry error {codes:?}"))
            } else {
                Failure::Other(format!("registry error {codes:?}"))
            }
        }
        E::ServerError { code: 404, .. } => Failure::NotFound("HTTP 404".into()),
        E::ServerError {
            code: code @ (401 | 403),
            ..
        } => Failure::Auth(code),
        E::ServerError {
            code: code @ 500..=599,
            ..
        } => Failure::Server(code),
        E::ServerError { code, .. } => Failure::Status(code),
        E::DigestError(DigestError::VerificationError { expected, actual }) => {
            Failure::Digest { expected, actual }
        }
        E::RequestError(e) => Failure::Transport(error_chain(&e.without_url())),
        other => Failure::Other(other.to_string()),
    }
}

fn fetch_failure(origin: &str, sent_credentials: bool, error: OciDistributionError) -> FetchError {
    let origin = origin.to_owned();
    match classify(error) {
        Failure::NotFound(what) => FetchError::NotFound { origin, what },
        Failure::Auth(status) => FetchError::AuthRefused {
            origin,
            status,
            hint: auth_hint(sent_credentials),
        },
        Failure::Server(status) => FetchError::ServerFailed { origin, status },
        Failure::Status(status) => FetchError::UnexpectedStatus { origin, status },
        Failure::Digest { expected, actual } => FetchError::DigestMismatch {
            origin,
            expected,
            actual,
        },
        Failure::Transport(reason) => FetchError::Unreachable { origin, reason },
        Failure::Other(reason) => FetchError::Protocol { origin, reason },
    }
}

fn push_failure(reference: &str, sent_credentials: bool, error: OciDistributionError) -> PushError {
    let reference = reference.to_owned();
    match classify(error) {
        Failure::Auth(status) => PushError::AuthRefused {
            reference,
            status,
            hint: auth_hint(sent_credentials),
        },
        Failure::Server(status) => PushError::ServerFailed { reference, status },
        Failure::Transport(reason) => PushError::Unreachable { reference, reason },
        Failure::Status(status) => PushError::Refused {
            reference,
            reason: format!("HTTP {status}"),
        },
        Failure::NotFound(reason) | Failure::Other(reason) => {
            PushError::Refused { reference, reason }
        }
        Failure::Digest { expected, actual } => PushError::Refused {
            reference,
            reason: format!("digest mismatch: expected {expected}, got {actual}"),
        },
    }
}
