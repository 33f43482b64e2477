//! The account: one per database, with its name, default time zone and locale.

use sqlx::AnyConnection;

use crate::Result;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Account {
    pub name: String,
    pub time_zone: String,
    pub locale: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Creates the account row and the ticket counter on first start; does nothing afterwards.
/// Named counters: ticket ids, drop-down option ids, and the change sequence that orders
/// incremental exports.
const COUNTERS: [&str; 3] = ["tickets", "custom_field_options", "changes"];

pub async fn ensure(conn: &mut AnyConnection, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO account (id, name, time_zone, locale, created_at, updated_at) \
         VALUES (1, 'Frontdesk', 'UTC', 'en-US', $1, $1) ON CONFLICT (id) DO NOTHING",
    )
    .bind(now)
    .execute(&mut *conn)
    .await?;
    for name in COUNTERS {
        sqlx::query("INSERT INTO counters (name, value) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn get(conn: &mut AnyConnection) -> Result<Account> {
    Ok(sqlx::query_as("SELECT name, time_zone, locale, created_at, updated_at FROM account WHERE id = 1")
        .fetch_one(conn)
        .await?)
}

pub async fn update(conn: &mut AnyConnection, a: &Account) -> Result<()> {
    sqlx::query("UPDATE account SET name = $1, time_zone = $2, locale = $3, updated_at = $4 WHERE id = 1")
        .bind(&a.name)
        .bind(&a.time_zone)
        .bind(&a.locale)
        .bind(a.updated_at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes the next value of a named counter. The row lock (PostgreSQL) or the single writer
/// (SQLite) makes values unique and gap-free: a rolled-back transaction gives its value back.
pub async fn next_value(conn: &mut AnyConnection, name: &str) -> Result<i64> {
    let (v,): (i64,) = sqlx::query_as("UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value")
        .bind(name)
        .fetch_one(conn)
        .await?;
    Ok(v)
}

/// Takes the next `n` values of the change sequence that orders incremental exports; returns
/// the first. Every write takes it before any other counter, so two transactions never wait
/// on each other's counters in opposite orders.
pub async fn next_changes(conn: &mut AnyConnection, n: i64) -> Result<i64> {
    next_values(conn, "changes", n).await
}

/// Takes `n` consecutive values at once; returns the first.
pub async fn next_values(conn: &mut AnyConnection, name: &str, n: i64) -> Result<i64> {
    let (v,): (i64,) = sqlx::query_as("UPDATE counters SET value = value + $2 WHERE name = $1 RETURNING value")
        .bind(name)
        .bind(n)
        .fetch_one(conn)
        .await?;
    Ok(v - n + 1)
}

/// The change sequence's latest value: it moves whenever a ticket, user or organization is
/// written, so a page can tell cheaply whether anything it shows may have changed.
pub async fn changes_now(conn: &mut AnyConnection) -> Result<i64> {
    let (v,): (i64,) = sqlx::query_as("SELECT value FROM counters WHERE name = 'changes'").fetch_one(conn).await?;
    Ok(v)
}

/// A named counter's value, if it exists.
pub async fn counter(conn: &mut AnyConnection, name: &str) -> Result<Option<i64>> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT value FROM counters WHERE name = $1").bind(name).fetch_optional(conn).await?;
    Ok(row.map(|(v,)| v))
}

/// Sets a named counter, creating it if needed.
pub async fn set_counter(conn: &mut AnyConnection, name: &str, value: i64) -> Result<()> {
    sqlx::query("INSERT INTO counters (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = $2")
        .bind(name)
        .bind(value)
        .execute(conn)
        .await?;
    Ok(())
}
