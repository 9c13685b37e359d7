//! Tests of the policy file: the example from the design handbook, then one test per refusal, each
//! checking that the error points at `file:line:column` and names what is wrong.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::*;
use crate::capability::Capability;
use crate::grants::{FsAccess, HttpMethod};

const EXAMPLE: &str = r#"
# optional defaults for every plugin
[limits]
timeout_ms = 5000
memory_mib = 64

[plugins.jira]
http    = [{ url = "https://jira.example.com/rest/api/2/", methods = ["GET", "POST"] }]
secrets = ["JIRA_TOKEN"]
env     = ["JIRA_BASE_URL"]
live    = ["http"]
component_sha256 = "AB12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12"

[plugins.workspace]
fs   = [{ path = "./workspace", access = "rw" }, { path = "../shared/docs/", access = "ro", mount = "/docs" }]
llm  = false
live = []
[plugins.workspace.limits]
timeout_ms = 2000
"#;

fn parse(text: &str) -> Result<Policy, PolicyError> {
    Policy::parse(text, "policy.toml", Path::new("/etc/drydock"))
}

/// Parses `text`, expects an error, and returns its Display.
fn error(text: &str) -> String {
    parse(text)
        .expect_err("policy should be refused")
        .to_string()
}

#[test]
fn parses_the_handbook_example() {
    let policy = parse(EXAMPLE).unwrap();
    let jira = policy.grants("jira");
    assert_eq!(
        jira.http[0].prefix.to_string(),
        "https://jira.example.com/rest/api/2/"
    );
    assert_eq!(
        jira.http[0].methods,
        BTreeSet::from([HttpMethod::Get, HttpMethod::Post])
    );
    assert!(jira.secrets.contains("JIRA_TOKEN") && jira.env.contains("JIRA_BASE_URL"));
    assert_eq!(
        jira.component_sha256.as_deref(),
        Some("ab12".repeat(16).as_str())
    );
    assert_eq!(
        (jira.limits.timeout_ms, jira.limits.memory_mib),
        (Some(5000), Some(64))
    );

    let workspace = policy.grants("workspace");
    assert_eq!(workspace.fs[0].dir, PathBuf::from("/etc/drydock/workspace"));
    assert_eq!(workspace.fs[0].access, FsAccess::ReadWrite);
    assert_eq!(workspace.fs[1].dir, PathBuf::from("/etc/shared/docs"));
    assert_eq!(
        (workspace.limits.timeout_ms, workspace.limits.memory_mib),
        (Some(2000), Some(64))
    );
    assert_eq!(
        policy.plugins().map(|(name, _)| name).collect::<Vec<_>>(),
        ["jira", "workspace"]
    );
}

#[test]
fn initial_live_policy_comes_from_each_plugins_live_list() {
    let live = parse(EXAMPLE).unwrap().initial_live_policy();
    assert!(live.may_go_live("jira", Capability::Http));
    assert!(live.allowed("workspace").is_empty());
}

#[test]
fn unknown_plugin_gets_nothing() {
    let policy = parse(EXAMPLE).unwrap();
    assert_eq!(policy.grants("stranger"), &PluginGrants::EMPTY);
    assert_eq!(Policy::empty().grants("jira"), &PluginGrants::EMPTY);
}

#[test]
fn unknown_key_names_the_key_and_its_line() {
    let message = error("[plugins.jira]\nsecrets = [\"A\"]\nsecretz = [\"B\"]\n");
    assert!(message.starts_with("policy.toml:3:1: "), "{message}");
    assert!(message.contains("secretz"), "{message}");
    let nested = error(
        "[plugins.jira]\nhttp = [{ url = \"https://a.example/\", methods = [\"GET\"], verbs = 1 }]\n",
    );
    assert!(
        nested.starts_with("policy.toml:2:") && nested.contains("verbs"),
        "{nested}"
    );
    assert!(error("[limit]\ntimeout_ms = 1\n").contains("limit"));
}

#[test]
fn invalid_url_prefix_is_refused_with_plugin_and_line() {
    let message =
        error("[plugins.jira]\nhttp = [{ url = \"https://u@a.example/\", methods = [\"GET\"] }]\n");
    assert!(
        message.starts_with("policy.toml:2:17: plugin `jira`: invalid URL prefix"),
        "{message}"
    );
    assert!(message.contains("userinfo"), "{message}");
}

#[test]
fn unknown_or_missing_methods_are_refused() {
    let message = error(
        "[plugins.jira]\nhttp = [{ url = \"https://a.example/\", methods = [\"GET\", \"FETCH\"] }]\n",
    );
    assert!(
        message.starts_with("policy.toml:2:") && message.contains("`FETCH`"),
        "{message}"
    );
    assert!(
        error("[plugins.jira]\nhttp = [{ url = \"https://a.example/\", methods = [] }]\n")
            .contains("no methods")
    );
    assert!(
        error("[plugins.jira]\nhttp = [{ url = \"https://a.example/\" }]\n").contains("methods")
    );
}

#[test]
fn unknown_live_capability_is_refused() {
    let message = error("[plugins.jira]\nlive = [\"sockets\"]\n");
    assert!(
        message.starts_with("policy.toml:2:9: plugin `jira`: ") && message.contains("`sockets`"),
        "{message}"
    );
}

#[test]
fn live_capability_without_a_grant_is_refused() {
    let message = error("[plugins.jira]\nlive = [\"fs\"]\n");
    assert!(
        message.contains("`live` lists `fs` but the plugin has no fs grant"),
        "{message}"
    );
    let read_only =
        error("[plugins.w]\nfs = [{ path = \"/w\", access = \"ro\" }]\nlive = [\"fs\"]\n");
    assert!(read_only.contains("read-only"), "{read_only}");
    assert!(error("[plugins.jira]\nlive = [\"http\"]\n").contains("no http grant"));
    assert!(
        error("[plugins.jira]\nsecrets = [\"A\"]\nlive = [\"secrets\"]\n").contains("no writes")
    );
}

#[test]
fn fs_access_other_than_ro_or_rw_is_refused() {
    let message = error("[plugins.w]\nfs = [{ path = \"/w\", access = \"write\" }]\n");
    assert!(
        message.contains("plugin `w`") && message.contains("`write`"),
        "{message}"
    );
}

#[test]
fn duplicate_fs_dirs_are_refused_even_when_spelled_differently() {
    let message = error(
        "[plugins.w]\nfs = [{ path = \"/w\", access = \"ro\" },\n  { path = \"/x/../w/\", access = \"rw\" }]\n",
    );
    assert!(
        message.starts_with("policy.toml:3:") && message.contains("granted twice"),
        "{message}"
    );
}

#[test]
fn fs_path_climbing_above_root_is_refused() {
    assert!(
        error("[plugins.w]\nfs = [{ path = \"../../../..\", access = \"ro\" }]\n")
            .contains("climbs above")
    );
}

#[test]
fn bad_plugin_names_are_refused() {
    for name in ["Jira", "_jira", "\"ji.ra\"", "\"\"", &"a".repeat(65)] {
        let message = error(&format!("[plugins.{name}]\n"));
        assert!(
            message.starts_with("policy.toml:1:") && message.contains("plugin name"),
            "{name}: {message}"
        );
    }
    assert!(parse(&format!("[plugins.{}]\n[plugins.0-a_b]\n", "a".repeat(64))).is_ok());
}

#[test]
fn bad_secret_and_env_names_are_refused() {
    assert!(
        error("[plugins.p]\nsecrets = [\"JIRA-TOKEN\"]\n").contains("secret name `JIRA-TOKEN`")
    );
    assert!(error("[plugins.p]\nenv = [\"1PATH\"]\n").contains("env variable name `1PATH`"));
}

#[test]
fn drydock_env_names_are_reserved() {
    let message = error("[plugins.p]\nenv = [\"HOME\", \"DRYDOCK_LIVE\"]\n");
    assert!(
        message.starts_with("policy.toml:2:16: plugin `p`: ") && message.contains("reserved"),
        "{message}"
    );
}

#[test]
fn zero_limits_are_refused() {
    assert!(
        error("[limits]\nfuel = 0\n")
            .starts_with("policy.toml:2:8: limit `fuel` must be above zero")
    );
    let message = error("[plugins.p.limits]\nmemory_mib = 0\n");
    assert!(
        message.contains("plugin `p`") && message.contains("memory_mib"),
        "{message}"
    );
    assert!(error("[limits]\ntimeout_ms = -1\n").starts_with("policy.toml:2:"));
}

#[test]
fn component_sha256_must_be_64_hex_characters() {
    let message = error("[plugins.p]\ncomponent_sha256 = \"ab12\"\n");
    assert!(
        message.contains("component_sha256") && message.contains("64 hex"),
        "{message}"
    );
    assert!(
        error(&format!(
            "[plugins.p]\ncomponent_sha256 = \"{}\"\n",
            "g".repeat(64)
        ))
        .contains("64 hex")
    );
}

#[test]
fn toml_syntax_errors_have_a_location() {
    assert!(error("[plugins.p\n").starts_with("policy.toml:1:"));
}

#[test]
fn load_resolves_relative_paths_against_the_files_directory() {
    let dir = std::env::temp_dir().join(format!("drydock-policy-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("policy.toml");
    std::fs::write(
        &file,
        "[plugins.w]\nfs = [{ path = \"ws\", access = \"rw\" }]\n",
    )
    .unwrap();
    let policy = Policy::load(&file);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(policy.unwrap().grants("w").fs[0].dir, dir.join("ws"));
    let missing = Policy::load(Path::new("/nonexistent/drydock/policy.toml")).unwrap_err();
    assert!(matches!(missing, PolicyError::Read { .. }));
}

#[test]
fn the_first_fs_grant_is_mounted_at_workspace_and_others_need_a_mount() {
    let policy = parse(
        "[plugins.w]\nfs = [{ path = \"/w\", access = \"ro\" },\n  { path = \"/d\", access = \"rw\", mount = \"/data\" }]\n",
    )
    .unwrap();
    let mounts: Vec<&str> = policy
        .grants("w")
        .fs
        .iter()
        .map(|g| g.mount.as_str())
        .collect();
    assert_eq!(mounts, ["/workspace", "/data"]);
    let missing = error(
        "[plugins.w]\nfs = [{ path = \"/w\", access = \"ro\" },\n  { path = \"/d\", access = \"rw\" }]\n",
    );
    assert!(
        missing.starts_with("policy.toml:3:") && missing.contains("needs a `mount`"),
        "{missing}"
    );
}

#[test]
fn fs_mounts_must_be_clean_absolute_guest_paths_used_once() {
    for bad in ["data", "/", "/a/../b", "/a/", "/a b", "/a//b"] {
        let message = error(&format!(
            "[plugins.w]\nfs = [{{ path = \"/w\", access = \"ro\", mount = \"{bad}\" }}]\n"
        ));
        assert!(message.contains("fs mount"), "{bad}: {message}");
    }
    let twice = error(
        "[plugins.w]\nfs = [{ path = \"/w\", access = \"ro\", mount = \"/m\" },\n  { path = \"/d\", access = \"ro\", mount = \"/m\" }]\n",
    );
    assert!(twice.contains("used twice"), "{twice}");
}

const KEY_A: &str = "ed25519:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
const KEY_B: &str = "ed25519:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";

#[test]
fn trusts_nobody_and_requires_no_signature_by_default() {
    let trust = parse(EXAMPLE).unwrap().trust().clone();
    assert!(trust.keys.is_empty() && !trust.require_signature);
}

#[test]
fn parses_trusted_keys_and_the_signature_requirement() {
    let text = format!(
        "[trust]\nkeys = [{{ name = \"acme\", key = \"{KEY_A}\" }}, {{ name = \"beta\", key = \"{KEY_B}\" }}]\n\
         require_signature = true\n"
    );
    let policy = parse(&text).unwrap();
    let trust = policy.trust();
    assert!(trust.require_signature);
    assert_eq!(trust.keys[0].name, "acme");
    assert_eq!(trust.keys[1].key.to_string(), KEY_B);
    assert_eq!(trust.signer(&trust.keys[0].key).unwrap().name, "acme");
}

#[test]
fn refuses_unknown_keys_in_trust() {
    let message = error("[trust]\nrequire_signatures = true\n");
    assert!(
        message.contains("policy.toml:2:1") && message.contains("require_signatures"),
        "{message}"
    );
}

#[test]
fn refuses_a_trusted_key_that_is_not_ed25519_base64() {
    let message = error("[trust]\nkeys = [{ name = \"acme\", key = \"ssh-ed25519 AAAA\" }]\n");
    assert!(
        message.contains("policy.toml:2:") && message.contains("ed25519:<base64>"),
        "{message}"
    );
}

#[test]
fn refuses_the_same_signer_name_or_key_twice() {
    let twice_named = format!(
        "[trust]\nkeys = [{{ name = \"acme\", key = \"{KEY_A}\" }}, {{ name = \"acme\", key = \"{KEY_B}\" }}]\n"
    );
    assert!(error(&twice_named).contains("`acme` is listed twice"));
    let twice_keyed = format!(
        "[trust]\nkeys = [{{ name = \"acme\", key = \"{KEY_A}\" }}, {{ name = \"beta\", key = \"{KEY_A}\" }}]\n"
    );
    assert!(error(&twice_keyed).contains("listed twice"));
}

#[test]
fn refuses_requiring_signatures_without_any_trusted_key() {
    let message = error("[trust]\nrequire_signature = true\n");
    assert!(
        message.contains("policy.toml:2:21") && message.contains("lists no keys"),
        "{message}"
    );
}
