"""Rendering an indicator result (the dict from services.statistics.indicators.compute)."""

from __future__ import annotations

from typing import Any

from jieneng.cli import output
from jieneng.core.indicator_registry import BY_CODE, HEADLINE

#: (key, Chinese label, unit) of the headline figures, in display order (the registry's).
HEADLINES: tuple[tuple[str, str, str], ...] = tuple(
    (code, BY_CODE[code].name_zh, BY_CODE[code].unit_zh) for code in HEADLINE)

GROUP_COLUMNS: tuple[str, ...] = HEADLINE


def render_indicators(result: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        output.print_json(result)
    elif fmt == "csv":
        output.print_csv(flat_rows(result))
    else:
        _table(result)


def flat_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One CSV row for the total and one per group, headline columns only."""
    total = {"code": result["region"]["code"], "name": result["region"]["name"] + "（合计）"}
    rows = [_flat(total, result)]
    rows.extend(_flat({"code": g["code"], "name": g["name"]}, g) for g in result.get("groups", []))
    return rows


def _flat(head: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    row = dict(head)
    for key in (*GROUP_COLUMNS, "institutions_expected", "institutions_reported"):
        row[key] = item[key]
        if key in item.get("yoy", {}):
            row[f"{key}_yoy"] = item["yoy"][key]
    return row


def _table(result: dict[str, Any]) -> None:
    months = result["months"]
    label = f"【{result['dataset_label']}】" if result.get("dataset_label") else ""
    title = (
        f"{label}{result['region']['name']} ({result['region']['code']}) {result['year']}年 "
        f"{months[0]}–{months[1]}月  应报 {result['institutions_expected']} / "
        f"已报 {result['institutions_reported']}"
    )
    rows = [
        [f"{zh} [{unit}]", result[key], result["previous_year"].get(key),
         output.pct(result["yoy"].get(key))]
        for key, zh, unit in HEADLINES
    ]
    output.print_table(title, [output.label(f"cli.column.{c}")
                               for c in ("indicator", "current", "previous_year", "yoy")], rows)
    carriers = [
        [f"{c['name_zh']} [{c['unit']}]", c["quantity"], c["cost_yuan"], c["energy_tce"],
         c["co2_t"]]
        for c in result["by_carrier"] if c["quantity"]
    ]
    output.print_table(output.label("cli.by_carrier"), [
        output.label(f"cli.column.{c}")
        for c in ("carrier", "quantity", "cost_yuan", "energy_tce", "co2_t")], carriers)
    if result.get("groups"):
        output.print_table(
            output.label("cli.groups"),
            [output.label("cli.column.group"), output.label("cli.column.reported"),
             *[zh for _, zh, _ in HEADLINES]],
            [[f"{g['name']} {g['code']}", f"{g['institutions_expected']}/"
              f"{g['institutions_reported']}", *[g[k] for k in GROUP_COLUMNS]]
             for g in result["groups"]],
        )
    fs = result["factor_set"]
    output.console.print(f"{output.label('cli.factor_set')}: {fs.get('name')} — "
                         f"{fs.get('title_zh', '')}")
    for note in result.get("notes", []):
        output.console.print(f"{output.label('cli.note')}: {note}")
