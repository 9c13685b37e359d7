//! Programs the test suite runs besides cargo: `curl` and `jq` for the documentation's shell snippets,
//! Debian's `docker-registry` (CNCF distribution 2.8), the real OCI registry the package tests push to and
//! pull from, and Debian's `chromium`, the browser the console's end-to-end tests drive. As root with apt-get (a fresh container or CI) a missing one is installed; otherwise the run
//! stops saying how to install it.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::bail;

use crate::run;

/// A program the suite needs.
pub struct Tool {
    /// How to tell it is installed.
    present: Presence,
    /// The apt package that provides it.
    package: &'static str,
    /// Which tests need it, for the messages.
    why: &'static str,
}

enum Presence {
    /// `<command> --version` succeeds.
    Command(&'static str),
    /// This file exists (the registry's and the browser's tests start it by this exact path).
    File(&'static str),
}

/// What `cargo xtask test` makes sure of before running the suite.
pub const TEST_TOOLS: &[Tool] = &[
    Tool {
        present: Presence::Command("curl"),
        package: "curl",
        why: "the documentation's shell snippets use it",
    },
    Tool {
        present: Presence::Command("jq"),
        package: "jq",
        why: "the documentation's shell snippets use it",
    },
    Tool {
        present: Presence::File("/usr/bin/docker-registry"),
        package: "docker-registry",
        why: "the OCI package tests run it as a local registry",
    },
    CHROMIUM,
];

/// Debian's Chromium, which the console's browser tests drive by this exact path.
pub const CHROMIUM: Tool = Tool {
    present: Presence::File("/usr/bin/chromium"),
    package: "chromium",
    why: "the console's browser tests drive it headless (tests/browser)",
};

impl Tool {
    fn is_present(&self) -> bool {
        match self.present {
            Presence::Command(command) => command_succeeds(command),
            Presence::File(path) => Path::new(path).is_file(),
        }
    }
}

fn command_succeeds(command: &str) -> bool {
    Command::new(command)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Installs `tool` with apt-get when it is missing and we run as root; otherwise a missing tool stops the
/// run with how to install it.
pub fn ensure(tool: &Tool) -> anyhow::Result<()> {
    if tool.is_present() {
        return Ok(());
    }
    let package = tool.package;
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0");
    if root && command_succeeds("apt-get") {
        eprintln!("xtask: installing {package} with apt-get ({})", tool.why);
        let installed = run(Command::new("apt-get").args(["install", "-y", package]));
        if installed.is_err() {
            run(Command::new("apt-get").arg("update"))?;
            run(Command::new("apt-get").args(["install", "-y", package]))?;
        }
        if tool.is_present() {
            return Ok(());
        }
    }
    bail!(
        "the test suite needs `{package}` ({}); install it (Debian/Ubuntu: `sudo apt-get install -y {package}`) \
         and run again",
        tool.why
    )
}
