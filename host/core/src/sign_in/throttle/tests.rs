//! The throttle on a clock the tests move: limits per account and per address, the window sliding, one
//! audited refusal per window, a right password giving the slot back.

use super::*;

const LIMITS: SignInLimits = SignInLimits {
    per_account: 3,
    per_address: 5,
    window: Duration::from_secs(60),
};

fn ip(text: &str) -> Option<IpAddr> {
    Some(text.parse().unwrap())
}

/// `count` failed attempts of `account` from `address`, `step` apart, starting at `start`.
fn fail(
    throttle: &mut SignInThrottle,
    account: &str,
    address: Option<IpAddr>,
    start: Instant,
    count: usize,
) {
    for i in 0..count {
        throttle
            .begin(account, address, start + Duration::from_secs(i as u64))
            .expect("under the limit");
    }
}

#[test]
fn an_account_is_locked_after_its_limit_until_the_oldest_failure_leaves_the_window() {
    let mut throttle = SignInThrottle::new(LIMITS);
    let t0 = Instant::now();
    fail(&mut throttle, "alice", ip("10.0.0.1"), t0, 3);
    let refusal = throttle
        .begin("alice", ip("10.0.0.2"), t0 + Duration::from_secs(10))
        .unwrap_err();
    assert_eq!(refusal.limits, ["account"]);
    assert_eq!(refusal.retry_after, Duration::from_secs(50));
    assert!(refusal.audit);
    // Another account from the same address is not affected.
    throttle
        .begin("bob", ip("10.0.0.1"), t0 + Duration::from_secs(10))
        .unwrap();
    // The first failure leaves the window at t0 + 60 s: one more try is allowed.
    throttle
        .begin("alice", None, t0 + Duration::from_secs(60))
        .unwrap();
    assert!(
        throttle
            .begin("alice", None, t0 + Duration::from_secs(60))
            .is_err()
    );
}

#[test]
fn an_address_is_locked_across_accounts() {
    let mut throttle = SignInThrottle::new(LIMITS);
    let t0 = Instant::now();
    for (i, name) in ["a", "b", "c", "d", "e"].into_iter().enumerate() {
        throttle
            .begin(name, ip("192.0.2.7"), t0 + Duration::from_secs(i as u64))
            .unwrap();
    }
    let refusal = throttle
        .begin("fresh", ip("192.0.2.7"), t0 + Duration::from_secs(5))
        .unwrap_err();
    assert_eq!(refusal.limits, ["address"]);
    assert_eq!(refusal.retry_after, Duration::from_secs(55));
    throttle
        .begin("fresh", ip("192.0.2.8"), t0 + Duration::from_secs(5))
        .unwrap();
}

#[test]
fn only_the_first_refusal_per_key_in_a_window_is_audited() {
    let mut throttle = SignInThrottle::new(LIMITS);
    let t0 = Instant::now();
    fail(&mut throttle, "alice", None, t0, 3);
    let at = |s| t0 + Duration::from_secs(s);
    assert!(throttle.begin("alice", None, at(3)).unwrap_err().audit);
    assert!(!throttle.begin("alice", None, at(4)).unwrap_err().audit);
    assert!(!throttle.begin("alice", None, at(59)).unwrap_err().audit);
    // A new lock in a later window is audited again.
    fail(&mut throttle, "alice", None, at(70), 3);
    assert!(throttle.begin("alice", None, at(80)).unwrap_err().audit);
}

#[test]
fn a_right_password_clears_the_account_but_not_the_address() {
    let mut throttle = SignInThrottle::new(LIMITS);
    let t0 = Instant::now();
    fail(&mut throttle, "alice", ip("10.0.0.1"), t0, 2);
    let attempt = throttle.begin("alice", ip("10.0.0.1"), t0).unwrap();
    throttle.succeeded(&attempt);
    // The account starts again from zero: three more failures before a lock.
    fail(&mut throttle, "alice", ip("10.0.0.9"), t0, 3);
    assert!(throttle.begin("alice", ip("10.0.0.9"), t0).is_err());
    // The address kept its two failures (the successful attempt's slot was given back): three more lock it.
    fail(&mut throttle, "x", ip("10.0.0.1"), t0, 3);
    let refusal = throttle.begin("y", ip("10.0.0.1"), t0).unwrap_err();
    assert_eq!(refusal.limits, ["address"]);
}

#[test]
fn attempts_in_flight_count_against_the_limit() {
    let mut throttle = SignInThrottle::new(LIMITS);
    let t0 = Instant::now();
    // Three attempts begun, none finished yet: the fourth waits for their outcome.
    let _in_flight: Vec<Attempt> = (0..3)
        .map(|_| throttle.begin("alice", None, t0).unwrap())
        .collect();
    assert!(throttle.begin("alice", None, t0).is_err());
}

#[test]
fn ipv6_addresses_count_per_64_and_mapped_ipv4_as_ipv4() {
    assert_eq!(
        address_key("2001:db8:1:2:aaaa::1".parse().unwrap()),
        "2001:db8:1:2::".parse::<IpAddr>().unwrap()
    );
    assert_eq!(
        address_key("::ffff:192.0.2.1".parse().unwrap()),
        "192.0.2.1".parse::<IpAddr>().unwrap()
    );
    let mut throttle = SignInThrottle::new(LIMITS);
    let t0 = Instant::now();
    for i in 0..5 {
        let address = ip(&format!("2001:db8:1:2::{i}"));
        throttle.begin(&format!("user{i}"), address, t0).unwrap();
    }
    assert!(throttle.begin("other", ip("2001:db8:1:2::99"), t0).is_err());
}

#[test]
fn long_names_count_under_a_bounded_key() {
    let mut throttle = SignInThrottle::new(LIMITS);
    let t0 = Instant::now();
    let long = "a".repeat(100_000);
    fail(&mut throttle, &long, None, t0, 3);
    assert!(throttle.begin(&long, None, t0).is_err());
    assert!(
        throttle
            .accounts
            .keys()
            .all(|k| k.len() <= ACCOUNT_KEY_CHARS)
    );
}

#[test]
fn memory_stays_bounded_when_many_names_are_tried() {
    let mut throttle = SignInThrottle::new(LIMITS);
    let t0 = Instant::now();
    for i in 0..MAX_TRACKED_KEYS + 50 {
        throttle.begin(&format!("name{i}"), None, t0).unwrap();
    }
    assert!(throttle.accounts.len() <= MAX_TRACKED_KEYS);
}
