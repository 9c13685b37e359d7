//! The npm side of the console's browser tests: `playwright-core`, at the exact version that
//! `tests/browser/package-lock.json` pins, installed with `npm ci` into `tests/browser/node_modules`
//! (gitignored). playwright-core is the driver only, with no browser of its own: the tests drive Debian's
//! `chromium` (`system_tools.rs`), so nothing here downloads a browser.
//!
//! The install runs when the package is missing or when the lock changed since the last install (a copy of
//! the lock is kept beside the installed packages as the stamp); otherwise it is skipped. It takes about a
//! second with a warm or cold npm cache (one package, no dependencies).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::Context;

use crate::run;

/// Where the stamp is kept: inside `node_modules`, so that deleting that folder also forgets the stamp.
const STAMP: &str = "node_modules/.drydock-installed-lock.json";

/// Runs `npm ci` in `tests/browser` unless playwright-core is installed from the lock as it is now.
pub fn ensure(root: &Path) -> anyhow::Result<()> {
    let dir = root.join("tests").join("browser");
    let lock_path = dir.join("package-lock.json");
    let lock = std::fs::read(&lock_path)
        .with_context(|| format!("cannot read {}", lock_path.display()))?;
    let installed = dir
        .join("node_modules/playwright-core/package.json")
        .is_file();
    if installed && std::fs::read(dir.join(STAMP)).ok().as_deref() == Some(lock.as_slice()) {
        return Ok(());
    }
    eprintln!(
        "xtask: installing the browser tests' driver (playwright-core, pinned by {}) with npm ci",
        lock_path.display()
    );
    let started = Instant::now();
    let npm = std::env::var("NPM").unwrap_or_else(|_| "npm".into());
    run(Command::new(&npm).current_dir(&dir).args([
        "ci",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
    ]))
    .context(
        "the browser tests need Node.js 20 or newer with npm (Debian: apt-get install nodejs npm)",
    )?;
    std::fs::write(dir.join(STAMP), &lock)
        .with_context(|| format!("cannot write {}", dir.join(STAMP).display()))?;
    eprintln!(
        "xtask: playwright-core installed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
