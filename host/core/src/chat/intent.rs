//! The deterministic intent recogniser: what a chat message asks the agent to do, from its words alone.
//!
//! It is the embedded default, used when no language model is configured, so it must be predictable and
//! honest: each rule is a plain word or phrase test, checked in a fixed order, and a message no rule
//! recognises is [`Intent::Unclear`] (the agent says so and asks) rather than a guess. Where the task is
//! (none yet, waiting for approval, running, finished) is part of the decision, because "add CloudFront"
//! means a new request in an empty conversation and a change to a plan that waits for approval.

use serde::Serialize;

/// What a message asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// Something new to plan.
    NewRequest,
    /// More detail for the plan that waits for approval ("It's a Node.js application.").
    Requirements,
    /// A change to the plan that waits for approval ("use t3.medium instead").
    Modify,
    /// Approve the plan and run it.
    Approve,
    /// Stop: withdraw the plan, or stop its execution.
    Cancel,
    /// How far along is it?
    Status,
    /// A question about the plan or its results.
    Question,
    /// None of the above, as far as the recogniser can tell.
    Unclear,
}

impl Intent {
    /// The stored name (`new_request`, `modify`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::NewRequest => "new_request",
            Intent::Requirements => "requirements",
            Intent::Modify => "modify",
            Intent::Approve => "approve",
            Intent::Cancel => "cancel",
            Intent::Status => "status",
            Intent::Question => "question",
            Intent::Unclear => "unclear",
        }
    }
}

/// Where the conversation's task is, as far as intent is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStage {
    /// No task yet, or the last one ended (completed, failed, cancelled).
    None,
    /// A plan waits for approval (or is a draft).
    AwaitingApproval,
    /// Approved and running.
    Running,
    /// Finished: completed or failed. Questions are about its results.
    Finished,
}

/// Phrases that approve. Checked on word boundaries, after negations are ruled out.
const APPROVE: &[&str] = &[
    "i approve",
    "approve",
    "approved",
    "go ahead",
    "proceed",
    "lgtm",
    "looks good",
    "ship it",
    "execute it",
    "execute the plan",
    "run it",
    "run the plan",
    "start the execution",
];
/// Words that turn an approval phrase into its opposite ("don't approve yet").
const NEGATIONS: &[&str] = &["don't", "do not", "not", "never", "dont", "no", "wait"];
/// Phrases that cancel when they are the point of the message.
const CANCEL: &[&str] = &[
    "cancel",
    "abort",
    "stop",
    "never mind",
    "nevermind",
    "forget it",
    "scrap it",
];
/// What a cancel phrase may be followed by and still mean the whole task.
const CANCEL_OBJECTS: &[&str] = &[
    "",
    "it",
    "this",
    "that",
    "everything",
    "all",
    "the plan",
    "the task",
    "the execution",
    "the run",
    "the request",
    "the deployment",
    "please",
    "now",
];
/// Phrases that ask how far along the task is.
const STATUS: &[&str] = &[
    "status",
    "progress",
    "how far",
    "is it done",
    "is it finished",
    "done yet",
    "finished yet",
    "how is it going",
    "how's it going",
    "where are we",
    "what's happening",
];
/// Words that mark a change to an existing plan.
const MODIFY: &[&str] = &[
    "change",
    "changes",
    "modify",
    "modification",
    "instead",
    "replace",
    "remove",
    "drop",
    "delete",
    "rather",
    "switch",
    "swap",
    "update",
    "add",
    "also",
    "use",
    "don't",
    "do not",
];
/// Words that start a question.
const QUESTION_WORDS: &[&str] = &[
    "how", "what", "why", "where", "when", "which", "who", "can", "could", "is", "are", "does",
    "do", "did", "will", "would", "should",
];

/// Recognises the intent of `message` given where the task is.
pub fn recognise(message: &str, stage: TaskStage) -> Intent {
    let text = normalise(message);
    if text.is_empty() {
        return Intent::Unclear;
    }
    if stage != TaskStage::None && is_cancel(&text) {
        return Intent::Cancel;
    }
    if stage == TaskStage::AwaitingApproval && is_approval(&text) {
        return Intent::Approve;
    }
    if stage != TaskStage::None && contains_any(&text, STATUS) {
        return Intent::Status;
    }
    match stage {
        TaskStage::None => {
            if is_question(&text) && !has_request_words(&text) {
                Intent::Question
            } else if has_request_words(&text) || text.split(' ').count() >= 4 {
                Intent::NewRequest
            } else {
                Intent::Unclear
            }
        }
        TaskStage::AwaitingApproval => {
            if contains_any(&text, MODIFY) {
                Intent::Modify
            } else if is_question(&text) {
                Intent::Question
            } else if text.split(' ').count() >= 3 {
                Intent::Requirements
            } else {
                Intent::Unclear
            }
        }
        TaskStage::Running | TaskStage::Finished => {
            if is_question(&text) {
                Intent::Question
            } else if stage == TaskStage::Finished && has_request_words(&text) {
                Intent::NewRequest
            } else {
                Intent::Unclear
            }
        }
    }
}

/// Lower case, typographic apostrophes made plain, whitespace collapsed.
fn normalise(message: &str) -> String {
    message
        .replace(['\u{2019}', '\u{2018}'], "'")
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `text` contains `phrase` on word boundaries.
fn contains_phrase(text: &str, phrase: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '\'';
    text.match_indices(phrase).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + phrase.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

fn contains_any(text: &str, phrases: &[&str]) -> bool {
    phrases.iter().any(|p| contains_phrase(text, p))
}

/// The sentences of `text`, without their closing punctuation.
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split(['.', '!', '?', ';', '\n'])
        .map(|s| s.trim_matches(|c: char| c == ',' || c.is_whitespace()))
        .filter(|s| !s.is_empty())
}

/// An approval phrase in a sentence with no negation before it.
fn is_approval(text: &str) -> bool {
    sentences(text).any(|sentence| {
        APPROVE.iter().any(|phrase| {
            sentence.match_indices(phrase).any(|(at, _)| {
                contains_phrase(sentence, phrase)
                    && !NEGATIONS
                        .iter()
                        .any(|neg| contains_phrase(&sentence[..at], neg))
            })
        })
    }) && !contains_any(text, &["instead", "change", "modify", "but"])
}

/// A sentence that is only a cancel phrase and an object meaning the whole task ("cancel the plan").
fn is_cancel(text: &str) -> bool {
    sentences(text).any(|sentence| {
        let sentence = sentence
            .trim_start_matches("please ")
            .trim_end_matches(" please");
        CANCEL.iter().any(|verb| {
            sentence
                .strip_prefix(verb)
                .map(str::trim)
                .is_some_and(|rest| CANCEL_OBJECTS.contains(&rest))
        })
    })
}

fn is_question(text: &str) -> bool {
    text.contains('?')
        || text
            .split(' ')
            .next()
            .is_some_and(|first| QUESTION_WORDS.contains(&first))
}

/// Words that ask for work to be done.
fn has_request_words(text: &str) -> bool {
    contains_any(
        text,
        &[
            "i need",
            "i want",
            "i'd like",
            "i would like",
            "please",
            "we need",
            "create",
            "deploy",
            "build",
            "set up",
            "setup",
            "write",
            "make",
            "add",
            "fix",
            "implement",
            "generate",
            "prepare",
            "migrate",
            "configure",
            "install",
            "update",
            "document",
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_walkthrough_is_recognised_step_by_step() {
        use Intent::*;
        use TaskStage::*;
        let walk = [
            (
                "I need to deploy a new web application on AWS with a load balancer and auto-scaling.",
                None,
                NewRequest,
            ),
            (
                "It's a Node.js application. I want to deploy it in us-west-2. Auto-scaling should be based on CPU usage (>70%).",
                AwaitingApproval,
                Requirements,
            ),
            (
                "I'd like to make a few changes. Can we use t3.medium instances instead? Also, I want to add CloudFront for content delivery.",
                AwaitingApproval,
                Modify,
            ),
            (
                "I approve the plan. Please proceed with the execution.",
                AwaitingApproval,
                Approve,
            ),
            (
                "Great! The deployment is complete. How can I access my application now?",
                Finished,
                Question,
            ),
        ];
        for (message, stage, expected) in walk {
            assert_eq!(recognise(message, stage), expected, "{message}");
        }
    }

    #[test]
    fn negated_approval_is_not_an_approval() {
        for message in [
            "Don't approve it yet.",
            "I do not approve.",
            "Wait, not approved: change the region instead.",
        ] {
            assert_ne!(
                recognise(message, TaskStage::AwaitingApproval),
                Intent::Approve,
                "{message}"
            );
        }
    }

    #[test]
    fn approval_only_counts_while_a_plan_waits_for_it() {
        assert_eq!(
            recognise("Looks good, go ahead.", TaskStage::AwaitingApproval),
            Intent::Approve
        );
        assert_ne!(
            recognise("Looks good, go ahead.", TaskStage::Running),
            Intent::Approve
        );
    }

    #[test]
    fn cancel_means_the_whole_task_only() {
        assert_eq!(
            recognise("Cancel the plan.", TaskStage::AwaitingApproval),
            Intent::Cancel
        );
        assert_eq!(recognise("please stop", TaskStage::Running), Intent::Cancel);
        assert_eq!(recognise("Abort!", TaskStage::Running), Intent::Cancel);
        // Cancelling one part of the plan is a modification.
        assert_eq!(
            recognise(
                "Cancel the CloudFront part, we don't need it.",
                TaskStage::AwaitingApproval
            ),
            Intent::Modify
        );
        // Nothing to cancel yet.
        assert_ne!(recognise("cancel", TaskStage::None), Intent::Cancel);
    }

    #[test]
    fn status_questions_are_status() {
        for message in ["What's the status?", "Any progress?", "Is it done yet?"] {
            assert_eq!(
                recognise(message, TaskStage::Running),
                Intent::Status,
                "{message}"
            );
        }
    }

    #[test]
    fn unclear_messages_are_reported_not_guessed() {
        for (message, stage) in [
            ("", TaskStage::None),
            ("hmm", TaskStage::None),
            ("ok", TaskStage::AwaitingApproval),
            ("banana", TaskStage::Running),
        ] {
            assert_eq!(recognise(message, stage), Intent::Unclear, "{message:?}");
        }
    }

    #[test]
    fn phrases_match_on_word_boundaries_only() {
        assert!(contains_phrase("please add it", "add"));
        assert!(!contains_phrase("the address", "add"));
        assert!(!contains_phrase("unapproved", "approve"));
    }

    #[test]
    fn typographic_apostrophes_are_understood() {
        assert_ne!(
            recognise("Don\u{2019}t approve it yet.", TaskStage::AwaitingApproval),
            Intent::Approve
        );
    }
}
