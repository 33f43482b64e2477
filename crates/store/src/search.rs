//! Free-text documents and the compiler from a typed [`Filter`] to SQL. One compiler serves
//! search, views and rules, for both databases.

use sqlx::AnyConnection;

use frontdesk_domain::filter::{FieldTest, Filter, Predicate, Record, Ref, Section, TimeField, UserRole};
use frontdesk_domain::search::Op;

use crate::sql::{HasId, Sql, page};
use crate::{Page, PageRequest, Result};

/// One searchable document; `body` is already normalised (lowercase, no accents).
#[derive(Debug, Clone)]
pub struct Document {
    pub rowid: i64,
    pub record_kind: &'static str,
    pub record_id: i64,
    pub section: &'static str,
    pub body: String,
}

impl Document {
    pub fn ticket_subject(ticket_id: i64, body: String) -> Self {
        Document { rowid: ticket_id * 4, record_kind: "ticket", record_id: ticket_id, section: "subject", body }
    }
    /// A ticket's custom field values: rowid -(ticket id * 4), as no other document is negative.
    pub fn ticket_fields(ticket_id: i64, body: String) -> Self {
        Document { rowid: -(ticket_id * 4), record_kind: "ticket", record_id: ticket_id, section: "fields", body }
    }
    pub fn comment(ticket_id: i64, comment_id: i64, body: String) -> Self {
        Document { rowid: comment_id * 4 + 1, record_kind: "ticket", record_id: ticket_id, section: "comment", body }
    }
    pub fn user(user_id: i64, body: String) -> Self {
        Document { rowid: user_id * 4 + 2, record_kind: "user", record_id: user_id, section: "user", body }
    }
    pub fn organization(org_id: i64, body: String) -> Self {
        Document {
            rowid: org_id * 4 + 3,
            record_kind: "organization",
            record_id: org_id,
            section: "organization",
            body,
        }
    }
}

/// Writes documents, replacing any with the same rowid.
pub async fn put(conn: &mut AnyConnection, docs: &[Document]) -> Result<()> {
    if docs.is_empty() {
        return Ok(());
    }
    let rowids: Vec<i64> = docs.iter().map(|d| d.rowid).collect();
    delete(conn, &rowids).await?;
    insert(conn, docs).await
}

/// Up to `limit` ids of a record kind after `after`, in id order: a walk over every record to
/// rebuild its documents.
pub async fn ids_after(conn: &mut AnyConnection, record: Record, after: i64, limit: i64) -> Result<Vec<i64>> {
    let table = match record {
        Record::Ticket => "tickets",
        Record::User => "users",
        Record::Organization => "organizations",
    };
    let rows: Vec<(i64,)> = sqlx::query_as(&format!("SELECT id FROM {table} WHERE id > $1 ORDER BY id LIMIT $2"))
        .bind(after)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The table a record kind's documents live in: tickets' (subjects, comments, custom field
/// values) in one, people's (users, organizations) in another.
fn table(record: Record) -> &'static str {
    match record {
        Record::Ticket => "search_documents",
        Record::User | Record::Organization => "people_documents",
    }
}

/// The table of a document, from its rowid (users are id*4+2, organizations id*4+3).
fn table_of_rowid(rowid: i64) -> &'static str {
    if matches!(rowid.rem_euclid(4), 2 | 3) { table(Record::User) } else { table(Record::Ticket) }
}

/// Writes documents known to be new (a new ticket's subject, a new comment).
pub async fn insert(conn: &mut AnyConnection, docs: &[Document]) -> Result<()> {
    for t in [table(Record::Ticket), table(Record::User)] {
        let mine: Vec<&Document> = docs.iter().filter(|d| table_of_rowid(d.rowid) == t).collect();
        insert_into(conn, t, &mine).await?;
    }
    Ok(())
}

async fn insert_into(conn: &mut AnyConnection, table: &str, docs: &[&Document]) -> Result<()> {
    for chunk in docs.chunks(200) {
        let mut q = Sql::new(format!("INSERT INTO {table} (rowid, record_kind, record_id, section, body) VALUES "));
        for (i, d) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push("(").bind(d.rowid).push(", ").bind(d.record_kind).push(", ").bind(d.record_id);
            q.push(", ").bind(d.section).push(", ").bind(d.body.as_str()).push(")");
        }
        q.query().execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn delete(conn: &mut AnyConnection, rowids: &[i64]) -> Result<()> {
    for t in [table(Record::Ticket), table(Record::User)] {
        let mine: Vec<i64> = rowids.iter().copied().filter(|r| table_of_rowid(*r) == t).collect();
        for chunk in mine.chunks(500) {
            let mut q = Sql::new(format!("DELETE FROM {t} WHERE rowid IN "));
            q.bind_list(chunk);
            q.query().execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// `LIKE` pattern for a substring; `%`, `_` and `\` in the text are escaped.
fn like_pattern(text: &str) -> (String, bool) {
    let needs_escape = text.contains(['%', '_', '\\']);
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    (format!("%{escaped}%"), needs_escape)
}

fn push_like(q: &mut Sql, column: &str, text: &str) {
    let (pattern, escape) = like_pattern(text);
    q.push(column).push(" LIKE ").bind(pattern);
    if escape {
        q.push(" ESCAPE '\\'");
    }
}

/// The alias and id column a filter for `record` refers to: `t` (tickets), `u` (users) or `o`
/// (organizations).
pub fn alias(record: Record) -> &'static str {
    match record {
        Record::Ticket => "t",
        Record::User => "u",
        Record::Organization => "o",
    }
}

/// How a compiled filter will be used: to find every match (`Set`: lookups in other tables are
/// `IN (subquery)`, which the database can drive from), or to check a few known rows (`Row`:
/// lookups are correlated `EXISTS` probes, so nothing is built for rows not asked about).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Set,
    Row,
}

/// Appends a boolean SQL expression for `f`. Every predicate yields true or false, never NULL,
/// so `NOT` means what it means in memory.
pub fn compile(f: &Filter, record: Record, q: &mut Sql) {
    compile_as(f, record, Shape::Set, q)
}

pub fn compile_as(f: &Filter, record: Record, shape: Shape, q: &mut Sql) {
    match f {
        Filter::All(v) | Filter::Any(v) if v.is_empty() => {
            q.push(if matches!(f, Filter::All(_)) { "1 = 1" } else { "1 = 0" });
        }
        Filter::All(v) if shape == Shape::Set && v.iter().filter(|c| positive_lookup(c)).count() >= 2 => {
            // Several lookups in other tables (tags, custom field values): the most selective
            // one drives (an equality before a range), and each other one is a probe by id on
            // the driver's rows, so only ids in all of them reach the records. Building each
            // list and intersecting them read every row of the broad ones.
            let lookups: Vec<&Predicate> = v
                .iter()
                .filter_map(|c| match c {
                    Filter::Pred(p) if positive_lookup(c) => Some(p),
                    _ => None,
                })
                .collect();
            let driver = lookups.iter().position(|p| exact_lookup(p)).unwrap_or(0);
            let (col, table) = lookup_source(lookups[driver], record);
            q.push(&format!("({}.id IN (SELECT d.{col} FROM {table} d WHERE 1 = 1", alias(record)));
            lookup_conditions(lookups[driver], false, q);
            for (i, p) in lookups.iter().enumerate().filter(|(i, _)| *i != driver) {
                let (pcol, ptable) = lookup_source(p, record);
                q.push(&format!(" AND EXISTS (SELECT 1 FROM {ptable} p{i} WHERE p{i}.{pcol} = d.{col}"));
                lookup_conditions(p, true, q);
                q.push(")");
            }
            q.push(")");
            for c in v.iter().filter(|c| !positive_lookup(c)) {
                q.push(" AND ");
                compile_as(c, record, shape, q);
            }
            q.push(")");
        }
        Filter::All(v) | Filter::Any(v) => {
            let joiner = if matches!(f, Filter::All(_)) { " AND " } else { " OR " };
            q.push("(");
            for (i, c) in v.iter().enumerate() {
                if i > 0 {
                    q.push(joiner);
                }
                compile_as(c, record, shape, q);
            }
            q.push(")");
        }
        Filter::Not(c) => {
            q.push("NOT (");
            compile_as(c, record, shape, q);
            q.push(")");
        }
        Filter::Pred(p) => predicate(p, record, shape, q),
    }
}

fn nullable_in(q: &mut Sql, col: &str, values: &[Option<&'static str>]) {
    let set: Vec<&str> = values.iter().flatten().copied().collect();
    let null = values.iter().any(Option::is_none);
    q.push("(");
    if !set.is_empty() {
        q.push(&format!("({col} IS NOT NULL AND {col} IN ")).bind_list(&set).push(")");
    } else {
        q.push("1 = 0");
    }
    if null {
        q.push(&format!(" OR {col} IS NULL"));
    }
    q.push(")");
}

/// `col` refers to the record named by `r`; `lookup` appends a subquery finding ids by name.
fn reference(q: &mut Sql, col: &str, r: &Ref, lookup: impl FnOnce(&mut Sql, &str)) {
    match r {
        Ref::Id(id) => {
            q.push(&format!("({col} IS NOT NULL AND {col} = ")).bind(*id).push(")");
        }
        Ref::None => {
            q.push(&format!("{col} IS NULL"));
        }
        Ref::Text(text) => {
            q.push(&format!("({col} IS NOT NULL AND {col} IN ("));
            lookup(q, text);
            q.push("))");
        }
    }
}

/// `{a}.id [NOT] IN (SELECT {col} FROM {from} WHERE …)` or the `EXISTS` form of the same, with
/// the caller appending the conditions and the closing parenthesis.
fn lookup(q: &mut Sql, a: &str, shape: Shape, negate: bool, col: &str, from: &str) {
    let not = if negate { "NOT " } else { "" };
    match shape {
        Shape::Set => q.push(&format!("{a}.id {not}IN (SELECT {col} FROM {from} WHERE 1 = 1")),
        Shape::Row => q.push(&format!("{not}EXISTS (SELECT 1 FROM {from} WHERE {col} = {a}.id")),
    };
}

#[allow(clippy::too_many_lines, reason = "longer than a screen: on the list to split (ARCHITECTURE.md)")]
fn predicate(p: &Predicate, record: Record, shape: Shape, q: &mut Sql) {
    let a = alias(record);
    match p {
        Predicate::Status(list) => {
            if list.is_empty() {
                q.push("1 = 0");
            } else {
                let names: Vec<&str> = list.iter().map(|s| s.as_str()).collect();
                q.push(&format!("{a}.status IN ")).bind_list(&names);
            }
        }
        Predicate::CustomStatus(id) => {
            q.push(&format!("({a}.custom_status_id IS NOT NULL AND {a}.custom_status_id = ")).bind(*id).push(")");
        }
        Predicate::Priority(list) => {
            let v: Vec<Option<&'static str>> = list.iter().map(|p| p.map(|p| p.as_str())).collect();
            nullable_in(q, &format!("{a}.priority"), &v);
        }
        Predicate::TicketType(list) => {
            let v: Vec<Option<&'static str>> = list.iter().map(|p| p.map(|p| p.as_str())).collect();
            nullable_in(q, &format!("{a}.ticket_type"), &v);
        }
        Predicate::Tag(_) | Predicate::Custom(..) => {
            let negate = matches!(p, Predicate::Custom(_, FieldTest::Empty | FieldTest::Checked(false)));
            let (col, table) = lookup_source(p, record);
            lookup(q, a, shape, negate, col, table);
            lookup_conditions(p, shape == Shape::Row, q);
            q.push(")");
        }
        Predicate::OrganizationCustom(field, test) => {
            // The user's organization's value: by organization id, never a user's own row.
            let negate = matches!(test, FieldTest::Empty | FieldTest::Checked(false));
            let (none, not) = if negate { ("IS NULL OR", "NOT ") } else { ("IS NOT NULL AND", "") };
            q.push(&format!(
                "({a}.organization_id {none} {not}EXISTS (SELECT 1 FROM custom_field_values WHERE record_id = {a}.organization_id"
            ));
            lookup_conditions(&Predicate::Custom(*field, test.clone()), true, q);
            q.push("))");
        }
        Predicate::User(role, r) => {
            let col = match role {
                UserRole::Requester => "requester_id",
                UserRole::Assignee => "assignee_id",
                UserRole::Submitter => "submitter_id",
            };
            // By email (an identity) or by name, ignoring case.
            reference(q, &format!("{a}.{col}"), r, |q, text| {
                q.push("SELECT id FROM users WHERE LOWER(name) = ").bind(text);
                q.push(" UNION SELECT user_id FROM user_identities WHERE proof_pending = 0 AND value = ").bind(text);
            });
        }
        Predicate::Group(r) => {
            reference(q, &format!("{a}.group_id"), r, |q, text| {
                q.push("SELECT id FROM groups WHERE LOWER(name) = ").bind(text);
            });
        }
        Predicate::Organization(r) => {
            let col = if record == Record::Organization { format!("{a}.id") } else { format!("{a}.organization_id") };
            reference(q, &col, r, |q, text| {
                q.push("SELECT id FROM organizations WHERE name_key = ").bind(text);
            });
        }
        Predicate::Time(field, from, to) => {
            let col = match field {
                TimeField::Created => "created_at",
                TimeField::Updated => "updated_at",
                TimeField::Solved => "solved_at",
                TimeField::Due => "due_at",
                TimeField::StatusChanged => "status_changed_at",
                TimeField::Assigned => "assigned_at",
                TimeField::RequesterUpdated => "requester_updated_at",
                TimeField::AssigneeUpdated => "assignee_updated_at",
            };
            q.push(&format!("({a}.{col} IS NOT NULL"));
            if let Some(f) = from {
                q.push(&format!(" AND {a}.{col} >= ")).bind(*f);
            }
            if let Some(t) = to {
                q.push(&format!(" AND {a}.{col} < ")).bind(*t);
            }
            q.push(")");
        }
        Predicate::Via(v) => {
            q.push(&format!("{a}.via_channel = ")).bind(v.as_str());
        }
        Predicate::Recipient(r) => {
            q.push(&format!("({a}.recipient IS NOT NULL AND LOWER({a}.recipient) = ")).bind(r.as_str()).push(")");
        }
        Predicate::Brand(None) => {
            q.push(&format!("{a}.brand_id IS NULL"));
        }
        Predicate::Brand(Some(b)) => {
            q.push(&format!("({a}.brand_id IS NOT NULL AND {a}.brand_id = ")).bind(*b).push(")");
        }
        Predicate::ExternalId(x) => {
            q.push(&format!("({a}.external_id IS NOT NULL AND {a}.external_id = ")).bind(x.as_str()).push(")");
        }
        Predicate::Text(section, text) if shape == Shape::Row && record == Record::Ticket => {
            // A ticket's documents found by rowid (subject id*4, custom fields -(id*4), each
            // comment its id*4+1), so a check of one ticket reads only its own documents.
            let mut parts: Vec<String> = Vec::new();
            if *section != Section::Comments {
                parts.push(format!("d.rowid = {a}.id * 4"));
            }
            if *section == Section::Any {
                parts.push(format!("d.rowid = -({a}.id * 4)"));
            }
            q.push("(1 = 0");
            for rowid in parts {
                q.push(&format!(" OR EXISTS (SELECT 1 FROM search_documents d WHERE {rowid} AND "));
                push_like(q, "d.body", text);
                q.push(")");
            }
            if *section != Section::Subject {
                q.push(&format!(
                    " OR EXISTS (SELECT 1 FROM ticket_comments c, search_documents d \
                     WHERE c.ticket_id = {a}.id AND d.rowid = c.id * 4 + 1 AND "
                ));
                push_like(q, "d.body", text);
                q.push(")");
            }
            q.push(")");
        }
        Predicate::Text(section, text) => {
            q.push(&format!("{a}.id IN (SELECT record_id FROM {} WHERE record_kind = ", table(record)))
                .bind(record.as_str());
            match section {
                Section::Subject => {
                    q.push(" AND section = 'subject'");
                }
                Section::Comments => {
                    q.push(" AND section = 'comment'");
                }
                Section::Any => {}
            }
            q.push(" AND ");
            push_like(q, "body", text);
            q.push(")");
        }
        Predicate::Role(r) => {
            q.push(&format!("{a}.role = ")).bind(r.as_str());
        }
        Predicate::RecordType(b) => {
            q.push(if *b { "1 = 1" } else { "1 = 0" });
        }
    }
}

/// A tag or a custom field value that must be present (not `none`, not an unticked box).
fn positive_lookup(f: &Filter) -> bool {
    match f {
        Filter::Pred(Predicate::Tag(_)) => true,
        Filter::Pred(Predicate::Custom(_, test)) => !matches!(test, FieldTest::Empty | FieldTest::Checked(false)),
        _ => false,
    }
}

/// Whether a lookup names one key (a tag, an option, a date, a number), so it likely matches
/// fewer rows than a range.
fn exact_lookup(p: &Predicate) -> bool {
    match p {
        Predicate::Custom(_, FieldTest::Number(op, _) | FieldTest::Date(op, _)) => *op == Op::Eq,
        _ => true,
    }
}

/// The id column and table a lookup predicate reads.
fn lookup_source(p: &Predicate, record: Record) -> (&'static str, &'static str) {
    match (p, record) {
        (Predicate::Tag(_), Record::Ticket) => ("ticket_id", "ticket_tags"),
        (Predicate::Tag(_), Record::User) => ("user_id", "user_tags"),
        (Predicate::Tag(_), Record::Organization) => ("organization_id", "organization_tags"),
        _ => ("record_id", "custom_field_values"),
    }
}

/// The conditions (` AND …`) a lookup predicate puts on its table's rows.
///
/// A `probe` checks one record's rows, found by the table's key on (field, record): the
/// compared values are then expressions (`+ 0`, `|| ''`), which no index serves, so no planner
/// (without statistics, say) scans a value index's range for each record instead.
fn lookup_conditions(p: &Predicate, probe: bool, q: &mut Sql) {
    let (number, key) = if probe { ("number + 0", "search_key || ''") } else { ("number", "search_key") };
    match p {
        Predicate::Tag(tag) => {
            q.push(" AND tag = ").bind(tag.as_str());
        }
        Predicate::Custom(field, test) => {
            q.push(" AND field_id = ").bind(*field);
            match test {
                FieldTest::Is(k) => {
                    q.push(&format!(" AND {key} = ")).bind(k.as_str());
                }
                FieldTest::Checked(_) => {
                    q.push(" AND value = 'true'");
                }
                FieldTest::Number(op, n) => {
                    q.push(&format!(" AND {number} {} ", sql_op(*op))).bind(*n);
                }
                FieldTest::Date(op, d) => {
                    // A date's search key is the date itself, and (field_id, search_key) is indexed.
                    q.push(&format!(" AND {key} {} ", sql_op(*op))).bind(d.as_str());
                }
                FieldTest::Empty => {}
            }
        }
        _ => {}
    }
}

fn sql_op(op: Op) -> &'static str {
    match op {
        Op::Eq => "=",
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        Op::Ge => ">=",
    }
}

/// A column records are ordered or grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Id,
    CreatedAt,
    UpdatedAt,
    Priority,
    Status,
    TicketType,
    /// The ticket's group, by name.
    Group,
    /// The ticket's assignee, by name.
    Assignee,
    /// The ticket's requester, by name.
    Requester,
    /// The ticket's organization, by name.
    Organization,
}

/// The order of a list: an optional grouping first (a view's `group_by`), then the sort, ties
/// broken by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    pub group: Option<(SortBy, bool)>,
    pub by: SortBy,
    pub desc: bool,
}

impl Order {
    pub fn new(by: SortBy, desc: bool) -> Order {
        Order { group: None, by, desc }
    }

    /// Whether the order is one of the indexed keys a page can be walked along.
    pub fn walkable(&self) -> bool {
        self.group.is_none() && matches!(self.by, SortBy::Id | SortBy::CreatedAt | SortBy::UpdatedAt)
    }
}

fn base_select(record: Record) -> (&'static str, &'static str) {
    match record {
        Record::Ticket => (crate::tickets::COLUMNS, "tickets t WHERE t.deleted_at IS NULL"),
        Record::User => (crate::users::COLUMNS, "users u WHERE u.active = 1"),
        Record::Organization => (crate::organizations::COLUMNS, "organizations o WHERE 1 = 1"),
    }
}

fn where_sql(record: Record, f: &Filter) -> Sql {
    let (_, from) = base_select(record);
    let mut w = Sql::new(format!(" FROM {from} AND "));
    compile(f, record, &mut w);
    w
}

/// Whether a ticket filter's matches change only when the tickets themselves change (every
/// ticket write moves its `change_seq`): true unless it finds users, groups or organizations
/// by name, which can change under a ticket. Relative times are fine: they resolve to fixed
/// bounds, so a later "3 days ago" is another filter.
pub fn follows_ticket_changes(f: &Filter) -> bool {
    match f {
        Filter::All(v) | Filter::Any(v) => v.iter().all(follows_ticket_changes),
        Filter::Not(c) => follows_ticket_changes(c),
        Filter::Pred(Predicate::User(_, Ref::Text(_)))
        | Filter::Pred(Predicate::Group(Ref::Text(_)))
        | Filter::Pred(Predicate::Organization(Ref::Text(_)))
        | Filter::Pred(Predicate::Role(_)) => false,
        Filter::Pred(_) => true,
    }
}

/// A stable text for a ticket filter's SQL and arguments, to key caches by.
pub fn cache_key(f: &Filter) -> String {
    let mut q = Sql::default();
    compile(f, Record::Ticket, &mut q);
    format!("{}|{:?}", q.text, q.args)
}

/// The newest change in commit order (0 when nothing changed yet).
pub async fn last_change(conn: &mut AnyConnection) -> Result<i64> {
    let (v,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(change_seq), 0) FROM tickets").fetch_one(conn).await?;
    Ok(v)
}

/// The ids of every live ticket a filter matches.
pub async fn ticket_ids(conn: &mut AnyConnection, f: &Filter) -> Result<Vec<i64>> {
    let w = where_sql(Record::Ticket, f);
    let q = Sql { text: format!("SELECT t.id{}", w.text), args: w.args };
    Ok(q.query_as::<(i64,)>().fetch_all(conn).await?.into_iter().map(|r| r.0).collect())
}

/// The ids of every active user a filter matches, in id order.
pub async fn user_ids(conn: &mut AnyConnection, f: &Filter) -> Result<Vec<i64>> {
    let w = where_sql(Record::User, f);
    let q = Sql { text: format!("SELECT u.id{} ORDER BY u.id", w.text), args: w.args };
    Ok(q.query_as::<(i64,)>().fetch_all(conn).await?.into_iter().map(|r| r.0).collect())
}

/// Tickets changed after `after` in commit order: `(id, change_seq)`, from the index alone.
pub async fn changed_ids(conn: &mut AnyConnection, after: i64) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as("SELECT id, change_seq FROM tickets WHERE change_seq > $1").bind(after).fetch_all(conn).await?)
}

/// Which of these tickets a filter matches now (live ones only).
pub async fn matching_among(conn: &mut AnyConnection, f: &Filter, ids: &[i64]) -> Result<Vec<i64>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let mut q = Sql::new("SELECT t.id FROM tickets t WHERE t.id IN ");
        q.bind_list(chunk).push(" AND t.deleted_at IS NULL AND ");
        compile_as(f, Record::Ticket, Shape::Row, &mut q);
        out.extend(q.query_as::<(i64,)>().fetch_all(&mut *conn).await?.into_iter().map(|r| r.0));
    }
    Ok(out)
}

/// Live tickets' ids in an order (newest update first, etc.), handed to `keep` until it says
/// stop: for pages of broad filters whose members are known. Read in keyset chunks, so
/// stopping early reads little (a single query would make PostgreSQL send every row).
pub async fn scan_ticket_ids(conn: &mut AnyConnection, order: Order, mut keep: impl FnMut(i64) -> bool) -> Result<()> {
    const CHUNK: i64 = 1_000;
    let (dir, cmp) = if order.desc { ("DESC", "<") } else { ("ASC", ">") };
    let key = match order.by {
        SortBy::CreatedAt => "t.created_at",
        SortBy::UpdatedAt => "t.updated_at",
        _ => "t.id",
    };
    let mut after: Option<(i64, i64)> = None;
    loop {
        let mut q = Sql::new(format!("SELECT t.id, {key} FROM tickets t WHERE t.deleted_at IS NULL"));
        if let Some((k, id)) = after {
            q.push(&format!(" AND ({key}, t.id) {cmp} (")).bind(k).push(", ").bind(id).push(")");
        }
        q.push(&format!(" ORDER BY {key} {dir}, t.id {dir} LIMIT ")).bind(CHUNK);
        let rows: Vec<(i64, i64)> = q.query_as().fetch_all(&mut *conn).await?;
        for (id, _) in &rows {
            if !keep(*id) {
                return Ok(());
            }
        }
        match rows.last() {
            Some((id, k)) if rows.len() as i64 == CHUNK => after = Some((*k, *id)),
            _ => return Ok(()),
        }
    }
}

/// Live tickets by id, in the order the ids are given.
pub async fn tickets_by_ids(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<crate::tickets::Ticket>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(format!("SELECT {} FROM tickets t WHERE t.id IN ", qualified(crate::tickets::COLUMNS, "t")));
    q.bind_list(ids);
    let rows: Vec<crate::tickets::Ticket> = q.query_as().fetch_all(conn).await?;
    let mut by_id: std::collections::HashMap<i64, crate::tickets::Ticket> =
        rows.into_iter().map(|t| (t.id, t)).collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// One group of a grouped ticket list: its key (`None` for tickets without one), its name
/// (a group's, user's or organization's name; the key itself for status, priority and type),
/// and how many live tickets match.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct GroupCount {
    pub key: Option<String>,
    pub name: Option<String>,
    pub count: i64,
}

/// The groups of matching live tickets by `by`, in key order. `None` when `by` does not group.
pub async fn group_counts(conn: &mut AnyConnection, f: &Filter, by: SortBy) -> Result<Option<Vec<GroupCount>>> {
    let (col, names) = match by {
        SortBy::Status => ("status", None),
        SortBy::Priority => ("priority", None),
        SortBy::TicketType => ("ticket_type", None),
        SortBy::Group => ("group_id", Some("groups")),
        SortBy::Assignee => ("assignee_id", Some("users")),
        SortBy::Requester => ("requester_id", Some("users")),
        SortBy::Organization => ("organization_id", Some("organizations")),
        SortBy::Id | SortBy::CreatedAt | SortBy::UpdatedAt => return Ok(None),
    };
    let name = match names {
        Some(table) => format!("(SELECT n.name FROM {table} n WHERE n.id = t.{col})"),
        None => format!("CAST(t.{col} AS TEXT)"),
    };
    // The counted groups are named `t` with the column's own name, so they sort by the same
    // keys as the tickets in them.
    let order: Vec<String> = sort_keys(Record::Ticket, by, false).iter().map(|k| format!("{k} ASC")).collect();
    let w = where_sql(Record::Ticket, f);
    let q = Sql {
        text: format!(
            "SELECT CAST(t.{col} AS TEXT) AS key, {name} AS name, t.n AS count FROM (SELECT t.{col} AS {col}, COUNT(*) AS n{} GROUP BY t.{col}) t ORDER BY {}",
            w.text,
            order.join(", ")
        ),
        args: w.args,
    };
    Ok(Some(q.query_as().fetch_all(conn).await?))
}

pub async fn count(conn: &mut AnyConnection, record: Record, f: &Filter) -> Result<i64> {
    let w = where_sql(record, f);
    let q = Sql { text: format!("SELECT COUNT(*){}", w.text), args: w.args };
    Ok(q.query_as::<(i64,)>().fetch_one(conn).await?.0)
}

/// One offset page of matching records, in the given order (ties broken by id). `few` says the
/// matches are known to be few: they are then found through the filter's own indexes and
/// sorted, rather than by walking a time index in order (which a planner may pick for the
/// `ORDER BY … LIMIT`, and which is slow when matches are rare).
#[allow(clippy::too_many_arguments)]
pub async fn offset_page<T>(
    conn: &mut AnyConnection,
    record: Record,
    f: &Filter,
    order: Order,
    offset: i64,
    limit: i64,
    few: bool,
) -> Result<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let (cols, _) = base_select(record);
    let w = where_sql(record, f);
    let order = order_by(record, order, few);
    let mut q = Sql {
        text: format!("SELECT {}{} ORDER BY {order} LIMIT ", qualified(cols, alias(record)), w.text),
        args: w.args,
    };
    q.bind(limit).push(" OFFSET ").bind(offset);
    Ok(q.query_as().fetch_all(conn).await?)
}

/// One offset page of the live tickets among `ids` (a known, small set), in the given order.
pub async fn page_among(
    conn: &mut AnyConnection,
    ids: &[i64],
    order: Order,
    offset: i64,
    limit: i64,
) -> Result<Vec<crate::tickets::Ticket>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(format!(
        "SELECT {} FROM tickets t WHERE t.deleted_at IS NULL AND t.id IN ",
        qualified(crate::tickets::COLUMNS, "t")
    ));
    q.bind_list(ids).push(&format!(" ORDER BY {} LIMIT ", order_by(Record::Ticket, order, true)));
    q.bind(limit).push(" OFFSET ").bind(offset);
    Ok(q.query_as().fetch_all(conn).await?)
}

/// The `ORDER BY` of an order, ties broken by id. With `few`, columns become expressions
/// (`+ 0`), which no index orders, so the planner finds matches first and sorts them.
fn order_by(record: Record, order: Order, few: bool) -> String {
    let a = alias(record);
    let dir = |desc: bool| if desc { "DESC" } else { "ASC" };
    let mut keys = String::new();
    if let Some((by, desc)) = order.group {
        keys.extend(sort_keys(record, by, few).iter().map(|k| format!("{k} {}, ", dir(desc))));
    }
    if order.by != SortBy::Id {
        keys.extend(sort_keys(record, order.by, few).iter().map(|k| format!("{k} {}, ", dir(order.desc))));
    }
    let plain = if few && keys.is_empty() { " + 0" } else { "" };
    format!("{keys}{a}.id{plain} {}", dir(order.desc))
}

/// The expressions a column orders by; none where the record has no such column. References
/// order by the name, then the id, so a group stays together.
fn sort_keys(record: Record, by: SortBy, few: bool) -> Vec<String> {
    let a = alias(record);
    let plain = if few { " + 0" } else { "" };
    let named = |table: &str, col: &str| {
        vec![
            format!("COALESCE((SELECT n.name FROM {table} n WHERE n.id = {a}.{col}), '')"),
            format!("COALESCE({a}.{col}, 0)"),
        ]
    };
    let one = match (record, by) {
        (_, SortBy::Id) => format!("{a}.id{plain}"),
        (_, SortBy::CreatedAt) => format!("{a}.created_at{plain}"),
        (_, SortBy::UpdatedAt) => format!("{a}.updated_at{plain}"),
        (Record::Ticket, SortBy::Status) => format!(
            "CASE {a}.status WHEN 'new' THEN 0 WHEN 'open' THEN 1 WHEN 'pending' THEN 2 WHEN 'hold' THEN 3 WHEN 'solved' THEN 4 ELSE 5 END"
        ),
        (Record::Ticket, SortBy::Priority) => format!(
            "CASE {a}.priority WHEN 'low' THEN 1 WHEN 'normal' THEN 2 WHEN 'high' THEN 3 WHEN 'urgent' THEN 4 ELSE 0 END"
        ),
        (Record::Ticket, SortBy::TicketType) => format!("COALESCE({a}.ticket_type, '')"),
        (Record::Ticket, SortBy::Group) => return named("groups", "group_id"),
        (Record::Ticket, SortBy::Assignee) => return named("users", "assignee_id"),
        (Record::Ticket, SortBy::Requester) => return named("users", "requester_id"),
        (Record::Ticket, SortBy::Organization) => return named("organizations", "organization_id"),
        _ => return Vec::new(),
    };
    vec![one]
}

/// Matching records by id, cursor-paged: no window, no cap.
pub async fn cursor_page<T>(conn: &mut AnyConnection, record: Record, f: &Filter, req: PageRequest) -> Result<Page<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin + HasId,
{
    let (cols, _) = base_select(record);
    let a = alias(record);
    let w = where_sql(record, f);
    let select = Sql { text: format!("SELECT {}{}", qualified(cols, a), w.text), args: w.args };
    page(conn, select, &format!("{a}.id"), None, req).await
}

fn qualified(cols: &str, alias: &str) -> String {
    cols.split(", ").map(|c| format!("{alias}.{}", c.trim())).collect::<Vec<_>>().join(", ")
}
