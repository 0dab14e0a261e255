"""The demo city's input files: determinism, valid codes, realistic figures, planted errors."""

from __future__ import annotations

import time
from pathlib import Path

import polars as pl
import pytest

from jieneng.core.codes import validate_credit_code
from jieneng.demo.generate import write_demo_files
from jieneng.demo.kinds import BUILDING_CARRIERS, KGCE_PER_UNIT
from jieneng.demo.layout import (
    INSTITUTION_COLUMNS,
    PROFILE_COLUMNS,
    DemoFiles,
    consumption_columns,
    quantity_header,
)

CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ORG_CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CATEGORIES = ("01", "021", "022", "023", "024", "025", "026", "03")

#: 单位建筑面积能耗 [kgce/m²], Guangdong 2021 同类型公共机构平均值 (广东省能源局
#: 2023-01-03; shared/reference/reference-data-public-institution-benchmarks.csv):
#: 机关 11.02 (市级以下)–12.49 (省级以上), 中小学 3.28–高等学校 4.77, 医院 15.88,
#: 场馆 9.87. No benchmark for 022/026/03: held to the organ range (office use).
BENCHMARK_KGCE_M2: dict[str, tuple[float, float]] = {
    "01": (11.02, 12.49),
    "021": (3.28, 4.77),
    "024": (15.88, 15.88),
    "023": (9.87, 9.87),
    "025": (9.87, 9.87),
    "022": (11.02, 12.49),
    "026": (11.02, 12.49),
    "03": (11.02, 12.49),
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return write_demo_files(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def institutions(demo: DemoFiles) -> pl.DataFrame:
    return pl.read_excel(demo.institutions, sheet_name="公共机构名录", infer_schema_length=0)


@pytest.fixture(scope="module")
def profiles(demo: DemoFiles) -> pl.DataFrame:
    return pl.read_csv(demo.profiles, schema_overrides={"统一社会信用代码": pl.String})


def _consumption(demo: DemoFiles, year: int) -> pl.DataFrame:
    frame = pl.read_csv(demo.consumption_by_year[year], infer_schema_length=0)
    return frame.with_columns(pl.col(frame.columns[1:]).cast(pl.Float64))


def _credit_check(first17: str) -> str:
    """GB 32100-2015 check character, recomputed here from reference-data.md §7.2."""
    total = sum(CREDIT_CHARSET.index(ch) * pow(3, i, 31) for i, ch in enumerate(first17))
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def _org_check(body: str) -> str:
    """GB 11714 check character of the 8-character organisation-code body."""
    total = sum(
        ORG_CHARSET.index(ch) * w for ch, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)
    )
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def test_worked_example_of_the_reference() -> None:
    assert _credit_check("91350100M000100Y4") == "3"
    assert _org_check("M000100Y") == "4"


def test_files_and_headers(demo: DemoFiles) -> None:
    assert [p.name for p in demo.paths()] == [
        "regions.csv", "institutions.xlsx", "profiles.csv",
        "consumption_2023.csv", "consumption_2024.csv", "consumption_2025.csv",
    ]  # fmt: skip
    assert demo.profiles.read_text("utf-8").splitlines()[0] == ",".join(PROFILE_COLUMNS)
    header = demo.consumption_by_year[2024].read_text("utf-8").splitlines()[0]
    assert header == ",".join(consumption_columns())
    assert header.startswith("统一社会信用代码,年,月,电(千瓦时),电费(元),水(立方米),水费(元),")
    for part in (
        "天然气(立方米),天然气费用(元)",
        "液化石油气(千克),液化石油气费用(元)",
        "汽油-车辆用油(升),汽油-车辆用油费用(元)",
        "柴油-车辆用油(升),柴油-车辆用油费用(元)",
        "煤炭(吨)",
        "热力(吉焦)",
    ):
        assert part in header
    assert header.endswith(",其他能源(吨标准煤)")
    regions = demo.regions.read_text("utf-8").splitlines()
    assert regions[0] == "行政区划代码,名称,上级代码" and len(regions) == 20


def test_same_seed_same_bytes(demo: DemoFiles, tmp_path: Path) -> None:
    again = write_demo_files(tmp_path / "again")
    for first, second in zip(demo.paths(), again.paths(), strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name
    assert again.planted == demo.planted


def test_other_seed_other_data(demo: DemoFiles, tmp_path: Path) -> None:
    other = write_demo_files(tmp_path / "other", seed=1, years=(2025,))
    assert [p.name for p in other.consumption] == ["consumption_2025.csv"]
    assert other.consumption[0].read_bytes() != demo.consumption_by_year[2025].read_bytes()


def test_fast(tmp_path: Path) -> None:
    start = time.perf_counter()
    write_demo_files(tmp_path)
    assert time.perf_counter() - start < 5.0


def test_credit_codes_valid(institutions: pl.DataFrame) -> None:
    prefix = {"01": "11", "03": "51"}
    codes = institutions["统一社会信用代码"].to_list()
    assert len(set(codes)) == len(codes)
    for row in institutions.iter_rows(named=True):
        code = row["统一社会信用代码"]
        assert len(code) == 18 and set(code) <= set(CREDIT_CHARSET), code
        assert code[17] == _credit_check(code[:17]), code
        assert code[16] == _org_check(code[8:16]), code
        assert validate_credit_code(code) == code
        assert code[:2] == prefix.get(row["单位类别"], "12"), code
        assert code[2:8] == row["行政区划代码"], code


def test_directory(institutions: pl.DataFrame, demo: DemoFiles) -> None:
    assert tuple(institutions.columns) == INSTITUTION_COLUMNS
    assert 550 <= institutions.height <= 700
    assert demo.institution_count == institutions.height
    names = institutions["单位名称"].to_list()
    assert all("演示" in n for n in names) and len(set(names)) == len(names)
    regions = {line.split(",")[0] for line in demo.regions.read_text("utf-8").splitlines()[1:]}
    assert set(institutions["行政区划代码"]) <= regions - {"450000"}
    assert len(set(institutions["行政区划代码"])) == 18  # the city level and 17 counties
    shares = institutions["单位类别"].value_counts(normalize=True)
    share = dict(zip(shares["单位类别"], shares["proportion"], strict=True))
    assert set(share) == set(CATEGORIES)
    assert 0.40 <= share["01"] <= 0.50
    assert 0.25 <= share["021"] <= 0.35
    assert 0.07 <= share["024"] <= 0.13
    assert set(institutions["重点用能单位"]) == {"是", "否"}
    assert 3 <= (institutions["重点用能单位"] == "是").sum() <= 20
    closed = institutions.filter(pl.col("状态") == "撤销")["统一社会信用代码"].to_list()
    assert sorted(closed) == sorted(demo.closed) and len(closed) == 2
    assert set(institutions["状态"]) == {"在用", "撤销"}


def test_competent_departments(institutions: pl.DataFrame) -> None:
    by_code = {r["统一社会信用代码"]: r for r in institutions.iter_rows(named=True)}
    for row in institutions.iter_rows(named=True):
        dept = row["主管部门统一社会信用代码"]
        if row["单位类别"] in ("021", "024"):
            assert dept, row["单位名称"]
        if not dept:
            continue
        parent = by_code[dept]
        assert parent["单位类别"] == "01"
        assert parent["行政区划代码"] in (row["行政区划代码"], "450300")
        if row["单位类别"] == "021":
            assert parent["单位名称"].endswith("教育局")
        if row["单位类别"] == "024":
            assert parent["单位名称"].endswith(("卫生健康局", "卫生健康委员会"))


def test_profiles(profiles: pl.DataFrame, institutions: pl.DataFrame, demo: DemoFiles) -> None:
    assert profiles.select("统一社会信用代码", "年").is_duplicated().sum() == 0
    active = institutions.height - len(demo.closed)
    counts = dict(profiles["年"].value_counts().iter_rows())
    assert counts == {2023: institutions.height, 2024: institutions.height, 2025: active}
    assert profiles.filter(pl.col("年") == 2025)["统一社会信用代码"].is_in(demo.closed).sum() == 0
    assert (profiles["用能人数"] > 0).all() and (profiles["建筑面积(平方米)"] > 0).all()
    assert (profiles["编制人数"] <= profiles["用能人数"]).all()
    assert (profiles["采暖面积(平方米)"] == 0).mean() > 0.95
    joined = profiles.join(institutions, on="统一社会信用代码")
    organs = joined.filter((pl.col("单位类别") == "01") & (pl.col("行政区划代码") != "450300"))
    assert organs["建筑面积(平方米)"].min() >= 1_500
    assert organs.filter(~pl.col("单位名称").str.contains("公安"))["用能人数"].max() <= 260


def test_blank_means_not_reported(demo: DemoFiles) -> None:
    for year in demo.years:
        frame = _consumption(demo, year)
        values = frame.select(pl.exclude("年", "月"))
        assert all((values[c].drop_nulls() > 0).all() for c in values.columns[1:])
        assert frame["月"].is_between(1, 12).all()
        assert frame.select("统一社会信用代码", "月").is_duplicated().sum() == 0
        assert frame[quantity_header("coal")].null_count() > 0.95 * frame.height
        assert frame[quantity_header("heat")].null_count() > 0.95 * frame.height


def test_intensities_plausible(
    demo: DemoFiles, institutions: pl.DataFrame, profiles: pl.DataFrame
) -> None:
    """Per-area building energy by category within the Guangdong 2021 averages ± 30 %."""
    energy = sum(
        pl.col(quantity_header(c)).fill_null(0) * KGCE_PER_UNIT[c] for c in BUILDING_CARRIERS
    )
    for year in demo.years:
        per_inst = (
            _consumption(demo, year)
            .group_by("统一社会信用代码")
            .agg(energy.sum().alias("kgce"), pl.col("水(立方米)").sum().alias("water"))
            .join(profiles.filter(pl.col("年") == year), on="统一社会信用代码")
            .join(institutions, on="统一社会信用代码")
        )
        by_cat = per_inst.group_by("单位类别").agg(
            (pl.col("kgce").sum() / pl.col("建筑面积(平方米)").sum()).alias("per_area"),
            (pl.col("water").sum() / pl.col("用能人数").sum()).alias("water_pp"),
        )
        for category, per_area, water_pp in by_cat.iter_rows():
            lo, hi = BENCHMARK_KGCE_M2[category]
            assert 0.7 * lo <= per_area <= 1.3 * hi, (year, category, per_area)
            assert 8 <= water_pp <= 70, (year, category, water_pp)
        # electricity is the dominant carrier
        totals = _consumption(demo, year).select(
            (pl.col(quantity_header(c)).sum() * KGCE_PER_UNIT[c]).alias(c)
            for c in BUILDING_CARRIERS
        )
        assert totals["electricity"][0] > 0.75 * sum(totals.row(0))


def test_seasonal_shape(demo: DemoFiles, institutions: pl.DataFrame) -> None:
    schools = institutions.filter(pl.col("单位类别") == "021")["统一社会信用代码"]
    frame = _consumption(demo, 2023)
    monthly = (
        frame.with_columns(pl.col("统一社会信用代码").is_in(schools.implode()).alias("school"))
        .group_by("school", "月")
        .agg(pl.col("电(千瓦时)").sum())
    )
    el = {(s, m): v for s, m, v in monthly.iter_rows()}
    assert el[(False, 7)] > 1.2 * el[(False, 4)] and el[(False, 8)] > 1.2 * el[(False, 11)]
    assert el[(True, 2)] < 0.6 * el[(True, 3)] and el[(True, 8)] < 0.6 * el[(True, 9)]
    e2023 = frame["电(千瓦时)"].sum()
    assert _consumption(demo, 2025)["电(千瓦时)"].sum() < e2023  # gentle downward trend


def test_planted_errors_present(demo: DemoFiles) -> None:
    kinds = [p.kind for p in demo.planted]
    assert {"unit_wan_kwh", "spike_10x", "missing_month", "missing_value", "late_report"} <= set(
        kinds
    )
    frames = {y: _consumption(demo, y) for y in demo.years}
    for p in demo.planted:
        assert p.reviewer_sees_zh and p.reviewer_sees_en and p.typical and p.typical > 0
        rows = frames[p.year].filter(
            (pl.col("统一社会信用代码") == p.credit_code) & (pl.col("月") == p.month)
        )
        if p.kind in ("missing_month", "late_report"):
            assert rows.height == 0, p
            continue
        assert rows.height == 1 and p.carrier is not None
        value = rows[quantity_header(p.carrier)][0]
        if p.kind == "missing_value":
            assert value is None and rows["水(立方米)"][0] is not None
        elif p.kind == "unit_wan_kwh":
            assert value == p.reported and value == pytest.approx(p.typical / 10_000, abs=0.01)
            assert rows["电费(元)"][0] / value > 1_000  # the bill was not divided
        elif p.kind == "spike_10x":
            assert value == p.reported == pytest.approx(10 * p.typical)
    late = [p for p in demo.planted if p.kind == "late_report"]
    assert len({p.credit_code for p in late}) >= 4 and all(p.month >= 11 for p in late)
    assert all(p.year == 2025 for p in late)
