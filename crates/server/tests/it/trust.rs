//! The holes found by trying Frontdesk as an attacker would, each closed and pinned here on
//! both databases: claimed addresses, password changes, the sign-in throttle behind a proxy,
//! unbounded templates and mail that loops.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use frontdesk_domain::Role;

use crate::helpers::{TestApp, TestDb, into_resp, make_user, nth_mail};
use crate::ui::{Browser, hidden, link_in, mail_text};

async fn deliver(app: &TestApp, raw: &str, to: &str) -> Value {
    let r = app
        .http
        .post(app.url(&format!("/api/v2/inbound_email?to={to}")))
        .basic_auth(format!("{}/token", app.admin_email), Some(&app.token))
        .header("content-type", "message/rfc822")
        .body(raw.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["inbound_email"].clone()
}

fn mail(from: &str, to: &str, subject: &str, extra: &str) -> String {
    let id = rand::random::<u64>();
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}@sender.test>\r\n{extra}\
         Content-Type: text/plain; charset=utf-8\r\n\r\nHello, this is the message body.\r\n"
    )
}

/// The mail the sink got for `address`, once both proof mails have arrived (their jobs run in
/// either order).
async fn mail_to(sent: &std::sync::Arc<std::sync::Mutex<Vec<String>>>, address: &str) -> String {
    nth_mail(sent, 1).await;
    let all = sent.lock().unwrap().clone();
    let found = all.iter().find(|m| m.lines().any(|l| l.starts_with("To:") && l.contains(address)));
    found.cloned().unwrap_or_else(|| panic!("no mail to {address} in {all:?}"))
}

async fn requester_of(app: &TestApp, ticket: i64) -> i64 {
    app.get(&format!("/api/v2/tickets/{ticket}")).await.body["ticket"]["requester_id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_customer_cannot_take_over_someone_elses_address() {
    let (relay, sent) = crate::helpers::smtp_sink().await;
    let app = TestApp::spawn_with(TestDb::new().await, |c| c.smtp_relay = Some(relay)).await;
    let r = app.post("/api/v2/recipient_addresses", json!({"recipient_address": {"email": "help@acme.test"}})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let (mallory, token) = app.user("Mallory", "mallory@evil.test", Role::EndUser).await;
    make_user(&app.state, "Vera Agente", "vera@acme.test", Role::Agent, None).await;
    let as_mallory = |method: Method, path: String, body: Option<Value>| {
        let token = token.clone();
        let app = &app;
        async move { app.req_as("mallory@evil.test", &token, method, &path, body).await }
    };
    let identities = format!("/api/v2/users/{mallory}/identities");

    // Marking an address verified on her own word, at creation or after, is refused.
    let r = as_mallory(
        Method::POST,
        identities.clone(),
        Some(json!({"identity": {"type": "email", "value": "victim@bank.test", "verified": true}})),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // The support address and a staff member's address cannot be claimed at all.
    for taken in ["help@acme.test", "HELP@acme.test", "vera@acme.test"] {
        let r =
            as_mallory(Method::POST, identities.clone(), Some(json!({"identity": {"type": "email", "value": taken}})))
                .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{taken}: {}", r.body);
    }
    // A claim is taken, unverified and not primary, and its proof is mailed to the address.
    let r = as_mallory(
        Method::POST,
        identities.clone(),
        Some(json!({"identity": {"type": "email", "value": "victim@bank.test"}})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let claim = r.body["identity"]["id"].as_i64().unwrap();
    assert_eq!(
        (r.body["identity"]["verified"].as_bool(), r.body["identity"]["primary"].as_bool()),
        (Some(false), Some(false))
    );
    let r = as_mallory(Method::PUT, format!("{identities}/{claim}/verify"), None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "she cannot verify it herself: {}", r.body);
    let r =
        as_mallory(Method::PUT, format!("{identities}/{claim}"), Some(json!({"identity": {"verified": true}}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = as_mallory(Method::PUT, format!("{identities}/{claim}/make_primary"), None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // Nor can she swap another address into an identity she has.
    let own = app.get(&identities).await.body["identities"][0]["id"].as_i64().unwrap();
    let r =
        as_mallory(Method::PUT, format!("{identities}/{own}"), Some(json!({"identity": {"value": "ceo@bank.test"}})))
            .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // Changing her account's address only claims the new one: the account keeps the old.
    let r =
        as_mallory(Method::PUT, format!("/api/v2/users/{mallory}"), Some(json!({"user": {"email": "cfo@bank.test"}})))
            .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["user"]["email"], "mallory@evil.test");

    let proof = mail_to(&sent, "victim@bank.test").await;
    let (subject, text, _) = mail_text(&proof);
    assert!(subject.starts_with("Confirm your email address"), "{subject}");
    let path = link_in(&text, &app.base);
    assert!(path.starts_with("/verify/"), "{path}");

    // Mail from the claimed address is not hers: it makes a ticket for a new customer.
    let o = deliver(&app, &mail("Victim <victim@bank.test>", "help@acme.test", "My card", ""), "help@acme.test").await;
    assert_eq!(o["outcome"], "created", "{o}");
    let victim = requester_of(&app, o["ticket_id"].as_i64().unwrap()).await;
    assert_ne!(victim, mallory);
    // That registration took the address from her unproven claim.
    let r = app.get(&identities).await.body;
    assert!(!r.to_string().contains("victim@bank.test"), "{r}");
    // The proof link of a claim that is gone proves nothing.
    let mut b = Browser::new(&app.base, "en");
    assert_eq!(b.get(&path).await.status, StatusCode::NOT_FOUND);
    // Nor can the pending address sign in (no user answers to it).
    let mut conn = app.state.db.read().await.unwrap();
    let owner = frontdesk_store::users::find_by_identity(&mut conn, "email", "cfo@bank.test").await.unwrap();
    assert!(owner.is_none(), "a pending claim owns nothing");
    drop(conn);

    // A claim proven by its owner counts: mail from it is hers from then on.
    let (subject, text, _) = mail_text(&mail_to(&sent, "cfo@bank.test").await);
    assert!(subject.starts_with("Confirm your email address"), "{subject}");
    let path = link_in(&text, &app.base);
    let page = b.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("cfo@bank.test"), "{}", page.html);
    let done = b.post(&path, &[]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    assert!(done.html.contains("is confirmed as yours"), "{}", done.html);
    assert_eq!(b.get(&path).await.status, StatusCode::NOT_FOUND, "a proof link works once");
    let o = deliver(&app, &mail("cfo@bank.test", "help@acme.test", "Hi", ""), "help@acme.test").await;
    assert_eq!(requester_of(&app, o["ticket_id"].as_i64().unwrap()).await, mallory);

    // An admin's word is taken.
    let r =
        app.post(&identities, json!({"identity": {"type": "email", "value": "alt@evil.test", "verified": true}})).await;
    assert_eq!((r.status, r.body["identity"]["verified"].as_bool()), (StatusCode::CREATED, Some(true)), "{}", r.body);
}

#[tokio::test]
async fn a_new_password_ends_every_other_session_and_cached_sign_in_on_every_server() {
    let a = TestApp::spawn().await;
    let b = TestApp::spawn_with(a.db.shared(), |_| {}).await;
    let (id, _) = make_user(&a.state, "Caio Agente", "caio@example.com", Role::Agent, Some("old password 1")).await;
    let me = |app: &TestApp, password: &'static str| {
        let req = app.http.get(app.url("/api/v2/users/me")).basic_auth("caio@example.com", Some(password));
        async move { into_resp(req.send().await.unwrap()).await }
    };
    // Signed in on server B through the web and through the API (which caches the check).
    let mut browser = Browser::new(&b.base, "en");
    assert_eq!(browser.sign_in("caio@example.com", "old password 1").await.location.as_deref(), Some("/agent"));
    assert_eq!(me(&b, "old password 1").await.body["user"]["id"], id);
    assert_eq!(me(&b, "old password 1").await.body["user"]["id"], id);

    // He changes it through server A's API.
    let r = a
        .http
        .put(a.url(&format!("/api/v2/users/{id}")))
        .basic_auth("caio@example.com", Some("old password 1"))
        .json(&json!({"user": {"password": "new password 2"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Server B no longer takes the old password, nor the old session.
    assert_eq!(me(&b, "old password 1").await.body["user"]["id"], Value::Null, "anonymous");
    let r = b
        .http
        .get(b.url("/api/v2/tickets"))
        .basic_auth("caio@example.com", Some("old password 1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let p = browser.get("/agent").await;
    assert!(p.location.as_deref().is_some_and(|l| l.starts_with("/login")), "{:?}", p.location);
    assert_eq!(me(&b, "new password 2").await.body["user"]["id"], id);

    // An admin's change through the API ends his sessions too.
    let mut browser = Browser::new(&a.base, "en");
    browser.sign_in("caio@example.com", "new password 2").await;
    assert_eq!(browser.get("/agent").await.status, StatusCode::OK);
    let r = a.put(&format!("/api/v2/users/{id}"), json!({"user": {"password": "third password 3"}})).await;
    assert_eq!(r.status, 200);
    assert!(browser.get("/agent").await.location.as_deref().is_some_and(|l| l.starts_with("/login")));
    b.stop().await;
}

#[tokio::test]
async fn the_sign_in_throttle_spares_owners_and_believes_only_a_trusted_proxy() {
    let proxy = frontdesk_server::http::forwarded::parse_proxy("127.0.0.1").unwrap();
    let app = TestApp::spawn_with(TestDb::new().await, |c| c.trusted_proxies = vec![proxy]).await;
    make_user(&app.state, "Dora", "dora@example.com", Role::Agent, Some("dora's password")).await;
    make_user(&app.state, "Enzo", "enzo@example.com", Role::Agent, Some("enzo's password")).await;

    // Dora signs in from her office once.
    let mut office = Browser::new(&app.base, "en");
    office.forwarded_for = Some("198.51.100.7".into());
    assert_eq!(office.sign_in("dora@example.com", "dora's password").await.location.as_deref(), Some("/agent"));
    // Someone guesses her password from elsewhere, spelling her address every which way.
    let mut attacker = Browser::new(&app.base, "en");
    attacker.forwarded_for = Some("203.0.113.66".into());
    for spelling in [" dora@example.com", "DORA@example.com", "dora@example.com "].iter().cycle().take(12) {
        let p = attacker.sign_in(spelling, "guess").await;
        assert!(p.status == StatusCode::UNAUTHORIZED || p.status == StatusCode::TOO_MANY_REQUESTS);
    }
    let p = attacker.sign_in("dora@example.com", "dora's password").await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS, "the account is throttled for strangers");
    // Dora still gets in from the office.
    let mut again = Browser::new(&app.base, "en");
    again.forwarded_for = Some("198.51.100.7".into());
    assert_eq!(again.sign_in("dora@example.com", "dora's password").await.location.as_deref(), Some("/agent"));

    // Each client behind the proxy is counted on its own: one client's 31 failures do not
    // lock out another behind the same proxy.
    let api = |client: &'static str, email: &'static str, password: &'static str| {
        let req = app
            .http
            .get(app.url("/api/v2/tickets"))
            .header("x-forwarded-for", format!("10.9.9.9, {client}"))
            .basic_auth(email, Some(password));
        async move { req.send().await.unwrap().status() }
    };
    for i in 0..31 {
        let who: &'static str = Box::leak(format!("nobody{i}@example.com").into_boxed_str());
        api("203.0.113.99", who, "x").await;
    }
    assert_eq!(api("203.0.113.99", "enzo@example.com", "enzo's password").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(api("203.0.113.100", "enzo@example.com", "enzo's password").await, StatusCode::OK);

    // From anyone but the proxy, forwarded headers are not believed: no Secure cookie for a
    // plain request that merely says it came over TLS.
    let direct = TestApp::spawn().await;
    let mut liar = Browser::new(&direct.base, "en");
    liar.behind_tls = true;
    let form = liar.get("/login").await;
    assert!(form.set_cookies.iter().all(|c| !c.contains("Secure")), "{:?}", form.set_cookies);
    let mut trusted = Browser::new(&app.base, "en");
    trusted.behind_tls = true;
    let form = trusted.get("/login").await;
    assert!(form.set_cookies.iter().any(|c| c.contains("; Secure")), "{:?}", form.set_cookies);
    let _ = hidden(&form.html, "_csrf");
}

#[tokio::test]
async fn a_template_that_works_without_end_is_refused_in_the_readers_words() {
    let app = TestApp::spawn().await;
    app.user("Nina", "nina@example.com", Role::EndUser).await;
    let loops = "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}{% set d = a * b * c %}{% endfor %}{% endfor %}{% endfor %}";
    let started = std::time::Instant::now();
    let r = app
        .post(
            "/api/v2/campaigns",
            json!({"campaign": {"name": "Burn", "audience": {"query": "email:nina@example.com"}, "dry_run": true,
                   "ticket": {"subject": "Hi", "comment": {"body": loops}}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.to_string().contains("too much work"), "{}", r.body);
    // Output is bounded as well as work: a short loop over a long string.
    let long = format!("{{% for a in range(2000) %}}{}{{% endfor %}}", "y".repeat(1000));
    let r = app
        .post(
            "/api/v2/campaigns",
            json!({"campaign": {"name": "Big", "audience": {"query": "email:nina@example.com"}, "dry_run": true,
                   "ticket": {"subject": "Hi", "comment": {"body": long}}}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.to_string().contains("would be longer than"), "{}", r.body);
    // Both refusals come back while the request is still young (no core pinned for minutes).
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

#[tokio::test]
async fn mail_that_loops_or_comes_from_a_list_or_an_autoresponder_makes_no_ticket() {
    let app = TestApp::spawn().await;
    app.post("/api/v2/recipient_addresses", json!({"recipient_address": {"email": "help@acme.test"}})).await;
    let cases = [
        (mail("help@acme.test", "help@acme.test", "Loop", ""), "our own support address"),
        (mail("Ana <ana@x.test>", "help@acme.test", "Re: x", "X-Loop: help@acme.test\r\n"), "X-Loop names our support"),
        (mail("news@list.test", "help@acme.test", "Digest", "List-Id: <news.list.test>\r\n"), "mailing list"),
        (mail("bot@x.test", "help@acme.test", "Away", "X-Autoreply: yes\r\n"), "automatic reply"),
        (mail("bot@y.test", "help@acme.test", "Away", "X-Autorespond: Out of office\r\n"), "automatic reply"),
    ];
    for (raw, why) in &cases {
        let o = deliver(&app, raw, "help@acme.test").await;
        assert_eq!(o["outcome"], "ignored", "{why}: {o}");
        assert!(o["reason"].as_str().unwrap().contains(why), "{why}: {o}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 0);
    // An ordinary message still makes its ticket.
    let o = deliver(&app, &mail("Ana <ana@x.test>", "help@acme.test", "Printer", ""), "help@acme.test").await;
    assert_eq!(o["outcome"], "created", "{o}");
}

#[tokio::test]
async fn a_rule_that_can_no_longer_apply_never_stops_a_write() {
    let app = TestApp::spawn().await;
    app.post("/api/v2/recipient_addresses", json!({"recipient_address": {"email": "help@acme.test"}})).await;
    let group =
        app.post("/api/v2/groups", json!({"group": {"name": "Tier 2"}})).await.body["group"]["id"].as_i64().unwrap();
    let r = app
        .post(
            "/api/v2/triggers",
            json!({"trigger": {"title": "Route to tier 2",
                "all": [{"field": "update_type", "operator": "is", "value": "Create"}],
                "actions": [{"field": "group_id", "value": group.to_string()}, {"field": "priority", "value": "high"}]}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let trigger = r.body["trigger"]["id"].as_i64().unwrap();
    let view = app
        .post("/api/v2/views", json!({"view": {"title": "Tier 2 queue", "all": [{"field": "group_id", "operator": "is", "value": group.to_string()}]}}))
        .await;
    assert_eq!(view.status, 201, "{}", view.body);
    // Deleting the group tells the admin which rules and views name it.
    let r = app.delete(&format!("/api/v2/groups/{group}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let named: Vec<(String, String)> = r.body["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["type"].as_str().unwrap().to_string(), w["title"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(named, vec![("trigger".into(), "Route to tier 2".into()), ("view".into(), "Tier 2 queue".into())]);

    // A create goes through without the action that cannot apply; the rest of the rule does.
    let t = app.ticket(json!({"subject": "Help", "comment": {"body": "x"}})).await;
    let id = t["id"].as_i64().unwrap();
    let t = app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"].clone();
    assert_eq!((t["group_id"].clone(), t["priority"].as_str()), (Value::Null, Some("high")), "{t}");
    let audits = app.get(&format!("/api/v2/tickets/{id}/audits")).await.body.to_string();
    assert!(audits.contains("RuleWarning") && audits.contains(&format!("group {group} no longer exists")), "{audits}");
    let shown = app.get(&format!("/api/v2/triggers/{trigger}")).await.body["trigger"].clone();
    assert_eq!(shown["problem"]["failures"], 1, "{shown}");

    // A create_many job makes every ticket, and inbound mail still makes its ticket.
    let r = app
        .post(
            "/api/v2/tickets/create_many",
            json!({"tickets": [{"subject": "a", "comment": {"body": "a"}}, {"subject": "b", "comment": {"body": "b"}},
                               {"subject": "c", "comment": {"body": "c"}}]}),
        )
        .await;
    let job = app.wait_job(r.body["job_status"]["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["results"].as_array().unwrap().iter().filter(|x| x["id"].is_i64()).count(), 3, "{job}");
    let o = deliver(&app, &mail("Rita <rita@x.test>", "help@acme.test", "Broken", ""), "help@acme.test").await;
    assert_eq!(o["outcome"], "created", "{o}");

    // After ten failures since it was last saved the rule is turned off and says so.
    for i in 0..5 {
        app.ticket(json!({"subject": format!("more {i}"), "comment": {"body": "x"}})).await;
    }
    let shown = app.get(&format!("/api/v2/triggers/{trigger}")).await.body["trigger"].clone();
    assert_eq!((shown["active"].as_bool(), shown["problem"]["failures"].as_i64()), (Some(false), Some(10)), "{shown}");
    let after = app.ticket(json!({"subject": "quiet", "comment": {"body": "x"}})).await;
    assert_eq!(after["priority"], Value::Null, "a rule turned off no longer runs");

    // A trigger assigning an agent who was later demoted does not stop updates.
    let (agent, _) = app.user("Otto Agent", "otto@acme.test", Role::Agent).await;
    let r = app
        .post(
            "/api/v2/triggers",
            json!({"trigger": {"title": "Give to Otto",
                "all": [{"field": "update_type", "operator": "is", "value": "Change"}],
                "actions": [{"field": "assignee_id", "value": agent.to_string()}]}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = app.put(&format!("/api/v2/users/{agent}"), json!({"user": {"role": "end-user"}})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["warnings"][0]["title"], "Give to Otto", "demoting him names the rule: {}", r.body);
    let r = app.put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"comment": {"body": "any news?"}}})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["ticket"]["assignee_id"], Value::Null);
    let audits = app.get(&format!("/api/v2/tickets/{id}/audits")).await.body.to_string();
    assert!(audits.contains("is no longer an agent"), "{audits}");
}

#[tokio::test]
async fn concurrent_creates_through_two_servers_make_each_new_customer_once() {
    let a = TestApp::spawn().await;
    let b = TestApp::spawn_with(a.db.shared(), |_| {}).await;
    let mut set = tokio::task::JoinSet::new();
    for i in 0..300 {
        let (base, token, email, http) = if i % 2 == 0 {
            (a.base.clone(), a.token.clone(), a.admin_email.clone(), a.http.clone())
        } else {
            (b.base.clone(), b.token.clone(), b.admin_email.clone(), b.http.clone())
        };
        set.spawn(async move {
            let body = json!({"ticket": {"subject": format!("Order {i}"), "comment": {"body": "where is it?"},
                "requester": {"name": format!("Customer {}", i % 9), "email": format!("r{}@example.com", i % 9)}}});
            let r = http
                .post(format!("{base}/api/v2/tickets"))
                .basic_auth(format!("{email}/token"), Some(token))
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status();
            (status, r.text().await.unwrap())
        });
    }
    let mut refused = Vec::new();
    while let Some(done) = set.join_next().await {
        let (status, body) = done.unwrap();
        if status != StatusCode::CREATED {
            refused.push(format!("{status}: {body}"));
        }
    }
    assert!(refused.is_empty(), "{} of 300 refused: {:?}", refused.len(), &refused[..refused.len().min(3)]);
    assert_eq!(a.count("SELECT COUNT(*) FROM tickets").await, 300);
    assert_eq!(a.count("SELECT COUNT(*) FROM users WHERE email LIKE 'r%@example.com'").await, 9);
    assert_eq!(a.count("SELECT COUNT(DISTINCT requester_id) FROM tickets").await, 9);
    b.stop().await;
}

#[tokio::test]
async fn a_customer_sets_and_reads_only_what_is_theirs_through_the_api() {
    let app = TestApp::spawn().await;
    let hidden = app
        .post(
            "/api/v2/ticket_fields",
            json!({"ticket_field": {"type": "text", "title": "Internal risk", "key": "risk"}}),
        )
        .await;
    assert_eq!(hidden.status, 201, "{}", hidden.body);
    let hidden = hidden.body["ticket_field"]["id"].as_i64().unwrap();
    let shown = app
        .post(
            "/api/v2/ticket_fields",
            json!({"ticket_field": {"type": "text", "title": "Order number", "key": "order",
                   "visible_in_portal": true, "editable_in_portal": true}}),
        )
        .await;
    assert_eq!(shown.status, 201, "{}", shown.body);
    let shown = shown.body["ticket_field"]["id"].as_i64().unwrap();
    let (customer, token) = app.user("Lia", "lia@example.com", Role::EndUser).await;
    let (other, _) = app.user("Bob", "bob@example.com", Role::EndUser).await;
    let as_lia = |m: Method, path: &str, body: Option<Value>| {
        let path = format!("/api/v2/{path}");
        let (app, token) = (&app, &token);
        async move { app.req_as("lia@example.com", token, m, &path, body).await }
    };

    for (what, extra) in [
        ("tags", json!({"tags": ["vip"]})),
        ("priority", json!({"priority": "urgent"})),
        ("collaborator_ids", json!({"collaborator_ids": [other]})),
        ("email_cc_ids", json!({"email_cc_ids": [other]})),
        ("custom_fields", json!({"custom_fields": [{"id": hidden, "value": "low"}]})),
    ] {
        let mut ticket = json!({"subject": "Hi", "comment": {"body": "Where is my order?"}});
        ticket.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let r = as_lia(Method::POST, "tickets", Some(json!({"ticket": ticket}))).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}: {}", r.body);
        assert!(r.body.to_string().contains(what.trim_end_matches("_ids").trim_end_matches('s')), "{what}: {}", r.body);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 0);
    // What she may give is taken.
    let r = as_lia(
        Method::POST,
        "tickets",
        Some(json!({"ticket": {"subject": "Order", "comment": {"body": "Late"}, "custom_fields": [{"id": shown, "value": "A-1"}]}})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["ticket"]["id"].as_i64().unwrap();
    // The team tags it and fills in its own field; she sees neither, through any route.
    let r = app
        .put(
            &format!("/api/v2/tickets/{id}"),
            json!({"ticket": {"tags": ["churn_risk"], "custom_fields": [{"id": hidden, "value": "high"}]}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    for path in [
        format!("tickets/{id}"),
        "tickets".into(),
        format!("tickets/show_many?ids={id}"),
        format!("users/{customer}/tickets/requested"),
    ] {
        let r = as_lia(Method::GET, &path, None).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        let text = r.body.to_string();
        assert!(!text.contains("churn_risk") && !text.contains("\"high\""), "{path}: {text}");
        assert!(text.contains("A-1"), "her own field stays: {path}: {text}");
    }
    // Her own profile: her name, yes; the team's tags, fields and ids, no; their notes unseen.
    let r = as_lia(Method::PUT, &format!("users/{customer}"), Some(json!({"user": {"tags": ["vip"]}}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = as_lia(Method::PUT, &format!("users/{customer}"), Some(json!({"user": {"external_id": "victim-1"}}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    app.put(&format!("/api/v2/users/{customer}"), json!({"user": {"notes": "refund abuser", "tags": ["watch"]}})).await;
    let r = as_lia(Method::PUT, &format!("users/{customer}"), Some(json!({"user": {"name": "Lia Souza"}}))).await;
    assert_eq!(r.status, 200, "{}", r.body);
    for path in [format!("users/{customer}"), "users/me".into()] {
        let text = as_lia(Method::GET, &path, None).await.body.to_string();
        assert!(!text.contains("refund abuser") && !text.contains("watch"), "{path}: {text}");
    }
    // She may comment; she may not change the priority or the subject.
    let r = as_lia(Method::PUT, &format!("tickets/{id}"), Some(json!({"ticket": {"priority": "urgent"}}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = as_lia(Method::PUT, &format!("tickets/{id}"), Some(json!({"ticket": {"comment": {"body": "Any news?"}}})))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!r.body.to_string().contains("churn_risk"), "{}", r.body);
}

/// A key that signs mail for `domain` (selector `sel`), published in the test's DNS.
fn dkim_key(app: &TestApp, domain: &str) -> mail_auth::common::crypto::Ed25519Key {
    use base64::Engine;
    use mail_auth::common::crypto::Ed25519Key;
    let der = Ed25519Key::generate_pkcs8().unwrap();
    let key = Ed25519Key::from_pkcs8_der(&der).unwrap();
    let public = base64::engine::general_purpose::STANDARD.encode(key.public_key());
    app.dns.lock().unwrap().insert(format!("sel._domainkey.{domain}"), vec![format!("v=DKIM1; k=ed25519; p={public}")]);
    key
}

/// `raw` signed by `key` for `domain`: the DKIM-Signature header put in front.
fn signed(key: mail_auth::common::crypto::Ed25519Key, domain: &str, raw: &str) -> String {
    use mail_auth::common::headers::HeaderWriter;
    use mail_auth::dkim::DkimSigner;
    let signature = DkimSigner::from_key(key)
        .domain(domain)
        .selector("sel")
        .headers(["From", "To", "Subject", "Message-ID"])
        .sign(raw.as_bytes())
        .unwrap();
    format!("{}{raw}", signature.to_header())
}

async fn comments_of(app: &TestApp, id: i64) -> Vec<Value> {
    app.get(&format!("/api/v2/tickets/{id}/comments")).await.body["comments"].as_array().unwrap().clone()
}

async fn deliver_from(app: &TestApp, raw: &str, client_ip: &str, mail_from: &str) -> Value {
    let r = app
        .http
        .post(app.url(&format!(
            "/api/v2/inbound_email?to=help@acme.test&client_ip={client_ip}&helo=mx.test&mail_from={mail_from}"
        )))
        .basic_auth(format!("{}/token", app.admin_email), Some(&app.token))
        .header("content-type", "message/rfc822")
        .body(raw.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["inbound_email"].clone()
}

#[tokio::test]
async fn mail_claiming_a_staff_sender_counts_only_when_authenticated() {
    let app = TestApp::spawn().await;
    app.post("/api/v2/recipient_addresses", json!({"recipient_address": {"email": "help@acme.test"}})).await;
    {
        let mut zone = app.dns.lock().unwrap();
        zone.insert("acme.test".into(), vec!["v=spf1 ip4:192.0.2.10 -all".into()]);
        zone.insert("_dmarc.acme.test".into(), vec!["v=DMARC1; p=reject".into()]);
        zone.insert("_dmarc.strict.test".into(), vec!["v=DMARC1; p=reject".into()]);
    }
    let key = dkim_key(&app, "acme.test");
    let (vera, _) = app.user("Vera Agent", "vera@acme.test", Role::Agent).await;
    // João writes in; his message is the ticket's first.
    let first = "From: João <joao@cliente.test>\r\nTo: help@acme.test\r\nSubject: Refund\r\n\
                 Message-ID: <refund-1@cliente.test>\r\n\r\nPlease refund me\r\n";
    let o = deliver_from(&app, first, "198.51.100.20", "joao@cliente.test").await;
    assert_eq!(o["outcome"], "created", "{o}");
    let id = o["ticket_id"].as_i64().unwrap();

    // Forged: the agent's address and the ticket's number in the subject, from elsewhere,
    // unsigned. A number anyone can type threads nothing: held.
    let forged = mail("Vera Agent <vera@acme.test>", "help@acme.test", &format!("Re: [#{id}] Refund"), "");
    let o = deliver_from(&app, &forged, "203.0.113.5", "vera@acme.test").await;
    assert_eq!(o["outcome"], "held", "{o}");
    assert!(o["reason"].as_str().unwrap().contains("not authenticated"), "{o}");
    // Answering the ticket's message (References): an internal note marked unverified.
    let forged =
        mail("Vera Agent <vera@acme.test>", "help@acme.test", "Re: Refund", "In-Reply-To: <refund-1@cliente.test>\r\n");
    let o = deliver_from(&app, &forged, "203.0.113.5", "vera@acme.test").await;
    assert_eq!(o["outcome"], "threaded", "{o}");
    assert!(o["reason"].as_str().unwrap().contains("not authenticated"), "{o}");
    let last = comments_of(&app, id).await.pop().unwrap();
    assert_eq!(last["public"], false, "never a public reply: {last}");
    assert_ne!(last["author_id"], vera, "never written as the agent: {last}");
    assert!(last["body"].as_str().unwrap().contains("Unverified sender"), "{last}");
    // The same forgery naming no ticket makes nothing and is kept for an admin.
    let o = deliver_from(
        &app,
        &mail("vera@acme.test", "help@acme.test", "Wire the money", ""),
        "203.0.113.5",
        "vera@acme.test",
    )
    .await;
    assert_eq!((o["outcome"].as_str(), o["ticket_id"].as_i64()), (Some("held"), None), "{o}");
    // Two From headers (a domain that passes its checks shown first, the agent second) are held.
    let evil_key = dkim_key(&app, "evil.test");
    let two = format!(
        "From: x@evil.test\r\n{}",
        mail("Vera Agent <vera@acme.test>", "help@acme.test", "Re: Refund", "In-Reply-To: <refund-1@cliente.test>\r\n")
    );
    let o = deliver_from(&app, &signed(evil_key, "evil.test", &two), "203.0.113.5", "x@evil.test").await;
    assert_eq!(o["outcome"], "held", "{o}");
    assert!(o["reason"].as_str().unwrap().contains("more than one From"), "{o}");
    // Signed, but by another domain's key: not aligned with the agent's, so not hers.
    let other = signed(
        dkim_key(&app, "other.test"),
        "other.test",
        &mail("vera@acme.test", "help@acme.test", "Re: Refund", "In-Reply-To: <refund-1@cliente.test>\r\n"),
    );
    let o = deliver_from(&app, &other, "203.0.113.5", "bounce@other.test").await;
    assert_eq!(o["outcome"], "threaded", "{o}");
    assert_eq!(comments_of(&app, id).await.pop().unwrap()["public"], false);
    // An address on our own domain that is nobody's is no better.
    let o = deliver_from(&app, &mail("ceo@acme.test", "help@acme.test", "Urgent", ""), "203.0.113.5", "ceo@acme.test")
        .await;
    assert_eq!(o["outcome"], "held", "{o}");

    // Signed by the domain's key: her reply, public, as her.
    let genuine = signed(
        key,
        "acme.test",
        &mail("Vera Agent <vera@acme.test>", "help@acme.test", &format!("Re: [#{id}] Refund"), ""),
    );
    let o = deliver_from(&app, &genuine, "198.51.100.1", "bounce@esp.test").await;
    assert_eq!(o["outcome"], "threaded", "{o}");
    let last = comments_of(&app, id).await.pop().unwrap();
    assert_eq!((last["public"].as_bool(), last["author_id"].as_i64()), (Some(true), Some(vera)), "{last}");
    // Unsigned but from the domain's own server (SPF aligned): hers too.
    let o = deliver_from(
        &app,
        &mail("vera@acme.test", "help@acme.test", &format!("Re: [#{id}] again"), ""),
        "192.0.2.10",
        "vera@acme.test",
    )
    .await;
    assert_eq!(o["outcome"], "threaded", "{o}");
    assert_eq!(comments_of(&app, id).await.pop().unwrap()["author_id"], vera);

    // A customer whose domain says "reject" on failure: a forgery is held, not taken.
    let o = deliver_from(
        &app,
        &mail("boss@strict.test", "help@acme.test", "Invoice", ""),
        "203.0.113.5",
        "boss@strict.test",
    )
    .await;
    assert_eq!(o["outcome"], "held", "{o}");
    // A customer whose domain publishes nothing is taken as ever.
    let o = deliver_from(&app, &mail("ana@plain.test", "help@acme.test", "Hello", ""), "203.0.113.5", "ana@plain.test")
        .await;
    assert_eq!(o["outcome"], "created", "{o}");

    // Each verdict is recorded with its message, for an admin to see.
    let list = app.get("/api/v2/inbound_emails").await;
    let text = list.body.to_string();
    assert!(text.contains("\"dkim\":\"pass\"") && text.contains("\"spf\":\"fail\""), "{text}");
}

#[tokio::test]
async fn one_sender_makes_at_most_so_many_tickets_by_mail_and_subjects_stay_one_line() {
    let app = TestApp::spawn().await;
    app.post("/api/v2/recipient_addresses", json!({"recipient_address": {"email": "help@acme.test"}})).await;
    let limit = frontdesk_server::app::email::TICKETS_PER_SENDER_HOUR;
    for i in 0..limit + 5 {
        let o =
            deliver(&app, &mail("flood@x.test", "help@acme.test", &format!("Spam {i}"), ""), "help@acme.test").await;
        let expected = if i < limit { "created" } else { "held" };
        assert_eq!(o["outcome"], expected, "message {i}: {o}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, limit);
    // An hour later the sender is heard again; another sender never waited.
    let o = deliver(&app, &mail("calm@x.test", "help@acme.test", "Hello", ""), "help@acme.test").await;
    assert_eq!(o["outcome"], "created", "{o}");
    app.clock.advance_secs(3601);
    let o = deliver(&app, &mail("flood@x.test", "help@acme.test", "Later", ""), "help@acme.test").await;
    assert_eq!(o["outcome"], "created", "{o}");

    // An encoded CR LF in a subject is a space, never a line of its own.
    let subject = "=?UTF-8?B?SGVsbG8NCkJjYzogZXZpbEB4LnRlc3Q=?=";
    let o = deliver(&app, &mail("ana@x.test", "help@acme.test", subject, ""), "help@acme.test").await;
    let t = app.get(&format!("/api/v2/tickets/{}", o["ticket_id"])).await.body["ticket"].clone();
    assert_eq!(t["subject"], "Hello  Bcc: evil@x.test", "{t}");
}

#[tokio::test]
async fn look_alike_addresses_are_one_customer_or_refused() {
    let app = TestApp::spawn().await;
    let r = app.post("/api/v2/users", json!({"user": {"name": "Ana", "email": "ana@example.com"}})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    // Full-width letters are the same address: a duplicate, not a second account.
    let r = app.post("/api/v2/users", json!({"user": {"name": "Ana 2", "email": "ＡＮＡ@example.com"}})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // A zero-width space is refused with a clear reason.
    let r = app.post("/api/v2/users", json!({"user": {"name": "Ana 3", "email": "an\u{200B}a@example.com"}})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.to_string().contains("invisible character"), "{}", r.body);
    // A local part mixing Latin and Cyrillic is taken, and tagged for the team to see.
    let r = app.post("/api/v2/users", json!({"user": {"name": "Pay", "email": "p\u{0430}ypal@example.com"}})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.body["user"]["tags"].to_string().contains("mixed_script_address"), "{}", r.body);
}

#[tokio::test]
async fn uploads_keep_to_their_limit_quota_and_rate() {
    let app = TestApp::spawn_with(TestDb::new().await, |c| {
        c.upload_limit = Some(64 * 1024);
        c.upload_quota = 200 * 1024;
        c.upload_rate = 8;
    })
    .await;
    let (_, token) = app.user("Eve", "eve@example.com", Role::EndUser).await;
    let upload = |bytes: Vec<u8>, stated: bool| {
        let mut req = app
            .http
            .post(app.url("/api/v2/uploads?filename=a.bin"))
            .basic_auth("eve@example.com/token", Some(&token))
            .header("content-type", "application/binary");
        req = if stated {
            req.body(bytes)
        } else {
            // No length said up front: the server must stop reading at the limit itself.
            let chunks = bytes.chunks(8 * 1024).map(|c| Ok::<_, std::io::Error>(c.to_vec())).collect::<Vec<_>>();
            req.body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        };
        async move { into_resp(req.send().await.unwrap()).await }
    };
    // Over the per-file limit: 413, whether the length is said or only streamed.
    let r = upload(vec![7; 65 * 1024], true).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    let r = upload(vec![7; 65 * 1024], false).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    // Within it: taken, until the day's quota (200 KiB) would be passed.
    for i in 0..3 {
        let r = upload(vec![i; 60 * 1024], true).await;
        assert_eq!(r.status, StatusCode::CREATED, "upload {i}: {}", r.body);
    }
    let r = upload(vec![9; 60 * 1024], true).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(r.body["error"], "UploadQuotaReached", "{}", r.body);
    // A day later the quota is free again; the per-minute rate (8 with the refused ones) still holds.
    app.clock.advance_secs(86_401);
    let r = upload(vec![1; 1024], true).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let mut statuses = Vec::new();
    for _ in 0..9 {
        statuses.push(upload(vec![1; 10], true).await.status.as_u16());
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM attachments WHERE size > 65536").await, 0);
}

#[tokio::test]
async fn a_slow_send_keeps_its_lease_and_is_made_once() {
    // Jobs lease for 600 ms; the receiver takes 2.5 s to answer.
    let app = TestApp::spawn_with(TestDb::new().await, |c| {
        c.webhook_allow_private = true;
        c.job_lease_ms = 600;
        c.job_workers = 2;
    })
    .await;
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = calls.clone();
    let slow = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let seen = seen.clone();
            async move {
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, slow).await.unwrap() });
    let r = app.post("/api/v2/webhooks", json!({"webhook": {"name": "Slow CRM", "endpoint": url}})).await;
    let hook = r.body["webhook"]["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            "/api/v2/triggers",
            json!({"trigger": {"title": "Tell the slow CRM", "all": [{"field": "update_type", "operator": "is", "value": "Create"}],
                "actions": [{"field": "notification_webhook", "value": [hook, "{\"ticket\": {{ticket.id}}}"]}]}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    app.ticket(json!({"subject": "slow", "comment": {"body": "b"}})).await;
    // The job completes once; by then a worker that could take an expired lease had every chance.
    for _ in 0..200 {
        if app.count("SELECT COUNT(*) FROM jobs WHERE kind = 'webhook' AND state = 'completed'").await == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM jobs WHERE kind = 'webhook' AND state = 'completed'").await, 1);
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1, "the receiver was called once");
}
