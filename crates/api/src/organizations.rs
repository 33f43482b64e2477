//! `/api/v2/organizations`.

use axum::extract::{Path, State as AxState};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{delete, get, post, put};
use serde_json::{Value, json};

use frontdesk_domain::JobKind;
use frontdesk_store::organizations::{self, Organization};

use super::extract::{Base, JsonBody, Params, SignedIn, path_id};
use super::paging::Paging;
use super::{Endpoint, created, ep, no_content, ok, render, require_admin, require_staff};
use crate::State;
use crate::app::input::root;

use crate::app::jobs;
use crate::error::ApiError;
use frontdesk_edge::Result;

const T: &str = "organizations";

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        ep(Method::GET, "/api/v2/organizations", T, "List organizations", get(list)),
        ep(Method::POST, "/api/v2/organizations", T, "Create an organization", post(create)),
        ep(Method::GET, "/api/v2/organizations/show_many", T, "Show several organizations", get(show_many)),
        ep(
            Method::POST,
            "/api/v2/organizations/create_many",
            T,
            "Create up to 100 organizations (job)",
            post(create_many),
        ),
        ep(
            Method::POST,
            "/api/v2/organizations/create_or_update",
            T,
            "Create an organization or update the one with this name/external id",
            post(create_or_update),
        ),
        ep(
            Method::GET,
            "/api/v2/organizations/autocomplete",
            T,
            "Organizations whose name starts with ?name=",
            get(autocomplete),
        ),
        ep(Method::GET, "/api/v2/organizations/{id}", T, "Show an organization", get(show)),
        ep(Method::PUT, "/api/v2/organizations/{id}", T, "Update an organization", put(update)),
        ep(Method::DELETE, "/api/v2/organizations/{id}", T, "Delete an organization", delete(destroy)),
        ep(
            Method::GET,
            "/api/v2/organizations/{id}/organization_memberships",
            T,
            "An organization's memberships",
            get(memberships),
        ),
    ]
}

async fn render_one(state: &State, base: &Base, o: &Organization) -> Result<Value> {
    let mut conn = state.db.read().await?;
    Ok(render::organizations(&mut conn, base, std::slice::from_ref(o)).await?.remove(0))
}

async fn list(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    require_staff(&actor)?;
    let paging = Paging::from_params(&params)?;
    let mut conn = state.db.read().await?;
    let page = organizations::list(&mut conn, paging.req).await?;
    let items = render::organizations(&mut conn, &base, &page.items).await?;
    Ok(ok(Value::Object(paging.respond(&base, &params, "organizations", items, &page))))
}

async fn show(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
) -> Result<Response> {
    let id = path_id(&id)?;
    let mut conn = state.db.read().await?;
    if !actor.is_staff() && !crate::app::users::organization_ids(&mut conn, actor.id()).await?.contains(&id) {
        return Err(ApiError::forbidden().into());
    }
    let o = organizations::get(&mut conn, id).await?.ok_or(ApiError::NotFound)?;
    drop(conn);
    let mut org = render_one(&state, &base, &o).await?;
    render::person_for_viewer(&actor, &mut org);
    Ok(ok(json!({"organization": org})))
}

async fn show_many(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    require_staff(&actor)?;
    let ids = params.ids("ids", 100)?.unwrap_or_default();
    let mut conn = state.db.read().await?;
    let list = organizations::get_many(&mut conn, &ids).await?;
    let items = render::organizations(&mut conn, &base, &list).await?;
    Ok(ok(json!({"organizations": items, "next_page": null, "previous_page": null, "count": list.len()})))
}

async fn autocomplete(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    require_staff(&actor)?;
    let name = params.get("name").unwrap_or("").trim();
    if name.chars().count() < 2 {
        return Err(ApiError::BadRequest("Parameter name must have at least 2 characters".into()).into());
    }
    let mut conn = state.db.read().await?;
    let list = organizations::autocomplete(&mut conn, name, 100).await?;
    let items = render::organizations(&mut conn, &base, &list).await?;
    Ok(ok(json!({"organizations": items, "next_page": null, "previous_page": null, "count": list.len()})))
}

async fn create(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let m = root(&body, "organization")?;
    let o = crate::app::organizations::save(&state, None, m).await?;
    Ok(created(
        json!({"organization": render_one(&state, &base, &o).await?}),
        &base.url(&format!("/api/v2/organizations/{}.json", o.id)),
    ))
}

async fn create_or_update(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let m = root(&body, "organization")?;
    let (o, was_created) = crate::app::organizations::create_or_update(&state, m).await?;
    let body = json!({"organization": render_one(&state, &base, &o).await?});
    Ok(if was_created { created(body, &base.url(&format!("/api/v2/organizations/{}.json", o.id))) } else { ok(body) })
}

async fn create_many(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let list = body
        .get("organizations")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::BadRequest("The request body must have an \"organizations\" array".into()))?;
    if list.len() > 100 {
        return Err(ApiError::TooManyValues(100).into());
    }
    let job = jobs::enqueue_bulk(
        &state,
        &actor,
        JobKind::CreateOrganizations,
        json!({"organizations": list}),
        list.len() as i64,
    )
    .await?;
    Ok(ok(json!({"job_status": render::job_status(&base, &job)})))
}

async fn update(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let id = path_id(&id)?;
    let m = root(&body, "organization")?;
    let o = crate::app::organizations::save(&state, Some(id), m).await?;
    Ok(ok(json!({"organization": render_one(&state, &base, &o).await?})))
}

async fn destroy(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
) -> Result<Response> {
    require_admin(&actor)?;
    let id = path_id(&id)?;
    crate::app::organizations::delete(&state, id).await?;
    Ok(no_content())
}

async fn memberships(
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
    let page = frontdesk_store::users::list_organization_memberships(&mut conn, None, Some(id), paging.req).await?;
    let items = page.items.iter().map(|m| render::organization_membership(&base, m)).collect();
    Ok(ok(Value::Object(paging.respond(&base, &params, "organization_memberships", items, &page))))
}
