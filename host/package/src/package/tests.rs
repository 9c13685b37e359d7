//! Finding a package's manifest: embedded first, then beside the file.

use super::*;
use crate::sections::embed;
use crate::test_fixture::{MANIFEST, echo_component};

#[test]
fn the_embedded_manifest_wins_over_one_beside_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("echo.wasm");
    std::fs::write(&path, embed(&echo_component(), MANIFEST).unwrap()).unwrap();
    std::fs::write(
        dir.path().join("echo.toml"),
        MANIFEST.replace("1.2.3", "9.9.9"),
    )
    .unwrap();
    let package = Package::read(&path).unwrap();
    assert_eq!(package.source, ManifestSource::Embedded);
    assert_eq!(package.manifest.version.to_string(), "1.2.3");
}

#[test]
fn a_stem_manifest_wins_over_the_project_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("echo.wasm");
    std::fs::write(&path, echo_component()).unwrap();
    std::fs::write(dir.path().join("drydock-plugin.toml"), MANIFEST).unwrap();
    let package = Package::read(&path).unwrap();
    assert_eq!(
        package.source,
        ManifestSource::Beside(dir.path().join("drydock-plugin.toml"))
    );
    std::fs::write(
        dir.path().join("echo.toml"),
        MANIFEST.replace("1.2.3", "2.0.0"),
    )
    .unwrap();
    let package = Package::read(&path).unwrap();
    assert_eq!(
        package.source,
        ManifestSource::Beside(dir.path().join("echo.toml"))
    );
    assert_eq!(package.manifest.version.to_string(), "2.0.0");
}

#[test]
fn a_component_without_any_manifest_is_refused_saying_where_to_put_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("echo.wasm");
    std::fs::write(&path, echo_component()).unwrap();
    let error = Package::read(&path).unwrap_err();
    assert!(error.to_string().contains("echo.toml"), "{error}");
}

#[test]
fn an_invalid_beside_manifest_names_its_file() {
    let error =
        Package::from_parts(echo_component(), Some("name = 1".into()), "echo.wasm").unwrap_err();
    assert!(
        error
            .to_string()
            .contains("the manifest given with echo.wasm:1:8"),
        "{error}"
    );
}
