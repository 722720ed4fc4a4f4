//! The shipped level-2 example (scenarios/btc_l2_market_maker.yaml): a spread quoter on the recorded BTCUSDT book
//! runs end to end and reports fills, fees, queue waits and PnL. Every fill is checked against an independent
//! replay of the capture: each quote stood at a price the book showed, and filled only when a print or the other
//! side of the book reached it; quantities are conserved; the run repeats to the byte.

mod common;

use rust_decimal::Decimal;

use cryptotradebot::config::Scenario;
use cryptotradebot::market::{BinanceBookSync, messages};
use cryptotradebot::model::l2::from_fixed;
use cryptotradebot::model::{L2Row, Liquidity, OrderQty, OrderStatus, RowKind, Side, Timestamp};
use cryptotradebot::runner::run_scenario;

/// What one message of the capture showed: its times, and the best bid / ask once applied (a trade message: the
/// prints' kind and prices).
struct Seen {
    received: Timestamp,
    exchange_time: Timestamp,
    best_bid: Option<Decimal>,
    best_ask: Option<Decimal>,
    prints: Vec<(RowKind, Decimal)>,
}

/// An independent replay of the capture, message by message.
fn replay(rows: &[L2Row]) -> Vec<Seen> {
    let mut sync = BinanceBookSync::new();
    messages(rows)
        .map(|message| {
            sync.on_message(message).unwrap();
            let book = sync.book();
            Seen {
                received: message[0].received,
                exchange_time: message[0].exchange_time,
                best_bid: book.best_bid().map(|l| from_fixed(l.0)),
                best_ask: book.best_ask().map(|l| from_fixed(l.0)),
                prints: message.iter().filter(|r| r.is_trade()).map(|r| (r.kind, from_fixed(r.price))).collect(),
            }
        })
        .collect()
}

#[test]
fn the_l2_market_maker_runs_end_to_end_and_never_fills_at_a_price_the_book_did_not_show() {
    let scenario = Scenario::load(&common::repo("scenarios/btc_l2_market_maker.yaml")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = run_scenario(&scenario, out.path()).unwrap();
    let book = run.summary.book.clone().expect("a level-2 run reports its book section");
    let log = &run.result.log;

    // It traded, as a maker only, paid maker fees and waited in queues.
    assert!(book.maker_fills > 100, "{book:?}");
    assert_eq!((book.taker_fills, book.taker_fees, book.slippage), (0, Decimal::ZERO, Decimal::ZERO));
    let fees: Decimal = log.fills.iter().map(|f| f.fill.fee).sum();
    assert!(fees > Decimal::ZERO && book.maker_fees == fees.normalize());
    assert_eq!(log.fills.len() as u64, book.maker_fills);
    assert!(book.queue_waits.filled_orders > 10 && book.queue_waits.median_ms > Decimal::ZERO);
    assert_eq!(book.pnl, (run.result.portfolio.equity() - Decimal::from(10_000)).normalize());
    assert_eq!(book.messages, 26_400, "19,904 trades, 6,495 depth diffs and the snapshot");

    // Independently: each quote joined the best price of the book the strategy had just seen, and each fill
    // happened when the market reached that price: a print at or through it, or the other side of the book moving
    // onto it (those orders would have met the quote first).
    let rows = scenario.load_book_streams().unwrap().remove(0).rows;
    let seen = replay(&rows);
    for record in &log.fills {
        let fill = &record.fill;
        assert_eq!(fill.liquidity, Liquidity::Maker);
        let order = log.orders.iter().find(|o| o.report.request.client_order_id == fill.order_id).unwrap();
        let limit = order.report.request.price.unwrap();
        assert_eq!(fill.price, limit, "a maker fills at its limit");
        let shown = seen.iter().rev().find(|m| m.received <= order.created).unwrap();
        let joined = if fill.side == Side::Buy { shown.best_bid } else { shown.best_ask };
        assert_eq!(joined, Some(limit), "order {} joined a price the book showed", fill.order_id);
        let reached = seen.iter().filter(|m| m.exchange_time == fill.time).any(|m| match fill.side {
            Side::Buy => {
                m.prints.iter().any(|(kind, price)| *kind == RowKind::TradeSell && *price <= limit)
                    || m.best_ask.is_some_and(|ask| ask <= limit)
            }
            Side::Sell => {
                m.prints.iter().any(|(kind, price)| *kind == RowKind::TradeBuy && *price >= limit)
                    || m.best_bid.is_some_and(|bid| bid >= limit)
            }
        });
        assert!(reached, "fill {fill:?}: the market never reached its price at that time");
    }

    // Quantity is conserved: what filled never exceeds what was ordered, and a finished order's fills add up.
    for order in &log.orders {
        let OrderQty::Base(ordered) = order.report.request.quantity else { panic!("quotes are sized in BTC") };
        let filled: Decimal = log
            .fills
            .iter()
            .filter(|f| f.fill.order_id == order.report.request.client_order_id)
            .map(|f| f.fill.quantity)
            .sum();
        assert_eq!(filled, order.report.filled_quantity);
        assert!(filled <= ordered);
        if order.report.status == OrderStatus::Filled {
            assert_eq!(filled, ordered);
        }
    }
    let position = run.result.portfolio.positions()[0].quantity;
    let bought: Decimal = log.fills.iter().map(|f| f.fill.side.sign() * f.fill.quantity).sum();
    assert_eq!(position, bought);
    assert_eq!(run.result.venue_balances["BTC"], position);

    // The same inputs give the same bytes (latencies are drawn from the scenario's seed).
    let again = tempfile::tempdir().unwrap();
    run_scenario(&scenario, again.path()).unwrap();
    for file in ["summary.json", "fills.csv", "orders.csv", "equity.csv"] {
        let read = |dir: &std::path::Path| std::fs::read(dir.join(file)).unwrap();
        assert_eq!(read(out.path()), read(again.path()), "{file} differs between two runs");
    }
}
