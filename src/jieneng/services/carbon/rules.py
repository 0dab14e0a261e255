"""Local carbon-points rules (碳普惠积分规则本地版): an administrator loads a variant of the
shipped ``data/carbon/point_rules.csv`` from a spreadsheet; each load that changes the
rules is a new version, the highest in force; every ledger entry records the version
that scored it (0: the shipped file), so which rule set made its points stays known.

Load: all or nothing (:class:`ImportRejected` with every issue by sheet, row and column,
:mod:`jieneng.ingest.carbon_rules`), dry run, audited (``carbon.rules`` with the actions
added, removed and changed). A file equal to the rules in force stores nothing
(``unchanged``): the export (:func:`export_rules`) loads back unchanged. Capability
``factor_sets`` (administrators), as for a factor.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from jieneng.core.caller import User
from jieneng.core.carbon.points import Rule, rules, rules_from_json, rules_to_json
from jieneng.core.exceptions import NotFound
from jieneng.core.permissions import Capability, require
from jieneng.ingest.carbon_rules import parse_rules, rules_csv
from jieneng.ingest.issues import rejection
from jieneng.services.accounts import audit
from jieneng.storage import carbon as store

#: the version number of the shipped rules file
SHIPPED = 0


@dataclass(frozen=True)
class RulesLoad:
    """What a load stored (or, dry run, would store)."""

    file: str
    rules: int
    version: int
    unchanged: bool
    added: list[str]
    removed: list[str]
    changed: list[str]
    dry_run: bool

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def active_rules(conn: Connection) -> tuple[int, tuple[Rule, ...]]:
    """(version, rules) in force: the newest loaded set, else the shipped file (0)."""
    found = store.rule_set_json(conn, None)
    return (SHIPPED, rules()) if found is None else (found[0], rules_from_json(found[1]))


def rules_of(conn: Connection, version: int) -> tuple[Rule, ...]:
    """The rules of ``version`` (0: the shipped file); NotFound for an unknown one."""
    if version == SHIPPED:
        return rules()
    found = store.rule_set_json(conn, version)
    if found is None:
        raise NotFound.of("carbon_rules_version_not_found", version=version)
    return rules_from_json(found[1])


def load_rules(engine: Engine, user: User, path: Path, *, dry_run: bool = False,
               max_bytes: int | None = None) -> RulesLoad:
    """Check the file's rules and, unless ``dry_run`` or equal to those in force, store
    them as the next version (one transaction, audited)."""
    require(user, Capability.FACTOR_SETS)
    parsed = parse_rules(path) if max_bytes is None else parse_rules(path,
                                                                     max_bytes=max_bytes)
    if parsed.errors or parsed.rules is None:
        raise rejection(parsed.file, parsed.errors)
    new = parsed.rules
    with (engine.connect() if dry_run else engine.begin()) as conn:
        version, current = active_rules(conn)
        old = {r.action: r for r in current}
        by = {r.action: r for r in new}
        diff = {"added": [a for a in by if a not in old],
                "removed": [a for a in old if a not in by],
                "changed": [a for a in by if a in old and by[a] != old[a]]}
        text = rules_to_json(new)
        unchanged = text == rules_to_json(current)
        if not unchanged:
            latest = conn.execute(select(store.carbon_point_rule_set.c.version).order_by(
                store.carbon_point_rule_set.c.version.desc()).limit(1)).scalar()
            version = int(latest or SHIPPED) + 1
            if not dry_run:
                conn.execute(insert(store.carbon_point_rule_set).values(
                    version=version, name=parsed.file[:200], rules=text,
                    sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                    loaded_by=user.actor.username))
                audit.record(conn, user.actor, "carbon.rules", "carbon_point_rule_set",
                             version, after={"file": parsed.file, "rules": len(new), **diff})
    return RulesLoad(parsed.file, len(new), version, unchanged, diff["added"],
                     diff["removed"], diff["changed"], dry_run)


def export_rules(engine: Engine, user: User, version: int | None = None
                 ) -> tuple[int, bytes]:
    """(version, CSV) of the rules in force, or of ``version``."""
    with engine.connect() as conn:
        if version is None:
            version, found = active_rules(conn)
        else:
            found = rules_of(conn, version)
    return version, rules_csv(found)


def rule_set_list(engine: Engine) -> list[dict[str, Any]]:
    """The loaded versions, newest first, then the shipped file (version 0)."""
    with engine.connect() as conn:
        loaded = store.rule_sets(conn)
    return [*loaded, {"version": SHIPPED, "name": "point_rules.csv", "sha256": "",
                      "loaded_by": "", "loaded_at": None}]
