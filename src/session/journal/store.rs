//! The journal's two stores behind one small interface: SQLite (embedded, the default) and PostgreSQL (when
//! `DATABASE_URL=postgresql://…`). The journal's SQL is written once, in the dialect both accept (`$n` parameters,
//! `ON CONFLICT … DO NOTHING / DO UPDATE`, BIGINT and TEXT columns).

use std::sync::mpsc;

use crate::error::{Error, Result};

/// A parameter or column value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Value {
    /// A BIGINT (or a NULL one).
    Int(Option<i64>),
    /// A TEXT (or a NULL one).
    Text(Option<String>),
}

/// The type of a column a query reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Int,
    Text,
}

impl Value {
    pub(super) fn int(&self) -> Option<i64> {
        match self {
            Value::Int(v) => *v,
            Value::Text(_) => None,
        }
    }

    pub(super) fn text(&self) -> Option<&str> {
        match self {
            Value::Text(v) => v.as_deref(),
            Value::Int(_) => None,
        }
    }
}

/// What the journal needs of a database.
pub(super) trait Store: Send {
    /// Runs statements without parameters (schema, BEGIN, COMMIT).
    fn batch(&mut self, sql: &str) -> Result<()>;
    /// Opens a transaction that holds the schema for itself until it ends (another process opening the same journal
    /// waits, so two never migrate it at once).
    fn begin_exclusive(&mut self) -> Result<()>;
    /// Runs one statement; returns the rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64>;
    /// Runs one query reading columns of `kinds`.
    fn query(&mut self, sql: &str, params: &[Value], kinds: &[Kind]) -> Result<Vec<Vec<Value>>>;
}

fn failed(context: &str) -> impl Fn(String) -> Error + '_ {
    move |e| Error::Journal(format!("{context}: {e}"))
}

/// `sql` with PostgreSQL's parameters `$N` written as SQLite's numbered `?N`. SQLite reads `$2` as a *named*
/// parameter, numbered by where it first appears, so `SET a = $2 WHERE b = $1` would bind the values crosswise.
/// Every `$` followed by a digit is taken for a parameter: the journal's statements hold none in a literal.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        let digit_follows = chars.peek().is_some_and(char::is_ascii_digit);
        out.push(if c == '$' && digit_follows { '?' } else { c });
    }
    out
}

/// SQLite, in a file.
pub(super) struct Sqlite(rusqlite::Connection);

impl Sqlite {
    pub(super) fn open(path: &std::path::Path) -> Result<Self> {
        let sqlite = |e: rusqlite::Error| Error::Journal(format!("opening {}: {e}", path.display()));
        let connection = rusqlite::Connection::open(path).map_err(sqlite)?;
        connection.pragma_update(None, "journal_mode", "WAL").map_err(sqlite)?;
        // FULL: a commit is on disk before it returns (a fill is durable before the engine acts on it).
        connection.pragma_update(None, "synchronous", "FULL").map_err(sqlite)?;
        // A second connection (a reader, or another process migrating) waits for a writer instead of failing.
        connection.busy_timeout(std::time::Duration::from_secs(10)).map_err(sqlite)?;
        Ok(Sqlite(connection))
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Value::Int(v) => v.to_sql(),
            Value::Text(v) => v.to_sql(),
        }
    }
}

impl Store for Sqlite {
    fn batch(&mut self, sql: &str) -> Result<()> {
        self.0.execute_batch(sql).map_err(|e| failed("sqlite")(e.to_string()))
    }

    fn begin_exclusive(&mut self) -> Result<()> {
        self.batch("BEGIN IMMEDIATE")
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let params = rusqlite::params_from_iter(params.iter());
        self.0.execute(&numbered(sql), params).map(|n| n as u64).map_err(|e| failed("sqlite")(e.to_string()))
    }

    fn query(&mut self, sql: &str, params: &[Value], kinds: &[Kind]) -> Result<Vec<Vec<Value>>> {
        let mut statement = self.0.prepare(&numbered(sql)).map_err(|e| failed("sqlite")(e.to_string()))?;
        let rows = statement
            .query_map(rusqlite::params_from_iter(params.iter()), |row| {
                kinds
                    .iter()
                    .enumerate()
                    .map(|(i, kind)| match kind {
                        Kind::Int => row.get::<_, Option<i64>>(i).map(Value::Int),
                        Kind::Text => row.get::<_, Option<String>>(i).map(Value::Text),
                    })
                    .collect::<rusqlite::Result<Vec<Value>>>()
            })
            .map_err(|e| failed("sqlite")(e.to_string()))?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(|e| failed("sqlite")(e.to_string()))
    }
}

type Job = Box<dyn FnOnce(&mut postgres::Client) + Send>;

/// PostgreSQL. Its synchronous client runs a runtime of its own, which must not start inside the session's, so
/// the client lives on a thread of its own and each call waits for that thread's answer.
pub(super) struct Postgres {
    jobs: mpsc::Sender<Job>,
}

impl Postgres {
    /// Connects to `url` (`postgresql://user[:password]@host[:port]/database`, no TLS: a loopback or private
    /// network server).
    pub(super) fn connect(url: &str) -> Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let (ready, connected) = mpsc::channel();
        let url = url.to_string();
        std::thread::Builder::new()
            .name("journal-postgres".into())
            .spawn(move || match postgres::Client::connect(&url, postgres::NoTls) {
                Ok(mut client) => {
                    let _ = ready.send(Ok(()));
                    for job in queue {
                        job(&mut client);
                    }
                }
                Err(e) => {
                    let _ = ready.send(Err(e.to_string()));
                }
            })
            .map_err(|e| Error::Journal(format!("starting the PostgreSQL thread: {e}")))?;
        connected
            .recv()
            .map_err(|_| Error::Journal("the PostgreSQL thread ended".into()))?
            // The URL may hold a password: the message names the server's answer only.
            .map_err(|e| Error::Journal(format!("connecting to PostgreSQL (DATABASE_URL): {e}")))?;
        Ok(Postgres { jobs })
    }

    fn call<T: Send + 'static>(&self, job: impl FnOnce(&mut postgres::Client) -> T + Send + 'static) -> Result<T> {
        let (answer, answered) = mpsc::channel();
        self.jobs
            .send(Box::new(move |client| {
                let _ = answer.send(job(client));
            }))
            .map_err(|_| Error::Journal("the PostgreSQL thread ended".into()))?;
        answered.recv().map_err(|_| Error::Journal("the PostgreSQL thread ended".into()))
    }
}

fn pg_params(params: &[Value]) -> Vec<Box<dyn postgres::types::ToSql + Sync + Send>> {
    params
        .iter()
        .map(|p| -> Box<dyn postgres::types::ToSql + Sync + Send> {
            match p {
                Value::Int(v) => Box::new(*v),
                Value::Text(v) => Box::new(v.clone()),
            }
        })
        .collect()
}

impl Store for Postgres {
    fn batch(&mut self, sql: &str) -> Result<()> {
        let sql = sql.to_string();
        self.call(move |client| client.batch_execute(&sql).map_err(|e| e.to_string()))?.map_err(failed("postgres"))
    }

    fn begin_exclusive(&mut self) -> Result<()> {
        self.batch("BEGIN; LOCK TABLE schema_migrations IN EXCLUSIVE MODE")
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let (sql, params) = (sql.to_string(), pg_params(params));
        self.call(move |client| {
            let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = params.iter().map(|p| p.as_ref() as _).collect();
            client.execute(&sql, &refs).map_err(|e| e.to_string())
        })?
        .map_err(failed("postgres"))
    }

    fn query(&mut self, sql: &str, params: &[Value], kinds: &[Kind]) -> Result<Vec<Vec<Value>>> {
        let (sql, params, kinds) = (sql.to_string(), pg_params(params), kinds.to_vec());
        self.call(move |client| {
            let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = params.iter().map(|p| p.as_ref() as _).collect();
            let rows = client.query(&sql, &refs).map_err(|e| e.to_string())?;
            rows.iter()
                .map(|row| {
                    kinds
                        .iter()
                        .enumerate()
                        .map(|(i, kind)| match kind {
                            Kind::Int => row.try_get::<_, Option<i64>>(i).map(Value::Int),
                            Kind::Text => row.try_get::<_, Option<String>>(i).map(Value::Text),
                        })
                        .collect::<std::result::Result<Vec<Value>, _>>()
                        .map_err(|e| e.to_string())
                })
                .collect::<std::result::Result<Vec<_>, String>>()
        })?
        .map_err(failed("postgres"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_parameters_become_sqlite_numbered_ones_whatever_their_order() {
        assert_eq!(
            numbered("UPDATE s SET a = $2 WHERE b = $1 AND c = $10"),
            "UPDATE s SET a = ?2 WHERE b = ?1 AND c = ?10"
        );
        assert_eq!(numbered("SELECT '$x', $"), "SELECT '$x', $");
    }
}
