//! One integration-test binary for the server. Every test starts the real server on a random
//! port against a fresh SQLite file, or — when `DATABASE_URL` points at PostgreSQL — against a
//! fresh throwaway PostgreSQL database that is dropped afterwards.

#![allow(clippy::too_many_lines, reason = "a test is one scenario, read from top to bottom")]

mod attachments;
mod auth;
mod authz;
mod bad_input;
mod bulk;
mod campaigns;
mod cli;
mod durability;
mod email;
mod fields;
mod helpers;
mod imap;
mod incremental;
mod rules;
mod search;
mod snapshots;
mod storage;
mod stored;
mod surface;
mod tickets;
mod trust;
mod ui;
mod users;
mod views;
mod workspace;
