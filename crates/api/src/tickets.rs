//! `/api/v2/tickets` and what hangs off tickets: comments, audits, tags, deleted tickets.

use axum::extract::{Path, State as AxState};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{delete, get, post, put};
use serde_json::{Map, Value, json};

use frontdesk_domain::JobKind;
use frontdesk_store::tickets::{self, TicketFilter};
use frontdesk_store::{account, audits};

use super::extract::{Base, JsonBody, Params, SignedIn, path_id};
use super::paging::Paging;
use super::{Endpoint, created, ep, no_content, ok, render, require_staff};
use crate::State;
use crate::app::Via;
use crate::app::input::TagMode;
use crate::app::input::root;
use crate::app::jobs;
use crate::app::tickets::{Saved, TicketInput, load};
use crate::auth::Actor;
use crate::error::ApiError;
use frontdesk_edge::Result;

const T: &str = "tickets";

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        ep(Method::GET, "/api/v2/tickets", T, "List tickets", get(list)),
        ep(Method::POST, "/api/v2/tickets", T, "Create a ticket", post(create)),
        ep(Method::GET, "/api/v2/tickets/show_many", T, "Show several tickets", get(show_many)),
        ep(Method::POST, "/api/v2/tickets/create_many", T, "Create up to 100 tickets (job)", post(create_many)),
        ep(Method::PUT, "/api/v2/tickets/update_many", T, "Update up to 100 tickets (job)", put(update_many)),
        ep(Method::DELETE, "/api/v2/tickets/destroy_many", T, "Delete up to 100 tickets (job)", delete(destroy_many)),
        ep(Method::GET, "/api/v2/tickets/{id}", T, "Show a ticket", get(show)),
        ep(Method::PUT, "/api/v2/tickets/{id}", T, "Update a ticket", put(update)),
        ep(Method::DELETE, "/api/v2/tickets/{id}", T, "Delete a ticket", delete(destroy)),
        ep(Method::GET, "/api/v2/tickets/{id}/tags", T, "List a ticket's tags", get(tags_list)),
        ep(Method::POST, "/api/v2/tickets/{id}/tags", T, "Replace a ticket's tags", post(tags_replace)),
        ep(Method::PUT, "/api/v2/tickets/{id}/tags", T, "Add tags to a ticket", put(tags_add)),
        ep(Method::DELETE, "/api/v2/tickets/{id}/tags", T, "Remove tags from a ticket", delete(tags_remove)),
        ep(Method::GET, "/api/v2/tickets/{id}/comments", T, "List a ticket's comments", get(comments)),
        ep(Method::GET, "/api/v2/tickets/{id}/audits", T, "List a ticket's audits", get(ticket_audits)),
        ep(Method::GET, "/api/v2/ticket_audits", T, "List every audit (cursor only)", get(all_audits)),
        ep(Method::GET, "/api/v2/deleted_tickets", T, "List deleted tickets", get(deleted_list)),
        ep(Method::PUT, "/api/v2/deleted_tickets/{id}/restore", T, "Restore a deleted ticket", put(restore)),
        ep(Method::DELETE, "/api/v2/deleted_tickets/{id}", T, "Delete a ticket for good (job)", delete(purge)),
        ep(Method::GET, "/api/v2/users/{id}/tickets/requested", T, "Tickets a user requested", get(requested)),
        ep(Method::GET, "/api/v2/users/{id}/tickets/assigned", T, "Tickets assigned to a user", get(assigned)),
        ep(Method::GET, "/api/v2/users/{id}/tickets/ccd", T, "Tickets a user is copied on", get(ccd)),
        ep(Method::GET, "/api/v2/organizations/{id}/tickets", T, "An organization's tickets", get(org_tickets)),
    ]
}

async fn account_tz(conn: &mut frontdesk_store::AnyConnection) -> Result<String> {
    Ok(account::get(conn).await?.time_zone)
}

/// The records a caller may have sideloaded (`?include=`): staff any; a customer none (the
/// people and organizations would carry the team's notes and fields).
fn includes_for(actor: &Actor, params: &Params) -> Vec<String> {
    if actor.is_staff() { params.includes() } else { Vec::new() }
}

/// Lists tickets through `filter`, restricted to what an end user may see.
async fn list_with(
    state: &State,
    actor: &Actor,
    base: &Base,
    params: &Params,
    mut filter: TicketFilter,
) -> Result<Response> {
    let paging = Paging::from_params(params)?;
    let mut conn = state.db.read().await?;
    if !actor.is_staff() {
        let orgs = crate::app::users::organization_ids(&mut conn, actor.id()).await?;
        let shared: Vec<i64> = frontdesk_store::organizations::get_many(&mut conn, &orgs)
            .await?
            .into_iter()
            .filter(|o| o.shared_tickets != 0)
            .map(|o| o.id)
            .collect();
        filter.visible_to_end_user = Some((actor.id(), shared));
    }
    let page = tickets::list(&mut conn, &filter, paging.req).await?;
    let mut items = render::tickets(&mut conn, base, &page.items).await?;
    render::for_viewer(&mut conn, actor, &mut items).await?;
    let mut body = paging.respond(base, params, "tickets", items, &page);
    let tz = account_tz(&mut conn).await?;
    body.extend(render::sideload_for_tickets(&mut conn, base, &includes_for(actor, params), &page.items, &tz).await?);
    Ok(ok(Value::Object(body)))
}

async fn list(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    let filter = TicketFilter { external_id: params.get("external_id").map(str::to_string), ..Default::default() };
    list_with(&state, &actor, &base, &params, filter).await
}

async fn requested(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
    Path(id): Path<String>,
) -> Result<Response> {
    let id = path_id(&id)?;
    if !actor.is_staff() && id != actor.id() {
        return Err(ApiError::forbidden().into());
    }
    list_with(&state, &actor, &base, &params, TicketFilter { requester_id: Some(id), ..Default::default() }).await
}

async fn assigned(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
    Path(id): Path<String>,
) -> Result<Response> {
    require_staff(&actor)?;
    list_with(&state, &actor, &base, &params, TicketFilter { assignee_id: Some(path_id(&id)?), ..Default::default() })
        .await
}

async fn ccd(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
    Path(id): Path<String>,
) -> Result<Response> {
    let id = path_id(&id)?;
    if !actor.is_staff() && id != actor.id() {
        return Err(ApiError::forbidden().into());
    }
    list_with(&state, &actor, &base, &params, TicketFilter { collaborator_id: Some(id), ..Default::default() }).await
}

async fn org_tickets(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
    Path(id): Path<String>,
) -> Result<Response> {
    list_with(
        &state,
        &actor,
        &base,
        &params,
        TicketFilter { organization_id: Some(path_id(&id)?), ..Default::default() },
    )
    .await
}

/// `{"ticket": …, "audit": …}`, as zenpy expects from a create or update; `files` are the
/// new comment's (read only when it took uploads).
fn saved_body(base: &Base, saved: &Saved, files: &render::Files) -> Value {
    let ticket = render::ticket(base, &saved.ticket, &saved.tags, &saved.collaborators, saved.custom_fields.clone());
    let comments: Vec<&frontdesk_store::audits::Comment> = saved.comment.iter().collect();
    let audit = match &saved.audit {
        Some(a) => render::audit(base, a, &comments, false, files),
        None => json!({"id": null, "ticket_id": saved.ticket.id, "events": []}),
    };
    json!({"ticket": ticket, "audit": audit})
}

async fn create(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let mut input = TicketInput::parse(root(&body, "ticket")?)?;
    let uploads = input.comment.as_ref().is_some_and(|c| !c.uploads.is_empty());
    if params.get("async") == Some("true") {
        let job =
            jobs::enqueue_bulk(&state, &actor, JobKind::CreateTickets, json!({"tickets": [body["ticket"].clone()]}), 1)
                .await?;
        return Ok(super::json_response(
            axum::http::StatusCode::ACCEPTED,
            &json!({"job_status": render::job_status(&base, &job)}),
        ));
    }
    crate::app::tickets::pre_resolve(&mut *state.db.read().await?, &actor, &mut input).await?;
    // A customer's copy of the answer hides what is the team's (only they need the clone).
    let customer = (!actor.is_staff()).then(|| actor.clone());
    let saved = crate::app::tickets::create(&state, &actor, input, &Via::api()).await?;
    let files = new_comment_files(&state, &saved, uploads).await?;
    let mut body = saved_body(&base, &saved, &files);
    if let Some(c) = &customer {
        render::for_viewer(&mut *state.db.read().await?, c, std::slice::from_mut(&mut body["ticket"])).await?;
        render::audit_for_viewer(c, &mut body["audit"]);
    }
    Ok(created(body, &base.url(&format!("/api/v2/tickets/{}.json", saved.ticket.id))))
}

async fn show(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
    Path(id): Path<String>,
) -> Result<Response> {
    let id = path_id(&id)?;
    let mut conn = state.db.read().await?;
    let t = load(&mut conn, &actor, id, false).await?;
    let mut ticket = render::tickets(&mut conn, &base, std::slice::from_ref(&t)).await?;
    render::for_viewer(&mut conn, &actor, &mut ticket).await?;
    let ticket = ticket.remove(0);
    let mut body = Map::new();
    body.insert("ticket".into(), ticket);
    let tz = account_tz(&mut conn).await?;
    body.extend(
        render::sideload_for_tickets(&mut conn, &base, &includes_for(&actor, &params), std::slice::from_ref(&t), &tz)
            .await?,
    );
    Ok(ok(Value::Object(body)))
}

async fn update(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let id = path_id(&id)?;
    let input = TicketInput::parse(root(&body, "ticket")?)?;
    let uploads = input.comment.as_ref().is_some_and(|c| !c.uploads.is_empty());
    let saved = crate::app::tickets::update(&state, &actor, id, input, &Via::api()).await?;
    let files = new_comment_files(&state, &saved, uploads).await?;
    let mut body = saved_body(&base, &saved, &files);
    render::for_viewer(&mut *state.db.read().await?, &actor, std::slice::from_mut(&mut body["ticket"])).await?;
    render::audit_for_viewer(&actor, &mut body["audit"]);
    Ok(ok(body))
}

/// The files the saved comment took, when it named uploads.
async fn new_comment_files(state: &State, saved: &Saved, uploads: bool) -> Result<render::Files> {
    match (&saved.comment, uploads) {
        (Some(c), true) => render::files_of(&mut *state.db.read().await?, &[c.id]).await,
        _ => Ok(render::Files::new()),
    }
}

async fn destroy(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
) -> Result<Response> {
    require_staff(&actor)?;
    let id = path_id(&id)?;
    crate::app::tickets::delete(&state, &actor, id).await?;
    Ok(no_content())
}

async fn show_many(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    let ids = params.ids("ids", 100)?.ok_or_else(|| ApiError::BadRequest("Parameter ids is required".into()))?;
    let mut conn = state.db.read().await?;
    let mut list = tickets::get_many(&mut conn, &ids).await?;
    if !actor.is_staff() {
        let mut visible = Vec::new();
        for t in list {
            if crate::app::tickets::visible_to(&mut conn, &actor, &t).await? {
                visible.push(t);
            }
        }
        list = visible;
    }
    let mut items = render::tickets(&mut conn, &base, &list).await?;
    render::for_viewer(&mut conn, &actor, &mut items).await?;
    let count = items.len();
    let mut body = Map::new();
    body.insert("tickets".into(), Value::Array(items));
    body.insert("next_page".into(), Value::Null);
    body.insert("previous_page".into(), Value::Null);
    body.insert("count".into(), json!(count));
    let tz = account_tz(&mut conn).await?;
    body.extend(render::sideload_for_tickets(&mut conn, &base, &includes_for(&actor, &params), &list, &tz).await?);
    Ok(ok(Value::Object(body)))
}

fn job_response(base: &Base, job: &frontdesk_store::jobs::Job) -> Response {
    ok(json!({"job_status": render::job_status(base, job)}))
}

async fn create_many(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_staff(&actor)?;
    let list = body
        .get("tickets")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::BadRequest("The request body must have a \"tickets\" array".into()))?;
    if list.len() > 100 {
        return Err(ApiError::TooManyValues(100).into());
    }
    if list.is_empty() {
        return Err(ApiError::BadRequest("\"tickets\" must not be empty".into()).into());
    }
    // Validate the shape of every item now, so a malformed batch is refused before any job.
    for (i, t) in list.iter().enumerate() {
        let m = t.as_object().ok_or_else(|| ApiError::BadRequest(format!("tickets[{i}] must be an object")))?;
        TicketInput::parse(m)?;
    }
    let n = list.len() as i64;
    let job = jobs::enqueue_bulk(&state, &actor, JobKind::CreateTickets, json!({"tickets": list}), n).await?;
    Ok(job_response(&base, &job))
}

async fn update_many(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_staff(&actor)?;
    // Two forms: `?ids=1,2` with one change for all, or a `tickets` array of changes with ids.
    let payload = if let Some(ids) = params.ids("ids", 100)? {
        let change = root(&body, "ticket")?;
        TicketInput::parse(change)?;
        json!({"ids": ids, "ticket": change})
    } else {
        let list = body
            .get("tickets")
            .and_then(Value::as_array)
            .ok_or_else(|| ApiError::BadRequest("Give ?ids= with a \"ticket\", or a \"tickets\" array".into()))?;
        if list.len() > 100 {
            return Err(ApiError::TooManyValues(100).into());
        }
        for (i, t) in list.iter().enumerate() {
            let m = t.as_object().ok_or_else(|| ApiError::BadRequest(format!("tickets[{i}] must be an object")))?;
            if m.get("id").and_then(Value::as_i64).is_none() {
                return Err(ApiError::invalid("id", format!("tickets[{i}].id: is required")).into());
            }
            TicketInput::parse(m)?;
        }
        json!({"tickets": list})
    };
    let total = payload.get("ids").or(payload.get("tickets")).and_then(Value::as_array).map_or(0, |a| a.len()) as i64;
    let job = jobs::enqueue_bulk(&state, &actor, JobKind::UpdateTickets, payload, total).await?;
    Ok(job_response(&base, &job))
}

async fn destroy_many(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    require_staff(&actor)?;
    let ids = params.ids("ids", 100)?.ok_or_else(|| ApiError::BadRequest("Parameter ids is required".into()))?;
    let job =
        jobs::enqueue_bulk(&state, &actor, JobKind::DestroyTickets, json!({"ids": ids}), ids.len() as i64).await?;
    Ok(job_response(&base, &job))
}

async fn tags_list(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
) -> Result<Response> {
    let id = path_id(&id)?;
    let mut conn = state.db.read().await?;
    load(&mut conn, &actor, id, false).await?;
    let list = frontdesk_store::tags::list(&mut conn, frontdesk_store::tags::Tagged::Ticket, id).await?;
    Ok(ok(json!({"tags": list})))
}

async fn tags_change(state: State, actor: Actor, id: String, body: Value, mode: TagMode) -> Result<Vec<String>> {
    require_staff(&actor)?;
    let id = path_id(&id)?;
    let (o, list) = crate::app::input::tags_body(&body)?;
    let stamp = Some((o.bool("safe_update")?.unwrap_or(false), o.str("updated_stamp", 64)?.set()));
    Ok(crate::app::tickets::change_tags(&state, &actor, id, mode, list, stamp).await?)
}

async fn tags_replace(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let tags = tags_change(state, actor, id, body, TagMode::Replace).await?;
    Ok(super::json_response(axum::http::StatusCode::CREATED, &json!({"tags": tags})))
}

async fn tags_add(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    Ok(ok(json!({"tags": tags_change(state, actor, id, body, TagMode::Add).await?})))
}

async fn tags_remove(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    Ok(ok(json!({"tags": tags_change(state, actor, id, body, TagMode::Remove).await?})))
}

async fn comments(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
    Path(id): Path<String>,
) -> Result<Response> {
    let id = path_id(&id)?;
    let paging = Paging::from_params(&params)?;
    let mut conn = state.db.read().await?;
    load(&mut conn, &actor, id, false).await?;
    let page = audits::list_comments(&mut conn, id, !actor.is_staff(), paging.req).await?;
    let ids: Vec<i64> = page.items.iter().map(|c| c.id).collect();
    let files = render::files_of(&mut conn, &ids).await?;
    let items = page.items.iter().map(|c| render::comment(&base, c, &files)).collect();
    Ok(ok(Value::Object(paging.respond(&base, &params, "comments", items, &page))))
}

async fn ticket_audits(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
    Path(id): Path<String>,
) -> Result<Response> {
    require_staff(&actor)?;
    let id = path_id(&id)?;
    let paging = Paging::from_params(&params)?;
    let mut conn = state.db.read().await?;
    load(&mut conn, &actor, id, false).await?;
    let page = audits::list_audits(&mut conn, Some(id), paging.req).await?;
    let items = render::audits(&mut conn, &base, &page.items, false).await?;
    Ok(ok(Value::Object(paging.respond(&base, &params, "audits", items, &page))))
}

async fn all_audits(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    require_staff(&actor)?;
    let paging = Paging::cursor_only(&params)?;
    let mut conn = state.db.read().await?;
    let page = audits::list_audits(&mut conn, None, paging.req).await?;
    let items = render::audits(&mut conn, &base, &page.items, false).await?;
    Ok(ok(Value::Object(paging.respond(&base, &params, "audits", items, &page))))
}

async fn deleted_list(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    require_staff(&actor)?;
    let paging = Paging::from_params(&params)?;
    let mut conn = state.db.read().await?;
    let page = tickets::list(&mut conn, &TicketFilter { deleted: true, ..Default::default() }, paging.req).await?;
    let actor_ids: Vec<i64> = page.items.iter().filter_map(|t| t.deleted_by).collect();
    let actors = frontdesk_store::users::get_many(&mut conn, &actor_ids).await?;
    let items = page
        .items
        .iter()
        .map(|t| {
            let who = actors.iter().find(|u| Some(u.id) == t.deleted_by);
            json!({
                "id": t.id,
                "subject": t.subject,
                "description": t.description,
                "actor": who.map(|u| json!({"id": u.id, "name": u.name})),
                "deleted_at": t.deleted_at.map(crate::clock::iso),
                "previous_state": t.status,
            })
        })
        .collect();
    Ok(ok(Value::Object(paging.respond(&base, &params, "deleted_tickets", items, &page))))
}

async fn restore(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
) -> Result<Response> {
    require_staff(&actor)?;
    let id = path_id(&id)?;
    crate::app::tickets::restore(&state, id).await?;
    Ok(ok(json!({})))
}

async fn purge(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
) -> Result<Response> {
    require_staff(&actor)?;
    let id = path_id(&id)?;
    let mut conn = state.db.read().await?;
    tickets::get(&mut conn, id).await?.filter(|t| t.deleted_at.is_some()).ok_or(ApiError::NotFound)?;
    drop(conn);
    let job = jobs::enqueue_bulk(&state, &actor, JobKind::PurgeTickets, json!({"ids": [id]}), 1).await?;
    Ok(job_response(&base, &job))
}
