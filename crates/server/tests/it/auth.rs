//! Authentication forms, throttling and the rate limit.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, TestDb, into_resp, make_user};
use frontdesk_domain::Role;

#[tokio::test]
async fn token_password_and_bearer_all_authenticate() {
    let app = TestApp::spawn().await;
    let (_, token) = make_user(&app.state, "Paula", "paula@example.com", Role::Agent, Some("s3cret-passw0rd")).await;
    let get = |r: reqwest::RequestBuilder| async move { into_resp(r.send().await.unwrap()).await };
    let url = app.url("/api/v2/users/me.json");
    let r = get(app.http.get(&url).basic_auth("paula@example.com/token", Some(&token))).await;
    assert_eq!(r.body["user"]["email"], "paula@example.com");
    let r = get(app.http.get(&url).basic_auth("paula@example.com", Some("s3cret-passw0rd"))).await;
    assert_eq!(r.body["user"]["email"], "paula@example.com");
    let r = get(app.http.get(&url).bearer_auth(&token)).await;
    assert_eq!(r.body["user"]["email"], "paula@example.com");
    assert!(r.headers.get("x-rate-limit").is_some());
    assert!(r.headers.get("retry-after").is_none(), "never Retry-After outside a 429");

    let tickets = app.url("/api/v2/tickets.json");
    let r = get(app.http.get(&tickets).basic_auth("paula@example.com", Some("wrong"))).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body["error"], "Couldn't authenticate you");
    let r = get(app.http.get(&tickets).basic_auth("someone@example.com/token", Some(&token))).await;
    assert_eq!(r.status, 401, "a token only works with its owner's email");
    let r = get(app.http.get(&tickets)).await;
    assert_eq!(r.status, 401);

    // The stored hash is argon2id at OWASP's minimum.
    let mut conn = app.state.db.read().await.unwrap();
    let (h,): (String,) = sqlx::query_as("SELECT password_hash FROM users WHERE email = 'paula@example.com'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
}

#[tokio::test]
async fn failed_sign_ins_are_throttled() {
    let app = TestApp::spawn().await;
    make_user(&app.state, "Vera", "vera@example.com", Role::Agent, Some("right-password")).await;
    let url = app.url("/api/v2/tickets.json");
    let mut statuses = vec![];
    for _ in 0..12 {
        let r = app.http.get(&url).basic_auth("vera@example.com", Some("guess")).send().await.unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(&statuses[..10], &[401; 10]);
    assert_eq!(statuses[11], 429, "{statuses:?}");
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after() {
    let app = TestApp::spawn_with(TestDb::new().await, |c| c.rate_limit = 5).await;
    let mut last = None;
    for _ in 0..6 {
        last = Some(app.get("/api/v2/tickets.json").await);
    }
    let r = last.unwrap();
    assert_eq!(r.status, 429);
    let retry: u64 = r.headers.get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(r.headers.get("x-rate-limit-remaining").unwrap(), "0");
    let ok = app.post("/api/v2/tickets", json!({})).await;
    assert_eq!(ok.status, 429);
}
