"""The event factors as used for a region and year: the platform's factor set (the
region's choice, :func:`jieneng.services.statistics.factor_choice.resolve_factor_set`)
for the ``factor_set`` modes, the administrator's value for the others (set here, with
its source; capability ``factor_sets``, as choosing a factor set)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select

from jieneng.core.caller import User
from jieneng.core.carbon.events import Factor, mode, modes, resolve
from jieneng.core.exceptions import ValidationFailed
from jieneng.core.permissions import Capability, require
from jieneng.services.accounts import audit
from jieneng.services.statistics.factor_choice import resolve_factor_set
from jieneng.storage.carbon import carbon_factor, factor_overrides


def factors_for(conn: Connection, region_code: str, year: int, *,
                default_factor_set: str | None = None) -> tuple[str, dict[str, Factor]]:
    """(factor set name, mode → factor) for an event of ``region_code`` in ``year``."""
    fs = resolve_factor_set(conn, region_code, default=default_factor_set)
    return fs.name, resolve(fs, year=year, province_code=region_code,
                            overrides=factor_overrides(conn))


def factor_table(engine: Engine, region_code: str, year: int, lang: str, *,
                 default_factor_set: str | None = None) -> list[dict[str, Any]]:
    """Every mode with its factor, status and source (the rules table of the page)."""
    with engine.connect() as conn:
        _, factors = factors_for(conn, region_code, year, default_factor_set=default_factor_set)
    return [{"code": m.code, "category": m.category,
             "label": m.label_zh if lang != "en" else m.label_en, "unit": m.unit,
             "unit_label": m.unit_zh if lang != "en" else m.unit, "method": m.method,
             **{k: v for k, v in factors[m.code].to_dict().items() if k != "code"}}
            for m in modes()]


def set_factor(engine: Engine, user: User, code: str, value: float | None, source: str
               ) -> dict[str, Any]:
    """Set (or with ``value`` None clear) the factor [kgCO₂ per unit] of a mode the
    references give none for; a source is required. Audited with before → after."""
    require(user, Capability.FACTOR_SETS)
    m = mode(code)
    if m.method != "none":
        raise ValidationFailed.of("carbon_factor_from_set", field="mode", mode=code,
                                  mode_zh=m.label_zh, mode_en=m.label_en)
    if value is not None and (not value == value or value < 0 or value > 1e6):
        raise ValidationFailed.of("carbon_factor_invalid", field="value", value=str(value))
    if value is not None and not source.strip():
        raise ValidationFailed.of("carbon_factor_source_required", field="source")
    f = carbon_factor
    with engine.begin() as conn:
        before = conn.execute(select(f.c.value, f.c.source).where(f.c.mode == code)).first()
        conn.execute(delete(f).where(f.c.mode == code))
        after = None
        if value is not None:
            after = {"value": value, "source": source.strip()[:1000]}
            conn.execute(insert(f).values(mode=code, set_by=user.actor.username,
                                          set_at=datetime.now(UTC), **after))
        audit.record(conn, user.actor, "carbon.factor", "carbon_factor", code,
                     before=None if before is None else dict(before._mapping), after=after)
    return {"mode": code, "value": value, "source": source.strip() if value is not None
            else None}
