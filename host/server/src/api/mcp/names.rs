//! The names MCP clients see for Drydock's tools.
//!
//! Drydock names a tool `<plugin>.<tool>`. The MCP specification allows dots in tool names, but many hosts
//! accept only `^[a-zA-Z0-9_-]{1,64}$`: Claude Desktop and claude.ai refuse a server's whole tool list when
//! one name has a dot, and the model APIs behind several agents (OpenAI's, GitHub Copilot's) refuse such a
//! name in a request. So a tool is listed under its Drydock name with each `.` written `_` (`echo.echo` is
//! listed as `echo_echo`). Its Drydock name is in the tool's `_meta` (`dev.drydock/tool`), and `tools/call`
//! takes either name.
//!
//! `_` is also a letter of plugin and tool names, so two tools can meet under one listed name (`a_b.c` and
//! `a.b_c`), and a plugin's tool can meet a built-in one (`drydock.plan_status`). Neither may win by load
//! order, and a built-in name is always the built-in's: every tool of such a group is listed as its name cut
//! to 55 characters, `_`, and 8 hex digits of a hash of its Drydock name, the same on every server for the
//! same names. No listed name is ever shared: a hashed name that meets another listed name (no real set of
//! names does) is left out of the list, with a warning in the log; that tool is still called by its Drydock
//! name.

use std::collections::{BTreeMap, HashMap};

use drydock_runtime::Runtime;

use super::plan_tools;

/// The longest tool name the strictest hosts accept.
pub const MAX_LEN: usize = 64;

/// Hex digits of the hash a name that meets another one ends with.
const HASH_DIGITS: usize = 8;

/// The Drydock name `tool` with each `.` written `_`.
pub fn plain(tool: &str) -> String {
    tool.replace('.', "_")
}

/// Whether `tool`'s plain name is `listed`, without building it (this runs on every call).
fn plain_is(tool: &str, listed: &str) -> bool {
    tool.len() == listed.len()
        && tool
            .bytes()
            .zip(listed.bytes())
            .all(|(t, l)| t == l || (t == b'.' && l == b'_'))
}

/// The listed name of a tool whose plain name meets another: the plain name cut so that the whole stays
/// within [`MAX_LEN`], `_`, and 8 hex digits of FNV-1a over the Drydock name (stable across builds and
/// platforms, unlike the standard library's hasher; not a secret, only a tiebreak).
fn hashed(tool: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in tool.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let folded = (hash >> 32) as u32 ^ hash as u32;
    let head: String = plain(tool)
        .chars()
        .take(MAX_LEN - 1 - HASH_DIGITS)
        .collect();
    format!("{head}_{folded:08x}")
}

/// Whether `name` has the shape of [`hashed`]'s names: `_` and 8 lowercase hex digits at the end.
fn could_be_tiebroken(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() > HASH_DIGITS + 1
        && bytes[bytes.len() - HASH_DIGITS - 1] == b'_'
        && bytes[bytes.len() - HASH_DIGITS..]
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

/// The listed names of one set of tools, both ways.
#[derive(Debug, Default)]
pub struct McpNames {
    /// listed name → Drydock name.
    tools: BTreeMap<String, String>,
    /// Drydock name → listed name.
    listed: HashMap<String, String>,
}

impl McpNames {
    /// The listed names of `tools` (Drydock names), beside the built-in tools.
    pub fn new<'a>(tools: impl IntoIterator<Item = &'a str>) -> Self {
        let reserved = |name: &str| plan_tools::NAMES.contains(&name);
        let mut groups: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for tool in tools {
            groups.entry(plain(tool)).or_default().push(tool);
        }
        let mut names = Self::default();
        let mut tiebroken = Vec::new();
        for (name, members) in groups {
            match members.as_slice() {
                [tool] if !reserved(&name) => names.insert(name, tool),
                _ => tiebroken.extend(members.into_iter().map(|tool| (hashed(tool), tool))),
            }
        }
        let mut uses: HashMap<&str, usize> = HashMap::new();
        for (name, _) in &tiebroken {
            *uses.entry(name.as_str()).or_default() += 1;
        }
        for (name, tool) in &tiebroken {
            if uses[name.as_str()] > 1 || reserved(name) || names.tools.contains_key(name) {
                tracing::warn!(
                    tool,
                    listed = name,
                    "an MCP tool name meets another; the tool is left out of tools/list and is called by its \
                     Drydock name"
                );
                continue;
            }
            names.insert(name.clone(), tool);
        }
        names
    }

    fn insert(&mut self, listed: String, tool: &str) {
        self.listed.insert(tool.to_owned(), listed.clone());
        self.tools.insert(listed, tool.to_owned());
    }

    /// The name `tool` is listed under, if it is listed.
    pub fn listed(&self, tool: &str) -> Option<&str> {
        self.listed.get(tool).map(String::as_str)
    }

    /// The Drydock name of the tool listed as `listed`.
    pub fn tool(&self, listed: &str) -> Option<&str> {
        self.tools.get(listed).map(String::as_str)
    }
}

/// The loaded tool a client asked for by `requested`, its listed name or its Drydock name, as a Drydock
/// name; `None` when no loaded tool goes by it.
pub fn resolve(runtime: &Runtime, requested: &str) -> Option<String> {
    if requested.contains('.') {
        return runtime.has_tool(requested).then(|| requested.to_owned());
    }
    if requested.len() > MAX_LEN || plan_tools::NAMES.contains(&requested) {
        return None;
    }
    // The usual case without building the table: one tool is written this way, so it is listed so.
    let mut written_so = runtime.tool_names_where(|tool| plain_is(tool, requested));
    if written_so.len() == 1 {
        return written_so.pop();
    }
    // Otherwise only a tiebroken name can be listed as `requested`; what cannot be one (most unknown names)
    // is refused without the table.
    if !could_be_tiebroken(requested) {
        return None;
    }
    let every = runtime.tool_names_where(|_| true);
    McpNames::new(every.iter().map(String::as_str))
        .tool(requested)
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the strictest hosts accept (Claude Desktop's check).
    fn host_accepts(name: &str) -> bool {
        (1..=MAX_LEN).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }

    #[test]
    fn a_tool_is_listed_with_underscores_for_dots_and_found_again_by_that_name() {
        let names = McpNames::new(["echo.echo", "workspace.write_file", "files.dir.list"]);
        assert_eq!(names.listed("echo.echo"), Some("echo_echo"));
        assert_eq!(
            names.listed("workspace.write_file"),
            Some("workspace_write_file")
        );
        assert_eq!(names.listed("files.dir.list"), Some("files_dir_list"));
        assert_eq!(names.tool("files_dir_list"), Some("files.dir.list"));
        assert_eq!(
            names.tool("files.dir.list"),
            None,
            "the table holds listed names only"
        );
        assert_eq!(names.tool("nothing_here"), None);
    }

    #[test]
    fn tools_that_meet_under_one_name_are_each_listed_apart_whatever_their_order() {
        let one = McpNames::new(["a_b.c", "a.b_c", "other.tool"]);
        let two = McpNames::new(["other.tool", "a.b_c", "a_b.c"]);
        let (first, second) = (one.listed("a_b.c").unwrap(), one.listed("a.b_c").unwrap());
        assert_ne!(first, second);
        assert!(
            first.starts_with("a_b_c_") && second.starts_with("a_b_c_"),
            "{first} {second}"
        );
        assert_eq!(
            one.listed("a_b.c"),
            two.listed("a_b.c"),
            "not decided by load order"
        );
        assert_eq!(one.listed("a.b_c"), two.listed("a.b_c"));
        assert_eq!(one.tool(first), Some("a_b.c"));
        assert_eq!(one.tool(second), Some("a.b_c"));
        assert_eq!(one.tool("a_b_c"), None, "neither takes the plain name");
        assert_eq!(one.listed("other.tool"), Some("other_tool"));
    }

    #[test]
    fn a_plugin_tool_never_takes_a_built_in_name() {
        let names = McpNames::new(["drydock.plan_status", "drydock.execute_plan"]);
        for tool in ["drydock.plan_status", "drydock.execute_plan"] {
            let listed = names.listed(tool).unwrap();
            assert!(!plan_tools::NAMES.contains(&listed), "{listed}");
            assert_eq!(names.tool(listed), Some(tool));
        }
        assert_eq!(names.tool("drydock_plan_status"), None);
    }

    #[test]
    fn every_listed_name_is_one_the_strictest_hosts_accept() {
        // Two tools of the longest name Drydock allows that meet: both hashed names stay within 64.
        let longest = format!("p_q.{}", "t".repeat(60));
        let twin = format!("p.q_{}", "t".repeat(60));
        let tools = [
            longest.as_str(),
            twin.as_str(),
            "p.t-1",
            "x_y.z",
            "x.y_z",
            "drydock.propose_plan",
        ];
        let names = McpNames::new(tools);
        for tool in tools {
            let listed = names
                .listed(tool)
                .unwrap_or_else(|| panic!("{tool} is listed"));
            assert!(host_accepts(listed), "{tool} → {listed}");
            assert_eq!(names.tool(listed), Some(tool));
        }
        assert_eq!(names.listed(&longest).unwrap().len(), MAX_LEN);
        assert_ne!(names.listed(&longest), names.listed(&twin));
    }

    #[test]
    fn every_tiebroken_name_has_the_shape_the_call_path_looks_for() {
        let names = McpNames::new(["a_b.c", "a.b_c", "drydock.plan_status", "echo.echo"]);
        for tool in ["a_b.c", "a.b_c", "drydock.plan_status"] {
            let listed = names.listed(tool).unwrap();
            assert!(could_be_tiebroken(listed), "{listed}");
        }
        for plain in [
            "echo_echo",
            "a_b_c",
            "x_1234567",
            "x_1234567g",
            "_12345678x",
        ] {
            assert!(!could_be_tiebroken(plain), "{plain}");
        }
    }

    #[test]
    fn the_plain_check_on_the_call_path_agrees_with_the_table() {
        for (tool, listed, same) in [
            ("echo.echo", "echo_echo", true),
            ("echo.echo", "echo.echo", true),
            ("echo_echo", "echo.echo", false),
            ("echo.echo", "echo_ech", false),
            ("a.b.c", "a_b_c", true),
        ] {
            assert_eq!(plain_is(tool, listed), same, "{tool} / {listed}");
            if !listed.contains('.') {
                assert_eq!(plain(tool) == listed, same, "{tool} / {listed}");
            }
        }
    }
}
