//! Integration tests: each test spawns the real server on port 0 with its own database
//! (a fresh SQLite file, or a fresh PostgreSQL database when TEST_DATABASE_URL is set).

// Test code panics on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod helpers;
mod smtp_sink;

mod amounts;
mod audit;
mod auth;
mod authz_matrix;
mod browser;
mod browser_harness;
mod browser_insights;
mod browser_parity;
mod browser_ux;
mod cro;
mod database;
mod errors;
mod health;
mod insights;
mod insights_web;
mod leak_crawler;
mod msl;
mod notifications;
mod openapi;
mod parity_table;
mod programme;
mod properties;
mod proposal_toc;
mod proposals_api;
mod proposals_web;
mod redirects;
mod relationship_matrix;
mod reliability;
mod reports;
mod review;
mod statements;
mod study;
mod todo_web;
mod untrusted_input;
mod users;
mod web_parity;
mod words;
