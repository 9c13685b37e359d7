//! The `packages` table: which plugin packages are installed, which version of each is in force, what it
//! requested and what an operator granted.

use rusqlite::{Row, params};

use super::requests::{Accepted, Request};
use crate::audit::append_checked;
use crate::store::Store;
use crate::store::rows::{json_column, query_all, query_one};
use crate::{AuditEntry, StoreError};

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageRow {
    /// The plugin's name (the component's file stem; its tools are `<name>.<tool>`).
    pub name: String,
    /// The installed version (semver).
    pub version: String,
    /// sha256 hex of the component file.
    pub digest: String,
    /// Where it came from: a file name, a URL or an `oci://` reference.
    pub source: String,
    /// The manifest as shipped (TOML).
    pub manifest: String,
    /// The name of the trusted key that signed it, when it is signed.
    pub signer: Option<String>,
    /// The requests an operator accepted (the grants in force are made from them).
    pub accepted: Vec<Accepted>,
    /// The requests of this version no operator has accepted yet.
    pub held: Vec<Request>,
    /// Who installed the plugin first, and when.
    pub installed_by: String,
    /// RFC 3339.
    pub installed_at: String,
    /// Who changed it last (installed this version, granted, ...), and when.
    pub updated_by: String,
    /// RFC 3339.
    pub updated_at: String,
}

const COLUMNS: &str = "name, version, digest, source, manifest, signer, accepted, held, installed_by, \
                       installed_at, updated_by, updated_at";

fn package_row(row: &Row<'_>) -> Result<PackageRow, StoreError> {
    let accepted = serde_json::from_value(json_column(row, 6, "packages.accepted")?)
        .map_err(|e| StoreError::Corrupt(format!("packages.accepted: {e}")))?;
    let held = serde_json::from_value(json_column(row, 7, "packages.held")?)
        .map_err(|e| StoreError::Corrupt(format!("packages.held: {e}")))?;
    Ok(PackageRow {
        name: row.get(0)?,
        version: row.get(1)?,
        digest: row.get(2)?,
        source: row.get(3)?,
        manifest: row.get(4)?,
        signer: row.get(5)?,
        accepted,
        held,
        installed_by: row.get(8)?,
        installed_at: row.get(9)?,
        updated_by: row.get(10)?,
        updated_at: row.get(11)?,
    })
}

impl Store {
    /// Every installed package, by name.
    pub fn packages(&self) -> Result<Vec<PackageRow>, StoreError> {
        self.read(|conn| {
            query_all(
                conn,
                &format!("SELECT {COLUMNS} FROM packages ORDER BY name"),
                [],
                package_row,
            )
        })
    }

    /// The installed package `name`, if any.
    pub fn package(&self, name: &str) -> Result<Option<PackageRow>, StoreError> {
        self.read(|conn| {
            query_one(
                conn,
                &format!("SELECT {COLUMNS} FROM packages WHERE name = ?1"),
                params![name],
                package_row,
            )
        })
    }

    /// Stores `row` (a new install or a new state of an installed one; `installed_by`/`installed_at` of
    /// an existing row are kept) and appends `audit`, in one transaction.
    pub fn put_package_audited(
        &self,
        row: &PackageRow,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let accepted = serde_json::to_string(&row.accepted)
            .map_err(|e| StoreError::Invalid(format!("accepted requests: {e}")))?;
        let held = serde_json::to_string(&row.held)
            .map_err(|e| StoreError::Invalid(format!("held requests: {e}")))?;
        self.write(|tx| {
            tx.execute(
                &format!(
                    "INSERT INTO packages ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
                     ON CONFLICT (name) DO UPDATE SET version = excluded.version, digest = excluded.digest, \
                     source = excluded.source, manifest = excluded.manifest, signer = excluded.signer, \
                     accepted = excluded.accepted, held = excluded.held, updated_by = excluded.updated_by, \
                     updated_at = excluded.updated_at"
                ),
                params![
                    row.name,
                    row.version,
                    row.digest,
                    row.source,
                    row.manifest,
                    row.signer,
                    accepted,
                    held,
                    row.installed_by,
                    row.installed_at,
                    row.updated_by,
                    row.updated_at
                ],
            )?;
            append_checked(tx, audit)?;
            Ok(())
        })
    }

    /// Forgets the installed package `name` and appends `audit`, in one transaction; answers whether there
    /// was one.
    pub fn delete_package_audited(
        &self,
        name: &str,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        self.write(|tx| {
            let deleted = tx.execute("DELETE FROM packages WHERE name = ?1", params![name])? > 0;
            append_checked(tx, audit)?;
            Ok(deleted)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::requests::RequestGrant;
    use crate::store::test_support::temp_store;

    fn audit(action: &str) -> AuditEntry {
        AuditEntry {
            actor: "ada".into(),
            action: action.into(),
            target: Some("notes".into()),
            correlation_id: None,
            detail: serde_json::json!({}),
        }
    }

    fn row(version: &str) -> PackageRow {
        PackageRow {
            name: "notes".into(),
            version: version.into(),
            digest: "ab".repeat(32),
            source: "notes.wasm".into(),
            manifest: "name = \"notes\"".into(),
            signer: None,
            accepted: vec![Accepted {
                grant: RequestGrant::Env {
                    name: "HOME".into(),
                },
                dir: None,
            }],
            held: vec![Request {
                id: "llm".into(),
                grant: RequestGrant::Llm,
                reason: "plans".into(),
            }],
            installed_by: "ada".into(),
            installed_at: "2026-11-27T00:00:00Z".into(),
            updated_by: "ada".into(),
            updated_at: "2026-11-27T00:00:00Z".into(),
        }
    }

    #[test]
    fn a_package_is_stored_updated_and_forgotten() {
        let (_dir, store) = temp_store();
        store
            .put_package_audited(&row("0.1.0"), &audit("plugin.install"))
            .unwrap();
        let mut upgraded = row("0.2.0");
        upgraded.installed_by = "someone else".into();
        upgraded.updated_by = "grace".into();
        store
            .put_package_audited(&upgraded, &audit("plugin.upgrade"))
            .unwrap();
        let stored = store.package("notes").unwrap().unwrap();
        assert_eq!(stored.version, "0.2.0");
        assert_eq!(
            stored.installed_by, "ada",
            "the first install is remembered"
        );
        assert_eq!(stored.updated_by, "grace");
        assert_eq!(stored.held[0].grant, RequestGrant::Llm);
        assert_eq!(stored.accepted, row("0.1.0").accepted);
        assert_eq!(store.packages().unwrap().len(), 1);
        assert!(
            store
                .delete_package_audited("notes", &audit("plugin.remove"))
                .unwrap()
        );
        assert!(
            !store
                .delete_package_audited("notes", &audit("plugin.remove"))
                .unwrap()
        );
        let actions: Vec<String> = store
            .audit_query(None, None, 100)
            .unwrap()
            .into_iter()
            .map(|r| r.action)
            .collect();
        assert_eq!(
            actions,
            [
                "plugin.install",
                "plugin.upgrade",
                "plugin.remove",
                "plugin.remove"
            ]
        );
        assert!(store.package("notes").unwrap().is_none());
    }
}
