"""Word documents and charts for the reports (通报, 会审): one place that knows how
Chinese text must be set so that it renders.

- Word: every run and style gets the East Asian font :data:`CJK_FONT` (``w:eastAsia``;
  Word would otherwise pick a Latin font that has no Chinese glyphs).
- Charts: matplotlib with the Agg backend (no display), the first installed CJK
  family of :data:`CHART_FONTS` (the set-up installs Debian's ``fonts-noto-cjk``),
  written as PNG at 150 dpi into the document.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from jieneng.core.text import strip_control

#: The East Asian font named in the documents (Noto, installed by the set-up;
#: Word falls back to the reader's own CJK font when it is missing).
CJK_FONT = "Noto Sans CJK SC"
CHART_FONTS: tuple[str, ...] = ("Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei",
                                "SimHei", "Microsoft YaHei", "DejaVu Sans")


def _east_asian(element: Any) -> None:
    from docx.oxml.ns import qn

    r_pr = element.get_or_add_rPr()
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = r_pr.makeelement(qn("w:rFonts"), {})
        r_pr.append(fonts)
    fonts.set(qn("w:eastAsia"), CJK_FONT)


class WordDoc:
    """A small builder over python-docx: headings, paragraphs, tables, pictures.

    Every text enters through :meth:`heading`, :meth:`para` or :meth:`table`, which
    remove the control characters XML refuses (lxml raises on them)."""

    def __init__(self) -> None:
        from docx import Document

        self.doc: Any = Document()
        for name in ("Normal", "Title", "Heading 1", "Heading 2", "Table Grid"):
            style = self.doc.styles[name]
            style.font.name = CJK_FONT
            _east_asian(style.element)

    def _cjk(self, runs: Sequence[Any]) -> None:
        for run in runs:
            run.font.name = CJK_FONT
            _east_asian(run._element)

    def heading(self, text: str, level: int = 1) -> None:
        self._cjk(self.doc.add_heading(strip_control(text), level).runs)

    def para(self, text: str) -> None:
        self._cjk(self.doc.add_paragraph(strip_control(text)).runs)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        grid = self.doc.add_table(rows=1, cols=len(header))
        grid.style = self.doc.styles["Table Grid"]
        for cell, text in zip(grid.rows[0].cells, header, strict=True):
            cell.text = strip_control(text)
        for values in rows:
            for cell, text in zip(grid.add_row().cells, values, strict=True):
                cell.text = strip_control(text)
        for row in grid.rows:
            for cell in row.cells:
                for p in cell.paragraphs:
                    self._cjk(p.runs)

    def picture(self, png: bytes, width_cm: float = 15.0) -> None:
        from docx.shared import Cm

        self.doc.add_picture(io.BytesIO(png), width=Cm(width_cm))

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        self.doc.save(out)
        data: bytes = out.getvalue()
        return data


def _figure(width: float = 7.5, height: float = 3.6) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["font.sans-serif"] = list(CHART_FONTS)
    plt.rcParams["axes.unicode_minus"] = False
    return plt.subplots(figsize=(width, height))


def _png(fig: Any) -> bytes:
    import matplotlib.pyplot as plt

    out = io.BytesIO()
    fig.tight_layout()
    fig.savefig(out, format="png", dpi=150)
    plt.close(fig)
    return out.getvalue()


def bar_chart(labels: Sequence[str], values: Sequence[float | None], *, title: str,
              unit: str) -> bytes:
    """A vertical bar chart (None drawn as 0) as PNG bytes."""
    fig, ax = _figure()
    ax.bar([strip_control(label) for label in labels], [v or 0.0 for v in values],
           color="#2f7d5b")
    ax.set_title(strip_control(title))
    ax.set_ylabel(unit)
    ax.tick_params(axis="x", labelrotation=45)
    return _png(fig)


def line_chart(x: Sequence[str], series: dict[str, Sequence[float | None]], *, title: str,
               unit: str) -> bytes:
    """Lines (None = gap) as PNG bytes."""
    fig, ax = _figure()
    for name, values in series.items():
        ax.plot([strip_control(label) for label in x],
                [float("nan") if v is None else v for v in values], marker="o",
                label=strip_control(name))
    ax.set_title(strip_control(title))
    ax.set_ylabel(unit)
    ax.legend()
    return _png(fig)
