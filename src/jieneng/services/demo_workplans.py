"""The demo city's work plan with its items in progress (issue 14 §1, "Done means": the
demo city has a plan with its items in progress), written through the ordinary
services once per database (``demo_workplans`` in meta).

1. **The plan**: 桂林's 2024 work plan (the seed notice 市管局〔2024〕4号, its numeric
   targets as the sheet of :mod:`jieneng.services.workplans` ships it in
   ``data/workplans/``) imported for the demo's last year (:data:`YEAR`): the sheet's
   dates moved to that year, nothing else changed (``import_plan``, all or nothing).
2. **Assigned down**: the items with a county's share (:data:`ASSIGNED`: the
   节约型机关 compliance rate, the 典型示范案例, the training course) assigned to every
   county of the city (``assign_item``: one child
   item per county, the parent's target for rates).
3. **Progress** as 阳朔县's office (the demo account ``yangshuo``'s region) with
   evidence, reviewed as the city's (``guilin``): the training accepted, the 示范案例
   returned with a reason, the compliance rate waiting for review; every other item of
   the past year stands overdue, as the progress page shows. The computed indicators
   read the demo's own figures (campaign rounds, projects, reporting).

Called by :func:`jieneng.services.demo._build` after the campaigns seed; idempotent.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from jieneng.core.caller import COMMAND_LINE_ID, User, command_line_user
from jieneng.core.exceptions import DomainError
from jieneng.core.permissions import Role
from jieneng.core.regions import RegionTree
from jieneng.services.workplans.assign import assign_item
from jieneng.services.workplans.imports import import_plan
from jieneng.services.workplans.plans import get_plan, list_plans
from jieneng.services.workplans.review import report_progress, review_report
from jieneng.storage import meta
from jieneng.storage import regions as region_store

log = logging.getLogger(__name__)
VERSION = "workplans-1"
#: the demo's last year (``services.demo.DEMO_YEARS[-1]``): the plan's year
YEAR = 2025
#: the seed sheet's year, moved to :data:`YEAR`
SEED_YEAR = 2024
#: the plan's title (the demo's: the seed notice's, of the demo year)
TITLE = f"{YEAR}年全市公共机构能源资源节约和生态环境保护工作安排"
DOCUMENT_NO = f"市管局〔{YEAR}〕4号"
#: the items of the sheet assigned to every county (their county shares): 8 节约型机关
#: 创建达标 85 %, 12 典型示范案例, 13 专题培训班
ASSIGNED = ("8", "12", "13")
#: a one-page PDF standing for a scanned 签到表 (evidence of the reported training)
EVIDENCE = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def seed_sheet() -> bytes:
    """The shipped 桂林 sheet (``data/workplans/*guilin*``)."""
    folder = resources.files("jieneng.data.workplans")
    names = sorted(p.name for p in folder.iterdir() if "guilin" in p.name.lower()
                   and p.name.lower().endswith((".csv", ".xlsx")))
    if not names:
        raise FileNotFoundError("data/workplans: no guilin sheet")
    return folder.joinpath(names[0]).read_bytes()


def moved_sheet(content: bytes, year: int) -> str:
    """The CSV sheet with its dates of :data:`SEED_YEAR` moved to ``year``."""
    text = content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    pattern = re.compile(rf"^{SEED_YEAR}(?=\D)")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rows[0])
    for row in rows[1:]:
        writer.writerow([pattern.sub(str(year), cell.strip()) for cell in row])
    return out.getvalue()


def _office(username: str, region_code: str) -> User:
    """The demo office of ``region_code`` as the services see it (the demo accounts
    are made after the build; the audit says ``cli``)."""
    return User(id=COMMAND_LINE_ID, username=username, display_name=username,
                role=Role.REGION, region_code=region_code, institution_id=None,
                is_locked=False, locked_until=None, created_at=None)


def _county(engine: Engine, region: str) -> str:
    with engine.connect() as conn:
        tree = RegionTree(region_store.load_regions(conn))
    children = tree.children.get(region, [])
    return next((c for c in children if tree.name(c).startswith("阳朔")),
                children[0] if children else region)


def _import(engine: Engine, region: str, files_dir: Path) -> int:
    files_dir.mkdir(parents=True, exist_ok=True)
    path = files_dir / f"工作安排-{YEAR}.csv"
    path.write_text(moved_sheet(seed_sheet(), YEAR), encoding="utf-8")
    report = import_plan(engine, command_line_user(), path, region_code=region, year=YEAR,
                         title=TITLE, document_no=DOCUMENT_NO)
    return int(report.plan_id or 0)


def _assign(engine: Engine, plan_id: int) -> list[dict[str, Any]]:
    who = command_line_user()
    made: list[dict[str, Any]] = []
    for item in get_plan(engine, who, plan_id)["items"]:
        if item.get("item_no") in ASSIGNED and not item.get("parent_id"):
            made.extend(assign_item(engine, who, int(item["id"])))
    return made


def _progress(engine: Engine, region: str, children: list[dict[str, Any]]) -> int:
    """One report accepted, one returned, one waiting, on 阳朔's child items."""
    county = _county(engine, region)
    office, city = _office("yangshuo", county), _office("guilin", region)
    mine = {str(c["item_no"]).split("-")[0]: int(c["id"]) for c in children
            if c.get("responsible_region") == county}
    steps = (
        ("13", "done", 2.0, "举办节能管理干部绿色低碳专题培训班2期，参训86人次。", True, None),
        ("12", "in_progress", 1.0, "已选送“县直机关合同能源管理”案例1个。", False,
         "请补充案例材料（文字及照片），按自治区要求的格式报送。"),
        ("8", "in_progress", None, "节约型机关创建自评已完成，待市级抽查。", None, None),
    )
    done = 0
    for number, state, value, comment, accept, reason in steps:
        if number not in mine:
            continue
        report = report_progress(engine, office, mine[number], state=state, comment=comment,
                                 value=value, evidence=[("签到表.pdf", EVIDENCE)]
                                 if accept else ())
        if accept is not None:
            review_report(engine, city, int(report["id"]), accept=accept, reason=reason)
        done += 1
    return done


def seed(engine: Engine, region: str, files_dir: Path) -> dict[str, int]:
    """The plan, its county items and their progress once per database (see the
    module); counts for the demo summary."""
    with engine.connect() as conn:
        if meta.get_meta(conn, "demo_workplans") == VERSION:
            return {}
    existing = [p for p in list_plans(engine, command_line_user(), region_code=region,
                                      year=YEAR) if p["title"] == TITLE]
    try:
        plan_id = int(existing[0]["id"]) if existing else _import(engine, region, files_dir)
        children = _assign(engine, plan_id) if not existing else []
        reports = _progress(engine, region, children)
    except (DomainError, FileNotFoundError) as err:  # the demo starts without the plan
        log.warning("demo work plan not built: %s", err)
        return {}
    with engine.begin() as conn:
        meta.set_meta(conn, "demo_workplans", VERSION)
    return {"workplan_items": len(get_plan(engine, command_line_user(), plan_id)["items"]),
            "workplan_reports": reports}
