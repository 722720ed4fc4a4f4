#!/usr/bin/env python3
"""Independent reference values of `ctb robust`'s sweep section on the small sweep of tests/robust_cli.rs.

Reads tests/data/robust_cli/small_sweep_inputs.json — every combination's equity at each bar close, as the library
ran them (rewrite it with `cargo test --test robust_cli -- --ignored write_the_small_sweep_reference_inputs`;
`the_reference_inputs_are_the_small_sweep_s_curves` checks that it is still what the sweep produces) — and writes
tests/data/robust_cli/small_sweep_expected.json, which `the_dsrs_and_the_pbo_are_the_reference_values_of_the_small_
sweep` compares `robust.json` with. Python is not needed to run the tests.

From the equity curves alone, with numpy/scipy and the paper formulas of scripts/robust_reference.py (PSR, DSR,
CSCV), not the Rust code:
  * bar returns E_i / E_{i-1} - 1, the first over the starting equity; a trial's Sharpe ratio mean / stdev (ddof 1);
  * daily returns the same over the equity of each UTC day's last mark, a mark belonging to the day of the instant
    just before it (the midnight mark closes the day);
  * the trials: every combination; the backtest: the combination whose values are the scenario's parameters; the
    best: the highest Sharpe ratio (the sweep's objective; the first of equals);
  * DSR of the backtest and of the best against the trials' Sharpe ratios; PBO by CSCV in 16 blocks of the days.

Run from the repository root:  pip install numpy scipy && python3 scripts/robust_cli_reference.py
"""

import json
import math
import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from robust_reference import cscv, psr  # noqa: E402  (the paper formulas, checked against numpy/scipy there)

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "robust_cli"
NANOS_PER_DAY = 86_400 * 10**9
PBO_BLOCKS = 16


def bar_returns(start, equity):
    previous = np.concatenate([[start], equity[:-1]])
    return equity / previous - 1.0


def daily_returns(start, times_ns, equity):
    days = (times_ns - 1) // NANOS_PER_DAY
    last_of_day = np.append(days[1:] != days[:-1], True)
    return bar_returns(start, equity[last_of_day])


def dsr(returns, trial_sharpes):
    n = len(trial_sharpes)
    variance = float(np.var(trial_sharpes, ddof=1))
    expected_max = math.sqrt(variance) * ((1 - np.euler_gamma) * stats.norm.ppf(1 - 1 / n)
                                          + np.euler_gamma * stats.norm.ppf(1 - 1 / (n * math.e)))
    return {"trials": n, "trial_sharpe_variance": variance, **psr(returns, expected_max)}


def main():
    inputs = json.loads((DATA / "small_sweep_inputs.json").read_text())
    start = inputs["starting_equity"]
    times = np.asarray(inputs["mark_times_s"], dtype=np.int64) * 10**9
    combos = inputs["combinations"]
    returns = [bar_returns(start, np.asarray(c["equity"])) for c in combos]
    daily = [daily_returns(start, times, np.asarray(c["equity"])) for c in combos]
    sharpes = [float(r.mean() / r.std(ddof=1)) for r in returns]
    for combo, sharpe in zip(combos, sharpes):  # the sweep's own annualised figure, as a check of the inputs
        assert math.isclose(combo["sharpe"], sharpe * math.sqrt(inputs["periods_per_year"]), rel_tol=1e-9)

    names = inputs["names"]
    own = [inputs["scenario_params"][name] for name in names]
    backtest = next(i for i, c in enumerate(combos) if c["values"] == own)
    best = int(np.argmax(sharpes))
    as_number = lambda v: int(v) if float(v).is_integer() else v  # noqa: E731
    pbo = cscv(np.asarray(daily).T, PBO_BLOCKS)
    expected = {
        "scenario_combination": backtest,
        "backtest_deflated_sharpe": dsr(returns[backtest], sharpes),
        "best": {
            "combination": combos[best]["number"],
            "params": {name: as_number(v) for name, v in zip(names, combos[best]["values"])},
            "objective": inputs["objective"],
            "deflated_sharpe": dsr(returns[best], sharpes),
        },
        "pbo": {"returns": "daily", **{k: pbo[k] for k in ("combinations", "periods", "blocks", "splits", "pbo")}},
    }
    path = DATA / "small_sweep_expected.json"
    path.write_text(json.dumps(expected, indent=1) + "\n")
    print(f"wrote {path.relative_to(DATA.parent.parent.parent)}")


if __name__ == "__main__":
    main()
