//! Reading requirements and changes out of a chat message, without a language model.
//!
//! A message is split into sentences; polite filler ("I'd like to make a few changes.", "Thanks!") is
//! dropped, and lead-ins ("Also,", "Can we", "I want to") are trimmed so the plan shows the requirement
//! itself ("use t3.medium instances instead"). "remove requirement 2" removes one by number. What is left
//! is kept word for word: the recogniser never rewrites what the user asked for.

/// One change to a task's requirement list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A requirement to add, as stated.
    Add(String),
    /// Remove requirement number N (1-based, as the plan shows them).
    Remove(usize),
}

/// Sentences that carry no requirement of their own.
const FILLER: &[&str] = &[
    "i'd like to make a few changes",
    "i would like to make a few changes",
    "i'd like to make some changes",
    "i would like to make some changes",
    "i have a few changes",
    "i have some changes",
    "a few changes",
    "some changes",
    "thanks",
    "thank you",
    "great",
    "ok",
    "okay",
    "sure",
    "please",
    "hi",
    "hello",
];

/// Lead-ins trimmed from the start of a requirement, longest first.
const LEAD_INS: &[&str] = &[
    "i'd also like to",
    "i would also like to",
    "i also want to",
    "i'd like to",
    "i would like to",
    "can we please",
    "could we please",
    "can we",
    "could we",
    "can you",
    "could you",
    "please",
    "i want to",
    "i need to",
    "we need to",
    "we want to",
    "also,",
    "also",
    "and",
];

/// The changes stated in `message`, in order.
pub fn changes(message: &str) -> Vec<Change> {
    let mut out = Vec::new();
    for sentence in split_sentences(message) {
        if let Some(number) = removal(&sentence) {
            out.push(Change::Remove(number));
            continue;
        }
        let lowered = sentence.to_lowercase().replace('\u{2019}', "'");
        if FILLER.contains(&lowered.trim_end_matches(['!', '.', ',']).trim()) {
            continue;
        }
        let requirement = trim_lead_ins(&sentence);
        if requirement.split_whitespace().count() >= 2 {
            out.push(Change::Add(requirement));
        }
    }
    out
}

/// Applies `changes` to `requirements`; returns the new list and the requirements removed. A removal of a
/// number that does not exist is returned as an error naming it.
pub fn apply(
    requirements: &[String],
    changes: &[Change],
) -> Result<(Vec<String>, Vec<String>), String> {
    let mut removed_numbers: Vec<usize> = Vec::new();
    for change in changes {
        if let Change::Remove(n) = change {
            if *n == 0 || *n > requirements.len() {
                return Err(format!(
                    "there is no requirement {n}; the task has {} (numbered from 1)",
                    requirements.len()
                ));
            }
            removed_numbers.push(*n);
        }
    }
    let mut kept: Vec<String> = Vec::new();
    let mut removed = Vec::new();
    for (i, requirement) in requirements.iter().enumerate() {
        if removed_numbers.contains(&(i + 1)) {
            removed.push(requirement.clone());
        } else {
            kept.push(requirement.clone());
        }
    }
    for change in changes {
        if let Change::Add(text) = change
            && !kept.contains(text)
        {
            kept.push(text.clone());
        }
    }
    Ok((kept, removed))
}

/// "remove requirement 2", "drop requirement #2", "delete item 2".
fn removal(sentence: &str) -> Option<usize> {
    let lowered = sentence.to_lowercase();
    let words: Vec<&str> = lowered.split_whitespace().collect();
    let verb = words
        .iter()
        .position(|w| ["remove", "drop", "delete"].contains(w))?;
    let noun = words.get(verb + 1)?;
    let number = words.get(verb + 2)?;
    if !["requirement", "item", "step"].contains(noun) {
        return None;
    }
    number.trim_start_matches('#').parse().ok()
}

/// Sentences, split at `.`, `!`, `?`, `;` and newlines — but not inside tokens such as `t3.medium`,
/// `Node.js` or `us-west-2.` (a full stop counts only before whitespace or the end).
fn split_sentences(message: &str) -> Vec<String> {
    let mut sentences = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = message.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let at_boundary = chars.get(i + 1).is_none_or(|next| next.is_whitespace());
        let ends = match c {
            '!' | '?' | ';' | '\n' => true,
            '.' => at_boundary,
            _ => false,
        };
        if ends {
            push_sentence(&mut sentences, &current);
            current.clear();
        } else {
            current.push(c);
        }
    }
    push_sentence(&mut sentences, &current);
    sentences
}

fn push_sentence(sentences: &mut Vec<String>, text: &str) {
    let text = text.trim().trim_end_matches(',').trim();
    if !text.is_empty() {
        sentences.push(text.to_owned());
    }
}

fn trim_lead_ins(sentence: &str) -> String {
    let mut text = sentence.trim().to_owned();
    loop {
        let lowered = text.to_lowercase().replace('\u{2019}', "'");
        let Some(lead) = LEAD_INS.iter().find(|lead| {
            lowered.starts_with(*lead)
                && lowered[lead.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| c.is_whitespace() || c == ',')
        }) else {
            break;
        };
        text = text[lead.len()..].trim_start_matches([',', ' ']).to_owned();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn added(message: &str) -> Vec<String> {
        changes(message)
            .into_iter()
            .filter_map(|c| match c {
                Change::Add(text) => Some(text),
                Change::Remove(_) => None,
            })
            .collect()
    }

    #[test]
    fn requirements_are_kept_word_for_word_without_lead_ins() {
        assert_eq!(
            added(
                "It's a Node.js application. I want to deploy it in us-west-2. Auto-scaling should be based on CPU usage (>70%)."
            ),
            [
                "It's a Node.js application",
                "deploy it in us-west-2",
                "Auto-scaling should be based on CPU usage (>70%)"
            ]
        );
    }

    #[test]
    fn filler_sentences_are_dropped() {
        assert_eq!(
            added(
                "I'd like to make a few changes. Can we use t3.medium instances instead? Also, I want to add CloudFront for content delivery."
            ),
            [
                "use t3.medium instances instead",
                "add CloudFront for content delivery"
            ]
        );
    }

    #[test]
    fn removal_by_number_is_understood_and_checked() {
        assert_eq!(changes("Remove requirement 2."), [Change::Remove(2)]);
        let reqs = vec!["a b".to_owned(), "c d".to_owned()];
        let (kept, removed) = apply(&reqs, &[Change::Remove(2)]).unwrap();
        assert_eq!(kept, ["a b"]);
        assert_eq!(removed, ["c d"]);
        let err = apply(&reqs, &[Change::Remove(5)]).unwrap_err();
        assert!(err.contains("no requirement 5"), "{err}");
    }

    #[test]
    fn a_repeated_requirement_is_not_added_twice() {
        let reqs = vec!["use t3.medium instances".to_owned()];
        let (kept, _) = apply(&reqs, &[Change::Add("use t3.medium instances".into())]).unwrap();
        assert_eq!(kept.len(), 1);
    }
}
