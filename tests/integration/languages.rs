//! The conformance suite for plugins written in other languages: the same `notes` tool set, built with each
//! language's SDK, must behave exactly as the contract says — described, schema-checked before it runs,
//! HTTP reads out and dry-run writes simulated, live only with every key, files confined and written in a
//! scratch copy, only granted env and secrets, the call-tool depth limit, crashes and limits reported
//! cleanly. Every case runs for every language and names the language when it fails.
//!
//! Languages: Rust (`plugins/notes`, the Rust SDK), Python (`plugins/notes-py`, componentize-py) and
//! JavaScript (`plugins/notes-js`, componentize-js); the Python and JavaScript components are built by
//! `cargo xtask plugins`, the Rust one with the other Rust plugins.

use drydock_policy::Outcome;
use drydock_runtime::{Limits, Runtime};
use drydock_tests::peer::Peer;
use drydock_tests::plugins::componentized;
use serde_json::{Value, json};

use crate::support::{HostOptions, as_text, dry, effects_with, err_code, host, live, ok};

/// `(language, plugin name)`: the plugin's component is `<plugin>.wasm`, its tools `<plugin>.<tool>`.
const LANGUAGES: &[(&str, &str)] = &[
    ("rust", "notes"),
    ("python", "notes_py"),
    ("javascript", "notes_js"),
];

/// The built component of `plugin`: Rust plugins are built by the plugin workspace, the others by their
/// language's toolchain.
fn component(language: &str, plugin: &str) -> String {
    if language == "rust" {
        format!("{}/{plugin}.wasm", drydock_tests::plugins::PLUGIN_DIR)
    } else {
        componentized(plugin)
    }
}

const SECRET: &str = "conformance-secret-value-7f3a";

/// A workspace with one note, the peer, and a runtime for `plugin` granted both (and one secret, one env
/// variable), with the master switch as given and `live = ["http"]`.
struct Fixture {
    plugin: &'static str,
    language: &'static str,
    workspace: tempfile::TempDir,
    peer: Peer,
    runtime: Runtime,
}

impl Fixture {
    async fn new(language: &'static str, plugin: &'static str, master_switch: bool) -> Self {
        let workspace = tempfile::tempdir().unwrap();
        std::fs::write(workspace.path().join("today.md"), "buy milk\nwrite tests\n").unwrap();
        let peer = Peer::start().await;
        let policy = format!(
            "[plugins.{plugin}]\n\
             fs = [{{ path = {:?}, access = \"rw\" }}]\n\
             http = [{{ url = \"{}/\", methods = [\"GET\", \"POST\"] }}]\n\
             secrets = [\"NOTES_SECRET\"]\n\
             env = [\"NOTES_VISIBLE\"]\n\
             live = [\"http\"]\n",
            workspace.path().display().to_string(),
            peer.base_url()
        );
        let options = HostOptions {
            master_switch,
            secrets: vec![("NOTES_SECRET", SECRET)],
            env: vec![("NOTES_VISIBLE", "shown"), ("NOTES_HIDDEN", "hidden")],
            limits: Some(Limits {
                timeout: std::time::Duration::from_secs(3),
                ..Limits::default()
            }),
            ..HostOptions::default()
        };
        let runtime = host(&policy, &[&component(language, plugin)], options).await;
        Self {
            plugin,
            language,
            workspace,
            peer,
            runtime,
        }
    }

    fn tool(&self, name: &str) -> String {
        format!("{}.{name}", self.plugin)
    }

    async fn dry(&self, tool: &str, args: Value) -> drydock_runtime::InvocationReport {
        dry(&self.runtime, &self.tool(tool), args).await
    }

    fn say(&self, what: &str) -> String {
        format!("[{}] {what}", self.language)
    }
}

/// Every fixture, dry (master switch off).
async fn each_language() -> Vec<Fixture> {
    let mut all = Vec::new();
    for (language, plugin) in LANGUAGES {
        all.push(Fixture::new(language, plugin, false).await);
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_language_describes_its_tools_with_their_schemas() {
    for f in each_language().await {
        let tools = f.runtime.tools();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
        for tool in [
            "read", "write", "search", "fetch", "post", "env", "secret", "call", "report",
        ] {
            assert!(
                names.contains(&f.tool(tool).as_str()),
                "{}",
                f.say(&format!("`{tool}` is not described: {names:?}"))
            );
        }
        let read = tools.iter().find(|t| t.name == f.tool("read")).unwrap();
        assert_eq!(
            read.input_schema["required"],
            json!(["path"]),
            "{}",
            f.say("read's schema")
        );
        let report = f.dry("search", json!({"text": "milk"})).await;
        assert_eq!(
            ok(&report)["matches"][0]["path"],
            "today.md",
            "{}",
            f.say("search")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_language_gets_arguments_that_fail_the_schema_refused_before_it_runs() {
    for f in each_language().await {
        let report = f.dry("read", json!({"path": 5})).await;
        assert_eq!(
            err_code(&report),
            "invalid_input",
            "{}",
            f.say("wrong type")
        );
        let report = f.dry("read", json!({"path": "today.md", "extra": 1})).await;
        assert_eq!(
            err_code(&report),
            "invalid_input",
            "{}",
            f.say("unknown field")
        );
        assert!(report.record.effects.is_empty(), "{}", f.say("nothing ran"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_language_reads_over_http_simulates_dry_posts_and_is_denied_ungranted_hosts() {
    for f in each_language().await {
        let base = f.peer.base_url();
        let read = f
            .dry(
                "fetch",
                json!({"url": format!("{base}/rest/api/2/issue/ABC-1")}),
            )
            .await;
        assert_eq!(ok(&read)["status"], 200, "{}", f.say("fetch"));
        assert_eq!(f.peer.count(), 1, "{}", f.say("the read went out"));
        assert_eq!(
            effects_with(&read, Outcome::Read).len(),
            1,
            "{}",
            f.say("read journaled")
        );

        let post = f
            .dry(
                "post",
                json!({"url": format!("{base}/notes"), "text": "hello"}),
            )
            .await;
        assert_eq!(ok(&post)["simulated"], true, "{}", f.say("post simulated"));
        assert_eq!(
            f.peer.count(),
            1,
            "{}",
            f.say("a dry-run POST never reaches the peer")
        );
        assert_eq!(
            effects_with(&post, Outcome::Simulated).len(),
            1,
            "{}",
            f.say("post journaled")
        );

        let away = f
            .dry("fetch", json!({"url": "http://collector.invalid/x"}))
            .await;
        assert_eq!(
            err_code(&away),
            "tool_denied",
            "{}",
            f.say("ungranted host")
        );
        assert_eq!(
            effects_with(&away, Outcome::Denied).len(),
            1,
            "{}",
            f.say("denial journaled")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_language_posts_live_only_when_every_key_turns() {
    for (language, plugin) in LANGUAGES {
        let f = Fixture::new(language, plugin, true).await;
        let url = format!("{}/notes", f.peer.base_url());
        let report = live(
            &f.runtime,
            &f.tool("post"),
            json!({"url": url, "text": "for real"}),
        )
        .await;
        assert_eq!(ok(&report)["simulated"], false, "{}", f.say("live post"));
        assert_eq!(
            f.peer.count(),
            1,
            "{}",
            f.say("the live POST went out once")
        );
        // The same call without asking for live stays dry.
        let report = f
            .dry("post", json!({"url": url, "text": "rehearsal"}))
            .await;
        assert_eq!(ok(&report)["simulated"], true, "{}", f.say("dry post"));
        assert_eq!(f.peer.count(), 1, "{}", f.say("still once"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_language_reads_files_writes_in_a_scratch_copy_and_cannot_escape() {
    for f in each_language().await {
        let read = f.dry("read", json!({"path": "today.md"})).await;
        assert_eq!(
            ok(&read)["content"],
            "buy milk\nwrite tests\n",
            "{}",
            f.say("read")
        );

        let write = f
            .dry(
                "write",
                json!({"path": "today.md", "content": "replaced\n"}),
            )
            .await;
        ok(&write);
        let on_disk = std::fs::read_to_string(f.workspace.path().join("today.md")).unwrap();
        assert_eq!(
            on_disk,
            "buy milk\nwrite tests\n",
            "{}",
            f.say("the original is untouched")
        );
        let diff = write
            .record
            .artifacts
            .iter()
            .find(|a| a.name == "workspace.diff")
            .unwrap_or_else(|| panic!("{}", f.say("no diff artifact")));
        let text = String::from_utf8_lossy(&diff.content);
        assert!(
            text.contains("+replaced"),
            "{}",
            f.say(&format!("diff: {text}"))
        );
        assert_eq!(
            effects_with(&write, Outcome::Simulated).len(),
            1,
            "{}",
            f.say("write journaled")
        );

        for path in ["/etc/passwd", "/workspace/../../etc/passwd"] {
            let peek = f.dry("peek", json!({"path": path})).await;
            assert_eq!(err_code(&peek), "tool_denied", "{}", f.say(path));
            assert!(
                !as_text(&peek).contains("root:"),
                "{}",
                f.say("nothing leaked")
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_language_sees_only_granted_env_and_secrets_and_never_journals_a_secret() {
    for f in each_language().await {
        let shown = f.dry("env", json!({"name": "NOTES_VISIBLE"})).await;
        assert_eq!(ok(&shown)["value"], "shown", "{}", f.say("granted env"));
        let hidden = f.dry("env", json!({"name": "NOTES_HIDDEN"})).await;
        assert_eq!(
            ok(&hidden)["value"],
            Value::Null,
            "{}",
            f.say("ungranted env")
        );

        let secret = f.dry("secret", json!({"name": "NOTES_SECRET"})).await;
        assert_eq!(
            ok(&secret)["length"],
            SECRET.len(),
            "{}",
            f.say("secret read")
        );
        assert!(
            !as_text(&secret).contains(SECRET),
            "{}",
            f.say("the secret leaked")
        );
        let ungranted = f.dry("secret", json!({"name": "OTHER_SECRET"})).await;
        assert_eq!(
            err_code(&ungranted),
            "tool_denied",
            "{}",
            f.say("an ungranted secret is denied")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_language_calls_tools_and_meets_the_depth_limit() {
    for f in each_language().await {
        let once = f
            .dry(
                "call",
                json!({"tool": f.tool("read"), "args": {"path": "today.md"}}),
            )
            .await;
        assert_eq!(
            ok(&once)["result"]["content"],
            "buy milk\nwrite tests\n",
            "{}",
            f.say("call")
        );

        let mut args = json!({"tool": f.tool("read"), "args": {"path": "today.md"}});
        for _ in 0..12 {
            args = json!({"tool": f.tool("call"), "args": args});
        }
        let deep = f.dry("call", args).await;
        assert!(
            deep.outcome.is_err(),
            "{}",
            f.say("12 nested calls went through")
        );
        assert!(
            as_text(&deep).contains("depth"),
            "{}",
            f.say(&as_text(&deep))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_language_reports_artifacts_crashes_and_broken_limits_cleanly() {
    for f in each_language().await {
        let report = f.dry("report", json!({"title": "Weekly"})).await;
        assert_eq!(ok(&report)["mode"], "dry-run", "{}", f.say("mode"));
        assert!(
            report
                .record
                .artifacts
                .iter()
                .any(|a| a.name == "report.md"),
            "{}",
            f.say("artifact kept")
        );

        let crash = f
            .dry("crash", json!({"message": "the notes are on fire"}))
            .await;
        assert_eq!(err_code(&crash), "trap", "{}", f.say("crash"));
        let said = crash.outcome.as_ref().unwrap_err().to_string();
        assert!(
            said.contains("the notes are on fire"),
            "{}",
            f.say("the trap names the plugin's message")
        );
        assert!(
            !said.contains("wasm backtrace"),
            "{}",
            f.say(&format!(
                "the interpreter's frame offsets are left out: {said}"
            ))
        );

        let spin = f.dry("spin", json!({})).await;
        assert_eq!(err_code(&spin), "timeout", "{}", f.say("timeout"));
        let hog = f.dry("hog", json!({})).await;
        assert_eq!(err_code(&hog), "memory_limit", "{}", f.say("memory"));

        // The plugin still answers after all that.
        let again = f.dry("read", json!({"path": "today.md"})).await;
        ok(&again);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_languages_component_is_compiled_once_and_then_loaded_from_the_cache() {
    use drydock_runtime::{HostValues, RuntimeConfig, StaticValues};
    // Compiling a Python or JavaScript component takes seconds (it carries an interpreter); a restart must
    // not pay that again.
    let cache = tempfile::tempdir().unwrap();
    let start = || {
        Runtime::new(
            RuntimeConfig {
                cache_dir: Some(cache.path().to_path_buf()),
                ..RuntimeConfig::default()
            },
            drydock_policy::Policy::empty(),
            HostValues {
                secrets: std::sync::Arc::new(StaticValues::default()),
                env: std::sync::Arc::new(StaticValues::default()),
            },
        )
        .unwrap()
    };
    for (language, plugin) in LANGUAGES {
        let file = component(language, plugin);
        let first = start().check_file(file.as_ref()).await.unwrap();
        assert!(!first.from_cache, "[{language}] the first load compiles");
        let second = start().check_file(file.as_ref()).await.unwrap();
        assert!(second.from_cache, "[{language}] the second load is cached");
        assert!(
            second
                .tools
                .iter()
                .any(|t| t.name == format!("{plugin}.read")),
            "[{language}] {:?}",
            second.tools
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_whose_describe_throws_is_refused_with_its_message_and_the_others_load() {
    // Each language's fixture raises in `describe`; each sits beside that language's working plugin.
    let files: Vec<std::path::PathBuf> = [
        "hostile_py_describe",
        "notes_py",
        "hostile_js_describe",
        "notes_js",
    ]
    .iter()
    .map(|name| componentized(name).into())
    .collect();
    let runtime = Runtime::new(
        drydock_runtime::RuntimeConfig {
            cache_dir: Some(
                std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("drydock-compile-cache"),
            ),
            ..drydock_runtime::RuntimeConfig::default()
        },
        drydock_policy::Policy::empty(),
        drydock_runtime::HostValues {
            secrets: std::sync::Arc::new(drydock_runtime::StaticValues::default()),
            env: std::sync::Arc::new(drydock_runtime::StaticValues::default()),
        },
    )
    .unwrap();
    let report = runtime.load_files(&files).await;
    let loaded: Vec<&str> = report.loaded.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(loaded, ["notes_py", "notes_js"], "{:?}", report.failed);
    assert_eq!(report.failed.len(), 2);
    for failure in &report.failed {
        let said = failure.error.to_string();
        assert!(
            said.contains("describe is broken on purpose"),
            "{}: {said}",
            failure.file.display()
        );
    }
    let tools: Vec<String> = runtime.tools().into_iter().map(|t| t.name).collect();
    assert!(
        tools.iter().all(|t| !t.starts_with("hostile_")),
        "nothing of a refused plugin is offered: {tools:?}"
    );
    assert!(
        tools.contains(&"notes_py.read".to_owned()) && tools.contains(&"notes_js.read".to_owned())
    );
}
