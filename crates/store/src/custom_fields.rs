//! Custom field definitions and the values records hold for them.

use std::collections::{BTreeMap, HashMap};

use sqlx::AnyConnection;

use frontdesk_domain::fields::{FieldDef, FieldOption, FieldType, Stored};
use frontdesk_domain::filter::Record;

use crate::Result;
use crate::sql::Sql;

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct CustomField {
    pub id: i64,
    pub record_kind: String,
    pub field_type: String,
    pub field_key: String,
    pub title: String,
    pub description: String,
    pub agent_description: Option<String>,
    pub title_in_portal: Option<String>,
    pub position: i64,
    pub active: i64,
    pub required: i64,
    pub visible_in_portal: i64,
    pub editable_in_portal: i64,
    pub required_in_portal: i64,
    pub regexp_for_validation: Option<String>,
    pub tag: Option<String>,
    /// JSON array of [`FieldOption`].
    pub options: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl CustomField {
    pub fn options(&self) -> Vec<FieldOption> {
        serde_json::from_str(&self.options).unwrap_or_default()
    }

    /// The definition validation and search work with.
    pub fn def(&self) -> FieldDef {
        FieldDef {
            id: self.id,
            key: self.field_key.clone(),
            title: self.title.clone(),
            kind: FieldType::parse(&self.field_type).unwrap_or(FieldType::Text),
            options: self.options(),
            regexp: self.regexp_for_validation.clone(),
            active: self.active != 0,
            required: self.required != 0,
        }
    }
}

const COLUMNS: &str = "id, record_kind, field_type, field_key, title, description, agent_description, title_in_portal, \
     position, active, required, visible_in_portal, editable_in_portal, required_in_portal, regexp_for_validation, tag, \
     options, created_at, updated_at";

/// A record kind's fields in position order.
pub async fn list(conn: &mut AnyConnection, kind: Record) -> Result<Vec<CustomField>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM custom_fields WHERE record_kind = $1 ORDER BY position, id"))
        .bind(kind.as_str())
        .fetch_all(conn)
        .await?)
}

/// A record kind's field definitions, in position order.
pub async fn defs(conn: &mut AnyConnection, kind: Record) -> Result<Vec<FieldDef>> {
    Ok(list(conn, kind).await?.iter().map(CustomField::def).collect())
}

pub async fn get(conn: &mut AnyConnection, kind: Record, id: i64) -> Result<Option<CustomField>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM custom_fields WHERE id = $1 AND record_kind = $2"))
        .bind(id)
        .bind(kind.as_str())
        .fetch_optional(conn)
        .await?)
}

pub async fn insert(conn: &mut AnyConnection, f: &CustomField) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO custom_fields (record_kind, field_type, field_key, title, description, agent_description, \
         title_in_portal, position, active, required, visible_in_portal, editable_in_portal, required_in_portal, \
         regexp_for_validation, tag, options, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17) RETURNING id",
    )
    .bind(&f.record_kind)
    .bind(&f.field_type)
    .bind(&f.field_key)
    .bind(&f.title)
    .bind(&f.description)
    .bind(&f.agent_description)
    .bind(&f.title_in_portal)
    .bind(f.position)
    .bind(f.active)
    .bind(f.required)
    .bind(f.visible_in_portal)
    .bind(f.editable_in_portal)
    .bind(f.required_in_portal)
    .bind(&f.regexp_for_validation)
    .bind(&f.tag)
    .bind(&f.options)
    .bind(f.created_at)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Saves every column but the id, kind, type and key, which never change.
pub async fn update(conn: &mut AnyConnection, f: &CustomField) -> Result<()> {
    sqlx::query(
        "UPDATE custom_fields SET title = $2, description = $3, agent_description = $4, title_in_portal = $5, \
         position = $6, active = $7, required = $8, visible_in_portal = $9, editable_in_portal = $10, \
         required_in_portal = $11, regexp_for_validation = $12, tag = $13, options = $14, updated_at = $15 WHERE id = $1",
    )
    .bind(f.id)
    .bind(&f.title)
    .bind(&f.description)
    .bind(&f.agent_description)
    .bind(&f.title_in_portal)
    .bind(f.position)
    .bind(f.active)
    .bind(f.required)
    .bind(f.visible_in_portal)
    .bind(f.editable_in_portal)
    .bind(f.required_in_portal)
    .bind(&f.regexp_for_validation)
    .bind(&f.tag)
    .bind(&f.options)
    .bind(f.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes a field and every value records held for it.
pub async fn delete(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM custom_field_values WHERE field_id = $1").bind(id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM custom_fields WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}

pub async fn set_position(conn: &mut AnyConnection, id: i64, position: i64, now: i64) -> Result<()> {
    sqlx::query("UPDATE custom_fields SET position = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(position)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Values by record and field: the canonical strings stored (several for a multi-select).
pub type Values = HashMap<i64, BTreeMap<i64, Vec<String>>>;

/// The values of many records of one kind, in one query.
pub async fn values(conn: &mut AnyConnection, kind: Record, ids: &[i64]) -> Result<Values> {
    let mut out: Values = HashMap::new();
    // By (field, record): the primary key's order, so each value is one index lookup.
    let fields: Vec<(i64,)> = sqlx::query_as("SELECT id FROM custom_fields WHERE record_kind = $1")
        .bind(kind.as_str())
        .fetch_all(&mut *conn)
        .await?;
    let fields: Vec<i64> = fields.into_iter().map(|f| f.0).collect();
    if fields.is_empty() || ids.is_empty() {
        return Ok(out);
    }
    for chunk in ids.chunks(500) {
        let mut q = Sql::new("SELECT record_id, field_id, value FROM custom_field_values WHERE field_id IN ");
        q.bind_list(&fields).push(" AND record_id IN ").bind_list(chunk).push(" ORDER BY value");
        let rows: Vec<(i64, i64, String)> = q.query_as().fetch_all(&mut *conn).await?;
        for (record, field, value) in rows {
            out.entry(record).or_default().entry(field).or_default().push(value);
        }
    }
    Ok(out)
}

/// Replaces a record's values for the fields given (an empty list clears that field).
pub async fn set_values(conn: &mut AnyConnection, record_id: i64, values: &[(i64, Vec<Stored>)]) -> Result<()> {
    if values.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = values.iter().map(|(f, _)| *f).collect();
    let mut q = Sql::new("DELETE FROM custom_field_values WHERE record_id = ");
    q.bind(record_id).push(" AND field_id IN ").bind_list(&ids);
    q.query().execute(&mut *conn).await?;
    let rows: Vec<(i64, &Stored)> = values.iter().flat_map(|(f, list)| list.iter().map(move |s| (*f, s))).collect();
    insert_rows(conn, &rows.iter().map(|(f, s)| (*f, record_id, *s)).collect::<Vec<_>>()).await
}

/// Inserts value rows `(field, record, value)` for records that hold none yet (new records).
pub async fn insert_rows(conn: &mut AnyConnection, rows: &[(i64, i64, &Stored)]) -> Result<()> {
    for chunk in rows.chunks(150) {
        let mut q =
            Sql::new("INSERT INTO custom_field_values (field_id, record_id, value, search_key, number) VALUES ");
        for (i, (field, record, s)) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(").bind(*field).push(", ").bind(*record).push(", ").bind(s.value.as_str());
            q.push(", ").bind(s.search_key.as_str()).push(", ").bind(s.number).push(")");
        }
        q.query().execute(&mut *conn).await?;
    }
    Ok(())
}
