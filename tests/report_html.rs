//! `report.html` without a browser: its numbers against independent computations (monthly returns by hand and
//! from equity.csv, MAE/MFE from the raw kline files, the trade data from trades.csv), decimation keeping every
//! column's extremes, same bytes on a rebuild by `ctb report`, the bar-path band, no URL that could leave the
//! file, and `ctb report`'s errors.

mod common;

use cryptotradebot::config::Scenario;
use cryptotradebot::model::Timestamp;
use cryptotradebot::report::decimate;
use cryptotradebot::report::html::{HTML_FILE, monthly_returns, yearly_returns};
use cryptotradebot::runner::run_scenario;
use rust_decimal::Decimal;
use std::str::FromStr;

fn at(rfc3339: &str) -> Timestamp {
    Timestamp(chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap().timestamp_nanos_opt().unwrap())
}

fn report_of(scenario: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    run_scenario(&Scenario::load(&common::repo(scenario)).unwrap(), dir.path()).unwrap();
    dir
}
/// The JSON array the page's script builds the trade table from.
fn trade_data(html: &str) -> Vec<serde_json::Value> {
    let start = html.find(r#"<script type="application/json" id="trade-data">"#).unwrap();
    let json = &html[start..];
    let json = &json[json.find('>').unwrap() + 1..json.find("</script>").unwrap()];
    serde_json::from_str::<serde_json::Value>(json).unwrap().as_array().unwrap().clone()
}

#[test]
fn monthly_returns_match_a_hand_computation() {
    // Start 100. January ends (close at Feb 1 00:00) at 121: +21 %. February ends at 99: 99/121 - 1 = -18.18 %.
    // March's last mark 118.8: 118.8/99 - 1 = +20 %. The year: 118.8/100 - 1 = +18.8 %.
    let marks = [
        (at("2023-01-15T12:00:00Z"), 110.0),
        (at("2023-02-01T00:00:00Z"), 121.0),
        (at("2023-02-10T00:00:00Z"), 108.9),
        (at("2023-03-01T00:00:00Z"), 99.0),
        (at("2023-03-05T00:00:00Z"), 118.8),
    ];
    let months = monthly_returns(100.0, &marks);
    let keys: Vec<(i32, u32)> = months.iter().map(|m| m.0).collect();
    assert_eq!(keys, [(2023, 1), (2023, 2), (2023, 3)]);
    for (got, want) in months.iter().map(|m| m.1).zip([0.21, 99.0 / 121.0 - 1.0, 0.2]) {
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
    let years = yearly_returns(100.0, &marks);
    assert_eq!(years.len(), 1);
    assert!((years[0].1 - 0.188).abs() < 1e-12);
}

#[test]
fn decimation_keeps_every_pixel_columns_lowest_and_highest_point() {
    // A deterministic zig-zag walk of 200,000 points drawn into 600 columns.
    let mut value = 0.0_f64;
    let points: Vec<(Timestamp, f64)> = (0..200_000_i64)
        .map(|i| {
            value += ((i * 7919) % 13) as f64 - 6.0 + if i % 997 == 0 { 500.0 } else { 0.0 };
            (Timestamp(i * 60), value)
        })
        .collect();
    let columns = 600;
    let kept = decimate(&points, columns);
    assert!(kept.len() <= 3 * columns + 1, "{} points kept", kept.len());
    let (t0, t1) = (points[0].0.0, points[points.len() - 1].0.0);
    let column = |t: Timestamp| ((t.0 - t0) as i128 * (columns as i128 - 1) / (t1 - t0) as i128) as usize;
    let mut extremes = vec![(f64::INFINITY, f64::NEG_INFINITY); columns];
    for p in &points {
        let e = &mut extremes[column(p.0)];
        *e = (e.0.min(p.1), e.1.max(p.1));
    }
    let mut found = vec![(f64::INFINITY, f64::NEG_INFINITY); columns];
    for p in &kept {
        let e = &mut found[column(p.0)];
        *e = (e.0.min(p.1), e.1.max(p.1));
    }
    assert_eq!(found, extremes, "every column keeps its min and max");
    assert_eq!((kept.first(), kept.last()), (points.first(), points.last()));
}

#[test]
fn the_shipped_scenarios_page_holds_its_trades_exactly_in_close_order_with_excursions_from_the_klines() {
    let dir = report_of("scenarios/btc_sma_cross.yaml");
    let html = std::fs::read_to_string(dir.path().join(HTML_FILE)).unwrap();
    let trades = trade_data(&html);
    let rows = common::csv_rows(&dir.path().join("trades.csv"));
    assert_eq!((trades.len(), rows.len()), (26, 26));

    // The klines, read here with the csv crate alone: open time (ms), high, low.
    let mut bars: Vec<(i64, Decimal, Decimal)> = Vec::new();
    for file in ["data/binance/BTCUSDT-1h-2023-01.csv", "data/binance/BTCUSDT-1h-2023-02.csv"] {
        for row in common::csv_rows(&common::repo(file)) {
            let d = |k: &str| Decimal::from_str(&row[k]).unwrap();
            bars.push((row["open_time"].parse().unwrap(), d("high"), d("low")));
        }
    }
    let ms = |t: &str| at(t).0 / 1_000_000;
    for (trade, row) in trades.iter().zip(&rows) {
        let text = |i: usize| trade[i].as_str().unwrap().to_string();
        // Money and quantities are the exact decimals of trades.csv, in the same (close) order.
        assert_eq!(
            (text(4), text(5), text(6), text(7), text(9)),
            (
                row["quantity"].clone(),
                row["entry_price"].clone(),
                row["exit_price"].clone(),
                row["net_pnl"].clone(),
                row["fees"].clone()
            )
        );
        assert_eq!(trade[2].as_i64().unwrap() * 1000, ms(&row["entry_time"]));
        assert_eq!(trade[3].as_i64().unwrap() * 1000, ms(&row["exit_time"]));
        assert_eq!(text(12), "MARKET", "sma_cross exits by a market order on its signal");
        // Long trips: the lowest low and highest high of the bars held (entry bar up to the exit bar), and the
        // entry and exit prices, against the entry price.
        let (entry, exit) =
            (Decimal::from_str(&row["entry_price"]).unwrap(), Decimal::from_str(&row["exit_price"]).unwrap());
        let held = bars.iter().filter(|b| b.0 >= ms(&row["entry_time"]) && b.0 < ms(&row["exit_time"]));
        let (low, high) = held.fold((entry.min(exit), entry.max(exit)), |(l, h), b| (l.min(b.2), h.max(b.1)));
        let pct = |p: Decimal| ((p - entry) * Decimal::ONE_HUNDRED / entry).round_dp(2).to_string();
        assert_eq!((text(10), text(11)), (pct(low), pct(high)), "MAE/MFE of trade {}", row["trade"]);
    }
}

#[test]
fn the_monthly_table_agrees_with_equity_csv() {
    let dir = report_of("scenarios/btc_sma_cross.yaml");
    let html = std::fs::read_to_string(dir.path().join(HTML_FILE)).unwrap();
    let equity = common::csv_rows(&dir.path().join("equity.csv"));
    let value =
        |time: &str| equity.iter().find(|r| r["time"] == time).map(|r| r["equity"].parse::<f64>().unwrap()).unwrap();
    let (january_end, last) = (value("2023-02-01T00:00:00Z"), value("2023-03-01T00:00:00Z"));
    let january = format!("{:.2} %", (january_end / 10_000.0 - 1.0) * 100.0);
    let february = format!("{:.2} %", (last / january_end - 1.0) * 100.0);
    let table = &html[html.find(r#"<table class="monthly">"#).unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    let cells: Vec<&str> = table.split("</td>").filter_map(|c| c.rsplit('>').next()).collect();
    assert_eq!(&cells[..2], [january.as_str(), february.as_str()], "{table}");
    assert_eq!(january, "20.85 %");
}

#[test]
fn ctb_report_rebuilds_the_same_bytes_including_the_bar_path_band() {
    for (scenario, band) in [("scenarios/btc_sma_cross.yaml", false), ("scenarios/btc_bracket_ambiguity.yaml", true)] {
        let dir = report_of(scenario);
        let written = std::fs::read(dir.path().join(HTML_FILE)).unwrap();
        let html = String::from_utf8(written.clone()).unwrap();
        assert_eq!(dir.path().join("equity_bar_paths.csv").is_file(), band, "{scenario}");
        assert_eq!(html.contains(r#"<polygon class="ambiguity""#), band, "{scenario}");
        std::fs::remove_file(dir.path().join(HTML_FILE)).unwrap();
        let folder = dir.path().to_str().unwrap();
        let (ok, stdout, stderr) = common::ctb(&common::repo(""), &["report", folder, "--scenario-dir", "scenarios"]);
        assert!(ok, "{stderr}");
        assert!(stdout.contains(HTML_FILE), "{stdout}");
        assert!(std::fs::read(dir.path().join(HTML_FILE)).unwrap() == written, "{scenario}: the rebuild differs");
    }
}

#[test]
fn the_page_can_make_no_request() {
    let dir = report_of("scenarios/btc_bracket_ambiguity.yaml");
    let html = std::fs::read_to_string(dir.path().join(HTML_FILE)).unwrap();
    assert!(html.contains(
        r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">"#
    ));
    for attribute in ["src=", "href=", "url("] {
        for (i, _) in html.match_indices(attribute) {
            let value = html[i + attribute.len()..].trim_start_matches(['"', '\'']);
            assert!(
                !(value.starts_with("http:") || value.starts_with("https:") || value.starts_with("//")),
                "{attribute} leaves the file: {}",
                &html[i..(i + 60).min(html.len())]
            );
        }
    }
    assert!(!html.contains("<link") && !html.contains("@import") && !html.contains("<iframe"));
}

#[test]
fn ctb_report_says_what_the_folder_lacks() {
    let empty = tempfile::tempdir().unwrap();
    let (ok, _, stderr) = common::ctb(empty.path(), &["report", "."]);
    assert!(!ok && stderr.contains("holds no scenario.yaml"), "{stderr}");

    let dir = report_of("scenarios/btc_sma_cross.yaml");
    let folder = dir.path().to_str().unwrap();
    let (ok, _, stderr) = common::ctb(&common::repo(""), &["report", folder]);
    assert!(!ok && stderr.contains("--scenario-dir") && stderr.contains("BTCUSDT-1h-2023-01.csv"), "{stderr}");

    std::fs::write(dir.path().join("trades.csv"), "trade,symbol\n1,BTCUSDT\n").unwrap();
    let (ok, _, stderr) = common::ctb(&common::repo(""), &["report", folder, "--scenario-dir", "scenarios"]);
    assert!(!ok && stderr.contains("trades.csv") && stderr.contains("direction"), "{stderr}");

    std::fs::remove_file(dir.path().join("fills.csv")).unwrap();
    let (ok, _, stderr) = common::ctb(&common::repo(""), &["report", folder, "--scenario-dir", "scenarios"]);
    assert!(!ok && stderr.contains("fills.csv"), "{stderr}");
}
