//! Bulk updates of tickets from the workspace: the change checked once, as a ticket update
//! checks it, and the tickets fixed, before the job that applies it starts.

use serde_json::{Map, Value, json};

use frontdesk_domain::JobKind;
use frontdesk_domain::filter::Record;
use frontdesk_store::jobs::Job;

use super::tickets::TicketInput;
use crate::AppState;
use crate::auth::Actor;
use crate::error::{ApiError, Result};

/// Which tickets a bulk update is for.
pub enum Selection {
    /// These tickets (the selected rows, or the page's rows).
    Ids(Vec<i64>),
    /// Every ticket a view the agent may see matches now.
    View(i64),
    /// Every ticket a search matches now.
    Query(String),
}

fn refused(field: &str, key: &'static str, words: &str) -> ApiError {
    ApiError::invalid_msg(field, "InvalidValue", words, key, &[])
}

/// Starts a bulk update: `change` (a ticket update's JSON) and/or macro `macro_id` on the
/// selected tickets. Everything that would refuse every ticket is refused now, so no job starts
/// only to fail: a change that does not parse, a person or group that does not exist, an
/// inactive status, a custom field value its field refuses, nothing to do, nothing selected.
/// The tickets are fixed now: what the agent saw counted is what the job changes.
pub async fn start_update(
    state: &AppState,
    actor: &Actor,
    change: Map<String, Value>,
    macro_id: Option<i64>,
    selection: Selection,
) -> Result<Job> {
    let input = TicketInput::parse(&change)?;
    let mut conn = state.db.read().await?;
    let defs = frontdesk_store::custom_fields::defs(&mut conn, Record::Ticket).await?;
    if let Some(a) = change.get("assignee_id").and_then(Value::as_i64) {
        super::tickets::existing_staff(&mut conn, a, "assignee_id").await?;
    }
    if let Some(g) = change.get("group_id").and_then(Value::as_i64) {
        super::tickets::existing_group(&mut conn, g).await?;
    }
    if let Some(id) = change.get("custom_status_id").and_then(Value::as_i64)
        && frontdesk_store::custom_statuses::get(&mut conn, id).await?.is_none_or(|c| c.active != 1)
    {
        return Err(refused("status", "bulk-bad-status", "status: not an active status"));
    }
    if let Some(raw) = &input.custom_fields {
        super::fields::check(Record::Ticket, &defs, raw)?;
    }
    if change.is_empty() && macro_id.is_none() {
        return Err(refused("base", "bulk-nothing", "Choose a change, a macro or a note to apply"));
    }
    let ids = match selection {
        Selection::Ids(ids) => ids,
        Selection::View(id) => {
            let view = super::views::find(&mut conn, actor, id).await?;
            let f = super::views::compile(&super::views::conditions_of(&view)?, state.now(), actor.id(), &defs)?;
            frontdesk_store::search::ticket_ids(&mut conn, &f).await?
        }
        Selection::Query(query) => {
            let asker = super::query::Asker { now: state.now(), me: actor.id() };
            let (filters, _) = super::query::resolve(&mut conn, &query, Some(Record::Ticket), asker).await?;
            match filters.into_iter().next() {
                Some((_, f)) => frontdesk_store::search::ticket_ids(&mut conn, &f).await?,
                None => Vec::new(),
            }
        }
    };
    drop(conn);
    if ids.is_empty() {
        return Err(refused("base", "bulk-nothing-selected", "Select the tickets to change"));
    }
    let total = ids.len() as i64;
    let payload = json!({"ticket": change, "macro_id": macro_id, "ids": ids});
    super::jobs::enqueue_bulk(state, actor, JobKind::BulkUpdate, payload, total).await
}
