"""The Word documents are 公文 of GB/T 9704-2012 (issue 11 §2): the page, the
grid, the fonts named in the styles with their fallbacks, the 版头, the 落款 and
the page numbers, checked in the .docx as Word reads it; the charts' labels do not
overlap."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from docx import Document
from docx.shared import Mm, Pt
from lxml import etree

from jieneng.reports import charts
from jieneng.reports.documents import WordDoc, text_width
from jieneng.reports.gongwen import (
    chinese_ordinal,
    issue_number,
    layout,
    letterhead,
    written_date,
)
from tests.reports.docx_checks import W, internal_keys, run_texts

TWIP = 635  # EMU: Word stores page sizes in twentieths of a point


def _sample() -> bytes:
    head = letterhead("450300", "桂林市", issued=date(2026, 1, 5), sequence=7)
    doc = WordDoc(head)
    doc.heading("桂林市2025年度公共机构能源资源消费情况通报", 0)
    doc.heading("一、总体情况", 1)
    doc.heading("（一）分地区", 2)
    doc.para("正文。" * 40)
    doc.table(["地区", "能源消费总量（tce）"], [["阳朔县", "1,234.50"]])
    doc.picture(charts.bar_chart(["甲", "乙"], [1.0, 2.0], title="图", unit="tce"))
    return doc.to_bytes()


def test_the_layout_follows_the_standard() -> None:
    lay = layout()
    assert lay.page_mm == (210, 297)                        # 5.1
    assert (lay.top_mm, lay.left_mm) == (37, 28)            # 5.2.1
    assert lay.type_area_mm == (156, 225)
    assert (lay.bottom_mm, lay.right_mm) == (35, 26)        # derived, never typed
    assert (lay.lines, lay.chars) == (22, 28)               # 5.2.3
    assert lay.chars * lay.char_pitch_pt == pytest.approx(156 / 25.4 * 72)
    assert lay.element("body").size_pt == 16                # 3号
    assert lay.element("title").size_pt == 22               # 2号
    assert lay.element("page_number").size_pt == 14         # 4号
    assert all(e.source for e in lay.elements.values())     # every number says its clause


def test_page_size_and_margins_in_emu() -> None:
    sec = Document(io.BytesIO(_sample())).sections[0]
    for got, want in ((sec.page_width, Mm(210)), (sec.page_height, Mm(297)),
                      (sec.top_margin, Mm(37)), (sec.bottom_margin, Mm(35)),
                      (sec.left_margin, Mm(28)), (sec.right_margin, Mm(26))):
        assert abs(got - want) <= TWIP, (got, want)
    grid = sec._sectPr.find(f"{W}docGrid")
    assert grid.get(f"{W}type") == "lines"
    assert int(grid.get(f"{W}linePitch")) == 579                # 225 mm / 22 lines
    # 28 characters of 3号 with the body's character spacing fill the 156 mm line, 29 do not
    doc = Document(io.BytesIO(_sample()))
    spacing = doc.styles["Normal"].element.rPr.find(f"{W}spacing")
    pitch = 16 + int(spacing.get(f"{W}val")) / 20
    line = 156 / 25.4 * 72
    assert 28 * pitch <= line < 29 * pitch
    body_line = doc.styles["Normal"].paragraph_format.line_spacing   # exactly one grid line
    assert abs(body_line - Pt(225 / 25.4 * 72 / 22)) <= TWIP


@pytest.mark.parametrize(("style", "east_asian", "size"), [
    ("Normal", "仿宋_GB2312", 16), ("Title", "方正小标宋简体", 22),
    ("Heading 1", "黑体", 16), ("Heading 2", "楷体_GB2312", 16)])
def test_styles_name_the_conventional_fonts(style: str, east_asian: str, size: int) -> None:
    doc = Document(io.BytesIO(_sample()))
    found = doc.styles[style]
    fonts = found.element.rPr.find(f"{W}rFonts")
    assert fonts.get(f"{W}eastAsia") == east_asian
    assert fonts.get(f"{W}ascii") == fonts.get(f"{W}hAnsi") == "Times New Roman"
    assert fonts.get(f"{W}asciiTheme") is None and fonts.get(f"{W}eastAsiaTheme") is None
    assert found.font.size == Pt(size)
    assert found.font.color.rgb is not None and str(found.font.color.rgb) == "000000"


def test_the_font_table_falls_back_to_the_fonts_installed_here() -> None:
    with zipfile.ZipFile(io.BytesIO(_sample())) as z:
        table = etree.fromstring(z.read("word/fontTable.xml"))
    alt = {f.get(f"{W}name"): f.find(f"{W}altName").get(f"{W}val")
           for f in table.iter(f"{W}font") if f.find(f"{W}altName") is not None}
    assert alt["仿宋_GB2312"] == alt["方正小标宋简体"] == alt["楷体_GB2312"] == "Noto Serif CJK SC"
    assert alt["黑体"] == "Noto Sans CJK SC"


def test_letterhead_number_date_and_signature() -> None:
    doc = Document(io.BytesIO(_sample()))
    paragraphs = doc.paragraphs
    issuer, number = paragraphs[0], paragraphs[1]
    assert issuer.text == "桂林市机关事务管理局"
    assert str(issuer.style.font.color.rgb) == layout().red
    assert abs(issuer.paragraph_format.space_before - Mm(35)) <= TWIP        # 7.2.4
    assert number.text == "市机管〔2026〕7号"
    rule = number._p.pPr.find(f"{W}pBdr").find(f"{W}bottom")
    assert rule.get(f"{W}color") == layout().red
    tags = [c.tag.removeprefix(W) for c in number._p.pPr]           # the schema's order
    assert tags.index("pStyle") < tags.index("pBdr") < tags.index("spacing")
    assert paragraphs[2].style.name == "Title"
    assert [p.text for p in paragraphs[-2:]] == ["桂林市机关事务管理局", "2026年1月5日"]
    # the 落款 never stands alone on a page: the last paragraph before it keeps with it
    assert all(p.paragraph_format.keep_with_next for p in paragraphs[-4:-1])
    sig, day = (p.paragraph_format.right_indent for p in paragraphs[-2:])
    pitch = layout().char_pitch_pt
    assert abs(sig - Pt(2 * pitch)) <= TWIP                            # 右空二字
    # the date's first character two to the right of the signature's
    assert (day / Pt(pitch) + text_width("2026年1月5日")) == pytest.approx(
        sig / Pt(pitch) + text_width("桂林市机关事务管理局") - 2, abs=0.01)


def test_page_numbers_at_the_outside_edges() -> None:
    doc = Document(io.BytesIO(_sample()))
    assert doc.settings.odd_and_even_pages_header_footer
    sec = doc.sections[0]
    for footer, side in ((sec.footer, "right"), (sec.even_page_footer, "left")):
        p = footer.paragraphs[0]
        assert p.alignment is not None and p.alignment.name == side.upper()
        assert p.text == "— 1 —"
        xml = p._p.xml
        assert "PAGE" in xml and 'w:fldCharType="begin"' in xml
        assert p.style.font.size == Pt(14)
        assert p.style.element.rPr.find(f"{W}rFonts").get(f"{W}eastAsia") == "宋体"


def test_formats_of_the_number_and_the_date() -> None:
    assert issue_number("市机管", 2026, 12) == "市机管〔2026〕12号"
    assert issue_number("市机管", 2026, None) == "市机管〔2026〕\u3000\u3000号"
    assert written_date(date(2026, 3, 1)) == "2026年3月1日"       # no leading zeros
    assert [chinese_ordinal(n) for n in (1, 9, 10, 12, 20, 35)] == [
        "一", "九", "十", "十二", "二十", "三十五"]
    head = letterhead("451100", "贺州市", issued=date(2026, 12, 3))  # no entry: the default
    assert head.issuer == "贺州市机关事务管理局"
    assert head.number == "贺州市机管〔2026〕\u3000\u3000号"


def test_a_document_without_internal_keys_passes_and_one_with_them_fails() -> None:
    assert internal_keys(_sample()) == []
    doc = WordDoc()
    doc.para("因子集：pi-published；energy_tce；error；tongbao.h_overall")
    found = internal_keys(doc.to_bytes())
    assert {"pi-published", "energy_tce", "error", "tongbao.h_overall"} <= set(found)
    assert "— 1 —" in run_texts(doc.to_bytes())


COUNTIES = ["秀峰区", "叠彩区", "象山区", "七星区", "雁山区", "临桂区", "阳朔县", "灵川县",
            "全州县", "兴安县", "永福县", "灌阳县", "龙胜各族自治县", "资源县", "平乐县",
            "荔浦市", "恭城瑶族自治县"]


def _overlaps(fig: object) -> list[tuple[str, str]]:
    fig.canvas.draw()  # type: ignore[attr-defined]
    ax = fig.axes[0]  # type: ignore[attr-defined]
    labels = [t for t in ax.get_yticklabels() if t.get_text()]
    boxes = [(t.get_text(), t.get_window_extent()) for t in labels]
    return [(a, b) for i, (a, box_a) in enumerate(boxes) for b, box_b in boxes[i + 1:]
            if box_a.overlaps(box_b)]


def test_chart_labels_of_long_region_names_do_not_overlap() -> None:
    import matplotlib.pyplot as plt

    fig = charts.bar_figure(COUNTIES, [float(i * 100) for i in range(17)], title="各地区",
                            unit="tce")
    try:
        assert _overlaps(fig) == []
        names = [t.get_text() for t in fig.axes[0].get_yticklabels()]
        assert names[0] == "恭城瑶族自治县"                          # largest on top
    finally:
        plt.close(fig)


def test_a_chart_of_many_units_shows_at_most_twenty_bars() -> None:
    import matplotlib.pyplot as plt

    fig = charts.bar_figure([f"单位{i}" for i in range(60)], [float(i) for i in range(60)],
                            title="t", unit="tce", other="其他{count}个")
    try:
        names = [t.get_text() for t in fig.axes[0].get_yticklabels()]
        assert len(names) == charts.MAX_BARS and names[-1] == "其他41个"
        assert _overlaps(fig) == []
    finally:
        plt.close(fig)


def test_charts_use_a_cjk_font_that_is_installed() -> None:
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    assert any(name in installed for name in charts.CHART_FONTS[:2])


def test_fontconfig_aliases_resolve_every_named_font_here(tmp_path: object) -> None:
    """With the generated fontconfig file, each conventional font is its fallback on
    this machine (fc-match, as LibreOffice or a PDF converter would ask)."""
    import shutil
    import subprocess
    from pathlib import Path

    from jieneng.reports.gongwen import fontconfig_aliases

    if shutil.which("fc-match") is None:
        pytest.skip("fontconfig's fc-match is not installed")
    folder = Path(str(tmp_path))
    (folder / "aliases.conf").write_text(fontconfig_aliases(), encoding="utf-8")
    (folder / "fonts.conf").write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        f'<include>{folder / "aliases.conf"}</include></fontconfig>', encoding="utf-8")
    env = {"FONTCONFIG_FILE": str(folder / "fonts.conf"), "PATH": "/usr/bin:/bin"}
    for font in layout().fonts.values():
        found = subprocess.run(["fc-match", "-f", "%{family[0]}", font.name], env=env,
                               capture_output=True, text=True, check=True).stdout
        assert found == font.fallback, (font.name, found)
