//! What keeps the workspace live without a reload: the views' counts and the change stamp
//! (polled by the list pages), presence on a ticket (who else has it open, who is typing), and
//! the composer's Markdown preview. Polling, not a push channel: every server behind a load
//! balancer answers the same from the shared database.

use axum::Form;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use frontdesk_store::{account, presence, users};

use super::pages::{self, caller_and_id};
use super::session;
use crate::State;
use frontdesk_edge::Result;
use frontdesk_edge::{json_response, ok};

/// A page that has not said it is there for this long has gone.
const GONE_MS: i64 = 10_000;
/// Typing shows for this long after the last key.
const TYPING_MS: i64 = 5_000;

fn refused(status: StatusCode) -> Response {
    json_response(status, &json!({"error": "refused"}))
}

/// The views' counts and the change stamp, for the sidebar and the open list.
pub async fn counts(AxState(state): AxState<State>, headers: HeaderMap) -> Result<Response> {
    let s = match pages::staff(&state, &headers).await {
        Ok(s) => s,
        Err(_) => return Ok(refused(StatusCode::UNAUTHORIZED)),
    };
    let views = pages::sidebar(&state, &s).await?;
    let mut counts = serde_json::Map::new();
    for v in views {
        counts.insert(v.id.to_string(), json!(v.count));
    }
    let mut conn = state.db.read().await?;
    let stamp = account::changes_now(&mut conn).await?;
    Ok(ok(json!({"stamp": stamp, "counts": counts})))
}

#[derive(Deserialize)]
pub struct Beat {
    typing: Option<String>,
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

/// "I am on this ticket" (and typing): answers who else is, and the ticket's version.
pub async fn beat(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Beat>,
) -> Result<Response> {
    let Ok((s, id)) = caller_and_id(&state, &headers, true, &id).await else {
        return Ok(refused(StatusCode::UNAUTHORIZED));
    };
    if !session::csrf_ok(&s.csrf, f.csrf.as_deref()) {
        return Ok(refused(StatusCode::FORBIDDEN));
    }
    let now_ms = state.clock.now_ms();
    let me = s.actor.id();
    let typing = f.typing.as_deref() == Some("1");
    crate::app::tickets::beat(&state, &s.actor, id, typing).await?;
    let mut conn = state.db.read().await?;
    let here: Vec<presence::Presence> =
        presence::on_ticket(&mut conn, id, now_ms - GONE_MS).await?.into_iter().filter(|p| p.user_id != me).collect();
    let ids: Vec<i64> = here.iter().map(|p| p.user_id).collect();
    let names: std::collections::HashMap<i64, String> =
        users::get_many(&mut conn, &ids).await?.into_iter().map(|u| (u.id, u.name)).collect();
    let version = frontdesk_store::tickets::change_seq(&mut conn, id).await?;
    drop(conn);
    let r = pages::reader(&state, &headers, Some(&s.actor.user)).await?;
    let lines: Vec<String> = here
        .iter()
        .map(|p| {
            let name = fluent_bundle::FluentValue::from(names.get(&p.user_id).cloned().unwrap_or_default());
            let key = if now_ms - p.typing_at < TYPING_MS { "someone-typing" } else { "someone-viewing" };
            crate::i18n::tr(r.locale, key, &[("name", name)])
        })
        .collect();
    let others: Vec<_> = here
        .iter()
        .map(|p| json!({"id": p.user_id, "name": names.get(&p.user_id), "typing": now_ms - p.typing_at < TYPING_MS}))
        .collect();
    Ok(ok(json!({
        "version": version,
        "others": others,
        "line": lines.join(" · "),
        "changed": crate::i18n::tr(r.locale, "ticket-changed", &[]),
    })))
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

/// The page was closed: the agent is no longer on the ticket.
pub async fn leave(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response> {
    let Ok((s, id)) = caller_and_id(&state, &headers, true, &id).await else {
        return Ok(refused(StatusCode::UNAUTHORIZED));
    };
    if !session::csrf_ok(&s.csrf, f.csrf.as_deref()) {
        return Ok(refused(StatusCode::FORBIDDEN));
    }
    crate::app::tickets::leave(&state, s.actor.id(), id, state.clock.now_ms() - 10 * GONE_MS).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
pub struct MarkdownForm {
    body: Option<String>,
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

/// The composer's text as the saved comment will show it (rendered, then sanitised).
pub async fn markdown(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Form(f): Form<MarkdownForm>,
) -> Result<Response> {
    let s = match pages::staff(&state, &headers).await {
        Ok(s) => s,
        Err(_) => return Ok(refused(StatusCode::UNAUTHORIZED)),
    };
    if !session::csrf_ok(&s.csrf, f.csrf.as_deref()) {
        return Ok(refused(StatusCode::FORBIDDEN));
    }
    let body = f.body.unwrap_or_default();
    if body.len() > crate::app::tickets::MAX_COMMENT {
        return Ok(refused(StatusCode::PAYLOAD_TOO_LARGE));
    }
    let rendered = frontdesk_domain::text::render_markdown(&body);
    Ok(ok(json!({"html": rendered.html_body})))
}
