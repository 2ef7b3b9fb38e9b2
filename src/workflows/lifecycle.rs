//! What happens when a proposal's status changes: the lifecycle's guards are read from the
//! review and the study, the change is written with its round, event, reference number,
//! emails, webhook events and audit record, all in the caller's transaction. Every status
//! change of every workflow goes through [`transition_with`].

use serde_json::json;

use crate::auth::Principal;
use crate::auth::policy::ProposalAction;
use crate::db::{self, DbConnection};
use crate::domain::Role;
use crate::domain::lifecycle::{self, Action, GuardFacts, TransitionError};
use crate::domain::reference::format_reference;
use crate::domain::review::{quorum_met, weighted_score};
use crate::error::{AppError, AppResult};
use crate::notify::{self, Email, Recipient};
use crate::store::audit::{self, Entry};
use crate::store::proposals::{self as proposal_store, NewEvent, StatusChange};
use crate::store::review::{self as review_store, rubric_of};
use crate::store::study::{self as study_store, GatesRow};
use crate::store::users;
use crate::workflows::access::Access;
use crate::workflows::proposals::{Loaded, issues_to_errors, load};
use crate::workflows::webhook_events;

/// The year of a reference number: the programme runs in Japan, so the year turns at
/// midnight Japan time.
/// The year of the programme's date (its time zone), not the UTC year.
fn reference_year() -> i32 {
    crate::domain::programme_time::year_in(crate::clock::zone(), crate::db::now())
}

/// What some transitions take besides a reason.
#[derive(Debug, Clone, Default)]
pub struct TransitionExtras<'a> {
    pub reason: Option<&'a str>,
    /// For `start_review`: the committee that will review.
    pub committee_id: Option<&'a str>,
    /// For decisions taken before quorum.
    pub quorum_override_reason: Option<&'a str>,
}

/// A lifecycle action from the transitions endpoint. Decisions are recorded through the
/// decision endpoint instead (they carry a rationale, conditions and a letter).
pub fn transition(
    conn: &mut DbConnection,
    principal: &Principal,
    id: &str,
    action: Action,
    reason: Option<&str>,
    expected_version: Option<i64>,
) -> AppResult<Loaded> {
    transition_with(
        conn,
        principal,
        id,
        action,
        &TransitionExtras {
            reason,
            ..TransitionExtras::default()
        },
        expected_version,
    )
}

pub fn is_decision(action: Action) -> bool {
    matches!(
        action,
        Action::Approve
            | Action::ApproveWithConditions
            | Action::ReviseAndResubmit
            | Action::Defer
            | Action::Reject
    )
}

pub fn transition_with(
    conn: &mut DbConnection,
    principal: &Principal,
    id: &str,
    action: Action,
    extras: &TransitionExtras<'_>,
    expected_version: Option<i64>,
) -> AppResult<Loaded> {
    let current = load(conn, principal, id, ProposalAction::View)?;
    if expected_version.is_some_and(|v| v != current.row.version) {
        return Err(AppError::PreconditionFailed);
    }
    let reason = extras.reason.map(str::trim).filter(|r| !r.is_empty());
    let mut facts = GuardFacts {
        reason: reason.map(str::to_string),
        quorum_override_reason: extras
            .quorum_override_reason
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string),
        ..GuardFacts::default()
    };
    if action == Action::StartReview
        && let Some(committee_id) = extras.committee_id
    {
        match review_store::find_committee(conn, committee_id) {
            Ok(_) => {
                proposal_store::set_committee(conn, id, committee_id)?;
                audit::append(
                    conn,
                    Entry::new(
                        &principal.actor(),
                        "review.committee_chosen",
                        "proposal",
                        id,
                    )
                    .before(json!({"committee_id": current.row.committee_id}))
                    .after(json!({"committee_id": committee_id})),
                )?;
            }
            Err(diesel::result::Error::NotFound) => {
                return Err(AppError::validation_one(
                    "committee_id",
                    "invalid_choice",
                    "no such committee",
                ));
            }
            Err(other) => return Err(other.into()),
        }
    }
    facts.committee_chosen = current.row.committee_id.is_some()
        || (action == Action::StartReview && extras.committee_id.is_some());
    if is_decision(action) {
        facts.quorum_met = quorum_facts(conn, &current.row)?;
    }
    if matches!(action, Action::Activate | Action::Complete) {
        let (contract, ethics, registered, final_report) = gate_facts(conn, id)?;
        facts.contract_signed = contract;
        facts.ethics_approved = ethics;
        facts.registered = registered;
        facts.final_report_done = final_report;
    }
    let completeness = if action == Action::Submit {
        current.content.check_complete()
    } else {
        Vec::new()
    };
    facts.complete = completeness.is_empty();
    let actor = current.access.lifecycle_actor();
    let next = match lifecycle::transition(current.status, action, actor, &facts) {
        Ok(next) => next,
        Err(TransitionError::NotAllowed { allowed, .. }) => {
            let allowed: Vec<String> = allowed.iter().map(|a| a.as_str().to_string()).collect();
            return Err(AppError::InvalidTransition {
                detail: format!(
                    "'{}' is not possible while the proposal is '{}'; allowed now: {}",
                    action.as_str(),
                    current.status.as_str(),
                    if allowed.is_empty() {
                        "none".to_string()
                    } else {
                        allowed.join(", ")
                    }
                ),
                allowed_actions: allowed,
            });
        }
        Err(TransitionError::NotPermitted { .. }) => {
            return Err(AppError::Forbidden(format!(
                "your role may not '{}' this proposal",
                action.as_str()
            )));
        }
        Err(TransitionError::GuardFailed { unmet, .. }) => {
            if !completeness.is_empty() {
                return Err(AppError::Validation(issues_to_errors(&completeness)));
            }
            if unmet.contains(&lifecycle::Guard::Reason) {
                return Err(AppError::validation_one(
                    "reason",
                    "required",
                    "a reason is required",
                ));
            }
            let unmet: Vec<&str> = unmet.iter().map(|g| g.as_str()).collect();
            return Err(AppError::Conflict(format!(
                "'{}' needs: {}",
                action.as_str(),
                unmet.join(", ")
            )));
        }
    };

    let now = db::now();
    let new_round = lifecycle::starts_new_round(current.status, action);
    let round = if new_round {
        current.row.round + 1
    } else {
        current.row.round
    };
    let Some(row) = proposal_store::change_status(
        conn,
        id,
        current.row.version,
        &StatusChange {
            status: next.as_str(),
            round,
            submitted_at: (action == Action::Submit).then_some(now),
        },
    )?
    else {
        return Err(AppError::PreconditionFailed);
    };
    if new_round {
        // The snapshot is the stored document as it is: it was serialised when saved.
        proposal_store::insert_round(
            conn,
            id,
            round,
            &current.row.content,
            &principal.user_id,
            now,
        )?;
        carry_over_assignments(conn, id, round, &principal.user_id)?;
    }
    proposal_store::insert_event(
        conn,
        &NewEvent {
            proposal_id: id,
            action: action.as_str(),
            from_status: current.status.as_str(),
            to_status: next.as_str(),
            actor_id: &principal.user_id,
            reason,
        },
    )?;
    let recipients = if action == Action::Submit {
        Some(submission_recipients(conn, &current.row.owner_id)?)
    } else {
        None
    };
    let subscribers = crate::store::cro::webhooks_for_proposal(conn, id)?;
    // The reference counter's row lock serialises every first submission until commit (that
    // is what keeps the numbers gap-free), so it is taken as late as possible: every read is
    // done before it, and only writes that need the number follow it (docs/performance.md).
    let (row, reference) = match (&current.row.reference, action) {
        (None, Action::Submit) => {
            let year = reference_year();
            let reference =
                format_reference(year, proposal_store::next_reference_sequence(conn, year)?);
            (
                proposal_store::set_reference(conn, id, &reference)?,
                Some(reference),
            )
        }
        _ => (row, None),
    };
    if let Some(recipients) = &recipients {
        notify_submission(conn, &current, reference.as_deref(), round, recipients)?;
    }
    if action == Action::Activate {
        notify_activated(conn, &current)?;
    }
    webhook_events::publish_to(
        conn,
        &subscribers,
        "proposal.status_changed",
        json!({
            "proposal_id": id,
            "reference": current.row.reference.clone().or(reference.clone()),
            "from": current.status.as_str(),
            "to": next.as_str(),
            "action": action.as_str(),
        }),
    )?;
    let mut after = json!({"status": next.as_str(), "round": round});
    if let Some(reference) = &reference {
        after["reference"] = json!(reference);
    }
    audit::append(
        conn,
        Entry::new(
            &principal.actor(),
            &format!("proposal.{}", action.as_str()),
            "proposal",
            id,
        )
        .before(json!({"status": current.status.as_str(), "round": current.row.round}))
        .after(after)
        .reason(reason),
    )?;
    Ok(Loaded {
        row,
        content: current.content,
        status: next,
        access: Access::new(current.access.relation, next),
    })
}

/// Who hears of a submission: its investigator, then every active admin.
struct SubmissionRecipients {
    owner: users::UserRow,
    admins: Vec<users::UserRow>,
}

fn submission_recipients(
    conn: &mut DbConnection,
    owner_id: &str,
) -> AppResult<SubmissionRecipients> {
    Ok(SubmissionRecipients {
        owner: users::find(conn, owner_id)?,
        admins: users::active_with_role(conn, Role::Admin)?,
    })
}

/// The receipt to the investigator and the notice to every admin, queued in the submitting
/// transaction.
fn notify_submission(
    conn: &mut DbConnection,
    current: &Loaded,
    new_reference: Option<&str>,
    round: i32,
    recipients: &SubmissionRecipients,
) -> AppResult<()> {
    let reference = new_reference
        .map(str::to_string)
        .or_else(|| current.row.reference.clone())
        .unwrap_or_default();
    let path = format!("/proposals/{}", current.row.id);
    notify::enqueue(
        conn,
        &Recipient::of(&recipients.owner),
        &Email::SubmissionReceipt {
            reference: reference.clone(),
            title: current.content.title.clone(),
            path: path.clone(),
            round,
        },
    )?;
    let notice = Email::NewSubmission {
        reference,
        title: current.content.title.clone(),
        investigator: current.content.principal_investigator.name.clone(),
        institution: current.content.principal_investigator.institution.clone(),
        path,
    };
    for admin in &recipients.admins {
        notify::enqueue(conn, &Recipient::of(admin), &notice)?;
    }
    Ok(())
}

// ---------------------------------------------------------------- guards and effects

/// Quorum of the current round, for the lifecycle guard.
pub fn quorum_facts(conn: &mut DbConnection, row: &proposal_store::ProposalRow) -> AppResult<bool> {
    let Some(committee_id) = &row.committee_id else {
        return Ok(false);
    };
    let committee = review_store::find_committee(conn, committee_id)?;
    let rubric = rubric_of(&committee);
    let completed = review_store::assignments(conn, &row.id, row.round)?
        .iter()
        .filter(|(a, _)| a.coi_status == "none" && a.completed_at.is_some())
        .filter(|(a, _)| {
            let scores: std::collections::BTreeMap<String, u8> =
                serde_json::from_str(&a.scores).unwrap_or_default();
            weighted_score(&rubric, &scores).is_some()
        })
        .count();
    Ok(quorum_met(completed, committee.quorum))
}

/// After a revise-and-resubmit, the reviewers who were cleared stay on for the next round
/// (their declaration carries over; their review starts empty).
pub fn carry_over_assignments(
    conn: &mut DbConnection,
    proposal_id: &str,
    new_round: i32,
    actor_id: &str,
) -> AppResult<()> {
    if new_round <= 1 {
        return Ok(());
    }
    for (assignment, _) in review_store::assignments(conn, proposal_id, new_round - 1)? {
        if assignment.coi_status == "none"
            && review_store::assignment_of(conn, proposal_id, new_round, &assignment.reviewer_id)?
                .is_none()
        {
            review_store::insert_assignment(
                conn,
                proposal_id,
                &assignment.reviewer_id,
                new_round,
                actor_id,
                "none",
            )?;
        }
    }
    Ok(())
}

/// Guard facts for `activate` and `complete`.
pub fn gate_facts(
    conn: &mut DbConnection,
    proposal_id: &str,
) -> AppResult<(bool, bool, bool, bool)> {
    let gates = study_store::gates(conn, proposal_id)?;
    let missing = missing_gates(gates.as_ref());
    let final_report_done = study_store::milestones_of(conn, proposal_id)?
        .iter()
        .any(|m| m.kind == "final_report" && m.completed_on.is_some());
    Ok((
        !missing.contains(&"contract_signed"),
        !missing.contains(&"ethics_approved"),
        !missing.contains(&"registered"),
        final_report_done,
    ))
}

/// Which activation gates are still missing.
pub fn missing_gates(gates: Option<&GatesRow>) -> Vec<&'static str> {
    let mut missing = Vec::new();
    let g = gates.cloned().unwrap_or_default();
    if g.contract_signed_on.is_none() {
        missing.push("contract_signed");
    }
    if g.ethics_approved_on.is_none()
        || g.ethics_committee.as_deref().is_none_or(str::is_empty)
        || g.ethics_approval_number
            .as_deref()
            .is_none_or(str::is_empty)
    {
        missing.push("ethics_approved");
    }
    if g.registry.is_none() || g.registry_id.is_none() {
        missing.push("registered");
    }
    missing
}

/// After activation: tell the investigator.
pub fn notify_activated(conn: &mut DbConnection, loaded: &Loaded) -> AppResult<()> {
    let owner = users::find(conn, &loaded.row.owner_id)?;
    notify::enqueue(
        conn,
        &Recipient::of(&owner),
        &Email::StudyActivated {
            reference: loaded.row.reference.clone().unwrap_or_default(),
            title: loaded.row.title.clone(),
            path: format!("/proposals/{}", loaded.row.id),
        },
    )
}
