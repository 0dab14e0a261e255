"""The demo city's vehicles, parking and coal-fired equipment (issue 14 §5), written
through the ordinary import (:func:`jieneng.services.fleet.import_fleet`, source files
kept as import batches) once per database (``demo_fleet`` in meta), and only when the
city holds no vehicle yet.

The register is **invented** for the demo (no real fleet is known): for the first
:data:`UNITS` active institutions of the city (by region, category, credit code) one to
four vehicles each, fuels drawn with a fixed seed so that about a third of the last
year's purchases are new-energy vehicles; a parking row per institution and year with
charging spaces around the 8 % target; two coal-fired boilers — one removed in the year
before the last, one still in use (its institution is the one not cleared of coal).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from sqlalchemy import Engine

from jieneng.core.caller import User, command_line_user
from jieneng.services.database import reading
from jieneng.services.fleet import import_fleet, list_fleet
from jieneng.services.scope import scoped_filters
from jieneng.storage import meta
from jieneng.storage.directory import search_institutions

VERSION = "fleet-1"
UNITS = 40
#: fuels of the older fleet and of the last year's purchases, with their weights
OLD_FUELS = (("汽油", 0.62), ("柴油", 0.18), ("油电混合", 0.08), ("纯电动", 0.08),
             ("插电混动", 0.04))
NEW_FUELS = (("汽油", 0.50), ("油电混合", 0.12), ("纯电动", 0.28), ("插电混动", 0.08),
             ("增程式", 0.02))


def seed(engine: Engine, region_code: str, files_dir: Path, *, year: int) -> dict[str, int]:
    """The register for ``year`` (the demo's last year) once per database; counts of
    the rows imported ({} when already there)."""
    user = command_line_user()
    with reading(engine) as conn:
        if meta.get_meta(conn, "demo_fleet") == VERSION:
            return {}
    if list_fleet(engine, user, "vehicles", region_code=region_code, limit=1):
        _done(engine)
        return {}
    codes = _units(engine, user, region_code)
    if not codes:
        return {}
    folder = files_dir / "fleet"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(14)
    counts: dict[str, int] = {}
    for kind, rows in (("vehicles", _vehicles(codes, year, rng)),
                       ("parking", _parking(codes, year, rng)),
                       ("coal_equipment", _coal(codes, year))):
        path = folder / f"demo_{kind}.csv"
        _write(path, rows)
        counts[f"fleet_{kind}"] = import_fleet(engine, user, path, kind=kind).stored
    _done(engine)
    return counts


def _done(engine: Engine) -> None:
    with engine.begin() as conn:
        meta.set_meta(conn, "demo_fleet", VERSION)


def _units(engine: Engine, user: User, region_code: str) -> list[str]:
    with reading(engine) as conn:
        filters = scoped_filters(conn, user.scope, region_code=region_code)
        found, _total = search_institutions(conn, filters, status="active", limit=UNITS)
    return [str(r["credit_code"]) for r in found]


def _pick(options: tuple[tuple[str, float], ...], rng: np.random.Generator) -> str:
    names = [o[0] for o in options]
    weights = np.array([o[1] for o in options])
    return str(rng.choice(names, p=weights / weights.sum()))


def _vehicles(codes: list[str], year: int, rng: np.random.Generator) -> list[list[str]]:
    rows = [["统一社会信用代码", "车辆编号", "燃料类型", "购置年份", "状态", "处置年份"]]
    for n, code in enumerate(codes):
        for k in range(1 + int(rng.integers(0, 4))):
            bought = int(rng.integers(year - 12, year + 1))
            fuels = NEW_FUELS if bought == year else OLD_FUELS
            disposed = ""
            status = "在用"
            if bought < year - 9 and rng.random() < 0.5:
                status, disposed = "已处置", str(int(rng.integers(bought + 8, year + 1)))
            rows.append([code, f"DEMO-{n:03d}-{k}", _pick(fuels, rng), str(bought), status,
                         disposed])
    return rows


def _parking(codes: list[str], year: int, rng: np.random.Generator) -> list[list[str]]:
    rows = [["统一社会信用代码", "年份", "停车位数", "充电车位数"]]
    for code in codes:
        spaces = int(rng.integers(12, 120))
        for y, share in ((year - 1, 0.05), (year, 0.09)):
            charging = min(spaces, round(spaces * share * float(rng.uniform(0.4, 1.6))))
            rows.append([code, str(y), str(spaces), str(charging)])
    return rows


def _coal(codes: list[str], year: int) -> list[list[str]]:
    rows = [["统一社会信用代码", "设备编号", "设备类型", "额定容量", "容量单位", "状态",
             "拆除日期"]]
    rows.append([codes[0], "GL-01", "燃煤锅炉", "2", "t/h", "已拆除", f"{year - 1}-09-30"])
    if len(codes) > 1:
        rows.append([codes[-1], "GL-01", "燃煤锅炉", "1", "t/h", "在用", ""])
    return rows


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
