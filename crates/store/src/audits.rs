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
    /// The format of `events` ([`crate::stored`]).
    #[sqlx(try_from = "i64")]
    pub format: crate::stored::Format,
}

impl Audit {
    /// The audit's events, or why they cannot be read.
    pub fn events(&self) -> Result<Vec<serde_json::Value>, crate::stored::Unreadable> {
        crate::stored::read(|| format!("events of audit {}", self.id), self.format, &self.events)
    }

    /// The events as the API and the pages show them: one that cannot be read is shown as an
    /// `Unreadable` event that says why (and logged), never as an audit with no events.
    pub fn events_or_problem(&self) -> Vec<serde_json::Value> {
        self.events().unwrap_or_else(|e| {
            tracing::warn!(audit = self.id, error = %e, "an audit's events cannot be read");
            vec![serde_json::json!({"type": "Unreadable", "body": e.to_string()})]
        })
    }
}

impl HasId for Audit {
    fn id(&self) -> i64 {
        self.id
    }
}

pub const AUDIT_COLUMNS: &str =
    "id, ticket_id, author_id, via_channel, via_source, metadata, events, created_at, format";

/// Inserts audits; returns their new ids in the order given.
pub async fn insert_audits(conn: &mut AnyConnection, list: &[Audit]) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(list.len());
    for chunk in list.chunks(200) {
        let mut q = Sql::new(
            "INSERT INTO ticket_audits (ticket_id, author_id, via_channel, via_source, metadata, events, created_at) VALUES ",
        );
        for (i, a) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(").bind(a.ticket_id).push(", ").bind(a.author_id).push(", ").bind(a.via_channel.as_str());
            q.push(", ")
                .bind(a.via_source.clone())
                .push(", ")
                .bind(a.metadata.clone())
                .push(", ")
                .bind(a.events.as_str());
            q.push(", ").bind(a.created_at).push(")");
        }
        // Row order of RETURNING is not promised: match rows back by their position marker.
        q.push(" RETURNING id, ticket_id, created_at, author_id");
        let rows: Vec<(i64, i64, i64, i64)> = q.query_as().fetch_all(&mut *conn).await?;
        ids.extend(match_returning(chunk.iter().map(|a| (a.ticket_id, a.created_at, a.author_id)), rows)?);
    }
    Ok(ids)
}

/// Pairs RETURNING rows `(id, k1, k2, k3)` with the inputs' keys, in input order. Keys may
/// repeat; equal keys take ids in ascending order, which is their insertion order.
fn match_returning(
    keys: impl Iterator<Item = (i64, i64, i64)>,
    mut rows: Vec<(i64, i64, i64, i64)>,
) -> Result<Vec<i64>> {
    rows.sort();
    let mut out = Vec::new();
    for k in keys {
        let pos = rows.iter().position(|r| (r.1, r.2, r.3) == k).ok_or(crate::StoreError::NotFound)?;
        out.push(rows.remove(pos).0);
    }
    Ok(out)
}

pub async fn insert_audit(conn: &mut AnyConnection, a: &Audit) -> Result<i64> {
    Ok(insert_audits(conn, std::slice::from_ref(a)).await?[0])
}

/// Replaces an audit's events (a JSON array): events a write's triggers add to it.
pub async fn set_events(conn: &mut AnyConnection, id: i64, events: &str) -> Result<()> {
    sqlx::query("UPDATE ticket_audits SET events = $2 WHERE id = $1").bind(id).bind(events).execute(conn).await?;
    Ok(())
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

/// Inserts comments; returns their new ids in the order given.
pub async fn insert_comments(conn: &mut AnyConnection, list: &[Comment]) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(list.len());
    for chunk in list.chunks(200) {
        let mut q = Sql::new(
            "INSERT INTO ticket_comments (ticket_id, audit_id, author_id, body, html_body, plain_body, public, via_channel, \
             metadata, created_at) VALUES ",
        );
        for (i, c) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(").bind(c.ticket_id).push(", ").bind(c.audit_id).push(", ").bind(c.author_id);
            q.push(", ")
                .bind(c.body.as_str())
                .push(", ")
                .bind(c.html_body.as_str())
                .push(", ")
                .bind(c.plain_body.as_str());
            q.push(", ").bind(c.public).push(", ").bind(c.via_channel.as_str()).push(", ").bind(c.metadata.clone());
            q.push(", ").bind(c.created_at).push(")");
        }
        q.push(" RETURNING id, audit_id, ticket_id, author_id");
        let rows: Vec<(i64, i64, i64, i64)> = q.query_as().fetch_all(&mut *conn).await?;
        ids.extend(match_returning(chunk.iter().map(|c| (c.audit_id, c.ticket_id, c.author_id)), rows)?);
    }
    Ok(ids)
}

pub async fn insert_comment(conn: &mut AnyConnection, c: &Comment) -> Result<i64> {
    Ok(insert_comments(conn, std::slice::from_ref(c)).await?[0])
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

/// The comments of these tickets (ticket id, comment id, plain text), to rebuild their search
/// documents.
pub async fn comment_texts(conn: &mut AnyConnection, ticket_ids: &[i64]) -> Result<Vec<(i64, i64, String)>> {
    if ticket_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new("SELECT ticket_id, id, plain_body FROM ticket_comments WHERE ticket_id IN ");
    q.bind_list(ticket_ids).push(" ORDER BY id");
    Ok(q.query_as().fetch_all(conn).await?)
}

pub async fn count_comments(conn: &mut AnyConnection, ticket_id: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM ticket_comments WHERE ticket_id = $1")
        .bind(ticket_id)
        .fetch_one(conn)
        .await?;
    Ok(n)
}
