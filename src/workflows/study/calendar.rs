//! The iCalendar feed of milestones behind a secret URL.

use crate::auth::Principal;
use crate::auth::secrets::SecretKey;
use crate::db::{self, DbConnection};
use crate::domain::Role;
use crate::domain::study::{self};
use crate::error::AppResult;
use crate::store::audit::{self, Entry};
use crate::store::study::{self as store};

use super::common::*;
use crate::store::{msl as msl_store, users};

const CALENDAR_PURPOSE: &str = "calendar";

/// A new secret calendar URL for the caller; the old one stops working.
pub fn reset_calendar(
    conn: &mut DbConnection,
    key: &SecretKey,
    principal: &Principal,
) -> AppResult<String> {
    let token = crate::auth::secrets::random_token();
    store::set_calendar_token(
        conn,
        &principal.user_id,
        &key.mac_hex(CALENDAR_PURPOSE, &token),
    )?;
    audit::append(
        conn,
        Entry::new(
            &principal.actor(),
            "calendar.reset",
            "user",
            &principal.user_id,
        ),
    )?;
    Ok(token)
}

/// The due dates a user owns or oversees, as iCalendar text; `None` for an unknown token.
pub fn calendar_feed(
    conn: &mut DbConnection,
    key: &SecretKey,
    token: &str,
    base_url: &str,
) -> AppResult<Option<String>> {
    let Some(user_id) = store::calendar_owner(conn, &key.mac_hex(CALENDAR_PURPOSE, token))? else {
        return Ok(None);
    };
    let user = users::find(conn, &user_id)?;
    if !user.active {
        return Ok(None);
    }
    let role = user.role();
    let msl_ids = if role == Role::Msl {
        msl_store::proposals_of_msl(conn, &user.id)?
    } else {
        Vec::new()
    };
    let mut events = Vec::new();
    for (m, title, reference, owner_id) in store::open_milestones(conn)? {
        let mine = match role {
            Role::Admin => true,
            Role::Investigator => owner_id == user.id,
            Role::Msl => msl_ids.contains(&m.proposal_id),
            _ => false,
        };
        let Some(due) = m.due_on.filter(|_| mine) else {
            continue;
        };
        events.push(study::CalendarEvent {
            uid: format!("{}@liaison", m.id),
            date: due,
            summary: format!(
                "{} {}",
                reference.clone().unwrap_or_default(),
                milestone_label(&m, user.lang())
            )
            .trim()
            .to_string(),
            description: title,
            url: format!("{base_url}/proposals/{}", m.proposal_id),
        });
    }
    Ok(Some(study::icalendar("Liaison", &events, db::now())))
}
