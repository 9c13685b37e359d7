//! One process per data directory: `drydock serve` and `drydock mcp` hold an exclusive lock on it.
//!
//! Two processes writing one SQLite file would each keep their own idea of the audit chain's head, their
//! own in-memory LivePolicy and their own executions; SQLite's locking keeps the file consistent but not
//! the product. So the second process stops at once with a message naming the holder. The lock is an OS
//! file lock (`flock` on `drydock.lock`), released by the kernel when the holder exits, however it exits:
//! a crash never leaves a stale lock behind. The file also holds the holder's pid and command, for the
//! message.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

use anyhow::{Context, bail};

/// The lock file's name inside the data directory.
pub const LOCK_FILE: &str = "drydock.lock";

/// Holds the data directory until dropped (or the process exits).
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
}

/// Takes the data directory for this process (`command` names it in the other process's message: `serve`
/// or `mcp`), creating the directory if needed.
pub fn take(data_dir: &Path, command: &str) -> anyhow::Result<DataDirLock> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create the data directory `{}`", data_dir.display()))?;
    let path = data_dir.join(LOCK_FILE);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open the lock file `{}`", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let holder = if holder.is_empty() {
                "another process".to_owned()
            } else {
                holder.to_owned()
            };
            bail!(
                "the data directory `{}` is in use by {holder}; two Drydock processes must not share one. \
                 Stop that process, or give this one its own `--data-dir` (an MCP host can also reach a \
                 running server at its `/mcp` endpoint instead of starting `drydock mcp`)",
                data_dir.display()
            );
        }
        Err(TryLockError::Error(err)) => {
            return Err(err).with_context(|| format!("cannot lock `{}`", path.display()));
        }
    }
    file.set_len(0)?;
    file.rewind()?;
    write!(file, "pid {} (`drydock {command}`)", std::process::id())?;
    file.flush()?;
    Ok(DataDirLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_directory_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let held = take(dir.path(), "serve").unwrap();
        let error = take(dir.path(), "mcp").unwrap_err().to_string();
        assert!(
            error.contains(&format!("pid {} (`drydock serve`)", std::process::id())),
            "{error}"
        );
        assert!(error.contains("--data-dir"), "{error}");
        drop(held);
        take(dir.path(), "mcp").expect("the lock is free once its holder is gone");
    }
}
