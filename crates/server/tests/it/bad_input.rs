//! Every kind of bad input gets the error envelope with a specific message, never a 500, and
//! leaves nothing half-written.

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestDb, into_resp};

async fn raw(app: &TestApp, method: reqwest::Method, path: &str, body: Vec<u8>) -> crate::helpers::Resp {
    let r = app
        .http
        .request(method, app.url(path))
        .basic_auth(format!("{}/token", app.admin_email), Some(&app.token))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    into_resp(r).await
}

#[tokio::test]
async fn each_kind_of_bad_input_gets_a_specific_error() {
    let app = TestApp::spawn_with(TestDb::new().await, |c| c.body_limit = 64 * 1024).await;
    app.ticket(json!({"subject": "keep me", "comment": {"body": "b"}})).await;
    let post = reqwest::Method::POST;

    let r = raw(&app, post.clone(), "/api/v2/tickets", b"{\"ticket\": {".to_vec()).await;
    assert_eq!(r.status, 400);
    assert!(r.body["description"].as_str().unwrap().contains("not valid JSON"), "{}", r.body);

    let r = raw(&app, post.clone(), "/api/v2/tickets", b"{\"ticket\": {\"subject\": \"\xff\xfe\"}}".to_vec()).await;
    assert_eq!(r.status, 400);
    assert!(r.body["description"].as_str().unwrap().contains("UTF-8"), "{}", r.body);

    let big =
        format!("{{\"ticket\": {{\"subject\": \"x\", \"comment\": {{\"body\": \"{}\"}}}}}}", "a".repeat(70 * 1024));
    let r = raw(&app, post.clone(), "/api/v2/tickets", big.into_bytes()).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.body["error"], "RequestTooLarge");

    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({"ticket": {"subject": "no comment"}}), "base", "Description: cannot be blank"),
        (
            json!({"ticket": {"subject": 42.5, "comment": {"body": "b"}, "priority": "whenever"}}),
            "priority",
            "whenever is not a valid priority",
        ),
        (
            json!({"ticket": {"subject": "s", "comment": {"body": "b"}, "requester_id": 9223372036854775807i64}}),
            "requester_id",
            "does not exist",
        ),
        (
            json!({"ticket": {"subject": "s", "comment": {"body": "b"}, "group_id": "abc"}}),
            "group_id",
            "not a valid id",
        ),
        (json!({"ticket": {"subject": "x".repeat(1001), "comment": {"body": "b"}}}), "subject", "too long"),
        (
            json!({"ticket": {"subject": "s", "comment": {"body": "b"}, "requester": {"email": "not-an-email"}}}),
            "requester",
            "not a valid email",
        ),
        (
            json!({"ticket": {"subject": "s", "comment": {"body": "b"}, "tags": "ok", "status": ["open"]}}),
            "status",
            "must be a string",
        ),
        (
            json!({"ticket": {"subject": "s", "comment": {"body": "b"}, "due_at": "next tuesday"}}),
            "due_at",
            "not a date",
        ),
    ];
    for (body, field, needle) in cases {
        let r = app.post("/api/v2/tickets", body.clone()).await;
        assert_eq!(r.status, 422, "{body} → {}", r.body);
        assert_eq!(r.body["error"], "RecordInvalid");
        let d = r.body["details"][field][0]["description"].as_str().unwrap_or_else(|| panic!("{field} in {}", r.body));
        assert!(d.contains(needle), "{d:?} should contain {needle:?}");
    }
    let r = app.post("/api/v2/tickets", json!([1, 2])).await;
    assert_eq!(r.status, 400);

    let r =
        app.post("/api/v2/users", json!({"user": {"name": "x", "email": "a@b.c", "tax_id": "123.456.789-00"}})).await;
    assert_eq!(r.status, 422);
    assert!(r.body["details"]["tax_id"][0]["description"].as_str().unwrap().contains("CPF"));
    let r = app.post("/api/v2/users", json!({"user": {"name": "x", "email": "bad@", "time_zone": "Mars/Base"}})).await;
    assert_eq!(r.status, 422);

    // Ids past i64 and unknown ids are 404 RecordNotFound.
    for path in [
        "/api/v2/tickets/9223372036854775807",
        "/api/v2/tickets/99999999999999999999999",
        "/api/v2/tickets/abc",
        "/api/v2/users/9223372036854775807.json",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.body, json!({"error": "RecordNotFound", "description": "Not found"}));
    }
    let r = app.get("/api/v2/no_such_thing").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["error"], "InvalidEndpoint");
    let r = app.get("/api/v2/tickets?per_page=lots").await;
    assert_eq!(r.status, 400);
    let r = app.get("/api/v2/tickets?page%5Bafter%5D=garbage").await;
    assert_eq!(r.status, 400);

    // Nothing was half-written by any of it.
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_comments").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM user_identities").await, 1);
    let content_type = app.get("/api/v2/tickets/1").await.headers["content-type"].to_str().unwrap().to_string();
    assert_eq!(content_type, "application/json; charset=utf-8");
}
