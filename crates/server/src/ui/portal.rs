//! The customer portal: an end user's own requests (public replies only), a web form for a new
//! request, and replies. Everything goes through the same ticket use cases as the API.

use std::collections::HashSet;

use axum::Form;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;
use serde_json::{Value, json};

use frontdesk_domain::fields::{FieldDef, FieldType};
use frontdesk_domain::filter::Record;

use frontdesk_store::tickets::TicketFilter;
use frontdesk_store::{PageRequest, audits, users};

use super::pages::{caller_and_id, error_page, invalid_message, reader, signed_in};
use super::session::{self, Session};
use super::ticket::{Draft, custom_field_values, field_inputs};
use super::{local_time, render};
use crate::State;
use crate::app::tickets::{CommentInput, TicketInput};
use crate::error::{ApiError, Result};

/// The ticket fields a customer fills in on the web form: active, editable in the portal, with
/// the portal's title.
async fn portal_fields(conn: &mut frontdesk_store::AnyConnection) -> Result<Vec<(FieldDef, bool)>> {
    Ok(frontdesk_store::custom_fields::list(conn, Record::Ticket)
        .await?
        .into_iter()
        .filter(|f| f.active == 1 && f.visible_in_portal == 1 && f.editable_in_portal == 1)
        .map(|f| {
            let mut d = f.def();
            if let Some(t) = f.title_in_portal.clone().filter(|t| !t.trim().is_empty()) {
                d.title = t;
            }
            d.required = f.required_in_portal == 1;
            (d, f.required_in_portal == 1)
        })
        .collect())
}

/// The requests list and the new-request form (with what was typed, and why it was refused).
async fn requests_page(
    state: &State,
    headers: &HeaderMap,
    s: &Session,
    status: StatusCode,
    posted: Draft,
    error: Option<String>,
) -> Result<Response> {
    let mut conn = state.db.read().await?;
    let filter = TicketFilter { requester_id: Some(s.actor.id()), ..Default::default() };
    let page =
        frontdesk_store::tickets::list(&mut conn, &filter, PageRequest::Offset { page: 1, per_page: 100 }).await?;
    let defs: Vec<FieldDef> = portal_fields(&mut conn).await?.into_iter().map(|(d, _)| d).collect();
    drop(conn);
    let r = reader(state, headers, Some(&s.actor.user)).await?;
    let mut items = page.items;
    items.sort_by_key(|t| std::cmp::Reverse(t.updated_at));
    let list: Vec<minijinja::Value> = items
        .iter()
        .map(|t| {
            let (updated, updated_iso) = local_time(t.updated_at, &r.tz);
            context! { id => t.id, subject => t.subject.clone().unwrap_or_default(), status => t.status.clone(), updated, updated_iso }
        })
        .collect();
    let one = |k: &str| posted.fields.get(k).and_then(|v| v.last()).cloned().unwrap_or_default();
    let form = context! { subject => one("subject"), description => posted.body.clone() };
    let custom_fields = field_inputs(&defs, None, &posted);
    let me = super::pages::me(s);
    Ok(render(
        status,
        "portal.html",
        r.locale,
        context! { me, csrf => s.csrf.clone(), requests => list, form, error, custom_fields, form_id => "new-request" },
    ))
}

pub async fn requests(AxState(state): AxState<State>, headers: HeaderMap) -> Result<Response> {
    let s = match signed_in(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    requests_page(&state, &headers, &s, StatusCode::OK, Draft::default(), None).await
}

/// A request from the web form: a ticket with the end user as requester, and the custom
/// fields the portal offers (no other field can be set from here).
pub async fn create(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response> {
    let s = match signed_in(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let (mut posted, form) = Draft::from_pairs(pairs);
    let one = |k: &str| form.get(k).and_then(|v| v.first()).cloned().unwrap_or_default();
    posted.body = one("description");
    let locale = reader(&state, &headers, Some(&s.actor.user)).await?.locale;
    if !session::csrf_ok(&s.csrf, Some(&one("_csrf"))) {
        let e = super::i18n::tr(locale, "stale-form", &[]);
        return requests_page(&state, &headers, &s, StatusCode::FORBIDDEN, posted, Some(e)).await;
    }
    let mut conn = state.db.read().await?;
    let offered = portal_fields(&mut conn).await?;
    drop(conn);
    let allowed: HashSet<i64> = offered.iter().map(|(d, _)| d.id).collect();
    let values = custom_field_values(&form, Some(&allowed));
    // Required in the portal: checked here, as the API has no notion of the portal.
    for (d, required) in &offered {
        let given = values.iter().find(|v| v["id"] == d.id).map(|v| &v["value"]);
        let blank = match given {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            Some(Value::Array(a)) => a.is_empty(),
            Some(Value::Bool(b)) => !b && d.kind == FieldType::Checkbox,
            _ => false,
        };
        if *required && blank {
            let e = super::i18n::tr(locale, "portal-field-required", &[("field", d.title.clone().into())]);
            return requests_page(&state, &headers, &s, StatusCode::UNPROCESSABLE_ENTITY, posted, Some(e)).await;
        }
    }
    let mut change = serde_json::Map::new();
    change.insert("subject".into(), json!(one("subject").trim()));
    change.insert("comment".into(), json!({"body": one("description")}));
    if !values.is_empty() {
        change.insert("custom_fields".into(), Value::Array(values));
    }
    let now = state.now();
    let actor = s.actor.clone();
    let made = match TicketInput::parse(&change) {
        Ok(input) => {
            crate::app::in_tx(&state, async |tx| {
                crate::app::tickets::create(tx, &actor, input, &crate::app::Via::web(), now).await
            })
            .await
        }
        Err(e) => Err(e),
    };
    match made {
        Ok(saved) => Ok(Redirect::to(&format!("/portal/requests/{}", saved.ticket.id)).into_response()),
        Err(ApiError::Invalid(errors)) => {
            let message = invalid_message(locale, &errors);
            requests_page(&state, &headers, &s, StatusCode::UNPROCESSABLE_ENTITY, posted, Some(message)).await
        }
        Err(e) => Err(e),
    }
}

/// One of the user's requests: public replies only.
async fn request_page(
    state: &State,
    headers: &HeaderMap,
    s: &Session,
    id: i64,
    error: Option<String>,
) -> Result<Response> {
    let mut conn = state.db.read().await?;
    let t = match frontdesk_store::tickets::get(&mut conn, id).await? {
        Some(t) if t.requester_id == s.actor.id() && t.deleted_at.is_none() => t,
        _ => {
            drop(conn);
            return Ok(error_page(state, headers, StatusCode::NOT_FOUND, "not-found").await);
        }
    };
    let comments = audits::list_comments(&mut conn, id, true, PageRequest::After { id: None, size: 1000 }).await?.items;
    let ids: Vec<i64> = comments.iter().map(|c| c.author_id).collect();
    let people = users::get_many(&mut conn, &ids).await?;
    let mut files = super::ticket::files_by_comment(&mut conn, &comments).await?;
    drop(conn);
    let r = reader(state, headers, Some(&s.actor.user)).await?;
    let support = super::i18n::tr(r.locale, "support-team", &[]);
    let list: Vec<minijinja::Value> = comments
        .iter()
        .map(|c| {
            let (at, at_iso) = local_time(c.created_at, &r.tz);
            // Staff appear by name; the customer sees their own name too.
            let author = people.iter().find(|u| u.id == c.author_id).map_or(support.clone(), |u| u.name.clone());
            let files = files.remove(&c.id).unwrap_or_default();
            context! { author, html => c.html_body.clone(), files, at, at_iso }
        })
        .collect();
    let ticket = context! { id => t.id, subject => t.subject.clone().unwrap_or_default(), status => t.status.clone() };
    let me = super::pages::me(s);
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(
        status,
        "request.html",
        r.locale,
        context! { me, csrf => s.csrf.clone(), ticket, comments => list, error },
    ))
}

pub async fn request(AxState(state): AxState<State>, headers: HeaderMap, Path(id): Path<String>) -> Result<Response> {
    let (s, id) = match caller_and_id(&state, &headers, false, &id).await {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    request_page(&state, &headers, &s, id, None).await
}

#[derive(Deserialize)]
pub struct ReplyForm {
    body: String,
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

/// The customer's reply: a public comment on their own request.
pub async fn reply(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<ReplyForm>,
) -> Result<Response> {
    let (s, id) = match caller_and_id(&state, &headers, false, &id).await {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let locale = reader(&state, &headers, Some(&s.actor.user)).await?.locale;
    if !session::csrf_ok(&s.csrf, f.csrf.as_deref()) {
        return request_page(&state, &headers, &s, id, Some(super::i18n::tr(locale, "stale-form", &[]))).await;
    }
    let mut conn = state.db.read().await?;
    let own = frontdesk_store::tickets::get(&mut conn, id).await?.is_some_and(|t| t.requester_id == s.actor.id());
    drop(conn);
    if !own {
        return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "not-found").await);
    }
    let input = TicketInput {
        comment: Some(CommentInput { body: Some(f.body.clone()), public: Some(true), ..Default::default() }),
        ..Default::default()
    };
    let now = state.now();
    let actor = s.actor.clone();
    let done = crate::app::in_tx(&state, async |tx| {
        crate::app::tickets::update(tx, &actor, id, input, &crate::app::Via::web(), now).await
    })
    .await;
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/portal/requests/{id}")).into_response()),
        Err(ApiError::Invalid(errors)) => {
            let message = invalid_message(locale, &errors);
            request_page(&state, &headers, &s, id, Some(message)).await
        }
        Err(e) => Err(e),
    }
}
