//! Embeds the plugin SDKs, the contract and the project templates in the crate, so that an installed
//! `drydock` binary can scaffold and build plugins without a checkout: each set becomes a static list of
//! `(relative path, bytes)` in `$OUT_DIR/embedded.rs`. Links are followed (the SDKs' `wit/deps/drydock`
//! points at the repository's `wit/`); `__pycache__`, `node_modules` and dot files are left out.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = crate_dir.join("../..");
    let plugins = root.join("plugins");
    let sets: [(&str, PathBuf, &[&str]); 8] = [
        (
            "PYTHON_SDK",
            plugins.join("sdk-python"),
            &["drydock_plugin", "wit", "README.md"],
        ),
        (
            "JS_SDK",
            plugins.join("sdk-js"),
            &[
                "index.js",
                "errors.js",
                "files.js",
                "env.js",
                "http.js",
                "host.js",
                "package.json",
                "wit",
                "README.md",
            ],
        ),
        ("RUST_SDK", plugins.join("sdk"), &["src", "README.md"]),
        ("CONTRACT", root.join("wit"), &["drydock.wit"]),
        ("RUST_TEMPLATE", crate_dir.join("templates/rust"), &[""]),
        ("PYTHON_TEMPLATE", crate_dir.join("templates/python"), &[""]),
        ("JS_TEMPLATE", crate_dir.join("templates/js"), &[""]),
        ("COMMON_TEMPLATE", crate_dir.join("templates/common"), &[""]),
    ];
    let mut out = String::new();
    for (name, base, entries) in sets {
        let mut files = Vec::new();
        for entry in entries {
            let path = if entry.is_empty() {
                base.clone()
            } else {
                base.join(entry)
            };
            collect(&base, &path, &mut files);
        }
        files.sort();
        writeln!(out, "pub(crate) static {name}: &[(&str, &[u8])] = &[").unwrap();
        for (relative, absolute) in files {
            println!("cargo:rerun-if-changed={}", absolute.display());
            writeln!(
                out,
                "    ({relative:?}, include_bytes!({:?})),",
                absolute.display().to_string()
            )
            .unwrap();
        }
        writeln!(out, "];").unwrap();
        println!("cargo:rerun-if-changed={}", base.display());
    }
    // The JavaScript build driver belongs to the toolchain, not to a project's SDK copy: a newer drydock
    // builds an older project with its newer driver.
    let driver = plugins.join("sdk-js/build.mjs");
    println!("cargo:rerun-if-changed={}", driver.display());
    writeln!(
        out,
        "pub(crate) static JS_BUILD_DRIVER: &[u8] = include_bytes!({:?});",
        driver.display().to_string()
    )
    .unwrap();
    let lock = plugins.join("Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    writeln!(
        out,
        "pub(crate) static RUST_LOCK: &[u8] = include_bytes!({:?});",
        lock.display().to_string()
    )
    .unwrap();
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("embedded.rs");
    std::fs::write(dest, out).unwrap();
}

fn collect(base: &Path, path: &Path, files: &mut Vec<(String, PathBuf)>) {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if name == "__pycache__" || name == "node_modules" || (name.starts_with('.') && path != base) {
        return;
    }
    if path.is_dir() {
        println!("cargo:rerun-if-changed={}", path.display());
        for entry in std::fs::read_dir(path).unwrap() {
            collect(base, &entry.unwrap().path(), files);
        }
    } else if path.is_file() {
        let relative = path
            .strip_prefix(base)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let absolute = path.canonicalize().unwrap();
        files.push((relative, absolute));
    }
}
