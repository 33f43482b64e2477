//! Custom fields: definitions (`ticket_fields`, `user_fields`, `organization_fields`) and the
//! values records carry for them. Values are checked against their field on every write; a bad
//! one is a 422 naming the field, and nothing is saved.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use frontdesk_domain::fields::{FieldDef, FieldOption, FieldType, Stored, check_key};
use frontdesk_domain::filter::Record;
use frontdesk_store::AnyConnection;
use frontdesk_store::custom_fields::{self, CustomField};

use super::in_tx;
use super::input::Obj;
use crate::AppState;
use crate::error::{ApiError, FieldError, Result};

/// How an input names a field: by id (tickets) or by key (users, organizations; tickets too).
#[derive(Debug, Clone, PartialEq)]
pub enum FieldRef {
    Id(i64),
    Key(String),
}

/// Values an input sends, not yet checked.
pub type RawValues = Vec<(FieldRef, Value)>;

/// A record's values by field id, as stored.
pub type Values = BTreeMap<i64, Vec<String>>;

/// Where a record kind's values travel in JSON.
pub fn json_key(kind: Record) -> &'static str {
    match kind {
        Record::Ticket => "custom_fields",
        Record::User => "user_fields",
        Record::Organization => "organization_fields",
    }
}

/// Ticket values: `custom_fields` (or `fields`) as `[{"id": 1, "value": …}]`, or an object
/// keyed by id or key.
pub fn parse_ticket_values(o: &Obj) -> Result<Option<RawValues>> {
    let (key, v) = match (o.raw("custom_fields"), o.raw("fields")) {
        (Some(v), _) => ("custom_fields", v),
        (None, Some(v)) => ("fields", v),
        (None, None) => return Ok(None),
    };
    match v {
        Value::Null => Ok(None),
        Value::Array(items) => items
            .iter()
            .map(|item| {
                let id = item
                    .get("id")
                    .and_then(|i| i.as_i64().or_else(|| i.as_str().and_then(|s| s.parse().ok())))
                    .ok_or_else(|| {
                        ApiError::invalid(
                            key,
                            format!("{key}: each entry needs a field \"id\" and a \"value\", not {item}"),
                        )
                        .msg("error-wrong-type", &[])
                    })?;
                Ok((FieldRef::Id(id), item.get("value").cloned().unwrap_or(Value::Null)))
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Value::Object(m) => Ok(Some(keyed(m))),
        _ => Err(ApiError::invalid(key, format!("{key}: must be a list of {{\"id\", \"value\"}} objects"))
            .msg("error-wrong-type", &[])),
    }
}

fn keyed(m: &Map<String, Value>) -> RawValues {
    m.iter()
        .map(|(k, v)| (k.parse::<i64>().map(FieldRef::Id).unwrap_or_else(|_| FieldRef::Key(k.clone())), v.clone()))
        .collect()
}

/// User and organization values: `{"<key>": value}` under `user_fields`/`organization_fields`.
pub fn parse_keyed_values(o: &Obj, key: &str) -> Result<Option<RawValues>> {
    match o.raw(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(keyed(m))),
        Some(_) => Err(ApiError::invalid(key, format!("{key}: must be an object of field keys and values"))
            .msg("error-wrong-type", &[])),
    }
}

/// Checks raw values against the fields; returns each field's new stored values, or every
/// value refused (each about its field).
pub fn check(kind: Record, defs: &[FieldDef], raw: &RawValues) -> Result<Vec<(i64, Vec<Stored>)>> {
    let key = json_key(kind);
    let mut out: Vec<(i64, Vec<Stored>)> = Vec::new();
    let mut refused: Vec<FieldError> = Vec::new();
    for (r, v) in raw {
        let def = match r {
            FieldRef::Id(id) => defs.iter().find(|d| d.id == *id),
            FieldRef::Key(k) => defs.iter().find(|d| &d.key == k),
        };
        let Some(def) = def else {
            let name = match r {
                FieldRef::Id(id) => id.to_string(),
                FieldRef::Key(k) => format!("{k:?}"),
            };
            refused.push(
                FieldError::new(key, "InvalidValue", format!("{key}: there is no {} field {name}", kind.as_str()))
                    .message("error-no-such-field", &[("field", name)]),
            );
            continue;
        };
        match def.check(v) {
            Ok(stored) => {
                out.retain(|(f, _)| *f != def.id);
                out.push((def.id, stored));
            }
            Err(e) => refused.push(value_refused(key, def, v, &e)),
        }
    }
    if refused.is_empty() { Ok(out) } else { Err(ApiError::Invalid(refused)) }
}

/// `values` with `changes` applied.
/// A value a field refused: the API's words, and a message by the field's type for pages.
fn value_refused(key: &str, def: &FieldDef, v: &Value, e: &frontdesk_domain::Invalid) -> FieldError {
    let message = match def.kind {
        FieldType::Integer => "error-whole-number",
        FieldType::Decimal => "error-number",
        FieldType::Date => "error-date",
        FieldType::Checkbox => "error-true-false",
        FieldType::Regexp => "error-pattern",
        FieldType::Tagger | FieldType::Multiselect => "error-option",
        FieldType::Text | FieldType::Textarea => "error-text-value",
    };
    let value = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    FieldError::new(key, "InvalidValue", format!("{key}: {e}"))
        .message(message, &[("field", def.title.clone()), ("value", value)])
        .about_custom_field(def.id)
}

pub fn merged(values: &Values, changes: &[(i64, Vec<Stored>)]) -> Values {
    let mut out = values.clone();
    for (f, stored) in changes {
        if stored.is_empty() {
            out.remove(f);
        } else {
            out.insert(*f, stored.iter().map(|s| s.value.clone()).collect());
        }
    }
    out
}

/// Solving needs a value in every active field required to solve: the refusal, one problem
/// per field left empty.
pub fn required_to_solve(defs: &[FieldDef], values: &Values) -> Result<()> {
    let missing: Vec<FieldError> = defs
        .iter()
        .filter(|d| d.active && d.required && values.get(&d.id).is_none_or(Vec::is_empty))
        .map(|d| {
            FieldError::new(
                "custom_fields",
                "InvalidValue",
                format!("custom_fields: {} ({}) is required to solve the ticket", d.title, d.key),
            )
            .message("error-required-to-solve", &[("field", d.title.clone())])
            .about_custom_field(d.id)
        })
        .collect();
    if missing.is_empty() { Ok(()) } else { Err(ApiError::Invalid(missing)) }
}

/// Ticket JSON: `[{"id", "value"}]` for every field.
pub fn ticket_json(defs: &[FieldDef], values: Option<&Values>) -> Value {
    Value::Array(
        defs.iter()
            .map(|d| json!({"id": d.id, "value": d.to_json(values.and_then(|v| v.get(&d.id)).map_or(&[][..], Vec::as_slice))}))
            .collect(),
    )
}

/// User and organization JSON: `{"<key>": value}` for every field.
pub fn keyed_json(defs: &[FieldDef], values: Option<&Values>) -> Value {
    Value::Object(
        defs.iter()
            .map(|d| (d.key.clone(), d.to_json(values.and_then(|v| v.get(&d.id)).map_or(&[][..], Vec::as_slice))))
            .collect(),
    )
}

/// The tags a ticket's drop-down and multi-select values bring.
pub fn option_tags(defs: &[FieldDef], values: &Values) -> Vec<String> {
    defs.iter().flat_map(|d| d.tags_of(values.get(&d.id).map_or(&[][..], Vec::as_slice))).collect()
}

/// Free text for search: every value, with option names as well as their values.
pub fn search_text(defs: &[FieldDef], values: &Values) -> String {
    let mut parts = Vec::new();
    for d in defs {
        for v in values.get(&d.id).map_or(&[][..], Vec::as_slice) {
            if d.kind == FieldType::Checkbox {
                continue;
            }
            parts.push(v.clone());
            if let Some(o) = d.options.iter().find(|o| &o.value == v) {
                parts.push(o.name.clone());
            }
        }
    }
    parts.join(" \n ")
}

/// Checks and saves the values a user or organization input gives (none: nothing changes).
pub async fn save_values(conn: &mut AnyConnection, kind: Record, id: i64, raw: Option<&RawValues>) -> Result<()> {
    let Some(raw) = raw else { return Ok(()) };
    let defs = custom_fields::defs(conn, kind).await?;
    let changes = check(kind, &defs, raw)?;
    custom_fields::set_values(conn, id, &changes).await?;
    Ok(())
}

/// A record's free text from its custom field values.
pub async fn text_of(conn: &mut AnyConnection, kind: Record, id: i64) -> Result<String> {
    let defs = custom_fields::defs(conn, kind).await?;
    if defs.is_empty() {
        return Ok(String::new());
    }
    Ok(search_text(&defs, &load(conn, kind, id).await?))
}

/// A record's values, by field id.
pub async fn load(conn: &mut AnyConnection, kind: Record, id: i64) -> Result<Values> {
    Ok(custom_fields::values(conn, kind, &[id]).await?.remove(&id).unwrap_or_default())
}

// --- Definitions ---------------------------------------------------------------------------

const MAX_OPTIONS: usize = 2_000;

/// The options an input gives (new ones with id 0), or the existing ones if it gives none.
fn options_from(o: &Obj, kind: FieldType, existing: &[FieldOption]) -> Result<Vec<FieldOption>> {
    let list = match o.raw("custom_field_options") {
        None => return Ok(existing.to_vec()),
        Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(_) => {
            return Err(ApiError::invalid(
                "custom_field_options",
                "custom_field_options: must be a list of {\"name\", \"value\"}",
            )
            .msg("error-wrong-type", &[]));
        }
    };
    if !kind.has_options() && !list.is_empty() {
        return Err(ApiError::invalid(
            "custom_field_options",
            format!("custom_field_options: a {kind} field has none"),
        )
        .msg("error-options-not-allowed", &[]));
    }
    if list.len() > MAX_OPTIONS {
        return Err(ApiError::invalid("custom_field_options", format!("custom_field_options: at most {MAX_OPTIONS}"))
            .msg("error-too-many-options", &[("max", &MAX_OPTIONS)]));
    }
    let mut out: Vec<FieldOption> = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let m = item.as_object().ok_or_else(|| {
            ApiError::invalid("custom_field_options", format!("custom_field_options: {item} is not an object"))
                .msg("error-wrong-type", &[])
        })?;
        let oo = Obj(m);
        let name = oo.str("name", 255)?.set().ok_or_else(|| ApiError::blank("custom_field_options", "Option name"))?;
        let raw_value = oo.str("value", 255)?.set().unwrap_or_else(|| name.clone());
        // An option's value is a tag on tickets: the same rules apply.
        let value = frontdesk_domain::normalize_tag(&raw_value)
            .map_err(|e| ApiError::refused("custom_field_options", "custom_field_options", e))?;
        if out.iter().any(|x| x.value == value) {
            return Err(ApiError::invalid(
                "custom_field_options",
                format!("custom_field_options: the value {value:?} is given twice"),
            )
            .msg("error-option-twice", &[("value", &value)]));
        }
        let id = match oo.id("id")?.set().filter(|id| existing.iter().any(|e| e.id == *id)) {
            Some(id) => id,
            None => existing.iter().find(|e| e.value == value).map_or(0, |e| e.id),
        };
        out.push(FieldOption { id, name, value, position: i as i64 });
    }
    if kind.has_options() && out.is_empty() {
        return Err(ApiError::invalid(
            "custom_field_options",
            format!("custom_field_options: a {kind} field needs at least one option"),
        )
        .msg("error-options-needed", &[]));
    }
    Ok(out)
}

/// Creates (`field` is `None`) or updates a field definition from its JSON object.
#[allow(clippy::too_many_lines, reason = "longer than a screen: on the list to split (ARCHITECTURE.md)")]
pub async fn save_in(
    conn: &mut AnyConnection,
    kind: Record,
    field: Option<CustomField>,
    m: &Map<String, Value>,
    now: i64,
) -> Result<CustomField> {
    let o = Obj(m);
    let is_new = field.is_none();
    let mut f = field.unwrap_or_else(|| CustomField {
        record_kind: kind.as_str().to_string(),
        created_at: now,
        active: 1,
        options: "[]".into(),
        ..Default::default()
    });
    let ftype = if is_new {
        let t = o.str("type", 32)?.set().unwrap_or_else(|| "text".into());
        let t = if t == "dropdown" { "tagger".to_string() } else { t };
        FieldType::parse(&t).map_err(|e| ApiError::refused("type", "type", e))?
    } else {
        if let Some(t) = o.str("type", 32)?.set()
            && t != f.field_type
            && !(t == "dropdown" && f.field_type == "tagger")
        {
            return Err(ApiError::invalid("type", "type: a field's type cannot change; create a new field")
                .msg("error-type-fixed", &[]));
        }
        FieldType::parse(&f.field_type)?
    };
    f.field_type = ftype.as_str().to_string();
    match o.str("title", 255)?.set() {
        Some(t) => f.title = t.trim().to_string(),
        None if is_new => return Err(ApiError::blank("title", "Title")),
        None => {}
    }
    let key = o.str("key", 64)?.set();
    if is_new {
        let key = match key {
            Some(k) => k,
            None if kind == Record::Ticket => default_key(conn, kind, &f.title).await?,
            None => return Err(ApiError::blank("key", "Key")),
        };
        check_key(&key).map_err(|e| ApiError::refused("key", "Key", e))?;
        f.field_key = key;
    } else if let Some(k) = key
        && k != f.field_key
    {
        return Err(ApiError::invalid("key", "Key: a field's key cannot change").msg("error-key-fixed", &[]));
    }
    if let Some(d) = o.str("description", 65_535)?.set() {
        f.description = d;
    } else if is_new {
        f.description = f.title.clone();
    }
    f.agent_description = o.str("agent_description", 65_535)?.apply(f.agent_description);
    f.title_in_portal = o.str("title_in_portal", 255)?.apply(f.title_in_portal);
    if let Some(p) = o.raw("position").filter(|v| !v.is_null()) {
        f.position = p.as_i64().ok_or_else(|| {
            ApiError::invalid("position", "position: must be an integer").msg("error-wrong-type", &[])
        })?;
    }
    for (key, slot) in [
        ("active", &mut f.active),
        ("required", &mut f.required),
        ("visible_in_portal", &mut f.visible_in_portal),
        ("editable_in_portal", &mut f.editable_in_portal),
        ("required_in_portal", &mut f.required_in_portal),
    ] {
        if let Some(b) = o.bool(key)? {
            *slot = i64::from(b);
        }
    }
    if f.required != 0 && kind != Record::Ticket {
        return Err(ApiError::invalid("required", "required: only ticket fields can be required (to solve)")
            .msg("error-required-ticket-only", &[]));
    }
    f.regexp_for_validation = o.str("regexp_for_validation", 1_000)?.apply(f.regexp_for_validation);
    if ftype == FieldType::Regexp {
        let p = f.regexp_for_validation.as_deref().ok_or_else(|| {
            ApiError::blank("regexp_for_validation", "regexp_for_validation (a regexp field needs a pattern)")
        })?;
        frontdesk_domain::fields::check_pattern(p)
            .map_err(|e| ApiError::refused("regexp_for_validation", "regexp_for_validation", e))?;
    }
    f.tag = o
        .str("tag", 255)?
        .try_map(|t| frontdesk_domain::normalize_tag(&t).map_err(|e| ApiError::refused("tag", "tag", e)))?
        .apply(f.tag);
    let mut options = options_from(&o, ftype, &f.options())?;
    let new = options.iter().filter(|x| x.id == 0).count() as i64;
    if new > 0 {
        let mut id = frontdesk_store::account::next_values(conn, "custom_field_options", new).await?;
        for x in options.iter_mut().filter(|x| x.id == 0) {
            x.id = id;
            id += 1;
        }
    }
    f.options = serde_json::to_string(&options).unwrap_or_else(|_| "[]".into());
    f.updated_at = now;
    if is_new {
        f.id = custom_fields::insert(conn, &f).await.map_err(|e| match e {
            frontdesk_store::StoreError::Duplicate(_) => {
                ApiError::invalid_code("key", "DuplicateValue", format!("Key: {} has already been taken", f.field_key))
            }
            other => other.into(),
        })?;
    } else {
        custom_fields::update(conn, &f).await?;
    }
    Ok(f)
}

/// A ticket field made without a key gets one from its title (`Order number` → `order_number`),
/// for the search language; when that is taken or not a usable key, a random one.
async fn default_key(conn: &mut AnyConnection, kind: Record, title: &str) -> Result<String> {
    let slug: String = title
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect::<String>()
        .split('_')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    let taken: Vec<String> = custom_fields::list(conn, kind).await?.into_iter().map(|f| f.field_key).collect();
    let builtin = frontdesk_domain::filter::TICKET_FIELDS.split(", ").any(|f| f == slug);
    if !slug.is_empty() && slug.len() <= 64 && check_key(&slug).is_ok() && !taken.contains(&slug) && !builtin {
        return Ok(slug);
    }
    loop {
        let key = format!("field_{}", hex::encode(rand::random::<[u8; 4]>()));
        if !taken.contains(&key) {
            return Ok(key);
        }
    }
}

/// Creates a field of `kind` (`id` none) or changes field `id`.
pub async fn save(state: &AppState, kind: Record, id: Option<i64>, m: &Map<String, Value>) -> Result<CustomField> {
    let now = state.now();
    in_tx(state, async |tx| {
        let existing = match id {
            Some(id) => Some(custom_fields::get(tx, kind, id).await?.ok_or(ApiError::NotFound)?),
            None => None,
        };
        save_in(tx, kind, existing, m, now).await
    })
    .await
}

/// Deletes field `id` of `kind`.
pub async fn delete(state: &AppState, kind: Record, id: i64) -> Result<()> {
    in_tx(state, async |tx| {
        custom_fields::get(tx, kind, id).await?.ok_or(ApiError::NotFound)?;
        Ok(custom_fields::delete(tx, id).await?)
    })
    .await
}

/// Options as a field body gives them (`{"id", "name", "value"}`), to edit and save back.
fn option_inputs<'a>(options: impl Iterator<Item = &'a FieldOption>) -> Vec<Value> {
    options.map(|o| json!({"id": o.id, "name": o.name, "value": o.value})).collect()
}

/// Saves a field with this option list, checked as a field update checks it.
async fn save_options(
    tx: &mut AnyConnection,
    kind: Record,
    f: CustomField,
    list: Vec<Value>,
    now: i64,
) -> Result<CustomField> {
    let mut body = Map::new();
    body.insert("custom_field_options".into(), Value::Array(list));
    save_in(tx, kind, Some(f), &body, now).await
}

/// Updates the option of field `id` with the body's id, or adds one (`{"id"?, "name",
/// "value"}`); hands back the field, the option's id and whether it is new.
pub async fn upsert_option(
    state: &AppState,
    kind: Record,
    id: i64,
    m: &Map<String, Value>,
) -> Result<(CustomField, Option<i64>, bool)> {
    let now = state.now();
    in_tx(state, async |tx| {
        let f = custom_fields::get(tx, kind, id).await?.ok_or(ApiError::NotFound)?;
        let mut list = option_inputs(f.options().iter());
        let given = m.get("id").and_then(Value::as_i64);
        let is_new = !given.is_some_and(|g| list.iter().any(|o| o["id"].as_i64() == Some(g)));
        if is_new {
            let mut o = m.clone();
            o.remove("id");
            list.push(Value::Object(o));
        } else if let Some(slot) = list.iter_mut().find(|o| o["id"].as_i64() == given) {
            for (k, v) in m {
                slot[k] = v.clone();
            }
        }
        let value = m.get("value").or(m.get("name")).and_then(Value::as_str).unwrap_or("").to_string();
        let f = save_options(tx, kind, f, list, now).await?;
        let tag = frontdesk_domain::normalize_tag(&value).unwrap_or(value);
        let option_id = f.options().iter().find(|o| Some(o.id) == given || o.value == tag).map(|o| o.id);
        Ok((f, option_id, is_new))
    })
    .await
}

/// Removes option `option_id` of field `id`; records that chose it keep their value until it
/// is next changed.
pub async fn remove_option(state: &AppState, kind: Record, id: i64, option_id: i64) -> Result<()> {
    let now = state.now();
    in_tx(state, async |tx| {
        let f = custom_fields::get(tx, kind, id).await?.ok_or(ApiError::NotFound)?;
        let options = f.options();
        if !options.iter().any(|o| o.id == option_id) {
            return Err(ApiError::NotFound);
        }
        let list = option_inputs(options.iter().filter(|o| o.id != option_id));
        save_options(tx, kind, f, list, now).await
    })
    .await?;
    Ok(())
}

/// Orders the fields of `kind` as `ids` lists them (`key` names the list in errors).
pub async fn reorder(state: &AppState, kind: Record, key: &str, ids: &[i64]) -> Result<()> {
    let now = state.now();
    in_tx(state, async |tx| {
        for (pos, id) in ids.iter().enumerate() {
            custom_fields::get(tx, kind, *id)
                .await?
                .ok_or_else(|| ApiError::invalid(key, format!("{key}: there is no field {id}")))?;
            custom_fields::set_position(tx, *id, pos as i64, now).await?;
        }
        Ok(())
    })
    .await
}
