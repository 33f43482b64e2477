//! A search query resolved into filters, one for each record type it applies to: the search
//! language's parse (domain), with the custom fields known by key (store). The API's search,
//! the pages' search and bulk actions, and campaign audiences all go through here.

use frontdesk_domain::filter::{self, Context, Filter, Record};
use frontdesk_domain::search::{self as query, SearchError};
use frontdesk_store::AnyConnection;

use crate::error::Result;

const ALL: [Record; 3] = [Record::Ticket, Record::User, Record::Organization];

/// Who searches, and when: what resolving `me` and relative dates needs.
#[derive(Debug, Clone, Copy)]
pub struct Asker {
    pub now: i64,
    pub me: i64,
}

/// The query resolved for each record type it can apply to. With `type:` only those types; without,
/// every type whose fields the query uses (`status:open` applies to tickets only). Custom fields
/// are known by key (and `custom_field_<id>`).
pub async fn resolve(
    conn: &mut AnyConnection,
    raw: &str,
    only: Option<Record>,
    asker: Asker,
) -> Result<(Vec<(Record, Filter)>, query::Ordering)> {
    let (cond, ordering) = query::split_ordering(query::parse(raw)?)?;
    let named: Vec<Record> = cond.record_types().iter().filter_map(|t| Record::parse(t)).collect();
    let candidates: Vec<Record> = match only {
        Some(r) => vec![r],
        None if !named.is_empty() => ALL.into_iter().filter(|r| named.contains(r)).collect(),
        None => ALL.to_vec(),
    };
    let mut out = Vec::new();
    let mut first_error: Option<SearchError> = None;
    for r in candidates.iter().copied() {
        let defs = frontdesk_store::custom_fields::defs(conn, r).await?;
        let org_defs = match r {
            Record::User => frontdesk_store::custom_fields::defs(conn, Record::Organization).await?,
            _ => Vec::new(),
        };
        let ctx = Context { now: asker.now, me: asker.me, fields: &defs, org_fields: &org_defs };
        match filter::resolve(&cond, r, ctx) {
            Ok(f) => out.push((r, f)),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match (out.is_empty(), first_error) {
        (true, Some(e)) => Err(e.into()),
        _ => Ok((out, ordering)),
    }
}
