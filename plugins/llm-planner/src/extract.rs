//! Finding the plan in a model's answer. Models are told to answer with JSON only, and mostly do, but some
//! wrap it in a ```json fence or put a sentence before it. Tried in order: the whole answer, the first
//! fenced block, the text from the first `{` to the last `}`. A bare array of nodes counts as `{"nodes": ..}`.

use serde_json::{Value, json};

/// How much of an answer without JSON is quoted in the error.
const EXCERPT_CHARS: usize = 80;

/// The JSON object in `answer`, or what is wrong with the answer.
pub fn json_in(answer: &str) -> Result<Value, String> {
    let answer = answer.trim();
    let candidates = [Some(answer), fenced(answer), braced(answer)];
    let mut parse_error = None;
    for candidate in candidates.into_iter().flatten() {
        match serde_json::from_str::<Value>(candidate.trim()) {
            Ok(Value::Array(nodes)) => return Ok(json!({ "nodes": nodes })),
            Ok(value @ Value::Object(_)) => return Ok(value),
            Ok(_) => {}
            Err(err) if candidate.trim_start().starts_with(['{', '[']) => {
                parse_error.get_or_insert(err.to_string());
            }
            Err(_) => {}
        }
    }
    Err(match parse_error {
        Some(err) => format!("the JSON in the answer does not parse ({err})"),
        None => format!(
            "the answer holds no JSON object (it starts: {:?})",
            excerpt(answer)
        ),
    })
}

/// The inside of the first ``` fence (its info string, like `json`, skipped).
fn fenced(answer: &str) -> Option<&str> {
    let start = answer.find("```")? + 3;
    let body_start = start + answer[start..].find('\n')? + 1;
    let body_len = answer[body_start..].find("```")?;
    Some(&answer[body_start..body_start + body_len])
}

/// From the first `{` to the last `}`.
fn braced(answer: &str) -> Option<&str> {
    let start = answer.find('{')?;
    let end = answer.rfind('}')?;
    (start < end).then(|| &answer[start..=end])
}

fn excerpt(answer: &str) -> String {
    match answer.char_indices().nth(EXCERPT_CHARS) {
        Some((at, _)) => format!("{}…", &answer[..at]),
        None => answer.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_fenced_and_embedded_json_are_found() {
        for answer in [
            r#"{"nodes": []}"#,
            "```json\n{\"nodes\": []}\n```",
            "Sure! Here it is:\n```\n{\"nodes\": []}\n```\nGood luck.",
            "The plan is {\"nodes\": []} as requested.",
            "[]",
        ] {
            assert_eq!(json_in(answer).unwrap(), json!({"nodes": []}), "{answer}");
        }
    }

    #[test]
    fn an_answer_without_json_says_so() {
        let err = json_in("I cannot help with that.").unwrap_err();
        assert!(err.contains("no JSON object"), "{err}");
        assert!(err.contains("I cannot help"), "{err}");
    }

    #[test]
    fn broken_json_names_the_parse_error() {
        let err = json_in("```json\n{\"nodes\": [\n```").unwrap_err();
        assert!(err.contains("does not parse"), "{err}");
    }
}
