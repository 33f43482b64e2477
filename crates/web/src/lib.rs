//! The web UI: server-rendered pages on the API's port. Templates (minijinja, HTML-escaped),
//! the stylesheet and the translations are embedded in the binary; every page is sent with a
//! Content-Security-Policy that allows no inline script.
//!
//! Sign-in makes a session: a random secret in an HttpOnly, SameSite=Lax cookie (Secure behind
//! TLS), stored as its SHA-256 with a CSRF token that every form carries. A session ends after
//! 8 idle hours or 7 days, whichever comes first.

mod admin;
mod campaigns;
mod lists;
mod live;
mod pages;
mod people;
mod portal;
mod reset;
mod session;
mod ticket;

// The use cases and what they share, under the names the modules use.
pub(crate) use frontdesk_app::{self as app, State, auth, clock, error, i18n};

use std::sync::LazyLock;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};

use fluent_bundle::FluentValue;
use frontdesk_edge::Access::{self, Admin, Campaigns, Public, SignedIn, Staff};
use minijinja::value::{Kwargs, Value as JinjaValue};
use minijinja::{AutoEscape, Environment};

use frontdesk_domain::Locale;

pub use session::Session;

pub const TEMPLATES: [(&str, &str); 30] = [
    ("base.html", include_str!("../ui/templates/base.html")),
    ("login.html", include_str!("../ui/templates/login.html")),
    ("setup.html", include_str!("../ui/templates/setup.html")),
    ("agent.html", include_str!("../ui/templates/agent.html")),
    ("ticket.html", include_str!("../ui/templates/ticket.html")),
    ("error.html", include_str!("../ui/templates/error.html")),
    ("portal.html", include_str!("../ui/templates/portal.html")),
    ("request.html", include_str!("../ui/templates/request.html")),
    ("history.html", include_str!("../ui/templates/history.html")),
    ("search.html", include_str!("../ui/templates/search.html")),
    ("job.html", include_str!("../ui/templates/job.html")),
    ("tickets.html", include_str!("../ui/templates/tickets.html")),
    ("custom_fields.html", include_str!("../ui/templates/custom_fields.html")),
    ("ticket_list.html", include_str!("../ui/templates/ticket_list.html")),
    ("person.html", include_str!("../ui/templates/person.html")),
    ("organization.html", include_str!("../ui/templates/organization.html")),
    ("new_ticket.html", include_str!("../ui/templates/new_ticket.html")),
    ("admin.html", include_str!("../ui/templates/admin.html")),
    ("reset.html", include_str!("../ui/templates/reset.html")),
    ("campaigns.html", include_str!("../ui/templates/campaigns.html")),
    ("campaign_new.html", include_str!("../ui/templates/campaign_new.html")),
    ("campaign_preview.html", include_str!("../ui/templates/campaign_preview.html")),
    ("campaign.html", include_str!("../ui/templates/campaign.html")),
    ("signin.html", include_str!("../ui/templates/signin.html")),
    ("mail_link.html", include_str!("../ui/templates/mail_link.html")),
    ("mail_link.txt", include_str!("../ui/templates/mail_link.txt")),
    ("mail_ticket.html", include_str!("../ui/templates/mail_ticket.html")),
    ("mail_ticket.txt", include_str!("../ui/templates/mail_ticket.txt")),
    ("unsubscribe.html", include_str!("../ui/templates/unsubscribe.html")),
    ("verify.html", include_str!("../ui/templates/verify.html")),
];

const STYLESHEET: &str = include_str!("../ui/assets/app.css");
const SCRIPT: &str = include_str!("../ui/assets/app.js");

static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // The text part of a mail is not HTML: nothing in it is escaped.
    env.set_auto_escape_callback(|name| if name.ends_with(".txt") { AutoEscape::None } else { AutoEscape::Html });
    for (name, source) in TEMPLATES {
        env.add_template(name, source).expect("the embedded templates parse");
    }
    env
});

/// No inline script or style, nothing from elsewhere.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The UI's routes, merged into the API's router.
/// An id as the API and audit events hold it: a number, or a string of digits (webhook ids,
/// some event values).
pub(crate) fn id_of(v: &serde_json::Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

/// A page's query string, read leniently: a parameter with a value the page cannot use
/// (`page=abc`) is left out, as if absent, rather than failing the page.
pub struct PageQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Default> axum::extract::FromRequestParts<S> for PageQuery<T> {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        let raw = parts.uri.query().unwrap_or("");
        let mut pairs: Vec<(String, String)> = form_urlencoded::parse(raw.as_bytes()).into_owned().collect();
        loop {
            let encoded = form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).finish();
            let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded.as_bytes()));
            match serde_path_to_error::deserialize::<_, T>(de) {
                Ok(v) => return Ok(PageQuery(v)),
                Err(e) => {
                    let bad = e.path().to_string();
                    let before = pairs.len();
                    pairs.retain(|(k, _)| *k != bad);
                    if pairs.len() == before {
                        return Ok(PageQuery(T::default()));
                    }
                }
            }
        }
    }
}

/// A page's form, or, when the browser sent it incomplete or garbled, a page that says so in
/// the reader's language (instead of the framework's plain text).
pub struct PageForm<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send> axum::extract::FromRequest<State> for PageForm<T> {
    type Rejection = axum::response::Response;

    async fn from_request(req: axum::extract::Request, state: &State) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        let parsed = axum::Form::<T>::from_request(req, state).await.map(|axum::Form(v)| v).ok();
        match parsed {
            Some(v) => Ok(PageForm(v)),
            None => Err(pages::error_page(state, &headers, axum::http::StatusCode::BAD_REQUEST, "bad-form").await),
        }
    }
}

/// The "not found" page, in the reader's language, for a path no page answers.
pub async fn not_found(state: &State, headers: &axum::http::HeaderMap) -> axum::response::Response {
    pages::error_page(state, headers, axum::http::StatusCode::NOT_FOUND, "not-found").await
}

/// A page route: who may reach it (as the API's `http::policy` says it for the API), and its
/// handlers, which check it (a page answers an anonymous caller with the sign-in page and anyone
/// else below the entry with 403). The authorization matrix calls every page as every kind of
/// caller against this one table.
struct Page {
    methods: &'static str,
    path: &'static str,
    access: Access,
    handlers: MethodRouter<State>,
}

fn page(methods: &'static str, path: &'static str, access: Access, handlers: MethodRouter<State>) -> Page {
    Page { methods, path, access, handlers }
}

fn page_table() -> Vec<Page> {
    vec![
        page("GET", "/", Public, get(pages::home)),
        page("GET POST", "/login", Public, get(pages::login_form).post(pages::login)),
        page("POST", "/logout", Public, post(pages::logout)),
        // Only while no admin exists.
        page("GET POST", "/setup", Public, get(pages::setup_form).post(pages::setup)),
        page("GET", "/agent", Staff, get(pages::agent_home)),
        page("GET", "/agent/views/{id}", Staff, get(lists::view_page)),
        page("GET", "/agent/search", Staff, get(lists::search_page)),
        page("POST", "/agent/bulk", Staff, post(lists::bulk)),
        page("GET", "/agent/jobs/{id}", Staff, get(lists::job_page)),
        page("GET", "/agent/live", Staff, get(live::counts)),
        page("POST", "/agent/markdown", Staff, post(live::markdown)),
        page("GET POST", "/agent/tickets/new", Staff, get(people::new_ticket_form).post(people::create_ticket)),
        page("GET", "/agent/users/{id}", Staff, get(people::user_page)),
        page("GET", "/agent/organizations/{id}", Staff, get(people::organization_page)),
        page("GET POST", "/agent/tickets/{id}", Staff, get(ticket::page).post(ticket::submit)),
        page("GET", "/agent/tickets/{id}/history", Staff, get(ticket::history)),
        page("POST", "/agent/tickets/{id}/macro", Staff, post(ticket::apply_macro)),
        page("POST", "/agent/tickets/{id}/presence", Staff, post(live::beat)),
        page("POST", "/agent/tickets/{id}/leave", Staff, post(live::leave)),
        page("GET POST", "/agent/campaigns", Campaigns, get(campaigns::list).post(campaigns::send)),
        page("GET", "/agent/campaigns/new", Campaigns, get(campaigns::new)),
        page("POST", "/agent/campaigns/preview", Campaigns, post(campaigns::preview)),
        page("GET", "/agent/campaigns/{id}", Campaigns, get(campaigns::show)),
        page("POST", "/agent/campaigns/{id}/pause", Campaigns, post(campaigns::pause)),
        page("POST", "/agent/campaigns/{id}/resume", Campaigns, post(campaigns::resume)),
        page("GET", "/agent/campaigns/{id}/{file}", Campaigns, get(campaigns::download)),
        page("GET", "/admin", Admin, get(admin::home)),
        page("GET POST", "/admin/settings", Admin, get(admin::settings).post(admin::save_settings)),
        page("GET", "/admin/{slug}", Admin, get(admin::list)),
        page("GET POST", "/admin/{slug}/{id}", Admin, get(admin::edit).post(admin::save)),
        page("POST", "/admin/{slug}/{id}/delete", Admin, post(admin::remove)),
        page("POST", "/admin/users/{id}/identities", Admin, post(admin::add_identity)),
        page("POST", "/admin/users/{id}/password-link", Admin, post(admin::password_link)),
        // One-time links: the secret decides.
        page("GET POST", "/reset/{secret}", Public, get(reset::form).post(reset::set)),
        page("POST", "/login/link", Public, post(reset::request_link)),
        page("GET POST", "/signin/{secret}", Public, get(reset::sign_in_form).post(reset::sign_in)),
        page("GET POST", "/unsubscribe/{secret}", Public, get(reset::unsubscribe_form).post(reset::unsubscribe)),
        page("GET POST", "/verify/{secret}", Public, get(reset::verify_form).post(reset::verify)),
        // A customer's own requests (staff are sent to the workspace).
        page("GET", "/portal", SignedIn, get(portal::requests)),
        page("POST", "/portal/requests", SignedIn, post(portal::create)),
        page("GET POST", "/portal/requests/{id}", SignedIn, get(portal::request).post(portal::reply)),
        page("GET", "/assets/app.css", Public, get(|| asset(STYLESHEET, "text/css; charset=utf-8"))),
        page("GET", "/assets/app.js", Public, get(|| asset(SCRIPT, "text/javascript; charset=utf-8"))),
    ]
}

/// `(methods, route pattern, access)` of every page.
pub fn pages() -> Vec<(&'static str, &'static str, Access)> {
    page_table().into_iter().map(|p| (p.methods, p.path, p.access)).collect()
}

/// The pages' routes. `api` is the API's routes alone, which the admin pages call in-process
/// (handed in by the binary, so the pages do not depend on the API crate).
pub fn routes(api: Router<State>) -> Router<State> {
    let _ = admin::API.set(api);
    page_table().into_iter().fold(Router::new(), |r, p| r.route(p.path, p.handlers))
}

async fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    r.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}

/// Renders a template in a language, with `t(key, args…)` for its strings.
pub fn render_string(name: &str, locale: Locale, ctx: JinjaValue) -> Result<String, minijinja::Error> {
    let t = JinjaValue::from_function(move |key: &str, kwargs: Kwargs| -> Result<String, minijinja::Error> {
        let mut args: Vec<(String, FluentValue<'static>)> = Vec::new();
        for k in kwargs.args() {
            let v: JinjaValue = kwargs.get(k)?;
            let fv = match v.as_i64() {
                Some(n) => FluentValue::from(n),
                None => FluentValue::from(v.to_string()),
            };
            args.push((k.to_string(), fv));
        }
        let args: Vec<(&str, FluentValue<'_>)> = args.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        Ok(crate::i18n::tr(locale, key, &args))
    });
    let full = minijinja::context! { t => t, lang => locale.as_str(), ..ctx };
    ENV.get_template(name).and_then(|tpl| tpl.render(full))
}

/// Renders a page in a language; `ctx` is the page's own data.
pub fn render(status: StatusCode, name: &str, locale: Locale, ctx: JinjaValue) -> Response {
    match render_string(name, locale, ctx) {
        Ok(html) => html_response(status, html),
        Err(e) => {
            tracing::error!(error = %e, template = name, "a page failed to render");
            html_response(StatusCode::INTERNAL_SERVER_ERROR, "<!doctype html><title>Error</title><p>Error</p>".into())
        }
    }
}

fn html_response(status: StatusCode, html: String) -> Response {
    let mut r = (status, html).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The language of a page: the user's locale, else the browser's, else the account's.
pub fn locale_for(user_locale: Option<&str>, headers: &HeaderMap, account_locale: &str) -> Locale {
    user_locale
        .and_then(|l| Locale::parse(l).ok())
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(crate::i18n::from_accept_language)
        })
        .or_else(|| Locale::parse(account_locale).ok())
        .unwrap_or(Locale::EnUs)
}

/// A time in a time zone, as pages show it (`2026-11-25 14:03`), and as ISO 8601.
pub fn local_time(ts: i64, tz: &str) -> (String, String) {
    let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
    let t = jiff::Timestamp::from_second(ts).unwrap_or_default();
    (t.to_zoned(zone).strftime("%Y-%m-%d %H:%M").to_string(), crate::clock::iso(ts))
}
