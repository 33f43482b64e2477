//! Webhooks rules call (`notification_webhook`): URL, method, format, status, and the secret
//! their requests are signed with.

use axum::extract::{Path, State as AxState};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{delete, get, post, put};
use rand::Rng;
use serde_json::{Value, json};

use frontdesk_store::rules::{self as store, Webhook};

use super::extract::{Base, JsonBody, path_id};
use super::{Endpoint, created, ep, no_content, ok, require_admin};
use crate::State;
use crate::app::in_tx;
use crate::app::input::{Obj, root};
use crate::auth::Actor;
use crate::clock::iso;
use crate::error::{ApiError, Result};

const T: &str = "webhooks";

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        ep(Method::GET, "/api/v2/webhooks", T, "List webhooks", get(list)),
        ep(Method::POST, "/api/v2/webhooks", T, "Create a webhook", post(create)),
        ep(Method::GET, "/api/v2/webhooks/{id}", T, "Show a webhook", get(show)),
        ep(Method::PUT, "/api/v2/webhooks/{id}", T, "Update a webhook", put(update)),
        ep(Method::PATCH, "/api/v2/webhooks/{id}", T, "Update a webhook", axum::routing::patch(update)),
        ep(Method::DELETE, "/api/v2/webhooks/{id}", T, "Delete a webhook", delete(destroy)),
        ep(Method::GET, "/api/v2/webhooks/{id}/signing_secret", T, "The webhook's signing secret", get(secret)),
    ]
}

fn webhook_json(base: &Base, w: &Webhook) -> Value {
    json!({
        "id": w.id.to_string(),
        "url": base.url(&format!("/api/v2/webhooks/{}", w.id)),
        "name": w.name,
        "status": w.status,
        "endpoint": w.endpoint,
        "http_method": w.http_method,
        "request_format": w.request_format,
        "subscriptions": ["conditional_ticket_events"],
        "created_at": iso(w.created_at),
        "updated_at": iso(w.updated_at),
    })
}

fn one_of(o: &Obj, key: &str, allowed: &[&str], current: String) -> Result<String> {
    match o.str(key, 32)?.set() {
        Some(v) if allowed.contains(&v.to_lowercase().as_str()) => Ok(v.to_lowercase()),
        Some(v) => Err(ApiError::invalid(key, format!("{key}: {v:?} is not one of {}", allowed.join(", ")))
            .msg("error-not-one-of", &[("value", &v), ("expected", &allowed.join(", "))])),
        None => Ok(current),
    }
}

/// Applies a create or update body, checking it.
fn apply(w: &mut Webhook, o: &Obj, now: i64) -> Result<()> {
    let is_new = w.id == 0;
    match o.str("name", 255)?.set() {
        Some(n) if !n.trim().is_empty() => w.name = n.trim().to_string(),
        Some(_) => return Err(ApiError::blank("name", "Name")),
        None if is_new => return Err(ApiError::blank("name", "Name")),
        None => {}
    }
    match o.str("endpoint", 2048)?.set() {
        Some(e) => w.endpoint = crate::webhooks::check_endpoint(&e)?.to_string(),
        None if is_new => return Err(ApiError::blank("endpoint", "Endpoint")),
        None => {}
    }
    let method = if is_new { "post".to_string() } else { w.http_method.to_lowercase() };
    w.http_method = one_of(o, "http_method", &["get", "post", "put", "patch", "delete"], method)?.to_uppercase();
    let format = if is_new { "json".to_string() } else { w.request_format.clone() };
    w.request_format = one_of(o, "request_format", &["json", "xml", "form_encoded"], format)?;
    let status = if is_new { "active".to_string() } else { w.status.clone() };
    w.status = one_of(o, "status", &["active", "inactive"], status)?;
    if is_new {
        w.signing_secret = hex::encode(rand::thread_rng().r#gen::<[u8; 32]>());
        w.created_at = now;
    }
    w.updated_at = now;
    Ok(())
}

async fn list(AxState(state): AxState<State>, actor: Actor, base: Base) -> Result<Response> {
    require_admin(&actor)?;
    let mut conn = state.db.read().await?;
    let items: Vec<Value> = store::webhooks(&mut conn).await?.iter().map(|w| webhook_json(&base, w)).collect();
    Ok(ok(json!({"webhooks": items, "meta": {"has_more": false}, "links": {"next": null, "prev": null}})))
}

async fn find(conn: &mut frontdesk_store::AnyConnection, id: &str) -> Result<Webhook> {
    store::webhook(conn, path_id(id)?).await?.ok_or(ApiError::NotFound)
}

async fn show(AxState(state): AxState<State>, actor: Actor, base: Base, Path(id): Path<String>) -> Result<Response> {
    require_admin(&actor)?;
    let mut conn = state.db.read().await?;
    Ok(ok(json!({"webhook": webhook_json(&base, &find(&mut conn, &id).await?)})))
}

async fn create(
    AxState(state): AxState<State>,
    actor: Actor,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let o = Obj(root(&body, "webhook")?);
    let mut w = Webhook::default();
    apply(&mut w, &o, state.now())?;
    w.id = in_tx(&state, async |tx| Ok(store::insert_webhook(tx, &w).await?)).await?;
    Ok(created(json!({"webhook": webhook_json(&base, &w)}), &base.url(&format!("/api/v2/webhooks/{}", w.id))))
}

async fn update(
    AxState(state): AxState<State>,
    actor: Actor,
    base: Base,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let o = Obj(root(&body, "webhook")?);
    let now = state.now();
    let w = in_tx(&state, async |tx| {
        let mut w = find(tx, &id).await?;
        apply(&mut w, &o, now)?;
        store::update_webhook(tx, &w).await?;
        Ok(w)
    })
    .await?;
    Ok(ok(json!({"webhook": webhook_json(&base, &w)})))
}

async fn destroy(AxState(state): AxState<State>, actor: Actor, Path(id): Path<String>) -> Result<Response> {
    require_admin(&actor)?;
    in_tx(&state, async |tx| {
        let w = find(tx, &id).await?;
        store::delete_webhook(tx, w.id).await?;
        Ok(())
    })
    .await?;
    Ok(no_content())
}

async fn secret(AxState(state): AxState<State>, actor: Actor, Path(id): Path<String>) -> Result<Response> {
    require_admin(&actor)?;
    let mut conn = state.db.read().await?;
    let w = find(&mut conn, &id).await?;
    Ok(ok(json!({"signing_secret": {"algorithm": "SHA256", "secret": w.signing_secret}})))
}
