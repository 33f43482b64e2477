//! Business rules through the API: triggers on create and update (changes, comment words,
//! loops stopped and recorded), macros previewed without changing anything, automations
//! driven by the test clock, webhooks delivered signed to a real receiver, round-robin
//! fairness, the simulator, and bad rules refused with the place named.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use frontdesk_domain::Role;

use crate::helpers::{TestApp, TestDb};

async fn group_with(app: &TestApp, name: &str, agents: &[i64]) -> i64 {
    let g = app.post("/api/v2/groups", json!({"group": {"name": name}})).await.body["group"]["id"].as_i64().unwrap();
    for a in agents {
        let r = app.post("/api/v2/group_memberships", json!({"group_membership": {"user_id": a, "group_id": g}})).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    g
}

async fn rule(app: &TestApp, kind: &str, body: Value) -> i64 {
    let r = app.post(&format!("/api/v2/{kind}s"), json!({ kind: body })).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body[kind]["id"].as_i64().unwrap()
}

async fn audits(app: &TestApp, id: i64) -> Vec<Value> {
    app.get(&format!("/api/v2/tickets/{id}/audits")).await.body["audits"].as_array().unwrap().clone()
}

#[tokio::test]
async fn triggers_run_on_create_and_update_in_order_and_record_themselves() {
    let app = TestApp::spawn().await;
    let (agent, _) = app.user("Bruna Agente", "bruna@example.com", Role::Agent).await;
    let urgent = group_with(&app, "Urgentes", &[agent]).await;
    let escalate = rule(
        &app,
        "trigger",
        json!({"title": "Urgent to the urgent group", "conditions": {"all": [
            {"field": "update_type", "operator": "is", "value": "Create"},
            {"field": "priority", "operator": "is", "value": "urgent"}]},
            "actions": [{"field": "group_id", "value": urgent.to_string()}, {"field": "current_tags", "value": "escalated"}]}),
    )
    .await;
    // Fires after the first one (it tests the tag the first one adds).
    let notify = rule(
        &app,
        "trigger",
        json!({"title": "Tell the requester", "all": [{"field": "current_tags", "operator": "includes", "value": "escalated"},
            {"field": "update_type", "operator": "is", "value": "Create"}],
            "actions": [{"field": "comment_value", "value": "Olá {{ticket.requester.first_name}}, o chamado #{{ticket.id}} é urgente."},
                        {"field": "comment_mode_is_public", "value": "true"}]}),
    )
    .await;
    let thanks = rule(
        &app,
        "trigger",
        json!({"title": "Solved on thanks", "all": [
            {"field": "update_type", "operator": "is", "value": "Change"},
            {"field": "comment_includes_word", "operator": "includes", "value": "obrigado thanks"},
            {"field": "status", "operator": "is", "value": "pending"}],
            "actions": [{"field": "status", "value": "solved"}, {"field": "assignee_id", "value": agent.to_string()}]}),
    )
    .await;

    let t = app
        .ticket(json!({"subject": "Servidor fora", "comment": {"body": "caiu"}, "priority": "urgent",
            "requester": {"name": "<i>Carla</i> Souza", "email": "carla@cliente.com"}}))
        .await;
    let id = t["id"].as_i64().unwrap();
    // The create's answer already shows what the triggers did.
    assert_eq!(t["group_id"], urgent, "{t}");
    assert!(t["tags"].as_array().unwrap().contains(&json!("escalated")));
    let comments = app.get(&format!("/api/v2/tickets/{id}/comments")).await.body["comments"].clone();
    let last = comments.as_array().unwrap().last().unwrap().clone();
    // The placeholder's value is escaped: the name's markup is text, not HTML.
    assert_eq!(last["plain_body"], format!("Olá <i>Carla</i>, o chamado #{id} é urgente."), "{last}");
    assert!(last["html_body"].as_str().unwrap().contains("&lt;i&gt;Carla&lt;/i&gt;"), "escaped: {last}");
    let by_rule: Vec<Value> = audits(&app, id).await.into_iter().filter(|a| a["via"]["channel"] == "rule").collect();
    assert_eq!(by_rule.len(), 2, "one audit per firing");
    assert_eq!(by_rule[0]["via"]["source"]["from"]["id"], escalate);
    assert_eq!(by_rule[0]["via"]["source"]["rel"], "trigger");
    assert_eq!(by_rule[1]["via"]["source"]["from"]["id"], notify);

    // An update: thanks while pending solves it; not while open.
    let r =
        app.put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"comment": {"body": "Muito obrigado!"}}})).await;
    assert_eq!(r.body["ticket"]["status"], "new", "status was not pending before");
    app.put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"status": "pending", "assignee_id": agent}})).await;
    let r = app
        .put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"comment": {"body": "Resolvido, obrigado!"}}}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let now = app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"].clone();
    assert_eq!(now["status"], "solved");
    let last = audits(&app, id).await.pop().unwrap();
    assert_eq!(last["via"]["source"]["from"]["id"], thanks);

    // The simulator: the trace names each condition's answer; matches lists the tickets.
    let trace = app.get(&format!("/api/v2/tickets/{id}/rules_trace")).await;
    assert_eq!(trace.status, 200, "{}", trace.body);
    let first = trace.body["rules"].as_array().unwrap().iter().find(|r| r["id"] == escalate).unwrap().clone();
    assert_eq!(first["matches"], false, "an update is not a create");
    assert_eq!(first["conditions"][1]["holds"], true, "priority is urgent");
    let m = app.get(&format!("/api/v2/triggers/{escalate}/matches")).await;
    assert_eq!(m.status, 200, "{}", m.body);
    assert_eq!(m.body["count"], 1);
    assert_eq!(m.body["tickets"][0]["id"], id);
}

#[tokio::test]
async fn triggers_that_undo_each_other_run_once_each_and_the_loop_is_recorded() {
    let app = TestApp::spawn().await;
    rule(
        &app,
        "trigger",
        json!({"title": "Add x", "all": [{"field": "current_tags", "operator": "not_includes", "value": "x"}],
        "actions": [{"field": "current_tags", "value": "x"}]}),
    )
    .await;
    rule(
        &app,
        "trigger",
        json!({"title": "Remove x", "all": [{"field": "current_tags", "operator": "includes", "value": "x"}],
        "actions": [{"field": "remove_tags", "value": "x"}]}),
    )
    .await;
    let t = app.ticket(json!({"subject": "loop", "comment": {"body": "b"}})).await;
    let id = t["id"].as_i64().unwrap();
    let all = audits(&app, id).await;
    let loops: Vec<&Value> =
        all.iter().flat_map(|a| a["events"].as_array().unwrap()).filter(|e| e["type"] == "RuleLoop").collect();
    assert_eq!(loops.len(), 1, "{all:?}");
    assert_eq!(loops[0]["rule_ids"].as_array().unwrap().len(), 1);
    // Both only set tags, so they shaped the ticket before it was written: their changes are
    // events of the create's own audit, each naming its rule.
    let by_rule: Vec<&Value> =
        all[0]["events"].as_array().unwrap().iter().filter(|e| e["via"]["channel"] == "rule").collect();
    assert_eq!(by_rule.len(), 2, "{all:?}");
    assert_eq!(by_rule[0]["field_name"], "tags");
    assert_eq!(by_rule[0]["value"], json!(["x"]));
    assert_eq!(all.iter().filter(|a| a["via"]["channel"] == "rule").count(), 1, "the note");
    assert_eq!(app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"]["tags"], json!([]));
}

#[tokio::test]
async fn macros_preview_without_changing_the_ticket() {
    let app = TestApp::spawn().await;
    let m = rule(
        &app,
        "macro",
        json!({"title": "Close politely", "actions": [
            {"field": "status", "value": "solved"},
            {"field": "current_tags", "value": "polite"},
            {"field": "comment_value", "value": "Obrigado, {{ticket.requester.first_name}}! — {{current_user.name}}"}]}),
    )
    .await;
    let t = app.ticket(json!({"subject": "Dúvida", "comment": {"body": "?"}, "requester": {"name": "Davi Lima", "email": "davi@cliente.com"}})).await;
    let id = t["id"].as_i64().unwrap();
    let r = app.get(&format!("/api/v2/tickets/{id}/macros/{m}/apply")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let preview = &r.body["result"]["ticket"];
    assert_eq!(preview["status"], "solved");
    assert!(preview["tags"].as_array().unwrap().contains(&json!("polite")));
    assert_eq!(preview["comment"]["body"], "Obrigado, Davi! — Ana Admin");
    let after = app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"].clone();
    assert_eq!(after["status"], "new", "the preview changed nothing");
    assert_eq!(after["tags"], json!([]));
    assert_eq!(audits(&app, id).await.len(), 1);
    let alone = app.get(&format!("/api/v2/macros/{m}/apply")).await;
    assert_eq!(alone.body["result"]["ticket"]["status"], "solved");
    assert_eq!(app.get("/api/v2/macros/active").await.body["macros"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn automations_act_once_per_matching_period_on_the_test_clock() {
    let app = TestApp::spawn_with(TestDb::new().await, |c| c.automation_interval = 0).await;
    let (agent, _) = app.user("Caio", "caio@example.com", Role::Agent).await;
    let a = rule(
        &app,
        "automation",
        json!({"title": "Close pending after 2 days", "all": [{"field": "PENDING", "operator": "greater_than", "value": "48"}],
            "actions": [{"field": "status", "value": "solved"}, {"field": "current_tags", "value": "auto_closed"}]}),
    )
    .await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let t = app.ticket(json!({"subject": format!("p{i}"), "comment": {"body": "b"}, "status": "pending", "assignee_id": agent})).await;
        ids.push(t["id"].as_i64().unwrap());
    }
    let pass = async || frontdesk_server::app::rules::run_automations(&app.state).await.unwrap();
    assert_eq!(pass().await.acted, 0, "not pending long enough");
    app.clock.advance_secs(47 * 3600);
    app.put(&format!("/api/v2/tickets/{}", ids[2]), json!({"ticket": {"status": "open"}})).await;
    app.put(&format!("/api/v2/tickets/{}", ids[2]), json!({"ticket": {"status": "pending"}})).await;
    app.clock.advance_secs(2 * 3600);
    let r = pass().await;
    assert_eq!((r.matched, r.acted), (2, 2));
    for id in &ids[..2] {
        let t = app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"].clone();
        assert_eq!(t["status"], "solved");
        assert_eq!(audits(&app, *id).await.last().unwrap()["via"]["source"]["from"]["id"], a);
    }
    assert_eq!(app.get(&format!("/api/v2/tickets/{}", ids[2])).await.body["ticket"]["status"], "pending");
    assert_eq!(pass().await.acted, 0, "nothing is done twice");
    app.clock.advance_secs(48 * 3600);
    assert_eq!(pass().await.acted, 1, "the third one's time came");

    // An automation whose actions would not stop it matching is refused.
    let r = app
        .post("/api/v2/automations", json!({"automation": {"title": "Forever", "all": [{"field": "PENDING", "operator": "greater_than", "value": "1"}],
            "actions": [{"field": "priority", "value": "high"}]}}))
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.to_string().contains("must change something its conditions test"), "{}", r.body);
}

#[tokio::test]
async fn round_robin_shares_100_tickets_fairly_and_says_why() {
    let app = TestApp::spawn().await;
    let mut agents = Vec::new();
    for i in 0..3 {
        agents.push(app.user(&format!("Agente {i}"), &format!("rr{i}@example.com"), Role::Agent).await.0);
    }
    let g = group_with(&app, "Fila", &agents).await;
    rule(
        &app,
        "trigger",
        json!({"title": "Share", "all": [{"field": "update_type", "operator": "is", "value": "Create"}],
        "actions": [{"field": "assign_within_group", "value": [g.to_string(), "round_robin"]}]}),
    )
    .await;
    let many: Vec<Value> = (0..100).map(|i| json!({"subject": format!("rr {i}"), "comment": {"body": "b"}})).collect();
    let r = app.post("/api/v2/tickets/create_many", json!({"tickets": many})).await;
    app.wait_job(r.body["job_status"]["id"].as_str().unwrap()).await;
    let mut counts = Vec::new();
    for a in &agents {
        counts.push(app.count(&format!("SELECT COUNT(*) FROM tickets WHERE assignee_id = {a}")).await);
    }
    counts.sort();
    assert_eq!(counts, vec![33, 33, 34]);
    let events: Vec<Value> =
        audits(&app, 1).await.into_iter().flat_map(|a| a["events"].as_array().unwrap().clone()).collect();
    let reason = events.iter().find(|e| e["type"] == "AssignmentReason").expect("the reason is in the audit");
    assert!(reason["body"].as_str().unwrap().contains("round robin"), "{reason}");
}

/// What a receiver got: each request's headers and body.
type Received = Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>>;

/// A real HTTP receiver on a random port that keeps what it gets.
pub async fn receiver() -> (String, Received) {
    flaky_receiver(0).await
}

#[tokio::test]
async fn webhooks_are_delivered_signed_and_private_addresses_need_leave() {
    let app = TestApp::spawn_with(TestDb::new().await, |c| c.webhook_allow_private = true).await;
    let (url, got) = receiver().await;
    let r = app.post("/api/v2/webhooks", json!({"webhook": {"name": "CRM", "endpoint": url}})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let hook: i64 = r.body["webhook"]["id"].as_str().unwrap().parse().unwrap();
    let secret = app.get(&format!("/api/v2/webhooks/{hook}/signing_secret")).await.body["signing_secret"]["secret"]
        .as_str()
        .unwrap()
        .to_string();
    rule(&app, "trigger", json!({"title": "Tell the CRM", "all": [{"field": "update_type", "operator": "is", "value": "Create"}],
        "actions": [{"field": "notification_webhook", "value": [hook.to_string(), "{\"ticket\": {{ticket.id}}, \"subject\": \"{{ticket.subject}}\"}"]}]}))
    .await;
    let t = app.ticket(json!({"subject": "Pedido", "comment": {"body": "b"}})).await;
    let id = t["id"].as_i64().unwrap();
    let mut waited = 0;
    while got.lock().unwrap().is_empty() && waited < 100 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
    }
    let (headers, body) = got.lock().unwrap()[0].clone();
    assert_eq!(body, format!("{{\"ticket\": {id}, \"subject\": \"Pedido\"}}"));
    let ts = headers["x-zendesk-webhook-signature-timestamp"].to_str().unwrap();
    let sig = headers["x-zendesk-webhook-signature"].to_str().unwrap();
    // Verified the way a receiver does, with the secret from the API.
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{ts}{body}").as_bytes());
    let expected = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, mac.finalize().into_bytes());
    assert_eq!(sig, expected);

    // Without the operator's leave, loopback and private addresses are refused.
    let local = reqwest::Url::parse(&url).unwrap();
    let e = frontdesk_server::webhooks::resolve(&local, false).await.unwrap_err();
    assert!(e.contains("refused"), "{e}");
    for private in ["http://10.1.2.3/x", "http://192.168.0.1/x", "http://[::1]/x", "http://169.254.169.254/latest"] {
        assert!(
            frontdesk_server::webhooks::resolve(&reqwest::Url::parse(private).unwrap(), false).await.is_err(),
            "{private}"
        );
    }
    let bad = app.post("/api/v2/webhooks", json!({"webhook": {"name": "x", "endpoint": "ftp://example.com/x"}})).await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.to_string().contains("must be http or https"), "{}", bad.body);
}

#[tokio::test]
async fn bad_rules_name_the_problem_and_save_nothing() {
    let app = TestApp::spawn().await;
    for (kind, body, needle) in [
        (
            "trigger",
            json!({"title": "x", "all": [{"field": "group_id", "operator": "is", "value": "999"}], "actions": [{"field": "status", "value": "open"}]}),
            "conditions.all[0]: group 999 does not exist",
        ),
        (
            "trigger",
            json!({"title": "x", "all": [{"field": "status", "operator": "includes_sometimes", "value": "open"}], "actions": [{"field": "status", "value": "open"}]}),
            "conditions.all[0]: operator",
        ),
        (
            "trigger",
            json!({"title": "x", "all": [{"field": "status", "operator": "is", "value": "open"}], "actions": [{"field": "group_id", "value": "999"}]}),
            "actions[0]: group 999 does not exist",
        ),
        (
            "trigger",
            json!({"title": "x", "all": [{"field": "status", "operator": "is", "value": "open"}], "actions": [{"field": "custom_status_id", "value": "999"}]}),
            "actions[0]: custom status 999 does not exist",
        ),
        (
            "trigger",
            json!({"title": "x", "all": [{"field": "status", "operator": "is", "value": "open"}], "actions": [{"field": "custom_fields_999", "value": "a"}]}),
            "actions[0]:",
        ),
        (
            "trigger",
            json!({"title": "x", "all": [{"field": "status", "operator": "is", "value": "open"}], "actions": [{"field": "paint", "value": "red"}]}),
            "unknown action field \"paint\"",
        ),
        (
            "trigger",
            json!({"title": "x", "all": [{"field": "status", "operator": "is", "value": "open"}], "actions": []}),
            "needs at least one action",
        ),
        (
            "automation",
            json!({"title": "x", "all": [{"field": "status", "operator": "is", "value": "pending"}], "actions": [{"field": "status", "value": "solved"}]}),
            "time-based condition",
        ),
        (
            "automation",
            json!({"title": "x", "all": [{"field": "PENDING", "operator": "greater_than", "value": "2"}, {"field": "update_type", "operator": "is", "value": "Change"}], "actions": [{"field": "status", "value": "solved"}]}),
            "conditions.all[1]: update_type",
        ),
        (
            "macro",
            json!({"title": "x", "all": [{"field": "status", "operator": "is", "value": "open"}], "actions": [{"field": "status", "value": "solved"}]}),
            "a macro has no conditions",
        ),
    ] {
        let r = app.post(&format!("/api/v2/{kind}s"), json!({ kind: body })).await;
        assert_eq!(r.status, 422, "{kind} {body}: {}", r.body);
        let text = r.body.to_string().replace("\\\"", "\"");
        assert!(text.contains(needle), "{needle}: {text}");
    }
    for kind in ["triggers", "automations", "macros"] {
        assert_eq!(app.get(&format!("/api/v2/{kind}")).await.body[kind].as_array().unwrap().len(), 0, "nothing saved");
    }
    // Agents read rules but do not write them.
    let (_, token) = app.user("Agente", "agente@example.com", Role::Agent).await;
    let r = app
        .req_as("agente@example.com", &token, reqwest::Method::POST, "/api/v2/triggers",
            Some(json!({"trigger": {"title": "x", "all": [{"field": "status", "operator": "is", "value": "open"}], "actions": [{"field": "status", "value": "pending"}]}})))
        .await;
    assert_eq!(r.status, 403);
}

/// A real receiver that answers 500 to its first `fail` requests, then 200, keeping them all.
async fn flaky_receiver(fail: usize) -> (String, Received) {
    let got: Received = Arc::default();
    let keep = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let keep = keep.clone();
            async move {
                let mut k = keep.lock().unwrap();
                k.push((headers, body));
                if k.len() <= fail { axum::http::StatusCode::INTERNAL_SERVER_ERROR } else { axum::http::StatusCode::OK }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), got)
}

async fn hook_on_create(app: &TestApp, url: &str) {
    let r = app.post("/api/v2/webhooks", json!({"webhook": {"name": "CRM", "endpoint": url}})).await;
    let hook = r.body["webhook"]["id"].as_str().unwrap().to_string();
    rule(
        app,
        "trigger",
        json!({"title": "Tell the CRM", "all": [{"field": "update_type", "operator": "is", "value": "Create"}],
        "actions": [{"field": "notification_webhook", "value": [hook, "{\"ticket\": {{ticket.id}}}"]}]}),
    )
    .await;
}

async fn wait_for(got: &Received, n: usize) {
    for _ in 0..200 {
        if got.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_failing_receiver_gets_retries_with_the_same_delivery_id() {
    let app = TestApp::spawn_with(TestDb::new().await, |c| c.webhook_allow_private = true).await;
    let (url, got) = flaky_receiver(2).await;
    hook_on_create(&app, &url).await;
    app.ticket(json!({"subject": "retry", "comment": {"body": "b"}})).await;
    wait_for(&got, 1).await;
    // Backoff is on the server's clock: move it past each retry's time.
    for n in 2..=3 {
        app.clock.advance_secs(60);
        wait_for(&got, n).await;
    }
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 3, "two failures, then delivered");
    let ids: Vec<&str> = got.iter().map(|(h, _)| h["x-frontdesk-delivery"].to_str().unwrap()).collect();
    assert!(ids.iter().all(|i| *i == ids[0]), "one delivery id across retries: {ids:?}");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM jobs WHERE kind = 'webhook' AND state = 'completed'").await, 1);
}

#[tokio::test]
async fn two_servers_on_one_database_deliver_each_webhook_once() {
    let a = TestApp::spawn_with(TestDb::new().await, |c| {
        c.webhook_allow_private = true;
        c.job_workers = 3;
    })
    .await;
    let b = TestApp::spawn_with(a.db.shared(), |c| {
        c.webhook_allow_private = true;
        c.job_workers = 3;
    })
    .await;
    let (url, got) = receiver().await;
    hook_on_create(&a, &url).await;
    // Creates through both servers; both servers' workers take jobs from the one table.
    for i in 0..20 {
        let app = if i % 2 == 0 { &a } else { &b };
        app.ticket(json!({"subject": format!("two {i}"), "comment": {"body": "b"}})).await;
    }
    wait_for(&got, 20).await;
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let got = got.lock().unwrap().clone();
    let mut ids: Vec<String> =
        got.iter().map(|(h, _)| h["x-frontdesk-delivery"].to_str().unwrap().to_string()).collect();
    assert_eq!(ids.len(), 20, "none lost, none twice");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20);
    let mut bodies: Vec<String> = got.iter().map(|(_, b)| b.clone()).collect();
    bodies.sort();
    bodies.dedup();
    assert_eq!(bodies.len(), 20, "each ticket's call once");
    drop(b);
}

#[tokio::test]
async fn triggers_test_the_requesters_and_organizations_custom_fields() {
    let app = TestApp::spawn().await;
    let r = app
        .post("/api/v2/user_fields", json!({"user_field": {"type": "tagger", "title": "Plan", "key": "plan",
            "custom_field_options": [{"name": "Free", "value": "free"}, {"name": "Enterprise", "value": "enterprise"}]}}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = app
        .post(
            "/api/v2/organization_fields",
            json!({"organization_field": {"type": "checkbox", "title": "Strategic", "key": "strategic"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let org = app
        .post(
            "/api/v2/organizations",
            json!({"organization": {"name": "Acme", "organization_fields": {"strategic": true}}}),
        )
        .await
        .body["organization"]["id"]
        .as_i64()
        .unwrap();
    let big = app
        .post("/api/v2/users", json!({"user": {"name": "Eva", "email": "eva@acme.com", "organization_id": org, "user_fields": {"plan": "enterprise"}}}))
        .await
        .body["user"]["id"]
        .as_i64()
        .unwrap();
    let small = app
        .post(
            "/api/v2/users",
            json!({"user": {"name": "Fabio", "email": "fabio@free.com", "user_fields": {"plan": "free"}}}),
        )
        .await
        .body["user"]["id"]
        .as_i64()
        .unwrap();
    rule(&app, "trigger", json!({"title": "Enterprise requester", "all": [{"field": "requester.custom_fields.plan", "operator": "is", "value": "enterprise"}],
        "actions": [{"field": "priority", "value": "high"}]}))
    .await;
    rule(&app, "trigger", json!({"title": "Strategic organization", "all": [{"field": "organization.custom_fields.strategic", "operator": "is", "value": "true"}],
        "actions": [{"field": "current_tags", "value": "strategic"}]}))
    .await;
    let t = app.ticket(json!({"subject": "big", "comment": {"body": "b"}, "requester_id": big})).await;
    assert_eq!(t["priority"], "high", "{t}");
    assert_eq!(t["tags"], json!(["strategic"]));
    let t = app.ticket(json!({"subject": "small", "comment": {"body": "b"}, "requester_id": small})).await;
    assert_eq!(t["priority"], Value::Null);
    assert_eq!(t["tags"], json!([]));
    let r = app
        .post("/api/v2/triggers", json!({"trigger": {"title": "x", "all": [{"field": "requester.custom_fields.colour", "operator": "is", "value": "red"}],
            "actions": [{"field": "priority", "value": "high"}]}}))
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.to_string().contains("requester.custom_fields.colour"), "{}", r.body);
}

#[tokio::test]
async fn trigger_categories_hold_triggers() {
    let app = TestApp::spawn().await;
    let r = app
        .post("/api/v2/trigger_categories", json!({"trigger_category": {"name": "Notificações", "position": 1}}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let cat = r.body["trigger_category"]["id"].as_str().unwrap().to_string();
    let t = rule(&app, "trigger", json!({"title": "In a category", "category_id": cat,
        "all": [{"field": "status", "operator": "is", "value": "new"}], "actions": [{"field": "priority", "value": "low"}]}))
    .await;
    assert_eq!(app.get(&format!("/api/v2/triggers/{t}")).await.body["trigger"]["category_id"], cat);
    assert_eq!(app.get("/api/v2/trigger_categories").await.body["trigger_categories"][0]["name"], "Notificações");
    let r = app.delete(&format!("/api/v2/trigger_categories/{cat}")).await;
    assert_eq!(r.status, 422, "a category with triggers stays: {}", r.body);
    let r = app
        .post("/api/v2/triggers", json!({"trigger": {"title": "x", "category_id": "999",
            "all": [{"field": "status", "operator": "is", "value": "new"}], "actions": [{"field": "priority", "value": "low"}]}}))
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.to_string().contains("trigger category 999 does not exist"), "{}", r.body);
    app.delete(&format!("/api/v2/triggers/{t}")).await;
    assert_eq!(app.delete(&format!("/api/v2/trigger_categories/{cat}")).await.status, 204);
}

#[tokio::test]
async fn triggers_route_by_the_address_a_ticket_was_received_at_and_its_brand() {
    let app = TestApp::spawn().await;
    rule(&app, "trigger", json!({"title": "Billing inbox", "all": [{"field": "recipient", "operator": "is", "value": "Billing@Example.com"}],
        "actions": [{"field": "current_tags", "value": "billing_inbox"}]}))
    .await;
    rule(&app, "trigger", json!({"title": "No brand", "all": [{"field": "brand_id", "operator": "is", "value": ""}, {"field": "update_type", "operator": "is", "value": "Create"}],
        "actions": [{"field": "current_tags", "value": "unbranded"}]}))
    .await;
    let billed =
        app.ticket(json!({"subject": "fatura", "comment": {"body": "b"}, "recipient": "billing@example.com"})).await;
    assert_eq!(billed["tags"], json!(["billing_inbox", "unbranded"]), "{billed}");
    let other = app
        .ticket(json!({"subject": "outro", "comment": {"body": "b"}, "recipient": "help@example.com", "brand_id": 7}))
        .await;
    assert_eq!(other["tags"], json!([]), "{other}");
    // The same fields in the search language.
    let r = app.get("/api/v2/search.json?query=recipient%3Abilling%40example.com").await;
    assert_eq!(r.body["count"], 1, "{}", r.body);
    let r = app.get("/api/v2/search.json?query=brand%3A7").await;
    assert_eq!(r.body["results"][0]["id"], other["id"]);
}

/// The default triggers (acknowledgement, assignment notice) join the create: their events go
/// into the create's own audit, each naming its rule in Zendesk's `via`, and their mails are
/// jobs enqueued with the create — one by one and in a `create_many` batch alike. A trigger that
/// changes the ticket after it is written makes its own audit, whose every event names it too.
#[tokio::test]
async fn the_default_triggers_join_the_create_and_each_rule_event_names_its_rule_in_via() {
    let app = TestApp::spawn().await;
    app.first_run_defaults(frontdesk_domain::Locale::EnUs).await;
    let triggers = app.get("/api/v2/triggers").await.body["triggers"].clone();
    let (ack, assigned) = (triggers[0]["id"].as_i64().unwrap(), triggers[1]["id"].as_i64().unwrap());
    let (agent, _) = app.user("Ana Agente", "ana@example.com", Role::Agent).await;
    let open = rule(
        &app,
        "trigger",
        json!({"title": "Urgent waits for the customer", "conditions": {"all": [
            {"field": "update_type", "operator": "is", "value": "Create"},
            {"field": "priority", "operator": "is", "value": "urgent"}]},
            "actions": [{"field": "status", "value": "pending"}]}),
    )
    .await;

    let t = app
        .ticket(json!({"subject": "Printer", "priority": "urgent", "assignee_id": agent, "comment": {"body": "Help"},
            "requester": {"name": "Carla Cliente", "email": "carla@example.com"}}))
        .await;
    let id = t["id"].as_i64().unwrap();
    assert_eq!(t["status"], "pending");
    let list = audits(&app, id).await;
    assert_eq!(list.len(), 2, "the create, then the status trigger's own audit: {list:#?}");
    let rule_of = |e: &Value| e["via"]["source"]["from"]["id"].as_i64();
    let notices: Vec<&Value> =
        list[0]["events"].as_array().unwrap().iter().filter(|e| e["type"] == "Notification").collect();
    assert_eq!(notices.iter().map(|e| rule_of(e)).collect::<Vec<_>>(), [Some(ack), Some(assigned)], "{list:#?}");
    for e in &notices {
        assert_eq!(e["via"]["channel"], "rule");
        assert_eq!(e["via"]["source"]["rel"], "trigger");
        assert!(e["via"]["source"]["from"]["title"].is_string(), "{e}");
    }
    assert_eq!(list[1]["via"]["channel"], "rule");
    for e in list[1]["events"].as_array().unwrap() {
        assert_eq!(rule_of(e), Some(open), "{e}");
    }
    let notifications = |n| {
        format!(
            "SELECT COUNT(*) FROM jobs WHERE kind = 'notification' \
             AND (payload LIKE '%\"ticket_id\":{n},%' OR payload LIKE '%\"ticket_id\":{n}}}%')"
        )
    };
    assert_eq!(app.count(&notifications(id)).await, 2);

    // A batch: each ticket's acknowledgement joins its own create, one job each.
    let many = json!({"tickets": (0..3).map(|i| json!({"subject": format!("Batch {i}"), "comment": {"body": "x"},
        "requester": {"name": format!("Cliente {i}"), "email": format!("c{i}@example.com")}})).collect::<Vec<_>>()});
    let job =
        app.post("/api/v2/tickets/create_many", many).await.body["job_status"]["id"].as_str().unwrap().to_string();
    let done = app.wait_job(&job).await;
    for r in done["results"].as_array().unwrap() {
        let id = r["id"].as_i64().unwrap();
        let list = audits(&app, id).await;
        assert_eq!(list.len(), 1, "{list:#?}");
        let notices: Vec<&Value> =
            list[0]["events"].as_array().unwrap().iter().filter(|e| e["type"] == "Notification").collect();
        assert_eq!(notices.len(), 1, "{list:#?}");
        assert_eq!(rule_of(notices[0]), Some(ack));
        assert_eq!(app.count(&notifications(id)).await, 1);
    }
}
