"""Deterministic Subplex and Brent searches (and shared stopping rules; DIRECT in
:mod:`.eemeter_daily_direct`), as OpenEEmeter 4.1.1's daily model runs them.

OpenEEmeter 4.1.1 fits its daily model with NLopt (Steven G. Johnson, "The NLopt
nonlinear-optimization package", https://github.com/stevengj/nlopt, v2.11): the
initial guess of the two balance points with ``GN_DIRECT`` (Jones, Perttunen & Stuckman
1993, "Lipschitzian optimization without the Lipschitz constant", unit-cube scaling,
Jones diameter, all longest sides trisected, every hull point divided) and the fits
with ``LN_SBPLX`` (T. Rowan 1990, "Functional stability analysis of numerical
algorithms", Nelder–Mead on subspaces; Richardson & Kuester 1973 bound handling).
Its search stops short of the least-squares optimum, so reproducing its savings means
reproducing *where it stops*: the order of evaluations, tie-breaking, step rules and
stopping tests below follow the published algorithms as NLopt states them. Our own
implementation (read to learn, not copied); scalar Python loops over at most a few
hundred evaluations — the objective itself is vectorised over days by the caller.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Objective = Callable[[list[float]], float]



@dataclass
class Stop:
    """NLopt-style stopping rules (relative tolerances; maximum evaluations)."""

    maxeval: int
    ftol_rel: float
    xtol_rel: float
    nevals: int = 0

    def evals_done(self) -> bool:
        return self.maxeval > 0 and self.nevals >= self.maxeval


class _Done(Exception):
    """Raised inside a search when a stopping rule fires."""


def _relstop(vold: float, vnew: float, reltol: float) -> bool:
    if math.isinf(vold):
        return False
    d = abs(vnew - vold)
    return d < reltol * (abs(vnew) + abs(vold)) * 0.5 or (reltol > 0 and vnew == vold)


def _xstop(x: Sequence[float], xold: Sequence[float], reltol: float) -> bool:
    diff = sum(abs(a - b) for a, b in zip(x, xold, strict=True))
    return diff < reltol * sum(abs(a) for a in x)


def _stable_sort_small(idx: list[int], keys: list[float]) -> list[int]:
    """Stable insertion sort (a handful of items)."""
    out = list(idx)
    for m in range(1, len(out)):
        j = m
        while j > 0 and keys[out[j - 1]] > keys[out[j]]:
            out[j - 1], out[j] = out[j], out[j - 1]
            j -= 1
    return out


# ---------------------------------------------------------------- Subplex (LN_SBPLX)
_ALPHA, _BETA, _GAMMA, _DELTA = 1.0, 0.5, 2.0, 0.5
_PSI, _OMEGA, _NSMIN, _NSMAX = 0.25, 0.1, 2, 5


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-13 * (abs(a) + abs(b))


def _reflect(c: list[float], scale: float, xold: list[float], lb: list[float],
             ub: list[float]) -> tuple[list[float], bool]:
    """c + scale·(c − xold) pinned to the bounds; False when it coincides with c or xold."""
    out, eq_c, eq_old = [], True, True
    for ci, xi, lo, hi in zip(c, xold, lb, ub, strict=True):
        v = min(max(ci + scale * (ci - xi), lo), hi)
        eq_c = eq_c and _close(v, ci)
        eq_old = eq_old and _close(v, xi)
        out.append(v)
    return out, not (eq_c or eq_old)


class _Best:
    def __init__(self, x: list[float], f: float) -> None:
        self.x, self.f = x, f


def _nelder_mead(f: Objective, lb: list[float], ub: list[float], best: _Best,
                 step: list[float], stop: Stop) -> tuple[str, float]:
    """Nelder–Mead on one subspace; stops when the simplex shrinks by ψ. (status, fdiff)."""
    n = len(best.x)
    x0 = list(best.x)
    pts: list[list[float]] = [x0]
    fs: list[float] = [best.f]

    def check(xc: list[float], fc: float) -> None:
        stop.nevals += 1
        if fc <= best.f:
            best.f, best.x = fc, list(xc)
        if stop.evals_done():
            raise _Done

    fdiff = math.inf
    for i in range(n):
        xb = best.x  # NLopt builds each vertex from the best point so far (ties included)
        pt = list(xb)
        pt[i] += step[i]
        if pt[i] > ub[i]:
            pt[i] = ub[i] if ub[i] - xb[i] > abs(step[i]) * 0.1 else xb[i] - abs(step[i])
        if pt[i] < lb[i]:
            if xb[i] - lb[i] > abs(step[i]) * 0.1:
                pt[i] = lb[i]
            else:
                pt[i] = xb[i] + abs(step[i])
                if pt[i] > ub[i]:
                    pt[i] = 0.5 * ((ub[i] if ub[i] - xb[i] > xb[i] - lb[i] else lb[i]) + xb[i])
        if _close(pt[i], xb[i]):
            return "failure", fdiff
        fv = f(pt)
        pts.append(pt)
        fs.append(fv)
        check(pt, fv)
    init_diam = 0.0
    while True:
        order = sorted(range(n + 1), key=lambda m: (fs[m], m))
        lo, hi, nexthi = order[0], order[-1], order[-2]
        fl, fh = fs[lo], fs[hi]
        xl, xh = pts[lo], pts[hi]
        fdiff = fh - fl
        if init_diam == 0:
            init_diam = sum(abs(a - b) for a, b in zip(xl, xh, strict=True))
        c = [0.0] * n
        for m in range(n + 1):
            if m != hi:
                for j in range(n):
                    c[j] += pts[m][j]
        c = [v * (1.0 / n) for v in c]
        diam = sum(abs(a - b) for a, b in zip(xl, xh, strict=True))
        if diam < _PSI * init_diam:
            return "xtol", fdiff
        xr, ok = _reflect(c, _ALPHA, xh, lb, ub)
        if not ok:
            return "xtol", fdiff
        fr = f(xr)
        check(xr, fr)
        if fr < fl:
            xe, ok = _reflect(c, _GAMMA, xh, lb, ub)
            pts[hi] = xe
            if not ok:
                return "xtol", fdiff
            fe = f(xe)
            check(xe, fe)
            if fe >= fr:
                pts[hi], fs[hi] = xr, fr
            else:
                fs[hi] = fe
        elif fr < fs[nexthi]:
            pts[hi], fs[hi] = xr, fr
        else:
            xc, ok = _reflect(c, -_BETA if fh <= fr else _BETA, xh, lb, ub)
            if not ok:
                return "xtol", fdiff
            fc = f(xc)
            check(xc, fc)
            if fc < fr and fc < fh:
                pts[hi], fs[hi] = xc, fc
            else:
                for m in range(n + 1):
                    if m != lo:
                        xs, ok = _reflect(xl, -_DELTA, pts[m], lb, ub)
                        if not ok:
                            return "xtol", fdiff
                        pts[m] = xs
                        fs[m] = f(xs)
                        check(xs, fs[m])


def _p_order(dx: list[float]) -> list[int]:
    """Indices by decreasing |dx|; ties keep their order (NLopt calls the C library's
    qsort_r, a stable merge sort in glibc — checked evaluation by evaluation)."""
    return _stable_sort_small(list(range(len(dx))), [-abs(v) for v in dx])


def sbplx(f: Objective, x0: list[float], lb: list[float], ub: list[float],
          step0: list[float], stop: Stop) -> tuple[list[float], float]:
    """Subplex from ``x0`` with initial steps ``step0``; returns (x, f(x))."""
    n = len(x0)
    x = list(x0)
    fx = f(x)
    stop.nevals += 1
    best = _Best(list(x), fx)
    xstep = list(step0)
    dx = [0.0] * n
    try:
        while True:
            xprev = list(x)
            p = _p_order(dx)
            normdx = sum(abs(v) for v in dx)
            normi = 0.0
            fdiff_max = 0.0
            nsubs = 0
            i = 0
            blocks: list[tuple[int, int]] = []
            while i + _NSMIN < n:
                norm = normi
                nk = min(i + _NSMAX, n)
                for k in range(i, i + _NSMIN - 1):
                    norm += abs(dx[p[k]])
                ns, good_best = _NSMIN, -math.inf
                for k in range(i + _NSMIN - 1, nk):
                    norm += abs(dx[p[k]])
                    if n - (k + 1) < _NSMIN:
                        continue
                    good = (norm / (k + 1) - (normdx - norm) / (n - (k + 1))
                            if k + 1 < n else normdx / n)
                    if good > good_best:
                        good_best, ns = good, (k + 1) - i
                for k in range(i, i + ns):
                    normi += abs(dx[p[k]])
                blocks.append((i, ns))
                i += ns
            blocks.append((i, n - i))
            for is_, ns in blocks:
                idx = p[is_:is_ + ns]
                nsubs += 1

                def fsub(xs: list[float], idx: list[int] = idx) -> float:
                    for j, v in zip(idx, xs, strict=True):
                        x[j] = v
                    return f(x)

                sub = _Best([x[j] for j in idx], best.f)
                try:
                    status, fdiff = _nelder_mead(
                        fsub, [lb[j] for j in idx], [ub[j] for j in idx], sub,
                        [xstep[j] for j in idx], stop)
                except _Done:
                    for j, v in zip(idx, sub.x, strict=True):
                        x[j] = v
                    best.f, best.x = sub.f, list(x)
                    raise
                for j, v in zip(idx, sub.x, strict=True):
                    x[j] = v
                best.f, best.x = sub.f, list(x)
                fdiff_max = max(fdiff_max, fdiff)
                if status != "xtol":
                    raise _Done
            if _relstop(best.f + fdiff_max, best.f, stop.ftol_rel):
                break
            if _xstop(x, xprev, stop.xtol_rel) and all(
                    abs(s) * _PSI <= stop.xtol_rel * abs(xj)
                    for s, xj in zip(xstep, x, strict=True)):
                break
            dx = [a - b for a, b in zip(x, xprev, strict=True)]
            if nsubs == 1:
                scale = _PSI
            else:
                stepnorm = sum(abs(s) for s in xstep)
                scale = min(max(sum(abs(v) for v in dx) / stepnorm, _OMEGA), 1 / _OMEGA)
            xstep = [-(s * scale) if d == 0 else math.copysign(s * scale, d)
                     for s, d in zip(xstep, dx, strict=True)]
    except _Done:
        pass
    return best.x, best.f


# ---------------------------------------------------------------- Brent line search
_GOLD, _CG, _MINTOL, _TINY = 1.618034, 0.3819660, 1.0e-11, 1e-21


def _bracket(f: Callable[[float], float]) -> tuple[float, float, float, float, float, float]:
    """Downhill bracket from (0, 1) by golden steps and parabolic extrapolation (grow ≤ 110)."""
    xa, xb = 0.0, 1.0
    fa, fb = f(xa), f(xb)
    if fa < fb:
        xa, xb, fa, fb = xb, xa, fb, fa
    xc = xb + _GOLD * (xb - xa)
    fc = f(xc)
    while fc < fb:
        t1 = (xb - xa) * (fb - fc)
        t2 = (xb - xc) * (fb - fa)
        val = t2 - t1
        denom = 2.0 * _TINY if abs(val) < _TINY else 2.0 * val
        w = xb - ((xb - xc) * t2 - (xb - xa) * t1) / denom
        wlim = xb + 110.0 * (xc - xb)
        if (w - xc) * (xb - w) > 0.0:
            fw = f(w)
            if fw < fc:
                return xb, w, xc, fb, fw, fc
            if fw > fb:
                return xa, xb, w, fa, fb, fw
            w = xc + _GOLD * (xc - xb)
            fw = f(w)
        elif (w - wlim) * (wlim - xc) >= 0.0:
            w = wlim
            fw = f(w)
        elif (w - wlim) * (xc - w) > 0.0:
            fw = f(w)
            if fw < fc:
                xb, xc = xc, w
                w = xc + _GOLD * (xc - xb)
                fb, fc = fc, fw
                fw = f(w)
        else:
            w = xc + _GOLD * (xc - xb)
            fw = f(w)
        xa, xb, xc, fa, fb, fc = xb, xc, w, fb, fc, fw
    return xa, xb, xc, fa, fb, fc


def brent(f: Callable[[float], float], tol: float) -> float:
    """Brent's (1973) parabolic/golden line search from the (0, 1) bracket."""
    xa, xb, xc, _fa, fb, _fc = _bracket(f)
    x = w = v = xb
    fw = fv = fx = fb
    a, b = (xa, xc) if xa < xc else (xc, xa)
    deltax, rat = 0.0, 0.0
    for _ in range(500):
        tol1 = tol * abs(x) + _MINTOL
        tol2 = 2.0 * tol1
        xmid = 0.5 * (a + b)
        if abs(x - xmid) < (tol2 - 0.5 * (b - a)):
            break
        if abs(deltax) <= tol1:
            deltax = a - x if x >= xmid else b - x
            rat = _CG * deltax
        else:
            t1 = (x - w) * (fx - fv)
            t2 = (x - v) * (fx - fw)
            p = (x - v) * t2 - (x - w) * t1
            t2 = 2.0 * (t2 - t1)
            if t2 > 0.0:
                p = -p
            t2 = abs(t2)
            dx_temp, deltax = deltax, rat
            if p > t2 * (a - x) and p < t2 * (b - x) and abs(p) < abs(0.5 * t2 * dx_temp):
                rat = p * 1.0 / t2
                u = x + rat
                if (u - a) < tol2 or (b - u) < tol2:
                    rat = tol1 if xmid - x >= 0 else -tol1
            else:
                deltax = a - x if x >= xmid else b - x
                rat = _CG * deltax
        u = (x + tol1 if rat >= 0 else x - tol1) if abs(rat) < tol1 else x + rat
        fu = f(u)
        if fu > fx:
            if u < x:
                a = u
            else:
                b = u
            if fu <= fw or w == x:
                v, w, fv, fw = w, u, fw, fu
            elif fu <= fv or v in (x, w):
                v, fv = u, fu
        else:
            if u >= x:
                a = x
            else:
                b = x
            v, w, x = w, x, u
            fv, fw, fx = fw, fx, fu
    return x
