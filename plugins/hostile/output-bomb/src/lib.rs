//! Hostile plugin `hostile_output_bomb`: floods every output channel.
//!
//! `hostile_output_bomb.run {}` sends 10,000 lines through the host's `log`, writes 10 MiB to stdout (write
//! errors ignored), then returns a 64 MiB JSON result `{"junk": "aaaa..."}`. The host must drop the log
//! lines past its budget, bound stdout, and refuse the result as too large.
//!
//! It implements the generated `Guest` trait directly rather than `ToolPlugin`, so the result is built in
//! place as one string instead of a `serde_json::Value` plus its printed copy: the host's output limit, not
//! the guest's memory, is what should stop it. For the same reason, when the memory limit cannot hold 64 MiB
//! it halves the size until the allocation succeeds (down to 2 MiB), so the result is always far larger than
//! any sane output limit without the guest dying of memory first.

use std::io::Write as _;

use drydock_plugin_sdk::tool_world::exports::drydock::plugin::tool::Guest;
use drydock_plugin_sdk::{LogLevel, ToolError, ToolSpec, host, object_schema, tool_spec};
use serde_json::json;

const LOG_LINES: usize = 10_000;
const STDOUT_BYTES: usize = 10 * 1024 * 1024;
const RESULT_BYTES: usize = 64 * 1024 * 1024;
const MIN_RESULT_BYTES: usize = 2 * 1024 * 1024;

struct HostileOutputBomb;

impl Guest for HostileOutputBomb {
    fn describe() -> Vec<ToolSpec> {
        let description = "Floods the log and stdout, then returns a result of up to 64 MiB.";
        vec![tool_spec(
            "hostile_output_bomb.run",
            description,
            &object_schema(json!({}), &[]),
        )]
    }

    fn invoke(_name: String, _args: String) -> Result<String, ToolError> {
        for line in 0..LOG_LINES {
            host::log(
                LogLevel::Info,
                &format!("hostile_output_bomb log line {line}"),
            );
        }
        let chunk = [b'o'; 64 * 1024];
        let mut stdout = std::io::stdout().lock();
        for _ in 0..STDOUT_BYTES / chunk.len() {
            if stdout.write_all(&chunk).is_err() {
                break;
            }
        }
        // Ignored on purpose: a host that closed stdout should not stop the rest of the attack.
        let _ = stdout.flush();
        drop(stdout);
        Ok(junk_result())
    }
}

/// `{"junk": "aaa..."}` as large as memory allows: 64 MiB of `a`, or the largest halving of it that fits.
fn junk_result() -> String {
    let mut junk_bytes = RESULT_BYTES;
    let mut result = String::new();
    while result.try_reserve_exact(junk_bytes + 16).is_err() && junk_bytes > MIN_RESULT_BYTES {
        junk_bytes /= 2;
    }
    result.push_str("{\"junk\":\"");
    result.extend(std::iter::repeat_n('a', junk_bytes));
    result.push_str("\"}");
    result
}

drydock_plugin_sdk::tool_world::export_tool_world!(HostileOutputBomb);
