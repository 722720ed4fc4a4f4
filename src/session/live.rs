//! `ctb live`: the scenario's strategy — on the venue's closed candles for a bar scenario, on Binance's depth stream
//! for a level-2 one — trading at a real venue (testnet unless `exchanges.yaml` says otherwise) through the same
//! engine, risk manager and journal as a paper session; only the router differs.
//!
//! It starts only past the gate ([`live_gate`]): a passing validation record for the scenario as it is now,
//! credentials, and the user's explicit confirmation. Before trading it compares the venue's balances with what
//! the session starts from and reports every difference. The venue's answers carry immediate fills; orders
//! resting there are followed by asking for their status every second. On Ctrl-C or SIGTERM — or the risk
//! manager's emergency stop — no new order goes out, every open order is canceled (unless told to keep them), the
//! journal is written and the session ends with its report.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rust_decimal::Decimal;

use super::bar_feed::{BAR_RECORDING_HEADER, BarFeed, read_bar_recording};
use super::driver::{Limits, LiveFeed, Session, StatusLine, Stop, guarded, journal_hooks, journal_of, report_note};
use super::feed::BinanceBookFeed;
use super::journal::Journal;
use super::paper::session_symbol;
use super::recording::Recording;
use crate::config::{ExchangesConfig, Scenario, bar_recording_file, recording_file};
use crate::engine::{TradingEngine, start_book_engine_on};
use crate::error::{Error, Result};
use crate::model::Instrument;
use crate::model::VenueId;
use crate::model::{OrderId, OrderStatus};
use crate::runner::{ScenarioRun, write_bar_report, write_book_report};
use crate::validation::ValidationRecord;
use crate::venue::binance::BinanceAdapter;
use crate::venue::live::live_adapter;
use crate::venue::{Credentials, OrderRouter, VENUES_WITHOUT_TEST_ENDPOINTS};
use std::collections::BTreeMap;

/// What a live session runs and where it keeps things. (`Debug` leaves out `database_url`, which may hold a
/// password.)
#[derive(Clone)]
pub struct LiveOptions {
    /// A level-2 scenario whose one venue is `exchange`.
    pub scenario: Scenario,
    /// The venue (`binance`).
    pub exchange: String,
    /// Folder of `exchanges.yaml`.
    pub config_dir: PathBuf,
    /// The session's name.
    pub session: String,
    /// Where the market data it sees is recorded.
    pub recordings: PathBuf,
    /// Where the validation record is read, and the report and journal go.
    pub reports: PathBuf,
    /// How long it runs and whether it shows a status line.
    pub limits: Limits,
    /// The user said `--confirm-live`.
    pub confirmed: bool,
    /// Leave open orders at the venue when the session stops.
    pub keep_orders: bool,
    /// Continue the live session `session` from its journal.
    pub resume: bool,
    /// The seed's `DATABASE_URL`: a `postgresql://` URL puts the journal in PostgreSQL instead of SQLite.
    pub database_url: Option<String>,
}

impl std::fmt::Debug for LiveOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveOptions")
            .field("scenario", &self.scenario.name)
            .field("exchange", &self.exchange)
            .field("session", &self.session)
            .field("confirmed", &self.confirmed)
            .field("resume", &self.resume)
            .field("database_url", &self.database_url.as_ref().map(|_| "(set)"))
            .finish_non_exhaustive()
    }
}

/// How a live session ended.
pub struct LiveOutcome {
    /// Its report.
    pub report: ScenarioRun,
    /// Messages taken.
    pub live: u64,
    /// Why it stopped.
    pub stop: Stop,
    /// Open orders the kill switch canceled.
    pub canceled: usize,
    /// What differed between the venue and the session's starting point, one line each.
    pub differences: Vec<String>,
    /// Whether the venue's production endpoints were used.
    pub production: bool,
}

/// The gate before live trading, one clear refusal each: the scenario must have passed `ctb validate` as it is
/// now (same content hash), the venue's credentials must be set, and the user must confirm.
///
/// # Errors
/// [`Error::Validation`] without a passing, current validation record or without confirmation;
/// [`Error::Authentication`] without credentials.
pub fn live_gate(
    scenario: &Scenario,
    reports: &Path,
    exchange: &str,
    credentials: Option<&Credentials>,
    confirmed: bool,
) -> Result<()> {
    let name = &scenario.name;
    let dir = reports.join(name);
    let now = format!("sha256:{}", scenario.content_hash()?);
    match ValidationRecord::read(&dir)? {
        None => {
            return Err(Error::Validation(format!(
                "live: {name} has no validation record ({}/validation.json): run ctb validate {} first",
                dir.display(),
                scenario.path.display()
            )));
        }
        Some(record) if !record.passed => {
            return Err(Error::Validation(format!(
                "live: {name} failed its last validation ({}/validation.json)",
                dir.display()
            )));
        }
        Some(record) if record.content_hash != now => {
            return Err(Error::Validation(format!(
                "live: {name} changed since it was validated ({} then, {now} now): run ctb validate again",
                record.content_hash
            )));
        }
        Some(_) => {}
    }
    if credentials.is_none() {
        let prefix = exchange.to_ascii_uppercase();
        return Err(Error::Authentication(format!(
            "live: no credentials for {exchange}: set {prefix}_API_KEY and {prefix}_API_SECRET (environment or .env)"
        )));
    }
    if !confirmed {
        return Err(Error::Validation(format!(
            "live: {name} would send real orders to {exchange}: add --confirm-live to go ahead"
        )));
    }
    Ok(())
}

/// Live trading at a venue with no test environment (Kraken spot) needs the file to say `production: true`:
/// `--confirm-live` alone does not show that the user knows every order there is real.
///
/// # Errors
/// [`Error::Validation`] naming the key to set.
fn production_gate(exchange: &str, config: &crate::venue::VenueConfig, config_dir: &Path) -> Result<()> {
    if VENUES_WITHOUT_TEST_ENDPOINTS.contains(&exchange) && !config.production_confirmed() {
        return Err(Error::Validation(format!(
            "live: {exchange} has no test environment, so every order is real: set `production: true` under \
             exchanges.{exchange} in {}/exchanges.yaml to trade there",
            config_dir.display()
        )));
    }
    Ok(())
}

/// Runs a live session until `shutdown` completes, a limit is reached, the stream ends or the emergency stop.
///
/// # Errors
/// The gate's refusals; [`Error::Config`] for a scenario that is not level-2 on one symbol at `exchange`; the
/// venue's errors; [`Error::Journal`] when the journal fails.
pub async fn run_live(
    options: LiveOptions,
    lookup: impl Fn(&str) -> Option<String>,
    shutdown: impl Future<Output = ()>,
) -> Result<LiveOutcome> {
    let scenario = &options.scenario;
    let credentials = Credentials::from_variables(&options.exchange, &lookup);
    live_gate(scenario, &options.reports, &options.exchange, credentials.as_ref(), options.confirmed)?;
    let symbol = session_symbol(scenario)?;
    let bars = !scenario.is_book();
    match scenario.setup.venues.as_slice() {
        [venue] if venue.name == options.exchange && (bars || options.exchange == "binance") => {}
        _ => {
            return Err(Error::Config(format!(
                "{}: ctb live trades at one venue named '{}' (level-2 data: binance only)",
                scenario.path.display(),
                options.exchange
            )));
        }
    }
    let config = ExchangesConfig::venue_in(&options.config_dir, &options.exchange, &lookup)?;
    let production = !config.uses_test_endpoints(&options.exchange);
    production_gate(&options.exchange, &config, &options.config_dir)?;
    let report_dir = options.reports.join(&options.session);
    let mut journal =
        Journal::open(options.database_url.as_deref(), &report_dir.join("journal.sqlite"), &options.session)?;
    if options.resume {
        match journal.session()? {
            Some(info) if info.mode == "live" => {}
            Some(info) => {
                return Err(Error::Config(format!(
                    "session {} is a {} session, not a live one",
                    options.session, info.mode
                )));
            }
            None => return Err(Error::Config(format!("no live session {} in the journal to resume", options.session))),
        }
    }
    let mut journal = journal_of(journal, "live", &options.exchange, scenario)?;
    // The session's client order ids carry its tag, recorded when it first opened: unique to it, the same after a
    // resume.
    let mut adapter = live_adapter(&options.exchange, &config, credentials)?;
    adapter.set_client_tag(journal.client_tag()?);
    // The venue's own rules apply, whatever the scenario says: its lot decides what a strategy can still sell.
    let mut differences = Vec::new();
    let mut setup = scenario.setup.clone();
    for instrument in setup.venues.iter_mut().flat_map(|v| v.instruments.iter_mut()) {
        let rules = adapter.instrument_rules(instrument.symbol).await?;
        if let Some(difference) = rule_difference(instrument, &rules) {
            differences.push(difference);
            (instrument.tick_size, instrument.lot_size, instrument.min_notional) =
                (rules.tick_size, rules.lot_size, rules.min_notional);
        }
    }
    // The ledger is the account: a new session starts from the venue's free quote balance, or the scenario's
    // starting cash when that is smaller (the session's allocation), journaled; a resumed one from what it started
    // from. (A journal of before such records started from the scenario's cash.)
    let recorded = journal.starting_cash()?;
    let traded_before = !journal.orders()?.is_empty();
    let mut held = BTreeMap::new();
    match (options.resume, recorded) {
        (true, Some(started)) => start_from(&mut setup, started),
        (true, None) if traded_before => journal.record_starting_cash(setup.starting_cash)?,
        (false, _) if recorded.is_some() || traded_before => {
            return Err(Error::Config(format!(
                "session {} already exists: resume it with --resume, or name another --session",
                options.session
            )));
        }
        // New, or resumed after stopping before it recorded anything.
        _ => {
            held = adapter.get_account_balance().await?;
            let (cash, difference) = allocation(&options.exchange, &setup, &held)?;
            start_from(&mut setup, cash);
            differences.extend(difference);
            journal.record_starting_cash(cash)?;
        }
    }
    let mut router = OrderRouter::new();
    router.add(adapter)?;
    let journal = Arc::new(Mutex::new(journal));
    let mut engine = start_book_engine_on(&setup, router, Some(journal_hooks(&journal))).await?;
    // A resumed session's orders from before rest at the venue from here on: a failure while restoring and
    // reconciling goes through the kill switch too.
    let reconciled = guarded(async {
        // The venue's dead man's switch (Kraken) is armed before any order can go out; the session renews it.
        engine.dead_mans_switches(true).await?;
        if options.resume {
            let (mut open_before, balances) = restore(&mut engine, &journal)?;
            engine.track_orders().await?;
            for order in &engine.run_log().orders {
                let (id, now) = (order.report.request.client_order_id, order.report.status);
                if let Some((_, before)) =
                    open_before.iter().find(|(o, _)| *o == id).filter(|(_, before)| *before != now)
                {
                    differences.push(format!(
                        "order {id}: {} in the journal, {} at the venue",
                        before.as_str(),
                        now.as_str()
                    ));
                }
            }
            open_before.clear();
            let now = engine.router().balances(VenueId(0)).await?;
            Ok(balance_differences(&now, &balances, "the journal recorded"))
        } else {
            // What the session trades with is stated above; other assets it starts without.
            let mut start =
                BTreeMap::from([(setup.quote.clone(), held.get(&setup.quote).copied().unwrap_or_default())]);
            for instrument in setup.instruments() {
                start.entry(instrument.base.clone()).or_insert(Decimal::ZERO);
            }
            Ok(balance_differences(&held, &start, "the session starts from"))
        }
    })
    .await;
    match reconciled {
        Ok(found) => differences.extend(found),
        Err(failure) => return Err(stop_before_trading(&mut engine, failure, options.keep_orders).await),
    }
    for difference in &differences {
        tracing::warn!("reconcile: {difference}");
    }
    let dir = options.recordings.join(&options.session);
    // A bar session's interval and price decimals, from the scenario's data (read once). A resumed session's orders
    // rest at the venue already: a failure here (or a panic of the strategy starting) goes through the kill switch too.
    let mut interval = 0;
    let prepared = guarded(async {
        let (trading, recording) = if bars {
            let (series, _) = scenario.load_market_data()?;
            let close_scale = series.first().map_or(0, |s| s.close_scale());
            interval = series.first().map_or(0, |s| s.interval);
            let trading = Session::trading_bars(&mut engine, &setup, symbol, close_scale)?;
            (trading, Recording::open(&bar_recording_file(&dir, symbol), Some(BAR_RECORDING_HEADER))?)
        } else {
            let trading = Session::trading_book(&mut engine, &setup, symbol)?;
            (trading, Recording::open(&recording_file(&dir, symbol), None)?)
        };
        if !recording.1.is_empty() && !options.resume {
            return Err(Error::Config(format!(
                "session {} already exists: resume it with --resume, or name another --session",
                options.session
            )));
        }
        Ok((trading, recording))
    })
    .await;
    let (trading, (mut recording, earlier)) = match prepared {
        Ok(prepared) => prepared,
        Err(failure) => return Err(stop_before_trading(&mut engine, failure, options.keep_orders).await),
    };
    let mut session = Session::new(engine, trading, journal);
    let mut status = StatusLine::new(options.limits.status, &options.session);
    // From here on orders may be working at the venue: every way out — a stop, any error, a panic — goes
    // through the kill switch below.
    let traded = guarded(async {
        let mut feed = if bars {
            // A resumed session's strategy warms up on the bars whose outcome the journal holds (an order created
            // at their close, or a later equity mark; the ledger came from the journal); a bar recorded after
            // those — the session stopped before it was journaled — is traded now, and the feed takes only the
            // bars after them.
            let log = session.engine.run_log();
            let marked = log.equity.last().map(|p| p.time);
            let done_until = marked.max(log.orders.last().map(|o| o.created));
            let mut last_open = None;
            for bar in read_bar_recording(recording.path(), &earlier, interval)? {
                if done_until.is_some_and(|done| bar.close_time <= done) {
                    session.warm_up_bar(&bar)?;
                } else {
                    session.take_bar(&bar).await?;
                }
                last_open = Some(bar.open_time);
            }
            let mut feed = BarFeed::open(&options.exchange, &config, symbol, interval).await?;
            if let Some(open) = last_open {
                feed.taken_up_to(open);
            }
            LiveFeed::Bars(feed)
        } else {
            LiveFeed::Book(Box::new(BinanceBookFeed::open(BinanceAdapter::new(&config, None)?, symbol).await?))
        };
        session.drive(&mut feed, &mut recording, options.limits, &mut status, true, shutdown).await
    })
    .await;
    if let Err(failure) = &traded {
        tracing::error!(%failure, "the live session failed: kill switch");
    }
    let canceled = session.engine.kill_switch(options.keep_orders).await;
    let reported = async {
        session.commit().await?;
        let (result, start) = session.finish().await?;
        if bars {
            write_bar_report(&scenario.replaying(&dir), &report_dir, scenario.content_hash()?, result, interval)
        } else {
            write_book_report(scenario, &report_dir, scenario.content_hash()?, result, start)
        }
    }
    .await;
    match traded {
        Ok((live, stop)) => {
            let (canceled, report) = (canceled?, reported?);
            Ok(LiveOutcome { report, live, stop, canceled, differences, production })
        }
        Err(failure) => {
            Err(failure.with_note(kill_switch_note(&canceled, report_note(&reported), options.keep_orders)))
        }
    }
}

/// What a new live session trades with: the venue's free balance of the quote asset (`held`), or the scenario's
/// starting cash when that is smaller; and, when the account holds less than the scenario asks for, that difference
/// in words.
///
/// # Errors
/// [`Error::Config`] when the account holds none of the quote asset free.
fn allocation(
    exchange: &str,
    setup: &crate::engine::BacktestSetup,
    held: &BTreeMap<String, Decimal>,
) -> Result<(Decimal, Option<String>)> {
    let (quote, wanted) = (&setup.quote, setup.starting_cash);
    let free = held.get(quote).copied().unwrap_or_default();
    if free <= Decimal::ZERO {
        return Err(Error::Config(format!(
            "live: the {exchange} account holds no {quote} free: the session would have nothing to trade with"
        )));
    }
    if free >= wanted {
        tracing::info!(%quote, %wanted, %free, "the session trades its starting cash of what the venue holds free");
        return Ok((wanted, None));
    }
    let (free_text, wanted_text) = (free.normalize(), wanted.normalize());
    let difference = format!(
        "{quote}: the venue holds {free_text} free, less than the scenario's starting cash {wanted_text}: the session starts from {free_text}"
    );
    Ok((free, Some(difference)))
}

/// The session's ledger (and its one venue's balance, which must agree) starts from `cash`.
fn start_from(setup: &mut crate::engine::BacktestSetup, cash: Decimal) {
    setup.starting_cash = cash;
    for venue in &mut setup.venues {
        venue.balance = cash;
    }
}

/// A failure before the session traded: the kill switch runs (it cancels what a resumed session left resting, unless
/// `keep_orders`), and the failure is returned saying what it did.
async fn stop_before_trading(engine: &mut TradingEngine, failure: Error, keep_orders: bool) -> Error {
    tracing::error!(%failure, "the live session failed before trading: kill switch");
    let canceled = engine.kill_switch(keep_orders).await;
    let report = "no report: the session stopped before trading".to_string();
    failure.with_note(kill_switch_note(&canceled, report, keep_orders))
}

/// What the kill switch did after a failure — with the open orders (`canceled`), and `report` in words — for the
/// error's message.
fn kill_switch_note(canceled: &Result<usize>, report: String, keep_orders: bool) -> String {
    let orders = match canceled {
        Ok(_) if keep_orders => "open orders kept (--keep-orders)".to_string(),
        Ok(count) => format!("{count} open order(s) canceled"),
        Err(error) => format!("canceling the open orders failed: {error}"),
    };
    format!("kill switch: {orders}; {report}")
}

/// What a restore found: the orders that were working (with their journaled status) and the venue balances the
/// journal last recorded.
type Restored = (Vec<(OrderId, OrderStatus)>, BTreeMap<String, Decimal>);

/// Rebuilds `engine` from `journal` (orders, fills, marks, risk decisions); returns the orders that were working
/// and the venue balances the journal last recorded.
fn restore(engine: &mut TradingEngine, journal: &Mutex<Journal>) -> Result<Restored> {
    let mut journal = journal.lock().map_err(|_| Error::Journal("the journal lock was poisoned".into()))?;
    let orders = journal.orders()?;
    let fills = journal.fills()?.into_iter().map(|(_, fill)| fill).collect();
    let open = orders
        .iter()
        .filter(|o| !o.report.status.is_final())
        .map(|o| (o.report.request.client_order_id, o.report.status))
        .collect();
    let balances = journal.state()?.map(|s| s.balances).unwrap_or_default();
    let count = orders.len();
    engine.restore(orders, fills, journal.equity()?, journal.risk_events()?)?;
    tracing::info!(orders = count, fills = engine.run_log().fills.len(), "live session restored from its journal");
    Ok((open, balances))
}

/// How the venue's published rules for an instrument differ from the scenario's, if they do.
fn rule_difference(scenario: &Instrument, venue: &Instrument) -> Option<String> {
    let same = (scenario.tick_size, scenario.lot_size, scenario.min_notional)
        == (venue.tick_size, venue.lot_size, venue.min_notional);
    (!same).then(|| {
        format!(
            "{}: the venue trades at tick {}, lot {}, minimum notional {} (the scenario says {}, {}, {}): the venue's rules apply",
            venue.symbol,
            venue.tick_size.normalize(),
            venue.lot_size.normalize(),
            venue.min_notional.normalize(),
            scenario.tick_size.normalize(),
            scenario.lot_size.normalize(),
            scenario.min_notional.normalize()
        )
    })
}

/// The venue's balances `held` against `expected` (`whose` they are, in words): one line per asset that differs.
fn balance_differences(
    held: &BTreeMap<String, Decimal>,
    expected: &BTreeMap<String, Decimal>,
    whose: &str,
) -> Vec<String> {
    let assets: std::collections::BTreeSet<&String> = held.keys().chain(expected.keys()).collect();
    assets
        .into_iter()
        .filter_map(|asset| {
            let (venue, ours) = (held.get(asset).copied().unwrap_or_default(), expected.get(asset).copied());
            let ours_text = ours.map_or("nothing (not traded)".to_string(), |v| v.normalize().to_string());
            (Some(venue) != ours)
                .then(|| format!("{asset}: the venue holds {} free, {whose} {ours_text}", venue.normalize()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::venue::VenueConfig;

    #[test]
    fn live_at_kraken_needs_the_file_to_say_production() {
        let dir = Path::new("config");
        let plain = VenueConfig::default();
        let refused = production_gate("kraken", &plain, dir).unwrap_err().to_string();
        assert!(refused.contains("kraken has no test environment, so every order is real"), "{refused}");
        assert!(refused.contains("`production: true` under exchanges.kraken in config/exchanges.yaml"), "{refused}");
        let confirmed = VenueConfig { production: Some(true), ..VenueConfig::default() };
        assert!(production_gate("kraken", &confirmed, dir).is_ok());
        assert!(production_gate("binance", &plain, dir).is_ok(), "Binance's testnet is the default");
    }
}
