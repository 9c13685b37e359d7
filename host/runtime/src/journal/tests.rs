use drydock_policy::{Capability, Outcome};
use serde_json::json;

use super::*;

fn source() -> EffectSource {
    EffectSource {
        plugin: "p".into(),
        tool: "p.t".into(),
        depth: 0,
    }
}

fn effect(capability: Capability, outcome: Outcome, action: &str) -> NewEffect {
    NewEffect {
        capability,
        action: action.into(),
        outcome,
        reason: "because".into(),
        detail: json!({}),
    }
}

fn small_budget() -> RecordBudget {
    RecordBudget {
        effects: 3,
        ..RecordBudget::default()
    }
}

#[test]
fn effects_past_the_budget_are_counted_not_kept_and_admitted_ones_are_refused() {
    let journal = Journal::new(small_budget(), 1 << 30);
    let none = Redactor::default();
    for i in 0..3 {
        let seq = journal.record(
            &source(),
            &none,
            effect(Capability::Secrets, Outcome::Denied, "x"),
        );
        assert_eq!(seq, Some(i + 1));
    }
    for _ in 0..5 {
        let refused = journal.record(
            &source(),
            &none,
            effect(Capability::Secrets, Outcome::Denied, "x"),
        );
        assert_eq!(refused, None);
    }
    let admitted = journal.admit(
        &source(),
        &none,
        effect(Capability::Http, Outcome::Simulated, "POST"),
    );
    assert_eq!(
        admitted, None,
        "an effect that cannot be journaled must not happen"
    );
    journal.record(
        &source(),
        &none,
        effect(Capability::Fs, Outcome::Simulated, "write a"),
    );
    let record = journal.snapshot();
    assert_eq!(record.effects.len(), 3);
    assert_eq!(
        record.omitted_effects,
        [
            OmittedEffects {
                capability: Capability::Http,
                outcome: Outcome::Denied,
                count: 1
            },
            OmittedEffects {
                capability: Capability::Fs,
                outcome: Outcome::Simulated,
                count: 1
            },
            OmittedEffects {
                capability: Capability::Secrets,
                outcome: Outcome::Denied,
                count: 5
            },
        ]
    );
    assert_eq!(record.omitted_effect_count(), 7);
}

#[test]
fn effect_bytes_are_bounded_as_well_as_their_count() {
    let budget = RecordBudget {
        effect_bytes: 10_000,
        ..RecordBudget::default()
    };
    let journal = Journal::new(budget, 1 << 30);
    let long = "n".repeat(4096);
    let kept = (0..100)
        .filter(|_| {
            journal
                .record(
                    &source(),
                    &Redactor::default(),
                    effect(Capability::Secrets, Outcome::Denied, &long),
                )
                .is_some()
        })
        .count();
    assert!((1..=5).contains(&kept), "{kept} kept");
    let record = journal.snapshot();
    let total: usize = record
        .effects
        .iter()
        .map(|e| e.action.len() + e.reason.len())
        .sum();
    assert!(total <= 10_000, "{total}");
}

#[test]
fn effect_texts_are_redacted_then_cut() {
    let journal = Journal::new(RecordBudget::default(), 1 << 30);
    let secret = "s3cr3t-v4lue-xyz";
    let redactor = Redactor::new([("S", secret)]);
    let action = format!("{}{secret}", "a".repeat(2040));
    journal.record(
        &source(),
        &redactor,
        effect(Capability::Http, Outcome::Denied, &action),
    );
    let kept = &journal.snapshot().effects[0].action;
    assert!(!kept.contains("s3cr"), "{kept}");
    assert!(kept.ends_with("…[truncated]"), "{kept}");
}

#[test]
fn an_oversized_detail_is_replaced_by_a_note() {
    let journal = Journal::new(RecordBudget::default(), 1 << 30);
    let mut big = effect(Capability::Http, Outcome::Denied, "GET");
    big.detail = json!({ "blob": "x".repeat(20_000) });
    journal.record(&source(), &Redactor::default(), big);
    let detail = &journal.snapshot().effects[0].detail;
    assert!(
        detail["omitted"]
            .as_str()
            .unwrap()
            .contains("over the 8192-byte limit"),
        "{detail}"
    );
}

#[test]
fn artifact_names_and_media_types_are_checked_bounded_and_redacted() {
    let journal = Journal::new(RecordBudget::default(), 1 << 30);
    let redactor = Redactor::new([("S", "token-123456")]);
    let add =
        |name: &str, media: &str| journal.add_artifact(&redactor, name, media, "p", b"x".to_vec());
    assert!(
        add(&"n".repeat(257), "text/plain")
            .unwrap_err()
            .contains("at most 256")
    );
    assert!(
        add("a\u{1b}[2J", "text/plain")
            .unwrap_err()
            .contains("control characters")
    );
    assert!(
        add("ok", &"t".repeat(300))
            .unwrap_err()
            .contains("at most 255")
    );
    assert!(
        add("ok", "not a media type")
            .unwrap_err()
            .contains("type/subtype")
    );
    assert!(
        add("ok", "text/plain\r\nX: y")
            .unwrap_err()
            .contains("type/subtype")
    );
    add("ok", "text/plain; charset=utf-8").unwrap();
    add("ok", "application/x-token-123456").unwrap();
    let record = journal.snapshot();
    assert_eq!(record.artifacts.len(), 2);
    assert_eq!(record.artifacts[1].media_type, "application/x-[REDACTED:S]");
}

#[test]
fn artifact_names_and_media_types_count_against_the_artifact_bytes() {
    let budget = RecordBudget {
        artifact_bytes: 300,
        ..RecordBudget::default()
    };
    let journal = Journal::new(budget, 1 << 30);
    let none = Redactor::default();
    let name = "n".repeat(200);
    journal
        .add_artifact(&none, &name, "text/plain", "p", Vec::new())
        .unwrap();
    let refused = journal
        .add_artifact(&none, &name, "text/plain", "p", Vec::new())
        .unwrap_err();
    assert!(refused.contains("artifact budget spent"), "{refused}");
}

#[test]
fn host_artifacts_are_not_crowded_out_by_plugin_artifacts() {
    let budget = RecordBudget {
        artifacts: 1,
        ..RecordBudget::default()
    };
    let journal = Journal::new(budget, 1 << 30);
    let none = Redactor::default();
    journal
        .add_artifact(&none, "a", "text/plain", "p", Vec::new())
        .unwrap();
    assert!(
        journal
            .add_artifact(&none, "b", "text/plain", "p", Vec::new())
            .is_err()
    );
    journal
        .add_host_artifact(&none, "ws.diff", "text/x-diff", b"diff".to_vec())
        .unwrap();
    assert_eq!(journal.snapshot().artifacts.len(), 2);
}

#[test]
fn going_past_the_host_memory_budget_is_a_remembered_breach() {
    let journal = Journal::new(RecordBudget::default(), 1000);
    let none = Redactor::default();
    journal
        .add_artifact(&none, "a", "text/plain", "p", vec![0; 600])
        .unwrap();
    let refused = journal
        .add_artifact(&none, "b", "text/plain", "p", vec![0; 600])
        .unwrap_err();
    assert!(refused.contains("host memory"), "{refused}");
    let breach = journal.host_breach().expect("a breach");
    assert_eq!(breach.code(), "host_memory_limit");
    assert!(
        !journal.charge(1, "the result"),
        "nothing more is charged after a breach"
    );
    assert_eq!(journal.snapshot().artifacts.len(), 1);
}

#[test]
fn log_lines_are_redacted_then_cut_and_counted_past_the_budget() {
    let budget = RecordBudget {
        log_lines: 2,
        log_line_bytes: 10,
        ..RecordBudget::default()
    };
    let journal = Journal::new(budget, 1 << 30);
    let redactor = Redactor::new([("S", "abcdefgh")]);
    journal.log(&redactor, "p", "info", "xxxxxabcdefgh");
    journal.log(&redactor, "p", "info", "short");
    journal.log(&redactor, "p", "info", "dropped");
    let record = journal.snapshot();
    assert_eq!(record.logs[0].message, "xxxxx[REDA…[truncated]");
    assert_eq!(record.dropped_log_lines, 1);
}

/// A journal holding one effect and one log line, both written by a plugin that does not know `secret`
/// (so unredacted), and then told of `secret` by a plugin that joined the call chain.
fn journal_told_late_of(
    secret: (&str, &str),
    outcome: Outcome,
    action: &str,
    log_line: &str,
) -> Journal {
    let journal = Journal::new(RecordBudget::default(), 1 << 30);
    let unaware = Redactor::default();
    journal.record(
        &source(),
        &unaware,
        effect(Capability::Http, outcome, action),
    );
    journal.log(&unaware, "p", "info", log_line);
    journal.involve(&Redactor::new([secret]));
    journal
}

#[test]
fn the_snapshot_is_redacted_with_every_secret_of_the_chain() {
    let journal = journal_told_late_of(
        ("CALLER", "caller-secret-1"),
        Outcome::Denied,
        "GET https://x.example/?t=caller-secret-1",
        "caller-secret-1",
    );
    let record = journal.snapshot();
    assert_eq!(
        record.effects[0].action,
        "GET https://x.example/?t=[REDACTED:CALLER]"
    );
    assert_eq!(record.logs[0].message, "[REDACTED:CALLER]");
}

#[test]
fn finishing_hands_over_the_whole_record_redacted_and_the_chain_to_redact_the_outcome_with() {
    let journal = journal_told_late_of(
        ("TOKEN", "s3cret-value"),
        Outcome::Simulated,
        "POST https://x.example/?t=s3cret-value",
        "printed s3cret-value",
    );
    // A snapshot copies; the record is still there to finish.
    assert_eq!(journal.snapshot().effects.len(), 1);

    let (record, chain) = journal.finish();
    assert_eq!(
        record.effects[0].action,
        "POST https://x.example/?t=[REDACTED:TOKEN]"
    );
    assert_eq!(record.logs[0].message, "printed [REDACTED:TOKEN]");
    assert_eq!(chain.text("s3cret-value"), "[REDACTED:TOKEN]");
    // Moved out, not copied: the invocation finishes its journal once.
    let after = journal.snapshot();
    assert!(
        after.effects.is_empty() && after.logs.is_empty(),
        "{after:?}"
    );
}
