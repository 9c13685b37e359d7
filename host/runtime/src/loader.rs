//! Loading one component file: hash, pin check, compile (or cache), world check, pre-instantiation and,
//! for tool plugins, asking it which tools it offers.
//!
//! `describe` runs in the same sandbox as any call, with nothing granted and a short timeout, so a plugin
//! cannot do anything while being loaded.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use drydock_policy::{LiveContext, LivePolicy, Mode, PlanApproval, PluginGrants};

use crate::cache::sha256_hex;
use crate::capability::call_tool::{NestedCall, NestedResult, ToolCaller};
use crate::context::CallContext;
use crate::error::{RuntimeError, ToolError};
use crate::host::planner_world::PlannerPluginPre;
use crate::host::tool_world::ToolPluginPre;
use crate::journal::{EffectSource, Journal};
use crate::redact::Redactor;
use crate::registry::{
    LoadedPlugin, PluginInfo, PluginPre, ToolInfo, check_plugin_name, check_tool_spec,
};
use crate::runtime::RuntimeInner;
use crate::sandbox::{self, GuestAnswer, GuestCall};
use crate::world::{PluginKind, classify};

/// How long `describe` may take.
const DESCRIBE_TIMEOUT: Duration = Duration::from_secs(5);

impl RuntimeInner {
    pub(crate) async fn load_plugin(&self, file: &Path) -> Result<LoadedPlugin, RuntimeError> {
        let name = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        check_plugin_name(&name).map_err(|message| RuntimeError::BadToolSpec {
            plugin: name.clone(),
            message,
        })?;
        let bytes = std::fs::read(file).map_err(|source| RuntimeError::Io {
            action: "cannot read plugin",
            path: file.to_path_buf(),
            source,
        })?;
        let sha256 = sha256_hex(&bytes);
        let policy = crate::runtime::read(&self.policy).clone();
        if let Some(expected) = &policy.grants(&name).component_sha256
            && !expected.eq_ignore_ascii_case(&sha256)
        {
            return Err(RuntimeError::HashMismatch {
                plugin: name,
                expected: expected.clone(),
                actual: sha256,
            });
        }
        let engine = self.engine.engine();
        let (component, from_cache) =
            self.cache
                .load(engine, file, &bytes, &crate::cache::code_sha256(&bytes))?;
        let mismatch = |message: String| RuntimeError::WorldMismatch {
            file: file.to_path_buf(),
            message,
        };
        let kind = classify(engine, &component).map_err(mismatch)?;
        let instance_pre = self.linker.instantiate_pre(&component).map_err(|err| {
            mismatch(format!(
                "{err:#} (Drydock provides drydock:plugin/host, wasi:cli, wasi:clocks, wasi:random, \
                 wasi:filesystem, wasi:io, wasi:http/outgoing-handler, and denied wasi:sockets)"
            ))
        })?;
        let pre = match kind {
            PluginKind::Tool => PluginPre::Tool(
                ToolPluginPre::new(instance_pre).map_err(|err| mismatch(format!("{err:#}")))?,
            ),
            PluginKind::Planner => PluginPre::Planner(
                PlannerPluginPre::new(instance_pre).map_err(|err| mismatch(format!("{err:#}")))?,
            ),
        };
        let mut plugin = LoadedPlugin {
            info: PluginInfo {
                name: name.clone(),
                file: file.to_path_buf(),
                sha256,
                kind,
                tools: Vec::new(),
                from_cache,
            },
            pre,
            schemas: BTreeMap::new(),
        };
        if kind == PluginKind::Tool {
            self.describe(&mut plugin).await?;
        }
        Ok(plugin)
    }

    async fn describe(&self, plugin: &mut LoadedPlugin) -> Result<(), RuntimeError> {
        let name = plugin.info.name.clone();
        let ctx = Arc::new(CallContext {
            source: EffectSource {
                plugin: name.clone(),
                tool: format!("{name} (describe)"),
                depth: 0,
            },
            correlation_id: String::new(),
            grants: Arc::new(PluginGrants::default()),
            live_policy: Arc::new(LivePolicy::default()),
            live_context: LiveContext {
                master_switch: false,
                requested: Mode::DryRun,
                plan_approval: PlanApproval::NotAPlan,
            },
            secrets: BTreeMap::new(),
            env: Vec::new(),
            redactor: Redactor::default(),
            guards: crate::capability::guard::Guards::default(),
            journal: Journal::new(
                self.config.record_budget,
                self.config.limits.host_memory_bytes,
            ),
            limits: crate::limits::Limits {
                timeout: DESCRIBE_TIMEOUT,
                ..self.config.limits.clone()
            },
            deadline: Instant::now() + DESCRIBE_TIMEOUT,
            caller: Arc::new(RefuseCalls),
            llm: None,
            progress: None,
            cancel: None,
            binding: None,
            pause_base: std::time::Duration::ZERO,
        });
        let answer = sandbox::run(
            self.engine.engine(),
            self.engine.settings().fuel,
            plugin,
            ctx,
            GuestCall::Describe,
        )
        .await
        .map_err(|err| RuntimeError::Describe {
            plugin: name.clone(),
            message: err.to_string(),
        })?;
        let GuestAnswer::Described(specs) = answer else {
            return Err(RuntimeError::Describe {
                plugin: name,
                message: "unexpected answer".into(),
            });
        };
        if specs.is_empty() {
            return Err(RuntimeError::BadToolSpec {
                plugin: name,
                message: "describe() returned no tools".into(),
            });
        }
        if specs.len() > MAX_TOOLS_PER_PLUGIN {
            return Err(RuntimeError::BadToolSpec {
                plugin: name,
                message: format!(
                    "describe() returned {} tools; at most {MAX_TOOLS_PER_PLUGIN} are allowed",
                    specs.len()
                ),
            });
        }
        for spec in specs {
            check_description(&spec.name, &spec.description).map_err(|message| {
                RuntimeError::BadToolSpec {
                    plugin: name.clone(),
                    message,
                }
            })?;
            let (schema, compiled) = check_tool_spec(&name, &spec.name, &spec.input_schema)
                .map_err(|message| RuntimeError::BadToolSpec {
                    plugin: name.clone(),
                    message,
                })?;
            if plugin.schemas.contains_key(&spec.name) {
                return Err(RuntimeError::BadToolSpec {
                    plugin: name.clone(),
                    message: format!("tool `{}` is declared twice", spec.name),
                });
            }
            plugin.schemas.insert(spec.name.clone(), Arc::new(compiled));
            plugin.info.tools.push(ToolInfo {
                name: spec.name,
                description: spec.description,
                input_schema: schema,
                plugin: name.clone(),
            });
        }
        Ok(())
    }
}

/// Tools one plugin may declare. What `describe` returns is held by the host for as long as the plugin is
/// loaded and shown to every agent that lists tools, so it is bounded like everything else a plugin hands
/// the host.
const MAX_TOOLS_PER_PLUGIN: usize = 256;
/// Longest tool description, in bytes.
const MAX_DESCRIPTION_BYTES: usize = 4096;

/// A description is at most [`MAX_DESCRIPTION_BYTES`] and has no control characters but newlines and tabs.
fn check_description(tool: &str, description: &str) -> Result<(), String> {
    if description.len() > MAX_DESCRIPTION_BYTES {
        return Err(format!(
            "tool `{tool}`: the description is {} bytes long; at most {MAX_DESCRIPTION_BYTES} are allowed",
            description.len()
        ));
    }
    if description
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(format!(
            "tool `{tool}`: the description contains control characters"
        ));
    }
    Ok(())
}

/// The call-tool handle used while describing: describing must not have effects.
struct RefuseCalls;

impl ToolCaller for RefuseCalls {
    fn call(&self, call: NestedCall) -> NestedResult<'_> {
        Box::pin(async move {
            Err(ToolError::Denied(format!(
                "`{}` may not be called while a plugin is describing its tools",
                call.tool
            )))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_bounded_and_free_of_control_characters() {
        assert!(check_description("p.t", "Reads an issue.\nSecond line.\tTabbed.").is_ok());
        let long = "d".repeat(MAX_DESCRIPTION_BYTES + 1);
        assert!(
            check_description("p.t", &long)
                .unwrap_err()
                .contains("at most 4096")
        );
        let escape = "Lists files\u{1b}[2J";
        assert!(
            check_description("p.t", escape)
                .unwrap_err()
                .contains("control characters")
        );
    }
}
