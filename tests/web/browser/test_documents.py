"""Outputs an office files (issue 11 §2), in a real browser.

A Word document's page size and styles checked: the city's 统计 office downloads
the annual 通报 from the targets page, and the file opened with python-docx is an
A4 公文 of GB/T 9704-2012 (margins, the fonts named in the styles, the 发文字号 and
the 成文日期) without an internal key in it.

Every report page prints on A4: under the print media the navigation, the forms
and the buttons are gone and nothing of the page is wider than the paper's
printable width (A4 landscape for a table of ten or more columns, the 汇总);
``page.pdf(format="A4")`` prints it on pages of that size. The 汇总 and overview pages as
printed are ``docs/screenshots/print-summaries.png`` and ``print-overview.png``.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from docx import Document
from docx.shared import Mm

from tests.reports.docx_checks import internal_keys
from tests.web.browser.conftest import login, shot
from tests.web.browser.harness import needs_web_app

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, needs_web_app]

CITY, YEAR = "450300", 2025
TWIP = 635  # EMU
#: A4 less the print stylesheet's left and right margins at 96 px/in: portrait 210 − 15 − 12
#: mm, landscape (the named page ``wide`` of a table with ten or more columns) 297 − 15 − 15 mm
PRINT_WIDTH_PX = {"auto": round((210 - 27) / 25.4 * 96), "wide": round((297 - 30) / 25.4 * 96)}
#: the PDF page box: A4 portrait 595 × 842 pt, landscape 842 × 595
MEDIA_BOX = {"auto": rb"/MediaBox \[0 0 595\.\d+ 842\.\d+\]",
             "wide": rb"/MediaBox \[0 0 842\.\d+ 595\.\d+\]"}
REPORT_PAGES = (
    f"/overview?region={CITY}&year={YEAR}",
    f"/overview/ranking?region={CITY}&year={YEAR}&category=01",
    f"/summaries?region={CITY}&year={YEAR}",
    f"/reporting/rate?region={CITY}",
    f"/review-report?region={CITY}&year={YEAR}",
    f"/targets?region={CITY}&year={YEAR}",
    f"/targets/assessment?region={CITY}&year={YEAR}",
    "/review",
)
#: what the page shows under print media: elements wider than the paper, and
#: navigation or controls still visible
MEASURE = """(width) => {
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
  };
  const wide = [...document.querySelectorAll('main *')].filter(shown)
    .filter((el) => el.getBoundingClientRect().right > width + 1)
    .map((el) => el.tagName + '.' + el.className);
  const chrome = [...document.querySelectorAll(
    'header.topbar, nav, button, input:not([type=hidden]), select, .pg-filters')].filter(shown)
    .map((el) => el.tagName + '.' + el.className);
  return {wide: wide.slice(0, 10), chrome: chrome.slice(0, 10),
          scroll: document.documentElement.scrollWidth};
}"""


@pytest.fixture(autouse=True)
def patient(page: Page) -> None:
    page.set_default_timeout(30_000)


def test_a_word_documents_page_size_and_styles_checked(
    page: Page, demo_accounts: dict[str, Any], tmp_path: Path
) -> None:
    login(page, "guilin", demo_accounts["guilin"].password)
    page.goto(f"/targets?region={CITY}&year={YEAR}")
    with page.expect_download() as info:
        page.locator("a[href^='/reports/annual.docx']").first.click()
    target = tmp_path / "通报.docx"
    info.value.save_as(target)
    blob = target.read_bytes()
    doc = Document(io.BytesIO(blob))

    sec = doc.sections[0]
    for got, want in ((sec.page_width, Mm(210)), (sec.page_height, Mm(297)),
                      (sec.top_margin, Mm(37)), (sec.bottom_margin, Mm(35)),
                      (sec.left_margin, Mm(28)), (sec.right_margin, Mm(26))):
        assert abs(got - want) <= TWIP, (got, want)
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    for style, east_asian in (("Normal", "仿宋_GB2312"), ("Title", "方正小标宋简体"),
                              ("Heading 1", "黑体")):
        fonts = doc.styles[style].element.rPr.find(f"{w}rFonts")
        assert fonts.get(f"{w}eastAsia") == east_asian, style
        assert fonts.get(f"{w}ascii") == "Times New Roman", style

    issuer, number, title = (p.text for p in doc.paragraphs[:3])
    assert issuer == "桂林市机关事务管理局"
    assert re.fullmatch(r"市机管〔20\d\d〕[\u3000\d]+号", number), number
    assert title == f"桂林市{YEAR}年度公共机构能源资源消费情况通报"
    assert re.fullmatch(r"20\d\d年[1-9]\d?月[1-9]\d?日", doc.paragraphs[-1].text)
    footer = sec.footer.paragraphs[0]
    assert footer.text == "— 1 —" and "PAGE" in footer._p.xml
    assert internal_keys(blob) == []


def test_every_report_page_prints_on_a4(page: Page, demo_accounts: dict[str, Any]) -> None:
    login(page, "guilin", demo_accounts["guilin"].password)
    for path in REPORT_PAGES:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")
        page.emulate_media(media="print")
        orientation = page.evaluate("getComputedStyle(document.querySelector('main')).page")
        width = PRINT_WIDTH_PX[orientation]
        page.set_viewport_size({"width": width, "height": 1000})
        page.wait_for_timeout(200)
        seen = page.evaluate(MEASURE, width)
        assert seen["wide"] == [] and seen["scroll"] <= width, (path, seen)
        assert seen["chrome"] == [], (path, seen)
        if path.startswith("/summaries"):  # the 汇总 by category: 14 columns, across
            assert orientation == "wide"
        if path.startswith(("/summaries", "/overview?")):  # the overview whole, the 汇总's top
            shot(page, "print-" + path[1:].split("?")[0], full_page=path.startswith("/overview"))
        pdf = page.pdf(format="A4", print_background=True)
        assert pdf.startswith(b"%PDF") and re.search(MEDIA_BOX[orientation], pdf), path
        page.emulate_media(media="screen")
        page.set_viewport_size({"width": 1366, "height": 768})
