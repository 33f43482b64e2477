//! The `frontdesk` binary as an operator uses it: admin and token commands, `serve` logging
//! its URL, and a graceful stop on SIGTERM.

use std::process::Command;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::TestDb;

pub fn frontdesk(db: &TestDb) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_frontdesk"));
    c.arg("--data-dir").arg(&db.dir);
    match &db.url {
        Some(u) => c.env("DATABASE_URL", u),
        None => c.env_remove("DATABASE_URL"),
    };
    c.env("FRONTDESK_LOG", "info");
    c
}

/// Starts `frontdesk serve` on a free port; the child and its base URL.
pub async fn serve(db: &TestDb, extra: &[&str]) -> (tokio::process::Child, String) {
    let mut child = tokio::process::Command::from(frontdesk(db));
    child.args(["serve", "--bind", "127.0.0.1:0"]).args(extra).stderr(std::process::Stdio::piped()).kill_on_drop(true);
    let mut child = child.spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let base = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(i) = line.find("listening on ") {
                return line[i + "listening on ".len()..].trim().to_string();
            }
        }
        panic!("serve exited without logging its URL");
    })
    .await
    .unwrap();
    // Keep draining its log so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, base)
}

/// What an operator does first, through the binary: migrate, make the admin
/// `ops@example.com`, and an API token for them (returned).
pub fn first_admin_token(db: &TestDb) -> String {
    assert!(frontdesk(db).args(["migrate"]).status().unwrap().success());
    let out = frontdesk(db)
        .args(["admin", "create", "--email", "ops@example.com", "--name", "Ops", "--password", "long enough pw"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = frontdesk(db).args(["token", "create", "--email", "ops@example.com"]).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[tokio::test]
async fn two_server_processes_run_the_jobs_of_one_database_once() {
    let db = TestDb::new().await;
    let token = first_admin_token(&db);
    let flags = ["--webhook-allow-private", "--job-workers", "2"];
    let (_a, base_a) = serve(&db, &flags).await;
    let (_b, base_b) = serve(&db, &flags).await;
    let http = reqwest::Client::new();
    let post = |base: &str, path: &str, body: serde_json::Value| {
        http.post(format!("{base}{path}")).basic_auth("ops@example.com/token", Some(&token)).json(&body).send()
    };
    let (url, got) = crate::rules::receiver().await;
    let r = post(&base_a, "/api/v2/webhooks", serde_json::json!({"webhook": {"name": "CRM", "endpoint": url}}))
        .await
        .unwrap();
    let hook: serde_json::Value = r.json().await.unwrap();
    let hook = hook["webhook"]["id"].as_str().unwrap().to_string();
    let trigger = serde_json::json!({"trigger": {"title": "Tell the CRM",
        "all": [{"field": "update_type", "operator": "is", "value": "Create"}],
        "actions": [{"field": "notification_webhook", "value": [hook, "{\"ticket\": {{ticket.id}}}"]}]}});
    assert_eq!(post(&base_a, "/api/v2/triggers", trigger).await.unwrap().status(), 201);
    // Tickets through both processes; each process's workers take jobs from the one table.
    for i in 0..30 {
        let base = if i % 2 == 0 { &base_a } else { &base_b };
        let t = serde_json::json!({"ticket": {"subject": format!("proc {i}"), "comment": {"body": "b"}}});
        assert_eq!(post(base, "/api/v2/tickets", t).await.unwrap().status(), 201);
    }
    for _ in 0..300 {
        if got.lock().unwrap().len() >= 30 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got = got.lock().unwrap().clone();
    let mut bodies: Vec<String> = got.iter().map(|(_, b)| b.clone()).collect();
    assert_eq!(bodies.len(), 30, "none lost, none twice: {bodies:?}");
    bodies.sort();
    bodies.dedup();
    assert_eq!(bodies.len(), 30);
}

#[tokio::test]
async fn admin_token_serve_and_graceful_stop() {
    let db = TestDb::new().await;
    let out = frontdesk(&db).args(["migrate"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let out = frontdesk(&db)
        .args(["admin", "create", "--email", "Root@Example.com", "--name", "Root", "--password", "long enough pw"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let id: i64 = String::from_utf8(out.stdout).unwrap().trim().parse().unwrap();
    assert!(id > 0);
    let out = frontdesk(&db)
        .args(["admin", "create", "--email", "root@example.com", "--name", "Again", "--password", "long enough pw"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "a duplicate admin email is refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("DuplicateValue"));
    let out = frontdesk(&db)
        .args(["admin", "create", "--email", "x@example.com", "--name", "X", "--password", "short"])
        .output()
        .unwrap();
    assert!(!out.status.success());

    let out = frontdesk(&db).args(["token", "create", "--email", "root@example.com"]).output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "only the token on stdout");
    let token = stdout.trim().to_string();
    assert_eq!(token.len(), 40);

    let (mut child, base) = serve(&db, &[]).await;
    let http = reqwest::Client::new();
    assert_eq!(http.get(format!("{base}/healthz")).send().await.unwrap().status(), 200);
    let r = http
        .post(format!("{base}/api/v2/tickets"))
        .basic_auth("root@example.com/token", Some(&token))
        .json(&serde_json::json!({"ticket": {"subject": "from the CLI test", "comment": {"body": "hi"}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let doc: serde_json::Value =
        http.get(format!("{base}/api/v2/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["paths"]["/api/v2/tickets/{id}"]["put"].is_object(), "the OpenAPI document lists every route");
    assert!(doc["paths"]["/api/v2/tickets/{id}"]["get"].is_object());

    let pid = child.id().unwrap() as i32;
    Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "SIGTERM stops the server cleanly: {status:?}");
}
