//! Request validation at the edge with the `validator` crate: request bodies and form structs
//! derive `Validate` for lengths, emails, URLs and ranges, with the custom checks below for
//! one-line text (no control or bidi formatting characters). Its errors become the one
//! field-error shape of the service (`co_investigators[1].orcid` + a stable code), used by the
//! API's problem+json and the web's inline messages alike. Rules across fields stay in the
//! domain and workflows, in plain Rust.

use std::borrow::Cow;

use validator::{Validate, ValidationError, ValidationErrors, ValidationErrorsKind};

use crate::domain::text::{self, TextError};
use crate::error::{AppError, FieldError};

/// Custom validator: one line of text (names, subjects, labels).
pub fn one_line(value: &str) -> Result<(), ValidationError> {
    text::check_line(value).map_err(text_error)
}

/// Custom validator: text that may span lines (comments, summaries).
pub fn multiline(value: &str) -> Result<(), ValidationError> {
    text::check_multiline(value).map_err(text_error)
}

fn text_error(error: TextError) -> ValidationError {
    ValidationError::new(error.code()).with_message(Cow::Owned(error.english()))
}

/// Validates `value`; every failing field is listed.
pub fn check<T: Validate>(value: &T) -> Result<(), AppError> {
    value
        .validate()
        .map_err(|errors| AppError::Validation(field_errors(&errors)))
}

/// Flattens `validator`'s nested errors into field paths, sorted by path.
pub fn field_errors(errors: &ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    flatten(errors, "", &mut out);
    out.sort_by(|a, b| a.field.cmp(&b.field));
    out
}

fn flatten(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                out.extend(list.iter().map(|e| field_error(&path, e)));
            }
            ValidationErrorsKind::Struct(inner) => flatten(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    flatten(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

/// `validator`'s built-in codes, renamed to the service's (`length` becomes `required` or
/// `too_long`, so the web shows the same message as for the domain's own checks).
fn field_error(path: &str, error: &ValidationError) -> FieldError {
    let param = |name: &str| error.params.get(name).and_then(|v| v.as_u64());
    let (code, detail) = match error.code.as_ref() {
        "length" => {
            let length = error
                .params
                .get("value")
                .and_then(|v| v.as_str())
                .map_or(0, |s| s.chars().count() as u64);
            match (param("min"), param("max")) {
                (Some(min), _) if length < min => ("required".to_string(), "is required".into()),
                (_, Some(max)) => (
                    "too_long".to_string(),
                    format!("must be at most {max} characters"),
                ),
                _ => ("too_long".to_string(), "is too long".into()),
            }
        }
        "email" => ("email".to_string(), "is not an email address".into()),
        "url" => ("format".to_string(), "is not a URL".into()),
        "range" => ("range".to_string(), "is out of range".into()),
        other => (
            other.to_string(),
            error
                .message
                .as_ref()
                .map_or_else(|| other.to_string(), |m| m.to_string()),
        ),
    };
    FieldError::new(path, &code, detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Validate)]
    struct Person {
        #[validate(length(min = 1, max = 5), custom(function = "one_line"))]
        name: String,
        #[validate(email)]
        email: String,
        #[validate(nested)]
        friends: Vec<Friend>,
    }

    #[derive(Validate)]
    struct Friend {
        #[validate(custom(function = "one_line"))]
        name: String,
        #[validate(custom(function = "multiline"))]
        note: String,
    }

    fn codes(errors: Vec<FieldError>) -> Vec<(String, String)> {
        errors.into_iter().map(|e| (e.field, e.code)).collect()
    }

    #[test]
    fn nested_errors_get_paths_and_the_service_codes() {
        let person = Person {
            name: "長すぎる名前です".into(),
            email: "not-an-email".into(),
            friends: vec![
                Friend {
                    name: "ok".into(),
                    note: "two\nlines".into(),
                },
                Friend {
                    name: "Mallory\r\nBcc: x@example.test".into(),
                    note: "\u{202E}".into(),
                },
            ],
        };
        let Err(AppError::Validation(errors)) = check(&person) else {
            panic!("expected a validation error");
        };
        assert_eq!(
            codes(errors),
            vec![
                ("email".to_string(), "email".to_string()),
                (
                    "friends[1].name".to_string(),
                    "control_character".to_string()
                ),
                ("friends[1].note".to_string(), "bidi_control".to_string()),
                ("name".to_string(), "too_long".to_string()),
            ]
        );
    }

    #[test]
    fn an_empty_required_field_is_required_not_too_long() {
        let person = Person {
            name: String::new(),
            email: "a@example.org".into(),
            friends: vec![],
        };
        let Err(AppError::Validation(errors)) = check(&person) else {
            panic!("expected a validation error");
        };
        assert_eq!(
            codes(errors),
            vec![("name".to_string(), "required".to_string())]
        );
    }
}
