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

use anyhow::{Context, anyhow, bail};
use async_imap::{Client, Session};
use futures_util::TryStreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_rustls::rustls;

use crate::State;

/// How a connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `imap://`: no TLS (a mail server on the same host or network).
    Plain,
    /// `imap://…?tls=required`: STARTTLS, refused if the server does not offer it.
    StartTls,
    /// `imaps://`: TLS from the start.
    Tls,
}

/// One mailbox to poll, from `--imap URL`.
#[derive(Clone)]
pub struct MailboxConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub user: String,
    pub password: String,
    /// The folder mail arrives in (`INBOX`).
    pub folder: String,
    /// Where processed mail goes (`Processed`); `None` (`processed=` empty): it is flagged
    /// `\Seen` and left where it is.
    pub processed: Option<String>,
    /// The support address mail here was sent to, for mail that does not name it in To/Cc.
    pub to: Vec<String>,
}

impl std::fmt::Debug for MailboxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}

impl MailboxConfig {
    /// `imap://USER:PASSWORD@HOST[:143]/[FOLDER][?tls=required&processed=FOLDER&to=ADDRESS]`,
    /// or `imaps://…` (port 993); the user and password percent-encoded where needed.
    pub fn parse(s: &str) -> anyhow::Result<Self> {
        let url = url::Url::parse(s).map_err(|e| anyhow!("the IMAP mailbox URL is not a URL: {e}"))?;
        let mut security = match url.scheme() {
            "imap" => Security::Plain,
            "imaps" => Security::Tls,
            other => bail!("an IMAP mailbox URL starts with imap:// or imaps://, not {other}://"),
        };
        let host = url.host_str().filter(|h| !h.is_empty()).context("the IMAP mailbox URL has no host")?;
        let decode = |v: &str| percent_decode(v);
        let user = decode(url.username());
        if user.is_empty() {
            bail!("the IMAP mailbox URL has no user (imap://USER:PASSWORD@HOST/)");
        }
        let password = decode(url.password().unwrap_or_default());
        let folder = decode(url.path().trim_start_matches('/'));
        let mut m = MailboxConfig {
            host: host.trim_matches(['[', ']']).to_string(),
            port: url.port().unwrap_or(if security == Security::Tls { 993 } else { 143 }),
            security,
            user,
            password,
            folder: if folder.is_empty() { "INBOX".into() } else { folder },
            processed: Some("Processed".into()),
            to: Vec::new(),
        };
        for (k, v) in url.query_pairs() {
            match &*k {
                "tls" if v == "required" && security == Security::Plain => security = Security::StartTls,
                "tls" if v == "required" || v == "none" => {}
                "processed" => m.processed = Some(v.to_string()).filter(|v| !v.is_empty()),
                "to" => m.to.push(v.to_string()),
                other => bail!("the IMAP mailbox URL has an unknown setting {other:?} (tls, processed, to)"),
            }
        }
        m.security = security;
        Ok(m)
    }

    /// The mailbox without its password, for logs.
    pub fn label(&self) -> String {
        format!("{}@{}:{}/{}", self.user, self.host, self.port, self.folder)
    }
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

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

/// What each mailbox's task last did, for admins (`GET /api/v2/mailboxes`) and the logs.
#[derive(Debug, Default)]
pub struct Statuses(std::sync::Mutex<std::collections::BTreeMap<String, Status>>);

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Status {
    /// When a round last found nothing more to take in.
    pub checked_at: Option<i64>,
    /// Messages taken in since this server started.
    pub taken_in: u64,
    /// Why the last round failed, until a round logs in again.
    pub last_error: Option<String>,
}

impl Statuses {
    fn note(&self, label: &str, f: impl FnOnce(&mut Status)) {
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        f(all.entry(label.to_string()).or_default());
    }

    /// Each mailbox (without its password) and its status.
    pub fn list(&self) -> Vec<(String, Status)> {
        let all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        all.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailbox_urls_parse_with_their_defaults_and_bad_ones_say_why() {
        let m =
            MailboxConfig::parse("imap://help%40acme.test:s%3Acret@mail.acme.test/Support?to=help@acme.test").unwrap();
        assert_eq!((m.user.as_str(), m.password.as_str()), ("help@acme.test", "s:cret"));
        assert_eq!((m.host.as_str(), m.port, m.security), ("mail.acme.test", 143, Security::Plain));
        assert_eq!((m.folder.as_str(), m.processed.as_deref()), ("Support", Some("Processed")));
        assert_eq!(m.to, ["help@acme.test"]);
        assert!(!format!("{m:?}").contains("s:cret"));
        let m = MailboxConfig::parse("imaps://u:p@mail.acme.test?processed=").unwrap();
        assert_eq!((m.port, m.security, m.folder.as_str(), m.processed), (993, Security::Tls, "INBOX", None));
        let m = MailboxConfig::parse("imap://u:p@mail.acme.test:1143/?tls=required").unwrap();
        assert_eq!((m.port, m.security), (1143, Security::StartTls));
        for (bad, says) in [
            ("pop3://u:p@h/", "imap:// or imaps://"),
            ("imap://h/", "no user"),
            ("imap://u:p@h/?speed=fast", "unknown setting"),
            ("not a url", "not a URL"),
        ] {
            let e = MailboxConfig::parse(bad).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
