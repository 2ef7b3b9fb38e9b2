//! Plain-Rust domain rules: no HTTP, no SQL.

pub mod access;
pub mod account;
pub mod glossary;
pub mod identifiers;
pub mod insights;
pub mod insights_compliance;
pub mod insights_report;
pub mod lifecycle;
pub mod money;
pub mod net;
pub mod programme;
pub mod programme_time;
pub mod proposal;
pub mod redirect;
pub mod reference;
pub mod reminders;
pub mod review;
pub mod study;
pub mod text;
pub mod todo;
pub mod visibility;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Investigator,
    Msl,
    Reviewer,
    Chair,
    Cro,
    Admin,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Investigator,
        Role::Msl,
        Role::Reviewer,
        Role::Chair,
        Role::Cro,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Investigator => "investigator",
            Role::Msl => "msl",
            Role::Reviewer => "reviewer",
            Role::Chair => "chair",
            Role::Cro => "cro",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// Staff roles are invited by an admin; investigators register themselves.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Msl | Role::Reviewer | Role::Chair | Role::Admin)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    Ja,
    En,
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    pub fn parse(text: &str) -> Option<Lang> {
        match text {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks the first supported language of an `Accept-Language` header, by quality.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut candidates: Vec<(f32, Lang)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.trim().split(';');
                let tag = pieces.next()?.trim().to_ascii_lowercase();
                let quality = pieces
                    .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse().ok()))
                    .unwrap_or(1.0);
                let primary = tag.split('-').next()?.to_string();
                Lang::parse(&primary).map(|lang| (quality, lang))
            })
            .collect();
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
        candidates.first().map(|(_, lang)| *lang)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Some(Lang::En));
        assert_eq!(
            Lang::from_accept_language("fr;q=1.0, ja;q=0.5, en;q=0.3"),
            Some(Lang::Ja)
        );
        assert_eq!(Lang::from_accept_language("de"), None);
    }
}
