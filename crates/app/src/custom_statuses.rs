//! Custom ticket statuses: statuses admins add within the five categories. There is no delete,
//! as in Zendesk: deactivate instead, so tickets keep a status that means something.

use serde_json::{Map, Value};

use frontdesk_domain::Status;
use frontdesk_store::custom_statuses::{self, CustomStatus};

use super::in_tx;
use super::input::Obj;
use crate::AppState;
use crate::error::{ApiError, Result};

/// Applies the body's labels, descriptions and active flag.
fn apply(o: &Obj, s: &mut CustomStatus, is_new: bool) -> Result<()> {
    match o.str("agent_label", 48)?.set() {
        Some(l) => s.agent_label = l.trim().to_string(),
        None if is_new => return Err(ApiError::blank("agent_label", "Agent label")),
        None => {}
    }
    if let Some(l) = o.str("end_user_label", 48)?.set() {
        s.end_user_label = l.trim().to_string();
    } else if is_new {
        s.end_user_label = s.agent_label.clone();
    }
    if let Some(d) = o.str("description", 1024)?.apply(Some(s.description.clone())) {
        s.description = d;
    }
    if let Some(d) = o.str("end_user_description", 1024)?.apply(Some(s.end_user_description.clone())) {
        s.end_user_description = d;
    }
    if let Some(a) = o.bool("active")? {
        if !a && s.is_default != 0 {
            return Err(ApiError::invalid("active", "Active: a category's default status cannot be deactivated")
                .msg("error-default-status-active", &[]));
        }
        s.active = i64::from(a);
    }
    Ok(())
}

/// Adds a custom status from a `custom_status` body (in any category but closed).
pub async fn create(state: &AppState, m: &Map<String, Value>) -> Result<CustomStatus> {
    let o = Obj(m);
    let category =
        o.str("status_category", 16)?.set().ok_or_else(|| ApiError::blank("status_category", "Status category"))?;
    let category = Status::parse(&category).map_err(|e| ApiError::refused("status_category", "", e))?;
    if category == Status::Closed {
        return Err(ApiError::invalid(
            "status_category",
            "status_category: closed is not a category custom statuses can have",
        )
        .msg("error-closed-category", &[]));
    }
    let now = state.now();
    let mut s = CustomStatus {
        status_category: category.as_str().into(),
        active: 1,
        created_at: now,
        updated_at: now,
        ..Default::default()
    };
    apply(&o, &mut s, true)?;
    s.id = in_tx(state, async |tx| Ok(custom_statuses::insert(tx, &s).await?)).await?;
    Ok(s)
}

/// Changes custom status `id` from a `custom_status` body (never its category).
pub async fn update(state: &AppState, id: i64, m: &Map<String, Value>) -> Result<CustomStatus> {
    let o = Obj(m);
    if o.has("status_category") {
        return Err(ApiError::invalid(
            "status_category",
            "status_category: a custom status cannot move to another category",
        )
        .msg("error-status-category-fixed", &[]));
    }
    let now = state.now();
    in_tx(state, async |tx| {
        let mut s = custom_statuses::get(tx, id).await?.ok_or(ApiError::NotFound)?;
        apply(&o, &mut s, false)?;
        s.updated_at = now;
        custom_statuses::update(tx, &s).await?;
        Ok(s)
    })
    .await
}
