"""Institutions file (directory of 公共机构, form NY101 basic information).

Headers: 统一社会信用代码, 单位名称, 行政区划代码, 单位类别, 主管部门统一社会信用代码
(optional), 重点用能单位 (optional: 是/否, Y/N, 1/0), 状态 (optional: 在用/正常 →
active, 撤销/关闭 → closed).

Output columns: ``credit_code, name, name_key, region_code, category,
department_credit_code`` (null for none), ``key_energy_user`` (bool), ``status``.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import polars as pl

from jieneng.core.categories import parse_category
from jieneng.core.codes import validate_credit_code
from jieneng.core.names import name_key

from ._common import Checker, ColumnSpec, code_text, map_distinct, map_headers, open_table, parsed
from .reader import DEFAULT_MAX_BYTES, ROW
from .result import Parsed

SPECS = (
    ColumnSpec("credit_code", ("统一社会信用代码", "信用代码", "社会信用代码", "credit_code"),
               required=True),
    ColumnSpec("name", ("单位名称", "机构名称", "名称", "name"), required=True),
    ColumnSpec("region_code", ("行政区划代码", "区划代码", "所在区划", "region_code"),
               required=True),
    ColumnSpec("category", ("单位类别", "机构类型", "单位类型", "机构类别", "category"),
               required=True),
    ColumnSpec("department", ("主管部门统一社会信用代码", "主管部门信用代码", "主管部门代码",
                              "department_credit_code")),
    ColumnSpec("key_energy_user", ("重点用能单位", "是否重点用能单位", "key_energy_user")),
    ColumnSpec("status", ("状态", "单位状态", "status")),
)

OUTPUT_SCHEMA = {
    "credit_code": pl.String, "name": pl.String, "name_key": pl.String,
    "region_code": pl.String, "category": pl.String, "department_credit_code": pl.String,
    "key_energy_user": pl.Boolean, "status": pl.String,
}

_TRUE = ("是", "Y", "YES", "1", "TRUE", "√", "重点")
_FALSE = ("否", "N", "NO", "0", "FALSE", "×", "非重点")
_ACTIVE = ("在用", "正常", "ACTIVE", "存续", "运行")
_CLOSED = ("撤销", "关闭", "CLOSED", "注销", "停用", "撤并")

EXISTING_SCHEMA = {"credit_code": pl.String, "name": pl.String, "name_key": pl.String,
                   "region_code": pl.String}


def _credit(code: str) -> str:
    return validate_credit_code(code)


def _category(text: str) -> str:
    return parse_category(text).code


def parse_institutions(
    path: Path,
    *,
    known_regions: Collection[str],
    existing: pl.DataFrame | None = None,
    sheet: str | int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Parsed:
    """Parse an institutions file.

    ``existing`` (columns ``credit_code, name, name_key, region_code``) is the
    directory already stored: departments may refer to it and near-duplicate
    names are looked for in it.
    """
    table = open_table("institutions", path, SPECS, sheet=sheet, max_bytes=max_bytes)
    if isinstance(table, Parsed):
        return table
    chk = Checker(table, list(table.issues))
    mapped, _ = map_headers(table, SPECS, chk.issues)
    if any(s.required and s.key not in mapped for s in SPECS):
        return parsed("institutions", table, pl.DataFrame(schema=OUTPUT_SCHEMA), chk.issues, chk)
    col = {k: m.column for k, m in mapped.items()}
    old = (existing if existing is not None else pl.DataFrame(schema=EXISTING_SCHEMA)).select(
        [pl.col(k).cast(pl.String) for k in EXISTING_SCHEMA]
    )

    def text(key: str) -> pl.Expr:
        return pl.col(col[key]) if key in col else pl.lit(None, pl.String)

    flag = code_text(text("key_energy_user"))
    status = code_text(text("status"))
    df = table.frame.with_columns(
        code_text(text("credit_code")).alias("credit_code"),
        text("name").alias("name"),
        code_text(text("region_code")).str.strip_suffix(".0").alias("region_code"),
        text("category").alias("category_text"),
        code_text(text("department")).alias("department_credit_code"),
        pl.when(flag.is_null()).then(False).when(flag.is_in(_TRUE)).then(True)
        .when(flag.is_in(_FALSE)).then(False).otherwise(None).alias("key_energy_user"),
        pl.when(status.is_null()).then(pl.lit("active")).when(status.is_in(_ACTIVE))
        .then(pl.lit("active")).when(status.is_in(_CLOSED)).then(pl.lit("closed"))
        .otherwise(None).alias("status"),
    )
    codes = map_distinct(pl.concat([df["credit_code"], df["department_credit_code"]]), _credit,
                         name="code")
    cats = map_distinct(df["category_text"], _category, name="category_text")
    keys = map_distinct(df["name"], name_key, name="name")
    df = (
        df.join(codes.select(pl.col("code").alias("credit_code"),
                             pl.col("result").alias("credit_valid"),
                             pl.col("err_zh").alias("cc_zh"), pl.col("err_en").alias("cc_en")),
                on="credit_code", how="left")
        .join(codes.select(pl.col("code").alias("department_credit_code"),
                           pl.col("result").alias("dept_valid"),
                           pl.col("err_zh").alias("dc_zh"), pl.col("err_en").alias("dc_en")),
              on="department_credit_code", how="left")
        .join(cats.select("category_text", pl.col("result").alias("category"),
                          pl.col("err_zh").alias("cat_zh"), pl.col("err_en").alias("cat_en")),
              on="category_text", how="left")
        .join(keys.select("name", pl.col("result").alias("name_key")), on="name", how="left")
        .sort(ROW)
    )
    # Canonical forms from core.codes (folding as the validator does).
    df = df.with_columns(
        pl.coalesce("credit_valid", "credit_code").alias("credit_code"),
        pl.coalesce("dept_valid", "department_credit_code").alias("department_credit_code"),
    )
    c_cc, c_name = col["credit_code"], col["name"]
    c_reg, c_cat = col["region_code"], col["category"]
    chk.required(df, c_cc)
    chk.check(df, pl.col("cc_zh").is_not_null(), "import.invalid_credit_code", column=c_cc,
              value=pl.col(c_cc), params={"detail_zh": pl.col("cc_zh"),
                                          "detail_en": pl.col("cc_en")})
    chk.duplicates(df, ["credit_code"], column=c_cc, value=pl.col(c_cc),
                   describe=pl.col("credit_code"))
    chk.required(df, c_name)
    chk.required(df, c_reg)
    known = pl.Series(sorted(set(known_regions)), dtype=pl.String).implode()
    chk.check(df, pl.col("region_code").is_not_null() & ~pl.col("region_code").is_in(known),
              "import.unknown_region", column=c_reg, value=pl.col(c_reg))
    chk.required(df, c_cat)
    chk.check(df, pl.col("cat_zh").is_not_null(), "import.bad_category", column=c_cat,
              value=pl.col(c_cat), params={"detail_zh": pl.col("cat_zh"),
                                           "detail_en": pl.col("cat_en")})
    if "department" in col:
        c_dep = col["department"]
        chk.check(df, pl.col("dc_zh").is_not_null(), "import.invalid_credit_code", column=c_dep,
                  value=pl.col(c_dep), params={"detail_zh": pl.col("dc_zh"),
                                               "detail_en": pl.col("dc_en")})
        known_cc = pl.concat([df["credit_code"].drop_nulls(), old["credit_code"].drop_nulls()])
        chk.check(df, pl.col("dept_valid").is_not_null()
                  & ~pl.col("department_credit_code").is_in(known_cc.implode()),
                  "import.unknown_department", column=c_dep, value=pl.col(c_dep))
    if "key_energy_user" in col:
        chk.check(df, pl.col("key_energy_user").is_null(), "import.bad_boolean",
                  column=col["key_energy_user"], value=pl.col(col["key_energy_user"]))
    if "status" in col:
        chk.check(df, pl.col("status").is_null(), "import.bad_status", column=col["status"],
                  value=pl.col(col["status"]))
    _near_duplicates(chk, df, old, c_name)
    frame = chk.valid(df).select(list(OUTPUT_SCHEMA)).cast(OUTPUT_SCHEMA)  # type: ignore[arg-type]
    return parsed("institutions", table, frame, chk.issues, chk)


def _near_duplicates(chk: Checker, df: pl.DataFrame, old: pl.DataFrame, c_name: str) -> None:
    """Warn for a name whose name_key equals another institution's in the same region
    (in this file or already stored) under a different credit code."""
    keys = ["region_code", "name_key"]
    mine = df.filter(pl.col("credit_code").is_not_null() & pl.col("name_key").is_not_null()
                     & pl.col("region_code").is_not_null())
    base = mine.select(ROW, "credit_code", "name", *keys)
    in_file = base.rename({ROW: "o_row", "credit_code": "o_cc", "name": "o_name"})
    pairs = (
        base.join(in_file, on=keys)
        .filter(pl.col("o_cc") != pl.col("credit_code"))
        .group_by(ROW).agg(pl.col("o_row").min(), pl.col("o_cc").first(), pl.col("o_name").first())
    )
    stored = (
        base.join(old.rename({"credit_code": "o_cc", "name": "o_name"}), on=keys)
        .filter(pl.col("o_cc") != pl.col("credit_code"))
        .join(base.select(pl.col("credit_code").alias("o_cc")), on="o_cc", how="anti")
        .group_by(ROW).agg(pl.col("o_cc").first(), pl.col("o_name").first())
        .with_columns(pl.lit(None, pl.Int64).alias("o_row"))
    )
    hits = pl.concat([pairs.select(ROW, "o_row", "o_cc", "o_name"),
                      stored.select(ROW, "o_row", "o_cc", "o_name")])
    hits = hits.unique(ROW, keep="first", maintain_order=True)
    if hits.is_empty():
        return
    frame = df.join(hits, on=ROW, how="inner")
    other_zh = pl.format("“{}”（{}）", pl.col("o_name"), pl.col("o_cc"))
    where_zh = pl.when(pl.col("o_row").is_not_null()).then(
        pl.format("第 {} 行的", pl.col("o_row"))).otherwise(pl.lit("已登记的"))
    where_en = pl.when(pl.col("o_row").is_not_null()).then(
        pl.format(" on row {}", pl.col("o_row"))).otherwise(pl.lit(" (already registered)"))
    chk.check(
        frame, pl.lit(True), "import.name_near_duplicate", column=c_name, value=pl.col("name"),
        params={"other_zh": pl.concat_str(where_zh, other_zh),
                "other_en": pl.concat_str(
                    pl.format("{} ({})", pl.col("o_name"), pl.col("o_cc")), where_en)},
        warning=True,
    )
