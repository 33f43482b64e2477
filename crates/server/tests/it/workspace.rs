//! The agent workspace and the admin pages over real HTTP: ticket properties and custom
//! fields saved with the reply, presence and live counts, the search page, bulk actions as a
//! job, a new ticket on a customer's behalf, people pages, and admin forms that go through the
//! API's own checks.

use reqwest::StatusCode;
use serde_json::{Value, json};

use frontdesk_domain::Role;

use crate::helpers::{TestApp, make_user};
use crate::ui::{Browser, hidden};

async fn agent(app: &TestApp, name: &str, email: &str, role: Role, lang: &'static str) -> (i64, Browser) {
    let (id, _) = make_user(&app.state, name, email, role, Some("a good long password")).await;
    let mut b = Browser::new(&app.base, lang);
    let p = b.sign_in(email, "a good long password").await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    (id, b)
}

/// The ticket page's form fields as a browser would post them, with some changed.
async fn ticket_form(b: &mut Browser, id: i64) -> (String, String) {
    let p = b.get(&format!("/agent/tickets/{id}")).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    (hidden(&p.html, "_csrf"), hidden(&p.html, "version"))
}

#[tokio::test]
async fn properties_custom_fields_and_tags_are_saved_with_the_reply_and_bad_values_are_shown_in_place() {
    let app = TestApp::spawn().await;
    let field = app
        .post("/api/v2/ticket_fields", json!({"ticket_field": {"type": "integer", "title": "Seats"}}))
        .await
        .body["ticket_field"]["id"]
        .as_i64()
        .unwrap();
    let group =
        app.post("/api/v2/groups", json!({"group": {"name": "Billing"}})).await.body["group"]["id"].as_i64().unwrap();
    let t = app
        .ticket(json!({"subject": "Invoice is wrong", "comment": {"body": "Please fix"}, "tags": ["billing"]}))
        .await;
    let id = t["id"].as_i64().unwrap();
    let (me, mut b) = agent(&app, "Ana Agent", "ana@example.com", Role::Agent, "en").await;
    let m =
        app.post("/api/v2/group_memberships", json!({"group_membership": {"user_id": me, "group_id": group}})).await;
    assert_eq!(m.status, 201, "{}", m.body);

    // A value the field refuses: the page says so next to the fields, and keeps the draft.
    let (csrf, version) = ticket_form(&mut b, id).await;
    let cf = format!("cf_{field}");
    let group_s = group.to_string();
    let p = b
        .post(
            &format!("/agent/tickets/{id}"),
            &[
                ("_csrf", &csrf),
                ("version", &version),
                ("body", "We are on it"),
                ("public", "true"),
                ("priority", "high"),
                ("group_id", &group_s),
                ("tags", "billing vip"),
                (&cf, "twelve"),
                ("status", "pending"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("We are on it"), "the draft is kept");
    assert!(p.html.contains("value=\"twelve\""), "the bad value is shown again");
    assert!(p.html.contains("class=\"error\""));
    assert!(p.html.contains("Seats: “twelve” is not a whole number."), "{}", p.html);
    let api = app.get(&format!("/api/v2/tickets/{id}")).await.body;
    assert_eq!(api["ticket"]["status"], "new", "nothing was saved: {api}");
    // The same refusal, to an agent who reads Japanese, in Japanese.
    let (_, mut ja) = agent(&app, "Aiko Agent", "aiko@example.com", Role::Agent, "ja").await;
    let (ja_csrf, ja_version) = ticket_form(&mut ja, id).await;
    let p = ja
        .post(
            &format!("/agent/tickets/{id}"),
            &[("_csrf", &ja_csrf), ("version", &ja_version), ("body", ""), (&cf, "twelve"), ("status", "open")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("Seats：「twelve」は整数ではありません。"), "{}", p.html);
    // Two refused fields: each problem under its own input, which says it is invalid.
    let when = app
        .post("/api/v2/ticket_fields", json!({"ticket_field": {"type": "date", "title": "Renewal"}}))
        .await
        .body["ticket_field"]["id"]
        .as_i64()
        .unwrap();
    let (ja_csrf, ja_version) = ticket_form(&mut ja, id).await;
    let cf_when = format!("cf_{when}");
    let p = ja
        .post(
            &format!("/agent/tickets/{id}"),
            &[("_csrf", &ja_csrf), ("version", &ja_version), (&cf, "twelve"), (&cf_when, "soon"), ("status", "open")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    for (key, message) in
        [(&cf, "Seats：「twelve」は整数ではありません。"), (&cf_when, "Renewal：「soon」は日付ではありません")]
    {
        let error = p.html.split(&format!("id=\"{key}-error\">")).nth(1).unwrap_or_else(|| panic!("{key}: {}", p.html));
        assert!(error.split("</p>").next().unwrap().contains(message), "{key}: {}", p.html);
        assert!(p.html.contains(&format!("aria-invalid=\"true\" aria-describedby=\"{key}-error\"")), "{}", p.html);
    }

    let p = b
        .post(
            &format!("/agent/tickets/{id}"),
            &[
                ("_csrf", &csrf),
                ("version", &version),
                ("body", "We are on it"),
                ("public", "false"),
                ("priority", "high"),
                ("group_id", &group_s),
                ("tags", "billing vip"),
                (&cf, "12"),
                ("assign_to_me", "1"),
                ("status", "pending"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let api = app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"].clone();
    assert_eq!(api["status"], "pending");
    assert_eq!(api["priority"], "high");
    assert_eq!(api["group_id"], group);
    assert_eq!(api["assignee_id"], me);
    assert_eq!(api["tags"], json!(["billing", "vip"]));
    assert_eq!(api["custom_fields"], json!([{"id": field, "value": 12}, {"id": when, "value": null}]));
    let audits = app.get(&format!("/api/v2/tickets/{id}/audits")).await.body;
    assert_eq!(audits["audits"].as_array().unwrap().len(), 2, "one audit for the whole submit");
    let comments = app.get(&format!("/api/v2/tickets/{id}/comments")).await.body;
    assert_eq!(comments["comments"][1]["public"], false);

    // The history tab lists the changes.
    let p = b.get(&format!("/agent/tickets/{id}/history")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.html.contains("Priority changed from — to High"), "{}", p.html);
    assert!(p.html.contains("Status changed from New to Pending"), "{}", p.html);
    assert!(p.html.contains("Group changed from — to Billing"), "{}", p.html);
    assert!(p.html.contains("Assignee changed from — to Ana Agent"), "{}", p.html);
    // Each comment under its kind, with its text: the first a public reply, the submit's a note.
    assert!(p.html.contains("Public reply: <span class=\"muted\">Please fix</span>"), "{}", p.html);
    assert!(p.html.contains("Internal note: <span class=\"muted\">We are on it</span>"), "{}", p.html);
    // The requester's and the organization's pages.
    let requester = api["requester_id"].as_i64().unwrap();
    let p = b.get(&format!("/agent/users/{requester}")).await;
    assert!(p.html.contains("Invoice is wrong"), "{}", p.html);
}

#[tokio::test]
async fn two_agents_on_one_ticket_see_each_other_and_the_counts_follow_changes() {
    let app = TestApp::spawn().await;
    let view = app
        .post("/api/v2/views", json!({"view": {"title": "Open", "all": [{"field": "status", "operator": "less_than", "value": "solved"}]}}))
        .await
        .body["view"]["id"]
        .as_i64()
        .unwrap();
    let t = app.ticket(json!({"subject": "Printer on fire", "comment": {"body": "Help"}})).await;
    let id = t["id"].as_i64().unwrap();
    let (_, mut ana) = agent(&app, "Ana Agent", "ana@example.com", Role::Agent, "en").await;
    let (_, mut bia) = agent(&app, "Bia Agente", "bia@example.com", Role::Agent, "pt-BR").await;

    let (ana_csrf, version) = ticket_form(&mut ana, id).await;
    let (bia_csrf, _) = ticket_form(&mut bia, id).await;
    let beat = |csrf: String, typing: &'static str| {
        let path = format!("/agent/tickets/{id}/presence");
        (path, vec![("_csrf".to_string(), csrf), ("typing".to_string(), typing.to_string())])
    };
    let (path, form) = beat(ana_csrf.clone(), "1");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let p = ana.post(&path, &form).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    let (path, form) = beat(bia_csrf.clone(), "0");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let p = bia.post(&path, &form).await;
    let seen: Value = serde_json::from_str(&p.html).unwrap();
    assert_eq!(seen["line"], "Ana Agent está digitando…", "{seen}");
    assert_eq!(seen["version"].to_string(), version);
    // A forged beat is refused.
    let p = bia.post(&path, &[("_csrf", "forged"), ("typing", "0")]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);

    // The live counts and the stamp move when a ticket changes.
    let live: Value = serde_json::from_str(&ana.get("/agent/live").await.html).unwrap();
    assert_eq!(live["counts"][view.to_string()], 1);
    app.ticket(json!({"subject": "Second", "comment": {"body": "x"}})).await;
    let after: Value = serde_json::from_str(&ana.get("/agent/live").await.html).unwrap();
    assert_eq!(after["counts"][view.to_string()], 2);
    assert_ne!(after["stamp"], live["stamp"]);

    // Bia saves first; Ana's submit on the old version is refused, her text kept, the new
    // state shown — and her beat now reports the ticket changed.
    let (bia_csrf, bia_version) = ticket_form(&mut bia, id).await;
    let p = bia
        .post(
            &format!("/agent/tickets/{id}"),
            &[("_csrf", &bia_csrf), ("version", &bia_version), ("body", "Resposta da Bia"), ("status", "pending")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let p = ana
        .post(
            &format!("/agent/tickets/{id}"),
            &[("_csrf", &ana_csrf), ("version", &version), ("body", "Ana's answer"), ("status", "solved")],
        )
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(p.html.contains("Ana&#x27;s answer") || p.html.contains("Ana's answer"), "{}", p.html);
    assert!(p.html.contains("Resposta da Bia"), "the new state is shown");
    let api = app.get(&format!("/api/v2/tickets/{id}")).await.body;
    assert_eq!(api["ticket"]["status"], "pending");
    let (path, form) = beat(ana_csrf, "0");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let seen: Value = serde_json::from_str(&ana.post(&path, &form).await.html).unwrap();
    assert_ne!(seen["version"].to_string(), version);
    assert_eq!(seen["line"], "Bia Agente is viewing this ticket");
}

#[tokio::test]
async fn the_search_page_lists_matches_and_marks_where_a_bad_query_went_wrong() {
    let app = TestApp::spawn().await;
    app.ticket(json!({"subject": "Refund for order 77", "comment": {"body": "please"}, "tags": ["refund"]})).await;
    app.ticket(json!({"subject": "Login trouble", "comment": {"body": "cannot sign in"}})).await;
    let (_, mut b) = agent(&app, "Ana Agent", "ana@example.com", Role::Agent, "ja").await;
    let p = b.get("/agent/search?q=tags%3Arefund").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.html.contains("Refund for order 77") && !p.html.contains("Login trouble"), "{}", p.html);
    assert!(p.html.contains("1 件のチケット"));
    let p = b.get("/agent/search?q=status%3Aopen%20created%3E%3Ctomorrow").await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("<mark>"), "the place is marked: {}", p.html);
    assert!(p.html.contains("aria-invalid=\"true\""));
    assert!(p.html.contains("」は日付（2026-01-31）、日時"), "in Japanese: {}", p.html);
    let (_, mut pt) = agent(&app, "Paula Agente", "paula@example.com", Role::Agent, "pt-BR").await;
    let p = pt.get("/agent/search?q=colour%3Ared").await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("Não existe o campo “colour” aqui."), "in Portuguese: {}", p.html);
    let p = pt.get("/agent/search?q=%22never%20closed").await;
    assert!(p.html.contains("Estas aspas nunca são fechadas."), "{}", p.html);
}

#[tokio::test]
async fn a_bulk_action_on_everything_a_view_matches_runs_as_one_job_with_progress() {
    let app = TestApp::spawn().await;
    let view = app
        .post(
            "/api/v2/views",
            json!({"view": {"title": "New", "all": [{"field": "status", "operator": "is", "value": "new"}]}}),
        )
        .await
        .body["view"]["id"]
        .as_i64()
        .unwrap();
    let tickets: Vec<Value> =
        (0..230).map(|i| json!({"subject": format!("Ticket {i}"), "comment": {"body": "x"}})).collect();
    for chunk in tickets.chunks(100) {
        let job = app.post("/api/v2/tickets/create_many", json!({"tickets": chunk})).await;
        app.wait_job(job.body["job_status"]["id"].as_str().unwrap()).await;
    }
    let (_, mut b) = agent(&app, "Ana Agent", "ana@example.com", Role::Agent, "en").await;
    let p = b.get(&format!("/agent/views/{view}")).await;
    assert!(p.html.contains("230 tickets"), "{}", p.html);
    let csrf = hidden(&p.html, "_csrf");
    let view_s = view.to_string();
    let p = b
        .post(
            "/agent/bulk",
            &[
                ("_csrf", &csrf),
                ("view", &view_s),
                ("scope", "all"),
                ("status", "open"),
                ("add_tags", "triaged"),
                ("note", "Bulk-triaged"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let job_page = p.location.unwrap();
    let public = job_page.trim_start_matches("/agent/jobs/").split('?').next().unwrap().to_string();
    let job = app.wait_job(&public).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["total"], 230);
    let p = b.get(&job_page).await;
    assert!(p.html.contains("230 of 230"), "{}", p.html);
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets WHERE status = 'open'").await, 230);
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_tags WHERE tag = 'triaged'").await, 230);
    assert_eq!(app.count("SELECT COUNT(*) FROM ticket_comments WHERE public = 0").await, 230);

    // Nothing chosen, or nothing selected: a specific message, no job.
    let p =
        b.post("/agent/bulk", &[("_csrf", &csrf), ("view", &view_s), ("scope", "selected"), ("status", "open")]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.html.contains("No tickets were selected."), "{}", p.html);
    let p = b.post("/agent/bulk", &[("_csrf", &csrf), ("scope", "selected"), ("ids", "1")]).await;
    assert!(p.html.contains("Choose a change, a macro or a note to apply."), "{}", p.html);

    // The selected rows: assignee, group and type, offered by name on the page.
    let group = app.post("/api/v2/groups", json!({"group": {"name": "Tier 2"}})).await.body["group"]["id"].clone();
    let (bia, _) = agent(&app, "Bia Agente", "bia@example.com", Role::Agent, "en").await;
    app.post("/api/v2/group_memberships", json!({"group_membership": {"user_id": bia, "group_id": group}})).await;
    // (The view is empty now: every ticket is open. The search page lists them with the form.)
    let p = b.get("/agent/search?q=status%3Aopen").await;
    assert!(p.html.contains(&format!("<option value=\"{bia}\">Bia Agente</option>")), "{}", p.html);
    assert!(p.html.contains(&format!("<option value=\"{group}\">Tier 2</option>")), "{}", p.html);
    let (g, a) = (group.to_string(), bia.to_string());
    let form = [
        ("_csrf", csrf.as_str()),
        ("scope", "selected"),
        ("ids", "1"),
        ("ids", "2"),
        ("assignee_id", a.as_str()),
        ("group_id", g.as_str()),
        ("type", "incident"),
    ];
    let p = b.post("/agent/bulk", &form).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let public = p.location.unwrap().trim_start_matches("/agent/jobs/").split('?').next().unwrap().to_string();
    assert_eq!(app.wait_job(&public).await["status"], "completed");
    for id in [1, 2] {
        let t = app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"].clone();
        assert_eq!(
            (t["assignee_id"].as_i64(), &t["group_id"], t["type"].as_str()),
            (Some(bia), &group, Some("incident"))
        );
    }
    assert_eq!(app.get("/api/v2/tickets/3").await.body["ticket"]["assignee_id"], Value::Null, "not selected");
    // A custom status and a custom field, offered by name, set on the selected rows.
    let vendor = app
        .post(
            "/api/v2/custom_statuses",
            json!({"custom_status": {"status_category": "pending", "agent_label": "Waiting on vendor"}}),
        )
        .await
        .body["custom_status"]["id"]
        .as_i64()
        .unwrap();
    let region = app
        .post(
            "/api/v2/ticket_fields",
            json!({"ticket_field": {"type": "tagger", "title": "Region",
                "custom_field_options": [{"name": "EMEA", "value": "emea"}, {"name": "APAC", "value": "apac"}]}}),
        )
        .await
        .body["ticket_field"]["id"]
        .as_i64()
        .unwrap();
    let p = b.get("/agent/search?q=status%3Aopen").await;
    assert!(p.html.contains(&format!("<option value=\"cs:{vendor}\">Waiting on vendor</option>")), "{}", p.html);
    assert!(p.html.contains(&format!("<label for=\"bulk_cf_{region}\">Region</label>")), "{}", p.html);
    let (status, field) = (format!("cs:{vendor}"), format!("bulk_cf_{region}"));
    let form = [
        ("_csrf", csrf.as_str()),
        ("scope", "selected"),
        ("ids", "1"),
        ("ids", "2"),
        ("status", status.as_str()),
        (field.as_str(), "emea"),
    ];
    let p = b.post("/agent/bulk", &form).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let public = p.location.unwrap().trim_start_matches("/agent/jobs/").split('?').next().unwrap().to_string();
    assert_eq!(app.wait_job(&public).await["status"], "completed");
    for id in [1, 2] {
        let t = app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"].clone();
        assert_eq!((t["status"].as_str(), t["custom_status_id"].as_i64()), (Some("pending"), Some(vendor)));
        assert!(t["custom_fields"].as_array().unwrap().contains(&json!({"id": region, "value": "emea"})), "{t}");
    }
    let t3 = app.get("/api/v2/tickets/3").await.body["ticket"].clone();
    assert_eq!(t3["status"], "open", "not selected");
    // A value the field does not offer is refused before any job, in the reader's words.
    let form = [("_csrf", csrf.as_str()), ("scope", "selected"), ("ids", "1"), (field.as_str(), "mars")];
    let p = b.post("/agent/bulk", &form).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("Region: “mars” is not one of the options."), "{}", p.html);
    // A group that does not exist is refused, with no job.
    let p = b.post("/agent/bulk", &[("_csrf", &csrf), ("scope", "selected"), ("ids", "1"), ("group_id", "x")]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
}

#[tokio::test]
async fn an_agent_opens_a_ticket_for_a_customer_with_errors_next_to_their_fields() {
    let app = TestApp::spawn().await;
    let (me, mut b) = agent(&app, "Ana Agent", "ana@example.com", Role::Agent, "pt-BR").await;
    let p = b.get("/agent/tickets/new").await;
    let csrf = hidden(&p.html, "_csrf");
    let p = b
        .post(
            "/agent/tickets/new",
            &[
                ("_csrf", &csrf),
                ("requester_email", "not an email"),
                ("subject", ""),
                ("body", "Hello"),
                ("status", "open"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.html.contains("Este não é um endereço de e-mail.") && p.html.contains("Informe um assunto."),
        "{}",
        p.html
    );
    let p = b
        .post(
            "/agent/tickets/new",
            &[
                ("_csrf", &csrf),
                ("requester_email", "carla@cliente.com.br"),
                ("requester_name", "Carla Cliente"),
                ("subject", "Pedido atrasado"),
                ("body", "A cliente ligou: o pedido **123** atrasou."),
                ("priority", "urgent"),
                ("assign_to_me", "1"),
                ("status", "pending"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let id: i64 = p.location.unwrap().trim_start_matches("/agent/tickets/").split('?').next().unwrap().parse().unwrap();
    let t = app.get(&format!("/api/v2/tickets/{id}?include=users")).await.body;
    assert_eq!(t["ticket"]["status"], "pending");
    assert_eq!(t["ticket"]["priority"], "urgent");
    assert_eq!(t["ticket"]["assignee_id"], me);
    assert_eq!(t["ticket"]["via"]["channel"], "web");
    let requester = t["users"].as_array().unwrap().iter().find(|u| u["id"] == t["ticket"]["requester_id"]).unwrap();
    assert_eq!(requester["email"], "carla@cliente.com.br");
    assert_eq!(requester["name"], "Carla Cliente");
}

#[tokio::test]
async fn admin_pages_save_through_the_api_and_show_its_refusals_next_to_the_field() {
    let app = TestApp::spawn().await;
    let (_, mut admin) = agent(&app, "Ada Admin", "ada@example.com", Role::Admin, "en").await;
    let (_, mut plain) = agent(&app, "Ana Agent", "ana@example.com", Role::Agent, "en").await;
    assert_eq!(plain.get("/admin/groups").await.status, StatusCode::FORBIDDEN);

    // A group: a blank name is refused next to the field; then saved.
    let p = admin.get("/admin/groups/new").await;
    let csrf = hidden(&p.html, "_csrf");
    let p = admin.post("/admin/groups/new", &[("_csrf", &csrf), ("name", " "), ("description", "")]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("id=\"e-name\""), "{}", p.html);
    let p =
        admin.post("/admin/groups/new", &[("_csrf", &csrf), ("name", "Tier 2"), ("description", "Hard ones")]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let groups = app.get("/api/v2/groups").await.body;
    assert!(groups["groups"].as_array().unwrap().iter().any(|g| g["name"] == "Tier 2"));

    // A trigger from rows of conditions and actions; a bad condition names itself.
    let p = admin
        .post(
            "/admin/triggers/new",
            &[
                ("_csrf", &csrf),
                ("title", "Tag VIPs"),
                ("active", "0"),
                ("active", "1"),
                ("all.field", "colour"),
                ("all.operator", "is"),
                ("all.value", "red"),
                ("actions.field", "set_tags"),
                ("actions.value", "vip"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.html.contains("colour"), "{}", p.html);
    let p = admin
        .post(
            "/admin/triggers/new",
            &[
                ("_csrf", &csrf),
                ("title", "Tag VIPs"),
                ("active", "0"),
                ("active", "1"),
                ("all.field", "update_type"),
                ("all.operator", "is"),
                ("all.value", "Create"),
                ("all.field", "subject_includes_word"),
                ("all.operator", "includes"),
                ("all.value", "vip"),
                ("actions.field", "current_tags"),
                ("actions.value", "vip"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let t = app.ticket(json!({"subject": "vip customer", "comment": {"body": "x"}})).await;
    assert_eq!(t["tags"], json!(["vip"]), "the trigger made on the page runs");

    // An automation not yet saved: "preview" shows what it would act on now, and saves nothing.
    let before = app.count("SELECT COUNT(*) FROM rules WHERE kind = 'automation'").await;
    let p = admin
        .post(
            "/admin/automations/new",
            &[
                ("_csrf", &csrf),
                ("title", "Just looking"),
                ("all.field", "status"),
                ("all.operator", "is"),
                ("all.value", "new"),
                ("all.field", "NEW"),
                ("all.operator", "less_than"),
                ("all.value", "24"),
                ("actions.field", "status"),
                ("actions.value", "open"),
                ("_preview", "1"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("1 ticket matches now") && p.html.contains("vip customer"), "{}", p.html);
    assert!(p.html.contains("value=\"Just looking\""), "the form is kept: {}", p.html);
    assert_eq!(app.count("SELECT COUNT(*) FROM rules WHERE kind = 'automation'").await, before, "nothing saved");
    let p = admin
        .post(
            "/admin/automations/new",
            &[
                ("_csrf", &csrf),
                ("title", "Just looking"),
                ("all.field", "status"),
                ("all.operator", "is"),
                ("all.value", "new"),
                ("actions.field", "status"),
                ("actions.value", "open"),
                ("_preview", "1"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "a preview checks like a save: {}", p.html);
    assert!(p.html.contains("time-based condition"), "{}", p.html);

    // An automation's page shows which tickets it would act on now.
    let p = admin
        .post(
            "/admin/automations/new",
            &[
                ("_csrf", &csrf),
                ("title", "Close old new ones"),
                ("active", "1"),
                ("all.field", "status"),
                ("all.operator", "is"),
                ("all.value", "new"),
                ("all.field", "NEW"),
                ("all.operator", "less_than"),
                ("all.value", "24"),
                ("actions.field", "status"),
                ("actions.value", "open"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let p = admin.get(p.location.as_deref().unwrap()).await;
    assert!(p.html.contains("1 ticket matches now"), "{}", p.html);

    // Refusals read in the admin's language: an automation with no action, in Portuguese.
    let (_, mut pt) = agent(&app, "Pedro Admin", "pedro@example.com", Role::Admin, "pt-BR").await;
    let pt_csrf = hidden(&pt.get("/admin/automations/new").await.html, "_csrf");
    let p = pt
        .post(
            "/admin/automations/new",
            &[
                ("_csrf", &pt_csrf),
                ("title", "Sem ação"),
                ("all.field", "status"),
                ("all.operator", "is"),
                ("all.value", "new"),
                ("all.field", "NEW"),
                ("all.operator", "less_than"),
                ("all.value", "24"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("Adicione pelo menos uma ação."), "{}", p.html);
    let bad_rule = async |pt: &mut Browser, kind: &str, field: &str, operator: &str, value: &str| {
        let form = [
            ("_csrf", pt_csrf.as_str()),
            ("title", "Regra"),
            ("all.field", field),
            ("all.operator", operator),
            ("all.value", value),
            ("actions.field", "status"),
            ("actions.value", "open"),
        ];
        let p = pt.post(&format!("/admin/{kind}/new"), &form).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
        p.html
    };
    let html = bad_rule(&mut pt, "automations", "status", "is", "new").await;
    assert!(html.contains("Uma automação precisa de uma condição de tempo"), "{html}");
    let html = bad_rule(&mut pt, "triggers", "colour", "is", "red").await;
    assert!(html.contains("Não existe o campo “colour” aqui."), "{html}");
    let html = bad_rule(&mut pt, "triggers", "status", "is", "waiting").await;
    assert!(
        html.contains("“waiting” não é válido; esperado um de: new, open, pending, hold, solved, closed."),
        "{html}"
    );
    let html = bad_rule(&mut pt, "automations", "NEW", "greater_than", "soon").await;
    assert!(html.contains("NEW precisa de um número de horas, não “soon”."), "{html}");

    // An API token is shown once and works.
    let p = admin.post("/admin/api_tokens/new", &[("_csrf", &csrf), ("description", "Zapier"), ("user_id", "")]).await;
    assert_eq!(p.status, StatusCode::CREATED, "{}", p.html);
    let at = p.html.find("The new token is ").unwrap() + "The new token is ".len();
    let token = p.html[at..at + 40].to_string();
    let me = app.req_as("ada@example.com", &token, reqwest::Method::GET, "/api/v2/users/me", None).await;
    assert_eq!(me.body["user"]["email"], "ada@example.com", "{}", me.body);

    // Support addresses: a bad address is refused next to its field; a good one routes to a group.
    let p = admin
        .post(
            "/admin/recipient_addresses/new",
            &[("_csrf", &csrf), ("email", "not an address"), ("name", "Help"), ("brand_name", ""), ("group_id", "")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("id=\"e-email\""), "{}", p.html);
    let group = app.get("/api/v2/groups").await.body["groups"][0]["id"].as_i64().unwrap();
    let p = admin
        .post(
            "/admin/recipient_addresses/new",
            &[
                ("_csrf", &csrf),
                ("email", "help@acme.test"),
                ("name", "ACME Help"),
                ("brand_name", "ACME"),
                ("group_id", &group.to_string()),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let list = admin.get("/admin/recipient_addresses").await;
    assert!(list.html.contains("help@acme.test") && list.html.contains("Support addresses"), "{}", list.html);
    let a = &app.get("/api/v2/recipient_addresses").await.body["recipient_addresses"][0];
    assert_eq!(
        (a["email"].as_str(), a["brand_name"].as_str(), a["group_id"].as_i64()),
        (Some("help@acme.test"), Some("ACME"), Some(group))
    );

    // Account settings: a bad time zone is refused in place; a good one is saved.
    let p = admin
        .post("/admin/settings", &[("_csrf", &csrf), ("name", "Acme"), ("time_zone", "Mars/Olympus"), ("locale", "ja")])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(p.html.contains("id=\"e-time_zone\""), "{}", p.html);
    assert!(p.html.contains("“Mars&#x2f;Olympus” is not a time zone."), "{}", p.html);
    let (_, mut pt) = agent(&app, "Paulo Admin", "paulo@example.com", Role::Admin, "pt-BR").await;
    let pt_csrf = hidden(&pt.get("/admin/settings").await.html, "_csrf");
    let p = pt
        .post(
            "/admin/settings",
            &[("_csrf", &pt_csrf), ("name", "Acme"), ("time_zone", "Mars/Olympus"), ("locale", "ja")],
        )
        .await;
    assert!(p.html.contains("“Mars&#x2f;Olympus” não é um fuso horário."), "{}", p.html);
    let p = admin
        .post("/admin/settings", &[("_csrf", &csrf), ("name", "Acme"), ("time_zone", "Asia/Tokyo"), ("locale", "ja")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let s = app.get("/api/v2/account/settings").await.body;
    assert_eq!(s["settings"]["time_zone"], "Asia/Tokyo");

    // A password link: used once, it sets the password and ends the user's sessions.
    let users = app.get("/api/v2/users?role=agent").await.body;
    let ana = users["users"].as_array().unwrap().iter().find(|u| u["email"] == "ana@example.com").unwrap()["id"]
        .as_i64()
        .unwrap();
    let p = admin.post(&format!("/admin/users/{ana}/password-link"), &[("_csrf", &csrf)]).await;
    let html = p.html.replace("&#x2f;", "/");
    let at = html.find("/reset/").unwrap_or_else(|| panic!("a link is shown: {} {}", p.status, p.html));
    let link = html[at..at + 7 + 64].to_string();
    let mut visitor = Browser::new(&app.base, "en");
    let form = visitor.get(&link).await;
    let reset_csrf = hidden(&form.html, "_csrf");
    let p = visitor.post(&link, &[("_csrf", &reset_csrf), ("password", "short"), ("confirm", "short")]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reset_csrf = hidden(&p.html, "_csrf");
    let p = visitor
        .post(&link, &[("_csrf", &reset_csrf), ("password", "a brand new secret"), ("confirm", "a brand new secret")])
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    assert_eq!(plain.get("/agent").await.location.as_deref(), Some("/login"), "the old session ended");
    assert_eq!(visitor.get(&link).await.status, StatusCode::NOT_FOUND, "a link works once");
    let p = visitor.sign_in("ana@example.com", "a brand new secret").await;
    assert_eq!(p.location.as_deref(), Some("/agent"));
}

#[tokio::test]
async fn the_portal_form_offers_the_fields_marked_for_customers_and_sets_nothing_else() {
    let app = TestApp::spawn().await;
    let field = |body: Value| {
        let app = &app;
        async move {
            let r = app.post("/api/v2/ticket_fields", json!({"ticket_field": body})).await;
            r.body["ticket_field"]["id"].as_i64().unwrap_or_else(|| panic!("{}", r.body))
        }
    };
    let order = field(json!({"type": "text", "title": "Order number", "title_in_portal": "Your order number",
        "visible_in_portal": true, "editable_in_portal": true, "required_in_portal": true}))
    .await;
    let internal = field(json!({"type": "text", "title": "Internal score"})).await;
    let shipped = field(json!({"type": "tagger", "title": "Shipping state", "visible_in_portal": true,
        "custom_field_options": [{"name": "On its way", "value": "shipped"}]}))
    .await;
    make_user(&app.state, "Carla Cliente", "carla@example.com", Role::EndUser, Some("customer password")).await;
    let mut b = Browser::new(&app.base, "en");
    let p = b.sign_in("carla@example.com", "customer password").await;
    assert_eq!(p.location.as_deref(), Some("/portal"));
    let p = b.get("/portal").await;
    assert!(p.html.contains("Your order number") && !p.html.contains("Internal score"), "{}", p.html);
    let csrf = hidden(&p.html, "_csrf");
    let (order_key, internal_key) = (format!("cf_{order}"), format!("cf_{internal}"));
    let p = b
        .post(
            "/portal/requests",
            &[("_csrf", &csrf), ("subject", "Late"), ("description", "Where is it?"), (&order_key, " ")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    let next_to = p.html.split(&format!("id=\"cf_{order}-error\">")).nth(1).unwrap_or_else(|| panic!("{}", p.html));
    assert!(next_to.starts_with("Your order number: this needs an answer."), "{}", p.html);
    assert!(p.html.contains(&format!("aria-invalid=\"true\" aria-describedby=\"cf_{order}-error\"")));
    assert!(p.html.contains("Where is it?"), "the text is kept");
    let p = b
        .post(
            "/portal/requests",
            &[
                ("_csrf", &csrf),
                ("subject", "Late"),
                ("description", "Where is it?"),
                (&order_key, "A-123"),
                (&internal_key, "99"),
                ("priority", "urgent"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let id = p.location.unwrap().rsplit('/').next().unwrap().to_string();
    let t = app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"].clone();
    assert_eq!(t["priority"], Value::Null, "a customer cannot set the priority");
    let values: Vec<&Value> = t["custom_fields"].as_array().unwrap().iter().filter(|f| !f["value"].is_null()).collect();
    assert_eq!(values, vec![&json!({"id": order, "value": "A-123"})], "only the offered field is set");
    assert!(
        !b.get("/portal").await.html.contains("Shipping state"),
        "a field customers cannot edit is not on the form"
    );
    // The request shows the fields customers may see, with their values by name.
    let r = app
        .put(
            &format!("/api/v2/tickets/{id}"),
            json!({"ticket": {"custom_fields": [{"id": shipped, "value": "shipped"}]}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p = b.get(&format!("/portal/requests/{id}")).await;
    assert!(p.html.contains("<dt>Shipping state</dt><dd>On its way</dd>"), "{}", p.html);
    assert!(p.html.contains("<dt>Your order number</dt><dd>A-123</dd>"), "{}", p.html);
    assert!(!p.html.contains("Internal score"), "{}", p.html);

    // Many requests: fifty a page, newest first, and every one reachable.
    let carla = t["requester_id"].clone();
    let more: Vec<Value> = (1..=54)
        .map(|i| json!({"subject": format!("Request number {i}"), "comment": {"body": "x"}, "requester_id": carla}))
        .collect();
    let job = app.post("/api/v2/tickets/create_many", json!({"tickets": more})).await;
    app.wait_job(job.body["job_status"]["id"].as_str().unwrap()).await;
    let first = b.get("/portal").await;
    let rows = |html: &str| html.matches("<a href=\"/portal/requests/").count();
    assert_eq!(rows(&first.html), 50);
    assert!(first.html.contains("Request number 54<") && !first.html.contains("Request number 4<"));
    let older = first.html.split("href=\"/portal?before=").nth(1).expect("a link to older requests");
    let older = older.split('"').next().unwrap().to_string();
    assert!(!first.html.contains("/portal?after="), "nothing is newer than the first page");
    let second = b.get(&format!("/portal?before={older}")).await;
    assert_eq!(rows(&second.html), 5, "{}", second.html);
    assert!(second.html.contains("Request number 4<") && second.html.contains(">Late<"), "{}", second.html);
    assert!(!second.html.contains("/portal?before="), "nothing is older");
    let newer = second.html.split("href=\"/portal?after=").nth(1).expect("a link back").split('"').next().unwrap();
    let back = b.get(&format!("/portal?after={newer}")).await;
    assert_eq!(rows(&back.html), 50);
    assert!(back.html.contains("Request number 54<"));
}

#[tokio::test]
async fn a_campaign_is_found_composed_previewed_and_sent_from_the_workspace() {
    let app = TestApp::spawn().await;
    for i in 0..3 {
        make_user(&app.state, &format!("Renata {i}"), &format!("renata{i}@example.com"), Role::EndUser, None).await;
    }
    make_user(&app.state, "Outra Pessoa", "outra@example.com", Role::EndUser, None).await;
    let (_, mut plain) = agent(&app, "Ana Agent", "ana@example.com", Role::Agent, "pt-BR").await;
    let p = plain.get("/agent/campaigns/new").await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(p.html.contains("executar campanhas"), "the permission is named: {}", p.html);

    let (_, mut b) = agent(&app, "Ada Admin", "ada@example.com", Role::Admin, "en").await;
    let p = b.get("/agent/campaigns/new?q=renata&per_page=2").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.html.contains("3 customers found") && p.html.contains("Page 1 of 2"), "{}", p.html);
    assert!(!p.html.contains("Outra Pessoa"));
    let csrf = hidden(&p.html, "_csrf");
    let query = hidden(&p.html, "query").replace("&#x3a;", ":");
    // A blank name is refused next to its input; the composer keeps what was typed.
    let compose = |name: &'static str| {
        vec![
            ("_csrf", csrf.clone()),
            ("query", query.clone()),
            ("find_q", "renata".to_string()),
            ("all_matching", "1".to_string()),
            ("name", name.to_string()),
            ("subject", "Olá {{user.first_name}}".to_string()),
            ("body", "Sua renovação está chegando.".to_string()),
            ("public", "true".to_string()),
        ]
    };
    let form: Vec<(&str, String)> = compose("");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = b.post("/agent/campaigns/preview", &pairs).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("Sua renovação está chegando."));
    assert!(p.html.contains("id=\"c-name-error\""), "the problem is under the name: {}", p.html);
    // A placeholder not closed: said in the reader's words, not the template engine's.
    let mut form: Vec<(&str, String)> = compose("Renewal nudges");
    form.retain(|(k, _)| *k != "subject");
    form.push(("subject", "Olá {{user.first_name".to_string()));
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = b.post("/agent/campaigns/preview", &pairs).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("A placeholder on line 1 is not written correctly"), "{}", p.html);
    assert!(!p.html.contains("unexpected"), "no engine text: {}", p.html);
    let form = compose("Renewal nudges");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let p = b.post("/agent/campaigns/preview", &pairs).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("campaign_renewal_nudges"), "the exact tag is shown: {}", p.html);
    assert!(p.html.contains("Olá Renata"), "a sample is rendered for a real customer");
    assert!(p.html.contains("<strong id=\"will-create\">3</strong>"), "{}", p.html);
    let campaign = hidden(&p.html, "campaign").replace("&quot;", "\"").replace("&#x2f;", "/").replace("&#x3a;", ":");
    let campaign = campaign.replace("&amp;", "&").replace("&#x27;", "'").replace("&lt;", "<").replace("&gt;", ">");
    let p = b.post("/agent/campaigns", &[("_csrf", &csrf), ("campaign", &campaign)]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let page = p.location.unwrap();
    let mut html = String::new();
    for _ in 0..200 {
        html = b.get(&page).await.html;
        if html.contains("Completed") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(html.contains("<dd id=\"created-count\">3</dd>"), "{html}");
    assert!(html.contains("Open the campaign&#x27;s view") || html.contains("Open the campaign's view"));
    let csv = b.get(&format!("{page}/report.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.html.contains("tickets,3"), "{}", csv.html);
    // The download's labels are in the reader's language.
    let (_, mut ja) = agent(&app, "Aiko Admin", "aiko@example.com", Role::Admin, "ja").await;
    let csv = ja.get(&format!("{page}/report.csv")).await;
    assert!(csv.html.contains("チケット数,3") && csv.html.contains("ステータス 新規,3"), "{}", csv.html);
    assert_eq!(app.count("SELECT COUNT(*) FROM tickets WHERE via_channel = 'campaign'").await, 3);
}

/// The rows of a ticket list: (id, the cells after the subject), as the page shows them.
fn list_rows(html: &str) -> Vec<(i64, Vec<String>)> {
    let body = html.split("<tbody>").nth(1).unwrap_or("").split("</tbody>").next().unwrap_or("");
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            let cells: Vec<String> = row
                .split("<td>")
                .skip(1)
                .map(|c| {
                    let c = c.split("</td>").next().unwrap_or("");
                    // The text without its tags.
                    let mut text = String::new();
                    let mut in_tag = false;
                    for ch in c.chars() {
                        match ch {
                            '<' => in_tag = true,
                            '>' => in_tag = false,
                            _ if !in_tag => text.push(ch),
                            _ => {}
                        }
                    }
                    text.trim().to_string()
                })
                .collect();
            (cells[1].parse().unwrap_or(0), cells[3..].to_vec())
        })
        .collect()
}

#[tokio::test]
async fn a_view_sorts_by_its_columns_pages_without_a_cap_and_shows_times_in_the_readers_zone() {
    let app = TestApp::spawn().await;
    let priorities = ["low", "normal", "high", "urgent"];
    let tickets: Vec<Value> = (0..120)
        .map(|i| json!({"subject": format!("Ticket {i:03}"), "priority": priorities[i % 4], "comment": {"body": "x"}}))
        .collect();
    for chunk in tickets.chunks(100) {
        let job = app.post("/api/v2/tickets/create_many", json!({"tickets": chunk})).await;
        app.wait_job(job.body["job_status"]["id"].as_str().unwrap()).await;
    }
    let view = app
        .post(
            "/api/v2/views",
            json!({"view": {"title": "Everything open",
                "all": [{"field": "status", "operator": "less_than", "value": "solved"}],
                "output": {"columns": ["subject", "priority", "created"]}}}),
        )
        .await;
    assert_eq!(view.status, 201, "{}", view.body);
    let view = view.body["view"]["id"].as_i64().unwrap();
    let r = app.put("/api/v2/account/settings", json!({"settings": {"time_zone": "Asia/Tokyo"}})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (_, mut b) = agent(&app, "Ana Agent", "ana@example.com", Role::Agent, "en").await;

    // Pages: 50 rows each, the last one holding the rest, every ticket once.
    let first = b.get(&format!("/agent/views/{view}")).await;
    assert!(first.html.contains("Page 1 of 3"), "{}", first.html);
    let mut seen = Vec::new();
    for page in 1..=3 {
        let p = b.get(&format!("/agent/views/{view}?page={page}")).await;
        assert_eq!(p.status, StatusCode::OK);
        seen.extend(list_rows(&p.html).into_iter().map(|(id, _)| id));
    }
    assert_eq!(seen.len(), 120);
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 120, "no ticket twice");

    // A sortable column's header sorts by it, and asks for the other direction next.
    assert!(first.html.contains("href=\"?sort=priority&amp;order=asc\""), "{}", first.html);
    let p = b.get(&format!("/agent/views/{view}?sort=priority&order=desc")).await;
    assert!(p.html.contains("aria-sort=\"descending\""), "{}", p.html);
    assert!(
        p.html.contains("href=\"?page=2&amp;sort=priority&amp;order=desc\""),
        "the pager keeps the order: {}",
        p.html
    );
    let shown: Vec<String> = list_rows(&p.html).into_iter().map(|(_, cells)| cells[0].clone()).collect();
    assert_eq!(shown.len(), 50);
    assert!(shown[..30].iter().all(|p| p == "Urgent") && shown[30..].iter().all(|p| p == "High"), "{shown:?}");
    let p = b.get(&format!("/agent/views/{view}?page=3&sort=priority&order=desc")).await;
    let rows = list_rows(&p.html);
    assert_eq!(rows.len(), 20);
    assert!(rows.iter().all(|(_, cells)| cells[0] == "Low"), "{rows:?}");
    let p = b.get(&format!("/agent/views/{view}?sort=priority&order=asc")).await;
    let shown: Vec<String> = list_rows(&p.html).into_iter().map(|(_, cells)| cells[0].clone()).collect();
    assert!(shown[..30].iter().all(|p| p == "Low") && shown[30..].iter().all(|p| p == "Normal"), "{shown:?}");

    // Times: the agent has no time zone, so the account's (Tokyo); with one, theirs.
    let t = app.get("/api/v2/tickets/1").await.body["ticket"].clone();
    let created: jiff::Timestamp = t["created_at"].as_str().unwrap().parse().unwrap();
    let shown =
        |zone: &str| created.to_zoned(jiff::tz::TimeZone::get(zone).unwrap()).strftime("%Y-%m-%d %H:%M").to_string();
    let p = b.get(&format!("/agent/views/{view}?sort=id&order=asc")).await;
    let rows = list_rows(&p.html);
    assert_eq!(rows[0].0, 1);
    assert_eq!(rows[0].1[1], shown("Asia/Tokyo"), "{rows:?}");
    let (_, mut bia) = agent(&app, "Bia Agente", "bia@example.com", Role::Agent, "pt-BR").await;
    let users = app.get("/api/v2/users?role=agent").await.body;
    let bia_id = users["users"].as_array().unwrap().iter().find(|u| u["email"] == "bia@example.com").unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = app.put(&format!("/api/v2/users/{bia_id}"), json!({"user": {"iana_time_zone": "America/Sao_Paulo"}})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let p = bia.get(&format!("/agent/views/{view}?sort=id&order=asc")).await;
    assert_eq!(list_rows(&p.html)[0].1[1], shown("America/Sao_Paulo"));
    // An account time zone the tz database no longer knows never blanks the page: times are UTC.
    frontdesk_server::app::in_tx(&app.state, async |tx| {
        sqlx::query("UPDATE account SET time_zone = 'Mars/Olympus'").execute(&mut *tx).await?;
        Ok(())
    })
    .await
    .unwrap();
    let p = b.get(&format!("/agent/views/{view}?sort=id&order=asc")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert_eq!(list_rows(&p.html)[0].1[1], shown("UTC"));
}

#[tokio::test]
async fn pages_speak_the_readers_language_when_something_is_wrong_and_admin_records_of_every_kind_open() {
    let app = TestApp::spawn().await;
    let (_, mut pt) = agent(&app, "Paula Agente", "paula@example.com", Role::Agent, "pt-BR").await;
    let (_, mut ja) = agent(&app, "Aiko Admin", "aiko@example.com", Role::Admin, "ja").await;

    // A page that does not exist, a path no page answers, a page the user may not see: the
    // signed-in user's language, the usual header, never the API's JSON.
    for path in ["/agent/tickets/999", "/agent/nothing-here", "/portal/nothing/here"] {
        let p = pt.get(path).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{path}");
        assert!(p.html.contains("Esta página não existe.") && p.html.contains("Paula Agente"), "{path}: {}", p.html);
    }
    let p = pt.get("/admin/users").await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(p.html.contains("Você não tem permissão para ver esta página."), "{}", p.html);
    assert!(!p.html.contains("/agent/campaigns"), "no link to what she may not open: {}", p.html);
    assert!(ja.get("/agent").await.html.contains("/agent/campaigns"), "an admin may run campaigns");
    assert_eq!(app.get("/api/v2/nothing").await.body["error"], "InvalidEndpoint", "the API keeps its answer");
    // A query parameter a page cannot use is left out, not an error.
    for path in ["/agent/search?q=status%3Anew&page=abc", "/admin/users?page=abc", "/portal?before=x"] {
        let p = ja.get(path).await;
        assert_eq!(p.status, StatusCode::OK, "{path}: {}", p.html);
    }

    // A form the browser sent incomplete: a page that says so, in the reader's language.
    let mut anonymous = Browser::new(&app.base, "pt-BR");
    let p = anonymous.post("/login", &[("email", "paula@example.com")]).await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(p.html.contains("Este formulário chegou incompleto."), "{}", p.html);

    // Webhooks (string ids) and API tokens open from their lists, and can be deleted.
    let hook = app
        .post("/api/v2/webhooks", json!({"webhook": {"name": "CRM", "endpoint": "https://crm.example.com/hook"}}))
        .await
        .body["webhook"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let list = ja.get("/admin/webhooks").await;
    assert!(list.html.contains(&format!("href=\"/admin/webhooks/{hook}\"")), "{}", list.html);
    assert!(list.html.contains("有効"), "the status in Japanese: {}", list.html);
    let p = ja.get(&format!("/admin/webhooks/{hook}")).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("data-confirm=\"「CRM」を完全に削除しますか？"), "deleting asks first: {}", p.html);
    let token = app.post("/api/v2/api_tokens", json!({"api_token": {"description": "Zapier"}})).await;
    let token_id = token.body["api_token"]["id"].as_i64().unwrap();
    let p = ja.get(&format!("/admin/api_tokens/{token_id}")).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(!p.html.contains(token.body["api_token"]["token"].as_str().unwrap()), "never the secret again");
    let csrf = hidden(&p.html, "_csrf");
    let p = ja.post(&format!("/admin/api_tokens/{token_id}/delete"), &[("_csrf", &csrf)]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    assert!(!app.get("/api/v2/api_tokens").await.body.to_string().contains("Zapier"), "revoked");

    // A form with several problems names them all, each under its input.
    let csrf = hidden(&ja.get("/admin/users/new").await.html, "_csrf");
    let p = ja
        .post(
            "/admin/users/new",
            &[
                ("_csrf", &csrf),
                ("name", "Zé"),
                ("email", "bad"),
                ("role", "end-user"),
                ("phone", "abc"),
                ("time_zone", "Mars/X"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    for input in ["email", "phone", "time_zone", "password"] {
        assert!(p.html.contains(&format!("<p class=\"error\" id=\"e-{input}\">")), "{input}: {}", p.html);
    }
    // A view with no title and a bad condition; a trigger with no title and no action.
    for (kind, field, value, second) in
        [("views", "colour", "red", "conditions"), ("triggers", "status", "new", "actions")]
    {
        let csrf = hidden(&ja.get(&format!("/admin/{kind}/new")).await.html, "_csrf");
        let form = [
            ("_csrf", csrf.as_str()),
            ("title", " "),
            ("all.field", field),
            ("all.operator", "is"),
            ("all.value", value),
        ];
        let p = ja.post(&format!("/admin/{kind}/new"), &form).await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
        assert!(p.html.contains("id=\"e-title\"") && p.html.contains(&format!("id=\"e-{second}\"")), "{}", p.html);
    }

    // An identity refused: the problem under the identity box, with what was typed; one accepted.
    let cora = make_user(&app.state, "Cora Cliente", "cora@example.com", Role::EndUser, None).await.0;
    let page = ja.get(&format!("/admin/users/{cora}")).await;
    let csrf = hidden(&page.html, "_csrf");
    let path = format!("/admin/users/{cora}/identities");
    let p = ja.post(&path, &[("_csrf", &csrf), ("type", "phone_number"), ("value", "abc")]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        p.html.contains("<p class=\"error\" id=\"identity-error\">「abc」は電話番号ではありません。</p>"),
        "{}",
        p.html
    );
    assert!(
        p.html.contains("value=\"abc\"") && p.html.contains("<option value=\"phone_number\" selected>"),
        "{}",
        p.html
    );
    let p = ja.post(&path, &[("_csrf", &csrf), ("type", "phone_number"), ("value", "+55 11 99999-0000")]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    assert!(ja.get(&format!("/admin/users/{cora}")).await.html.contains("電話番号: +5511999990000"));

    // Settings: a blank name is refused next to it; a save is confirmed, not shown as an error.
    let csrf = hidden(&ja.get("/admin/settings").await.html, "_csrf");
    let p = ja
        .post("/admin/settings", &[("_csrf", &csrf), ("name", " "), ("time_zone", "Asia/Tokyo"), ("locale", "ja")])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("id=\"e-name\""), "{}", p.html);
    let p = ja
        .post("/admin/settings", &[("_csrf", &csrf), ("name", "Acme"), ("time_zone", "Asia/Tokyo"), ("locale", "ja")])
        .await;
    let p = ja.get(p.location.as_deref().unwrap()).await;
    assert!(p.html.contains("class=\"flash\" role=\"status\""), "{}", p.html);
    assert!(!p.html.contains("role=\"alert\""), "{}", p.html);

    // A bulk change a ticket refuses: the job page says why, in the reader's language.
    let group =
        app.post("/api/v2/groups", json!({"group": {"name": "Tier 2"}})).await.body["group"]["id"].as_i64().unwrap();
    let t = app.ticket(json!({"subject": "Grouped", "comment": {"body": "x"}, "group_id": group})).await;
    let paula = app.get("/api/v2/users/me").await; // the admin; Paula is found by email below
    assert_eq!(paula.status, 200);
    let users = app.get("/api/v2/users?role=agent").await.body;
    let paula = users["users"].as_array().unwrap().iter().find(|u| u["email"] == "paula@example.com").unwrap()["id"]
        .as_i64()
        .unwrap();
    let csrf = hidden(&pt.get("/agent/search?q=status%3Anew").await.html, "_csrf");
    let (id, a) = (t["id"].to_string(), paula.to_string());
    let p = pt.post("/agent/bulk", &[("_csrf", &csrf), ("scope", "selected"), ("ids", &id), ("assignee_id", &a)]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let job = p.location.unwrap();
    let public = job.trim_start_matches("/agent/jobs/").split('?').next().unwrap().to_string();
    app.wait_job(&public).await;
    let p = pt.get(&job).await;
    assert!(p.html.contains("O responsável não é membro do grupo escolhido."), "{}", p.html);
    // Someone who is not an agent is refused before any job.
    let customer = cora;
    let c = customer.to_string();
    let p = pt.post("/agent/bulk", &[("_csrf", &csrf), ("scope", "selected"), ("ids", &id), ("assignee_id", &c)]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains(&format!("O usuário {customer} não é um agente.")), "{}", p.html);
    // Sent from a list, the refusal comes back to that list: the panel open, the problem under
    // the assignee, the rows and the note kept.
    let back = "/agent/search?q=status%3Anew";
    let form = [
        ("_csrf", csrf.as_str()),
        ("back", back),
        ("scope", "selected"),
        ("ids", &id),
        ("assignee_id", &c),
        ("note", "Checked by Paula"),
    ];
    let p = pt.post("/agent/bulk", &form).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("<details class=\"bulk card\" open>"), "{}", p.html);
    let under = p.html.split("id=\"bulk-assignee_id-error\">").nth(1).unwrap_or_else(|| panic!("{}", p.html));
    assert!(under.starts_with(&format!("O usuário {customer} não é um agente.")), "{}", p.html);
    assert!(p.html.contains(&format!("name=\"ids\" value=\"{id}\" checked")), "the row stays selected: {}", p.html);
    assert!(p.html.contains(">Checked by Paula</textarea>"), "{}", p.html);

    // Searching people counts no tickets.
    let p = pt.get("/agent/search?q=type%3Auser%20cora").await;
    assert!(p.html.contains("Cora Cliente") && !p.html.contains("0 ticket"), "{}", p.html);
}

#[tokio::test]
async fn admin_pages_name_the_rules_that_a_removal_or_demotion_leaves_pointing_at_nothing() {
    let app = TestApp::spawn().await;
    let (_, mut admin) = agent(&app, "Ada Admin", "ada@example.com", Role::Admin, "pt-BR").await;
    let (otto, _) = app.user("Otto Agent", "otto@example.com", Role::Agent).await;
    let group = app.post("/api/v2/groups", json!({"group": {"name": "Tier 2"}})).await.body["group"]["id"].clone();
    let trigger = app
        .post(
            "/api/v2/triggers",
            json!({"trigger": {"title": "Route <b>VIPs</b>", "all": [{"field": "update_type", "operator": "is", "value": "Create"}],
                "actions": [{"field": "group_id", "value": group.to_string()}, {"field": "assignee_id", "value": otto.to_string()}]}}),
        )
        .await
        .body["trigger"]["id"]
        .clone();
    let p = admin.get(&format!("/admin/groups/{group}")).await;
    let csrf = hidden(&p.html, "_csrf");

    // Deleting the group: the list comes back saying which rule names it, with its page.
    let p = admin.post(&format!("/admin/groups/{group}/delete"), &[("_csrf", &csrf)]).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("Removido."), "{}", p.html);
    // (minijinja escapes `/` as `&#x2f;`.)
    let link = format!("href=\"&#x2f;admin&#x2f;triggers&#x2f;{trigger}\"");
    assert!(p.html.contains(&link), "{}", p.html);
    assert!(p.html.contains("Gatilho: <a") && p.html.contains("Route &lt;b&gt;VIPs&lt;&#x2f;b&gt;"), "{}", p.html);

    // Demoting the agent the rule assigns to: the saved form says the same.
    let form = [
        ("_csrf", csrf.as_str()),
        ("name", "Otto Agent"),
        ("email", "otto@example.com"),
        ("role", "end-user"),
        ("organization_id", ""),
        ("phone", ""),
        ("time_zone", ""),
        ("locale", ""),
        ("suspended", "0"),
        ("tags", ""),
        ("notes", ""),
        ("password", ""),
    ];
    let p = admin.post(&format!("/admin/users/{otto}"), &form).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("Salvo") && p.html.contains(&link), "{}", p.html);
    assert_eq!(app.get(&format!("/api/v2/users/{otto}")).await.body["user"]["role"], "end-user");

    // Nothing named: the usual redirect.
    let other = app.post("/api/v2/groups", json!({"group": {"name": "Spare"}})).await.body["group"]["id"].clone();
    let p = admin.post(&format!("/admin/groups/{other}/delete"), &[("_csrf", &csrf)]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
}
