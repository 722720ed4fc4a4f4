//! The replay loop allocates nothing per bar: a backtest of twice as many bars makes exactly as many heap
//! allocations as one of half as many, for `sma_cross` and for a rule strategy that updates every indicator kind
//! of the library on every bar. Neither trades (a steadily rising series: `sma_cross` starts above and never
//! crosses; the rules' entry needs a negative close), so what is counted is the loop itself — strategy, risk
//! marks, venue matching, ledger, equity curve — not the order log. A per-bar allocation would add thousands.
//!
//! One test in this file: the counting allocator is process-wide.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rust_decimal::Decimal;

use cryptotradebot::engine::{BacktestSetup, VenueSetup, prepare_market, run_prepared_blocking};
use cryptotradebot::model::{BarSeries, Instrument, Symbol, Timestamp};
use cryptotradebot::risk::{RiskLimits, RiskPolicy};
use cryptotradebot::strategy::StrategyRegistry;
use cryptotradebot::venue::sim::SimConfig;

/// The system allocator, counting allocations (and reallocations, which may move).
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator, whose contract the caller meets.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` through `alloc` or `realloc` above, with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as `dealloc`; the system allocator takes the same arguments.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// `count` 1-minute bars rising by 0.01 each: open 100 + 0.01 k, close 0.01 above it.
fn rising(symbol: Symbol, count: usize) -> BarSeries {
    let cent = Decimal::new(1, 2);
    let open: Vec<Decimal> = (0..count).map(|k| Decimal::ONE_HUNDRED + cent * Decimal::from(k)).collect();
    BarSeries {
        symbol,
        interval: 60_000_000_000,
        open_time: (0..count as i64).map(|k| Timestamp(1_700_000_000_000_000_000 + k * 60_000_000_000)).collect(),
        high: open.iter().map(|o| o + cent + cent).collect(),
        low: open.iter().map(|o| o - cent).collect(),
        close: open.iter().map(|o| o + cent).collect(),
        volume: vec![Decimal::ONE; count],
        open,
    }
}

/// Every indicator kind of the rule strategies, with the field a condition reads.
const INDICATORS: [(&str, &str); 33] = [
    ("sma", ""),
    ("ema", ""),
    ("wma", ""),
    ("dema", ""),
    ("tema", ""),
    ("hma", ""),
    ("kama", ""),
    ("rsi", ""),
    ("roc", ""),
    ("momentum", ""),
    ("stddev", ""),
    ("zscore", ""),
    ("linreg_slope", ""),
    ("ppo", ""),
    ("macd", ".line"),
    ("bollinger", ".upper"),
    ("stoch_rsi", ".k"),
    ("highest", ""),
    ("lowest", ""),
    ("donchian", ".upper"),
    ("atr", ""),
    ("natr", ""),
    ("true_range", ""),
    ("cci", ""),
    ("williams_r", ""),
    ("adx", ".adx"),
    ("stochastic", ".k"),
    ("keltner", ".upper"),
    ("aroon", ".up"),
    ("mfi", ""),
    ("obv", ""),
    ("vwap", ""),
    ("session_vwap", ""),
];

/// Kinds that take a `period` with no default.
const NEED_PERIOD: [&str; 14] = [
    "sma",
    "ema",
    "wma",
    "dema",
    "tema",
    "hma",
    "kama",
    "roc",
    "momentum",
    "stddev",
    "zscore",
    "linreg_slope",
    "highest",
    "lowest",
];

/// The rule strategy's parameters: every indicator, and an entry that reads them all but needs a negative close.
fn every_indicator() -> serde_json::Value {
    let mut indicators = serde_json::Map::new();
    for (kind, _) in INDICATORS {
        let mut spec = serde_json::json!({ "kind": kind });
        if NEED_PERIOD.contains(&kind) || kind == "donchian" || kind == "vwap" {
            spec["period"] = serde_json::json!(10);
        }
        indicators.insert(kind.to_string(), spec);
    }
    let sum: Vec<String> = INDICATORS.iter().map(|(kind, field)| format!("{kind}{field}")).collect();
    serde_json::json!({
        "indicators": indicators,
        "entry": format!("close < 0 and {} > 0", sum.join(" + ")),
        "exit": "close < 0",
    })
}

/// The heap allocations of one backtest of `setup` over `bars` rising bars (market data prepared beforehand).
fn allocations(setup: &BacktestSetup, bars: usize) -> u64 {
    let symbol = setup.venues[0].instruments[0].symbol;
    let market = Arc::new(prepare_market(setup, vec![rising(symbol, bars)]).unwrap());
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let result = run_prepared_blocking(setup, market).unwrap();
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    assert_eq!(result.log.fills.len(), 0, "the series is meant not to trade");
    assert_eq!(result.log.equity.len(), bars);
    after - before
}

#[test]
fn doubling_the_bars_adds_no_allocation_per_bar_for_sma_cross_or_a_rule_strategy_of_every_indicator() {
    let symbol = Symbol::new("SYNUSDT").unwrap();
    let instrument = Instrument {
        symbol,
        base: "SYN".into(),
        quote: "USDT".into(),
        tick_size: Decimal::new(1, 2),
        lot_size: Decimal::new(1, 8),
        min_notional: Decimal::from(5),
        min_quantity: None,
        max_quantity: None,
    };
    let sma_cross = BacktestSetup {
        venues: vec![VenueSetup::new("sim", SimConfig::default(), vec![instrument], Decimal::from(10_000))],
        quote: "USDT".into(),
        starting_cash: Decimal::from(10_000),
        risk: RiskLimits::default(),
        policy: RiskPolicy::default(),
        strategy: "sma_cross".into(),
        params: serde_json::json!({ "fast": 10, "slow": 30 }),
        strategies: StrategyRegistry::builtin(),
    };
    let rules = BacktestSetup { strategy: "rules".into(), params: every_indicator(), ..sma_cross.clone() };
    for (name, setup) in [("sma_cross", &sma_cross), ("rules", &rules)] {
        // Warm once (lazily initialised statics), then compare 4,000 bars with 8,000.
        allocations(setup, 100);
        let (half, full) = (allocations(setup, 4_000), allocations(setup, 8_000));
        assert_eq!(full, half, "{name}: {half} allocations over 4,000 bars, {full} over 8,000");
    }
}
