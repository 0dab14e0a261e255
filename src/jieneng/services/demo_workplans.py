"""The demo city's work plans with their items in progress (issue 14 §1, "Done means":
the demo city has a plan with its items in progress), written through the ordinary
services of :mod:`jieneng.services.workplans` (import, assign, report, review) —
never a table directly — once per database (``demo_workplans`` and
``demo_workplans_current`` in meta).

1. **The demo's last year** (:data:`YEAR`, the year the demo statistics end): 桂林's
   2024 work plan (the seed notice 市管局〔2024〕4号 as ``data/workplans/`` ships it)
   imported for that year (dates moved), items 12 (示范案例) and 13 (培训班) assigned
   to the counties, and the year worked through: the responsible parties' reports (the
   date each speaks of is in its note — the service stamps a report with the moment it
   is made), accepted by the city; 阳朔's 示范案例 returned once with a reason, then sent
   again and accepted. Computed items keep the values the platform computes: the
   items the demo's figures leave short (retrofit area, data-centre / PV / EPC
   projects — the demo's projects are of 2024 —, the 节约型机关 compliance rate, the
   national and provincial 示范单位 counted from the titles the platform holds: the
   demo's 2025 示范单位 round is evaluated in January 2026, so none yet) stay overdue,
   each with an accepted "in progress" report giving a percent and why.
2. **The current year** (年初布置、年中督促、年底检查: the year of today's China date,
   read when the seed runs): a shortened copy of the same sheet (:data:`CURRENT`) with
   deadlines spread over the year — a done item at its early date, an in-progress item
   due later (the year's end once its date has passed), the overdue item a fortnight
   ago at the latest — the training assigned to every county: a few done, most in
   progress with a percent and a note, 阳朔's done report waiting for the city's review;
   阳朔's 示范案例 returned by the city with a reason (to be sent again).

The plans are imported and assigned by ``guilin`` (the city office); the reports are
made by the county offices' demo accounts (``yangshuo``, ``office-<code>``) and the city's
own by ``guilin``, who reviews them (:mod:`jieneng.services.demo_actors`: the demo build
creates the accounts before this seed runs; a missing one is the command line,
``cli``). Idempotent.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Sequence
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

from sqlalchemy import Engine

from jieneng.core import chinatime
from jieneng.core.caller import User, command_line_user
from jieneng.core.exceptions import DomainError
from jieneng.core.regions import RegionTree
from jieneng.services import demo_actors
from jieneng.services.workplans.assign import assign_item
from jieneng.services.workplans.imports import import_plan
from jieneng.services.workplans.plans import get_plan, list_plans
from jieneng.services.workplans.review import report_progress, review_report
from jieneng.storage import meta
from jieneng.storage import regions as region_store

log = logging.getLogger(__name__)
VERSION = "workplans-2"
#: the demo's last year (``services.demo.DEMO_YEARS[-1]``): the plan's year
YEAR = 2025
#: the seed sheet's year, moved to :data:`YEAR`
SEED_YEAR = 2024
#: the plan's title (the demo's: the seed notice's, of the demo year)
TITLE = f"{YEAR}年全市公共机构能源资源节约和生态环境保护工作安排"
DOCUMENT_NO = f"市管局〔{YEAR}〕4号"
#: the items of the sheet assigned to the counties in :data:`YEAR`: 12 典型示范案例
#: (three counties), 13 专题培训班 (every county)
ASSIGNED = ("12", "13")
#: the counties asked for a 示范案例 (阳朔 and two more)
CASE_COUNTIES = 3
#: a one-page PDF standing for a scanned 签到表 / 印发文件 (evidence)
EVIDENCE = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")

#: one report: (claimed state, value, percent, note, review) — review True accept,
#: None leave pending, a text: return with that reason
Step = tuple[str, float | None, float | None, str, bool | str | None]

#: :data:`YEAR` at the city (item → its reports in order)
CITY_YEAR: dict[str, tuple[Step, ...]] = {
    "1": (("in_progress", None, 50.0,
           "截至2025年6月30日：征求意见稿已形成，正在征求市直各部门意见。", True),
          ("done", None, None,
           "2025年11月：《桂林市公共机构节能管理实施办法》已印发实施。", True)),
    "2": (("done", None, None,
           "2025年3月26日：各县（市、区）及市教育局、卫生健康委实施方案已全部报送。", True),),
    "3": (("in_progress", None, 40.0,
           "截至2025年12月31日：部分改造项目因财政资金未落实顺延至下一年度。", True),),
    "4": (("in_progress", None, 70.0,
           "截至2025年12月31日：市政务数据中心机房改造施工中，尚未验收入库。", True),),
    "5": (("done", None, None, "2025年12月：数据中心机房电能利用效率已降至1.6以下。", True),),
    "6": (("in_progress", None, 30.0, "截至2025年6月30日：3个项目完成备案。", True),
          ("in_progress", None, 60.0,
           "截至2025年12月31日：项目建设中，并网后录入平台项目库。", True)),
    "7": (("in_progress", None, 50.0,
           "截至2025年12月31日：已签约项目正在实施，尚未录入平台项目库。", True),),
    "8": (("in_progress", None, 80.0,
           "截至2025年12月31日：创建达标复核仍在进行，两县未完成自评。", True),),
    "9": (("in_progress", None, 50.0,
           "截至2025年12月31日：已推荐6家单位申报国家级节约型公共机构示范单位，"
           "名单尚未公布；称号授予后平台按国家级称号计数。", True),),
    "10": (("in_progress", None, 60.0,
            "截至2025年12月31日：2025年度示范单位评价已开展（2026年1月评价），"
            "自治区级称号尚未授予；授予后平台按称号计数。", True),),
    "11": (("done", 1.0, None, "2025年10月：1家公共机构通过国管局能效领跑者评价验收。", True),),
    "12": (("done", None, None, "2025年10月：三县典型示范案例已汇总选送自治区。", True),),
    "13": (("done", None, None, "2025年11月：全市专题培训班及各县（市、区）培训均已完成。", True),),
    "14": (("done", None, None, "2025年8月：完成2024年度统计数据会审及能耗数据质量抽查。", True),),
    "15": (("done", None, None, "2025年12月：完成年度节能监督检查并印发通报。", True),),
}

#: the current year's plan: (item of the seed sheet, nominal month, day, role);
#: roles: done, progress (due later), overdue, open (nothing reported)
CURRENT: tuple[tuple[str, int, int, str], ...] = (
    ("1", 9, 30, "overdue"), ("2", 3, 31, "done"), ("3", 12, 31, "progress"),
    ("6", 12, 31, "open"), ("8", 12, 31, "progress"), ("12", 10, 31, "progress"),
    ("13", 11, 30, "progress"), ("14", 5, 31, "done"), ("15", 11, 30, "progress"),
)
#: 阳朔's 示范案例 of the current year: returned by the city with a reason
CASE_RETURNED: Step = ("in_progress", 1.0, 50.0, "已选送“县直机关合同能源管理”案例1个。",
                       "请补充案例材料（文字及照片），按自治区要求的格式报送。")
#: the current year's city reports (accepted) by item
CITY_NOW: dict[str, Step] = {
    "1": ("in_progress", None, 60.0, "征求意见稿修改中，未能按期印发，已说明原因。", True),
    "2": ("done", None, None, "各县（市、区）及市教育局、卫生健康委实施方案已全部报送。", True),
    "3": ("in_progress", None, 45.0, "改造项目已完成招标，正在施工。", True),
    "8": ("in_progress", None, 70.0, "创建达标自评已开展，正在组织市级复核。", True),
    "12": ("in_progress", None, 30.0, "已征集候选案例4个，正在遴选。", True),
    "14": ("done", None, None, "完成上一年度统计数据会审和能耗统计数据质量抽查。", True),
    "15": ("in_progress", None, 50.0, "节能监督检查已完成过半县（市、区）。", True),
}


def seed_sheet() -> bytes:
    """The shipped 桂林 sheet (``data/workplans/*guilin*``)."""
    folder = resources.files("jieneng.data.workplans")
    names = sorted(p.name for p in folder.iterdir() if "guilin" in p.name.lower()
                   and p.name.lower().endswith((".csv", ".xlsx")))
    if not names:
        raise FileNotFoundError("data/workplans: no guilin sheet")
    return folder.joinpath(names[0]).read_bytes()


def _rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _moved(cell: str, year: int) -> str:
    """A cell with the seed's year (and the year before it, 上一年度) moved."""
    cell = re.sub(rf"^{SEED_YEAR}(?=\D)", str(year), cell.strip())
    cell = cell.replace(f"{SEED_YEAR}年", f"{year}年")
    return cell.replace(f"{SEED_YEAR - 1}年度", f"{year - 1}年度")


def _csv(rows: Sequence[Sequence[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def moved_sheet(content: bytes, year: int) -> str:
    """The CSV sheet with its dates of :data:`SEED_YEAR` moved to ``year``."""
    rows = _rows(content)
    return _csv([rows[0], *([_moved(c, year) for c in row] for row in rows[1:])])


def current_deadline(role: str, month: int, day: int, today: date) -> date:
    """An item's deadline in ``today``'s year: a done item keeps its date; one in
    progress its date while it lies ahead, else the year's last day; the overdue one
    its date once passed, else a fortnight ago (not before 1 January)."""
    nominal = date(today.year, month, day)
    if role == "done":
        return nominal
    if role == "overdue":
        return nominal if nominal < today else max(date(today.year, 1, 1),
                                                   today - timedelta(days=15))
    return nominal if nominal >= today else date(today.year, 12, 31)


def current_sheet(content: bytes, today: date) -> str:
    """The shortened copy of the seed sheet for ``today``'s year (:data:`CURRENT`)."""
    rows = _rows(content)
    head, by_no = rows[0], {r[0].strip(): r for r in rows[1:] if r}
    deadline = head.index("完成时限")
    out = [head]
    for number, month, day, role in CURRENT:
        row = [_moved(c, today.year) for c in by_no[number]]
        row[deadline] = current_deadline(role, month, day, today).isoformat()
        out.append(row)
    return _csv(out)


def current_title(year: int) -> str:
    return f"{year}年全市公共机构能源资源节约和生态环境保护工作要点"


def _office(engine: Engine, username: str, region_code: str) -> User:
    """The demo account ``username`` when it exists and holds ``region_code``; else the
    office of ``region_code`` as the command line (the audit says ``cli``)."""
    return demo_actors.office(engine, username, region_code)


def _offices(engine: Engine, counties: list[str]) -> dict[str, User]:
    """Each county's office: 阳朔 (the first) as the demo account ``yangshuo``, the others
    as ``office-<code>`` (services.demo_actors)."""
    return {code: _office(engine, demo_actors.county_office_name(code, index == 0), code)
            for index, code in enumerate(counties)}


def _counties(engine: Engine, region: str) -> list[str]:
    """The city's counties, 阳朔 first."""
    with engine.connect() as conn:
        tree = RegionTree(region_store.load_regions(conn))
    children = list(tree.children.get(region, []))
    children.sort(key=lambda c: (not tree.name(c).startswith("阳朔"), c))
    return children


def _import(engine: Engine, city: User, region: str, files_dir: Path, name: str, sheet: str,
            year: int,
            title: str, document_no: str) -> int:
    files_dir.mkdir(parents=True, exist_ok=True)
    path = files_dir / name
    path.write_text(sheet, encoding="utf-8")
    report = import_plan(engine, city, path, region_code=region, year=year,
                         title=title, document_no=document_no)
    return int(report.plan_id or 0)


def _top(engine: Engine, plan_id: int) -> dict[str, int]:
    return {str(i["item_no"]): int(i["id"])
            for i in get_plan(engine, command_line_user(), plan_id)["items"]
            if not i.get("parent_id")}


def _assign(engine: Engine, city: User, item_id: int, regions: list[str]) -> dict[str, int]:
    """The child items (region → id), assigned by the city office."""
    made = assign_item(engine, city, item_id, regions=regions)
    return {str(c["responsible_region"]): int(c["id"]) for c in made}


def _report(engine: Engine, office: User, city: User, item_id: int, step: Step) -> None:
    state, value, percent, comment, review = step
    files = [("证明材料.pdf", EVIDENCE)] if state == "done" else []
    report = report_progress(engine, office, item_id, state=state, comment=comment,
                             value=value, percent=percent, evidence=files)
    if review is not None:
        review_report(engine, city, int(report["id"]), accept=review is True,
                      reason=None if review is True else str(review))


def _county_steps(index: int, number: str, year: int) -> tuple[Step, ...]:
    """:data:`YEAR`'s reports of the ``index``-th county (阳朔 is 0) on item ``number``."""
    if number == "2":
        return (("done", None, None, f"{year}年3月：本县实施方案已印发并报送市管局。", True),)
    if number == "13":
        return (("done", 1.0, None, f"{year}年{5 + index % 6}月：举办节能管理干部专题培训班1期。",
                 True),)
    if index == 0:
        return (("in_progress", 1.0, 50.0, f"{year}年8月：已选送“县直机关合同能源管理”案例1个。",
                 "请补充案例材料（文字及照片），按自治区要求的格式报送。"),
                ("done", 1.0, None, f"{year}年10月：已按要求补充案例文字及照片材料并重新报送。",
                 True))
    return (("done", 1.0, None, f"{year}年9月：已向自治区选送典型示范案例1个。", True),)


def _seed_year(engine: Engine, region: str, files_dir: Path) -> int:
    """:data:`YEAR`'s plan worked through; the number of reports."""
    city = _office(engine, "guilin", region)
    plan_id = _import(engine, city, region, files_dir, f"工作安排-{YEAR}.csv",
                      moved_sheet(seed_sheet(), YEAR), YEAR, TITLE, DOCUMENT_NO)
    top, counties = _top(engine, plan_id), _counties(engine, region)
    offices = _offices(engine, counties)
    reports = 0
    for number in ASSIGNED:
        regions = counties[:CASE_COUNTIES] if number == "12" else counties
        children = _assign(engine, city, top[number], regions)
        for index, code in enumerate(regions):
            office = offices[code]
            for step in _county_steps(index, number, YEAR):
                _report(engine, office, city, children[code], step)
                reports += 1
    for number, steps in CITY_YEAR.items():
        for step in steps:
            _report(engine, city, city, top[number], step)
            reports += 1
    return reports


def _training(index: int, year: int) -> Step:
    """The current year's training report of the ``index``-th county (阳朔 is 0)."""
    if index == 0:
        return ("done", 1.0, None, "已举办节能管理干部专题培训班1期，参训62人次。", None)
    if index <= 3:
        return ("done", 1.0, None, "已举办节能管理干部专题培训班1期。", True)
    return ("in_progress", None, float(40 + 10 * (index % 4)),
            f"培训方案已制定，拟于{year}年第四季度举办。", True)


def _seed_current(engine: Engine, region: str, files_dir: Path, today: date) -> int:
    """The current year's plan in progress; the number of reports."""
    year = today.year
    city = _office(engine, "guilin", region)
    plan_id = _import(engine, city, region, files_dir, f"工作要点-{year}.csv",
                      current_sheet(seed_sheet(), today), year, current_title(year),
                      f"市管局〔{year}〕3号")
    top, counties = _top(engine, plan_id), _counties(engine, region)
    offices = _offices(engine, counties)
    children = _assign(engine, city, top["13"], counties)
    for index, code in enumerate(counties):
        _report(engine, offices[code], city, children[code], _training(index, year))
    case = _assign(engine, city, top["12"], counties[:1])  # 阳朔's 示范案例, returned
    _report(engine, offices[counties[0]], city, case[counties[0]], CASE_RETURNED)
    for number, step in CITY_NOW.items():
        _report(engine, city, city, top[number], step)
    return len(counties) + 1 + len(CITY_NOW)


def _existing(engine: Engine, region: str, year: int, title: str) -> bool:
    return any(p["title"] == title for p in list_plans(
        engine, command_line_user(), region_code=region, year=year))


def seed(engine: Engine, region: str, files_dir: Path, *,
         today: date | None = None) -> dict[str, int]:
    """Both plans once per database (see the module); counts for the demo summary."""
    day = today or chinatime.today()
    with engine.connect() as conn:
        done_year = meta.get_meta(conn, "demo_workplans") is not None
        done_now = meta.get_meta(conn, "demo_workplans_current") == str(day.year)
    counts: dict[str, int] = {}
    try:
        if not done_year and not _existing(engine, region, YEAR, TITLE):
            counts["workplan_reports"] = _seed_year(engine, region, files_dir)
        if not done_now and day.year != YEAR and not _existing(
                engine, region, day.year, current_title(day.year)):
            counts["workplan_reports_current"] = _seed_current(engine, region, files_dir, day)
    except (DomainError, FileNotFoundError, KeyError) as err:  # the demo starts without
        log.warning("demo work plan not built: %s", err)
        return counts
    with engine.begin() as conn:
        meta.set_meta(conn, "demo_workplans", VERSION)
        meta.set_meta(conn, "demo_workplans_current", str(day.year))
    return counts
