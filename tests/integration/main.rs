//! Drydock's integration tests: one binary, one module per area. Every test runs real plugin components
//! (built for wasm32-wasip2 by `build.rs`) in the real runtime; HTTP goes to a real local peer.

mod support;

mod accounts;
mod arguments;
mod budgets;
mod call_tool;
mod chat;
mod chat_llm;
mod chat_stream;
mod console;
mod console_auth;
mod console_flows;
mod console_operators;
mod console_plans;
mod console_plans_refusals;
mod console_review;
mod engine;
mod fastagency;
mod fs_grants;
mod hardening;
mod hostile;
mod http_grants;
mod languages;
mod languages_bad_input;
mod live_gating;
mod llm_provider;
mod loading;
mod mcp;
mod mcp_calls;
mod mcp_plans;
mod packages;
mod packages_api;
mod packages_sources;
mod plan_api;
mod planner;
mod plugin_changes;
mod policy_api;
mod policy_suggest;
mod rehearsal_files;
mod rehearsal_live;
mod runs;
mod secrets_env;
mod server;
mod sign_in;
mod workflows;
