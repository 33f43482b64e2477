//! Groups of agents and their memberships.

use serde_json::{Map, Value};

use frontdesk_store::AnyConnection;
use frontdesk_store::groups::{self, Group, GroupMembership};
use frontdesk_store::users;

use super::in_tx;
use super::input::Obj;
use crate::AppState;
use crate::error::{ApiError, Result};

pub async fn save_in(
    conn: &mut AnyConnection,
    group: Option<Group>,
    m: &Map<String, Value>,
    now: i64,
) -> Result<Group> {
    let o = Obj(m);
    let is_new = group.is_none();
    let mut g = group.unwrap_or_else(|| Group { created_at: now, is_public: 1, ..Default::default() });
    match o.str("name", 255)?.set() {
        Some(n) => {
            let n = n.trim().to_string();
            if let Some(other) = groups::find_by_name(conn, &n).await?
                && other.id != g.id
            {
                return Err(ApiError::invalid_code(
                    "name",
                    "DuplicateValue",
                    format!("Name: {n} has already been taken"),
                ));
            }
            g.name = n;
        }
        None if is_new => return Err(ApiError::blank("name", "Name")),
        None => {}
    }
    if let Some(d) = o.str("description", 65_535)?.apply(Some(g.description.clone())) {
        g.description = d;
    }
    if let Some(b) = o.bool("is_public")? {
        g.is_public = i64::from(b);
    }
    if let Some(b) = o.bool("default")? {
        g.is_default = i64::from(b);
    }
    g.updated_at = now;
    if is_new {
        g.id = groups::insert(conn, &g).await?;
    } else {
        groups::update(conn, &g).await?;
    }
    Ok(g)
}

/// Adds an agent to a group. Only agents and admins can be members.
pub async fn add_member_in(conn: &mut AnyConnection, m: &Map<String, Value>, now: i64) -> Result<GroupMembership> {
    let o = Obj(m);
    let user_id = o.id("user_id")?.set().ok_or_else(|| ApiError::blank("user_id", "User"))?;
    let group_id = o.id("group_id")?.set().ok_or_else(|| ApiError::blank("group_id", "Group"))?;
    let user = users::get(conn, user_id).await?.ok_or_else(|| {
        ApiError::invalid("user_id", format!("user_id: user {user_id} does not exist"))
            .msg("error-no-such-user", &[("id", &user_id)])
    })?;
    if !user.role.is_staff() {
        return Err(ApiError::invalid(
            "user_id",
            format!("user_id: user {user_id} is not an agent; only agents can be group members"),
        )
        .msg("error-not-an-agent", &[("id", &user_id)]));
    }
    groups::get(conn, group_id).await?.filter(|g| g.deleted == 0).ok_or_else(|| {
        ApiError::invalid("group_id", format!("group_id: group {group_id} does not exist"))
            .msg("error-no-such-group", &[("id", &group_id)])
    })?;
    if groups::is_member(conn, user_id, group_id).await? {
        return Err(ApiError::invalid_code(
            "user_id",
            "DuplicateValue",
            format!("user_id: user {user_id} is already a member of group {group_id}"),
        ));
    }
    let first =
        groups::list_memberships(conn, Some(user_id), None, frontdesk_store::PageRequest::After { id: None, size: 1 })
            .await?
            .items
            .is_empty();
    let id = groups::insert_membership(conn, user_id, group_id, o.bool("default")?.unwrap_or(first), now).await?;
    groups::membership(conn, id).await?.ok_or(ApiError::NotFound)
}

/// Creates a group (`id` none) or changes group `id`.
pub async fn save(state: &AppState, id: Option<i64>, m: &Map<String, Value>) -> Result<Group> {
    let now = state.now();
    in_tx(state, async |tx| {
        let existing = match id {
            Some(id) => Some(groups::get(tx, id).await?.filter(|g| g.deleted == 0).ok_or(ApiError::NotFound)?),
            None => None,
        };
        save_in(tx, existing, m, now).await
    })
    .await
}

/// Deletes group `id`; the rules and views that name it come back as warnings (they would no
/// longer apply, and each will flag itself the first time it fails).
pub async fn delete(state: &AppState, id: i64) -> Result<Vec<Value>> {
    let now = state.now();
    in_tx(state, async |tx| {
        let mut g = groups::get(tx, id).await?.filter(|g| g.deleted == 0).ok_or(ApiError::NotFound)?;
        g.deleted = 1;
        g.updated_at = now;
        groups::update(tx, &g).await?;
        super::rules::naming(tx, super::rules::Named::Group(id)).await
    })
    .await
}

/// Adds an agent to a group, from `{user_id, group_id, default?}`.
pub async fn add_member(state: &AppState, m: &Map<String, Value>) -> Result<GroupMembership> {
    let now = state.now();
    in_tx(state, async |tx| add_member_in(tx, m, now).await).await
}

/// Ends group membership `id`.
pub async fn remove_member(state: &AppState, id: i64) -> Result<()> {
    in_tx(state, async |tx| {
        groups::membership(tx, id).await?.ok_or(ApiError::NotFound)?;
        Ok(groups::delete_membership(tx, id).await?)
    })
    .await
}

/// Makes membership `id` user `user_id`'s default group.
pub async fn make_default(state: &AppState, user_id: i64, id: i64) -> Result<()> {
    let now = state.now();
    in_tx(state, async |tx| {
        groups::membership(tx, id).await?.filter(|m| m.user_id == user_id).ok_or(ApiError::NotFound)?;
        Ok(groups::make_default(tx, user_id, id, now).await?)
    })
    .await
}
