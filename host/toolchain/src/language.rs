//! The languages a plugin can be written in, and how a project directory says which one it is: its
//! `drydock-plugin.toml` (`name`, `language`, and `test-fixture` for the repository's own fixtures), or
//! failing that the file that marks each language (`Cargo.toml`, `app.py`, `app.js`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::ToolchainError;

/// The manifest of a plugin project.
pub const MANIFEST: &str = "drydock-plugin.toml";

/// A language Drydock builds plugins from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    /// cargo, for `wasm32-wasip2`, with the Rust SDK.
    Rust,
    /// componentize-py, with the Python SDK (`drydock_plugin`).
    Python,
    /// componentize-js, with the JavaScript SDK.
    JavaScript,
}

impl Language {
    /// Every language, in the order the docs list them.
    pub const ALL: [Language; 3] = [Language::Rust, Language::Python, Language::JavaScript];

    /// The name a manifest and `--lang` use.
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Rust => "rust",
            Language::Python => "python",
            Language::JavaScript => "js",
        }
    }

    /// The file that holds a project's tools (and marks the language when there is no manifest).
    pub fn entry(self) -> &'static str {
        match self {
            Language::Rust => "Cargo.toml",
            Language::Python => "app.py",
            Language::JavaScript => "app.js",
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Language {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "rust" | "rs" => Ok(Language::Rust),
            "python" | "py" => Ok(Language::Python),
            "js" | "javascript" | "node" => Ok(Language::JavaScript),
            other => Err(format!(
                "unknown language `{other}`: Drydock builds plugins in rust, python and js (Go: build with \
                 TinyGo yourself, see docs/plugins.md)"
            )),
        }
    }
}

/// A plugin project: a directory, the component name it builds (the file stem, so the tools are
/// `<name>.<tool>`) and its language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Project {
    /// The project directory.
    pub dir: PathBuf,
    /// The component's name: `<name>.wasm`, tools `<name>.<tool>`.
    pub name: String,
    /// The language it is written in.
    pub language: Language,
    /// A test fixture of the repository (never offered to users).
    pub fixture: bool,
}

impl Project {
    /// The project in `dir`, from its manifest or from the file that marks its language.
    pub fn open(dir: &Path) -> Result<Project, ToolchainError> {
        if !dir.is_dir() {
            return Err(ToolchainError::Project(format!(
                "`{}` is not a directory: give the plugin project's directory (the one `drydock plugin new` made)",
                dir.display()
            )));
        }
        let manifest = read_manifest(dir)?;
        let language = match manifest.get("language").and_then(toml::Value::as_str) {
            Some(text) => text.parse().map_err(|err: String| {
                ToolchainError::Project(format!("{}: {err}", dir.join(MANIFEST).display()))
            })?,
            None => detect(dir)?,
        };
        let name = match manifest.get("name").and_then(toml::Value::as_str) {
            Some(name) => name.to_owned(),
            None => default_name(dir, language),
        };
        validate_name(&name).map_err(|err| {
            ToolchainError::Project(format!("{}: {err}", dir.join(MANIFEST).display()))
        })?;
        let fixture = manifest
            .get("test-fixture")
            .and_then(toml::Value::as_bool)
            .unwrap_or(false);
        Ok(Project {
            // Absolute: a build runs tools in other working directories.
            dir: dir
                .canonicalize()
                .map_err(ToolchainError::io("cannot resolve", dir))?,
            name,
            language,
            fixture,
        })
    }
}

/// Checks a plugin name: it becomes a file stem and the prefix of every tool name, so it is
/// `[a-z][a-z0-9_]*`, at most 64 bytes.
pub fn validate_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let starts_well = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_well = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if starts_well && rest_well && name.len() <= 64 {
        Ok(())
    } else {
        Err(format!(
            "the plugin name {name:?} is not usable: use lower-case letters, digits and `_`, starting with a \
             letter, at most 64 characters (it names the component file and prefixes every tool: `{}.<tool>`)",
            name.to_ascii_lowercase().replace('-', "_")
        ))
    }
}

fn read_manifest(dir: &Path) -> Result<toml::Table, ToolchainError> {
    let path = dir.join(MANIFEST);
    match std::fs::read_to_string(&path) {
        Ok(text) => text.parse::<toml::Table>().map_err(|err| {
            ToolchainError::Project(format!("{} is not valid TOML: {err}", path.display()))
        }),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(toml::Table::new()),
        Err(err) => Err(ToolchainError::io("cannot read", &path)(err)),
    }
}

fn detect(dir: &Path) -> Result<Language, ToolchainError> {
    let found: Vec<Language> = Language::ALL
        .into_iter()
        .filter(|language| dir.join(language.entry()).is_file())
        .collect();
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(ToolchainError::Project(format!(
            "`{}` is not a plugin project: it has no {MANIFEST}, Cargo.toml, app.py or app.js (start one with \
             `drydock plugin new NAME --lang rust|python|js`)",
            dir.display()
        ))),
        several => Err(ToolchainError::Project(format!(
            "`{}` holds files of several languages ({}): say which one in {MANIFEST} (`language = \"python\"`)",
            dir.display(),
            several
                .iter()
                .map(|l| l.entry())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn default_name(dir: &Path, language: Language) -> String {
    let from_cargo = (language == Language::Rust)
        .then(|| std::fs::read_to_string(dir.join("Cargo.toml")).ok())
        .flatten()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .and_then(|table| {
            table
                .get("package")?
                .get("name")?
                .as_str()
                .map(str::to_owned)
        });
    let stem = from_cargo.unwrap_or_else(|| {
        dir.canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default()
    });
    stem.replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_parse_from_their_usual_names() {
        assert_eq!("Python".parse::<Language>(), Ok(Language::Python));
        assert_eq!("javascript".parse::<Language>(), Ok(Language::JavaScript));
        assert_eq!("rs".parse::<Language>(), Ok(Language::Rust));
        let err = "go".parse::<Language>().unwrap_err();
        assert!(err.contains("TinyGo"), "{err}");
    }

    #[test]
    fn a_project_without_manifest_is_recognised_by_its_entry_file() {
        let dir = tempfile::tempdir().unwrap();
        let project_dir = dir.path().join("my-notes");
        std::fs::create_dir(&project_dir).unwrap();
        std::fs::write(project_dir.join("app.py"), "").unwrap();
        let project = Project::open(&project_dir).unwrap();
        assert_eq!(project.language, Language::Python);
        assert_eq!(project.name, "my_notes");
    }

    #[test]
    fn a_directory_that_is_no_project_says_how_to_start_one() {
        let dir = tempfile::tempdir().unwrap();
        let err = Project::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("drydock plugin new"), "{err}");
    }

    #[test]
    fn a_manifest_naming_an_unusable_plugin_name_is_refused_with_a_suggestion() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(MANIFEST),
            "name = \"My-Notes\"\nlanguage = \"js\"\n",
        )
        .unwrap();
        let err = Project::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("my_notes.<tool>"), "{err}");
    }
}
