//! Support addresses and the record of every inbound message.

use sqlx::AnyConnection;

use crate::Result;

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct RecipientAddress {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub brand_name: Option<String>,
    pub group_id: Option<i64>,
    pub is_default: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const ADDRESS_COLUMNS: &str = "id, email, name, brand_name, group_id, is_default, created_at, updated_at";

pub async fn addresses(conn: &mut AnyConnection) -> Result<Vec<RecipientAddress>> {
    Ok(sqlx::query_as(&format!("SELECT {ADDRESS_COLUMNS} FROM recipient_addresses ORDER BY id"))
        .fetch_all(conn)
        .await?)
}

pub async fn address(conn: &mut AnyConnection, id: i64) -> Result<Option<RecipientAddress>> {
    Ok(sqlx::query_as(&format!("SELECT {ADDRESS_COLUMNS} FROM recipient_addresses WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

pub async fn insert_address(conn: &mut AnyConnection, a: &RecipientAddress) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO recipient_addresses (email, name, brand_name, group_id, is_default, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(&a.email)
    .bind(&a.name)
    .bind(&a.brand_name)
    .bind(a.group_id)
    .bind(a.is_default)
    .bind(a.created_at)
    .bind(a.updated_at)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn update_address(conn: &mut AnyConnection, a: &RecipientAddress) -> Result<()> {
    sqlx::query(
        "UPDATE recipient_addresses SET email = $2, name = $3, brand_name = $4, group_id = $5, is_default = $6, \
         updated_at = $7 WHERE id = $1",
    )
    .bind(a.id)
    .bind(&a.email)
    .bind(&a.name)
    .bind(&a.brand_name)
    .bind(a.group_id)
    .bind(a.is_default)
    .bind(a.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Makes one address the default (the others stop being it).
pub async fn make_default(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("UPDATE recipient_addresses SET is_default = CASE WHEN id = $1 THEN 1 ELSE 0 END")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete_address(conn: &mut AnyConnection, id: i64) -> Result<bool> {
    let r = sqlx::query("DELETE FROM recipient_addresses WHERE id = $1").bind(id).execute(conn).await?;
    Ok(r.rows_affected() == 1)
}

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Inbound {
    pub id: i64,
    pub message_id: Option<String>,
    pub sender: Option<String>,
    pub recipient: Option<String>,
    pub subject: Option<String>,
    /// `created` (a new ticket), `threaded` (a comment on one), `ignored`, `held` (its sender
    /// could not be believed and it named no ticket), `rejected`, or `failed` (it could not be
    /// taken in: kept, and tried again by a job).
    pub outcome: String,
    /// Why, in words: "threaded by References", "new ticket: sender not a participant"…
    pub reason: String,
    pub ticket_id: Option<i64>,
    pub thread_key: Option<String>,
    pub size: i64,
    pub created_at: i64,
    /// The sender checks' verdict as JSON (`spf`, `dkim`, `dmarc`, `policy`, `aligned`).
    pub authentication: Option<String>,
}

const INBOUND_COLUMNS: &str = "id, message_id, sender, recipient, subject, outcome, reason, ticket_id, thread_key, size, created_at, authentication";

/// Records a message; `None` when its Message-ID was already recorded (the same message
/// again, say through a second support address).
pub async fn record(conn: &mut AnyConnection, m: &Inbound, raw: &[u8]) -> Result<Option<i64>> {
    let r: std::result::Result<(i64,), sqlx::Error> = sqlx::query_as(
        "INSERT INTO inbound_messages (message_id, sender, recipient, subject, outcome, reason, ticket_id, thread_key, \
         size, raw, created_at, authentication) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(&m.message_id)
    .bind(&m.sender)
    .bind(&m.recipient)
    .bind(&m.subject)
    .bind(&m.outcome)
    .bind(&m.reason)
    .bind(m.ticket_id)
    .bind(&m.thread_key)
    .bind(m.size)
    .bind(raw.to_vec())
    .bind(m.created_at)
    .bind(&m.authentication)
    .fetch_one(conn)
    .await;
    match r {
        Ok((id,)) => Ok(Some(id)),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// How many tickets mail from `sender` made since `since`.
pub async fn tickets_made_by(conn: &mut AnyConnection, sender: &str, since: i64) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM inbound_messages WHERE sender = $1 AND outcome = 'created' AND created_at >= $2",
    )
    .bind(sender)
    .bind(since)
    .fetch_one(conn)
    .await?;
    Ok(n)
}

pub async fn by_message_id(conn: &mut AnyConnection, message_id: &str) -> Result<Option<Inbound>> {
    Ok(sqlx::query_as(&format!("SELECT {INBOUND_COLUMNS} FROM inbound_messages WHERE message_id = $1"))
        .bind(message_id)
        .fetch_optional(conn)
        .await?)
}

/// The ticket an earlier message with one of these ids went to.
pub async fn ticket_of_message_ids(conn: &mut AnyConnection, ids: &[String]) -> Result<Option<(i64, String)>> {
    for id in ids {
        let row: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT ticket_id FROM inbound_messages WHERE message_id = $1 AND ticket_id IS NOT NULL")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
        if let Some((Some(t),)) = row {
            return Ok(Some((t, id.clone())));
        }
    }
    Ok(None)
}

/// The ticket an earlier message of the same Outlook conversation went to.
pub async fn ticket_of_thread(conn: &mut AnyConnection, key: &str) -> Result<Option<i64>> {
    let row: Option<(Option<i64>,)> = sqlx::query_as(
        "SELECT ticket_id FROM inbound_messages WHERE thread_key = $1 AND ticket_id IS NOT NULL ORDER BY id LIMIT 1",
    )
    .bind(key)
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(|r| r.0))
}

pub async fn list(conn: &mut AnyConnection, limit: i64) -> Result<Vec<Inbound>> {
    Ok(sqlx::query_as(&format!("SELECT {INBOUND_COLUMNS} FROM inbound_messages ORDER BY id DESC LIMIT $1"))
        .bind(limit)
        .fetch_all(conn)
        .await?)
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Inbound>> {
    Ok(sqlx::query_as(&format!("SELECT {INBOUND_COLUMNS} FROM inbound_messages WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// Removes a message's record (a kept message about to be taken in again, which records it
/// afresh).
pub async fn forget(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM inbound_messages WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}

pub async fn raw(conn: &mut AnyConnection, id: i64) -> Result<Option<Vec<u8>>> {
    let row: Option<(Option<Vec<u8>>,)> =
        sqlx::query_as("SELECT raw FROM inbound_messages WHERE id = $1").bind(id).fetch_optional(conn).await?;
    Ok(row.and_then(|r| r.0))
}

/// The ticket's reply token, made on first use.
pub async fn reply_token(conn: &mut AnyConnection, ticket_id: i64, fresh: &str) -> Result<String> {
    sqlx::query("INSERT INTO ticket_mail_tokens (ticket_id, token) VALUES ($1, $2) ON CONFLICT (ticket_id) DO NOTHING")
        .bind(ticket_id)
        .bind(fresh)
        .execute(&mut *conn)
        .await?;
    Ok(reply_token_of(conn, ticket_id).await?.unwrap_or_default())
}

/// The ticket's reply token, if one was made.
pub async fn reply_token_of(conn: &mut AnyConnection, ticket_id: i64) -> Result<Option<String>> {
    let row: Option<(String,)> = sqlx::query_as("SELECT token FROM ticket_mail_tokens WHERE ticket_id = $1")
        .bind(ticket_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|(t,)| t))
}

/// Whether `token` is the ticket's reply token.
pub async fn token_matches(conn: &mut AnyConnection, ticket_id: i64, token: &str) -> Result<bool> {
    Ok(reply_token_of(conn, ticket_id).await?.is_some_and(|t| t == token))
}

/// The first message id recorded for a ticket (what our replies reference).
pub async fn first_message_id(conn: &mut AnyConnection, ticket_id: i64) -> Result<Option<String>> {
    let row: Option<(Option<String>,)> = sqlx::query_as(
        "SELECT message_id FROM inbound_messages WHERE ticket_id = $1 AND message_id IS NOT NULL ORDER BY id LIMIT 1",
    )
    .bind(ticket_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(|r| r.0))
}

/// Takes one of `address`'s automatic mails for the hour before `now`, unless it already had
/// `per_hour`: the slot's id, to give back if the mail does not go. Taken with the
/// addressee's row locked, so two senders at once cannot both take the last slot.
pub async fn take_automatic_slot(
    conn: &mut AnyConnection,
    user_id: i64,
    address: &str,
    per_hour: i64,
    kind: &str,
    ticket_id: i64,
    now: i64,
) -> Result<Option<i64>> {
    let address = address.to_lowercase();
    crate::users::lock(conn, user_id).await?;
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM mail_log WHERE address = $1 AND created_at > $2")
        .bind(&address)
        .bind(now - 3600)
        .fetch_one(&mut *conn)
        .await?;
    if n >= per_hour {
        return Ok(None);
    }
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO mail_log (address, kind, ticket_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(&address)
    .bind(kind)
    .bind(ticket_id)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(Some(id))
}

/// Gives back a slot taken by [`take_automatic_slot`] for a mail that did not go.
pub async fn give_back_slot(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM mail_log WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}
