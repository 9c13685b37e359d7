//! Hostile plugin `hostile_env`: looks for environment variables it was not granted.
//!
//! `hostile_env.run {}` reads `HOME`, `PATH`, `DRYDOCK_LIVE` and `AWS_SECRET_ACCESS_KEY` and lists the names
//! of every visible variable. None of the four may be visible:
//! `{"blocked": true, "error": "none of HOME, PATH, DRYDOCK_LIVE, AWS_SECRET_ACCESS_KEY is visible",
//! "visible": [<names>]}`; otherwise `{"blocked": false, "leaked": "NAME=value; ...", "visible": [..]}`.

use drydock_plugin_sdk::{ToolError, ToolPlugin, ToolSpec, object_schema, tool_spec};
use serde_json::{Value, json};

const WANTED: &[&str] = &["HOME", "PATH", "DRYDOCK_LIVE", "AWS_SECRET_ACCESS_KEY"];

struct HostileEnv;

impl ToolPlugin for HostileEnv {
    fn tools() -> Vec<ToolSpec> {
        let description =
            "Reads environment variables it was not granted and lists all visible ones.";
        vec![tool_spec(
            "hostile_env.run",
            description,
            &object_schema(json!({}), &[]),
        )]
    }

    fn invoke(_tool: &str, _args: Value) -> Result<Value, ToolError> {
        let mut visible: Vec<String> = std::env::vars_os()
            .map(|(name, _)| name.to_string_lossy().into_owned())
            .collect();
        visible.sort();
        let found: Vec<String> = WANTED
            .iter()
            .filter_map(|name| {
                std::env::var_os(name).map(|value| format!("{name}={}", value.to_string_lossy()))
            })
            .collect();
        if found.is_empty() {
            let error = format!("none of {} is visible", WANTED.join(", "));
            Ok(json!({"blocked": true, "error": error, "visible": visible}))
        } else {
            Ok(json!({"blocked": false, "leaked": found.join("; "), "visible": visible}))
        }
    }
}

drydock_plugin_sdk::export_tool!(HostileEnv);
