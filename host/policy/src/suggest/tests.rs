use std::path::Path;

use super::*;

const POLICY: &str = r#"# the demo policy
[limits]
timeout_ms = 10000

[plugins.jira]
http = [{ url = "http://127.0.0.1:8089/rest/api/2/", methods = ["GET", "POST", "PUT"] }]  # Jira
secrets = ["JIRA_TOKEN", "UNUSED_TOKEN"]
env = ["JIRA_BASE_URL"]
live = ["http"]

[plugins.workspace]
fs = [{ path = "/srv/ws", access = "rw" }, { path = "/srv/out", access = "rw", mount = "/out" }]
live = ["fs"]

[plugins.other]
http = [{ url = "https://api.github.com/", methods = ["GET"] }]
llm = true
"#;

fn effect(plugin: &str, capability: Capability, action: &str, outcome: Outcome) -> UsedEffect {
    UsedEffect {
        plugin: plugin.into(),
        capability,
        action: action.into(),
        outcome,
    }
}

fn run(trace: &[UsedEffect]) -> Suggestion {
    suggest(POLICY, "drydock.toml", Path::new("/"), trace).expect("suggestion")
}

fn change<'a>(s: &'a Suggestion, grant_starts: &str) -> &'a GrantChange {
    s.changes
        .iter()
        .find(|c| c.grant.starts_with(grant_starts))
        .unwrap_or_else(|| panic!("no change for `{grant_starts}` in {:#?}", s.changes))
}

fn demo_trace() -> Vec<UsedEffect> {
    vec![
        effect(
            "jira",
            Capability::Http,
            "GET http://127.0.0.1:8089/rest/api/2/issue/ABC-1",
            Outcome::Read,
        ),
        effect(
            "jira",
            Capability::Http,
            "POST http://127.0.0.1:8089/rest/api/2/issue/ABC-1/comment",
            Outcome::Simulated,
        ),
        effect(
            "jira",
            Capability::Secrets,
            "secret JIRA_TOKEN",
            Outcome::Read,
        ),
        effect(
            "workspace",
            Capability::Fs,
            "write /workspace/notes/a.md",
            Outcome::Simulated,
        ),
    ]
}

#[test]
fn a_grant_narrows_to_the_paths_and_methods_used_split_into_reads_and_writes() {
    let s = run(&demo_trace());
    let policy = Policy::parse(&s.policy, "suggested", Path::new("/")).expect("valid policy");
    let jira = policy.grants("jira");
    let shown: Vec<String> = jira
        .http
        .iter()
        .map(|g| format!("{} [{}]", g.prefix, g.methods_list()))
        .collect();
    assert_eq!(
        shown,
        [
            "http://127.0.0.1:8089/rest/api/2/issue/ABC-1 [GET]",
            "http://127.0.0.1:8089/rest/api/2/issue/ABC-1/comment [POST]",
        ]
    );
    assert_eq!(
        change(&s, "http http://127.0.0.1").change,
        ChangeKind::Narrowed
    );
    assert!(
        s.diff
            .contains("-http = [{ url = \"http://127.0.0.1:8089/rest/api/2/\""),
        "{}",
        s.diff
    );
    // The comment after the list survives the edit.
    assert!(s.policy.contains("# Jira"), "{}", s.policy);
}

#[test]
fn unread_secrets_unused_rw_dirs_and_untraced_grants_are_named() {
    let s = run(&demo_trace());
    let policy = Policy::parse(&s.policy, "suggested", Path::new("/")).expect("valid policy");
    assert_eq!(
        policy.grants("jira").secrets,
        ["JIRA_TOKEN".to_owned()].into()
    );
    assert_eq!(change(&s, "secret UNUSED_TOKEN").change, ChangeKind::Unused);
    assert_eq!(change(&s, "env JIRA_BASE_URL").change, ChangeKind::Untraced);
    let ws = policy.grants("workspace");
    assert_eq!(ws.fs[0].access, crate::FsAccess::ReadWrite);
    assert_eq!(ws.fs[1].access, crate::FsAccess::ReadOnly);
    assert_eq!(change(&s, "fs /srv/out").change, ChangeKind::ReadOnly);
    let unused: Vec<&str> = s.unused().map(|c| c.grant.as_str()).collect();
    assert_eq!(unused, ["secret UNUSED_TOKEN"]);
}

#[test]
fn plugins_outside_the_trace_and_the_rest_of_the_file_stay_as_written() {
    let s = run(&demo_trace());
    assert_eq!(s.plugins, ["jira", "workspace"]);
    assert!(
        s.policy
            .starts_with("# the demo policy\n[limits]\ntimeout_ms = 10000\n")
    );
    assert!(s.policy.ends_with(
        "[plugins.other]\nhttp = [{ url = \"https://api.github.com/\", methods = [\"GET\"] }]\nllm = true\n"
    ));
}

#[test]
fn a_plugin_whose_grants_all_went_unused_loses_them_and_its_live_list() {
    let trace = [effect("other", Capability::Env, "env X", Outcome::Read)];
    let s = run(&trace);
    let policy = Policy::parse(&s.policy, "suggested", Path::new("/")).expect("valid policy");
    let other = policy.grants("other");
    assert!(other.http.is_empty() && !other.llm, "{}", s.policy);
    assert_eq!(change(&s, "llm").change, ChangeKind::Unused);

    let trace = [effect(
        "jira",
        Capability::Http,
        "GET http://127.0.0.1:8089/rest/api/2/myself",
        Outcome::Read,
    )];
    let s = run(&trace);
    let policy = Policy::parse(&s.policy, "suggested", Path::new("/")).expect("valid policy");
    assert!(policy.grants("jira").live.is_empty(), "{}", s.policy);
    assert_eq!(change(&s, "live http").change, ChangeKind::Unused);
}

#[test]
fn denied_effects_are_listed_and_never_granted() {
    let mut trace = demo_trace();
    trace.push(effect(
        "jira",
        Capability::Http,
        "DELETE http://127.0.0.1:8089/rest/api/2/issue/ABC-1",
        Outcome::Denied,
    ));
    let s = run(&trace);
    assert!(!s.policy.contains("DELETE"));
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("DELETE") && n.contains("denied")),
        "{:?}",
        s.notes
    );
}

#[test]
fn a_grant_used_as_written_is_kept_and_nothing_changes() {
    let policy = "[plugins.p]\nhttp = [{ url = \"https://h.example/a\", methods = [\"GET\"] }]\n";
    let trace = [effect(
        "p",
        Capability::Http,
        "GET https://h.example/a",
        Outcome::Read,
    )];
    let s = suggest(policy, "p.toml", Path::new("/"), &trace).expect("suggestion");
    assert_eq!(s.policy, policy);
    assert_eq!(s.diff, "");
    assert_eq!(s.changes[0].change, ChangeKind::Kept);
}

#[test]
fn grants_written_as_tables_stay_tables() {
    let policy =
        "[[plugins.p.http]]\nurl = \"https://h.example/\"\nmethods = [\"GET\", \"POST\"]\n";
    let trace = [
        effect(
            "p",
            Capability::Http,
            "GET https://h.example/a/x",
            Outcome::Read,
        ),
        effect(
            "p",
            Capability::Http,
            "GET https://h.example/a/y?q=1",
            Outcome::Read,
        ),
    ];
    let s = suggest(policy, "p.toml", Path::new("/"), &trace).expect("suggestion");
    assert!(s.policy.contains("[[plugins.p.http]]"), "{}", s.policy);
    let parsed = Policy::parse(&s.policy, "s", Path::new("/")).expect("valid");
    assert_eq!(
        parsed.grants("p").http[0].prefix.to_string(),
        "https://h.example/a/"
    );
    assert_eq!(parsed.grants("p").http[0].methods_list(), "GET");
}

#[test]
fn common_path_stops_on_segment_boundaries() {
    assert_eq!(common_path(["/a/b"]), "/a/b");
    assert_eq!(common_path(["/a/b/c", "/a/b/d"]), "/a/b/");
    assert_eq!(common_path(["/a/b", "/a/b/c"]), "/a/b");
    assert_eq!(common_path(["/ab/c", "/ac/c"]), "/");
    assert_eq!(common_path(["/rest/apiary", "/rest/api"]), "/rest/");
}

#[test]
fn an_invalid_policy_file_is_its_own_error() {
    let err =
        suggest("[plugins.p]\nhttp = 3\n", "p.toml", Path::new("/"), &[]).expect_err("invalid");
    assert!(err.to_string().contains("p.toml"), "{err}");
}

#[test]
fn a_plugin_without_grants_in_the_file_is_noted() {
    let trace = [effect(
        "installed",
        Capability::Secrets,
        "secret X",
        Outcome::Read,
    )];
    let s = run(&trace);
    assert!(
        s.notes.iter().any(|n| n.contains("`installed`")),
        "{:?}",
        s.notes
    );
    assert_eq!(s.policy, POLICY);
}
