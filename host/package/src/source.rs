//! Where a package comes from, as an operator types it: a file path, an `https://` URL, or an
//! `oci://registry/repository[:tag|@sha256:…]` reference. Parsing is strict and happens before any I/O, so a
//! typo is refused with what was expected instead of surfacing later as a network error.
//!
//! Plain `http://` (for downloads and registries alike) is accepted only for loopback hosts: anything else
//! could be read or altered on the way, and the bytes fetched become code the server runs. Local stand-ins
//! (tests, a registry on the same machine) are the reason loopback is allowed at all.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use url::Url;

/// Where to fetch a package from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A component file on this machine.
    File(PathBuf),
    /// An `https://` URL, or `http://` to a loopback host.
    Http(Url),
    /// A component in an OCI registry.
    Oci(OciReference),
}

/// An OCI reference with an explicit registry host: `host[:port]/repository` plus a tag or a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciReference {
    /// The registry's `host[:port]`, as written.
    pub registry: String,
    /// The repository path inside the registry (`team/tool`).
    pub repository: String,
    /// What names the version in the repository.
    pub version: OciVersion,
}

/// How an OCI reference names a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OciVersion {
    /// A tag (`:1.2.0`); `latest` when the reference names neither tag nor digest, as docker and oras do.
    Tag(String),
    /// A manifest digest (`@sha256:<64 hex>`): the registry cannot change what it names.
    Digest(String),
}

/// Why a package source was refused before anything was fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// Nothing was given.
    #[error(
        "no package source given: pass a file path, an https:// URL or an oci://registry/repository:tag reference"
    )]
    Empty,
    /// A scheme other than http, https or oci.
    #[error(
        "`{input}`: unsupported scheme `{scheme}://`; pass a file path, an https:// URL or an oci://registry/repository:tag reference"
    )]
    UnsupportedScheme {
        /// The source as given.
        input: String,
        /// The scheme found.
        scheme: String,
    },
    /// A URL that does not parse.
    #[error("`{input}` is not a valid URL: {reason}")]
    InvalidUrl {
        /// The source as given.
        input: String,
        /// What the URL parser said.
        reason: String,
    },
    /// `http://` to a host that is not loopback.
    #[error(
        "`{input}`: plain http:// is only allowed to this machine (localhost, 127.0.0.1, ::1), because bytes fetched over an unencrypted connection to another host could be altered on the way and this is code the server will run; use https://"
    )]
    InsecureHttp {
        /// The source as given.
        input: String,
    },
    /// An `oci://` reference that does not have the expected shape.
    #[error(
        "`{input}` is not a valid OCI reference ({reason}); expected oci://registry[:port]/repository[:tag] or oci://registry[:port]/repository@sha256:<64 hex>"
    )]
    InvalidOciReference {
        /// The source as given.
        input: String,
        /// Which part is wrong.
        reason: String,
    },
}

impl Source {
    /// Parses what an operator typed. A string with no `scheme://` prefix is a file path (it need not exist
    /// yet: reading it is the fetch's job).
    pub fn parse(text: &str) -> Result<Source, SourceError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(SourceError::Empty);
        }
        let Some((scheme, rest)) = text.split_once("://") else {
            return Ok(Source::File(PathBuf::from(text)));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "http" | "https" => parse_http(text).map(Source::Http),
            "oci" => OciReference::parse_body(text, rest).map(Source::Oci),
            _ => Err(SourceError::UnsupportedScheme {
                input: text.to_owned(),
                scheme: scheme.to_owned(),
            }),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(path) => write!(f, "{}", path.display()),
            Source::Http(url) => write!(f, "{url}"),
            Source::Oci(reference) => write!(f, "{reference}"),
        }
    }
}

fn parse_http(text: &str) -> Result<Url, SourceError> {
    let url = Url::parse(text).map_err(|e| SourceError::InvalidUrl {
        input: text.to_owned(),
        reason: e.to_string(),
    })?;
    if url.scheme() == "http" && !is_loopback_url(&url) {
        return Err(SourceError::InsecureHttp {
            input: text.to_owned(),
        });
    }
    Ok(url)
}

/// Whether `url` points at this machine (`localhost`, `127.0.0.0/8`, `::1`).
pub(crate) fn is_loopback_url(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

impl OciReference {
    /// Parses `oci://host[:port]/repository[:tag|@sha256:<hex>]`.
    pub fn parse(text: &str) -> Result<OciReference, SourceError> {
        match Source::parse(text)? {
            Source::Oci(reference) => Ok(reference),
            _ => Err(SourceError::InvalidOciReference {
                input: text.to_owned(),
                reason: "it does not start with oci://".into(),
            }),
        }
    }

    fn parse_body(input: &str, body: &str) -> Result<OciReference, SourceError> {
        let invalid = |reason: &str| SourceError::InvalidOciReference {
            input: input.to_owned(),
            reason: reason.to_owned(),
        };
        let (registry, path) = body
            .split_once('/')
            .ok_or_else(|| invalid("no repository after the registry host"))?;
        // The registry host goes through the URL parser so that ports, IPv6 literals and bad characters are
        // judged the way the HTTP client will judge them.
        Url::parse(&format!("https://{registry}/"))
            .ok()
            .filter(|url| !registry.is_empty() && url.host().is_some())
            .ok_or_else(|| invalid("the registry host is not a valid host[:port]"))?;
        let (name, version) = if let Some((name, digest)) = path.split_once('@') {
            if !is_sha256_digest(digest) {
                return Err(invalid("the digest is not sha256:<64 lower-case hex>"));
            }
            (name, OciVersion::Digest(digest.to_owned()))
        } else {
            // A colon after the last slash separates the tag; one before it would be a port, and ports
            // belong to the registry part, so a repository with a colon in a segment is simply invalid.
            let last_segment = path.rsplit('/').next().unwrap_or(path);
            match last_segment.split_once(':') {
                Some((_, tag)) => {
                    if !is_tag(tag) {
                        return Err(invalid(
                            "the tag must be 1-128 of [A-Za-z0-9_.-], not starting with . or -",
                        ));
                    }
                    (
                        &path[..path.len() - tag.len() - 1],
                        OciVersion::Tag(tag.to_owned()),
                    )
                }
                None => (path, OciVersion::Tag("latest".to_owned())),
            }
        };
        if !is_repository(name) {
            return Err(invalid(
                "the repository must be lower-case segments of [a-z0-9] joined by . _ __ - and /",
            ));
        }
        Ok(OciReference {
            registry: registry.to_owned(),
            repository: name.to_owned(),
            version,
        })
    }

    /// Whether the registry is on this machine, the only case where plain HTTP is used.
    pub fn is_loopback(&self) -> bool {
        Url::parse(&format!("http://{}/", self.registry)).is_ok_and(|url| is_loopback_url(&url))
    }

    /// The same repository, pinned to a manifest digest.
    pub fn with_digest(&self, digest: &str) -> OciReference {
        OciReference {
            version: OciVersion::Digest(digest.to_owned()),
            ..self.clone()
        }
    }
}

impl fmt::Display for OciReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "oci://{}/{}", self.registry, self.repository)?;
        match &self.version {
            OciVersion::Tag(tag) => write!(f, ":{tag}"),
            OciVersion::Digest(digest) => write!(f, "@{digest}"),
        }
    }
}

fn is_sha256_digest(text: &str) -> bool {
    text.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn is_tag(tag: &str) -> bool {
    let first_ok = tag
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
    first_ok
        && tag.len() <= 128
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// The distribution spec's repository grammar: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/…)*`.
fn is_repository(name: &str) -> bool {
    !name.is_empty()
        && name.split('/').all(|segment| {
            let bytes = segment.as_bytes();
            let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
            let separator = |b: &u8| matches!(b, b'.' | b'_' | b'-');
            bytes.first().is_some_and(alnum)
                && bytes.last().is_some_and(alnum)
                && bytes.iter().all(|b| alnum(b) || separator(b))
                && !segment.contains("..")
                && !segment.contains("___")
                && !segment.contains("._")
                && !segment.contains("_.")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oci(text: &str) -> OciReference {
        match Source::parse(text) {
            Ok(Source::Oci(reference)) => reference,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn a_string_without_scheme_is_a_file() {
        assert_eq!(
            Source::parse("plugins/dist/echo.wasm"),
            Ok(Source::File("plugins/dist/echo.wasm".into()))
        );
    }

    #[test]
    fn oci_references_keep_port_tag_and_digest_apart() {
        let r = oci("oci://127.0.0.1:5000/team/echo:1.2.0");
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "team/echo");
        assert_eq!(r.version, OciVersion::Tag("1.2.0".into()));
        assert!(r.is_loopback());
        assert_eq!(
            oci("oci://ghcr.io/a/b").version,
            OciVersion::Tag("latest".into())
        );
        let digest = format!("sha256:{}", "ab".repeat(32));
        let pinned = oci(&format!("oci://ghcr.io/a/b@{digest}"));
        assert_eq!(pinned.version, OciVersion::Digest(digest.clone()));
        assert!(!pinned.is_loopback());
        assert_eq!(pinned.to_string(), format!("oci://ghcr.io/a/b@{digest}"));
    }

    #[test]
    fn malformed_oci_references_say_which_part_is_wrong() {
        for (text, part) in [
            ("oci://ghcr.io", "no repository"),
            ("oci:///repo:1", "registry host"),
            ("oci://ghcr.io/Upper/case:1", "repository"),
            ("oci://ghcr.io/a:-bad", "tag"),
            ("oci://ghcr.io/a@sha256:1234", "digest"),
        ] {
            let err = Source::parse(text).unwrap_err().to_string();
            assert!(err.contains(part), "{text}: {err}");
        }
    }

    #[test]
    fn plain_http_is_refused_for_other_hosts_and_says_why() {
        assert!(matches!(
            Source::parse("http://localhost:8080/echo.wasm"),
            Ok(Source::Http(_))
        ));
        assert!(matches!(
            Source::parse("http://[::1]/x.wasm"),
            Ok(Source::Http(_))
        ));
        let err = Source::parse("http://example.com/echo.wasm").unwrap_err();
        assert!(matches!(err, SourceError::InsecureHttp { .. }));
        assert!(err.to_string().contains("use https://"), "{err}");
        assert!(matches!(
            Source::parse("https://example.com/echo.wasm"),
            Ok(Source::Http(_))
        ));
    }

    #[test]
    fn unknown_schemes_and_empty_input_are_refused() {
        assert_eq!(Source::parse("  "), Err(SourceError::Empty));
        assert!(matches!(
            Source::parse("ftp://example.com/x.wasm"),
            Err(SourceError::UnsupportedScheme { .. })
        ));
    }
}
