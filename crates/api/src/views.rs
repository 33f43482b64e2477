//! `/api/v2/views`: saved ticket queues. A view's conditions compile through the search
//! compiler on every read, so its tickets and counts are always current (`fresh: true`), and
//! a view holds as many tickets as match: no cap.

use std::collections::BTreeSet;

use axum::extract::{Path, State as AxState};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{delete, get, post, put};
use serde_json::{Map, Value, json};

use frontdesk_domain::conditions::Conditions;
use frontdesk_domain::fields::FieldDef;
use frontdesk_domain::filter::{Filter, Record};
use frontdesk_store::search::{self, SortBy};
use frontdesk_store::tickets::Ticket;
use frontdesk_store::views::{self, View};
use frontdesk_store::{AnyConnection, Page, PageRequest};

use super::extract::{Base, JsonBody, Params, SignedIn, path_id};
use super::paging::Paging;
use super::{Endpoint, created, ep, no_content, ok, render, require_admin, require_staff};
use crate::State;
use crate::app::fields;
use crate::app::input::root;
use crate::app::views::{self as app, COLUMNS, Output};
use crate::auth::Actor;
use crate::clock::iso;
use crate::error::ApiError;
use frontdesk_edge::Result;

const T: &str = "views";

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        ep(Method::GET, "/api/v2/views", T, "List views", get(list)),
        ep(Method::POST, "/api/v2/views", T, "Create a view", post(create)),
        ep(Method::GET, "/api/v2/views/active", T, "List active views", get(active)),
        ep(Method::GET, "/api/v2/views/compact", T, "List active views (compact)", get(active)),
        ep(Method::GET, "/api/v2/views/count", T, "How many views there are", get(count_views)),
        ep(Method::GET, "/api/v2/views/count_many", T, "Ticket counts of several views (?ids=)", get(count_many)),
        ep(Method::DELETE, "/api/v2/views/destroy_many", T, "Delete several views (?ids=)", delete(destroy_many)),
        ep(Method::POST, "/api/v2/views/preview", T, "Run unsaved conditions (rows and columns)", post(preview)),
        ep(Method::POST, "/api/v2/views/preview/count", T, "Count unsaved conditions", post(preview_count)),
        ep(Method::GET, "/api/v2/views/{id}", T, "Show a view", get(show)),
        ep(Method::PUT, "/api/v2/views/{id}", T, "Update a view", put(update)),
        ep(Method::DELETE, "/api/v2/views/{id}", T, "Delete a view", delete(destroy)),
        ep(Method::GET, "/api/v2/views/{id}/tickets", T, "The view's tickets, in its order", get(tickets)),
        ep(Method::GET, "/api/v2/views/{id}/count", T, "The view's ticket count (always fresh)", get(count)),
        ep(Method::GET, "/api/v2/views/{id}/execute", T, "The view's rows and columns", get(execute)),
    ]
}

fn column_title(id: &Value, defs: &[FieldDef]) -> String {
    match id {
        Value::String(s) => COLUMNS.iter().find(|(k, _)| k == s).map_or(s.clone(), |(_, t)| t.to_string()),
        Value::Number(n) => defs.iter().find(|d| Some(d.id) == n.as_i64()).map_or(n.to_string(), |d| d.title.clone()),
        other => other.to_string(),
    }
}

fn view_json(base: &Base, v: &View, defs: &[FieldDef]) -> Value {
    let out = Output::parse(&v.output);
    // A view that cannot be read shows null where it could not be read, and says why.
    let problem = app::unreadable(v).map(|e| json!({"message": e.to_string()}));
    let conditions = app::conditions_of(v).ok();
    let columns: Vec<Value> = out
        .columns
        .iter()
        .map(|c| json!({"id": c, "title": column_title(c, defs), "filterable": true, "sortable": true}))
        .collect();
    let titled = |id: &str, order: &str| json!({"id": id, "title": column_title(&json!(id), defs), "order": order});
    json!({
        "url": base.url(&format!("/api/v2/views/{}.json", v.id)),
        "id": v.id,
        "title": v.title,
        "raw_title": v.title,
        "active": v.active != 0,
        "default": false,
        "position": v.position,
        "description": v.description,
        "restriction": app::restriction_of(v).ok().flatten(),
        "problem": problem,
        "created_at": iso(v.created_at),
        "updated_at": iso(v.updated_at),
        "execution": {
            "group_by": out.group_by,
            "group_order": out.group_order,
            "sort_by": out.sort_by,
            "sort_order": out.sort_order,
            "group": out.group_by.as_deref().map(|g| titled(g, &out.group_order)),
            "sort": titled(&out.sort_by, &out.sort_order),
            "columns": columns,
            "fields": columns,
            "custom_fields": [],
        },
        "conditions": conditions,
    })
}

/// The views this caller may see.
async fn list_views(state: &State, actor: &Actor, base: &Base, active_only: bool) -> Result<Response> {
    require_staff(actor)?;
    let mut conn = state.db.read().await?;
    let list = app::visible_views(&mut conn, actor, active_only).await?;
    let defs = frontdesk_store::custom_fields::defs(&mut conn, Record::Ticket).await?;
    let items: Vec<Value> = list.iter().map(|v| view_json(base, v, &defs)).collect();
    let n = items.len();
    Ok(ok(json!({"views": items, "next_page": null, "previous_page": null, "count": n})))
}

async fn list(AxState(state): AxState<State>, SignedIn(actor): SignedIn, base: Base) -> Result<Response> {
    list_views(&state, &actor, &base, false).await
}

async fn active(AxState(state): AxState<State>, SignedIn(actor): SignedIn, base: Base) -> Result<Response> {
    list_views(&state, &actor, &base, true).await
}

async fn count_views(AxState(state): AxState<State>, SignedIn(actor): SignedIn) -> Result<Response> {
    require_staff(&actor)?;
    let mut conn = state.db.read().await?;
    let n = app::visible_views(&mut conn, &actor, false).await?.len();
    Ok(ok(json!({"count": {"value": n, "refreshed_at": iso(state.now())}})))
}

async fn show(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
) -> Result<Response> {
    require_staff(&actor)?;
    let mut conn = state.db.read().await?;
    let v = app::find(&mut conn, &actor, path_id(&id)?).await?;
    let defs = frontdesk_store::custom_fields::defs(&mut conn, Record::Ticket).await?;
    Ok(ok(json!({"view": view_json(&base, &v, &defs)})))
}

async fn create(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_staff(&actor)?;
    let m = root(&body, "view")?;
    let (v, defs) = app::create(&state, &actor, m).await?;
    Ok(created(json!({"view": view_json(&base, &v, &defs)}), &base.url(&format!("/api/v2/views/{}.json", v.id))))
}

async fn update(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_staff(&actor)?;
    let id = path_id(&id)?;
    let m = root(&body, "view")?;
    let (v, defs) = app::update(&state, &actor, id, m).await?;
    Ok(ok(json!({"view": view_json(&base, &v, &defs)})))
}

async fn destroy(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
) -> Result<Response> {
    require_staff(&actor)?;
    app::delete(&state, &actor, path_id(&id)?).await?;
    Ok(no_content())
}

async fn destroy_many(AxState(state): AxState<State>, SignedIn(actor): SignedIn, params: Params) -> Result<Response> {
    require_admin(&actor)?;
    let ids = params.ids("ids", 100)?.ok_or_else(|| ApiError::BadRequest("Give ?ids=1,2,3".into()))?;
    app::delete_many(&state, &ids).await?;
    Ok(no_content())
}

/// A view's conditions as a filter, resolved for this caller now.
async fn filter_of(conn: &mut AnyConnection, state: &State, actor: &Actor, c: &Conditions) -> Result<Filter> {
    let defs = frontdesk_store::custom_fields::defs(conn, Record::Ticket).await?;
    Ok(app::compile(c, state.now(), actor.id(), &defs)?)
}

fn count_json(base: &Base, view_id: i64, n: i64) -> Value {
    let pretty = if n >= 100_000 { format!("~{}k", n / 1000) } else { n.to_string() };
    json!({
        "view_id": view_id,
        "url": base.url(&format!("/api/v2/views/{view_id}/count.json")),
        "value": n,
        "pretty": pretty,
        "fresh": true,
    })
}

async fn count(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
) -> Result<Response> {
    require_staff(&actor)?;
    let mut conn = state.db.read().await?;
    let v = app::find(&mut conn, &actor, path_id(&id)?).await?;
    let f = filter_of(&mut conn, &state, &actor, &app::conditions_of(&v)?).await?;
    let n = state.counts.count(&mut conn, &f).await?;
    Ok(ok(json!({"view_count": count_json(&base, v.id, n)})))
}

async fn count_many(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    require_staff(&actor)?;
    // zenpy sends ?count_many=1,2 rather than ?ids=.
    let ids = match params.ids("ids", 100)? {
        Some(ids) => ids,
        None => params.ids("count_many", 100)?.ok_or_else(|| ApiError::BadRequest("Give ?ids=1,2,3".into()))?,
    };
    let mut conn = state.db.read().await?;
    let groups = frontdesk_store::groups::group_ids_of(&mut conn, &[actor.id()]).await?;
    let list: Vec<View> = views::get_many(&mut conn, &ids)
        .await?
        .into_iter()
        .filter(|v| app::visible(v, actor.id(), actor.is_admin(), &groups))
        .collect();
    let mut out = Vec::new();
    let defs = frontdesk_store::custom_fields::defs(&mut conn, Record::Ticket).await?;
    for v in &list {
        let f = app::compile(&app::conditions_of(v)?, state.now(), actor.id(), &defs)?;
        out.push(count_json(&base, v.id, state.counts.count(&mut conn, &f).await?));
    }
    Ok(ok(json!({"view_counts": out})))
}

/// One page of a filter's tickets in the view's order: offset pages (with a count) sorted as
/// the view says, or cursor pages by id.
async fn ticket_page(
    conn: &mut AnyConnection,
    state: &State,
    f: &Filter,
    out: &Output,
    paging: Paging,
) -> Result<Page<Ticket>> {
    Ok(match paging.req {
        PageRequest::Offset { page, per_page } => {
            let (items, total) = state.counts.page(conn, f, out.order(), (page - 1) * per_page, per_page).await?;
            Page { items, has_more: page * per_page < total, count: Some(total) }
        }
        req => search::cursor_page(conn, Record::Ticket, f, req).await?,
    })
}

async fn tickets(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
    Path(id): Path<String>,
) -> Result<Response> {
    require_staff(&actor)?;
    let paging = Paging::from_params(&params)?;
    let mut conn = state.db.read().await?;
    let v = app::find(&mut conn, &actor, path_id(&id)?).await?;
    let f = filter_of(&mut conn, &state, &actor, &app::conditions_of(&v)?).await?;
    let page = ticket_page(&mut conn, &state, &f, &Output::parse(&v.output), paging).await?;
    let items = render::tickets(&mut conn, &base, &page.items).await?;
    Ok(ok(Value::Object(paging.respond(&base, &params, "tickets", items, &page))))
}

/// Rows with the view's columns, the columns, and the users they mention.
async fn rows(
    conn: &mut AnyConnection,
    state: &State,
    base: &Base,
    params: &Params,
    f: &Filter,
    out: &Output,
    defs: &[FieldDef],
) -> Result<Map<String, Value>> {
    let paging = Paging::from_params(params)?;
    let page = ticket_page(conn, state, f, out, paging).await?;
    let ids: Vec<i64> = page.items.iter().map(|t| t.id).collect();
    let values = frontdesk_store::custom_fields::values(conn, Record::Ticket, &ids).await?;
    let mut user_ids = BTreeSet::new();
    let mut rows = Vec::new();
    for t in &page.items {
        user_ids.insert(t.requester_id);
        user_ids.extend(t.assignee_id);
        let mut row = Map::new();
        row.insert(
            "ticket".into(),
            json!({
                "id": t.id,
                "url": base.url(&format!("/api/v2/tickets/{}.json", t.id)),
                "subject": t.subject,
                "description": t.description,
                "status": t.status,
                "type": t.ticket_type,
                "priority": t.priority,
                "last_comment": null,
            }),
        );
        for col in &out.columns {
            let (key, value) = match col {
                Value::String(s) => match s.as_str() {
                    "nice_id" => ("ticket_id".to_string(), json!(t.id)),
                    "subject" => (s.clone(), json!(t.subject)),
                    "requester" => ("requester_id".into(), json!(t.requester_id)),
                    "assignee" => ("assignee_id".into(), json!(t.assignee_id)),
                    "group" => ("group_id".into(), json!(t.group_id)),
                    "organization" => ("organization_id".into(), json!(t.organization_id)),
                    "status" => (s.clone(), json!(t.status)),
                    "custom_status_id" => (s.clone(), json!(t.custom_status_id)),
                    "priority" => (s.clone(), json!(t.priority)),
                    "type" => (s.clone(), json!(t.ticket_type)),
                    "created" => (s.clone(), json!(iso(t.created_at))),
                    "updated" => (s.clone(), json!(iso(t.updated_at))),
                    "due_date" => (s.clone(), json!(t.due_at.map(iso))),
                    _ => continue,
                },
                Value::Number(n) => {
                    let Some(d) = defs.iter().find(|d| Some(d.id) == n.as_i64()) else { continue };
                    let stored = values.get(&t.id).and_then(|v| v.get(&d.id)).map_or(&[][..], Vec::as_slice);
                    (d.id.to_string(), d.to_json(stored))
                }
                _ => continue,
            };
            row.insert(key, value);
        }
        row.insert("custom_fields".into(), fields::ticket_json(defs, values.get(&t.id)));
        rows.push(Value::Object(row));
    }
    let users: Vec<i64> = user_ids.into_iter().collect();
    let users: Vec<Value> = frontdesk_store::users::get_many(conn, &users)
        .await?
        .iter()
        .map(|u| json!({"id": u.id, "name": u.name, "url": base.url(&format!("/api/v2/users/{}.json", u.id))}))
        .collect();
    let columns: Vec<Value> = out.columns.iter().map(|c| json!({"id": c, "title": column_title(c, defs)})).collect();
    let mut body = paging.respond(base, params, "rows", rows, &page);
    body.insert("columns".into(), Value::Array(columns));
    body.insert("groups".into(), groups(conn, f, out).await?);
    body.insert("users".into(), Value::Array(users));
    Ok(body)
}

/// A grouped view's groups, each with its key, name and number of tickets; `[]` when the view
/// is not grouped.
async fn groups(conn: &mut AnyConnection, f: &Filter, out: &Output) -> Result<Value> {
    let Some((by, desc)) = out.order().group else { return Ok(json!([])) };
    let mut groups = search::group_counts(conn, f, by).await?.unwrap_or_default();
    if desc {
        groups.reverse();
    }
    let numeric = !matches!(by, SortBy::Status | SortBy::Priority | SortBy::TicketType);
    Ok(groups
        .into_iter()
        .map(|g| {
            let id = match (&g.key, numeric) {
                (Some(k), true) => json!(k.parse::<i64>().ok()),
                (k, _) => json!(k),
            };
            json!({"id": id, "name": g.name, "count": g.count})
        })
        .collect())
}

async fn execute(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
    Path(id): Path<String>,
) -> Result<Response> {
    require_staff(&actor)?;
    let mut conn = state.db.read().await?;
    let v = app::find(&mut conn, &actor, path_id(&id)?).await?;
    let out = Output::parse(&v.output);
    let defs = frontdesk_store::custom_fields::defs(&mut conn, Record::Ticket).await?;
    let f = app::compile(&app::conditions_of(&v)?, state.now(), actor.id(), &defs)?;
    let mut body = rows(&mut conn, &state, &base, &params, &f, &out, &defs).await?;
    body.insert("view".into(), view_json(&base, &v, &defs));
    Ok(ok(Value::Object(body)))
}

/// The unsaved view a preview body describes, checked as a save would check it.
async fn unsaved(state: &State, actor: &Actor, body: &Value) -> Result<View> {
    let m = root(body, "view")?;
    let mut m = m.clone();
    m.entry("title").or_insert(json!("Preview"));
    let mut conn = state.db.read().await?;
    let mut v = View::default();
    app::apply(&mut conn, &mut v, &m, state.now(), actor.id()).await?;
    Ok(v)
}

async fn preview(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_staff(&actor)?;
    let v = unsaved(&state, &actor, &body).await?;
    let mut conn = state.db.read().await?;
    let out = Output::parse(&v.output);
    let defs = frontdesk_store::custom_fields::defs(&mut conn, Record::Ticket).await?;
    let f = app::compile(&app::conditions_of(&v)?, state.now(), actor.id(), &defs)?;
    let body = rows(&mut conn, &state, &base, &params, &f, &out, &defs).await?;
    Ok(ok(Value::Object(body)))
}

async fn preview_count(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_staff(&actor)?;
    let v = unsaved(&state, &actor, &body).await?;
    let mut conn = state.db.read().await?;
    let f = filter_of(&mut conn, &state, &actor, &app::conditions_of(&v)?).await?;
    let n = state.counts.count(&mut conn, &f).await?;
    Ok(ok(json!({"view_count": count_json(&base, 0, n)})))
}
