//! The template planner turns a work item into a deterministic DAG whose steps name real tools.

use std::collections::BTreeSet;

use drydock_tests::plugins::{ECHO, JIRA, TEMPLATE_PLANNER, WORKSPACE};
use serde_json::json;

use crate::support::{HostOptions, host};

#[tokio::test]
async fn a_work_item_becomes_a_dag_of_nodes_with_real_tools() {
    let runtime = host(
        "",
        &[TEMPLATE_PLANNER, WORKSPACE, JIRA, ECHO],
        HostOptions::default(),
    )
    .await;
    let item = json!({"id": "ABC-123", "title": "Add retry to the uploader", "description": "Uploads fail on flaky networks", "type": "feature", "labels": ["backend"]});
    let report = runtime
        .generate_plan("template_planner", &item, "corr-1")
        .await;
    let plan = report.outcome.as_ref().expect("a plan");
    let nodes = plan["nodes"].as_array().expect("nodes");
    assert!(nodes.len() >= 2, "{plan}");
    let tools: BTreeSet<String> = runtime.tools().into_iter().map(|t| t.name).collect();
    let ids: BTreeSet<&str> = nodes
        .iter()
        .map(|n| n["nodeId"].as_str().unwrap())
        .collect();
    for node in nodes {
        assert!(
            node["suggestedBranch"]
                .as_str()
                .unwrap()
                .starts_with("feature/ABC-123-"),
            "{node}"
        );
        for dep in node["dependsOn"].as_array().unwrap() {
            assert!(
                ids.contains(dep.as_str().unwrap()),
                "unknown dependency in {node}"
            );
        }
        for step in node["steps"].as_array().unwrap() {
            assert!(
                tools.contains(step["tool"].as_str().unwrap()),
                "unknown tool in {step}"
            );
        }
    }
    let again = runtime
        .generate_plan("template_planner", &item, "corr-2")
        .await;
    assert_eq!(
        again.outcome.as_ref().unwrap(),
        plan,
        "the template planner is deterministic"
    );
}

#[tokio::test]
async fn an_empty_work_item_is_refused_with_a_reason() {
    let runtime = host("", &[TEMPLATE_PLANNER], HostOptions::default()).await;
    let report = runtime
        .generate_plan("template_planner", &json!({}), "corr")
        .await;
    let err = report.outcome.unwrap_err();
    assert_eq!(err.code(), "tool_failed");
}
