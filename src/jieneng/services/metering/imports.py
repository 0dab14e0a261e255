"""Bulk binding of accounts (户号) and meters from a spreadsheet — all or nothing.

The file is parsed by :func:`jieneng.ingest.meters.parse_meters` (every value the
domain can check alone); here the rows meet the registry: the institution exists
and lies in the caller's scope, an account is not bound to another institution (in
the database), a meter number is new for its institution, a parent is in the file or
registered, an account a meter names is bound to its institution (in the file or the
database). Any error: :class:`ImportRejected` with every issue (file, row, column,
problem in zh/en), nothing stored. A dry run checks the same and stores nothing.

Writes are set-based: new accounts, bindings and meters each in one
``executemany``; parents set by one ``executemany`` update — no statement per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select, update

from jieneng.core.caller import User
from jieneng.core.carriers import carrier
from jieneng.core.exceptions import Conflict, NotFound, ValidationFailed
from jieneng.core.metering import Meter, check_parents
from jieneng.core.permissions import Capability, require
from jieneng.ingest.issues import ImportIssue, rejection
from jieneng.ingest.meters import MeterRows, parse_meters
from jieneng.services.accounts import audit
from jieneng.services.scope import visible_institutions
from jieneng.storage import metering as store
from jieneng.storage.institutions import InstitutionRow

from .registry import check_free


@dataclass(frozen=True)
class MeterImport:
    """What an import stored (or, dry run, would store)."""

    file: str
    rows: int
    bindings: int
    meters: int
    dry_run: bool

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "rows": self.rows, "bindings": self.bindings,
                "meters": self.meters, "dry_run": self.dry_run}


def import_meters(engine: Engine, user: User, path: Path, *, dry_run: bool = False,
                  max_bytes: int | None = None) -> MeterImport:
    """Bind the file's accounts and register its meters, or raise ImportRejected."""
    require(user, Capability.MANAGE_METERING)
    parsed = parse_meters(path) if max_bytes is None else parse_meters(path,
                                                                        max_bytes=max_bytes)
    if parsed.errors:
        raise rejection(parsed.file, parsed.errors)
    if dry_run:
        with engine.connect() as conn:
            plan = _plan(conn, user, parsed)
    else:
        with engine.begin() as conn:
            plan = _plan(conn, user, parsed)
            _write(conn, user, plan)
    return MeterImport(parsed.file, parsed.rows_read, len(plan.bindings), len(plan.meters),
                       dry_run)


@dataclass
class _Plan:
    institutions: dict[str, InstitutionRow]
    accounts: dict[tuple[str, str], dict[str, Any]]  # new accounts
    bindings: list[dict[str, Any]]
    meters: list[dict[str, Any]]
    file: str


def _plan(conn: Connection, user: User, parsed: MeterRows) -> _Plan:
    """The rows checked against the registry; raises ImportRejected with every issue."""
    issues: list[ImportIssue] = []
    institutions = visible_institutions(conn, user.scope, {r["credit_code"] for r in parsed.rows})
    rows = []
    for r in parsed.rows:
        if r["credit_code"] in institutions:
            rows.append(r)
        else:
            issues.append(parsed.issue(r["row"], "credit_code", r["credit_code"],
                                 "metering.registry.out_of_scope"))
    keys = sorted({(r["carrier"], r["account"]) for r in rows if r["account"]})
    stored = store.accounts_by_key(conn, keys)
    plan = _Plan(institutions, {}, [], [], parsed.file)
    bound: dict[tuple[str, str], int] = {}  # account → institution after the import
    for r in rows:
        if not r["account"]:
            continue
        key, inst = (r["carrier"], r["account"]), institutions[r["credit_code"]]
        if key in bound:
            continue
        bound[key] = inst.id
        found = stored.get(key)
        if found is not None:
            try:
                if check_free(conn, user.scope, int(found.id), inst, carrier(key[0]), key[1],
                              r["valid_from"]) is not None:
                    continue
            except Conflict as err:
                issues.append(parsed.issue(r["row"], "account", key[1], err))
                continue
        else:
            plan.accounts[key] = {"carrier": key[0], "number": key[1], "utility": r["utility"],
                                  "name": None}
        plan.bindings.append({"key": key, "institution_id": inst.id,
                              "valid_from": r["valid_from"], "created_by": user.actor.username})
    ids = sorted({i.id for i in institutions.values()})
    existing = {(int(m.institution_id), m.number): m for m in store.meters_of(conn, ids)}
    in_file = {(institutions[r["credit_code"]].id, r["meter"]) for r in rows if r["meter"]}
    for r in rows:
        meter = r.get("meter_spec")
        if meter is None:
            continue
        inst = institutions[r["credit_code"]]
        if (inst.id, meter.number) in existing:
            issues.append(parsed.issue(r["row"], "meter", meter.number, Conflict.of(
                "metering.registry.meter_exists", meter=meter.number,
                institution=inst.credit_code)))
            continue
        if meter.parent and (inst.id, meter.parent) not in in_file | existing.keys():
            issues.append(parsed.issue(r["row"], "parent", meter.parent,
                                 "metering.registry.parent_missing"))
            continue
        if r["account"] and bound.get((meter.carrier, r["account"])) != inst.id and not (
                stored.get((meter.carrier, r["account"])) is not None
                and stored[(meter.carrier, r["account"])].institution_id == inst.id):
            issues.append(parsed.issue(r["row"], "account", r["account"], NotFound.of(
                "metering.registry.account_not_bound", account=r["account"],
                institution=inst.credit_code)))
            continue
        plan.meters.append({
            "institution_id": inst.id, "number": meter.number, "name": r["meter_name"],
            "carrier": meter.carrier, "item_code": meter.item_code,
            "ct": meter.multiplier.ct, "pt": meter.multiplier.pt,
            "register": meter.register.value, "unit": meter.unit, "interval_s": 900,
            "status": "active", "key": (meter.carrier, r["account"]) if r["account"] else None,
            "parent": meter.parent})
    issues += _loops(parsed, plan.meters, existing.values())
    if issues:
        raise rejection(parsed.file, sorted(issues, key=lambda i: i.row or 0))
    return plan


def _loops(parsed: MeterRows, meters: Sequence[dict[str, Any]],
           existing: Any) -> list[ImportIssue]:
    """A loop of parents among an institution's meters, stored and new."""
    out: list[ImportIssue] = []
    stored = list(existing)
    for inst_id in sorted({m["institution_id"] for m in meters}):  # a loop over units
        tree = [Meter(r.number, r.carrier, parent=r.parent_number) for r in stored
                if int(r.institution_id) == inst_id and r.formula is None]
        tree += [Meter(m["number"], m["carrier"], parent=m["parent"]) for m in meters
                 if m["institution_id"] == inst_id]
        try:
            check_parents(tree)
        except ValidationFailed as err:
            out.append(parsed.issue(None, "parent", None, err))
    return out


def _write(conn: Connection, user: User, plan: _Plan) -> None:
    """Accounts, bindings, meters, parents: one executemany each."""
    store.insert_many(conn, store.metering_account, list(plan.accounts.values()))
    ids = {k: int(r.id) for k, r in store.accounts_by_key(
        conn, sorted({b["key"] for b in plan.bindings}
                     | {m["key"] for m in plan.meters if m["key"]})).items()}
    store.insert_many(conn, store.metering_binding, [
        {k: v for k, v in b.items() if k != "key"} | {"account_id": ids[b["key"]]}
        for b in plan.bindings])
    store.insert_many(conn, store.metering_meter, [
        {k: v for k, v in m.items() if k not in ("key", "parent")}
        | {"account_id": ids[m["key"]] if m["key"] else None} for m in plan.meters])
    _set_parents(conn, [m for m in plan.meters if m["parent"]])
    audit.record(conn, user.actor, "metering.import", "metering_import", plan.file,
                 after={"bindings": len(plan.bindings), "meters": len(plan.meters),
                        "institutions": sorted(plan.institutions)})


def _set_parents(conn: Connection, meters: Sequence[dict[str, Any]]) -> None:
    if not meters:
        return
    m = store.metering_meter
    inst_ids = sorted({x["institution_id"] for x in meters})
    by_key = {(int(r.institution_id), r.number): int(r.id) for r in conn.execute(
        select(m.c.id, m.c.institution_id, m.c.number).where(
            m.c.institution_id.in_(inst_ids)))}
    conn.execute(
        update(m).where(m.c.id == bindparam("b_id")).values(parent_id=bindparam("b_parent")),
        [{"b_id": by_key[(x["institution_id"], x["number"])],
          "b_parent": by_key[(x["institution_id"], x["parent"])]} for x in meters])
