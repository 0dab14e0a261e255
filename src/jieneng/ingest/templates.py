"""Blank import templates (.xlsx): header row, example rows and a bilingual 说明 sheet.

The example rows are valid for the matching parser (given the example
institutions and regions in the look-ups), which the tests check by
round-tripping every template.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

from jieneng.core.carriers import CARRIERS
from jieneng.core.categories import CATEGORIES
from jieneng.core.codes import make_credit_code
from jieneng.core.units import accepted_units

TEMPLATE_KINDS = ("regions", "institutions", "profiles", "consumption", "consumption-long")
#: the utility files (jieneng.ingest.utility_files): daily quantity and bills per 户号
UTILITY_TEMPLATE_KINDS = ("daily-kwh", "bills")

#: Example institutions used in the templates (valid credit codes, 桂林 regions).
EXAMPLE_ORGAN = make_credit_code("11", "450302", 1001)
EXAMPLE_SCHOOL = make_credit_code("12", "450321", 2001)
EXAMPLE_REGIONS = ("450000", "450300", "450302", "450321")


@dataclass(frozen=True, slots=True)
class Note:
    column: str
    meaning_zh: str
    meaning_en: str
    unit: str = ""
    accepted: str = ""


def _carrier_notes() -> list[Note]:
    notes = []
    for c in CARRIERS:
        units = "、".join(accepted_units(c))
        meaning = f"{c.name_zh}消费量（表NY201第{c.form_field}项）"
        notes.append(Note(f"{c.name_zh}({c.unit_zh})", meaning, f"{c.name_en} consumed",
                          c.unit_zh, f"可写单位 units: {units}"))
    notes.append(Note("<品种>费用(元) / 电费(元)", "该品种的费用", "cost of that carrier", "元",
                      "元、万元"))
    return notes


_CREDIT = Note("统一社会信用代码", "18位统一社会信用代码（GB 32100-2015，含校验码）",
               "18-character unified social credit code (GB 32100-2015, with check character)",
               "", "字母大写 upper case")
_WHOLE = "整数 whole number"
_YEAR = Note("年", "统计年度", "reporting year", "", "2000–2100")
_MONTH = Note("月", "统计月份", "reporting month", "", "1–12")

#: a carrier generated, not bought: no cost column
_GENERATION = "太阳能光电发电量"


def _cost_header(name: str) -> str:
    """电费(元), 水费(元); <品种>费用(元) for the others."""
    return f"{name}费(元)" if name in ("电", "水") else f"{name}费用(元)"


#: the wide consumption layout: every carrier of table NY201 (quantity and cost)
_WIDE_HEADERS: list[str] = [
    "统一社会信用代码", "单位名称", "年", "月",
    *(h for c in CARRIERS for h in (f"{c.name_zh}({c.unit_zh})", _cost_header(c.name_zh))
      if h != _cost_header(_GENERATION)),
    "备注",
]


def _wide_row(code: str, name: str, month: int, figures: dict[str, tuple[object, object]],
              remark: str = "") -> list[object]:
    """An example row of the wide layout: ``figures`` by carrier name (quantity, cost)."""
    cells: list[object] = [code, name, 2025, month]
    for c in CARRIERS:
        quantity, cost = figures.get(c.name_zh, ("", ""))
        cells.extend((quantity,) if c.name_zh == _GENERATION else (quantity, cost))
    return [*cells, remark]


_SPECS: dict[str, tuple[list[str], list[list[object]], list[Note]]] = {
    "regions": (
        ["行政区划代码", "名称", "上级代码"],
        [["450000", "广西壮族自治区", ""], ["450300", "桂林市", "450000"],
         ["450302", "秀峰区", "450300"]],
        [Note("行政区划代码", "6位行政区划代码（GB/T 2260）", "six-digit region code (GB/T 2260)",
              "", "XX0000 省 province, XXXX00 市 city, 其他 county"),
         Note("名称", "区划名称", "region name"),
         Note("上级代码", "上级区划代码；省级留空", "parent region code; blank for a province",
              "", "本文件或系统中已有的区划 in this file or already stored")],
    ),
    "institutions": (
        ["统一社会信用代码", "单位名称", "行政区划代码", "单位类别", "主管部门统一社会信用代码",
         "重点用能单位", "状态"],
        [[EXAMPLE_ORGAN, "秀峰区示例机关事务服务中心", "450302", "01", "", "否", "在用"],
         [EXAMPLE_SCHOOL, "阳朔县示例第一中学", "450321", "021 教育", EXAMPLE_ORGAN, "是", "在用"]],
        [_CREDIT,
         Note("单位名称", "单位全称", "full name of the institution"),
         Note("行政区划代码", "所在县级或以上区划代码", "region code of the institution", "",
              "须为系统中已有的区划 must be a known region"),
         Note("单位类别", "机构类型代码或名称", "institution category code or name", "",
              "、".join(f"{c.code} {c.name_zh}" for c in CATEGORIES)),
         Note("主管部门统一社会信用代码", "主管部门的统一社会信用代码（可空）",
              "credit code of the competent department (optional)"),
         Note("重点用能单位", "是否重点用能单位（可空，默认否）",
              "key energy-using unit (optional, default no)", "", "是/否、Y/N、1/0"),
         Note("状态", "单位状态（可空，默认在用）", "status (optional, default active)", "",
              "在用/正常 → active；撤销/关闭 → closed")],
    ),
    "profiles": (
        ["统一社会信用代码", "年", "用能人数", "编制人数", "建筑面积(平方米)", "采暖面积(平方米)",
         "汽油车(辆)", "柴油车(辆)", "新能源汽车(辆)"],
        [[EXAMPLE_ORGAN, 2025, 50, 40, 2000, 0, 2, 0, 1],
         [EXAMPLE_SCHOOL, 2025, 1000, 80, 10000.5, 0, 0, 0, 0]],
        [_CREDIT, _YEAR,
         Note("用能人数", "用能人数（年均）", "occupants (yearly average)", "人", _WHOLE),
         Note("编制人数", "编制人数", "staff quota", "人", "整数 whole number"),
         Note("建筑面积(平方米)", "建筑面积", "floor area", "平方米", "平方米、m²、㎡、万平方米"),
         Note("采暖面积(平方米)", "采暖面积", "heated area", "平方米", "平方米、m²、㎡、万平方米"),
         Note("汽油车(辆)", "汽油车数量", "gasoline vehicles", "辆", "整数 whole number"),
         Note("柴油车(辆)", "柴油车数量", "diesel vehicles", "辆", "整数 whole number"),
         Note("新能源汽车(辆)", "新能源汽车数量", "new-energy vehicles", "辆", _WHOLE)],
    ),
    "consumption": (
        _WIDE_HEADERS,
        [_wide_row(EXAMPLE_ORGAN, "秀峰区示例机关事务服务中心", 1,
                   {"电": (10000, 7000), "水": (300, 900), "天然气": (100, 350),
                    "汽油-车辆用油": (200, 1500)}),
         _wide_row(EXAMPLE_SCHOOL, "阳朔县示例第一中学", 1,
                   {"电": (20000, 14000), "水": (1000, 3000), "柴油-车辆用油": (150, 1100),
                    "液化石油气": (45, 400), "热力": (50, "")},
                   "未用天然气：空白即无记录")],
        [_CREDIT, Note("单位名称", "单位名称（仅供核对，可空）", "name (for checking only)"),
         _YEAR, _MONTH, *_carrier_notes(),
         Note("备注", "备注（不导入）", "remarks (not imported)"),
         Note("（空白单元格）", "空白表示未填报，不等于0；0须填写0",
              "a blank cell means not reported, not zero; type 0 for zero")],
    ),
    "consumption-long": (
        ["统一社会信用代码", "年", "月", "能源品种", "数量", "单位", "费用(元)"],
        [[EXAMPLE_ORGAN, 2025, 1, "电", 10000, "千瓦时", 7000],
         [EXAMPLE_ORGAN, 2025, 1, "天然气", 0.01, "万立方米", 350],
         [EXAMPLE_SCHOOL, 2025, 1, "汽油-车辆用油", 200, "升", 1500]],
        [_CREDIT, _YEAR, _MONTH,
         Note("能源品种", "能源资源品种名称", "carrier name", "",
              "、".join(c.name_zh for c in CARRIERS)),
         Note("数量", "消费量", "quantity consumed", "见“单位”列 see 单位"),
         Note("单位", "数量的计量单位", "unit of the quantity", "",
              "千瓦时、万千瓦时、立方米、万立方米、吨、千克、升、吉焦、吨标准煤 …"),
         Note("费用(元)", "费用（可空）", "cost (optional)", "元", "元、万元")],
    ),
    "daily-kwh": (
        ["户号", "日期", "电量(千瓦时)", "尖", "峰", "平", "谷"],
        [["0301234567", "2026-11-01", 812.5, 40.5, 300, 272, 200],
         ["0301234567", "2026-11-02", 790.25, 40.25, 290, 260, 200]],
        [Note("户号", "供电（供水、供气）公司的户号，须已绑定到单位",
              "utility account number, bound to an institution"),
         Note("日期", "用电日期", "day of use", "", "YYYY-MM-DD、YYYY/M/D、YYYYMMDD；不晚于今天"),
         Note("电量(千瓦时)", "当日总电量（水、气为用量）", "the day's total (water, gas: volume)",
              "千瓦时", "千瓦时、kWh、万千瓦时；立方米、吨"),
         Note("尖", "尖峰时段电量（可空）", "tip-period kWh (optional)", "千瓦时"),
         Note("峰", "高峰时段电量（可空）", "peak-period kWh (optional)", "千瓦时"),
         Note("平", "平段电量（可空）", "flat-period kWh (optional)", "千瓦时"),
         Note("谷", "低谷时段电量（可空）；尖+峰+平+谷须等于总电量",
              "valley-period kWh (optional); tip+peak+flat+valley must equal the total",
              "千瓦时", "误差 tolerance 0.05 + 0.1%"),
         Note("能源品种（可选列）", "电、水、天然气；无此列时为电",
              "electricity, water, natural gas; electricity without this column")],
    ),
    "bills": (
        ["户号", "账期起", "账期止", "电量(千瓦时)", "电费(元)", "抄表日", "账单号"],
        [["0301234567", "2026-09-21", "2026-10-20", 24500, 17150.6, "2026-10-21", "B202610-01"],
         ["0301234567", "2026-10-21", "2026-11-20", 23800, 16660.0, "2026-11-21", ""]],
        [Note("户号", "供电（供水、供气）公司的户号，须已绑定到单位",
              "utility account number, bound to an institution"),
         Note("账期起", "账期第一天（含）", "first day of the billing period (inclusive)", "",
              "YYYY-MM-DD"),
         Note("账期止", "账期最后一天（含）；同一户号的账期不得重叠",
              "last day of the period (inclusive); an account's periods must not overlap",
              "", "不早于账期起，不晚于今天"),
         Note("电量(千瓦时)", "账期内的结算电量（水、气为用量）", "billed quantity of the period",
              "千瓦时", "千瓦时、kWh、万千瓦时；立方米、吨"),
         Note("电费(元)", "账期电费（可空）", "billed amount (optional)", "元", "元、万元"),
         Note("抄表日", "抄表日期（可空）", "meter reading date (optional)"),
         Note("账单号", "账单编号（可空）", "bill number (optional)"),
         Note("（再次导入）", "同一户号、同一账期起再次导入即为修订，旧值保留",
              "the same account and period start imported again is a revision; the old one "
              "is kept")],
    ),
}



#: forms NY202 / NY203 (jieneng.ingest.forms_ny): data-centre rooms and heating
FORM_TEMPLATE_KINDS = ("datacentre", "heating")


def _form_spec(kind: str) -> tuple[list[str], list[list[object]], list[Note]]:
    """The template of a NY202 / NY203 file: every current field of the form."""
    from jieneng.core.forms_ny import current

    form = {"datacentre": "NY202", "heating": "NY203"}[kind]
    fields = current(form)
    room = ["机房编号", "机房名称", "机房状态"] if form == "NY202" else []
    example: dict[str, float] = (
        {"area": 120, "cabinets": 20, "cabinets_reserved": 2, "power_total": 200,
         "power_it": 120, "power_cooling": 60, "power_distribution": 20,
         "elec_total": 150000, "elec_it": 100000, "elec_cooling": 40000,
         "elec_distribution": 10000} if form == "NY202" else
        {"heated_area": 2000, "area_independent": 500, "area_central_by_area": 1500,
         "area_central_by_heat": 0, "heating_days": 120, "natural_gas": 30000,
         "natural_gas_cost": 105000, "central_fee_by_area": 45000})
    rooms = [["R01", "主机房", "既有"]] if form == "NY202" else [[]]
    rows: list[list[object]] = [
        [EXAMPLE_ORGAN, 2025, 0, *rooms[0], *(example.get(f.key, "") for f in fields)]]
    notes = [_CREDIT, _YEAR, Note("月", "统计月份；年报填 0", "month; 0 for the annual report",
                                  "", "0–12")]
    if room:
        notes += [Note("机房编号", "机房在本单位内的编号", "room code within the unit"),
                  Note("机房名称", "机房名称", "room name"),
                  Note("机房状态", "新建 或 既有（报表无此项，平台约定；空白为既有）",
                       "new or existing (not on the form: the platform's convention; "
                       "blank = existing)", "", "新建、既有")]
    notes += [Note(f.header, f"{f.name_zh}（表{form}第{f.code}项）", f.name_en, f.unit)
              for f in fields]
    return ["统一社会信用代码", "年", "月", *room, *(f.header for f in fields)], rows, notes


_SPECS.update({kind: _form_spec(kind) for kind in FORM_TEMPLATE_KINDS})

#: the kinds whose example rows name existing units (the downloader's own, when given)
_OWN_EXAMPLES = ("profiles", "consumption", "consumption-long")
_EXAMPLE_NAMES = {EXAMPLE_ORGAN: "秀峰区示例机关事务服务中心", EXAMPLE_SCHOOL: "阳朔县示例第一中学"}


def _own_rows(rows: list[list[object]], units: Sequence[tuple[str, str]]) -> list[list[object]]:
    """The example rows with the fictional units replaced by ``units`` ((credit code,
    name), one or two; with one, every example row is that unit's)."""
    if not units:
        return rows
    swap: dict[object, object] = {}
    for i, example in enumerate((EXAMPLE_ORGAN, EXAMPLE_SCHOOL)):
        code, name = units[min(i, len(units) - 1)]
        swap[example], swap[_EXAMPLE_NAMES[example]] = code, name
    return [[swap.get(cell, cell) if isinstance(cell, str) else cell for cell in row]
            for row in rows]


def write_template(kind: str, path: Path, *, units: Sequence[tuple[str, str]] = ()) -> Path:
    """Write the import template of ``kind`` (one of :data:`TEMPLATE_KINDS`) to ``path``;
    ``units``: (credit code, name) of up to two units of the downloader's own scope,
    named in the example rows of the consumption and profile templates instead of the
    fictional example units (a 统计员 then fills in rows already naming its unit)."""
    if kind not in _SPECS:
        known = ", ".join((*TEMPLATE_KINDS, *UTILITY_TEMPLATE_KINDS))
        raise ValueError(f"unknown template kind {kind!r}; known: {known}")
    headers, rows, notes = _SPECS[kind]
    if kind in _OWN_EXAMPLES:
        rows = _own_rows(rows, units[:2])
        if len(units) == 1 and kind == "profiles":  # one row per unit and year
            rows = rows[:1]
        elif len(units) == 1 and kind == "consumption":  # one row per unit and month
            rows = [rows[0], [*rows[1][:3], 2, *rows[1][4:]]]
    workbook = xlsxwriter.Workbook(str(path))
    try:
        bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        text = workbook.add_format({"num_format": "@"})
        sheet = workbook.add_worksheet("数据")
        sheet.write_row(0, 0, headers, bold)
        code_cols = {i for i, h in enumerate(headers) if "代码" in h}
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                if value == "":
                    continue
                if c in code_cols or isinstance(value, str):
                    sheet.write_string(r, c, str(value), text if c in code_cols else None)
                else:
                    sheet.write_number(r, c, float(value))  # type: ignore[arg-type]
        for c in code_cols:
            sheet.set_column(c, c, 22, text)
        sheet.freeze_panes(1, 0)
        info = workbook.add_worksheet("说明")
        info.write_row(0, 0, ["列 column", "含义", "meaning", "单位 unit",
                              "可用单位或取值 accepted"], bold)
        for r, note in enumerate(notes, start=1):
            info.write_row(r, 0, [note.column, note.meaning_zh, note.meaning_en, note.unit,
                                  note.accepted])
        info.set_column(0, 0, 28)
        info.set_column(1, 2, 40)
        info.set_column(4, 4, 50)
    finally:
        workbook.close()
    return path
