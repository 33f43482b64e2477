//! Incremental exports (`zendesk-api.md` §6.8) with no lag: a change is exported the moment
//! it commits. Cursor exports follow commit order (`change_seq`), so a cursor never skips a
//! change that committed late nor repeats one; time exports never split a second.

use axum::extract::State as AxState;
use axum::http::Method;
use axum::response::Response;
use axum::routing::get;
use base64::Engine;
use serde_json::{Map, Value, json};

use frontdesk_store::audits::Audit;
use frontdesk_store::incremental::{self, Exported};
use frontdesk_store::organizations::Organization;
use frontdesk_store::tickets::Ticket;
use frontdesk_store::users::User;
use frontdesk_store::{AnyConnection, account};

use super::extract::{Base, Params, SignedIn};
use super::{Endpoint, ep, ok, render, require_staff};
use crate::State;
use crate::auth::Actor;
use crate::clock::iso;
use crate::error::ApiError;
use frontdesk_edge::Result;

const T: &str = "incremental export";
const MAX_PER_PAGE: i64 = 1000;

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        ep(
            Method::GET,
            "/api/v2/incremental/tickets/cursor",
            T,
            "Tickets changed, in commit order",
            get(tickets_cursor),
        ),
        ep(Method::GET, "/api/v2/incremental/tickets", T, "Tickets changed since ?start_time=", get(tickets_time)),
        ep(Method::GET, "/api/v2/incremental/users/cursor", T, "Users changed, in commit order", get(users_cursor)),
        ep(Method::GET, "/api/v2/incremental/users", T, "Users changed since ?start_time=", get(users_time)),
        ep(
            Method::GET,
            "/api/v2/incremental/organizations/cursor",
            T,
            "Organizations changed, in commit order",
            get(orgs_cursor),
        ),
        ep(
            Method::GET,
            "/api/v2/incremental/organizations",
            T,
            "Organizations changed since ?start_time=",
            get(orgs_time),
        ),
        ep(Method::GET, "/api/v2/incremental/ticket_events", T, "Ticket audits since ?start_time=", get(ticket_events)),
    ]
}

/// Which records an export carries and how they render.
trait Kind: Exported + Sized {
    const KEY: &'static str;
    async fn render(
        conn: &mut AnyConnection,
        base: &Base,
        params: &Params,
        list: &[Self],
    ) -> Result<(Vec<Value>, Map<String, Value>)>;
}

impl Kind for Ticket {
    const KEY: &'static str = "tickets";
    async fn render(
        conn: &mut AnyConnection,
        base: &Base,
        params: &Params,
        list: &[Self],
    ) -> Result<(Vec<Value>, Map<String, Value>)> {
        let items = render::tickets(conn, base, list).await?;
        let tz = account::get(conn).await?.time_zone;
        let side = render::sideload_for_tickets(conn, base, &params.includes(), list, &tz).await?;
        Ok((items, side.into_iter().collect()))
    }
}

impl Kind for User {
    const KEY: &'static str = "users";
    async fn render(
        conn: &mut AnyConnection,
        base: &Base,
        _: &Params,
        list: &[Self],
    ) -> Result<(Vec<Value>, Map<String, Value>)> {
        let tz = account::get(conn).await?.time_zone;
        Ok((render::users(conn, base, list, &tz).await?, Map::new()))
    }
}

impl Kind for Organization {
    const KEY: &'static str = "organizations";
    async fn render(
        conn: &mut AnyConnection,
        base: &Base,
        _: &Params,
        list: &[Self],
    ) -> Result<(Vec<Value>, Map<String, Value>)> {
        Ok((render::organizations(conn, base, list).await?, Map::new()))
    }
}

impl Kind for Audit {
    const KEY: &'static str = "ticket_events";
    async fn render(
        conn: &mut AnyConnection,
        base: &Base,
        _: &Params,
        list: &[Self],
    ) -> Result<(Vec<Value>, Map<String, Value>)> {
        let rendered = render::audits(conn, base, list, false).await?;
        let items = list
            .iter()
            .zip(rendered)
            .map(|(a, r)| {
                let children: Vec<Value> = r["events"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|mut e| {
                        e["event_type"] = e["type"].clone();
                        e
                    })
                    .collect();
                json!({
                    "id": a.id,
                    "ticket_id": a.ticket_id,
                    "timestamp": a.created_at,
                    "created_at": iso(a.created_at),
                    "updater_id": a.author_id,
                    "via": r["via"],
                    "system": {},
                    "metadata": r["metadata"],
                    "event_type": "Audit",
                    "child_events": children,
                })
            })
            .collect();
        Ok((items, Map::new()))
    }
}

fn per_page(params: &Params) -> Result<i64> {
    Ok(params.int("per_page")?.unwrap_or(MAX_PER_PAGE).clamp(1, MAX_PER_PAGE))
}

fn start_time(params: &Params) -> Result<i64> {
    let raw = params
        .get("start_time")
        .ok_or_else(|| ApiError::BadRequest("Give ?start_time= (Unix seconds) or ?cursor=".into()))?;
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|t| *t >= 0)
        .ok_or_else(|| ApiError::BadRequest(format!("start_time must be Unix seconds, not {raw:?}")).into())
}

/// A cursor: the position `(change_seq, id)` after which to continue, and the start time.
fn encode_cursor(seq: i64, id: i64, start: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{seq}.{id}.{start}"))
}

fn decode_cursor(raw: &str) -> Result<(i64, i64, i64)> {
    let bad = || ApiError::BadRequest(format!("Invalid cursor {raw:?}"));
    let bytes =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw.trim_end_matches('=')).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let parts: Vec<i64> = text.split('.').map(|p| p.parse::<i64>()).collect::<Result<_, _>>().map_err(|_| bad())?;
    match parts[..] {
        [seq, id, start] => Ok((seq, id, start)),
        _ => Err(bad().into()),
    }
}

fn link(base: &Base, params: &Params, set: &[(&str, String)]) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &params.pairs {
        if !set.iter().any(|(s, _)| s == k) && k != "start_time" && k != "cursor" {
            ser.append_pair(k, v);
        }
    }
    for (k, v) in set {
        ser.append_pair(k, v);
    }
    format!("{}{}?{}", base.0, params.path, ser.finish())
}

async fn cursor_export<K: Kind>(state: &State, actor: &Actor, base: &Base, params: &Params) -> Result<Response> {
    require_staff(actor)?;
    let (seq, id, start) = match params.get("cursor").filter(|c| !c.is_empty()) {
        Some(c) => decode_cursor(c)?,
        None => (-1, 0, start_time(params)?),
    };
    let mut conn = state.db.read().await?;
    let (list, more) = incremental::by_seq::<K>(&mut conn, start, (seq, id), per_page(params)?).await?;
    let after = list.last().map_or(encode_cursor(seq, id, start), |r| encode_cursor(r.seq(), r.id(), start));
    let (items, side) = K::render(&mut conn, base, params, &list).await?;
    let mut body = Map::new();
    body.insert(K::KEY.into(), Value::Array(items));
    body.insert("after_url".into(), json!(link(base, params, &[("cursor", after.clone())])));
    body.insert("after_cursor".into(), json!(after));
    body.insert("before_url".into(), Value::Null);
    body.insert("before_cursor".into(), Value::Null);
    body.insert("end_of_stream".into(), json!(!more));
    body.extend(side);
    Ok(ok(Value::Object(body)))
}

async fn time_export<K: Kind>(state: &State, actor: &Actor, base: &Base, params: &Params) -> Result<Response> {
    require_staff(actor)?;
    let start = start_time(params)?;
    let mut conn = state.db.read().await?;
    let (list, more) = incremental::by_time::<K>(&mut conn, start, per_page(params)?).await?;
    // Each page holds whole seconds, so the next starts after the last one, unless that second
    // is still running: then it starts at it again (a repeat, never a miss).
    let end_time = match list.last() {
        Some(r) if r.stamp() < state.now() => r.stamp() + 1,
        Some(r) => r.stamp(),
        None => start,
    };
    let (items, side) = K::render(&mut conn, base, params, &list).await?;
    let count = items.len();
    let mut body = Map::new();
    body.insert(K::KEY.into(), Value::Array(items));
    body.insert("next_page".into(), json!(link(base, params, &[("start_time", end_time.to_string())])));
    body.insert("count".into(), json!(count));
    body.insert("end_of_stream".into(), json!(!more));
    body.insert("end_time".into(), json!(end_time));
    body.extend(side);
    Ok(ok(Value::Object(body)))
}

async fn tickets_cursor(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    cursor_export::<Ticket>(&state, &actor, &base, &params).await
}

async fn tickets_time(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    time_export::<Ticket>(&state, &actor, &base, &params).await
}

async fn users_cursor(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    cursor_export::<User>(&state, &actor, &base, &params).await
}

async fn users_time(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    time_export::<User>(&state, &actor, &base, &params).await
}

async fn orgs_cursor(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    cursor_export::<Organization>(&state, &actor, &base, &params).await
}

async fn orgs_time(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    time_export::<Organization>(&state, &actor, &base, &params).await
}

async fn ticket_events(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
) -> Result<Response> {
    time_export::<Audit>(&state, &actor, &base, &params).await
}
