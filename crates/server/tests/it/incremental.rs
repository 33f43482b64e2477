//! Incremental exports: no lag, commit order under concurrent writes, whole seconds per time
//! page, deleted tickets, users, organizations and ticket events.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::helpers::TestApp;

/// Follows a cursor export to its end; returns every record seen, in order, and the last cursor.
async fn follow(app: &TestApp, mut url: String, key: &str) -> (Vec<Value>, String) {
    let mut seen = Vec::new();
    loop {
        let r = app.get(&url).await;
        assert_eq!(r.status, 200, "{url}: {}", r.body);
        seen.extend(r.body[key].as_array().unwrap().iter().cloned());
        let after = r.body["after_cursor"].as_str().unwrap().to_string();
        if r.body["end_of_stream"] == true {
            return (seen, after);
        }
        url = r.body["after_url"].as_str().unwrap().trim_start_matches(&app.base).to_string();
    }
}

#[tokio::test]
async fn cursor_export_follows_commit_order_with_no_lag() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            app.ticket(json!({"subject": format!("t{i}"), "comment": {"body": "b"}})).await["id"].as_i64().unwrap(),
        );
    }
    let (all, cursor) =
        follow(&app, "/api/v2/incremental/tickets/cursor?start_time=0&per_page=2".into(), "tickets").await;
    assert_eq!(all.iter().map(|t| t["id"].as_i64().unwrap()).collect::<Vec<_>>(), ids);
    assert!(all[0]["generated_timestamp"].as_i64().is_some());

    // A change made a moment ago is in the export at once; a deleted ticket shows as deleted.
    app.put(&format!("/api/v2/tickets/{}", ids[1]), json!({"ticket": {"subject": "changed"}})).await;
    assert_eq!(app.delete(&format!("/api/v2/tickets/{}", ids[3])).await.status, 204);
    let r = app.get(&format!("/api/v2/incremental/tickets/cursor?cursor={cursor}")).await;
    let got: Vec<(i64, String)> = r.body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["id"].as_i64().unwrap(), t["status"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(got, vec![(ids[1], "new".to_string()), (ids[3], "deleted".to_string())]);
    assert_eq!(r.body["end_of_stream"], true);

    // Concurrent updates while a reader follows the cursor: when the writers are done and the
    // reader reaches the end, it has seen every ticket's final subject. Nothing is skipped.
    let (_, start) = follow(&app, "/api/v2/incremental/tickets/cursor?start_time=0".into(), "tickets").await;
    let mut last_seen: HashMap<i64, String> = HashMap::new();
    let writers = {
        let base = app.base.clone();
        let token = app.token.clone();
        let email = app.admin_email.clone();
        let live: Vec<i64> = ids.iter().copied().filter(|i| *i != ids[3]).collect();
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut tasks = Vec::new();
            for round in 0..15 {
                for id in &live {
                    let (http, base, token, email, id) =
                        (http.clone(), base.clone(), token.clone(), email.clone(), *id);
                    tasks.push(tokio::spawn(async move {
                        http.put(format!("{base}/api/v2/tickets/{id}"))
                            .basic_auth(format!("{email}/token"), Some(token))
                            .json(&json!({"ticket": {"subject": format!("r{round}-{id}")}}))
                            .send()
                            .await
                            .unwrap()
                            .status()
                    }));
                }
            }
            for t in tasks {
                assert!(t.await.unwrap().is_success());
            }
        })
    };
    let mut cursor = start;
    let mut done = false;
    loop {
        let r = app.get(&format!("/api/v2/incremental/tickets/cursor?cursor={cursor}&per_page=3")).await;
        for t in r.body["tickets"].as_array().unwrap() {
            last_seen.insert(t["id"].as_i64().unwrap(), t["subject"].as_str().unwrap().to_string());
        }
        cursor = r.body["after_cursor"].as_str().unwrap().to_string();
        if done && r.body["end_of_stream"] == true {
            break;
        }
        if writers.is_finished() {
            done = true;
        }
    }
    writers.await.unwrap();
    for id in ids.iter().filter(|i| **i != ids[3]) {
        let now =
            app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"]["subject"].as_str().unwrap().to_string();
        assert_eq!(last_seen.get(id), Some(&now), "ticket {id}: the export's last word is the ticket's final state");
    }
}

#[tokio::test]
async fn time_exports_users_organizations_and_events() {
    let app = TestApp::spawn().await;
    let start = app.state.now();
    for i in 0..4 {
        app.ticket(json!({"subject": format!("s{i}"), "comment": {"body": "olá"}})).await;
    }
    // Everything was written within a second or two: per_page=1 still returns whole seconds.
    let r = app.get(&format!("/api/v2/incremental/tickets?start_time={start}&per_page=1")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let first = r.body["tickets"].as_array().unwrap();
    let stamp = first[0]["generated_timestamp"].as_i64().unwrap();
    assert!(first.iter().all(|t| t["generated_timestamp"] == stamp), "one second per page here");
    assert_eq!(r.body["count"], first.len());
    let mut total = first.len();
    let mut next = r.body["next_page"].as_str().unwrap().trim_start_matches(&app.base).to_string();
    let mut end = r.body["end_of_stream"] == true;
    app.clock.advance_secs(5);
    while !end {
        let r = app.get(&next).await;
        total += r.body["tickets"].as_array().unwrap().len();
        end = r.body["end_of_stream"] == true;
        next = r.body["next_page"].as_str().unwrap().trim_start_matches(&app.base).to_string();
    }
    assert!(total >= 4, "{total}");

    app.post("/api/v2/users", json!({"user": {"name": "Nova", "email": "nova@example.com"}})).await;
    let r = app.get(&format!("/api/v2/incremental/users?start_time={start}")).await;
    assert!(r.body["users"].as_array().unwrap().iter().any(|u| u["email"] == "nova@example.com"), "{}", r.body);
    app.post("/api/v2/organizations", json!({"organization": {"name": "Exportadora"}})).await;
    let r = app.get(&format!("/api/v2/incremental/organizations?start_time={start}")).await;
    assert_eq!(r.body["organizations"][0]["name"], "Exportadora");
    let (orgs, _) = follow(&app, "/api/v2/incremental/organizations/cursor?start_time=0".into(), "organizations").await;
    assert_eq!(orgs.len(), 1);
    let (users, _) = follow(&app, "/api/v2/incremental/users/cursor?start_time=0".into(), "users").await;
    assert!(!users.is_empty());

    let r = app.get(&format!("/api/v2/incremental/ticket_events?start_time={start}")).await;
    let events = r.body["ticket_events"].as_array().unwrap();
    assert_eq!(events.len(), 4);
    assert_eq!(events[0]["event_type"], "Audit");
    let children = events[0]["child_events"].as_array().unwrap();
    assert!(children.iter().any(|c| c["event_type"] == "Comment" && c["body"] == "olá"), "{children:?}");
    assert!(children.iter().any(|c| c["event_type"] == "Create" && c["field_name"] == "subject"));

    for url in [
        "/api/v2/incremental/tickets",
        "/api/v2/incremental/tickets?start_time=yesterday",
        "/api/v2/incremental/tickets/cursor?cursor=not-a-cursor",
    ] {
        let r = app.get(url).await;
        assert_eq!(r.status, 400, "{url}: {}", r.body);
        assert!(r.body["description"].as_str().is_some() || r.body["error"].is_object(), "{}", r.body);
    }
}
