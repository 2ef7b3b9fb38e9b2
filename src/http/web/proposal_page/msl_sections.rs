//! The MSL parts of the proposal page: assigned MSLs, the advice thread, the interaction log
//! and the documents, each as far as the reader may see it.

use serde_json::{Value, json};

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::domain::lifecycle::Status;
use crate::error::AppResult;
use crate::workflows::msl::{self as workflow, CHANNELS, DOC_TYPES, SECTIONS};
use crate::workflows::proposals::Loaded;

/// The MSL-related parts of the proposal page's context, by what the caller may see.
pub fn sections(
    conn: &mut DbConnection,
    principal: &Principal,
    loaded: Loaded,
    max_upload: usize,
) -> AppResult<Value> {
    let support = workflow::page_support(conn, loaded)?;
    let relation = &support.relation;
    let row = &relation.loaded.row;
    let assigned = &support.assigned;
    let mut context = serde_json::Map::new();
    if relation.in_conversation() {
        let candidates: Vec<Value> = support
            .msl_candidates
            .iter()
            .map(|u| json!({"id": u.id, "name": u.display_name}))
            .collect();
        context.insert(
            "msls".into(),
            json!({
                "assigned": assigned.iter().map(|(id, name, _)| json!({"id": id, "name": name})).collect::<Vec<_>>(),
                "candidates": candidates,
                "can_manage": relation.is_admin,
                "advice_requested": row.advice_requested_at.is_some(),
                "can_request_advice": relation.is_owner && row.status == Status::Draft.as_str() && row.advice_requested_at.is_none(),
            }),
        );
        let thread = &support.thread;
        let message = |row: &workflow::AdviceRow, name: &str| {
            json!({
                "id": row.id, "author_name": name, "author_role": row.author_role, "section": row.section,
                "body": row.body, "created_at": crate::clock::display(row.created_at),
            })
        };
        let top: Vec<Value> = thread
            .iter()
            .filter(|(row, _)| row.parent_id.is_none())
            .map(|(row, name)| {
                let mut item = message(row, name);
                item["replies"] =
                    json!(thread
                    .iter()
                    .filter(|(reply, _)| reply.parent_id.as_deref() == Some(row.id.as_str()))
                    .map(|(reply, name)| message(reply, name))
                    .collect::<Vec<_>>());
                item
            })
            .collect();
        context.insert(
            "advice".into(),
            json!({"thread": top, "can_post": relation.is_owner || relation.is_assigned_msl, "sections": SECTIONS}),
        );
        if let Some(interactions) = &support.interactions {
            context.insert(
                "interactions".into(),
                json!({
                    "items": interactions.iter().map(|(i, name)| json!({
                        "occurred_on": i.occurred_on.to_string(), "channel": i.channel, "summary": i.summary, "msl_name": name,
                        // The MSL who logged the contact records an insight from it (#22).
                        "insight_from": (relation.is_assigned_msl && i.msl_id == principal.user_id)
                            .then_some(&i.id),
                    })).collect::<Vec<_>>(),
                    "can_log": relation.is_assigned_msl,
                    "channels": CHANNELS,
                }),
            );
        }
    }
    let mut items = Vec::new();
    for (d, uploader) in &support.documents {
        items.push(json!({
            "id": d.id, "doc_type": d.doc_type, "version": d.version, "file_name": d.file_name,
            "media_type": d.media_type, "size_bytes": d.size_bytes, "sha256": d.sha256,
            "uploaded_at": crate::clock::display(d.uploaded_at), "uploaded_by_name": uploader,
            "href": format!("/proposals/{}/documents/{}", row.id, d.id),
        }));
    }
    context.insert(
        "documents".into(),
        json!({
            "items": items,
            "can_upload": relation.is_owner || relation.is_admin,
            "types": DOC_TYPES,
            "max_mb": max_upload / (1024 * 1024),
        }),
    );
    Ok(Value::Object(context))
}
