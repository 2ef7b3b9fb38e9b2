//! Partner CROs (docs/PRODUCT.md#roles, docs/PRODUCT.md#interfaces): organisations with API keys
//! acting through a service account, study assignment, and signed webhooks delivered through the
//! outbox.

use serde_json::json;

use crate::auth::Principal;
use crate::auth::policy::ProposalAction;
use crate::auth::secrets::{SecretKey, random_token};
use crate::db::DbConnection;
use crate::domain::lifecycle::Status;
use crate::domain::net::{CheckedHost, Refusal, WebhookPolicy};
use crate::domain::text::{OneLine, OrganisationName};
use crate::domain::visibility::{FieldGroup, sees};
use crate::domain::{Lang, Role};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::audit::{self, Entry};
use crate::store::credentials;
use crate::store::cro as store;

pub use crate::store::credentials::ApiTokenRow;
pub use crate::store::cro::{CroAssignmentRow, OrganizationRow, WebhookRow};
use crate::store::outbox;
use crate::store::users::{self, NewUser};
use crate::workflows::{proposals, webhook_events};

pub const CRO_ROLES: &[&str] = &["monitoring", "data_management", "site_management"];

/// Every event type a webhook receives (the `type` of the payload and `Liaison-Event`).
pub const WEBHOOK_EVENTS: &[&str] = &[
    "proposal.status_changed",
    "milestone.created",
    "milestone.updated",
    "ping",
];

fn require_admin(principal: &Principal) -> AppResult<()> {
    if principal.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden("admins only".into()))
    }
}

/// Admins manage every organisation; a CRO manages (webhooks of) its own.
fn require_org_access(principal: &Principal, organization_id: &str) -> AppResult<()> {
    match principal.role {
        Role::Admin => Ok(()),
        Role::Cro if principal.organization_id.as_deref() == Some(organization_id) => Ok(()),
        _ => Err(AppError::NotFound),
    }
}

pub fn create_organization(
    conn: &mut DbConnection,
    principal: &Principal,
    name: &str,
    kind: &str,
) -> AppResult<OrganizationRow> {
    require_admin(principal)?;
    let mut errors = Vec::new();
    let name = match OrganisationName::parse_required(name) {
        Ok(name) => name.into_string(),
        Err(error) => {
            errors.push(FieldError::new("name", error.code(), error.english()));
            String::new()
        }
    };
    let name = name.as_str();
    if kind != "cro" && kind != "institution" {
        errors.push(FieldError::new(
            "kind",
            "invalid_choice",
            "cro or institution",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let org = store::insert_organization(conn, name, kind)?;
    if kind == "cro" {
        // API keys act as this account: it has no password and no mailbox, so it cannot sign in
        // on the web; deactivating it stops every key of the organisation.
        let service = users::insert(
            conn,
            &NewUser {
                email: &format!("org-{}@organizations.liaison.invalid", org.id),
                display_name: name,
                role: Role::Cro,
                lang: Lang::En,
                organization_id: Some(&org.id),
                email_verified: false,
            },
        )?;
        store::set_service_user(conn, &org.id, &service.id)?;
    }
    audit::append(
        conn,
        Entry::new(
            &principal.actor(),
            "organization.create",
            "organization",
            &org.id,
        )
        .after(json!({"name": name, "kind": kind})),
    )?;
    Ok(store::find_organization(conn, &org.id)?)
}

pub fn organizations(
    conn: &mut DbConnection,
    principal: &Principal,
) -> AppResult<Vec<OrganizationRow>> {
    match principal.role {
        Role::Admin => Ok(store::list_organizations(conn)?),
        Role::Cro => match &principal.organization_id {
            Some(id) => Ok(vec![store::find_organization(conn, id)?]),
            None => Ok(Vec::new()),
        },
        _ => Err(AppError::Forbidden(
            "organisations are managed by admins".into(),
        )),
    }
}

fn service_user(org: &OrganizationRow) -> AppResult<&str> {
    org.service_user_id
        .as_deref()
        .ok_or_else(|| AppError::Conflict("only CRO organisations have API keys".into()))
}

/// A new API key: returned once in plain text, stored hashed.
pub fn create_api_key(
    conn: &mut DbConnection,
    key: &SecretKey,
    principal: &Principal,
    organization_id: &str,
    name: &str,
    days: i64,
) -> AppResult<(String, ApiTokenRow)> {
    require_admin(principal)?;
    let org = store::find_organization(conn, organization_id)?;
    let user_id = service_user(&org)?.to_string();
    if !(1..=730).contains(&days) {
        return Err(AppError::validation_one(
            "expires_in_days",
            "range",
            "1 to 730 days",
        ));
    }
    let name = OneLine::<200>::parse(name)
        .map_err(|e| AppError::validation_one("name", e.code(), e.english()))?;
    let name = if name.as_str().is_empty() {
        "api key"
    } else {
        name.as_str()
    };
    let (plain, row) =
        credentials::create_user_token(conn, key, &user_id, name, chrono::Duration::days(days))?;
    audit::append(
        conn,
        Entry::new(&principal.actor(), "api_key.create", "organization", organization_id)
            .after(json!({"key_id": row.id, "prefix": row.token_prefix, "name": name, "expires_at": row.expires_at})),
    )?;
    Ok((plain, row))
}

pub fn api_keys(
    conn: &mut DbConnection,
    principal: &Principal,
    organization_id: &str,
) -> AppResult<Vec<ApiTokenRow>> {
    require_admin(principal)?;
    let org = store::find_organization(conn, organization_id)?;
    Ok(credentials::tokens_of_user(conn, service_user(&org)?)?)
}

/// Revocation takes effect on the key's next request.
pub fn revoke_api_key(
    conn: &mut DbConnection,
    principal: &Principal,
    organization_id: &str,
    key_id: &str,
) -> AppResult<()> {
    let keys = api_keys(conn, principal, organization_id)?;
    if !keys.iter().any(|k| k.id == key_id) {
        return Err(AppError::NotFound);
    }
    credentials::revoke_token(conn, key_id)?;
    audit::append(
        conn,
        Entry::new(
            &principal.actor(),
            "api_key.revoke",
            "organization",
            organization_id,
        )
        .after(json!({"key_id": key_id})),
    )?;
    Ok(())
}

// ---------------------------------------------------------------- study assignment

pub fn assign(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    organization_id: &str,
    role: &str,
) -> AppResult<CroAssignmentRow> {
    let loaded = proposals::load(conn, principal, proposal_id, ProposalAction::View)?;
    require_admin(principal)?;
    if !matches!(
        loaded.status,
        Status::Approved | Status::Active | Status::Completed
    ) {
        return Err(AppError::Conflict(
            "CROs are assigned to approved studies".into(),
        ));
    }
    if !CRO_ROLES.contains(&role) {
        return Err(AppError::validation_one(
            "role",
            "invalid_choice",
            "monitoring, data_management or site_management",
        ));
    }
    let org = match store::find_organization(conn, organization_id) {
        Ok(org) if org.kind == "cro" => org,
        Ok(_) | Err(diesel::result::Error::NotFound) => {
            return Err(AppError::validation_one(
                "organization_id",
                "invalid_choice",
                "not a CRO organisation",
            ));
        }
        Err(other) => return Err(other.into()),
    };
    if store::is_assigned(conn, proposal_id, &org.id)? {
        return Err(AppError::Conflict(
            "this organisation is already assigned".into(),
        ));
    }
    let row = store::assign(conn, proposal_id, &org.id, role, &principal.user_id)?;
    audit::append(
        conn,
        Entry::new(&principal.actor(), "cro.assign", "proposal", proposal_id)
            .after(json!({"organization_id": org.id, "role": role})),
    )?;
    Ok(row)
}

pub fn unassign(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    organization_id: &str,
) -> AppResult<()> {
    proposals::load(conn, principal, proposal_id, ProposalAction::View)?;
    require_admin(principal)?;
    if store::unassign(conn, proposal_id, organization_id)? == 0 {
        return Err(AppError::NotFound);
    }
    audit::append(
        conn,
        Entry::new(&principal.actor(), "cro.unassign", "proposal", proposal_id)
            .before(json!({"organization_id": organization_id})),
    )?;
    Ok(())
}

pub fn assignments(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
) -> AppResult<Vec<CroAssignmentRow>> {
    let loaded = proposals::load(conn, principal, proposal_id, ProposalAction::View)?;
    let reader = loaded.access.audience();
    if !sees(reader, FieldGroup::CroAssignment) {
        return Err(AppError::Forbidden(
            "which CRO works on a study is shown to its investigator, the CRO and admins".into(),
        ));
    }
    Ok(store::assignments_of(conn, proposal_id)?)
}

// ---------------------------------------------------------------- webhooks

/// A webhook URL that passed [`vet_webhook_url`]; the only way to register one.
#[derive(Debug, Clone)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a webhook URL against the deployment's policy (`domain::net`): https unless http is
/// allowed, and a host that is, or resolves only to, allowed addresses. This may resolve a
/// host name (blocking): call it outside a transaction, on the blocking pool. The worker
/// checks the address again when it connects.
pub fn vet_webhook_url(policy: &WebhookPolicy, raw: &str) -> Result<WebhookUrl, FieldError> {
    use std::net::ToSocketAddrs;
    let refused = |refusal: Refusal| match refusal {
        Refusal::Format if policy.allow_http => {
            FieldError::new("url", "format", "an absolute http(s) URL")
        }
        Refusal::Format | Refusal::Scheme => {
            FieldError::new("url", "format", "an absolute https URL")
        }
        Refusal::AddressNotAllowed => FieldError::new(
            "url",
            "not_allowed",
            "the host is or resolves to an address that is not allowed \
             (loopback, private, link-local, shared or reserved)",
        ),
    };
    let url = url::Url::parse(raw.trim()).map_err(|_| refused(Refusal::Format))?;
    match policy.check_url(&url).map_err(refused)? {
        CheckedHost::Address(_) | CheckedHost::AllowedName(_) => {}
        CheckedHost::Name(name) => {
            let addresses = (name.as_str(), 0)
                .to_socket_addrs()
                .map_err(|_| FieldError::new("url", "unresolvable", "the host does not resolve"))?
                .map(|a| a.ip());
            policy.filter_resolved(addresses, true).map_err(refused)?;
        }
    }
    Ok(WebhookUrl(url.to_string()))
}

/// Registers a webhook. `url` is the result of [`vet_webhook_url`]; its error is reported
/// with the other field errors, after the caller is authorised.
pub fn register_webhook(
    conn: &mut DbConnection,
    principal: &Principal,
    organization_id: &str,
    url: Result<WebhookUrl, FieldError>,
    secret: Option<&str>,
) -> AppResult<(WebhookRow, String)> {
    require_org_access(principal, organization_id)?;
    let org = store::find_organization(conn, organization_id)?;
    let mut errors = Vec::new();
    let url = match url {
        Ok(url) => url,
        Err(error) => {
            errors.push(error);
            WebhookUrl(String::new())
        }
    };
    let secret = match secret.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) if s.len() < 16 => {
            errors.push(FieldError::new(
                "secret",
                "too_short",
                "at least 16 characters",
            ));
            String::new()
        }
        Some(s) => s.to_string(),
        None => format!("whsec_{}", random_token()),
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let row = store::insert_webhook(conn, &org.id, url.as_str(), &secret)?;
    audit::append(
        conn,
        Entry::new(
            &principal.actor(),
            "webhook.register",
            "organization",
            &org.id,
        )
        .after(json!({"webhook_id": row.id, "url": row.url})),
    )?;
    Ok((row, secret))
}

pub fn webhooks(
    conn: &mut DbConnection,
    principal: &Principal,
    organization_id: &str,
) -> AppResult<Vec<WebhookRow>> {
    require_org_access(principal, organization_id)?;
    store::find_organization(conn, organization_id)?;
    Ok(store::webhooks_of(conn, organization_id)?)
}

fn own_webhook(
    conn: &mut DbConnection,
    principal: &Principal,
    organization_id: &str,
    webhook_id: &str,
) -> AppResult<WebhookRow> {
    require_org_access(principal, organization_id)?;
    let hook = store::find_webhook(conn, webhook_id)?;
    if hook.organization_id != organization_id {
        return Err(AppError::NotFound);
    }
    Ok(hook)
}

pub fn ping(
    conn: &mut DbConnection,
    principal: &Principal,
    organization_id: &str,
    webhook_id: &str,
) -> AppResult<()> {
    let hook = own_webhook(conn, principal, organization_id, webhook_id)?;
    webhook_events::enqueue_for(conn, &hook, "ping", json!({"webhook_id": hook.id}))
}

pub fn deliveries(
    conn: &mut DbConnection,
    principal: &Principal,
    organization_id: &str,
    webhook_id: &str,
) -> AppResult<Vec<outbox::OutboxRow>> {
    let hook = own_webhook(conn, principal, organization_id, webhook_id)?;
    Ok(outbox::for_recipient(conn, "webhook", &hook.id, 200)?)
}
