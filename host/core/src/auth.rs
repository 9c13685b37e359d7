//! Authentication: bearer tokens, the bootstrap token, and the first operator (signing in and out is
//! [`crate::sign_in`]'s).
//!
//! `DRYDOCK_BOOTSTRAP_TOKEN` (read by the binary, handed in here) is a valid operator token for automation;
//! it is compared in constant time and never stored. Without it, the first start on an empty store creates
//! an operator and returns its token so the binary can print it once.

use serde_json::json;

use crate::actor::Actor;
use crate::core_error::CoreError;
use crate::service::Core;
use crate::store::{AuditEntry, Role};

/// The operator account that the bootstrap token acts as (created on first use; it has no usable password).
pub const BOOTSTRAP_ACTOR: &str = "automation";

impl Core {
    /// The actor a bearer token belongs to, if any. A token let in lately is answered right here, from the
    /// store's token cache; any other goes to the database on the blocking pool.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Actor>, CoreError> {
        if self.is_bootstrap_token(token) {
            return self.bootstrap_actor().await.map(Some);
        }
        if let Some(user) = self.shared.store.cached_user_for_token(token) {
            return Ok(Some(Actor::user(&user)));
        }
        let token = token.to_owned();
        let user = self.store(move |s| s.user_for_token(&token)).await?;
        Ok(user.as_ref().map(Actor::user))
    }

    /// Whether `token` is the bootstrap token (compared in constant time).
    pub(crate) fn is_bootstrap_token(&self, token: &str) -> bool {
        self.shared
            .bootstrap_token
            .as_ref()
            .is_some_and(|bootstrap| constant_time_eq(bootstrap.as_bytes(), token.as_bytes()))
    }

    /// The operator account behind the bootstrap token, created the first time it is needed.
    async fn bootstrap_actor(&self) -> Result<Actor, CoreError> {
        self.shared
            .bootstrap_actor
            .get_or_try_init(|| self.load_bootstrap_actor())
            .await
            .cloned()
    }

    async fn load_bootstrap_actor(&self) -> Result<Actor, CoreError> {
        let user = self
            .store(|s| match s.user_by_name(BOOTSTRAP_ACTOR)? {
                Some(user) => Ok(user),
                None => {
                    // A random password nobody knows: this account is reachable only through the token.
                    let password = format!(
                        "{}{}",
                        uuid::Uuid::new_v4().simple(),
                        uuid::Uuid::new_v4().simple()
                    );
                    match s.add_user(BOOTSTRAP_ACTOR, &password, Role::Operator) {
                        // Another request created it in the meantime.
                        Err(crate::StoreError::Conflict(_)) => s
                            .user_by_name(BOOTSTRAP_ACTOR)?
                            .ok_or_else(|| crate::StoreError::NotFound(BOOTSTRAP_ACTOR.into())),
                        other => other,
                    }
                }
            })
            .await?;
        if user.role != Role::Operator {
            return Err(CoreError::Internal(format!(
                "the user `{BOOTSTRAP_ACTOR}` exists but is not an operator; the bootstrap token cannot act as it"
            )));
        }
        Ok(Actor::user(&user))
    }

    /// Adds a user (CLI `drydock user add`); returns a token for it.
    pub async fn add_user(
        &self,
        username: &str,
        password: &str,
        role: Role,
        by: &str,
    ) -> Result<String, CoreError> {
        let (name, password, by) = (username.to_owned(), password.to_owned(), by.to_owned());
        self.store(move |s| {
            let user = s.add_user(&name, &password, role)?;
            let token = s.issue_token(&user.id, "created")?;
            s.audit_append(&AuditEntry {
                actor: by,
                action: "user.add".into(),
                target: Some(user.username.clone()),
                correlation_id: None,
                detail: json!({ "role": role }),
            })?;
            Ok(token)
        })
        .await
    }

    /// On an empty store without a bootstrap token: creates the operator `admin` with a random password
    /// and returns `(username, password, token)` to print once. Otherwise `None`.
    pub async fn ensure_first_operator(
        &self,
    ) -> Result<Option<(String, String, String)>, CoreError> {
        if self.shared.bootstrap_token.is_some() || self.store(|s| s.user_count()).await? > 0 {
            return Ok(None);
        }
        let password = uuid::Uuid::new_v4().simple().to_string();
        let token = self
            .add_user("admin", &password, Role::Operator, "system")
            .await?;
        Ok(Some(("admin".into(), password, token)))
    }
}

impl Core {
    /// The account a local, single-user face acts as (`drydock mcp` over stdio): the oldest operator.
    /// `Unauthenticated` when the data directory has none yet.
    pub async fn local_operator(&self) -> Result<Actor, CoreError> {
        match self.store(|s| s.first_operator()).await? {
            Some(user) => Ok(Actor::user(&user)),
            None => Err(CoreError::Unauthenticated(
                "this data directory has no operator account; create one with `drydock user add NAME --role \
                 operator`"
                    .into(),
            )),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(super::constant_time_eq(b"abc", b"abc"));
        assert!(!super::constant_time_eq(b"abc", b"abd"));
        assert!(!super::constant_time_eq(b"abc", b"abcd"));
    }
}
