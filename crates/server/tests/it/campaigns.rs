//! Proactive campaigns over the API, on both databases: the preview, skips and their reasons,
//! one ticket per customer (also across a `kill -9` of the server mid-send), triggers on the
//! campaign tag, the frequency cap, pause and resume, the capacity warning, the report and the
//! permission.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use frontdesk_domain::Role;

use crate::helpers::{TestApp, TestDb, make_user};

async fn customers(app: &TestApp, n: usize, plan: &str) -> Vec<i64> {
    let list: Vec<Value> = (0..n)
        .map(|i| {
            json!({"name": format!("Cliente {plan} {i}"), "email": format!("{plan}{i}@example.com"), "role": "end-user",
            "user_fields": {"plan": plan}})
        })
        .collect();
    let mut ids = Vec::new();
    for chunk in list.chunks(100) {
        let job = app.post("/api/v2/users/create_many", json!({"users": chunk})).await;
        let done = app.wait_job(job.body["job_status"]["id"].as_str().unwrap()).await;
        ids.extend(done["results"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()));
    }
    ids
}

async fn wait_done(app: &TestApp, id: i64) -> Value {
    for _ in 0..600 {
        let c = app.get(&format!("/api/v2/campaigns/{id}")).await.body["campaign"].clone();
        if c["state"] == "completed" || c["state"] == "failed" {
            return c;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("campaign {id} did not finish");
}

fn campaign(name: &str, query: &str) -> Value {
    json!({"campaign": {
        "name": name,
        "audience": {"query": query},
        "ticket": {"subject": "Your {{user.plan}} plan renews soon, {{user.first_name}}",
                   "comment": {"body": "Olá {{user.first_name}} ({{user.organization.name}}), **renove**!", "public": true},
                   "priority": "high", "tags": ["renewal"]},
    }})
}

#[tokio::test]
async fn a_campaign_reaches_each_customer_once_and_skips_the_rest_with_reasons() {
    let app = TestApp::spawn().await;
    app.post("/api/v2/user_fields", json!({"user_field": {"type": "text", "title": "Plan", "key": "plan"}})).await;
    app.post(
        "/api/v2/organization_fields",
        json!({"organization_field": {"type": "text", "title": "Tier", "key": "tier"}}),
    )
    .await;
    let org = app
        .post(
            "/api/v2/organizations",
            json!({"organization": {"name": "Petipet", "organization_fields": {"tier": "platinum"}}}),
        )
        .await
        .body["organization"]["id"]
        .as_i64()
        .unwrap();
    let ids = customers(&app, 5, "gold").await;
    for id in &ids {
        app.put(&format!("/api/v2/users/{id}"), json!({"user": {"organization_id": org}})).await;
    }
    let suspended = customers(&app, 1, "goldsusp").await[0];
    app.put(
        &format!("/api/v2/users/{suspended}"),
        json!({"user": {"suspended": true, "user_fields": {"plan": "gold"}}}),
    )
    .await;
    let opted = customers(&app, 1, "goldout").await[0];
    app.put(
        &format!("/api/v2/users/{opted}"),
        json!({"user": {"tags": ["campaign_opt_out"], "user_fields": {"plan": "gold"}}}),
    )
    .await;
    // A trigger on the campaign's tag.
    let trigger = json!({"trigger": {"title": "Proactive workflow",
        "all": [{"field": "update_type", "operator": "is", "value": "Create"},
                {"field": "current_tags", "operator": "includes", "value": "campaign_gold_renewals"}],
        "actions": [{"field": "current_tags", "value": "proactive"}]}});
    assert_eq!(app.post("/api/v2/triggers", trigger).await.status, 201);

    // The preview: counts, reasons, three tickets as customers get them; nothing made.
    let mut dry = campaign("Gold renewals", "plan:gold");
    dry["campaign"]["dry_run"] = json!(true);
    let p = app.post("/api/v2/campaigns", dry).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let p = &p.body["preview"];
    assert_eq!(p["tag"], "campaign_gold_renewals");
    assert_eq!((p["total"].as_i64(), p["sending"].as_i64(), p["skipped"].as_i64()), (Some(7), Some(5), Some(2)), "{p}");
    assert_eq!(p["skip_reasons"], json!({"opted_out": 1, "suspended": 1}));
    assert_eq!(p["samples"].as_array().unwrap().len(), 3);
    assert_eq!(p["samples"][0]["subject"], "Your gold plan renews soon, Cliente");
    assert!(p["samples"][0]["html_body"].as_str().unwrap().contains("(Petipet), <strong>renove</strong>"), "{p}");
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 0);
    // An organization's custom field finds its people too.
    let mut by_org = campaign("By tier", "tier:platinum");
    by_org["campaign"]["dry_run"] = json!(true);
    let p = app.post("/api/v2/campaigns", by_org).await;
    assert_eq!(p.body["preview"]["total"], 5, "{}", p.body);

    let r = app.post("/api/v2/campaigns", campaign("Gold renewals", "plan:gold")).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let id = r.body["campaign"]["id"].as_i64().unwrap();
    let c = wait_done(&app, id).await;
    assert_eq!(
        (c["created"].as_i64(), c["skipped"].as_i64(), c["failed"].as_i64()),
        (Some(5), Some(2), Some(0)),
        "{c}"
    );
    let found = app.get("/api/v2/search.json?query=tags%3Acampaign_gold_renewals").await.body;
    let tickets = found["results"].as_array().unwrap();
    assert_eq!(tickets.len(), 5);
    let mut requesters: Vec<i64> = tickets.iter().map(|t| t["requester_id"].as_i64().unwrap()).collect();
    requesters.sort();
    assert_eq!(requesters, ids, "one ticket for each customer");
    for t in tickets {
        assert_eq!(t["via"]["channel"], "campaign");
        assert_eq!(t["priority"], "high");
        let tags = t["tags"].as_array().unwrap();
        assert!(tags.contains(&json!("proactive")) && tags.contains(&json!("renewal")), "the trigger fired: {t}");
    }
    // The campaign's view, its recipients.
    let view = c["view_id"].as_i64().unwrap();
    assert_eq!(app.get(&format!("/api/v2/views/{view}/count")).await.body["view_count"]["value"], 5);
    let rec = app.get(&format!("/api/v2/campaigns/{id}/recipients")).await.body;
    let reasons: Vec<&Value> =
        rec["recipients"].as_array().unwrap().iter().map(|r| &r["reason"]).filter(|r| !r.is_null()).collect();
    assert_eq!(reasons.len(), 2, "{rec}");

    // The same name again: refused. The same customers again: within the frequency cap.
    let again = app.post("/api/v2/campaigns", campaign("gold renewals", "plan:gold")).await;
    assert_eq!(again.status, 422);
    assert_eq!(again.body["details"]["name"][0]["error"], "DuplicateValue");
    let second = app.post("/api/v2/campaigns", campaign("Gold again", "plan:gold")).await;
    let second = wait_done(&app, second.body["campaign"]["id"].as_i64().unwrap()).await;
    assert_eq!((second["created"].as_i64(), second["skipped"].as_i64()), (Some(0), Some(7)), "{second}");
    let mut forced = campaign("Gold forced", "plan:gold");
    forced["campaign"]["override_frequency_cap"] = json!(true);
    let forced = app.post("/api/v2/campaigns", forced).await;
    let forced = wait_done(&app, forced.body["campaign"]["id"].as_i64().unwrap()).await;
    assert_eq!(forced["created"], 5, "an admin may override the cap");

    // The report: a customer replies.
    let first = tickets[0]["id"].as_i64().unwrap();
    let requester = tickets[0]["requester_id"].as_i64().unwrap();
    app.put(
        &format!("/api/v2/tickets/{first}"),
        json!({"ticket": {"comment": {"body": "Quero renovar", "author_id": requester}}}),
    )
    .await;
    let report = app.get(&format!("/api/v2/campaigns/{id}/report")).await.body["report"].clone();
    assert_eq!(report["tickets"], 5);
    assert_eq!(report["replied"], 1, "{report}");
    assert!(report["median_first_reply_seconds"].as_i64().is_some());
    let csv = reqwest::Client::new()
        .get(app.url(&format!("/api/v2/campaigns/{id}/report.csv")))
        .basic_auth(format!("{}/token", app.admin_email), Some(&app.token))
        .send()
        .await
        .unwrap();
    let content_type = csv.headers()["content-type"].to_str().unwrap().to_string();
    let text = csv.text().await.unwrap();
    assert_eq!(content_type, "text/csv; charset=utf-8", "{text}");
    assert!(text.contains("customers who replied,1"), "{text}");
    let xlsx = reqwest::Client::new()
        .get(app.url(&format!("/api/v2/campaigns/{id}/report.xlsx")))
        .basic_auth(format!("{}/token", app.admin_email), Some(&app.token))
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), 200);
    assert_eq!(&xlsx.bytes().await.unwrap()[..2], b"PK", "an xlsx is a zip");
}

#[tokio::test]
async fn bad_campaigns_and_agents_without_the_permission_are_refused_by_name() {
    let app = TestApp::spawn().await;
    let (agent, token) = make_user(&app.state, "Ana Agent", "ana@example.com", Role::Agent, None).await;
    let as_agent =
        async |m: Method, path: &str, body: Option<Value>| app.req_as("ana@example.com", &token, m, path, body).await;
    let r = as_agent(Method::POST, "/api/v2/campaigns", Some(campaign("X", "role:end-user"))).await;
    assert_eq!(r.status, 403);
    assert!(r.body["description"].as_str().unwrap().contains("run_campaigns"), "{}", r.body);
    let r = app.put(&format!("/api/v2/users/{agent}/permissions"), json!({"permissions": ["run_campaigns"]})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let empty =
        json!({"campaign": {"name": "Empty", "audience": {}, "ticket": {"subject": "s", "comment": {"body": "b"}}}});
    let r = as_agent(Method::POST, "/api/v2/campaigns", Some(empty)).await;
    assert_eq!(r.status, 422);
    assert!(r.body["details"]["audience"].is_array(), "{}", r.body);
    for (field, value, named) in [
        ("macro_id", json!(999), "macro_id"),
        ("group", json!(999), "ticket.group_id"),
        ("status", json!("bogus"), "ticket.status"),
    ] {
        let mut c = campaign(&format!("Bad {field}"), "role:end-user");
        match field {
            "macro_id" => c["campaign"]["macro_id"] = value,
            "group" => c["campaign"]["ticket"]["group_id"] = value,
            _ => c["campaign"]["ticket"]["status"] = value,
        }
        let r = as_agent(Method::POST, "/api/v2/campaigns", Some(c)).await;
        assert_eq!(r.status, 422, "{field}: {}", r.body);
        assert!(r.body["details"][named].is_array(), "{field} is named: {}", r.body);
    }
    // Only an admin overrides the frequency cap.
    let mut c = campaign("Override", "role:end-user");
    c["campaign"]["override_frequency_cap"] = json!(true);
    let r = as_agent(Method::POST, "/api/v2/campaigns", Some(c)).await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn a_paused_campaign_waits_and_resumes_where_it_stopped_and_capacity_is_warned() {
    let app = TestApp::spawn_with(TestDb::new().await, |c| c.job_workers = 0).await;
    let (agent, _) = make_user(&app.state, "Ana Agent", "ana@example.com", Role::Agent, None).await;
    // History: Ana solved 60 tickets over the last 30 days (2 a day).
    let old: Vec<Value> = (0..60)
        .map(|i| json!({"subject": format!("Old {i}"), "comment": {"body": "x"}, "assignee_id": agent, "status": "solved"}))
        .collect();
    for chunk in old.chunks(100) {
        let job = app.post("/api/v2/tickets/create_many", json!({"tickets": chunk})).await;
        let id = job.body["job_status"]["id"].as_str().unwrap().to_string();
        drain(&app).await;
        assert_eq!(app.get(&format!("/api/v2/job_statuses/{id}")).await.body["job_status"]["status"], "completed");
    }
    let people = customers_no_worker(&app, 250).await;
    let mut c = campaign("Big one", "role:end-user");
    c["campaign"]["ticket"]["assignee_id"] = json!(agent);
    let mut dry = c.clone();
    dry["campaign"]["dry_run"] = json!(true);
    let p = app.post("/api/v2/campaigns", dry).await.body["preview"].clone();
    let warning = p["warnings"].as_array().unwrap().iter().find(|w| w["type"] == "capacity").unwrap().clone();
    assert_eq!(warning["solved_last_30_days"], 60);
    assert_eq!(warning["days_of_work"], 125.0, "250 tickets at 2 a day: {warning}");

    let r = app.post("/api/v2/campaigns", c).await;
    let id = r.body["campaign"]["id"].as_i64().unwrap();
    assert_eq!(r.body["campaign"]["state"], "queued");
    let r = app.post(&format!("/api/v2/campaigns/{id}/pause"), json!({})).await;
    assert_eq!(r.body["campaign"]["state"], "paused", "{}", r.body);
    drain(&app).await;
    let c = app.get(&format!("/api/v2/campaigns/{id}")).await.body["campaign"].clone();
    assert_eq!(
        (c["state"].as_str(), c["created"].as_i64()),
        (Some("paused"), Some(0)),
        "a paused campaign sends nothing"
    );
    let r = app.post(&format!("/api/v2/campaigns/{id}/pause"), json!({})).await;
    assert_eq!(r.status, 422, "a paused campaign cannot be paused again");
    let r = app.post(&format!("/api/v2/campaigns/{id}/resume"), json!({})).await;
    assert_eq!(r.body["campaign"]["state"], "queued");
    drain(&app).await;
    let c = app.get(&format!("/api/v2/campaigns/{id}")).await.body["campaign"].clone();
    assert_eq!((c["state"].as_str(), c["created"].as_i64()), (Some("completed"), Some(people.len() as i64)), "{c}");
    assert_eq!(
        app.count("SELECT COUNT(DISTINCT requester_id) FROM tickets WHERE via_channel = 'campaign'").await,
        people.len() as i64
    );
    // A second send of the same campaign makes nothing.
    let r = app.post(&format!("/api/v2/campaigns/{id}/resume"), json!({})).await;
    assert_eq!(r.status, 422);
}

/// Runs every job that is ready, here and now (the app has no workers of its own).
async fn drain(app: &TestApp) {
    while frontdesk_server::jobs::run_one(&app.state, "test").await.unwrap() {}
}

async fn customers_no_worker(app: &TestApp, n: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..n {
        let (id, _) =
            make_user(&app.state, &format!("Cliente {i}"), &format!("c{i}@example.com"), Role::EndUser, None).await;
        ids.push(id);
    }
    ids
}

#[tokio::test]
async fn a_campaign_killed_mid_send_finishes_after_a_restart_with_one_ticket_per_customer() {
    let db = TestDb::new().await;
    assert!(crate::cli::frontdesk(&db).args(["migrate"]).status().unwrap().success());
    let out = crate::cli::frontdesk(&db)
        .args(["admin", "create", "--email", "ops@example.com", "--name", "Ops", "--password", "long enough pw"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = crate::cli::frontdesk(&db).args(["token", "create", "--email", "ops@example.com"]).output().unwrap();
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let flags = ["--job-lease", "1"];
    let (mut server, base) = crate::cli::serve(&db, &flags).await;
    let http = reqwest::Client::new();
    let call = |base: &str, m: Method, path: &str, body: Option<Value>| {
        let mut r = http.request(m, format!("{base}{path}")).basic_auth("ops@example.com/token", Some(&token));
        if let Some(b) = body {
            r = r.json(&b);
        }
        async move { r.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let n = 1500;
    for chunk in (0..n).collect::<Vec<_>>().chunks(100) {
        let users: Vec<Value> =
            chunk.iter().map(|i| json!({"name": format!("C {i}"), "email": format!("k{i}@example.com")})).collect();
        let job = call(&base, Method::POST, "/api/v2/users/create_many", Some(json!({"users": users}))).await;
        let id = job["job_status"]["id"].as_str().unwrap().to_string();
        for _ in 0..400 {
            let s = call(&base, Method::GET, &format!("/api/v2/job_statuses/{id}"), None).await;
            if s["job_status"]["status"] == "completed" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
    let c = call(&base, Method::POST, "/api/v2/campaigns", Some(campaign("Crash test", "role:end-user"))).await;
    let id = c["campaign"]["id"].as_i64().expect("a campaign");
    // Kill it (SIGKILL: no graceful stop) once some tickets exist and some are still to come.
    let mut seen = 0;
    for _ in 0..2000 {
        let c = call(&base, Method::GET, &format!("/api/v2/campaigns/{id}"), None).await;
        seen = c["campaign"]["created"].as_i64().unwrap();
        if seen > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.start_kill().unwrap();
    server.wait().await.unwrap();
    assert!(seen > 0 && seen < n, "killed mid-send ({seen} of {n})");
    let (_server, base) = crate::cli::serve(&db, &flags).await;
    let mut done = Value::Null;
    for _ in 0..1200 {
        done = call(&base, Method::GET, &format!("/api/v2/campaigns/{id}"), None).await["campaign"].clone();
        if done["state"] == "completed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(done["state"], "completed", "{done}");
    assert_eq!(done["created"], n, "{done}");
    let count = call(&base, Method::GET, "/api/v2/search/count.json?query=tags%3Acampaign_crash_test", None).await;
    assert_eq!(count["count"], n, "exactly one ticket per customer: {count}");
}

#[tokio::test]
async fn a_round_robin_campaign_deals_its_tickets_to_the_groups_agents_in_turn() {
    let app = TestApp::spawn().await;
    let group =
        app.post("/api/v2/groups", json!({"group": {"name": "Renewals"}})).await.body["group"]["id"].as_i64().unwrap();
    let mut agents = Vec::new();
    for name in ["Ana", "Bia"] {
        let (id, _) = make_user(&app.state, name, &format!("{name}@example.com"), Role::Agent, None).await;
        app.post("/api/v2/group_memberships", json!({"group_membership": {"user_id": id, "group_id": group}})).await;
        agents.push(id);
    }
    app.post("/api/v2/user_fields", json!({"user_field": {"type": "text", "title": "Plan", "key": "plan"}})).await;
    customers(&app, 6, "rr").await;
    let mut c = campaign("Round robin", "plan:rr");
    c["campaign"]["ticket"]["group_id"] = json!(group);
    c["campaign"]["ticket"]["round_robin"] = json!(true);
    let mut bad = c.clone();
    bad["campaign"]["ticket"]["assignee_id"] = json!(agents[0]);
    assert_eq!(app.post("/api/v2/campaigns", bad).await.status, 422);
    let r = app.post("/api/v2/campaigns", c).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let done = wait_done(&app, r.body["campaign"]["id"].as_i64().unwrap()).await;
    assert_eq!(done["created"], 6, "{done}");
    for a in &agents {
        let n = app
            .count(&format!("SELECT COUNT(*) FROM tickets WHERE via_channel = 'campaign' AND assignee_id = {a}"))
            .await;
        assert_eq!(n, 3, "each agent gets every other ticket");
    }
}

#[tokio::test]
async fn campaign_mail_carries_a_one_click_unsubscribe_that_opts_the_customer_out() {
    let (relay, sent) = crate::helpers::smtp_sink().await;
    let app = TestApp::spawn_with(TestDb::new().await, |c| c.smtp_relay = Some(relay)).await;
    app.post("/api/v2/user_fields", json!({"user_field": {"type": "text", "title": "Plan", "key": "plan"}})).await;
    let ids = customers(&app, 1, "mail").await;
    let c = app.post("/api/v2/campaigns", campaign("Mailed", "plan:mail")).await;
    assert_eq!(c.status, 202, "{}", c.body);
    wait_done(&app, c.body["campaign"]["id"].as_i64().unwrap()).await;

    // The campaign's ticket is mailed to the customer, with RFC 8058's two headers.
    let raw = crate::helpers::nth_mail(&sent, 0).await;
    let m = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
    assert_eq!(m.to().unwrap().first().unwrap().address(), Some("mail0@example.com"));
    assert!(m.subject().unwrap().ends_with("Your mail plan renews soon, Cliente"), "{:?}", m.subject());
    assert_eq!(m.header_raw("List-Unsubscribe-Post").map(str::trim), Some("List-Unsubscribe=One-Click"));
    let link = m.header_raw("List-Unsubscribe").unwrap().trim().trim_matches(['<', '>']).to_string();
    assert!(link.starts_with(&format!("{}/unsubscribe/", app.base)), "{link}");

    // A later reply on the campaign's ticket is a conversation: no unsubscribe headers.
    let ticket = app.get("/api/v2/tickets").await.body["tickets"][0]["id"].as_i64().unwrap();
    app.put(&format!("/api/v2/tickets/{ticket}"), json!({"ticket": {"comment": {"body": "Alguma dúvida?"}}})).await;
    let reply = crate::helpers::nth_mail(&sent, 1).await;
    let reply = mail_parser::MessageParser::default().parse(reply.as_bytes()).unwrap();
    assert!(reply.header_raw("List-Unsubscribe").is_none(), "{:?}", reply.headers());

    // Following the link in a browser only asks (a scanner's GET changes nothing)…
    let http = reqwest::Client::new();
    let page = http.get(&link).header("accept-language", "pt-BR").send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Cancelar inscrição"));
    let user = format!("/api/v2/users/{}", ids[0]);
    assert_eq!(app.get(&user).await.body["user"]["tags"], json!([]));
    // …and the mail client's one-click POST opts the customer out, twice as harmlessly as once.
    for _ in 0..2 {
        let r = http.post(&link).body("List-Unsubscribe=One-Click").send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    assert_eq!(app.get(&user).await.body["user"]["tags"], json!(["campaign_opt_out"]));
    // The next campaign skips them with the reason.
    let mut dry = campaign("Mailed again", "plan:mail");
    dry["campaign"]["dry_run"] = json!(true);
    let p = app.post("/api/v2/campaigns", dry).await;
    assert_eq!(p.body["preview"]["skip_reasons"], json!({"opted_out": 1}), "{}", p.body);
    // A made-up link is refused, in the reader's language.
    let r = http.post(format!("{}/unsubscribe/nothing", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("not valid"));
}

#[tokio::test]
async fn a_send_that_keeps_failing_ends_failed_with_its_reason() {
    let app = TestApp::spawn_with(TestDb::new().await, |c| c.job_workers = 0).await;
    app.post("/api/v2/user_fields", json!({"user_field": {"type": "text", "title": "Plan", "key": "plan"}})).await;
    for i in 0..2 {
        let u = json!({"user": {"name": format!("C{i}"), "email": format!("c{i}@example.com"), "user_fields": {"plan": "broken"}}});
        assert_eq!(app.post("/api/v2/users", u).await.status, 201);
    }
    let r = app.post("/api/v2/campaigns", campaign("Broken", "type:user plan:broken")).await;
    assert_eq!(r.status, 202, "{}", r.body);
    let id = r.body["campaign"]["id"].as_i64().unwrap();
    assert_eq!(r.body["campaign"]["state"], "queued");
    // Its stored ticket is damaged (say, by a bad restore): the send cannot go on.
    let mut tx = app.state.db.begin().await.unwrap();
    sqlx::query("UPDATE campaigns SET ticket = '{not json' WHERE id = $1").bind(id).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    let mut runs = 0;
    while frontdesk_server::jobs::run_one(&app.state, "worker").await.unwrap() || runs < 20 {
        app.clock.advance_secs(3600);
        runs += 1;
        if runs > 40 {
            break;
        }
    }
    let c = app.get(&format!("/api/v2/campaigns/{id}")).await.body["campaign"].clone();
    assert_eq!(c["state"], "failed", "{c}");
    assert!(c["error"].as_str().unwrap().contains(&format!("stored ticket of campaign {id} cannot be read")), "{c}");
    assert!(c["completed_at"].is_string(), "{c}");
    let failed = "SELECT COUNT(*) FROM jobs WHERE kind = 'campaign.send' AND state = 'failed' AND attempts = 12";
    assert_eq!(app.count(failed).await, 1, "given up after its attempts, not retried forever");
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 0);
}
