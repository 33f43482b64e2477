//! The helpdesk's own support addresses: the addresses customers write to, each maybe with a
//! brand and a group that its mail goes to.

use serde_json::Value;

use frontdesk_domain::EmailAddress;
use frontdesk_store::email::{self as store, RecipientAddress};

use super::in_tx;
use super::input::{Obj, root};
use crate::AppState;
use crate::error::{ApiError, Result};

/// Applies a body to an address: email (checked), name, brand, group (must exist), default.
async fn apply(
    conn: &mut frontdesk_store::AnyConnection,
    a: &mut RecipientAddress,
    body: &Value,
    now: i64,
) -> Result<bool> {
    let o = Obj(root(body, "recipient_address")?);
    let is_new = a.id == 0;
    match o.str("email", 254)?.set() {
        Some(e) => {
            a.email =
                EmailAddress::parse(&e).map_err(|err| ApiError::refused("email", "Email", err))?.as_str().to_string();
        }
        None if is_new => return Err(ApiError::blank("email", "Email")),
        None => {}
    }
    if let Some(n) = o.str("name", 255)?.set() {
        a.name = n.trim().to_string();
    } else if is_new {
        a.name = a.email.clone();
    }
    a.brand_name = o.str("brand_name", 255)?.apply(a.brand_name.take());
    a.group_id = o.id("group_id")?.apply(a.group_id);
    if let Some(g) = a.group_id
        && frontdesk_store::groups::get(conn, g).await?.filter(|g| g.deleted == 0).is_none()
    {
        return Err(ApiError::invalid("group_id", format!("group_id: there is no group {g}"))
            .msg("error-no-such-group", &[("id", &g)]));
    }
    a.updated_at = now;
    if is_new {
        a.created_at = now;
    }
    Ok(o.bool("default")? == Some(true))
}

fn duplicate(e: frontdesk_store::StoreError, email: &str) -> ApiError {
    match e {
        frontdesk_store::StoreError::Duplicate(_) => {
            ApiError::invalid_code("email", "DuplicateValue", format!("Email: {email} is already a support address"))
        }
        other => other.into(),
    }
}

/// Adds a support address from a `recipient_address` body; the first one is the default.
pub async fn create(state: &AppState, body: &Value) -> Result<RecipientAddress> {
    let now = state.now();
    in_tx(state, async |tx| {
        let mut a = RecipientAddress::default();
        let default = apply(tx, &mut a, body, now).await?;
        a.id = store::insert_address(tx, &a).await.map_err(|e| duplicate(e, &a.email))?;
        if default || store::addresses(tx).await?.len() == 1 {
            store::make_default(tx, a.id).await?;
        }
        store::address(tx, a.id).await?.ok_or(ApiError::NotFound)
    })
    .await
}

/// Changes support address `id` from a `recipient_address` body.
pub async fn update(state: &AppState, id: i64, body: &Value) -> Result<RecipientAddress> {
    let now = state.now();
    in_tx(state, async |tx| {
        let mut a = store::address(tx, id).await?.ok_or(ApiError::NotFound)?;
        let default = apply(tx, &mut a, body, now).await?;
        store::update_address(tx, &a).await.map_err(|e| duplicate(e, &a.email))?;
        if default {
            store::make_default(tx, a.id).await?;
        }
        store::address(tx, a.id).await?.ok_or(ApiError::NotFound)
    })
    .await
}

/// Removes support address `id`.
pub async fn delete(state: &AppState, id: i64) -> Result<()> {
    if in_tx(state, async |tx| Ok(store::delete_address(tx, id).await?)).await? {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}
