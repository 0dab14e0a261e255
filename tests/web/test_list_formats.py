"""A figure reads the same on a list page and in its export (issue 11 §2: "a figure is
the same in the page, the API, the export and the report").

Each list page draws its table from the columns of its export
(:mod:`jieneng.core.listing`, ``pages/_columns.html``): for each exported list the
text of every page cell (``data-col``) is compared with the export's cell of the same
row and column as a spreadsheet shows it — the value written, read through its Excel
number format (thousands separator, fixed decimals, percent, signed change) by the
formatter below, which knows nothing of the platform's code.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from html.parser import HTMLParser
from typing import Any

import openpyxl
import pytest

from jieneng.core.listing import Column
from tests.web.conftest import World


class _Cells(HTMLParser):
    """The rows of the first table with ``data-col`` cells: {column key: text}. A cell's
    text is its own text and its links' (a tag or a second line inside it is not)."""

    def __init__(self, table: str | None = None) -> None:
        super().__init__()
        self.table = table
        self._inside = table is None
        self.rows: list[dict[str, str]] = []
        self.headers: dict[str, str] = {}
        self._key: str | None = None
        self._th = False
        self._depth = 0
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs).get("data-col")
        if tag == "table" and self.table is not None:
            self._inside = dict(attrs).get("id") == self.table
        if not self._inside:
            return
        if tag in ("td", "th") and found:
            self._key, self._th, self._depth, self._text = found, tag == "th", 0, []
            if tag == "td" and (not self.rows or found in self.rows[-1]):
                self.rows.append({})
        elif self._key is not None and tag != "a":
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self._key is None:
            return
        if tag in ("td", "th") and self._depth == 0:
            text = " ".join("".join(self._text).split())
            if self._th:
                self.headers[self._key] = text
            else:
                self.rows[-1][self._key] = text
            self._key = None
        elif tag != "a" and self._depth > 0:
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._key is not None and self._depth == 0:
            self._text.append(data)


def page_cells(html: str, table: str | None = None
               ) -> tuple[dict[str, str], list[dict[str, str]]]:
    parser = _Cells(table)
    parser.feed(html)
    return parser.headers, parser.rows


def excel_text(value: Any, fmt: str) -> str:
    """What a spreadsheet shows for ``value`` in number format ``fmt`` (the formats the
    exports use; an empty cell shown as the pages' "—")."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str) or fmt in ("@", "General"):
        return str(value)
    sections = fmt.split(";")
    section = sections[0]
    if len(sections) == 3:
        section = sections[0] if value > 0 else sections[1] if value < 0 else sections[2]
    percent = section.endswith("%")
    number = Decimal(repr(float(value))) * (100 if percent else 1)
    places = len(section.split(".")[1].rstrip("%")) if "." in section else 0
    # GB/T 8170 (half to even), the platform's rounding rule; a spreadsheet program
    # rounds an exact tie (2.5 → 3) away from zero: there alone the two could differ
    rounded = number.quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN)
    body = f"{abs(rounded):,.{places}f}" if "," in section else f"{abs(rounded):.{places}f}"
    sign = "-" if rounded < 0 and len(sections) != 3 else ""
    prefix = section[0] if section[0] in "+-" else ""
    return f"{prefix}{sign}{body}{'%' if percent else ''}"


def export_rows(content: bytes, columns: Sequence[Column], lang: str = "zh-CN",
                sheet: int = 0) -> list[dict[str, str]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    ws = book.worksheets[sheet]
    headers = [c.header(lang) for c in columns]
    rows = list(ws.iter_rows())
    start = next(i for i, r in enumerate(rows)
                 if [c.value for c in r[:len(headers)]] == headers) + 1
    out = []
    for r in rows[start:]:
        if all(c.value is None for c in r):
            break
        out.append({col.key: excel_text(cell.value, cell.number_format)
                    for col, cell in zip(columns, r, strict=False)})
    return out


def _same(world: World, page_url: str, export_url: str, columns: Sequence[Column],
          role: str = "admin", lang: str = "zh-CN", sheet: int = 0, least: int = 1,
          table: str | None = None) -> int:
    client = world.login(role)
    client.cookies.set("lang", "en" if lang == "en" else "zh-CN")
    page = client.get(page_url)
    assert page.status_code == 200, page.text
    headers, shown = page_cells(page.text, table)
    assert len(shown) >= least, page_url
    got = client.get(export_url)
    assert got.status_code == 200, got.text
    exported = export_rows(got.content, columns, lang, sheet)
    by_key = {c.key: c for c in columns}
    for key, header in headers.items():  # the page's header is the export's
        assert header == by_key[key].header(lang), (page_url, key)
    for i, row in enumerate(shown):
        for key, text in row.items():
            assert text == exported[i][key], (page_url, i, key, text, exported[i][key])
    return len(shown)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_directory_page_shows_what_its_export_holds(world: World, lang: str) -> None:
    from jieneng.web.directory import COLUMNS

    _same(world, "/institutions", "/institutions.xlsx", COLUMNS, lang=lang, least=3)


def test_the_formatter_reads_the_exports_formats() -> None:
    assert excel_text(1234.5, "#,##0.00") == "1,234.50"
    assert excel_text(0.4283, "0.0%") == "42.8%"
    assert excel_text(0.052, "+0.0%;-0.0%;0.0%") == "+5.2%"
    assert excel_text(-0.024, "+0.0%;-0.0%;0.0%") == "-2.4%"
    assert excel_text(0.0, "+0.0%;-0.0%;0.0%") == "0.0%"
    assert excel_text(None, "#,##0") == "—"
    assert re.fullmatch(r"\d{1,3}(,\d{3})*", excel_text(1234567, "#,##0"))


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_findings_page_shows_what_its_export_holds(world: World, lang: str) -> None:
    from jieneng.web.quality import COLUMNS
    from tests.web.conftest import ORGAN, SCHOOL
    from tests.web.test_quality import _finding

    _finding(world, SCHOOL)
    _finding(world, ORGAN, severity="notice")
    _same(world, "/quality?year=2025", "/quality.xlsx?year=2025", COLUMNS, lang=lang, least=2)


def _reporting(world: World) -> None:
    """A month's reporting opened in 阳朔 and the school's task submitted."""
    from tests.web.conftest import SCHOOL, csrf
    from tests.web.test_reporting import _task

    office = world.login("region")
    opened = office.post("/reporting/periods", data={
        "region": "450321", "period": "2025-01", "csrf_token": csrf(office)})
    assert opened.status_code == 200, opened.text
    clerk = world.login("institution")
    task = _task(world, SCHOOL)
    submit = clerk.post(f"/api/v1/reporting/tasks/{task['id']}/actions",
                        json={"action": "submit", "version": task["version"]},
                        headers={"X-CSRF-Token": csrf(clerk)})
    assert submit.status_code == 200, submit.text


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_review_queue_shows_what_its_export_holds(world: World, lang: str) -> None:
    from jieneng.web.reporting.review import COLUMNS

    _reporting(world)
    assert _same(world, "/review", "/review.xlsx", COLUMNS, role="region", lang=lang) >= 1


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_ranking_shows_what_its_export_holds(world: World, lang: str) -> None:
    from jieneng.web.overview import ranking_columns

    query = "year=2025&category=02&indicator=energy_per_capita_kgce"
    _same(world, f"/overview/ranking?{query}", f"/overview/ranking.xlsx?{query}",
          ranking_columns("energy_per_capita_kgce"), lang=lang, least=3)


def test_the_reporting_rate_shows_what_its_export_holds(world: World) -> None:
    from jieneng.core.listing import Column
    from jieneng.web.summaries import NOT_REPORTED_COLUMNS, RATE_COLUMNS

    by_region = (Column("name", "pages.summaries.row"),
                 Column("region_code", "export.col.region_code", "code"), *RATE_COLUMNS)
    _reporting(world)
    _same(world, "/reporting/rate", "/reporting/rate.xlsx", by_region, role="region",
          table="rate-region")
    _same(world, "/reporting/rate", "/reporting/rate.xlsx", NOT_REPORTED_COLUMNS,
          role="region", sheet=3, table="not-reported")


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_summary_page_shows_what_its_export_holds(world: World, lang: str) -> None:
    """The 汇总 in the form's layout: a row per unit and measure, a column per category."""
    from tests.web.test_summaries import _tasks

    _tasks(world)
    client = world.login("admin")
    client.cookies.set("lang", lang)
    query = "region=450300&year=2025&kind=region"
    _headers, shown = page_cells(client.get(f"/summaries?{query}").text)
    ws = openpyxl.load_workbook(io.BytesIO(client.get(f"/summaries.xlsx?{query}").content)
                                ).active
    rows = list(ws.iter_rows())
    start = next(i for i, r in enumerate(rows) if r[0].value == "甲") + 1
    keys = list(shown[0])
    assert len(shown) >= 4
    for i, row in enumerate(shown):
        cells = rows[start + i][4:4 + len(keys)]
        assert row == {k: excel_text(c.value, c.number_format) for k, c in zip(keys, cells,
                                                                                strict=True)}
        unit = rows[start + i][3].value  # the unit column beside the figures: the same
        assert unit is not None
