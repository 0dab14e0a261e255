"""Word documents (通报, 会审报告) in the form of GB/T 9704-2012《党政机关公文格式》.

Every number comes from :mod:`jieneng.reports.gongwen` (``data/documents/gbt9704.toml``,
each with its clause): an A4 page with the 版心 156 mm × 225 mm at 天头 37 mm and
订口 28 mm; 22 lines of 28 characters (the section's document grid); the styles
name the conventional fonts — body 3号仿宋_GB2312, title 2号方正小标宋简体, level-1
headings 黑体, level-2 楷体_GB2312 — with the Latin font for letters and numerals,
and the font table gives each of them the CJK family installed here as
``w:altName`` (Noto Serif / Sans CJK SC), so a machine without the 公文 fonts still
shows Chinese; the 版头 (发文机关标志 in red, 发文字号, the red rule), the 落款
(署名, 成文日期) and the page numbers ``— 1 —`` in 4号宋体 at the outside edge.

Every text enters through :meth:`WordDoc.heading`, :meth:`WordDoc.para` or
:meth:`WordDoc.table`, which remove the control characters XML refuses.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

from jieneng.core.text import strip_control
from jieneng.reports.gongwen import Element, Font, Layout, Letterhead, layout

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#: python-docx style name → the element of the layout it carries
STYLE_ELEMENTS = {"Normal": "body", "Title": "title", "Heading 1": "heading1",
                  "Heading 2": "heading2"}
ISSUER, NUMBER, TABLE_TEXT, TABLE_HEAD, FIGURE, SIGNATURE, PAGE_NUMBER = (
    "发文机关标志", "发文字号", "表格文字", "表格标题", "图", "落款", "页码")
_THEME_ATTRS = ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme")
#: the children of w:pPr that come before w:pBdr (the schema's sequence)
_PPR_BEFORE_BORDER = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr",
                      "widowControl", "numPr", "suppressLineNumbers")


def _qn(tag: str) -> str:
    from docx.oxml.ns import qn

    return str(qn(tag))


def _child(parent: Any, tag: str) -> Any:
    found = parent.find(_qn(tag))
    if found is None:
        found = parent.makeelement(_qn(tag), {})
        parent.append(found)
    return found


def set_fonts(r_pr: Any, east_asian: Font, latin: Font) -> None:
    """Name the fonts of a run property element: ``w:eastAsia`` the CJK font,
    ``w:ascii``/``w:hAnsi`` the Latin one; theme fonts removed (they would win)."""
    fonts = r_pr.find(_qn("w:rFonts"))
    if fonts is None:
        fonts = r_pr.makeelement(_qn("w:rFonts"), {})
        r_pr.insert(0, fonts)
    for attr in _THEME_ATTRS:
        fonts.attrib.pop(_qn(f"w:{attr}"), None)
    for attr, name in (("ascii", latin.name), ("hAnsi", latin.name),
                       ("eastAsia", east_asian.name), ("cs", east_asian.name)):
        fonts.set(_qn(f"w:{attr}"), name)
    _child(r_pr, "w:lang").set(_qn("w:eastAsia"), "zh-CN")


class WordDoc:
    """A 公文 over python-docx: the page, the styles, the 版头 (when a
    :class:`~jieneng.reports.gongwen.Letterhead` is given), headings, paragraphs,
    tables and pictures, the 落款 and the page numbers."""

    def __init__(self, letterhead: Letterhead | None = None) -> None:
        from docx import Document

        self.doc: Any = Document()
        self.layout: Layout = layout()
        self.letterhead = letterhead
        self._fonts: dict[str, Font] = {}
        self._page()
        self._styles()
        self._font_table()
        self._page_numbers()
        if letterhead is not None:
            self._head(letterhead)

    # ------------------------------------------------------------ set-up

    def _page(self) -> None:
        from docx.shared import Mm, Pt

        lay, sec = self.layout, self.doc.sections[0]
        sec.page_width, sec.page_height = Mm(lay.page_mm[0]), Mm(lay.page_mm[1])
        sec.top_margin, sec.bottom_margin = Mm(lay.top_mm), Mm(lay.bottom_mm)
        sec.left_margin, sec.right_margin = Mm(lay.left_mm), Mm(lay.right_mm)
        number = lay.element("page_number")
        # the dash sits at mid-height of the footer line, 7 mm below the 版心 (7.5)
        sec.footer_distance = Mm(lay.bottom_mm - number.number("below_type_area_mm")) - Pt(
            number.size_pt / 2)
        sec.header_distance = Mm(lay.top_mm / 2)
        # 22 lines: a line grid (Word) and exact line spacing (every renderer); the 28
        # characters come from the body styles' character spacing (:func:`_tracking`),
        # not from a character grid, which LibreOffice spreads over ~17 cells a line
        grid = _child(sec._sectPr, "w:docGrid")
        grid.set(_qn("w:type"), "lines")
        grid.set(_qn("w:linePitch"), str(int(lay.line_pitch_pt * 20)))
        grid.attrib.pop(_qn("w:charSpace"), None)

    def _style(self, name: str, element: Element, *, indent_chars: float = 0.0,
               align: str = "left", exact: bool = True, base: str | None = None) -> Any:
        from docx.enum.style import WD_STYLE_TYPE
        from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
        from docx.shared import Pt, RGBColor

        styles = self.doc.styles
        style = (styles[name] if name in [s.name for s in styles]
                 else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH))
        if base is not None:
            style.base_style = styles[base]
        style.font.size = Pt(element.size_pt)
        style.font.bold = False
        style.font.italic = False
        style.font.color.rgb = RGBColor.from_string(self.layout.text_colour)
        set_fonts(style.element.get_or_add_rPr(), element.font, self.layout.latin)
        _tracking(style.element.get_or_add_rPr(), self.layout.char_pitch_pt - element.size_pt
                  if element.size_pt == self.layout.element("body").size_pt else 0.0)
        self._fonts[name] = element.font
        fmt = style.paragraph_format
        fmt.alignment = getattr(WD_ALIGN_PARAGRAPH, align.upper())
        fmt.first_line_indent = Pt(indent_chars * self.layout.char_pitch_pt)
        fmt.left_indent = fmt.right_indent = Pt(0)
        fmt.space_before = fmt.space_after = Pt(0)
        if exact:
            fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            fmt.line_spacing = Pt(self.layout.line_pitch_pt)
        else:
            fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
        p_pr = style.element.get_or_add_pPr()
        border = p_pr.find(_qn("w:pBdr"))
        if border is not None:  # the default Title's blue rule
            p_pr.remove(border)
        if element.size_pt != self.layout.element("body").size_pt:
            # a larger or smaller face keeps its own line height instead of taking two
            # lines of the grid (LibreOffice) or being cut to one (Word)
            snap = p_pr.makeelement(_qn("w:snapToGrid"), {_qn("w:val"): "0"})
            later = [c for c in p_pr if c.tag in {_qn(f"w:{t}") for t in _PPR_AFTER_SNAP}]
            if later:
                later[0].addprevious(snap)
            else:
                p_pr.append(snap)
        return style

    def _styles(self) -> None:
        from docx.shared import Pt

        lay = self.layout
        defaults = self.doc.styles.element.find(_qn("w:docDefaults"))
        r_pr = _child(_child(defaults, "w:rPrDefault"), "w:rPr")
        set_fonts(r_pr, lay.element("body").font, lay.latin)
        _child(r_pr, "w:sz").set(_qn("w:val"), str(int(lay.element("body").size_pt * 2)))
        body = lay.element("body")
        self._style("Normal", body, indent_chars=body.number("indent_chars"))
        for name in ("Heading 1", "Heading 2"):
            el = lay.element(STYLE_ELEMENTS[name])
            self._style(name, el, indent_chars=el.number("indent_chars")
                        ).paragraph_format.keep_with_next = True
        title = self._style("Title", lay.element("title"), align="center")
        title.paragraph_format.space_before = Pt(
            lay.element("title").number("lines_before") * lay.line_pitch_pt)
        title.paragraph_format.space_after = Pt(lay.line_pitch_pt)
        self._style(ISSUER, lay.element("issuer"), align="center", exact=False,
                    base="Normal").font.color.rgb = _rgb(lay.red)
        self._style(NUMBER, lay.element("number"), align="center", base="Normal")
        table = lay.element("table")
        self._style(TABLE_TEXT, table, align="center", exact=False, base="Normal")
        head = Element(table.source, lay.fonts[table.values["header_font"]], table.size_pt,
                       {})
        self._style(TABLE_HEAD, head, align="center", exact=False, base="Normal")
        self._style(FIGURE, body, align="center", exact=False, base="Normal")
        self._style(SIGNATURE, lay.element("signature"), align="right", base="Normal")
        self._style(PAGE_NUMBER, lay.element("page_number"), exact=False, base="Normal")

    def _font_table(self) -> None:
        """Each conventional font with its fallback (``w:altName``) and the GB2312
        character set, so that Word and LibreOffice substitute a CJK face."""
        from lxml import etree

        part = next(p for p in self.doc.part.package.iter_parts()
                    if str(p.partname) == "/word/fontTable.xml")
        root = etree.fromstring(part.blob)
        for font in {f.name: f for f in self.layout.fonts.values()}.values():
            for old in root.findall(_qn("w:font")):
                if old.get(_qn("w:name")) == font.name:
                    root.remove(old)
            entry = etree.SubElement(root, _qn("w:font"), {_qn("w:name"): font.name})
            etree.SubElement(entry, _qn("w:altName"), {_qn("w:val"): font.fallback})
            if font is not self.layout.latin:
                etree.SubElement(entry, _qn("w:charset"), {_qn("w:val"): "86"})
        part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                    standalone=True)

    def _page_numbers(self) -> None:
        """``— 1 —`` (7.5): odd pages at the right, even pages at the left, one
        character in from the edge; a PAGE field between two 一字线."""
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt

        number = self.layout.element("page_number")
        inset = Pt(number.number("side_chars") * number.size_pt)
        self.doc.settings.odd_and_even_pages_header_footer = True
        sec = self.doc.sections[0]
        for footer, align in ((sec.footer, "RIGHT"), (sec.even_page_footer, "LEFT")):
            p = footer.paragraphs[0]
            p.style = self.doc.styles[PAGE_NUMBER]
            p.alignment = getattr(WD_ALIGN_PARAGRAPH, align)
            if align == "RIGHT":
                p.paragraph_format.right_indent = inset
            else:
                p.paragraph_format.left_indent = inset
            dash = str(number.values["dash"])
            p.add_run(f"{dash} ")
            _page_field(p)
            p.add_run(f" {dash}")

    def _head(self, head: Letterhead) -> None:
        from docx.shared import Mm, Pt

        lay = self.layout
        issuer = self._add(head.issuer, ISSUER)
        issuer.paragraph_format.space_before = Mm(lay.element("issuer").number(
            "space_before_mm"))
        number = self._add(head.number, NUMBER)
        number.paragraph_format.space_before = Pt(
            lay.element("number").number("lines_before") * lay.line_pitch_pt)
        rule = lay.element("rule")
        p_pr = number._p.get_or_add_pPr()
        border = p_pr.makeelement(_qn("w:pBdr"), {})
        # w:pBdr sits before w:shd, w:tabs … w:spacing, w:ind, w:jc in w:pPr (ECMA-376 17.3.1.26)
        after = [c for c in p_pr if c.tag in {_qn(f"w:{t}") for t in _PPR_BEFORE_BORDER}]
        p_pr.insert(p_pr.index(after[-1]) + 1 if after else 0, border)
        _child(border, "w:bottom").attrib.update({
            _qn("w:val"): "single", _qn("w:color"): lay.red,
            _qn("w:sz"): str(round(rule.number("width_mm") / 25.4 * 72 * 8)),
            _qn("w:space"): str(round(rule.number("below_mm") / 25.4 * 72))})

    # ------------------------------------------------------------ content

    def _add(self, text: str, style: str, container: Any = None) -> Any:
        """A paragraph of ``style`` whose runs name the style's fonts too (so that
        the text keeps them when copied into another document)."""
        p = (container or self.doc).add_paragraph(strip_control(text), style=style)
        for run in p.runs:
            set_fonts(run._element.get_or_add_rPr(), self._fonts[style], self.layout.latin)
        return p

    def heading(self, text: str, level: int = 1) -> None:
        """The title (level 0) or a heading of level 1 (黑体) or 2 (楷体)."""
        self._add(text, "Title" if level == 0 else f"Heading {min(level, 2)}")

    def para(self, text: str) -> None:
        self._add(text, "Normal")

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """A table as wide as the 版心, its header row repeated on every page."""
        grid = self.doc.add_table(rows=1, cols=len(header))
        grid.style = self.doc.styles["Table Grid"]
        tbl_pr = grid._tbl.tblPr
        _child(tbl_pr, "w:tblW").attrib.update({_qn("w:type"): "pct", _qn("w:w"): "5000"})
        for cell, text in zip(grid.rows[0].cells, header, strict=True):
            self._cell(cell, text, TABLE_HEAD)
        for values in rows:
            for cell, text in zip(grid.add_row().cells, values, strict=True):
                self._cell(cell, text, TABLE_TEXT)
        for i, row in enumerate(grid.rows):  # a row never splits; the header repeats
            tr_pr = row._tr.get_or_add_trPr()
            tr_pr.insert(0, tr_pr.makeelement(_qn("w:cantSplit"), {}))
            if i == 0:
                _child(tr_pr, "w:tblHeader")

    def _cell(self, cell: Any, text: str, style: str) -> None:
        empty = cell.paragraphs[0]._p
        self._add(text, style, cell)
        empty.getparent().remove(empty)

    def picture(self, png: bytes, width_mm: float | None = None) -> None:
        """A picture centred, at most as wide as the figure element allows."""
        from docx.shared import Mm

        width = width_mm or self.layout.element("figure").number("width_mm")
        run = self.doc.add_paragraph(style=FIGURE).add_run()
        run.add_picture(io.BytesIO(png), width=Mm(min(width, self.layout.type_area_mm[0])))

    def _sign(self, head: Letterhead) -> None:
        """The 落款 (7.3.5.2): after one empty line the 署名 two characters in from
        the right, the 成文日期 below it, its first character two to the right of the
        署名's (or, when the date is the longer, the date two in and the 署名 moved)."""
        from docx.shared import Pt

        el = self.layout.element("signature")
        right, shift = el.number("right_chars"), el.number("date_shift_chars")
        n_sig, n_date = text_width(head.signature), text_width(head.written)
        sig_r = right
        date_r = sig_r + n_sig - shift - n_date
        if date_r < right:
            date_r, sig_r = right, right + n_date + shift - n_sig
        # the 落款 never stands alone on a page (7.3.5.5): the last line of text goes with it
        body = self.doc.element.body
        last = body[-2] if len(body) > 1 else None  # body[-1] is the w:sectPr
        if last is not None and last.tag == _qn("w:p"):
            last.get_or_add_pPr().keepNext_val = True
        self.doc.add_paragraph(style=SIGNATURE).paragraph_format.keep_with_next = True
        pitch = self.layout.char_pitch_pt
        for text, chars in ((head.signature, sig_r), (head.written, date_r)):
            p = self._add(text, SIGNATURE)
            p.paragraph_format.right_indent = Pt(chars * pitch)
            p.paragraph_format.keep_with_next = text == head.signature

    def to_bytes(self) -> bytes:
        """The document, signed (when it has a letterhead), as .docx bytes."""
        if self.letterhead is not None:
            self._sign(self.letterhead)
            self.letterhead = None
        out = io.BytesIO()
        self.doc.save(out)
        data: bytes = out.getvalue()
        return data


#: the children of w:pPr that come after w:snapToGrid (the schema's sequence)
_PPR_AFTER_SNAP = ("spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap",
                   "jc", "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl",
                   "divId", "cnfStyle", "rPr", "sectPr", "pPrChange")
#: the children of w:rPr that come after w:spacing (the schema's sequence)
_RPR_AFTER_SPACING = ("w", "kern", "position", "sz", "szCs", "highlight", "u", "effect", "bdr",
                      "shd", "fitText", "vertAlign", "rtl", "cs", "em", "lang",
                      "eastAsianLayout", "specVanish", "oMath")


def _tracking(r_pr: Any, points: float) -> None:
    """Character spacing of a text style (``w:spacing``, twentieths of a point, rounded
    down so that the line still holds its characters): a 3号 body −0.25 pt, so that 28
    characters fill the 156 mm line (5.2.3). Zero removes the template's own."""
    old = r_pr.find(_qn("w:spacing"))
    if old is not None:
        r_pr.remove(old)
    twips = math.floor(points * 20)
    if twips == 0:
        return
    spacing = r_pr.makeelement(_qn("w:spacing"), {_qn("w:val"): str(twips)})
    later = [c for c in r_pr if c.tag in {_qn(f"w:{t}") for t in _RPR_AFTER_SPACING}]
    if later:
        later[0].addprevious(spacing)
    else:
        r_pr.append(spacing)


def text_width(text: str) -> float:
    """Width in characters: a Chinese (full-width) character is one, an ASCII one half."""
    return sum(0.5 if ord(c) < 0x2E80 else 1.0 for c in text)


def _rgb(hex_colour: str) -> Any:
    from docx.shared import RGBColor

    return RGBColor.from_string(hex_colour)


def _page_field(paragraph: Any) -> None:
    """A PAGE field (its cached result ``1``) in ``paragraph``."""
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"),
                       ("end", None)):
        run = paragraph.add_run()._r
        if kind is not None:
            run.append(run.makeelement(_qn("w:fldChar"), {_qn("w:fldCharType"): kind}))
        elif text == " PAGE ":
            instr = run.makeelement(_qn("w:instrText"), {})
            instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            instr.text = text
            run.append(instr)
        else:
            t = run.makeelement(_qn("w:t"), {})
            t.text = text
            run.append(t)
