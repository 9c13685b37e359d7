//! What a call wrote into a writable directory, checked against the grant's argument rules
//! (`max_file_bytes`, `max_files`) and secret flow (no file may carry a secret granted for destinations)
//! before it counts.
//!
//! A dry run's writes are in a scratch copy anyway; a breach there is denied and its diff not kept. A
//! live grant with rules, or a plugin holding such a secret, writes into a scratch copy too (*staged*):
//! only when the writes pass are they applied to the real directory, so a breach never touches it.

use std::path::Path;

use drydock_policy::{FsGrant, WrittenFile, check_fs_rules};

use super::diff::{self, Change, ChangeKind};
use crate::context::CallContext;

/// Whether writes to `grant` must be checked (and, live, staged) at all.
pub(super) fn is_guarded(ctx: &CallContext, grant: &FsGrant) -> bool {
    !grant.rules.is_empty() || !ctx.guards.scanner.is_empty()
}

/// Checks what changed from `before` to `after` in `grant`'s directory; the error is the denial's reason.
pub(super) fn check_writes(
    ctx: &CallContext,
    grant: &FsGrant,
    before: &Path,
    after: &Path,
    max_entries: usize,
) -> Result<(), String> {
    if !is_guarded(ctx, grant) {
        return Ok(());
    }
    let changes = diff::compare(before, after, max_entries)
        .map_err(|err| format!("the changes could not be checked: {err}"))?;
    let written: Vec<WrittenFile> = changes
        .iter()
        .map(|change| WrittenFile {
            path: &change.path,
            bytes_after: change.bytes_after,
        })
        .collect();
    check_fs_rules(&grant.rules, &written)
        .map_err(|breach| format!("{breach} (fs grant {})", grant.mount))?;
    for change in changes.iter().filter(|c| c.kind != ChangeKind::Delete) {
        let what = format!("the file `{}/{}`", grant.mount, change.path);
        // Checked, not journaled here: the caller journals the one denial of these writes.
        let scanner = &ctx.guards.scanner;
        scanner
            .check_sink(&what, change.path.as_bytes())
            .map_err(|breach| breach.to_string())?;
        let path = after.join(&change.path);
        if !path.is_file() {
            continue;
        }
        let content = std::fs::read(&path)
            .map_err(|err| format!("{what} could not be read to check it: {err}"))?;
        scanner
            .check_sink(&what, &content)
            .map_err(|breach| breach.to_string())?;
    }
    Ok(())
}

/// Applies the staged writes (the changes from `real` to `staged`) to `real`: deletions first, deepest
/// first, then directories, files and links in path order (a parent before its children).
pub(super) fn apply_staged(real: &Path, staged: &Path, max_entries: usize) -> Result<(), String> {
    let changes = diff::compare(real, staged, max_entries)?;
    let mut deletions: Vec<&Change> = changes
        .iter()
        .filter(|c| c.kind == ChangeKind::Delete)
        .collect();
    deletions.sort_by(|a, b| b.path.cmp(&a.path));
    for change in deletions {
        let path = real.join(&change.path);
        let removed = match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(&path),
            Ok(_) => std::fs::remove_file(&path),
            Err(_) => Ok(()),
        };
        removed.map_err(|err| format!("cannot delete `{}`: {err}", change.path))?;
    }
    let mut writes: Vec<&Change> = changes
        .iter()
        .filter(|c| c.kind != ChangeKind::Delete)
        .collect();
    writes.sort_by(|a, b| a.path.cmp(&b.path));
    for change in writes {
        let (from, to) = (staged.join(&change.path), real.join(&change.path));
        let meta = std::fs::symlink_metadata(&from)
            .map_err(|err| format!("cannot read staged `{}`: {err}", change.path))?;
        let failed = |err: std::io::Error| format!("cannot write `{}`: {err}", change.path);
        if meta.is_dir() {
            std::fs::create_dir_all(&to).map_err(failed)?;
            continue;
        }
        if let Ok(old) = std::fs::symlink_metadata(&to)
            && (old.is_dir() || old.file_type().is_symlink())
        {
            let _ = std::fs::remove_dir_all(&to).or_else(|_| std::fs::remove_file(&to));
        }
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&from).map_err(failed)?;
            let _ = std::fs::remove_file(&to);
            symlink(&target, &to).map_err(failed)?;
        } else {
            std::fs::copy(&from, &to).map_err(failed)?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(_target: &Path, _link: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other(
        "links are not applied on this platform",
    ))
}
