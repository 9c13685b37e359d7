//! Builds the plugins written in Python and JavaScript into `plugins/target/componentize/<name>.wasm`
//! (`notes-py` → `notes_py.wasm`): each directory under `plugins/` with an `app.py` or an `app.js`, built
//! against the repository's SDKs (`plugins/sdk-python`, `plugins/sdk-js`) by the same code as
//! `drydock plugin build` (the `drydock-toolchain` crate).
//!
//! The toolchains come from their registries into `plugins/target/toolchains` on first use; later builds
//! reuse them, and a plugin whose sources, SDK and WIT are older than its component is not rebuilt (a build
//! takes ten to twenty seconds).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::Context;
use drydock_toolchain::{BuildRequest, Language, Project, Toolchains};

/// One built component of a plugin in another language.
pub struct Built {
    /// `plugins/target/componentize/<name>.wasm`.
    pub component: PathBuf,
    /// A test fixture (under `plugins/hostile/`, or marked in its `drydock-plugin.toml`): for the host's
    /// tests, never in `plugins/dist`.
    pub fixture: bool,
}

/// Builds every plugin in another language that is out of date; returns all their components.
pub fn build(root: &Path) -> anyhow::Result<Vec<Built>> {
    let plugins = root.join("plugins");
    let toolchains = Toolchains::at(plugins.join("target").join("toolchains"));
    let out_dir = plugins.join("target").join("componentize");
    std::fs::create_dir_all(&out_dir)?;
    let mut built = Vec::new();
    for language in [Language::Python, Language::JavaScript] {
        let sdk = plugins.join(match language {
            Language::Python => "sdk-python",
            _ => "sdk-js",
        });
        let inputs_of_all = newest(&[sdk.clone(), root.join("wit")])?;
        for project in projects(&plugins, language)? {
            let out = out_dir.join(format!("{}.wasm", project.name));
            let newest_input = newest(std::slice::from_ref(&project.dir))?.max(inputs_of_all);
            let fresh = modified(&out).is_some_and(|made| made >= newest_input);
            let fixture = project.fixture;
            if !fresh {
                let request = BuildRequest {
                    wit: sdk.join("wit"),
                    sdk: sdk.clone(),
                    root: plugins.clone(),
                    out: out.clone(),
                    project,
                };
                drydock_toolchain::build(&request, &toolchains)?;
            }
            built.push(Built {
                component: out,
                fixture,
            });
        }
    }
    Ok(built)
}

/// The plugins in `language`, sorted by directory. Examples are directories of `plugins/` (`notes-py` →
/// `notes_py`); test fixtures are directories of `plugins/hostile/` (`py-describe` → `hostile_py_describe`)
/// and those whose `drydock-plugin.toml` says `test-fixture = true`.
fn projects(plugins: &Path, language: Language) -> anyhow::Result<Vec<Project>> {
    let mut found = Vec::new();
    for (dir, prefix) in [
        (plugins.to_path_buf(), ""),
        (plugins.join("hostile"), "hostile_"),
    ] {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if !path.join(language.entry()).is_file() {
                continue;
            }
            let mut project = Project::open(&path)
                .with_context(|| format!("cannot build the plugin in {}", path.display()))?;
            if !prefix.is_empty() {
                project.name = format!("{prefix}{}", project.name);
                project.fixture = true;
            }
            found.push(project);
        }
    }
    found.sort_by(|a, b| a.dir.cmp(&b.dir));
    Ok(found)
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
