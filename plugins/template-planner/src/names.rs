//! Names derived from a work item: the suggested branch, a file-name-safe id, and search keywords. All pure
//! functions of the item, ASCII only, so they are safe in git refs and paths.

use crate::WorkItem;

/// A slug has at most this many words...
const SLUG_WORDS: usize = 5;
/// ...and at most this many characters.
const SLUG_CHARS: usize = 40;
/// Words too common to be worth searching for.
const STOP_WORDS: &[&str] = &[
    "about", "after", "also", "because", "before", "from", "have", "into", "make", "more", "only",
    "should", "some", "than", "that", "their", "them", "then", "there", "they", "this", "when",
    "where", "which", "while", "will", "with", "without", "would",
];

/// `fix/`, `chore/` or `feature/`, then the id, then a slug of the title: `feature/ABC-123-add-login-page`.
pub fn branch(item: &WorkItem) -> String {
    let prefix = match item.kind.as_deref() {
        Some("bug") => "fix",
        Some("chore") => "chore",
        _ => "feature",
    };
    let slug = slug(&item.title);
    let id = safe_id(&item.id);
    if slug.is_empty() {
        format!("{prefix}/{id}")
    } else {
        format!("{prefix}/{id}-{slug}")
    }
}

/// The lowercase title with every run of non-alphanumeric characters turned into one `-`, cut to
/// [`SLUG_WORDS`] words and [`SLUG_CHARS`] characters at a word boundary.
pub fn slug(title: &str) -> String {
    let lower = title.to_lowercase();
    let words = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .take(SLUG_WORDS);
    let mut slug = String::new();
    for word in words {
        let extra = if slug.is_empty() {
            word.len()
        } else {
            word.len() + 1
        };
        if slug.len() + extra > SLUG_CHARS {
            if slug.is_empty() {
                slug.push_str(&word[..SLUG_CHARS]);
            }
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(word);
    }
    slug
}

/// The id with anything but ASCII letters, digits, `-` and `_` turned into `-`: usable in a file name and a
/// branch name whatever the id was.
pub fn safe_id(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Whether `id` looks like a Jira issue key: `^[A-Z][A-Z0-9]+-[0-9]+$`.
pub fn is_jira_key(id: &str) -> bool {
    let Some((project, number)) = id.split_once('-') else {
        return false;
    };
    project.len() >= 2
        && project.starts_with(|c: char| c.is_ascii_uppercase())
        && project
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit())
}

/// Up to `count` distinct lowercase words of the title worth searching the code for, in title order.
pub fn keywords(title: &str, count: usize) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for word in title.split(|c: char| !c.is_alphanumeric() && c != '_') {
        let word = word.to_lowercase();
        if word.chars().count() >= 4
            && !STOP_WORDS.contains(&word.as_str())
            && !found.contains(&word)
        {
            found.push(word);
        }
        if found.len() == count {
            break;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, title: &str, kind: Option<&str>) -> WorkItem {
        WorkItem {
            id: id.to_owned(),
            title: title.to_owned(),
            description: String::new(),
            kind: kind.map(str::to_owned),
            labels: Vec::new(),
            requirements: Vec::new(),
        }
    }

    #[test]
    fn branch_prefix_follows_the_type() {
        assert_eq!(
            branch(&item("ABC-1", "Login fails", Some("bug"))),
            "fix/ABC-1-login-fails"
        );
        assert_eq!(
            branch(&item("ABC-2", "Bump deps", Some("chore"))),
            "chore/ABC-2-bump-deps"
        );
        assert_eq!(
            branch(&item("ABC-3", "Add SSO", Some("story"))),
            "feature/ABC-3-add-sso"
        );
        assert_eq!(
            branch(&item("ABC-4", "Add SSO", None)),
            "feature/ABC-4-add-sso"
        );
    }

    #[test]
    fn slug_is_collapsed_and_bounded() {
        assert_eq!(slug("  Fix: the *login* page!! "), "fix-the-login-page");
        assert_eq!(
            slug("one two three four five six"),
            "one-two-three-four-five"
        );
        assert_eq!(
            slug("internationalization localization configuration"),
            "internationalization-localization"
        );
        assert!(slug(&"x".repeat(60)).len() <= 40);
        assert_eq!(slug("日本語"), "");
    }

    #[test]
    fn branch_without_slug_is_prefix_and_id() {
        assert_eq!(branch(&item("A/../B", "???", None)), "feature/A----B");
    }

    #[test]
    fn jira_keys_are_recognised() {
        assert!(is_jira_key("ABC-123"));
        assert!(!is_jira_key("REQ"));
        assert!(!is_jira_key("abc-1"));
        assert!(!is_jira_key("A-1"));
    }

    #[test]
    fn keywords_skip_short_and_common_words() {
        assert_eq!(
            keywords("Fix the login timeout with login retry", 2),
            ["login", "timeout"]
        );
    }
}
