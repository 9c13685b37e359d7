//! Which Drydock world a component implements, with a message naming what is missing when it implements
//! none.
//!
//! wasmtime's own errors for a wrong component ("failed to find export ...") are accurate but terse; a
//! plugin author needs to know which export the host looked for and which version of the contract it speaks.

use wasmtime::Engine;
use wasmtime::component::Component;
use wasmtime::component::types::ComponentItem;

use crate::host::export_names::{PACKAGE, PLANNER, TOOL};

/// The world a plugin implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PluginKind {
    /// `tool-plugin`: exports `tool`.
    Tool,
    /// `planner-plugin`: exports `planner`.
    Planner,
}

impl PluginKind {
    /// The WIT world name.
    pub fn world(self) -> &'static str {
        match self {
            PluginKind::Tool => "tool-plugin",
            PluginKind::Planner => "planner-plugin",
        }
    }
}

/// Determines the world from the component's exports.
pub fn classify(engine: &Engine, component: &Component) -> Result<PluginKind, String> {
    let ty = component.component_type();
    let exports: Vec<(String, ComponentItem)> = ty
        .exports(engine)
        .map(|(name, item)| (name.to_owned(), item.ty))
        .collect();
    let has = |wanted: &str| exports.iter().find(|(name, _)| name == wanted);

    let (kind, item, functions) = match (has(TOOL), has(PLANNER)) {
        (Some(_), Some(_)) => {
            return Err(format!(
                "it exports both `{TOOL}` and `{PLANNER}`; a plugin implements one world"
            ));
        }
        (Some((_, item)), None) => (PluginKind::Tool, item, &["describe", "invoke"][..]),
        (None, Some((_, item))) => (PluginKind::Planner, item, &["generate"][..]),
        (None, None) => {
            let names: Vec<&str> = exports.iter().map(|(n, _)| n.as_str()).collect();
            let other_version = names
                .iter()
                .find(|n| n.starts_with("drydock:plugin/"))
                .map(|n| format!("; it exports `{n}`, but this host speaks `{PACKAGE}`"))
                .unwrap_or_default();
            return Err(format!(
                "it exports neither `{TOOL}` (world tool-plugin) nor `{PLANNER}` (world planner-plugin){other_version}; \
                 its exports are [{}]",
                names.join(", ")
            ));
        }
    };
    let ComponentItem::ComponentInstance(instance) = item else {
        return Err(format!(
            "its export of the {} interface is not an instance",
            kind.world()
        ));
    };
    let present: Vec<String> = instance
        .exports(engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    for function in functions {
        if !present.iter().any(|p| p == function) {
            return Err(format!(
                "its `{}` export lacks the function `{function}` (it has [{}])",
                if kind == PluginKind::Tool {
                    TOOL
                } else {
                    PLANNER
                },
                present.join(", ")
            ));
        }
    }
    Ok(kind)
}
