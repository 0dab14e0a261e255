"""NY202 / NY203 figures for every unit of the web tests' world (the scope walk's
siblings included), so a page showing a unit outside the caller's scope is caught."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from jieneng.services.forms_ny.imports import import_form
from jieneng.storage.institutions import institution_lookup
from tests.sample import write_csv


def add_rooms(engine: Engine, folder: Path) -> None:
    """One room (R-<n>, 2025-01 and the 2025 annual report) and heating figures per
    institution in the directory."""
    with engine.connect() as conn:
        codes = sorted(institution_lookup(conn)["credit_code"].to_list())
    rooms = write_csv(folder / "walk_rooms.csv", [
        "统一社会信用代码", "年", "月", "机房编号", "机房名称", "机房状态",
        "机房建筑面积(平方米)", "机房总用电量(千瓦时)", "IT设备用电量(千瓦时)"],
        [[code, 2025, month, f"R-{i}", f"机房{i}", "既有", 50, 1000 * (i + 16), 10_000]
         for i, code in enumerate(codes) for month in (0, 1)])
    heating = write_csv(folder / "walk_heating.csv", [
        "统一社会信用代码", "年", "月", "采暖面积(平方米)", "天然气(立方米)"],
        [[code, 2025, month, 100 + i, 1000] for i, code in enumerate(codes)
         for month in (0, 1)])
    import_form(engine, "datacentre", rooms)
    import_form(engine, "heating", heating)
