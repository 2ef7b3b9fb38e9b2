//! Every email the service sends is declared here, once: a variant with its typed data, and
//! its templates in `templates/email/<event>/` (subject, text and HTML, per language).

use serde::Serialize;
use serde_json::json;

use crate::db::DbConnection;
use crate::domain::Lang;
use crate::error::{AppError, AppResult};
use crate::store::outbox::{self, NewMessage};
use crate::templates;

/// The events and their data. Links are paths; the worker prefixes `LIAISON_BASE_URL`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Email {
    SignInLink {
        path: String,
        minutes: u64,
    },
    VerifyEmail {
        path: String,
        minutes: u64,
    },
    SubmissionReceipt {
        reference: String,
        title: String,
        path: String,
        round: i32,
    },
    NewSubmission {
        reference: String,
        title: String,
        investigator: String,
        institution: String,
        path: String,
    },
    ReviewRequest {
        reference: String,
        title: String,
        path: String,
    },
    Decision {
        reference: String,
        title: String,
        outcome: String,
        rationale: String,
        conditions: Vec<String>,
        /// Reviewers' comments to the investigator: anonymous, never the confidential ones.
        comments: Vec<String>,
        path: String,
        /// The investigator version of the summary PDF is attached at send time.
        proposal_id: String,
    },
    MilestoneReminder {
        reference: String,
        title: String,
        milestone: String,
        due_on: String,
        /// `upcoming`, `due`, `overdue` or `weekly`.
        step: String,
        days: i64,
        path: String,
    },
    MilestoneEscalation {
        reference: String,
        title: String,
        milestone: String,
        due_on: String,
        days_overdue: i64,
        investigator: String,
        path: String,
    },
    StudyActivated {
        reference: String,
        title: String,
        path: String,
    },
    AdvicePosted {
        reference: String,
        title: String,
        author_role: String,
        section: Option<String>,
        excerpt: String,
        path: String,
    },
    /// To every admin: an investigator asked for advice on a draft and no MSL is assigned.
    MslNeeded {
        title: String,
        investigator: String,
        path: String,
    },
}

/// Event names, in the order their templates are embedded (see `templates::EMAIL_EVENTS`).
pub const EVENTS: &[&str] = &[
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

impl Email {
    pub fn event(&self) -> &'static str {
        match self {
            Email::SignInLink { .. } => "sign_in_link",
            Email::VerifyEmail { .. } => "verify_email",
            Email::SubmissionReceipt { .. } => "submission_receipt",
            Email::NewSubmission { .. } => "new_submission",
            Email::ReviewRequest { .. } => "review_request",
            Email::Decision { .. } => "decision",
            Email::AdvicePosted { .. } => "advice_posted",
            Email::MilestoneReminder { .. } => "milestone_reminder",
            Email::MilestoneEscalation { .. } => "milestone_escalation",
            Email::StudyActivated { .. } => "study_activated",
            Email::MslNeeded { .. } => "msl_needed",
        }
    }

    /// Messages carrying a secret have their data dropped once delivered.
    pub fn carries_secret(event: &str) -> bool {
        matches!(event, "sign_in_link" | "verify_email")
    }
}

#[derive(Debug, Clone)]
pub struct Recipient {
    pub email: String,
    pub name: String,
    pub lang: Lang,
}

impl Recipient {
    pub fn of(user: &crate::store::users::UserRow) -> Recipient {
        Recipient {
            email: user.email.clone(),
            name: user.display_name.clone(),
            lang: user.lang(),
        }
    }
}

fn message<'a>(
    to: &'a Recipient,
    event: &'a str,
    data: &'a str,
    key: Option<&'a str>,
) -> NewMessage<'a> {
    NewMessage {
        channel: "email",
        event,
        recipient: &to.email,
        recipient_name: &to.name,
        lang: to.lang.as_str(),
        data,
        dedupe_key: key,
    }
}

/// Queues an email in the caller's transaction.
pub fn enqueue(conn: &mut DbConnection, to: &Recipient, email: &Email) -> AppResult<()> {
    let data = serde_json::to_string(email)?;
    outbox::enqueue(conn, &message(to, email.event(), &data, None))?;
    Ok(())
}

/// Queues an email unless one with `key` was queued before; `true` when queued now.
pub fn enqueue_once(
    conn: &mut DbConnection,
    to: &Recipient,
    email: &Email,
    key: &str,
) -> AppResult<bool> {
    let data = serde_json::to_string(email)?;
    Ok(outbox::enqueue(
        conn,
        &message(to, email.event(), &data, Some(key)),
    )?)
}

/// The message's link: `LIAISON_BASE_URL` followed by the path in its data (a path the
/// workflow built, such as `/proposals/<id>`), parsed and percent-encoded as a URL.
fn link(base_url: &str, path: &str) -> AppResult<templates::Link> {
    let text = format!("{}{path}", base_url.trim_end_matches('/'));
    url::Url::parse(&text)
        .map(templates::Link::new)
        .map_err(|e| AppError::internal(format!("email link {text}: {e}")))
}

/// The subject line of a queued message in its recipient's language, for the admins' outbox
/// page. `None` when it cannot be made (a message whose data was redacted after delivery
/// still renders; a broken override template does not).
pub fn subject(event: &str, lang: &str, recipient_name: &str, data: &str) -> Option<String> {
    if !EVENTS.contains(&event) {
        return None;
    }
    let mut context: serde_json::Value = serde_json::from_str(data).ok()?;
    if let Some(map) = context.as_object_mut() {
        // An admin reads this: never a link, which may be a sign-in secret.
        map.remove("path");
        map.insert("recipient_name".into(), json!(recipient_name));
        map.insert("lang".into(), json!(lang));
    }
    let lang = Lang::parse(lang).unwrap_or_default().as_str();
    let subject = templates::render(&format!("email/{event}/{lang}.subject.txt"), &context).ok()?;
    let subject = subject.lines().next().unwrap_or("").trim().to_string();
    (!subject.is_empty()).then_some(subject)
}

pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Renders a queued message in its recipient's language.
pub fn render(
    event: &str,
    lang: &str,
    recipient_name: &str,
    data: &str,
    base_url: &str,
) -> AppResult<Rendered> {
    let mut context: serde_json::Value = serde_json::from_str(data)?;
    let link = match context.get("path").and_then(|p| p.as_str()) {
        Some(path) => Some(link(base_url, path)?),
        None => None,
    };
    if let Some(map) = context.as_object_mut() {
        map.insert("base_url".into(), json!(base_url));
        map.insert("recipient_name".into(), json!(recipient_name));
        map.insert("lang".into(), json!(lang));
    }
    let context = minijinja::context! {
        link => link.map(templates::Link::into_value),
        ..minijinja::Value::from_serialize(&context)
    };
    let lang = Lang::parse(lang).unwrap_or_default().as_str();
    let name = |part: &str| format!("email/{event}/{lang}.{part}");
    let subject = templates::render(&name("subject.txt"), &context)?;
    let subject = subject.lines().next().unwrap_or("").trim().to_string();
    if subject.is_empty() {
        return Err(AppError::internal(format!("email {event}: empty subject")));
    }
    Ok(Rendered {
        subject,
        text: templates::render(&name("body.txt"), &context)?,
        html: templates::render(&name("body.html"), &context)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(event: &str) -> Email {
        match event {
            "sign_in_link" => Email::SignInLink {
                path: "/signin/link?token=abc".into(),
                minutes: 15,
            },
            "verify_email" => Email::VerifyEmail {
                path: "/signin/link?token=abc".into(),
                minutes: 15,
            },
            "submission_receipt" => Email::SubmissionReceipt {
                reference: "IIS-2026-0042".into(),
                title: "<腎保護>の検討".into(),
                path: "/proposals/1".into(),
                round: 1,
            },
            "review_request" => Email::ReviewRequest {
                reference: "IIS-2026-0042".into(),
                title: "<腎保護>の検討".into(),
                path: "/proposals/1/review".into(),
            },
            "decision" => Email::Decision {
                reference: "IIS-2026-0042".into(),
                title: "<腎保護>の検討".into(),
                outcome: "approve_with_conditions".into(),
                rationale: "科学的に妥当".into(),
                conditions: vec!["jRCT に登録すること".into()],
                comments: vec!["<症例数>の根拠を補足してください".into()],
                path: "/proposals/1".into(),
                proposal_id: "1".into(),
            },
            "milestone_reminder" => Email::MilestoneReminder {
                reference: "IIS-2026-0042".into(),
                title: "<腎保護>の検討".into(),
                milestone: "総括報告書".into(),
                due_on: "2027-03-31".into(),
                step: "overdue".into(),
                days: 3,
                path: "/proposals/1".into(),
            },
            "milestone_escalation" => Email::MilestoneEscalation {
                reference: "IIS-2026-0042".into(),
                title: "<腎保護>の検討".into(),
                milestone: "総括報告書".into(),
                due_on: "2027-03-31".into(),
                days_overdue: 14,
                investigator: "山田 太郎".into(),
                path: "/proposals/1".into(),
            },
            "study_activated" => Email::StudyActivated {
                reference: "IIS-2026-0042".into(),
                title: "<腎保護>の検討".into(),
                path: "/proposals/1".into(),
            },
            "advice_posted" => Email::AdvicePosted {
                reference: String::new(),
                title: "<腎保護>の検討".into(),
                author_role: "msl".into(),
                section: Some("primary_endpoint".into()),
                excerpt: "<評価項目>について".into(),
                path: "/proposals/1".into(),
            },
            "msl_needed" => Email::MslNeeded {
                title: "<腎保護>の検討".into(),
                investigator: "山田 太郎".into(),
                path: "/proposals/1#msl-heading".into(),
            },
            _ => Email::NewSubmission {
                reference: "IIS-2026-0042".into(),
                title: "<腎保護>の検討".into(),
                investigator: "山田 太郎".into(),
                institution: "東都大学病院".into(),
                path: "/proposals/1".into(),
            },
        }
    }

    fn email_path(email: &Email) -> String {
        serde_json::to_value(email)
            .ok()
            .and_then(|v| v.get("path").and_then(|p| p.as_str()).map(str::to_string))
            .unwrap_or_default()
    }

    #[test]
    fn a_link_with_a_query_is_one_attribute_and_user_text_stays_escaped() {
        let data = serde_json::to_string(&Email::SignInLink {
            path: "/signin/link?token=a&b=<c>".into(),
            minutes: 15,
        })
        .unwrap_or_default();
        let rendered = render(
            "sign_in_link",
            "en",
            "A/B <x>",
            &data,
            "https://liaison.example/",
        )
        .unwrap_or_else(|e| panic!("{e:#}"));
        assert!(
            rendered
                .html
                .contains("href=\"https://liaison.example/signin/link?token=a&amp;b=%3Cc%3E\""),
            "{}",
            rendered.html
        );
        assert!(
            rendered
                .text
                .contains("https://liaison.example/signin/link?token=a&b=%3Cc%3E"),
            "{}",
            rendered.text
        );
        assert!(!rendered.html.contains("<x>"), "{}", rendered.html);
    }

    #[test]
    fn every_event_renders_in_both_languages_with_escaped_html() {
        for event in EVENTS {
            let email = sample(event);
            assert_eq!(email.event(), *event);
            let data = serde_json::to_string(&email).unwrap_or_default();
            for lang in ["ja", "en"] {
                let rendered = render(event, lang, "山田 太郎", &data, "https://liaison.example")
                    .unwrap_or_else(|e| panic!("{event}/{lang}: {e:#}"));
                assert!(!rendered.subject.is_empty());
                assert!(
                    rendered.text.contains("https://liaison.example/"),
                    "{event}/{lang} link"
                );
                assert!(
                    !rendered.html.contains("<腎保護>"),
                    "{event}/{lang} HTML must escape"
                );
                // The link is plain in the HTML part (no `&#x2f;`), and the same in both.
                let link = format!("https://liaison.example{}", email_path(&email));
                assert!(
                    rendered
                        .html
                        .contains(&format!("href=\"{}\"", link.replace('&', "&amp;"))),
                    "{event}/{lang}: {link} in {}",
                    rendered.html
                );
                assert!(rendered.text.contains(&link), "{event}/{lang} text link");
                assert!(!rendered.html.contains("&#x2f;"), "{event}/{lang}");
            }
        }
    }

    #[test]
    fn every_declared_event_has_embedded_templates() {
        for event in EVENTS {
            for file in [
                "ja.subject.txt",
                "ja.body.txt",
                "ja.body.html",
                "en.subject.txt",
                "en.body.txt",
                "en.body.html",
            ] {
                let name = format!("email/{event}/{file}");
                assert!(
                    templates::EMAIL_EMBEDDED.iter().any(|(n, _)| *n == name),
                    "{name} is not embedded"
                );
            }
        }
        assert_eq!(templates::EMAIL_EMBEDDED.len(), EVENTS.len() * 6);
    }

    #[test]
    fn the_receipt_names_the_reference_in_subject_and_body() {
        let data = serde_json::to_string(&sample("submission_receipt")).unwrap_or_default();
        let ja = render("submission_receipt", "ja", "山田 太郎", &data, "http://x")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(ja.subject.contains("IIS-2026-0042"));
        assert!(ja.text.contains("IIS-2026-0042"));
        assert!(ja.subject.contains("受け付けました"));
    }
}
