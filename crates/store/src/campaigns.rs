//! Proactive campaigns and their recipients.

use sqlx::AnyConnection;

use crate::sql::Sql;
use crate::{Page, PageRequest, Result};

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    pub name_key: String,
    pub tag: String,
    pub state: String,
    /// JSON: `{query?, user_ids?, exclude_user_ids?}`.
    pub audience: String,
    /// JSON: the ticket each customer gets, placeholders unrendered.
    pub ticket: String,
    pub macro_id: Option<i64>,
    pub override_frequency_cap: i64,
    pub total: i64,
    pub created: i64,
    pub skipped: i64,
    pub failed: i64,
    pub view_id: Option<i64>,
    pub created_by: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub completed_at: Option<i64>,
    /// Why the send ended `failed`.
    pub error: Option<String>,
    /// The format of `audience` and `ticket` ([`crate::stored`]).
    #[sqlx(try_from = "i64")]
    pub format: crate::stored::Format,
}

impl Campaign {
    /// Whom the campaign is for, or why that cannot be read.
    pub fn audience(&self) -> Result<serde_json::Value, crate::stored::Unreadable> {
        crate::stored::read(|| format!("audience of campaign {}", self.id), self.format, &self.audience)
    }

    /// The ticket each customer gets, or why it cannot be read.
    pub fn ticket_template(&self) -> Result<serde_json::Map<String, serde_json::Value>, crate::stored::Unreadable> {
        crate::stored::read(|| format!("ticket of campaign {}", self.id), self.format, &self.ticket)
    }
}

const COLUMNS: &str = "id, name, name_key, tag, state, audience, ticket, macro_id, override_frequency_cap, total, \
                       created, skipped, failed, view_id, created_by, created_at, updated_at, completed_at, error, format";

pub async fn insert(conn: &mut AnyConnection, c: &Campaign) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO campaigns (name, name_key, tag, state, audience, ticket, macro_id, override_frequency_cap, \
         total, created, skipped, failed, view_id, created_by, created_at, updated_at, completed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id",
    )
    .bind(&c.name)
    .bind(&c.name_key)
    .bind(&c.tag)
    .bind(&c.state)
    .bind(&c.audience)
    .bind(&c.ticket)
    .bind(c.macro_id)
    .bind(c.override_frequency_cap)
    .bind(c.total)
    .bind(c.created)
    .bind(c.skipped)
    .bind(c.failed)
    .bind(c.view_id)
    .bind(c.created_by)
    .bind(c.created_at)
    .bind(c.updated_at)
    .bind(c.completed_at)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Campaign>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM campaigns WHERE id = $1")).bind(id).fetch_optional(conn).await?)
}

/// The campaign, locked for the rest of the transaction (PostgreSQL; SQLite has one writer).
pub async fn get_for_update(conn: &mut AnyConnection, id: i64) -> Result<Option<Campaign>> {
    let lock = crate::dialect(conn).for_update();
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM campaigns WHERE id = $1{lock}"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

pub async fn find_by_name_key(conn: &mut AnyConnection, key: &str) -> Result<Option<Campaign>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM campaigns WHERE name_key = $1"))
        .bind(key)
        .fetch_optional(conn)
        .await?)
}

pub async fn list(conn: &mut AnyConnection) -> Result<Vec<Campaign>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM campaigns ORDER BY id DESC")).fetch_all(conn).await?)
}

/// Ends a queued or running send as `failed`, with why; false when it had ended already.
pub async fn fail(conn: &mut AnyConnection, id: i64, error: &str, now: i64) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE campaigns SET state = 'failed', error = $2, updated_at = $3, completed_at = $3 \
         WHERE id = $1 AND state IN ('queued', 'running')",
    )
    .bind(id)
    .bind(error)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() > 0)
}

/// Moves a campaign to `state`, if it is in one of `from`; false when it was not.
pub async fn set_state(conn: &mut AnyConnection, id: i64, from: &[&str], state: &str, now: i64) -> Result<bool> {
    let mut q = Sql::new("UPDATE campaigns SET state = ");
    q.bind(state).push(", updated_at = ").bind(now);
    if state == "completed" || state == "failed" {
        q.push(", completed_at = ").bind(now);
    }
    q.push(" WHERE id = ").bind(id).push(" AND state IN ").bind_list(from);
    Ok(q.query().execute(conn).await?.rows_affected() == 1)
}

/// Adds to the campaign's counts.
pub async fn count(conn: &mut AnyConnection, id: i64, created: i64, failed: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE campaigns SET created = created + $2, failed = failed + $3, updated_at = $4 WHERE id = $1")
        .bind(id)
        .bind(created)
        .bind(failed)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_view(conn: &mut AnyConnection, id: i64, view_id: i64) -> Result<()> {
    sqlx::query("UPDATE campaigns SET view_id = $2 WHERE id = $1").bind(id).bind(view_id).execute(conn).await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Recipient {
    pub campaign_id: i64,
    pub user_id: i64,
    pub state: String,
    pub ticket_id: Option<i64>,
    pub reason: Option<String>,
    pub updated_at: i64,
}

impl crate::sql::HasId for Recipient {
    fn id(&self) -> i64 {
        self.user_id
    }
}

/// Adds recipients: `(user_id, state, reason)`, in multi-row statements.
pub async fn insert_recipients(
    conn: &mut AnyConnection,
    campaign_id: i64,
    rows: &[(i64, &str, Option<&str>)],
    now: i64,
) -> Result<()> {
    for chunk in rows.chunks(500) {
        let mut q =
            Sql::new("INSERT INTO campaign_recipients (campaign_id, user_id, state, reason, updated_at) VALUES ");
        for (i, (user, state, reason)) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(").bind(campaign_id).push(", ").bind(*user).push(", ").bind(*state);
            q.push(", ").bind(reason.map(str::to_string)).push(", ").bind(now).push(")");
        }
        q.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// The next pending recipients, in user order.
pub async fn pending(conn: &mut AnyConnection, campaign_id: i64, limit: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT user_id FROM campaign_recipients WHERE campaign_id = $1 AND state = 'pending' ORDER BY user_id LIMIT $2",
    )
    .bind(campaign_id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Settles a pending recipient: created with its ticket, or failed with the reason. False when
/// it was no longer pending (another run settled it), so the caller's transaction must not
/// keep the ticket it made.
pub async fn settle(
    conn: &mut AnyConnection,
    campaign_id: i64,
    user_id: i64,
    ticket_id: Option<i64>,
    reason: Option<&str>,
    now: i64,
) -> Result<bool> {
    let state = if ticket_id.is_some() { "created" } else { "failed" };
    let r = sqlx::query(
        "UPDATE campaign_recipients SET state = $3, ticket_id = $4, reason = $5, updated_at = $6 \
         WHERE campaign_id = $1 AND user_id = $2 AND state = 'pending'",
    )
    .bind(campaign_id)
    .bind(user_id)
    .bind(state)
    .bind(ticket_id)
    .bind(reason.map(str::to_string))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn recipients(conn: &mut AnyConnection, campaign_id: i64, req: PageRequest) -> Result<Page<Recipient>> {
    let mut w = Sql::new(" WHERE campaign_id = ");
    w.bind(campaign_id);
    let select = Sql {
        text: format!(
            "SELECT campaign_id, user_id, state, ticket_id, reason, updated_at FROM campaign_recipients{}",
            w.text
        ),
        args: w.args.clone(),
    };
    crate::sql::page(conn, select, "user_id", None, req).await
}

/// Recipients by state and reason: `(state, reason, count)`.
pub async fn tally(conn: &mut AnyConnection, campaign_id: i64) -> Result<Vec<(String, Option<String>, i64)>> {
    Ok(sqlx::query_as(
        "SELECT state, reason, COUNT(*) FROM campaign_recipients WHERE campaign_id = $1 GROUP BY state, reason \
         ORDER BY state, reason",
    )
    .bind(campaign_id)
    .fetch_all(conn)
    .await?)
}

/// Of `user_ids`, those who got a ticket from another campaign since `since`.
pub async fn contacted_since(conn: &mut AnyConnection, user_ids: &[i64], since: i64) -> Result<Vec<i64>> {
    let mut out = Vec::new();
    for chunk in user_ids.chunks(500) {
        let mut q =
            Sql::new("SELECT DISTINCT user_id FROM campaign_recipients WHERE state = 'created' AND updated_at >= ");
        q.bind(since).push(" AND user_id IN ").bind_list(chunk);
        let rows: Vec<(i64,)> = q.query_as().fetch_all(&mut *conn).await?;
        out.extend(rows.into_iter().map(|r| r.0));
    }
    Ok(out)
}

/// Each campaign ticket's status, and when its requester first commented after it was made
/// (seconds), for the report: `(ticket_id, status, custom_status_id, first_reply_secs)`.
pub async fn report_rows(
    conn: &mut AnyConnection,
    campaign_id: i64,
) -> Result<Vec<(i64, String, Option<i64>, Option<i64>)>> {
    Ok(sqlx::query_as(
        "SELECT t.id, t.status, t.custom_status_id, \
         (SELECT MIN(c.created_at) - t.created_at FROM ticket_comments c \
          WHERE c.ticket_id = t.id AND c.author_id = t.requester_id AND c.created_at >= t.created_at \
          AND c.id > (SELECT MIN(f.id) FROM ticket_comments f WHERE f.ticket_id = t.id)) \
         FROM campaign_recipients r JOIN tickets t ON t.id = r.ticket_id \
         WHERE r.campaign_id = $1 AND r.state = 'created' AND t.deleted_at IS NULL ORDER BY t.id",
    )
    .bind(campaign_id)
    .fetch_all(conn)
    .await?)
}

/// What the user may do beyond their role.
pub async fn permissions(conn: &mut AnyConnection, user_id: i64) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT permission FROM user_permissions WHERE user_id = $1 ORDER BY permission")
            .bind(user_id)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub async fn set_permissions(conn: &mut AnyConnection, user_id: i64, list: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM user_permissions WHERE user_id = $1").bind(user_id).execute(&mut *conn).await?;
    for p in list {
        sqlx::query("INSERT INTO user_permissions (user_id, permission) VALUES ($1, $2)")
            .bind(user_id)
            .bind(p)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The least days between two campaign tickets to one customer (account setting).
pub async fn interval_days(conn: &mut AnyConnection) -> Result<i64> {
    let (d,): (i64,) =
        sqlx::query_as("SELECT campaign_interval_days FROM account WHERE id = 1").fetch_one(conn).await?;
    Ok(d)
}

pub async fn set_interval_days(conn: &mut AnyConnection, days: i64) -> Result<()> {
    sqlx::query("UPDATE account SET campaign_interval_days = $1 WHERE id = 1").bind(days).execute(conn).await?;
    Ok(())
}

/// Tickets solved per day over the last 30 days by an assignee or a group: the team's measured
/// capacity. `(solved in 30 days)`.
pub async fn solved_last_30_days(
    conn: &mut AnyConnection,
    assignee_id: Option<i64>,
    group_id: Option<i64>,
    now: i64,
) -> Result<i64> {
    let mut q = Sql::new("SELECT COUNT(*) FROM tickets WHERE deleted_at IS NULL AND solved_at >= ");
    q.bind(now - 30 * 86_400);
    if let Some(a) = assignee_id {
        q.push(" AND assignee_id = ").bind(a);
    }
    if let Some(g) = group_id {
        q.push(" AND group_id = ").bind(g);
    }
    let (n,): (i64,) = q.query_as().fetch_one(conn).await?;
    Ok(n)
}
