//! Stored JSON that cannot be read — damaged by hand, by a bad restore, or written by a newer
//! version in a format this one does not know — is reported and never obeyed: a trigger is not
//! run (it used to become "no conditions" and fire on every ticket), a view restricted to one
//! agent is not shown to everyone, an audit's events are not silently emptied or overwritten.

use reqwest::Method;
use serde_json::json;

use frontdesk_domain::Role;

use crate::helpers::{TestApp, make_user};
use crate::ui::Browser;

async fn sql(app: &TestApp, statements: &[&str]) {
    let mut tx = app.state.db.begin().await.unwrap();
    for s in statements {
        sqlx::query(s).execute(&mut *tx).await.unwrap_or_else(|e| panic!("{s}: {e}"));
    }
    // Compiled triggers are kept per rules version: a change behind the server's back moves it.
    sqlx::query("UPDATE rules_version SET version = version + 1").execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
}

fn tag_trigger(title: &str, tag: &str) -> serde_json::Value {
    json!({"trigger": {"title": title,
        "conditions": {"all": [{"field": "priority", "operator": "is", "value": "urgent"}]},
        "actions": [{"field": "current_tags", "value": tag}]}})
}

#[tokio::test]
async fn a_trigger_that_cannot_be_read_is_not_run_and_says_why_until_it_is_saved_again() {
    let app = TestApp::spawn().await;
    let broken = app.post("/api/v2/triggers", tag_trigger("Broken", "broken_fired")).await.body["trigger"]["id"]
        .as_i64()
        .unwrap();
    let newer =
        app.post("/api/v2/triggers", tag_trigger("Newer", "newer_fired")).await.body["trigger"]["id"].as_i64().unwrap();
    sql(
        &app,
        &[
            &format!("UPDATE rules SET conditions = '{{\"all\": [' WHERE id = {broken}"),
            &format!("UPDATE rules SET format = 2 WHERE id = {newer}"),
        ],
    )
    .await;

    // A ticket the triggers' conditions do not match: read as "no conditions", both would fire.
    let t = app.ticket(json!({"subject": "Low", "priority": "low", "comment": {"body": "hi"}})).await;
    let tags = t["tags"].as_array().unwrap();
    assert!(tags.is_empty(), "a trigger that cannot be read fired: {tags:?}");

    let r = app.get(&format!("/api/v2/triggers/{broken}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let tr = &r.body["trigger"];
    assert!(tr["conditions"].is_null(), "{tr}");
    let why = tr["problem"]["message"].as_str().unwrap();
    assert!(why.contains(&format!("conditions of trigger {broken} cannot be read")), "{why}");
    let r = app.get("/api/v2/triggers").await;
    let listed = r.body["triggers"].as_array().unwrap().iter().find(|x| x["id"] == newer).unwrap().clone();
    let why = listed["problem"]["message"].as_str().unwrap();
    assert!(why.contains("format 2"), "{why}");

    // The admin page says so in the reader's language.
    make_user(&app.state, "Ada Admin", "ada@example.com", Role::Admin, Some("a good long password")).await;
    let mut b = Browser::new(&app.base, "pt-BR");
    b.sign_in("ada@example.com", "a good long password").await;
    let page = b.get("/admin/triggers").await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("Este registro não pode ser lido"), "{}", page.html);

    // A save that leaves the damaged part as it is, is refused naming it; one that mends it works.
    let r = app.put(&format!("/api/v2/triggers/{broken}"), json!({"trigger": {"title": "Renamed"}})).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body["details"]["conditions"][0]["description"].as_str().unwrap().contains("cannot be read"),
        "{}",
        r.body
    );
    let fix = tag_trigger("Mended", "mended_fired");
    assert_eq!(app.put(&format!("/api/v2/triggers/{newer}"), fix).await.status, 200);
    let r = app.get(&format!("/api/v2/triggers/{newer}")).await;
    assert!(r.body["trigger"]["problem"].is_null(), "{}", r.body);
    let t = app.ticket(json!({"subject": "Up", "priority": "urgent", "comment": {"body": "hi"}})).await;
    assert_eq!(t["tags"], json!(["mended_fired"]), "{t}");
}

#[tokio::test]
async fn a_view_whose_restriction_cannot_be_read_is_shown_to_admins_only() {
    let app = TestApp::spawn().await;
    let (owner, _) = app.user("Owner", "owner@example.com", Role::Agent).await;
    let (_, token) = app.user("Other", "other@example.com", Role::Agent).await;
    let open = json!([{"field": "status", "operator": "less_than", "value": "solved"}]);
    let body = json!({"view": {"title": "Owner's", "all": open, "restriction": {"type": "User", "id": owner}}});
    let id = app.post("/api/v2/views", body).await.body["view"]["id"].as_i64().unwrap();
    let seen = |r: &crate::helpers::Resp| r.body["views"].as_array().unwrap().iter().any(|v| v["id"] == id);
    let r = app.req_as("other@example.com", &token, Method::GET, "/api/v2/views", None).await;
    assert!(!seen(&r), "another agent's own view");

    sql(&app, &[&format!("UPDATE views SET restriction = '{{\"type\": \"Us' WHERE id = {id}")]).await;
    let r = app.req_as("other@example.com", &token, Method::GET, "/api/v2/views", None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!seen(&r), "a restriction that cannot be read opened the view to everyone");
    let r = app.get(&format!("/api/v2/views/{id}")).await;
    assert!(r.body["view"]["problem"]["message"].as_str().unwrap().contains("restriction of view"), "{}", r.body);

    // Its conditions damaged too: executing it is an error, not every ticket.
    sql(&app, &[&format!("UPDATE views SET conditions = 'nope' WHERE id = {id}")]).await;
    let r = app.get(&format!("/api/v2/views/{id}/execute")).await;
    assert_eq!(r.status, 500, "{}", r.body);
}

#[tokio::test]
async fn an_audit_whose_events_cannot_be_read_says_so_and_is_not_overwritten() {
    let app = TestApp::spawn().await;
    let (agent, _) = app.user("Ana", "ana@example.com", Role::Agent).await;
    // A trigger that only mails: its events join the audit of the write that fired it.
    let notify = json!({"trigger": {"title": "Tell", "conditions": {"all": [{"field": "priority", "operator": "is", "value": "high"}]},
        "actions": [{"field": "notification_user", "value": ["assignee_id", "Hi", "A ticket"]}]}});
    assert_eq!(app.post("/api/v2/triggers", notify).await.status, 201);
    let t = app.ticket(json!({"subject": "S", "assignee_id": agent, "comment": {"body": "hi"}})).await;
    let id = t["id"].as_i64().unwrap();
    sql(&app, &[&format!("UPDATE ticket_audits SET events = '[{{' WHERE ticket_id = {id}")]).await;

    let audits = app.get(&format!("/api/v2/tickets/{id}/audits")).await.body["audits"].clone();
    let events = &audits[0]["events"];
    assert_eq!(events[0]["type"], "Unreadable", "{audits}");
    assert!(events[0]["body"].as_str().unwrap().contains("cannot be read"), "{audits}");

    // The ticket still takes changes; the damaged audit is left as it was.
    let r = app.put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"priority": "high"}})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let damaged = format!("SELECT COUNT(*) FROM ticket_audits WHERE ticket_id = {id} AND events = '[{{'");
    assert_eq!(app.count(&damaged).await, 1);
}
