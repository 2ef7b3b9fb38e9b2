//! Liaison: an investigator-initiated study (IIS) programme service. See docs/ARCHITECTURE.md.

pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod http;
pub mod metrics;
pub mod notify;
pub mod pdf;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod templates;
pub mod validation;
pub mod workflows;
