//! Loading components: the world is checked and a wrong file is refused with a message naming the problem;
//! compiled components are cached on disk; a policy can pin a component's hash.

use std::path::PathBuf;
use std::sync::Arc;

use drydock_policy::Policy;
use drydock_runtime::{HostValues, PluginKind, Runtime, RuntimeConfig, RuntimeError, StaticValues};
use drydock_tests::plugins::{ECHO, TEMPLATE_PLANNER};

fn runtime(policy: &str, cache: Option<PathBuf>) -> Runtime {
    let policy = Policy::parse(policy, "test.toml", &std::env::temp_dir()).unwrap();
    let values = HostValues {
        secrets: Arc::new(StaticValues::default()),
        env: Arc::new(StaticValues::default()),
    };
    let config = RuntimeConfig {
        cache_dir: cache,
        ..RuntimeConfig::default()
    };
    Runtime::new(config, policy, values).unwrap()
}

fn write_temp(bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.wasm");
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

#[tokio::test]
async fn a_tool_plugin_is_checked_and_its_tools_listed() {
    let info = runtime("", None).check_file(ECHO.as_ref()).await.unwrap();
    assert_eq!(info.kind, PluginKind::Tool);
    assert_eq!(info.name, "echo");
    assert_eq!(info.tools[0].name, "echo.echo");
    assert_eq!(info.tools[0].input_schema["type"], "object");
}

#[tokio::test]
async fn a_planner_plugin_is_recognised() {
    let info = runtime("", None)
        .check_file(TEMPLATE_PLANNER.as_ref())
        .await
        .unwrap();
    assert_eq!(info.kind, PluginKind::Planner);
    assert!(info.tools.is_empty());
}

#[tokio::test]
async fn garbage_is_refused_as_not_a_component() {
    let (_dir, path) = write_temp(b"definitely not wasm");
    let err = runtime("", None).check_file(&path).await.unwrap_err();
    assert!(
        matches!(err, RuntimeError::InvalidComponent { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("broken.wasm"), "{err}");
}

#[tokio::test]
async fn a_core_module_is_refused_as_not_a_component() {
    let (_dir, path) = write_temp(b"\0asm\x01\0\0\0");
    let err = runtime("", None).check_file(&path).await.unwrap_err();
    assert!(
        matches!(err, RuntimeError::InvalidComponent { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn a_component_without_drydock_exports_names_what_is_missing() {
    // The smallest valid component: a header and no sections.
    let (_dir, path) = write_temp(b"\0asm\x0d\0\x01\0");
    let err = runtime("", None).check_file(&path).await.unwrap_err();
    assert!(matches!(err, RuntimeError::WorldMismatch { .. }), "{err}");
    assert!(
        err.to_string().contains("drydock:plugin/tool@0.1.0"),
        "{err}"
    );
}

#[tokio::test]
async fn a_pinned_hash_that_does_not_match_refuses_the_plugin() {
    let policy = format!(
        "[plugins.echo]\ncomponent_sha256 = \"{}\"\n",
        "0".repeat(64)
    );
    let err = runtime(&policy, None)
        .check_file(ECHO.as_ref())
        .await
        .unwrap_err();
    assert!(matches!(err, RuntimeError::HashMismatch { .. }), "{err}");
}

#[tokio::test]
async fn the_second_load_comes_from_the_compile_cache() {
    let cache = tempfile::tempdir().unwrap();
    let first = runtime("", Some(cache.path().to_path_buf()))
        .check_file(ECHO.as_ref())
        .await
        .unwrap();
    assert!(!first.from_cache);
    let second = runtime("", Some(cache.path().to_path_buf()))
        .check_file(ECHO.as_ref())
        .await
        .unwrap();
    assert!(second.from_cache);
    assert_eq!(second.tools[0].name, "echo.echo");
}

#[tokio::test]
async fn a_package_that_changes_only_its_manifest_or_signature_reuses_the_compiled_code() {
    let cache = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let echo = std::fs::read(ECHO).unwrap();
    let packaged = |version: &str| {
        let manifest = format!(
            "name = \"echo\"\nversion = \"{version}\"\ndescription = \"Echo.\"\n\
             contract = \"drydock:plugin@0.1.0\"\n"
        );
        let dir = files.path().join(version);
        std::fs::create_dir(&dir).unwrap();
        let path = dir.join("echo.wasm");
        std::fs::write(&path, drydock_package::embed(&echo, &manifest).unwrap()).unwrap();
        path
    };
    let (v1, v2) = (packaged("1.0.0"), packaged("2.0.0"));
    assert_ne!(std::fs::read(&v1).unwrap(), std::fs::read(&v2).unwrap());

    let first = runtime("", Some(cache.path().to_path_buf()))
        .check_file(&v1)
        .await
        .unwrap();
    assert!(!first.from_cache, "the first package compiles");
    let second = runtime("", Some(cache.path().to_path_buf()))
        .check_file(&v2)
        .await
        .unwrap();
    assert!(second.from_cache, "same code, another manifest: cached");
    assert_ne!(
        first.sha256, second.sha256,
        "the file's own hash still differs"
    );
    assert_eq!(second.tools[0].name, "echo.echo");
    let bare = runtime("", Some(cache.path().to_path_buf()))
        .check_file(ECHO.as_ref())
        .await
        .unwrap();
    assert!(bare.from_cache, "the bare component is the same code");
    let key = drydock_package::SecretKey::generate().unwrap();
    std::fs::create_dir(files.path().join("signed")).unwrap();
    let signed = files.path().join("signed/echo.wasm");
    let v1_bytes = std::fs::read(&v1).unwrap();
    std::fs::write(
        &signed,
        drydock_package::signature::sign(&v1_bytes, &key).unwrap(),
    )
    .unwrap();
    let signed = runtime("", Some(cache.path().to_path_buf()))
        .check_file(&signed)
        .await
        .unwrap();
    assert!(signed.from_cache, "signing adds a section, not code");
    let other = runtime("", Some(cache.path().to_path_buf()))
        .check_file(TEMPLATE_PLANNER.as_ref())
        .await
        .unwrap();
    assert!(!other.from_cache, "other code compiles");
}

#[tokio::test]
async fn a_corrupt_cache_entry_is_recompiled_not_trusted() {
    let cache = tempfile::tempdir().unwrap();
    runtime("", Some(cache.path().to_path_buf()))
        .check_file(ECHO.as_ref())
        .await
        .unwrap();
    for entry in std::fs::read_dir(cache.path()).unwrap() {
        std::fs::write(entry.unwrap().path(), b"corrupted").unwrap();
    }
    let again = runtime("", Some(cache.path().to_path_buf()))
        .check_file(ECHO.as_ref())
        .await
        .unwrap();
    assert!(!again.from_cache);
}

#[tokio::test]
async fn a_directory_load_reports_refused_files_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(ECHO, dir.path().join("echo.wasm")).unwrap();
    std::fs::write(dir.path().join("zzz.wasm"), b"nope").unwrap();
    let runtime = runtime("", None);
    let report = runtime.load_dir(dir.path()).await.unwrap();
    assert_eq!(report.loaded.len(), 1);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(runtime.tools().len(), 1);
}
