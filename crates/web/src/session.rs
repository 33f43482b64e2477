//! Web sessions: the cookie, its lookup with idle and absolute lifetimes, and CSRF tokens.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

use frontdesk_store::sessions;
use frontdesk_store::users::User;

use crate::State;
use crate::auth::Actor;
use frontdesk_edge::Result;

pub const COOKIE: &str = "fd_session";
/// The pre-sign-in CSRF cookie (double submit) of the sign-in and first-run forms.
pub const FORM_COOKIE: &str = "fd_form";
const IDLE_SECS: i64 = 8 * 3600;
const ABSOLUTE_SECS: i64 = 7 * 86_400;
/// How stale `seen_at` may get before a request writes it again.
const TOUCH_SECS: i64 = 60;

/// A signed-in user on a page.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub csrf: String,
    pub actor: Actor,
}

pub use crate::app::links::random_secret as random_token;

fn hash(secret: &str) -> String {
    crate::auth::token_hash(secret)
}

/// A cookie's value from the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Whether browsers reach us over TLS: the public address is `https://`, or the request came
/// through a proxy that says so.
fn secure(state: &State, headers: &HeaderMap) -> bool {
    state.public_url().starts_with("https://")
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure behind TLS; `max_age` 0 removes it.
pub fn set_cookie(state: &State, headers: &HeaderMap, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if secure(state, headers) { "; Secure" } else { "" };
    let v = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A form page before sign-in gets a CSRF token in a cookie of its own (double submit).
pub fn with_form_cookie(state: &State, headers: &HeaderMap, mut page: Response, token: &str) -> Response {
    page.headers_mut().append(header::SET_COOKIE, set_cookie(state, headers, FORM_COOKIE, token, 3600));
    page
}

/// Starts a session for `user`; the cookie to set.
pub async fn start(state: &State, headers: &HeaderMap, user_id: i64) -> Result<HeaderValue> {
    let secret = random_token();
    crate::app::sessions::start(state, &hash(&secret), user_id, &random_token()).await?;
    Ok(set_cookie(state, headers, COOKIE, &secret, ABSOLUTE_SECS))
}

/// After a sign-in (a password or a link): a new session, and `next` (a page of ours the user
/// may see) or the user's home page.
pub async fn welcome(
    state: &State,
    headers: &HeaderMap,
    user: &User,
    next: Option<&str>,
) -> Result<axum::response::Response> {
    use axum::response::IntoResponse;
    let cookie = start(state, headers, user.id).await?;
    let home = if user.role == frontdesk_domain::Role::EndUser { "/portal" } else { "/agent" };
    let next = next.filter(|n| {
        super::pages::local_page(n) && (user.role != frontdesk_domain::Role::EndUser || n.starts_with("/portal"))
    });
    let mut resp = axum::response::Redirect::to(next.unwrap_or(home)).into_response();
    resp.headers_mut().append(header::SET_COOKIE, cookie);
    resp.headers_mut().append(header::SET_COOKIE, set_cookie(state, headers, FORM_COOKIE, "", 0));
    Ok(resp)
}

/// Ends the session the request carries, if any.
pub async fn end(state: &State, headers: &HeaderMap) -> Result<()> {
    if let Some(secret) = cookie(headers, COOKIE) {
        let id = hash(&secret);
        crate::app::sessions::end(state, &id).await?;
    }
    Ok(())
}

/// Why a request has no usable session.
pub enum NoSession {
    /// No cookie (or one we do not know): a sign-in is needed.
    Missing,
    /// It was there and ran out.
    Expired,
}

/// The session the request carries, checked against both lifetimes.
pub async fn current(state: &State, headers: &HeaderMap) -> Result<std::result::Result<Session, NoSession>> {
    let Some(secret) = cookie(headers, COOKIE) else { return Ok(Err(NoSession::Missing)) };
    let id = hash(&secret);
    let mut conn = state.db.read().await?;
    let Some(s) = sessions::get(&mut conn, &id).await? else { return Ok(Err(NoSession::Missing)) };
    let now = state.now();
    if now - s.seen_at > IDLE_SECS || now - s.created_at > ABSOLUTE_SECS {
        drop(conn);
        crate::app::sessions::end(state, &id).await?;
        return Ok(Err(NoSession::Expired));
    }
    let user: Option<User> = frontdesk_store::users::get(&mut conn, s.user_id).await?;
    drop(conn);
    let Some(user) = user.filter(|u| u.active == 1 && u.suspended == 0) else { return Ok(Err(NoSession::Missing)) };
    if now - s.seen_at > TOUCH_SECS {
        crate::app::sessions::touch(state, &id).await?;
    }
    let role = user.role;
    Ok(Ok(Session { id, csrf: s.csrf, actor: Actor { user, role } }))
}

/// Compares a form's token with the expected one in constant time.
pub fn csrf_ok(expected: &str, given: Option<&str>) -> bool {
    let Some(given) = given else { return false };
    if expected.is_empty() || expected.len() != given.len() {
        return false;
    }
    expected.bytes().zip(given.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}
