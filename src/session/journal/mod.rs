//! The session journal: a durable record of a paper or live session — its scenario, every order as it changes,
//! every fill (each committed before the engine acts on it, and at most once), the equity marks, the risk
//! decisions, and the latest state (cash, positions, venue balances). Stored in SQLite (`reports/<session>/
//! journal.sqlite`) or, when the seed's `DATABASE_URL=postgresql://…` is set, in PostgreSQL; the schema is
//! versioned and migrated forward on open, the same on both.

mod read_back;
mod store;

use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::Path;

use crate::engine::{EquityPoint, FillRecord, OrderRecord, RiskEvent};
use crate::error::{Error, Result};
use crate::model::VenueId;
use crate::model::{Fill, Liquidity, OrderId, Side, Symbol, Timestamp, TradeId, Trail};
use crate::venue::ClientTag;
use store::{Kind, Postgres, Sqlite, Store, Value};

/// The schema, one migration per version, applied in order.
const MIGRATIONS: [&str; 6] = [
    r"
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
",
    // Version 2: the tag of the session's client order ids, so that a resumed session sends and finds the same ids.
    "ALTER TABLE sessions ADD COLUMN client_tag TEXT NOT NULL DEFAULT ''",
    // Version 3: what a stop, a trailing stop and an exit pair need to be restored as they were sent.
    "ALTER TABLE orders ADD COLUMN stop_price TEXT; ALTER TABLE orders ADD COLUMN trail TEXT; \
     ALTER TABLE orders ADD COLUMN reduce_only BIGINT NOT NULL DEFAULT 0; \
     ALTER TABLE orders ADD COLUMN one_cancels_other BIGINT",
    // Version 4: where each order is in its life, so that a cancel is journaled before it is sent (an order of an
    // older journal reads back in the state of its status).
    "ALTER TABLE orders ADD COLUMN lifecycle TEXT NOT NULL DEFAULT ''",
    // Version 5: the venue's id of each trade, so that a resumed session books none of them twice.
    "ALTER TABLE fills ADD COLUMN trade_id TEXT",
    // Version 6: the cash a live session started from (the venue's free balance or the scenario's, the smaller),
    // so that a resumed session rebuilds its ledger from the same start.
    "ALTER TABLE sessions ADD COLUMN starting_cash TEXT",
];

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
    /// The tag of its client order ids (eight hex digits; see [`ClientTag`]).
    pub client_tag: String,
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

/// The journal of one session.
pub struct Journal {
    store: Box<dyn Store>,
    session: String,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("session", &self.session).finish()
    }
}

/// A trailing stop's distance as the journal keeps it: `amount:<quote>` or `percent:<percent>`.
fn trail_text(trail: Trail) -> String {
    match trail {
        Trail::Amount(amount) => format!("amount:{amount}"),
        Trail::Percent(percent) => format!("percent:{percent}"),
    }
}

fn int(v: i64) -> Value {
    Value::Int(Some(v))
}

fn text(v: impl Into<String>) -> Value {
    Value::Text(Some(v.into()))
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
        Journal::migrated(Box::new(Sqlite::open(path)?), session)
    }

    /// Opens (migrating as needed) the journal of `session` in the PostgreSQL database at `url`.
    ///
    /// # Errors
    /// [`Error::Journal`] when the server cannot be reached or refuses (the message never holds the URL).
    pub fn open_postgres(url: &str, session: &str) -> Result<Self> {
        Journal::migrated(Box::new(Postgres::connect(url)?), session)
    }

    /// The journal a session keeps: in PostgreSQL when `database_url` is a `postgresql://` (or `postgres://`)
    /// URL, otherwise in SQLite at `sqlite_path`.
    ///
    /// # Errors
    /// As [`Journal::open_postgres`] and [`Journal::open_sqlite`].
    pub fn open(database_url: Option<&str>, sqlite_path: &Path, session: &str) -> Result<Self> {
        match database_url.filter(|url| is_postgres_url(url)) {
            Some(url) => Journal::open_postgres(url, session),
            None => Journal::open_sqlite(sqlite_path, session),
        }
    }

    fn migrated(store: Box<dyn Store>, session: &str) -> Result<Self> {
        let mut journal = Journal { store, session: session.to_string() };
        journal.store.batch("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY)")?;
        let current = journal.schema_version()?;
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(current) {
            journal.store.begin_exclusive()?;
            let applied = journal.apply_migration(index, migration);
            journal.store.batch(if applied.is_ok() { "COMMIT" } else { "ROLLBACK" })?;
            applied?;
        }
        Ok(journal)
    }

    /// Applies migration number `index` inside the exclusive transaction, unless another process did meanwhile.
    fn apply_migration(&mut self, index: usize, migration: &str) -> Result<()> {
        if self.schema_version()? > index {
            return Ok(());
        }
        self.store.batch(migration)?;
        self.store.execute("INSERT INTO schema_migrations (version) VALUES ($1)", &[int(index as i64 + 1)])?;
        Ok(())
    }

    /// The session this journal keeps.
    pub fn name(&self) -> &str {
        &self.session
    }

    /// The schema version the store is at.
    ///
    /// # Errors
    /// When the store cannot be read.
    pub fn schema_version(&mut self) -> Result<usize> {
        let rows = self.store.query("SELECT MAX(version) FROM schema_migrations", &[], &[Kind::Int])?;
        Ok(rows.first().and_then(|r| r[0].int()).unwrap_or(0) as usize)
    }

    /// Records what the session is (once; a resumed session must run the same scenario).
    ///
    /// # Errors
    /// [`Error::Validation`] when the journal holds this session with another scenario; store failures.
    pub fn open_session(&mut self, info: &SessionInfo) -> Result<()> {
        match self.session()? {
            Some(known) if known.content_hash != info.content_hash => Err(Error::Validation(format!(
                "session {} was started with scenario {}, not {}",
                info.session, known.content_hash, info.content_hash
            ))),
            Some(known) if known.client_tag.is_empty() => {
                // Journaled before sessions had tags: it takes the one given now, for the rest of its life.
                self.store.execute(
                    "UPDATE sessions SET client_tag = $2 WHERE session = $1",
                    &[text(&info.session), text(&info.client_tag)],
                )?;
                Ok(())
            }
            Some(_) => Ok(()),
            None => {
                self.store.execute(
                    "INSERT INTO sessions (session, mode, exchange, scenario, content_hash, client_tag) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    &[
                        text(&info.session),
                        text(&info.mode),
                        text(&info.exchange),
                        text(&info.scenario),
                        text(&info.content_hash),
                        text(&info.client_tag),
                    ],
                )?;
                Ok(())
            }
        }
    }

    /// The session as recorded, if it is.
    ///
    /// # Errors
    /// Store failures.
    pub fn session(&mut self) -> Result<Option<SessionInfo>> {
        let rows = self.store.query(
            "SELECT mode, exchange, scenario, content_hash, client_tag FROM sessions WHERE session = $1",
            &[text(&self.session)],
            &[Kind::Text; 5],
        )?;
        Ok(rows.first().map(|r| {
            let field = |i: usize| r[i].text().unwrap_or_default().to_string();
            SessionInfo {
                session: self.session.clone(),
                mode: field(0),
                exchange: field(1),
                scenario: field(2),
                content_hash: field(3),
                client_tag: field(4),
            }
        }))
    }

    /// The tag the session's client order ids carry, as recorded when it first opened.
    ///
    /// # Errors
    /// [`Error::Journal`] when the session is not recorded or its tag does not read back; store failures.
    pub fn client_tag(&mut self) -> Result<ClientTag> {
        let info = self.session()?;
        info.as_ref().and_then(|i| ClientTag::parse(&i.client_tag)).ok_or_else(|| {
            Error::Journal(format!("session {} has no client order id tag in the journal", self.session))
        })
    }

    /// Records the cash the session started from, once: a later call keeps the first.
    ///
    /// # Errors
    /// Store failures.
    pub fn record_starting_cash(&mut self, cash: Decimal) -> Result<()> {
        self.store.execute(
            "UPDATE sessions SET starting_cash = $2 WHERE session = $1 AND starting_cash IS NULL",
            &[text(&self.session), text(cash.to_string())],
        )?;
        Ok(())
    }

    /// The cash the session started from, when it was recorded (live sessions).
    ///
    /// # Errors
    /// [`Error::Journal`] when the recorded value does not read back as a number; store failures.
    pub fn starting_cash(&mut self) -> Result<Option<Decimal>> {
        let rows = self.store.query(
            "SELECT starting_cash FROM sessions WHERE session = $1",
            &[text(&self.session)],
            &[Kind::Text],
        )?;
        match rows.first().and_then(|r| r[0].text()) {
            None => Ok(None),
            Some(value) => value.parse().map(Some).map_err(|_| {
                Error::Journal(format!("session {}: starting cash '{value}' is not a number", self.session))
            }),
        }
    }

    /// Commits fill number `seq` (its index among the session's fills) before the engine books it. A fill already
    /// journaled under `seq` (a resumed session re-deriving it) is not written again; it must be the same fill.
    ///
    /// # Errors
    /// [`Error::Data`] when the journal holds a different fill under `seq`; store failures.
    pub fn record_fill(&mut self, seq: u64, record: &FillRecord) -> Result<()> {
        let f = &record.fill;
        let inserted = self.store.execute(
            "INSERT INTO fills (session, seq, order_id, time, venue, symbol, side, quantity, price, fee, liquidity, \
             trade_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (session, seq) DO NOTHING",
            &[
                text(&self.session),
                int(seq as i64),
                int(f.order_id.0 as i64),
                int(f.time.0),
                int(record.venue.0 as i64),
                text(f.symbol.as_str()),
                text(f.side.as_str()),
                text(f.quantity.to_string()),
                text(f.price.to_string()),
                text(f.fee.to_string()),
                text(f.liquidity.as_str()),
                Value::Text(f.trade_id.map(|trade| trade.to_string())),
            ],
        )?;
        if inserted == 0 {
            let known = self.read_fills(" AND seq = $2", Some(seq))?.into_iter().next().map(|(_, r)| r);
            // A row of a journal older than trade ids (schema < 5) is the same fill when all else agrees: it
            // gets the id now, so the next resume finds it whole.
            let older = known.as_ref().is_some_and(|k| {
                k.fill.trade_id.is_none()
                    && FillRecord { fill: Fill { trade_id: None, ..record.fill }, ..*record } == *k
            });
            if older && let Some(trade) = f.trade_id {
                self.store.execute(
                    "UPDATE fills SET trade_id = $1 WHERE session = $2 AND seq = $3 AND trade_id IS NULL",
                    &[text(trade.to_string()), text(&self.session), int(seq as i64)],
                )?;
            } else if known.as_ref() != Some(record) {
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
    pub fn fills(&mut self) -> Result<Vec<(u64, FillRecord)>> {
        self.read_fills("", None)
    }

    /// The fills of the session (only number `seq`, when given), in order.
    fn read_fills(&mut self, only: &str, seq: Option<u64>) -> Result<Vec<(u64, FillRecord)>> {
        const COLUMNS: [Kind; 11] = [
            Kind::Int,
            Kind::Int,
            Kind::Int,
            Kind::Int,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Text,
        ];
        let sql = format!(
            "SELECT seq, order_id, time, venue, symbol, side, quantity, price, fee, liquidity, trade_id FROM fills \
             WHERE session = $1{only} ORDER BY seq"
        );
        let mut params = vec![text(&self.session)];
        params.extend(seq.map(|seq| int(seq as i64)));
        let rows = self.store.query(&sql, &params, &COLUMNS)?;
        rows.iter().map(|row| read_fill(row)).collect()
    }

    /// Writes `step` in one transaction: changed orders, new marks and risk events, the state.
    ///
    /// # Errors
    /// Store failures.
    pub fn record_step(&mut self, step: &JournalStep<'_>) -> Result<()> {
        self.store.batch("BEGIN")?;
        match self.write_step(step) {
            Ok(()) => self.store.batch("COMMIT"),
            Err(failure) => {
                let _ = self.store.batch("ROLLBACK");
                Err(failure)
            }
        }
    }

    /// Journals `record` (an order the engine is about to send, one whose cancel it is about to send, or one that
    /// changed) at once: inserted, or its state, size and prices updated.
    ///
    /// # Errors
    /// Store failures.
    pub fn record_order(&mut self, record: &OrderRecord) -> Result<()> {
        self.write_order(record)
    }

    fn write_order(&mut self, record: &OrderRecord) -> Result<()> {
        let session = text(&self.session);
        let (r, q) = (&record.report, &record.report.request);
        self.store.execute(
            "INSERT INTO orders (session, order_id, created, venue, symbol, side, order_type, time_in_force, \
             quantity, price, status, filled, average_price, fee, reason, stop_price, trail, reduce_only, \
             one_cancels_other, lifecycle) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) \
             ON CONFLICT (session, order_id) DO UPDATE SET status = excluded.status, filled = excluded.filled, \
             lifecycle = excluded.lifecycle, \
             average_price = excluded.average_price, fee = excluded.fee, reason = excluded.reason, \
             quantity = excluded.quantity, price = excluded.price, stop_price = excluded.stop_price",
            &[
                session,
                int(q.client_order_id.0 as i64),
                int(record.created.0),
                int(record.venue.0 as i64),
                text(q.symbol.as_str()),
                text(q.side.as_str()),
                text(q.order_type.as_str()),
                text(q.time_in_force.as_str()),
                text(format!("{:?}", q.quantity)),
                Value::Text(q.price.map(|p| p.to_string())),
                text(r.status.as_str()),
                text(r.filled_quantity.to_string()),
                Value::Text(r.average_price.map(|p| p.to_string())),
                text(r.fee.to_string()),
                Value::Text(r.reason.clone()),
                Value::Text(q.stop_price.map(|p| p.to_string())),
                Value::Text(q.trail.map(trail_text)),
                int(i64::from(q.reduce_only)),
                Value::Int(q.one_cancels_other.map(|o| o.0 as i64)),
                text(record.state.as_str()),
            ],
        )?;
        Ok(())
    }

    fn write_step(&mut self, step: &JournalStep<'_>) -> Result<()> {
        let session = text(&self.session);
        for record in step.orders {
            self.write_order(record)?;
        }
        let (first, points) = step.equity;
        for (i, point) in points.iter().enumerate() {
            self.store.execute(
                "INSERT INTO equity (session, seq, time, value) VALUES ($1, $2, $3, $4) ON CONFLICT (session, seq) DO NOTHING",
                &[session.clone(), int((first + i) as i64), int(point.time.0), text(point.equity().to_string())],
            )?;
        }
        let (first, events) = step.risk_events;
        for (i, e) in events.iter().enumerate() {
            self.store.execute(
                "INSERT INTO risk_events (session, seq, time, rule, action, order_id, symbol, reason) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (session, seq) DO NOTHING",
                &[
                    session.clone(),
                    int((first + i) as i64),
                    int(e.time.0),
                    text(e.rule.as_str()),
                    text(e.action.as_str()),
                    Value::Int(e.order_id.map(|o| o.0 as i64)),
                    Value::Text(e.symbol.map(|s| s.as_str().to_string())),
                    text(&e.reason),
                ],
            )?;
        }
        let s = step.state;
        self.store.execute(
            "INSERT INTO state (session, time, messages, cash, positions, balances) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (session) DO UPDATE SET time = excluded.time, messages = excluded.messages, \
             cash = excluded.cash, positions = excluded.positions, balances = excluded.balances",
            &[
                session,
                int(s.time.0),
                int(s.messages as i64),
                text(s.cash.to_string()),
                text(json(&s.positions)?),
                text(json(&s.balances)?),
            ],
        )?;
        Ok(())
    }

    /// The latest state recorded.
    ///
    /// # Errors
    /// Store failures; [`Error::Data`] for a state that does not read back.
    pub fn state(&mut self) -> Result<Option<SessionState>> {
        let rows = self.store.query(
            "SELECT time, messages, cash, positions, balances FROM state WHERE session = $1",
            &[text(&self.session)],
            &[Kind::Int, Kind::Int, Kind::Text, Kind::Text, Kind::Text],
        )?;
        let Some(row) = rows.first() else { return Ok(None) };
        let bad = |what: &str| Error::Data(format!("journal state of {}: unreadable {what}", self.session));
        let field = |i: usize| row[i].text().unwrap_or_default();
        Ok(Some(SessionState {
            time: Timestamp(row[0].int().unwrap_or_default()),
            messages: row[1].int().unwrap_or_default() as u64,
            cash: field(2).parse().map_err(|_| bad("cash"))?,
            positions: serde_json::from_str(field(3)).map_err(|_| bad("positions"))?,
            balances: serde_json::from_str(field(4)).map_err(|_| bad("balances"))?,
        }))
    }
}

/// Whether `url` names a PostgreSQL database (`postgresql://` or `postgres://`).
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgresql://") || url.starts_with("postgres://")
}

/// A fill row read back.
fn read_fill(row: &[Value]) -> Result<(u64, FillRecord)> {
    let seq = row[0].int().unwrap_or_default();
    let bad = |what: &str| Error::Data(format!("journal fill #{seq}: unreadable {what}"));
    let field = |i: usize| row[i].text().unwrap_or_default();
    let decimal = |i: usize, what: &str| field(i).parse::<Decimal>().map_err(|_| bad(what));
    let fill = Fill {
        order_id: OrderId(row[1].int().unwrap_or_default() as u64),
        time: Timestamp(row[2].int().unwrap_or_default()),
        symbol: Symbol::new(field(4)).map_err(|_| bad("symbol"))?,
        side: match field(5) {
            "BUY" => Side::Buy,
            "SELL" => Side::Sell,
            _ => return Err(bad("side")),
        },
        quantity: decimal(6, "quantity")?,
        price: decimal(7, "price")?,
        fee: decimal(8, "fee")?,
        liquidity: match field(9) {
            "maker" => Liquidity::Maker,
            "taker" => Liquidity::Taker,
            _ => return Err(bad("liquidity")),
        },
        trade_id: match row[10].text() {
            None => None,
            Some(trade) => Some(TradeId::parse(trade).ok_or_else(|| bad("trade id"))?),
        },
    };
    Ok((seq as u64, FillRecord { venue: VenueId(row[3].int().unwrap_or_default() as usize), fill }))
}

/// A map of the state row as JSON text.
fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Journal(format!("writing the state: {e}")))
}
