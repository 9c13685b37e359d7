//! What an outgoing HTTP request really asks the server to do: its method, and every way a request can
//! name another method or carry a payload while looking like a read.
//!
//! Many servers act on more than the request line. Rails, Laravel, Symfony and Express honour a `_method`
//! form field or query parameter; ASP.NET, OData, Google APIs and Express's `method-override` honour
//! `X-HTTP-Method-Override`, `X-HTTP-Method` or `X-Method-Override`; and a `GET` with a body is whatever
//! the server makes of it. A policy that looked at the method alone would forward such a "read" during a
//! dry run and let the server delete something. So the decision works on [`HttpRequest`], and
//! [`HttpRequest::write_signals`] lists everything that turns a read into a write:
//!
//! - a **method-override header**: the three names above, any other `x-` header whose name contains
//!   `method` (`X-Original-Method`...), whatever its value (even `GET`);
//! - a **method-override parameter** in the query: `_method` (also percent-encoded, in any case, with `[]`)
//!   or one of the override header names;
//! - a **method-override field** in the body: `_method` in a form-encoded body, a top-level `_method` key
//!   of a JSON object, a multipart part named `_method`;
//! - a **body** of any length on `GET`, `HEAD` or `OPTIONS`.
//!
//! Every method an override names must itself be granted (an override naming a method Drydock does not
//! know is refused), and a read carrying a signal needs a write method granted for its URL. The request is
//! then decided as a write: simulated in a dry run, live only when the live rule allows it. Reads that
//! carry none of these are reads.

use std::borrow::Cow;
use std::fmt;

/// Header names that well-known frameworks read as "the real method" (lower case).
pub const METHOD_OVERRIDE_HEADERS: [&str; 3] = [
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
];

/// The form field and query parameter Rails, Laravel, Symfony and Express read as "the real method".
pub const METHOD_OVERRIDE_FIELD: &str = "_method";

/// An outgoing request as the policy sees it: the request line, the headers and the body.
#[derive(Debug, Clone, Default)]
pub struct HttpRequest<'a> {
    /// The method on the request line (upper case, as on the wire).
    pub method: &'a str,
    /// The absolute URL.
    pub url: &'a str,
    /// Every header as (name, value); names in any case, values as text (lossy for non-UTF-8 bytes).
    pub headers: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// The request body (empty when there is none).
    pub body: &'a [u8],
}

/// One thing that makes a request a write whatever its method says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteSignal {
    /// A method-override header, e.g. `X-HTTP-Method-Override: DELETE`.
    OverrideHeader {
        /// The header name as sent.
        name: String,
        /// Its value.
        value: String,
    },
    /// A method-override query parameter, e.g. `_method=DELETE`.
    OverrideParam {
        /// The parameter name, decoded.
        name: String,
        /// Its value, decoded.
        value: String,
    },
    /// A method-override field in the body (form, JSON or multipart).
    OverrideField {
        /// Its value.
        value: String,
    },
    /// A body on a method that is a read.
    Body {
        /// Its length in bytes.
        bytes: usize,
    },
}

impl WriteSignal {
    /// The method this signal names, if it names one (a body names none).
    pub fn named_method(&self) -> Option<&str> {
        match self {
            WriteSignal::OverrideHeader { value, .. }
            | WriteSignal::OverrideParam { value, .. }
            | WriteSignal::OverrideField { value } => Some(value),
            WriteSignal::Body { .. } => None,
        }
    }
}

impl fmt::Display for WriteSignal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteSignal::OverrideHeader { name, value } => {
                write!(f, "the header `{name}: {}`", shorten(value))
            }
            WriteSignal::OverrideParam { name, value } => {
                write!(f, "the query parameter `{name}={}`", shorten(value))
            }
            WriteSignal::OverrideField { value } => {
                write!(f, "the body field `_method={}`", shorten(value))
            }
            WriteSignal::Body { bytes } => write!(f, "a {bytes}-byte body"),
        }
    }
}

/// Values in reasons are cut: a reason names the signal, it does not carry the payload.
fn shorten(value: &str) -> Cow<'_, str> {
    const MAX: usize = 40;
    if value.len() <= MAX {
        return Cow::Borrowed(value);
    }
    let mut cut = MAX;
    while !value.is_char_boundary(cut) {
        cut -= 1;
    }
    Cow::Owned(format!("{}…", &value[..cut]))
}

impl<'a> HttpRequest<'a> {
    /// A request with no headers and no body.
    pub fn new(method: &'a str, url: &'a str) -> Self {
        Self {
            method,
            url,
            headers: Vec::new(),
            body: &[],
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<Cow<'a, str>>, value: impl Into<Cow<'a, str>>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: &'a [u8]) -> Self {
        self.body = body;
        self
    }

    /// Everything in this request that makes it a write whatever its method (see the module doc).
    /// `is_read_method` says whether the request line's method is a read, which is when a body counts.
    pub fn write_signals(&self, query: Option<&str>, is_read_method: bool) -> Vec<WriteSignal> {
        let mut signals = Vec::new();
        for (name, value) in &self.headers {
            if is_override_header(name) {
                signals.push(WriteSignal::OverrideHeader {
                    name: name.to_string(),
                    value: value.trim().to_owned(),
                });
            }
        }
        for (name, value) in query.map(form_pairs).unwrap_or_default() {
            if is_override_param(&name) {
                signals.push(WriteSignal::OverrideParam {
                    name,
                    value: value.trim().to_owned(),
                });
            }
        }
        for value in body_override_fields(self.content_type(), self.body) {
            signals.push(WriteSignal::OverrideField {
                value: value.trim().to_owned(),
            });
        }
        if is_read_method && !self.body.is_empty() {
            signals.push(WriteSignal::Body {
                bytes: self.body.len(),
            });
        }
        signals
    }

    fn content_type(&self) -> String {
        self.headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
            .map(|(_, value)| value.to_ascii_lowercase())
            .unwrap_or_default()
    }
}

fn is_override_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    METHOD_OVERRIDE_HEADERS.contains(&name.as_str())
        || (name.starts_with("x-") && name.contains("method"))
}

fn is_override_param(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    let name = name.trim_end_matches("[]");
    name == METHOD_OVERRIDE_FIELD || METHOD_OVERRIDE_HEADERS.contains(&name)
}

/// `a=1&b=2;c=3` as decoded (name, value) pairs (`+` is a space, as in forms).
fn form_pairs(text: &str) -> Vec<(String, String)> {
    text.split(['&', ';'])
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(name), form_decode(value))
        })
        .collect()
}

fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(byte: Option<&u8>) -> Option<u8> {
    (*byte? as char).to_digit(16).map(|d| d as u8)
}

/// The values of `_method` fields in a body: form-encoded, a JSON object's top-level key, or a multipart
/// part. The content type picks the parser; a body without one is tried as each.
fn body_override_fields(content_type: String, body: &[u8]) -> Vec<String> {
    if body.is_empty() {
        return Vec::new();
    }
    let mut found = Vec::new();
    let text = String::from_utf8_lossy(body);
    let any = content_type.is_empty();
    if any || content_type.starts_with("application/x-www-form-urlencoded") {
        found.extend(
            form_pairs(&text)
                .into_iter()
                .filter(|(name, _)| is_override_param(name))
                .map(|(_, value)| value),
        );
    }
    if (any || content_type.contains("json"))
        && let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(body)
    {
        found.extend(
            map.iter()
                .filter(|(name, _)| is_override_param(name))
                .map(|(_, value)| match value {
                    serde_json::Value::String(text) => text.clone(),
                    other => other.to_string(),
                }),
        );
    }
    if any || content_type.starts_with("multipart/") {
        found.extend(multipart_override_fields(&text));
    }
    found
}

/// Values of multipart parts whose `name` is an override field. Lenient on purpose: any part header
/// naming the field counts, whatever the boundary says.
fn multipart_override_fields(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = lower[from..].find("name=") {
        let start = from + at + "name=".len();
        let rest = &lower[start..];
        let name: String = rest
            .trim_start_matches('"')
            .chars()
            .take_while(|c| !matches!(c, '"' | ';' | '\r' | '\n'))
            .collect();
        from = start;
        if !is_override_param(&name) {
            continue;
        }
        let Some(blank) = text[start..].find("\r\n\r\n").map(|i| start + i + 4) else {
            found.push(String::new());
            continue;
        };
        let value_end = text[blank..]
            .find("\r\n--")
            .map_or(text.len(), |i| blank + i);
        found.push(text[blank..value_end].to_owned());
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signals(request: &HttpRequest, query: Option<&str>) -> Vec<String> {
        request
            .write_signals(query, true)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_plain_get_has_no_write_signal() {
        let request = HttpRequest::new("GET", "https://a.example/x").header("accept", "*/*");
        assert!(signals(&request, Some("q=1&method=flickr.search")).is_empty());
    }

    #[test]
    fn override_headers_are_signals_in_any_case_and_with_any_value() {
        for name in [
            "X-HTTP-Method-Override",
            "x-http-method",
            "X-Method-Override",
            "X-Original-Method",
        ] {
            let request = HttpRequest::new("GET", "https://a.example/").header(name, "get");
            assert_eq!(signals(&request, None).len(), 1, "{name}");
        }
        let preflight = HttpRequest::new("OPTIONS", "https://a.example/")
            .header("Access-Control-Request-Method", "DELETE");
        assert!(signals(&preflight, None).is_empty());
    }

    #[test]
    fn method_params_are_found_encoded_and_in_any_case() {
        let request = HttpRequest::new("GET", "https://a.example/");
        for query in [
            "_method=DELETE",
            "a=1&_METHOD=delete",
            "%5Fmethod=PUT",
            "_method[]=PATCH",
            "x=1;_method=DELETE",
            "X-HTTP-Method-Override=DELETE",
        ] {
            assert_eq!(signals(&request, Some(query)).len(), 1, "{query}");
        }
    }

    #[test]
    fn body_fields_name_methods_in_forms_json_and_multipart() {
        let form = HttpRequest::new("POST", "https://a.example/")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(b"title=x&_method=DELETE");
        let json = HttpRequest::new("POST", "https://a.example/")
            .header("content-type", "application/json")
            .body(br#"{"_method": "PUT", "a": 1}"#);
        let multipart = HttpRequest::new("POST", "https://a.example/")
            .header("content-type", "multipart/form-data; boundary=XX")
            .body(b"--XX\r\nContent-Disposition: form-data; name=\"_method\"\r\n\r\nDELETE\r\n--XX--\r\n");
        for request in [form, json, multipart] {
            let found = request.write_signals(None, false);
            assert_eq!(found.len(), 1, "{request:?}");
            assert!(
                found[0]
                    .named_method()
                    .is_some_and(|m| m.eq_ignore_ascii_case("delete") || m == "PUT")
            );
        }
    }

    #[test]
    fn a_body_on_a_read_is_a_signal_and_on_a_write_is_not() {
        let request = HttpRequest::new("GET", "https://a.example/").body(b"x");
        assert_eq!(
            request.write_signals(None, true),
            [WriteSignal::Body { bytes: 1 }]
        );
        assert!(request.write_signals(None, false).is_empty());
    }

    #[test]
    fn reasons_cut_long_values() {
        let long = "D".repeat(500);
        let request =
            HttpRequest::new("GET", "https://a.example/").header("x-http-method", long.as_str());
        let text = signals(&request, None).join("");
        assert!(text.len() < 100, "{text}");
    }
}
