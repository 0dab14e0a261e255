"""Input files of the demo city 桂林市 (演示数据): directory, profiles, monthly consumption.

:func:`write_demo_files` writes, for about 600 fictional public institutions
spread over the 17 county-level divisions of 桂林市 and the city level itself:

- ``regions.csv`` — 广西 450000, 桂林市 450300 and its 17 county-level divisions;
- ``institutions.xlsx`` — the directory (名录);
- ``profiles.csv`` — the yearly basic information (NY101: 用能人数, 建筑面积 …);
- ``consumption_<year>.csv`` — monthly figures of form NY201 in the wide layout,
  one row per institution and month, a quantity and a cost column per carrier
  (:mod:`jieneng.demo.layout`).

Everything is fictional and labelled 演示 (every name contains it); the
generation is deterministic for a seed (one :class:`numpy.random.Generator`)
and vectorised over institutions × years × months. How the figures are made:
:mod:`jieneng.demo.model` (parameters by kind: :mod:`jieneng.demo.kinds`); the
problems planted for reviewers: :mod:`jieneng.demo.plant`. Two institutions are
closed (撤销) after the second-to-last year and report nothing afterwards.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .layout import DEFAULT_SEED, DEFAULT_YEARS, DemoFiles
from .model import build_model, guilin_csv_bytes
from .plant import plant
from .writers import write_consumption, write_institutions, write_profiles


def write_demo_files(
    out_dir: Path, *, seed: int = DEFAULT_SEED, years: Sequence[int] = DEFAULT_YEARS
) -> DemoFiles:
    """Write the demo city's input files into ``out_dir`` (created if needed).

    Parameters
    ----------
    out_dir : Path
        Target directory; existing files of the same names are overwritten.
    seed : int
        Seed of the :class:`numpy.random.Generator`; the same seed and years
        give byte-identical files.
    years : sequence of int
        Calendar years of consumption (sorted, distinct), e.g. ``(2023, 2024, 2025)``.

    Returns
    -------
    DemoFiles
        The paths written and the planted problems.
    """
    years_t = tuple(sorted({int(y) for y in years}))
    if not years_t:
        raise ValueError("years must not be empty")
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    model = build_model(rng, years_t)
    reported, planted = plant(model, rng, years_t)

    regions = out_dir / "regions.csv"
    regions.write_bytes(guilin_csv_bytes())
    institutions = out_dir / "institutions.xlsx"
    write_institutions(model, institutions)
    profiles = out_dir / "profiles.csv"
    write_profiles(model, years_t, profiles)
    consumption = tuple(out_dir / f"consumption_{year}.csv" for year in years_t)
    for yi, (year, path) in enumerate(zip(years_t, consumption, strict=True)):
        write_consumption(model, reported, yi, year, path)
    closed = tuple(c for c, flag in zip(model.codes, model.closed, strict=True) if flag)
    return DemoFiles(
        out_dir,
        regions,
        institutions,
        profiles,
        consumption,
        tuple(planted),
        closed,
        seed,
        years_t,
        len(model.codes),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m jieneng.demo.generate OUT_DIR``: write the files, list the planted errors."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m jieneng.demo.generate OUT_DIR")
        return 2
    files = write_demo_files(Path(args[0]))
    for path in files.paths():
        print(f"{path}  {path.stat().st_size:,} B")
    for p in files.planted:
        print(
            f"{p.kind:14} {p.credit_code} {p.year}-{p.month:02d} {p.carrier or '-':12} "
            f"{p.institution_name}: {p.reviewer_sees_zh}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
