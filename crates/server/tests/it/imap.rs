//! IMAP polling against a real Dovecot (Debian's `dovecot-imapd`, installed by `.ci/run`),
//! started for each test in a folder of its own on a free port. Mail is put into the
//! mailboxes with Dovecot's own `doveadm save`, and their state read back with `doveadm`;
//! the TLS test gives Dovecot a certificate from a private CA made for it.
//!
//! `FRONTDESK_TEST_DOVECOT` names the dovecot binary (`.ci/run` sets it, and then a Dovecot
//! that does not start fails the test); without it, `/usr/sbin/dovecot` is used if installed,
//! and on a machine without Dovecot these tests say so and pass without running.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::helpers::{TestApp, TestDb};

struct Dovecot {
    dir: PathBuf,
    port: u16,
    /// With TLS: the port that speaks TLS from the start (`port` then offers STARTTLS and
    /// refuses a login before it).
    tls_port: Option<u16>,
    child: Child,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Dovecot {
    /// A Dovecot with these `user:password` accounts, or `None` where none is installed.
    fn start(users: &[(&str, &str)]) -> Option<Dovecot> {
        Self::start_with(users, None)
    }

    /// [`Dovecot::start`], with TLS from this certificate and key (PEM files) when given.
    fn start_with(users: &[(&str, &str)], tls: Option<(&Path, &Path)>) -> Option<Dovecot> {
        let bin = match std::env::var("FRONTDESK_TEST_DOVECOT") {
            Ok(b) if !b.is_empty() => PathBuf::from(b),
            _ if Path::new("/usr/sbin/dovecot").exists() => PathBuf::from("/usr/sbin/dovecot"),
            _ => {
                eprintln!("skipped: no Dovecot here (apt-get install dovecot-imapd, or set FRONTDESK_TEST_DOVECOT)");
                return None;
            }
        };
        // A short path: Dovecot's sockets live under it (at most 108 bytes).
        let dir = PathBuf::from(format!("/tmp/fd-imap-{}-{}", std::process::id(), rand_suffix()));
        std::fs::create_dir_all(dir.join("run")).unwrap();
        std::fs::create_dir_all(dir.join("state")).unwrap();
        std::fs::create_dir_all(dir.join("mail")).unwrap();
        // Dovecot runs mail processes as the `mail` user, never as root.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o711)).unwrap();
        run(Command::new("chown").args(["mail:mail"]).arg(dir.join("mail")));
        let lines: Vec<String> = users.iter().map(|(u, p)| format!("{u}:{{PLAIN}}{p}")).collect();
        std::fs::write(dir.join("users"), lines.join("\n") + "\n").unwrap();
        let port = free_port();
        let tls_port = tls.map(|_| free_port());
        let d = dir.display();
        let ssl = match tls {
            Some((cert, key)) => format!(
                "ssl = required\nssl_cert = <{}\nssl_key = <{}\ndisable_plaintext_auth = yes\n",
                cert.display(),
                key.display()
            ),
            None => "ssl = no\ndisable_plaintext_auth = no\n".to_string(),
        };
        let conf = format!(
            "protocols = imap\nlisten = 127.0.0.1\nbase_dir = {d}/run\nstate_dir = {d}/state\n\
             instance_name = fd-imap-{port}\nlog_path = {d}/dovecot.log\ninfo_log_path = {d}/dovecot.log\n\
             {ssl}auth_mechanisms = plain login\nauth_failure_delay = 0\n\
             default_login_user = dovenull\ndefault_internal_user = dovecot\nfirst_valid_uid = 1\n\
             first_valid_gid = 1\nmail_uid = mail\nmail_gid = mail\nmail_location = maildir:{d}/mail/%u\n\
             mailbox_idle_check_interval = 1 secs\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/users\n}}\n\
             userdb {{\n  driver = static\n  args = home={d}/mail/%u\n}}\n\
             namespace inbox {{\n  inbox = yes\n  separator = /\n}}\n\
             service auth {{\n  user = root\n}}\n\
             service imap-login {{\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  \
             inet_listener imaps {{\n    address = 127.0.0.1\n    port = {}\n  }}\n}}\n",
            tls_port.unwrap_or(0)
        );
        std::fs::write(dir.join("dovecot.conf"), conf).unwrap();
        let child = Command::new(&bin)
            .arg("-F")
            .arg("-c")
            .arg(dir.join("dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
        // Held from here on, so that it is stopped (on drop) however the test ends.
        let dovecot = Dovecot { dir, port, tls_port, child };
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(dovecot);
            }
            #[allow(
                clippy::disallowed_methods,
                reason = "a test helper polling for Dovecot's port, outside any runtime"
            )]
            std::thread::sleep(Duration::from_millis(25));
        }
        let log = std::fs::read_to_string(dovecot.dir.join("dovecot.log")).unwrap_or_default();
        panic!("Dovecot did not listen on {port}: {log}");
    }

    fn doveadm(&self) -> Command {
        let mut c = Command::new("doveadm");
        c.arg("-c").arg(self.dir.join("dovecot.conf"));
        c
    }

    /// Puts a message into a user's folder as a mail server would.
    fn deliver(&self, user: &str, raw: &[u8]) {
        use std::io::Write;
        let mut child = self.doveadm().args(["save", "-u", user]).stdin(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(raw).unwrap();
        assert!(child.wait().unwrap().success(), "doveadm save for {user}");
    }

    /// How many messages a user's folder holds.
    fn count(&self, user: &str, folder: &str) -> usize {
        self.status(user, folder, "messages")
    }

    /// A number `doveadm mailbox status` tells of a user's folder (`messages`, `unseen`).
    fn status(&self, user: &str, folder: &str, field: &str) -> usize {
        let args = ["-f", "flow", "mailbox", "status", "-u", user, field, folder];
        let out = self.doveadm().args(args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let prefix = format!("{field}=");
        let n = text.split_whitespace().find_map(|w| w.strip_prefix(prefix.as_str())).and_then(|n| n.parse().ok());
        n.unwrap_or_else(|| panic!("doveadm {args:?}: {text} {}", String::from_utf8_lossy(&out.stderr)))
    }

    fn url(&self, user: &str, password: &str) -> String {
        format!("imap://{}:{password}@127.0.0.1:{}/INBOX", user.replace('@', "%40"), self.port)
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Its helper processes end on their own once the master is gone; what they may still
        // write there is removed with the directory or left in the temporary folder.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn rand_suffix() -> u32 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::process::id()) as u32
}

fn run(c: &mut Command) {
    assert!(c.status().unwrap().success(), "{c:?}");
}

fn message(from: &str, to: &str, subject: &str, id: &str, body: &str) -> Vec<u8> {
    format!("From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n\r\n{body}\r\n").into_bytes()
}

async fn wait_for(app: &TestApp, sql: &str, want: i64) {
    for _ in 0..400 {
        if app.count(sql).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{sql}: wanted {want}, have {}", app.count(sql).await);
}

#[tokio::test]
async fn mailboxes_are_polled_each_on_its_own_and_a_huge_message_or_a_bad_login_holds_nothing() {
    let users = [
        ("support@acme.test", "secret"),
        ("sales@acme.test", "s3cret"),
        ("locked@acme.test", "x"),
        ("seen@acme.test", "y"),
    ];
    let Some(dovecot) = Dovecot::start(&users) else {
        return;
    };
    let mailboxes = [
        dovecot.url("support@acme.test", "secret"),
        dovecot.url("sales@acme.test", "s3cret"),
        // Processed mail stays in the inbox, flagged seen.
        format!("{}?processed=", dovecot.url("seen@acme.test", "y")),
        // A mailbox whose password is wrong: its task keeps retrying, the others go on.
        dovecot.url("locked@acme.test", "wrong"),
    ];
    let app = TestApp::spawn_with(TestDb::new().await, |c| {
        c.imap = mailboxes.iter().map(|u| frontdesk_server::app::mailboxes::MailboxConfig::parse(u).unwrap()).collect();
        c.smtp_max_size = 64 * 1024;
    })
    .await;
    for a in ["support@acme.test", "sales@acme.test"] {
        let r = app.post("/api/v2/recipient_addresses", json!({"recipient_address": {"email": a}})).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }

    // A message larger than the limit comes first; it is recorded unread and moved aside,
    // and the message after it is taken in.
    let huge = message("joao@example.com", "support@acme.test", "Logs", "huge@example.com", &"x".repeat(200_000));
    dovecot.deliver("support@acme.test", &huge);
    dovecot.deliver(
        "support@acme.test",
        &message("joao@example.com", "support@acme.test", "Login problem", "login@example.com", "I cannot log in."),
    );
    dovecot.deliver(
        "sales@acme.test",
        &message("maria@example.com", "sales@acme.test", "Pricing", "pricing@example.com", "How much?"),
    );
    wait_for(&app, "SELECT COUNT(*) FROM tickets", 2).await;
    wait_for(&app, "SELECT COUNT(*) FROM inbound_messages", 3).await;
    let inbound = app.get("/api/v2/inbound_emails").await.body["inbound_emails"].clone();
    let refused = inbound.as_array().unwrap().iter().find(|m| m["outcome"] == "rejected").expect("the huge one");
    assert!(refused["reason"].as_str().unwrap().contains("larger than the limit"), "{refused}");
    let subjects = app.get("/api/v2/tickets").await.body["tickets"].clone();
    let mut subjects: Vec<&str> = subjects.as_array().unwrap().iter().map(|t| t["subject"].as_str().unwrap()).collect();
    subjects.sort();
    assert_eq!(subjects, ["Login problem", "Pricing"]);
    // Everything taken in has left the inbox for Processed (the huge one too: it is recorded).
    for _ in 0..100 {
        if dovecot.count("support@acme.test", "INBOX") == 0 && dovecot.count("sales@acme.test", "INBOX") == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(dovecot.count("support@acme.test", "INBOX"), 0);
    assert_eq!(dovecot.count("support@acme.test", "Processed"), 2);
    assert_eq!(dovecot.count("sales@acme.test", "Processed"), 1);

    // New mail while the task waits in IDLE arrives without a poll interval, and a reply
    // threads onto its ticket.
    let ticket = app.count("SELECT id FROM tickets WHERE subject = 'Login problem'").await;
    let reply = format!(
        "From: joao@example.com\r\nTo: support@acme.test\r\nSubject: Re: [#{ticket}] Login problem\r\n\
         Message-ID: <login-2@example.com>\r\nIn-Reply-To: <login@example.com>\r\n\r\nStill broken.\r\n"
    );
    dovecot.deliver("support@acme.test", reply.as_bytes());
    wait_for(&app, &format!("SELECT COUNT(*) FROM ticket_comments WHERE ticket_id = {ticket}"), 2).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 2);
    // The same message delivered again (a retry upstream) makes nothing new.
    dovecot.deliver(
        "sales@acme.test",
        &message("maria@example.com", "sales@acme.test", "Pricing", "pricing@example.com", "How much?"),
    );
    for _ in 0..200 {
        if dovecot.count("sales@acme.test", "Processed") == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(dovecot.count("sales@acme.test", "Processed"), 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_comments").await, 3);
    // Where processed mail stays, it is flagged seen, and taken in once.
    dovecot.deliver("seen@acme.test", &message("ana@example.com", "sales@acme.test", "Seen", "seen@example.com", "Oi"));
    wait_for(&app, "SELECT COUNT(*) FROM tickets", 3).await;
    for _ in 0..200 {
        if dovecot.status("seen@acme.test", "INBOX", "unseen") == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!((dovecot.count("seen@acme.test", "INBOX"), dovecot.status("seen@acme.test", "INBOX", "unseen")), (1, 0));
    dovecot.deliver("seen@acme.test", &message("ana@example.com", "sales@acme.test", "Two", "two@example.com", "Oi"));
    wait_for(&app, "SELECT COUNT(*) FROM tickets", 4).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets WHERE subject = 'Seen'").await, 1, "taken in once");

    // The locked mailbox's mail is still there, untouched, and admins see why.
    dovecot.deliver("locked@acme.test", &message("x@example.com", "support@acme.test", "Hi", "hi@example.com", "Hi"));
    let status = app.get("/api/v2/mailboxes").await.body["mailboxes"].clone();
    let locked = status.as_array().unwrap().iter().find(|m| m["mailbox"].as_str().unwrap().starts_with("locked@"));
    let locked = locked.expect("the locked mailbox is listed");
    assert!(locked["last_error"].as_str().unwrap().contains("login as locked@acme.test"), "{status}");
    assert!(!status.to_string().contains("wrong"), "no password shown: {status}");
    let support = status.as_array().unwrap().iter().find(|m| m["mailbox"].as_str().unwrap().starts_with("support@"));
    assert_eq!(support.unwrap()["taken_in"], 3, "{status}");
    assert_eq!(dovecot.count("locked@acme.test", "INBOX"), 1);
    app.stop().await;
}

#[tokio::test]
async fn mailboxes_over_starttls_and_tls_are_read_and_an_untrusted_certificate_is_not() {
    let certs = std::env::temp_dir().join(format!("fd-imap-tls-{}", rand_suffix()));
    let (ca, cert, key, _) = crate::helpers::private_ca(&certs);
    let users = [("starttls@acme.test", "secret"), ("tls@acme.test", "secret")];
    let Some(dovecot) = Dovecot::start_with(&users, Some((&cert, &key))) else {
        return;
    };
    let tls_port = dovecot.tls_port.unwrap();
    let mailboxes = [
        format!("{}?tls=required", dovecot.url("starttls@acme.test", "secret")),
        format!("imaps://tls%40acme.test:secret@127.0.0.1:{tls_port}/INBOX"),
    ];
    let app = TestApp::spawn_with(TestDb::new().await, |c| {
        c.imap = mailboxes.iter().map(|u| frontdesk_server::app::mailboxes::MailboxConfig::parse(u).unwrap()).collect();
        c.imap_ca = Some(ca.clone());
    })
    .await;
    app.post("/api/v2/recipient_addresses", json!({"recipient_address": {"email": "help@acme.test"}})).await;
    for (user, _) in users {
        let id = format!("{}@example.com", user.split('@').next().unwrap());
        dovecot.deliver(user, &message("maria@example.com", "help@acme.test", user, &id, "Olá"));
    }
    wait_for(&app, "SELECT COUNT(*) FROM tickets", 2).await;
    let subjects = app.get("/api/v2/tickets").await.body["tickets"].clone();
    let mut subjects: Vec<&str> = subjects.as_array().unwrap().iter().map(|t| t["subject"].as_str().unwrap()).collect();
    subjects.sort();
    assert_eq!(subjects, ["starttls@acme.test", "tls@acme.test"]);
    app.stop().await;

    // Without the private CA, the same TLS mailbox is not trusted: nothing is read.
    dovecot
        .deliver("tls@acme.test", &message("maria@example.com", "help@acme.test", "Again", "again@example.com", "Olá"));
    let url = format!("imaps://tls%40acme.test:secret@127.0.0.1:{tls_port}/INBOX");
    let app = TestApp::spawn_with(TestDb::new().await, |c| {
        c.imap = vec![frontdesk_server::app::mailboxes::MailboxConfig::parse(&url).unwrap()];
    })
    .await;
    let mut error = String::new();
    for _ in 0..200 {
        let status = app.get("/api/v2/mailboxes").await.body["mailboxes"].clone();
        if let Some(e) = status[0]["last_error"].as_str() {
            error = e.to_string();
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(error.contains("TLS with 127.0.0.1"), "{error}");
    assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    assert_eq!(dovecot.count("tls@acme.test", "INBOX"), 1);
    app.stop().await;
    std::fs::remove_dir_all(&certs).ok();
}

#[tokio::test]
async fn a_message_that_cannot_become_a_ticket_is_kept_and_does_not_block_the_mailbox() {
    let users = [("poison@acme.test", "secret")];
    let Some(dovecot) = Dovecot::start(&users) else {
        return;
    };
    let mailbox = dovecot.url("poison@acme.test", "secret");
    let app = TestApp::spawn_with(TestDb::new().await, |c| {
        c.imap = vec![frontdesk_server::app::mailboxes::MailboxConfig::parse(&mailbox).unwrap()];
    })
    .await;
    app.post("/api/v2/recipient_addresses", json!({"recipient_address": {"email": "poison@acme.test"}})).await;
    // The store refuses the first message's ticket every time; the ones after it still come in.
    crate::helpers::refuse_tickets(&app, Some("Poison")).await;
    dovecot.deliver("poison@acme.test", &message("a@example.com", "poison@acme.test", "Poison", "p@example.com", "1"));
    dovecot.deliver("poison@acme.test", &message("b@example.com", "poison@acme.test", "Fine", "f@example.com", "2"));
    wait_for(&app, "SELECT COUNT(*) FROM tickets WHERE subject = 'Fine'", 1).await;
    wait_for(&app, "SELECT COUNT(*) FROM inbound_messages WHERE outcome = 'failed'", 1).await;
    for _ in 0..200 {
        if dovecot.count("poison@acme.test", "INBOX") == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(dovecot.count("poison@acme.test", "Processed"), 2, "both left the inbox: the kept one is stored");
    // When the store takes it, the kept message becomes its ticket.
    crate::helpers::allow_tickets(&app).await;
    for _ in 0..200 {
        if app.count("SELECT COUNT(*) FROM tickets WHERE subject = 'Poison'").await == 1 {
            break;
        }
        app.clock.advance_secs(120);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets WHERE subject = 'Poison'").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages WHERE outcome = 'failed'").await, 0);
    app.stop().await;
}
