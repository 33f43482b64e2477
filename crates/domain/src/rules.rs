//! Business rules (`PRODUCT.md`, "Business rules"): triggers, automations and macros share one
//! condition tree — the one views and search compile — and one action vocabulary
//! (`zendesk-api.md` §12).
//!
//! A rule's conditions become a [`Test`]: ticket conditions are the search language's
//! [`Filter`] (so an automation's conditions compile to SQL like a view's), and a trigger may
//! also ask about the write it runs on — whether it creates the ticket, what changed and from
//! what, the comment it adds, its channel and who made it ([`Update`]). Actions parse into
//! [`Action`]s; what they refer to (groups, fields, webhooks) is checked by the server.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::conditions::{ConditionError, Conditions, RuleCondition, operator_for, text_of};
use crate::fields::FieldDef;
use crate::filter::{Context, Filter, Record, TicketFacts, resolve};
use crate::search::normalize_text;
use crate::{Invalid, Priority, Role, Status, TicketType, normalize_tags};

crate::wire_enum!(
    /// The three kinds of business rule.
    RuleKind, "rule kind" {
        Trigger => "trigger",
        Automation => "automation",
        Macro => "macro",
    }
);

/// What a trigger sees of the write it runs on, besides the ticket after it.
#[derive(Debug, Clone, Default)]
pub struct Update {
    /// The write creates the ticket.
    pub created: bool,
    /// The channel of the write (`web`, `api`, `email`, `rule`…).
    pub via: String,
    /// Who made the write.
    pub role: Option<Role>,
    /// The requester's role.
    pub requester_role: Option<Role>,
    /// The comment the write adds (as plain text) and whether it is public.
    pub comment: Option<(String, bool)>,
    /// The ticket before the write (none on create).
    pub before: Option<TicketFacts>,
    /// The requester's and the organization's custom field values (as `custom` facts), looked
    /// up when a trigger asks.
    pub requester: Option<TicketFacts>,
    pub organization: Option<TicketFacts>,
}

/// What rule conditions resolve against: the ticket context, and the custom fields of users and
/// organizations (for `requester.custom_fields.<key>` and `organization.custom_fields.<key>`).
#[derive(Debug, Clone, Copy)]
pub struct RuleContext<'a> {
    pub ticket: Context<'a>,
    pub user_fields: &'a [FieldDef],
    pub organization_fields: &'a [FieldDef],
}

/// A ticket field whose change a trigger can watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watched {
    Status,
    CustomStatus,
    Priority,
    Type,
    Group,
    Assignee,
    Requester,
    Organization,
    Tags,
    Due,
    Subject,
    Custom(i64),
}

impl Watched {
    fn of(field: &str) -> Option<Watched> {
        Some(match field {
            "status" => Watched::Status,
            "custom_status_id" => Watched::CustomStatus,
            "priority" => Watched::Priority,
            "type" | "ticket_type_id" => Watched::Type,
            "group_id" => Watched::Group,
            "assignee_id" => Watched::Assignee,
            "requester_id" => Watched::Requester,
            "organization_id" => Watched::Organization,
            "current_tags" | "tags" => Watched::Tags,
            "due_date" => Watched::Due,
            "subject" => Watched::Subject,
            f => Watched::Custom(f.strip_prefix("custom_fields_")?.parse().ok()?),
        })
    }

    /// The field's value in a ticket, comparable and empty when unset.
    fn value(self, t: &TicketFacts) -> String {
        match self {
            Watched::Status => t.status.map(|s| s.as_str().to_string()).unwrap_or_default(),
            Watched::CustomStatus => opt(t.custom_status_id),
            Watched::Priority => t.priority.map(|p| p.as_str().to_string()).unwrap_or_default(),
            Watched::Type => t.ticket_type.map(|p| p.as_str().to_string()).unwrap_or_default(),
            Watched::Group => opt(t.group_id),
            Watched::Assignee => opt(t.assignee_id),
            Watched::Requester => t.requester_id.to_string(),
            Watched::Organization => opt(t.organization_id),
            Watched::Tags => {
                let mut tags = t.tags.clone();
                tags.sort();
                tags.join(" ")
            }
            Watched::Due => opt(t.due_at),
            Watched::Subject => t.subject.clone(),
            Watched::Custom(id) => {
                t.custom.iter().find(|(f, _)| *f == id).map(|(_, v)| v.join("\n")).unwrap_or_default()
            }
        }
    }
}

fn opt(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// Who made the write, as a `role` condition names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleTest {
    /// An agent or an admin.
    Agent,
    Admin,
    EndUser,
}

impl RoleTest {
    fn holds(self, role: Option<Role>) -> bool {
        matches!(
            (self, role),
            (RoleTest::Agent, Some(Role::Agent | Role::Admin))
                | (RoleTest::Admin, Some(Role::Admin))
                | (RoleTest::EndUser, Some(Role::EndUser))
        )
    }
}

/// A rule's conditions, checked.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    All(Vec<Test>),
    Any(Vec<Test>),
    Not(Box<Test>),
    /// The ticket as it is now (after the write).
    Now(Filter),
    /// The ticket before the write; false on create.
    Before(Filter),
    /// The field differs from before the write (on create: it is set).
    Changed(Watched),
    /// The write creates the ticket.
    Created,
    /// The write came through this channel.
    Via(String),
    /// The write adds a public (`true`) or private (`false`) comment.
    CommentPublic(bool),
    /// The write adds a comment holding any of these words (normalised), or this phrase.
    CommentWords {
        words: Vec<String>,
        phrase: bool,
    },
    Role(RoleTest),
    RequesterRole(RoleTest),
    /// The requester's custom fields pass this filter (of custom field predicates).
    Requester(Filter),
    /// The ticket's organization's custom fields pass this filter.
    Organization(Filter),
}

impl Test {
    /// Whether the ticket `now`, after the write `u`, passes.
    pub fn holds(&self, now: &TicketFacts, u: &Update) -> bool {
        match self {
            Test::All(v) => v.iter().all(|t| t.holds(now, u)),
            Test::Any(v) => v.iter().any(|t| t.holds(now, u)),
            Test::Not(t) => !t.holds(now, u),
            Test::Now(f) => f.matches(now),
            Test::Before(f) => u.before.as_ref().is_some_and(|b| f.matches(b)),
            Test::Changed(w) => match &u.before {
                Some(b) => w.value(b) != w.value(now),
                None => !w.value(now).is_empty(),
            },
            Test::Created => u.created,
            Test::Via(v) => &u.via == v,
            Test::CommentPublic(p) => u.comment.as_ref().is_some_and(|(_, public)| public == p),
            Test::CommentWords { words, phrase } => u.comment.as_ref().is_some_and(|(text, _)| {
                let text = normalize_text(text);
                if *phrase {
                    words.first().is_some_and(|p| text.contains(p.as_str()))
                } else {
                    let said: Vec<&str> = text.split(|c: char| !c.is_alphanumeric()).collect();
                    words.iter().any(|w| said.contains(&w.as_str()))
                }
            }),
            Test::Role(r) => r.holds(u.role),
            Test::RequesterRole(r) => r.holds(u.requester_role),
            Test::Requester(f) => f.matches(u.requester.as_ref().unwrap_or(&TicketFacts::default())),
            Test::Organization(f) => f.matches(u.organization.as_ref().unwrap_or(&TicketFacts::default())),
        }
    }

    /// Whether the test asks about the requester or the organization (which costs lookups).
    pub fn uses_people(&self) -> bool {
        match self {
            Test::All(v) | Test::Any(v) => v.iter().any(Test::uses_people),
            Test::Not(t) => t.uses_people(),
            Test::RequesterRole(_) | Test::Requester(_) | Test::Organization(_) => true,
            _ => false,
        }
    }

    /// Whether the test asks about the requester's or the organization's custom fields (which
    /// costs more lookups than their role).
    pub fn uses_people_fields(&self) -> bool {
        match self {
            Test::All(v) | Test::Any(v) => v.iter().any(Test::uses_people_fields),
            Test::Not(t) => t.uses_people_fields(),
            Test::Requester(_) | Test::Organization(_) => true,
            _ => false,
        }
    }

    /// The conditions as a filter on the ticket alone (for SQL), if they ask nothing of a write.
    pub fn as_filter(&self) -> Option<Filter> {
        Some(match self {
            Test::All(v) => Filter::All(v.iter().map(Test::as_filter).collect::<Option<_>>()?),
            Test::Any(v) => Filter::Any(v.iter().map(Test::as_filter).collect::<Option<_>>()?),
            Test::Not(t) => Filter::Not(Box::new(t.as_filter()?)),
            Test::Now(f) => f.clone(),
            _ => return None,
        })
    }
}

/// Fields only a trigger may test: they describe the write, not the ticket.
const WRITE_FIELDS: [&str; 7] = [
    "update_type",
    "comment_is_public",
    "comment_includes_word",
    "current_via_id",
    "role",
    "requester_role",
    "reopens",
];
const CHANGE_OPERATORS: [&str; 6] =
    ["changed", "not_changed", "value", "value_previous", "not_value", "not_value_previous"];
/// Time-based fields (hours since or until), which every automation needs one of.
pub const TIME_FIELDS: [&str; 16] = [
    "created_at",
    "updated_at",
    "solved_at",
    "due_date",
    "until_due_date",
    "assigned_at",
    "requester_updated_at",
    "assignee_updated_at",
    "status_changed_at",
    "NEW",
    "OPEN",
    "PENDING",
    "HOLD",
    "SOLVED",
    "CLOSED",
    "within_previous_n_days",
];

/// Checks a rule's conditions for its kind and turns them into a [`Test`].
pub fn compile(c: &Conditions, kind: RuleKind, ctx: RuleContext<'_>) -> Result<Test, ConditionError> {
    let fail = |i: usize, e: Invalid| ConditionError::new(crate::conditions::place(c, i), e);
    let mut tests = Vec::new();
    for (i, cond) in c.all.iter().chain(&c.any).enumerate() {
        let is_write = WRITE_FIELDS.contains(&cond.field.as_str())
            || CHANGE_OPERATORS.contains(&cond.operator.as_str())
            || cond.field.starts_with("requester.")
            || cond.field.starts_with("organization.");
        if is_write && kind != RuleKind::Trigger {
            return Err(fail(
                i,
                if cond.field.contains('.') {
                    Invalid::new(
                        "error-trigger-only-people",
                        &[("field", &cond.field)],
                        format!("{}: only triggers can test the requester's or organization's fields", cond.field),
                    )
                } else {
                    Invalid::new(
                        "error-trigger-only-update",
                        &[("field", &cond.field), ("operator", &cond.operator)],
                        format!(
                            "{} {} describes a ticket update: only triggers can test it",
                            cond.field, cond.operator
                        ),
                    )
                },
            ));
        }
        tests.push(one(cond, ctx).map_err(|e| fail(i, e))?);
    }
    let any = tests.split_off(c.all.len());
    if !any.is_empty() {
        tests.push(Test::Any(any));
    }
    if kind == RuleKind::Automation && c.all.iter().chain(&c.any).all(|x| !TIME_FIELDS.contains(&x.field.as_str())) {
        return Err(ConditionError::new(
            "all".into(),
            Invalid::new(
                "error-automation-needs-time",
                &[],
                "an automation needs a time-based condition (hours since created, updated, a status, assigned, \
                 requester updated, or until the due date)",
            ),
        ));
    }
    Ok(Test::All(tests))
}

/// The ticket condition `c` with operator `op`, resolved as the search language resolves it.
fn ticket_filter(c: &RuleCondition, op: &str, ctx: Context<'_>) -> Result<Filter, Invalid> {
    let one = Conditions { all: vec![RuleCondition { operator: op.into(), ..c.clone() }], any: vec![] };
    let tree = one.tree().map_err(Invalid::from)?;
    Ok(resolve(&tree, Record::Ticket, ctx)?)
}

fn is_or_not(c: &RuleCondition, t: Test) -> Result<Test, Invalid> {
    match c.operator.as_str() {
        "is" => Ok(t),
        "is_not" => Ok(Test::Not(Box::new(t))),
        op => Err(operator_for(&c.field, op, "is, is_not")),
    }
}

/// A value that is not one of those a field takes.
fn not_one_of(field: &str, value: &str, expected: &str) -> Invalid {
    Invalid::new(
        "error-not-one-of",
        &[("value", &value), ("expected", &expected)],
        format!("{field} is {expected}, not {value:?}"),
    )
}

fn role_test(field: &str, v: &str) -> Result<RoleTest, Invalid> {
    match v {
        "agent" => Ok(RoleTest::Agent),
        "admin" => Ok(RoleTest::Admin),
        "end_user" | "end-user" => Ok(RoleTest::EndUser),
        other => Err(not_one_of(field, other, "agent, admin, end_user")),
    }
}

/// `requester.custom_fields.<key>` or `organization.custom_fields.<key>`: the custom field
/// resolved among the user's or organization's fields, as a search on them would.
fn people_field(c: &RuleCondition, ctx: RuleContext<'_>) -> Result<Option<Test>, Invalid> {
    let (record, fields, key) = if let Some(k) = c.field.strip_prefix("requester.custom_fields.") {
        (Record::User, ctx.user_fields, k)
    } else if let Some(k) = c.field.strip_prefix("organization.custom_fields.") {
        (Record::Organization, ctx.organization_fields, k)
    } else {
        return Ok(None);
    };
    let one = Conditions { all: vec![RuleCondition { field: key.to_string(), ..c.clone() }], any: vec![] };
    let tree = one.tree().map_err(Invalid::from)?;
    let people = Context { fields, ..ctx.ticket };
    let f = resolve(&tree, record, people)
        .map_err(|e| Invalid { message: format!("{}: {}", c.field, e.message), reason: e.reason })?;
    // Only custom field tests make sense here: `requester.custom_fields.name` is not one.
    fn custom_only(f: &Filter) -> bool {
        match f {
            Filter::All(v) | Filter::Any(v) => v.iter().all(custom_only),
            Filter::Not(x) => custom_only(x),
            Filter::Pred(p) => matches!(p, crate::filter::Predicate::Custom(..)),
        }
    }
    if !custom_only(&f) {
        return Err(Invalid::new(
            "error-not-a-people-field",
            &[("field", &key)],
            format!("{} is not a custom field of {}s", key, record.as_str()),
        ));
    }
    Ok(Some(if record == Record::User { Test::Requester(f) } else { Test::Organization(f) }))
}

fn one(c: &RuleCondition, rctx: RuleContext<'_>) -> Result<Test, Invalid> {
    if let Some(t) = people_field(c, rctx)? {
        return Ok(t);
    }
    let ctx = rctx.ticket;
    let raw = text_of(&c.value);
    let v = raw.trim();
    match c.field.as_str() {
        "update_type" => {
            let created = match v.to_ascii_lowercase().as_str() {
                "create" => true,
                "change" => false,
                other => return Err(not_one_of("update_type", other, "Create, Change")),
            };
            let t = if created { Test::Created } else { Test::Not(Box::new(Test::Created)) };
            return is_or_not(c, t);
        }
        "comment_is_public" => {
            let t = match v {
                "true" => Test::CommentPublic(true),
                "false" => Test::CommentPublic(false),
                "not_relevant" => {
                    Test::Not(Box::new(Test::Any(vec![Test::CommentPublic(true), Test::CommentPublic(false)])))
                }
                other => return Err(not_one_of("comment_is_public", other, "true, false, not_relevant")),
            };
            return is_or_not(c, t);
        }
        "comment_includes_word" => {
            let text = normalize_text(v);
            if text.is_empty() {
                return Err(Invalid::new(
                    "error-includes-needs-value",
                    &[("field", &"comment_includes_word")],
                    "comment_includes_word needs words",
                ));
            }
            let words = |phrase| {
                let words =
                    if phrase { vec![text.clone()] } else { text.split_whitespace().map(str::to_string).collect() };
                Test::CommentWords { words, phrase }
            };
            return Ok(match c.operator.as_str() {
                "includes" => words(false),
                "not_includes" => Test::Not(Box::new(words(false))),
                "is" => words(true),
                "is_not" => Test::Not(Box::new(words(true))),
                op => return Err(operator_for("comment_includes_word", op, "includes, not_includes, is, is_not")),
            });
        }
        "current_via_id" => return is_or_not(c, Test::Via(crate::conditions::via_name(v))),
        "role" => return is_or_not(c, Test::Role(role_test("role", v)?)),
        "requester_role" => return is_or_not(c, Test::RequesterRole(role_test("requester_role", v)?)),
        "reopens" => {
            // A solved ticket becoming unsolved.
            let solved = ticket_filter(
                &RuleCondition { field: "status".into(), operator: "is".into(), value: "solved".into() },
                "is",
                ctx,
            )?;
            return Ok(Test::All(vec![Test::Before(solved.clone()), Test::Not(Box::new(Test::Now(solved)))]));
        }
        _ => {}
    }
    if CHANGE_OPERATORS.contains(&c.operator.as_str()) {
        let w = Watched::of(&c.field).ok_or_else(|| {
            Invalid::new(
                "error-not-watchable",
                &[("field", &c.field)],
                format!("{} cannot be watched for changes", c.field),
            )
        })?;
        let changed = Test::Changed(w);
        let to = |c: &RuleCondition| ticket_filter(c, "is", ctx);
        return Ok(match c.operator.as_str() {
            "changed" => changed,
            "not_changed" => Test::Not(Box::new(changed)),
            "value" => Test::All(vec![changed, Test::Now(to(c)?)]),
            "not_value" => Test::Not(Box::new(Test::All(vec![changed, Test::Now(to(c)?)]))),
            "value_previous" => Test::All(vec![changed, Test::Before(to(c)?)]),
            _ => Test::Not(Box::new(Test::All(vec![changed, Test::Before(to(c)?)]))),
        });
    }
    Ok(Test::Now(ticket_filter(c, &c.operator, ctx)?))
}

/// An action as sent and stored: `{"field", "value"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleAction {
    pub field: String,
    #[serde(default)]
    pub value: Value,
}

/// How an assignment within a group picks its agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// The member after the one who was given the group's last ticket this way.
    RoundRobin,
    Random,
    /// The member with the fewest unsolved tickets.
    LeastLoaded,
}

impl Pick {
    pub fn as_str(self) -> &'static str {
        match self {
            Pick::RoundRobin => "round_robin",
            Pick::Random => "random",
            Pick::LeastLoaded => "least_loaded",
        }
    }
}

/// Whom a user notification goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    User(i64),
    Requester,
    Assignee,
    CurrentUser,
    AllAgents,
}

/// One checked action.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Status(Status),
    CustomStatus(i64),
    Priority(Option<Priority>),
    Type(Option<TicketType>),
    Group(Option<i64>),
    /// `None` clears the assignee.
    Assignee(Option<i64>),
    AssigneeCurrentUser,
    Requester(i64),
    Subject(String),
    SetTags(Vec<String>),
    AddTags(Vec<String>),
    RemoveTags(Vec<String>),
    Custom(i64, Value),
    /// A comment (Markdown or HTML) with placeholders such as `{{ticket.id}}`.
    Comment {
        body: String,
        html: bool,
    },
    CommentPublic(bool),
    NotifyUser {
        to: Recipient,
        subject: String,
        body: String,
    },
    NotifyGroup {
        group: i64,
        subject: String,
        body: String,
    },
    Webhook {
        id: i64,
        body: String,
    },
    AssignWithin {
        group: i64,
        pick: Pick,
    },
}

/// The fields actions may set, for error messages.
pub const ACTION_FIELDS: &str = "status, custom_status_id, priority, type, group_id, assignee_id, requester_id, \
    subject, set_tags, current_tags, remove_tags, custom_fields_<id>, comment_value, comment_value_html, \
    comment_mode_is_public, notification_user, notification_group, notification_webhook, assign_within_group";

fn id_of(field: &str, v: &str) -> Result<i64, Invalid> {
    v.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| Invalid::new("error-not-an-id", &[("value", &v)], format!("{field} needs an id, not {v:?}")))
}

/// An action whose value has the wrong shape, and the shape it takes.
fn shaped(field: &str, shape: &str) -> Invalid {
    Invalid::new("error-action-shape", &[("field", &field), ("shape", &shape)], format!("{field} is {shape}"))
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().map(text_of).collect(),
        other => vec![text_of(other)],
    }
}

/// Parses one action; the message names what is wrong (the caller adds where).
pub fn parse_action(a: &RuleAction) -> Result<Action, Invalid> {
    let raw = text_of(&a.value);
    let v = raw.trim();
    let f = a.field.as_str();
    let tags = || normalize_tags(v.split_whitespace());
    Ok(match f {
        "status" => Action::Status(Status::parse(v)?),
        "custom_status_id" => Action::CustomStatus(id_of(f, v)?),
        "priority" if v.is_empty() => Action::Priority(None),
        "priority" => Action::Priority(Some(Priority::parse(v)?)),
        "type" | "ticket_type_id" if v.is_empty() => Action::Type(None),
        "type" | "ticket_type_id" => Action::Type(Some(TicketType::parse(v)?)),
        "group_id" if v.is_empty() => Action::Group(None),
        "group_id" => Action::Group(Some(id_of(f, v)?)),
        "assignee_id" if v.is_empty() => Action::Assignee(None),
        "assignee_id" if v == "current_user" => Action::AssigneeCurrentUser,
        "assignee_id" => Action::Assignee(Some(id_of(f, v)?)),
        "requester_id" => Action::Requester(id_of(f, v)?),
        "subject" if v.is_empty() => return Err(Invalid::new("subject-blank", &[], "subject cannot be blank")),
        "subject" => Action::Subject(v.to_string()),
        "set_tags" => Action::SetTags(tags()?),
        "current_tags" => Action::AddTags(tags()?),
        "remove_tags" => Action::RemoveTags(tags()?),
        "comment_value" | "comment_value_html" => {
            // A string, or `["channel:all", "text"]`.
            let parts = strings(&a.value);
            let body = parts.last().cloned().unwrap_or_default();
            if body.trim().is_empty() {
                return Err(Invalid::new("error-needs-text", &[], format!("{f} needs the comment's text")));
            }
            Action::Comment { body, html: f == "comment_value_html" }
        }
        "comment_mode_is_public" => match v {
            "true" => Action::CommentPublic(true),
            "false" => Action::CommentPublic(false),
            other => return Err(not_one_of("comment_mode_is_public", other, "true, false")),
        },
        "notification_user" | "notification_group" => {
            let parts = strings(&a.value);
            let [who, subject, body] = parts.as_slice() else {
                return Err(shaped(f, "[recipient, subject, body]"));
            };
            if f == "notification_group" {
                Action::NotifyGroup { group: id_of(f, who)?, subject: subject.clone(), body: body.clone() }
            } else {
                let to = match who.as_str() {
                    "requester_id" => Recipient::Requester,
                    "assignee_id" => Recipient::Assignee,
                    "current_user" => Recipient::CurrentUser,
                    "all_agents" => Recipient::AllAgents,
                    other => Recipient::User(id_of(f, other)?),
                };
                Action::NotifyUser { to, subject: subject.clone(), body: body.clone() }
            }
        }
        "notification_webhook" => {
            let parts = strings(&a.value);
            let (id, body) = match parts.as_slice() {
                [id] => (id, String::new()),
                [id, body] => (id, body.clone()),
                _ => return Err(shaped(f, "[webhook id, body]")),
            };
            Action::Webhook { id: id_of(f, id)?, body }
        }
        "assign_within_group" => {
            let parts = strings(&a.value);
            let [group, how] = parts.as_slice() else {
                return Err(shaped(f, "[group id, round_robin | random | least_loaded]"));
            };
            let pick = match how.as_str() {
                "round_robin" => Pick::RoundRobin,
                "random" => Pick::Random,
                "least_loaded" => Pick::LeastLoaded,
                other => return Err(not_one_of(f, other, "round_robin, random, least_loaded")),
            };
            Action::AssignWithin { group: id_of(f, group)?, pick }
        }
        f if f.starts_with("custom_fields_") => {
            Action::Custom(id_of(f, &f["custom_fields_".len()..])?, a.value.clone())
        }
        other => {
            return Err(Invalid::new(
                "error-unknown-action",
                &[("field", &other)],
                format!("unknown action field {other:?}; known: {ACTION_FIELDS}"),
            ));
        }
    })
}

/// Parses a rule's actions; an error names the action (`actions[2]: …`).
pub fn parse_actions(list: &[RuleAction]) -> Result<Vec<Action>, (usize, Invalid)> {
    list.iter().enumerate().map(|(i, a)| parse_action(a).map_err(|m| (i, m))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cond(field: &str, operator: &str, value: Value) -> RuleCondition {
        RuleCondition { field: field.into(), operator: operator.into(), value }
    }

    const CTX: RuleContext<'static> = RuleContext {
        ticket: Context { now: 1_000_000, me: 9, fields: &[], org_fields: &[] },
        user_fields: &[],
        organization_fields: &[],
    };

    fn ticket(status: Status, tags: &[&str]) -> TicketFacts {
        TicketFacts { status: Some(status), tags: tags.iter().map(|t| t.to_string()).collect(), ..Default::default() }
    }

    #[test]
    fn triggers_see_the_write() {
        let c = Conditions {
            all: vec![
                cond("status", "value", json!("solved")),
                cond("update_type", "is", json!("Change")),
                cond("comment_includes_word", "includes", json!("obrigado thanks")),
            ],
            any: vec![],
        };
        let t = compile(&c, RuleKind::Trigger, CTX).unwrap();
        let before = ticket(Status::Open, &[]);
        let after = ticket(Status::Solved, &[]);
        let mut u = Update {
            before: Some(before.clone()),
            comment: Some(("Muito obrigado!".into(), true)),
            ..Default::default()
        };
        assert!(t.holds(&after, &u));
        assert!(!t.holds(&before, &u), "status did not change to solved");
        u.comment = Some(("nada".into(), true));
        assert!(!t.holds(&after, &u), "no word of the list");
        u.comment = None;
        assert!(!t.holds(&after, &u));

        let prev = compile(
            &Conditions { all: vec![cond("status", "value_previous", json!("open"))], any: vec![] },
            RuleKind::Trigger,
            CTX,
        )
        .unwrap();
        let u = Update { before: Some(before), ..Default::default() };
        assert!(prev.holds(&after, &u));
        let created = Update { created: true, ..Default::default() };
        assert!(!prev.holds(&after, &created), "nothing before a create");
        assert!(
            compile(
                &Conditions { all: vec![cond("current_tags", "changed", json!(""))], any: vec![] },
                RuleKind::Trigger,
                CTX
            )
            .unwrap()
            .holds(&ticket(Status::New, &["vip"]), &created),
            "a create sets its tags"
        );
    }

    #[test]
    fn automations_need_time_and_no_write_fields() {
        let c = Conditions { all: vec![cond("status", "is", json!("pending"))], any: vec![] };
        let e = compile(&c, RuleKind::Automation, CTX).unwrap_err();
        assert!(e.message.contains("time-based"), "{e}");
        let c = Conditions {
            all: vec![cond("PENDING", "greater_than", json!("48")), cond("update_type", "is", json!("Change"))],
            any: vec![],
        };
        assert_eq!(compile(&c, RuleKind::Automation, CTX).unwrap_err().place, "all[1]");
        let c = Conditions { all: vec![cond("PENDING", "greater_than", json!("48"))], any: vec![] };
        let f = compile(&c, RuleKind::Automation, CTX).unwrap().as_filter().unwrap();
        let mut t = ticket(Status::Pending, &[]);
        let now = CTX.ticket.now;
        t.status_changed_at = now - 49 * 3600;
        assert!(f.matches(&t));
        t.status_changed_at = now - 47 * 3600;
        assert!(!f.matches(&t));
        t.status_changed_at = now - 49 * 3600;
        t.status = Some(Status::Open);
        assert!(!f.matches(&t), "no longer pending");
    }

    #[test]
    fn actions_parse_or_name_the_problem() {
        let a = |f: &str, v: Value| parse_action(&RuleAction { field: f.into(), value: v });
        assert_eq!(a("status", json!("solved")), Ok(Action::Status(Status::Solved)));
        assert_eq!(a("current_tags", json!("vip  gold")), Ok(Action::AddTags(vec!["vip".into(), "gold".into()])));
        assert_eq!(a("assignee_id", json!("")), Ok(Action::Assignee(None)));
        assert_eq!(
            a("assign_within_group", json!(["7", "round_robin"])),
            Ok(Action::AssignWithin { group: 7, pick: Pick::RoundRobin })
        );
        assert_eq!(
            a("comment_value", json!(["channel:all", "Olá {{ticket.requester.first_name}}"])),
            Ok(Action::Comment { body: "Olá {{ticket.requester.first_name}}".into(), html: false })
        );
        assert!(a("status", json!("waiting")).unwrap_err().message.contains("waiting"));
        assert!(a("colour", json!("red")).unwrap_err().message.contains("unknown action field \"colour\""));
        assert!(a("group_id", json!("abc")).unwrap_err().message.contains("group_id needs an id"));
    }
}
