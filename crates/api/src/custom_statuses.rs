//! `/api/v2/custom_statuses`: statuses admins add within the five categories. There is no
//! delete, as in Zendesk: deactivate instead, so tickets keep a status that means something.

use axum::extract::{Path, State as AxState};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{get, post, put};
use serde_json::json;

use frontdesk_store::custom_statuses;

use super::extract::{Base, JsonBody, Params, SignedIn, path_id};
use super::{Endpoint, created, ep, ok, render, require_admin, require_staff};
use crate::State;
use crate::app::input::root;
use crate::error::ApiError;
use frontdesk_edge::Result;

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

async fn list(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    require_staff(&actor)?;
    let mut conn = state.db.read().await?;
    let active_only = params.get("active") == Some("true");
    let list = custom_statuses::list(&mut conn, active_only).await?;
    Ok(ok(json!({"custom_statuses": list.iter().map(|s| render::custom_status(&base, s)).collect::<Vec<_>>()})))
}

async fn show(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
) -> Result<Response> {
    require_staff(&actor)?;
    let mut conn = state.db.read().await?;
    let s = custom_statuses::get(&mut conn, path_id(&id)?).await?.ok_or(ApiError::NotFound)?;
    Ok(ok(json!({"custom_status": render::custom_status(&base, &s)})))
}

async fn create(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let s = crate::app::custom_statuses::create(&state, root(&body, "custom_status")?).await?;
    Ok(created(
        json!({"custom_status": render::custom_status(&base, &s)}),
        &base.url(&format!("/api/v2/custom_statuses/{}.json", s.id)),
    ))
}

async fn update(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let id = path_id(&id)?;
    let s = crate::app::custom_statuses::update(&state, id, root(&body, "custom_status")?).await?;
    Ok(ok(json!({"custom_status": render::custom_status(&base, &s)})))
}
