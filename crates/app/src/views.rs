//! Views: checking a view's definition and turning its conditions into the same [`Filter`] a
//! search query becomes.

use frontdesk_store::stored::{self, Unreadable};
use serde_json::{Map, Value, json};

use frontdesk_domain::conditions::{Conditions, RuleCondition, place};
use frontdesk_domain::fields::FieldDef;
use frontdesk_domain::filter::{self, Context, Filter, Record};
use frontdesk_store::AnyConnection;
use frontdesk_store::search::{Order, SortBy};
use frontdesk_store::views::{self, View};

use super::in_tx;
use super::input::{Gather, Obj};
use crate::AppState;
use crate::auth::Actor;
use crate::error::{ApiError, Result};

/// Columns a view can show: id, title.
pub const COLUMNS: [(&str, &str); 13] = [
    ("nice_id", "ID"),
    ("subject", "Subject"),
    ("requester", "Requester"),
    ("assignee", "Assignee"),
    ("group", "Group"),
    ("organization", "Organization"),
    ("status", "Status"),
    ("custom_status_id", "Ticket status"),
    ("priority", "Priority"),
    ("type", "Type"),
    ("created", "Requested"),
    ("updated", "Updated"),
    ("due_date", "Due date"),
];

/// What a view shows and in which order.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// Column ids: names from [`COLUMNS`], or custom ticket field ids.
    pub columns: Vec<Value>,
    pub sort_by: String,
    pub sort_order: String,
    pub group_by: Option<String>,
    pub group_order: String,
}

impl Output {
    pub fn parse(s: &str) -> Output {
        let v: Value = serde_json::from_str(s).unwrap_or(Value::Null);
        Output {
            columns: v["columns"].as_array().cloned().unwrap_or_default(),
            sort_by: v["sort_by"].as_str().unwrap_or("created_at").to_string(),
            sort_order: v["sort_order"].as_str().unwrap_or("asc").to_string(),
            group_by: v["group_by"].as_str().map(str::to_string),
            group_order: v["group_order"].as_str().unwrap_or("asc").to_string(),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "columns": self.columns,
            "sort_by": self.sort_by,
            "sort_order": self.sort_order,
            "group_by": self.group_by,
            "group_order": self.group_order,
        })
    }

    /// The order tickets are listed in: by the group column first when grouped, then the sort.
    pub fn order(&self) -> Order {
        Order {
            group: self.group_by.as_deref().and_then(group_by).map(|g| (g, self.group_order == "desc")),
            by: sort_by(&self.sort_by).unwrap_or(SortBy::CreatedAt),
            desc: self.sort_order == "desc",
        }
    }
}

/// Columns a view can sort by, and those it can group by.
const ORDER_COLUMNS: &str =
    "nice_id, created, updated, priority, status, type, group, assignee, requester, organization";
const GROUP_COLUMNS: &str = "priority, status, type, group, assignee, requester, organization";

fn group_by(s: &str) -> Option<SortBy> {
    sort_by(s).filter(|g| !matches!(g, SortBy::Id | SortBy::CreatedAt | SortBy::UpdatedAt))
}

pub fn sort_by(s: &str) -> Option<SortBy> {
    Some(match s {
        "nice_id" | "id" => SortBy::Id,
        "created" | "created_at" => SortBy::CreatedAt,
        "updated" | "updated_at" => SortBy::UpdatedAt,
        "priority" => SortBy::Priority,
        "status" => SortBy::Status,
        "type" | "ticket_type" => SortBy::TicketType,
        "group" | "group_id" => SortBy::Group,
        "assignee" | "assignee_id" => SortBy::Assignee,
        "requester" | "requester_id" => SortBy::Requester,
        "organization" | "organization_id" => SortBy::Organization,
        _ => return None,
    })
}

fn condition_list(v: Option<&Value>, list: &str) -> Result<Vec<RuleCondition>> {
    let field = format!("conditions.{list}");
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, c)| {
                serde_json::from_value::<RuleCondition>(c.clone()).map_err(|_| {
                    ApiError::invalid(
                        &field,
                        format!("{field}[{i}]: a condition is {{\"field\", \"operator\", \"value\"}}, not {c}"),
                    )
                    .msg("error-wrong-type", &[])
                })
            })
            .collect(),
        Some(_) => {
            Err(ApiError::invalid(&field, format!("{field}: must be a list of conditions"))
                .msg("error-wrong-type", &[]))
        }
    }
}

/// The conditions a body gives: top-level `all`/`any` or nested `conditions: {all, any}`.
pub fn parse_conditions(o: &Obj) -> Result<Option<Conditions>> {
    let nested = o.object("conditions")?;
    let (all, any) = match &nested {
        Some(c) => (c.raw("all"), c.raw("any")),
        None => (o.raw("all"), o.raw("any")),
    };
    if nested.is_none() && all.is_none() && any.is_none() {
        return Ok(None);
    }
    Ok(Some(Conditions { all: condition_list(all, "all")?, any: condition_list(any, "any")? }))
}

/// Compiles conditions to a filter, with errors naming the condition.
pub fn compile(c: &Conditions, now: i64, me: i64, defs: &[FieldDef]) -> Result<Filter> {
    let tree = c.tree()?;
    filter::resolve(&tree, Record::Ticket, Context { now, me, fields: defs, org_fields: &[] }).map_err(|e| {
        ApiError::invalid("conditions", format!("conditions.{}: {}", place(c, e.position), e.message)).because(e.reason)
    })
}

fn parse_output(o: &Obj, current: &Output, defs: &[FieldDef]) -> Result<Output> {
    let Some(out) = o.object("output")?.or(o.object("execution")?) else { return Ok(current.clone()) };
    let mut next = current.clone();
    if let Some(cols) = out.raw("columns").filter(|v| !v.is_null()) {
        let list = cols.as_array().ok_or_else(|| {
            ApiError::invalid("output.columns", "output.columns: must be a list").msg("error-wrong-type", &[])
        })?;
        next.columns = Vec::new();
        for c in list {
            // Column objects ({"id": …}) as views echo them are accepted too.
            let id = c.get("id").unwrap_or(c);
            let known = match id {
                Value::String(s) => COLUMNS.iter().any(|(k, _)| k == s),
                Value::Number(n) => n.as_i64().is_some_and(|n| defs.iter().any(|d| d.id == n)),
                _ => false,
            };
            if !known {
                let names: Vec<&str> = COLUMNS.iter().map(|(k, _)| *k).collect();
                return Err(ApiError::invalid(
                    "output.columns",
                    format!("output.columns: {id} is not a column ({} or a custom ticket field id)", names.join(", ")),
                )
                .msg("error-not-a-column", &[("value", &id)]));
            }
            next.columns.push(id.clone());
        }
    }
    if let Some(s) = out.str("sort_by", 64)?.set() {
        if sort_by(&s).is_none() {
            return Err(ApiError::invalid(
                "output.sort_by",
                format!("output.sort_by: {s:?} is not one of {ORDER_COLUMNS}"),
            )
            .msg("error-not-one-of", &[("value", &s), ("expected", &ORDER_COLUMNS)]));
        }
        next.sort_by = s;
    }
    for (key, slot) in [("sort_order", &mut next.sort_order), ("group_order", &mut next.group_order)] {
        if let Some(s) = out.str(key, 8)?.set() {
            if s != "asc" && s != "desc" {
                return Err(ApiError::invalid(format!("output.{key}"), format!("output.{key}: must be asc or desc"))
                    .msg("error-not-one-of", &[("value", &s), ("expected", &"asc, desc")]));
            }
            *slot = s;
        }
    }
    next.group_by = out.str("group_by", 64)?.apply(next.group_by).filter(|g| !g.is_empty());
    if let Some(g) = next.group_by.as_deref().filter(|g| group_by(g).is_none()) {
        return Err(ApiError::invalid(
            "output.group_by",
            format!("output.group_by: {g:?} is not one of {GROUP_COLUMNS}"),
        )
        .msg("error-not-one-of", &[("value", &g), ("expected", &GROUP_COLUMNS)]));
    }
    Ok(next)
}

fn parse_restriction(o: &Obj) -> Result<Option<Option<String>>> {
    match o.raw("restriction") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::Object(m)) => {
            let kind = m.get("type").and_then(Value::as_str).unwrap_or("");
            let id = m.get("id").and_then(Value::as_i64);
            match (kind, id) {
                ("User" | "Group", Some(id)) => Ok(Some(Some(json!({"type": kind, "id": id}).to_string()))),
                _ => Err(ApiError::invalid(
                    "restriction",
                    "restriction: must be {\"type\": \"User\"|\"Group\", \"id\": …}",
                )
                .msg("error-wrong-type", &[])),
            }
        }
        Some(_) => {
            Err(ApiError::invalid("restriction", "restriction: must be an object or null").msg("error-wrong-type", &[]))
        }
    }
}

/// Applies a create or update body to `view` (a new view has id 0), checking everything.
pub async fn apply(conn: &mut AnyConnection, view: &mut View, m: &Map<String, Value>, now: i64, me: i64) -> Result<()> {
    let o = Obj(m);
    let is_new = view.id == 0;
    // Every problem is reported at once.
    let mut g = Gather::default();
    let needs_conditions = || {
        ApiError::invalid("conditions", "conditions: a view needs at least one condition")
            .msg("error-conditions-needed", &[])
    };
    match g.take(o.str("title", 255)).set() {
        Some(t) => view.title = t.trim().to_string(),
        None if is_new => g.take::<()>(Err(ApiError::blank("title", "Title"))),
        None => {}
    }
    view.description = g.take(o.str("description", 65_535)).apply(view.description.take());
    match g.take(o.bool("active")) {
        Some(a) => view.active = i64::from(a),
        None if is_new => view.active = 1,
        None => {}
    }
    if let Some(p) = o.raw("position").filter(|v| !v.is_null()) {
        let position = p
            .as_i64()
            .ok_or_else(|| ApiError::invalid("position", "position: must be an integer").msg("error-wrong-type", &[]));
        view.position = g.take(position.map(Some)).unwrap_or(view.position);
    }
    let defs = frontdesk_store::custom_fields::defs(conn, Record::Ticket).await?;
    match g.take(parse_conditions(&o)) {
        Some(c) if c.all.is_empty() && c.any.is_empty() => g.take::<()>(Err(needs_conditions())),
        Some(c) => {
            g.take(compile(&c, now, me, &defs).map(|_| ()));
            view.conditions = serde_json::to_string(&c).unwrap_or_default();
        }
        None if is_new => g.take::<()>(Err(needs_conditions())),
        None => {}
    }
    let current = Output::parse(&view.output);
    if let Some(mut output) = g.take(parse_output(&o, &current, &defs).map(Some)) {
        if output.columns.is_empty() {
            output.columns = ["subject", "requester", "created", "status"].map(|c| json!(c)).to_vec();
        }
        view.output = output.to_json().to_string();
    }
    if let Some(r) = g.take(parse_restriction(&o)) {
        view.restriction = r;
    }
    g.done()?;
    view.updated_at = now;
    if is_new {
        view.created_at = now;
    }
    Ok(())
}

/// The stored conditions of a view, or why they cannot be read.
pub fn conditions_of(view: &View) -> Result<Conditions, Unreadable> {
    stored::read(|| format!("conditions of view {}", view.id), view.format, &view.conditions)
}

/// The stored restriction of a view (`None`: everyone's), or why it cannot be read.
pub fn restriction_of(view: &View) -> Result<Option<Value>, Unreadable> {
    stored::read_optional(|| format!("restriction of view {}", view.id), view.format, view.restriction.as_deref())
}

/// Why a stored view cannot be read, if it cannot: its listing says so, and only admins see it.
pub fn unreadable(view: &View) -> Option<Unreadable> {
    conditions_of(view).err().or_else(|| restriction_of(view).err())
}

/// Whether `restriction` lets this agent see the view (admins see every view). A restriction
/// that cannot be read shows the view to admins only, never to everyone.
pub fn visible(view: &View, user_id: i64, admin: bool, groups: &[i64]) -> bool {
    if admin {
        return true;
    }
    let r = match restriction_of(view) {
        Ok(Some(r)) => r,
        Ok(None) => return true,
        Err(_) => return false,
    };
    let id = r["id"].as_i64().unwrap_or(0);
    match r["type"].as_str() {
        Some("User") => id == user_id,
        Some("Group") => groups.contains(&id),
        _ => true,
    }
}

/// The queues a new helpdesk starts with (made by the first-run page), titled in the first
/// admin's language: `titles` are, in order, the agent's own unsolved tickets, unassigned,
/// all unsolved, pending, and recently solved.
pub async fn create_defaults(conn: &mut AnyConnection, titles: [String; 5], me: i64, now: i64) -> Result<()> {
    let unsolved = json!({"field": "status", "operator": "less_than", "value": "solved"});
    let columns = json!(["subject", "requester", "priority", "status", "updated"]);
    let specs = [
        json!([unsolved, {"field": "assignee_id", "operator": "is", "value": "current_user"}]),
        json!([unsolved, {"field": "assignee_id", "operator": "is", "value": ""}]),
        json!([unsolved]),
        json!([{"field": "status", "operator": "is", "value": "pending"}]),
        json!([{"field": "status", "operator": "is", "value": "solved"}]),
    ];
    for (position, (title, all)) in titles.into_iter().zip(specs).enumerate() {
        let body = json!({"title": title, "all": all, "position": position,
            "output": {"columns": columns, "sort_by": "updated_at", "sort_order": "desc"}});
        let mut v = View::default();
        apply(conn, &mut v, body.as_object().expect("an object"), now, me).await?;
        frontdesk_store::views::insert(conn, &v).await?;
    }
    Ok(())
}

/// The views `actor` may see (active ones only, when asked).
pub async fn visible_views(conn: &mut AnyConnection, actor: &Actor, active_only: bool) -> Result<Vec<View>> {
    let groups = frontdesk_store::groups::group_ids_of(conn, &[actor.id()]).await?;
    Ok(views::list(conn, active_only)
        .await?
        .into_iter()
        .filter(|v| visible(v, actor.id(), actor.is_admin(), &groups))
        .collect())
}

/// View `id`, when `actor` may see it.
pub async fn find(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<View> {
    let v = views::get(conn, id).await?.ok_or(ApiError::NotFound)?;
    let groups = frontdesk_store::groups::group_ids_of(conn, &[actor.id()]).await?;
    if !visible(&v, actor.id(), actor.is_admin(), &groups) {
        return Err(ApiError::NotFound);
    }
    Ok(v)
}

/// Admins manage shared views; an agent may keep views restricted to themselves.
pub fn may_write(actor: &Actor, v: &View) -> Result<()> {
    if actor.is_admin() {
        return Ok(());
    }
    if !actor.is_staff() {
        return Err(ApiError::forbidden());
    }
    let own =
        restriction_of(v).ok().flatten().is_some_and(|r| r["type"] == "User" && r["id"].as_i64() == Some(actor.id()));
    if own { Ok(()) } else { Err(ApiError::forbidden()) }
}

/// Creates a view from its JSON object; hands it back with the ticket fields it may name.
pub async fn create(state: &AppState, actor: &Actor, m: &Map<String, Value>) -> Result<(View, Vec<FieldDef>)> {
    let now = state.now();
    in_tx(state, async |tx| {
        let mut v = View::default();
        apply(tx, &mut v, m, now, actor.id()).await?;
        may_write(actor, &v)?;
        v.id = views::insert(tx, &v).await?;
        Ok((v, frontdesk_store::custom_fields::defs(tx, Record::Ticket).await?))
    })
    .await
}

/// Changes view `id` (its owner, or an admin, before and after the change).
pub async fn update(state: &AppState, actor: &Actor, id: i64, m: &Map<String, Value>) -> Result<(View, Vec<FieldDef>)> {
    let now = state.now();
    in_tx(state, async |tx| {
        let mut v = find(tx, actor, id).await?;
        may_write(actor, &v)?;
        apply(tx, &mut v, m, now, actor.id()).await?;
        may_write(actor, &v)?;
        views::update(tx, &v).await?;
        Ok((v, frontdesk_store::custom_fields::defs(tx, Record::Ticket).await?))
    })
    .await
}

/// Deletes view `id` (its owner, or an admin).
pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> Result<()> {
    in_tx(state, async |tx| {
        let v = find(tx, actor, id).await?;
        may_write(actor, &v)?;
        views::delete(tx, &[v.id]).await?;
        Ok(())
    })
    .await
}

/// Deletes the views `ids` (an admin's bulk delete).
pub async fn delete_many(state: &AppState, ids: &[i64]) -> Result<()> {
    in_tx(state, async |tx| Ok(views::delete(tx, ids).await?)).await?;
    Ok(())
}
