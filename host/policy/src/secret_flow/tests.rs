use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use proptest::prelude::*;

use super::*;
use crate::secret_forms::percent_encode;

const SECRET: &str = "tok-3xV9/q+Zr=wLm";
const JIRA: &str = "https://jira.example.com/rest/";

fn scanner(value: &str) -> SecretScanner {
    let to = [UrlPrefix::parse(JIRA).unwrap()];
    SecretScanner::new([RoutedSecret {
        name: "JIRA_TOKEN",
        value,
        to: &to,
    }])
}

fn target(url: &str) -> TargetUrl {
    TargetUrl::parse(url).unwrap()
}

/// Every encoding the scanner promises to find, each inside some surrounding text.
fn encodings(value: &str) -> Vec<(&'static str, String)> {
    vec![
        ("raw", format!("x{value}y")),
        ("url-encoded", format!("q={}", percent_encode(value, true))),
        (
            "url-encoded lower",
            format!("q={}", percent_encode(value, false)),
        ),
        ("base64", STANDARD.encode(value)),
        (
            "base64 in Basic",
            format!("Basic {}", STANDARD.encode(format!("user:{value}"))),
        ),
        ("base64url", URL_SAFE.encode(format!("ab{value}"))),
        ("base64url no pad", URL_SAFE_NO_PAD.encode(value)),
        ("hex", hex::encode(value)),
        ("hex upper", hex::encode_upper(format!("-{value}"))),
        (
            "json",
            serde_json::to_string(&serde_json::json!({ "t": value })).unwrap(),
        ),
    ]
}

#[test]
fn every_encoding_reaches_the_granted_destination() {
    let scanner = scanner(SECRET);
    let jira = target("https://jira.example.com/rest/api/2/issue");
    for (what, text) in encodings(SECRET) {
        let url = format!("https://jira.example.com/rest/api/2/issue?{text}");
        let headers = [("authorization", text.as_bytes())];
        assert_eq!(
            scanner.check_request(&jira, &url, &headers, text.as_bytes()),
            Ok(()),
            "{what}"
        );
    }
}

#[test]
fn every_encoding_is_refused_to_another_host_in_url_header_and_body() {
    let scanner = scanner(SECRET);
    let other = target("https://other.example.com/x");
    for (what, text) in encodings(SECRET) {
        let in_url = format!("https://other.example.com/x?{text}");
        let places = [
            scanner.check_request(&other, &in_url, &[], b""),
            scanner.check_request(
                &other,
                "https://other.example.com/x",
                &[("x-t", text.as_bytes())],
                b"",
            ),
            scanner.check_request(&other, "https://other.example.com/x", &[], text.as_bytes()),
        ];
        for (place, result) in ["URL", "header", "body"].into_iter().zip(places) {
            let breach = result.expect_err(&format!("{what} in the {place} was let through"));
            assert_eq!(breach.secret, "JIRA_TOKEN");
            assert!(!breach.to_string().contains(SECRET), "{breach}");
            assert!(
                breach.message.contains("https://jira.example.com/rest/"),
                "{breach}"
            );
        }
    }
}

#[test]
fn an_over_encoded_value_in_the_url_or_body_is_found() {
    let scanner = scanner(SECRET);
    let other = target("https://other.example.com/x");
    let every_byte: String = SECRET.bytes().map(|b| format!("%{b:02x}")).collect();
    let url = format!("https://other.example.com/{every_byte}");
    assert!(scanner.check_request(&other, &url, &[], b"").is_err());
    let body = format!("t={every_byte}");
    let breach = scanner
        .check_request(&other, "https://other.example.com/x", &[], body.as_bytes())
        .unwrap_err();
    assert!(breach.message.contains("in the body"), "{breach}");
}

#[test]
fn a_value_split_across_headers_is_found_and_the_headers_named() {
    let scanner = scanner(SECRET);
    let other = target("https://other.example.com/x");
    let (first, rest) = SECRET.split_at(5);
    let (second, third) = rest.split_at(6);
    let headers = [
        ("x-a", first.as_bytes()),
        ("x-b", second.as_bytes()),
        ("x-c", third.as_bytes()),
    ];
    let breach = scanner
        .check_request(&other, "https://other.example.com/x", &headers, b"")
        .unwrap_err();
    assert!(
        breach
            .message
            .contains("split across headers `x-a` to `x-c`"),
        "{breach}"
    );
    // The granted host and a path outside `to` on the same host.
    let jira = target("https://jira.example.com/rest/x");
    assert_eq!(
        scanner.check_request(&jira, "https://jira.example.com/rest/x", &headers, b""),
        Ok(())
    );
    let wrong_path = target("https://jira.example.com/admin");
    assert!(
        scanner
            .check_request(&wrong_path, "https://jira.example.com/admin", &headers, b"")
            .is_err()
    );
}

#[test]
fn sinks_refuse_the_value_in_any_encoding_naming_the_secret() {
    let scanner = scanner(SECRET);
    for (what, text) in encodings(SECRET) {
        let breach = scanner
            .check_sink("artifact `report`", text.as_bytes())
            .expect_err(what);
        assert!(
            breach
                .message
                .starts_with("artifact `report` carries secret `JIRA_TOKEN`"),
            "{breach}"
        );
    }
    assert_eq!(scanner.check_sink("a log line", b"nothing to see"), Ok(()));
}

#[test]
fn an_empty_scanner_passes_everything_and_merging_keeps_both() {
    let empty = SecretScanner::default();
    assert!(empty.is_empty());
    assert_eq!(empty.check_sink("x", SECRET.as_bytes()), Ok(()));
    let to = [UrlPrefix::parse("https://b.example/").unwrap()];
    let other = SecretScanner::new([RoutedSecret {
        name: "B",
        value: "bravo-secret-value",
        to: &to,
    }]);
    let both = scanner(SECRET).merged(&other);
    assert_eq!(
        both.find(SECRET.as_bytes()).map(|f| f.0),
        Some("JIRA_TOKEN")
    );
    assert_eq!(both.find(b"bravo-secret-value").map(|f| f.0), Some("B"));
}

fn secret_value() -> impl Strategy<Value = String> {
    // Printable ASCII, long enough for the encoded forms to be matched.
    proptest::collection::vec(0x21u8..0x7f, 8..48)
        .prop_map(|bytes| String::from_utf8(bytes).expect("ASCII"))
}

proptest! {
    #[test]
    fn no_false_negative_for_any_listed_encoding(
        value in secret_value(),
        before in "[a-zA-Z0-9 :]{0,12}",
        after in "[a-zA-Z0-9 ]{0,12}",
    ) {
        let scanner = scanner(&value);
        let surrounded = format!("{before}{value}{after}");
        let forms = [
            surrounded.clone(),
            percent_encode(&surrounded, true),
            percent_encode(&surrounded, false),
            STANDARD.encode(&surrounded),
            URL_SAFE.encode(&surrounded),
            URL_SAFE_NO_PAD.encode(&surrounded),
            hex::encode(&surrounded),
            hex::encode_upper(&surrounded),
            serde_json::to_string(&surrounded).unwrap(),
        ];
        for form in forms {
            prop_assert!(scanner.check_sink("x", form.as_bytes()).is_err(), "missed in {form}");
        }
    }

    #[test]
    fn a_random_value_that_is_not_the_secret_passes(
        value in secret_value(),
        other in secret_value(),
    ) {
        prop_assume!(!other.contains(&value));
        let scanner = scanner(&value);
        let forms = [
            format!("payload {other} end"),
            percent_encode(&other, true),
            STANDARD.encode(&other),
            URL_SAFE_NO_PAD.encode(&other),
            hex::encode(&other),
        ];
        for form in forms {
            prop_assert_eq!(scanner.check_sink("x", form.as_bytes()), Ok(()), "{}", form);
        }
        let to_other_host = scanner.check_request(
            &target("https://other.example.com/x"),
            "https://other.example.com/x",
            &[("authorization", other.as_bytes())],
            other.as_bytes(),
        );
        prop_assert_eq!(to_other_host, Ok(()));
    }
}
