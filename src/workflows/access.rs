//! The caller's access to a proposal, read once per request: their relation to it (owner,
//! assigned MSL, reviewer by declaration, chair, assigned CRO with its role, admin, or
//! unrelated), from which `domain::access` answers every permission question and names the
//! column of the visibility table every projected output renders from.

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::domain::Role;
use crate::domain::access::{Relation, ReviewerStanding};
use crate::domain::lifecycle::Status;
use crate::error::AppResult;
use crate::store::proposals::ProposalRow;
use crate::store::{cro as cro_store, msl as msl_store, review as review_store};

pub use crate::domain::access::Access;

/// How `principal` stands to the proposal `row` (in `status`).
pub fn relation(
    conn: &mut DbConnection,
    principal: &Principal,
    row: &ProposalRow,
    status: Status,
) -> AppResult<Relation> {
    if principal.user_id == row.owner_id {
        return Ok(Relation::Owner);
    }
    let unrelated = Relation::Unrelated(principal.role);
    Ok(match principal.role {
        Role::Admin => Relation::Admin,
        // An assigned MSL sees a draft only when the investigator asked for advice on it.
        Role::Msl => {
            let shared = status != Status::Draft || row.advice_requested_at.is_some();
            if shared && msl_store::is_assigned(conn, &row.id, &principal.user_id)? {
                Relation::AssignedMsl
            } else {
                unrelated
            }
        }
        Role::Reviewer | Role::Chair => {
            let standing =
                review_store::assignment_of(conn, &row.id, row.round, &principal.user_id)?.map(
                    |assignment| match assignment.coi_status.as_str() {
                        "none" => ReviewerStanding::Cleared,
                        "conflict" => ReviewerStanding::Recused,
                        _ => ReviewerStanding::Undeclared,
                    },
                );
            match (principal.role, standing) {
                (Role::Chair, standing) => Relation::Chair { standing },
                (_, Some(standing)) => Relation::Reviewer(standing),
                (_, None) => unrelated,
            }
        }
        Role::Cro => match &principal.organization_id {
            Some(org) => match cro_store::assigned_role(conn, &row.id, org)? {
                Some(role) => Relation::AssignedCro { role },
                None => unrelated,
            },
            None => unrelated,
        },
        Role::Investigator => unrelated,
    })
}
