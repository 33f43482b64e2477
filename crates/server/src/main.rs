//! The `frontdesk` command line.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

use frontdesk_domain::{EmailAddress, Role};
use frontdesk_server::app::input::Patch;
use frontdesk_server::app::users::UserInput;
use frontdesk_server::auth::MIN_PASSWORD_LEN;
use frontdesk_server::clock::{Clock, SystemClock};
use frontdesk_server::{App, Config, shutdown_signal};

/// mimalloc: measurably less time in the allocator than glibc's under many small requests.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "frontdesk", version, about = "A self-hosted helpdesk with a Zendesk-compatible API")]
struct Cli {
    /// Where the SQLite file and attachments live.
    #[arg(long, global = true, env = "FRONTDESK_DATA_DIR", default_value = "./frontdesk-data")]
    data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL, `sqlite://…` for another SQLite file; empty means the
    /// SQLite file in the data dir.
    #[arg(long, global = true, env = "DATABASE_URL")]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

// Parsed once at start: `serve`'s many options make its variant large, and that is fine.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Run the server (API and background jobs).
    Serve {
        #[arg(long, env = "FRONTDESK_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        /// API requests per user per minute.
        #[arg(long, env = "FRONTDESK_RATE_LIMIT", default_value_t = 700)]
        rate_limit: u32,
        /// Largest request body, in bytes.
        #[arg(long, env = "FRONTDESK_BODY_LIMIT", default_value_t = 10 * 1024 * 1024)]
        body_limit: usize,
        /// Largest uploaded file, in bytes (default: the body limit; at most 50 MiB).
        #[arg(long, env = "FRONTDESK_UPLOAD_LIMIT")]
        upload_limit: Option<usize>,
        /// Bytes one user (other than an admin) may upload in 24 hours.
        #[arg(long, env = "FRONTDESK_UPLOAD_QUOTA", default_value_t = 200 * 1024 * 1024)]
        upload_quota: u64,
        /// Uploads one user may make a minute.
        #[arg(long, env = "FRONTDESK_UPLOAD_RATE", default_value_t = 30)]
        upload_rate: u32,
        /// SQLite durability: NORMAL (a power cut may lose the last moments of commits) or FULL
        /// (every acknowledged commit is on disk).
        #[arg(long, env = "FRONTDESK_SQLITE_SYNCHRONOUS", default_value = "NORMAL")]
        sqlite_synchronous: String,
        /// Background job workers in this server (0 disables them).
        #[arg(long, env = "FRONTDESK_JOB_WORKERS", default_value_t = 2)]
        job_workers: usize,
        /// Seconds between automation passes (0 turns them off).
        #[arg(long, env = "FRONTDESK_AUTOMATION_INTERVAL", default_value_t = 60)]
        automation_interval: u64,
        /// Let webhooks call loopback and private network addresses.
        #[arg(long, env = "FRONTDESK_WEBHOOK_ALLOW_PRIVATE")]
        webhook_allow_private: bool,
        /// Seconds a job stays with the worker that took it before another may take it over
        /// (after a crash, a job goes on this long after it stopped).
        #[arg(long, env = "FRONTDESK_JOB_LEASE", default_value_t = 60)]
        job_lease: u64,
        /// Where the built-in SMTP receiver listens, such as 0.0.0.0:25 (off unless set).
        #[arg(long, env = "FRONTDESK_SMTP_BIND")]
        smtp_bind: Option<String>,
        /// The largest message the SMTP receiver takes, in bytes.
        #[arg(long, env = "FRONTDESK_SMTP_MAX_SIZE", default_value_t = 25 * 1024 * 1024)]
        smtp_max_size: usize,
        /// Where outbound mail goes: smtp://host:port (plain), smtp://user:password@host:587?tls=required
        /// (STARTTLS), smtps://user:password@host:465 (TLS from the start). Off: replies are
        /// recorded, not mailed.
        #[arg(long, env = "FRONTDESK_SMTP_RELAY")]
        smtp_relay: Option<String>,
        /// PEM certificates to trust for the relay, besides the public roots (a private CA).
        #[arg(long, env = "FRONTDESK_SMTP_RELAY_CA")]
        smtp_relay_ca: Option<PathBuf>,
        /// The PEM certificate chain the SMTP receiver offers STARTTLS with (with --smtp-tls-key).
        #[arg(long, env = "FRONTDESK_SMTP_TLS_CERT")]
        smtp_tls_cert: Option<PathBuf>,
        /// The PEM private key of --smtp-tls-cert.
        #[arg(long, env = "FRONTDESK_SMTP_TLS_KEY")]
        smtp_tls_key: Option<PathBuf>,
        /// The address people reach this server at, such as https://help.example.com, for
        /// the links in mail (default: the address it is bound to).
        #[arg(long, env = "FRONTDESK_PUBLIC_URL")]
        public_url: Option<String>,
        /// An IMAP mailbox to take mail in from (repeat for several; in the environment,
        /// separated by spaces): imap://USER:PASSWORD@HOST/INBOX (plain),
        /// imap://…?tls=required (STARTTLS), imaps://… (TLS from the start); add
        /// processed=FOLDER (default Processed; empty: flag as seen instead of moving) and
        /// to=ADDRESS (the support address, for mail that does not name it).
        #[arg(long, env = "FRONTDESK_IMAP", value_delimiter = ' ')]
        imap: Vec<String>,
        /// Seconds between checks of a mailbox whose server offers no IDLE.
        #[arg(long, env = "FRONTDESK_IMAP_POLL_INTERVAL", default_value_t = 60)]
        imap_poll_interval: u64,
        /// PEM certificates to trust for IMAP servers, besides the public roots (a private CA).
        #[arg(long, env = "FRONTDESK_IMAP_CA")]
        imap_ca: Option<PathBuf>,
        /// Sign outgoing mail with DKIM using this key: RSA as PKCS#1 PEM, Ed25519 as PKCS#8
        /// PEM (the public half goes in DNS at SELECTOR._domainkey.DOMAIN).
        #[arg(long, env = "FRONTDESK_DKIM_KEY")]
        dkim_key: Option<PathBuf>,
        /// The DKIM selector (the DNS label of the published key).
        #[arg(long, env = "FRONTDESK_DKIM_SELECTOR", default_value = "frontdesk")]
        dkim_selector: String,
        /// The DKIM signing domain (default: the domain of each mail's From address).
        #[arg(long, env = "FRONTDESK_DKIM_DOMAIN")]
        dkim_domain: Option<String>,
        /// A reverse proxy whose X-Forwarded-For, -Proto and -Host headers are believed, as an
        /// address or CIDR range such as 10.0.0.0/8 (repeat for several; in the environment,
        /// separated by spaces). From anyone else those headers are ignored.
        #[arg(long, env = "FRONTDESK_TRUSTED_PROXY", value_delimiter = ' ')]
        trusted_proxy: Vec<String>,
        /// The DNS resolver (address:port) that inbound mail's sender checks (SPF, DKIM, DMARC)
        /// ask, such as 127.0.0.1:53 (default: the system's resolvers).
        #[arg(long, env = "FRONTDESK_DNS_RESOLVER")]
        dns_resolver: Option<std::net::SocketAddr>,
    },
    /// Hand one message on standard input to a running server (for a Postfix or Exim pipe).
    /// Exits 0 when the server took it (made a ticket, threaded it, or recorded why not), 75
    /// (try again later) when the server could not be reached or failed, 77 when refused.
    Mailgate {
        /// The server's address, such as https://help.example.com
        #[arg(long, env = "FRONTDESK_URL")]
        url: String,
        /// An admin's email, whose API token is given.
        #[arg(long, env = "FRONTDESK_MAILGATE_EMAIL")]
        email: String,
        #[arg(long, env = "FRONTDESK_MAILGATE_TOKEN")]
        token: String,
        /// The envelope recipient(s), which pick the support address.
        #[arg(long)]
        to: Vec<String>,
        /// The address of the client that handed the MTA this message (Postfix:
        /// ${client_address}), for the SPF check; with --helo and --mail-from.
        #[arg(long)]
        client_ip: Option<String>,
        /// The client's HELO name (Postfix: ${client_helo}).
        #[arg(long, default_value = "")]
        helo: String,
        /// The envelope sender (Postfix: ${sender}).
        #[arg(long, default_value = "")]
        mail_from: String,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage administrators.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Fill the database with generated agents, customers, fields and tickets (for trying
    /// Frontdesk out, and for benchmarks).
    Seed {
        /// How many tickets.
        #[arg(long, default_value_t = 1_000)]
        tickets: usize,
        /// Comments per ticket (the first is the description).
        #[arg(long, default_value_t = 3)]
        comments: usize,
        /// Customers (default: one for every 20 tickets, at least 100).
        #[arg(long)]
        customers: Option<usize>,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an admin; prints its id.
    Create {
        #[arg(long, env = "FRONTDESK_ADMIN_EMAIL")]
        email: String,
        #[arg(long, env = "FRONTDESK_ADMIN_NAME")]
        name: String,
        #[arg(long, env = "FRONTDESK_ADMIN_PASSWORD")]
        password: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a user; prints only the token.
    Create {
        #[arg(long, env = "FRONTDESK_TOKEN_EMAIL")]
        email: String,
        #[arg(long)]
        description: Option<String>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FRONTDESK_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(run(cli))
}

#[allow(clippy::too_many_lines, reason = "longer than a screen: on the list to split (ARCHITECTURE.md)")]
async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = Config::new(cli.data_dir);
    config.database_url = cli.database_url.filter(|s| !s.is_empty());
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match cli.command {
        Command::Serve {
            bind,
            rate_limit,
            body_limit,
            upload_limit,
            upload_quota,
            upload_rate,
            sqlite_synchronous,
            job_workers,
            automation_interval,
            webhook_allow_private,
            job_lease,
            smtp_bind,
            smtp_max_size,
            smtp_relay,
            smtp_relay_ca,
            smtp_tls_cert,
            smtp_tls_key,
            public_url,
            imap,
            imap_poll_interval,
            imap_ca,
            dkim_key,
            dkim_selector,
            dkim_domain,
            trusted_proxy,
            dns_resolver,
        } => {
            config.dns_resolver = dns_resolver;
            for p in trusted_proxy.iter().filter(|p| !p.is_empty()) {
                config.trusted_proxies.push(frontdesk_server::http::forwarded::parse_proxy(p)?);
            }
            if let Some(path) = dkim_key.filter(|p| !p.as_os_str().is_empty()) {
                let domain = dkim_domain.filter(|d| !d.is_empty());
                config.dkim = Some(frontdesk_server::mail_out::load_dkim(&path, &dkim_selector, domain)?);
            }
            for url in imap.iter().filter(|u| !u.is_empty()) {
                let mailbox = frontdesk_server::app::mailboxes::MailboxConfig::parse(url)
                    .with_context(|| format!("--imap {}", url.split('@').next_back().unwrap_or_default()))?;
                config.imap.push(mailbox);
            }
            config.imap_poll_interval = std::time::Duration::from_secs(imap_poll_interval.max(1));
            config.imap_ca = imap_ca;
            config.smtp_relay_ca = smtp_relay_ca;
            config.smtp_tls_cert = smtp_tls_cert;
            config.smtp_tls_key = smtp_tls_key;
            config.public_url = public_url.filter(|s| !s.is_empty());
            config.smtp_relay = smtp_relay.filter(|s| !s.is_empty());
            config.smtp_bind = smtp_bind.filter(|s| !s.is_empty());
            config.smtp_max_size = smtp_max_size.max(1024);
            config.job_lease_ms = (job_lease.max(1) * 1000) as i64;
            config.automation_interval = automation_interval;
            config.webhook_allow_private = webhook_allow_private;
            config.bind = bind;
            config.rate_limit = rate_limit.max(1);
            config.body_limit = body_limit;
            config.upload_limit = upload_limit;
            config.upload_quota = upload_quota;
            config.upload_rate = upload_rate;
            config.sqlite_synchronous = sqlite_synchronous;
            config.job_workers = job_workers;
            let app = App::build(config.clone(), clock).await?;
            let addr = app.local_addr();
            let mut conn = app.state.db.read().await?;
            let users = frontdesk_store::users::count(&mut conn).await?;
            drop(conn);
            tracing::info!("Frontdesk listening on http://{addr}");
            if let Some(smtp) = app.smtp_addr() {
                tracing::info!("Frontdesk SMTP receiver listening on {smtp}");
            }
            if users == 0 {
                let dd = config.data_dir.display();
                tracing::info!(
                    "The database has no users yet. Create the first admin with:\n  frontdesk --data-dir {dd} admin create --email you@example.com --name \"Your Name\" --password 'a long password'\nthen an API token with:\n  frontdesk --data-dir {dd} token create --email you@example.com"
                );
            }
            app.run(shutdown_signal()).await
        }
        Command::Mailgate { url, email, token, to, client_ip, helo, mail_from } => {
            let mut query: Vec<(&str, String)> = to.into_iter().map(|t| ("to", t)).collect();
            if let Some(ip) = client_ip.filter(|ip| !ip.is_empty()) {
                query.extend([("client_ip", ip), ("helo", helo), ("mail_from", mail_from)]);
            }
            std::process::exit(mailgate(&url, &email, &token, &query).await);
        }
        Command::Migrate => {
            let db = config.open_db().await?;
            let names = db.applied_migrations().await?;
            println!("migrations applied: {}", names.join(", "));
            db.close().await;
            Ok(())
        }
        Command::Admin { command: AdminCommand::Create { email, name, password } } => {
            let email = EmailAddress::parse(&email).map_err(|e| anyhow::anyhow!("{e}"))?;
            if password.chars().count() < MIN_PASSWORD_LEN {
                bail!("the password must have at least {MIN_PASSWORD_LEN} characters");
            }
            if name.trim().is_empty() {
                bail!("the name cannot be blank");
            }
            let db = config.open_db().await?;
            let now = clock.now();
            let input = UserInput {
                name: Patch::Set(name),
                email: Patch::Set(email.clone()),
                role: Some(Role::Admin),
                verified: Some(true),
                password: Some(password),
                ..Default::default()
            };
            let user = frontdesk_server::app::users::create_admin(&db, &input, now)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.body()))
                .with_context(|| format!("creating admin {}", email.as_str()))?;
            println!("{}", user.id);
            db.close().await;
            Ok(())
        }
        Command::Seed { tickets, comments, customers } => {
            let db = config.open_db().await?;
            let started = std::time::Instant::now();
            let seeded = frontdesk_server::app::seed::seed(&db, clock.now(), tickets, comments, customers, |done| {
                if done % 50_000 == 0 {
                    eprintln!("seeded {done} tickets in {:.0} s", started.elapsed().as_secs_f64());
                }
            })
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.body()))?;
            println!(
                "seeded {} tickets ({comments} comments each), {} customers, {} agents in {} groups in {:.0} s",
                seeded.tickets,
                seeded.customers,
                seeded.agents.len(),
                seeded.groups.len(),
                started.elapsed().as_secs_f64()
            );
            db.close().await;
            Ok(())
        }
        Command::Token { command: TokenCommand::Create { email, description } } => {
            let email = EmailAddress::parse(&email).map_err(|e| anyhow::anyhow!("{e}"))?;
            let db = config.open_db().await?;
            let token = frontdesk_server::app::account::token_for(&db, &email, description, clock.now())
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.words()))?;
            println!("{token}");
            db.close().await;
            Ok(())
        }
    }
}

/// Reads a message on stdin and posts it to the server; the exit code a mail server expects.
async fn mailgate(url: &str, email: &str, token: &str, query: &[(&str, String)]) -> i32 {
    use std::io::Read;
    const TEMPFAIL: i32 = 75;
    const NOPERM: i32 = 77;
    let mut raw = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut raw) {
        eprintln!("mailgate: reading the message: {e}");
        return TEMPFAIL;
    }
    let mut target = format!("{}/api/v2/inbound_email", url.trim_end_matches('/'));
    let query: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(query).finish();
    if !query.is_empty() {
        target = format!("{target}?{query}");
    }
    let sent = reqwest::Client::new()
        .post(target)
        .basic_auth(format!("{email}/token"), Some(token))
        .header("content-type", "message/rfc822")
        .body(raw)
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() => {
            println!("{}", r.text().await.unwrap_or_default());
            0
        }
        Ok(r) if r.status() == reqwest::StatusCode::UNAUTHORIZED || r.status() == reqwest::StatusCode::FORBIDDEN => {
            eprintln!("mailgate: refused ({}): {}", r.status(), r.text().await.unwrap_or_default());
            NOPERM
        }
        Ok(r) => {
            eprintln!("mailgate: the server answered {}: {}", r.status(), r.text().await.unwrap_or_default());
            TEMPFAIL
        }
        Err(e) => {
            eprintln!("mailgate: could not reach the server: {e}");
            TEMPFAIL
        }
    }
}
