//! Cost of one pre-trade risk check with ten open positions (the target: under 1 µs per call).
//!
//! The book: eleven instruments, ten of them held at 2 % of a 100,000 USDT portfolio each (gross leverage 0.2).
//! Cases: an order that passes, one resized to the position limit (it writes the reason), a new position refused
//! by `max_open_positions`, the same passing order with the correlation rule on (window 100, all pairs correlated,
//! so every held symbol is compared), and the seed's async `validate_order` returning its tuple.
//!
//! Run: `cargo bench --bench risk`.

use criterion::{Criterion, criterion_group, criterion_main};
use rust_decimal::{Decimal, dec};
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use cryptotradebot::model::{OrderQty, Side, Symbol, Timestamp};
use cryptotradebot::risk::{CorrelationPolicy, RiskLimits, RiskManager, RiskPolicy};

const HELD: usize = 10;
const PORTFOLIO: Decimal = dec!(100000);

/// Eleven symbols: AAAUSDT … KKKUSDT.
fn symbols() -> Vec<Symbol> {
    (b'A'..=b'K').map(|c| Symbol::new(&format!("{0}{0}{0}USDT", c as char)).expect("valid symbol")).collect()
}

/// A risk manager holding 2,000 USDT (2 units at 1,000) in each of the first ten symbols.
fn manager(policy: RiskPolicy) -> RiskManager {
    let mut risk = RiskManager::new(RiskLimits::default()).with_policy(policy);
    risk.set_daily_start_value(PORTFOLIO);
    for (i, &symbol) in symbols().iter().enumerate() {
        risk.set_instrument(symbol, dec!(0.00001), dec!(5));
        risk.update_price(symbol, dec!(1000));
        if i < HELD {
            risk.update_position(symbol, dec!(2));
        }
    }
    // Closes for the correlation rule (ignored when it is off): one shared seeded walk plus a little noise per
    // symbol, so every pair correlates well above the threshold.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    };
    let mut market = 1000.0;
    for minute in 0..=100 {
        market *= 1.0 + next() * 0.01;
        for &symbol in &symbols() {
            risk.on_close(symbol, Timestamp(minute * 60_000_000_000), market * (1.0 + next() * 0.001));
        }
    }
    risk
}

/// Runs a future that completes without waiting (the risk manager's async methods never wait).
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the risk manager never waits"),
    }
}

fn check(c: &mut Criterion) {
    let symbols = symbols();
    let (held, new) = (symbols[3], symbols[HELD]);
    let plain = manager(RiskPolicy::default());
    let correlated = manager(RiskPolicy {
        correlation: Some(CorrelationPolicy { window: 100, threshold: 0.7 }),
        ..RiskPolicy::default()
    });
    let balance = dec!(50000);
    let order = |risk: &RiskManager, symbol, quantity| {
        risk.check_order(symbol, Side::Buy, OrderQty::Base(quantity), dec!(1000), PORTFOLIO, balance)
    };
    // What each case exercises, checked once so that the bench measures the path it names.
    assert!(order(&plain, held, dec!(1)).rule.is_none());
    assert_eq!(order(&plain, held, dec!(10)).adjusted, dec!(8), "10 % of 100,000 less the 2,000 held");
    assert!(!order(&plain, new, dec!(1)).accepted);
    let correlated_decision = order(&correlated, held, dec!(1));
    assert!(correlated_decision.accepted && correlated_decision.rule.is_none());
    let assessment = ready(correlated.assess_portfolio_risk(PORTFOLIO));
    assert_eq!(assessment.largest_correlated_group.len(), HELD, "every held pair correlates");

    let mut group = c.benchmark_group("risk_check_10_positions");
    group.bench_function("passes", |b| b.iter(|| order(&plain, black_box(held), black_box(dec!(1)))));
    group.bench_function("resized_to_position_limit", |b| {
        b.iter(|| order(&plain, black_box(held), black_box(dec!(10))))
    });
    group.bench_function("new_position_refused", |b| b.iter(|| order(&plain, black_box(new), black_box(dec!(1)))));
    group.bench_function("passes_with_correlation_rule", |b| {
        b.iter(|| order(&correlated, black_box(held), black_box(dec!(1))))
    });
    group.bench_function("validate_order_seed_tuple", |b| {
        b.iter(|| {
            ready(plain.validate_order(black_box(held), Side::Buy, black_box(dec!(1)), dec!(1000), PORTFOLIO, balance))
        })
    });
    group.finish();
}

criterion_group!(benches, check);
criterion_main!(benches);
