//! The sweep's pages without a browser, each checked against the files beside it read independently here:
//! `sweep/report.html` of the shipped sweep (90 fast/slow pairs) has one heatmap cell per combination holding its
//! objective from `results.csv`, the best cell links to the kept `best/report.html`, the ranking table is
//! `results.csv` in rank order; a one-parameter sweep draws a bar per value; `walk_forward/report.html` lists every
//! window with the parameters `windows.csv` holds; and neither page can make a request.

mod common;

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::Path;

const SCENARIO: &str = "scenarios/btc_sma_sweep.yaml";

/// Runs `ctb` in the repository with `args`, asserting success.
fn ctb(args: &[&str]) {
    let (ok, stdout, stderr) = common::ctb(&common::repo(""), args);
    assert!(ok, "ctb {args:?} failed: {stdout}{stderr}");
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A CSV file's header.
fn csv_header(path: &Path) -> Vec<String> {
    csv::Reader::from_path(path).unwrap().headers().unwrap().iter().map(String::from).collect()
}

/// The text of HTML with its five escapes undone.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// Every start tag of `html` that begins with `prefix` (such as `<rect class="cell`), with its offset.
fn tags<'a>(html: &'a str, prefix: &str) -> Vec<(usize, &'a str)> {
    html.match_indices(prefix).map(|(i, _)| (i, &html[i..i + html[i..].find('>').unwrap() + 1])).collect()
}

/// The value of attribute `name` in start tag `tag`.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(unescape(&tag[at..at + tag[at..].find('"')?]))
}

/// The part of `html` from `start` to the next `end`.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html.find(start).unwrap_or_else(|| panic!("no {start}"));
    &html[from..from + html[from..].find(end).unwrap()]
}

/// The rows of the table whose start tag begins `start`: each row's `data-v` values, in column order.
fn table_rows(html: &str, start: &str) -> Vec<Vec<String>> {
    let table = between(html, start, "</table>");
    let body = &table[table.find("<tbody>").unwrap()..];
    body.split("<tr")
        .skip(1)
        .map(|row| tags(row, "<td").iter().map(|(_, td)| attribute(td, "data-v").unwrap()).collect())
        .collect()
}

/// `results.csv`'s rows in rank order by `objective` (larger first, ties by combination number, empty last).
fn ranked(rows: &[BTreeMap<String, String>], objective: &str) -> Vec<BTreeMap<String, String>> {
    let mut rows = rows.to_vec();
    let score = |r: &BTreeMap<String, String>| r[objective].parse::<f64>().ok();
    let number = |r: &BTreeMap<String, String>| r["combination"].parse::<usize>().unwrap();
    rows.sort_by(|a, b| match (score(a), score(b)) {
        (Some(x), Some(y)) => y.partial_cmp(&x).unwrap().then(number(a).cmp(&number(b))),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => number(a).cmp(&number(b)),
    });
    rows
}

/// The page may make no request: the no-request policy, and no address, source or style outside the file.
fn assert_offline(html: &str) {
    assert!(html.contains(r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">"#));
    assert!(!html.contains("http://") && !html.contains("https://"), "an address leaves the file");
    assert!(!html.contains(" src="), "a source outside the file");
    for (_, a) in tags(html, "<a ") {
        let href = attribute(a, "href").unwrap();
        assert!(!href.contains(':') && !href.starts_with("//") && !href.starts_with('/'), "{href} is not relative");
    }
    assert!(!html.contains("<link") && !html.contains("@import") && !html.contains("<iframe"));
}

#[test]
fn the_heatmap_has_a_cell_per_combination_holding_its_objective_and_the_best_cell_opens_the_kept_report() {
    let dir = tempfile::tempdir().unwrap();
    ctb(&["sweep", SCENARIO, "--quiet", "--out", dir.path().to_str().unwrap()]);
    let sweep = dir.path().join("sweep");
    let html = read(&sweep.join("report.html"));
    let results = common::csv_rows(&sweep.join("results.csv"));
    assert_eq!(results.len(), 90);
    let cells = tags(&html, r#"<rect class="cell"#);
    assert_eq!(cells.len(), 90, "one cell per combination of the grid");
    let mut seen = Vec::new();
    for (offset, cell) in &cells {
        let n: usize = attribute(cell, "data-n").unwrap().parse().unwrap();
        let row = results.iter().find(|r| r["combination"] == n.to_string()).unwrap();
        assert_eq!(attribute(cell, "data-value").as_deref(), Some(row["sharpe"].as_str()), "combination {n}");
        let title = unescape(between(&html[*offset..], "<title>", "</title>"));
        let sharpe: f64 = row["sharpe"].parse().unwrap();
        let described = format!("combination {n}: fast={}, slow={}", row["fast"], row["slow"]);
        assert!(title.contains(&described) && title.contains(&format!("Sharpe: {sharpe:.3}")), "{title}");
        assert!(title.contains(&format!("Trades: {}", row["trades"])), "{title}");
        seen.push(n);
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..90).collect::<Vec<_>>());

    // The best combination by Sharpe, ranked here from results.csv, is the one kept cell; it links to its report.
    let best = ranked(&results, "sharpe")[0]["combination"].clone();
    let kept: Vec<&(usize, &str)> =
        cells.iter().filter(|(_, c)| attribute(c, "class").unwrap().contains("kept")).collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(attribute(kept[0].1, "data-n"), Some(best));
    assert!(html[..kept[0].0].ends_with(r#"<a href="best/report.html">"#), "the kept cell is a link to its report");
    assert!(sweep.join("best/report.html").is_file());
    assert!(html.contains("kept: combination") && html.contains("objective <b>sharpe</b>"));
    assert!(html.contains("finished <b>90</b> of 90"));
    assert_offline(&html);
}

#[test]
fn the_ranking_table_is_results_csv_in_rank_order() {
    let dir = tempfile::tempdir().unwrap();
    ctb(&["sweep", SCENARIO, "--quiet", "--out", dir.path().to_str().unwrap()]);
    let sweep = dir.path().join("sweep");
    let html = read(&sweep.join("report.html"));
    let header = csv_header(&sweep.join("results.csv"));
    let expected: Vec<Vec<String>> = ranked(&common::csv_rows(&sweep.join("results.csv")), "sharpe")
        .iter()
        .enumerate()
        .map(|(i, row)| std::iter::once((i + 1).to_string()).chain(header.iter().map(|h| row[h].clone())).collect())
        .collect();
    let table = table_rows(&html, r#"<table id="ranking""#);
    assert_eq!(table.len(), 90);
    assert_eq!(table, expected, "rank, then every field of results.csv");
}

#[test]
fn a_one_parameter_sweep_draws_a_bar_per_value_and_no_heatmap() {
    let dir = tempfile::tempdir().unwrap();
    let text = read(&common::repo(SCENARIO)).replace("../data", common::repo("data").to_str().unwrap());
    let text = text.replace("    slow: 20..200 step 20\n", "").replace("[\"fast < slow\"]", "[\"fast < 30\"]");
    let scenario = common::write(dir.path(), "one.yaml", &text);
    let out = dir.path().join("out");
    ctb(&["sweep", scenario.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()]);
    let html = read(&out.join("sweep/report.html"));
    assert!(html.contains(r#"<svg id="objective-bars""#) && !html.contains(r#"<svg id="heatmap""#));
    let bars: Vec<String> =
        tags(&html, r#"<rect class="cell"#).iter().map(|(_, c)| attribute(c, "data-n").unwrap()).collect();
    assert_eq!(bars, ["0", "1", "2", "3", "4"], "fast 5, 10, … 25 (below slow, 30) in order");
    assert_eq!(table_rows(&html, r#"<table id="ranking""#).len(), 5);
}

#[test]
fn the_walk_forward_page_lists_every_window_with_the_parameters_windows_csv_holds() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    ctb(&["sweep", SCENARIO, "--quiet", "--out", out, "--walk-forward", "train=336,test=168"]);
    let folder = dir.path().join("walk_forward");
    let html = read(&folder.join("report.html"));
    let windows = common::csv_rows(&folder.join("windows.csv"));
    assert_eq!(windows.len(), 7);
    let table = table_rows(&html, r#"<table id="windows""#);
    assert_eq!(table.len(), windows.len(), "one row per window");
    for (row, csv) in table.iter().zip(&windows) {
        let columns =
            ["window", "train_from", "test_from", "test_to", "combination", "fast", "slow", "train_objective"];
        let fields: Vec<&str> = columns.iter().map(|c| csv[*c].as_str()).collect();
        assert_eq!(row[..8].iter().map(String::as_str).collect::<Vec<_>>(), fields, "window {}", csv["window"]);
        assert_eq!(
            (row[11].as_str(), row[12].as_str()),
            (csv["test_start_equity"].as_str(), csv["test_end_equity"].as_str())
        );
        // Out of sample: the window's return from its start and end equity.
        let (start, end): (f64, f64) =
            (csv["test_start_equity"].parse().unwrap(), csv["test_end_equity"].parse().unwrap());
        let oos: f64 = row[10].parse().unwrap();
        assert!((oos - (end / start - 1.0)).abs() < 1e-12, "{oos}");
    }
    // The summary's out-of-sample objective per window is the page's.
    let summary: serde_json::Value = serde_json::from_str(&read(&folder.join("summary.json"))).unwrap();
    for (row, w) in table.iter().zip(summary["windows"].as_array().unwrap()) {
        // (serde_json reads floats to within an ulp or so, so the comparison allows that much.)
        match (row[8].parse::<f64>().ok(), w["test_score"].as_f64()) {
            (Some(page), Some(summary)) => assert!((page - summary).abs() <= 1e-12 * summary.abs().max(1.0)),
            (page, summary) => assert_eq!((page, summary), (None, None)),
        }
    }
    // The stitched curve marks where each window's test span starts; each window has its in/out chart.
    let stitched = between(&html, r#"<svg id="stitched""#, "</svg>");
    assert_eq!(stitched.matches(r#"<line class="boundary""#).count(), 7);
    for k in 0..7 {
        let chart = between(&html, &format!(r#"<svg id="window-{k}-equity""#), "</svg>");
        assert!(chart.contains(r#"<polyline class="in-sample""#) && chart.contains(r#"<polyline class="equity""#));
    }
    assert_offline(&html);
}

#[test]
fn the_walk_forward_page_is_the_same_bytes_on_one_and_two_threads() {
    let pages: Vec<Vec<u8>> = ["1", "2"]
        .iter()
        .map(|threads| {
            let dir = tempfile::tempdir().unwrap();
            let args = [
                "sweep",
                SCENARIO,
                "--quiet",
                "--out",
                dir.path().to_str().unwrap(),
                "--walk-forward",
                "train=336,test=168",
            ];
            let (ok, _, stderr) = common::ctb_with_env(&common::repo(""), &args, &[("RAYON_NUM_THREADS", threads)]);
            assert!(ok, "{stderr}");
            std::fs::read(dir.path().join("walk_forward/report.html")).unwrap()
        })
        .collect();
    assert!(pages[0] == pages[1], "the pages differ");
}
