//! Bulk endpoints run as background jobs that survive a restart.

use serde_json::{Value, json};

use crate::helpers::TestApp;
use frontdesk_server::clock::Clock;

#[tokio::test]
async fn create_many_runs_in_the_background_and_reports_each_item() {
    let app = TestApp::spawn().await;
    let mut tickets: Vec<Value> =
        (0..100).map(|i| json!({"subject": format!("bulk {i}"), "comment": {"body": "b"}})).collect();
    tickets[7] = json!({"subject": "bad", "comment": {"body": "b"}, "assignee_id": 999999});
    let r = app.post("/api/v2/tickets/create_many.json", json!({"tickets": tickets})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let js = &r.body["job_status"];
    assert!(js["id"].as_str().unwrap().starts_with("V3-"));
    assert!(js["url"].as_str().unwrap().starts_with(&app.base));
    let job = app.wait_job(js["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "completed");
    assert!(job["message"].as_str().unwrap().starts_with("Completed at "));
    let results = job["results"].as_array().unwrap();
    assert_eq!(results.len(), 100);
    assert_eq!(results[7]["index"], 7);
    assert_eq!(results[7]["error"], "RecordInvalid");
    assert!(results[8]["id"].as_i64().is_some());
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 99);

    // `?async=true` on a single create answers 202 with a job status.
    let r = app
        .post("/api/v2/tickets.json?async=true", json!({"ticket": {"subject": "later", "comment": {"body": "b"}}}))
        .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let job = app.wait_job(r.body["job_status"]["id"].as_str().unwrap()).await;
    let id = job["results"][0]["id"].as_i64().unwrap();
    assert_eq!(app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"]["subject"], "later");

    let too_many: Vec<Value> = (0..101).map(|_| json!({"subject": "x", "comment": {"body": "b"}})).collect();
    let r = app.post("/api/v2/tickets/create_many", json!({"tickets": too_many})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"], "TooManyValues");
    assert_eq!(r.body["max_count"], 100);
}

#[tokio::test]
async fn update_many_in_both_forms_and_destroy_many() {
    let app = TestApp::spawn().await;
    for i in 0..4 {
        app.ticket(json!({"subject": format!("t{i}"), "comment": {"body": "b"}})).await;
    }
    let r = app.put("/api/v2/tickets/update_many.json?ids=1,2", json!({"ticket": {"priority": "urgent"}})).await;
    let job = app.wait_job(r.body["job_status"]["id"].as_str().unwrap()).await;
    assert_eq!(job["results"][0], json!({"action": "update", "id": 1, "status": "Updated", "success": true}));
    let r = app
        .put(
            "/api/v2/tickets/update_many.json",
            json!({"tickets": [{"id": 3, "status": "pending"}, {"id": 4, "subject": "novo"}]}),
        )
        .await;
    app.wait_job(r.body["job_status"]["id"].as_str().unwrap()).await;
    assert_eq!(app.get("/api/v2/tickets/2").await.body["ticket"]["priority"], "urgent");
    assert_eq!(app.get("/api/v2/tickets/3").await.body["ticket"]["status"], "pending");
    assert_eq!(app.get("/api/v2/tickets/4").await.body["ticket"]["subject"], "novo");

    let r = app.delete("/api/v2/tickets/destroy_many.json?ids=1,2,777").await;
    let job = app.wait_job(r.body["job_status"]["id"].as_str().unwrap()).await;
    assert_eq!(job["results"][2]["success"], false);
    assert_eq!(app.get("/api/v2/tickets").await.body["count"], 2);
    let list = app.get("/api/v2/job_statuses").await;
    assert_eq!(list.body["job_statuses"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_queued_job_survives_a_restart() {
    // A server without workers accepts the job; it is still there after a restart, and the next
    // server (with workers) runs it exactly once.
    let db = crate::helpers::TestDb::new().await;
    let app = TestApp::spawn_with(db, |c| c.job_workers = 0).await;
    let tickets: Vec<Value> = (0..10).map(|i| json!({"subject": format!("t{i}"), "comment": {"body": "b"}})).collect();
    let r = app.post("/api/v2/tickets/create_many", json!({"tickets": tickets})).await;
    let id = r.body["job_status"]["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["job_status"]["status"], "queued");
    assert_eq!(r.body["job_status"]["progress"], Value::Null);
    let db = app.stop().await;
    let app = TestApp::spawn_with(db, |_| {}).await;
    let job = app.wait_job(&id).await;
    assert_eq!(job["status"], "completed");
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 10);
}

#[tokio::test]
async fn a_job_whose_worker_died_runs_again_once_its_lease_expires() {
    let db = crate::helpers::TestDb::new().await;
    let app = TestApp::spawn_with(db, |c| c.job_workers = 0).await;
    let r = app
        .post("/api/v2/tickets/create_many", json!({"tickets": [{"subject": "once", "comment": {"body": "b"}}]}))
        .await;
    let id = r.body["job_status"]["id"].as_str().unwrap().to_string();
    // A worker claims it and dies before finishing: the claim commits, the work never does.
    let now = app.clock.now_ms();
    let mut tx = app.state.db.begin().await.unwrap();
    let claimed = frontdesk_store::jobs::claim(&mut tx, "dead-worker", now, now + 60_000).await.unwrap();
    tx.commit().await.unwrap();
    assert!(claimed.is_some());
    assert!(
        !frontdesk_server::jobs::run_one(&app.state, "live").await.unwrap(),
        "leased job is not taken while the lease holds"
    );
    app.clock.advance_secs(61);
    assert!(frontdesk_server::jobs::run_one(&app.state, "live").await.unwrap());
    let job = app.wait_job(&id).await;
    assert_eq!(job["status"], "completed");
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 1);
    // The dead worker coming back cannot complete it a second time.
    let mut tx = app.state.db.begin().await.unwrap();
    let job_id = frontdesk_store::jobs::get_public(&mut tx, &id).await.unwrap().unwrap().id;
    assert!(!frontdesk_store::jobs::complete(&mut tx, job_id, "dead-worker", "x", None, 0).await.unwrap());
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_stopping_server_gives_a_long_job_back_between_chunks_and_the_next_one_finishes_it() {
    let db = crate::helpers::TestDb::new().await;
    let app = TestApp::spawn_with(db, |c| c.job_workers = 0).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(
            app.ticket(json!({"subject": format!("t{i}"), "comment": {"body": "b"}})).await["id"].as_i64().unwrap(),
        );
    }
    let admin = app.count("SELECT id FROM users WHERE role = 'admin' ORDER BY id LIMIT 1").await;
    let mut conn = app.state.db.read().await.unwrap();
    let user = frontdesk_store::users::get(&mut conn, admin).await.unwrap().unwrap();
    drop(conn);
    let actor = frontdesk_server::auth::Actor { user, role: frontdesk_domain::Role::Admin };
    let payload = json!({"ids": ids, "ticket": {"priority": "high"}});
    let job =
        frontdesk_server::jobs::enqueue_bulk(&app.state, &actor, frontdesk_domain::JobKind::BulkUpdate, payload, 3)
            .await
            .unwrap();
    // The server begins to stop: the job is claimed, then handed back before any chunk, its
    // attempt not counted.
    app.state.begin_stopping();
    assert!(frontdesk_server::jobs::run_one(&app.state, "stopping").await.unwrap());
    let back = format!("SELECT COUNT(*) FROM jobs WHERE id = {} AND state = 'queued' AND attempts = 0", job.id);
    assert_eq!(app.count(&back).await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets WHERE priority = 'high'").await, 0);
    // The next server takes it and finishes it.
    let db = app.stop().await;
    let app = TestApp::spawn_with(db, |_| {}).await;
    let done = app.wait_job(job.public_id.as_deref().unwrap()).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets WHERE priority = 'high'").await, 3);
}
