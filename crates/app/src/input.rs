//! Reading request bodies field by field, with errors that name the field. Unknown keys are
//! ignored, as Zendesk ignores them.

use serde_json::{Map, Value};

use crate::error::{ApiError, Result};

/// A field that may be absent, explicitly null (clear it), or set.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Patch<T> {
    #[default]
    Absent,
    Null,
    Set(T),
}

impl<T> Patch<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, Patch::Absent)
    }

    /// The new value for a nullable column, or `current` when absent.
    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Patch::Absent => current,
            Patch::Null => None,
            Patch::Set(v) => Some(v),
        }
    }

    pub fn set(self) -> Option<T> {
        match self {
            Patch::Set(v) => Some(v),
            _ => None,
        }
    }

    pub fn try_map<U>(self, f: impl FnOnce(T) -> Result<U>) -> Result<Patch<U>> {
        Ok(match self {
            Patch::Absent => Patch::Absent,
            Patch::Null => Patch::Null,
            Patch::Set(v) => Patch::Set(f(v)?),
        })
    }
}

/// The object under `key` in a body such as `{"ticket": {…}}`.
/// Refuses a write that names fields the caller may not set: `fields` pairs each field's API
/// name with whether the input gave it; the refusal names every one given, after `lead`.
pub fn refuse_given(fields: &[(&'static str, bool)], lead: &str) -> Result<()> {
    let named: Vec<&str> = fields.iter().filter(|(_, given)| *given).map(|(name, _)| *name).collect();
    if named.is_empty() {
        return Ok(());
    }
    Err(crate::error::ApiError::Forbidden(format!("{lead}; not: {}", named.join(", "))))
}

pub fn root<'a>(body: &'a Value, key: &str) -> Result<&'a Map<String, Value>> {
    match body.get(key) {
        Some(Value::Object(m)) => Ok(m),
        Some(_) => Err(ApiError::BadRequest(format!("\"{key}\" must be a JSON object"))),
        None => Err(ApiError::BadRequest(format!("The request body must be a JSON object with a \"{key}\" key"))),
    }
}

pub struct Obj<'a>(pub &'a Map<String, Value>);

fn type_error(key: &str, expected: &str) -> ApiError {
    ApiError::invalid(key, format!("{key}: must be {expected}")).msg("error-wrong-type", &[])
}

/// A form's refusals gathered as its fields are read, so that one answer names them all
/// (each field that failed reads as absent meanwhile).
#[derive(Default)]
pub struct Gather {
    refused: Vec<crate::error::FieldError>,
    other: Option<ApiError>,
}

impl Gather {
    /// The value, or its default with the refusal kept for [`Gather::done`].
    pub fn take<T: Default>(&mut self, r: Result<T>) -> T {
        match r {
            Ok(v) => v,
            Err(ApiError::Invalid(list)) => {
                self.refused.extend(list);
                T::default()
            }
            Err(e) => {
                self.other.get_or_insert(e);
                T::default()
            }
        }
    }

    /// Every refusal gathered, as one error.
    pub fn done(self) -> Result<()> {
        match (self.other, self.refused.is_empty()) {
            (Some(e), _) => Err(e),
            (None, true) => Ok(()),
            (None, false) => Err(ApiError::Invalid(self.refused)),
        }
    }
}

impl<'a> Obj<'a> {
    pub fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.0.get(key)
    }

    /// A string of at most `max` characters; blank strings count as null.
    pub fn str(&self, key: &str, max: usize) -> Result<Patch<String>> {
        match self.0.get(key) {
            None => Ok(Patch::Absent),
            Some(Value::Null) => Ok(Patch::Null),
            Some(Value::String(s)) => {
                if s.chars().count() > max {
                    return Err(ApiError::invalid_msg(
                        key,
                        "TooLong",
                        format!("{key}: is too long (maximum is {max} characters)"),
                        "error-too-long",
                        &[("max", max.to_string())],
                    ));
                }
                if s.trim().is_empty() { Ok(Patch::Null) } else { Ok(Patch::Set(s.clone())) }
            }
            Some(Value::Number(n)) => Ok(Patch::Set(n.to_string())),
            Some(_) => Err(type_error(key, "a string")),
        }
    }

    /// An id: a positive integer (a numeric string is accepted too).
    pub fn id(&self, key: &str) -> Result<Patch<i64>> {
        match self.0.get(key) {
            None => Ok(Patch::Absent),
            Some(Value::Null) => Ok(Patch::Null),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(Patch::Null),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(v) if v > 0 => Ok(Patch::Set(v)),
                _ => Err(ApiError::invalid(key, format!("{key}: {n} is not a valid id"))
                    .msg("error-not-an-id", &[("value", &n)])),
            },
            Some(Value::String(s)) => match s.trim().parse::<i64>() {
                Ok(v) if v > 0 => Ok(Patch::Set(v)),
                _ => Err(ApiError::invalid(key, format!("{key}: {s:?} is not a valid id"))
                    .msg("error-not-an-id", &[("value", &s)])),
            },
            Some(_) => Err(type_error(key, "an integer id")),
        }
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s == "true" || s == "1" => Ok(Some(true)),
            Some(Value::String(s)) if s == "false" || s == "0" => Ok(Some(false)),
            Some(Value::Number(n)) if n.as_i64() == Some(1) => Ok(Some(true)),
            Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(Some(false)),
            Some(_) => Err(type_error(key, "true or false")),
        }
    }

    /// A list of strings (a single string is split on commas and spaces).
    pub fn str_list(&self, key: &str) -> Result<Option<Vec<String>>> {
        match self.0.get(key) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(Vec::new())),
            Some(Value::String(s)) => {
                Ok(Some(s.split([',', ' ']).filter(|x| !x.is_empty()).map(str::to_string).collect()))
            }
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    Value::Number(n) => Ok(n.to_string()),
                    _ => Err(type_error(key, "a list of strings")),
                })
                .collect::<Result<Vec<_>>>()
                .map(Some),
            Some(_) => Err(type_error(key, "a list of strings")),
        }
    }

    /// A tag list, normalised (`"VIP Customer"` → `vip_customer`), duplicates dropped.
    pub fn tags(&self, key: &str) -> Result<Option<Vec<String>>> {
        match self.str_list(key)? {
            None => Ok(None),
            Some(list) => frontdesk_domain::normalize_tags(list.iter().map(String::as_str))
                .map(Some)
                .map_err(|e| ApiError::refused(key, key, e)),
        }
    }

    pub fn id_list(&self, key: &str) -> Result<Option<Vec<i64>>> {
        match self.0.get(key) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(Vec::new())),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())) {
                    Some(i) if i > 0 => Ok(i),
                    _ => Err(ApiError::invalid(key, format!("{key}: {v} is not a valid id"))
                        .msg("error-not-an-id", &[("value", &v)])),
                })
                .collect::<Result<Vec<_>>>()
                .map(Some),
            Some(_) => Err(type_error(key, "a list of ids")),
        }
    }

    pub fn object(&self, key: &str) -> Result<Option<Obj<'a>>> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => Ok(Some(Obj(m))),
            Some(_) => Err(type_error(key, "an object")),
        }
    }
}

/// What a tag endpoint does with the tags it is given (`POST` replaces, `PUT` adds, `DELETE`
/// removes).
#[derive(Debug, Clone, Copy)]
pub enum TagMode {
    Replace,
    Add,
    Remove,
}

/// The body of a tag endpoint, `{"tags": [...]}`, with its tags normalised.
pub fn tags_body(body: &Value) -> Result<(Obj<'_>, Vec<String>)> {
    let m = body
        .as_object()
        .ok_or_else(|| ApiError::BadRequest("The request body must be a JSON object with a \"tags\" key".into()))?;
    let o = Obj(m);
    let tags =
        o.tags("tags")?.ok_or_else(|| ApiError::BadRequest("The request body must have a \"tags\" list".into()))?;
    Ok((o, tags))
}

/// A time zone by its IANA name (`time_zone`).
pub fn time_zone(name: &str) -> Result<frontdesk_domain::TimeZone> {
    frontdesk_domain::TimeZone::parse(name).map_err(|e| ApiError::refused("time_zone", "Time zone", e))
}
