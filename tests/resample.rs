//! `ctb data resample`: the trades of the shipped BTCUSDT and ETHUSDT captures, resampled to 5 seconds with the
//! recording's cut-short first and last bars dropped, give exactly the 5-second bars shipped in data/binance/ — which
//! were aggregated from the raw files independently (Python, exact decimals; method in data/README.md).

mod common;

use cryptotradebot::data::{DataFile, DataFormat, load_bar_series};
use cryptotradebot::model::{BarSeries, Symbol};

fn bars(path: &std::path::Path) -> BarSeries {
    let file = DataFile { path: path.to_path_buf(), format: DataFormat::Csv };
    load_bar_series(Symbol::new("DATA").unwrap(), &[file]).unwrap().0
}

#[test]
fn five_second_bars_from_the_captures_trades_equal_the_independently_made_ones() {
    let dir = tempfile::tempdir().unwrap();
    for symbol in ["BTCUSDT", "ETHUSDT"] {
        let capture = common::repo(&format!("data/binance/l2/{symbol}-depth-trades-2024-08-08.gz"));
        let out = dir.path().join(format!("{symbol}-5s.csv"));
        let args = [
            "data",
            "resample",
            capture.to_str().unwrap(),
            "--symbol",
            symbol,
            "--interval",
            "5s",
            "--drop-edges",
            "--out",
            out.to_str().unwrap(),
        ];
        let (ok, stdout, stderr) = common::ctb(dir.path(), &args);
        assert!(ok, "{stderr}");
        assert!(stdout.contains("129 bars of 5s from"), "{stdout}");
        let (made, shipped) = (bars(&out), bars(&common::repo(&format!("data/binance/{symbol}-5s-2024-08-08.csv"))));
        assert_eq!(made.open_time, shipped.open_time, "{symbol}");
        assert_eq!((&made.open, &made.high, &made.low), (&shipped.open, &shipped.high, &shipped.low), "{symbol}");
        assert_eq!((&made.close, &made.volume), (&shipped.close, &shipped.volume), "{symbol}");
    }
}
