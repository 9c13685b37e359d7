//! Users, passwords and tokens.

use super::*;
use crate::store::DB_FILE_NAME;
use crate::store::test_support::{PASSWORD, new_user, temp_store};

#[test]
fn added_user_verifies_with_the_right_password_only() {
    let (_dir, store) = temp_store();
    let alice = store.add_user("alice", PASSWORD, Role::Operator).unwrap();
    assert_eq!(alice.role, Role::Operator);
    assert_eq!(
        store.verify_password("alice", PASSWORD).unwrap(),
        Some(alice.clone())
    );
    assert_eq!(
        store.verify_password("alice", "wrong password").unwrap(),
        None
    );
    assert_eq!(store.verify_password("bob", PASSWORD).unwrap(), None);
    assert_eq!(store.user_by_name("alice").unwrap(), Some(alice));
    assert_eq!(store.user_by_name("bob").unwrap(), None);
    assert_eq!(store.user_count().unwrap(), 1);
}

#[test]
fn password_is_stored_as_an_argon2id_phc_string() {
    let (_dir, store) = temp_store();
    new_user(&store, "alice");
    let stored: String = store
        .read(|conn| Ok(conn.query_row("SELECT password_hash FROM users", [], |r| r.get(0))?))
        .unwrap();
    assert!(stored.starts_with("$argon2id$"), "{stored}");
    assert!(!stored.contains(PASSWORD));
}

#[test]
fn duplicate_username_is_a_conflict() {
    let (_dir, store) = temp_store();
    new_user(&store, "alice");
    let error = store
        .add_user("alice", "another password", Role::User)
        .unwrap_err();
    assert!(
        matches!(&error, StoreError::Conflict(m) if m.contains("alice")),
        "{error}"
    );
    assert_eq!(store.user_count().unwrap(), 1);
}

#[test]
fn invalid_or_reserved_usernames_are_refused() {
    let (_dir, store) = temp_store();
    let too_long = "a".repeat(65);
    for name in [
        "",
        "Alice",
        "al ice",
        "al:ice",
        "ålice",
        too_long.as_str(),
        "system",
        "anonymous",
    ] {
        let error = store.add_user(name, PASSWORD, Role::User).unwrap_err();
        assert!(matches!(error, StoreError::Invalid(_)), "{name:?}: {error}");
    }
    for name in ["a", "alice.b-c_9", &"z".repeat(64)] {
        store.add_user(name, PASSWORD, Role::User).unwrap();
    }
}

#[test]
fn empty_or_huge_password_is_refused() {
    let (_dir, store) = temp_store();
    for password in [String::new(), "x".repeat(MAX_PASSWORD_BYTES + 1)] {
        let error = store.add_user("alice", &password, Role::User).unwrap_err();
        assert!(matches!(error, StoreError::Invalid(_)), "{error}");
    }
}

#[test]
fn token_resolves_to_its_user_and_garbage_does_not() {
    let (_dir, store) = temp_store();
    let alice = new_user(&store, "alice");
    let bob = new_user(&store, "bob");
    let token = store.issue_token(&alice.id, "laptop").unwrap();
    let other = store.issue_token(&bob.id, "").unwrap();
    assert!(
        token.starts_with(TOKEN_PREFIX) && token.len() == TOKEN_PREFIX.len() + 64,
        "{token}"
    );
    assert_ne!(token, other);
    assert_eq!(store.user_for_token(&token).unwrap(), Some(alice));
    assert_eq!(store.user_for_token(&other).unwrap(), Some(bob));
    let unknown = format!("{TOKEN_PREFIX}{}", "0".repeat(64));
    for garbage in [
        "",
        "dd_",
        "garbage",
        &token[..token.len() - 1],
        &token.to_uppercase(),
        &unknown,
    ] {
        assert_eq!(store.user_for_token(garbage).unwrap(), None, "{garbage:?}");
    }
}

#[test]
fn token_for_an_unknown_user_is_not_found() {
    let (_dir, store) = temp_store();
    let error = store.issue_token("no-such-user", "x").unwrap_err();
    assert!(matches!(error, StoreError::NotFound(_)), "{error}");
}

#[test]
fn only_the_tokens_hash_reaches_the_database_file() {
    let (dir, store) = temp_store();
    let alice = new_user(&store, "alice");
    let token = store.issue_token(&alice.id, "ci").unwrap();
    drop(store); // checkpoints the WAL into the main file
    let mut bytes = std::fs::read(dir.path().join(DB_FILE_NAME)).unwrap();
    if let Ok(wal) = std::fs::read(dir.path().join(format!("{DB_FILE_NAME}-wal"))) {
        bytes.extend(wal);
    }
    let contains = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(
        contains(&sha256_hex(token.as_bytes())),
        "the hash should be stored (test sanity)"
    );
    assert!(
        !contains(&token) && !contains(&token[TOKEN_PREFIX.len()..]),
        "the raw token is in the file"
    );
}

#[test]
fn role_names_round_trip() {
    for role in Role::ALL {
        assert_eq!(role.as_str().parse::<Role>().unwrap(), *role);
        assert_eq!(
            serde_json::to_value(role).unwrap(),
            serde_json::json!(role.as_str())
        );
    }
    assert_eq!(Role::Operator.to_string(), "operator");
    let error = "admin".parse::<Role>().unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown role `admin` (expected one of user, operator)"
    );
}

#[test]
fn an_expired_token_is_refused_unlisted_and_swept() {
    let (_dir, store) = temp_store();
    let alice = new_user(&store, "alice");
    let (past, _) = store
        .issue_token_expiring(
            &alice.id,
            "console session",
            Some("2000-01-01T00:00:00.000000Z"),
        )
        .unwrap();
    let (future, row) = store
        .issue_token_expiring(
            &alice.id,
            "console session",
            Some("2999-01-01T00:00:00.000000Z"),
        )
        .unwrap();
    assert_eq!(store.user_for_token(&past).unwrap(), None);
    assert_eq!(store.user_for_token(&future).unwrap(), Some(alice.clone()));
    assert_eq!(store.tokens(Some(&alice.id)).unwrap(), [row]);
    assert_eq!(store.delete_expired_tokens().unwrap(), 1);
    assert_eq!(store.delete_expired_tokens().unwrap(), 0);
}

#[test]
fn a_token_is_revoked_by_id_only_within_its_owners_scope() {
    let (_dir, store) = temp_store();
    let alice = new_user(&store, "alice");
    let bob = new_user(&store, "bob");
    let (token, row) = store.issue_token_expiring(&alice.id, "ci", None).unwrap();
    assert_eq!(row.owner, "alice");
    assert_eq!(row.expires_at, None);
    assert_eq!(store.revoke_token(&row.id, Some(&bob.id)).unwrap(), None);
    assert!(store.user_for_token(&token).unwrap().is_some());
    assert_eq!(
        store.revoke_token(&row.id, Some(&alice.id)).unwrap(),
        Some(row.clone())
    );
    assert_eq!(store.user_for_token(&token).unwrap(), None);
    assert_eq!(store.revoke_token(&row.id, None).unwrap(), None);
    let (again, _) = store.issue_token_expiring(&bob.id, "x", None).unwrap();
    assert_eq!(
        store.revoke_token_secret(&again).unwrap().unwrap().owner,
        "bob"
    );
    assert_eq!(store.revoke_token_secret(&again).unwrap(), None);
}

#[test]
fn a_token_answered_from_the_cache_is_refused_at_once_after_any_change_to_the_accounts() {
    let (_dir, store) = temp_store();
    let alice = new_user(&store, "alice");
    let bob = new_user(&store, "bob");
    let issue = |user: &User| store.issue_token_expiring(&user.id, "ci", None).unwrap();
    // Each change to the accounts (given the token and its row), and whether it took the token away.
    type Change<'a> = Box<dyn Fn(&str, &TokenRow) + 'a>;
    let changes: Vec<(&str, Change, bool)> = vec![
        (
            "revoked by id",
            Box::new(|_, row| assert!(store.revoke_token(&row.id, None).unwrap().is_some())),
            true,
        ),
        (
            "signed out",
            Box::new(|token, _| assert!(store.revoke_token_secret(token).unwrap().is_some())),
            true,
        ),
        (
            "another token revoked",
            Box::new(|_, _| {
                let (_, other) = issue(&bob);
                store.revoke_token(&other.id, None).unwrap();
            }),
            false,
        ),
        (
            "expired tokens swept",
            Box::new(|_, _| {
                store.delete_expired_tokens().unwrap();
            }),
            false,
        ),
        (
            "a user added",
            Box::new(|_, _| {
                new_user(&store, "carol");
            }),
            false,
        ),
    ];
    for (change, apply, revoked) in changes {
        let (token, row) = issue(&alice);
        assert_eq!(store.user_for_token(&token).unwrap(), Some(alice.clone()));
        assert_eq!(
            store.cached_user_for_token(&token),
            Some(alice.clone()),
            "{change}: the lookup is kept"
        );
        apply(&token, &row);
        assert_eq!(
            store.cached_user_for_token(&token),
            None,
            "{change}: the cache is emptied"
        );
        let expected = (!revoked).then(|| alice.clone());
        assert_eq!(store.user_for_token(&token).unwrap(), expected, "{change}");
    }
    // Neither a malformed nor an unknown token is looked up or kept.
    let unknown = format!("{TOKEN_PREFIX}{}", "0".repeat(64));
    for refused in ["garbage", unknown.as_str()] {
        assert_eq!(store.user_for_token(refused).unwrap(), None);
        assert_eq!(store.cached_user_for_token(refused), None);
    }
}

#[test]
fn a_token_listing_never_holds_the_token_or_its_hash() {
    let (_dir, store) = temp_store();
    let alice = new_user(&store, "alice");
    let token = store.issue_token(&alice.id, "laptop").unwrap();
    let listed = serde_json::to_string(&store.tokens(None).unwrap()).unwrap();
    assert!(!listed.contains(&token));
    assert!(!listed.contains(&sha256_hex(token.as_bytes())));
    assert!(listed.contains("\"expiresAt\":null"), "{listed}");
}
