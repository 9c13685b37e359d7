//! The one URL matcher: every HTTP grant ([`UrlPrefix`]) and every outgoing request ([`TargetUrl`]) goes
//! through the same strict parser into a canonical form, and the only comparison is [`UrlPrefix::matches`].
//!
//! The parser is deliberately stricter than a browser: anything ambiguous is an error instead of a guess,
//! because a guess that differs from the server's interpretation is exactly how prefix checks get bypassed.
//! Decisions (each has a test in `url_match/tests.rs`):
//! - scheme `http` or `https` only (case-insensitive on input), compared exactly;
//! - userinfo (`user@`, `user:pw@`, `good.example@evil.example`) is an error;
//! - the host is IDNA-mapped to lowercase ASCII, one trailing dot dropped; an empty host is an error;
//! - a host that *ends in a number* (WHATWG's test) must be a canonical dotted quad (`127.0.0.1`); other
//!   numeric forms (`127.1`, `0x7f.1`, `2130706433`, `0177.0.0.1`) are **rejected**, never reinterpreted;
//!   IP literals only ever equal the same literal, never a domain;
//! - the port is always explicit internally (default 80/443), so `:443` and no port are the same;
//! - in the path, percent-escapes of unreserved characters are decoded and others upper-cased; `.` and
//!   `..` (also written `%2e`) are resolved, and a `..` above the root is an error; empty segments (`//`)
//!   are collapsed, so a server that merges slashes and one that does not both land inside the checked
//!   path; `%2F` stays encoded (it is not a separator), but a segment that would become a dot segment if a
//!   server decoded `%2F`/`%5C` (`x%2F..%2Fadmin`), and Tomcat's `..;param`, are errors;
//! - a grant has no query or fragment; a target's fragment is dropped and its query ignored for matching;
//! - control characters, spaces and backslashes anywhere are errors.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use idna::AsciiDenyList;

/// Why a URL was refused by the parser.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// A control character, space or backslash appears somewhere in the URL.
    #[error(
        "URL contains a forbidden character {0:?} (control characters, spaces and backslashes are refused)"
    )]
    ForbiddenCharacter(char),
    /// There is no `scheme:` at the start.
    #[error("URL has no scheme (expected `http://` or `https://`)")]
    MissingScheme,
    /// The scheme is something other than http or https.
    #[error("scheme `{0}` is not allowed; only http and https")]
    UnsupportedScheme(String),
    /// The scheme is not followed by `//`.
    #[error("expected `//` after the scheme")]
    MissingAuthority,
    /// The authority has userinfo (`user@host`), which could hide the real host.
    #[error("userinfo (`user@` before the host) is not allowed")]
    Userinfo,
    /// The host is empty.
    #[error("the host is empty")]
    EmptyHost,
    /// The host is not a valid domain name or IP literal.
    #[error("invalid host `{0}`")]
    InvalidHost(String),
    /// The host is numeric but not a canonical dotted-quad IPv4 address.
    #[error(
        "numeric host `{0}` is not a canonical dotted-quad IPv4 address (forms like 127.1, 0x7f.1 or 2130706433 are refused)"
    )]
    AmbiguousNumericHost(String),
    /// The port is empty, not a number, zero or above 65535.
    #[error("invalid port `{0}`")]
    InvalidPort(String),
    /// A `%` is not followed by two hex digits.
    #[error("invalid percent-escape in `{0}`")]
    InvalidPercentEscape(String),
    /// A `..` segment would climb above the root of the path.
    #[error("`..` in the path climbs above the root")]
    ClimbsAboveRoot,
    /// A path segment would become `.` or `..` under a common server quirk (`%2F` decoding, `;params`).
    #[error("path segment `{0}` hides a dot segment behind an encoded slash or `;`")]
    HiddenDotSegment(String),
    /// A grant prefix carries a query or fragment, which it cannot meaningfully match on.
    #[error("a URL prefix grant cannot have a query or fragment")]
    PrefixHasQuery,
}

/// The two schemes a grant or request may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain HTTP, default port 80.
    Http,
    /// HTTP over TLS, default port 443.
    Https,
}

impl Scheme {
    /// The port used when the URL names none.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    /// The scheme as written in a canonical URL.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// A canonical host: a lowercase ASCII domain or an IP literal. Literals never equal domains.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A domain name, IDNA-mapped to lowercase ASCII, without trailing dot.
    Domain(String),
    /// A canonical dotted-quad IPv4 literal.
    Ipv4(Ipv4Addr),
    /// A bracketed IPv6 literal.
    Ipv6(Ipv6Addr),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Domain(name) => f.write_str(name),
            Host::Ipv4(ip) => write!(f, "{ip}"),
            Host::Ipv6(ip) => write!(f, "[{ip}]"),
        }
    }
}

/// Scheme, host and effective port: the part of a URL that must be equal for a grant to apply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Origin {
    scheme: Scheme,
    host: Host,
    port: u16,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme.as_str(), self.host)?;
        if self.port != self.scheme.default_port() {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

/// An HTTP grant: every URL with this origin whose path lies under this path, on segment boundaries.
///
/// A prefix path ending in `/` covers itself and everything below; one without covers itself too
/// (`/rest/api` covers `/rest/api` and `/rest/api/x`, never `/rest/apiary`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UrlPrefix {
    origin: Origin,
    path: String,
}

/// An outgoing request's URL in canonical form (fragment dropped).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TargetUrl {
    origin: Origin,
    path: String,
    query: Option<String>,
}

impl UrlPrefix {
    /// Parses a grant; see the module doc for the rules. A query or fragment is an error.
    pub fn parse(input: &str) -> Result<UrlPrefix, UrlError> {
        let parts = parse_parts(input)?;
        if parts.query.is_some() || parts.had_fragment {
            return Err(UrlError::PrefixHasQuery);
        }
        Ok(UrlPrefix {
            origin: parts.origin,
            path: parts.path,
        })
    }

    /// Whether this grant covers `target`: same scheme, host and port, and the path is under ours.
    pub fn matches(&self, target: &TargetUrl) -> bool {
        self.origin == target.origin && path_is_under(&target.path, &self.path)
    }

    /// The scheme of the grant.
    pub fn scheme(&self) -> Scheme {
        self.origin.scheme
    }

    /// The canonical host of the grant.
    pub fn host(&self) -> &Host {
        &self.origin.host
    }

    /// The effective port (the scheme's default when none was written).
    pub fn port(&self) -> u16 {
        self.origin.port
    }

    /// The canonical path prefix, always starting with `/`.
    pub fn path(&self) -> &str {
        &self.path
    }
}

impl TargetUrl {
    /// Parses a request URL; see the module doc for the rules. The fragment is dropped.
    pub fn parse(input: &str) -> Result<TargetUrl, UrlError> {
        let parts = parse_parts(input)?;
        Ok(TargetUrl {
            origin: parts.origin,
            path: parts.path,
            query: parts.query,
        })
    }

    /// The scheme of the request.
    pub fn scheme(&self) -> Scheme {
        self.origin.scheme
    }

    /// The canonical host of the request.
    pub fn host(&self) -> &Host {
        &self.origin.host
    }

    /// The effective port (the scheme's default when none was written).
    pub fn port(&self) -> u16 {
        self.origin.port
    }

    /// The canonical path, always starting with `/`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The query (without `?`), if any; never used for matching.
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }
}

impl fmt::Display for UrlPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.origin, self.path)
    }
}

impl fmt::Display for TargetUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.origin, self.path)?;
        match &self.query {
            Some(query) => write!(f, "?{query}"),
            None => Ok(()),
        }
    }
}

/// `prefix` covers `path` when it is a string prefix that ends on a segment boundary. Both are canonical,
/// so string comparison is segment comparison.
fn path_is_under(path: &str, prefix: &str) -> bool {
    match path.strip_prefix(prefix) {
        None => false,
        Some(rest) => prefix.ends_with('/') || rest.is_empty() || rest.starts_with('/'),
    }
}

/// A URL split into canonical pieces, shared by grants and targets so they can never disagree.
struct Parts {
    origin: Origin,
    path: String,
    query: Option<String>,
    had_fragment: bool,
}

fn parse_parts(input: &str) -> Result<Parts, UrlError> {
    if let Some(bad) = input
        .chars()
        .find(|c| c.is_control() || *c == ' ' || *c == '\\')
    {
        return Err(UrlError::ForbiddenCharacter(bad));
    }
    let (scheme, rest) = input.split_once(':').ok_or(UrlError::MissingScheme)?;
    let scheme = parse_scheme(scheme)?;
    let rest = rest.strip_prefix("//").ok_or(UrlError::MissingAuthority)?;
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, rest) = rest.split_at(authority_end);
    // Any `@` in the authority is userinfo; refusing it outright defeats `good.example@evil.example`.
    if authority.contains('@') {
        return Err(UrlError::Userinfo);
    }
    let (host, port) = split_host_port(authority)?;
    let port = match port {
        None => scheme.default_port(),
        Some(port) => parse_port(port)?,
    };
    let (rest, had_fragment) = match rest.split_once('#') {
        Some((before, _fragment)) => (before, true),
        None => (rest, false),
    };
    let (raw_path, query) = match rest.split_once('?') {
        Some((path, query)) => (path, Some(canonical_chars(query, b"/?")?)),
        None => (rest, None),
    };
    Ok(Parts {
        origin: Origin { scheme, host, port },
        path: normalize_path(raw_path)?,
        query,
        had_fragment,
    })
}

fn parse_scheme(scheme: &str) -> Result<Scheme, UrlError> {
    match scheme.to_ascii_lowercase().as_str() {
        "http" => Ok(Scheme::Http),
        "https" => Ok(Scheme::Https),
        _ if is_scheme_like(scheme) => Err(UrlError::UnsupportedScheme(scheme.to_owned())),
        _ => Err(UrlError::MissingScheme),
    }
}

fn is_scheme_like(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

fn split_host_port(authority: &str) -> Result<(Host, Option<&str>), UrlError> {
    if let Some(bracketed) = authority.strip_prefix('[') {
        let invalid = || UrlError::InvalidHost(authority.to_owned());
        let (literal, after) = bracketed.split_once(']').ok_or_else(invalid)?;
        let ip: Ipv6Addr = literal.parse().map_err(|_| invalid())?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or_else(invalid)?),
        };
        return Ok((Host::Ipv6(ip), port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Ok((parse_host(host)?, Some(port))),
        None => Ok((parse_host(authority)?, None)),
    }
}

fn parse_port(port: &str) -> Result<u16, UrlError> {
    let invalid = || UrlError::InvalidPort(port.to_owned());
    if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    match port.parse::<u16>() {
        Ok(0) | Err(_) => Err(invalid()),
        Ok(n) => Ok(n),
    }
}

fn parse_host(raw: &str) -> Result<Host, UrlError> {
    if raw.is_empty() {
        return Err(UrlError::EmptyHost);
    }
    let invalid = || UrlError::InvalidHost(raw.to_owned());
    // IDNA first: UTS 46 maps e.g. full-width digits to ASCII, so the numeric check must see its output.
    let ascii =
        idna::domain_to_ascii_cow(raw.as_bytes(), AsciiDenyList::URL).map_err(|_| invalid())?;
    let ascii = ascii.strip_suffix('.').unwrap_or(&ascii);
    if ascii.is_empty() {
        return Err(UrlError::EmptyHost);
    }
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b);
    if !ascii.bytes().all(allowed) || ascii.split('.').any(str::is_empty) {
        return Err(invalid());
    }
    if ends_in_number(ascii) {
        return parse_dotted_quad(ascii)
            .map(Host::Ipv4)
            .ok_or_else(|| UrlError::AmbiguousNumericHost(raw.to_owned()));
    }
    Ok(Host::Domain(ascii.to_owned()))
}

/// WHATWG's "ends in a number": such hosts are parsed as IPv4 by browsers and many clients.
fn ends_in_number(host: &str) -> bool {
    let last = host.rsplit('.').next().unwrap_or(host);
    let hex = last
        .strip_prefix("0x")
        .map(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
    hex.unwrap_or_else(|| last.bytes().all(|b| b.is_ascii_digit()))
}

/// Exactly four decimal parts 0..=255 without leading zeros (which some parsers read as octal).
fn parse_dotted_quad(host: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = host.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut octets = [0u8; 4];
    for (octet, part) in octets.iter_mut().zip(parts) {
        let canonical = part == "0" || !part.starts_with('0');
        if !canonical || part.is_empty() || part.len() > 3 {
            return None;
        }
        *octet = part.parse().ok()?;
    }
    Some(Ipv4Addr::from(octets))
}

/// Resolves the path to canonical form: segments canonicalised, dot segments resolved, `//` collapsed.
fn normalize_path(raw: &str) -> Result<String, UrlError> {
    let Some(raw) = raw.strip_prefix('/') else {
        return Ok("/".to_owned());
    };
    let mut segments: Vec<String> = Vec::new();
    let mut trailing_slash = false;
    for raw_segment in raw.split('/') {
        let segment = canonical_chars(raw_segment, b"")?;
        reject_hidden_dot_segment(&segment)?;
        match segment.as_str() {
            "" | "." => trailing_slash = true,
            ".." => {
                segments.pop().ok_or(UrlError::ClimbsAboveRoot)?;
                trailing_slash = true;
            }
            _ => {
                segments.push(segment);
                trailing_slash = false;
            }
        }
    }
    let mut path = format!("/{}", segments.join("/"));
    if trailing_slash && !segments.is_empty() {
        path.push('/');
    }
    Ok(path)
}

/// Refuses segments that some server would turn into `.`/`..` after we checked them.
fn reject_hidden_dot_segment(segment: &str) -> Result<(), UrlError> {
    let is_dots = |piece: &str| piece == "." || piece == "..";
    let before_params = segment.split(';').next().unwrap_or(segment);
    let hidden_by_params = segment.contains(';') && is_dots(before_params);
    let hidden_by_slash = (segment.contains("%2F") || segment.contains("%5C"))
        && segment
            .split("%2F")
            .flat_map(|piece| piece.split("%5C"))
            .any(is_dots);
    if hidden_by_params || hidden_by_slash {
        return Err(UrlError::HiddenDotSegment(segment.to_owned()));
    }
    Ok(())
}

/// Canonical spelling of a path segment or query: unreserved escapes decoded, other escapes upper-cased,
/// characters outside RFC 3986 `pchar` (plus `extra`) percent-encoded.
fn canonical_chars(raw: &str, extra: &[u8]) -> Result<String, UrlError> {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let escaped = bytes
                .get(i + 1..i + 3)
                .and_then(|hex| std::str::from_utf8(hex).ok());
            let value = escaped
                .filter(|hex| hex.bytes().all(|h| h.is_ascii_hexdigit()))
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .ok_or_else(|| UrlError::InvalidPercentEscape(raw.to_owned()))?;
            push_byte(&mut out, value, is_unreserved(value));
            i += 3;
        } else {
            let keep = is_unreserved(b) || b"!$&'()*+,;=:@".contains(&b) || extra.contains(&b);
            push_byte(&mut out, b, keep);
            i += 1;
        }
    }
    Ok(out)
}

fn push_byte(out: &mut String, byte: u8, literal: bool) {
    if literal {
        out.push(char::from(byte));
    } else {
        out.push_str(&format!("%{byte:02X}"));
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~".contains(&b)
}

#[cfg(test)]
mod tests;
