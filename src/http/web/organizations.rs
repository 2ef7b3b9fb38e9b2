//! Admin pages for partner organisations: create one, its API keys (shown once, revoke, last
//! use), its webhooks (register, ping, delivery log) and the people of a CRO (invite).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::auth::csrf::CsrfForm;
use crate::auth::{Principal, WebUser};
use crate::db;
use crate::domain::{Lang, Role};
use crate::error::{AppError, WebError};
use crate::http::web::AnyForm;
use crate::http::web::{page_lang, redirect, render_page};
use crate::state::AppState;
use crate::templates::translate;
use crate::workflows::{cro as workflow, cro_users};

fn require_admin(principal: &Principal) -> Result<(), WebError> {
    if principal.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden("admins only".into()).into())
    }
}

fn when(t: chrono::NaiveDateTime) -> String {
    crate::clock::display(t)
}

/// Field errors as the page shows them: field → message in the page language.
fn messages(
    req: &HttpRequest,
    principal: &Principal,
    errors: &[crate::error::FieldError],
) -> Value {
    let lang = page_lang(req, Some(principal));
    let map: Map<String, Value> = errors
        .iter()
        .map(|e| {
            (
                e.field.clone(),
                json!(translate(lang, &format!("err.{}", e.code))),
            )
        })
        .collect();
    Value::Object(map)
}

pub async fn show_organizations(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
) -> Result<HttpResponse, WebError> {
    render_list(&req, &state, &user.0, StatusCode::OK, json!({}), json!({})).await
}

async fn render_list(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    principal: &Principal,
    status: StatusCode,
    form: Value,
    errors: Value,
) -> Result<HttpResponse, WebError> {
    require_admin(principal)?;
    let p = principal.clone();
    let rows = db::run(&state.pool, move |conn| workflow::organizations(conn, &p)).await?;
    let list: Vec<Value> = rows
        .into_iter()
        .map(|o| json!({"id": o.id, "name": o.name, "kind": o.kind, "created_at": when(o.created_at)}))
        .collect();
    render_page(
        req,
        state,
        Some(principal),
        status,
        "web/organizations.html",
        json!({"organizations": list, "form": form, "errors": errors}),
    )
}

#[derive(Debug, Deserialize)]
pub struct OrganizationForm {
    pub name: String,
    pub kind: String,
}

pub async fn create_organization(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<OrganizationForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    require_admin(&principal)?;
    let data = form.data;
    let (p, name, kind) = (principal.clone(), data.name.clone(), data.kind.clone());
    match db::run_tx(&state.pool, move |conn| {
        workflow::create_organization(conn, &p, &name, &kind)
    })
    .await
    {
        Ok(org) => Ok(redirect(&format!("/admin/organizations/{}", org.id))),
        Err(AppError::Validation(errors)) => {
            let errors = messages(&req, &principal, &errors);
            let form = json!({"name": data.name, "kind": data.kind});
            render_list(
                &req,
                &state,
                &principal,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                errors,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn show_organization(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    render_one(
        &req,
        &state,
        &user.0,
        &path.into_inner(),
        StatusCode::OK,
        json!({}),
    )
    .await
}

/// The organisation page with `extra` merged into its context (a key or secret shown once,
/// a form's errors and values).
async fn render_one(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    principal: &Principal,
    id: &str,
    status: StatusCode,
    extra: Value,
) -> Result<HttpResponse, WebError> {
    require_admin(principal)?;
    let (p, oid) = (principal.clone(), id.to_string());
    let (org, keys, hooks, members) = db::run(&state.pool, move |conn| {
        let org = workflow::organizations(conn, &p)?
            .into_iter()
            .find(|o| o.id == oid)
            .ok_or(AppError::NotFound)?;
        let is_cro = org.kind == "cro";
        let keys = if is_cro {
            workflow::api_keys(conn, &p, &oid)?
        } else {
            Vec::new()
        };
        let mut hooks = Vec::new();
        for hook in workflow::webhooks(conn, &p, &oid)? {
            let log = workflow::deliveries(conn, &p, &oid, &hook.id)?;
            hooks.push((hook, log));
        }
        let members = if is_cro {
            cro_users::members(conn, &p, &oid)?
        } else {
            Vec::new()
        };
        Ok((org, keys, hooks, members))
    })
    .await?;
    let now = db::now();
    let keys: Vec<Value> = keys
        .into_iter()
        .map(|k| {
            let live = k.revoked_at.is_none() && k.expires_at > now;
            json!({
                "id": k.id, "name": k.name, "prefix": k.token_prefix,
                "created_at": when(k.created_at), "expires_at": when(k.expires_at),
                "last_used_at": k.last_used_at.map(when), "revoked_at": k.revoked_at.map(when),
                "live": live,
            })
        })
        .collect();
    let hooks: Vec<Value> = hooks
        .into_iter()
        .map(|(h, log)| {
            json!({
                "id": h.id, "url": h.url, "active": h.active, "created_at": when(h.created_at),
                "deliveries": log.into_iter().take(20).map(|d| json!({
                    "event": d.event, "status": d.status, "attempts": d.attempts,
                    "last_error": d.last_error, "created_at": when(d.created_at),
                    "sent_at": d.sent_at.map(when),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let members: Vec<Value> = members
        .into_iter()
        .map(|u| {
            json!({
                "id": u.id, "display_name": u.display_name, "email": u.email, "lang": u.lang,
                "active": u.active, "verified": u.email_verified_at.is_some(),
            })
        })
        .collect();
    let mut context = json!({
        "organization": {"id": org.id, "name": org.name, "kind": org.kind, "created_at": when(org.created_at)},
        "keys": keys,
        "webhooks": hooks,
        "members": members,
        "errors": {},
        "form": {},
        "form_name": "",
        "invited": req.query_string().contains("invited=1"),
    });
    if let (Some(base), Value::Object(extra)) = (context.as_object_mut(), extra) {
        base.extend(extra);
    }
    render_page(
        req,
        state,
        Some(principal),
        status,
        "web/organization.html",
        context,
    )
}

/// Runs a form of the organisation page: validation errors re-render it beside the form.
async fn rerender_on_errors(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    principal: &Principal,
    id: &str,
    form_name: &str,
    form: Value,
    errors: &[crate::error::FieldError],
) -> Result<HttpResponse, WebError> {
    let errors = messages(req, principal, errors);
    render_one(
        req,
        state,
        principal,
        id,
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({"errors": errors, "form": form, "form_name": form_name}),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    pub name: String,
    pub expires_in_days: String,
}

/// A new key: the page shows it once, in this response; it is stored hashed.
pub async fn create_key(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    form: CsrfForm<KeyForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    require_admin(&principal)?;
    let id = path.into_inner();
    let data = form.data;
    let days = data.expires_in_days.trim().parse::<i64>().unwrap_or(0);
    let (p, oid, key, name) = (
        principal.clone(),
        id.clone(),
        state.key.clone(),
        data.name.clone(),
    );
    match db::run_tx(&state.pool, move |conn| {
        workflow::create_api_key(conn, &key, &p, &oid, &name, days)
    })
    .await
    {
        Ok((plain, row)) => {
            render_one(
                &req,
                &state,
                &principal,
                &id,
                StatusCode::OK,
                json!({"new_key": {"name": row.name, "key": plain}}),
            )
            .await
        }
        Err(AppError::Validation(errors)) => {
            let form = json!({"name": data.name, "expires_in_days": data.expires_in_days});
            rerender_on_errors(&req, &state, &principal, &id, "key", form, &errors).await
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn revoke_key(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<(String, String)>,
    _form: CsrfForm<AnyForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    require_admin(&principal)?;
    let (id, key_id) = path.into_inner();
    let oid = id.clone();
    db::run_tx(&state.pool, move |conn| {
        workflow::revoke_api_key(conn, &principal, &oid, &key_id)
    })
    .await?;
    Ok(redirect(&format!("/admin/organizations/{id}#keys")))
}

#[derive(Debug, Deserialize)]
pub struct WebhookForm {
    pub url: String,
    #[serde(default)]
    pub secret: String,
}

/// Registers a webhook; the signing secret is shown once, in this response.
pub async fn register_webhook(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    form: CsrfForm<WebhookForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    require_admin(&principal)?;
    let id = path.into_inner();
    let data = form.data;
    // May resolve the host name: outside the transaction, on the blocking pool.
    let (policy, raw) = (state.settings.webhook_policy(), data.url.clone());
    let vetted = web::block(move || workflow::vet_webhook_url(&policy, &raw))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("webhook URL check: {e}")))?;
    let form_values = json!({"url": data.url});
    let secret = Some(data.secret.trim().to_string()).filter(|s| !s.is_empty());
    let (p, oid) = (principal.clone(), id.clone());
    match db::run_tx(&state.pool, move |conn| {
        workflow::register_webhook(conn, &p, &oid, vetted, secret.as_deref())
    })
    .await
    {
        Ok((row, secret)) => {
            render_one(
                &req,
                &state,
                &principal,
                &id,
                StatusCode::OK,
                json!({"new_webhook": {"url": row.url, "secret": secret}}),
            )
            .await
        }
        Err(AppError::Validation(errors)) => {
            rerender_on_errors(
                &req,
                &state,
                &principal,
                &id,
                "webhook",
                form_values,
                &errors,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn ping_webhook(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<(String, String)>,
    _form: CsrfForm<AnyForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    require_admin(&principal)?;
    let (id, hook) = path.into_inner();
    let oid = id.clone();
    db::run_tx(&state.pool, move |conn| {
        workflow::ping(conn, &principal, &oid, &hook)
    })
    .await?;
    Ok(redirect(&format!("/admin/organizations/{id}#webhooks")))
}

#[derive(Debug, Deserialize)]
pub struct InviteForm {
    pub email: String,
    pub display_name: String,
    pub lang: String,
}

/// Invites a person of this CRO; they get an emailed sign-in link.
pub async fn invite_member(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    form: CsrfForm<InviteForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    require_admin(&principal)?;
    let id = path.into_inner();
    let data = form.data;
    let lang = Lang::parse(&data.lang).unwrap_or_default();
    let ttl =
        chrono::Duration::from_std(state.settings.login_link_ttl).map_err(AppError::internal)?;
    let (p, oid, key) = (principal.clone(), id.clone(), state.key.clone());
    let (email, name) = (data.email.clone(), data.display_name.clone());
    match db::run_tx(&state.pool, move |conn| {
        cro_users::invite(conn, &key, ttl, &p, &oid, &email, &name, lang)
    })
    .await
    {
        Ok(_) => Ok(redirect(&format!(
            "/admin/organizations/{id}?invited=1#members"
        ))),
        Err(AppError::Validation(errors)) => {
            let form =
                json!({"email": data.email, "display_name": data.display_name, "lang": data.lang});
            rerender_on_errors(&req, &state, &principal, &id, "member", form, &errors).await
        }
        Err(other) => Err(other.into()),
    }
}
