//! A loopback Binance that replays the shipped BTCUSDT capture as if it were live: after the capture's REST
//! snapshot, its depth diffs and trades are released at a fixed pace to every WebSocket connection open at that
//! moment (a client that was away misses them, as at the real venue), and `/api/v3/depth` answers a snapshot of
//! the book as it stands (kept by Binance's rules from the same messages), with its `lastUpdateId`.

use futures_util::{SinkExt, StreamExt};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Message;

use super::mock_http::{Seen, serve};
use cryptotradebot::data::parse_capture_line;
use cryptotradebot::execution::OrderState;
use cryptotradebot::market::{BinanceBookSync, BookSide, messages};
use cryptotradebot::model::Symbol;
use cryptotradebot::model::l2::from_fixed;

/// The mock venue's endpoints and how far its market has got.
pub struct LiveBinance {
    /// `http://127.0.0.1:PORT`.
    pub rest: String,
    /// `ws://127.0.0.1:PORT`.
    pub ws: String,
    /// Stream messages released so far.
    pub released: Arc<Mutex<usize>>,
    /// Every REST request but the depth snapshots, as `METHOD path?query`.
    pub requests: Arc<Mutex<Vec<String>>>,
    /// While true, the market is quiet: no message is released.
    pub paused: Arc<std::sync::atomic::AtomicBool>,
    /// When set (a session's journal file and name), each order POST is checked against that journal as it
    /// arrives: the client order ids of orders the journal did not hold yet are kept in `unjournaled`.
    pub journal: Arc<Mutex<Option<(std::path::PathBuf, String)>>>,
    /// Client order ids POSTed before their journal row existed.
    pub unjournaled: Arc<Mutex<Vec<String>>>,
    /// Client order ids POSTed while a journal was checked, with their order's number.
    pub checked: Arc<Mutex<Vec<String>>>,
    /// Client order ids whose cancel (a DELETE) arrived while a journal was checked.
    pub cancels_checked: Arc<Mutex<Vec<String>>>,
    /// Client order ids whose cancel arrived before the journal held the order as `cancel_requested`.
    pub cancels_unjournaled: Arc<Mutex<Vec<String>>>,
    /// From this order POST on (counting from 1; 0: never), the venue answers 503 with Binance's -1007 "execution
    /// status unknown" without placing the order.
    pub fail_posts_from: Arc<std::sync::atomic::AtomicUsize>,
    /// This many order DELETEs from now on answer Binance's 429 with `Retry-After: 1`.
    pub limit_deletes: Arc<std::sync::atomic::AtomicUsize>,
    /// While true, asking for an order's status (`GET /api/v3/order`) answers 503.
    pub fail_order_gets: Arc<std::sync::atomic::AtomicBool>,
}

/// Client order ids seen by the venue, shared with the test.
type ClientIds = Arc<Mutex<Vec<String>>>;

/// Whether the journal at `path` of `session` holds order `client_id` (`ctb-<tag>-<number>`) under its tag, in a
/// state `wanted` accepts.
fn journaled(path: &std::path::Path, session: &str, client_id: &str, wanted: fn(OrderState) -> bool) -> bool {
    let Ok(mut journal) = cryptotradebot::session::Journal::open_sqlite(path, session) else { return false };
    let (Ok(tag), Ok(orders)) = (journal.client_tag(), journal.orders()) else { return false };
    tag.parse_short_id(client_id)
        .is_some_and(|id| orders.iter().any(|o| o.report.request.client_order_id == id && wanted(o.state)))
}

struct Market {
    sync: BinanceBookSync,
    last_update_id: u64,
}

/// The capture's lines: those up to its REST snapshot (diffs that came before it, and the snapshot) and the stream
/// messages after it.
fn capture_lines() -> (Vec<String>, Vec<String>) {
    let path = super::repo("data/binance/l2/BTCUSDT-depth-trades-2024-08-08.gz");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()), &mut text)
        .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let at = lines.iter().position(|l| l.contains("lastUpdateId")).unwrap();
    let json = |line: &str| line.split_once(' ').unwrap().1.to_string();
    (lines[..=at].iter().map(|l| json(l)).collect(), lines[at + 1..].iter().map(|l| json(l)).collect())
}

/// Starts the venue, releasing `per_second` stream messages a second.
pub async fn serve_live(per_second: u64) -> LiveBinance {
    let btc = Symbol::new("BTCUSDT").unwrap();
    let (start, stream) = capture_lines();
    let mut sync = BinanceBookSync::new();
    let mut rows = Vec::new();
    for (number, line) in start.iter().enumerate() {
        parse_capture_line(std::path::Path::new("capture"), &format!("0 {line}"), number as u32 + 1, btc, &mut rows)
            .unwrap();
    }
    sync.replay(&rows).unwrap();
    // The book holds the snapshot and the buffered diff that followed it: its id is the last one applied.
    let last_update_id = rows.iter().filter(|r| !r.is_trade()).map(|r| r.last_id).max().unwrap();
    let market = Arc::new(Mutex::new(Market { sync, last_update_id }));
    let (sender, _) = broadcast::channel::<String>(1 << 16);
    let released = Arc::new(Mutex::new(0usize));

    let book = market.clone();
    let requests: Arc<Mutex<Vec<String>>> = Arc::default();
    let (log, orders) = (requests.clone(), Arc::new(Mutex::new(std::collections::BTreeMap::new())));
    let journal: Arc<Mutex<Option<(std::path::PathBuf, String)>>> = Arc::default();
    let unjournaled: Arc<Mutex<Vec<String>>> = Arc::default();
    let checked: Arc<Mutex<Vec<String>>> = Arc::default();
    let (cancels_checked, cancels_unjournaled): (ClientIds, ClientIds) = Default::default();
    let (check, missing, seen_ids) = (journal.clone(), unjournaled.clone(), checked.clone());
    let (seen_cancels, missing_cancels) = (cancels_checked.clone(), cancels_unjournaled.clone());
    let fail_posts_from: Arc<std::sync::atomic::AtomicUsize> = Arc::default();
    let (failing, posts) = (fail_posts_from.clone(), Arc::new(std::sync::atomic::AtomicUsize::new(0)));
    let limit_deletes: Arc<std::sync::atomic::AtomicUsize> = Arc::default();
    let limited = limit_deletes.clone();
    let fail_order_gets: Arc<std::sync::atomic::AtomicBool> = Arc::default();
    let failing_gets = fail_order_gets.clone();
    let rest = serve(move |seen: Seen| {
        let (book, log, orders) = (book.clone(), log.clone(), orders.clone());
        let (failing, posts, limited) = (failing.clone(), posts.clone(), limited.clone());
        let failing_gets = failing_gets.clone();
        let (check, missing, seen_ids) = (check.clone(), missing.clone(), seen_ids.clone());
        let (seen_cancels, missing_cancels) = (seen_cancels.clone(), missing_cancels.clone());
        async move {
            let id_of = |method: &str, key: &str| {
                (seen.method == method && seen.target.starts_with("/api/v3/order?"))
                    .then(|| seen.target.split('&').find_map(|p| p.strip_prefix(key)).map(str::to_string))
                    .flatten()
            };
            let (posted, deleted) = (id_of("POST", "newClientOrderId="), id_of("DELETE", "origClientOrderId="));
            if let (Some(id), Some((path, session))) = (posted, check.lock().unwrap().clone()) {
                if !journaled(&path, &session, &id, |_| true) {
                    missing.lock().unwrap().push(id.clone());
                }
                seen_ids.lock().unwrap().push(id);
            }
            if let (Some(id), Some((path, session))) = (deleted, check.lock().unwrap().clone()) {
                if !journaled(&path, &session, &id, |state| state == OrderState::CancelRequested) {
                    missing_cancels.lock().unwrap().push(id.clone());
                }
                seen_cancels.lock().unwrap().push(id);
            }
            if seen.method == "POST" && seen.target.starts_with("/api/v3/order?") {
                let number = posts.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                let from = failing.load(std::sync::atomic::Ordering::SeqCst);
                if from > 0 && number >= from {
                    log.lock().unwrap().push(format!("{} {} (503)", seen.method, seen.target));
                    let body = r#"{"code":-1007,"msg":"Timeout waiting for response from backend server. Send status unknown; execution status unknown."}"#;
                    return (503, vec![], body.to_string());
                }
            }
            if seen.method == "GET"
                && seen.target.starts_with("/api/v3/order?")
                && failing_gets.load(std::sync::atomic::Ordering::SeqCst)
            {
                log.lock().unwrap().push(format!("{} {} (503)", seen.method, seen.target));
                return (503, vec![], r#"{"code":-1001,"msg":"Internal error; unable to process your request."}"#.into());
            }
            if seen.method == "DELETE"
                && seen.target.starts_with("/api/v3/order?")
                && limited
                    .fetch_update(std::sync::atomic::Ordering::SeqCst, std::sync::atomic::Ordering::SeqCst, |n| {
                        n.checked_sub(1)
                    })
                    .is_ok()
            {
                log.lock().unwrap().push(format!("{} {} (429)", seen.method, seen.target));
                let body = r#"{"code":-1003,"msg":"Too many requests; current limit is 1200 request weight per 1 MINUTE."}"#;
                return (429, vec![("Retry-After", "1".to_string())], body.to_string());
            }
            if !seen.target.starts_with("/api/v3/depth") {
                // Everything else is the order and account mock of the adapter tests (signatures checked).
                log.lock().unwrap().push(format!("{} {}", seen.method, seen.target));
                return super::mock_binance::answer(&seen, &orders, "0.00001");
            }
            let market = book.lock().unwrap();
            let side = |side| {
                let levels: Vec<String> = market
                    .sync
                    .book()
                    .levels(side)
                    .take(1000)
                    .map(|(p, q)| format!(r#"["{}","{}"]"#, from_fixed(p), from_fixed(q)))
                    .collect();
                levels.join(",")
            };
            let body = format!(
                r#"{{"lastUpdateId":{},"bids":[{}],"asks":[{}]}}"#,
                market.last_update_id,
                side(BookSide::Bid),
                side(BookSide::Ask)
            );
            (200, vec![], body)
        }
    })
    .await;

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ws = format!("ws://{}", listener.local_addr().unwrap());
    let subscribe = sender.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let mut receiver = subscribe.subscribe();
            tokio::spawn(async move {
                let Ok(mut socket) = tokio_tungstenite::accept_async(tcp).await else { return };
                while let Ok(message) = receiver.recv().await {
                    if socket.send(Message::text(message)).await.is_err() {
                        return;
                    }
                }
                let _ = socket.close(None).await;
                while let Some(Ok(_)) = socket.next().await {}
            });
        }
    });

    let count = released.clone();
    let paused: Arc<std::sync::atomic::AtomicBool> = Arc::default();
    let quiet = paused.clone();
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(Duration::from_millis(5));
        let per_tick = (per_second / 200).max(1) as usize;
        let mut next = 0;
        let mut number = 2;
        while next < stream.len() {
            ticker.tick().await;
            if quiet.load(std::sync::atomic::Ordering::Relaxed) {
                continue;
            }
            for message in &stream[next..(next + per_tick).min(stream.len())] {
                let mut rows = Vec::new();
                parse_capture_line(std::path::Path::new("capture"), &format!("0 {message}"), number, btc, &mut rows)
                    .unwrap();
                number += 1;
                {
                    let mut m = market.lock().unwrap();
                    for part in messages(&rows) {
                        m.sync.on_message(part).unwrap();
                        if !part[0].is_trade() && part[0].last_id > m.last_update_id {
                            m.last_update_id = part[0].last_id;
                        }
                    }
                }
                let _ = sender.send(message.clone());
            }
            next = (next + per_tick).min(stream.len());
            *count.lock().unwrap() = next;
        }
    });
    LiveBinance {
        rest,
        ws,
        released,
        requests,
        paused,
        journal,
        unjournaled,
        checked,
        cancels_checked,
        cancels_unjournaled,
        fail_posts_from,
        limit_deletes,
        fail_order_gets,
    }
}

/// A config folder whose `exchanges.yaml` points Binance at `venue`.
pub fn config_for(dir: &std::path::Path, venue: &LiveBinance) {
    std::fs::create_dir_all(dir).unwrap();
    let yaml = format!(
        "exchanges:\n  binance:\n    testnet: true\n    base_url: '{}'\n    ws_url: '{}'\n",
        venue.rest, venue.ws
    );
    std::fs::write(dir.join("exchanges.yaml"), yaml).unwrap();
}
