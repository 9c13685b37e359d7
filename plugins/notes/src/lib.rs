//! The `notes` plugin: the notes tool set of the conformance suite, in Rust (the same tools as
//! `plugins/notes-py` and `plugins/notes-js`, so that `tests/integration/languages.rs` runs the same cases
//! against the three). Files live under `/workspace`; `fetch` and `post` go through the host's HTTP gate;
//! `peek` tries any path (the host decides); `secret` reads a granted secret and only says how long it is;
//! `call` calls another tool; `report` keeps an artifact. `crash`, `spin` and `hog` misbehave on purpose.

use std::fs;
use std::path::Path;

use drydock_plugin_sdk::http::Request;
use drydock_plugin_sdk::{
    LogLevel, Mode, ToolError, ToolPlugin, ToolSpec, call_tool, host, object_schema, tool_spec,
};
use serde_json::{Value, json};

const ROOT: &str = "/workspace";

struct Notes;

fn string() -> Value {
    json!({"type": "string"})
}

fn text(args: &Value, key: &str) -> Result<String, ToolError> {
    args[key]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| ToolError::InvalidInput(format!("`{key}` must be a string")))
}

/// `relative` inside /workspace; `..` and absolute paths are refused before the host sees them.
fn inside(relative: &str) -> Result<String, ToolError> {
    let parts: Vec<&str> = relative
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if relative.starts_with('/') || parts.is_empty() || parts.contains(&"..") {
        return Err(ToolError::InvalidInput(format!(
            "`path` must be a relative path inside the workspace, not {relative:?}"
        )));
    }
    Ok(format!("{ROOT}/{}", parts.join("/")))
}

/// Every regular file under `dir`, relative to it, sorted.
fn walk(dir: &Path, prefix: &str, found: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let relative = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => walk(&entry.path(), &relative, found),
            Ok(kind) if kind.is_file() => found.push(relative),
            _ => {}
        }
    }
}

impl ToolPlugin for Notes {
    fn tools() -> Vec<ToolSpec> {
        let one = |key: &str| object_schema(json!({ key: string() }), &[key]);
        vec![
            tool_spec(
                "notes.echo",
                "Echoes its text back (the languages benchmark calls it).",
                &one("text"),
            ),
            tool_spec(
                "notes.read",
                "Reads a note (a UTF-8 file) from the workspace.",
                &one("path"),
            ),
            tool_spec(
                "notes.write",
                "Writes a note into the workspace (a dry run keeps it in a scratch copy and shows the diff).",
                &object_schema(
                    json!({"path": string(), "content": string()}),
                    &["path", "content"],
                ),
            ),
            tool_spec(
                "notes.search",
                "Finds the lines of the notes that contain a text.",
                &one("text"),
            ),
            tool_spec(
                "notes.peek",
                "Tries to read any absolute path, inside the workspace or not (the host allows only granted directories).",
                &one("path"),
            ),
            tool_spec(
                "notes.fetch",
                "Reads a URL (GET) through the host's HTTP gate.",
                &one("url"),
            ),
            tool_spec(
                "notes.post",
                "Posts a note to a URL as JSON; in a dry run the host answers instead of sending it.",
                &object_schema(json!({"url": string(), "text": string()}), &["url", "text"]),
            ),
            tool_spec(
                "notes.env",
                "Tells the value of an environment variable, if the plugin may see it.",
                &one("name"),
            ),
            tool_spec(
                "notes.secret",
                "Reads a granted secret and tells its length (logging it, which the host redacts).",
                &one("name"),
            ),
            tool_spec(
                "notes.call",
                "Calls another tool with the given arguments and answers its result.",
                &object_schema(
                    json!({"tool": string(), "args": {"type": "object"}}),
                    &["tool", "args"],
                ),
            ),
            tool_spec(
                "notes.report",
                "Keeps a short Markdown report as an artifact.",
                &one("title"),
            ),
            tool_spec(
                "notes.crash",
                "Panics (the host reports a trap with its message).",
                &one("message"),
            ),
            tool_spec(
                "notes.spin",
                "Loops forever (the host's timeout stops it).",
                &object_schema(json!({}), &[]),
            ),
            tool_spec(
                "notes.hog",
                "Allocates without end (the host's memory limit stops it).",
                &object_schema(json!({}), &[]),
            ),
        ]
    }

    fn invoke(tool: &str, args: Value) -> Result<Value, ToolError> {
        match tool {
            "notes.echo" => Ok(json!({"text": text(&args, "text")?})),
            "notes.read" => {
                let path = text(&args, "path")?;
                let content = fs::read_to_string(inside(&path)?)
                    .map_err(|e| ToolError::Failed(format!("cannot read note `{path}`: {e}")))?;
                Ok(json!({"path": path, "content": content}))
            }
            "notes.write" => {
                let (path, content) = (text(&args, "path")?, text(&args, "content")?);
                fs::write(inside(&path)?, &content)
                    .map_err(|e| ToolError::Failed(format!("cannot write note `{path}`: {e}")))?;
                Ok(json!({"path": path, "bytes": content.len()}))
            }
            "notes.search" => {
                let wanted = text(&args, "text")?;
                let mut files = Vec::new();
                walk(Path::new(ROOT), "", &mut files);
                let mut matches = Vec::new();
                for file in files {
                    let Ok(content) = fs::read_to_string(format!("{ROOT}/{file}")) else {
                        continue;
                    };
                    for (index, line) in content.lines().enumerate() {
                        if line.contains(&wanted) {
                            matches.push(json!({"path": file, "line": index + 1, "text": line}));
                        }
                    }
                }
                Ok(json!({"matches": matches}))
            }
            "notes.peek" => {
                let path = text(&args, "path")?;
                let content = fs::read_to_string(&path)
                    .map_err(|e| ToolError::Denied(format!("cannot read {path}: {e}")))?;
                Ok(json!({"path": path, "content": content}))
            }
            "notes.fetch" => {
                let response = Request::get(&text(&args, "url")?).send()?;
                Ok(json!({"status": response.status, "body": response.text()}))
            }
            "notes.post" => {
                let body = json!({"note": text(&args, "text")?});
                let response = Request::post(&text(&args, "url")?).json(&body).send()?;
                Ok(json!({"status": response.status, "simulated": response.is_simulated()}))
            }
            "notes.env" => {
                let name = text(&args, "name")?;
                Ok(json!({"name": name, "value": std::env::var(&name).ok()}))
            }
            "notes.secret" => {
                let name = text(&args, "name")?;
                let value = host::secret(&name)
                    .map_err(|e| ToolError::Denied(format!("secret `{name}`: {e}")))?;
                host::log(LogLevel::Info, &format!("the secret is {value}"));
                Ok(json!({"name": name, "length": value.len()}))
            }
            "notes.call" => {
                let result = call_tool(&text(&args, "tool")?, &args["args"])?;
                Ok(json!({"result": result}))
            }
            "notes.report" => {
                let mode = match host::current_mode() {
                    Mode::Live => "live",
                    Mode::DryRun => "dry-run",
                };
                let content = format!("# {}\n\nMode: {mode}\n", text(&args, "title")?);
                let artifact =
                    host::emit_artifact("report.md", "text/markdown", content.as_bytes())
                        .map_err(ToolError::Failed)?;
                Ok(json!({"artifact": artifact, "mode": mode}))
            }
            "notes.crash" => panic!("{}", text(&args, "message")?),
            "notes.spin" => loop {
                std::hint::spin_loop();
            },
            "notes.hog" => {
                let mut kept: Vec<Vec<u8>> = Vec::new();
                loop {
                    kept.push(vec![1; 1024 * 1024]);
                }
            }
            other => Err(ToolError::InvalidInput(format!(
                "this plugin has no tool `{other}`"
            ))),
        }
    }
}

drydock_plugin_sdk::export_tool!(Notes);
