//! One build of one plugin project into a component. Rust goes through cargo (`wasm32-wasip2`, release),
//! Python through componentize-py, JavaScript through componentize-js (driven by the SDK's `build.mjs`,
//! never with `--aot`). A failed build is one error holding the toolchain's message without its noise — the
//! exception and the file and line in the plugin's own code — and leaves no half-written component behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::ToolchainError;
use crate::language::{Language, Project};
use crate::progress::Progress;
use crate::toolchains::{Toolchains, program};

/// What to build and where the SDK is.
#[derive(Clone, Debug)]
pub struct BuildRequest {
    /// The project.
    pub project: Project,
    /// Python: the directory holding `drydock_plugin/` and `wit/`; JavaScript: the SDK directory
    /// (`index.js`, `wit/`). A project made by `drydock plugin new` carries its own copy; the
    /// repository's plugins use `plugins/sdk-python` and `plugins/sdk-js`. Unused for Rust (cargo finds the
    /// SDK through `Cargo.toml`).
    pub sdk: PathBuf,
    /// The WIT directory the component is built against (the contract plus the WASI interfaces the SDK
    /// calls): the SDK's `wit/` unless a test fixture brings its own.
    pub wit: PathBuf,
    /// JavaScript: the directory componentize-js may read, holding both the plugin and the SDK.
    pub root: PathBuf,
    /// The component to write.
    pub out: PathBuf,
}

impl BuildRequest {
    /// The build of a project made by `drydock plugin new`: its own SDK copy, its component in
    /// `target/drydock/<name>.wasm`.
    pub fn standalone(project: Project) -> BuildRequest {
        let sdk = match project.language {
            Language::JavaScript => project.dir.join("drydock"),
            _ => project.dir.clone(),
        };
        BuildRequest {
            wit: sdk.join("wit"),
            root: project.dir.clone(),
            out: project
                .dir
                .join("target")
                .join("drydock")
                .join(format!("{}.wasm", project.name)),
            sdk,
            project,
        }
    }
}

/// Builds `request.project` into `request.out`, installing its toolchain first when needed.
pub fn build(request: &BuildRequest, toolchains: &Toolchains) -> Result<PathBuf, ToolchainError> {
    let out = &request.out;
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent).map_err(ToolchainError::io("cannot create", parent))?;
    }
    let project = &request.project;
    let failed = |detail: String| ToolchainError::Build {
        project: project.dir.display().to_string(),
        detail,
    };
    let outcome = match project.language {
        Language::Rust => return build_rust(project, out),
        Language::Python => {
            let tool = toolchains.componentize_py()?;
            let mut command = Command::new(tool);
            command
                .arg("-d")
                .arg(&request.wit)
                .args(["-w", "tool-plugin", "componentize", "-p"])
                .arg(&request.sdk);
            if request.sdk != project.dir {
                command.arg("-p").arg(&project.dir);
            }
            command.arg("app").arg("-o").arg(out);
            run_build(project, &mut command)
        }
        Language::JavaScript => {
            let tool = toolchains.componentize_js()?;
            let driver = toolchains.js_build_driver()?;
            let node = program("NODE", "node");
            let mut command = Command::new(&node);
            command
                .current_dir(&request.root)
                .arg(driver)
                .arg(tool)
                .arg(project.dir.join("app.js"))
                .arg(out)
                .arg(&request.wit);
            run_build(project, &mut command).map_err(|err| match err {
                BuildFailure::CannotStart(source) => {
                    BuildFailure::Missing(ToolchainError::Missing {
                        program: node,
                        what: "Node.js 20 or newer",
                        why: "to build JavaScript plugins",
                        install: "install nodejs (Debian: apt-get install nodejs), or set NODE",
                        source,
                    })
                }
                other => other,
            })
        }
    };
    match outcome {
        Ok(()) => Ok(out.clone()),
        Err(failure) => {
            let _ = std::fs::remove_file(out);
            Err(match failure {
                BuildFailure::Missing(err) => err,
                BuildFailure::CannotStart(source) => ToolchainError::Io {
                    action: "cannot run the toolchain for",
                    path: project.dir.display().to_string(),
                    source,
                },
                BuildFailure::Toolchain(stderr) => failed(shorten(&stderr, &project.dir)),
            })
        }
    }
}

enum BuildFailure {
    CannotStart(std::io::Error),
    Missing(ToolchainError),
    Toolchain(String),
}

fn run_build(project: &Project, command: &mut Command) -> Result<(), BuildFailure> {
    let progress = Progress::start(format!(
        "building the {} plugin {} ({})",
        match project.language {
            Language::Rust => "Rust",
            Language::Python => "Python",
            Language::JavaScript => "JavaScript",
        },
        project.name,
        project.dir.display()
    ));
    let output = command.output().map_err(BuildFailure::CannotStart)?;
    if output.status.success() {
        progress.finish("built");
        Ok(())
    } else {
        progress.finish("failed");
        let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
        if text.trim().is_empty() {
            text = String::from_utf8_lossy(&output.stdout).into_owned();
        }
        Err(BuildFailure::Toolchain(text))
    }
}

/// cargo with its own output on the terminal (its errors already carry file and line), then the
/// component copied to `out`.
fn build_rust(project: &Project, out: &Path) -> Result<PathBuf, ToolchainError> {
    ensure_wasm_target()?;
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project.dir.join("target"));
    let cargo = program("CARGO", "cargo");
    let status = Command::new(&cargo)
        .current_dir(&project.dir)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--target-dir",
        ])
        .arg(&target_dir)
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .status()
        .map_err(|source| ToolchainError::Missing {
            program: cargo,
            what: "Rust (cargo)",
            why: "to build Rust plugins",
            install: "install Rust with rustup (https://rustup.rs)",
            source,
        })?;
    if !status.success() {
        let _ = std::fs::remove_file(out);
        return Err(ToolchainError::Build {
            project: project.dir.display().to_string(),
            detail: "cargo's errors are above (each names its file and line)".into(),
        });
    }
    let crate_name = rust_crate_name(&project.dir)?;
    let built = target_dir
        .join("wasm32-wasip2")
        .join("release")
        .join(format!("{crate_name}.wasm"));
    std::fs::copy(&built, out).map_err(ToolchainError::io("cannot copy", &built))?;
    Ok(out.to_path_buf())
}

fn rust_crate_name(dir: &Path) -> Result<String, ToolchainError> {
    let manifest = dir.join("Cargo.toml");
    let text =
        std::fs::read_to_string(&manifest).map_err(ToolchainError::io("cannot read", &manifest))?;
    text.parse::<toml::Table>()
        .ok()
        .and_then(|t| Some(t.get("package")?.get("name")?.as_str()?.replace('-', "_")))
        .ok_or_else(|| {
            ToolchainError::Project(format!("{} has no [package] name", manifest.display()))
        })
}

/// The `wasm32-wasip2` standard library, added with rustup when it is missing.
fn ensure_wasm_target() -> Result<(), ToolchainError> {
    let rustc = program("RUSTC", "rustc");
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    if sysroot.is_some_and(|root| root.join("lib/rustlib/wasm32-wasip2").is_dir()) {
        return Ok(());
    }
    let progress = Progress::start("adding the Rust target wasm32-wasip2 with rustup (once)");
    let added = Command::new("rustup")
        .args(["target", "add", "wasm32-wasip2"])
        .output();
    match added {
        Ok(output) if output.status.success() => {
            progress.finish("done");
            Ok(())
        }
        _ => {
            progress.finish("failed");
            Err(ToolchainError::Install {
                what: "the Rust target wasm32-wasip2".into(),
                detail:
                    "run `rustup target add wasm32-wasip2` (Rust 1.82 or newer), then build again"
                        .into(),
            })
        }
    }
}

/// A toolchain's error as a person needs it: no Rust backtrace, no Node stack, no frames inside the
/// toolchain, paths relative to the project. componentize-py reports an exception of the plugin's module
/// inside its own (`AssertionError: Traceback …`) and maps the plugin's directories to `/0/`, `/1/`, …:
/// the inner traceback is kept, cut to the frames in those files.
pub fn shorten(stderr: &str, project_dir: &Path) -> String {
    let dir = format!("{}/", project_dir.display());
    let mut text = stderr
        .split("\nStack backtrace:")
        .next()
        .unwrap_or_default();
    if let Some((_, inner)) = text.split_once("AssertionError: ") {
        text = inner.split("\n\nCaused by:").next().unwrap_or(inner);
    }
    let mut kept: Vec<String> = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("File \"") {
            // A traceback frame and its indented source and caret lines: kept only when in the plugin.
            let mut body = Vec::new();
            while let Some(next) = lines.next_if(|l| l.starts_with("    ")) {
                body.push(next);
            }
            if let Some(relative) = snapshot_path(rest) {
                kept.push(format!("  File \"{relative}"));
                kept.extend(body.iter().map(|l| (*l).to_owned()));
            }
            continue;
        }
        let node_frame = trimmed.starts_with("at ")
            || trimmed.starts_with("node:")
            || trimmed.starts_with("Node.js v");
        if trimmed.is_empty() || node_frame {
            continue;
        }
        if trimmed.starts_with("Failed to initialize component (wizer") {
            // componentize-js evaluates the module at build time; the path of its pre-initialiser is noise.
            kept.push("the module failed while it was evaluated at build time:".into());
            continue;
        }
        kept.push(line.replace(&dir, ""));
    }
    let text = kept.join("\n");
    const MAX: usize = 4000;
    if text.len() > MAX {
        let mut cut = MAX;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        format!(
            "{}\n… (cut; run the toolchain by hand for the rest)",
            &text[..cut]
        )
    } else {
        text
    }
}

/// `app.py", line 3` from `/0/app.py", line 3`: a file of the plugin inside componentize-py's snapshot.
fn snapshot_path(rest: &str) -> Option<&str> {
    let after = rest.strip_prefix('/')?;
    let (index, path) = after.split_once('/')?;
    (!index.is_empty() && index.bytes().all(|b| b.is_ascii_digit())).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_python_exception_at_import_is_cut_to_the_plugins_frame() {
        let stderr = "Traceback (most recent call last):\n  File \"/venv/bin/componentize-py\", line 8, in <module>\n    sys.exit(script())\n             ^^^^^^^^\nAssertionError: Traceback (most recent call last):\n  File \"/0/app.py\", line 12, in <module>\n    PATH = 1/0\n           ~^~\nZeroDivisionError: division by zero\n\n\nCaused by:\n    ZeroDivisionError: division by zero\n\nStack backtrace:\n   0: <anyhow::Error>::msg\n";
        let short = shorten(stderr, Path::new("/home/me/notes"));
        assert_eq!(
            short,
            "Traceback (most recent call last):\n  File \"app.py\", line 12, in <module>\n    PATH = 1/0\n           ~^~\nZeroDivisionError: division by zero"
        );
    }

    #[test]
    fn a_toolchain_error_that_is_no_exception_keeps_its_causes() {
        let stderr = "Error: world `tool-plugin` not found\n\nCaused by:\n    no such world\n\nStack backtrace:\n   0: x\n";
        let short = shorten(stderr, Path::new("/p"));
        assert_eq!(
            short,
            "Error: world `tool-plugin` not found\nCaused by:\n    no such world"
        );
    }
}
