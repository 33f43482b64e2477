//! What a running server shares: its configuration, the database, the clock, the caches and
//! limits, the batch writer, the job wake-up.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use tokio::sync::Notify;

use crate::clock::SharedClock;
use frontdesk_store::{Db, DbOptions};

/// Everything a server needs to know at start.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    /// `postgres://…` or `sqlite://…`; `None` means `frontdesk.db` in the data dir.
    pub database_url: Option<String>,
    pub bind: String,
    /// Requests per user per minute.
    pub rate_limit: u32,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Largest uploaded file, in bytes (`None`: the body limit).
    pub upload_limit: Option<usize>,
    /// Bytes one user (other than an admin) may upload in 24 hours.
    pub upload_quota: u64,
    /// Uploads one user may make a minute.
    pub upload_rate: u32,
    /// SQLite `synchronous` setting: NORMAL or FULL.
    pub sqlite_synchronous: String,
    /// How many background job workers this server runs (0 turns the runner off).
    pub job_workers: usize,
    /// Seconds between automation passes (0 turns the scheduler off).
    pub automation_interval: u64,
    /// Let webhooks call loopback and private addresses (off: only public ones).
    pub webhook_allow_private: bool,
    /// How long a claimed job belongs to its worker before another may take it over.
    pub job_lease_ms: i64,
    /// Where the built-in SMTP receiver listens (off when `None`).
    pub smtp_bind: Option<String>,
    /// The largest message the SMTP receiver takes, in bytes.
    pub smtp_max_size: usize,
    /// Where outbound mail goes (`smtp://host:port`); none: mail is recorded, not sent.
    pub smtp_relay: Option<String>,
    /// The PEM certificate chain and key the SMTP receiver offers STARTTLS with.
    pub smtp_tls_cert: Option<PathBuf>,
    pub smtp_tls_key: Option<PathBuf>,
    /// PEM certificates to trust, besides the public roots, for a relay with a private CA.
    pub smtp_relay_ca: Option<PathBuf>,
    /// The address people reach this server at (`https://help.example.com`), for links in
    /// mail; when unset, the address the server is bound to.
    pub public_url: Option<String>,
    /// IMAP mailboxes to take mail in from, each polled on its own.
    pub imap: Vec<crate::mailboxes::MailboxConfig>,
    /// How often a mailbox whose server offers no IDLE is checked.
    pub imap_poll_interval: std::time::Duration,
    /// PEM certificates to trust for IMAP servers, besides the public roots.
    pub imap_ca: Option<PathBuf>,
    /// The key outgoing mail is DKIM-signed with, if any.
    pub dkim: Option<crate::dkim::DkimKey>,
    /// Reverse proxies whose `X-Forwarded-*` headers are believed; from anyone else they are
    /// dropped before any handler sees them.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The DNS resolver the sender checks (SPF, DKIM, DMARC) ask; `None`: the system's.
    pub dns_resolver: Option<SocketAddr>,
}

impl Config {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            database_url: None,
            bind: "127.0.0.1:8080".into(),
            rate_limit: 700,
            body_limit: 10 * 1024 * 1024,
            upload_limit: None,
            upload_quota: 200 * 1024 * 1024,
            upload_rate: 30,
            sqlite_synchronous: "NORMAL".into(),
            job_workers: 2,
            automation_interval: 60,
            job_lease_ms: 60_000,
            smtp_bind: None,
            smtp_max_size: crate::email::MAX_MESSAGE,
            smtp_relay: None,
            public_url: None,
            smtp_tls_cert: None,
            smtp_tls_key: None,
            smtp_relay_ca: None,
            webhook_allow_private: false,
            imap: Vec::new(),
            imap_poll_interval: std::time::Duration::from_secs(60),
            imap_ca: None,
            dkim: None,
            trusted_proxies: Vec::new(),
            dns_resolver: None,
        }
    }

    /// The database URL to use, creating the data dir (and its attachments folder) for SQLite.
    pub fn resolve_database_url(&self) -> anyhow::Result<String> {
        match &self.database_url {
            Some(url) if url.starts_with("postgres:") || url.starts_with("postgresql:") => Ok(url.clone()),
            Some(url) if url.starts_with("sqlite:") => {
                let mut url = url.clone();
                if !url.contains("mode=") {
                    url.push_str(if url.contains('?') { "&mode=rwc" } else { "?mode=rwc" });
                }
                Ok(url)
            }
            Some(other) => anyhow::bail!("unsupported database URL {other:?}: use postgres://… or sqlite://…"),
            None => {
                std::fs::create_dir_all(self.data_dir.join("attachments"))
                    .with_context(|| format!("creating data dir {}", self.data_dir.display()))?;
                let path = self.data_dir.join("frontdesk.db");
                Ok(format!("sqlite://{}?mode=rwc", path.display()))
            }
        }
    }

    pub async fn open_db(&self) -> anyhow::Result<Db> {
        let url = self.resolve_database_url()?;
        let mut opts = DbOptions::new(url);
        opts.sqlite_synchronous = self.sqlite_synchronous.clone();
        let db = Db::connect(&opts).await.context("connecting to the database")?;
        db.migrate().await.context("running migrations")?;
        Ok(db)
    }
}

/// How many uploads one server reads at once.
pub const UPLOADS_AT_ONCE: usize = 4;

impl Config {
    /// The largest file one upload may carry.
    pub fn upload_limit(&self) -> usize {
        self.upload_limit.unwrap_or(self.body_limit).min(crate::attachments::MAX_FILE)
    }
}

/// Shared state of a running server.
pub struct AppState {
    pub db: Db,
    pub clock: SharedClock,
    pub config: Config,
    pub throttle: crate::auth::LoginThrottle,
    pub rate_limiter: crate::auth::RateLimiter,
    /// Uploads per user per minute, apart from the API's rate limit.
    pub upload_limiter: crate::auth::RateLimiter,
    /// Uploads being read at once: each holds up to the upload limit in memory, so a few at a
    /// time bound what a flood of them can take.
    pub uploads_reading: tokio::sync::Semaphore,
    pub password_cache: crate::auth::PasswordCache,
    pub auth_cache: crate::auth::AuthCache,
    /// Gathers concurrent ticket creates into shared transactions.
    pub ticket_writer: crate::batcher::CreateBatcher,
    /// Woken when a job is enqueued, so local workers start at once.
    pub job_wakeup: Notify,
    /// Live counts of views and searches.
    pub counts: crate::counts::Counts,
    /// What each IMAP mailbox's task last did.
    pub mailboxes: crate::mailboxes::Statuses,
    /// Checks who really sent inbound mail.
    pub sender_auth: crate::sender_auth::Checker,
    /// Set when the server begins to stop: a long job (a campaign, a bulk action) gives itself
    /// back between chunks instead of holding the shutdown until it ends.
    pub stopping: std::sync::atomic::AtomicBool,
}

pub type State = Arc<AppState>;

impl AppState {
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Whether the server is stopping (see [`AppState::stopping`]).
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Tells long jobs to give themselves back at their next chunk.
    pub fn begin_stopping(&self) {
        self.stopping.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// The server's public address, without a trailing slash.
    pub fn public_url(&self) -> &str {
        self.config.public_url.as_deref().unwrap_or("http://localhost").trim_end_matches('/')
    }
}
