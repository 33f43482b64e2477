//! What the API and the pages share at the HTTP edge: a use case's error as a response (its
//! status and Zendesk's envelope, the refusal's field errors in the response's extensions for
//! pages that call the API in-process), JSON responses, the caller a request carries, and the
//! access levels of the routes' policy.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use frontdesk_app::auth::Actor;
use frontdesk_app::error::{ApiError, Refused};

/// An [`ApiError`] on its way out as a response.
#[derive(Debug)]
pub struct Failure(pub ApiError);

impl<E: Into<ApiError>> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.into())
    }
}

pub type Result<T, E = Failure> = std::result::Result<T, E>;

fn status(e: &ApiError) -> StatusCode {
    match e {
        ApiError::BadRequest(_) | ApiError::TooManyValues(_) | ApiError::InvalidQuery { .. } => StatusCode::BAD_REQUEST,
        ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
        ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
        ApiError::NotFound | ApiError::InvalidEndpoint => StatusCode::NOT_FOUND,
        ApiError::UpdateConflict => StatusCode::CONFLICT,
        ApiError::TooLarge(_) | ApiError::QuotaReached { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let e = self.0;
        if let ApiError::Internal(msg) = &e {
            tracing::error!(error = %msg, "internal error");
        }
        let mut resp = json_response(status(&e), &e.body());
        if let ApiError::Invalid(list) = &e {
            resp.extensions_mut().insert(Refused(list.clone()));
        }
        if let ApiError::RateLimited { retry_after } = e {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        resp
    }
}

/// A JSON response with the content type both clients insist on.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    resp
}

pub fn ok(body: Value) -> Response {
    json_response(StatusCode::OK, &body)
}

/// The authenticated caller, set by the auth middleware.
#[derive(Clone)]
pub struct Caller(pub Option<Actor>);

/// The least a caller must be to reach a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// Anyone, signed in or not (the route's own secret or answer decides).
    Public,
    /// Any signed-in user; the handler keeps an end user to what is theirs.
    SignedIn,
    /// Agents and admins.
    Staff,
    /// Agents with the `run_campaigns` permission, and admins (the handler checks the permission).
    Campaigns,
    /// Admins.
    Admin,
}

/// A file to download, as the response that saves it under its name.
pub fn download(d: frontdesk_app::reports::Download) -> Response {
    let mut r = (StatusCode::OK, d.bytes).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(d.content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", d.filename)) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}
