//! Storage contract: both databases have the same schema and migrations, and several servers
//! on one PostgreSQL database hand out unique, sequential ticket ids.

use serde_json::json;

use crate::helpers::{TestApp, TestDb, pg_base_url};

fn migration_names(dir: &str) -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../store/migrations").join(dir);
    let mut names: Vec<String> =
        std::fs::read_dir(path).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn migrations_have_the_same_names_on_both_sides() {
    let sqlite = migration_names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, migration_names("postgres"));
}

#[tokio::test]
async fn both_databases_have_the_same_schema() {
    let Some(_) = pg_base_url() else {
        eprintln!("DATABASE_URL is not PostgreSQL: comparing needs both databases; skipped here, run by .ci/run");
        return;
    };
    let sqlite = TestApp::spawn_with(TestDb::with_backend(false).await, |_| {}).await;
    let pg = TestApp::spawn_with(TestDb::with_backend(true).await, |_| {}).await;
    let a = sqlite.state.db.schema().await.unwrap();
    let b = pg.state.db.schema().await.unwrap();
    assert!(a.len() > 100, "{} columns", a.len());
    assert_eq!(a, b);
}

#[tokio::test]
async fn sqlite_runs_in_wal_with_foreign_keys() {
    let app = TestApp::spawn_with(TestDb::with_backend(false).await, |_| {}).await;
    let mut conn = app.state.db.read().await.unwrap();
    let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode").fetch_one(&mut *conn).await.unwrap();
    assert_eq!(mode, "wal");
    let (fk,): (i64,) = sqlx::query_as("PRAGMA foreign_keys").fetch_one(&mut *conn).await.unwrap();
    assert_eq!(fk, 1);
    assert!(app.db.dir.join("frontdesk.db").exists());
    assert!(app.db.dir.join("attachments").is_dir());
}

/// Two servers on one database create tickets at once: ids stay unique and gap-free.
#[tokio::test]
async fn two_servers_share_one_database_safely() {
    let db = TestDb::new().await;
    // The second server points at the same database (PostgreSQL) or the same SQLite file.
    let second = db.shared();
    let a = TestApp::spawn_with(db, |_| {}).await;
    let b = TestApp::spawn_with(second, |_| {}).await;
    // Requests alternate between the two servers.
    let server = |i: i32| {
        let s = if i % 2 == 0 { &a } else { &b };
        (s.base.clone(), s.admin_email.clone(), s.token.clone())
    };
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (base, email, token) = server(i);
        tasks.push(tokio::spawn(async move {
            let r = reqwest::Client::new()
                .post(format!("{base}/api/v2/tickets"))
                .basic_auth(format!("{email}/token"), Some(token))
                .json(&json!({"ticket": {"subject": format!("t{i}"), "comment": {"body": "b"}}}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
            let v: serde_json::Value = r.json().await.unwrap();
            v["ticket"]["id"].as_i64().unwrap()
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids.sort();
    assert_eq!(ids, (1..=40).collect::<Vec<i64>>());
    // Concurrent updates to one ticket from both servers lose nothing.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (base, email, token) = server(i);
        tasks.push(tokio::spawn(async move {
            let r = reqwest::Client::new()
                .put(format!("{base}/api/v2/tickets/1"))
                .basic_auth(format!("{email}/token"), Some(token))
                .json(&json!({"ticket": {"additional_tags": [format!("tag{i}")]}}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(a.get("/api/v2/tickets/1/tags").await.body["tags"].as_array().unwrap().len(), 20);
    b.stop().await;
}
