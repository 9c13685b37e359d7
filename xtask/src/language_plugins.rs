//! Builds the plugins written in Python and JavaScript into `plugins/target/componentize/<name>.wasm`
//! (`notes-py` → `notes_py.wasm`): each directory under `plugins/` with an `app.py` or an `app.js`, built
//! against the repository's SDKs (`plugins/sdk-python`, `plugins/sdk-js`) by the same code as
//! `drydock plugin build` (the `drydock-toolchain` crate). A plugin directory with its own `wit/` is built
//! against that instead: the hostile fixtures that speak another contract version
//! (`plugins/hostile/py-wrong-version`) need it, and a test of the host's refusal needs a real such component.
//! `plugins/hostile/unbuildable/` is never built: its modules throw at import, which fails a build by design
//! (their tests run the toolchains themselves).
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
                    wit: own_wit(&project.dir).unwrap_or_else(|| sdk.join("wit")),
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

/// The plugin's own WIT directory, when it brings one.
fn own_wit(dir: &Path) -> Option<PathBuf> {
    let wit = dir.join("wit");
    wit.is_dir().then_some(wit)
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
            let names: Vec<String> = projects(&plugins, language)
                .unwrap()
                .into_iter()
                .map(|project| project.name)
                .collect();
            assert!(names.iter().all(|n| !n.contains("throws")), "{names:?}");
            assert!(
                names.iter().any(|n| n.ends_with("wrong_version")),
                "{names:?}"
            );
        }
    }
}
