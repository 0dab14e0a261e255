"""Data-quality checks (数据审核): run the rules, list and explain findings, and
maintain the per-region rule settings and reference prices.

- :func:`check_institution` — one institution and period, inside the caller's
  transaction (``services.entry.entry.save_entry`` and consumption imports call it
  right after writing, so a 统计员 sees problems before submitting);
- :func:`check_region` — a whole region on demand (scope-checked);
- :func:`list_findings`, :func:`explain` (written explanation → ``explained``,
  audited);
- :func:`rule_settings`, :func:`set_rule` (administrator, or a region
  administrator for its subtree; audited);
- :func:`list_reference_prices`, :func:`import_reference_prices`.

The reporting workflow reads ``quality_finding``: an ``error`` in state ``open``
blocks submission, a ``warning`` in state ``open`` needs an explanation.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine

from jieneng.core.caller import User
from jieneng.core.carriers import CARRIER_CODES
from jieneng.core.exceptions import NotFound, NotPermitted, ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.core.quality.catalogue import RULES, rule
from jieneng.core.quality.config import effective_config
from jieneng.core.quality.findings import render
from jieneng.core.quality.model import IMPORT_CHECK_LIMIT
from jieneng.core.regions import RegionTree
from jieneng.core.scope import Scope, ScopeKind
from jieneng.ingest.prices import parse_reference_prices
from jieneng.services.accounts import audit
from jieneng.services.scope import Filters, scoped_filters
from jieneng.storage import regions
from jieneng.storage.quality import evaluation
from jieneng.storage.quality import findings as finding_store
from jieneng.storage.quality import model as quality_model
from jieneng.storage.quality import settings as settings_store

PER_PAGE = 50


def _check_period(year: int, month: int | None) -> None:
    if not 2000 <= year <= 2100 or (month is not None and not 1 <= month <= 12):
        raise ValidationFailed.of("quality.invalid_period", year=year, month=month)


def check_institution(
    conn: Connection, institution_id: int, year: int, month: int | None = None,
    *, today: date | None = None,
) -> dict[str, Any]:
    """Run every rule for one institution and period and replace its findings, in
    the caller's transaction (the caller has checked the scope). Fast: one
    institution, a few small queries. Month runs replace that month's findings and
    the year-level ones."""
    # missing months are looked for up to the same month as a region run (the year's
    # last finished month), so the two never disagree; at least up to ``month``
    per = quality_model.period(year, today=today)
    if month is not None:
        per = quality_model.Period(year, month, max(month, per.cutoff))
    counts = evaluation.evaluate(conn, per, Filters(institution_ids=[institution_id]),
                                 active_only=False)
    return {"institution_id": institution_id, "year": year, "month": month,
            "findings": counts.findings, "by_rule": counts.by_rule}


def check_institutions(conn: Connection, institution_ids: Sequence[int], year: int,
                       month: int | None = None) -> dict[str, Any]:
    """:func:`check_institution` for the institutions a write touched (one evaluation)."""
    per = quality_model.period(year, month)
    counts = evaluation.evaluate(conn, per, Filters(institution_ids=list(institution_ids)),
                                 active_only=False)
    return {"institutions": counts.institutions, "findings": counts.findings}


def check_written(conn: Connection, frame: pl.DataFrame) -> None:
    """Re-check what a consumption write touched (``institution_id, year, month``
    columns): per year, the touched institutions over the whole year. A bulk load
    of more than :data:`IMPORT_CHECK_LIMIT` institutions is left to
    :func:`check_region` (it would double the import's time)."""
    if frame.height == 0 or frame["institution_id"].n_unique() > IMPORT_CHECK_LIMIT:
        return
    for year in sorted(frame["year"].unique().to_list()):
        ids = sorted(frame.filter(pl.col("year") == year)["institution_id"].unique().to_list())
        check_institutions(conn, [int(i) for i in ids], int(year))


def _can_run(user: User) -> None:
    require(user, Capability.RUN_QUALITY)


def check_region(engine: Engine, user: User, region_code: str, year: int,
                 month: int | None = None) -> dict[str, Any]:
    """Run every rule over the active institutions of ``region_code``'s subtree."""
    _check_period(year, month)
    _can_run(user)
    with engine.begin() as conn:
        filters = scoped_filters(conn, user.scope, region_code=region_code)
        counts = evaluation.evaluate(conn, quality_model.period(year, month), filters)
        audit.record(conn, user.actor, "quality.check_region", "region", region_code,
                     after={"year": year, "month": month, "findings": counts.findings})
    return {"region_code": region_code, "year": year, "month": month,
            "institutions": counts.institutions, "findings": counts.findings,
            "by_rule": counts.by_rule}


def _decorate(row: dict[str, Any], lang: str) -> dict[str, Any]:
    finding = finding_store.finding_of(row)
    out = {k: row[k] for k in ("id", "institution_id", "credit_code", "institution_name",
                               "region_code", "year", "month", "rule", "severity", "state",
                               "value", "expected", "suggested", "explanation")}
    out["carrier"] = row["carrier"] or None
    out["params"] = json.loads(row["params"]) if row["params"] else {}
    out["rule_title"] = rule(row["rule"]).title(lang)
    out["message"] = render(finding, lang)
    out["message_zh"] = render(finding, "zh")
    out["message_en"] = render(finding, "en")
    for key in ("explained_at", "found_at"):
        out[key] = row[key].isoformat() if row[key] else None
    return out


def list_findings(
    engine: Engine, scope: Scope, *, region_code: str | None = None, year: int | None = None,
    month: int | None = None, rule_code: str | None = None, severity: str | None = None,
    state: str | None = None, institution_id: int | None = None, page: int = 1,
    per_page: int = PER_PAGE, lang: str = "zh",
) -> dict[str, Any]:
    """One page of the findings visible in ``scope``, filtered."""
    if rule_code:
        rule(rule_code)
    page, per_page = max(page, 1), min(max(per_page, 1), 500)
    with engine.connect() as conn:
        filters = scoped_filters(conn, scope, region_code=region_code,
                                 institution_id=institution_id)
        rows, total = finding_store.list_findings(
            conn, filters, year=year, month=month, rule=rule_code, severity=severity,
            state=state, offset=(page - 1) * per_page, limit=per_page)
    return {"items": [_decorate(r, lang) for r in rows], "page": page, "per_page": per_page,
            "total": total}


def explain(engine: Engine, user: User, finding_id: int, text: str) -> dict[str, Any]:
    """A written explanation (说明) of a finding: state ``explained``, audited.
    Errors cannot be explained away (they must be corrected)."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed.of("quality.explanation_empty", field="explanation")
    if len(text) > 2000:
        raise ValidationFailed.of("quality.explanation_too_long", field="explanation")
    require(user, Capability.EXPLAIN_FINDINGS)
    with engine.begin() as conn:
        row = finding_store.get_finding(conn, finding_id)
        if row is None:
            raise NotFound.of("quality.finding_not_found")
        scoped_filters(conn, user.scope, institution_id=int(row["institution_id"]))
        if row["severity"] == "error":
            raise ValidationFailed.of("quality.error_not_explainable")
        if row["state"] == "resolved":
            raise ValidationFailed.of("quality.finding_gone")
        finding_store.explain_finding(conn, finding_id, text, user_id=user.id)
        audit.record(conn, user.actor, "quality.explain", "quality_finding", finding_id,
                     before={"state": row["state"], "explanation": row["explanation"]},
                     after={"state": "explained", "explanation": text})
        row = finding_store.get_finding(conn, finding_id)
    assert row is not None
    return _decorate(row, "zh")


# --------------------------------------------------------------------------- settings


def _tree(conn: Connection) -> RegionTree:
    return RegionTree(regions.load_regions(conn))


def rule_settings(engine: Engine, scope: Scope, region_code: str, lang: str = "zh"
                  ) -> dict[str, Any]:
    """The catalogue with the effective configuration in ``region_code`` and the
    region's own overrides."""
    with engine.connect() as conn:
        scoped_filters(conn, scope, region_code=region_code)
        tree = _tree(conn)
        chain = settings_store.ancestors(tree, region_code)
        settings = settings_store.load_settings(conn)
    own = settings.get(region_code, {})
    items = []
    for r in RULES:
        levels = [settings[c][r.code] for c in chain if r.code in settings.get(c, {})]
        config = effective_config(r, levels)
        items.append({
            "code": r.code, "title": r.title(lang), "description": r.description(lang),
            "level": r.level.value, "requires": r.requires,
            "default": {"enabled": r.enabled, "severity": r.severity.value,
                        "params": r.defaults()},
            "effective": {"enabled": config.enabled, "severity": config.severity.value,
                          "params": dict(config.params)},
            "override": own.get(r.code),
            "params": [{"name": p.name, "default": p.default, "minimum": p.minimum,
                        "maximum": p.maximum, "integer": p.integer,
                        "description": p.description_en if lang.startswith("en")
                        else p.description_zh} for p in r.params],
        })
    return {"region_code": region_code, "region_name": tree.name(region_code), "rules": items}


def _can_configure(conn: Connection, user: User, region_code: str) -> None:
    """``configure_rules``; an account manager only in its own subtree."""
    require(user, Capability.CONFIGURE_RULES)
    if user.is_admin:
        return
    if user.region_code is not None:
        tree = _tree(conn)
        if user.region_code in tree and region_code in tree.subtree(user.region_code):
            return
    raise NotPermitted.of("quality.rules_need_manager")


def set_rule(engine: Engine, user: User, region_code: str, rule_code: str,
             override: dict[str, Any] | None) -> dict[str, Any]:
    """Set (or, with None, remove) ``region_code``'s override of a rule; validated by
    :func:`jieneng.core.quality.config.effective_config` with the inherited settings; audited."""
    r = rule(rule_code)
    with engine.begin() as conn:
        scoped_filters(conn, user.scope, region_code=region_code)
        _can_configure(conn, user, region_code)
        settings = settings_store.load_settings(conn)
        chain = settings_store.ancestors(_tree(conn), region_code)
        before = settings.get(region_code, {}).get(r.code)
        if override is None:
            settings_store.delete_setting(conn, region_code, r.code)
        else:
            levels = [settings[c][r.code] for c in chain
                      if c != region_code and r.code in settings.get(c, {})]
            effective_config(r, [*levels, override])
            settings_store.upsert_setting(conn, region_code, r.code,
                                 json.dumps(override, ensure_ascii=False, sort_keys=True),
                                 user_id=user.id)
        audit.record(conn, user.actor, "quality.rule_setting", "rule_setting",
                     f"{region_code}/{r.code}", before=before, after=override)
    return rule_settings(engine, user.scope, region_code)


# --------------------------------------------------------------------------- reference prices


def list_reference_prices(engine: Engine, province_code: str | None = None
                          ) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return settings_store.list_reference_prices(conn, province_code)


def import_reference_prices(engine: Engine, user: User, path: Path) -> dict[str, Any]:
    """Replace the reference prices of the provinces in the file (all-or-nothing;
    :class:`ImportRejected` with every row/column issue in zh and en); the caller's
    role must hold the capability (the command line's does)."""
    require(user, Capability.IMPORT_PRICES)
    with engine.begin() as conn:
        known = {r.code for r in regions.load_regions(conn) if r.level == 1}
        frame = parse_reference_prices(path, provinces=known, carriers=set(CARRIER_CODES))
        rows = settings_store.replace_reference_prices(conn, frame)
        audit.record(conn, user.actor, "import.reference_prices", "reference_price", None,
                     after={"file": path.name, "rows": rows})
    return {"file": path.name, "rows": rows}


def visible_to(scope: Scope) -> bool:
    """Whether ``scope`` may see findings at all (not the public scope)."""
    return scope.kind is not ScopeKind.PUBLIC
