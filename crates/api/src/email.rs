//! `/api/v2/recipient_addresses` (support addresses) and `/api/v2/inbound_email` (where the
//! mail gateway hands over a message), with the record of what became of each message.

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use frontdesk_store::email as store;

use super::extract::{Base, JsonBody, Params, SignedIn, path_id};
use super::{Endpoint, created, ep, no_content, ok, require_admin};
use crate::State;
use crate::app::email::{self as app, address_json};
use crate::clock::iso;
use crate::error::ApiError;
use frontdesk_edge::Result;

const T: &str = "email";

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        ep(Method::GET, "/api/v2/recipient_addresses", T, "List support addresses", get(list)),
        ep(Method::POST, "/api/v2/recipient_addresses", T, "Add a support address", post(create)),
        ep(Method::GET, "/api/v2/recipient_addresses/{id}", T, "Show a support address", get(show)),
        ep(Method::PUT, "/api/v2/recipient_addresses/{id}", T, "Change a support address", axum::routing::put(update)),
        ep(
            Method::DELETE,
            "/api/v2/recipient_addresses/{id}",
            T,
            "Remove a support address",
            axum::routing::delete(remove),
        ),
        ep(
            Method::POST,
            "/api/v2/inbound_email",
            T,
            "Take in one message (RFC 5322 bytes; ?to= the envelope recipients)",
            post(inbound),
        ),
        ep(Method::GET, "/api/v2/inbound_emails", T, "What became of the latest inbound messages", get(inbound_list)),
        ep(Method::GET, "/api/v2/inbound_emails/{id}/raw", T, "An inbound message as it came", get(inbound_raw)),
        ep(
            Method::GET,
            "/api/v2/mailboxes",
            T,
            "The IMAP mailboxes this server polls, and how each is doing",
            get(mailboxes),
        ),
    ]
}

/// This server's IMAP mailboxes (never their passwords): when each was last read to the end,
/// what it took in, and why its last round failed.
async fn mailboxes(AxState(state): AxState<State>, SignedIn(actor): SignedIn) -> Result<Response> {
    require_admin(&actor)?;
    let items: Vec<Value> = state
        .mailboxes
        .list()
        .into_iter()
        .map(|(mailbox, s)| {
            json!({"mailbox": mailbox, "checked_at": s.checked_at.map(iso), "taken_in": s.taken_in,
                "last_error": s.last_error})
        })
        .collect();
    Ok(ok(json!({"mailboxes": items})))
}

async fn list(AxState(state): AxState<State>, SignedIn(actor): SignedIn) -> Result<Response> {
    require_admin(&actor)?;
    let mut conn = state.db.read().await?;
    let items: Vec<Value> = store::addresses(&mut conn).await?.iter().map(address_json).collect();
    Ok(ok(json!({"recipient_addresses": items, "count": items.len(), "next_page": null, "previous_page": null})))
}

async fn show(AxState(state): AxState<State>, SignedIn(actor): SignedIn, Path(id): Path<String>) -> Result<Response> {
    require_admin(&actor)?;
    let mut conn = state.db.read().await?;
    let a = store::address(&mut conn, path_id(&id)?).await?.ok_or(ApiError::NotFound)?;
    Ok(ok(json!({"recipient_address": address_json(&a)})))
}

async fn create(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let a = crate::app::addresses::create(&state, &body).await?;
    let url = base.url(&format!("/api/v2/recipient_addresses/{}.json", a.id));
    Ok(created(json!({"recipient_address": address_json(&a)}), &url))
}

async fn update(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let id = path_id(&id)?;
    let a = crate::app::addresses::update(&state, id, &body).await?;
    Ok(ok(json!({"recipient_address": address_json(&a)})))
}

async fn remove(AxState(state): AxState<State>, SignedIn(actor): SignedIn, Path(id): Path<String>) -> Result<Response> {
    require_admin(&actor)?;
    let id = path_id(&id)?;
    crate::app::addresses::delete(&state, id).await?;
    Ok(no_content())
}

/// A message from the mail gateway: taken in, threaded or made a ticket, and recorded — or
/// refused with the reason. A message that races with itself (two addresses at once) makes
/// one ticket: the loser's transaction rolls back and it is taken in again as already seen.
async fn inbound(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    params: Params,
    body: Bytes,
) -> Result<Response> {
    require_admin(&actor)?;
    let to: Vec<String> = params.get_all("to").iter().flat_map(|t| t.split(',')).map(str::to_string).collect();
    // The MTA in front may say who connected to it, for the SPF check.
    let envelope = match params.get("client_ip") {
        Some(ip) => Some(crate::sender_auth::Envelope {
            ip: ip
                .trim()
                .parse()
                .map_err(|_| ApiError::invalid("client_ip", format!("client_ip: {ip:?} is not an IP address")))?,
            helo: params.get("helo").unwrap_or_default().to_string(),
            mail_from: params.get("mail_from").unwrap_or_default().to_string(),
        }),
        None => None,
    };
    let outcome = app::take_in_or_keep(&state, &body, &to, envelope.as_ref()).await?;
    Ok(ok(json!({"inbound_email": outcome})))
}

async fn inbound_list(AxState(state): AxState<State>, SignedIn(actor): SignedIn) -> Result<Response> {
    require_admin(&actor)?;
    let mut conn = state.db.read().await?;
    let items: Vec<Value> = store::list(&mut conn, 100)
        .await?
        .iter()
        .map(|m| {
            // The sender checks' verdict, as recorded (a record that cannot be read says so).
            let authentication = m.authentication.as_deref().map(|a| {
                serde_json::from_str::<Value>(a).unwrap_or_else(|e| {
                    tracing::warn!(message = m.id, error = %e, "an inbound message's verdict cannot be read");
                    json!({"unreadable": e.to_string()})
                })
            });
            json!({"id": m.id, "message_id": m.message_id, "from": m.sender, "to": m.recipient, "subject": m.subject,
                "outcome": m.outcome, "reason": m.reason, "ticket_id": m.ticket_id, "size": m.size,
                "authentication": authentication, "created_at": iso(m.created_at)})
        })
        .collect();
    Ok(ok(json!({"inbound_emails": items})))
}

/// The original bytes, as a download that no browser renders.
async fn inbound_raw(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
) -> Result<Response> {
    require_admin(&actor)?;
    let mut conn = state.db.read().await?;
    let raw = store::raw(&mut conn, path_id(&id)?).await?.ok_or(ApiError::NotFound)?;
    let mut r = (StatusCode::OK, raw).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("message/rfc822"));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"message.eml\""));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(r)
}
