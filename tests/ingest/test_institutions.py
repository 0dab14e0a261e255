from __future__ import annotations

from pathlib import Path

import polars as pl

from jieneng.core.codes import make_credit_code
from jieneng.ingest import parse_institutions

from .conftest import HOSPITAL, ORGAN, REGIONS, SCHOOL, codes, write_csv, write_xlsx

HEADER = ["统一社会信用代码", "单位名称", "行政区划代码", "单位类别", "主管部门统一社会信用代码",
          "重点用能单位", "状态"]
EMPTY = pl.DataFrame(schema={"credit_code": pl.String, "name": pl.String, "name_key": pl.String,
                             "region_code": pl.String})


def test_clean_file(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "i.xlsx", HEADER, [
        [ORGAN, "秀峰区机关事务服务中心", 450302, "01", None, "否", "在用"],
        [f" {SCHOOL.lower()} ", "阳朔县第一中学 ", "450321", "教育", ORGAN, "Y", None],
        [HOSPITAL, "阳朔县人民医院", "450321", "024 卫生", None, 1, "撤销"],
    ])
    parsed = parse_institutions(path, known_regions=REGIONS, existing=EMPTY)
    assert parsed.ok, parsed.issues
    assert parsed.frame.columns == [
        "credit_code", "name", "name_key", "region_code", "category", "department_credit_code",
        "key_energy_user", "status",
    ]
    assert parsed.frame.rows() == [
        (ORGAN, "秀峰区机关事务服务中心", "秀峰区机关事务服务中心", "450302", "01", None, False,
         "active"),
        (SCHOOL, "阳朔县第一中学", "阳朔县第一中学", "450321", "021", ORGAN, True, "active"),
        (HOSPITAL, "阳朔县人民医院", "阳朔县人民医院", "450321", "024", None, True, "closed"),
    ]


def test_bad_institutions(tmp_path: Path) -> None:
    bad_check = SCHOOL[:-1] + ("0" if SCHOOL[-1] != "0" else "1")
    path = write_csv(tmp_path / "i.csv", HEADER, [
        [ORGAN, "机关", "450302", "01", "", "否", "在用"],          # 2 ok
        [bad_check, "坏校验码", "450321", "01", "", "", ""],        # 3 invalid credit code
        [ORGAN, "重复", "450302", "01", "", "", ""],                # 4 duplicate of row 2
        [SCHOOL, "学校", "999999", "教育", "", "", ""],             # 5 unknown region
        [HOSPITAL, "医院", "450321", "医疗？", "", "", ""],         # 6 bad category
        [make_credit_code("12", "450321", 7), "单位7", "450321", "01",
         make_credit_code("11", "450321", 8), "", ""],              # 7 unknown department
        [make_credit_code("12", "450321", 9), "单位9", "450321", "01", "123", "可能", "?"],  # 8
    ])
    parsed = parse_institutions(path, known_regions=REGIONS, existing=EMPTY)
    assert codes(parsed.issues) == [
        (3, "统一社会信用代码", "import.invalid_credit_code"),
        (4, "统一社会信用代码", "import.duplicate_key"),
        (5, "行政区划代码", "import.unknown_region"),
        (6, "单位类别", "import.bad_category"),
        (7, "主管部门统一社会信用代码", "import.unknown_department"),
        (8, "主管部门统一社会信用代码", "import.invalid_credit_code"),
        (8, "状态", "import.bad_status"),
        (8, "重点用能单位", "import.bad_boolean"),
    ]
    by_row = {i.row: i for i in parsed.issues}
    assert "校验码" in by_row[3].message_zh and "check character" in by_row[3].message_en
    assert "第 2 行" in by_row[4].message_zh and "row 2" in by_row[4].message_en
    assert parsed.frame["credit_code"].to_list() == [ORGAN]


def test_department_may_be_stored(tmp_path: Path) -> None:
    existing = pl.DataFrame({"credit_code": [ORGAN], "name": ["机关"], "name_key": ["机关"],
                             "region_code": ["450302"], "institution_id": [1]})
    path = write_csv(tmp_path / "i.csv", HEADER, [[SCHOOL, "学校", "450321", "021", ORGAN, "", ""]])
    parsed = parse_institutions(path, known_regions=REGIONS, existing=existing)
    assert parsed.ok, parsed.issues


def test_name_near_duplicates_are_warnings(tmp_path: Path) -> None:
    existing = pl.DataFrame({"credit_code": [ORGAN], "name": ["阳朔县人民医院"],
                             "name_key": ["阳朔县人民医院"], "region_code": ["450321"]})
    other = make_credit_code("12", "450321", 4001)
    path = write_csv(tmp_path / "i.csv", HEADER, [
        [SCHOOL, "阳朔县 第一中学", "450321", "021", "", "", ""],
        [other, "阳朔县第一中学", "450321", "021", "", "", ""],
        [HOSPITAL, "阳朔县人民医院\u3000", "450321", "024", "", "", ""],
        [make_credit_code("12", "450302", 5), "阳朔县第一中学", "450302", "021", "", "", ""],
    ])
    parsed = parse_institutions(path, known_regions=REGIONS, existing=existing)
    assert parsed.ok  # warnings only
    assert codes(parsed.warnings) == [
        (2, "单位名称", "import.name_near_duplicate"),
        (3, "单位名称", "import.name_near_duplicate"),
        (4, "单位名称", "import.name_near_duplicate"),
    ]
    w = {i.row: i for i in parsed.warnings}
    assert "第 3 行" in w[2].message_zh and other in w[2].message_zh
    assert "第 2 行" in w[3].message_zh
    assert ORGAN in w[4].message_zh and "已登记" in w[4].message_zh
    assert parsed.frame.height == 4


def test_missing_required_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "i.csv", ["统一社会信用代码", "单位名称", "行政区划代码"],
                     [[ORGAN, "机关", "450302"]])
    parsed = parse_institutions(path, known_regions=REGIONS, existing=EMPTY)
    assert codes(parsed.issues) == [(None, "单位类别", "import.missing_column")]
    assert parsed.frame.is_empty()
