//! Events for partner CROs' webhooks, queued in the outbox in the transaction of the change
//! they report (delivered and signed by `notify::webhook`).

use serde_json::json;

use crate::db::{self, DbConnection};
use crate::error::AppResult;
use crate::store::cro::{self as store, WebhookRow};
use crate::store::outbox::{self, NewMessage};

/// Tells every assigned CRO about a change to a study (in the change's transaction).
pub fn publish(
    conn: &mut DbConnection,
    proposal_id: &str,
    event_type: &str,
    data: serde_json::Value,
) -> AppResult<()> {
    let hooks = store::webhooks_for_proposal(conn, proposal_id)?;
    publish_to(conn, &hooks, event_type, data)
}

/// [`publish`] to webhooks read beforehand (`store::cro::webhooks_for_proposal`), for a caller
/// that publishes from inside a serialised section and should not read there.
pub fn publish_to(
    conn: &mut DbConnection,
    hooks: &[WebhookRow],
    event_type: &str,
    data: serde_json::Value,
) -> AppResult<()> {
    for hook in hooks {
        enqueue_for(conn, hook, event_type, data.clone())?;
    }
    Ok(())
}

/// Queues one event for a webhook (a row per endpoint, delivered with retries).
pub(crate) fn enqueue_for(
    conn: &mut DbConnection,
    hook: &WebhookRow,
    event_type: &str,
    data: serde_json::Value,
) -> AppResult<()> {
    let payload = json!({
        "id": db::new_id(),
        "type": event_type,
        "created_at": db::now().and_utc(),
        "data": data,
    });
    outbox::enqueue(
        conn,
        &NewMessage {
            channel: "webhook",
            event: event_type,
            recipient: &hook.id,
            recipient_name: &hook.organization_id,
            lang: "en",
            data: &payload.to_string(),
            dedupe_key: None,
        },
    )?;
    Ok(())
}
