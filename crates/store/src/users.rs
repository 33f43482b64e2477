//! Users, their identities (emails, phones, tax ids…) and organization memberships.

use sqlx::AnyConnection;

use crate::sql::{HasId, Sql, page};
use crate::{Page, PageRequest, Result};

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub name: String,
    /// The primary email identity, kept here so lists need no join.
    pub email: Option<String>,
    #[sqlx(try_from = "String")]
    pub role: frontdesk_domain::Role,
    pub organization_id: Option<i64>,
    pub default_group_id: Option<i64>,
    pub phone: Option<String>,
    pub external_id: Option<String>,
    pub alias: Option<String>,
    pub details: Option<String>,
    pub notes: Option<String>,
    pub signature: Option<String>,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
    pub verified: i64,
    pub active: i64,
    pub suspended: i64,
    pub shared_phone_number: i64,
    pub ticket_restriction: Option<String>,
    pub last_login_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Where the last change sits in commit order (selected only by exports).
    #[sqlx(default)]
    pub change_seq: i64,
}

impl HasId for User {
    fn id(&self) -> i64 {
        self.id
    }
}

pub const COLUMNS: &str = "id, name, email, role, organization_id, default_group_id, phone, external_id, alias, details, \
     notes, signature, locale, time_zone, verified, active, suspended, shared_phone_number, ticket_restriction, \
     last_login_at, created_at, updated_at";

pub async fn insert(conn: &mut AnyConnection, u: &User) -> Result<i64> {
    let seq = crate::account::next_changes(conn, 1).await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO users (name, email, role, organization_id, default_group_id, phone, external_id, alias, details, \
         notes, signature, locale, time_zone, verified, active, suspended, shared_phone_number, ticket_restriction, \
         last_login_at, created_at, updated_at, change_seq) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22) \
         RETURNING id",
    )
    .bind(&u.name)
    .bind(&u.email)
    .bind(u.role.as_str())
    .bind(u.organization_id)
    .bind(u.default_group_id)
    .bind(&u.phone)
    .bind(&u.external_id)
    .bind(&u.alias)
    .bind(&u.details)
    .bind(&u.notes)
    .bind(&u.signature)
    .bind(&u.locale)
    .bind(&u.time_zone)
    .bind(u.verified)
    .bind(u.active)
    .bind(u.suspended)
    .bind(u.shared_phone_number)
    .bind(&u.ticket_restriction)
    .bind(u.last_login_at)
    .bind(u.created_at)
    .bind(u.updated_at)
    .bind(seq)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Locks a user's row until the transaction ends (PostgreSQL; SQLite has one writer), so that
/// what is counted for them under it (links, automatic mail) cannot be counted twice at once.
pub async fn lock(conn: &mut AnyConnection, id: i64) -> Result<()> {
    let lock = crate::dialect(conn).for_update();
    sqlx::query(&format!("SELECT id FROM users WHERE id = $1{lock}")).bind(id).fetch_optional(conn).await?;
    Ok(())
}

pub async fn update(conn: &mut AnyConnection, u: &User) -> Result<()> {
    let seq = crate::account::next_changes(conn, 1).await?;
    sqlx::query(
        "UPDATE users SET name = $2, email = $3, role = $4, organization_id = $5, default_group_id = $6, phone = $7, \
         external_id = $8, alias = $9, details = $10, notes = $11, signature = $12, locale = $13, time_zone = $14, \
         verified = $15, active = $16, suspended = $17, shared_phone_number = $18, ticket_restriction = $19, \
         last_login_at = $20, updated_at = $21, change_seq = $22 WHERE id = $1",
    )
    .bind(u.id)
    .bind(&u.name)
    .bind(&u.email)
    .bind(u.role.as_str())
    .bind(u.organization_id)
    .bind(u.default_group_id)
    .bind(&u.phone)
    .bind(&u.external_id)
    .bind(&u.alias)
    .bind(&u.details)
    .bind(&u.notes)
    .bind(&u.signature)
    .bind(&u.locale)
    .bind(&u.time_zone)
    .bind(u.verified)
    .bind(u.active)
    .bind(u.suspended)
    .bind(u.shared_phone_number)
    .bind(&u.ticket_restriction)
    .bind(u.last_login_at)
    .bind(u.updated_at)
    .bind(seq)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<User>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM users WHERE id = $1")).bind(id).fetch_optional(conn).await?)
}

pub async fn get_many(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<User>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(format!("SELECT {COLUMNS} FROM users WHERE id IN "));
    q.bind_list(ids).push(" ORDER BY id");
    Ok(q.query_as().fetch_all(conn).await?)
}

pub async fn find_by_external_ids(conn: &mut AnyConnection, ids: &[String]) -> Result<Vec<User>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(format!("SELECT {COLUMNS} FROM users WHERE external_id IN "));
    q.bind_list(ids).push(" ORDER BY id");
    Ok(q.query_as().fetch_all(conn).await?)
}

/// The user who owns an identity (an email address, a phone, a tax id…), normalised. A claim
/// still waiting for its proof owns nothing.
pub async fn find_by_identity(conn: &mut AnyConnection, kind: &str, value: &str) -> Result<Option<User>> {
    let cols = COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ");
    Ok(sqlx::query_as(&format!(
        "SELECT {cols} FROM users u JOIN user_identities i ON i.user_id = u.id \
         WHERE i.kind = $1 AND i.value = $2 AND i.proof_pending = 0"
    ))
    .bind(kind)
    .bind(value)
    .fetch_optional(conn)
    .await?)
}

/// Filters for listing users.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub roles: Vec<String>,
    pub organization_id: Option<i64>,
    pub group_id: Option<i64>,
    pub external_id: Option<String>,
}

pub async fn list(conn: &mut AnyConnection, f: &UserFilter, req: PageRequest) -> Result<Page<User>> {
    let mut where_ = Sql::new(" WHERE 1 = 1");
    if !f.roles.is_empty() {
        where_.push(" AND role IN ").bind_list(&f.roles);
    }
    if let Some(org) = f.organization_id {
        where_
            .push(" AND id IN (SELECT user_id FROM organization_memberships WHERE organization_id = ")
            .bind(org)
            .push(")");
    }
    if let Some(g) = f.group_id {
        where_.push(" AND id IN (SELECT user_id FROM group_memberships WHERE group_id = ").bind(g).push(")");
    }
    if let Some(x) = &f.external_id {
        where_.push(" AND external_id = ").bind(x.as_str());
    }
    let select = Sql { text: format!("SELECT {COLUMNS} FROM users{}", where_.text), args: where_.args.clone() };
    let count = matches!(req, PageRequest::Offset { .. })
        .then(|| Sql { text: format!("SELECT COUNT(*) FROM users{}", where_.text), args: where_.args.clone() });
    page(conn, select, "id", count, req).await
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users").fetch_one(conn).await?;
    Ok(n)
}

pub async fn password_hash(conn: &mut AnyConnection, id: i64) -> Result<Option<String>> {
    let row: Option<(Option<String>,)> =
        sqlx::query_as("SELECT password_hash FROM users WHERE id = $1").bind(id).fetch_optional(conn).await?;
    Ok(row.and_then(|r| r.0))
}

pub async fn set_password_hash(conn: &mut AnyConnection, id: i64, hash: &str) -> Result<()> {
    sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1").bind(id).bind(hash).execute(conn).await?;
    Ok(())
}

// ---- identities ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Identity {
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub value: String,
    pub verified: i64,
    pub is_primary: i64,
    pub undeliverable_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// 1 while the address waits for its owner to follow the link mailed to it: until then it
    /// is nobody's for mail, sign-in or notifications.
    pub proof_pending: i64,
}

const IDENTITY_COLUMNS: &str =
    "id, user_id, kind, value, verified, is_primary, undeliverable_count, created_at, updated_at, proof_pending";

pub async fn identities(conn: &mut AnyConnection, user_ids: &[i64]) -> Result<Vec<Identity>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(format!("SELECT {IDENTITY_COLUMNS} FROM user_identities WHERE user_id IN "));
    q.bind_list(user_ids).push(" ORDER BY user_id, id");
    Ok(q.query_as().fetch_all(conn).await?)
}

pub async fn identity(conn: &mut AnyConnection, user_id: i64, id: i64) -> Result<Option<Identity>> {
    Ok(sqlx::query_as(&format!("SELECT {IDENTITY_COLUMNS} FROM user_identities WHERE user_id = $1 AND id = $2"))
        .bind(user_id)
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

pub async fn insert_identity(conn: &mut AnyConnection, i: &Identity) -> Result<i64> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO user_identities (user_id, kind, value, verified, is_primary, undeliverable_count, created_at, updated_at, proof_pending) \
         VALUES ($1, $2, $3, $4, $5, 0, $6, $6, $7) RETURNING id",
    )
    .bind(i.user_id)
    .bind(&i.kind)
    .bind(&i.value)
    .bind(i.verified)
    .bind(i.is_primary)
    .bind(i.created_at)
    .bind(i.proof_pending)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn update_identity(conn: &mut AnyConnection, i: &Identity) -> Result<()> {
    sqlx::query(
        "UPDATE user_identities SET value = $2, verified = $3, is_primary = $4, updated_at = $5, proof_pending = $6 \
         WHERE id = $1",
    )
    .bind(i.id)
    .bind(&i.value)
    .bind(i.verified)
    .bind(i.is_primary)
    .bind(i.updated_at)
    .bind(i.proof_pending)
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes the unproven claims on an address: all of them when someone registers it for real,
/// or those made before `before` (their link has expired) when someone else claims it.
pub async fn drop_pending_claims(conn: &mut AnyConnection, kind: &str, value: &str, before: Option<i64>) -> Result<()> {
    sqlx::query(
        "DELETE FROM user_identities WHERE kind = $1 AND value = $2 AND proof_pending = 1 \
         AND ($3 IS NULL OR created_at < $3)",
    )
    .bind(kind)
    .bind(value)
    .bind(before)
    .execute(conn)
    .await?;
    Ok(())
}

/// An identity by its id alone (for a proof link, which names only the identity).
pub async fn identity_by_id(conn: &mut AnyConnection, id: i64) -> Result<Option<Identity>> {
    Ok(sqlx::query_as(&format!("SELECT {IDENTITY_COLUMNS} FROM user_identities WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// Makes one identity the primary of its kind for its user.
pub async fn make_primary(
    conn: &mut AnyConnection,
    user_id: i64,
    identity_id: i64,
    kind: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE user_identities SET is_primary = CASE WHEN id = $2 THEN 1 ELSE 0 END, updated_at = $4 \
         WHERE user_id = $1 AND kind = $3",
    )
    .bind(user_id)
    .bind(identity_id)
    .bind(kind)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_identity(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM user_identities WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}

// ---- organization memberships ----

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrganizationMembership {
    pub id: i64,
    pub user_id: i64,
    pub organization_id: i64,
    pub is_default: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl HasId for OrganizationMembership {
    fn id(&self) -> i64 {
        self.id
    }
}

const MEMBERSHIP_COLUMNS: &str = "id, user_id, organization_id, is_default, created_at, updated_at";

/// Adds a membership (no-op if present) and returns it.
/// Users whose primary organization is `org`.
pub async fn ids_in_organization(conn: &mut AnyConnection, org: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> =
        sqlx::query_as("SELECT id FROM users WHERE organization_id = $1 ORDER BY id").bind(org).fetch_all(conn).await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

pub async fn add_organization_membership(
    conn: &mut AnyConnection,
    user_id: i64,
    organization_id: i64,
    is_default: bool,
    now: i64,
) -> Result<OrganizationMembership> {
    sqlx::query(
        "INSERT INTO organization_memberships (user_id, organization_id, is_default, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $4) ON CONFLICT (user_id, organization_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(organization_id)
    .bind(crate::flag(is_default))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if is_default {
        sqlx::query(
            "UPDATE organization_memberships SET is_default = CASE WHEN organization_id = $2 THEN 1 ELSE 0 END \
             WHERE user_id = $1",
        )
        .bind(user_id)
        .bind(organization_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(sqlx::query_as(&format!(
        "SELECT {MEMBERSHIP_COLUMNS} FROM organization_memberships WHERE user_id = $1 AND organization_id = $2"
    ))
    .bind(user_id)
    .bind(organization_id)
    .fetch_one(conn)
    .await?)
}

pub async fn organization_membership(conn: &mut AnyConnection, id: i64) -> Result<Option<OrganizationMembership>> {
    Ok(sqlx::query_as(&format!("SELECT {MEMBERSHIP_COLUMNS} FROM organization_memberships WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

pub async fn delete_organization_membership(conn: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM organization_memberships WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}

pub async fn remove_organization_memberships(conn: &mut AnyConnection, user_id: i64) -> Result<()> {
    sqlx::query("DELETE FROM organization_memberships WHERE user_id = $1").bind(user_id).execute(conn).await?;
    Ok(())
}

pub async fn list_organization_memberships(
    conn: &mut AnyConnection,
    user_id: Option<i64>,
    organization_id: Option<i64>,
    req: PageRequest,
) -> Result<Page<OrganizationMembership>> {
    let mut w = Sql::new(" WHERE 1 = 1");
    if let Some(u) = user_id {
        w.push(" AND user_id = ").bind(u);
    }
    if let Some(o) = organization_id {
        w.push(" AND organization_id = ").bind(o);
    }
    let select = Sql {
        text: format!("SELECT {MEMBERSHIP_COLUMNS} FROM organization_memberships{}", w.text),
        args: w.args.clone(),
    };
    let count = matches!(req, PageRequest::Offset { .. }).then(|| Sql {
        text: format!("SELECT COUNT(*) FROM organization_memberships{}", w.text),
        args: w.args.clone(),
    });
    page(conn, select, "id", count, req).await
}

/// The first admin, by id: who a rule's comments come from when a ticket has no assignee.
pub async fn first_admin(conn: &mut AnyConnection) -> Result<Option<i64>> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM users WHERE role = 'admin' AND active = 1 ORDER BY id LIMIT 1")
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|r| r.0))
}

/// Every active agent and admin.
pub async fn staff_ids(conn: &mut AnyConnection) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> =
        sqlx::query_as("SELECT id FROM users WHERE role IN ('agent', 'admin') AND active = 1 ORDER BY id")
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// The active admins, to be told what needs one.
pub async fn admin_ids(conn: &mut AnyConnection) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> =
        sqlx::query_as("SELECT id FROM users WHERE role = 'admin' AND active = 1 ORDER BY id").fetch_all(conn).await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Marks an email identity undeliverable after a hard bounce; false when no user has it.
pub async fn mark_undeliverable(conn: &mut AnyConnection, email: &str, now: i64) -> Result<bool> {
    let r = sqlx::query(
        "UPDATE user_identities SET undeliverable_count = undeliverable_count + 1, updated_at = $2 \
         WHERE kind = 'email' AND value = $1",
    )
    .bind(email)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() > 0)
}

/// Whether an email identity has hard-bounced.
pub async fn is_undeliverable(conn: &mut AnyConnection, email: &str) -> Result<bool> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT undeliverable_count FROM user_identities WHERE kind = 'email' AND value = $1")
            .bind(email)
            .fetch_optional(conn)
            .await?;
    Ok(row.is_some_and(|(n,)| n > 0))
}
