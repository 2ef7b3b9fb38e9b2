//! Proposal use cases: create, edit (optimistic locking), transitions with their guards.

use serde_json::json;

use crate::auth::Principal;
use crate::auth::policy::{self, ProposalAction};
use crate::db::DbConnection;
use crate::domain::Role;
use crate::domain::access::Relation;
use crate::domain::lifecycle::{self, Action, GuardFacts, Status};
use crate::domain::proposal::{FieldIssue, ProposalContent, diff};
use crate::domain::text;
use crate::error::{AppError, AppResult, FieldError};
use crate::store::audit::{self, Entry};
use crate::store::proposals::{self, ListScope, ProposalRow, SearchColumns};
use crate::store::users;
use crate::workflows::access::{self, Access};

pub use crate::store::proposals::{ListFilter, ProposalListRow};

/// A proposal as stored, with its content parsed.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub row: ProposalRow,
    pub content: ProposalContent,
    pub status: Status,
    /// The loading caller's access (`workflows::access`).
    pub access: Access,
}

impl Loaded {
    /// `row` parsed, for a caller standing in `relation` to it.
    pub fn from_row(row: ProposalRow, relation: Relation) -> AppResult<Loaded> {
        let content: ProposalContent = serde_json::from_str(&row.content)?;
        let status: Status = row
            .status
            .parse()
            .map_err(|e| AppError::internal(format!("stored status: {e}")))?;
        Ok(Loaded {
            row,
            content,
            status,
            access: Access::new(relation, status),
        })
    }
}

/// Loads a proposal the caller may act on; hidden ones are `NotFound`. An MSL trying to edit
/// is refused by the compliance guardrail (audited).
pub fn load(
    conn: &mut DbConnection,
    principal: &Principal,
    id: &str,
    action: ProposalAction,
) -> AppResult<Loaded> {
    let row = proposals::find(conn, id)?;
    authorise(conn, principal, row, action)
}

/// `load`, with the owner's display name read in the same statement (for answers that show it).
pub fn load_with_owner_name(
    conn: &mut DbConnection,
    principal: &Principal,
    id: &str,
    action: ProposalAction,
) -> AppResult<(Loaded, String)> {
    let (row, owner_name) = proposals::find_with_owner_name(conn, id)?;
    Ok((authorise(conn, principal, row, action)?, owner_name))
}

fn authorise(
    conn: &mut DbConnection,
    principal: &Principal,
    row: ProposalRow,
    action: ProposalAction,
) -> AppResult<Loaded> {
    let mut loaded = Loaded::from_row(row, Relation::Unrelated(principal.role))?;
    loaded.access.relation = access::relation(conn, principal, &loaded.row, loaded.status)?;
    let id = loaded.row.id.as_str();
    let decision = loaded.access.decide(action);
    if decision == policy::Decision::Forbidden
        && principal.role == Role::Msl
        && action == ProposalAction::EditFields
    {
        return Err(AppError::refused(
            &principal.user_id,
            principal.role.as_str(),
            "msl_cannot_edit_protocol",
            "proposal",
            id,
            false,
            "MSLs give advice; they never edit the investigator's proposal",
            json!({"action": "edit"}),
        ));
    }
    decision.require()?;
    Ok(loaded)
}

/// The proposals `principal` may list, filtered (the list itself carries no content).
pub fn list(
    conn: &mut DbConnection,
    principal: &Principal,
    filter: &ListFilter,
) -> AppResult<Vec<ProposalListRow>> {
    Ok(proposals::list(conn, &list_scope(principal), filter)?)
}

/// The display name of a proposal's owner.
pub fn owner_name(conn: &mut DbConnection, loaded: &Loaded) -> AppResult<String> {
    Ok(users::display_name(conn, &loaded.row.owner_id)?)
}

pub fn list_scope(principal: &Principal) -> ListScope {
    match principal.role {
        Role::Investigator => ListScope::Owner(principal.user_id.clone()),
        Role::Admin => ListScope::All,
        Role::Chair => ListScope::Submitted,
        Role::Msl => ListScope::Msl(principal.user_id.clone()),
        Role::Reviewer => ListScope::Reviewer(principal.user_id.clone()),
        Role::Cro => match &principal.organization_id {
            Some(org) => ListScope::Cro(org.clone()),
            None => ListScope::Nothing,
        },
    }
}

/// Actions the caller could take now: permitted for their role, with every guard met that
/// the caller cannot meet in the request itself (completeness and a reason they supply).
/// Review decisions and activation stay hidden until the records they need exist.
pub fn actions_for(loaded: &Loaded) -> Vec<Action> {
    let actor = loaded.access.lifecycle_actor();
    let facts = GuardFacts {
        complete: true,
        reason: Some("given with the request".into()),
        ..GuardFacts::default()
    };
    lifecycle::allowed_actions(loaded.status)
        .into_iter()
        .filter(|action| lifecycle::transition(loaded.status, *action, actor, &facts).is_ok())
        .collect()
}

fn columns(content: &ProposalContent) -> SearchColumns<'_> {
    SearchColumns {
        title: &content.title,
        product: &content.product,
        therapeutic_area: &content.therapeutic_area,
    }
}

pub fn issues_to_errors(issues: &[FieldIssue]) -> Vec<FieldError> {
    issues
        .iter()
        .map(|i| FieldError::new(&i.field, i.code, i.english()))
        .collect()
}

/// Proposal fields that are one line: they reach email subjects (the title), the PDF's
/// metadata and headings, and CSV cells. Every other text may span lines.
const ONE_LINE_FIELDS: &[&str] = &[
    "title",
    "acronym",
    "therapeutic_area",
    "product",
    "phase",
    "name",
    "institution",
    "department",
    "email",
    "orcid",
    "label",
    "currency",
    "unit",
    "ethics_committee",
    "resubmission_of",
];

/// Draft-time checks: lengths, characters and amount bounds only, so a draft can always be saved
/// while it grows but never holds a line break in a title, a bidi override anywhere, or an
/// amount or total beyond `domain::money::AMOUNT_MAX`.
fn check_draft(content: &ProposalContent) -> AppResult<()> {
    let mut errors: Vec<FieldError> = match serde_json::to_value(content) {
        Ok(document) => text::check_json_strings(&document, ONE_LINE_FIELDS)
            .into_iter()
            .map(|(field, error)| FieldError::new(&field, error.code(), error.english()))
            .collect(),
        Err(error) => return Err(AppError::internal(format!("proposal content: {error}"))),
    };
    let issues: Vec<FieldIssue> = content
        .check_complete()
        .into_iter()
        .filter(|i| matches!(i.code, "too_long" | "too_large"))
        .collect();
    errors.extend(issues_to_errors(&issues));
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

pub fn create(
    conn: &mut DbConnection,
    principal: &Principal,
    content: ProposalContent,
) -> AppResult<Loaded> {
    policy::create_proposal(principal).require()?;
    let content = content.tidy();
    check_draft(&content)?;
    let json_text = serde_json::to_string(&content)?;
    let row = proposals::insert(
        conn,
        &principal.user_id,
        Status::Draft.as_str(),
        &columns(&content),
        &json_text,
    )?;
    audit::append(
        conn,
        Entry::new(&principal.actor(), "proposal.create", "proposal", &row.id)
            .after(serde_json::to_value(&content)?),
    )?;
    Loaded::from_row(row, Relation::Owner)
}

/// Replaces the content of an editable proposal. `expected_version` comes from `If-Match`
/// (API) or the form's hidden field (web); a stale one is refused with 412.
pub fn update(
    conn: &mut DbConnection,
    principal: &Principal,
    id: &str,
    expected_version: i64,
    content: ProposalContent,
) -> AppResult<Loaded> {
    let current = load(conn, principal, id, ProposalAction::EditFields)?;
    if !lifecycle::is_editable_by_owner(current.status) {
        return Err(AppError::Conflict(format!(
            "a proposal in status '{}' is frozen; it can be edited again when a revision is requested",
            current.status.as_str()
        )));
    }
    if current.row.version != expected_version {
        return Err(AppError::PreconditionFailed);
    }
    let content = content.tidy();
    check_draft(&content)?;
    let changes = diff(&current.content, &content);
    if changes.is_empty() {
        return Ok(current);
    }
    let json_text = serde_json::to_string(&content)?;
    let Some(row) =
        proposals::update_content(conn, id, expected_version, &columns(&content), &json_text)?
    else {
        return Err(AppError::PreconditionFailed);
    };
    let actor = principal.actor();
    for change in &changes {
        audit::append(
            conn,
            Entry::new(&actor, "proposal.update", "proposal", id)
                .before(json!({ &change.field: change.before }))
                .after(json!({ &change.field: change.after })),
        )?;
    }
    Ok(Loaded {
        row,
        content,
        status: current.status,
        access: current.access,
    })
}
