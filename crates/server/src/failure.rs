//! A use case's error as the edge answers it: the status and Zendesk's envelope (the API), the
//! refusal's field errors in the response's extensions (for pages that call the API in-process).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, Refused};

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
        let mut resp = crate::http::json_response(status(&e), &e.body());
        if let ApiError::Invalid(list) = &e {
            resp.extensions_mut().insert(Refused(list.clone()));
        }
        if let ApiError::RateLimited { retry_after } = e {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        resp
    }
}
