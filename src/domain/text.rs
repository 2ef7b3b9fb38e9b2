//! Text a user typed, checked at the edge. One-line text reaches mail headers (display names,
//! subjects built from titles), file names and URLs, so it must hold no line break, no other
//! control character and no bidirectional formatting character (which can make a name or a
//! file name read differently from what it is); it is NFC-normalised and bounded. Longer text
//! (comments, protocol sections) may hold line breaks and tabs but nothing else of that kind.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

/// Why a text was refused; `code()` is the stable field-error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextError {
    Required,
    TooLong { max: usize },
    ControlCharacter,
    BidiControl,
}

impl TextError {
    pub fn code(&self) -> &'static str {
        match self {
            TextError::Required => "required",
            TextError::TooLong { .. } => "too_long",
            TextError::ControlCharacter => "control_character",
            TextError::BidiControl => "bidi_control",
        }
    }

    /// English detail for the JSON API.
    pub fn english(&self) -> String {
        match self {
            TextError::Required => "is required".into(),
            TextError::TooLong { max } => format!("must be at most {max} characters"),
            TextError::ControlCharacter => {
                "must not contain line breaks or other control characters".into()
            }
            TextError::BidiControl => "must not contain bidirectional formatting characters".into(),
        }
    }
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.english())
    }
}

/// Bidirectional formatting characters: marks, embeddings, overrides and isolates.
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Whether one-line text may hold `c` (for cleaning names the user did not type, such as an
/// uploaded file's name, instead of refusing them).
pub fn allowed_in_line(c: char) -> bool {
    !(c.is_control() || c == '\u{2028}' || c == '\u{2029}' || is_bidi_control(c))
}

/// The first character that one-line text may not hold, as an error.
fn line_violation(text: &str) -> Option<TextError> {
    text.chars().find_map(|c| {
        if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
            Some(TextError::ControlCharacter)
        } else if is_bidi_control(c) {
            Some(TextError::BidiControl)
        } else {
            None
        }
    })
}

/// The first character that multi-line text may not hold (line breaks and tabs are fine).
fn multiline_violation(text: &str) -> Option<TextError> {
    text.chars().find_map(|c| match c {
        '\n' | '\r' | '\t' => None,
        c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => {
            Some(TextError::ControlCharacter)
        }
        c if is_bidi_control(c) => Some(TextError::BidiControl),
        _ => None,
    })
}

/// One line of text: NFC, trimmed, no control or bidi formatting characters, at most `MAX`
/// characters (counted as characters, not bytes, so Japanese is not cut short).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OneLine<const MAX: usize>(String);

impl<const MAX: usize> OneLine<MAX> {
    /// Parses possibly empty text.
    pub fn parse(input: &str) -> Result<Self, TextError> {
        let normalised: String = input.nfc().collect();
        let trimmed = normalised.trim();
        if let Some(error) = line_violation(trimmed) {
            return Err(error);
        }
        if trimmed.chars().count() > MAX {
            return Err(TextError::TooLong { max: MAX });
        }
        Ok(OneLine(trimmed.to_string()))
    }

    /// Parses text that must not be empty.
    pub fn parse_required(input: &str) -> Result<Self, TextError> {
        let parsed = Self::parse(input)?;
        if parsed.0.is_empty() {
            return Err(TextError::Required);
        }
        Ok(parsed)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl<const MAX: usize> AsRef<str> for OneLine<MAX> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> fmt::Display for OneLine<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's display name: shown in greetings and the `To:` header of every email.
pub type DisplayName = OneLine<200>;
/// An organisation's name (partner CROs).
pub type OrganisationName = OneLine<200>;
/// An uploaded file's name as the uploader gave it; it reaches `Content-Disposition`.
pub type FileName = OneLine<255>;

/// Checks one-line text without taking it (for fields kept as `String`).
pub fn check_line(text: &str) -> Result<(), TextError> {
    line_violation(text).map_or(Ok(()), Err)
}

/// Checks multi-line text (comments, protocol sections).
pub fn check_multiline(text: &str) -> Result<(), TextError> {
    multiline_violation(text).map_or(Ok(()), Err)
}

/// Checks every string in a JSON document (a proposal's content): fields named in
/// `one_line_fields` must be one line, every other string may span lines. Returns the path
/// (`co_investigators[1].name`) and error of each bad string.
pub fn check_json_strings(
    value: &serde_json::Value,
    one_line_fields: &[&str],
) -> Vec<(String, TextError)> {
    let mut found = Vec::new();
    walk(value, "", None, one_line_fields, &mut found);
    found
}

fn walk(
    value: &serde_json::Value,
    path: &str,
    key: Option<&str>,
    one_line_fields: &[&str],
    found: &mut Vec<(String, TextError)>,
) {
    match value {
        serde_json::Value::String(text) => {
            let one_line = key.is_some_and(|k| one_line_fields.contains(&k));
            let result = if one_line {
                check_line(text)
            } else {
                check_multiline(text)
            };
            if let Err(error) = result {
                found.push((path.to_string(), error));
            }
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &format!("{path}[{i}]"), key, one_line_fields, found);
            }
        }
        serde_json::Value::Object(map) => {
            for (name, item) in map {
                let child = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                walk(item, &child, Some(name), one_line_fields, found);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_display_name_is_trimmed_and_nfc_normalised() {
        // "が" as か + combining dakuten becomes the precomposed character.
        let name = DisplayName::parse_required("  \u{304B}\u{3099}山 太郎 ").unwrap();
        assert_eq!(name.as_str(), "\u{304C}山 太郎");
    }

    #[test]
    fn line_breaks_and_controls_are_refused_in_one_line_text() {
        for bad in [
            "Mallory\r\nBcc: victim@example.test",
            "a\nb",
            "a\rb",
            "tab\there",
            "nul\0",
            "esc\u{1b}[31m",
            "c1\u{85}next line",
            "line\u{2028}separator",
            "para\u{2029}separator",
        ] {
            assert_eq!(
                DisplayName::parse(bad),
                Err(TextError::ControlCharacter),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn bidi_formatting_characters_are_refused() {
        for bad in [
            "invoice\u{202E}fdp.exe",
            "a\u{2066}b",
            "a\u{2069}",
            "\u{200F}x",
            "\u{061C}x",
        ] {
            assert_eq!(FileName::parse(bad), Err(TextError::BidiControl), "{bad:?}");
        }
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(DisplayName::parse(&"あ".repeat(200)).is_ok());
        assert_eq!(
            DisplayName::parse(&"あ".repeat(201)),
            Err(TextError::TooLong { max: 200 })
        );
    }

    #[test]
    fn required_text_must_not_be_blank() {
        assert_eq!(DisplayName::parse_required("   "), Err(TextError::Required));
        assert!(DisplayName::parse("").is_ok());
    }

    #[test]
    fn multiline_text_keeps_line_breaks_but_not_other_controls() {
        assert!(check_multiline("一行目\n二行目\r\n\tindent").is_ok());
        assert_eq!(check_multiline("a\u{7}"), Err(TextError::ControlCharacter));
        assert_eq!(check_multiline("a\u{202E}"), Err(TextError::BidiControl));
    }

    #[test]
    fn json_strings_are_checked_by_field_name_with_their_paths() {
        let doc = serde_json::json!({
            "title": "ok\nnot ok",
            "background": "two\nlines are fine",
            "co_investigators": [{"name": "fine"}, {"name": "bad\u{202E}"}],
            "secondary_endpoints": ["x\u{0}"],
        });
        let found = check_json_strings(&doc, &["title", "name"]);
        let mut paths: Vec<(&str, &str)> =
            found.iter().map(|(p, e)| (p.as_str(), e.code())).collect();
        paths.sort();
        assert_eq!(
            paths,
            vec![
                ("co_investigators[1].name", "bidi_control"),
                ("secondary_endpoints[0]", "control_character"),
                ("title", "control_character"),
            ]
        );
    }
}
