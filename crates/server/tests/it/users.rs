//! Users, identities (CPF included), organizations and groups.

use reqwest::Method;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn users_identities_and_duplicate_emails() {
    let app = TestApp::spawn().await;
    let r = app.post("/api/v2/users.json", json!({"user": {"name": "Hanako 山田", "email": "hanako@example.jp", "locale": "ja", "time_zone": "Asia/Tokyo", "tags": ["VIP"], "id": ""}})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.headers.get("location").is_some());
    let u = &r.body["user"];
    let id = u["id"].as_i64().unwrap();
    assert_eq!(u["locale"], "ja");
    assert_eq!(u["locale_id"], 67);
    assert_eq!(u["iana_time_zone"], "Asia/Tokyo");
    assert_eq!(u["tags"], json!(["vip"]));

    let dup = app.post("/api/v2/users", json!({"user": {"name": "Other", "email": "HANAKO@example.jp"}})).await;
    assert_eq!(dup.status, 422);
    assert_eq!(dup.body["details"]["email"][0]["error"], "DuplicateValue");

    // A user without a time zone falls back to the account's.
    let r = app.post("/api/v2/users", json!({"user": {"name": "Sem Fuso", "email": "semfuso@example.com"}})).await;
    assert_eq!(r.body["user"]["time_zone"], "UTC");

    let p = format!("/api/v2/users/{id}/identities");
    let r = app.post(&p, json!({"identity": {"type": "tax_id", "value": "529.982.247-25"}})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["identity"]["value"], "52998224725");
    let r = app.post(&p, json!({"identity": {"type": "tax_id", "value": "529.982.247-24"}})).await;
    assert_eq!(r.status, 422);
    assert!(r.body["details"]["value"][0]["description"].as_str().unwrap().contains("CPF"));
    let r = app.post(&p, json!({"identity": {"type": "email", "value": "hanako.work@example.jp"}})).await;
    let second = r.body["identity"]["id"].as_i64().unwrap();
    assert_eq!(r.body["identity"]["primary"], false);
    let r = app.req(Method::PUT, &format!("{p}/{second}/make_primary"), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(app.get(&format!("/api/v2/users/{id}")).await.body["user"]["email"], "hanako.work@example.jp");
    assert_eq!(app.get(&p).await.body["identities"].as_array().unwrap().len(), 3);

    // create_or_update matches on email.
    let r = app
        .post(
            "/api/v2/users/create_or_update",
            json!({"user": {"email": "hanako.work@example.jp", "name": "Hanako Yamada"}}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["user"]["id"], id);
    let r = app
        .post("/api/v2/users/create_or_update", json!({"user": {"email": "novo@example.com", "name": "Novo"}}))
        .await;
    assert_eq!(r.status, 201);

    let r = app.delete(&format!("/api/v2/users/{id}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["user"]["active"], false);

    let me = app.get("/api/v2/users/me.json").await;
    assert_eq!(me.body["user"]["id"], app.admin_id);
    let anon = crate::helpers::into_resp(app.http.get(app.url("/api/v2/users/me.json")).send().await.unwrap()).await;
    assert_eq!(anon.status, 200);
    assert_eq!(anon.body["user"]["name"], "Anonymous user");
}

#[tokio::test]
async fn organizations_and_memberships() {
    let app = TestApp::spawn().await;
    let r = app.post("/api/v2/organizations", json!({"organization": {"name": "Empresa Ação", "notes": "cliente desde 2020", "tags": ["gold"], "shared_tickets": true}})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let org = r.body["organization"]["id"].as_i64().unwrap();
    let dup = app.post("/api/v2/organizations", json!({"organization": {"name": "empresa ação"}})).await;
    assert_eq!(dup.status, 422);
    assert_eq!(dup.body["details"]["name"][0]["error"], "DuplicateValue");
    let ac = app.get("/api/v2/organizations/autocomplete?name=empr").await;
    assert_eq!(ac.body["organizations"][0]["id"], org);
    let u = app.post("/api/v2/users", json!({"user": {"name": "Rui", "email": "rui@x.com"}})).await.body["user"]["id"]
        .as_i64()
        .unwrap();
    let m = app
        .post(
            "/api/v2/organization_memberships",
            json!({"organization_membership": {"user_id": u, "organization_id": org}}),
        )
        .await;
    assert_eq!(m.status, 201, "{}", m.body);
    assert_eq!(app.get(&format!("/api/v2/users/{u}")).await.body["user"]["organization_id"], org);
    let list = app.get(&format!("/api/v2/organizations/{org}/organization_memberships")).await;
    assert_eq!(list.body["organization_memberships"].as_array().unwrap().len(), 1);
    let r = app.get(&format!("/api/v2/users/{u}.json?include=identities,organizations,groups")).await;
    assert_eq!(r.body["user"]["id"], u);
    assert_eq!(r.body["identities"][0]["value"], "rui@x.com");
    assert_eq!(r.body["organizations"][0]["id"], org);
    assert_eq!(r.body["groups"], serde_json::json!([]));
    let r = app.get("/api/v2/users.json?role=end-user&include=organizations").await;
    assert_eq!(r.body["organizations"][0]["name"], "Empresa Ação");
    let r = app.delete(&format!("/api/v2/organizations/{org}")).await;
    assert_eq!(r.status, 204);
    assert_eq!(app.get(&format!("/api/v2/organizations/{org}")).await.status, 404);
}
