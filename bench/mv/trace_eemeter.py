"""Step-by-step check of our eemeter-4-compatible daily fit against OpenEEmeter 4.1.1.

Runs INSIDE the eemeter venv (see ``run_eemeter.py``), with our ``src`` on the path:

    /tmp/eemeter-venv/bin/python bench/mv/trace_eemeter.py il-electricity-cdd-hdd-daily

1. Every NLopt run of eemeter's fit (DIRECT initial guesses, Subplex fits) is replayed
   with OUR ``direct`` / ``sbplx`` (``jieneng.core.mv.eemeter_daily_optim``) on
   eemeter's OWN objective, from the same start, bounds and steps; printed: the number
   of evaluations each made, the optimum, and how many leading evaluations were
   identical (x and f to 1e-12).
2. For every group eemeter refits (``fit_final_model``), OUR whole group fit
   (``jieneng.core.mv.eemeter_daily.fit_group``: our objective + our searches) is run
   on the same days; printed: eemeter's and our final coefficients.
"""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "src"))

import eemeter.eemeter.models.daily.fit_base_models as fbm  # noqa: E402
import eemeter.eemeter.models.daily.optimize as opt  # noqa: E402
import run_eemeter  # noqa: E402

from jieneng.core.mv import eemeter_daily as ed  # noqa: E402
from jieneng.core.mv import eemeter_daily_direct as edirect  # noqa: E402
from jieneng.core.mv import eemeter_daily_optim as eo  # noqa: E402

_run = opt.NLoptOptimizer.run
_fit = fbm.fit_hdd_tidd_cdd
GROUPS: list[tuple[np.ndarray, np.ndarray, str, np.ndarray]] = []


def _replay(self: Any) -> Any:
    f = self.obj_fcn
    theirs: list[tuple[np.ndarray, float]] = []

    def logged(x: Any, grad: Any = (), **kw: Any) -> Any:
        if kw:
            return f(x, grad, **kw)
        v = f(x, grad)
        theirs.append((np.array(x, dtype=float), float(v)))
        return v

    self.obj_fcn = logged
    x0 = self.x0.copy()
    res = _run(self)
    s, idx = self.settings, self.idx_opt
    x0o, b = x0[idx], self.bnds[idx, :].T
    ours: list[tuple[np.ndarray, float]] = []

    def mine(x: list[float]) -> float:
        v = float(f(np.array(x), []))
        ours.append((np.array(x, dtype=float), v))
        return v

    stop = eo.Stop(maxeval=int(s.stop_criteria_value) - 1, ftol_rel=s.f_tol_rel,
                   xtol_rel=s.x_tol_rel)
    if "direct" in str(s.algorithm).lower():
        _, fx = edirect.direct(mine, list(b[0]), list(b[1]), stop)
    else:  # eemeter's first steps: 10 % of the bounds, towards the larger room
        step = np.clip((b[1] - b[0]) * s.initial_step, -np.max(np.abs(b - x0o), axis=0),
                       np.max(np.abs(b - x0o), axis=0))
        np.putmask(step, (x0o + step < b[0]) | (x0o + step > b[1]), -step)
        _, fx = eo.sbplx(mine, list(x0o), list(b[0]), list(b[1]), list(step), stop)
    same = 0
    for (a, fa), (c, fc) in zip(theirs, ours, strict=False):
        if not (np.allclose(a, c, rtol=1e-12, atol=1e-12) and np.isclose(fa, fc, rtol=1e-12)):
            break
        same += 1
    print(f"  {str(s.algorithm).split('.')[-1]:<14} eemeter {len(theirs):4d} evals f={res.fun:.10g}"
          f" | ours {len(ours):4d} evals f={fx:.10g} | identical {same}")
    return res


def _capture(T: Any, obs: Any, weights: Any, settings: Any, opt_options: Any, smooth: Any,
             x0: Any = None, bnds: Any = None, initial_fit: bool = False) -> Any:
    res = _fit(T, obs, weights, settings, opt_options, smooth, x0=x0, bnds=bnds,
               initial_fit=initial_fit)
    if not initial_fit:
        GROUPS.append((T.copy(), obs.copy(), res.model_key, np.array(res.x)))
    return res


def main() -> None:
    warnings.filterwarnings("ignore")
    logging.disable(logging.CRITICAL)
    opt.NLoptOptimizer.run = _replay
    fbm.fit_hdd_tidd_cdd = _capture
    name = sys.argv[1] if len(sys.argv) > 1 else "il-electricity-cdd-hdd-daily"
    print(f"{name}: NLopt runs of eemeter's fit, replayed with ours on eemeter's objective")
    r = run_eemeter.run_one(name)
    print(f"eemeter savings {r['eemeter']['savings_pct']:.3f} %, groups refitted:")
    for t, y, key, x in GROUPS:
        g = ed.fit_group(t, y)
        print(f"  eemeter {key:<20} {np.array2string(x, precision=6)}")
        print(f"  ours    {'-' if g is None else g.key:<20} "
              f"{'fallback' if g is None else np.array2string(np.array(g.x), precision=6)}")


if __name__ == "__main__":
    main()
