use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Connection, Executor};

use crate::Result;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// A write transaction. Dropping it without `commit` rolls it back.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;
/// A pooled connection for reads.
pub type Conn = sqlx::pool::PoolConnection<sqlx::Any>;

/// The two SQL dialects; the only place their differences are spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// Row locking for read-modify-write. SQLite has one writer, so it needs none.
    pub fn for_update(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }

    /// Lets two servers claim different jobs at once on PostgreSQL.
    pub fn for_update_skip_locked(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }
}

/// The dialect of a live connection.
pub fn dialect(conn: &AnyConnection) -> Dialect {
    if conn.backend_name() == "PostgreSQL" { Dialect::Postgres } else { Dialect::Sqlite }
}

#[derive(Debug, Clone)]
pub struct DbOptions {
    /// `sqlite://path` or `postgres://…`.
    pub url: String,
    /// Readers for SQLite, the whole pool for PostgreSQL.
    pub max_connections: u32,
    /// SQLite `synchronous`: `NORMAL` (a power cut may lose the last commits, never corrupts)
    /// or `FULL` (every commit is on disk before it is acknowledged).
    pub sqlite_synchronous: String,
}

impl DbOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), max_connections: 8, sqlite_synchronous: "NORMAL".into() }
    }
}

/// The database: a read pool and a write pool (the same pool on PostgreSQL; one connection
/// on SQLite, where a single writer is the rule).
#[derive(Clone, Debug)]
pub struct Db {
    read: AnyPool,
    write: AnyPool,
    dialect: Dialect,
}

impl Db {
    pub async fn connect(opts: &DbOptions) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let dialect = if opts.url.starts_with("postgres:") || opts.url.starts_with("postgresql:") {
            Dialect::Postgres
        } else {
            Dialect::Sqlite
        };
        let connect = AnyConnectOptions::from_str(&opts.url)?;
        match dialect {
            Dialect::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(opts.max_connections.max(2))
                    .acquire_timeout(Duration::from_secs(30))
                    .test_before_acquire(false)
                    .connect_with(connect)
                    .await?;
                Ok(Db { read: pool.clone(), write: pool, dialect })
            }
            Dialect::Sqlite => {
                let sync = match opts.sqlite_synchronous.to_ascii_uppercase().as_str() {
                    "FULL" => "FULL",
                    "EXTRA" => "EXTRA",
                    _ => "NORMAL",
                };
                let pragmas = format!(
                    "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                     PRAGMA synchronous = {sync}; PRAGMA cache_size = -8000; PRAGMA temp_store = MEMORY;"
                );
                let write = AnyPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(60))
                    // A ping per acquire is one more thread hand-off per transaction; a broken
                    // connection surfaces as an error on first use instead.
                    .test_before_acquire(false)
                    .after_connect({
                        let pragmas = pragmas.clone();
                        move |conn, _| {
                            let pragmas = pragmas.clone();
                            Box::pin(async move {
                                conn.execute("PRAGMA journal_mode = WAL;").await?;
                                conn.execute(pragmas.as_str()).await?;
                                Ok(())
                            })
                        }
                    })
                    .connect_with(connect.clone())
                    .await?;
                // Open the writer first so the file exists and is in WAL mode before readers.
                drop(write.acquire().await?);
                let read = AnyPoolOptions::new()
                    .max_connections(opts.max_connections.max(1))
                    .acquire_timeout(Duration::from_secs(30))
                    .test_before_acquire(false)
                    .after_connect(move |conn, _| {
                        let pragmas = pragmas.clone();
                        Box::pin(async move {
                            conn.execute(pragmas.as_str()).await?;
                            Ok(())
                        })
                    })
                    .connect_with(connect)
                    .await?;
                Ok(Db { read, write, dialect })
            }
        }
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Applies pending migrations (PostgreSQL takes an advisory lock, so several servers may
    /// start at once).
    pub async fn migrate(&self) -> Result<()> {
        match self.dialect {
            Dialect::Sqlite => SQLITE_MIGRATIONS.run(&self.write).await?,
            Dialect::Postgres => POSTGRES_MIGRATIONS.run(&self.write).await?,
        }
        Ok(())
    }

    /// Opens a write transaction.
    pub async fn begin(&self) -> Result<Tx> {
        let statement = match self.dialect {
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::Postgres => "BEGIN",
        };
        Ok(self.write.begin_with(statement).await?)
    }

    /// Refreshes the query planner's statistics, so it knows that a requester narrows tickets
    /// down more than a status does. On SQLite that is `PRAGMA optimize` with a bounded sample
    /// per index; on PostgreSQL `ANALYZE`, which samples too (autovacuum also runs it, but only
    /// after enough changes, which a bulk load may not have made yet).
    pub async fn optimize(&self) -> Result<()> {
        let mut conn = self.write.acquire().await?;
        match self.dialect {
            Dialect::Sqlite => {
                sqlx::query("PRAGMA analysis_limit = 1000").execute(&mut *conn).await?;
                sqlx::query("PRAGMA optimize = 0x10002").execute(&mut *conn).await?;
            }
            Dialect::Postgres => {
                sqlx::query("ANALYZE").execute(&mut *conn).await?;
            }
        }
        Ok(())
    }

    /// A connection for reads: it sees everything committed before it was handed out.
    pub async fn read(&self) -> Result<Conn> {
        Ok(self.read.acquire().await?)
    }

    pub async fn ping(&self) -> Result<()> {
        self.read().await?.ping().await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }

    /// Names of the applied migrations.
    pub async fn applied_migrations(&self) -> Result<Vec<String>> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT description FROM _sqlx_migrations ORDER BY version").fetch_all(&self.read).await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The schema as `(table, column, normalised type)`, for the test that both databases
    /// agree. The search document tables are left out: they are FTS5 tables on SQLite by design.
    pub async fn schema(&self) -> Result<Vec<(String, String, String)>> {
        let sql = match self.dialect {
            Dialect::Sqlite => {
                "SELECT m.name, p.name, p.type FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '\\_sqlx%' ESCAPE '\\' \
                 AND m.name NOT LIKE 'search\\_documents%' ESCAPE '\\' \
                 AND m.name NOT LIKE 'people\\_documents%' ESCAPE '\\' ORDER BY m.name, p.name"
            }
            Dialect::Postgres => {
                "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_sqlx%' \
                 AND table_name NOT IN ('search_documents', 'people_documents') ORDER BY table_name, column_name"
            }
        };
        let rows: Vec<(String, String, String)> = sqlx::query_as(sql).fetch_all(&self.read).await?;
        Ok(rows
            .into_iter()
            .map(|(t, c, ty)| {
                let ty = ty.to_ascii_lowercase();
                let norm = if ty.contains("int") {
                    "integer"
                } else if ty.contains("text") || ty.contains("char") {
                    "text"
                } else if ty == "blob" || ty == "bytea" {
                    "bytes"
                } else {
                    ty.as_str()
                };
                (t, c, norm.to_string())
            })
            .collect())
    }
}
