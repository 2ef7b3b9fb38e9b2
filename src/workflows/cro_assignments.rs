//! The CRO assignment of a study as the study page shows it: who sees it is decided by the
//! visibility table (`FieldGroup::CroAssignment`), and a CRO sees only its own organisation's
//! assignment (one CRO never learns of another's).

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::domain::Role;
use crate::domain::visibility::{FieldGroup, sees};
use crate::error::AppResult;
use crate::store::cro as store;
use crate::workflows::proposals::Loaded;

/// One current assignment, with its organisation's name.
#[derive(Debug, Clone, PartialEq)]
pub struct AssignmentView {
    pub organization_id: String,
    pub organization_name: String,
    pub role: String,
}

/// What the study page shows of the CRO assignment: `None` when the reader may not see it.
/// Admins also get the CRO organisations they can assign.
pub fn for_study_page(
    conn: &mut DbConnection,
    principal: &Principal,
    loaded: &Loaded,
) -> AppResult<Option<(Vec<AssignmentView>, Vec<store::OrganizationRow>)>> {
    let audience = loaded.access.audience();
    if !sees(audience, FieldGroup::CroAssignment) {
        return Ok(None);
    }
    let mut views = Vec::new();
    for row in store::assignments_of(conn, &loaded.row.id)? {
        if principal.role == Role::Cro
            && principal.organization_id.as_deref() != Some(row.organization_id.as_str())
        {
            continue;
        }
        let org = store::find_organization(conn, &row.organization_id)?;
        views.push(AssignmentView {
            organization_id: row.organization_id,
            organization_name: org.name,
            role: row.cro_role,
        });
    }
    let assignable = if principal.role == Role::Admin {
        store::list_organizations(conn)?
            .into_iter()
            .filter(|o| o.kind == "cro" && !views.iter().any(|v| v.organization_id == o.id))
            .collect()
    } else {
        Vec::new()
    };
    Ok(Some((views, assignable)))
}
