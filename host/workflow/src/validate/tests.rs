//! Validation tests: one per rule, each checking the code and the line reported, plus a document
//! with several errors to show they are all reported at once.

use std::collections::BTreeSet;

use proptest::prelude::*;

use crate::diagnostic::{Diagnostic, DiagnosticCode as Code};
use crate::flow::MessagePart;
use crate::{Limits, NodeKind, load_flow, validate_flow};

fn tools() -> BTreeSet<String> {
    ["echo.echo", "workspace.read_file"]
        .into_iter()
        .map(String::from)
        .collect()
}

fn diagnostics(yaml: &str) -> Vec<Diagnostic> {
    validate_flow(yaml, &tools(), &Limits::default())
}

/// The (code, line) of every diagnostic.
fn found(yaml: &str) -> Vec<(Code, usize)> {
    diagnostics(yaml).iter().map(|d| (d.code, d.line)).collect()
}

fn only(yaml: &str) -> Diagnostic {
    let diags = diagnostics(yaml);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    diags.into_iter().next().unwrap()
}

const VALID: &str = r#"name: greet
description: Asks, echoes, loops
inputs:
  - {name: who, type: str, default: world}
nodes:
  - name: ask
    type: input
    prompt: "Say something to {who}"
    output_model:
      text: str
  - name: call
    type: tool
    tools_selection: [echo.echo]
    args: {text: "{text}"}
    output_model: {echoed: dict}
  - name: show
    type: output
    user_message: ["You said:", echoed.text]
flow:
  - from: START
    to: ask
  - from: ask
    to: call
  - from: call
    to: show
  - from: show
    edges:
      - to: ask
        condition: "lambda x: x['text'] == 'again'"
      - to: END
"#;

#[test]
fn a_valid_flow_loads() {
    let flow = load_flow(VALID, &tools(), &Limits::default()).unwrap();
    assert_eq!(flow.name(), "greet");
    assert_eq!(flow.nodes().len(), 3);
    assert_eq!(flow.edges_from("show").len(), 2);
    assert_eq!(flow.tools(), vec!["echo.echo"]);
    let NodeKind::Output(show) = &flow.node("show").unwrap().kind else {
        panic!("show is an output node")
    };
    assert_eq!(
        show.user_message,
        vec![
            MessagePart::Text("You said:".into()),
            MessagePart::Variable("echoed.text".into())
        ]
    );
}

#[test]
fn malformed_yaml_names_its_line() {
    let d = only("name: x\nnodes:\n  - name: a\n   type: input\n");
    assert_eq!(d.code, Code::YamlSyntax);
    assert_eq!(d.line, 4, "{d}");
}

#[test]
fn oversized_documents_are_refused() {
    let limits = Limits {
        max_document_bytes: 100,
        ..Limits::default()
    };
    let d = validate_flow(VALID, &tools(), &limits);
    assert_eq!(d[0].code, Code::DocumentTooLarge);
    assert!(d[0].message.contains("limit is 100"), "{}", d[0]);
}

#[test]
fn unknown_fields_are_errors_with_a_suggestion() {
    let yaml = VALID
        .replace("description:", "descripton:")
        .replace("    prompt: \"Say", "    promt: \"Say");
    let diags = diagnostics(&yaml);
    assert_eq!(diags.len(), 2, "{diags:#?}");
    assert_eq!((diags[0].code, diags[0].line), (Code::UnknownField, 2));
    assert!(diags[0].hint.contains("Did you mean `description`?"));
    assert_eq!((diags[1].code, diags[1].line), (Code::UnknownField, 8));
    assert_eq!(diags[1].node.as_deref(), Some("ask"));
    assert!(diags[1].hint.contains("Did you mean `prompt`?"));
}

#[test]
fn a_field_of_another_node_type_is_an_error() {
    let yaml = VALID.replace("    args: {text", "    options: [a]\n    args: {text");
    let d = only(&yaml);
    assert_eq!((d.code, d.line), (Code::UnknownField, 14));
    assert!(d.message.contains("not used by `tool` nodes"), "{d}");
}

#[test]
fn wrong_types_are_reported() {
    let d = only(&VALID.replace("name: greet", "name: [greet]"));
    assert_eq!((d.code, d.line), (Code::WrongType, 1));
    let d = only(&VALID.replace("type: tool", "type: robot"));
    assert_eq!((d.code, d.line), (Code::InvalidValue, 12));
}

#[test]
fn flow_must_start_at_start() {
    let yaml = VALID.replace("  - from: START\n    to: ask\n", "");
    let d = only(&yaml);
    assert_eq!((d.code, d.line), (Code::MissingStart, 20));
}

#[test]
fn end_must_be_reachable() {
    let yaml = VALID.replace("      - to: END\n", "");
    let codes: Vec<Code> = diagnostics(&yaml).iter().map(|d| d.code).collect();
    assert!(codes.contains(&Code::EndUnreachable), "{codes:?}");
    assert!(codes.contains(&Code::DeadEnd), "{codes:?}");
}

#[test]
fn node_names_are_unique() {
    let yaml = VALID.replace("  - name: show", "  - name: call");
    let diags = diagnostics(&yaml);
    let d = diags
        .iter()
        .find(|d| d.code == Code::DuplicateNode)
        .unwrap();
    assert_eq!(d.line, 16);
    assert!(d.hint.contains("line 11"), "{d}");
}

#[test]
fn no_edge_points_to_start() {
    let yaml = VALID.replace("      - to: ask\n", "      - to: START\n");
    let d = diagnostics(&yaml)
        .into_iter()
        .find(|d| d.code == Code::EdgeToStart)
        .unwrap();
    assert_eq!(d.line, 28);
    assert_eq!(d.edge.as_ref().unwrap().from, "show");
}

#[test]
fn edges_name_existing_nodes() {
    let diags = diagnostics(&VALID.replace("    to: call", "    to: cal"));
    let d = diags.iter().find(|d| d.code == Code::UnknownNode).unwrap();
    assert_eq!(d.line, 23);
    assert!(d.hint.contains("Did you mean `call`?"), "{d}");
}

#[test]
fn input_nodes_need_output_model() {
    let yaml = VALID.replace("    output_model:\n      text: str\n", "");
    let d = diagnostics(&yaml);
    assert_eq!((d[0].code, d[0].line), (Code::MissingField, 6));
    assert!(d[0].message.contains("input nodes need `output_model`"));
}

#[test]
fn llm_nodes_need_a_prompt() {
    let yaml = VALID.replace(
        "  - name: show",
        "  - name: think\n    type: llm\n    system: hi\n  - name: show",
    );
    let found = found(&yaml);
    assert!(found.contains(&(Code::MissingField, 16)), "{found:?}");
}

#[test]
fn tool_nodes_need_known_tools() {
    let d = only(&VALID.replace("[echo.echo]", "[echo.ecko]"));
    assert_eq!((d.code, d.line), (Code::UnknownTool, 13));
    assert!(d.hint.contains("Did you mean `echo.echo`?"), "{d}");
    let yaml = VALID.replace("    tools_selection: [echo.echo]\n", "");
    assert_eq!(found(&yaml), vec![(Code::MissingField, 11)]);
}

#[test]
fn output_nodes_need_user_message() {
    let yaml = VALID.replace("    user_message: [\"You said:\", echoed.text]\n", "");
    assert_eq!(found(&yaml), vec![(Code::MissingField, 16)]);
}

#[test]
fn unreachable_nodes_and_dead_ends() {
    let yaml = VALID.replace(
        "flow:",
        "  - name: orphan\n    type: output\n    user_message: [hi]\nflow:",
    );
    assert_eq!(found(&yaml), vec![(Code::UnreachableNode, 19)]);
    let yaml = VALID.replace("  - from: call\n    to: show\n", "");
    let found = found(&yaml);
    assert!(found.contains(&(Code::DeadEnd, 11)), "{found:?}");
    assert!(found.contains(&(Code::UnreachableNode, 16)), "{found:?}");
}

#[test]
fn an_endless_loop_is_a_dead_end() {
    let yaml = VALID.replace("      - to: END\n", "      - to: call\n");
    let found = found(&yaml);
    assert!(found.contains(&(Code::EndUnreachable, 20)), "{found:?}");
    assert!(found.contains(&(Code::DeadEnd, 6)), "{found:?}");
}

#[test]
fn undefined_variables_are_reported_where_used() {
    let d = only(&VALID.replace("\"{text}\"", "\"{txt}\""));
    assert_eq!((d.code, d.line), (Code::UndefinedVariable, 14));
    assert!(d.hint.contains("Did you mean `text`?"), "{d}");
    let no_loop = VALID
        .replace("Say something to {who}", "Say {echoed.text}")
        .replace(
            "      - to: ask\n        condition: \"lambda x: x['text'] == 'again'\"\n",
            "",
        );
    let d = only(&no_loop);
    assert_eq!(
        (d.code, d.line, d.node.as_deref()),
        (Code::UndefinedVariable, 8, Some("ask"))
    );
}

#[test]
fn variables_set_later_in_a_loop_count_as_defined() {
    let yaml = VALID
        .replace("Say something to {who}", "Say something to {who}{{{text}}}")
        .replace(
            "  - from: START\n    to: ask\n",
            "  - from: START\n    to: call\n",
        )
        .replace("\"{text}\"", "\"hello\"");
    let found = found(&yaml);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn template_and_condition_syntax_errors() {
    let d = only(&VALID.replace("Say something to {who}", "Say {who"));
    assert_eq!((d.code, d.line), (Code::TemplateSyntax, 8));
    let d = only(&VALID.replace("x['text'] == 'again'", "x['text'] =="));
    assert_eq!((d.code, d.line), (Code::ConditionSyntax, 29));
    assert_eq!(d.edge.as_ref().unwrap().to, "ask");
}

#[test]
fn edges_after_an_unconditional_edge_are_never_tried() {
    let yaml = VALID.replace(
        "      - to: ask\n        condition: \"lambda x: x['text'] == 'again'\"\n      - to: END\n",
        "      - to: END\n      - to: ask\n        condition: \"lambda x: True\"\n",
    );
    assert_eq!(found(&yaml), vec![(Code::AmbiguousEdges, 29)]);
    let yaml = VALID.replace(
        "  - from: call\n    to: show\n",
        "  - from: call\n    to: show\n  - from: call\n    to: END\n",
    );
    assert_eq!(found(&yaml), vec![(Code::AmbiguousEdges, 26)]);
}

#[test]
fn feedback_keys_are_defined_in_validated_steps() {
    let yaml = VALID.replace(
        "    user_message: [\"You said:\", echoed.text]\n",
        "    user_message: [\"You said:\", echoed.text, \"{show_feedback}\"]\n    user_validation_required: true\n",
    );
    assert_eq!(found(&yaml), vec![]);
    let yaml = VALID.replace("You said:", "{feedback}");
    assert_eq!(found(&yaml), vec![(Code::UndefinedVariable, 18)]);
}

#[test]
fn every_error_is_reported_at_once_in_document_order() {
    let yaml = VALID
        .replace("description:", "descripton:")
        .replace("[echo.echo]", "[nope.nope]")
        .replace("    user_message: [\"You said:\", echoed.text]\n", "")
        .replace("      - to: ask\n", "      - to: START\n");
    let found = found(&yaml);
    assert_eq!(
        found,
        vec![
            (Code::UnknownField, 2),
            (Code::UnknownTool, 13),
            (Code::MissingField, 16),
            (Code::EdgeToStart, 27),
        ]
    );
}

#[test]
fn update_state_rules() {
    let base = VALID.replace(
        "  - name: show",
        "  - name: count\n    type: update_state\n    action: increment\n    output_model: {n: int}\n  - name: show",
    );
    let base = base.replace(
        "    to: show\n",
        "    to: count\n  - from: count\n    to: show\n",
    );
    assert_eq!(found(&base), vec![]);
    let both = base.replace(
        "    action: increment\n",
        "    action: increment\n    value: x\n    source_variable: text\n",
    );
    let codes: Vec<Code> = diagnostics(&both).iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        vec![Code::InvalidValue, Code::InvalidValue],
        "{both}"
    );
    let bad_action = base.replace("action: increment", "action: multiply");
    assert_eq!(
        found(&bad_action),
        vec![(Code::MissingField, 16), (Code::InvalidValue, 18)]
    );
}

proptest! {
    #[test]
    fn any_text_gives_a_flow_or_diagnostics_never_a_panic(text in "\\PC{0,200}") {
        let _ = validate_flow(&text, &tools(), &Limits::default());
    }

    /// Dropping any set of lines from a valid flow breaks it in many ways at once; the loader must
    /// report them (with a line inside the document) or accept the result, and never panic.
    #[test]
    fn dropping_lines_never_panics(mask in proptest::collection::vec(any::<bool>(), 100)) {
        let demo = include_str!("../../../../workflows/echo_loop.yaml");
        for document in [VALID, demo] {
            let kept: Vec<&str> = document
                .lines()
                .zip(mask.iter().chain(std::iter::repeat(&true)))
                .filter(|(_, keep)| **keep)
                .map(|(line, _)| line)
                .collect();
            let yaml = kept.join("\n");
            for d in validate_flow(&yaml, &tools(), &Limits::default()) {
                prop_assert!(d.line >= 1 && d.line <= kept.len() + 1, "{d}");
            }
        }
    }
}

#[test]
fn the_name_of_the_validate_route_is_reserved() {
    let d = only(&VALID.replacen("name: greet", "name: validate", 1));
    assert_eq!(d.code, Code::InvalidValue);
    assert_eq!(d.line, 1);
    assert!(d.message.contains("reserved"), "{}", d.message);
}

#[test]
fn a_typo_in_an_edge_target_is_one_unknown_node_not_an_endless_loop() {
    let typo = VALID.replace(
        "  - from: call\n    to: show",
        "  - from: call\n    to: shw",
    );
    assert_ne!(typo, VALID, "the fixture changed; fix the replacement");
    let diags = diagnostics(&typo);
    let unknown = diags
        .iter()
        .find(|d| d.code == Code::UnknownNode)
        .unwrap_or_else(|| panic!("{diags:#?}"));
    assert!(unknown.hint.contains("show"), "{unknown:?}");
    assert!(
        diags
            .iter()
            .all(|d| !d.message.contains("endless loop") && d.code != Code::EndUnreachable),
        "the typo's consequences are not reported as loops: {diags:#?}"
    );
}
