//! The account's settings and its API tokens.

use serde_json::{Map, Value};

use frontdesk_domain::{Locale, Role};
use frontdesk_store::account::{self, Account};
use frontdesk_store::tokens::{self, ApiToken};

use super::in_tx;
use super::input::Obj;
use crate::AppState;
use crate::error::{ApiError, Result};

/// Changes the account's settings from a `settings` body (name, time zone, language, the
/// campaign contact interval); hands back the account and the interval after.
pub async fn update_settings(state: &AppState, m: &Map<String, Value>) -> Result<(Account, i64)> {
    let o = Obj(m);
    // Given blank (or null), the name is refused; left out, it stays.
    let name = match o.str("name", 255)? {
        crate::input::Patch::Set(n) => Some(n.trim().to_string()),
        crate::input::Patch::Null => return Err(ApiError::blank("name", "Name")),
        crate::input::Patch::Absent => None,
    };
    let time_zone = o.str("time_zone", 64)?.set().map(|z| crate::input::time_zone(&z)).transpose()?;
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
    in_tx(state, async |tx| {
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
    .await
}

/// Makes an API token for `user_id` (an agent or admin): hands back the token's record and
/// its value, shown this once.
pub async fn create_token(state: &AppState, user_id: i64, description: Option<String>) -> Result<(ApiToken, String)> {
    let (token, hash) = crate::auth::new_token();
    let now = state.now();
    let t = in_tx(state, async |tx| {
        let u = frontdesk_store::users::get(tx, user_id).await?.ok_or_else(|| {
            ApiError::invalid("user_id", format!("user_id: there is no user {user_id}"))
                .msg("error-no-such-user", &[("id", &user_id)])
        })?;
        if u.role == Role::EndUser {
            return Err(ApiError::invalid("user_id", "user_id: only agents and admins can have API tokens")
                .msg("error-token-agents-only", &[]));
        }
        let id = tokens::insert(tx, user_id, &hash, description.as_deref(), now).await?;
        Ok(ApiToken { id, user_id, description: description.clone(), created_at: now, last_used_at: None })
    })
    .await?;
    Ok((t, token))
}

/// Revokes API token `id`; this server forgets it at once (others within seconds).
pub async fn revoke_token(state: &AppState, id: i64) -> Result<()> {
    if !in_tx(state, async |tx| Ok(tokens::delete(tx, id).await?)).await? {
        return Err(ApiError::NotFound);
    }
    state.auth_cache.clear();
    Ok(())
}

/// An API token for the user with `email`, made from the command line: its value.
pub async fn token_for(
    db: &frontdesk_store::Db,
    email: &frontdesk_domain::EmailAddress,
    description: Option<String>,
    now: i64,
) -> Result<String> {
    let (token, hash) = crate::auth::new_token();
    super::in_db(db, async |tx| {
        let user = frontdesk_store::users::find_by_identity(tx, "email", email.as_str())
            .await?
            .ok_or_else(|| ApiError::invalid("email", format!("no user has the email {}", email.as_str())))?;
        tokens::insert(tx, user.id, &hash, description.as_deref(), now).await?;
        Ok(())
    })
    .await?;
    Ok(token)
}

/// Makes sure the account row exists (a server's start).
pub async fn ensure(db: &frontdesk_store::Db, now: i64) -> Result<()> {
    super::in_db(db, async |tx| Ok(account::ensure(tx, now).await?)).await?;
    Ok(())
}
