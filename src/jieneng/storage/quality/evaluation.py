"""Data-quality rules evaluated over the roll-up tables (:func:`evaluate`).

What each rule checks is defined in :mod:`jieneng.core.quality`; this package
evaluates them **set-based** over ``consumption_month``, ``consumption_year``,
``institution_profile`` and ``institution`` and stores the results in
``quality_finding``.

Evaluation (:func:`evaluate`)
-----------------------------
The institutions of an evaluation are taken in chunks of ``chunk`` (by id); for
each chunk one query reads the monthly roll-up of the evaluated year and the two
years before into a dense ``institutions × 36 months`` array per carrier, and every
figure rule is a vectorised numpy expression over those arrays (no Python loop
over rows; memory bounded by the chunk). Profiles and the directory are read per
chunk with one query each (``profile_change``: a join of this year's and last
year's profiles; ``duplicate_institution``: a self-join on ``name_key``). Peer
percentiles (``peer_outlier``) are computed over the peer groups (category ×
city-level region) with polars group-bys of one query on ``consumption_year``.

Parameters, severities and whether a rule runs come from the per-region settings
(``rule_setting``, inherited from the root to the leaf through
:func:`jieneng.core.quality.config.effective_configs`); institutions are evaluated per
group of identical effective configuration (usually one).

Finding keys
------------
``(institution_id, year, month, carrier, rule)``; ``month`` 0 = the year (or the
institution as a whole), ``carrier`` '' = 综合能耗 (total energy, tce) or no
carrier. Institution-level rules about an indicator (``profile_change``,
``peer_outlier``) store the indicator code (:data:`jieneng.core.quality.model.INDICATORS`)
in ``carrier`` so each indicator has its own finding.

Writing: :func:`jieneng.storage.quality.findings.replace_findings`.
"""

from __future__ import annotations

import time

import polars as pl
from sqlalchemy import (
    Connection,
    select,
)

from jieneng.core.quality.config import RuleConfig
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Filters

from .. import tables as t
from ..bulk import read_frame
from ..regions import load_regions
from ..scoping import institution_conditions
from .figure_rules import figure_rules, read_chunk
from .findings import begin_staging, replace_findings, stage_findings, stage_scope
from .institution_rules import duplicate_rule, peer_rules, profile_rules, quota_rule
from .metered_rule import metered_rule
from .model import Counts, Out, Period
from .pue_rule import pue_rule
from .settings import config_key, reference_prices, region_configs

#: Institutions evaluated together (one read of 36 months each).
CHUNK = 5000


def target_institutions(conn: Connection, filters: Filters, *, active_only: bool = True
                        ) -> pl.DataFrame:
    """``institution_id, region_code, category`` of the evaluated institutions: those
    of ``filters`` (regions, or the institutions a write touched)."""
    i = t.institution
    query = (select(i.c.id, i.c.region_code, i.c.category)
             .where(*institution_conditions(conn, filters)).order_by(i.c.id))
    if active_only:
        query = query.where(i.c.status == "active")
    return read_frame(conn, query, {"institution_id": pl.Int64, "region_code": pl.String,
                                    "category": pl.String})


def evaluate(
    conn: Connection, per: Period, filters: Filters, *, chunk: int = CHUNK,
    active_only: bool = True,
) -> Counts:
    """Evaluate every enabled rule for the institutions of ``filters`` (regions, or
    the institutions a write touched: ``Filters(institution_ids=…)``) and ``per``, and
    replace their findings (:func:`.findings.replace_findings`). Returns counts."""
    tree = RegionTree(load_regions(conn))
    targets = target_institutions(conn, filters, active_only=active_only)
    counts = Counts(institutions=targets.height)
    begin_staging(conn)
    if targets.height == 0:
        return counts
    stage_scope(conn, targets.select("institution_id"))
    configs_by_region = region_configs(conn, targets["region_code"].unique().to_list(),
                                       tree=tree)
    grouped: dict[str, tuple[dict[str, RuleConfig], list[str]]] = {}
    for code, configs in configs_by_region.items():
        grouped.setdefault(config_key(configs), (configs, []))[1].append(code)
    groups = list(grouped.values())
    prices = reference_prices(conn)
    mark = time.perf_counter()
    for configs, regions in groups:
        members = targets.filter(pl.col("region_code").is_in(regions))
        for start in range(0, members.height, chunk):
            part = members.slice(start, chunk)
            ids = part["institution_id"].to_list()
            out = Out(per.year)
            data = read_chunk(conn, ids, part["region_code"].to_list(), per.year,
                               costs=bool(prices) and configs["unit_price_range"].enabled)
            mark = counts.clock("read", mark)
            figure_rules(data, per, configs, prices, out)
            metered_rule(conn, data, per, configs, out)
            pue_rule(conn, data, per, configs, out)
            mark = counts.clock("figure rules", mark)
            profile_rules(conn, ids, per, configs, out)
            duplicate_rule(conn, ids, configs, out)
            mark = counts.clock("profile and directory rules", mark)
            stage_findings(conn, out.frame(), counts)
            mark = counts.clock("stage", mark)
    out = Out(per.year)
    peer_rules(conn, targets, tree, per, groups, out)
    quota_rule(conn, targets, tree, per, groups, out)
    stage_findings(conn, out.frame(), counts)
    mark = counts.clock("peer rule", mark)
    replace_findings(conn, per.year, per.months)
    counts.clock("replace", mark)
    return counts
