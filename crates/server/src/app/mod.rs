//! Use cases: the only code that opens write transactions. Each one persists a change,
//! records its audit and enqueues its jobs in one transaction.

pub mod attachments;
pub mod campaigns;
pub mod email;
pub mod fields;
pub mod groups;
pub mod input;
pub mod organizations;
pub mod rules;
pub mod search_index;
pub mod tickets;
pub mod users;
pub mod views;

use serde_json::{Value, json};

/// How a change reached us (`zendesk-api.md` §6.6).
#[derive(Debug, Clone)]
pub struct Via {
    pub channel: &'static str,
    pub source: Value,
}

impl Via {
    pub fn api() -> Self {
        Via { channel: "api", source: json!({"from": {}, "to": {}, "rel": null}) }
    }

    pub fn web() -> Self {
        Via { channel: "web", source: json!({"from": {}, "to": {}, "rel": null}) }
    }

    /// A proactive campaign's ticket.
    pub fn campaign() -> Self {
        Via { channel: "campaign", source: json!({"from": {}, "to": {}, "rel": "campaign"}) }
    }

    pub fn source_json(&self) -> String {
        self.source.to_string()
    }
}

use frontdesk_store::AnyConnection;

use crate::AppState;
use crate::error::{ApiError, Result};

/// Runs `f` in one write transaction: committed if it returns Ok, rolled back otherwise.
pub async fn in_tx<T>(state: &AppState, f: impl AsyncFnOnce(&mut AnyConnection) -> Result<T>) -> Result<T> {
    let mut tx = state.db.begin().await?;
    let out = f(&mut tx).await?;
    tx.commit().await.map_err(|e| ApiError::Internal(format!("commit failed: {e}")))?;
    Ok(out)
}

/// What a new helpdesk starts with, made with its first admin, in their language: the usual
/// queues and the default notification triggers.
pub async fn first_run_defaults(
    conn: &mut AnyConnection,
    admin: i64,
    locale: frontdesk_domain::Locale,
    now: i64,
) -> Result<()> {
    let titles = ["view-mine", "view-unassigned", "view-unsolved", "view-pending", "view-solved"]
        .map(|k| crate::ui::i18n::tr(locale, k, &[]));
    views::create_defaults(conn, titles, admin, now).await?;
    rules::create_default_triggers(conn, locale, admin, now).await
}
