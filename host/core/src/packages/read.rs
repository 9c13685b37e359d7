//! From fetched bytes to what the core installs: the package is read (manifest embedded, or given
//! beside it), its contract checked against the host's, its signature verified against the policy's
//! trusted keys (and required when the policy says so), and its requests listed in the core's terms.

use drydock_package::requests::RequestId;
use drydock_package::signature::VerifyError;
use drydock_package::{Package, verify};
use drydock_policy::Trust;

use super::requests::{PackageFacts, Request, RequestGrant};
use crate::CoreError;

/// Reads and verifies a package. `beside` is a manifest that came with the component (used only when
/// none is embedded); `origin` names the component in errors.
pub fn read_package(
    bytes: Vec<u8>,
    beside: Option<String>,
    origin: &str,
    trust: &Trust,
) -> Result<(Vec<u8>, PackageFacts), CoreError> {
    let package = Package::from_parts(bytes, beside, origin)
        .map_err(|e| CoreError::Invalid(e.to_string()))?;
    package
        .manifest
        .check_contract()
        .map_err(|e| CoreError::Invalid(format!("{origin}: {e}")))?;
    let signer = match verify(&package.component, &trust.keys) {
        Ok(verified) => Some(verified.signer),
        // Where signatures are not required, a signature by a key the operator has not listed proves
        // nothing either way: the package counts as unsigned. A signature that does not verify (the
        // package changed after signing) is refused whatever the policy says.
        Err(VerifyError::Unsigned | VerifyError::UntrustedKey { .. })
            if !trust.require_signature =>
        {
            None
        }
        Err(VerifyError::Unsigned) => {
            return Err(CoreError::Invalid(format!(
                "{origin} is not signed, and the policy requires a signature from a trusted key \
                 (`[trust] require_signature = true`): ask its author for a signed build \
                 (`drydock plugin sign`)"
            )));
        }
        Err(err) => return Err(CoreError::Invalid(format!("{origin}: {err}"))),
    };
    let manifest = &package.manifest;
    let requests = &manifest.requests;
    let mut listed = Vec::new();
    for (i, http) in requests.http.iter().enumerate() {
        listed.push(Request {
            id: RequestId::Http(i + 1).to_string(),
            grant: RequestGrant::Http {
                url: http.grant.prefix.to_string(),
                methods: http
                    .grant
                    .methods
                    .iter()
                    .map(|m| m.as_str().to_owned())
                    .collect(),
            },
            reason: http.reason.clone(),
        });
    }
    for (i, fs) in requests.fs.iter().enumerate() {
        listed.push(Request {
            id: RequestId::Fs(i + 1).to_string(),
            grant: RequestGrant::Fs {
                access: fs.access.to_string(),
                mount: fs.mount.clone(),
            },
            reason: fs.reason.clone(),
        });
    }
    for secret in &requests.secrets {
        listed.push(Request {
            id: RequestId::Secret(secret.name.clone()).to_string(),
            grant: RequestGrant::Secrets {
                name: secret.name.clone(),
            },
            reason: secret.reason.clone(),
        });
    }
    for env in &requests.env {
        listed.push(Request {
            id: RequestId::Env(env.name.clone()).to_string(),
            grant: RequestGrant::Env {
                name: env.name.clone(),
            },
            reason: env.reason.clone(),
        });
    }
    if let Some(reason) = &requests.llm {
        listed.push(Request {
            id: RequestId::Llm.to_string(),
            grant: RequestGrant::Llm,
            reason: reason.clone(),
        });
    }
    let facts = PackageFacts {
        name: manifest.name.clone(),
        version: manifest.version.to_string(),
        manifest: package.manifest_text.clone(),
        signer,
        requests: listed,
    };
    Ok((package.component, facts))
}
