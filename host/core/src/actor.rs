//! Who is asking: the authenticated user behind a request (or the anonymous caller of a public route).

use crate::core_error::CoreError;
use crate::store::{Role, User};

/// The caller of an operation, as the audit log names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// User id (empty for anonymous callers).
    pub user_id: String,
    /// Username, or `anonymous`.
    pub name: String,
    /// What the caller may do.
    pub role: Role,
}

impl Actor {
    /// The actor of an authenticated user.
    pub fn user(user: &User) -> Self {
        Self {
            user_id: user.id.clone(),
            name: user.username.clone(),
            role: user.role,
        }
    }

    /// The caller of a public route who sent no token (FastAgency's own clients). Sees and runs only
    /// workflows marked `public`, dry-run; audited as `anonymous`.
    pub fn anonymous() -> Self {
        Self {
            user_id: String::new(),
            name: "anonymous".into(),
            role: Role::User,
        }
    }

    /// Whether this is [`Actor::anonymous`].
    pub fn is_anonymous(&self) -> bool {
        self.user_id.is_empty()
    }

    /// Refuses callers that are not operators, naming the operation.
    pub fn require_operator(&self, operation: &str) -> Result<(), CoreError> {
        if self.role == Role::Operator {
            Ok(())
        } else {
            Err(CoreError::Forbidden(format!(
                "{operation} needs the operator role; `{}` is a {}",
                self.name, self.role
            )))
        }
    }
}
