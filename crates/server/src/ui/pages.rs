//! The pages: sign-in, first run, and the agent workspace (views with live counts, a view's
//! tickets, a ticket's conversation).

use std::collections::HashMap;

use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State as AxState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use frontdesk_domain::filter::Record;
use frontdesk_domain::{EmailAddress, Locale, Role};
use frontdesk_store::{PageRequest, account, audits, users, views};

use super::session::{self, FORM_COOKIE, NoSession, Session};
use super::{local_time, locale_for, render};
use crate::State;
use crate::app::input::Patch;
use crate::app::users::UserInput;
use crate::auth::MIN_PASSWORD_LEN;
use crate::error::{ApiError, FieldError, Result};

/// Tickets on one page of a view.
const PAGE: i64 = 50;

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

/// A page that failed: the error in the reader's language, never a stack trace.
pub(super) async fn error_page(state: &State, headers: &HeaderMap, status: StatusCode, key: &str) -> Response {
    let locale = match reader(state, headers, None).await {
        Ok(r) => r.locale,
        Err(_) => Locale::EnUs,
    };
    let message = super::i18n::tr(locale, key, &[]);
    render(status, "error.html", locale, context! { message })
}

/// The signed-in user, or where to send the browser instead.
pub(super) async fn signed_in(state: &State, headers: &HeaderMap) -> std::result::Result<Session, Response> {
    match session::current(state, headers).await {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(NoSession::Expired)) => Err(Redirect::to("/login?expired=1").into_response()),
        Ok(Err(NoSession::Missing)) => Err(Redirect::to("/login").into_response()),
        Err(e) => Err(e.into_response()),
    }
}

/// The signed-in staff member, or where to send the browser instead (end users have the portal).
async fn staff(state: &State, headers: &HeaderMap) -> std::result::Result<Session, Response> {
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

/// The messages of a refused write, as one line next to the form.
pub(super) fn invalid_message(errors: &[FieldError]) -> String {
    errors.iter().map(|e| e.description.clone()).collect::<Vec<_>>().join(" ")
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

/// A form page before sign-in gets a CSRF token in a cookie of its own (double submit).
fn with_form_cookie(headers: &HeaderMap, mut page: Response, token: &str) -> Response {
    page.headers_mut().append(header::SET_COOKIE, session::set_cookie(headers, FORM_COOKIE, token, 3600));
    page
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    expired: Option<String>,
}

pub async fn login_form(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Result<Response> {
    if no_users(&state).await? {
        return Ok(Redirect::to("/setup").into_response());
    }
    let r = reader(&state, &headers, None).await?;
    let token = session::random_token();
    let flash = q.expired.map(|_| super::i18n::tr(r.locale, "session-expired", &[]));
    let page = render(StatusCode::OK, "login.html", r.locale, context! { csrf => token, flash, email => "" });
    Ok(with_form_cookie(&headers, page, &token))
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

pub async fn login(
    AxState(state): AxState<State>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response> {
    let r = reader(&state, &headers, None).await?;
    let again = |key: &str, status: StatusCode| {
        let token = session::random_token();
        let error = super::i18n::tr(r.locale, key, &[]);
        let page = render(status, "login.html", r.locale, context! { csrf => token, error, email => f.email.clone() });
        with_form_cookie(&headers, page, &token)
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
    let cookie = session::start(&state, &headers, user.id).await?;
    let home = if user.role == "end-user" { "/portal" } else { "/agent" };
    let mut resp = Redirect::to(home).into_response();
    resp.headers_mut().append(header::SET_COOKIE, cookie);
    resp.headers_mut().append(header::SET_COOKIE, session::set_cookie(&headers, FORM_COOKIE, "", 0));
    Ok(resp)
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

pub async fn logout(AxState(state): AxState<State>, headers: HeaderMap, Form(f): Form<CsrfForm>) -> Result<Response> {
    if let Ok(Ok(s)) = session::current(&state, &headers).await {
        if !session::csrf_ok(&s.csrf, f.csrf.as_deref()) {
            return Ok(error_page(&state, &headers, StatusCode::FORBIDDEN, "stale-form").await);
        }
        session::end(&state, &headers).await?;
    }
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().append(header::SET_COOKIE, session::set_cookie(&headers, session::COOKIE, "", 0));
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
    Ok(with_form_cookie(&headers, page, &token))
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
pub async fn setup(AxState(state): AxState<State>, headers: HeaderMap, Form(f): Form<SetupForm>) -> Result<Response> {
    if !no_users(&state).await? {
        return Ok(Redirect::to("/login").into_response());
    }
    let r = reader(&state, &headers, None).await?;
    let expected = session::cookie(&headers, FORM_COOKIE).unwrap_or_default();
    let mut errors: HashMap<&str, String> = HashMap::new();
    if !session::csrf_ok(&expected, f.csrf.as_deref()) {
        errors.insert("name", super::i18n::tr(r.locale, "stale-form", &[]));
    }
    if f.name.trim().is_empty() {
        errors.insert("name", super::i18n::tr(r.locale, "name-blank", &[]));
    }
    let email = EmailAddress::parse(&f.email);
    if email.is_err() {
        errors.insert("email", super::i18n::tr(r.locale, "email-invalid", &[]));
    }
    if f.password.chars().count() < MIN_PASSWORD_LEN {
        let min = fluent_bundle::FluentValue::from(MIN_PASSWORD_LEN as i64);
        errors.insert("password", super::i18n::tr(r.locale, "password-too-short", &[("min", min)]));
    }
    let (Ok(email), true) = (email, errors.is_empty()) else {
        let token = session::random_token();
        let form = HashMap::from([("name", f.name.clone()), ("email", f.email.clone())]);
        let page =
            render(StatusCode::UNPROCESSABLE_ENTITY, "setup.html", r.locale, context! { csrf => token, form, errors });
        return Ok(with_form_cookie(&headers, page, &token));
    };
    let now = state.now();
    let input = UserInput {
        name: Patch::Set(f.name.trim().to_string()),
        email: Patch::Set(email),
        role: Some(Role::Admin),
        verified: Some(true),
        password: Some(f.password.clone()),
        locale: Patch::Set(r.locale),
        ..Default::default()
    };
    let user = crate::app::in_tx(&state, async |tx| {
        account::ensure(tx, now).await?;
        // Checked again under the write lock: two first runs at once make one admin.
        if users::count(tx).await? > 0 {
            return Err(ApiError::Forbidden("Frontdesk already has users".into()));
        }
        crate::app::users::create(tx, &input, Role::Admin, now).await
    })
    .await?;
    let cookie = session::start(&state, &headers, user.id).await?;
    let mut resp = Redirect::to("/agent").into_response();
    resp.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(resp)
}

/// The sidebar: the views this agent sees, each with its live count.
async fn sidebar(state: &State, s: &Session) -> Result<Vec<minijinja::Value>> {
    let mut conn = state.db.read().await?;
    let groups = frontdesk_store::groups::group_ids_of(&mut conn, &[s.actor.id()]).await?;
    let defs = frontdesk_store::custom_fields::defs(&mut conn, Record::Ticket).await?;
    let mut out = Vec::new();
    for v in views::list(&mut conn, true).await? {
        if !crate::app::views::visible(&v, s.actor.id(), s.actor.is_admin(), &groups) {
            continue;
        }
        let f = crate::app::views::compile(&crate::app::views::conditions_of(&v), state.now(), s.actor.id(), &defs)?;
        let count = state.counts.count(&mut conn, &f).await?;
        out.push(context! { id => v.id, title => v.title, count });
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
        return Ok(Redirect::to(&format!("/agent/views/{}", first.get_attr("id").unwrap_or_default())).into_response());
    }
    let r = reader(&state, &headers, Some(&s.actor.user)).await?;
    let me = context! { name => s.actor.user.name.clone() };
    Ok(render(StatusCode::OK, "agent.html", r.locale, context! { me, csrf => s.csrf, views }))
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
}

/// A view's tickets, a page at a time, with no cap on how far the pages go.
pub async fn view_page(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response> {
    let (s, id) = match caller_and_id(&state, &headers, true, &id).await {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let views_list = sidebar(&state, &s).await?;
    let mut conn = state.db.read().await?;
    let groups = frontdesk_store::groups::group_ids_of(&mut conn, &[s.actor.id()]).await?;
    let view = views::get(&mut conn, id)
        .await?
        .filter(|v| crate::app::views::visible(v, s.actor.id(), s.actor.is_admin(), &groups));
    let Some(view) = view else {
        drop(conn);
        return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "not-found").await);
    };
    let defs = frontdesk_store::custom_fields::defs(&mut conn, Record::Ticket).await?;
    let f = crate::app::views::compile(&crate::app::views::conditions_of(&view), state.now(), s.actor.id(), &defs)?;
    let out = crate::app::views::Output::parse(&view.output);
    let page = q.page.unwrap_or(1).max(1);
    let (tickets, total) = state.counts.page(&mut conn, &f, out.order(), (page - 1) * PAGE, PAGE).await?;
    let ids: Vec<i64> = tickets.iter().map(|t| t.requester_id).collect();
    let names: HashMap<i64, String> =
        users::get_many(&mut conn, &ids).await?.into_iter().map(|u| (u.id, u.name)).collect();
    drop(conn);
    let r = reader(&state, &headers, Some(&s.actor.user)).await?;
    let rows: Vec<minijinja::Value> = tickets
        .iter()
        .map(|t| {
            let (updated, updated_iso) = local_time(t.updated_at, &r.tz);
            context! {
                id => t.id,
                subject => t.subject.clone().unwrap_or_default(),
                requester => names.get(&t.requester_id).cloned().unwrap_or_default(),
                status => t.status.clone(),
                updated, updated_iso,
            }
        })
        .collect();
    let pages = ((total + PAGE - 1) / PAGE).max(1);
    let me = context! { name => s.actor.user.name.clone() };
    let current = context! { id => view.id, title => view.title };
    Ok(render(
        StatusCode::OK,
        "agent.html",
        r.locale,
        context! { me, csrf => s.csrf, views => views_list, view => current, tickets => rows, total, page, pages },
    ))
}

#[derive(Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
    /// A macro to preview on the ticket.
    #[serde(rename = "macro")]
    macro_id: Option<i64>,
}

/// A ticket: its conversation (public replies and internal notes told apart), properties and
/// the composer.
pub async fn ticket_page(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response> {
    let (s, id) = match caller_and_id(&state, &headers, true, &id).await {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let flash = q.saved.is_some().then_some("saved");
    let preview = match q.macro_id {
        Some(m) => macro_preview(&state, &s, id, m).await?,
        None => None,
    };
    let page = TicketPage { status: StatusCode::OK, flash_key: flash, error: None, draft: Draft::default(), preview };
    ticket_view(&state, &headers, &s, id, page).await
}

/// What a macro would do to the ticket: run through the real update in a transaction that is
/// then rolled back.
async fn macro_preview(state: &State, s: &Session, id: i64, macro_id: i64) -> Result<Option<minijinja::Value>> {
    let now = state.now();
    let mut tx = state.db.begin().await?;
    let Some(m) = frontdesk_store::rules::get(&mut tx, "macro", macro_id).await? else { return Ok(None) };
    let (saved, comment) = crate::app::rules::apply_macro(&mut tx, &s.actor, id, macro_id, now, false).await?;
    drop(tx); // rolled back: a preview changes nothing
    let shown = saved.comment.filter(|_| comment.is_some());
    Ok(Some(context! {
        id => m.id,
        title => m.title,
        status => saved.ticket.status,
        priority => saved.ticket.priority,
        tags => saved.tags,
        comment => shown.as_ref().map(|c| c.html_body.clone()),
        public => shown.as_ref().is_some_and(|c| c.public == 1),
    }))
}

#[derive(Deserialize)]
pub struct MacroForm {
    #[serde(rename = "macro")]
    macro_id: i64,
    version: Option<i64>,
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

/// Applies a previewed macro for real, if the ticket has not changed since the preview.
pub async fn apply_macro(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<MacroForm>,
) -> Result<Response> {
    let (s, id) = match caller_and_id(&state, &headers, true, &id).await {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    if !session::csrf_ok(&s.csrf, f.csrf.as_deref()) {
        return ticket_view(
            &state,
            &headers,
            &s,
            id,
            refused(StatusCode::FORBIDDEN, Some(Problem::Key("stale-form")), Draft::default()),
        )
        .await;
    }
    let now = state.now();
    let actor = s.actor.clone();
    let shown = f.version;
    let applied = crate::app::in_tx(&state, async |tx| {
        crate::app::tickets::load(tx, &actor, id, true).await?;
        if shown != frontdesk_store::tickets::change_seq(tx, id).await? {
            return Err(ApiError::UpdateConflict);
        }
        crate::app::rules::apply_macro(tx, &actor, id, f.macro_id, now, true).await
    })
    .await;
    match applied {
        Ok(_) => Ok(Redirect::to(&format!("/agent/tickets/{id}?saved=1")).into_response()),
        Err(ApiError::UpdateConflict) => {
            ticket_view(
                &state,
                &headers,
                &s,
                id,
                refused(StatusCode::CONFLICT, Some(Problem::Key("conflict")), Draft::default()),
            )
            .await
        }
        Err(ApiError::NotFound) => Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "not-found").await),
        Err(e) => Err(e),
    }
}

fn refused(status: StatusCode, error: Option<Problem>, draft: Draft) -> TicketPage {
    TicketPage { status, flash_key: None, error, draft, preview: None }
}

/// How the ticket page is shown: its status, a flash, a refused submit's problem, the draft and
/// a macro preview.
struct TicketPage {
    status: StatusCode,
    flash_key: Option<&'static str>,
    error: Option<Problem>,
    draft: Draft,
    preview: Option<minijinja::Value>,
}

/// What the agent had written, shown again when a submit is refused.
#[derive(Default, serde::Serialize)]
struct Draft {
    body: String,
    internal: bool,
    assign: bool,
}

#[derive(Deserialize)]
pub struct ReplyForm {
    body: Option<String>,
    public: Option<String>,
    status: Option<String>,
    assign_to_me: Option<String>,
    /// The ticket's `change_seq` when the page was shown: any write since moves it.
    version: Option<i64>,
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

/// "Submit as <status>": the reply or note, the status and "Assign to me", saved as one update
/// (triggers included). A ticket changed since the page was shown is refused, never overwritten.
pub async fn submit_ticket(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<ReplyForm>,
) -> Result<Response> {
    let (s, id) = match caller_and_id(&state, &headers, true, &id).await {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let draft = Draft {
        body: f.body.clone().unwrap_or_default(),
        internal: f.public.as_deref() == Some("false"),
        assign: f.assign_to_me.is_some(),
    };
    if !session::csrf_ok(&s.csrf, f.csrf.as_deref()) {
        return ticket_view(
            &state,
            &headers,
            &s,
            id,
            refused(StatusCode::FORBIDDEN, Some(Problem::Key("stale-form")), draft),
        )
        .await;
    }
    let mut input = crate::app::tickets::TicketInput::default();
    if !draft.body.trim().is_empty() {
        input.comment = Some(crate::app::tickets::CommentInput {
            body: Some(draft.body.clone()),
            public: Some(!draft.internal),
            ..Default::default()
        });
    }
    if let Some(st) = f.status.as_deref().filter(|x| !x.is_empty()) {
        match frontdesk_domain::Status::parse(st) {
            Ok(st) => input.status = Patch::Set(st),
            Err(e) => {
                let code = StatusCode::UNPROCESSABLE_ENTITY;
                let page = refused(code, Some(Problem::Text(e.0)), draft);
                return ticket_view(&state, &headers, &s, id, page).await;
            }
        }
    }
    if draft.assign {
        input.assignee_id = Patch::Set(s.actor.id());
    }
    let now = state.now();
    let actor = s.actor.clone();
    let shown = f.version;
    let saved = crate::app::in_tx(&state, async |tx| {
        // Compared under the ticket's write lock, so no write can slip in between.
        crate::app::tickets::load(tx, &actor, id, true).await?;
        if shown != frontdesk_store::tickets::change_seq(tx, id).await? {
            return Err(ApiError::UpdateConflict);
        }
        crate::app::tickets::update(tx, &actor, id, input, &crate::app::Via::web(), now).await
    })
    .await;
    match saved {
        Ok(_) => Ok(Redirect::to(&format!("/agent/tickets/{id}?saved=1")).into_response()),
        Err(ApiError::UpdateConflict) => {
            ticket_view(&state, &headers, &s, id, refused(StatusCode::CONFLICT, Some(Problem::Key("conflict")), draft))
                .await
        }
        Err(ApiError::Invalid(errors)) => {
            let message = invalid_message(&errors);
            let code = StatusCode::UNPROCESSABLE_ENTITY;
            let page = refused(code, Some(Problem::Text(message)), draft);
            ticket_view(&state, &headers, &s, id, page).await
        }
        Err(ApiError::NotFound) => Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "not-found").await),
        Err(ApiError::Forbidden(_)) => Ok(error_page(&state, &headers, StatusCode::FORBIDDEN, "forbidden").await),
        Err(e) => Err(e),
    }
}

/// Why a submit was refused: a message of ours (translated) or one from the ticket's checks.
enum Problem {
    Key(&'static str),
    Text(String),
}

/// Renders the ticket page, with a refused submit's problem next to the composer.
async fn ticket_view(state: &State, headers: &HeaderMap, s: &Session, id: i64, page: TicketPage) -> Result<Response> {
    let TicketPage { status, flash_key, error, draft, preview } = page;
    let mut conn = state.db.read().await?;
    let t = match crate::app::tickets::load(&mut conn, &s.actor, id, false).await {
        Ok(t) => t,
        Err(ApiError::NotFound) | Err(ApiError::Forbidden(_)) => {
            drop(conn);
            return Ok(error_page(state, headers, StatusCode::NOT_FOUND, "not-found").await);
        }
        Err(e) => return Err(e),
    };
    let version = frontdesk_store::tickets::change_seq(&mut conn, id).await?;
    let macros: Vec<minijinja::Value> = frontdesk_store::rules::list(&mut conn, "macro", true)
        .await?
        .into_iter()
        .map(|m| context! { id => m.id, title => m.title })
        .collect();
    let comments =
        audits::list_comments(&mut conn, id, false, PageRequest::After { id: None, size: 1000 }).await?.items;
    let tags = frontdesk_store::tags::list(&mut conn, frontdesk_store::tags::Tagged::Ticket, id).await?;
    let mut people: Vec<i64> = comments.iter().map(|c| c.author_id).collect();
    people.extend([Some(t.requester_id), t.assignee_id].into_iter().flatten());
    people.sort_unstable();
    people.dedup();
    let names: HashMap<i64, String> =
        users::get_many(&mut conn, &people).await?.into_iter().map(|u| (u.id, u.name)).collect();
    let group = match t.group_id {
        Some(g) => frontdesk_store::groups::get(&mut conn, g).await?.map(|g| g.name),
        None => None,
    };
    let organization = match t.organization_id {
        Some(o) => frontdesk_store::organizations::get(&mut conn, o).await?.map(|o| o.name),
        None => None,
    };
    drop(conn);
    let r = reader(state, headers, Some(&s.actor.user)).await?;
    let tr = |key: &str| super::i18n::tr(r.locale, key, &[]);
    let flash = flash_key.map(tr);
    let error = error.map(|e| match e {
        Problem::Key(k) => tr(k),
        Problem::Text(t) => t,
    });
    let conversation: Vec<minijinja::Value> = comments
        .iter()
        .map(|c| {
            let (at, at_iso) = local_time(c.created_at, &r.tz);
            context! {
                author => names.get(&c.author_id).cloned().unwrap_or_default(),
                public => c.public == 1,
                // Sanitised when the comment was saved (ammonia): safe to show as HTML.
                html => c.html_body.clone(),
                at, at_iso,
            }
        })
        .collect();
    let (created, created_iso) = local_time(t.created_at, &r.tz);
    let ticket = context! {
        id => t.id,
        subject => t.subject.clone().unwrap_or_default(),
        status => t.status.clone(),
        priority => t.priority.clone(),
        requester => names.get(&t.requester_id).cloned().unwrap_or_default(),
        assignee => t.assignee_id.and_then(|a| names.get(&a).cloned()),
        group, organization, tags, created, created_iso,
        version,
        assignee_is_me => t.assignee_id == Some(s.actor.id()),
    };
    let me = context! { name => s.actor.user.name.clone() };
    let statuses = ["open", "pending", "hold", "solved"];
    Ok(render(
        status,
        "ticket.html",
        r.locale,
        context! { me, csrf => s.csrf.clone(), ticket, comments => conversation, statuses, draft, flash, error, macros, preview },
    ))
}
