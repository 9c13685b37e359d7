//! Which Drydock world a component implements, with a message naming what is missing when it implements
//! none.
//!
//! wasmtime's own errors for a wrong component ("failed to find export ...") are accurate but terse; a
//! plugin author needs to know which export the host looked for, which version of the contract it speaks,
//! what the component was built for instead, and that the remedy is rebuilding with this Drydock's SDK.

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
        (None, None) => return Err(no_drydock_export(&exports)),
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

/// What to say about a component that exports neither Drydock interface: built for another version of the
/// contract (it exports some `drydock:plugin/…`), or for another world altogether.
fn no_drydock_export(exports: &[(String, ComponentItem)]) -> String {
    let names: Vec<&str> = exports.iter().map(|(n, _)| n.as_str()).collect();
    let remedy = format!(
        "rebuild it against the SDK of this Drydock (whose `wit/` is `{PACKAGE}`), so that it exports `{TOOL}` \
         (world tool-plugin) or `{PLANNER}` (world planner-plugin)"
    );
    if let Some(found) = names.iter().find(|n| n.starts_with("drydock:plugin/")) {
        // `drydock:plugin/tool@0.2.0` → the package it was built against, `drydock:plugin@0.2.0`.
        let contract = match found.split_once('@') {
            Some((_, version)) => format!("`drydock:plugin@{version}`"),
            None => "`drydock:plugin` without a version".to_owned(),
        };
        return format!(
            "it was built for another version of the plugin contract: it exports `{found}` \
             ({contract}), but this host speaks `{PACKAGE}`; {remedy}"
        );
    }
    format!(
        "it was built for another world: it exports neither `{TOOL}` nor `{PLANNER}` (its exports are [{}]); \
         {remedy}",
        names.join(", ")
    )
}
