//! `/api/v2/campaigns` (native): proactive campaigns, their recipients and reports, and
//! `/api/v2/users/{id}/permissions` (who may run them).

use axum::extract::{Path, State as AxState};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
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
use crate::failure::Result;

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

/// The report's table in `locale`: a summary, then one line per ticket (the API's downloads are
/// in English).
fn report_table(r: &Value, locale: Locale) -> Vec<Vec<String>> {
    let text = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let label = |key: &str, args: &[(&str, &str)]| crate::i18n::tr_text(locale, key, args.iter().copied());
    let mut rows = vec![
        vec![label("report-campaign", &[]), text(&r["name"])],
        vec![label("report-tag", &[]), text(&r["tag"])],
        vec![label("report-tickets", &[]), text(&r["tickets"])],
        vec![label("report-solved", &[]), text(&r["solved"])],
        vec![label("report-replied", &[]), text(&r["replied"])],
        vec![label("report-median-first-reply", &[]), text(&r["median_first_reply_seconds"])],
    ];
    for (status, n) in r["by_status"].as_object().into_iter().flatten() {
        rows.push(vec![label("report-by-status", &[("status", status)]), text(n)]);
    }
    for c in r["by_custom_status"].as_array().into_iter().flatten() {
        rows.push(vec![label("report-by-custom-status", &[("label", &text(&c["agent_label"]))]), text(&c["count"])]);
    }
    rows.push(Vec::new());
    rows.push(
        ["report-column-ticket", "report-column-status", "report-column-custom-status", "report-column-first-reply"]
            .map(|k| label(k, &[]))
            .to_vec(),
    );
    for t in r["rows"].as_array().into_iter().flatten() {
        rows.push(vec![
            text(&t["ticket_id"]),
            text(&t["status"]),
            text(&t["custom_status_id"]),
            text(&t["first_reply_seconds"]),
        ]);
    }
    rows
}

fn download(body: Vec<u8>, content_type: &'static str, filename: String) -> Response {
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

async fn report_csv(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
) -> Result<Response> {
    csv(&report_of(&state, &actor, &id).await?, Locale::EnUs)
}

async fn report_xlsx(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(id): Path<String>,
) -> Result<Response> {
    xlsx(&report_of(&state, &actor, &id).await?, Locale::EnUs)
}

/// A report as a CSV download, its labels in `locale`.
pub fn csv(r: &Value, locale: Locale) -> Result<Response> {
    let mut out = String::new();
    for row in report_table(r, locale) {
        let cells: Vec<String> = row.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    let name = format!("{}.csv", r["tag"].as_str().unwrap_or("campaign"));
    Ok(download(out.into_bytes(), "text/csv; charset=utf-8", name))
}

/// One CSV cell, quoted where needed. A text a spreadsheet would take for a formula (starting
/// with `=`, `+`, `-`, `@`, a tab or a carriage return) is given a leading `'`, so a customer's
/// name or subject cannot run in the reader's spreadsheet; numbers stay numbers.
pub fn csv_cell(c: &str) -> String {
    let formula = c.starts_with(['=', '+', '-', '@', '\t', '\r']) && c.parse::<f64>().is_err();
    let c = if formula { format!("'{c}") } else { c.to_string() };
    if c.contains([',', '"', '\n', '\r']) { format!("\"{}\"", c.replace('"', "\"\"")) } else { c }
}

/// A report as an XLSX download, its labels in `locale`.
pub fn xlsx(r: &Value, locale: Locale) -> Result<Response> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (i, row) in report_table(r, locale).iter().enumerate() {
        for (j, cell) in row.iter().enumerate() {
            let (ri, ci) = (i as u32, j as u16);
            let written = match cell.parse::<f64>() {
                Ok(n) => sheet.write_number(ri, ci, n).map(|_| ()),
                Err(_) => sheet.write_string(ri, ci, cell).map(|_| ()),
            };
            written.map_err(|e| ApiError::Internal(format!("xlsx: {e}")))?;
        }
    }
    let bytes = book.save_to_buffer().map_err(|e| ApiError::Internal(format!("xlsx: {e}")))?;
    let name = format!("{}.xlsx", r["tag"].as_str().unwrap_or("campaign"));
    Ok(download(bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name))
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

#[cfg(test)]
mod tests {
    #[test]
    fn csv_cells_never_start_a_formula() {
        use super::csv_cell;
        assert_eq!(csv_cell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
        assert_eq!(csv_cell("+1 555"), "'+1 555");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tcmd"), "'\tcmd");
        assert_eq!(csv_cell("\r=1"), "\"'\r=1\"");
        assert_eq!(csv_cell("-3"), "-3", "a number stays a number");
        assert_eq!(csv_cell("Ana, Bia"), "\"Ana, Bia\"");
        assert_eq!(csv_cell("plain"), "plain");
    }
}
