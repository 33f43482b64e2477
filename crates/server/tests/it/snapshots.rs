//! What clients see, frozen before the code is reshaped: the JSON of a fixed scenario's answers
//! (tickets, users, organizations, audits with their events, search, a view, errors) and the
//! OpenAPI document. Times and the server's address are the only parts normalised; the rest must
//! stay byte for byte (`cargo insta review` after a change that is meant).

use serde_json::{Value, json};

use crate::helpers::{Resp, TestApp};

/// An answer as a stable text: its status, then its JSON with times and the base address masked.
fn frozen(app: &TestApp, r: &Resp) -> String {
    fn walk(v: &mut Value, base: &str) {
        match v {
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    if (k.ends_with("_at") && x.is_string()) || k.ends_with("timestamp") {
                        *x = json!("[time]");
                    } else {
                        walk(x, base);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| walk(x, base)),
            Value::String(s) if s.contains(base) => *s = s.replace(base, "http://frontdesk.test"),
            _ => {}
        }
    }
    let mut body = r.body.clone();
    walk(&mut body, &app.base);
    format!("{}\n{}", r.status, serde_json::to_string_pretty(&body).unwrap())
}

#[tokio::test]
async fn the_api_answers_of_a_fixed_scenario_stay_as_frozen() {
    let app = TestApp::spawn().await;
    let mut out = Vec::new();
    let mut keep = |what: &str, text: String| out.push(format!("## {what}\n{text}\n"));

    let r = app
        .post(
            "/api/v2/organizations",
            json!({"organization": {"name": "Acme Ltda", "domain_names": ["acme.com.br"], "tags": ["vip"]}}),
        )
        .await;
    keep("create an organization", frozen(&app, &r));
    let r = app.post("/api/v2/users", json!({"user": {"name": "Carla Cliente", "email": "carla@acme.com.br", "locale": "pt-BR", "phone": "+55 11 91234-5678"}})).await;
    keep("create an end user (organization by domain)", frozen(&app, &r));
    let carla = r.body["user"]["id"].as_i64().unwrap();
    let r = app
        .post("/api/v2/users", json!({"user": {"name": "Ana Agente", "email": "ana@example.com", "role": "agent"}}))
        .await;
    let ana = r.body["user"]["id"].as_i64().unwrap();
    let r = app
        .post(
            "/api/v2/tickets",
            json!({"ticket": {"subject": "Impressora não imprime", "requester_id": carla,
            "priority": "high", "type": "incident", "tags": ["impressora", "Urgente"],
            "comment": {"body": "Olá, a impressora **parou**. 日本語も"}}}),
        )
        .await;
    keep("create a ticket", frozen(&app, &r));
    let id = r.body["ticket"]["id"].as_i64().unwrap();
    let r = app
        .put(
            &format!("/api/v2/tickets/{id}"),
            json!({"ticket": {"status": "pending", "assignee_id": ana,
            "comment": {"body": "Checked the cable.", "public": false}, "additional_tags": ["cabo"]}}),
        )
        .await;
    keep("update a ticket with an internal note", frozen(&app, &r));
    keep("show a ticket", frozen(&app, &app.get(&format!("/api/v2/tickets/{id}")).await));
    keep("its audits", frozen(&app, &app.get(&format!("/api/v2/tickets/{id}/audits")).await));
    keep("its comments", frozen(&app, &app.get(&format!("/api/v2/tickets/{id}/comments")).await));
    keep("search", frozen(&app, &app.get("/api/v2/search?query=type:ticket%20status:pending%20impressora").await));
    let view = json!({"view": {"title": "Pendentes", "all": [{"field": "status", "operator": "is", "value": "pending"}],
        "output": {"columns": ["subject", "requester", "status"], "sort_by": "updated_at", "sort_order": "desc"}}});
    let r = app.post("/api/v2/views", view).await;
    keep("create a view", frozen(&app, &r));
    let v = r.body["view"]["id"].as_i64().unwrap();
    keep("execute it", frozen(&app, &app.get(&format!("/api/v2/views/{v}/execute")).await));
    keep("list users", frozen(&app, &app.get("/api/v2/users").await));

    let r = app.post("/api/v2/tickets", json!({"ticket": {"priority": "someday", "requester_id": 999999}})).await;
    keep("a ticket with every problem at once", frozen(&app, &r));
    keep("a ticket that does not exist", frozen(&app, &app.get("/api/v2/tickets/999999").await));
    keep("a search that does not parse", frozen(&app, &app.get("/api/v2/search?query=status%3C%20priority:").await));
    let r =
        app.put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"status": "solved", "assignee_id": null}})).await;
    keep("a change the rules refuse", frozen(&app, &r));

    insta::assert_snapshot!(out.join("\n"));
}

#[tokio::test]
async fn the_openapi_document_stays_as_frozen() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/v2/openapi.json").await;
    assert_eq!(r.status, 200);
    insta::assert_snapshot!(frozen(&app, &r));
}

/// The mails Frontdesk sends, frozen in three languages: the default acknowledgement (the
/// triggers made in Portuguese, the footer in each customer's language) and an agent's reply,
/// to customers who read Japanese, Portuguese and English. What is frozen: recipient, subject
/// and the text part, with the server's address masked; the order is by recipient and subject,
/// as the sends go out in parallel.
#[tokio::test]
async fn the_mails_sent_in_three_languages_stay_as_frozen() {
    use frontdesk_domain::{Locale, Role};
    let (relay, sent) = crate::helpers::smtp_sink().await;
    let app = TestApp::spawn_with(crate::helpers::TestDb::new().await, |c| c.smtp_relay = Some(relay)).await;
    app.first_run_defaults(Locale::PtBr).await;
    let address = json!({"recipient_address": {"email": "help@acme.test", "name": "ACME"}});
    assert_eq!(app.post("/api/v2/recipient_addresses", address).await.status, 201);
    let (agent, _) = app.user("Ana Agente", "ana@example.com", Role::Agent).await;
    let customers = [
        ("Hana Tanaka", "hana@example.jp", "ja"),
        ("Carla Cliente", "carla@example.com.br", "pt-BR"),
        ("John Smith", "john@example.com", "en-US"),
    ];
    for (name, email, locale) in customers {
        let (id, _) = app.user(name, email, Role::EndUser).await;
        app.put(&format!("/api/v2/users/{id}"), json!({"user": {"locale": locale}})).await;
        // One of the tickets has a priority, which the assignment notice names; the others do not.
        let priority = (locale == "en-US").then_some("high");
        let t = app
            .ticket(json!({"subject": format!("Login & <2FA> ({locale})"), "requester_id": id, "priority": priority,
                "comment": {"body": "I cannot log in."}}))
            .await;
        let reply = json!({"ticket": {"assignee_id": agent, "status": "pending",
            "comment": {"body": "Please try **again** now.\n\n- step one\n- step two", "public": true, "author_id": agent}}});
        assert_eq!(app.put(&format!("/api/v2/tickets/{}", t["id"]), reply).await.status, 200);
    }
    // Three acknowledgements, three replies, and one assignment notice to the agent per ticket.
    crate::helpers::nth_mail(&sent, 8).await;
    let mut mails: Vec<String> = sent
        .lock()
        .unwrap()
        .iter()
        .map(|raw| {
            let m = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
            let to = m.to().and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or("").to_string();
            let text = m.body_text(0).map(|t| t.replace(&app.base, "http://frontdesk.test")).unwrap_or_default();
            format!("To: {to}\nSubject: {}\n\n{}", m.subject().unwrap_or(""), text.trim_end())
        })
        .collect();
    mails.sort();
    assert_eq!(mails.len(), 9, "{mails:#?}");
    insta::assert_snapshot!(mails.join("\n\n----------\n\n"));
}
