//! Links mailed to people (sign in, set a password, unsubscribe, prove an address): each a
//! one-time secret of which only the hash is kept, with a lifetime, used up under the write
//! lock so two clicks do one thing.

use serde_json::json;

use frontdesk_store::presence::{self, PasswordReset, SIGN_IN, UNSUBSCRIBE, VERIFY};
use frontdesk_store::users::{self, Identity};

use super::in_tx;
use crate::AppState;
use crate::error::Result;

/// A new secret: 32 random bytes, hex.
pub fn random_secret() -> String {
    use rand::Rng;
    hex::encode(rand::thread_rng().r#gen::<[u8; 32]>())
}

const RESET_LIFETIME_SECS: i64 = 86_400;
const SIGN_IN_LIFETIME_SECS: i64 = 20 * 60;
/// An unsubscribe link in campaign mail works for a year.
const UNSUBSCRIBE_LIFETIME_SECS: i64 = 365 * 86_400;
/// Links mailed to one user in an hour, at most.
pub const LINKS_PER_HOUR: i64 = 5;

/// Records a new link for `user_id`; its secret (only its hash is kept).
pub async fn new_link(state: &AppState, user_id: i64, by: Option<i64>, purpose: &str) -> Result<String> {
    Ok(new_link_within(state, user_id, by, purpose, None).await?.unwrap_or_default())
}

/// [`new_link`], unless the user already had `cap` links in the last hour (then `None`).
pub async fn new_link_within(
    state: &AppState,
    user_id: i64,
    by: Option<i64>,
    purpose: &str,
    cap: Option<i64>,
) -> Result<Option<String>> {
    let secret = random_secret();
    let now = state.now();
    let lifetime = match purpose {
        SIGN_IN => SIGN_IN_LIFETIME_SECS,
        UNSUBSCRIBE => UNSUBSCRIBE_LIFETIME_SECS,
        p if p.starts_with(VERIFY) => super::users::PROOF_LIFETIME_SECS,
        _ => RESET_LIFETIME_SECS,
    };
    let reset = PasswordReset {
        id: crate::auth::token_hash(&secret),
        user_id,
        created_by: by,
        expires_at: now + lifetime,
        used_at: None,
        purpose: purpose.to_string(),
        created_at: now,
    };
    let made = in_tx(state, async |tx| {
        if let Some(cap) = cap
            && presence::links_since(tx, user_id, now - 3600).await? >= cap
        {
            return Ok(false);
        }
        presence::insert_reset(tx, &reset).await?;
        Ok(true)
    })
    .await?;
    Ok(made.then_some(secret))
}

/// Where a link's secret is followed, under `base` (scheme and host).
pub fn link_url(base: &str, purpose: &str, secret: &str) -> String {
    let path = match purpose {
        SIGN_IN => "signin",
        UNSUBSCRIBE => "unsubscribe",
        VERIFY => "verify",
        _ => "reset",
    };
    format!("{}/{path}/{secret}", base.trim_end_matches('/'))
}

/// A link's record while it is unused and unexpired, whatever its purpose.
pub async fn live(state: &AppState, secret: &str) -> Result<Option<PasswordReset>> {
    let mut conn = state.db.read().await?;
    let r = presence::get_reset(&mut conn, &crate::auth::token_hash(secret)).await?;
    Ok(r.filter(|r| r.used_at.is_none() && r.expires_at > state.now()))
}

/// Uses link `id` up; false when it was already used.
pub async fn use_up(state: &AppState, id: &str) -> Result<bool> {
    let now = state.now();
    in_tx(state, async |tx| Ok(presence::use_reset(tx, id, now).await?)).await
}

/// Sets the password of the link's user (`hash`, already computed) and signs them out
/// everywhere, using the link up; false when the link was already used.
pub async fn set_password(state: &AppState, link: &PasswordReset, hash: &str) -> Result<bool> {
    let now = state.now();
    let done = in_tx(state, async |tx| {
        if !presence::use_reset(tx, &link.id, now).await? {
            return Ok(false);
        }
        users::set_password_hash(tx, link.user_id, hash).await?;
        frontdesk_store::sessions::delete_for_user(tx, link.user_id).await?;
        Ok(true)
    })
    .await?;
    if done {
        state.password_cache.forget_user(link.user_id);
    }
    Ok(done)
}

/// Mails user `user_id` a link for `purpose` in `locale` (by a job, so the page answers at once).
pub async fn mail_link(state: &AppState, user_id: i64, purpose: &str, locale: &str) -> Result<()> {
    let now = state.now();
    let job = frontdesk_store::jobs::NewJob {
        public_id: None,
        kind: frontdesk_domain::JobKind::Link,
        payload: json!({"user_id": user_id, "purpose": purpose, "locale": locale}).to_string(),
        max_attempts: 10,
        run_at_ms: now * 1000,
        total: None,
        requested_by: None,
        unique_key: None,
    };
    in_tx(state, async |tx| Ok(frontdesk_store::jobs::enqueue(tx, &job, now).await?)).await?;
    state.job_wakeup.notify_waiters();
    Ok(())
}

/// Proves the identity `identity_id` a proof link names, using the link up; `None` when the
/// link was already used.
pub async fn prove(state: &AppState, link: &PasswordReset, identity_id: i64) -> Result<Option<Identity>> {
    let now = state.now();
    let proven = in_tx(state, async |tx| {
        if !presence::use_reset(tx, &link.id, now).await? {
            return Ok(None);
        }
        super::users::prove_identity(tx, link.user_id, identity_id, now).await
    })
    .await?;
    if proven.is_some() {
        state.auth_cache.clear();
    }
    Ok(proven)
}
