//! `/api/v2/ticket_fields`, `/api/v2/user_fields` and `/api/v2/organization_fields`: one set of
//! handlers, told apart by the record kind the route carries.

use axum::extract::{Path, State as AxState};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{delete, get, post, put};
use serde_json::{Value, json};

use frontdesk_domain::fields::FieldOption;
use frontdesk_domain::filter::Record;
use frontdesk_store::custom_fields::{self, CustomField};

use super::extract::{Base, JsonBody, SignedIn, path_id};
use super::{Endpoint, created, ep, no_content, ok, require_admin, require_staff};
use crate::State;
use crate::app::fields as app;
use crate::app::input::root;
use crate::clock::iso;
use crate::error::ApiError;
use frontdesk_edge::Result;

const T: &str = "custom fields";

/// The names a kind's fields go by in paths and bodies.
struct Names {
    kind: Record,
    plural: &'static str,
    singular: &'static str,
}

const TICKET: Names = Names { kind: Record::Ticket, plural: "ticket_fields", singular: "ticket_field" };
const USER: Names = Names { kind: Record::User, plural: "user_fields", singular: "user_field" };
const ORG: Names = Names { kind: Record::Organization, plural: "organization_fields", singular: "organization_field" };

macro_rules! kind_routes {
    ($n:expr, $list:literal, $one:literal, $options:literal, $option:literal, $reorder:literal) => {{
        let n: &'static Names = &$n;
        vec![
            ep(Method::GET, $list, T, "List fields", get(move |s, a, b| list(n, s, a, b))),
            ep(Method::POST, $list, T, "Create a field", post(move |s, a, b, body| create(n, s, a, b, body))),
            ep(Method::GET, $one, T, "Show a field", get(move |s, a, b, p| show(n, s, a, b, p))),
            ep(Method::PUT, $one, T, "Update a field", put(move |s, a, b, p, body| update(n, s, a, b, p, body))),
            ep(Method::DELETE, $one, T, "Delete a field and its values", delete(move |s, a, p| remove(n, s, a, p))),
            ep(Method::GET, $options, T, "A drop-down's options", get(move |s, a, b, p| options(n, s, a, b, p))),
            ep(
                Method::POST,
                $options,
                T,
                "Add an option, or update the one with this id",
                post(move |s, a, b, p, body| upsert_option(n, s, a, b, p, body)),
            ),
            ep(Method::GET, $option, T, "Show one option", get(move |s, a, b, p| option(n, s, a, b, p))),
            ep(Method::DELETE, $option, T, "Remove one option", delete(move |s, a, p| remove_option(n, s, a, p))),
            ep(Method::PUT, $reorder, T, "Set the fields' order", put(move |s, a, body| reorder(n, s, a, body))),
        ]
    }};
}

pub fn endpoints() -> Vec<Endpoint> {
    let mut out = kind_routes!(
        TICKET,
        "/api/v2/ticket_fields",
        "/api/v2/ticket_fields/{id}",
        "/api/v2/ticket_fields/{id}/options",
        "/api/v2/ticket_fields/{id}/options/{option_id}",
        "/api/v2/ticket_fields/reorder"
    );
    out.extend(kind_routes!(
        USER,
        "/api/v2/user_fields",
        "/api/v2/user_fields/{id}",
        "/api/v2/user_fields/{id}/options",
        "/api/v2/user_fields/{id}/options/{option_id}",
        "/api/v2/user_fields/reorder"
    ));
    out.extend(kind_routes!(
        ORG,
        "/api/v2/organization_fields",
        "/api/v2/organization_fields/{id}",
        "/api/v2/organization_fields/{id}/options",
        "/api/v2/organization_fields/{id}/options/{option_id}",
        "/api/v2/organization_fields/reorder"
    ));
    out
}

fn option_json(base: &Base, n: &Names, field_id: i64, o: &FieldOption) -> Value {
    json!({
        "url": base.url(&format!("/api/v2/{}/{field_id}/options/{}.json", n.plural, o.id)),
        "id": o.id,
        "name": o.name,
        "raw_name": o.name,
        "position": o.position,
        "value": o.value,
        "default": false,
    })
}

fn field_json(base: &Base, n: &Names, f: &CustomField) -> Value {
    let options: Vec<Value> = f.options().iter().map(|o| option_json(base, n, f.id, o)).collect();
    let mut v = json!({
        "url": base.url(&format!("/api/v2/{}/{}.json", n.plural, f.id)),
        "id": f.id,
        "type": f.field_type,
        "key": f.field_key,
        "title": f.title,
        "raw_title": f.title,
        "description": f.description,
        "raw_description": f.description,
        "position": f.position,
        "active": f.active != 0,
        "system": false,
        "regexp_for_validation": f.regexp_for_validation,
        "tag": f.tag,
        "created_at": iso(f.created_at),
        "updated_at": iso(f.updated_at),
    });
    if f.field_type == "tagger" || f.field_type == "multiselect" {
        v["custom_field_options"] = Value::Array(options);
    }
    if n.kind == Record::Ticket {
        let title_portal = f.title_in_portal.clone().unwrap_or_else(|| f.title.clone());
        for (k, val) in [
            ("required", json!(f.required != 0)),
            ("collapsed_for_agents", json!(false)),
            ("title_in_portal", json!(title_portal)),
            ("raw_title_in_portal", json!(title_portal)),
            ("visible_in_portal", json!(f.visible_in_portal != 0)),
            ("editable_in_portal", json!(f.editable_in_portal != 0)),
            ("required_in_portal", json!(f.required_in_portal != 0)),
            ("removable", json!(true)),
            ("agent_description", json!(f.agent_description)),
        ] {
            v[k] = val;
        }
    }
    v
}

async fn list(n: &Names, AxState(state): AxState<State>, SignedIn(actor): SignedIn, base: Base) -> Result<Response> {
    require_staff(&actor)?;
    let mut conn = state.db.read().await?;
    let items: Vec<Value> =
        custom_fields::list(&mut conn, n.kind).await?.iter().map(|f| field_json(&base, n, f)).collect();
    let count = items.len();
    Ok(ok(json!({n.plural: items, "next_page": null, "previous_page": null, "count": count})))
}

async fn find(state: &State, n: &Names, id: &str) -> Result<CustomField> {
    let mut conn = state.db.read().await?;
    custom_fields::get(&mut conn, n.kind, path_id(id)?).await?.ok_or(ApiError::NotFound.into())
}

async fn show(
    n: &Names,
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
) -> Result<Response> {
    require_staff(&actor)?;
    let f = find(&state, n, &id).await?;
    Ok(ok(json!({n.singular: field_json(&base, n, &f)})))
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
    let f = app::save(&state, n.kind, None, m).await?;
    Ok(created(
        json!({n.singular: field_json(&base, n, &f)}),
        &base.url(&format!("/api/v2/{}/{}.json", n.plural, f.id)),
    ))
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
    let id = path_id(&id)?;
    let m = root(&body, n.singular)?;
    let f = app::save(&state, n.kind, Some(id), m).await?;
    Ok(ok(json!({n.singular: field_json(&base, n, &f)})))
}

async fn remove(
    n: &Names,
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
) -> Result<Response> {
    require_admin(&actor)?;
    let id = path_id(&id)?;
    app::delete(&state, n.kind, id).await?;
    Ok(no_content())
}

async fn options(
    n: &Names,
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
) -> Result<Response> {
    require_staff(&actor)?;
    let f = find(&state, n, &id).await?;
    let items: Vec<Value> = f.options().iter().map(|o| option_json(&base, n, f.id, o)).collect();
    let count = items.len();
    Ok(ok(json!({"custom_field_options": items, "next_page": null, "previous_page": null, "count": count})))
}

/// `{"custom_field_option": {"id"?, "name", "value"}}`: updates the option with that id, or adds one.
async fn upsert_option(
    n: &Names,
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let id = path_id(&id)?;
    let m = root(&body, "custom_field_option")?;
    let (f, option_id, is_new) = app::upsert_option(&state, n.kind, id, m).await?;
    let o = f.options().into_iter().find(|o| Some(o.id) == option_id).ok_or(ApiError::NotFound)?;
    let body = json!({"custom_field_option": option_json(&base, n, f.id, &o)});
    Ok(if is_new {
        created(body, &base.url(&format!("/api/v2/{}/{}/options/{}.json", n.plural, f.id, o.id)))
    } else {
        ok(body)
    })
}

async fn option(
    n: &Names,
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path((id, option_id)): Path<(String, String)>,
) -> Result<Response> {
    require_staff(&actor)?;
    let f = find(&state, n, &id).await?;
    let oid = path_id(&option_id)?;
    let o = f.options().into_iter().find(|o| o.id == oid).ok_or(ApiError::NotFound)?;
    Ok(ok(json!({"custom_field_option": option_json(&base, n, f.id, &o)})))
}

/// Removes an option; records that chose it keep their value until it is next changed.
async fn remove_option(
    n: &Names,
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path((id, option_id)): Path<(String, String)>,
) -> Result<Response> {
    require_admin(&actor)?;
    let id = path_id(&id)?;
    let oid = path_id(&option_id)?;
    app::remove_option(&state, n.kind, id, oid).await?;
    Ok(no_content())
}

/// `{"<singular>_ids": [..]}`: positions follow the list.
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
        .map(|v| v.as_i64().ok_or_else(|| ApiError::invalid(&key, format!("{key}: {v} is not an id"))))
        .collect::<Result<_, ApiError>>()?;
    app::reorder(&state, n.kind, &key, &ids).await?;
    Ok(ok(json!({})))
}
