//! Frontdesk's storage: the only crate that speaks SQL.
//!
//! One code path serves SQLite and PostgreSQL, chosen by URL at run time through sqlx's Any
//! driver: every query is written once with `$N` placeholders (SQLite accepts them too), and
//! the few dialect differences are fragments chosen by [`Dialect`], never a second query.
//!
//! Writes go through [`Db::begin`], which on SQLite opens `BEGIN IMMEDIATE` on the single
//! writer connection (so a read-then-write transaction never fails with `SQLITE_BUSY`), and on
//! PostgreSQL a normal transaction whose rows are locked with `FOR UPDATE` where it matters.

pub mod account;
pub mod attachments;
pub mod audits;
pub mod campaigns;
pub mod custom_fields;
pub mod custom_statuses;
mod db;
pub mod email;
pub mod groups;
pub mod incremental;
pub mod jobs;
pub mod organizations;
pub mod presence;
pub mod rules;
pub mod search;
pub mod sessions;
pub mod sql;
pub mod stored;
pub mod tags;
pub mod tickets;
pub mod tokens;
pub mod users;
pub mod views;

pub use db::{Conn, Db, DbOptions, Dialect, Tx, dialect};
pub use sqlx::AnyConnection;

/// What can go wrong in storage. Constraint violations are told apart so callers can answer
/// 422 at the place the query is made.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("record not found")]
    NotFound,
    #[error("duplicate value for {0}")]
    Duplicate(String),
    #[error("database error: {0}")]
    Db(sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Duplicate(unique_column(db.message(), db.constraint()))
            }
            _ => StoreError::Db(e),
        }
    }
}

/// Names the column a unique violation is about, from either database's message.
fn unique_column(message: &str, constraint: Option<&str>) -> String {
    // SQLite: "UNIQUE constraint failed: users.external_id"
    if let Some(rest) = message.strip_prefix("UNIQUE constraint failed: ") {
        let first = rest.split(',').next().unwrap_or(rest).trim();
        return first.rsplit('.').next().unwrap_or(first).to_string();
    }
    // PostgreSQL: constraint "users_external_id_key"
    if let Some(c) = constraint {
        let trimmed = c.trim_end_matches("_key");
        return trimmed.split_once('_').map(|(_, col)| col).unwrap_or(trimmed).to_string();
    }
    "value".to_string()
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A page request: offset pages (`page`, 1-based) or a keyset cursor on ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageRequest {
    Offset { page: i64, per_page: i64 },
    After { id: Option<i64>, size: i64 },
    Before { id: i64, size: i64 },
}

/// One page of records, fetched one past the size to know whether more follow.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_more: bool,
    /// Total count, for offset pages.
    pub count: Option<i64>,
}

pub(crate) fn flag(b: bool) -> i64 {
    i64::from(b)
}
