//! The live adapters' market streams against a loopback WebSocket venue replaying recorded messages: typed events
//! come out, a dropped connection is reconnected and resubscribed, and the gap is reported in the stream.

mod common;

use rust_decimal::dec;
use std::time::Duration;

use common::mock_ws;
use cryptotradebot::model::{MarketEvent, Side, StreamEvent, Symbol};
use cryptotradebot::venue::ExchangeAdapter;
use cryptotradebot::venue::MarketStream;
use cryptotradebot::venue::VenueConfig;
use cryptotradebot::venue::binance::BinanceAdapter;
use cryptotradebot::venue::coinbase::CoinbaseAdapter;

/// The JSON of each line of a recording whose lines are `<time><separator><json>`, keeping lines containing `marker`.
fn recorded(path: &str, separator: &str, marker: &str) -> Vec<String> {
    let text = std::fs::read_to_string(common::repo(path)).expect("read the recording");
    text.lines()
        .filter(|l| l.contains(marker))
        .map(|l| l.split_once(separator).expect("time, then the message").1.to_string())
        .collect()
}

fn venue(ws_url: &str) -> VenueConfig {
    let yaml = format!("enabled: true\nbase_url: 'http://127.0.0.1:9'\nws_url: '{ws_url}'\n");
    serde_saphyr::from_str(&yaml).expect("venue config")
}

/// Reads `count` events (a test failure after 10 s without one).
async fn take(stream: &mut MarketStream, count: usize) -> Vec<StreamEvent> {
    let mut events = Vec::with_capacity(count);
    while events.len() < count {
        let next = tokio::time::timeout(Duration::from_secs(10), stream.recv()).await;
        events.push(next.expect("an event within 10 s").expect("the stream is open"));
    }
    events
}

fn tally(events: &[StreamEvent]) -> (usize, usize, usize, usize) {
    let count = |f: fn(&StreamEvent) -> bool| events.iter().filter(|e| f(e)).count();
    (
        count(|e| matches!(e, StreamEvent::Market(MarketEvent::Trade(_)))),
        count(|e| matches!(e, StreamEvent::Market(MarketEvent::Book(_)))),
        count(|e| matches!(e, StreamEvent::Market(MarketEvent::Quote(_)))),
        count(|e| matches!(e, StreamEvent::Gap(_))),
    )
}

#[tokio::test]
async fn binance_trades_and_depth_diffs_survive_a_dropped_connection_and_the_gap_is_reported() {
    // 299 combined-stream messages of the recorded BTCUSDT capture (trades, depth diffs, book tickers). The venue
    // sends the first 150, drops the connection, loses 10 while the client is away and sends the rest.
    let messages = recorded("data/ws/binance-btcusdt-2024-08-08-first300.txt", " ", "\"stream\"");
    assert_eq!(messages.len(), 299);
    let scripts = vec![messages[..150].to_vec(), messages[160..].to_vec()];
    let (url, connections) = mock_ws::serve(scripts, 0).await;
    let mut binance = BinanceAdapter::new(&venue(&url), None).unwrap();
    let btc = Symbol::new("BTCUSDT").unwrap();
    let mut stream = binance.start_websocket_stream(btc).await.unwrap();

    // Counted in the recording independently: 32 trades + 5 depth diffs in the first 150 messages, 24 + 5 after
    // the 10 lost; book tickers are not subscribed to and are skipped.
    let before = take(&mut stream, 37).await;
    assert_eq!(tally(&before), (32, 5, 0, 0));
    let first = before
        .iter()
        .find_map(|e| if let StreamEvent::Market(MarketEvent::Trade(t)) = e { Some(t) } else { None })
        .unwrap();
    assert_eq!(
        (first.trade_id, first.price, first.quantity, first.aggressor, first.time.millis()),
        (3_735_683_259, dec!(61837.63), dec!(0.02), Side::Sell, 1_723_161_255_342),
        "t, p, q, m = true (the buyer made: a seller took), T"
    );
    let StreamEvent::Market(MarketEvent::Book(diff)) = &before[0] else { panic!("{:?}", before[0]) };
    assert_eq!((diff.update_ids, diff.bids.len(), diff.asks.len()), (Some((50_093_239_189, 50_093_239_202)), 3, 9));
    let gap_and_after = take(&mut stream, 30).await;
    let StreamEvent::Gap(gap) = &gap_and_after[0] else { panic!("{:?}", gap_and_after[0]) };
    assert!(gap.reason.contains("reconnected and resubscribed after 1 attempt"), "{}", gap.reason);
    assert!(gap.since <= gap.resumed && gap.symbol == btc);
    assert_eq!(tally(&gap_and_after[1..]), (24, 5, 0, 0));

    let connections = connections.lock().unwrap().clone();
    let path = "/stream?streams=btcusdt@trade/btcusdt@depth@100ms/btcusdt@kline_1m";
    assert_eq!(connections.iter().map(|c| c.path.as_str()).collect::<Vec<_>>(), [path, path], "resubscribed");
}

#[tokio::test]
async fn coinbase_ticker_book_and_trades_are_resubscribed_after_a_dropped_connection() {
    // The first 400 recorded SKL-USD messages of a Coinbase Exchange feed; the connection drops after 200.
    let messages = recorded("data/ws/coinbase-skl-usd-2021-04-17-first400.txt", ": ", "SKL-USD");
    assert_eq!(messages.len(), 400);
    let scripts = vec![messages[..200].to_vec(), messages[200..].to_vec()];
    let (url, connections) = mock_ws::serve(scripts, 1).await;
    let mut coinbase = CoinbaseAdapter::new(&venue(&url), None).unwrap();
    let skl = Symbol::new("SKLUSD").unwrap();
    let mut stream = coinbase.start_websocket_stream(skl).await.unwrap();

    // Counted in the recording: a snapshot, 189 level-2 updates, 5 tickers and 5 matches, then 198 + 1 + 1.
    let before = take(&mut stream, 200).await;
    assert_eq!(tally(&before), (5, 190, 5, 0));
    let StreamEvent::Market(MarketEvent::Book(snapshot)) = &before[0] else { panic!("{:?}", before[0]) };
    assert_eq!((snapshot.snapshot, snapshot.asks.len(), snapshot.bids.len()), (true, 1341, 814));
    assert_eq!(
        (snapshot.asks[0].price, snapshot.asks[0].quantity, snapshot.bids[0].price),
        (dec!(0.7910), dec!(450.0), dec!(0.7901))
    );
    let trades: Vec<_> = before
        .iter()
        .filter_map(|e| if let StreamEvent::Market(MarketEvent::Trade(t)) = e { Some(t.trade_id) } else { None })
        .collect();
    assert_eq!(trades, [1_568_267, 1_568_268, 1_568_269, 1_568_270, 1_568_271]);
    let after = take(&mut stream, 201).await;
    assert!(matches!(&after[0], StreamEvent::Gap(g) if g.reason.contains("reconnected")), "{:?}", after[0]);
    assert_eq!(tally(&after[1..]), (1, 198, 1, 0));

    let subscribe = r#"{"channels":["ticker","level2","matches"],"product_ids":["SKL-USD"],"type":"subscribe"}"#;
    let connections = connections.lock().unwrap().clone();
    let sent: Vec<_> = connections.iter().map(|c| c.sent_by_client.clone()).collect();
    assert_eq!(sent, [vec![subscribe.to_string()], vec![subscribe.to_string()]], "subscribed again");
}

#[tokio::test]
async fn a_connection_that_goes_silent_is_made_again_and_the_gap_is_reported() {
    use cryptotradebot::venue::ws::{RawMessage, RawMessages, open_with_deadline};
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    // The first connection sends one message and then nothing at all — not even a pong: it stops reading, as a
    // connection whose other end vanished (half open) would. The second one sends a message and stays.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        for (index, text) in ["before", "after"].into_iter().enumerate() {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut socket = tokio_tungstenite::accept_async(tcp).await.unwrap();
            let _subscription = socket.next().await;
            socket.send(Message::text(text)).await.unwrap();
            tokio::spawn(async move {
                if index == 0 {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                } else {
                    while let Some(Ok(_)) = socket.next().await {}
                }
                drop(socket);
            });
        }
    });
    let decoder = RawMessages { subscriptions: vec!["subscribe".into()] };
    let symbol = Symbol::new("BTCUSDT").unwrap();
    let mut stream = open_with_deadline("binance", symbol, url, decoder, Duration::from_millis(300)).await.unwrap();
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let next = tokio::time::timeout(Duration::from_secs(10), stream.recv()).await.expect("within 10 s");
        seen.push(next.expect("the stream is open"));
    }
    assert!(matches!(&seen[0], RawMessage::Text { text, .. } if text == "before"), "{:?}", seen[0]);
    assert!(
        matches!(&seen[1], RawMessage::Gap(gap) if gap.reason.starts_with("nothing heard for 300 ms")),
        "{:?}",
        seen[1]
    );
    assert!(matches!(&seen[2], RawMessage::Text { text, .. } if text == "after"), "{:?}", seen[2]);
}

#[tokio::test]
async fn a_subscriber_that_falls_behind_holds_the_reading_up_and_loses_nothing() {
    use cryptotradebot::venue::ws::{RawMessage, RawMessages, STREAM_CAPACITY, open};
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    // The venue sends more messages than the stream holds, as fast as it can, while the subscriber takes none.
    let total = STREAM_CAPACITY + 1_000;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut socket = tokio_tungstenite::accept_async(tcp).await.unwrap();
        for number in 0..total {
            socket.feed(Message::text(number.to_string())).await.unwrap();
        }
        socket.flush().await.unwrap();
        while let Some(Ok(_)) = socket.next().await {}
    });
    let symbol = Symbol::new("BTCUSDT").unwrap();
    let mut stream = open("binance", symbol, url, RawMessages::default()).await.unwrap();
    for _ in 0..500 {
        if stream.len() >= STREAM_CAPACITY {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(stream.len(), STREAM_CAPACITY, "the backlog stops at the stream's capacity: the reading waits");
    for expected in 0..total {
        let next = tokio::time::timeout(Duration::from_secs(10), stream.recv()).await.expect("within 10 s");
        match next.expect("the stream is open") {
            RawMessage::Text { text, .. } => assert_eq!(text, expected.to_string(), "in order, none lost"),
            gap => panic!("no gap expected: {gap:?}"),
        }
    }
}
