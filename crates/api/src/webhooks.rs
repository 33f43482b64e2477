//! Webhooks rules call (`notification_webhook`): URL, method, format, status, and the secret
//! their requests are signed with.

use axum::extract::{Path, State as AxState};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{delete, get, post, put};
use serde_json::{Value, json};

use frontdesk_store::rules::{self as store, Webhook};

use super::extract::{Base, JsonBody, SignedIn, path_id};
use super::{Endpoint, created, ep, no_content, ok, require_admin};
use crate::State;
use crate::app::input::{Obj, root};
use crate::clock::iso;
use crate::error::ApiError;
use frontdesk_edge::Result;

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

async fn list(AxState(state): AxState<State>, SignedIn(actor): SignedIn, base: Base) -> Result<Response> {
    require_admin(&actor)?;
    let mut conn = state.db.read().await?;
    let items: Vec<Value> = store::webhooks(&mut conn).await?.iter().map(|w| webhook_json(&base, w)).collect();
    Ok(ok(json!({"webhooks": items, "meta": {"has_more": false}, "links": {"next": null, "prev": null}})))
}

async fn find(conn: &mut frontdesk_store::AnyConnection, id: &str) -> Result<Webhook> {
    store::webhook(conn, path_id(id)?).await?.ok_or(ApiError::NotFound.into())
}

async fn show(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
) -> Result<Response> {
    require_admin(&actor)?;
    let mut conn = state.db.read().await?;
    Ok(ok(json!({"webhook": webhook_json(&base, &find(&mut conn, &id).await?)})))
}

async fn create(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let o = Obj(root(&body, "webhook")?);
    let w = crate::app::webhooks::save(&state, None, &o).await?;
    Ok(created(json!({"webhook": webhook_json(&base, &w)}), &base.url(&format!("/api/v2/webhooks/{}", w.id))))
}

async fn update(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let o = Obj(root(&body, "webhook")?);
    let w = crate::app::webhooks::save(&state, Some(path_id(&id)?), &o).await?;
    Ok(ok(json!({"webhook": webhook_json(&base, &w)})))
}

async fn destroy(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
) -> Result<Response> {
    require_admin(&actor)?;
    crate::app::webhooks::delete(&state, path_id(&id)?).await?;
    Ok(no_content())
}

async fn secret(AxState(state): AxState<State>, SignedIn(actor): SignedIn, Path(id): Path<String>) -> Result<Response> {
    require_admin(&actor)?;
    let mut conn = state.db.read().await?;
    let w = find(&mut conn, &id).await?;
    Ok(ok(json!({"signing_secret": {"algorithm": "SHA256", "secret": w.signing_secret}})))
}
