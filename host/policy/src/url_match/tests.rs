//! Tests of the URL matcher on its own: one unit test per rule in the module doc, then property tests.

use proptest::prelude::*;

use super::*;

fn covers(prefix: &str, target: &str) -> bool {
    let prefix = UrlPrefix::parse(prefix).unwrap_or_else(|e| panic!("prefix {prefix}: {e}"));
    let target = TargetUrl::parse(target).unwrap_or_else(|e| panic!("target {target}: {e}"));
    prefix.matches(&target)
}

fn target_err(target: &str) -> UrlError {
    TargetUrl::parse(target).expect_err(target)
}

#[test]
fn http_grant_does_not_cover_https() {
    assert!(!covers("http://a.example/", "https://a.example/x"));
    assert!(!covers("https://a.example/", "http://a.example/x"));
}

#[test]
fn scheme_is_case_insensitive_on_input() {
    assert!(covers("HTTPS://a.example/", "https://a.example/x"));
}

#[test]
fn non_http_schemes_are_rejected() {
    assert_eq!(
        target_err("ftp://a.example/"),
        UrlError::UnsupportedScheme("ftp".into())
    );
    assert_eq!(
        target_err("file:///etc/passwd"),
        UrlError::UnsupportedScheme("file".into())
    );
    assert_eq!(target_err("a.example/x"), UrlError::MissingScheme);
    assert_eq!(target_err("https:a.example/x"), UrlError::MissingAuthority);
}

#[test]
fn host_is_case_insensitive() {
    assert!(covers(
        "https://Jira.Example.COM/",
        "https://jira.example.com/x"
    ));
    assert!(covers(
        "https://jira.example.com/",
        "https://JIRA.example.com/x"
    ));
}

#[test]
fn unicode_host_equals_its_punycode() {
    assert!(covers(
        "https://BÜCHER.example/",
        "https://xn--bcher-kva.example/a"
    ));
    assert_eq!(
        UrlPrefix::parse("https://bücher.example/")
            .unwrap()
            .to_string(),
        "https://xn--bcher-kva.example/"
    );
}

#[test]
fn trailing_dot_is_removed_from_host() {
    assert!(covers("https://a.example/", "https://a.example./x"));
    assert!(TargetUrl::parse("https://a.example../").is_err());
}

#[test]
fn empty_host_is_rejected() {
    assert_eq!(target_err("https:///x"), UrlError::EmptyHost);
    assert_eq!(target_err("https://:443/x"), UrlError::EmptyHost);
    assert_eq!(target_err("https://./x"), UrlError::EmptyHost);
}

#[test]
fn default_port_explicit_or_implicit_is_equal() {
    assert!(covers("https://a.example:443/", "https://a.example/x"));
    assert!(covers("https://a.example/", "https://a.example:443/x"));
    assert!(covers("http://a.example/", "http://a.example:80/x"));
    assert_eq!(
        UrlPrefix::parse("https://a.example:443/p")
            .unwrap()
            .to_string(),
        "https://a.example/p"
    );
}

#[test]
fn grant_without_port_covers_only_the_default_port() {
    assert!(!covers("https://a.example/", "https://a.example:8443/x"));
    assert!(covers(
        "https://a.example:8443/",
        "https://a.example:8443/x"
    ));
    assert!(!covers("https://a.example:8443/", "https://a.example/x"));
}

#[test]
fn invalid_ports_are_rejected() {
    for url in [
        "https://a.example:/",
        "https://a.example:0/",
        "https://a.example:65536/",
        "https://a.example:x/",
    ] {
        assert!(matches!(target_err(url), UrlError::InvalidPort(_)), "{url}");
    }
}

#[test]
fn userinfo_is_rejected() {
    for url in [
        "https://user@a.example/",
        "https://user:pw@a.example/",
        "https://jira.example.com@evil.com/",
        "https://@a.example/",
    ] {
        assert_eq!(target_err(url), UrlError::Userinfo, "{url}");
        assert_eq!(UrlPrefix::parse(url), Err(UrlError::Userinfo), "{url}");
    }
}

#[test]
fn at_sign_after_the_authority_is_not_userinfo() {
    let target = TargetUrl::parse("https://evil.example#@jira.example.com/").unwrap();
    assert_eq!(target.host(), &Host::Domain("evil.example".into()));
    assert!(!covers(
        "https://jira.example.com/",
        "https://evil.example?@jira.example.com/"
    ));
}

#[test]
fn ip_literals_match_only_the_same_literal() {
    assert!(covers("http://127.0.0.1:8080/", "http://127.0.0.1:8080/x"));
    assert!(!covers("http://localhost:8080/", "http://127.0.0.1:8080/x"));
    assert!(!covers("http://127.0.0.1:8080/", "http://localhost:8080/x"));
    assert!(covers("http://[::1]:8080/", "http://[0:0::1]:8080/x"));
    assert!(!covers("http://[::1]/", "http://127.0.0.1/x"));
    assert_eq!(
        TargetUrl::parse("http://[0::1]:81/x").unwrap().to_string(),
        "http://[::1]:81/x"
    );
}

#[test]
fn numeric_host_tricks_are_rejected() {
    for url in [
        "http://2130706433/",
        "http://0x7f.1/",
        "http://127.1/",
        "http://0177.0.0.1/",
        "http://127.0.0.01/",
        "http://1.2.3.4.5/",
        "http://a.example.0x10/",
    ] {
        assert!(
            matches!(target_err(url), UrlError::AmbiguousNumericHost(_)),
            "{url}"
        );
    }
}

#[test]
fn full_width_digits_map_to_the_ipv4_literal() {
    // UTS 46 maps them to ASCII first, so they become the canonical literal, never a domain.
    let target = TargetUrl::parse("http://１２７.０.０.１/").unwrap();
    assert_eq!(target.host(), &Host::Ipv4(Ipv4Addr::LOCALHOST));
    assert!(!covers("http://localhost/", "http://１２７.０.０.１/"));
}

#[test]
fn bad_hosts_are_rejected() {
    for url in [
        "http://a%2eexample/",
        "http://a..example/",
        "http://[::1/",
        "http://[fe80::1%25eth0]/",
        "http://a:b:1/",
    ] {
        assert!(TargetUrl::parse(url).is_err(), "{url}");
    }
}

#[test]
fn forbidden_characters_are_rejected() {
    assert_eq!(
        target_err("https://a.example\\@evil/"),
        UrlError::ForbiddenCharacter('\\')
    );
    assert_eq!(
        target_err("https://a.example/x\\..\\y"),
        UrlError::ForbiddenCharacter('\\')
    );
    assert_eq!(
        target_err("https://a exa.com/"),
        UrlError::ForbiddenCharacter(' ')
    );
    assert_eq!(
        target_err("https://a.example/\n"),
        UrlError::ForbiddenCharacter('\n')
    );
    assert_eq!(
        target_err("https://a.exa\u{0}mple/"),
        UrlError::ForbiddenCharacter('\u{0}')
    );
}

#[test]
fn unreserved_percent_escapes_are_decoded() {
    assert!(covers(
        "https://a.example/rest/",
        "https://a.example/%72est/x"
    ));
    assert_eq!(
        TargetUrl::parse("https://a.example/%7e%41%2f%3a")
            .unwrap()
            .path(),
        "/~A%2F%3A"
    );
    assert!(matches!(
        target_err("https://a.example/%zz"),
        UrlError::InvalidPercentEscape(_)
    ));
    assert!(matches!(
        target_err("https://a.example/%4"),
        UrlError::InvalidPercentEscape(_)
    ));
}

#[test]
fn dot_segments_are_resolved() {
    assert_eq!(
        TargetUrl::parse("https://a.example/a/./b/../c")
            .unwrap()
            .path(),
        "/a/c"
    );
    assert_eq!(
        TargetUrl::parse("https://a.example/a/b/..").unwrap().path(),
        "/a/"
    );
    assert!(!covers(
        "https://a.example/rest/api/",
        "https://a.example/rest/api/../admin"
    ));
    assert!(!covers(
        "https://a.example/rest/api/",
        "https://a.example/rest/api/%2e%2E/admin"
    ));
    assert!(!covers(
        "https://a.example/rest/api/",
        "https://a.example/rest/api/.%2e/admin"
    ));
    assert!(covers(
        "https://a.example/rest/api/",
        "https://a.example/rest/x/../api/y"
    ));
}

#[test]
fn dotdot_above_root_is_an_error() {
    assert_eq!(
        target_err("https://a.example/.."),
        UrlError::ClimbsAboveRoot
    );
    assert_eq!(
        target_err("https://a.example/a/../../etc"),
        UrlError::ClimbsAboveRoot
    );
}

#[test]
fn duplicate_slashes_are_collapsed() {
    assert_eq!(
        TargetUrl::parse("https://a.example//rest///api//")
            .unwrap()
            .path(),
        "/rest/api/"
    );
    assert!(!covers(
        "https://a.example/public/",
        "https://a.example/public//../admin"
    ));
}

#[test]
fn prefix_matches_on_segment_boundaries() {
    assert!(covers(
        "https://a.example/rest/api/2/",
        "https://a.example/rest/api/2/issue/X"
    ));
    assert!(covers(
        "https://a.example/rest/api/2/",
        "https://a.example/rest/api/2/"
    ));
    assert!(!covers(
        "https://a.example/rest/api/2/",
        "https://a.example/rest/api/2"
    ));
    assert!(!covers(
        "https://a.example/rest/api",
        "https://a.example/rest/apiary"
    ));
    assert!(covers(
        "https://a.example/rest/api",
        "https://a.example/rest/api"
    ));
    assert!(covers(
        "https://a.example/rest/api",
        "https://a.example/rest/api/x"
    ));
    assert!(covers("https://a.example", "https://a.example/anything"));
    assert!(!covers(
        "https://a.example/Rest/",
        "https://a.example/rest/x"
    ));
}

#[test]
fn encoded_slash_is_not_a_separator() {
    assert!(!covers(
        "https://a.example/rest/",
        "https://a.example/rest%2Fx"
    ));
    assert!(covers(
        "https://a.example/rest/",
        "https://a.example/rest/a%2Fb"
    ));
}

#[test]
fn dot_segments_hidden_behind_encoded_slash_or_params_are_rejected() {
    for url in [
        "https://a.example/rest%2F..%2Fadmin",
        "https://a.example/rest/x%2F..%2Fadmin",
        "https://a.example/rest/..%5Cadmin",
        "https://a.example/public/..;/admin",
    ] {
        assert!(
            matches!(target_err(url), UrlError::HiddenDotSegment(_)),
            "{url}"
        );
    }
}

#[test]
fn query_and_fragment_are_ignored_for_matching() {
    assert!(covers(
        "https://a.example/rest/",
        "https://a.example/rest/x?next=/admin#frag"
    ));
    assert!(!covers(
        "https://a.example/rest/",
        "https://a.example/admin?/rest/"
    ));
    assert_eq!(
        TargetUrl::parse("https://a.example/x?q=1")
            .unwrap()
            .to_string(),
        "https://a.example/x?q=1"
    );
    assert_eq!(
        TargetUrl::parse("https://a.example/x#f")
            .unwrap()
            .to_string(),
        "https://a.example/x"
    );
}

#[test]
fn grant_with_query_or_fragment_is_rejected() {
    assert_eq!(
        UrlPrefix::parse("https://a.example/x?y=1"),
        Err(UrlError::PrefixHasQuery)
    );
    assert_eq!(
        UrlPrefix::parse("https://a.example/x#y"),
        Err(UrlError::PrefixHasQuery)
    );
}

#[test]
fn displays_canonical_form() {
    let target =
        TargetUrl::parse("HTTPS://Jira.Example.com.:443//rest/./api/%7Euser?q=%2f").unwrap();
    assert_eq!(
        target.to_string(),
        "https://jira.example.com/rest/api/~user?q=%2F"
    );
}

fn segment() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_~-]{1,8}"
}

fn flip_case(s: &str, mask: u64) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

proptest! {
    #[test]
    fn appending_safe_segments_to_a_grant_path_always_matches(
        base in prop::collection::vec(segment(), 0..4),
        trailing in any::<bool>(),
        extra in prop::collection::vec(segment(), 0..5),
    ) {
        let slash = if trailing || base.is_empty() { "/" } else { "" };
        let prefix = format!("https://h.example/{}{}", base.join("/"), slash);
        let base_path = if base.is_empty() { String::new() } else { format!("/{}", base.join("/")) };
        let target = format!("https://h.example{}/{}", base_path, extra.join("/"));
        prop_assert!(covers(&prefix, &target), "{prefix} should cover {target}");
    }

    #[test]
    fn climbing_out_of_the_prefix_never_matches(
        base in prop::collection::vec("[a-m]{1,6}", 1..4),
        inner in prop::collection::vec("[a-z]{1,6}", 0..3),
        climb_extra in 1usize..6,
        dots in prop::sample::select(vec!["..", "%2e%2e", ".%2E", "%2E."]),
        tail in "[n-z]{1,6}",
    ) {
        let prefix = UrlPrefix::parse(&format!("https://h.example/{}/", base.join("/"))).unwrap();
        let ups = vec![dots; inner.len() + climb_extra].join("/");
        let mut path = base.clone();
        path.extend(inner);
        let target = format!("https://h.example/{}/{}/{}", path.join("/"), ups, tail);
        if let Ok(target) = TargetUrl::parse(&target) {
            prop_assert!(!prefix.matches(&target), "{prefix} must not cover {target}");
        }
    }

    #[test]
    fn host_case_never_changes_the_result(
        grant_host in "[a-c]{1,3}\\.example",
        target_host in "[a-c]{1,3}\\.example",
        grant_mask in any::<u64>(),
        target_mask in any::<u64>(),
    ) {
        let target = format!("https://{target_host}/x");
        let expected = covers(&format!("https://{grant_host}/"), &target);
        let flipped_grant = format!("https://{}/", flip_case(&grant_host, grant_mask));
        let flipped_target = format!("https://{}/x", flip_case(&target_host, target_mask));
        prop_assert_eq!(covers(&flipped_grant, &flipped_target), expected);
    }

    #[test]
    fn adding_userinfo_always_errors(
        user in "[a-zA-Z0-9._~!$&'()*+,;=-]{0,10}",
        password in prop::option::of("[a-zA-Z0-9._~!$&'()*+,;=:-]{0,10}"),
        host in "[a-z]{1,10}\\.example",
    ) {
        let userinfo = match password { Some(pw) => format!("{user}:{pw}"), None => user };
        let url = format!("https://{userinfo}@{host}/x");
        prop_assert_eq!(TargetUrl::parse(&url), Err(UrlError::Userinfo));
        prop_assert_eq!(UrlPrefix::parse(&url), Err(UrlError::Userinfo));
    }

    #[test]
    fn a_different_host_never_matches(
        grant_host in "[a-z][a-z0-9-]{0,11}(\\.[a-z]{2,6})?",
        target_host in "[a-z][a-z0-9-]{0,11}(\\.[a-z]{2,6})?",
        path in prop::collection::vec(segment(), 0..3),
    ) {
        prop_assume!(grant_host != target_host);
        // The generator can produce invalid punycode (`xn--...`); those are refused, which is fine too.
        let prefix = UrlPrefix::parse(&format!("https://{grant_host}/"));
        let target = TargetUrl::parse(&format!("https://{target_host}/{}", path.join("/")));
        if let (Ok(prefix), Ok(target)) = (prefix, target) {
            prop_assert!(!prefix.matches(&target), "{prefix} must not cover {target}");
        }
    }
}
