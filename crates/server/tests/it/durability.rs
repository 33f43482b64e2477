//! Crash durability: the real server process killed with SIGKILL while clients write, over and
//! over; every write it acknowledged must be there afterwards, and the database must be sound.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use serde_json::json;

use crate::cli::{first_admin_token, serve};
use crate::helpers::{TestDb, pg_base_url};

#[tokio::test]
async fn acknowledged_writes_survive_kill_9() {
    let db = TestDb::new().await;
    let token = first_admin_token(&db);
    let cycles = if pg_base_url().is_some() { 5 } else { 20 };
    let acknowledged: Arc<Mutex<Vec<i64>>> = Arc::default();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    for cycle in 0..cycles {
        let (mut child, base) = serve(&db, &["--job-workers", "1"]).await;
        let mut writers = Vec::new();
        for w in 0..4 {
            let (http, base, token, acknowledged) = (http.clone(), base.clone(), token.clone(), acknowledged.clone());
            writers.push(tokio::spawn(async move {
                for i in 0..10_000 {
                    let body = json!({"ticket": {"subject": format!("cycle {cycle} writer {w} #{i}"),
                        "comment": {"body": "kept?"}, "tags": ["durability"],
                        "requester": {"name": "Dur", "email": format!("d{}@example.com", i % 7)}}});
                    let sent = http
                        .post(format!("{base}/api/v2/tickets"))
                        .basic_auth("ops@example.com/token", Some(&token))
                        .json(&body)
                        .send()
                        .await;
                    let Ok(r) = sent else { return };
                    if r.status() != 201 {
                        return;
                    }
                    // Acknowledged only once the whole answer has arrived.
                    let Ok(v) = r.json::<serde_json::Value>().await else { return };
                    acknowledged.lock().unwrap().push(v["ticket"]["id"].as_i64().unwrap());
                }
            }));
        }
        let pause = rand::thread_rng().gen_range(150..600);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        child.start_kill().unwrap();
        child.wait().await.unwrap();
        for w in writers {
            w.await.unwrap();
        }
    }
    // Every acknowledged ticket is there, once, and the database is sound.
    let config = db.config();
    let store = config.open_db().await.unwrap();
    let mut conn = store.read().await.unwrap();
    let ids: Vec<(i64,)> = sqlx::query_as("SELECT id FROM tickets").fetch_all(&mut *conn).await.unwrap();
    let present: HashSet<i64> = ids.into_iter().map(|(id,)| id).collect();
    let acknowledged = acknowledged.lock().unwrap().clone();
    let lost: Vec<i64> = acknowledged.iter().copied().filter(|id| !present.contains(id)).collect();
    let integrity = if pg_base_url().is_some() {
        "not applicable".to_string()
    } else {
        let (r,): (String,) = sqlx::query_as("PRAGMA integrity_check").fetch_one(&mut *conn).await.unwrap();
        r
    };
    println!(
        "crash durability: {cycles} kill -9 cycles, {} acknowledged writes, {} lost, integrity_check {integrity}",
        acknowledged.len(),
        lost.len()
    );
    assert!(acknowledged.len() >= cycles, "the writers got through: {}", acknowledged.len());
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    assert!(integrity == "ok" || integrity == "not applicable", "{integrity}");
    // The ticket ids stay gap-free and unique across the crashes.
    assert_eq!(present.len() as i64, present.iter().max().copied().unwrap_or(0));
}
