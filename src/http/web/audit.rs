//! The audit trail page of a proposal: the records its reader may see, each projected for the
//! reader's audience by `workflows::audit_trail` (never the raw records).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use crate::auth::WebUser;
use crate::auth::policy::ProposalAction;
use crate::db;
use crate::error::{AppError, WebError};
use crate::http::web::render_page;
use crate::state::AppState;
use crate::workflows::{audit_trail, proposals, users};

/// A projected value as one line of text (`None` when the projection left nothing).
fn compact(value: Option<&Value>) -> Option<String> {
    match value {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) if map.is_empty() => None,
        Some(v) => Some(v.to_string()),
    }
}

pub async fn show_audit(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let id = path.into_inner();
    let p = principal.clone();
    let (loaded, entries, names) = db::run(&state.pool, move |conn| {
        let entries = audit_trail::for_proposal(conn, &p, &id)?;
        let loaded = proposals::load(conn, &p, &id, ProposalAction::View)?;
        // Names of the actors the projection shows that this reader may look up (an admin
        // any account, anyone else their own); others are shown by role only.
        let mut names = std::collections::BTreeMap::new();
        for actor in entries.iter().filter_map(|e| e.actor_id.as_deref()) {
            if names.contains_key(actor) {
                continue;
            }
            match users::find(conn, &p, actor) {
                Ok(user) => {
                    names.insert(actor.to_string(), user.display_name);
                }
                Err(AppError::NotFound) => {}
                Err(other) => return Err(other),
            }
        }
        Ok((loaded, entries, names))
    })
    .await?;
    let records: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({
                "seq": e.seq,
                "at": crate::clock::display_seconds(e.at),
                "actor_role": e.actor_role,
                "actor_name": e.actor_id.as_ref().and_then(|id| names.get(id)),
                "action": e.action,
                "before": compact(e.before.as_ref()),
                "after": compact(e.after.as_ref()),
                "reason": e.reason,
                "hash": e.hash.as_ref().map(|h| h.chars().take(12).collect::<String>()),
            })
        })
        .collect();
    render_page(
        &req,
        &state,
        Some(&principal),
        StatusCode::OK,
        "web/audit_trail.html",
        json!({
            "proposal": {"id": loaded.row.id, "title": loaded.row.title, "reference": loaded.row.reference},
            "records": records,
        }),
    )
}
