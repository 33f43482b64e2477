//! The admin pages: forms over the API. Each page is described once ([`RESOURCES`]): where
//! the records live in the API, which columns the list shows, which fields the form has. A
//! list is the API's list, a save is the API's create or update, called in-process as the
//! signed-in admin, so the pages and the API share every check and every message. A refused
//! save shows each message next to the field it concerns.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::Form;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tower::ServiceExt;

use super::pages::{Problems, error_page, me, reader, signed_in};
use super::session::{self, Session};
use super::{PageForm, PageQuery, id_of};
use super::{local_time, render};
use crate::State;
use frontdesk_edge::Caller;
use frontdesk_edge::Result;

/// How a form field is edited, and how its value travels in the API's JSON.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Long,
    Number,
    Check,
    Choice(&'static [&'static str]),
    /// A list of strings, one per line.
    Lines,
    /// Drop-down choices, one `name | value` per line.
    Options,
    /// `{all: [...], any: [...]}` of `{field, operator, value}`, as rows.
    Conditions,
    /// `[{field, value}]`, as rows.
    Actions,
    /// A group, chosen by name.
    Group,
    /// Written, never shown.
    Password,
}

struct Field {
    name: &'static str,
    kind: Kind,
    /// Sent only when the record is made (a field's type and key cannot change).
    create_only: bool,
}

const fn field(name: &'static str, kind: Kind) -> Field {
    Field { name, kind, create_only: false }
}

const fn fixed(name: &'static str, kind: Kind) -> Field {
    Field { name, kind, create_only: true }
}

struct Resource {
    slug: &'static str,
    api: &'static str,
    one: &'static str,
    many: &'static str,
    columns: &'static [&'static str],
    fields: &'static [Field],
    deletable: bool,
    /// Trigger and automation pages show which tickets match now.
    simulates: bool,
}

const FIELD_TYPES: &[&str] =
    &["text", "textarea", "integer", "decimal", "date", "checkbox", "tagger", "multiselect", "regexp"];
const CUSTOM_FIELD: &[Field] = &[
    fixed("type", Kind::Choice(FIELD_TYPES)),
    field("title", Kind::Text),
    fixed("key", Kind::Text),
    field("description", Kind::Long),
    field("active", Kind::Check),
    field("required", Kind::Check),
    field("visible_in_portal", Kind::Check),
    field("editable_in_portal", Kind::Check),
    field("required_in_portal", Kind::Check),
    field("regexp_for_validation", Kind::Text),
    field("custom_field_options", Kind::Options),
];

const RESOURCES: &[Resource] = &[
    Resource {
        slug: "users",
        api: "/api/v2/users",
        one: "user",
        many: "users",
        columns: &["name", "email", "role", "suspended"],
        fields: &[
            field("name", Kind::Text),
            field("email", Kind::Text),
            field("role", Kind::Choice(&["end-user", "agent", "admin"])),
            field("organization_id", Kind::Number),
            field("phone", Kind::Text),
            field("time_zone", Kind::Text),
            field("locale", Kind::Choice(&["", "en-US", "pt-BR", "ja"])),
            field("suspended", Kind::Check),
            field("tags", Kind::Lines),
            field("notes", Kind::Long),
            field("password", Kind::Password),
        ],
        deletable: true,
        simulates: false,
    },
    Resource {
        slug: "organizations",
        api: "/api/v2/organizations",
        one: "organization",
        many: "organizations",
        columns: &["name", "domain_names"],
        fields: &[
            field("name", Kind::Text),
            field("domain_names", Kind::Lines),
            field("group_id", Kind::Group),
            field("shared_tickets", Kind::Check),
            field("shared_comments", Kind::Check),
            field("tags", Kind::Lines),
            field("details", Kind::Long),
            field("notes", Kind::Long),
        ],
        deletable: true,
        simulates: false,
    },
    Resource {
        slug: "groups",
        api: "/api/v2/groups",
        one: "group",
        many: "groups",
        columns: &["name", "description"],
        fields: &[field("name", Kind::Text), field("description", Kind::Long)],
        deletable: true,
        simulates: false,
    },
    Resource {
        slug: "ticket_fields",
        api: "/api/v2/ticket_fields",
        one: "ticket_field",
        many: "ticket_fields",
        columns: &["title", "type", "active"],
        fields: CUSTOM_FIELD,
        deletable: true,
        simulates: false,
    },
    Resource {
        slug: "user_fields",
        api: "/api/v2/user_fields",
        one: "user_field",
        many: "user_fields",
        columns: &["title", "key", "type", "active"],
        fields: CUSTOM_FIELD,
        deletable: true,
        simulates: false,
    },
    Resource {
        slug: "organization_fields",
        api: "/api/v2/organization_fields",
        one: "organization_field",
        many: "organization_fields",
        columns: &["title", "key", "type", "active"],
        fields: CUSTOM_FIELD,
        deletable: true,
        simulates: false,
    },
    Resource {
        slug: "custom_statuses",
        api: "/api/v2/custom_statuses",
        one: "custom_status",
        many: "custom_statuses",
        columns: &["agent_label", "status_category", "active", "default"],
        fields: &[
            fixed("status_category", Kind::Choice(&["new", "open", "pending", "hold", "solved"])),
            field("agent_label", Kind::Text),
            field("end_user_label", Kind::Text),
            field("description", Kind::Long),
            field("end_user_description", Kind::Long),
            field("active", Kind::Check),
        ],
        deletable: false,
        simulates: false,
    },
    Resource {
        slug: "views",
        api: "/api/v2/views",
        one: "view",
        many: "views",
        columns: &["title", "active"],
        fields: &[
            field("title", Kind::Text),
            field("description", Kind::Long),
            field("active", Kind::Check),
            field("conditions", Kind::Conditions),
            field("columns", Kind::Lines),
            field("sort_by", Kind::Text),
            field("sort_order", Kind::Choice(&["asc", "desc"])),
            field("group_by", Kind::Text),
        ],
        deletable: true,
        simulates: false,
    },
    Resource {
        slug: "macros",
        api: "/api/v2/macros",
        one: "macro",
        many: "macros",
        columns: &["title", "active"],
        fields: &[
            field("title", Kind::Text),
            field("description", Kind::Long),
            field("active", Kind::Check),
            field("actions", Kind::Actions),
        ],
        deletable: true,
        simulates: false,
    },
    Resource {
        slug: "triggers",
        api: "/api/v2/triggers",
        one: "trigger",
        many: "triggers",
        columns: &["title", "active", "position"],
        fields: &[
            field("title", Kind::Text),
            field("description", Kind::Long),
            field("active", Kind::Check),
            field("conditions", Kind::Conditions),
            field("actions", Kind::Actions),
        ],
        deletable: true,
        simulates: true,
    },
    Resource {
        slug: "automations",
        api: "/api/v2/automations",
        one: "automation",
        many: "automations",
        columns: &["title", "active", "position"],
        fields: &[
            field("title", Kind::Text),
            field("active", Kind::Check),
            field("conditions", Kind::Conditions),
            field("actions", Kind::Actions),
        ],
        deletable: true,
        simulates: true,
    },
    Resource {
        slug: "webhooks",
        api: "/api/v2/webhooks",
        one: "webhook",
        many: "webhooks",
        columns: &["name", "endpoint", "status"],
        fields: &[
            field("name", Kind::Text),
            field("endpoint", Kind::Text),
            field("http_method", Kind::Choice(&["post", "put", "patch", "get", "delete"])),
            field("request_format", Kind::Choice(&["json", "xml", "form_encoded"])),
            field("status", Kind::Choice(&["active", "inactive"])),
            field("description", Kind::Long),
        ],
        deletable: true,
        simulates: false,
    },
    Resource {
        slug: "recipient_addresses",
        api: "/api/v2/recipient_addresses",
        one: "recipient_address",
        many: "recipient_addresses",
        columns: &["email", "name", "brand_name", "group_id", "default"],
        fields: &[
            field("email", Kind::Text),
            field("name", Kind::Text),
            field("brand_name", Kind::Text),
            field("group_id", Kind::Group),
            field("default", Kind::Check),
        ],
        deletable: true,
        simulates: false,
    },
    Resource {
        slug: "api_tokens",
        api: "/api/v2/api_tokens",
        one: "api_token",
        many: "api_tokens",
        columns: &["description", "user_id", "created_at", "last_used_at"],
        fields: &[fixed("description", Kind::Text), fixed("user_id", Kind::Number)],
        deletable: true,
        simulates: false,
    },
];

/// Rows offered empty under a rule's conditions and actions, for adding.
const BLANK_ROWS: usize = 3;

pub(crate) static API: OnceLock<Router<State>> = OnceLock::new();

/// Calls the API in-process as the signed-in user: the same handlers, checks and messages.
async fn call(
    state: &State,
    s: &Session,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Result<(StatusCode, Value)> {
    let (status, body, _) = call_checked(state, s, method, path, body).await?;
    Ok((status, body))
}

/// [`call`], with the field errors of a refusal (which carry their translation keys).
async fn call_checked(
    state: &State,
    s: &Session,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Result<(StatusCode, Value, Vec<crate::error::FieldError>)> {
    let router = API
        .get()
        .cloned()
        .ok_or_else(|| crate::error::ApiError::Internal("the pages were not handed the API's routes".into()))?
        .with_state(state.clone());
    let bytes = body.map(|b| b.to_string()).unwrap_or_default();
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, "localhost")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(bytes))
        .map_err(|e| crate::error::ApiError::Internal(e.to_string()))?;
    req.extensions_mut().insert(Caller(Some(s.actor.clone())));
    let resp = match router.oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    let status = resp.status();
    let refused = resp.extensions().get::<crate::error::Refused>().map(|r| r.0.clone()).unwrap_or_default();
    let bytes = axum::body::to_bytes(resp.into_body(), 64 * 1024 * 1024)
        .await
        .map_err(|e| crate::error::ApiError::Internal(e.to_string()))?;
    Ok((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), refused))
}

fn resource(slug: &str) -> Option<&'static Resource> {
    RESOURCES.iter().find(|r| r.slug == slug)
}

/// An admin, or the page to answer instead.
async fn admin(state: &State, headers: &HeaderMap) -> std::result::Result<Session, Response> {
    let s = signed_in(state, headers).await?;
    if s.actor.is_admin() { Ok(s) } else { Err(error_page(state, headers, StatusCode::FORBIDDEN, "forbidden").await) }
}

/// An admin and the resource the path names, or the page to answer instead.
async fn admin_of(
    state: &State,
    headers: &HeaderMap,
    slug: &str,
) -> std::result::Result<(Session, &'static Resource), Response> {
    let s = admin(state, headers).await?;
    match resource(slug) {
        Some(res) => Ok((s, res)),
        None => Err(error_page(state, headers, StatusCode::NOT_FOUND, "not-found").await),
    }
}

fn nav(current: &str) -> Vec<minijinja::Value> {
    let mut list: Vec<_> = RESOURCES
        .iter()
        .map(|r| context! { slug => r.slug, key => format!("admin-{}", r.slug), current => r.slug == current })
        .collect();
    list.push(context! { slug => "settings", key => "admin-settings", current => current == "settings" });
    list
}

/// A value as a form shows it.
fn shown(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(shown).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// A field's value for the form, from the API's record (or what was posted).
fn field_value(field: &Field, record: &Value) -> minijinja::Value {
    let v =
        if field.name == "columns" || field.name == "sort_by" || field.name == "sort_order" || field.name == "group_by"
        {
            let out = record.get("execution").or(record.get("output")).cloned().unwrap_or(Value::Null);
            match field.name {
                "columns" => out["columns"]
                    .as_array()
                    .map(|c| Value::Array(c.iter().map(|x| x.get("id").cloned().unwrap_or(x.clone())).collect()))
                    .unwrap_or(Value::Null),
                "sort_by" => out.get("sort_by").cloned().unwrap_or(Value::Null),
                "sort_order" => out.get("sort_order").cloned().unwrap_or(Value::Null),
                _ => out.get("group_by").cloned().unwrap_or(Value::Null),
            }
        } else {
            record.get(field.name).cloned().unwrap_or(Value::Null)
        };
    match field.kind {
        Kind::Check => minijinja::Value::from(v.as_bool().unwrap_or(false)),
        Kind::Lines => minijinja::Value::from(
            v.as_array().map(|a| a.iter().map(shown).collect::<Vec<_>>().join("\n")).unwrap_or_else(|| shown(&v)),
        ),
        Kind::Options => minijinja::Value::from(
            v.as_array()
                .map(|a| {
                    a.iter()
                        .map(|o| format!("{} | {}", shown(&o["name"]), shown(&o["value"])))
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default(),
        ),
        Kind::Conditions => {
            let rows = |list: &str| -> Vec<minijinja::Value> {
                let mut out: Vec<_> = v[list]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|c| context! { field => shown(&c["field"]), operator => shown(&c["operator"]), value => json_text(&c["value"]) })
                    .collect();
                out.extend((0..BLANK_ROWS).map(|_| context! { field => "", operator => "", value => "" }));
                out
            };
            context! { all => rows("all"), any => rows("any") }
        }
        Kind::Actions => {
            let mut out: Vec<_> = v
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| context! { field => shown(&a["field"]), value => json_text(&a["value"]) })
                .collect();
            out.extend((0..BLANK_ROWS).map(|_| context! { field => "", value => "" }));
            minijinja::Value::from(out)
        }
        Kind::Password => minijinja::Value::from(""),
        _ => minijinja::Value::from(shown(&v)),
    }
}

/// A rule value as one text box holds it: strings as they are, lists and numbers as JSON.
fn json_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A text box's rule value back to JSON: a JSON list or number when it reads as one.
fn json_value(s: &str) -> Value {
    let t = s.trim();
    if t.starts_with('[')
        && let Ok(v) = serde_json::from_str(t)
    {
        return v;
    }
    json!(t)
}

/// The posted form as the API's record.
fn record_of(r: &Resource, form: &[(String, String)], is_new: bool) -> Map<String, Value> {
    let one = |k: &str| form.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let all = |k: &str| form.iter().filter(|(key, _)| key == k).map(|(_, v)| v.clone()).collect::<Vec<_>>();
    let mut m = Map::new();
    let mut output = Map::new();
    for field in r.fields {
        if field.create_only && !is_new {
            continue;
        }
        let name = field.name;
        let value = match field.kind {
            Kind::Text | Kind::Long | Kind::Choice(_) => match one(name) {
                Some(v) if v.trim().is_empty() => Value::Null,
                Some(v) => json!(v.trim()),
                None => continue,
            },
            Kind::Password => match one(name).filter(|v| !v.is_empty()) {
                Some(v) => json!(v),
                None => continue,
            },
            Kind::Number | Kind::Group => match one(name) {
                Some(v) if v.trim().is_empty() => Value::Null,
                Some(v) => v.trim().parse::<i64>().map(|n| json!(n)).unwrap_or_else(|_| json!(v.trim())),
                None => continue,
            },
            Kind::Check => json!(all(name).iter().any(|v| v == "1")),
            Kind::Lines => match one(name) {
                Some(v) => {
                    let items: Vec<Value> = v
                        .lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(|l| l.parse::<i64>().map(|n| json!(n)).unwrap_or_else(|_| json!(l)))
                        .collect();
                    Value::Array(items)
                }
                None => continue,
            },
            Kind::Options => match one(name) {
                Some(v) => Value::Array(
                    v.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(|l| match l.split_once('|') {
                            Some((n, val)) => json!({"name": n.trim(), "value": val.trim()}),
                            None => json!({"name": l, "value": l.to_lowercase().replace(' ', "_")}),
                        })
                        .collect(),
                ),
                None => continue,
            },
            Kind::Conditions => {
                let rows = |list: &str| -> Vec<Value> {
                    let fields = all(&format!("{list}.field"));
                    let ops = all(&format!("{list}.operator"));
                    let values = all(&format!("{list}.value"));
                    fields
                        .iter()
                        .enumerate()
                        .filter(|(_, f)| !f.trim().is_empty())
                        .map(|(i, f)| {
                            json!({
                                "field": f.trim(),
                                "operator": ops.get(i).map(|o| o.trim()).unwrap_or(""),
                                "value": json_value(values.get(i).map(String::as_str).unwrap_or("")),
                            })
                        })
                        .collect()
                };
                json!({"all": rows("all"), "any": rows("any")})
            }
            Kind::Actions => {
                let fields = all("actions.field");
                let values = all("actions.value");
                Value::Array(
                    fields
                        .iter()
                        .enumerate()
                        .filter(|(_, f)| !f.trim().is_empty())
                        .map(|(i, f)| {
                            json!({"field": f.trim(), "value": json_value(values.get(i).map(String::as_str).unwrap_or(""))})
                        })
                        .collect(),
                )
            }
        };
        if matches!(name, "columns" | "sort_by" | "sort_order" | "group_by") {
            output.insert(name.into(), value);
        } else {
            m.insert(name.into(), value);
        }
    }
    if !output.is_empty() {
        if output.get("columns").is_some_and(|c| c.as_array().is_some_and(|a| a.is_empty())) {
            output.remove("columns");
        }
        output.retain(|_, v| !v.is_null());
        m.insert("output".into(), Value::Object(output));
    }
    m
}

/// The API's refusal as messages by form field, in the reader's language where we know the
/// kind of error, with the API's own words where they are specific.
fn field_errors(
    status: StatusCode,
    body: &Value,
    refused: &[crate::error::FieldError],
    locale: frontdesk_domain::Locale,
    fields: &[Field],
) -> (HashMap<String, String>, String) {
    let problems = Problems::place(locale, refused, |f| {
        // A view's output settings are `output.columns`, `output.sort_by`…: each its own input.
        let base = Problems::base(f.strip_prefix("output.").unwrap_or(f));
        fields.iter().any(|x| x.name == base).then(|| base.to_string())
    });
    let by_field: HashMap<String, String> = problems.by_input().clone().into_iter().collect();
    if !refused.is_empty() {
        return (by_field, problems.above());
    }
    // Not a field's problem: what the API said, in the reader's words where we know the kind.
    let tr = |k: &str| crate::i18n::tr(locale, k, &[]);
    let general = match status {
        StatusCode::FORBIDDEN => tr("forbidden"),
        StatusCode::NOT_FOUND => tr("not-found"),
        _ => {
            let description = body["description"].as_str().or(body["error"].as_str()).unwrap_or("");
            format!("{} {description}", tr("error-invalid"))
        }
    };
    (by_field, general)
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    page: Option<i64>,
}

pub async fn home(AxState(state): AxState<State>, headers: HeaderMap) -> Result<Response> {
    if let Err(r) = admin(&state, &headers).await {
        return Ok(r);
    }
    Ok(Redirect::to("/admin/users").into_response())
}

/// A resource's records, a page at a time.
pub async fn list(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    PageQuery(q): PageQuery<ListQuery>,
) -> Result<Response> {
    let (s, res) = match admin_of(&state, &headers, &slug).await {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    list_page(&state, &headers, &s, res, q.page.unwrap_or(1).max(1), Vec::new()).await
}

/// A page of a resource's records; `named` are the rules and views a removal left naming
/// something gone, shown above the list.
async fn list_page(
    state: &State,
    headers: &HeaderMap,
    s: &Session,
    res: &Resource,
    page: i64,
    named: Vec<minijinja::Value>,
) -> Result<Response> {
    let (status, body) = call(state, s, Method::GET, &format!("{}?page={page}&per_page=100", res.api), None).await?;
    if !status.is_success() {
        return Ok(error_page(state, headers, status, "forbidden").await);
    }
    let r = reader(state, headers, Some(&s.actor.user)).await?;
    let rows: Vec<_> = body[res.many]
        .as_array()
        .into_iter()
        .flatten()
        .map(|item| {
            let cells: Vec<String> = res
                .columns
                .iter()
                .map(|c| match (&item[*c], *c) {
                    (Value::String(t), "created_at" | "last_used_at") => {
                        crate::clock::parse_time(t).map(|ts| local_time(ts, &r.tz).0).unwrap_or_else(|| t.clone())
                    }
                    (Value::Bool(b), _) => {
                        if *b {
                            "✓".into()
                        } else {
                            "—".into()
                        }
                    }
                    // A category's default status reads in the reader's language.
                    (v, "agent_label" | "end_user_label") if item["default"] == true => {
                        let label =
                            crate::i18n::tr(r.locale, &format!("status-{}", shown(&item["status_category"])), &[]);
                        if label.starts_with("status-") { shown(v) } else { label }
                    }
                    (Value::String(t), "role" | "type" | "status_category" | "status" | "locale") => {
                        choice_label(r.locale, t)
                    }
                    (v, _) => shown(v),
                })
                .collect();
            // A rule that could not do all it says since it was last saved.
            let problem = item["problem"]["message"].as_str().map(|m| {
                let failures = item["problem"]["failures"].as_i64().unwrap_or(1);
                let off = item["active"] == false;
                // No failures: the record itself cannot be read (and is never run).
                let lead = if failures == 0 {
                    crate::i18n::tr(r.locale, "rule-unreadable", &[])
                } else {
                    crate::i18n::tr(r.locale, "rule-problem", &[("failures", failures.into())])
                };
                let off = if off { crate::i18n::tr(r.locale, "rule-problem-off", &[]) } else { String::new() };
                format!("{lead} {m} {off}").trim().to_string()
            });
            context! { id => id_of(&item["id"]), cells, problem }
        })
        .collect();
    let columns: Vec<String> = res.columns.iter().map(|c| format!("field-{c}")).collect();
    let more = !body["next_page"].is_null();
    Ok(render(
        StatusCode::OK,
        "admin.html",
        r.locale,
        context! {
            me => me(state, s).await?, csrf => s.csrf.clone(), nav => nav(res.slug), slug => res.slug, title_key => format!("admin-{}", res.slug),
            listing => true, rows, columns, page, more, named,
        },
    ))
}

/// The rules and views an answer's `warnings` name (after a group was deleted, an agent
/// demoted, suspended or deleted), each with the page to fix it.
fn named_in(body: &Value) -> Vec<minijinja::Value> {
    body["warnings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|w| {
            let kind = w["type"].as_str().unwrap_or("");
            let slug = match kind {
                "trigger" => "triggers",
                "automation" => "automations",
                "macro" => "macros",
                _ => "views",
            };
            context! { kind => format!("choice-{kind}"), href => format!("/admin/{slug}/{}", shown(&w["id"])), title => shown(&w["title"]) }
        })
        .collect()
}

/// A closed value (a role, a field type, a status…) in the reader's language; any other text as
/// it is.
fn choice_label(locale: frontdesk_domain::Locale, value: &str) -> String {
    let key = format!("choice-{value}");
    let label = crate::i18n::tr(locale, &key, &[]);
    if label == key { value.to_string() } else { label }
}

/// The form of one record (`id` "new" for a new one).
pub async fn edit(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, String)>,
    PageQuery(q): PageQuery<SavedQuery>,
) -> Result<Response> {
    let (s, res) = match admin_of(&state, &headers, &slug).await {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let locale = reader(&state, &headers, Some(&s.actor.user)).await?.locale;
    let notice = q.saved.map(|_| crate::i18n::tr(locale, "saved", &[]));
    let record = if id == "new" {
        json!({"active": true})
    } else {
        let Ok(n) = id.parse::<i64>() else {
            return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "not-found").await);
        };
        let (status, body) = call(&state, &s, Method::GET, &format!("{}/{n}", res.api), None).await?;
        if !status.is_success() {
            return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "not-found").await);
        }
        body[res.one].clone()
    };
    form_page(&state, &headers, &s, res, &id, record, StatusCode::OK, HashMap::new(), String::new(), notice).await
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    saved: Option<String>,
}

/// Renders a record's form, with a refused save's messages and what the page adds for some
/// kinds (a user's identities, a rule's current matches).
#[allow(clippy::too_many_arguments)]
async fn form_page(
    state: &State,
    headers: &HeaderMap,
    s: &Session,
    res: &Resource,
    id: &str,
    record: Value,
    status: StatusCode,
    errors: HashMap<String, String>,
    error: String,
    notice: Option<String>,
) -> Result<Response> {
    let page = FormPage { errors, error, notice, ..FormPage::new(record, status) };
    form_page_with(state, headers, s, res, id, page).await
}

/// What a form page shows besides its resource: the record (saved or as posted), the answer's
/// status and problems, and the simulator's answer for a rule not yet saved.
struct FormPage {
    record: Value,
    status: StatusCode,
    errors: HashMap<String, String>,
    error: String,
    notice: Option<String>,
    simulated: Option<Value>,
    /// A refused identity: what was typed (kind, value) and why, shown in the identities box.
    identity: Option<(String, String, String)>,
    /// The rules and views a save left naming someone who no longer counts (see [`named_in`]).
    named: Vec<minijinja::Value>,
}

impl FormPage {
    /// A page of `record` answered with `status`: no problems, no notice, nothing simulated.
    fn new(record: Value, status: StatusCode) -> FormPage {
        FormPage {
            record,
            status,
            errors: HashMap::new(),
            error: String::new(),
            notice: None,
            simulated: None,
            identity: None,
            named: Vec::new(),
        }
    }
}

async fn form_page_with(
    state: &State,
    headers: &HeaderMap,
    s: &Session,
    res: &Resource,
    id: &str,
    page: FormPage,
) -> Result<Response> {
    let FormPage { record, status, errors, error, notice, simulated, identity, named } = page;
    let is_new = id == "new";
    let groups = if res.fields.iter().any(|f| f.kind == Kind::Group) {
        let (_, body) = call(state, s, Method::GET, "/api/v2/groups?per_page=100", None).await?;
        body["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|g| context! { id => g["id"].to_string(), name => shown(&g["name"]) })
            .collect()
    } else {
        Vec::new()
    };
    let fields: Vec<_> = res
        .fields
        .iter()
        .filter(|f| is_new || !f.create_only)
        .map(|f| {
            let kind = match f.kind {
                Kind::Text => "text",
                Kind::Long => "long",
                Kind::Number => "number",
                Kind::Check => "check",
                Kind::Choice(_) => "choice",
                Kind::Lines => "lines",
                Kind::Options => "options",
                Kind::Conditions => "conditions",
                Kind::Actions => "actions",
                Kind::Group => "group",
                Kind::Password => "password",
            };
            let choices: Vec<&str> = match f.kind {
                Kind::Choice(c) => c.to_vec(),
                _ => Vec::new(),
            };
            context! {
                name => f.name, kind, choices, label => format!("field-{}", f.name),
                hint => format!("hint-{}", f.name),
                value => field_value(f, &record), error => errors.get(f.name).cloned(),
            }
        })
        .collect();
    let mut extra = context! {};
    if !is_new && res.slug == "users" {
        let (_, body) = call(state, s, Method::GET, &format!("/api/v2/users/{id}/identities"), None).await?;
        let identities: Vec<_> = body["identities"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| context! { kind => shown(&i["type"]), value => shown(&i["value"]), primary => i["primary"].as_bool(), verified => i["verified"].as_bool() })
            .collect();
        let (kind, value, problem) = identity.unwrap_or_default();
        extra =
            context! { identities, identity_kind => kind, identity_value => value, identity_error => problem, ..extra };
    }
    let simulated = match simulated {
        Some(answer) => Some(answer),
        None if !is_new && res.simulates => {
            Some(call(state, s, Method::GET, &format!("{}/{id}/matches", res.api), None).await?.1)
        }
        None => None,
    };
    if let Some(body) = simulated {
        let tickets: Vec<_> = body["tickets"]
            .as_array()
            .into_iter()
            .flatten()
            .take(50)
            .map(
                |t| context! { id => t["id"].as_i64(), subject => shown(&t["subject"]), status => shown(&t["status"]) },
            )
            .collect();
        let count = body["count"].as_i64().unwrap_or(tickets.len() as i64);
        extra = context! { matches => tickets, match_count => count, ..extra };
    }
    let r = reader(state, headers, Some(&s.actor.user)).await?;
    Ok(render(
        status,
        "admin.html",
        r.locale,
        context! {
            me => me(state, s).await?, csrf => s.csrf.clone(), nav => nav(res.slug), slug => res.slug,
            title_key => format!("admin-{}", res.slug), editing => true, id, is_new, fields, groups,
            error, notice, named, deletable => res.deletable && !is_new, extra, simulates => res.simulates,
            name => record.get("name").or(record.get("title")).or(record.get("agent_label")).map(shown),
        },
    ))
}

/// Saves a record through the API's create or update.
pub async fn save(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response> {
    let (s, res) = match admin_of(&state, &headers, &slug).await {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    let is_new = id == "new";
    if !is_new && id.parse::<i64>().is_err() {
        return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "not-found").await);
    }
    let record = record_of(res, &form, is_new);
    let locale = reader(&state, &headers, Some(&s.actor.user)).await?.locale;
    let csrf = form.iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v.as_str());
    if !session::csrf_ok(&s.csrf, csrf) {
        let message = crate::i18n::tr(locale, "stale-form", &[]);
        let shown = Value::Object(record);
        return form_page(&state, &headers, &s, res, &id, shown, StatusCode::FORBIDDEN, HashMap::new(), message, None)
            .await;
    }
    // "Preview matches": the rule as posted, checked but not saved, and what it matches now.
    if res.simulates && form.iter().any(|(k, _)| k == "_preview") {
        let path = format!("{}/preview", res.api);
        let (status, body, refused) =
            call_checked(&state, &s, Method::POST, &path, Some(json!({ res.one: record.clone() }))).await?;
        let (errors, error, simulated) = if status.is_success() {
            (HashMap::new(), String::new(), Some(body))
        } else {
            let (errors, general) = field_errors(status, &body, &refused, locale, res.fields);
            (errors, general, None)
        };
        let code = if status.is_success() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
        let page = FormPage { errors, error, simulated, ..FormPage::new(Value::Object(record), code) };
        return form_page_with(&state, &headers, &s, res, &id, page).await;
    }
    let (method, path) =
        if is_new { (Method::POST, res.api.to_string()) } else { (Method::PUT, format!("{}/{id}", res.api)) };
    let (status, body, refused) =
        call_checked(&state, &s, method, &path, Some(json!({ res.one: record.clone() }))).await?;
    if status.is_success() {
        let saved = id_of(&body[res.one]["id"]).map(|n| n.to_string()).unwrap_or(id.clone());
        // A new API token is shown once, here; there is no page to see it again.
        if let Some(token) = body[res.one]["token"].as_str() {
            let notice = crate::i18n::tr(locale, "token-created", &[("token", token.to_string().into())]);
            return form_page(
                &state,
                &headers,
                &s,
                res,
                &saved,
                body[res.one].clone(),
                StatusCode::CREATED,
                HashMap::new(),
                String::new(),
                Some(notice),
            )
            .await;
        }
        let named = named_in(&body);
        if !named.is_empty() {
            let notice = crate::i18n::tr(locale, "saved", &[]);
            let page = FormPage { notice: Some(notice), named, ..FormPage::new(body[res.one].clone(), StatusCode::OK) };
            return form_page_with(&state, &headers, &s, res, &saved, page).await;
        }
        return Ok(Redirect::to(&format!("/admin/{}/{saved}?saved=1", res.slug)).into_response());
    }
    let (errors, general) = field_errors(status, &body, &refused, locale, res.fields);
    let code = if status == StatusCode::FORBIDDEN { status } else { StatusCode::UNPROCESSABLE_ENTITY };
    form_page(&state, &headers, &s, res, &id, Value::Object(record), code, errors, general, None).await
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

/// Deletes a record through the API.
pub async fn remove(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, String)>,
    PageForm(f): PageForm<CsrfForm>,
) -> Result<Response> {
    let (s, res) = match admin_of(&state, &headers, &slug).await {
        Ok((_, r)) if !r.deletable => return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "not-found").await),
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    if !session::csrf_ok(&s.csrf, f.csrf.as_deref()) {
        return Ok(error_page(&state, &headers, StatusCode::FORBIDDEN, "stale-form").await);
    }
    let Ok(n) = id.parse::<i64>() else {
        return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "not-found").await);
    };
    let (status, body, refused) = call_checked(&state, &s, Method::DELETE, &format!("{}/{n}", res.api), None).await?;
    if status.is_success() {
        let named = named_in(&body);
        if !named.is_empty() {
            return list_page(&state, &headers, &s, res, 1, named).await;
        }
        return Ok(Redirect::to(&format!("/admin/{}", res.slug)).into_response());
    }
    let locale = reader(&state, &headers, Some(&s.actor.user)).await?.locale;
    let (_, general) = field_errors(status, &body, &refused, locale, &[]);
    let (_, record) = call(&state, &s, Method::GET, &format!("{}/{n}", res.api), None).await?;
    form_page(
        &state,
        &headers,
        &s,
        res,
        &id,
        record[res.one].clone(),
        StatusCode::UNPROCESSABLE_ENTITY,
        HashMap::new(),
        general,
        None,
    )
    .await
}

#[derive(Deserialize)]
pub struct IdentityForm {
    #[serde(rename = "type")]
    kind: String,
    value: String,
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

/// Adds an identity (another email address, a phone number…) to a user.
pub async fn add_identity(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    PageForm(f): PageForm<IdentityForm>,
) -> Result<Response> {
    let s = match admin(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let Ok(n) = id.parse::<i64>() else {
        return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "not-found").await);
    };
    let res = resource("users").expect("users are an admin resource");
    let locale = reader(&state, &headers, Some(&s.actor.user)).await?.locale;
    let (_, record) = call(&state, &s, Method::GET, &format!("/api/v2/users/{n}"), None).await?;
    if !session::csrf_ok(&s.csrf, f.csrf.as_deref()) {
        let m = crate::i18n::tr(locale, "stale-form", &[]);
        return form_page(
            &state,
            &headers,
            &s,
            res,
            &id,
            record["user"].clone(),
            StatusCode::FORBIDDEN,
            HashMap::new(),
            m,
            None,
        )
        .await;
    }
    let body = json!({"identity": {"type": f.kind.trim(), "value": f.value.trim()}});
    let (status, answer, refused) =
        call_checked(&state, &s, Method::POST, &format!("/api/v2/users/{n}/identities"), Some(body)).await?;
    if status.is_success() {
        return Ok(Redirect::to(&format!("/admin/users/{n}?saved=1")).into_response());
    }
    // The problem goes next to the identity box, with what was typed.
    let (_, problem) = field_errors(status, &answer, &refused, locale, &[]);
    let page = FormPage {
        identity: Some((f.kind.trim().to_string(), f.value.trim().to_string(), problem)),
        ..FormPage::new(record["user"].clone(), StatusCode::UNPROCESSABLE_ENTITY)
    };
    form_page_with(&state, &headers, &s, res, &id, page).await
}

/// Makes a one-time link with which the user sets a new password (shown to the admin until
/// email can deliver it).
pub async fn password_link(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    Path(id): Path<String>,
    PageForm(f): PageForm<CsrfForm>,
) -> Result<Response> {
    let s = match admin(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let Ok(n) = id.parse::<i64>() else {
        return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "not-found").await);
    };
    if !session::csrf_ok(&s.csrf, f.csrf.as_deref()) {
        return Ok(error_page(&state, &headers, StatusCode::FORBIDDEN, "stale-form").await);
    }
    let res = resource("users").expect("users are an admin resource");
    let (status, record) = call(&state, &s, Method::GET, &format!("/api/v2/users/{n}"), None).await?;
    if !status.is_success() {
        return Ok(error_page(&state, &headers, StatusCode::NOT_FOUND, "not-found").await);
    }
    let link = super::reset::make_link(&state, &headers, n, Some(s.actor.id())).await?;
    let locale = reader(&state, &headers, Some(&s.actor.user)).await?.locale;
    let notice = crate::i18n::tr(locale, "reset-link-made", &[("link", link.into())]);
    form_page(
        &state,
        &headers,
        &s,
        res,
        &id,
        record["user"].clone(),
        StatusCode::OK,
        HashMap::new(),
        String::new(),
        Some(notice),
    )
    .await
}

#[derive(Deserialize)]
pub struct SettingsForm {
    name: Option<String>,
    time_zone: Option<String>,
    locale: Option<String>,
    campaign_interval_days: Option<String>,
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

/// The account's settings: its name, default time zone and default language.
pub async fn settings(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    PageQuery(q): PageQuery<SavedQuery>,
) -> Result<Response> {
    let s = match admin(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let (_, body) = call(&state, &s, Method::GET, "/api/v2/account/settings", None).await?;
    let locale = reader(&state, &headers, Some(&s.actor.user)).await?.locale;
    let notice = q.saved.map(|_| crate::i18n::tr(locale, "saved", &[]));
    let page = FormPage { notice, ..FormPage::new(body["settings"].clone(), StatusCode::OK) };
    settings_page(&state, &headers, &s, page).await
}

async fn settings_page(state: &State, headers: &HeaderMap, s: &Session, page: FormPage) -> Result<Response> {
    let FormPage { record: settings, status, errors, error, notice, .. } = page;
    let r = reader(state, headers, Some(&s.actor.user)).await?;
    let fields: Vec<_> = [
        ("name", "text", vec![]),
        ("time_zone", "text", vec![]),
        ("locale", "choice", vec!["en-US", "pt-BR", "ja"]),
        ("campaign_interval_days", "number", vec![]),
    ]
    .into_iter()
    .map(|(name, kind, choices)| {
        context! {
            name, kind, choices, label => format!("field-{name}"), hint => format!("hint-{name}"),
            value => shown(&settings[name]), error => errors.get(name).cloned(),
        }
    })
    .collect();
    Ok(render(
        status,
        "admin.html",
        r.locale,
        context! {
            me => me(state, s).await?, csrf => s.csrf.clone(), nav => nav("settings"), slug => "settings", title_key => "admin-settings",
            editing => true, settings_form => true, fields, error, notice, extra => context! {},
        },
    ))
}

pub async fn save_settings(
    AxState(state): AxState<State>,
    headers: HeaderMap,
    PageForm(f): PageForm<SettingsForm>,
) -> Result<Response> {
    let s = match admin(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return Ok(r),
    };
    let posted = json!({"name": f.name, "time_zone": f.time_zone, "locale": f.locale,
        "campaign_interval_days": f.campaign_interval_days});
    let locale = reader(&state, &headers, Some(&s.actor.user)).await?.locale;
    if !session::csrf_ok(&s.csrf, f.csrf.as_deref()) {
        let m = crate::i18n::tr(locale, "stale-form", &[]);
        let page = FormPage { error: m, ..FormPage::new(posted, StatusCode::FORBIDDEN) };
        return settings_page(&state, &headers, &s, page).await;
    }
    let (status, body, refused) =
        call_checked(&state, &s, Method::PUT, "/api/v2/account/settings", Some(json!({"settings": posted}))).await?;
    if status.is_success() {
        return Ok(Redirect::to("/admin/settings?saved=1").into_response());
    }
    let known = [
        field("name", Kind::Text),
        field("time_zone", Kind::Text),
        field("locale", Kind::Text),
        field("campaign_interval_days", Kind::Number),
    ];
    let (errors, general) = field_errors(status, &body, &refused, locale, &known);
    let page = FormPage { errors, error: general, ..FormPage::new(posted, StatusCode::UNPROCESSABLE_ENTITY) };
    settings_page(&state, &headers, &s, page).await
}
