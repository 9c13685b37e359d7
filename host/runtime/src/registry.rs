//! The loaded plugins and the tools they offer.
//!
//! The registry is immutable once built; loading a new set of plugins builds a new registry and swaps it in,
//! so an invocation always sees one consistent set. Tool names are `<plugin>.<tool>`: a plugin can only
//! declare tools under its own name, so it cannot shadow another plugin's tools.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use crate::host::planner_world::PlannerPluginPre;
use crate::host::tool_world::ToolPluginPre;
use crate::schema::ArgsSchema;
use crate::state::InvocationState;
use crate::world::PluginKind;

/// What a person or an API client sees of a loaded plugin.
#[derive(Debug, Clone, Serialize)]
pub struct PluginInfo {
    /// Name (the component file's stem); the policy's `[plugins.<name>]` applies to it.
    pub name: String,
    /// The component file.
    pub file: PathBuf,
    /// sha256 of the component file.
    pub sha256: String,
    /// The world it implements.
    pub kind: PluginKind,
    /// Its tools (empty for planners).
    pub tools: Vec<ToolInfo>,
    /// Whether the compiled form came from the on-disk cache.
    pub from_cache: bool,
}

/// One tool.
#[derive(Debug, Clone, Serialize)]
pub struct ToolInfo {
    /// `<plugin>.<tool>`.
    pub name: String,
    /// What it does.
    pub description: String,
    /// JSON Schema of its arguments.
    pub input_schema: Value,
    /// The plugin that offers it.
    pub plugin: String,
}

/// The typed pre-instantiated component of a plugin.
pub(crate) enum PluginPre {
    Tool(ToolPluginPre<InvocationState>),
    Planner(PlannerPluginPre<InvocationState>),
}

/// A plugin ready to run.
pub struct LoadedPlugin {
    /// What it is.
    pub info: PluginInfo,
    pub(crate) pre: PluginPre,
    pub(crate) schemas: BTreeMap<String, Arc<ArgsSchema>>,
}

/// A consistent set of loaded plugins.
#[derive(Default, Clone)]
pub struct Registry {
    plugins: BTreeMap<String, Arc<LoadedPlugin>>,
    /// tool name → plugin name.
    tools: BTreeMap<String, String>,
}

impl Registry {
    /// Adds a plugin, refusing a name or tool that is already taken.
    pub fn insert(&mut self, plugin: LoadedPlugin) -> Result<(), crate::RuntimeError> {
        if let Some(existing) = self.plugins.get(&plugin.info.name) {
            return Err(crate::RuntimeError::DuplicatePlugin {
                plugin: plugin.info.name.clone(),
                first: existing.info.file.clone(),
                second: plugin.info.file.clone(),
            });
        }
        for tool in &plugin.info.tools {
            if let Some(first) = self.tools.get(&tool.name) {
                return Err(crate::RuntimeError::DuplicateTool {
                    tool: tool.name.clone(),
                    first: first.clone(),
                    second: plugin.info.name.clone(),
                });
            }
        }
        for tool in &plugin.info.tools {
            self.tools
                .insert(tool.name.clone(), plugin.info.name.clone());
        }
        self.plugins
            .insert(plugin.info.name.clone(), Arc::new(plugin));
        Ok(())
    }

    /// Takes a plugin and its tools out; answers it, or `None` when no plugin has that name.
    pub fn remove(&mut self, name: &str) -> Option<Arc<LoadedPlugin>> {
        let plugin = self.plugins.remove(name)?;
        self.tools.retain(|_, owner| owner != name);
        Some(plugin)
    }

    /// The plugin offering `tool`.
    pub fn plugin_for_tool(&self, tool: &str) -> Option<Arc<LoadedPlugin>> {
        self.tools
            .get(tool)
            .and_then(|p| self.plugins.get(p))
            .cloned()
    }

    /// A plugin by name.
    pub fn plugin(&self, name: &str) -> Option<Arc<LoadedPlugin>> {
        self.plugins.get(name).cloned()
    }

    /// Every tool's name, in order.
    pub fn tool_names(&self) -> impl Iterator<Item = &str> {
        self.tools.keys().map(String::as_str)
    }

    /// All plugins, by name.
    pub fn plugins(&self) -> impl Iterator<Item = &Arc<LoadedPlugin>> {
        self.plugins.values()
    }

    /// All tools, by name.
    pub fn tools(&self) -> Vec<ToolInfo> {
        self.plugins
            .values()
            .flat_map(|p| p.info.tools.iter().cloned())
            .collect::<Vec<_>>()
    }

    /// A " (did you mean `x`?)" hint for an unknown tool name, or "".
    pub fn hint_for(&self, unknown: &str) -> String {
        let best = self
            .tools
            .keys()
            .map(|name| (edit_distance(unknown, name), name))
            .min()
            .filter(|(distance, _)| *distance <= 3);
        match best {
            Some((_, name)) => format!(" (did you mean `{name}`?)"),
            None if self.tools.is_empty() => " (no plugins are loaded)".into(),
            None => String::new(),
        }
    }
}

/// Longest input schema of one tool, as JSON text.
const MAX_SCHEMA_BYTES: usize = 64 << 10;

/// Checks one declared tool: name under the plugin's prefix and a compilable object schema.
pub(crate) fn check_tool_spec(
    plugin: &str,
    name: &str,
    schema_text: &str,
) -> Result<(Value, ArgsSchema), String> {
    let prefix = format!("{plugin}.");
    if !name.starts_with(&prefix) || name.len() == prefix.len() {
        // A name under another plugin's prefix is an attempt (or a copy-paste slip) to take that plugin's
        // tool: say whose it is, so the author sees both names. Only a well-formed plugin name is echoed
        // a second time; anything else a plugin sends stays quoted once.
        let claimed = match name.split_once('.') {
            Some((owner, _)) if owner != plugin && check_plugin_name(owner).is_ok() => format!(
                ": a plugin's tools carry its own name, and `{owner}.*` are the tools of the plugin `{owner}`"
            ),
            _ => String::new(),
        };
        return Err(format!(
            "tool `{name}` must be named `{prefix}<tool>`{claimed}"
        ));
    }
    if name.len() > 64
        || !name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.')
        })
    {
        return Err(format!(
            "tool name `{name}` may only use a-z, 0-9, `_`, `-`, `.` and at most 64 characters"
        ));
    }
    if schema_text.len() > MAX_SCHEMA_BYTES {
        return Err(format!(
            "tool `{name}`: the input schema is {} bytes long; at most {MAX_SCHEMA_BYTES} are allowed",
            schema_text.len()
        ));
    }
    let schema: Value = serde_json::from_str(schema_text)
        .map_err(|err| format!("tool `{name}`: the input schema is not JSON: {err}"))?;
    let compiled = ArgsSchema::compile(&schema).map_err(|err| format!("tool `{name}`: {err}"))?;
    Ok((schema, compiled))
}

/// Checks a plugin name (the component file's stem).
pub(crate) fn check_plugin_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "plugin name `{name}` (the file name without .wasm) may only use a-z, 0-9, `_` and `-`"
        ))
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                previous
            } else {
                1 + previous.min(row[j]).min(row[j + 1])
            };
            previous = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = r#"{"type":"object","properties":{}}"#;

    #[test]
    fn an_oversized_input_schema_is_refused() {
        let padding = "x".repeat(70_000);
        let schema = format!(r#"{{"type":"object","description":"{padding}"}}"#);
        let Err(error) = check_tool_spec("jira", "jira.get", &schema) else {
            panic!("a 70 KB schema was accepted");
        };
        assert!(error.contains("at most 65536"), "{error}");
    }

    #[test]
    fn tool_names_must_carry_the_plugin_prefix() {
        assert!(check_tool_spec("jira", "jira.get_issue", SCHEMA).is_ok());
        let Err(taken) = check_tool_spec("evil", "jira.get_issue", SCHEMA) else {
            panic!("a plugin declared another plugin's tool");
        };
        assert!(
            taken.contains("`evil.<tool>`") && taken.contains("the plugin `jira`"),
            "{taken}"
        );
        assert!(check_tool_spec("jira", "jira.", SCHEMA).is_err());
        assert!(check_tool_spec("jira", "jira.Get", SCHEMA).is_err());
    }

    #[test]
    fn plugin_names_are_lowercase_identifiers() {
        assert!(check_plugin_name("template_planner").is_ok());
        assert!(check_plugin_name("../x").is_err());
        assert!(check_plugin_name("").is_err());
        assert!(check_plugin_name("Upper").is_err());
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("echo.ech", "echo.echo"), 1);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("", "ab"), 2);
    }
}
