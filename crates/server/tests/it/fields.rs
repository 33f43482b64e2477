//! Custom fields: definitions for tickets, users and organizations, values checked on write,
//! required-on-solve, drop-down tags, and search by key and by free text.

use serde_json::{Value, json};

use crate::helpers::TestApp;

async fn field(app: &TestApp, plural: &str, singular: &str, body: Value) -> Value {
    let r = app.post(&format!("/api/v2/{plural}"), json!({ singular: body })).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body[singular].clone()
}

async fn search_ids(app: &TestApp, q: &str) -> Vec<i64> {
    let url = format!("/api/v2/search?query={}", form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>());
    let r = app.get(&url).await;
    assert_eq!(r.status, 200, "{q}: {}", r.body);
    let mut ids: Vec<i64> = r.body["results"].as_array().unwrap().iter().map(|x| x["id"].as_i64().unwrap()).collect();
    ids.sort();
    ids
}

fn value_of(ticket: &Value, field: i64) -> Value {
    ticket["custom_fields"].as_array().unwrap().iter().find(|f| f["id"] == field).unwrap()["value"].clone()
}

#[tokio::test]
async fn ticket_fields_checked_rendered_required_to_solve_and_searchable() {
    let app = TestApp::spawn().await;
    let plan = field(
        &app,
        "ticket_fields",
        "ticket_field",
        json!({"type": "tagger", "title": "Plan", "key": "plan", "custom_field_options": [
            {"name": "Basic", "value": "basic"}, {"name": "Enterprise plus", "value": "enterprise_plus"}]}),
    )
    .await;
    assert_eq!(plan["description"], "Plan", "the description defaults to the title");
    assert_eq!(plan["custom_field_options"][1]["value"], "enterprise_plus");
    let plan_id = plan["id"].as_i64().unwrap();
    let seats = field(
        &app,
        "ticket_fields",
        "ticket_field",
        json!({"type": "integer", "title": "Seats", "key": "seats", "required": true}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let order = field(
        &app,
        "ticket_fields",
        "ticket_field",
        json!({"type": "regexp", "title": "Order", "key": "order_ref", "regexp_for_validation": "[A-Z]{2}-\\d+"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();

    let t = app
        .ticket(json!({"subject": "Upgrade", "comment": {"body": "please"}, "tags": ["x"],
            "custom_fields": [{"id": plan_id, "value": "enterprise plus"}, {"id": order, "value": "AB-77"}]}))
        .await;
    let id = t["id"].as_i64().unwrap();
    assert_eq!(value_of(&t, plan_id), "enterprise_plus");
    assert_eq!(value_of(&t, seats), Value::Null);
    assert_eq!(t["tags"], json!(["enterprise_plus", "x"]), "a drop-down choice is a tag");
    let shown = app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"].clone();
    assert_eq!(value_of(&shown, order), "AB-77");
    assert_eq!(shown["fields"], shown["custom_fields"]);

    // Bad values: 422 naming the field; nothing is saved.
    for (body, needle) in [
        (
            json!([{"id": plan_id, "value": "gold"}]),
            "Plan (plan): \"gold\" is not one of its options (basic, enterprise_plus)",
        ),
        (json!([{"id": seats, "value": "many"}]), "Seats (seats): \"many\" is not a whole number"),
        (json!([{"id": order, "value": "ab-1"}]), "does not match"),
        (json!([{"id": 987654, "value": "x"}]), "there is no ticket field 987654"),
    ] {
        let r = app
            .put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"custom_fields": body, "subject": "changed"}}))
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.to_string().replace("\\\"", "\"").contains(needle), "{needle}: {}", r.body);
    }
    let after = app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"].clone();
    assert_eq!(after["subject"], "Upgrade", "a rejected update changes nothing");

    // Required to solve.
    let r = app.put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"status": "solved"}})).await;
    assert_eq!(r.status, 422);
    assert!(r.body.to_string().contains("Seats (seats) is required to solve"), "{}", r.body);
    let r = app
        .put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"status": "solved", "custom_fields": [{"id": seats, "value": 25}, {"id": plan_id, "value": "basic"}]}}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(value_of(&r.body["ticket"], seats), 25);
    assert_eq!(r.body["ticket"]["tags"], json!(["basic", "x"]), "the old choice's tag left with it");
    let events = r.body["audit"]["events"].as_array().unwrap();
    assert!(events.iter().any(|e| e["field_name"] == seats.to_string().as_str() && e["value"] == 25), "{events:?}");

    // Search by key, by custom_field_<id>, with comparisons, and as free text.
    let other = app
        .ticket(json!({"subject": "Other", "comment": {"body": "b"}, "custom_fields": [{"id": seats, "value": 3}]}))
        .await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(search_ids(&app, "plan:basic").await, vec![id]);
    assert_eq!(search_ids(&app, "plan:Basic type:ticket").await, vec![id]);
    assert_eq!(search_ids(&app, &format!("custom_field_{seats}:25")).await, vec![id]);
    assert_eq!(search_ids(&app, "seats>10").await, vec![id]);
    assert_eq!(search_ids(&app, "seats<10").await, vec![other]);
    assert_eq!(search_ids(&app, "plan:none type:ticket").await, vec![other]);
    assert_eq!(search_ids(&app, "ab-77").await, vec![id], "custom field values are free text");
    let r = app.get("/api/v2/search?query=plan%3Agold").await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.to_string().contains("not an option of plan"), "{}", r.body);

    // Options endpoint, update, delete.
    let r = app.get(&format!("/api/v2/ticket_fields/{plan_id}/options")).await;
    assert_eq!(r.body["custom_field_options"].as_array().unwrap().len(), 2);
    let r = app
        .post(
            &format!("/api/v2/ticket_fields/{plan_id}/options"),
            json!({"custom_field_option": {"name": "Gold", "value": "gold"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let gold = r.body["custom_field_option"]["id"].as_i64().unwrap();
    let r = app.get(&format!("/api/v2/ticket_fields/{plan_id}/options/{gold}")).await;
    assert_eq!(r.body["custom_field_option"]["value"], "gold");
    assert_eq!(app.delete(&format!("/api/v2/ticket_fields/{plan_id}/options/{gold}")).await.status, 204);
    assert_eq!(app.get(&format!("/api/v2/ticket_fields/{plan_id}/options/{gold}")).await.status, 404);
    let r = app.put(&format!("/api/v2/ticket_fields/{seats}"), json!({"ticket_field": {"type": "text"}})).await;
    assert_eq!(r.status, 422, "a type never changes");
    assert_eq!(app.delete(&format!("/api/v2/ticket_fields/{order}")).await.status, 204);
    let shown = app.get(&format!("/api/v2/tickets/{id}")).await.body["ticket"].clone();
    assert!(shown["custom_fields"].as_array().unwrap().iter().all(|f| f["id"] != order));
    assert_eq!(app.get("/api/v2/ticket_fields").await.body["ticket_fields"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn user_and_organization_fields_by_key() {
    let app = TestApp::spawn().await;
    field(&app, "user_fields", "user_field", json!({"key": "renewal_date", "title": "Renewal date", "type": "date"}))
        .await;
    let uf = field(&app, "user_fields", "user_field", json!({"key": "plan", "title": "Plan"})).await;
    assert_eq!(uf["type"], "text", "type defaults to text");
    field(&app, "organization_fields", "organization_field", json!({"key": "segment", "title": "Segment", "type": "multiselect", "custom_field_options": [{"name": "Varejo", "value": "varejo"}, {"name": "Indústria", "value": "industria"}]})).await;
    let r = app.post("/api/v2/user_fields", json!({"user_field": {"key": "plan", "title": "Again"}})).await;
    assert_eq!(r.status, 422, "keys are unique: {}", r.body);
    let r = app.post("/api/v2/user_fields", json!({"user_field": {"key": "Bad Key", "title": "x"}})).await;
    assert_eq!(r.status, 422);

    let org = app
        .post(
            "/api/v2/organizations",
            json!({"organization": {"name": "Loja Azul", "organization_fields": {"segment": ["varejo"]}}}),
        )
        .await;
    assert_eq!(org.status, 201, "{}", org.body);
    assert_eq!(org.body["organization"]["organization_fields"]["segment"], json!(["varejo"]));
    let org_id = org.body["organization"]["id"].as_i64().unwrap();
    let u = app.post("/api/v2/users", json!({"user": {"name": "Ana", "email": "ana@azul.com", "organization_id": org_id, "user_fields": {"renewal_date": "2026-12-01", "plan": "Enterprise Plus"}}})).await;
    assert_eq!(u.status, 201, "{}", u.body);
    let uid = u.body["user"]["id"].as_i64().unwrap();
    assert_eq!(u.body["user"]["user_fields"], json!({"renewal_date": "2026-12-01", "plan": "Enterprise Plus"}));
    app.post(
        "/api/v2/users",
        json!({"user": {"name": "Bia", "email": "bia@x.com", "user_fields": {"renewal_date": "2027-03-01"}}}),
    )
    .await;

    assert_eq!(search_ids(&app, "type:user renewal_date:\"2026-12-01\"").await, vec![uid]);
    assert_eq!(search_ids(&app, "type:user plan:\"enterprise plus\"").await, vec![uid]);
    assert_eq!(search_ids(&app, "type:user renewal_date<2027-01-01").await, vec![uid]);
    assert_eq!(search_ids(&app, "type:organization segment:varejo").await, vec![org_id]);
    assert_eq!(search_ids(&app, "type:user varejo").await, vec![uid], "a user's text holds its organization's values");
    let r = app
        .put(
            &format!("/api/v2/organizations/{org_id}"),
            json!({"organization": {"name": "Loja Verde", "organization_fields": {"segment": ["industria"]}}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        search_ids(&app, "type:user verde industria").await,
        vec![uid],
        "members' documents follow their organization"
    );
    assert!(search_ids(&app, "type:user varejo").await.is_empty());

    for (body, needle) in [
        (json!({"user_fields": {"renewal_date": "soon"}}), "Renewal date (renewal_date): \"soon\" is not a date"),
        (json!({"user_fields": {"colour": "red"}}), "there is no user field \"colour\""),
        (json!({"user_fields": "x"}), "must be an object"),
    ] {
        let r = app.put(&format!("/api/v2/users/{uid}"), json!({"user": body})).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.to_string().replace("\\\"", "\"").contains(needle), "{needle}: {}", r.body);
    }
    let r = app
        .put(
            &format!("/api/v2/organizations/{org_id}"),
            json!({"organization": {"organization_fields": {"segment": ["aço"]}}}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let r = app.put(&format!("/api/v2/users/{uid}"), json!({"user": {"user_fields": {"plan": null}}})).await;
    assert_eq!(r.body["user"]["user_fields"]["plan"], Value::Null);
    assert!(search_ids(&app, "type:user plan:\"enterprise plus\"").await.is_empty(), "read-your-writes");
    // Reorder.
    let list = app.get("/api/v2/user_fields").await.body["user_fields"].clone();
    let ids: Vec<i64> = list.as_array().unwrap().iter().rev().map(|f| f["id"].as_i64().unwrap()).collect();
    assert_eq!(app.put("/api/v2/user_fields/reorder", json!({"user_field_ids": ids})).await.status, 200);
    let list = app.get("/api/v2/user_fields").await.body["user_fields"].clone();
    assert_eq!(list[0]["id"], ids[0]);
}
