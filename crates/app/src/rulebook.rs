//! An admin's edits to the business rules (triggers, automations, macros) and the trigger
//! categories: saved, ordered and deleted, each in one transaction.

use serde_json::{Map, Value};

use frontdesk_domain::rules::RuleKind;
use frontdesk_store::rules::{self as store, Category, Rule};

use super::in_tx;
use super::input::Obj;
use crate::AppState;
use crate::auth::Actor;
use crate::error::{ApiError, Result};

/// Creates a rule of `kind` (`id` none) or changes rule `id`, from its JSON object.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    kind: RuleKind,
    id: Option<i64>,
    m: &Map<String, Value>,
) -> Result<Rule> {
    let now = state.now();
    in_tx(state, async |tx| {
        let mut r = match id {
            Some(id) => store::get(tx, kind.as_str(), id).await?.ok_or(ApiError::NotFound)?,
            None => Rule::default(),
        };
        super::rules::apply(tx, kind, &mut r, m, now, actor.id()).await?;
        if id.is_some() {
            store::update(tx, &r).await?;
        } else {
            r.id = store::insert(tx, &r).await?;
        }
        Ok(r)
    })
    .await
}

/// Deletes rules `ids` of `kind` (`one`: the one asked for by id, which must exist).
pub async fn delete(state: &AppState, kind: RuleKind, ids: &[i64], one: bool) -> Result<()> {
    in_tx(state, async |tx| {
        if one {
            for id in ids {
                store::get(tx, kind.as_str(), *id).await?.ok_or(ApiError::NotFound)?;
            }
        }
        store::delete(tx, kind.as_str(), ids).await?;
        Ok(())
    })
    .await
}

/// Orders the rules of `kind` as `ids` lists them (`key` names the list in errors).
pub async fn reorder(state: &AppState, kind: RuleKind, key: &str, ids: &[i64]) -> Result<()> {
    let now = state.now();
    in_tx(state, async |tx| {
        for (pos, id) in ids.iter().enumerate() {
            store::get(tx, kind.as_str(), *id)
                .await?
                .ok_or_else(|| ApiError::invalid(key, format!("{key}: there is no {} {id}", kind.as_str())))?;
            store::set_position(tx, *id, pos as i64 + 1, now).await?;
        }
        Ok(())
    })
    .await
}

/// Applies a body's name and position to a trigger category.
fn apply_category(c: &mut Category, m: &Map<String, Value>, now: i64) -> Result<()> {
    let o = Obj(m);
    match o.str("name", 255)?.set() {
        Some(n) if !n.trim().is_empty() => c.name = n.trim().to_string(),
        Some(_) => return Err(ApiError::blank("name", "Name")),
        None if c.id == 0 => return Err(ApiError::blank("name", "Name")),
        None => {}
    }
    if let Some(p) = o.raw("position").filter(|v| !v.is_null()) {
        c.position = p.as_i64().ok_or_else(|| ApiError::invalid("position", "position: must be an integer"))?;
    }
    c.updated_at = now;
    if c.id == 0 {
        c.created_at = now;
    }
    Ok(())
}

/// Creates a trigger category (`id` none) or changes category `id`.
pub async fn save_category(state: &AppState, id: Option<i64>, m: &Map<String, Value>) -> Result<Category> {
    let now = state.now();
    in_tx(state, async |tx| {
        let mut c = match id {
            Some(id) => store::category(tx, id).await?.ok_or(ApiError::NotFound)?,
            None => Category::default(),
        };
        apply_category(&mut c, m, now)?;
        let saved = store::save_category(tx, &c).await?;
        if id.is_none() {
            c.id = saved;
        }
        Ok(c)
    })
    .await
}

/// Deletes trigger category `id`, which must hold no triggers.
pub async fn delete_category(state: &AppState, id: i64) -> Result<()> {
    in_tx(state, async |tx| {
        let c = store::category(tx, id).await?.ok_or(ApiError::NotFound)?;
        let n = store::triggers_in(tx, c.id).await?;
        if n > 0 {
            return Err(ApiError::invalid(
                "trigger_category",
                format!("trigger category {} still holds {n} triggers: move or delete them first", c.id),
            ));
        }
        store::delete_category(tx, c.id).await?;
        Ok(())
    })
    .await
}
