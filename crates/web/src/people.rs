//! A user's page and an organization's page (who they are, their tickets), and the new
//! ticket form an agent fills in on behalf of a customer.

use axum::Form;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde_json::json;

use frontdesk_domain::filter::Record;
use frontdesk_domain::{Priority, TicketType};
use frontdesk_store::tickets::{Ticket, TicketFilter};
use frontdesk_store::{PageRequest, users};

use super::pages::{Problems, caller_and_id, error_page, me, reader, staff};
use super::session::{self, Session};
use super::ticket::{Draft, change_of, field_inputs, group_choices};
use super::{local_time, render};
use crate::State;
use crate::app::tickets::TicketInput;
use crate::error::{ApiError, FieldError};
use frontdesk_edge::Result;

/// Tickets listed on a person's or organization's page.
const LISTED: i64 = 50;

fn ticket_rows(list: &[Ticket], tz: &str) -> Vec<minijinja::Value> {
    list.iter()
        .rev()
        .map(|t| {
            let (updated, updated_iso) = local_time(t.updated_at, tz);
            context! { id => t.id, subject => t.subject.clone().unwrap_or_default(), status => t.status.clone(), updated, updated_iso }
        })
        .collect()
}

async fn newest(conn: &mut frontdesk_store::AnyConnection, f: TicketFilter) -> Result<Vec<Ticket>> {
    Ok(frontdesk_store::tickets::list(conn, &f, PageRequest::Before { id: i64::MAX, size: LISTED }).await?.items)
}

/// A user: contact details, organization, and the tickets they asked for.
pub async fn user_page(AxState(state): AxState<State>, headers: HeaderMap, Path(id): Path<String>) -> Result<Response> {
    let (s, id) = match caller_and_id(&state, &headers, true, &id).await {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let mut conn = state.db.read().await?;
    let Some(u) = users::get(&mut conn, id).await? else {
        drop(conn);
        return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "not-found").await);
    };
    let org = match u.organization_id {
        Some(o) => frontdesk_store::organizations::get(&mut conn, o).await?,
        None => None,
    };
    let identities = users::identities(&mut conn, &[id]).await?;
    let requested = newest(&mut conn, TicketFilter { requester_id: Some(id), ..Default::default() }).await?;
    let assigned = if u.role != frontdesk_domain::Role::EndUser {
        newest(&mut conn, TicketFilter { assignee_id: Some(id), ..Default::default() }).await?
    } else {
        Vec::new()
    };
    drop(conn);
    let r = reader(&state, &headers, Some(&s.actor.user)).await?;
    let user = context! {
        id => u.id, name => u.name, email => u.email, role => u.role.as_str(), phone => u.phone,
        time_zone => u.time_zone, locale => u.locale, suspended => u.suspended == 1,
        organization => org.map(|o| context! { id => o.id, name => o.name }),
        identities => identities.iter().map(|i| context! { kind => i.kind.clone(), value => i.value.clone(), primary => i.is_primary == 1 }).collect::<Vec<_>>(),
    };
    Ok(render(
        StatusCode::OK,
        "person.html",
        r.locale,
        context! {
            me => me(&state, &s).await?, csrf => s.csrf, user,
            requested => ticket_rows(&requested, &r.tz), assigned => ticket_rows(&assigned, &r.tz),
        },
    ))
}

/// An organization: its people and its tickets.
pub async fn organization_page(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response> {
    let (s, id) = match caller_and_id(&state, &headers, true, &id).await {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let mut conn = state.db.read().await?;
    let Some(o) = frontdesk_store::organizations::get(&mut conn, id).await? else {
        drop(conn);
        return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "not-found").await);
    };
    let member_ids = users::ids_in_organization(&mut conn, id).await?;
    let members: Vec<_> = users::get_many(&mut conn, &member_ids)
        .await?
        .into_iter()
        .map(|u| context! { id => u.id, name => u.name, email => u.email })
        .collect();
    let domains = frontdesk_store::organizations::domains(&mut conn, &[id]).await?.remove(&id).unwrap_or_default();
    let tickets = newest(&mut conn, TicketFilter { organization_id: Some(id), ..Default::default() }).await?;
    drop(conn);
    let r = reader(&state, &headers, Some(&s.actor.user)).await?;
    let organization = context! { id => o.id, name => o.name, details => o.details, notes => o.notes, domains };
    Ok(render(
        StatusCode::OK,
        "organization.html",
        r.locale,
        context! { me => me(&state, &s).await?, csrf => s.csrf, organization, members, tickets => ticket_rows(&tickets, &r.tz) },
    ))
}

pub async fn new_ticket_form(AxState(state): AxState<State>, headers: HeaderMap) -> Result<Response> {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    new_ticket_page(&state, &headers, &s, StatusCode::OK, Draft::default(), Problems::default()).await
}

/// Creates a ticket on behalf of a customer (found or added by email), with the same checks
/// as the API's create.
pub async fn create_ticket(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response> {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let (draft, form) = Draft::from_pairs(pairs);
    let one = |k: &str| form.get(k).and_then(|v| v.first()).map(|v| v.trim().to_string()).unwrap_or_default();
    let r = reader(&state, &headers, Some(&s.actor.user)).await?;
    if !session::csrf_ok(&s.csrf, Some(&one("_csrf"))) {
        let mut problems = Problems::default();
        problems.add_above(crate::i18n::tr(r.locale, "stale-form", &[]));
        return new_ticket_page(&state, &headers, &s, StatusCode::FORBIDDEN, draft, problems).await;
    }
    // What the form itself needs, all checked at once; the API checks the rest.
    let place = |errors: &[FieldError]| {
        Problems::place(r.locale, errors, |f| match Problems::base(f) {
            "comment" | "description" => Some("body".to_string()),
            "requester" => Some("requester_email".to_string()),
            // The requester's own fields are checked by their names inside `requester`.
            "name" => Some("requester_name".to_string()),
            "email" => Some("requester_email".to_string()),
            base @ ("subject" | "requester_email" | "assignee_id" | "group_id" | "priority" | "type" | "tags"
            | "custom_fields" | "status") => Some(base.to_string()),
            _ => None,
        })
    };
    let mut missing = super::pages::subject_and_description(&one("subject"), &draft.body);
    if frontdesk_domain::EmailAddress::parse(&one("requester_email")).is_err() {
        missing.push(
            FieldError::new("requester_email", "InvalidValue", "Email: is invalid").message("email-invalid", &[]),
        );
    }
    if !missing.is_empty() {
        let problems = place(&missing);
        return new_ticket_page(&state, &headers, &s, StatusCode::UNPROCESSABLE_ENTITY, draft, problems).await;
    }
    let mut change = change_of(&form, &draft, s.actor.id());
    change.insert("subject".into(), json!(one("subject")));
    let mut requester = json!({"email": one("requester_email")});
    if !one("requester_name").is_empty() {
        requester["name"] = json!(one("requester_name"));
    }
    change.insert("requester".into(), requester);
    let made = async {
        let mut input = TicketInput::parse(&change)?;
        crate::app::tickets::pre_resolve(&mut *state.db.read().await?, &s.actor, &mut input).await?;
        crate::app::tickets::create(&state, &s.actor, input, &crate::app::Via::web()).await
    }
    .await;
    match made {
        Ok(saved) => Ok(Redirect::to(&format!("/agent/tickets/{}?saved=1", saved.ticket.id)).into_response()),
        Err(ApiError::Invalid(list)) => {
            new_ticket_page(&state, &headers, &s, StatusCode::UNPROCESSABLE_ENTITY, draft, place(&list)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn new_ticket_page(
    state: &State,
    headers: &HeaderMap,
    s: &Session,
    status: StatusCode,
    draft: Draft,
    problems: Problems,
) -> Result<Response> {
    let mut conn = state.db.read().await?;
    let staff_ids = users::staff_ids(&mut conn).await?;
    let agents: Vec<_> = users::get_many(&mut conn, &staff_ids)
        .await?
        .into_iter()
        .map(|u| context! { id => u.id.to_string(), name => u.name })
        .collect();
    let groups = frontdesk_store::groups::list(&mut conn, PageRequest::After { id: None, size: 1000 }).await?.items;
    let custom = frontdesk_store::custom_statuses::list(&mut conn, true).await?;
    let defs: Vec<_> = frontdesk_store::custom_fields::defs(&mut conn, Record::Ticket)
        .await?
        .into_iter()
        .filter(|d| d.active)
        .collect();
    drop(conn);
    let r = reader(state, headers, Some(&s.actor.user)).await?;
    let value = |k: &str| draft.fields.get(k).and_then(|v| v.last()).cloned().unwrap_or_default();
    let form = context! {
        subject => value("subject"), requester_email => value("requester_email"), requester_name => value("requester_name"),
        priority => value("priority"), type => value("type"), group_id => value("group_id"),
        assignee_id => value("assignee_id"), tags => value("tags"), body => draft.body.clone(), internal => draft.internal,
    };
    let priorities: Vec<&str> = Priority::ALL.iter().map(|p| p.as_str()).collect();
    let types: Vec<&str> = TicketType::ALL.iter().map(|p| p.as_str()).collect();
    // Submit as: each category's default by name, then the custom statuses of that category.
    let statuses = super::ticket::status_choices(&custom, &["new", "open", "pending", "hold", "solved"]);
    Ok(render(
        status,
        "new_ticket.html",
        r.locale,
        context! {
            me => me(state, s).await?, csrf => s.csrf.clone(), form, errors => problems.by_input(), error => problems.above(),
            agents, groups => group_choices(&groups),
            priorities, types, custom_fields => field_inputs(&defs, None, &draft, &problems),
            statuses,
        },
    ))
}
