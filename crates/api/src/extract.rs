//! Request extractors that answer bad input in Zendesk's error envelope rather than axum's
//! plain-text rejections.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde_json::Value;

use crate::State;
pub use frontdesk_edge::Caller;

use crate::auth::Actor;
use crate::error::ApiError;
use frontdesk_edge::Result;

/// The signed-in caller: handlers that take one answer 401 to anonymous requests.
pub struct SignedIn(pub Actor);

impl FromRequestParts<State> for SignedIn {
    type Rejection = frontdesk_edge::Failure;

    async fn from_request_parts(parts: &mut Parts, _: &State) -> Result<Self> {
        match parts.extensions.get::<Caller>() {
            Some(Caller(Some(a))) => Ok(SignedIn(a.clone())),
            _ => Err(ApiError::Unauthenticated.into()),
        }
    }
}

/// Scheme and host of the request (honouring `X-Forwarded-Proto`/`-Host`), for absolute URLs.
#[derive(Clone, Debug)]
pub struct Base(pub String);

impl Base {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.0, path)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Base {
    type Rejection = frontdesk_edge::Failure;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        let h = &parts.headers;
        let get = |name: &str| {
            h.get(name).and_then(|v| v.to_str().ok()).map(|s| s.split(',').next().unwrap_or(s).trim().to_string())
        };
        let host = get("x-forwarded-host").or_else(|| get("host")).unwrap_or_else(|| "localhost".into());
        let scheme = get("x-forwarded-proto").filter(|s| s == "https" || s == "http").unwrap_or_else(|| "http".into());
        Ok(Base(format!("{scheme}://{host}")))
    }
}

/// The query string as decoded pairs: `page[size]` and `page%5Bsize%5D` read the same, `+` is a
/// space, and unknown parameters are simply never asked for.
#[derive(Clone, Debug, Default)]
pub struct Params {
    pub pairs: Vec<(String, String)>,
    pub path: String,
}

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn get_all(&self, name: &str) -> Vec<&str> {
        self.pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }

    /// A non-negative integer parameter; a malformed one is a 400 that names it.
    pub fn int(&self, name: &str) -> Result<Option<i64>> {
        match self.get(name).map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse::<i64>()
                .map(Some)
                .map_err(|_| ApiError::BadRequest(format!("Parameter {name} must be an integer, got {v:?}")).into()),
        }
    }

    /// A comma-separated id list (`ids=1,2,3`), at most `max` of them.
    pub fn ids(&self, name: &str, max: usize) -> Result<Option<Vec<i64>>> {
        let Some(raw) = self.get(name) else { return Ok(None) };
        let mut out = Vec::new();
        for piece in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match piece.parse::<i64>() {
                Ok(id) => out.push(id),
                // An id past i64 cannot exist: it simply matches nothing.
                Err(_) if piece.bytes().all(|b| b.is_ascii_digit()) => out.push(-1),
                Err(_) => {
                    return Err(ApiError::BadRequest(format!(
                        "Parameter {name} must be a comma-separated list of ids, got {piece:?}"
                    ))
                    .into());
                }
            }
        }
        if out.len() > max {
            return Err(ApiError::TooManyValues(max).into());
        }
        Ok(Some(out))
    }

    pub fn includes(&self) -> Vec<String> {
        self.get("include")
            .map(|s| s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect())
            .unwrap_or_default()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = frontdesk_edge::Failure;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        let query = parts.uri.query().unwrap_or("");
        let pairs = form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        Ok(Params { pairs, path: parts.uri.path().to_string() })
    }
}

/// A JSON body: `null` or no body at all reads as `Value::Null`; invalid UTF-8, malformed
/// JSON and bodies over the limit are answered 400/413 in the error envelope.
pub struct JsonBody(pub Value);

impl FromRequest<State> for JsonBody {
    type Rejection = frontdesk_edge::Failure;

    async fn from_request(req: Request, state: &State) -> Result<Self> {
        let limit = state.config.body_limit;
        let bytes = axum::body::to_bytes(req.into_body(), limit).await.map_err(|_| ApiError::TooLarge(limit))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(Value::Null));
        }
        let text = std::str::from_utf8(&bytes).map_err(|e| {
            ApiError::BadRequest(format!(
                "The request body is not valid UTF-8 (invalid byte at offset {})",
                e.valid_up_to()
            ))
        })?;
        let value = serde_json::from_str(text)
            .map_err(|e| ApiError::BadRequest(format!("The request body is not valid JSON: {e}")))?;
        Ok(JsonBody(value))
    }
}

/// Parses a path id. An id that is not a number, or is past i64, names no record: 404.
pub fn path_id(raw: &str) -> Result<i64> {
    Ok(raw.trim_end_matches(".json").parse::<i64>().map_err(|_| ApiError::NotFound)?)
}
