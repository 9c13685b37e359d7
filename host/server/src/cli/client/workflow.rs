//! `workflow list` and `workflow run`: the workflows the server offers, and running one interactively —
//! its inputs asked one by one, `Step <name> started` / `ended` as the run goes, each validated step's
//! results followed by `Continue (Y/n)?`.

use std::io::Write;

use anyhow::{Context, bail};
use serde_json::Value;

use super::http::Server;
use super::shell::Terminal;
use super::spinner;
use crate::cli::shown;

/// The icon shown before a workflow that names none.
const DEFAULT_ICON: &str = "🛠";

/// Prints `1. <icon> <name> - <description>` for each workflow.
pub async fn list(server: &Server, out: &mut impl Write) -> anyhow::Result<()> {
    let workflows = fetch(server).await?;
    if workflows.is_empty() {
        writeln!(
            out,
            "No workflows yet: an operator adds them with PUT /api/workflows/<name>."
        )?;
    }
    for (i, workflow) in workflows.iter().enumerate() {
        writeln!(
            out,
            "{}. {} {} - {}",
            i + 1,
            shown::line(workflow["icon"].as_str().unwrap_or(DEFAULT_ICON)),
            shown::line(workflow["name"].as_str().unwrap_or_default()),
            shown::line(workflow["description"].as_str().unwrap_or_default())
        )?;
    }
    Ok(out.flush()?)
}

async fn fetch(server: &Server) -> anyhow::Result<Vec<Value>> {
    let answer = spinner::spin("fetching workflows", server.get("/api/workflows")).await?;
    if answer.status != 200 {
        bail!("listing workflows failed: {}", answer.error_message());
    }
    answer
        .body
        .as_array()
        .cloned()
        .context("the server's workflow list is not a JSON array")
}

/// What an answer to `Continue (Y/n)?` means.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ContinueAnswer {
    /// Empty, `y` or `yes`: the step's results are accepted.
    Accept,
    /// `n` or `no`: rejected; feedback for a re-run is asked next.
    Reject,
    /// Anything else: a rejection whose feedback is the text itself (never silently taken as a yes).
    Feedback(String),
}

impl ContinueAnswer {
    fn of(line: &str) -> Self {
        match line.trim().to_lowercase().as_str() {
            "" | "y" | "yes" => ContinueAnswer::Accept,
            "n" | "no" => ContinueAnswer::Reject,
            _ => ContinueAnswer::Feedback(line.trim().to_owned()),
        }
    }
}

/// `name=value` pairs for `--input`.
pub fn parse_inputs(pairs: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    pairs
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
                .filter(|(k, _)| !k.is_empty())
                .with_context(|| format!("--input `{pair}` must be NAME=VALUE"))
        })
        .collect()
}

/// Runs workflow `name`: asks its inputs one by one (`preset` answers some in advance), starts the run,
/// prints `Step <name> started` / `ended` as it goes, asks the run's questions, and shows each step that
/// needs validation followed by `Continue (Y/n)?` (`yes` accepts without asking). Returns whether the run
/// completed.
pub async fn run(
    server: &Server,
    name: &str,
    preset: Vec<(String, String)>,
    yes: bool,
    term: &mut Terminal,
) -> anyhow::Result<bool> {
    let name = resolve(server, name).await?;
    let workflows = fetch(server).await?;
    let spec = workflows
        .iter()
        .find(|w| w["name"] == name.as_str())
        .with_context(|| format!("no workflow `{name}`; see `workflow list`"))?;
    let mut inputs = serde_json::Map::new();
    for input in spec["inputs"].as_array().into_iter().flatten() {
        let input_name = input["name"].as_str().unwrap_or_default().to_owned();
        let value = match preset.iter().find(|(k, _)| *k == input_name) {
            Some((_, v)) => v.clone(),
            None => {
                let default = input["default"].as_str().map(str::to_owned).or_else(|| {
                    input
                        .get("default")
                        .filter(|d| !d.is_null())
                        .map(Value::to_string)
                });
                let prompt = match &default {
                    Some(d) => format!("{input_name} [{d}]: "),
                    None => format!("{input_name}: "),
                };
                match (term.ask(&prompt).await?, default) {
                    // Nothing typed (or nothing to read, in a script): the server applies the default.
                    (None, Some(_)) => continue,
                    (Some(line), Some(_)) if line.trim().is_empty() => continue,
                    (Some(line), _) => line,
                    (None, None) => bail!(
                        "workflow input `{input_name}` has no default and there is nothing to answer it: pass \
                         --input {input_name}=<value>"
                    ),
                }
            }
        };
        // Sent as text: the engine converts it to the input's declared type (and says so if it cannot).
        inputs.insert(input_name, Value::String(value));
    }
    let answer = spinner::spin(
        "starting",
        server.post(
            &format!("/api/workflows/{name}/runs"),
            &serde_json::json!({ "inputs": inputs }),
        ),
    )
    .await?;
    if answer.status != 201 {
        bail!("starting `{name}` failed: {}", answer.error_message());
    }
    let mut run = answer.body;
    let id = run["runId"]
        .as_str()
        .context("the run has no id")?
        .to_owned();
    let mut shown = Shown::default();
    loop {
        shown.print_steps(&run, term)?;
        let status = run["status"].as_str().unwrap_or_default().to_owned();
        let question = run["question"].clone();
        let next = match status.as_str() {
            "waiting_input" => {
                let prompt = question["prompt"].as_str().unwrap_or("answer");
                let choices = question["choices"].as_array().cloned().unwrap_or_default();
                let suggestions = question["suggestions"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let mut options: Vec<&str> = Vec::new();
                for option in choices.iter().chain(&suggestions).filter_map(Value::as_str) {
                    if !options.contains(&option) {
                        options.push(option);
                    }
                }
                let prompt = if options.is_empty() {
                    format!("{prompt} ")
                } else {
                    format!("{prompt} ({}) ", options.join("/"))
                };
                let step = question["step"].as_str().unwrap_or_default().to_owned();
                let line = match preset.iter().find(|(k, _)| *k == step) {
                    Some((_, value)) => {
                        term.say(&format!("{prompt}{value}   (from --input {step}=…)"))?;
                        value.clone()
                    }
                    None => match term.ask(&prompt).await? {
                        Some(line) => line,
                        None => bail!(
                            "the run {id} waits for input `{step}` (\"{}\") and there is nothing to answer it: \
                             pass --input {step}=<value>, or answer it later with POST /api/runs/{id}/answers",
                            prompt.trim_end()
                        ),
                    },
                };
                server
                    .post(
                        &format!("/api/runs/{id}/answers"),
                        &serde_json::json!({ "questionUuid": question["questionUuid"], "value": line }),
                    )
                    .await?
            }
            "waiting_validation" => {
                let step = question["step"].as_str().unwrap_or_default().to_owned();
                term.say("Results:")?;
                for line in results(&question["output"]) {
                    term.say(&format!("- {line}"))?;
                }
                let answer = if yes {
                    ContinueAnswer::Accept
                } else {
                    let Some(line) = term.ask("Continue (Y/n)? ").await? else {
                        return Ok(false);
                    };
                    ContinueAnswer::of(&line)
                };
                let mut body = serde_json::json!({ "validated": answer == ContinueAnswer::Accept });
                match answer {
                    ContinueAnswer::Accept => {}
                    ContinueAnswer::Reject => {
                        if let Some(feedback) = term
                            .ask("Feedback for a re-run (empty to stop the run): ")
                            .await?
                            && !feedback.trim().is_empty()
                        {
                            body["feedback"] = Value::String(feedback);
                        }
                    }
                    ContinueAnswer::Feedback(feedback) => {
                        term.say("Taking that as your feedback: the step runs again with it.")?;
                        body["feedback"] = Value::String(feedback);
                    }
                }
                spinner::spin(
                    "working",
                    server.post(&format!("/api/runs/{id}/steps/{step}/validation"), &body),
                )
                .await?
            }
            "completed" => {
                term.say(&format!("Workflow {name} completed."))?;
                return Ok(true);
            }
            other => {
                let reason = run["failure"]["long"]
                    .as_str()
                    .or(run["failure"]["short"].as_str())
                    .unwrap_or_default();
                term.say(&format!("Workflow {name} ended: {other}. {reason}"))?;
                return Ok(false);
            }
        };
        if next.status != 200 {
            term.say(&format!(
                "The server refused that: {}",
                next.error_message()
            ))?;
            let again = server.get(&format!("/api/runs/{id}")).await?;
            run = again.body;
        } else {
            run = next.body;
        }
    }
}

/// Which step records were printed as started, with their effects, and as ended.
#[derive(Default)]
struct Shown {
    started: usize,
    detailed: usize,
    ended: usize,
}

impl Shown {
    /// Prints, in order, each step's start and (once it is over) its end, each line once.
    fn print_steps(&mut self, run: &Value, term: &mut Terminal) -> anyhow::Result<()> {
        let steps = run["steps"].as_array().cloned().unwrap_or_default();
        for (i, step) in steps.iter().enumerate() {
            let name = step["step"].as_str().unwrap_or("?");
            if i >= self.started {
                term.say(&format!("Step {name} started"))?;
                self.started = i + 1;
            }
            if i < self.ended {
                continue;
            }
            let status = step["status"].as_str();
            if i >= self.detailed && status.is_some_and(|s| s != "running") {
                for line in details(step) {
                    term.say(&line)?;
                }
                self.detailed = i + 1;
            }
            match status {
                Some("completed") => {
                    if step["nodeType"] == "output" {
                        for line in results(&step["output"]) {
                            term.say(&line)?;
                        }
                    }
                    term.say(&format!("Step {name} ended"))?;
                }
                Some("rejected") => term.say(&format!("Step {name} rejected"))?,
                Some("failed") => term.say(&format!(
                    "Step {name} failed: {}",
                    step["error"].as_str().unwrap_or_default()
                ))?,
                // Still running or waiting: its end (and what follows) comes later.
                _ => break,
            }
            self.ended = i + 1;
        }
        Ok(())
    }
}

/// What a finished (or waiting) step did: for a tool step, each effect on one line (`simulated`, `live`,
/// `read` or `denied`, what, why), or that it had none; then its `user_message` (an output node's message
/// is its output, printed with it).
fn details(step: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    if step["nodeType"] == "tool" {
        let effects = step["effects"].as_array().cloned().unwrap_or_default();
        if effects.is_empty() {
            lines.push("  no effects outside the sandbox".to_owned());
        }
        for effect in &effects {
            let text = |key: &str| effect[key].as_str().unwrap_or("?").to_owned();
            let reason = effect["reason"].as_str().unwrap_or_default();
            let mut line = format!(
                "  {} {} {}",
                text("outcome"),
                text("capability"),
                text("action")
            );
            if !reason.is_empty() {
                line.push_str(&format!(" ({reason})"));
            }
            lines.push(shown::line(&line).into_owned());
        }
    }
    if step["nodeType"] != "output"
        && let Some(message) = step["message"].as_str()
    {
        lines.extend(message.lines().map(|l| shown::line(l).into_owned()));
    }
    lines
}

/// A step's output as lines: text as it is, an object as `key: value` lines.
fn results(output: &Value) -> Vec<String> {
    match output {
        Value::Null => Vec::new(),
        Value::String(text) => text.lines().map(str::to_owned).collect(),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}: {s}"),
                other => format!("{k}: {other}"),
            })
            .collect(),
        Value::Array(items) => items.iter().flat_map(results).collect(),
        other => vec![other.to_string()],
    }
}

/// The workflow's name: `name` itself, or the name at that position of `workflow list`.
async fn resolve(server: &Server, name: &str) -> anyhow::Result<String> {
    let Ok(number) = name.parse::<usize>() else {
        return Ok(name.to_owned());
    };
    let workflows = fetch(server).await?;
    workflows
        .get(number.wrapping_sub(1))
        .and_then(|w| w["name"].as_str())
        .map(str::to_owned)
        .with_context(|| format!("there is no workflow number {number}; see `workflow list`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_name_value_pairs() {
        let parsed = parse_inputs(&["topic=spring = life".into(), "n=3".into()]).unwrap();
        assert_eq!(
            parsed,
            [
                ("topic".into(), "spring = life".into()),
                ("n".into(), "3".into())
            ]
        );
        assert!(parse_inputs(&["novalue".into()]).is_err());
        assert!(parse_inputs(&["=x".into()]).is_err());
    }

    #[test]
    fn only_yes_or_nothing_continues_and_other_text_is_feedback() {
        for yes in ["", "y", "Y", "yes", " YES "] {
            assert_eq!(ContinueAnswer::of(yes), ContinueAnswer::Accept, "{yes:?}");
        }
        for no in ["n", "No", " no"] {
            assert_eq!(ContinueAnswer::of(no), ContinueAnswer::Reject, "{no:?}");
        }
        assert_eq!(
            ContinueAnswer::of(" louder, please "),
            ContinueAnswer::Feedback("louder, please".into())
        );
    }
}
