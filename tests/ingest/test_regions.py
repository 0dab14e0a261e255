from __future__ import annotations

from importlib import resources
from pathlib import Path

from jieneng.ingest import parse_regions

from .conftest import codes, write_csv, write_xlsx

HEADER = ["行政区划代码", "名称", "上级代码"]


def test_guilin_file_parses_clean(tmp_path: Path) -> None:
    path = tmp_path / "guilin.csv"
    path.write_bytes(
        resources.files("jieneng.data.regions").joinpath("guilin.csv").read_bytes()
    )
    parsed = parse_regions(path, known_regions=set())
    assert parsed.ok, parsed.issues
    first = parsed.frame.row(0, named=True)
    assert first == {"code": "450000", "name": "广西壮族自治区", "parent_code": None, "level": 1}
    assert set(parsed.frame["level"].to_list()) == {1, 2, 3}


def test_alias_headers_and_numeric_codes(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", ["代码", "name", "parent"],
                      [[450300, "桂林市", 450000], [450302.0, " 秀峰区 ", "450300"]])
    parsed = parse_regions(path, known_regions={"450000"})
    assert parsed.ok, parsed.issues
    assert parsed.frame.rows() == [
        ("450300", "桂林市", "450000", 2), ("450302", "秀峰区", "450300", 3),
    ]


def test_bad_regions(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", HEADER, [
        ["450300", "桂林市", "450000"],   # 2 ok
        ["4503", "短码", "450000"],       # 3 invalid code
        ["450300", "桂林市重复", "450000"],  # 4 duplicate
        ["450321", "阳朔县", "460000"],   # 5 unknown parent
        ["450322", "临桂区", "450000"],   # 6 province parent of a county: allowed
        ["450323", "灵川县", "450302"],   # 7 parent is a county
        ["450400", "梧州市", ""],          # 8 city without parent
        ["450000", "广西", "450000"],     # 9 province with a parent
        ["450324", "全州县", "440300"],   # 10 parent of another city
    ])
    parsed = parse_regions(path, known_regions={"450000", "450302", "440300"})
    assert codes(parsed.issues) == [
        (3, "行政区划代码", "import.invalid_region_code"),
        (4, "行政区划代码", "import.duplicate_key"),
        (5, "上级代码", "import.unknown_parent"),
        (7, "上级代码", "import.bad_parent"),
        (8, "上级代码", "import.bad_parent"),
        (9, "上级代码", "import.bad_parent"),
        (10, "上级代码", "import.bad_parent"),
    ]
    dup = next(i for i in parsed.issues if i.code == "import.duplicate_key")
    assert "第 2 行" in dup.message_zh and "row 2" in dup.message_en
    invalid = parsed.issues[0]
    assert "6位" in invalid.message_zh  # the message of core.codes
    assert parsed.frame["code"].to_list() == ["450300", "450322"]


def test_missing_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", ["行政区划代码", "上级代码"], [["450300", "450000"]])
    parsed = parse_regions(path, known_regions=set(), )
    assert codes(parsed.issues) == [(None, "名称", "import.missing_column")]
