"""A small hand-built dataset shared by the storage tests."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Connection

from jieneng.storage.institutions import institution_lookup, upsert_institutions, upsert_profiles
from jieneng.storage.regions import upsert_regions

REGIONS = pl.DataFrame(
    {
        "code": ["330000", "330100", "330102", "330106", "330200", "330203"],
        "name": ["浙江省", "杭州市", "上城区", "西湖区", "宁波市", "海曙区"],
        "parent_code": [None, "330000", "330100", "330100", "330000", "330200"],
        "level": [1, 2, 3, 3, 2, 3],
    }
)


def code(n: int) -> str:
    """A credit-code-shaped key (storage does not validate check characters)."""
    return f"12330000MB{n:07d}X"


#: credit code no. → (name, region, category, department no., status)
INSTITUTIONS = {
    1: ("杭州市教育局", "330100", "01", None, "active"),
    2: ("上城区第一小学", "330102", "021", 1, "active"),
    3: ("上城区第二小学", "330102", "021", 1, "active"),
    4: ("西湖区人民医院", "330106", "024", None, "active"),
    5: ("海曙区博物馆", "330203", "023", None, "active"),
    6: ("海曙区旧档案馆", "330203", "026", None, "closed"),
}


def institutions_frame() -> pl.DataFrame:
    rows = []
    for n, (name, region, cat, dept, status) in INSTITUTIONS.items():
        rows.append({
            "credit_code": code(n), "name": name, "name_key": name, "region_code": region,
            "category": cat, "department_credit_code": None if dept is None else code(dept),
            "key_energy_user": n == 4, "status": status,
        })
    return pl.DataFrame(rows)


def load_directory(conn: Connection) -> dict[int, int]:
    """Regions, institutions and 2024 profiles; returns credit code no. → institution id."""
    upsert_regions(conn, REGIONS)
    upsert_institutions(conn, institutions_frame(), import_id=None)
    lookup = institution_lookup(conn)
    ids = {n: int(lookup.filter(pl.col("credit_code") == code(n))["institution_id"][0])
           for n in INSTITUTIONS}
    profiles = pl.DataFrame({
        "institution_id": [ids[1], ids[2], ids[3], ids[4], ids[5]],
        "year": [2024] * 5,
        # institution 3 has no occupants, institution 5 no floor area
        "occupants": [100, 500, 0, 800, 20],
        "staff_quota": [90, 60, 40, 700, 15],
        "floor_area_m2": [5000.0, 12000.0, 8000.0, 30000.0, None],
        "heated_area_m2": [None] * 5,
        "vehicles_gasoline": [3, 0, 0, 5, 1],
        "vehicles_diesel": [0, 0, 0, 1, 0],
        "vehicles_nev": [1, 0, 0, 2, 0],
    })
    upsert_profiles(conn, profiles, import_id=None)
    return ids


def figures(rows: list[tuple[int, int, int, str, float, float | None]]) -> pl.DataFrame:
    """(institution_id, year, month, carrier, quantity, cost) → a consumption frame."""
    return pl.DataFrame(
        rows,
        schema={"institution_id": pl.Int64, "year": pl.Int64, "month": pl.Int64,
                "carrier": pl.String, "quantity": pl.Float64, "cost_yuan": pl.Float64},
        orient="row",
    ).with_columns(
        pl.col("quantity").cast(pl.String).alias("entered_value"),
        pl.lit("kWh").alias("entered_unit"),
    )
