//! `/api/v2/custom_statuses`: statuses admins add within the five categories. There is no
//! delete, as in Zendesk: deactivate instead, so tickets keep a status that means something.

use axum::extract::{Path, State as AxState};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{get, post, put};
use serde_json::json;

use frontdesk_domain::Status;
use frontdesk_store::custom_statuses::{self, CustomStatus};

use super::extract::{Base, JsonBody, Params, path_id};
use super::{Endpoint, created, ep, ok, render, require_admin, require_staff};
use crate::State;
use crate::app::in_tx;
use crate::app::input::{Obj, root};
use crate::auth::Actor;
use crate::error::{ApiError, Result};

const T: &str = "custom statuses";

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        ep(Method::GET, "/api/v2/custom_statuses", T, "List custom ticket statuses (?active=true)", get(list)),
        ep(Method::POST, "/api/v2/custom_statuses", T, "Create a custom ticket status", post(create)),
        ep(Method::GET, "/api/v2/custom_statuses/{id}", T, "Show a custom ticket status", get(show)),
        ep(
            Method::PUT,
            "/api/v2/custom_statuses/{id}",
            T,
            "Update (or deactivate) a custom ticket status",
            put(update),
        ),
    ]
}

async fn list(AxState(state): AxState<State>, actor: Actor, base: Base, params: Params) -> Result<Response> {
    require_staff(&actor)?;
    let mut conn = state.db.read().await?;
    let active_only = params.get("active") == Some("true");
    let list = custom_statuses::list(&mut conn, active_only).await?;
    Ok(ok(json!({"custom_statuses": list.iter().map(|s| render::custom_status(&base, s)).collect::<Vec<_>>()})))
}

async fn show(AxState(state): AxState<State>, actor: Actor, base: Base, Path(id): Path<String>) -> Result<Response> {
    require_staff(&actor)?;
    let mut conn = state.db.read().await?;
    let s = custom_statuses::get(&mut conn, path_id(&id)?).await?.ok_or(ApiError::NotFound)?;
    Ok(ok(json!({"custom_status": render::custom_status(&base, &s)})))
}

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

async fn create(
    AxState(state): AxState<State>,
    actor: Actor,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let o = Obj(root(&body, "custom_status")?);
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
    s.id = in_tx(&state, async |tx| Ok(custom_statuses::insert(tx, &s).await?)).await?;
    Ok(created(
        json!({"custom_status": render::custom_status(&base, &s)}),
        &base.url(&format!("/api/v2/custom_statuses/{}.json", s.id)),
    ))
}

async fn update(
    AxState(state): AxState<State>,
    actor: Actor,
    base: Base,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let id = path_id(&id)?;
    let o = Obj(root(&body, "custom_status")?);
    if o.has("status_category") {
        return Err(ApiError::invalid(
            "status_category",
            "status_category: a custom status cannot move to another category",
        )
        .msg("error-status-category-fixed", &[]));
    }
    let now = state.now();
    let s = in_tx(&state, async |tx| {
        let mut s = custom_statuses::get(tx, id).await?.ok_or(ApiError::NotFound)?;
        apply(&o, &mut s, false)?;
        s.updated_at = now;
        custom_statuses::update(tx, &s).await?;
        Ok(s)
    })
    .await?;
    Ok(ok(json!({"custom_status": render::custom_status(&base, &s)})))
}
