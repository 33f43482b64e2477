//! `/api/v2/users`, identities, user tags and organization memberships.

use axum::extract::{Path, State as AxState};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::{delete, get, post, put};
use serde_json::{Map, Value, json};

use frontdesk_domain::JobKind;
use frontdesk_domain::Role;
use frontdesk_store::tags::{self, Tagged};
use frontdesk_store::users::{self, UserFilter};
use frontdesk_store::{AnyConnection, account};

use super::extract::{Base, Caller, JsonBody, Params, SignedIn, path_id};
use super::paging::Paging;
use super::{Endpoint, created, ep, json_response, no_content, ok, render, require_admin, require_staff};
use crate::State;
use crate::app::input::{Obj, TagMode, root};
use crate::app::jobs;
use crate::app::users::{UserInput, may_manage};
use crate::auth::Actor;
use crate::error::ApiError;
use frontdesk_edge::Result;

const T: &str = "users";

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        ep(Method::GET, "/api/v2/users", T, "List users", get(list)),
        ep(Method::POST, "/api/v2/users", T, "Create a user", post(create)),
        ep(Method::GET, "/api/v2/users/me", T, "The authenticated user (anonymous when not signed in)", get(me)),
        ep(Method::GET, "/api/v2/users/show_many", T, "Show several users", get(show_many)),
        ep(
            Method::POST,
            "/api/v2/users/create_or_update",
            T,
            "Create a user or update the one with this email/external id",
            post(create_or_update),
        ),
        ep(Method::POST, "/api/v2/users/create_many", T, "Create up to 100 users (job)", post(create_many)),
        ep(Method::GET, "/api/v2/users/{id}", T, "Show a user", get(show)),
        ep(Method::PUT, "/api/v2/users/{id}", T, "Update a user", put(update)),
        ep(Method::DELETE, "/api/v2/users/{id}", T, "Delete (deactivate) a user", delete(destroy)),
        ep(Method::GET, "/api/v2/users/{id}/identities", T, "List a user's identities", get(identities)),
        ep(Method::POST, "/api/v2/users/{id}/identities", T, "Add an identity", post(add_identity)),
        ep(Method::GET, "/api/v2/users/{id}/identities/{iid}", T, "Show an identity", get(show_identity)),
        ep(Method::PUT, "/api/v2/users/{id}/identities/{iid}", T, "Update an identity", put(update_identity)),
        ep(Method::DELETE, "/api/v2/users/{id}/identities/{iid}", T, "Delete an identity", delete(delete_identity)),
        ep(
            Method::PUT,
            "/api/v2/users/{id}/identities/{iid}/make_primary",
            T,
            "Make an identity primary",
            put(make_primary),
        ),
        ep(Method::PUT, "/api/v2/users/{id}/identities/{iid}/verify", T, "Verify an identity", put(verify_identity)),
        ep(Method::GET, "/api/v2/users/{id}/tags", T, "List a user's tags", get(tags_list)),
        ep(Method::POST, "/api/v2/users/{id}/tags", T, "Replace a user's tags", post(tags_replace)),
        ep(Method::PUT, "/api/v2/users/{id}/tags", T, "Add tags to a user", put(tags_add)),
        ep(Method::DELETE, "/api/v2/users/{id}/tags", T, "Remove tags from a user", delete(tags_remove)),
        ep(Method::GET, "/api/v2/users/{id}/organizations", T, "A user's organizations", get(user_organizations)),
        ep(
            Method::GET,
            "/api/v2/users/{id}/organization_memberships",
            T,
            "A user's organization memberships",
            get(user_org_memberships),
        ),
        ep(Method::GET, "/api/v2/organization_memberships", T, "List organization memberships", get(org_memberships)),
        ep(
            Method::POST,
            "/api/v2/organization_memberships",
            T,
            "Add a user to an organization",
            post(add_org_membership),
        ),
        ep(
            Method::DELETE,
            "/api/v2/organization_memberships/{id}",
            T,
            "Remove a user from an organization",
            delete(remove_org_membership),
        ),
    ]
}

async fn tz(conn: &mut AnyConnection) -> Result<String> {
    Ok(account::get(conn).await?.time_zone)
}

/// `{"user": …}` plus any side-loads asked for, from one load of the user.
async fn one(state: &State, base: &Base, id: i64, includes: &[String]) -> Result<Value> {
    let mut conn = state.db.read().await?;
    let u = users::get(&mut conn, id).await?.ok_or(ApiError::NotFound)?;
    let tz = tz(&mut conn).await?;
    let mut body = Map::new();
    body.insert("user".into(), render::users(&mut conn, base, std::slice::from_ref(&u), &tz).await?.remove(0));
    body.extend(render::sideload_for_users(&mut conn, base, includes, std::slice::from_ref(&u)).await?);
    Ok(Value::Object(body))
}

/// Staff see every user; anyone sees themselves.
fn may_see(actor: &Actor, id: i64) -> Result<()> {
    if actor.is_staff() || actor.id() == id { Ok(()) } else { Err(ApiError::forbidden().into()) }
}

async fn list(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    require_staff(&actor)?;
    let paging = Paging::from_params(&params)?;
    let mut roles: Vec<String> =
        params.get_all("role[]").into_iter().chain(params.get("role")).map(str::to_string).collect();
    for r in &roles {
        Role::parse(r).map_err(|e| ApiError::BadRequest(e.message))?;
    }
    roles.dedup();
    let filter = UserFilter { roles, external_id: params.get("external_id").map(str::to_string), ..Default::default() };
    let mut conn = state.db.read().await?;
    let page = users::list(&mut conn, &filter, paging.req).await?;
    let tz = tz(&mut conn).await?;
    let items = render::users(&mut conn, &base, &page.items, &tz).await?;
    let mut body = paging.respond(&base, &params, "users", items, &page);
    body.extend(render::sideload_for_users(&mut conn, &base, &params.includes(), &page.items).await?);
    Ok(ok(Value::Object(body)))
}

async fn me(AxState(state): AxState<State>, caller: axum::Extension<Caller>, base: Base) -> Result<Response> {
    match &caller.0.0 {
        Some(a) => {
            let mut body = one(&state, &base, a.id(), &[]).await?;
            render::person_for_viewer(a, &mut body["user"]);
            Ok(ok(body))
        }
        None => {
            Ok(ok(json!({"user": {"id": null, "url": null, "name": "Anonymous user", "email": "invalid@example.com",
            "role": "end-user", "active": true, "verified": false, "locale": "en-US", "locale_id": 1, "time_zone": "UTC"}})))
        }
    }
}

async fn show(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
    Path(id): Path<String>,
) -> Result<Response> {
    let id = path_id(&id)?;
    may_see(&actor, id)?;
    let includes = if actor.is_staff() { params.includes() } else { Vec::new() };
    let mut body = one(&state, &base, id, &includes).await?;
    render::person_for_viewer(&actor, &mut body["user"]);
    Ok(ok(body))
}

async fn show_many(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    require_staff(&actor)?;
    let mut conn = state.db.read().await?;
    let list = match params.ids("ids", 100)? {
        Some(ids) => users::get_many(&mut conn, &ids).await?,
        None => {
            let ext: Vec<String> = params
                .get("external_ids")
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            if ext.len() > 100 {
                return Err(ApiError::TooManyValues(100).into());
            }
            users::find_by_external_ids(&mut conn, &ext).await?
        }
    };
    let tz = tz(&mut conn).await?;
    let items = render::users(&mut conn, &base, &list, &tz).await?;
    let n = items.len();
    Ok(ok(json!({"users": items, "next_page": null, "previous_page": null, "count": n})))
}

async fn create(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_staff(&actor)?;
    let input = UserInput::parse(root(&body, "user")?)?;
    let u = crate::app::users::create(&state, &actor, &input).await?;
    Ok(created(one(&state, &base, u.id, &[]).await?, &base.url(&format!("/api/v2/users/{}.json", u.id))))
}

async fn create_or_update(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_staff(&actor)?;
    let m = root(&body, "user")?;
    let input = UserInput::parse(m)?;
    let (u, was_created) = crate::app::users::create_or_update(&state, &actor, &input).await?;
    let body = one(&state, &base, u.id, &[]).await?;
    Ok(if was_created { created(body, &base.url(&format!("/api/v2/users/{}.json", u.id))) } else { ok(body) })
}

async fn create_many(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_staff(&actor)?;
    let list = body
        .get("users")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::BadRequest("The request body must have a \"users\" array".into()))?;
    if list.len() > 100 {
        return Err(ApiError::TooManyValues(100).into());
    }
    for (i, u) in list.iter().enumerate() {
        let m = u.as_object().ok_or_else(|| ApiError::BadRequest(format!("users[{i}] must be an object")))?;
        let input = UserInput::parse(m)?;
        if !may_manage(&actor, input.role.unwrap_or(Role::EndUser)) {
            return Err(ApiError::Forbidden("Only admins can create agents and admins".into()).into());
        }
    }
    let job =
        jobs::enqueue_bulk(&state, &actor, JobKind::CreateUsers, json!({"users": list}), list.len() as i64).await?;
    Ok(ok(json!({"job_status": render::job_status(&base, &job)})))
}

async fn update(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let id = path_id(&id)?;
    may_see(&actor, id)?;
    let input = UserInput::parse(root(&body, "user")?)?;
    let warnings = crate::app::users::update(&state, &actor, id, &input).await?;
    let mut body = one(&state, &base, id, &[]).await?;
    render::person_for_viewer(&actor, &mut body["user"]);
    if !warnings.is_empty() {
        body["warnings"] = json!(warnings);
    }
    Ok(ok(body))
}

async fn destroy(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
) -> Result<Response> {
    require_admin(&actor)?;
    let id = path_id(&id)?;
    let warnings = crate::app::users::delete(&state, &actor, id).await?;
    let mut body = one(&state, &base, id, &[]).await?;
    if !warnings.is_empty() {
        body["warnings"] = json!(warnings);
    }
    Ok(ok(body))
}

// ---- identities ----

async fn identities(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
) -> Result<Response> {
    let id = path_id(&id)?;
    may_see(&actor, id)?;
    let mut conn = state.db.read().await?;
    users::get(&mut conn, id).await?.ok_or(ApiError::NotFound)?;
    let list = users::identities(&mut conn, &[id]).await?;
    let n = list.len();
    Ok(ok(
        json!({"identities": list.iter().map(|i| render::identity(&base, i)).collect::<Vec<_>>(), "next_page": null, "previous_page": null, "count": n}),
    ))
}

async fn add_identity(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let id = path_id(&id)?;
    let m = root(&body, "identity")?;
    let ident = crate::app::users::create_identity(&state, &actor, id, m).await?;
    Ok(created(
        json!({"identity": render::identity(&base, &ident)}),
        &base.url(&format!("/api/v2/users/{id}/identities/{}.json", ident.id)),
    ))
}

async fn show_identity(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path((id, iid)): Path<(String, String)>,
) -> Result<Response> {
    let (id, iid) = (path_id(&id)?, path_id(&iid)?);
    may_see(&actor, id)?;
    let mut conn = state.db.read().await?;
    let i = users::identity(&mut conn, id, iid).await?.ok_or(ApiError::NotFound)?;
    Ok(ok(json!({"identity": render::identity(&base, &i)})))
}

async fn update_identity(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path((id, iid)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let (id, iid) = (path_id(&id)?, path_id(&iid)?);
    let m = root(&body, "identity")?;
    let ident = crate::app::users::update_identity(&state, &actor, id, iid, m).await?;
    Ok(ok(json!({"identity": render::identity(&base, &ident)})))
}

async fn delete_identity(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path((id, iid)): Path<(String, String)>,
) -> Result<Response> {
    let (id, iid) = (path_id(&id)?, path_id(&iid)?);
    crate::app::users::delete_identity(&state, &actor, id, iid).await?;
    Ok(no_content())
}

async fn identity_action(
    state: State,
    actor: Actor,
    base: Base,
    id: String,
    iid: String,
    primary: bool,
) -> Result<Response> {
    let (id, iid) = (path_id(&id)?, path_id(&iid)?);
    if primary {
        crate::app::users::make_primary(&state, &actor, id, iid).await?;
    } else {
        crate::app::users::verify_identity(&state, &actor, id, iid).await?;
    }
    let mut conn = state.db.read().await?;
    let list = users::identities(&mut conn, &[id]).await?;
    Ok(ok(json!({"identities": list.iter().map(|i| render::identity(&base, i)).collect::<Vec<_>>()})))
}

async fn make_primary(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path((id, iid)): Path<(String, String)>,
) -> Result<Response> {
    identity_action(state, actor, base, id, iid, true).await
}

async fn verify_identity(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path((id, iid)): Path<(String, String)>,
) -> Result<Response> {
    identity_action(state, actor, base, id, iid, false).await
}

// ---- tags ----

async fn tags_list(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
) -> Result<Response> {
    require_staff(&actor)?;
    let id = path_id(&id)?;
    let mut conn = state.db.read().await?;
    users::get(&mut conn, id).await?.ok_or(ApiError::NotFound)?;
    Ok(ok(json!({"tags": tags::list(&mut conn, Tagged::User, id).await?})))
}

async fn tags_change(state: State, actor: Actor, id: String, body: Value, mode: TagMode) -> Result<Vec<String>> {
    require_staff(&actor)?;
    let id = path_id(&id)?;
    let (_, list) = crate::app::input::tags_body(&body)?;
    Ok(crate::app::users::change_tags(&state, &actor, id, mode, &list).await?)
}

async fn tags_replace(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    Ok(json_response(
        StatusCode::CREATED,
        &json!({"tags": tags_change(state, actor, id, body, TagMode::Replace).await?}),
    ))
}

async fn tags_add(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    Ok(ok(json!({"tags": tags_change(state, actor, id, body, TagMode::Add).await?})))
}

async fn tags_remove(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    Ok(ok(json!({"tags": tags_change(state, actor, id, body, TagMode::Remove).await?})))
}

// ---- organizations of a user, organization memberships ----

async fn user_organizations(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
) -> Result<Response> {
    let id = path_id(&id)?;
    may_see(&actor, id)?;
    let mut conn = state.db.read().await?;
    let ids = crate::app::users::organization_ids(&mut conn, id).await?;
    let orgs = frontdesk_store::organizations::get_many(&mut conn, &ids).await?;
    let items = render::organizations(&mut conn, &base, &orgs).await?;
    Ok(ok(json!({"organizations": items, "next_page": null, "previous_page": null, "count": orgs.len()})))
}

async fn memberships(
    state: &State,
    base: &Base,
    params: &Params,
    user: Option<i64>,
    org: Option<i64>,
) -> Result<Response> {
    let paging = Paging::from_params(params)?;
    let mut conn = state.db.read().await?;
    let page = users::list_organization_memberships(&mut conn, user, org, paging.req).await?;
    let items = page.items.iter().map(|m| render::organization_membership(base, m)).collect();
    Ok(ok(Value::Object(paging.respond(base, params, "organization_memberships", items, &page))))
}

async fn user_org_memberships(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
    Path(id): Path<String>,
) -> Result<Response> {
    let id = path_id(&id)?;
    may_see(&actor, id)?;
    memberships(&state, &base, &params, Some(id), None).await
}

async fn org_memberships(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    require_staff(&actor)?;
    memberships(&state, &base, &params, None, None).await
}

async fn add_org_membership(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_staff(&actor)?;
    let o = Obj(root(&body, "organization_membership")?);
    let user_id = o.id("user_id")?.set().ok_or_else(|| ApiError::blank("user_id", "User"))?;
    let org_id = o.id("organization_id")?.set().ok_or_else(|| ApiError::blank("organization_id", "Organization"))?;
    let is_default = o.bool("default")?;
    let m = crate::app::users::add_org_membership(&state, &actor, user_id, org_id, is_default).await?;
    Ok(created(
        json!({"organization_membership": render::organization_membership(&base, &m)}),
        &base.url(&format!("/api/v2/organization_memberships/{}.json", m.id)),
    ))
}

async fn remove_org_membership(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
) -> Result<Response> {
    require_staff(&actor)?;
    let id = path_id(&id)?;
    crate::app::users::remove_org_membership(&state, &actor, id).await?;
    Ok(no_content())
}
