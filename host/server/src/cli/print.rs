//! Readable output for people: results, effect journals, artifacts, plugins, plans.
//!
//! Everything here that a plugin can influence is printed through [`shown`], so a plugin cannot drive the
//! terminal (move the cursor, erase lines) through its result, errors, journal entries, artifacts or logs.

use drydock_policy::Policy;
use drydock_runtime::{InvocationReport, PlanReport, PluginInfo, Record};

use super::shown;

/// A plugin, its tools and what the policy grants it.
pub fn plugin(info: &PluginInfo, policy: &Policy) {
    println!(
        "plugin   {} ({})",
        shown::line(&info.name),
        info.kind.world()
    );
    println!("file     {}", shown::line(&info.file.display().to_string()));
    println!("sha256   {}", info.sha256);
    let grants = policy.grants(&info.name);
    println!(
        "grants   http: {}, fs: {}, secrets: {}, env: {}, llm: {}, live: [{}]",
        grants.http.len(),
        grants.fs.len(),
        grants.secrets.len(),
        grants.env.len(),
        grants.llm,
        grants
            .live
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    for tool in &info.tools {
        println!(
            "tool     {} - {}",
            shown::line(&tool.name),
            shown::line(&tool.description)
        );
        println!(
            "         schema {}",
            shown::line(&tool.input_schema.to_string())
        );
    }
    println!();
}

/// An invocation: result or error, then its journal.
pub fn report(report: &InvocationReport) {
    println!(
        "{} [{}] correlation {} ({} ms, requested {}, master switch {})",
        shown::line(&report.tool),
        shown::line(report.plugin.as_deref().unwrap_or("?")),
        report.correlation_id,
        report.duration_ms,
        report.requested_mode,
        if report.master_switch { "on" } else { "off" },
    );
    match &report.outcome {
        Ok(value) => println!("result:\n{}", pretty(value)),
        Err(err) => println!("error ({}): {}", err.code(), shown::line(&err.to_string())),
    }
    record(&report.record);
}

/// Pretty JSON with every control character escaped.
fn pretty(value: &serde_json::Value) -> String {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    shown::block(&shown::json(&text)).into_owned()
}

/// A plan proposal.
pub fn plan(report: &PlanReport) {
    match &report.outcome {
        Ok(plan) => println!("plan from {}:\n{}", report.planner, pretty(plan)),
        Err(err) => println!("error ({}): {}", err.code(), shown::line(&err.to_string())),
    }
    record(&report.record);
}

fn record(record: &Record) {
    println!("effects ({}):", record.effects.len());
    for e in &record.effects {
        println!(
            "  #{} {:<9} {:<7} {}{}",
            e.seq,
            e.outcome.to_string(),
            e.capability.to_string(),
            shown::line(&e.action),
            if e.depth > 0 {
                format!("  (via call-tool, depth {})", e.depth)
            } else {
                String::new()
            }
        );
        println!("     why: {}", shown::line(&e.reason));
    }
    for omitted in &record.omitted_effects {
        println!(
            "  ({} more {} {} effects past the journal's budget, not kept)",
            omitted.count, omitted.outcome, omitted.capability
        );
    }
    if !record.artifacts.is_empty() {
        println!("artifacts ({}):", record.artifacts.len());
        for a in &record.artifacts {
            println!(
                "  {} ({}, {} bytes, by {})",
                shown::line(&a.name),
                shown::line(&a.media_type),
                a.content.len(),
                shown::line(&a.produced_by)
            );
            if let Ok(text) = std::str::from_utf8(&a.content) {
                for line in text.lines().take(40) {
                    println!("    {}", shown::line(line));
                }
            }
        }
    }
    if !record.logs.is_empty() {
        println!("logs:");
        for line in &record.logs {
            println!(
                "  [{}] {}",
                shown::line(&line.level),
                shown::line(&line.message)
            );
        }
    }
    if record.dropped_log_lines > 0 {
        println!("  ({} log lines dropped)", record.dropped_log_lines);
    }
}
