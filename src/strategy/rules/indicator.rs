//! The indicators a rule strategy names (`indicators: { fast_ma: { kind: sma, period: $fast } }`): each kind of
//! the indicator library with its settings, its fields (`macd.signal`) and one update per bar that yields every
//! field as a [`Num`]. Averages and extremes of prices are exact (fixed point at the data's scale); the rest are
//! `f64`, as the library computes them.

use rust_decimal::Decimal;

use super::settings::{Settings, config_error};
use super::settle;
use super::value::Num;
use crate::error::Result;
use crate::model::Timestamp;
use crate::model::exact::to_f64;
use crate::strategy::indicators::{
    Adx, Aroon, Atr, Bollinger, Candle, Cci, Dema, Donchian, Ema, ExactSma, HighLow, Highest, Hma, Indicator, Kama,
    Keltner, LinRegSlope, Lowest, Macd, Mfi, Momentum, Natr, Obv, Ppo, Roc, RollingVwap, Rsi, SessionVwap, StdDev,
    StochRsi, Stochastic, Tema, TrueRange, WilliamsR, Wma, ZScore,
};

/// The kinds a scenario may name, for error messages.
pub(super) const KINDS: &str = "sma, ema, wma, dema, tema, hma, kama, rsi, roc, momentum, stddev, zscore, \
linreg_slope, ppo, macd, bollinger, stoch_rsi, highest, lowest, donchian, atr, natr, true_range, cci, williams_r, \
adx, stochastic, keltner, aroon, mfi, obv, vwap, session_vwap";

/// A price column of a bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Column {
    /// Opening price.
    Open = 0,
    /// Highest price.
    High = 1,
    /// Lowest price.
    Low = 2,
    /// Closing price.
    Close = 3,
}

impl Column {
    /// The column called `name`.
    pub(super) fn named(name: &str) -> Option<Column> {
        Some(match name {
            "open" => Column::Open,
            "high" => Column::High,
            "low" => Column::Low,
            "close" => Column::Close,
            _ => return None,
        })
    }
}

/// One closed bar as the indicators take it: prices in fixed point at the stream's scale and as `f64`.
#[derive(Clone, Copy, Debug)]
pub(super) struct BarInput {
    /// Open, high, low, close in units of `10^-scale`.
    pub fixed: [i64; 4],
    /// `10^scale` as `f64`: a price's `f64` is its fixed point divided by it ([`BarInput::float`]).
    pub unit: f64,
    /// Traded volume as `f64` (0 unless an indicator reads it).
    pub volume: f64,
    /// Bar start.
    pub open_time: Timestamp,
    /// The stream's price scale.
    pub scale: u32,
}

impl BarInput {
    /// Column `column` as `f64`, as [`crate::strategy::indicators::from_fixed`] converts it (computed where an
    /// indicator reads it, so a bar's unread columns cost nothing).
    #[inline]
    fn float(&self, column: Column) -> f64 {
        self.fixed[column as usize] as f64 / self.unit
    }

    #[inline]
    fn candle(&self) -> Candle {
        let (high, low, close) = (self.float(Column::High), self.float(Column::Low), self.float(Column::Close));
        Candle { open_time: self.open_time, high, low, close, volume: self.volume }
    }

    fn exact(&self, value: i64) -> Num {
        Num::fixed(i128::from(value), self.scale)
    }
}

/// A live indicator of one stream.
#[derive(Clone, Debug)]
pub(super) enum Live {
    Sma(ExactSma, Column),
    Highest(Highest<i64>, Column),
    Lowest(Lowest<i64>, Column),
    Donchian(Donchian),
    Ema(Ema, Column),
    Wma(Wma, Column),
    Dema(Dema, Column),
    Tema(Tema, Column),
    Hma(Hma, Column),
    Kama(Kama, Column),
    Rsi(Rsi, Column),
    Roc(Roc, Column),
    Momentum(Momentum, Column),
    StdDev(StdDev, Column),
    ZScore(ZScore, Column),
    LinRegSlope(LinRegSlope, Column),
    Ppo(Ppo, Column),
    Macd(Macd, Column),
    Bollinger(Bollinger, Column),
    StochRsi(StochRsi, Column),
    Atr(Atr),
    Natr(Natr),
    TrueRange(TrueRange),
    Cci(Cci),
    WilliamsR(WilliamsR),
    Adx(Adx),
    Stochastic(Stochastic),
    Keltner(Keltner),
    Aroon(Aroon),
    Mfi(Mfi),
    Obv(Obv),
    Vwap(RollingVwap),
    SessionVwap(SessionVwap),
}

/// A named indicator as configured: a fresh copy of it for each stream, its fields.
#[derive(Clone, Debug)]
pub(super) struct IndicatorDef {
    /// Its name in expressions.
    pub name: String,
    /// The indicator, as new.
    pub prototype: Live,
    /// Field names (the first is what the bare name reads); empty for one-valued indicators.
    pub fields: &'static [&'static str],
    /// Bars after its first value until its values no longer depend on where the data started ([`settle`]): 0 for
    /// a window, `None` for a running total that never forgets.
    pub fading: Option<usize>,
}

impl IndicatorDef {
    /// Which field `field` reads (`None` for the bare name): its index.
    pub(super) fn field(&self, field: Option<&str>) -> Option<usize> {
        match field {
            None => Some(0),
            Some(f) => self.fields.iter().position(|known| *known == f),
        }
    }

    /// Whether it reads volume.
    pub(super) fn reads_volume(&self) -> bool {
        matches!(self.prototype, Live::Mfi(_) | Live::Obv(_) | Live::Vwap(_) | Live::SessionVwap(_))
    }
}

/// Reads the indicator `name` from its settings (`kind` and the kind's own keys).
///
/// # Errors
/// [`crate::error::Error::Config`] naming the key of an unknown kind, a missing or out-of-range setting, or an
/// unknown key.
pub(super) fn read_indicator(name: &str, mut s: Settings<'_>) -> Result<IndicatorDef> {
    let kind_path = s.key_path("kind");
    let kind = s.text("kind")?.ok_or_else(|| config_error(&kind_path, format!("missing (one of {KINDS})")))?;
    let column = match s.text("source")? {
        None => Column::Close,
        Some(text) => Column::named(text)
            .ok_or_else(|| config_error(&s.key_path("source"), format!("'{text}': use open, high, low or close")))?,
    };
    // (the indicator, its fields, its bars after the first value until the start no longer counts: settle.rs)
    let (prototype, fields, fading): (Live, &'static [&'static str], Option<usize>) = match kind {
        "sma" => (Live::Sma(ExactSma::new(s.period("period", None)?), column), &[], Some(0)),
        "highest" => (Live::Highest(Highest::new(s.period("period", None)?), column), &[], Some(0)),
        "lowest" => (Live::Lowest(Lowest::new(s.period("period", None)?), column), &[], Some(0)),
        "donchian" => {
            (Live::Donchian(Donchian::new(s.period("period", None)?)), &["upper", "lower", "middle"], Some(0))
        }
        "ema" => {
            let period = s.period("period", None)?;
            (Live::Ema(Ema::new(period), column), &[], Some(settle::ema(period)))
        }
        "wma" => (Live::Wma(Wma::new(s.period("period", None)?), column), &[], Some(0)),
        "dema" => {
            let period = s.period("period", None)?;
            (Live::Dema(Dema::new(period), column), &[], Some(settle::ema(period).saturating_mul(2)))
        }
        "tema" => {
            let period = s.period("period", None)?;
            (Live::Tema(Tema::new(period), column), &[], Some(settle::ema(period).saturating_mul(3)))
        }
        "hma" => (Live::Hma(Hma::new(s.period("period", None)?), column), &[], Some(0)),
        "kama" => (Live::Kama(Kama::new(s.period("period", None)?), column), &[], Some(settle::kama())),
        "rsi" => {
            let period = s.period("period", Some(14))?;
            (Live::Rsi(Rsi::new(period), column), &[], Some(settle::wilder(period)))
        }
        "roc" => (Live::Roc(Roc::new(s.period("period", None)?), column), &[], Some(0)),
        "momentum" => (Live::Momentum(Momentum::new(s.period("period", None)?), column), &[], Some(0)),
        "stddev" => (Live::StdDev(StdDev::new(s.period("period", None)?), column), &[], Some(0)),
        "zscore" => (Live::ZScore(ZScore::new(s.period("period", None)?), column), &[], Some(0)),
        "linreg_slope" => (Live::LinRegSlope(LinRegSlope::new(s.period("period", None)?), column), &[], Some(0)),
        "ppo" => {
            let (fast, slow) = (s.period("fast", Some(12))?, s.period("slow", Some(26))?);
            (Live::Ppo(Ppo::new(fast, slow), column), &[], Some(settle::ema(fast.max(slow))))
        }
        "macd" => {
            let (fast, slow, signal) =
                (s.period("fast", Some(12))?, s.period("slow", Some(26))?, s.period("signal", Some(9))?);
            let fading = settle::ema(fast.max(slow)).saturating_add(settle::ema(signal));
            (Live::Macd(Macd::new(fast, slow, signal), column), &["line", "signal", "histogram"], Some(fading))
        }
        "bollinger" => {
            let (period, k) = (s.period("period", Some(20))?, float(s.positive("k", Some(Decimal::TWO))?));
            (Live::Bollinger(Bollinger::new(period, k), column), &["middle", "upper", "lower", "percent_b"], Some(0))
        }
        "stoch_rsi" => {
            let (period, k, d) =
                (s.period("period", Some(14))?, s.period("fast_k", Some(5))?, s.period("fast_d", Some(3))?);
            (Live::StochRsi(StochRsi::new(period, k, d), column), &["k", "d"], Some(settle::wilder(period)))
        }
        "atr" => {
            let period = s.period("period", Some(14))?;
            (Live::Atr(Atr::new(period)), &[], Some(settle::wilder(period)))
        }
        "natr" => {
            let period = s.period("period", Some(14))?;
            (Live::Natr(Natr::new(period)), &[], Some(settle::wilder(period)))
        }
        "true_range" => (Live::TrueRange(TrueRange::new()), &[], Some(0)),
        "cci" => (Live::Cci(Cci::new(s.period("period", Some(14))?)), &[], Some(0)),
        "williams_r" => (Live::WilliamsR(WilliamsR::new(s.period("period", Some(14))?)), &[], Some(0)),
        "adx" => {
            // Wilder sums (±DM, true range), then Wilder's average of DX
            let period = s.period("period", Some(14))?;
            let fading = settle::wilder(period).saturating_mul(2);
            (Live::Adx(Adx::new(period)), &["adx", "plus_di", "minus_di"], Some(fading))
        }
        "stochastic" => {
            let (k, slow, d) =
                (s.period("fast_k", Some(5))?, s.period("slow_k", Some(3))?, s.period("slow_d", Some(3))?);
            (Live::Stochastic(Stochastic::new(k, slow, d)), &["k", "d"], Some(0))
        }
        "keltner" => {
            let (ema, atr) = (s.period("ema_period", Some(20))?, s.period("atr_period", Some(10))?);
            let k = float(s.positive("k", Some(Decimal::TWO))?);
            let fading = settle::ema(ema).max(settle::wilder(atr));
            (Live::Keltner(Keltner::new(ema, atr, k)), &["middle", "upper", "lower"], Some(fading))
        }
        "aroon" => (Live::Aroon(Aroon::new(s.period("period", Some(14))?)), &["oscillator", "up", "down"], Some(0)),
        "mfi" => (Live::Mfi(Mfi::new(s.period("period", Some(14))?)), &[], Some(0)),
        "obv" => (Live::Obv(Obv::new()), &[], None),
        "vwap" => (Live::Vwap(RollingVwap::new(s.period("period", None)?)), &[], Some(0)),
        "session_vwap" => (Live::SessionVwap(SessionVwap::new()), &[], None),
        other => return Err(config_error(&kind_path, format!("'{other}' is not an indicator kind (one of {KINDS})"))),
    };
    if !prototype.reads_a_column() && s.raw("source").is_some() {
        return Err(config_error(&s.key_path("source"), format!("{kind} reads whole bars, not one column")));
    }
    s.finish()?;
    Ok(IndicatorDef { name: name.to_string(), prototype, fields, fading })
}

fn float(value: Decimal) -> f64 {
    to_f64(value)
}

impl Live {
    /// Whether it reads one price column (`source`) rather than whole bars.
    fn reads_a_column(&self) -> bool {
        !matches!(
            self,
            Live::Donchian(_)
                | Live::Atr(_)
                | Live::Natr(_)
                | Live::TrueRange(_)
                | Live::Cci(_)
                | Live::WilliamsR(_)
                | Live::Adx(_)
                | Live::Stochastic(_)
                | Live::Keltner(_)
                | Live::Aroon(_)
                | Live::Mfi(_)
                | Live::Obv(_)
                | Live::Vwap(_)
                | Live::SessionVwap(_)
        )
    }

    /// Bars it takes before its first value (the library's [`Indicator::warm_up`]).
    pub(super) fn warm_up(&self) -> usize {
        match self {
            Live::Sma(i, _) => i.warm_up(),
            Live::Highest(i, _) => i.warm_up(),
            Live::Lowest(i, _) => i.warm_up(),
            Live::Donchian(i) => i.warm_up(),
            Live::Ema(i, _) => i.warm_up(),
            Live::Wma(i, _) => i.warm_up(),
            Live::Dema(i, _) => i.warm_up(),
            Live::Tema(i, _) => i.warm_up(),
            Live::Hma(i, _) => i.warm_up(),
            Live::Kama(i, _) => i.warm_up(),
            Live::Rsi(i, _) => i.warm_up(),
            Live::Roc(i, _) => i.warm_up(),
            Live::Momentum(i, _) => i.warm_up(),
            Live::StdDev(i, _) => i.warm_up(),
            Live::ZScore(i, _) => i.warm_up(),
            Live::LinRegSlope(i, _) => i.warm_up(),
            Live::Ppo(i, _) => i.warm_up(),
            Live::Macd(i, _) => i.warm_up(),
            Live::Bollinger(i, _) => i.warm_up(),
            Live::StochRsi(i, _) => i.warm_up(),
            Live::Atr(i) => i.warm_up(),
            Live::Natr(i) => i.warm_up(),
            Live::TrueRange(i) => i.warm_up(),
            Live::Cci(i) => i.warm_up(),
            Live::WilliamsR(i) => i.warm_up(),
            Live::Adx(i) => i.warm_up(),
            Live::Stochastic(i) => i.warm_up(),
            Live::Keltner(i) => i.warm_up(),
            Live::Aroon(i) => i.warm_up(),
            Live::Mfi(i) => i.warm_up(),
            Live::Obv(i) => i.warm_up(),
            Live::Vwap(i) => i.warm_up(),
            Live::SessionVwap(i) => i.warm_up(),
        }
    }

    /// Adds the bar; writes each field's value (`None` while warming up) into `out`.
    #[inline]
    pub(super) fn update(&mut self, bar: &BarInput, out: &mut [Option<Num>; 4]) {
        let f = |c: Column| bar.float(c);
        let x = |c: Column| bar.fixed[c as usize];
        let one = |value: Option<f64>| value.and_then(Num::float);
        out[0] = match self {
            Live::Sma(i, c) => i.update(x(*c)).map(|m| Num::Exact {
                num: m.sum(),
                den: i128::from(m.count()) * crate::model::exact::POW10[bar.scale as usize],
            }),
            Live::Highest(i, c) => i.update(x(*c)).map(|v| bar.exact(v)),
            Live::Lowest(i, c) => i.update(x(*c)).map(|v| bar.exact(v)),
            Live::Donchian(i) => {
                let [_, high, low, _] = bar.fixed;
                let value = i.update(HighLow { high, low });
                out[1] = value.map(|v| bar.exact(v.lower));
                out[2] = value
                    .map(|v| Num::fixed(i128::from(v.upper) + i128::from(v.lower), bar.scale))
                    .and_then(|sum| sum.div(Num::Exact { num: 2, den: 1 }));
                value.map(|v| bar.exact(v.upper))
            }
            Live::Ema(i, c) => one(i.update(f(*c))),
            Live::Wma(i, c) => one(i.update(f(*c))),
            Live::Dema(i, c) => one(i.update(f(*c))),
            Live::Tema(i, c) => one(i.update(f(*c))),
            Live::Hma(i, c) => one(i.update(f(*c))),
            Live::Kama(i, c) => one(i.update(f(*c))),
            Live::Rsi(i, c) => one(i.update(f(*c))),
            Live::Roc(i, c) => one(i.update(f(*c))),
            Live::Momentum(i, c) => one(i.update(f(*c))),
            Live::StdDev(i, c) => one(i.update(f(*c))),
            Live::ZScore(i, c) => one(i.update(f(*c))),
            Live::LinRegSlope(i, c) => one(i.update(f(*c))),
            Live::Ppo(i, c) => one(i.update(f(*c))),
            Live::Macd(i, c) => {
                let value = i.update(f(*c));
                out[1] = one(value.map(|v| v.signal));
                out[2] = one(value.map(|v| v.histogram));
                one(value.map(|v| v.line))
            }
            Live::Bollinger(i, c) => {
                let value = i.update(f(*c));
                out[1] = one(value.map(|v| v.upper));
                out[2] = one(value.map(|v| v.lower));
                out[3] = one(value.map(|v| v.percent_b));
                one(value.map(|v| v.middle))
            }
            Live::StochRsi(i, c) => {
                let value = i.update(f(*c));
                out[1] = one(value.map(|v| v.d));
                one(value.map(|v| v.k))
            }
            Live::Atr(i) => one(i.update(bar.candle())),
            Live::Natr(i) => one(i.update(bar.candle())),
            Live::TrueRange(i) => one(i.update(bar.candle())),
            Live::Cci(i) => one(i.update(bar.candle())),
            Live::WilliamsR(i) => one(i.update(bar.candle())),
            Live::Mfi(i) => one(i.update(bar.candle())),
            Live::Obv(i) => one(i.update(bar.candle())),
            Live::Vwap(i) => one(i.update(bar.candle())),
            Live::SessionVwap(i) => one(i.update(bar.candle())),
            Live::Adx(i) => {
                let value = i.update(bar.candle());
                out[1] = one(value.map(|v| v.plus_di));
                out[2] = one(value.map(|v| v.minus_di));
                one(value.map(|v| v.adx))
            }
            Live::Stochastic(i) => {
                let value = i.update(bar.candle());
                out[1] = one(value.map(|v| v.d));
                one(value.map(|v| v.k))
            }
            Live::Keltner(i) => {
                let value = i.update(bar.candle());
                out[1] = one(value.map(|v| v.upper));
                out[2] = one(value.map(|v| v.lower));
                one(value.map(|v| v.middle))
            }
            Live::Aroon(i) => {
                let value = i.update(bar.candle());
                out[1] = one(value.map(|v| v.up));
                out[2] = one(value.map(|v| v.down));
                one(value.map(|v| v.oscillator))
            }
        };
    }
}
