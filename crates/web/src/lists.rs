//! Ticket lists: a view's tickets (its columns, sortable, paged without a cap), the search
//! page (the search language, its errors shown where they are), and bulk actions on the
//! selection, the page or everything a view or search matches (one background job with
//! progress).

use std::collections::{HashMap, HashSet};

use axum::Form;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use frontdesk_domain::filter::{Filter, Record};
use frontdesk_domain::{Priority, Status};
use frontdesk_store::search::{Order, SortBy};
use frontdesk_store::tickets::Ticket;
use frontdesk_store::{AnyConnection, account, users, views};

use super::PageQuery;
use super::pages::{Problems, caller_and_id, error_page, me, reader, sidebar, staff};
use super::session::{self, Session};
use super::{local_time, render};
use crate::State;
use crate::app::bulk::Selection;
use crate::app::views::{COLUMNS, Output};
use crate::error::ApiError;
use frontdesk_edge::Result;

/// Tickets on one page of a list, unless the page asks for up to [`MAX_PAGE`].
pub const PAGE: i64 = 50;
const MAX_PAGE: i64 = 100;
/// A view's columns when it names none.
const DEFAULT_COLUMNS: [&str; 5] = ["subject", "requester", "status", "priority", "updated"];

#[derive(Deserialize, Default)]
pub struct ListQuery {
    page: Option<i64>,
    per_page: Option<i64>,
    sort: Option<String>,
    order: Option<String>,
    q: Option<String>,
}

/// The order a list is shown in: a column header's sort when one was clicked, else `fallback`.
fn chosen_order(q: &ListQuery, fallback: Order) -> Order {
    match q.sort.as_deref().and_then(crate::app::views::sort_by) {
        Some(by) => Order { group: None, by, desc: q.order.as_deref() == Some("desc") },
        None => fallback,
    }
}

/// Ticket rows with the named columns, names and times resolved for the reader.
async fn rows(
    conn: &mut AnyConnection,
    tickets: &[Ticket],
    columns: &[String],
    tz: &str,
) -> Result<Vec<minijinja::Value>> {
    let mut people: Vec<i64> = tickets.iter().flat_map(|t| [Some(t.requester_id), t.assignee_id]).flatten().collect();
    people.sort_unstable();
    people.dedup();
    let names: HashMap<i64, String> =
        users::get_many(conn, &people).await?.into_iter().map(|u| (u.id, u.name)).collect();
    let group_ids: Vec<i64> = tickets.iter().filter_map(|t| t.group_id).collect::<HashSet<_>>().into_iter().collect();
    let groups: HashMap<i64, String> =
        frontdesk_store::groups::get_many(conn, &group_ids).await?.into_iter().map(|g| (g.id, g.name)).collect();
    let org_ids: Vec<i64> =
        tickets.iter().filter_map(|t| t.organization_id).collect::<HashSet<_>>().into_iter().collect();
    let orgs: HashMap<i64, String> =
        frontdesk_store::organizations::get_many(conn, &org_ids).await?.into_iter().map(|o| (o.id, o.name)).collect();
    let ids: Vec<i64> = tickets.iter().map(|t| t.id).collect();
    let values = if columns.iter().any(|c| c.parse::<i64>().is_ok()) {
        frontdesk_store::custom_fields::values(conn, Record::Ticket, &ids).await?
    } else {
        Default::default()
    };
    Ok(tickets
        .iter()
        .map(|t| {
            let cells: Vec<minijinja::Value> = columns
                .iter()
                .filter(|c| c.as_str() != "subject")
                .map(|c| {
                    let time = |ts: Option<i64>| ts.map(|ts| local_time(ts, tz));
                    let (text, status, at) = match c.as_str() {
                        "requester" => (names.get(&t.requester_id).cloned(), None, None),
                        "assignee" => (t.assignee_id.and_then(|a| names.get(&a).cloned()), None, None),
                        "group" => (t.group_id.and_then(|g| groups.get(&g).cloned()), None, None),
                        "organization" => (t.organization_id.and_then(|o| orgs.get(&o).cloned()), None, None),
                        "status" | "custom_status_id" => (None, Some(t.status), None),
                        "priority" => (t.priority.clone().map(|p| format!("priority-{p}")), None, None),
                        "type" => (t.ticket_type.clone().map(|p| format!("type-{p}")), None, None),
                        "created" => (None, None, time(Some(t.created_at))),
                        "updated" => (None, None, time(Some(t.updated_at))),
                        "due_date" => (None, None, time(t.due_at)),
                        other => {
                            let v = other
                                .parse::<i64>()
                                .ok()
                                .and_then(|f| values.get(&t.id).and_then(|m| m.get(&f)))
                                .map(|v| v.join(", "));
                            (v, None, None)
                        }
                    };
                    let translate = matches!(c.as_str(), "priority" | "type");
                    context! { text, translate, status, at => at.as_ref().map(|a| a.0.clone()), at_iso => at.map(|a| a.1) }
                })
                .collect();
            context! { id => t.id, subject => t.subject.clone().unwrap_or_default(), cells }
        })
        .collect())
}

/// The column headers: title (translated for ours), and the sort each one asks for.
fn headers(columns: &[String], order: Order, defs: &[frontdesk_domain::fields::FieldDef]) -> Vec<minijinja::Value> {
    columns
        .iter()
        .filter(|c| c.as_str() != "subject")
        .map(|c| {
            let sortable = crate::app::views::sort_by(c).is_some();
            let current = crate::app::views::sort_by(c) == Some(order.by) && order.group.is_none();
            let title = match c.parse::<i64>() {
                Ok(id) => defs.iter().find(|d| d.id == id).map(|d| d.title.clone()).unwrap_or_default(),
                Err(_) => String::new(),
            };
            let next = if current && !order.desc { "desc" } else { "asc" };
            context! { id => c, key => format!("column-{c}"), title, sortable, current, desc => order.desc, next }
        })
        .collect()
}

fn column_names(out: &Output) -> Vec<String> {
    let known: HashSet<&str> = COLUMNS.iter().map(|(k, _)| *k).collect();
    let mut cols: Vec<String> = out
        .columns
        .iter()
        .filter_map(|c| match c {
            Value::String(s) if known.contains(s.as_str()) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .filter(|c| c != "nice_id")
        .collect();
    if cols.is_empty() {
        cols = DEFAULT_COLUMNS.iter().map(|s| s.to_string()).collect();
    }
    if !cols.iter().any(|c| c == "subject") {
        cols.insert(0, "subject".into());
    }
    cols
}

/// A view's tickets, a page at a time, with no cap on how far the pages go.
pub async fn view_page(
    AxState(state): AxState<State>,
    headers_in: HeaderMap,
    Path(id): Path<String>,
    PageQuery(q): PageQuery<ListQuery>,
) -> Result<Response> {
    let (s, id) = match caller_and_id(&state, &headers_in, true, &id).await {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    view_list(&state, &headers_in, &s, id, q, None).await
}

/// A refused bulk change, brought back to the list it was sent from: its problems, and what was
/// chosen (the rows included).
pub(super) struct BulkRefusal {
    problems: Problems,
    posted: Vec<(String, String)>,
}

impl BulkRefusal {
    /// A page's context with the refusal added: the problems by input and above the panel, the
    /// choices kept (the last value of each input) and the rows selected.
    fn add_to(refusal: Option<&BulkRefusal>, page: minijinja::Value) -> minijinja::Value {
        let Some(this) = refusal else { return page };
        let kept: HashMap<&str, &str> = this.posted.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let selected: Vec<i64> =
            this.posted.iter().filter(|(k, _)| k == "ids").filter_map(|(_, v)| v.parse().ok()).collect();
        context! {
            bulk_errors => this.problems.by_input(), bulk_error => this.problems.above(),
            bulk_posted => kept, selected, ..page
        }
    }
}

/// A view's tickets, with a refused bulk change when there is one.
async fn view_list(
    state: &State,
    headers_in: &HeaderMap,
    s: &Session,
    id: i64,
    q: ListQuery,
    refusal: Option<BulkRefusal>,
) -> Result<Response> {
    let views_list = sidebar(state, s).await?;
    let mut conn = state.db.read().await?;
    let stamp = account::changes_now(&mut conn).await?;
    let Some((view, f)) = visible_view(state, &mut conn, s, id).await? else {
        drop(conn);
        return Ok(error_page(state, headers_in, StatusCode::NOT_FOUND, "not-found").await);
    };
    let defs = frontdesk_store::custom_fields::defs(&mut conn, Record::Ticket).await?;
    let out = Output::parse(&view.output);
    let order = chosen_order(&q, out.order());
    let page = q.page.unwrap_or(1).max(1);
    let size = q.per_page.unwrap_or(PAGE).clamp(1, MAX_PAGE);
    let (tickets, total) = state.counts.page(&mut conn, &f, order, (page - 1) * size, size).await?;
    let columns = column_names(&out);
    let r = reader(state, headers_in, Some(&s.actor.user)).await?;
    let list = rows(&mut conn, &tickets, &columns, &r.tz).await?;
    let bulk = bulk_options(&mut conn).await?;
    drop(conn);
    let pages = ((total + size - 1) / size).max(1);
    let current = context! { id => view.id, title => view.title };
    let mut sort = q.sort.as_deref().map(|s| format!("&sort={s}&order={}", q.order.as_deref().unwrap_or("asc")));
    if size != PAGE {
        sort = Some(format!("{}&per_page={size}", sort.unwrap_or_default()));
    }
    let status = if refusal.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = context! {
        me => me(state, s).await?, csrf => s.csrf.clone(), views => views_list, view => current, tickets => list, total, page, pages,
        columns => headers(&columns, order, &defs), stamp, bulk, sort => sort.unwrap_or_default(),
        scope_field => "view", scope_value => view.id,
    };
    Ok(render(status, "agent.html", r.locale, BulkRefusal::add_to(refusal.as_ref(), page)))
}

/// A view the agent may see, with its compiled filter.
async fn visible_view(
    state: &State,
    conn: &mut AnyConnection,
    s: &Session,
    id: i64,
) -> Result<Option<(views::View, Filter)>> {
    let groups = frontdesk_store::groups::group_ids_of(conn, &[s.actor.id()]).await?;
    let view = views::get(conn, id)
        .await?
        .filter(|v| crate::app::views::visible(v, s.actor.id(), s.actor.is_admin(), &groups));
    let Some(view) = view else { return Ok(None) };
    let defs = frontdesk_store::custom_fields::defs(conn, Record::Ticket).await?;
    let f = crate::app::views::compile(&crate::app::views::conditions_of(&view)?, state.now(), s.actor.id(), &defs)?;
    Ok(Some((view, f)))
}

/// What the bulk form offers: statuses, priorities and the macros.
async fn bulk_options(conn: &mut AnyConnection) -> Result<minijinja::Value> {
    let macros: Vec<_> = frontdesk_store::rules::list(conn, "macro", true)
        .await?
        .into_iter()
        .map(|m| context! { id => m.id, title => m.title })
        .collect();
    // Each category's default by its name, custom statuses by id (`cs:<id>`).
    let custom = frontdesk_store::custom_statuses::list(conn, true).await?;
    let statuses = super::ticket::status_choices(&custom, &["open", "pending", "hold", "solved"]);
    // Custom fields: left blank, a field is unchanged.
    let fields: Vec<_> = frontdesk_store::custom_fields::defs(conn, Record::Ticket)
        .await?
        .into_iter()
        .filter(|d| d.active)
        .map(|d| {
            let options: Vec<_> = d.options.iter().map(|o| context! { name => o.name, value => o.value }).collect();
            context! { id => d.id, title => d.title, kind => d.kind.as_str(), options }
        })
        .collect();
    let priorities: Vec<&str> = Priority::ALL.iter().map(|p| p.as_str()).collect();
    let types = ["question", "incident", "problem", "task"];
    let staff = frontdesk_store::users::staff_ids(conn).await?;
    let mut agents: Vec<_> = frontdesk_store::users::get_many(conn, &staff)
        .await?
        .into_iter()
        .filter(|u| u.active == 1 && u.suspended == 0)
        .map(|u| (u.name, u.id))
        .collect();
    agents.sort();
    let agents: Vec<_> = agents.into_iter().map(|(name, id)| context! { id, name }).collect();
    let groups: Vec<_> =
        frontdesk_store::groups::list(conn, frontdesk_store::PageRequest::After { id: None, size: 1000 })
            .await?
            .items
            .into_iter()
            .map(|g| context! { id => g.id, name => g.name })
            .collect();
    Ok(context! { macros, statuses, priorities, types, agents, groups, fields })
}

/// The search page: tickets, users and organizations matching a query in the search language,
/// with a bad query's message shown at the place it went wrong.
pub async fn search_page(
    AxState(state): AxState<State>,
    headers_in: HeaderMap,
    PageQuery(q): PageQuery<ListQuery>,
) -> Result<Response> {
    let s = match staff(&state, &headers_in).await {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    search_list(&state, &headers_in, &s, q, None).await
}

/// The search page, with a refused bulk change when there is one.
async fn search_list(
    state: &State,
    headers_in: &HeaderMap,
    s: &Session,
    q: ListQuery,
    refusal: Option<BulkRefusal>,
) -> Result<Response> {
    let r = reader(state, headers_in, Some(&s.actor.user)).await?;
    let query = q.q.clone().unwrap_or_default().trim().to_string();
    let mut ctx = context! { me => me(state, s).await?, csrf => s.csrf.clone(), query => query.clone() };
    if query.is_empty() {
        return Ok(render(StatusCode::OK, "search.html", r.locale, ctx));
    }
    let mut conn = state.db.read().await?;
    let asker = crate::app::query::Asker { now: state.now(), me: s.actor.id() };
    let resolved = crate::app::query::resolve(&mut conn, &query, None, asker).await;
    let (filters, _) = match resolved {
        Ok(x) => x,
        Err(ApiError::InvalidQuery { position, reason, .. }) => {
            drop(conn);
            let message = crate::i18n::reason(r.locale, &reason);
            let (before, after) = split_at_char(&query, position);
            let error = context! { message, position, before, after };
            ctx = context! { error, ..ctx };
            return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, "search.html", r.locale, ctx));
        }
        Err(e) => return Err(e.into()),
    };
    let page = q.page.unwrap_or(1).max(1);
    let order = chosen_order(&q, Order::new(SortBy::UpdatedAt, true));
    let mut tickets = None;
    let mut people = Vec::new();
    let mut organizations = Vec::new();
    let mut total = 0;
    for (record, f) in &filters {
        match record {
            Record::Ticket => {
                let (list, n) = state.counts.page(&mut conn, f, order, (page - 1) * PAGE, PAGE).await?;
                total = n;
                let columns: Vec<String> = DEFAULT_COLUMNS.iter().map(|c| c.to_string()).collect();
                tickets = Some((rows(&mut conn, &list, &columns, &r.tz).await?, headers(&columns, order, &[])));
            }
            Record::User => {
                let list: Vec<users::User> = frontdesk_store::search::offset_page(
                    &mut conn,
                    *record,
                    f,
                    Order::new(SortBy::UpdatedAt, true),
                    0,
                    20,
                    false,
                )
                .await?;
                people = list
                    .into_iter()
                    .map(|u| context! { id => u.id, name => u.name, email => u.email, role => u.role.as_str() })
                    .collect();
            }
            Record::Organization => {
                let list: Vec<frontdesk_store::organizations::Organization> = frontdesk_store::search::offset_page(
                    &mut conn,
                    *record,
                    f,
                    Order::new(SortBy::UpdatedAt, true),
                    0,
                    20,
                    false,
                )
                .await?;
                organizations = list.into_iter().map(|o| context! { id => o.id, name => o.name }).collect();
            }
        }
    }
    let bulk = bulk_options(&mut conn).await?;
    drop(conn);
    let pages = ((total + PAGE - 1) / PAGE).max(1);
    let searched_tickets = tickets.is_some();
    let (rows_list, columns) = tickets.unwrap_or_default();
    let encoded: String = form_urlencoded::byte_serialize(query.as_bytes()).collect();
    let sort = q.sort.as_deref().map(|x| format!("&sort={x}&order={}", q.order.as_deref().unwrap_or("asc")));
    ctx = context! {
        tickets => rows_list, columns, total, page, pages, people, organizations, bulk,
        q_encoded => encoded, sort => sort.unwrap_or_default(), searched => true, searched_tickets,
        scope_field => "query", scope_value => query,
        ..ctx
    };
    let status = if refusal.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(status, "search.html", r.locale, BulkRefusal::add_to(refusal.as_ref(), ctx)))
}

/// The query cut at a character position, to mark where a bad query went wrong.
fn split_at_char(s: &str, position: usize) -> (String, String) {
    let at = s.char_indices().nth(position).map_or(s.len(), |(i, _)| i);
    (s[..at].to_string(), s[at..].to_string())
}

/// A bulk form's change as the API's ticket change; `Err` names a status that is not one.
fn bulk_change(pairs: &[(String, String)]) -> std::result::Result<Map<String, Value>, &'static str> {
    let one = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.trim().to_string());
    let mut change = Map::new();
    if let Some(st) = one("status").filter(|v| !v.is_empty()) {
        match st.strip_prefix("cs:").map(str::parse::<i64>) {
            Some(Ok(id)) => {
                change.insert("custom_status_id".into(), json!(id));
            }
            Some(Err(_)) => return Err("bulk-bad-status"),
            None if Status::parse(&st).is_err() => return Err("bulk-bad-status"),
            None => {
                change.insert("status".into(), json!(st));
            }
        }
    }
    // Custom fields given a value (`none` clears one); checked below as the API checks them.
    let fields: Vec<Value> = pairs
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("bulk_cf_")?.parse::<i64>().ok()?, v.trim())))
        .filter(|(_, v)| !v.is_empty())
        .map(|(id, v)| {
            let value = match v {
                "none" => Value::Null,
                "true" => json!(true),
                "false" => json!(false),
                other => json!(other),
            };
            json!({"id": id, "value": value})
        })
        .collect();
    if !fields.is_empty() {
        change.insert("custom_fields".into(), Value::Array(fields));
    }
    if let Some(p) = one("priority").filter(|v| !v.is_empty()) {
        change.insert("priority".into(), json!(p));
    }
    if let Some(t) = one("type").filter(|v| !v.is_empty()) {
        change.insert("type".into(), json!(t));
    }
    // An id, or `none` to clear; a bad one is refused below as the API refuses it.
    for key in ["assignee_id", "group_id"] {
        match one(key).as_deref() {
            None | Some("") => {}
            Some("none") => {
                change.insert(key.into(), Value::Null);
            }
            Some(v) => {
                change.insert(key.into(), v.parse::<i64>().map_or_else(|_| json!(v), |n| json!(n)));
            }
        }
    }
    let tags = |k: &str| -> Vec<String> {
        one(k).unwrap_or_default().split([' ', ',']).filter(|t| !t.is_empty()).map(str::to_string).collect()
    };
    if !tags("add_tags").is_empty() {
        change.insert("additional_tags".into(), json!(tags("add_tags")));
    }
    if !tags("remove_tags").is_empty() {
        change.insert("remove_tags".into(), json!(tags("remove_tags")));
    }
    if let Some(note) = one("note").filter(|v| !v.is_empty()) {
        change.insert("comment".into(), json!({"body": note, "public": false}));
    }
    Ok(change)
}

/// A bulk action: on the selected rows, on the page's rows, or on every ticket the view or
/// query matches. It is saved as a job whose progress the next page shows.
pub async fn bulk(
    AxState(state): AxState<State>,
    headers_in: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response> {
    let s = match staff(&state, &headers_in).await {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let one = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.trim().to_string());
    let many = |k: &str| -> Vec<i64> {
        pairs.iter().filter(|(key, _)| key == k).filter_map(|(_, v)| v.parse().ok()).collect()
    };
    let back = one("back").filter(|b| b.starts_with("/agent/")).unwrap_or_else(|| "/agent".into());
    let r = reader(&state, &headers_in, Some(&s.actor.user)).await?;
    // A refusal goes back to the list the form was on: the panel open, the choices and the rows
    // kept, each problem under its input.
    let back_with = async |problems: Problems| back_to_list(&state, &headers_in, &s, &back, problems, &pairs).await;
    let refused = async |e: &ApiError| back_with(bulk_problems(r.locale, e)).await;
    let refuse = async |key: &str| -> Result<Response> {
        let mut problems = Problems::default();
        let text = crate::i18n::tr(r.locale, key, &[]);
        if key == "bulk-bad-status" {
            problems.add_at("status", text)
        } else {
            problems.add_above(text)
        }
        back_with(problems).await
    };
    if !session::csrf_ok(&s.csrf, one("_csrf").as_deref()) {
        return refuse("stale-form").await;
    }
    // The change, checked as the API checks one.
    let change = match bulk_change(&pairs) {
        Ok(change) => change,
        Err(key) => return refuse(key).await,
    };
    let macro_id = one("macro").and_then(|m| m.parse::<i64>().ok());
    let selection = match one("scope").as_deref() {
        Some("all") => match one("view").and_then(|v| v.parse::<i64>().ok()) {
            Some(view) => Selection::View(view),
            None => Selection::Query(one("query").unwrap_or_default()),
        },
        Some("page") => Selection::Ids(many("page_ids")),
        _ => Selection::Ids(many("ids")),
    };
    let job = match crate::app::bulk::start_update(&state, &s.actor, change, macro_id, selection).await {
        Ok(job) => job,
        Err(ApiError::NotFound) => return refuse("not-found").await,
        Err(e @ ApiError::Invalid(_)) => return refused(&e).await,
        Err(e) => return Err(e.into()),
    };
    let public = job.public_id.unwrap_or_default();
    let back_q: String = form_urlencoded::byte_serialize(back.as_bytes()).collect();
    Ok(Redirect::to(&format!("/agent/jobs/{public}?back={back_q}")).into_response())
}

#[derive(Deserialize, Default)]
pub struct JobQuery {
    back: Option<String>,
}

/// Why a bulk job left a ticket alone, in the reader's language.
fn failure_text(locale: frontdesk_domain::Locale, x: &Value) -> String {
    let reasons: Vec<String> = x["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let args = r["args"].as_object().into_iter().flatten();
            let args = args.map(|(k, v)| (k.as_str(), v.as_str().unwrap_or_default()));
            Some(crate::i18n::tr_text(locale, r["key"].as_str()?, args))
        })
        .collect();
    if !reasons.is_empty() {
        return reasons.join(" ");
    }
    let key = match x["error"].as_str() {
        Some("RecordNotFound") => "not-found",
        Some("Forbidden") => "forbidden",
        Some("UpdateConflict") => "conflict",
        _ => {
            let details = match &x["details"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            return format!("{} {details}", crate::i18n::tr(locale, "error-invalid", &[]));
        }
    };
    crate::i18n::tr(locale, key, &[])
}

/// A refused bulk change's problems, placed on the bulk panel's inputs.
fn bulk_problems(locale: frontdesk_domain::Locale, e: &ApiError) -> Problems {
    match e {
        ApiError::Invalid(list) => Problems::place(locale, list, |f| {
            let input = match Problems::base(f) {
                "status" | "custom_status_id" => "status",
                "additional_tags" | "tags" => "add_tags",
                "comment" => "note",
                base @ ("priority" | "type" | "assignee_id" | "group_id" | "remove_tags" | "custom_fields") => base,
                _ => return None,
            };
            Some(input.to_string())
        }),
        other => {
            let mut problems = Problems::default();
            problems.add_above(super::pages::error_text(locale, other));
            problems
        }
    }
}

/// Back to the list (a view or the search page) a bulk form was sent from, with its refusal;
/// any other page gets the refusal on a page of its own, with the way back.
async fn back_to_list(
    state: &State,
    headers: &HeaderMap,
    s: &Session,
    back: &str,
    problems: Problems,
    posted: &[(String, String)],
) -> Result<Response> {
    let (path, query) = back.split_once('?').unwrap_or((back, ""));
    let q: ListQuery = serde_urlencoded::from_str(query).unwrap_or_default();
    let message = problems.all();
    let refusal = Some(BulkRefusal { problems, posted: posted.to_vec() });
    if let Some(id) = path.strip_prefix("/agent/views/").and_then(|i| i.parse::<i64>().ok()) {
        return view_list(state, headers, s, id, q, refusal).await;
    }
    if path == "/agent/search" && q.q.is_some() {
        return search_list(state, headers, s, q, refusal).await;
    }
    let r = reader(state, headers, Some(&s.actor.user)).await?;
    Ok(render(
        StatusCode::UNPROCESSABLE_ENTITY,
        "error.html",
        r.locale,
        context! { me => me(state, s).await?, csrf => s.csrf.clone(), message, back },
    ))
}

/// A bulk job's progress; the page refreshes itself until the job is done.
pub async fn job_page(
    AxState(state): AxState<State>,
    headers_in: HeaderMap,
    Path(id): Path<String>,
    PageQuery(q): PageQuery<JobQuery>,
) -> Result<Response> {
    let s = match staff(&state, &headers_in).await {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let mut conn = state.db.read().await?;
    let job = frontdesk_store::jobs::get_public(&mut conn, &id).await?;
    drop(conn);
    let Some(job) = job.filter(|j| j.requested_by == Some(s.actor.id()) || s.actor.is_admin()) else {
        return Ok(error_page(&state, &headers_in, StatusCode::NOT_FOUND, "not-found").await);
    };
    let r = reader(&state, &headers_in, Some(&s.actor.user)).await?;
    let results = job.results()?;
    let failures: Vec<_> = results
        .iter()
        .filter(|x| x["success"] == json!(false))
        .take(100)
        .map(|x| context! { id => x["id"].as_i64(), details => failure_text(r.locale, x) })
        .collect();
    let failed = results.iter().filter(|x| x["success"] == json!(false)).count();
    let done = matches!(job.state.as_str(), "completed" | "failed");
    let back = q.back.filter(|b| b.starts_with("/agent/")).unwrap_or_else(|| "/agent".into());
    let ctx = context! {
        me => me(&state, &s).await?, csrf => s.csrf, back, done, failures, failed,
        job => context! { state => job.state, total => job.total.unwrap_or(0), progress => job.progress.unwrap_or(0), error => job.last_error },
    };
    let mut page = render(StatusCode::OK, "job.html", r.locale, ctx);
    if !done {
        page.headers_mut().insert("refresh", axum::http::HeaderValue::from_static("1"));
    }
    Ok(page)
}
