"""``jieneng indicators``, ``history`` and ``factor-sets``: reading the figures."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from jieneng.cli import output
from jieneng.cli.common import Fmt, FormatOpt, engine, handles_errors, state


class GroupBy(StrEnum):
    region = "region"
    category = "category"
    institution = "institution"


class Co2Scope(StrEnum):
    national = "national"
    regional = "regional"
    provincial = "provincial"


@handles_errors
def indicators(
    region: Annotated[str, typer.Option("--region", help="行政区划代码 region code")],
    year: Annotated[int, typer.Option("--year", help="年份 year")],
    months: Annotated[str | None, typer.Option("--months", help="月份范围 e.g. 1-6")] = None,
    group_by: Annotated[GroupBy | None, typer.Option("--group-by")] = None,
    category: Annotated[str | None, typer.Option("--category", help="单位类别 01/02/021…")] = None,
    department: Annotated[
        str | None, typer.Option("--department", help="主管部门统一社会信用代码")
    ] = None,
    institution: Annotated[
        str | None, typer.Option("--institution", help="单位统一社会信用代码")
    ] = None,
    factor_set: Annotated[
        str | None, typer.Option("--factor-set", help="折标系数集 factor set")
    ] = None,
    co2_scope: Annotated[
        Co2Scope | None, typer.Option("--co2-scope", help="电力排放因子范围 grid factor scope")
    ] = None,
    area_includes_vehicle_fuel: Annotated[
        bool,
        typer.Option(
            "--area-includes-vehicle-fuel",
            help="单位面积指标计入车辆用油 include vehicle fuel in per-area figures",
        ),
    ] = False,
    inputs: Annotated[
        bool, typer.Option("--inputs", help="列出单位级输入数据 list institution-level inputs")
    ] = False,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """能耗指标 Indicators for a region's subtree (ratios of sums, year-on-year)."""
    from jieneng.cli.render import render_indicators
    from jieneng.services.statistics.indicators import (
        IndicatorQuery,
        compute,
        indicator_inputs,
        parse_months,
    )

    query = IndicatorQuery(
        region_code=region, year=year, months=parse_months(months),
        group_by=group_by.value if group_by else None,
        category=category, department_code=department, institution_code=institution,
        factor_set=factor_set, default_factor_set=state.settings.factor_set,
        co2_scope=co2_scope.value if co2_scope else None,
        area_excludes_vehicle_fuel=not area_includes_vehicle_fuel,
    )
    opened = engine()
    if inputs:
        rows = indicator_inputs(opened, query)
        output.print_json(rows) if fmt is Fmt.json else output.print_csv(rows)
        return
    render_indicators(compute(opened, query), fmt.value)


@handles_errors
def history(
    institution: Annotated[str, typer.Option("--institution", help="统一社会信用代码")],
    year: Annotated[int | None, typer.Option("--year")] = None,
    carrier: Annotated[
        str | None, typer.Option("--carrier", help="能源品种 e.g. electricity")
    ] = None,
    fmt: FormatOpt = Fmt.table,
) -> None:
    """修订历史 Every revision of an institution's figures (newest first)."""
    from jieneng.services.directory.records import institution_history

    rows = institution_history(engine(), institution, year=year, carrier=carrier)
    if fmt is Fmt.json:
        output.print_json(rows)
    elif fmt is Fmt.csv:
        output.print_csv(rows)
    else:
        columns = ["year", "month", "carrier", "revision", "is_current", "quantity",
                   "entered_value", "entered_unit", "cost_yuan", "source", "recorded_at"]
        output.print_table(
            output.label("cli.history", institution=institution), columns,
            [[r[c] for c in columns] for r in rows],
        )


@handles_errors
def factor_sets(fmt: FormatOpt = Fmt.table) -> None:
    """折标与排放系数集 List the factor sets with their coefficients and sources."""
    from jieneng.core.factors.sets import FACTOR_SET_NAMES, factor_set

    described = [factor_set(name).describe() for name in FACTOR_SET_NAMES]
    if fmt is Fmt.json:
        output.print_json(described)
        return
    for item in described:
        output.console.print_json(data=item)
