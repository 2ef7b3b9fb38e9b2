//! MSL protocol support (docs/PRODUCT.md#msl-protocol-support): assignment, advice threads, the
//! append-only interaction log and versioned documents, with the compliance guardrails
//! (docs/COMPLIANCE.md).

use chrono::NaiveDate;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::auth::Principal;
use crate::auth::policy::ProposalAction;
use crate::db::{self, DbConnection};
use crate::domain::Role;
use crate::domain::access::Relation as AccessRelation;
use crate::domain::lifecycle::Status;
use crate::domain::visibility::{FieldGroup, sees, sees_document};
use crate::error::{AppError, AppResult, FieldError};
use crate::notify::{self, Email, Recipient};
use crate::store::audit::{self, Entry};
use crate::store::msl::{self as store, NewAdvice, NewDocument};

pub use crate::store::msl::{AdviceRow, DocumentMeta, InteractionRow};
use crate::store::proposals::{self as proposal_store, ProposalRow};
use crate::store::users;
use crate::workflows::proposals::{self as proposals, Loaded};

/// The proposals an MSL may see: assigned, and either submitted or a draft whose investigator
/// asked for advice.
pub fn visible_proposals(
    conn: &mut DbConnection,
    principal: &Principal,
) -> AppResult<Vec<ProposalRow>> {
    let mut rows = Vec::new();
    for id in store::proposals_of_msl(conn, &principal.user_id)? {
        let row = proposal_store::find(conn, &id)?;
        if row.status != Status::Draft.as_str() || row.advice_requested_at.is_some() {
            rows.push(row);
        }
    }
    rows.sort_by(|a, b| b.id.cmp(&a.id));
    Ok(rows)
}

/// Who the caller is to this proposal, for the MSL features.
pub struct Relation {
    pub loaded: Loaded,
    pub is_owner: bool,
    pub is_assigned_msl: bool,
    pub is_admin: bool,
}

impl Relation {
    /// Advice and the interaction log are between the investigator and the assigned MSLs
    /// (admins oversee both).
    pub fn in_conversation(&self) -> bool {
        self.is_owner || self.is_assigned_msl || self.is_admin
    }
}

/// The assigned MSLs of a proposal (id, name, email), for anyone who may see it.
pub fn assigned_msls(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
) -> AppResult<Vec<(String, String, String)>> {
    relation(conn, principal, proposal_id)?;
    Ok(store::assigned_msls(conn, proposal_id)?)
}

/// What the proposal page shows of MSL support and documents, for one reader: the thread and
/// the interaction log only to those in the conversation, MSL candidates only to admins, and
/// the documents the reader may see with their uploaders' names.
pub struct PageSupport {
    pub relation: Relation,
    pub assigned: Vec<(String, String, String)>,
    pub msl_candidates: Vec<users::UserRow>,
    pub thread: Vec<(AdviceRow, String)>,
    /// `None` when the reader may not see the interaction log (docs/COMPLIANCE.md).
    pub interactions: Option<Vec<(InteractionRow, String)>>,
    pub documents: Vec<(DocumentMeta, String)>,
}

/// What the proposal page's MSL sections need, for a proposal the caller has already loaded
/// for viewing (the page is built from that one load).
pub fn page_support(conn: &mut DbConnection, loaded: Loaded) -> AppResult<PageSupport> {
    let relation = relation_of(loaded);
    let proposal_id = relation.loaded.row.id.clone();
    let proposal_id = proposal_id.as_str();
    let assigned = store::assigned_msls(conn, proposal_id)?;
    let (mut msl_candidates, mut thread, mut interactions) = (Vec::new(), Vec::new(), None);
    if relation.in_conversation() {
        if relation.is_admin {
            msl_candidates = users::active_with_role(conn, Role::Msl)?
                .into_iter()
                .filter(|u| !assigned.iter().any(|(id, _, _)| id == &u.id))
                .collect();
        }
        thread = store::advice_thread(conn, proposal_id)?;
    }
    let reader = relation.loaded.access.audience();
    if relation.in_conversation() && sees(reader, FieldGroup::Interactions) {
        interactions = Some(store::interactions_of(conn, proposal_id)?);
    }
    let mut documents = Vec::new();
    for d in store::documents_of(conn, proposal_id)? {
        if sees_document(reader, &d.doc_type) {
            let uploader = users::find(conn, &d.uploaded_by)?.display_name;
            documents.push((d, uploader));
        }
    }
    Ok(PageSupport {
        relation,
        assigned,
        msl_candidates,
        thread,
        interactions,
        documents,
    })
}

pub fn relation(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
) -> AppResult<Relation> {
    let loaded = proposals::load(conn, principal, proposal_id, ProposalAction::View)?;
    Ok(relation_of(loaded))
}

/// The MSL features' view of the access `loaded` carries.
fn relation_of(loaded: Loaded) -> Relation {
    let relation = &loaded.access.relation;
    Relation {
        is_owner: *relation == AccessRelation::Owner,
        is_admin: *relation == AccessRelation::Admin,
        is_assigned_msl: *relation == AccessRelation::AssignedMsl,
        loaded,
    }
}

fn require_conversation(relation: &Relation) -> AppResult<()> {
    if relation.in_conversation() {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "advice is shared between the investigator and the assigned MSLs".into(),
        ))
    }
}

// ---------------------------------------------------------------- assignment

pub fn assign_msl(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    msl_id: &str,
) -> AppResult<()> {
    let relation = relation(conn, principal, proposal_id)?;
    if !relation.is_admin {
        return Err(AppError::Forbidden("only admins assign MSLs".into()));
    }
    let msl = match users::find(conn, msl_id) {
        Ok(user) if user.active && user.role() == Role::Msl => user,
        Ok(_) | Err(diesel::result::Error::NotFound) => {
            return Err(AppError::validation_one(
                "msl_id",
                "invalid_choice",
                "not an active MSL",
            ));
        }
        Err(other) => return Err(other.into()),
    };
    // An MSL never advises on a proposal they review (the mirror of the reviewer guardrail).
    if crate::store::review::ever_assigned(conn, proposal_id, msl_id)? {
        return Err(AppError::refused(
            &principal.user_id,
            principal.role.as_str(),
            "reviewer_cannot_advise",
            "proposal",
            proposal_id,
            true,
            "this person reviews the proposal and cannot advise on it",
            json!({"action": "assign_msl", "msl_id": msl_id}),
        ));
    }
    if store::is_assigned(conn, proposal_id, msl_id)? {
        return Err(AppError::Conflict("this MSL is already assigned".into()));
    }
    store::assign(conn, proposal_id, msl_id, &principal.user_id)?;
    audit::append(
        conn,
        Entry::new(&principal.actor(), "msl.assign", "proposal", proposal_id)
            .after(json!({"msl_id": msl.id, "msl_name": msl.display_name})),
    )?;
    Ok(())
}

pub fn unassign_msl(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    msl_id: &str,
) -> AppResult<()> {
    let relation = relation(conn, principal, proposal_id)?;
    if !relation.is_admin {
        return Err(AppError::Forbidden("only admins assign MSLs".into()));
    }
    if store::unassign(conn, proposal_id, msl_id)? == 0 {
        return Err(AppError::NotFound);
    }
    audit::append(
        conn,
        Entry::new(&principal.actor(), "msl.unassign", "proposal", proposal_id)
            .before(json!({"msl_id": msl_id})),
    )?;
    Ok(())
}

/// Who an advice request reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdviceRouting {
    /// The assigned MSLs can now see the draft.
    ToMsls,
    /// No MSL is assigned: the admins were asked to assign one.
    ToAdmins,
}

/// The investigator asks the assigned MSLs for advice on a draft (which makes the draft
/// visible to them). With no MSL assigned, every active admin is emailed to assign one (the
/// request waits on their to-do list); an assigned MSL then finds it on theirs.
pub fn request_advice(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
) -> AppResult<AdviceRouting> {
    let relation = relation(conn, principal, proposal_id)?;
    if !relation.is_owner {
        return Err(AppError::Forbidden(
            "only the investigator asks for advice".into(),
        ));
    }
    let routing = if store::assigned_msls(conn, proposal_id)?.is_empty() {
        AdviceRouting::ToAdmins
    } else {
        AdviceRouting::ToMsls
    };
    if relation.loaded.row.advice_requested_at.is_some() {
        return Ok(routing);
    }
    proposal_store::set_advice_requested(conn, proposal_id, Some(db::now()))?;
    audit::append(
        conn,
        Entry::new(
            &principal.actor(),
            "msl.advice_requested",
            "proposal",
            proposal_id,
        )
        .after(json!({"msl_assigned": routing == AdviceRouting::ToMsls})),
    )?;
    if routing == AdviceRouting::ToAdmins {
        let email = Email::MslNeeded {
            title: relation.loaded.row.title.clone(),
            investigator: users::display_name(conn, &relation.loaded.row.owner_id)?,
            path: format!("/proposals/{proposal_id}#msl-heading"),
        };
        for admin in users::active_with_role(conn, Role::Admin)? {
            notify::enqueue(conn, &Recipient::of(&admin), &email)?;
        }
    }
    Ok(routing)
}

// ---------------------------------------------------------------- advice

/// Proposal sections an advice message may be anchored to (the content's top-level fields).
pub const SECTIONS: &[&str] = &[
    "title",
    "therapeutic_area",
    "product",
    "study_type",
    "phase",
    "background",
    "objectives",
    "hypothesis",
    "design",
    "primary_endpoint",
    "secondary_endpoints",
    "planned_sample_size",
    "planned_sites",
    "planned_start",
    "planned_end",
    "principal_investigator",
    "co_investigators",
    "requested_support",
    "budget_items",
    "ethics_committee",
    "registry",
    "independence",
    "conflict_of_interest",
    "publication_plan",
];

pub struct AdviceInput<'a> {
    pub section: Option<&'a str>,
    pub body: &'a str,
    pub parent_id: Option<&'a str>,
}

pub fn post_advice(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    input: &AdviceInput<'_>,
) -> AppResult<AdviceRow> {
    let relation = relation(conn, principal, proposal_id)?;
    if !(relation.is_owner || relation.is_assigned_msl) {
        return Err(AppError::Forbidden(
            "advice is written by the investigator and the assigned MSLs".into(),
        ));
    }
    let mut errors = Vec::new();
    let body = input.body.trim();
    if body.is_empty() {
        errors.push(FieldError::new("body", "required", "is required"));
    } else if body.chars().count() > 10_000 {
        errors.push(FieldError::new(
            "body",
            "too_long",
            "must be at most 10000 characters",
        ));
    } else if let Err(error) = crate::domain::text::check_multiline(body) {
        errors.push(FieldError::new("body", error.code(), error.english()));
    }
    let section = input.section.map(str::trim).filter(|s| !s.is_empty());
    if let Some(section) = section
        && !SECTIONS.contains(&section)
    {
        errors.push(FieldError::new(
            "section",
            "invalid_choice",
            "not a proposal section",
        ));
    }
    let parent_id = input.parent_id.map(str::trim).filter(|p| !p.is_empty());
    if let Some(parent) = parent_id {
        match store::find_advice(conn, parent) {
            // Replies hang off a top-level message of the same proposal (one level deep).
            Ok(p) if p.proposal_id == proposal_id && p.parent_id.is_none() => {}
            Ok(_) | Err(diesel::result::Error::NotFound) => errors.push(FieldError::new(
                "parent_id",
                "invalid_choice",
                "not a message of this proposal",
            )),
            Err(other) => return Err(other.into()),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let row = store::insert_advice(
        conn,
        &NewAdvice {
            proposal_id,
            parent_id,
            author_id: &principal.user_id,
            author_role: principal.role.as_str(),
            section,
            body,
        },
    )?;
    audit::append(
        conn,
        Entry::new(&principal.actor(), "advice.post", "proposal", proposal_id).after(
            json!({"advice_id": row.id, "section": section, "parent_id": parent_id, "body": body}),
        ),
    )?;
    // Tell the other side.
    let recipients = if relation.is_assigned_msl {
        vec![users::find(conn, &relation.loaded.row.owner_id)?]
    } else {
        store::assigned_msls(conn, proposal_id)?
            .into_iter()
            .map(|(id, _, _)| users::find(conn, &id))
            .collect::<Result<Vec<_>, _>>()?
    };
    let email = Email::AdvicePosted {
        reference: relation.loaded.row.reference.clone().unwrap_or_default(),
        title: relation.loaded.row.title.clone(),
        author_role: principal.role.as_str().into(),
        section: section.map(str::to_string),
        excerpt: body.chars().take(200).collect(),
        path: format!("/proposals/{proposal_id}"),
    };
    for recipient in recipients.iter().filter(|u| u.active) {
        notify::enqueue(conn, &Recipient::of(recipient), &email)?;
    }
    Ok(row)
}

pub fn advice_thread(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
) -> AppResult<Vec<(AdviceRow, String)>> {
    let relation = relation(conn, principal, proposal_id)?;
    require_conversation(&relation)?;
    Ok(store::advice_thread(conn, proposal_id)?)
}

// ---------------------------------------------------------------- interactions

pub const CHANNELS: &[&str] = &["meeting", "call", "email", "web"];

pub fn log_interaction(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    occurred_on: Option<NaiveDate>,
    channel: &str,
    summary: &str,
) -> AppResult<InteractionRow> {
    let relation = relation(conn, principal, proposal_id)?;
    if !relation.is_assigned_msl {
        return Err(AppError::Forbidden(
            "the assigned MSLs log their contacts".into(),
        ));
    }
    let mut errors = Vec::new();
    match occurred_on {
        None => errors.push(FieldError::new("occurred_on", "required", "is required")),
        Some(date) if date > crate::clock::programme_today() => errors.push(FieldError::new(
            "occurred_on",
            "range",
            "cannot be in the future",
        )),
        Some(_) => {}
    }
    if !CHANNELS.contains(&channel) {
        errors.push(FieldError::new(
            "channel",
            "invalid_choice",
            "meeting, call, email or web",
        ));
    }
    let summary = summary.trim();
    if summary.is_empty() {
        errors.push(FieldError::new("summary", "required", "is required"));
    } else if summary.chars().count() > 5000 {
        errors.push(FieldError::new(
            "summary",
            "too_long",
            "must be at most 5000 characters",
        ));
    } else if let Err(error) = crate::domain::text::check_multiline(summary) {
        errors.push(FieldError::new("summary", error.code(), error.english()));
    }
    let Some(date) = occurred_on.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let row = store::insert_interaction(
        conn,
        proposal_id,
        &principal.user_id,
        date,
        channel,
        summary,
    )?;
    audit::append(
        conn,
        Entry::new(&principal.actor(), "interaction.log", "proposal", proposal_id)
            .after(json!({"interaction_id": row.id, "occurred_on": date, "channel": channel, "summary": summary})),
    )?;
    Ok(row)
}

pub fn interactions(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
) -> AppResult<Vec<(InteractionRow, String)>> {
    let relation = relation(conn, principal, proposal_id)?;
    require_conversation(&relation)?;
    let reader = relation.loaded.access.audience();
    if !sees(reader, FieldGroup::Interactions) {
        return Err(AppError::Forbidden(
            "the interaction log is kept for the MSLs and admins".into(),
        ));
    }
    Ok(store::interactions_of(conn, proposal_id)?)
}

// ---------------------------------------------------------------- documents

pub const DOC_TYPES: &[&str] = &[
    "protocol",
    "synopsis",
    "budget",
    "cv",
    "ethics_letter",
    "contract",
    "other",
];

/// The media type of a file, decided from its bytes (never from its name or the client's
/// claim). Only PDF, DOCX, XLSX, PNG and JPEG are accepted.
pub fn sniff_media_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"PK\x03\x04") {
        // Office Open XML is a ZIP whose entry names say what it is.
        let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        if has(b"word/") {
            Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        } else if has(b"xl/") {
            Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        } else {
            None
        }
    } else {
        None
    }
}

/// Keeps the base name, drops control characters and path separators.
pub fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base
        .chars()
        .filter(|c| crate::domain::text::allowed_in_line(*c) && *c != '"')
        .take(200)
        .collect();
    if cleaned.trim().is_empty() {
        "document".into()
    } else {
        cleaned.trim().to_string()
    }
}

/// Who may upload: the investigator and admins. Checked before the body is read, so a
/// refused caller learns nothing from how their upload was parsed.
pub fn authorize_upload(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
) -> AppResult<()> {
    let relation = relation(conn, principal, proposal_id)?;
    if relation.is_assigned_msl {
        return Err(AppError::refused(
            &principal.user_id,
            principal.role.as_str(),
            "msl_cannot_edit_protocol",
            "proposal",
            proposal_id,
            false,
            "MSLs give advice; documents come from the investigator and the programme office",
            json!({"action": "upload_document"}),
        ));
    }
    if !(relation.is_owner || relation.is_admin) {
        return Err(AppError::Forbidden(
            "documents are uploaded by the investigator or an admin".into(),
        ));
    }
    Ok(())
}

pub fn upload_document(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    doc_type: &str,
    file_name: &str,
    content: &[u8],
) -> AppResult<DocumentMeta> {
    authorize_upload(conn, principal, proposal_id)?;
    if !DOC_TYPES.contains(&doc_type) {
        return Err(AppError::validation_one(
            "doc_type",
            "invalid_choice",
            "unknown document type",
        ));
    }
    if content.is_empty() {
        return Err(AppError::validation_one(
            "file",
            "required",
            "the file is empty",
        ));
    }
    let Some(media_type) = sniff_media_type(content) else {
        return Err(AppError::UnsupportedMediaType(
            "only PDF, DOCX, XLSX, PNG and JPEG files are accepted (checked by content)".into(),
        ));
    };
    let sha256 = hex::encode(Sha256::digest(content));
    let file_name = clean_file_name(file_name);
    let meta = store::insert_document(
        conn,
        &NewDocument {
            proposal_id,
            doc_type,
            file_name: &file_name,
            media_type,
            sha256: &sha256,
            content,
            uploaded_by: &principal.user_id,
        },
    )?;
    audit::append(
        conn,
        Entry::new(&principal.actor(), "document.upload", "proposal", proposal_id).after(json!({
            "document_id": meta.id, "doc_type": doc_type, "version": meta.version, "file_name": file_name,
            "media_type": media_type, "size_bytes": meta.size_bytes, "sha256": sha256,
        })),
    )?;
    Ok(meta)
}

/// Documents are visible to everyone who may see the proposal.
pub fn documents(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
) -> AppResult<Vec<DocumentMeta>> {
    let loaded = proposals::load(conn, principal, proposal_id, ProposalAction::View)?;
    let reader = loaded.access.audience();
    Ok(store::documents_of(conn, proposal_id)?
        .into_iter()
        .filter(|d| sees_document(reader, &d.doc_type))
        .collect())
}

pub fn download(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    document_id: &str,
) -> AppResult<(DocumentMeta, Vec<u8>)> {
    let loaded = proposals::load(conn, principal, proposal_id, ProposalAction::View)?;
    let reader = loaded.access.audience();
    let (meta, bytes) = store::document_content(conn, proposal_id, document_id)?;
    // A document the reader may not see (a budget document for a CRO) does not exist for them.
    if !sees_document(reader, &meta.doc_type) {
        return Err(AppError::NotFound);
    }
    Ok((meta, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_are_decided_by_content() {
        assert_eq!(sniff_media_type(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(
            sniff_media_type(b"\x89PNG\r\n\x1a\n...."),
            Some("image/png")
        );
        assert_eq!(
            sniff_media_type(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some("image/jpeg")
        );
        assert!(
            sniff_media_type(b"PK\x03\x04....word/document.xml")
                .is_some_and(|m| m.contains("wordprocessingml"))
        );
        assert!(
            sniff_media_type(b"PK\x03\x04....xl/workbook.xml")
                .is_some_and(|m| m.contains("spreadsheetml"))
        );
        assert_eq!(sniff_media_type(b"MZ\x90\x00 an exe renamed to .pdf"), None);
        assert_eq!(sniff_media_type(b"PK\x03\x04 a plain zip"), None);
    }

    #[test]
    fn file_names_keep_their_base_name_and_japanese_text() {
        assert_eq!(clean_file_name("研究計画書_v2.pdf"), "研究計画書_v2.pdf");
        assert_eq!(clean_file_name("C:\\Users\\x\\計画.pdf"), "計画.pdf");
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("a\"b\n.pdf"), "ab.pdf");
        assert_eq!(clean_file_name("invoice\u{202E}fdp.exe"), "invoicefdp.exe");
        assert_eq!(clean_file_name("   "), "document");
    }
}
