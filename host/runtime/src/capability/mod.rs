//! One module per capability, each deciding through `drydock-policy` and recording into the journal.
//!
//! | module      | enforcement point                                   |
//! |-------------|-----------------------------------------------------|
//! | `http`      | the wasi-http `send_request` hook                   |
//! | `fs`        | preopens (read-only, scratch copy, or the real dir) |
//! | `secrets`   | `host.secret`                                       |
//! | `env`       | the guest's environment at instantiation            |
//! | `llm`       | `host.llm-complete`                                 |
//! | `call_tool` | `host.call-tool`, through a [`call_tool::ToolCaller`] handle |
//! | `guard`     | what a granted effect carries: argument rules, secret flow, addresses |
//!
//! Sockets and name lookup are never granted: the WASI context denies every address and lookup.

pub mod call_tool;
pub mod env;
pub mod fs;
pub mod guard;
pub mod http;
pub mod llm;
pub mod secrets;
