"""Virtual-meter formulas: ``M1 - M2 + 0.5*M3``, parsed without ``eval``.

Grammar (a tiny recursive-descent parser; MyEMS evaluates its equations with SymPy's
``sympify``, ``metering-and-scale.md`` §3.1 — this one accepts nothing but)::

    expression := term (("+" | "-") term)*
    term       := factor ("*" factor)*
    factor     := ("+" | "-") factor | number | meter | "(" expression ")"
    meter      := identifier (letters, digits, "_", "."; not starting with a digit)
                | "[" any characters but "]" "]"      e.g. [3301-0001] or [总表]

A product must have a constant on at least one side (energy × energy is not energy).
Length and nesting are capped so that no formula can exhaust the stack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..exceptions import ValidationFailed

MAX_LENGTH = 2000
MAX_DEPTH = 50

_TOKEN = re.compile(r"\s*(?:(?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)"
                    r"|(?P<name>[^\W\d][\w.]*)|\[(?P<quoted>[^\]]+)\]|(?P<op>[-+*()]))")


@dataclass(frozen=True, slots=True)
class Number:
    value: float


@dataclass(frozen=True, slots=True)
class Ref:
    meter: str


@dataclass(frozen=True, slots=True)
class Negate:
    operand: Expr


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # "+", "-" or "*"
    left: Expr
    right: Expr


Expr = Number | Ref | Negate | Binary


def _tokens(formula: str) -> list[tuple[str, str, int]]:
    """(kind, text, position) of each token; raises on any other character."""
    out: list[tuple[str, str, int]] = []
    at = 0
    stripped_end = len(formula.rstrip())
    while at < stripped_end:
        match = _TOKEN.match(formula, at)
        if match is None or match.end() == at:
            position = at + len(formula[at:]) - len(formula[at:].lstrip())
            raise ValidationFailed.of("metering.formula_syntax", formula=formula,
                                      position=position + 1)
        kind = match.lastgroup or "op"
        out.append((kind, match.group(kind).strip(), match.start(kind)))
        at = match.end()
    return out


class _Parser:
    def __init__(self, formula: str) -> None:
        self.formula = formula
        self.tokens = _tokens(formula)
        self.at = 0

    def _fail(self) -> ValidationFailed:
        position = self.tokens[self.at][2] if self.at < len(self.tokens) else len(self.formula)
        return ValidationFailed.of("metering.formula_syntax", formula=self.formula,
                                   position=position + 1)

    def _peek(self) -> str | None:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else None

    def parse(self) -> Expr:
        expr = self.expression(0)
        if self.at != len(self.tokens):
            raise self._fail()
        return expr

    def expression(self, depth: int) -> Expr:
        expr = self.term(depth)
        while self._peek() in ("+", "-"):
            op = self.tokens[self.at][1]
            self.at += 1
            expr = Binary(op, expr, self.term(depth))
        return expr

    def term(self, depth: int) -> Expr:
        expr = self.factor(depth)
        while self._peek() == "*":
            self.at += 1
            right = self.factor(depth)
            if has_meter(expr) and has_meter(right):
                raise ValidationFailed.of("metering.formula_nonlinear", formula=self.formula)
            expr = Binary("*", expr, right)
        return expr

    def factor(self, depth: int) -> Expr:
        if depth > MAX_DEPTH:
            raise ValidationFailed.of("metering.formula_too_complex", formula=self.formula[:80],
                                      limit=MAX_DEPTH)
        if self.at >= len(self.tokens):
            raise self._fail()
        kind, text, _ = self.tokens[self.at]
        self.at += 1
        if text in ("+", "-") and kind == "op":
            operand = self.factor(depth + 1)
            return operand if text == "+" else Negate(operand)
        if kind == "number":
            return Number(float(text))
        if kind in ("name", "quoted"):
            return Ref(text)
        if text == "(":
            expr = self.expression(depth + 1)
            if self._peek() != ")":
                raise self._fail()
            self.at += 1
            return expr
        self.at -= 1
        raise self._fail()


def parse(formula: str) -> Expr:
    """The expression tree of ``formula``.

    Raises ``metering.formula_syntax`` (with the 1-based position of the first
    unexpected character), ``metering.formula_nonlinear``, ``metering.formula_too_long``
    or ``metering.formula_too_complex``.
    """
    if len(formula) > MAX_LENGTH:
        raise ValidationFailed.of("metering.formula_too_long", length=len(formula),
                                  limit=MAX_LENGTH)
    if not formula.strip():
        raise ValidationFailed.of("metering.formula_syntax", formula=formula, position=1)
    return _Parser(formula).parse()


def has_meter(expr: Expr) -> bool:
    return bool(references(expr))


def references(expr: Expr) -> frozenset[str]:
    """The meter numbers ``expr`` reads (iterative: a long sum is a deep tree)."""
    found: set[str] = set()
    todo: list[Expr] = [expr]
    while todo:
        node = todo.pop()
        if isinstance(node, Ref):
            found.add(node.meter)
        elif isinstance(node, Negate):
            todo.append(node.operand)
        elif isinstance(node, Binary):
            todo += (node.left, node.right)
    return frozenset(found)
