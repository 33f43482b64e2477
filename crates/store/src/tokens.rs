//! API tokens, stored as SHA-256 hashes: a token is a long random secret, so a fast hash is
//! enough and an API request never pays for a password hash.

use sqlx::AnyConnection;

use crate::Result;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub description: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

pub async fn insert(
    conn: &mut AnyConnection,
    user_id: i64,
    token_hash: &str,
    description: Option<&str>,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO api_tokens (user_id, token_hash, description, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(user_id)
    .bind(token_hash)
    .bind(description)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// The user a token hash belongs to.
pub async fn user_for(conn: &mut AnyConnection, token_hash: &str) -> Result<Option<(i64, i64)>> {
    Ok(sqlx::query_as("SELECT id, user_id FROM api_tokens WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(conn)
        .await?)
}

pub async fn list(conn: &mut AnyConnection, user_id: Option<i64>) -> Result<Vec<ApiToken>> {
    Ok(sqlx::query_as(
        "SELECT id, user_id, description, created_at, last_used_at FROM api_tokens WHERE ($1 IS NULL OR user_id = $1) ORDER BY id",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?)
}

pub async fn delete(conn: &mut AnyConnection, id: i64) -> Result<bool> {
    let r = sqlx::query("DELETE FROM api_tokens WHERE id = $1").bind(id).execute(conn).await?;
    Ok(r.rows_affected() > 0)
}
