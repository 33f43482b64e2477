//! Typed filters: what each search field means. [`resolve`] turns a parsed
//! [`Condition`](crate::search::Condition) into a [`Filter`] for one record type, checking
//! field names and values (errors carry the term's position). The storage crate compiles a
//! `Filter` to SQL; [`Filter::matches`] evaluates it in memory against [`TicketFacts`].

use crate::fields::{FieldDef, FieldType};
use crate::search::{Condition, Op, SearchError, normalize_text};
use crate::{Priority, Role, Status, TicketType, normalize_tag};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Record {
    Ticket,
    User,
    Organization,
}

impl Record {
    pub fn as_str(self) -> &'static str {
        match self {
            Record::Ticket => "ticket",
            Record::User => "user",
            Record::Organization => "organization",
        }
    }

    pub fn parse(s: &str) -> Option<Record> {
        match s.to_ascii_lowercase().as_str() {
            "ticket" | "tickets" => Some(Record::Ticket),
            "user" | "users" => Some(Record::User),
            "organization" | "organizations" | "org" => Some(Record::Organization),
            _ => None,
        }
    }
}

/// A reference to a user, group or organization as a search names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ref {
    Id(i64),
    /// `none`: the field is empty.
    None,
    /// An email address or a name, lowercased (compared without case).
    Text(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserRole {
    Requester,
    Assignee,
    Submitter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeField {
    Created,
    Updated,
    Solved,
    Due,
    /// When the status last changed.
    StatusChanged,
    /// When the current assignee was assigned.
    Assigned,
    /// When the requester last commented.
    RequesterUpdated,
    /// When the assignee last commented.
    AssigneeUpdated,
}

/// Where free text may be looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Anywhere in the record.
    Any,
    Subject,
    Comments,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Predicate {
    Status(Vec<Status>),
    CustomStatus(i64),
    /// Priorities allowed; `None` inside means "no priority".
    Priority(Vec<Option<Priority>>),
    TicketType(Vec<Option<TicketType>>),
    Tag(String),
    User(UserRole, Ref),
    Group(Ref),
    Organization(Ref),
    /// `[from, to)` in Unix seconds; either end open.
    Time(TimeField, Option<i64>, Option<i64>),
    Via(String),
    ExternalId(String),
    /// The address an emailed ticket was received at (lowercased).
    Recipient(String),
    /// The ticket's brand (`None`: no brand).
    Brand(Option<i64>),
    Text(Section, String),
    Role(Role),
    /// `type:` naming this record's type (always true) or another (always false).
    RecordType(bool),
    /// A custom field's value (the field's id).
    Custom(i64, FieldTest),
    /// A custom field of the record's organization (users: `plan:` of their organization).
    OrganizationCustom(i64, FieldTest),
}

/// What a custom field's value must be.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldTest {
    /// One stored value equals this (normalised as free text is).
    Is(String),
    /// A checkbox is ticked (an unset checkbox is not).
    Checked(bool),
    /// A numeric value compares so with this number.
    Number(Op, f64),
    /// A date (`YYYY-MM-DD`) compares so with this one.
    Date(Op, String),
    /// The field holds no value.
    Empty,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    All(Vec<Filter>),
    Any(Vec<Filter>),
    Not(Box<Filter>),
    Pred(Predicate),
}

/// What resolution needs from outside: the time now, who is asking (`me`) and the custom
/// fields of the record type being searched.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub now: i64,
    pub me: i64,
    pub fields: &'a [FieldDef],
    /// For users: their organization's custom fields, also searchable by key.
    pub org_fields: &'a [FieldDef],
}

fn err<T>(
    at: usize,
    key: &'static str,
    args: &[(&'static str, &dyn std::fmt::Display)],
    message: String,
) -> Result<T, SearchError> {
    Err(SearchError::new(at, key, args, message))
}

/// A value the domain refused, at its place in the query.
fn refused<T>(at: usize, e: crate::Invalid) -> Result<T, SearchError> {
    Err(SearchError { position: at, message: e.message, reason: e.reason })
}

pub const TICKET_FIELDS: &str = "status, custom_status_id, priority, ticket_type, tags, requester, assignee, submitter, group, organization, created, updated, solved, due_date, status_changed, assigned, requester_updated, assignee_updated, via, recipient, brand, external_id, subject, description, comment, type";
const USER_FIELDS: &str =
    "name, email, role, organization, tags, phone, external_id, notes, details, created, updated, type";
const ORGANIZATION_FIELDS: &str = "name, tags, external_id, notes, details, created, updated, type";

/// Resolves a parsed condition for one record type.
pub fn resolve(c: &Condition, record: Record, ctx: Context<'_>) -> Result<Filter, SearchError> {
    Ok(match c {
        Condition::All(v) => Filter::All(v.iter().map(|c| resolve(c, record, ctx)).collect::<Result<_, _>>()?),
        Condition::Any(v) => Filter::Any(v.iter().map(|c| resolve(c, record, ctx)).collect::<Result<_, _>>()?),
        Condition::Not(b) => Filter::Not(Box::new(resolve(b, record, ctx)?)),
        Condition::Text { text, .. } => Filter::Pred(Predicate::Text(Section::Any, text.clone())),
        Condition::Field { field, op, value, at } => {
            Filter::Pred(field_predicate(field, *op, value, *at, record, ctx)?)
        }
    })
}

fn eq_only(field: &str, op: Op, at: usize) -> Result<(), SearchError> {
    if op == Op::Eq {
        Ok(())
    } else {
        err(at, "search-colon-only", &[("field", &field)], format!("{field} can only be compared with ':'"))
    }
}

fn reference(value: &str, ctx: Context<'_>) -> Ref {
    let v = value.trim();
    if v.eq_ignore_ascii_case("none") {
        Ref::None
    } else if v.eq_ignore_ascii_case("me") {
        Ref::Id(ctx.me)
    } else if let Ok(id) = v.parse::<i64>() {
        Ref::Id(id)
    } else {
        Ref::Text(v.to_lowercase())
    }
}

/// Picks the members of an ordered set that satisfy `op value`.
fn ordered<T: Copy + Ord>(all: &[T], op: Op, v: T) -> Vec<T> {
    all.iter()
        .copied()
        .filter(|x| match op {
            Op::Eq => *x == v,
            Op::Lt => *x < v,
            Op::Le => *x <= v,
            Op::Gt => *x > v,
            Op::Ge => *x >= v,
        })
        .collect()
}

#[allow(clippy::too_many_lines, reason = "longer than a screen: on the list to split (ARCHITECTURE.md)")]
fn field_predicate(
    field: &str,
    op: Op,
    value: &str,
    at: usize,
    record: Record,
    ctx: Context<'_>,
) -> Result<Predicate, SearchError> {
    let text = |section| Predicate::Text(section, normalize_text(value));
    let custom = field
        .strip_prefix("custom_field_")
        .and_then(|id| id.parse::<i64>().ok())
        .and_then(|id| ctx.fields.iter().find(|f| f.id == id))
        .or_else(|| ctx.fields.iter().find(|f| f.key == field));
    if let Some(def) = custom {
        return custom_test(def, op, value, at).map(|t| Predicate::Custom(def.id, t));
    }
    if record == Record::User
        && let Some(def) = ctx.org_fields.iter().find(|f| f.key == field)
    {
        return custom_test(def, op, value, at).map(|t| Predicate::OrganizationCustom(def.id, t));
    }
    // Shared by every record type.
    match field {
        "type" => {
            eq_only(field, op, at)?;
            return match Record::parse(value) {
                Some(r) => Ok(Predicate::RecordType(r == record)),
                None => err(
                    at,
                    "search-bad-type",
                    &[("value", &value)],
                    format!("type must be ticket, user or organization, not {value:?}"),
                ),
            };
        }
        "tags" | "tag" => {
            eq_only(field, op, at)?;
            return normalize_tag(value).map(Predicate::Tag).or_else(|e| refused(at, e));
        }
        "created" | "created_at" | "updated" | "updated_at" => {
            let f = if field.starts_with("created") { TimeField::Created } else { TimeField::Updated };
            return time_range(f, op, value, at, ctx);
        }
        "external_id" => {
            eq_only(field, op, at)?;
            return Ok(Predicate::ExternalId(value.to_string()));
        }
        _ => {}
    }
    match record {
        Record::Ticket => match field {
            "custom_status_id" | "custom_status" => {
                eq_only(field, op, at)?;
                value.trim().parse::<i64>().map(Predicate::CustomStatus).or_else(|_| {
                    err(
                        at,
                        "search-needs-id",
                        &[("field", &"custom_status_id"), ("value", &value)],
                        format!("custom_status_id needs a status id, not {value:?}"),
                    )
                })
            }
            "status" => {
                Status::parse(value).map(|s| Predicate::Status(ordered(Status::ALL, op, s))).or_else(|e| refused(at, e))
            }
            "priority" if value.eq_ignore_ascii_case("none") => {
                eq_only(field, op, at)?;
                Ok(Predicate::Priority(vec![None]))
            }
            "priority" => Priority::parse(value)
                .map(|p| Predicate::Priority(ordered(Priority::ALL, op, p).into_iter().map(Some).collect()))
                .or_else(|e| refused(at, e)),
            "ticket_type" => {
                eq_only(field, op, at)?;
                if value.eq_ignore_ascii_case("none") {
                    return Ok(Predicate::TicketType(vec![None]));
                }
                TicketType::parse(value).map(|t| Predicate::TicketType(vec![Some(t)])).or_else(|e| refused(at, e))
            }
            "requester" | "assignee" | "submitter" => {
                eq_only(field, op, at)?;
                let role = match field {
                    "requester" => UserRole::Requester,
                    "assignee" => UserRole::Assignee,
                    _ => UserRole::Submitter,
                };
                Ok(Predicate::User(role, reference(value, ctx)))
            }
            "group" => eq_only(field, op, at).map(|_| Predicate::Group(reference(value, ctx))),
            "organization" => eq_only(field, op, at).map(|_| Predicate::Organization(reference(value, ctx))),
            "solved" => time_range(TimeField::Solved, op, value, at, ctx),
            "due_date" => time_range(TimeField::Due, op, value, at, ctx),
            "status_changed" => time_range(TimeField::StatusChanged, op, value, at, ctx),
            "assigned" => time_range(TimeField::Assigned, op, value, at, ctx),
            "requester_updated" => time_range(TimeField::RequesterUpdated, op, value, at, ctx),
            "assignee_updated" => time_range(TimeField::AssigneeUpdated, op, value, at, ctx),
            "via" => eq_only(field, op, at).map(|_| Predicate::Via(value.to_lowercase())),
            "recipient" => eq_only(field, op, at).map(|_| Predicate::Recipient(value.trim().to_lowercase())),
            "brand" => {
                eq_only(field, op, at)?;
                if value.eq_ignore_ascii_case("none") {
                    return Ok(Predicate::Brand(None));
                }
                value.trim().parse::<i64>().map(|b| Predicate::Brand(Some(b))).or_else(|_| {
                    err(
                        at,
                        "search-needs-id",
                        &[("field", &"brand"), ("value", &value)],
                        format!("brand needs a brand id, not {value:?}"),
                    )
                })
            }
            "subject" => eq_only(field, op, at).map(|_| text(Section::Subject)),
            "description" | "comment" => eq_only(field, op, at).map(|_| text(Section::Comments)),
            _ => unknown(field, at, "tickets", TICKET_FIELDS, ctx),
        },
        Record::User => match field {
            "name" | "email" | "phone" | "notes" | "details" => eq_only(field, op, at).map(|_| text(Section::Any)),
            "role" => {
                eq_only(field, op, at)?;
                Role::parse(value).map(Predicate::Role).or_else(|e| refused(at, e))
            }
            "organization" => eq_only(field, op, at).map(|_| Predicate::Organization(reference(value, ctx))),
            _ => unknown(field, at, "users", USER_FIELDS, ctx),
        },
        Record::Organization => match field {
            "name" | "notes" | "details" => eq_only(field, op, at).map(|_| text(Section::Any)),
            _ => unknown(field, at, "organizations", ORGANIZATION_FIELDS, ctx),
        },
    }
}

fn unknown<T>(field: &str, at: usize, records: &str, known: &str, ctx: Context<'_>) -> Result<T, SearchError> {
    let keys: Vec<&str> = ctx.fields.iter().map(|f| f.key.as_str()).collect();
    let custom = if keys.is_empty() { String::new() } else { format!("; custom fields: {}", keys.join(", ")) };
    let all_known = if keys.is_empty() { known.to_string() } else { format!("{known}, {}", keys.join(", ")) };
    err(
        at,
        "search-unknown-field",
        &[("field", &field), ("known", &all_known)],
        format!("unknown field {field:?} for {records}; known fields: {known}{custom}"),
    )
}

/// The test a `key:value` term on a custom field makes, checked against the field's type.
fn custom_test(def: &FieldDef, op: Op, value: &str, at: usize) -> Result<FieldTest, SearchError> {
    if value.eq_ignore_ascii_case("none") && op == Op::Eq {
        return Ok(FieldTest::Empty);
    }
    let bad = |e: crate::Invalid| {
        SearchError::new(at, "search-bad-field-value", &[("field", &def.key), ("value", &value)], e.message)
    };
    match def.kind {
        FieldType::Integer | FieldType::Decimal => {
            let stored = def.check(&serde_json::Value::String(value.to_string())).map_err(bad)?;
            Ok(FieldTest::Number(op, stored[0].number.unwrap_or_default()))
        }
        FieldType::Date => {
            let stored = def.check(&serde_json::Value::String(value.to_string())).map_err(bad)?;
            Ok(FieldTest::Date(op, stored[0].value.clone()))
        }
        _ if op != Op::Eq => {
            err(at, "search-colon-only", &[("field", &def.key)], format!("{} can only be compared with ':'", def.key))
        }
        FieldType::Checkbox => {
            let stored = def.check(&serde_json::Value::String(value.to_string())).map_err(bad)?;
            Ok(FieldTest::Checked(stored[0].value == "true"))
        }
        FieldType::Tagger | FieldType::Multiselect => {
            let o = def.option(value).ok_or_else(|| {
                let names: Vec<&str> = def.options.iter().map(|o| o.value.as_str()).collect();
                let names = names.join(", ");
                SearchError::new(
                    at,
                    "search-not-an-option",
                    &[("value", &value), ("field", &def.key), ("expected", &names)],
                    format!("{value:?} is not an option of {} ({names})", def.key),
                )
            })?;
            Ok(FieldTest::Is(normalize_text(&o.value)))
        }
        _ => Ok(FieldTest::Is(normalize_text(value))),
    }
}

const DAY: i64 = 86_400;

/// Parses `2026-01-01`, `2026-01-15T10:00:00Z`, a relative `3days`/`4hours` (that long ago) or
/// `in3days` (that long from now) into `(instant, length)`: a date is a whole day, the others
/// an instant.
fn parse_time_value(value: &str, now: i64) -> Option<(i64, i64)> {
    let v = value.trim();
    if let Ok(ts) = v.parse::<jiff::Timestamp>() {
        return Some((ts.as_second(), 0));
    }
    if let Ok(d) = v.parse::<jiff::civil::Date>() {
        let start = d.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp().as_second();
        return Some((start, DAY));
    }
    // `in3days`: that long from now (rules' "hours until due").
    let (ahead, v) = match v.strip_prefix("in") {
        Some(rest) => (true, rest),
        None => (false, v),
    };
    let digits: String = v.chars().take_while(char::is_ascii_digit).collect();
    let n: i64 = digits.parse().ok()?;
    let unit = v[digits.len()..].trim().trim_end_matches('s');
    let secs = match unit {
        "minute" | "min" => 60,
        "hour" => 3_600,
        "day" => DAY,
        "week" => 7 * DAY,
        "month" => 30 * DAY,
        "year" => 365 * DAY,
        _ => return None,
    };
    let span = n.checked_mul(secs)?;
    Some((if ahead { now + span } else { now - span }, 0))
}

fn time_range(field: TimeField, op: Op, value: &str, at: usize, ctx: Context<'_>) -> Result<Predicate, SearchError> {
    let Some((start, len)) = parse_time_value(value, ctx.now) else {
        return err(
            at,
            "search-not-a-time",
            &[("value", &value)],
            format!("{value:?} is not a date (2026-01-31), a time (2026-01-31T10:00:00Z) or an age (3days, 4hours)"),
        );
    };
    // A day compares as a whole: created>2026-01-01 starts the next day, created:2026-01-01 is that day.
    let end = start + len;
    let (from, to) = match op {
        Op::Eq if len > 0 => (Some(start), Some(end)),
        Op::Eq => (Some(start), Some(start + 1)),
        Op::Gt if len > 0 => (Some(end), None),
        Op::Gt => (Some(start + 1), None),
        Op::Ge => (Some(start), None),
        Op::Lt => (None, Some(start)),
        Op::Le if len > 0 => (None, Some(end)),
        Op::Le => (None, Some(start + 1)),
    };
    Ok(Predicate::Time(field, from, to))
}

/// A ticket as the in-memory evaluator sees it (ids already resolved; texts normalised).
#[derive(Debug, Clone, Default)]
pub struct TicketFacts {
    pub status: Option<Status>,
    pub custom_status_id: Option<i64>,
    pub priority: Option<Priority>,
    pub ticket_type: Option<TicketType>,
    pub tags: Vec<String>,
    pub requester_id: i64,
    pub assignee_id: Option<i64>,
    pub submitter_id: i64,
    pub group_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub solved_at: Option<i64>,
    pub due_at: Option<i64>,
    pub status_changed_at: i64,
    pub assigned_at: Option<i64>,
    pub requester_updated_at: Option<i64>,
    pub assignee_updated_at: Option<i64>,
    pub via: String,
    pub recipient: Option<String>,
    pub brand_id: Option<i64>,
    pub external_id: Option<String>,
    pub subject: String,
    pub comments: Vec<String>,
    /// Custom field values by field id, as stored.
    pub custom: Vec<(i64, Vec<String>)>,
}

impl Filter {
    /// Evaluates the filter against a ticket. References by name or email cannot be decided
    /// from ids alone and never match here; the SQL compiler resolves them.
    pub fn matches(&self, t: &TicketFacts) -> bool {
        match self {
            Filter::All(v) => v.iter().all(|f| f.matches(t)),
            Filter::Any(v) => v.iter().any(|f| f.matches(t)),
            Filter::Not(f) => !f.matches(t),
            Filter::Pred(p) => p.matches(t),
        }
    }
}

fn ref_matches(r: &Ref, v: Option<i64>) -> bool {
    match r {
        Ref::Id(id) => v == Some(*id),
        Ref::None => v.is_none(),
        Ref::Text(_) => false,
    }
}

impl Predicate {
    fn matches(&self, t: &TicketFacts) -> bool {
        let in_range = |v: Option<i64>, from: &Option<i64>, to: &Option<i64>| {
            v.is_some_and(|v| from.is_none_or(|f| v >= f) && to.is_none_or(|x| v < x))
        };
        let contains = |hay: &str, needle: &str| crate::search::normalize_text(hay).contains(needle);
        match self {
            Predicate::Status(s) => t.status.is_some_and(|x| s.contains(&x)),
            Predicate::CustomStatus(id) => t.custom_status_id == Some(*id),
            Predicate::Priority(p) => p.contains(&t.priority),
            Predicate::TicketType(v) => v.contains(&t.ticket_type),
            Predicate::Tag(tag) => t.tags.contains(tag),
            Predicate::User(UserRole::Requester, r) => ref_matches(r, Some(t.requester_id)),
            Predicate::User(UserRole::Submitter, r) => ref_matches(r, Some(t.submitter_id)),
            Predicate::User(UserRole::Assignee, r) => ref_matches(r, t.assignee_id),
            Predicate::Group(r) => ref_matches(r, t.group_id),
            Predicate::Organization(r) => ref_matches(r, t.organization_id),
            Predicate::Time(TimeField::Created, f, to) => in_range(Some(t.created_at), f, to),
            Predicate::Time(TimeField::Updated, f, to) => in_range(Some(t.updated_at), f, to),
            Predicate::Time(TimeField::Solved, f, to) => in_range(t.solved_at, f, to),
            Predicate::Time(TimeField::Due, f, to) => in_range(t.due_at, f, to),
            Predicate::Time(TimeField::StatusChanged, f, to) => in_range(Some(t.status_changed_at), f, to),
            Predicate::Time(TimeField::Assigned, f, to) => in_range(t.assigned_at, f, to),
            Predicate::Time(TimeField::RequesterUpdated, f, to) => in_range(t.requester_updated_at, f, to),
            Predicate::Time(TimeField::AssigneeUpdated, f, to) => in_range(t.assignee_updated_at, f, to),
            Predicate::Via(v) => &t.via == v,
            Predicate::ExternalId(x) => t.external_id.as_deref() == Some(x.as_str()),
            Predicate::Recipient(r) => t.recipient.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(r)),
            Predicate::Brand(b) => t.brand_id == *b,
            Predicate::Text(Section::Subject, s) => contains(&t.subject, s),
            Predicate::Text(Section::Comments, s) => t.comments.iter().any(|c| contains(c, s)),
            Predicate::Text(Section::Any, s) => contains(&t.subject, s) || t.comments.iter().any(|c| contains(c, s)),
            Predicate::Custom(id, test) => {
                let values = t.custom.iter().find(|(f, _)| f == id).map_or(&[][..], |(_, v)| v.as_slice());
                test.holds(values)
            }
            // Users only: tickets have no such field.
            Predicate::Role(_) | Predicate::OrganizationCustom(..) => false,
            Predicate::RecordType(b) => *b,
        }
    }
}

impl FieldTest {
    /// Whether a record holding these stored values passes.
    pub fn holds(&self, values: &[String]) -> bool {
        let cmp = |op: Op, o: std::cmp::Ordering| match op {
            Op::Eq => o.is_eq(),
            Op::Lt => o.is_lt(),
            Op::Le => o.is_le(),
            Op::Gt => o.is_gt(),
            Op::Ge => o.is_ge(),
        };
        match self {
            FieldTest::Is(k) => values.iter().any(|v| normalize_text(v) == *k),
            FieldTest::Checked(b) => values.iter().any(|v| v == "true") == *b,
            FieldTest::Number(op, n) => values
                .iter()
                .filter_map(|v| v.parse::<f64>().ok())
                .any(|v| v.partial_cmp(n).is_some_and(|o| cmp(*op, o))),
            FieldTest::Date(op, d) => values.iter().any(|v| cmp(*op, v.as_str().cmp(d.as_str()))),
            FieldTest::Empty => values.is_empty(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::parse;

    const CTX: Context<'static> = Context { now: 1_800_000_000, me: 7, fields: &[], org_fields: &[] };

    fn r(q: &str) -> Result<Filter, SearchError> {
        resolve(&parse(q).unwrap(), Record::Ticket, CTX)
    }

    #[test]
    fn ordered_fields_and_dates() {
        assert_eq!(
            r("status<solved").unwrap(),
            Filter::Pred(Predicate::Status(vec![Status::New, Status::Open, Status::Pending, Status::Hold]))
        );
        assert_eq!(
            r("priority>=high").unwrap(),
            Filter::Pred(Predicate::Priority(vec![Some(Priority::High), Some(Priority::Urgent)]))
        );
        let day = 1_767_225_600; // 2026-01-01T00:00:00Z
        assert_eq!(
            r("created>2026-01-01").unwrap(),
            Filter::Pred(Predicate::Time(TimeField::Created, Some(day + DAY), None))
        );
        assert_eq!(
            r("created:2026-01-01").unwrap(),
            Filter::Pred(Predicate::Time(TimeField::Created, Some(day), Some(day + DAY)))
        );
        assert_eq!(
            r("updated<3days").unwrap(),
            Filter::Pred(Predicate::Time(TimeField::Updated, None, Some(CTX.now - 3 * DAY)))
        );
        assert_eq!(r("assignee:me").unwrap(), Filter::Pred(Predicate::User(UserRole::Assignee, Ref::Id(7))));
        assert_eq!(r("group:none").unwrap(), Filter::Pred(Predicate::Group(Ref::None)));
    }

    #[test]
    fn bad_fields_and_values_name_their_position() {
        let e = r("status:open colour:red").unwrap_err();
        assert_eq!(e.position, 12);
        assert!(e.message.contains("unknown field \"colour\" for tickets"), "{e}");
        let e = r("status:waiting").unwrap_err();
        assert!(e.message.contains("waiting is not a valid status"), "{e}");
        let e = r("created>yesterday").unwrap_err();
        assert!(e.message.contains("is not a date"), "{e}");
        assert!(resolve(&parse("role:agent").unwrap(), Record::User, CTX).is_ok());
        assert!(resolve(&parse("role:boss").unwrap(), Record::User, CTX).is_err());
    }

    #[test]
    fn evaluates_in_memory() {
        let t = TicketFacts {
            status: Some(Status::Open),
            priority: None,
            tags: vec!["vip".into()],
            requester_id: 3,
            subject: "Fatura não chegou".into(),
            comments: vec!["請求書が届きません".into()],
            created_at: CTX.now - 10,
            ..Default::default()
        };
        for (q, want) in [
            ("status<solved tags:vip", true),
            ("-tags:vip", false),
            ("nao chegou", true),
            ("\"fatura nao\"", true),
            ("請求", true),
            ("subject:請求", false),
            ("priority:none requester:3", true),
            ("priority:low OR assignee:none", true),
            ("created>1hours", true),
            ("created<1hours", false),
        ] {
            assert_eq!(r(q).unwrap().matches(&t), want, "{q}");
        }
    }
}
