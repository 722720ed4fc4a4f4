//! A venue that reports one trade twice (its private stream and its order answer, or a message sent again after a
//! reconnect) moves the ledger once: fills are booked by the venue's trade id, and a resumed engine knows the
//! trades its journal holds.

use async_trait::async_trait;
use rust_decimal::{Decimal, dec};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use cryptotradebot::Result;
use cryptotradebot::engine::{JournalHooks, TradingEngine};
use cryptotradebot::model::{
    ExecutionEvent, Fill, Liquidity, OrderBook, OrderId, OrderReport, OrderRequest, OrderStatus, Side, Symbol, Ticker,
    Timestamp, TradeId,
};
use cryptotradebot::portfolio::Portfolio;
use cryptotradebot::risk::{RiskLimits, RiskManager};
use cryptotradebot::venue::{ExchangeAdapter, MarketStream, OrderRouter};

fn btc() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

/// A trade the venue reports: of order `order` (`None`: the order being placed), its trade id, quantity, price,
/// fee, and the order's status after it.
#[derive(Clone, Copy, Debug)]
struct Trade {
    order: Option<u64>,
    id: u64,
    quantity: Decimal,
    price: Decimal,
    fee: Decimal,
    status: OrderStatus,
}

fn trade(id: u64, quantity: Decimal, price: Decimal, fee: Decimal, status: OrderStatus) -> Trade {
    Trade { order: None, id, quantity, price, fee, status }
}

/// The trades the venue reports when it takes the next order.
type Script = Arc<Mutex<Vec<Trade>>>;

/// The (number, trade id) of every fill the journal was given.
type Journaled = Arc<Mutex<Vec<(u64, Option<TradeId>)>>>;

/// A network venue (answers asynchronously) that acknowledges each order and then reports the scripted trades,
/// duplicates included, as its execution stream would.
#[derive(Debug)]
struct RepeatingVenue {
    script: Script,
    executions: Vec<ExecutionEvent>,
}

#[async_trait]
impl ExchangeAdapter for RepeatingVenue {
    fn name(&self) -> &str {
        "repeating"
    }
    async fn connect(&mut self) -> Result<bool> {
        Ok(true)
    }
    async fn disconnect(&mut self) -> Result<()> {
        Ok(())
    }
    async fn get_ticker(&self, symbol: Symbol) -> Result<Ticker> {
        Ok(Ticker { symbol, bid: dec!(100), ask: dec!(100), last: dec!(100), time: Timestamp(0) })
    }
    async fn get_orderbook(&self, symbol: Symbol, _limit: usize) -> Result<OrderBook> {
        Ok(OrderBook { symbol, bids: vec![], asks: vec![], time: Timestamp(0) })
    }
    async fn place_order(&mut self, order: OrderRequest) -> Result<OrderReport> {
        for t in std::mem::take(&mut *self.script.lock().unwrap()) {
            let fill = Fill {
                order_id: t.order.map_or(order.client_order_id, OrderId),
                time: Timestamp(1),
                symbol: order.symbol,
                side: order.side,
                quantity: t.quantity,
                price: t.price,
                fee: t.fee,
                liquidity: Liquidity::Taker,
                trade_id: Some(TradeId::number(t.id)),
            };
            self.executions.push(ExecutionEvent::Fill { fill, order_status: t.status });
        }
        Ok(OrderReport::new(order))
    }
    async fn cancel_order(&mut self, _symbol: Symbol, _order_id: OrderId) -> Result<OrderReport> {
        Err(cryptotradebot::Error::Order("nothing to cancel".into()))
    }
    async fn get_order_status(&self, _symbol: Symbol, _order_id: OrderId) -> Result<OrderReport> {
        Err(cryptotradebot::Error::Order("not asked in this test".into()))
    }
    async fn get_account_balance(&self) -> Result<BTreeMap<String, Decimal>> {
        Ok(BTreeMap::new())
    }
    async fn start_websocket_stream(&mut self, _symbol: Symbol) -> Result<MarketStream> {
        Err(cryptotradebot::Error::Exchange("no stream in this test".into()))
    }
    fn drain_executions(&mut self, out: &mut Vec<ExecutionEvent>) {
        out.append(&mut self.executions);
    }
}

fn engine(script: &Script) -> TradingEngine {
    let mut router = OrderRouter::new();
    router.add(Box::new(RepeatingVenue { script: Arc::clone(script), executions: vec![] })).unwrap();
    let limits = RiskLimits { max_position_size_percent: dec!(100), ..RiskLimits::default() };
    TradingEngine::new(router, RiskManager::new(limits), Portfolio::new("USDT", dec!(10000), &[btc()]))
}

use OrderStatus::{Filled, PartiallyFilled};

#[tokio::test]
async fn a_trade_the_venue_reports_twice_is_booked_once() {
    // Trades 41 and 42 of 0.5 each; each arrives twice (its stream message and the order's answer).
    let script: Script = Arc::new(Mutex::new(vec![
        trade(41, dec!(0.5), dec!(100), dec!(0.05), PartiallyFilled),
        trade(41, dec!(0.5), dec!(100), dec!(0.05), PartiallyFilled),
        trade(42, dec!(0.5), dec!(102), dec!(0.051), Filled),
        trade(42, dec!(0.5), dec!(102), dec!(0.051), Filled),
    ]));
    let journaled: Journaled = Arc::default();
    let seen = Arc::clone(&journaled);
    let hooks = JournalHooks {
        orders: Box::new(|_| Ok(())),
        fills: Box::new(move |seq, record| {
            seen.lock().unwrap().push((seq, record.fill.trade_id));
            Ok(())
        }),
    };
    let mut engine = engine(&script).with_journal(hooks);
    engine.start().await.unwrap();
    engine.place_order("repeating", btc(), Side::Buy, dec!(1), Some(dec!(102))).await.unwrap();
    // The journal holds each trade once, numbered without a gap: a duplicate never reaches it.
    let id = |n| Some(TradeId::number(n));
    assert_eq!(*journaled.lock().unwrap(), [(0, id(41)), (1, id(42))]);

    let log = engine.run_log();
    let booked: Vec<(Option<TradeId>, Decimal)> =
        log.fills.iter().map(|f| (f.fill.trade_id, f.fill.quantity)).collect();
    assert_eq!(booked, [(Some(TradeId::number(41)), dec!(0.5)), (Some(TradeId::number(42)), dec!(0.5))]);
    let order = &log.orders[0].report;
    assert_eq!(order.status, Filled);
    assert_eq!((order.filled_quantity, order.average_price, order.fee), (dec!(1), Some(dec!(101)), dec!(0.101)));
    // 10,000 − (0.5 × 100 + 0.05) − (0.5 × 102 + 0.051), worked by hand.
    assert_eq!(engine.portfolio().cash(), dec!(9898.899));
    assert_eq!(engine.portfolio().position(0).quantity, dec!(1));
}

#[tokio::test]
async fn a_resumed_engine_does_not_book_again_a_trade_its_journal_holds() {
    // Order 1 (1 BTC) fills 0.5 in trade 7; the session stops.
    let script: Script = Arc::new(Mutex::new(vec![trade(7, dec!(0.5), dec!(100), dec!(0.05), PartiallyFilled)]));
    let mut first = engine(&script);
    first.start().await.unwrap();
    first.place_order("repeating", btc(), Side::Buy, dec!(1), Some(dec!(100))).await.unwrap();
    let (log, _) = first.into_results();
    assert_eq!(log.fills.len(), 1);

    // Resumed from what the journal holds. The venue's stream, replayed after the reconnect, reports trade 7 of
    // order 1 again, then trade 8 completing it, then trade 9 of the new order 2.
    let mut resumed = engine(&script);
    resumed.restore(log.orders.to_vec(), log.fills.clone(), vec![], vec![]).unwrap();
    resumed.start().await.unwrap();
    *script.lock().unwrap() = vec![
        Trade { order: Some(1), ..trade(7, dec!(0.5), dec!(100), dec!(0.05), PartiallyFilled) },
        Trade { order: Some(1), ..trade(8, dec!(0.5), dec!(100), dec!(0.05), Filled) },
        trade(9, dec!(0.1), dec!(100), dec!(0.01), Filled),
    ];
    resumed.place_order("repeating", btc(), Side::Buy, dec!(0.1), Some(dec!(100))).await.unwrap();

    let log = resumed.run_log();
    let booked: Vec<(OrderId, Option<TradeId>)> =
        log.fills.iter().map(|f| (f.fill.order_id, f.fill.trade_id)).collect();
    let id = |n| Some(TradeId::number(n));
    assert_eq!(booked, [(OrderId(1), id(7)), (OrderId(1), id(8)), (OrderId(2), id(9))]);
    assert_eq!(log.orders[0].report.filled_quantity, dec!(1));
    // 10,000 − 2 × (0.5 × 100 + 0.05) − (0.1 × 100 + 0.01).
    assert_eq!(resumed.portfolio().cash(), dec!(9889.89));
    assert_eq!(resumed.portfolio().position(0).quantity, dec!(1.1));
}

#[tokio::test]
async fn trades_of_two_symbols_with_the_same_number_are_two_trades() {
    // Binance numbers trades per symbol: BTCUSDT's trade 5 and ETHUSDT's trade 5 are different trades.
    let eth = Symbol::new("ETHUSDT").unwrap();
    let script: Script = Arc::new(Mutex::new(vec![trade(5, dec!(0.5), dec!(100), dec!(0.05), Filled)]));
    let mut router = OrderRouter::new();
    router.add(Box::new(RepeatingVenue { script: Arc::clone(&script), executions: vec![] })).unwrap();
    let limits = RiskLimits { max_position_size_percent: dec!(100), ..RiskLimits::default() };
    let portfolio = Portfolio::new("USDT", dec!(10000), &[btc(), eth]);
    let mut engine = TradingEngine::new(router, RiskManager::new(limits), portfolio);
    engine.start().await.unwrap();
    engine.place_order("repeating", btc(), Side::Buy, dec!(0.5), Some(dec!(100))).await.unwrap();
    *script.lock().unwrap() = vec![trade(5, dec!(0.5), dec!(100), dec!(0.05), Filled)];
    engine.place_order("repeating", eth, Side::Buy, dec!(0.5), Some(dec!(100))).await.unwrap();
    let booked: Vec<Symbol> = engine.run_log().fills.iter().map(|f| f.fill.symbol).collect();
    assert_eq!(booked, [btc(), eth]);
    assert_eq!(engine.portfolio().cash(), dec!(9899.9));
}
