//! The ticket API: create, show, update with comments, audits, tags, safe update, delete and
//! restore, lists and pagination.

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;
use frontdesk_domain::Role;

#[tokio::test]
async fn create_show_and_reply_keeps_every_language_byte_for_byte() {
    let app = TestApp::spawn().await;
    let body = "Olá, a **fatura** não chegou. 請求書が届きません 🙏";
    let t = app
        .ticket(json!({"subject": "Fatura não chegou — 請求書", "comment": {"body": body},
            "requester": {"name": "João Silva", "email": "Joao@Cliente.com.br"}, "priority": "high", "type": "question", "tags": ["VIP", "billing"]}))
        .await;
    assert_eq!(t["subject"], "Fatura não chegou — 請求書");
    assert_eq!(t["status"], "new");
    assert_eq!(t["priority"], "high");
    assert_eq!(t["tags"], json!(["billing", "vip"]));
    assert_eq!(t["via"]["channel"], "api");
    assert!(t["url"].as_str().unwrap().starts_with(&app.base), "absolute url from the request host");
    let id = t["id"].as_i64().unwrap();
    assert_eq!(id, 1, "ticket ids start at 1");

    // The inline requester became an end user with that (normalised) email.
    let req = app.get(&format!("/api/v2/users/{}.json", t["requester_id"])).await;
    assert_eq!(req.body["user"]["email"], "joao@cliente.com.br");
    assert_eq!(req.body["user"]["role"], "end-user");

    // A public reply and an internal note.
    let r = app
        .put(
            &format!("/api/v2/tickets/{id}"),
            json!({"ticket": {"comment": {"body": "Reenviamos a fatura.", "public": true}, "status": "pending"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["ticket"]["status"], "pending");
    assert_eq!(r.body["ticket"]["assignee_id"], serde_json::Value::Null);
    let events = r.body["audit"]["events"].as_array().unwrap();
    assert!(
        events.iter().any(|e| e["type"] == "Change"
            && e["field_name"] == "status"
            && e["previous_value"] == "new"
            && e["value"] == "pending"),
        "{events:?}"
    );
    let r = app
        .put(
            &format!("/api/v2/tickets/{id}.json"),
            json!({"ticket": {"comment": {"html_body": "<p>Nota <script>x()</script>interna</p>", "public": false}}}),
        )
        .await;
    assert_eq!(r.status, 200);

    let c = app.get(&format!("/api/v2/tickets/{id}/comments.json")).await;
    let comments = c.body["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 3);
    assert_eq!(comments[0]["body"], body, "stored and returned byte-for-byte");
    assert_eq!(comments[0]["public"], true);
    assert_eq!(comments[2]["public"], false);
    assert!(!comments[2]["html_body"].as_str().unwrap().contains("script"));
    assert_eq!(c.body["count"], 3);

    let a = app.get(&format!("/api/v2/tickets/{id}/audits.json")).await;
    assert_eq!(a.body["audits"].as_array().unwrap().len(), 3);
    let first = &a.body["audits"][0]["events"];
    assert!(first.as_array().unwrap().iter().any(|e| e["type"] == "Create" && e["field_name"] == "subject"));

    let all = app.get("/api/v2/ticket_audits.json").await;
    assert_eq!(all.body["audits"].as_array().unwrap().len(), 3);
    assert_eq!(all.body["links"]["next"], serde_json::Value::Null, "cursor only, last page has no next link");
}

#[tokio::test]
async fn solving_assigns_the_agent_and_closed_is_read_only() {
    let app = TestApp::spawn().await;
    let t = app.ticket(json!({"subject": "s", "comment": {"body": "b"}})).await;
    let id = t["id"].as_i64().unwrap();
    let r = app.put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"status": "solved"}})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["ticket"]["assignee_id"], app.admin_id, "solving without assignee assigns the acting agent");
    let r = app.put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"status": "closed"}})).await;
    assert_eq!(r.status, 200);
    let r = app.put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"subject": "changed"}})).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["details"]["status"][0]["description"], "Status: closed prevents ticket update");
    assert_eq!(app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"]["subject"], "s");
}

#[tokio::test]
async fn organization_is_inherited_from_the_requester() {
    let app = TestApp::spawn().await;
    let org = app
        .post("/api/v2/organizations", json!({"organization": {"name": "Acme Ltda", "domain_names": ["acme.com.br"]}}))
        .await;
    assert_eq!(org.status, 201, "{}", org.body);
    let org_id = org.body["organization"]["id"].as_i64().unwrap();
    // A new end user on the organization's domain joins it; their tickets carry it.
    let t = app
        .ticket(
            json!({"subject": "s", "description": "d", "requester": {"email": "maria@acme.com.br", "name": "Maria"}}),
        )
        .await;
    assert_eq!(t["organization_id"], org_id);
    assert_eq!(t["description"], "d");
}

#[tokio::test]
async fn safe_update_refuses_a_stale_stamp_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let t = app.ticket(json!({"subject": "s", "comment": {"body": "b"}})).await;
    let id = t["id"].as_i64().unwrap();
    let stamp = t["updated_at"].as_str().unwrap().to_string();
    app.clock.advance_secs(5);
    let r = app
        .put(
            &format!("/api/v2/tickets/{id}"),
            json!({"ticket": {"priority": "urgent", "safe_update": true, "updated_stamp": stamp}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .put(
            &format!("/api/v2/tickets/{id}"),
            json!({"ticket": {"priority": "low", "safe_update": "true", "updated_stamp": stamp}}),
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.body["error"], "UpdateConflict");
    assert_eq!(app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"]["priority"], "urgent");
}

#[tokio::test]
async fn tag_endpoints_replace_add_and_remove() {
    let app = TestApp::spawn().await;
    let id = app.ticket(json!({"subject": "s", "comment": {"body": "b"}, "tags": ["a"]})).await["id"].as_i64().unwrap();
    let p = format!("/api/v2/tickets/{id}/tags.json");
    let r = app.req(Method::PUT, &p, Some(json!({"tags": ["b", "C"]}))).await;
    assert_eq!(r.body["tags"], json!(["a", "b", "c"]));
    let r = app.req(Method::DELETE, &p, Some(json!({"tags": ["a"]}))).await;
    assert_eq!(r.body["tags"], json!(["b", "c"]));
    let r = app.req(Method::POST, &p, Some(json!({"tags": ["z"]}))).await;
    assert_eq!(r.status, 201);
    assert_eq!(app.get(&p).await.body["tags"], json!(["z"]));
    let r = app
        .put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"additional_tags": ["y"], "remove_tags": ["z"]}}))
        .await;
    assert_eq!(r.body["ticket"]["tags"], json!(["y"]));
}

#[tokio::test]
async fn delete_restore_and_deleted_tickets() {
    let app = TestApp::spawn().await;
    let id = app.ticket(json!({"subject": "s", "comment": {"body": "b"}})).await["id"].as_i64().unwrap();
    let r = app.req(Method::DELETE, &format!("/api/v2/tickets/{id}.json"), Some(json!({"ticket": {"id": id}}))).await;
    assert_eq!(r.status, 204);
    assert_eq!(app.get(&format!("/api/v2/tickets/{id}")).await.status, 404);
    assert_eq!(app.get("/api/v2/tickets").await.body["count"], 0);
    let d = app.get("/api/v2/deleted_tickets.json").await;
    assert_eq!(d.body["deleted_tickets"][0]["id"], id);
    assert_eq!(d.body["deleted_tickets"][0]["actor"]["id"], app.admin_id);
    let r = app.req(Method::PUT, &format!("/api/v2/deleted_tickets/{id}/restore"), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(app.get(&format!("/api/v2/tickets/{id}")).await.status, 200);
    // Permanent deletion is a job.
    app.delete(&format!("/api/v2/tickets/{id}")).await;
    let r = app.delete(&format!("/api/v2/deleted_tickets/{id}")).await;
    let job = app.wait_job(r.body["job_status"]["id"].as_str().unwrap()).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_comments").await, 0);
}

#[tokio::test]
async fn lists_page_by_offset_and_cursor_with_absolute_links() {
    let app = TestApp::spawn().await;
    for i in 0..7 {
        app.ticket(json!({"subject": format!("t{i}"), "comment": {"body": "b"}})).await;
    }
    let r = app.get("/api/v2/tickets.json?per_page=3&page=2").await;
    assert_eq!(r.body["count"], 7);
    assert_eq!(r.body["tickets"][0]["subject"], "t3");
    assert!(r.body["next_page"].as_str().unwrap().starts_with(&format!("{}/api/v2/tickets?", app.base)));
    assert!(r.body["previous_page"].as_str().unwrap().contains("page=1"));

    // Cursor pages, following links.next verbatim, bracket encoding and all.
    let mut url = app.url("/api/v2/tickets.json?page%5Bsize%5D=3");
    let mut seen = vec![];
    loop {
        let r = crate::helpers::into_resp(
            app.http.get(&url).basic_auth(format!("{}/token", app.admin_email), Some(&app.token)).send().await.unwrap(),
        )
        .await;
        for t in r.body["tickets"].as_array().unwrap() {
            seen.push(t["subject"].as_str().unwrap().to_string());
        }
        match r.body["links"]["next"].as_str() {
            Some(n) => {
                assert_eq!(r.body["meta"]["has_more"], true);
                url = n.to_string();
            }
            None => {
                assert_eq!(r.body["meta"]["has_more"], false);
                break;
            }
        }
    }
    assert_eq!(seen, (0..7).map(|i| format!("t{i}")).collect::<Vec<_>>());

    let sm = app.get("/api/v2/tickets/show_many.json?ids=1,3,999").await;
    assert_eq!(sm.body["count"], 2);
    let side = app.get("/api/v2/tickets/1.json?include=users,groups,organizations").await;
    assert_eq!(side.body["users"][0]["id"], app.admin_id);
    let none = app.get("/api/v2/tickets.json?include=None&unknown=1").await;
    assert_eq!(none.status, 200, "unknown parameters are ignored");
}

#[tokio::test]
async fn end_users_see_only_their_requests_and_never_internal_notes() {
    let app = TestApp::spawn().await;
    let (ana, ana_token) = app.user("Ana", "ana@cliente.com", Role::EndUser).await;
    let (_bia, bia_token) = app.user("Bia", "bia@cliente.com", Role::EndUser).await;
    let id = app.ticket(json!({"subject": "s", "comment": {"body": "pública"}, "requester_id": ana})).await["id"]
        .as_i64()
        .unwrap();
    app.put(
        &format!("/api/v2/tickets/{id}"),
        json!({"ticket": {"comment": {"body": "segredo interno", "public": false}}}),
    )
    .await;

    let c =
        app.req_as("ana@cliente.com", &ana_token, Method::GET, &format!("/api/v2/tickets/{id}/comments"), None).await;
    assert_eq!(c.status, 200);
    let bodies: Vec<_> = c.body["comments"].as_array().unwrap().iter().map(|c| c["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, vec!["pública"]);
    let list = app.req_as("ana@cliente.com", &ana_token, Method::GET, "/api/v2/tickets", None).await;
    assert_eq!(list.body["count"], 1);

    let other = app.req_as("bia@cliente.com", &bia_token, Method::GET, &format!("/api/v2/tickets/{id}"), None).await;
    assert_eq!(other.status, 403);
    assert_eq!(other.body["error"], "Forbidden");
    assert!(!other.body.to_string().contains("pública"));
    let audits =
        app.req_as("ana@cliente.com", &ana_token, Method::GET, &format!("/api/v2/tickets/{id}/audits"), None).await;
    assert_eq!(audits.status, 403, "audits would show internal notes");
    let users = app.req_as("ana@cliente.com", &ana_token, Method::GET, "/api/v2/users", None).await;
    assert_eq!(users.status, 403);
    let g = app
        .req_as("ana@cliente.com", &ana_token, Method::POST, "/api/v2/groups", Some(json!({"group": {"name": "x"}})))
        .await;
    assert_eq!(g.status, 403);
    // An end user may reply on their own request; the reply is public.
    let ticket_path = format!("/api/v2/tickets/{id}");
    let ana_updates = |change: serde_json::Value| {
        app.req_as("ana@cliente.com", &ana_token, Method::PUT, &ticket_path, Some(json!({"ticket": change})))
    };
    let r = ana_updates(json!({"comment": {"body": "obrigada", "public": false}})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = ana_updates(json!({"status": "solved"})).await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn assignee_must_be_an_agent_in_the_group() {
    let app = TestApp::spawn().await;
    let (agent, _) = app.user("Carla Agent", "carla@example.com", Role::Agent).await;
    let (customer, _) = app.user("Cliente", "cliente@x.com", Role::EndUser).await;
    let g =
        app.post("/api/v2/groups", json!({"group": {"name": "Suporte"}})).await.body["group"]["id"].as_i64().unwrap();
    let other =
        app.post("/api/v2/groups", json!({"group": {"name": "Vendas"}})).await.body["group"]["id"].as_i64().unwrap();
    let m = app.post("/api/v2/group_memberships", json!({"group_membership": {"user_id": agent, "group_id": g}})).await;
    assert_eq!(m.status, 201, "{}", m.body);
    let bad =
        app.post("/api/v2/group_memberships", json!({"group_membership": {"user_id": customer, "group_id": g}})).await;
    assert_eq!(bad.status, 422);

    let r = app
        .post("/api/v2/tickets", json!({"ticket": {"subject": "s", "comment": {"body": "b"}, "assignee_id": customer}}))
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body["details"]["assignee_id"][0]["description"].as_str().unwrap().contains("not an agent"));
    let r = app
        .post(
            "/api/v2/tickets",
            json!({"ticket": {"subject": "s", "comment": {"body": "b"}, "assignee_id": agent, "group_id": other}}),
        )
        .await;
    assert_eq!(r.status, 422);
    let t = app.ticket(json!({"subject": "s", "comment": {"body": "b"}, "assignee_id": agent})).await;
    assert_eq!(t["group_id"], g, "the assignee's default group");
    assert_eq!(t["status"], "open", "an assigned new ticket is open");
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets").await, 1, "refused creates left nothing behind");
}

/// Concurrent creates share transactions; a bad one is refused alone, and a new requester
/// named by several of them at once is created once.
#[tokio::test]
async fn concurrent_creates_are_batched_without_affecting_each_other() {
    let app = TestApp::spawn().await;
    let mut tasks = Vec::new();
    for i in 0..30 {
        let (url, email, token) = (app.url("/api/v2/tickets"), app.admin_email.clone(), app.token.clone());
        let ticket = if i % 5 == 0 {
            json!({"subject": format!("bad {i}"), "comment": {"body": "b"}, "assignee_id": 424242})
        } else {
            json!({"subject": format!("good {i}"), "comment": {"body": "b"}, "requester": {"name": "Novo Cliente", "email": "novo@cliente.com.br"}})
        };
        tasks.push(tokio::spawn(async move {
            let r = reqwest::Client::new()
                .post(url)
                .basic_auth(format!("{email}/token"), Some(token))
                .json(&json!({"ticket": ticket}))
                .send()
                .await
                .unwrap();
            (i, r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap())
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        let (i, status, body) = t.await.unwrap();
        if i % 5 == 0 {
            assert_eq!(status, 422, "{body}");
            assert!(body["details"]["assignee_id"].is_array());
        } else {
            assert_eq!(status, 201, "{body}");
            assert_eq!(body["ticket"]["subject"], format!("good {i}"));
            assert_eq!(body["audit"]["events"][0]["type"], "Comment");
            ids.push(body["ticket"]["id"].as_i64().unwrap());
        }
    }
    ids.sort();
    assert_eq!(ids, (1..=24).collect::<Vec<_>>(), "refused creates take no id");
    assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'novo@cliente.com.br'").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_comments").await, 24);
    let list = app.get("/api/v2/tickets/5/comments").await;
    assert_eq!(list.body["comments"][0]["body"], "b");
}

#[tokio::test]
async fn custom_statuses_keep_status_in_step() {
    let app = TestApp::spawn().await;
    let list = app.get("/api/v2/custom_statuses.json").await;
    assert_eq!(list.body["custom_statuses"].as_array().unwrap().len(), 5, "one default per category");
    let r = app
        .post("/api/v2/custom_statuses", json!({"custom_status": {"status_category": "hold", "agent_label": "Aguardando peças", "end_user_label": "Em andamento"}}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let parts = r.body["custom_status"]["id"].as_i64().unwrap();
    assert_eq!(r.body["custom_status"]["default"], false);

    // A custom status sets its category; a status alone picks the category's default.
    let t = app.ticket(json!({"subject": "s", "comment": {"body": "b"}, "custom_status_id": parts})).await;
    assert_eq!(t["status"], "hold");
    assert_eq!(t["custom_status_id"], parts);
    let id = t["id"].as_i64().unwrap();
    let r = app.put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"status": "open"}})).await;
    assert_eq!(r.body["ticket"]["custom_status_id"], 2);
    let events = r.body["audit"]["events"].as_array().unwrap();
    assert!(
        events.iter().any(|e| e["field_name"] == "custom_status_id"
            && e["previous_value"].as_str() == Some(parts.to_string().as_str()))
    );
    let fresh = app.ticket(json!({"subject": "s", "comment": {"body": "b"}})).await;
    assert_eq!(fresh["custom_status_id"], 1);
    // A custom status in the solved category solves, and solving needs an assignee.
    let done = app
        .post(
            "/api/v2/custom_statuses",
            json!({"custom_status": {"status_category": "solved", "agent_label": "Resolvido por telefone"}}),
        )
        .await
        .body["custom_status"]["id"]
        .as_i64()
        .unwrap();
    let fresh_id = fresh["id"].as_i64().unwrap();
    let r = app.put(&format!("/api/v2/tickets/{fresh_id}"), json!({"ticket": {"custom_status_id": done}})).await;
    assert_eq!(r.body["ticket"]["status"], "solved", "{}", r.body);
    assert_eq!(r.body["ticket"]["assignee_id"], app.admin_id);

    // Searchable by id; deactivation refuses new use but keeps tickets that have it.
    app.put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"custom_status_id": parts}})).await;
    let r = app.get(&format!("/api/v2/search.json?query=custom_status_id%3A{parts}")).await;
    assert_eq!(r.body["count"], 1, "{}", r.body);
    let r = app.put(&format!("/api/v2/custom_statuses/{parts}"), json!({"custom_status": {"active": false}})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["custom_status"]["active"], false);
    let r = app
        .post(
            "/api/v2/tickets",
            json!({"ticket": {"subject": "s", "comment": {"body": "b"}, "custom_status_id": parts}}),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body["details"]["custom_status_id"][0]["description"].as_str().unwrap().contains("not active"));
    let r = app.put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"priority": "high"}})).await;
    assert_eq!(r.body["ticket"]["custom_status_id"], parts, "a ticket keeps its deactivated status");

    // Bad input.
    for (body, needle) in [
        (json!({"ticket": {"subject": "s", "comment": {"body": "b"}, "custom_status_id": 999}}), "does not exist"),
        (
            json!({"ticket": {"subject": "s", "comment": {"body": "b"}, "custom_status_id": 2, "status": "pending"}}),
            "but status pending was given",
        ),
    ] {
        let r = app.post("/api/v2/tickets", body).await;
        assert_eq!(r.status, 422);
        assert!(
            r.body["details"]["custom_status_id"][0]["description"].as_str().unwrap().contains(needle),
            "{}",
            r.body
        );
    }
    let r = app
        .post("/api/v2/custom_statuses", json!({"custom_status": {"status_category": "closed", "agent_label": "x"}}))
        .await;
    assert_eq!(r.status, 422);
    let r = app.put("/api/v2/custom_statuses/1", json!({"custom_status": {"active": false}})).await;
    assert_eq!(r.status, 422, "defaults stay active");
    let r = app.delete("/api/v2/custom_statuses/1").await;
    assert_eq!(r.status, 405, "no delete: deactivate instead");
    assert_eq!(r.body["error"], "MethodNotAllowed");
}

#[tokio::test]
async fn ccs_and_followers_are_checked_and_kept() {
    let app = TestApp::spawn().await;
    let (cc, _) = app.user("Cópia", "copia@cliente.com", Role::EndUser).await;
    let (agent, _) = app.user("Agente", "agente@example.com", Role::Agent).await;
    let t = app.ticket(json!({"subject": "s", "comment": {"body": "b"}, "email_cc_ids": [cc]})).await;
    assert_eq!(t["email_cc_ids"], json!([cc]));
    assert_eq!(t["collaborator_ids"], json!([cc]));
    let id = t["id"].as_i64().unwrap();
    let r = app.put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"follower_ids": [agent]}})).await;
    assert_eq!(r.body["ticket"]["follower_ids"], json!([agent]));
    assert_eq!(r.body["ticket"]["email_cc_ids"], json!([cc]), "kinds left out are kept");
    let r = app.put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"email_cc_ids": []}})).await;
    assert_eq!(r.body["ticket"]["email_cc_ids"], json!([]));
    for body in [
        json!({"ticket": {"subject": "s", "comment": {"body": "b"}, "email_cc_ids": [424242]}}),
        json!({"ticket": {"subject": "s", "comment": {"body": "b"}, "follower_ids": [424242]}}),
    ] {
        let r = app.post("/api/v2/tickets", body).await;
        assert_eq!(r.status, 422, "{}", r.body);
    }
    let r = app.put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"email_cc_ids": [424242]}})).await;
    assert_eq!(r.status, 422);
    assert!(r.body["details"]["email_cc_ids"][0]["description"].as_str().unwrap().contains("does not exist"));
    assert_eq!(app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"]["follower_ids"], json!([agent]));
}
