//! Secret scanners, built once per plugin and kept while its destination-bound secrets and their values
//! stay the same: building the automaton costs more than a whole small invocation, and the secrets of a
//! plugin rarely change between two calls. A changed grant or value (a reloaded policy, a rotated secret)
//! changes the fingerprint, and the scanner is built again.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use drydock_policy::{PluginGrants, RoutedSecret, SecretScanner};

/// The last scanner built for each plugin, with the fingerprint of what it was built from.
#[derive(Debug, Default)]
pub struct ScannerCache {
    scanners: Mutex<HashMap<String, (u64, SecretScanner)>>,
}

impl ScannerCache {
    /// The scanner for `plugin`'s destination-bound secrets with these `values` (by name).
    pub fn scanner_for(
        &self,
        plugin: &str,
        grants: &PluginGrants,
        values: &BTreeMap<String, String>,
    ) -> SecretScanner {
        if grants.secret_routes.is_empty() {
            return SecretScanner::default();
        }
        let routed: Vec<RoutedSecret> = grants
            .secret_routes
            .iter()
            .filter_map(|(name, to)| {
                values
                    .get(name)
                    .map(|value| RoutedSecret { name, value, to })
            })
            .collect();
        let mut hasher = DefaultHasher::new();
        for secret in &routed {
            (secret.name, secret.value).hash(&mut hasher);
            secret.to.iter().for_each(|to| to.hash(&mut hasher));
        }
        let fingerprint = hasher.finish();
        let mut scanners = self.scanners.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((kept, scanner)) = scanners.get(plugin)
            && *kept == fingerprint
        {
            return scanner.clone();
        }
        let scanner = SecretScanner::new(routed);
        scanners.insert(plugin.to_owned(), (fingerprint, scanner.clone()));
        scanner
    }
}
