"""Campaign and evaluation schemes as data (issue 14 §2).

A scheme (创建/评价方案) is an indicator tree with points, written as ONE table whose
rows each have a kind (``kind`` column; the canonical headers are English, the
spreadsheet reader in :mod:`jieneng.ingest.campaign_schemes` also takes Chinese ones):

========== ==================================================================
``scheme`` the scheme itself: ``code``, names, ``points`` = the stated total,
           ``source``, ``status``, ``note`` (exactly one row)
``param``  a parameter: ``code`` = key, ``value`` (validity_years, window_months,
           peer_group, sample_rate, full_coverage_years, self_assessment …)
``block``  a group of items (``parent`` = its block or empty); its ``points`` must
           equal the sum of its children's
``item``   a scored indicator with its ``rule`` (:class:`RuleKind`)
``band``   one band of a ``band`` item (``parent``): ``lower``/``upper`` and ``points``
``pass``   a pass rule (:class:`PassKind`): ``code`` = min_score | veto | block_met,
           ``parent`` = the block or item it names (empty: the whole scheme),
           ``value`` = the minimum score
``grade``  a grade: ``code``, names, ``lower`` = the least total that earns it
========== ==================================================================

Rule kinds: ``computed`` (a figure the platform computes — a key of the indicator
registry or a named measure of ``data/campaigns/measures.csv`` — compared with
``compare``, e.g. ``<=1.3``; full points when it holds), ``band`` (banded: ``basis``
``peer`` = the ratio of the figure to its peer group's average, ``value`` = the figure
itself; scores from the band rows), ``checklist`` (documents as evidence, scored by
the unit and its reviewers), ``inspection`` (scored on site).

Every row carries ``source`` and ``status`` (:class:`Status`): ``found`` (the
reference states it), ``partial`` (the reference states part of it, the rest is
described in ``note``), ``convention`` (not found: the platform's choice, stated).

Standard library only (a ``core`` module).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class RowKind(StrEnum):
    SCHEME = "scheme"
    PARAM = "param"
    BLOCK = "block"
    ITEM = "item"
    BAND = "band"
    PASS = "pass"
    GRADE = "grade"


class RuleKind(StrEnum):
    COMPUTED = "computed"
    BAND = "band"
    CHECKLIST = "checklist"
    INSPECTION = "inspection"


class Basis(StrEnum):
    PEER = "peer"
    VALUE = "value"


class PassKind(StrEnum):
    MIN_SCORE = "min_score"
    VETO = "veto"
    BLOCK_MET = "block_met"


class Status(StrEnum):
    FOUND = "found"
    PARTIAL = "partial"
    CONVENTION = "convention"


#: the canonical columns of a scheme table, in the order the files write them
COLUMNS: tuple[str, ...] = (
    "kind", "code", "parent", "name_zh", "name_en", "points", "rule", "measure", "basis",
    "compare", "lower", "upper", "value", "veto", "full_if", "applies", "evidence",
    "source", "status", "note")
#: the comparison operators of a ``computed`` item
OPERATORS: tuple[str, ...] = ("<=", ">=", "<", ">", "==")


@dataclass(frozen=True)
class Band:
    """One band: a figure ``x`` in (``lower``, ``upper``] (or [``lower``, ``upper``) when
    the item says ``compare = lower``) scores ``points``; None = unbounded."""

    lower: float | None
    upper: float | None
    points: float
    row: int


@dataclass(frozen=True)
class Item:
    """A block or a scored item of the tree (``is_block``)."""

    code: str
    parent: str
    name_zh: str
    name_en: str
    points: float
    row: int
    is_block: bool = False
    rule: RuleKind | None = None
    measure: str = ""
    basis: Basis = Basis.VALUE
    compare: str = ""
    veto: bool = False
    full_if: str = ""
    applies: str = ""
    evidence: str = ""
    source: str = ""
    status: Status = Status.FOUND
    note: str = ""
    bands: tuple[Band, ...] = ()

    @property
    def lower_closed(self) -> bool:
        """Bands hold their lower bound ([lower, upper)) — ``compare = lower``."""
        return self.compare == "lower"


@dataclass(frozen=True)
class PassRule:
    kind: PassKind
    target: str  # a block or item code; "" = the whole scheme
    value: float | None
    row: int
    source: str = ""
    status: Status = Status.FOUND


@dataclass(frozen=True)
class Grade:
    code: str
    name_zh: str
    name_en: str
    lower: float
    row: int


@dataclass(frozen=True)
class Scheme:
    """A validated scheme (:func:`jieneng.core.campaigns.validate.build_scheme`)."""

    code: str
    name_zh: str
    name_en: str
    total: float
    source: str
    status: Status
    note: str = ""
    params: Mapping[str, str] = field(default_factory=dict)
    nodes: tuple[Item, ...] = ()  # blocks and items, in file order
    pass_rules: tuple[PassRule, ...] = ()
    grades: tuple[Grade, ...] = ()

    @property
    def items(self) -> tuple[Item, ...]:
        """The scored items (leaves), in file order."""
        return tuple(n for n in self.nodes if not n.is_block)

    def node(self, code: str) -> Item:
        for n in self.nodes:
            if n.code == code:
                return n
        raise KeyError(code)

    def leaves_under(self, code: str) -> tuple[Item, ...]:
        """The items below block ``code`` (itself if it is an item; all for "")."""
        if not code:
            return self.items
        children: dict[str, list[Item]] = {}
        for n in self.nodes:
            children.setdefault(n.parent, []).append(n)
        out: list[Item] = []
        todo = [self.node(code)]
        while todo:
            n = todo.pop(0)
            if n.is_block:
                todo = children.get(n.code, []) + todo
            else:
                out.append(n)
        return tuple(out)

    def param(self, key: str, default: str = "") -> str:
        return self.params.get(key, default)

    def to_rows(self) -> list[dict[str, str]]:
        """The scheme as canonical rows (what :func:`build_scheme` reads back)."""
        rows = [_row(kind="scheme", code=self.code, name_zh=self.name_zh,
                     name_en=self.name_en, points=_num(self.total), source=self.source,
                     status=self.status.value, note=self.note)]
        rows += [_row(kind="param", code=k, value=v) for k, v in self.params.items()]
        for n in self.nodes:
            rows.append(_node_row(n))
            rows += [_row(kind="band", parent=n.code, lower=_num(b.lower),
                          upper=_num(b.upper), points=_num(b.points)) for b in n.bands]
        rows += [_row(kind="pass", code=p.kind.value, parent=p.target, value=_num(p.value),
                      source=p.source, status=p.status.value) for p in self.pass_rules]
        rows += [_row(kind="grade", code=g.code, name_zh=g.name_zh, name_en=g.name_en,
                      lower=_num(g.lower)) for g in self.grades]
        return rows


def _node_row(n: Item) -> dict[str, str]:
    return _row(kind="block" if n.is_block else "item", code=n.code, parent=n.parent,
                name_zh=n.name_zh, name_en=n.name_en, points=_num(n.points),
                rule=n.rule.value if n.rule else "", measure=n.measure,
                basis=n.basis.value if n.rule in (RuleKind.BAND, RuleKind.COMPUTED) else "",
                compare=n.compare,
                veto="★" if n.veto else "", full_if=n.full_if, applies=n.applies,
                evidence=n.evidence, source=n.source, status=n.status.value, note=n.note)


def _row(**cells: str) -> dict[str, str]:
    return {c: cells.get(c, "") for c in COLUMNS}


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
