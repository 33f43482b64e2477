//! Web sessions (the UI's sign-in), keyed by a hash of the cookie's secret.

use sqlx::AnyConnection;

use crate::Result;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub id: String,
    pub user_id: i64,
    pub csrf: String,
    pub created_at: i64,
    pub seen_at: i64,
}

pub async fn insert(conn: &mut AnyConnection, s: &Session) -> Result<()> {
    sqlx::query("INSERT INTO sessions (id, user_id, csrf, created_at, seen_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&s.id)
        .bind(s.user_id)
        .bind(&s.csrf)
        .bind(s.created_at)
        .bind(s.seen_at)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id: &str) -> Result<Option<Session>> {
    Ok(sqlx::query_as("SELECT id, user_id, csrf, created_at, seen_at FROM sessions WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

pub async fn touch(conn: &mut AnyConnection, id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE sessions SET seen_at = $2 WHERE id = $1").bind(id).bind(now).execute(conn).await?;
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}

/// Signs a user out everywhere (after a password change).
pub async fn delete_for_user(conn: &mut AnyConnection, user_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(conn).await?;
    Ok(())
}
