//! Diesel queries per aggregate. Functions take `&mut DbConnection` so they compose inside one
//! transaction; none opens its own.

pub mod audit;
pub mod credentials;
pub mod cro;
pub mod idempotency;
pub mod insights;
pub mod mail_quotas;
pub mod msl;
pub mod outbox;
pub mod programme;
pub mod proposals;
pub mod review;
pub mod settings;
pub mod study;
pub mod users;
