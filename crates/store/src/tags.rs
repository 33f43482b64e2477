//! Tags on tickets, users and organizations: one set of functions over three tables.

use std::collections::HashMap;

use sqlx::AnyConnection;

use crate::Result;
use crate::sql::Sql;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tagged {
    Ticket,
    User,
    Organization,
}

impl Tagged {
    fn table(self) -> (&'static str, &'static str) {
        match self {
            Tagged::Ticket => ("ticket_tags", "ticket_id"),
            Tagged::User => ("user_tags", "user_id"),
            Tagged::Organization => ("organization_tags", "organization_id"),
        }
    }
}

pub async fn list(conn: &mut AnyConnection, kind: Tagged, id: i64) -> Result<Vec<String>> {
    let (table, col) = kind.table();
    let rows: Vec<(String,)> = sqlx::query_as(&format!("SELECT tag FROM {table} WHERE {col} = $1 ORDER BY tag"))
        .bind(id)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Tags of many records at once (for lists), keyed by record id.
pub async fn list_many(conn: &mut AnyConnection, kind: Tagged, ids: &[i64]) -> Result<HashMap<i64, Vec<String>>> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let (table, col) = kind.table();
    let mut q = Sql::new(format!("SELECT {col}, tag FROM {table} WHERE {col} IN "));
    q.bind_list(ids).push(" ORDER BY tag");
    let rows: Vec<(i64, String)> = q.query_as().fetch_all(conn).await?;
    for (id, tag) in rows {
        out.entry(id).or_default().push(tag);
    }
    Ok(out)
}

/// Makes the record's tags exactly `tags`.
pub async fn replace(conn: &mut AnyConnection, kind: Tagged, id: i64, tags: &[String]) -> Result<()> {
    let (table, col) = kind.table();
    sqlx::query(&format!("DELETE FROM {table} WHERE {col} = $1")).bind(id).execute(&mut *conn).await?;
    add(conn, kind, id, tags).await
}

pub async fn add(conn: &mut AnyConnection, kind: Tagged, id: i64, tags: &[String]) -> Result<()> {
    let pairs: Vec<(i64, &str)> = tags.iter().map(|t| (id, t.as_str())).collect();
    add_pairs(conn, kind, &pairs).await
}

/// Adds `(record id, tag)` pairs for many records in one statement per 500 pairs.
pub async fn add_pairs(conn: &mut AnyConnection, kind: Tagged, pairs: &[(i64, &str)]) -> Result<()> {
    let (table, col) = kind.table();
    for chunk in pairs.chunks(500) {
        let mut q = Sql::new(format!("INSERT INTO {table} ({col}, tag) VALUES "));
        for (i, (id, t)) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(").bind(*id).push(", ").bind(*t).push(")");
        }
        q.push(&format!(" ON CONFLICT ({col}, tag) DO NOTHING"));
        q.query().execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn remove(conn: &mut AnyConnection, kind: Tagged, id: i64, tags: &[String]) -> Result<()> {
    if tags.is_empty() {
        return Ok(());
    }
    let (table, col) = kind.table();
    let mut q = Sql::new(format!("DELETE FROM {table} WHERE {col} = "));
    q.bind(id).push(" AND tag IN ").bind_list(tags);
    q.query().execute(conn).await?;
    Ok(())
}
