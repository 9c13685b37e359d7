//! A tiny stand-in for Jira that `cargo xtask serve` and `cargo xtask demo` start on a free loopback port, so
//! the demo runs offline: it answers `GET /rest/api/2/issue/{key}` like Jira REST v2 and logs every request
//! it receives — which shows that dry-run writes never reach it.
//!
//! The demo policy (`drydock.toml`) grants the `jira` plugin `http://127.0.0.1:8089/rest/api/2/`, the address
//! to replace with a real Jira. The xtask commands do not take that port (another program may hold it):
//! they write a copy of the policy whose Jira grant names the stand-in's port ([`demo_policy`]) and run
//! drydock on that copy, telling it the stand-in's URL through `JIRA_BASE_URL`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};

use anyhow::Context;

/// The Jira address the demo policy grants, which the copy replaces with the stand-in's.
pub const POLICY_ADDRESS: &str = "http://127.0.0.1:8089/";

/// Starts the stand-in on a free loopback port, on a background thread; returns its base URL.
pub fn start() -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .context("the Jira stand-in cannot listen on a loopback port")?;
    let address = listener.local_addr()?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = answer(stream);
        }
    });
    Ok(format!("http://{address}"))
}

/// Writes `target/xtask/drydock.toml` (and the stand-in's address to `target/xtask/jira-url`): the demo policy with every grant of [`POLICY_ADDRESS`] pointed at the
/// stand-in (`base_url`), and relative fs paths made absolute (they are relative to the policy file, which
/// moves). Returns its path.
pub fn demo_policy(root: &Path, base_url: &str) -> anyhow::Result<PathBuf> {
    let source = root.join("drydock.toml");
    let text = std::fs::read_to_string(&source)
        .with_context(|| format!("cannot read the demo policy {}", source.display()))?;
    let mut policy: toml::Value =
        toml::from_str(&text).with_context(|| format!("cannot parse {}", source.display()))?;
    let plugins = policy
        .get_mut("plugins")
        .and_then(toml::Value::as_table_mut)
        .into_iter()
        .flat_map(|plugins| plugins.iter_mut().map(|(_, grants)| grants));
    let repoint = |url: &mut toml::Value| {
        if let Some(rest) = url.as_str().and_then(|u| u.strip_prefix(POLICY_ADDRESS)) {
            *url = toml::Value::String(format!("{base_url}/{rest}"));
        }
    };
    for grants in plugins {
        for grant in list_mut(grants, "http") {
            if let Some(url) = grant.get_mut("url") {
                repoint(url);
            }
        }
        // A secret granted for the Jira address goes where the grant now points.
        for secret in list_mut(grants, "secrets") {
            let destinations = secret.get_mut("to").and_then(toml::Value::as_array_mut);
            destinations.into_iter().flatten().for_each(repoint);
        }
        for grant in list_mut(grants, "fs") {
            if let Some(path) = grant.get_mut("path")
                && let Some(relative) = path.as_str().filter(|p| Path::new(p).is_relative())
            {
                let absolute = root.join(relative.trim_start_matches("./"));
                *path = toml::Value::String(absolute.display().to_string());
            }
        }
    }
    let out_dir = root.join("target").join("xtask");
    std::fs::create_dir_all(&out_dir)?;
    let out = out_dir.join("drydock.toml");
    let header = format!(
        "# Written by `cargo xtask` from {}: the same policy, with the Jira grant pointed at the local\n\
         # stand-in ({base_url}) and fs paths made absolute. Edit drydock.toml, not this copy.\n\n",
        source.display()
    );
    std::fs::write(&out, header + &toml::to_string_pretty(&policy)?)
        .with_context(|| format!("cannot write {}", out.display()))?;
    // For commands run beside the server (docs/plugins.md): where the stand-in listens.
    std::fs::write(out_dir.join("jira-url"), format!("{base_url}\n"))?;
    Ok(out)
}

/// The tables of the array `key` in `grants`, if it is one.
fn list_mut<'a>(
    grants: &'a mut toml::Value,
    key: &str,
) -> impl Iterator<Item = &'a mut toml::Value> {
    grants
        .get_mut(key)
        .and_then(toml::Value::as_array_mut)
        .into_iter()
        .flat_map(|items| items.iter_mut())
}

fn answer(mut stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            content_length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; content_length.min(1 << 20)];
    reader.read_exact(&mut body)?;
    let request_line = request_line.trim();
    eprintln!("[jira stand-in] received: {request_line}");
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let key = path.strip_prefix("/rest/api/2/issue/").unwrap_or("");
    let (status, json) = if method == "GET" && !key.is_empty() && !key.contains('/') {
        (
            "200 OK",
            format!(
                r#"{{"key":"{key}","fields":{{"summary":"Retry failed uploads","description":"Uploads fail on flaky networks.","status":{{"name":"To Do"}}}}}}"#
            ),
        )
    } else if method == "POST" {
        ("201 Created", r#"{"id":"10001"}"#.to_owned())
    } else {
        (
            "404 Not Found",
            r#"{"errorMessages":["not found"],"errors":{}}"#.to_owned(),
        )
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{json}",
        json.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_copy_grants_the_stand_ins_port_and_keeps_fs_paths_where_they_were() {
        let root = std::env::temp_dir().join(format!("xtask-policy-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(
            root.join("drydock.toml"),
            "[plugins.jira]\nhttp = [{ url = \"http://127.0.0.1:8089/rest/api/2/\", methods = [\"GET\"] }]\n\
             secrets = [{ name = \"JIRA_TOKEN\", to = [\"http://127.0.0.1:8089/rest/api/2/\"] }]\n\
             [plugins.other]\nhttp = [{ url = \"https://api.github.com/\", methods = [\"GET\"] }]\n\
             fs = [{ path = \"./demo/workspace\", access = \"rw\" }]\n",
        )
        .unwrap();
        let copy = demo_policy(&root, "http://127.0.0.1:41234").unwrap();
        let text = std::fs::read_to_string(&copy).unwrap();
        let policy: toml::Value = toml::from_str(&text).unwrap();
        let plugins = &policy["plugins"];
        assert_eq!(
            plugins["jira"]["http"][0]["url"].as_str(),
            Some("http://127.0.0.1:41234/rest/api/2/")
        );
        assert_eq!(
            plugins["jira"]["secrets"][0]["to"][0].as_str(),
            Some("http://127.0.0.1:41234/rest/api/2/"),
            "a secret's destinations follow the grant"
        );
        assert_eq!(
            plugins["other"]["http"][0]["url"].as_str(),
            Some("https://api.github.com/"),
            "other grants are untouched"
        );
        let fs_path = plugins["other"]["fs"][0]["path"].as_str().unwrap();
        assert_eq!(Path::new(fs_path), root.join("demo/workspace"));
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn the_stand_in_listens_on_a_free_port_and_answers_like_jira() {
        let (first, second) = (start().unwrap(), start().unwrap());
        assert_ne!(first, second, "each start takes a port of its own");
        let address = first.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).unwrap();
        write!(
            stream,
            "GET /rest/api/2/issue/ABC-1 HTTP/1.1\r\nhost: {address}\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
        assert!(answer.contains(r#""key":"ABC-1""#), "{answer}");
    }
}
