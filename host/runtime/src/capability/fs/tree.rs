//! Copying a directory tree for a scratch copy or a snapshot, without following symlinks.
//!
//! Symlinks are copied as symlinks (same target), so the guest sees the same tree it would see live, and
//! the sandbox refuses the same escapes in both.

use std::path::Path;

use walkdir::WalkDir;

/// Copies `from` into the existing directory `to`, refusing trees larger than the bounds.
pub fn copy(from: &Path, to: &Path, max_files: usize, max_bytes: u64) -> Result<(), String> {
    let mut files = 0usize;
    let mut bytes = 0u64;
    for entry in WalkDir::new(from).follow_links(false).min_depth(1) {
        let entry = entry.map_err(|err| format!("cannot read `{}`: {err}", from.display()))?;
        let relative = entry
            .path()
            .strip_prefix(from)
            .map_err(|err| format!("unexpected path while copying: {err}"))?;
        let target = to.join(relative);
        let kind = entry.file_type();
        files += 1;
        if files > max_files {
            return Err(format!(
                "`{}` holds more than {max_files} entries, too many to copy for a dry run",
                from.display()
            ));
        }
        if kind.is_dir() {
            std::fs::create_dir(&target)
        } else if kind.is_symlink() {
            let link = std::fs::read_link(entry.path())
                .map_err(|err| format!("cannot read link `{}`: {err}", entry.path().display()))?;
            symlink(&link, &target)
        } else {
            bytes += entry.metadata().map(|m| m.len()).unwrap_or(0);
            if bytes > max_bytes {
                return Err(format!(
                    "`{}` holds more than {max_bytes} bytes, too much to copy for a dry run",
                    from.display()
                ));
            }
            std::fs::copy(entry.path(), &target).map(|_| ())
        }
        .map_err(|err| format!("cannot copy `{}`: {err}", entry.path().display()))?;
    }
    Ok(())
}

#[cfg(unix)]
fn symlink(link: &Path, target: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(link, target)
}

#[cfg(not(unix))]
fn symlink(_link: &Path, _target: &Path) -> std::io::Result<()> {
    // Without unix symlinks the link is left out of the copy; the guest could not follow it out anyway.
    Ok(())
}
