"""Sibling data for the scope walk: something outside every role's scope, of every kind.

On top of the 桂林 world of :mod:`tests.web.conftest` (秀峰区 450302: ORGAN, OTHER;
阳朔县 450321: the 教育局 EDU with its schools SCHOOL and SILENT) this adds

* a sibling department in 阳朔县: 卫生健康局 (HEALTH) with its hospital (CLINIC),
  with a month of figures — outside the 教育局 account and the school;
* for every institution: a quota alert (提示/预警/超限 on the institution), a data
  quality finding, an institution-level target, reporting tasks (a 2025-01 period
  of the city) and a reviewer's question on its task;
* a region-level alert of each county (no institution: outside the department and
  institution accounts too);
* a period opened on each county only (秀峰区 2023-07, 阳朔县 2023-08 with the
  主管部门 step): the other county's period is outside.

:func:`leaks` reads a response body for anything of that data outside a role's
scope: a credit code or a name, an ``institution_id``/``department_id``/``task_id``/
``alert_id``/``period_id`` field in JSON, a link to a task or an alert, a period's
label, an alert's limit value.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from jieneng.core.caller import User
from jieneng.core.codes import make_credit_code
from jieneng.services.entry.imports import import_file
from jieneng.services.workflow import periods, questions
from jieneng.storage import tables as t
from jieneng.storage.institutions import get_institution
from tests.sample import write_csv
from tests.templates import seeded
from tests.web.conftest import EDU, NAMES, ORGAN, OTHER, SCHOOL, SILENT, World

HEALTH = make_credit_code("11", "450321", 3004)
CLINIC = make_credit_code("12", "450321", 3005)
SIBLING_NAMES = {HEALTH: "阳朔县演示卫生健康局", CLINIC: "阳朔县演示人民医院"}
ALL_NAMES = {**NAMES, **SIBLING_NAMES}
REGION_OF = {ORGAN: "450302", OTHER: "450302", EDU: "450321", SCHOOL: "450321",
             SILENT: "450321", HEALTH: "450321", CLINIC: "450321"}
#: periods opened on one county only: (region, period, department step)
COUNTY_PERIODS = (("450302", "2023-07", False), ("450321", "2023-08", True))
#: the period's text form as a JSON string (not a deadline's date) and its label
PERIOD_MARKERS = {"450302": ('"2023-07"', "2023年7月"), "450321": ('"2023-08"', "2023年8月")}

#: role → the institutions outside it (EDU's name is on the school's own record)
OUTSIDE: dict[str, tuple[str, ...]] = {
    "admin": (),
    "region_admin": (ORGAN, OTHER),
    "region": (ORGAN, OTHER),
    "department": (ORGAN, OTHER, HEALTH, CLINIC),
    "institution": (ORGAN, OTHER, SILENT, HEALTH, CLINIC),
    "viewer": (EDU, SCHOOL, SILENT, HEALTH, CLINIC),
}
#: role → the counties whose own periods and region-level alerts are outside it
OUTSIDE_COUNTIES: dict[str, tuple[str, ...]] = {
    "admin": (),
    "region_admin": ("450302",),
    "region": ("450302",),
    "department": ("450302", "450321"),  # region-level alerts: not a unit's; periods: below
    "institution": ("450302", "450321"),
    "viewer": ("450321",),
}
#: role → the county whose own period is outside it
OUTSIDE_PERIOD: dict[str, str | None] = {
    "admin": None, "region_admin": "450302", "region": "450302", "department": "450302",
    "institution": "450302", "viewer": "450321",
}

_ID_FIELD = re.compile(r'"(institution_id|department_id|task_id|alert_id|period_id)"'
                       r'\s*:\s*(\d+)')
_LINK = re.compile(r"/(reporting/tasks|alerts)/(\d+)")


@dataclass
class Siblings:
    ids: dict[str, int]  # credit code → institution id
    tasks: dict[str, list[int]] = field(default_factory=dict)  # credit code → task ids
    alerts: dict[str, int] = field(default_factory=dict)  # credit code or county → alert id
    limits: dict[str, str] = field(default_factory=dict)  # same keys → limit value text
    periods: dict[str, int] = field(default_factory=dict)  # county → its own period id
    city_period: int = 0  # the 2025-01 period of 450300

    def foreign(self, role: str) -> dict[str, set[int]]:
        """field name → the ids outside ``role``'s scope."""
        codes = OUTSIDE[role]
        alerts = {self.alerts[c] for c in (*codes, *OUTSIDE_COUNTIES[role])}
        tasks = {task for c in codes for task in self.tasks.get(c, [])}
        inst = {self.ids[c] for c in codes}
        county = OUTSIDE_PERIOD[role]
        return {"institution_id": inst, "department_id": inst, "task_id": tasks,
                "alert_id": alerts, "period_id": {self.periods[county]} if county else set(),
                "reporting/tasks": tasks, "alerts": alerts}

    def markers(self, role: str) -> list[str]:
        """Plain strings that must not appear: codes, names, alert limits, period labels."""
        out = [m for code in OUTSIDE[role] for m in (code, ALL_NAMES[code])]
        out += [self.limits[key] for key in (*OUTSIDE[role], *OUTSIDE_COUNTIES[role])]
        county = OUTSIDE_PERIOD[role]
        if county:
            out += PERIOD_MARKERS[county]
        return out

    def leaks(self, role: str, body: str, url: str) -> list[str]:
        """What ``body`` shows of the data outside ``role``'s scope (a string the
        request itself carried may be echoed back)."""
        found = [m for m in self.markers(role) if m in body and m not in url]
        foreign = self.foreign(role)
        carried = set(re.findall(r"(?<=[/=])\d+(?=$|[/?&])", url))  # ids the request named
        found += [f"{name}={value}" for name, value in _ID_FIELD.findall(body)
                  if int(value) in foreign[name] and value not in carried]
        found += [f"/{kind}/{value}" for kind, value in _LINK.findall(body)
                  if int(value) in foreign[kind] and f"/{kind}/{value}" not in url]
        return found


def build_with_siblings(engine: Engine, _url: str,
                        directory: Path) -> tuple[dict[str, int], dict[str, User], Siblings]:
    """A seed's builder (:func:`tests.templates.register_seed`): the world and its
    siblings in one template, for a module whose every test adds the siblings."""
    from tests.web.conftest import _build

    ids, users = _build(engine, directory)
    world = World(app=None, engine=engine, ids=dict(ids), users=dict(users))  # type: ignore[arg-type]
    siblings = add_siblings(world, directory)
    return world.ids, world.users, siblings


def seeded_siblings(request: pytest.FixtureRequest) -> Siblings | None:
    """The siblings of this test's template (a copy), when it is the siblings seed's."""
    built = seeded(request, "siblings")
    return copy.deepcopy(built[2]) if built is not None else None


def add_siblings(world: World, tmp_path: Path) -> Siblings:
    """Load the sibling data into ``world`` (once per test)."""
    _import(world, tmp_path)
    with world.engine.connect() as conn:
        ids = {}
        for code in ALL_NAMES:
            row = get_institution(conn, code)
            assert row is not None
            ids[code] = row.id
    world.ids.update({code: ids[code] for code in SIBLING_NAMES})
    out = Siblings(ids=ids)
    admin = world.users["admin"]
    out.city_period = int(periods.open_period(
        world.engine, admin, region_code="450300", period="2025-01")["id"])
    for county, period, step in COUNTY_PERIODS:
        opened = periods.open_period(world.engine, admin, region_code=county, period=period,
                                     department_step=step)
        out.periods[county] = int(opened["id"])
    _alerts(world, out)
    _findings_and_tasks(world, out)
    for code in ALL_NAMES:
        questions.ask(world.engine, admin, out.tasks[code][0], month=1, carrier="electricity",
                      question=f"请核实 {code} 的电量")
    return out


def _import(world: World, tmp_path: Path) -> None:
    header = ["统一社会信用代码", "单位名称", "行政区划代码", "单位类别",
              "主管部门统一社会信用代码", "重点用能单位", "状态"]
    institutions = write_csv(tmp_path / "sibling_institutions.csv", header, [
        [HEALTH, SIBLING_NAMES[HEALTH], "450321", "01", "", "否", "在用"],
        [CLINIC, SIBLING_NAMES[CLINIC], "450321", "024", HEALTH, "否", "在用"],
    ])
    profiles = write_csv(tmp_path / "sibling_profiles.csv",
                         ["统一社会信用代码", "年", "用能人数", "建筑面积(平方米)"],
                         [[code, 2025, 200, 2000] for code in SIBLING_NAMES])
    consumption = write_csv(tmp_path / "sibling_consumption.csv",
                            ["统一社会信用代码", "年", "月", "电(千瓦时)", "水(立方米)"],
                            [[code, 2025, 1, 7000 + i, 70] for i, code in
                             enumerate(SIBLING_NAMES)])
    for kind, path in (("institutions", institutions), ("profiles", profiles),
                       ("consumption", consumption)):
        import_file(world.engine, kind, path)


def _alerts(world: World, out: Siblings) -> None:
    """One quota alert per institution, one region-level alert per county; each with a
    limit value of its own (901.37, 902.37, …) that the pages show."""
    subjects: list[tuple[str, str, int | None]] = [
        (code, REGION_OF[code], out.ids[code]) for code in ALL_NAMES]
    subjects += [(county, county, None) for county in ("450302", "450321")]
    now = datetime.now(UTC)
    with world.engine.begin() as conn:
        for n, (key, region, iid) in enumerate(subjects, start=1):
            limit = 900 + n + 0.37
            subject = f"quota:7:{iid}" if iid is not None else f"target:{9000 + n}"
            new_id = conn.execute(t.alert.insert().values(
                subject=subject, region_code=region, institution_id=iid, year=2025,
                level="over", state="open", actual=limit + 0.5, projected=limit + 0.25,
                limit_value=limit, opened_at=now).returning(t.alert.c.id)).scalar_one()
            conn.execute(t.alert_event.insert().values(
                alert_id=new_id, at=now, event="opened", detail="over"))
            out.alerts[key] = int(new_id)
            out.limits[key] = f"{limit:.2f}"


def _findings_and_tasks(world: World, out: Siblings) -> None:
    """A quality finding, an institution-level reduction target (e.g. from the quota
    rule) per institution; the ids of its tasks."""
    now = datetime.now(UTC)
    with world.engine.begin() as conn:
        conn.execute(t.target.insert(), [
            {"region_code": REGION_OF[code], "institution_id": out.ids[code], "year": 2025,
             "metric": "energy_per_capita_kgce", "kind": "reduction", "value": 2.0,
             "base_year": 2024, "source": "manual", "set_at": now}
            for code in ALL_NAMES])
        conn.execute(t.quality_finding.insert(), [
            {"institution_id": out.ids[code], "year": 2025, "month": 1,
             "carrier": "electricity", "rule": "negative_value", "severity": "error",
             "value": -1.0, "state": "open", "found_at": now}
            for code in ALL_NAMES])
        k = t.reporting_task
        for code in ALL_NAMES:
            rows = conn.execute(select(k.c.id).where(k.c.institution_id == out.ids[code])
                                .order_by(k.c.id)).scalars()
            out.tasks[code] = [int(r) for r in rows]
            assert out.tasks[code], code
