//! Builds every plugin in `plugins/` for wasm32-wasip2 (release) and generates `plugins.rs` with one
//! constant per component, so tests name components by constant and a test can check that every component
//! is exercised (the pattern of wasmtime's test-programs).

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .parent()
        .expect("tests/ lives in the workspace root")
        .to_path_buf();
    let plugins = root.join("plugins");
    rerun_if_sources_change(&plugins);
    println!("cargo:rerun-if-changed={}", root.join("wit").display());

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build.current_dir(&plugins).args([
        "build",
        "--release",
        "--target",
        "wasm32-wasip2",
        "--quiet",
    ]);
    // The outer build's settings are for the host; the plugins are their own workspace and target.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_TARGET_DIR",
        // A shared build directory is locked by the outer build for as long as this script runs: the
        // inner build would wait for it forever.
        "CARGO_BUILD_BUILD_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_MAKEFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_WRAPPER",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        build.env_remove(var);
    }
    let status = build.status().expect("running cargo to build the plugins");
    if !status.success() {
        panic!(
            "building the plugins for wasm32-wasip2 failed (see above). If the target is missing, run \
             `rustup target add wasm32-wasip2`, or use `cargo xtask test`, which installs it."
        );
    }

    let out_dir = plugins.join("target/wasm32-wasip2/release");
    let mut components: Vec<String> = std::fs::read_dir(&out_dir)
        .expect("the plugin build produced its output directory")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_owned))
        .collect();
    components.sort();

    let mut generated = String::new();
    generated.push_str(&format!(
        "/// Directory holding every built plugin component.\npub const PLUGIN_DIR: &str = {:?};\n",
        out_dir.display().to_string()
    ));
    for name in &components {
        generated.push_str(&format!(
            "/// The `{name}` component.\npub const {}: &str = {:?};\n",
            name.to_uppercase(),
            out_dir.join(format!("{name}.wasm")).display().to_string()
        ));
    }
    generated.push_str(&format!(
        "/// Every component's name (file stem).\npub const ALL_PLUGINS: &[&str] = &{components:?};\n"
    ));
    let dest =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("plugins.rs");
    std::fs::write(dest, generated).expect("writing plugins.rs");
}

fn rerun_if_sources_change(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(|e| e.ok()) {
        let path = entry.path();
        let name = entry.file_name();
        if name == "target" || name.to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            rerun_if_sources_change(&path);
        } else {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
}
