//! `ctb live` on a bar scenario: the validated SMA-cross scenario trades at a loopback Binance whose kline stream
//! plays the shipped January–February 2023 hourly bars as live candles and whose order endpoints (signatures
//! checked) fill market orders at once, with Binance's commission in the asset bought.

mod common;

use common::mock_binance::{KEY, SECRET};
use common::mock_candles::{serve_binance_klines, shipped_bars};
use common::mock_live_binance::{LiveBinance, serve_live};
use std::path::Path;

/// A folder holding `sma.yaml` (the shipped SMA-cross scenario with a validation section), validated.
async fn validated_workspace() -> tempfile::TempDir {
    validated_workspace_with_cash("10000").await
}

/// [`validated_workspace`] whose scenario starts from `cash` USDT.
async fn validated_workspace_with_cash(cash: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut text = std::fs::read_to_string(common::repo("scenarios/btc_sma_cross.yaml")).unwrap();
    assert!(text.contains("starting_cash: 10000\n"));
    text = text.replace("starting_cash: 10000\n", &format!("starting_cash: {cash}\n"));
    for month in ["01", "02"] {
        let file = format!("data/binance/BTCUSDT-1h-2023-{month}.csv");
        text = text.replace(&format!("../{file}"), common::repo(&file).to_str().unwrap());
    }
    text.push_str("validation:\n  min_trades: 20\n");
    std::fs::write(dir.path().join("sma.yaml"), text).unwrap();
    let work = dir.path().to_path_buf();
    let (ok, out, err) =
        tokio::task::spawn_blocking(move || common::ctb(&work, &["validate", "sma.yaml"])).await.unwrap();
    assert!(ok, "{out}\n{err}");
    dir
}

/// `ctb live sma.yaml` in `dir` for `max` candles, at `rest`'s order endpoints and a fresh kline stream of the
/// shipped bars from their start; returns what it printed.
async fn live(dir: &Path, rest: &LiveBinance, session: &[&str], max: &str) -> String {
    let (ws, _) = serve_binance_klines(&shipped_bars()).await;
    std::fs::create_dir_all(dir.join("config")).unwrap();
    let yaml =
        format!("exchanges:\n  binance:\n    testnet: true\n    base_url: '{}'\n    ws_url: '{ws}'\n", rest.rest);
    std::fs::write(dir.join("config/exchanges.yaml"), yaml).unwrap();
    let mut args = vec!["live", "sma.yaml", "--exchange", "binance", "--quiet", "--confirm-live"];
    args.extend_from_slice(&["--max-messages", max, "--metrics-port", "0"]);
    args.extend_from_slice(session);
    let (ok, out, err) =
        common::ctb_async(dir, &args, &[("BINANCE_API_KEY", KEY), ("BINANCE_API_SECRET", SECRET)]).await;
    assert!(ok, "{out}\n{err}");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_session_on_binance_candles_sends_signed_market_orders_books_their_fills_and_never_sends_a_zero_quantity()
 {
    let dir = validated_workspace().await;
    let rest = serve_live(0).await;
    let out = live(dir.path(), &rest, &["--session", "b1"], "1416").await;
    assert!(out.contains("live session b1 (binance test endpoints): 1416 messages"), "{out}");
    // The scenario's lot is 10⁻⁸; the venue's, 0.00001: the venue's rules apply, and the session says so.
    assert!(out.contains("BTCUSDT: the venue trades at tick 0.01, lot 0.00001, minimum notional 5"), "{out}");

    // The first cross up buys with the whole cash, the next cross down sells the position: signed market orders,
    // booked filled. Binance takes the buy's commission in BTC, so what is left after the sale is dust below the
    // lot step, which the strategy counts as flat: the next cross up buys again, and the dust is never offered for
    // sale on its own (Binance would refuse it: LOT_SIZE).
    let requests = rest.requests.lock().unwrap().clone();
    let posts: Vec<&String> = requests.iter().filter(|r| r.starts_with("POST /api/v3/order")).collect();
    assert!(posts.len() >= 2, "{posts:?}");
    assert!(posts[0].contains("side=BUY&type=MARKET") && posts[0].contains("quoteOrderQty=10000"), "{}", posts[0]);
    assert!(posts[1].contains("side=SELL&type=MARKET") && posts[1].contains("quantity=0.16216&"), "{}", posts[1]);
    assert!(posts.iter().all(|p| !p.contains("quantity=0&")), "a zero quantity reached the venue: {posts:?}");
    assert!(posts.len() >= 4 && posts[2].contains("side=BUY&type=MARKET"), "the dust did not stop re-entry: {posts:?}");
    let orders = std::fs::read_to_string(dir.path().join("reports/b1/orders.csv")).unwrap();
    let filled = orders.lines().filter(|r| r.contains(",MARKET,") && r.contains(",FILLED,")).count();
    assert_eq!(filled, posts.len(), "every order sent was booked filled: {orders}");
    let refused: Vec<&str> = orders.lines().filter(|r| r.contains("REJECTED")).collect();
    assert!(refused.iter().all(|r| r.contains("LOT_SIZE") && r.contains("not sent")), "{orders}");
    let mut journal =
        cryptotradebot::session::Journal::open_sqlite(&dir.path().join("reports/b1/journal.sqlite"), "b1").unwrap();
    assert_eq!(
        journal.fills().unwrap().len(),
        std::fs::read_to_string(dir.path().join("reports/b1/fills.csv")).unwrap().lines().count() - 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_bar_session_stopped_and_resumed_trades_as_an_uninterrupted_one() {
    let dir = validated_workspace().await;
    let (whole, halves) = (serve_live(0).await, serve_live(0).await);
    live(dir.path(), &whole, &["--session", "w1"], "1416").await;
    // Stopped after 700 candles; resumed, the strategy warms up on the 700 recorded ones (its orders of then are in
    // the journal, not sent again) and trades the 716 after them.
    live(dir.path(), &halves, &["--session", "h1"], "700").await;
    live(dir.path(), &halves, &["--resume", "h1"], "716").await;
    let read = |session: &str, file: &str| std::fs::read_to_string(dir.path().join("reports").join(session).join(file));
    for file in ["orders.csv", "fills.csv", "trades.csv"] {
        assert_eq!(read("h1", file).unwrap(), read("w1", file).unwrap(), "{file}");
    }
    let posts = |venue: &LiveBinance| {
        let requests = venue.requests.lock().unwrap();
        requests.iter().filter(|r| r.starts_with("POST /api/v3/order")).count()
    };
    assert_eq!(posts(&halves), posts(&whole), "no order of the first half was sent again");
    assert!(posts(&whole) >= 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_session_starts_from_the_accounts_free_cash_when_the_scenario_asks_for_more_and_resumes_from_it() {
    // The scenario starts from 25,000 USDT; the account holds 10,000 free (and 250 locked, and 0.5 BTC).
    let dir = validated_workspace_with_cash("25000").await;
    let venue = serve_live(0).await;
    let out = live(dir.path(), &venue, &["--session", "c1"], "700").await;
    assert!(
        out.contains("USDT: the venue holds 10000 free, less than the scenario's starting cash 25000: the session starts from 10000"),
        "{out}"
    );
    {
        let mut journal =
            cryptotradebot::session::Journal::open_sqlite(&dir.path().join("reports/c1/journal.sqlite"), "c1").unwrap();
        assert_eq!(journal.starting_cash().unwrap(), Some(rust_decimal::dec!(10000)), "recorded at the start");
    }
    live(dir.path(), &venue, &["--resume", "c1"], "716").await;
    // Every buy spends the session's whole cash: the first 10,000, the later ones what the trades left of it —
    // never the scenario's 25,000, before or after the resume (the shipped bars never take 10,000 above 13,000).
    let requests = venue.requests.lock().unwrap().clone();
    let buys: Vec<rust_decimal::Decimal> = requests
        .iter()
        .filter(|r| r.starts_with("POST /api/v3/order") && r.contains("side=BUY"))
        .map(|r| r.split(['?', '&']).find_map(|p| p.strip_prefix("quoteOrderQty=")).unwrap().parse().unwrap())
        .collect();
    assert!(buys.len() >= 4, "{buys:?}");
    assert_eq!(buys[0], rust_decimal::dec!(10000));
    assert!(buys.iter().all(|b| *b > rust_decimal::dec!(8000) && *b < rust_decimal::dec!(13000)), "{buys:?}");
}
