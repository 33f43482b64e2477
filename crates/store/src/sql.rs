//! A small builder for queries assembled at run time (filters, pages): text with `$N`
//! placeholders and the values to bind, in order.

use sqlx::any::AnyArguments;
use sqlx::query::{Query, QueryAs};
use sqlx::{Any, FromRow};

/// A value to bind. Nulls carry their type, because PostgreSQL checks it.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Int(i64),
    Text(String),
    Float(f64),
    NullInt,
    NullText,
    NullFloat,
}

impl From<f64> for Arg {
    fn from(v: f64) -> Self {
        Arg::Float(v)
    }
}
impl From<Option<f64>> for Arg {
    fn from(v: Option<f64>) -> Self {
        v.map_or(Arg::NullFloat, Arg::Float)
    }
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(v.to_string())
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(v)
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Arg::NullInt, Arg::Int)
    }
}
impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        v.map_or(Arg::NullText, Arg::Text)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Self {
        Self { text: text.into(), args: Vec::new() }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: impl Into<Arg>) -> &mut Self {
        let value = value.into();
        if value == Arg::NullFloat {
            // sqlx 0.8's Any driver sends a null double as a PostgreSQL float4, which then
            // fails for the float8 values later runs of the same statement bind: write it out.
            self.text.push_str("NULL");
            return self;
        }
        self.args.push(value);
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }

    /// Appends `(​$a, $b, …)` for a non-empty list.
    pub fn bind_list<T: Into<Arg> + Clone>(&mut self, values: &[T]) -> &mut Self {
        self.text.push('(');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(v.clone());
        }
        self.text.push(')');
        self
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        let mut q = sqlx::query(&self.text);
        for a in &self.args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_str()),
                Arg::NullInt => q.bind(None::<i64>),
                Arg::NullText => q.bind(None::<String>),
                Arg::Float(v) => q.bind(*v),
                Arg::NullFloat => unreachable!("null floats are written as NULL"),
            };
        }
        q
    }

    pub fn query_as<'q, T>(&'q self) -> QueryAs<'q, Any, T, AnyArguments<'q>>
    where
        T: for<'r> FromRow<'r, sqlx::any::AnyRow>,
    {
        let mut q = sqlx::query_as(&self.text);
        for a in &self.args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_str()),
                Arg::NullInt => q.bind(None::<i64>),
                Arg::NullText => q.bind(None::<String>),
                Arg::Float(v) => q.bind(*v),
                Arg::NullFloat => unreachable!("null floats are written as NULL"),
            };
        }
        q
    }
}

/// Runs a keyset- or offset-paged listing over `select` (which must end in a WHERE clause
/// body, e.g. `SELECT * FROM tickets WHERE deleted_at IS NULL`) ordered by `id_column`.
pub async fn page<T>(
    conn: &mut sqlx::AnyConnection,
    select: Sql,
    id_column: &str,
    count_sql: Option<Sql>,
    req: crate::PageRequest,
) -> crate::Result<crate::Page<T>>
where
    T: for<'r> FromRow<'r, sqlx::any::AnyRow> + Send + Unpin + HasId,
{
    use crate::PageRequest::*;
    let mut q = select;
    let (size, reverse) = match req {
        Offset { page, per_page } => {
            q.push(&format!(" ORDER BY {id_column} LIMIT "))
                .bind(per_page + 1)
                .push(" OFFSET ")
                .bind((page - 1).max(0) * per_page);
            (per_page, false)
        }
        After { id, size } => {
            if let Some(id) = id {
                q.push(&format!(" AND {id_column} > ")).bind(id);
            }
            q.push(&format!(" ORDER BY {id_column} LIMIT ")).bind(size + 1);
            (size, false)
        }
        Before { id, size } => {
            q.push(&format!(" AND {id_column} < ")).bind(id);
            q.push(&format!(" ORDER BY {id_column} DESC LIMIT ")).bind(size + 1);
            (size, true)
        }
    };
    let mut items: Vec<T> = q.query_as().fetch_all(&mut *conn).await?;
    let has_more = items.len() as i64 > size;
    items.truncate(size as usize);
    if reverse {
        items.reverse();
    }
    let count = match count_sql {
        Some(c) => Some(c.query_as::<(i64,)>().fetch_one(&mut *conn).await?.0),
        None => None,
    };
    Ok(crate::Page { items, has_more, count })
}

/// Records that can be keyset-paged.
pub trait HasId {
    fn id(&self) -> i64;
}
