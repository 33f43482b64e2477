//! Organizations and their email domains.

use std::collections::HashMap;

use sqlx::AnyConnection;

use crate::sql::{HasId, Sql, page};
use crate::{Page, PageRequest, Result};

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub external_id: Option<String>,
    pub details: Option<String>,
    pub notes: Option<String>,
    pub group_id: Option<i64>,
    pub shared_tickets: i64,
    pub shared_comments: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// Where the last change sits in commit order (selected only by exports).
    #[sqlx(default)]
    pub change_seq: i64,
}

impl HasId for Organization {
    fn id(&self) -> i64 {
        self.id
    }
}

pub const COLUMNS: &str =
    "id, name, external_id, details, notes, group_id, shared_tickets, shared_comments, created_at, updated_at";

/// Organization names are unique regardless of case.
fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

pub async fn insert(conn: &mut AnyConnection, o: &Organization) -> Result<i64> {
    let seq = crate::account::next_changes(conn, 1).await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO organizations (name, name_key, external_id, details, notes, group_id, shared_tickets, \
         shared_comments, created_at, updated_at, change_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         RETURNING id",
    )
    .bind(&o.name)
    .bind(name_key(&o.name))
    .bind(&o.external_id)
    .bind(&o.details)
    .bind(&o.notes)
    .bind(o.group_id)
    .bind(o.shared_tickets)
    .bind(o.shared_comments)
    .bind(o.created_at)
    .bind(o.updated_at)
    .bind(seq)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn update(conn: &mut AnyConnection, o: &Organization) -> Result<()> {
    let seq = crate::account::next_changes(conn, 1).await?;
    sqlx::query(
        "UPDATE organizations SET name = $2, name_key = $3, external_id = $4, details = $5, notes = $6, group_id = $7, \
         shared_tickets = $8, shared_comments = $9, updated_at = $10, change_seq = $11 WHERE id = $1",
    )
    .bind(o.id)
    .bind(&o.name)
    .bind(name_key(&o.name))
    .bind(&o.external_id)
    .bind(&o.details)
    .bind(&o.notes)
    .bind(o.group_id)
    .bind(o.shared_tickets)
    .bind(o.shared_comments)
    .bind(o.updated_at)
    .bind(seq)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Organization>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM organizations WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

pub async fn get_many(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Organization>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(format!("SELECT {COLUMNS} FROM organizations WHERE id IN "));
    q.bind_list(ids).push(" ORDER BY id");
    Ok(q.query_as().fetch_all(conn).await?)
}

pub async fn find_by_name(conn: &mut AnyConnection, name: &str) -> Result<Option<Organization>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM organizations WHERE name_key = $1"))
        .bind(name_key(name))
        .fetch_optional(conn)
        .await?)
}

pub async fn find_by_external_id(conn: &mut AnyConnection, external_id: &str) -> Result<Option<Organization>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM organizations WHERE external_id = $1"))
        .bind(external_id)
        .fetch_optional(conn)
        .await?)
}

/// Organizations whose name starts with `prefix` (case-insensitive), by name.
pub async fn autocomplete(conn: &mut AnyConnection, prefix: &str, limit: i64) -> Result<Vec<Organization>> {
    let escaped = name_key(prefix).replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM organizations WHERE name_key LIKE $1 ESCAPE '\\' ORDER BY name_key LIMIT $2"
    ))
    .bind(format!("{escaped}%"))
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The organization that owns an email domain, for new end users.
pub async fn find_by_domain(conn: &mut AnyConnection, domain: &str) -> Result<Option<i64>> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT organization_id FROM organization_domains WHERE domain = $1 ORDER BY organization_id LIMIT 1",
    )
    .bind(domain.to_lowercase())
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| r.0))
}

pub async fn list(conn: &mut AnyConnection, req: PageRequest) -> Result<Page<Organization>> {
    let select = Sql::new(format!("SELECT {COLUMNS} FROM organizations WHERE 1 = 1"));
    let count = matches!(req, PageRequest::Offset { .. }).then(|| Sql::new("SELECT COUNT(*) FROM organizations"));
    page(conn, select, "id", count, req).await
}

pub async fn delete(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("UPDATE users SET organization_id = NULL WHERE organization_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM organizations WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}

pub async fn domains(conn: &mut AnyConnection, ids: &[i64]) -> Result<HashMap<i64, Vec<String>>> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut q = Sql::new("SELECT organization_id, domain FROM organization_domains WHERE organization_id IN ");
    q.bind_list(ids).push(" ORDER BY domain");
    let rows: Vec<(i64, String)> = q.query_as().fetch_all(conn).await?;
    for (id, d) in rows {
        out.entry(id).or_default().push(d);
    }
    Ok(out)
}

pub async fn set_domains(conn: &mut AnyConnection, id: i64, domains: &[String]) -> Result<()> {
    sqlx::query("DELETE FROM organization_domains WHERE organization_id = $1").bind(id).execute(&mut *conn).await?;
    for d in domains {
        sqlx::query(
            "INSERT INTO organization_domains (organization_id, domain) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(d)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
