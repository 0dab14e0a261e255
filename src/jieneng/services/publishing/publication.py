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
- Only administrators publish and withdraw (the command line and the demo
  builder act as one); every publish and withdraw is written to the audit log
  in the same transaction (``publication.publish`` / ``publication.withdraw``,
  object ``region`` ``<code>:<year>``, before → after).
- Withdrawing removes exactly that (region, year) mark; a year published at a
  region above stays visible below it until withdrawn there.

Storage: the key/value table (:mod:`jieneng.storage.meta`), key
``publish:<region_code>:<year>``, value a small JSON object
``{"by": username, "user_id": id or null, "at": ISO-8601 UTC}``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core.caller import Actor
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.permissions import Capability
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Filters
from jieneng.services.accounts import audit
from jieneng.services.accounts.users import require_actor
from jieneng.services.database import Reader, reading
from jieneng.storage import dashboard as dashboard_queries
from jieneng.storage import meta, regions

PREFIX = "publish:"
#: the years a mark may name (a sanity bound; data decides the rest)
MIN_YEAR, MAX_YEAR = 1990, 2100


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
        return {"by": None, "user_id": None, "at": None}
    if not isinstance(data, dict):
        return {"by": None, "user_id": None, "at": None}
    return {"by": data.get("by"), "user_id": data.get("user_id"), "at": data.get("at")}


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


def publish(engine: Engine, *, actor: Actor, region_code: str, year: int) -> dict[str, Any]:
    """Mark ``year`` published for ``region_code`` and its whole subtree.

    Administrators only (the command line acts as one). Publishing a mark that
    already exists changes nothing (no audit entry). Audited as
    ``publication.publish`` with before (None) → after (the stored value).
    Returns the mark as :func:`list_publications` gives it.

    Raises
    ------
    NotPermitted
        For an actor who is not an administrator.
    NotFound
        For a region not in the tree.
    ValidationFailed
        For a year outside the sane range, or a year in which no institution of
        the region's subtree reported a figure (``details.field`` is ``year``).
    """
    _check_year(year)
    key = publication_key(region_code, year)
    with engine.begin() as conn:
        require_actor(conn, actor, Capability.PUBLISH)
        tree = _tree(conn)
        name = _region_name(tree, region_code)
        existing = meta.get_meta(conn, key)
        if existing is None:
            latest = dashboard_queries.latest_year(conn, Filters(tree.subtree(region_code)),
                                                   before=year + 1)
            if latest != year:
                raise ValidationFailed.of(
                    "publication.no_figures", name=name, region_code=region_code,
                    year=year, field="year",
                )
            value = {"by": actor.username, "user_id": actor.user_id,
                     "at": datetime.now(UTC).isoformat(timespec="seconds")}
            meta.set_meta(conn, key, json.dumps(value, ensure_ascii=False, sort_keys=True))
            audit.record(conn, actor, "publication.publish", "region", f"{region_code}:{year}",
                         before=None, after={"region_code": region_code, "year": year, **value})
            stored = value
        else:
            stored = _parse_value(existing)
    return {"region_code": region_code, "region_name": name,
            "level": tree.by_code[region_code].level, "year": year,
            "published_by": stored["by"], "published_at": stored["at"]}


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
