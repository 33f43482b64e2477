//! Keeps free-text search documents current, inside the transaction of each write.

use frontdesk_domain::filter::Record;
use frontdesk_domain::search::{FOLD_VERSION, normalize_text};
use frontdesk_store::AnyConnection;
use frontdesk_store::search::{self, Document};
use frontdesk_store::tags::{self, Tagged};
use frontdesk_store::{organizations, users};

use crate::error::Result;

/// Rewrites a user's document: name, emails, phones and other identities, notes, details, tags
/// and organization name.
pub async fn refresh_user(conn: &mut AnyConnection, user_id: i64) -> Result<()> {
    let Some(u) = users::get(conn, user_id).await? else { return Ok(()) };
    let mut parts = vec![u.name.clone()];
    parts.extend(users::identities(conn, &[user_id]).await?.into_iter().map(|i| i.value));
    parts.extend([u.phone.clone(), u.notes.clone(), u.details.clone(), u.external_id.clone()].into_iter().flatten());
    parts.extend(tags::list(conn, Tagged::User, user_id).await?);
    parts.push(super::fields::text_of(conn, Record::User, user_id).await?);
    if let Some(org) = u.organization_id
        && let Some(o) = organizations::get(conn, org).await?
    {
        parts.push(o.name);
        parts.push(super::fields::text_of(conn, Record::Organization, org).await?);
    }
    search::put(conn, &[Document::user(user_id, normalize_text(&parts.join(" \n ")))]).await?;
    Ok(())
}

/// Rewrites an organization's document: name, domains, notes, details and tags.
pub async fn refresh_organization(conn: &mut AnyConnection, org_id: i64) -> Result<()> {
    let Some(o) = organizations::get(conn, org_id).await? else { return Ok(()) };
    let mut parts = vec![o.name.clone()];
    parts.extend(organizations::domains(conn, &[org_id]).await?.remove(&org_id).unwrap_or_default());
    parts.extend([o.notes.clone(), o.details.clone(), o.external_id.clone()].into_iter().flatten());
    parts.extend(tags::list(conn, Tagged::Organization, org_id).await?);
    parts.push(super::fields::text_of(conn, Record::Organization, org_id).await?);
    search::put(conn, &[Document::organization(org_id, normalize_text(&parts.join(" \n ")))]).await?;
    Ok(())
}

/// A ticket's subject document.
pub fn subject(ticket_id: i64, subject: Option<&str>) -> Document {
    Document::ticket_subject(ticket_id, normalize_text(subject.unwrap_or("")))
}

/// A comment's document (its plain text).
pub fn comment(ticket_id: i64, comment_id: i64, plain_body: &str) -> Document {
    Document::comment(ticket_id, comment_id, normalize_text(plain_body))
}

/// A ticket's custom field values as one document.
pub fn ticket_fields(ticket_id: i64, text: &str) -> Document {
    Document::ticket_fields(ticket_id, normalize_text(text))
}

/// Rebuilds every search document when they were written with an older folding than
/// [`FOLD_VERSION`] (say, one that dropped the kana voicing marks), a batch of records per
/// transaction, then records the version. Returns how many records it rebuilt.
pub async fn refold_if_older(db: &frontdesk_store::Db) -> Result<u64> {
    const BATCH: i64 = 500;
    let mut conn = db.read().await?;
    let stored = frontdesk_store::account::counter(&mut conn, FOLD_COUNTER).await?;
    drop(conn);
    if stored.is_some_and(|v| v >= FOLD_VERSION) {
        return Ok(0);
    }
    let mut rebuilt = 0u64;
    for record in [Record::Ticket, Record::User, Record::Organization] {
        let mut after = 0;
        loop {
            let mut tx = db.begin().await?;
            let ids = search::ids_after(&mut tx, record, after, BATCH).await?;
            let Some(&last) = ids.last() else { break };
            match record {
                Record::Ticket => refold_tickets(&mut tx, &ids).await?,
                Record::User => {
                    for &id in &ids {
                        refresh_user(&mut tx, id).await?;
                    }
                }
                Record::Organization => {
                    for &id in &ids {
                        refresh_organization(&mut tx, id).await?;
                    }
                }
            }
            tx.commit().await?;
            rebuilt += ids.len() as u64;
            after = last;
        }
    }
    let mut tx = db.begin().await?;
    frontdesk_store::account::set_counter(&mut tx, FOLD_COUNTER, FOLD_VERSION).await?;
    tx.commit().await?;
    Ok(rebuilt)
}

/// The counter that holds the folding version of the stored documents.
const FOLD_COUNTER: &str = "search_fold";

async fn refold_tickets(conn: &mut AnyConnection, ids: &[i64]) -> Result<()> {
    let defs = frontdesk_store::custom_fields::defs(conn, Record::Ticket).await?;
    let mut values = frontdesk_store::custom_fields::values(conn, Record::Ticket, ids).await?;
    let mut docs = Vec::new();
    for t in frontdesk_store::tickets::get_many(conn, ids).await? {
        docs.push(subject(t.id, t.subject.as_deref()));
        let mine = values.remove(&t.id).unwrap_or_default();
        if !mine.is_empty() {
            docs.push(ticket_fields(t.id, &super::fields::search_text(&defs, &mine)));
        }
    }
    for (ticket_id, comment_id, text) in frontdesk_store::audits::comment_texts(conn, ids).await? {
        docs.push(comment(ticket_id, comment_id, &text));
    }
    search::put(conn, &docs).await?;
    Ok(())
}
