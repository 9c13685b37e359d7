//! `drydock plugin install|installed|upgrade|grant|remove` as an operator types them against a running
//! `drydock serve`: the install shows what the package requests and asks which requests to accept; a script
//! must answer with `--grant`; an upgrade asking for more is held until `plugin grant`.

use super::{ServedDrydock, pty, served_drydock, text};

const NOTES: &str =
    "{ url = \"https://notes.example.com/api/\", methods = [\"POST\"], reason = \"posts notes\" }";

fn manifest(version: &str, requests: &str) -> String {
    format!(
        "name = \"notes_js\"\nversion = \"{version}\"\ndescription = \"Notes.\"\n\
         contract = \"drydock:plugin@0.1.0\"\n[requests]\nhttp = [{NOTES}]\n{requests}"
    )
}

/// The JavaScript notes component (not in the server's plugin directory) with `manifest` embedded.
fn package(served: &ServedDrydock, file: &str, manifest: &str) -> String {
    let component = drydock_tests::plugins::componentized("notes_js");
    let bytes = drydock_package::embed(&std::fs::read(component).unwrap(), manifest).unwrap();
    let path = served.home.path().join(file);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

fn scripted(served: &ServedDrydock, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(args)
        .env("HOME", served.home.path())
        .env("DRYDOCK_SERVER", &served.url)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (
        out.status.success(),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

#[test]
fn an_operator_installs_at_the_prompt_then_upgrades_grants_and_removes_by_script() {
    let served = served_drydock();
    let mut login = pty(&served, &["login", "--username", "olivia"]);
    login.exp_string("Password: ").unwrap();
    login.send_line("olivia-pass").unwrap();
    login.exp_eof().unwrap();

    let env = "env = [{ name = \"NOTES_REGION\", reason = \"which region\" }]\n";
    let v1 = package(&served, "notes-1.wasm", &manifest("1.0.0", env));
    let (ok, said) = scripted(&served, &["plugin", "install", &v1]);
    assert!(
        !ok && said.contains("--grant all"),
        "a script must say what it accepts: {said}"
    );

    let mut install = pty(&served, &["plugin", "install", &v1]);
    install.exp_string("notes_js 1.0.0 (unsigned").unwrap();
    install.exp_string("http#1").unwrap();
    install.exp_string("why: posts notes").unwrap();
    install.exp_string("env:NOTES_REGION").unwrap();
    install
        .exp_string("accept [a]ll, [n]one, or the ids to accept")
        .unwrap();
    install.send_line("http#1").unwrap();
    // Said before the wait, at a terminal: the server compiles the JavaScript component first.
    install
        .exp_string("installing notes_js 1.0.0: the server compiles the component first")
        .unwrap();
    install.exp_string("installed notes_js 1.0.0").unwrap();
    install.exp_string("tool     notes_js.read").unwrap();
    install
        .exp_string("granted  http POST under https://notes.example.com/api/")
        .unwrap();
    install.exp_eof().unwrap();

    let (ok, said) = scripted(&served, &["plugin", "installed"]);
    assert!(
        ok && said.contains("notes_js") && said.contains("1.0.0"),
        "{said}"
    );

    let more = format!("{env}secrets = [{{ name = \"NOTES_TOKEN\", reason = \"signs in\" }}]\n");
    let v2 = package(&served, "notes-2.wasm", &manifest("2.0.0", &more));
    let (ok, said) = scripted(&served, &["plugin", "upgrade", "notes_js", &v2]);
    assert!(ok && said.contains("upgraded notes_js 2.0.0"), "{said}");
    assert!(said.contains("held     secret:NOTES_TOKEN"), "{said}");
    assert!(
        said.contains("held     env:NOTES_REGION"),
        "declined before, so asked again: {said}"
    );

    let (ok, said) = scripted(
        &served,
        &["plugin", "grant", "notes_js", "secret:NOTES_TOKEN"],
    );
    assert!(ok && said.contains("granted  secret NOTES_TOKEN"), "{said}");
    let (ok, said) = scripted(&served, &["plugin", "remove", "notes_js"]);
    assert!(ok && said.contains("removed notes_js 2.0.0"), "{said}");
    let (ok, said) = scripted(&served, &["plugin", "remove", "notes_js"]);
    assert!(
        !ok && said.contains("no installed package `notes_js`"),
        "{said}"
    );
}
