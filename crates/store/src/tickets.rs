//! Tickets: the row, its collaborators, and the listings the API pages through.

use std::collections::HashMap;

use sqlx::AnyConnection;

use crate::db::dialect;
use crate::sql::{Arg, HasId, Sql, page};
use crate::{Page, PageRequest, Result};

#[derive(Debug, Clone, Default, PartialEq, sqlx::FromRow)]
pub struct Ticket {
    pub id: i64,
    pub external_id: Option<String>,
    pub via_channel: String,
    pub via_source: Option<String>,
    pub ticket_type: Option<String>,
    pub subject: Option<String>,
    pub description: String,
    pub priority: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: frontdesk_domain::Status,
    pub custom_status_id: Option<i64>,
    pub recipient: Option<String>,
    pub requester_id: i64,
    pub submitter_id: i64,
    pub assignee_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub group_id: Option<i64>,
    pub original_group_id: Option<i64>,
    pub brand_id: Option<i64>,
    pub problem_id: Option<i64>,
    pub is_public: i64,
    pub due_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub generated_at: i64,
    pub status_changed_at: i64,
    pub assigned_at: Option<i64>,
    pub solved_at: Option<i64>,
    pub requester_updated_at: Option<i64>,
    pub assignee_updated_at: Option<i64>,
    pub deleted_at: Option<i64>,
    pub deleted_by: Option<i64>,
    /// Where the ticket's last change sits in commit order (selected only by exports).
    #[sqlx(default)]
    pub change_seq: i64,
}

impl HasId for Ticket {
    fn id(&self) -> i64 {
        self.id
    }
}

pub const COLUMNS: &str = "id, external_id, via_channel, via_source, ticket_type, subject, description, priority, status, \
     recipient, requester_id, submitter_id, assignee_id, organization_id, group_id, original_group_id, brand_id, \
     problem_id, is_public, due_at, created_at, updated_at, generated_at, status_changed_at, assigned_at, solved_at, \
     requester_updated_at, assignee_updated_at, deleted_at, deleted_by, custom_status_id";

fn args(t: &Ticket) -> [Arg; 31] {
    [
        t.id.into(),
        t.external_id.clone().into(),
        t.via_channel.clone().into(),
        t.via_source.clone().into(),
        t.ticket_type.clone().into(),
        t.subject.clone().into(),
        t.description.clone().into(),
        t.priority.clone().into(),
        t.status.as_str().into(),
        t.recipient.clone().into(),
        t.requester_id.into(),
        t.submitter_id.into(),
        t.assignee_id.into(),
        t.organization_id.into(),
        t.group_id.into(),
        t.original_group_id.into(),
        t.brand_id.into(),
        t.problem_id.into(),
        t.is_public.into(),
        t.due_at.into(),
        t.created_at.into(),
        t.updated_at.into(),
        t.generated_at.into(),
        t.status_changed_at.into(),
        t.assigned_at.into(),
        t.solved_at.into(),
        t.requester_updated_at.into(),
        t.assignee_updated_at.into(),
        t.deleted_at.into(),
        t.deleted_by.into(),
        t.custom_status_id.into(),
    ]
}

/// Gives new tickets their ids (consecutive, from the 'tickets' counter) and change sequence
/// numbers (the changes counter first, as always), before they are written.
pub async fn number(conn: &mut AnyConnection, list: &mut [Ticket]) -> Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    let n = list.len() as i64;
    let seq = crate::account::next_changes(conn, n).await?;
    let first = crate::account::next_values(conn, "tickets", n).await?;
    for (i, t) in list.iter_mut().enumerate() {
        t.id = first + i as i64;
        t.change_seq = seq + i as i64;
    }
    Ok(())
}

/// Writes tickets numbered by [`number`], in as few statements as the databases' parameter
/// limits allow.
pub async fn insert_numbered(conn: &mut AnyConnection, list: &[Ticket]) -> Result<()> {
    for chunk in list.chunks(100) {
        let mut q = Sql::new(format!("INSERT INTO tickets ({COLUMNS}, change_seq) VALUES "));
        for (i, t) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(");
            for (j, a) in args(t).into_iter().enumerate() {
                if j > 0 {
                    q.push(", ");
                }
                q.bind(a);
            }
            q.push(", ").bind(t.change_seq).push(")");
        }
        q.query().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Writes every mutable column of the ticket, and gives it the next change sequence number.
pub async fn update(conn: &mut AnyConnection, t: &Ticket) -> Result<()> {
    let seq = crate::account::next_changes(conn, 1).await?;
    sqlx::query(
        "UPDATE tickets SET external_id = $2, ticket_type = $3, subject = $4, priority = $5, status = $6, recipient = $7, \
         requester_id = $8, submitter_id = $9, assignee_id = $10, organization_id = $11, group_id = $12, brand_id = $13, \
         problem_id = $14, is_public = $15, due_at = $16, updated_at = $17, generated_at = $18, status_changed_at = $19, \
         assigned_at = $20, solved_at = $21, requester_updated_at = $22, assignee_updated_at = $23, deleted_at = $24, \
         deleted_by = $25, custom_status_id = $26, change_seq = $27 WHERE id = $1",
    )
    .bind(t.id)
    .bind(&t.external_id)
    .bind(&t.ticket_type)
    .bind(&t.subject)
    .bind(&t.priority)
    .bind(t.status.as_str())
    .bind(&t.recipient)
    .bind(t.requester_id)
    .bind(t.submitter_id)
    .bind(t.assignee_id)
    .bind(t.organization_id)
    .bind(t.group_id)
    .bind(t.brand_id)
    .bind(t.problem_id)
    .bind(t.is_public)
    .bind(t.due_at)
    .bind(t.updated_at)
    .bind(t.generated_at)
    .bind(t.status_changed_at)
    .bind(t.assigned_at)
    .bind(t.solved_at)
    .bind(t.requester_updated_at)
    .bind(t.assignee_updated_at)
    .bind(t.deleted_at)
    .bind(t.deleted_by)
    .bind(t.custom_status_id)
    .bind(seq)
    .execute(conn)
    .await?;
    Ok(())
}

/// The highest ticket id (0 when there are none): the size of the table, cheaply.
pub async fn max_id(conn: &mut AnyConnection) -> Result<i64> {
    let (v,): (Option<i64>,) = sqlx::query_as("SELECT MAX(id) FROM tickets").fetch_one(conn).await?;
    Ok(v.unwrap_or(0))
}

/// A ticket (deleted ones included: the caller decides what a deleted ticket means).
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Ticket>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM tickets WHERE id = $1")).bind(id).fetch_optional(conn).await?)
}

/// A ticket read inside a write transaction, locked until it ends.
pub async fn get_for_update(conn: &mut AnyConnection, id: i64) -> Result<Option<Ticket>> {
    let lock = dialect(conn).for_update();
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM tickets WHERE id = $1{lock}"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

pub async fn get_many(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Ticket>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(format!("SELECT {COLUMNS} FROM tickets WHERE deleted_at IS NULL AND id IN "));
    q.bind_list(ids).push(" ORDER BY id");
    Ok(q.query_as().fetch_all(conn).await?)
}

/// Which tickets a listing may show.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub deleted: bool,
    pub requester_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub collaborator_id: Option<i64>,
    pub external_id: Option<String>,
    /// An end user's view: their own requests, plus their organizations' where shared.
    pub visible_to_end_user: Option<(i64, Vec<i64>)>,
}

impl TicketFilter {
    fn where_clause(&self) -> Sql {
        let mut w = Sql::new(if self.deleted { " WHERE deleted_at IS NOT NULL" } else { " WHERE deleted_at IS NULL" });
        if let Some(v) = self.requester_id {
            w.push(" AND requester_id = ").bind(v);
        }
        if let Some(v) = self.assignee_id {
            w.push(" AND assignee_id = ").bind(v);
        }
        if let Some(v) = self.organization_id {
            w.push(" AND organization_id = ").bind(v);
        }
        if let Some(v) = self.collaborator_id {
            w.push(" AND id IN (SELECT ticket_id FROM ticket_collaborators WHERE user_id = ").bind(v).push(")");
        }
        if let Some(v) = &self.external_id {
            w.push(" AND external_id = ").bind(v.as_str());
        }
        if let Some((me, orgs)) = &self.visible_to_end_user {
            w.push(" AND (requester_id = ").bind(*me);
            if !orgs.is_empty() {
                w.push(" OR organization_id IN ").bind_list(orgs);
            }
            w.push(")");
        }
        w
    }
}

pub async fn list(conn: &mut AnyConnection, f: &TicketFilter, req: PageRequest) -> Result<Page<Ticket>> {
    let w = f.where_clause();
    let select = Sql { text: format!("SELECT {COLUMNS} FROM tickets{}", w.text), args: w.args.clone() };
    let count = matches!(req, PageRequest::Offset { .. })
        .then(|| Sql { text: format!("SELECT COUNT(*) FROM tickets{}", w.text), args: w.args.clone() });
    page(conn, select, "id", count, req).await
}

/// Removes a ticket and everything that hangs off it, for good.
pub async fn purge(conn: &mut AnyConnection, id: i64) -> Result<()> {
    let comments: Vec<(i64,)> =
        sqlx::query_as("SELECT id FROM ticket_comments WHERE ticket_id = $1").bind(id).fetch_all(&mut *conn).await?;
    let mut rowids: Vec<i64> =
        comments.iter().map(|(c,)| crate::search::Document::comment(id, *c, String::new()).rowid).collect();
    rowids.push(crate::search::Document::ticket_subject(id, String::new()).rowid);
    crate::search::delete(conn, &rowids).await?;
    for table in ["ticket_comments", "ticket_audits", "ticket_tags", "ticket_collaborators"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE ticket_id = $1")).bind(id).execute(&mut *conn).await?;
    }
    sqlx::query("DELETE FROM tickets WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}

// ---- collaborators (CCs, followers) ----

/// `(ticket_id, user_id, kind)` rows for the given tickets.
pub async fn collaborators(conn: &mut AnyConnection, ticket_ids: &[i64]) -> Result<HashMap<i64, Vec<(i64, String)>>> {
    let mut out: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    if ticket_ids.is_empty() {
        return Ok(out);
    }
    let mut q = Sql::new("SELECT ticket_id, user_id, kind FROM ticket_collaborators WHERE ticket_id IN ");
    q.bind_list(ticket_ids).push(" ORDER BY user_id");
    let rows: Vec<(i64, i64, String)> = q.query_as().fetch_all(conn).await?;
    for (t, u, k) in rows {
        out.entry(t).or_default().push((u, k));
    }
    Ok(out)
}

/// Makes the ticket's collaborators of one kind exactly `user_ids`.
pub async fn set_collaborators(conn: &mut AnyConnection, ticket_id: i64, kind: &str, user_ids: &[i64]) -> Result<()> {
    sqlx::query("DELETE FROM ticket_collaborators WHERE ticket_id = $1 AND kind = $2")
        .bind(ticket_id)
        .bind(kind)
        .execute(&mut *conn)
        .await?;
    for u in user_ids {
        sqlx::query(
            "INSERT INTO ticket_collaborators (ticket_id, user_id, kind) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(ticket_id)
        .bind(u)
        .bind(kind)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A ticket's place in commit order: any write to it moves this (forms use it to tell a ticket
/// changed since they were shown).
pub async fn change_seq(conn: &mut AnyConnection, id: i64) -> Result<Option<i64>> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT change_seq FROM tickets WHERE id = $1").bind(id).fetch_optional(conn).await?;
    Ok(row.map(|r| r.0))
}
