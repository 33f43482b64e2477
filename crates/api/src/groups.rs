//! `/api/v2/groups` and `/api/v2/group_memberships`.

use axum::extract::{Path, State as AxState};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{delete, get, post, put};
use serde_json::{Value, json};

use frontdesk_store::groups;

use super::extract::{Base, JsonBody, Params, SignedIn, path_id};
use super::paging::Paging;
use super::{Endpoint, created, ep, no_content, ok, render, require_admin, require_staff};
use crate::State;
use crate::app::input::root;
use crate::error::ApiError;
use frontdesk_edge::Result;

const T: &str = "groups";

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        ep(Method::GET, "/api/v2/groups", T, "List groups", get(list)),
        ep(Method::POST, "/api/v2/groups", T, "Create a group", post(create)),
        ep(Method::GET, "/api/v2/groups/assignable", T, "Groups tickets can be assigned to", get(list)),
        ep(Method::GET, "/api/v2/groups/{id}", T, "Show a group", get(show)),
        ep(Method::PUT, "/api/v2/groups/{id}", T, "Update a group", put(update)),
        ep(Method::DELETE, "/api/v2/groups/{id}", T, "Delete a group", delete(destroy)),
        ep(Method::GET, "/api/v2/groups/{id}/memberships", T, "A group's memberships", get(group_memberships)),
        ep(Method::GET, "/api/v2/group_memberships", T, "List group memberships", get(memberships)),
        ep(Method::POST, "/api/v2/group_memberships", T, "Add an agent to a group", post(add_membership)),
        ep(Method::GET, "/api/v2/group_memberships/{id}", T, "Show a group membership", get(show_membership)),
        ep(
            Method::DELETE,
            "/api/v2/group_memberships/{id}",
            T,
            "Remove an agent from a group",
            delete(remove_membership),
        ),
        ep(Method::GET, "/api/v2/users/{id}/group_memberships", T, "A user's group memberships", get(user_memberships)),
        ep(
            Method::PUT,
            "/api/v2/users/{uid}/group_memberships/{id}/make_default",
            T,
            "Make a membership the user's default",
            put(make_default),
        ),
    ]
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
    let page = groups::list(&mut conn, paging.req).await?;
    let items = page.items.iter().map(|g| render::group(&base, g)).collect();
    Ok(ok(Value::Object(paging.respond(&base, &params, "groups", items, &page))))
}

async fn show(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
) -> Result<Response> {
    require_staff(&actor)?;
    let mut conn = state.db.read().await?;
    let g = groups::get(&mut conn, path_id(&id)?).await?.ok_or(ApiError::NotFound)?;
    Ok(ok(json!({"group": render::group(&base, &g)})))
}

async fn create(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let m = root(&body, "group")?;
    let g = crate::app::groups::save(&state, None, m).await?;
    Ok(created(json!({"group": render::group(&base, &g)}), &base.url(&format!("/api/v2/groups/{}.json", g.id))))
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
    let m = root(&body, "group")?;
    let g = crate::app::groups::save(&state, Some(id), m).await?;
    Ok(ok(json!({"group": render::group(&base, &g)})))
}

async fn destroy(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
) -> Result<Response> {
    require_admin(&actor)?;
    let id = path_id(&id)?;
    let warnings = crate::app::groups::delete(&state, id).await?;
    // Zendesk answers 204; when rules or views name the group, the admin is told which (they
    // would no longer apply, and each will flag itself the first time it fails).
    if warnings.is_empty() { Ok(no_content()) } else { Ok(ok(json!({"warnings": warnings}))) }
}

async fn list_memberships(
    state: &State,
    base: &Base,
    params: &Params,
    user: Option<i64>,
    group: Option<i64>,
) -> Result<Response> {
    let paging = Paging::from_params(params)?;
    let mut conn = state.db.read().await?;
    let page = groups::list_memberships(&mut conn, user, group, paging.req).await?;
    let items = page.items.iter().map(|m| render::group_membership(base, m)).collect();
    Ok(ok(Value::Object(paging.respond(base, params, "group_memberships", items, &page))))
}

async fn memberships(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    require_staff(&actor)?;
    list_memberships(&state, &base, &params, None, None).await
}

async fn group_memberships(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
    Path(id): Path<String>,
) -> Result<Response> {
    require_staff(&actor)?;
    list_memberships(&state, &base, &params, None, Some(path_id(&id)?)).await
}

async fn user_memberships(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
    Path(id): Path<String>,
) -> Result<Response> {
    require_staff(&actor)?;
    list_memberships(&state, &base, &params, Some(path_id(&id)?), None).await
}

async fn show_membership(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
) -> Result<Response> {
    require_staff(&actor)?;
    let mut conn = state.db.read().await?;
    let m = groups::membership(&mut conn, path_id(&id)?).await?.ok_or(ApiError::NotFound)?;
    Ok(ok(json!({"group_membership": render::group_membership(&base, &m)})))
}

async fn add_membership(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let m = root(&body, "group_membership")?;
    let gm = crate::app::groups::add_member(&state, m).await?;
    Ok(created(
        json!({"group_membership": render::group_membership(&base, &gm)}),
        &base.url(&format!("/api/v2/group_memberships/{}.json", gm.id)),
    ))
}

async fn remove_membership(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
) -> Result<Response> {
    require_admin(&actor)?;
    let id = path_id(&id)?;
    crate::app::groups::remove_member(&state, id).await?;
    Ok(no_content())
}

async fn make_default(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path((uid, id)): Path<(String, String)>,
) -> Result<Response> {
    require_admin(&actor)?;
    let (uid, id) = (path_id(&uid)?, path_id(&id)?);
    crate::app::groups::make_default(&state, uid, id).await?;
    list_memberships(&state, &base, &Params::default(), Some(uid), None).await
}
