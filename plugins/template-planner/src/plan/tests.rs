use drydock_plugin_sdk::{object_schema, tool_spec};

use super::*;

fn all_tools() -> Vec<ToolSpec> {
    let path = json!({"type": "string"});
    let key = json!({"type": "string", "pattern": "^[A-Z][A-Z0-9]+-[0-9]+$"});
    vec![
        tool_spec(
            "workspace.list_files",
            "",
            &object_schema(json!({"path": path, "recursive": {"type": "boolean"}}), &[]),
        ),
        tool_spec(
            "workspace.search",
            "",
            &object_schema(
                json!({"pattern": {"type": "string", "minLength": 1}, "path": path}),
                &["pattern"],
            ),
        ),
        tool_spec(
            "workspace.write_file",
            "",
            &object_schema(
                json!({"path": path, "content": {"type": "string"}}),
                &["path", "content"],
            ),
        ),
        tool_spec(
            "jira.get_issue",
            "",
            &object_schema(json!({"key": key}), &["key"]),
        ),
        tool_spec(
            "jira.add_comment",
            "",
            &object_schema(
                json!({"key": key, "body": {"type": "string"}}),
                &["key", "body"],
            ),
        ),
    ]
}

fn only(names: &[&str]) -> Vec<ToolSpec> {
    all_tools()
        .into_iter()
        .filter(|spec| names.contains(&spec.name.as_str()))
        .collect()
}

fn item() -> WorkItem {
    WorkItem {
        id: "ABC-123".to_owned(),
        title: "Fix the login timeout".to_owned(),
        description: "Users are logged out after a minute.".to_owned(),
        kind: Some("bug".to_owned()),
        labels: vec!["auth".to_owned(), "backend".to_owned()],
        requirements: Vec::new(),
    }
}

fn tools_of(node: &Value) -> Vec<&str> {
    node["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["tool"].as_str().unwrap())
        .collect()
}

#[test]
fn full_toolset_gives_analyze_implement_report() {
    let plan = plan(&item(), &all_tools()).unwrap();
    let nodes = plan["nodes"].as_array().unwrap();
    let ids: Vec<_> = nodes
        .iter()
        .map(|node| node["nodeId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["analyze", "implement", "report"]);
    assert_eq!(nodes[0]["dependsOn"], json!([]));
    assert_eq!(nodes[1]["dependsOn"], json!(["analyze"]));
    assert_eq!(nodes[2]["dependsOn"], json!(["implement"]));
    assert_eq!(
        tools_of(&nodes[0]),
        [
            "jira.get_issue",
            "workspace.list_files",
            "workspace.search",
            "workspace.search",
            "workspace.search"
        ]
    );
    assert_eq!(nodes[1]["steps"][0]["args"]["path"], "notes/ABC-123.md");
    assert_eq!(tools_of(&nodes[2]), ["jira.add_comment"]);
    assert_eq!(
        nodes[0]["suggestedBranch"],
        "fix/ABC-123-fix-the-login-timeout"
    );
    assert_eq!(
        nodes[0]["tags"],
        json!(["bug", "auth", "backend", "analysis"])
    );
}

#[test]
fn without_jira_the_report_is_a_file() {
    let plan = plan(
        &item(),
        &only(&[
            "workspace.list_files",
            "workspace.search",
            "workspace.write_file",
        ]),
    )
    .unwrap();
    let nodes = plan["nodes"].as_array().unwrap();
    assert!(!tools_of(&nodes[0]).contains(&"jira.get_issue"));
    assert_eq!(tools_of(&nodes[2]), ["workspace.write_file"]);
    assert_eq!(nodes[2]["steps"][0]["args"]["path"], "reports/ABC-123.md");
}

#[test]
fn nodes_without_steps_are_dropped_and_rewired() {
    let plan = plan(&item(), &only(&["workspace.write_file"])).unwrap();
    let nodes = plan["nodes"].as_array().unwrap();
    let ids: Vec<_> = nodes
        .iter()
        .map(|node| node["nodeId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["implement", "report"]);
    assert_eq!(nodes[0]["dependsOn"], json!([]));
    assert_eq!(nodes[1]["dependsOn"], json!(["implement"]));
}

#[test]
fn no_usable_tool_is_an_error() {
    assert!(
        plan(&item(), &[])
            .unwrap_err()
            .contains("none of the tools")
    );
}

#[test]
fn a_tool_whose_schema_does_not_fit_is_not_used() {
    let mut tools = only(&["workspace.write_file"]);
    tools.push(tool_spec(
        "workspace.search",
        "",
        &object_schema(json!({"regex": {"type": "string"}}), &["regex"]),
    ));
    let plan = plan(&item(), &tools).unwrap();
    assert_eq!(plan["nodes"][0]["nodeId"], "implement");
}

#[test]
fn the_same_input_gives_byte_identical_plans() {
    let first = plan(&item(), &all_tools()).unwrap().to_string();
    let second = plan(&item(), &all_tools()).unwrap().to_string();
    assert_eq!(first, second);
}

#[test]
fn a_request_plans_without_jira_even_when_offered() {
    let request =
        WorkItem::from_request(&json!({"request": "Document the deployment process"})).unwrap();
    let plan = plan(&request, &all_tools()).unwrap();
    let nodes = plan["nodes"].as_array().unwrap();
    assert_eq!(
        tools_of(&nodes[0]),
        [
            "workspace.list_files",
            "workspace.search",
            "workspace.search"
        ]
    );
    assert_eq!(tools_of(&nodes[2]), ["workspace.write_file"]);
    assert_eq!(
        nodes[0]["suggestedBranch"],
        "feature/REQ-document-the-deployment-process"
    );
}

#[test]
fn every_step_fits_its_tool_schema() {
    let tools = all_tools();
    let plan = plan(&item(), &tools).unwrap();
    for node in plan["nodes"].as_array().unwrap() {
        for step in node["steps"].as_array().unwrap() {
            let spec = tools.iter().find(|spec| spec.name == step["tool"]).unwrap();
            let schema: Value = serde_json::from_str(&spec.input_schema).unwrap();
            assert!(fits_schema(&schema, &step["args"]), "{step}");
        }
    }
}

#[test]
fn each_requirement_is_a_node_between_analysis_and_implementation() {
    let mut item = item();
    item.requirements = vec!["use t3.medium instances".into(), "add CloudFront".into()];
    let plan = plan(&item, &all_tools()).unwrap();
    let nodes = plan["nodes"].as_array().unwrap();
    let ids: Vec<&str> = nodes
        .iter()
        .map(|n| n["nodeId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["analyze", "req-1", "req-2", "implement", "report"]);
    assert_eq!(nodes[1]["dependsOn"], serde_json::json!(["analyze"]));
    assert_eq!(nodes[2]["dependsOn"], serde_json::json!(["analyze"]));
    assert_eq!(nodes[3]["dependsOn"], serde_json::json!(["req-1", "req-2"]));
    assert_eq!(nodes[1]["title"], "Requirement 1: use t3.medium instances");
    assert_eq!(tools_of(&nodes[2]), ["workspace.write_file"]);
    let notes = nodes[3]["steps"][0]["args"]["content"].as_str().unwrap();
    assert!(
        notes.contains("1. use t3.medium instances\n2. add CloudFront"),
        "{notes}"
    );
}
