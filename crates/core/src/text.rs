//! Text people type, checked where it enters the domain (the use cases): trimmed, bounded, and
//! free of control characters — which PostgreSQL cannot store (NUL), which break emails and
//! headers (CR, LF in a name or an address), or which disguise what is printed on a document
//! (bidirectional overrides). A single line (names, titles, addresses) takes none; a text
//! (notes, messages, reasons) takes line breaks and tabs, and its CR LF become LF as browsers
//! send them.

use crate::{DomainError, Result};

/// What is wrong with a piece of text.
fn refusal(value: &str, multiline: bool) -> Option<&'static str> {
    for c in value.chars() {
        let allowed_break = multiline && (c == '\n' || c == '\t');
        if c.is_control() && !allowed_break {
            return Some(if c == '\n' || c == '\r' {
                "must be a single line"
            } else {
                "must not contain control characters"
            });
        }
        if is_format_control(c) {
            return Some("must not contain invisible formatting characters");
        }
    }
    None
}

/// Bidirectional overrides and isolates, and the byte-order mark: invisible characters that
/// reorder or hide what is displayed (a different amount or name on screen than in the record).
pub fn is_format_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

fn bounded(field: &str, value: String, max: usize) -> Result<String> {
    if value.is_empty() {
        return Err(DomainError::validation(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(DomainError::validation(field, format!("at most {max} characters")));
    }
    Ok(value)
}

/// A single line of text: trimmed, not empty, at most `max` characters, no control characters.
pub fn line(field: &str, value: &str, max: usize) -> Result<String> {
    let v = value.trim();
    if let Some(why) = refusal(v, false) {
        return Err(DomainError::validation(field, why));
    }
    bounded(field, v.to_string(), max)
}

/// An optional single line: empty is none.
pub fn opt_line(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => line(field, v, max).map(Some),
    }
}

/// A text of one or more lines: CR LF (and lone CR) become LF, trimmed, not empty, at most
/// `max` characters; line breaks and tabs are its only control characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<String> {
    let v = value.trim();
    let v = if v.contains('\r') { v.replace("\r\n", "\n").replace('\r', "\n") } else { v.to_string() };
    if let Some(why) = refusal(&v, true) {
        return Err(DomainError::validation(field, why));
    }
    bounded(field, v, max)
}

/// An optional text: empty is none.
pub fn opt_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text(field, v, max).map(Some),
    }
}

/// Text that is not stored as typed but looked up or compared (a search, a code typed back):
/// refused when it holds a control character, so it can reach no query.
pub fn plain(field: &str, value: &str, max: usize) -> Result<()> {
    if let Some(why) = refusal(value, false) {
        return Err(DomainError::validation(field, why));
    }
    if value.chars().count() > max {
        return Err(DomainError::validation(field, format!("at most {max} characters")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lines_refuse_control_characters_and_are_bounded() {
        assert_eq!(line("name", "  Ana  ", 10).unwrap(), "Ana");
        for bad in ["A\u{0}B", "A\nB", "A\rB", "A\tB", "A\u{7f}B", "A\u{1b}[31mB", "A\u{202E}B", "\u{FEFF}A"] {
            assert!(line("name", bad, 10).is_err(), "{bad:?}");
        }
        assert!(line("name", "   ", 10).is_err());
        assert!(line("name", "ééééé", 5).is_ok(), "characters, not bytes");
        assert!(line("name", "éééééé", 5).is_err());
        assert_eq!(opt_line("phone", Some(" "), 5).unwrap(), None);
    }

    #[test]
    fn texts_keep_line_breaks_and_normalise_them() {
        assert_eq!(text("notes", "a\r\nb\rc\n\td", 20).unwrap(), "a\nb\nc\n\td");
        assert!(text("notes", "a\u{0}b", 20).is_err());
        assert!(text("notes", "a\u{7}b", 20).is_err());
        assert!(text("notes", "a\u{2067}b", 20).is_err());
    }

    proptest! {
        /// Whatever is typed, what is kept holds no control character but line breaks and tabs,
        /// and no NUL at all.
        #[test]
        fn kept_text_has_no_control_characters(s in "\\PC*|[\\x00-\\x1f\\x7f a-z]*") {
            if let Ok(kept) = line("f", &s, 1000) {
                prop_assert!(!kept.chars().any(|c| c.is_control()));
            }
            if let Ok(kept) = text("f", &s, 1000) {
                prop_assert!(!kept.chars().any(|c| c.is_control() && c != '\n' && c != '\t'));
                prop_assert!(!kept.contains('\r'));
            }
        }
    }
}
