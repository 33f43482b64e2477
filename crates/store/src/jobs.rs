//! Background jobs are rows: enqueued in the transaction of the change that causes them,
//! claimed with a lease so that two servers on one database never run a job at once, retried
//! with backoff, and left `failed` (the dead letter) with the last error after the last try.
//!
//! States: `queued` → `working` (leased) → `completed`, or back to `queued` with a later
//! `run_at_ms` after an error, or `failed` once attempts run out. A `working` job whose lease
//! has expired (its server died) is claimed again.

use frontdesk_domain::JobKind;
use sqlx::AnyConnection;

use crate::db::dialect;
use crate::sql::{HasId, Sql, page};
use crate::{Page, PageRequest, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub public_id: Option<String>,
    #[sqlx(try_from = "String")]
    pub kind: JobKind,
    pub payload: String,
    pub state: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at_ms: i64,
    pub lease_owner: Option<String>,
    pub lease_until_ms: Option<i64>,
    pub last_error: Option<String>,
    pub total: Option<i64>,
    pub progress: Option<i64>,
    pub message: Option<String>,
    pub results: Option<String>,
    pub requested_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The format of `payload` and `results` ([`crate::stored`]).
    #[sqlx(try_from = "i64")]
    pub format: crate::stored::Format,
}

impl Job {
    /// The job's payload, or why it cannot be read.
    pub fn payload(&self) -> Result<serde_json::Value, crate::stored::Unreadable> {
        crate::stored::read(|| format!("payload of job {} ({})", self.id, self.kind), self.format, &self.payload)
    }

    /// The results kept so far (none yet is an empty list), or why they cannot be read.
    pub fn results(&self) -> Result<Vec<serde_json::Value>, crate::stored::Unreadable> {
        let read = crate::stored::read_optional(
            || format!("results of job {}", self.id),
            self.format,
            self.results.as_deref(),
        );
        Ok(read?.unwrap_or_default())
    }
}

impl HasId for Job {
    fn id(&self) -> i64 {
        self.id
    }
}

const COLUMNS: &str = "id, public_id, kind, payload, state, attempts, max_attempts, run_at_ms, lease_owner, \
     lease_until_ms, last_error, total, progress, message, results, requested_by, created_at, updated_at, format";

#[derive(Debug, Clone)]
pub struct NewJob {
    pub public_id: Option<String>,
    pub kind: JobKind,
    pub payload: String,
    pub max_attempts: i64,
    pub run_at_ms: i64,
    pub total: Option<i64>,
    pub requested_by: Option<i64>,
    /// At most one job per key ever exists: enqueueing a second is a no-op.
    pub unique_key: Option<String>,
}

impl NewJob {
    /// A job of `kind` with its payload, due at once, tried up to 5 times.
    pub fn new(kind: JobKind, payload: serde_json::Value) -> NewJob {
        NewJob {
            public_id: None,
            kind,
            payload: payload.to_string(),
            max_attempts: 5,
            run_at_ms: 0,
            total: None,
            requested_by: None,
            unique_key: None,
        }
    }
}

/// Enqueues a job; returns its id, or `None` when its unique key was already used.
pub async fn enqueue(conn: &mut AnyConnection, j: &NewJob, now: i64) -> Result<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO jobs (public_id, kind, payload, state, attempts, max_attempts, run_at_ms, total, requested_by, \
         unique_key, created_at, updated_at) VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $7, $8, $9, $9) \
         ON CONFLICT (unique_key) DO NOTHING RETURNING id",
    )
    .bind(&j.public_id)
    .bind(j.kind.as_str())
    .bind(&j.payload)
    .bind(j.max_attempts)
    .bind(j.run_at_ms)
    .bind(j.total)
    .bind(j.requested_by)
    .bind(&j.unique_key)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| r.0))
}

/// Enqueues jobs with multi-row statements (a job whose unique key was used already is left
/// out): the jobs of a whole batch of creates cost one statement, not one each.
pub async fn enqueue_many(conn: &mut AnyConnection, list: &[NewJob], now: i64) -> Result<()> {
    for chunk in list.chunks(100) {
        let mut q = Sql::new(
            "INSERT INTO jobs (public_id, kind, payload, state, attempts, max_attempts, run_at_ms, total, \
             requested_by, unique_key, created_at, updated_at) VALUES ",
        );
        for (i, j) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(").bind(j.public_id.clone()).push(", ").bind(j.kind.as_str()).push(", ").bind(j.payload.as_str());
            q.push(", 'queued', 0, ").bind(j.max_attempts).push(", ").bind(j.run_at_ms).push(", ").bind(j.total);
            q.push(", ").bind(j.requested_by).push(", ").bind(j.unique_key.clone()).push(", ").bind(now);
            q.push(", ").bind(now).push(")");
        }
        q.push(" ON CONFLICT (unique_key) DO NOTHING");
        q.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Claims the next runnable job for `owner` until `lease_until_ms`.
pub async fn claim(conn: &mut AnyConnection, owner: &str, now_ms: i64, lease_until_ms: i64) -> Result<Option<Job>> {
    let skip_locked = dialect(conn).for_update_skip_locked();
    Ok(sqlx::query_as(&format!(
        "UPDATE jobs SET state = 'working', attempts = attempts + 1, lease_owner = $1, lease_until_ms = $2, \
         updated_at = $3 / 1000 WHERE id = (SELECT id FROM jobs WHERE (state = 'queued' AND run_at_ms <= $3) \
         OR (state = 'working' AND lease_until_ms < $3) ORDER BY run_at_ms, id LIMIT 1{skip_locked}) \
         RETURNING {COLUMNS}"
    ))
    .bind(owner)
    .bind(lease_until_ms)
    .bind(now_ms)
    .fetch_optional(conn)
    .await?)
}

/// Claims up to `limit` runnable jobs of the given kinds for `owner`, in the order they became
/// due: one statement, so a burst of mails costs one claim, not one each.
pub async fn claim_many(
    conn: &mut AnyConnection,
    owner: &str,
    kinds: &[JobKind],
    now_ms: i64,
    lease_until_ms: i64,
    limit: i64,
) -> Result<Vec<Job>> {
    let skip_locked = dialect(conn).for_update_skip_locked();
    let mut q = Sql::new("UPDATE jobs SET state = 'working', attempts = attempts + 1, lease_owner = ");
    q.bind(owner).push(", lease_until_ms = ").bind(lease_until_ms).push(", updated_at = ").bind(now_ms / 1000);
    q.push(" WHERE id IN (SELECT id FROM jobs WHERE kind IN ");
    q.bind_list(&kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>());
    q.push(" AND ((state = 'queued' AND run_at_ms <= ").bind(now_ms);
    q.push(") OR (state = 'working' AND lease_until_ms < ").bind(now_ms);
    q.push(")) ORDER BY run_at_ms, id LIMIT ").bind(limit);
    q.push(&format!("{skip_locked}) RETURNING {COLUMNS}"));
    let mut jobs: Vec<Job> = q.query_as().fetch_all(conn).await?;
    jobs.sort_by_key(|j| (j.run_at_ms, j.id));
    Ok(jobs)
}

/// Marks the jobs `owner` still holds done, each with its message, in one statement; returns
/// how many it held.
pub async fn complete_many(conn: &mut AnyConnection, owner: &str, done: &[(i64, String)], now: i64) -> Result<u64> {
    if done.is_empty() {
        return Ok(0);
    }
    let mut q =
        Sql::new("UPDATE jobs SET state = 'completed', lease_owner = NULL, lease_until_ms = NULL, message = CASE id");
    for (id, message) in done {
        q.push(" WHEN ").bind(*id).push(" THEN ").bind(message.as_str());
    }
    q.push(" END, progress = total, updated_at = ").bind(now).push(" WHERE lease_owner = ").bind(owner);
    q.push(" AND id IN ").bind_list(&done.iter().map(|(id, _)| *id).collect::<Vec<_>>());
    Ok(q.query().execute(conn).await?.rows_affected())
}

/// Extends the leases `owner` still holds on these jobs.
pub async fn renew_many(conn: &mut AnyConnection, ids: &[i64], owner: &str, lease_until_ms: i64) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let mut q = Sql::new("UPDATE jobs SET lease_until_ms = ");
    q.bind(lease_until_ms).push(" WHERE lease_owner = ").bind(owner).push(" AND id IN ").bind_list(ids);
    Ok(q.query().execute(conn).await?.rows_affected())
}

/// Marks a job done, if `owner` still holds it. Returns false when the lease was lost.
pub async fn complete(
    conn: &mut AnyConnection,
    id: i64,
    owner: &str,
    message: &str,
    results: Option<&str>,
    now: i64,
) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE jobs SET state = 'completed', lease_owner = NULL, lease_until_ms = NULL, message = $3, \
         results = COALESCE($4, results), progress = total, updated_at = $5 WHERE id = $1 AND lease_owner = $2",
    )
    .bind(id)
    .bind(owner)
    .bind(message)
    .bind(results)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Records a failed attempt: back to `queued` at `retry_at_ms`, or `failed` for good when
/// `retry_at_ms` is `None`.
pub async fn fail(
    conn: &mut AnyConnection,
    id: i64,
    owner: &str,
    error: &str,
    retry_at_ms: Option<i64>,
    now: i64,
) -> Result<bool> {
    let r = match retry_at_ms {
        Some(at) => {
            sqlx::query(
                "UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_until_ms = NULL, last_error = $3, \
                 run_at_ms = $4, updated_at = $5 WHERE id = $1 AND lease_owner = $2",
            )
            .bind(id)
            .bind(owner)
            .bind(error)
            .bind(at)
            .bind(now)
            .execute(conn)
            .await?
        }
        None => {
            sqlx::query(
                "UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_until_ms = NULL, last_error = $3, \
                 message = $3, updated_at = $4 WHERE id = $1 AND lease_owner = $2",
            )
            .bind(id)
            .bind(owner)
            .bind(error)
            .bind(now)
            .execute(conn)
            .await?
        }
    };
    Ok(r.rows_affected() > 0)
}

/// Gives a job back untouched by this attempt (its server is stopping): queued again at once,
/// the attempt not counted; false when `owner` no longer held it.
pub async fn release(conn: &mut AnyConnection, id: i64, owner: &str, now_ms: i64, now: i64) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE jobs SET state = 'queued', lease_owner = NULL, lease_until_ms = NULL, attempts = attempts - 1, \
         run_at_ms = $3, updated_at = $4 WHERE id = $1 AND lease_owner = $2",
    )
    .bind(id)
    .bind(owner)
    .bind(now_ms)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() > 0)
}

/// Extends the lease of a job `owner` still holds; false when it was lost.
pub async fn renew(conn: &mut AnyConnection, id: i64, owner: &str, lease_until_ms: i64) -> Result<bool> {
    let r = sqlx::query("UPDATE jobs SET lease_until_ms = $3 WHERE id = $1 AND lease_owner = $2")
        .bind(id)
        .bind(owner)
        .bind(lease_until_ms)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Saves progress (and the results so far) for a job the caller holds.
pub async fn set_progress(
    conn: &mut AnyConnection,
    id: i64,
    progress: i64,
    message: &str,
    results: &str,
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE jobs SET progress = $2, message = $3, results = $4, updated_at = $5 WHERE id = $1")
        .bind(id)
        .bind(progress)
        .bind(message)
        .bind(results)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Job>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM jobs WHERE id = $1")).bind(id).fetch_optional(conn).await?)
}

pub async fn get_public(conn: &mut AnyConnection, public_id: &str) -> Result<Option<Job>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM jobs WHERE public_id = $1"))
        .bind(public_id)
        .fetch_optional(conn)
        .await?)
}

pub async fn get_public_many(conn: &mut AnyConnection, ids: &[String]) -> Result<Vec<Job>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(format!("SELECT {COLUMNS} FROM jobs WHERE public_id IN "));
    q.bind_list(ids).push(" ORDER BY id");
    Ok(q.query_as().fetch_all(conn).await?)
}

/// Jobs the API shows as job statuses (optionally only one requester's), or every job in a
/// state (for admins' dead-letter list).
pub async fn list(
    conn: &mut AnyConnection,
    requested_by: Option<i64>,
    state: Option<&str>,
    req: PageRequest,
) -> Result<Page<Job>> {
    let mut w = Sql::new(" WHERE 1 = 1");
    if state.is_none() {
        w.push(" AND public_id IS NOT NULL");
    }
    if let Some(u) = requested_by {
        w.push(" AND requested_by = ").bind(u);
    }
    if let Some(s) = state {
        w.push(" AND state = ").bind(s);
    }
    let select = Sql { text: format!("SELECT {COLUMNS} FROM jobs{}", w.text), args: w.args.clone() };
    let count = matches!(req, PageRequest::Offset { .. })
        .then(|| Sql { text: format!("SELECT COUNT(*) FROM jobs{}", w.text), args: w.args.clone() });
    page(conn, select, "id", count, req).await
}
