//! The Frontdesk server: the Zendesk-compatible HTTP API (`http`), the pages (`ui`), mail and
//! webhook delivery, SMTP/IMAP intake, the job runner's senders and start-up (`App`) around
//! the use cases (`frontdesk_app`, re-exported as `app`). `main.rs` is the command line.

pub use frontdesk_api as http;
pub use frontdesk_app as app;
pub use frontdesk_app::{AppState, Config, State, UPLOADS_AT_ONCE, auth, clock, counts, error, i18n, sender_auth};
pub use frontdesk_web as ui;
pub mod imap;
pub mod jobs;
pub mod mail_out;
pub mod smtp;
pub mod webhooks;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::sync::{Notify, watch};

use clock::SharedClock;

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
        let pages = ui::routes(http::bare());
        let router =
            http::router(
                self.state.clone(),
                pages,
                |state, headers| async move { ui::not_found(&state, &headers).await },
            );
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
