//! What validation reports: one [`Diagnostic`] per problem, each with its line and column, the path
//! of the field, the node or edge at fault, a message and a hint; and [`ValidationErrors`], the error
//! of loading an invalid document, holding all of them in document order.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::yaml::Pos;

/// The kind of problem; a stable snake_case code API clients can match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiagnosticCode {
    /// The text is not valid YAML (or uses a refused YAML feature).
    YamlSyntax,
    /// The document is larger than [`crate::Limits::max_document_bytes`].
    DocumentTooLarge,
    /// A field the format does not define, or one this node type does not use.
    UnknownField,
    /// A value of the wrong type (a list where text was expected...).
    WrongType,
    /// A required field is absent.
    MissingField,
    /// A value outside its allowed set, range or shape.
    InvalidValue,
    /// Two nodes share a name.
    DuplicateNode,
    /// An edge names a node that does not exist.
    UnknownNode,
    /// An edge points to START.
    EdgeToStart,
    /// An edge leaves END.
    EdgeFromEnd,
    /// No edge leaves START.
    MissingStart,
    /// END cannot be reached from START.
    EndUnreachable,
    /// A node cannot be reached from START.
    UnreachableNode,
    /// A node has no outgoing edge, or no path from it reaches END.
    DeadEnd,
    /// Edges of one node split over several flow entries, or an edge placed after an unconditional one.
    AmbiguousEdges,
    /// A tool name that is not among the known tools.
    UnknownTool,
    /// A `{variable}` that no earlier node (nor the run inputs) can set.
    UndefinedVariable,
    /// A malformed `{...}` template.
    TemplateSyntax,
    /// A condition that is not a valid Starlark lambda.
    ConditionSyntax,
}

/// A reference to one edge, for diagnostics and run errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeRef {
    /// The node the edge leaves (`START` for the entry edge).
    pub from: String,
    /// The node the edge enters (`END` for an exit edge).
    pub to: String,
}

/// One problem in a workflow document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// What kind of problem.
    pub code: DiagnosticCode,
    /// 1-based line of the offending value or key.
    pub line: usize,
    /// 1-based column of the offending value or key.
    pub column: usize,
    /// Path of the field, e.g. `nodes[2].output_model` or `flow[1].edges[0].condition`.
    pub path: String,
    /// The node at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// The edge at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edge: Option<EdgeRef>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl Diagnostic {
    /// A diagnostic at `pos` for the field at `path`.
    pub(crate) fn new(
        code: DiagnosticCode,
        pos: Pos,
        path: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Self {
            code,
            line: pos.line,
            column: pos.column,
            path: path.into(),
            node: None,
            edge: None,
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// Names the node at fault.
    pub(crate) fn at_node(mut self, node: Option<&str>) -> Self {
        self.node = node.map(str::to_owned);
        self
    }

    /// Names the edge at fault.
    pub(crate) fn at_edge(mut self, from: &str, to: &str) -> Self {
        self.edge = Some(EdgeRef {
            from: from.to_owned(),
            to: to.to_owned(),
        });
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {} (",
            self.line, self.column, self.message
        )?;
        if let Some(edge) = &self.edge {
            write!(f, "edge `{} -> {}`, ", edge.from, edge.to)?;
        } else if let Some(node) = &self.node {
            write!(f, "node `{node}`, ")?;
        }
        write!(f, "{}); hint: {}", self.path, self.hint)
    }
}

/// Every problem found in one document, in document order; never empty.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[error("{}", render(.0))]
pub struct ValidationErrors(pub Vec<Diagnostic>);

fn render(diagnostics: &[Diagnostic]) -> String {
    let lines: Vec<String> = diagnostics.iter().map(Diagnostic::to_string).collect();
    format!(
        "invalid workflow ({} error{}):\n{}",
        diagnostics.len(),
        if diagnostics.len() == 1 { "" } else { "s" },
        lines.join("\n")
    )
}

/// ` Did you mean `x`?` when one candidate is within two edits of `name` (else empty).
pub(crate) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, c)| format!(" Did you mean `{c}`?"))
        .unwrap_or_default()
}

/// Levenshtein distance over chars (names are short).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_line_edge_and_hint() {
        let d = Diagnostic::new(
            DiagnosticCode::EdgeToStart,
            Pos { line: 4, column: 7 },
            "flow[1].to",
            "an edge points to START",
            "loop back to a node instead",
        )
        .at_edge("ask", "START");
        assert_eq!(
            d.to_string(),
            "line 4, column 7: an edge points to START (edge `ask -> START`, flow[1].to); \
             hint: loop back to a node instead"
        );
        let all = ValidationErrors(vec![d]).to_string();
        assert!(
            all.starts_with("invalid workflow (1 error):\nline 4"),
            "{all}"
        );
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            did_you_mean("promt", ["prompt", "system"]),
            " Did you mean `prompt`?"
        );
        assert_eq!(did_you_mean("zzz", ["prompt"]), "");
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
