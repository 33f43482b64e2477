//! Search: every language, read-your-writes, field queries, errors with positions, no result
//! window, and the property that compiled SQL and in-memory evaluation agree.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use frontdesk_domain::filter::{Filter, Predicate, Record, Ref, Section, TicketFacts, TimeField, UserRole};
use frontdesk_domain::search::normalize_text;
use frontdesk_domain::{Priority, Role, Status};

use crate::helpers::TestApp;

fn ids(v: &Value) -> Vec<i64> {
    let mut out: Vec<i64> = v["results"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    out.sort();
    out
}

async fn search(app: &TestApp, q: &str) -> Value {
    let url =
        format!("/api/v2/search.json?query={}", form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>());
    let r = app.get(&url).await;
    assert_eq!(r.status, 200, "{q}: {}", r.body);
    r.body
}

#[tokio::test]
async fn kana_voicing_marks_make_a_different_word_and_width_forms_fold() {
    let app = TestApp::spawn().await;
    let pass =
        app.ticket(json!({"subject": "パスワードを忘れました", "comment": {"body": "ログインできません"}})).await["id"]
            .as_i64()
            .unwrap();
    let bus = app.ticket(json!({"subject": "バスの時刻表", "comment": {"body": "ＡＢＣ路線 ﾁｹｯﾄ"}})).await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(ids(&search(&app, "パス").await), vec![pass], "パス does not find バス");
    assert_eq!(ids(&search(&app, "バス").await), vec![bus]);
    assert_eq!(ids(&search(&app, "ﾊﾞｽ").await), vec![bus], "half-width katakana folds to full width");
    assert_eq!(ids(&search(&app, "abc路線").await), vec![bus], "full-width Latin folds to ASCII");
    assert_eq!(ids(&search(&app, "チケット").await), vec![bus]);

    // Documents written with the old folding (voicing marks dropped) are rebuilt when a server
    // starts: the stored text of ticket `pass` is made the old way, then the server restarts.
    let mut tx = app.state.db.begin().await.unwrap();
    frontdesk_store::search::put(
        &mut tx,
        &[frontdesk_store::search::Document::ticket_subject(pass, "ハスワードを忘れました".into())],
    )
    .await
    .unwrap();
    frontdesk_store::account::set_counter(&mut tx, "search_fold", 1).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(ids(&search(&app, "ハスワード").await), vec![pass], "the stale document is what the index holds");
    let db = app.stop().await;
    let app = TestApp::spawn_with(db, |_| {}).await;
    assert_eq!(ids(&search(&app, "ハスワード").await), Vec::<i64>::new());
    assert_eq!(ids(&search(&app, "パスワード").await), vec![pass]);
    assert_eq!(app.count("SELECT value FROM counters WHERE name = 'search_fold'").await, 2);
}

#[tokio::test]
async fn finds_portuguese_without_accents_and_japanese_substrings_at_once() {
    let app = TestApp::spawn().await;
    let a = app.ticket(json!({"subject": "Nota fiscal eletrônica não chegou", "comment": {"body": "Preciso da NF-e do pedido 123"}})).await["id"].as_i64().unwrap();
    let b = app.ticket(json!({"subject": "お問い合わせ", "comment": {"body": "請求書が届きません。"}})).await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(ids(&search(&app, "eletronica").await), vec![a]);
    assert_eq!(ids(&search(&app, "ELETRÔNICA type:ticket").await), vec![a]);
    assert_eq!(ids(&search(&app, "\"nao chegou\"").await), vec![a]);
    assert_eq!(ids(&search(&app, "請求").await), vec![b], "two-character Japanese substring");
    assert_eq!(ids(&search(&app, "請求書が届").await), vec![b]);
    let r = search(&app, "請求").await;
    assert_eq!(r["results"][0]["result_type"], "ticket");

    // Read-your-writes: a change is searchable the moment it is acknowledged.
    app.put(&format!("/api/v2/tickets/{b}"), json!({"ticket": {"comment": {"body": "Reenviamos a cobrança", "public": false}, "subject": "Cobrança duplicada"}})).await;
    assert_eq!(ids(&search(&app, "cobranca").await), vec![b]);
    assert_eq!(ids(&search(&app, "subject:duplicada").await), vec![b]);
    assert!(ids(&search(&app, "subject:お問い合わせ").await).is_empty(), "the old subject is gone");

    // Users and organizations by name, email, phone and notes.
    let u = app.post("/api/v2/users", json!({"user": {"name": "Conceição Araújo", "email": "conceicao@exemplo.com.br", "phone": "+55 11 98765-4321", "notes": "prefere WhatsApp"}})).await.body["user"]["id"].as_i64().unwrap();
    let o = app
        .post(
            "/api/v2/organizations",
            json!({"organization": {"name": "Padaria São João", "domain_names": ["padaria.com.br"]}}),
        )
        .await
        .body["organization"]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(ids(&search(&app, "conceicao araujo").await), vec![u]);
    assert_eq!(ids(&search(&app, "type:user whatsapp").await), vec![u]);
    assert_eq!(ids(&search(&app, "5511987654321").await), vec![u]);
    assert_eq!(ids(&search(&app, "type:organization sao joao").await), vec![o]);
    let r = app.get("/api/v2/users/search.json?query=conceicao").await;
    assert_eq!(r.body["users"][0]["id"], u);
}

#[tokio::test]
async fn field_queries() {
    let app = TestApp::spawn().await;
    let (agent, _) = app.user("Agente", "agente@example.com", Role::Agent).await;
    let t1 = app.ticket(json!({"subject": "um", "comment": {"body": "b"}, "tags": ["vip"], "priority": "high", "requester": {"email": "maria@x.com", "name": "Maria"}})).await["id"].as_i64().unwrap();
    let t2 = app
        .ticket(json!({"subject": "dois", "comment": {"body": "b"}, "assignee_id": agent, "status": "pending"}))
        .await["id"]
        .as_i64()
        .unwrap();
    let t3 = app.ticket(json!({"subject": "três", "comment": {"body": "b"}, "status": "solved"})).await["id"]
        .as_i64()
        .unwrap();
    let cases: Vec<(&str, Vec<i64>)> = vec![
        ("status<solved", vec![t1, t2]),
        ("status>=pending", vec![t2, t3]),
        ("tags:vip", vec![t1]),
        ("-tags:vip type:ticket", vec![t2, t3]),
        ("priority>normal", vec![t1]),
        ("requester:maria@x.com", vec![t1]),
        ("requester:Maria", vec![t1]),
        ("assignee:none", vec![t1]),
        ("assignee:agente@example.com", vec![t2]),
        ("assignee:me", vec![t3]),
        ("created>2000-01-01 status:open OR status:new", vec![t1]),
        ("(status:pending OR status:solved) -assignee:me", vec![t2]),
        ("created<1hours", vec![]),
        ("updated>1hours type:ticket", vec![t1, t2, t3]),
    ];
    for (q, want) in cases {
        assert_eq!(ids(&search(&app, q).await), want, "{q}");
    }
    let r = app.get("/api/v2/search/count.json?query=status%3Csolved").await;
    assert_eq!(r.body, json!({"count": 2}));
    let r = app.get("/api/v2/search.json?query=type%3Aticket&sort_by=status&sort_order=asc").await;
    assert_eq!(ids(&r.body), vec![t1, t2, t3]);
    assert_eq!(r.body["results"][2]["id"], t3);
    // order_by/sort inside the query.
    let order = |q: &str| {
        let q = form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>();
        let app = &app;
        async move {
            let r = app.get(&format!("/api/v2/search.json?query={q}")).await;
            assert_eq!(r.status, 200, "{}", r.body);
            r.body["results"].as_array().unwrap().iter().map(|x| x["id"].as_i64().unwrap()).collect::<Vec<_>>()
        }
    };
    assert_eq!(order("type:ticket order_by:created sort:asc").await, vec![t1, t2, t3]);
    assert_eq!(order("type:ticket order_by:created sort:desc").await, vec![t3, t2, t1]);
    assert_eq!(order("type:ticket order_by:priority sort:desc").await[0], t1);
}

#[tokio::test]
async fn bad_queries_answer_400_with_the_position() {
    let app = TestApp::spawn().await;
    for (q, pos, needle) in [
        ("status:open colour:red", 12, "unknown field \"colour\""),
        ("status:waiting", 0, "waiting is not a valid status"),
        ("\"unclosed", 0, "never closed"),
        ("(a OR b", 7, "expected ')'"),
        ("created>tomorrowish", 0, "is not a date"),
    ] {
        let r = app
            .get(&format!(
                "/api/v2/search.json?query={}",
                form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
            ))
            .await;
        assert_eq!(r.status, 400, "{q}");
        assert_eq!(r.body["error"], "InvalidQuery");
        assert_eq!(r.body["position"], pos, "{q}: {}", r.body);
        assert!(r.body["description"].as_str().unwrap().contains(needle), "{q}: {}", r.body);
    }
    let deep = format!("{}x{}", "(".repeat(20), ")".repeat(20));
    let r = app
        .get(&format!(
            "/api/v2/search.json?query={}",
            form_urlencoded::byte_serialize(deep.as_bytes()).collect::<String>()
        ))
        .await;
    assert_eq!(r.status, 400);
    let r = app.get(&format!("/api/v2/search.json?query={}", "a".repeat(1500))).await;
    assert_eq!(r.status, 400);
    assert_eq!(app.get("/api/v2/search.json").await.status, 400);
}

#[tokio::test]
async fn export_pages_through_every_match_without_a_window() {
    let app = TestApp::spawn().await;
    let tickets: Vec<Value> =
        (0..250).map(|i| json!({"subject": format!("lote {i}"), "comment": {"body": "b"}, "tags": ["lote"]})).collect();
    for chunk in tickets.chunks(100) {
        let r = app.post("/api/v2/tickets/create_many", json!({"tickets": chunk})).await;
        app.wait_job(r.body["job_status"]["id"].as_str().unwrap()).await;
    }
    let mut url = "/api/v2/search/export.json?query=tags%3Alote&filter%5Btype%5D=ticket&page%5Bsize%5D=100".to_string();
    let mut seen = 0;
    loop {
        let r = app.get(&url).await;
        seen += r.body["results"].as_array().unwrap().len();
        match r.body["links"]["next"].as_str() {
            Some(n) => url = n.trim_start_matches(&app.base).to_string(),
            None => break,
        }
    }
    assert_eq!(seen, 250);
    let r = app.get("/api/v2/search.json?query=lote&per_page=100&page=3").await;
    assert_eq!(r.body["count"], 250);
    assert_eq!(r.body["results"].as_array().unwrap().len(), 50);
    assert_eq!(r.body["next_page"], Value::Null);
}

// ---- the property test ----

const WORDS: [&str; 6] = ["fatura", "eletrônico", "impressora", "請求書", "senha", "entrega"];
const TAGS: [&str; 3] = ["vip", "billing", "bug"];

/// Custom fields of the property test: (seats integer, plan drop-down, flag checkbox, renewal date).
#[derive(Clone, Copy)]
struct Fields {
    seats: i64,
    plan: i64,
    flag: i64,
    renewal: i64,
}

const PLANS: [&str; 3] = ["basic", "pro", "enterprise"];
const DAYS: [&str; 3] = ["2026-11-30", "2026-12-01", "2027-01-15"];

fn random_custom(rng: &mut StdRng, f: Fields) -> Predicate {
    use frontdesk_domain::filter::FieldTest;
    use frontdesk_domain::search::Op;
    let op = [Op::Eq, Op::Lt, Op::Le, Op::Gt, Op::Ge][rng.gen_range(0..5)];
    match rng.gen_range(0..5) {
        0 => Predicate::Custom(f.seats, FieldTest::Number(op, rng.gen_range(0..12) as f64)),
        1 => Predicate::Custom(f.plan, FieldTest::Is(PLANS[rng.gen_range(0..3)].into())),
        2 => Predicate::Custom(f.flag, FieldTest::Checked(rng.gen_bool(0.5))),
        3 => Predicate::Custom(f.renewal, FieldTest::Date(op, DAYS[rng.gen_range(0..3)].into())),
        _ => Predicate::Custom([f.seats, f.plan, f.renewal][rng.gen_range(0..3)], FieldTest::Empty),
    }
}

fn random_filter(rng: &mut StdRng, depth: u32, agent: i64, now: i64, fields: Fields) -> Filter {
    if depth > 0 && rng.gen_bool(0.4) {
        let n = rng.gen_range(1..=3);
        let kids = (0..n).map(|_| random_filter(rng, depth - 1, agent, now, fields)).collect();
        return match rng.gen_range(0..3) {
            0 => Filter::All(kids),
            1 => Filter::Any(kids),
            _ => Filter::Not(Box::new(random_filter(rng, depth - 1, agent, now, fields))),
        };
    }
    let pick = |rng: &mut StdRng, all: &[Status]| all.iter().copied().filter(|_| rng.gen_bool(0.5)).collect::<Vec<_>>();
    Filter::Pred(match rng.gen_range(0..11) {
        9 | 10 => random_custom(rng, fields),
        8 => Predicate::CustomStatus(rng.gen_range(1..=5)),
        0 => Predicate::Status(pick(rng, Status::ALL)),
        1 => Predicate::Priority(
            [None, Some(Priority::Low), Some(Priority::Normal), Some(Priority::High), Some(Priority::Urgent)]
                .into_iter()
                .filter(|_| rng.gen_bool(0.4))
                .collect(),
        ),
        2 => Predicate::Tag(TAGS[rng.gen_range(0..TAGS.len())].to_string()),
        3 => Predicate::User(UserRole::Assignee, if rng.gen_bool(0.5) { Ref::None } else { Ref::Id(agent) }),
        4 => Predicate::Text(Section::Any, normalize_text(WORDS[rng.gen_range(0..WORDS.len())])),
        5 => Predicate::Text(
            Section::Subject,
            normalize_text(&WORDS[rng.gen_range(0..WORDS.len())][..3.min(WORDS[0].len())]),
        ),
        6 => Predicate::Time(TimeField::Created, Some(now - rng.gen_range(-5..3600)), None),
        _ => Predicate::Group(Ref::None),
    })
}

#[tokio::test]
async fn compiled_sql_and_in_memory_evaluation_agree() {
    let app = TestApp::spawn().await;
    let (agent, _) = app.user("Agente", "agente@example.com", Role::Agent).await;
    let mut rng = StdRng::seed_from_u64(0xF0_2026);
    let make = async |body: Value| -> i64 {
        let r = app.post("/api/v2/ticket_fields", json!({ "ticket_field": body })).await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["ticket_field"]["id"].as_i64().unwrap()
    };
    let fields = Fields {
        seats: make(json!({"type": "integer", "title": "Seats", "key": "seats"})).await,
        plan: make(json!({"type": "tagger", "title": "Plan", "key": "plan", "custom_field_options": PLANS.iter().map(|p| json!({"name": p, "value": p})).collect::<Vec<_>>()})).await,
        flag: make(json!({"type": "checkbox", "title": "Flag", "key": "flag"})).await,
        renewal: make(json!({"type": "date", "title": "Renewal", "key": "renewal"})).await,
    };
    let mut facts: Vec<(i64, TicketFacts)> = Vec::new();
    for _ in 0..40 {
        let status = Status::ALL[rng.gen_range(0..5)];
        let priority = [None, Some(Priority::Low), Some(Priority::High), Some(Priority::Urgent)][rng.gen_range(0..4)];
        let tags: Vec<String> = TAGS.iter().filter(|_| rng.gen_bool(0.4)).map(|t| t.to_string()).collect();
        let assigned = rng.gen_bool(0.5) || status == Status::Solved;
        let subject = format!("{} {}", WORDS[rng.gen_range(0..WORDS.len())], rng.gen_range(0..100));
        let body = WORDS[rng.gen_range(0..WORDS.len())].to_string();
        let mut t = json!({"subject": subject, "comment": {"body": body}, "status": status.as_str(), "tags": tags});
        if let Some(p) = priority {
            t["priority"] = json!(p.as_str());
        }
        if assigned {
            t["assignee_id"] = json!(agent);
        }
        let mut custom: Vec<(i64, Vec<String>)> = Vec::new();
        let mut sent = Vec::new();
        for (id, value) in [
            (fields.seats, rng.gen_bool(0.7).then(|| rng.gen_range(0..12).to_string())),
            (fields.plan, rng.gen_bool(0.7).then(|| PLANS[rng.gen_range(0..3)].to_string())),
            (fields.flag, rng.gen_bool(0.7).then(|| rng.gen_bool(0.5).to_string())),
            (fields.renewal, rng.gen_bool(0.7).then(|| DAYS[rng.gen_range(0..3)].to_string())),
        ] {
            if let Some(v) = value {
                sent.push(json!({"id": id, "value": v}));
                custom.push((id, vec![v]));
            }
        }
        t["custom_fields"] = json!(sent);
        let saved = app.ticket(t).await;
        let f = TicketFacts {
            status: Some(Status::parse(saved["status"].as_str().unwrap()).unwrap()),
            custom_status_id: saved["custom_status_id"].as_i64(),
            priority,
            tags: saved["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect(),
            requester_id: saved["requester_id"].as_i64().unwrap(),
            assignee_id: saved["assignee_id"].as_i64(),
            submitter_id: saved["submitter_id"].as_i64().unwrap(),
            group_id: saved["group_id"].as_i64(),
            created_at: crate::helpers::parse_iso(saved["created_at"].as_str().unwrap()),
            updated_at: crate::helpers::parse_iso(saved["updated_at"].as_str().unwrap()),
            subject: subject.clone(),
            comments: vec![body],
            via: "api".into(),
            custom,
            ..Default::default()
        };
        facts.push((saved["id"].as_i64().unwrap(), f));
    }
    let now = app.state.now();
    let mut conn = app.state.db.read().await.unwrap();
    let mut nonempty = 0;
    for round in 0..300 {
        let filter = random_filter(&mut rng, 3, agent, now, fields);
        let mut want: Vec<i64> = facts.iter().filter(|(_, f)| filter.matches(f)).map(|(id, _)| *id).collect();
        want.sort();
        let page = frontdesk_store::search::cursor_page::<frontdesk_store::tickets::Ticket>(
            &mut conn,
            Record::Ticket,
            &filter,
            frontdesk_store::PageRequest::After { id: None, size: 1000 },
        )
        .await
        .unwrap();
        let got: Vec<i64> = page.items.iter().map(|t| t.id).collect();
        assert_eq!(got, want, "round {round}: {filter:?}");
        // The row-by-row form (EXISTS probes, used to re-check changed tickets) agrees too.
        let all: Vec<i64> = facts.iter().map(|(id, _)| *id).collect();
        let mut rows = frontdesk_store::search::matching_among(&mut conn, &filter, &all).await.unwrap();
        rows.sort();
        assert_eq!(rows, want, "round {round}, row form: {filter:?}");
        nonempty += usize::from(!want.is_empty() && want.len() < facts.len());
    }
    assert!(nonempty > 50, "the random filters should discriminate ({nonempty} of 300 did)");
}

/// The live counts (a set per filter, brought up to date from the changes since) agree with a
/// full count after every round of random creates, updates, deletes and restores.
#[tokio::test]
async fn live_counts_agree_with_full_counts_through_changes() {
    let app = TestApp::spawn().await;
    let (agent, _) = app.user("Agente", "agente@example.com", Role::Agent).await;
    let mut rng = StdRng::seed_from_u64(0xC0_2026);
    let fields = Fields { seats: -1, plan: -1, flag: -1, renewal: -1 };
    let filters: Vec<Filter> = (0..12).map(|_| random_filter(&mut rng, 2, agent, 0, fields)).collect();
    let filters: Vec<Filter> = filters
        .into_iter()
        .filter(|f| !format!("{f:?}").contains("Custom("))
        .chain([Filter::Pred(Predicate::Status(vec![Status::New, Status::Open]))])
        .collect();
    let mut ids: Vec<i64> = Vec::new();
    for round in 0..8 {
        for _ in 0..15 {
            let status = Status::ALL[rng.gen_range(0..4)];
            let t = json!({"subject": WORDS[rng.gen_range(0..WORDS.len())], "comment": {"body": "b"}, "status": status.as_str(), "tags": [TAGS[rng.gen_range(0..3)]]});
            ids.push(app.ticket(t).await["id"].as_i64().unwrap());
        }
        for _ in 0..10 {
            let id = ids[rng.gen_range(0..ids.len())];
            let body = match rng.gen_range(0..4) {
                0 => json!({"ticket": {"status": "pending", "assignee_id": agent}}),
                1 => json!({"ticket": {"tags": [TAGS[rng.gen_range(0..3)]], "priority": "high"}}),
                2 => {
                    json!({"ticket": {"subject": WORDS[rng.gen_range(0..WORDS.len())], "comment": {"body": WORDS[rng.gen_range(0..WORDS.len())]}}})
                }
                _ => json!({"ticket": {"assignee_id": null, "status": "open"}}),
            };
            app.put(&format!("/api/v2/tickets/{id}"), body).await;
        }
        let gone = ids[rng.gen_range(0..ids.len())];
        app.delete(&format!("/api/v2/tickets/{gone}")).await;
        if round % 3 == 2 {
            app.put(&format!("/api/v2/deleted_tickets/{gone}/restore"), json!({})).await;
        }
        let mut conn = app.state.db.read().await.unwrap();
        for f in &filters {
            let live = app.state.counts.count(&mut conn, f).await.unwrap();
            let full = frontdesk_store::search::count(&mut conn, Record::Ticket, f).await.unwrap();
            assert_eq!(live, full, "round {round}: {f:?}");
        }
    }
}
