//! The metadata database: SQLite (the default, a file in the data dir) or
//! PostgreSQL (shared by several `glint serve` nodes), chosen by URL.
//!
//! Identity and image write their SQL once. [`with_pool!`] expands a block
//! once per engine with `pool` bound to the concrete sqlx pool, so each
//! engine keeps its native driver (no `sqlx::Any` row conversion on the hot
//! path). The SQL is written to run unchanged on both: `$1`-style
//! placeholders (SQLite accepts them too), `ON CONFLICT`, `CAST(… AS BIGINT)`
//! wherever an aggregate or literal is read back as an integer, and schemas
//! whose INTEGER columns are BIGINT in PostgreSQL. Row mapping goes through
//! [`MetaRow`], which both engines' rows implement.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

mod inline_reads;
pub use inline_reads::InlineReads;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{Decode, PgPool, Postgres, Sqlite, SqlitePool, Type};

#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    #[error("unsupported database URL {0:?}: expected sqlite://… or postgres://…")]
    UnsupportedUrl(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database read: {0}")]
    InlineRead(#[from] rusqlite::Error),
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("invalid database name {0:?}: letters, digits and underscores only")]
    InvalidDatabaseName(String),
}

/// Which engine a pool talks to, for the few statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A connection pool on either engine. Cheap to clone.
#[derive(Clone, Debug)]
pub enum MetadataPool {
    /// With [`InlineReads`] where the database is a file.
    Sqlite(SqlitePool, Option<Arc<InlineReads>>),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the concrete pool of `$metadata_pool`
/// (`&SqlitePool` or `&PgPool`). The body is compiled once per engine.
#[macro_export]
macro_rules! with_pool {
    ($metadata_pool:expr, |$pool:ident| $body:expr) => {
        match $metadata_pool {
            $crate::MetadataPool::Sqlite($pool, _) => $body,
            $crate::MetadataPool::Postgres($pool) => $body,
        }
    };
}

impl MetadataPool {
    /// The SQLite file at `path`, created if missing (WAL, foreign keys on).
    pub async fn open_sqlite(path: &std::path::Path) -> Result<Self, MetadataError> {
        Self::sqlite(SqliteConnectOptions::new().filename(path)).await
    }

    /// `sqlite://PATH` or `postgres://user:pass@host:port/db`.
    pub async fn connect(url: &str) -> Result<Self, MetadataError> {
        if url.starts_with("sqlite:") {
            Self::sqlite(SqliteConnectOptions::from_str(url)?).await
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Ok(Self::Postgres(pool))
        } else {
            Err(MetadataError::UnsupportedUrl(redact(url)))
        }
    }

    async fn sqlite(options: SqliteConnectOptions) -> Result<Self, MetadataError> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let path = options.get_filename().to_owned();
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        // sqlx has created the file (and set WAL) by now; an in-memory database has none.
        let inline_reads = if path.is_file() {
            Some(Arc::new(InlineReads::open(&path)?))
        } else {
            None
        };
        Ok(Self::Sqlite(pool, inline_reads))
    }

    pub fn engine(&self) -> Engine {
        match self {
            Self::Sqlite(..) => Engine::Sqlite,
            Self::Postgres(_) => Engine::Postgres,
        }
    }

    /// Same-thread reads of the SQLite file, where there is one (see [`InlineReads`]).
    /// Shared, so a long read can move to a blocking thread with its own handle.
    pub fn inline_reads(&self) -> Option<&Arc<InlineReads>> {
        match self {
            Self::Sqlite(_, reads) => reads.as_ref(),
            Self::Postgres(_) => None,
        }
    }

    /// Runs one crate's migrations. Identity and image share the migrations
    /// table with versions numbered apart, so each ignores the other's.
    pub async fn migrate(&self, mut sqlite: Migrator, mut postgres: Migrator) -> Result<(), MetadataError> {
        match self {
            Self::Sqlite(pool, _) => sqlite.set_ignore_missing(true).run(pool).await?,
            Self::Postgres(pool) => postgres.set_ignore_missing(true).run(pool).await?,
        }
        Ok(())
    }

    /// Serialises start-up work (migrations, bootstrap, catalogue loading)
    /// across nodes sharing a PostgreSQL database: held by one node at a
    /// time, so their check-then-insert steps cannot race. A no-op on SQLite
    /// (one process per database file).
    pub async fn startup_lock(&self) -> Result<StartupLock, MetadataError> {
        match self {
            Self::Sqlite(..) => Ok(StartupLock { conn: None }),
            Self::Postgres(pool) => {
                let mut conn = pool.acquire().await?;
                sqlx::query("SELECT pg_advisory_lock($1)")
                    .bind(STARTUP_LOCK_KEY)
                    .execute(&mut *conn)
                    .await?;
                Ok(StartupLock { conn: Some(conn) })
            }
        }
    }

    pub async fn close(&self) {
        with_pool!(self, |pool| pool.close().await)
    }
}

/// Creates the empty database `name` on the PostgreSQL server `admin_url` connects to (as a
/// role with CREATEDB) and returns its URL. Tests and the scale-out runs give each server a
/// database of its own this way.
pub async fn create_postgres_database(admin_url: &str, name: &str) -> Result<String, MetadataError> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(MetadataError::InvalidDatabaseName(name.to_owned()));
    }
    let Some((base, _)) = admin_url.rsplit_once('/') else {
        return Err(MetadataError::UnsupportedUrl(redact(admin_url)));
    };
    let admin = MetadataPool::connect(admin_url).await?;
    let MetadataPool::Postgres(pool) = &admin else {
        return Err(MetadataError::UnsupportedUrl(redact(admin_url)));
    };
    // CREATE DATABASE takes no bind parameters; the name was checked above.
    let created = sqlx::query(&format!("CREATE DATABASE {name}")).execute(pool).await;
    admin.close().await;
    created?;
    Ok(format!("{base}/{name}"))
}

/// An arbitrary constant naming Glint's start-up advisory lock.
const STARTUP_LOCK_KEY: i64 = 0x676c_696e_7400_0001;

/// Held from [`MetadataPool::startup_lock`] until [`StartupLock::release`].
pub struct StartupLock {
    conn: Option<sqlx::pool::PoolConnection<Postgres>>,
}

impl StartupLock {
    pub async fn release(mut self) -> Result<(), MetadataError> {
        if let Some(mut conn) = self.conn.take() {
            sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(STARTUP_LOCK_KEY)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}

impl Drop for StartupLock {
    /// Not released (start-up failed): close the session rather than return
    /// it to the pool, which drops the lock on the server.
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            drop(conn.detach());
        }
    }
}

/// The URL with any password replaced, for error messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme_end + 3], &userinfo[..colon], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// A Rust type both engines can decode a column into.
pub trait Column: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres> {}
impl<T> Column for T where T: for<'r> Decode<'r, Sqlite> + Type<Sqlite> + for<'r> Decode<'r, Postgres> + Type<Postgres> {}

/// Reading columns by name from a row of either engine.
pub trait MetaRow {
    fn try_get<T: Column>(&self, column: &str) -> Result<T, sqlx::Error>;

    /// The column's value; panics if the schema and the code disagree (as
    /// `sqlx::Row::get` does), which migrations rule out.
    fn get<T: Column>(&self, column: &str) -> T {
        match self.try_get(column) {
            Ok(v) => v,
            Err(e) => panic!("column {column}: {e}"),
        }
    }
}

impl MetaRow for SqliteRow {
    fn try_get<T: Column>(&self, column: &str) -> Result<T, sqlx::Error> {
        sqlx::Row::try_get(self, column)
    }
}

impl MetaRow for PgRow {
    fn try_get<T: Column>(&self, column: &str) -> Result<T, sqlx::Error> {
        sqlx::Row::try_get(self, column)
    }
}

/// A borrowed row of either engine, for mapping functions passed as values.
#[derive(Clone, Copy)]
pub enum RowRef<'a> {
    Sqlite(&'a SqliteRow),
    Postgres(&'a PgRow),
}

impl<'a> From<&'a SqliteRow> for RowRef<'a> {
    fn from(row: &'a SqliteRow) -> Self {
        Self::Sqlite(row)
    }
}

impl<'a> From<&'a PgRow> for RowRef<'a> {
    fn from(row: &'a PgRow) -> Self {
        Self::Postgres(row)
    }
}

impl MetaRow for RowRef<'_> {
    fn try_get<T: Column>(&self, column: &str) -> Result<T, sqlx::Error> {
        match self {
            Self::Sqlite(r) => MetaRow::try_get(*r, column),
            Self::Postgres(r) => MetaRow::try_get(*r, column),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_only_the_password() {
        assert_eq!(
            redact("postgres://glint:s3cret@db:5432/glint"),
            "postgres://glint:***@db:5432/glint"
        );
        assert_eq!(redact("postgres://db/glint"), "postgres://db/glint");
        assert_eq!(redact("mysql://u:p@h/d"), "mysql://u:***@h/d");
    }

    #[tokio::test]
    async fn database_names_are_checked_before_any_connection() {
        // Nothing listens on port 9: only the name check can answer.
        let err = create_postgres_database("postgres://u:pw@127.0.0.1:9/d", "x; DROP")
            .await
            .unwrap_err();
        assert!(matches!(err, MetadataError::InvalidDatabaseName(_)), "{err}");
    }

    #[tokio::test]
    async fn unknown_scheme_is_refused_without_leaking_the_password() {
        let err = MetadataPool::connect("mysql://u:pw@h/d").await.unwrap_err();
        assert!(matches!(err, MetadataError::UnsupportedUrl(_)));
        assert!(!err.to_string().contains("pw@"), "{err}");
    }

    #[tokio::test]
    async fn sqlite_rows_map_through_metarow_and_rowref() {
        let dir = tempfile::tempdir().unwrap();
        let pool = MetadataPool::open_sqlite(&dir.path().join("t.sqlite")).await.unwrap();
        assert_eq!(pool.engine(), Engine::Sqlite);
        let (n, s): (i64, Option<String>) = with_pool!(&pool, |p| {
            let row = sqlx::query("SELECT CAST(41 + $1 AS BIGINT) AS n, NULL AS s")
                .bind(1_i64)
                .fetch_one(p)
                .await
                .unwrap();
            let r = RowRef::from(&row);
            (r.get("n"), r.get("s"))
        });
        assert_eq!((n, s), (42, None));
    }
}
