//! Text a plugin (or a server's answer) can influence, made safe to print on a terminal.
//!
//! A terminal obeys control sequences in what it prints: `ESC [ 1 A ESC [ 2 K` moves the cursor up and
//! erases the line above, so a plugin's log line could wipe the effect journal printed before it, or
//! rewrite "denied" as "read". Everything the CLI prints that a plugin can influence (results, errors,
//! effect actions and reasons, artifact names and text, log lines, tool descriptions, run output) goes
//! through this module first:
//! - C0 controls (except tab, and newline where a block of lines is expected), DEL and C1 controls
//!   (U+0080–U+009F, which some terminals read as escape sequences) are shown as `\x1b`-style escapes;
//! - Unicode bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069), which can make text
//!   read differently from what it is, are shown as `\u{202e}`-style escapes.
//!
//! JSON printed for machines (`--json`) is already escaped by serde_json for C0 controls; [`json`] escapes
//! the rest the JSON way (`\u009b`), so the output stays valid JSON.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` for one line: every control character escaped, newlines included.
pub fn line(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// `text` for a block of lines: like [`line`], but newlines are kept.
pub fn block(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

/// JSON text with C1 controls and bidirectional overrides written as `\uXXXX` escapes (they can only occur
/// inside strings, where that escape means the same character).
pub fn json(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| is_c1(c) || is_bidi_control(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_c1(c) || is_bidi_control(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn escape(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\t' && !(keep_newlines && c == '\n')) || is_bidi_control(c)
    };
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !unsafe_char(c) {
            out.push(c);
        } else if (c as u32) < 0x100 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

fn is_c1(c: char) -> bool {
    ('\u{80}'..='\u{9f}').contains(&c)
}

fn is_bidi_control(c: char) -> bool {
    ('\u{202a}'..='\u{202e}').contains(&c) || ('\u{2066}'..='\u{2069}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_shown_not_obeyed() {
        assert_eq!(
            line("ok\u{1b}[1A\u{1b}[2Kforged"),
            "ok\\x1b[1A\\x1b[2Kforged"
        );
        assert_eq!(line("a\rb\nc\u{7f}\u{9b}2J"), "a\\x0db\\x0ac\\x7f\\x9b2J");
        assert_eq!(block("a\nb\u{7}"), "a\nb\\x07");
        assert_eq!(line("tab\tstays"), "tab\tstays");
    }

    #[test]
    fn bidirectional_overrides_are_shown() {
        assert_eq!(line("file\u{202e}txt.exe"), "file\\u{202e}txt.exe");
        assert_eq!(line("\u{2066}x\u{2069}"), "\\u{2066}x\\u{2069}");
    }

    #[test]
    fn plain_text_is_borrowed_untouched() {
        assert!(matches!(line("plain text, ünïcode ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_stays_valid_json() {
        let text = serde_json::to_string(&"a\u{1b}b\u{9b}c\u{202e}").unwrap();
        let safe = json(&text);
        assert!(
            !safe.contains('\u{9b}') && !safe.contains('\u{1b}'),
            "{safe}"
        );
        assert_eq!(
            serde_json::from_str::<String>(&safe).unwrap(),
            "a\u{1b}b\u{9b}c\u{202e}"
        );
    }
}
