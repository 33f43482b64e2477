//! Outbound mail's bookkeeping: each ticket's reply token (in our Message-IDs) and the
//! automatic mails a customer may get in an hour.

use frontdesk_store::email;

use super::in_tx;
use crate::AppState;
use crate::error::Result;

/// The reply token of ticket `ticket_id`: `fresh` unless it already had one.
pub async fn reply_token(state: &AppState, ticket_id: i64, fresh: &str) -> Result<String> {
    in_tx(state, async |tx| Ok(email::reply_token(tx, ticket_id, fresh).await?)).await
}

/// Takes one of `per_hour` automatic mails of this hour for user `user_id` at `address` (under
/// the addressee's lock, so two workers cannot both take the last one): the slot, or `None`
/// when the hour's are used up.
pub async fn take_automatic_slot(
    state: &AppState,
    user_id: i64,
    address: &str,
    per_hour: i64,
    kind: &str,
    ticket_id: i64,
) -> Result<Option<i64>> {
    let now = state.now();
    in_tx(state, async |tx| Ok(email::take_automatic_slot(tx, user_id, address, per_hour, kind, ticket_id, now).await?))
        .await
}

/// Gives back a slot whose mail did not go.
pub async fn give_back_slot(state: &AppState, slot: i64) -> Result<()> {
    in_tx(state, async |tx| Ok(email::give_back_slot(tx, slot).await?)).await?;
    Ok(())
}
