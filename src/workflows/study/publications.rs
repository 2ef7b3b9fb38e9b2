//! Publications and conference presentations with their identifiers (DOI, PMID).

use chrono::NaiveDate;
use serde_json::json;

use crate::auth::Principal;
use crate::db::{self, DbConnection};
use crate::domain::Role;
use crate::domain::identifiers::{Doi, Pmid};
use crate::domain::study::{PUBLICATION_KINDS, status_fits_kind};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::audit::{self, Entry};
use crate::store::study::{self as store};

use super::common::*;
use crate::store::study::PublicationRow;

#[derive(Debug, Clone, Default)]
pub struct PublicationInput {
    pub kind: String,
    pub title: String,
    pub venue: String,
    pub status: String,
    pub submitted_on: Option<NaiveDate>,
    pub accepted_on: Option<NaiveDate>,
    pub published_on: Option<NaiveDate>,
    pub doi: Option<String>,
    pub pmid: Option<String>,
    pub congress_name: Option<String>,
    pub city: Option<String>,
    pub presented_on: Option<NaiveDate>,
}

pub fn add_publication(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    input: &PublicationInput,
) -> AppResult<PublicationRow> {
    load_study(conn, principal, proposal_id, true)?;
    if principal.role == Role::Cro {
        return Err(AppError::Forbidden(
            "publications are kept by the investigator".into(),
        ));
    }
    let mut errors = Vec::new();
    if !PUBLICATION_KINDS.contains(&input.kind.as_str()) {
        errors.push(FieldError::new(
            "kind",
            "invalid_choice",
            "manuscript or abstract",
        ));
    } else if !status_fits_kind(&input.kind, &input.status) {
        errors.push(FieldError::new(
            "status",
            "invalid_choice",
            "not a status of this kind",
        ));
    }
    if input.title.trim().is_empty() {
        errors.push(FieldError::new("title", "required", "is required"));
    }
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let doi = match text(&input.doi) {
        None => None,
        Some(raw) => match Doi::parse(&raw) {
            Ok(doi) => Some(doi.to_string()),
            Err(_) => {
                errors.push(FieldError::new(
                    "doi",
                    "doi",
                    "not a DOI (10.<registrant>/<suffix>)",
                ));
                None
            }
        },
    };
    let pmid = match text(&input.pmid) {
        None => None,
        Some(raw) => match Pmid::parse(&raw) {
            Ok(pmid) => Some(pmid.to_string()),
            Err(_) => {
                errors.push(FieldError::new(
                    "pmid",
                    "pmid",
                    "not a PubMed id (1–9 digits)",
                ));
                None
            }
        },
    };
    if input.kind == "abstract" && text(&input.congress_name).is_none() {
        errors.push(FieldError::new(
            "congress_name",
            "required",
            "an abstract names its congress",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let row = store::insert_publication(
        conn,
        &PublicationRow {
            id: db::new_id(),
            proposal_id: proposal_id.to_string(),
            kind: input.kind.clone(),
            title: input.title.trim().to_string(),
            venue: input.venue.trim().to_string(),
            status: input.status.clone(),
            submitted_on: input.submitted_on,
            accepted_on: input.accepted_on,
            published_on: input.published_on,
            doi,
            pmid,
            congress_name: text(&input.congress_name),
            city: text(&input.city),
            presented_on: input.presented_on,
            created_at: db::now(),
            updated_at: db::now(),
        },
    )?;
    audit::append(
        conn,
        Entry::new(&principal.actor(), "publication.create", "proposal", proposal_id).after(json!({
            "publication_id": row.id, "kind": row.kind, "title": row.title, "status": row.status, "doi": row.doi, "pmid": row.pmid,
        })),
    )?;
    Ok(row)
}

pub fn publications(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
) -> AppResult<Vec<PublicationRow>> {
    load_study(conn, principal, proposal_id, false)?;
    Ok(store::publications_of(conn, proposal_id)?)
}
