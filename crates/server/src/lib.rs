//! The Frontdesk server: use cases (`app`), the Zendesk-compatible HTTP API (`http`),
//! background jobs (`jobs`) and start-up (`App`). `main.rs` is the command line.

pub mod app;
pub mod auth;
pub mod clock;
pub mod counts;
pub mod error;
pub mod failure;
pub mod http;
pub mod i18n;
pub mod imap;
pub mod jobs;
pub mod mail_out;
pub mod sender_auth;
pub mod smtp;
pub mod ui;
pub mod webhooks;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use tokio::sync::{Notify, watch};

use clock::SharedClock;
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
    pub imap: Vec<imap::MailboxConfig>,
    /// How often a mailbox whose server offers no IDLE is checked.
    pub imap_poll_interval: std::time::Duration,
    /// PEM certificates to trust for IMAP servers, besides the public roots.
    pub imap_ca: Option<PathBuf>,
    /// The key outgoing mail is DKIM-signed with, if any.
    pub dkim: Option<mail_out::DkimKey>,
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
            smtp_max_size: app::email::MAX_MESSAGE,
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
        self.upload_limit.unwrap_or(self.body_limit).min(app::attachments::MAX_FILE)
    }
}

/// Shared state of a running server.
pub struct AppState {
    pub db: Db,
    pub clock: SharedClock,
    pub config: Config,
    pub throttle: auth::LoginThrottle,
    pub rate_limiter: auth::RateLimiter,
    /// Uploads per user per minute, apart from the API's rate limit.
    pub upload_limiter: auth::RateLimiter,
    /// Uploads being read at once: each holds up to the upload limit in memory, so a few at a
    /// time bound what a flood of them can take.
    pub uploads_reading: tokio::sync::Semaphore,
    pub password_cache: auth::PasswordCache,
    pub auth_cache: auth::AuthCache,
    /// Gathers concurrent ticket creates into shared transactions.
    pub ticket_writer: app::batcher::CreateBatcher,
    /// Woken when a job is enqueued, so local workers start at once.
    pub job_wakeup: Notify,
    /// Live counts of views and searches.
    pub counts: counts::Counts,
    /// What each IMAP mailbox's task last did.
    pub mailboxes: imap::Statuses,
    /// Checks who really sent inbound mail.
    pub sender_auth: sender_auth::Checker,
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

/// A server bound to its port, ready to run.
pub struct App {
    pub state: State,
    listener: tokio::net::TcpListener,
    smtp: Option<tokio::net::TcpListener>,
    smtp_tls: Option<tokio_rustls::TlsAcceptor>,
}

impl App {
    pub async fn build(mut config: Config, clock: SharedClock) -> anyhow::Result<App> {
        let db = config.open_db().await?;
        app::account::ensure(&db, clock.now()).await.map_err(|e| anyhow::anyhow!("creating the account: {e}"))?;
        let refolded = app::search_index::refold_if_older(&db)
            .await
            .map_err(|e| anyhow::anyhow!("rebuilding the search documents: {e}"))?;
        if refolded > 0 {
            tracing::info!(records = refolded, "search documents rebuilt for the current text folding");
        }
        let listener =
            tokio::net::TcpListener::bind(&config.bind).await.with_context(|| format!("binding {}", config.bind))?;
        if config.public_url.is_none() {
            let bound = listener.local_addr().context("the bound address")?;
            config.public_url = Some(if bound.ip().is_unspecified() {
                format!("http://localhost:{}", bound.port())
            } else {
                format!("http://{bound}")
            });
        }
        let smtp_tls = match (&config.smtp_tls_cert, &config.smtp_tls_key) {
            (Some(cert), Some(key)) => Some(smtp::acceptor(cert, key)?),
            (None, None) => None,
            _ => anyhow::bail!("STARTTLS needs both --smtp-tls-cert and --smtp-tls-key"),
        };
        let smtp = match &config.smtp_bind {
            Some(addr) => {
                Some(tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding SMTP on {addr}"))?)
            }
            None => None,
        };
        let sender_auth = sender_auth::Checker::new(config.dns_resolver)?;
        let state = Arc::new(AppState {
            db,
            clock,
            rate_limiter: auth::RateLimiter::new(config.rate_limit),
            upload_limiter: auth::RateLimiter::new(config.upload_rate.max(1)),
            uploads_reading: tokio::sync::Semaphore::new(UPLOADS_AT_ONCE),
            config,
            throttle: auth::LoginThrottle::default(),
            password_cache: auth::PasswordCache::default(),
            auth_cache: auth::AuthCache::default(),
            ticket_writer: app::batcher::CreateBatcher::default(),
            job_wakeup: Notify::new(),
            counts: Default::default(),
            mailboxes: Default::default(),
            sender_auth,
            stopping: std::sync::atomic::AtomicBool::new(false),
        });
        Ok(App { state, listener, smtp, smtp_tls })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("bound listener has an address")
    }

    /// Where the SMTP receiver listens, when it is on.
    pub fn smtp_addr(&self) -> Option<SocketAddr> {
        self.smtp.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests and the current jobs
    /// finish before returning.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut workers = jobs::spawn_workers(self.state.clone(), stop_rx.clone());
        workers.push(app::batcher::spawn(self.state.clone(), stop_rx.clone()));
        if self.state.config.automation_interval > 0 {
            let every = std::time::Duration::from_secs(self.state.config.automation_interval);
            workers.push(app::rules::spawn_scheduler(self.state.clone(), every, stop_rx.clone()));
        }
        if let Some(listener) = self.smtp {
            workers.push(smtp::spawn(self.state.clone(), listener, self.smtp_tls, stop_rx.clone()));
        }
        for mailbox in self.state.config.imap.clone() {
            let every = self.state.config.imap_poll_interval;
            workers.push(imap::spawn(self.state.clone(), mailbox, every, stop_rx.clone()));
        }
        workers.push(spawn_optimizer(self.state.clone(), stop_rx));
        let router = http::router(self.state.clone());
        let service = http::into_service(router, self.state.config.trusted_proxies.clone());
        // Long jobs hear of the stop at once, while the last requests are still being answered.
        let stopping = self.state.clone();
        let shutdown = async move {
            shutdown.await;
            stopping.begin_stopping();
        };
        axum::serve(self.listener, service).with_graceful_shutdown(shutdown).await.context("serving HTTP")?;
        let _ = stop_tx.send(true);
        for w in workers {
            let _ = w.await;
        }
        self.state.db.close().await;
        Ok(())
    }
}

/// Keeps the planner's statistics fresh: at start and every ten minutes, once the database
/// holds enough tickets for statistics to mean something. Statistics taken from a nearly empty
/// database mislead the planner later (it took the status index for `requester:… status<solved`
/// and answered in 94 ms instead of 2 at 100,000 tickets).
fn spawn_optimizer(state: State, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    const ENOUGH_TICKETS: i64 = 10_000;
    tokio::spawn(async move {
        loop {
            let big_enough = match state.db.read().await {
                Ok(mut conn) => frontdesk_store::tickets::max_id(&mut conn).await.unwrap_or(0) >= ENOUGH_TICKETS,
                Err(_) => false,
            };
            if big_enough && let Err(e) = state.db.optimize().await {
                tracing::warn!(error = %e, "refreshing planner statistics failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_secs(600)) => {}
                _ = stop.changed() => return,
            }
        }
    })
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
