"""A tiny 桂林 sample: three institutions, their profiles and one month of figures."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from jieneng.core.codes import make_credit_code

ORGAN = make_credit_code("11", "450302", 1001)
SCHOOL = make_credit_code("12", "450321", 2001)
SILENT = make_credit_code("12", "450321", 2002)


@dataclass
class Files:
    regions: Path
    institutions: Path
    profiles: Path
    consumption: Path


def write_csv(
    path: Path, header: list[str], rows: list[list[object]], encoding: str = "utf-8"
) -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def make_files(tmp_path: Path) -> Files:
    regions = tmp_path / "regions.csv"
    regions.write_bytes(resources.files("jieneng.data.regions").joinpath("guilin.csv").read_bytes())
    institutions = write_csv(
        tmp_path / "institutions.csv",
        ["统一社会信用代码", "单位名称", "行政区划代码", "单位类别", "主管部门统一社会信用代码",
         "重点用能单位", "状态"],
        [
            [ORGAN, "秀峰区演示机关事务服务中心", "450302", "01", "", "否", "在用"],
            [SCHOOL, "阳朔县演示第一中学", "450321", "教育", "", "否", "在用"],
            [SILENT, "阳朔县演示第二中学", "450321", "021", "", "否", "在用"],
        ],
    )
    profiles = write_csv(
        tmp_path / "profiles.csv",
        ["统一社会信用代码", "年", "用能人数", "编制人数", "建筑面积(平方米)", "采暖面积(平方米)",
         "汽油车(辆)", "柴油车(辆)", "新能源汽车(辆)"],
        [
            [ORGAN, 2025, 50, 40, 2000, 0, 2, 0, 1],
            [SCHOOL, 2025, 1000, 80, 10000, 0, 0, 0, 0],
            [SILENT, 2025, 800, 60, 8000, 0, 0, 0, 0],
        ],
    )
    consumption = write_csv(
        tmp_path / "consumption.csv",
        ["统一社会信用代码", "年", "月", "电(千瓦时)", "电费(元)", "水(立方米)", "天然气(立方米)",
         "汽油-车辆用油(升)"],
        [
            [ORGAN, 2025, 1, "10,000", 7000, 300, 100, 200],
            [SCHOOL, 2025, 1, 20000, 14000, 1000, "", ""],
        ],
    )
    return Files(regions, institutions, profiles, consumption)
