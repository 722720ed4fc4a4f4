//! The session journal: a durable record of a paper or live session — its scenario, every order as it changes,
//! every fill (each committed before the engine acts on it, and at most once), the equity marks, the risk
//! decisions, and the latest state (cash, positions, venue balances). Stored in SQLite (`reports/<session>/
//! journal.sqlite`); the schema is versioned and migrated forward on open.

use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;

use crate::engine::{EquityPoint, FillRecord, OrderRecord, RiskEvent};
use crate::error::{Error, Result};
use crate::exchange::VenueId;
use crate::model::{Fill, Liquidity, OrderId, Side, Symbol, Timestamp};

/// The schema, one migration per version, applied in order.
const MIGRATIONS: [&str; 1] = [r"
CREATE TABLE sessions (
    session TEXT PRIMARY KEY, mode TEXT NOT NULL, exchange TEXT NOT NULL, scenario TEXT NOT NULL,
    content_hash TEXT NOT NULL);
CREATE TABLE orders (
    session TEXT NOT NULL, order_id BIGINT NOT NULL, created BIGINT NOT NULL, venue BIGINT NOT NULL,
    symbol TEXT NOT NULL, side TEXT NOT NULL, order_type TEXT NOT NULL, time_in_force TEXT NOT NULL,
    quantity TEXT NOT NULL, price TEXT, status TEXT NOT NULL, filled TEXT NOT NULL, average_price TEXT,
    fee TEXT NOT NULL, reason TEXT, PRIMARY KEY (session, order_id));
CREATE TABLE fills (
    session TEXT NOT NULL, seq BIGINT NOT NULL, order_id BIGINT NOT NULL, time BIGINT NOT NULL, venue BIGINT NOT NULL,
    symbol TEXT NOT NULL, side TEXT NOT NULL, quantity TEXT NOT NULL, price TEXT NOT NULL, fee TEXT NOT NULL,
    liquidity TEXT NOT NULL, PRIMARY KEY (session, seq));
CREATE TABLE equity (
    session TEXT NOT NULL, seq BIGINT NOT NULL, time BIGINT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (session, seq));
CREATE TABLE risk_events (
    session TEXT NOT NULL, seq BIGINT NOT NULL, time BIGINT NOT NULL, rule TEXT NOT NULL, action TEXT NOT NULL,
    order_id BIGINT, symbol TEXT, reason TEXT NOT NULL, PRIMARY KEY (session, seq));
CREATE TABLE state (
    session TEXT PRIMARY KEY, time BIGINT NOT NULL, messages BIGINT NOT NULL, cash TEXT NOT NULL,
    positions TEXT NOT NULL, balances TEXT NOT NULL);
"];

/// What a session is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    /// Its name (the folder of its recording and report).
    pub session: String,
    /// `paper` or `live`.
    pub mode: String,
    /// The venue whose market data (and, live, whose account) it uses.
    pub exchange: String,
    /// The scenario text it runs.
    pub scenario: String,
    /// The scenario's content hash.
    pub content_hash: String,
}

/// The state of a session at a moment: what a resume checks itself against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionState {
    /// Engine time.
    pub time: Timestamp,
    /// Market messages taken so far.
    pub messages: u64,
    /// Free cash of the portfolio.
    pub cash: Decimal,
    /// Signed quantity by symbol (flat ones left out).
    pub positions: BTreeMap<Symbol, Decimal>,
    /// The venues' balances, summed.
    pub balances: BTreeMap<String, Decimal>,
}

/// What changed since the last commit: written in one transaction.
#[derive(Clone, Copy, Debug)]
pub struct JournalStep<'a> {
    /// Orders created or changed.
    pub orders: &'a [&'a OrderRecord],
    /// New equity marks and the index of the first.
    pub equity: (usize, &'a [EquityPoint]),
    /// New risk events and the index of the first.
    pub risk_events: (usize, &'a [RiskEvent]),
    /// The state now.
    pub state: &'a SessionState,
}

/// The journal of one session in SQLite.
pub struct Journal {
    connection: Connection,
    session: String,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("session", &self.session).finish()
    }
}

fn db_error(context: &str) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| Error::Journal(format!("{context}: {e}"))
}

impl Journal {
    /// Opens (creating and migrating as needed) the SQLite journal at `path` for `session`.
    ///
    /// # Errors
    /// [`Error::Io`] when its folder cannot be made; [`Error::Journal`] when SQLite refuses.
    pub fn open_sqlite(path: &Path, session: &str) -> Result<Self> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io("creating", parent, e))?;
        }
        let connection = Connection::open(path).map_err(db_error("opening"))?;
        connection.pragma_update(None, "journal_mode", "WAL").map_err(db_error("setting WAL"))?;
        // FULL: a commit is on disk before it returns (a fill is durable before the engine acts on it).
        connection.pragma_update(None, "synchronous", "FULL").map_err(db_error("setting synchronous"))?;
        let mut journal = Journal { connection, session: session.to_string() };
        journal.migrate()?;
        Ok(journal)
    }

    /// The schema version the store is at.
    ///
    /// # Errors
    /// When the store cannot be read.
    pub fn schema_version(&self) -> Result<usize> {
        let version: Option<i64> = self
            .connection
            .query_row("SELECT MAX(version) FROM schema_migrations", [], |row| row.get(0))
            .map_err(db_error("reading the schema version"))?;
        Ok(version.unwrap_or(0) as usize)
    }

    fn migrate(&mut self) -> Result<()> {
        self.connection
            .execute("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY)", [])
            .map_err(db_error("creating schema_migrations"))?;
        let current = self.schema_version()?;
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(current) {
            let tx = self.connection.transaction().map_err(db_error("migrating"))?;
            tx.execute_batch(migration).map_err(db_error("migrating"))?;
            tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", params![index as i64 + 1])
                .map_err(db_error("migrating"))?;
            tx.commit().map_err(db_error("migrating"))?;
        }
        Ok(())
    }

    /// Records what the session is (once; a resumed session must run the same scenario).
    ///
    /// # Errors
    /// [`Error::Validation`] when the journal holds this session with another scenario; store failures.
    pub fn open_session(&mut self, info: &SessionInfo) -> Result<()> {
        let known: Option<String> = self
            .connection
            .query_row("SELECT content_hash FROM sessions WHERE session = $1", params![info.session], |r| r.get(0))
            .optional()
            .map_err(db_error("reading the session"))?;
        match known {
            Some(hash) if hash != info.content_hash => Err(Error::Validation(format!(
                "session {} was started with scenario {hash}, not {}",
                info.session, info.content_hash
            ))),
            Some(_) => Ok(()),
            None => {
                self.connection
                    .execute(
                        "INSERT INTO sessions (session, mode, exchange, scenario, content_hash) VALUES ($1, $2, $3, $4, $5)",
                        params![info.session, info.mode, info.exchange, info.scenario, info.content_hash],
                    )
                    .map_err(db_error("recording the session"))?;
                Ok(())
            }
        }
    }

    /// The session as recorded, if it is.
    ///
    /// # Errors
    /// Store failures.
    pub fn session(&self) -> Result<Option<SessionInfo>> {
        self.connection
            .query_row(
                "SELECT mode, exchange, scenario, content_hash FROM sessions WHERE session = $1",
                params![self.session],
                |r| {
                    Ok(SessionInfo {
                        session: self.session.clone(),
                        mode: r.get(0)?,
                        exchange: r.get(1)?,
                        scenario: r.get(2)?,
                        content_hash: r.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(db_error("reading the session"))
    }

    /// Commits fill number `seq` (its index among the session's fills) before the engine books it. A fill already
    /// journaled under `seq` (a resumed session re-deriving it) is not written again; it must be the same fill.
    ///
    /// # Errors
    /// [`Error::Data`] when the journal holds a different fill under `seq`; store failures.
    pub fn record_fill(&mut self, seq: u64, record: &FillRecord) -> Result<()> {
        let f = &record.fill;
        let inserted = self
            .connection
            .execute(
                "INSERT INTO fills (session, seq, order_id, time, venue, symbol, side, quantity, price, fee, liquidity) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (session, seq) DO NOTHING",
                params![
                    self.session,
                    seq as i64,
                    f.order_id.0 as i64,
                    f.time.0,
                    record.venue.0 as i64,
                    f.symbol.as_str(),
                    f.side.as_str(),
                    f.quantity.to_string(),
                    f.price.to_string(),
                    f.fee.to_string(),
                    f.liquidity.as_str(),
                ],
            )
            .map_err(db_error("recording a fill"))?;
        if inserted == 0 {
            let known = self.fills()?.into_iter().find(|(s, _)| *s == seq).map(|(_, r)| r);
            if known.as_ref() != Some(record) {
                return Err(Error::Data(format!(
                    "journal fill #{seq} is {known:?}, but the session now derives {record:?}"
                )));
            }
        }
        Ok(())
    }

    /// Every journaled fill with its number, in order.
    ///
    /// # Errors
    /// Store failures; [`Error::Data`] for a row that does not read back.
    pub fn fills(&self) -> Result<Vec<(u64, FillRecord)>> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT seq, order_id, time, venue, symbol, side, quantity, price, fee, liquidity FROM fills \
                 WHERE session = $1 ORDER BY seq",
            )
            .map_err(db_error("reading fills"))?;
        let rows = statement
            .query_map(params![self.session], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    [r.get::<_, String>(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?],
                ))
            })
            .map_err(db_error("reading fills"))?;
        let mut fills = Vec::new();
        for row in rows {
            let (seq, order_id, time, venue, [symbol, side, quantity, price, fee, liquidity]) =
                row.map_err(db_error("reading fills"))?;
            let bad = |what: &str| Error::Data(format!("journal fill #{seq}: unreadable {what}"));
            let decimal = |text: &str, what: &str| text.parse::<Decimal>().map_err(|_| bad(what));
            let fill = Fill {
                order_id: OrderId(order_id as u64),
                time: Timestamp(time),
                symbol: Symbol::new(&symbol).map_err(|_| bad("symbol"))?,
                side: match side.as_str() {
                    "BUY" => Side::Buy,
                    "SELL" => Side::Sell,
                    _ => return Err(bad("side")),
                },
                quantity: decimal(&quantity, "quantity")?,
                price: decimal(&price, "price")?,
                fee: decimal(&fee, "fee")?,
                liquidity: match liquidity.as_str() {
                    "maker" => Liquidity::Maker,
                    "taker" => Liquidity::Taker,
                    _ => return Err(bad("liquidity")),
                },
            };
            fills.push((seq as u64, FillRecord { venue: VenueId(venue as usize), fill }));
        }
        Ok(fills)
    }

    /// Writes `step` in one transaction: changed orders, new marks and risk events, the state.
    ///
    /// # Errors
    /// Store failures.
    pub fn record_step(&mut self, step: &JournalStep<'_>) -> Result<()> {
        let session = self.session.clone();
        let tx = self.connection.transaction().map_err(db_error("starting a commit"))?;
        for record in step.orders {
            let (r, q) = (&record.report, &record.report.request);
            tx.execute(
                "INSERT INTO orders (session, order_id, created, venue, symbol, side, order_type, time_in_force, \
                 quantity, price, status, filled, average_price, fee, reason) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
                 ON CONFLICT (session, order_id) DO UPDATE SET status = excluded.status, filled = excluded.filled, \
                 average_price = excluded.average_price, fee = excluded.fee, reason = excluded.reason",
                params![
                    session,
                    q.client_order_id.0 as i64,
                    record.created.0,
                    record.venue.0 as i64,
                    q.symbol.as_str(),
                    q.side.as_str(),
                    q.order_type.as_str(),
                    q.time_in_force.as_str(),
                    format!("{:?}", q.quantity),
                    q.price.map(|p| p.to_string()),
                    r.status.as_str(),
                    r.filled_quantity.to_string(),
                    r.average_price.map(|p| p.to_string()),
                    r.fee.to_string(),
                    r.reason,
                ],
            )
            .map_err(db_error("recording an order"))?;
        }
        let (first, points) = step.equity;
        for (i, point) in points.iter().enumerate() {
            tx.execute(
                "INSERT INTO equity (session, seq, time, value) VALUES ($1, $2, $3, $4) ON CONFLICT (session, seq) DO NOTHING",
                params![session, (first + i) as i64, point.time.0, point.equity().to_string()],
            )
            .map_err(db_error("recording equity"))?;
        }
        let (first, events) = step.risk_events;
        for (i, e) in events.iter().enumerate() {
            tx.execute(
                "INSERT INTO risk_events (session, seq, time, rule, action, order_id, symbol, reason) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (session, seq) DO NOTHING",
                params![
                    session,
                    (first + i) as i64,
                    e.time.0,
                    e.rule.as_str(),
                    e.action.as_str(),
                    e.order_id.map(|o| o.0 as i64),
                    e.symbol.map(|s| s.as_str().to_string()),
                    e.reason,
                ],
            )
            .map_err(db_error("recording a risk event"))?;
        }
        let s = step.state;
        tx.execute(
            "INSERT INTO state (session, time, messages, cash, positions, balances) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (session) DO UPDATE SET time = excluded.time, messages = excluded.messages, \
             cash = excluded.cash, positions = excluded.positions, balances = excluded.balances",
            params![session, s.time.0, s.messages as i64, s.cash.to_string(), json(&s.positions)?, json(&s.balances)?],
        )
        .map_err(db_error("recording the state"))?;
        tx.commit().map_err(db_error("committing"))
    }

    /// The latest state recorded.
    ///
    /// # Errors
    /// Store failures; [`Error::Data`] for a state that does not read back.
    pub fn state(&self) -> Result<Option<SessionState>> {
        let row = self
            .connection
            .query_row(
                "SELECT time, messages, cash, positions, balances FROM state WHERE session = $1",
                params![self.session],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, [r.get::<_, String>(2)?, r.get(3)?, r.get(4)?])),
            )
            .optional()
            .map_err(db_error("reading the state"))?;
        let Some((time, messages, [cash, positions, balances])) = row else { return Ok(None) };
        let bad = |what: &str| Error::Data(format!("journal state of {}: unreadable {what}", self.session));
        Ok(Some(SessionState {
            time: Timestamp(time),
            messages: messages as u64,
            cash: cash.parse().map_err(|_| bad("cash"))?,
            positions: serde_json::from_str(&positions).map_err(|_| bad("positions"))?,
            balances: serde_json::from_str(&balances).map_err(|_| bad("balances"))?,
        }))
    }
}

/// A map of the state row as JSON text.
fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Journal(format!("writing the state: {e}")))
}
