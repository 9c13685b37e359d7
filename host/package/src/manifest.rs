//! The package manifest: who the plugin is (name, version, description, authors, homepage), which
//! contract it was built against, and the grants it *requests*. TOML, in two stages like the policy file:
//! raw serde types that mirror the text (unknown keys are errors, values keep their spans), then a
//! validated [`Manifest`] whose every error points at `origin:line:column` and names the key.
//!
//! The same file is the project manifest `drydock plugin new` writes (`drydock-plugin.toml`), so it also
//! accepts `language` and, for the repository's own fixtures, `test-fixture`.
//!
//! ```toml
//! name = "notes"                      # [a-z][a-z0-9_]*, at most 64: the component's file stem
//! version = "0.1.0"                   # semver
//! description = "Reads notes and posts them."
//! authors = ["Ada <ada@example.com>"] # optional
//! homepage = "https://example.com/notes"   # optional, http(s)
//! contract = "drydock:plugin@0.1.0"   # the WIT package it was built against
//! language = "rust"                   # optional
//!
//! [requests]                          # the policy's own syntax, plus a one-line reason each
//! http    = [{ url = "https://notes.example.com/api/", methods = ["POST"], reason = "Posts notes." }]
//! fs      = [{ access = "ro", reason = "Reads the notes to post." }]  # the operator picks the directory;
//!                                     # optional mount = "/data" (the first defaults to /workspace)
//! secrets = [{ name = "NOTES_TOKEN", reason = "Signs in to the notes service." }]
//! env     = [{ name = "NOTES_REGION", reason = "Chooses the region." }]
//! llm     = { reason = "Summarises a note before posting it." }
//! ```

use std::ops::Range;

use drydock_policy::{Location, TargetUrl};
use serde::Deserialize;
use toml::Spanned;

use crate::contract::{Contract, ContractError};
use crate::requests::{RawRequests, Requests};

/// A validated package manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The plugin's name: `[a-z][a-z0-9_]*`, at most 64 bytes; its tools are `<name>.<tool>`.
    pub name: String,
    /// The package's version.
    pub version: semver::Version,
    /// What the plugin does, for the operator deciding whether to install it.
    pub description: String,
    /// Who wrote it (free text each, e.g. `Ada <ada@example.com>`).
    pub authors: Vec<String>,
    /// Where to read more (an http or https URL).
    pub homepage: Option<String>,
    /// The contract it was built against.
    pub contract: Contract,
    /// The language it is written in, as `drydock plugin new` wrote it.
    pub language: Option<String>,
    /// Whether it is one of the repository's conformance fixtures (they misbehave on purpose).
    pub test_fixture: bool,
    /// The grants it asks for, each with a reason. Nothing here is granted by itself.
    pub requests: Requests,
}

/// Why a manifest was refused. Every variant says where (`origin:line:column`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// Not TOML, a value of the wrong type, a missing key or an unknown key (the message names it).
    #[error("{at}: {message}")]
    Syntax {
        /// Where the TOML parser stopped.
        at: Location,
        /// The parser's message.
        message: String,
    },
    /// Well-formed TOML with a value that is not valid for its key.
    #[error("{at}: `{key}`: {message}")]
    Invalid {
        /// The offending value.
        at: Location,
        /// The key's path, e.g. `requests.http[0].url`.
        key: String,
        /// What is wrong and what would be right.
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    name: Spanned<String>,
    version: Spanned<String>,
    description: Spanned<String>,
    #[serde(default)]
    authors: Vec<Spanned<String>>,
    homepage: Option<Spanned<String>>,
    contract: Spanned<String>,
    language: Option<Spanned<String>>,
    #[serde(default, rename = "test-fixture")]
    test_fixture: bool,
    #[serde(default)]
    requests: RawRequests,
}

impl Manifest {
    /// Parses and validates a manifest's text; `origin` names it in errors (a file path, or
    /// `echo.wasm#drydock-package` for an embedded one).
    pub fn parse(text: &str, origin: &str) -> Result<Manifest, ManifestError> {
        let raw: RawManifest = toml::from_str(text).map_err(|error| ManifestError::Syntax {
            at: Location::of_offset(origin, text, error.span().map_or(0, |span| span.start)),
            message: error.message().trim_end().to_owned(),
        })?;
        let source = Source { text, origin };
        let name = raw.name.get_ref();
        check_plugin_name(name).map_err(|message| source.invalid(&raw.name, "name", message))?;
        let version = semver::Version::parse(raw.version.get_ref()).map_err(|error| {
            let message = format!(
                "`{}` is not a semver version ({error})",
                raw.version.get_ref()
            );
            source.invalid(&raw.version, "version", message)
        })?;
        let description = raw.description.get_ref().trim();
        check_text(description, 1000)
            .map_err(|message| source.invalid(&raw.description, "description", message))?;
        let authors = raw
            .authors
            .iter()
            .enumerate()
            .map(|(i, author)| {
                check_text(author.get_ref().trim(), 200)
                    .map(|()| author.get_ref().trim().to_owned())
                    .map_err(|message| source.invalid(author, &format!("authors[{i}]"), message))
            })
            .collect::<Result<_, _>>()?;
        let homepage = raw
            .homepage
            .as_ref()
            .map(|url| {
                TargetUrl::parse(url.get_ref())
                    .map(|_| url.get_ref().clone())
                    .map_err(|error| source.invalid(url, "homepage", error.to_string()))
            })
            .transpose()?;
        let contract = raw
            .contract
            .get_ref()
            .parse()
            .map_err(|message| source.invalid(&raw.contract, "contract", message))?;
        let language = raw
            .language
            .as_ref()
            .map(|language| {
                let text = language.get_ref();
                let plain = (1..=32).contains(&text.len())
                    && text
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
                if plain {
                    Ok(text.clone())
                } else {
                    let message =
                        format!("`{text}` is not a language name (e.g. rust, python, js)");
                    Err(source.invalid(language, "language", message))
                }
            })
            .transpose()?;
        let requests = Requests::validate(&raw.requests, &source)?;
        Ok(Manifest {
            name: name.clone(),
            version,
            description: description.to_owned(),
            authors,
            homepage,
            contract,
            language,
            test_fixture: raw.test_fixture,
            requests,
        })
    }

    /// Whether this host speaks the contract the plugin was built against ([`crate::HOST_CONTRACT`]).
    pub fn check_contract(&self) -> Result<(), ContractError> {
        self.contract.check_against(&Contract::host())
    }
}

/// The manifest's text and name, for locating errors.
pub(crate) struct Source<'a> {
    text: &'a str,
    origin: &'a str,
}

impl Source<'_> {
    /// An [`ManifestError::Invalid`] at `value`, for the key `key`.
    pub(crate) fn invalid<T>(
        &self,
        value: &Spanned<T>,
        key: &str,
        message: impl Into<String>,
    ) -> ManifestError {
        self.invalid_at(value.span(), key, message)
    }

    /// An [`ManifestError::Invalid`] at byte range `span`.
    pub(crate) fn invalid_at(
        &self,
        span: Range<usize>,
        key: &str,
        message: impl Into<String>,
    ) -> ManifestError {
        ManifestError::Invalid {
            at: Location::of_offset(self.origin, self.text, span.start),
            key: key.to_owned(),
            message: message.into(),
        }
    }
}

/// The name becomes a file stem and every tool's prefix; the same rule as drydock-toolchain's.
fn check_plugin_name(name: &str) -> Result<(), String> {
    let mut bytes = name.bytes();
    let starts_well = bytes.next().is_some_and(|b| b.is_ascii_lowercase());
    let rest_well = bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if starts_well && rest_well && name.len() <= 64 {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a plugin name: use lower-case letters, digits and `_`, starting with a letter, \
             at most 64 characters"
        ))
    }
}

/// Text shown to an operator: non-empty, at most `max` characters, no control characters (which could
/// rewrite a terminal line and hide what is being asked).
pub(crate) fn check_text(text: &str, max: usize) -> Result<(), String> {
    if text.is_empty() {
        return Err("is empty; write one line".to_owned());
    }
    let length = text.chars().count();
    if length > max {
        return Err(format!("is {length} characters long; at most {max}"));
    }
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Err(format!(
            "contains the control character {c:?}; write plain text on one line"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
