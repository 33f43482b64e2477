//! Business rules (triggers, automations, macros), what automations have acted on, where
//! round-robin assignment left off, and webhooks.

use sqlx::AnyConnection;

use crate::Result;
use crate::sql::Sql;

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Rule {
    pub id: i64,
    /// `trigger`, `automation` or `macro`.
    pub kind: String,
    pub title: String,
    pub description: Option<String>,
    pub active: i64,
    pub position: i64,
    pub category_id: Option<i64>,
    /// JSON `{all, any}`.
    pub conditions: String,
    /// JSON `[{field, value}]`.
    pub actions: String,
    /// JSON `{type, id}`, or none for everyone (macros).
    pub restriction: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The format of the JSON above ([`crate::stored`]).
    #[sqlx(try_from = "i64")]
    pub format: crate::stored::Format,
}

const COLUMNS: &str = "id, kind, title, description, active, position, category_id, conditions, actions, restriction, \
                       created_at, updated_at, format";

/// Which database this is and how many rule writes it has seen: compiled rules stay good while
/// both stay the same.
pub async fn version(conn: &mut AnyConnection) -> Result<(String, i64)> {
    Ok(sqlx::query_as("SELECT instance, version FROM rules_version WHERE id = 1").fetch_one(conn).await?)
}

async fn bump(conn: &mut AnyConnection) -> Result<()> {
    sqlx::query("UPDATE rules_version SET version = version + 1 WHERE id = 1").execute(conn).await?;
    Ok(())
}

/// Rules of one kind (or only the active ones), in position order.
pub async fn list(conn: &mut AnyConnection, kind: &str, active_only: bool) -> Result<Vec<Rule>> {
    let active = if active_only { " AND active = 1" } else { "" };
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM rules WHERE kind = $1{active} ORDER BY position, id"))
        .bind(kind)
        .fetch_all(conn)
        .await?)
}

pub async fn get(conn: &mut AnyConnection, kind: &str, id: i64) -> Result<Option<Rule>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM rules WHERE kind = $1 AND id = $2"))
        .bind(kind)
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// Why a rule could not do all it says, and how often that happened since it was last saved.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RuleProblem {
    pub rule_id: i64,
    pub failures: i64,
    pub message: String,
    pub at: i64,
}

/// Counts one more failure of a rule with its reason; the failures so far.
pub async fn record_problem(conn: &mut AnyConnection, rule_id: i64, message: &str, now: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "INSERT INTO rule_problems (rule_id, failures, message, at) VALUES ($1, 1, $2, $3) \
         ON CONFLICT (rule_id) DO UPDATE SET failures = rule_problems.failures + 1, message = $2, at = $3 \
         RETURNING failures",
    )
    .bind(rule_id)
    .bind(message)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(n)
}

/// The problems of these rules.
pub async fn problems(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<RuleProblem>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new("SELECT rule_id, failures, message, at FROM rule_problems WHERE rule_id IN ");
    q.bind_list(ids);
    Ok(q.query_as().fetch_all(conn).await?)
}

/// Forgets a rule's problems (it was saved again).
pub async fn clear_problem(conn: &mut AnyConnection, rule_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM rule_problems WHERE rule_id = $1").bind(rule_id).execute(conn).await?;
    Ok(())
}

/// Turns a rule off (after repeated failures).
pub async fn deactivate(conn: &mut AnyConnection, rule_id: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE rules SET active = 0, updated_at = $2 WHERE id = $1")
        .bind(rule_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    bump(conn).await
}

/// The next position at the end of a kind's list.
pub async fn next_position(conn: &mut AnyConnection, kind: &str) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(position), 0) + 1 FROM rules WHERE kind = $1")
        .bind(kind)
        .fetch_one(conn)
        .await?;
    Ok(n)
}

pub async fn insert(conn: &mut AnyConnection, r: &Rule) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO rules (kind, title, description, active, position, category_id, conditions, actions, restriction, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
    )
    .bind(&r.kind)
    .bind(&r.title)
    .bind(&r.description)
    .bind(r.active)
    .bind(r.position)
    .bind(r.category_id)
    .bind(&r.conditions)
    .bind(&r.actions)
    .bind(&r.restriction)
    .bind(r.created_at)
    .fetch_one(&mut *conn)
    .await?;
    bump(conn).await?;
    Ok(id)
}

pub async fn update(conn: &mut AnyConnection, r: &Rule) -> Result<()> {
    sqlx::query(&format!(
        "UPDATE rules SET title = $2, description = $3, active = $4, position = $5, category_id = $6, \
             conditions = $7, actions = $8, restriction = $9, updated_at = $10, format = {} WHERE id = $1",
        crate::stored::FORMAT
    ))
    .bind(r.id)
    .bind(&r.title)
    .bind(&r.description)
    .bind(r.active)
    .bind(r.position)
    .bind(r.category_id)
    .bind(&r.conditions)
    .bind(&r.actions)
    .bind(&r.restriction)
    .bind(r.updated_at)
    .execute(&mut *conn)
    .await?;
    // A rule saved again starts with a clean record.
    clear_problem(conn, r.id).await?;
    bump(conn).await
}

pub async fn set_position(conn: &mut AnyConnection, id: i64, position: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE rules SET position = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(position)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    bump(conn).await
}

/// Deletes rules of one kind; how many went.
pub async fn delete(conn: &mut AnyConnection, kind: &str, ids: &[i64]) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let mut q = Sql::new("DELETE FROM rules WHERE kind = ");
    q.bind(kind).push(" AND id IN ").bind_list(ids);
    let n = q.query().execute(&mut *conn).await?.rows_affected();
    let mut q = Sql::new("DELETE FROM automation_firings WHERE rule_id IN ");
    q.bind_list(ids);
    q.query().execute(&mut *conn).await?;
    let mut q = Sql::new("DELETE FROM rule_problems WHERE rule_id IN ");
    q.bind_list(ids);
    q.query().execute(&mut *conn).await?;
    bump(conn).await?;
    Ok(n)
}

/// Records that an automation acts on a ticket; false when it already has in this matching
/// period (another server's pass, say), so the caller leaves the ticket alone.
pub async fn claim_firing(conn: &mut AnyConnection, rule_id: i64, ticket_id: i64, now: i64) -> Result<bool> {
    let r = sqlx::query(
        "INSERT INTO automation_firings (rule_id, ticket_id, fired_at) VALUES ($1, $2, $3) \
         ON CONFLICT (rule_id, ticket_id) DO NOTHING",
    )
    .bind(rule_id)
    .bind(ticket_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// The tickets an automation has acted on in their current matching period.
pub async fn fired_tickets(conn: &mut AnyConnection, rule_id: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = sqlx::query_as("SELECT ticket_id FROM automation_firings WHERE rule_id = $1")
        .bind(rule_id)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Ends the matching period of these tickets for an automation.
pub async fn forget_firings(conn: &mut AnyConnection, rule_id: i64, tickets: &[i64]) -> Result<()> {
    for chunk in tickets.chunks(500) {
        let mut q = Sql::new("DELETE FROM automation_firings WHERE rule_id = ");
        q.bind(rule_id).push(" AND ticket_id IN ").bind_list(chunk);
        q.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// The user the group's last round-robin assignment went to.
pub async fn last_rotation(conn: &mut AnyConnection, group_id: i64) -> Result<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT last_user_id FROM group_rotations WHERE group_id = $1")
        .bind(group_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| r.0))
}

pub async fn set_rotation(conn: &mut AnyConnection, group_id: i64, user_id: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO group_rotations (group_id, last_user_id) VALUES ($1, $2) \
         ON CONFLICT (group_id) DO UPDATE SET last_user_id = excluded.last_user_id",
    )
    .bind(group_id)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// How many unsolved tickets each of these agents has.
pub async fn open_loads(conn: &mut AnyConnection, agents: &[i64]) -> Result<Vec<(i64, i64)>> {
    if agents.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(
        "SELECT assignee_id, COUNT(*) FROM tickets WHERE deleted_at IS NULL AND status IN ('new', 'open', 'pending', 'hold') \
         AND assignee_id IN ",
    );
    q.bind_list(agents).push(" GROUP BY assignee_id");
    Ok(q.query_as().fetch_all(conn).await?)
}

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Webhook {
    pub id: i64,
    pub name: String,
    pub endpoint: String,
    pub http_method: String,
    pub request_format: String,
    /// `active` or `inactive`.
    pub status: String,
    pub signing_secret: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const WEBHOOK_COLUMNS: &str =
    "id, name, endpoint, http_method, request_format, status, signing_secret, created_at, updated_at";

pub async fn webhooks(conn: &mut AnyConnection) -> Result<Vec<Webhook>> {
    Ok(sqlx::query_as(&format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks ORDER BY id")).fetch_all(conn).await?)
}

pub async fn webhook(conn: &mut AnyConnection, id: i64) -> Result<Option<Webhook>> {
    Ok(sqlx::query_as(&format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

pub async fn insert_webhook(conn: &mut AnyConnection, w: &Webhook) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO webhooks (name, endpoint, http_method, request_format, status, signing_secret, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(&w.name)
    .bind(&w.endpoint)
    .bind(&w.http_method)
    .bind(&w.request_format)
    .bind(&w.status)
    .bind(&w.signing_secret)
    .bind(w.created_at)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn update_webhook(conn: &mut AnyConnection, w: &Webhook) -> Result<()> {
    sqlx::query(
        "UPDATE webhooks SET name = $2, endpoint = $3, http_method = $4, request_format = $5, status = $6, \
         signing_secret = $7, updated_at = $8 WHERE id = $1",
    )
    .bind(w.id)
    .bind(&w.name)
    .bind(&w.endpoint)
    .bind(&w.http_method)
    .bind(&w.request_format)
    .bind(&w.status)
    .bind(&w.signing_secret)
    .bind(w.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_webhook(conn: &mut AnyConnection, id: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM webhooks WHERE id = $1").bind(id).execute(conn).await?.rows_affected())
}

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Category {
    pub id: i64,
    pub name: String,
    pub position: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const CATEGORY_COLUMNS: &str = "id, name, position, created_at, updated_at";

pub async fn categories(conn: &mut AnyConnection) -> Result<Vec<Category>> {
    Ok(sqlx::query_as(&format!("SELECT {CATEGORY_COLUMNS} FROM trigger_categories ORDER BY position, id"))
        .fetch_all(conn)
        .await?)
}

pub async fn category(conn: &mut AnyConnection, id: i64) -> Result<Option<Category>> {
    Ok(sqlx::query_as(&format!("SELECT {CATEGORY_COLUMNS} FROM trigger_categories WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// Saves a category: inserted when its id is 0. Returns its id.
pub async fn save_category(conn: &mut AnyConnection, c: &Category) -> Result<i64> {
    if c.id == 0 {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO trigger_categories (name, position, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
        )
        .bind(&c.name)
        .bind(c.position)
        .bind(c.created_at)
        .fetch_one(conn)
        .await?;
        return Ok(id);
    }
    sqlx::query("UPDATE trigger_categories SET name = $2, position = $3, updated_at = $4 WHERE id = $1")
        .bind(c.id)
        .bind(&c.name)
        .bind(c.position)
        .bind(c.updated_at)
        .execute(conn)
        .await?;
    Ok(c.id)
}

/// How many triggers are in a category.
pub async fn triggers_in(conn: &mut AnyConnection, category_id: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM rules WHERE kind = 'trigger' AND category_id = $1")
        .bind(category_id)
        .fetch_one(conn)
        .await?;
    Ok(n)
}

pub async fn delete_category(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM trigger_categories WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}
