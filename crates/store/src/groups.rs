//! Groups of agents and their memberships.

use sqlx::AnyConnection;

use crate::sql::{HasId, Sql, page};
use crate::{Page, PageRequest, Result};

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub is_public: i64,
    pub is_default: i64,
    pub deleted: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl HasId for Group {
    fn id(&self) -> i64 {
        self.id
    }
}

const COLUMNS: &str = "id, name, description, is_public, is_default, deleted, created_at, updated_at";

pub async fn insert(conn: &mut AnyConnection, g: &Group) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO groups (name, description, is_public, is_default, deleted, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 0, $5, $6) RETURNING id",
    )
    .bind(&g.name)
    .bind(&g.description)
    .bind(g.is_public)
    .bind(g.is_default)
    .bind(g.created_at)
    .bind(g.updated_at)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn update(conn: &mut AnyConnection, g: &Group) -> Result<()> {
    sqlx::query(
        "UPDATE groups SET name = $2, description = $3, is_public = $4, is_default = $5, deleted = $6, updated_at = $7 WHERE id = $1",
    )
    .bind(g.id)
    .bind(&g.name)
    .bind(&g.description)
    .bind(g.is_public)
    .bind(g.is_default)
    .bind(g.deleted)
    .bind(g.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Group>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM groups WHERE id = $1")).bind(id).fetch_optional(conn).await?)
}

pub async fn get_many(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Group>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(format!("SELECT {COLUMNS} FROM groups WHERE id IN "));
    q.bind_list(ids).push(" ORDER BY id");
    Ok(q.query_as().fetch_all(conn).await?)
}

pub async fn find_by_name(conn: &mut AnyConnection, name: &str) -> Result<Option<Group>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM groups WHERE deleted = 0 AND LOWER(name) = LOWER($1)"))
        .bind(name.trim())
        .fetch_optional(conn)
        .await?)
}

/// Groups that have not been deleted.
pub async fn list(conn: &mut AnyConnection, req: PageRequest) -> Result<Page<Group>> {
    let w = " WHERE deleted = 0";
    let select = Sql::new(format!("SELECT {COLUMNS} FROM groups{w}"));
    let count = matches!(req, PageRequest::Offset { .. }).then(|| Sql::new(format!("SELECT COUNT(*) FROM groups{w}")));
    page(conn, select, "id", count, req).await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupMembership {
    pub id: i64,
    pub user_id: i64,
    pub group_id: i64,
    pub is_default: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl HasId for GroupMembership {
    fn id(&self) -> i64 {
        self.id
    }
}

const MEMBERSHIP_COLUMNS: &str = "id, user_id, group_id, is_default, created_at, updated_at";

pub async fn insert_membership(
    conn: &mut AnyConnection,
    user_id: i64,
    group_id: i64,
    is_default: bool,
    now: i64,
) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO group_memberships (user_id, group_id, is_default, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(user_id)
    .bind(group_id)
    .bind(crate::flag(is_default))
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn membership(conn: &mut AnyConnection, id: i64) -> Result<Option<GroupMembership>> {
    Ok(sqlx::query_as(&format!("SELECT {MEMBERSHIP_COLUMNS} FROM group_memberships WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

pub async fn is_member(conn: &mut AnyConnection, user_id: i64, group_id: i64) -> Result<bool> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT id FROM group_memberships WHERE user_id = $1 AND group_id = $2")
        .bind(user_id)
        .bind(group_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.is_some())
}

pub async fn delete_membership(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM group_memberships WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}

pub async fn make_default(conn: &mut AnyConnection, user_id: i64, membership_id: i64, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE group_memberships SET is_default = CASE WHEN id = $2 THEN 1 ELSE 0 END, updated_at = $3 WHERE user_id = $1",
    )
    .bind(user_id)
    .bind(membership_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn list_memberships(
    conn: &mut AnyConnection,
    user_id: Option<i64>,
    group_id: Option<i64>,
    req: PageRequest,
) -> Result<Page<GroupMembership>> {
    let mut w = Sql::new(" WHERE 1 = 1");
    if let Some(u) = user_id {
        w.push(" AND user_id = ").bind(u);
    }
    if let Some(g) = group_id {
        w.push(" AND group_id = ").bind(g);
    }
    let select =
        Sql { text: format!("SELECT {MEMBERSHIP_COLUMNS} FROM group_memberships{}", w.text), args: w.args.clone() };
    let count = matches!(req, PageRequest::Offset { .. })
        .then(|| Sql { text: format!("SELECT COUNT(*) FROM group_memberships{}", w.text), args: w.args.clone() });
    page(conn, select, "id", count, req).await
}

/// The ids of the groups these users belong to, in one query.
pub async fn group_ids_of(conn: &mut AnyConnection, user_ids: &[i64]) -> Result<Vec<i64>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new("SELECT DISTINCT group_id FROM group_memberships WHERE user_id IN ");
    q.bind_list(user_ids).push(" ORDER BY group_id");
    let rows: Vec<(i64,)> = q.query_as().fetch_all(conn).await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Removes an agent from every group (when demoted to end user or deleted).
pub async fn remove_user(conn: &mut AnyConnection, user_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM group_memberships WHERE user_id = $1").bind(user_id).execute(conn).await?;
    Ok(())
}

/// The users in a group, by id.
pub async fn member_ids(conn: &mut AnyConnection, group_id: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> =
        sqlx::query_as("SELECT user_id FROM group_memberships WHERE group_id = $1 ORDER BY user_id")
            .bind(group_id)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}
