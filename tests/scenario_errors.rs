//! Bad scenarios and bad data reach the user as one readable line naming the file and key (or row and column),
//! through the library as typed errors and through `ctb` as a non-zero exit — never as a panic.

mod common;

use rstest::rstest;

use cryptotradebot::Error;
use cryptotradebot::config::Scenario;

const BASE: &str = "name: t
data:
  - { path: bars.csv, format: csv, symbol: BTCUSDT }
strategy: { kind: sma_cross, params: { fast: 2, slow: 3 } }
exchange:
  instruments:
    BTCUSDT: { tick_size: 0.01, lot_size: 0.001, min_notional: 1 }
portfolio: { quote: USDT, starting_cash: 1000 }
";

fn parse(text: &str) -> cryptotradebot::Result<Scenario> {
    Scenario::parse(std::path::Path::new("scenarios/t.yaml"), text.to_string())
}

#[test]
fn the_base_scenario_is_valid_and_resolves_paths_against_its_folder() {
    let s = parse(BASE).unwrap();
    assert_eq!(s.data[0].file.path, std::path::Path::new("scenarios/bars.csv"));
    assert_eq!(s.setup.venues[0].instruments[0].base, "BTC", "base derived from symbol and quote");
    assert_eq!(s.setup.venues[0].sim.taker_fee, rust_decimal::dec!(0.001), "10 bps by default");
}

#[rstest]
#[case::unknown_top_level_key(BASE.replace("name: t", "name: t\nslipage: 3"), "slipage")]
#[case::unknown_exchange_key(BASE.replace("exchange:", "exchange:\n  fees: 3"), "fees")]
#[case::unknown_instrument_key(BASE.replace("min_notional: 1", "min_notional: 1, tick: 2"), "tick")]
#[case::unknown_data_key(BASE.replace("symbol: BTCUSDT }", "symbol: BTCUSDT, sep: x }"), "sep")]
#[case::unknown_strategy_param(BASE.replace("fast: 2", "fst: 2"), "fst")]
#[case::unknown_risk_key(format!("{BASE}risk: {{ max_position_size: 5 }}\n"), "max_position_size")]
#[case::unknown_format(BASE.replace("format: csv", "format: xlsx"), "xlsx")]
#[case::missing_key(BASE.replace("portfolio: { quote: USDT, starting_cash: 1000 }\n", ""), "portfolio")]
#[case::unknown_strategy(BASE.replace("kind: sma_cross", "kind: rsi_magic"), "rsi_magic")]
#[case::fast_not_below_slow(BASE.replace("fast: 2", "fast: 5"), "fast < slow")]
#[case::risk_out_of_range(format!("{BASE}risk: {{ max_drawdown_percent: -3 }}\n"), "max_drawdown_percent")]
#[case::zero_cash(BASE.replace("starting_cash: 1000", "starting_cash: 0"), "portfolio.starting_cash")]
#[case::bad_name(BASE.replace("name: t", "name: ../evil"), "name '../evil'")]
#[case::zero_lot(BASE.replace("lot_size: 0.001", "lot_size: 0"), "lot_size")]
#[case::bad_fee(BASE.replace("exchange:", "exchange:\n  fee_bps: { maker: -1, taker: 10 }"), "exchange.fee_bps.maker")]
#[case::window_too_long_to_allocate(BASE.replace("slow: 3", "slow: 9223372036854775807"), "strategy.params.slow")]
#[case::correlation_window_too_long_to_allocate(
    format!("{BASE}risk_policy: {{ correlation: {{ window: 1000000000000, threshold: 0.7 }} }}\n"),
    "risk_policy.correlation.window 1000000000000 bars is more than the 1000000"
)]
#[case::cool_off_past_the_clock(
    format!("{BASE}risk: {{ cooling_off_period_hours: 2562048, max_consecutive_losses: 1 }}\n"),
    "cooling_off_period_hours must be at most 876000"
)]
#[case::zero_order_rate(
    BASE.replace("exchange:", "exchange:\n  rate_limits: { orders_per_second: 0 }"),
    "exchange.rate_limits.orders_per_second: must be at least 1"
)]
fn bad_scenarios_are_errors_naming_the_file_and_key(#[case] text: String, #[case] key: &str) {
    let err = parse(&text).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::Config(_) | Error::Validation(_)), "{err:?}");
    assert!(message.contains(key), "message does not name `{key}`: {message}");
    assert!(message.contains("t.yaml"), "message does not name the file: {message}");
    assert!(!message.contains('\n'), "one line: {message}");
}

#[test]
fn a_risk_file_that_does_not_exist_is_an_error_naming_the_scenario_and_its_risk_key() {
    // Found by tests/fuzz_parsers.rs: a scenario cut after `risk:` and the first letter of a key names a risk file
    // "m"; the error named only the missing file.
    let message = parse(&format!("{BASE}risk: m\n")).unwrap_err().to_string();
    assert!(message.contains("t.yaml: risk") && message.contains("scenarios/m"), "{message}");
    assert!(!message.contains('\n'), "one line: {message}");
}

#[test]
fn a_risk_file_in_the_seed_format_is_read_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    common::write(
        dir.path(),
        "risk.yaml",
        "risk_limits:\n  max_position_size_percent: 25.0\n  max_drawdown_percent: 12\n",
    );
    let s = Scenario::parse(&dir.path().join("s.yaml"), format!("{BASE}risk: risk.yaml\n")).unwrap();
    assert_eq!(s.setup.risk.max_position_size_percent, rust_decimal::dec!(25));
    assert_eq!(s.setup.risk.max_daily_loss_percent, rust_decimal::dec!(5), "unset keys keep the seed's defaults");
    common::write(dir.path(), "risk.yaml", "risk_limits:\n  max_open_positions: 0\n");
    let err = Scenario::parse(&dir.path().join("s.yaml"), format!("{BASE}risk: risk.yaml\n")).unwrap_err();
    assert!(matches!(err, Error::Validation(_)) && err.to_string().contains("max_open_positions"), "{err}");
}

#[test]
fn the_shipped_risk_config_has_the_seeds_values() {
    let limits = cryptotradebot::config::read_risk_limits(&common::repo("config/risk_management.yaml")).unwrap();
    assert_eq!(limits, cryptotradebot::risk::RiskLimits::default());
}

#[rstest]
#[case::malformed_data_row(
    "timestamp,open,high,low,close,volume\n2024-01-01,1,1,1,1,1\n2024-01-02,1,0.5,1,1,1\n",
    BASE,
    "bars.csv: line 3, column 'high'"
)]
#[case::close_beyond_fixed_point(
    "timestamp,open,high,low,close,volume\n2024-01-01,1,2,1,1,1\n2024-01-02,1,2,1,1.0000000000000000001,1\n",
    BASE,
    "bars.csv: line 2, column 'close': 1 does not fit 64-bit fixed point at 19 decimals"
)]
#[case::warm_up_longer_than_the_data(
    "timestamp,open,high,low,close,volume\n2024-01-01,1,2,1,1,1\n2024-01-02,1,2,1,1,1\n",
    BASE,
    "strategy.params: sma_cross needs 4 bars before its first decision, but the longest series has 2"
)]
#[case::unknown_key("timestamp,open,high,low,close,volume\n", &BASE.replace("name: t", "name: t\nbogus: 1"), "bogus")]
#[case::missing_data_file("", &BASE.replace("bars.csv", "missing.csv"), "missing.csv")]
fn ctb_exits_non_zero_with_one_readable_line(#[case] bars: &str, #[case] scenario: &str, #[case] expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    common::write(dir.path(), "bars.csv", bars);
    common::write(dir.path(), "s.yaml", scenario);
    let (ok, stdout, stderr) = common::ctb(dir.path(), &["backtest", "s.yaml"]);
    assert!(!ok, "expected failure, got: {stdout}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "exactly one line: {stderr}");
    assert!(lines[0].starts_with("error: ") && lines[0].contains(expected), "{stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn ctb_help_lists_the_commands_and_backtest_help_documents_every_flag() {
    let here = common::repo("");
    let (ok, help, _) = common::ctb(&here, &["--help"]);
    for command in ["backtest", "sweep", "data", "exchange", "paper", "live", "reconcile", "validate"] {
        assert!(ok && help.contains(command), "{command}: {help}");
    }
    let (ok, help, _) = common::ctb(&here, &["backtest", "--help"]);
    assert!(ok && help.contains("--out <DIR>") && help.contains("--quiet") && help.contains("[SCENARIO]"), "{help}");
    assert!(help.contains("--replay <RECORDING>"), "{help}");
}

#[rstest]
#[case::not_a_decimal(
    BASE.replace("starting_cash: 1000", "starting_cash: abc"),
    "portfolio.starting_cash: \"abc\" is not a decimal number (line 8, column"
)]
#[case::in_a_list_item(BASE.replace("format: csv", "format: bk"), "data[0].format: unknown variant `bk`")]
#[case::in_a_flow_mapping(
    BASE.replace("tick_size: 0.01", "tick_size: 1e400"),
    "exchange.instruments.BTCUSDT.tick_size: non-finite float `1e400` is not a finite number"
)]
#[case::not_a_whole_number(BASE.replace("fast: 2", "fast: two"), "strategy.params of sma_cross: string \"two\", expected a whole number")]
#[case::a_tab(BASE.replace("name: t\n", "name: t\n\tseed: 1\n"), "a tab: YAML indents with spaces")]
fn yaml_errors_name_the_key_path_in_plain_words_not_the_parsers(#[case] text: String, #[case] expected: &str) {
    let message = parse(&text).unwrap_err().to_string();
    assert!(message.contains(expected), "expected `{expected}` in: {message}");
    for jargon in ["usize", "u64", "Decimal type", "fixed-point", "configured policy", "scalar", "invalid type"] {
        assert!(!message.contains(jargon), "the parser's words `{jargon}` leak: {message}");
    }
    assert!(!message.contains('\n'), "one line: {message}");
}

#[test]
fn a_correlation_window_longer_than_the_data_is_refused_naming_the_key() {
    // Five bars give four returns: a window of five could never fill, so the rule would silently never act.
    let dir = tempfile::tempdir().unwrap();
    let bars = (0..5).fold("timestamp,open,high,low,close,volume\n".to_string(), |text, hour| {
        text + &format!("2024-01-01T{hour:02}:00:00Z,1,2,1,1,1\n")
    });
    common::write(dir.path(), "a.csv", &bars);
    common::write(dir.path(), "b.csv", &bars);
    let scenario = "name: t
data:
  - { path: a.csv, format: csv, symbol: AAAUSDT }
  - { path: b.csv, format: csv, symbol: BBBUSDT }
strategy: { kind: sma_cross, params: { fast: 1, slow: 2 } }
exchange:
  instruments:
    AAAUSDT: { tick_size: 0.01, lot_size: 0.001, min_notional: 1 }
    BBBUSDT: { tick_size: 0.01, lot_size: 0.001, min_notional: 1 }
portfolio: { quote: USDT, starting_cash: 1000 }
risk_policy: { correlation: { window: 5, threshold: 0.7 } }
";
    common::write(dir.path(), "s.yaml", scenario);
    let (ok, _, stderr) = common::ctb(dir.path(), &["backtest", "s.yaml"]);
    assert!(!ok, "accepted");
    assert!(
        stderr.contains("risk_policy.correlation.window: 5 bars of returns, but the longest series has 5"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    common::write(dir.path(), "s.yaml", &scenario.replace("window: 5", "window: 4"));
    let (ok, _, stderr) = common::ctb(dir.path(), &["backtest", "s.yaml", "--quiet"]);
    assert!(ok, "a window the data can fill runs: {stderr}");
}
