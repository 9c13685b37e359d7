//! # drydock: the binary's library
//!
//! The HTTP server and the command line. Handlers are short: extract, call the core, map the result; the
//! domain lives in `drydock-core` and the sandbox in `drydock-runtime`.
//!
//! # Layout
//! - [`api`]: `app(state) -> Router` (separate from serving it, so tests can drive routes), [`api::ApiError`],
//!   one module per resource.
//! - [`console`]: the web console at `/`: server-rendered pages over the core, cookie sign-in, CSRF-checked
//!   forms, embedded assets (`host/server/console/`), one module per page family.
//! - [`cli`]: the `drydock` subcommands (`serve`, `plugin`, `tool`, `plan`).

pub mod api;
pub mod cli;
pub mod console;
