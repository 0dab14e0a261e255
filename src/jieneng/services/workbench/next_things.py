"""The workbench's extension point: "the next thing to do" from the other features.

:data:`PROVIDERS` — each a function ``(conn, user, today) -> [section]`` (the shape of
:mod:`jieneng.services.workbench.rows`), set-based and cheap: the home page calls all of
them on one connection. A feature adds its provider to the tuple.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core.caller import User

from . import campaign_items, plan_items

Provider = Callable[[Connection, User, date], list[dict[str, Any]]]

#: evaluation rounds and 回头看, then work plans
PROVIDERS: tuple[Provider, ...] = (campaign_items.sections, plan_items.sections)


def next_things(engine: Engine, user: User, today: date) -> list[dict[str, Any]]:
    """The non-empty sections of every provider, in the order of :data:`PROVIDERS`."""
    with engine.connect() as conn:
        found = [s for provider in PROVIDERS for s in provider(conn, user, today)]
    return [s for s in found if s["total"]]


__all__ = ["PROVIDERS", "Provider", "next_things"]
