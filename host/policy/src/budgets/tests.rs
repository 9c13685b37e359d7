//! `[budgets]` in the policy file: defaults when absent, values when given, and each refusal pointing at
//! `file:line:column` with the key named.

use std::path::Path;
use std::time::Duration;

use super::{Budget, Budgets};
use crate::{Policy, PolicyError};

fn parse(text: &str) -> Result<Policy, PolicyError> {
    Policy::parse(text, "policy.toml", Path::new("/etc/drydock"))
}

fn error(text: &str) -> String {
    parse(text)
        .expect_err("the budgets should be refused")
        .to_string()
}

#[test]
fn budgets_default_when_the_table_or_a_key_is_absent() {
    assert_eq!(*parse("").unwrap().budgets(), Budgets::DEFAULT);
    let policy = parse("[budgets]\nanonymous = { requests = 5, per_seconds = 10 }\n").unwrap();
    assert_eq!(policy.budgets().per_token, Budgets::DEFAULT.per_token);
    assert_eq!(
        policy.budgets().anonymous,
        Budget {
            requests: 5,
            per: Duration::from_secs(10)
        }
    );
}

#[test]
fn budgets_are_read_from_the_file() {
    let policy = parse(
        "[budgets]\nper_token = { requests = 2, per_seconds = 3600 }\nanonymous = { requests = 1, per_seconds = 1 }\n",
    )
    .unwrap();
    assert_eq!(
        policy.budgets().per_token,
        Budget {
            requests: 2,
            per: Duration::from_secs(3600)
        }
    );
    assert_eq!(policy.budgets().anonymous.requests, 1);
}

#[test]
fn zero_or_negative_requests_are_refused_at_their_place() {
    let message = error("[budgets]\nper_token = { requests = 0, per_seconds = 60 }\n");
    assert!(message.starts_with("policy.toml:2:26: "), "{message}");
    assert!(
        message.contains("per_token.requests must be a whole number from 1"),
        "{message}"
    );
    let message = error("[budgets]\nanonymous = { requests = -3, per_seconds = 60 }\n");
    assert!(message.contains("anonymous.requests"), "{message}");
}

#[test]
fn a_refill_period_outside_a_second_to_a_day_is_refused() {
    let message = error("[budgets]\nper_token = { requests = 10, per_seconds = 0 }\n");
    assert!(message.starts_with("policy.toml:2:"), "{message}");
    assert!(
        message.contains("per_token.per_seconds must be from 1 to 86400"),
        "{message}"
    );
    let message = error("[budgets]\nper_token = { requests = 10, per_seconds = 86401 }\n");
    assert!(message.contains("per_seconds"), "{message}");
}

#[test]
fn unknown_or_missing_budget_keys_are_refused() {
    let message = error("[budgets]\nper_user = { requests = 1, per_seconds = 1 }\n");
    assert!(message.contains("per_user"), "{message}");
    assert!(message.starts_with("policy.toml:2:"), "{message}");
    let message = error("[budgets]\nper_token = { requests = 1 }\n");
    assert!(message.contains("per_seconds"), "{message}");
    let message = error("[budgets]\nper_token = { requests = \"many\", per_seconds = 1 }\n");
    assert!(message.starts_with("policy.toml:2:"), "{message}");
}
