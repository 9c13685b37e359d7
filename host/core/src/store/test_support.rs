//! Helpers for the crate's unit tests: a store in a temporary directory (a real file, WAL and all) and
//! quick ways to make the rows most tests need.

use serde_json::json;
use tempfile::TempDir;

use crate::{Role, SessionRow, Store, User};

/// A password good enough for tests.
pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// A fresh store in its own temporary data directory (kept alive by the returned `TempDir`).
pub(crate) fn temp_store() -> (TempDir, Store) {
    let dir = tempfile::tempdir().expect("create a temporary directory");
    let store = Store::open(dir.path()).expect("open a fresh store");
    (dir, store)
}

/// A new user with role `user` and [`PASSWORD`].
pub(crate) fn new_user(store: &Store, username: &str) -> User {
    store
        .add_user(username, PASSWORD, Role::User)
        .expect("add a test user")
}

/// A session owned by a new user named `username`.
pub(crate) fn session_of_new_user(store: &Store, username: &str) -> SessionRow {
    let user = new_user(store, username);
    store
        .create_session(&user.id, &json!({"title": format!("work of {username}")}))
        .expect("create a test session")
}
