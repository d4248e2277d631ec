//! Reads of the SQLite file without sqlx's thread hand-offs, for the hottest reads.
//!
//! sqlx-sqlite runs every statement on its connection's own thread, so each one
//! costs two thread hand-offs, and each row of a result one more; at 4 connections
//! those hand-offs halved the rate of GET /v2/images/{id} against an authenticated
//! request that reads nothing. A primary-key lookup takes tens of microseconds, well
//! within what an async task may spend between awaits, so it runs on the calling
//! thread; a list page takes milliseconds, so it runs in one blocking task. Both use
//! read-only connections of the same file (WAL: readers never wait for the writer),
//! through `rusqlite` on the one SQLite library sqlx links too. Writes and everything
//! else stay on sqlx.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::MetadataError;

/// Idle connections kept: as many as requests are likely to read at once.
const KEPT_IDLE: usize = 8;
/// Only a WAL reset by the checkpointer can make a reader wait, and briefly.
const BUSY_TIMEOUT: Duration = Duration::from_millis(250);

pub struct InlineReads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for InlineReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InlineReads")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl InlineReads {
    /// Read-only access to the database file at `path`, checked by opening one connection.
    pub(crate) fn open(path: &Path) -> Result<Self, MetadataError> {
        let reads = Self {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
        };
        let first = reads.connect()?;
        reads.put_back(first);
        Ok(reads)
    }

    fn connect(&self) -> Result<Connection, MetadataError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(&self.path, flags)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        Ok(conn)
    }

    fn put_back(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < KEPT_IDLE {
            idle.push(conn);
        }
    }

    /// Runs `read` on an idle read-only connection (a new one if none is idle). Each
    /// statement sees everything committed before it started, as on the sqlx pool.
    /// `read` returns the caller's own error type, so it can fail with rusqlite's
    /// errors and its own alike.
    pub fn read<T, E: From<MetadataError>>(&self, read: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E> {
        let idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => self.connect()?,
        };
        let result = read(&conn);
        self.put_back(conn);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MetadataPool;

    #[tokio::test]
    async fn reads_see_what_the_pool_committed_and_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let pool = MetadataPool::open_sqlite(&dir.path().join("db.sqlite")).await.unwrap();
        let MetadataPool::Sqlite(sqlite, _) = &pool else {
            unreachable!()
        };
        sqlx::query("CREATE TABLE t (v TEXT)").execute(sqlite).await.unwrap();
        let reads = pool.inline_reads().expect("a file database reads inline");
        let count = |reads: &InlineReads| {
            reads
                .read(|c| -> Result<i64, MetadataError> {
                    Ok(c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))?)
                })
                .unwrap()
        };
        assert_eq!(count(reads), 0);
        sqlx::query("INSERT INTO t VALUES ('a')").execute(sqlite).await.unwrap();
        assert_eq!(count(reads), 1, "a committed write is seen by the next read");
        let write =
            reads.read(|c| -> Result<usize, MetadataError> { Ok(c.execute("INSERT INTO t VALUES ('b')", [])?) });
        assert!(write.is_err(), "inline connections are read-only");
        assert_eq!(count(reads), 1);
    }

    #[tokio::test]
    async fn a_database_not_in_a_file_reads_through_sqlx() {
        let pool = MetadataPool::connect("sqlite::memory:").await.unwrap();
        assert!(pool.inline_reads().is_none());
    }
}
