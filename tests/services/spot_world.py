"""A 桂林 world for the spot-check and 会审 tests, with reporting tasks and findings
inserted directly (the reporting and quality services are built elsewhere)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, select

from jieneng.core.caller import User
from jieneng.core.codes import make_credit_code
from jieneng.core.permissions import Role
from jieneng.services.entry.imports import import_file
from jieneng.storage import tables as t
from tests.sample import make_files, write_csv

#: (region, category, how many)
LAYOUT = (("450302", "01", 10), ("450302", "021", 5), ("450321", "021", 6),
          ("450321", "03", 2))
NOW = datetime(2026, 1, 15, tzinfo=UTC)


@dataclass
class SpotWorld:
    engine: Engine
    ids: dict[str, int]  # credit code → id
    regions: dict[str, str]  # credit code → region
    categories: dict[str, str]  # credit code → category

    def codes(self, region: str | None = None) -> list[str]:
        return sorted(c for c in self.ids if region is None or self.regions[c] == region)


def electricity(n: int) -> float:
    return 1000.0 * (n + 1)


def load(engine: Engine, tmp_path: Path) -> SpotWorld:
    files = make_files(tmp_path)
    rows: list[list[object]] = []
    regions: dict[str, str] = {}
    categories: dict[str, str] = {}
    serial = 5000
    for region, category, count in LAYOUT:
        for _ in range(count):
            serial += 1
            code = make_credit_code("11" if category == "01" else "12", region, serial)
            rows.append([code, f"抽查单位{serial}", region, category, "", "否", "在用"])
            regions[code], categories[code] = region, category
    institutions = write_csv(
        tmp_path / "spot_institutions.csv",
        ["统一社会信用代码", "单位名称", "行政区划代码", "单位类别", "主管部门统一社会信用代码",
         "重点用能单位", "状态"], rows)
    codes = [str(r[0]) for r in rows]
    consumption = write_csv(
        tmp_path / "spot_consumption.csv",
        ["统一社会信用代码", "年", "月", "电(千瓦时)", "水(立方米)"],
        [[code, 2025, 1, electricity(n), 10 * (n + 1)] for n, code in enumerate(codes)])
    import_file(engine, "regions", files.regions)
    import_file(engine, "institutions", institutions)
    import_file(engine, "consumption", consumption)
    with engine.begin() as conn:
        # the imports run the data-quality rules; the tests insert their own findings
        conn.execute(t.quality_finding.delete())
        i = t.institution
        ids = {str(r.credit_code): int(r.id)
               for r in conn.execute(select(i.c.credit_code, i.c.id))}
    return SpotWorld(engine, {c: ids[c] for c in codes}, regions, categories)


def add_period(engine: Engine, region: str, year: int, month: int = 0) -> int:
    kind = "annual" if month == 0 else "monthly"
    with engine.begin() as conn:
        return int(conn.execute(t.reporting_period.insert().values(
            region_code=region, kind=kind, year=year, month=month,
            deadline=date(year + 1, 1, 31), opened_at=NOW,
        ).returning(t.reporting_period.c.id)).scalar_one())


def add_tasks(engine: Engine, period_id: int, states: dict[int, str]) -> None:
    with engine.begin() as conn:
        conn.execute(t.reporting_task.insert(), [
            {"period_id": period_id, "institution_id": iid, "state": state}
            for iid, state in states.items()])


def add_finding(
    engine: Engine, institution_id: int, rule: str, severity: str, state: str, *,
    year: int = 2025, month: int = 1, carrier: str = "electricity",
) -> None:
    with engine.begin() as conn:
        conn.execute(t.quality_finding.insert().values(
            institution_id=institution_id, year=year, month=month, carrier=carrier,
            rule=rule, severity=severity, state=state, found_at=NOW))


def user(role: Role, region: str | None = None, institution_id: int | None = None,
         uid: int = 1) -> User:
    return User(id=uid, username=f"{role.value}{uid}", display_name=role.value, role=role,
                region_code=region, institution_id=institution_id, is_locked=False,
                locked_until=None, created_at=None)
