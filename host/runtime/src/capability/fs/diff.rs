//! What changed between two directory trees, as a list of changes and as a bounded unified diff.
//!
//! Neither tree is read into memory whole: both are scanned for metadata only (kind, size, link target),
//! files of equal size are compared in chunks, and a file's lines are read only to show them, when both
//! sides are at most [`MAX_SHOWN_FILE_BYTES`]. The diff text stops at its budget and says how much it left
//! out; every change is in the effect journal whatever the diff shows.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use similar::TextDiff;
use walkdir::WalkDir;

/// Largest file whose content the diff shows; larger changed files get a one-line summary.
pub const MAX_SHOWN_FILE_BYTES: u64 = 256 << 10;

/// How one path changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// The path did not exist before.
    Create,
    /// The file's content (or link target, or kind) differs.
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
    /// Size before, if it was a file.
    pub bytes_before: Option<u64>,
    /// Size after, if it is a file.
    pub bytes_after: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
enum Entry {
    Dir,
    File { len: u64 },
    Link(PathBuf),
}

impl Entry {
    fn file_len(&self) -> Option<u64> {
        match self {
            Entry::File { len } => Some(*len),
            _ => None,
        }
    }
}

/// Every entry under `root`, by relative path; more than `max_entries` is an error.
fn scan(root: &Path, max_entries: usize) -> Result<BTreeMap<String, Entry>, String> {
    let mut entries = BTreeMap::new();
    for entry in WalkDir::new(root).follow_links(false).min_depth(1) {
        let entry = entry.map_err(|err| format!("cannot read `{}`: {err}", root.display()))?;
        if entries.len() >= max_entries {
            return Err(format!(
                "more than {max_entries} entries to compare; the changes are not listed"
            ));
        }
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
            let len = entry.metadata().map_err(|err| err.to_string())?.len();
            Entry::File { len }
        };
        entries.insert(relative, value);
    }
    Ok(entries)
}

/// The changes that turn `before` into `after`, sorted by path. At most `max_entries` per side are looked
/// at; more is an error rather than a partial answer.
pub fn compare(before: &Path, after: &Path, max_entries: usize) -> Result<Vec<Change>, String> {
    let old = scan(before, max_entries)?;
    let mut new = scan(after, max_entries)?;
    let mut changes = Vec::new();
    for (path, old_entry) in old {
        match new.remove(&path) {
            None => changes.push(change(path, ChangeKind::Delete, Some(&old_entry), None)),
            Some(new_entry) => {
                let same = match (&old_entry, &new_entry) {
                    (Entry::File { len: a }, Entry::File { len: b }) if a == b => {
                        same_content(&before.join(&path), &after.join(&path))?
                    }
                    (a, b) => a == b,
                };
                if !same {
                    changes.push(change(
                        path,
                        ChangeKind::Write,
                        Some(&old_entry),
                        Some(&new_entry),
                    ));
                }
            }
        }
    }
    for (path, new_entry) in new {
        changes.push(change(path, ChangeKind::Create, None, Some(&new_entry)));
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(changes)
}

fn change(path: String, kind: ChangeKind, before: Option<&Entry>, after: Option<&Entry>) -> Change {
    Change {
        path,
        kind,
        bytes_before: before.and_then(Entry::file_len),
        bytes_after: after.and_then(Entry::file_len),
    }
}

/// Whether two files of the same length hold the same bytes, read in chunks.
fn same_content(a: &Path, b: &Path) -> Result<bool, String> {
    let open =
        |p: &Path| File::open(p).map_err(|err| format!("cannot read `{}`: {err}", p.display()));
    let (mut a, mut b) = (open(a)?, open(b)?);
    let mut chunk_a = vec![0u8; 64 << 10];
    let mut chunk_b = vec![0u8; 64 << 10];
    loop {
        let n = read_full(&mut a, &mut chunk_a)?;
        let m = read_full(&mut b, &mut chunk_b)?;
        if n != m || chunk_a[..n] != chunk_b[..m] {
            return Ok(false);
        }
        if n == 0 {
            return Ok(true);
        }
    }
}

fn read_full(file: &mut File, buf: &mut [u8]) -> Result<usize, String> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err.to_string()),
        }
    }
    Ok(filled)
}

/// A unified diff and how much of it was left out.
#[derive(Debug, Default)]
pub struct Diff {
    /// The diff text (git-style headers), at most the budget plus a closing note.
    pub text: String,
    /// Changed paths the budget left out of the text.
    pub left_out: usize,
}

/// A unified diff of `changes` between the trees `before` and `after`, at most `max_bytes` long (then a
/// last line says how many changes were left out).
pub fn unified(changes: &[Change], before: &Path, after: &Path, max_bytes: usize) -> Diff {
    let mut diff = Diff::default();
    for (i, change) in changes.iter().enumerate() {
        let piece = one_change(change, before, after);
        if diff.text.len() + piece.len() > max_bytes {
            diff.left_out = changes.len() - i;
            diff.text.push_str(&format!(
                "… diff truncated at {max_bytes} bytes: {} more changed paths are not shown here; \
                 the effect journal lists every change\n",
                diff.left_out
            ));
            break;
        }
        diff.text.push_str(&piece);
    }
    diff
}

fn one_change(change: &Change, before: &Path, after: &Path) -> String {
    let path = &change.path;
    let (old_name, new_name) = match change.kind {
        ChangeKind::Create => ("/dev/null".to_owned(), format!("b/{path}")),
        ChangeKind::Delete => (format!("a/{path}"), "/dev/null".to_owned()),
        ChangeKind::Write => (format!("a/{path}"), format!("b/{path}")),
    };
    let header = format!("diff --drydock a/{path} b/{path}\n");
    if change.bytes_before.is_none() && change.bytes_after.is_none() {
        return format!(
            "{header}{} {path} (directory or link)\n",
            change.kind.verb()
        );
    }
    let too_large = |size: Option<u64>| size.is_some_and(|s| s > MAX_SHOWN_FILE_BYTES);
    if too_large(change.bytes_before) || too_large(change.bytes_after) {
        return format!(
            "{header}Large files {old_name} ({} bytes) and {new_name} ({} bytes) differ; content not shown \
             (over {MAX_SHOWN_FILE_BYTES} bytes)\n",
            change.bytes_before.unwrap_or(0),
            change.bytes_after.unwrap_or(0)
        );
    }
    let read = |root: &Path, size: Option<u64>| match size {
        Some(_) => std::fs::read(root.join(path)).unwrap_or_default(),
        None => Vec::new(),
    };
    let old = read(before, change.bytes_before);
    let new = read(after, change.bytes_after);
    match (std::str::from_utf8(&old), std::str::from_utf8(&new)) {
        (Ok(old), Ok(new)) => {
            let text = TextDiff::from_lines(old, new);
            let body = text
                .unified_diff()
                .context_radius(3)
                .header(&old_name, &new_name)
                .to_string();
            format!("{header}{body}")
        }
        _ => format!("Binary files {old_name} and {new_name} differ\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trees() -> (tempfile::TempDir, tempfile::TempDir) {
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap())
    }

    #[test]
    fn reports_created_written_and_deleted_files_with_a_unified_diff() {
        let (before, after) = trees();
        std::fs::write(before.path().join("keep.txt"), "same\n").unwrap();
        std::fs::write(after.path().join("keep.txt"), "same\n").unwrap();
        std::fs::write(before.path().join("edit.txt"), "one\ntwo\n").unwrap();
        std::fs::write(after.path().join("edit.txt"), "one\nthree\n").unwrap();
        std::fs::write(before.path().join("gone.txt"), "bye\n").unwrap();
        std::fs::write(after.path().join("new.txt"), "hello\n").unwrap();

        let changes = compare(before.path(), after.path(), 100).unwrap();
        let summary: Vec<_> = changes.iter().map(|c| (c.path.as_str(), c.kind)).collect();
        assert_eq!(
            summary,
            [
                ("edit.txt", ChangeKind::Write),
                ("gone.txt", ChangeKind::Delete),
                ("new.txt", ChangeKind::Create)
            ]
        );
        let patch = unified(&changes, before.path(), after.path(), 1 << 20);
        assert_eq!(patch.left_out, 0);
        assert!(patch.text.contains("-two\n+three\n"), "{}", patch.text);
        assert!(patch.text.contains("+++ b/new.txt"), "{}", patch.text);
        assert!(patch.text.contains("--- a/gone.txt"), "{}", patch.text);
    }

    #[test]
    fn identical_trees_have_no_changes() {
        let (a, b) = trees();
        std::fs::write(a.path().join("x"), "1").unwrap();
        std::fs::write(b.path().join("x"), "1").unwrap();
        assert!(compare(a.path(), b.path(), 100).unwrap().is_empty());
    }

    #[test]
    fn files_of_equal_size_are_compared_by_content() {
        let (a, b) = trees();
        let mut big = vec![b'x'; 200_000];
        std::fs::write(a.path().join("x"), &big).unwrap();
        big[150_000] = b'y';
        std::fs::write(b.path().join("x"), &big).unwrap();
        let changes = compare(a.path(), b.path(), 100).unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].kind, ChangeKind::Write);
    }

    #[test]
    fn large_files_are_summarised_not_read() {
        let (a, b) = trees();
        std::fs::write(b.path().join("huge.bin"), vec![0u8; 300 << 10]).unwrap();
        let changes = compare(a.path(), b.path(), 100).unwrap();
        let patch = unified(&changes, a.path(), b.path(), 1 << 20);
        assert!(patch.text.contains("Large files"), "{}", patch.text);
        assert!(patch.text.len() < 400, "{}", patch.text.len());
    }

    #[test]
    fn the_diff_stops_at_its_budget_and_says_how_much_it_left_out() {
        let (a, b) = trees();
        for i in 0..50 {
            std::fs::write(b.path().join(format!("f{i:02}.txt")), "line\n".repeat(20)).unwrap();
        }
        let changes = compare(a.path(), b.path(), 100).unwrap();
        let patch = unified(&changes, a.path(), b.path(), 2_000);
        assert!(patch.left_out > 30, "{}", patch.left_out);
        assert!(patch.text.len() < 2_300, "{}", patch.text.len());
        assert!(patch.text.contains("diff truncated"), "{}", patch.text);
    }

    #[test]
    fn too_many_entries_is_an_error_not_a_partial_list() {
        let (a, b) = trees();
        for i in 0..5 {
            std::fs::write(b.path().join(format!("{i}")), "").unwrap();
        }
        let error = compare(a.path(), b.path(), 3).unwrap_err();
        assert!(error.contains("more than 3 entries"), "{error}");
    }
}
