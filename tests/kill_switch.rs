//! Every way out of a live session goes through the kill switch: here, a strategy that panics while its quote
//! rests at a loopback Binance. The session must cancel the quote at the venue, journal it, write its report and
//! end with an error that says what happened — never leave the order working behind a dead process.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::mock_binance::{KEY, SECRET};
use common::mock_live_binance::{LiveBinance, config_for, serve_live};
use cryptotradebot::Error;
use cryptotradebot::config::Scenario;
use cryptotradebot::model::Side;
use cryptotradebot::model::l2::from_fixed;
use cryptotradebot::session::{Journal, Limits, LiveOptions, run_live};
use cryptotradebot::strategy::{Command, Context, OrderIntent, Strategy, StrategyRegistry, StreamInfo};
use cryptotradebot::validation::{Check, ValidationRecord};
use rust_decimal::dec;

/// Rests a limit buy at 90 % of the best bid and, once the venue acknowledged it, a second at 80 %; with
/// `panic_after`, panics on that many messages after the first one was acknowledged instead.
struct Quotes {
    placed: usize,
    seen_working: u32,
    panic_after: Option<u32>,
}

impl Strategy for Quotes {
    fn name(&self) -> &str {
        "quotes"
    }
    fn on_start(&mut self, _streams: &[StreamInfo]) -> cryptotradebot::Result<()> {
        Ok(())
    }
    fn on_event(&mut self, ctx: &Context<'_>, commands: &mut Vec<Command>) {
        let Some(view) = ctx.book() else { return };
        let Some((bid, _)) = view.best_bid else { return };
        if self.placed > 0 && ctx.open_orders.len() < self.placed {
            return; // the last quote is not acknowledged yet
        }
        if self.placed > 0 {
            self.seen_working += 1;
            assert!(self.panic_after.is_none_or(|after| self.seen_working < after), "boom: a bug in the strategy");
        }
        if self.placed < 2 && self.panic_after.is_none_or(|_| self.placed == 0) {
            let share = if self.placed == 0 { dec!(0.9) } else { dec!(0.8) };
            let price = (from_fixed(bid) * share).round_dp(2);
            commands.push(Command::Submit(OrderIntent::limit(ctx.venue, ctx.symbol, Side::Buy, dec!(0.001), price)));
            self.placed += 1;
        }
    }
}

/// The market-maker scenario trading `quotes` (panicking after `panic_after` messages, when given), loaded with a
/// registry that has it, and validated.
fn scenario(dir: &Path, panic_after: Option<u32>) -> Scenario {
    let capture = common::repo("data/binance/l2/BTCUSDT-depth-trades-2024-08-08.gz");
    let text = std::fs::read_to_string(common::repo("scenarios/btc_l2_market_maker.yaml"))
        .unwrap()
        .replace("../data/binance/l2/BTCUSDT-depth-trades-2024-08-08.gz", capture.to_str().unwrap())
        .replace("kind: spread_quoter", "kind: quotes")
        .replace("params: { quantity: 0.001, max_position: 0.005, stale_ticks: 2 }", "params: {}");
    let path = common::write(dir, "panics.yaml", &text);
    let mut registry = StrategyRegistry::builtin();
    registry.register("quotes", move |_| Ok(Box::new(Quotes { placed: 0, seen_working: 0, panic_after }))).unwrap();
    let scenario = Scenario::load_with(&path, &registry).unwrap();
    let hash = format!("sha256:{}", scenario.content_hash().unwrap());
    // The gate before live wants a passing validation of this very scenario: one check, recorded as passed.
    let check = Check { name: "min_fills".into(), threshold: "0".into(), value: "0".into(), passed: true };
    ValidationRecord::new(&scenario.name, &hash, vec![check]).write(&dir.join("reports").join(&scenario.name)).unwrap();
    scenario
}

/// Runs session `k1` of `scenario` at `venue` until it ends.
async fn live(dir: &Path, scenario: Scenario) -> cryptotradebot::Result<cryptotradebot::session::LiveOutcome> {
    live_with(dir, scenario, |_| {}).await
}

/// [`live`], with its options changed by `change`.
async fn live_with(
    dir: &Path,
    scenario: Scenario,
    change: impl FnOnce(&mut LiveOptions),
) -> cryptotradebot::Result<cryptotradebot::session::LiveOutcome> {
    let mut options = LiveOptions {
        scenario,
        exchange: "binance".into(),
        config_dir: dir.join("config"),
        session: "k1".into(),
        recordings: dir.join("recordings"),
        reports: dir.join("reports"),
        limits: Limits { max_messages: Some(5_000), ..Limits::default() },
        confirmed: true,
        keep_orders: false,
        resume: false,
        database_url: None,
    };
    change(&mut options);
    let lookup = |name: &str| match name {
        "BINANCE_API_KEY" => Some(KEY.to_string()),
        "BINANCE_API_SECRET" => Some(SECRET.to_string()),
        _ => None,
    };
    run_live(options, lookup, std::future::pending()).await
}

/// The statuses of the session's orders in its journal, and the rows of its report's `orders.csv`.
fn journal_and_report(dir: &Path) -> (Vec<String>, Vec<String>) {
    let mut journal = Journal::open_sqlite(&dir.join("reports/k1/journal.sqlite"), "k1").unwrap();
    let statuses = journal.orders().unwrap().iter().map(|o| o.report.status.as_str().to_string()).collect();
    let report = std::fs::read_to_string(dir.join("reports/k1/orders.csv")).unwrap();
    (statuses, report.lines().skip(1).map(str::to_string).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strategy_that_panics_while_its_order_rests_ends_the_session_through_the_kill_switch() {
    let dir = tempfile::tempdir().unwrap();
    let venue = serve_live(200).await;
    config_for(&dir.path().join("config"), &venue);
    let outcome = live(dir.path(), scenario(dir.path(), Some(5))).await;

    // The session failed, and says what the kill switch did.
    let Err(Error::Strategy(message)) = &outcome else { panic!("not a strategy error: {:?}", outcome.err()) };
    assert!(message.contains("a panic stopped the session: boom: a bug in the strategy"), "{message}");
    assert!(message.ends_with("(kill switch: 1 open order(s) canceled; journal and report written)"), "{message}");

    // The quote was placed once and canceled once at the venue: nothing of the session rests there.
    let requests = Arc::clone(&venue.requests);
    let seen = |what: &str| requests.lock().unwrap().iter().filter(|r| r.starts_with(what)).count();
    assert_eq!((seen("POST /api/v3/order"), seen("DELETE /api/v3/order")), (1, 1), "{:?}", requests.lock().unwrap());

    // The journal holds the order canceled, and the report says so too.
    let (statuses, rows) = journal_and_report(dir.path());
    assert_eq!(statuses, ["CANCELED"]);
    assert!(rows.len() == 1 && rows[0].contains("CANCELED"), "{rows:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_venue_failing_an_order_ends_the_session_through_the_kill_switch_with_the_first_quote_canceled() {
    let dir = tempfile::tempdir().unwrap();
    let venue = serve_live(200).await;
    // The second order POST meets Binance's 503 -1007 "execution status unknown"; the order was not placed.
    venue.fail_posts_from.store(2, std::sync::atomic::Ordering::SeqCst);
    config_for(&dir.path().join("config"), &venue);
    let outcome = live(dir.path(), scenario(dir.path(), None)).await;

    // Looked up by its client id five times over 7.5 s (a venue may list such an order late), the second order is
    // not at the venue: an exchange error stops the session.
    let Err(Error::Exchange(message)) = &outcome else { panic!("not an exchange error: {:?}", outcome.err()) };
    assert!(message.contains("is not at the venue after 5 lookups over 7.5 s: it was not placed"), "{message}");
    assert!(message.contains("kill switch: 1 open order(s) canceled; journal and report written"), "{message}");

    let requests = venue.requests.lock().unwrap().clone();
    let seen = |what: &str| requests.iter().filter(|r| r.starts_with(what)).count();
    assert_eq!(seen("POST /api/v3/order"), 2, "{requests:?}");
    // The unanswered order is looked up five times when its POST fails, and again when its cancel is refused.
    assert_eq!(seen("GET /api/v3/order?"), 6, "{requests:?}");
    // The kill switch cancels the resting quote, and tries the unanswered one too (the venue does not know it).
    let deletes: Vec<_> = requests.iter().filter(|r| r.starts_with("DELETE /api/v3/order")).collect();
    assert_eq!(deletes.len(), 2, "{requests:?}");
    assert!(deletes[0].contains("origClientOrderId=ctb-") && deletes[0].contains("-1&"), "{deletes:?}");
    let (statuses, rows) = journal_and_report(dir.path());
    assert_eq!(statuses, ["CANCELED", "REJECTED"], "{rows:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_switch_held_back_by_a_rate_limit_waits_it_out_and_still_cancels_the_quote() {
    let dir = tempfile::tempdir().unwrap();
    let venue = serve_live(200).await;
    // The kill switch's first cancel meets Binance's 429 with Retry-After: 1.
    venue.limit_deletes.store(1, std::sync::atomic::Ordering::SeqCst);
    config_for(&dir.path().join("config"), &venue);
    let outcome = live(dir.path(), scenario(dir.path(), Some(5))).await;

    let Err(Error::Strategy(message)) = &outcome else { panic!("not a strategy error: {:?}", outcome.err()) };
    assert!(message.ends_with("(kill switch: 1 open order(s) canceled; journal and report written)"), "{message}");
    let requests = venue.requests.lock().unwrap().clone();
    let deletes: Vec<_> = requests.iter().filter(|r| r.starts_with("DELETE /api/v3/order")).collect();
    assert_eq!(deletes.len(), 2, "refused once with 429, then canceled: {deletes:?}");
    assert!(deletes[0].ends_with("(429)") && !deletes[1].ends_with("(429)"), "{deletes:?}");
    let (statuses, _) = journal_and_report(dir.path());
    assert_eq!(statuses, ["CANCELED"]);
}

/// A first run of session `k1` that leaves its two quotes resting at `venue` (--keep-orders) when its message
/// budget runs out.
async fn leave_two_quotes_resting(dir: &Path, venue: &LiveBinance) {
    config_for(&dir.join("config"), venue);
    let first = live_with(dir, scenario(dir, None), |o| {
        o.keep_orders = true;
        o.limits.max_messages = Some(400);
    })
    .await
    .unwrap();
    assert_eq!(first.canceled, 0);
    let requests = venue.requests.lock().unwrap().clone();
    assert_eq!(requests.iter().filter(|r| r.starts_with("POST /api/v3/order")).count(), 2, "{requests:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_session_that_cannot_reconcile_cancels_the_orders_it_left_resting() {
    let dir = tempfile::tempdir().unwrap();
    let venue = serve_live(200).await;
    leave_two_quotes_resting(dir.path(), &venue).await;
    let requests = || venue.requests.lock().unwrap().clone();

    // Resumed while the venue cannot answer order status requests: the session cannot reconcile, and its kill
    // switch cancels both quotes before the error.
    venue.fail_order_gets.store(true, std::sync::atomic::Ordering::SeqCst);
    let outcome = live_with(dir.path(), scenario(dir.path(), None), |o| o.resume = true).await;
    let Err(Error::Exchange(message)) = &outcome else { panic!("not an exchange error: {:?}", outcome.err()) };
    assert!(
        message.ends_with("(kill switch: 2 open order(s) canceled; no report: the session stopped before trading)"),
        "{message}"
    );
    let deletes = requests().into_iter().filter(|r| r.starts_with("DELETE /api/v3/order")).count();
    assert_eq!(deletes, 2, "{:?}", requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_session_that_cannot_open_its_recording_cancels_the_orders_it_left_resting() {
    let dir = tempfile::tempdir().unwrap();
    let venue = serve_live(200).await;
    leave_two_quotes_resting(dir.path(), &venue).await;

    // The recording the resumed session appends to cannot be opened (a folder stands where the file was): the session
    // fails after reconciling and before trading, and its kill switch still cancels both quotes.
    let recordings = dir.path().join("recordings/k1");
    for entry in std::fs::read_dir(&recordings).unwrap() {
        let path = entry.unwrap().path();
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
    }
    let outcome = live_with(dir.path(), scenario(dir.path(), None), |o| o.resume = true).await;
    let Err(failure) = &outcome else { panic!("the resumed session ran") };
    let message = failure.to_string();
    assert!(message.contains("recordings/k1/BTCUSDT.txt"), "{message}");
    assert!(
        message.contains("(kill switch: 2 open order(s) canceled; no report: the session stopped before trading)"),
        "{message}"
    );
    let requests = venue.requests.lock().unwrap().clone();
    assert_eq!(requests.iter().filter(|r| r.starts_with("DELETE /api/v3/order")).count(), 2, "{requests:?}");
}
