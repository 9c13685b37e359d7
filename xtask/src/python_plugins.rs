//! Builds the Python plugins: each directory under `plugins/` with an `app.py` (and not the SDK itself)
//! becomes `plugins/target/componentize/<name>.wasm` (`notes-py` → `notes_py.wasm`), built with
//! componentize-py against the Python SDK's worlds (`plugins/sdk-python/wit`: Drydock's contract plus the
//! WASI HTTP client).
//!
//! componentize-py comes from PyPI into a virtual environment under `plugins/target/toolchains` on first
//! use; later builds reuse it, and a plugin whose sources, SDK and WIT are older than its component is not
//! rebuilt (a build takes about ten seconds).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use anyhow::{Context, bail};

/// The componentize-py release the Python SDK is built and tested with.
pub const COMPONENTIZE_PY: &str = "0.25.1";

/// Builds every Python plugin that is out of date; returns every Python plugin's component.
pub fn build(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let plugins = root.join("plugins");
    let sources = python_plugin_dirs(&plugins)?;
    if sources.is_empty() {
        return Ok(Vec::new());
    }
    let out_dir = plugins.join("target").join("componentize");
    std::fs::create_dir_all(&out_dir)?;
    let sdk = plugins.join("sdk-python");
    let inputs_of_all = newest(&[sdk.clone(), root.join("wit")])?;
    let mut built = Vec::new();
    let mut toolchain = None;
    for dir in sources {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .replace('-', "_");
        let out = out_dir.join(format!("{name}.wasm"));
        let newest_input = newest(std::slice::from_ref(&dir))?.max(inputs_of_all);
        let fresh = modified(&out).is_some_and(|made| made >= newest_input);
        if !fresh {
            let componentize = match &toolchain {
                Some(path) => path,
                None => toolchain.insert(componentize_py(&plugins)?),
            };
            eprintln!("xtask: building the Python plugin {name} with componentize-py");
            let output = Command::new(componentize.as_path())
                .arg("-d")
                .arg(sdk.join("wit"))
                .args(["-w", "tool-plugin", "componentize", "-p"])
                .arg(&sdk)
                .arg("-p")
                .arg(&dir)
                .arg("app")
                .arg("-o")
                .arg(&out)
                .output()
                .with_context(|| format!("cannot run {}", componentize.display()))?;
            if !output.status.success() {
                let _ = std::fs::remove_file(&out);
                bail!(
                    "componentize-py could not build {}:\n{}",
                    dir.display(),
                    python_error(&String::from_utf8_lossy(&output.stderr))
                );
            }
        }
        built.push(out);
    }
    Ok(built)
}

/// The directories under `plugins/` holding a Python plugin (`app.py`), sorted.
fn python_plugin_dirs(plugins: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(plugins)? {
        let path = entry?.path();
        if path.join("app.py").is_file() {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

/// componentize-py at [`COMPONENTIZE_PY`], installed into a venv under `plugins/target/toolchains` unless
/// it is there already.
fn componentize_py(plugins: &Path) -> anyhow::Result<PathBuf> {
    let venv = plugins
        .join("target")
        .join("toolchains")
        .join(format!("componentize-py-{COMPONENTIZE_PY}"));
    let tool = venv.join("bin").join("componentize-py");
    if tool.is_file() {
        return Ok(tool);
    }
    eprintln!(
        "xtask: installing componentize-py {COMPONENTIZE_PY} from PyPI into {} (once)",
        venv.display()
    );
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let made = Command::new(&python)
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .with_context(|| {
            format!(
                "cannot run `{python}`: Python 3 is needed to build the Python plugins (install python3 and \
                 python3-venv, or set PYTHON to a Python 3 interpreter)"
            )
        })?;
    if !made.success() {
        bail!(
            "`{python} -m venv` failed: install the venv module (Debian: apt-get install python3-venv) or set \
             PYTHON to a Python 3 that has it"
        );
    }
    let installed = Command::new(venv.join("bin").join("pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .arg(format!("componentize-py=={COMPONENTIZE_PY}"))
        .status()
        .context("cannot run pip in the new virtual environment")?;
    if !installed.success() || !tool.is_file() {
        let _ = std::fs::remove_dir_all(&venv);
        bail!(
            "pip could not install componentize-py {COMPONENTIZE_PY} from PyPI (see its output above)"
        );
    }
    Ok(tool)
}

/// componentize-py's error without its Rust backtrace: the Python traceback and the message.
fn python_error(stderr: &str) -> String {
    let kept: Vec<&str> = stderr
        .lines()
        .take_while(|line| !line.starts_with("Stack backtrace:"))
        .filter(|line| !line.trim().is_empty())
        .collect();
    kept.join("\n")
}

/// The newest modification time of any file under `paths` (following the SDK's link to `wit/`).
fn newest(paths: &[PathBuf]) -> anyhow::Result<SystemTime> {
    let mut newest = SystemTime::UNIX_EPOCH;
    for path in paths {
        let meta = std::fs::metadata(path)?;
        if meta.is_dir() {
            for entry in std::fs::read_dir(path)? {
                let entry = entry?.path();
                let skipped = entry
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n == "__pycache__" || n.starts_with('.'));
                if !skipped {
                    newest = newest.max(self::newest(&[entry])?);
                }
            }
        } else if let Ok(time) = meta.modified() {
            newest = newest.max(time);
        }
    }
    Ok(newest)
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).ok()?.modified().ok()
}
