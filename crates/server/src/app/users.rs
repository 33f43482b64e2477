//! Users: create, update, identities, memberships, delete.

use serde_json::{Map, Value};

use frontdesk_domain::filter::Record;
use frontdesk_domain::{EmailAddress, IdentityKind, Locale, Role, TimeZone};
use frontdesk_store::AnyConnection;
use frontdesk_store::tags::{self, Tagged};
use frontdesk_store::users::{self, Identity, User};
use frontdesk_store::{groups, organizations};

use super::input::{Gather, Obj, Patch};
use crate::auth::{Actor, MIN_PASSWORD_LEN};
use crate::error::{ApiError, Result};

#[derive(Debug, Clone, Default)]
pub struct UserInput {
    pub name: Patch<String>,
    pub email: Patch<EmailAddress>,
    pub role: Option<Role>,
    pub organization_id: Patch<i64>,
    pub default_group_id: Patch<i64>,
    pub phone: Patch<String>,
    pub external_id: Patch<String>,
    pub alias: Patch<String>,
    pub details: Patch<String>,
    pub notes: Patch<String>,
    pub signature: Patch<String>,
    pub locale: Patch<Locale>,
    pub time_zone: Patch<TimeZone>,
    pub verified: Option<bool>,
    pub suspended: Option<bool>,
    pub tags: Option<Vec<String>>,
    /// A Brazilian CPF, stored as a tax_id identity.
    pub tax_id: Option<String>,
    pub password: Option<String>,
    /// Custom field values by key, checked in the transaction.
    pub user_fields: Option<super::fields::RawValues>,
}

impl UserInput {
    /// Reads a user as sent; every field's problem is reported at once.
    pub fn parse(m: &Map<String, Value>) -> Result<UserInput> {
        let o = Obj(m);
        let mut g = Gather::default();
        let email = g.take(o.str("email", 254).and_then(|p| {
            p.try_map(|e| EmailAddress::parse(&e).map_err(|err| ApiError::refused("email", "Email", err)))
        }));
        let role = g.take(o.str("role", 32).and_then(|r| match r.set() {
            Some(r) => Role::parse(&r).map(Some).map_err(|e| ApiError::refused("role", "Role", e)),
            None => Ok(None),
        }));
        let mut locale = g.take(
            o.str("locale", 16)
                .and_then(|p| p.try_map(|l| Locale::parse(&l).map_err(|e| ApiError::refused("locale", "", e)))),
        );
        if locale.is_absent()
            && let Some(id) = o.raw("locale_id").filter(|v| !v.is_null())
        {
            locale = g.take(
                id.as_i64()
                    .ok_or_else(|| {
                        ApiError::invalid("locale_id", "locale_id: must be an integer").msg("error-wrong-type", &[])
                    })
                    .and_then(|id| {
                        Locale::from_id(id).map(Patch::Set).map_err(|e| ApiError::refused("locale_id", "", e))
                    }),
            );
        }
        let time_zone = g.take(
            o.str("iana_time_zone", 64)
                .and_then(|z| if z.is_absent() { o.str("time_zone", 64) } else { Ok(z) })
                .and_then(|z| z.try_map(|z| super::input::time_zone(&z))),
        );
        let phone = g.take(o.str("phone", 64).and_then(|p| {
            p.try_map(|p| IdentityKind::PhoneNumber.normalize(&p).map_err(|e| ApiError::refused("phone", "Phone", e)))
        }));
        let tags = g.take(o.tags("tags"));
        let tax_id = g.take(o.str("tax_id", 32).and_then(|t| match t.set() {
            Some(t) => {
                IdentityKind::TaxId.normalize(&t).map(Some).map_err(|e| ApiError::refused("tax_id", "Tax id", e))
            }
            None => Ok(None),
        }));
        let password = g.take(o.str("password", 1024)).set();
        if let Some(p) = &password
            && p.chars().count() < MIN_PASSWORD_LEN
        {
            g.take::<()>(Err(ApiError::invalid_msg(
                "password",
                "InvalidValue",
                format!("Password: must be at least {MIN_PASSWORD_LEN} characters"),
                "password-too-short",
                &[("min", MIN_PASSWORD_LEN.to_string())],
            )));
        }
        let input = UserInput {
            name: g.take(o.str("name", 255)),
            email,
            role,
            organization_id: g.take(o.id("organization_id")),
            default_group_id: g.take(o.id("default_group_id")),
            phone,
            external_id: g.take(o.str("external_id", 255)),
            alias: g.take(o.str("alias", 255)),
            details: g.take(o.str("details", 65_535)),
            notes: g.take(o.str("notes", 65_535)),
            signature: g.take(o.str("signature", 65_535)),
            locale,
            time_zone,
            verified: g.take(o.bool("verified")),
            suspended: g.take(o.bool("suspended")),
            tags,
            tax_id,
            password,
            user_fields: g.take(super::fields::parse_keyed_values(&o, "user_fields")),
        };
        g.done()?;
        Ok(input)
    }
}

pub async fn organization_ids(conn: &mut AnyConnection, user_id: i64) -> Result<Vec<i64>> {
    let page = users::list_organization_memberships(
        conn,
        Some(user_id),
        None,
        frontdesk_store::PageRequest::After { id: None, size: 1000 },
    )
    .await?;
    Ok(page.items.iter().map(|m| m.organization_id).collect())
}

async fn check_organization(conn: &mut AnyConnection, id: i64) -> Result<()> {
    organizations::get(conn, id).await?.ok_or_else(|| {
        ApiError::invalid("organization_id", format!("organization_id: organization {id} does not exist"))
            .msg("error-no-such-organization", &[("id", &id)])
    })?;
    Ok(())
}

async fn add_identity(
    conn: &mut AnyConnection,
    user_id: i64,
    kind: IdentityKind,
    value: &str,
    primary: bool,
    verified: bool,
    now: i64,
) -> Result<i64> {
    let i = Identity {
        id: 0,
        user_id,
        kind: kind.as_str().to_string(),
        value: value.to_string(),
        verified: i64::from(verified),
        is_primary: i64::from(primary),
        undeliverable_count: 0,
        created_at: now,
        updated_at: now,
    };
    users::insert_identity(conn, &i).await.map_err(|e| match e {
        frontdesk_store::StoreError::Duplicate(_) => {
            let field = if kind == IdentityKind::Email { "email" } else { kind.as_str() };
            ApiError::invalid_code(
                field,
                "DuplicateValue",
                format!("{}: {value} is already being used by another user", field),
            )
        }
        other => other.into(),
    })
}

/// Creates a user with `default_role` unless the input names one.
pub async fn create(conn: &mut AnyConnection, input: &UserInput, default_role: Role, now: i64) -> Result<User> {
    let name = match &input.name {
        Patch::Set(n) => n.trim().to_string(),
        _ => match &input.email {
            Patch::Set(e) => e.as_str().split('@').next().unwrap_or("").to_string(),
            _ => return Err(ApiError::blank("name", "Name")),
        },
    };
    let role = input.role.unwrap_or(default_role);
    let mut organization_id = input.organization_id.clone().set();
    if let Some(o) = organization_id {
        check_organization(conn, o).await?;
    } else if let Patch::Set(e) = &input.email {
        // New end users join the organization that owns their email domain.
        if role == Role::EndUser {
            organization_id = organizations::find_by_domain(conn, e.domain()).await?;
        }
    }
    let mut u = User {
        id: 0,
        name,
        email: input.email.clone().set().map(EmailAddress::into_string),
        role: role.as_str().to_string(),
        organization_id,
        default_group_id: None,
        phone: input.phone.clone().set(),
        external_id: input.external_id.clone().set(),
        alias: input.alias.clone().set(),
        details: input.details.clone().set(),
        notes: input.notes.clone().set(),
        signature: input.signature.clone().set(),
        locale: input.locale.clone().set().map(|l| l.as_str().to_string()),
        time_zone: input.time_zone.clone().set().map(|z| z.as_str().to_string()),
        verified: i64::from(input.verified.unwrap_or(false)),
        active: 1,
        suspended: i64::from(input.suspended.unwrap_or(false)),
        shared_phone_number: 0,
        ticket_restriction: None,
        last_login_at: None,
        created_at: now,
        updated_at: now,
        change_seq: 0,
    };
    u.id = users::insert(conn, &u).await?;
    if let Some(e) = &u.email {
        add_identity(conn, u.id, IdentityKind::Email, e, true, u.verified != 0, now).await?;
    }
    if let Some(p) = &u.phone {
        add_identity(conn, u.id, IdentityKind::PhoneNumber, p, true, false, now).await?;
    }
    if let Some(t) = &input.tax_id {
        add_identity(conn, u.id, IdentityKind::TaxId, t, true, false, now).await?;
    }
    if let Some(o) = u.organization_id {
        users::add_organization_membership(conn, u.id, o, true, now).await?;
    }
    if let Some(tags) = &input.tags {
        tags::add(conn, Tagged::User, u.id, tags).await?;
    }
    if let Some(p) = &input.password {
        users::set_password_hash(conn, u.id, &crate::auth::hash_password(p)).await?;
    }
    super::fields::save_values(conn, Record::User, u.id, input.user_fields.as_ref()).await?;
    super::search_index::refresh_user(conn, u.id).await?;
    Ok(u)
}

/// Who may create or change a user of `role`: admins anyone, agents end users only.
pub fn may_manage(actor: &Actor, role: Role) -> bool {
    actor.is_admin() || (actor.is_staff() && role == Role::EndUser)
}

pub async fn update(conn: &mut AnyConnection, actor: &Actor, mut u: User, input: &UserInput, now: i64) -> Result<User> {
    let current_role = Role::parse(&u.role)?;
    let is_self = actor.id() == u.id;
    if !may_manage(actor, current_role) && !is_self {
        return Err(ApiError::forbidden());
    }
    if let Some(r) = input.role {
        if !actor.is_admin() && r != current_role {
            return Err(ApiError::Forbidden("Only admins can change a user's role".into()));
        }
        u.role = r.as_str().to_string();
        if r == Role::EndUser {
            groups::remove_user(conn, u.id).await?;
        }
    }
    if is_self
        && !actor.is_staff()
        && (input.suspended.is_some() || input.verified.is_some() || !input.organization_id.is_absent())
    {
        return Err(ApiError::forbidden());
    }
    if let Patch::Set(n) = &input.name {
        u.name = n.trim().to_string();
    }
    if let Patch::Set(e) = &input.email
        && u.email.as_deref() != Some(e.as_str())
    {
        match users::find_by_identity(conn, "email", e.as_str()).await? {
            Some(owner) if owner.id != u.id => {
                return Err(ApiError::invalid_code(
                    "email",
                    "DuplicateValue",
                    format!("Email: {} is already being used by another user", e.as_str()),
                ));
            }
            Some(_) => {}
            None => {
                add_identity(conn, u.id, IdentityKind::Email, e.as_str(), false, false, now).await?;
            }
        }
        let id = users::identities(conn, &[u.id])
            .await?
            .into_iter()
            .find(|i| i.kind == "email" && i.value == e.as_str())
            .map(|i| i.id);
        if let Some(id) = id {
            users::make_primary(conn, u.id, id, "email", now).await?;
        }
        u.email = Some(e.as_str().to_string());
    }
    match &input.organization_id {
        Patch::Set(o) => {
            check_organization(conn, *o).await?;
            users::add_organization_membership(conn, u.id, *o, true, now).await?;
            u.organization_id = Some(*o);
        }
        Patch::Null => {
            users::remove_organization_memberships(conn, u.id).await?;
            u.organization_id = None;
        }
        Patch::Absent => {}
    }
    if let Patch::Set(p) = &input.phone
        && u.phone.as_deref() != Some(p.as_str())
    {
        add_identity(conn, u.id, IdentityKind::PhoneNumber, p, u.phone.is_none(), false, now).await?;
    }
    u.phone = input.phone.clone().apply(u.phone);
    u.external_id = input.external_id.clone().apply(u.external_id);
    u.alias = input.alias.clone().apply(u.alias);
    u.details = input.details.clone().apply(u.details);
    u.notes = input.notes.clone().apply(u.notes);
    u.signature = input.signature.clone().apply(u.signature);
    u.locale = input.locale.clone().try_map(|l| Ok(l.as_str().to_string()))?.apply(u.locale);
    u.time_zone = input.time_zone.clone().try_map(|z| Ok(z.as_str().to_string()))?.apply(u.time_zone);
    u.default_group_id = input.default_group_id.clone().apply(u.default_group_id);
    if let Some(v) = input.verified {
        u.verified = i64::from(v);
    }
    if let Some(s) = input.suspended {
        u.suspended = i64::from(s);
    }
    if let Some(t) = &input.tax_id {
        let known = users::identities(conn, &[u.id]).await?.into_iter().any(|i| i.kind == "tax_id" && &i.value == t);
        if !known {
            add_identity(conn, u.id, IdentityKind::TaxId, t, true, false, now).await?;
        }
    }
    if let Some(tags) = &input.tags {
        tags::replace(conn, Tagged::User, u.id, tags).await?;
    }
    if let Some(p) = &input.password {
        users::set_password_hash(conn, u.id, &crate::auth::hash_password(p)).await?;
    }
    u.updated_at = now;
    users::update(conn, &u).await?;
    super::fields::save_values(conn, Record::User, u.id, input.user_fields.as_ref()).await?;
    super::search_index::refresh_user(conn, u.id).await?;
    Ok(u)
}

/// Soft delete: the user is deactivated, loses its identities' uniqueness claims and groups.
pub async fn delete(conn: &mut AnyConnection, mut u: User, now: i64) -> Result<User> {
    u.active = 0;
    u.updated_at = now;
    for i in users::identities(conn, &[u.id]).await? {
        users::delete_identity(conn, i.id).await?;
    }
    groups::remove_user(conn, u.id).await?;
    u.email = None;
    u.external_id = None;
    users::update(conn, &u).await?;
    super::search_index::refresh_user(conn, u.id).await?;
    Ok(u)
}

/// Adds an identity given as `{type, value}`.
pub async fn create_identity(
    conn: &mut AnyConnection,
    user_id: i64,
    m: &Map<String, Value>,
    now: i64,
) -> Result<Identity> {
    let o = Obj(m);
    let kind = o.str("type", 32)?.set().ok_or_else(|| ApiError::blank("type", "Type"))?;
    let kind = IdentityKind::parse(&kind).map_err(|e| ApiError::refused("type", "", e))?;
    let value = o.str("value", 255)?.set().ok_or_else(|| ApiError::blank("value", "Value"))?;
    let value = kind.normalize(&value).map_err(|e| ApiError::refused("value", "Value", e))?;
    let has_primary =
        users::identities(conn, &[user_id]).await?.iter().any(|i| i.kind == kind.as_str() && i.is_primary != 0);
    let verified = o.bool("verified")?.unwrap_or(false);
    let id = add_identity(conn, user_id, kind, &value, !has_primary, verified, now).await?;
    if !has_primary {
        sync_primary(conn, user_id, kind, Some(&value), now).await?;
    } else {
        super::search_index::refresh_user(conn, user_id).await?;
    }
    users::identity(conn, user_id, id).await?.ok_or(ApiError::NotFound)
}

/// Keeps the user's `email`/`phone` columns equal to their primary identities.
pub async fn sync_primary(
    conn: &mut AnyConnection,
    user_id: i64,
    kind: IdentityKind,
    value: Option<&str>,
    now: i64,
) -> Result<()> {
    let Some(mut u) = users::get(conn, user_id).await? else { return Ok(()) };
    match kind {
        IdentityKind::Email => u.email = value.map(str::to_string),
        IdentityKind::PhoneNumber => u.phone = value.map(str::to_string),
        _ => return Ok(()),
    }
    u.updated_at = now;
    users::update(conn, &u).await?;
    super::search_index::refresh_user(conn, user_id).await
}
