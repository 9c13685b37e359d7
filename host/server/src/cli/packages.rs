//! Package commands. For authors: `drydock key generate`, `drydock plugin sign`, `drydock plugin push`.
//! For operators, against a running server (`drydock login`, or `DRYDOCK_TOKEN`): `drydock plugin install`,
//! `upgrade`, `grant`, `remove` and `installed`. Install shows what the package requests and asks which
//! requests to accept (`--grant` answers for scripts); the server checks, records and audits everything.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine as _;
use drydock_package::{OciReference, SecretKey, sign};
use serde_json::{Value, json};

use super::client::{Server, ServerArgs, connect};
use super::plugin::RegistryLoginArgs;
use super::shown;

/// `drydock key generate --out FILE`: a new signing key (mode 0600); prints the public key for policies.
pub fn generate_key(out: &Path) -> anyhow::Result<ExitCode> {
    let key = SecretKey::generate()?;
    key.write_new(out)?;
    println!(
        "secret key: {} (mode 0600; keep it out of version control)",
        out.display()
    );
    println!("public key: {}", key.public());
    println!(
        "operators trust it with, in their policy:\n  [trust]\n  keys = [{{ name = \"<you>\", key = \"{}\" }}]",
        key.public()
    );
    Ok(ExitCode::SUCCESS)
}

/// `drydock plugin sign FILE --key KEY [--out FILE]`: signs a component that carries its manifest.
pub fn sign_file(file: &Path, key: &Path, out: Option<&Path>) -> anyhow::Result<ExitCode> {
    let key = SecretKey::read(key)?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read `{}`", file.display()))?;
    let signed = sign(&bytes, &key).with_context(|| format!("cannot sign `{}`", file.display()))?;
    let out = out.unwrap_or(file);
    std::fs::write(out, signed).with_context(|| format!("cannot write `{}`", out.display()))?;
    println!("signed {} with {}", out.display(), key.public());
    Ok(ExitCode::SUCCESS)
}

/// `drydock plugin push FILE oci://registry/repo:tag`: publishes a package (credentials from
/// `DRYDOCK_REGISTRY_USER` and `DRYDOCK_REGISTRY_PASSWORD`, never printed).
pub async fn push(file: &Path, reference: &str) -> anyhow::Result<ExitCode> {
    let reference = OciReference::parse(reference)?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read `{}`", file.display()))?;
    let manifest = drydock_package::read_sections(&bytes)?
        .manifest
        .map(str::to_owned);
    let credentials = match (
        std::env::var("DRYDOCK_REGISTRY_USER"),
        std::env::var("DRYDOCK_REGISTRY_PASSWORD"),
    ) {
        (Ok(user), Ok(password)) => Some(drydock_package::Credentials::new(user, password)),
        _ => None,
    };
    let pushed = drydock_package::push(
        &reference,
        &bytes,
        manifest.as_deref(),
        credentials.as_ref(),
        Duration::from_secs(120),
    )
    .await?;
    println!("pushed {} as {}", file.display(), pushed.pinned);
    Ok(ExitCode::SUCCESS)
}

/// After `drydock plugin build`: embeds the project's `drydock-plugin.toml` into the component when it is
/// a package manifest (it has a `version`), so the component is a package; says what it did.
pub fn embed_project_manifest(project: &Path, component: &Path) -> anyhow::Result<String> {
    let manifest_path = project.join("drydock-plugin.toml");
    let Ok(text) = std::fs::read_to_string(&manifest_path) else {
        return Ok(
            "no drydock-plugin.toml: the component carries no manifest (not a package yet)".into(),
        );
    };
    let looks_like_package = text
        .parse::<toml::Table>()
        .is_ok_and(|table| table.contains_key("version"));
    if !looks_like_package {
        return Ok(format!(
            "{} has no `version`: the component carries no manifest (add version, description and contract to make              it a package)",
            manifest_path.display()
        ));
    }
    let manifest = drydock_package::Manifest::parse(&text, &manifest_path.display().to_string())?;
    manifest.check_contract()?;
    let bytes = std::fs::read(component)?;
    std::fs::write(component, drydock_package::embed(&bytes, &text)?)?;
    Ok(format!(
        "package {} {} (its manifest is embedded; sign it with `drydock plugin sign`)",
        manifest.name, manifest.version
    ))
}

/// For `drydock plugin check`: the package a component is, if it carries a manifest — checked against the
/// component (its name, the contract) and its signature read.
pub fn check_package(file: &Path, plugin: &str) -> anyhow::Result<String> {
    let bytes = std::fs::read(file)?;
    let sections = drydock_package::read_sections(&bytes)?;
    let Some(text) = sections.manifest else {
        return Ok("package  none: no manifest embedded (`drydock plugin build` embeds drydock-plugin.toml)".into());
    };
    let manifest =
        drydock_package::Manifest::parse(text, &format!("the manifest in {}", file.display()))?;
    manifest.check_contract()?;
    if manifest.name != plugin {
        bail!(
            "the manifest names the plugin `{}`, but the component is `{plugin}` (its file name and tools): make              them agree",
            manifest.name
        );
    }
    let signature = match sections.signature {
        Some(_) => match drydock_package::verify(&bytes, &[]) {
            Err(drydock_package::VerifyError::UntrustedKey { key }) => format!("signed by {key}"),
            Err(err) => bail!("{err}"),
            Ok(_) => "signed".into(),
        },
        None => "unsigned".into(),
    };
    let mut said = format!(
        "package  {} {} ({signature})",
        manifest.name, manifest.version
    );
    for entry in manifest.requests.entries() {
        said.push_str(&format!(
            "\nrequests {:<16} {} — {}",
            entry.id, entry.summary, entry.reason
        ));
    }
    Ok(said)
}

/// Which requests to accept, from `--grant` flags: `all`, `none` or request ids.
fn accept_from_flags(grants: &[String]) -> Option<Value> {
    match grants {
        [] => None,
        [word] if word == "all" || word == "none" => Some(json!(word)),
        ids => Some(json!(ids)),
    }
}

fn dirs_from_flags(dirs: &[String]) -> anyhow::Result<BTreeMap<String, PathBuf>> {
    dirs.iter()
        .map(|pair| {
            let (id, dir) = pair.split_once('=').with_context(|| {
                format!("--dir takes ID=DIRECTORY (e.g. fs#1=/srv/notes), not `{pair}`")
            })?;
            Ok((id.to_owned(), PathBuf::from(dir)))
        })
        .collect()
}

/// The package part of a request body: a local file is uploaded, anything else is a source the server
/// fetches (signing in to its registry as `login` says).
fn package_body(source: &str, login: &RegistryLoginArgs) -> anyhow::Result<Value> {
    let path = Path::new(source);
    if source.starts_with("oci://")
        || source.starts_with("https://")
        || source.starts_with("http://")
    {
        let mut body = json!({ "source": source });
        if let (Some(user), Some(secret)) = (&login.registry_user, &login.registry_password_secret)
        {
            body["login"] = json!({ "username": user, "passwordSecret": secret });
        }
        return Ok(body);
    }
    if login.registry_user.is_some() {
        bail!(
            "--registry-user goes with an oci:// or https:// source; `{source}` is a file, uploaded as it is"
        );
    }
    let bytes = std::fs::read(path).with_context(|| {
        format!(
            "cannot read `{source}`: give a component file, an https:// URL or an oci:// reference"
        )
    })?;
    let beside = path.with_extension("toml");
    let mut body = json!({
        "component": base64::engine::general_purpose::STANDARD.encode(bytes),
        "fileName": path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
    });
    if let Ok(manifest) = std::fs::read_to_string(&beside) {
        body["manifest"] = json!(manifest);
    }
    Ok(body)
}

fn answer_or_error(answer: super::client::http::Answer, what: &str) -> anyhow::Result<Value> {
    if (200..300).contains(&answer.status) {
        Ok(answer.body)
    } else {
        bail!("{what}: {}", answer.error_message())
    }
}

/// `drydock plugin install SOURCE [--grant …] [--dir ID=DIR]`.
pub async fn install(
    server: &ServerArgs,
    source: &str,
    grants: &[String],
    dirs: &[String],
    login: &RegistryLoginArgs,
) -> anyhow::Result<ExitCode> {
    let server = connect(server)?;
    let mut body = package_body(source, login)?;
    let inspected = answer_or_error(
        server.post("/api/plugins/inspect", &body).await?,
        "cannot install",
    )?;
    print_requests(&inspected);
    let accept = match accept_from_flags(grants) {
        Some(accept) => accept,
        None if std::io::stdin().is_terminal() => ask_accept(&inspected)?,
        None => bail!(
            "say which requests to accept: --grant all, --grant none or --grant ID (one per request), since no \
             one is at the terminal to ask"
        ),
    };
    body["accept"] = accept;
    body["dirs"] = json!(dirs_from_flags(dirs)?);
    say_compiling("installing", &inspected);
    let installed = answer_or_error(server.post("/api/plugins", &body).await?, "cannot install")?;
    print_installed(&installed, "installed");
    Ok(ExitCode::SUCCESS)
}

/// `drydock plugin upgrade NAME SOURCE`.
pub async fn upgrade(
    server: &ServerArgs,
    name: &str,
    source: &str,
    login: &RegistryLoginArgs,
) -> anyhow::Result<ExitCode> {
    let server = connect(server)?;
    let body = package_body(source, login)?;
    say_compiling("upgrading", &json!({ "name": name }));
    let answer = server
        .request("PUT", &format!("/api/plugins/{name}"), Some(&body))
        .await?;
    let upgraded = answer_or_error(answer, "cannot upgrade")?;
    print_installed(&upgraded, "upgraded");
    Ok(ExitCode::SUCCESS)
}

/// `drydock plugin grant NAME ID… [--dir ID=DIR]`: accepts requests an upgrade held.
pub async fn grant(
    server: &ServerArgs,
    name: &str,
    ids: &[String],
    dirs: &[String],
) -> anyhow::Result<ExitCode> {
    let server = connect(server)?;
    let body = json!({ "accept": ids, "dirs": dirs_from_flags(dirs)? });
    let answer = server
        .post(&format!("/api/plugins/{name}/grants"), &body)
        .await?;
    print_installed(&answer_or_error(answer, "cannot grant")?, "granted");
    Ok(ExitCode::SUCCESS)
}

/// `drydock plugin remove NAME`.
pub async fn remove(server: &ServerArgs, name: &str) -> anyhow::Result<ExitCode> {
    let server = connect(server)?;
    let answer = server
        .request("DELETE", &format!("/api/plugins/{name}"), None)
        .await?;
    let removed = answer_or_error(answer, "cannot remove")?;
    println!(
        "removed {} {}",
        shown::line(removed["removed"].as_str().unwrap_or_default()),
        shown::line(removed["version"].as_str().unwrap_or_default())
    );
    Ok(ExitCode::SUCCESS)
}

/// `drydock plugin installed`: every loaded plugin of the server, and where it comes from.
pub async fn installed(server: &ServerArgs) -> anyhow::Result<ExitCode> {
    let server: Server = connect(server)?;
    let list = answer_or_error(server.get("/api/plugins").await?, "cannot list the plugins")?;
    for plugin in list["plugins"].as_array().into_iter().flatten() {
        let text = |key: &str| shown::line(plugin[key].as_str().unwrap_or("-")).into_owned();
        let held = plugin["held"].as_array().map_or(0, Vec::len);
        println!(
            "{:<24} {:<10} {:<9} {}{}",
            text("name"),
            text("version"),
            text("origin"),
            if plugin["loaded"] == json!(false) {
                format!("NOT LOADED: {}", text("error"))
            } else {
                String::new()
            },
            if held > 0 {
                format!("{held} request(s) held: drydock plugin grant")
            } else {
                String::new()
            },
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// At a terminal, says why the next answer may take a while: the server compiles the component before it
/// answers, a few seconds for a JavaScript or Python component (its interpreter is compiled too), longer on a
/// busy machine. Scripts get no such line.
fn say_compiling(verb: &str, package: &Value) {
    if !std::io::stderr().is_terminal() {
        return;
    }
    let text = |v: &Value| shown::line(v.as_str().unwrap_or("")).into_owned();
    let what = format!("{} {}", text(&package["name"]), text(&package["version"]));
    eprintln!(
        "{verb} {}: the server compiles the component first (seconds for JavaScript or Python)…",
        what.trim()
    );
}

fn print_requests(inspected: &Value) {
    let text = |v: &Value| shown::line(v.as_str().unwrap_or("-")).into_owned();
    println!(
        "{} {} ({}, {})",
        text(&inspected["name"]),
        text(&inspected["version"]),
        match inspected["signer"].as_str() {
            Some(signer) => format!("signed by {}", shown::line(signer)),
            None => "unsigned".into(),
        },
        text(&inspected["origin"]),
    );
    let requests = inspected["requests"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if requests.is_empty() {
        println!("it requests nothing: it will run with nothing granted");
    }
    for request in &requests {
        println!(
            "  {:<20} {}\n  {:<20} why: {}",
            text(&request["id"]),
            text(&request["summary"]),
            "",
            text(&request["reason"])
        );
    }
}

fn ask_accept(inspected: &Value) -> anyhow::Result<Value> {
    if inspected["requests"].as_array().is_none_or(Vec::is_empty) {
        return Ok(json!("none"));
    }
    print!("accept [a]ll, [n]one, or the ids to accept (space-separated): ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(match line.trim() {
        "a" | "all" => json!("all"),
        "" | "n" | "none" => json!("none"),
        ids => json!(ids.split_whitespace().collect::<Vec<_>>()),
    })
}

fn print_installed(plugin: &Value, verb: &str) {
    let text = |v: &Value| shown::line(v.as_str().unwrap_or("-")).into_owned();
    println!(
        "{verb} {} {}",
        text(&plugin["name"]),
        text(&plugin["version"])
    );
    for tool in plugin["tools"].as_array().into_iter().flatten() {
        println!("  tool     {}", text(tool));
    }
    for accepted in plugin["accepted"].as_array().into_iter().flatten() {
        println!("  granted  {}", text(accepted));
    }
    for held in plugin["held"].as_array().into_iter().flatten() {
        println!(
            "  held     {} {} (drydock plugin grant {} {})",
            text(&held["id"]),
            text(&held["summary"]),
            text(&plugin["name"]),
            text(&held["id"])
        );
    }
}
