//! Incremental exports (`zendesk-api.md` §6.8): records changed since a time, or after a
//! cursor in commit order. Deleted tickets are included; the caller shows them as deleted.

use sqlx::AnyConnection;

use crate::Result;
use crate::audits::{AUDIT_COLUMNS, Audit};
use crate::organizations::{self, Organization};
use crate::sql::Sql;
use crate::tickets::{self, Ticket};
use crate::users::{self, User};

/// A record an export can carry: its id, the time it last changed, and where that change sits
/// in commit order.
pub trait Exported: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin {
    /// `(table, columns, time column)`.
    const SOURCE: (&'static str, &'static str, &'static str);
    fn id(&self) -> i64;
    fn stamp(&self) -> i64;
    fn seq(&self) -> i64;
}

impl Exported for Ticket {
    const SOURCE: (&'static str, &'static str, &'static str) = ("tickets", tickets::COLUMNS, "generated_at");
    fn id(&self) -> i64 {
        self.id
    }
    fn stamp(&self) -> i64 {
        self.generated_at
    }
    fn seq(&self) -> i64 {
        self.change_seq
    }
}

impl Exported for User {
    const SOURCE: (&'static str, &'static str, &'static str) = ("users", users::COLUMNS, "updated_at");
    fn id(&self) -> i64 {
        self.id
    }
    fn stamp(&self) -> i64 {
        self.updated_at
    }
    fn seq(&self) -> i64 {
        self.change_seq
    }
}

impl Exported for Organization {
    const SOURCE: (&'static str, &'static str, &'static str) = ("organizations", organizations::COLUMNS, "updated_at");
    fn id(&self) -> i64 {
        self.id
    }
    fn stamp(&self) -> i64 {
        self.updated_at
    }
    fn seq(&self) -> i64 {
        self.change_seq
    }
}

/// Audits are written once, so their ids order them (time exports only).
impl Exported for Audit {
    const SOURCE: (&'static str, &'static str, &'static str) = ("ticket_audits", AUDIT_COLUMNS, "created_at");
    fn id(&self) -> i64 {
        self.id
    }
    fn stamp(&self) -> i64 {
        self.created_at
    }
    fn seq(&self) -> i64 {
        self.id
    }
}

/// Records whose time is at least `start`, by time then id: `per_page` of them, plus every
/// other record of the last second on the page, so a page never splits a second. The flag
/// says whether more follow.
pub async fn by_time<T: Exported>(conn: &mut AnyConnection, start: i64, per_page: i64) -> Result<(Vec<T>, bool)> {
    let (table, cols, time) = T::SOURCE;
    let mut q = Sql::new(format!("SELECT {cols} FROM {table} WHERE {time} >= "));
    q.bind(start).push(&format!(" ORDER BY {time}, id LIMIT ")).bind(per_page + 1);
    let mut items: Vec<T> = q.query_as().fetch_all(&mut *conn).await?;
    if items.len() as i64 <= per_page {
        return Ok((items, false));
    }
    items.truncate(per_page as usize);
    let (last_time, last_id) = items.last().map(|t| (t.stamp(), t.id())).unwrap_or_default();
    let mut rest = Sql::new(format!("SELECT {cols} FROM {table} WHERE {time} = "));
    rest.bind(last_time).push(" AND id > ").bind(last_id).push(" ORDER BY id");
    items.extend(rest.query_as::<T>().fetch_all(&mut *conn).await?);
    Ok((items, true))
}

/// Records changed after `after` (a `(change_seq, id)` position) whose time is at least
/// `start`, in commit order.
pub async fn by_seq<T: Exported>(
    conn: &mut AnyConnection,
    start: i64,
    after: (i64, i64),
    per_page: i64,
) -> Result<(Vec<T>, bool)> {
    let (table, cols, time) = T::SOURCE;
    let mut q = Sql::new(format!("SELECT {cols}, change_seq FROM {table} WHERE {time} >= "));
    q.bind(start).push(" AND (change_seq > ").bind(after.0).push(" OR (change_seq = ").bind(after.0);
    q.push(" AND id > ").bind(after.1).push(")) ORDER BY change_seq, id LIMIT ").bind(per_page + 1);
    let mut items: Vec<T> = q.query_as().fetch_all(conn).await?;
    let more = items.len() as i64 > per_page;
    items.truncate(per_page as usize);
    Ok((items, more))
}
