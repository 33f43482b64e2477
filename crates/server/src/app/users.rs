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

/// The tag a user gets whose address mixes scripts (a possible look-alike).
pub const MIXED_SCRIPT_TAG: &str = "mixed_script_address";

/// How far an identity is believed when it is added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// Registered with its user (by an admin, an agent, or the system for a new requester).
    Unverified,
    /// Registered and marked verified (only an admin may say so).
    Verified,
    /// Claimed by someone who is not an admin for an existing user: it counts for nothing until
    /// its owner follows the link mailed to it.
    Pending,
}

/// How long a proof link (and so a pending claim) lives.
pub const PROOF_LIFETIME_SECS: i64 = 3 * 86_400;

/// Whether an address is one of the helpdesk's own support addresses.
async fn is_support_address(conn: &mut AnyConnection, value: &str) -> Result<bool> {
    Ok(frontdesk_store::email::addresses(conn).await?.iter().any(|a| a.email.eq_ignore_ascii_case(value)))
}

async fn add_identity(
    conn: &mut AnyConnection,
    user_id: i64,
    kind: IdentityKind,
    value: &str,
    primary: bool,
    proof: Proof,
    now: i64,
) -> Result<i64> {
    let field = if kind == IdentityKind::Email { "email" } else { kind.as_str() };
    if kind == IdentityKind::Email && is_support_address(conn, value).await? {
        return Err(ApiError::invalid_code(
            field,
            "InvalidValue",
            format!("{field}: {value} is a support address of this helpdesk and cannot belong to a user"),
        )
        .msg("error-support-address-claimed", &[("address", &value)]));
    }
    // A registration takes the address from any unproven claim; a new claim only from claims
    // whose link has expired.
    let before = (proof == Proof::Pending).then_some(now - PROOF_LIFETIME_SECS);
    users::drop_pending_claims(conn, kind.as_str(), value, before).await?;
    let i = Identity {
        id: 0,
        user_id,
        kind: kind.as_str().to_string(),
        value: value.to_string(),
        verified: i64::from(proof == Proof::Verified),
        is_primary: i64::from(primary && proof != Proof::Pending),
        undeliverable_count: 0,
        created_at: now,
        updated_at: now,
        proof_pending: i64::from(proof == Proof::Pending),
    };
    users::insert_identity(conn, &i).await.map_err(|e| match e {
        frontdesk_store::StoreError::Duplicate(_) => ApiError::invalid_code(
            field,
            "DuplicateValue",
            format!("{}: {value} is already being used by another user", field),
        ),
        other => other.into(),
    })
}

/// The proof an identity added by `actor` starts with: an admin's word is taken (verified when
/// they say so); anyone else's email address waits for its link. Only an admin may call an
/// identity verified.
pub fn proof_for(actor: &Actor, kind: IdentityKind, verified: Option<bool>) -> Result<Proof> {
    if actor.is_admin() {
        return Ok(if verified == Some(true) { Proof::Verified } else { Proof::Unverified });
    }
    if verified == Some(true) {
        return Err(only_admins_verify());
    }
    Ok(if kind == IdentityKind::Email { Proof::Pending } else { Proof::Unverified })
}

pub fn only_admins_verify() -> ApiError {
    ApiError::Forbidden(
        "Only an admin can mark an identity verified; its owner proves it with the link mailed to it".into(),
    )
}

/// The job that mails the proof link for a pending identity to the address itself.
pub async fn enqueue_proof_mail(conn: &mut AnyConnection, identity: &Identity, locale: &str, now: i64) -> Result<()> {
    if identity.proof_pending == 0 {
        return Ok(());
    }
    let job = frontdesk_store::jobs::NewJob {
        public_id: None,
        kind: frontdesk_domain::JobKind::Link,
        payload: serde_json::json!({
            "user_id": identity.user_id,
            "purpose": frontdesk_store::presence::VERIFY,
            "identity_id": identity.id,
            "locale": locale,
        })
        .to_string(),
        max_attempts: 10,
        run_at_ms: now * 1000,
        total: None,
        requested_by: None,
        unique_key: None,
    };
    frontdesk_store::jobs::enqueue(conn, &job, now).await?;
    Ok(())
}

/// Marks a pending identity proven (its owner followed the mailed link): from now on it is the
/// user's for mail, sign-in and notifications. `None` when it is gone or no longer pending.
pub async fn prove_identity(
    conn: &mut AnyConnection,
    user_id: i64,
    identity_id: i64,
    now: i64,
) -> Result<Option<Identity>> {
    let Some(mut i) = users::identity(conn, user_id, identity_id).await?.filter(|i| i.proof_pending == 1) else {
        return Ok(None);
    };
    i.proof_pending = 0;
    i.verified = 1;
    i.updated_at = now;
    users::update_identity(conn, &i).await?;
    let kind = IdentityKind::parse(&i.kind)?;
    let has_primary = users::identities(conn, &[user_id]).await?.iter().any(|x| x.kind == i.kind && x.is_primary != 0);
    if !has_primary {
        users::make_primary(conn, user_id, i.id, &i.kind, now).await?;
        sync_primary(conn, user_id, kind, Some(&i.value), now).await?;
    } else {
        super::search_index::refresh_user(conn, user_id).await?;
    }
    Ok(users::identity(conn, user_id, identity_id).await?)
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
        role,
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
        let proof = if u.verified != 0 { Proof::Verified } else { Proof::Unverified };
        add_identity(conn, u.id, IdentityKind::Email, e, true, proof, now).await?;
    }
    if let Some(p) = &u.phone {
        add_identity(conn, u.id, IdentityKind::PhoneNumber, p, true, Proof::Unverified, now).await?;
    }
    if let Some(t) = &input.tax_id {
        add_identity(conn, u.id, IdentityKind::TaxId, t, true, Proof::Unverified, now).await?;
    }
    if let Some(o) = u.organization_id {
        users::add_organization_membership(conn, u.id, o, true, now).await?;
    }
    if let Some(tags) = &input.tags {
        tags::add(conn, Tagged::User, u.id, tags).await?;
    }
    // An address mixing Latin, Greek and Cyrillic letters may be a look-alike of another's:
    // the team sees it tagged.
    if input.email.clone().set().is_some_and(|e| e.mixed_script()) {
        tags::add(conn, Tagged::User, u.id, &[MIXED_SCRIPT_TAG.to_string()]).await?;
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

#[allow(clippy::too_many_lines, reason = "longer than a screen: on the list to split (ARCHITECTURE.md)")]
pub async fn update(conn: &mut AnyConnection, actor: &Actor, mut u: User, input: &UserInput, now: i64) -> Result<User> {
    let current_role = u.role;
    let is_self = actor.id() == u.id;
    if !may_manage(actor, current_role) && !is_self {
        return Err(ApiError::forbidden());
    }
    if let Some(r) = input.role {
        if !actor.is_admin() && r != current_role {
            return Err(ApiError::Forbidden("Only admins can change a user's role".into()));
        }
        u.role = r;
        if r == Role::EndUser {
            groups::remove_user(conn, u.id).await?;
        }
    }
    if is_self && !actor.is_staff() {
        // A customer changes their name, address, phone, language, time zone and password; the
        // rest of their record (tags, fields, notes, ids…) is the team's.
        let given = [
            ("suspended", input.suspended.is_some()),
            ("verified", input.verified.is_some()),
            ("organization_id", !input.organization_id.is_absent()),
            ("default_group_id", !input.default_group_id.is_absent()),
            ("external_id", !input.external_id.is_absent()),
            ("alias", !input.alias.is_absent()),
            ("details", !input.details.is_absent()),
            ("notes", !input.notes.is_absent()),
            ("signature", !input.signature.is_absent()),
            ("tags", input.tags.is_some()),
            ("tax_id", input.tax_id.is_some()),
            ("user_fields", input.user_fields.is_some()),
        ];
        super::input::refuse_given(
            &given,
            "End users may change their name, email, phone, locale, time zone and password",
        )?;
    }
    if let Patch::Set(n) = &input.name {
        u.name = n.trim().to_string();
    }
    if let Patch::Set(e) = &input.email
        && u.email.as_deref() != Some(e.as_str())
    {
        if let Some(owner) = users::find_by_identity(conn, "email", e.as_str()).await?
            && owner.id != u.id
        {
            return Err(ApiError::invalid_code(
                "email",
                "DuplicateValue",
                format!("Email: {} is already being used by another user", e.as_str()),
            ));
        }
        let own =
            users::identities(conn, &[u.id]).await?.into_iter().find(|i| i.kind == "email" && i.value == e.as_str());
        let own = match own {
            Some(i) => i,
            None => {
                let proof = proof_for(actor, IdentityKind::Email, None)?;
                let id = add_identity(conn, u.id, IdentityKind::Email, e.as_str(), false, proof, now).await?;
                users::identity(conn, u.id, id).await?.ok_or(ApiError::NotFound)?
            }
        };
        if own.proof_pending != 0 {
            // Someone who is not an admin changed the address: the new one is mailed its proof
            // link, and the account keeps its old address until the link is followed.
            enqueue_proof_mail(conn, &own, u.locale.as_deref().unwrap_or(""), now).await?;
        } else {
            users::make_primary(conn, u.id, own.id, "email", now).await?;
            u.email = Some(e.as_str().to_string());
        }
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
        add_identity(conn, u.id, IdentityKind::PhoneNumber, p, u.phone.is_none(), Proof::Unverified, now).await?;
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
            add_identity(conn, u.id, IdentityKind::TaxId, t, true, Proof::Unverified, now).await?;
        }
    }
    if let Some(tags) = &input.tags {
        tags::replace(conn, Tagged::User, u.id, tags).await?;
    }
    if let Some(p) = &input.password {
        users::set_password_hash(conn, u.id, &crate::auth::hash_password(p)).await?;
        // A new password ends every web session of the user, on every server (sessions are
        // rows), and every server's cached API sign-ins (they are checked against the hash).
        frontdesk_store::sessions::delete_for_user(conn, u.id).await?;
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

/// Adds an identity given as `{type, value, verified?}` on `actor`'s word: an address added by
/// anyone but an admin waits for its proof link (mailed in the same transaction) and is not
/// made primary until proven.
pub async fn create_identity(
    conn: &mut AnyConnection,
    actor: &Actor,
    user_id: i64,
    m: &Map<String, Value>,
    now: i64,
) -> Result<Identity> {
    let o = Obj(m);
    let kind = o.str("type", 32)?.set().ok_or_else(|| ApiError::blank("type", "Type"))?;
    let kind = IdentityKind::parse(&kind).map_err(|e| ApiError::refused("type", "", e))?;
    let value = o.str("value", 255)?.set().ok_or_else(|| ApiError::blank("value", "Value"))?;
    let value = kind.normalize(&value).map_err(|e| ApiError::refused("value", "Value", e))?;
    let proof = proof_for(actor, kind, o.bool("verified")?)?;
    let has_primary =
        users::identities(conn, &[user_id]).await?.iter().any(|i| i.kind == kind.as_str() && i.is_primary != 0);
    let primary = !has_primary && proof != Proof::Pending;
    let id = add_identity(conn, user_id, kind, &value, primary, proof, now).await?;
    if primary {
        sync_primary(conn, user_id, kind, Some(&value), now).await?;
    } else {
        super::search_index::refresh_user(conn, user_id).await?;
    }
    let identity = users::identity(conn, user_id, id).await?.ok_or(ApiError::NotFound)?;
    let locale = users::get(conn, user_id).await?.and_then(|u| u.locale).unwrap_or_default();
    enqueue_proof_mail(conn, &identity, &locale, now).await?;
    Ok(identity)
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
