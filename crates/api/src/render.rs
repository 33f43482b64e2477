//! Records rendered as Zendesk JSON objects, with absolute `url`s. Batch renderers load what
//! hangs off a list (tags, collaborators) in one query per kind, never one per record.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value, json};

use frontdesk_domain::Locale;
use frontdesk_store::AnyConnection;
use frontdesk_store::audits::{Audit, Comment};
use frontdesk_store::groups::{Group, GroupMembership};
use frontdesk_store::jobs::Job;
use frontdesk_store::organizations::Organization;
use frontdesk_store::tags::{self, Tagged};
use frontdesk_store::tickets::{self, Ticket};
use frontdesk_store::users::{self, Identity, OrganizationMembership, User};

use frontdesk_domain::filter::Record;
use frontdesk_store::custom_fields;

use super::extract::Base;
use crate::app::fields;
use crate::clock::iso;
use frontdesk_edge::Result;

fn opt_iso(t: Option<i64>) -> Value {
    t.map_or(Value::Null, |t| Value::String(iso(t)))
}

pub fn via(channel: &str, source: Option<&str>) -> Value {
    let source = source
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
        .unwrap_or_else(|| json!({"from": {}, "to": {}, "rel": null}));
    json!({"channel": channel, "source": source})
}

pub fn ticket(
    base: &Base,
    t: &Ticket,
    tags: &[String],
    collaborators: &[(i64, String)],
    custom_fields: Value,
) -> Value {
    let ids_of =
        |kind: &str| -> Vec<i64> { collaborators.iter().filter(|(_, k)| k == kind).map(|(u, _)| *u).collect() };
    let mut collaborator_ids: BTreeSet<i64> = ids_of("collaborator").into_iter().collect();
    collaborator_ids.extend(ids_of("email_cc"));
    json!({
        "url": base.url(&format!("/api/v2/tickets/{}.json", t.id)),
        "id": t.id,
        "external_id": t.external_id,
        "via": via(&t.via_channel, t.via_source.as_deref()),
        "created_at": iso(t.created_at),
        "updated_at": iso(t.updated_at),
        "generated_timestamp": t.generated_at,
        "type": t.ticket_type,
        "subject": t.subject,
        "raw_subject": t.subject,
        "description": t.description,
        "priority": t.priority,
        "status": if t.deleted_at.is_some() { "deleted" } else { t.status.as_str() },
        "custom_status_id": t.custom_status_id,
        "recipient": t.recipient,
        "requester_id": t.requester_id,
        "submitter_id": t.submitter_id,
        "assignee_id": t.assignee_id,
        "organization_id": t.organization_id,
        "group_id": t.group_id,
        "collaborator_ids": collaborator_ids,
        "follower_ids": ids_of("follower"),
        "email_cc_ids": ids_of("email_cc"),
        "forum_topic_id": null,
        "problem_id": t.problem_id,
        "has_incidents": false,
        "is_public": t.is_public != 0,
        "due_at": opt_iso(t.due_at),
        "tags": tags,
        "custom_fields": custom_fields,
        "fields": custom_fields,
        "satisfaction_rating": null,
        "sharing_agreement_ids": [],
        "followup_ids": [],
        "ticket_form_id": null,
        "brand_id": t.brand_id,
        "allow_channelback": false,
        "allow_attachments": true,
        "from_messaging_channel": false,
    })
}

/// What a customer sees of a record of the team's about them or their organization: not the
/// team's notes, details, tags or custom fields.
pub fn person_for_viewer(actor: &crate::auth::Actor, record: &mut Value) {
    if actor.is_staff() {
        return;
    }
    if let Some(o) = record.as_object_mut() {
        for key in ["notes", "details"] {
            if o.contains_key(key) {
                o.insert(key.into(), Value::Null);
            }
        }
        for key in ["tags"] {
            if o.contains_key(key) {
                o.insert(key.into(), json!([]));
            }
        }
        for key in ["user_fields", "organization_fields"] {
            if o.contains_key(key) {
                o.insert(key.into(), json!({}));
            }
        }
    }
}

/// What a customer sees of an audit in a create's or update's answer: its public comments only
/// (no tag or field changes, notifications or rule warnings).
pub fn audit_for_viewer(actor: &crate::auth::Actor, audit: &mut Value) {
    if actor.is_staff() {
        return;
    }
    if let Some(events) = audit.get_mut("events").and_then(Value::as_array_mut) {
        events.retain(|e| e["type"] == "Comment" && e["public"] != false);
    }
}

/// What a customer sees of rendered tickets: no tags (they are the team's words), and only the
/// custom fields shown in the portal. Staff see everything.
pub async fn for_viewer(conn: &mut AnyConnection, actor: &crate::auth::Actor, items: &mut [Value]) -> Result<()> {
    if actor.is_staff() {
        return Ok(());
    }
    let visible: Vec<i64> = custom_fields::list(conn, Record::Ticket)
        .await?
        .into_iter()
        .filter(|f| f.active == 1 && f.visible_in_portal == 1)
        .map(|f| f.id)
        .collect();
    for t in items {
        if t.get("tags").is_some() {
            t["tags"] = json!([]);
        }
        for key in ["custom_fields", "fields"] {
            if let Some(list) = t.get_mut(key).and_then(Value::as_array_mut) {
                list.retain(|f| f["id"].as_i64().is_some_and(|id| visible.contains(&id)));
            }
        }
    }
    Ok(())
}

pub async fn tickets(conn: &mut AnyConnection, base: &Base, list: &[Ticket]) -> Result<Vec<Value>> {
    let ids: Vec<i64> = list.iter().map(|t| t.id).collect();
    let tag_map = tags::list_many(conn, Tagged::Ticket, &ids).await?;
    let collab_map = tickets::collaborators(conn, &ids).await?;
    let defs = custom_fields::defs(conn, Record::Ticket).await?;
    let values =
        if defs.is_empty() { Default::default() } else { custom_fields::values(conn, Record::Ticket, &ids).await? };
    Ok(list
        .iter()
        .map(|t| {
            ticket(
                base,
                t,
                tag_map.get(&t.id).map(Vec::as_slice).unwrap_or(&[]),
                collab_map.get(&t.id).map(Vec::as_slice).unwrap_or(&[]),
                fields::ticket_json(&defs, values.get(&t.id)),
            )
        })
        .collect())
}

pub fn user(base: &Base, u: &User, tags: &[String], account_tz: &str, user_fields: Value) -> Value {
    let locale = u.locale.as_deref().and_then(|l| Locale::parse(l).ok()).unwrap_or(Locale::EnUs);
    let tz = u.time_zone.clone().unwrap_or_else(|| account_tz.to_string());
    json!({
        "id": u.id,
        "url": base.url(&format!("/api/v2/users/{}.json", u.id)),
        "name": u.name,
        "email": u.email,
        "created_at": iso(u.created_at),
        "updated_at": iso(u.updated_at),
        "time_zone": tz,
        "iana_time_zone": tz,
        "phone": u.phone,
        "shared_phone_number": u.shared_phone_number != 0,
        "photo": null,
        "locale_id": locale.id(),
        "locale": locale.as_str(),
        "organization_id": u.organization_id,
        "role": u.role.as_str(),
        "verified": u.verified != 0,
        "external_id": u.external_id,
        "tags": tags,
        "alias": u.alias,
        "active": u.active != 0,
        "shared": false,
        "shared_agent": false,
        "last_login_at": opt_iso(u.last_login_at),
        "two_factor_auth_enabled": false,
        "signature": u.signature,
        "details": u.details,
        "notes": u.notes,
        "role_type": null,
        "custom_role_id": null,
        "moderator": u.role == frontdesk_domain::Role::Admin,
        "ticket_restriction": u.ticket_restriction.clone().or_else(|| (u.role == frontdesk_domain::Role::EndUser).then(|| "requested".to_string())),
        "only_private_comments": false,
        "restricted_agent": false,
        "suspended": u.suspended != 0,
        "default_group_id": u.default_group_id,
        "report_csv": false,
        "user_fields": user_fields,
    })
}

pub async fn users(conn: &mut AnyConnection, base: &Base, list: &[User], account_tz: &str) -> Result<Vec<Value>> {
    let ids: Vec<i64> = list.iter().map(|u| u.id).collect();
    let tag_map = tags::list_many(conn, Tagged::User, &ids).await?;
    let defs = custom_fields::defs(conn, Record::User).await?;
    let values =
        if defs.is_empty() { Default::default() } else { custom_fields::values(conn, Record::User, &ids).await? };
    Ok(list
        .iter()
        .map(|u| {
            let tags = tag_map.get(&u.id).map(Vec::as_slice).unwrap_or(&[]);
            user(base, u, tags, account_tz, fields::keyed_json(&defs, values.get(&u.id)))
        })
        .collect())
}

pub fn identity(base: &Base, i: &Identity) -> Value {
    json!({
        "url": base.url(&format!("/api/v2/users/{}/identities/{}.json", i.user_id, i.id)),
        "id": i.id,
        "user_id": i.user_id,
        "type": i.kind,
        "value": i.value,
        "verified": i.verified != 0,
        "primary": i.is_primary != 0,
        "created_at": iso(i.created_at),
        "updated_at": iso(i.updated_at),
        "undeliverable_count": i.undeliverable_count,
        "deliverable_state": if i.undeliverable_count > 0 { "undeliverable" } else { "deliverable" },
    })
}

pub fn organization(base: &Base, o: &Organization, tags: &[String], domains: &[String], org_fields: Value) -> Value {
    json!({
        "url": base.url(&format!("/api/v2/organizations/{}.json", o.id)),
        "id": o.id,
        "name": o.name,
        "shared_tickets": o.shared_tickets != 0,
        "shared_comments": o.shared_comments != 0,
        "external_id": o.external_id,
        "created_at": iso(o.created_at),
        "updated_at": iso(o.updated_at),
        "domain_names": domains,
        "details": o.details,
        "notes": o.notes,
        "group_id": o.group_id,
        "tags": tags,
        "organization_fields": org_fields,
    })
}

pub async fn organizations(conn: &mut AnyConnection, base: &Base, list: &[Organization]) -> Result<Vec<Value>> {
    let ids: Vec<i64> = list.iter().map(|o| o.id).collect();
    let tag_map = tags::list_many(conn, Tagged::Organization, &ids).await?;
    let domain_map = frontdesk_store::organizations::domains(conn, &ids).await?;
    let defs = custom_fields::defs(conn, Record::Organization).await?;
    let values = if defs.is_empty() {
        Default::default()
    } else {
        custom_fields::values(conn, Record::Organization, &ids).await?
    };
    Ok(list
        .iter()
        .map(|o| {
            organization(
                base,
                o,
                tag_map.get(&o.id).map(Vec::as_slice).unwrap_or(&[]),
                domain_map.get(&o.id).map(Vec::as_slice).unwrap_or(&[]),
                fields::keyed_json(&defs, values.get(&o.id)),
            )
        })
        .collect())
}

pub fn group(base: &Base, g: &Group) -> Value {
    json!({
        "url": base.url(&format!("/api/v2/groups/{}.json", g.id)),
        "id": g.id,
        "is_public": g.is_public != 0,
        "name": g.name,
        "description": g.description,
        "default": g.is_default != 0,
        "deleted": g.deleted != 0,
        "created_at": iso(g.created_at),
        "updated_at": iso(g.updated_at),
    })
}

pub fn group_membership(base: &Base, m: &GroupMembership) -> Value {
    json!({
        "url": base.url(&format!("/api/v2/group_memberships/{}.json", m.id)),
        "id": m.id,
        "user_id": m.user_id,
        "group_id": m.group_id,
        "default": m.is_default != 0,
        "created_at": iso(m.created_at),
        "updated_at": iso(m.updated_at),
    })
}

pub fn organization_membership(base: &Base, m: &OrganizationMembership) -> Value {
    json!({
        "url": base.url(&format!("/api/v2/organization_memberships/{}.json", m.id)),
        "id": m.id,
        "user_id": m.user_id,
        "organization_id": m.organization_id,
        "default": m.is_default != 0,
        "created_at": iso(m.created_at),
        "updated_at": iso(m.updated_at),
    })
}

/// The files of comments, by comment id.
pub type Files = HashMap<i64, Vec<frontdesk_store::attachments::Attachment>>;

pub async fn files_of(conn: &mut AnyConnection, comment_ids: &[i64]) -> Result<Files> {
    let mut files = Files::new();
    for a in frontdesk_store::attachments::for_comments(conn, comment_ids).await? {
        files.entry(a.comment_id.unwrap_or_default()).or_default().push(a);
    }
    Ok(files)
}

pub fn comment(base: &Base, c: &Comment, files: &Files) -> Value {
    let attachments: Vec<Value> =
        files.get(&c.id).into_iter().flatten().map(|a| super::attachments::attachment_json(base, a)).collect();
    json!({
        "id": c.id,
        "type": "Comment",
        "author_id": c.author_id,
        "body": c.body,
        "html_body": c.html_body,
        "plain_body": c.plain_body,
        "public": c.public != 0,
        "attachments": attachments,
        "audit_id": c.audit_id,
        "via": via(&c.via_channel, None),
        "created_at": iso(c.created_at),
        "metadata": c.metadata.as_deref().and_then(|m| serde_json::from_str::<Value>(m).ok())
            .unwrap_or_else(|| json!({"system": {}, "custom": {}})),
    })
}

/// An audit with its events; Comment events are filled from the comments table, and left out
/// when `public_only` and the comment is internal.
pub fn audit(base: &Base, a: &Audit, comments: &[&Comment], public_only: bool, files: &Files) -> Value {
    let stored = a.events_or_problem();
    let mut events = Vec::with_capacity(stored.len());
    let mut next_comment = comments.iter();
    for (i, mut e) in stored.into_iter().enumerate() {
        if e.get("type").and_then(Value::as_str) == Some("Comment") {
            // An audit carries at most a few comments, in the order of its Comment events.
            match next_comment.next() {
                Some(c) if !public_only || c.public != 0 => {
                    let mut ev = comment(base, c, files);
                    if let Some(m) = ev.as_object_mut() {
                        m.remove("via");
                        m.remove("created_at");
                        m.remove("metadata");
                    }
                    events.push(ev);
                }
                _ => {}
            }
            continue;
        }
        if let Some(m) = e.as_object_mut() {
            m.entry("id").or_insert(json!(a.id * 1000 + i as i64));
        }
        events.push(e);
    }
    json!({
        "id": a.id,
        "ticket_id": a.ticket_id,
        "created_at": iso(a.created_at),
        "author_id": a.author_id,
        "metadata": a.metadata.as_deref().and_then(|m| serde_json::from_str::<Value>(m).ok())
            .unwrap_or_else(|| json!({"system": {}, "custom": {}})),
        "via": via(&a.via_channel, a.via_source.as_deref()),
        "events": events,
    })
}

pub async fn audits(conn: &mut AnyConnection, base: &Base, list: &[Audit], public_only: bool) -> Result<Vec<Value>> {
    let ids: Vec<i64> = list.iter().map(|a| a.id).collect();
    let comments = frontdesk_store::audits::comments_of_audits(conn, &ids).await?;
    let comment_ids: Vec<i64> = comments.iter().map(|c| c.id).collect();
    let files = files_of(conn, &comment_ids).await?;
    let mut by_audit: HashMap<i64, Vec<&Comment>> = HashMap::new();
    for c in &comments {
        by_audit.entry(c.audit_id).or_default().push(c);
    }
    Ok(list
        .iter()
        .map(|a| audit(base, a, by_audit.get(&a.id).map(Vec::as_slice).unwrap_or(&[]), public_only, &files))
        .collect())
}

pub fn job_status(base: &Base, j: &Job) -> Value {
    let public_id = j.public_id.clone().unwrap_or_else(|| j.id.to_string());
    let status = match j.state.as_str() {
        "queued" => "queued",
        "working" => "working",
        "completed" => "completed",
        "killed" => "killed",
        _ => "failed",
    };
    let results = match j.results() {
        Ok(list) if j.results.is_some() => Value::Array(list),
        Ok(_) => Value::Null,
        Err(e) => json!({"problem": e.to_string()}),
    };
    json!({
        "id": public_id,
        "url": base.url(&format!("/api/v2/job_statuses/{public_id}.json")),
        "total": j.total,
        "progress": if status == "queued" { Value::Null } else { json!(j.progress) },
        "status": status,
        "message": if status == "queued" { Value::Null } else { json!(j.message) },
        "results": if status == "queued" { Value::Null } else { results },
    })
}

/// Side-loads (`?include=users,groups,organizations`) for a list of tickets.
pub async fn sideload_for_tickets(
    conn: &mut AnyConnection,
    base: &Base,
    includes: &[String],
    list: &[Ticket],
    account_tz: &str,
) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    if includes.iter().any(|i| i == "users") {
        let mut ids: BTreeSet<i64> = BTreeSet::new();
        for t in list {
            ids.insert(t.requester_id);
            ids.insert(t.submitter_id);
            ids.extend(t.assignee_id);
        }
        let ids: Vec<i64> = ids.into_iter().collect();
        let us = users::get_many(conn, &ids).await?;
        out.insert("users".into(), Value::Array(self::users(conn, base, &us, account_tz).await?));
    }
    if includes.iter().any(|i| i == "groups") {
        let ids: Vec<i64> = list.iter().filter_map(|t| t.group_id).collect::<BTreeSet<_>>().into_iter().collect();
        let gs = frontdesk_store::groups::get_many(conn, &ids).await?;
        out.insert("groups".into(), Value::Array(gs.iter().map(|g| group(base, g)).collect()));
    }
    if includes.iter().any(|i| i == "organizations") {
        let ids: Vec<i64> =
            list.iter().filter_map(|t| t.organization_id).collect::<BTreeSet<_>>().into_iter().collect();
        let os = frontdesk_store::organizations::get_many(conn, &ids).await?;
        out.insert("organizations".into(), Value::Array(organizations(conn, base, &os).await?));
    }
    Ok(out)
}

pub fn custom_status(base: &Base, s: &frontdesk_store::custom_statuses::CustomStatus) -> Value {
    json!({
        "url": base.url(&format!("/api/v2/custom_statuses/{}.json", s.id)),
        "id": s.id,
        "status_category": s.status_category,
        "agent_label": s.agent_label,
        "raw_agent_label": s.agent_label,
        "end_user_label": s.end_user_label,
        "raw_end_user_label": s.end_user_label,
        "description": s.description,
        "raw_description": s.description,
        "end_user_description": s.end_user_description,
        "raw_end_user_description": s.end_user_description,
        "active": s.active != 0,
        "default": s.is_default != 0,
        "created_at": iso(s.created_at),
        "updated_at": iso(s.updated_at),
    })
}

/// Side-loads for a list of users: `identities`, `organizations`, `groups`.
pub async fn sideload_for_users(
    conn: &mut AnyConnection,
    base: &Base,
    includes: &[String],
    list: &[User],
) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    let ids: Vec<i64> = list.iter().map(|u| u.id).collect();
    if includes.iter().any(|i| i == "identities") {
        let all = users::identities(conn, &ids).await?;
        out.insert("identities".into(), Value::Array(all.iter().map(|i| identity(base, i)).collect()));
    }
    if includes.iter().any(|i| i == "organizations") {
        let org_ids: Vec<i64> =
            list.iter().filter_map(|u| u.organization_id).collect::<BTreeSet<_>>().into_iter().collect();
        let os = frontdesk_store::organizations::get_many(conn, &org_ids).await?;
        out.insert("organizations".into(), Value::Array(organizations(conn, base, &os).await?));
    }
    if includes.iter().any(|i| i == "groups") {
        let group_ids = frontdesk_store::groups::group_ids_of(conn, &ids).await?;
        let gs = frontdesk_store::groups::get_many(conn, &group_ids).await?;
        out.insert("groups".into(), Value::Array(gs.iter().map(|g| group(base, g)).collect()));
    }
    Ok(out)
}
