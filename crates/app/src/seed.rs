//! `frontdesk seed`: fills a database with generated data, for trying Frontdesk out and for
//! the search and view benchmarks. Tickets go through the same checks and inserts as the API's
//! (`tickets::create_batch`), in large transactions; later comments are added in bulk.
//!
//! What it makes, deterministically: 20 agents in 4 groups; one customer per 20 tickets (at
//! least 100) with a `plan` user field; ticket fields `plan` (drop-down), `seats` (integer) and
//! `renewal_date` (date); and tickets spread over the past year in every status, with
//! Portuguese, English and Japanese text, 1 to 3 tags, and `comments` comments each.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use frontdesk_domain::Role;
use frontdesk_domain::filter::Record;
use frontdesk_domain::text::render_markdown;
use frontdesk_store::audits::{self, Audit, Comment};
use frontdesk_store::{AnyConnection, Db};

use crate::auth::Actor;
use crate::error::{ApiError, Result};
use crate::input::Patch;
use crate::tickets::{CommentInput, TicketInput};
use crate::users::UserInput;
use crate::{Via, fields, search_index, tickets, users};

const BATCH: usize = 1_000;
pub const TAGS: [&str; 12] =
    ["billing", "vip", "bug", "entrega", "fatura", "senha", "mobile", "api", "refund", "onboarding", "請求", "urgent"];
const SUBJECTS: [&str; 8] = [
    "A impressora não imprime",
    "Nota fiscal eletrônica não chegou",
    "Cannot reset my password",
    "Refund for order",
    "請求書が届きません",
    "Entrega atrasada do pedido",
    "App crashes on login",
    "ログインできません",
];
const BODIES: [&str; 6] = [
    "Olá, o pedido não chegou e preciso da nota fiscal eletrônica.",
    "Hello, the invoice total looks wrong; could you check the seats on our plan?",
    "請求書をお願いします。先月分の請求書がまだ届いていません。",
    "Tentei trocar a senha três vezes e o código não chega por SMS.",
    "The export to CSV times out after a few minutes.",
    "Obrigado pelo retorno rápido, funcionou!",
];
pub const PLANS: [&str; 3] = ["basic", "pro", "enterprise_plus"];
pub const STATUSES: [(&str, u32); 5] = [("new", 20), ("open", 30), ("pending", 15), ("hold", 5), ("solved", 30)];

fn pick_status(rng: &mut StdRng) -> &'static str {
    let mut roll = rng.gen_range(0..100);
    for (s, w) in STATUSES {
        if roll < w {
            return s;
        }
        roll -= w;
    }
    "open"
}

fn obj(v: Value) -> serde_json::Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// What was made, for the caller to report.
pub struct Seeded {
    pub agents: Vec<i64>,
    pub groups: Vec<i64>,
    pub customers: usize,
    pub tickets: usize,
    pub ticket_fields: (i64, i64, i64),
}

async fn people(conn: &mut AnyConnection, customers: usize, now: i64) -> Result<Seeded> {
    let mut agents = Vec::new();
    for i in 0..20 {
        let input = UserInput {
            name: Patch::Set(format!("Agente {i}")),
            email: Patch::Set(frontdesk_domain::EmailAddress::parse(&format!("agent{i}@seed.example"))?),
            role: Some(Role::Agent),
            ..Default::default()
        };
        agents.push(users::create_in(conn, &input, Role::Agent, now).await?.id);
    }
    let mut groups = Vec::new();
    for (g, name) in ["Suporte", "Financeiro", "Logística", "サポート"].iter().enumerate() {
        let group = crate::groups::save_in(conn, None, &obj(json!({"name": name})), now).await?;
        for a in agents.iter().skip(g * 5).take(5) {
            crate::groups::add_member_in(conn, &obj(json!({"user_id": a, "group_id": group.id})), now).await?;
        }
        groups.push(group.id);
    }
    let plan_field = json!({"key": "plan", "title": "Plan", "type": "tagger", "custom_field_options": PLANS.iter().map(|p| json!({"name": p.replace('_', " "), "value": p})).collect::<Vec<_>>()});
    let plan = fields::save_in(conn, Record::Ticket, None, &obj(plan_field.clone()), now).await?.id;
    let seats = fields::save_in(
        conn,
        Record::Ticket,
        None,
        &obj(json!({"key": "seats", "title": "Seats", "type": "integer"})),
        now,
    )
    .await?
    .id;
    let renewal = fields::save_in(
        conn,
        Record::Ticket,
        None,
        &obj(json!({"key": "renewal_date", "title": "Renewal date", "type": "date"})),
        now,
    )
    .await?
    .id;
    fields::save_in(conn, Record::User, None, &obj(json!({"key": "plan", "title": "Plan", "type": "text"})), now)
        .await?;
    Ok(Seeded { agents, groups, customers, tickets: 0, ticket_fields: (plan, seats, renewal) })
}

async fn customers(conn: &mut AnyConnection, from: usize, to: usize, now: i64) -> Result<()> {
    for i in from..to {
        let plan = PLANS[i % 3].replace('_', " ");
        let input = UserInput {
            name: Patch::Set(format!("Cliente {i}")),
            email: Patch::Set(frontdesk_domain::EmailAddress::parse(&format!("customer{i}@example.com"))?),
            user_fields: Some(vec![(fields::FieldRef::Key("plan".into()), json!(plan))]),
            ..Default::default()
        };
        users::create_in(conn, &input, Role::EndUser, now).await?;
    }
    Ok(())
}

/// Adds comments in bulk (one audit each), with their search documents.
async fn add_comments(conn: &mut AnyConnection, list: &[(i64, i64, String, i64)]) -> Result<()> {
    let via = Via::web();
    let audits_rows: Vec<Audit> = list
        .iter()
        .map(|(ticket, author, _, at)| Audit {
            id: 0,
            ticket_id: *ticket,
            author_id: *author,
            via_channel: via.channel.into(),
            via_source: Some(via.source_json()),
            metadata: None,
            events: json!([{"type": "Comment"}]).to_string(),
            format: Default::default(),
            created_at: *at,
        })
        .collect();
    let ids = audits::insert_audits(conn, &audits_rows).await?;
    let comments: Vec<Comment> = list
        .iter()
        .zip(&ids)
        .map(|((ticket, author, body, at), audit)| {
            let r = render_markdown(body);
            Comment {
                id: 0,
                ticket_id: *ticket,
                audit_id: *audit,
                author_id: *author,
                body: r.body,
                html_body: r.html_body,
                plain_body: r.plain_body,
                public: 1,
                via_channel: via.channel.into(),
                metadata: None,
                created_at: *at,
            }
        })
        .collect();
    let cids = audits::insert_comments(conn, &comments).await?;
    let docs: Vec<_> =
        comments.iter().zip(&cids).map(|(c, id)| search_index::comment(c.ticket_id, *id, &c.plain_body)).collect();
    frontdesk_store::search::insert(conn, &docs).await?;
    Ok(())
}

/// Seeds `n` tickets with `comments` comments each (at least 1). `progress` hears the count so far.
/// Seeds `n` tickets with `comments` each among `customers` customers (default: one for every
/// 20 tickets, at least 100).
pub async fn seed(
    db: &Db,
    now: i64,
    n: usize,
    comments: usize,
    customers_wanted: Option<usize>,
    progress: impl Fn(usize),
) -> Result<Seeded> {
    let mut rng = StdRng::seed_from_u64(2026);
    let customer_count = customers_wanted.unwrap_or((n / 20).max(100)).max(1);
    let mut seeded = super::in_db(db, async |tx| {
        frontdesk_store::account::ensure(tx, now).await?;
        people(tx, customer_count, now).await
    })
    .await?;
    for from in (0..customer_count).step_by(5_000) {
        super::in_db(db, async |tx| customers(tx, from, (from + 5_000).min(customer_count), now).await).await?;
    }
    let mut tx = db.read().await?;
    let first_customer = frontdesk_store::users::find_by_identity(&mut tx, "email", "customer0@example.com")
        .await?
        .ok_or_else(|| ApiError::Internal("no customers".into()))?
        .id;
    let admin = frontdesk_store::users::get(&mut tx, seeded.agents[0]).await?.ok_or(ApiError::NotFound)?;
    drop(tx);
    let actor = Actor { user: admin, role: Role::Admin };
    let (plan, seats, renewal) = seeded.ticket_fields;
    let year = 365 * 86_400;
    let mut done = 0;
    while done < n {
        let size = BATCH.min(n - done);
        let mut items = Vec::with_capacity(size);
        let mut extra = Vec::new();
        for k in 0..size {
            let i = done + k;
            let created = now - year + (i as i64 * year) / n as i64;
            let status = pick_status(&mut rng);
            let group = seeded.groups[rng.gen_range(0..seeded.groups.len())];
            let g = seeded.groups.iter().position(|x| *x == group).unwrap_or(0);
            let assigned = status != "new" && (status == "solved" || rng.gen_bool(0.8));
            let tags: Vec<String> =
                (0..rng.gen_range(1..=3)).map(|_| TAGS[rng.gen_range(0..TAGS.len())].to_string()).collect();
            let mut custom = vec![(fields::FieldRef::Id(plan), json!(PLANS[rng.gen_range(0..3)]))];
            if rng.gen_bool(0.6) {
                custom.push((fields::FieldRef::Id(seats), json!(rng.gen_range(1..500))));
            }
            if rng.gen_bool(0.3) {
                custom.push((fields::FieldRef::Id(renewal), json!(format!("2026-12-{:02}", rng.gen_range(1..=28)))));
            }
            let body = format!("{} (pedido {i}, código palavra{}x)", BODIES[rng.gen_range(0..BODIES.len())], i % 1000);
            let input = TicketInput {
                subject: Patch::Set(format!("{} #{i}", SUBJECTS[rng.gen_range(0..SUBJECTS.len())])),
                comment: Some(CommentInput { body: Some(body), ..Default::default() }),
                requester_id: Patch::Set(first_customer + (i % customer_count) as i64),
                status: Patch::Set(frontdesk_domain::Status::parse(status)?),
                priority: Patch::Set(frontdesk_domain::Priority::ALL[rng.gen_range(0..4)]),
                ticket_type: Patch::Set(frontdesk_domain::TicketType::ALL[rng.gen_range(0..4)]),
                group_id: Patch::Set(group),
                assignee_id: if assigned {
                    Patch::Set(seeded.agents[g * 5 + rng.gen_range(0..5)])
                } else {
                    Patch::Absent
                },
                tags: Some(frontdesk_domain::normalize_tags(tags.iter().map(String::as_str))?),
                custom_fields: Some(custom),
                ..Default::default()
            };
            items.push((actor.clone(), input, created));
        }
        super::in_db(db, async |tx| {
            let saved = tickets::create_batch(tx, items, &Via::web()).await?;
            for s in saved {
                let s = s?;
                for c in 1..comments.max(1) {
                    let author = if c % 2 == 1 {
                        s.ticket.assignee_id.unwrap_or(s.ticket.requester_id)
                    } else {
                        s.ticket.requester_id
                    };
                    let body = BODIES[rng.gen_range(0..BODIES.len())].to_string();
                    extra.push((s.ticket.id, author, body, s.ticket.created_at + c as i64 * 3_600));
                }
            }
            add_comments(tx, &extra).await
        })
        .await?;
        done += size;
        progress(done);
    }
    seeded.tickets = n;
    Ok(seeded)
}
