//! Notifications: typed events queued in the outbox inside the change's transaction, and the
//! worker that renders and delivers them (SMTP, or `.eml` files when no SMTP is configured).

pub mod email;
pub mod health;
pub mod webhook;
pub mod worker;

pub use email::{Email, Recipient, enqueue, enqueue_once};
