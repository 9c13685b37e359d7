use std::collections::BTreeSet;

use super::*;
use crate::capability::Mode;
use crate::grants::HttpGrant;
use crate::live::PlanApproval;
use crate::url_match::UrlPrefix;

fn jira() -> PluginGrants {
    PluginGrants {
        http: vec![HttpGrant {
            prefix: UrlPrefix::parse("https://jira.example.com/rest/api/2/").unwrap(),
            methods: BTreeSet::from([HttpMethod::Get, HttpMethod::Post]),
            rules: Default::default(),
        }],
        fs: vec![
            FsGrant {
                dir: "/ws".into(),
                access: FsAccess::ReadWrite,
                mount: "/workspace".into(),
                rules: Default::default(),
            },
            FsGrant {
                dir: "/docs".into(),
                access: FsAccess::ReadOnly,
                mount: "/docs".into(),
                rules: Default::default(),
            },
        ],
        secrets: BTreeSet::from(["JIRA_TOKEN".to_owned()]),
        env: BTreeSet::from(["JIRA_BASE_URL".to_owned()]),
        ..PluginGrants::default()
    }
}

fn all_live() -> (LivePolicy, LiveContext) {
    let mut live = LivePolicy::default();
    live.set("jira", BTreeSet::from([Capability::Http, Capability::Fs]));
    (
        live,
        LiveContext {
            master_switch: true,
            requested: Mode::Live,
            plan_approval: PlanApproval::NotAPlan,
        },
    )
}

fn http(method: &str, url: &str) -> Decision {
    dry(&HttpRequest::new(method, url))
}

fn dry(request: &HttpRequest) -> Decision {
    decide_http(
        "jira",
        &jira(),
        &LivePolicy::default(),
        &LiveContext::dry_run(),
        request,
    )
}

#[test]
fn granted_get_is_a_read_even_in_dry_run() {
    let decision = http("GET", "https://jira.example.com/rest/api/2/issue/X-1");
    assert_eq!(decision.outcome, Outcome::Read);
    assert_eq!(
        decision.reason,
        "GET is a read and https://jira.example.com/rest/api/2/ is granted for GET"
    );
}

#[test]
fn dry_run_post_is_simulated_not_sent() {
    let decision = http("POST", "https://jira.example.com/rest/api/2/issue");
    assert_eq!(decision.outcome, Outcome::Simulated);
    assert!(
        decision.reason.contains("DRYDOCK_LIVE=1 is not set"),
        "{}",
        decision.reason
    );
}

#[test]
fn post_goes_live_when_every_condition_holds() {
    let (live, ctx) = all_live();
    let decision = decide_http(
        "jira",
        &jira(),
        &live,
        &ctx,
        &HttpRequest::new("POST", "https://jira.example.com/rest/api/2/issue"),
    );
    assert_eq!(decision.outcome, Outcome::Live, "{}", decision.reason);
}

#[test]
fn denies_unlisted_host() {
    let decision = http("GET", "https://evil.example/x");
    assert_eq!(decision.outcome, Outcome::Denied);
    assert_eq!(
        decision.reason,
        "no http grant of plugin `jira` covers https://evil.example/x"
    );
}

#[test]
fn denies_method_missing_from_the_grant_even_when_live() {
    let (live, ctx) = all_live();
    let decision = decide_http(
        "jira",
        &jira(),
        &live,
        &ctx,
        &HttpRequest::new("DELETE", "https://jira.example.com/rest/api/2/x"),
    );
    assert_eq!(decision.outcome, Outcome::Denied);
    assert!(
        decision.reason.contains("DELETE is not granted"),
        "{}",
        decision.reason
    );
    assert!(
        decision
            .reason
            .contains("https://jira.example.com/rest/api/2/ (GET, POST)"),
        "{}",
        decision.reason
    );
}

#[test]
fn denies_unknown_method_and_bad_urls_with_the_reason() {
    assert_eq!(
        http("CONNECT", "https://jira.example.com/rest/api/2/").outcome,
        Outcome::Denied
    );
    let userinfo = http("GET", "https://jira.example.com@evil.com/rest/api/2/");
    assert_eq!(userinfo.outcome, Outcome::Denied);
    assert!(userinfo.reason.contains("userinfo"), "{}", userinfo.reason);
    assert!(
        http("GET", "ftp://jira.example.com/rest/api/2/")
            .reason
            .contains("scheme `ftp`")
    );
    assert_eq!(
        http("GET", "https://jira.example.com/rest/api/2/../../admin").outcome,
        Outcome::Denied
    );
}

#[test]
fn unknown_plugin_is_denied_everything() {
    let empty = PluginGrants::EMPTY;
    let (live, ctx) = all_live();
    assert_eq!(
        decide_http(
            "x",
            &empty,
            &live,
            &ctx,
            &HttpRequest::new("GET", "https://a.example/")
        )
        .outcome,
        Outcome::Denied
    );
    assert_eq!(
        decide_secret("x", &empty, "JIRA_TOKEN").outcome,
        Outcome::Denied
    );
    assert_eq!(decide_env("x", &empty, "HOME").outcome, Outcome::Denied);
    assert_eq!(decide_llm("x", &empty).outcome, Outcome::Denied);
}

/// A grant that allows only reads under the same prefix.
fn read_only_http() -> PluginGrants {
    PluginGrants {
        http: vec![HttpGrant {
            prefix: UrlPrefix::parse("https://jira.example.com/rest/api/2/").unwrap(),
            methods: BTreeSet::from([HttpMethod::Get, HttpMethod::Head, HttpMethod::Options]),
            rules: Default::default(),
        }],
        ..PluginGrants::default()
    }
}

const ISSUE: &str = "https://jira.example.com/rest/api/2/issue/X-1";

#[test]
fn a_get_with_a_method_override_header_is_a_simulated_write_in_dry_run() {
    for name in [
        "X-HTTP-Method-Override",
        "x-http-method",
        "X-Method-Override",
    ] {
        let decision = dry(&HttpRequest::new("GET", ISSUE).header(name, "POST"));
        assert_eq!(
            decision.outcome,
            Outcome::Simulated,
            "{name}: {}",
            decision.reason
        );
        assert!(
            decision.reason.contains("treated as a write"),
            "{}",
            decision.reason
        );
    }
}

#[test]
fn an_override_naming_an_ungranted_method_is_denied_even_on_a_write() {
    for request in [
        HttpRequest::new("GET", ISSUE).header("X-HTTP-Method-Override", "DELETE"),
        HttpRequest::new("POST", ISSUE).header("x-http-method-override", "delete"),
        HttpRequest::new(
            "GET",
            "https://jira.example.com/rest/api/2/issue/X-1?_method=DELETE",
        ),
        HttpRequest::new("POST", ISSUE)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(b"_method=DELETE"),
    ] {
        let decision = dry(&request);
        assert_eq!(decision.outcome, Outcome::Denied, "{request:?}");
        assert!(
            decision
                .reason
                .contains("into a DELETE, and DELETE is not granted"),
            "{}",
            decision.reason
        );
    }
}

#[test]
fn an_override_naming_an_unknown_method_is_denied() {
    let decision = dry(&HttpRequest::new("GET", ISSUE).header("X-HTTP-Method", "PURGE"));
    assert_eq!(decision.outcome, Outcome::Denied);
    assert!(
        decision.reason.contains("does not know"),
        "{}",
        decision.reason
    );
}

#[test]
fn reads_carrying_a_body_or_an_override_are_denied_where_no_write_is_granted() {
    let grants = read_only_http();
    for request in [
        HttpRequest::new("GET", ISSUE).body(b"{\"delete\": true}"),
        HttpRequest::new("HEAD", ISSUE).body(b"x"),
        HttpRequest::new("OPTIONS", ISSUE).body(b"x"),
        HttpRequest::new("GET", ISSUE).header("X-HTTP-Method-Override", "GET"),
        HttpRequest::new(
            "GET",
            "https://jira.example.com/rest/api/2/issue/X-1?%5Fmethod=get",
        ),
    ] {
        let decision = decide_http(
            "jira",
            &grants,
            &LivePolicy::default(),
            &LiveContext::dry_run(),
            &request,
        );
        assert_eq!(decision.outcome, Outcome::Denied, "{request:?}");
        assert!(
            decision.reason.contains("allows reads only"),
            "{}",
            decision.reason
        );
    }
}

#[test]
fn a_get_with_a_body_is_simulated_where_a_write_is_granted_and_live_only_when_allowed() {
    let request = HttpRequest::new("GET", ISSUE).body(b"payload");
    let decision = dry(&request);
    assert_eq!(decision.outcome, Outcome::Simulated, "{}", decision.reason);
    assert!(
        decision.reason.contains("a 7-byte body"),
        "{}",
        decision.reason
    );
    let (live, ctx) = all_live();
    assert_eq!(
        decide_http("jira", &jira(), &live, &ctx, &request).outcome,
        Outcome::Live
    );
}

#[test]
fn a_plain_get_with_ordinary_headers_stays_a_read() {
    let request = HttpRequest::new("GET", "https://jira.example.com/rest/api/2/search?method=x")
        .header("Accept", "application/json")
        .header("Authorization", "Bearer t");
    assert_eq!(dry(&request).outcome, Outcome::Read);
}

#[test]
fn fs_write_is_simulated_in_dry_run_and_live_when_allowed() {
    let rw = FsGrant {
        dir: "/ws".into(),
        access: FsAccess::ReadWrite,
        mount: "/workspace".into(),
        rules: Default::default(),
    };
    let dry = decide_fs_write(
        "jira",
        &jira(),
        &LivePolicy::default(),
        &LiveContext::dry_run(),
        &rw,
    );
    assert_eq!(dry.outcome, Outcome::Simulated);
    assert!(dry.reason.contains("scratch copy"), "{}", dry.reason);
    let (live, ctx) = all_live();
    assert_eq!(
        decide_fs_write("jira", &jira(), &live, &ctx, &rw).outcome,
        Outcome::Live
    );
}

#[test]
fn fs_write_to_a_read_only_grant_is_denied_whatever_the_caller_claims() {
    let (live, ctx) = all_live();
    let claimed_rw = FsGrant {
        dir: "/docs".into(),
        access: FsAccess::ReadWrite,
        mount: "/docs".into(),
        rules: Default::default(),
    };
    let decision = decide_fs_write("jira", &jira(), &live, &ctx, &claimed_rw);
    assert_eq!(decision.outcome, Outcome::Denied);
    assert!(decision.reason.contains("read-only"), "{}", decision.reason);
    let elsewhere = FsGrant {
        dir: "/etc".into(),
        access: FsAccess::ReadWrite,
        mount: "/etc".into(),
        rules: Default::default(),
    };
    assert_eq!(
        decide_fs_write("jira", &jira(), &live, &ctx, &elsewhere).outcome,
        Outcome::Denied
    );
}

#[test]
fn secrets_env_and_llm_are_read_or_denied() {
    assert_eq!(
        decide_secret("jira", &jira(), "JIRA_TOKEN").outcome,
        Outcome::Read
    );
    assert_eq!(
        decide_secret("jira", &jira(), "AWS_KEY").reason,
        "secret `AWS_KEY` is not granted to plugin `jira`"
    );
    assert_eq!(
        decide_env("jira", &jira(), "JIRA_BASE_URL").outcome,
        Outcome::Read
    );
    assert_eq!(decide_env("jira", &jira(), "PATH").outcome, Outcome::Denied);
    let llm = PluginGrants {
        llm: true,
        ..PluginGrants::default()
    };
    assert_eq!(decide_llm("jira", &llm).outcome, Outcome::Read);
}
