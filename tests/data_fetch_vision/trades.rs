//! Aggregate trades and funding rates: microsecond times, ids deduplicated and gapped, the range cut to the
//! microsecond, monthly funding archives; and a large archive streamed without holding its rows.

use crate::common::vision_mirror::Mirror;
use crate::*;
use cryptotradebot::venue::vision::{Gap, VisionKind, VisionMarket, fetch_vision};

/// Trades of the shipped BTCUSDT recording (`data/binance/l2/`) around midnight 2024-08-09, as aggregate trades
/// (one trade each): id, price, quantity, time (ms), buyer is maker.
const TRADES: [(i64, &str, &str, i64, &str); 7] = [
    (3_735_692_994, "61685.99000000", "0.01990000", 1_723_161_599_717, "True"),
    (3_735_692_995, "61685.99000000", "0.01993000", 1_723_161_599_717, "True"),
    (3_735_692_996, "61685.99000000", "0.01801000", 1_723_161_599_717, "True"),
    (3_735_692_997, "61686.00000000", "0.00705000", 1_723_161_600_330, "False"),
    (3_735_692_998, "61685.99000000", "0.00041000", 1_723_161_600_384, "True"),
    (3_735_692_999, "61685.99000000", "0.00004000", 1_723_161_600_403, "True"),
    (3_735_693_000, "61685.99000000", "0.00034000", 1_723_161_600_403, "True"),
];

/// A spot aggTrades row (8 columns) of trade `i`, its time times `scale`.
fn agg_row(i: usize, scale: i64) -> String {
    let (id, price, quantity, time, maker) = TRADES[i];
    format!("{id},{price},{quantity},{id},{id},{},{maker},True\n", time * scale)
}

#[tokio::test]
async fn aggregate_trades_are_written_in_microseconds_in_id_order_with_duplicates_and_missing_ids_reported() {
    let mirror = Mirror::default();
    let folder = "data/spot/daily/aggTrades/BTCUSDT";
    // The 8th in milliseconds with trade 995 twice; the 9th in microseconds without trade 998.
    let eighth = [0, 1, 1, 2].iter().map(|&i| agg_row(i, 1)).collect::<String>();
    let ninth = [3, 5, 6].iter().map(|&i| agg_row(i, 1000)).collect::<String>();
    mirror.publish(folder, "BTCUSDT-aggTrades-2024-08-08", &eighth);
    mirror.publish(folder, "BTCUSDT-aggTrades-2024-08-09", &ninth);
    let base = mirror.serve().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("trades.csv");
    let trades =
        request(&base, VisionKind::AggTrades, VisionMarket::Spot, "2024-08-08T23:59:00Z", "2024-08-09T00:01:00Z");
    let summary = fetch_vision(&trades, &out, &|_, _| {}).await.unwrap();
    // Three of the 8th's four rows written (the second 995 is dropped), all in milliseconds.
    assert_eq!((summary.rows, summary.duplicates, summary.converted), (6, 1, 3));
    assert_eq!(summary.named_duplicates, ["agg_trade_id 3735692995"]);
    assert_eq!(summary.gaps, [Gap::TradeIds { first: 3_735_692_998, last: 3_735_692_998 }]);
    let written = std::fs::read_to_string(&out).unwrap();
    let mut expected =
        String::from("agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time_us,is_buyer_maker\n");
    for i in [0, 1, 2, 3, 5, 6] {
        let (id, price, quantity, time, maker) = TRADES[i];
        expected.push_str(&format!("{id},{price},{quantity},{id},{id},{}000,{}\n", time, maker.to_lowercase()));
    }
    assert_eq!(written, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aggregate_trade_id_coming_again_after_a_later_one_is_dropped_and_reported() {
    // Trades 994, 995 and 996 of the 8th, and 994 again 183 ms later (ids 10, 11, 10 in the review's words).
    let again = agg_row(0, 1).replace("1723161599717", "1723161599900");
    let csv = [agg_row(0, 1), agg_row(1, 1), again, agg_row(2, 1)].concat();
    let mirror = Mirror::default();
    mirror.publish("data/spot/daily/aggTrades/BTCUSDT", "BTCUSDT-aggTrades-2024-08-08", &csv);
    let base = mirror.serve().await;
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "data",
        "fetch",
        "--source",
        "binance-vision",
        "--symbol",
        "BTCUSDT",
        "--kind",
        "aggTrades",
        "--from",
        "2024-08-08",
        "--to",
        "2024-08-09",
        "--out",
        "trades.csv",
        "--base-url",
        &base,
    ];
    let (code, stdout, stderr) = ctb(dir.path(), &args).await;
    assert_eq!(code, Some(0), "{stderr}");
    let expected =
        "out of order: 1 row(s) dropped, each came after a later row had been written: agg_trade_id 3735692994";
    assert!(stdout.lines().any(|l| l == expected), "{stdout}");
    let written = std::fs::read_to_string(dir.path().join("trades.csv")).unwrap();
    let ids: Vec<&str> = written.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(ids, ["3735692994", "3735692995", "3735692996"]);
}

#[tokio::test]
async fn aggregate_trades_are_cut_to_the_range_to_the_microsecond() {
    // The 9th in microseconds with sub-millisecond digits: 997 at .330400, 998 at .384000, 999 at .403000, 1000 at
    // .403600 (seconds after midnight).
    let ninth = [3, 4, 5, 6].iter().map(|&i| agg_row(i, 1000)).collect::<String>();
    let ninth = ninth
        .replace("1723161600330000", "1723161600330400")
        .replace("3735693000,3735693000,1723161600403000", "3735693000,3735693000,1723161600403600");
    let mirror = Mirror::default();
    mirror.publish("data/spot/daily/aggTrades/BTCUSDT", "BTCUSDT-aggTrades-2024-08-09", &ninth);
    let base = mirror.serve().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("trades.csv");
    let range = request(
        &base,
        VisionKind::AggTrades,
        VisionMarket::Spot,
        "2024-08-09T00:00:00.330500Z",
        "2024-08-09T00:00:00.403500Z",
    );
    let summary = fetch_vision(&range, &out, &|_, _| {}).await.unwrap();
    let written = std::fs::read_to_string(&out).unwrap();
    let ids: Vec<&str> = written.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(ids, ["3735692998", "3735692999"], "not 997 before --from nor 1000 after --to: {written}");
    assert_eq!(summary.first.unwrap().to_string(), "2024-08-09T00:00:00.384Z");
}

#[tokio::test]
async fn funding_rates_come_from_monthly_archives_cut_to_the_range() {
    let mirror = Mirror::default();
    let folder = "data/futures/um/monthly/fundingRate/BTCUSDT";
    // Settlements every 8 hours from 2023-01-31T00:00Z, stamped a millisecond or two late as Binance's are.
    let settlement =
        |i: i64, late: i64| format!("{},8,0.000{:02}000\n", 1_675_123_200_000 + i * 28_800_000 + late, 10 + i);
    let january: String = (0..3).map(|i| settlement(i, 1)).collect();
    let february: String = [3, 4, 6].iter().map(|&i| settlement(i, 2)).collect();
    let header = "calc_time,funding_interval_hours,last_funding_rate\n";
    mirror.publish(folder, "BTCUSDT-fundingRate-2023-01", &format!("{header}{january}"));
    mirror.publish(folder, "BTCUSDT-fundingRate-2023-02", &format!("{header}{february}"));
    let base = mirror.serve().await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("funding.csv");
    let funding = request(&base, VisionKind::FundingRate, VisionMarket::Um, "2023-01-31T08:00:00Z", "2023-02-03");
    let summary = fetch_vision(&funding, &out, &|_, _| {}).await.unwrap();
    assert_eq!(mirror.take_seen().len(), 4, "two monthly archives, no daily ones");
    let expected: String =
        [settlement(1, 1), settlement(2, 1), settlement(3, 2), settlement(4, 2), settlement(6, 2)].concat();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), format!("{header}{expected}"));
    assert_eq!(summary.rows, 5);
    let missing: Vec<(String, u64)> = summary
        .gaps
        .iter()
        .map(|gap| match gap {
            Gap::Settlements { from, missing, .. } => (from.to_string(), *missing),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        missing,
        [("2023-02-01T16:00:00.002Z".to_string(), 1), ("2023-02-02T08:00:00.002Z".to_string(), 2)],
        "the 16:00 settlement of the 1st, and the 2nd's last two before --to"
    );
}

/// The peak resident memory (kB) of a process while it runs, from its `/proc/<pid>/status`, polled until it exits;
/// and its exit status.
#[cfg(target_os = "linux")]
fn peak_memory_kb(mut child: std::process::Child) -> (u64, std::process::ExitStatus) {
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_file)
            && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kb = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0);
            peak = peak.max(kb);
        }
        if let Some(exit) = child.try_wait().unwrap() {
            return (peak, exit);
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// Aggregate trades `1..=count` from `start` (ms) as Binance's spot dumps write them, ten per millisecond.
fn many_trades(count: i64, start: i64) -> String {
    let mut csv = String::with_capacity(count as usize * 72);
    for id in 1..=count {
        csv.push_str(&format!("{id},61685.99000000,0.01990000,{id},{id},{},True,True\n", start + id / 10));
    }
    csv
}

/// A day of 600,000 aggregate trades (41 MB of CSV): its rows stream from the archive to the output, so the run
/// needs little more memory than a run of 1,000 trades (holding the text, its rewritten copy and the rows took
/// well over 100 MB more).
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_archive_is_streamed_to_the_output_without_holding_its_rows() {
    let mirror = Mirror::default();
    let folder = "data/spot/daily/aggTrades/BTCUSDT";
    let (small, large) = ("BTCUSDT-aggTrades-2024-08-08", "BTCUSDT-aggTrades-2024-08-09");
    let day = 86_400_000;
    let eighth = 1_723_075_200_000; // 2024-08-08T00:00:00Z
    mirror.publish_zip(folder, small, common::vision_mirror::stored_zip(small, &many_trades(1_000, eighth)));
    let csv = many_trades(600_000, eighth + day);
    let csv_kb = csv.len() as u64 / 1024;
    mirror.publish_zip(folder, large, common::vision_mirror::stored_zip(large, &csv));
    drop(csv);
    let base = mirror.serve().await;
    let dir = tempfile::tempdir().unwrap();
    let run = |from: &str, to: &str, out: &str| {
        let args = [
            "data",
            "fetch",
            "--source",
            "binance-vision",
            "--symbol",
            "BTCUSDT",
            "--kind",
            "aggTrades",
            "--from",
            from,
            "--to",
            to,
            "--out",
            out,
            "--base-url",
            base.as_str(),
        ]
        .map(str::to_string);
        let cwd = dir.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            let child = std::process::Command::new(env!("CARGO_BIN_EXE_ctb"))
                .args(&args)
                .current_dir(&cwd)
                .env_remove("LOG_LEVEL")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("run ctb");
            peak_memory_kb(child)
        })
    };
    let (baseline_kb, status) = run("2024-08-08", "2024-08-09", "small.csv").await.unwrap();
    assert!(status.success());
    let (peak_kb, status) = run("2024-08-09", "2024-08-10", "large.csv").await.unwrap();
    assert!(status.success());
    let written = std::fs::metadata(dir.path().join("large.csv")).unwrap().len() / 1024;
    assert!(written > csv_kb * 9 / 10, "{written} kB written of {csv_kb}");
    let grown = peak_kb.saturating_sub(baseline_kb);
    assert!(grown < csv_kb / 2, "{grown} kB more than for 1,000 trades ({baseline_kb} kB), for a CSV of {csv_kb} kB");
}
