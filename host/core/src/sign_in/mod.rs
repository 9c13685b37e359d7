//! Signing in and out: a username and password exchanged for a token (an API token that never expires, or
//! a console session that does), throttled per account and per client address ([`throttle`]).
//!
//! Every outcome is audited: `auth.login`, `auth.login.failed`, `auth.login.throttled` (only the first
//! refusal of a key in a window, so a locked-out attacker cannot flood the log) and `auth.logout`. No row
//! and no error carries a password or a token.

pub mod throttle;

use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::actor::Actor;
use crate::core_error::CoreError;
use crate::service::Core;
use crate::stamp::now_plus;
use crate::store::{AuditEntry, Store};
use throttle::{Refusal, SIGN_IN_LIMITS, SignInThrottle};

/// How long a console session lasts: a working day. Long enough that nobody signs in twice a day, short
/// enough that a session left open on a shared machine does not outlive the day.
pub const CONSOLE_SESSION_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);

/// The label of every console session's token, as token listings show it.
pub const CONSOLE_SESSION_LABEL: &str = "console session";

/// The label of a token issued by `POST /api/auth/login`.
pub const LOGIN_LABEL: &str = "login";

/// What a sign-in issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// An API token (label `login`) that lasts until it is revoked.
    ApiToken,
    /// A console session (label `console session`) that expires after [`CONSOLE_SESSION_LIFETIME`].
    Console,
}

impl SessionKind {
    /// The name in audit rows: `apiToken` or `console`.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::ApiToken => "apiToken",
            SessionKind::Console => "console",
        }
    }
}

/// One sign-in attempt.
#[derive(Debug, Clone)]
pub struct SignIn {
    /// The account name as typed.
    pub username: String,
    /// The password as typed; never logged, audited or echoed.
    pub password: String,
    /// The client's address (the TCP peer; never a forwarded header), when known.
    pub client: Option<IpAddr>,
    /// What to issue.
    pub kind: SessionKind,
}

/// A successful sign-in.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The bearer token; shown once (only its hash is kept).
    pub token: String,
    /// Who signed in.
    pub actor: Actor,
    /// When the token stops working (RFC 3339 UTC); `None` for an API token.
    pub expires_at: Option<String>,
}

/// The sign-in state every handle of one [`Core`] shares.
pub(crate) struct SignInState {
    /// Failed sign-ins per account and per address.
    throttle: Mutex<SignInThrottle>,
    /// How long a console session lasts, in milliseconds ([`Core::set_console_session_lifetime`]).
    console_lifetime_ms: std::sync::atomic::AtomicU64,
}

impl Default for SignInState {
    fn default() -> Self {
        Self {
            throttle: Mutex::new(SignInThrottle::new(SIGN_IN_LIMITS)),
            console_lifetime_ms: std::sync::atomic::AtomicU64::new(millis(
                CONSOLE_SESSION_LIFETIME,
            )),
        }
    }
}

impl SignInState {
    fn throttle(&self) -> std::sync::MutexGuard<'_, SignInThrottle> {
        // The throttle's maps stay consistent whatever panicked while holding them.
        self.throttle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Core {
    /// Checks a username and password and issues a token of `request.kind`.
    ///
    /// Refused with `RateLimited` (without checking the password, so even the right one is refused) when
    /// the account or the client address has too many recent failures ([`throttle::SIGN_IN_LIMITS`]);
    /// with `Unauthenticated` for a wrong password and an unknown user alike. A success clears the
    /// account's failures. Audited either way.
    pub async fn sign_in(&self, request: SignIn) -> Result<SignedIn, CoreError> {
        let SignIn {
            username,
            password,
            client,
            kind,
        } = request;
        let begun = self
            .shared
            .sign_in
            .throttle()
            .begin(&username, client, Instant::now());
        let attempt = match begun {
            Ok(attempt) => attempt,
            Err(refusal) => return Err(self.refuse_throttled(&username, client, refusal).await),
        };
        let lifetime = Duration::from_millis(
            self.shared
                .sign_in
                .console_lifetime_ms
                .load(Ordering::Relaxed),
        );
        let name = username.clone();
        let verified = self
            .store(move |s| {
                let Some(user) = s.verify_password(&name, &password)? else {
                    s.audit_append(&sign_in_row(
                        "anonymous",
                        "auth.login.failed",
                        &name,
                        client,
                        json!({}),
                    ))?;
                    return Ok(None);
                };
                let (label, expires_at) = match kind {
                    SessionKind::ApiToken => (LOGIN_LABEL, None),
                    SessionKind::Console => {
                        // Sessions pile up otherwise: one row per sign-in, refused once expired.
                        s.delete_expired_tokens()?;
                        (CONSOLE_SESSION_LABEL, Some(now_plus(lifetime)))
                    }
                };
                let (token, row) =
                    s.issue_token_expiring(&user.id, label, expires_at.as_deref())?;
                let detail = json!({ "kind": kind.as_str(), "tokenId": row.id });
                s.audit_append(&sign_in_row(
                    &user.username,
                    "auth.login",
                    &user.username,
                    client,
                    detail,
                ))?;
                Ok(Some((token, user, row.expires_at)))
            })
            .await?;
        let Some((token, user, expires_at)) = verified else {
            return Err(CoreError::Unauthenticated(
                "wrong username or password".into(),
            ));
        };
        self.shared.sign_in.throttle().succeeded(&attempt);
        Ok(SignedIn {
            token,
            actor: Actor::user(&user),
            expires_at,
        })
    }

    /// [`Core::sign_in`] for an API token, without a client address (the REST route passes one).
    pub async fn login(
        &self,
        username: &str,
        password: &str,
    ) -> Result<(String, Actor), CoreError> {
        let signed_in = self
            .sign_in(SignIn {
                username: username.to_owned(),
                password: password.to_owned(),
                client: None,
                kind: SessionKind::ApiToken,
            })
            .await?;
        Ok((signed_in.token, signed_in.actor))
    }

    /// Revokes the token `token` (signing out of a console session, or dropping an API token); audited
    /// `auth.logout`. A token that is already gone is not an error (signing out twice is harmless); the
    /// bootstrap token is `Invalid`: it lives in the server's environment, not in the store.
    pub async fn sign_out(&self, token: &str) -> Result<(), CoreError> {
        if self.is_bootstrap_token(token) {
            return Err(CoreError::Invalid(
                "the bootstrap token cannot be signed out; it lasts while DRYDOCK_BOOTSTRAP_TOKEN is set"
                    .into(),
            ));
        }
        let token = token.to_owned();
        self.store(move |s| {
            if let Some(row) = s.revoke_token_secret(&token)? {
                s.audit_append(&AuditEntry {
                    actor: row.owner.clone(),
                    action: "auth.logout".into(),
                    target: Some(row.owner.clone()),
                    correlation_id: None,
                    detail: json!({ "tokenId": row.id, "label": row.label }),
                })?;
            }
            Ok(())
        })
        .await
    }

    /// Sets how long console sessions issued from now on last (existing ones keep their end). The default
    /// is [`CONSOLE_SESSION_LIFETIME`]; zero issues sessions that are already expired (for tests).
    pub fn set_console_session_lifetime(&self, lifetime: Duration) {
        self.shared
            .sign_in
            .console_lifetime_ms
            .store(millis(lifetime), Ordering::Relaxed);
    }

    /// Audits the first refusal of a key in its window and says when to retry.
    async fn refuse_throttled(
        &self,
        username: &str,
        client: Option<IpAddr>,
        refusal: Refusal,
    ) -> CoreError {
        let retry_after = refusal.retry_after.max(Duration::from_secs(1));
        let which = match refusal.limits.as_slice() {
            ["account"] => "for this account",
            ["address"] => "from this address",
            _ => "for this account and from this address",
        };
        if refusal.audit {
            let detail = json!({
                "limits": refusal.limits,
                "retryAfterSeconds": retry_after.as_secs(),
            });
            let row = sign_in_row(
                "anonymous",
                "auth.login.throttled",
                username,
                client,
                detail,
            );
            if let Err(error) = self.store(move |s: &Store| s.audit_append(&row)).await {
                return error;
            }
        }
        CoreError::rate_limited(format!("too many failed sign-ins {which}"), retry_after)
    }
}

/// An audit row of a sign-in, naming the client's address when known.
fn sign_in_row(
    actor: &str,
    action: &str,
    account: &str,
    client: Option<IpAddr>,
    mut detail: Value,
) -> AuditEntry {
    if let (Some(client), Some(fields)) = (client, detail.as_object_mut()) {
        fields.insert("client".into(), json!(client.to_string()));
    }
    AuditEntry {
        actor: actor.into(),
        action: action.into(),
        // The name as typed, cut like the throttle's key: the audit log must not grow by what a caller sends.
        target: Some(account.chars().take(65).collect()),
        correlation_id: None,
        detail,
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
