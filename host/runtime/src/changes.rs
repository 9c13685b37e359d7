//! Changing the loaded plugins while the runtime serves (installing, upgrading and removing packages):
//! each change loads and checks the new component first, then swaps a new registry (and policy) in as a
//! whole. An invocation holds the plugin it started with, so calls in flight finish on the old version;
//! the next call sees the new one. A change that fails leaves everything as it was.
//!
//! The grants of an installed plugin join the policy in force; a plugin the policy file names keeps the
//! file's grants (the operator's own words win over what an install accepted).

use std::path::Path;
use std::sync::Arc;

use drydock_policy::PluginGrants;

use crate::error::RuntimeError;
use crate::registry::PluginInfo;
use crate::runtime::{Runtime, read, write};

impl Runtime {
    /// Loads `file` and adds it with `grants`. Refused, with nothing changed, when the component is bad or
    /// its name or one of its tools is taken.
    pub async fn add_plugin(
        &self,
        file: &Path,
        grants: PluginGrants,
    ) -> Result<PluginInfo, RuntimeError> {
        self.swap_in(file, grants, false).await
    }

    /// Loads `file` and puts it in place of the loaded plugin of the same name, with `grants`. Calls in
    /// flight finish on the old version. Refused, with nothing changed, when the new component is bad,
    /// has another name than a loaded plugin, or offers a tool another plugin has.
    pub async fn replace_plugin(
        &self,
        file: &Path,
        grants: PluginGrants,
    ) -> Result<PluginInfo, RuntimeError> {
        self.swap_in(file, grants, true).await
    }

    /// Loads `file`, then swaps in a registry holding it (in place of its namesake when `replacing`).
    async fn swap_in(
        &self,
        file: &Path,
        grants: PluginGrants,
        replacing: bool,
    ) -> Result<PluginInfo, RuntimeError> {
        let _changing = self.inner.changing.lock().await;
        let plugin = self.inner.load_plugin(file).await?;
        let info = plugin.info.clone();
        let mut registry = (**read(&self.inner.registry)).clone();
        if replacing && registry.remove(&info.name).is_none() {
            return Err(RuntimeError::BadToolSpec {
                plugin: info.name.clone(),
                message: "no plugin of this name is loaded, so there is nothing to replace".into(),
            });
        }
        registry.insert(plugin)?;
        self.grant(&info.name, Some(grants));
        *write(&self.inner.registry) = Arc::new(registry);
        Ok(info)
    }

    /// Takes the plugin `name` out (calls in flight finish) and drops the grants an install gave it.
    /// Answers what was removed, or `None` when no plugin has that name.
    pub async fn remove_plugin(&self, name: &str) -> Option<PluginInfo> {
        let _changing = self.inner.changing.lock().await;
        let mut registry = (**read(&self.inner.registry)).clone();
        let removed = registry.remove(name)?;
        *write(&self.inner.registry) = Arc::new(registry);
        self.grant(name, None);
        Some(removed.info.clone())
    }

    /// Sets the grants of the installed plugin `plugin` (an operator accepted more, or fewer, of its
    /// requests); takes effect on the next call.
    pub async fn set_grants(&self, plugin: &str, grants: PluginGrants) {
        let _changing = self.inner.changing.lock().await;
        self.grant(plugin, Some(grants));
    }

    /// A secret from the host's own secret source (the process environment by default), for the host's
    /// own use — the registry password an operator names for an install — never for a plugin, which reads
    /// secrets only through its grants.
    pub fn host_secret(&self, name: &str) -> Option<String> {
        self.inner.values.secrets.get(name)
    }

    /// Whether the policy file itself names `plugin` (its grants then come from the file, whatever an
    /// install accepted).
    pub fn file_names(&self, plugin: &str) -> bool {
        self.inner.file_policy.names(plugin)
    }

    fn grant(&self, plugin: &str, grants: Option<PluginGrants>) {
        if self.inner.file_policy.names(plugin) {
            return;
        }
        let changed = read(&self.inner.policy).with_grants(plugin, grants);
        *write(&self.inner.policy) = Arc::new(changed);
    }
}
