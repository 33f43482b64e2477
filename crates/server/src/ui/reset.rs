//! One-time password links: an admin makes one for a user (email delivers them once the
//! email channel exists); following it, the user sets a new password and every session of
//! theirs ends. A link works once and for a day.

use axum::Form;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use frontdesk_store::presence::{self, PasswordReset};
use frontdesk_store::{sessions, users};

use super::pages::{error_page, reader};
use super::render;
use super::session::{self, FORM_COOKIE};
use crate::State;
use crate::auth::MIN_PASSWORD_LEN;
use crate::error::Result;

const LIFETIME_SECS: i64 = 86_400;

/// A new link for `user_id`, as an absolute URL on the host the admin is using.
pub async fn make_link(state: &State, headers: &HeaderMap, user_id: i64, by: Option<i64>) -> Result<String> {
    let secret = session::random_token();
    let reset = PasswordReset {
        id: crate::auth::token_hash(&secret),
        user_id,
        created_by: by,
        expires_at: state.now() + LIFETIME_SECS,
        used_at: None,
    };
    crate::app::in_tx(state, async |tx| Ok(presence::insert_reset(tx, &reset).await?)).await?;
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let scheme = match headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    Ok(format!("{scheme}://{host}/reset/{secret}"))
}

/// The link's record while it can still be used.
async fn usable(state: &State, secret: &str) -> Result<Option<PasswordReset>> {
    let mut conn = state.db.read().await?;
    let r = presence::get_reset(&mut conn, &crate::auth::token_hash(secret)).await?;
    Ok(r.filter(|r| r.used_at.is_none() && r.expires_at > state.now()))
}

pub async fn form(AxState(state): AxState<State>, headers: HeaderMap, Path(secret): Path<String>) -> Result<Response> {
    if usable(&state, &secret).await?.is_none() {
        return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "reset-link-used").await);
    }
    let r = reader(&state, &headers, None).await?;
    let token = session::random_token();
    let page = render(StatusCode::OK, "reset.html", r.locale, context! { csrf => token.clone(), secret });
    Ok(with_cookie(&headers, page, &token))
}

fn with_cookie(headers: &HeaderMap, mut page: Response, token: &str) -> Response {
    page.headers_mut().append(axum::http::header::SET_COOKIE, session::set_cookie(headers, FORM_COOKIE, token, 3600));
    page
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
    Form(f): Form<ResetForm>,
) -> Result<Response> {
    let Some(reset) = usable(&state, &secret).await? else {
        return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "reset-link-used").await);
    };
    let r = reader(&state, &headers, None).await?;
    let expected = session::cookie(&headers, FORM_COOKIE).unwrap_or_default();
    let problem = if !session::csrf_ok(&expected, f.csrf.as_deref()) {
        Some(super::i18n::tr(r.locale, "stale-form", &[]))
    } else if f.password.chars().count() < MIN_PASSWORD_LEN {
        let min = fluent_bundle::FluentValue::from(MIN_PASSWORD_LEN as i64);
        Some(super::i18n::tr(r.locale, "password-too-short", &[("min", min)]))
    } else if f.password != f.confirm {
        Some(super::i18n::tr(r.locale, "passwords-differ", &[]))
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
        return Ok(with_cookie(&headers, page, &token));
    }
    let password = f.password.clone();
    let hash = tokio::task::spawn_blocking(move || crate::auth::hash_password(&password))
        .await
        .map_err(|e| crate::error::ApiError::Internal(e.to_string()))?;
    let now = state.now();
    let done = crate::app::in_tx(&state, async |tx| {
        // Used up under the write lock: two clicks on one link set one password.
        if !presence::use_reset(tx, &reset.id, now).await? {
            return Ok(false);
        }
        users::set_password_hash(tx, reset.user_id, &hash).await?;
        sessions::delete_for_user(tx, reset.user_id).await?;
        Ok(true)
    })
    .await?;
    if !done {
        return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "reset-link-used").await);
    }
    state.password_cache.forget_user(reset.user_id);
    Ok(Redirect::to("/login?reset=1").into_response())
}
