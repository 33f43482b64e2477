//! The IMAP mailboxes a server takes mail in from (`--imap URL`) and what each last did; the
//! polling itself is the binary's.

use anyhow::{Context, anyhow, bail};

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
    /// Changes what mailbox `label` last did.
    pub fn note(&self, label: &str, f: impl FnOnce(&mut Status)) {
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        f(all.entry(label.to_string()).or_default());
    }

    /// Each mailbox (without its password) and its status.
    pub fn list(&self) -> Vec<(String, Status)> {
        let all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        all.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
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
