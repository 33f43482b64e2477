//! Proactive campaigns: a segment of customers found by a search, one ticket each.
//!
//! Making a campaign fixes its recipients (each a row keyed by campaign and customer, pending or
//! skipped with a reason) and creates its view, in one transaction. Sending is a job that takes
//! the campaign's row lock, creates a chunk of tickets through the normal create path (triggers
//! included) and moves each recipient from pending to created in the same transaction: a
//! crash loses at most an uncommitted chunk, and no customer can get two tickets.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{Map, Value, json};

use frontdesk_domain::filter::Record;
use frontdesk_store::AnyConnection;
use frontdesk_store::campaigns::{self, Campaign};
use frontdesk_store::tags::Tagged;
use frontdesk_store::users::User;

use super::Via;
use super::in_tx;
use super::input::Obj;
use super::tickets::TicketInput;
use crate::AppState;
use crate::auth::Actor;
use crate::error::{ApiError, Result};

/// The permission an agent needs to run campaigns (admins have it by their role).
pub const PERMISSION: &str = "run_campaigns";
/// A customer with this tag gets no campaign tickets.
pub const OPT_OUT_TAG: &str = "campaign_opt_out";
/// Tickets a send makes per transaction.
const CHUNK: i64 = 100;

/// Why a customer of the audience gets no ticket.
pub mod skip {
    pub const NOT_FOUND: &str = "not_found";
    pub const NOT_A_CUSTOMER: &str = "not_a_customer";
    pub const SUSPENDED: &str = "suspended";
    pub const OPTED_OUT: &str = "opted_out";
    pub const CONTACTED_RECENTLY: &str = "contacted_recently";
}

/// Who may run campaigns: admins, and agents an admin gave the permission.
pub async fn may_run(conn: &mut AnyConnection, actor: &Actor) -> Result<()> {
    if actor.is_admin() {
        return Ok(());
    }
    if actor.is_staff() && campaigns::permissions(conn, actor.id()).await?.iter().any(|p| p == PERMISSION) {
        return Ok(());
    }
    Err(ApiError::Forbidden(format!(
        "Running campaigns needs the \"{PERMISSION}\" permission (run campaigns), which an admin can give"
    )))
}

/// A campaign as asked for, checked.
#[derive(Debug, Clone)]
pub struct CampaignInput {
    pub name: String,
    pub query: Option<String>,
    pub user_ids: Vec<i64>,
    pub exclude_user_ids: Vec<i64>,
    /// The ticket each customer gets, placeholders unrendered.
    pub ticket: Map<String, Value>,
    pub macro_id: Option<i64>,
    pub override_frequency_cap: bool,
}

fn ids(o: &Obj, key: &str) -> Result<Vec<i64>> {
    match o.raw(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())).ok_or_else(|| {
                    ApiError::invalid(key, format!("{key}: {v} is not a user id"))
                        .msg("error-not-an-id", &[("value", &v)])
                })
            })
            .collect(),
        Some(_) => {
            Err(ApiError::invalid(key, format!("{key}: must be a list of user ids")).msg("error-wrong-type", &[]))
        }
    }
}

impl CampaignInput {
    pub fn parse(m: &Map<String, Value>) -> Result<CampaignInput> {
        let o = Obj(m);
        let name = o.str("name", 100)?.set().map(|n| n.trim().to_string()).unwrap_or_default();
        if name.is_empty() {
            return Err(ApiError::blank("name", "Name"));
        }
        let audience = o.object("audience")?.ok_or_else(|| ApiError::blank("audience", "Audience"))?;
        let query = audience.str("query", 4096)?.set().map(|q| q.trim().to_string()).filter(|q| !q.is_empty());
        let user_ids = ids(&audience, "user_ids")?;
        let exclude_user_ids = ids(&audience, "exclude_user_ids")?;
        if query.is_none() && user_ids.is_empty() {
            return Err(ApiError::invalid_msg(
                "audience",
                "InvalidValue",
                "audience: give a query or user_ids (the audience is empty)",
                "error-audience-empty",
                &[],
            ));
        }
        let ticket = o.object("ticket")?.ok_or_else(|| ApiError::blank("ticket", "Ticket"))?.0.clone();
        let t = Obj(&ticket);
        if t.str("subject", 1000)?.set().is_none_or(|s| s.trim().is_empty()) {
            return Err(ApiError::blank("ticket.subject", "Subject"));
        }
        let comment = t.object("comment")?.ok_or_else(|| ApiError::blank("ticket.comment", "Description"))?;
        if comment.str("body", 65_535)?.set().is_none() && comment.str("html_body", 65_535)?.set().is_none() {
            return Err(ApiError::blank("ticket.comment", "Description"));
        }
        for refused in ["requester_id", "requester", "submitter_id"] {
            if ticket.contains_key(refused) {
                return Err(ApiError::invalid(
                    format!("ticket.{refused}"),
                    format!("ticket.{refused}: each ticket's requester is its customer"),
                )
                .msg("error-campaign-requester", &[]));
            }
        }
        Ok(CampaignInput {
            name,
            query,
            user_ids,
            exclude_user_ids,
            ticket,
            macro_id: o.id("macro_id")?.set(),
            override_frequency_cap: o.bool("override_frequency_cap")?.unwrap_or(false),
        })
    }

    fn audience_json(&self) -> Value {
        json!({"query": self.query, "user_ids": self.user_ids, "exclude_user_ids": self.exclude_user_ids})
    }
}

/// The tag of a campaign's tickets: `campaign_` and the name as a tag.
pub fn tag_of(name: &str) -> Result<String> {
    let slug: String = name.chars().map(|c| if c.is_alphanumeric() { c } else { '_' }).collect();
    let slug = slug.split('_').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("_");
    frontdesk_domain::normalize_tag(&format!("campaign_{slug}")).map_err(|e| ApiError::refused("name", "Name", e))
}

fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Each customer of the audience with what happens to them: `None` gets a ticket, `Some(reason)`
/// is skipped.
pub struct Audience {
    pub recipients: Vec<(i64, Option<&'static str>)>,
}

impl Audience {
    pub fn counts(&self) -> (i64, i64, BTreeMap<&'static str, i64>) {
        let mut reasons = BTreeMap::new();
        for (_, r) in &self.recipients {
            if let Some(r) = r {
                *reasons.entry(*r).or_insert(0) += 1;
            }
        }
        let skipped: i64 = reasons.values().sum();
        (self.recipients.len() as i64 - skipped, skipped, reasons)
    }
}

/// Resolves the audience: the query's users, plus the listed ones, minus the excluded; then
/// who is skipped and why.
pub async fn audience(conn: &mut AnyConnection, input: &CampaignInput, actor: &Actor, now: i64) -> Result<Audience> {
    let mut wanted: Vec<i64> = Vec::new();
    if let Some(q) = &input.query {
        let asker = crate::query::Asker { now, me: actor.id() };
        let (filters, _) = crate::query::resolve(conn, q, Some(Record::User), asker).await?;
        for (_, f) in filters {
            wanted.extend(frontdesk_store::search::user_ids(conn, &f).await?);
        }
    }
    wanted.extend(&input.user_ids);
    let excluded: HashSet<i64> = input.exclude_user_ids.iter().copied().collect();
    wanted.retain(|id| !excluded.contains(id));
    wanted.sort_unstable();
    wanted.dedup();
    let mut found: HashMap<i64, User> = HashMap::new();
    for chunk in wanted.chunks(500) {
        found.extend(frontdesk_store::users::get_many(conn, chunk).await?.into_iter().map(|u| (u.id, u)));
    }
    let mut opted_out: HashSet<i64> = HashSet::new();
    for chunk in wanted.chunks(500) {
        for (id, tags) in frontdesk_store::tags::list_many(conn, Tagged::User, chunk).await? {
            if tags.iter().any(|t| t == OPT_OUT_TAG) {
                opted_out.insert(id);
            }
        }
    }
    let recent: HashSet<i64> = if input.override_frequency_cap {
        HashSet::new()
    } else {
        let days = campaigns::interval_days(conn).await?;
        campaigns::contacted_since(conn, &wanted, now - days * 86_400).await?.into_iter().collect()
    };
    let recipients = wanted
        .into_iter()
        .map(|id| {
            let reason = match found.get(&id) {
                None => Some(skip::NOT_FOUND),
                Some(u) if u.active == 0 => Some(skip::NOT_FOUND),
                Some(u) if u.role != frontdesk_domain::Role::EndUser => Some(skip::NOT_A_CUSTOMER),
                Some(u) if u.suspended == 1 => Some(skip::SUSPENDED),
                Some(_) if opted_out.contains(&id) => Some(skip::OPTED_OUT),
                Some(_) if recent.contains(&id) => Some(skip::CONTACTED_RECENTLY),
                Some(_) => None,
            };
            (id, reason)
        })
        .collect();
    Ok(Audience { recipients })
}

/// What placeholders can name about a customer: `user.name`, `user.first_name`, `user.email`,
/// `user.organization.name`, `user.custom_fields.<key>` (also `user.<key>`) and
/// `user.organization.custom_fields.<key>`.
pub struct People {
    users: HashMap<i64, User>,
    orgs: HashMap<i64, String>,
    user_values: HashMap<i64, BTreeMap<String, String>>,
    org_values: HashMap<i64, BTreeMap<String, String>>,
}

impl People {
    pub async fn load(conn: &mut AnyConnection, ids: &[i64]) -> Result<People> {
        let users: HashMap<i64, User> =
            frontdesk_store::users::get_many(conn, ids).await?.into_iter().map(|u| (u.id, u)).collect();
        let org_ids: Vec<i64> =
            users.values().filter_map(|u| u.organization_id).collect::<HashSet<_>>().into_iter().collect();
        let orgs = frontdesk_store::organizations::get_many(conn, &org_ids)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let keyed = async |conn: &mut AnyConnection,
                           kind: Record,
                           ids: &[i64]|
               -> Result<HashMap<i64, BTreeMap<String, String>>> {
            let defs = frontdesk_store::custom_fields::defs(conn, kind).await?;
            let values = frontdesk_store::custom_fields::values(conn, kind, ids).await?;
            Ok(values
                .into_iter()
                .map(|(id, by_field)| {
                    let named = by_field
                        .into_iter()
                        .filter_map(|(f, v)| defs.iter().find(|d| d.id == f).map(|d| (d.key.clone(), v.join(", "))))
                        .collect();
                    (id, named)
                })
                .collect())
        };
        let user_values = keyed(conn, Record::User, ids).await?;
        let org_values = keyed(conn, Record::Organization, &org_ids).await?;
        Ok(People { users, orgs, user_values, org_values })
    }

    pub fn context(&self, id: i64) -> Value {
        let Some(u) = self.users.get(&id) else { return json!({"user": {}}) };
        let fields = self.user_values.get(&id).cloned().unwrap_or_default();
        let org_fields = u.organization_id.and_then(|o| self.org_values.get(&o).cloned()).unwrap_or_default();
        let mut user = json!({
            "id": u.id,
            "name": u.name,
            "first_name": u.name.split_whitespace().next().unwrap_or(""),
            "last_name": u.name.split_whitespace().skip(1).collect::<Vec<_>>().join(" "),
            "email": u.email,
            "phone": u.phone,
            "custom_fields": fields,
            "organization": {
                "name": u.organization_id.and_then(|o| self.orgs.get(&o).cloned()),
                "custom_fields": org_fields,
            },
        });
        for (k, v) in &fields {
            if user.get(k).is_none() {
                user[k.as_str()] = json!(v);
            }
        }
        json!({"user": user})
    }
}

/// Renders placeholders: HTML-escaped for a body, as they are for a subject. A customer without
/// an organization or a field gets nothing there, not an error.
fn render(text: &str, ctx: &Value, html: bool) -> Result<String> {
    let chainable = minijinja::UndefinedBehavior::Chainable;
    super::render_placeholders(text, ctx, html, chainable, "ticket", "ticket: a placeholder")
}

/// The ticket one customer gets: the template with their placeholders, their request, the
/// campaign's tag.
pub fn ticket_for(template: &Map<String, Value>, tag: &str, user_id: i64, ctx: &Value) -> Result<Map<String, Value>> {
    let mut t = template.clone();
    if let Some(s) = t.get("subject").and_then(Value::as_str) {
        let subject = render(s, ctx, false)?;
        t.insert("subject".into(), json!(subject));
    }
    if let Some(Value::Object(c)) = t.get_mut("comment") {
        for (key, html) in [("body", true), ("html_body", true)] {
            if let Some(s) = c.get(key).and_then(Value::as_str) {
                let rendered = render(s, ctx, html)?;
                c.insert(key.into(), json!(rendered));
            }
        }
    }
    let mut tags: Vec<Value> = match t.get("tags") {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::String(s)) => s.split_whitespace().map(|x| json!(x)).collect(),
        _ => Vec::new(),
    };
    tags.push(json!(tag));
    t.insert("tags".into(), Value::Array(tags));
    t.insert("requester_id".into(), json!(user_id));
    Ok(t)
}

/// Checks the template once, as the first customer's ticket would be: the API's own checks
/// (status, priority, custom fields…) and that what it names exists.
async fn check_template(conn: &mut AnyConnection, input: &CampaignInput) -> Result<()> {
    let sample = ticket_for(&input.ticket, "campaign_check", 1, &json!({"user": {}}))?;
    TicketInput::parse(&sample).map_err(|e| match e {
        ApiError::Invalid(list) => ApiError::Invalid(
            list.into_iter()
                .map(|mut f| {
                    f.field = format!("ticket.{}", f.field);
                    f
                })
                .collect(),
        ),
        other => other,
    })?;
    let t = Obj(&input.ticket);
    if let Some(g) = t.id("group_id")?.set()
        && frontdesk_store::groups::get(conn, g).await?.filter(|g| g.deleted == 0).is_none()
    {
        return Err(ApiError::invalid("ticket.group_id", format!("ticket.group_id: there is no group {g}"))
            .msg("error-no-such-group", &[("id", &g)]));
    }
    if let Some(a) = t.id("assignee_id")?.set()
        && frontdesk_store::users::get(conn, a)
            .await?
            .filter(|u| u.role != frontdesk_domain::Role::EndUser && u.active == 1)
            .is_none()
    {
        return Err(ApiError::invalid("ticket.assignee_id", format!("ticket.assignee_id: there is no agent {a}"))
            .msg("error-not-an-agent", &[("id", &a)]));
    }
    if let Some(s) = t.id("custom_status_id")?.set()
        && frontdesk_store::custom_statuses::get(conn, s).await?.is_none()
    {
        return Err(ApiError::invalid(
            "ticket.custom_status_id",
            format!("ticket.custom_status_id: there is no status {s}"),
        )
        .msg("error-no-such-status", &[("id", &s)]));
    }
    if t.bool("round_robin")? == Some(true) {
        if t.raw("assignee_id").is_some_and(|a| !a.is_null()) {
            return Err(ApiError::invalid("ticket.round_robin", "ticket.round_robin: give a group, not an assignee")
                .msg("error-round-robin-assignee", &[]));
        }
        if round_robin(conn, &input.ticket).await?.is_empty() {
            return Err(ApiError::invalid(
                "ticket.round_robin",
                "ticket.round_robin: needs a group_id whose group has agents",
            )
            .msg("error-round-robin-group", &[]));
        }
    }
    if let Some(m) = input.macro_id
        && frontdesk_store::rules::get(conn, "macro", m).await?.is_none()
    {
        return Err(ApiError::invalid("macro_id", format!("macro_id: there is no macro {m}"))
            .msg("error-no-such-macro", &[("id", &m)]));
    }
    Ok(())
}

async fn check_name(conn: &mut AnyConnection, name: &str) -> Result<String> {
    if campaigns::find_by_name_key(conn, &name_key(name)).await?.is_some() {
        return Err(ApiError::invalid_code("name", "DuplicateValue", format!("Name: {name} has already been taken")));
    }
    tag_of(name)
}

/// A campaign's preview: who gets a ticket and who is skipped (and why), three tickets as
/// real customers would get them, and the warnings (capacity, contact frequency).
pub async fn preview(conn: &mut AnyConnection, input: &CampaignInput, actor: &Actor, now: i64) -> Result<Value> {
    let tag = check_name(conn, &input.name).await?;
    check_template(conn, input).await?;
    let audience = audience(conn, input, actor, now).await?;
    let (sending, skipped, reasons) = audience.counts();
    let first: Vec<i64> = audience.recipients.iter().filter(|(_, r)| r.is_none()).take(3).map(|(id, _)| *id).collect();
    let people = People::load(conn, &first).await?;
    let mut samples = Vec::new();
    for id in &first {
        let t = ticket_for(&input.ticket, &tag, *id, &people.context(*id))?;
        let comment = &t["comment"];
        let html = match (comment["html_body"].as_str(), comment["body"].as_str()) {
            (Some(h), _) => frontdesk_domain::text::render_html(h).html_body,
            (None, Some(b)) => frontdesk_domain::text::render_markdown(b).html_body,
            _ => String::new(),
        };
        let u = people.users.get(id);
        samples.push(json!({
            "user_id": id, "name": u.map(|u| u.name.clone()), "email": u.and_then(|u| u.email.clone()),
            "subject": t["subject"], "html_body": html, "public": comment["public"].as_bool().unwrap_or(true),
        }));
    }
    let mut warnings = Vec::new();
    let t = Obj(&input.ticket);
    let (assignee, group) = (t.id("assignee_id")?.set(), t.id("group_id")?.set());
    if assignee.is_some() || group.is_some() {
        let solved = campaigns::solved_last_30_days(conn, assignee, group, now).await?;
        let per_day = solved as f64 / 30.0;
        let days = if per_day > 0.0 { Some((sending as f64 / per_day * 10.0).round() / 10.0) } else { None };
        warnings.push(json!({
            "type": "capacity",
            "assignee_id": assignee, "group_id": group,
            "solved_last_30_days": solved,
            "solved_per_day": (per_day * 10.0).round() / 10.0,
            "days_of_work": days,
            "message": match days {
                Some(d) => format!("{sending} tickets are about {d} days of work at the {:.1} tickets a day solved over the last 30 days", per_day),
                None => format!("{sending} tickets, and no tickets were solved over the last 30 days by this assignee or group"),
            },
        }));
    }
    let recent = reasons.get(skip::CONTACTED_RECENTLY).copied().unwrap_or(0);
    let interval = campaigns::interval_days(conn).await?;
    if recent > 0 || input.override_frequency_cap {
        warnings.push(json!({
            "type": "frequency",
            "customers": recent,
            "interval_days": interval,
            "overridden": input.override_frequency_cap,
            "message": format!("{recent} customers had a campaign ticket in the last {interval} days and are skipped"),
        }));
    }
    Ok(json!({
        "name": input.name, "tag": tag,
        "total": audience.recipients.len(), "sending": sending, "skipped": skipped,
        "skip_reasons": reasons, "samples": samples, "warnings": warnings,
    }))
}

/// Makes a campaign: its recipients fixed, its view, its send job. Only an admin may override
/// the frequency cap.
pub async fn create(state: &AppState, input: &CampaignInput, actor: &Actor) -> Result<Campaign> {
    let now = state.now();
    let c = in_tx(state, async |tx| create_in(tx, input, actor, now).await).await?;
    state.job_wakeup.notify_one();
    Ok(c)
}

async fn create_in(conn: &mut AnyConnection, input: &CampaignInput, actor: &Actor, now: i64) -> Result<Campaign> {
    if input.override_frequency_cap && !actor.is_admin() {
        return Err(ApiError::Forbidden("Only an admin can override the contact frequency cap".into()));
    }
    let tag = check_name(conn, &input.name).await?;
    check_template(conn, input).await?;
    let audience = audience(conn, input, actor, now).await?;
    let (_, skipped, _) = audience.counts();
    let mut c = Campaign {
        name: input.name.clone(),
        name_key: name_key(&input.name),
        tag: tag.clone(),
        state: "queued".into(),
        audience: input.audience_json().to_string(),
        ticket: Value::Object(input.ticket.clone()).to_string(),
        macro_id: input.macro_id,
        override_frequency_cap: i64::from(input.override_frequency_cap),
        total: audience.recipients.len() as i64,
        skipped,
        created_by: actor.id(),
        created_at: now,
        updated_at: now,
        ..Default::default()
    };
    c.id = campaigns::insert(conn, &c).await.map_err(|e| match e {
        frontdesk_store::StoreError::Duplicate(_) => {
            ApiError::invalid_code("name", "DuplicateValue", format!("Name: {} has already been taken", input.name))
        }
        other => other.into(),
    })?;
    let rows: Vec<(i64, &str, Option<&str>)> = audience
        .recipients
        .iter()
        .map(|(id, reason)| (*id, if reason.is_some() { "skipped" } else { "pending" }, *reason))
        .collect();
    campaigns::insert_recipients(conn, c.id, &rows, now).await?;
    // The campaign's own queue: its tickets, by their tag.
    let mut view = frontdesk_store::views::View::default();
    let body = json!({"title": format!("Campaign: {}", input.name),
        "all": [{"field": "current_tags", "operator": "includes", "value": tag}],
        "output": {"columns": ["subject", "requester", "status", "updated"], "sort_by": "updated_at", "sort_order": "desc"}});
    super::views::apply(conn, &mut view, body.as_object().expect("an object"), now, actor.id()).await?;
    let view_id = frontdesk_store::views::insert(conn, &view).await?;
    campaigns::set_view(conn, c.id, view_id).await?;
    c.view_id = Some(view_id);
    enqueue_send(conn, &c, actor, now).await?;
    Ok(c)
}

async fn enqueue_send(conn: &mut AnyConnection, c: &Campaign, actor: &Actor, now: i64) -> Result<()> {
    let job = frontdesk_store::jobs::NewJob {
        public_id: None,
        kind: frontdesk_domain::JobKind::CampaignSend,
        payload: json!({"campaign_id": c.id}).to_string(),
        // About an hour of retries with backoff; then the campaign ends `failed` with the error.
        max_attempts: 12,
        run_at_ms: now * 1000,
        total: Some(c.total),
        requested_by: Some(actor.id()),
        unique_key: None,
    };
    frontdesk_store::jobs::enqueue(conn, &job, now).await?;
    Ok(())
}

/// Pauses a sending campaign: the send stops after its current chunk.
pub async fn pause(state: &AppState, id: i64) -> Result<Campaign> {
    let now = state.now();
    in_tx(state, async |tx| pause_in(tx, id, now).await).await
}

async fn pause_in(conn: &mut AnyConnection, id: i64, now: i64) -> Result<Campaign> {
    let c = campaigns::get_for_update(conn, id).await?.ok_or(ApiError::NotFound)?;
    if !campaigns::set_state(conn, id, &["queued", "running"], "paused", now).await? {
        return Err(ApiError::invalid("state", format!("state: a {} campaign cannot be paused", c.state))
            .msg("error-campaign-state", &[]));
    }
    campaigns::get(conn, id).await?.ok_or(ApiError::NotFound)
}

/// Resumes a paused campaign where it stopped.
pub async fn resume(state: &AppState, id: i64, actor: &Actor) -> Result<Campaign> {
    let now = state.now();
    let c = in_tx(state, async |tx| resume_in(tx, id, actor, now).await).await?;
    state.job_wakeup.notify_one();
    Ok(c)
}

async fn resume_in(conn: &mut AnyConnection, id: i64, actor: &Actor, now: i64) -> Result<Campaign> {
    let c = campaigns::get_for_update(conn, id).await?.ok_or(ApiError::NotFound)?;
    if !campaigns::set_state(conn, id, &["paused"], "queued", now).await? {
        return Err(ApiError::invalid("state", format!("state: a {} campaign cannot be resumed", c.state))
            .msg("error-campaign-state", &[]));
    }
    enqueue_send(conn, &c, actor, now).await?;
    campaigns::get(conn, id).await?.ok_or(ApiError::NotFound)
}

/// The agents a round-robin campaign assigns in turn: the group's members, in id order
/// (empty when the campaign does not rotate).
async fn round_robin(conn: &mut AnyConnection, template: &Map<String, Value>) -> Result<Vec<i64>> {
    let (Some(true), Some(group)) =
        (template.get("round_robin").and_then(Value::as_bool), Obj(template).id("group_id")?.set())
    else {
        return Ok(Vec::new());
    };
    let mut members = frontdesk_store::groups::member_ids(conn, group).await?;
    members.sort_unstable();
    Ok(members)
}

/// A send whose job ran out of attempts ends `failed`, with the job's last error.
pub async fn send_gave_up(conn: &mut AnyConnection, payload: &Value, error: &str, now: i64) -> Result<()> {
    if let Some(id) = payload["campaign_id"].as_i64() {
        campaigns::fail(conn, id, error, now).await?;
    }
    Ok(())
}

/// One chunk of a send, in the caller's transaction: true when the send is over (finished, or
/// paused meanwhile).
pub async fn send_chunk(conn: &mut AnyConnection, campaign_id: i64, actor: &Actor, now: i64) -> Result<bool> {
    let c = campaigns::get_for_update(conn, campaign_id).await?.ok_or(ApiError::NotFound)?;
    if c.state != "queued" && c.state != "running" {
        return Ok(true);
    }
    if c.state == "queued" {
        campaigns::set_state(conn, c.id, &["queued"], "running", now).await?;
    }
    let batch = campaigns::pending(conn, c.id, CHUNK).await?;
    if batch.is_empty() {
        campaigns::set_state(conn, c.id, &["running", "queued"], "completed", now).await?;
        return Ok(true);
    }
    let template = c.ticket_template()?;
    let people = People::load(conn, &batch).await?;
    let rotation = round_robin(conn, &template).await?;
    let mut inputs = Vec::with_capacity(batch.len());
    let mut rendered = Vec::with_capacity(batch.len());
    for (i, &user) in batch.iter().enumerate() {
        let r = ticket_for(&template, &c.tag, user, &people.context(user)).and_then(|mut t| {
            // Round-robin: the group's agents in turn, continuing where the last chunk stopped.
            if !rotation.is_empty() {
                let turn = (c.created + c.failed) as usize + i;
                t.insert("assignee_id".into(), json!(rotation[turn % rotation.len()]));
            }
            TicketInput::parse(&t)
        });
        match r {
            Ok(input) => {
                inputs.push((actor.clone(), input, now));
                rendered.push(Ok(()));
            }
            Err(e) => rendered.push(Err(e)),
        }
    }
    let mut made = super::tickets::create_batch(conn, inputs, &Via::campaign()).await?.into_iter();
    let (mut created, mut failed) = (0, 0);
    for (&user, r) in batch.iter().zip(rendered) {
        let outcome = match r {
            Ok(()) => made.next().unwrap_or_else(|| Err(ApiError::Internal("lost batch item".into()))),
            Err(e) => Err(e),
        };
        match outcome {
            Ok(saved) => {
                // The campaign's message is mailed like an agent's reply (with the headers
                // that let the customer unsubscribe in one click).
                super::email::enqueue_campaign_mail(conn, &saved, now).await?;
                if let Some(m) = c.macro_id {
                    super::rules::apply_macro_in(conn, actor, saved.ticket.id, m, now, true).await?;
                }
                if !campaigns::settle(conn, c.id, user, Some(saved.ticket.id), None, now).await? {
                    // Someone else settled this customer: keep nothing of this chunk.
                    return Err(ApiError::Internal(format!("campaign {} recipient {user} settled twice", c.id)));
                }
                created += 1;
            }
            Err(e) => {
                campaigns::settle(conn, c.id, user, None, Some(&e.words()), now).await?;
                failed += 1;
            }
        }
    }
    campaigns::count(conn, c.id, created, failed, now).await?;
    Ok(false)
}

/// The customer's own "unsubscribe" (a link in campaign mail): tags them out of every later
/// campaign. Saying it twice changes nothing.
pub async fn opt_out(state: &AppState, user_id: i64) -> Result<User> {
    let now = state.now();
    in_tx(state, async |tx| opt_out_in(tx, user_id, now).await).await
}

async fn opt_out_in(conn: &mut AnyConnection, user_id: i64, now: i64) -> Result<User> {
    let mut u = frontdesk_store::users::get(conn, user_id).await?.ok_or(ApiError::NotFound)?;
    if frontdesk_store::tags::list(conn, Tagged::User, u.id).await?.iter().any(|t| t == OPT_OUT_TAG) {
        return Ok(u);
    }
    frontdesk_store::tags::add(conn, Tagged::User, u.id, &[OPT_OUT_TAG.to_string()]).await?;
    u.updated_at = now;
    frontdesk_store::users::update(conn, &u).await?;
    super::search_index::refresh_user(conn, u.id).await?;
    Ok(u)
}

/// A campaign's report: its tickets by status, how many customers replied and how fast.
pub async fn report(conn: &mut AnyConnection, c: &Campaign) -> Result<Value> {
    let rows = campaigns::report_rows(conn, c.id).await?;
    let statuses = frontdesk_store::custom_statuses::list(conn, false).await?;
    let mut by_status: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_custom: BTreeMap<i64, i64> = BTreeMap::new();
    let mut replies: Vec<i64> = Vec::new();
    for (_, status, custom, reply) in &rows {
        *by_status.entry(status.clone()).or_default() += 1;
        if let Some(cs) = custom {
            *by_custom.entry(*cs).or_default() += 1;
        }
        if let Some(r) = reply {
            replies.push(*r);
        }
    }
    replies.sort_unstable();
    let median = if replies.is_empty() {
        None
    } else if replies.len() % 2 == 1 {
        Some(replies[replies.len() / 2])
    } else {
        Some((replies[replies.len() / 2 - 1] + replies[replies.len() / 2]) / 2)
    };
    let custom: Vec<Value> = by_custom
        .iter()
        .map(|(id, n)| {
            let s = statuses.iter().find(|s| s.id == *id);
            json!({"id": id, "agent_label": s.map(|s| s.agent_label.clone()), "status_category": s.map(|s| s.status_category.clone()), "count": n})
        })
        .collect();
    let solved = by_status.get("solved").copied().unwrap_or(0) + by_status.get("closed").copied().unwrap_or(0);
    Ok(json!({
        "campaign_id": c.id, "name": c.name, "tag": c.tag,
        "tickets": rows.len(),
        "by_status": by_status,
        "by_custom_status": custom,
        "replied": replies.len(),
        "median_first_reply_seconds": median,
        "solved": solved,
        "rows": rows.iter().map(|(id, status, cs, reply)| json!({"ticket_id": id, "status": status, "custom_status_id": cs, "first_reply_seconds": reply})).collect::<Vec<_>>(),
    }))
}

/// Sets which extra permissions user `id` holds (`run_campaigns` only; never a customer);
/// hands back the permissions after.
pub async fn set_permissions(state: &AppState, id: i64, list: &[String]) -> Result<Vec<String>> {
    if let Some(bad) = list.iter().find(|p| p.as_str() != PERMISSION) {
        return Err(ApiError::invalid(
            "permissions",
            format!("permissions: {bad:?} is not a permission (run_campaigns)"),
        ));
    }
    in_tx(state, async |tx| {
        let u = frontdesk_store::users::get(tx, id).await?.ok_or(ApiError::NotFound)?;
        if u.role == frontdesk_domain::Role::EndUser && !list.is_empty() {
            return Err(ApiError::invalid("permissions", "permissions: customers cannot run campaigns")
                .msg("error-customers-no-campaigns", &[]));
        }
        campaigns::set_permissions(tx, id, list).await?;
        Ok(campaigns::permissions(tx, id).await?)
    })
    .await
}
