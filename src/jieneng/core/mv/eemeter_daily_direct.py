"""DIRECT (NLopt ``GN_DIRECT``), as OpenEEmeter 4.1.1's initial guess of the balance points runs it.

Jones, Perttunen & Stuckman (1993), "Lipschitzian optimization without the Lipschitz
constant", as NLopt v2.11 states it (``cdirect``): the box scaled to the unit cube,
Jones' diameter rounded to single precision, every longest side trisected (in order of
the better of its two new values) when all sides are longest, else the longest one;
every rectangle on the lower convex hull of (diameter, value) divided, duplicates
included; stop on the evaluation budget, when every divided rectangle is smaller than
x-tol, or after an iteration that improved the best value by less than f-tol
(relative). Our own implementation (read to learn, not copied).
"""

from __future__ import annotations

import math
import struct

from jieneng.core.mv.eemeter_daily_optim import (
    Objective,
    Stop,
    _Done,
    _relstop,
    _stable_sort_small,
)

_THIRD = 0.3333333333333333333333
_EQUAL_SIDE_TOL = 5e-2


def _diameter(w: list[float]) -> float:
    """Jones' measure: half the diagonal, rounded to single precision (as NLopt)."""
    d = math.sqrt(sum(v * v for v in w)) * 0.5
    return float(struct.unpack("f", struct.pack("f", d))[0])


class _Direct:
    def __init__(self, f: Objective, lb: list[float], ub: list[float], stop: Stop) -> None:
        self.f, self.lb, self.ub, self.stop = f, lb, ub, stop
        self.n = len(lb)
        self.minf = math.inf
        self.xmin = [0.5] * self.n
        self.rects: list[list[float]] = []  # [d, f, age, c..., w...]
        self.age = 0

    def eval(self, xu: list[float]) -> float:
        x = [lo + v * (hi - lo) for v, lo, hi in zip(xu, self.lb, self.ub, strict=True)]
        fv = self.f(x)
        if fv < self.minf:
            self.minf, self.xmin = fv, list(xu)
        self.stop.nevals += 1
        if self.stop.evals_done():
            raise _Done
        return fv

    def divide(self, r: list[float]) -> None:
        n = self.n
        c, w = r[3:3 + n], r[3 + n:]
        wmax, imax = w[0], 0
        for i in range(1, n):
            if w[i] > wmax:
                wmax, imax = w[i], i
        longest = [wmax - wi <= wmax * _EQUAL_SIDE_TOL for wi in w]
        if sum(longest) == n:
            fv = [[math.inf, math.inf] for _ in range(n)]
            for i in range(n):
                if longest[i]:
                    for k, sgn in ((0, -1.0), (1, 1.0)):
                        cc = list(c)
                        cc[i] = c[i] + sgn * w[i] * _THIRD
                        fv[i][k] = self.eval(cc)
            order = _stable_sort_small(list(range(n)), [min(v) for v in fv])
            for i in order[: sum(longest)]:
                w[i] *= _THIRD
                r[0] = _diameter(w)
                r[2] = self.age
                self.age += 1
                r[3 + n:] = w
                for k in (0, 1):
                    new = list(r)
                    new[3 + i] += w[i] * (2 * k - 1)
                    new[1] = fv[i][k]
                    new[2] = self.age
                    self.age += 1
                    self.rects.append(new)
        else:
            i = imax
            w[i] *= _THIRD
            r[0] = _diameter(w)
            r[2] = self.age
            self.age += 1
            r[3 + n:] = w
            for k in (0, 1):
                new = list(r)
                new[3 + i] += w[i] * (2 * k - 1)
                new[1] = self.eval(new[3:3 + n])
                new[2] = self.age
                self.age += 1
                self.rects.append(new)

    def hull(self) -> list[list[float]]:
        """Lower convex hull of (d, f) with duplicates kept (NLopt's rule)."""
        pts = sorted(self.rects, key=lambda r: (r[0], r[1], r[2]))
        xmin, yminmin, xmax = pts[0][0], pts[0][1], pts[-1][0]
        out: list[list[float]] = []
        j = 0
        while j < len(pts) and pts[j][0] == xmin and pts[j][1] == yminmin:
            out.append(pts[j])
            j += 1
        if xmin == xmax:
            return out
        jmax = next(k for k, p in enumerate(pts) if p[0] > xmax * (1 - 1e-13))
        ymaxmin = pts[jmax][1]
        slope = (ymaxmin - yminmin) / (xmax - xmin)
        j = next(k for k, p in enumerate(pts) if p[0] > xmin * (1 + 1e-13))
        while j != jmax:
            k = pts[j]
            if k[1] > yminmin + (k[0] - xmin) * slope:
                j += 1
                continue
            if out and k[0] == out[-1][0]:
                if k[1] > out[-1][1]:
                    j = next(m for m, p in enumerate(pts) if p[0] > k[0] * (1 + 1e-13)) - 1
                else:
                    out.append(k)
                j += 1
                continue
            while len(out) > 1:
                t1 = out[-1]
                it2 = len(out) - 2
                while True:
                    t2 = out[it2]
                    it2 -= 1
                    if not (it2 >= 0 and t2[0] == t1[0] and t2[1] == t1[1]):
                        break
                if it2 < 0:
                    break
                if (t1[0] - t2[0]) * (k[1] - t2[1]) - (t1[1] - t2[1]) * (k[0] - t2[0]) >= 0:
                    break
                out.pop()
            out.append(k)
            j += 1
        m = jmax
        while m < len(pts) and pts[m][0] == xmax and pts[m][1] == ymaxmin:
            out.append(pts[m])
            m += 1
        return out

    def small(self, w: list[float]) -> bool:
        return all(wi <= self.stop.xtol_rel for wi in w)

    def divide_good(self) -> bool:
        hull = self.hull()
        nh = len(hull)
        xtol_reached, divided = True, False
        for i in range(nh):
            im = i - 1
            while im >= 0 and hull[im][0] == hull[i][0]:
                im -= 1
            ip = i + 1
            while ip < nh and hull[ip][0] == hull[i][0]:
                ip += 1
            k1 = (hull[i][1] - hull[im][1]) / (hull[i][0] - hull[im][0]) if im >= 0 else -math.inf
            k2 = (hull[i][1] - hull[ip][1]) / (hull[i][0] - hull[ip][0]) if ip < nh else -math.inf
            kk = max(k1, k2)
            if hull[i][1] - kk * hull[i][0] <= self.minf or ip == nh:
                self.divide(hull[i])
                divided = True
                xtol_reached = xtol_reached and self.small(hull[i][3 + self.n:])
        if not divided:
            big = max(self.rects, key=lambda r: (r[0], -r[1], -r[2]))
            self.divide(big)
            return False
        return xtol_reached


def direct(f: Objective, lb: list[float], ub: list[float], stop: Stop) -> tuple[list[float], float]:
    """Minimise ``f`` over the box with DIRECT; returns (x, f(x)) of the best point."""
    s = _Direct(f, lb, ub, stop)
    n = len(lb)
    try:
        c = [0.5] * n
        w = [1.0] * n
        r = [_diameter(w), 0.0, 0.0, *c, *w]
        r[1] = s.eval(c)
        s.age = 1
        s.rects.append(r)
        s.divide(r)
        while True:
            minf0 = s.minf
            if s.divide_good():
                break
            if s.minf < minf0 and _relstop(minf0, s.minf, stop.ftol_rel):
                break
    except _Done:
        pass
    x = [lo + v * (hi - lo) for v, lo, hi in zip(s.xmin, lb, ub, strict=True)]
    return x, s.minf
