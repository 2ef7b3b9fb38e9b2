//! The signed-in home page: the caller's proposals, by role.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::auth::WebUser;
use crate::db;
use crate::domain::Role;
use crate::error::WebError;
use crate::http::web::render_page;
use crate::state::AppState;
use crate::workflows::proposals::{self, ListFilter};

pub async fn show_dashboard(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let p = principal.clone();
    let today = crate::clock::programme_today();
    let (items, todo) = db::run(&state.pool, move |conn| {
        let todo = crate::workflows::todo::todo_list(conn, &p, today)?;
        Ok((proposal_rows(conn, &p)?, todo))
    })
    .await?;
    let todo_total: usize = todo.iter().map(|g| g.count).sum();
    let is_investigator = principal.role == Role::Investigator;
    render_page(
        &req,
        &state,
        Some(&principal),
        StatusCode::OK,
        "web/dashboard.html",
        json!({
            "proposals": items,
            "todo": todo,
            "todo_total": todo_total,
            "can_create": is_investigator,
            "heading_key": match principal.role {
                Role::Investigator => "dashboard.mine",
                Role::Reviewer => "dashboard.review_assignments",
                Role::Msl => "dashboard.msl_assignments",
                _ => "dashboard.submitted",
            },
            "extra_links": if matches!(principal.role, Role::Chair | Role::Admin) {
                json!([{"href": "/ranking", "label_key": "nav.ranking"}])
            } else {
                json!([])
            },
        }),
    )
}

/// The proposals listed under the to-do list, by role.
fn proposal_rows(
    conn: &mut crate::db::DbConnection,
    p: &crate::auth::Principal,
) -> crate::error::AppResult<Vec<serde_json::Value>> {
    // Reviewers work from their assignments; everyone else from the proposals they see.
    if p.role == Role::Reviewer {
        return Ok(crate::workflows::review::my_assignments(conn, p)?
            .into_iter()
            .map(|(a, title, reference, status)| {
                json!({
                    "id": a.proposal_id,
                    "href": format!("/proposals/{}/review", a.proposal_id),
                    "reference": reference,
                    // Until no conflict is declared, only the title is shown (docs/PRODUCT.md#review).
                    "title": title,
                    "status": status,
                    "updated_at": crate::clock::display(a.updated_at),
                })
            })
            .collect::<Vec<_>>());
    }
    let rows = if p.role == Role::Msl {
        crate::workflows::msl::visible_proposals(conn, p)?
            .into_iter()
            .map(proposals::ProposalListRow::from)
            .collect()
    } else {
        proposals::list(
            conn,
            p,
            &ListFilter {
                limit: 200,
                ..ListFilter::default()
            },
        )?
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            json!({
                "id": r.id,
                "reference": r.reference,
                "title": r.title,
                "status": r.status,
                "updated_at": crate::clock::display(r.updated_at),
            })
        })
        .collect())
}
