//! The HTTP API, in process: every endpoint through the real router on a fresh database
//! (SQLite, or PostgreSQL when `CHORUS_TEST_PG_URL` is set).

mod access;
mod admin;
mod auth;
mod contacts;
mod conversations;
mod email;
mod errors;
mod events;
mod files;
mod harness;
mod inbound;
mod openapi;
mod routing;
mod rules;
mod sla;
mod sunset;
mod ui_admin;
mod ui_contacts;
mod ui_email_settings;
mod ui_inbox;
mod ui_routing;
mod widget;
