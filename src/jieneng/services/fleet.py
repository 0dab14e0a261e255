"""Vehicles, charging spaces and coal (issue 14 §5): import, list, the region's figures.

- :func:`import_fleet` — a vehicle, parking or coal-equipment file
  (:func:`jieneng.ingest.fleet.parse_fleet`), all or nothing: every institution must
  exist and lie in the caller's scope, else :class:`ImportRejected` with every issue
  (file, row, column, problem in zh/en) and nothing stored; a row replaces the stored
  row of its key (institution + number, or institution + year). Capability
  ``import_data`` (an institution its own rows, a region its subtree); the file is kept
  as an import batch; audited. A dry run checks the same and stores nothing.
- :func:`list_fleet` — stored rows of one kind in the caller's scope.
- :func:`fleet_summary` — for a region and year, in the caller's scope: NEV share of
  the fleet and of the year's purchases vs the target (≥ 30 %), charging spaces ÷
  parking spaces vs the region's target (8 % by default, set per region), the vehicle
  counts the institutions reported on NY201 (1031–1033) beside the register, and the
  institutions not cleared of coal (NY201 coal, NY203 heating coal or coal-fired
  equipment left). Every
  figure is an SQL aggregate (:mod:`jieneng.storage.fleet`).
- :func:`set_charging_target` / :func:`charging_target` — a region's own charging-space
  target (capability ``set_targets``), inherited by the regions below it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core import fleet
from jieneng.core.caller import User
from jieneng.core.exceptions import NotFound
from jieneng.core.permissions import Capability, require
from jieneng.core.regions import RegionTree
from jieneng.ingest.fleet import FleetRows, parse_fleet
from jieneng.ingest.issues import rejection
from jieneng.services.accounts import audit
from jieneng.services.database import Reader, reading
from jieneng.services.scope import scoped_filters, visible_institutions
from jieneng.storage import batches, meta, regions
from jieneng.storage import fleet as store

_TARGET_KEY = "fleet_target:charging_space_share:"
_STORED = {"vehicles": ("vehicle_no", "fuel", "purchase_year", "status", "disposed_year"),
           "parking": ("year", "parking_spaces", "charging_spaces"),
           "coal_equipment": ("equipment_no", "kind", "capacity", "capacity_unit", "status",
                              "removed_on")}


@dataclass(frozen=True)
class FleetImport:
    """What an import stored (or, dry run, would store)."""

    file: str
    kind: str
    rows: int
    stored: int
    dry_run: bool

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "kind": self.kind, "rows": self.rows,
                "stored": self.stored, "dry_run": self.dry_run}


def import_fleet(engine: Engine, user: User, path: Path, *, kind: str | None = None,
                 dry_run: bool = False, max_bytes: int | None = None) -> FleetImport:
    """Store the file's vehicles, parking figures or coal-fired equipment, or raise
    ImportRejected naming every problem."""
    require(user, Capability.IMPORT_DATA)
    parsed = (parse_fleet(path, kind=kind) if max_bytes is None
              else parse_fleet(path, kind=kind, max_bytes=max_bytes))
    if parsed.errors:
        raise rejection(parsed.file, parsed.errors)
    assert parsed.kind is not None
    if dry_run:
        with engine.connect() as conn:
            rows = _plan(conn, user, parsed)
        return FleetImport(parsed.file, parsed.kind, parsed.rows_read, len(rows), True)
    content = path.read_bytes()
    with engine.begin() as conn:
        rows = _plan(conn, user, parsed)
        batch = batches.store_batch(conn, kind=f"fleet_{parsed.kind}", file_name=parsed.file,
                                    content=content, rows=parsed.rows_read)
        for r in rows:
            r["import_id"] = batch
        stored = store.replace_rows(conn, parsed.kind, rows)
        audit.record(conn, user.actor, "fleet.import", "import_batch", batch,
                     after={"kind": parsed.kind, "file": parsed.file, "rows": stored})
    return FleetImport(parsed.file, parsed.kind, parsed.rows_read, stored, False)


def _plan(conn: Connection, user: User, parsed: FleetRows) -> list[dict[str, Any]]:
    """The rows in storage shape; ImportRejected when an institution is unknown or out
    of scope (one query for the file's codes)."""
    assert parsed.kind is not None
    found = visible_institutions(conn, user.scope, {r["credit_code"] for r in parsed.rows})
    missing = [parsed.issue(r["row"], "credit_code", r["credit_code"],
                            "fleet.import.out_of_scope")
               for r in parsed.rows if r["credit_code"] not in found]
    if missing:
        raise rejection(parsed.file, missing)
    return [{"institution_id": found[r["credit_code"]].id,
             **{k: r[k] for k in _STORED[parsed.kind]}} for r in parsed.rows]


def list_fleet(db: Reader, user: User, kind: str, *, region_code: str | None = None,
               limit: int = 1000, offset: int = 0) -> list[dict[str, Any]]:
    """Stored rows of ``kind`` (``vehicles``, ``parking``, ``coal_equipment``) in scope."""
    if kind not in store.KINDS:
        raise NotFound.of("fleet_unknown_kind", kind=kind, kinds=", ".join(store.KINDS))
    with reading(db) as conn:
        filters = scoped_filters(conn, user.scope, region_code=region_code)
        rows = store.list_rows(conn, filters, kind, limit=limit, offset=offset)
    for r in rows:
        r["region_code"] = r["region_code"].strip()
        if r.get("removed_on") is not None:
            r["removed_on"] = r["removed_on"].isoformat()
    return rows


def charging_target(conn: Connection, region_code: str | None) -> dict[str, Any]:
    """The charging-space target of ``region_code``: its own or its nearest ancestor's
    setting, else the shipped default (with its source)."""
    shipped = fleet.target("charging_space_share")
    if region_code is not None:
        tree = RegionTree(regions.load_regions(conn))
        for code in tree.lineage(region_code):
            value = meta.get_meta(conn, _TARGET_KEY + code)
            if value is not None:
                return {"value": float(value), "region_code": code,
                        "source": "region", "status": "local"}
    return {"value": shipped.value, "region_code": None, "source": shipped.source,
            "status": shipped.status}


def set_charging_target(engine: Engine, user: User, region_code: str, value: float,
                        ) -> dict[str, Any]:
    """Set a region's charging-space target (a share, 0–1), for it and the regions below
    it without their own."""
    require(user, Capability.SET_TARGETS)
    fleet.check_target(value)
    with engine.begin() as conn:
        scoped_filters(conn, user.scope, region_code=region_code)  # NotFound outside
        before = meta.get_meta(conn, _TARGET_KEY + region_code)
        meta.set_meta(conn, _TARGET_KEY + region_code, repr(float(value)))
        audit.record(conn, user.actor, "fleet.charging_target", "region", region_code,
                     before=before, after=value)
    return {"region_code": region_code, "value": value}


def fleet_summary(db: Reader, user: User, *, region_code: str | None, year: int,
                  ) -> dict[str, Any]:
    """The region's vehicles, charging spaces and coal in ``year`` against the targets."""
    with reading(db) as conn:
        filters = scoped_filters(conn, user.scope, region_code=region_code)
        by_fuel = store.vehicle_counts(conn, filters, year)
        parking = store.parking_sums(conn, filters, year)
        not_cleared = store.coal_not_cleared(conn, filters, year)
        population = store.institutions_counted(conn, filters)
        reported = store.profile_vehicles(conn, filters, year)
        charging = charging_target(conn, region_code)
    nev = fleet.target("nev_purchase_share")
    counts = _totals(by_fuel)
    fleet_share = fleet.share(counts["fleet_nev"], counts["fleet"])
    bought_share = fleet.share(counts["bought_nev"], counts["bought"])
    space_share = fleet.share(parking["charging_spaces"], parking["parking_spaces"])
    names = {k.code: (k.name_zh, k.name_en, k.nev) for k in fleet.fuel_kinds()}
    return {
        "region_code": region_code, "year": year,
        "vehicles": {
            **counts, "fleet_share": fleet_share, "purchase_share": bought_share,
            "target": nev.value, "target_source": nev.source,
            "meets_target": fleet.meets(bought_share, nev.value),
            "by_fuel": [{"fuel": code, "name_zh": names[code][0], "name_en": names[code][1],
                         "nev": names[code][2], "count": by_fuel[code]["fleet"],
                         "bought": by_fuel[code]["bought"]}
                        for code in names if by_fuel.get(code, {}).get("fleet")],
        },
        "statistics": {**reported,
                       "total": reported["gasoline"] + reported["diesel"] + reported["nev"],
                       "nev_share": fleet.share(reported["nev"], reported["gasoline"]
                                                + reported["diesel"] + reported["nev"])},
        "charging": {**parking, "share": space_share, "target": charging["value"],
                     "target_region": charging["region_code"],
                     "target_source": charging["source"],
                     "meets_target": fleet.meets(space_share, charging["value"])},
        "coal": {"institutions": population, "not_cleared": len(not_cleared),
                 "cleared": max(0, population - len(not_cleared)),
                 "coal_t": sum(r["coal_t"] for r in not_cleared),
                 "heating_coal_t": sum(r["heating_coal_t"] for r in not_cleared),
                 "list": not_cleared},
    }


def _totals(by_fuel: dict[str, dict[str, int]]) -> dict[str, int]:
    """Fleet and purchases, all and NEV, from the counts per fuel kind."""
    nev = set(fleet.nev_codes())
    return {"fleet": sum(c["fleet"] for c in by_fuel.values()),
            "fleet_nev": sum(c["fleet"] for f, c in by_fuel.items() if f in nev),
            "bought": sum(c["bought"] for c in by_fuel.values()),
            "bought_nev": sum(c["bought"] for f, c in by_fuel.items() if f in nev)}
