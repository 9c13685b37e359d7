//! Artifacts as MCP resources: `drydock://artifacts/{id}`, with their media type; listed newest first
//! (the caller's own sessions', or every one for an operator), read one at a time, text or base64.

use base64::Engine as _;
use drydock_core::ArtifactRow;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate};

/// How many artifacts `resources/list` names (the newest).
pub const LISTED: usize = 200;
const SCHEME_PREFIX: &str = "drydock://artifacts/";

/// An artifact as a listed resource.
pub fn listed(artifact: &ArtifactRow) -> Resource {
    let mut description = format!("by {}", artifact.produced_by);
    if let Some(correlation) = &artifact.correlation_id {
        description.push_str(&format!(", execution {correlation}"));
    }
    Resource::new(
        format!("{SCHEME_PREFIX}{}", artifact.id),
        artifact.name.clone(),
    )
    .with_mime_type(artifact.media_type.clone())
    .with_size(artifact.size)
    .with_description(description)
}

/// The template every artifact's URI follows.
pub fn template() -> ResourceTemplate {
    ResourceTemplate::new(format!("{SCHEME_PREFIX}{{id}}"), "artifact")
        .with_description("An output Drydock kept: a dry-run diff, a report, a file.")
}

/// The artifact id in `drydock://artifacts/{id}`, if the URI is one.
pub fn artifact_id(uri: &str) -> Option<&str> {
    uri.strip_prefix(SCHEME_PREFIX)
        .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'))
}

/// The artifact's content: text when it is UTF-8, base64 otherwise.
pub fn read(uri: &str, artifact: &ArtifactRow, content: Vec<u8>) -> ReadResourceResult {
    let contents = match String::from_utf8(content) {
        Ok(text) => ResourceContents::text(text, uri),
        Err(bytes) => ResourceContents::blob(
            base64::engine::general_purpose::STANDARD.encode(bytes.as_bytes()),
            uri,
        ),
    };
    ReadResourceResult::new(vec![contents.with_mime_type(artifact.media_type.clone())])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_artifact_uris_name_an_artifact() {
        assert_eq!(artifact_id("drydock://artifacts/0f3e-4a"), Some("0f3e-4a"));
        assert_eq!(artifact_id("drydock://artifacts/"), None);
        assert_eq!(artifact_id("drydock://artifacts/../x"), None);
        assert_eq!(artifact_id("file:///etc/passwd"), None);
    }
}
