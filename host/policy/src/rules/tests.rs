use std::path::Path;

use super::*;
use crate::Policy;

fn parse(text: &str) -> Result<Policy, crate::PolicyError> {
    Policy::parse(text, "p.toml", Path::new("/tmp"))
}

const RULED: &str = r#"
[plugins.jira]
http = [{ url = "https://jira.example.com/rest/", methods = ["GET", "POST"],
          max_body_bytes = 64, max_requests_per_invocation = 2, max_requests_per_minute = 10,
          query_params = ["jql", "fields[]"],
          body_schema = { type = "object", required = ["summary"], properties = { summary = { type = "string" } } } }]
fs = [{ path = "./out", access = "rw", max_file_bytes = 100, max_files = 3 }]
"#;

fn rules() -> HttpRules {
    parse(RULED).unwrap().grants("jira").http[0].rules.clone()
}

fn check(method: &str, url: &str, body: &[u8]) -> Result<(), RuleBreach> {
    let target = TargetUrl::parse(url).unwrap();
    let request = HttpRequest::new(method, url).body(body);
    check_http_rules(&rules(), &request, method.parse().unwrap(), &target)
}

#[test]
fn every_rule_is_parsed_onto_its_grant() {
    let policy = parse(RULED).unwrap();
    let grants = policy.grants("jira");
    let rules = &grants.http[0].rules;
    assert_eq!(rules.max_body_bytes, Some(64));
    assert_eq!(rules.max_requests_per_invocation, Some(2));
    assert_eq!(rules.max_requests_per_minute, Some(10));
    assert_eq!(
        rules
            .query_params
            .as_ref()
            .unwrap()
            .iter()
            .collect::<Vec<_>>(),
        ["fields[]", "jql"]
    );
    assert!(rules.body_schema.is_some() && !rules.allow_private);
    assert_eq!(
        grants.fs[0].rules,
        FsRules {
            max_file_bytes: Some(100),
            max_files: Some(3)
        }
    );
}

#[test]
fn a_body_within_max_body_bytes_passes_and_a_larger_one_names_the_rule() {
    assert_eq!(
        check(
            "POST",
            "https://jira.example.com/rest/x",
            br#"{"summary":"a"}"#
        ),
        Ok(())
    );
    let big = format!(r#"{{"summary":"{}"}}"#, "x".repeat(64));
    let breach = check("POST", "https://jira.example.com/rest/x", big.as_bytes()).unwrap_err();
    assert_eq!(breach.rule, "max_body_bytes");
    assert_eq!(
        breach.to_string(),
        "rule max_body_bytes: the request body is 78 bytes, the grant allows 64"
    );
}

#[test]
fn only_listed_query_parameters_pass_even_when_percent_encoded() {
    let ok = "https://jira.example.com/rest/search?jql=a%3Db&fields%5B%5D=x&jql";
    assert_eq!(check("GET", ok, b""), Ok(()));
    let breach = check(
        "GET",
        "https://jira.example.com/rest/search?jql=1&token=2",
        b"",
    )
    .unwrap_err();
    assert_eq!(breach.rule, "query_params");
    assert!(breach.message.contains("`token`"), "{breach}");
    let encoded = check("GET", "https://jira.example.com/rest/search?%74oken=2", b"").unwrap_err();
    assert!(encoded.message.contains("`token`"), "{encoded}");
}

#[test]
fn a_write_body_must_match_the_schema_and_be_json() {
    let url = "https://jira.example.com/rest/issue";
    let missing = check("POST", url, br#"{"title":"a"}"#).unwrap_err();
    assert_eq!(missing.rule, "body_schema");
    assert!(missing.message.contains("summary"), "{missing}");
    let wrong_type = check("POST", url, br#"{"summary":3}"#).unwrap_err();
    assert!(wrong_type.message.contains("/summary"), "{wrong_type}");
    let not_json = check("POST", url, b"summary=a").unwrap_err();
    assert!(not_json.message.contains("not JSON"), "{not_json}");
    // Reads are not bound by the schema.
    assert_eq!(check("GET", url, b""), Ok(()));
}

#[test]
fn fs_rules_bound_file_size_and_count() {
    let rules = FsRules {
        max_file_bytes: Some(10),
        max_files: Some(2),
    };
    let small = WrittenFile {
        path: "a.txt",
        bytes_after: Some(10),
    };
    let gone = WrittenFile {
        path: "old.txt",
        bytes_after: None,
    };
    assert_eq!(check_fs_rules(&rules, &[small, gone]), Ok(()));
    let big = WrittenFile {
        path: "big.txt",
        bytes_after: Some(11),
    };
    let breach = check_fs_rules(&rules, &[big]).unwrap_err();
    assert_eq!(
        breach.to_string(),
        "rule max_file_bytes: `big.txt` is 11 bytes, the grant allows 10"
    );
    let many = check_fs_rules(&rules, &[small, small, small]).unwrap_err();
    assert_eq!(many.rule, "max_files");
}

#[test]
fn bad_rule_values_are_load_errors_at_their_location() {
    let cases = [
        (
            "[plugins.a]\nhttp = [{ url = \"https://a.example/\", methods = [\"GET\"], max_body_bytes = 0 }]\n",
            "p.toml:2:",
            "max_body_bytes` must be above zero",
        ),
        (
            "[plugins.a]\nhttp = [{ url = \"https://a.example/\", methods = [\"POST\"], body_schema = { type = 3 } }]\n",
            "p.toml:2:",
            "not valid JSON Schema",
        ),
        (
            "[plugins.a]\nhttp = [{ url = \"https://a.example/\", methods = [\"GET\"], body_schema = { type = \"object\" } }]\n",
            "p.toml:2:",
            "grants no write method",
        ),
        (
            "[plugins.a]\nhttp = [{ url = \"https://a.example/\", methods = [\"GET\"], query_params = [\"\"] }]\n",
            "p.toml:2:",
            "query_params name is empty",
        ),
        (
            "[plugins.a]\nhttp = [{ url = \"https://a.example/\", methods = [\"GET\"], max_requests_per_minute = 5000000000 }]\n",
            "p.toml:2:",
            "at most",
        ),
        (
            "[plugins.a]\nfs = [{ path = \"./x\", access = \"ro\", max_files = 2 }]\n",
            "p.toml:2:",
            "read-only",
        ),
        (
            "[plugins.a]\nhttp = [{ url = \"https://a.example/\", methods = [\"GET\"], max_bodybytes = 1 }]\n",
            "p.toml:2:",
            "unknown field",
        ),
    ];
    for (text, at, message) in cases {
        let error = parse(text).unwrap_err().to_string();
        assert!(
            error.starts_with(at) && error.contains(message),
            "{text}: {error}"
        );
    }
}

#[test]
fn secrets_are_granted_for_destinations_or_by_name_with_a_warning() {
    let policy = parse(
        r#"
[plugins.a]
http = [{ url = "https://jira.example.com/", methods = ["GET"] }]
secrets = [{ name = "JIRA_TOKEN", to = ["https://jira.example.com/rest/"] }, "OLD_TOKEN"]
"#,
    )
    .unwrap();
    let grants = policy.grants("a");
    assert!(grants.secrets.contains("JIRA_TOKEN") && grants.secrets.contains("OLD_TOKEN"));
    let to: Vec<String> = grants.secret_routes["JIRA_TOKEN"]
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(to, ["https://jira.example.com/rest/"]);
    assert!(!grants.secret_routes.contains_key("OLD_TOKEN"));
    assert_eq!(policy.warnings().len(), 1);
    assert!(
        policy.warnings()[0].starts_with("p.toml:4:")
            && policy.warnings()[0].contains("`OLD_TOKEN` is granted by name only"),
        "{:?}",
        policy.warnings()
    );
}

#[test]
fn bad_secret_entries_are_load_errors() {
    for (entry, message) in [
        (r#"{ name = "T" }"#, "needs `to"),
        (r#"{ name = "T", to = [] }"#, "no destinations"),
        (
            r#"{ name = "T", to = ["ftp://x/"] }"#,
            "invalid `to` URL prefix",
        ),
        (
            r#"{ name = "T", to = ["https://x/"], via = 1 }"#,
            "unknown key `via`",
        ),
        (r#"{ to = ["https://x/"] }"#, "needs `name"),
        (r#"3"#, "a secrets entry is a name"),
        (r#""bad-name""#, "bad-name"),
    ] {
        let text = format!("[plugins.a]\nsecrets = [{entry}]\n");
        let error = parse(&text).unwrap_err().to_string();
        assert!(
            error.starts_with("p.toml:2:") && error.contains(message),
            "{entry}: {error}"
        );
    }
    let twice = parse("[plugins.a]\nsecrets = [\"T\", { name = \"T\", to = [\"https://x/\"] }]\n");
    assert!(twice.unwrap_err().to_string().contains("granted twice"));
}
