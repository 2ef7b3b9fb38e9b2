//! A proposal's status history as its reader may see it: who started the review or decided
//! is named to the committee and admins only.

use crate::db::DbConnection;
use crate::domain::visibility::event_actor_shown;
use crate::error::AppResult;
use crate::store::proposals::{self as store, EventRow};
use crate::workflows::proposals::Loaded;

/// The events of `loaded`, each with its actor's name when the loading caller may know it.
pub fn events(
    conn: &mut DbConnection,
    loaded: &Loaded,
) -> AppResult<Vec<(EventRow, Option<String>)>> {
    let audience = loaded.access.audience();
    Ok(store::events_with_actor(conn, &loaded.row.id)?
        .into_iter()
        .map(|(event, name)| {
            let shown = event_actor_shown(audience, &event.action);
            (event, shown.then_some(name))
        })
        .collect())
}
