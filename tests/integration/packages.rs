//! Installed packages through the core: install, upgrade with the same and with more requests, grant,
//! remove and restart — operators only, audited, all or nothing. (The HTTP and CLI faces are tested in
//! `packages_api.rs`; reading manifests and signatures in drydock-package.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use drydock_core::packages::{Accept, Install, PackageFacts, Request, RequestGrant};
use drydock_core::{Actor, Core, CoreConfig, Role};
use drydock_tests::plugins::{ECHO, HTTP};
use serde_json::json;

use crate::support::{HostOptions, dry, err_code, host, ok};

fn operator() -> Actor {
    Actor {
        user_id: "u-op".into(),
        name: "ada".into(),
        role: Role::Operator,
    }
}

fn user() -> Actor {
    Actor {
        user_id: "u-user".into(),
        name: "bob".into(),
        role: Role::User,
    }
}

async fn core(data: &Path) -> Core {
    let runtime = host("", &[], HostOptions::default()).await;
    Core::open(
        CoreConfig {
            data_dir: data.to_path_buf(),
            bootstrap_token: None,
        },
        runtime,
    )
    .await
    .unwrap()
}

fn http_request(url: &str) -> Request {
    Request {
        id: "http#1".into(),
        grant: RequestGrant::Http {
            url: url.into(),
            methods: vec!["GET".into()],
        },
        reason: "reads the API".into(),
    }
}

fn package(component: &str, version: &str, requests: Vec<Request>, extra: &[u8]) -> Install {
    let mut bytes = std::fs::read(component).unwrap();
    if !extra.is_empty() {
        // A custom section: the same plugin, other bytes (a new build).
        drydock_package::sections::append_custom_section(&mut bytes, "v", extra);
    }
    let name = Path::new(component)
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    Install {
        bytes,
        facts: PackageFacts {
            manifest: format!("name = \"{name}\"\nversion = \"{version}\"\n"),
            name,
            version: version.into(),
            signer: None,
            requests,
        },
        source: format!("{component} (test)"),
        accept: Accept::All,
        dirs: BTreeMap::new(),
    }
}

async fn audit_actions(core: &Core) -> Vec<String> {
    core.audit(&operator(), Default::default(), 500)
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.action)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_installs_a_package_and_its_tools_serve_at_once() {
    let data = tempfile::tempdir().unwrap();
    let core = core(data.path()).await;
    let row = core
        .install_package(&operator(), package(ECHO, "0.1.0", vec![], b""))
        .await
        .unwrap();
    assert_eq!((row.name.as_str(), row.version.as_str()), ("echo", "0.1.0"));
    assert_eq!(
        ok(&dry(core.runtime(), "echo.echo", json!({"text": "hi"})).await)["text"],
        "hi"
    );
    let file: PathBuf = data
        .path()
        .join("packages")
        .join(&row.digest)
        .join("echo.wasm");
    assert!(file.is_file(), "the component lives in the data directory");
    let listed = core.packages(&operator()).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].loaded.is_ok());
    assert_eq!(audit_actions(&core).await, ["plugin.install"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_operator_or_a_taken_name_is_refused_audited_and_changes_nothing() {
    let data = tempfile::tempdir().unwrap();
    let core = core(data.path()).await;
    let err = core
        .install_package(&user(), package(ECHO, "0.1.0", vec![], b""))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("needs the operator role"), "{err}");
    assert_eq!(
        err_code(&dry(core.runtime(), "echo.echo", json!({"text": "x"})).await),
        "unknown_tool"
    );

    core.install_package(&operator(), package(ECHO, "0.1.0", vec![], b""))
        .await
        .unwrap();
    let again = core
        .install_package(&operator(), package(ECHO, "0.2.0", vec![], b"2"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        again.contains("already installed") && again.contains("upgrade"),
        "{again}"
    );
    assert_eq!(
        audit_actions(&core).await,
        [
            "plugin.install.refused",
            "plugin.install",
            "plugin.install.refused"
        ]
    );
    assert_eq!(
        core.packages(&operator()).await.unwrap()[0].row.version,
        "0.1.0"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_keeps_accepted_grants_and_holds_new_requests_until_granted() {
    let data = tempfile::tempdir().unwrap();
    let core = core(data.path()).await;
    let api = http_request("https://api.example.com/");
    core.install_package(&operator(), package(HTTP, "1.0.0", vec![api.clone()], b""))
        .await
        .unwrap();
    assert_eq!(core.runtime().policy().grants("http").http.len(), 1);

    // Same requests: the grants carry over.
    let same = core
        .upgrade_package(&operator(), package(HTTP, "1.1.0", vec![api.clone()], b"1"))
        .await
        .unwrap();
    assert!(same.held.is_empty());
    assert_eq!(same.accepted.len(), 1);

    // One more: it runs with the old grants, the new request held.
    let mut more = vec![api.clone(), http_request("https://uploads.example.com/")];
    more[1].id = "http#2".into();
    let upgraded = core
        .upgrade_package(&operator(), package(HTTP, "2.0.0", more, b"2"))
        .await
        .unwrap();
    assert_eq!(upgraded.version, "2.0.0");
    assert_eq!(
        upgraded
            .held
            .iter()
            .map(|r| r.id.as_str())
            .collect::<Vec<_>>(),
        ["http#2"]
    );
    assert_eq!(
        core.runtime().policy().grants("http").http.len(),
        1,
        "not granted yet"
    );

    let granted = core
        .grant_package(&operator(), "http", &["http#2".into()], &BTreeMap::new())
        .await
        .unwrap();
    assert!(granted.held.is_empty());
    assert_eq!(core.runtime().policy().grants("http").http.len(), 2);
    let unknown = core
        .grant_package(&operator(), "http", &["http#7".into()], &BTreeMap::new())
        .await
        .unwrap_err()
        .to_string();
    assert!(unknown.contains("no request `http#7`"), "{unknown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installed_packages_survive_a_restart_and_removal_forgets_them() {
    let data = tempfile::tempdir().unwrap();
    let digest = {
        let core = core(data.path()).await;
        core.install_package(&operator(), package(ECHO, "0.1.0", vec![], b""))
            .await
            .unwrap()
            .digest
    };
    let core = core(data.path()).await;
    assert_eq!(
        ok(&dry(core.runtime(), "echo.echo", json!({"text": "back"})).await)["text"],
        "back"
    );

    let refused = core
        .remove_package(&user(), "echo")
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("operator"), "{refused}");
    core.remove_package(&operator(), "echo").await.unwrap();
    assert_eq!(
        err_code(&dry(core.runtime(), "echo.echo", json!({"text": "x"})).await),
        "unknown_tool"
    );
    assert!(
        !data.path().join("packages").join(&digest).exists(),
        "its file is gone"
    );
    assert!(core.packages(&operator()).await.unwrap().is_empty());
    let missing = core
        .remove_package(&operator(), "echo")
        .await
        .unwrap_err()
        .to_string();
    assert!(missing.contains("no installed package `echo`"), "{missing}");
}
