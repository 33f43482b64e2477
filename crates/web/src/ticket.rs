//! The ticket page: the conversation (public replies and internal notes told apart), the
//! requester and organization panel, the properties (fields, custom fields, tags, status) and
//! the composer, all saved by one "Submit as <status>"; the macro preview; the history tab.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use frontdesk_domain::fields::FieldType;
use frontdesk_domain::filter::Record;
use frontdesk_domain::{Priority, TicketType};
use frontdesk_store::tickets::TicketFilter;
use frontdesk_store::{PageRequest, audits, custom_statuses, users};

use super::pages::{Problems, caller_and_id, error_page, me, reader};
use super::session::{self, Session};
use super::{PageForm, PageQuery, id_of};
use super::{local_time, render};
use crate::State;
use crate::app::tickets::TicketInput;
use crate::error::{ApiError, FieldError};
use frontdesk_edge::Result;

/// The most comments a ticket page shows (the newest ones), and the other tickets of the
/// requester listed beside it.
const MAX_COMMENTS: i64 = 1000;
const OTHER_TICKETS: i64 = 10;

#[derive(Deserialize, Default)]
pub struct TicketQuery {
    saved: Option<String>,
    /// A macro to preview on the ticket.
    #[serde(rename = "macro")]
    macro_id: Option<i64>,
}

pub async fn page(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    PageQuery(q): PageQuery<TicketQuery>,
) -> Result<Response> {
    let (s, id) = match caller_and_id(&state, &headers, true, &id).await {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let preview = match q.macro_id {
        Some(m) => macro_preview(&state, &s, id, m).await?,
        None => None,
    };
    // A macro asked for that is gone (or a mistyped link): said, not silently ignored.
    let problem = (q.macro_id.is_some() && preview.is_none()).then_some("macro-not-found");
    let shown = Shown { flash_key: q.saved.map(|_| "saved"), preview, problem, ..Shown::new(StatusCode::OK) };
    view(&state, &headers, &s, id, shown).await
}

/// What a macro would do to the ticket: run through the real update in a transaction that is
/// then rolled back.
async fn macro_preview(state: &State, s: &Session, id: i64, macro_id: i64) -> Result<Option<minijinja::Value>> {
    let preview = crate::app::rules::preview_macro(state, &s.actor, id, macro_id, async |_, m, saved, comment| {
        let shown = saved.comment.filter(|_| comment.is_some());
        Ok(context! {
            id => m.id,
            title => m.title,
            status => saved.ticket.status,
            priority => saved.ticket.priority,
            tags => saved.tags,
            comment => shown.as_ref().map(|c| c.html_body.clone()),
            public => shown.as_ref().is_some_and(|c| c.public == 1),
        })
    })
    .await;
    match preview {
        Ok(p) => Ok(Some(p)),
        Err(ApiError::NotFound | ApiError::Forbidden(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct MacroForm {
    #[serde(rename = "macro")]
    macro_id: i64,
    version: Option<i64>,
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

/// Applies a previewed macro for real, if the ticket has not changed since the preview.
pub async fn apply_macro(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    PageForm(f): PageForm<MacroForm>,
) -> Result<Response> {
    let (s, id) = match caller_and_id(&state, &headers, true, &id).await {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    if !session::csrf_ok(&s.csrf, f.csrf.as_deref()) {
        return view(&state, &headers, &s, id, Shown::refused(StatusCode::FORBIDDEN, "stale-form", Draft::default()))
            .await;
    }
    let applied = crate::app::rules::apply_macro(&state, &s.actor, id, f.macro_id, f.version).await;
    outcome(&state, &headers, &s, id, applied.map(|_| ()), Draft::default()).await
}

/// The page after a write: back to the ticket when saved, else the ticket with the problem
/// next to the form and the agent's draft kept.
async fn outcome(
    state: &State,
    headers: &HeaderMap,
    s: &Session,
    id: i64,
    saved: Result<(), ApiError>,
    draft: Draft,
) -> Result<Response> {
    let shown = match saved {
        Ok(()) => return Ok(Redirect::to(&format!("/agent/tickets/{id}?saved=1")).into_response()),
        Err(ApiError::UpdateConflict) => {
            // The new state is shown; only the text the agent wrote is kept.
            let draft = Draft { fields: HashMap::new(), ..draft };
            Shown::refused(StatusCode::CONFLICT, "conflict", draft)
        }
        Err(ApiError::Invalid(errors)) => Shown { errors, draft, ..Shown::new(StatusCode::UNPROCESSABLE_ENTITY) },
        Err(ApiError::NotFound) => return Ok(error_page(state, headers, StatusCode::NOT_FOUND, "not-found").await),
        Err(ApiError::Forbidden(_)) => {
            return Ok(error_page(state, headers, StatusCode::FORBIDDEN, "forbidden").await);
        }
        Err(e) => return Err(e.into()),
    };
    view(state, headers, s, id, shown).await
}

/// What the agent had entered, shown again when a submit is refused.
#[derive(Default, serde::Serialize)]
pub(super) struct Draft {
    pub body: String,
    pub internal: bool,
    pub assign: bool,
    /// The properties as posted (`priority`, `cf_12`…), over the ticket's own values.
    pub fields: HashMap<String, Vec<String>>,
}

impl Draft {
    /// A posted form, its fields gathered by name.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> (Draft, HashMap<String, Vec<String>>) {
        let mut form: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in pairs {
            form.entry(k).or_default().push(v);
        }
        let one = |k: &str| form.get(k).and_then(|v| v.first()).cloned();
        let draft = Draft {
            body: one("body").unwrap_or_default(),
            internal: one("public").as_deref() == Some("false"),
            assign: one("assign_to_me").is_some(),
            fields: form.iter().filter(|(k, _)| is_property(k)).map(|(k, v)| (k.clone(), v.clone())).collect(),
        };
        (draft, form)
    }
}

/// "Submit as <status>": the reply or note, the properties and "Assign to me", saved as one
/// update (triggers included). A ticket changed since the page was shown is refused, never
/// overwritten.
pub async fn submit(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response> {
    let (s, id) = match caller_and_id(&state, &headers, true, &id).await {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let (draft, form) = Draft::from_pairs(pairs);
    let one = |k: &str| form.get(k).and_then(|v| v.first()).cloned();
    if !session::csrf_ok(&s.csrf, one("_csrf").as_deref()) {
        return view(&state, &headers, &s, id, Shown::refused(StatusCode::FORBIDDEN, "stale-form", draft)).await;
    }
    let version = one("version").and_then(|v| v.parse::<i64>().ok());
    let change = change_of(&form, &draft, s.actor.id());
    let input = match TicketInput::parse(&change) {
        Ok(i) => i,
        Err(e) => return outcome(&state, &headers, &s, id, Err(e), draft).await,
    };
    let input = TicketInput { shown_change: version, ..input };
    let saved = crate::app::tickets::update(&state, &s.actor, id, input, &crate::app::Via::web()).await;
    outcome(&state, &headers, &s, id, saved.map(|_| ()), draft).await
}

fn is_property(k: &str) -> bool {
    matches!(
        k,
        "priority" | "type" | "group_id" | "assignee_id" | "tags" | "subject" | "requester_email" | "requester_name"
    ) || k.starts_with("cf_")
}

/// The form as the API's ticket change, so the page and the API share every check.
pub(super) fn change_of(form: &HashMap<String, Vec<String>>, draft: &Draft, me: i64) -> Map<String, Value> {
    let one = |k: &str| form.get(k).and_then(|v| v.first()).map(|s| s.trim().to_string());
    let mut m = Map::new();
    if !draft.body.trim().is_empty() {
        m.insert("comment".into(), json!({"body": draft.body, "public": !draft.internal}));
    }
    match one("status").as_deref() {
        Some(st) if st.starts_with("cs:") => {
            m.insert("custom_status_id".into(), json!(st[3..].parse::<i64>().unwrap_or(0)));
        }
        Some(st) if !st.is_empty() => {
            m.insert("status".into(), json!(st));
        }
        _ => {}
    }
    for key in ["priority", "type"] {
        if let Some(v) = one(key) {
            m.insert(key.into(), if v.is_empty() { Value::Null } else { json!(v) });
        }
    }
    for key in ["group_id", "assignee_id"] {
        if let Some(v) = one(key) {
            m.insert(key.into(), if v.is_empty() { Value::Null } else { json!(v) });
        }
    }
    if draft.assign {
        m.insert("assignee_id".into(), json!(me));
    }
    if let Some(tags) = one("tags") {
        let list: Vec<&str> = tags.split([' ', ',']).filter(|t| !t.is_empty()).collect();
        m.insert("tags".into(), json!(list));
    }
    let fields = custom_field_values(form, None);
    if !fields.is_empty() {
        m.insert("custom_fields".into(), Value::Array(fields));
    }
    m
}

/// The custom field values a form posts (`cf_<id>`), as the API's `custom_fields`; with
/// `allowed`, only those fields (a customer's form may set only what the portal offers).
pub(super) fn custom_field_values(
    form: &HashMap<String, Vec<String>>,
    allowed: Option<&std::collections::HashSet<i64>>,
) -> Vec<Value> {
    let mut fields = Vec::new();
    for (k, values) in form {
        let Some(id) = k.strip_prefix("cf_").and_then(|i| i.parse::<i64>().ok()) else { continue };
        if allowed.is_some_and(|a| !a.contains(&id)) {
            continue;
        }
        // A checkbox sends "0" from its hidden twin and "1" when ticked; a multi-select sends
        // each choice, and "" from its hidden twin so that clearing it is seen.
        let chosen: Vec<&str> = values.iter().map(String::as_str).filter(|v| !v.is_empty()).collect();
        let value = match form.get(&format!("cfkind_{id}")).and_then(|v| v.first()).map(String::as_str) {
            Some("multiselect") => json!(chosen),
            Some("checkbox") => json!(chosen.contains(&"1")),
            _ => match chosen.last() {
                Some(v) => json!(v),
                None => Value::Null,
            },
        };
        fields.push(json!({"id": id, "value": value}));
    }
    fields.sort_by_key(|f| f["id"].as_i64());
    fields
}

/// How the ticket page is shown: its status, a flash, a refused write's problems, the draft
/// and a macro preview.
struct Shown {
    status: StatusCode,
    flash_key: Option<&'static str>,
    problem: Option<&'static str>,
    errors: Vec<FieldError>,
    draft: Draft,
    preview: Option<minijinja::Value>,
}

impl Shown {
    fn new(status: StatusCode) -> Shown {
        Shown { status, flash_key: None, problem: None, errors: Vec::new(), draft: Draft::default(), preview: None }
    }

    fn refused(status: StatusCode, key: &'static str, draft: Draft) -> Shown {
        Shown { problem: Some(key), draft, ..Shown::new(status) }
    }
}

/// The inputs of the custom fields: a refused form's values, else the record's own.
pub(super) fn field_inputs(
    defs: &[frontdesk_domain::fields::FieldDef],
    mine: Option<&std::collections::BTreeMap<i64, Vec<String>>>,
    draft: &Draft,
    problems: &Problems,
) -> Vec<minijinja::Value> {
    defs.iter()
        .map(|d| {
            let key = format!("cf_{}", d.id);
            let current: Vec<String> = match draft.fields.get(&key) {
                Some(v) => v.iter().filter(|x| !x.is_empty()).cloned().collect(),
                None => mine.and_then(|m| m.get(&d.id)).cloned().unwrap_or_default(),
            };
            let options: Vec<_> = d.options.iter().map(|o| context! { name => o.name, value => o.value }).collect();
            context! {
                id => d.id, key, title => d.title, kind => d.kind.as_str(), options,
                value => current.last().cloned().unwrap_or_default(),
                values => current,
                required => d.required,
                error => problems.of(&key),
            }
        })
        .collect()
}

/// A property's value on the page: what the agent posted, else the ticket's own.
fn value_of(draft: &Draft, key: &str, current: Option<String>) -> String {
    match draft.fields.get(key) {
        Some(v) => v.last().cloned().unwrap_or_default(),
        None => current.unwrap_or_default(),
    }
}

/// Renders the ticket page, with a refused write's problems next to the fields they concern.
#[allow(clippy::too_many_lines, reason = "longer than a screen: on the list to split (ARCHITECTURE.md)")]
async fn view(state: &State, headers: &HeaderMap, s: &Session, id: i64, shown: Shown) -> Result<Response> {
    let Shown { status, flash_key, problem, errors, draft, preview } = shown;
    let mut conn = state.db.read().await?;
    let t = match crate::app::tickets::load(&mut conn, &s.actor, id, false).await {
        Ok(t) => t,
        Err(ApiError::NotFound) | Err(ApiError::Forbidden(_)) => {
            drop(conn);
            return Ok(error_page(state, headers, StatusCode::NOT_FOUND, "not-found").await);
        }
        Err(e) => return Err(e.into()),
    };
    let version = frontdesk_store::tickets::change_seq(&mut conn, id).await?;
    let macros: Vec<minijinja::Value> = frontdesk_store::rules::list(&mut conn, "macro", true)
        .await?
        .into_iter()
        .map(|m| context! { id => m.id, title => m.title })
        .collect();
    let total_comments = audits::count_comments(&mut conn, id).await?;
    // The newest comments, oldest first.
    let comments =
        audits::list_comments(&mut conn, id, false, PageRequest::Before { id: i64::MAX, size: MAX_COMMENTS })
            .await?
            .items;
    let mut files = files_by_comment(&mut conn, &comments).await?;
    let tags = frontdesk_store::tags::list(&mut conn, frontdesk_store::tags::Tagged::Ticket, id).await?;
    let staff = users::staff_ids(&mut conn).await?;
    let mut people: Vec<i64> = comments.iter().map(|c| c.author_id).collect();
    people.extend([Some(t.requester_id), t.assignee_id].into_iter().flatten());
    people.extend(staff.iter().copied());
    people.sort_unstable();
    people.dedup();
    let users_by_id: HashMap<i64, users::User> =
        users::get_many(&mut conn, &people).await?.into_iter().map(|u| (u.id, u)).collect();
    let name = |id: i64| users_by_id.get(&id).map(|u| u.name.clone()).unwrap_or_default();
    let groups = frontdesk_store::groups::list(&mut conn, PageRequest::After { id: None, size: 1000 }).await?.items;
    let organization = match t.organization_id {
        Some(o) => frontdesk_store::organizations::get(&mut conn, o).await?,
        None => None,
    };
    let others = frontdesk_store::tickets::list(
        &mut conn,
        &TicketFilter { requester_id: Some(t.requester_id), ..Default::default() },
        PageRequest::Before { id: i64::MAX, size: OTHER_TICKETS + 1 },
    )
    .await?
    .items;
    let others: Vec<_> = others.into_iter().rev().collect();
    let statuses = custom_statuses::list(&mut conn, true).await?;
    let defs: Vec<_> = frontdesk_store::custom_fields::defs(&mut conn, Record::Ticket)
        .await?
        .into_iter()
        .filter(|d| d.active)
        .collect();
    let values = frontdesk_store::custom_fields::values(&mut conn, Record::Ticket, &[id]).await?;
    drop(conn);

    let r = reader(state, headers, Some(&s.actor.user)).await?;
    let tr = |key: &str| crate::i18n::tr(r.locale, key, &[]);
    let shown_here = ["priority", "type", "group_id", "assignee_id", "tags", "custom_fields"];
    let mut problems = Problems::place(r.locale, &errors, |f| {
        let base = Problems::base(f);
        shown_here.contains(&base).then(|| base.to_string())
    });
    if let Some(p) = problem {
        problems.add_above(tr(p));
    }

    let conversation: Vec<minijinja::Value> = comments
        .iter()
        .map(|c| {
            let (at, at_iso) = local_time(c.created_at, &r.tz);
            context! {
                author => name(c.author_id),
                public => c.public == 1,
                // Sanitised when the comment was saved (ammonia): safe to show as HTML.
                html => c.html_body.clone(),
                files => files.remove(&c.id).unwrap_or_default(),
                at, at_iso,
            }
        })
        .collect();
    let custom_fields = field_inputs(&defs, values.get(&id), &draft, &problems);
    let requester = users_by_id.get(&t.requester_id);
    let (created, created_iso) = local_time(t.created_at, &r.tz);
    let ticket = context! {
        id => t.id,
        subject => t.subject.clone().unwrap_or_default(),
        status => t.status.clone(),
        custom_status_id => t.custom_status_id,
        priority => value_of(&draft, "priority", t.priority.clone()),
        type => value_of(&draft, "type", t.ticket_type.clone()),
        group_id => value_of(&draft, "group_id", t.group_id.map(|g| g.to_string())),
        assignee_id => value_of(&draft, "assignee_id", t.assignee_id.map(|a| a.to_string())),
        tags => value_of(&draft, "tags", Some(tags.join(" "))),
        requester => context! {
            id => t.requester_id,
            name => name(t.requester_id),
            email => requester.and_then(|u| u.email.clone()),
        },
        organization => organization.map(|o| context! { id => o.id, name => o.name }),
        created, created_iso, version,
        assignee_is_me => t.assignee_id == Some(s.actor.id()),
        comments_shown => comments.len(),
        comments_total => total_comments,
    };
    let other_tickets: Vec<_> = others
        .iter()
        .filter(|o| o.id != id)
        .take(OTHER_TICKETS as usize)
        .map(|o| context! { id => o.id, subject => o.subject.clone().unwrap_or_default(), status => o.status.clone() })
        .collect();
    let agents: Vec<_> = staff.iter().map(|a| context! { id => a.to_string(), name => name(*a) }).collect();
    let group_options = group_choices(&groups);
    let submit_as = status_choices(&statuses, &["open", "pending", "hold", "solved"]);
    // The ticket's own status, as its button names it (that button is the default).
    let current_status = match t.custom_status_id {
        Some(id) => statuses
            .iter()
            .find(|c| c.id == id && c.is_default == 1)
            .map_or_else(|| format!("cs:{id}"), |c| c.status_category.clone()),
        None => t.status.as_str().to_string(),
    };
    let priorities: Vec<&str> = Priority::ALL.iter().map(|p| p.as_str()).collect();
    let types: Vec<&str> = TicketType::ALL.iter().map(|p| p.as_str()).collect();
    let flash = flash_key.map(tr);
    Ok(render(
        status,
        "ticket.html",
        r.locale,
        context! {
            me => me(state, s).await?, csrf => s.csrf.clone(), ticket, comments => conversation, draft, flash,
            error => problems.above(), field_errors => problems.by_input(), macros, preview, custom_fields, other_tickets,
            current_status,
            agents, groups => group_options, submit_as, priorities, types,
            checkbox => FieldType::Checkbox.as_str(),
        },
    ))
}

/// The statuses a ticket can be given, in the order agents read them: each category's default
/// (by its name, translated by the page) followed by that category's custom statuses (`cs:<id>`).
pub(super) fn status_choices(statuses: &[custom_statuses::CustomStatus], categories: &[&str]) -> Vec<minijinja::Value> {
    categories
        .iter()
        .flat_map(|cat| statuses.iter().filter(move |c| c.status_category == *cat))
        .map(|c| {
            if c.is_default == 1 {
                context! { value => c.status_category, key => format!("status-{}", c.status_category) }
            } else {
                context! { value => format!("cs:{}", c.id), label => c.agent_label }
            }
        })
        .collect()
}

pub(super) fn group_choices(groups: &[frontdesk_store::groups::Group]) -> Vec<minijinja::Value> {
    groups.iter().map(|g| context! { id => g.id.to_string(), name => g.name }).collect()
}

/// The history tab: every audit of the ticket with its events, newest first.
#[allow(clippy::too_many_lines, reason = "longer than a screen: on the list to split (ARCHITECTURE.md)")]
pub async fn history(AxState(state): AxState<State>, headers: HeaderMap, Path(id): Path<String>) -> Result<Response> {
    let (s, id) = match caller_and_id(&state, &headers, true, &id).await {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let mut conn = state.db.read().await?;
    let t = match crate::app::tickets::load(&mut conn, &s.actor, id, false).await {
        Ok(t) => t,
        Err(ApiError::NotFound) | Err(ApiError::Forbidden(_)) => {
            drop(conn);
            return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "not-found").await);
        }
        Err(e) => return Err(e.into()),
    };
    let mut list =
        audits::list_audits(&mut conn, Some(id), PageRequest::Before { id: i64::MAX, size: 500 }).await?.items;
    list.sort_by_key(|a| std::cmp::Reverse(a.id));
    // The people the history names: authors, and the users its changes set (assignee, requester).
    let mut people: Vec<i64> = list.iter().map(|a| a.author_id).collect();
    for a in &list {
        let events = a.events_or_problem();
        for e in events.iter().filter(|e| matches!(e["field_name"].as_str(), Some("assignee_id" | "requester_id"))) {
            people.extend([id_of(&e["value"]), id_of(&e["previous_value"])].into_iter().flatten());
        }
    }
    people.sort_unstable();
    people.dedup();
    let names: HashMap<i64, String> =
        users::get_many(&mut conn, &people).await?.into_iter().map(|u| (u.id, u.name)).collect();
    let statuses = custom_statuses::list(&mut conn, false).await?;
    let group_names: HashMap<i64, String> =
        frontdesk_store::groups::list(&mut conn, PageRequest::After { id: None, size: 1000 })
            .await?
            .items
            .into_iter()
            .map(|g| (g.id, g.name))
            .collect();
    // A Comment event names no text: the comment itself is kept apart, by its audit.
    let audit_ids: Vec<i64> = list.iter().map(|a| a.id).collect();
    let comments: HashMap<i64, audits::Comment> =
        audits::comments_of_audits(&mut conn, &audit_ids).await?.into_iter().map(|c| (c.audit_id, c)).collect();
    drop(conn);
    let r = reader(&state, &headers, Some(&s.actor.user)).await?;
    // A category's default status reads in the reader's language; the others by their label.
    let status_labels: HashMap<i64, String> = statuses
        .into_iter()
        .map(|c| {
            let label = if c.is_default == 1 {
                crate::i18n::tr(r.locale, &format!("status-{}", c.status_category), &[])
            } else {
                c.agent_label
            };
            (c.id, label)
        })
        .collect();
    // Fields by the names the ticket page gives them, in the reader's language.
    let field_name = |f: &str| {
        let key = match f {
            "assignee_id" => "assignee",
            "group_id" => "group",
            "requester_id" => "requester",
            "ticket_type" | "type" => "type",
            "subject" | "status" | "priority" | "tags" => f,
            "custom_status_id" => "custom-status",
            _ => return f.to_string(),
        };
        crate::i18n::tr(r.locale, key, &[])
    };
    let entries: Vec<_> = list
        .iter()
        .map(|a| {
            let (at, at_iso) = local_time(a.created_at, &r.tz);
            let events: Vec<_> = a
                .events_or_problem()
                .iter()
                .map(|e| {
                    let kind = e["type"].as_str().unwrap_or("").to_string();
                    let field = e["field_name"].as_str().unwrap_or("");
                    // A value as the ticket page shows it: a status, priority or type in the
                    // reader's language, a person by name, a custom status by its label.
                    let text = |v: &Value| match (field, v) {
                        (_, Value::Null) => "—".to_string(),
                        ("status" | "priority" | "type" | "ticket_type", Value::String(x)) => {
                            let kind = if field == "ticket_type" { "type" } else { field };
                            crate::i18n::tr(r.locale, &format!("{kind}-{x}"), &[])
                        }
                        ("assignee_id" | "requester_id" | "group_id" | "custom_status_id", v) => {
                            let by_id = match field {
                                "group_id" => &group_names,
                                "custom_status_id" => &status_labels,
                                _ => &names,
                            };
                            id_of(v).and_then(|id| by_id.get(&id).cloned()).unwrap_or_else(|| plain_value(v))
                        }
                        (_, v) => plain_value(v),
                    };
                    let comment = (kind == "Comment").then(|| comments.get(&a.id)).flatten();
                    let body = comment.map(|c| c.plain_body.as_str()).or(e["body"].as_str());
                    context! {
                        kind,
                        field => e["field_name"].as_str().map(field_name),
                        value => text(&e["value"]),
                        previous => e.get("previous_value").map(text),
                        body => body.map(|b| b.chars().take(200).collect::<String>()),
                        public => comment.map(|c| c.public == 1).or(e["public"].as_bool()),
                        subject => e["subject"].as_str(),
                        recipients => e["recipients"].as_array().map_or(0, |r| r.len() as i64),
                    }
                })
                .collect();
            context! { id => a.id, author => names.get(&a.author_id).cloned().unwrap_or_default(), at, at_iso, via => a.via_channel.clone(), events }
        })
        .collect();
    let ticket = context! { id => t.id, subject => t.subject.unwrap_or_default() };
    Ok(render(
        StatusCode::OK,
        "history.html",
        r.locale,
        context! { me => me(&state, &s).await?, csrf => s.csrf, ticket, audits => entries },
    ))
}

/// An audit event's value as text: a list joined by spaces, nothing as a dash.
fn plain_value(v: &Value) -> String {
    match v {
        Value::Null => "—".to_string(),
        Value::String(s) => s.clone(),
        Value::Array(a) => {
            a.iter().map(|x| x.as_str().map_or(x.to_string(), str::to_string)).collect::<Vec<_>>().join(" ")
        }
        other => other.to_string(),
    }
}

/// The files of comments, as the conversation lists them: name, link and size.
pub(super) async fn files_by_comment(
    conn: &mut frontdesk_store::AnyConnection,
    comments: &[frontdesk_store::audits::Comment],
) -> Result<HashMap<i64, Vec<minijinja::Value>>> {
    let ids: Vec<i64> = comments.iter().map(|c| c.id).collect();
    let mut out: HashMap<i64, Vec<minijinja::Value>> = HashMap::new();
    for a in frontdesk_store::attachments::for_comments(conn, &ids).await?.iter().filter(|a| a.deleted == 0) {
        let size = if a.size < 1024 { format!("{} B", a.size) } else { format!("{} KB", (a.size + 1023) / 1024) };
        let url = crate::app::attachments::content_url("", a);
        out.entry(a.comment_id.unwrap_or_default())
            .or_default()
            .push(context! { name => a.file_name.clone(), url, size });
    }
    Ok(out)
}
