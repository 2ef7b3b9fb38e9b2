//! Limits on the emails anyone may cause without an account: sign-in links, registration and
//! verification mails. Counted per recipient address and per client address in fixed hourly
//! windows, in the database, so every process shares them. A request over a limit queues
//! nothing and gets the same answer as any other, so the limit reveals nothing either.

use chrono::{DurationRound, TimeDelta};

use crate::auth::secrets::SecretKey;
use crate::db::{self, DbConnection};
use crate::error::{AppError, AppResult};
use crate::store::mail_quotas;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailLimits {
    /// Mails per recipient address and hour.
    pub per_address: u32,
    /// Requests that could send mail, per client address and hour.
    pub per_client: u32,
}

/// Counts a request from `client` that would mail `email`, and says whether it may. The
/// client is counted first: a client over its limit does not use up the recipient's.
pub fn allow(
    conn: &mut DbConnection,
    key: &SecretKey,
    limits: MailLimits,
    client: &str,
    email: &str,
) -> AppResult<bool> {
    let window = db::now()
        .duration_trunc(TimeDelta::hours(1))
        .map_err(AppError::internal)?;
    let by_client = mail_quotas::take(conn, &format!("client:{client}"), window)?;
    if u32::try_from(by_client).unwrap_or(u32::MAX) > limits.per_client {
        tracing::warn!(%client, "mail limit per client reached");
        return Ok(false);
    }
    // Addresses are counted by keyed hash: the table holds no address.
    let address = key.mac_hex("mail-quota", &email.trim().to_lowercase());
    let by_address = mail_quotas::take(conn, &format!("address:{address}"), window)?;
    if u32::try_from(by_address).unwrap_or(u32::MAX) > limits.per_address {
        tracing::warn!("mail limit per recipient reached");
        return Ok(false);
    }
    Ok(true)
}

/// Forgets windows older than a day (run by the worker's periodic job).
pub fn purge(conn: &mut DbConnection) -> AppResult<usize> {
    Ok(mail_quotas::purge_before(
        conn,
        db::now() - TimeDelta::days(1),
    )?)
}
