//! `/api/v2/account/settings` (the account's name, default time zone and default language)
//! and `/api/v2/api_tokens` (an admin's list of API tokens; a new token is shown once).

use axum::extract::{Path, State as AxState};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{delete, get, post};
use serde_json::{Value, json};

use frontdesk_store::{account, tokens};

use super::extract::{Base, JsonBody, SignedIn, path_id};
use super::{Endpoint, created, ep, no_content, ok, require_admin};
use crate::State;
use crate::app::input::{Obj, root};
use crate::clock::iso;
use crate::error::ApiError;
use frontdesk_edge::Result;

const T: &str = "account";

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        ep(Method::GET, "/api/v2/account/settings", T, "The account's settings", get(settings)),
        ep(Method::PUT, "/api/v2/account/settings", T, "Change the account's settings", axum::routing::put(update)),
        ep(Method::GET, "/api/v2/api_tokens", T, "List API tokens", get(list_tokens)),
        ep(Method::POST, "/api/v2/api_tokens", T, "Create an API token (its value is shown once)", post(create_token)),
        ep(Method::GET, "/api/v2/api_tokens/{id}", T, "Show an API token (never its value)", get(show_token)),
        ep(Method::DELETE, "/api/v2/api_tokens/{id}", T, "Revoke an API token", delete(revoke_token)),
    ]
}

fn settings_json(a: &account::Account, interval: i64) -> Value {
    json!({"settings": {"name": a.name, "time_zone": a.time_zone, "locale": a.locale,
        "campaign_interval_days": interval, "updated_at": iso(a.updated_at)}})
}

async fn settings(AxState(state): AxState<State>, SignedIn(actor): SignedIn) -> Result<Response> {
    require_admin(&actor)?;
    let mut conn = state.db.read().await?;
    let interval = frontdesk_store::campaigns::interval_days(&mut conn).await?;
    Ok(ok(settings_json(&account::get(&mut conn).await?, interval)))
}

async fn update(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let (a, interval) = crate::app::account::update_settings(&state, root(&body, "settings")?).await?;
    Ok(ok(settings_json(&a, interval)))
}

fn token_json(t: &tokens::ApiToken) -> Value {
    json!({
        "id": t.id, "user_id": t.user_id, "description": t.description,
        "created_at": iso(t.created_at), "last_used_at": t.last_used_at.map(iso),
    })
}

async fn list_tokens(AxState(state): AxState<State>, SignedIn(actor): SignedIn) -> Result<Response> {
    require_admin(&actor)?;
    let mut conn = state.db.read().await?;
    let list: Vec<Value> = tokens::list(&mut conn, None).await?.iter().map(token_json).collect();
    Ok(ok(json!({"api_tokens": list, "count": list.len(), "next_page": null, "previous_page": null})))
}

async fn show_token(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
) -> Result<Response> {
    require_admin(&actor)?;
    let id = path_id(&id)?;
    let mut conn = state.db.read().await?;
    let t = tokens::list(&mut conn, None).await?.into_iter().find(|t| t.id == id).ok_or(ApiError::NotFound)?;
    Ok(ok(json!({"api_token": token_json(&t)})))
}

/// A token for the caller, or for `user_id` (staff only: end users have no API access here).
async fn create_token(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let o = Obj(root(&body, "api_token")?);
    let description = o.str("description", 255)?.set();
    let user_id = o.id("user_id")?.set().unwrap_or(actor.id());
    let (t, token) = crate::app::account::create_token(&state, user_id, description).await?;
    let mut body = token_json(&t);
    body["token"] = json!(token);
    Ok(created(json!({"api_token": body}), &base.url(&format!("/api/v2/api_tokens/{}.json", t.id))))
}

async fn revoke_token(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
) -> Result<Response> {
    require_admin(&actor)?;
    let id = path_id(&id)?;
    crate::app::account::revoke_token(&state, id).await?;
    Ok(no_content())
}
