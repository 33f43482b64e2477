//! Views: CRUD in both body shapes, tickets and counts that are current the moment a write is
//! acknowledged, execute with columns, preview, count_many (and zenpy's alias), errors that
//! name the condition, and no cap on a view's size.

use serde_json::{Value, json};

use frontdesk_domain::Role;

use crate::helpers::TestApp;

fn ids(list: &Value) -> Vec<i64> {
    list.as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn views_list_count_and_execute_current_tickets() {
    let app = TestApp::spawn().await;
    let (agent, _) = app.user("Agente", "agente@example.com", Role::Agent).await;
    let tier = app
        .post("/api/v2/ticket_fields", json!({"ticket_field": {"type": "tagger", "title": "Tier", "key": "tier", "custom_field_options": [{"name": "Gold", "value": "gold"}, {"name": "Silver", "value": "silver"}]}}))
        .await
        .body["ticket_field"]["id"]
        .as_i64()
        .unwrap();
    // Top-level all/any (the docs' shape).
    let r = app
        .post(
            "/api/v2/views",
            json!({"view": {"title": "Open VIP", "all": [{"field": "status", "operator": "less_than", "value": "solved"}],
                "any": [{"field": "current_tags", "operator": "includes", "value": "vip"}, {"field": format!("custom_fields_{tier}"), "operator": "is", "value": "gold"}],
                "output": {"columns": ["nice_id", "subject", "requester", "status", tier], "sort_by": "created_at", "sort_order": "desc"}}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let vip = r.body["view"]["id"].as_i64().unwrap();
    assert_eq!(r.body["view"]["conditions"]["any"].as_array().unwrap().len(), 2, "conditions are echoed");
    assert_eq!(r.body["view"]["execution"]["sort_by"], "created_at");
    // Nested conditions (the clients' shape), with current_user.
    let r = app
        .post(
            "/api/v2/views",
            json!({"view": {"title": "Mine", "conditions": {"all": [{"field": "assignee_id", "operator": "is", "value": "current_user"}], "any": []}}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let mine = r.body["view"]["id"].as_i64().unwrap();

    let a = app.ticket(json!({"subject": "vip one", "comment": {"body": "x"}, "tags": ["vip"]})).await["id"]
        .as_i64()
        .unwrap();
    let b = app
        .ticket(
            json!({"subject": "gold one", "comment": {"body": "x"}, "custom_fields": [{"id": tier, "value": "gold"}]}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let c = app.ticket(json!({"subject": "plain", "comment": {"body": "x"}})).await["id"].as_i64().unwrap();
    let count = |v: i64| {
        let app = &app;
        async move {
            let r = app.get(&format!("/api/v2/views/{v}/count")).await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.body["view_count"]["fresh"], true);
            r.body["view_count"]["value"].as_i64().unwrap()
        }
    };
    assert_eq!(count(vip).await, 2);
    let r = app.get(&format!("/api/v2/views/{vip}/tickets")).await;
    assert_eq!(ids(&r.body["tickets"]), vec![b, a], "sorted newest first as the view says");
    assert_eq!(r.body["count"], 2);

    // A write is in the view's count and list at once.
    app.put(&format!("/api/v2/tickets/{c}"), json!({"ticket": {"tags": ["vip"], "assignee_id": agent}})).await;
    assert_eq!(count(vip).await, 3);
    app.put(&format!("/api/v2/tickets/{a}"), json!({"ticket": {"status": "solved", "assignee_id": agent}})).await;
    assert_eq!(count(vip).await, 2);
    // current_user is whoever asks.
    assert_eq!(count(mine).await, 0, "the admin has nothing assigned");

    let r = app.get(&format!("/api/v2/views/{vip}/execute")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let cols: Vec<&str> = r.body["columns"].as_array().unwrap().iter().map(|c| c["title"].as_str().unwrap()).collect();
    assert_eq!(cols, ["ID", "Subject", "Requester", "Status", "Tier"]);
    let row = &r.body["rows"][1];
    assert_eq!(row["ticket"]["id"], b);
    assert_eq!(row[tier.to_string()], "gold");
    assert_eq!(row["subject"], "gold one");
    assert!(r.body["users"].as_array().unwrap().iter().any(|u| u["id"] == row["requester_id"]));
    assert_eq!(r.body["view"]["id"], vip);

    // count_many, with zenpy's ?count_many= alias.
    for q in [format!("ids={vip},{mine}"), format!("count_many={vip},{mine}")] {
        let r = app.get(&format!("/api/v2/views/count_many?{q}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let counts: Vec<(i64, i64)> = r.body["view_counts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["view_id"].as_i64().unwrap(), c["value"].as_i64().unwrap()))
            .collect();
        assert_eq!(counts, vec![(vip, 2), (mine, 0)]);
    }

    // Preview runs unsaved conditions.
    let r = app.post("/api/v2/views/preview", json!({"view": {"all": [{"field": "status", "operator": "is", "value": "solved"}], "output": {"columns": ["subject"]}}})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["rows"][0]["ticket"]["id"], a);
    let r = app
        .post(
            "/api/v2/views/preview/count",
            json!({"view": {"all": [{"field": "status", "operator": "is_not", "value": "solved"}]}}),
        )
        .await;
    assert_eq!(r.body["view_count"]["value"], 2);

    // Update, deactivate, active list, count of views, delete.
    let r = app.put(&format!("/api/v2/views/{mine}"), json!({"view": {"active": false, "title": "Minhas"}})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["view"]["conditions"]["all"][0]["field"], "assignee_id",
        "conditions survive an update that leaves them out"
    );
    assert_eq!(ids(&app.get("/api/v2/views/active").await.body["views"]), vec![vip]);
    assert_eq!(ids(&app.get("/api/v2/views").await.body["views"]).len(), 2);
    assert_eq!(app.get("/api/v2/views/count").await.body["count"]["value"], 2);
    assert_eq!(app.delete(&format!("/api/v2/views/{mine}")).await.status, 204);
    assert_eq!(app.get(&format!("/api/v2/views/{mine}")).await.status, 404);
}

#[tokio::test]
async fn bad_views_name_the_condition_and_save_nothing() {
    let app = TestApp::spawn().await;
    for (body, needle) in [
        (
            json!({"title": "x", "all": [{"field": "status", "operator": "is", "value": "open"}, {"field": "colour", "operator": "is", "value": "red"}]}),
            "conditions.all[1]: unknown field \"colour\"",
        ),
        (
            json!({"title": "x", "any": [{"field": "status", "operator": "resembles", "value": "open"}]}),
            "conditions.any[0]: operator \"resembles\"",
        ),
        (
            json!({"title": "x", "all": [{"field": "status", "operator": "is", "value": "waiting"}]}),
            "conditions.all[0]: waiting is not a valid status",
        ),
        (
            json!({"title": "x", "all": [{"field": "custom_fields_999", "operator": "is", "value": "a"}]}),
            "conditions.all[0]: unknown field \"custom_field_999\"",
        ),
        (json!({"title": "x", "all": ["status"]}), "conditions.all[0]: a condition is"),
        (json!({"title": "x"}), "a view needs at least one condition"),
        (json!({"all": [{"field": "status", "operator": "is", "value": "open"}]}), "Title: cannot be blank"),
        (
            json!({"title": "x", "all": [{"field": "status", "operator": "is", "value": "open"}], "output": {"columns": ["colour"]}}),
            "output.columns: \"colour\" is not a column",
        ),
        (
            json!({"title": "x", "all": [{"field": "status", "operator": "is", "value": "open"}], "output": {"sort_by": "colour"}}),
            "output.sort_by",
        ),
        (
            json!({"title": "x", "all": [{"field": "status", "operator": "is", "value": "open"}], "output": {"group_by": "created"}}),
            "output.group_by: \"created\" is not one of priority, status",
        ),
    ] {
        let r = app.post("/api/v2/views", json!({ "view": body })).await;
        assert_eq!(r.status, 422, "{}", r.body);
        let text = r.body.to_string().replace("\\\"", "\"");
        assert!(text.contains(needle), "{needle}: {text}");
    }
    assert_eq!(app.get("/api/v2/views").await.body["views"].as_array().unwrap().len(), 0, "nothing saved");
    // An end user cannot see views; an agent cannot create shared ones but may keep their own.
    let (_, end_user) = app.user("Cliente", "cliente@example.com", Role::EndUser).await;
    let r = app.req_as("cliente@example.com", &end_user, reqwest::Method::GET, "/api/v2/views", None).await;
    assert_eq!(r.status, 403);
    let (agent, token) = app.user("Agente", "agente@example.com", Role::Agent).await;
    let open = json!([{"field": "status", "operator": "is", "value": "open"}]);
    let r = app
        .req_as(
            "agente@example.com",
            &token,
            reqwest::Method::POST,
            "/api/v2/views",
            Some(json!({"view": {"title": "Shared", "all": open}})),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = app
        .req_as(
            "agente@example.com",
            &token,
            reqwest::Method::POST,
            "/api/v2/views",
            Some(json!({"view": {"title": "Own", "all": open, "restriction": {"type": "User", "id": agent}}})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

#[tokio::test]
async fn a_view_has_no_cap() {
    let app = TestApp::spawn().await;
    let many: Vec<Value> = (0..2300)
        .map(|i| json!({"subject": format!("bulk {i}"), "comment": {"body": "b"}, "tags": ["bulk"]}))
        .collect();
    for chunk in many.chunks(100) {
        let r = app.post("/api/v2/tickets/create_many", json!({"tickets": chunk})).await;
        app.wait_job(r.body["job_status"]["id"].as_str().unwrap()).await;
    }
    let v = app.post("/api/v2/views", json!({"view": {"title": "Bulk", "all": [{"field": "current_tags", "operator": "includes", "value": "bulk"}]}})).await.body["view"]["id"].as_i64().unwrap();
    assert_eq!(app.get(&format!("/api/v2/views/{v}/count")).await.body["view_count"]["value"], 2300);
    let first = app.get(&format!("/api/v2/views/{v}/tickets?page=1&per_page=100")).await;
    let mut all: Vec<i64> = app
        .get("/api/v2/search?query=tags%3Abulk&sort_by=created_at&sort_order=asc&per_page=100")
        .await
        .body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids(&first.body["tickets"]), all, "a broad view's page is in the view's order");
    all.sort();
    assert_eq!(ids(&first.body["tickets"]), all);
    let r = app.get(&format!("/api/v2/views/{v}/tickets?page=23&per_page=100")).await;
    assert_eq!(r.body["tickets"].as_array().unwrap().len(), 100, "page 23 of a view past Zammad's 2,100");
    assert_eq!(r.body["count"], 2300);
    let mut url = format!("/api/v2/views/{v}/tickets?page[size]=100");
    let mut seen = 0;
    loop {
        let r = app.get(&url).await;
        seen += r.body["tickets"].as_array().unwrap().len();
        match r.body["links"]["next"].as_str() {
            Some(n) => url = n.trim_start_matches(&app.base).to_string(),
            None => break,
        }
    }
    assert_eq!(seen, 2300);
}

#[tokio::test]
async fn a_grouped_view_lists_each_group_together_with_its_count() {
    let app = TestApp::spawn().await;
    let (ana, _) = app.user("Ana", "ana@example.com", Role::Agent).await;
    let (bruno, _) = app.user("Bruno", "bruno@example.com", Role::Agent).await;
    let mut made = Vec::new();
    for (i, who) in [Some(bruno), Some(ana), None, Some(bruno), Some(ana), Some(bruno)].into_iter().enumerate() {
        let t = app
            .ticket(json!({"subject": format!("g{i}"), "comment": {"body": "x"}, "tags": ["grp"], "assignee_id": who}))
            .await;
        made.push((t["id"].as_i64().unwrap(), who));
    }
    let r = app
        .post(
            "/api/v2/views",
            json!({"view": {"title": "By assignee", "all": [{"field": "current_tags", "operator": "includes", "value": "grp"}],
                "output": {"columns": ["nice_id", "assignee"], "group_by": "assignee", "group_order": "desc", "sort_by": "nice_id", "sort_order": "asc"}}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["view"]["execution"]["group_by"], "assignee");
    let v = r.body["view"]["id"].as_i64().unwrap();
    // Groups by the assignee's name, descending (Bruno, Ana, then no assignee), each by id.
    let of = |who: Option<i64>| made.iter().filter(|(_, w)| *w == who).map(|(id, _)| *id).collect::<Vec<_>>();
    let expected: Vec<i64> = [of(Some(bruno)), of(Some(ana)), of(None)].concat();
    let r = app.get(&format!("/api/v2/views/{v}/tickets")).await;
    assert_eq!(ids(&r.body["tickets"]), expected);
    let r = app.get(&format!("/api/v2/views/{v}/execute")).await;
    let rows: Vec<i64> =
        r.body["rows"].as_array().unwrap().iter().map(|row| row["ticket"]["id"].as_i64().unwrap()).collect();
    assert_eq!(rows, expected);
    assert_eq!(
        r.body["groups"],
        json!([{"id": bruno, "name": "Bruno", "count": 3}, {"id": ana, "name": "Ana", "count": 2}, {"id": null, "name": null, "count": 1}]),
    );
    // A write moves a ticket between groups at once.
    let moved = of(None)[0];
    app.put(&format!("/api/v2/tickets/{moved}"), json!({"ticket": {"assignee_id": ana, "status": "pending"}})).await;
    let r = app.get(&format!("/api/v2/views/{v}/execute")).await;
    assert_eq!(
        r.body["groups"],
        json!([{"id": bruno, "name": "Bruno", "count": 3}, {"id": ana, "name": "Ana", "count": 3}])
    );
    // Grouped by status ascending: open before pending.
    let r = app
        .put(&format!("/api/v2/views/{v}"), json!({"view": {"output": {"group_by": "status", "group_order": "asc"}}}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app.get(&format!("/api/v2/views/{v}/execute")).await;
    assert_eq!(
        r.body["groups"],
        json!([{"id": "open", "name": "open", "count": 5}, {"id": "pending", "name": "pending", "count": 1}])
    );
    let rows: Vec<i64> =
        r.body["rows"].as_array().unwrap().iter().map(|row| row["ticket"]["id"].as_i64().unwrap()).collect();
    assert_eq!(rows.last(), Some(&moved));
}
