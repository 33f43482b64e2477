//! The HTTP surface: every route in one table ([`endpoints`]), from which both the router and
//! the OpenAPI document are built, so the two cannot drift apart.
//!
//! A request flows: `.json` suffix stripped → auth middleware (who is asking, rate limit,
//! headers) → handler (thin: parse input, call a use case in `crate::app`, render JSON).

pub mod account;
pub mod attachments;
pub mod campaigns;
pub mod custom_statuses;
pub mod email;
pub mod extract;
pub mod fields;
pub mod forwarded;
pub mod groups;
pub mod incremental;
pub mod jobs;
pub mod openapi;
pub mod organizations;
pub mod paging;
pub mod policy;
pub mod render;
pub mod rules;
pub mod search;
pub mod tickets;
pub mod users;
pub mod views;
pub mod webhooks;

// The use cases and what they share, under the names the modules use.
pub(crate) use frontdesk_app::{self as app, State, auth, clock, error, sender_auth};
pub use frontdesk_edge::{json_response, ok};

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::Router;
use axum::extract::{ConnectInfo, Request, State as AxState};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde_json::Value;
use tower::ServiceExt;

use crate::auth::{Actor, Credentials};
use crate::error::ApiError;
use extract::Caller;

/// One route of the API: what the router serves and the OpenAPI document describes.
pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub handler: MethodRouter<State>,
}

pub(crate) fn ep(
    method: Method,
    path: &'static str,
    tag: &'static str,
    summary: &'static str,
    handler: MethodRouter<State>,
) -> Endpoint {
    Endpoint { method, path, tag, summary, handler }
}

/// The whole API surface.
pub fn endpoints() -> Vec<Endpoint> {
    let mut all = Vec::new();
    all.extend(tickets::endpoints());
    all.extend(users::endpoints());
    all.extend(organizations::endpoints());
    all.extend(groups::endpoints());
    all.extend(jobs::endpoints());
    all.extend(search::endpoints());
    all.extend(custom_statuses::endpoints());
    all.extend(fields::endpoints());
    all.extend(views::endpoints());
    all.extend(rules::endpoints());
    all.extend(webhooks::endpoints());
    all.extend(incremental::endpoints());
    all.extend(account::endpoints());
    all.extend(campaigns::endpoints());
    all.extend(email::endpoints());
    all.extend(attachments::endpoints());
    all.push(ep(Method::GET, "/api/v2/openapi", "meta", "This OpenAPI document", get(openapi::serve)));
    all
}

/// The API's routes alone (each with its handler, no policy or authentication), for pages that
/// call the API in-process through a router the binary hands them.
pub fn bare() -> Router<State> {
    endpoints().into_iter().fold(Router::new(), |r, e| r.route(e.path, e.handler))
}

/// The whole HTTP surface: the health check, `pages` (the binary's, from the pages crate), and
/// every API route behind its policy entry, all behind authentication; a path nothing serves is
/// the API's error under `/api/`, else `page_not_found`'s page.
pub fn router<F, Fut>(state: State, pages: Router<State>, page_not_found: F) -> Router
where
    F: Fn(State, HeaderMap) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response> + Send + 'static,
{
    let mut r: Router<State> = Router::new().route("/healthz", get(healthz)).merge(pages);
    for e in endpoints() {
        // Each route checks its policy entry (`policy`) before its handler; a route without
        // one is the admins' alone.
        let access = policy::access(&e.method, e.path).unwrap_or_else(|| {
            tracing::error!(method = %e.method, path = e.path, "a route has no policy entry: admins only");
            policy::Access::Admin
        });
        let guarded = e.handler.route_layer(middleware::from_fn(move |req, next| policy::enforce(access, req, next)));
        r = r.route(e.path, guarded);
    }
    let fallback = move |AxState(state): AxState<State>, headers: HeaderMap, uri: Uri| {
        let page_not_found = page_not_found.clone();
        async move {
            if uri.path().starts_with("/api/") {
                return frontdesk_edge::Failure(ApiError::InvalidEndpoint).into_response();
            }
            page_not_found(state, headers).await
        }
    };
    r.fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .with_state(state)
}

/// Wraps the router so that `/api/v2/tickets/1.json` and `/api/v2/tickets/1` are one route, and
/// `X-Forwarded-*` headers count only from a trusted proxy (`forwarded`).
pub fn into_service(
    router: Router,
    trusted_proxies: Vec<ipnet::IpNet>,
) -> axum::extract::connect_info::IntoMakeServiceWithConnectInfo<Router<()>, SocketAddr> {
    let outer = Router::new().fallback_service(
        router.map_request(strip_json_suffix).map_request(move |r| forwarded::settle(&trusted_proxies, r)),
    );
    outer.into_make_service_with_connect_info::<SocketAddr>()
}

fn strip_json_suffix(mut req: Request) -> Request {
    let path = req.uri().path();
    if let Some(stripped) = path.strip_suffix(".json") {
        let pq = match req.uri().query() {
            Some(q) => format!("{stripped}?{q}"),
            None => stripped.to_string(),
        };
        if let Ok(uri) = pq.parse::<Uri>() {
            *req.uri_mut() = uri;
        }
    }
    req
}

async fn healthz(AxState(state): AxState<State>) -> Response {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    json_response(
        StatusCode::METHOD_NOT_ALLOWED,
        &serde_json::json!({"error": "MethodNotAllowed", "description": format!("{method} is not allowed on {}", uri.path())}),
    )
}

pub fn created(body: Value, location: &str) -> Response {
    let mut r = json_response(StatusCode::CREATED, &body);
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// Resolves the caller from the `Authorization` header, applies the rate limit and adds its
/// headers. Requests without credentials pass through anonymous; handlers that need a user
/// answer 401.
async fn authenticate(AxState(state): AxState<State>, mut req: Request, next: Next) -> Result<Response, Infallible> {
    let source: IpAddr =
        req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let header = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_string);
    let is_me = req.uri().path() == "/api/v2/users/me";
    let actor = match header {
        None => None,
        Some(h) => match resolve(&state, &h, source).await {
            Ok(a) => Some(a),
            // users/me answers an anonymous user rather than 401 (a Zendesk quirk clients use).
            Err(ApiError::Unauthenticated) if is_me => None,
            Err(e) => return Ok(frontdesk_edge::Failure(e).into_response()),
        },
    };
    let limit = state.rate_limiter.per_minute;
    let remaining = match &actor {
        Some(a) => match state.rate_limiter.hit(a.id(), state.now()) {
            Ok(left) => Some(left),
            Err(retry_after) => {
                let mut resp = frontdesk_edge::Failure(ApiError::RateLimited { retry_after }).into_response();
                add_rate_headers(&mut resp, limit, 0);
                return Ok(resp);
            }
        },
        None => None,
    };
    req.extensions_mut().insert(Caller(actor));
    let mut resp = next.run(req).await;
    if let Some(left) = remaining {
        add_rate_headers(&mut resp, limit, left);
    }
    Ok(resp)
}

fn add_rate_headers(resp: &mut Response, limit: u32, remaining: u32) {
    let h = resp.headers_mut();
    h.insert("x-rate-limit", HeaderValue::from(limit));
    h.insert("x-rate-limit-remaining", HeaderValue::from(remaining));
}

async fn resolve(state: &State, header: &str, source: IpAddr) -> Result<Actor, ApiError> {
    let creds = Credentials::parse(header).ok_or(ApiError::Unauthenticated)?;
    // Token sign-ins are cached briefly by a hash of the whole header; passwords have their own cache.
    let cache_key = match &creds {
        Credentials::Token { .. } | Credentials::Bearer(_) => Some(crate::auth::token_hash(header)),
        Credentials::Password { .. } => None,
    };
    let now_ms = state.clock.now_ms();
    if let Some(actor) = cache_key.as_deref().and_then(|k| state.auth_cache.get(k, now_ms)) {
        return Ok(actor);
    }
    let actor = resolve_uncached(state, creds, source).await?;
    if let Some(k) = cache_key {
        state.auth_cache.put(k, actor.clone(), now_ms);
    }
    Ok(actor)
}

async fn resolve_uncached(state: &State, creds: Credentials, source: IpAddr) -> Result<Actor, ApiError> {
    let now = state.now();
    let mut conn = state.db.read().await?;
    let user = match creds {
        Credentials::Token { email, token } => {
            let (_, user_id) = frontdesk_store::tokens::user_for(&mut conn, &crate::auth::token_hash(&token))
                .await?
                .ok_or(ApiError::Unauthenticated)?;
            let user = frontdesk_store::users::get(&mut conn, user_id).await?.ok_or(ApiError::Unauthenticated)?;
            if user.email.as_deref() != Some(email.trim().to_lowercase().as_str()) {
                return Err(ApiError::Unauthenticated);
            }
            user
        }
        Credentials::Bearer(token) => {
            let (_, user_id) = frontdesk_store::tokens::user_for(&mut conn, &crate::auth::token_hash(&token))
                .await?
                .ok_or(ApiError::Unauthenticated)?;
            frontdesk_store::users::get(&mut conn, user_id).await?.ok_or(ApiError::Unauthenticated)?
        }
        Credentials::Password { email, password } => {
            let cached = match state.password_cache.get(&email, &password, now) {
                Some((id, checked)) => {
                    let current = frontdesk_store::users::password_hash(&mut conn, id).await?;
                    if current.as_deref() == Some(checked.as_str()) {
                        frontdesk_store::users::get(&mut conn, id).await?
                    } else {
                        state.password_cache.forget_user(id);
                        None
                    }
                }
                None => None,
            };
            if let Some(u) = cached {
                u
            } else {
                if let Some(wait) = state.throttle.check(&email, source, now) {
                    return Err(ApiError::RateLimited { retry_after: wait });
                }
                let user = match frontdesk_domain::EmailAddress::parse(&email) {
                    Ok(e) => frontdesk_store::users::find_by_identity(&mut conn, "email", e.as_str()).await?,
                    Err(_) => None,
                };
                let hash = match &user {
                    Some(u) => frontdesk_store::users::password_hash(&mut conn, u.id).await?,
                    None => None,
                };
                drop(conn);
                let pw = password.clone();
                let checked = hash.clone();
                let ok = match checked {
                    Some(h) => tokio::task::spawn_blocking(move || crate::auth::verify_password(&h, &pw))
                        .await
                        .unwrap_or(false),
                    None => false,
                };
                match (ok, user, hash) {
                    (true, Some(u), Some(h)) => {
                        state.throttle.succeeded(&email, source, now);
                        state.password_cache.put(&email, &password, u.id, h, now);
                        u
                    }
                    _ => {
                        state.throttle.failed(&email, source, now);
                        return Err(ApiError::Unauthenticated);
                    }
                }
            }
        }
    };
    if user.active == 0 || user.suspended != 0 {
        return Err(ApiError::Unauthenticated);
    }
    let role = user.role;
    Ok(Actor { user, role })
}

/// Refuses callers who are not agents or admins.
pub fn require_staff(actor: &Actor) -> Result<(), ApiError> {
    if actor.is_staff() { Ok(()) } else { Err(ApiError::forbidden()) }
}

pub fn require_admin(actor: &Actor) -> Result<(), ApiError> {
    if actor.is_admin() { Ok(()) } else { Err(ApiError::forbidden()) }
}
