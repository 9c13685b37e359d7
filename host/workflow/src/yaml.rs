//! A YAML loader that keeps the line and column of every value and every mapping key, so that each
//! diagnostic can point at the exact place in the file. It is built on yaml-rust2's event parser
//! rather than on a serde deserializer because serde stops at the first error and forgets positions,
//! and validation must report every error with its line.
//!
//! Deliberate restrictions, each reported as an error with its position: one document per file,
//! no aliases (`*name`, which would let a small file expand into a huge one), no duplicate keys,
//! no collections as mapping keys, and at most [`MAX_DEPTH`] levels of nesting.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// How deeply collections may nest; deeper documents are refused (no workflow needs it, and the
/// converters that walk the tree recurse).
pub const MAX_DEPTH: usize = 64;

/// A 1-based line and column in the YAML source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct Pos {
    /// Line, counted from 1.
    pub line: usize,
    /// Column, counted from 1.
    pub column: usize,
}

impl Pos {
    fn of(marker: &Marker) -> Self {
        Self {
            line: marker.line(),
            column: marker.col() + 1,
        }
    }
}

/// One YAML value with the position where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Yaml {
    /// The value.
    pub value: YamlValue,
    /// Where it starts.
    pub pos: Pos,
}

/// The value of a [`Yaml`] node, with plain scalars resolved by the YAML 1.2 core schema.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum YamlValue {
    /// `~`, `null` or an empty plain scalar.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer that fits in 64 bits.
    Int(i64),
    /// A finite floating-point number.
    Float(f64),
    /// Any other scalar, or a quoted one.
    Str(String),
    /// A sequence.
    Seq(Vec<Yaml>),
    /// A mapping, in document order.
    Map(Vec<(Key, Yaml)>),
}

/// A mapping key (always text) with its position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Key {
    /// The key as written.
    pub name: String,
    /// Where it starts.
    pub pos: Pos,
}

/// Why a document could not be loaded, and where.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct YamlError {
    /// What is wrong.
    pub message: String,
    /// Where.
    pub pos: Pos,
}

impl Yaml {
    /// A short name of this value's kind, for "expected X, found Y" messages.
    pub fn kind(&self) -> &'static str {
        match self.value {
            YamlValue::Null => "null",
            YamlValue::Bool(_) => "a boolean",
            YamlValue::Int(_) => "an integer",
            YamlValue::Float(_) => "a number",
            YamlValue::Str(_) => "a string",
            YamlValue::Seq(_) => "a list",
            YamlValue::Map(_) => "a mapping",
        }
    }

    /// The value as JSON (mapping keys become object keys).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.value {
            YamlValue::Null => Value::Null,
            YamlValue::Bool(b) => Value::Bool(*b),
            YamlValue::Int(i) => Value::from(*i),
            YamlValue::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
            YamlValue::Str(s) => Value::String(s.clone()),
            YamlValue::Seq(items) => Value::Array(items.iter().map(Yaml::to_json).collect()),
            YamlValue::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// A workflow document as JSON, for clients that ask for it as JSON instead of YAML text. `Err` names the
/// first syntax problem with its line and column (a stored workflow has none).
pub fn document_to_json(source: &str) -> Result<serde_json::Value, String> {
    parse(source).map(|yaml| yaml.to_json()).map_err(|err| {
        format!(
            "{} at line {}, column {}",
            err.message, err.pos.line, err.pos.column
        )
    })
}

/// Parses one YAML document, keeping positions.
pub(crate) fn parse(source: &str) -> Result<Yaml, YamlError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(source);
    if let Err(err) = parser.load(&mut builder, true) {
        return Err(YamlError {
            message: err.info().to_owned(),
            pos: Pos::of(err.marker()),
        });
    }
    if let Some(err) = builder.error {
        return Err(err);
    }
    let mut documents = builder.documents.into_iter();
    match (documents.next(), documents.next()) {
        (Some(document), None) => Ok(document),
        (None, _) => Err(YamlError {
            message: "the document is empty".into(),
            pos: Pos { line: 1, column: 1 },
        }),
        (Some(_), Some(second)) => Err(YamlError {
            message: "a workflow file holds one YAML document; found a second one".into(),
            pos: second.pos,
        }),
    }
}

/// A collection being built.
enum Frame {
    Seq {
        items: Vec<Yaml>,
        pos: Pos,
    },
    Map {
        entries: Vec<(Key, Yaml)>,
        /// The keys so far, to refuse duplicates without a quadratic scan.
        names: HashSet<String>,
        key: Option<Key>,
        pos: Pos,
    },
}

/// Receives parser events and builds [`Yaml`] trees; remembers the first error.
#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    documents: Vec<Yaml>,
    error: Option<YamlError>,
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, marker: Marker) {
        if self.error.is_some() {
            return;
        }
        let pos = Pos::of(&marker);
        match event {
            Event::Scalar(text, style, _anchor, tag) => {
                if let Some(Frame::Map {
                    names,
                    key,
                    pos: map_pos,
                    ..
                }) = self.stack.last_mut()
                    && key.is_none()
                {
                    // The parser marks a block mapping after its first key; start it at the key.
                    *map_pos = (*map_pos).min(pos);
                    if !names.insert(text.clone()) {
                        self.fail(pos, format!("duplicate key `{text}`"));
                    } else {
                        *key = Some(Key { name: text, pos });
                    }
                    return;
                }
                let value = resolve_scalar(text, style, tag.as_ref());
                self.push(Yaml { value, pos });
            }
            Event::SequenceStart(..) => self.open(Frame::Seq {
                items: Vec::new(),
                pos,
            }),
            Event::MappingStart(..) => self.open(Frame::Map {
                entries: Vec::new(),
                names: HashSet::new(),
                key: None,
                pos,
            }),
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq { items, pos }) => self.push(Yaml {
                    value: YamlValue::Seq(items),
                    pos,
                }),
                Some(Frame::Map { entries, pos, .. }) => self.push(Yaml {
                    value: YamlValue::Map(entries),
                    pos,
                }),
                None => {}
            },
            Event::Alias(_) => self.fail(
                pos,
                "aliases (`*name`) are not supported in workflow files; repeat the value".into(),
            ),
            _ => {}
        }
    }
}

impl Builder {
    fn fail(&mut self, pos: Pos, message: String) {
        self.error.get_or_insert(YamlError { message, pos });
    }

    fn open(&mut self, frame: Frame) {
        let pos = match &frame {
            Frame::Seq { pos, .. } | Frame::Map { pos, .. } => *pos,
        };
        if let Some(Frame::Map { key: None, .. }) = self.stack.last() {
            return self.fail(
                pos,
                "mapping keys must be plain text, not collections".into(),
            );
        }
        if self.stack.len() >= MAX_DEPTH {
            return self.fail(
                pos,
                format!("the document nests deeper than {MAX_DEPTH} levels"),
            );
        }
        self.stack.push(frame);
    }

    fn push(&mut self, node: Yaml) {
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => {
                // A scalar key is taken in `on_event`; collections as keys are refused in `open`.
                if let Some(key) = key.take() {
                    entries.push((key, node));
                }
            }
        }
    }
}

/// Resolves a scalar by the YAML 1.2 core schema; quoted scalars and `!!str` are always text.
fn resolve_scalar(text: String, style: TScalarStyle, tag: Option<&Tag>) -> YamlValue {
    if style != TScalarStyle::Plain || tag.is_some_and(|t| t.suffix == "str") {
        return YamlValue::Str(text);
    }
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return YamlValue::Null,
        "true" | "True" | "TRUE" => return YamlValue::Bool(true),
        "false" | "False" | "FALSE" => return YamlValue::Bool(false),
        _ => {}
    }
    if let Ok(int) = text.parse::<i64>() {
        return YamlValue::Int(int);
    }
    for (prefix, radix) in [("0x", 16), ("0o", 8)] {
        if let Some(digits) = text.strip_prefix(prefix)
            && let Ok(int) = i64::from_str_radix(digits, radix)
        {
            return YamlValue::Int(int);
        }
    }
    let looks_numeric = text.bytes().any(|b| b.is_ascii_digit())
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'));
    match text.parse::<f64>() {
        Ok(float) if looks_numeric && float.is_finite() => YamlValue::Float(float),
        _ => YamlValue::Str(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(yaml: &Yaml) -> &[(Key, Yaml)] {
        match &yaml.value {
            YamlValue::Map(entries) => entries,
            other => panic!("expected a mapping, got {other:?}"),
        }
    }

    #[test]
    fn keeps_lines_and_columns_of_keys_and_values() {
        let doc = parse("name: demo\nnodes:\n  - name: ask\n    type: input\n").unwrap();
        let entries = map(&doc);
        assert_eq!(entries[0].0.pos, Pos { line: 1, column: 1 });
        assert_eq!(entries[0].1.pos, Pos { line: 1, column: 7 });
        let YamlValue::Seq(nodes) = &entries[1].1.value else {
            panic!("nodes is a list")
        };
        assert_eq!(
            nodes[0].pos,
            Pos { line: 3, column: 5 },
            "a mapping starts at its first key"
        );
        let node = map(&nodes[0]);
        assert_eq!(node[1].0.name, "type");
        assert_eq!(node[1].0.pos, Pos { line: 4, column: 5 });
    }

    #[test]
    fn resolves_plain_scalars_by_the_core_schema() {
        let doc = parse("a: 3\nb: '3'\nc: true\nd: yes\ne: 1.5\nf: ~\ng: inf\nh: 0x1f").unwrap();
        let values: Vec<_> = map(&doc).iter().map(|(_, v)| v.value.clone()).collect();
        assert_eq!(
            values,
            vec![
                YamlValue::Int(3),
                YamlValue::Str("3".into()),
                YamlValue::Bool(true),
                YamlValue::Str("yes".into()),
                YamlValue::Float(1.5),
                YamlValue::Null,
                YamlValue::Str("inf".into()),
                YamlValue::Int(31),
            ]
        );
    }

    #[test]
    fn reports_syntax_errors_with_their_line() {
        let err = parse("name: demo\nnodes: [a, b\nflow: x\n").unwrap_err();
        assert!(err.pos.line >= 2, "{err:?}");
    }

    #[test]
    fn refuses_duplicate_keys_aliases_and_second_documents() {
        assert_eq!(parse("a: 1\na: 2").unwrap_err().pos.line, 2);
        let alias = parse("a: &x 1\nb: *x").unwrap_err();
        assert!(alias.message.contains("aliases"), "{alias:?}");
        assert_eq!(alias.pos.line, 2);
        assert!(
            parse("a: 1\n---\nb: 2")
                .unwrap_err()
                .message
                .contains("second")
        );
        assert!(parse("").unwrap_err().message.contains("empty"));
    }

    #[test]
    fn refuses_collection_keys_and_deep_nesting() {
        assert!(parse("? [a]\n: 1").unwrap_err().message.contains("keys"));
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(parse(&deep).unwrap_err().message.contains("nests"));
    }

    #[test]
    fn converts_to_json() {
        let doc = parse("a: [1, x, {b: null}]").unwrap();
        assert_eq!(
            doc.to_json(),
            serde_json::json!({"a": [1, "x", {"b": null}]})
        );
    }
}
