//! The OpenAPI document, built with utoipa from the same endpoint table the router serves: every
//! operation with its typed path parameters, a JSON object body where it takes one, its answers,
//! and every refusal in the Zendesk error envelope ([`ErrorBody`]), so a client generator or a
//! schema-driven fuzzer (schemathesis, in `.ci/run`) can call each one.

use axum::response::Response;
use serde_json::Value;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApiBuilder, PathsBuilder, RefOr, Required, ResponseBuilder,
};

use super::{endpoints, ok};

/// The Zendesk error envelope: what every refusal of the API is sent in.
#[derive(utoipa::ToSchema)]
#[schema(as = Error)]
#[allow(dead_code)] // Read by utoipa for its schema; the envelope itself is built in `error.rs`.
struct ErrorBody {
    /// `RecordInvalid`, `RecordNotFound`, `Forbidden`, `BadRequest`, `TooManyRequests`…
    error: String,
    description: Option<String>,
    /// For `RecordInvalid`: each field's problems.
    details: Option<std::collections::BTreeMap<String, Vec<FieldProblem>>>,
    /// For `InvalidQuery`: where in the query the problem is.
    position: Option<i64>,
    /// For `TooManyValues`: how many values are allowed.
    max_count: Option<i64>,
}

/// One problem of one field.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct FieldProblem {
    /// A stable code (`BlankValue`, `InvalidValue`, `DuplicateValue`…).
    error: String,
    /// In words.
    description: String,
}

fn method(m: &axum::http::Method) -> HttpMethod {
    match *m {
        axum::http::Method::POST => HttpMethod::Post,
        axum::http::Method::PUT => HttpMethod::Put,
        axum::http::Method::DELETE => HttpMethod::Delete,
        axum::http::Method::PATCH => HttpMethod::Patch,
        _ => HttpMethod::Get,
    }
}

// --- Request bodies: what the main records' creates and updates take ---------------------

/// A ticket as a create takes it; an update takes the same fields, each optional.
#[derive(utoipa::ToSchema)]
#[schema(as = TicketInput, example = json!({"subject": "A impressora não imprime", "comment": {"body": "Olá, a impressora do 2º andar parou.", "public": true}, "priority": "high", "type": "incident", "tags": ["printer"], "requester": {"name": "João Silva", "email": "joao@example.com"}}))]
#[allow(dead_code)]
struct TicketBody {
    #[schema(max_length = 1000)]
    subject: Option<String>,
    comment: Option<CommentBody>,
    /// The first comment's text, when `comment` is not given.
    #[schema(max_length = 65535)]
    description: Option<String>,
    #[schema(minimum = 1)]
    requester_id: Option<i64>,
    /// A requester found or created by address.
    requester: Option<RequesterBody>,
    #[schema(minimum = 1)]
    submitter_id: Option<i64>,
    #[schema(minimum = 1)]
    assignee_id: Option<i64>,
    #[schema(minimum = 1)]
    group_id: Option<i64>,
    #[schema(minimum = 1)]
    organization_id: Option<i64>,
    priority: Option<PriorityName>,
    #[schema(rename = "type")]
    kind: Option<TypeName>,
    status: Option<StatusName>,
    #[schema(minimum = 1)]
    custom_status_id: Option<i64>,
    tags: Option<Vec<String>>,
    additional_tags: Option<Vec<String>>,
    remove_tags: Option<Vec<String>>,
    #[schema(max_length = 255)]
    external_id: Option<String>,
    #[schema(format = DateTime)]
    due_at: Option<String>,
    collaborator_ids: Option<Vec<i64>>,
    email_cc_ids: Option<Vec<i64>>,
    follower_ids: Option<Vec<i64>>,
    custom_fields: Option<Vec<FieldValue>>,
    /// With `updated_stamp`: refuse the update (409) when the ticket changed meanwhile.
    safe_update: Option<bool>,
    updated_stamp: Option<String>,
}

/// A comment: its text (Markdown in `body`, or HTML in `html_body`), public or an internal note,
/// and the upload tokens whose files it takes.
#[derive(utoipa::ToSchema)]
#[schema(as = CommentInput)]
#[allow(dead_code)]
struct CommentBody {
    #[schema(max_length = 65535)]
    body: Option<String>,
    #[schema(max_length = 65535)]
    html_body: Option<String>,
    public: Option<bool>,
    #[schema(minimum = 1)]
    author_id: Option<i64>,
    #[schema(max_items = 100)]
    uploads: Option<Vec<String>>,
}

#[derive(utoipa::ToSchema)]
#[schema(as = RequesterInput)]
#[allow(dead_code)]
struct RequesterBody {
    #[schema(format = Email, max_length = 254)]
    email: String,
    #[schema(max_length = 255)]
    name: Option<String>,
    locale: Option<String>,
}

/// A custom field's value: text, a number, a checkbox, a date, an option's value, or a list.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct FieldValue {
    #[schema(minimum = 1)]
    id: i64,
    #[schema(value_type = Object)]
    value: serde_json::Value,
}

#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum PriorityName {
    Low,
    Normal,
    High,
    Urgent,
}

#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum TypeName {
    Question,
    Incident,
    Problem,
    Task,
}

#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum StatusName {
    New,
    Open,
    Pending,
    Hold,
    Solved,
    Closed,
}

/// A user as a create takes it; an update takes the same fields, each optional.
#[derive(utoipa::ToSchema)]
#[schema(as = UserInput, example = json!({"name": "Maria Souza", "email": "maria@example.com", "role": "end-user", "tags": ["vip"], "locale": "pt-BR"}))]
#[allow(dead_code)]
struct UserBody {
    #[schema(max_length = 255)]
    name: Option<String>,
    #[schema(format = Email, max_length = 254)]
    email: Option<String>,
    role: Option<RoleName>,
    #[schema(max_length = 64)]
    phone: Option<String>,
    #[schema(minimum = 1)]
    organization_id: Option<i64>,
    #[schema(minimum = 1)]
    default_group_id: Option<i64>,
    locale: Option<String>,
    time_zone: Option<String>,
    tags: Option<Vec<String>>,
    #[schema(max_length = 65535)]
    notes: Option<String>,
    #[schema(max_length = 65535)]
    details: Option<String>,
    #[schema(max_length = 255)]
    external_id: Option<String>,
    #[schema(max_length = 255)]
    alias: Option<String>,
    #[schema(max_length = 65535)]
    signature: Option<String>,
    verified: Option<bool>,
    suspended: Option<bool>,
    #[schema(max_length = 1024)]
    password: Option<String>,
    /// Custom field values by key.
    #[schema(value_type = Object)]
    user_fields: Option<serde_json::Value>,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
enum RoleName {
    #[schema(rename = "end-user")]
    EndUser,
    #[schema(rename = "agent")]
    Agent,
    #[schema(rename = "admin")]
    Admin,
}

/// An organization as a create takes it; an update takes the same fields, each optional.
#[derive(utoipa::ToSchema)]
#[schema(as = OrganizationInput, example = json!({"name": "Petipet", "domain_names": ["petipet.com.br"], "tags": ["gold"]}))]
#[allow(dead_code)]
struct OrganizationBody {
    #[schema(max_length = 255)]
    name: Option<String>,
    domain_names: Option<Vec<String>>,
    #[schema(max_length = 65535)]
    details: Option<String>,
    #[schema(max_length = 65535)]
    notes: Option<String>,
    #[schema(max_length = 255)]
    external_id: Option<String>,
    #[schema(minimum = 1)]
    group_id: Option<i64>,
    shared_tickets: Option<bool>,
    shared_comments: Option<bool>,
    tags: Option<Vec<String>>,
    /// Custom field values by key.
    #[schema(value_type = Object)]
    organization_fields: Option<serde_json::Value>,
}

/// The request body of an operation whose body is one of the records above: `(root key, schema
/// name, a list of them?)`.
fn record_body(method: &axum::http::Method, path: &str) -> Option<(&'static str, &'static str, bool)> {
    use axum::http::Method as M;
    Some(match (method, path) {
        (&M::POST, "/api/v2/tickets") | (&M::PUT, "/api/v2/tickets/{id}") => ("ticket", "TicketInput", false),
        (&M::POST, "/api/v2/tickets/create_many") => ("tickets", "TicketInput", true),
        (&M::POST, "/api/v2/users") | (&M::PUT, "/api/v2/users/{id}") => ("user", "UserInput", false),
        (&M::POST, "/api/v2/users/create_or_update") => ("user", "UserInput", false),
        (&M::POST, "/api/v2/users/create_many") => ("users", "UserInput", true),
        (&M::POST, "/api/v2/organizations") | (&M::PUT, "/api/v2/organizations/{id}") => {
            ("organization", "OrganizationInput", false)
        }
        (&M::POST, "/api/v2/organizations/create_many") => ("organizations", "OrganizationInput", true),
        _ => return None,
    })
}

/// `{root: record}` or `{root: [record]}`, the record's schema by name. A new ticket needs its
/// first comment (or its `description`; the document asks for a comment with a body).
fn wrapped(root: &str, schema: &str, many: bool, new_ticket: bool) -> RefOr<Schema> {
    let reference = RefOr::Ref(utoipa::openapi::Ref::from_schema_name(schema));
    let one = if new_ticket {
        let body = ObjectBuilder::new().schema_type(Type::String).min_length(Some(1));
        let comment = ObjectBuilder::new().schema_type(Type::Object).property("body", body).required("body");
        let first = ObjectBuilder::new().property("comment", comment).required("comment");
        RefOr::T(Schema::AllOf(utoipa::openapi::schema::AllOfBuilder::new().item(reference).item(first).build()))
    } else {
        reference
    };
    let value: RefOr<Schema> = if many {
        RefOr::T(Schema::Array(utoipa::openapi::schema::ArrayBuilder::new().items(one).min_items(Some(1)).build()))
    } else {
        one
    };
    RefOr::T(Schema::Object(
        ObjectBuilder::new().schema_type(Type::Object).property(root, value).required(root).build(),
    ))
}

/// What an answer of an operation is (`method` GET), or what its request body is (POST): the
/// media type and its schema.
fn media(path: &str, method: &axum::http::Method) -> (&'static str, Option<RefOr<Schema>>) {
    let object = || Some(RefOr::T(Schema::Object(ObjectBuilder::new().schema_type(Type::Object).build())));
    let bytes = || {
        Some(RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
                .build(),
        )))
    };
    match (method, path) {
        (&axum::http::Method::GET, p) if p.ends_with("/raw") => ("message/rfc822", bytes()),
        (&axum::http::Method::GET, p) if p.ends_with(".csv") => ("text/csv", bytes()),
        (&axum::http::Method::GET, p) if p.ends_with(".xlsx") => {
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", bytes())
        }
        (&axum::http::Method::POST, "/api/v2/inbound_email") => ("message/rfc822", bytes()),
        (&axum::http::Method::POST, "/api/v2/uploads") => ("application/octet-stream", bytes()),
        _ => ("application/json", object()),
    }
}

/// A path parameter's schema: record ids are positive integers; tokens are strings.
fn parameter_schema(name: &str) -> Schema {
    if name == "token" || name == "secret" {
        return Schema::Object(ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)).build());
    }
    Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(1))
            .build(),
    )
}

/// The root key of one record of a collection (`tickets` → `ticket`, `custom_statuses` →
/// `custom_status`, `trigger_categories` → `trigger_category`).
fn singular(collection: &str) -> String {
    if let Some(stem) = collection.strip_suffix("ies") {
        format!("{stem}y")
    } else if collection.ends_with("sses") || collection.ends_with("uses") {
        collection[..collection.len() - 2].to_string()
    } else {
        collection.strip_suffix('s').unwrap_or(collection).to_string()
    }
}

/// Links from a collection's create to the operations on the record it made (its id from the
/// answer), so a stateful run chains them: create a ticket, then show, update and delete it.
fn links_from_create(
    path: &str,
    all: &[(axum::http::Method, &'static str)],
) -> Vec<(String, utoipa::openapi::link::Link)> {
    let Some(collection) = path.strip_prefix("/api/v2/").filter(|c| !c.contains('/')) else { return Vec::new() };
    let item = format!("{path}/{{id}}");
    let key = singular(collection);
    all.iter()
        .filter(|(_, p)| *p == item)
        .map(|(m, p)| {
            let link = utoipa::openapi::link::LinkBuilder::new()
                .operation_id(format!("{m} {p}"))
                .parameter("id", format!("$response.body#/{key}/id"))
                .build();
            (format!("{m} {key}"), link)
        })
        .collect()
}

/// The refusals every operation may answer, each in the Zendesk error envelope.
const REFUSALS: [(&str, &str); 9] = [
    ("400", "BadRequest: the request cannot be read (bad JSON, a bad parameter)"),
    ("401", "Couldn't authenticate you"),
    ("403", "Forbidden"),
    ("404", "RecordNotFound or InvalidEndpoint"),
    ("409", "UpdateConflict: the record changed meanwhile"),
    ("413", "RequestTooLarge or UploadQuotaReached"),
    ("415", "BadRequest: the body is not of a media type this operation takes"),
    ("422", "RecordInvalid, with details per field"),
    ("429", "TooManyRequests; see Retry-After"),
];

pub fn document() -> utoipa::openapi::OpenApi {
    let error = RefOr::Ref(utoipa::openapi::Ref::from_schema_name("Error"));
    let mut paths = PathsBuilder::new();
    let endpoints = endpoints();
    let all: Vec<(axum::http::Method, &'static str)> = endpoints.iter().map(|e| (e.method.clone(), e.path)).collect();
    for e in endpoints {
        let (kind, schema) = media(e.path, &axum::http::Method::GET);
        let content = ContentBuilder::new().schema(schema).build();
        let answer = ResponseBuilder::new().description("Success").content(kind, content.clone()).build();
        let mut op = OperationBuilder::new()
            .summary(Some(e.summary))
            .tag(e.tag)
            .operation_id(Some(format!("{} {}", e.method, e.path)))
            .response("200", answer.clone());
        match e.method {
            axum::http::Method::POST => {
                let mut created = ResponseBuilder::new().description("Created").content(kind, content);
                for (name, link) in links_from_create(e.path, &all) {
                    created = created.link(name, link);
                }
                op = op.response("201", created.build()).response("202", answer);
            }
            axum::http::Method::DELETE => {
                op = op.response("204", ResponseBuilder::new().description("Deleted").build())
            }
            _ => {}
        }
        for (code, why) in REFUSALS {
            let body = ContentBuilder::new().schema(Some(error.clone())).build();
            op = op.response(code, ResponseBuilder::new().description(why).content("application/json", body).build());
        }
        for seg in e.path.split('/').filter(|s| s.starts_with('{')) {
            let name = seg.trim_matches(|c| c == '{' || c == '}');
            op = op.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(parameter_schema(name))),
            );
        }
        if matches!(e.method, axum::http::Method::POST | axum::http::Method::PUT) {
            let (kind, schema) = media(e.path, &axum::http::Method::POST);
            // A record's body field by field; any other, what `media` says (mail and files as
            // bytes, the rest a JSON object).
            let body = match record_body(&e.method, e.path) {
                Some((root, name, many)) => {
                    let new_ticket = e.method == axum::http::Method::POST && name == "TicketInput";
                    ContentBuilder::new().schema(Some(wrapped(root, name, many, new_ticket))).build()
                }
                None => ContentBuilder::new().schema(schema).build(),
            };
            op = op.request_body(Some(RequestBodyBuilder::new().content(kind, body).build()));
        }
        paths = paths.path(e.path, PathItem::new(method(&e.method), op.build()));
    }
    let components = ComponentsBuilder::new()
        .schema_from::<ErrorBody>()
        .schema_from::<FieldProblem>()
        .schema_from::<TicketBody>()
        .schema_from::<CommentBody>()
        .schema_from::<RequesterBody>()
        .schema_from::<FieldValue>()
        .schema_from::<PriorityName>()
        .schema_from::<TypeName>()
        .schema_from::<StatusName>()
        .schema_from::<UserBody>()
        .schema_from::<RoleName>()
        .schema_from::<OrganizationBody>()
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Frontdesk API (Zendesk Support API v2 compatible)")
                .version(env!("CARGO_PKG_VERSION"))
                .build(),
        )
        .paths(paths.build())
        .components(Some(components))
        .build()
}

/// The document as JSON. utoipa writes a link's target as `operation_id`; OpenAPI spells it
/// `operationId`, which is what clients and schemathesis read.
pub fn json() -> Value {
    let mut doc = serde_json::to_value(document()).unwrap_or(Value::Null);
    // (`get_mut`, never indexing: indexing a missing key would add it as null.)
    let paths = doc.get_mut("paths").and_then(Value::as_object_mut);
    for item in paths.into_iter().flat_map(|p| p.values_mut()) {
        for op in item.as_object_mut().into_iter().flat_map(|m| m.values_mut()) {
            let answers = op.get_mut("responses").and_then(Value::as_object_mut);
            for answer in answers.into_iter().flat_map(|r| r.values_mut()) {
                let links = answer.get_mut("links").and_then(Value::as_object_mut);
                for link in links.into_iter().flat_map(|l| l.values_mut()) {
                    if let Some(map) = link.as_object_mut()
                        && let Some(id) = map.remove("operation_id")
                    {
                        map.insert("operationId".into(), id);
                    }
                }
            }
        }
    }
    doc
}

pub async fn serve() -> Response {
    ok(json())
}
