//! The CRO and activation parts of the study section of the proposal page.

use serde_json::{Value, json};

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::domain::Role;
use crate::domain::lifecycle::Status;
use crate::error::AppResult;
use crate::workflows::cro::CRO_ROLES;
use crate::workflows::cro_assignments;
use crate::workflows::proposals::Loaded;

/// Whether `principal` may activate the study now: an admin, an approved proposal and every
/// gate recorded (the lifecycle checks the same again when the action is taken).
pub fn can_activate(principal: &Principal, loaded: &Loaded, missing_gates: &[&str]) -> bool {
    principal.role == Role::Admin && loaded.status == Status::Approved && missing_gates.is_empty()
}

/// The `cro` context of the study page (`null` for readers who may not see it).
pub fn cro_section(
    conn: &mut DbConnection,
    principal: &Principal,
    loaded: &Loaded,
) -> AppResult<Value> {
    let Some((assigned, assignable)) = cro_assignments::for_study_page(conn, principal, loaded)?
    else {
        return Ok(Value::Null);
    };
    let can_manage = principal.role == Role::Admin
        && matches!(
            loaded.status,
            Status::Approved | Status::Active | Status::Completed
        );
    Ok(json!({
        "assigned": assigned.iter().map(|a| json!({
            "organization_id": a.organization_id, "name": a.organization_name, "role": a.role,
        })).collect::<Vec<_>>(),
        "assignable": assignable.iter().map(|o| json!({"id": o.id, "name": o.name})).collect::<Vec<_>>(),
        "roles": CRO_ROLES,
        "can_manage": can_manage,
    }))
}
