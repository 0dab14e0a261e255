"""Units as users type them, and conversion to the unit of the form.

Table-driven (one base unit per :class:`~jieneng.core.carriers.Dimension`): a unit
string is folded with :func:`~jieneng.core.carriers.normalise_label`, looked up,
and converted by its ratio to the base. Conversion never crosses dimensions; the
one carrier-specific exception (water in 吨, taken as m³) is declared on the
carrier itself. Carrier-specific conversion to standard coal is *not* a unit
conversion: see :mod:`jieneng.core.factors`.

References
----------
- GB 3100-1993 / GB 3102.4-1993 (SI units and prefixes: k, M, G).
- 万 = 10⁴, as used on Chinese statistical forms (万千瓦时, 万立方米, 万吨标准煤).
- 1 GJ = 1 百万千焦 (10⁶ kJ) — the form writes 热力 in 吉焦 (GJ = 百万千焦),
  ``reference-data.md`` §2.2.
"""

from __future__ import annotations

from dataclasses import dataclass

from .carriers import Carrier, Dimension, normalise_label
from .exceptions import UnitMismatch, UnknownUnit


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit: its display symbol, dimension and size in the dimension's base unit."""

    symbol: str
    dimension: Dimension
    to_base: float


_E, _H, _V, _M, _C = (
    Dimension.ELECTRICITY,
    Dimension.HEAT,
    Dimension.VOLUME,
    Dimension.MASS,
    Dimension.COAL_EQUIVALENT,
)

#: (aliases, symbol, dimension, size in base unit). Bases: kWh, GJ, m3, kg, kgce.
_UNIT_TABLE: tuple[tuple[tuple[str, ...], str, Dimension, float], ...] = (
    (("kWh", "千瓦时", "度", "千瓦·时", "千瓦小时", "kW·h", "kw.h"), "kWh", _E, 1.0),
    (("万kWh", "万千瓦时", "万度", "万千瓦·时", "万kW·h"), "万kWh", _E, 1e4),
    (("MWh", "兆瓦时", "千千瓦时"), "MWh", _E, 1e3),
    (("GWh", "吉瓦时"), "GWh", _E, 1e6),
    (("亿kWh", "亿千瓦时", "亿度"), "亿kWh", _E, 1e8),
    (("GJ", "吉焦", "百万千焦", "千兆焦"), "GJ", _H, 1.0),
    (("MJ", "兆焦", "兆焦耳", "千千焦"), "MJ", _H, 1e-3),
    (("kJ", "千焦", "千焦耳"), "kJ", _H, 1e-6),
    (("万GJ", "万吉焦"), "万GJ", _H, 1e4),
    (("TJ", "太焦"), "TJ", _H, 1e3),
    (("m3", "立方米", "方", "立方", "Nm3", "标准立方米"), "m3", _V, 1.0),
    (("万m3", "万立方米", "万方", "万立方", "万Nm3"), "万m3", _V, 1e4),
    (("L", "升", "公升"), "L", _V, 1e-3),
    (("kL", "千升"), "kL", _V, 1.0),
    (("万L", "万升", "万公升"), "万L", _V, 10.0),
    (("kg", "千克", "公斤"), "kg", _M, 1.0),
    (("t", "吨", "公吨"), "t", _M, 1e3),
    (("万t", "万吨"), "万t", _M, 1e7),
    (("kgce", "千克标准煤", "公斤标准煤", "千克标煤", "公斤标煤"), "kgce", _C, 1.0),
    (("tce", "吨标准煤", "吨标煤", "t标准煤"), "tce", _C, 1e3),
    (("万tce", "万吨标准煤", "万吨标煤"), "万tce", _C, 1e7),
)

UNITS: dict[str, Unit] = {}
for _aliases, _symbol, _dim, _size in _UNIT_TABLE:
    for _alias in (*_aliases, _symbol):
        UNITS[normalise_label(_alias)] = Unit(_symbol, _dim, _size)


def parse_unit(text: str) -> Unit:
    """The unit written as ``text`` (``万千瓦时``, ``m³``, ``ＫＷＨ`` …).

    Raises :class:`UnknownUnit` when it is not recognised.
    """
    unit = UNITS.get(normalise_label(text))
    if unit is None:
        raise UnknownUnit.of("unknown_unit", unit=text)
    return unit


def factor_to_canonical(carrier: Carrier, unit_text: str) -> float:
    """Multiplier taking a value in ``unit_text`` to ``carrier.canonical_unit``.

    Raises :class:`UnitMismatch` for a unit of another dimension (电 in 吨), and
    :class:`UnknownUnit` for an unrecognised one.
    """
    unit = parse_unit(unit_text)
    canonical = UNITS[normalise_label(carrier.canonical_unit)]
    if unit.dimension == carrier.dimension:
        return unit.to_base / canonical.to_base
    for dimension, per_base in carrier.extra_units:
        if unit.dimension == dimension:
            return unit.to_base * per_base
    raise UnitMismatch.of(
        "unit_mismatch", unit=unit_text, carrier=carrier.code,
        values={"name_zh": carrier.name_zh, "unit_zh": carrier.unit_zh,
                "name_en": carrier.name_en, "unit_en": carrier.canonical_unit},
    )


def to_canonical(carrier: Carrier, value: float, unit_text: str) -> float:
    """``value`` in ``unit_text`` expressed in the carrier's canonical unit."""
    return value * factor_to_canonical(carrier, unit_text)


def accepted_units(carrier: Carrier) -> list[str]:
    """Display symbols of every unit accepted for ``carrier``, canonical first."""
    dims = {carrier.dimension, *(d for d, _ in carrier.extra_units)}
    symbols = [carrier.canonical_unit]
    for _aliases, symbol, dim, _size in _UNIT_TABLE:
        if dim in dims and symbol not in symbols:
            symbols.append(symbol)
    return symbols
