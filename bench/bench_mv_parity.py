"""M&V parity and speed against OpenEEmeter 4.1.1 on its own sample meters (issue 13 §3).

    # once: OpenEEmeter in its own venv, outside the repository
    python3 -m venv /tmp/eemeter-venv
    /tmp/eemeter-venv/bin/pip install eemeter==4.1.1 "pandas<3" "scikit-learn<1.6" pytz
    # the bench: per sample, eemeter (subprocess, its venv) and then ours, in one run
    .venv/bin/python bench/bench_mv_parity.py --eemeter-python /tmp/eemeter-venv/bin/python
    # parity only, from an earlier eemeter output
    .venv/bin/python bench/bench_mv_parity.py --eemeter-json /tmp/eemeter_mv.json

``bench/mv/run_eemeter.py`` fits eemeter's ``DailyModel`` on every daily and hourly
sample (baseline = the 365 days before the sample's blackout, reporting = the 365 days
after it) and writes the prepared daily series it used. This script feeds the
IDENTICAL daily series to our models — :func:`jieneng.core.mv.caltrack.fit_daily`
(CalTRACK 2.0 grid search) and :func:`jieneng.core.mv.caltrack_splits.fit_daily_split`
(the season × weekday/weekend structure of eemeter 4) and
:func:`jieneng.core.mv.eemeter_daily.fit_daily_eemeter4` (that structure with each group
fitted by eemeter 4's own search procedure: ``mv fit --method daily``) — and compares the savings
% = (predicted − observed) / predicted over the reporting days both predicted.
Requirement: |ours − eemeter| ≤ 0.5 percentage points for every sample; fit ≥ 20×
faster per meter-year. Our fit time is the median of ``--repeat`` fits.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from jieneng.core.mv.caltrack import fit_daily, predict_daily
from jieneng.core.mv.caltrack_splits import fit_daily_split, predict_daily_split
from jieneng.core.mv.eemeter_daily import fit_daily_eemeter4, predict_daily_eemeter4

HERE = Path(__file__).resolve().parent
Method = Callable[[np.ndarray, np.ndarray, np.ndarray, str], Callable[[np.ndarray, np.ndarray],
                                                                        np.ndarray]]


def _arr(xs: list[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in xs], dtype=float)


def _caltrack(t: np.ndarray, y: np.ndarray, d: np.ndarray, fuel: str
              ) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    fit = fit_daily(t, y, fuel=fuel)
    return lambda tr, dr: predict_daily(fit, tr)


def _split(t: np.ndarray, y: np.ndarray, d: np.ndarray, fuel: str
           ) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    fit = fit_daily_split(t, y, d, fuel=fuel)
    return lambda tr, dr: predict_daily_split(fit, tr, dr)


def _daily(t: np.ndarray, y: np.ndarray, d: np.ndarray, fuel: str
           ) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    fit = fit_daily_eemeter4(t, y, d, fuel=fuel)
    return lambda tr, dr: predict_daily_eemeter4(fit, tr, dr)


METHODS: dict[str, Method] = {"caltrack": _caltrack, "split": _split, "daily": _daily}


SAMPLES = ("il-electricity-cdd-hdd-daily", "il-electricity-cdd-hdd-hourly",
           "il-electricity-cdd-only-daily", "il-electricity-cdd-only-hourly",
           "il-gas-hdd-only-daily", "il-gas-hdd-only-hourly", "il-gas-intercept-only-daily",
           "il-gas-intercept-only-hourly", "uk-electricity-hdd-only-hourly-sample-0",
           "uk-electricity-hdd-only-hourly-sample-1", "uk-electricity-hdd-only-hourly-sample-2",
           "uk-gas-hdd-only-hourly-sample-0")


def run_eemeter(python: str, samples: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "eemeter.json"
        subprocess.run([python, str(HERE / "mv" / "run_eemeter.py"), "--out", str(out),
                        "--samples", *samples], check=True)
        data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


def compare(r: dict[str, Any], repeat: int) -> dict[str, Any]:
    b, rp = r["baseline_series"], r["reporting_series"]
    tb, yb = _arr(b["temperature_f"]), _arr(b["observed"])
    db = np.array(b["date"], dtype="datetime64[D]")
    tr, yr, pe = _arr(rp["temperature_f"]), _arr(rp["observed"]), _arr(rp["eemeter_predicted"])
    dr = np.array(rp["date"], dtype="datetime64[D]")
    row: dict[str, Any] = {"sample": r["sample"], "days": r["baseline_days"],
                           "eemeter_savings": r["eemeter"]["savings_pct"],
                           "eemeter_seconds": r["eemeter"]["fit_seconds"],
                           "eemeter_cpu_seconds": r["eemeter"].get("fit_cpu_seconds"),
                           "eemeter_split": r["eemeter"]["best_combination"],
                           "eemeter_disqualified": bool(r["eemeter"]["disqualification"])}
    for name, method in METHODS.items():
        times, cpu = [], []
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            predict = method(tb, yb, db, r["fuel"])
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        p = predict(tr, dr)
        ok = np.isfinite(p) & np.isfinite(yr) & np.isfinite(pe)
        ours = 100 * (p[ok].sum() - yr[ok].sum()) / p[ok].sum()
        theirs = 100 * (pe[ok].sum() - yr[ok].sum()) / pe[ok].sum()
        row[name] = {"savings": float(ours), "diff": float(ours - theirs),
                     "seconds": statistics.median(times), "cpu_seconds": statistics.median(cpu)}
        if name == "split":
            row["split_combination"] = fit_daily_split(tb, yb, db, fuel=r["fuel"]).combination
    return row


def report(rows: list[dict[str, Any]]) -> str:
    years = sum(r["days"] for r in rows) / 365
    ee = sum(r["eemeter_seconds"] for r in rows)
    lines = ["| sample | baseline days | eemeter 4.1.1 % | CalTRACK 2.0 % | diff pp | split % |"
             " diff pp | daily (eemeter-4) % | diff pp | eemeter split | our split |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for r in rows:
        c, s, e = r["caltrack"], r["split"], r["daily"]
        dq = " (eemeter: baseline disqualified)" if r["eemeter_disqualified"] else ""
        lines.append(
            f"| {r['sample']} | {r['days']}{dq} | {r['eemeter_savings']:.3f} | {c['savings']:.3f} |"
            f" {c['diff']:+.3f} | {s['savings']:.3f} | {s['diff']:+.3f} | {e['savings']:.3f} |"
            f" {e['diff']:+.3f} | {r['eemeter_split']} | {r['split_combination']} |")
    lines.append("")
    lines.append(f"meter-years fitted: {years:.2f}; eemeter fit {ee:.2f} s = "
                 f"{ee / years:.3f} s per meter-year")
    for name in METHODS:
        ours = sum(r[name]["seconds"] for r in rows)
        within = sum(abs(r[name]["diff"]) <= 0.5 for r in rows)
        worst = max(abs(r[name]["diff"]) for r in rows)
        ok = [r for r in rows if not r["eemeter_disqualified"]]
        within_ok = sum(abs(r[name]["diff"]) <= 0.5 for r in ok)
        lines.append(f"{name}: fit {ours * 1000:.1f} ms = {ours / years * 1000:.2f} ms per "
                     f"meter-year, {ee / ours:.0f}× faster; within 0.5 pp: {within}/{len(rows)}"
                     f" (worst {worst:.2f} pp); on the samples eemeter qualifies: "
                     f"{within_ok}/{len(ok)}")
    if all(r["eemeter_cpu_seconds"] is not None for r in rows):
        ee_cpu = sum(r["eemeter_cpu_seconds"] for r in rows)
        lines.append(f"CPU time (process time, less sensitive to a shared machine): eemeter "
                     f"{ee_cpu / years:.3f} s per meter-year; " + "; ".join(
                         f"{name} {sum(r[name]['cpu_seconds'] for r in rows) / years * 1000:.1f}"
                         f" ms = {ee_cpu / sum(r[name]['cpu_seconds'] for r in rows):.0f}×"
                         for name in METHODS))
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--eemeter-python", help="python of the eemeter venv: run eemeter now")
    src.add_argument("--eemeter-json", help="an earlier bench/mv/run_eemeter.py output")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", help="also write the rows here")
    args = ap.parse_args()
    if args.eemeter_python:
        # interleaved: each sample's eemeter fit, then ours at once, so that the load of a
        # shared machine weighs on both sides alike
        rows = [compare(r, args.repeat) for name in SAMPLES
                for r in run_eemeter(args.eemeter_python, [name])["results"]]
    else:
        data = json.loads(Path(args.eemeter_json).read_text(encoding="utf-8"))
        rows = [compare(r, args.repeat) for r in data["results"]]
    print(report(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
