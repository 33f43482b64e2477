//! `/api/v2/job_statuses`: the progress of bulk jobs.

use axum::extract::{Path, State as AxState};
use axum::http::Method;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use frontdesk_store::jobs;

use super::extract::{Base, Params, SignedIn};
use super::paging::Paging;
use super::{Endpoint, ep, ok, render, require_admin, require_staff};
use crate::State;
use crate::error::ApiError;
use frontdesk_edge::Result;

const T: &str = "job statuses";

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        ep(Method::GET, "/api/v2/job_statuses", T, "List recent job statuses", get(list)),
        ep(Method::GET, "/api/v2/job_statuses/show_many", T, "Show several job statuses", get(show_many)),
        ep(Method::GET, "/api/v2/job_statuses/{id}", T, "Show a job status", get(show)),
        ep(
            Method::GET,
            "/api/v2/failed_jobs",
            T,
            "Jobs that failed for good, with their last error (admins)",
            get(failed),
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
    let who = (!actor.is_admin()).then(|| actor.id());
    let page = jobs::list(&mut conn, who, None, paging.req).await?;
    let items = page.items.iter().map(|j| render::job_status(&base, j)).collect();
    Ok(ok(Value::Object(paging.respond(&base, &params, "job_statuses", items, &page))))
}

async fn show(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
) -> Result<Response> {
    require_staff(&actor)?;
    let mut conn = state.db.read().await?;
    let job = jobs::get_public(&mut conn, id.trim_end_matches(".json")).await?.ok_or(ApiError::NotFound)?;
    Ok(ok(json!({"job_status": render::job_status(&base, &job)})))
}

async fn show_many(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    require_staff(&actor)?;
    let ids: Vec<String> = params
        .get("ids")
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if ids.len() > 100 {
        return Err(ApiError::TooManyValues(100).into());
    }
    let mut conn = state.db.read().await?;
    let list = jobs::get_public_many(&mut conn, &ids).await?;
    Ok(ok(json!({"job_statuses": list.iter().map(|j| render::job_status(&base, j)).collect::<Vec<_>>()})))
}

async fn failed(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    require_admin(&actor)?;
    let paging = Paging::from_params(&params)?;
    let mut conn = state.db.read().await?;
    let page = jobs::list(&mut conn, None, Some("failed"), paging.req).await?;
    let items = page
        .items
        .iter()
        .map(|j| json!({"id": j.id, "kind": j.kind.as_str(), "attempts": j.attempts, "last_error": j.last_error, "job_status": j.public_id, "updated_at": crate::clock::iso(j.updated_at)}))
        .collect();
    Ok(ok(Value::Object(paging.respond(&base, &params, "failed_jobs", items, &page))))
}
