//! Where the Python and JavaScript toolchains live and how they get there: componentize-py from PyPI into
//! a virtual environment, componentize-js from npm into a package directory, each under one directory
//! (`$DRYDOCK_TOOLCHAINS`, else `$XDG_CACHE_HOME/drydock/toolchains`, else `~/.cache/drydock/toolchains`)
//! and each installed once, on first use. A file lock makes two builds that start together install once.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::ToolchainError;
use crate::progress::Progress;

/// The componentize-py release the Python SDK is built and tested with.
pub const COMPONENTIZE_PY: &str = "0.25.1";
/// The componentize-js release the JavaScript SDK is built and tested with (never with `--aot`, which
/// downloads a binary at build time).
pub const COMPONENTIZE_JS: &str = "0.23.0";

/// The toolchain directory and the programs found or installed there.
#[derive(Clone, Debug)]
pub struct Toolchains {
    home: PathBuf,
}

impl Toolchains {
    /// Toolchains kept in `home`.
    pub fn at(home: impl Into<PathBuf>) -> Toolchains {
        Toolchains { home: home.into() }
    }

    /// The user's toolchain directory: `$DRYDOCK_TOOLCHAINS`, `$XDG_CACHE_HOME/drydock/toolchains` or
    /// `$HOME/.cache/drydock/toolchains`.
    pub fn for_user() -> Result<Toolchains, ToolchainError> {
        let var = |name| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        if let Some(dir) = var("DRYDOCK_TOOLCHAINS") {
            return Ok(Toolchains::at(dir));
        }
        if let Some(cache) = var("XDG_CACHE_HOME") {
            return Ok(Toolchains::at(cache.join("drydock").join("toolchains")));
        }
        match var("HOME") {
            Some(home) => Ok(Toolchains::at(home.join(".cache").join("drydock").join("toolchains"))),
            None => Err(ToolchainError::Project(
                "no place for the plugin toolchains: set DRYDOCK_TOOLCHAINS (or HOME) to a directory".into(),
            )),
        }
    }

    /// The directory the toolchains live in.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The `componentize-py` program, installed first if it is not there yet.
    pub fn componentize_py(&self) -> Result<PathBuf, ToolchainError> {
        self.componentize_py_with(&program("PYTHON", "python3"))
    }

    fn componentize_py_with(&self, python: &str) -> Result<PathBuf, ToolchainError> {
        let venv = self.home.join(format!("componentize-py-{COMPONENTIZE_PY}"));
        let tool = venv.join("bin").join("componentize-py");
        self.once(&tool, || {
            let what = format!("componentize-py {COMPONENTIZE_PY}");
            let progress = Progress::start(format!(
                "installing {what} from PyPI into {} (once)",
                venv.display()
            ));
            let mut make_venv = Command::new(python);
            make_venv.args(["-m", "venv"]).arg(&venv);
            let made = run(&mut make_venv).map_err(|source| ToolchainError::Missing {
                program: python.to_owned(),
                what: "Python 3",
                why: "to build Python plugins",
                install: "install python3 and python3-venv (Debian: apt-get install python3 python3-venv), or set \
                          PYTHON to a Python 3 interpreter",
                source,
            })?;
            if let Err(detail) = made {
                progress.finish("failed");
                return Err(ToolchainError::Install {
                    what: "a virtual environment".into(),
                    detail: format!(
                        "`{python} -m venv` failed: install the venv module (Debian: apt-get install \
                         python3-venv) or set PYTHON to a Python 3 that has it\n{detail}"
                    ),
                });
            }
            let mut pip = Command::new(venv.join("bin").join("pip"));
            pip.args(["install", "--disable-pip-version-check", "--no-input"])
                .arg(format!("componentize-py=={COMPONENTIZE_PY}"));
            let installed = run(&mut pip).map_err(ToolchainError::io("cannot run pip in", &venv))?;
            match installed {
                Ok(()) if tool.is_file() => {
                    progress.finish("done");
                    Ok(())
                }
                outcome => {
                    progress.finish("failed");
                    let _ = std::fs::remove_dir_all(&venv);
                    Err(ToolchainError::Install {
                        what,
                        detail: format!(
                            "pip could not install it from PyPI (is the network or a PyPI mirror reachable?)\n{}",
                            outcome.err().unwrap_or_default()
                        ),
                    })
                }
            }
        })?;
        Ok(tool)
    }

    /// The componentize-js package directory, installed first if it is not there yet.
    pub fn componentize_js(&self) -> Result<PathBuf, ToolchainError> {
        let home = self.home.join(format!("componentize-js-{COMPONENTIZE_JS}"));
        let package = home.join("node_modules/@bytecodealliance/componentize-js");
        self.once(&package.join("src/componentize.js"), || {
            let what = format!("componentize-js {COMPONENTIZE_JS}");
            let progress = Progress::start(format!(
                "installing {what} from npm into {} (once)",
                home.display()
            ));
            std::fs::create_dir_all(&home).map_err(ToolchainError::io("cannot create", &home))?;
            let manifest = home.join("package.json");
            std::fs::write(
                &manifest,
                format!(
                    "{{\"private\": true, \"dependencies\": {{\"@bytecodealliance/componentize-js\": \"{COMPONENTIZE_JS}\"}}}}\n"
                ),
            )
            .map_err(ToolchainError::io("cannot write", &manifest))?;
            let npm = program("NPM", "npm");
            let mut install = Command::new(&npm);
            install
                .current_dir(&home)
                .args(["install", "--no-audit", "--no-fund", "--loglevel=error"]);
            let installed = run(&mut install).map_err(|source| ToolchainError::Missing {
                program: npm.clone(),
                what: "Node.js 20 or newer with npm",
                why: "to build JavaScript plugins",
                install: "install nodejs and npm (Debian: apt-get install nodejs npm), or set NPM and NODE",
                source,
            })?;
            match installed {
                Ok(()) if package.join("src/componentize.js").is_file() => {
                    progress.finish("done");
                    Ok(())
                }
                outcome => {
                    progress.finish("failed");
                    let _ = std::fs::remove_dir_all(&home);
                    Err(ToolchainError::Install {
                        what,
                        detail: format!(
                            "npm could not install it (is the network or an npm mirror reachable?)\n{}",
                            outcome.err().unwrap_or_default()
                        ),
                    })
                }
            }
        })?;
        Ok(package)
    }

    /// The JavaScript build driver (the SDK's `build.mjs`, as this binary carries it), written next to
    /// componentize-js when it is missing or differs.
    pub fn js_build_driver(&self) -> Result<PathBuf, ToolchainError> {
        let path = self
            .home
            .join(format!("componentize-js-{COMPONENTIZE_JS}"))
            .join("drydock-build.mjs");
        let wanted = crate::embedded::JS_BUILD_DRIVER;
        if std::fs::read(&path).ok().as_deref() != Some(wanted) {
            // Written aside and renamed, so a concurrent build never runs half a file.
            let staging = path.with_extension(format!("mjs.{}", std::process::id()));
            std::fs::write(&staging, wanted)
                .map_err(ToolchainError::io("cannot write", &staging))?;
            std::fs::rename(&staging, &path).map_err(ToolchainError::io("cannot write", &path))?;
        }
        Ok(path)
    }

    /// Runs `install` unless `marker` exists, holding the directory's lock so that concurrent builds
    /// install once and never see a half-installed toolchain.
    fn once(
        &self,
        marker: &Path,
        install: impl FnOnce() -> Result<(), ToolchainError>,
    ) -> Result<(), ToolchainError> {
        if marker.is_file() {
            return Ok(());
        }
        std::fs::create_dir_all(&self.home)
            .map_err(ToolchainError::io("cannot create", &self.home))?;
        let lock_path = self.home.join(".install.lock");
        let lock =
            File::create(&lock_path).map_err(ToolchainError::io("cannot create", &lock_path))?;
        lock.lock()
            .map_err(ToolchainError::io("cannot lock", &lock_path))?;
        let outcome = if marker.is_file() { Ok(()) } else { install() };
        let _ = lock.unlock();
        outcome
    }
}

/// The program an environment variable names, or its usual name.
pub(crate) fn program(var: &str, default: &str) -> String {
    std::env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.into())
}

/// Runs a command with its output captured: `Err(io)` when it cannot start, `Ok(Err(last lines))` when it
/// fails.
pub(crate) fn run(command: &mut Command) -> std::io::Result<Result<(), String>> {
    let output = command.output()?;
    if output.status.success() {
        return Ok(Ok(()));
    }
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Ok(Err(last_lines(&text, 20)))
}

/// The last `count` non-empty lines of `text`.
pub(crate) fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_python_says_what_to_install() {
        let dir = tempfile::tempdir().unwrap();
        let err = Toolchains::at(dir.path())
            .componentize_py_with("/nonexistent/python3")
            .unwrap_err()
            .to_string();
        assert!(err.contains("python3-venv"), "{err}");
        assert!(err.contains("/nonexistent/python3"), "{err}");
    }
}
