//! Builds the plugins written in Python and JavaScript into `plugins/target/componentize/<name>.wasm`
//! (`notes-py` → `notes_py.wasm`): each directory under `plugins/` with an `app.py` (componentize-py, against
//! `plugins/sdk-python/wit`) or an `app.js` (componentize-js, against `plugins/sdk-js/wit`). Both worlds are
//! Drydock's contract plus the WASI interfaces each SDK calls directly. A plugin directory with its own `wit/`
//! is built against that instead: the hostile fixtures that speak another contract version
//! (`plugins/hostile/py-wrong-version`) need it, and a test of the host's refusal needs a real such component.
//!
//! Each toolchain comes from its registry (PyPI into a virtual environment, npm into a package directory)
//! under `plugins/target/toolchains` on first use; later builds reuse it, and a plugin whose sources, SDK and
//! WIT are older than its component is not rebuilt (a build takes ten to twenty seconds).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use anyhow::{Context, bail};

/// The componentize-py release the Python SDK is built and tested with.
pub const COMPONENTIZE_PY: &str = "0.25.1";
/// The componentize-js release the JavaScript SDK is built and tested with (never with `--aot`, which
/// downloads a binary at build time).
pub const COMPONENTIZE_JS: &str = "0.23.0";

/// A language a plugin directory can be written in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Language {
    Python,
    JavaScript,
}

impl Language {
    fn entry(self) -> &'static str {
        match self {
            Language::Python => "app.py",
            Language::JavaScript => "app.js",
        }
    }

    fn sdk(self) -> &'static str {
        match self {
            Language::Python => "sdk-python",
            Language::JavaScript => "sdk-js",
        }
    }
}

/// One built component of a plugin in another language.
pub struct Built {
    /// `plugins/target/componentize/<name>.wasm`.
    pub component: PathBuf,
    /// A test fixture (under `plugins/hostile/`): for the host's tests, never in `plugins/dist`.
    pub fixture: bool,
}

/// Builds every plugin in another language that is out of date; returns all their components.
pub fn build(root: &Path) -> anyhow::Result<Vec<Built>> {
    let mut built = Vec::new();
    for language in [Language::Python, Language::JavaScript] {
        built.extend(build_language(root, language)?);
    }
    Ok(built)
}

fn build_language(root: &Path, language: Language) -> anyhow::Result<Vec<Built>> {
    let plugins = root.join("plugins");
    let sources = plugin_dirs(&plugins, language)?;
    if sources.is_empty() {
        return Ok(Vec::new());
    }
    let out_dir = plugins.join("target").join("componentize");
    std::fs::create_dir_all(&out_dir)?;
    let sdk = plugins.join(language.sdk());
    let inputs_of_all = newest(&[sdk.clone(), root.join("wit")])?;
    let mut built = Vec::new();
    let mut toolchain = None;
    for (dir, name, fixture) in sources {
        let out = out_dir.join(format!("{name}.wasm"));
        let newest_input = newest(std::slice::from_ref(&dir))?.max(inputs_of_all);
        let fresh = modified(&out).is_some_and(|made| made >= newest_input);
        if !fresh {
            let wit = own_wit(&dir).unwrap_or_else(|| sdk.join("wit"));
            let tool = match &toolchain {
                Some(path) => path,
                None => toolchain.insert(match language {
                    Language::Python => componentize_py(&plugins)?,
                    Language::JavaScript => componentize_js(&plugins)?,
                }),
            };
            let mut command = match language {
                Language::Python => {
                    eprintln!("xtask: building the Python plugin {name} with componentize-py");
                    let mut command = Command::new(tool.as_path());
                    command
                        .arg("-d")
                        .arg(&wit)
                        .args(["-w", "tool-plugin", "componentize", "-p"])
                        .arg(&sdk)
                        .arg("-p")
                        .arg(&dir)
                        .arg("app")
                        .arg("-o")
                        .arg(&out);
                    command
                }
                Language::JavaScript => {
                    eprintln!("xtask: building the JavaScript plugin {name} with componentize-js");
                    let mut command = Command::new(node());
                    // componentize-js sees only the files under its working directory: the plugin and the SDK.
                    command
                        .current_dir(&plugins)
                        .arg(sdk.join("build.mjs"))
                        .arg(tool.as_path())
                        .arg(dir.join("app.js"))
                        .arg(&out)
                        .arg(&wit);
                    command
                }
            };
            let output = command
                .output()
                .with_context(|| format!("cannot run {command:?}"))?;
            if !output.status.success() {
                let _ = std::fs::remove_file(&out);
                bail!(
                    "{} could not be built:\n{}",
                    dir.display(),
                    toolchain_error(&String::from_utf8_lossy(&output.stderr))
                );
            }
        }
        built.push(Built {
            component: out,
            fixture,
        });
    }
    Ok(built)
}

/// The plugins in `language`, sorted: `(directory, component name, test fixture)`. Examples are directories
/// of `plugins/` (`notes-py` → `notes_py`); test fixtures are directories of `plugins/hostile/`
/// (`py-describe` → `hostile_py_describe`) and those whose `drydock-plugin.toml` says `test-fixture = true`.
fn plugin_dirs(plugins: &Path, language: Language) -> anyhow::Result<Vec<(PathBuf, String, bool)>> {
    let mut found = Vec::new();
    for (dir, prefix, fixture) in [
        (plugins.to_path_buf(), "", false),
        (plugins.join("hostile"), "hostile_", true),
    ] {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.join(language.entry()).is_file() {
                let stem = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default()
                    .replace('-', "_");
                let marked = is_marked_fixture(&path);
                found.push((path, format!("{prefix}{stem}"), fixture || marked));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The plugin's own `wit/` directory, when it has one: it replaces the SDK's (whose world it must copy).
fn own_wit(dir: &Path) -> Option<PathBuf> {
    let wit = dir.join("wit");
    wit.is_dir().then_some(wit)
}

/// Whether the plugin's `drydock-plugin.toml` says `test-fixture = true` (the other languages' counterpart
/// of a Rust plugin's `[package.metadata.drydock] test-fixture = true`).
fn is_marked_fixture(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("drydock-plugin.toml"))
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .and_then(|table| table.get("test-fixture").and_then(toml::Value::as_bool))
        .unwrap_or(false)
}

fn node() -> String {
    std::env::var("NODE").unwrap_or_else(|_| "node".into())
}

/// componentize-js at [`COMPONENTIZE_JS`], installed with npm under `plugins/target/toolchains` unless it
/// is there already; answers the package's directory.
fn componentize_js(plugins: &Path) -> anyhow::Result<PathBuf> {
    let home = plugins
        .join("target")
        .join("toolchains")
        .join(format!("componentize-js-{COMPONENTIZE_JS}"));
    let package = home.join("node_modules/@bytecodealliance/componentize-js");
    if package.join("src/componentize.js").is_file() {
        return Ok(package);
    }
    eprintln!(
        "xtask: installing componentize-js {COMPONENTIZE_JS} from npm into {} (once)",
        home.display()
    );
    std::fs::create_dir_all(&home)?;
    std::fs::write(
        home.join("package.json"),
        format!(
            "{{\"private\": true, \"dependencies\": {{\"@bytecodealliance/componentize-js\": \"{COMPONENTIZE_JS}\"}}}}\n"
        ),
    )?;
    let npm = std::env::var("NPM").unwrap_or_else(|_| "npm".into());
    let installed = Command::new(&npm)
        .current_dir(&home)
        .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
        .status()
        .with_context(|| {
            format!(
                "cannot run `{npm}`: Node.js 20 or newer with npm is needed to build the JavaScript plugins \
                 (install nodejs and npm, or set NPM and NODE)"
            )
        })?;
    if !installed.success() || !package.join("src/componentize.js").is_file() {
        let _ = std::fs::remove_dir_all(&home);
        bail!("npm could not install componentize-js {COMPONENTIZE_JS} (see its output above)");
    }
    Ok(package)
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

/// A toolchain's error without its Rust backtrace: the Python traceback or the engine's message.
fn toolchain_error(stderr: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn repository_plugins() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins")
    }

    #[test]
    fn a_fixture_with_its_own_wit_is_built_against_it_and_the_others_against_the_sdk() {
        let plugins = repository_plugins();
        assert_eq!(
            own_wit(&plugins.join("hostile/py-wrong-version")),
            Some(plugins.join("hostile/py-wrong-version/wit"))
        );
        assert_eq!(own_wit(&plugins.join("notes-py")), None);
    }

    #[test]
    fn the_unbuildable_fixtures_are_not_built() {
        // A module that throws at import fails its build by design; building it here would fail everyone's.
        let plugins = repository_plugins();
        for language in [Language::Python, Language::JavaScript] {
            let names: Vec<String> = plugin_dirs(&plugins, language)
                .unwrap()
                .into_iter()
                .map(|(_, name, _)| name)
                .collect();
            assert!(names.iter().all(|n| !n.contains("throws")), "{names:?}");
            assert!(
                names.iter().any(|n| n.ends_with("wrong_version")),
                "{names:?}"
            );
        }
    }

    #[test]
    fn a_toolchain_error_keeps_the_exception_and_its_line_but_not_the_backtrace() {
        // componentize-py's output for a module that raises at import, shortened.
        let stderr = "AssertionError: Traceback (most recent call last):\n  \
                      File \"/1/app.py\", line 18, in <module>\n    raise RuntimeError(\"broken\")\n\
                      RuntimeError: broken\n\nCaused by:\n    RuntimeError: broken\n\nStack backtrace:\n   \
                      0: <anyhow::Error>::msg\n   1: anyhow::__private::format_err\n";
        let said = toolchain_error(stderr);
        assert!(
            said.contains("app.py\", line 18") && said.contains("RuntimeError: broken"),
            "{said}"
        );
        assert!(!said.contains("anyhow") && !said.contains("\n\n"), "{said}");
    }
}
