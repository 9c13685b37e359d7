//! `{variable}` templates over the run state, as seed 002 writes them ("single braces, no spaces").
//!
//! - `{name}` inserts the state value `name`; `{a.b.0}` walks into objects by key and into lists by
//!   index. Text is inserted as it is; any other value as compact JSON.
//! - `{{` and `}}` are a literal `{` and `}` (as in Python's `str.format`, which the seed's flows
//!   come from). Any other `{` or `}` is a syntax error, caught by validation, so a stray JSON
//!   snippet in a prompt is reported instead of silently half-rendered.
//! - A variable that is not in the state is an error naming it, never an empty string.
//! - For tool `args`, a string that is exactly one `{variable}` passes the value itself (a list stays a
//!   list); see [`render_json`].

use serde_json::{Map, Value};
use thiserror::Error;

/// A dotted path into the state: the root variable, then object keys or list indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarPath(Vec<String>);

impl VarPath {
    /// The state variable the path starts from.
    pub fn root(&self) -> &str {
        &self.0[0]
    }

    /// Parses `a.b.0`: a root that is an identifier, then segments of letters, digits, `_` or `-`.
    pub fn parse(text: &str) -> Option<Self> {
        let segments: Vec<String> = text.split('.').map(str::to_owned).collect();
        let root_ok = is_identifier(&segments[0]);
        let rest_ok = segments[1..].iter().all(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
        (root_ok && rest_ok).then_some(Self(segments))
    }

    /// Looks the path up in `state`.
    pub fn lookup<'s>(&self, state: &'s Map<String, Value>) -> Result<&'s Value, TemplateError> {
        let mut value = state
            .get(self.root())
            .ok_or_else(|| TemplateError::Undefined {
                variable: self.to_string(),
            })?;
        for segment in &self.0[1..] {
            let next = match value {
                Value::Object(map) => map.get(segment),
                Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
                _ => None,
            };
            value = next.ok_or_else(|| TemplateError::MissingKey {
                variable: self.to_string(),
                segment: segment.clone(),
            })?;
        }
        Ok(value)
    }
}

impl std::fmt::Display for VarPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join("."))
    }
}

/// True for `[A-Za-z_][A-Za-z0-9_]*`: a state variable name.
pub fn is_identifier(text: &str) -> bool {
    let mut bytes = text.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Why a template could not be parsed or rendered.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TemplateError {
    /// A `{` without its `}`.
    #[error("`{{` at character {offset} is never closed")]
    Unclosed {
        /// 0-based character offset in the template.
        offset: usize,
    },
    /// A `}` that closes nothing.
    #[error("`}}` at character {offset} closes nothing")]
    LoneClose {
        /// 0-based character offset in the template.
        offset: usize,
    },
    /// `{...}` whose content is not a variable path.
    #[error(
        "`{{{text}}}` at character {offset} is not a variable (letters, digits, `_`, dots; no spaces)"
    )]
    BadName {
        /// The text between the braces.
        text: String,
        /// 0-based character offset in the template.
        offset: usize,
    },
    /// The root variable is not in the state.
    #[error("undefined variable `{variable}`")]
    Undefined {
        /// The full path as written.
        variable: String,
    },
    /// The root exists but a key or index along the path does not.
    #[error("variable `{variable}` has no `{segment}`")]
    MissingKey {
        /// The full path as written.
        variable: String,
        /// The key or index that is missing.
        segment: String,
    },
}

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Var(VarPath),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// Parses `source`; `{{`/`}}` are literal braces, `{path}` a variable.
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        let chars: Vec<char> = source.chars().collect();
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '{' if chars.get(i + 1) == Some(&'{') => {
                    text.push('{');
                    i += 2;
                }
                '}' if chars.get(i + 1) == Some(&'}') => {
                    text.push('}');
                    i += 2;
                }
                '}' => return Err(TemplateError::LoneClose { offset: i }),
                '{' => {
                    let close = chars[i + 1..]
                        .iter()
                        .position(|&c| c == '}')
                        .ok_or(TemplateError::Unclosed { offset: i })?;
                    let inner: String = chars[i + 1..i + 1 + close].iter().collect();
                    let path = VarPath::parse(&inner).ok_or_else(|| TemplateError::BadName {
                        text: inner.clone(),
                        offset: i,
                    })?;
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(Part::Var(path));
                    i += close + 2;
                }
                c => {
                    text.push(c);
                    i += 1;
                }
            }
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Self { parts })
    }

    /// The variables the template reads, in order.
    pub fn variables(&self) -> impl Iterator<Item = &VarPath> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(v) => Some(v),
            Part::Text(_) => None,
        })
    }

    /// Renders the template over `state`.
    pub fn render(&self, state: &Map<String, Value>) -> Result<String, TemplateError> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Var(path) => out.push_str(&display_value(path.lookup(state)?)),
            }
        }
        Ok(out)
    }

    /// The single variable when the template is exactly `{path}` and nothing else.
    fn sole_variable(&self) -> Option<&VarPath> {
        match self.parts.as_slice() {
            [Part::Var(path)] => Some(path),
            _ => None,
        }
    }
}

/// How a state value reads inside text: strings as they are, anything else as compact JSON.
pub fn display_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Renders every string inside `value` as a template; a string that is exactly one `{variable}`
/// becomes that variable's value, whatever its type. Keys are not templated.
pub fn render_json(value: &Value, state: &Map<String, Value>) -> Result<Value, TemplateError> {
    Ok(match value {
        Value::String(source) => {
            let template = Template::parse(source)?;
            match template.sole_variable() {
                Some(path) => path.lookup(state)?.clone(),
                None => Value::String(template.render(state)?),
            }
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| render_json(v, state))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), render_json(v, state)?)))
                .collect::<Result<_, TemplateError>>()?,
        ),
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn state(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn renders_variables_nested_keys_and_list_indices() {
        let s = state(json!({"name": "Ada", "user": {"langs": ["rust", "ml"]}, "n": 3}));
        let t = Template::parse("Hi {name}, {user.langs.0} x{n} {user}").unwrap();
        assert_eq!(
            t.render(&s).unwrap(),
            r#"Hi Ada, rust x3 {"langs":["rust","ml"]}"#
        );
    }

    #[test]
    fn double_braces_are_literal_braces() {
        let t = Template::parse("{{\"k\": {v}}}").unwrap();
        assert_eq!(t.render(&state(json!({"v": 1}))).unwrap(), "{\"k\": 1}");
        assert_eq!(t.variables().count(), 1);
    }

    #[test]
    fn missing_variable_is_an_error_naming_it() {
        let t = Template::parse("Hello {who}").unwrap();
        assert_eq!(
            t.render(&Map::new()).unwrap_err(),
            TemplateError::Undefined {
                variable: "who".into()
            }
        );
        let nested = Template::parse("{user.email}").unwrap();
        let err = nested.render(&state(json!({"user": {}}))).unwrap_err();
        assert_eq!(err.to_string(), "variable `user.email` has no `email`");
    }

    #[test]
    fn syntax_errors_say_where() {
        assert_eq!(
            Template::parse("a { b }").unwrap_err(),
            TemplateError::BadName {
                text: " b ".into(),
                offset: 2
            }
        );
        assert!(matches!(
            Template::parse("ab {c").unwrap_err(),
            TemplateError::Unclosed { offset: 3 }
        ));
        assert!(matches!(
            Template::parse("a } b").unwrap_err(),
            TemplateError::LoneClose { offset: 2 }
        ));
        assert!(matches!(
            Template::parse("{ name }").unwrap_err(),
            TemplateError::BadName { .. }
        ));
        assert!(matches!(
            Template::parse("{1abc}").unwrap_err(),
            TemplateError::BadName { .. }
        ));
    }

    #[test]
    fn json_args_keep_the_type_of_a_sole_variable() {
        let s = state(json!({"items": [1, 2], "who": "Ada"}));
        let args = json!({"list": "{items}", "text": "hi {who}", "n": 4, "deep": ["{who}"]});
        assert_eq!(
            render_json(&args, &s).unwrap(),
            json!({"list": [1, 2], "text": "hi Ada", "n": 4, "deep": ["Ada"]})
        );
    }

    proptest! {
        #[test]
        fn text_without_braces_renders_to_itself(text in "[^{}]*") {
            let t = Template::parse(&text).unwrap();
            prop_assert_eq!(t.render(&Map::new()).unwrap(), text);
        }

        #[test]
        fn escaped_braces_always_round_trip(text in ".*") {
            let escaped = text.replace('{', "{{").replace('}', "}}");
            let t = Template::parse(&escaped).unwrap();
            prop_assert_eq!(t.variables().count(), 0);
            prop_assert_eq!(t.render(&Map::new()).unwrap(), text);
        }

        #[test]
        fn parsing_never_panics(text in ".*") {
            let _ = Template::parse(&text);
        }
    }
}
