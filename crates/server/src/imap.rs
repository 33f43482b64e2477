//! IMAP polling: each configured mailbox is its own task on its own connection, so a slow
//! server, a broken login or a huge message in one mailbox never holds another.
//!
//! A round logs in, selects the folder and takes in every message there (`UNSEEN` ones when
//! processed mail stays in place) through the same pipeline as the SMTP receiver, oldest
//! first; a message is moved to the processed folder (or flagged `\Seen`) only once the
//! pipeline has recorded it, so a crash in between takes it in again, and the pipeline's
//! one-ticket-per-Message-ID makes that harmless. A message over the size limit is recorded
//! with its reason and moved aside unread; one that cannot be fetched three times running is
//! recorded and moved aside too, so it cannot wedge the mailbox. Between rounds the task
//! waits in IDLE where the server offers it, else polls. A failed round is retried with
//! backoff (1 s doubling to 5 minutes).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};
use async_imap::{Client, Session};
use futures_util::TryStreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_rustls::rustls;

use crate::State;
use frontdesk_app::mailboxes::{MailboxConfig, Security};

/// How long one command (a fetch above all) may take before the connection is given up.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);
/// How long to wait in IDLE before checking again anyway (servers end IDLE after 30 min).
const IDLE_FOR: Duration = Duration::from_secs(10 * 60);
/// Failed fetches of one message before it is recorded and moved aside.
const STRIKES: u32 = 3;

/// Starts polling `mailbox` until `stop` turns true.
pub fn spawn(
    state: State,
    mailbox: MailboxConfig,
    poll_every: Duration,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut strikes = HashMap::new();
        let mut backoff = Duration::from_secs(1);
        loop {
            let mut logged_in = false;
            let round = tokio::select! {
                r = connect_and_poll(&state, &mailbox, poll_every, &mut strikes, &mut logged_in) => r,
                _ = stop.changed() => return,
            };
            if let Err(e) = round {
                let error = format!("{e:#}");
                tracing::warn!(mailbox = %mailbox.label(), error, "IMAP polling failed; retrying");
                state.mailboxes.note(&mailbox.label(), |st| st.last_error = Some(error.clone()));
            }
            // A round that got in and later lost its connection starts the backoff over.
            if logged_in {
                backoff = Duration::from_secs(1);
            }
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = stop.changed() => return,
            }
            backoff = (backoff * 2).min(Duration::from_secs(300));
        }
    })
}

async fn connect_and_poll(
    state: &State,
    m: &MailboxConfig,
    poll_every: Duration,
    strikes: &mut HashMap<u32, u32>,
    logged_in: &mut bool,
) -> anyhow::Result<()> {
    let addr = (m.host.as_str(), m.port);
    let tcp = tokio::time::timeout(Duration::from_secs(30), TcpStream::connect(addr))
        .await
        .map_err(|_| anyhow!("connecting to {}:{} timed out", m.host, m.port))?
        .with_context(|| format!("connecting to {}:{}", m.host, m.port))?;
    tcp.set_nodelay(true).ok();
    match m.security {
        Security::Plain => {
            let mut client = Client::new(tcp);
            greeting(&mut client).await?;
            poll(state, m, client, poll_every, strikes, logged_in).await
        }
        Security::Tls => {
            let tls = tls(state.config.imap_ca.as_deref(), &m.host, tcp).await?;
            let mut client = Client::new(tls);
            greeting(&mut client).await?;
            poll(state, m, client, poll_every, strikes, logged_in).await
        }
        Security::StartTls => {
            let mut client = Client::new(tcp);
            greeting(&mut client).await?;
            timed("STARTTLS", client.run_command_and_check_ok("STARTTLS", None)).await?;
            let tls = tls(state.config.imap_ca.as_deref(), &m.host, client.into_inner()).await?;
            // No greeting follows STARTTLS.
            poll(state, m, Client::new(tls), poll_every, strikes, logged_in).await
        }
    }
}

async fn greeting<T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send>(
    client: &mut Client<T>,
) -> anyhow::Result<()> {
    tokio::time::timeout(Duration::from_secs(30), client.read_response())
        .await
        .map_err(|_| anyhow!("no greeting from the IMAP server"))??
        .context("the IMAP server closed the connection before greeting")?;
    Ok(())
}

/// TLS to `host` over `tcp`, trusting the public roots and the certificates in `ca`.
async fn tls(
    ca: Option<&Path>,
    host: &str,
    tcp: TcpStream,
) -> anyhow::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};
    let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if let Some(ca) = ca {
        for cert in CertificateDer::pem_file_iter(ca).with_context(|| format!("reading {}", ca.display()))? {
            roots.add(cert.with_context(|| format!("reading {}", ca.display()))?)?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_string()).with_context(|| format!("{host:?} as a TLS name"))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    tokio::time::timeout(Duration::from_secs(30), connector.connect(name, tcp))
        .await
        .map_err(|_| anyhow!("TLS with {host} timed out"))?
        .with_context(|| format!("TLS with {host}"))
}

/// Logs in, then takes in what is there and waits for more, until the connection fails.
async fn poll<T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send>(
    state: &State,
    m: &MailboxConfig,
    client: Client<T>,
    poll_every: Duration,
    strikes: &mut HashMap<u32, u32>,
    logged_in: &mut bool,
) -> anyhow::Result<()> {
    let login = tokio::time::timeout(COMMAND_TIMEOUT, client.login(&m.user, &m.password))
        .await
        .map_err(|_| anyhow!("login as {} timed out", m.user))?;
    let mut s = login.map_err(|(e, _)| anyhow!("login as {}: {e}", m.user))?;
    *logged_in = true;
    let caps = timed("CAPABILITY", s.capabilities()).await?;
    let (idle, moves, uidplus) = (caps.has_str("IDLE"), caps.has_str("MOVE"), caps.has_str("UIDPLUS"));
    timed(&format!("SELECT {}", m.folder), s.select(&m.folder)).await?;
    let mut m = m.clone();
    if let Some(p) = m.processed.clone()
        && timed(&format!("CREATE {p}"), s.create(&p)).await.is_err()
    {
        // Refused because it is there already, or not at all: only a folder that can be
        // selected will do, else processed mail is flagged seen and stays where it is.
        let there = timed(&format!("EXAMINE {p}"), s.examine(&p)).await.is_ok();
        timed(&format!("SELECT {}", m.folder), s.select(&m.folder)).await?;
        if !there {
            tracing::warn!(mailbox = %m.label(), folder = %p, "the processed folder cannot be made: flagging mail seen instead");
            m.processed = None;
        }
    }
    tracing::info!(mailbox = %m.label(), idle, "IMAP mailbox polling");
    state.mailboxes.note(&m.label(), |st| st.last_error = None);
    loop {
        // Until a search finds nothing: mail that arrived meanwhile is not left for IDLE.
        while take_new(state, &m, &mut s, moves, uidplus, strikes).await? > 0 {}
        state.mailboxes.note(&m.label(), |st| st.checked_at = Some(state.now()));
        if idle {
            let mut handle = s.idle();
            timed("IDLE", handle.init()).await?;
            let (wait, interrupt) = handle.wait_with_timeout(IDLE_FOR);
            wait.await.context("waiting in IDLE")?;
            drop(interrupt);
            s = timed("DONE", handle.done()).await?;
        } else {
            tokio::time::sleep(poll_every).await;
            timed("NOOP", s.noop()).await?;
        }
    }
}

/// Runs one IMAP command under [`COMMAND_TIMEOUT`].
async fn timed<F: Future<Output = async_imap::error::Result<O>>, O>(what: &str, f: F) -> anyhow::Result<O> {
    tokio::time::timeout(COMMAND_TIMEOUT, f).await.map_err(|_| anyhow!("{what} timed out"))?.context(what.to_string())
}

/// Takes in every message waiting, oldest first.
async fn take_new<T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send>(
    state: &State,
    m: &MailboxConfig,
    s: &mut Session<T>,
    moves: bool,
    uidplus: bool,
    strikes: &mut HashMap<u32, u32>,
) -> anyhow::Result<usize> {
    let query = if m.processed.is_some() { "UNDELETED" } else { "UNSEEN UNDELETED" };
    let mut uids: Vec<u32> = timed("SEARCH", s.uid_search(query)).await?.into_iter().collect();
    uids.sort_unstable();
    let max = state.config.smtp_max_size;
    let mut taken = 0;
    for uid in uids {
        let set = uid.to_string();
        let sizes =
            timed("FETCH RFC822.SIZE", async { s.uid_fetch(&set, "RFC822.SIZE").await?.try_collect::<Vec<_>>().await })
                .await?;
        // Gone meanwhile (another client moved or expunged it): nothing to take.
        let Some(size) = sizes.iter().find(|f| f.uid == Some(uid)).map(|f| f.size.unwrap_or(0) as usize) else {
            continue;
        };
        let outcome = if size > max {
            crate::app::email::refuse_unread(state, size, max, "it is larger than the limit").await?
        } else {
            let fetched =
                timed("FETCH BODY", async { s.uid_fetch(&set, "BODY.PEEK[]").await?.try_collect::<Vec<_>>().await })
                    .await;
            match fetched {
                Ok(list) => {
                    strikes.remove(&uid);
                    let Some(raw) = list.iter().find(|f| f.uid == Some(uid)).and_then(|f| f.body()) else {
                        continue;
                    };
                    crate::app::email::take_in_or_keep(state, raw, &m.to, None)
                        .await
                        .map_err(|e| anyhow!("taking in message {uid}: {e}"))?
                }
                Err(e) => {
                    let n = strikes.entry(uid).or_insert(0);
                    *n += 1;
                    if *n < STRIKES {
                        return Err(e);
                    }
                    strikes.remove(&uid);
                    crate::app::email::refuse_unread(state, size, max, "it could not be fetched three times running")
                        .await?
                }
            }
        };
        tracing::info!(mailbox = %m.label(), uid, outcome = outcome.outcome, reason = %outcome.reason, "IMAP message taken in");
        processed(m, s, &set, moves, uidplus).await?;
        taken += 1;
        state.mailboxes.note(&m.label(), |st| st.taken_in += 1);
    }
    Ok(taken)
}

/// Moves a message that was taken in out of the way (or flags it `\Seen`).
async fn processed<T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send>(
    m: &MailboxConfig,
    s: &mut Session<T>,
    set: &str,
    moves: bool,
    uidplus: bool,
) -> anyhow::Result<()> {
    let Some(folder) = &m.processed else {
        timed("STORE \\Seen", async {
            s.uid_store(set, "+FLAGS.SILENT (\\Seen)").await?.try_collect::<Vec<_>>().await
        })
        .await?;
        return Ok(());
    };
    if moves {
        return timed("MOVE", s.uid_mv(set, folder)).await;
    }
    timed("COPY", s.uid_copy(set, folder)).await?;
    timed("STORE \\Deleted", async {
        s.uid_store(set, "+FLAGS.SILENT (\\Deleted)").await?.try_collect::<Vec<_>>().await
    })
    .await?;
    if uidplus {
        timed("UID EXPUNGE", async { s.uid_expunge(set).await?.try_collect::<Vec<_>>().await }).await?;
    } else {
        timed("EXPUNGE", async { s.expunge().await?.try_collect::<Vec<_>>().await }).await?;
    }
    Ok(())
}
