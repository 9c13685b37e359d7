//! The `workspace` plugin: file tools over the directory the host preopens at `/workspace`.
//!
//! # Layout
//! - this file: the tool specs, argument types and the four tools.
//! - `paths`: turning a `path` argument into a normalised path inside `/workspace`.
//!
//! Listings and searches walk in sorted order so the same tree always gives the same answer.

mod paths;

use std::fs;
use std::io::{self, ErrorKind};

use drydock_plugin_sdk::{ToolError, ToolPlugin, ToolSpec, object_schema, parse_args, tool_spec};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::paths::{ROOT, WorkspacePath};

/// Files larger than this are not read (by `read_file`) or searched.
const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// `search` stops after this many matches.
const MAX_MATCHES: usize = 200;
/// `list_files` refuses to list more entries than this in one call.
const MAX_ENTRIES: usize = 10_000;
/// A matching line longer than this is cut in the `search` result.
const MAX_LINE_CHARS: usize = 500;

struct Workspace;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadArgs {
    path: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WriteArgs {
    path: String,
    content: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListArgs {
    #[serde(default = "root")]
    path: String,
    #[serde(default)]
    recursive: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchArgs {
    pattern: String,
    #[serde(default = "root")]
    path: String,
}

fn root() -> String {
    ".".to_owned()
}

impl ToolPlugin for Workspace {
    fn tools() -> Vec<ToolSpec> {
        let path = json!({"type": "string", "description": "Relative to the workspace root."});
        vec![
            tool_spec(
                "workspace.read_file",
                "Reads a UTF-8 text file of the workspace (at most 1 MiB).",
                &object_schema(json!({"path": path}), &["path"]),
            ),
            tool_spec(
                "workspace.write_file",
                "Writes a text file in the workspace, creating missing parent directories.",
                &object_schema(
                    json!({"path": path, "content": {"type": "string"}}),
                    &["path", "content"],
                ),
            ),
            tool_spec(
                "workspace.list_files",
                "Lists the files and directories (with a trailing `/`) under a workspace directory.",
                &object_schema(
                    json!({"path": path, "recursive": {"type": "boolean", "default": false}}),
                    &[],
                ),
            ),
            tool_spec(
                "workspace.search",
                "Finds the lines containing a plain substring in workspace files (at most 200 matches).",
                &object_schema(
                    json!({"pattern": {"type": "string", "minLength": 1}, "path": path}),
                    &["pattern"],
                ),
            ),
        ]
    }

    fn invoke(tool: &str, args: Value) -> Result<Value, ToolError> {
        ensure_workspace_granted()?;
        match tool {
            "workspace.read_file" => read_file(parse_args(args)?),
            "workspace.write_file" => write_file(parse_args(args)?),
            "workspace.list_files" => list_files(parse_args(args)?),
            "workspace.search" => search(parse_args(args)?),
            _ => Err(ToolError::InvalidInput(format!("unknown tool `{tool}`"))),
        }
    }
}

/// Without an `fs` grant the host preopens nothing; say so instead of "file not found".
fn ensure_workspace_granted() -> Result<(), ToolError> {
    match fs::metadata(ROOT) {
        Ok(metadata) if metadata.is_dir() => Ok(()),
        _ => Err(ToolError::Denied(format!(
            "no directory is granted to this plugin ({ROOT} is not preopened)"
        ))),
    }
}

fn read_file(args: ReadArgs) -> Result<Value, ToolError> {
    let path = WorkspacePath::parse(&args.path)?;
    let metadata =
        fs::metadata(path.guest_path()).map_err(|error| io_error(&path, "read", &error))?;
    if metadata.len() > MAX_FILE_BYTES {
        return Err(ToolError::Failed(format!(
            "{}: {} bytes is more than the {MAX_FILE_BYTES} bytes read_file returns",
            path.relative(),
            metadata.len()
        )));
    }
    let bytes = fs::read(path.guest_path()).map_err(|error| io_error(&path, "read", &error))?;
    let content = String::from_utf8(bytes)
        .map_err(|_| ToolError::Failed(format!("{}: not UTF-8 text", path.relative())))?;
    Ok(json!({"path": path.relative(), "content": content}))
}

fn write_file(args: WriteArgs) -> Result<Value, ToolError> {
    let path = WorkspacePath::parse(&args.path)?;
    if path.is_root() {
        return Err(ToolError::InvalidInput(
            "path: the workspace root is a directory, not a file".to_owned(),
        ));
    }
    let target = path.guest_path();
    if let Some(parent) = target.parent()
        && !parent.is_dir()
    {
        fs::create_dir_all(parent)
            .map_err(|error| io_error(&path, "create the parent of", &error))?;
    }
    fs::write(&target, args.content.as_bytes())
        .map_err(|error| io_error(&path, "write", &error))?;
    Ok(json!({"path": path.relative(), "bytes": args.content.len()}))
}

fn list_files(args: ListArgs) -> Result<Value, ToolError> {
    let start = WorkspacePath::parse(&args.path)?;
    let mut files = Vec::new();
    walk(&start, args.recursive, &mut |entry, is_dir| {
        if files.len() == MAX_ENTRIES {
            return Err(ToolError::Failed(format!(
                "{}: more than {MAX_ENTRIES} entries; list a subdirectory",
                start.relative()
            )));
        }
        files.push(if is_dir {
            format!("{}/", entry.relative())
        } else {
            entry.relative().to_owned()
        });
        Ok(Walk::Continue)
    })?;
    Ok(json!({ "files": files }))
}

fn search(args: SearchArgs) -> Result<Value, ToolError> {
    if args.pattern.is_empty() {
        return Err(ToolError::InvalidInput(
            "pattern: must not be empty".to_owned(),
        ));
    }
    let start = WorkspacePath::parse(&args.path)?;
    let mut matches = Vec::new();
    let mut search_file = |file: &WorkspacePath| -> Result<Walk, ToolError> {
        for (number, line) in readable_text(file).lines().enumerate() {
            if line.contains(&args.pattern) {
                let text: String = line.chars().take(MAX_LINE_CHARS).collect();
                matches.push(json!({"path": file.relative(), "line": number + 1, "text": text}));
                if matches.len() == MAX_MATCHES {
                    return Ok(Walk::Stop);
                }
            }
        }
        Ok(Walk::Continue)
    };
    let metadata =
        fs::metadata(start.guest_path()).map_err(|error| io_error(&start, "search", &error))?;
    if metadata.is_file() {
        search_file(&start)?;
    } else {
        walk(&start, true, &mut |entry, is_dir| {
            if is_dir {
                Ok(Walk::Continue)
            } else {
                search_file(entry)
            }
        })?;
    }
    Ok(json!({ "matches": matches }))
}

/// The content of a file worth searching: small enough and UTF-8 text; anything else searches as empty.
fn readable_text(file: &WorkspacePath) -> String {
    let small =
        fs::metadata(file.guest_path()).is_ok_and(|metadata| metadata.len() <= MAX_FILE_BYTES);
    if !small {
        return String::new();
    }
    fs::read(file.guest_path())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_default()
}

/// Whether a walk goes on after an entry.
enum Walk {
    Continue,
    Stop,
}

/// Visits the entries under `dir` in name order (depth-first when `recursive`), telling the visitor whether
/// each is a directory. Symbolic links are reported as files and never followed.
fn walk(
    dir: &WorkspacePath,
    recursive: bool,
    visit: &mut dyn FnMut(&WorkspacePath, bool) -> Result<Walk, ToolError>,
) -> Result<Walk, ToolError> {
    let entries = fs::read_dir(dir.guest_path()).map_err(|error| io_error(dir, "list", &error))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|error| io_error(dir, "list", &error))?;
        let is_dir = entry.file_type().is_ok_and(|kind| kind.is_dir());
        names.push((entry.file_name().to_string_lossy().into_owned(), is_dir));
    }
    names.sort();
    for (name, is_dir) in names {
        let entry = dir.child(&name);
        if let Walk::Stop = visit(&entry, is_dir)? {
            return Ok(Walk::Stop);
        }
        if is_dir
            && recursive
            && let Walk::Stop = walk(&entry, recursive, visit)?
        {
            return Ok(Walk::Stop);
        }
    }
    Ok(Walk::Continue)
}

/// Maps an I/O error to the contract: a refusal of the sandbox is `denied`, anything else `failed`.
fn io_error(path: &WorkspacePath, action: &str, error: &io::Error) -> ToolError {
    let message = format!("cannot {action} {}: {error}", path.relative());
    match error.kind() {
        ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => ToolError::Denied(message),
        _ => ToolError::Failed(message),
    }
}

drydock_plugin_sdk::export_tool!(Workspace);
