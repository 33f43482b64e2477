//! Triggers, automations and macros (`zendesk-api.md` §11.2, §12): one set of handlers for the
//! three kinds, macro previews, and the rule simulator (which tickets a rule matches now; per
//! ticket, which rules match and why).

use axum::extract::{Path, State as AxState};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{delete, get, post, put};
use serde_json::{Value, json};

use frontdesk_domain::conditions::Conditions;
use frontdesk_domain::filter::Record;
use frontdesk_domain::rules::{self as domain, Action, RuleKind, Update};
use frontdesk_store::PageRequest;
use frontdesk_store::rules::{self as store, Rule};
use frontdesk_store::search;

use super::extract::{Base, JsonBody, Params, SignedIn, path_id};
use super::{Endpoint, created, ep, no_content, ok, render, require_admin, require_staff};
use crate::State;
use crate::app::input::root;
use crate::app::rules as app;
use crate::auth::Actor;
use crate::clock::iso;
use crate::error::ApiError;
use frontdesk_edge::Result;

const T: &str = "business rules";

struct Names {
    kind: RuleKind,
    singular: &'static str,
    plural: &'static str,
}

static TRIGGER: Names = Names { kind: RuleKind::Trigger, singular: "trigger", plural: "triggers" };
static AUTOMATION: Names = Names { kind: RuleKind::Automation, singular: "automation", plural: "automations" };
static MACRO: Names = Names { kind: RuleKind::Macro, singular: "macro", plural: "macros" };

macro_rules! kind_routes {
    ($n:expr, $list:literal, $active:literal, $one:literal, $reorder:literal, $destroy_many:literal) => {{
        let n: &'static Names = &$n;
        vec![
            ep(Method::GET, $list, T, "List rules", get(move |s, a, b| list(n, false, s, a, b))),
            ep(Method::POST, $list, T, "Create a rule", post(move |s, a, b, body| create(n, s, a, b, body))),
            ep(Method::GET, $active, T, "List active rules", get(move |s, a, b| list(n, true, s, a, b))),
            ep(Method::PUT, $reorder, T, "Set the rules' order", put(move |s, a, body| reorder(n, s, a, body))),
            ep(
                Method::DELETE,
                $destroy_many,
                T,
                "Delete several rules (?ids=)",
                delete(move |s, a, p| destroy_many(n, s, a, p)),
            ),
            ep(Method::GET, $one, T, "Show a rule", get(move |s, a, b, p| show(n, s, a, b, p))),
            ep(Method::PUT, $one, T, "Update a rule", put(move |s, a, b, p, body| update(n, s, a, b, p, body))),
            ep(Method::DELETE, $one, T, "Delete a rule", delete(move |s, a, p| destroy(n, s, a, p))),
        ]
    }};
}

pub fn endpoints() -> Vec<Endpoint> {
    let mut out = kind_routes!(
        TRIGGER,
        "/api/v2/triggers",
        "/api/v2/triggers/active",
        "/api/v2/triggers/{id}",
        "/api/v2/triggers/reorder",
        "/api/v2/triggers/destroy_many"
    );
    out.extend(kind_routes!(
        AUTOMATION,
        "/api/v2/automations",
        "/api/v2/automations/active",
        "/api/v2/automations/{id}",
        "/api/v2/automations/reorder",
        "/api/v2/automations/destroy_many"
    ));
    out.extend(kind_routes!(
        MACRO,
        "/api/v2/macros",
        "/api/v2/macros/active",
        "/api/v2/macros/{id}",
        "/api/v2/macros/reorder",
        "/api/v2/macros/destroy_many"
    ));
    out.extend([
        ep(
            Method::GET,
            "/api/v2/triggers/{id}/matches",
            T,
            "Simulator: tickets the trigger's ticket conditions match now",
            get(move |s, a, b, p, q| matches(&TRIGGER, s, a, b, p, q)),
        ),
        ep(
            Method::GET,
            "/api/v2/automations/{id}/matches",
            T,
            "Simulator: tickets the automation would act on now",
            get(move |s, a, b, p, q| matches(&AUTOMATION, s, a, b, p, q)),
        ),
        ep(
            Method::POST,
            "/api/v2/triggers/preview",
            T,
            "Simulator for a trigger not yet saved: checked as a create, the tickets it matches now",
            post(move |s, a, b, body| preview(&TRIGGER, s, a, b, body)),
        ),
        ep(
            Method::POST,
            "/api/v2/automations/preview",
            T,
            "Simulator for an automation not yet saved: checked as a create, the tickets it would act on now",
            post(move |s, a, b, body| preview(&AUTOMATION, s, a, b, body)),
        ),
        ep(Method::POST, "/api/v2/automations/run", T, "Run an automation pass now (admins)", post(run_now)),
        ep(Method::GET, "/api/v2/trigger_categories", T, "List trigger categories", get(categories)),
        ep(Method::POST, "/api/v2/trigger_categories", T, "Create a trigger category", post(create_category)),
        ep(Method::GET, "/api/v2/trigger_categories/{id}", T, "Show a trigger category", get(show_category)),
        ep(
            Method::PATCH,
            "/api/v2/trigger_categories/{id}",
            T,
            "Update a trigger category",
            axum::routing::patch(update_category),
        ),
        ep(
            Method::DELETE,
            "/api/v2/trigger_categories/{id}",
            T,
            "Delete an empty trigger category",
            delete(delete_category),
        ),
        ep(
            Method::GET,
            "/api/v2/tickets/{id}/rules_trace",
            T,
            "Simulator: which rules match the ticket, and why",
            get(trace),
        ),
        ep(Method::GET, "/api/v2/macros/{id}/apply", T, "What a macro sets (changes nothing)", get(apply_alone)),
        ep(
            Method::GET,
            "/api/v2/tickets/{ticket_id}/macros/{id}/apply",
            T,
            "The ticket as a macro would leave it (changes nothing)",
            get(apply_to_ticket),
        ),
    ]);
    out
}

/// A rule as Zendesk shows it, plus `problem`: what the rule could not do since it was last
/// saved (its failures, the last reason and when), or null.
fn rule_json(base: &Base, n: &Names, r: &Rule, problem: Option<&store::RuleProblem>) -> Value {
    // A rule that cannot be read is not run: it shows null where it could not be read, and its
    // problem says why.
    let unreadable = app::unreadable(r).map(|e| json!({"failures": 0, "message": e.to_string(), "at": null}));
    let conditions = app::conditions_of(r).ok();
    let mut v = json!({
        "url": base.url(&format!("/api/v2/{}/{}.json", n.plural, r.id)),
        "id": r.id,
        "title": r.title,
        "raw_title": r.title,
        "active": r.active != 0,
        "default": false,
        "position": r.position,
        "description": r.description,
        "actions": app::actions_of(r).ok(),
        "created_at": iso(r.created_at),
        "updated_at": iso(r.updated_at),
        "problem": unreadable.or(problem.map(|p| json!({"failures": p.failures, "message": p.message, "at": iso(p.at)}))),
    });
    if n.kind != RuleKind::Macro {
        v["conditions"] = json!(conditions);
    } else {
        v["restriction"] = app::restriction_of(r).ok().flatten().into();
    }
    if n.kind == RuleKind::Trigger {
        v["category_id"] = json!(r.category_id.map(|c| c.to_string()));
    }
    v
}

/// Admins manage triggers and automations; agents read them. Macros: agents read and apply.
fn may_read(actor: &Actor) -> Result<()> {
    Ok(require_staff(actor)?)
}

async fn find(conn: &mut frontdesk_store::AnyConnection, n: &Names, id: &str) -> Result<Rule> {
    store::get(conn, n.kind.as_str(), path_id(id)?).await?.ok_or(ApiError::NotFound.into())
}

async fn list(
    n: &Names,
    active_only: bool,
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
) -> Result<Response> {
    may_read(&actor)?;
    let mut conn = state.db.read().await?;
    let rules = store::list(&mut conn, n.kind.as_str(), active_only).await?;
    let problems = store::problems(&mut conn, &rules.iter().map(|r| r.id).collect::<Vec<_>>()).await?;
    let problem_of = |r: &Rule| problems.iter().find(|p| p.rule_id == r.id);
    let items: Vec<Value> = rules.iter().map(|r| rule_json(&base, n, r, problem_of(r))).collect();
    let count = items.len();
    Ok(ok(json!({n.plural: items, "next_page": null, "previous_page": null, "count": count})))
}

async fn show(
    n: &Names,
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
) -> Result<Response> {
    may_read(&actor)?;
    let mut conn = state.db.read().await?;
    let r = find(&mut conn, n, &id).await?;
    let problem = store::problems(&mut conn, &[r.id]).await?.pop();
    Ok(ok(json!({n.singular: rule_json(&base, n, &r, problem.as_ref())})))
}

async fn create(
    n: &Names,
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let m = root(&body, n.singular)?;
    let r = crate::app::rulebook::save(&state, &actor, n.kind, None, m).await?;
    let url = base.url(&format!("/api/v2/{}/{}.json", n.plural, r.id));
    Ok(created(json!({n.singular: rule_json(&base, n, &r, None)}), &url))
}

async fn update(
    n: &Names,
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let m = root(&body, n.singular)?;
    let r = crate::app::rulebook::save(&state, &actor, n.kind, Some(path_id(&id)?), m).await?;
    Ok(ok(json!({n.singular: rule_json(&base, n, &r, None)})))
}

async fn destroy(
    n: &Names,
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
) -> Result<Response> {
    require_admin(&actor)?;
    crate::app::rulebook::delete(&state, n.kind, &[path_id(&id)?], true).await?;
    Ok(no_content())
}

async fn destroy_many(
    n: &Names,
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    params: Params,
) -> Result<Response> {
    require_admin(&actor)?;
    let ids = params.ids("ids", 100)?.ok_or_else(|| ApiError::BadRequest("Give ?ids=1,2,3".into()))?;
    crate::app::rulebook::delete(&state, n.kind, &ids, false).await?;
    Ok(no_content())
}

async fn reorder(
    n: &Names,
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let key = format!("{}_ids", n.singular);
    let ids: Vec<i64> = body
        .get(&key)
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::BadRequest(format!("The body needs a \"{key}\" list")))?
        .iter()
        .map(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                .ok_or_else(|| ApiError::invalid(&key, format!("{key}: {v} is not an id")))
        })
        .collect::<Result<_, ApiError>>()?;
    crate::app::rulebook::reorder(&state, n.kind, &key, &ids).await?;
    Ok(ok(json!({})))
}

/// The simulator's first question: which tickets a rule's ticket conditions match now (for a
/// trigger, leaving aside what it asks of the write), cursor-paged with no cap.
async fn matches(
    n: &Names,
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response> {
    require_admin(&actor)?;
    let mut conn = state.db.read().await?;
    let r = find(&mut conn, n, &id).await?;
    let size = params.int("page[size]")?.or(params.int("per_page")?).unwrap_or(100).clamp(1, 1000);
    let after = params.int("after")?;
    matching(&state, &mut conn, &actor, &base, n, &r, size, after).await
}

/// A rule as sent, checked as a create would check it but not saved, and the tickets it would
/// act on now (the first hundred, and how many in all).
async fn preview(
    n: &Names,
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let m = root(&body, n.singular)?;
    let mut conn = state.db.read().await?;
    let mut r = Rule::default();
    app::apply(&mut conn, n.kind, &mut r, m, state.now(), actor.id()).await?;
    matching(&state, &mut conn, &actor, &base, n, &r, 100, None).await
}

/// The simulator's answer: a page of the tickets a rule's ticket conditions match now, and
/// their count.
#[allow(clippy::too_many_arguments)]
async fn matching(
    state: &State,
    conn: &mut frontdesk_store::AnyConnection,
    actor: &Actor,
    base: &Base,
    n: &Names,
    r: &Rule,
    size: i64,
    after: Option<i64>,
) -> Result<Response> {
    let defs = frontdesk_store::custom_fields::defs(&mut *conn, Record::Ticket).await?;
    let people = app::PeopleFields::load(&mut *conn).await?;
    let c = app::compile(r, people.context(state.now(), actor.id(), &defs))?;
    let filter = ticket_part(&c.test);
    let page = search::cursor_page::<frontdesk_store::tickets::Ticket>(
        &mut *conn,
        Record::Ticket,
        &filter,
        PageRequest::After { id: after, size },
    )
    .await?;
    let count = state.counts.count(&mut *conn, &filter).await?;
    let items = render::tickets(&mut *conn, base, &page.items).await?;
    let next = page
        .items
        .last()
        .filter(|_| page.has_more && r.id != 0)
        .map(|t| base.url(&format!("/api/v2/{}/{}/matches.json?after={}&page[size]={size}", n.plural, r.id, t.id)));
    Ok(ok(json!({"tickets": items, "count": count, "next_page": next})))
}

/// The part of a rule's test that is about the ticket alone: what a trigger asks of a write is
/// left out (taken as true), so the simulator shows the tickets it could fire on.
fn ticket_part(t: &domain::Test) -> frontdesk_domain::filter::Filter {
    use frontdesk_domain::filter::Filter;
    use frontdesk_domain::rules::Test;
    match t {
        Test::All(v) => Filter::All(v.iter().map(ticket_part).collect()),
        Test::Any(v) => Filter::Any(v.iter().map(ticket_part).collect()),
        Test::Not(x) => match x.as_ref() {
            Test::Now(f) => Filter::Not(Box::new(f.clone())),
            _ => Filter::All(vec![]),
        },
        Test::Now(f) => f.clone(),
        _ => Filter::All(vec![]),
    }
}

/// The simulator's second question: for one ticket as it is now, each active trigger and
/// automation, whether it matches, and each condition's answer.
async fn trace(AxState(state): AxState<State>, SignedIn(actor): SignedIn, Path(id): Path<String>) -> Result<Response> {
    require_staff(&actor)?;
    let mut conn = state.db.read().await?;
    let t = crate::app::tickets::load(&mut conn, &actor, path_id(&id)?, false).await?;
    let tags = frontdesk_store::tags::list(&mut conn, frontdesk_store::tags::Tagged::Ticket, t.id).await?;
    let values = crate::app::fields::load(&mut conn, Record::Ticket, t.id).await?;
    let facts = app::facts(&t, &tags, &values, None);
    let defs = frontdesk_store::custom_fields::defs(&mut conn, Record::Ticket).await?;
    let people = app::PeopleFields::load(&mut conn).await?;
    let ctx = people.context(state.now(), actor.id(), &defs);
    // As an update that changes nothing, by this caller.
    let mut update = Update {
        created: false,
        via: "api".into(),
        role: Some(actor.role),
        before: Some(facts.clone()),
        ..Default::default()
    };
    app::people_facts(&mut conn, t.requester_id, &mut update, true, &app::Known::default()).await?;
    let mut out = Vec::new();
    for kind in [RuleKind::Trigger, RuleKind::Automation] {
        for r in store::list(&mut conn, kind.as_str(), true).await? {
            let c = match app::conditions_of(&r) {
                Ok(c) => c,
                Err(e) => {
                    out.push(json!({"id": r.id, "kind": kind.as_str(), "title": r.title, "position": r.position, "matches": false, "conditions": [], "problem": e.to_string()}));
                    continue;
                }
            };
            let mut conditions = Vec::new();
            for (i, cond) in c.all.iter().chain(&c.any).enumerate() {
                let one = Conditions { all: vec![cond.clone()], any: vec![] };
                let holds = match domain::compile(&one, RuleKind::Trigger, ctx) {
                    Ok(test) => json!(test.holds(&facts, &update)),
                    Err(e) => json!(e.message),
                };
                let list = if i < c.all.len() { "all" } else { "any" };
                conditions.push(json!({"list": list, "field": cond.field, "operator": cond.operator, "value": cond.value, "holds": holds}));
            }
            let matched = domain::compile(&c, kind, ctx).map(|t| t.holds(&facts, &update)).unwrap_or(false);
            out.push(json!({"id": r.id, "kind": kind.as_str(), "title": r.title, "position": r.position, "matches": matched, "conditions": conditions}));
        }
    }
    Ok(ok(json!({"ticket_id": t.id, "rules": out})))
}

/// `/macros/{id}/apply`: the fields a macro sets and its comment, with no ticket.
async fn apply_alone(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
) -> Result<Response> {
    require_staff(&actor)?;
    let mut conn = state.db.read().await?;
    let r = find(&mut conn, &MACRO, &id).await?;
    let mut ticket = serde_json::Map::new();
    for a in app::actions_of(&r)? {
        match domain::parse_action(&a) {
            Ok(Action::Comment { body, html }) => {
                let key = if html { "html_body" } else { "body" };
                ticket.insert(
                    "comment".into(),
                    json!({key: body, "scoped_body": [["channel:all", body]], "public": true}),
                );
            }
            Ok(_) => {
                ticket.insert(a.field.clone(), a.value.clone());
            }
            Err(e) => return Err(ApiError::refused("actions", "", e).into()),
        }
    }
    Ok(ok(json!({"result": {"ticket": ticket}})))
}

/// `/tickets/{id}/macros/{id}/apply`: the whole ticket as the macro would leave it, and its
/// comment. The macro runs through the ticket update in a transaction that is rolled back, so
/// the preview is exactly what submitting it would do, and nothing changes.
async fn apply_to_ticket(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path((ticket_id, id)): Path<(String, String)>,
) -> Result<Response> {
    require_staff(&actor)?;
    let ticket_id = path_id(&ticket_id)?;
    let macro_id = path_id(&id)?;
    let ticket = app::preview_macro(&state, &actor, ticket_id, macro_id, async |tx, _, saved, comment_input| {
        let mut ticket =
            render::tickets(tx, &base, std::slice::from_ref(&saved.ticket)).await.map_err(|f| f.0)?.remove(0);
        let comment = match (comment_input, &saved.comment) {
            (Some(ci), Some(c)) => json!({
                "body": ci.body.clone().unwrap_or_else(|| c.plain_body.clone()),
                "html_body": c.html_body,
                "scoped_body": [["channel:all", ci.body.or(ci.html_body).unwrap_or_default()]],
                "public": c.public == 1,
            }),
            _ => Value::Null,
        };
        if !comment.is_null() {
            ticket["comment"] = comment;
        }
        Ok(ticket)
    })
    .await?;
    Ok(ok(json!({"result": {"ticket": ticket}})))
}

/// Runs an automation pass now, as the scheduler would, and reports it.
async fn run_now(AxState(state): AxState<State>, SignedIn(actor): SignedIn) -> Result<Response> {
    require_admin(&actor)?;
    let started = std::time::Instant::now();
    let r = app::run_automations(&state).await?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(ok(json!({"automation_run": {"matched": r.matched, "acted": r.acted, "duration_ms": ms}})))
}

fn category_json(c: &store::Category) -> Value {
    json!({"id": c.id.to_string(), "name": c.name, "position": c.position,
        "created_at": iso(c.created_at), "updated_at": iso(c.updated_at)})
}

async fn categories(AxState(state): AxState<State>, SignedIn(actor): SignedIn) -> Result<Response> {
    may_read(&actor)?;
    let mut conn = state.db.read().await?;
    let items: Vec<Value> = store::categories(&mut conn).await?.iter().map(category_json).collect();
    Ok(ok(json!({"trigger_categories": items, "links": {"next": null, "prev": null}, "meta": {"has_more": false}})))
}

async fn show_category(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
) -> Result<Response> {
    may_read(&actor)?;
    let mut conn = state.db.read().await?;
    let c = store::category(&mut conn, path_id(&id)?).await?.ok_or(ApiError::NotFound)?;
    Ok(ok(json!({"trigger_category": category_json(&c)})))
}

async fn create_category(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let c = crate::app::rulebook::save_category(&state, None, root(&body, "trigger_category")?).await?;
    Ok(created(
        json!({"trigger_category": category_json(&c)}),
        &base.url(&format!("/api/v2/trigger_categories/{}", c.id)),
    ))
}

async fn update_category(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let c = crate::app::rulebook::save_category(&state, Some(path_id(&id)?), root(&body, "trigger_category")?).await?;
    Ok(ok(json!({"trigger_category": category_json(&c)})))
}

async fn delete_category(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
) -> Result<Response> {
    require_admin(&actor)?;
    crate::app::rulebook::delete_category(&state, path_id(&id)?).await?;
    Ok(no_content())
}
