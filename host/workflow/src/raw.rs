//! Stage one of loading: the positioned YAML tree read into [`RawFlow`], the document *as written*.
//! Every field is optional and carries its position, so this stage reports shape problems (unknown
//! fields, wrong types, unknown enum values) and keeps going; stage two (`validate`) checks the rules
//! on whatever was readable, and stage three (`build`) turns an error-free `RawFlow` into a [`Flow`].
//!
//! Reading a node lives in `raw/node.rs`.
//!
//! [`Flow`]: crate::Flow

mod node;

use serde_json::Value;

use crate::diagnostic::{Diagnostic, DiagnosticCode as Code, did_you_mean};
use crate::flow::{NodeType, UpdateAction, VarType};
use crate::yaml::{Key, Pos, Yaml, YamlValue};

/// A value with the position and path it was read from.
#[derive(Debug, Clone)]
pub(crate) struct Sp<T> {
    pub value: T,
    pub pos: Pos,
    pub path: String,
}

/// The whole document as written.
#[derive(Debug, Default)]
pub(crate) struct RawFlow {
    pub pos: Pos,
    /// The top-level keys written (readable or not), so a bad value is not also reported missing.
    pub written: Vec<String>,
    pub name: Option<Sp<String>>,
    pub description: Option<Sp<String>>,
    pub model: Option<Sp<String>>,
    pub public: Option<Sp<bool>>,
    pub max_iterations: Option<Sp<i64>>,
    pub inputs: Vec<RawInput>,
    pub nodes: Option<Sp<Vec<RawNode>>>,
    pub flow: Option<Sp<Vec<RawEntry>>>,
}

/// One entry of `inputs`.
#[derive(Debug)]
pub(crate) struct RawInput {
    pub pos: Pos,
    pub path: String,
    pub name: Option<Sp<String>>,
    pub description: Option<String>,
    pub var_type: Option<VarType>,
    pub default: Option<Value>,
}

/// One `output_model` entry.
#[derive(Debug, Clone)]
pub(crate) struct RawField {
    pub name: Sp<String>,
    pub var_type: Option<VarType>,
}

/// One node as written.
#[derive(Debug, Default)]
pub(crate) struct RawNode {
    pub pos: Pos,
    pub path: String,
    pub name: Option<Sp<String>>,
    pub node_type: Option<NodeType>,
    /// The keys written (readable or not), so a bad value is not also reported missing.
    pub written: Vec<String>,
    pub description: Option<String>,
    pub prompt: Option<Sp<String>>,
    pub system: Option<Sp<String>>,
    pub output_model: Option<Sp<Vec<RawField>>>,
    pub user_message: Option<Sp<Vec<Sp<String>>>>,
    pub options: Option<Sp<Vec<Sp<String>>>>,
    pub tools: Option<bool>,
    pub tools_selection: Option<Sp<Vec<Sp<String>>>>,
    pub args: Option<Sp<Value>>,
    pub source_variable: Option<Sp<String>>,
    pub value: Option<Sp<Value>>,
    pub action: Option<Sp<UpdateAction>>,
    pub user_validation_required: bool,
    /// Every string inside `args` and `value`: templates to check.
    pub embedded_templates: Vec<Sp<String>>,
}

impl RawNode {
    /// The name, when it was readable.
    pub fn name(&self) -> Option<&str> {
        self.name.as_ref().map(|n| n.value.as_str())
    }
}

/// One entry of `flow`: `from` with `to`, or `from` with `edges`.
#[derive(Debug)]
pub(crate) struct RawEntry {
    pub pos: Pos,
    pub path: String,
    pub from: Option<Sp<String>>,
    pub to: Option<Sp<String>>,
    pub edges: Option<Vec<RawEdge>>,
}

/// One item of `edges`.
#[derive(Debug)]
pub(crate) struct RawEdge {
    pub pos: Pos,
    pub path: String,
    pub to: Option<Sp<String>>,
    pub condition: Option<Sp<String>>,
}

const TOP_FIELDS: &[&str] = &[
    "name",
    "description",
    "model",
    "public",
    "max_iterations",
    "inputs",
    "nodes",
    "flow",
];
const COMMON_NODE_FIELDS: &[&str] = &["name", "type", "description", "user_validation_required"];
const INPUT_FIELDS: &[&str] = &["name", "description", "type", "default"];
const ENTRY_FIELDS: &[&str] = &["from", "to", "edges"];
const EDGE_FIELDS: &[&str] = &["to", "condition"];

/// Reads `doc` into a [`RawFlow`], appending shape problems to `diags`.
pub(crate) fn read(doc: &Yaml, diags: &mut Vec<Diagnostic>) -> RawFlow {
    let mut reader = Reader { diags, node: None };
    let mut flow = RawFlow {
        pos: doc.pos,
        ..RawFlow::default()
    };
    let Some(entries) = reader.mapping(doc, "the document") else {
        return flow;
    };
    flow.written = entries.iter().map(|(k, _)| k.name.clone()).collect();
    for (key, value) in entries {
        let path = key.name.clone();
        match key.name.as_str() {
            "name" => flow.name = reader.string(value, &path),
            "description" => flow.description = reader.text(value, &path),
            "model" => flow.model = reader.string(value, &path),
            "public" => flow.public = reader.boolean(value, &path),
            "max_iterations" => flow.max_iterations = reader.integer(value, &path),
            "inputs" => {
                let inputs = reader.spanned_list(value, &path, Reader::input);
                flow.inputs = inputs.map(|i| i.value).unwrap_or_default();
            }
            "nodes" => flow.nodes = reader.spanned_list(value, &path, Reader::node),
            "flow" => flow.flow = reader.spanned_list(value, &path, Reader::entry),
            _ => reader.unknown(key, &path, TOP_FIELDS, "a workflow"),
        }
    }
    flow
}

struct Reader<'d> {
    diags: &'d mut Vec<Diagnostic>,
    /// The node being read, so diagnostics name it.
    node: Option<String>,
}

impl Reader<'_> {
    fn report(&mut self, code: Code, pos: Pos, path: &str, message: String, hint: String) {
        let diagnostic =
            Diagnostic::new(code, pos, path, message, hint).at_node(self.node.as_deref());
        self.diags.push(diagnostic);
    }

    fn wrong_type(&mut self, y: &Yaml, path: &str, expected: &str) {
        self.report(
            Code::WrongType,
            y.pos,
            path,
            format!("`{path}` must be {expected}, found {}", y.kind()),
            format!("write {expected} here"),
        );
    }

    fn unknown(&mut self, key: &Key, path: &str, allowed: &[&str], context: &str) {
        self.report(
            Code::UnknownField,
            key.pos,
            path,
            format!("unknown field `{}` in {context}", key.name),
            format!(
                "the fields of {context} are: {}.{}",
                allowed.join(", "),
                did_you_mean(&key.name, allowed.iter().copied())
            ),
        );
    }

    fn mapping<'y>(&mut self, y: &'y Yaml, path: &str) -> Option<&'y [(Key, Yaml)]> {
        match &y.value {
            YamlValue::Map(entries) => Some(entries),
            _ => {
                self.wrong_type(y, path, "a mapping (`key: value` lines)");
                None
            }
        }
    }

    fn sp<T>(y: &Yaml, path: &str, value: T) -> Sp<T> {
        Sp {
            value,
            pos: y.pos,
            path: path.to_owned(),
        }
    }

    /// Text, strictly (names, types, tool names).
    fn string(&mut self, y: &Yaml, path: &str) -> Option<Sp<String>> {
        match &y.value {
            YamlValue::Str(s) => Some(Self::sp(y, path, s.clone())),
            _ => {
                self.wrong_type(y, path, "text");
                None
            }
        }
    }

    /// Text, leniently: a number or bool is taken as the text it was written as (prompts, options).
    fn text(&mut self, y: &Yaml, path: &str) -> Option<Sp<String>> {
        let text = match &y.value {
            YamlValue::Str(s) => s.clone(),
            YamlValue::Int(i) => i.to_string(),
            YamlValue::Float(f) => f.to_string(),
            YamlValue::Bool(b) => b.to_string(),
            _ => {
                self.wrong_type(y, path, "text");
                return None;
            }
        };
        Some(Self::sp(y, path, text))
    }

    fn boolean(&mut self, y: &Yaml, path: &str) -> Option<Sp<bool>> {
        match y.value {
            YamlValue::Bool(b) => Some(Self::sp(y, path, b)),
            _ => {
                self.wrong_type(y, path, "`true` or `false`");
                None
            }
        }
    }

    fn integer(&mut self, y: &Yaml, path: &str) -> Option<Sp<i64>> {
        match y.value {
            YamlValue::Int(i) => Some(Self::sp(y, path, i)),
            _ => {
                self.wrong_type(y, path, "an integer");
                None
            }
        }
    }

    fn spanned_list<T>(
        &mut self,
        y: &Yaml,
        path: &str,
        mut item: impl FnMut(&mut Self, &Yaml, String) -> Option<T>,
    ) -> Option<Sp<Vec<T>>> {
        let YamlValue::Seq(items) = &y.value else {
            self.wrong_type(y, path, "a list (`- item` lines)");
            return None;
        };
        let items = items
            .iter()
            .enumerate()
            .filter_map(|(i, y)| item(self, y, format!("{path}[{i}]")))
            .collect();
        Some(Self::sp(y, path, items))
    }

    fn text_list(&mut self, y: &Yaml, path: &str) -> Option<Sp<Vec<Sp<String>>>> {
        self.spanned_list(y, path, |r, y, p| r.text(y, &p))
    }

    fn var_type(&mut self, y: &Yaml, path: &str) -> Option<VarType> {
        let name = self.string(y, path)?;
        VarType::parse(&name.value).or_else(|| {
            self.report(
                Code::InvalidValue,
                y.pos,
                path,
                format!("unknown type `{}`", name.value),
                format!("use one of: {}", VarType::SPELLINGS),
            );
            None
        })
    }

    fn output_model(&mut self, y: &Yaml, path: &str) -> Option<Sp<Vec<RawField>>> {
        let entries = self.mapping(y, path)?;
        let fields = entries
            .iter()
            .map(|(key, value)| {
                let field_path = format!("{path}.{}", key.name);
                RawField {
                    name: Sp {
                        value: key.name.clone(),
                        pos: key.pos,
                        path: field_path.clone(),
                    },
                    var_type: self.var_type(value, &field_path),
                }
            })
            .collect();
        Some(Self::sp(y, path, fields))
    }

    fn input(&mut self, y: &Yaml, path: String) -> Option<RawInput> {
        let entries = self.mapping(y, &path)?;
        let mut input = RawInput {
            pos: y.pos,
            path: path.clone(),
            name: None,
            description: None,
            var_type: None,
            default: None,
        };
        for (key, value) in entries {
            let field = format!("{path}.{}", key.name);
            match key.name.as_str() {
                "name" => input.name = self.string(value, &field),
                "description" => input.description = self.text(value, &field).map(|t| t.value),
                "type" => input.var_type = self.var_type(value, &field),
                "default" => input.default = Some(value.to_json()),
                _ => self.unknown(key, &field, INPUT_FIELDS, "an input"),
            }
        }
        Some(input)
    }

    fn entry(&mut self, y: &Yaml, path: String) -> Option<RawEntry> {
        let entries = self.mapping(y, &path)?;
        let mut entry = RawEntry {
            pos: y.pos,
            path: path.clone(),
            from: None,
            to: None,
            edges: None,
        };
        for (key, value) in entries {
            let field = format!("{path}.{}", key.name);
            match key.name.as_str() {
                "from" => entry.from = self.string(value, &field),
                "to" => entry.to = self.string(value, &field),
                "edges" => {
                    let edges = self.spanned_list(value, &field, Reader::edge);
                    entry.edges = Some(edges.map(|e| e.value).unwrap_or_default());
                }
                _ => self.unknown(key, &field, ENTRY_FIELDS, "a flow entry"),
            }
        }
        Some(entry)
    }

    fn edge(&mut self, y: &Yaml, path: String) -> Option<RawEdge> {
        let entries = self.mapping(y, &path)?;
        let mut edge = RawEdge {
            pos: y.pos,
            path: path.clone(),
            to: None,
            condition: None,
        };
        for (key, value) in entries {
            let field = format!("{path}.{}", key.name);
            match key.name.as_str() {
                "to" => edge.to = self.string(value, &field),
                "condition" => edge.condition = self.string(value, &field),
                _ => self.unknown(key, &field, EDGE_FIELDS, "an edge"),
            }
        }
        Some(edge)
    }
}
