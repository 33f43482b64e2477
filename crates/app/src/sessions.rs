//! Sign-in sessions of the pages: started, seen and ended (the cookie and its checks are the
//! pages' own).

use frontdesk_store::sessions;

use super::in_tx;
use crate::AppState;
use crate::error::Result;

/// Starts session `id` (the hash of the cookie's secret) for `user_id`.
pub async fn start(state: &AppState, id: &str, user_id: i64, csrf: &str) -> Result<()> {
    let now = state.now();
    let s = sessions::Session { id: id.to_string(), user_id, csrf: csrf.to_string(), created_at: now, seen_at: now };
    in_tx(state, async |tx| Ok(sessions::insert(tx, &s).await?)).await
}

/// Ends session `id`.
pub async fn end(state: &AppState, id: &str) -> Result<()> {
    in_tx(state, async |tx| Ok(sessions::delete(tx, id).await?)).await?;
    Ok(())
}

/// Marks session `id` seen now.
pub async fn touch(state: &AppState, id: &str) -> Result<()> {
    let now = state.now();
    in_tx(state, async |tx| Ok(sessions::touch(tx, id, now).await?)).await?;
    Ok(())
}
