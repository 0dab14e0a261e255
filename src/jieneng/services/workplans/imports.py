"""Import a plan from a spreadsheet (:func:`jieneng.ingest.workplans.parse_plan`).

All or nothing: every problem of the file (unknown indicator, target not a number,
deadline outside the year, responsible region outside the plan's region, duplicated
item number, parent item missing …) is reported at once — file, row, column, problem in
zh and en — and nothing is stored. The plan (``region_code``, ``year``, ``title``:
the file's name by default) is created, or, when it exists, the items are added to it.
The file is kept as an import batch; audited. A dry run checks the same, stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from jieneng.core.caller import User
from jieneng.core.exceptions import NotFound
from jieneng.core.permissions import Capability, require
from jieneng.ingest.issues import rejection
from jieneng.ingest.workplans import PlanRows, parse_plan
from jieneng.services.accounts import audit
from jieneng.storage import batches
from jieneng.storage import workplans as store

from . import access
from .items import storage_rows
from .plans import check_year


@dataclass(frozen=True)
class PlanImport:
    """What an import stored (or, dry run, would store)."""

    file: str
    plan_id: int | None
    title: str
    items: int
    dry_run: bool

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "plan_id": self.plan_id, "title": self.title,
                "items": self.items, "dry_run": self.dry_run}


def _checked(conn: Connection, user: User, parsed: PlanRows, region_code: str, year: int,
             title: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    rt = access.tree(conn)
    if region_code not in rt or not access.covers(conn, user, region_code):
        raise NotFound.of("scope.region_not_found", region_code=region_code)
    plan = store.find_plan(conn, region_code, year, title)
    probe = plan or {"id": 0, "region_code": region_code, "year": year}
    return plan, storage_rows(conn, probe, rt, parsed)


def import_plan(engine: Engine, user: User, path: Path, *, region_code: str, year: int,
                title: str | None = None, document_no: str | None = None,
                issued_on: date | None = None, source: str | None = None,
                dry_run: bool = False, max_bytes: int | None = None) -> PlanImport:
    """Store the sheet's items as ``region_code``'s plan for ``year``, or raise
    ImportRejected naming every problem."""
    require(user, Capability.MANAGE_WORK_PLANS)
    check_year(year)
    parsed = (parse_plan(path, year=year) if max_bytes is None
              else parse_plan(path, year=year, max_bytes=max_bytes))
    if parsed.errors:
        raise rejection(parsed.file, parsed.errors)
    name = (title or path.stem).strip()[:200]
    if dry_run:
        with engine.connect() as conn:
            plan, rows = _checked(conn, user, parsed, region_code, year, name)
        return PlanImport(parsed.file, None if plan is None else int(plan["id"]), name,
                          len(rows), True)
    content = path.read_bytes()
    with engine.begin() as conn:
        plan, rows = _checked(conn, user, parsed, region_code, year, name)
        batch = batches.store_batch(conn, kind="work_plan", file_name=parsed.file,
                                    content=content, rows=parsed.rows_read)
        if plan is None:
            plan_id = store.insert_plan(conn, {
                "region_code": region_code, "year": year, "title": name,
                "document_no": document_no, "issued_on": issued_on, "source": source,
                "import_id": batch, "created_by": user.actor.username})
        else:
            plan_id = int(plan["id"])
        for r in rows:
            r["plan_id"] = plan_id
        store.insert_items(conn, rows)
        audit.record(conn, user.actor, "workplans.import", "work_plan", plan_id,
                     after={"file": parsed.file, "items": len(rows), "batch": batch,
                            "region_code": region_code, "year": year, "title": name})
    return PlanImport(parsed.file, plan_id, name, len(rows), False)
