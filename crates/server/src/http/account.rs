//! `/api/v2/account/settings` (the account's name, default time zone and default language)
//! and `/api/v2/api_tokens` (an admin's list of API tokens; a new token is shown once).

use axum::extract::{Path, State as AxState};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{delete, get, post};
use serde_json::{Value, json};

use frontdesk_domain::Locale;
use frontdesk_store::{account, tokens};

use super::extract::{Base, JsonBody, path_id};
use super::{Endpoint, created, ep, no_content, ok, require_admin};
use crate::State;
use crate::app::in_tx;
use crate::app::input::{Obj, root};
use crate::auth::Actor;
use crate::clock::iso;
use crate::error::{ApiError, Result};

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

async fn settings(AxState(state): AxState<State>, actor: Actor) -> Result<Response> {
    require_admin(&actor)?;
    let mut conn = state.db.read().await?;
    let interval = frontdesk_store::campaigns::interval_days(&mut conn).await?;
    Ok(ok(settings_json(&account::get(&mut conn).await?, interval)))
}

async fn update(AxState(state): AxState<State>, actor: Actor, JsonBody(body): JsonBody) -> Result<Response> {
    require_admin(&actor)?;
    let o = Obj(root(&body, "settings")?);
    // Given blank (or null), the name is refused; left out, it stays.
    let name = match o.str("name", 255)? {
        crate::app::input::Patch::Set(n) => Some(n.trim().to_string()),
        crate::app::input::Patch::Null => return Err(ApiError::blank("name", "Name")),
        crate::app::input::Patch::Absent => None,
    };
    let time_zone = o.str("time_zone", 64)?.set().map(|z| crate::app::input::time_zone(&z)).transpose()?;
    let locale = o
        .str("locale", 16)?
        .set()
        .map(|l| Locale::parse(&l).map_err(|e| ApiError::refused("locale", "Language", e)))
        .transpose()?;
    let interval = match o.raw("campaign_interval_days") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok())) {
            Some(d) if (0..=365).contains(&d) => Some(d),
            _ => {
                return Err(ApiError::invalid(
                    "campaign_interval_days",
                    "campaign_interval_days: a number of days from 0 to 365",
                )
                .msg("error-interval-days", &[]));
            }
        },
    };
    let now = state.now();
    let (a, interval) = in_tx(&state, async |tx| {
        let mut a = account::get(tx).await?;
        if let Some(n) = name {
            a.name = n.trim().to_string();
        }
        if let Some(z) = time_zone {
            a.time_zone = z.as_str().to_string();
        }
        if let Some(l) = locale {
            a.locale = l.as_str().to_string();
        }
        a.updated_at = now;
        account::update(tx, &a).await?;
        if let Some(d) = interval {
            frontdesk_store::campaigns::set_interval_days(tx, d).await?;
        }
        Ok((a, frontdesk_store::campaigns::interval_days(tx).await?))
    })
    .await?;
    Ok(ok(settings_json(&a, interval)))
}

fn token_json(t: &tokens::ApiToken) -> Value {
    json!({
        "id": t.id, "user_id": t.user_id, "description": t.description,
        "created_at": iso(t.created_at), "last_used_at": t.last_used_at.map(iso),
    })
}

async fn list_tokens(AxState(state): AxState<State>, actor: Actor) -> Result<Response> {
    require_admin(&actor)?;
    let mut conn = state.db.read().await?;
    let list: Vec<Value> = tokens::list(&mut conn, None).await?.iter().map(token_json).collect();
    Ok(ok(json!({"api_tokens": list, "count": list.len(), "next_page": null, "previous_page": null})))
}

async fn show_token(AxState(state): AxState<State>, actor: Actor, Path(id): Path<String>) -> Result<Response> {
    require_admin(&actor)?;
    let id = path_id(&id)?;
    let mut conn = state.db.read().await?;
    let t = tokens::list(&mut conn, None).await?.into_iter().find(|t| t.id == id).ok_or(ApiError::NotFound)?;
    Ok(ok(json!({"api_token": token_json(&t)})))
}

/// A token for the caller, or for `user_id` (staff only: end users have no API access here).
async fn create_token(
    AxState(state): AxState<State>,
    actor: Actor,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let o = Obj(root(&body, "api_token")?);
    let description = o.str("description", 255)?.set();
    let user_id = o.id("user_id")?.set().unwrap_or(actor.id());
    let (token, hash) = crate::auth::new_token();
    let now = state.now();
    let t = in_tx(&state, async |tx| {
        let u = frontdesk_store::users::get(tx, user_id).await?.ok_or_else(|| {
            ApiError::invalid("user_id", format!("user_id: there is no user {user_id}"))
                .msg("error-no-such-user", &[("id", &user_id)])
        })?;
        if !matches!(u.role.as_str(), "agent" | "admin") {
            return Err(ApiError::invalid("user_id", "user_id: only agents and admins can have API tokens")
                .msg("error-token-agents-only", &[]));
        }
        let id = tokens::insert(tx, user_id, &hash, description.as_deref(), now).await?;
        Ok(tokens::ApiToken { id, user_id, description: description.clone(), created_at: now, last_used_at: None })
    })
    .await?;
    let mut body = token_json(&t);
    body["token"] = json!(token);
    Ok(created(json!({"api_token": body}), &base.url(&format!("/api/v2/api_tokens/{}.json", t.id))))
}

async fn revoke_token(AxState(state): AxState<State>, actor: Actor, Path(id): Path<String>) -> Result<Response> {
    require_admin(&actor)?;
    let id = path_id(&id)?;
    let gone = in_tx(&state, async |tx| Ok(tokens::delete(tx, id).await?)).await?;
    if !gone {
        return Err(ApiError::NotFound);
    }
    // Signed-in tokens are remembered for a few seconds: this server forgets them now.
    state.auth_cache.clear();
    Ok(no_content())
}
