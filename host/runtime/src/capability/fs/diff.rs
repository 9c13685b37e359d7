//! What changed between two directory trees, as a list of changes and as a unified diff.

use std::collections::BTreeMap;
use std::path::Path;

use similar::TextDiff;
use walkdir::WalkDir;

/// How one path changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// The path did not exist before.
    Create,
    /// The file's content (or link target) differs.
    Write,
    /// The path no longer exists.
    Delete,
}

impl ChangeKind {
    /// The verb used in journal actions.
    pub fn verb(self) -> &'static str {
        match self {
            ChangeKind::Create => "create",
            ChangeKind::Write => "write",
            ChangeKind::Delete => "delete",
        }
    }
}

/// One changed path.
#[derive(Debug, Clone)]
pub struct Change {
    /// Path relative to the granted directory, with `/` separators.
    pub path: String,
    /// How it changed.
    pub kind: ChangeKind,
    /// Content before (None for directories, links and created paths).
    pub before: Option<Vec<u8>>,
    /// Content after (None for directories, links and deleted paths).
    pub after: Option<Vec<u8>>,
    /// Size before, if it was a file.
    pub bytes_before: Option<u64>,
    /// Size after, if it is a file.
    pub bytes_after: Option<u64>,
}

#[derive(PartialEq)]
enum Entry {
    Dir,
    File(Vec<u8>),
    Link(std::path::PathBuf),
}

fn scan(root: &Path) -> Result<BTreeMap<String, Entry>, String> {
    let mut entries = BTreeMap::new();
    for entry in WalkDir::new(root).follow_links(false).min_depth(1) {
        let entry = entry.map_err(|err| format!("cannot read `{}`: {err}", root.display()))?;
        let relative = entry
            .path()
            .strip_prefix(root)
            .map_err(|err| err.to_string())?
            .to_string_lossy()
            .replace('\\', "/");
        let kind = entry.file_type();
        let value = if kind.is_dir() {
            Entry::Dir
        } else if kind.is_symlink() {
            Entry::Link(std::fs::read_link(entry.path()).map_err(|err| err.to_string())?)
        } else {
            Entry::File(std::fs::read(entry.path()).map_err(|err| err.to_string())?)
        };
        entries.insert(relative, value);
    }
    Ok(entries)
}

/// The changes that turn `before` into `after`, sorted by path.
pub fn compare(before: &Path, after: &Path) -> Result<Vec<Change>, String> {
    let old = scan(before)?;
    let mut new = scan(after)?;
    let mut changes = Vec::new();
    for (path, old_entry) in old {
        match new.remove(&path) {
            None => changes.push(change(path, ChangeKind::Delete, Some(old_entry), None)),
            Some(new_entry) if new_entry != old_entry => changes.push(change(
                path,
                ChangeKind::Write,
                Some(old_entry),
                Some(new_entry),
            )),
            Some(_) => {}
        }
    }
    for (path, new_entry) in new {
        changes.push(change(path, ChangeKind::Create, None, Some(new_entry)));
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(changes)
}

fn change(path: String, kind: ChangeKind, before: Option<Entry>, after: Option<Entry>) -> Change {
    let content = |entry: &Option<Entry>| match entry {
        Some(Entry::File(bytes)) => Some(bytes.clone()),
        _ => None,
    };
    let (before_bytes, after_bytes) = (content(&before), content(&after));
    Change {
        path,
        kind,
        bytes_before: before_bytes.as_ref().map(|b| b.len() as u64),
        bytes_after: after_bytes.as_ref().map(|b| b.len() as u64),
        before: before_bytes,
        after: after_bytes,
    }
}

/// A unified diff (git style headers) of the file changes.
pub fn unified(changes: &[Change]) -> String {
    let mut out = String::new();
    for change in changes {
        let (old_name, new_name) = match change.kind {
            ChangeKind::Create => ("/dev/null".to_owned(), format!("b/{}", change.path)),
            ChangeKind::Delete => (format!("a/{}", change.path), "/dev/null".to_owned()),
            ChangeKind::Write => (format!("a/{}", change.path), format!("b/{}", change.path)),
        };
        let old = change.before.as_deref().unwrap_or_default();
        let new = change.after.as_deref().unwrap_or_default();
        match (std::str::from_utf8(old), std::str::from_utf8(new)) {
            (Ok(old), Ok(new)) if change.before.is_some() || change.after.is_some() => {
                let diff = TextDiff::from_lines(old, new);
                out.push_str(&format!("diff --drydock a/{0} b/{0}\n", change.path));
                out.push_str(
                    &diff
                        .unified_diff()
                        .context_radius(3)
                        .header(&old_name, &new_name)
                        .to_string(),
                );
            }
            (Ok(_), Ok(_)) => {
                out.push_str(&format!(
                    "diff --drydock a/{0} b/{0}\n{1} {0} (directory or link)\n",
                    change.path,
                    change.kind.verb()
                ));
            }
            _ => out.push_str(&format!("Binary files {old_name} and {new_name} differ\n")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_created_written_and_deleted_files_with_a_unified_diff() {
        let before = tempfile::tempdir().unwrap();
        let after = tempfile::tempdir().unwrap();
        std::fs::write(before.path().join("keep.txt"), "same\n").unwrap();
        std::fs::write(after.path().join("keep.txt"), "same\n").unwrap();
        std::fs::write(before.path().join("edit.txt"), "one\ntwo\n").unwrap();
        std::fs::write(after.path().join("edit.txt"), "one\nthree\n").unwrap();
        std::fs::write(before.path().join("gone.txt"), "bye\n").unwrap();
        std::fs::write(after.path().join("new.txt"), "hello\n").unwrap();

        let changes = compare(before.path(), after.path()).unwrap();
        let summary: Vec<_> = changes.iter().map(|c| (c.path.as_str(), c.kind)).collect();
        assert_eq!(
            summary,
            [
                ("edit.txt", ChangeKind::Write),
                ("gone.txt", ChangeKind::Delete),
                ("new.txt", ChangeKind::Create)
            ]
        );
        let patch = unified(&changes);
        assert!(patch.contains("-two\n+three\n"), "{patch}");
        assert!(patch.contains("+++ b/new.txt"), "{patch}");
        assert!(patch.contains("--- a/gone.txt"), "{patch}");
    }

    #[test]
    fn identical_trees_have_no_changes() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        std::fs::write(a.path().join("x"), "1").unwrap();
        std::fs::write(b.path().join("x"), "1").unwrap();
        assert!(compare(a.path(), b.path()).unwrap().is_empty());
    }
}
