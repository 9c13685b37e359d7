//! Drydock's policy: what each plugin is granted, when a granted write may go live, and the decision for
//! every effect. Pure (no wasmtime, no I/O beyond reading the policy file), so every rule is testable
//! on its own and the runtime's enforcement points only *call* it.
//!
//! # Layout
//! - [`capability`]: the vocabulary: [`Capability`], [`Mode`], [`Outcome`], [`Decision`].
//! - [`url_match`]: the one URL matcher ([`UrlPrefix`] grants, [`TargetUrl`] requests).
//! - [`path_match`]: the one path matcher ([`normalize`], [`is_within`]).
//! - [`grants`]: validated grants of one plugin ([`PluginGrants`], [`HttpGrant`], [`FsGrant`], limits).
//! - `file`: the policy file's raw serde types and their validation into grants.
//! - [`policy`]: [`Policy`], the parsed file: grants per plugin, unknown plugins get nothing.
//! - [`live`]: [`LivePolicy`] (operator toggles) and [`LiveContext`] (master switch, mode, plan approval).
//! - [`rehearsed`]: what an approved rehearsal binds: [`EffectFingerprint`] of each write, the
//!   [`RehearsedEffects`] multiset a live run draws from.
//! - [`http_request`]: what an HTTP request really asks for ([`HttpRequest`]): method overrides, bodies on reads.
//! - [`rules`]: argument rules of a grant ([`HttpRules`], [`FsRules`]) and their checks.
//! - [`secret_forms`]: the forms a secret value takes (raw and encoded), shared with the redactor.
//! - [`secret_flow`]: [`SecretScanner`], where a secret granted *for* destinations may not go.
//! - [`decide`]: one decision function per effect kind ([`decide_http`], [`decide_fs_write`], ...).
//! - [`names`]: the syntax of secret and env names and fs mounts, shared with package requests.
//! - [`budgets`]: [`Budgets`], how many expensive requests per token and per anonymous address.
//! - [`suggest`]: least privilege from a trace: the smallest grants covering what a run used.
//! - [`trust`]: [`Trust`], the package signers an operator trusts ([`Ed25519PublicKey`]).
//! - [`error`]: [`PolicyError`] with `file:line:column` locations.

pub mod budgets;
pub mod capability;
pub mod decide;
pub mod error;
mod file;
pub mod grants;
pub mod http_request;
pub mod live;
pub mod names;
pub mod path_match;
pub mod policy;
pub mod rehearsed;
pub mod rules;
pub mod secret_flow;
pub mod secret_forms;
pub mod suggest;
pub mod trust;
pub mod url_match;

pub use budgets::{Budget, Budgets};
pub use capability::{Capability, Decision, Mode, Outcome, UnknownCapability, UnknownMode};
pub use decide::{decide_env, decide_fs_write, decide_http, decide_llm, decide_secret};
pub use error::{Location, PolicyError};
pub use grants::{
    FsAccess, FsGrant, HttpGrant, HttpMethod, LimitOverrides, PluginGrants, UnknownMethod,
};
pub use http_request::{HttpRequest, WriteSignal};
pub use live::{LiveContext, LivePolicy, MASTER_SWITCH_VAR, PlanApproval};
pub use path_match::{PathError, is_within, normalize};
pub use policy::Policy;
pub use rehearsed::{EffectFingerprint, PayloadShape, RehearsedEffects};
pub use rules::{
    BodySchema, FsRules, HttpRules, RuleBreach, WrittenFile, check_fs_rules, check_http_rules,
};
pub use secret_flow::{FlowBreach, RoutedSecret, SecretScanner};
pub use secret_forms::Encoding;
pub use suggest::{ChangeKind, GrantChange, Suggestion, UsedEffect, suggest};
pub use trust::{Ed25519PublicKey, KeyFormatError, Trust, TrustedKey};
pub use url_match::{Host, Scheme, TargetUrl, UrlError, UrlPrefix};
