//! The use cases' error: field errors with reason keys, not found, forbidden, conflict, rate
//! limited, internal. `body` is Zendesk's envelope for it (`zendesk-api.md` §3), which job
//! results carry too; the status and the response are the edge's (`failure`).

use serde_json::{Value, json};

use frontdesk_store::StoreError;

/// A stored value that cannot be read (a corrupt rule, a job payload of another format) is the
/// server's problem, logged with what it is; the listings that show such records say why.
impl From<frontdesk_store::stored::Unreadable> for ApiError {
    fn from(e: frontdesk_store::stored::Unreadable) -> Self {
        ApiError::Internal(e.to_string())
    }
}

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

/// One field's validation problem, as `details.<field>[]` carries it. `message`, when set,
/// is the same problem as a translation key with its arguments, for the pages, which show it
/// in the reader's language (the API keeps Zendesk's English `description`).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub description: String,
    pub message: Option<Message>,
    /// The custom field the problem is about, for pages that show it next to that input (the
    /// API names only `custom_fields`).
    pub custom_field: Option<i64>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, description: impl Into<String>) -> Self {
        FieldError { field: field.into(), code, description: description.into(), message: None, custom_field: None }
    }

    /// The same problem as a translation key with its arguments, for the pages.
    pub fn message(mut self, key: &'static str, args: &[(&'static str, String)]) -> Self {
        self.message = Some(Message { key, args: args.to_vec() });
        self
    }

    /// The same problem, about the custom field `id`.
    pub fn about_custom_field(mut self, id: i64) -> Self {
        self.custom_field = Some(id);
        self
    }
}

/// A translation key and its arguments: the domain's `Reason`, which the pages word.
pub use frontdesk_domain::Reason as Message;

/// A refusal's field errors, kept in the response's extensions for pages that call the API
/// in-process.
#[derive(Debug, Clone)]
pub struct Refused(pub Vec<FieldError>);

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("couldn't authenticate you")]
    Unauthenticated,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("no such endpoint")]
    InvalidEndpoint,
    #[error("update conflict")]
    UpdateConflict,
    #[error("payload too large")]
    TooLarge(usize),
    #[error("too many values")]
    TooManyValues(usize),
    #[error("upload quota reached")]
    QuotaReached { quota: u64 },
    #[error("record invalid")]
    Invalid(Vec<FieldError>),
    #[error("invalid query: {message}")]
    InvalidQuery { message: String, position: usize, reason: Message },
    #[error("rate limited")]
    RateLimited { retry_after: u64 },
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// The refusal in words, for a record an admin reads (a job's, a campaign recipient's, a
    /// rule's problem): a 422's field descriptions, else the error's own words.
    pub fn words(&self) -> String {
        match self {
            ApiError::Invalid(list) => list.iter().map(|f| f.description.as_str()).collect::<Vec<_>>().join(" "),
            other => other.to_string(),
        }
    }

    /// Whether this is the refusal of a value already taken (a unique email, external id…).
    pub fn is_duplicate(&self) -> bool {
        matches!(self, ApiError::Invalid(list) if list.iter().any(|f| f.code == "DuplicateValue"))
    }

    /// A 422 about one field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::invalid_code(field, "InvalidValue", description)
    }

    pub fn invalid_code(field: impl Into<String>, code: &'static str, description: impl Into<String>) -> Self {
        ApiError::Invalid(vec![FieldError::new(field, code, description)])
    }

    /// A 422 about one field that pages can show in the reader's language: `key` in the
    /// translation files, with `args`.
    pub fn invalid_msg(
        field: impl Into<String>,
        code: &'static str,
        description: impl Into<String>,
        key: &'static str,
        args: &[(&'static str, String)],
    ) -> Self {
        ApiError::Invalid(vec![FieldError::new(field, code, description).message(key, args)])
    }

    /// A 422 about one field whose value the domain refused: `label: why` for the API (just
    /// `why` without a label), the domain's reason for the pages.
    pub fn refused(field: impl Into<String>, label: &str, e: frontdesk_domain::Invalid) -> Self {
        let description = if label.is_empty() { e.message } else { format!("{label}: {}", e.message) };
        let mut error = FieldError::new(field, "InvalidValue", description);
        error.message = Some(e.reason);
        ApiError::Invalid(vec![error])
    }

    /// The same refusal with `key` (and `args`) as the pages' words for each problem that has
    /// none yet.
    pub fn msg(self, key: &'static str, args: &[(&'static str, &dyn std::fmt::Display)]) -> Self {
        self.because(Message::new(key, args))
    }

    /// The same refusal with the domain's `reason` as the pages' words (where none is set).
    pub fn because(mut self, reason: Message) -> Self {
        if let ApiError::Invalid(errors) = &mut self {
            for e in errors.iter_mut().filter(|e| e.message.is_none()) {
                e.message = Some(reason.clone());
            }
        }
        self
    }

    pub fn blank(field: &str, label: &str) -> Self {
        Self::invalid_code(field, "BlankValue", format!("{label}: cannot be blank"))
    }

    pub fn forbidden() -> Self {
        ApiError::Forbidden(
            "You do not have access to this page. Please contact the account owner of this help desk for further help."
                .into(),
        )
    }

    pub fn body(&self) -> Value {
        match self {
            ApiError::BadRequest(d) => json!({"error": "BadRequest", "description": d}),
            ApiError::Unauthenticated => json!({"error": "Couldn't authenticate you"}),
            ApiError::Forbidden(d) => json!({"error": "Forbidden", "description": d}),
            ApiError::NotFound => json!({"error": "RecordNotFound", "description": "Not found"}),
            ApiError::InvalidEndpoint => json!({"error": "InvalidEndpoint", "description": "Not found"}),
            ApiError::UpdateConflict => json!({"error": "UpdateConflict",
                "description": "Safe Update prevented the update due to outdated ticket data. Please fetch the latest ticket data and try again."}),
            ApiError::TooLarge(limit) => json!({"error": "RequestTooLarge",
                "description": format!("The request body is larger than the limit of {limit} bytes")}),
            ApiError::QuotaReached { quota } => json!({"error": "UploadQuotaReached",
                "description": format!("This upload would pass your upload quota of {} MiB in 24 hours", quota / (1024 * 1024))}),
            ApiError::TooManyValues(max) => json!({"error": "TooManyValues",
                "description": format!("Parameter cannot specify more than {max} values"), "max_count": max}),
            ApiError::Invalid(errors) => {
                let mut details = serde_json::Map::new();
                for e in errors {
                    let entry = details.entry(e.field.clone()).or_insert_with(|| Value::Array(vec![]));
                    if let Value::Array(list) = entry {
                        list.push(json!({"description": e.description, "error": e.code}));
                    }
                }
                json!({"error": "RecordInvalid", "description": "Record validation errors", "details": details})
            }
            ApiError::InvalidQuery { message, position, .. } => json!({"error": "InvalidQuery",
                "description": format!("{message} (at character {position})"), "position": position}),
            ApiError::RateLimited { retry_after } => json!({"error": "TooManyRequests",
                "description": format!("Rate limit exceeded; retry after {retry_after} seconds")}),
            ApiError::Internal(_) => {
                json!({"error": "InternalError", "description": "Something went wrong on our side; it has been logged."})
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Duplicate(col) => ApiError::invalid_code(
                col.clone(),
                "DuplicateValue",
                format!("{col}: is already being used by another record"),
            ),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<frontdesk_domain::Invalid> for ApiError {
    fn from(e: frontdesk_domain::Invalid) -> Self {
        ApiError::refused("base", "", e)
    }
}

/// A view's or rule's condition that cannot be used: a 422 about `conditions`, naming where.
impl From<frontdesk_domain::conditions::ConditionError> for ApiError {
    fn from(e: frontdesk_domain::conditions::ConditionError) -> Self {
        ApiError::invalid("conditions", e.to_string()).because(e.reason)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::from(e).into()
    }
}

impl From<frontdesk_domain::search::SearchError> for ApiError {
    fn from(e: frontdesk_domain::search::SearchError) -> Self {
        ApiError::InvalidQuery { message: e.message, position: e.position, reason: e.reason }
    }
}
