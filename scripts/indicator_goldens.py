#!/usr/bin/env python3
"""Golden vectors for the indicator library (src/strategy/indicators/), from TA-Lib and plain-Python references.

Reads the two shipped hourly BTCUSDT files (data/binance/BTCUSDT-1h-2023-01.csv and -02.csv, 1,416 bars), computes
every indicator with the parameters tests/indicators_golden.rs uses, and writes

  tests/data/indicators/goldens.csv    one row per bar: the bar's own text (open_time in ms, high, low, close, volume,
                                       exactly as shipped) and one column per indicator output, as Python's repr of
                                       the float (round-trips exactly); empty while the indicator warms up
  tests/data/indicators/goldens_scaled.csv
                                       the same for the same bars with high, low and close scaled by 1e-9 (the
                                       decimal point moved nine places, exactly, in the text; volume as shipped): a
                                       coin priced around $0.00002, where absolute zero thresholds (1e-8) would
                                       collapse the results -- TA-Lib's do not, so neither may ours
  tests/data/indicators/lookbacks.csv  indicator name, TA-Lib's lookback (or the reference's, for what TA-Lib lacks):
                                       the number of inputs before the first value (the same for both sets)

What TA-Lib has comes from TA-Lib (pip install TA-Lib numpy; TA-Lib >= 0.6 ships the C library in its wheels). What it
lacks -- HMA, VWAP (session and rolling), Keltner channels, Donchian's middle, %B, z-score, the exact SMA and the cross
of two exact SMAs -- is computed here with straightforward loops over the whole window at every bar (no running
state), with exact integer/Fraction arithmetic where the Rust side is exact.

The TA-Lib this was run with (Python package 0.8.2, C library 0.8.1) tests a divisor or a variance against 0
itself (PPO's slow average against 1e-14), so its results on the scaled set equal the shipped set's, scaled as the
output is (checked by experiment; the script asserts it below); TA-Lib 0.4 (|x| < 1e-8 reads as 0) does not, and
must not be used here.

Run from the repository root:  python3 scripts/indicator_goldens.py
"""

import csv
import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import talib
from talib import abstract

ROOT = Path(__file__).resolve().parent.parent
INPUTS = [ROOT / "data/binance/BTCUSDT-1h-2023-01.csv", ROOT / "data/binance/BTCUSDT-1h-2023-02.csv"]
OUT = ROOT / "tests/data/indicators"
SCALE = 8  # decimals of the shipped prices: the fixed-point scale of the exact indicators
PRICE_SHIFT = 9  # the scaled set's prices are the shipped ones times 10^-PRICE_SHIFT
DAY_MS = 86_400_000


def read_bars():
    rows = []
    for path in INPUTS:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                rows.append({k: row[k] for k in ("open_time", "high", "low", "close", "volume")})
    return rows


def scaled_bars(bars):
    """The bars with high, low and close times 10^-PRICE_SHIFT, as exact decimal text; volume unchanged."""
    def shift(text):
        return format(Decimal(text).scaleb(-PRICE_SHIFT), "f")
    return [{**b, "high": shift(b["high"]), "low": shift(b["low"]), "close": shift(b["close"])} for b in bars]


def fixed(text, scale):
    """A decimal string as an integer count of 10^-scale units (exact)."""
    value = Fraction(text) * 10**scale
    assert value.denominator == 1, text
    return value.numerator


def lookback(name, **params):
    fn = abstract.Function(name)
    fn.set_parameters(params)
    return fn.lookback


# ---- plain references for what TA-Lib lacks ----


def wma(xs, n):
    """Weighted moving average, weights 1..n (newest heaviest), None while fewer than n values."""
    out = [None] * len(xs)
    for i in range(len(xs)):
        window = xs[i + 1 - n : i + 1] if i + 1 >= n else None
        if window is None or any(v is None for v in window):
            continue
        out[i] = sum(w * v for w, v in zip(range(1, n + 1), window)) / (n * (n + 1) / 2)
    return out


def hma(xs, n):
    half, root = wma(xs, n // 2), wma(xs, n)
    diff = [None if a is None or b is None else 2 * a - b for a, b in zip(half, root)]
    return wma(diff, math.isqrt(n))


def session_vwap(times, highs, lows, closes, volumes):
    out = []
    for i in range(len(times)):
        day = times[i] // DAY_MS
        first = i
        while first > 0 and times[first - 1] // DAY_MS == day:
            first -= 1
        pv = sum((highs[j] + lows[j] + closes[j]) / 3 * volumes[j] for j in range(first, i + 1))
        v = sum(volumes[j] for j in range(first, i + 1))
        out.append(pv / v if v > 0 else None)
    return out


def rolling_vwap(highs, lows, closes, volumes, n):
    out = []
    for i in range(len(highs)):
        if i + 1 < n:
            out.append(None)
            continue
        js = range(i + 1 - n, i + 1)
        pv = sum((highs[j] + lows[j] + closes[j]) / 3 * volumes[j] for j in js)
        v = sum(volumes[j] for j in js)
        out.append(pv / v if v > 0 else None)
    return out


def zscore(xs, n):
    """(x - mean) / population standard deviation of the last n values, two passes over the window."""
    out = []
    for i in range(len(xs)):
        if i + 1 < n:
            out.append(None)
            continue
        window = xs[i + 1 - n : i + 1]
        mean = math.fsum(window) / n
        sd = math.sqrt(math.fsum((v - mean) ** 2 for v in window) / n)
        out.append((xs[i] - mean) / sd if sd > 0 else 0.0)
    return out


def exact_sma_sums(fixed_closes, n):
    return [None if i + 1 < n else sum(fixed_closes[i + 1 - n : i + 1]) for i in range(len(fixed_closes))]


def crosses(fast_sums, fast_n, slow_sums, slow_n):
    """'above' / 'below' where the fast exact mean crosses the slow one (prev fast <= slow and now fast > slow)."""
    out = [None] * len(fast_sums)
    for i in range(1, len(fast_sums)):
        if slow_sums[i - 1] is None:
            continue
        prev_f, prev_s = Fraction(fast_sums[i - 1], fast_n), Fraction(slow_sums[i - 1], slow_n)
        f, s = Fraction(fast_sums[i], fast_n), Fraction(slow_sums[i], slow_n)
        if prev_f <= prev_s and f > s:
            out[i] = "above"
        elif prev_f >= prev_s and f < s:
            out[i] = "below"
        else:
            out[i] = "none"
    return out


def columns(bars, scale):
    """Every indicator column over `bars` (prices exact at `scale` decimals), and the lookbacks."""
    times = [int(b["open_time"]) for b in bars]
    h = np.array([float(b["high"]) for b in bars])
    lo = np.array([float(b["low"]) for b in bars])
    c = np.array([float(b["close"]) for b in bars])
    v = np.array([float(b["volume"]) for b in bars])
    fc = [fixed(b["close"], scale) for b in bars]

    cols = {}
    lookbacks = {}

    def add(name, lb, **outputs):
        lookbacks[name] = lb
        for col, values in outputs.items():
            cols[col] = list(values)

    add("sma", lookback("SMA", timeperiod=20), sma=talib.SMA(c, 20))
    add("exact_sma", lookback("SMA", timeperiod=20), exact_sma_sum=exact_sma_sums(fc, 20))
    add("ema", lookback("EMA", timeperiod=20), ema=talib.EMA(c, 20))
    add("wma", lookback("WMA", timeperiod=20), wma=talib.WMA(c, 20))
    add("dema", lookback("DEMA", timeperiod=20), dema=talib.DEMA(c, 20))
    add("tema", lookback("TEMA", timeperiod=20), tema=talib.TEMA(c, 20))
    hull = hma(list(c), 20)
    add("hma", next(i for i, x in enumerate(hull) if x is not None), hma=hull)
    add("kama", lookback("KAMA", timeperiod=10), kama=talib.KAMA(c, 10))
    add("session_vwap", 0, session_vwap=session_vwap(times, h, lo, c, v))
    add("rolling_vwap", 19, rolling_vwap=rolling_vwap(h, lo, c, v, 20))
    add("rsi", lookback("RSI", timeperiod=14), rsi=talib.RSI(c, 14))
    k, d = talib.STOCH(h, lo, c, fastk_period=5, slowk_period=3, slowk_matype=0, slowd_period=3, slowd_matype=0)
    add("stochastic", lookback("STOCH", fastk_period=5, slowk_period=3, slowd_period=3), stoch_k=k, stoch_d=d)
    k, d = talib.STOCHRSI(c, timeperiod=14, fastk_period=5, fastd_period=3, fastd_matype=0)
    add("stoch_rsi", lookback("STOCHRSI", timeperiod=14, fastk_period=5, fastd_period=3), stochrsi_k=k, stochrsi_d=d)
    add("williams_r", lookback("WILLR", timeperiod=14), willr=talib.WILLR(h, lo, c, 14))
    add("cci", lookback("CCI", timeperiod=20), cci=talib.CCI(h, lo, c, 20))
    add("mfi", lookback("MFI", timeperiod=14), mfi=talib.MFI(h, lo, c, v, 14))
    add("roc", lookback("ROC", timeperiod=10), roc=talib.ROC(c, 10))
    add("momentum", lookback("MOM", timeperiod=10), mom=talib.MOM(c, 10))
    line, signal, hist = talib.MACD(c, fastperiod=12, slowperiod=26, signalperiod=9)
    add("macd", lookback("MACD", fastperiod=12, slowperiod=26, signalperiod=9),
        macd=line, macd_signal=signal, macd_hist=hist)
    add("ppo", lookback("PPO", fastperiod=12, slowperiod=26, matype=1), ppo=talib.PPO(c, 12, 26, matype=1))
    add("dmi", lookback("PLUS_DI", timeperiod=14), plus_di=talib.PLUS_DI(h, lo, c, 14),
        minus_di=talib.MINUS_DI(h, lo, c, 14))
    assert lookback("MINUS_DI", timeperiod=14) == lookbacks["dmi"]
    add("adx", lookback("ADX", timeperiod=14), adx=talib.ADX(h, lo, c, 14))
    down, up = talib.AROON(h, lo, 14)
    add("aroon", lookback("AROON", timeperiod=14), aroon_up=up, aroon_down=down, aroon_osc=talib.AROONOSC(h, lo, 14))
    assert lookback("AROONOSC", timeperiod=14) == lookbacks["aroon"]
    add("true_range", lookback("TRANGE"), trange=talib.TRANGE(h, lo, c))
    add("atr", lookback("ATR", timeperiod=14), atr=talib.ATR(h, lo, c, 14))
    add("natr", lookback("NATR", timeperiod=14), natr=talib.NATR(h, lo, c, 14))
    upper, middle, lower = talib.BBANDS(c, 20, 2.0, 2.0, matype=0)
    percent_b = [None if np.isnan(u) else (x - l) / (u - l) if u != l else 0.5 for x, u, l in zip(c, upper, lower)]
    add("bollinger", lookback("BBANDS", timeperiod=20, nbdevup=2.0, nbdevdn=2.0),
        bb_upper=upper, bb_middle=middle, bb_lower=lower, bb_percent_b=percent_b)
    mid, atr = talib.EMA(c, 20), talib.ATR(h, lo, c, 10)
    add("keltner", max(lookback("EMA", timeperiod=20), lookback("ATR", timeperiod=10)),
        kc_upper=mid + 2.0 * atr, kc_middle=mid, kc_lower=mid - 2.0 * atr)
    top, bottom = talib.MAX(h, 20), talib.MIN(lo, 20)
    add("donchian", lookback("MAX", timeperiod=20), dc_upper=top, dc_lower=bottom, dc_middle=(top + bottom) / 2)
    add("std_dev", lookback("STDDEV", timeperiod=20, nbdev=1.0), stddev=talib.STDDEV(c, 20, 1.0))
    add("z_score", 19, zscore=zscore(list(c), 20))
    add("obv", lookback("OBV"), obv=talib.OBV(c, v))
    add("linreg_slope", lookback("LINEARREG_SLOPE", timeperiod=14), linreg_slope=talib.LINEARREG_SLOPE(c, 14))
    add("highest", lookback("MAX", timeperiod=20), highest=talib.MAX(c, 20))
    add("lowest", lookback("MIN", timeperiod=20), lowest=talib.MIN(c, 20))
    fast, slow = exact_sma_sums(fc, 10), exact_sma_sums(fc, 30)
    add("cross", 30, cross=crosses(fast, 10, slow, 30))

    for name, values in cols.items():
        assert len(values) == len(bars), name
    return cols, lookbacks


# Columns in price units: the scaled set's are the shipped set's times 10^-PRICE_SHIFT. Every other column is
# dimensionless (oscillators, percentages, z-scores), in volume units (OBV), an exact fixed-point sum (the same
# integers: units of 10^-(SCALE + PRICE_SHIFT) of prices times 10^-PRICE_SHIFT) or a cross: the same in both sets.
PRICE_COLUMNS = {
    "sma", "ema", "wma", "dema", "tema", "hma", "kama", "session_vwap", "rolling_vwap", "mom", "macd", "macd_signal",
    "macd_hist", "trange", "atr", "bb_upper", "bb_middle", "bb_lower", "kc_upper", "kc_middle", "kc_lower",
    "dc_upper", "dc_lower", "dc_middle", "stddev", "linreg_slope", "highest", "lowest",
}


def check_scale_free(cols, small_cols):
    """TA-Lib (and the references) give the scaled set the shipped set's values, scaled as the column is, to the
    tolerance tests/indicators_golden.rs holds ours to: 1e-9 relative, 1e-9 absolute below 1 (in shipped units)."""
    for name, values in cols.items():
        factor = 10.0**-PRICE_SHIFT if name in PRICE_COLUMNS else 1.0
        for i, (x, y) in enumerate(zip(values, small_cols[name])):
            if text(x) == "" or isinstance(x, str):
                assert text(y) == text(x), (name, i, x, y)
                continue
            assert abs(y / factor - x) <= 1e-9 * max(abs(x), 1.0), (name, i, x, y / factor)


def text(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return x if isinstance(x, str) else repr(int(x)) if isinstance(x, int) else repr(float(x))


def write_goldens(path, bars, cols):
    header = ["open_time", "high", "low", "close", "volume", *cols]
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for i, b in enumerate(bars):
            w.writerow([b["open_time"], b["high"], b["low"], b["close"], b["volume"],
                        *(text(cols[name][i]) for name in cols)])


def main():
    bars = read_bars()
    cols, lookbacks = columns(bars, SCALE)
    small = scaled_bars(bars)
    small_cols, small_lookbacks = columns(small, SCALE + PRICE_SHIFT)
    assert small_lookbacks == lookbacks and list(small_cols) == list(cols)
    check_scale_free(cols, small_cols)
    OUT.mkdir(parents=True, exist_ok=True)
    write_goldens(OUT / "goldens.csv", bars, cols)
    write_goldens(OUT / "goldens_scaled.csv", small, small_cols)
    with open(OUT / "lookbacks.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["indicator", "lookback"])
        for name, lb in lookbacks.items():
            w.writerow([name, lb])
    print(f"{len(bars)} bars, {len(cols)} columns, {len(lookbacks)} indicators, shipped and scaled by "
          f"1e-{PRICE_SHIFT} -> {OUT}")


if __name__ == "__main__":
    main()
