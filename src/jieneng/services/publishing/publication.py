"""Which years are published (公开发布) on the public big screen, region by region.

The big screen (``/screen/{region}``) is read-only and needs no login, so it
shows only what an administrator has marked publishable. A mark is a
(region code, year) pair; the rule:

- A year published for a region covers the region's **whole subtree**: the
  screen of a county shows a year published at its city or its province.
- The screen of a region shows the **latest** published year covering it
  (:func:`published_year`); with none, it shows that nothing is published yet.
- A year can be published only where it holds data: at least one institution
  of the region's subtree reported a figure in that year (otherwise
  :class:`~jieneng.core.exceptions.ValidationFailed`).
- A year is published only when it is **complete** (:func:`readiness`): the
  上报率 (tasks reported ÷ expected of the year's reporting periods in the
  region's subtree, the tasks due today only — the one rule of every yearly rate,
  :func:`jieneng.storage.reporting.period_due`) and the 审核率 (approved ÷ expected)
  reach the installation's thresholds (:class:`Thresholds`; settings ``publish_min_reporting_rate``,
  default 95 %, and ``publish_min_review_rate``, default 90 %). Below them the
  publication is refused (``publication.incomplete``) unless the caller — who holds
  the ``publish`` capability — gives a reason (``override_reason``): the year is
  then published and the reason, with the rates, is written to the mark and to
  the audit entry. A year without reporting tasks has no rates and counts as
  incomplete; a threshold of 0 turns its check off. The demo builder publishes
  unchecked (``thresholds=None``).
- Only administrators publish and withdraw (the command line and the demo
  builder act as one); every publish and withdraw is written to the audit log
  in the same transaction (``publication.publish`` / ``publication.withdraw``,
  object ``region`` ``<code>:<year>``, before → after). The web asks for a
  confirmation showing what becomes public before either (``web.publication``).
- Withdrawing removes exactly that (region, year) mark; a year published at a
  region above stays visible below it until withdrawn there.

Storage: the key/value table (:mod:`jieneng.storage.meta`), key
``publish:<region_code>:<year>``, value a small JSON object
``{"by": username, "user_id": id or null, "at": ISO-8601 UTC}`` (and
``"override_reason"`` when an incomplete year was published on purpose).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core import chinatime
from jieneng.core.caller import Actor
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Filters, Scope, ScopeKind
from jieneng.services.accounts import audit
from jieneng.services.accounts.users import require_actor
from jieneng.services.database import Reader, reading
from jieneng.services.quality.review_report import completeness
from jieneng.services.statistics.overview import overview
from jieneng.storage import dashboard as dashboard_queries
from jieneng.storage import meta, regions

PREFIX = "publish:"
#: the years a mark may name (a sanity bound; data decides the rest)
MIN_YEAR, MAX_YEAR = 1990, 2100
#: the longest reason for publishing an incomplete year
MAX_REASON = 500
PUBLIC = Scope(ScopeKind.PUBLIC)
#: the figures the confirmation shows (what the big screen will show)
READY_FIGURES = ("energy_tce", "water_m3", "co2_t", "institutions_expected",
                 "institutions_reported")


@dataclass(frozen=True)
class Thresholds:
    """The least 上报率 and 审核率 (fractions of the year's tasks) a year needs before
    it is published (settings ``publish_min_reporting_rate`` / ``publish_min_review_rate``)."""

    reporting_rate: float = 0.95
    review_rate: float = 0.90


def publication_key(region_code: str, year: int) -> str:
    """The meta key of a mark: ``publish:<region_code>:<year>``."""
    return f"{PREFIX}{region_code}:{year}"


def _parse_key(key: str) -> tuple[str, int] | None:
    if not key.startswith(PREFIX):
        return None
    code, _, year = key[len(PREFIX):].partition(":")
    if len(code) != 6 or not code.isdigit() or not year.isdigit():
        return None  # a malformed key is ignored rather than breaking the screen
    return code, int(year)


def _parse_value(value: str) -> dict[str, Any]:
    try:
        data = json.loads(value)
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    return {"by": data.get("by"), "user_id": data.get("user_id"), "at": data.get("at"),
            "override_reason": data.get("override_reason")}


def _stored(conn: Connection) -> dict[tuple[str, int], dict[str, Any]]:
    """(region code, year) → {"by", "user_id", "at"} of every mark."""
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for key, value in meta.all_meta(conn).items():
        parsed = _parse_key(key)
        if parsed is not None:
            out[parsed] = _parse_value(value)
    return out


def _tree(conn: Connection) -> RegionTree:
    return RegionTree(regions.load_regions(conn))


def published_years(
    conn_or_engine: Connection | Engine, region_code: str, *, tree: RegionTree
) -> list[int]:
    """Every year published for ``region_code`` or a region above it, ascending."""
    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.connect() as conn:
            return published_years(conn, region_code, tree=tree)
    covering = set(tree.lineage(region_code))
    if not covering:
        return []
    return sorted({year for code, year in _stored(conn_or_engine) if code in covering})


def published_year(
    conn_or_engine: Connection | Engine, region_code: str, *, tree: RegionTree
) -> int | None:
    """The latest year published for ``region_code`` or any region above it; None if none.

    A region not in ``tree`` has nothing published (None).
    """
    years = published_years(conn_or_engine, region_code, tree=tree)
    return years[-1] if years else None


def screen_state(db: Reader, region_code: str) -> dict[str, Any]:
    """What the big screen of ``region_code`` needs before any figure (one connection):
    ``region`` (``code, name``), ``years`` (:func:`published_years`) and
    ``dataset_label`` (e.g. 演示数据, or None). ``db``: an engine, or the connection of
    the screen's snapshot.

    Raises :class:`NotFound` for a region that is not in the tree.
    """
    with reading(db) as conn:
        tree = _tree(conn)
        name = _region_name(tree, region_code)
        return {
            "region": {"code": region_code, "name": name},
            "years": published_years(conn, region_code, tree=tree),
            "dataset_label": meta.get_meta(conn, "dataset_label"),
        }


def list_publications(conn_or_engine: Connection | Engine) -> list[dict[str, Any]]:
    """Every mark, by region code then year descending: ``region_code, region_name,
    level, year, published_by, published_at``."""
    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.connect() as conn:
            return list_publications(conn)
    stored = _stored(conn_or_engine)
    tree = _tree(conn_or_engine) if stored else RegionTree(())
    items = [
        {
            "region_code": code,
            "region_name": tree.name(code) if code in tree else code,
            "level": tree.by_code[code].level if code in tree else None,
            "year": year,
            "published_by": value["by"],
            "published_at": value["at"],
            "override_reason": value["override_reason"],
        }
        for (code, year), value in stored.items()
    ]
    return sorted(items, key=lambda i: (i["region_code"], -i["year"]))




def _region_name(tree: RegionTree, region_code: str) -> str:
    if region_code not in tree:
        raise NotFound.of("publication.region_not_found", region_code=region_code,
                          field="region_code")
    return tree.name(region_code)


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed.of(
            "publication.invalid_year", year=year, min_year=MIN_YEAR, max_year=MAX_YEAR,
            field="year",
        )


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def readiness(db: Reader, region_code: str, year: int, thresholds: Thresholds, *,
              default_factor_set: str | None = None, publishing: bool = True,
              as_of: date | None = None) -> dict[str, Any]:
    """What publishing ``year`` for ``region_code`` would make public, and whether the
    year is complete enough (one snapshot): ``region``, ``year``, ``published`` (this
    exact mark exists), ``covered_by`` (the regions above already publishing the
    year), ``previous_year_published`` (同比 shown), ``figures`` (能源消费总量, 用水,
    CO₂, 应报/已报 units — the screen's headline), ``tasks`` (expected, reported,
    approved, not_due — the tasks due on ``as_of``, default today, as every yearly
    rate counts them), ``reporting_rate``, ``review_rate``, ``thresholds``, ``shortfalls``
    (the rates below their threshold) and ``complete``.

    Raises NotFound for an unknown region, ValidationFailed for a year outside the range
    or — when ``publishing`` (not withdrawing) — a year without figures.
    """
    _check_year(year)
    with reading(db) as conn:
        tree = _tree(conn)
        name = _region_name(tree, region_code)
        if publishing:
            _check_figures(conn, tree, region_code, name, year)
        lineage = set(tree.lineage(region_code))
        marks = {key for key in _stored(conn) if key[0] in lineage}
        found = completeness(conn, Filters(tree.subtree(region_code)), tree, region_code,
                             year, as_of=as_of or chinatime.today())
        total = found["total"]
        data = overview(conn, PUBLIC, region_code=region_code, year=year,
                        default_factor_set=default_factor_set)
    rates = {"reporting_rate": total["reporting_rate"], "review_rate": total["approval_rate"]}
    limits = {"reporting_rate": thresholds.reporting_rate,
              "review_rate": thresholds.review_rate}
    shortfalls = [k for k, rate in rates.items()
                  if limits[k] > 0 and (rate is None or rate < limits[k])]
    return {
        "region": {"code": region_code, "name": name}, "year": year,
        "published": (region_code, year) in marks,
        "covered_by": sorted(code for code, y in marks if y == year and code != region_code),
        "previous_year_published": any(y == year - 1 for _, y in marks),
        "figures": {k: data.get(k) for k in READY_FIGURES},
        "tasks": {**{k: total[k] for k in ("expected", "reported", "approved", "not_due")},
                  "as_of": found["as_of"]},
        **rates, "thresholds": limits, "shortfalls": shortfalls, "complete": not shortfalls,
    }


def _check_figures(conn: Connection, tree: RegionTree, region_code: str, name: str,
                   year: int) -> None:
    """ValidationFailed unless an institution of the subtree reported a figure in ``year``."""
    latest = dashboard_queries.latest_year(conn, Filters(tree.subtree(region_code)),
                                           before=year + 1)
    if latest != year:
        raise ValidationFailed.of(
            "publication.no_figures", name=name, region_code=region_code, year=year,
            field="year",
        )


def _check_complete(conn: Connection, region_code: str, name: str, year: int,
                    thresholds: Thresholds, reason: str | None) -> dict[str, Any]:
    """The rates of the year; ValidationFailed ``publication.incomplete`` below the
    thresholds without a reason."""
    ready = readiness(conn, region_code, year, thresholds, publishing=False)
    check = {"reporting_rate": ready["reporting_rate"], "review_rate": ready["review_rate"],
             "complete": ready["complete"]}
    if ready["complete"]:
        return check
    if not reason:
        raise ValidationFailed.of(
            "publication.incomplete", name=name, year=year,
            reporting_rate=_percent(ready["reporting_rate"]),
            review_rate=_percent(ready["review_rate"]),
            min_reporting_rate=_percent(thresholds.reporting_rate),
            min_review_rate=_percent(thresholds.review_rate), field="override_reason",
        )
    return {**check, "override_reason": reason}


def _clean_reason(reason: str | None) -> str | None:
    cleaned = " ".join((reason or "").split())
    if len(cleaned) > MAX_REASON:
        raise ValidationFailed.of("publication.reason_too_long", max_length=MAX_REASON,
                                  field="override_reason")
    return cleaned or None


def publish(engine: Engine, *, actor: Actor, region_code: str, year: int,
            thresholds: Thresholds | None = None, override_reason: str | None = None
            ) -> dict[str, Any]:
    """Mark ``year`` published for ``region_code`` and its whole subtree.

    Administrators only (the command line acts as one). With ``thresholds`` (the web
    always passes the installation's) a year below them is refused unless
    ``override_reason`` says why it is published anyway (kept in the mark and the
    audit entry). Publishing a mark that already exists changes nothing (no audit
    entry). Audited as ``publication.publish`` with before (None) → after (the stored
    value and the rates checked). Returns the mark as :func:`list_publications` gives it.

    Raises
    ------
    NotPermitted
        For an actor who is not an administrator.
    NotFound
        For a region not in the tree.
    ValidationFailed
        For a year outside the sane range, a year in which no institution of the
        region's subtree reported a figure (``details.field`` is ``year``), or an
        incomplete year without a reason (``publication.incomplete``).
    """
    _check_year(year)
    reason = _clean_reason(override_reason)
    key = publication_key(region_code, year)
    with engine.begin() as conn:
        require_actor(conn, actor, Capability.PUBLISH)
        tree = _tree(conn)
        name = _region_name(tree, region_code)
        existing = meta.get_meta(conn, key)
        if existing is None:
            _check_figures(conn, tree, region_code, name, year)
            check = ({} if thresholds is None
                     else _check_complete(conn, region_code, name, year, thresholds, reason))
            value: dict[str, Any] = {"by": actor.username, "user_id": actor.user_id,
                                     "at": datetime.now(UTC).isoformat(timespec="seconds")}
            if check.get("override_reason"):
                value["override_reason"] = check["override_reason"]
            meta.set_meta(conn, key, json.dumps(value, ensure_ascii=False, sort_keys=True))
            audit.record(conn, actor, "publication.publish", "region", f"{region_code}:{year}",
                         before=None, after={"region_code": region_code, "year": year,
                                             **check, **value})
            stored = value
        else:
            stored = _parse_value(existing)
    return {"region_code": region_code, "region_name": name,
            "level": tree.by_code[region_code].level, "year": year,
            "published_by": stored["by"], "published_at": stored["at"],
            "override_reason": stored.get("override_reason")}


def withdraw(engine: Engine, *, actor: Actor, region_code: str, year: int) -> None:
    """Remove the mark (``region_code``, ``year``): the screens below it stop showing
    that year unless another mark above still covers it.

    Administrators only. Audited as ``publication.withdraw`` with before (the
    stored value) → after (None).

    Raises
    ------
    NotPermitted
        For an actor who is not an administrator.
    NotFound
        When that exact (region, year) is not published.
    """
    key = publication_key(region_code, year)
    with engine.begin() as conn:
        require_actor(conn, actor, Capability.PUBLISH)
        existing = meta.get_meta(conn, key)
        if existing is None:
            raise NotFound.of(
                "publication.not_published", region_code=region_code, year=year, field="year",
            )
        meta.delete_meta(conn, key)
        audit.record(conn, actor, "publication.withdraw", "region", f"{region_code}:{year}",
                     before={"region_code": region_code, "year": year,
                             **_parse_value(existing)},
                     after=None)
