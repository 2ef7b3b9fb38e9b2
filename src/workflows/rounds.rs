//! A proposal's submission rounds and the differences between them, each projected for the
//! reader (a CRO sees no budget in an old round either).

use chrono::NaiveDateTime;

use crate::auth::Principal;
use crate::auth::policy::ProposalAction;
use crate::db::DbConnection;
use crate::domain::proposal::{FieldChange, ProposalContent, diff};
use crate::domain::visibility::project_content;
use crate::error::{AppError, AppResult};
use crate::store::proposals as store;
use crate::workflows::proposals;

pub struct Round {
    pub round: i32,
    pub submitted_at: NaiveDateTime,
    pub content: ProposalContent,
}

/// Every submitted round of proposal `id`, as `principal` may see it.
pub fn rounds(conn: &mut DbConnection, principal: &Principal, id: &str) -> AppResult<Vec<Round>> {
    let loaded = proposals::load(conn, principal, id, ProposalAction::View)?;
    let audience = loaded.access.audience();
    store::rounds(conn, id)?
        .into_iter()
        .map(|r| {
            let mut content: ProposalContent = serde_json::from_str(&r.content)?;
            project_content(audience, &mut content);
            Ok(Round {
                round: r.round,
                submitted_at: r.submitted_at,
                content,
            })
        })
        .collect()
}

/// The field changes from round `from` (default: the one before `to`) to round `to`
/// (default: the latest), computed on what `principal` may see.
pub fn changes(
    conn: &mut DbConnection,
    principal: &Principal,
    id: &str,
    from: Option<i32>,
    to: Option<i32>,
) -> AppResult<(i32, i32, Vec<FieldChange>)> {
    let all = rounds(conn, principal, id)?;
    let latest = all.last().map(|r| r.round).unwrap_or(0);
    let to = to.unwrap_or(latest);
    // `to` may be any i32 from the query: no overflow (a panic in debug builds).
    let from = from.unwrap_or_else(|| to.saturating_sub(1));
    let find = |n: i32, field: &str| {
        all.iter().find(|r| r.round == n).ok_or_else(|| {
            AppError::validation_one(field, "range", format!("round {n} does not exist"))
        })
    };
    let before = find(from, "from")?;
    let after = find(to, "to")?;
    Ok((from, to, diff(&before.content, &after.content)))
}
