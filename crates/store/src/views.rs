//! Views: saved ticket queues (their tickets are found by the search compiler).

use sqlx::AnyConnection;

use crate::Result;
use crate::sql::Sql;

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct View {
    pub id: i64,
    pub title: String,
    pub description: Option<String>,
    pub active: i64,
    pub position: i64,
    /// JSON `{all, any}`.
    pub conditions: String,
    /// JSON `{columns, group_by, group_order, sort_by, sort_order}`.
    pub output: String,
    /// JSON `{type, id}`, or none for everyone.
    pub restriction: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The format of the JSON above ([`crate::stored`]).
    #[sqlx(try_from = "i64")]
    pub format: crate::stored::Format,
}

const COLUMNS: &str =
    "id, title, description, active, position, conditions, output, restriction, created_at, updated_at, format";

/// Every view (or only active ones), in position order.
pub async fn list(conn: &mut AnyConnection, active_only: bool) -> Result<Vec<View>> {
    let filter = if active_only { " WHERE active = 1" } else { "" };
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM views{filter} ORDER BY position, id")).fetch_all(conn).await?)
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<View>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM views WHERE id = $1")).bind(id).fetch_optional(conn).await?)
}

pub async fn get_many(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<View>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(format!("SELECT {COLUMNS} FROM views WHERE id IN "));
    q.bind_list(ids).push(" ORDER BY position, id");
    Ok(q.query_as().fetch_all(conn).await?)
}

pub async fn insert(conn: &mut AnyConnection, v: &View) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO views (title, description, active, position, conditions, output, restriction, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(&v.title)
    .bind(&v.description)
    .bind(v.active)
    .bind(v.position)
    .bind(&v.conditions)
    .bind(&v.output)
    .bind(&v.restriction)
    .bind(v.created_at)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn update(conn: &mut AnyConnection, v: &View) -> Result<()> {
    sqlx::query(&format!(
        "UPDATE views SET title = $2, description = $3, active = $4, position = $5, conditions = $6, \
             output = $7, restriction = $8, updated_at = $9, format = {} WHERE id = $1",
        crate::stored::FORMAT
    ))
    .bind(v.id)
    .bind(&v.title)
    .bind(&v.description)
    .bind(v.active)
    .bind(v.position)
    .bind(&v.conditions)
    .bind(&v.output)
    .bind(&v.restriction)
    .bind(v.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, ids: &[i64]) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let mut q = Sql::new("DELETE FROM views WHERE id IN ");
    q.bind_list(ids);
    Ok(q.query().execute(conn).await?.rows_affected())
}
