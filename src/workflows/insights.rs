//! MSL field insights (docs/PRODUCT.md#field-insights): listening priorities (admins write,
//! MSLs read), insights (MSLs record and submit their own, admins acknowledge) with the
//! compliance check on every save and the justification rule on submission. Who may read
//! any of it is the visibility table's `Insights` row (admins and MSLs).

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::auth::policy::ProposalAction;
use crate::db::DbConnection;
use crate::domain::insights::{self as rules, Category, InsightStatus, Source, StepRefused};
use crate::domain::insights_compliance::{
    ComplianceMatch, ComplianceRules, MatchKind, RestrictedKind, RestrictedPhrase, check,
};
use crate::domain::visibility::{Audience, FieldGroup, sees};
use crate::domain::{Lang, Role};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::audit::{self, Entry};
use crate::store::insights::{
    self as store, HistoryEntry, InsightColumns, InsightRow, PriorityColumns, PriorityRow,
};
use crate::store::users;

pub use crate::store::insights::{HistoryRow, InsightRow as Row, PriorityRow as Priority};

/// The column of the visibility table a principal reads insights as (no proposal involved).
fn audience(principal: &Principal) -> Audience {
    match principal.role {
        Role::Admin => Audience::Admin,
        Role::Msl => Audience::Msl,
        Role::Chair | Role::Reviewer => Audience::Committee,
        Role::Investigator => Audience::Investigator,
        Role::Cro => Audience::Cro,
    }
}

/// Insights, priorities and the report are for those the visibility table lets see them.
pub fn require_reader(principal: &Principal) -> AppResult<()> {
    if sees(audience(principal), FieldGroup::Insights) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "field insights are internal to medical affairs".into(),
        ))
    }
}

fn require_admin(principal: &Principal, what: &str) -> AppResult<()> {
    require_reader(principal)?;
    if principal.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!("only admins {what}")))
    }
}

// ---------------------------------------------------------------- listening priorities

pub struct PriorityInput<'a> {
    pub therapeutic_area: &'a str,
    pub product: &'a str,
    pub question_ja: &'a str,
    pub question_en: &'a str,
    pub active_from: Option<NaiveDate>,
    pub active_to: Option<NaiveDate>,
}

fn one_line_field(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: &str,
    required: bool,
    max: usize,
) {
    let value = value.trim();
    if required && value.is_empty() {
        errors.push(FieldError::new(field, "required", "is required"));
    } else if value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            "too_long",
            format!("must be at most {max} characters"),
        ));
    } else if let Err(error) = crate::domain::text::check_line(value) {
        errors.push(FieldError::new(field, error.code(), error.english()));
    }
}

fn priority_columns<'a>(input: &'a PriorityInput<'a>) -> AppResult<PriorityColumns<'a>> {
    let mut errors = Vec::new();
    one_line_field(
        &mut errors,
        "therapeutic_area",
        input.therapeutic_area,
        true,
        200,
    );
    one_line_field(&mut errors, "product", input.product, false, 200);
    one_line_field(&mut errors, "question_ja", input.question_ja, true, 500);
    one_line_field(&mut errors, "question_en", input.question_en, true, 500);
    match (input.active_from, input.active_to) {
        (None, _) => errors.push(FieldError::new("active_from", "required", "is required")),
        (Some(from), Some(to)) if to < from => errors.push(FieldError::new(
            "active_to",
            "range",
            "must not be before active_from",
        )),
        _ => {}
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok(PriorityColumns {
        therapeutic_area: input.therapeutic_area.trim(),
        product: input.product.trim(),
        question_ja: input.question_ja.trim(),
        question_en: input.question_en.trim(),
        active_from: input.active_from.unwrap_or_default(),
        active_to: input.active_to,
    })
}

pub fn listening_priorities(
    conn: &mut DbConnection,
    principal: &Principal,
) -> AppResult<Vec<PriorityRow>> {
    require_reader(principal)?;
    Ok(store::priorities(conn)?)
}

pub fn create_priority(
    conn: &mut DbConnection,
    principal: &Principal,
    input: &PriorityInput<'_>,
) -> AppResult<PriorityRow> {
    require_admin(principal, "set listening priorities")?;
    let columns = priority_columns(input)?;
    let row = store::insert_priority(conn, &columns, &principal.user_id)?;
    audit::append(
        conn,
        Entry::new(
            &principal.actor(),
            "listening_priority.create",
            "listening_priority",
            &row.id,
        )
        .after(priority_json(&row)),
    )?;
    Ok(row)
}

pub fn update_priority(
    conn: &mut DbConnection,
    principal: &Principal,
    id: &str,
    input: &PriorityInput<'_>,
) -> AppResult<PriorityRow> {
    require_admin(principal, "set listening priorities")?;
    let before = store::find_priority(conn, id)?;
    let columns = priority_columns(input)?;
    let row = store::update_priority(conn, id, &columns)?;
    audit::append(
        conn,
        Entry::new(
            &principal.actor(),
            "listening_priority.update",
            "listening_priority",
            id,
        )
        .before(priority_json(&before))
        .after(priority_json(&row)),
    )?;
    Ok(row)
}

fn priority_json(row: &PriorityRow) -> serde_json::Value {
    json!({
        "therapeutic_area": row.therapeutic_area, "product": row.product,
        "question_ja": row.question_ja, "question_en": row.question_en,
        "active_from": row.active_from, "active_to": row.active_to,
    })
}

/// The question of a priority in `lang`.
pub fn question(row: &PriorityRow, lang: Lang) -> &str {
    match lang {
        Lang::Ja => &row.question_ja,
        Lang::En => &row.question_en,
    }
}

// ---------------------------------------------------------------- restricted phrases

pub fn compliance_rules(conn: &mut DbConnection) -> AppResult<ComplianceRules> {
    let added = store::restricted_phrases(conn)?
        .into_iter()
        .map(|(phrase, kind)| RestrictedPhrase {
            phrase,
            kind: RestrictedKind::parse(&kind).unwrap_or(RestrictedKind::Other),
        });
    Ok(ComplianceRules::with_added(added))
}

/// The phrases in force (defaults and added), for admins and MSLs.
pub fn restricted_phrases(
    conn: &mut DbConnection,
    principal: &Principal,
) -> AppResult<Vec<RestrictedPhrase>> {
    require_reader(principal)?;
    Ok(compliance_rules(conn)?.phrases)
}

/// Adds a restricted phrase (admins).
pub fn add_restricted_phrase(
    conn: &mut DbConnection,
    principal: &Principal,
    phrase: &str,
    kind: &str,
) -> AppResult<()> {
    require_admin(principal, "configure restricted phrases")?;
    let mut errors = Vec::new();
    one_line_field(&mut errors, "phrase", phrase, true, 100);
    let Some(kind) = RestrictedKind::parse(kind) else {
        errors.push(FieldError::new(
            "kind",
            "invalid_choice",
            "promotional, sales, off_label or other",
        ));
        return Err(AppError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let phrase = phrase.trim();
    let existing = compliance_rules(conn)?;
    if existing
        .phrases
        .iter()
        .any(|p| p.phrase.to_lowercase() == phrase.to_lowercase())
    {
        return Err(AppError::Conflict(
            "this phrase is already restricted".into(),
        ));
    }
    store::add_restricted_phrase(conn, phrase, kind.as_str(), &principal.user_id)?;
    audit::append(
        conn,
        Entry::new(
            &principal.actor(),
            "insight.restricted_phrase_add",
            "restricted_phrase",
            phrase,
        )
        .after(json!({"phrase": phrase, "kind": kind.as_str()})),
    )?;
    Ok(())
}

// ---------------------------------------------------------------- insights

/// What an MSL types; links are ids.
#[derive(Debug, Clone, Default)]
pub struct InsightInput {
    pub title: String,
    pub body: String,
    pub category: String,
    pub source: String,
    pub therapeutic_area: String,
    pub product: String,
    pub interaction_id: Option<String>,
    pub proposal_ids: Vec<String>,
    pub investigator_ids: Vec<String>,
    pub priority_ids: Vec<String>,
}

/// One compliance match of one field, as shown next to that field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ComplianceFlag {
    /// `title` or `body`.
    pub field: String,
    pub kind: MatchKind,
    /// The matched text as written.
    pub phrase: String,
    /// Offset in the field, in characters.
    pub start: usize,
}

/// A linked record: its id and what to show for it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LinkRef {
    pub id: String,
    pub label: String,
}

/// An insight with its links and its current compliance matches.
#[derive(Debug, Clone)]
pub struct InsightView {
    pub row: InsightRow,
    pub author_name: String,
    pub status: InsightStatus,
    pub category: Category,
    pub source: Source,
    pub proposals: Vec<LinkRef>,
    pub investigators: Vec<LinkRef>,
    pub priorities: Vec<LinkRef>,
    pub flags: Vec<ComplianceFlag>,
}

pub fn flags(rules: &ComplianceRules, title: &str, body: &str) -> Vec<ComplianceFlag> {
    let mut out = Vec::new();
    for (field, text) in [("title", title), ("body", body)] {
        out.extend(
            check(rules, text)
                .into_iter()
                .map(|m: ComplianceMatch| ComplianceFlag {
                    field: field.into(),
                    kind: m.kind,
                    phrase: m.phrase,
                    start: m.start,
                }),
        );
    }
    out
}

struct Checked {
    category: Category,
    source: Source,
}

/// Field checks, then link checks: every proposal must be one the caller may see, every
/// investigator an investigator, every priority a priority, the interaction one the caller
/// logged or may see.
fn check_input(
    conn: &mut DbConnection,
    principal: &Principal,
    input: &mut InsightInput,
) -> AppResult<Checked> {
    let mut errors = Vec::new();
    one_line_field(&mut errors, "title", &input.title, true, 200);
    one_line_field(
        &mut errors,
        "therapeutic_area",
        &input.therapeutic_area,
        true,
        200,
    );
    one_line_field(&mut errors, "product", &input.product, false, 200);
    let body = input.body.trim();
    if body.is_empty() {
        errors.push(FieldError::new("body", "required", "is required"));
    } else if body.chars().count() > 5000 {
        errors.push(FieldError::new(
            "body",
            "too_long",
            "must be at most 5000 characters",
        ));
    } else if let Err(error) = crate::domain::text::check_multiline(body) {
        errors.push(FieldError::new("body", error.code(), error.english()));
    }
    let category = Category::parse(input.category.trim());
    if category.is_none() {
        errors.push(FieldError::new(
            "category",
            "invalid_choice",
            "unmet_need, safety_perception, treatment_practice, protocol_feasibility or competitive_landscape",
        ));
    }
    let source = Source::parse(input.source.trim());
    if source.is_none() {
        errors.push(FieldError::new(
            "source",
            "invalid_choice",
            "one_to_one, advisory_board, congress or literature",
        ));
    }
    for list in [
        &mut input.proposal_ids,
        &mut input.investigator_ids,
        &mut input.priority_ids,
    ] {
        list.iter_mut().for_each(|id| *id = id.trim().to_string());
        list.retain(|id| !id.is_empty());
        list.sort();
        list.dedup();
    }
    if let Some(interaction_id) = input.interaction_id.as_deref().map(str::trim) {
        if interaction_id.is_empty() {
            input.interaction_id = None;
        } else {
            match store::interaction(conn, interaction_id)? {
                Some((proposal_id, msl_id, _))
                    if msl_id == principal.user_id
                        || visible_proposal(conn, principal, &proposal_id)? =>
                {
                    // An insight from a contact is about that contact's proposal.
                    if !input.proposal_ids.contains(&proposal_id) {
                        input.proposal_ids.push(proposal_id);
                    }
                }
                _ => errors.push(FieldError::new(
                    "interaction_id",
                    "not_found",
                    "no interaction-log entry of yours has this id",
                )),
            }
        }
    }
    for (i, id) in input.proposal_ids.iter().enumerate() {
        if !visible_proposal(conn, principal, id)? {
            errors.push(FieldError::new(
                format!("proposal_ids[{i}]"),
                "not_found",
                "no proposal you advise on has this id",
            ));
        }
    }
    for (i, id) in input.investigator_ids.iter().enumerate() {
        let investigator = match users::find(conn, id) {
            Ok(user) => user.role() == Role::Investigator,
            Err(diesel::result::Error::NotFound) => false,
            Err(other) => return Err(other.into()),
        };
        if !investigator {
            errors.push(FieldError::new(
                format!("investigator_ids[{i}]"),
                "not_found",
                "no investigator has this id",
            ));
        }
    }
    for (i, id) in input.priority_ids.iter().enumerate() {
        match store::find_priority(conn, id) {
            Ok(_) => {}
            Err(diesel::result::Error::NotFound) => errors.push(FieldError::new(
                format!("priority_ids[{i}]"),
                "not_found",
                "no listening priority has this id",
            )),
            Err(other) => return Err(other.into()),
        }
    }
    match (category, source) {
        (Some(category), Some(source)) if errors.is_empty() => Ok(Checked { category, source }),
        _ => Err(AppError::Validation(errors)),
    }
}

fn visible_proposal(conn: &mut DbConnection, principal: &Principal, id: &str) -> AppResult<bool> {
    match crate::workflows::proposals::load(conn, principal, id, ProposalAction::View) {
        Ok(_) => Ok(true),
        Err(AppError::NotFound | AppError::Forbidden(_)) => Ok(false),
        Err(other) => Err(other),
    }
}

fn columns<'a>(input: &'a InsightInput, checked: &Checked) -> InsightColumns<'a> {
    InsightColumns {
        title: input.title.trim(),
        body: input.body.trim(),
        category: checked.category.as_str(),
        source: checked.source.as_str(),
        therapeutic_area: input.therapeutic_area.trim(),
        product: input.product.trim(),
        interaction_id: input.interaction_id.as_deref(),
    }
}

fn save_links(conn: &mut DbConnection, id: &str, input: &InsightInput) -> AppResult<()> {
    store::set_links(conn, id, "proposal", &input.proposal_ids)?;
    store::set_links(conn, id, "investigator", &input.investigator_ids)?;
    store::set_links(conn, id, "priority", &input.priority_ids)?;
    Ok(())
}

fn snapshot(row: &InsightRow, input_links: &InsightInput) -> String {
    json!({
        "title": row.title, "body": row.body, "category": row.category, "source": row.source,
        "therapeutic_area": row.therapeutic_area, "product": row.product,
        "interaction_id": row.interaction_id, "proposal_ids": input_links.proposal_ids,
        "investigator_ids": input_links.investigator_ids, "priority_ids": input_links.priority_ids,
    })
    .to_string()
}

fn record(
    conn: &mut DbConnection,
    principal: &Principal,
    action: &str,
    row: &InsightRow,
    snapshot: String,
    flags: &[ComplianceFlag],
    justification: Option<&str>,
) -> AppResult<()> {
    let matches = serde_json::to_value(flags)?;
    store::append_history(
        conn,
        &HistoryEntry {
            insight_id: &row.id,
            actor_id: &principal.user_id,
            action,
            status: &row.status,
            snapshot: &snapshot,
            compliance_matches: &matches.to_string(),
            justification,
        },
    )?;
    audit::append(
        conn,
        Entry::new(&principal.actor(), action, "insight", &row.id)
            .after(json!({
                "status": row.status,
                "snapshot": serde_json::from_str::<serde_json::Value>(&snapshot)?,
                "compliance_matches": matches,
            }))
            .reason(justification),
    )?;
    Ok(())
}

/// Records a draft (MSLs). The compliance matches are returned, not refused: they block
/// only the submission.
pub fn create_insight(
    conn: &mut DbConnection,
    principal: &Principal,
    mut input: InsightInput,
) -> AppResult<InsightView> {
    require_reader(principal)?;
    if principal.role != Role::Msl {
        return Err(AppError::Forbidden("MSLs record insights".into()));
    }
    let checked = check_input(conn, principal, &mut input)?;
    let row = store::insert_insight(conn, &principal.user_id, &columns(&input, &checked))?;
    save_links(conn, &row.id, &input)?;
    let rules = compliance_rules(conn)?;
    let found = flags(&rules, &row.title, &row.body);
    record(
        conn,
        principal,
        "insight.create",
        &row,
        snapshot(&row, &input),
        &found,
        None,
    )?;
    view(conn, row, &rules)
}

/// The insight as `principal` may have it: admins see every insight but others' drafts,
/// MSLs their own; everyone else nothing (the visibility table).
fn load(conn: &mut DbConnection, principal: &Principal, id: &str) -> AppResult<InsightRow> {
    require_reader(principal)?;
    let row = match store::find_insight(conn, id) {
        Ok(row) => row,
        Err(diesel::result::Error::NotFound) => return Err(AppError::NotFound),
        Err(other) => return Err(other.into()),
    };
    let own = row.author_id == principal.user_id;
    let admin_sees = principal.role == Role::Admin && row.status != "draft";
    if own || admin_sees {
        Ok(row)
    } else {
        Err(AppError::NotFound)
    }
}

fn load_own_draft(
    conn: &mut DbConnection,
    principal: &Principal,
    id: &str,
    step: &'static str,
) -> AppResult<InsightRow> {
    let row = load(conn, principal, id)?;
    if row.author_id != principal.user_id {
        return Err(AppError::Forbidden(
            "only its author changes an insight".into(),
        ));
    }
    refusal(rules::can_edit(status_of(&row)?).map(|_| ()), step)?;
    Ok(row)
}

fn status_of(row: &InsightRow) -> AppResult<InsightStatus> {
    InsightStatus::parse(&row.status)
        .ok_or_else(|| AppError::internal(format!("stored insight status {}", row.status)))
}

fn refusal<T>(result: Result<T, StepRefused>, step: &str) -> AppResult<T> {
    result.map_err(|refused| match refused {
        StepRefused::WrongState { from, .. } => AppError::InvalidTransition {
            detail: format!("a {} insight cannot be {step}", from.as_str()),
            allowed_actions: Vec::new(),
        },
        StepRefused::NeedsJustification(_) => AppError::internal("unexpected refusal"),
    })
}

pub fn update_insight(
    conn: &mut DbConnection,
    principal: &Principal,
    id: &str,
    mut input: InsightInput,
) -> AppResult<InsightView> {
    load_own_draft(conn, principal, id, "edited")?;
    let checked = check_input(conn, principal, &mut input)?;
    let row = store::update_insight(conn, id, &columns(&input, &checked))?;
    save_links(conn, id, &input)?;
    let rules = compliance_rules(conn)?;
    let found = flags(&rules, &row.title, &row.body);
    record(
        conn,
        principal,
        "insight.update",
        &row,
        snapshot(&row, &input),
        &found,
        None,
    )?;
    view(conn, row, &rules)
}

/// Submits a draft: refused with every match listed unless the text is clean or a
/// justification is given; the justification and the matches are audited.
pub fn submit_insight(
    conn: &mut DbConnection,
    principal: &Principal,
    id: &str,
    justification: Option<&str>,
) -> AppResult<InsightView> {
    let row = load_own_draft(conn, principal, id, "submitted")?;
    let rules = compliance_rules(conn)?;
    let found = flags(&rules, &row.title, &row.body);
    let matches: Vec<ComplianceMatch> = found
        .iter()
        .map(|f| ComplianceMatch {
            kind: f.kind,
            phrase: f.phrase.clone(),
            start: f.start,
        })
        .collect();
    let justification = match rules::submit(status_of(&row)?, &matches, justification) {
        Ok(justification) => justification,
        Err(StepRefused::NeedsJustification(_)) => {
            let mut errors: Vec<FieldError> = found.iter().map(flag_error).collect();
            errors.push(FieldError::new(
                "justification",
                "justification_required",
                format!(
                    "change the text or give a justification of at least {} characters",
                    rules::MIN_JUSTIFICATION_CHARS
                ),
            ));
            return Err(AppError::Validation(errors));
        }
        Err(other) => return refusal(Err(other), "submitted"),
    };
    if !store::mark_submitted(conn, id, justification.as_deref())? {
        return Err(AppError::Conflict(
            "the insight was submitted meanwhile".into(),
        ));
    }
    let row = store::find_insight(conn, id)?;
    let links = links_input(conn, id)?;
    record(
        conn,
        principal,
        "insight.submit",
        &row,
        snapshot(&row, &links),
        &found,
        justification.as_deref(),
    )?;
    view(conn, row, &rules)
}

/// The field error of one match: `body` + `restricted_phrase` / `patient_data` + the phrase.
pub fn flag_error(flag: &ComplianceFlag) -> FieldError {
    let code = if flag.kind.is_patient_data() {
        "patient_data"
    } else {
        "restricted_phrase"
    };
    FieldError::new(
        flag.field.clone(),
        code,
        format!("「{}」 ({})", flag.phrase, flag.kind.as_str()),
    )
}

/// Acknowledges a submitted insight (admins).
pub fn acknowledge_insight(
    conn: &mut DbConnection,
    principal: &Principal,
    id: &str,
) -> AppResult<InsightView> {
    let row = load(conn, principal, id)?;
    if principal.role != Role::Admin {
        return Err(AppError::Forbidden("admins acknowledge insights".into()));
    }
    refusal(rules::acknowledge(status_of(&row)?), "acknowledged")?;
    if !store::mark_acknowledged(conn, id, &principal.user_id)? {
        return Err(AppError::Conflict(
            "the insight was acknowledged meanwhile".into(),
        ));
    }
    let row = store::find_insight(conn, id)?;
    let links = links_input(conn, id)?;
    let rules = compliance_rules(conn)?;
    let found = flags(&rules, &row.title, &row.body);
    record(
        conn,
        principal,
        "insight.acknowledge",
        &row,
        snapshot(&row, &links),
        &found,
        None,
    )?;
    view(conn, row, &rules)
}

fn links_input(conn: &mut DbConnection, id: &str) -> AppResult<InsightInput> {
    let mut input = InsightInput::default();
    for (_, kind, target) in store::links_of(conn, &[id.to_string()])? {
        match kind.as_str() {
            "proposal" => input.proposal_ids.push(target),
            "investigator" => input.investigator_ids.push(target),
            _ => input.priority_ids.push(target),
        }
    }
    Ok(input)
}

pub fn get_insight(
    conn: &mut DbConnection,
    principal: &Principal,
    id: &str,
) -> AppResult<InsightView> {
    let row = load(conn, principal, id)?;
    let rules = compliance_rules(conn)?;
    view(conn, row, &rules)
}

/// The append-only history of one insight (who may read the insight).
pub fn history(
    conn: &mut DbConnection,
    principal: &Principal,
    id: &str,
) -> AppResult<Vec<HistoryRow>> {
    load(conn, principal, id)?;
    Ok(store::history_of(conn, id)?)
}

/// Admins: every submitted or acknowledged insight; MSLs: their own.
pub fn list_insights(
    conn: &mut DbConnection,
    principal: &Principal,
) -> AppResult<Vec<InsightView>> {
    require_reader(principal)?;
    let rows = if principal.role == Role::Admin {
        store::list_insights(conn, None, true)?
    } else {
        store::list_insights(conn, Some(&principal.user_id), false)?
    };
    let rules = compliance_rules(conn)?;
    rows.into_iter()
        .map(|row| view(conn, row, &rules))
        .collect()
}

fn view(
    conn: &mut DbConnection,
    row: InsightRow,
    rules: &ComplianceRules,
) -> AppResult<InsightView> {
    let author_name = users::display_name(conn, &row.author_id)?;
    let (mut proposals, mut investigators, mut priorities) = (Vec::new(), Vec::new(), Vec::new());
    for (_, kind, target) in store::links_of(conn, std::slice::from_ref(&row.id))? {
        match kind.as_str() {
            "proposal" => {
                let p = crate::store::proposals::find(conn, &target)?;
                let label = match p.reference {
                    Some(reference) => format!("{reference} {}", p.title),
                    None => p.title,
                };
                proposals.push(LinkRef { id: target, label });
            }
            "investigator" => {
                let label = users::display_name(conn, &target)?;
                investigators.push(LinkRef { id: target, label });
            }
            _ => {
                let p = store::find_priority(conn, &target)?;
                priorities.push(LinkRef {
                    id: target,
                    label: format!("{} / {}", p.question_ja, p.question_en),
                });
            }
        }
    }
    let flags = flags(rules, &row.title, &row.body);
    Ok(InsightView {
        status: status_of(&row)?,
        category: Category::parse(&row.category).unwrap_or(Category::UnmetNeed),
        source: Source::parse(&row.source).unwrap_or(Source::OneToOne),
        author_name,
        proposals,
        investigators,
        priorities,
        flags,
        row,
    })
}

/// What the insight form offers an MSL: the proposals they advise on, those proposals'
/// investigators, and the listening priorities active today (by area).
pub struct FormOptions {
    pub proposals: Vec<LinkRef>,
    pub investigators: Vec<LinkRef>,
    pub priorities: Vec<PriorityRow>,
    /// (interaction id, proposal label, summary) when recording from an interaction.
    pub interaction: Option<(String, String, String)>,
}

pub fn form_options(
    conn: &mut DbConnection,
    principal: &Principal,
    interaction_id: Option<&str>,
    today: NaiveDate,
) -> AppResult<FormOptions> {
    require_reader(principal)?;
    let mut proposals = Vec::new();
    let mut investigators: Vec<LinkRef> = Vec::new();
    if principal.role == Role::Msl {
        for row in crate::workflows::msl::visible_proposals(conn, principal)? {
            if !investigators.iter().any(|i| i.id == row.owner_id) {
                investigators.push(LinkRef {
                    id: row.owner_id.clone(),
                    label: users::display_name(conn, &row.owner_id)?,
                });
            }
            proposals.push(LinkRef {
                label: match row.reference {
                    Some(reference) => format!("{reference} {}", row.title),
                    None => row.title,
                },
                id: row.id,
            });
        }
    }
    let priorities = store::priorities(conn)?
        .into_iter()
        .filter(|p| p.active_from <= today && p.active_to.is_none_or(|to| today <= to))
        .collect();
    let interaction = match interaction_id.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(id) => match store::interaction(conn, id)? {
            Some((proposal_id, msl_id, summary)) if msl_id == principal.user_id => {
                let label = proposals
                    .iter()
                    .find(|p| p.id == proposal_id)
                    .map(|p| p.label.clone())
                    .unwrap_or(proposal_id);
                Some((id.to_string(), label, summary))
            }
            _ => None,
        },
    };
    Ok(FormOptions {
        proposals,
        investigators,
        priorities,
        interaction,
    })
}
