//! Keeps free-text search documents current, inside the transaction of each write.

use frontdesk_domain::filter::Record;
use frontdesk_domain::search::normalize_text;
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
