//! The policy file as an editable document (`toml_edit`): only the grant lists of traced plugins are
//! rewritten, so comments, key order, limits and every other plugin stay exactly as the operator wrote them.
//!
//! A grant list may be written inline (`http = [{ url = "…", methods = ["GET"] }]`) or as tables
//! (`[[plugins.jira.http]]`); it is read into inline tables, edited, and written back in the form it had.
//! Entries line up one to one with the validated grants (the parser keeps their order).

use std::collections::BTreeSet;
use std::fmt;

use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, TableLike, Value};

use super::{ChangeKind, GrantChange, Usage, common_path, fs_written, grant_index, with_path};
use crate::grants::{HttpMethod, PluginGrants};

/// The policy file being edited.
pub(crate) struct PolicyDocument {
    doc: DocumentMut,
}

impl fmt::Display for PolicyDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.doc)
    }
}

/// A grant list read out of the document, and whether it was written as `[[tables]]`.
struct Entries {
    items: Vec<InlineTable>,
    as_tables: bool,
}

impl PolicyDocument {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        text.parse::<DocumentMut>()
            .map(|doc| Self { doc })
            .map_err(|err| err.to_string())
    }

    /// Narrows the grants of `plugin` to what `used` shows, recording what happened to each in `changes`.
    pub(crate) fn narrow_plugin(
        &mut self,
        plugin: &str,
        grants: &PluginGrants,
        used: &Usage,
        changes: &mut Vec<GrantChange>,
    ) {
        let Some(table) = self
            .doc
            .get_mut("plugins")
            .and_then(Item::as_table_like_mut)
            .and_then(|plugins| plugins.get_mut(plugin))
            .and_then(Item::as_table_like_mut)
        else {
            return;
        };
        let mut change = |grant: String, kind: ChangeKind, note: String| {
            changes.push(GrantChange {
                plugin: plugin.to_owned(),
                grant,
                change: kind,
                note,
            })
        };
        let http_writes_left = narrow_http(table, grants, used, &mut change);
        let fs_writes_left = narrow_fs(table, grants, used, &mut change);
        narrow_secrets(table, used, &mut change);
        if grants.llm {
            if used.llm {
                change(
                    "llm".into(),
                    ChangeKind::Kept,
                    "completions were asked for".into(),
                );
            } else {
                table.remove("llm");
                change(
                    "llm".into(),
                    ChangeKind::Unused,
                    "no completion was asked for: removed".into(),
                );
            }
        }
        for name in &grants.env {
            change(
                format!("env {name}"),
                ChangeKind::Untraced,
                "environment variables are handed over at start and not journaled: kept".into(),
            );
        }
        narrow_live(table, http_writes_left, fs_writes_left, &mut change);
    }
}

/// Splits each http grant into the reads and the writes it served; returns whether a write grant is left.
fn narrow_http(
    table: &mut dyn TableLike,
    grants: &PluginGrants,
    used: &Usage,
    change: &mut impl FnMut(String, ChangeKind, String),
) -> bool {
    let Some(entries) = read_entries(table, "http") else {
        return false;
    };
    if entries.items.len() != grants.http.len() {
        return grants
            .http
            .iter()
            .any(|g| g.methods.iter().any(|m| m.is_write()));
    }
    let mut served: Vec<Vec<(HttpMethod, &str)>> = vec![Vec::new(); grants.http.len()];
    for (method, url) in &used.requests {
        if let Some(i) = grant_index(grants, *method, url) {
            served[i].push((*method, url.path()));
        }
    }
    let mut out = Vec::new();
    let mut writes_left = false;
    let mut edited = false;
    for ((entry, grant), requests) in entries.items.iter().zip(&grants.http).zip(&served) {
        let shown = format!("http {} [{}]", grant.prefix, grant.methods_list());
        if requests.is_empty() {
            change(
                shown,
                ChangeKind::Unused,
                "no request used it: removed".into(),
            );
            edited = true;
            continue;
        }
        let mut parts = Vec::new();
        for writes in [false, true] {
            let part: Vec<&(HttpMethod, &str)> = requests
                .iter()
                .filter(|(m, _)| m.is_write() == writes)
                .collect();
            if part.is_empty() {
                continue;
            }
            let path = common_path(part.iter().map(|(_, p)| *p));
            let methods: BTreeSet<HttpMethod> = part.iter().map(|(m, _)| *m).collect();
            parts.push((path, methods));
        }
        // One grant when reads and writes share the path.
        if let [(read_path, _), (write_path, write_methods)] = parts.as_slice()
            && read_path == write_path
        {
            let write_methods = write_methods.clone();
            parts[0].1.extend(write_methods);
            parts.truncate(1);
        }
        writes_left |= parts.iter().any(|(_, m)| m.iter().any(|m| m.is_write()));
        let unchanged =
            parts.len() == 1 && parts[0].0 == grant.prefix.path() && parts[0].1 == grant.methods;
        if unchanged {
            out.push(entry.clone());
            change(
                shown,
                ChangeKind::Kept,
                "every method and the whole prefix were used".into(),
            );
            continue;
        }
        edited = true;
        let mut became = Vec::new();
        for (path, methods) in parts {
            let url = with_path(&grant.prefix, &path);
            let names: Vec<&str> = methods.iter().map(|m| m.as_str()).collect();
            let mut narrowed = entry.clone();
            narrowed.insert("url", Value::from(url.as_str()));
            narrowed.insert("methods", Value::Array(names.iter().copied().collect()));
            became.push(format!("{url} [{}]", names.join(", ")));
            out.push(narrowed);
        }
        change(
            shown,
            ChangeKind::Narrowed,
            format!("becomes {}", became.join(" and ")),
        );
    }
    if edited {
        write_entries(
            table,
            "http",
            Entries {
                items: out,
                as_tables: entries.as_tables,
            },
        );
    }
    writes_left
}

/// Turns `rw` directories nothing was written in into `ro`; returns whether a `rw` grant is left.
fn narrow_fs(
    table: &mut dyn TableLike,
    grants: &PluginGrants,
    used: &Usage,
    change: &mut impl FnMut(String, ChangeKind, String),
) -> bool {
    let Some(mut entries) = read_entries(table, "fs") else {
        return false;
    };
    if entries.items.len() != grants.fs.len() {
        return false;
    }
    let written = fs_written(grants, used);
    let mut rw_left = false;
    let mut edited = false;
    for ((entry, grant), written) in entries.items.iter_mut().zip(&grants.fs).zip(written) {
        let shown = format!(
            "fs {} {} at {}",
            grant.dir.display(),
            grant.access,
            grant.mount
        );
        match (grant.access, written) {
            (crate::FsAccess::ReadWrite, true) => {
                rw_left = true;
                change(shown, ChangeKind::Kept, "written in".into());
            }
            (crate::FsAccess::ReadWrite, false) => {
                entry.insert("access", Value::from("ro"));
                edited = true;
                change(
                    shown,
                    ChangeKind::ReadOnly,
                    "nothing was written in it: now ro".into(),
                );
            }
            (crate::FsAccess::ReadOnly, _) => change(
                shown,
                ChangeKind::Untraced,
                "reads of granted directories are not journaled: kept".into(),
            ),
        }
    }
    if edited {
        write_entries(table, "fs", entries);
    }
    rw_left
}

/// Keeps the secrets that were read (bare names or `{ name = … }` entries).
fn narrow_secrets(
    table: &mut dyn TableLike,
    used: &Usage,
    change: &mut impl FnMut(String, ChangeKind, String),
) {
    let Some(Item::Value(Value::Array(list))) = table.get_mut("secrets") else {
        return;
    };
    let name_of = |value: &Value| -> Option<String> {
        match value {
            Value::String(name) => Some(name.value().clone()),
            Value::InlineTable(entry) => entry.get("name")?.as_str().map(str::to_owned),
            _ => None,
        }
    };
    for value in list.iter() {
        let Some(name) = name_of(value) else { continue };
        if used.secrets.contains(&name) {
            change(format!("secret {name}"), ChangeKind::Kept, "read".into());
        } else {
            change(
                format!("secret {name}"),
                ChangeKind::Unused,
                "never read: removed".into(),
            );
        }
    }
    list.retain(|value| name_of(value).is_none_or(|name| used.secrets.contains(&name)));
    if list.is_empty() {
        table.remove("secrets");
    }
}

/// Drops `http`/`fs` from the live list when no grant that can write is left for them.
fn narrow_live(
    table: &mut dyn TableLike,
    http_writes_left: bool,
    fs_writes_left: bool,
    change: &mut impl FnMut(String, ChangeKind, String),
) {
    let Some(Item::Value(Value::Array(list))) = table.get_mut("live") else {
        return;
    };
    let keep = |cap: &str| match cap {
        "http" => http_writes_left,
        "fs" => fs_writes_left,
        _ => true,
    };
    for cap in list.iter().filter_map(Value::as_str) {
        if !keep(cap) {
            change(
                format!("live {cap}"),
                ChangeKind::Unused,
                format!("no {cap} grant that writes is left: removed from `live`"),
            );
        }
    }
    list.retain(|value| value.as_str().is_none_or(keep));
}

fn read_entries(table: &dyn TableLike, key: &str) -> Option<Entries> {
    match table.get(key)? {
        Item::Value(Value::Array(list)) => Some(Entries {
            items: list
                .iter()
                .filter_map(|v| v.as_inline_table().cloned())
                .collect(),
            as_tables: false,
        }),
        Item::ArrayOfTables(tables) => Some(Entries {
            items: tables
                .iter()
                .map(|t| t.clone().into_inline_table())
                .collect(),
            as_tables: true,
        }),
        _ => None,
    }
}

fn write_entries(table: &mut dyn TableLike, key: &str, entries: Entries) {
    if entries.items.is_empty() {
        table.remove(key);
        return;
    }
    if entries.as_tables {
        let mut tables = ArrayOfTables::new();
        for entry in entries.items {
            tables.push(entry.into_table());
        }
        table.insert(key, Item::ArrayOfTables(tables));
    } else {
        let mut list = Array::new();
        for mut entry in entries.items {
            entry.fmt();
            list.push(entry);
        }
        list.fmt();
        let mut value = Value::Array(list);
        // A comment after the old list (`http = [...]  # why`) stays after the new one.
        if let Some(Item::Value(old)) = table.get(key) {
            *value.decor_mut() = old.decor().clone();
        }
        table.insert(key, Item::Value(value));
    }
}
