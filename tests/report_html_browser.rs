//! `report.html` of the shipped scenario in headless Chromium (Debian's `chromium`): no console or script error,
//! nothing blocked by the page's no-network policy, 26 trade rows and 52 entry/exit markers in the DOM, the table
//! sorted as asked, and a screenshot that is not blank; and the shipped sweep's `sweep/report.html`: no error, its
//! script run, one heatmap cell per combination (90). Skipped with a note when `chromium` is not installed,
//! unless `CTB_REQUIRE_CHROMIUM=1` (set by `.ci/run`, which installs it).

mod common;

use common::browser::{chromium, chromium_available, root_attribute};
use common::repo;
use cryptotradebot::config::Scenario;
use cryptotradebot::report::html::HTML_FILE;
use cryptotradebot::runner::{plan_sweep, run_scenario};
use cryptotradebot::sweep::Shard;
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use std::str::FromStr;

#[test]
fn the_shipped_scenarios_page_renders_offline_with_every_trade_and_marker() {
    if !chromium_available("report.html") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let scenario = Scenario::load(&repo("scenarios/btc_sma_cross.yaml")).unwrap();
    run_scenario(&scenario, dir.path()).unwrap();
    let page = dir.path().join(HTML_FILE);
    let url = format!("file://{}", page.display());
    let profile = tempfile::tempdir().unwrap();

    // Sorted by net PnL, largest first, through the page's own sort (the #sort= fragment).
    let dom = chromium(profile.path(), &format!("{url}#sort=-pnl"), &["--dump-dom"]);
    assert_eq!(root_attribute(&dom, "data-errors"), Some(""), "script, console or policy errors");
    assert!(root_attribute(&dom, "data-ready").is_some(), "the page's script did not finish");
    assert_eq!(root_attribute(&dom, "data-trades"), Some("26"));

    // Rows are `<tr class="trade" id="trade-N"`; the script's own text (also in the DOM) has no number there.
    let rows: Vec<usize> = dom
        .match_indices(r#"<tr class="trade" id="trade-"#)
        .filter_map(|(i, m)| {
            let rest = &dom[i + m.len()..];
            rest[..rest.find('"')?].parse().ok()
        })
        .collect();
    assert_eq!(rows.len(), 26, "trade rows in the table");
    let markers = |kind: &str| {
        ["long", "short"]
            .iter()
            .map(|side| dom.matches(&format!(r#"<path class="marker {kind} {side}""#)).count())
            .sum::<usize>()
    };
    assert_eq!((markers("entry"), markers("exit")), (26, 26), "entry and exit markers on the price chart");

    let mut reader = csv::Reader::from_path(dir.path().join("trades.csv")).unwrap();
    let mut by_pnl: Vec<(Decimal, usize)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (Decimal::from_str(&r[10]).unwrap(), r[0].parse().unwrap())
        })
        .collect();
    by_pnl.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    assert_eq!(rows, by_pnl.iter().map(|p| p.1).collect::<Vec<_>>(), "rows sorted by net PnL, descending");

    let shot = dir.path().join("shot.png");
    chromium(profile.path(), &url, &["--window-size=1400,2400", &format!("--screenshot={}", shot.display())]);
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((info.width, info.height), (1400, 2400));
    let channels = info.line_size / info.width as usize;
    let colours: BTreeSet<&[u8]> = pixels[..info.buffer_size()].chunks(channels).map(|p| &p[..3]).collect();
    let background = pixels[..info.buffer_size()]
        .chunks(channels)
        .filter(|p| p[..3] == [255, 255, 255] || p[..3] == [0xf6, 0xf7, 0xf9])
        .count();
    let total = (info.width * info.height) as usize;
    assert!(colours.len() > 200, "only {} distinct colours: blank?", colours.len());
    assert!(background * 10 < total * 9, "{background} of {total} pixels are background");
}

#[test]
fn the_sweep_page_renders_offline_with_a_heatmap_cell_per_combination() {
    if !chromium_available("sweep/report.html") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let scenario = Scenario::load(&repo("scenarios/btc_sma_sweep.yaml")).unwrap();
    let plan = plan_sweep(&scenario).unwrap();
    plan.run(dir.path(), Shard::ALL, &std::sync::atomic::AtomicBool::new(false), &|| {}).unwrap();
    let url = format!("file://{}", dir.path().join("sweep").join(HTML_FILE).display());
    let profile = tempfile::tempdir().unwrap();
    let dom = chromium(profile.path(), &url, &["--dump-dom"]);
    assert_eq!(root_attribute(&dom, "data-errors"), Some(""), "script, console or policy errors");
    assert!(root_attribute(&dom, "data-ready").is_some(), "the page's script did not finish");
    assert_eq!(root_attribute(&dom, "data-cells"), Some("90"));
    assert_eq!(dom.matches(r#"<rect class="cell"#).count(), 90, "heatmap cells in the DOM");
    assert_eq!(dom.matches(r#"<tr id="combination-"#).count(), 90, "ranking rows in the DOM");
}
