"""OpenEEmeter 4.1.1 side of the M&V parity bench: runs INSIDE a separate eemeter venv.

    python3 -m venv /tmp/eemeter-venv
    /tmp/eemeter-venv/bin/pip install eemeter==4.1.1 "pandas<3" "scikit-learn<1.6" pytz
    /tmp/eemeter-venv/bin/python bench/mv/run_eemeter.py --out /tmp/eemeter_mv.json

Normally started by ``bench/bench_mv_parity.py`` (which then times our fit in the same
run). For every eemeter sample meter with daily or hourly data (hourly rolled up to
days by eemeter's own ``DailyBaselineData``): baseline = the 365 days before the
sample's ``blackout_start_date`` (metadata.json), reporting = the 365 days from its
``blackout_end_date``. Fits eemeter's ``DailyModel()`` (default, "current" settings),
predicts the reporting days and writes, per sample, the prepared daily series eemeter
used (so the other side is fed IDENTICAL inputs), eemeter's daily prediction, the
totals, the savings % and the fit time. The first fit is repeated once untimed so the
numba JIT compilation is not counted. Billing samples are not part of the daily bench.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd
from eemeter.eemeter import DailyBaselineData, DailyModel, DailyReportingData
from eemeter.eemeter.samples.load import load_sample, samples

YEAR = pd.Timedelta(days=365)


def _series(df: pd.DataFrame) -> dict[str, Any]:
    return {
        "date": [d.strftime("%Y-%m-%d") for d in df.index],
        "observed": [None if not np.isfinite(v) else float(v) for v in df["observed"]],
        "temperature_f": [None if not np.isfinite(v) else float(v) for v in df["temperature"]],
        "season": list(df["season"].astype(str)),
        "weekday_weekend": list(df["weekday_weekend"].astype(str)),
    }


def run_one(name: str) -> dict[str, Any]:
    try:
        meter, temp, md = load_sample(name)
    except ValueError:  # the UK samples ship °C only: converted to °F as eemeter expects
        meter, temp, md = load_sample(name, tempF=False)
        temp = temp * 9.0 / 5.0 + 32.0
    fuel = md["interpretation"]
    bs, be = md["blackout_start_date"], md["blackout_end_date"]
    b_meter = meter[(meter.index >= bs - YEAR) & (meter.index < bs)]
    b_temp = temp[(temp.index >= bs - YEAR) & (temp.index < bs)]
    r_meter = meter[(meter.index >= be) & (meter.index < be + YEAR)]
    r_temp = temp[(temp.index >= be) & (temp.index < be + YEAR)]
    elec = fuel == "electricity"
    base = DailyBaselineData.from_series(b_meter, b_temp, is_electricity_data=elec)
    rep = DailyReportingData.from_series(r_meter, r_temp, is_electricity_data=elec)
    t0, c0 = time.perf_counter(), time.process_time()
    model = DailyModel().fit(base, ignore_disqualification=True)
    fit_s, fit_cpu = time.perf_counter() - t0, time.process_time() - c0
    pred = model.predict(rep, ignore_disqualification=True)
    p = pred["predicted"].to_numpy(dtype=float)
    o = pred["observed"].to_numpy(dtype=float)
    ok = np.isfinite(p) & np.isfinite(o)
    predicted, observed = float(p[ok].sum()), float(o[ok].sum())
    subs = {k: {"model_type": v.coefficients.model_type.value,
                "intercept": v.coefficients.intercept,
                "hdd_bp": v.coefficients.hdd_bp, "hdd_beta": v.coefficients.hdd_beta,
                "hdd_k": v.coefficients.hdd_k, "cdd_bp": v.coefficients.cdd_bp,
                "cdd_beta": v.coefficients.cdd_beta, "cdd_k": v.coefficients.cdd_k}
            for k, v in model.params.submodels.items()}
    rep_series = _series(pred.loc[:, ["observed", "temperature", "season", "weekday_weekend"]])
    rep_series["eemeter_predicted"] = [None if not np.isfinite(v) else float(v) for v in p]
    return {
        "sample": name, "freq": md["freq"], "fuel": fuel,
        "baseline": [str((bs - YEAR).date()), str(bs.date())],
        "reporting": [str(be.date()), str((be + YEAR).date())],
        "baseline_days": int(base.df["observed"].notna().sum()),
        "baseline_series": _series(base.df),
        "reporting_series": rep_series,
        "eemeter": {"predicted_total": predicted, "observed_total": observed,
                    "savings_pct": 100.0 * (predicted - observed) / predicted,
                    "fit_seconds": fit_s, "fit_cpu_seconds": fit_cpu,
                    "best_combination": model.best_combination,
                    "submodels": subs, "disqualification": [
                        w.qualified_name for w in model.disqualification]},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--samples", nargs="*", help="default: every daily and hourly sample")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    logging.getLogger("eemeter").setLevel(logging.ERROR)
    names = args.samples or [s for s in samples() if "billing" not in s]
    run_one(names[0])  # numba JIT warm-up, not timed
    results = []
    for name in names:
        r = run_one(name)
        e = r["eemeter"]
        print(f"{name}: savings {e['savings_pct']:.3f} %, fit {e['fit_seconds']:.2f} s,"
              f" {e['best_combination']}", flush=True)
        results.append(r)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"eemeter_version": "4.1.1", "results": results}, f)


if __name__ == "__main__":
    main()
