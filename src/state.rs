//! What every request handler shares.

use crate::auth::rate_limit::FailureLimiter;
use crate::auth::secrets::SecretKey;
use crate::config::Settings;
use crate::db::Pool;
use crate::metrics::Metrics;

pub struct AppState {
    pub pool: Pool,
    pub settings: Settings,
    pub key: SecretKey,
    /// Failed sign-ins per account.
    pub signin_limiter: FailureLimiter,
    /// Failed sign-ins per client address: ten times looser, since many users share a
    /// hospital's NAT address.
    pub ip_limiter: FailureLimiter,
    /// Requests per bearer credential and minute.
    pub api_limiter: crate::auth::rate_limit::RequestLimiter,
    /// Recently authenticated bearer tokens (confirmed again on every request).
    pub credentials: crate::auth::CredentialCache,
    pub metrics: Metrics,
    /// The delivery worker of this process, if it runs one (for `/readyz` and `/metrics`).
    pub worker_health: std::sync::Arc<crate::notify::health::WorkerHealth>,
}
