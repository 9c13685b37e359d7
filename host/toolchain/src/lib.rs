//! Builds Drydock plugins written in Rust, Python or JavaScript into WebAssembly components, and scaffolds
//! new plugin projects. The `drydock plugin new|build` commands and the repository's xtask share it, so a
//! plugin author's build and the repository's own builds are one code path.
//!
//! Layout:
//! - [`language`]: the three languages and how a project says which one it is (`drydock-plugin.toml`).
//! - [`toolchains`]: where componentize-py (PyPI, in a venv) and componentize-js (npm) are installed on
//!   first use — the user's cache directory, or a directory the caller names.
//! - [`compile`]: one build of one project into `<name>.wasm`, with the toolchain's error shortened to the
//!   file and line that caused it.
//! - [`scaffold`]: `drydock plugin new`: a project outside the repository with the SDK and the contract
//!   copied in, two example tools, a development policy, a local test and a README.
//! - [`progress`]: the spinner shown while a toolchain installs or a build runs.
//! - `embedded`: the SDKs, the contract and the templates, compiled into the binary by `build.rs`.

pub mod compile;
pub mod language;
pub mod progress;
pub mod scaffold;
pub mod toolchains;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

pub use compile::{BuildRequest, build};
pub use language::{Language, Project};
pub use scaffold::scaffold;
pub use toolchains::{COMPONENTIZE_JS, COMPONENTIZE_PY, Toolchains};

/// What went wrong while scaffolding or building a plugin; each message says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ToolchainError {
    /// A program the build needs is not installed.
    #[error("{what} is needed {why}, but `{program}` cannot be run ({source}); {install}")]
    Missing {
        /// The program that could not be started.
        program: String,
        /// What it is (`Python 3`, `Node.js 20 or newer with npm`).
        what: &'static str,
        /// What it is needed for.
        why: &'static str,
        /// How to install it.
        install: &'static str,
        /// Why it could not be started.
        source: std::io::Error,
    },
    /// Installing a toolchain from its registry failed.
    #[error("could not install {what}: {detail}")]
    Install {
        /// The toolchain and version.
        what: String,
        /// The installer's last lines.
        detail: String,
    },
    /// The plugin's build failed: the toolchain's error, shortened.
    #[error("{project} could not be built:\n{detail}")]
    Build {
        /// The project directory.
        project: String,
        /// The toolchain's error, with the file and line where it points at one.
        detail: String,
    },
    /// The project directory is not a plugin project, or its `drydock-plugin.toml` is wrong.
    #[error("{0}")]
    Project(String),
    /// A file could not be read or written.
    #[error("{action} `{path}`: {source}")]
    Io {
        /// What was being done (`cannot write`).
        action: &'static str,
        /// The file or directory.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
}

impl ToolchainError {
    pub(crate) fn io(
        action: &'static str,
        path: &std::path::Path,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.display().to_string();
        move |source| ToolchainError::Io {
            action,
            path,
            source,
        }
    }
}
