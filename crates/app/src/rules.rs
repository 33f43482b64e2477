//! Business rules at work: saving triggers, automations and macros (checked against what they
//! refer to), running triggers on every ticket write, automations on a schedule, and macros as
//! previews. Every rule's actions become a [`TicketInput`] applied through the ticket update
//! itself, so a rule can do nothing a ticket update could not, and is checked the same way.

use std::collections::HashSet;

use rand::Rng;
use serde_json::{Map, Value, json};

use frontdesk_domain::conditions::{Conditions, RuleCondition};
use frontdesk_domain::fields::FieldDef;
use frontdesk_domain::filter::{Context, Record, TicketFacts};
use frontdesk_domain::rules::{
    self as domain, Action, Pick, Recipient, RuleAction, RuleContext, RuleKind, Test, Update,
};
use frontdesk_domain::{Priority, Role, Status, TicketType};
use frontdesk_store::AnyConnection;
use frontdesk_store::jobs::{self, NewJob};
use frontdesk_store::rules::{self as store, Rule};
use frontdesk_store::tickets::Ticket;
use frontdesk_store::{groups, users};

use super::Via;
use super::fields::{FieldRef, Values};
use super::input::{Gather, Obj};
use super::tickets::{CommentInput, Saved, TicketInput};
use super::views::parse_conditions;
use crate::auth::Actor;
use crate::error::{ApiError, Result};
use frontdesk_store::stored::{self, Unreadable};

/// A rule ready to run: its conditions and actions checked and compiled.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub rule: Rule,
    pub test: Test,
    pub actions: Vec<Action>,
}

/// A stored rule's conditions, or why they cannot be read.
pub fn conditions_of(r: &Rule) -> Result<Conditions, Unreadable> {
    stored::read(|| format!("conditions of {} {}", r.kind, r.id), r.format, &r.conditions)
}

/// A stored rule's actions, or why they cannot be read.
pub fn actions_of(r: &Rule) -> Result<Vec<RuleAction>, Unreadable> {
    stored::read(|| format!("actions of {} {}", r.kind, r.id), r.format, &r.actions)
}

/// Why a stored rule cannot be read (its conditions, actions or restriction), if it cannot: such
/// a rule is never run, and its listing says this instead of showing it empty.
pub fn unreadable(r: &Rule) -> Option<Unreadable> {
    conditions_of(r).err().or_else(|| actions_of(r).err()).or_else(|| restriction_of(r).err())
}

/// A stored macro's restriction (`None`: everyone's), or why it cannot be read.
pub fn restriction_of(r: &Rule) -> Result<Option<Value>, Unreadable> {
    stored::read_optional(|| format!("restriction of {} {}", r.kind, r.id), r.format, r.restriction.as_deref())
}

fn kind_of(r: &Rule) -> RuleKind {
    RuleKind::parse(&r.kind).unwrap_or(RuleKind::Trigger)
}

/// The custom fields of users and of organizations, for conditions on the requester's and the
/// organization's fields.
pub struct PeopleFields {
    pub user: Vec<FieldDef>,
    pub organization: Vec<FieldDef>,
}

impl PeopleFields {
    pub async fn load(conn: &mut AnyConnection) -> Result<PeopleFields> {
        Ok(PeopleFields {
            user: frontdesk_store::custom_fields::defs(conn, Record::User).await?,
            organization: frontdesk_store::custom_fields::defs(conn, Record::Organization).await?,
        })
    }

    pub fn context<'a>(&'a self, now: i64, me: i64, defs: &'a [FieldDef]) -> RuleContext<'a> {
        RuleContext {
            ticket: Context { now, me, fields: defs, org_fields: &[] },
            user_fields: &self.user,
            organization_fields: &self.organization,
        }
    }
}

/// Compiles a stored rule for a write by `me` at `now`.
pub fn compile(r: &Rule, ctx: RuleContext<'_>) -> Result<Compiled> {
    let test = domain::compile(&conditions_of(r)?, kind_of(r), ctx)?;
    let actions = domain::parse_actions(&actions_of(r)?).map_err(action_refused)?;
    Ok(Compiled { rule: r.clone(), test, actions })
}

/// Compiled triggers by (database, rules version, actor, second): writes in the same second by
/// the same actor reuse them, and any rule write moves the version. Compiled rules are pure
/// data, so the cache is shared by every server in the process.
type TriggerKey = (String, i64, i64, i64);
static TRIGGERS: std::sync::Mutex<Vec<(TriggerKey, std::sync::Arc<Vec<Compiled>>)>> = std::sync::Mutex::new(Vec::new());

/// The active triggers, compiled for `me` (a rule that no longer compiles — its field was
/// deleted, say — is skipped and logged, not allowed to block every ticket write).
pub async fn active_triggers(
    conn: &mut AnyConnection,
    now: i64,
    me: i64,
    defs: &[FieldDef],
) -> Result<std::sync::Arc<Vec<Compiled>>> {
    let (instance, version) = store::version(conn).await?;
    let key = (instance, version, me, now);
    if let Some((_, hit)) = TRIGGERS.lock().unwrap_or_else(|e| e.into_inner()).iter().find(|(k, _)| *k == key) {
        return Ok(hit.clone());
    }
    let compiled = std::sync::Arc::new(compile_triggers(conn, now, me, defs).await?);
    let mut cache = TRIGGERS.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() >= 16 {
        cache.remove(0);
    }
    cache.push((key, compiled.clone()));
    Ok(compiled)
}

async fn compile_triggers(conn: &mut AnyConnection, now: i64, me: i64, defs: &[FieldDef]) -> Result<Vec<Compiled>> {
    let rules = store::list(conn, RuleKind::Trigger.as_str(), true).await?;
    let people = PeopleFields::load(conn).await?;
    Ok(rules
        .iter()
        .filter_map(|r| match compile(r, people.context(now, me, defs)) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(rule = r.id, error = %e, "trigger skipped: it no longer compiles");
                None
            }
        })
        .collect())
}

fn condition_list(c: &Conditions) -> impl Iterator<Item = (usize, &RuleCondition)> {
    c.all.iter().chain(&c.any).enumerate()
}

/// Checks that the groups, users, organizations and statuses conditions name by id exist.
async fn check_condition_refs(conn: &mut AnyConnection, c: &Conditions) -> Result<()> {
    for (i, cond) in condition_list(c) {
        let raw = match &cond.value {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            _ => continue,
        };
        let Ok(id) = raw.parse::<i64>() else { continue };
        let exists = match cond.field.as_str() {
            "group_id" => groups::get(conn, id).await?.is_some_and(|g| g.deleted == 0),
            "assignee_id" | "requester_id" | "submitter_id" => users::get(conn, id).await?.is_some(),
            "organization_id" => frontdesk_store::organizations::get(conn, id).await?.is_some(),
            "custom_status_id" => frontdesk_store::custom_statuses::get(conn, id).await?.is_some(),
            _ => true,
        };
        if !exists {
            let place = frontdesk_domain::conditions::place(c, i);
            return Err(ApiError::invalid(
                "conditions",
                format!("conditions.{place}: {} {id} does not exist", cond.field.trim_end_matches("_id")),
            )
            .msg("error-condition-missing-ref", &[("id", &id)]));
        }
    }
    Ok(())
}

/// An action that cannot be used: a 422 about `actions`, naming which (`actions[2]: …`).
fn action_refused((i, e): (usize, frontdesk_domain::Invalid)) -> ApiError {
    ApiError::invalid("actions", format!("actions[{i}]: {e}")).because(e.reason)
}

/// Checks what actions refer to: groups, users, statuses, fields and their values, webhooks.
async fn check_action_refs(conn: &mut AnyConnection, actions: &[Action], defs: &[FieldDef]) -> Result<()> {
    for (i, a) in actions.iter().enumerate() {
        let missing = |what: &str, key: &'static str, id: i64| {
            Some(
                ApiError::invalid("actions", format!("actions[{i}]: {what} {id} does not exist"))
                    .msg(key, &[("id", &id)]),
            )
        };
        let problem = match a {
            Action::Group(Some(g)) | Action::NotifyGroup { group: g, .. } | Action::AssignWithin { group: g, .. } => {
                if groups::get(conn, *g).await?.is_none_or(|x| x.deleted != 0) {
                    missing("group", "error-no-such-group", *g)
                } else {
                    None
                }
            }
            Action::Assignee(Some(u)) => match users::get(conn, *u).await? {
                Some(user) if user.role != Role::EndUser => None,
                Some(_) => Some(
                    ApiError::invalid("actions", format!("actions[{i}]: user {u} is not an agent"))
                        .msg("error-not-an-agent", &[("id", u)]),
                ),
                None => missing("user", "error-no-such-user", *u),
            },
            Action::Requester(u) | Action::NotifyUser { to: Recipient::User(u), .. } => {
                if users::get(conn, *u).await?.is_none() { missing("user", "error-no-such-user", *u) } else { None }
            }
            Action::CustomStatus(s) => {
                if frontdesk_store::custom_statuses::get(conn, *s).await?.is_none() {
                    missing("custom status", "error-no-such-status", *s)
                } else {
                    None
                }
            }
            Action::Custom(f, v) => {
                match super::fields::check(Record::Ticket, defs, &vec![(FieldRef::Id(*f), v.clone())]) {
                    Ok(_) => None,
                    Err(ApiError::Invalid(mut errors)) => {
                        for e in &mut errors {
                            e.field = "actions".into();
                            e.description = format!("actions[{i}]: {}", e.description);
                        }
                        Some(ApiError::Invalid(errors))
                    }
                    Err(other) => Some(other),
                }
            }
            Action::Webhook { id, .. } => {
                if store::webhook(conn, *id).await?.is_none() {
                    missing("webhook", "error-no-such-webhook", *id)
                } else {
                    None
                }
            }
            _ => None,
        };
        if let Some(refused) = problem {
            return Err(refused);
        }
    }
    Ok(())
}

/// Whether some action changes a field some condition tests, so an automation stops matching
/// once it has acted (Zendesk's rule: an automation must nullify one of its conditions).
fn nullifies(c: &Conditions, actions: &[Action]) -> bool {
    let tested: HashSet<&str> = condition_list(c).map(|(_, x)| x.field.as_str()).collect();
    let hits = |f: &str| tested.contains(f);
    let status_fields = ["status", "NEW", "OPEN", "PENDING", "HOLD", "SOLVED", "CLOSED", "custom_status_id"];
    actions.iter().any(|a| match a {
        Action::Status(_) | Action::CustomStatus(_) => status_fields.iter().any(|f| hits(f)),
        Action::Priority(_) => hits("priority"),
        Action::Type(_) => hits("type"),
        Action::Group(_) => hits("group_id"),
        Action::Assignee(_) | Action::AssigneeCurrentUser => hits("assignee_id") || hits("assigned_at"),
        Action::AssignWithin { .. } => hits("assignee_id") || hits("group_id") || hits("assigned_at"),
        Action::Requester(_) => hits("requester_id"),
        Action::SetTags(_) | Action::AddTags(_) | Action::RemoveTags(_) => hits("current_tags") || hits("tags"),
        Action::Custom(id, _) => hits(&format!("custom_fields_{id}")),
        _ => false,
    })
}

/// Applies a create or update body to `rule` (a new rule has id 0), checking everything.
#[allow(clippy::too_many_lines, reason = "longer than a screen: on the list to split (ARCHITECTURE.md)")]
pub async fn apply(
    conn: &mut AnyConnection,
    kind: RuleKind,
    rule: &mut Rule,
    m: &Map<String, Value>,
    now: i64,
    me: i64,
) -> Result<()> {
    let o = Obj(m);
    let is_new = rule.id == 0;
    rule.kind = kind.as_str().to_string();
    // The title, the conditions and the actions are checked apart: every problem is reported.
    let mut g = Gather::default();
    match g.take(o.str("title", 255)).set() {
        Some(t) if !t.trim().is_empty() => rule.title = t.trim().to_string(),
        None if !is_new => {}
        _ => g.take::<()>(Err(ApiError::blank("title", "Title"))),
    }
    rule.description = g.take(o.str("description", 65_535)).apply(rule.description.take());
    match g.take(o.bool("active")) {
        Some(a) => rule.active = i64::from(a),
        None if is_new => rule.active = 1,
        None => {}
    }
    match o.raw("position").filter(|v| !v.is_null()) {
        Some(p) => {
            let position = p.as_i64().ok_or_else(|| {
                ApiError::invalid("position", "position: must be an integer").msg("error-wrong-type", &[])
            });
            rule.position = g.take(position.map(Some)).unwrap_or(rule.position);
        }
        None if is_new => rule.position = store::next_position(conn, kind.as_str()).await?,
        None => {}
    }
    if let Some(c) = o.raw("category_id").filter(|v| !v.is_null()) {
        let category = async {
            let id = c.as_i64().or_else(|| c.as_str().and_then(|s| s.parse().ok()));
            let id = id.ok_or_else(|| {
                ApiError::invalid("category_id", "category_id: must be an id").msg("error-wrong-type", &[])
            })?;
            if kind != RuleKind::Trigger || store::category(conn, id).await?.is_none() {
                return Err(ApiError::invalid(
                    "category_id",
                    format!("category_id: trigger category {id} does not exist"),
                )
                .msg("error-no-such-category", &[("id", &id)]));
            }
            Ok(Some(id))
        }
        .await;
        if let Some(id) = g.take(category) {
            rule.category_id = Some(id);
        }
    }
    let defs = frontdesk_store::custom_fields::defs(conn, Record::Ticket).await?;
    let conditions = async {
        let conditions = match parse_conditions(&o)? {
            Some(given) => given,
            // A rule whose stored conditions cannot be read is mended by sending new ones.
            None if rule.id == 0 => Conditions::default(),
            None => conditions_of(rule)
                .map_err(|e| ApiError::invalid("conditions", format!("conditions: {e}; send new conditions")))?,
        };
        if kind == RuleKind::Macro && !(conditions.all.is_empty() && conditions.any.is_empty()) {
            return Err(ApiError::invalid("conditions", "conditions: a macro has no conditions; an agent applies it")
                .msg("error-macro-no-conditions", &[]));
        }
        if kind != RuleKind::Macro && conditions.all.is_empty() && conditions.any.is_empty() {
            return Err(ApiError::invalid(
                "conditions",
                format!("conditions: a {} needs at least one condition", kind),
            )
            .msg("error-conditions-needed", &[]));
        }
        let people = PeopleFields::load(conn).await?;
        domain::compile(&conditions, kind, people.context(now, me, &defs))?;
        check_condition_refs(conn, &conditions).await?;
        Ok(Some(conditions))
    }
    .await;
    let conditions = g.take(conditions);
    let actions = async {
        let raw_actions: Vec<RuleAction> = match o.raw("actions") {
            None | Some(Value::Null) if rule.id == 0 => Vec::new(),
            None | Some(Value::Null) => {
                actions_of(rule).map_err(|e| ApiError::invalid("actions", format!("actions: {e}; send new actions")))?
            }
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    serde_json::from_value(a.clone()).map_err(|_| {
                        ApiError::invalid(
                            "actions",
                            format!("actions[{i}]: an action is {{\"field\", \"value\"}}, not {a}"),
                        )
                        .msg("error-wrong-type", &[])
                    })
                })
                .collect::<Result<_>>()?,
            Some(_) => {
                return Err(
                    ApiError::invalid("actions", "actions: must be a list of actions").msg("error-wrong-type", &[])
                );
            }
        };
        if raw_actions.is_empty() {
            return Err(ApiError::invalid("actions", format!("actions: a {kind} needs at least one action"))
                .msg("error-actions-needed", &[]));
        }
        let actions = domain::parse_actions(&raw_actions).map_err(action_refused)?;
        check_action_refs(conn, &actions, &defs).await?;
        Ok(Some((raw_actions, actions)))
    }
    .await;
    let actions = g.take(actions);
    if let (Some(conditions), Some((_, actions))) = (&conditions, &actions)
        && kind == RuleKind::Automation
        && !nullifies(conditions, actions)
    {
        g.take::<()>(Err(ApiError::invalid(
            "actions",
            "actions: an automation must change something its conditions test (a status, tag, field…), \
             so it acts on each ticket once",
        )
        .msg("error-automation-nullify", &[])));
    }
    if kind == RuleKind::Macro
        && let Some(r) = o.raw("restriction")
    {
        match r {
            Value::Null => rule.restriction = None,
            Value::Object(_) => rule.restriction = Some(r.to_string()),
            _ => g
                .take::<()>(Err(ApiError::invalid("restriction", "restriction: must be an object or null")
                    .msg("error-wrong-type", &[]))),
        }
    }
    g.done()?;
    if let Some(c) = conditions {
        rule.conditions = serde_json::to_string(&c).unwrap_or_default();
    }
    if let Some((raw, _)) = actions {
        rule.actions = serde_json::to_string(&raw).unwrap_or_default();
    }
    rule.updated_at = now;
    if is_new {
        rule.created_at = now;
    }
    Ok(())
}

/// The facts the in-memory evaluator sees of a saved ticket.
pub fn facts(t: &Ticket, tags: &[String], values: &Values, comment: Option<&str>) -> TicketFacts {
    TicketFacts {
        status: Some(t.status),
        custom_status_id: t.custom_status_id,
        priority: t.priority.as_deref().and_then(|p| Priority::parse(p).ok()),
        ticket_type: t.ticket_type.as_deref().and_then(|p| TicketType::parse(p).ok()),
        tags: tags.to_vec(),
        requester_id: t.requester_id,
        assignee_id: t.assignee_id,
        submitter_id: t.submitter_id,
        group_id: t.group_id,
        organization_id: t.organization_id,
        created_at: t.created_at,
        updated_at: t.updated_at,
        solved_at: t.solved_at,
        due_at: t.due_at,
        status_changed_at: t.status_changed_at,
        assigned_at: t.assigned_at,
        requester_updated_at: t.requester_updated_at,
        assignee_updated_at: t.assignee_updated_at,
        via: t.via_channel.clone(),
        recipient: t.recipient.clone(),
        brand_id: t.brand_id,
        external_id: t.external_id.clone(),
        subject: t.subject.clone().unwrap_or_default(),
        comments: comment.map(|c| vec![c.to_string()]).unwrap_or_default(),
        custom: values.iter().map(|(k, v)| (*k, v.clone())).collect(),
    }
}

/// The via of a rule's change: `rule`, from the rule (`zendesk-api.md` §6.5).
pub fn via_rule(r: &Rule) -> Via {
    Via { channel: "rule", source: json!({"from": {"id": r.id, "title": r.title}, "to": {}, "rel": r.kind}) }
}

/// The user a rule's comments and notifications come from: the ticket's assignee, else the
/// first admin.
async fn rule_author(conn: &mut AnyConnection, t: &Ticket) -> Result<i64> {
    if let Some(a) = t.assignee_id {
        return Ok(a);
    }
    Ok(users::first_admin(conn).await?.unwrap_or(t.submitter_id))
}

/// Chooses an agent of `group` for a ticket, and says why.
async fn pick_agent(conn: &mut AnyConnection, group: i64, pick: Pick) -> Result<Option<(i64, String)>> {
    let members = groups::member_ids(conn, group).await?;
    let agents: Vec<i64> = users::get_many(conn, &members)
        .await?
        .into_iter()
        .filter(|u| u.role != Role::EndUser && u.active == 1)
        .map(|u| u.id)
        .collect();
    if agents.is_empty() {
        return Ok(None);
    }
    Ok(Some(match pick {
        Pick::RoundRobin => {
            let last = store::last_rotation(conn, group).await?;
            let next = last.and_then(|l| agents.iter().find(|a| **a > l)).copied().unwrap_or(agents[0]);
            store::set_rotation(conn, group, next).await?;
            (next, format!("round robin in group {group}: the member after user {}", last.unwrap_or(0)))
        }
        Pick::Random => {
            let a = agents[rand::thread_rng().gen_range(0..agents.len())];
            (a, format!("picked at random among the {} agents of group {group}", agents.len()))
        }
        Pick::LeastLoaded => {
            let loads = store::open_loads(conn, &agents).await?;
            let load = |a: i64| loads.iter().find(|(u, _)| *u == a).map_or(0, |(_, n)| *n);
            let a = *agents.iter().min_by_key(|a| (load(**a), **a)).unwrap_or(&agents[0]);
            (a, format!("least loaded agent of group {group}, with {} unsolved tickets", load(a)))
        }
    }))
}

/// Users read once for a batch of creates (requesters, assignees), so that each ticket's
/// triggers do not read them again, one statement each.
#[derive(Default)]
pub struct Known(pub Vec<users::User>);

impl Known {
    async fn user(&self, conn: &mut AnyConnection, id: i64) -> Result<Option<users::User>> {
        match self.0.iter().find(|u| u.id == id) {
            Some(u) => Ok(Some(u.clone())),
            None => Ok(users::get(conn, id).await?),
        }
    }

    async fn users(&self, conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<users::User>> {
        let mut found: Vec<users::User> = self.0.iter().filter(|u| ids.contains(&u.id)).cloned().collect();
        let missing: Vec<i64> = ids.iter().copied().filter(|id| !found.iter().any(|u| u.id == *id)).collect();
        if !missing.is_empty() {
            found.extend(users::get_many(conn, &missing).await?);
        }
        Ok(found)
    }
}

/// What placeholders in a rule's text can name.
async fn placeholders(
    conn: &mut AnyConnection,
    s: &Saved,
    current: &Actor,
    defs: &[FieldDef],
    known: &Known,
) -> Result<Value> {
    let t = &s.ticket;
    let person = |u: Option<&frontdesk_store::users::User>| match u {
        Some(u) => json!({
            "id": u.id,
            "name": u.name,
            "first_name": u.name.split_whitespace().next().unwrap_or(""),
            "last_name": u.name.split_whitespace().skip(1).collect::<Vec<_>>().join(" "),
            "email": u.email,
        }),
        None => json!({}),
    };
    let ids: Vec<i64> = [Some(t.requester_id), t.assignee_id].into_iter().flatten().collect();
    let people = known.users(conn, &ids).await?;
    let find = |id: Option<i64>| id.and_then(|id| people.iter().find(|u| u.id == id));
    let group = match t.group_id {
        Some(g) => groups::get(conn, g).await?.map(|g| g.name),
        None => None,
    };
    let organization = match t.organization_id {
        Some(o) => frontdesk_store::organizations::get(conn, o).await?.map(|o| o.name),
        None => None,
    };
    let mut ticket = json!({
        "id": t.id,
        "subject": t.subject,
        "status": t.status,
        "priority": t.priority,
        "ticket_type": t.ticket_type,
        "tags": s.tags.join(" "),
        "requester": person(find(Some(t.requester_id))),
        "assignee": person(find(t.assignee_id)),
        "group": {"name": group},
        "organization": {"name": organization},
    });
    for d in defs {
        let stored = s.values.get(&d.id).cloned().unwrap_or_default().join(", ");
        ticket[format!("ticket_field_{}", d.id)] = json!(stored);
        ticket[d.key.as_str()] = json!(stored);
    }
    Ok(json!({"ticket": ticket, "current_user": person(Some(&current.user))}))
}

/// Renders `{{ ticket.requester.first_name }}`-style placeholders, escaping values for HTML.
pub fn render_placeholders(text: &str, ctx: &Value) -> Result<String> {
    render_with(text, ctx, true)
}

/// Renders placeholders into plain text (a mail's subject), values as they are.
pub fn render_placeholders_text(text: &str, ctx: &Value) -> Result<String> {
    render_with(text, ctx, false)
}

fn render_with(text: &str, ctx: &Value, html: bool) -> Result<String> {
    let lenient = minijinja::UndefinedBehavior::Lenient;
    super::render_placeholders(text, ctx, html, lenient, "comment_value", "comment_value")
}

/// The ticket update a rule's actions make, and what they do besides (events for the audit,
/// jobs to enqueue).
pub struct Effect {
    pub input: TicketInput,
    pub events: Vec<Value>,
    pub jobs: Vec<NewJob>,
}

/// Turns actions into a ticket update for the ticket `s`, applied by `actor`.
pub async fn effect(
    conn: &mut AnyConnection,
    rule: Option<&Rule>,
    actions: &[Action],
    s: &Saved,
    actor: &Actor,
    defs: &[FieldDef],
    known: &Known,
) -> Result<Effect> {
    use super::input::Patch;
    let mut input = TicketInput::default();
    let mut events = Vec::new();
    let mut jobs = Vec::new();
    let mut comment: Option<CommentInput> = None;
    let mut public = None;
    let mut context = None;
    let rule_json = rule.map(|r| json!({"id": r.id, "title": r.title, "kind": r.kind}));
    // Each event a rule causes says so in its own `via`, as Zendesk's do.
    let via = rule.map(rule_via);
    for a in actions {
        match a {
            Action::Status(st) => input.status = Patch::Set(*st),
            Action::CustomStatus(id) => input.custom_status_id = Patch::Set(*id),
            Action::Priority(p) => input.priority = p.map_or(Patch::Null, Patch::Set),
            Action::Type(t) => input.ticket_type = t.map_or(Patch::Null, Patch::Set),
            Action::Group(g) => input.group_id = g.map_or(Patch::Null, Patch::Set),
            Action::Assignee(u) => input.assignee_id = u.map_or(Patch::Null, Patch::Set),
            Action::AssigneeCurrentUser => input.assignee_id = Patch::Set(actor.id()),
            Action::Requester(u) => input.requester_id = Patch::Set(*u),
            Action::Subject(x) => input.subject = Patch::Set(x.clone()),
            Action::SetTags(t) => input.tags = Some(t.clone()),
            Action::AddTags(t) => input.additional_tags.get_or_insert_with(Vec::new).extend(t.iter().cloned()),
            Action::RemoveTags(t) => input.remove_tags.get_or_insert_with(Vec::new).extend(t.iter().cloned()),
            Action::Custom(id, v) => {
                input.custom_fields.get_or_insert_with(Vec::new).push((FieldRef::Id(*id), v.clone()))
            }
            Action::Comment { body, html } => {
                if context.is_none() {
                    context = Some(placeholders(conn, s, actor, defs, known).await?);
                }
                let text = render_placeholders(body, context.as_ref().unwrap_or(&Value::Null))?;
                let c = comment.get_or_insert_with(Default::default);
                if *html {
                    c.html_body = Some(text);
                } else {
                    c.body = Some(text);
                }
            }
            Action::CommentPublic(p) => public = Some(*p),
            Action::AssignWithin { group, pick } => match pick_agent(conn, *group, *pick).await? {
                Some((agent, reason)) => {
                    input.group_id = Patch::Set(*group);
                    input.assignee_id = Patch::Set(agent);
                    events.push(json!({"type": "AssignmentReason", "method": pick.as_str(), "assignee_id": agent,
                        "group_id": group, "body": reason, "rule": rule_json, "via": via}));
                }
                None => events.push(json!({"type": "AssignmentReason", "method": pick.as_str(), "group_id": group,
                    "body": format!("group {group} has no active agents: nobody assigned"), "rule": rule_json, "via": via})),
            },
            Action::NotifyUser { .. } | Action::NotifyGroup { .. } => {
                if context.is_none() {
                    context = Some(placeholders(conn, s, actor, defs, known).await?);
                }
                let ctx = context.as_ref().unwrap_or(&Value::Null);
                let (to, subject, body) = match a {
                    Action::NotifyUser { to, subject, body } => {
                        (recipients(conn, to, &s.ticket, actor).await?, subject, body)
                    }
                    Action::NotifyGroup { group, subject, body } => {
                        (groups::member_ids(conn, *group).await?, subject, body)
                    }
                    _ => unreachable!(),
                };
                let subject = render_placeholders_text(subject, ctx)?;
                let body = render_placeholders(body, ctx)?;
                events.push(json!({"type": "Notification", "subject": subject, "body": body, "recipients": to, "rule": rule_json, "via": via}));
                // One job a recipient: a crash mid-way re-sends to nobody who already got it.
                for recipient in to {
                    let payload =
                        json!({"ticket_id": s.ticket.id, "recipient": recipient, "subject": subject, "body": body});
                    jobs.push(NewJob { max_attempts: 8, ..NewJob::new(frontdesk_domain::JobKind::Notification, payload) });
                }
            }
            Action::Webhook { id, body } => {
                if context.is_none() {
                    context = Some(placeholders(conn, s, actor, defs, known).await?);
                }
                let body = render_placeholders(body, context.as_ref().unwrap_or(&Value::Null))?;
                events.push(json!({"type": "WebhookCall", "webhook_id": id, "rule": rule_json, "via": via}));
                let payload = json!({"webhook_id": id, "ticket_id": s.ticket.id, "body": body});
                jobs.push(NewJob { max_attempts: 8, ..NewJob::new(frontdesk_domain::JobKind::Webhook, payload) });
            }
        }
    }
    if let Some(mut c) = comment {
        c.public = public.or(Some(true));
        c.author_id = Some(rule_author(conn, &s.ticket).await?);
        input.comment = Some(c);
    }
    Ok(Effect { input, events, jobs })
}

async fn recipients(conn: &mut AnyConnection, to: &Recipient, t: &Ticket, actor: &Actor) -> Result<Vec<i64>> {
    Ok(match to {
        Recipient::User(u) => vec![*u],
        Recipient::Requester => vec![t.requester_id],
        Recipient::Assignee => t.assignee_id.into_iter().collect(),
        Recipient::CurrentUser => vec![actor.id()],
        Recipient::AllAgents => users::staff_ids(conn).await?,
    })
}

/// Applies `actions` (a rule's, or those of them that can still apply) to a saved ticket through
/// the ticket update, as the rule (with an admin's rights, whoever's write set it off); with
/// `then_triggers` (an automation's change) the triggers run on that update.
#[allow(clippy::too_many_arguments)]
async fn fire(
    conn: &mut AnyConnection,
    c: &Compiled,
    actions: &[Action],
    s: &Saved,
    actor: &Actor,
    defs: &[FieldDef],
    now: i64,
    then_triggers: bool,
) -> Result<Saved> {
    let as_rule = Actor { user: actor.user.clone(), role: Role::Admin };
    let via = via_rule(&c.rule);
    Ok(act(conn, &c.rule, actions, s, &as_rule, &via, defs, now, then_triggers).await?.0)
}

/// What is about to be taken away from the rules and views that name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    Group(i64),
    User(i64),
}

impl Named {
    /// Whether a `{field, value}` of a condition or an action names this.
    fn in_item(self, field: &str, value: &Value) -> bool {
        let (id, fields): (i64, &[&str]) = match self {
            Named::Group(id) => (id, &["group_id", "notification_group", "assign_within"]),
            Named::User(id) => {
                (id, &["assignee_id", "requester_id", "submitter_id", "notification_user", "follower", "cc"])
            }
        };
        let first = match value {
            Value::Array(a) => a.first().unwrap_or(&Value::Null),
            Value::Object(o) => o.get("group_id").or_else(|| o.get("id")).unwrap_or(&Value::Null),
            v => v,
        };
        let names = first.as_i64().or_else(|| first.as_str().and_then(|s| s.trim().parse().ok())) == Some(id);
        fields.contains(&field) && names
    }

    /// Whether stored conditions or actions (any JSON holding `{field, value}` objects) name this.
    fn in_json(self, stored: &str) -> bool {
        fn walk(v: &Value, hit: &dyn Fn(&str, &Value) -> bool) -> bool {
            match v {
                Value::Object(o) => {
                    let here = match (o.get("field").and_then(Value::as_str), o.get("value")) {
                        (Some(f), Some(val)) => hit(f, val),
                        _ => false,
                    };
                    here || o.values().any(|x| walk(x, hit))
                }
                Value::Array(a) => a.iter().any(|x| walk(x, hit)),
                _ => false,
            }
        }
        match serde_json::from_str::<Value>(stored) {
            Ok(v) => walk(&v, &|f, val| self.in_item(f, val)),
            // A record that cannot be read is named too: the admin must look at it anyway.
            Err(_) => true,
        }
    }
}

/// The rules (triggers, automations, macros) and views whose conditions, actions or
/// restriction name a group or a user, as `{type, id, title}`: what an admin is told before a
/// group goes or an agent is demoted or deactivated, since those would no longer apply.
pub async fn naming(conn: &mut AnyConnection, what: Named) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    for kind in [RuleKind::Trigger, RuleKind::Automation, RuleKind::Macro] {
        for r in store::list(conn, kind.as_str(), false).await? {
            let restricted = r.restriction.as_deref().is_some_and(|x| restriction_names(what, x));
            if what.in_json(&r.conditions) || what.in_json(&r.actions) || restricted {
                out.push(json!({"type": kind.as_str(), "id": r.id, "title": r.title}));
            }
        }
    }
    for v in frontdesk_store::views::list(conn, false).await? {
        let restricted = v.restriction.as_deref().is_some_and(|x| restriction_names(what, x));
        if what.in_json(&v.conditions) || restricted {
            out.push(json!({"type": "view", "id": v.id, "title": v.title}));
        }
    }
    Ok(out)
}

/// Whether a `{type, id}` restriction (of a view or macro) names this group or user.
fn restriction_names(what: Named, stored: &str) -> bool {
    let Ok(v) = serde_json::from_str::<Value>(stored) else { return true };
    let id = v["id"].as_i64().or_else(|| v["id"].as_str().and_then(|s| s.parse().ok()));
    let ids: Vec<i64> = v["ids"].as_array().into_iter().flatten().filter_map(Value::as_i64).collect();
    let hit = |n: i64| id == Some(n) || ids.contains(&n);
    match (what, v["type"].as_str()) {
        (Named::Group(g), Some("Group")) => hit(g),
        (Named::User(u), Some("User")) => hit(u),
        _ => false,
    }
}

/// After this many failures since it was last saved, a rule is turned off.
pub const MAX_RULE_FAILURES: i64 = 10;

/// The actions of a rule that can still apply, and why each of the others cannot: a group that
/// was deleted, an agent who was demoted or deactivated, a user, status or webhook that is gone.
async fn usable_actions(conn: &mut AnyConnection, actions: &[Action]) -> Result<(Vec<Action>, Vec<String>)> {
    let mut kept = Vec::with_capacity(actions.len());
    let mut stale = Vec::new();
    for a in actions {
        let group = match a {
            Action::Group(Some(g)) | Action::AssignWithin { group: g, .. } | Action::NotifyGroup { group: g, .. } => {
                Some(*g)
            }
            _ => None,
        };
        if let Some(g) = group
            && groups::get(conn, g).await?.is_none_or(|g| g.deleted != 0)
        {
            stale.push(format!("group {g} no longer exists"));
            continue;
        }
        let person = match a {
            Action::Assignee(Some(u)) => Some((*u, true)),
            Action::Requester(u) | Action::NotifyUser { to: Recipient::User(u), .. } => Some((*u, false)),
            _ => None,
        };
        if let Some((id, staff)) = person {
            let u = users::get(conn, id).await?;
            let why = match u {
                None => Some(format!("user {id} no longer exists")),
                Some(u) if u.active == 0 => Some(format!("user {id} ({}) is deactivated", u.name)),
                Some(u) if staff && u.role == Role::EndUser => {
                    Some(format!("user {id} ({}) is no longer an agent", u.name))
                }
                Some(_) => None,
            };
            if let Some(why) = why {
                stale.push(why);
                continue;
            }
        }
        if let Action::CustomStatus(id) = a
            && frontdesk_store::custom_statuses::get(conn, *id).await?.is_none()
        {
            stale.push(format!("custom status {id} no longer exists"));
            continue;
        }
        if let Action::Webhook { id, .. } = a
            && store::webhook(conn, *id).await?.is_none()
        {
            stale.push(format!("webhook {id} no longer exists"));
            continue;
        }
        kept.push(a.clone());
    }
    Ok((kept, stale))
}

/// Records on the ticket's history and on the rule that the rule could not do all it says;
/// turns the rule off once it has failed [`MAX_RULE_FAILURES`] times since it was last saved.
async fn rule_failed(
    conn: &mut AnyConnection,
    rule: &Rule,
    ticket: i64,
    author: i64,
    why: &str,
    stale: bool,
    now: i64,
) -> Result<()> {
    tracing::warn!(rule = rule.id, ticket, "{} {:?} could not apply: {why}", rule.kind, rule.title);
    let failures = store::record_problem(conn, rule.id, why, now).await?;
    // Only a rule that names what is gone is turned off: one refused for what a ticket holds
    // must not be switchable off by whoever writes such tickets.
    let off = stale && failures >= MAX_RULE_FAILURES;
    if off {
        store::deactivate(conn, rule.id, now).await?;
    }
    super::tickets::note_event(
        conn,
        ticket,
        author,
        json!({"type": "RuleWarning", "rule": {"id": rule.id, "title": rule.title, "kind": rule.kind},
            "body": why, "deactivated": off}),
        now,
    )
    .await
}

/// Fires a trigger so that it can never stop the write that set it off: actions that can no
/// longer apply are left out, and a firing refused for any other reason is undone (to a
/// savepoint) and skipped; either way the audit and the rule say why. `None`: nothing fired.
async fn fire_guarded(
    conn: &mut AnyConnection,
    c: &Compiled,
    s: &Saved,
    actor: &Actor,
    defs: &[FieldDef],
    now: i64,
) -> Result<Option<Saved>> {
    let (actions, stale) = usable_actions(conn, &c.actions).await?;
    let names_the_gone = !stale.is_empty();
    let fired = if actions.is_empty() {
        None
    } else {
        Some(super::savepoint(conn, async |sp| fire(sp, c, &actions, s, actor, defs, now, false).await).await?)
    };
    let (saved, mut why) = match fired {
        Some(Ok(saved)) => (Some(saved), stale.join("; ")),
        None => (None, stale.join("; ")),
        Some(Err(e @ (ApiError::Internal(_) | ApiError::UpdateConflict))) => return Err(e),
        Some(Err(e)) => {
            let mut all = stale;
            all.push(format!("the change was refused: {}", e.words()));
            (None, all.join("; "))
        }
    };
    if !why.is_empty() {
        if saved.is_some() {
            why = format!("left out: {why}");
        }
        rule_failed(conn, &c.rule, s.ticket.id, actor.id(), &why, names_the_gone, now).await?;
    }
    Ok(saved)
}

/// Applies `rule`'s actions to the saved ticket `s` as one ticket update by `actor` (triggers
/// after it with `then_triggers`), and enqueues the jobs they call for. Returns the ticket as
/// updated and the comment input the actions made.
#[allow(clippy::too_many_arguments)]
async fn act(
    conn: &mut AnyConnection,
    rule: &Rule,
    actions: &[Action],
    s: &Saved,
    actor: &Actor,
    via: &Via,
    defs: &[FieldDef],
    now: i64,
    then_triggers: bool,
) -> Result<(Saved, Option<CommentInput>)> {
    let Effect { mut input, events, jobs } =
        effect(conn, Some(rule), actions, s, actor, defs, &Known::default()).await?;
    // Actions that only call out (mail, webhooks) change nothing on the ticket: their events join
    // the audit of the write that fired them (as Zendesk shows them), with no second update.
    if calls_only(actions)
        && let Some(audit) = &s.audit
    {
        // Events that cannot be read fail the firing (undone to its savepoint, recorded on the
        // rule): they are never overwritten with only the new ones.
        let mut all = audit.events()?;
        all.extend(events);
        let audit = frontdesk_store::audits::Audit { events: Value::Array(all).to_string(), ..audit.clone() };
        frontdesk_store::audits::set_events(conn, audit.id, &audit.events).await?;
        enqueue_jobs(conn, jobs, actor, now).await?;
        return Ok((Saved { audit: Some(audit), ..s.clone() }, None));
    }
    input.extra_events = events;
    let comment = input.comment.clone();
    let saved = if then_triggers {
        Box::pin(super::tickets::update_in(conn, actor, s.ticket.id, input, via, now)).await?
    } else {
        super::tickets::apply_update(conn, actor, s.ticket.id, input, via, now).await?
    };
    enqueue_jobs(conn, jobs, actor, now).await?;
    Ok((saved, comment))
}

/// Enqueues the jobs a rule's actions call for, as asked by `actor`.
async fn enqueue_jobs(conn: &mut AnyConnection, list: Vec<NewJob>, actor: &Actor, now: i64) -> Result<()> {
    let list: Vec<NewJob> = list.into_iter().map(|j| for_actor(j, actor, now)).collect();
    jobs::enqueue_many(conn, &list, now).await?;
    Ok(())
}

/// What a write did, for the triggers that run after it.
pub struct Write<'a> {
    pub actor: &'a Actor,
    pub created: bool,
    pub via: &'a Via,
    pub before: Option<TicketFacts>,
}

/// What triggers see of a write; the requester's role is looked up only when a trigger asks.
pub async fn write_update(
    conn: &mut AnyConnection,
    triggers: &[Compiled],
    w: &Write<'_>,
    requester_id: i64,
    comment: Option<(String, bool)>,
    known: &Known,
) -> Result<Update> {
    let mut update = Update {
        created: w.created,
        via: w.via.channel.to_string(),
        role: Some(w.actor.role),
        comment,
        before: w.before.clone(),
        ..Default::default()
    };
    if triggers.iter().any(|t| t.test.uses_people()) {
        let fields = triggers.iter().any(|t| t.test.uses_people_fields());
        people_facts(conn, requester_id, &mut update, fields, known).await?;
    }
    Ok(update)
}

/// Fills in what triggers may ask about the requester (their role) and, with `fields`, their
/// and their organization's custom fields.
pub async fn people_facts(
    conn: &mut AnyConnection,
    requester_id: i64,
    update: &mut Update,
    fields: bool,
    known: &Known,
) -> Result<()> {
    let Some(u) = known.user(conn, requester_id).await? else { return Ok(()) };
    update.requester_role = Some(u.role);
    if !fields {
        return Ok(());
    }
    let values = super::fields::load(conn, Record::User, u.id).await?;
    update.requester = Some(TicketFacts { custom: values.into_iter().collect(), ..Default::default() });
    if let Some(o) = u.organization_id {
        let values = super::fields::load(conn, Record::Organization, o).await?;
        update.organization = Some(TicketFacts { custom: values.into_iter().collect(), ..Default::default() });
    }
    Ok(())
}

/// Whether a trigger's actions only set tags, priority or type: a new ticket can take them
/// before it is written.
fn simple(actions: &[Action]) -> bool {
    actions.iter().all(|a| {
        matches!(
            a,
            Action::AddTags(_) | Action::RemoveTags(_) | Action::SetTags(_) | Action::Priority(_) | Action::Type(_)
        )
    })
}

/// Whether actions only call out (mail, webhooks): they change nothing on the ticket, so their
/// events join the audit of the write that fired them (as Zendesk shows them).
fn calls_only(actions: &[Action]) -> bool {
    actions.iter().all(|a| matches!(a, Action::NotifyUser { .. } | Action::NotifyGroup { .. } | Action::Webhook { .. }))
}

/// A new ticket as triggers see it before it is written (its id taken already).
pub struct Draft<'a> {
    pub ticket: &'a mut Ticket,
    pub tags: &'a mut Vec<String>,
    pub values: &'a Values,
    /// The create's own audit events, which the triggers' events join.
    pub events: &'a mut Vec<Value>,
    /// The jobs the triggers call for, enqueued with the batch.
    pub jobs: &'a mut Vec<NewJob>,
    /// The users the batch read already.
    pub known: &'a Known,
}

/// The triggers a new ticket meets before it is written, as far as they only set tags,
/// priority or type (applied to the ticket in memory: no second write) or only call out
/// (mails, webhooks: their events join the create's audit and their jobs are enqueued with
/// the whole batch). Each event names its rule in its `via`. Stops at the first matching trigger
/// that does more, or that names something gone or cannot render: it and the rest run after
/// the insert ([`run_triggers_on`]), where such a firing is recorded on the rule. Returns the
/// ids of the triggers applied.
pub async fn before_insert(
    conn: &mut AnyConnection,
    triggers: &[Compiled],
    update: &Update,
    actor: &Actor,
    defs: &[FieldDef],
    d: Draft<'_>,
) -> Result<Vec<i64>> {
    let comment = update.comment.as_ref().map(|(c, _)| c.as_str());
    let (t, tags, events, known) = (d.ticket, d.tags, d.events, d.known);
    let mut fired = Vec::new();
    loop {
        let now = facts(t, tags, d.values, comment);
        let Some(next) = triggers.iter().find(|x| !fired.contains(&x.rule.id) && x.test.holds(&now, update)) else {
            break;
        };
        if calls_only(&next.actions) {
            let (usable, stale) = usable_actions(conn, &next.actions).await?;
            if !stale.is_empty() {
                break;
            }
            let draft = Saved {
                ticket: t.clone(),
                audit: None,
                tags: tags.clone(),
                collaborators: Vec::new(),
                comment: None,
                custom_fields: Value::Null,
                values: d.values.clone(),
                before: None,
            };
            let Ok(effect) = effect(conn, Some(&next.rule), &usable, &draft, actor, defs, known).await else { break };
            fired.push(next.rule.id);
            events.extend(effect.events);
            d.jobs.extend(effect.jobs.into_iter().map(|j| for_actor(j, actor, t.created_at)));
            continue;
        }
        if !simple(&next.actions) {
            break;
        }
        fired.push(next.rule.id);
        let via = rule_via(&next.rule);
        for a in &next.actions {
            let (field, previous, value) = match a {
                Action::AddTags(_) | Action::RemoveTags(_) | Action::SetTags(_) => {
                    let previous = json!(tags);
                    match a {
                        Action::AddTags(add) => tags.extend(add.iter().cloned()),
                        Action::RemoveTags(remove) => tags.retain(|x| !remove.contains(x)),
                        Action::SetTags(set) => *tags = set.clone(),
                        _ => {}
                    }
                    tags.sort();
                    tags.dedup();
                    ("tags", previous, json!(tags))
                }
                Action::Priority(p) => {
                    let previous = json!(t.priority);
                    t.priority = p.map(|p| p.as_str().to_string());
                    ("priority", previous, json!(t.priority))
                }
                Action::Type(x) => {
                    let previous = json!(t.ticket_type);
                    t.ticket_type = x.map(|x| x.as_str().to_string());
                    ("type", previous, json!(t.ticket_type))
                }
                _ => continue,
            };
            if previous != value {
                events.push(json!({"type": "Change", "field_name": field, "value": value, "previous_value": previous, "via": via}));
            }
        }
    }
    Ok(fired)
}

/// A rule's job, due at `now` and asked for by `actor`.
fn for_actor(mut j: NewJob, actor: &Actor, now: i64) -> NewJob {
    j.run_at_ms = now * 1000;
    j.requested_by = Some(actor.id());
    j
}

/// Zendesk's `via` of what a rule did, carried on each event it caused.
pub fn rule_via(r: &Rule) -> Value {
    json!({"channel": "rule", "source": via_rule(r).source})
}

/// The most times triggers may fire on one write: each trigger fires at most once, so this is
/// only reached by a very long list.
const MAX_FIRINGS: usize = 100;

/// Runs the active triggers on a write that produced `saved`: in position order, restarting
/// after each one that fires, each at most once, until none matches. Returns the ticket as the
/// triggers left it, and the ids of those that fired.
#[allow(clippy::too_many_arguments)]
pub async fn run_triggers(
    conn: &mut AnyConnection,
    triggers: &[Compiled],
    w: Write<'_>,
    saved: Saved,
    already: Vec<i64>,
    defs: &[FieldDef],
    now: i64,
) -> Result<(Saved, Vec<i64>)> {
    run_triggers_on(conn, triggers, w, saved, already, None, defs, now).await
}

/// [`run_triggers`], with the write's [`Update`] when the caller made it already (a create
/// makes it once, for the triggers applied before the insert and for these).
#[allow(clippy::too_many_arguments)]
pub async fn run_triggers_on(
    conn: &mut AnyConnection,
    triggers: &[Compiled],
    w: Write<'_>,
    saved: Saved,
    already: Vec<i64>,
    update: Option<Update>,
    defs: &[FieldDef],
    now: i64,
) -> Result<(Saved, Vec<i64>)> {
    if triggers.is_empty() {
        return Ok((saved, already));
    }
    let update = match update {
        Some(u) => u,
        None => {
            let comment = saved.comment.as_ref().map(|c| (c.plain_body.clone(), c.public == 1));
            write_update(conn, triggers, &w, saved.ticket.requester_id, comment, &Known::default()).await?
        }
    };
    let comment_text = update.comment.as_ref().map(|(t, _)| t.clone());
    let mut fired: Vec<i64> = already;
    let mut current = saved;
    loop {
        let now_facts = facts(&current.ticket, &current.tags, &current.values, comment_text.as_deref());
        let next = triggers.iter().find(|t| !fired.contains(&t.rule.id) && t.test.holds(&now_facts, &update));
        let Some(t) = next else { break };
        fired.push(t.rule.id);
        if fired.len() > MAX_FIRINGS {
            tracing::warn!(ticket = current.ticket.id, "trigger cycle stopped after {MAX_FIRINGS} firings");
            break;
        }
        let Some(after) = fire_guarded(conn, t, &current, w.actor, defs, now).await? else { continue };
        // The comment a trigger adds is the write's comment for the triggers after it.
        current = Saved { comment: after.comment.clone().or(current.comment), ..after };
    }
    // A trigger that fired and matches again had its change undone by another: the pair would
    // loop forever without the once-per-write rule. Record it where admins look: the audit.
    let end = facts(&current.ticket, &current.tags, &current.values, comment_text.as_deref());
    let again: Vec<i64> = triggers
        .iter()
        .filter(|t| fired.contains(&t.rule.id) && t.test.holds(&end, &update) && would_change(&t.actions, &end))
        .map(|t| t.rule.id)
        .collect();
    if !again.is_empty() {
        tracing::warn!(ticket = current.ticket.id, rules = ?again, "triggers undo each other; each ran once");
        super::tickets::note_event(
            conn,
            current.ticket.id,
            w.actor.id(),
            json!({"type": "RuleLoop", "rule_ids": again,
                "body": "these triggers undo each other's changes; each ran once for this update"}),
            now,
        )
        .await?;
    }
    Ok((current, fired))
}

/// Whether actions would change a ticket's fields or tags as it is (comments, notifications
/// and calls are not changes of state: a trigger that sends one and still matches is no loop).
fn would_change(actions: &[Action], t: &TicketFacts) -> bool {
    actions.iter().any(|a| match a {
        Action::Status(s) => t.status != Some(*s),
        Action::CustomStatus(id) => t.custom_status_id != Some(*id),
        Action::Priority(p) => t.priority != *p,
        Action::Type(x) => t.ticket_type != *x,
        Action::Group(g) => t.group_id != *g,
        Action::Assignee(u) => t.assignee_id != *u,
        Action::Requester(u) => t.requester_id != *u,
        Action::Subject(x) => &t.subject != x,
        Action::AddTags(tags) => tags.iter().any(|x| !t.tags.contains(x)),
        Action::RemoveTags(tags) => tags.iter().any(|x| t.tags.contains(x)),
        Action::SetTags(tags) => {
            let (mut a, mut b) = (tags.clone(), t.tags.clone());
            a.sort();
            b.sort();
            a != b
        }
        _ => false,
    })
}

/// What one automation pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Tickets the automations matched, in all.
    pub matched: usize,
    /// Tickets acted on (one automation, one ticket: one count).
    pub acted: usize,
}

/// How many tickets an automation acts on per transaction.
const PASS_CHUNK: usize = 200;

/// One automation pass at the clock's now: each active automation, in position order, acts on
/// every ticket it matches that it has not acted on in the ticket's current matching period
/// (no cap). A ticket that stopped matching starts a new period. Two servers may run passes at
/// once: the firing row each action claims first makes them act once between them.
pub async fn run_automations(state: &crate::AppState) -> Result<PassReport> {
    let now = state.now();
    let mut report = PassReport::default();
    let mut conn = state.db.read().await?;
    let automations = store::list(&mut conn, RuleKind::Automation.as_str(), true).await?;
    if automations.is_empty() {
        return Ok(report);
    }
    let Some(admin) = users::first_admin(&mut conn).await? else { return Ok(report) };
    let Some(user) = users::get(&mut conn, admin).await? else { return Ok(report) };
    let actor = Actor { user, role: Role::Admin };
    let defs = frontdesk_store::custom_fields::defs(&mut conn, Record::Ticket).await?;
    let people = PeopleFields::load(&mut conn).await?;
    for a in &automations {
        let c = match compile(a, people.context(now, admin, &defs)) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(rule = a.id, error = %e, "automation skipped: it no longer compiles");
                continue;
            }
        };
        let Some(filter) = c.test.as_filter() else { continue };
        let matching: HashSet<i64> =
            frontdesk_store::search::ticket_ids(&mut conn, &filter).await?.into_iter().collect();
        let fired: HashSet<i64> = store::fired_tickets(&mut conn, a.id).await?.into_iter().collect();
        report.matched += matching.len();
        let gone: Vec<i64> = fired.difference(&matching).copied().collect();
        let mut todo: Vec<i64> = matching.difference(&fired).copied().collect();
        todo.sort_unstable();
        drop(conn);
        if !gone.is_empty() {
            super::in_tx(state, async |tx| store::forget_firings(tx, a.id, &gone).await.map_err(Into::into)).await?;
        }
        for chunk in todo.chunks(PASS_CHUNK) {
            report.acted += super::in_tx(state, async |tx| {
                let mut acted = 0;
                for id in chunk {
                    // Claimed first: another server's pass that got here first wins.
                    if !store::claim_firing(tx, a.id, *id, now).await? {
                        continue;
                    }
                    let Some(t) = frontdesk_store::tickets::get(tx, *id).await? else { continue };
                    // Re-checked under the write lock: the ticket may have changed since.
                    let current = super::tickets::saved_now(tx, t).await?;
                    if t_deleted(&current)
                        || !filter.matches(&facts(&current.ticket, &current.tags, &current.values, None))
                    {
                        continue;
                    }
                    fire(tx, &c, &c.actions, &current, &actor, &defs, now, true).await?;
                    acted += 1;
                }
                Ok(acted)
            })
            .await?;
        }
        conn = state.db.read().await?;
    }
    Ok(report)
}

fn t_deleted(s: &Saved) -> bool {
    s.ticket.deleted_at.is_some() || s.ticket.status == Status::Closed
}

/// Runs an automation pass every `every` until stopped.
pub fn spawn_scheduler(
    state: crate::State,
    every: std::time::Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => return,
            }
            match run_automations(&state).await {
                Ok(r) if r.acted > 0 => tracing::info!(matched = r.matched, acted = r.acted, "automations ran"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "automation pass failed"),
            }
        }
    })
}

/// Applies macro `macro_id` to a ticket through the ticket update, as `actor`; the comment input
/// it made comes back too. For a preview the caller rolls the transaction back (its jobs with
/// it); to apply it for real, `then_triggers` runs the triggers as any update does.
/// Applies macro `macro_id` to a ticket for real, in its own transaction, refused as a conflict
/// when the ticket changed since the page showed change `shown`.
pub async fn apply_macro(
    state: &crate::AppState,
    actor: &Actor,
    ticket_id: i64,
    macro_id: i64,
    shown: Option<i64>,
) -> Result<Saved> {
    let now = state.now();
    super::in_tx(state, async |tx| {
        super::tickets::load(tx, actor, ticket_id, true).await?;
        super::tickets::refuse_if_changed(tx, ticket_id, shown).await?;
        Ok(apply_macro_in(tx, actor, ticket_id, macro_id, now, true).await?.0)
    })
    .await
}

/// What macro `macro_id` would do to a ticket: the real update, run in a transaction that is
/// rolled back, so the preview is exactly what applying it would do and nothing changes.
/// `look` sees the macro and the result inside that transaction (to render it) before it is
/// undone.
pub async fn preview_macro<T>(
    state: &crate::AppState,
    actor: &Actor,
    ticket_id: i64,
    macro_id: i64,
    look: impl AsyncFnOnce(&mut AnyConnection, Rule, Saved, Option<CommentInput>) -> Result<T>,
) -> Result<T> {
    let mut tx = state.db.begin().await?;
    let m = store::get(&mut tx, RuleKind::Macro.as_str(), macro_id).await?.ok_or(ApiError::NotFound)?;
    let (saved, comment) = apply_macro_in(&mut tx, actor, ticket_id, macro_id, state.now(), false).await?;
    let out = look(&mut tx, m, saved, comment).await;
    drop(tx); // rolled back: a preview changes nothing
    out
}

/// Applies macro `macro_id` in the caller's transaction (then the triggers, when
/// `then_triggers`), handing back the result and the comment the macro wrote.
pub async fn apply_macro_in(
    conn: &mut AnyConnection,
    actor: &Actor,
    ticket_id: i64,
    macro_id: i64,
    now: i64,
    then_triggers: bool,
) -> Result<(Saved, Option<CommentInput>)> {
    let r = store::get(conn, RuleKind::Macro.as_str(), macro_id).await?.ok_or(ApiError::NotFound)?;
    let defs = frontdesk_store::custom_fields::defs(conn, Record::Ticket).await?;
    let people = PeopleFields::load(conn).await?;
    let c = compile(&r, people.context(now, actor.id(), &defs))?;
    let t = super::tickets::load(conn, actor, ticket_id, true).await?;
    let current = super::tickets::saved_now(conn, t).await?;
    act(conn, &r, &c.actions, &current, actor, &Via::web(), &defs, now, then_triggers).await
}

/// The triggers a new helpdesk starts with, in the first admin's language, editable like any
/// other: the acknowledgement a customer gets for a new request, and the mail an agent gets
/// when a ticket is assigned to them.
pub async fn create_default_triggers(
    conn: &mut AnyConnection,
    locale: frontdesk_domain::Locale,
    me: i64,
    now: i64,
) -> Result<()> {
    let tr = |k: &str| crate::i18n::tr(locale, k, &[]);
    let specs = [
        json!({
            "title": tr("trigger-ack-title"),
            "conditions": {"all": [
                {"field": "update_type", "operator": "is", "value": "Create"},
                {"field": "requester_role", "operator": "is", "value": "end-user"},
                {"field": "current_via_id", "operator": "is_not", "value": "campaign"},
            ]},
            "actions": [{"field": "notification_user",
                "value": ["requester_id", tr("trigger-ack-subject"), tr("trigger-ack-body")]}],
        }),
        json!({
            "title": tr("trigger-assigned-title"),
            "conditions": {"all": [
                {"field": "assignee_id", "operator": "changed"},
                {"field": "assignee_id", "operator": "is_not", "value": "current_user"},
            ]},
            "actions": [{"field": "notification_user",
                "value": ["assignee_id", tr("trigger-assigned-subject"), tr("trigger-assigned-body")]}],
        }),
    ];
    for (position, spec) in specs.into_iter().enumerate() {
        let mut r = Rule { position: position as i64, ..Default::default() };
        apply(conn, RuleKind::Trigger, &mut r, spec.as_object().expect("an object"), now, me).await?;
        frontdesk_store::rules::insert(conn, &r).await?;
    }
    Ok(())
}
