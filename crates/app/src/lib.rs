//! Frontdesk's use cases: the only code that opens write transactions. Each one persists a
//! change, records its audit and enqueues its jobs in one transaction. Knows no HTTP: the API
//! and the pages call these functions, and render their `error::ApiError` themselves.

pub mod account;
pub mod addresses;
pub mod attachments;
pub mod auth;
pub mod batcher;
pub mod bulk;
pub mod campaigns;
pub mod clock;
pub mod counts;
pub mod custom_statuses;
pub mod dkim;
pub mod email;
pub mod error;
pub mod fields;
pub mod groups;
pub mod i18n;
pub mod input;
pub mod jobs;
pub mod links;
pub mod mailboxes;
pub mod organizations;
pub mod outbound;
pub mod query;
pub mod reports;
pub mod rulebook;
pub mod rules;
pub mod search_index;
pub mod seed;
pub mod sender_auth;
pub mod sessions;
pub mod state;
pub mod tickets;
pub mod users;
pub mod views;
pub mod webhooks;

use serde_json::{Value, json};

/// How a change reached us (`zendesk-api.md` §6.6).
#[derive(Debug, Clone)]
pub struct Via {
    pub channel: &'static str,
    pub source: Value,
}

impl Via {
    pub fn api() -> Self {
        Via { channel: "api", source: json!({"from": {}, "to": {}, "rel": null}) }
    }

    pub fn web() -> Self {
        Via { channel: "web", source: json!({"from": {}, "to": {}, "rel": null}) }
    }

    /// A proactive campaign's ticket.
    pub fn campaign() -> Self {
        Via { channel: "campaign", source: json!({"from": {}, "to": {}, "rel": "campaign"}) }
    }

    pub fn source_json(&self) -> String {
        self.source.to_string()
    }
}

use frontdesk_store::AnyConnection;

pub use state::{AppState, Config, State, UPLOADS_AT_ONCE};

use crate::error::{ApiError, Result};

/// Runs `f` in one write transaction: committed if it returns Ok, rolled back otherwise.
pub async fn in_tx<T>(state: &AppState, f: impl AsyncFnOnce(&mut AnyConnection) -> Result<T>) -> Result<T> {
    in_db(&state.db, f).await
}

/// [`in_tx`] on a database the command line opened, with no server around it.
pub async fn in_db<T>(db: &frontdesk_store::Db, f: impl AsyncFnOnce(&mut AnyConnection) -> Result<T>) -> Result<T> {
    let mut tx = db.begin().await?;
    let out = f(&mut tx).await?;
    tx.commit().await.map_err(|e| ApiError::Internal(format!("commit failed: {e}")))?;
    Ok(out)
}

/// Runs `f` under a savepoint of the caller's transaction: what it wrote stays when it returns
/// Ok and is undone when it returns Err, which is handed back (the outer `Result` is the
/// savepoint's own failure), so one item's refusal leaves the rest of the transaction usable.
pub async fn savepoint<T>(
    tx: &mut AnyConnection,
    f: impl AsyncFnOnce(&mut AnyConnection) -> Result<T>,
) -> Result<Result<T>> {
    use sqlx::Connection;
    let mut sp = Connection::begin(tx).await?;
    match f(&mut sp).await {
        Ok(v) => {
            sp.commit().await?;
            Ok(Ok(v))
        }
        Err(e) => {
            sp.rollback().await?;
            Ok(Err(e))
        }
    }
}

/// The work one render of a stored text may do (minijinja's fuel: about one unit an
/// instruction). Placeholders and a loop over a ticket's fields take a few hundred; three
/// nested `range(1000)` loops would take billions and are stopped here.
pub const RENDER_FUEL: u64 = 200_000;
/// The largest text one render may produce.
pub const RENDER_MAX_BYTES: usize = 1 << 20;

/// A writer that refuses to grow past [`RENDER_MAX_BYTES`], so an oversized render stops as
/// soon as it crosses the line rather than after filling memory.
struct Bounded(String);

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + buf.len() > RENDER_MAX_BYTES {
            return Err(std::io::Error::other("the rendered text is too long"));
        }
        self.0.push_str(std::str::from_utf8(buf).map_err(std::io::Error::other)?);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Renders `{{ … }}` placeholders in `text` with `ctx`: values HTML-escaped when `html`, undefined
/// ones as `undefined` says. A text that cannot be rendered is refused about `field` (the API's
/// words after `label`), with the kind of mistake and its line for the pages. Every render is
/// bounded in work ([`RENDER_FUEL`]) and output ([`RENDER_MAX_BYTES`]), so no stored text can
/// pin a core or fill memory, and shutdown never waits on one.
pub fn render_placeholders(
    text: &str,
    ctx: &serde_json::Value,
    html: bool,
    undefined: minijinja::UndefinedBehavior,
    field: &str,
    label: &str,
) -> Result<String> {
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(move |_| if html { minijinja::AutoEscape::Html } else { minijinja::AutoEscape::None });
    env.set_undefined_behavior(undefined);
    // A field with no value (a ticket without priority, say) reads as nothing, never "none".
    env.set_formatter(
        |out, state, value| {
            if value.is_none() { Ok(()) } else { minijinja::escape_formatter(out, state, value) }
        },
    );
    env.set_fuel(Some(RENDER_FUEL));
    let mut out = Bounded(String::new());
    let rendered = env.template_from_str(text).and_then(|t| t.render_captured_to(ctx, &mut out));
    rendered.map(|_| out.0).map_err(|e| {
        let (key, words) = match e.kind() {
            minijinja::ErrorKind::SyntaxError => ("error-placeholder-syntax", e.to_string()),
            minijinja::ErrorKind::UndefinedError => ("error-placeholder-undefined", e.to_string()),
            minijinja::ErrorKind::OutOfFuel => {
                ("error-placeholder-too-much-work", "the template does too much work (a loop too long?)".into())
            }
            minijinja::ErrorKind::WriteFailure => (
                "error-placeholder-too-long",
                format!("the rendered text would be longer than {} KiB", RENDER_MAX_BYTES / 1024),
            ),
            _ => ("error-placeholder", e.to_string()),
        };
        ApiError::invalid(field, format!("{label}: {words}")).msg(key, &[("line", &e.line().unwrap_or(1))])
    })
}

/// What a new helpdesk starts with, made with its first admin, in their language: the usual
/// queues and the default notification triggers.
pub async fn first_run_defaults(
    conn: &mut AnyConnection,
    admin: i64,
    locale: frontdesk_domain::Locale,
    now: i64,
) -> Result<()> {
    let titles = ["view-mine", "view-unassigned", "view-unsolved", "view-pending", "view-solved"]
        .map(|k| crate::i18n::tr(locale, k, &[]));
    views::create_defaults(conn, titles, admin, now).await?;
    rules::create_default_triggers(conn, locale, admin, now).await
}
