"""The charts of the Word documents: matplotlib (Agg backend, no display) with the
first installed CJK family of :data:`CHART_FONTS` (the set-up installs Debian's
``fonts-noto-cjk``), written as PNG at 150 dpi.

Labels never overlap: categories (regions, units) are horizontal bars, one label a
row, sorted by value, at most :data:`MAX_BARS` of them (the rest summed into one
bar); the figure grows with the number of bars. Months stay on a horizontal axis
(twelve short labels).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from jieneng.core.text import strip_control

CHART_FONTS: tuple[str, ...] = ("Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei",
                                "SimHei", "Microsoft YaHei", "DejaVu Sans")
#: the most bars a chart draws; the rest become one bar "other (n)"
MAX_BARS = 20
#: figure width [in]: 150 mm, the figure width of gbt9704.toml
WIDTH_IN = 150 / 25.4
ROW_IN = 0.3
GREEN = "#2f7d5b"


def _figure(height: float) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["font.sans-serif"] = list(CHART_FONTS)
    plt.rcParams["axes.unicode_minus"] = False
    plt.rcParams["font.size"] = 9
    return plt.subplots(figsize=(WIDTH_IN, height))


def _thousands() -> Any:
    """Axis numbers with a thousands separator (``12,500``), as the tables print them."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: f"{v:,.0f}" if abs(v) >= 100 else f"{v:g}")


def png(fig: Any) -> bytes:
    """The figure as PNG bytes (tight layout, 150 dpi); the figure is closed."""
    import matplotlib.pyplot as plt

    out = io.BytesIO()
    fig.tight_layout()
    fig.savefig(out, format="png", dpi=150)
    plt.close(fig)
    return out.getvalue()


def _capped(labels: Sequence[str], values: Sequence[float | None], other: str
            ) -> tuple[list[str], list[float]]:
    pairs = sorted(((strip_control(label), v or 0.0) for label, v in zip(labels, values,
                                                                        strict=True)),
                   key=lambda p: -p[1])
    if len(pairs) > MAX_BARS:
        rest = pairs[MAX_BARS - 1:]
        pairs = [*pairs[:MAX_BARS - 1],
                 (other.format(count=len(rest)), sum(v for _, v in rest))]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def bar_figure(labels: Sequence[str], values: Sequence[float | None], *, title: str,
               unit: str, other: str = "其他（{count}）") -> Any:
    """Horizontal bars, largest on top (None drawn as 0); ``other`` names the sum of
    the bars beyond :data:`MAX_BARS` (``{count}`` = how many)."""
    names, numbers = _capped(labels, values, other)
    fig, ax = _figure(1.0 + ROW_IN * max(len(names), 3))
    ax.barh(range(len(names)), numbers, color=GREEN)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_title(strip_control(title))
    ax.set_xlabel(strip_control(unit))
    ax.xaxis.set_major_formatter(_thousands())
    ax.grid(axis="x", linewidth=0.4, alpha=0.5)
    return fig


def bar_chart(labels: Sequence[str], values: Sequence[float | None], *, title: str,
              unit: str, other: str = "其他（{count}）") -> bytes:
    """:func:`bar_figure` as PNG bytes."""
    return png(bar_figure(labels, values, title=title, unit=unit, other=other))


def line_figure(x: Sequence[str], series: dict[str, Sequence[float | None]], *, title: str,
                unit: str) -> Any:
    """Lines over a short axis (months; None = gap)."""
    fig, ax = _figure(3.2)
    for name, values in series.items():
        ax.plot([strip_control(label) for label in x],
                [float("nan") if v is None else v for v in values], marker="o",
                label=strip_control(name))
    ax.set_title(strip_control(title))
    ax.set_ylabel(strip_control(unit))
    ax.yaxis.set_major_formatter(_thousands())
    ax.grid(axis="y", linewidth=0.4, alpha=0.5)
    ax.legend()
    return fig


def line_chart(x: Sequence[str], series: dict[str, Sequence[float | None]], *, title: str,
               unit: str) -> bytes:
    """:func:`line_figure` as PNG bytes."""
    return png(line_figure(x, series, title=title, unit=unit))
