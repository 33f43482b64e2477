//! Custom ticket statuses, each in one status category.

use sqlx::AnyConnection;

use crate::Result;

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct CustomStatus {
    pub id: i64,
    pub status_category: String,
    pub agent_label: String,
    pub end_user_label: String,
    pub description: String,
    pub end_user_description: String,
    pub active: i64,
    pub is_default: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, status_category, agent_label, end_user_label, description, end_user_description, active, \
     is_default, created_at, updated_at";

pub async fn list(conn: &mut AnyConnection, active_only: bool) -> Result<Vec<CustomStatus>> {
    let filter = if active_only { " WHERE active = 1" } else { "" };
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM custom_statuses{filter} ORDER BY id")).fetch_all(conn).await?)
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<CustomStatus>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM custom_statuses WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// The default status of a category (`closed` tickets use the solved one).
pub async fn default_for(conn: &mut AnyConnection, category: &str) -> Result<Option<CustomStatus>> {
    let category = if category == "closed" { "solved" } else { category };
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM custom_statuses WHERE status_category = $1 AND is_default = 1 ORDER BY id LIMIT 1"
    ))
    .bind(category)
    .fetch_optional(conn)
    .await?)
}

pub async fn insert(conn: &mut AnyConnection, s: &CustomStatus) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO custom_statuses (status_category, agent_label, end_user_label, description, end_user_description, \
         active, is_default, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7) RETURNING id",
    )
    .bind(&s.status_category)
    .bind(&s.agent_label)
    .bind(&s.end_user_label)
    .bind(&s.description)
    .bind(&s.end_user_description)
    .bind(s.active)
    .bind(s.created_at)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn update(conn: &mut AnyConnection, s: &CustomStatus) -> Result<()> {
    sqlx::query(
        "UPDATE custom_statuses SET agent_label = $2, end_user_label = $3, description = $4, end_user_description = $5, \
         active = $6, updated_at = $7 WHERE id = $1",
    )
    .bind(s.id)
    .bind(&s.agent_label)
    .bind(&s.end_user_label)
    .bind(&s.description)
    .bind(&s.end_user_description)
    .bind(s.active)
    .bind(s.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}
