//! `/api/v2/uploads` (files waiting for a comment), `/api/v2/attachments/{id}`, redaction, and
//! `/attachments/token/{token}/`, where a file's bytes are served: always as a download, with
//! the sniffed type, `nosniff` and a sandboxing CSP, so no upload ever runs in our origin.

use axum::body::Body;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use serde_json::{Value, json};

use frontdesk_store::attachments::{self as store, Attachment};

use super::extract::{Base, Params, SignedIn, path_id};
use super::{Endpoint, created, ep, no_content, ok};
use crate::State;
use crate::app::attachments as app;
use crate::clock::iso;
use crate::error::ApiError;
use frontdesk_edge::Result;

const T: &str = "attachments";
/// How long an upload waits for its turn to be read, and how long its body may take to arrive.
const UPLOAD_WAIT: std::time::Duration = std::time::Duration::from_secs(30);
const UPLOAD_READ: std::time::Duration = std::time::Duration::from_secs(120);

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        ep(Method::POST, "/api/v2/uploads", T, "Upload a file (?filename=, ?token= adds to an upload)", post(upload)),
        ep(Method::DELETE, "/api/v2/uploads/{token}", T, "Delete an upload no comment has taken", delete(remove)),
        ep(Method::GET, "/api/v2/attachments/{id}", T, "Show an attachment", get(show)),
        ep(
            Method::PUT,
            "/api/v2/tickets/{ticket_id}/comments/{comment_id}/attachments/{id}/redact",
            T,
            "Redact an attachment (its bytes are deleted)",
            put(redact),
        ),
        ep(
            Method::GET,
            "/attachments/token/{token}",
            T,
            "A file's bytes (the secret of its content URL)",
            get(content),
        ),
        ep(
            Method::GET,
            "/attachments/token/{token}/",
            T,
            "A file's bytes (the secret of its content URL)",
            get(content),
        ),
    ]
}

/// An attachment as the API shows it.
pub fn attachment_json(base: &Base, a: &Attachment) -> Value {
    let url = app::content_url(&base.0, a);
    json!({
        "url": base.url(&format!("/api/v2/attachments/{}.json", a.id)),
        "id": a.id,
        "file_name": a.file_name,
        "content_url": url,
        "mapped_content_url": url,
        "content_type": a.content_type,
        "size": a.size,
        "width": null,
        "height": null,
        "inline": a.inline != 0,
        "deleted": a.deleted != 0,
        "malware_access_override": false,
        "malware_scan_result": "not_scanned",
        "thumbnails": [],
    })
}

async fn upload(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    params: Params,
    headers: axum::http::HeaderMap,
    body: Body,
) -> Result<Response> {
    let name = params.get("filename").map(str::trim).filter(|n| !n.is_empty()).ok_or_else(|| {
        ApiError::invalid_code("filename", "BlankValue", "filename: give the file's name as ?filename=")
    })?;
    let now = state.now();
    // Uploads have a rate of their own, apart from the API's.
    if let Err(retry_after) = state.upload_limiter.hit(actor.id(), now) {
        return Err(ApiError::RateLimited { retry_after }.into());
    }
    // A file over the limit is refused by its stated length before a byte is read, or as soon
    // as it crosses the limit; and only a few uploads are read at once.
    let limit = state.config.upload_limit();
    let stated = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if stated.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::TooLarge(limit).into());
    }
    // A slow client holds its turn only so long: the wait and the read are each bounded.
    let turn = tokio::time::timeout(UPLOAD_WAIT, state.uploads_reading.acquire()).await;
    let _reading = match turn {
        Ok(permit) => permit.map_err(|e| ApiError::Internal(e.to_string()))?,
        Err(_) => return Err(ApiError::RateLimited { retry_after: UPLOAD_WAIT.as_secs() }.into()),
    };
    // Written to a temporary file as it arrives: never held whole in memory.
    let read = tokio::time::timeout(UPLOAD_READ, app::Spooled::read(body.into_data_stream(), limit)).await;
    let file = match read {
        Ok(read) => read?,
        Err(_) => {
            return Err(ApiError::BadRequest(format!(
                "the upload took longer than {} s to arrive",
                UPLOAD_READ.as_secs()
            ))
            .into());
        }
    };
    if file.size == 0 {
        return Err(ApiError::invalid_code("file", "BlankValue", "file: the request body (the file) is empty").into());
    }
    let access_token = app::random_token();
    let given = params.get("token").map(str::to_string).filter(|t| !t.is_empty());
    let (token, files) = app::keep_upload(&state, &actor, &file, name, &access_token, given).await?;
    let expires = files.iter().filter_map(|a| a.upload_expires_at).max().unwrap_or(now);
    let list: Vec<Value> = files.iter().map(|a| attachment_json(&base, a)).collect();
    let this = files.iter().find(|a| a.access_token == access_token).map(|a| attachment_json(&base, a));
    let body = json!({"upload": {"token": token, "expires_at": iso(expires), "attachments": list, "attachment": this}});
    Ok(created(body, &base.url(&format!("/api/v2/uploads/{token}.json"))))
}

async fn remove(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    Path(token): Path<String>,
) -> Result<Response> {
    app::delete_upload(&state, &actor, &token).await?;
    Ok(no_content())
}

async fn show(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path(id): Path<String>,
) -> Result<Response> {
    let mut conn = state.db.read().await?;
    let a = store::get(&mut conn, path_id(&id)?).await?.ok_or(ApiError::NotFound)?;
    if !app::visible(&mut conn, &actor, &a).await? {
        return Err(ApiError::NotFound.into());
    }
    Ok(ok(json!({"attachment": attachment_json(&base, &a)})))
}

async fn redact(
    AxState(state): AxState<State>,
    SignedIn(actor): SignedIn,
    base: Base,
    Path((ticket_id, comment_id, id)): Path<(String, String, String)>,
) -> Result<Response> {
    super::require_staff(&actor)?;
    let (ticket_id, comment_id, id) = (path_id(&ticket_id)?, path_id(&comment_id)?, path_id(&id)?);
    let a = app::redact(&state, &actor, ticket_id, comment_id, id).await?;
    Ok(ok(json!({"attachment": attachment_json(&base, &a)})))
}

/// A file's bytes, for whoever holds its content URL (an unguessable secret, as in Zendesk).
async fn content(AxState(state): AxState<State>, Path(token): Path<String>) -> Result<Response> {
    let mut conn = state.db.read().await?;
    let a = store::by_access_token(&mut conn, &token).await?.filter(|a| a.deleted == 0).ok_or(ApiError::NotFound)?;
    let chunks = store::chunks(&mut conn, a.id).await?;
    if chunks == 0 {
        return Err(ApiError::NotFound.into());
    }
    drop(conn);
    // Sent a chunk at a time, each read when the client is ready for it.
    let id = a.id;
    let pieces = futures_util::stream::unfold(0i64, move |seq| {
        let state = state.clone();
        async move {
            if seq >= chunks {
                return None;
            }
            let read = async {
                let mut conn = state.db.read().await?;
                Ok::<_, ApiError>(store::chunk(&mut conn, id, seq).await?)
            };
            match read.await {
                Ok(Some(bytes)) => Some((Ok(axum::body::Bytes::from(bytes)), seq + 1)),
                Ok(None) => Some((Err(std::io::Error::other(format!("file {id} lost a chunk"))), chunks)),
                Err(e) => Some((Err(std::io::Error::other(e.to_string())), chunks)),
            }
        }
    });
    let mut r = (StatusCode::OK, Body::from_stream(pieces)).into_response();
    if let Ok(v) = HeaderValue::from_str(&a.size.to_string()) {
        r.headers_mut().insert(header::CONTENT_LENGTH, v);
    }
    let h = r.headers_mut();
    // A type a browser would run (a page, an SVG, a script) is sent as opaque bytes.
    let active = ["html", "xml", "svg", "javascript", "ecmascript"].iter().any(|k| a.content_type.contains(k));
    let kind = HeaderValue::from_str(&a.content_type)
        .ok()
        .filter(|_| !active)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_TYPE, kind);
    let encoded: String = a
        .file_name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let ascii: String =
        a.file_name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_ ".contains(c) { c } else { '_' }).collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=86400"));
    Ok(r)
}
