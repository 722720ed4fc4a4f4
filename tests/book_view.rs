//! A strategy on level-2 data sees the book to any depth, not just its top: a probe strategy registered in its own
//! registry records, at each message of the recorded BTCUSDT capture, the best five levels of each side and the
//! size of the book; at the end they must equal the book the capture rebuilds by Binance's sync rules on its own.

mod common;

use std::sync::{Arc, Mutex};

use cryptotradebot::config::Scenario;
use cryptotradebot::data::load_binance_capture;
use cryptotradebot::market::{BinanceBookSync, BookSide};
use cryptotradebot::model::Symbol;
use cryptotradebot::runner::run_scenario;
use cryptotradebot::strategy::{Command, Context, Strategy, StrategyRegistry, StreamInfo};

/// What the probe saw at the last message: the best five bids and asks, and the number of levels of each side.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Seen {
    bids: Vec<(i64, i64)>,
    asks: Vec<(i64, i64)>,
    depth: (usize, usize),
    tops_agree: bool,
}

struct Probe(Arc<Mutex<Seen>>);

impl Strategy for Probe {
    fn name(&self) -> &str {
        "depth_probe"
    }
    fn on_start(&mut self, _streams: &[StreamInfo]) -> cryptotradebot::Result<()> {
        Ok(())
    }
    fn on_event(&mut self, ctx: &Context<'_>, _commands: &mut Vec<Command>) {
        let Some(view) = ctx.book() else { return };
        let mut seen = self.0.lock().unwrap();
        seen.bids = view.levels(BookSide::Bid, 5).collect();
        seen.asks = view.levels(BookSide::Ask, 5).collect();
        seen.depth = view.book.map(|book| book.len()).unwrap_or_default();
        seen.tops_agree = seen.bids.first().copied() == view.best_bid && seen.asks.first().copied() == view.best_ask;
    }
}

#[test]
fn a_book_strategy_sees_the_simulated_venues_book_to_any_depth_as_the_capture_rebuilds_it() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut registry = StrategyRegistry::builtin();
    let shared = Arc::clone(&seen);
    registry.register("depth_probe", move |_| Ok(Box::new(Probe(Arc::clone(&shared))))).unwrap();
    let capture = common::repo("data/binance/l2/BTCUSDT-depth-trades-2024-08-08.gz");
    let text = std::fs::read_to_string(common::repo("scenarios/btc_l2_market_maker.yaml"))
        .unwrap()
        .replace("../data/binance/l2/BTCUSDT-depth-trades-2024-08-08.gz", capture.to_str().unwrap())
        .replace("kind: spread_quoter", "kind: depth_probe")
        .replace("params: { quantity: 0.001, max_position: 0.005, stale_ticks: 2 }", "params: {}");
    let dir = tempfile::tempdir().unwrap();
    let path = common::write(dir.path(), "probe.yaml", &text);
    let scenario = Scenario::load_with(&path, &registry).unwrap();
    run_scenario(&scenario, &dir.path().join("report")).unwrap();

    // The book of the whole capture, rebuilt without the engine or the venue.
    let rows = load_binance_capture(&capture, Symbol::new("BTCUSDT").unwrap()).unwrap();
    let mut sync = BinanceBookSync::new();
    sync.replay(&rows).unwrap();
    let book = sync.book();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.bids, book.levels(BookSide::Bid).take(5).collect::<Vec<_>>());
    assert_eq!(seen.asks, book.levels(BookSide::Ask).take(5).collect::<Vec<_>>());
    // 61,602.01 by 61,602.02 at the end (tests/l2_book.rs), and the whole book: 1,971 bid and 2,962 ask levels.
    assert_eq!((seen.bids[0].0, seen.asks[0].0), (6_160_201_000_000, 6_160_202_000_000));
    assert_eq!(seen.depth, (1971, 2962));
    assert!(seen.tops_agree, "the first level of each side is the view's best price");
    assert!(seen.bids.windows(2).all(|w| w[0].0 > w[1].0) && seen.asks.windows(2).all(|w| w[0].0 < w[1].0));
}
