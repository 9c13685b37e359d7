//! Readable output for people: results, effect journals, artifacts, plugins, plans.

use drydock_policy::Policy;
use drydock_runtime::{InvocationReport, PlanReport, PluginInfo, Record};

/// A plugin, its tools and what the policy grants it.
pub fn plugin(info: &PluginInfo, policy: &Policy) {
    println!("plugin   {} ({})", info.name, info.kind.world());
    println!("file     {}", info.file.display());
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
        println!("tool     {} - {}", tool.name, tool.description);
        println!("         schema {}", tool.input_schema);
    }
    println!();
}

/// An invocation: result or error, then its journal.
pub fn report(report: &InvocationReport) {
    println!(
        "{} [{}] correlation {} ({} ms, requested {}, master switch {})",
        report.tool,
        report.plugin.as_deref().unwrap_or("?"),
        report.correlation_id,
        report.duration_ms,
        report.requested_mode,
        if report.master_switch { "on" } else { "off" },
    );
    match &report.outcome {
        Ok(value) => println!(
            "result:\n{}",
            serde_json::to_string_pretty(value).unwrap_or_default()
        ),
        Err(err) => println!("error ({}): {err}", err.code()),
    }
    record(&report.record);
}

/// A plan proposal.
pub fn plan(report: &PlanReport) {
    match &report.outcome {
        Ok(plan) => println!(
            "plan from {}:\n{}",
            report.planner,
            serde_json::to_string_pretty(plan).unwrap_or_default()
        ),
        Err(err) => println!("error ({}): {err}", err.code()),
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
            e.action,
            if e.depth > 0 {
                format!("  (via call-tool, depth {})", e.depth)
            } else {
                String::new()
            }
        );
        println!("     why: {}", e.reason);
    }
    if !record.artifacts.is_empty() {
        println!("artifacts ({}):", record.artifacts.len());
        for a in &record.artifacts {
            println!(
                "  {} ({}, {} bytes, by {})",
                a.name,
                a.media_type,
                a.content.len(),
                a.produced_by
            );
            if let Ok(text) = std::str::from_utf8(&a.content) {
                for line in text.lines().take(40) {
                    println!("    {line}");
                }
            }
        }
    }
    if !record.logs.is_empty() {
        println!("logs:");
        for line in &record.logs {
            println!("  [{}] {}", line.level, line.message);
        }
    }
    if record.dropped_log_lines > 0 {
        println!("  ({} log lines dropped)", record.dropped_log_lines);
    }
}
