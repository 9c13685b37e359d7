//! The policy file's error type. Every error that comes from the file's content carries a [`Location`]
//! (`file:line:column`) so an operator can jump straight to the mistake, and names the plugin when there
//! is one.

use std::fmt;
use std::path::PathBuf;

/// A position in a policy file, displayed as `origin:line:column` (both 1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file name given to [`crate::Policy::parse`] (or the path given to [`crate::Policy::load`]).
    pub origin: String,
    /// Line number, starting at 1.
    pub line: usize,
    /// Column in characters, starting at 1.
    pub column: usize,
}

impl Location {
    /// The location of byte `offset` in `text` (clamped to the text).
    pub fn of_offset(origin: &str, text: &str, offset: usize) -> Location {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Location {
            origin: origin.to_owned(),
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.origin, self.line, self.column)
    }
}

/// Why a policy could not be loaded. Nothing is half-applied: any error means no policy.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The file (or the base directory's absolute form) could not be read.
    #[error("cannot read policy file {}: {source}", path.display())]
    Read {
        /// The path that failed.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Not valid TOML, or a value of the wrong shape; this includes unknown keys, which are never ignored.
    #[error("{at}: {message}")]
    Syntax {
        /// Where the parser stopped.
        at: Location,
        /// The TOML parser's message (it names the offending key).
        message: String,
    },
    /// Well-formed TOML whose content is not a valid policy (bad URL, unknown method, zero limit...).
    #[error("{at}: {}{message}", plugin_prefix(.plugin.as_deref()))]
    Invalid {
        /// The offending value.
        at: Location,
        /// The plugin whose table holds it, if any.
        plugin: Option<String>,
        /// What is wrong and what would be right.
        message: String,
    },
}

fn plugin_prefix(plugin: Option<&str>) -> String {
    plugin
        .map(|name| format!("plugin `{name}`: "))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_counts_lines_and_characters_from_one() {
        let text = "a = 1\nbé = x\n";
        assert_eq!(
            Location::of_offset("p.toml", text, 0).to_string(),
            "p.toml:1:1"
        );
        assert_eq!(
            Location::of_offset("p.toml", text, text.find('=').unwrap()).to_string(),
            "p.toml:1:3"
        );
        let x = text.find('x').unwrap();
        assert_eq!(
            Location::of_offset("p.toml", text, x).to_string(),
            "p.toml:2:6"
        );
        assert_eq!(Location::of_offset("p.toml", text, 999).line, 3);
    }
}
