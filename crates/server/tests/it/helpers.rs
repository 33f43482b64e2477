//! `TestApp`: a real server on a random port with a fresh database, an admin with an API
//! token, and typed helpers for requests.

use std::path::PathBuf;
use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use frontdesk_domain::Role;
use frontdesk_server::app::input::Patch;
use frontdesk_server::app::users::UserInput;
use frontdesk_server::clock::OffsetClock;
use frontdesk_server::{App, Config, State};

/// A fresh database: a SQLite file in a temp dir, or a throwaway PostgreSQL database.
pub struct TestDb {
    pub dir: PathBuf,
    pub url: Option<String>,
    pg_admin_url: Option<String>,
    pg_name: Option<String>,
    /// Whether dropping this value removes the database (false for a second server's view).
    owner: bool,
}

pub fn pg_base_url() -> Option<String> {
    std::env::var("DATABASE_URL").ok().filter(|u| u.starts_with("postgres"))
}

fn random_name(prefix: &str) -> String {
    use rand::Rng;
    format!("{prefix}_{}", hex::encode(rand::thread_rng().r#gen::<[u8; 6]>()))
}

impl TestDb {
    pub async fn new() -> TestDb {
        Self::with_backend(pg_base_url().is_some()).await
    }

    pub async fn with_backend(postgres: bool) -> TestDb {
        let dir = std::env::temp_dir().join(random_name("frontdesk_test"));
        std::fs::create_dir_all(&dir).unwrap();
        if !postgres {
            return TestDb { dir, url: None, pg_admin_url: None, pg_name: None, owner: true };
        }
        let admin = pg_base_url().expect("DATABASE_URL must point at PostgreSQL");
        let name = random_name("fd_test");
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect to PostgreSQL");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
        let (base, _) = admin.rsplit_once('/').unwrap();
        TestDb { dir, url: Some(format!("{base}/{name}")), pg_admin_url: Some(admin), pg_name: Some(name), owner: true }
    }

    /// The same database, for a second server; dropping it removes nothing.
    pub fn shared(&self) -> TestDb {
        TestDb { dir: self.dir.clone(), url: self.url.clone(), pg_admin_url: None, pg_name: None, owner: false }
    }

    pub fn config(&self) -> Config {
        let mut c = Config::new(&self.dir);
        c.database_url = self.url.clone();
        c.bind = "127.0.0.1:0".into();
        c
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if !self.owner {
            return;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        if let (Some(admin), Some(name)) = (self.pg_admin_url.clone(), self.pg_name.clone()) {
            // Drop runs outside async context: use a small runtime on its own thread.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    use sqlx::Connection;
                    if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c).await;
                    }
                });
            })
            .join();
        }
    }
}

pub struct TestApp {
    pub base: String,
    /// The DNS zone this server's sender checks read (a real DNS server of the test's own).
    pub dns: Zone,
    /// The SMTP receiver's address, when the test turned it on.
    pub smtp: Option<std::net::SocketAddr>,
    pub state: State,
    pub clock: Arc<OffsetClock>,
    pub admin_id: i64,
    pub admin_email: String,
    pub token: String,
    pub http: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    pub db: TestDb,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(TestDb::new().await, |_| {}).await
    }

    pub async fn spawn_with(db: TestDb, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = db.config();
        let (resolver, dns) = dns_server().await;
        config.dns_resolver = Some(resolver);
        tweak(&mut config);
        let clock = Arc::new(OffsetClock::default());
        let app = App::build(config, clock.clone()).await.expect("server starts");
        let addr = app.local_addr();
        let smtp = app.smtp_addr();
        let state = app.state.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(app.run(async move {
            let _ = rx.await;
        }));
        let admin_email = "admin@example.com".to_string();
        // A restarted (or second) server on the same database reuses the admin.
        let mut conn = state.db.read().await.unwrap();
        let existing = frontdesk_store::users::find_by_identity(&mut conn, "email", &admin_email).await.unwrap();
        drop(conn);
        let (admin_id, token) = match existing {
            Some(u) => (u.id, new_token(&state, u.id).await),
            None => make_user(&state, "Ana Admin", &admin_email, Role::Admin, None).await,
        };
        TestApp {
            smtp,
            dns,
            base: format!("http://{addr}"),
            state,
            clock,
            admin_id,
            admin_email,
            token,
            http: reqwest::Client::new(),
            stop: Some(tx),
            handle: Some(handle),
            db,
        }
    }

    /// Stops the server gracefully and hands back its database.
    pub async fn stop(self) -> TestDb {
        let TestApp { stop, handle, db, .. } = self;
        if let Some(tx) = stop {
            let _ = tx.send(());
        }
        if let Some(h) = handle {
            h.await.unwrap().unwrap();
        }
        db
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request as the admin (token auth).
    pub async fn req(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        self.req_as(&self.admin_email, &self.token, method, path, body).await
    }

    pub async fn req_as(&self, email: &str, token: &str, method: Method, path: &str, body: Option<Value>) -> Resp {
        let mut r = self.http.request(method, self.url(path)).basic_auth(format!("{email}/token"), Some(token));
        if let Some(b) = body {
            r = r.json(&b);
        }
        into_resp(r.send().await.expect("request")).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.req(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.req(Method::POST, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.req(Method::PUT, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> Resp {
        self.req(Method::DELETE, path, None).await
    }

    /// Creates a user of a role with an API token; returns `(id, token)`.
    pub async fn user(&self, name: &str, email: &str, role: Role) -> (i64, String) {
        make_user(&self.state, name, email, role, None).await
    }

    /// Creates a ticket as the admin and returns its JSON.
    pub async fn ticket(&self, body: Value) -> Value {
        let r = self.post("/api/v2/tickets.json", json!({"ticket": body})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["ticket"].clone()
    }

    /// Polls a job status until it is completed (or failed), returning it.
    pub async fn wait_job(&self, id: &str) -> Value {
        for _ in 0..200 {
            let r = self.get(&format!("/api/v2/job_statuses/{id}.json")).await;
            assert_eq!(r.status, 200, "{}", r.body);
            let status = r.body["job_status"]["status"].as_str().unwrap().to_string();
            if status == "completed" || status == "failed" {
                return r.body["job_status"].clone();
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("job {id} did not finish");
    }

    /// What a new helpdesk starts with (default views and triggers), made by its admin in `locale`.
    pub async fn first_run_defaults(&self, locale: frontdesk_domain::Locale) {
        let (admin, now) = (self.admin_id, self.state.now());
        frontdesk_server::app::in_tx(&self.state, async |tx| {
            frontdesk_server::app::first_run_defaults(tx, admin, locale, now).await
        })
        .await
        .unwrap();
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let mut conn = self.state.db.read().await.unwrap();
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut *conn).await.unwrap();
        n
    }
}

pub async fn into_resp(r: reqwest::Response) -> Resp {
    let status = r.status();
    let headers = r.headers().clone();
    let bytes = r.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    Resp { status, headers, body }
}

/// Creates a user directly through the use case (with an optional password) plus an API token.
pub async fn make_user(state: &State, name: &str, email: &str, role: Role, password: Option<&str>) -> (i64, String) {
    let now = state.now();
    let input = UserInput {
        name: Patch::Set(name.into()),
        email: Patch::Set(frontdesk_domain::EmailAddress::parse(email).unwrap()),
        role: Some(role),
        password: password.map(str::to_string),
        ..Default::default()
    };
    let mut tx = state.db.begin().await.unwrap();
    let u = frontdesk_server::app::users::create_in(&mut tx, &input, role, now).await.unwrap();
    let (token, hash) = frontdesk_server::auth::new_token();
    frontdesk_store::tokens::insert(&mut tx, u.id, &hash, None, now).await.unwrap();
    tx.commit().await.unwrap();
    (u.id, token)
}

async fn new_token(state: &State, user_id: i64) -> String {
    let (token, hash) = frontdesk_server::auth::new_token();
    let mut tx = state.db.begin().await.unwrap();
    frontdesk_store::tokens::insert(&mut tx, user_id, &hash, None, state.now()).await.unwrap();
    tx.commit().await.unwrap();
    token
}

pub fn parse_iso(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>().unwrap().as_second()
}

/// A real SMTP server for the test to inspect what was sent: each message's raw bytes. It
/// offers AUTH PLAIN; a message sent after a client authenticated starts with an
/// `X-Sink-Auth:` line holding the credentials it gave (base64, as sent).
pub async fn smtp_sink() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    smtp_sink_failing(0).await
}

/// [`smtp_sink`], refusing the first `fail` messages with a temporary error (451) as a
/// server that is struggling does; what it refused is not kept.
pub async fn smtp_sink_failing(fail: usize) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let refused = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("smtp://{}", listener.local_addr().unwrap());
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let store = got.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let store = store.clone();
            let refused = refused.clone();
            tokio::spawn(async move {
                let (r, mut w) = stream.into_split();
                let mut r = BufReader::new(r);
                w.write_all(b"220 sink\r\n").await.unwrap();
                let mut line = String::new();
                let mut auth = String::new();
                loop {
                    line.clear();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let verb = line.trim().to_ascii_uppercase();
                    if verb.starts_with("EHLO") {
                        w.write_all(b"250-sink\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n").await.unwrap();
                    } else if verb.starts_with("AUTH PLAIN") {
                        auth = line.trim()["AUTH PLAIN".len()..].trim().to_string();
                        w.write_all(b"235 2.7.0 ok\r\n").await.unwrap();
                    } else if verb == "DATA" {
                        w.write_all(b"354 go\r\n").await.unwrap();
                        let mut message =
                            if auth.is_empty() { String::new() } else { format!("X-Sink-Auth: {auth}\r\n") };
                        loop {
                            line.clear();
                            r.read_line(&mut line).await.unwrap();
                            if line == ".\r\n" {
                                break;
                            }
                            message.push_str(&line);
                        }
                        if refused.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < fail {
                            w.write_all(b"451 4.3.0 Try again later\r\n").await.unwrap();
                            continue;
                        }
                        store.lock().unwrap().push(message);
                        w.write_all(b"250 queued\r\n").await.unwrap();
                    } else if verb == "QUIT" {
                        w.write_all(b"221 bye\r\n").await.unwrap();
                        return;
                    } else {
                        w.write_all(b"250 ok\r\n").await.unwrap();
                    }
                }
            });
        }
    });
    (url, got)
}

/// The `n`th message the sink got, once it arrives (within five seconds).
pub async fn nth_mail(sent: &std::sync::Arc<std::sync::Mutex<Vec<String>>>, n: usize) -> String {
    for _ in 0..200 {
        if let Some(m) = sent.lock().unwrap().get(n) {
            return m.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("mail {n} did not arrive; got {:?}", sent.lock().unwrap());
}

/// A private CA and a certificate it signed for 127.0.0.1, written as PEM files under `dir`:
/// (CA file, certificate file, key file, the CA's PEM).
pub fn private_ca(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap().signed_by(&key, &ca, &ca_key).unwrap();
    std::fs::create_dir_all(dir).unwrap();
    let paths = (dir.join("ca.pem"), dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&paths.0, ca.pem()).unwrap();
    std::fs::write(&paths.1, cert.pem()).unwrap();
    std::fs::write(&paths.2, key.serialize_pem()).unwrap();
    (paths.0, paths.1, paths.2, ca.pem())
}

/// DNS TXT records a test publishes, by lower-case name without the final dot.
pub type Zone = std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Vec<String>>>>;

/// A real DNS server on a random UDP port of 127.0.0.1 that answers TXT questions from `zone`
/// (NXDOMAIN for a name it does not hold; no answer for other types of a name it holds), so the
/// sender checks (SPF, DKIM, DMARC) run against DNS without leaving the machine.
pub async fn dns_server() -> (std::net::SocketAddr, Zone) {
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let zone: Zone = Default::default();
    let records = zone.clone();
    tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        loop {
            let Ok((n, from)) = socket.recv_from(&mut buf).await else { return };
            if let Some(answer) = dns_answer(&buf[..n], &records) {
                let _ = socket.send_to(&answer, from).await;
            }
        }
    });
    (addr, zone)
}

fn dns_answer(q: &[u8], zone: &Zone) -> Option<Vec<u8>> {
    // The question: labels from byte 12, then its type and class.
    let mut at = 12;
    let mut labels = Vec::new();
    loop {
        let len = *q.get(at)? as usize;
        at += 1;
        if len == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(q.get(at..at + len)?).to_lowercase());
        at += len;
    }
    let qtype = u16::from_be_bytes([*q.get(at)?, *q.get(at + 1)?]);
    let question = q.get(12..at + 4)?;
    let name = labels.join(".");
    let held = zone.lock().unwrap().get(&name).cloned();
    let answers: Vec<String> = if qtype == 16 { held.clone().unwrap_or_default() } else { Vec::new() };
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(&q[..2]);
    let rd = q[2] & 0x01;
    out.push(0x84 | rd);
    out.push(if held.is_none() { 0x83 } else { 0x80 });
    out.extend_from_slice(&[0, 1]);
    out.extend_from_slice(&(answers.len() as u16).to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(question);
    for txt in answers {
        let mut rdata = Vec::new();
        for chunk in txt.as_bytes().chunks(255) {
            rdata.push(chunk.len() as u8);
            rdata.extend_from_slice(chunk);
        }
        out.extend_from_slice(&[0xC0, 0x0C, 0, 16, 0, 1, 0, 0, 0, 60]);
        out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        out.extend_from_slice(&rdata);
    }
    Some(out)
}

/// Makes the store refuse new tickets (as a full disk or a broken constraint would): every one,
/// or those with this subject.
pub async fn refuse_tickets(app: &TestApp, subject: Option<&str>) {
    let when = subject.map(|s| s.replace('\'', "''"));
    let sqlite = match &when {
        Some(s) => format!("CREATE TRIGGER refuse_tickets BEFORE INSERT ON tickets WHEN NEW.subject = '{s}' \
                            BEGIN SELECT RAISE(ABORT, 'disk quota exceeded'); END"),
        None => "CREATE TRIGGER refuse_tickets BEFORE INSERT ON tickets BEGIN SELECT RAISE(ABORT, 'disk quota exceeded'); END".into(),
    };
    let test = when.map(|s| format!("NEW.subject = '{s}'")).unwrap_or_else(|| "true".into());
    let postgres = [
        format!(
            "CREATE FUNCTION refuse_tickets() RETURNS trigger AS $$ BEGIN IF {test} THEN \
                 RAISE EXCEPTION 'disk quota exceeded'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
        ),
        "CREATE TRIGGER refuse_tickets BEFORE INSERT ON tickets FOR EACH ROW EXECUTE FUNCTION refuse_tickets()".into(),
    ];
    match app.state.db.dialect() {
        frontdesk_store::Dialect::Sqlite => run_sql(app, &[sqlite]).await,
        frontdesk_store::Dialect::Postgres => run_sql(app, &postgres).await,
    }
}

/// Undoes [`refuse_tickets`].
pub async fn allow_tickets(app: &TestApp) {
    match app.state.db.dialect() {
        frontdesk_store::Dialect::Sqlite => run_sql(app, &["DROP TRIGGER refuse_tickets".into()]).await,
        frontdesk_store::Dialect::Postgres => {
            run_sql(app, &["DROP TRIGGER refuse_tickets ON tickets".into(), "DROP FUNCTION refuse_tickets()".into()])
                .await
        }
    }
}

async fn run_sql(app: &TestApp, statements: &[String]) {
    let mut tx = app.state.db.begin().await.unwrap();
    for s in statements {
        sqlx::query(s).execute(&mut *tx).await.unwrap_or_else(|e| panic!("{s}: {e}"));
    }
    tx.commit().await.unwrap();
}
