//! `ctb report compare A B [C…]` through the binary, on two real backtest reports (the shipped SMA-cross and RSI
//! rule scenarios): the terminal table against each summary.json and trades.csv read here, each run's curve in
//! compare.html against its equity.csv (pixels worked back through the chart's own axis labels), no request that
//! could leave the page, the same bytes twice, the errors and their exit status, runs in different quote
//! currencies, and the page in headless Chromium.

mod common;

use common::browser::{chromium, chromium_available, root_attribute};
use common::repo;
use cryptotradebot::report::compare::{compare_table, read_runs, render_compare};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `ctb` with `args` from the repository root: exit code, stdout, stderr.
fn ctb(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ctb"))
        .args(args)
        .current_dir(repo(""))
        .env_remove("LOG_LEVEL")
        .output()
        .expect("run ctb");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// Backtests of the SMA-cross and the RSI rule scenario, each in its folder under a temporary folder.
struct Reports {
    root: tempfile::TempDir,
}

impl Reports {
    fn new() -> Reports {
        let root = tempfile::tempdir().unwrap();
        for (scenario, name) in [("scenarios/btc_sma_cross.yaml", "sma"), ("scenarios/btc_rsi_rules.yaml", "rsi")] {
            let out = root.path().join(name);
            let (code, _, stderr) = ctb(&["backtest", scenario, "--out", out.to_str().unwrap()]);
            assert_eq!(code, 0, "{stderr}");
        }
        Reports { root }
    }

    fn dir(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    fn arg(&self, name: &str) -> String {
        self.dir(name).to_str().unwrap().to_string()
    }

    /// `ctb report compare sma rsi --out PAGE`: exit code, stdout, stderr.
    fn compare(&self, page: &Path) -> (i32, String, String) {
        ctb(&["report", "compare", &self.arg("sma"), &self.arg("rsi"), "--out", page.to_str().unwrap()])
    }
}

fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

/// The `equity` column of a report's equity.csv.
fn equity_column(dir: &Path) -> Vec<f64> {
    let mut reader = csv::Reader::from_path(dir.join("equity.csv")).unwrap();
    let column = reader.headers().unwrap().iter().position(|h| h == "equity").unwrap();
    reader.records().map(|r| r.unwrap()[column].parse().unwrap()).collect()
}

/// The cells of the terminal table's row labelled `label`, label first.
fn table_row(table: &str, label: &str) -> Vec<String> {
    let line = table.lines().find(|l| l.trim_start_matches('│').trim().starts_with(label)).unwrap_or_else(|| {
        panic!("no row {label} in\n{table}");
    });
    line.trim_matches('│').split('┆').map(|c| c.trim().to_string()).collect()
}

/// The `<svg id="{id}">` element of a page.
fn chart<'a>(html: &'a str, id: &str) -> &'a str {
    let from = html.find(&format!(r#"<svg id="{id}""#)).unwrap_or_else(|| panic!("no chart {id}"));
    &html[from..from + html[from..].find("</svg>").unwrap()]
}

/// The text between `after` and the next `until`, for each occurrence of `after` in `text`.
fn between<'a>(text: &'a str, after: &str, until: char) -> Vec<&'a str> {
    text.match_indices(after)
        .map(|(i, m)| {
            let rest = &text[i + m.len()..];
            &rest[..rest.find(until).unwrap()]
        })
        .collect()
}

/// The pixel y of value `v` on a chart, from its y axis labels (round values, `12,000` or `-5.0 %`): the line
/// through the first and last labelled grid line.
fn y_of(svg: &str, v: f64) -> f64 {
    let ticks: Vec<(f64, f64)> = svg
        .split(r#"<text class="yl" "#)
        .skip(1)
        .map(|t| {
            let y: f64 = between(t, "y=\"", '"')[0].parse().unwrap();
            let label = &t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()];
            (label.replace([',', '%', ' '], "").parse().unwrap(), y)
        })
        .collect();
    assert!(ticks.len() >= 2, "{ticks:?}");
    let ((v0, y0), (v1, y1)) = (ticks[0], ticks[ticks.len() - 1]);
    y0 + (v - v0) * (y1 - y0) / (v1 - v0)
}

/// The points of run `i`'s line on a chart.
fn run_points(svg: &str, i: usize) -> Vec<(f64, f64)> {
    let group = format!(r#"<g data-run="{i}"><polyline class="run run-{i}" points=""#);
    let lines = between(svg, &group, '"');
    assert_eq!(lines.len(), 1, "one line of run {i}");
    lines[0]
        .split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

#[test]
fn the_terminal_table_shows_each_runs_final_equity_and_trade_count_as_its_summary_and_trades_csv_hold_them() {
    let reports = Reports::new();
    let page = reports.root.path().join("compare.html");
    let (code, stdout, stderr) = reports.compare(&page);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains(&format!("wrote {}", page.display())), "{stdout}");

    let header = stdout.lines().nth(1).unwrap();
    let names: Vec<&str> = header.trim_matches('│').split('┆').map(str::trim).collect();
    assert_eq!(names, ["", "btc_sma_cross", "btc_rsi_rules"]);
    let (final_equity, trades) = (table_row(&stdout, "Final equity"), table_row(&stdout, "Trades"));
    for (column, name) in [(1, "sma"), (2, "rsi")] {
        let dir = reports.dir(name);
        let summary = summary(&dir);
        let exact = summary["metrics"]["final_equity"].as_str().unwrap();
        assert_eq!(final_equity[column], format!("{exact} USDT"), "{name}: the summary's exact decimal");
        let rows = csv::Reader::from_path(dir.join("trades.csv")).unwrap().records().count();
        assert_eq!(trades[column], rows.to_string(), "{name}: one closed trade per row of trades.csv");
        assert_eq!(summary["metrics"]["trades"].as_u64(), Some(rows as u64));
    }
    assert_eq!(table_row(&stdout, "Quote currency")[1..], ["USDT", "USDT"]);
    // The same table is in the page.
    let html = std::fs::read_to_string(&page).unwrap();
    let exact = summary(&reports.dir("rsi"))["metrics"]["final_equity"].as_str().unwrap().to_string();
    assert!(html.contains(&format!("<td>{exact} USDT</td>")));
}

#[test]
fn each_run_is_one_line_per_chart_from_its_starting_equity_to_its_last_mark_of_equity_csv() {
    let reports = Reports::new();
    let page = reports.root.path().join("compare.html");
    assert_eq!(reports.compare(&page).0, 0);
    let html = std::fs::read_to_string(&page).unwrap();
    for (i, name) in ["sma", "rsi"].into_iter().enumerate() {
        let equity = equity_column(&reports.dir(name));
        let start: f64 = summary(&reports.dir(name))["metrics"]["starting_equity"].as_str().unwrap().parse().unwrap();
        // Drawn as the backtest's own chart: the starting equity at the first bar's open, then every mark.
        let (first, last) = (start, equity[equity.len() - 1]);
        let percent = |v: f64| (v / start - 1.0) * 100.0;
        for (id, values) in [("equity", (first, last)), ("returns", (percent(first), percent(last)))] {
            let svg = chart(&html, id);
            assert_eq!(svg.matches("<polyline").count(), 2, "{id}: one line per run");
            let points = run_points(svg, i);
            assert_eq!(points.len(), equity.len() + 1, "{id} {name}: the start and every mark (none decimated)");
            // Both runs start and mark the same hours: their lines span the plot from its left to its right edge.
            let (p0, p1) = (points[0], points[points.len() - 1]);
            assert_eq!((p0.0, p1.0), (76.0, 1264.0), "{id} {name}: from the start to the last mark");
            for (got, value) in [(p0.1, values.0), (p1.1, values.1)] {
                let want = y_of(svg, value);
                assert!((got - want).abs() < 0.3, "{id} {name}: y {got} for {value}, the axis puts it at {want}");
            }
        }
    }
}

#[test]
fn the_page_can_make_no_request() {
    let reports = Reports::new();
    let page = reports.root.path().join("compare.html");
    assert_eq!(reports.compare(&page).0, 0);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains(
        r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">"#
    ));
    for leak in ["http://", "https://", "src=", "href=", "url(", "<link", "@import", "<iframe", "<img"] {
        assert!(!html.contains(leak), "the page holds {leak}");
    }
}

#[test]
fn the_same_command_twice_writes_the_same_bytes() {
    let reports = Reports::new();
    let page = reports.root.path().join("compare.html");
    let (code, first_out, _) = reports.compare(&page);
    assert_eq!(code, 0);
    let first = std::fs::read(&page).unwrap();
    let (code, second_out, _) = reports.compare(&page);
    assert_eq!(code, 0);
    assert!(std::fs::read(&page).unwrap() == first, "the page differs");
    assert_eq!(first_out, second_out);
}

#[test]
fn the_page_goes_to_reports_compare_html_by_default() {
    let reports = Reports::new();
    let cwd = reports.root.path();
    let out = Command::new(env!("CARGO_BIN_EXE_ctb"))
        .args(["report", "compare", "sma", "rsi"])
        .current_dir(cwd)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(cwd.join("reports/compare.html").is_file());
}

#[test]
fn a_missing_or_malformed_file_fails_with_status_1_and_one_line_naming_it() {
    let reports = Reports::new();
    let page = reports.root.path().join("compare.html");
    let sma = reports.dir("sma");
    let check = |what: &str, expected: &[&str]| {
        let (code, stdout, stderr) = reports.compare(&page);
        assert_eq!(code, 1, "{what}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{what}: one line: {stderr}");
        assert!(!stderr.contains("panicked"), "{what}: {stderr}");
        for word in expected {
            assert!(stderr.contains(word), "{what}: the error names {word}: {stderr}");
        }
        assert!(stdout.is_empty(), "{what}: no table: {stdout}");
    };
    let keep = |name: &str| std::fs::read(sma.join(name)).unwrap();
    let (summary, equity) = (keep("summary.json"), keep("equity.csv"));

    std::fs::remove_file(sma.join("summary.json")).unwrap();
    check("no summary.json", &["sma/summary.json"]);
    std::fs::write(sma.join("summary.json"), "{\"scenario\": ").unwrap();
    check("summary.json cut short", &["sma/summary.json"]);
    std::fs::write(sma.join("summary.json"), &summary).unwrap();

    std::fs::remove_file(sma.join("equity.csv")).unwrap();
    check("no equity.csv", &["sma/equity.csv"]);
    // The header, two good rows, and at line 4 a word for the equity.
    let mut bad: Vec<&str> = std::str::from_utf8(&equity).unwrap().lines().take(3).collect();
    bad.push("2023-01-01T04:00:00Z,10000,0,ten thousand,0.000000");
    std::fs::write(sma.join("equity.csv"), bad.join("\n") + "\n").unwrap();
    check("a word for the equity", &["sma/equity.csv", "line 4", "equity", "ten thousand"]);

    let empty = reports.root.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let (code, _, stderr) = ctb(&["report", "compare", empty.to_str().unwrap(), &reports.arg("rsi")]);
    assert_eq!((code, stderr.lines().count()), (1, 1), "{stderr}");
    assert!(stderr.contains("empty holds no scenario.yaml"), "{stderr}");
}

#[test]
fn fewer_than_two_folders_is_a_usage_error() {
    let reports = Reports::new();
    let page = reports.root.path().join("compare.html");
    let (code, _, stderr) = ctb(&["report", "compare", &reports.arg("sma"), "--out", page.to_str().unwrap()]);
    assert_eq!((code, stderr.lines().count()), (1, 1), "one error line, like every other error: {stderr}");
    assert!(stderr.contains("usage: ctb report compare"), "{stderr}");
    assert!(!page.exists());
    let (code, _, stderr) = ctb(&["report", "compare"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(read_runs(&[(reports.dir("sma"), "USDT".into())]).is_err(), "the library refuses one run as well");
}

#[test]
fn runs_in_different_quote_currencies_still_compare_and_the_table_states_each_currency() {
    let reports = Reports::new();
    let runs = read_runs(&[(reports.dir("sma"), "USDT".into()), (reports.dir("rsi"), "EUR".into())]).unwrap();
    let table = compare_table(&runs);
    assert_eq!(table_row(&table, "Quote currency")[1..], ["USDT", "EUR"]);
    let exact = summary(&reports.dir("rsi"))["metrics"]["final_equity"].as_str().unwrap().to_string();
    assert_eq!(table_row(&table, "Final equity")[2], format!("{exact} EUR"));
    let html = render_compare(&runs);
    assert!(!html.contains(r#"<svg id="equity""#), "no money axis across currencies");
    assert!(html.contains("different quote currencies (USDT, EUR)"));
    assert_eq!(chart(&html, "returns").matches("<polyline").count(), 2, "both runs in percent");
}

#[test]
fn runs_of_the_same_scenario_are_told_apart_by_their_folder() {
    let reports = Reports::new();
    let copy = reports.dir("sma again");
    std::fs::create_dir(&copy).unwrap();
    for file in ["summary.json", "equity.csv", "scenario.yaml"] {
        std::fs::copy(reports.dir("sma").join(file), copy.join(file)).unwrap();
    }
    let runs = read_runs(&[(reports.dir("sma"), "USDT".into()), (copy.clone(), "USDT".into())]).unwrap();
    assert_eq!(runs[0].label, format!("btc_sma_cross ({})", reports.dir("sma").display()));
    assert_eq!(runs[1].label, format!("btc_sma_cross ({})", copy.display()));
}

#[test]
fn the_page_renders_offline_with_no_console_error() {
    if !chromium_available("compare.html") {
        return;
    }
    let reports = Reports::new();
    let page = reports.root.path().join("compare.html");
    assert_eq!(reports.compare(&page).0, 0);
    let profile = tempfile::tempdir().unwrap();
    let dom = chromium(profile.path(), &format!("file://{}", page.display()), &["--dump-dom"]);
    assert_eq!(root_attribute(&dom, "data-errors"), Some(""), "script, console or policy errors");
    assert!(root_attribute(&dom, "data-loaded").is_some(), "the page did not finish loading");
    assert_eq!(dom.matches(r#"<polyline class="run run-"#).count(), 4, "two runs in two charts");
}

#[test]
fn the_page_may_not_be_written_into_a_compared_folder() {
    let reports = Reports::new();
    let inside = reports.dir("sma").join("report.html");
    let before = std::fs::read(&inside).unwrap();
    let (code, _, stderr) = reports.compare(&inside);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("is inside the compared folder"), "{stderr}");
    assert_eq!(std::fs::read(&inside).unwrap(), before, "the run's own page is untouched");
    // Spelled another way: through a folder that does not exist yet, and through a link to the file.
    let roundabout = reports.dir("sma").join("new").join("..").join("report.html");
    assert_eq!(reports.compare(&roundabout).0, 1);
    let link = reports.root.path().join("link.html");
    std::os::unix::fs::symlink(&inside, &link).unwrap();
    assert_eq!(reports.compare(&link).0, 1);
    assert_eq!(std::fs::read(&inside).unwrap(), before, "the run's own page is untouched");
}
