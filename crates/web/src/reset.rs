//! One-time links. An admin makes a password link for a user and hands it over; anyone can
//! ask on the sign-in page for a link by email, to set a password or (for customers above
//! all) to sign in without one. A password link works once and for a day, a sign-in link once
//! and for 20 minutes; whoever asks is told the same thing whether or not the address has an
//! account, and an address gets at most a few links an hour. Campaign mail carries a third
//! kind: an unsubscribe link that works for a year and is never used up.

use axum::extract::{ConnectInfo, Path, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use frontdesk_domain::EmailAddress;
use frontdesk_store::presence::{PasswordReset, RESET, SIGN_IN, UNSUBSCRIBE, VERIFY};
use frontdesk_store::users;

use super::PageForm;
use super::pages::{error_page, reader};
use super::render;
use super::session::{self, FORM_COOKIE};
use crate::State;
use crate::app::links::{link_url, live, new_link};
use crate::auth::MIN_PASSWORD_LEN;
use frontdesk_edge::Result;

/// A new password link for `user_id`, as an absolute URL on the host the admin is using (it
/// is shown to that admin, never mailed: mailed links use the configured public URL).
pub async fn make_link(state: &State, headers: &HeaderMap, user_id: i64, by: Option<i64>) -> Result<String> {
    let secret = new_link(state, user_id, by, RESET).await?;
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = match headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    Ok(link_url(&format!("{scheme}://{host}"), RESET, &secret))
}

/// The link's record while it can still be used for `purpose`.
async fn usable(state: &State, secret: &str, purpose: &str) -> Result<Option<PasswordReset>> {
    Ok(live(state, secret).await?.filter(|r| r.purpose == purpose))
}

/// A link's user (if still there) and the reader of the page it opens.
async fn reader_of(
    state: &State,
    headers: &HeaderMap,
    user_id: i64,
) -> Result<(Option<users::User>, super::pages::Reader)> {
    let mut conn = state.db.read().await?;
    let user = users::get(&mut conn, user_id).await?;
    drop(conn);
    let r = reader(state, headers, user.as_ref()).await?;
    Ok((user, r))
}

pub async fn form(AxState(state): AxState<State>, headers: HeaderMap, Path(secret): Path<String>) -> Result<Response> {
    if usable(&state, &secret, RESET).await?.is_none() {
        return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "reset-link-used").await);
    }
    let r = reader(&state, &headers, None).await?;
    let token = session::random_token();
    let page = render(StatusCode::OK, "reset.html", r.locale, context! { csrf => token.clone(), secret });
    Ok(session::with_form_cookie(&state, &headers, page, &token))
}

#[derive(Deserialize)]
pub struct ResetForm {
    password: String,
    confirm: String,
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

pub async fn set(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path(secret): Path<String>,
    PageForm(f): PageForm<ResetForm>,
) -> Result<Response> {
    let Some(reset) = usable(&state, &secret, RESET).await? else {
        return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "reset-link-used").await);
    };
    let r = reader(&state, &headers, None).await?;
    let expected = session::cookie(&headers, FORM_COOKIE).unwrap_or_default();
    let problem = if !session::csrf_ok(&expected, f.csrf.as_deref()) {
        Some(crate::i18n::tr(r.locale, "stale-form", &[]))
    } else if f.password.chars().count() < MIN_PASSWORD_LEN {
        let min = fluent_bundle::FluentValue::from(MIN_PASSWORD_LEN as i64);
        Some(crate::i18n::tr(r.locale, "password-too-short", &[("min", min)]))
    } else if f.password != f.confirm {
        Some(crate::i18n::tr(r.locale, "passwords-differ", &[]))
    } else {
        None
    };
    if let Some(error) = problem {
        let token = session::random_token();
        let page = render(
            StatusCode::UNPROCESSABLE_ENTITY,
            "reset.html",
            r.locale,
            context! { csrf => token.clone(), secret, error },
        );
        return Ok(session::with_form_cookie(&state, &headers, page, &token));
    }
    let password = f.password.clone();
    let hash = tokio::task::spawn_blocking(move || crate::auth::hash_password(&password))
        .await
        .map_err(|e| crate::error::ApiError::Internal(e.to_string()))?;
    let done = crate::app::links::set_password(&state, &reset, &hash).await?;
    if !done {
        return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "reset-link-used").await);
    }
    Ok(Redirect::to("/login?reset=1").into_response())
}

#[derive(Deserialize)]
pub struct LinkRequest {
    email: String,
    /// `sign_in` or `reset`.
    purpose: String,
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

/// "Email me a link": queues the mail when the address belongs to an active user, and says
/// the same either way (the page does not tell who has an account).
pub async fn request_link(
    AxState(state): AxState<State>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    PageForm(f): PageForm<LinkRequest>,
) -> Result<Response> {
    let r = reader(&state, &headers, None).await?;
    let token = session::random_token();
    let expected = session::cookie(&headers, FORM_COOKIE).unwrap_or_default();
    let purpose = if f.purpose == SIGN_IN { SIGN_IN } else { RESET };
    let page = |status: StatusCode, key: &str, is_error: bool| {
        let text = crate::i18n::tr(r.locale, key, &[("email", f.email.clone().into())]);
        // The link box's own answer stands in the link box.
        let (link_error, link_flash) = if is_error { (Some(text), None) } else { (None, Some(text)) };
        let page = render(
            status,
            "login.html",
            r.locale,
            context! { csrf => token.clone(), link_error, link_flash, email => f.email.clone() },
        );
        session::with_form_cookie(&state, &headers, page, &token)
    };
    if !session::csrf_ok(&expected, f.csrf.as_deref()) {
        return Ok(page(StatusCode::FORBIDDEN, "stale-form", true));
    }
    let Ok(email) = EmailAddress::parse(&f.email) else {
        return Ok(page(StatusCode::UNPROCESSABLE_ENTITY, "email-invalid", true));
    };
    let now = state.now();
    // An address or a source locked out of signing in gets no links either.
    if state.throttle.check(email.as_str(), peer.ip(), now).is_some() {
        return Ok(page(StatusCode::TOO_MANY_REQUESTS, "link-too-many", true));
    }
    let mut conn = state.db.read().await?;
    let user = users::find_by_identity(&mut conn, "email", email.as_str()).await?;
    drop(conn);
    if let Some(u) = user.filter(|u| u.active == 1 && u.suspended == 0) {
        crate::app::links::mail_link(&state, u.id, purpose, r.locale.as_str()).await?;
    }
    Ok(page(StatusCode::OK, "link-sent", false))
}

/// A followed link's user and the page's reader, or (Err) the page saying, by `gone` in the
/// reader's language, that the link is used, expired or unknown.
async fn followed(
    state: &State,
    headers: &HeaderMap,
    secret: &str,
    purpose: &str,
    gone: &str,
) -> Result<std::result::Result<(Option<users::User>, super::pages::Reader), Response>> {
    let Some(link) = usable(state, secret, purpose).await? else {
        return Ok(Err(error_page(state, headers, StatusCode::NOT_FOUND, gone).await));
    };
    Ok(Ok(reader_of(state, headers, link.user_id).await?))
}

/// A sign-in link opens a page with one button, so that a mail scanner fetching the link
/// does not use it up.
pub async fn sign_in_form(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path(secret): Path<String>,
) -> Result<Response> {
    let (user, r) = match followed(&state, &headers, &secret, SIGN_IN, "sign-in-link-used").await? {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let email = user.and_then(|u| u.email).unwrap_or_default();
    let token = session::random_token();
    let page = render(StatusCode::OK, "signin.html", r.locale, context! { csrf => token.clone(), secret, email });
    Ok(session::with_form_cookie(&state, &headers, page, &token))
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

/// Follows a sign-in link: used up under the write lock, then a session as after a password.
pub async fn sign_in(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path(secret): Path<String>,
    PageForm(f): PageForm<CsrfOnly>,
) -> Result<Response> {
    let expected = session::cookie(&headers, FORM_COOKIE).unwrap_or_default();
    if !session::csrf_ok(&expected, f.csrf.as_deref()) {
        return Ok(error_page(&state, &headers, StatusCode::FORBIDDEN, "stale-form").await);
    }
    let Some(link) = usable(&state, &secret, SIGN_IN).await? else {
        return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "sign-in-link-used").await);
    };
    let used = crate::app::links::use_up(&state, &link.id).await?;
    let mut conn = state.db.read().await?;
    let user = users::get(&mut conn, link.user_id).await?;
    drop(conn);
    let Some(user) = user.filter(|u| used && u.active == 1 && u.suspended == 0) else {
        return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "sign-in-link-used").await);
    };
    session::welcome(&state, &headers, &user, None).await
}

/// An unsubscribe link from campaign mail, followed in a browser: a page with one button (a
/// mail scanner fetching the link changes nothing).
pub async fn unsubscribe_form(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path(secret): Path<String>,
) -> Result<Response> {
    let (user, r) = match followed(&state, &headers, &secret, UNSUBSCRIBE, "unsubscribe-link-unknown").await? {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let email = user.and_then(|u| u.email).unwrap_or_default();
    Ok(render(StatusCode::OK, "unsubscribe.html", r.locale, context! { secret, email, done => false }))
}

/// Unsubscribes: the page's button, or a mail client's one-click POST (RFC 8058,
/// `List-Unsubscribe=One-Click`). The link's secret is the only credential either carries, so
/// there is no form token; the link stays usable, and a second click changes nothing.
pub async fn unsubscribe(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path(secret): Path<String>,
) -> Result<Response> {
    let Some(link) = usable(&state, &secret, UNSUBSCRIBE).await? else {
        return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "unsubscribe-link-unknown").await);
    };
    let user = crate::app::campaigns::opt_out(&state, link.user_id).await?;
    let r = reader(&state, &headers, Some(&user)).await?;
    Ok(render(StatusCode::OK, "unsubscribe.html", r.locale, context! { secret, email => user.email, done => true }))
}

/// A proof link's identity: the link while unused and unexpired, with the identity it names
/// (which must still be its user's and still waiting), or the page saying the link is spent.
async fn proof_link(
    state: &State,
    headers: &HeaderMap,
    secret: &str,
) -> Result<std::result::Result<(PasswordReset, users::Identity), Response>> {
    let link = live(state, secret).await?;
    let mut conn = state.db.read().await?;
    let id = link.as_ref().and_then(|l| l.purpose.strip_prefix(VERIFY)?.strip_prefix(':')?.parse::<i64>().ok());
    let claim = match (&link, id) {
        (Some(l), Some(id)) => users::identity(&mut conn, l.user_id, id).await?.filter(|i| i.proof_pending == 1),
        _ => None,
    };
    drop(conn);
    match (link, claim) {
        (Some(l), Some(i)) => Ok(Ok((l, i))),
        _ => Ok(Err(error_page(state, headers, StatusCode::NOT_FOUND, "verify-link-used").await)),
    }
}

/// A proof link followed in a browser: a page with one button, so a mail scanner fetching the
/// link proves nothing.
pub async fn verify_form(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path(secret): Path<String>,
) -> Result<Response> {
    let (link, claim) = match proof_link(&state, &headers, &secret).await? {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let (_, r) = reader_of(&state, &headers, link.user_id).await?;
    let email = claim.value;
    Ok(render(StatusCode::OK, "verify.html", r.locale, context! { secret, email, done => false }))
}

/// Proves the address: the link is used up and the identity counts from now on. The secret,
/// mailed to that address only, is the credential.
pub async fn verify(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path(secret): Path<String>,
) -> Result<Response> {
    let (link, claim) = match proof_link(&state, &headers, &secret).await? {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let proven = crate::app::links::prove(&state, &link, claim.id).await?;
    let Some(proven) = proven else {
        return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "verify-link-used").await);
    };
    let (_, r) = reader_of(&state, &headers, link.user_id).await?;
    Ok(render(StatusCode::OK, "verify.html", r.locale, context! { secret, email => proven.value, done => true }))
}
