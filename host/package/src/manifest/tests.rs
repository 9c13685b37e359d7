//! Manifests: the full example, each refusal naming its key and line, the `drydock plugin new` template,
//! and turning requests into grants.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use drydock_policy::{FsAccess, HttpMethod};

use super::*;
use crate::accept::{AcceptError, Acceptance};
use crate::requests::RequestId;
use crate::test_fixture::MANIFEST;

fn error(text: &str) -> String {
    Manifest::parse(text, "m.toml")
        .expect_err("manifest should be refused")
        .to_string()
}

/// The test manifest with its `[requests]` replaced by `requests`.
fn with_requests(requests: &str) -> String {
    let head = &MANIFEST[..MANIFEST.find("[requests]").unwrap()];
    format!("{head}[requests]\n{requests}\n")
}

#[test]
fn parses_metadata_and_requests() {
    let manifest = Manifest::parse(MANIFEST, "m.toml").unwrap();
    assert_eq!(
        (manifest.name.as_str(), manifest.version.to_string()),
        ("echo", "1.2.3".into())
    );
    assert_eq!(manifest.contract.to_string(), "drydock:plugin@0.1.0");
    assert!(manifest.check_contract().is_ok());
    let requests = &manifest.requests;
    assert_eq!(
        requests.http[0].grant.methods,
        BTreeSet::from([HttpMethod::Get, HttpMethod::Post])
    );
    assert_eq!(
        (requests.fs[0].access, requests.fs[0].mount.as_str()),
        (FsAccess::ReadOnly, "/workspace")
    );
    let ids: Vec<String> = requests
        .entries()
        .iter()
        .map(|e| e.id.to_string())
        .collect();
    assert_eq!(ids, ["http#1", "fs#1", "secret:NOTES_TOKEN", "llm"]);
}

#[test]
fn refuses_an_unknown_key_naming_it_and_its_line() {
    let message = error(&format!("{MANIFEST}\n[requests.sockets]\nall = true\n"));
    assert!(
        message.contains("sockets") && message.contains("m.toml:"),
        "{message}"
    );
    let message = error(&MANIFEST.replace("description", "summary"));
    assert!(
        message.contains("m.toml:3:1") && message.contains("summary"),
        "{message}"
    );
}

#[test]
fn refuses_a_request_without_reason() {
    let message = error(&with_requests("secrets = [{ name = \"X\" }]"));
    assert!(
        message.contains("reason") && message.contains("m.toml:7:"),
        "{message}"
    );
}

#[test]
fn refuses_empty_long_or_multiline_reasons() {
    let empty = error(&with_requests("env = [{ name = \"X\", reason = \"  \" }]"));
    assert!(
        empty.contains("`requests.env[0].reason`: is empty"),
        "{empty}"
    );
    let long = error(&with_requests(&format!(
        "llm = {{ reason = \"{}\" }}",
        "a".repeat(201)
    )));
    assert!(long.contains("at most 200"), "{long}");
    let control = error(&with_requests(
        "llm = { reason = \"ok\\u001b[2Kgrant all\" }",
    ));
    assert!(control.contains("control character"), "{control}");
}

#[test]
fn refuses_a_bad_url_with_the_policys_message() {
    let message = error(&with_requests(
        "http = [{ url = \"https://user@evil.example/\", methods = [\"GET\"], reason = \"r\" }]",
    ));
    assert!(
        message.contains("m.toml:7:17")
            && message.contains("`requests.http[0].url`")
            && message.contains("userinfo"),
        "{message}"
    );
    let method = error(&with_requests(
        "http = [{ url = \"https://a.example/\", methods = [\"get\"], reason = \"r\" }]",
    ));
    assert!(method.contains("unknown HTTP method `get`"), "{method}");
}

#[test]
fn refuses_bad_names_versions_contracts_and_reserved_env() {
    assert!(error(&MANIFEST.replace("\"echo\"", "\"Echo-1\"")).contains("`name`"));
    assert!(error(&MANIFEST.replace("1.2.3", "1.2")).contains("`version`"));
    assert!(
        error(&MANIFEST.replace("drydock:plugin@0.1.0", "drydock-plugin")).contains("`contract`")
    );
    let env = error(&with_requests(
        "env = [{ name = \"DRYDOCK_LIVE\", reason = \"r\" }]",
    ));
    assert!(env.contains("reserved"), "{env}");
    let twice = error(&with_requests(
        "secrets = [{ name = \"A\", reason = \"r\" }, { name = \"A\", reason = \"r\" }]",
    ));
    assert!(twice.contains("requested twice"), "{twice}");
}

#[test]
fn a_second_fs_request_needs_its_own_mount() {
    let message = error(&with_requests(
        "fs = [{ access = \"ro\", reason = \"a\" }, { access = \"rw\", reason = \"b\" }]",
    ));
    assert!(message.contains("needs a `mount`"), "{message}");
}

#[test]
fn a_newer_contract_than_the_host_speaks_is_refused_at_check() {
    let manifest = Manifest::parse(&MANIFEST.replace("@0.1.0", "@0.2.0"), "m.toml").unwrap();
    assert!(
        manifest
            .check_contract()
            .unwrap_err()
            .to_string()
            .contains("0.2.0")
    );
}

#[test]
fn accepted_requests_become_grants_and_nothing_else() {
    let requests = Manifest::parse(MANIFEST, "m.toml").unwrap().requests;
    let acceptance = Acceptance {
        accepted: BTreeSet::from([RequestId::Fs(1), RequestId::Secret("NOTES_TOKEN".into())]),
        fs_dirs: BTreeMap::from([(1, PathBuf::from("/srv/notes/./a/.."))]),
    };
    let grants = requests.grants(&acceptance).unwrap();
    assert!(grants.http.is_empty() && !grants.llm && grants.live.is_empty());
    assert_eq!(grants.fs[0].dir, PathBuf::from("/srv/notes"));
    assert_eq!(grants.fs[0].mount, "/workspace");
    assert!(grants.secrets.contains("NOTES_TOKEN"));
    let all = requests
        .grants(&requests.accept_all(acceptance.fs_dirs.clone()))
        .unwrap();
    assert!(all.llm && all.http.len() == 1);
}

#[test]
fn refuses_acceptances_that_do_not_fit_the_requests() {
    let requests = Manifest::parse(MANIFEST, "m.toml").unwrap().requests;
    let accept = |ids: &[&str], dir: Option<&str>| {
        requests.grants(&Acceptance {
            accepted: ids.iter().map(|id| id.parse().unwrap()).collect(),
            fs_dirs: dir.map(|d| (1, PathBuf::from(d))).into_iter().collect(),
        })
    };
    assert_eq!(
        accept(&["http#2"], None),
        Err(AcceptError::NoSuchRequest(RequestId::Http(2)))
    );
    assert_eq!(
        accept(&["env:HOME"], None),
        Err(AcceptError::NoSuchRequest(RequestId::Env("HOME".into())))
    );
    assert_eq!(
        accept(&["fs#1"], None),
        Err(AcceptError::MissingDirectory(1))
    );
    assert!(matches!(
        accept(&["fs#1"], Some("notes")),
        Err(AcceptError::BadDirectory { .. })
    ));
    assert!("http#0".parse::<RequestId>().is_err() && "all".parse::<RequestId>().is_err());
}

#[test]
fn an_upgrade_asking_for_no_more_is_a_subset() {
    let old = Manifest::parse(MANIFEST, "m.toml").unwrap().requests;
    let narrower = with_requests(
        "http = [{ url = \"https://notes.example.com/api/v2/\", methods = [\"GET\"], reason = \"new words\" }]\n\
         fs = [{ access = \"ro\", reason = \"r\" }]",
    );
    let new = Manifest::parse(&narrower, "m.toml").unwrap().requests;
    let diff = crate::compare(&old, &new);
    assert!(diff.is_subset(), "{diff:?}");
    let removed: Vec<String> = diff.removed.iter().map(ToString::to_string).collect();
    assert!(
        removed.contains(&"secret NOTES_TOKEN".to_owned()) && removed.contains(&"llm".to_owned())
    );
}

#[test]
fn an_upgrade_asking_for_more_names_what_is_new() {
    let old = Manifest::parse(MANIFEST, "m.toml").unwrap().requests;
    let wider = with_requests(
        "http = [{ url = \"https://notes.example.com/\", methods = [\"GET\", \"DELETE\"], reason = \"r\" }]\n\
         fs = [{ access = \"rw\", reason = \"r\" }]",
    );
    let new = Manifest::parse(&wider, "m.toml").unwrap().requests;
    let added: Vec<String> = crate::compare(&old, &new)
        .added
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        added,
        [
            "http GET https://notes.example.com/",
            "http DELETE https://notes.example.com/",
            "fs rw at /workspace"
        ]
    );
}

/// The template `drydock plugin new` writes, rendered as it would be for a plugin named `notes`.
fn rendered_template() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../toolchain/templates/common/drydock-plugin.toml"
    );
    std::fs::read_to_string(path)
        .unwrap()
        .replace("{{name}}", "notes")
        .replace("{{language}}", "python")
}

#[test]
fn the_new_project_template_is_a_valid_manifest_requesting_what_its_tools_need() {
    let manifest = Manifest::parse(&rendered_template(), "drydock-plugin.toml").unwrap();
    assert_eq!(manifest.name, "notes");
    assert!(manifest.check_contract().is_ok());
    let summaries: Vec<String> = manifest
        .requests
        .entries()
        .into_iter()
        .map(|e| e.summary)
        .collect();
    assert_eq!(
        summaries,
        [
            "http POST https://notes.example.com/api/",
            "fs ro at /workspace"
        ]
    );
}
