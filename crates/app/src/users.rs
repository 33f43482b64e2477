//! Users: create, update, identities, memberships, delete.

use serde_json::{Map, Value};

use frontdesk_domain::filter::Record;
use frontdesk_domain::{EmailAddress, IdentityKind, Locale, Role, TimeZone};
use frontdesk_store::AnyConnection;
use frontdesk_store::tags::{self, Tagged};
use frontdesk_store::users::{self, Identity, User};
use frontdesk_store::{groups, organizations};

use super::in_tx;
use super::input::{Gather, Obj, Patch, TagMode};
use crate::AppState;
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
pub async fn create_in(conn: &mut AnyConnection, input: &UserInput, default_role: Role, now: i64) -> Result<User> {
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
pub async fn update_in(
    conn: &mut AnyConnection,
    actor: &Actor,
    mut u: User,
    input: &UserInput,
    now: i64,
) -> Result<User> {
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
pub async fn delete_in(conn: &mut AnyConnection, mut u: User, now: i64) -> Result<User> {
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
    state: &AppState,
    actor: &Actor,
    user_id: i64,
    m: &Map<String, Value>,
) -> Result<Identity> {
    let now = state.now();
    in_tx(state, async |tx| {
        manage_target(tx, actor, user_id).await?;
        create_identity_in(tx, actor, user_id, m, now).await
    })
    .await
}

async fn create_identity_in(
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

fn only_admins_make_staff() -> ApiError {
    ApiError::Forbidden("Only admins can create agents and admins".into())
}

/// Who may change a user's identities, tags and memberships: the user, or whoever may manage
/// that user's role.
async fn manage_target(conn: &mut AnyConnection, actor: &Actor, id: i64) -> Result<()> {
    let u = users::get(conn, id).await?.ok_or(ApiError::NotFound)?;
    if actor.id() == id || may_manage(actor, u.role) { Ok(()) } else { Err(ApiError::forbidden()) }
}

/// Creates a user on `actor`'s word (only an admin makes agents and admins).
pub async fn create(state: &AppState, actor: &Actor, input: &UserInput) -> Result<User> {
    if !may_manage(actor, input.role.unwrap_or(Role::EndUser)) {
        return Err(only_admins_make_staff());
    }
    let now = state.now();
    in_tx(state, async |tx| create_in(tx, input, Role::EndUser, now).await).await
}

/// Updates the user with the input's external id, else its email, or creates one; says
/// whether it created. Another server may create the same person at the same moment: the
/// loser of that race tries once more, and then finds the winner's user to update.
pub async fn create_or_update(state: &AppState, actor: &Actor, input: &UserInput) -> Result<(User, bool)> {
    let now = state.now();
    let external_id = input.external_id.clone().set();
    let mut attempt = 0;
    let out = loop {
        attempt += 1;
        let done = in_tx(state, async |tx| {
            let mut existing = None;
            if let Some(x) = &external_id {
                existing = users::find_by_external_ids(tx, std::slice::from_ref(x)).await?.into_iter().next();
            }
            if existing.is_none()
                && let Some(e) = input.email.clone().set()
            {
                existing = users::find_by_identity(tx, "email", e.as_str()).await?;
            }
            match existing {
                Some(u) => Ok((update_in(tx, actor, u, input, now).await?, false)),
                None if !may_manage(actor, input.role.unwrap_or(Role::EndUser)) => Err(only_admins_make_staff()),
                None => Ok((create_in(tx, input, Role::EndUser, now).await?, true)),
            }
        })
        .await;
        match done {
            Err(e) if e.is_duplicate() && attempt < 2 => continue,
            other => break other?,
        }
    };
    state.auth_cache.clear();
    Ok(out)
}

/// Updates user `id`; when that takes an agent's seat (demoted or suspended), the rules and
/// views that name them come back as warnings.
pub async fn update(state: &AppState, actor: &Actor, id: i64, input: &UserInput) -> Result<Vec<Value>> {
    let now = state.now();
    let warnings = in_tx(state, async |tx| {
        let u = users::get(tx, id).await?.ok_or(ApiError::NotFound)?;
        let was_staff = u.role != Role::EndUser && u.suspended == 0;
        let after = update_in(tx, actor, u, input, now).await?;
        let lost = was_staff && (after.role == Role::EndUser || after.suspended != 0);
        if lost { super::rules::naming(tx, super::rules::Named::User(id)).await } else { Ok(Vec::new()) }
    })
    .await?;
    state.auth_cache.clear();
    if input.password.is_some() {
        state.password_cache.forget_user(id);
    }
    Ok(warnings)
}

/// Deactivates user `id` (never oneself); a deactivated agent's rules and views come back as
/// warnings.
pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> Result<Vec<Value>> {
    if id == actor.id() {
        return Err(ApiError::invalid("base", "You cannot delete yourself").msg("error-delete-self", &[]));
    }
    let now = state.now();
    let warnings = in_tx(state, async |tx| {
        let u = users::get(tx, id).await?.filter(|u| u.active != 0).ok_or(ApiError::NotFound)?;
        let staff = u.role != Role::EndUser;
        delete_in(tx, u, now).await?;
        if staff { super::rules::naming(tx, super::rules::Named::User(id)).await } else { Ok(Vec::new()) }
    })
    .await?;
    state.password_cache.forget_user(id);
    state.auth_cache.clear();
    Ok(warnings)
}

/// Changes an identity's value (admins only: a new address is a new claim) or verified flag
/// (admins only).
pub async fn update_identity(
    state: &AppState,
    actor: &Actor,
    id: i64,
    iid: i64,
    m: &Map<String, Value>,
) -> Result<Identity> {
    let now = state.now();
    let ident = in_tx(state, async |tx| {
        manage_target(tx, actor, id).await?;
        let mut i = users::identity(tx, id, iid).await?.ok_or(ApiError::NotFound)?;
        let o = Obj(m);
        if let Some(v) = o.str("value", 255)?.set() {
            let kind = IdentityKind::parse(&i.kind)?;
            let v = kind.normalize(&v).map_err(|e| ApiError::refused("value", "Value", e))?;
            if v != i.value && !actor.is_admin() {
                return Err(ApiError::Forbidden(
                    "Only an admin can change an identity's value; add the new one as an identity instead".into(),
                ));
            }
            i.value = v;
        }
        if let Some(v) = o.bool("verified")? {
            if !actor.is_admin() && v != (i.verified != 0) {
                return Err(only_admins_verify());
            }
            i.verified = i64::from(v);
            if v {
                i.proof_pending = 0;
            }
        }
        i.updated_at = now;
        users::update_identity(tx, &i).await?;
        if i.is_primary != 0 {
            sync_primary(tx, id, IdentityKind::parse(&i.kind)?, Some(&i.value), now).await?;
        }
        Ok(i)
    })
    .await?;
    state.auth_cache.clear();
    Ok(ident)
}

/// Removes an identity; when it was the primary one, the next proven identity of its kind
/// takes its place (a pending claim never becomes the account's address).
pub async fn delete_identity(state: &AppState, actor: &Actor, id: i64, iid: i64) -> Result<()> {
    let now = state.now();
    in_tx(state, async |tx| {
        manage_target(tx, actor, id).await?;
        let i = users::identity(tx, id, iid).await?.ok_or(ApiError::NotFound)?;
        users::delete_identity(tx, iid).await?;
        if i.is_primary != 0 {
            let kind = IdentityKind::parse(&i.kind)?;
            let next =
                users::identities(tx, &[id]).await?.into_iter().find(|x| x.kind == i.kind && x.proof_pending == 0);
            if let Some(n) = &next {
                users::make_primary(tx, id, n.id, &n.kind, now).await?;
            }
            sync_primary(tx, id, kind, next.as_ref().map(|n| n.value.as_str()), now).await?;
        }
        Ok(())
    })
    .await?;
    state.auth_cache.clear();
    Ok(())
}

/// Makes a proven identity the user's primary one of its kind.
pub async fn make_primary(state: &AppState, actor: &Actor, id: i64, iid: i64) -> Result<()> {
    let now = state.now();
    in_tx(state, async |tx| {
        manage_target(tx, actor, id).await?;
        let i = users::identity(tx, id, iid).await?.ok_or(ApiError::NotFound)?;
        if i.proof_pending != 0 {
            return Err(ApiError::invalid(
                "identity",
                "The identity is waiting for its owner to follow the link mailed to it",
            )
            .msg("error-identity-unproven", &[]));
        }
        users::make_primary(tx, id, iid, &i.kind, now).await?;
        sync_primary(tx, id, IdentityKind::parse(&i.kind)?, Some(&i.value), now).await
    })
    .await?;
    state.auth_cache.clear();
    Ok(())
}

/// Marks an identity verified on an admin's word.
pub async fn verify_identity(state: &AppState, actor: &Actor, id: i64, iid: i64) -> Result<()> {
    if !actor.is_admin() {
        return Err(only_admins_verify());
    }
    let now = state.now();
    in_tx(state, async |tx| {
        manage_target(tx, actor, id).await?;
        let mut i = users::identity(tx, id, iid).await?.ok_or(ApiError::NotFound)?;
        i.verified = 1;
        i.proof_pending = 0;
        i.updated_at = now;
        Ok(users::update_identity(tx, &i).await?)
    })
    .await?;
    state.auth_cache.clear();
    Ok(())
}

/// Replaces, adds or removes a user's tags; hands back the tags after.
pub async fn change_tags(
    state: &AppState,
    actor: &Actor,
    id: i64,
    mode: TagMode,
    list: &[String],
) -> Result<Vec<String>> {
    in_tx(state, async |tx| {
        manage_target(tx, actor, id).await?;
        match mode {
            TagMode::Replace => tags::replace(tx, Tagged::User, id, list).await?,
            TagMode::Add => tags::add(tx, Tagged::User, id, list).await?,
            TagMode::Remove => tags::remove(tx, Tagged::User, id, list).await?,
        }
        super::search_index::refresh_user(tx, id).await?;
        Ok(tags::list(tx, Tagged::User, id).await?)
    })
    .await
}

/// Makes user `user_id` a member of organization `org_id` (their default organization when
/// asked, or when they have none).
pub async fn add_org_membership(
    state: &AppState,
    actor: &Actor,
    user_id: i64,
    org_id: i64,
    is_default: Option<bool>,
) -> Result<users::OrganizationMembership> {
    let now = state.now();
    in_tx(state, async |tx| {
        manage_target(tx, actor, user_id).await.map_err(|e| match e {
            ApiError::NotFound => ApiError::invalid("user_id", format!("user_id: user {user_id} does not exist"))
                .msg("error-no-such-user", &[("id", &user_id)]),
            other => other,
        })?;
        organizations::get(tx, org_id).await?.ok_or_else(|| {
            ApiError::invalid("organization_id", format!("organization_id: organization {org_id} does not exist"))
                .msg("error-no-such-organization", &[("id", &org_id)])
        })?;
        let mut u = users::get(tx, user_id).await?.ok_or(ApiError::NotFound)?;
        let make_default = is_default.unwrap_or(u.organization_id.is_none());
        let m = users::add_organization_membership(tx, user_id, org_id, make_default, now).await?;
        if make_default {
            u.organization_id = Some(org_id);
            u.updated_at = now;
            users::update(tx, &u).await?;
        }
        Ok(m)
    })
    .await
}

/// Ends an organization membership; the user's default organization moves to another of theirs.
pub async fn remove_org_membership(state: &AppState, actor: &Actor, id: i64) -> Result<()> {
    let now = state.now();
    in_tx(state, async |tx| {
        let m = users::organization_membership(tx, id).await?.ok_or(ApiError::NotFound)?;
        manage_target(tx, actor, m.user_id).await?;
        users::delete_organization_membership(tx, id).await?;
        let mut u = users::get(tx, m.user_id).await?.ok_or(ApiError::NotFound)?;
        if u.organization_id == Some(m.organization_id) {
            u.organization_id = organization_ids(tx, m.user_id).await?.first().copied();
            u.updated_at = now;
            users::update(tx, &u).await?;
        }
        Ok(())
    })
    .await
}

/// The first run: the account and its first admin (with the defaults a new helpdesk starts
/// with, in that admin's language). Refused once there is anyone: checked again under the
/// write lock, so two first runs at once make one admin.
pub async fn first_admin(state: &AppState, input: &UserInput, locale: Locale) -> Result<User> {
    let now = state.now();
    in_tx(state, async |tx| {
        frontdesk_store::account::ensure(tx, now).await?;
        if users::count(tx).await? > 0 {
            return Err(ApiError::Forbidden("Frontdesk already has users".into()));
        }
        let admin = create_in(tx, input, Role::Admin, now).await?;
        super::first_run_defaults(tx, admin.id, locale, now).await?;
        Ok(admin)
    })
    .await
}

/// An admin made from the command line; the first user of a new helpdesk also gets the
/// defaults a new helpdesk starts with, in the account's language.
pub async fn create_admin(db: &frontdesk_store::Db, input: &UserInput, now: i64) -> Result<User> {
    super::in_db(db, async |tx| {
        frontdesk_store::account::ensure(tx, now).await?;
        let first = users::count(tx).await? == 0;
        let user = create_in(tx, input, Role::Admin, now).await?;
        if first {
            let account = frontdesk_store::account::get(tx).await?;
            let locale = Locale::parse(&account.locale).unwrap_or(Locale::EnUs);
            super::first_run_defaults(tx, user.id, locale, now).await?;
        }
        Ok(user)
    })
    .await
}
