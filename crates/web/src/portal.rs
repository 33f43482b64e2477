//! The customer portal: an end user's own requests (public replies only), a web form for a new
//! request, and replies. Everything goes through the same ticket use cases as the API.

use std::collections::{HashMap, HashSet};

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

use super::pages::{Problems, caller_and_id, error_page, invalid_message, reader, signed_in};
use super::session::{self, Session};
use super::ticket::{Draft, custom_field_values, field_inputs};
use super::{PageForm, PageQuery};
use super::{local_time, render};
use crate::State;
use crate::app::tickets::{CommentInput, TicketInput};
use crate::error::{ApiError, FieldError};
use frontdesk_edge::Result;

/// The ticket fields a customer sees: active and visible in the portal, with the portal's title;
/// with each, whether the customer may fill it in and whether they must.
struct PortalField {
    def: FieldDef,
    editable: bool,
    required: bool,
}

async fn portal_fields(conn: &mut frontdesk_store::AnyConnection) -> Result<Vec<PortalField>> {
    Ok(frontdesk_store::custom_fields::list(conn, Record::Ticket)
        .await?
        .into_iter()
        .filter(|f| f.active == 1 && f.visible_in_portal == 1)
        .map(|f| {
            let mut def = f.def();
            if let Some(t) = f.title_in_portal.clone().filter(|t| !t.trim().is_empty()) {
                def.title = t;
            }
            let editable = f.editable_in_portal == 1;
            let required = editable && f.required_in_portal == 1;
            def.required = required;
            PortalField { def, editable, required }
        })
        .collect())
}

/// The label customers see for their own custom statuses (a category's default reads as the
/// category, in the reader's language, in the template).
async fn customer_labels(conn: &mut frontdesk_store::AnyConnection) -> Result<HashMap<i64, String>> {
    Ok(frontdesk_store::custom_statuses::list(conn, false)
        .await?
        .into_iter()
        .filter(|c| c.is_default == 0 && !c.end_user_label.trim().is_empty())
        .map(|c| (c.id, c.end_user_label))
        .collect())
}

/// Requests shown on one page of the list.
const REQUESTS_PER_PAGE: i64 = 50;

/// Which page of the list: the newest, or the ones before or after a request id.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    before: Option<i64>,
    after: Option<i64>,
}

/// The requests list, newest first, a page at a time (no cap), and the new-request form (with
/// what was typed, and why it was refused).
async fn requests_page(
    state: &State,
    headers: &HeaderMap,
    s: &Session,
    at: &ListQuery,
    status: StatusCode,
    posted: Draft,
    problems: Problems,
) -> Result<Response> {
    let mut conn = state.db.read().await?;
    let filter = TicketFilter { requester_id: Some(s.actor.id()), ..Default::default() };
    let req = match (at.after, at.before) {
        (Some(id), _) => PageRequest::After { id: Some(id), size: REQUESTS_PER_PAGE },
        (None, id) => PageRequest::Before { id: id.unwrap_or(i64::MAX), size: REQUESTS_PER_PAGE },
    };
    let page = frontdesk_store::tickets::list(&mut conn, &filter, req).await?;
    let defs: Vec<FieldDef> =
        portal_fields(&mut conn).await?.into_iter().filter(|f| f.editable).map(|f| f.def).collect();
    let labels = customer_labels(&mut conn).await?;
    drop(conn);
    let r = reader(state, headers, Some(&s.actor.user)).await?;
    let mut items = page.items;
    items.reverse();
    // Newer requests exist when this page was reached going back, or going forward found more.
    let newer = items.first().filter(|_| at.before.is_some() || (at.after.is_some() && page.has_more)).map(|t| t.id);
    let older = items.last().filter(|_| at.after.is_some() || page.has_more).map(|t| t.id);
    let list: Vec<minijinja::Value> = items
        .iter()
        .map(|t| {
            let (updated, updated_iso) = local_time(t.updated_at, &r.tz);
            let label = t.custom_status_id.and_then(|c| labels.get(&c).cloned());
            context! { id => t.id, subject => t.subject.clone().unwrap_or_default(), status => t.status.clone(), label, updated, updated_iso }
        })
        .collect();
    let one = |k: &str| posted.fields.get(k).and_then(|v| v.last()).cloned().unwrap_or_default();
    let form = context! { subject => one("subject"), description => posted.body.clone() };
    let custom_fields = field_inputs(&defs, None, &posted, &problems);
    let me = super::pages::me(state, s).await?;
    Ok(render(
        status,
        "portal.html",
        r.locale,
        context! {
            me, csrf => s.csrf.clone(), requests => list, newer, older, form, custom_fields,
            form_id => "new-request",
            errors => problems.by_input(), error => problems.above(),
        },
    ))
}

pub async fn requests(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    PageQuery(at): PageQuery<ListQuery>,
) -> Result<Response> {
    let s = match signed_in(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    requests_page(&state, &headers, &s, &at, StatusCode::OK, Draft::default(), Problems::default()).await
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
    let again = async |status: StatusCode, posted: Draft, problems: Problems| {
        requests_page(&state, &headers, &s, &ListQuery::default(), status, posted, problems).await
    };
    if !session::csrf_ok(&s.csrf, Some(&one("_csrf"))) {
        let mut problems = Problems::default();
        problems.add_above(crate::i18n::tr(locale, "stale-form", &[]));
        return again(StatusCode::FORBIDDEN, posted, problems).await;
    }
    let mut conn = state.db.read().await?;
    let offered: Vec<PortalField> = portal_fields(&mut conn).await?.into_iter().filter(|f| f.editable).collect();
    drop(conn);
    let allowed: HashSet<i64> = offered.iter().map(|f| f.def.id).collect();
    let values = custom_field_values(&form, Some(&allowed));
    // Required in the portal: checked here, as the API has no notion of the portal.
    let mut missing = super::pages::subject_and_description(&one("subject"), &one("description"));
    missing.extend(
        offered
            .iter()
            .filter(|f| f.required)
            .filter(|f| {
                let given = values.iter().find(|v| v["id"] == f.def.id).map(|v| &v["value"]);
                match given {
                    None | Some(Value::Null) => true,
                    Some(Value::String(s)) => s.trim().is_empty(),
                    Some(Value::Array(a)) => a.is_empty(),
                    Some(Value::Bool(b)) => !b && f.def.kind == FieldType::Checkbox,
                    _ => false,
                }
            })
            .map(|f| {
                FieldError::new("custom_fields", "BlankValue", format!("{} is required", f.def.title))
                    .message("portal-field-required", &[("field", f.def.title.clone())])
                    .about_custom_field(f.def.id)
            }),
    );
    let mut change = serde_json::Map::new();
    change.insert("subject".into(), json!(one("subject").trim()));
    change.insert("comment".into(), json!({"body": one("description")}));
    if !values.is_empty() {
        change.insert("custom_fields".into(), Value::Array(values));
    }
    let actor = s.actor.clone();
    let made = match TicketInput::parse(&change) {
        Ok(_) if !missing.is_empty() => Err(ApiError::Invalid(missing)),
        Ok(input) => crate::app::tickets::create(&state, &actor, input, &crate::app::Via::web()).await,
        Err(e) => Err(e),
    };
    match made {
        Ok(saved) => Ok(Redirect::to(&format!("/portal/requests/{}", saved.ticket.id)).into_response()),
        Err(ApiError::Invalid(errors)) => {
            let problems = Problems::place(locale, &errors, |f| match Problems::base(f) {
                base @ ("subject" | "custom_fields") => Some(base.to_string()),
                "comment" | "description" => Some("description".into()),
                _ => None,
            });
            again(StatusCode::UNPROCESSABLE_ENTITY, posted, problems).await
        }
        Err(e) => Err(e.into()),
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
    let visible = portal_fields(&mut conn).await?;
    let labels = customer_labels(&mut conn).await?;
    let values = frontdesk_store::custom_fields::values(&mut conn, Record::Ticket, &[id]).await?;
    drop(conn);
    let r = reader(state, headers, Some(&s.actor.user)).await?;
    // The fields the portal shows, with their values as the customer would read them.
    let details: Vec<minijinja::Value> = visible
        .iter()
        .filter_map(|f| {
            let stored = values.get(&id).and_then(|m| m.get(&f.def.id)).filter(|v| !v.is_empty())?;
            let shown: Vec<String> = stored
                .iter()
                .map(|v| match f.def.kind {
                    FieldType::Checkbox => crate::i18n::tr(r.locale, if v == "true" { "yes" } else { "no" }, &[]),
                    _ => f.def.options.iter().find(|o| &o.value == v).map_or_else(|| v.clone(), |o| o.name.clone()),
                })
                .collect();
            Some(context! { title => f.def.title.clone(), value => shown.join(", ") })
        })
        .collect();
    let support = crate::i18n::tr(r.locale, "support-team", &[]);
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
    let label = t.custom_status_id.and_then(|c| labels.get(&c).cloned());
    let ticket =
        context! { id => t.id, subject => t.subject.clone().unwrap_or_default(), status => t.status.clone(), label };
    let me = super::pages::me(state, s).await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(
        status,
        "request.html",
        r.locale,
        context! { me, csrf => s.csrf.clone(), ticket, details, comments => list, error },
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
    PageForm(f): PageForm<ReplyForm>,
) -> Result<Response> {
    let (s, id) = match caller_and_id(&state, &headers, false, &id).await {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let locale = reader(&state, &headers, Some(&s.actor.user)).await?.locale;
    if !session::csrf_ok(&s.csrf, f.csrf.as_deref()) {
        return request_page(&state, &headers, &s, id, Some(crate::i18n::tr(locale, "stale-form", &[]))).await;
    }
    if f.body.trim().is_empty() {
        return request_page(&state, &headers, &s, id, Some(crate::i18n::tr(locale, "reply-blank", &[]))).await;
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
    let done = crate::app::tickets::update(&state, &s.actor, id, input, &crate::app::Via::web()).await;
    match done {
        Ok(_) => Ok(Redirect::to(&format!("/portal/requests/{id}?saved=1")).into_response()),
        Err(ApiError::Invalid(errors)) => {
            let message = invalid_message(locale, &errors);
            request_page(&state, &headers, &s, id, Some(message)).await
        }
        Err(e) => Err(e.into()),
    }
}
