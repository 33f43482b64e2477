//! The pages: sign-in, first run, and the agent workspace (views with live counts, a view's
//! tickets, a ticket's conversation).

use std::collections::{BTreeMap, HashMap};

use axum::extract::{ConnectInfo, State as AxState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use frontdesk_domain::filter::Record;
use frontdesk_domain::{EmailAddress, Locale, Role};
use frontdesk_store::{account, users, views};

use super::session::{self, FORM_COOKIE, NoSession, Session, with_form_cookie};
use super::{PageForm, PageQuery};
use super::{locale_for, render};
use crate::State;
use crate::app::input::Patch;
use crate::app::users::UserInput;
use crate::auth::MIN_PASSWORD_LEN;
use crate::error::{ApiError, FieldError};
use frontdesk_edge::Result;

/// What a page knows of its reader before anything else: language and time zone.
pub(super) struct Reader {
    pub locale: Locale,
    pub tz: String,
}

pub(super) async fn reader(state: &State, headers: &HeaderMap, user: Option<&users::User>) -> Result<Reader> {
    let mut conn = state.db.read().await?;
    let acc = account::get(&mut conn).await?;
    let locale = locale_for(user.and_then(|u| u.locale.as_deref()), headers, &acc.locale);
    let tz = user.and_then(|u| u.time_zone.clone()).unwrap_or(acc.time_zone);
    Ok(Reader { locale, tz })
}

/// A page that failed: the error in the reader's language (the signed-in user's, else the
/// browser's), with the usual header for a signed-in user, never a stack trace.
pub(super) async fn error_page(state: &State, headers: &HeaderMap, status: StatusCode, key: &str) -> Response {
    let session = session::current(state, headers).await.ok().and_then(Result::ok);
    let user = session.as_ref().map(|s| &s.actor.user);
    let locale = match reader(state, headers, user).await {
        Ok(r) => r.locale,
        Err(_) => Locale::EnUs,
    };
    let message = crate::i18n::tr(locale, key, &[]);
    let (me, csrf, back) = match &session {
        Some(s) => {
            (me(state, s).await.ok(), Some(s.csrf.clone()), Some(if s.actor.is_staff() { "/agent" } else { "/portal" }))
        }
        None => (None, None, None),
    };
    render(status, "error.html", locale, context! { message, me, csrf, home => back })
}

/// The page a form was sent from (its `Referer`), when the request is a form post from one of
/// our own pages.
fn sent_from(headers: &HeaderMap) -> Option<String> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let url = url::Url::parse(referer).ok()?;
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok())?;
    let same = url.host_str().is_some_and(|h| host == h || host.starts_with(&format!("{h}:")));
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    (form && same).then_some(path).filter(|p| local_page(p))
}

/// Whether `path` is one of our pages to send a browser back to (never another site).
pub(super) fn local_page(path: &str) -> bool {
    ["/agent", "/admin", "/portal"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")) || path.starts_with(&format!("{p}?")))
}

/// The signed-in user, or where to send the browser instead.
pub(super) async fn signed_in(state: &State, headers: &HeaderMap) -> std::result::Result<Session, Response> {
    match session::current(state, headers).await {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(NoSession::Expired)) => {
            // A form sent after the session ended: after signing in again, back to its page.
            let to = match sent_from(headers) {
                Some(page) => {
                    let page: String = form_urlencoded::byte_serialize(page.as_bytes()).collect();
                    format!("/login?expired=1&next={page}")
                }
                None => "/login?expired=1".to_string(),
            };
            Err(Redirect::to(&to).into_response())
        }
        Ok(Err(NoSession::Missing)) => Err(Redirect::to("/login").into_response()),
        Err(e) => Err(e.into_response()),
    }
}

/// The signed-in staff member, or where to send the browser instead (end users have the portal).
pub(super) async fn staff(state: &State, headers: &HeaderMap) -> std::result::Result<Session, Response> {
    match signed_in(state, headers).await? {
        s if s.actor.is_staff() => Ok(s),
        _ => Err(Redirect::to("/portal").into_response()),
    }
}

/// The signed-in user (staff with `staff_only`) and the record id in the path, or the page to
/// answer instead: a redirect to sign in, or "not found" for an id that is not a number.
pub(super) async fn caller_and_id(
    state: &State,
    headers: &HeaderMap,
    staff_only: bool,
    raw: &str,
) -> std::result::Result<(Session, i64), Response> {
    let s = if staff_only { staff(state, headers).await? } else { signed_in(state, headers).await? };
    match raw.parse::<i64>() {
        Ok(id) => Ok((s, id)),
        Err(_) => Err(error_page(state, headers, StatusCode::NOT_FOUND, "not-found").await),
    }
}

/// A refusal of the API's checks in the reader's language: the problem's own words where the
/// check gave them, else by its kind, with the check's (English) description as a last resort.
pub(super) fn refusal(locale: Locale, e: &FieldError) -> String {
    let tr = |k: &str| crate::i18n::tr(locale, k, &[]);
    if let Some(m) = &e.message {
        return crate::i18n::reason(locale, m);
    }
    match e.code {
        "BlankValue" => tr("error-blank"),
        "DuplicateValue" => tr("error-taken"),
        _ => format!("{} {}", tr("error-invalid"), e.description),
    }
}

/// The messages of a refused write, as one line above the form.
pub(super) fn invalid_message(locale: Locale, errors: &[FieldError]) -> String {
    let details: Vec<String> = errors.iter().map(|e| refusal(locale, e)).collect();
    details.join(" ")
}

/// Any refusal as one line in the reader's language.
pub(super) fn error_text(locale: Locale, e: &ApiError) -> String {
    let tr = |k: &str| crate::i18n::tr(locale, k, &[]);
    match e {
        ApiError::Invalid(errors) => invalid_message(locale, errors),
        ApiError::InvalidQuery { reason, .. } => crate::i18n::reason(locale, reason),
        ApiError::Forbidden(_) => tr("forbidden"),
        ApiError::NotFound => tr("not-found"),
        ApiError::UpdateConflict => tr("conflict"),
        other => format!("{} {other}", tr("error-invalid")),
    }
}

/// What a new ticket's form needs before anything is sent to the ticket checks: a subject and a
/// description.
pub(super) fn subject_and_description(subject: &str, description: &str) -> Vec<FieldError> {
    let mut missing = Vec::new();
    if subject.trim().is_empty() {
        missing
            .push(FieldError::new("subject", "BlankValue", "Subject: cannot be blank").message("subject-blank", &[]));
    }
    if description.trim().is_empty() {
        missing.push(
            FieldError::new("comment", "BlankValue", "Description: cannot be blank").message("description-blank", &[]),
        );
    }
    missing
}

/// A refused write's problems placed on its form, in the reader's language: each next to the
/// input it concerns (a custom field's under that field's own input, `cf_<id>`), the rest above
/// the form.
#[derive(Default)]
pub(super) struct Problems {
    by_input: BTreeMap<String, String>,
    above: Vec<String>,
}

impl Problems {
    /// `input_of` names the page's input for an error's field (`ticket.subject`, `output.columns`,
    /// `custom_fields`…), or `None` for a problem shown above the form.
    pub fn place(locale: Locale, errors: &[FieldError], input_of: impl Fn(&str) -> Option<String>) -> Problems {
        let mut p = Problems::default();
        for e in errors {
            let text = refusal(locale, e);
            let input = match (input_of(&e.field), e.custom_field) {
                (Some(i), Some(id)) if i == "custom_fields" => Some(format!("cf_{id}")),
                (input, _) => input,
            };
            match input {
                Some(i) => {
                    p.by_input.entry(i).and_modify(|m| m.push_str(&format!(" {text}"))).or_insert(text);
                }
                None => p.above.push(text),
            }
        }
        p
    }

    /// The first part of an error's field name: `comment` for `comment.body`, `actions` for
    /// `actions[2]`.
    pub fn base(field: &str) -> &str {
        field.split(['.', '[']).next().unwrap_or(field)
    }

    /// The problem next to `input`, if any.
    pub fn of(&self, input: &str) -> Option<String> {
        self.by_input.get(input).cloned()
    }

    /// Every problem by input, for templates (`errors.subject`).
    pub fn by_input(&self) -> &BTreeMap<String, String> {
        &self.by_input
    }

    /// Adds a problem next to `input`.
    pub fn add_at(&mut self, input: &str, text: String) {
        self.by_input.insert(input.to_string(), text);
    }

    /// Every problem as one line (for a page without the form).
    pub fn all(&self) -> String {
        self.above.iter().chain(self.by_input.values()).cloned().collect::<Vec<_>>().join(" ")
    }

    /// Adds a problem above the form (a stale form, a conflict…).
    pub fn add_above(&mut self, text: String) {
        self.above.insert(0, text);
    }

    /// The problems above the form, as one line.
    pub fn above(&self) -> String {
        self.above.join(" ")
    }
}

async fn no_users(state: &State) -> Result<bool> {
    let mut conn = state.db.read().await?;
    Ok(users::count(&mut conn).await? == 0)
}

pub async fn home(AxState(state): AxState<State>) -> Result<Response> {
    if no_users(&state).await? {
        return Ok(Redirect::to("/setup").into_response());
    }
    Ok(Redirect::to("/agent").into_response())
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    expired: Option<String>,
    reset: Option<String>,
    next: Option<String>,
}

pub async fn login_form(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    PageQuery(q): PageQuery<LoginQuery>,
) -> Result<Response> {
    if no_users(&state).await? {
        return Ok(Redirect::to("/setup").into_response());
    }
    let r = reader(&state, &headers, None).await?;
    let token = session::random_token();
    let flash = match (q.expired, q.reset) {
        (Some(_), _) => Some(crate::i18n::tr(r.locale, "session-expired", &[])),
        (None, Some(_)) => Some(crate::i18n::tr(r.locale, "password-reset-done", &[])),
        _ => None,
    };
    let next = q.next.filter(|n| local_page(n));
    let page = render(StatusCode::OK, "login.html", r.locale, context! { csrf => token, flash, email => "", next });
    Ok(with_form_cookie(&state, &headers, page, &token))
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    /// The page to go back to after signing in.
    next: Option<String>,
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

pub async fn login(
    AxState(state): AxState<State>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    PageForm(f): PageForm<LoginForm>,
) -> Result<Response> {
    let r = reader(&state, &headers, None).await?;
    let again = |key: &str, status: StatusCode| {
        let token = session::random_token();
        let error = crate::i18n::tr(r.locale, key, &[]);
        let page = render(
            status,
            "login.html",
            r.locale,
            context! { csrf => token, error, email => f.email.clone(), next => f.next.clone() },
        );
        with_form_cookie(&state, &headers, page, &token)
    };
    let expected = session::cookie(&headers, FORM_COOKIE).unwrap_or_default();
    if !session::csrf_ok(&expected, f.csrf.as_deref()) {
        return Ok(again("stale-form", StatusCode::FORBIDDEN));
    }
    let source = peer.ip();
    let now = state.now();
    if state.throttle.check(&f.email, source, now).is_some() {
        return Ok(again("bad-credentials", StatusCode::TOO_MANY_REQUESTS));
    }
    let mut conn = state.db.read().await?;
    let user = match EmailAddress::parse(&f.email) {
        Ok(e) => users::find_by_identity(&mut conn, "email", e.as_str()).await?,
        Err(_) => None,
    };
    let hash = match &user {
        Some(u) => users::password_hash(&mut conn, u.id).await?,
        None => None,
    };
    drop(conn);
    let password = f.password.clone();
    let ok = match hash {
        Some(h) => {
            tokio::task::spawn_blocking(move || crate::auth::verify_password(&h, &password)).await.unwrap_or(false)
        }
        None => false,
    };
    let Some(user) = user.filter(|u| ok && u.active == 1 && u.suspended == 0) else {
        state.throttle.failed(&f.email, source, now);
        return Ok(again("bad-credentials", StatusCode::UNAUTHORIZED));
    };
    // From here on this device's address is the owner's: a flood of guesses elsewhere does
    // not keep them out.
    state.throttle.succeeded(&f.email, source, now);
    session::welcome(&state, &headers, &user, f.next.as_deref()).await
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

pub async fn logout(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    PageForm(f): PageForm<CsrfForm>,
) -> Result<Response> {
    if let Ok(Ok(s)) = session::current(&state, &headers).await {
        if !session::csrf_ok(&s.csrf, f.csrf.as_deref()) {
            return Ok(error_page(&state, &headers, StatusCode::FORBIDDEN, "stale-form").await);
        }
        session::end(&state, &headers).await?;
    }
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().append(header::SET_COOKIE, session::set_cookie(&state, &headers, session::COOKIE, "", 0));
    Ok(resp)
}

pub async fn setup_form(AxState(state): AxState<State>, headers: HeaderMap) -> Result<Response> {
    if !no_users(&state).await? {
        return Ok(Redirect::to("/login").into_response());
    }
    let r = reader(&state, &headers, None).await?;
    let token = session::random_token();
    let form = HashMap::from([("name", String::new()), ("email", String::new())]);
    let errors: HashMap<&str, String> = HashMap::new();
    let page = render(StatusCode::OK, "setup.html", r.locale, context! { csrf => token, form, errors });
    Ok(with_form_cookie(&state, &headers, page, &token))
}

#[derive(Deserialize)]
pub struct SetupForm {
    name: String,
    email: String,
    password: String,
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

/// The first run: creates the first admin, signed in at once. Only while there are no users.
pub async fn setup(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    PageForm(f): PageForm<SetupForm>,
) -> Result<Response> {
    if !no_users(&state).await? {
        return Ok(Redirect::to("/login").into_response());
    }
    let r = reader(&state, &headers, None).await?;
    let expected = session::cookie(&headers, FORM_COOKIE).unwrap_or_default();
    let mut errors: HashMap<&str, String> = HashMap::new();
    if !session::csrf_ok(&expected, f.csrf.as_deref()) {
        errors.insert("name", crate::i18n::tr(r.locale, "stale-form", &[]));
    }
    if f.name.trim().is_empty() {
        errors.insert("name", crate::i18n::tr(r.locale, "name-blank", &[]));
    }
    let email = EmailAddress::parse(&f.email);
    if email.is_err() {
        errors.insert("email", crate::i18n::tr(r.locale, "email-invalid", &[]));
    }
    if f.password.chars().count() < MIN_PASSWORD_LEN {
        let min = fluent_bundle::FluentValue::from(MIN_PASSWORD_LEN as i64);
        errors.insert("password", crate::i18n::tr(r.locale, "password-too-short", &[("min", min)]));
    }
    let (Ok(email), true) = (email, errors.is_empty()) else {
        let token = session::random_token();
        let form = HashMap::from([("name", f.name.clone()), ("email", f.email.clone())]);
        let page =
            render(StatusCode::UNPROCESSABLE_ENTITY, "setup.html", r.locale, context! { csrf => token, form, errors });
        return Ok(with_form_cookie(&state, &headers, page, &token));
    };
    let input = UserInput {
        name: Patch::Set(f.name.trim().to_string()),
        email: Patch::Set(email),
        role: Some(Role::Admin),
        verified: Some(true),
        password: Some(f.password.clone()),
        locale: Patch::Set(r.locale),
        ..Default::default()
    };
    let user = crate::app::users::first_admin(&state, &input, r.locale).await?;
    let cookie = session::start(&state, &headers, user.id).await?;
    let mut resp = Redirect::to("/agent").into_response();
    resp.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(resp)
}

/// A view in the sidebar, with its live count.
#[derive(serde::Serialize)]
pub(super) struct SideView {
    pub id: i64,
    pub title: String,
    pub count: i64,
}

/// The sidebar: the views this agent sees, each with its live count.
pub(super) async fn sidebar(state: &State, s: &Session) -> Result<Vec<SideView>> {
    let mut conn = state.db.read().await?;
    let groups = frontdesk_store::groups::group_ids_of(&mut conn, &[s.actor.id()]).await?;
    let defs = frontdesk_store::custom_fields::defs(&mut conn, Record::Ticket).await?;
    let mut out = Vec::new();
    for v in views::list(&mut conn, true).await? {
        if !crate::app::views::visible(&v, s.actor.id(), s.actor.is_admin(), &groups) {
            continue;
        }
        // A view that cannot be read is left out of the sidebar (its listing says why), so it
        // cannot break every page.
        let conditions = match crate::app::views::conditions_of(&v) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(view = v.id, error = %e, "a view is left out of the sidebar");
                continue;
            }
        };
        let f = crate::app::views::compile(&conditions, state.now(), s.actor.id(), &defs)?;
        let count = state.counts.count(&mut conn, &f).await?;
        out.push(SideView { id: v.id, title: v.title, count });
    }
    Ok(out)
}

pub async fn agent_home(AxState(state): AxState<State>, headers: HeaderMap) -> Result<Response> {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let views = sidebar(&state, &s).await?;
    if let Some(first) = views.first() {
        return Ok(Redirect::to(&format!("/agent/views/{}", first.id)).into_response());
    }
    let r = reader(&state, &headers, Some(&s.actor.user)).await?;
    let me = me(&state, &s).await?;
    Ok(render(StatusCode::OK, "agent.html", r.locale, context! { me, csrf => s.csrf, views }))
}

/// The signed-in user as the page header shows them.
pub(super) async fn me(state: &State, s: &Session) -> Result<minijinja::Value> {
    // Only the header needs this, so it is looked up when a page is drawn, not on every request.
    let campaigns = s.actor.is_staff() && {
        let mut conn = state.db.read().await?;
        crate::app::campaigns::may_run(&mut conn, &s.actor).await.is_ok()
    };
    Ok(context! {
        id => s.actor.id(), name => s.actor.user.name.clone(), admin => s.actor.is_admin(), staff => s.actor.is_staff(),
        campaigns,
    })
}
