//! Conditions as views and business rules send them (`{"field", "operator", "value"}` in
//! `all` and `any` lists, `zendesk-api.md` §12.2), turned into the search language's
//! [`Condition`] tree, so a view and a query compile through the same code.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::search::{Condition, Op};
use crate::{Invalid, Reason};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleCondition {
    pub field: String,
    pub operator: String,
    #[serde(default)]
    pub value: Value,
}

/// `all` and `any` as stored and echoed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Conditions {
    #[serde(default)]
    pub all: Vec<RuleCondition>,
    #[serde(default)]
    pub any: Vec<RuleCondition>,
}

/// A condition that cannot be used, with where it is (`all[2]`): the API's English message and
/// the same problem as a `Reason` for the pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionError {
    pub place: String,
    pub message: String,
    pub reason: Reason,
}

impl ConditionError {
    pub fn new(place: String, e: Invalid) -> Self {
        ConditionError { place, message: e.message, reason: e.reason }
    }
}

impl From<ConditionError> for Invalid {
    fn from(e: ConditionError) -> Self {
        Invalid { message: e.message, reason: e.reason }
    }
}

impl std::fmt::Display for ConditionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "conditions.{}: {}", self.place, self.message)
    }
}

/// Where condition `at` (as [`Conditions::tree`] numbers them) is: `all[i]` or `any[i]`.
pub fn place(c: &Conditions, at: usize) -> String {
    if at < c.all.len() { format!("all[{at}]") } else { format!("any[{}]", at - c.all.len()) }
}

pub(crate) fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(a) => a.iter().map(text_of).collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

/// Zendesk's numeric `via_id`s for the channels we have.
pub(crate) fn via_name(v: &str) -> String {
    match v {
        "0" => "web".into(),
        "4" => "email".into(),
        "5" => "api".into(),
        "8" => "rule".into(),
        "29" => "chat".into(),
        other => other.to_lowercase(),
    }
}

impl Conditions {
    /// The tree: every `all` condition, and at least one `any` condition when there are any.
    /// Each field term's `at` is the condition's index (all first, then any), for errors.
    pub fn tree(&self) -> Result<Condition, ConditionError> {
        let mut all = Vec::new();
        for (i, c) in self.all.iter().enumerate() {
            all.push(one(c, i).map_err(|e| ConditionError::new(format!("all[{i}]"), e))?);
        }
        if !self.any.is_empty() {
            let mut any = Vec::new();
            for (i, c) in self.any.iter().enumerate() {
                let at = self.all.len() + i;
                any.push(one(c, at).map_err(|e| ConditionError::new(format!("any[{i}]"), e))?);
            }
            all.push(Condition::Any(any));
        }
        Ok(Condition::All(all))
    }
}

fn term(field: &str, op: Op, value: impl Into<String>, at: usize) -> Condition {
    Condition::Field { field: field.to_string(), op, value: value.into(), at }
}

/// A time condition's value that is not a number of hours.
pub(crate) fn hours_needed(field: &str, value: &str) -> Invalid {
    Invalid::new(
        "error-hours-needed",
        &[("field", &field), ("value", &value)],
        format!("{field} needs a number of hours, not {value:?}"),
    )
}

/// An operator the field does not take, and the ones it does.
pub(crate) fn operator_for(field: &str, op: &str, expected: &str) -> Invalid {
    Invalid::new(
        "error-operator-for",
        &[("field", &field), ("operator", &op), ("expected", &expected)],
        format!("{field} takes {expected}, not {op:?}"),
    )
}

/// One condition as a tree.
fn one(c: &RuleCondition, at: usize) -> Result<Condition, Invalid> {
    let raw = text_of(&c.value);
    let value = raw.trim();
    let field = c.field.as_str();
    // Hours since a time (`updated_at greater_than 24`: updated more than 24 hours ago); for a
    // status in capitals, hours since the ticket took that status (and it still has it).
    let time_field = match field {
        "created_at" | "created" => Some(("created", None)),
        "updated_at" | "updated" => Some(("updated", None)),
        "solved_at" => Some(("solved", None)),
        "due_date" => Some(("due_date", None)),
        "assigned_at" => Some(("assigned", None)),
        "requester_updated_at" => Some(("requester_updated", None)),
        "assignee_updated_at" => Some(("assignee_updated", None)),
        "status_changed_at" => Some(("status_changed", None)),
        "NEW" | "OPEN" | "PENDING" | "HOLD" | "SOLVED" | "CLOSED" => Some(("status_changed", Some(field))),
        _ => None,
    };
    if let Some((tf, status)) = time_field {
        let n: u32 = value.parse().map_err(|_| hours_needed(field, value))?;
        let since = match c.operator.as_str() {
            "greater_than" => term(tf, Op::Lt, format!("{n}hours"), at),
            "less_than" => term(tf, Op::Gt, format!("{n}hours"), at),
            "within_previous_n_days" => term(tf, Op::Gt, format!("{n}days"), at),
            "is" => Condition::All(vec![
                term(tf, Op::Le, format!("{n}hours"), at),
                term(tf, Op::Gt, format!("{}hours", n + 1), at),
            ]),
            op => return Err(operator_for(field, op, "greater_than, less_than, is, within_previous_n_days")),
        };
        return Ok(match status {
            Some(s) => Condition::All(vec![term("status", Op::Eq, s.to_lowercase(), at), since]),
            None => since,
        });
    }
    if field == "until_due_date" {
        // Hours until the due date: `less_than 24` is due within a day (and not yet past).
        let n: u32 = value.parse().map_err(|_| hours_needed(field, value))?;
        let (due, ahead) = ("due_date", format!("in{n}hours"));
        return match c.operator.as_str() {
            "less_than" => Ok(Condition::All(vec![term(due, Op::Lt, ahead, at), term(due, Op::Ge, "in0hours", at)])),
            "greater_than" => Ok(term(due, Op::Gt, ahead, at)),
            op => Err(operator_for(field, op, "greater_than, less_than")),
        };
    }
    let name = match field {
        "status" => "status",
        "type" | "ticket_type_id" => "ticket_type",
        "priority" => "priority",
        "group_id" => "group",
        "assignee_id" => "assignee",
        "requester_id" => "requester",
        "submitter_id" => "submitter",
        "organization_id" => "organization",
        "custom_status_id" => "custom_status_id",
        "via_id" => "via",
        "recipient" => "recipient",
        "brand_id" => "brand",
        "current_tags" | "tags" => "tags",
        "subject_includes_word" => "subject",
        "comment_includes_word" => "comment",
        f if f.starts_with("custom_fields_") => {
            let id = &f["custom_fields_".len()..];
            return by_operator(c, &format!("custom_field_{id}"), value, at);
        }
        f if f.starts_with(|ch: char| ch.is_ascii_uppercase()) => {
            return Err(Invalid::new(
                "error-condition-unsupported",
                &[("field", &f)],
                format!("{f} (hours since a status) is not supported yet; use updated_at or created_at"),
            ));
        }
        // Anything else is tried as a field of the search language (custom field keys included).
        f => f,
    };
    let value = match (name, value) {
        ("assignee" | "requester" | "submitter", "current_user") => "me".to_string(),
        ("group" | "assignee" | "organization" | "brand", "") => "none".to_string(),
        ("via", v) => via_name(v),
        (_, v) => v.to_string(),
    };
    by_operator(c, name, &value, at)
}

fn by_operator(c: &RuleCondition, name: &str, value: &str, at: usize) -> Result<Condition, Invalid> {
    let words = || -> Vec<Condition> { value.split_whitespace().map(|w| term(name, Op::Eq, w, at)).collect() };
    Ok(match c.operator.as_str() {
        "is" => term(name, Op::Eq, value, at),
        "is_not" => Condition::Not(Box::new(term(name, Op::Eq, value, at))),
        "less_than" => term(name, Op::Lt, value, at),
        "greater_than" => term(name, Op::Gt, value, at),
        "less_than_equal" => term(name, Op::Le, value, at),
        "greater_than_equal" => term(name, Op::Ge, value, at),
        "includes" if words().is_empty() => {
            return Err(Invalid::new(
                "error-includes-needs-value",
                &[("field", &c.field)],
                format!("{} includes needs at least one value", c.field),
            ));
        }
        "includes" => Condition::Any(words()),
        "not_includes" => Condition::Not(Box::new(Condition::Any(words()))),
        "present" => Condition::Not(Box::new(term(name, Op::Eq, "none", at))),
        "not_present" => term(name, Op::Eq, "none", at),
        op => {
            let expected = "is, is_not, less_than, greater_than, less_than_equal, greater_than_equal, includes, \
                            not_includes, present, not_present";
            return Err(Invalid::new(
                "error-not-one-of",
                &[("value", &op), ("expected", &expected)],
                format!("operator {op:?} is not one of {expected}"),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::{Context, Filter, Predicate, Record, Ref, UserRole, resolve};
    use crate::{Status, TicketType};
    use serde_json::json;

    fn cond(field: &str, operator: &str, value: Value) -> RuleCondition {
        RuleCondition { field: field.into(), operator: operator.into(), value }
    }

    #[test]
    fn view_conditions_become_the_search_tree() {
        let c = Conditions {
            all: vec![cond("status", "less_than", json!("solved")), cond("assignee_id", "is", json!("current_user"))],
            any: vec![cond("type", "is", json!("incident")), cond("current_tags", "includes", json!("vip gold"))],
        };
        let ctx = Context { now: 1_000_000, me: 9, fields: &[], org_fields: &[] };
        let f = resolve(&c.tree().unwrap(), Record::Ticket, ctx).unwrap();
        let Filter::All(parts) = f else { panic!() };
        assert_eq!(
            parts[0],
            Filter::Pred(Predicate::Status(vec![Status::New, Status::Open, Status::Pending, Status::Hold]))
        );
        assert_eq!(parts[1], Filter::Pred(Predicate::User(UserRole::Assignee, Ref::Id(9))));
        let Filter::Any(any) = &parts[2] else { panic!() };
        assert_eq!(any[0], Filter::Pred(Predicate::TicketType(vec![Some(TicketType::Incident)])));
        assert_eq!(
            any[1],
            Filter::Any(vec![Filter::Pred(Predicate::Tag("vip".into())), Filter::Pred(Predicate::Tag("gold".into()))])
        );

        let bad = Conditions {
            all: vec![cond("status", "is", json!("open")), cond("colour", "is", json!("red"))],
            any: vec![],
        };
        let e = resolve(&bad.tree().unwrap(), Record::Ticket, ctx).unwrap_err();
        assert_eq!(place(&bad, e.position), "all[1]");
        let e = Conditions { all: vec![], any: vec![cond("status", "resembles", json!("open"))] }.tree().unwrap_err();
        assert_eq!(e.place, "any[0]");
        assert!(e.to_string().starts_with("conditions.any[0]: operator \"resembles\""), "{e}");
    }
}
