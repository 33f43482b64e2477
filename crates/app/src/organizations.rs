//! Organizations: create, update, delete.

use serde_json::{Map, Value};

use frontdesk_domain::filter::Record;
use frontdesk_store::AnyConnection;
use frontdesk_store::organizations::{self, Organization};
use frontdesk_store::tags::{self, Tagged};

use super::in_tx;
use super::input::Obj;
use crate::AppState;
use crate::error::{ApiError, Result};

pub struct OrganizationInput<'a>(Obj<'a>);

impl<'a> OrganizationInput<'a> {
    pub fn new(m: &'a Map<String, Value>) -> Self {
        Self(Obj(m))
    }
}

fn domains(o: &Obj) -> Result<Option<Vec<String>>> {
    let Some(list) = o.str_list("domain_names")? else { return Ok(None) };
    let mut out = Vec::new();
    for d in list {
        let d = d.trim().trim_start_matches('@').to_lowercase();
        if d.is_empty() || !d.contains('.') || d.len() > 253 || d.contains(char::is_whitespace) || d.contains('@') {
            return Err(ApiError::invalid_msg(
                "domain_names",
                "InvalidValue",
                format!("Domain names: {d:?} is not a domain"),
                "error-domain",
                &[("value", d)],
            ));
        }
        if !out.contains(&d) {
            out.push(d);
        }
    }
    Ok(Some(out))
}

/// Applies the input to `org` (new or existing) and saves it.
pub async fn save_in(
    conn: &mut AnyConnection,
    org: Option<Organization>,
    input: &OrganizationInput<'_>,
    now: i64,
) -> Result<Organization> {
    let o = &input.0;
    let is_new = org.is_none();
    let old_name = org.as_ref().map(|o| o.name.clone());
    let mut org = org.unwrap_or_else(|| Organization { created_at: now, ..Default::default() });
    match o.str("name", 255)?.set() {
        Some(n) => org.name = n.trim().to_string(),
        None if is_new => return Err(ApiError::blank("name", "Name")),
        None => {}
    }
    org.external_id = o.str("external_id", 255)?.apply(org.external_id);
    org.details = o.str("details", 65_535)?.apply(org.details);
    org.notes = o.str("notes", 65_535)?.apply(org.notes);
    org.group_id = o.id("group_id")?.apply(org.group_id);
    if let Some(g) = org.group_id {
        frontdesk_store::groups::get(conn, g).await?.ok_or_else(|| {
            ApiError::invalid("group_id", format!("group_id: group {g} does not exist"))
                .msg("error-no-such-group", &[("id", &g)])
        })?;
    }
    if let Some(b) = o.bool("shared_tickets")? {
        org.shared_tickets = i64::from(b);
    }
    if let Some(b) = o.bool("shared_comments")? {
        org.shared_comments = i64::from(b);
    }
    let tag_list = o.tags("tags")?;
    let domain_list = domains(o)?;
    let field_values = super::fields::parse_keyed_values(o, "organization_fields")?;
    org.updated_at = now;
    let dup = |e: frontdesk_store::StoreError| match e {
        frontdesk_store::StoreError::Duplicate(col) if col.contains("name") => ApiError::invalid_code(
            "name",
            "DuplicateValue",
            format!("Name: {} has already been taken", org_name_for_error(o)),
        ),
        other => other.into(),
    };
    if is_new {
        org.id = organizations::insert(conn, &org).await.map_err(dup)?;
    } else {
        organizations::update(conn, &org).await.map_err(dup)?;
    }
    if let Some(t) = tag_list {
        tags::replace(conn, Tagged::Organization, org.id, &t).await?;
    }
    if let Some(d) = domain_list {
        organizations::set_domains(conn, org.id, &d).await?;
    }
    super::fields::save_values(conn, Record::Organization, org.id, field_values.as_ref()).await?;
    super::search_index::refresh_organization(conn, org.id).await?;
    // A user's document holds its organization's name and custom field values.
    if !is_new && (old_name.as_deref() != Some(org.name.as_str()) || field_values.is_some()) {
        for user in frontdesk_store::users::ids_in_organization(conn, org.id).await? {
            super::search_index::refresh_user(conn, user).await?;
        }
    }
    Ok(org)
}

fn org_name_for_error(o: &Obj) -> String {
    o.raw("name").and_then(Value::as_str).unwrap_or("").to_string()
}

/// Creates an organization (`id` none) or changes organization `id`.
pub async fn save(state: &AppState, id: Option<i64>, m: &Map<String, Value>) -> Result<Organization> {
    let now = state.now();
    in_tx(state, async |tx| {
        let existing = match id {
            Some(id) => Some(organizations::get(tx, id).await?.ok_or(ApiError::NotFound)?),
            None => None,
        };
        save_in(tx, existing, &OrganizationInput::new(m), now).await
    })
    .await
}

/// Updates the organization with the body's external id, else its name, or creates one; says
/// whether it created.
pub async fn create_or_update(state: &AppState, m: &Map<String, Value>) -> Result<(Organization, bool)> {
    let now = state.now();
    in_tx(state, async |tx| {
        let mut existing = None;
        if let Some(x) = m.get("external_id").and_then(Value::as_str) {
            existing = organizations::find_by_external_id(tx, x).await?;
        }
        if existing.is_none()
            && let Some(n) = m.get("name").and_then(Value::as_str)
        {
            existing = organizations::find_by_name(tx, n).await?;
        }
        let was_created = existing.is_none();
        Ok((save_in(tx, existing, &OrganizationInput::new(m), now).await?, was_created))
    })
    .await
}

/// Deletes organization `id`.
pub async fn delete(state: &AppState, id: i64) -> Result<()> {
    in_tx(state, async |tx| {
        organizations::get(tx, id).await?.ok_or(ApiError::NotFound)?;
        Ok(organizations::delete(tx, id).await?)
    })
    .await
}
