//! Bars and level-2 books are sources of one stream: a scenario may replay ETHUSDT five-second bars beside the
//! recorded BTCUSDT book of the same eleven minutes, and a strategy sees both in one time order. The probe below
//! trades ETH on its bars when BTC's book leans (a lead-lag idea); the order it saw the events in must be the merge
//! of the two files worked out here on their own, and its ETH orders fill at the next ETH bar's open as in any bar
//! backtest.

mod common;

use std::sync::{Arc, Mutex};

use cryptotradebot::config::Scenario;
use cryptotradebot::data::load_binance_capture;
use cryptotradebot::market::BookSide;
use cryptotradebot::model::{OrderQty, Side, Symbol};
use cryptotradebot::runner::run_scenario;
use cryptotradebot::strategy::{
    Command, Context, Event, OrderIntent, Strategy, StrategyRegistry, StreamInfo, StreamKind,
};
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

const BTC_BOOK: &str = "data/binance/l2/BTCUSDT-depth-trades-2024-08-08.gz";
const ETH_BARS: &str = "data/binance/ETHUSDT-5s-2024-08-08.csv";

/// What the probe saw: its streams, every event as (stream, time in ns), and the closes it decided on.
#[derive(Clone, Debug, Default)]
struct Seen {
    streams: Vec<(String, StreamKind)>,
    events: Vec<(usize, i64)>,
    /// (close time of the ETH bar it ordered on, side).
    orders: Vec<(i64, Side)>,
}

/// Buys 0.1 ETH at an ETH close while BTC's best five bid levels hold at least twice the quantity of its best five
/// ask levels; sells it when the asks hold twice the bids.
struct LeadLag {
    seen: Arc<Mutex<Seen>>,
    /// The latest BTC book imbalance (bids − asks) / (bids + asks) over five levels.
    lean: f64,
}

impl Strategy for LeadLag {
    fn name(&self) -> &str {
        "lead_lag"
    }
    fn on_start(&mut self, streams: &[StreamInfo]) -> cryptotradebot::Result<()> {
        self.seen.lock().unwrap().streams = streams.iter().map(|s| (s.symbol.to_string(), s.kind)).collect();
        Ok(())
    }
    fn on_event(&mut self, ctx: &Context<'_>, commands: &mut Vec<Command>) {
        let mut seen = self.seen.lock().unwrap();
        seen.events.push((ctx.stream, ctx.time.0));
        match ctx.event {
            Event::Book(view) => {
                let depth = |side| view.levels(side, 5).map(|(_, quantity)| quantity as f64).sum::<f64>();
                let (bids, asks) = (depth(BookSide::Bid), depth(BookSide::Ask));
                if bids + asks > 0.0 {
                    self.lean = (bids - asks) / (bids + asks);
                }
            }
            Event::Bar(_) => {
                if !ctx.open_orders.is_empty() {
                    return;
                }
                let flat = ctx.position.is_zero();
                let side = if flat && self.lean >= 1.0 / 3.0 {
                    Side::Buy
                } else if !flat && self.lean <= -1.0 / 3.0 {
                    Side::Sell
                } else {
                    return;
                };
                let quantity = Decimal::from_f64(0.1).unwrap();
                commands.push(Command::Submit(OrderIntent::market(
                    ctx.venue,
                    ctx.symbol,
                    side,
                    OrderQty::Base(quantity),
                )));
                seen.orders.push((ctx.time.0, side));
            }
        }
    }
}

fn scenario_text() -> String {
    format!(
        "name: eth_bars_btc_book
seed: 11
data:
  - {{ path: {eth}, format: csv, symbol: ETHUSDT }}
  - {{ path: {btc}, format: binance_l2, symbol: BTCUSDT }}
strategy:
  kind: lead_lag
  params: {{}}
exchange:
  name: binance
  fee_bps: {{ maker: 1.2, taker: 2.4 }}
  fill_model: next_open
  instruments:
    BTCUSDT: {{ base: BTC, quote: USDT, tick_size: 0.01, lot_size: 0.00001, min_notional: 5 }}
    ETHUSDT: {{ base: ETH, quote: USDT, tick_size: 0.01, lot_size: 0.0001, min_notional: 5 }}
portfolio:
  quote: USDT
  starting_cash: 10000
risk:
  max_position_size_percent: 100
  max_daily_loss_percent: 100
  max_drawdown_percent: 100
  max_consecutive_losses: 1000
",
        eth = common::repo(ETH_BARS).display(),
        btc = common::repo(BTC_BOOK).display(),
    )
}

fn registry(seen: &Arc<Mutex<Seen>>) -> StrategyRegistry {
    let mut registry = StrategyRegistry::builtin();
    let shared = Arc::clone(seen);
    registry.register("lead_lag", move |_| Ok(Box::new(LeadLag { seen: Arc::clone(&shared), lean: 0.0 }))).unwrap();
    registry
}

/// The ETH bars of the CSV as (open time ms, open), read by hand.
fn eth_bars() -> Vec<(i64, Decimal)> {
    let text = std::fs::read_to_string(common::repo(ETH_BARS)).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            (fields[0].parse().unwrap(), fields[1].parse().unwrap())
        })
        .collect()
}

#[test]
fn a_strategy_sees_bars_and_book_messages_of_two_symbols_in_one_time_order_and_its_bar_orders_fill_at_the_next_open() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let dir = tempfile::tempdir().unwrap();
    let path = common::write(dir.path(), "mixed.yaml", &scenario_text());
    let scenario = Scenario::load_with(&path, &registry(&seen)).unwrap();
    let run = run_scenario(&scenario, &dir.path().join("report")).unwrap();
    let seen = seen.lock().unwrap().clone();

    // The bar series come first in the strategy's streams, the level-2 streams after them.
    assert_eq!(seen.streams, [("ETHUSDT".to_string(), StreamKind::Bars), ("BTCUSDT".to_string(), StreamKind::Book)]);

    // The merge worked out here: each ETH bar at its close (open + 5 s), each BTC message at its first row's
    // receive time; by time, and at one time the bars first.
    let bars = eth_bars();
    let rows = load_binance_capture(&common::repo(BTC_BOOK), Symbol::new("BTCUSDT").unwrap()).unwrap();
    let mut expected: Vec<(i64, usize)> = bars.iter().map(|(open, _)| ((open + 5_000) * 1_000_000, 0)).collect();
    let mut message_start = true;
    for row in &rows {
        if message_start {
            expected.push((row.received.0, 1));
        }
        message_start = row.ends_message;
    }
    assert_eq!(expected.len() - bars.len(), 26_400, "the capture's messages (README: 26,400 in 320,024 rows)");
    expected.sort(); // (time, stream): stable on both keys
    let expected: Vec<(usize, i64)> = expected.into_iter().map(|(time, stream)| (stream, time)).collect();
    assert_eq!(seen.events.len(), expected.len());
    assert_eq!(seen.events, expected, "one stream, in time order, bars before book messages at one time");

    // It traded ETH only, each order filling at the open of the first ETH bar after the close it was decided at
    // (an order decided at the last close has no bar left to fill in).
    let next_open = |decided_at: i64| bars.iter().find(|(open, _)| open * 1_000_000 >= decided_at).map(|b| b.1);
    let fillable: Vec<_> = seen.orders.iter().filter(|(at, _)| next_open(*at).is_some()).collect();
    assert!(fillable.len() >= 4, "the book leant both ways in eleven minutes: {:?}", seen.orders);
    let fills = common::csv_rows(&dir.path().join("report/fills.csv"));
    let eth_fills: Vec<_> = fills.iter().filter(|f| f["symbol"] == "ETHUSDT").collect();
    assert_eq!(fills.len(), eth_fills.len(), "no BTC order: the book only informs");
    assert_eq!(eth_fills.len(), fillable.len(), "each market order filled whole at the next open");
    for (fill, (decided_at, side)) in eth_fills.iter().zip(fillable) {
        assert_eq!(fill["price"].parse::<Decimal>().ok(), next_open(*decided_at), "decided at {decided_at}");
        assert_eq!(fill["side"], side.as_str());
    }
    assert_eq!(run.summary.orders.filled, eth_fills.len());

    // The report's book section is the book's: its messages, and no fee of the ETH fills (no BTC was traded).
    let book = run.summary.book.as_ref().expect("a book section");
    assert_eq!((book.messages, book.taker_fees, book.pnl), (26_400, Decimal::ZERO, Decimal::ZERO));
    // The equity is marked at the 129 closes and once a second on the book: the ratios are annualized by the
    // marks' mean spacing, not by the 5 s of a bar.
    let equity = common::csv_rows(&dir.path().join("report/equity.csv"));
    assert!(equity.len() > 129 + 600, "{} marks", equity.len());
    assert_ne!(run.summary.period.interval, "5s");
}

/// Every 3,000th BTC book message, buys 0.1 ETH when flat and sells it when long: orders on the bar symbol decided
/// on the other symbol's book, in the middle of an ETH bar.
struct BookDriven {
    eth: Option<(cryptotradebot::model::VenueId, Symbol)>,
    messages: u32,
    decided: Arc<Mutex<Vec<i64>>>,
}

impl Strategy for BookDriven {
    fn name(&self) -> &str {
        "book_driven"
    }
    fn on_start(&mut self, streams: &[StreamInfo]) -> cryptotradebot::Result<()> {
        self.eth = streams.iter().find(|s| s.kind == StreamKind::Bars).map(|s| (s.venue, s.symbol));
        Ok(())
    }
    fn on_event(&mut self, ctx: &Context<'_>, commands: &mut Vec<Command>) {
        let (Event::Book(_), Some((venue, eth))) = (ctx.event, self.eth) else { return };
        self.messages += 1;
        if !self.messages.is_multiple_of(3_000) {
            return;
        }
        let held = ctx.account.position(eth);
        let side = if held.is_zero() { Side::Buy } else { Side::Sell };
        let quantity = if held.is_zero() { Decimal::from_f64(0.1).unwrap() } else { held };
        commands.push(Command::Submit(OrderIntent::market(venue, eth, side, OrderQty::Base(quantity))));
        self.decided.lock().unwrap().push(ctx.time.0);
    }
}

#[test]
fn an_order_on_a_bar_symbol_decided_on_a_book_message_fills_at_the_next_bars_open_never_at_an_earlier_price() {
    let dir = tempfile::tempdir().unwrap();
    let decided: Arc<Mutex<Vec<i64>>> = Arc::default();
    let mut registry = StrategyRegistry::builtin();
    let shared = Arc::clone(&decided);
    registry
        .register("book_driven", move |_| {
            Ok(Box::new(BookDriven { eth: None, messages: 0, decided: Arc::clone(&shared) }))
        })
        .unwrap();
    for fill_model in ["next_open", "close"] {
        decided.lock().unwrap().clear();
        let text = scenario_text()
            .replace("kind: lead_lag", "kind: book_driven")
            .replace("fill_model: next_open", &format!("fill_model: {fill_model}"));
        let path = common::write(dir.path(), "driven.yaml", &text);
        let scenario = Scenario::load_with(&path, &registry).unwrap();
        let out = dir.path().join(fill_model);
        run_scenario(&scenario, &out).unwrap();
        let decided = decided.lock().unwrap().clone();
        assert!(decided.len() >= 6, "{decided:?}");
        // The first ETH bar opening at or after the decision: its open is the fill, whatever the fill model (the
        // close of a bar still open when the order was sent is not a price the order could have had).
        let bars = eth_bars();
        let fills = common::csv_rows(&out.join("fills.csv"));
        let expected: Vec<(String, Decimal)> = decided
            .iter()
            .filter_map(|at| bars.iter().find(|(open, _)| open * 1_000_000 >= *at))
            .map(|(open, price)| {
                let time = chrono_free_time(*open);
                (time, *price)
            })
            .collect();
        let got: Vec<(String, Decimal)> =
            fills.iter().map(|f| (f["time"].clone(), f["price"].parse().unwrap())).collect();
        assert_eq!(got, expected, "{fill_model}");
    }
}

/// On every ETH bar until it holds BTC, sends a BTC limit buy of 0.001 at 70,000 (marketable: BTC trades near
/// 61,600): refused while the BTC book has not begun, taken on the book once it has.
struct EarlyBtc {
    btc: Option<(cryptotradebot::model::VenueId, Symbol)>,
}

impl Strategy for EarlyBtc {
    fn name(&self) -> &str {
        "early_btc"
    }
    fn on_start(&mut self, streams: &[StreamInfo]) -> cryptotradebot::Result<()> {
        self.btc = streams.iter().find(|s| s.kind == StreamKind::Book).map(|s| (s.venue, s.symbol));
        Ok(())
    }
    fn on_event(&mut self, ctx: &Context<'_>, commands: &mut Vec<Command>) {
        let (Event::Bar(_), Some((venue, btc))) = (ctx.event, self.btc) else { return };
        if ctx.account.position(btc).is_zero() {
            let (quantity, price) = (Decimal::new(1, 3), Decimal::from(70_000));
            commands.push(Command::Submit(OrderIntent::limit(venue, btc, Side::Buy, quantity, price)));
        }
    }
}

#[test]
fn an_order_on_a_book_symbol_before_its_book_begins_is_refused_and_none_rests_for_ever() {
    let dir = tempfile::tempdir().unwrap();
    // The ETH bars moved 30 s earlier: the first ones close before the BTC capture's first message.
    let text = std::fs::read_to_string(common::repo(ETH_BARS)).unwrap();
    let mut shifted = String::from("timestamp,open,high,low,close,volume\n");
    for line in text.lines().skip(1) {
        let (time, rest) = line.split_once(',').unwrap();
        shifted.push_str(&format!("{},{rest}\n", time.parse::<i64>().unwrap() - 30_000));
    }
    let eth = common::write(dir.path(), "eth.csv", &shifted);
    let yaml = scenario_text()
        .replace(common::repo(ETH_BARS).to_str().unwrap(), eth.to_str().unwrap())
        .replace("kind: lead_lag", "kind: early_btc");
    let path = common::write(dir.path(), "early.yaml", &yaml);
    let mut registry = StrategyRegistry::builtin();
    registry.register("early_btc", |_| Ok(Box::new(EarlyBtc { btc: None }))).unwrap();
    let scenario = Scenario::load_with(&path, &registry).unwrap();
    let run = run_scenario(&scenario, &dir.path().join("out")).unwrap();

    // The orders sent before the first BTC message were refused (never created); the first one after it took the
    // book at once, and the strategy, holding BTC, sent no other.
    let orders = common::csv_rows(&dir.path().join("out/orders.csv"));
    let statuses: Vec<(&str, &str)> = orders.iter().map(|o| (o["symbol"].as_str(), o["status"].as_str())).collect();
    assert_eq!(statuses, [("BTCUSDT", "FILLED")]);
    assert_eq!(run.summary.orders.open_at_end, 0, "none rests for ever");
    let fills = common::csv_rows(&dir.path().join("out/fills.csv"));
    assert!(fills.iter().any(|f| f["symbol"] == "BTCUSDT" && f["liquidity"] == "taker"), "taken on the book");
}

/// `open_ms` as the report writes times (RFC 3339, UTC, seconds).
fn chrono_free_time(open_ms: i64) -> String {
    cryptotradebot::model::Timestamp(open_ms * 1_000_000).to_string()
}

#[test]
fn a_mixed_scenario_replays_to_byte_identical_reports() {
    let dir = tempfile::tempdir().unwrap();
    let path = common::write(dir.path(), "mixed.yaml", &scenario_text());
    let mut outputs = Vec::new();
    for attempt in ["a", "b"] {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let scenario = Scenario::load_with(&path, &registry(&seen)).unwrap();
        run_scenario(&scenario, &dir.path().join(attempt)).unwrap();
        let read = |name: &str| std::fs::read(dir.path().join(attempt).join(name)).unwrap();
        outputs.push((read("fills.csv"), read("trades.csv"), read("equity.csv")));
    }
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn a_symbol_is_either_bars_or_a_book_and_sweeps_refuse_level_2_data() {
    let dir = tempfile::tempdir().unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let both = scenario_text().replace(
        "format: csv, symbol: ETHUSDT }",
        &format!(
            "format: csv, symbol: ETHUSDT }}\n  - {{ path: {}, format: csv, symbol: BTCUSDT }}",
            common::repo("data/binance/BTCUSDT-5s-2024-08-08.csv").display()
        ),
    );
    let path = common::write(dir.path(), "both.yaml", &both);
    let Err(error) = Scenario::load_with(&path, &registry(&seen)) else {
        panic!("a symbol with bars and a book loaded")
    };
    let error = error.to_string();
    assert!(error.contains("data[2]: BTCUSDT has a level-2 file"), "{error}");

    let swept = scenario_text() + "sweep:\n  params:\n    lean: 1..2 step 1\n  objective: sharpe\n";
    let path = common::write(dir.path(), "swept.yaml", &swept);
    let error = match Scenario::load_with(&path, &registry(&seen)) {
        Err(error) => error.to_string(),
        Ok(scenario) => match cryptotradebot::runner::plan_sweep(&scenario) {
            Err(error) => error.to_string(),
            Ok(_) => panic!("a sweep of level-2 data was planned"),
        },
    };
    assert!(error.contains("level-2"), "{error}");
}
