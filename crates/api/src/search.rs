//! `/api/v2/search` (tickets, users and organizations in one query language), its count and
//! export, and the user and organization searches. Results are current the moment a write
//! commits, and there is no result window: every match can be paged to.

use axum::extract::State as AxState;
use axum::http::Method;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Map, Value, json};

use frontdesk_domain::filter::{Filter, Record};
use frontdesk_domain::search as query;
use frontdesk_store::organizations::Organization;
use frontdesk_store::search::{self, Order, SortBy};
use frontdesk_store::tickets::Ticket;
use frontdesk_store::users::User;
use frontdesk_store::{AnyConnection, account};

use super::extract::{Base, Params, SignedIn};
use super::paging::{MAX_PAGE_SIZE, Paging};
use super::{Endpoint, ep, ok, render, require_staff};
use crate::State;
use crate::app::query::{Asker, resolve};
use crate::auth::Actor;
use crate::error::ApiError;
use frontdesk_edge::Result;

const T: &str = "search";

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        ep(Method::GET, "/api/v2/search", T, "Search tickets, users and organizations (?query=)", get(search_all)),
        ep(Method::GET, "/api/v2/search/count", T, "Count what a query matches", get(count)),
        ep(Method::GET, "/api/v2/search/export", T, "Every match of one record type, cursor-paged", get(export)),
        ep(Method::GET, "/api/v2/users/search", T, "Search users (?query= or ?external_id=)", get(users_search)),
        ep(
            Method::GET,
            "/api/v2/organizations/search",
            T,
            "Find organizations by ?external_id= or ?name=",
            get(orgs_search),
        ),
    ]
}

fn query_param(params: &Params) -> Result<String> {
    match params.get("query").map(str::trim) {
        Some(q) if !q.is_empty() => Ok(q.to_string()),
        _ => Err(ApiError::BadRequest("Parameter query is required".into()).into()),
    }
}

/// How many records match: tickets from the live counts, the others counted in SQL.
async fn count_of(state: &State, conn: &mut AnyConnection, r: Record, f: &Filter) -> Result<i64> {
    match r {
        Record::Ticket => Ok(state.counts.count(conn, f).await?),
        _ => Ok(search::count(conn, r, f).await?),
    }
}

fn asker(state: &State, actor: &Actor) -> Asker {
    Asker { now: state.now(), me: actor.id() }
}

/// The order: `order_by:`/`sort:` in the query, else `sort_by`/`sort_order` parameters.
fn sort(params: &Params, ordering: &query::Ordering) -> Result<Order> {
    let by = match ordering.order_by.as_deref().or(params.get("sort_by")).unwrap_or("") {
        "" | "relevance" => SortBy::UpdatedAt,
        "updated_at" | "updated" => SortBy::UpdatedAt,
        "created_at" | "created" => SortBy::CreatedAt,
        "priority" => SortBy::Priority,
        "status" => SortBy::Status,
        "ticket_type" => SortBy::TicketType,
        other => {
            return Err(ApiError::BadRequest(format!(
                "sort_by must be updated_at, created_at, priority, status or ticket_type, not {other:?}"
            ))
            .into());
        }
    };
    let desc = match ordering.sort.as_deref().or(params.get("sort_order")).unwrap_or("desc") {
        "desc" | "" => true,
        "asc" => false,
        other => return Err(ApiError::BadRequest(format!("sort_order must be asc or desc, not {other:?}")).into()),
    };
    Ok(Order::new(by, desc))
}

/// Renders records of one type with `result_type`.
async fn render_records(
    conn: &mut AnyConnection,
    base: &Base,
    record: Record,
    tickets: &[Ticket],
    users: &[User],
    orgs: &[Organization],
) -> Result<Vec<Value>> {
    let tz = account::get(conn).await?.time_zone;
    let mut items = match record {
        Record::Ticket => render::tickets(conn, base, tickets).await?,
        Record::User => render::users(conn, base, users, &tz).await?,
        Record::Organization => render::organizations(conn, base, orgs).await?,
    };
    for i in &mut items {
        i["result_type"] = json!(record.as_str());
    }
    Ok(items)
}

/// One window of one record type's matches; only tickets sort by ticket fields.
#[allow(clippy::too_many_arguments)]
async fn fetch_offset(
    state: &State,
    conn: &mut AnyConnection,
    base: &Base,
    record: Record,
    f: &Filter,
    order: Order,
    offset: i64,
    limit: i64,
) -> Result<Vec<Value>> {
    let by = if record == Record::Ticket || order.by == SortBy::CreatedAt { order.by } else { SortBy::UpdatedAt };
    let order = Order { by, ..order };
    match record {
        Record::Ticket => {
            let (t, _) = state.counts.page(conn, f, order, offset, limit).await?;
            render_records(conn, base, record, &t, &[], &[]).await
        }
        Record::User => {
            let u: Vec<User> = search::offset_page(conn, record, f, order, offset, limit, false).await?;
            render_records(conn, base, record, &[], &u, &[]).await
        }
        Record::Organization => {
            let o: Vec<Organization> = search::offset_page(conn, record, f, order, offset, limit, false).await?;
            render_records(conn, base, record, &[], &[], &o).await
        }
    }
}

/// Offset-paged results across record types: tickets first, then users, then organizations.
async fn search_all(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    require_staff(&actor)?;
    let raw = query_param(&params)?;
    let only = params.get("filter[type]").and_then(Record::parse);
    let per_page = params.int("per_page")?.unwrap_or(MAX_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
    let page = params.int("page")?.unwrap_or(1).max(1);
    let mut conn = state.db.read().await?;
    let (filters, ordering) = resolve(&mut conn, &raw, only, asker(&state, &actor)).await?;
    let order = sort(&params, &ordering)?;
    let mut counts = Vec::new();
    for (r, f) in &filters {
        counts.push(count_of(&state, &mut conn, *r, f).await?);
    }
    let total: i64 = counts.iter().sum();
    let mut offset = (page - 1) * per_page;
    let mut want = per_page;
    let mut results = Vec::new();
    for ((r, f), n) in filters.iter().zip(&counts) {
        if want == 0 {
            break;
        }
        if offset >= *n {
            offset -= n;
            continue;
        }
        let got = fetch_offset(&state, &mut conn, &base, *r, f, order, offset, want).await?;
        want -= got.len() as i64;
        offset = 0;
        results.extend(got);
    }
    let link = |p: i64| {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &params.pairs {
            if k != "page" && k != "per_page" {
                ser.append_pair(k, v);
            }
        }
        ser.append_pair("page", &p.to_string()).append_pair("per_page", &per_page.to_string());
        format!("{}{}?{}", base.0, params.path, ser.finish())
    };
    let mut body = Map::new();
    body.insert("results".into(), Value::Array(results));
    body.insert("facets".into(), Value::Null);
    body.insert("next_page".into(), json!((page * per_page < total).then(|| link(page + 1))));
    body.insert("previous_page".into(), json!((page > 1).then(|| link(page - 1))));
    body.insert("count".into(), json!(total));
    Ok(ok(Value::Object(body)))
}

async fn count(AxState(state): AxState<State>, SignedIn(actor): SignedIn, params: Params) -> Result<Response> {
    require_staff(&actor)?;
    let raw = query_param(&params)?;
    let mut conn = state.db.read().await?;
    let (filters, _) = resolve(&mut conn, &raw, None, asker(&state, &actor)).await?;
    let mut total = 0;
    for (r, f) in &filters {
        total += count_of(&state, &mut conn, *r, f).await?;
    }
    // Exactly one key: zenpy's count handler insists.
    Ok(ok(json!({"count": total})))
}

/// Every match of one type, cursor-paged by id (default type: ticket).
async fn export(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    require_staff(&actor)?;
    let raw = query_param(&params)?;
    let record = match params.get("filter[type]") {
        Some(t) => Record::parse(t).ok_or_else(|| {
            ApiError::BadRequest(format!("filter[type] must be ticket, user or organization, not {t:?}"))
        })?,
        None => Record::Ticket,
    };
    let paging = Paging::cursor_only(&params)?;
    let mut conn = state.db.read().await?;
    let (filters, _) = resolve(&mut conn, &raw, Some(record), asker(&state, &actor)).await?;
    let f = &filters[0].1;
    let body = match record {
        Record::Ticket => {
            let page = search::cursor_page::<Ticket>(&mut conn, record, f, paging.req).await?;
            let items = render_records(&mut conn, &base, record, &page.items, &[], &[]).await?;
            paging.respond(&base, &params, "results", items, &page)
        }
        Record::User => {
            let page = search::cursor_page::<User>(&mut conn, record, f, paging.req).await?;
            let items = render_records(&mut conn, &base, record, &[], &page.items, &[]).await?;
            paging.respond(&base, &params, "results", items, &page)
        }
        Record::Organization => {
            let page = search::cursor_page::<Organization>(&mut conn, record, f, paging.req).await?;
            let items = render_records(&mut conn, &base, record, &[], &[], &page.items).await?;
            paging.respond(&base, &params, "results", items, &page)
        }
    };
    let mut body = body;
    body.insert("facets".into(), Value::Null);
    Ok(ok(Value::Object(body)))
}

async fn users_search(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    require_staff(&actor)?;
    let raw = match (params.get("query"), params.get("external_id")) {
        (Some(q), _) if !q.trim().is_empty() => q.to_string(),
        (_, Some(x)) if !x.trim().is_empty() => format!("external_id:\"{}\"", x.replace('"', "")),
        _ => return Err(ApiError::BadRequest("Give ?query= or ?external_id=".into()).into()),
    };
    let per_page = params.int("per_page")?.unwrap_or(MAX_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
    let page = params.int("page")?.unwrap_or(1).max(1);
    let mut conn = state.db.read().await?;
    let (filters, _) = resolve(&mut conn, &raw, Some(Record::User), asker(&state, &actor)).await?;
    let total = search::count(&mut conn, Record::User, &filters[0].1).await?;
    let users: Vec<User> = search::offset_page(
        &mut conn,
        Record::User,
        &filters[0].1,
        Order::new(SortBy::Id, false),
        (page - 1) * per_page,
        per_page,
        total < 2_000,
    )
    .await?;
    let tz = account::get(&mut conn).await?.time_zone;
    let items = render::users(&mut conn, &base, &users, &tz).await?;
    let next = (page * per_page < total).then(|| {
        format!(
            "{}{}?query={}&page={}&per_page={per_page}",
            base.0,
            params.path,
            form_urlencoded::byte_serialize(raw.as_bytes()).collect::<String>(),
            page + 1
        )
    });
    Ok(ok(json!({"users": items, "next_page": next, "previous_page": null, "count": total})))
}

async fn orgs_search(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    require_staff(&actor)?;
    let mut conn = state.db.read().await?;
    let found = match (params.get("external_id"), params.get("name")) {
        (Some(x), _) => frontdesk_store::organizations::find_by_external_id(&mut conn, x).await?,
        (None, Some(n)) => frontdesk_store::organizations::find_by_name(&mut conn, n).await?,
        _ => return Err(ApiError::BadRequest("Give ?external_id= or ?name=".into()).into()),
    };
    let list: Vec<Organization> = found.into_iter().collect();
    let items = render::organizations(&mut conn, &base, &list).await?;
    Ok(ok(json!({"organizations": items, "next_page": null, "previous_page": null, "count": list.len()})))
}
