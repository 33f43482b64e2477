//! Who is looking at a ticket in the agent workspace, and who is typing. Rows live in the
//! database so that every server behind a load balancer sees the same agents.

use sqlx::AnyConnection;

use crate::Result;

/// An agent on a ticket page: when the page last said so, and when they last typed (ms).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Presence {
    pub user_id: i64,
    pub seen_at: i64,
    pub typing_at: i64,
}

/// Records that `user_id` has the ticket open now (and is typing, when `typing`).
pub async fn beat(conn: &mut AnyConnection, ticket_id: i64, user_id: i64, typing: bool, now_ms: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO presence (ticket_id, user_id, seen_at, typing_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (ticket_id, user_id) DO UPDATE SET seen_at = excluded.seen_at, \
         typing_at = CASE WHEN excluded.typing_at > 0 THEN excluded.typing_at ELSE presence.typing_at END",
    )
    .bind(ticket_id)
    .bind(user_id)
    .bind(now_ms)
    .bind(if typing { now_ms } else { 0 })
    .execute(conn)
    .await?;
    Ok(())
}

/// Everyone seen on the ticket since `since_ms`.
pub async fn on_ticket(conn: &mut AnyConnection, ticket_id: i64, since_ms: i64) -> Result<Vec<Presence>> {
    Ok(sqlx::query_as(
        "SELECT user_id, seen_at, typing_at FROM presence WHERE ticket_id = $1 AND seen_at >= $2 ORDER BY user_id",
    )
    .bind(ticket_id)
    .bind(since_ms)
    .fetch_all(conn)
    .await?)
}

/// Forgets a page that was closed, and rows nobody has refreshed since `before_ms`.
pub async fn leave(conn: &mut AnyConnection, ticket_id: i64, user_id: i64, before_ms: i64) -> Result<()> {
    sqlx::query("DELETE FROM presence WHERE (ticket_id = $1 AND user_id = $2) OR seen_at < $3")
        .bind(ticket_id)
        .bind(user_id)
        .bind(before_ms)
        .execute(conn)
        .await?;
    Ok(())
}

/// A link: `purpose` is `reset` (set a password) or `sign_in` (an emailed sign-in), each used
/// once, or `unsubscribe` (out of campaigns, from campaign mail).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PasswordReset {
    pub id: String,
    pub user_id: i64,
    pub created_by: Option<i64>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub purpose: String,
    pub created_at: i64,
}

pub const RESET: &str = "reset";
pub const SIGN_IN: &str = "sign_in";
/// A link in campaign mail that opts its reader out of campaigns (kept, never used up).
pub const UNSUBSCRIBE: &str = "unsubscribe";
/// A link mailed to an address someone claimed, which proves it theirs; the link's purpose is
/// `verify_identity:ID`, naming the identity it proves.
pub const VERIFY: &str = "verify_identity";

pub async fn insert_reset(conn: &mut AnyConnection, r: &PasswordReset) -> Result<()> {
    sqlx::query(
        "INSERT INTO password_resets (id, user_id, created_by, expires_at, used_at, purpose, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&r.id)
    .bind(r.user_id)
    .bind(r.created_by)
    .bind(r.expires_at)
    .bind(r.used_at)
    .bind(&r.purpose)
    .bind(r.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get_reset(conn: &mut AnyConnection, id: &str) -> Result<Option<PasswordReset>> {
    Ok(sqlx::query_as(
        "SELECT id, user_id, created_by, expires_at, used_at, purpose, created_at FROM password_resets WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// How many links were made for a user since `since` (to cap the mail one address gets),
/// with the user's row locked, so two senders at once cannot both pass the cap.
pub async fn links_since(conn: &mut AnyConnection, user_id: i64, since: i64) -> Result<i64> {
    crate::users::lock(conn, user_id).await?;
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM password_resets WHERE user_id = $1 AND created_at >= $2 AND purpose <> 'unsubscribe'",
    )
    .bind(user_id)
    .bind(since)
    .fetch_one(conn)
    .await?;
    Ok(n)
}

/// Uses a link up: true when it was still unused (so two clicks cannot both set a password).
pub async fn use_reset(conn: &mut AnyConnection, id: &str, now: i64) -> Result<bool> {
    let r = sqlx::query("UPDATE password_resets SET used_at = $2 WHERE id = $1 AND used_at IS NULL")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}
