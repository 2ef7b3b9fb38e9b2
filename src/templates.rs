//! Page and email templates: embedded in the binary (so the service runs from any directory),
//! optionally overridden file by file from `LIAISON_TEMPLATE_DIR`. HTML is autoescaped.

use std::collections::HashMap;
use std::fmt;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use minijinja::value::{Object, Value};
use minijinja::{AutoEscape, Environment, Output, State};
use serde::Serialize;

use crate::domain::Lang;

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../templates/", $name)))),*]
    };
}

/// Every shipped template, by name relative to `templates/`.
pub const EMBEDDED: &[(&str, &str)] = embedded![
    "web/base.html",
    "web/error.html",
    "web/signin.html",
    "web/signin_link.html",
    "web/dashboard.html",
    "web/proposal_form.html",
    "web/proposal_show.html",
    "web/admin_users.html",
    "web/register.html",
    "web/check_email.html",
    "web/admin_outbox.html",
    "web/review.html",
    "web/committee.html",
    "web/ranking.html",
    "web/admin_committees.html",
    "web/overdue.html",
    "web/calendar.html",
    "web/organizations.html",
    "web/organization.html",
    "web/exports.html",
    "web/audit_trail.html",
    "web/activate.html",
    "web/profile.html",
    "web/_charts.html",
    "web/_credentials.html",
    "web/programme.html",
    "web/insight_report.html",
    "web/insights.html",
    "web/insight.html",
    "web/admin_priorities.html",
];

macro_rules! email_templates {
    ($($event:literal),* $(,)?) => {
        &[$(
            (concat!("email/", $event, "/ja.subject.txt"), include_str!(concat!("../templates/email/", $event, "/ja.subject.txt"))),
            (concat!("email/", $event, "/ja.body.txt"), include_str!(concat!("../templates/email/", $event, "/ja.body.txt"))),
            (concat!("email/", $event, "/ja.body.html"), include_str!(concat!("../templates/email/", $event, "/ja.body.html"))),
            (concat!("email/", $event, "/en.subject.txt"), include_str!(concat!("../templates/email/", $event, "/en.subject.txt"))),
            (concat!("email/", $event, "/en.body.txt"), include_str!(concat!("../templates/email/", $event, "/en.body.txt"))),
            (concat!("email/", $event, "/en.body.html"), include_str!(concat!("../templates/email/", $event, "/en.body.html"))),
        )*]
    };
}

/// Email templates per event (`notify::email::EVENTS` lists the same names; a test checks it).
pub const EMAIL_EMBEDDED: &[(&str, &str)] = email_templates![
    "sign_in_link",
    "verify_email",
    "submission_receipt",
    "new_submission",
    "review_request",
    "decision",
    "advice_posted",
    "milestone_reminder",
    "milestone_escalation",
    "study_activated",
    "msl_needed",
];

pub const STYLESHEET: &str = include_str!("../templates/static/app.css");
const CATALOG_JA: &str = include_str!("../templates/i18n/ja.json");
const CATALOG_EN: &str = include_str!("../templates/i18n/en.json");

static ENVIRONMENT: OnceLock<Environment<'static>> = OnceLock::new();
static CATALOGS: OnceLock<Catalogs> = OnceLock::new();

struct Catalogs {
    ja: HashMap<String, String>,
    en: HashMap<String, String>,
}

fn catalogs() -> &'static Catalogs {
    CATALOGS.get_or_init(|| Catalogs {
        ja: serde_json::from_str(CATALOG_JA).unwrap_or_default(),
        en: serde_json::from_str(CATALOG_EN).unwrap_or_default(),
    })
}

/// The message for `key` in `lang`: the glossary's term (`domain::glossary`) when `key` is one,
/// else the catalog's message; the key itself when it is missing (a test checks none is).
pub fn translate(lang: Lang, key: &str) -> String {
    if let Some(word) = crate::domain::glossary::lookup(lang, key) {
        return word.to_string();
    }
    let catalog = match lang {
        Lang::Ja => &catalogs().ja,
        Lang::En => &catalogs().en,
    };
    catalog.get(key).cloned().unwrap_or_else(|| key.to_string())
}

pub fn catalog_keys(lang: Lang) -> Vec<String> {
    let catalog = match lang {
        Lang::Ja => &catalogs().ja,
        Lang::En => &catalogs().en,
    };
    let mut keys: Vec<String> = catalog.keys().cloned().collect();
    keys.sort();
    keys
}

fn t(state: &State, key: &str) -> String {
    let lang = state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(Lang::parse))
        .unwrap_or_default();
    translate(lang, key)
}

/// An absolute URL for a template. Only code makes one, from a parsed [`url::Url`] (which
/// percent-encodes whatever may not appear in a URL), so it is printed as it is in text and,
/// in HTML, with only `&`, `<`, `>`, `"` and `'` escaped: an `href` reads
/// `https://host/proposals/…`, not `https:&#x2f;&#x2f;host…`. User-typed text stays a plain
/// string and is escaped as before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link(String);

impl Link {
    pub fn new(url: url::Url) -> Self {
        Link(url.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_value(self) -> Value {
        Value::from_object(self)
    }
}

impl Object for Link {
    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// minijinja's formatter, except that a [`Link`] in HTML is escaped as an attribute value
/// (no `/` → `&#x2f;`).
fn format_value(out: &mut Output, state: &State, value: &Value) -> Result<(), minijinja::Error> {
    let Some(link) = value.downcast_object_ref::<Link>() else {
        return minijinja::escape_formatter(out, state, value);
    };
    if matches!(state.auto_escape(), AutoEscape::Html) {
        for c in link.as_str().chars() {
            match c {
                '&' => out.write_str("&amp;")?,
                '<' => out.write_str("&lt;")?,
                '>' => out.write_str("&gt;")?,
                '"' => out.write_str("&quot;")?,
                '\'' => out.write_str("&#x27;")?,
                c => out.write_char(c)?,
            }
        }
    } else {
        out.write_str(link.as_str())?;
    }
    Ok(())
}

fn build(override_dir: Option<PathBuf>) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_loader(move |name| {
        if let Some(dir) = &override_dir {
            let path = dir.join(name);
            if path.is_file() {
                return std::fs::read_to_string(&path).map(Some).map_err(|e| {
                    minijinja::Error::new(minijinja::ErrorKind::TemplateNotFound, e.to_string())
                });
            }
        }
        Ok(EMBEDDED
            .iter()
            .chain(EMAIL_EMBEDDED.iter())
            .find(|(n, _)| *n == name)
            .map(|(_, source)| source.to_string()))
    });
    env.add_function("t", t);
    env.set_formatter(format_value);
    env
}

/// Sets the override folder; only the first call counts (at start-up).
pub fn init(override_dir: Option<PathBuf>) {
    let _ = ENVIRONMENT.get_or_init(|| build(override_dir));
}

fn environment() -> &'static Environment<'static> {
    ENVIRONMENT.get_or_init(|| build(None))
}

/// A template that failed to render: a fault of the templates, never of the reader's data.
#[derive(Debug, thiserror::Error)]
#[error("template {name}: {source:#}")]
pub struct RenderError {
    name: String,
    source: minijinja::Error,
}

pub fn render(name: &str, context: impl Serialize) -> Result<String, RenderError> {
    environment()
        .get_template(name)
        .and_then(|template| template.render(context))
        .map_err(|source| RenderError {
            name: name.to_string(),
            source,
        })
}

pub fn error_titles(status: u16) -> (&'static str, &'static str) {
    match status {
        400 => ("リクエストが正しくありません", "Bad request"),
        403 => ("この操作は許可されていません", "Forbidden"),
        404 => ("ページが見つかりません", "Page not found"),
        409 => (
            "現在の状態ではこの操作はできません",
            "Not possible in the current state",
        ),
        413 => ("データが大きすぎます", "Too large"),
        422 => ("入力内容を確認してください", "Please check your input"),
        429 => ("試行回数が多すぎます", "Too many attempts"),
        503 => ("一時的に利用できません", "Temporarily unavailable"),
        _ => ("エラーが発生しました", "An error occurred"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::glossary::{ALIASES, TERMS, retired_words_in};

    #[test]
    fn the_catalogs_leave_the_glossary_terms_to_the_glossary() {
        for lang in [Lang::Ja, Lang::En] {
            let keys = catalog_keys(lang);
            for term in TERMS {
                assert!(
                    !keys.contains(&term.key.to_string()),
                    "{} is a glossary term; remove it from the {lang:?} catalog",
                    term.key
                );
            }
            for (alias, _) in ALIASES {
                assert!(!keys.contains(&alias.to_string()), "{alias}");
            }
            assert_eq!(
                translate(lang, "proposal.reference"),
                translate(lang, "term.reference")
            );
        }
    }

    #[test]
    fn no_catalog_message_or_email_template_uses_a_retired_word() {
        for lang in [Lang::Ja, Lang::En] {
            for key in catalog_keys(lang) {
                let message = translate(lang, &key);
                assert_eq!(
                    retired_words_in(lang, &message),
                    Vec::<&str>::new(),
                    "{key}"
                );
            }
        }
        for (name, source) in EMAIL_EMBEDDED {
            let lang = if name.contains("/ja.") {
                Lang::Ja
            } else {
                Lang::En
            };
            assert_eq!(retired_words_in(lang, source), Vec::<&str>::new(), "{name}");
        }
    }
}
