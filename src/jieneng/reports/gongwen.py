"""The numbers of GB/T 9704-2012《党政机关公文格式》 and who issues a region's documents.

Both are data: ``jieneng/data/documents/gbt9704.toml`` holds every size, margin, font
and colour of the layout with the clause it comes from; ``issuers.toml`` the
发文机关 and the 机关代字 of the 发文字号 per region. This module reads them and does
the little arithmetic the standard implies (the bottom and right margins from the
版心, the character pitch that puts 28 characters on a 156 mm line, the line pitch
of 22 lines in 225 mm) and the two formats of the 版头 and the 落款:

- :func:`issue_number` — ``市机管〔2026〕12号`` (7.2.5);
- :func:`written_date` — ``2026年12月3日`` (7.3.5.4: Arabic numerals, no leading zero).

Lengths are in millimetres [mm] or points [pt]; 1 pt = 1/72 in, 1 in = 25.4 mm.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

MM_PER_PT = 25.4 / 72


@dataclass(frozen=True)
class Font:
    """A conventional font name and the family that renders it here (w:altName)."""

    name: str
    fallback: str


@dataclass(frozen=True)
class Element:
    """One element of the layout: its font, size [pt] and the clause it follows."""

    source: str
    font: Font
    size_pt: float
    values: dict[str, Any]

    def number(self, key: str) -> float:
        return float(self.values[key])


@dataclass(frozen=True)
class Layout:
    """The page of GB/T 9704-2012 and its elements."""

    page_mm: tuple[float, float]
    type_area_mm: tuple[float, float]
    top_mm: float
    left_mm: float
    lines: int
    chars: int
    text_colour: str
    red: str
    latin: Font
    fonts: dict[str, Font]
    elements: dict[str, Element]

    @property
    def bottom_mm(self) -> float:
        """下白边 = page height − 天头 − 版心 height (5.2.1)."""
        return self.page_mm[1] - self.top_mm - self.type_area_mm[1]

    @property
    def right_mm(self) -> float:
        """切口 (right margin) = page width − 订口 − 版心 width (5.2.1)."""
        return self.page_mm[0] - self.left_mm - self.type_area_mm[0]

    @property
    def char_pitch_pt(self) -> float:
        """The width of one character so that :attr:`chars` fill the 版心 line (5.2.3) [pt]."""
        return self.type_area_mm[0] / MM_PER_PT / self.chars

    @property
    def line_pitch_pt(self) -> float:
        """The height of one line so that :attr:`lines` fill the 版心 (5.2.3) [pt]."""
        return self.type_area_mm[1] / MM_PER_PT / self.lines

    def element(self, name: str) -> Element:
        return self.elements[name]


def _data(name: str) -> dict[str, Any]:
    path = resources.files("jieneng") / "data" / "documents" / name
    data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    return data


@cache
def layout() -> Layout:
    """The layout of ``gbt9704.toml``."""
    raw = _data("gbt9704.toml")
    fonts = {key: Font(f["name"], f["fallback"]) for key, f in raw["fonts"].items()}
    elements = {}
    for key, e in raw["elements"].items():
        values = {k: v for k, v in e.items() if k not in ("source", "font", "size_pt")}
        elements[key] = Element(e["source"], fonts[e.get("font", "fangsong")],
                                float(e.get("size_pt", 16)), values)
    page, area = raw["page"], raw["type_area"]
    return Layout(
        page_mm=(page["width_mm"], page["height_mm"]),
        type_area_mm=(area["width_mm"], area["height_mm"]),
        top_mm=area["top_mm"], left_mm=area["left_mm"],
        lines=raw["grid"]["lines"], chars=raw["grid"]["chars"],
        text_colour=raw["colour"]["text"], red=raw["colour"]["red"],
        latin=fonts["latin"], fonts=fonts, elements=elements)


@dataclass(frozen=True)
class Letterhead:
    """The 版头 and the 落款 of one document."""

    issuer: str      # 发文机关标志 (7.2.4)
    number: str      # 发文字号 (7.2.5)
    signature: str   # 发文机关署名 (7.3.5)
    written: str     # 成文日期 (7.3.5.4)


def issue_number(prefix: str, year: int, sequence: int | None) -> str:
    """The 发文字号 (7.2.5): 机关代字, the year in 六角括号, the sequence number
    without 第 or leading zeros, then 号. Without a sequence number (a draft whose
    number the 文书 assigns on registration) two full-width spaces hold its place."""
    seq = "\u3000\u3000" if sequence is None else str(int(sequence))
    return f"{prefix}〔{year}〕{seq}号"


_DIGITS = "〇一二三四五六七八九"


def chinese_ordinal(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九: the numerals of the 结构层次
    序数 ``一、`` and ``（一）`` (7.3.3). Beyond 99 the Arabic number."""
    if not 1 <= n <= 99:
        return str(n)
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones else "")


def written_date(day: date) -> str:
    """The 成文日期 (7.3.5.4): ``2026年12月3日`` — year in full, month and day without a
    leading zero."""
    return f"{day.year}年{day.month}月{day.day}日"


@cache
def _issuers() -> dict[str, Any]:
    return _data("issuers.toml")


def letterhead(region_code: str, region_name: str, *, issued: date,
               sequence: int | None = None) -> Letterhead:
    """The 版头 of a region's document, from ``issuers.toml`` (the region's own entry,
    else ``[default]`` with the region's name)."""
    raw = _issuers()
    entry = {**raw["default"], **raw.get("regions", {}).get(region_code, {})}
    fill = {k: str(v).replace("{region}", region_name) for k, v in entry.items()}
    return Letterhead(issuer=fill["issuer"],
                      number=issue_number(fill["prefix"], issued.year, sequence),
                      signature=fill["signature"], written=written_date(issued))


def fontconfig_aliases() -> str:
    """A fontconfig file that makes every conventional font of the layout resolve to
    its fallback on a machine without it (LibreOffice, a PDF converter):
    ``python -m jieneng.reports.gongwen > /etc/fonts/conf.d/65-jieneng-gongwen.conf``."""
    lines = ['<?xml version="1.0"?>', '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
             "<!-- generated from jieneng/data/documents/gbt9704.toml"
             " (python -m jieneng.reports.gongwen) -->", "<fontconfig>"]
    for font in {f.name: f for f in layout().fonts.values()}.values():
        lines += ["  <alias binding=\"same\">", f"    <family>{font.name}</family>",
                  f"    <prefer><family>{font.fallback}</family></prefer>", "  </alias>"]
    return "\n".join([*lines, "</fontconfig>", ""])


if __name__ == "__main__":  # pragma: no cover - the command line of fontconfig_aliases
    print(fontconfig_aliases(), end="")
