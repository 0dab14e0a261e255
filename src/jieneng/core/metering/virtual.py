"""Virtual meters: a formula over other meters (``building - data_centre``), evaluated
over their aligned interval series.

An interval of a virtual meter is missing when any meter it reads is missing there
(MyEMS substitutes 0 for a missing input hour, ``virtualmeter.py``; that invents
consumption, ``metering-and-scale.md`` §3.1); its flags are the OR of its inputs'.
Virtual meters may read other virtual meters; a loop is refused, naming it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..carriers import carrier
from ..exceptions import ValidationFailed
from ._graph import find_cycle
from .formula import Binary, Expr, Negate, Number, Ref, parse, references
from .intervals import IntervalSeries
from .series import Values


@dataclass(frozen=True)
class VirtualMeter:
    """A metering point computed from others: ``formula`` over meter numbers; its
    ``carrier`` is that of every meter it reads."""

    number: str
    carrier: str
    formula: str

    def __post_init__(self) -> None:
        carrier(self.carrier)
        if not references(self.expression):
            raise ValidationFailed.of("metering.formula_no_meter", formula=self.formula)

    @cached_property
    def expression(self) -> Expr:
        return parse(self.formula)

    @property
    def inputs(self) -> frozenset[str]:
        return references(self.expression)


def evaluation_order(virtual: Iterable[VirtualMeter], carriers: Mapping[str, str]) -> tuple[
        VirtualMeter, ...]:
    """``virtual`` ordered so that each comes after the virtual meters it reads.

    ``carriers`` maps every physical meter number to its carrier code. Raises
    ``metering.formula_unknown_meter``, ``metering.formula_carrier`` (a water meter in
    an electricity formula) or ``metering.virtual_cycle`` (naming the loop).
    """
    by_number = {v.number: v for v in virtual}
    known = {**carriers, **{n: v.carrier for n, v in by_number.items()}}
    for meter in by_number.values():
        for name in sorted(meter.inputs):
            if name not in known:
                raise ValidationFailed.of("metering.formula_unknown_meter",
                                          meter=meter.number, reference=name)
            if known[name] != meter.carrier:
                raise ValidationFailed.of("metering.formula_carrier", meter=meter.number,
                                          reference=name, carrier=known[name],
                                          expected=meter.carrier)
    edges = {n: sorted(v.inputs & by_number.keys()) for n, v in by_number.items()}
    cycle = find_cycle(edges)
    if cycle:
        raise ValidationFailed.of("metering.virtual_cycle", meters=" → ".join(cycle))
    done: list[VirtualMeter] = []
    placed: set[str] = set()
    while len(done) < len(by_number):  # a loop over meters, not readings
        for number in sorted(by_number.keys() - placed):
            if set(edges[number]) <= placed:
                done.append(by_number[number])
                placed.add(number)
    return tuple(done)


def _aligned(series: Mapping[str, IntervalSeries], names: frozenset[str]) -> tuple[
        np.ndarray, dict[str, Values], np.ndarray]:
    """The common grid of ``names`` (union of their ranges), each series on it (NaN
    where absent) and the OR of their flags."""
    widths = {series[n].interval_s for n in names}
    if len(widths) > 1:
        raise ValidationFailed.of("metering.virtual_interval_mismatch",
                                  meters=", ".join(sorted(names)),
                                  seconds=", ".join(str(w) for w in sorted(widths)))
    width = widths.pop()
    starts = [series[n].start for n in names if len(series[n])]
    if not starts:
        return np.empty(0, np.int64), {n: np.empty(0) for n in names}, np.empty(0, np.uint16)
    low = min(int(s[0]) for s in starts)
    high = max(int(s[-1]) for s in starts)
    grid = np.arange(low, high + width, width, dtype=np.int64)
    values: dict[str, Values] = {}
    flags = np.zeros(grid.size, dtype=np.uint16)
    for name in names:  # a loop over the formula's meters
        one = series[name]
        on_grid = np.full(grid.size, np.nan)
        at = (one.start - low) // width
        on_grid[at] = one.energy
        flags[at] |= one.flags
        values[name] = on_grid
    return grid, values, flags


def _evaluate(expr: Expr, values: Mapping[str, Values], size: int) -> Values:
    """``expr`` over arrays, by an explicit post-order walk (no recursion, no eval)."""
    stack: list[Values] = []
    todo: list[tuple[Expr, bool]] = [(expr, False)]
    while todo:
        node, expanded = todo.pop()
        if isinstance(node, Number):
            stack.append(np.full(size, node.value))
        elif isinstance(node, Ref):
            stack.append(values[node.meter])
        elif not expanded:
            todo.append((node, True))
            children = (node.operand,) if isinstance(node, Negate) else (node.left, node.right)
            todo += [(child, False) for child in reversed(children)]
        elif isinstance(node, Negate):
            stack.append(-stack.pop())
        elif isinstance(node, Binary):
            right, left = stack.pop(), stack.pop()
            stack.append(left + right if node.op == "+" else left - right if node.op == "-"
                         else left * right)
    return stack.pop()


def evaluate(meter: VirtualMeter, series: Mapping[str, IntervalSeries]) -> IntervalSeries:
    """The interval series of ``meter`` from the series of the meters it reads."""
    names = meter.inputs
    missing = sorted(names - series.keys())
    if missing:
        raise ValidationFailed.of("metering.formula_unknown_meter", meter=meter.number,
                                  reference=", ".join(missing))
    grid, values, flags = _aligned(series, names)
    width = next(iter(series[n].interval_s for n in names))
    return IntervalSeries(meter.number, width, grid, _evaluate(meter.expression, values,
                                                               grid.size), flags)


def evaluate_all(virtual: Iterable[VirtualMeter], series: Mapping[str, IntervalSeries],
                 carriers: Mapping[str, str]) -> dict[str, IntervalSeries]:
    """Every virtual meter's series, virtual meters reading virtual meters included."""
    known = dict(series)
    out: dict[str, IntervalSeries] = {}
    for meter in evaluation_order(virtual, carriers):
        out[meter.number] = known[meter.number] = evaluate(meter, known)
    return out
