//! Turning a tool's `path` argument into a path inside `/workspace`, the guest path where the host preopens
//! the granted directory.
//!
//! The sandbox already stops every escape (the preopen is the only directory the plugin can reach); this
//! check is about clear answers: a path that means "outside the workspace" is refused as invalid input
//! before any file is touched, instead of surfacing as a confusing I/O error.

use std::path::{Component, Path, PathBuf};

use drydock_plugin_sdk::ToolError;

/// Where the host preopens the granted directory inside the guest.
pub const ROOT: &str = "/workspace";

/// A path inside the workspace, already normalised (no `.`, no `..`, no empty components).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspacePath {
    /// The path relative to the workspace root, with `/` separators; `.` for the root itself.
    relative: String,
}

impl WorkspacePath {
    /// Reads a tool argument: relative to the workspace, or absolute under `/workspace`. `..` may not climb
    /// above the root; any other absolute path is refused.
    pub fn parse(path: &str) -> Result<Self, ToolError> {
        let refuse = |why: &str| ToolError::InvalidInput(format!("path `{path}`: {why}"));
        let relative = if let Some(rest) = path.strip_prefix(ROOT) {
            if !(rest.is_empty() || rest.starts_with('/')) {
                return Err(refuse("absolute paths must be under /workspace"));
            }
            rest
        } else if path.starts_with('/') {
            return Err(refuse("absolute paths must be under /workspace"));
        } else {
            path
        };
        let mut parts: Vec<&str> = Vec::new();
        for component in Path::new(relative).components() {
            match component {
                Component::Normal(part) => {
                    parts.push(part.to_str().ok_or_else(|| refuse("not valid UTF-8"))?);
                }
                Component::ParentDir => {
                    if parts.pop().is_none() {
                        return Err(refuse("`..` leaves the workspace"));
                    }
                }
                Component::CurDir | Component::RootDir => {}
                Component::Prefix(_) => return Err(refuse("not a workspace path")),
            }
        }
        let relative = if parts.is_empty() {
            ".".to_owned()
        } else {
            parts.join("/")
        };
        Ok(Self { relative })
    }

    /// A path the tool produced itself (an entry found while walking), relative to the root.
    pub fn from_relative(relative: String) -> Self {
        Self { relative }
    }

    /// Whether this is the workspace root.
    pub fn is_root(&self) -> bool {
        self.relative == "."
    }

    /// The path relative to the workspace root, as tools report it.
    pub fn relative(&self) -> &str {
        &self.relative
    }

    /// The guest path to open.
    pub fn guest_path(&self) -> PathBuf {
        if self.is_root() {
            PathBuf::from(ROOT)
        } else {
            Path::new(ROOT).join(&self.relative)
        }
    }

    /// The entry `name` inside this directory.
    pub fn child(&self, name: &str) -> Self {
        if self.is_root() {
            Self::from_relative(name.to_owned())
        } else {
            Self::from_relative(format!("{}/{name}", self.relative))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relative(path: &str) -> Result<String, ToolError> {
        WorkspacePath::parse(path).map(|parsed| parsed.relative)
    }

    #[test]
    fn relative_paths_are_normalised() {
        assert_eq!(relative("src/./lib.rs").unwrap(), "src/lib.rs");
        assert_eq!(relative("a/b/../c").unwrap(), "a/c");
        assert_eq!(relative(".").unwrap(), ".");
        assert_eq!(relative("").unwrap(), ".");
    }

    #[test]
    fn absolute_paths_under_workspace_are_accepted() {
        assert_eq!(relative("/workspace").unwrap(), ".");
        assert_eq!(relative("/workspace/notes/a.md").unwrap(), "notes/a.md");
    }

    #[test]
    fn paths_outside_the_workspace_are_invalid_input() {
        for path in [
            "/etc/passwd",
            "/workspaces/x",
            "..",
            "a/../../b",
            "/workspace/../etc",
        ] {
            assert!(
                matches!(relative(path), Err(ToolError::InvalidInput(_))),
                "{path}"
            );
        }
    }
}
