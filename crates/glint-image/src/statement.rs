//! SQL text built at run time with its bound values, for either driver.
//!
//! The image list's statement depends on which filters a request sets. It is built
//! once, as text plus values, so the same statement can run through sqlx (PostgreSQL,
//! or SQLite in memory) or through the inline `rusqlite` reads of a SQLite file.

use glint_metadata::Engine;
use rusqlite::types::{ToSql, ToSqlOutput, ValueRef};

/// A value bound to a placeholder.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Bind {
    Text(String),
    Int(i64),
}

impl From<&str> for Bind {
    fn from(value: &str) -> Self {
        Bind::Text(value.to_owned())
    }
}

impl From<String> for Bind {
    fn from(value: String) -> Self {
        Bind::Text(value)
    }
}

impl From<i64> for Bind {
    fn from(value: i64) -> Self {
        Bind::Int(value)
    }
}

impl ToSql for Bind {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Bind::Text(text) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
            Bind::Int(int) => ToSqlOutput::Borrowed(ValueRef::Integer(*int)),
        })
    }
}

/// SQL text and the values of its placeholders, numbered for one engine.
#[derive(Debug)]
pub(crate) struct Statement {
    engine: Engine,
    pub(crate) sql: String,
    pub(crate) binds: Vec<Bind>,
}

impl Statement {
    pub(crate) fn new(engine: Engine, sql: impl Into<String>) -> Self {
        Self {
            engine,
            sql: sql.into(),
            binds: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// A placeholder for `value`: `?` on SQLite, `$n` on PostgreSQL.
    pub(crate) fn bind(&mut self, value: impl Into<Bind>) -> &mut Self {
        self.binds.push(value.into());
        match self.engine {
            Engine::Sqlite => self.sql.push('?'),
            Engine::Postgres => {
                self.sql.push('$');
                self.sql.push_str(&self.binds.len().to_string());
            }
        }
        self
    }

    /// `(v1, v2, …)`, each value bound.
    pub(crate) fn bind_list(&mut self, values: &[String]) -> &mut Self {
        self.sql.push('(');
        for (n, value) in values.iter().enumerate() {
            if n > 0 {
                self.sql.push_str(", ");
            }
            self.bind(value.as_str());
        }
        self.sql.push(')');
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_the_engine() {
        let build = |engine| {
            let mut statement = Statement::new(engine, "SELECT 1 WHERE a = ");
            statement
                .bind("x")
                .push(" AND b IN ")
                .bind_list(&["y".into(), "z".into()])
                .push(" LIMIT ")
                .bind(5);
            statement
        };
        let sqlite = build(Engine::Sqlite);
        assert_eq!(sqlite.sql, "SELECT 1 WHERE a = ? AND b IN (?, ?) LIMIT ?");
        let postgres = build(Engine::Postgres);
        assert_eq!(postgres.sql, "SELECT 1 WHERE a = $1 AND b IN ($2, $3) LIMIT $4");
        let values = vec![Bind::from("x"), Bind::from("y"), Bind::from("z"), Bind::Int(5)];
        assert_eq!(sqlite.binds, values);
        assert_eq!(postgres.binds, values);
    }

    #[test]
    fn a_built_statement_runs_with_its_values_in_order() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (name TEXT, size INTEGER); INSERT INTO t VALUES ('a', 1), ('b', 2), ('c', 3);",
        )
        .unwrap();
        let mut statement = Statement::new(Engine::Sqlite, "SELECT name FROM t WHERE name IN ");
        statement
            .bind_list(&["a".into(), "c".into(), "d".into()])
            .push(" AND size > ")
            .bind(1)
            .push(" ORDER BY name LIMIT ")
            .bind(5);
        let mut prepared = conn.prepare(&statement.sql).unwrap();
        let names: Vec<String> = prepared
            .query_map(rusqlite::params_from_iter(&statement.binds), |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(names, ["c"]);
    }
}
