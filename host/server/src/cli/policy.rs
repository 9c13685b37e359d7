//! `drydock policy suggest --execution ID | --session ID | --run ID`: asks a running server (as an operator)
//! for the smallest grants that cover what a traced run used, and prints the suggested policy file, its
//! diff against the file the server runs on, and every grant the trace never used.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{ArgGroup, Args, Subcommand};
use serde_json::Value;

use super::client::{self, ServerArgs};
use super::shown;

/// `drydock policy ...`.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// The least-privilege policy for a traced run: the grants narrowed to what it used.
    Suggest(SuggestArgs),
}

/// What to trace, and how to print the suggestion.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("trace").required(true).args(["execution", "session", "run"])))]
pub struct SuggestArgs {
    /// The server (you must be logged in to it as an operator).
    #[command(flatten)]
    server: ServerArgs,
    /// A plan node execution's correlation id.
    #[arg(long)]
    execution: Option<String>,
    /// A session: every execution of its current plan (its rehearsal).
    #[arg(long)]
    session: Option<String>,
    /// A workflow run id.
    #[arg(long)]
    run: Option<String>,
    /// Also write the suggested policy file here (the server's own file is never changed).
    #[arg(long, value_name = "FILE")]
    write: Option<PathBuf>,
    /// Print the server's whole answer as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `drydock policy ...`.
pub async fn run(command: PolicyCommand) -> anyhow::Result<ExitCode> {
    let PolicyCommand::Suggest(args) = command;
    let server = client::connect(&args.server)?;
    let (key, id) = [
        ("execution", &args.execution),
        ("session", &args.session),
        ("run", &args.run),
    ]
    .into_iter()
    .find_map(|(key, id)| id.as_ref().map(|id| (key, id)))
    .context("name a trace: --execution, --session or --run")?;
    // Ids are UUIDs, but a typo must not become another query parameter.
    let id = drydock_policy::secret_forms::percent_encode(id, true);
    let path = format!("/api/policy/suggest?{key}={id}");
    let answer = server.get(&path).await?;
    if answer.status != 200 {
        bail!(
            "the server refused the suggestion: {}",
            answer.error_message()
        );
    }
    let body = answer.body;
    if let Some(file) = &args.write {
        let policy = body["policy"]
            .as_str()
            .context("the server's answer has no `policy` text")?;
        std::fs::write(file, policy).with_context(|| {
            format!("cannot write the suggested policy to `{}`", file.display())
        })?;
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&body)?)?;
    } else {
        print_readable(&body, args.write.as_ref(), &mut out)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The suggested file, the diff, then what happened to each grant and the notes.
fn print_readable(
    body: &Value,
    written: Option<&PathBuf>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let text = |key: &str| body[key].as_str().unwrap_or_default();
    let list = |key: &str| body[key].as_array().cloned().unwrap_or_default();
    writeln!(
        out,
        "# Suggested policy (from {} effects of {}; edits {})",
        body["effects"],
        list("traced")
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        text("policyFile")
    )?;
    write!(out, "{}", text("policy"))?;
    writeln!(out)?;
    if text("diff").is_empty() {
        writeln!(out, "# Diff: none, every traced grant was used as written")?;
    } else {
        writeln!(out, "# Diff against {}", text("policyFile"))?;
        write!(out, "{}", text("diff"))?;
    }
    writeln!(out)?;
    writeln!(out, "# Grants")?;
    for change in list("changes") {
        writeln!(
            out,
            "{:<9} {}: {} ({})",
            change["change"].as_str().unwrap_or_default(),
            shown::line(change["plugin"].as_str().unwrap_or_default()),
            shown::line(change["grant"].as_str().unwrap_or_default()),
            shown::line(change["note"].as_str().unwrap_or_default()),
        )?;
    }
    let unused = list("unusedGrants");
    if unused.is_empty() {
        writeln!(out, "Never used: none")?;
    } else {
        writeln!(out, "Never used ({}):", unused.len())?;
        for grant in unused.iter().filter_map(Value::as_str) {
            writeln!(out, "  {}", shown::line(grant))?;
        }
    }
    for note in list("notes").iter().filter_map(Value::as_str) {
        writeln!(out, "note: {}", shown::line(note))?;
    }
    if let Some(file) = written {
        writeln!(
            out,
            "The suggested policy was written to {}",
            file.display()
        )?;
    }
    Ok(out.flush()?)
}
