//! `drydock plugin new NAME --lang rust|python|js`: a plugin project that builds on its own, wherever it
//! lives. The SDK of the language and the contract are copied in from this binary (so the project builds
//! against exactly the contract this Drydock speaks, offline), with two example tools — one reads a file,
//! one POSTs — a development policy, a local test (`test.sh`, a dry run in the real sandbox) and a README.
//! The project is written into a temporary sibling and renamed into place, so a failure leaves nothing.

use std::path::{Path, PathBuf};

use crate::ToolchainError;
use crate::embedded;
use crate::language::{Language, validate_name};

/// Writes a new project for the plugin `name` in `language` into `dir`, which must not exist (or be
/// empty). Answers the files written, relative to `dir`.
pub fn scaffold(
    dir: &Path,
    name: &str,
    language: Language,
) -> Result<Vec<PathBuf>, ToolchainError> {
    validate_name(name).map_err(ToolchainError::Project)?;
    let occupied = std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some());
    if occupied || dir.is_file() {
        return Err(ToolchainError::Project(format!(
            "`{}` already exists and is not empty: choose another name or directory (nothing was written)",
            dir.display()
        )));
    }
    let files = project_files(name, language);
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(ToolchainError::io("cannot create", &parent))?;
    let staging = parent.join(format!(
        ".{}.drydock-new-{}",
        dir.file_name().and_then(|n| n.to_str()).unwrap_or("plugin"),
        std::process::id()
    ));
    let written = write_all(&staging, &files).and_then(|()| {
        if dir.is_dir() {
            // An empty directory the user made for it: replace it.
            std::fs::remove_dir(dir).map_err(ToolchainError::io("cannot replace", dir))?;
        }
        std::fs::rename(&staging, dir).map_err(ToolchainError::io("cannot create", dir))
    });
    if let Err(err) = written {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(err);
    }
    Ok(files
        .into_iter()
        .map(|(path, _, _)| PathBuf::from(path))
        .collect())
}

/// `(relative path, contents, executable)` of every file of a new project.
fn project_files(name: &str, language: Language) -> Vec<(String, Vec<u8>, bool)> {
    let (language_name, entry, sdk_line) = match language {
        Language::Rust => (
            "Rust",
            "src/lib.rs",
            "- `drydock-sdk/`: the Rust SDK and the contract (`drydock-sdk/wit/drydock.wit`) this project was made \
             with; its README lists the helpers.",
        ),
        Language::Python => (
            "Python",
            "app.py",
            "- `drydock_plugin/` and `wit/`: the Python SDK and the contract this project was made with; \
             `drydock_plugin/README.md` lists what a tool can use (files with `open()`, `os.environ`, `http`, \
             `host`). componentize-py snapshots `app.py` at build time: import at the top level.",
        ),
        Language::JavaScript => (
            "JavaScript",
            "app.js",
            "- `drydock/`: the JavaScript SDK and the contract (`drydock/wit/`) this project was made with; \
             `drydock/README.md` lists what a tool can use (`files`, `env`, `http`, `host`; there is no `fs` \
             module or `process.env`).",
        ),
    };
    let fill = |bytes: &[u8]| -> Vec<u8> {
        String::from_utf8_lossy(bytes)
            .replace("{{name}}", name)
            .replace("{{language}}", language.as_str())
            .replace("{{language_name}}", language_name)
            .replace("{{entry}}", entry)
            .replace("{{sdk_line}}", sdk_line)
            .into_bytes()
    };
    let mut files: Vec<(String, Vec<u8>, bool)> = Vec::new();
    for (path, bytes) in embedded::COMMON_TEMPLATE {
        let path = if *path == "gitignore" {
            ".gitignore"
        } else {
            path
        };
        files.push((path.to_owned(), fill(bytes), path.ends_with(".sh")));
    }
    let copy = |files: &mut Vec<(String, Vec<u8>, bool)>, set: &[(&str, &[u8])], into: &str| {
        for (path, bytes) in set {
            files.push((format!("{into}{path}"), bytes.to_vec(), false));
        }
    };
    match language {
        Language::Rust => {
            for (path, bytes) in embedded::RUST_TEMPLATE {
                let path = if *path == "drydock-sdk.Cargo.toml" {
                    "drydock-sdk/Cargo.toml"
                } else {
                    path
                };
                files.push(((*path).to_owned(), fill(bytes), false));
            }
            for (path, bytes) in embedded::RUST_SDK {
                // In the repository the SDK finds the contract two levels up; here it carries its own copy.
                let text =
                    String::from_utf8_lossy(bytes).replace("path: \"../../wit\"", "path: \"wit\"");
                files.push((format!("drydock-sdk/{path}"), text.into_bytes(), false));
            }
            copy(&mut files, embedded::CONTRACT, "drydock-sdk/wit/");
            files.push(("Cargo.lock".into(), embedded::RUST_LOCK.to_vec(), false));
        }
        Language::Python => {
            for (path, bytes) in embedded::PYTHON_TEMPLATE {
                files.push(((*path).to_owned(), fill(bytes), false));
            }
            for (path, bytes) in embedded::PYTHON_SDK {
                // The SDK's README goes with its package; the rest keeps the SDK's layout.
                let path = if *path == "README.md" {
                    "drydock_plugin/README.md"
                } else {
                    path
                };
                files.push((path.to_owned(), bytes.to_vec(), false));
            }
        }
        Language::JavaScript => {
            for (path, bytes) in embedded::JS_TEMPLATE {
                files.push(((*path).to_owned(), fill(bytes), false));
            }
            copy(&mut files, embedded::JS_SDK, "drydock/");
        }
    }
    files
}

fn write_all(root: &Path, files: &[(String, Vec<u8>, bool)]) -> Result<(), ToolchainError> {
    for (relative, bytes, executable) in files {
        let path = root.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(ToolchainError::io("cannot create", parent))?;
        }
        std::fs::write(&path, bytes).map_err(ToolchainError::io("cannot write", &path))?;
        #[cfg(unix)]
        if *executable {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .map_err(ToolchainError::io("cannot make executable", &path))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_gets_its_sdk_contract_tools_policy_and_test() {
        for language in Language::ALL {
            let dir = tempfile::tempdir().unwrap();
            let project = dir.path().join("notes");
            let files = scaffold(&project, "notes", language).unwrap();
            let has = |p: &str| files.iter().any(|f| f == Path::new(p));
            for common in [
                "drydock-plugin.toml",
                "drydock.toml",
                "test.sh",
                "README.md",
                ".gitignore",
            ] {
                assert!(has(common), "{language}: {common} in {files:?}");
            }
            let entry = std::fs::read_to_string(project.join(language.entry())).unwrap();
            assert!(
                !entry.contains("{{"),
                "{language}: a placeholder left in {entry}"
            );
            let contract = files.iter().filter(|f| f.ends_with("drydock.wit")).count();
            assert_eq!(
                contract, 1,
                "{language}: one copy of the contract in {files:?}"
            );
            let manifest = std::fs::read_to_string(project.join("drydock-plugin.toml")).unwrap();
            assert!(manifest.contains(&format!("language = \"{}\"", language.as_str())));
        }
    }

    #[test]
    fn the_rust_sdk_copy_points_at_its_own_contract() {
        let dir = tempfile::tempdir().unwrap();
        scaffold(&dir.path().join("p"), "p", Language::Rust).unwrap();
        let lib = std::fs::read_to_string(dir.path().join("p/drydock-sdk/src/lib.rs")).unwrap();
        assert!(lib.contains("path: \"wit\"") && !lib.contains("../../wit"));
        assert!(dir.path().join("p/drydock-sdk/wit/drydock.wit").is_file());
    }

    #[test]
    fn an_occupied_directory_is_refused_and_left_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("mine.txt"), "keep").unwrap();
        let err = scaffold(dir.path(), "notes", Language::Python)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not empty"), "{err}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1);
    }

    #[test]
    fn an_unusable_name_is_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let err = scaffold(&dir.path().join("x"), "My Notes", Language::Rust)
            .unwrap_err()
            .to_string();
        assert!(err.contains("lower-case"), "{err}");
        assert!(!dir.path().join("x").exists());
    }
}
