#!/usr/bin/env python3
"""Independent reference values for `report::robust` (tests/robustness.rs reads them; Python is not needed to run it).

Written from the papers and numpy/scipy, not from the Rust code:
  * Monte Carlo of trades and the circular block bootstrap: statistics of fixed index matrices (numpy's cumprod,
    maximum.accumulate, percentile with its default linear interpolation);
  * PSR (Bailey & Lopez de Prado 2012) and DSR (2014) with scipy.stats skew/kurtosis and norm;
  * PBO by CSCV (Bailey, Borwein, Lopez de Prado & Zhu 2015) with itertools.combinations, numpy.array_split and
    scipy.stats.rankdata;
  * the standard normal distribution and quantile from scipy.special.ndtr / ndtri.

Run from the repository root:  pip install numpy scipy && python3 scripts/robust_reference.py
It rewrites tests/data/robust/*.json; the inputs are the literal numbers below (index matrices drawn once by numpy's
PCG64 with the seeds named here and stored in the JSON with the expected values).
"""

import itertools
import json
import math
from pathlib import Path

import numpy as np
from scipy import special, stats

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "robust"
QUANTILES = [5, 50, 95]

# ---- inputs -------------------------------------------------------------------------------------------------------

TRADE_RETURNS = [0.021, -0.013, 0.034, -0.027, 0.008, 0.015, -0.041, 0.052, -0.006, 0.011, -0.019, 0.027]
STARTING_EQUITY = 10_000.0

BAR_RETURNS = [0.00161, 0.00668, 0.00579, -0.01394, 0.01861, 0.0, 0.01163, -0.00949, 0.00682, 0.019, -0.01094,
               -0.00801, 0.00547, -0.01569, -0.01137, -0.00515, 0.00105, 0.01231, 0.00282, 0.00233, -0.01563,
               -0.00691, -0.00984, -0.00032, -0.00841, -0.01176, 0.00086, 0.01305, -0.0085, -0.00903]
PERIODS_PER_YEAR = 365.0

PSR_RETURNS = [0.0162, -0.01519, 0.0186, 0.00917, -0.00617, 0.00049, -0.00411, -0.00066, 0.0081, 0.02134, 0.00109,
               -0.00458, 0.00329, -0.0064, 0.00661, 0.00888, 0.00927, 0.00315, -0.0015, 0.00185, 0.0211, -0.00047,
               0.01874, -0.00495, -0.00308, 0.00343, -0.01184, 0.0038, -0.00325, -0.01847, -0.02255, -0.00897,
               -0.01006, -0.00079, 6e-05, -0.00447, 0.00239, 0.01456, -0.00544, 0.04925, 0.00783, 0.00691, -0.00242,
               0.01448, -0.00801, 0.03267, 0.01215, 0.01227, -0.00603, -0.0022, -0.00564, 0.00162, -0.00112, 0.00426,
               -0.00599, 0.00572, 0.00383, 0.00224, 0.00671, -0.025]
BENCHMARKS = [0.0, -0.05, 0.05]
TRIAL_SHARPES = [0.0375, 0.0208, 0.0103, -0.0397, 0.1616, -0.0226, 0.0496, 0.0594, -0.0637, -0.0267, -0.0021,
                 -0.0176, 0.1007, 0.0376, -0.0065, 0.0425, 0.0497, 0.0054, 0.0244, 0.0069]

# T = 48 periods (rows) of N = 6 combinations (columns): a small steady edge, an edge that stops half way,
# alternating regimes, noise, double noise, and one that never trades.
PBO_MATRIX = [
    [-0.00548,  0.01984,  0.01597,  0.01141,  0.03428,  0.00000],
    [-0.00406,  0.02053, -0.01432,  0.00894, -0.02561,  0.00000],
    [-0.00382,  0.02262,  0.03071,  0.00845,  0.00223,  0.00000],
    [ 0.00016,  0.00693,  0.00910,  0.00678, -0.00333,  0.00000],
    [-0.01127,  0.00505,  0.00006,  0.00260,  0.00425,  0.00000],
    [-0.00715,  0.02789, -0.00086,  0.00790,  0.00163,  0.00000],
    [-0.00045, -0.00066, -0.00154, -0.01414,  0.02606,  0.00000],
    [ 0.00960,  0.00666, -0.01385, -0.00513,  0.04410,  0.00000],
    [-0.03417, -0.00064,  0.02486,  0.00966,  0.00422,  0.00000],
    [ 0.00183, -0.02817, -0.01831,  0.00903, -0.01392,  0.00000],
    [ 0.01640,  0.00279, -0.00393, -0.01329,  0.01243,  0.00000],
    [ 0.00211,  0.01058, -0.00004, -0.00067,  0.00301,  0.00000],
    [-0.00616, -0.00022, -0.00298,  0.01895, -0.02686,  0.00000],
    [-0.00080, -0.00596, -0.01097, -0.00493, -0.02542,  0.00000],
    [ 0.00451,  0.01287,  0.01004, -0.01264, -0.01457,  0.00000],
    [ 0.01121,  0.01611, -0.00665, -0.01642,  0.01540,  0.00000],
    [ 0.00547,  0.00085,  0.01197,  0.01603, -0.01476,  0.00000],
    [ 0.00571,  0.00716,  0.00174, -0.00848,  0.00413,  0.00000],
    [ 0.00387, -0.00405, -0.00965,  0.01254,  0.00513,  0.00000],
    [ 0.01339, -0.00234, -0.00694, -0.01314,  0.02229,  0.00000],
    [-0.00535,  0.00265, -0.00982, -0.00113, -0.02430,  0.00000],
    [ 0.01259,  0.00690, -0.02133, -0.01595, -0.01380,  0.00000],
    [ 0.01804,  0.01111,  0.00607,  0.00562,  0.00122,  0.00000],
    [ 0.01425, -0.01111, -0.01124,  0.00373, -0.04353,  0.00000],
    [-0.02017, -0.01035,  0.00058,  0.01047, -0.00424,  0.00000],
    [-0.01682, -0.00890,  0.00146, -0.00369, -0.01757,  0.00000],
    [ 0.01921, -0.00852,  0.00814, -0.00081,  0.02608,  0.00000],
    [ 0.01350,  0.00615,  0.01246,  0.00075, -0.01052,  0.00000],
    [-0.01229, -0.01276, -0.01221,  0.00613, -0.01492,  0.00000],
    [ 0.00810,  0.00665, -0.01549,  0.00368, -0.01338,  0.00000],
    [ 0.00708,  0.01562, -0.00073,  0.00277, -0.00036,  0.00000],
    [-0.00478, -0.00533, -0.00684,  0.00236, -0.00546,  0.00000],
    [-0.00143, -0.00855, -0.00010, -0.00704, -0.03733,  0.00000],
    [-0.01019, -0.00796,  0.01625,  0.01708, -0.01611,  0.00000],
    [ 0.00233,  0.00305, -0.01034,  0.01280, -0.01156,  0.00000],
    [ 0.01233, -0.01605,  0.00375, -0.01438,  0.02019,  0.00000],
    [ 0.00335, -0.00036, -0.01087,  0.01503, -0.01271,  0.00000],
    [-0.00970, -0.00675, -0.00791,  0.00449, -0.00234,  0.00000],
    [ 0.00160,  0.01161, -0.01820,  0.02198,  0.00216,  0.00000],
    [-0.00562,  0.00693,  0.01019,  0.00564, -0.00845,  0.00000],
    [-0.00501,  0.01418,  0.00688,  0.01204, -0.00239,  0.00000],
    [ 0.00231, -0.01054,  0.01551,  0.00233, -0.00700,  0.00000],
    [ 0.00710,  0.00081, -0.00275, -0.00406, -0.01930,  0.00000],
    [ 0.01078,  0.00557,  0.00903,  0.01513,  0.00801,  0.00000],
    [ 0.00020, -0.00357, -0.01911, -0.00591, -0.01758,  0.00000],
    [ 0.01298,  0.00451, -0.00028,  0.01909, -0.00947,  0.00000],
    [-0.01070,  0.00245, -0.00855,  0.00502,  0.00757,  0.00000],
    [ 0.00149,  0.00300, -0.03304,  0.00598, -0.00794,  0.00000],
]
PBO_BLOCKS = [8, 4, 2]

NORMAL_X = [-38.0, -30.0, -20.0, -10.0, -8.0, -6.5, -5.0, -4.0, -3.0, -2.5, -1.959963984540054, -1.0, -0.6629,
            -0.5, -0.3, -0.1, 0.0, 1e-9, 0.1, 0.3, 0.5, 0.6629, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 8.3]
NORMAL_P = [1e-300, 1e-100, 1e-20, 1e-12, 1e-10, 1e-5, 0.001, 0.01, 0.02425, 0.05, 0.074, 0.075, 0.076, 0.1, 0.3,
            0.5, 0.7, 0.9, 0.924, 0.925, 0.926, 0.95, 0.99, 0.999, 1 - 1e-10, 1 - 1e-15]


# ---- statistics ---------------------------------------------------------------------------------------------------

def percentiles(values):
    p5, p50, p95 = np.percentile(np.asarray(values, dtype=float), QUANTILES)
    return {"p5": float(p5), "p50": float(p50), "p95": float(p95)}


def paths(returns, indices, start):
    """Compounded equity paths (start included as column 0) of the resamples `indices`."""
    growth = 1.0 + np.asarray(returns)[np.asarray(indices)]
    body = start * np.cumprod(growth, axis=1)
    return np.hstack([np.full((body.shape[0], 1), start), body])


def max_drawdown_pct(path_matrix):
    peaks = np.maximum.accumulate(path_matrix, axis=1)
    return ((1.0 - path_matrix / peaks) * 100.0).max(axis=1)


def monte_carlo():
    indices = np.random.default_rng(16).integers(0, len(TRADE_RETURNS), size=(40, len(TRADE_RETURNS)))
    equity = paths(TRADE_RETURNS, indices, STARTING_EQUITY)
    final = equity[:, -1]
    return {
        "inputs": {"trade_returns": TRADE_RETURNS, "starting_equity": STARTING_EQUITY, "indices": indices.tolist()},
        "expected": {
            "trades": len(TRADE_RETURNS),
            "resamples": len(indices),
            "final_equity": percentiles(final),
            "max_drawdown_pct": percentiles(max_drawdown_pct(equity)),
            "probability_below_start": float(np.mean(final < STARTING_EQUITY)),
        },
    }


def circular_blocks(rng, n, block):
    starts = rng.integers(0, n, size=math.ceil(n / block))
    return np.concatenate([(s + np.arange(block)) % n for s in starts])[:n]


def bootstrap():
    n = len(BAR_RETURNS)
    block = math.ceil(math.sqrt(n))
    rng = np.random.default_rng(1992)
    rows = [circular_blocks(rng, n, block) for _ in range(25)]
    rows.append(np.full(n, BAR_RETURNS.index(0.0)))  # a flat resample: no variance, no Sharpe ratio
    rows.append(np.full(n, 1))  # a constant non-zero resample: no variance either
    indices = np.array(rows)
    sampled = np.asarray(BAR_RETURNS)[indices]
    equity = paths(BAR_RETURNS, indices, 1.0)
    sharpes = [row.mean() / row.std(ddof=1) * math.sqrt(PERIODS_PER_YEAR) for row in sampled if np.ptp(row) > 0]
    return {
        "inputs": {"bar_returns": BAR_RETURNS, "periods_per_year": PERIODS_PER_YEAR, "block": block,
                   "indices": indices.tolist()},
        "expected": {
            "periods": n,
            "resamples": len(indices),
            "total_return": percentiles(equity[:, -1] - 1.0),
            "sharpe": percentiles(sharpes),
            "sharpe_undefined": len(indices) - len(sharpes),
            "max_drawdown_pct": percentiles(max_drawdown_pct(equity)),
        },
    }


def psr(returns, benchmark):
    """Bailey & Lopez de Prado (2012), eq. for PSR with non-excess kurtosis."""
    r = np.asarray(returns)
    sr = r.mean() / r.std(ddof=1)
    g3 = stats.skew(r)
    g4 = stats.kurtosis(r, fisher=False)
    z = (sr - benchmark) * math.sqrt(len(r) - 1) / math.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr**2)
    return {"periods": len(r), "sharpe": float(sr), "benchmark_sharpe": float(benchmark), "skewness": float(g3),
            "kurtosis": float(g4), "probability": float(stats.norm.cdf(z))}


def sharpe():
    trials = len(TRIAL_SHARPES)
    variance = float(np.var(TRIAL_SHARPES, ddof=1))
    expected_max = math.sqrt(variance) * ((1 - np.euler_gamma) * stats.norm.ppf(1 - 1 / trials)
                                          + np.euler_gamma * stats.norm.ppf(1 - 1 / (trials * math.e)))
    return {
        "inputs": {"returns": PSR_RETURNS, "benchmarks": BENCHMARKS, "trial_sharpes": TRIAL_SHARPES},
        "expected": {
            "psr": [psr(PSR_RETURNS, b) for b in BENCHMARKS],
            "dsr": {"trials": trials, "trial_sharpe_variance": variance, **psr(PSR_RETURNS, expected_max)},
        },
    }


def performance(block_rows):
    """Each column's Sharpe ratio over the rows; no variance: 0 for a zero mean, else +-inf by the mean's sign."""
    mean = block_rows.mean(axis=0)
    std = block_rows.std(axis=0, ddof=1)
    flat = np.ptp(block_rows, axis=0) == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        sr = mean / std
        sr[flat] = np.where(mean[flat] == 0, 0.0, np.sign(mean[flat]) * np.inf)
    return sr


def cscv(matrix, s):
    m = np.asarray(matrix)
    n = m.shape[1]
    blocks = np.array_split(np.arange(m.shape[0]), s)
    logits, best = [], []
    for chosen in itertools.combinations(range(s), s // 2):
        rest = [b for b in range(s) if b not in chosen]
        train = m[np.concatenate([blocks[b] for b in chosen])]
        test = m[np.concatenate([blocks[b] for b in rest])]
        n_star = int(np.argmax(performance(train)))
        omega = stats.rankdata(performance(test))[n_star] / (n + 1)
        logits.append(float(math.log(omega / (1 - omega))))
        best.append(n_star)
    return {"combinations": n, "periods": m.shape[0], "blocks": s, "splits": len(logits),
            "pbo": float(np.mean(np.array(logits) <= 0)), "logits": logits, "best_in_sample": best}


def pbo():
    series = np.asarray(PBO_MATRIX).T.tolist()  # one series per combination, as the Rust API takes them
    return {"inputs": {"series": series}, "expected": [cscv(PBO_MATRIX, s) for s in PBO_BLOCKS]}


def normal():
    return {
        "cdf": [{"x": x, "value": float(special.ndtr(x))} for x in NORMAL_X],
        "quantile": [{"p": p, "value": float(special.ndtri(p))} for p in NORMAL_P],
    }


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    files = {"monte_carlo": monte_carlo(), "bootstrap": bootstrap(), "sharpe": sharpe(), "pbo": pbo(),
             "normal": normal()}
    for name, data in files.items():
        path = OUT / f"{name}.json"
        path.write_text(json.dumps(data, indent=1) + "\n")
        print(f"wrote {path.relative_to(OUT.parent.parent.parent)}")


if __name__ == "__main__":
    main()
