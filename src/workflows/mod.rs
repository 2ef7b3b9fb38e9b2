//! Use cases shared by the JSON API, the web pages and the CLI. Each runs inside the caller's
//! transaction: authorise with `auth::policy`, apply the domain rules, write through `store`,
//! and append the audit record in the same transaction.

pub mod access;
pub mod audit_trail;
pub mod cro;
pub mod cro_assignments;
pub mod cro_users;
pub mod delivery;
pub mod guardrails;
pub mod idempotency;
pub mod insight_report;
pub mod insights;
pub mod lifecycle;
pub mod mail_limits;
pub mod msl;
pub mod profile;
pub mod programme;
pub mod proposals;
pub mod reports;
pub mod review;
pub mod rounds;
pub mod sessions;
pub mod study;
pub mod timeline;
pub mod todo;
pub mod users;
pub mod webhook_events;
