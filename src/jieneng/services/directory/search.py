"""The unit search of the top bar (单位搜索): institutions by a fragment of the name or
the beginning of the credit code, and the regions whose name holds the text — both
inside the caller's scope (:func:`jieneng.services.scope.scoped_filters`,
:func:`jieneng.services.scope.held_regions`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from jieneng.core.caller import User
from jieneng.core.names import name_key
from jieneng.core.regions import RegionTree
from jieneng.services.directory.directory import search_institutions
from jieneng.services.scope import held_regions
from jieneng.storage import regions

#: regions listed at most (a search is for a unit; a region is a shortcut)
MAX_REGIONS = 10
#: regions a region field suggests at most (a province's ~150; the nation's ~3,000 are not)
MAX_CHOICES = 2000


def search(engine: Engine, user: User, q: str | None, *, page: int = 1,
           per_page: int = 20) -> dict[str, Any]:
    """``q`` (stripped; blank: nothing searched) → ``q``, ``institutions`` (a page of
    :func:`~jieneng.services.directory.directory.search_institutions`) and ``regions``
    (``code, name, level`` of the visible regions whose name holds ``q``)."""
    text = (q or "").strip()
    if not text:
        return {"q": "", "institutions": {"items": [], "page": 1, "per_page": per_page,
                                          "total": 0}, "regions": []}
    found = search_institutions(engine, user.scope, q=text, page=page, per_page=per_page)
    return {"q": text, "institutions": {k: found[k] for k in ("items", "page", "per_page",
                                                              "total")},
            "regions": _regions(engine, user, text)}


def _regions(engine: Engine, user: User, text: str) -> list[dict[str, Any]]:
    key = name_key(text)
    if not key:
        return []
    with engine.connect() as conn:
        rows = regions.load_regions(conn)
        tree = RegionTree(rows)
        held = held_regions(conn, user.scope, tree)
    out = [{"code": r.code, "name": r.name, "level": int(r.level)} for r in rows
           if (held is None or r.code in held) and (key in name_key(r.name) or r.code == text)]
    out.sort(key=lambda r: (r["level"], r["code"]))
    return out[:MAX_REGIONS]


def region_choices(engine: Engine, user: User) -> list[dict[str, str]]:
    """The regions a region field of a page suggests (``code``, ``name``): those where
    the caller's scope holds something, upper levels first; none when there are more
    than :data:`MAX_CHOICES` (the field still takes a typed code)."""
    with engine.connect() as conn:
        rows = regions.load_regions(conn)
        held = held_regions(conn, user.scope, RegionTree(rows))
    kept = [r for r in rows if held is None or r.code in held]
    if len(kept) > MAX_CHOICES:
        return []
    kept.sort(key=lambda r: (int(r.level), r.code))
    return [{"code": r.code, "name": r.name} for r in kept]
