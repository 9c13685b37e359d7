//! Users and tokens as the console's operator pages (and `/api/users`, `/api/tokens`) manage them: who may
//! see and change what, and an audit row for every change.
//!
//! Operators list and add users, and see, issue and revoke anyone's tokens. A user sees, issues and
//! revokes their own tokens only; someone else's token is "not found" to them, so ids cannot be probed.
//! A token is shown once, when issued; listings show its id, owner, label and dates, never the token or
//! its hash.

use serde_json::json;

use crate::actor::Actor;
use crate::core_error::CoreError;
use crate::service::Core;
use crate::store::{AuditEntry, Role};
use crate::users::{MAX_TOKEN_LABEL_CHARS, TokenRow, User};

/// A user to add.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// `^[a-z0-9_.-]{1,64}$`, not a reserved name.
    pub username: String,
    /// 1 to 1024 bytes; never logged or audited.
    pub password: String,
    /// What the user may do.
    pub role: Role,
}

/// A token to issue.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// Whose token (a username); `None` for the caller's own. Only operators name someone else.
    pub owner: Option<String>,
    /// What it is for: 1 to 100 characters, no control characters.
    pub label: String,
}

/// A token just issued: the secret (shown this once) and its row.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The bearer token.
    pub token: String,
    /// What listings show of it.
    pub row: TokenRow,
}

impl Core {
    /// Every user, oldest first. Operators only.
    pub async fn users(&self, actor: &Actor) -> Result<Vec<User>, CoreError> {
        actor.require_operator("listing users")?;
        self.store(|s| s.users()).await
    }

    /// Adds a user with a password and a role (no token: the user signs in, or an operator issues one).
    /// Operators only; audited `user.add`. `Invalid` for a bad name or password, `Conflict` for a taken name.
    pub async fn create_user(&self, actor: &Actor, new: NewUser) -> Result<User, CoreError> {
        actor.require_operator("adding a user")?;
        let by = actor.name.clone();
        self.store(move |s| {
            let user = s.add_user(&new.username, &new.password, new.role)?;
            s.audit_append(&AuditEntry {
                actor: by,
                action: "user.add".into(),
                target: Some(user.username.clone()),
                correlation_id: None,
                detail: json!({ "role": user.role }),
            })?;
            Ok(user)
        })
        .await
    }

    /// The tokens in force, oldest first: every user's for an operator, the caller's own for a user.
    pub async fn tokens(&self, actor: &Actor) -> Result<Vec<TokenRow>, CoreError> {
        let owner = own_scope(actor)?;
        self.store(move |s| s.tokens(owner.as_deref())).await
    }

    /// Issues a token that never expires. A user issues for themselves; an operator for anyone (`owner`
    /// names them). Audited `token.issue` (the row names the token's id, never the token).
    pub async fn issue_token(
        &self,
        actor: &Actor,
        new: NewToken,
    ) -> Result<IssuedToken, CoreError> {
        own_scope(actor)?;
        let label = new.label.trim().to_owned();
        if label.is_empty() || label.chars().count() > MAX_TOKEN_LABEL_CHARS {
            return Err(CoreError::Invalid(format!(
                "`label` must say what the token is for, in 1 to {MAX_TOKEN_LABEL_CHARS} characters"
            )));
        }
        let owner = new.owner.unwrap_or_else(|| actor.name.clone());
        if owner != actor.name && actor.role != Role::Operator {
            return Err(CoreError::Forbidden(format!(
                "`{}` may issue tokens for themselves only; an operator issues them for others",
                actor.name
            )));
        }
        let by = actor.name.clone();
        self.store(move |s| {
            let user = s.user_by_name(&owner)?.ok_or_else(|| {
                crate::StoreError::NotFound(format!(
                    "no user `{}`; GET /api/users lists them",
                    owner.escape_debug()
                ))
            })?;
            let (token, row) = s.issue_token_expiring(&user.id, &label, None)?;
            s.audit_append(&AuditEntry {
                actor: by,
                action: "token.issue".into(),
                target: Some(user.username.clone()),
                correlation_id: None,
                detail: json!({ "tokenId": row.id, "label": row.label }),
            })?;
            Ok(IssuedToken { token, row })
        })
        .await
    }

    /// Revokes the token `id` and returns what it was. An operator revokes any token; a user their own
    /// (someone else's is `NotFound`, as an unknown id is). Audited `token.revoke`.
    pub async fn revoke_token(&self, actor: &Actor, id: &str) -> Result<TokenRow, CoreError> {
        let owner = own_scope(actor)?;
        let (id, by) = (id.to_owned(), actor.name.clone());
        self.store(move |s| {
            let row = s.revoke_token(&id, owner.as_deref())?.ok_or_else(|| {
                crate::StoreError::NotFound(format!(
                    "no token `{}` of yours; GET /api/tokens lists them",
                    id.escape_debug()
                ))
            })?;
            s.audit_append(&AuditEntry {
                actor: by,
                action: "token.revoke".into(),
                target: Some(row.owner.clone()),
                correlation_id: None,
                detail: json!({ "tokenId": row.id, "label": row.label }),
            })?;
            Ok(row)
        })
        .await
    }
}

/// Whose tokens the caller may touch: `None` (everyone's) for an operator, their own user id for a user.
/// An anonymous caller has no tokens to manage.
fn own_scope(actor: &Actor) -> Result<Option<String>, CoreError> {
    if actor.is_anonymous() {
        return Err(CoreError::Unauthenticated(
            "managing tokens needs a signed-in caller".into(),
        ));
    }
    Ok((actor.role != Role::Operator).then(|| actor.user_id.clone()))
}
