//! Audits (one per change to a ticket, its events as JSON) and the comments they carry.

use sqlx::AnyConnection;

use crate::sql::{HasId, Sql, page};
use crate::{Page, PageRequest, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Audit {
    pub id: i64,
    pub ticket_id: i64,
    pub author_id: i64,
    pub via_channel: String,
    pub via_source: Option<String>,
    pub metadata: Option<String>,
    /// A JSON array of events.
    pub events: String,
    pub created_at: i64,
}

impl HasId for Audit {
    fn id(&self) -> i64 {
        self.id
    }
}

const AUDIT_COLUMNS: &str = "id, ticket_id, author_id, via_channel, via_source, metadata, events, created_at";

pub async fn insert_audit(conn: &mut AnyConnection, a: &Audit) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO ticket_audits (ticket_id, author_id, via_channel, via_source, metadata, events, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(a.ticket_id)
    .bind(a.author_id)
    .bind(&a.via_channel)
    .bind(&a.via_source)
    .bind(&a.metadata)
    .bind(&a.events)
    .bind(a.created_at)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Audits of one ticket, or of every ticket when `ticket_id` is `None`.
pub async fn list_audits(conn: &mut AnyConnection, ticket_id: Option<i64>, req: PageRequest) -> Result<Page<Audit>> {
    let mut w = Sql::new(" WHERE 1 = 1");
    if let Some(t) = ticket_id {
        w.push(" AND ticket_id = ").bind(t);
    }
    let select = Sql { text: format!("SELECT {AUDIT_COLUMNS} FROM ticket_audits{}", w.text), args: w.args.clone() };
    let count = matches!(req, PageRequest::Offset { .. })
        .then(|| Sql { text: format!("SELECT COUNT(*) FROM ticket_audits{}", w.text), args: w.args.clone() });
    page(conn, select, "id", count, req).await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Comment {
    pub id: i64,
    pub ticket_id: i64,
    pub audit_id: i64,
    pub author_id: i64,
    pub body: String,
    pub html_body: String,
    pub plain_body: String,
    pub public: i64,
    pub via_channel: String,
    pub metadata: Option<String>,
    pub created_at: i64,
}

impl HasId for Comment {
    fn id(&self) -> i64 {
        self.id
    }
}

const COMMENT_COLUMNS: &str =
    "id, ticket_id, audit_id, author_id, body, html_body, plain_body, public, via_channel, metadata, created_at";

pub async fn insert_comment(conn: &mut AnyConnection, c: &Comment) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO ticket_comments (ticket_id, audit_id, author_id, body, html_body, plain_body, public, via_channel, \
         metadata, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(c.ticket_id)
    .bind(c.audit_id)
    .bind(c.author_id)
    .bind(&c.body)
    .bind(&c.html_body)
    .bind(&c.plain_body)
    .bind(c.public)
    .bind(&c.via_channel)
    .bind(&c.metadata)
    .bind(c.created_at)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Comments of a ticket; `public_only` hides internal notes (for end users).
pub async fn list_comments(
    conn: &mut AnyConnection,
    ticket_id: i64,
    public_only: bool,
    req: PageRequest,
) -> Result<Page<Comment>> {
    let mut w = Sql::new(" WHERE ticket_id = ");
    w.bind(ticket_id);
    if public_only {
        w.push(" AND public = 1");
    }
    let select = Sql { text: format!("SELECT {COMMENT_COLUMNS} FROM ticket_comments{}", w.text), args: w.args.clone() };
    let count = matches!(req, PageRequest::Offset { .. })
        .then(|| Sql { text: format!("SELECT COUNT(*) FROM ticket_comments{}", w.text), args: w.args.clone() });
    page(conn, select, "id", count, req).await
}

/// The comments carried by these audits, to fill their Comment events.
pub async fn comments_of_audits(conn: &mut AnyConnection, audit_ids: &[i64]) -> Result<Vec<Comment>> {
    if audit_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(format!("SELECT {COMMENT_COLUMNS} FROM ticket_comments WHERE audit_id IN "));
    q.bind_list(audit_ids).push(" ORDER BY id");
    Ok(q.query_as().fetch_all(conn).await?)
}

pub async fn count_comments(conn: &mut AnyConnection, ticket_id: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM ticket_comments WHERE ticket_id = $1")
        .bind(ticket_id)
        .fetch_one(conn)
        .await?;
    Ok(n)
}
