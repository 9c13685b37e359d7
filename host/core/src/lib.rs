//! # drydock-core: the domain and its durable store
//!
//! Everything a user or operator would miss after a restart lives here: users and API tokens, sessions,
//! versioned plans and their approvals, executions, events, artifacts, the operator's LivePolicy overrides
//! and the hash-chained audit log. It is all kept in one SQLite file in the data directory. [`Store`] is
//! synchronous on purpose: [`Core`] calls it on the blocking pool, and a plain function is easier to test
//! and to reason about than a future holding a database lock. The two exceptions are threads of the store's
//! own: the audit log's group-commit writer (the invocation path awaits its commit without a blocking-pool
//! hop) and the WAL checkpointer, which keeps checkpoint fsyncs off every commit.
//!
//! # Layout
//! - [`service`]: [`Core`], the one entry point of the server: role checks, store and runtime in step, every
//!   mutation audited. [`auth`]: tokens, the bootstrap token, the first operator. [`actor`]: who asks.
//!   [`core_error`]: [`CoreError`], what the server maps to HTTP statuses. [`sign_in`]: signing in (API
//!   tokens and expiring console sessions) and out, throttled per account and per client address.
//!   [`accounts`]: listing and adding users, listing, issuing and revoking tokens, with role checks.
//!   [`sessions_service`]: sessions, plan generation and approval, events. [`execute`]: running a plan node in the background.
//!   [`plan_check`]: a proposed plan is a DAG of known tools with valid arguments. [`plan_views`]: what
//!   the web console reads of a plan (its executions, an execution's full journal).
//! - [`store`]: [`Store`], opening the file (WAL, pragmas), versioned migrations, the connection lock, the
//!   checkpoint thread.
//! - [`users`]: [`User`], [`Role`], argon2id passwords and `dd_` API tokens (only their hash is stored), and
//!   the cache of tokens let in during the last second (`users/token_cache.rs`).
//! - [`sessions`], [`plans`], [`executions`], [`events`], [`artifacts`]: one module per table family,
//!   each with its row type and the [`Store`] methods that read and write it.
//! - [`chat`]: the chat face (seed 000): conversations, the agent (intent, requirements, answers), tasks,
//!   running a whole approved plan. [`settings`]: LLM providers, applied to the agent and the runtime;
//!   [`llm_choice`]: the model a client chooses for a run, and who may choose what.
//! - [`workflow_layouts`]: node positions a graphical editor keeps beside a workflow (Astonish's studio).
//! - [`workflows`]: the stored workflow YAML; [`workflows_service`]: the catalog on [`Core`] (validated by
//!   `drydock-workflow` against the loaded tools, operators write, every write audited) and the import of
//!   a workflows directory at start. [`runs`]: stored workflow runs and their events; [`runs_service`]:
//!   starting, answering, validating and cancelling runs, tool nodes through the sandbox, runs left in the
//!   middle of a call picked up at start.
//! - [`mojodex`]: Mojodex's integers over workflows, steps and runs, and the executions a Mojodex client
//!   creates before starting them (seed 003; the server's `api/mojodex` translates the wire).
//! - [`proposals`]: plans an agent proposes over MCP from the calls it rehearsed, rehearsed at once; running
//!   them once a person approved them.
//! - [`rehearsals`]: the rehearsal of a plan version ("what will change"), the hash an approval binds,
//!   the writes a live run may perform, and holding any other for an operator's review.
//! - [`live_policy`]: the operator's per-plugin list of capabilities that may go live. [`policy_suggest`]:
//!   the smallest grants covering what an execution, a session's plan or a run used (from the audit log).
//! - [`audit`]: the append-only, hash-chained audit log, its verifier and [`verify_offline`].
//! - [`canonical`]: canonical JSON and the SHA-256 content hash used by plans and the audit chain.
//! - [`text_enum`]: the stored names of enums ([`Role`], [`PlanStatus`], [`ExecutionStatus`]).
//! - [`error`]: the one error type, [`StoreError`].
//! - `stamp`: RFC 3339 timestamps and UUID v4 ids, made the same way everywhere.
//!
//! Data flows one way: the server calls the core, the core calls the runtime and the policy; nothing here
//! knows about HTTP.

pub mod accounts;
pub mod actor;
pub mod artifacts;
pub mod audit;
pub mod auth;
pub mod canonical;
pub mod chat;
pub mod core_error;
pub mod error;
pub mod events;
pub mod execute;
pub mod executions;
pub mod live_policy;
pub mod llm_choice;
pub mod mojodex;
pub mod packages;
pub mod plan_check;
pub mod plan_views;
pub mod plans;
pub mod policy_suggest;
pub mod proposals;
pub mod rehearsals;
mod run_host;
pub mod runs;
pub mod runs_service;
pub mod service;
pub mod sessions;
pub mod sessions_service;
pub mod settings;
pub mod sign_in;
mod stamp;
pub mod store;
pub mod text_enum;
pub mod users;
pub mod workflow_layouts;
pub mod workflows;
pub mod workflows_service;

pub use actor::Actor;
pub use artifacts::ArtifactRow;
pub use audit::{AuditEntry, AuditRow, ChainLink, GENESIS_HASH, Verification, verify_offline};
pub use canonical::{canonical_json, content_hash};
pub use core_error::CoreError;
pub use error::StoreError;
pub use events::EventRow;
pub use executions::{ExecutionRow, ExecutionStatus};
pub use plans::{PlanRow, PlanStatus};
pub use service::{CallControls, Channel, Core, CoreConfig, Invocation};
pub use sessions::SessionRow;
pub use sign_in::{SessionKind, SignIn, SignedIn};
pub use store::{DB_FILE_NAME, MAX_PAGE, SCHEMA_VERSION, Store};
pub use text_enum::UnknownName;
pub use users::{Role, TokenRow, User};
