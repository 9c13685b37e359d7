//! The documentation runs as pasted: every `sh`/`bash` block of `README.md` and `docs/*.md`, read from the
//! markdown files at test time, runs in order, one bash process per file (`set -euo pipefail`), against a
//! real `drydock serve` started the way `cargo xtask serve` starts it.
//!
//! What the test changes, and nothing else:
//! - the addresses: the docs name the demo's `127.0.0.1:8080` (or `localhost:8080`) and the Jira stand-in's
//!   `127.0.0.1:8089`; the test rewrites them to its own server and stand-in, on free loopback ports (the
//!   docs stay readable, and a developer's running server is never touched). `DRYDOCK_URL` is exported for
//!   the scripts in `examples/`, which read it;
//! - `TOKEN` is exported: the server's bootstrap token (the README's one pasted line is skipped);
//! - the blocks run in a throw-away "checkout": a directory linking the repository's docs, examples,
//!   workflows and demo, with `plugins/dist` (the example plugins, without the test fixtures), the demo
//!   policy (Jira address rewritten) and the server's data directory `.drydock-data` of its own, and `HOME`
//!   of its own (so `drydock login` never writes the developer's credentials); the `drydock` under test is
//!   first on `PATH`;
//! - the plugin toolchains: `DRYDOCK_TOOLCHAINS` names the ones `cargo xtask plugins` installed for the
//!   repository (so `drydock plugin build` never downloads them again), `CARGO_TARGET_DIR` a target
//!   directory that outlives the run (a new Rust plugin's dependencies compile once per checkout), and
//!   `CARGO_HOME`/`RUSTUP_HOME` the real ones (`HOME` is the throw-away one).
//!
//! Each block must succeed (the snippets use `curl -sf`, so a 4xx fails them), and where a block shows an
//! expected answer on a line `# → …`, every quoted string on that line that holds no `…` must appear in
//! what the block printed.
//!
//! A block that cannot run here is marked `<!-- snippet: skip (CLASS) -->` on the line before its fence;
//! [`SKIP_CLASSES`] lists the classes and why each is skipped. Every fence must name its language.
//!
//! A second test checks that every relative link of those files names a file, and heading, that exist.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use drydock_tests::peer::Peer;
use drydock_tests::plugins::{ALL_PLUGINS, PLUGIN_DIR};

use super::line_with;

/// The classes of blocks the test does not run, and why.
const SKIP_CLASSES: &[(&str, &str)] = &[
    (
        "xtask",
        "the README's two commands: `cargo xtask serve` is the server this test starts itself, and \
         `cargo xtask test` is what runs this test",
    ),
    (
        "paste",
        "a value the reader copies from the server's first output; the test exports it (TOKEN)",
    ),
    (
        "mcp-host",
        "configures an MCP host (Claude Code) that is not installed here; the MCP server itself is tested \
         by tests/integration/mcp*.rs and cli/mcp.rs",
    ),
    (
        "bench",
        "a release-mode benchmark that runs for minutes and whose numbers depend on the machine; clippy \
         builds the bench targets",
    ),
    (
        "registry",
        "publishes to an OCI registry that is not running here; push and pull against a real registry \
         (docker-registry on loopback) are tested by host/package/tests/oci_registry.rs and \
         tests/integration/packages_api.rs",
    ),
    (
        "suite",
        "runs part of the repository's own test suite (the browser tests), which `cargo xtask test` runs \
         itself",
    ),
    (
        "llm",
        "needs a language-model provider (Ollama) that is not running here; the chat agent's LLM path is \
         tested against a scripted provider in tests/integration/chat_llm.rs",
    ),
];

/// How long one file's blocks may take together: a guard against a hang, not a timing check (the plugin
/// guide builds a plugin in each language, while the other tests build theirs).
const FILE_TIMEOUT: Duration = Duration::from_secs(600);

/// One fenced shell block.
#[derive(Debug)]
struct Block {
    /// The 1-based line of its opening fence.
    line: usize,
    /// Its text, without the fences.
    text: String,
    /// The skip class, when it is marked to be skipped.
    skip: Option<String>,
}

/// The shell blocks of one markdown file, with their skip marks. Panics on a fence without a language, an
/// unclosed fence, or an unknown skip class, so a block cannot escape the test by accident.
fn shell_blocks(file: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(file).unwrap();
    let name = file.display();
    let mut blocks = Vec::new();
    let mut lines = text.lines().enumerate();
    let mut previous = "";
    while let Some((index, line)) = lines.next() {
        let Some(info) = line.trim_start().strip_prefix("```") else {
            if !line.trim().is_empty() {
                previous = line;
            }
            continue;
        };
        let language = info.split_whitespace().next().unwrap_or_default();
        assert!(
            !language.is_empty(),
            "{name}:{}: give the fence a language (`sh`, `toml`, `json`, `text`...)",
            index + 1
        );
        let mut body = String::new();
        let mut closed = false;
        for (_, inner) in lines.by_ref() {
            if inner.trim_start().starts_with("```") {
                closed = true;
                break;
            }
            body.push_str(inner);
            body.push('\n');
        }
        assert!(closed, "{name}:{}: the fence is never closed", index + 1);
        let skip = skip_class(previous).inspect(|class| {
            assert!(
                SKIP_CLASSES.iter().any(|(known, _)| known == class),
                "{name}:{}: unknown skip class `{class}` (known: {:?})",
                index + 1,
                SKIP_CLASSES.iter().map(|(c, _)| c).collect::<Vec<_>>()
            );
        });
        if matches!(language, "sh" | "bash") {
            blocks.push(Block {
                line: index + 1,
                text: body,
                skip,
            });
        } else {
            assert!(
                skip.is_none(),
                "{name}:{}: only shell blocks are run, so only they can be skipped",
                index + 1
            );
        }
        previous = "";
    }
    blocks
}

/// Where cargo or rustup keep their state for the real user: the variable, or its default under `HOME`.
fn real_home_dir(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(default)
    })
}

/// `CLASS` of a line `<!-- snippet: skip (CLASS) -->`.
fn skip_class(line: &str) -> Option<String> {
    let inner = line
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim()
        .strip_prefix("snippet:")?
        .trim()
        .strip_prefix("skip")?
        .trim();
    let class = inner.strip_prefix('(')?.strip_suffix(')')?;
    Some(class.trim().to_owned())
}

/// The strings a line `# → …` promises the output holds: its quoted strings, but those standing for
/// something elided (`…`).
fn expected_strings(block: &str) -> Vec<String> {
    let mut expected = Vec::new();
    for line in block.lines() {
        let Some(answer) = line.trim_start().strip_prefix("# →") else {
            continue;
        };
        let mut parts = answer.split('"');
        parts.next();
        while let (Some(quoted), _) = (parts.next(), parts.next()) {
            if !quoted.contains('…') && !quoted.is_empty() {
                expected.push(quoted.to_owned());
            }
        }
    }
    expected
}

/// The markdown files whose blocks run: the README, then `docs/*.md` by name.
fn documents(root: &Path) -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    docs.insert(0, root.join("README.md"));
    docs
}

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Fails with how to install `tool` when it is not on PATH.
fn require(tool: &str) {
    let found = Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "the documentation's snippets need `{tool}`: install it (Debian/Ubuntu: `sudo apt-get install -y \
         {tool}`; macOS: `brew install {tool}`). `cargo xtask test` installs it itself when it runs as root."
    );
}

/// The throw-away checkout the blocks run in (see the module doc).
fn checkout(root: &Path, dir: &Path, jira: &str) {
    for entry in ["README.md", "docs", "examples", "workflows", "demo", "wit"] {
        std::os::unix::fs::symlink(root.join(entry), dir.join(entry)).unwrap();
    }
    let dist = dir.join("plugins/dist");
    std::fs::create_dir_all(&dist).unwrap();
    for name in ALL_PLUGINS {
        if !is_test_fixture(root, name) {
            let file = format!("{name}.wasm");
            std::fs::copy(Path::new(PLUGIN_DIR).join(&file), dist.join(&file)).unwrap();
        }
    }
    let policy = std::fs::read_to_string(root.join("drydock.toml"))
        .unwrap()
        .replace("127.0.0.1:8089", jira);
    std::fs::write(dir.join("drydock.toml"), &policy).unwrap();
    // What `cargo xtask serve` leaves for the docs: its policy copy and the stand-in's address.
    let xtask = dir.join("target/xtask");
    std::fs::create_dir_all(&xtask).unwrap();
    std::fs::write(xtask.join("drydock.toml"), &policy).unwrap();
    std::fs::write(xtask.join("jira-url"), format!("http://{jira}\n")).unwrap();
}

/// Whether the plugin component `stem` is a test fixture (`[package.metadata.drydock] test-fixture =
/// true` in its Cargo.toml), which `cargo xtask plugins` keeps out of `plugins/dist`.
fn is_test_fixture(root: &Path, stem: &str) -> bool {
    let crate_name = stem.replace('_', "-");
    let candidates = [
        root.join("plugins").join(&crate_name),
        root.join("plugins/hostile")
            .join(crate_name.trim_start_matches("hostile-")),
    ];
    candidates
        .iter()
        .map(|dir| dir.join("Cargo.toml"))
        .find(|manifest| manifest.is_file())
        .map(|manifest| {
            std::fs::read_to_string(manifest)
                .unwrap()
                .contains("test-fixture = true")
        })
        // A component with no crate of that name is not one the examples ship.
        .unwrap_or(true)
}

/// `drydock serve` in the checkout, as `cargo xtask serve` runs it; killed on drop.
struct Server {
    child: Child,
    address: String,
    log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path, token: &str, jira: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(dir)
        .env_remove("DRYDOCK_LIVE")
        .env_remove("DRYDOCK_CONFIG")
        .env_remove("DRYDOCK_PLUGINS")
        .env_remove("DRYDOCK_DATA_DIR")
        .env_remove("DRYDOCK_WORKFLOWS")
        .env("DRYDOCK_BOOTSTRAP_TOKEN", token)
        .env("JIRA_BASE_URL", format!("http://{jira}"))
        .env("JIRA_TOKEN", "demo-token-not-a-real-secret")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let serving = line_with(&mut stderr, "drydock is serving on http://");
    let address = serving.rsplit("http://").next().unwrap().to_owned();
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = log.clone();
    // Keep draining the server's log (so it never blocks on a full pipe), and keep it for a failure.
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in stderr.lines().map_while(Result::ok) {
            let _ = writeln!(sink.lock().unwrap(), "{line}");
        }
    });
    Server {
        child,
        address,
        log,
    }
}

/// One file's blocks as one bash script, each block after a marker line on stdout and stderr.
fn script(blocks: &[Block], server: &str, jira: &str) -> String {
    let mut script = String::from("set -euo pipefail\n");
    for (index, block) in blocks.iter().enumerate() {
        if block.skip.is_some() {
            continue;
        }
        let text = block
            .text
            .replace("127.0.0.1:8080", server)
            .replace("localhost:8080", server)
            .replace("127.0.0.1:8089", jira);
        // A newline first: the previous block's last answer may not end with one (curl prints bodies as is).
        writeln!(
            script,
            "printf '\\n@@block {index}@@\\n'; printf '\\n@@block {index}@@\\n' >&2"
        )
        .unwrap();
        script.push_str(&text);
    }
    script.push_str("printf '\\n@@end@@\\n'\n");
    script
}

/// What each block printed, by block index, from the marked output.
fn by_block(output: &str) -> Vec<(Option<usize>, String)> {
    let mut parts = vec![(None, String::new())];
    for line in output.lines() {
        if let Some(index) = line
            .strip_prefix("@@block ")
            .and_then(|rest| rest.strip_suffix("@@"))
        {
            parts.push((index.parse().ok(), String::new()));
        } else if line == "@@end@@" {
            parts.push((None, String::new()));
        } else {
            let last = &mut parts.last_mut().unwrap().1;
            last.push_str(line);
            last.push('\n');
        }
    }
    parts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_shell_block_runs_as_pasted() {
    require("curl");
    require("jq");
    let root = repository_root();
    let dir = tempfile::tempdir().unwrap();
    let checkout_dir = dir.path().join("drydock");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&checkout_dir).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    let peer = Peer::start().await;
    let jira = peer.addr.to_string();
    checkout(&root, &checkout_dir, &jira);
    let token = format!("snippet-token-{}", std::process::id());
    let server = serve(&checkout_dir, &token, &jira);
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_drydock")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let started = Instant::now();
    let mut report = String::new();
    let mut ran = 0;
    for file in documents(&root) {
        let name = file.strip_prefix(&root).unwrap().display().to_string();
        let blocks = shell_blocks(&file);
        let runnable = blocks.iter().filter(|b| b.skip.is_none()).count();
        ran += runnable;
        writeln!(
            report,
            "{name}: {runnable} blocks run, {} skipped",
            blocks.len() - runnable
        )
        .unwrap();
        if runnable == 0 {
            continue;
        }
        let mut bash = tokio::process::Command::new("bash");
        bash.arg("-c")
            .arg(script(&blocks, &server.address, &jira))
            .current_dir(&checkout_dir)
            .env("PATH", &path)
            .env("HOME", &home)
            .env("TOKEN", &token)
            .env("DRYDOCK_URL", format!("http://{}", server.address))
            .env("NO_COLOR", "1")
            .env("DRYDOCK_TOOLCHAINS", root.join("plugins/target/toolchains"))
            .env(
                "CARGO_TARGET_DIR",
                Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-project-rust"),
            )
            .env("CARGO_HOME", real_home_dir("CARGO_HOME", ".cargo"))
            .env("RUSTUP_HOME", real_home_dir("RUSTUP_HOME", ".rustup"))
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .process_group(0);
        for var in [
            "DRYDOCK_LIVE",
            "DRYDOCK_CONFIG",
            "DRYDOCK_PLUGINS",
            "DRYDOCK_DATA_DIR",
            "DRYDOCK_SERVER",
            "DRYDOCK_TOKEN",
            "DRYDOCK_BOOTSTRAP_TOKEN",
            "DRYDOCK_WORKFLOWS",
            "JIRA_BASE_URL",
            "JIRA_TOKEN",
        ] {
            bash.env_remove(var);
        }
        let child = bash.output();
        let output = match tokio::time::timeout(FILE_TIMEOUT, child).await {
            Ok(output) => output.unwrap(),
            Err(_) => panic!(
                "{name}: the blocks did not finish within {FILE_TIMEOUT:?}\nserver log:\n{}",
                server.log.lock().unwrap()
            ),
        };
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        if !output.status.success() || !stdout.contains("@@end@@") {
            let failed = by_block(&stdout)
                .iter()
                .rev()
                .find_map(|(index, _)| *index)
                .map(|index| {
                    let block = &blocks[index];
                    format!("the block at {name}:{}:\n{}", block.line, block.text)
                })
                .unwrap_or_else(|| "before its first block".into());
            panic!(
                "{name}: {failed}\nended with {}\nstdout:\n{stdout}\nstderr:\n{stderr}\nserver log:\n{}",
                output.status,
                server.log.lock().unwrap()
            );
        }
        for (index, printed) in by_block(&stdout) {
            let Some(index) = index else { continue };
            let block = &blocks[index];
            // Captured by the test harness unless `--nocapture`: what each block printed, to read it.
            eprintln!("---- {name}:{}\n{}{printed}", block.line, block.text);
            for expected in expected_strings(&block.text) {
                let expected = expected
                    .replace("127.0.0.1:8080", &server.address)
                    .replace("127.0.0.1:8089", &jira);
                assert!(
                    printed.contains(&expected),
                    "{name}:{}: the block's `# →` line promises `{expected}`, but it printed:\n{printed}",
                    block.line
                );
            }
        }
    }
    eprintln!(
        "{report}{ran} blocks ran in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(ran > 0, "no shell block was found: {report}");
    drop(server);
}

#[test]
fn skip_marks_and_expected_answers_are_read_as_documented() {
    assert_eq!(
        skip_class("<!-- snippet: skip (llm) -->").as_deref(),
        Some("llm")
    );
    assert_eq!(skip_class("<!-- a comment -->"), None);
    assert_eq!(
        expected_strings("curl x\n# → {\"status\": \"ok\", \"id\": \"…\"}\necho \"not me\"\n"),
        ["status", "ok", "id"]
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("doc.md");
    std::fs::write(
        &file,
        "text\n<!-- snippet: skip (paste) -->\n```sh\nexport X=1\n```\n```toml\na = 1\n```\n```bash\necho hi\n```\n",
    )
    .unwrap();
    let blocks = shell_blocks(&file);
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0].skip.as_deref(), Some("paste"));
    assert_eq!((blocks[1].line, blocks[1].text.as_str()), (9, "echo hi\n"));
    assert!(blocks[1].skip.is_none());
}

/// GitHub's anchor of a heading: lowercase, punctuation dropped (but `-` and `_`), spaces as `-`.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a markdown file's headings (outside fences).
fn anchors(file: &Path) -> Vec<String> {
    let mut in_fence = false;
    let mut found = Vec::new();
    for line in std::fs::read_to_string(file).unwrap().lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        } else if !in_fence && line.starts_with('#') {
            found.push(anchor(line.trim_start_matches('#')));
        }
    }
    found
}

#[test]
fn every_relative_link_of_the_docs_names_a_file_and_heading_that_exist() {
    let root = repository_root();
    let mut broken = Vec::new();
    for file in documents(&root) {
        let text = std::fs::read_to_string(&file).unwrap();
        for target in text.split("](").skip(1).filter_map(|s| s.split(')').next()) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (path, heading) = target.split_once('#').unwrap_or((target, ""));
            let linked = if path.is_empty() {
                file.clone()
            } else {
                file.parent().unwrap().join(path)
            };
            let exists = linked.exists();
            let heading_ok =
                heading.is_empty() || (exists && anchors(&linked).iter().any(|a| a == heading));
            if !exists || !heading_ok {
                broken.push(format!(
                    "{}: {target}",
                    file.strip_prefix(&root).unwrap().display()
                ));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert_eq!(
        anchor("Try the API in five commands"),
        "try-the-api-in-five-commands"
    );
}
