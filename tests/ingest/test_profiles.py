from __future__ import annotations

from pathlib import Path

from jieneng.ingest import parse_profiles

from .conftest import LOOKUP, ORGAN, SCHOOL, UNKNOWN, codes, write_csv, write_xlsx

HEADER = ["统一社会信用代码", "年", "用能人数", "编制人数", "建筑面积(平方米)", "采暖面积(平方米)",
          "汽油车(辆)", "柴油车(辆)", "新能源汽车(辆)"]


def test_clean_profiles_with_unit_variants(tmp_path: Path) -> None:
    header = ["统一社会信用代码", "年份", "用能人数(人)", "编制人数", "建筑面积（㎡）",
              "采暖面积(m²)", "汽油车", "柴油车(辆)", "新能源汽车(辆)", "备注"]
    path = write_xlsx(tmp_path / "p.xlsx", header, [
        [ORGAN, 2025.0, 50, "40", "12,345.5", "１，０００", 2, 0, 1, "注"],
        [SCHOOL, "2025年", 1000.0, None, 8000, None, None, None, None, None],
    ], title="2025年基本信息")
    parsed = parse_profiles(path, institutions=LOOKUP)
    assert parsed.ok, parsed.issues
    assert parsed.frame.rows(named=True) == [
        {"institution_id": 1, "year": 2025, "occupants": 50, "staff_quota": 40,
         "floor_area_m2": 12345.5, "heated_area_m2": 1000.0, "vehicles_gasoline": 2,
         "vehicles_diesel": 0, "vehicles_nev": 1},
        {"institution_id": 2, "year": 2025, "occupants": 1000, "staff_quota": None,
         "floor_area_m2": 8000.0, "heated_area_m2": None, "vehicles_gasoline": None,
         "vehicles_diesel": None, "vehicles_nev": None},
    ]


def test_area_in_wan_square_metres(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", ["统一社会信用代码", "年", "建筑面积(万平方米)"],
                     [[ORGAN, 2025, "1.5"]])
    parsed = parse_profiles(path, institutions=LOOKUP)
    assert parsed.frame["floor_area_m2"].to_list() == [15000.0]


def test_bad_profiles(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", HEADER, [
        [ORGAN, 2025, 50, 40, 2000, 0, 2, 0, 1],        # 2 ok
        [UNKNOWN, 2025, 1, 1, 1, 1, 1, 1, 1],            # 3 unknown institution
        [SCHOOL, 1999, 1, 1, 1, 1, 1, 1, 1],             # 4 bad year
        [SCHOOL, "2025.5", 1, 1, 1, 1, 1, 1, 1],         # 5 bad year
        [SCHOOL, 2026, "1.5", 1, "-3", "x", 1, 1, 1],    # 6 not integer, negative, NaN
        [ORGAN, 2025, 1, 1, 1, 1, 1, 1, 1],              # 7 duplicate of row 2
    ])
    parsed = parse_profiles(path, institutions=LOOKUP)
    assert codes(parsed.issues) == [
        (3, "统一社会信用代码", "import.unknown_institution"),
        (4, "年", "import.bad_year"),
        (5, "年", "import.bad_year"),
        (6, "建筑面积(平方米)", "import.negative"),
        (6, "用能人数", "import.not_an_integer"),
        (6, "采暖面积(平方米)", "import.not_a_number"),
        (7, "统一社会信用代码", "import.duplicate_key"),
    ]
    assert parsed.frame["institution_id"].to_list() == [1]


def test_wrong_area_unit_is_a_header_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "p.csv", ["统一社会信用代码", "年", "建筑面积(立方米)"],
                     [[ORGAN, 2025, 1], [SCHOOL, 2025, 2]])
    parsed = parse_profiles(path, institutions=LOOKUP)
    assert codes(parsed.issues) == [(None, "建筑面积(立方米)", "import.unit_mismatch")]
