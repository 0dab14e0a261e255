"""The per-region rule settings (``rule_setting``: overrides inherited from the root
to the leaf, :func:`jieneng.core.quality.config.effective_configs`) and the
reference unit prices per province (``reference_price``) the price rule checks."""

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import (
    Connection,
    delete,
    select,
    update,
)

from jieneng.core.quality.config import RuleConfig, effective_configs
from jieneng.core.regions import RegionTree

from .. import tables as t
from ..bulk import bulk_insert
from ..regions import load_regions


def load_settings(conn: Connection) -> dict[str, dict[str, dict[str, object]]]:
    """Every region's overrides: region code → {rule code: settings dict}."""
    out: dict[str, dict[str, dict[str, object]]] = {}
    rs = t.rule_setting
    for row in conn.execute(select(rs.c.region_code, rs.c.rule, rs.c.settings)):
        out.setdefault(str(row.region_code), {})[str(row.rule)] = json.loads(row.settings)
    return out


def ancestors(tree: RegionTree, code: str) -> list[str]:
    """``code``'s chain from the root down to itself."""
    chain = []
    current: str | None = code
    while current is not None and current in tree:
        chain.append(current)
        current = tree.by_code[current].parent_code
    return chain[::-1]


def region_configs(
    conn: Connection, region_codes: Iterable[str], *, tree: RegionTree | None = None,
    settings: Mapping[str, Mapping[str, Mapping[str, object]]] | None = None,
) -> dict[str, dict[str, RuleConfig]]:
    """The effective configuration of every rule in each region (root → leaf)."""
    tree = tree or RegionTree(load_regions(conn))
    settings = load_settings(conn) if settings is None else settings
    out = {}
    for code in region_codes:
        levels = [settings[c] for c in ancestors(tree, code) if c in settings]
        out[code] = effective_configs(levels)
    return out


def upsert_setting(conn: Connection, region_code: str, rule: str, settings: str,
                   *, user_id: int | None) -> None:
    """Store (or replace) one region's override of one rule (``settings``: JSON)."""
    rs = t.rule_setting
    now = datetime.now(UTC)
    done = conn.execute(
        update(rs).where(rs.c.region_code == region_code, rs.c.rule == rule)
        .values(settings=settings, updated_by=user_id, updated_at=now)
    ).rowcount
    if not done:
        conn.execute(rs.insert().values(region_code=region_code, rule=rule, settings=settings,
                                        updated_by=user_id, updated_at=now))


def delete_setting(conn: Connection, region_code: str, rule: str) -> int:
    rs = t.rule_setting
    return int(conn.execute(
        delete(rs).where(rs.c.region_code == region_code, rs.c.rule == rule)).rowcount)


def config_key(configs: Mapping[str, RuleConfig]) -> str:
    return json.dumps({code: [c.enabled, c.severity.value, dict(sorted(c.params.items()))]
                       for code, c in sorted(configs.items())}, sort_keys=True)


def reference_prices(conn: Connection) -> dict[tuple[str, str], tuple[float, float]]:
    rp = t.reference_price
    return {(str(r.province_code), str(r.carrier)): (float(r.low), float(r.high))
            for r in conn.execute(select(rp.c.province_code, rp.c.carrier, rp.c.low, rp.c.high))}


def replace_reference_prices(conn: Connection, frame: pl.DataFrame) -> int:
    """Replace the reference prices of the provinces in ``frame`` (all-or-nothing,
    in the caller's transaction)."""
    rp = t.reference_price
    provinces = frame["province_code"].unique().to_list()
    conn.execute(delete(rp).where(rp.c.province_code.in_(provinces)))
    return bulk_insert(conn, rp, frame.select("province_code", "carrier", "low", "high",
                                              "source"))


def list_reference_prices(conn: Connection, province_code: str | None = None
                          ) -> list[dict[str, Any]]:
    rp = t.reference_price
    query = select(rp).order_by(rp.c.province_code, rp.c.carrier)
    if province_code:
        query = query.where(rp.c.province_code == province_code)
    return [dict(r._mapping) for r in conn.execute(query)]
