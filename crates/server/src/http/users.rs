//! `/api/v2/users`, identities, user tags and organization memberships.

use axum::extract::{Path, State as AxState};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::{delete, get, post, put};
use serde_json::{Map, Value, json};

use frontdesk_domain::JobKind;
use frontdesk_domain::{IdentityKind, Role};
use frontdesk_store::tags::{self, Tagged};
use frontdesk_store::users::{self, UserFilter};
use frontdesk_store::{AnyConnection, account};

use super::extract::{Base, Caller, JsonBody, Params, path_id};
use super::paging::Paging;
use super::{Endpoint, created, ep, json_response, no_content, ok, render, require_admin, require_staff};
use crate::State;
use crate::app::in_tx;
use crate::app::input::{Obj, TagMode, root};
use crate::app::users::{UserInput, may_manage};
use crate::auth::Actor;
use crate::error::{ApiError, Result};
use crate::jobs;

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
    if actor.is_staff() || actor.id() == id { Ok(()) } else { Err(ApiError::forbidden()) }
}

async fn list(AxState(state): AxState<State>, actor: Actor, base: Base, params: Params) -> Result<Response> {
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
    actor: Actor,
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

async fn show_many(AxState(state): AxState<State>, actor: Actor, base: Base, params: Params) -> Result<Response> {
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
                return Err(ApiError::TooManyValues(100));
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
    actor: Actor,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_staff(&actor)?;
    let input = UserInput::parse(root(&body, "user")?)?;
    if !may_manage(&actor, input.role.unwrap_or(Role::EndUser)) {
        return Err(ApiError::Forbidden("Only admins can create agents and admins".into()));
    }
    let now = state.now();
    let u = in_tx(&state, async |tx| crate::app::users::create(tx, &input, Role::EndUser, now).await).await?;
    Ok(created(one(&state, &base, u.id, &[]).await?, &base.url(&format!("/api/v2/users/{}.json", u.id))))
}

async fn create_or_update(
    AxState(state): AxState<State>,
    actor: Actor,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_staff(&actor)?;
    let m = root(&body, "user")?;
    let input = UserInput::parse(m)?;
    let now = state.now();
    let external_id = input.external_id.clone().set();
    // Another server may create the same person at the same moment: the loser of that race
    // tries once more, and then finds the winner's user to update.
    let mut attempt = 0;
    let (u, was_created) = loop {
        attempt += 1;
        let done = in_tx(&state, async |tx| {
            let mut existing = None;
            if let Some(x) = &external_id {
                existing = users::find_by_external_ids(tx, std::slice::from_ref(x)).await?.into_iter().next();
            }
            if existing.is_none()
                && let Some(e) = input.email.clone().set()
            {
                existing = users::find_by_identity(tx, "email", e.as_str()).await?;
            }
            match existing {
                Some(u) => Ok((crate::app::users::update(tx, &actor, u, &input, now).await?, false)),
                None => {
                    if !may_manage(&actor, input.role.unwrap_or(Role::EndUser)) {
                        return Err(ApiError::Forbidden("Only admins can create agents and admins".into()));
                    }
                    Ok((crate::app::users::create(tx, &input, Role::EndUser, now).await?, true))
                }
            }
        })
        .await;
        match done {
            Err(e) if e.is_duplicate() && attempt < 2 => continue,
            other => break other?,
        }
    };
    state.auth_cache.clear();
    let body = one(&state, &base, u.id, &[]).await?;
    Ok(if was_created { created(body, &base.url(&format!("/api/v2/users/{}.json", u.id))) } else { ok(body) })
}

async fn create_many(
    AxState(state): AxState<State>,
    actor: Actor,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_staff(&actor)?;
    let list = body
        .get("users")
        .and_then(Value::as_array)
        .ok_or_else(|| ApiError::BadRequest("The request body must have a \"users\" array".into()))?;
    if list.len() > 100 {
        return Err(ApiError::TooManyValues(100));
    }
    for (i, u) in list.iter().enumerate() {
        let m = u.as_object().ok_or_else(|| ApiError::BadRequest(format!("users[{i}] must be an object")))?;
        let input = UserInput::parse(m)?;
        if !may_manage(&actor, input.role.unwrap_or(Role::EndUser)) {
            return Err(ApiError::Forbidden("Only admins can create agents and admins".into()));
        }
    }
    let job =
        jobs::enqueue_bulk(&state, &actor, JobKind::CreateUsers, json!({"users": list}), list.len() as i64).await?;
    Ok(ok(json!({"job_status": render::job_status(&base, &job)})))
}

async fn update(
    AxState(state): AxState<State>,
    actor: Actor,
    base: Base,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let id = path_id(&id)?;
    may_see(&actor, id)?;
    let input = UserInput::parse(root(&body, "user")?)?;
    let now = state.now();
    let warnings = in_tx(&state, async |tx| {
        let u = users::get(tx, id).await?.ok_or(ApiError::NotFound)?;
        let was_staff = u.role != Role::EndUser && u.suspended == 0;
        let after = crate::app::users::update(tx, &actor, u, &input, now).await?;
        // An agent demoted or suspended: the rules and views that name them are listed.
        let lost = was_staff && (after.role == Role::EndUser || after.suspended != 0);
        if lost { crate::app::rules::naming(tx, crate::app::rules::Named::User(id)).await } else { Ok(Vec::new()) }
    })
    .await?;
    state.auth_cache.clear();
    if input.password.is_some() {
        state.password_cache.forget_user(id);
    }
    let mut body = one(&state, &base, id, &[]).await?;
    render::person_for_viewer(&actor, &mut body["user"]);
    if !warnings.is_empty() {
        body["warnings"] = json!(warnings);
    }
    Ok(ok(body))
}

async fn destroy(AxState(state): AxState<State>, actor: Actor, base: Base, Path(id): Path<String>) -> Result<Response> {
    require_admin(&actor)?;
    let id = path_id(&id)?;
    if id == actor.id() {
        return Err(ApiError::invalid("base", "You cannot delete yourself").msg("error-delete-self", &[]));
    }
    let now = state.now();
    let warnings = in_tx(&state, async |tx| {
        let u = users::get(tx, id).await?.filter(|u| u.active != 0).ok_or(ApiError::NotFound)?;
        let staff = u.role != Role::EndUser;
        crate::app::users::delete(tx, u, now).await?;
        // A deactivated agent: the rules and views that name them are listed.
        if staff { crate::app::rules::naming(tx, crate::app::rules::Named::User(id)).await } else { Ok(Vec::new()) }
    })
    .await?;
    state.password_cache.forget_user(id);
    state.auth_cache.clear();
    let mut body = one(&state, &base, id, &[]).await?;
    if !warnings.is_empty() {
        body["warnings"] = json!(warnings);
    }
    Ok(ok(body))
}

// ---- identities ----

async fn identities(
    AxState(state): AxState<State>,
    actor: Actor,
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

/// Who may change a user's identities: whoever may manage that user.
async fn manage_target(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<()> {
    let u = users::get(conn, id).await?.ok_or(ApiError::NotFound)?;
    if actor.id() == id || may_manage(actor, u.role) { Ok(()) } else { Err(ApiError::forbidden()) }
}

async fn add_identity(
    AxState(state): AxState<State>,
    actor: Actor,
    base: Base,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let id = path_id(&id)?;
    let m = root(&body, "identity")?;
    let now = state.now();
    let ident = in_tx(&state, async |tx| {
        manage_target(tx, &actor, id).await?;
        crate::app::users::create_identity(tx, &actor, id, m, now).await
    })
    .await?;
    Ok(created(
        json!({"identity": render::identity(&base, &ident)}),
        &base.url(&format!("/api/v2/users/{id}/identities/{}.json", ident.id)),
    ))
}

async fn show_identity(
    AxState(state): AxState<State>,
    actor: Actor,
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
    actor: Actor,
    base: Base,
    Path((id, iid)): Path<(String, String)>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    let (id, iid) = (path_id(&id)?, path_id(&iid)?);
    let m = root(&body, "identity")?;
    let now = state.now();
    let ident = in_tx(&state, async |tx| {
        manage_target(tx, &actor, id).await?;
        let mut i = users::identity(tx, id, iid).await?.ok_or(ApiError::NotFound)?;
        let o = Obj(m);
        if let Some(v) = o.str("value", 255)?.set() {
            let kind = IdentityKind::parse(&i.kind)?;
            let v = kind.normalize(&v).map_err(|e| ApiError::refused("value", "Value", e))?;
            // A new address is a new claim: only an admin may swap one in place.
            if v != i.value && !actor.is_admin() {
                return Err(ApiError::Forbidden(
                    "Only an admin can change an identity's value; add the new one as an identity instead".into(),
                ));
            }
            i.value = v;
        }
        if let Some(v) = o.bool("verified")? {
            if !actor.is_admin() && v != (i.verified != 0) {
                return Err(crate::app::users::only_admins_verify());
            }
            i.verified = i64::from(v);
            if v {
                i.proof_pending = 0;
            }
        }
        i.updated_at = now;
        users::update_identity(tx, &i).await?;
        if i.is_primary != 0 {
            crate::app::users::sync_primary(tx, id, IdentityKind::parse(&i.kind)?, Some(&i.value), now).await?;
        }
        Ok(i)
    })
    .await?;
    state.auth_cache.clear();
    Ok(ok(json!({"identity": render::identity(&base, &ident)})))
}

async fn delete_identity(
    AxState(state): AxState<State>,
    actor: Actor,
    Path((id, iid)): Path<(String, String)>,
) -> Result<Response> {
    let (id, iid) = (path_id(&id)?, path_id(&iid)?);
    let now = state.now();
    in_tx(&state, async |tx| {
        manage_target(tx, &actor, id).await?;
        let i = users::identity(tx, id, iid).await?.ok_or(ApiError::NotFound)?;
        users::delete_identity(tx, iid).await?;
        if i.is_primary != 0 {
            let kind = IdentityKind::parse(&i.kind)?;
            // The next primary is a proven one: a pending claim never becomes the account's address.
            let next =
                users::identities(tx, &[id]).await?.into_iter().find(|x| x.kind == i.kind && x.proof_pending == 0);
            if let Some(n) = &next {
                users::make_primary(tx, id, n.id, &n.kind, now).await?;
            }
            crate::app::users::sync_primary(tx, id, kind, next.as_ref().map(|n| n.value.as_str()), now).await?;
        }
        Ok(())
    })
    .await?;
    state.auth_cache.clear();
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
    let now = state.now();
    in_tx(&state, async |tx| {
        manage_target(tx, &actor, id).await?;
        let mut i = users::identity(tx, id, iid).await?.ok_or(ApiError::NotFound)?;
        if primary {
            if i.proof_pending != 0 {
                return Err(ApiError::invalid(
                    "identity",
                    "The identity is waiting for its owner to follow the link mailed to it",
                )
                .msg("error-identity-unproven", &[]));
            }
            users::make_primary(tx, id, iid, &i.kind, now).await?;
            crate::app::users::sync_primary(tx, id, IdentityKind::parse(&i.kind)?, Some(&i.value), now).await?;
        } else {
            if !actor.is_admin() {
                return Err(crate::app::users::only_admins_verify());
            }
            i.verified = 1;
            i.proof_pending = 0;
            i.updated_at = now;
            users::update_identity(tx, &i).await?;
        }
        Ok(())
    })
    .await?;
    state.auth_cache.clear();
    let mut conn = state.db.read().await?;
    let list = users::identities(&mut conn, &[id]).await?;
    Ok(ok(json!({"identities": list.iter().map(|i| render::identity(&base, i)).collect::<Vec<_>>()})))
}

async fn make_primary(
    AxState(state): AxState<State>,
    actor: Actor,
    base: Base,
    Path((id, iid)): Path<(String, String)>,
) -> Result<Response> {
    identity_action(state, actor, base, id, iid, true).await
}

async fn verify_identity(
    AxState(state): AxState<State>,
    actor: Actor,
    base: Base,
    Path((id, iid)): Path<(String, String)>,
) -> Result<Response> {
    identity_action(state, actor, base, id, iid, false).await
}

// ---- tags ----

async fn tags_list(AxState(state): AxState<State>, actor: Actor, Path(id): Path<String>) -> Result<Response> {
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
    in_tx(&state, async |tx| {
        manage_target(tx, &actor, id).await?;
        match mode {
            TagMode::Replace => tags::replace(tx, Tagged::User, id, &list).await?,
            TagMode::Add => tags::add(tx, Tagged::User, id, &list).await?,
            TagMode::Remove => tags::remove(tx, Tagged::User, id, &list).await?,
        }
        crate::app::search_index::refresh_user(tx, id).await?;
        Ok(tags::list(tx, Tagged::User, id).await?)
    })
    .await
}

async fn tags_replace(
    AxState(state): AxState<State>,
    actor: Actor,
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
    actor: Actor,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    Ok(ok(json!({"tags": tags_change(state, actor, id, body, TagMode::Add).await?})))
}

async fn tags_remove(
    AxState(state): AxState<State>,
    actor: Actor,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    Ok(ok(json!({"tags": tags_change(state, actor, id, body, TagMode::Remove).await?})))
}

// ---- organizations of a user, organization memberships ----

async fn user_organizations(
    AxState(state): AxState<State>,
    actor: Actor,
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
    actor: Actor,
    base: Base,
    params: Params,
    Path(id): Path<String>,
) -> Result<Response> {
    let id = path_id(&id)?;
    may_see(&actor, id)?;
    memberships(&state, &base, &params, Some(id), None).await
}

async fn org_memberships(AxState(state): AxState<State>, actor: Actor, base: Base, params: Params) -> Result<Response> {
    require_staff(&actor)?;
    memberships(&state, &base, &params, None, None).await
}

async fn add_org_membership(
    AxState(state): AxState<State>,
    actor: Actor,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_staff(&actor)?;
    let o = Obj(root(&body, "organization_membership")?);
    let user_id = o.id("user_id")?.set().ok_or_else(|| ApiError::blank("user_id", "User"))?;
    let org_id = o.id("organization_id")?.set().ok_or_else(|| ApiError::blank("organization_id", "Organization"))?;
    let is_default = o.bool("default")?;
    let now = state.now();
    let m = in_tx(&state, async |tx| {
        manage_target(tx, &actor, user_id).await.map_err(|e| match e {
            ApiError::NotFound => ApiError::invalid("user_id", format!("user_id: user {user_id} does not exist"))
                .msg("error-no-such-user", &[("id", &user_id)]),
            other => other,
        })?;
        frontdesk_store::organizations::get(tx, org_id).await?.ok_or_else(|| {
            ApiError::invalid("organization_id", format!("organization_id: organization {org_id} does not exist"))
                .msg("error-no-such-organization", &[("id", &org_id)])
        })?;
        let mut u = users::get(tx, user_id).await?.ok_or(ApiError::NotFound)?;
        let make_default = is_default.unwrap_or(u.organization_id.is_none());
        let m = users::add_organization_membership(tx, user_id, org_id, make_default, now).await?;
        if make_default {
            u.organization_id = Some(org_id);
            u.updated_at = now;
            users::update(tx, &u).await?;
        }
        Ok(m)
    })
    .await?;
    Ok(created(
        json!({"organization_membership": render::organization_membership(&base, &m)}),
        &base.url(&format!("/api/v2/organization_memberships/{}.json", m.id)),
    ))
}

async fn remove_org_membership(
    AxState(state): AxState<State>,
    actor: Actor,
    Path(id): Path<String>,
) -> Result<Response> {
    require_staff(&actor)?;
    let id = path_id(&id)?;
    let now = state.now();
    in_tx(&state, async |tx| {
        let m = users::organization_membership(tx, id).await?.ok_or(ApiError::NotFound)?;
        manage_target(tx, &actor, m.user_id).await?;
        users::delete_organization_membership(tx, id).await?;
        let mut u = users::get(tx, m.user_id).await?.ok_or(ApiError::NotFound)?;
        if u.organization_id == Some(m.organization_id) {
            u.organization_id = crate::app::users::organization_ids(tx, m.user_id).await?.first().copied();
            u.updated_at = now;
            users::update(tx, &u).await?;
        }
        Ok(())
    })
    .await?;
    Ok(no_content())
}
