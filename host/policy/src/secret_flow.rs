//! Secret flow: a secret granted *for* destinations (`secrets = [{ name = "JIRA_TOKEN", to = [...] }]`)
//! may leave the sandbox only in a request to one of them. [`SecretScanner`] looks for the value of every
//! such secret, in every form of [`crate::secret_forms`], and says where it may not go:
//!
//! - an outgoing request ([`SecretScanner::check_request`]): its URL, each header, the concatenation of
//!   all header values in the order sent (a value split across two or more headers is found whole), and
//!   its body. A request to a URL under one of the secret's `to` prefixes may carry it; any other is
//!   refused, naming the secret, the encoding and the place (never the value);
//! - anything else that leaves an invocation ([`SecretScanner::check_sink`]): a file write, an artifact,
//!   a log line, a tool result. None of these is a destination, so the value is refused in all of them.
//!
//! A secret granted by its bare name keeps its older meaning (any granted host, redacted in the record) and
//! is not scanned. Short values (under [`crate::secret_forms::MIN_ENCODED_SECRET_BYTES`]) are matched only
//! as they are. A plugin can still transform a value beyond these encodings (reverse, encrypt, reorder
//! pieces among other headers); confinement to granted hosts is what holds then.

use std::fmt;
use std::sync::Arc;

use aho_corasick::AhoCorasick;

use crate::secret_forms::{Encoding, encoded_forms};
use crate::url_match::{TargetUrl, UrlPrefix};

/// A secret granted for destinations, as the scanner needs it.
#[derive(Debug, Clone)]
pub struct RoutedSecret<'a> {
    /// The secret's name (shown in reasons).
    pub name: &'a str,
    /// Its value (never shown).
    pub value: &'a str,
    /// Where requests carrying it may go.
    pub to: &'a [UrlPrefix],
}

/// Finds routed secrets in what leaves an invocation. The default knows no secret and finds nothing.
#[derive(Debug, Clone, Default)]
pub struct SecretScanner {
    inner: Option<Arc<Patterns>>,
}

#[derive(Debug)]
struct Patterns {
    automaton: AhoCorasick,
    /// The literal forms, by pattern index (kept to merge two scanners).
    patterns: Vec<Vec<u8>>,
    /// Per pattern: which secret (index into `secrets`) and in which encoding.
    owners: Vec<(usize, Encoding)>,
    /// Name and destinations of each secret.
    secrets: Vec<(String, Vec<UrlPrefix>)>,
}

/// A routed secret found where it may not go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowBreach {
    /// The secret's name.
    pub secret: String,
    /// What was refused and why (names the secret, never its value).
    pub message: String,
}

impl fmt::Display for FlowBreach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "secret flow: {}", self.message)
    }
}

/// One place a request carries text: its URL, a header, or its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place<'a> {
    Url,
    Header(&'a str),
    Headers(&'a str, &'a str),
    Body,
}

impl fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Url => f.write_str("in the URL"),
            Place::Header(name) => write!(f, "in header `{name}`"),
            Place::Headers(first, last) => {
                write!(f, "split across headers `{first}` to `{last}`")
            }
            Place::Body => f.write_str("in the body"),
        }
    }
}

impl SecretScanner {
    /// A scanner for these secrets; empty values are ignored (they would match everywhere).
    pub fn new<'a>(secrets: impl IntoIterator<Item = RoutedSecret<'a>>) -> Self {
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut owners = Vec::new();
        let mut known: Vec<(String, Vec<UrlPrefix>)> = Vec::new();
        for secret in secrets {
            if secret.value.is_empty() {
                continue;
            }
            let index = known.len();
            known.push((secret.name.to_owned(), secret.to.to_vec()));
            for (encoding, form) in encoded_forms(secret.value) {
                patterns.push(form);
                owners.push((index, encoding));
            }
        }
        if patterns.is_empty() {
            return Self::default();
        }
        Self::build(patterns, owners, known)
    }

    fn build(
        patterns: Vec<Vec<u8>>,
        owners: Vec<(usize, Encoding)>,
        secrets: Vec<(String, Vec<UrlPrefix>)>,
    ) -> Self {
        let automaton =
            AhoCorasick::new(&patterns).expect("a few literal patterns always build an automaton");
        Self {
            inner: Some(Arc::new(Patterns {
                automaton,
                patterns,
                owners,
                secrets,
            })),
        }
    }

    /// Whether the scanner knows no secret (then every check passes at no cost).
    pub fn is_empty(&self) -> bool {
        self.inner.is_none()
    }

    /// The same scanner knowing the secrets of both (a nested call inherits its callers' routes).
    pub fn merged(&self, other: &SecretScanner) -> SecretScanner {
        match (&self.inner, &other.inner) {
            (_, None) => self.clone(),
            (None, Some(_)) => other.clone(),
            (Some(a), Some(b)) if Arc::ptr_eq(a, b) => self.clone(),
            (Some(a), Some(b)) => {
                let patterns = a.patterns.iter().chain(&b.patterns).cloned().collect();
                let shift = a.secrets.len();
                let owners = a
                    .owners
                    .iter()
                    .copied()
                    .chain(b.owners.iter().map(|&(s, e)| (s + shift, e)))
                    .collect();
                let secrets = a.secrets.iter().chain(&b.secrets).cloned().collect();
                SecretScanner::build(patterns, owners, secrets)
            }
        }
    }

    /// The first routed secret in `bytes`: its name and the encoding it was found in.
    pub fn find(&self, bytes: &[u8]) -> Option<(&str, Encoding)> {
        let p = self.inner.as_ref()?;
        let found = p.automaton.find(bytes)?;
        let (secret, encoding) = p.owners[found.pattern().as_usize()];
        Some((p.secrets[secret].0.as_str(), encoding))
    }

    /// Refuses `bytes` if they carry a routed secret; `what` names the sink ("the file `notes.txt`",
    /// "artifact `report`", "a log line", "the tool result").
    pub fn check_sink(&self, what: &str, bytes: &[u8]) -> Result<(), FlowBreach> {
        let Some(p) = &self.inner else {
            return Ok(());
        };
        let Some(found) = p.automaton.find(bytes) else {
            return Ok(());
        };
        let (secret, encoding) = p.owners[found.pattern().as_usize()];
        let (name, to) = &p.secrets[secret];
        Err(FlowBreach {
            secret: name.clone(),
            message: format!(
                "{what} carries secret `{name}` ({encoding}); it may only be sent to {}",
                shown(to)
            ),
        })
    }

    /// Refuses a request to `target` that carries a routed secret not granted for it, in its `url`, its
    /// `headers` (each, and their values joined in order) or its `body`.
    pub fn check_request(
        &self,
        target: &TargetUrl,
        url: &str,
        headers: &[(&str, &[u8])],
        body: &[u8],
    ) -> Result<(), FlowBreach> {
        let Some(p) = &self.inner else {
            return Ok(());
        };
        let refused = |secret: usize| !p.secrets[secret].1.iter().any(|to| to.matches(target));
        let breach = |secret: usize, encoding: Encoding, place: Place| {
            let (name, to) = &p.secrets[secret];
            FlowBreach {
                secret: name.clone(),
                message: format!(
                    "secret `{name}` ({encoding}) {place} may only be sent to {}, not to {}",
                    shown(to),
                    without_query(target)
                ),
            }
        };
        // A server decodes percent-escapes, whichever characters they encode and in either case: the URL
        // and body are scanned decoded too, so an over-encoded value (`%6A%69...`) is found.
        let decoded_url = percent_decoded(url.as_bytes());
        let decoded_body = percent_decoded(body);
        let texts = [
            (Place::Url, url.as_bytes()),
            (Place::Url, decoded_url.as_deref().unwrap_or_default()),
            (Place::Body, body),
            (Place::Body, decoded_body.as_deref().unwrap_or_default()),
        ];
        for (place, bytes) in texts {
            for found in p.automaton.find_overlapping_iter(bytes) {
                let (secret, encoding) = p.owners[found.pattern().as_usize()];
                if refused(secret) {
                    return Err(breach(secret, encoding, place));
                }
            }
        }
        // Every header value, back to back: a value inside one header, or split over several, is found.
        let mut joined = Vec::new();
        let mut ends = Vec::with_capacity(headers.len());
        for (_, value) in headers {
            joined.extend_from_slice(value);
            ends.push(joined.len());
        }
        let header_at = |offset: usize| ends.partition_point(|&end| end <= offset);
        for found in p.automaton.find_overlapping_iter(&joined) {
            let (secret, encoding) = p.owners[found.pattern().as_usize()];
            if refused(secret) {
                let first = header_at(found.start());
                let last = header_at(found.end() - 1);
                let place = if first == last {
                    Place::Header(headers[first].0)
                } else {
                    Place::Headers(headers[first].0, headers[last].0)
                };
                return Err(breach(secret, encoding, place));
            }
        }
        // A header *name* is text the peer sees too.
        for (name, _) in headers {
            if let Some(found) = p.automaton.find(name.as_bytes()) {
                let (secret, encoding) = p.owners[found.pattern().as_usize()];
                if refused(secret) {
                    return Err(breach(secret, encoding, Place::Header("<its name>")));
                }
            }
        }
        Ok(())
    }
}

/// `bytes` with every `%XX` escape decoded, or `None` when there is none.
fn percent_decoded(bytes: &[u8]) -> Option<Vec<u8>> {
    if !bytes.contains(&b'%') {
        return None;
    }
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(hi << 4 | lo);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    Some(out)
}

fn shown(to: &[UrlPrefix]) -> String {
    to.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn without_query(target: &TargetUrl) -> String {
    let text = target.to_string();
    match text.split_once('?') {
        Some((before, _)) => before.to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests;
