"""The demo city's event carbon and carbon-points ledger (issue 14 §6), written through
the ordinary services once per database (``demo_carbon`` in meta):

- one meeting — 全市公共机构节能宣传周启动会, hosted by the demo's school (so the
  city, the 教育局 and the school account all see it) — with its venue energy, travel
  by car (fuel used and electricity charged) and chartered coach, the hotel's and the
  kitchen's metered energy: every mode with a factor from the platform's factor set
  (the modes the references give no factor for are left out, as the calculator refuses
  them), and a 林业碳汇 offset with a (synthetic) certificate;
- a month (2025-11) of carbon-points entries for the staff of three demo institutions
  (the school, its 教育局 and a city organ), generated with a fixed seed and imported
  through the ordinary import (a CSV in the demo's files folder).

Called by :func:`jieneng.services.demo._build` on every start: idempotent (nothing
added when already there); returns counts for the demo summary. Synthetic data: the
staff are invented codes and display names.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import numpy as np
from sqlalchemy import Engine

from jieneng.core.caller import command_line_user
from jieneng.core.carbon.points import rules
from jieneng.services.carbon.events import EventSpec, add_offset, create_event
from jieneng.services.carbon.points import import_points
from jieneng.storage import meta
from jieneng.storage.institutions import get_institution_by_id
from jieneng.storage.users import first_institution

VERSION = "carbon-1"
MONTH = (2025, 11)
#: the meeting's activity data [each mode's unit]
MEETING = {"venue_electricity": 2400.0, "venue_natural_gas": 60.0,
           "travel_car_gasoline": 380.0, "travel_car_electric": 220.0,
           "travel_coach_fuel": 95.0, "accommodation_electricity": 1800.0,
           "accommodation_natural_gas": 120.0, "catering_natural_gas": 85.0,
           "catering_lpg": 30.0}
#: a minimal PDF standing in for the offset's certificate (synthetic)
CERTIFICATE = (b"%PDF-1.4\n% jieneng demo: synthetic forestry carbon-sink certificate\n"
               b"1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"


def _units(engine: Engine, region: str) -> list[str]:
    """Credit codes of the school, its 教育局 and a city organ (those that exist)."""
    with engine.connect() as conn:
        dept = first_institution(conn, region_code=region, name_like="%教育局")
        school = first_institution(conn, department_id=dept[0]) if dept else None
        organ = (first_institution(conn, region_code=region, name_like="%机关事务%")
                 or first_institution(conn, region_code=region, name_like="%局"))
        out = []
        for found in (school, dept, organ):
            row = get_institution_by_id(conn, found[0]) if found else None
            if row is not None and row.credit_code not in out:
                out.append(str(row.credit_code))
    return out


def _points_file(path: Path, units: list[str]) -> Path:
    """A month of entries: 6–9 staff per unit, working days, fixed seed."""
    rng = np.random.default_rng(14)
    year, month = MONTH
    days = [date(year, month, d) for d in range(1, 31) if date(year, month, d).weekday() < 5]
    actions = [r.action for r in rules()]
    weights = np.array([0.3, 0.3, 0.25, 0.05, 0.05, 0.05])[:len(actions)]
    weights = weights / weights.sum()
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(("统一社会信用代码", "员工编号", "显示名", "日期", "行为", "数量"))
        for u, code in enumerate(units):
            for s in range(int(rng.integers(6, 10))):
                name = f"{SURNAMES[(u * 7 + s) % len(SURNAMES)]}{'老师' if u == 0 else '同志'}"
                staff = f"D{u + 1}{s + 1:02d}"
                for day in days:
                    for action in set(rng.choice(actions, size=int(rng.integers(0, 3)),
                                                 p=weights)):
                        quantity = {"recycling": 2.5, "office_electricity_saved": 12.0,
                                    "official_car_fuel_saved": 3.0}.get(str(action), 1.0)
                        quantity = round(quantity * float(rng.uniform(0.5, 2.0)), 1)
                        if quantity >= 1 and str(action) in ("commute_walk_cycle",
                                                             "commute_public_transport",
                                                             "clean_plate"):
                            quantity = float(int(quantity))
                        out.writerow((code, staff, name, day.isoformat(), action, quantity))
    return path


def seed(engine: Engine, region: str, files_dir: Path) -> dict[str, int]:
    """The meeting with its offset and a month of carbon points, once per database."""
    with engine.connect() as conn:
        if meta.get_meta(conn, "demo_carbon") == VERSION:
            return {}
    units = _units(engine, region)
    if not units:
        return {}
    cli = command_line_user()
    made = create_event(engine, cli, EventSpec(
        credit_code=units[0], name="全市公共机构节能宣传周启动会（演示）",
        start_date=date(2025, 6, 16), end_date=date(2025, 6, 17), attendees=150,
        place="桂林市（演示数据）", lines=MEETING,
        note="演示数据：活动数据为虚构；因子取自平台系数集 / demo data"))
    event_id = int(made["event"]["id"])
    add_offset(engine, cli, event_id, kind="forestry",
               quantity_t=float(np.ceil(made["total_t"])),
               description="林业碳汇（演示数据） / forestry carbon sink (demo)",
               file_name="forestry-certificate-demo.pdf", content=CERTIFICATE,
               content_type="application/pdf")
    files_dir.mkdir(parents=True, exist_ok=True)
    report = import_points(engine, cli, _points_file(files_dir / "carbon_points_demo.csv",
                                                     units))
    with engine.begin() as conn:
        meta.set_meta(conn, "demo_carbon", VERSION)
    return {"carbon_events": 1, "carbon_offsets": 1, "carbon_points_entries": report.added}
