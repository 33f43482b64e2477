//! An admin's webhooks: saved, changed and deleted (delivery is the binary's `webhooks`).

use rand::Rng;

use frontdesk_store::rules::{self as store, Webhook};

use super::in_tx;
use super::input::Obj;
use crate::AppState;
use crate::error::{ApiError, Result};

/// Checks a webhook endpoint as saved: an absolute http(s) URL with a host.
pub fn check_endpoint(raw: &str) -> Result<url::Url> {
    let bad = |m: &str| ApiError::invalid("endpoint", format!("endpoint: {m}")).msg("error-webhook-endpoint", &[]);
    let url = url::Url::parse(raw.trim()).map_err(|e| bad(&format!("{raw:?} is not a URL ({e})")))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(bad(&format!("must be http or https, not {}", url.scheme())));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("needs a host"));
    }
    Ok(url)
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
        Some(e) => w.endpoint = check_endpoint(&e)?.to_string(),
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

/// Creates a webhook (`id` none) or changes webhook `id`, from its JSON object.
pub async fn save(state: &AppState, id: Option<i64>, o: &Obj<'_>) -> Result<Webhook> {
    let now = state.now();
    in_tx(state, async |tx| {
        let mut w = match id {
            Some(id) => store::webhook(tx, id).await?.ok_or(ApiError::NotFound)?,
            None => Webhook::default(),
        };
        apply(&mut w, o, now)?;
        if id.is_some() {
            store::update_webhook(tx, &w).await?;
        } else {
            w.id = store::insert_webhook(tx, &w).await?;
        }
        Ok(w)
    })
    .await
}

/// Deletes webhook `id`.
pub async fn delete(state: &AppState, id: i64) -> Result<()> {
    in_tx(state, async |tx| {
        let w = store::webhook(tx, id).await?.ok_or(ApiError::NotFound)?;
        store::delete_webhook(tx, w.id).await?;
        Ok(())
    })
    .await
}
