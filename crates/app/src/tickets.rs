//! Creating, updating, deleting and restoring tickets, with their comments and audits.

use serde_json::{Map, Value, json};

use frontdesk_domain::fields::{FieldDef, Stored};
use frontdesk_domain::filter::Record;
use frontdesk_domain::text::{RenderedBody, render_html, render_markdown};
use frontdesk_domain::{EmailAddress, Locale, Priority, Role, Status, TicketType};
use frontdesk_store::AnyConnection;
use frontdesk_store::audits::{self, Audit, Comment};
use frontdesk_store::tags::{self, Tagged};
use frontdesk_store::tickets::{self, Ticket};
use frontdesk_store::users::User;
use frontdesk_store::{groups, organizations, users};

use super::fields::{self, RawValues, Values};
use super::input::{Obj, Patch, TagMode};
use super::{Via, in_tx};
use crate::AppState;
use crate::auth::Actor;
use crate::clock::{iso, parse_time};
use crate::error::{ApiError, Result};

pub const MAX_SUBJECT: usize = 1_000;
pub const MAX_COMMENT: usize = 65_535;

#[derive(Debug, Clone, Default)]
pub struct CommentInput {
    pub body: Option<String>,
    pub html_body: Option<String>,
    pub public: Option<bool>,
    pub author_id: Option<i64>,
    /// Upload tokens whose files the comment takes.
    pub uploads: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct RequesterInput {
    pub name: Option<String>,
    pub email: EmailAddress,
    pub locale: Option<Locale>,
}

/// A ticket create or update, parsed and type-checked; existence checks come later, inside
/// the transaction.
#[derive(Debug, Clone, Default)]
pub struct TicketInput {
    pub subject: Patch<String>,
    pub comment: Option<CommentInput>,
    pub description: Option<String>,
    pub requester_id: Patch<i64>,
    pub requester: Option<RequesterInput>,
    pub submitter_id: Patch<i64>,
    pub assignee_id: Patch<i64>,
    pub group_id: Patch<i64>,
    pub organization_id: Patch<i64>,
    pub priority: Patch<Priority>,
    pub ticket_type: Patch<TicketType>,
    pub status: Patch<Status>,
    pub custom_status_id: Patch<i64>,
    pub tags: Option<Vec<String>>,
    pub additional_tags: Option<Vec<String>>,
    pub remove_tags: Option<Vec<String>>,
    pub external_id: Patch<String>,
    pub due_at: Patch<i64>,
    pub problem_id: Patch<i64>,
    pub recipient: Patch<String>,
    pub brand_id: Patch<i64>,
    pub collaborator_ids: Option<Vec<i64>>,
    pub email_cc_ids: Option<Vec<i64>>,
    pub follower_ids: Option<Vec<i64>>,
    /// Custom field values as sent (`custom_fields` or `fields`), checked in the transaction.
    pub custom_fields: Option<RawValues>,
    pub safe_update: bool,
    pub updated_stamp: Option<String>,
    /// The ticket's change number when the page that sends this update showed it: the update
    /// is refused as a conflict when the ticket has changed since ([`refuse_if_changed`]).
    pub shown_change: Option<i64>,
    /// The inline requester, already found by [`pre_resolve`] outside the write transaction.
    pub resolved_requester: Option<User>,
    /// The first comment, already rendered by [`pre_resolve`].
    pub rendered: Option<RenderedBody>,
    /// Events a rule adds to the update's audit (notifications, assignment reasons…).
    pub extra_events: Vec<Value>,
}

fn parse_comment(o: &Obj) -> Result<Option<CommentInput>> {
    let Some(c) = o.object("comment")? else {
        return Ok(None);
    };
    let body = c.str("body", MAX_COMMENT)?.set();
    let html_body = c.str("html_body", MAX_COMMENT)?.set();
    if body.is_none() && html_body.is_none() {
        return Err(ApiError::blank("comment", "Comment"));
    }
    let uploads = c.str_list("uploads")?.unwrap_or_default();
    if uploads.len() > super::attachments::MAX_FILES {
        return Err(ApiError::invalid(
            "comment.uploads",
            format!("comment.uploads: at most {} upload tokens", super::attachments::MAX_FILES),
        )
        .msg("error-too-many-files", &[("max", &super::attachments::MAX_FILES)]));
    }
    Ok(Some(CommentInput { body, html_body, public: c.bool("public")?, author_id: c.id("author_id")?.set(), uploads }))
}

fn parse_enum<T>(
    o: &Obj,
    key: &str,
    parse: fn(&str) -> std::result::Result<T, frontdesk_domain::Invalid>,
) -> Result<Patch<T>> {
    o.str(key, 64)?.try_map(|s| parse(&s).map_err(|e| ApiError::refused(key, key, e)))
}

impl TicketInput {
    pub fn parse(m: &Map<String, Value>) -> Result<TicketInput> {
        let o = Obj(m);
        let requester = match o.object("requester")? {
            None => None,
            Some(r) => {
                let email =
                    r.str("email", 254)?.set().ok_or_else(|| ApiError::blank("requester", "Requester email"))?;
                let email = EmailAddress::parse(&email).map_err(|e| ApiError::refused("requester", "Requester", e))?;
                let locale = match (r.str("locale", 16)?.set(), r.raw("locale_id").and_then(Value::as_i64)) {
                    (Some(l), _) => Some(Locale::parse(&l).map_err(|e| ApiError::refused("requester", "", e))?),
                    (None, Some(id)) => Some(Locale::from_id(id).map_err(|e| ApiError::refused("requester", "", e))?),
                    _ => None,
                };
                Some(RequesterInput { name: r.str("name", 255)?.set(), email, locale })
            }
        };
        let due_at = o.str("due_at", 64)?.try_map(|s| {
            parse_time(&s).ok_or_else(|| {
                ApiError::invalid("due_at", format!("due_at: {s:?} is not a date or time"))
                    .msg("error-not-a-date", &[("value", &s)])
            })
        })?;
        let status_raw = o.str("status", 64)?;
        if let Patch::Set(s) = &status_raw
            && s.eq_ignore_ascii_case("deleted")
        {
            return Err(
                ApiError::invalid("status", "status: use DELETE to delete a ticket").msg("error-delete-status", &[])
            );
        }
        Ok(TicketInput {
            subject: o.str("subject", MAX_SUBJECT)?,
            comment: parse_comment(&o)?,
            description: o.str("description", MAX_COMMENT)?.set(),
            requester_id: o.id("requester_id")?,
            requester,
            submitter_id: o.id("submitter_id")?,
            assignee_id: o.id("assignee_id")?,
            group_id: o.id("group_id")?,
            organization_id: o.id("organization_id")?,
            priority: parse_enum(&o, "priority", Priority::parse)?,
            ticket_type: parse_enum(&o, "type", TicketType::parse)?,
            status: status_raw.try_map(|s| Status::parse(&s).map_err(|e| ApiError::refused("status", "status", e)))?,
            custom_status_id: o.id("custom_status_id")?,
            tags: o.tags("tags")?,
            additional_tags: o.tags("additional_tags")?,
            remove_tags: o.tags("remove_tags")?,
            external_id: o.str("external_id", 255)?,
            due_at,
            problem_id: o.id("problem_id")?,
            recipient: o.str("recipient", 254)?,
            brand_id: o.id("brand_id")?,
            collaborator_ids: o.id_list("collaborator_ids")?,
            email_cc_ids: o.id_list("email_cc_ids")?,
            follower_ids: o.id_list("follower_ids")?,
            custom_fields: fields::parse_ticket_values(&o)?,
            safe_update: o.bool("safe_update")?.unwrap_or(false),
            updated_stamp: o.str("updated_stamp", 64)?.set(),
            shown_change: None,
            resolved_requester: None,
            rendered: None,
            extra_events: Vec::new(),
        })
    }
}

/// The result of a create or update: the saved ticket and the audit recording it (none when
/// the update changed nothing).
#[derive(Clone)]
pub struct Saved {
    pub ticket: Ticket,
    pub audit: Option<Audit>,
    /// The ticket's tags and collaborators after the change, and the comment it added, so the
    /// response is rendered without reading them back.
    pub tags: Vec<String>,
    pub collaborators: Vec<(i64, String)>,
    pub comment: Option<Comment>,
    /// The ticket's custom field values as JSON (`[{"id", "value"}]`), and as stored.
    pub custom_fields: Value,
    pub values: Values,
    /// The ticket before an update, as triggers see it (none after a create).
    pub before: Option<frontdesk_domain::filter::TicketFacts>,
}

async fn existing_user(conn: &mut AnyConnection, id: i64, field: &str) -> Result<User> {
    users::get(conn, id).await?.ok_or_else(|| {
        ApiError::invalid(field, format!("{field}: user {id} does not exist")).msg("error-no-such-user", &[("id", &id)])
    })
}

/// The agent (or admin) `id`, or the refusal naming `field`.
pub(crate) async fn existing_staff(conn: &mut AnyConnection, id: i64, field: &str) -> Result<User> {
    let u = existing_user(conn, id, field).await?;
    if !u.role.is_staff() {
        return Err(ApiError::invalid(field, format!("{field}: user {id} is not an agent"))
            .msg("error-not-an-agent", &[("id", &id)]));
    }
    Ok(u)
}

/// The group `id` (not deleted), or the refusal naming `group_id`.
pub(crate) async fn existing_group(conn: &mut AnyConnection, id: i64) -> Result<()> {
    groups::get(conn, id).await?.filter(|g| g.deleted == 0).ok_or_else(|| {
        ApiError::invalid("group_id", format!("group_id: group {id} does not exist"))
            .msg("error-no-such-group", &[("id", &id)])
    })?;
    Ok(())
}

/// Finds the end user with this email, or creates one. Race-free across servers: another
/// server may create the same person at the same moment, so the create runs under a savepoint
/// and, when the address turns out to be taken meanwhile, the person it now belongs to is used.
pub async fn find_or_create_requester(conn: &mut AnyConnection, r: &RequesterInput, now: i64) -> Result<User> {
    if let Some(u) = users::find_by_identity(conn, "email", r.email.as_str()).await? {
        return Ok(u);
    }
    let made = super::savepoint(conn, async |sp| create_requester(sp, r, now).await).await?;
    match made {
        Ok(u) => Ok(u),
        Err(e) if e.is_duplicate() => users::find_by_identity(conn, "email", r.email.as_str()).await?.ok_or(e),
        Err(e) => Err(e),
    }
}

async fn create_requester(conn: &mut AnyConnection, r: &RequesterInput, now: i64) -> Result<User> {
    let name = r.name.clone().unwrap_or_else(|| r.email.as_str().split('@').next().unwrap_or("").to_string());
    let input = super::users::UserInput {
        name: Patch::Set(name),
        email: Patch::Set(r.email.clone()),
        locale: r.locale.map_or(Patch::Absent, Patch::Set),
        ..Default::default()
    };
    super::users::create_in(conn, &input, Role::EndUser, now).await
}

pub(crate) fn render(c: &CommentInput) -> RenderedBody {
    match (&c.html_body, &c.body) {
        (Some(html), _) => render_html(html),
        (None, Some(md)) => render_markdown(md),
        (None, None) => render_markdown(""),
    }
}

/// The fields an audit records, in the order Zendesk lists them.
fn snapshot(t: &Ticket, tags: &[String]) -> Vec<(&'static str, Value)> {
    vec![
        ("subject", json!(t.subject)),
        ("requester_id", json!(t.requester_id.to_string())),
        ("assignee_id", json!(t.assignee_id.map(|v| v.to_string()))),
        ("group_id", json!(t.group_id.map(|v| v.to_string()))),
        ("organization_id", json!(t.organization_id.map(|v| v.to_string()))),
        ("status", json!(t.status)),
        ("custom_status_id", json!(t.custom_status_id.map(|v| v.to_string()))),
        ("priority", json!(t.priority)),
        ("type", json!(t.ticket_type)),
        ("due_at", json!(t.due_at.map(iso))),
        ("external_id", json!(t.external_id)),
        ("brand_id", json!(t.brand_id.map(|v| v.to_string()))),
        ("tags", json!(tags)),
    ]
}

/// Audit events for custom field values (`field_name` is the field's id, as Zendesk records it).
fn field_events(defs: &[FieldDef], before: Option<&Values>, after: &Values) -> Vec<Value> {
    let value =
        |v: Option<&Values>, d: &FieldDef| d.to_json(v.and_then(|v| v.get(&d.id)).map_or(&[][..], Vec::as_slice));
    defs.iter()
        .filter(|d| before.and_then(|b| b.get(&d.id)) != after.get(&d.id))
        .map(|d| match before {
            None => json!({"type": "Create", "field_name": d.id.to_string(), "value": value(Some(after), d)}),
            Some(b) => json!({
                "type": "Change",
                "field_name": d.id.to_string(),
                "value": value(Some(after), d),
                "previous_value": value(Some(b), d),
            }),
        })
        .collect()
}

fn change_events(before: Option<(&Ticket, &[String])>, after: (&Ticket, &[String])) -> Vec<Value> {
    let new = snapshot(after.0, after.1);
    match before {
        None => new
            .into_iter()
            .filter(|(_, v)| !v.is_null() && v.as_array().is_none_or(|a| !a.is_empty()))
            .map(|(f, v)| json!({"type": "Create", "field_name": f, "value": v}))
            .collect(),
        Some(b) => snapshot(b.0, b.1)
            .into_iter()
            .zip(new)
            .filter(|((_, old), (_, new))| old != new)
            .map(|((f, old), (_, new))| json!({"type": "Change", "field_name": f, "value": new, "previous_value": old}))
            .collect(),
    }
}

/// The default custom status of each category. They are seeded with these ids
/// (`0003_custom_statuses.sql`) and the API never changes which status is a default.
pub fn default_custom_status(status: &str) -> i64 {
    match status {
        "new" => 1,
        "open" => 2,
        "pending" => 3,
        "hold" => 4,
        _ => 5,
    }
}

/// Keeps `status` and `custom_status_id` in step: a custom status sets its category; a status
/// alone picks its category's default custom status.
async fn settle_status(
    conn: &mut AnyConnection,
    t: &mut Ticket,
    custom: &Patch<i64>,
    status_given: bool,
    before: Option<&Ticket>,
) -> Result<()> {
    if let Patch::Set(id) = custom {
        let cs = frontdesk_store::custom_statuses::get(conn, *id).await?.ok_or_else(|| {
            ApiError::invalid("custom_status_id", format!("custom_status_id: custom status {id} does not exist"))
                .msg("error-no-such-status", &[("id", &id)])
        })?;
        if cs.active == 0 && before.and_then(|b| b.custom_status_id) != Some(*id) {
            return Err(ApiError::invalid(
                "custom_status_id",
                format!("custom_status_id: custom status {id} ({}) is not active", cs.agent_label),
            )
            .msg("error-status-inactive", &[("name", &cs.agent_label)]));
        }
        if status_given && t.status.as_str() != cs.status_category {
            return Err(ApiError::invalid(
                "custom_status_id",
                format!(
                    "custom_status_id: custom status {id} is in category {}, but status {} was given",
                    cs.status_category, t.status
                ),
            )
            .msg("error-status-category", &[]));
        }
        // A custom status's category is one of the statuses (the store wrote it so).
        t.status = Status::parse(&cs.status_category)?;
        t.custom_status_id = Some(*id);
    } else {
        let changed = before.is_none_or(|b| b.status != t.status) || t.custom_status_id.is_none();
        if changed && t.status != Status::Closed {
            t.custom_status_id = Some(default_custom_status(t.status.as_str()));
        }
    }
    Ok(())
}

/// Checks assignee, group and status together, as they constrain one another.
async fn settle_assignment(
    conn: &mut AnyConnection,
    actor: &Actor,
    t: &mut Ticket,
    assignee_changed: bool,
) -> Result<()> {
    if let Some(a) = t.assignee_id {
        existing_staff(conn, a, "assignee_id").await?;
        match t.group_id {
            Some(g) => {
                if assignee_changed && !groups::is_member(conn, a, g).await? {
                    return Err(ApiError::invalid(
                        "assignee_id",
                        format!("assignee_id: user {a} is not a member of group {g}"),
                    )
                    .msg("error-assignee-not-in-group", &[]));
                }
            }
            None => {
                let page = groups::list_memberships(
                    conn,
                    Some(a),
                    None,
                    frontdesk_store::PageRequest::After { id: None, size: 50 },
                )
                .await?;
                t.group_id = page.items.iter().find(|m| m.is_default != 0).or(page.items.first()).map(|m| m.group_id);
            }
        }
    }
    let status = t.status;
    if status >= Status::Solved && t.assignee_id.is_none() {
        if actor.is_staff() {
            t.assignee_id = Some(actor.id());
            t.assigned_at = Some(t.updated_at);
        } else {
            return Err(ApiError::invalid("assignee_id", "Assignee: is required when solving a ticket")
                .msg("error-solve-needs-assignee", &[]));
        }
    }
    Ok(())
}

fn comment_row(rendered: RenderedBody, ticket_id: i64, author_id: i64, public: bool, via: &Via, now: i64) -> Comment {
    Comment {
        id: 0,
        ticket_id,
        audit_id: 0,
        author_id,
        body: rendered.body,
        html_body: rendered.html_body,
        plain_body: rendered.plain_body,
        public: i64::from(public),
        via_channel: via.channel.to_string(),
        metadata: None,
        created_at: now,
    }
}

async fn comment_author(conn: &mut AnyConnection, actor: &Actor, c: &CommentInput) -> Result<i64> {
    match c.author_id {
        Some(id) if actor.is_staff() && id != actor.id() => Ok(existing_user(conn, id, "author_id").await?.id),
        _ => Ok(actor.id()),
    }
}

async fn write_audit(
    conn: &mut AnyConnection,
    ticket_id: i64,
    author_id: i64,
    via: &Via,
    mut events: Vec<Value>,
    comment: Option<Comment>,
    now: i64,
) -> Result<(Audit, Option<Comment>)> {
    // A rule's own audit: each of its events carries the rule in its `via`, as Zendesk's do.
    if via.channel == "rule" {
        let rule = json!({"channel": "rule", "source": via.source});
        for e in events.iter_mut().filter(|e| e.get("via").is_none()) {
            e["via"] = rule.clone();
        }
    }
    let mut audit = Audit {
        id: 0,
        ticket_id,
        author_id,
        via_channel: via.channel.to_string(),
        via_source: Some(via.source_json()),
        metadata: None,
        events: Value::Array(events).to_string(),
        format: Default::default(),
        created_at: now,
    };
    audit.id = audits::insert_audit(conn, &audit).await?;
    let comment = match comment {
        Some(mut c) => {
            c.audit_id = audit.id;
            c.id = audits::insert_comment(conn, &c).await?;
            Some(c)
        }
        None => None,
    };
    Ok((audit, comment))
}

/// The collaborator lists an input gives (CCs, followers…), each user checked to exist. A
/// kind the input leaves out is not listed; an empty list clears that kind.
async fn collaborator_lists(conn: &mut AnyConnection, input: &TicketInput) -> Result<Vec<(&'static str, Vec<i64>)>> {
    let mut out = Vec::new();
    for (kind, list) in [
        ("collaborator", &input.collaborator_ids),
        ("email_cc", &input.email_cc_ids),
        ("follower", &input.follower_ids),
    ] {
        if let Some(ids) = list {
            for u in ids {
                existing_user(conn, *u, &format!("{kind}_ids")).await?;
            }
            out.push((kind, ids.clone()));
        }
    }
    Ok(out)
}

/// A ticket that passed every check and is ready to insert (its id is taken at insert time).
pub struct Prepared {
    actor: Actor,
    /// The requester, as read or made while preparing (for the triggers, without a read).
    requester: Option<User>,
    values: Values,
    ticket: Ticket,
    tags: Vec<String>,
    collaborators: Vec<(i64, String)>,
    events: Vec<Value>,
    comment: Comment,
    audit_author: i64,
    via: Via,
    changes: Vec<(i64, Vec<Stored>)>,
    fields_json: Value,
    fields_text: String,
    uploads: Vec<String>,
}

/// Refuses an end user's write that names anything only staff may set on a ticket: on a create
/// a customer gives a subject, a description and the custom fields the portal lets them edit;
/// on an update only a comment. Staff tags, priority, CCs and the rest are refused, never
/// quietly taken.
fn refuse_staff_fields(actor: &Actor, input: &TicketInput, creating: bool) -> Result<()> {
    if actor.is_staff() {
        return Ok(());
    }
    let given = [
        ("assignee_id", !input.assignee_id.is_absent()),
        ("group_id", !input.group_id.is_absent()),
        ("status", !input.status.is_absent()),
        ("custom_status_id", !input.custom_status_id.is_absent()),
        ("requester_id", !input.requester_id.is_absent()),
        ("requester", input.requester.is_some()),
        ("submitter_id", !input.submitter_id.is_absent()),
        ("organization_id", !input.organization_id.is_absent()),
        ("priority", !input.priority.is_absent()),
        ("type", !input.ticket_type.is_absent()),
        ("tags", input.tags.is_some()),
        ("additional_tags", input.additional_tags.is_some()),
        ("remove_tags", input.remove_tags.is_some()),
        ("external_id", !input.external_id.is_absent()),
        ("due_at", !input.due_at.is_absent()),
        ("problem_id", !input.problem_id.is_absent()),
        ("brand_id", !input.brand_id.is_absent()),
        ("recipient", !input.recipient.is_absent()),
        ("collaborator_ids", input.collaborator_ids.is_some()),
        ("email_cc_ids", input.email_cc_ids.is_some()),
        ("follower_ids", input.follower_ids.is_some()),
        ("subject", !creating && !input.subject.is_absent()),
        ("custom_fields", !creating && input.custom_fields.is_some()),
    ];
    let what = if creating { "a subject, a description and the fields shown to them" } else { "comments" };
    super::input::refuse_given(&given, &format!("End users may only give {what}"))
}

/// Refuses custom fields a customer may not fill in (those not editable in the portal).
async fn refuse_hidden_fields(conn: &mut AnyConnection, actor: &Actor, changes: &[(i64, Vec<Stored>)]) -> Result<()> {
    if actor.is_staff() || changes.is_empty() {
        return Ok(());
    }
    let editable: Vec<i64> = frontdesk_store::custom_fields::list(conn, Record::Ticket)
        .await?
        .into_iter()
        .filter(|f| f.active == 1 && f.visible_in_portal == 1 && f.editable_in_portal == 1)
        .map(|f| f.id)
        .collect();
    match changes.iter().find(|(id, _)| !editable.contains(id)) {
        Some((id, _)) => Err(ApiError::Forbidden(format!("custom_fields: field {id} cannot be set by end users"))),
        None => Ok(()),
    }
}

/// Checks a new ticket and resolves everything it refers to. It reads only, except for
/// creating a new requester, which comes last: an input that fails here writes nothing.
#[allow(clippy::too_many_lines, reason = "longer than a screen: on the list to split (ARCHITECTURE.md)")]
pub async fn prepare(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: TicketInput,
    via: &Via,
    now: i64,
    defs: &[FieldDef],
) -> Result<Prepared> {
    let comment = match (&input.comment, &input.description) {
        (Some(c), _) => c.clone(),
        (None, Some(d)) => CommentInput { body: Some(d.clone()), ..Default::default() },
        (None, None) => {
            return Err(ApiError::invalid_code("base", "BlankValue", "Description: cannot be blank")
                .msg("description-blank", &[]));
        }
    };
    super::attachments::check_uploads(conn, &comment.uploads, now).await?;
    refuse_staff_fields(actor, &input, true)?;
    let staff = actor.is_staff();
    // The requester: existing, or (for an inline requester with a new email) created last.
    let mut new_requester = None;
    let requester = if !staff {
        Some(actor.user.clone())
    } else if let Patch::Set(id) = input.requester_id {
        Some(existing_user(conn, id, "requester_id").await?)
    } else if let Some(u) = input.resolved_requester.clone() {
        Some(u)
    } else if let Some(r) = &input.requester {
        let found = users::find_by_identity(conn, "email", r.email.as_str()).await?;
        if found.is_none() {
            new_requester = Some(r.clone());
        }
        found
    } else {
        Some(actor.user.clone())
    };
    let submitter_id = match input.submitter_id {
        Patch::Set(id) if staff => existing_user(conn, id, "submitter_id").await?.id,
        _ => actor.id(),
    };
    let organization_id = match input.organization_id.clone() {
        Patch::Set(id) if staff => {
            organizations::get(conn, id).await?.ok_or_else(|| {
                ApiError::invalid("organization_id", format!("organization_id: organization {id} does not exist"))
                    .msg("error-no-such-organization", &[("id", &id)])
            })?;
            Some(id)
        }
        Patch::Null if staff => None,
        _ => requester.as_ref().and_then(|r| r.organization_id),
    };
    let group_id = match input.group_id.clone() {
        Patch::Set(id) if staff => {
            existing_group(conn, id).await?;
            Some(id)
        }
        _ => None,
    };
    let collaborators: Vec<(i64, String)> = collaborator_lists(conn, &input)
        .await?
        .into_iter()
        .flat_map(|(kind, ids)| ids.into_iter().map(move |u| (u, kind.to_string())))
        .collect();
    let author = comment_author(conn, actor, &comment).await?;
    let assignee_id = if staff { input.assignee_id.clone().set() } else { None };
    let status = match (input.status.clone().set(), assignee_id) {
        (Some(s), _) if staff => s,
        (_, Some(_)) => Status::Open,
        _ => Status::New,
    };
    let rendered = input.rendered.clone().unwrap_or_else(|| render(&comment));
    if rendered.plain_body.trim().is_empty() {
        return Err(
            ApiError::invalid_code("base", "BlankValue", "Description: cannot be blank").msg("description-blank", &[])
        );
    }
    let public = if staff { comment.public.unwrap_or(true) } else { true };
    let mut t = Ticket {
        id: 0,
        external_id: input.external_id.clone().set(),
        via_channel: via.channel.to_string(),
        via_source: Some(via.source_json()),
        ticket_type: if staff { input.ticket_type.clone().set().map(|x| x.as_str().to_string()) } else { None },
        subject: input.subject.clone().set(),
        description: rendered.plain_body.clone(),
        priority: input.priority.clone().set().map(|x| x.as_str().to_string()),
        status,
        custom_status_id: None,
        recipient: input.recipient.clone().set(),
        requester_id: requester.as_ref().map_or(0, |r| r.id),
        submitter_id,
        assignee_id,
        organization_id,
        group_id,
        original_group_id: group_id,
        brand_id: input.brand_id.clone().set(),
        problem_id: input.problem_id.clone().set(),
        is_public: i64::from(public),
        due_at: input.due_at.clone().set(),
        created_at: now,
        updated_at: now,
        generated_at: now,
        status_changed_at: now,
        assigned_at: assignee_id.map(|_| now),
        solved_at: (status >= Status::Solved).then_some(now),
        requester_updated_at: Some(now),
        assignee_updated_at: None,
        deleted_at: None,
        deleted_by: None,
        change_seq: 0,
    };
    let custom = if staff { input.custom_status_id.clone() } else { Patch::Absent };
    settle_status(conn, &mut t, &custom, staff && !input.status.is_absent(), None).await?;
    settle_assignment(conn, actor, &mut t, true).await?;
    if t.original_group_id.is_none() {
        t.original_group_id = t.group_id;
    }
    if t.status == Status::Solved && t.solved_at.is_none() {
        t.solved_at = Some(now);
    }
    let changes = match &input.custom_fields {
        Some(raw) => fields::check(Record::Ticket, defs, raw)?,
        None => Vec::new(),
    };
    refuse_hidden_fields(conn, actor, &changes).await?;
    let values = fields::merged(&Values::new(), &changes);
    if t.status == Status::Solved {
        fields::required_to_solve(defs, &values)?;
    }
    // Every check has passed: only now may a new requester be written.
    let mut requester = requester;
    if let Some(r) = new_requester {
        let user = find_or_create_requester(conn, &r, now).await?;
        requester = Some(user.clone());
        t.requester_id = user.id;
        if input.organization_id.is_absent() {
            t.organization_id = user.organization_id;
        }
    }
    let mut tags = input.tags.clone().unwrap_or_default();
    tags.extend(fields::option_tags(defs, &values));
    tags.sort();
    tags.dedup();
    let mut events = change_events(None, (&t, &tags));
    events.extend(field_events(defs, None, &values));
    events.extend(input.extra_events.iter().cloned());
    events.insert(0, json!({"type": "Comment"}));
    let comment = comment_row(rendered, 0, author, public, via, now);
    let comment_uploads = input.comment.map(|c| c.uploads).unwrap_or_default();
    Ok(Prepared {
        actor: actor.clone(),
        requester,
        ticket: t,
        tags,
        collaborators,
        events,
        comment,
        audit_author: actor.id(),
        via: via.clone(),
        fields_json: fields::ticket_json(defs, Some(&values)),
        fields_text: fields::search_text(defs, &values),
        changes,
        values,
        uploads: comment_uploads,
    })
}

/// Work a create can do before its write transaction: render the first comment, and look up
/// an inline requester on a read connection (users are never removed, so the answer stays
/// good), so the single writer does not wait on either.
pub async fn pre_resolve(conn: &mut AnyConnection, actor: &Actor, input: &mut TicketInput) -> Result<()> {
    // Rendering Markdown and sanitising HTML is CPU work that need not hold the writer.
    let first = match (&input.comment, &input.description) {
        (Some(c), _) => Some(c.clone()),
        (None, Some(d)) => Some(CommentInput { body: Some(d.clone()), ..Default::default() }),
        _ => None,
    };
    input.rendered = first.as_ref().map(render);
    if actor.is_staff()
        && input.requester_id.is_absent()
        && let Some(r) = &input.requester
    {
        input.resolved_requester = users::find_by_identity(conn, "email", r.email.as_str()).await?;
    }
    Ok(())
}

/// Inserts prepared tickets with a handful of statements, whatever their number: ids, tickets,
/// tags, audits, comments.
async fn insert_rows(conn: &mut AnyConnection, mut items: Vec<Prepared>) -> Result<Vec<(Actor, Via, Saved)>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<Ticket> = items.iter().map(|p| p.ticket.clone()).collect();
    tickets::insert_numbered(conn, &list).await?;
    for p in items.iter_mut() {
        p.comment.ticket_id = p.ticket.id;
    }
    let pairs: Vec<(i64, &str)> =
        items.iter().flat_map(|p| p.tags.iter().map(move |t| (p.ticket.id, t.as_str()))).collect();
    tags::add_pairs(conn, Tagged::Ticket, &pairs).await?;
    for p in items.iter().filter(|p| !p.collaborators.is_empty()) {
        for kind in ["collaborator", "email_cc", "follower"] {
            let ids: Vec<i64> = p.collaborators.iter().filter(|(_, k)| k == kind).map(|(u, _)| *u).collect();
            if !ids.is_empty() {
                tickets::set_collaborators(conn, p.ticket.id, kind, &ids).await?;
            }
        }
    }
    let mut audit_rows: Vec<Audit> = items
        .iter()
        .map(|p| Audit {
            id: 0,
            ticket_id: p.ticket.id,
            author_id: p.audit_author,
            via_channel: p.via.channel.to_string(),
            via_source: Some(p.via.source_json()),
            metadata: None,
            events: Value::Array(p.events.clone()).to_string(),
            format: Default::default(),
            created_at: p.ticket.created_at,
        })
        .collect();
    let audit_ids = audits::insert_audits(conn, &audit_rows).await?;
    for ((a, id), p) in audit_rows.iter_mut().zip(&audit_ids).zip(items.iter_mut()) {
        a.id = *id;
        p.comment.audit_id = *id;
    }
    let comment_rows: Vec<Comment> = items.iter().map(|p| p.comment.clone()).collect();
    let comment_ids = audits::insert_comments(conn, &comment_rows).await?;
    for (p, cid) in items.iter().zip(&comment_ids).filter(|(p, _)| !p.uploads.is_empty()) {
        frontdesk_store::attachments::attach(conn, &p.uploads, p.ticket.id, *cid, p.ticket.created_at).await?;
    }
    let rows: Vec<(i64, i64, &Stored)> = items
        .iter()
        .flat_map(|p| p.changes.iter().flat_map(move |(f, vals)| vals.iter().map(move |v| (*f, p.ticket.id, v))))
        .collect();
    frontdesk_store::custom_fields::insert_rows(conn, &rows).await?;
    let mut docs: Vec<_> = items
        .iter()
        .zip(&comment_ids)
        .flat_map(|(p, cid)| {
            [
                super::search_index::subject(p.ticket.id, p.ticket.subject.as_deref()),
                super::search_index::comment(p.ticket.id, *cid, &p.comment.plain_body),
            ]
        })
        .collect();
    docs.extend(
        items
            .iter()
            .filter(|p| !p.fields_text.is_empty())
            .map(|p| super::search_index::ticket_fields(p.ticket.id, &p.fields_text)),
    );
    frontdesk_store::search::insert(conn, &docs).await?;
    Ok(items
        .into_iter()
        .zip(audit_rows)
        .zip(comment_ids)
        .map(|((p, audit), cid)| {
            let mut comment = p.comment;
            comment.id = cid;
            (
                p.actor,
                p.via,
                Saved {
                    ticket: p.ticket,
                    audit: Some(audit),
                    tags: p.tags,
                    collaborators: p.collaborators,
                    comment: Some(comment),
                    custom_fields: p.fields_json,
                    values: p.values,
                    before: None,
                },
            )
        })
        .collect())
}

/// Inserts prepared tickets, then runs the triggers on each new ticket.
pub async fn insert_prepared(
    conn: &mut AnyConnection,
    mut items: Vec<Prepared>,
    defs: &[FieldDef],
) -> Result<Vec<Saved>> {
    let Some(first) = items.first() else { return Ok(Vec::new()) };
    let now = first.ticket.created_at;
    // Compiled once per actor (`current_user` in a condition is the actor).
    let mut compiled: Vec<(i64, std::sync::Arc<Vec<super::rules::Compiled>>)> = Vec::new();
    for p in &items {
        if !compiled.iter().any(|(id, _)| *id == p.actor.id()) {
            compiled.push((p.actor.id(), super::rules::active_triggers(conn, now, p.actor.id(), defs).await?));
        }
    }
    let triggers_of = |id: i64| &compiled.iter().find(|(a, _)| *a == id).expect("compiled above").1;
    // The tickets' ids are taken first, so that triggers that only set tags, priority or type
    // shape a ticket before it is written, and triggers that only call out (the default
    // acknowledgement and assignment mails) add their events to its audit and their jobs to
    // the batch's: a create costs no second write for them.
    let mut list: Vec<Ticket> = items.iter().map(|p| p.ticket.clone()).collect();
    tickets::number(conn, &mut list).await?;
    for (p, t) in items.iter_mut().zip(list) {
        p.ticket = t;
    }
    // For each ticket: the triggers applied already, and the write as triggers see it. The
    // requesters and assignees are read once for the batch.
    let mut before = Vec::with_capacity(items.len());
    let mut jobs = Vec::new();
    let mut known: Vec<User> = items.iter().filter_map(|p| p.requester.clone()).collect();
    let mut missing: Vec<i64> = items
        .iter()
        .flat_map(|p| [Some(p.ticket.requester_id), p.ticket.assignee_id])
        .flatten()
        .filter(|id| !known.iter().any(|u| u.id == *id))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    if !missing.is_empty() && compiled.iter().any(|(_, t)| !t.is_empty()) {
        known.extend(frontdesk_store::users::get_many(conn, &missing).await?);
    }
    let known = super::rules::Known(known);
    for p in items.iter_mut() {
        let triggers = triggers_of(p.actor.id());
        if triggers.is_empty() {
            before.push((Vec::new(), None));
            continue;
        }
        let Prepared {
            ref actor, ref via, ref mut ticket, ref mut tags, ref values, ref mut events, ref comment, ..
        } = *p;
        let w = super::rules::Write { actor, created: true, via, before: None };
        let said = Some((comment.plain_body.clone(), comment.public == 1));
        let update = super::rules::write_update(conn, triggers, &w, ticket.requester_id, said, &known).await?;
        let draft = super::rules::Draft { ticket, tags, values, events, jobs: &mut jobs, known: &known };
        let applied = super::rules::before_insert(conn, triggers, &update, actor, defs, draft).await?;
        before.push((applied, Some(update)));
    }
    let inserted = insert_rows(conn, items).await?;
    frontdesk_store::jobs::enqueue_many(conn, &jobs, now).await?;
    let mut out = Vec::with_capacity(inserted.len());
    for ((actor, via, saved), (already, update)) in inserted.into_iter().zip(before) {
        let w = super::rules::Write { actor: &actor, created: true, via: &via, before: None };
        let triggers = triggers_of(actor.id());
        let (saved, _) = super::rules::run_triggers_on(conn, triggers, w, saved, already, update, defs, now).await?;
        out.push(saved);
    }
    Ok(out)
}

/// Creates a ticket with its first comment: every entry point's create (the API, the pages,
/// the portal) goes through the batch writer, which gathers the creates waiting at the same
/// moment into one transaction.
pub async fn create(state: &AppState, actor: &Actor, input: TicketInput, via: &Via) -> Result<Saved> {
    state.ticket_writer.create(actor.clone(), input, via.clone(), state.now()).await
}

/// Creates a ticket with its first comment in the caller's transaction.
pub async fn create_in(
    conn: &mut AnyConnection,
    actor: &Actor,
    input: TicketInput,
    via: &Via,
    now: i64,
) -> Result<Saved> {
    let defs = frontdesk_store::custom_fields::defs(conn, Record::Ticket).await?;
    let prepared = prepare(conn, actor, input, via, now, &defs).await?;
    Ok(insert_prepared(conn, vec![prepared], &defs).await?.remove(0))
}

/// Creates many tickets in the caller's transaction: each input is checked on its own (a bad
/// one is reported and writes nothing), then the good ones are inserted together.
pub async fn create_batch(
    conn: &mut AnyConnection,
    items: Vec<(Actor, TicketInput, i64)>,
    via: &Via,
) -> Result<Vec<Result<Saved>>> {
    let mut outcomes: Vec<Option<Result<Saved>>> = Vec::with_capacity(items.len());
    let mut ready = Vec::new();
    let mut slots = Vec::new();
    let defs = frontdesk_store::custom_fields::defs(conn, Record::Ticket).await?;
    for (i, (actor, input, now)) in items.into_iter().enumerate() {
        match prepare(conn, &actor, input, via, now, &defs).await {
            Ok(p) => {
                ready.push(p);
                slots.push(i);
                outcomes.push(None);
            }
            Err(e) => outcomes.push(Some(Err(e))),
        }
    }
    for (slot, saved) in slots.into_iter().zip(insert_prepared(conn, ready, &defs).await?) {
        outcomes[slot] = Some(Ok(saved));
    }
    Ok(outcomes.into_iter().map(|o| o.unwrap_or_else(|| Err(ApiError::Internal("lost batch item".into())))).collect())
}

/// Whether an end user may see this ticket: their own request, or their organization's when
/// the organization shares tickets.
pub async fn visible_to(conn: &mut AnyConnection, actor: &Actor, t: &Ticket) -> Result<bool> {
    if actor.is_staff() || t.requester_id == actor.id() {
        return Ok(true);
    }
    if let Some(org) = t.organization_id {
        let shared = organizations::get(conn, org).await?.is_some_and(|o| o.shared_tickets != 0);
        if shared {
            let orgs = super::users::organization_ids(conn, actor.id()).await?;
            return Ok(orgs.contains(&org));
        }
    }
    Ok(false)
}

/// Loads a ticket the actor may see, for reading or (inside a transaction) for changing.
pub async fn load(conn: &mut AnyConnection, actor: &Actor, id: i64, lock: bool) -> Result<Ticket> {
    let t = if lock { tickets::get_for_update(conn, id).await? } else { tickets::get(conn, id).await? };
    let t = t.filter(|t| t.deleted_at.is_none()).ok_or(ApiError::NotFound)?;
    if !visible_to(conn, actor, &t).await? {
        return Err(ApiError::forbidden());
    }
    Ok(t)
}

/// A ticket as a [`Saved`] that changed nothing: its tags, values and collaborators read back.
pub async fn saved_now(conn: &mut AnyConnection, t: Ticket) -> Result<Saved> {
    let tags = tags::list(conn, Tagged::Ticket, t.id).await?;
    let defs = frontdesk_store::custom_fields::defs(conn, Record::Ticket).await?;
    let values = fields::load(conn, Record::Ticket, t.id).await?;
    let collaborators = tickets::collaborators(conn, &[t.id]).await?.remove(&t.id).unwrap_or_default();
    Ok(Saved {
        ticket: t,
        audit: None,
        tags,
        collaborators,
        comment: None,
        custom_fields: fields::ticket_json(&defs, Some(&values)),
        values,
        before: None,
    })
}

/// Applies an update in its own transaction, then runs the triggers on it.
pub async fn update(state: &AppState, actor: &Actor, id: i64, input: TicketInput, via: &Via) -> Result<Saved> {
    let now = state.now();
    in_tx(state, async |tx| update_in(tx, actor, id, input, via, now).await).await
}

/// Applies an update in the caller's transaction, then runs the triggers on it.
pub async fn update_in(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    input: TicketInput,
    via: &Via,
    now: i64,
) -> Result<Saved> {
    let saved = apply_update(conn, actor, id, input, via, now).await?;
    if saved.audit.is_none() {
        return Ok(saved);
    }
    super::email::enqueue_reply(conn, &saved, now).await?;
    let defs = frontdesk_store::custom_fields::defs(conn, Record::Ticket).await?;
    let triggers = super::rules::active_triggers(conn, now, actor.id(), &defs).await?;
    let before = saved.before.clone();
    let w = super::rules::Write { actor, created: false, via, before };
    Ok(super::rules::run_triggers(conn, &triggers, w, saved, Vec::new(), &defs, now).await?.0)
}

/// Writes one audit holding a single event (a note from the system, such as a stopped rule
/// loop) without changing the ticket.
pub async fn note_event(
    conn: &mut AnyConnection,
    ticket_id: i64,
    author_id: i64,
    event: Value,
    now: i64,
) -> Result<()> {
    write_audit(
        conn,
        ticket_id,
        author_id,
        &Via { channel: "rule", source: json!({"from": {}, "to": {}, "rel": "trigger"}) },
        vec![event],
        None,
        now,
    )
    .await?;
    Ok(())
}

/// Applies an update: fields, tags and an optional comment, as one audit. Triggers do not run.
#[allow(clippy::too_many_lines, reason = "longer than a screen: on the list to split (ARCHITECTURE.md)")]
pub async fn apply_update(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
    input: TicketInput,
    via: &Via,
    now: i64,
) -> Result<Saved> {
    let before = load(conn, actor, id, true).await?;
    if before.status == Status::Closed {
        return Err(ApiError::invalid("status", "Status: closed prevents ticket update").msg("error-closed", &[]));
    }
    refuse_staff_fields(actor, &input, false)?;
    refuse_if_changed(conn, id, input.shown_change).await?;
    let mut input = input;
    reopen_on_customer_reply(conn, &before, &mut input, actor).await?;
    if input.safe_update {
        let stamp = input.updated_stamp.as_deref().unwrap_or("");
        let matches = stamp == iso(before.updated_at) || parse_time(stamp) == Some(before.updated_at);
        if !matches {
            return Err(ApiError::UpdateConflict);
        }
    }
    let staff = actor.is_staff();
    let before_tags = tags::list(conn, Tagged::Ticket, id).await?;
    let defs = frontdesk_store::custom_fields::defs(conn, Record::Ticket).await?;
    let before_values = fields::load(conn, Record::Ticket, id).await?;
    let field_changes = match &input.custom_fields {
        Some(raw) => fields::check(Record::Ticket, &defs, raw)?,
        None => Vec::new(),
    };
    let values = fields::merged(&before_values, &field_changes);
    let mut t = before.clone();
    t.subject = input.subject.clone().apply(t.subject);
    t.priority = input.priority.clone().try_map(|p| Ok(p.as_str().to_string()))?.apply(t.priority);
    t.ticket_type = input.ticket_type.clone().try_map(|x| Ok(x.as_str().to_string()))?.apply(t.ticket_type);
    if let Patch::Set(s) = input.status {
        t.status = s;
    }
    if let Patch::Set(rid) = input.requester_id {
        let r = existing_user(conn, rid, "requester_id").await?;
        t.requester_id = r.id;
        if input.organization_id.is_absent() {
            t.organization_id = r.organization_id;
        }
    } else if let Some(r) = &input.requester {
        let r = find_or_create_requester(conn, r, now).await?;
        t.requester_id = r.id;
        if input.organization_id.is_absent() {
            t.organization_id = r.organization_id;
        }
    }
    match input.organization_id.clone() {
        Patch::Set(oid) => {
            organizations::get(conn, oid).await?.ok_or_else(|| {
                ApiError::invalid("organization_id", format!("organization_id: organization {oid} does not exist"))
                    .msg("error-no-such-organization", &[("id", &oid)])
            })?;
            t.organization_id = Some(oid);
        }
        Patch::Null => t.organization_id = None,
        Patch::Absent => {}
    }
    match input.group_id.clone() {
        Patch::Set(gid) => {
            existing_group(conn, gid).await?;
            t.group_id = Some(gid);
        }
        Patch::Null => t.group_id = None,
        Patch::Absent => {}
    }
    t.assignee_id = input.assignee_id.clone().apply(t.assignee_id);
    t.external_id = input.external_id.clone().apply(t.external_id);
    t.due_at = input.due_at.clone().apply(t.due_at);
    t.recipient = input.recipient.clone().apply(t.recipient);
    t.brand_id = input.brand_id.clone().apply(t.brand_id);
    t.problem_id = input.problem_id.clone().apply(t.problem_id);
    if let Patch::Set(sid) = input.submitter_id {
        t.submitter_id = existing_user(conn, sid, "submitter_id").await?.id;
    }
    t.updated_at = now;
    // A new ticket that gets an assignee is open, unless the update names a status.
    if t.status == Status::New
        && t.assignee_id.is_some()
        && input.status.is_absent()
        && input.custom_status_id.is_absent()
    {
        t.status = Status::Open;
    }
    settle_status(conn, &mut t, &input.custom_status_id, !input.status.is_absent(), Some(&before)).await?;
    let assignee_changed = t.assignee_id != before.assignee_id || t.group_id != before.group_id;
    settle_assignment(conn, actor, &mut t, assignee_changed).await?;
    if t.assignee_id != before.assignee_id && t.assignee_id.is_some() {
        t.assigned_at = Some(now);
    }
    if t.status != before.status {
        t.status_changed_at = now;
        if t.status == Status::Solved {
            t.solved_at = Some(now);
        }
    }
    let mut tag_list = match &input.tags {
        Some(list) => list.clone(),
        None => before_tags.clone(),
    };
    if let Some(add) = &input.additional_tags {
        for tag in add {
            if !tag_list.contains(tag) {
                tag_list.push(tag.clone());
            }
        }
    }
    if let Some(remove) = &input.remove_tags {
        tag_list.retain(|t| !remove.contains(t));
    }
    // A drop-down's chosen option is a tag: a new choice replaces the old one's tag.
    if values != before_values {
        let old = fields::option_tags(&defs, &before_values);
        tag_list.retain(|t| !old.contains(t));
        for tag in fields::option_tags(&defs, &values) {
            if !tag_list.contains(&tag) {
                tag_list.push(tag);
            }
        }
    }
    if t.status == Status::Solved && (before.status != Status::Solved || values != before_values) {
        fields::required_to_solve(&defs, &values)?;
    }
    let mut sorted_before = before_tags.clone();
    sorted_before.sort();
    let mut sorted_after = tag_list.clone();
    sorted_after.sort();
    sorted_after.dedup();

    let mut events = change_events(Some((&before, &sorted_before)), (&t, &sorted_after));
    events.extend(field_events(&defs, Some(&before_values), &values));
    events.extend(input.extra_events.iter().cloned());
    let collaborators_changed =
        input.collaborator_ids.is_some() || input.email_cc_ids.is_some() || input.follower_ids.is_some();
    let comment = match &input.comment {
        Some(c) => {
            let author = comment_author(conn, actor, c).await?;
            let public = if staff { c.public.unwrap_or(true) } else { true };
            if author == t.requester_id {
                t.requester_updated_at = Some(now);
            }
            if Some(author) == t.assignee_id {
                t.assignee_updated_at = Some(now);
            }
            super::attachments::check_uploads(conn, &c.uploads, now).await?;
            events.insert(0, json!({"type": "Comment"}));
            Some(comment_row(render(c), id, author, public, via, now))
        }
        None => None,
    };
    if events.is_empty() && !collaborators_changed {
        let collaborators = tickets::collaborators(conn, &[id]).await?.remove(&id).unwrap_or_default();
        return Ok(Saved {
            ticket: before,
            audit: None,
            tags: sorted_before,
            collaborators,
            comment: None,
            custom_fields: fields::ticket_json(&defs, Some(&before_values)),
            values: before_values,
            before: None,
        });
    }
    t.generated_at = now;
    tickets::update(conn, &t).await?;
    if sorted_after != sorted_before {
        tags::replace(conn, Tagged::Ticket, id, &sorted_after).await?;
    }
    for (kind, ids) in collaborator_lists(conn, &input).await? {
        tickets::set_collaborators(conn, id, kind, &ids).await?;
    }
    let (audit, comment) = if events.is_empty() {
        (None, None)
    } else {
        let (a, c) = write_audit(conn, id, actor.id(), via, events, comment, now).await?;
        if let (Some(saved), Some(given)) = (&c, &input.comment) {
            frontdesk_store::attachments::attach(conn, &given.uploads, id, saved.id, now).await?;
        }
        (Some(a), c)
    };
    let mut docs = Vec::new();
    if t.subject != before.subject {
        docs.push(super::search_index::subject(id, t.subject.as_deref()));
    }
    if let Some(c) = &comment {
        docs.push(super::search_index::comment(id, c.id, &c.plain_body));
    }
    if values != before_values {
        let changed: Vec<(i64, Vec<Stored>)> =
            field_changes.iter().filter(|(f, _)| values.get(f) != before_values.get(f)).cloned().collect();
        frontdesk_store::custom_fields::set_values(conn, id, &changed).await?;
        docs.push(super::search_index::ticket_fields(id, &fields::search_text(&defs, &values)));
    }
    frontdesk_store::search::put(conn, &docs).await?;
    let collaborators = tickets::collaborators(conn, &[id]).await?.remove(&id).unwrap_or_default();
    let before_facts = super::rules::facts(&before, &sorted_before, &before_values, None);
    Ok(Saved {
        ticket: t,
        audit,
        tags: sorted_after,
        collaborators,
        comment,
        custom_fields: fields::ticket_json(&defs, Some(&values)),
        values,
        before: Some(before_facts),
    })
}

/// A public reply by the customer (the requester, or another end user taking part) moves a
/// pending or solved ticket back to open (a closed one takes no update at all), unless the
/// update names a status itself: one rule for every way a customer answers (the portal, mail,
/// the API as the requester).
async fn reopen_on_customer_reply(
    conn: &mut AnyConnection,
    before: &Ticket,
    input: &mut TicketInput,
    actor: &Actor,
) -> Result<()> {
    let Some(c) = &input.comment else { return Ok(()) };
    let names_status = !input.status.is_absent() || !input.custom_status_id.is_absent();
    if c.public == Some(false) || names_status || !matches!(before.status, Status::Pending | Status::Solved) {
        return Ok(());
    }
    let author = c.author_id.unwrap_or(actor.id());
    let customer = author == before.requester_id
        || if author == actor.id() {
            !actor.is_staff()
        } else {
            users::get(conn, author).await?.is_some_and(|u| u.role == Role::EndUser)
        };
    if customer {
        input.status = Patch::Set(Status::Open);
    }
    Ok(())
}

/// The one stale-write check of the pages: under the ticket's write lock (taken by the caller),
/// a change to ticket `id` made from a page that showed it at change `shown` is refused when the
/// ticket has changed since, so nothing that happened in between is overwritten unseen.
pub async fn refuse_if_changed(conn: &mut AnyConnection, id: i64, shown: Option<i64>) -> Result<()> {
    match shown {
        Some(v) if Some(v) != tickets::change_seq(conn, id).await? => Err(ApiError::UpdateConflict),
        _ => Ok(()),
    }
}

/// Soft-deletes a ticket: it leaves every list and moves to deleted_tickets.
pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> Result<()> {
    let now = state.now();
    in_tx(state, async |tx| delete_in(tx, actor, id, now).await).await
}

/// [`delete`] in the caller's transaction.
pub async fn delete_in(conn: &mut AnyConnection, actor: &Actor, id: i64, now: i64) -> Result<()> {
    let mut t = load(conn, actor, id, true).await?;
    t.deleted_at = Some(now);
    t.deleted_by = Some(actor.id());
    t.generated_at = now;
    tickets::update(conn, &t).await?;
    Ok(())
}

/// Brings a soft-deleted ticket back.
pub async fn restore(state: &AppState, id: i64) -> Result<()> {
    let now = state.now();
    in_tx(state, async |tx| {
        let mut t =
            tickets::get_for_update(tx, id).await?.filter(|t| t.deleted_at.is_some()).ok_or(ApiError::NotFound)?;
        t.deleted_at = None;
        t.deleted_by = None;
        t.generated_at = now;
        tickets::update(tx, &t).await?;
        Ok(())
    })
    .await
}

/// Tag endpoints: replace, add or remove, with the same safe-update rule as updates.
pub async fn change_tags(
    state: &AppState,
    actor: &Actor,
    id: i64,
    mode: TagMode,
    list: Vec<String>,
    stamp: Option<(bool, Option<String>)>,
) -> Result<Vec<String>> {
    let now = state.now();
    let mut input = TicketInput::default();
    match mode {
        TagMode::Replace => input.tags = Some(list),
        TagMode::Add => input.additional_tags = Some(list),
        TagMode::Remove => input.remove_tags = Some(list),
    }
    if let Some((safe, s)) = stamp {
        input.safe_update = safe;
        input.updated_stamp = s;
    }
    in_tx(state, async |tx| {
        update_in(tx, actor, id, input, &Via::api(), now).await?;
        Ok(tags::list(tx, Tagged::Ticket, id).await?)
    })
    .await
}

/// `actor` is on ticket `id` now (typing, when `typing`): what the other agents on it see.
pub async fn beat(state: &AppState, actor: &Actor, id: i64, typing: bool) -> Result<()> {
    let now_ms = state.clock.now_ms();
    in_tx(state, async |tx| {
        load(tx, actor, id, false).await?;
        Ok(frontdesk_store::presence::beat(tx, id, actor.id(), typing, now_ms).await?)
    })
    .await
}

/// Agent `user_id` left ticket `id` (their marks older than `before`, in ms, go).
pub async fn leave(state: &AppState, user_id: i64, id: i64, before: i64) -> Result<()> {
    in_tx(state, async |tx| Ok(frontdesk_store::presence::leave(tx, id, user_id, before).await?)).await?;
    Ok(())
}
