//! The indicator library (`strategy::indicators`) against golden vectors, and the streaming property every
//! indicator must have.
//!
//! `tests/data/indicators/goldens.csv` holds the 1,416 shipped BTCUSDT hourly bars and, per bar, each indicator's
//! value as TA-Lib computes it (or, for what TA-Lib lacks, a plain-Python reference); `goldens_scaled.csv` the same
//! for the same bars with high, low and close scaled by 1e-9 (a coin around $0.00002; volume as shipped), on which
//! no indicator may collapse to an absolute zero threshold; `lookbacks.csv` holds TA-Lib's lookback per indicator.
//! All come from `scripts/indicator_goldens.py`; nothing here runs Python. Every indicator is checked on both sets:
//! values must agree to 1e-9 relative (1e-9 absolute below 1, or below 1e-9 for a column in price units of the
//! scaled set), exact indicators exactly, and `warm_up()` must equal the lookback.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::OnceLock;

use cryptotradebot::model::{NANOS_PER_MILLI, Timestamp};
use cryptotradebot::strategy::indicators::*;
use rust_decimal::Decimal;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/indicators");
/// Decimals of the shipped prices: the fixed-point scale of the exact indicators on them.
const SCALE: u32 = 8;
/// The scaled set's prices are the shipped ones times 10^-PRICE_SHIFT.
const PRICE_SHIFT: u32 = 9;
/// Columns in price units (as `PRICE_COLUMNS` in the script): their absolute floor scales with the prices.
const PRICE_COLUMNS: &[&str] = &[
    "sma",
    "ema",
    "wma",
    "dema",
    "tema",
    "hma",
    "kama",
    "session_vwap",
    "rolling_vwap",
    "mom",
    "macd",
    "macd_signal",
    "macd_hist",
    "trange",
    "atr",
    "bb_upper",
    "bb_middle",
    "bb_lower",
    "kc_upper",
    "kc_middle",
    "kc_lower",
    "dc_upper",
    "dc_lower",
    "dc_middle",
    "stddev",
    "linreg_slope",
    "highest",
    "lowest",
];

/// One golden set: the bars, their exact fixed-point prices at `scale`, and every indicator column.
struct Golden {
    /// Which set, for messages.
    name: &'static str,
    /// Fixed-point scale of the exact indicators' prices.
    scale: u32,
    /// One unit of price (1 shipped, 1e-9 scaled): the absolute floor of a price column's tolerance.
    unit: f64,
    candles: Vec<Candle>,
    closes: Vec<f64>,
    fixed_closes: Vec<i64>,
    fixed_ranges: Vec<HighLow>,
    columns: HashMap<String, Vec<String>>,
    lookbacks: HashMap<String, usize>,
}

fn load(name: &'static str, file: &str, scale: u32, unit: f64) -> Golden {
    let mut reader = csv::Reader::from_path(format!("{DATA}/{file}")).expect("goldens");
    let header: Vec<String> = reader.headers().expect("header").iter().map(str::to_owned).collect();
    let mut columns: HashMap<String, Vec<String>> = header.iter().map(|h| (h.clone(), Vec::new())).collect();
    for record in reader.records() {
        let record = record.expect("row");
        for (name, cell) in header.iter().zip(record.iter()) {
            columns.get_mut(name).expect("column").push(cell.to_owned());
        }
    }
    let floats = |name: &str| columns[name].iter().map(|s| s.parse::<f64>().expect("number")).collect::<Vec<_>>();
    let fixed = |name: &str| {
        columns[name]
            .iter()
            .map(|s| to_fixed(Decimal::from_str(s).expect("decimal"), scale).expect("fits the scale"))
            .collect::<Vec<_>>()
    };
    let (high, low, close, volume) = (floats("high"), floats("low"), floats("close"), floats("volume"));
    let candles = columns["open_time"]
        .iter()
        .enumerate()
        .map(|(i, t)| Candle {
            open_time: Timestamp(t.parse::<i64>().expect("ms") * NANOS_PER_MILLI),
            high: high[i],
            low: low[i],
            close: close[i],
            volume: volume[i],
        })
        .collect();
    let fixed_ranges = fixed("high").into_iter().zip(fixed("low")).map(|(high, low)| HighLow { high, low }).collect();
    let mut reader = csv::Reader::from_path(format!("{DATA}/lookbacks.csv")).expect("lookbacks.csv");
    let lookbacks = reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            (r[0].to_owned(), r[1].parse().expect("lookback"))
        })
        .collect();
    let fixed_closes = fixed("close");
    Golden { name, scale, unit, candles, closes: close, fixed_closes, fixed_ranges, columns, lookbacks }
}

/// The shipped set.
fn golden() -> &'static Golden {
    static GOLDEN: OnceLock<Golden> = OnceLock::new();
    GOLDEN.get_or_init(|| load("shipped", "goldens.csv", SCALE, 1.0))
}

/// Both sets: the shipped one and the one scaled by 1e-9.
fn sets() -> [&'static Golden; 2] {
    static SCALED: OnceLock<Golden> = OnceLock::new();
    let scaled = SCALED.get_or_init(|| {
        load("scaled by 1e-9", "goldens_scaled.csv", SCALE + PRICE_SHIFT, 10f64.powi(-(PRICE_SHIFT as i32)))
    });
    [golden(), scaled]
}

impl Golden {
    fn closes(&self) -> impl Iterator<Item = f64> + '_ {
        self.closes.iter().copied()
    }

    fn candles(&self) -> impl Iterator<Item = Candle> + '_ {
        self.candles.iter().copied()
    }

    /// Whether `got` agrees with `expected` in `column`: 1e-9 relative, 1e-9 absolute below one unit of the column.
    fn close_enough(&self, column: &str, got: f64, expected: f64) -> bool {
        let unit = if PRICE_COLUMNS.contains(&column) { self.unit } else { 1.0 };
        (got - expected).abs() <= 1e-9 * expected.abs().max(unit)
    }
}

/// One output column: its name in `goldens.csv` and how to read it from the indicator's value.
type Column<'a, O> = (&'a str, &'a dyn Fn(&O) -> f64);

/// Runs `indicator` over `inputs` and checks its warm-up against `lookbacks.csv[name]`, that it answers from exactly
/// that input on, and each column against the golden values of `golden`.
fn check<I: Indicator>(
    golden: &Golden,
    name: &str,
    mut indicator: I,
    inputs: impl IntoIterator<Item = I::Input>,
    columns: &[Column<I::Output>],
) {
    let set = golden.name;
    let lookback = golden.lookbacks[name];
    assert_eq!(indicator.warm_up(), lookback, "{name}: warm-up against TA-Lib's lookback");
    let mut compared = 0;
    for (i, input) in inputs.into_iter().enumerate() {
        let value = indicator.update(input);
        assert_eq!(value.is_some(), i >= lookback, "{name} ({set}): a value from input {lookback} on, at input {i}");
        for (column, read) in columns {
            let cell = &golden.columns[*column][i];
            match &value {
                None => assert!(cell.is_empty(), "{column}[{i}] ({set}): golden has {cell}, we have no value"),
                Some(v) => {
                    let expected: f64 =
                        cell.parse().unwrap_or_else(|_| panic!("{column}[{i}] ({set}): golden is empty"));
                    let got = read(v);
                    let ok = golden.close_enough(column, got, expected);
                    assert!(ok, "{column}[{i}] ({set}): {got:?} against {expected:?}");
                    compared += 1;
                }
            }
        }
    }
    assert!(compared >= columns.len() * (golden.candles.len() - lookback), "{name} ({set}): every row compared");
}

/// [`check`] on both sets' closes.
fn on_closes<I: Indicator<Input = f64>>(name: &str, make: impl Fn() -> I, columns: &[Column<I::Output>]) {
    sets().into_iter().for_each(|g| check(g, name, make(), g.closes(), columns));
}

/// [`check`] on both sets' bars.
fn on_candles<I: Indicator<Input = Candle>>(name: &str, make: impl Fn() -> I, columns: &[Column<I::Output>]) {
    sets().into_iter().for_each(|g| check(g, name, make(), g.candles(), columns));
}

#[test]
fn sma_matches_talib_sma() {
    on_closes("sma", || Sma::new(20), &[("sma", &|v| *v)]);
}

#[test]
fn exact_sma_is_the_exact_sum_and_matches_talib_sma() {
    for g in sets() {
        let columns: &[Column<Mean>] = &[("sma", &|m| m.to_f64(g.scale))];
        check(g, "exact_sma", ExactSma::new(20), g.fixed_closes.iter().copied(), columns);
        let mut sma = ExactSma::new(20);
        for (i, &x) in g.fixed_closes.iter().enumerate() {
            let sum = sma.update(x).map(|m| (m.sum().to_string(), m.count()));
            let expected = &g.columns["exact_sma_sum"][i];
            assert_eq!(sum.as_ref().map(|(s, _)| s.as_str()).unwrap_or(""), expected, "exact sum at {i} ({})", g.name);
            assert!(sum.is_none_or(|(_, len)| len == 20));
        }
    }
}

#[test]
fn ema_matches_talib_ema() {
    on_closes("ema", || Ema::new(20), &[("ema", &|v| *v)]);
}

#[test]
fn wma_matches_talib_wma() {
    on_closes("wma", || Wma::new(20), &[("wma", &|v| *v)]);
}

#[test]
fn dema_matches_talib_dema() {
    on_closes("dema", || Dema::new(20), &[("dema", &|v| *v)]);
}

#[test]
fn tema_matches_talib_tema() {
    on_closes("tema", || Tema::new(20), &[("tema", &|v| *v)]);
}

#[test]
fn hma_matches_the_python_reference() {
    on_closes("hma", || Hma::new(20), &[("hma", &|v| *v)]);
}

#[test]
fn kama_matches_talib_kama() {
    on_closes("kama", || Kama::new(10), &[("kama", &|v| *v)]);
}

#[test]
fn session_vwap_matches_the_python_reference() {
    on_candles("session_vwap", SessionVwap::new, &[("session_vwap", &|v| *v)]);
}

#[test]
fn rolling_vwap_matches_the_python_reference() {
    on_candles("rolling_vwap", || RollingVwap::new(20), &[("rolling_vwap", &|v| *v)]);
}

#[test]
fn rsi_matches_talib_rsi() {
    on_closes("rsi", || Rsi::new(14), &[("rsi", &|v| *v)]);
}

#[test]
fn stochastic_matches_talib_stoch() {
    let columns: &[Column<StochasticValue>] = &[("stoch_k", &|v| v.k), ("stoch_d", &|v| v.d)];
    on_candles("stochastic", || Stochastic::new(5, 3, 3), columns);
}

#[test]
fn stoch_rsi_matches_talib_stochrsi() {
    let columns: &[Column<StochasticValue>] = &[("stochrsi_k", &|v| v.k), ("stochrsi_d", &|v| v.d)];
    on_closes("stoch_rsi", || StochRsi::new(14, 5, 3), columns);
}

#[test]
fn williams_r_matches_talib_willr() {
    on_candles("williams_r", || WilliamsR::new(14), &[("willr", &|v| *v)]);
}

#[test]
fn cci_matches_talib_cci() {
    on_candles("cci", || Cci::new(20), &[("cci", &|v| *v)]);
}

#[test]
fn mfi_matches_talib_mfi() {
    on_candles("mfi", || Mfi::new(14), &[("mfi", &|v| *v)]);
}

#[test]
fn roc_matches_talib_roc() {
    on_closes("roc", || Roc::new(10), &[("roc", &|v| *v)]);
}

#[test]
fn momentum_matches_talib_mom() {
    on_closes("momentum", || Momentum::new(10), &[("mom", &|v| *v)]);
}

#[test]
fn macd_matches_talib_macd() {
    let columns: &[Column<MacdValue>] =
        &[("macd", &|v| v.line), ("macd_signal", &|v| v.signal), ("macd_hist", &|v| v.histogram)];
    on_closes("macd", || Macd::new(12, 26, 9), columns);
}

#[test]
fn ppo_matches_talib_ppo_with_emas() {
    on_closes("ppo", || Ppo::new(12, 26), &[("ppo", &|v| *v)]);
}

#[test]
fn dmi_matches_talib_plus_di_and_minus_di() {
    let columns: &[Column<DmiValue>] = &[("plus_di", &|v| v.plus), ("minus_di", &|v| v.minus)];
    on_candles("dmi", || Dmi::new(14), columns);
}

#[test]
fn adx_matches_talib_adx() {
    on_candles("adx", || Adx::new(14), &[("adx", &|v: &AdxValue| v.adx)]);
}

#[test]
fn aroon_matches_talib_aroon_and_aroonosc() {
    let columns: &[Column<AroonValue>] =
        &[("aroon_up", &|v| v.up), ("aroon_down", &|v| v.down), ("aroon_osc", &|v| v.oscillator)];
    on_candles("aroon", || Aroon::new(14), columns);
}

#[test]
fn true_range_matches_talib_trange() {
    on_candles("true_range", TrueRange::new, &[("trange", &|v| *v)]);
}

#[test]
fn atr_matches_talib_atr() {
    on_candles("atr", || Atr::new(14), &[("atr", &|v| *v)]);
}

#[test]
fn natr_matches_talib_natr() {
    on_candles("natr", || Natr::new(14), &[("natr", &|v| *v)]);
}

#[test]
fn bollinger_matches_talib_bbands_and_percent_b_the_reference() {
    let columns: &[Column<BollingerValue>] = &[
        ("bb_upper", &|v| v.upper),
        ("bb_middle", &|v| v.middle),
        ("bb_lower", &|v| v.lower),
        ("bb_percent_b", &|v| v.percent_b),
    ];
    on_closes("bollinger", || Bollinger::new(20, 2.0), columns);
}

#[test]
fn keltner_matches_talib_ema_and_atr_composed() {
    let columns: &[Column<KeltnerValue>] =
        &[("kc_upper", &|v| v.upper), ("kc_middle", &|v| v.middle), ("kc_lower", &|v| v.lower)];
    on_candles("keltner", || Keltner::new(20, 10, 2.0), columns);
}

#[test]
fn donchian_is_talib_max_and_min_exactly() {
    for g in sets() {
        let columns: &[Column<DonchianValue>] = &[
            ("dc_upper", &|v| from_fixed(v.upper, g.scale)),
            ("dc_lower", &|v| from_fixed(v.lower, g.scale)),
            ("dc_middle", &|v| v.middle().to_f64(g.scale)),
        ];
        check(g, "donchian", Donchian::new(20), g.fixed_ranges.iter().copied(), columns);
        let mut channel = Donchian::new(20);
        for (i, &bar) in g.fixed_ranges.iter().enumerate() {
            if let Some(v) = channel.update(bar) {
                let exact = |column: &str| g.columns[column][i].parse::<f64>().expect("number");
                assert_eq!(from_fixed(v.upper, g.scale), exact("dc_upper"), "upper at {i}, bit for bit ({})", g.name);
                assert_eq!(from_fixed(v.lower, g.scale), exact("dc_lower"), "lower at {i}, bit for bit ({})", g.name);
            }
        }
    }
}

#[test]
fn std_dev_matches_talib_stddev() {
    on_closes("std_dev", || StdDev::new(20), &[("stddev", &|v| *v)]);
}

#[test]
fn z_score_matches_the_python_reference() {
    on_closes("z_score", || ZScore::new(20), &[("zscore", &|v| *v)]);
}

#[test]
fn obv_matches_talib_obv() {
    on_candles("obv", Obv::new, &[("obv", &|v| *v)]);
}

#[test]
fn linreg_slope_matches_talib_linearreg_slope() {
    on_closes("linreg_slope", || LinRegSlope::new(14), &[("linreg_slope", &|v| *v)]);
}

#[test]
fn highest_and_lowest_are_talib_max_and_min_exactly() {
    for g in sets() {
        let fixed = || g.fixed_closes.iter().copied();
        check(g, "highest", Highest::<i64>::new(20), fixed(), &[("highest", &|v| from_fixed(*v, g.scale))]);
        check(g, "lowest", Lowest::<i64>::new(20), fixed(), &[("lowest", &|v| from_fixed(*v, g.scale))]);
        let (mut high, mut low) = (Highest::new(20), Lowest::new(20));
        for (i, x) in fixed().enumerate() {
            let (h, l) = (high.update(x), low.update(x));
            let cell = |column: &str| g.columns[column][i].parse::<f64>().ok();
            assert_eq!(h.map(|v| from_fixed(v, g.scale)), cell("highest"), "highest at {i}, bit for bit ({})", g.name);
            assert_eq!(l.map(|v| from_fixed(v, g.scale)), cell("lowest"), "lowest at {i}, bit for bit ({})", g.name);
        }
    }
}

#[test]
fn exact_sma_crosses_match_the_fraction_reference() {
    for golden in sets() {
        let (mut fast, mut slow, mut cross) = (ExactSma::new(10), ExactSma::new(30), Cross::<Mean>::new());
        assert_eq!(slow.warm_up() + cross.warm_up(), golden.lookbacks["cross"], "first cross decision");
        let mut seen = [0; 3];
        for (i, &x) in golden.fixed_closes.iter().enumerate() {
            let (f, s) = (fast.update(x), slow.update(x));
            let got = f.zip(s).and_then(|pair| cross.update(pair));
            let expected = match golden.columns["cross"][i].as_str() {
                "" => None,
                "above" => Some(CrossKind::Above),
                "below" => Some(CrossKind::Below),
                "none" => Some(CrossKind::Neither),
                other => panic!("cross[{i}]: {other}"),
            };
            assert_eq!(got, expected, "cross at {i} ({})", golden.name);
            seen[got.map_or(0, |k| if k == CrossKind::Neither { 1 } else { 2 })] += 1;
        }
        assert!(seen[2] > 10, "the series crosses often enough to test: {seen:?}");
    }
}

mod property_tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::RngSeed;

    /// Runs `make()` over `inputs` three ways — fresh; after `reset()` of an instance that saw other inputs; and
    /// cloned after `cut` inputs with the clone going on — and requires the same values, bit for bit (compared
    /// through `Debug`, which prints each `f64` so that it reads back to the same bits and tells −0 from 0).
    fn same_three_ways<I>(make: impl Fn() -> I, inputs: &[I::Input], cut: usize) -> Result<(), TestCaseError>
    where
        I: Indicator + Clone,
        I::Input: Clone,
        I::Output: std::fmt::Debug,
    {
        let run = |indicator: &mut I, inputs: &[I::Input]| {
            inputs.iter().map(|x| format!("{:?}", indicator.update(x.clone()))).collect::<Vec<_>>()
        };
        let fresh = run(&mut make(), inputs);
        let mut used = make();
        run(&mut used, &inputs[inputs.len() / 2..]);
        used.reset();
        prop_assert_eq!(&run(&mut used, inputs), &fresh, "after reset");
        let cut = cut.min(inputs.len());
        let mut original = make();
        let mut values = run(&mut original, &inputs[..cut]);
        let mut clone = original.clone();
        values.extend(run(&mut clone, &inputs[cut..]));
        prop_assert_eq!(&values, &fresh, "cloned after {} inputs", cut);
        prop_assert_eq!(&run(&mut original, &inputs[cut..])[..], &fresh[cut..], "the original goes on unchanged");
        Ok(())
    }

    /// Bars from a random walk in half-unit steps (with ties and flat stretches), random spreads, volumes (some
    /// zero) and hour gaps (some crossing days).
    fn bars() -> impl Strategy<Value = Vec<Candle>> {
        proptest::collection::vec((-3_i32..=3, 0_i32..4, 0_i32..4, 0_i32..50, 1_i64..6), 1..120).prop_map(|steps| {
            let (mut close, mut hour) = (100.0_f64, 0_i64);
            steps
                .into_iter()
                .map(|(step, up, down, volume, gap)| {
                    close += f64::from(step) * 0.5;
                    hour += gap;
                    Candle {
                        open_time: Timestamp(hour * 3_600_000 * NANOS_PER_MILLI),
                        high: close + f64::from(up) * 0.25,
                        low: close - f64::from(down) * 0.25,
                        close,
                        volume: f64::from(volume) * 0.1,
                    }
                })
                .collect()
        })
    }

    proptest! {
        // seeded: the same 64 series on every run
        #![proptest_config(ProptestConfig { cases: 64, rng_seed: RngSeed::Fixed(15), ..ProptestConfig::default() })]

        #[test]
        fn every_indicator_carries_its_whole_state(bars in bars(), p in 1_usize..7, cut in 0_usize..120) {
            let closes: Vec<f64> = bars.iter().map(|b| b.close).collect();
            let fixed: Vec<i64> = closes.iter().map(|c| (c * 100.0).round() as i64).collect();
            let ranges: Vec<HighLow> = bars
                .iter()
                .map(|b| HighLow { high: (b.high * 100.0).round() as i64, low: (b.low * 100.0).round() as i64 })
                .collect();
            let pairs: Vec<(i64, i64)> = fixed.iter().zip(&ranges).map(|(&c, r)| (c, (r.high + r.low) / 2)).collect();
            let means: Vec<(Mean, Mean)> =
                fixed.iter().zip(&ranges).map(|(&c, r)| (Mean::new(c.into(), 1), Mean::new(r.high.into(), 2))).collect();
            same_three_ways(|| Sma::new(p), &closes, cut)?;
            same_three_ways(|| ExactSma::new(p), &fixed, cut)?;
            same_three_ways(|| Ema::new(p), &closes, cut)?;
            same_three_ways(|| Wma::new(p), &closes, cut)?;
            same_three_ways(|| Dema::new(p), &closes, cut)?;
            same_three_ways(|| Tema::new(p), &closes, cut)?;
            same_three_ways(|| Hma::new(p + 1), &closes, cut)?;
            same_three_ways(|| Kama::new(p), &closes, cut)?;
            same_three_ways(SessionVwap::new, &bars, cut)?;
            same_three_ways(|| RollingVwap::new(p), &bars, cut)?;
            same_three_ways(|| Rsi::new(p), &closes, cut)?;
            same_three_ways(|| Stochastic::new(p, 2, 3), &bars, cut)?;
            same_three_ways(|| StochRsi::new(p, 3, 2), &closes, cut)?;
            same_three_ways(|| WilliamsR::new(p), &bars, cut)?;
            same_three_ways(|| Cci::new(p), &bars, cut)?;
            same_three_ways(|| Mfi::new(p), &bars, cut)?;
            same_three_ways(|| Roc::new(p), &closes, cut)?;
            same_three_ways(|| Momentum::new(p), &closes, cut)?;
            same_three_ways(|| Macd::new(p, p + 3, 2), &closes, cut)?;
            same_three_ways(|| Ppo::new(p, p + 3), &closes, cut)?;
            same_three_ways(|| Dmi::new(p), &bars, cut)?;
            same_three_ways(|| Adx::new(p), &bars, cut)?;
            same_three_ways(|| Aroon::new(p), &bars, cut)?;
            same_three_ways(TrueRange::new, &bars, cut)?;
            same_three_ways(|| Atr::new(p), &bars, cut)?;
            same_three_ways(|| Natr::new(p), &bars, cut)?;
            same_three_ways(|| Bollinger::new(p, 2.0), &closes, cut)?;
            same_three_ways(|| Keltner::new(p, p + 1, 1.5), &bars, cut)?;
            same_three_ways(|| Donchian::new(p), &ranges, cut)?;
            same_three_ways(|| StdDev::new(p), &closes, cut)?;
            same_three_ways(|| ZScore::new(p), &closes, cut)?;
            same_three_ways(Obv::new, &bars, cut)?;
            same_three_ways(|| LinRegSlope::new(p + 1), &closes, cut)?;
            same_three_ways(|| Highest::<f64>::new(p), &closes, cut)?;
            same_three_ways(|| Lowest::<i64>::new(p), &fixed, cut)?;
            same_three_ways(Cross::<i64>::new, &pairs, cut)?;
            same_three_ways(Cross::<Mean>::new, &means, cut)?;
        }

        #[test]
        fn values_start_exactly_after_the_warm_up(bars in bars(), p in 1_usize..7) {
            // with every bar trading volume the VWAPs answer whenever they have a window too
            let bars: Vec<Candle> = bars.into_iter().map(|b| Candle { volume: b.volume + 1.0, ..b }).collect();
            let closes: Vec<f64> = bars.iter().map(|b| b.close).collect();
            fn starts<I: Indicator>(mut indicator: I, inputs: impl IntoIterator<Item = I::Input>) -> Result<(), TestCaseError> {
                let warm_up = indicator.warm_up();
                for (i, x) in inputs.into_iter().enumerate() {
                    prop_assert_eq!(indicator.update(x).is_some(), i >= warm_up, "input {} of warm-up {}", i, warm_up);
                }
                Ok(())
            }
            let c = || closes.iter().copied();
            let b = || bars.iter().copied();
            starts(Sma::new(p), c())?;
            starts(Ema::new(p), c())?;
            starts(Wma::new(p), c())?;
            starts(Dema::new(p), c())?;
            starts(Tema::new(p), c())?;
            starts(Hma::new(p + 1), c())?;
            starts(Kama::new(p), c())?;
            starts(Rsi::new(p), c())?;
            starts(StochRsi::new(p, 3, 2), c())?;
            starts(Roc::new(p), c())?;
            starts(Momentum::new(p), c())?;
            starts(Macd::new(p, p + 3, 2), c())?;
            starts(Ppo::new(p + 2, p), c())?;
            starts(Bollinger::new(p, 2.0), c())?;
            starts(StdDev::new(p), c())?;
            starts(ZScore::new(p), c())?;
            starts(LinRegSlope::new(p), c())?;
            starts(Lowest::<f64>::new(p), c())?;
            starts(SessionVwap::new(), b())?;
            starts(RollingVwap::new(p), b())?;
            starts(Stochastic::new(p, 2, 3), b())?;
            starts(WilliamsR::new(p), b())?;
            starts(Cci::new(p), b())?;
            starts(Mfi::new(p), b())?;
            starts(Dmi::new(p), b())?;
            starts(Adx::new(p), b())?;
            starts(Aroon::new(p), b())?;
            starts(TrueRange::new(), b())?;
            starts(Atr::new(p), b())?;
            starts(Natr::new(p), b())?;
            starts(Keltner::new(p + 1, p, 2.0), b())?;
            starts(Obv::new(), b())?;
        }
    }
}
