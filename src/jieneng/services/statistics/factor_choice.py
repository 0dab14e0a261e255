"""Which factor set a region's figures use: an administrator's choice, inherited down the tree.

A factor set is a choice (ADR 0001): the public-institution convention
(``pi-published``, natural gas 1.33 kgce/m³) or the GB/T 2589 statistical single
value (``gbt2589-statistical``, 1.2143). An administrator may choose, per region,
the set and the electricity CO₂ scope; the choice applies to the region and its
whole subtree unless a region below makes its own. Where no region on the way up
has chosen, the installation default (``Settings.factor_set``) applies.

Storage: the existing key/value table (:mod:`jieneng.storage.meta`), keys
``factor_set:<region_code>`` and ``co2_scope:<region_code>`` (the latter absent
when the set's own default scope applies). Every change is written to the audit
log in the same transaction, with before → after.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, select

from jieneng.core.caller import Actor
from jieneng.core.exceptions import NotFound, ValidationFailed
from jieneng.core.factors.co2 import ElectricityCO2Scope
from jieneng.core.factors.sets import DEFAULT_FACTOR_SET, FACTOR_SET_NAMES, FactorSet, factor_set
from jieneng.core.permissions import Capability
from jieneng.core.scope import Scope
from jieneng.services.accounts import audit
from jieneng.services.accounts.users import require_actor
from jieneng.services.scope import scoped_filters
from jieneng.storage import meta, regions
from jieneng.storage import tables as t

FACTOR_PREFIX = "factor_set:"
SCOPE_PREFIX = "co2_scope:"
CO2_SCOPES: tuple[str, ...] = tuple(s.value for s in ElectricityCO2Scope)

#: (factor set name, electricity CO₂ scope or None for the set's own, region whose choice
#: applies or None for the installation default)
Effective = tuple[str, str | None, str | None]


def _stored(all_meta: dict[str, str]) -> dict[str, tuple[str, str | None]]:
    """Region code → (set, scope) of every valid stored choice."""
    out: dict[str, tuple[str, str | None]] = {}
    for key, name in all_meta.items():
        if not key.startswith(FACTOR_PREFIX) or name not in FACTOR_SET_NAMES:
            continue  # a set no longer shipped is ignored rather than breaking every figure
        code = key[len(FACTOR_PREFIX):]
        scope = all_meta.get(SCOPE_PREFIX + code)
        out[code] = (name, scope if scope in CO2_SCOPES else None)
    return out


def _parent(conn: Connection, code: str) -> str | None:
    value = conn.execute(
        select(t.region.c.parent_code).where(t.region.c.code == code)
    ).scalar_one_or_none()
    return None if value is None else str(value)


def effective_factor_set(
    conn: Connection, region_code: str, *, default: str | None = None
) -> Effective:
    """The factor set, electricity CO₂ scope and source region that apply to ``region_code``.

    The choice of the nearest region at or above ``region_code`` (walking up the
    tree); else ``default`` (the installation's ``Settings.factor_set``; when
    None, :data:`~jieneng.core.factors.sets.DEFAULT_FACTOR_SET`) with the set's own
    scope and no source region.
    """
    fallback: Effective = (default or DEFAULT_FACTOR_SET, None, None)
    chosen = _stored(meta.all_meta(conn))
    if not chosen:
        return fallback
    code: str | None = region_code
    seen: set[str] = set()
    while code is not None and code not in seen:
        if code in chosen:
            name, scope = chosen[code]
            return name, scope, code
        seen.add(code)
        code = _parent(conn, code)
    return fallback


def resolve_factor_set(
    conn: Connection,
    region_code: str | None,
    *,
    requested: str | None = None,
    co2_scope: str | None = None,
    default: str | None = None,
) -> FactorSet:
    """The factor set a figure of ``region_code`` is computed with.

    An explicitly ``requested`` set wins; otherwise the region's effective choice
    (:func:`effective_factor_set`), else ``default``. The one resolver used by the
    indicators, the dashboard and the directory, so page, API and CLI agree.
    """
    if requested is not None:
        return factor_set(requested, electricity_co2_scope=co2_scope)
    if region_code is None:
        return factor_set(default or DEFAULT_FACTOR_SET, electricity_co2_scope=co2_scope)
    name, chosen_scope, _ = effective_factor_set(conn, region_code, default=default)
    return factor_set(name, electricity_co2_scope=co2_scope or chosen_scope)


def _region_name(conn: Connection, code: str) -> str:
    name = conn.execute(
        select(t.region.c.name).where(t.region.c.code == code)
    ).scalar_one_or_none()
    if name is None:
        raise NotFound.of("factor_choice.region_not_found", code=code, field="region_code")
    return str(name)




def _validate(name: str | None, co2_scope: str | None) -> tuple[str | None, str | None]:
    name = (name or "").strip() or None
    co2_scope = (co2_scope or "").strip() or None
    if name is not None and name not in FACTOR_SET_NAMES:
        known = ", ".join(FACTOR_SET_NAMES)
        raise ValidationFailed.of(
            "factor_choice.unknown_factor_set", name=name, known=known, field="factor_set",
        )
    if co2_scope is not None and co2_scope not in CO2_SCOPES:
        known = ", ".join(CO2_SCOPES)
        raise ValidationFailed.of(
            "factor_choice.unknown_co2_scope", co2_scope=co2_scope, known=known,
            field="co2_scope",
        )
    if name is None and co2_scope is not None:
        raise ValidationFailed.of("factor_choice.scope_without_set", field="factor_set")
    return name, co2_scope


def _own(conn: Connection, code: str) -> dict[str, Any] | None:
    name = meta.get_meta(conn, FACTOR_PREFIX + code)
    if name is None:
        return None
    return {"factor_set": name, "co2_scope": meta.get_meta(conn, SCOPE_PREFIX + code)}


def set_factor_set(
    engine: Engine,
    *,
    actor: Actor,
    region_code: str,
    name: str | None,
    co2_scope: str | None = None,
) -> dict[str, Any] | None:
    """Choose the factor set (and electricity CO₂ scope) of a region and its subtree.

    ``name`` None or empty removes the region's own choice (it inherits again);
    ``co2_scope`` None or empty means the set's own default scope. Administrators
    only (the command line acts as one). Audited as ``factor_set.set`` or
    ``factor_set.clear`` with before → after. Returns the region's own choice
    afterwards (``{"factor_set", "co2_scope"}``, or None when it inherits).

    Raises
    ------
    NotPermitted
        For an actor who is not an administrator.
    NotFound
        For a region not in the tree.
    ValidationFailed
        For an unknown set or scope (``details.field`` names the field).
    """
    name, co2_scope = _validate(name, co2_scope)
    with engine.begin() as conn:
        require_actor(conn, actor, Capability.FACTOR_SETS)
        _region_name(conn, region_code)
        before = _own(conn, region_code)
        after = None if name is None else {"factor_set": name, "co2_scope": co2_scope}
        if before != after:
            if name is None:
                meta.delete_meta(conn, FACTOR_PREFIX + region_code)
            else:
                meta.set_meta(conn, FACTOR_PREFIX + region_code, name)
            if co2_scope is None:
                meta.delete_meta(conn, SCOPE_PREFIX + region_code)
            else:
                meta.set_meta(conn, SCOPE_PREFIX + region_code, co2_scope)
            action = "factor_set.clear" if name is None else "factor_set.set"
            audit.record(conn, actor, action, "region", region_code, before=before, after=after)
    return after


def describe_choice(
    engine: Engine, region_code: str, *, scope: Scope | None = None, default: str | None = None
) -> dict[str, Any]:
    """What applies to ``region_code``, for the API and the admin page.

    ``region_code, region_name``; ``factor_set`` and ``co2_scope`` in effect
    (the scope resolved: the chosen one or the set's own); ``co2_scope_chosen``
    (None when the set's own applies); ``source_region`` and
    ``source_region_name`` (the region whose choice applies; None for the
    installation default); ``own`` (this region's own choice or None);
    ``installation_default``.

    ``scope`` is the caller's: a region outside it is answered with NotFound.
    """
    with engine.connect() as conn:
        if scope is not None:
            scoped_filters(conn, scope, region_code=region_code)
        region_name = _region_name(conn, region_code)
        name, co2, source = effective_factor_set(conn, region_code, default=default)
        source_name = None if source is None else _region_name(conn, source)
        own = _own(conn, region_code)
    resolved = factor_set(name, electricity_co2_scope=co2).electricity_co2_scope.value
    return {
        "region_code": region_code,
        "region_name": region_name,
        "factor_set": name,
        "co2_scope": resolved,
        "co2_scope_chosen": co2,
        "source_region": source,
        "source_region_name": source_name,
        "own": own,
        "installation_default": default or DEFAULT_FACTOR_SET,
    }


def list_choices(engine: Engine) -> list[dict[str, Any]]:
    """Every region with a choice of its own, by code: ``region_code, region_name, level,
    factor_set, co2_scope`` (None: the set's own scope)."""
    with engine.connect() as conn:
        chosen = _stored(meta.all_meta(conn))
        known = {r.code: r for r in regions.load_regions(conn)} if chosen else {}
    return [
        {
            "region_code": code,
            "region_name": known[code].name if code in known else code,
            "level": known[code].level if code in known else None,
            "factor_set": name,
            "co2_scope": scope,
        }
        for code, (name, scope) in sorted(chosen.items())
    ]


def available_sets() -> list[dict[str, Any]]:
    """Every shipped factor set, as :meth:`~jieneng.core.factors.sets.FactorSet.describe`."""
    return [factor_set(name).describe() for name in FACTOR_SET_NAMES]
