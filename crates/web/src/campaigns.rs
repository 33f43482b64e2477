//! Proactive campaigns in the workspace: find customers, compose the ticket, preview it, send
//! it (a job with live progress, paused and resumed at will) and read its report.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use frontdesk_domain::filter::Record;
use frontdesk_domain::{Priority, TicketType};
use frontdesk_store::{PageRequest, campaigns as store, users};

use super::pages::{Problems, error_page, me, reader, staff};
use super::session::{self, Session};
use super::{PageForm, PageQuery};
use super::{local_time, render};
use crate::State;
use crate::app::campaigns::{self as app, CampaignInput};
use crate::error::ApiError;
use frontdesk_edge::Result;

const PER_PAGE: i64 = 20;
const MAX_PER_PAGE: i64 = 500;

/// A staff member who may run campaigns, or the page to answer instead (a 403 naming the
/// permission).
async fn runner(state: &State, headers: &HeaderMap) -> std::result::Result<Session, Response> {
    let s = staff(state, headers).await?;
    let allowed = match state.db.read().await {
        Ok(mut conn) => app::may_run(&mut conn, &s.actor).await,
        Err(e) => Err(e.into()),
    };
    match allowed {
        Ok(()) => Ok(s),
        Err(_) => Err(error_page(state, headers, StatusCode::FORBIDDEN, "campaign-permission").await),
    }
}

pub async fn list(AxState(state): AxState<State>, headers: HeaderMap) -> Result<Response> {
    let s = match runner(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let mut conn = state.db.read().await?;
    let all = store::list(&mut conn).await?;
    drop(conn);
    let r = reader(&state, &headers, Some(&s.actor.user)).await?;
    let rows: Vec<_> = all
        .iter()
        .map(|c| {
            let (at, at_iso) = local_time(c.created_at, &r.tz);
            context! { id => c.id, name => c.name, state => c.state, total => c.total, created => c.created,
            skipped => c.skipped, failed => c.failed, at, at_iso }
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        "campaigns.html",
        r.locale,
        context! { me => me(&state, &s).await?, csrf => s.csrf, campaigns => rows },
    ))
}

#[derive(Deserialize, Default)]
pub struct FindQuery {
    q: Option<String>,
    organization: Option<String>,
    tags: Option<String>,
    fields: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
}

/// The search language query of the finder's inputs: free text over every user field, and
/// organization, tags and `key:value` custom fields, for customers only.
fn finder_query(q: &FindQuery) -> String {
    let quote =
        |v: &str| if v.contains(char::is_whitespace) { format!("\"{}\"", v.replace('"', "")) } else { v.to_string() };
    let mut parts = vec!["role:end-user".to_string()];
    if let Some(t) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        parts.push(t.to_string());
    }
    if let Some(o) = q.organization.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        parts.push(format!("organization:{}", quote(o)));
    }
    for t in q.tags.as_deref().unwrap_or("").split([' ', ',']).filter(|t| !t.is_empty()) {
        parts.push(format!("tags:{t}"));
    }
    for line in q.fields.as_deref().unwrap_or("").lines().map(str::trim).filter(|l| !l.is_empty()) {
        parts.push(line.to_string());
    }
    parts.join(" ")
}

/// Step 1 and 2 on one page: find customers (20 a page, up to 500, no cap on pages), choose
/// them, and compose the ticket.
pub async fn new(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    PageQuery(q): PageQuery<FindQuery>,
) -> Result<Response> {
    let s = match runner(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    compose_page(&state, &headers, &s, &q, StatusCode::OK, Map::new(), Problems::default()).await
}

#[allow(clippy::too_many_arguments)]
#[allow(clippy::too_many_lines, reason = "longer than a screen: on the list to split (ARCHITECTURE.md)")]
async fn compose_page(
    state: &State,
    headers: &HeaderMap,
    s: &Session,
    q: &FindQuery,
    status: StatusCode,
    posted: Map<String, Value>,
    problems: Problems,
) -> Result<Response> {
    let r = reader(state, headers, Some(&s.actor.user)).await?;
    let query = finder_query(q);
    let per_page = q.per_page.unwrap_or(PER_PAGE).clamp(1, MAX_PER_PAGE);
    let page = q.page.unwrap_or(1).max(1);
    let searched = q.q.is_some() || q.organization.is_some() || q.tags.is_some() || q.fields.is_some();
    let mut conn = state.db.read().await?;
    let mut found = Vec::new();
    let mut total = 0i64;
    let mut search_error = None;
    if searched {
        let asker = crate::app::query::Asker { now: state.now(), me: s.actor.id() };
        match crate::app::query::resolve(&mut conn, &query, Some(Record::User), asker).await {
            Ok((filters, _)) => {
                if let Some((_, f)) = filters.first() {
                    let ids = frontdesk_store::search::user_ids(&mut conn, f).await?;
                    total = ids.len() as i64;
                    let start = ((page - 1) * per_page).min(total) as usize;
                    let end = (start + per_page as usize).min(ids.len());
                    let people = users::get_many(&mut conn, &ids[start..end]).await?;
                    let org_ids: Vec<i64> = people.iter().filter_map(|u| u.organization_id).collect();
                    let orgs: HashMap<i64, String> = frontdesk_store::organizations::get_many(&mut conn, &org_ids)
                        .await?
                        .into_iter()
                        .map(|o| (o.id, o.name))
                        .collect();
                    found = people
                        .into_iter()
                        .map(|u| {
                            let org = u.organization_id.and_then(|o| orgs.get(&o).cloned());
                            context! { id => u.id, name => u.name, email => u.email, organization => org, suspended => u.suspended == 1 }
                        })
                        .collect();
                }
            }
            Err(e @ ApiError::InvalidQuery { .. }) => search_error = Some(super::pages::error_text(r.locale, &e)),
            Err(e) => return Err(e.into()),
        }
    }
    let statuses: Vec<_> = frontdesk_store::custom_statuses::list(&mut conn, true)
        .await?
        .into_iter()
        .filter(|c| c.status_category != "new")
        .map(|c| {
            let label = if c.is_default == 1 {
                crate::i18n::tr(r.locale, &format!("status-{}", c.status_category), &[])
            } else {
                c.agent_label.clone()
            };
            context! { id => c.id, label }
        })
        .collect();
    let staff_ids = users::staff_ids(&mut conn).await?;
    let agents: Vec<_> = users::get_many(&mut conn, &staff_ids)
        .await?
        .into_iter()
        .map(|u| context! { id => u.id.to_string(), name => u.name })
        .collect();
    let groups = frontdesk_store::groups::list(&mut conn, PageRequest::After { id: None, size: 1000 }).await?.items;
    let macros: Vec<_> = frontdesk_store::rules::list(&mut conn, "macro", true)
        .await?
        .into_iter()
        .map(|m| context! { id => m.id.to_string(), title => m.title })
        .collect();
    let defs: Vec<_> = frontdesk_store::custom_fields::defs(&mut conn, Record::Ticket)
        .await?
        .into_iter()
        .filter(|d| d.active)
        .collect();
    drop(conn);
    let custom_fields = super::ticket::field_inputs(&defs, None, &super::ticket::Draft::default(), &problems);
    let pages = ((total + per_page - 1) / per_page).max(1);
    let encode = |v: &Option<String>| -> String {
        form_urlencoded::byte_serialize(v.as_deref().unwrap_or("").as_bytes()).collect()
    };
    let link = format!(
        "q={}&organization={}&tags={}&fields={}&per_page={per_page}",
        encode(&q.q),
        encode(&q.organization),
        encode(&q.tags),
        encode(&q.fields)
    );
    let v =
        |k: &str| posted.get(k).map(|x| x.as_str().map(str::to_string).unwrap_or(x.to_string())).unwrap_or_default();
    let form = context! {
        name => v("name"), subject => v("subject"), body => v("body"), public => v("public") != "false",
        status => v("status"), priority => v("priority"), type => v("type"), assignee_id => v("assignee_id"),
        group_id => v("group_id"), tags => v("tags"), macro_id => v("macro_id"), round_robin => v("round_robin") == "1",
    };
    let finder = context! {
        q => q.q.clone().unwrap_or_default(), organization => q.organization.clone().unwrap_or_default(),
        tags => q.tags.clone().unwrap_or_default(), fields => q.fields.clone().unwrap_or_default(),
    };
    Ok(render(
        status,
        "campaign_new.html",
        r.locale,
        context! {
            me => me(state, s).await?, csrf => s.csrf.clone(), finder, searched, found, total, page, pages, per_page, link,
            query, search_error, statuses, agents, groups => super::ticket::group_choices(&groups), macros,
            priorities => Priority::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            types => TicketType::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            form, errors => problems.by_input(), error => problems.above(), custom_fields, form_id => "campaign",
        },
    ))
}

/// The posted composer as the API's campaign.
fn campaign_of(form: &HashMap<String, Vec<String>>) -> (Map<String, Value>, Map<String, Value>) {
    let one = |k: &str| form.get(k).and_then(|v| v.first()).map(|v| v.trim().to_string()).unwrap_or_default();
    let mut ticket = Map::new();
    ticket.insert("subject".into(), json!(one("subject")));
    ticket.insert("comment".into(), json!({"body": one("body"), "public": one("public") != "false"}));
    if let Some(id) = one("status").strip_prefix("cs:").and_then(|i| i.parse::<i64>().ok()) {
        ticket.insert("custom_status_id".into(), json!(id));
    } else if !one("status").is_empty() {
        ticket.insert("status".into(), json!(one("status")));
    }
    for key in ["priority", "type", "assignee_id", "group_id"] {
        if !one(key).is_empty() {
            ticket.insert(key.into(), json!(one(key)));
        }
    }
    if one("round_robin") == "1" {
        ticket.insert("round_robin".into(), json!(true));
    }
    let values = super::ticket::custom_field_values(form, None);
    if !values.is_empty() {
        ticket.insert("custom_fields".into(), Value::Array(values));
    }
    let tags: Vec<&str> = form
        .get("tags")
        .and_then(|v| v.first())
        .map(|t| t.split([' ', ',']).filter(|x| !x.is_empty()).collect())
        .unwrap_or_default();
    if !tags.is_empty() {
        ticket.insert("tags".into(), json!(tags));
    }
    let mut audience = Map::new();
    if one("all_matching") == "1" {
        audience.insert("query".into(), json!(one("query")));
    }
    let ids: Vec<i64> = form.get("ids").into_iter().flatten().filter_map(|v| v.parse().ok()).collect();
    if !ids.is_empty() && one("all_matching") != "1" {
        audience.insert("user_ids".into(), json!(ids));
    }
    let mut c = Map::new();
    c.insert("name".into(), json!(one("name")));
    c.insert("audience".into(), Value::Object(audience));
    c.insert("ticket".into(), Value::Object(ticket));
    if let Ok(m) = one("macro_id").parse::<i64>() {
        c.insert("macro_id".into(), json!(m));
    }
    if one("override_frequency_cap") == "1" {
        c.insert("override_frequency_cap".into(), json!(true));
    }
    // What the composer showed, to fill it again when refused.
    let mut shown = Map::new();
    for k in [
        "name",
        "subject",
        "body",
        "public",
        "status",
        "priority",
        "type",
        "assignee_id",
        "group_id",
        "tags",
        "macro_id",
    ] {
        shown.insert(k.into(), json!(one(k)));
    }
    (c, shown)
}

fn gather(pairs: Vec<(String, String)>) -> HashMap<String, Vec<String>> {
    let mut form: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in pairs {
        form.entry(k).or_default().push(v);
    }
    form
}

fn finder_of(form: &HashMap<String, Vec<String>>) -> FindQuery {
    let one = |k: &str| form.get(k).and_then(|v| v.first()).cloned();
    FindQuery {
        q: one("find_q"),
        organization: one("find_organization"),
        tags: one("find_tags"),
        fields: one("find_fields"),
        page: None,
        per_page: None,
    }
}

/// A refused campaign: back to the composer, each message next to its input.
async fn refused(
    state: &State,
    headers: &HeaderMap,
    s: &Session,
    form: &HashMap<String, Vec<String>>,
    shown: Map<String, Value>,
    e: ApiError,
) -> Result<Response> {
    let locale = reader(state, headers, Some(&s.actor.user)).await?.locale;
    let (status, problems) = match e {
        ApiError::Invalid(list) => {
            let problems = Problems::place(locale, &list, |f| match Problems::base(f.trim_start_matches("ticket.")) {
                "comment" => Some("body".to_string()),
                base @ ("name" | "subject" | "status" | "custom_status_id" | "priority" | "type" | "assignee_id"
                | "group_id" | "tags" | "macro_id" | "custom_fields") => Some(base.to_string()),
                _ => None,
            });
            (StatusCode::UNPROCESSABLE_ENTITY, problems)
        }
        e @ (ApiError::InvalidQuery { .. } | ApiError::Forbidden(_)) => {
            let mut problems = Problems::default();
            problems.add_above(super::pages::error_text(locale, &e));
            let forbidden = matches!(e, ApiError::Forbidden(_));
            (if forbidden { StatusCode::FORBIDDEN } else { StatusCode::UNPROCESSABLE_ENTITY }, problems)
        }
        other => return Err(other.into()),
    };
    compose_page(state, headers, s, &finder_of(form), status, shown, problems).await
}

/// Step 3: the preview, with what Send will post.
pub async fn preview(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response> {
    let s = match runner(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let form = gather(pairs);
    let (campaign, shown) = campaign_of(&form);
    let csrf = form.get("_csrf").and_then(|v| v.first()).map(String::as_str);
    if !session::csrf_ok(&s.csrf, csrf) {
        return Ok(error_page(&state, &headers, StatusCode::FORBIDDEN, "stale-form").await);
    }
    let now = state.now();
    let checked = async {
        let input = CampaignInput::parse(&campaign)?;
        let mut conn = state.db.read().await?;
        app::preview(&mut conn, &input, &s.actor, now).await
    }
    .await;
    let p = match checked {
        Ok(p) => p,
        Err(e) => return refused(&state, &headers, &s, &form, shown, e).await,
    };
    let r = reader(&state, &headers, Some(&s.actor.user)).await?;
    let reasons: Vec<_> = p["skip_reasons"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, n)| context! { key => format!("skip-{k}"), count => n.as_i64().unwrap_or(0) })
        .collect();
    let samples: Vec<_> = p["samples"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| {
            context! { name => x["name"].as_str().map(str::to_string), email => x["email"].as_str().map(str::to_string),
            subject => x["subject"].as_str().map(str::to_string), html => x["html_body"].as_str().map(str::to_string),
            public => x["public"].as_bool().unwrap_or(true) }
        })
        .collect();
    let warnings: Vec<_> = p["warnings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|w| {
            let text = match w["type"].as_str() {
                Some("capacity") => match w["days_of_work"].as_f64() {
                    Some(d) => crate::i18n::tr(
                        r.locale,
                        "warning-capacity",
                        &[
                            ("count", p["sending"].as_i64().unwrap_or(0).into()),
                            ("days", format!("{d}").into()),
                            ("per_day", format!("{}", w["solved_per_day"].as_f64().unwrap_or(0.0)).into()),
                        ],
                    ),
                    None => crate::i18n::tr(
                        r.locale,
                        "warning-capacity-none",
                        &[("count", p["sending"].as_i64().unwrap_or(0).into())],
                    ),
                },
                _ => crate::i18n::tr(
                    r.locale,
                    "warning-frequency",
                    &[
                        ("count", w["customers"].as_i64().unwrap_or(0).into()),
                        ("days", w["interval_days"].as_i64().unwrap_or(7).into()),
                    ],
                ),
            };
            context! { kind => w["type"].as_str().map(str::to_string), text }
        })
        .collect();
    let summary = context! {
        name => p["name"].as_str().map(str::to_string), tag => p["tag"].as_str().map(str::to_string),
        total => p["total"].as_i64(), sending => p["sending"].as_i64(), skipped => p["skipped"].as_i64(),
    };
    Ok(render(
        StatusCode::OK,
        "campaign_preview.html",
        r.locale,
        context! {
            me => me(&state, &s).await?, csrf => s.csrf.clone(), summary, reasons, samples, warnings,
            campaign => Value::Object(campaign).to_string(), admin => s.actor.is_admin(),
        },
    ))
}

#[derive(Deserialize)]
pub struct SendForm {
    campaign: String,
    override_frequency_cap: Option<String>,
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

/// Step 4: send. The campaign is made (recipients fixed, view created) and its job queued.
pub async fn send(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    PageForm(f): PageForm<SendForm>,
) -> Result<Response> {
    let s = match runner(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    if !session::csrf_ok(&s.csrf, f.csrf.as_deref()) {
        return Ok(error_page(&state, &headers, StatusCode::FORBIDDEN, "stale-form").await);
    }
    let mut body: Map<String, Value> = serde_json::from_str(&f.campaign).unwrap_or_default();
    if f.override_frequency_cap.as_deref() == Some("1") {
        body.insert("override_frequency_cap".into(), json!(true));
    }
    let made = async {
        let input = CampaignInput::parse(&body)?;
        app::create(&state, &input, &s.actor).await
    }
    .await;
    match made {
        Ok(c) => Ok(Redirect::to(&format!("/agent/campaigns/{}", c.id)).into_response()),
        Err(e) => {
            let form = HashMap::new();
            let shown = body.get("ticket").cloned().and_then(|t| t.as_object().cloned()).unwrap_or_default();
            refused(&state, &headers, &s, &form, shown, e).await
        }
    }
}

/// Steps 5 and 6: progress (live while sending), the confirmation and the report.
pub async fn show(AxState(state): AxState<State>, headers: HeaderMap, Path(id): Path<String>) -> Result<Response> {
    let s = match runner(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let Ok(id) = id.parse::<i64>() else {
        return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "not-found").await);
    };
    let mut conn = state.db.read().await?;
    let Some(c) = store::get(&mut conn, id).await? else {
        drop(conn);
        return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "not-found").await);
    };
    let tally = store::tally(&mut conn, id).await?;
    let report = app::report(&mut conn, &c).await?;
    drop(conn);
    let r = reader(&state, &headers, Some(&s.actor.user)).await?;
    let reasons: Vec<_> = tally
        .iter()
        .filter(|(st, _, _)| st == "skipped" || st == "failed")
        .map(|(st, reason, n)| {
            let known = matches!(reason.as_deref(), Some("not_found" | "not_a_customer" | "suspended" | "opted_out" | "contacted_recently"));
            context! { state => st, key => reason.as_ref().filter(|_| known).map(|x| format!("skip-{x}")), reason => reason, count => n }
        })
        .collect();
    let sending = matches!(c.state.as_str(), "queued" | "running");
    let by_status: Vec<_> = report["by_status"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, n)| context! { status => k, count => n.as_i64() })
        .collect();
    let custom: Vec<_> = report["by_custom_status"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| context! { label => x["agent_label"].as_str().map(str::to_string), count => x["count"].as_i64() })
        .collect();
    let median =
        report["median_first_reply_seconds"].as_i64().map(|s| format!("{}h {:02}m", s / 3600, (s % 3600) / 60));
    let done = c.created + c.skipped + c.failed;
    let campaign = context! {
        id => c.id, name => c.name, tag => c.tag, state => c.state, total => c.total, created => c.created,
        skipped => c.skipped, failed => c.failed, done, view_id => c.view_id,
    };
    let report = context! { by_status, custom, replied => report["replied"].as_i64(), solved => report["solved"].as_i64(), median };
    let mut page = render(
        StatusCode::OK,
        "campaign.html",
        r.locale,
        context! { me => me(&state, &s).await?, csrf => s.csrf, campaign, reasons, report, sending },
    );
    if sending {
        page.headers_mut().insert("refresh", HeaderValue::from_static("2"));
    }
    Ok(page)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

async fn change_state(
    state: &State,
    headers: &HeaderMap,
    id: &str,
    csrf: Option<&str>,
    pause: bool,
) -> Result<Response> {
    let s = match runner(state, headers).await {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let Ok(id) = id.parse::<i64>() else {
        return Ok(error_page(state, headers, StatusCode::NOT_FOUND, "not-found").await);
    };
    if !session::csrf_ok(&s.csrf, csrf) {
        return Ok(error_page(state, headers, StatusCode::FORBIDDEN, "stale-form").await);
    }
    let r = if pause { app::pause(state, id).await } else { app::resume(state, id, &s.actor).await };
    match r {
        Ok(_) | Err(ApiError::Invalid(_)) => Ok(Redirect::to(&format!("/agent/campaigns/{id}")).into_response()),
        Err(ApiError::NotFound) => Ok(error_page(state, headers, StatusCode::NOT_FOUND, "not-found").await),
        Err(e) => Err(e.into()),
    }
}

pub async fn pause(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    PageForm(f): PageForm<CsrfForm>,
) -> Result<Response> {
    change_state(&state, &headers, &id, f.csrf.as_deref(), true).await
}

pub async fn resume(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    PageForm(f): PageForm<CsrfForm>,
) -> Result<Response> {
    change_state(&state, &headers, &id, f.csrf.as_deref(), false).await
}

/// The report as a download (CSV or XLSX), for the signed-in agent.
pub async fn download(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path((id, format)): Path<(String, String)>,
) -> Result<Response> {
    let s = match runner(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let (Ok(id), true) = (id.parse::<i64>(), format == "report.csv" || format == "report.xlsx") else {
        return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "not-found").await);
    };
    let mut conn = state.db.read().await?;
    let Some(c) = store::get(&mut conn, id).await? else {
        drop(conn);
        return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "not-found").await);
    };
    let report = app::report(&mut conn, &c).await?;
    drop(conn);
    // The labels in the reader's language.
    let locale = reader(&state, &headers, Some(&s.actor.user)).await?.locale;
    let file = if format == "report.csv" {
        crate::app::reports::csv(&report, locale)
    } else {
        crate::app::reports::xlsx(&report, locale)?
    };
    Ok(frontdesk_edge::download(file))
}
