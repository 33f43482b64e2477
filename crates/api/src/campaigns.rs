//! `/api/v2/campaigns` (native): proactive campaigns, their recipients and reports, and
//! `/api/v2/users/{id}/permissions` (who may run them).

use axum::extract::{Path, State as AxState};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post, put};
use serde_json::{Value, json};

use frontdesk_domain::Locale;
use frontdesk_store::campaigns::{self as store, Campaign};

use super::extract::{Base, JsonBody, Params, SignedIn, path_id};
use super::paging::Paging;
use super::{Endpoint, ep, json_response, ok, require_admin};
use crate::State;
use crate::app::campaigns::{self as app, CampaignInput};
use crate::app::input::root;
use crate::auth::Actor;
use crate::clock::iso;
use crate::error::ApiError;
use frontdesk_edge::Result;

const T: &str = "campaigns";

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        ep(Method::GET, "/api/v2/campaigns", T, "List campaigns", get(list)),
        ep(Method::POST, "/api/v2/campaigns", T, "Start a campaign (or preview it with dry_run)", post(create)),
        ep(Method::GET, "/api/v2/campaigns/{id}", T, "Show a campaign and its progress", get(show)),
        ep(
            Method::GET,
            "/api/v2/campaigns/{id}/recipients",
            T,
            "Each customer's ticket or skip reason",
            get(recipients),
        ),
        ep(Method::POST, "/api/v2/campaigns/{id}/pause", T, "Pause a campaign's send", post(pause)),
        ep(Method::POST, "/api/v2/campaigns/{id}/resume", T, "Resume a paused campaign", post(resume)),
        ep(Method::GET, "/api/v2/campaigns/{id}/report", T, "A campaign's report", get(report)),
        ep(Method::GET, "/api/v2/campaigns/{id}/report.csv", T, "A campaign's report as CSV", get(report_csv)),
        ep(Method::GET, "/api/v2/campaigns/{id}/report.xlsx", T, "A campaign's report as XLSX", get(report_xlsx)),
        ep(Method::GET, "/api/v2/users/{id}/permissions", T, "What a user may do beyond their role", get(permissions)),
        ep(Method::PUT, "/api/v2/users/{id}/permissions", T, "Grant permissions (run_campaigns)", put(set_permissions)),
    ]
}

pub fn campaign_json(base: &Base, c: &Campaign) -> Value {
    // A template that cannot be read is shown as null with the reason, never as empty.
    let mut problem = None;
    json!({
        "id": c.id,
        "name": c.name,
        "tag": c.tag,
        "state": c.state,
        "total": c.total,
        "created": c.created,
        "skipped": c.skipped,
        "failed": c.failed,
        "pending": (c.total - c.created - c.skipped - c.failed).max(0),
        "view_id": c.view_id,
        "macro_id": c.macro_id,
        "override_frequency_cap": c.override_frequency_cap == 1,
        "audience": c.audience().map_err(|e| problem = Some(e.to_string())).ok(),
        "ticket": c.ticket_template().map_err(|e| problem = Some(e.to_string())).ok(),
        "problem": problem,
        "created_by": c.created_by,
        "url": base.url(&format!("/api/v2/campaigns/{}.json", c.id)),
        "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
        "completed_at": c.completed_at.map(iso),
        "error": c.error,
    })
}

async fn gate(state: &State, actor: &Actor) -> Result<()> {
    let mut conn = state.db.read().await?;
    Ok(app::may_run(&mut conn, actor).await?)
}

async fn find(state: &State, id: &str) -> Result<Campaign> {
    let id = path_id(id)?;
    let mut conn = state.db.read().await?;
    store::get(&mut conn, id).await?.ok_or(ApiError::NotFound.into())
}

async fn list(AxState(state): AxState<State>, SignedIn(actor): SignedIn, base: Base) -> Result<Response> {
    gate(&state, &actor).await?;
    let mut conn = state.db.read().await?;
    let items: Vec<Value> = store::list(&mut conn).await?.iter().map(|c| campaign_json(&base, c)).collect();
    Ok(ok(json!({"campaigns": items, "count": items.len(), "next_page": null, "previous_page": null})))
}

async fn create(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    gate(&state, &actor).await?;
    let m = root(&body, "campaign")?;
    let input = CampaignInput::parse(m)?;
    let now = state.now();
    if m.get("dry_run").and_then(Value::as_bool) == Some(true) {
        let mut conn = state.db.read().await?;
        let preview = app::preview(&mut conn, &input, &actor, now).await?;
        return Ok(ok(json!({"preview": preview})));
    }
    let c = app::create(&state, &input, &actor).await?;
    let mut r = json_response(StatusCode::ACCEPTED, &json!({"campaign": campaign_json(&base, &c)}));
    if let Ok(v) = HeaderValue::from_str(&base.url(&format!("/api/v2/campaigns/{}.json", c.id))) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}

async fn show(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
) -> Result<Response> {
    gate(&state, &actor).await?;
    let c = find(&state, &id).await?;
    Ok(ok(json!({"campaign": campaign_json(&base, &c)})))
}

async fn recipients(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
    Path(id): Path<String>,
) -> Result<Response> {
    gate(&state, &actor).await?;
    let c = find(&state, &id).await?;
    let paging = Paging::cursor_only(&params)?;
    let mut conn = state.db.read().await?;
    let page = store::recipients(&mut conn, c.id, paging.req).await?;
    let items = page
        .items
        .iter()
        .map(|r| json!({"user_id": r.user_id, "state": r.state, "ticket_id": r.ticket_id, "reason": r.reason, "updated_at": iso(r.updated_at)}))
        .collect();
    Ok(ok(Value::Object(paging.respond(&base, &params, "recipients", items, &page))))
}

async fn pause(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
) -> Result<Response> {
    gate(&state, &actor).await?;
    let id = path_id(&id)?;
    let c = app::pause(&state, id).await?;
    Ok(ok(json!({"campaign": campaign_json(&base, &c)})))
}

async fn resume(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
) -> Result<Response> {
    gate(&state, &actor).await?;
    let id = path_id(&id)?;
    let c = app::resume(&state, id, &actor).await?;
    Ok(ok(json!({"campaign": campaign_json(&base, &c)})))
}

async fn report_of(state: &State, actor: &Actor, id: &str) -> Result<Value> {
    gate(state, actor).await?;
    let c = find(state, id).await?;
    let mut conn = state.db.read().await?;
    Ok(app::report(&mut conn, &c).await?)
}

async fn report(AxState(state): AxState<State>, SignedIn(actor): SignedIn, Path(id): Path<String>) -> Result<Response> {
    let mut r = report_of(&state, &actor, &id).await?;
    if let Some(m) = r.as_object_mut() {
        m.remove("rows");
    }
    Ok(ok(json!({"report": r})))
}

async fn report_csv(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
) -> Result<Response> {
    Ok(frontdesk_edge::download(crate::app::reports::csv(&report_of(&state, &actor, &id).await?, Locale::EnUs)))
}

async fn report_xlsx(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
) -> Result<Response> {
    Ok(frontdesk_edge::download(crate::app::reports::xlsx(&report_of(&state, &actor, &id).await?, Locale::EnUs)?))
}

async fn permissions(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
) -> Result<Response> {
    let id = path_id(&id)?;
    if !actor.is_admin() && actor.id() != id {
        return Err(ApiError::forbidden().into());
    }
    let mut conn = state.db.read().await?;
    frontdesk_store::users::get(&mut conn, id).await?.ok_or(ApiError::NotFound)?;
    Ok(ok(json!({"permissions": store::permissions(&mut conn, id).await?})))
}

async fn set_permissions(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response> {
    require_admin(&actor)?;
    let id = path_id(&id)?;
    let list: Vec<String> = match body.get("permissions") {
        Some(Value::Array(a)) => a.iter().map(|v| v.as_str().unwrap_or("").to_string()).collect(),
        _ => {
            return Err(
                ApiError::invalid("permissions", "permissions: must be a list, such as [\"run_campaigns\"]").into()
            );
        }
    };
    let list = app::set_permissions(&state, id, &list).await?;
    Ok(ok(json!({"permissions": list})))
}
