//! Reading one node: its name and type first (so later diagnostics can name it), then each field,
//! refusing fields that no node type has or that this node's type does not use.

use super::{COMMON_NODE_FIELDS, RawNode, Reader, Sp};
use crate::diagnostic::{DiagnosticCode as Code, did_you_mean};
use crate::flow::{NodeType, UpdateAction};
use crate::yaml::{Key, Yaml, YamlValue};

impl Reader<'_> {
    /// Reads the node at `path`.
    pub(super) fn node(&mut self, y: &Yaml, path: String) -> Option<RawNode> {
        let entries = self.mapping(y, &path)?;
        let mut node = RawNode {
            pos: y.pos,
            path: path.clone(),
            ..RawNode::default()
        };
        // Name and type first, so that diagnostics about the other fields can name the node.
        for (key, value) in entries {
            let field = format!("{path}.{}", key.name);
            match key.name.as_str() {
                "name" => node.name = self.string(value, &field),
                "type" => node.node_type = self.node_type(value, &field),
                _ => {}
            }
        }
        self.node = node.name().map(str::to_owned);
        node.written = entries.iter().map(|(k, _)| k.name.clone()).collect();
        for (key, value) in entries {
            let field = format!("{path}.{}", key.name);
            if !COMMON_NODE_FIELDS.contains(&key.name.as_str()) {
                self.check_applies(&node, key, &field);
            }
            self.node_field(&mut node, key, value, &field);
        }
        self.node = None;
        Some(node)
    }

    /// Reports a field that no node type has, or that this node's type does not use.
    fn check_applies(&mut self, node: &RawNode, key: &Key, path: &str) {
        let users: Vec<&str> = NodeType::ALL
            .into_iter()
            .filter(|t| t.fields().contains(&key.name.as_str()))
            .map(NodeType::as_str)
            .collect();
        let Some(node_type) = node.node_type else {
            if users.is_empty() {
                let all: Vec<&str> = COMMON_NODE_FIELDS
                    .iter()
                    .chain(NodeType::ALL.iter().flat_map(|t| t.fields()))
                    .copied()
                    .collect();
                self.unknown(key, path, &all, "a node");
            }
            return;
        };
        if node_type.fields().contains(&key.name.as_str()) {
            return;
        }
        let allowed: Vec<&str> = COMMON_NODE_FIELDS
            .iter()
            .chain(node_type.fields())
            .copied()
            .collect();
        if users.is_empty() {
            self.unknown(key, path, &allowed, &format!("a `{node_type}` node"));
        } else {
            self.report(
                Code::UnknownField,
                key.pos,
                path,
                format!(
                    "field `{}` is not used by `{node_type}` nodes (only by {})",
                    key.name,
                    users.join(", ")
                ),
                format!(
                    "remove it, or change the type; a `{node_type}` node has: {}",
                    allowed.join(", ")
                ),
            );
        }
    }

    fn node_field(&mut self, node: &mut RawNode, key: &Key, value: &Yaml, path: &str) {
        match key.name.as_str() {
            "name" | "type" => {}
            "description" => node.description = self.text(value, path).map(|t| t.value),
            "user_validation_required" => {
                node.user_validation_required = self.boolean(value, path).is_some_and(|b| b.value);
            }
            "prompt" => node.prompt = self.text(value, path),
            "system" => node.system = self.text(value, path),
            "output_model" => node.output_model = self.output_model(value, path),
            "user_message" => node.user_message = self.text_list(value, path),
            "options" => node.options = self.text_list(value, path),
            "tools" => node.tools = self.boolean(value, path).map(|b| b.value),
            "tools_selection" => node.tools_selection = self.text_list(value, path),
            "args" if self.mapping(value, path).is_some() => {
                collect_strings(value, path, &mut node.embedded_templates);
                node.args = Some(Self::sp(value, path, value.to_json()));
            }
            "source_variable" => node.source_variable = self.string(value, path),
            "value" => {
                collect_strings(value, path, &mut node.embedded_templates);
                node.value = Some(Self::sp(value, path, value.to_json()));
            }
            "action" => node.action = self.action(value, path),
            // Unknown fields were reported by `check_applies`, `args` of the wrong type by `mapping`.
            _ => {}
        }
    }

    fn node_type(&mut self, y: &Yaml, path: &str) -> Option<NodeType> {
        let name = self.string(y, path)?;
        NodeType::parse(&name.value).or_else(|| {
            let names = NodeType::ALL.map(NodeType::as_str);
            self.report(
                Code::InvalidValue,
                y.pos,
                path,
                format!("unknown node type `{}`", name.value),
                format!(
                    "use one of: {}.{}",
                    names.join(", "),
                    did_you_mean(&name.value, names)
                ),
            );
            None
        })
    }

    fn action(&mut self, y: &Yaml, path: &str) -> Option<Sp<UpdateAction>> {
        let name = self.string(y, path)?;
        match UpdateAction::parse(&name.value) {
            Some(action) => Some(Self::sp(y, path, action)),
            None => {
                self.report(
                    Code::InvalidValue,
                    y.pos,
                    path,
                    format!("unknown action `{}`", name.value),
                    "use overwrite, append or increment".into(),
                );
                None
            }
        }
    }
}

/// Collects every string inside `y` (templates to check), with positions.
fn collect_strings(y: &Yaml, path: &str, out: &mut Vec<Sp<String>>) {
    match &y.value {
        YamlValue::Str(s) => out.push(Sp {
            value: s.clone(),
            pos: y.pos,
            path: path.to_owned(),
        }),
        YamlValue::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                collect_strings(item, &format!("{path}[{i}]"), out);
            }
        }
        YamlValue::Map(entries) => {
            for (key, value) in entries {
                collect_strings(value, &format!("{path}.{}", key.name), out);
            }
        }
        _ => {}
    }
}
