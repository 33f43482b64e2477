//! Files on comments, and uploads waiting for a comment to take them.

use sqlx::AnyConnection;

use crate::Result;
use crate::sql::Sql;

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Attachment {
    pub id: i64,
    pub upload_token: Option<String>,
    pub upload_expires_at: Option<i64>,
    pub ticket_id: Option<i64>,
    pub comment_id: Option<i64>,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub inline: i64,
    pub content_id: Option<String>,
    pub access_token: String,
    pub deleted: i64,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

const COLUMNS: &str = "id, upload_token, upload_expires_at, ticket_id, comment_id, file_name, content_type, size, \
                       inline, content_id, access_token, deleted, created_by, created_at";

/// Bytes one row of a file's content holds: a file is stored and sent a chunk at a time.
pub const CHUNK: usize = 1024 * 1024;

/// Stores a file and its bytes (already in memory: a mail's attachment); its new id.
pub async fn insert(conn: &mut AnyConnection, a: &Attachment, content: &[u8]) -> Result<i64> {
    let id = insert_row(conn, a).await?;
    if content.is_empty() {
        put_chunk(conn, id, 0, &[]).await?;
    }
    for (seq, part) in content.chunks(CHUNK).enumerate() {
        put_chunk(conn, id, seq as i64, part).await?;
    }
    Ok(id)
}

/// Stores a file's row, without its bytes (see [`put_chunk`]); its new id.
pub async fn insert_row(conn: &mut AnyConnection, a: &Attachment) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO attachments (upload_token, upload_expires_at, ticket_id, comment_id, file_name, content_type, \
         size, inline, content_id, access_token, deleted, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $12) RETURNING id",
    )
    .bind(&a.upload_token)
    .bind(a.upload_expires_at)
    .bind(a.ticket_id)
    .bind(a.comment_id)
    .bind(&a.file_name)
    .bind(&a.content_type)
    .bind(a.size)
    .bind(a.inline)
    .bind(&a.content_id)
    .bind(&a.access_token)
    .bind(a.created_by)
    .bind(a.created_at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

/// Stores the `seq`th chunk of a file's bytes (at most [`CHUNK`]).
pub async fn put_chunk(conn: &mut AnyConnection, id: i64, seq: i64, bytes: &[u8]) -> Result<()> {
    sqlx::query("INSERT INTO attachment_chunks (attachment_id, seq, content) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(seq)
        .bind(bytes)
        .execute(conn)
        .await?;
    Ok(())
}

/// The `seq`th chunk of a file's bytes, if there is one.
pub async fn chunk(conn: &mut AnyConnection, id: i64, seq: i64) -> Result<Option<Vec<u8>>> {
    let row: Option<(Vec<u8>,)> =
        sqlx::query_as("SELECT content FROM attachment_chunks WHERE attachment_id = $1 AND seq = $2")
            .bind(id)
            .bind(seq)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|r| r.0))
}

/// How many chunks a file's bytes are in (0: its bytes are gone).
pub async fn chunks(conn: &mut AnyConnection, id: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM attachment_chunks WHERE attachment_id = $1")
        .bind(id)
        .fetch_one(conn)
        .await?;
    Ok(n)
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Attachment>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM attachments WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

pub async fn by_access_token(conn: &mut AnyConnection, token: &str) -> Result<Option<Attachment>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM attachments WHERE access_token = $1"))
        .bind(token)
        .fetch_optional(conn)
        .await?)
}

/// The files of an upload that has not expired and that no comment has taken yet.
/// The bytes a user uploaded since `since` (what counts against their quota).
pub async fn bytes_uploaded_since(conn: &mut AnyConnection, user_id: i64, since: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM attachments WHERE created_by = $1 AND created_at >= $2",
    )
    .bind(user_id)
    .bind(since)
    .fetch_one(conn)
    .await?;
    Ok(n)
}

pub async fn pending(conn: &mut AnyConnection, upload_token: &str, now: i64) -> Result<Vec<Attachment>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM attachments WHERE upload_token = $1 AND comment_id IS NULL \
         AND upload_expires_at > $2 ORDER BY id"
    ))
    .bind(upload_token)
    .bind(now)
    .fetch_all(conn)
    .await?)
}

/// Gives a comment the files of its uploads; how many it took.
pub async fn attach(
    conn: &mut AnyConnection,
    upload_tokens: &[String],
    ticket_id: i64,
    comment_id: i64,
    now: i64,
) -> Result<u64> {
    if upload_tokens.is_empty() {
        return Ok(0);
    }
    let mut q = Sql::new("UPDATE attachments SET ticket_id = ");
    q.bind(ticket_id).push(", comment_id = ").bind(comment_id).push(", upload_token = NULL, upload_expires_at = NULL");
    q.push(" WHERE comment_id IS NULL AND upload_expires_at > ").bind(now).push(" AND upload_token IN ");
    q.bind_list(upload_tokens);
    Ok(q.query().execute(conn).await?.rows_affected())
}

/// The files of these comments, in order.
pub async fn for_comments(conn: &mut AnyConnection, comment_ids: &[i64]) -> Result<Vec<Attachment>> {
    if comment_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(format!("SELECT {COLUMNS} FROM attachments WHERE comment_id IN "));
    q.bind_list(comment_ids).push(" ORDER BY id");
    Ok(q.query_as().fetch_all(conn).await?)
}

/// A file's bytes, whole (for what needs them in memory); `None` when they are gone.
pub async fn content(conn: &mut AnyConnection, id: i64) -> Result<Option<Vec<u8>>> {
    let rows: Vec<(Vec<u8>,)> =
        sqlx::query_as("SELECT content FROM attachment_chunks WHERE attachment_id = $1 ORDER BY seq")
            .bind(id)
            .fetch_all(conn)
            .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(rows.into_iter().flat_map(|r| r.0).collect()))
}

/// Removes an upload's files that no comment took.
pub async fn delete_upload(conn: &mut AnyConnection, upload_token: &str) -> Result<u64> {
    delete_where(conn, ("comment_id IS NULL AND upload_token = ", ""), upload_token.to_string()).await
}

/// Removes uploads that expired before any comment took them.
pub async fn delete_expired(conn: &mut AnyConnection, now: i64) -> Result<u64> {
    delete_where(conn, ("comment_id IS NULL AND upload_expires_at <= ", ""), now).await
}

/// Deletes the rows (and bytes) where `condition.0 <arg> condition.1` holds.
async fn delete_where(
    conn: &mut AnyConnection,
    condition: (&str, &str),
    arg: impl Into<crate::sql::Arg> + Clone,
) -> Result<u64> {
    let mut q = Sql::new("DELETE FROM attachment_chunks WHERE attachment_id IN (SELECT id FROM attachments WHERE ");
    q.push(condition.0).bind(arg.clone()).push(condition.1).push(")");
    q.query().execute(&mut *conn).await?;
    let mut q = Sql::new("DELETE FROM attachments WHERE ");
    q.push(condition.0).bind(arg).push(condition.1);
    Ok(q.query().execute(conn).await?.rows_affected())
}

/// Redacts a file: its bytes are gone, its name says so, its row stays.
pub async fn redact(conn: &mut AnyConnection, id: i64) -> Result<bool> {
    sqlx::query("DELETE FROM attachment_chunks WHERE attachment_id = $1").bind(id).execute(&mut *conn).await?;
    let r = sqlx::query("UPDATE attachments SET deleted = 1, file_name = 'redacted.txt', content_type = 'text/plain', size = 0 WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}
